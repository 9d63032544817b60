/* The side panel's analysis sections: the next-token prediction (click a token to append it;
 * buttons generate one) or, for BERT-like encoders, the predictions at a mask token (click one to
 * put it there), the analysis switches (value-weighted attention, comparing a second
 * text), the aggregate view's matrix, the grid's metric with its filter and the heads ranked by
 * it, and the heads switched off. */
#include "panel_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line of faint text under a heading (a placeholder or a hint). */
static void faint_line(pane *pn, const char *text) {
    ats_paint_text(pn->p, pn->x, pn->y, text, UI_BODY * pn->u, UI_FAINT, ATS_ALIGN_START,
                   ATS_VALIGN_TOP, false, pn->w);
    pn->y += 24 * pn->u;
}

/* Predicted tokens top[0 .. n) with their pieces pieces[first ..], most probable first, each a
 * row with its probability as a bar; a click on row i is ATS_APP_HIT_PREDICTION i. */
static void prediction_rows(pane *pn, const ats_token_prob *top, const ats_tokens *pieces,
                            int first, int n) {
    float u = pn->u, row = 24 * u, gap = 3 * u;
    float label_w = 0.46f * pn->w;
    for (int i = 0; i < n; i++) {
        frect r = {pn->x, pn->y, pn->w, row};
        if (ats_pane_hovered(pn, ATS_APP_HIT_PREDICTION, i))
            ats_paint_rect(pn->p, frect_inset(r, -2 * u), 4 * u, UI_HOVER);
        char label[160], prob[24];
        const char *piece = ats_tokens_get(pieces, first + i)->piece;
        snprintf(label, sizeof label, "\xE2\x80\x9C%.120s\xE2\x80\x9D", piece);
        snprintf(prob, sizeof prob, "%.1f%%", 100.0 * (double)top[i].prob);
        ats_paint_text(pn->p, r.x + 2 * u, r.y + 0.5f * row, label, UI_BODY * u, UI_INK,
                       ATS_ALIGN_START, ATS_VALIGN_MIDDLE, i == 0, label_w - 4 * u);
        float bx = r.x + label_w, bw = pn->w - label_w - 52 * u;
        ats_paint_rect(pn->p, (frect){bx, r.y + 7 * u, bw, row - 14 * u}, 2 * u, UI_BG);
        ats_paint_rect(pn->p, (frect){bx, r.y + 7 * u, bw * top[i].prob, row - 14 * u}, 2 * u,
                       UI_ACCENT);
        ats_paint_text(pn->p, r.x + pn->w, r.y + 0.5f * row, prob, UI_SMALL_SIZE * u, UI_MUTED,
                       ATS_ALIGN_END, ATS_VALIGN_MIDDLE, false, 0);
        ats_pane_region(pn, r, (ats_app_hit){.kind = ATS_APP_HIT_PREDICTION, .index = i});
        pn->y += row + gap;
    }
}

/* An encoder with its masked-LM head (BERT): what it predicts at the locked mask token (or the
 * first), a click putting that token in the mask's place. */
static void masked_prediction(pane *pn) {
    const ats_app_state *s = pn->s;
    const ats_run_extras *x = ats_app_get_extras(pn->app);
    const char *mask = s->analysis.mask;
    char heading[96], line[160];
    snprintf(heading, sizeof heading, "AT %s  (click one to put it there)", mask);
    ats_pane_heading(pn, heading);
    int m = ats_app_shown_mask(pn->app);
    if (!x || m < 0) {
        if (s->computing) {
            faint_line(pn, "computing\xE2\x80\xA6");
            return;
        }
        snprintf(line, sizeof line, "Type %s in the text:", mask);
        faint_line(pn, line);
        faint_line(pn, "the model predicts the token there");
        return;
    }
    if (x->n_masked_all > 1)
        snprintf(line, sizeof line, "%s %d of %d, token %d (click another)", mask, m + 1,
                 x->n_masked_all, x->masked_at[m]);
    else
        snprintf(line, sizeof line, "%s is token %d", mask, x->masked_at[m]);
    ats_paint_text(pn->p, pn->x, pn->y, line, UI_SMALL_SIZE * pn->u, UI_MUTED, ATS_ALIGN_START,
                   ATS_VALIGN_TOP, false, pn->w);
    pn->y += 20 * pn->u;
    prediction_rows(pn, x->masked_top[m], x->masked_tokens, m * x->masked_k, x->masked_k);
}

