/* The side panel, top to bottom: the model and its shape (with the model picker's button and the
 * button that hides the panel), the built-in models, a training folder's replay
 * (draw_panel_training.c), the view tabs, the layer and head selectors (in the lines view: a
 * toggle per head with all / none), the demo head's caption (in the pipeline view: its steps and
 * what-ifs instead), the colormaps, the colour scale, the special tokens, the lines' cut, and the
 * export buttons with the export folder. It scrolls with the wheel when it is taller than the
 * window. Every label wraps rather than being cut. */
#include "panel_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- sections ------------------------------------------------------------------------------ */

static void model_section(pane *pn) {
    const ats_app_state *s = pn->s;
    float u = pn->u, line = 19 * u;
    paint *p = pn->p;
    ats_pane_heading(pn, "MODEL");
    /* at the heading's right: hide the panel (F9) */
    float hw = ats_paint_measure(p, "Hide  F9", UI_SMALL_SIZE * u, false) + 16 * u;
    frect hide = {pn->x + pn->w - hw, pn->y - 24 * u, hw, 22 * u};
    bool hov = ats_pane_hovered(pn, ATS_APP_HIT_PANEL_TOGGLE, 0);
    ats_paint_rect(p, hide, 5 * u, hov ? UI_HOVER : UI_BG);
    ats_paint_text(p, hide.x + 0.5f * hide.w, hide.y + 0.5f * hide.h, "Hide  F9", UI_SMALL_SIZE * u,
                   UI_INK, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE, false, 0);
    ats_pane_region(pn, hide, (ats_app_hit){.kind = ATS_APP_HIT_PANEL_TOGGLE});
    ats_paint_text(p, pn->x, pn->y, s->model_name[0] ? s->model_name : "none yet", 17 * u, UI_INK,
                   ATS_ALIGN_START, ATS_VALIGN_TOP, true, pn->w);
    pn->y += 25 * u;
    char buf[256];
    if (s->n_layer > 0) {
        snprintf(buf, sizeof buf, "%s \xC2\xB7 %s", s->model_arch, s->model_format);
        pn->y += ats_paint_wrapped(p, pn->x, pn->y, buf, UI_SMALL_SIZE * u + u, UI_MUTED, pn->w,
                                   line, 3, false); /* wrapped, never cut */
        snprintf(buf, sizeof buf, "%d layer%s \xC2\xB7 %d head%s \xC2\xB7 %d KV head%s", s->n_layer,
                 s->n_layer == 1 ? "" : "s", s->n_head, s->n_head == 1 ? "" : "s", s->n_kv_head,
                 s->n_kv_head == 1 ? "" : "s");
        pn->y += ats_paint_wrapped(p, pn->x, pn->y, buf, UI_SMALL_SIZE * u + u, UI_MUTED, pn->w,
                                   line, 3, false); /* wrapped, never cut */
        snprintf(buf, sizeof buf, "d_model %d \xC2\xB7 d_head %d \xC2\xB7 %s", s->d_model,
                 s->d_head,
                 s->seq2seq  ? "encoder-decoder"
                 : s->causal ? "causal"
                             : "bidirectional");
        pn->y += ats_paint_wrapped(p, pn->x, pn->y, buf, UI_SMALL_SIZE * u + u, UI_MUTED, pn->w,
                                   line, 3, false); /* wrapped, never cut */
    }
    frect open = {pn->x, pn->y + 2 * u, pn->w, 30 * u};
    ats_pane_button(pn, open, "Open a model\xE2\x80\xA6  (Ctrl+O)", s->picker_open,
                    ats_pane_hovered(pn, ATS_APP_HIT_PICKER, 0),
                    (ats_app_hit){.kind = ATS_APP_HIT_PICKER});
    pn->y += 36 * u;
    if (s->loading) {
        const char *name = strrchr(s->loading_path, '/');
        name = name && name[1] ? name + 1 : s->loading_path;
        snprintf(buf, sizeof buf, "Loading %.200s%.*s", name, s->anim_phase % 4, "...");
        ats_paint_text(p, pn->x, pn->y, buf, UI_BODY * u, UI_ACCENT, ATS_ALIGN_START,
                       ATS_VALIGN_TOP, true, pn->w);
        pn->y += line;
    }
}

