/* Over the views: the banner (errors in red, notices in green; a click dismisses it), the
 * loading indicator while a model loads behind the one shown, the placeholder of heads being
 * computed, and the sample-sentence menu (with its button beside the text box). */
#include "ui_internal.h"

#include "model_list.h"
#include "samples.h"

#include <stdio.h>
#include <string.h>

static void banner(ats_ui *ui, paint *p, const ats_app_state *s, frect views) {
    float u = p->u, pad = 14 * u, size = UI_BODY * u + u, line = 21 * u;
    float w = fminf(views.w - 24 * u, 900 * u), x = views.x + 0.5f * (views.w - w);
    float badge = 22 * u, text_x = x + pad + badge + 10 * u, text_w = w - (text_x - x) - 36 * u;
    float h = ats_paint_wrapped(p, 0, 0, s->banner, size, UI_INK, text_w, line, 3, true) + 2 * pad -
              4 * u;
    h = fmaxf(h, badge + 2 * pad - 6 * u);
    frect r = {x, views.y + 12 * u, w, h};
    ats_rgba bg = s->banner_is_error ? UI_ERROR_BG : UI_NOTICE_BG;
    ats_rgba edge = s->banner_is_error ? UI_ERROR_EDGE : UI_NOTICE_EDGE;
    ats_rgba ink = s->banner_is_error ? UI_ERROR_INK : UI_NOTICE_INK;
    for (int i = 3; i >= 1; i--) /* a soft shadow lifts it off the view */
        ats_paint_rect(p, (frect){r.x, r.y + (float)i * u, r.w, r.h}, 8 * u,
                       (ats_rgba){0, 0, 0, (uint8_t)(10 * (4 - i))});
    ats_paint_rect(p, r, 8 * u, edge);
    ats_paint_rect(p, frect_inset(r, fmaxf(u, 1)), 7 * u, bg);
    float cy = r.y + pad - 2 * u + 0.5f * badge;
    ats_paint_circle(p, x + pad + 0.5f * badge, cy, 0.5f * badge, ink);
    ats_paint_text(p, x + pad + 0.5f * badge, cy, s->banner_is_error ? "!" : "\xE2\x9C\x93", 13 * u,
                   bg, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE, true, 0);
    ats_paint_wrapped(p, text_x, r.y + pad - 3 * u, s->banner, size, ink, text_w, line, 3, false);
    ats_paint_text(p, r.x + r.w - 14 * u, cy, "\xC3\x97", 18 * u, ink, ATS_ALIGN_END,
                   ATS_VALIGN_MIDDLE, false, 0);
    ats_ui_region(ui, r, (ats_app_hit){.kind = ATS_APP_HIT_BANNER});
}

/* A pill at the bottom of the views while a model loads behind the one shown. */
static void loading(paint *p, const ats_app_state *s, frect views) {
    float u = p->u, size = UI_BODY * u + u;
    const char *name = strrchr(s->loading_path, '/');
    name = name && name[1] ? name + 1 : s->loading_path;
    char text[600];
    snprintf(text, sizeof text, "Loading %s", name);
    float tw = fminf(ats_paint_measure(p, text, size, true), views.w - 120 * u);
    float w = tw + 84 * u, h = 40 * u;
    frect r = {views.x + 0.5f * (views.w - w), views.y + views.h - h - 18 * u, w, h};
    ats_paint_rect(p, (frect){r.x, r.y + 2 * u, r.w, r.h}, 0.5f * h, (ats_rgba){0, 0, 0, 30});
    ats_paint_rect(p, r, 0.5f * h, UI_ACCENT);
    for (int i = 0; i < 3; i++) { /* three dots, one lit at a time */
        bool lit = s->anim_phase % 3 == i;
        ats_paint_circle(p, r.x + 22 * u + (float)i * 11 * u, r.y + 0.5f * h, 3.5f * u,
                         lit ? UI_CARD : (ats_rgba){255, 255, 255, 110});
    }
    ats_paint_text(p, r.x + 62 * u, r.y + 0.5f * h, text, size, UI_CARD, ATS_ALIGN_START,
                   ATS_VALIGN_MIDDLE, true, tw);
}