/* The predicted next tokens and the buttons that append one. */
static void prediction(pane *pn) {
    const ats_app_state *s = pn->s;
    const ats_run_extras *x = ats_app_get_extras(pn->app);
    float u = pn->u;
    ats_pane_heading(pn, "NEXT TOKEN  (click one to append it)");
    if (!x || x->n_top == 0) {
        faint_line(pn, s->computing ? "computing\xE2\x80\xA6" : "\xE2\x80\x94");
        return;
    }
    prediction_rows(pn, x->top, x->top_tokens, 0, x->n_top);
    float bw = (pn->w - 6 * u) / 2, bh = 30 * u;
    const char *names[2] = {"Next  (Ctrl+N)", "Sample  (Ctrl+Shift+N)"};
    for (int k = 0; k < 2; k++)
        ats_pane_button(pn, (frect){pn->x + (float)k * (bw + 6 * u), pn->y + 4 * u, bw, bh},
                        names[k], false, ats_pane_hovered(pn, ATS_APP_HIT_NEXT_TOKEN, k),
                        (ats_app_hit){.kind = ATS_APP_HIT_NEXT_TOKEN, .index = k});
    pn->y += bh + 8 * u;
}

/* The aggregate view's four matrices. */
static void aggregate_choice(pane *pn) {
    static const char *const NAMES[ATS_AGGREGATE_COUNT] = {"Mean", "Max", "All", "Rollout"};
    float u = pn->u, gap = 4 * u, bh = 30 * u, bw = (pn->w - 3 * gap) / 4;
    ats_pane_heading(pn, "AGGREGATE  (Ctrl+R)");
    for (int k = 0; k < ATS_AGGREGATE_COUNT; k++)
        ats_pane_button(pn, (frect){pn->x + (float)k * (bw + gap), pn->y, bw, bh}, NAMES[k],
                        pn->s->view.aggregate == (ats_aggregate)k,
                        ats_pane_hovered(pn, ATS_APP_HIT_AGGREGATE, k),
                        (ats_app_hit){.kind = ATS_APP_HIT_AGGREGATE, .index = k});
    pn->y += bh + 6 * u;
    static const char *const WHAT[ATS_AGGREGATE_COUNT] = {
        "the mean over the layer's heads", "the largest weight of any of the layer's heads",
        "the mean over every layer and head",
        "rollout: 0.5 A + 0.5 I, multiplied through the layers"};
    ats_paint_text(pn->p, pn->x, pn->y, WHAT[pn->s->view.aggregate], UI_SMALL_SIZE * u, UI_MUTED,
                   ATS_ALIGN_START, ATS_VALIGN_TOP, false, pn->w);
    pn->y += 18 * u;
}

/* The heads ranked by the metric, best first, at most `n`: a click opens one. */
static void ranking(pane *pn, const ats_run_extras *x, int metric, int n_max) {
    const ats_app_state *s = pn->s;
    int n = s->n_layer * s->n_head, shown = 0;
    const ats_run *run = ats_app_get_run(pn->app);
    if (!x || !x->metrics || !run || ats_run_get_config(run)->n_layer * s->n_head != n)
        return;
    float u = pn->u, row = 22 * u;
    bool *used = calloc((size_t)n, sizeof *used);
    while (used && shown < n_max) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            double v = x->metrics[i].value[metric];
            if (!used[i] && isfinite(v) && (best < 0 || v > x->metrics[best].value[metric]))
                best = i;
        }
        if (best < 0 || x->metrics[best].value[metric] < s->analysis.filter)
            break;
        used[best] = true;
        int l = best / s->n_head, h = best % s->n_head;
        frect r = {pn->x, pn->y, pn->w, row};
        if (ats_pane_hovered(pn, ATS_APP_HIT_RANKED_HEAD, best))
            ats_paint_rect(pn->p, frect_inset(r, -2 * u), 4 * u, UI_HOVER);
        char label[64], value[32];
        snprintf(label, sizeof label, "layer %d \xC2\xB7 head %d", l, h);
        snprintf(value, sizeof value, "%.3f", x->metrics[best].value[metric]);
        ats_paint_text(pn->p, r.x + 2 * u, r.y + 0.5f * row, label, UI_BODY * u, UI_INK,
                       ATS_ALIGN_START, ATS_VALIGN_MIDDLE, false, 0.7f * pn->w);
        ats_paint_text(pn->p, r.x + pn->w, r.y + 0.5f * row, value, UI_BODY * u, UI_MUTED,
                       ATS_ALIGN_END, ATS_VALIGN_MIDDLE, false, 0);
        ats_pane_region(pn, r, (ats_app_hit){.kind = ATS_APP_HIT_RANKED_HEAD, .index = best});
        pn->y += row;
        shown++;
    }
    free(used);
}