/* T5: which attention the views show, and the generate button. */
static void kind_section(pane *pn) {
    static const char *const NAMES[ATS_ATTN_COUNT] = {"Encoder", "Decoder", "Cross"};
    const ats_app_state *s = pn->s;
    float u = pn->u, gap = 6 * u, bh = 30 * u, bw = (pn->w - 2 * gap) / 3;
    ats_pane_heading(pn, "ATTENTION  (Ctrl+K)");
    for (int k = 0; k < ATS_ATTN_COUNT; k++) {
        frect r = {pn->x + (float)k * (bw + gap), pn->y, bw, bh};
        ats_pane_button(pn, r, NAMES[k], (int)s->attn_kind == k,
                        ats_pane_hovered(pn, ATS_APP_HIT_ATTN_KIND, k),
                        (ats_app_hit){.kind = ATS_APP_HIT_ATTN_KIND, .index = k});
    }
    pn->y += bh + 8 * u;
    static const char *const WHAT[ATS_ATTN_COUNT] = {
        "source tokens attend to source tokens", "target tokens attend to earlier target tokens",
        "target tokens (queries) attend to source tokens (keys)"};
    pn->y += ats_paint_wrapped(pn->p, pn->x, pn->y, WHAT[s->attn_kind], UI_SMALL_SIZE * u, UI_MUTED,
                               pn->w, 16 * u, 3, false) +
             2 * u;
    frect g = {pn->x, pn->y, pn->w, bh};
    ats_pane_button(pn, g, "Generate the target  (Ctrl+G)", false,
                    ats_pane_hovered(pn, ATS_APP_HIT_GENERATE, 0),
                    (ats_app_hit){.kind = ATS_APP_HIT_GENERATE});
    pn->y += bh + 10 * u;
}

static void view_tabs(pane *pn) {
    static const char *const NAMES[ATS_VIEW_COUNT] = {"Heatmap", "Lines", "Grid", "Pipeline",
                                                      "Aggregate"};
    float u = pn->u, h = 32 * u;
    ats_pane_heading(pn, "VIEW  (Tab)");
    int n = 0;
    for (int v = 0; v < ATS_VIEW_COUNT; v++)
        n += ats_app_view_available((ats_view_kind)v);
    float size = UI_BODY * u, widest = 0;
    for (int v = 0; v < ATS_VIEW_COUNT; v++) /* every name whole: the text shrinks a little */
        if (ats_app_view_available((ats_view_kind)v))
            widest = fmaxf(widest, ats_paint_measure(pn->p, NAMES[v], size, true));
    /* one row when the names fit at a legible size, else two */
    int per_row = (pn->w - 4 * u) / (float)(n > 0 ? n : 1) - 10 * u >= widest * 11 / UI_BODY
                      ? n
                      : (n + 1) / 2;
    per_row = per_row > 0 ? per_row : 1;
    int rows = (n + per_row - 1) / per_row;
    frect all = {pn->x, pn->y, pn->w, h * (float)rows};
    ats_paint_rect(pn->p, all, 6 * u, UI_BG);
    float w = (pn->w - 4 * u) / (float)per_row;
    if (widest > w - 10 * u)
        size = fmaxf(11 * u, size * (w - 10 * u) / widest);
    int i = 0;
    for (int v = 0; v < ATS_VIEW_COUNT; v++) {
        if (!ats_app_view_available((ats_view_kind)v))
            continue;
        frect r = {pn->x + 2 * u + (float)(i % per_row) * w,
                   pn->y + 2 * u + (float)(i / per_row) * h, w, h - 4 * u};
        bool on = pn->s->view.view == (ats_view_kind)v;
        if (on) {
            ats_paint_rect(pn->p, r, 5 * u, UI_BORDER);
            ats_paint_rect(pn->p, frect_inset(r, u), 4 * u, UI_CARD);
        } else if (ats_pane_hovered(pn, ATS_APP_HIT_VIEW_TAB, v)) {
            ats_paint_rect(pn->p, r, 5 * u, UI_HOVER);
        }
        ats_paint_text(pn->p, r.x + 0.5f * r.w, r.y + 0.5f * r.h, NAMES[v], size,
                       on ? UI_ACCENT : UI_INK, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE, on,
                       r.w - 4 * u);
        ats_pane_region(pn, r, (ats_app_hit){.kind = ATS_APP_HIT_VIEW_TAB, .index = v});
        i++;
    }
    pn->y += h * (float)rows;
}