/* A card in the middle of the views while heads they draw are computed in the background (a
 * long text's run computes each head when asked): the views draw those heads empty meanwhile,
 * and the next frame after the fetcher's wake draws them. The aggregate view's mean or max over
 * many heads counts them as they come. */
static void computing(paint *p, const ats_ui *ui, const ats_app *app, frect views) {
    const ats_app_state *s = ats_app_get_state(app);
    float u = p->u, size = UI_BODY * u + 2 * u, h = 44 * u;
    char text[160];
    int done, total; /* (over both texts of a comparison) */
    bool agg = s->view.view == ATS_VIEW_AGGREGATE && ats_app_aggregate_pending(app, &done, &total);
    if (agg && s->view.aggregate == ATS_AGGREGATE_ALL)
        snprintf(text, sizeof text,
                 "Computing the mean over every layer and head\xE2\x80\xA6 %d/%d", done, total);
    else if (agg)
        snprintf(text, sizeof text,
                 "Computing the %s of layer %d\xE2\x80\x99s %d heads\xE2\x80\xA6 %d/%d",
                 s->view.aggregate == ATS_AGGREGATE_MAX ? "max" : "mean", s->view.layer, s->n_head,
                 done, total);
    else if (ui->pending == 1)
        snprintf(text, sizeof text, "Computing layer %d \xC2\xB7 head %d\xE2\x80\xA6",
                 ui->pending_layer, ui->pending_head);
    else
        snprintf(text, sizeof text, "Computing %d heads of layer %d\xE2\x80\xA6", ui->pending,
                 ui->pending_layer);
    float tw = fminf(ats_paint_measure(p, text, size, false), views.w - 80 * u);
    float w = tw + 48 * u;
    frect r = {views.x + 0.5f * (views.w - w), views.y + 0.5f * (views.h - h), w, h};
    for (int i = 3; i >= 1; i--) /* a soft shadow lifts it off the view */
        ats_paint_rect(p, (frect){r.x, r.y + (float)i * u, r.w, r.h}, 8 * u,
                       (ats_rgba){0, 0, 0, (uint8_t)(10 * (4 - i))});
    ats_paint_card(p, r, 8 * u, UI_CARD, UI_BORDER, fmaxf(u, 1));
    ats_paint_text(p, r.x + 0.5f * r.w, r.y + 0.5f * h, text, size, UI_MUTED, ATS_ALIGN_CENTER,
                   ATS_VALIGN_MIDDLE, false, tw);
}

static void samples_menu(ats_ui *ui, paint *p, const ats_app *app) {
    const ats_app_state *s = ats_app_get_state(app);
    const ats_samples *sm = ats_app_get_samples(app);
    float u = p->u, item = 48 * u, pad = 8 * u;
    float W = (float)ui->width, H = (float)ui->height;
    ats_ui_region(ui, (frect){0, 0, W, H}, (ats_app_hit){.kind = ATS_APP_HIT_MENU_OUTSIDE});
    frect b = ui->samples_button;
    float w = fminf(620 * u, W - 2 * UI_M * u);
    float h = fminf((float)sm->n * item + 2 * pad, H - 2 * UI_M * u);
    float x = fmaxf(UI_M * u, b.x + b.w - w);
    float y = b.y + b.h + 4 * u;
    if (y + h > H - UI_M * u) /* no room below: open upwards */
        y = fmaxf(UI_M * u, b.y - 4 * u - h);
    frect r = {x, y, w, h};
    for (int i = 4; i >= 1; i--)
        ats_paint_rect(p, (frect){r.x, r.y + (float)i * 1.5f * u, r.w, r.h}, 8 * u,
                       (ats_rgba){0, 0, 0, (uint8_t)(9 * (5 - i))});
    ats_paint_rect(p, r, 8 * u, UI_BORDER);
    ats_paint_rect(p, frect_inset(r, fmaxf(u, 1)), 7 * u, UI_CARD);
    ats_paint_clip(p, frect_inset(r, fmaxf(u, 1)));
    for (int i = 0; i < sm->n; i++) {
        frect it = {r.x + pad, r.y + pad + (float)i * item, r.w - 2 * pad, item};
        if (it.y + it.h > r.y + r.h)
            break;
        if (s->hover_control == ATS_APP_HIT_SAMPLE && s->hover_index == i)
            ats_paint_rect(p, it, 6 * u, UI_HOVER);
        ats_paint_text(p, it.x + 12 * u, it.y + 7 * u, sm->labels[i], UI_BODY * u, UI_INK,
                       ATS_ALIGN_START, ATS_VALIGN_TOP, true, it.w - 24 * u);
        ats_paint_text(p, it.x + 12 * u, it.y + it.h - 7 * u, sm->texts[i], UI_SMALL_SIZE * u + u,
                       UI_MUTED, ATS_ALIGN_START, ATS_VALIGN_BOTTOM, false, it.w - 24 * u);
        ats_ui_region(ui, it, (ats_app_hit){.kind = ATS_APP_HIT_SAMPLE, .index = i});
    }
    ats_paint_unclip(p);
}

