/* The side panel's built-in model buttons, and with a training folder open its TRAINING section:
 * the checkpoint shown, a slider over the checkpoints, a play button, and a plot of the loss and
 * of each head's score over the steps (the phase change: the loss falls as the induction scores
 * rise), with the shown checkpoint marked, and its legend. A click or drag on the plot picks the
 * checkpoint nearest that step. */
#include "panel_internal.h"

#include "series.h"

#include <stdio.h>
#include <string.h>

#define PLOT_H 150.0f

static const char *const BUILTINS[2] = {"builtin:demo", "builtin:tiny"};

void ats_pane_builtin_models(pane *pn) {
    float u = pn->u, gap = 6 * u, h = 28 * u, w = (pn->w - gap) / 2;
    pn->y += 4 * u;
    for (int i = 0; i < 2; i++) {
        frect r = {pn->x + (float)i * (w + gap), pn->y, w, h};
        bool on = strcmp(pn->s->model_name, BUILTINS[i]) == 0;
        ats_pane_button(pn, r, BUILTINS[i], on, ats_pane_hovered(pn, ATS_APP_HIT_BUILTIN, i),
                        (ats_app_hit){.kind = ATS_APP_HIT_BUILTIN, .index = i});
    }
    pn->y += h;
}

/* ---- the plot ------------------------------------------------------------------------------- */

typedef struct plot {
    paint *p;
    frect r; /* the data area */
    double last_step;
    float lo, hi; /* the loss axis */
} plot;

static float px(const plot *pl, double step) {
    return pl->r.x + (float)(step / pl->last_step) * pl->r.w;
}

static float py_loss(const plot *pl, float loss) {
    float t = (loss - pl->lo) / fmaxf(pl->hi - pl->lo, 1e-6f);
    return pl->r.y + pl->r.h * (1 - t);
}

static float py_score(const plot *pl, float score) {
    return pl->r.y + pl->r.h * (1 - score);
}

/* A segment with round ends, so that a polyline has no gaps at its joints. */
static void segment(paint *p, float x0, float y0, float x1, float y1, float w, ats_rgba c) {
    if (ats_dl_line(p->dl, x0, y0, x1, y1, w, ATS_CAP_ROUND, c) != ATS_OK)
        p->status = ATS_ERR_NOMEM;
}

/* What the plot shows for head i at checkpoint k: the score of the role the head ends with
 * (previous token or induction), or for a head with none the larger of its two. */
static float head_value(const ats_series *s, int k, int i, ats_head_role role) {
    size_t at = (size_t)k * (size_t)(s->n_layer * s->n_head) + (size_t)i;
    float prev = s->previous_token[at], ind = s->induction[at];
    return role == ATS_HEAD_ROLE_INDUCTION        ? ind
           : role == ATS_HEAD_ROLE_PREVIOUS_TOKEN ? prev
                                                  : fmaxf(prev, ind);
}

static ats_head_role final_role(const ats_series *s, int i) {
    size_t at = (size_t)(s->n - 1) * (size_t)(s->n_layer * s->n_head) + (size_t)i;
    return ats_head_role_of(s->previous_token[at], s->induction[at]);
}

static ats_rgba faded(ats_rgba c, uint8_t a) {
    c.a = a;
    return c;
}

static void draw_curves(plot *pl, const ats_series *s, int shown) {
    paint *p = pl->p;
    float u = p->u;
    int LH = s->n_layer * s->n_head;
    /* heads without a role first (faint), then the roles on top */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < LH; i++) {
            ats_head_role role = final_role(s, i);
            if ((role != ATS_HEAD_ROLE_NONE) != (pass == 1))
                continue;
            ats_rgba c = role == ATS_HEAD_ROLE_NONE ? faded(UI_FAINT, 200) : ats_view_head_color(i);
            float w = role == ATS_HEAD_ROLE_NONE ? fmaxf(u, 1) : 2 * u;
            for (int k = 1; k < s->n; k++)
                segment(p, px(pl, s->step[k - 1]), py_score(pl, head_value(s, k - 1, i, role)),
                        px(pl, s->step[k]), py_score(pl, head_value(s, k, i, role)), w, c);
            if (role != ATS_HEAD_ROLE_NONE)
                ats_paint_circle(p, px(pl, s->step[shown]),
                                 py_score(pl, head_value(s, shown, i, role)), 3.5f * u, c);
        }
    /* the loss: the training log's, or the checkpoints' held-out loss */
    ats_rgba ink = faded(UI_INK, 230);
    if (s->n_loss > 1) {
        for (int k = 1; k < s->n_loss; k++)
            segment(p, px(pl, s->loss_step[k - 1]), py_loss(pl, s->loss[k - 1]),
                    px(pl, s->loss_step[k]), py_loss(pl, s->loss[k]), 1.5f * u, ink);
    } else {
        for (int k = 1; k < s->n; k++)
            segment(p, px(pl, s->step[k - 1]), py_loss(pl, s->eval_loss[k - 1]), px(pl, s->step[k]),
                    py_loss(pl, s->eval_loss[k]), 1.5f * u, ink);
    }
}