/* Numbered boxes 0..n-1 that wrap; beyond 64 entries a stepper "‹ 12 of 96 ›". */
static void selector(pane *pn, const char *title, int n, int selected, ats_app_hit_kind kind) {
    float u = pn->u, bw = 32 * u, bh = 28 * u, gap = 4 * u;
    ats_pane_heading(pn, title);
    if (n <= 0) {
        ats_paint_text(pn->p, pn->x, pn->y, "\xE2\x80\x94", UI_BODY * u, UI_FAINT, ATS_ALIGN_START,
                       ATS_VALIGN_TOP, false, 0);
        pn->y += bh;
        return;
    }
    char label[32];
    if (n > 64) {
        frect prev = {pn->x, pn->y, bh * 1.3f, bh},
              next = {pn->x + pn->w - bh * 1.3f, pn->y, bh * 1.3f, bh};
        ats_pane_button(pn, prev, "\xE2\x80\xB9", false, ats_pane_hovered(pn, kind, selected - 1),
                        (ats_app_hit){.kind = kind, .index = selected > 0 ? selected - 1 : 0});
        ats_pane_button(
            pn, next, "\xE2\x80\xBA", false, ats_pane_hovered(pn, kind, selected + 1),
            (ats_app_hit){.kind = kind, .index = selected + 1 < n ? selected + 1 : n - 1});
        snprintf(label, sizeof label, "%d of %d", selected, n);
        ats_paint_text(pn->p, pn->x + 0.5f * pn->w, pn->y + 0.5f * bh, label, UI_BODY * u, UI_INK,
                       ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE, true, 0);
        pn->y += bh;
        return;
    }
    int per_row = (int)((pn->w + gap) / (bw + gap));
    per_row = per_row < 1 ? 1 : per_row;
    for (int i = 0; i < n; i++) {
        frect r = {pn->x + (float)(i % per_row) * (bw + gap),
                   pn->y + (float)(i / per_row) * (bh + gap), bw, bh};
        snprintf(label, sizeof label, "%d", i);
        ats_pane_button(pn, r, label, i == selected, ats_pane_hovered(pn, kind, i),
                        (ats_app_hit){.kind = kind, .index = i});
    }
    pn->y += (float)((n + per_row - 1) / per_row) * (bh + gap) - gap;
}