void ats_samples_button_draw(ats_ui *ui, paint *p, const ats_app *app, frect r) {
    const ats_app_state *s = ats_app_get_state(app);
    float u = p->u;
    bool open = s->samples_open, hov = s->hover_control == ATS_APP_HIT_SAMPLES;
    ats_paint_rect(p, r, 6 * u, open ? UI_ACCENT_SOFT : hov ? UI_HOVER : UI_BG);
    ats_paint_text(p, r.x + 14 * u, r.y + 0.5f * r.h, "Samples", UI_BODY * u + u, UI_INK,
                   ATS_ALIGN_START, ATS_VALIGN_MIDDLE, false, r.w - 40 * u);
    ats_paint_text(p, r.x + r.w - 12 * u, r.y + 0.5f * r.h, open ? "\xE2\x96\xB4" : "\xE2\x96\xBE",
                   UI_BODY * u, UI_MUTED, ATS_ALIGN_END, ATS_VALIGN_MIDDLE, false, 0);
    ats_ui_region(ui, r, (ats_app_hit){.kind = ATS_APP_HIT_SAMPLES});
    ui->samples_button = r;
}

/* The path as far as it fits, cut at the front ("…/hub/models--gpt2/snapshots/1a2b"). */
static void tail_of(paint *p, const char *path, float size, float max_w, char *out, size_t n) {
    snprintf(out, n, "%s", path);
    const char *rest = path;
    while (ats_paint_measure(p, out, size, false) > max_w) {
        const char *slash = strchr(rest + 1, '/');
        if (!slash)
            break;
        rest = slash;
        snprintf(out, n, "\xE2\x80\xA6%s", rest);
    }
}

/* The model picker: the built-in models, the recent ones, the Hugging Face cache's and this
 * folder's, under headings; a click (or Enter on the selected one) opens a model. */