/* The loss axis: the range of the curve drawn, a little padded. */
static void loss_range(const ats_series *s, float *lo, float *hi) {
    const float *v = s->n_loss > 1 ? s->loss : s->eval_loss;
    int n = s->n_loss > 1 ? s->n_loss : s->n;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) {
            *lo = fminf(*lo, v[i]);
            *hi = fmaxf(*hi, v[i]);
        }
    if (!(*hi >= *lo)) {
        *lo = 0;
        *hi = 1;
    }
    float pad = fmaxf(0.05f * (*hi - *lo), 0.01f);
    *lo -= pad;
    *hi += pad;
}

static void draw_plot(pane *pn, const ats_series *s, int shown) {
    float u = pn->u, small = UI_SMALL_SIZE * u;
    char buf[64];
    float axis_w = ats_paint_measure(pn->p, "6.28", small, false) + 6 * u;
    frect box = {pn->x, pn->y, pn->w, PLOT_H * u};
    plot pl = {.p = pn->p,
               .r = {box.x + axis_w, box.y + 8 * u, box.w - 2 * axis_w, box.h - 26 * u},
               .last_step =
                   s->steps_planned > s->step[s->n - 1] ? s->steps_planned : s->step[s->n - 1]};
    if (pl.last_step <= 0)
        pl.last_step = 1;
    loss_range(s, &pl.lo, &pl.hi);
    ats_paint_rect(pn->p, pl.r, 0, UI_BG);
    for (int k = 1; k < 4; k++) /* score quarters */
        ats_paint_line(pn->p, pl.r.x, py_score(&pl, 0.25f * (float)k), pl.r.x + pl.r.w,
                       py_score(&pl, 0.25f * (float)k), fmaxf(u, 1), UI_CARD);
    float sx = px(&pl, s->step[shown]);
    ats_paint_line(pn->p, sx, pl.r.y, sx, pl.r.y + pl.r.h, fmaxf(2 * u, 1), faded(UI_ACCENT, 150));
    ats_paint_clip(pn->p, frect_inset(pl.r, -4 * u));
    draw_curves(&pl, s, shown);
    ats_paint_unclip(pn->p);
    /* axes: loss on the left, scores on the right, steps below */
    snprintf(buf, sizeof buf, "%.2f", (double)pl.hi);
    ats_paint_text(pn->p, pl.r.x - 3 * u, pl.r.y, buf, small, UI_INK, ATS_ALIGN_END,
                   ATS_VALIGN_MIDDLE, false, 0);
    snprintf(buf, sizeof buf, "%.2f", (double)pl.lo);
    ats_paint_text(pn->p, pl.r.x - 3 * u, pl.r.y + pl.r.h, buf, small, UI_INK, ATS_ALIGN_END,
                   ATS_VALIGN_MIDDLE, false, 0);
    ats_paint_text(pn->p, pl.r.x + pl.r.w + 3 * u, pl.r.y, "1", small, UI_MUTED, ATS_ALIGN_START,
                   ATS_VALIGN_MIDDLE, false, 0);
    ats_paint_text(pn->p, pl.r.x + pl.r.w + 3 * u, pl.r.y + pl.r.h, "0", small, UI_MUTED,
                   ATS_ALIGN_START, ATS_VALIGN_MIDDLE, false, 0);
    float by = pl.r.y + pl.r.h + 3 * u;
    ats_paint_text(pn->p, pl.r.x, by, "0", small, UI_MUTED, ATS_ALIGN_START, ATS_VALIGN_TOP, false,
                   0);
    snprintf(buf, sizeof buf, "step %.0f", pl.last_step);
    ats_paint_text(pn->p, pl.r.x + pl.r.w, by, buf, small, UI_MUTED, ATS_ALIGN_END, ATS_VALIGN_TOP,
                   false, 0);
    ats_pane_region(pn, pl.r, (ats_app_hit){.kind = ATS_APP_HIT_TRAIN_PLOT});
    pn->y += box.h;
}