/* Lines view: which heads' lines are drawn, in the heads' own colours. */
static void head_toggles(pane *pn) {
    const ats_app_state *s = pn->s;
    float u = pn->u, bw = 32 * u, bh = 28 * u, gap = 4 * u;
    ats_pane_heading(pn, "HEADS SHOWN");
    /* all / none at the heading's right */
    float bx = pn->x + pn->w, by = pn->y - 24 * u;
    const char *names[2] = {"none", "all"};
    int which[2] = {ATS_HIT_NO_HEADS, ATS_HIT_ALL_HEADS};
    for (int i = 0; i < 2; i++) {
        float w = ats_paint_measure(pn->p, names[i], UI_SMALL_SIZE * u, false) + 16 * u;
        bx -= w;
        frect r = {bx, by, w, 22 * u};
        bool hov = ats_pane_hovered(pn, ATS_APP_HIT_HEAD_TOGGLE, which[i]);
        ats_paint_rect(pn->p, r, 5 * u, hov ? UI_HOVER : UI_BG);
        ats_paint_text(pn->p, r.x + 0.5f * w, r.y + 0.5f * r.h, names[i], UI_SMALL_SIZE * u, UI_INK,
                       ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE, false, 0);
        ats_pane_region(pn, r, (ats_app_hit){.kind = ATS_APP_HIT_HEAD_TOGGLE, .index = which[i]});
        bx -= 6 * u;
    }
    int per_row = (int)((pn->w + gap) / (bw + gap));
    per_row = per_row < 1 ? 1 : per_row;
    char label[16];
    for (int h = 0; h < s->n_head; h++) {
        frect r = {pn->x + (float)(h % per_row) * (bw + gap),
                   pn->y + (float)(h / per_row) * (bh + gap), bw, bh};
        bool on = ats_app_state_head_shown(s, h);
        ats_rgba c = ats_view_head_color(h);
        if (on) {
            ats_paint_rect(pn->p, r, 5 * u, c);
        } else {
            ats_paint_rect(pn->p, r, 5 * u, UI_BG);
            ats_paint_outline(pn->p, r, fmaxf(1.5f * u, 1), 5 * u, c);
        }
        if (ats_pane_hovered(pn, ATS_APP_HIT_HEAD_TOGGLE, h))
            ats_paint_outline(pn->p, frect_inset(r, -2 * u), fmaxf(u, 1), 6 * u, UI_INK);
        snprintf(label, sizeof label, "%d", h);
        ats_paint_text(pn->p, r.x + 0.5f * r.w, r.y + 0.5f * r.h, label, UI_BODY * u,
                       on ? UI_CARD : UI_MUTED, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE, on,
                       r.w - 4 * u);
        ats_pane_region(pn, r, (ats_app_hit){.kind = ATS_APP_HIT_HEAD_TOGGLE, .index = h});
    }
    pn->y += (float)((s->n_head + per_row - 1) / per_row) * (bh + gap) - gap;
}

/* The hand-built head's one-line explanation (builtin:demo), for the head shown. */
static void caption(pane *pn) {
    const ats_app_state *s = pn->s;
    const ats_model *model = ats_app_get_run_model(pn->app);
    if (!model || s->view.view == ATS_VIEW_LINES)
        return;
    int layer = s->view.layer, head = s->view.head;
    if (s->view.view == ATS_VIEW_GRID && s->view.hover_layer >= 0) {
        layer = s->view.hover_layer;
        head = s->view.hover_head;
    }
    const char *text = ats_model_head_caption(model, layer, head);
    if (!text)
        return;
    float u = pn->u, pad = 10 * u, size = UI_SMALL_SIZE * u + u, line = 18 * u;
    char full[600];
    snprintf(full, sizeof full, "Layer %d, head %d: %s", layer, head, text);
    pn->y += 12 * u;
    float h = ats_paint_wrapped(pn->p, 0, 0, full, size, UI_INK, pn->w - 2 * pad, line, 5, true);
    frect box = {pn->x, pn->y, pn->w, h + 2 * pad - 2 * u};
    ats_paint_rect(pn->p, box, 6 * u, UI_ACCENT_SOFT);
    ats_paint_wrapped(pn->p, pn->x + pad, pn->y + pad, full, size, UI_INK, pn->w - 2 * pad, line, 5,
                      false);
    pn->y += box.h;
}