static void picker(ats_ui *ui, paint *p, const ats_app *app) {
    const ats_app_state *s = ats_app_get_state(app);
    const ats_model_list *ml = ats_app_get_models(app);
    float u = p->u, W = (float)ui->width, H = (float)ui->height;
    float item = 44 * u, pad = 12 * u, title_h = 46 * u;
    ats_ui_region(ui, (frect){0, 0, W, H}, (ats_app_hit){.kind = ATS_APP_HIT_MENU_OUTSIDE});
    ats_paint_rect(p, (frect){0, 0, W, H}, 0, (ats_rgba){20, 24, 30, 90});
    /* rows: a heading before each source's first entry, then the entries */
    int rows = 0;
    for (int i = 0; i < ml->n; i++)
        rows += 1 + (i == 0 || ml->entries[i].source != ml->entries[i - 1].source);
    float w = fminf(720 * u, W - 4 * UI_M * u);
    float h = fminf(title_h + (float)rows * item + 2 * pad + 20 * u, H - 4 * UI_M * u);
    frect r = {0.5f * (W - w), fmaxf(2 * UI_M * u, 0.5f * (H - h) - 40 * u), w, h};
    for (int i = 4; i >= 1; i--)
        ats_paint_rect(p, (frect){r.x, r.y + (float)i * 1.5f * u, r.w, r.h}, 10 * u,
                       (ats_rgba){0, 0, 0, (uint8_t)(9 * (5 - i))});
    ats_paint_rect(p, r, 10 * u, UI_CARD);
    ats_paint_text(p, r.x + pad + 6 * u, r.y + pad, "Open a model", 20 * u, UI_INK, ATS_ALIGN_START,
                   ATS_VALIGN_TOP, true, 0);
    ats_paint_text(
        p, r.x + r.w - pad - 6 * u, r.y + pad + 4 * u,
        "Up / Down, Enter opens \xC2\xB7 Esc closes \xC2\xB7 or drop a file on the window",
        UI_SMALL_SIZE * u, UI_MUTED, ATS_ALIGN_END, ATS_VALIGN_TOP, false, r.w - 200 * u);
    frect list = {r.x + pad, r.y + title_h, r.w - 2 * pad, r.h - title_h - pad};
    /* scrolled so that the selected entry shows */
    int per_page = (int)fmaxf(1, floorf(list.h / item));
    int first = s->picker_scroll, sel_row = 0;
    for (int i = 0, row = 0; i <= s->picker_sel && i < ml->n; i++) {
        row += 1 + (i == 0 || ml->entries[i].source != ml->entries[i - 1].source);
        sel_row = row - 1;
    }
    if (sel_row < first)
        first = sel_row;
    if (sel_row >= first + per_page)
        first = sel_row - per_page + 1;
    first = first > rows - per_page ? rows - per_page : first;
    first = first < 0 ? 0 : first;
    ats_paint_clip(p, list);
    float y = list.y - (float)first * item;
    char detail[1024];
    for (int i = 0; i < ml->n; i++) {
        const ats_model_entry *e = &ml->entries[i];
        if (i == 0 || e->source != ml->entries[i - 1].source) {
            ats_paint_text(p, list.x + 6 * u, y + item - 8 * u, ats_model_source_title(e->source),
                           UI_HEADING * u, UI_MUTED, ATS_ALIGN_START, ATS_VALIGN_BOTTOM, true, 0);
            y += item;
        }
        frect it = {list.x, y, list.w, item - 2 * u};
        bool on = i == s->picker_sel;
        bool hov = s->hover_control == ATS_APP_HIT_PICKER_ENTRY && s->hover_index == i;
        if (on || hov)
            ats_paint_rect(p, it, 6 * u, on ? UI_ACCENT_SOFT : UI_HOVER);
        ats_paint_text(p, it.x + 12 * u, it.y + 5 * u, e->name, UI_BODY * u, UI_INK,
                       ATS_ALIGN_START, ATS_VALIGN_TOP, on, it.w - 24 * u);
        if (e->source != ATS_MODEL_BUILTIN) {
            tail_of(p, e->path, UI_SMALL_SIZE * u, it.w - 24 * u, detail, sizeof detail);
            ats_paint_text(p, it.x + 12 * u, it.y + it.h - 4 * u, detail, UI_SMALL_SIZE * u,
                           UI_MUTED, ATS_ALIGN_START, ATS_VALIGN_BOTTOM, false, it.w - 24 * u);
        }
        frect vis = {it.x, fmaxf(it.y, list.y), it.w, 0};
        vis.h = fminf(it.y + it.h, list.y + list.h) - vis.y;
        if (vis.h > 0)
            ats_ui_region(ui, vis, (ats_app_hit){.kind = ATS_APP_HIT_PICKER_ENTRY, .index = i});
        y += item;
    }
    if (ml->n <= 2)
        ats_paint_text(p, list.x + 12 * u, y + 8 * u,
                       "No other model found in the Hugging Face cache or this folder.",
                       UI_SMALL_SIZE * u + u, UI_MUTED, ATS_ALIGN_START, ATS_VALIGN_TOP, false,
                       list.w - 24 * u);
    ats_paint_unclip(p);
}

void ats_overlay_draw(ats_ui *ui, paint *p, const ats_app *app, frect views) {
    const ats_app_state *s = ats_app_get_state(app);
    if (ui->pending > 0 || (ui->view_ok && s->view.view == ATS_VIEW_AGGREGATE &&
                            ats_app_aggregate_pending(app, NULL, NULL)))
        computing(p, ui, app, views);
    if (s->loading && ats_app_get_run(app))
        loading(p, s, views);
    if (s->banner[0])
        banner(ui, p, s, views);
    if (s->samples_open)
        samples_menu(ui, p, app);
    if (s->picker_open)
        picker(ui, p, app);
}