/* The loss (left axis), then one line per head with a role (right axis, 0 to 1): its colour,
 * name, role and value at the checkpoint shown. */
static void legend(pane *pn, const ats_series *s, int shown) {
    float u = pn->u, size = UI_SMALL_SIZE * u + u, line = 18 * u;
    int LH = s->n_layer * s->n_head, rows = 1;
    char buf[96];
    ats_paint_rect(pn->p, (frect){pn->x, pn->y + 0.5f * line - u, 14 * u, 2 * u}, u, UI_INK);
    if (isfinite(s->eval_loss[shown]))
        snprintf(buf, sizeof buf, "loss (left axis)  %.3f held out", (double)s->eval_loss[shown]);
    else
        snprintf(buf, sizeof buf, "loss (left axis)");
    ats_paint_text(pn->p, pn->x + 20 * u, pn->y + 0.5f * line, buf, size, UI_INK, ATS_ALIGN_START,
                   ATS_VALIGN_MIDDLE, false, pn->w - 20 * u);
    for (int i = 0; i < LH; i++) {
        ats_head_role role = final_role(s, i);
        if (role == ATS_HEAD_ROLE_NONE)
            continue;
        float y = pn->y + (float)rows * line;
        ats_paint_rect(pn->p, (frect){pn->x, y + 0.5f * line - 2 * u, 14 * u, 4 * u}, 2 * u,
                       ats_view_head_color(i));
        snprintf(buf, sizeof buf, "layer %d head %d  %s  %.2f", i / s->n_head, i % s->n_head,
                 ats_head_role_name(role), (double)head_value(s, shown, i, role));
        ats_paint_text(pn->p, pn->x + 20 * u, y + 0.5f * line, buf, size, UI_INK, ATS_ALIGN_START,
                       ATS_VALIGN_MIDDLE, false, pn->w - 20 * u);
        rows++;
    }
    if (rows == 1) {
        ats_paint_text(pn->p, pn->x, pn->y + 1.5f * line, "no previous-token or induction head yet",
                       size, UI_MUTED, ATS_ALIGN_START, ATS_VALIGN_MIDDLE, false, pn->w);
        rows = 2;
    }
    pn->y += (float)rows * line;
}

void ats_pane_training(pane *pn) {
    const ats_series *s = ats_app_get_series(pn->app);
    if (!s)
        return;
    int shown = ats_app_series_index(pn->app);
    float u = pn->u;
    char buf[160];
    ats_pane_heading(pn, "TRAINING  (PageUp / PageDown, F5)");
    snprintf(buf, sizeof buf, "step %d of %d%s", s->step[shown],
             s->steps_planned > 0 ? s->steps_planned : s->step[s->n - 1],
             s->finished ? "" : " \xC2\xB7 training\xE2\x80\xA6");
    ats_paint_text(pn->p, pn->x, pn->y, buf, UI_BODY * u, UI_INK, ATS_ALIGN_START, ATS_VALIGN_TOP,
                   true, pn->w);
    snprintf(buf, sizeof buf, "%d of %d", shown + 1, s->n);
    ats_paint_text(pn->p, pn->x + pn->w, pn->y, buf, UI_SMALL_SIZE * u + u, UI_MUTED, ATS_ALIGN_END,
                   ATS_VALIGN_TOP, false, 0.3f * pn->w);
    pn->y += 24 * u;
    /* play button, then the slider beside it */
    float bw = 64 * u, bh = 26 * u;
    frect play = {pn->x, pn->y - 4 * u, bw, bh};
    bool playing = ats_app_series_playing(pn->app);
    ats_pane_button(pn, play, playing ? "Pause" : "Play", playing,
                    ats_pane_hovered(pn, ATS_APP_HIT_REPLAY, 0),
                    (ats_app_hit){.kind = ATS_APP_HIT_REPLAY});
    pane slider = *pn;
    slider.x += bw + 8 * u;
    slider.w -= bw + 8 * u;
    ats_pane_slider(&slider, s->n > 1 ? (float)shown / (float)(s->n - 1) : 1.0f,
                    ATS_APP_HIT_CHECKPOINT, false);
    pn->y = slider.y + 10 * u;
    draw_plot(pn, s, shown);
    pn->y += 4 * u;
    legend(pn, s, shown);
}