static void colormaps(pane *pn) {
    static const ats_colormap MAPS[5] = {ATS_COLORMAP_VIRIDIS, ATS_COLORMAP_MAGMA,
                                         ATS_COLORMAP_CIVIDIS, ATS_COLORMAP_GREYS,
                                         ATS_COLORMAP_COOLWARM};
    float u = pn->u, gap = 6 * u, w = (pn->w - 2 * gap) / 3, h = 42 * u;
    ats_pane_heading(pn, "COLORMAP");
    for (int i = 0; i < 5; i++) {
        frect r = {pn->x + (float)(i % 3) * (w + gap), pn->y + (float)(i / 3) * (h + gap), w, h};
        bool on = pn->s->view.colormap == MAPS[i];
        if (on || ats_pane_hovered(pn, ATS_APP_HIT_COLORMAP, (int)MAPS[i]))
            ats_paint_rect(pn->p, r, 6 * u, on ? UI_ACCENT_SOFT : UI_HOVER);
        if (on)
            ats_paint_outline(pn->p, r, fmaxf(2 * u, 1), 6 * u, UI_ACCENT);
        uint8_t grad[64 * 4];
        for (int k = 0; k < 64; k++) {
            ats_rgba c = ats_colormap_sample(MAPS[i], (float)k / 63.0f);
            memcpy(grad + 4 * k, &c, 4);
        }
        frect bar = {r.x + 6 * u, r.y + 7 * u, r.w - 12 * u, 12 * u};
        if (ats_dl_image(pn->p->dl, bar.x, bar.y, bar.w, bar.h, grad, 64, 1, 64 * 4,
                         ATS_IMAGE_SMOOTH) != ATS_OK)
            pn->p->status = ATS_ERR_NOMEM;
        ats_paint_text(pn->p, r.x + 0.5f * r.w, r.y + r.h - 5 * u, ats_colormap_name(MAPS[i]),
                       UI_SMALL_SIZE * u, on ? UI_ACCENT : UI_INK, ATS_ALIGN_CENTER,
                       ATS_VALIGN_BOTTOM, on, r.w - 4 * u);
        ats_pane_region(pn, r, (ats_app_hit){.kind = ATS_APP_HIT_COLORMAP, .index = (int)MAPS[i]});
    }
    pn->y += 2 * h + gap;
    if (ats_colormap_is_diverging(pn->s->view.colormap))
        ats_pane_note(pn, "coolwarm is diverging: blue below zero, red above (the pipeline's "
                          "signed numbers); weights use its red half");
}

/* Which weights the colours span, and in words what the chosen scale does. */
static void color_scales(pane *pn) {
    static const char *const NAMES[ATS_COLOR_SCALE_COUNT] = {"0 to 1", "auto", "min\xE2\x80\x93max",
                                                             "per row", "skip 1st"};
    static const char *const HELP[ATS_COLOR_SCALE_COUNT] = {
        "Colours span weights 0 to 1: a colour means the same in every head.",
        "Colours span 0 to the head's largest weight, so a nearly uniform head shows its "
        "structure.",
        "Colours span the head's smallest to its largest weight.",
        "Each row is coloured 0 to its own largest weight: where each token looks most.",
        "Colours span 0 to the largest weight off the first row and column, which often take "
        "most of the weight."};
    const ats_app_state *s = pn->s;
    ats_pane_heading(pn, "COLOUR SCALE");
    ats_pane_choices(pn, NAMES, ATS_COLOR_SCALE_COUNT, 3, (int)s->view.color_scale,
                     ATS_APP_HIT_COLOR_SCALE, NULL);
    ats_color_scale cs = (unsigned)s->view.color_scale < ATS_COLOR_SCALE_COUNT
                             ? s->view.color_scale
                             : ATS_COLOR_SCALE_FIXED;
    ats_pane_note(pn, HELP[cs]);
}