/* The grid's metric: which one, the fade filter, and the heads ranked by it. */
static void metric_section(pane *pn) {
    static const char *const SHORT[ATS_METRIC_COUNT] = {"entropy", "prev", "first",
                                                        "self",    "dist", "max"};
    const ats_app_state *s = pn->s;
    float u = pn->u, gap = 4 * u, bh = 28 * u, bw = (pn->w - 3 * gap) / 4;
    ats_pane_heading(pn, "HEAD METRIC ON THE GRID  (Ctrl+M)");
    for (int k = -1; k < ATS_METRIC_COUNT; k++) {
        int i = k + 1;
        frect r = {pn->x + (float)(i % 4) * (bw + gap), pn->y + (float)(i / 4) * (bh + gap), bw,
                   bh};
        ats_pane_button(pn, r, k < 0 ? "none" : SHORT[k], s->analysis.metric == k,
                        ats_pane_hovered(pn, ATS_APP_HIT_METRIC, k),
                        (ats_app_hit){.kind = ATS_APP_HIT_METRIC, .index = k});
    }
    pn->y += 2 * (bh + gap) + 2 * u;
    if (s->analysis.metric < 0)
        return;
    char label[96];
    if (s->analysis.filter > 0)
        snprintf(label, sizeof label, "Fade heads with %s < %.2f",
                 ats_metric_name((ats_metric)s->analysis.metric), (double)s->analysis.filter);
    else
        snprintf(label, sizeof label, "Fade heads below a value (none)");
    ats_paint_text(pn->p, pn->x, pn->y, label, UI_BODY * u, UI_INK, ATS_ALIGN_START, ATS_VALIGN_TOP,
                   false, pn->w);
    pn->y += 22 * u;
    ats_pane_slider(pn, s->analysis.filter, ATS_APP_HIT_FILTER, false);
    pn->y += 6 * u;
    ranking(pn, ats_app_get_extras(pn->app), s->analysis.metric, 6);
}

/* The heads switched off, each a chip that restores it, and "all back on". */
static void ablated_section(pane *pn) {
    const ats_app_state *s = pn->s;
    float u = pn->u, h = 26 * u, gap = 4 * u, x = pn->x;
    ats_pane_heading(pn, "HEADS SWITCHED OFF  (click: back on)");
    for (int l = 0; l < s->n_layer; l++)
        for (int hd = 0; hd < s->n_head; hd++) {
            if (!ats_analysis_head_off(&s->analysis, s->n_head, l, hd))
                continue;
            char label[32];
            snprintf(label, sizeof label, "L%d H%d \xC3\x97", l, hd);
            float w = ats_paint_measure(pn->p, label, UI_BODY * u, false) + 16 * u;
            if (x + w > pn->x + pn->w) {
                x = pn->x;
                pn->y += h + gap;
            }
            ats_pane_button(
                pn, (frect){x, pn->y, w, h}, label, false,
                ats_pane_hovered(pn, ATS_APP_HIT_ABLATED, l * s->n_head + hd),
                (ats_app_hit){.kind = ATS_APP_HIT_ABLATED, .index = l * s->n_head + hd});
            x += w + gap;
        }
    pn->y += h + gap;
    ats_pane_button(pn, (frect){pn->x, pn->y, pn->w, h}, "Every head back on  (Ctrl+Shift+D)",
                    false, ats_pane_hovered(pn, ATS_APP_HIT_ABLATED, -1),
                    (ats_app_hit){.kind = ATS_APP_HIT_ABLATED, .index = -1});
    pn->y += h;
}

void ats_pane_analysis(pane *pn) {
    const ats_app_state *s = pn->s;
    if (s->view.view == ATS_VIEW_AGGREGATE) /* the view's own controls first */
        aggregate_choice(pn);
    if (s->view.view == ATS_VIEW_GRID && !s->seq2seq)
        metric_section(pn);
    if (s->analysis.predicts)
        prediction(pn);
    else if (s->analysis.fills_mask)
        masked_prediction(pn);
    if (s->analysis.n_ablated > 0)
        ablated_section(pn);
}

void ats_pane_analysis_switches(pane *pn) {
    const ats_app_state *s = pn->s;
    ats_pane_heading(pn, "ANALYSIS");
    if (!s->seq2seq) {
        ats_pane_checkbox(pn, "Value-weighted  (Ctrl+W)", s->analysis.value_weighted,
                          (ats_app_hit){.kind = ATS_APP_HIT_VALUE_WEIGHTED});
        ats_pane_checkbox(pn, "Compare with a text B  (Ctrl+B)", s->analysis.compare,
                          (ats_app_hit){.kind = ATS_APP_HIT_COMPARE});
    }
    const ats_run_extras *x = ats_app_get_extras(pn->app);
    if (s->analysis.compare && x && x->compare_error[0])
        ats_paint_wrapped(pn->p, pn->x, pn->y, x->compare_error, UI_SMALL_SIZE * pn->u,
                          UI_ERROR_INK, pn->w, 16 * pn->u, 3, false);
}