/* Special tokens shown or hidden, and with them hidden what becomes of their weight. */
static void special_tokens(pane *pn) {
    const ats_app_state *s = pn->s;
    ats_pane_checkbox(pn, "Hide special tokens  (Ctrl+H)", s->view.hide_special,
                      (ats_app_hit){.kind = ATS_APP_HIT_HIDE_SPECIAL});
    if (!s->view.hide_special)
        return;
    static const char *const NAMES[2] = {"weight apart", "renormalize"};
    pn->y += 4 * pn->u;
    ats_pane_choices(pn, NAMES, 2, 2, s->view.renormalize ? 1 : 0, ATS_APP_HIT_SPECIAL_MODE, NULL);
    ats_pane_note(pn, s->view.renormalize
                          ? "Each row is divided by the weight left, so it sums to 1 again "
                            "(the views say so)."
                          : "Their weight is left out; the heatmap shows it in a column of its "
                            "own.");
}

/* Lines view: the top k keys of each query, or the strongest keys up to a share of its row. */
static void line_cut(pane *pn) {
    const ats_app_state *s = pn->s;
    static const char *const NAMES[2] = {"top k", "share of row"};
    ats_pane_heading(pn, "LINES DRAWN");
    bool mass = s->view.line_cut == ATS_LINE_CUT_MASS;
    ats_pane_choices(pn, NAMES, 2, 2, mass ? 1 : 0, ATS_APP_HIT_LINE_CUT, NULL);
    char label[96];
    if (mass)
        snprintf(label, sizeof label, "The strongest keys of each query up to %.0f%% of its row",
                 100.0 * s->view.line_mass);
    else if (s->view.line_top_k == 1)
        snprintf(label, sizeof label, "The strongest key of each query");
    else
        snprintf(label, sizeof label, "The %d strongest keys of each query", s->view.line_top_k);
    ats_pane_note(pn, label);
    pn->y += 4 * pn->u;
    ats_pane_slider(pn, ats_app_line_amount_position(s), ATS_APP_HIT_LINE_AMOUNT, false);
}

/* The folder's path, cut at the front ("…/exports/figures") when it is too wide. */
static void folder_label(pane *pn, const char *dir, float size, float max_w, char *out, size_t n) {
    snprintf(out, n, "%s", dir);
    const char *rest = dir;
    while (ats_paint_measure(pn->p, out, size, false) > max_w) {
        const char *slash = strchr(rest + 1, '/');
        if (!slash)
            break;
        rest = slash;
        snprintf(out, n, "\xE2\x80\xA6%s", rest);
    }
}

static void export_section(pane *pn) {
    static const char *const NAMES[3] = {"PNG", "SVG", "Data"};
    float u = pn->u, gap = 6 * u, h = 32 * u, w = (pn->w - 2 * gap) / 3;
    ats_pane_heading(pn, "EXPORT  (Ctrl+S, Ctrl+Shift+S, Ctrl+E)");
    for (int i = 0; i < 3; i++) {
        frect r = {pn->x + (float)i * (w + gap), pn->y, w, h};
        ats_pane_button(pn, r, NAMES[i], false, ats_pane_hovered(pn, ATS_APP_HIT_EXPORT, i),
                        (ats_app_hit){.kind = ATS_APP_HIT_EXPORT, .index = i});
    }
    pn->y += h + 8 * u;
    frect box = {pn->x, pn->y, pn->w, 46 * u};
    bool hov = ats_pane_hovered(pn, ATS_APP_HIT_EXPORT_DIR, 0);
    ats_paint_rect(pn->p, box, 6 * u, hov ? UI_HOVER : UI_CARD);
    ats_paint_outline(pn->p, box, fmaxf(u, 1), 6 * u, UI_BORDER);
    char label[1100];
    float size = UI_SMALL_SIZE * u + u;
    folder_label(pn, pn->s->export_dir, size, box.w - 20 * u, label, sizeof label);
    ats_paint_text(pn->p, box.x + 10 * u, box.y + 7 * u, label, size, UI_INK, ATS_ALIGN_START,
                   ATS_VALIGN_TOP, false, box.w - 20 * u);
    ats_paint_text(pn->p, box.x + 10 * u, box.y + box.h - 6 * u,
                   "drop a folder here to export there", UI_SMALL_SIZE * u, UI_MUTED,
                   ATS_ALIGN_START, ATS_VALIGN_BOTTOM, false, box.w - 20 * u);
    ats_pane_region(pn, box, (ats_app_hit){.kind = ATS_APP_HIT_EXPORT_DIR});
    pn->y += box.h;
}

void ats_panel_draw(ats_ui *ui, paint *p, const ats_app *app, frect panel) {
    const ats_app_state *s = ats_app_get_state(app);
    float u = p->u, pad = 16 * u;
    ats_paint_card(p, panel, UI_RADIUS * u, UI_CARD, UI_BORDER, fmaxf(u, 1));
    frect clip = frect_inset(panel, 2 * u);
    ats_ui_region(ui, panel, (ats_app_hit){.kind = ATS_APP_HIT_PANEL});
    float scroll = fminf(s->panel_scroll, ats_ui_panel_scroll_max(ui));
    pane pn = {.ui = ui,
               .p = p,
               .app = app,
               .s = s,
               .clip = clip,
               .x = panel.x + pad,
               .w = panel.w - 2 * pad,
               .y = panel.y + pad - 13 * u - fmaxf(scroll, 0),
               .u = u};
    float top = pn.y;
    ats_paint_clip(p, clip);
    model_section(&pn);
    ats_pane_builtin_models(&pn);
    if (s->seq2seq)
        kind_section(&pn);
    ats_pane_training(&pn);
    view_tabs(&pn);
    selector(&pn, "LAYER  (Up / Down)", s->n_layer, s->view.layer, ATS_APP_HIT_LAYER);
    if (s->view.view == ATS_VIEW_LINES)
        head_toggles(&pn);
    else
        selector(&pn, "HEAD  (Left / Right, 0-9)", s->n_head, s->view.head, ATS_APP_HIT_HEAD);
    if (s->view.view == ATS_VIEW_PIPELINE)
        ats_pane_pipeline(&pn);
    else
        caption(&pn); /* the pipeline view writes the caption under its own title */
    ats_pane_analysis(&pn);
    colormaps(&pn);
    /* the scale of the views whose colours stand for weights (the lines: one head's) */
    if (s->view.view == ATS_VIEW_HEATMAP || s->view.view == ATS_VIEW_GRID ||
        s->view.view == ATS_VIEW_LINES)
        color_scales(&pn);
    if (s->view.view == ATS_VIEW_LINES)
        line_cut(&pn);
    ats_pane_heading(&pn, "SPECIAL TOKENS");
    special_tokens(&pn);
    export_section(&pn);
    ats_pane_analysis_switches(&pn);
    ats_paint_unclip(p);
    ui->panel_content_h = pn.y - top + pad;
}

void ats_panel_button_draw(ats_ui *ui, paint *p, const ats_app *app, frect views) {
    const ats_app_state *s = ats_app_get_state(app);
    float u = p->u, size = UI_SMALL_SIZE * u + u;
    const char *label = "\xE2\x98\xB0  Panel  F9";
    float w = ats_paint_measure(p, label, size, false) + 20 * u, h = 28 * u;
    frect r = {views.x + views.w - w - 8 * u, views.y + 8 * u, w, h};
    bool hov = s->hover_control == ATS_APP_HIT_PANEL_TOGGLE;
    ats_paint_rect(p, (frect){r.x, r.y + u, r.w, r.h}, 6 * u, (ats_rgba){0, 0, 0, 25});
    ats_paint_rect(p, r, 6 * u, hov ? UI_HOVER : UI_BG);
    ats_paint_outline(p, r, fmaxf(u, 1), 6 * u, UI_BORDER);
    ats_paint_text(p, r.x + 0.5f * r.w, r.y + 0.5f * r.h, label, size, UI_INK, ATS_ALIGN_CENTER,
                   ATS_VALIGN_MIDDLE, false, 0);
    ats_ui_region(ui, r, (ats_app_hit){.kind = ATS_APP_HIT_PANEL_TOGGLE});
}
