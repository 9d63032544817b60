/* The window's renderer: lays out the cards, draws the chrome into two display lists (under and
 * over the view), builds the view from the app's ats_view_state into the views area, and keeps
 * the regions of the frame for hit tests. */
#include "ui_internal.h"

#include "app_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- regions ----------------------------------------------------------------------------- */

void ats_ui_region(ats_ui *ui, frect r, ats_app_hit hit) {
    if (r.w <= 0 || r.h <= 0)
        return;
    if (ui->n_regions == ui->cap_regions) {
        int cap = ui->cap_regions ? 2 * ui->cap_regions : 256;
        region *a = realloc(ui->regions, (size_t)cap * sizeof *a);
        if (!a) {
            ui->regions_failed = true;
            return;
        }
        ui->regions = a;
        ui->cap_regions = cap;
    }
    ui->regions[ui->n_regions++] = (region){r, hit};
}

/* ---- lifecycle --------------------------------------------------------------------------------
 */

ats_status ats_ui_new(const char *font_path, ats_ui **out, ats_error *err) {
    *out = NULL;
    ats_ui *ui = calloc(1, sizeof *ui);
    if (!ui)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    ats_status s = ats_font_open(font_path, &ui->font, err);
    bool made = s == ATS_OK && ats_view_new(&ui->view) == ATS_OK;
    for (int i = 0; i < 2 && made; i++)
        made = ats_view_new(&ui->stack_views[i]) == ATS_OK;
    made = made && ats_dl_new(1, 1, &ui->base) == ATS_OK && ats_dl_new(1, 1, &ui->over) == ATS_OK;
    if (s == ATS_OK && !made)
        s = ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    if (s != ATS_OK) {
        ats_ui_free(ui);
        return s;
    }
    ui->u = 1;
    ui->panel_shown = true;
    ui->tip_token = -1;
    *out = ui;
    return ATS_OK;
}

void ats_ui_free(ats_ui *ui) {
    if (!ui)
        return;
    ats_view_free(ui->view);
    ats_view_free(ui->stack_views[0]);
    ats_view_free(ui->stack_views[1]);
    ats_dl_free(ui->base);
    ats_dl_free(ui->over);
    ats_font_free(ui->font);
    free(ui->regions);
    free(ui->text.text);
    free(ui->text.chunks);
    free(ui->text.lines);
    free(ui);
}

ats_font *ats_ui_font(ats_ui *ui) {
    return ui->font;
}

bool ats_ui_view_area(const ats_ui *ui, int *x, int *y, int *w, int *h) {
    *x = ui->vx, *y = ui->vy, *w = ui->vw, *h = ui->vh;
    return ui->vw > 0 && ui->vh > 0;
}

const ats_view *ats_ui_view(const ats_ui *ui) {
    return ui->view;
}

unsigned ats_ui_builds(const ats_ui *ui) {
    return ui->builds;
}

static bool build_compare(ats_ui *ui, const ats_app *app, frect area, bool async);

bool ats_ui_compose(ats_ui *ui, const ats_app *app, ats_dl *out) {
    if (!ui->view_ok || ui->n_stacks == 0)
        return false;
    if (ui->pending > 0 && ui->compared && /* heads drawn empty: computed now for the export */
        !build_compare(ui, app, (frect){0, 0, (float)ui->vw, (float)ui->vh}, false))
        return false;
    ats_dl_reset(out, (float)ui->vw, (float)ui->vh);
    bool ok = ats_dl_rect(out, 0, 0, (float)ui->vw, (float)ui->vh, 0, UI_CARD) == ATS_OK;
    for (int k = 0; ok && k < ui->n_stacks; k++)
        ok = ats_dl_append(out, ats_view_display_list(k == 0 ? ui->view : ui->stack_views[k - 1]),
                           (float)ui->stack_x[k], (float)ui->stack_y[k]) == ATS_OK;
    return ok;
}

float ats_ui_panel_scroll_max(const ats_ui *ui) {
    return fmaxf(0, ui->panel_content_h - ui->panel.h);
}

bool ats_ui_panel_visible(const ats_ui *ui) {
    return ui->panel_shown;
}

/* ---- the views area ------------------------------------------------------------------------- */

/* A line in the middle of the views area when there is no view to show. */
static void view_message(paint *p, frect area, const char *title, const char *detail) {
    float u = p->u, cx = area.x + 0.5f * area.w, cy = area.y + 0.5f * area.h;
    ats_paint_rect(p, area, 0, UI_CARD);
    ats_paint_text(p, cx, cy - 4 * u, title, 20 * u, UI_MUTED, ATS_ALIGN_CENTER, ATS_VALIGN_BOTTOM,
                   false, area.w - 40 * u);
    if (detail)
        ats_paint_text(p, cx, cy + 6 * u, detail, UI_BODY * u, UI_FAINT, ATS_ALIGN_CENTER,
                       ATS_VALIGN_TOP, false, area.w - 40 * u);
}

static ats_view *stack_view(ats_ui *ui, int k) {
    return k == 0 ? ui->view : ui->stack_views[k - 1];
}

/* A view of the window draws heads the run has not computed yet as empty and leaves them to the
 * app's fetcher (never computing one on this thread); one for an export computes them. */
static void view_async(const ats_app *app, ats_run_view *vd, bool async) {
    if (async)
        ats_run_view_set_fetcher(vd, app->heads);
}

/* Counts the heads a built view drew empty while they are computed (the placeholder's). */
static void note_pending(ats_ui *ui, const ats_run_view *vd) {
    if (vd->n_pending > 0 && ui->pending == 0) {
        ui->pending_layer = vd->pending_layer;
        ui->pending_head = vd->pending_head;
    }
    ui->pending += vd->n_pending;
}

/* T5's grid: the encoder's, the decoder's and the cross-attention's layers x heads, one above
 * the other, each band as tall as its layers need. The selected layer (clamped to each stack)
 * is outlined in each; the hovered thumbnail's preview shows in its own stack only. */
static bool build_stacks(ats_ui *ui, paint *p, const ats_app *app, frect area) {
    const ats_app_state *s = ats_app_get_state(app);
    const ats_model *model = ats_app_get_run_model(app);
    const ats_run *run = ats_app_get_run(app);
    int layers[3] = {s->n_layer_enc, s->n_layer_dec, s->n_layer_dec};
    float total = (float)(layers[0] + layers[1] + layers[2]), y = 0;
    for (int k = 0; k < 3; k++) {
        ats_run_view vd;
        char title[320];
        if (ats_run_view_make_kind(&vd, model, run, (ats_attn_kind)k, NULL, NULL) != ATS_OK) {
            view_message(p, area, "Out of memory", NULL);
            return false;
        }
        view_async(app, &vd, true);
        snprintf(title, sizeof title, "%s \xC2\xB7 %s", vd.data.model_name,
                 ats_app_kind_title((ats_attn_kind)k));
        vd.data.model_name = title;
        ats_view_state st = s->view;
        st.layer = st.layer < layers[k] ? st.layer : layers[k] - 1;
        if (k != s->hover_kind)
            st.hover_layer = st.hover_head = -1;
        int h = k == 2 ? (int)area.h - (int)y : (int)(area.h * (float)layers[k] / total);
        ui->stack_x[k] = 0;
        ui->stack_w[k] = (int)area.w;
        ui->stack_y[k] = (int)y;
        ui->stack_h[k] = h;
        ats_error err = {0};
        ats_status bs = ats_view_build(stack_view(ui, k), &st, &vd.data, ui->font, area.w,
                                       (float)(h > 1 ? h : 1), &err);
        note_pending(ui, &vd);
        ats_run_view_free(&vd);
        if (bs != ATS_OK) {
            view_message(p, area, "This view cannot be drawn", err.message);
            return false;
        }
        y += (float)h;
    }
    ui->n_stacks = 3;
    ui->builds++;
    return true;
}

/* Builds `data` in state `st` as stack k at x, y, w, h of the views area. */
static ats_status build_panel(ats_ui *ui, int k, const ats_view_state *st, const ats_view_data *d,
                              int x, int y, int w, int h, ats_error *err) {
    ui->stack_x[k] = x;
    ui->stack_w[k] = w;
    ui->stack_y[k] = y;
    ui->stack_h[k] = h;
    return ats_view_build(stack_view(ui, k), st, d, ui->font, (float)(w > 1 ? w : 1),
                          (float)(h > 1 ? h : 1), err);
}

/* A comparison: text A's view, text B's, and for the heatmap and aggregate views their
 * difference A - B as a diverging heatmap (when both have as many tokens), side by side. False
 * (nothing built) while B has not run yet. `async`: heads not computed yet are left to the
 * fetcher (the window's frames); else computed now (an export). */
static bool build_compare(ats_ui *ui, const ats_app *app, frect area, bool async) {
    const ats_app_state *s = ats_app_get_state(app);
    ats_run_view a, b;
    char ta[320], tb[320];
    if (ats_app_compare_view_data(app, &b, tb, sizeof tb) != ATS_OK)
        return false;
    if (ats_app_view_data(app, &a, ta, sizeof ta) != ATS_OK) {
        ats_run_view_free(&b);
        return false;
    }
    view_async(app, &a, async);
    view_async(app, &b, async);
    const char *detail;
    const float *diff = ats_app_compare_difference(app, &detail);
    bool with_diff =
        diff && (s->view.view == ATS_VIEW_HEATMAP || s->view.view == ATS_VIEW_AGGREGATE);
    int n = with_diff ? 3 : 2, W = (int)area.w, H = (int)area.h;
    if (!diff && (s->view.view == ATS_VIEW_HEATMAP || s->view.view == ATS_VIEW_AGGREGATE)) {
        size_t used = strlen(tb); /* why there is no difference to show */
        snprintf(tb + used, sizeof tb - used, " (%d tokens, A %d: no A \xE2\x88\x92 B)",
                 b.data.n_tokens, a.data.n_tokens);
        b.data.model_name = tb;
    }
    /* side by side when each panel stays wide enough; else A and B above, A - B below */
    bool rows = with_diff && (float)W / 3.0f < 0.75f * (float)H;
    int cw = rows ? W / 2 : W / n, ch = rows ? H / 2 : H;
    ats_error err = {0};
    ats_status st = build_panel(ui, 0, &s->view, &a.data, 0, 0, cw, ch, &err);
    if (st == ATS_OK)
        st = build_panel(ui, 1, &s->view, &b.data, cw, 0, rows ? W - cw : cw, ch, &err);
    if (st == ATS_OK && with_diff) {
        ats_view_data d = a.data;
        d.model_name = s->model_name;
        d.n_layer = d.n_head = 1;
        d.attention = diff;
        d.detail = detail;
        d.measure = NULL;
        d.ablated = NULL;
        d.aggregate = NULL;
        d.windows = NULL;
        ats_view_state v = s->view;
        v.view = ATS_VIEW_HEATMAP;
        v.layer = v.head = 0;
        v.colormap = ATS_COLORMAP_COOLWARM;
        v.color_scale = ATS_COLOR_SCALE_AUTO;
        v.zoom = 1;
        v.pan_query = v.pan_key = 0;
        st = rows ? build_panel(ui, 2, &v, &d, 0, ch, W, H - ch, &err)
                  : build_panel(ui, 2, &v, &d, 2 * cw, 0, W - 2 * cw, H, &err);
    }
    ui->pending = 0;
    if (st == ATS_OK) {
        note_pending(ui, &a);
        note_pending(ui, &b);
    }
    ats_run_view_free(&a);
    ats_run_view_free(&b);
    if (st != ATS_OK)
        return false;
    ui->compared = true;
    ui->n_stacks = n;
    ui->builds++;
    return true;
}

/* Builds the view of the shown run into the views area; false (nothing built) without a run or
 * when the build fails, with the reason drawn instead. */
static bool build_view(ats_ui *ui, paint *p, const ats_app *app, frect area) {
    const ats_app_state *s = ats_app_get_state(app);
    const ats_run *run = ats_app_get_run(app);
    const ats_model *model = ats_app_get_run_model(app);
    const ats_editor *src =
        s->seq2seq && s->edit_target ? ats_app_get_other_editor(app) : ats_app_get_editor(app);
    if (s->n_layer > 0 && !s->loading && src && ats_editor_length(src) == 0) {
        /* nothing to run yet: a calm hint, whatever the last text showed */
        view_message(p, area, "Type a sentence above",
                     "or pick one from Samples \xC2\xB7 Ctrl+O opens another model");
        return false;
    }
    if (!run || !model) {
        char title[600];
        const char *detail = NULL;
        if (s->loading) {
            snprintf(title, sizeof title, "Loading %s\xE2\x80\xA6", s->loading_path);
        } else if (s->n_layer == 0) {
            snprintf(title, sizeof title, "No model open");
            detail = "Drop a model file or folder on the window";
        } else if (ats_editor_length(ats_app_get_editor(app)) == 0) {
            snprintf(title, sizeof title, "Type a sentence above");
            detail = "or pick one from Samples";
        } else if (s->run_error[0] && !s->computing) {
            snprintf(title, sizeof title, "This text cannot run");
            detail = s->run_error;
        } else {
            snprintf(title, sizeof title, "Computing\xE2\x80\xA6");
        }
        view_message(p, area, title, detail);
        return false;
    }
    if (s->seq2seq && s->view.view == ATS_VIEW_GRID)
        return build_stacks(ui, p, app, area);
    if (s->analysis.compare && s->view.view != ATS_VIEW_PIPELINE &&
        build_compare(ui, app, area, true))
        return true;
    ats_run_view vd;
    char kind_title[320];
    if (ats_app_view_data(app, &vd, kind_title, sizeof kind_title) != ATS_OK) {
        view_message(p, area, "Out of memory", NULL);
        return false;
    }
    view_async(app, &vd, true);
    ats_error err = {0};
    ats_run_pipeline pipe = {0};
    ats_status st = ATS_OK;
    if (s->view.view == ATS_VIEW_PIPELINE) {
        if (!ats_app_run_has_detail(app, s->view.layer)) {
            ats_run_view_free(&vd);
            char title[64];
            snprintf(title, sizeof title, "Computing layer %d\xE2\x80\xA6", s->view.layer);
            view_message(p, area, title, "the pipeline view needs its queries, keys and values");
            return false;
        }
        st = ats_app_pipeline_make(app, &pipe, &err);
        vd.data.pipeline = &pipe.data;
    }
    if (st == ATS_OK)
        st = ats_view_build(ui->view, &s->view, &vd.data, ui->font, area.w, area.h, &err);
    note_pending(ui, &vd);
    ats_run_pipeline_free(&pipe);
    ats_run_view_free(&vd);
    if (st != ATS_OK) {
        view_message(p, area, "This view cannot be drawn", err.message);
        return false;
    }
    ui->builds++;
    return true;
}

/* ---- the frame --------------------------------------------------------------------------------
 */

static void draw_list(ats_canvas *c, const ats_dl *dl, ats_font *font) {
    ats_error err;
    if (ats_render_draw(c, dl, font, 1.0f, &err) != ATS_OK)
        fprintf(stderr, "attnscope: drawing the window: %s\n", err.message);
}

void ats_ui_draw(ats_ui *ui, const ats_app *app, ats_canvas *c, int caret[4]) {
    const ats_app_state *s = ats_app_get_state(app);
    float u = s->view.ui_scale > 0.1f && s->view.ui_scale < 16 ? s->view.ui_scale : 1.0f;
    float W = (float)c->width, H = (float)c->height;
    ui->u = u;
    ui->width = c->width;
    ui->height = c->height;
    ui->n_regions = 0;
    ui->regions_failed = false;
    memset(ui->caret, 0, sizeof ui->caret);
    ats_dl_reset(ui->base, W, H);
    ats_dl_reset(ui->over, W, H);
    paint p = {.dl = ui->base, .font = ui->font, .u = u};
    ats_canvas_fill(*c, UI_BG); /* much faster than a rectangle over the whole window */

    /* cards: text and tokens on top, views and panel below, status at the bottom */
    float m = roundf(UI_M * u), status_h = roundf(UI_STATUS_H * u);
    bool chips = !s->strip_hidden;
    bool two = ats_app_state_two_boxes(s); /* T5's source and target; a comparison's A and B */
    float line_pitch = (36.0f + (chips ? UI_CHIP_ROW : 0.0f)) * u;
    int max_lines = (int)fmaxf(1.0f, fminf(6.0f, floorf(0.3f * H / line_pitch)));
    float text_h = roundf(ats_textbox_height(app, u, chips, max_lines));
    float other_h = roundf(44 * u); /* the second box, without the keyboard: one line */
    float top_h = roundf(text_h + (two ? other_h + 4 * u : 0) + 10 * u);
    frect top = {m, m, W - 2 * m, top_h};
    frect status = {0, H - status_h, W, status_h};
    float body_y = top.y + top.h + m, body_h = fmaxf(status.y - m * 0.75f - body_y, 10);
    float panel_w = roundf(fminf(UI_PANEL_W * u, 0.36f * W));
    /* the panel: F9 hides or shows it; by itself it steps aside when presentation size would
     * leave the figure less than 60% of the window */
    bool show_panel =
        s->panel == ATS_PANEL_SHOWN ||
        (s->panel == ATS_PANEL_AUTO && !(s->text_scale > 1.0f && W - panel_w - 3 * m < 0.6f * W));
    ui->panel_shown = show_panel;
    frect panel = {W - m - panel_w, body_y, panel_w, body_h};
    frect views = {m, body_y, show_panel ? fmaxf(panel.x - 2 * m, 10) : W - 2 * m, body_h};

    ats_paint_card(&p, top, UI_RADIUS * u, UI_CARD, UI_BORDER, fmaxf(u, 1));
    float samples_w = roundf(fminf(130 * u, 0.25f * top.w));
    float box_x = top.x + 6 * u, box_w = top.w - 18 * u - samples_w;
    frect box = {box_x, top.y + 5 * u, box_w, text_h};
    if (two) { /* "source" above "target" (or A above B); the one with the keyboard is the editor */
        const char *first = s->seq2seq ? "source" : "A", *second = s->seq2seq ? "target" : "B";
        float label_w = roundf(ats_paint_measure(&p, "target", UI_SMALL_SIZE * u, true) + 12 * u);
        float src_h = s->edit_target ? other_h : text_h, tgt_h = s->edit_target ? text_h : other_h;
        frect src = {box.x + label_w, box.y, box.w - label_w, src_h};
        frect tgt = {src.x, box.y + src_h + 4 * u, src.w, tgt_h};
        ats_paint_text(&p, box.x, src.y + 0.5f * fminf(src.h, other_h), first, UI_SMALL_SIZE * u,
                       UI_MUTED, ATS_ALIGN_START, ATS_VALIGN_MIDDLE, !s->edit_target, 0);
        ats_paint_text(&p, box.x, tgt.y + 0.5f * fminf(tgt.h, other_h), second, UI_SMALL_SIZE * u,
                       UI_MUTED, ATS_ALIGN_START, ATS_VALIGN_MIDDLE, s->edit_target, 0);
        ats_textbox_draw(ui, &p, app, s->edit_target ? tgt : src, chips);
        ats_textbox_draw_other(ui, &p, app, s->edit_target ? src : tgt);
    } else {
        ats_textbox_draw(ui, &p, app, box, chips);
    }
    ats_samples_button_draw(ui, &p, app,
                            (frect){box.x + box.w + 6 * u, top.y + 5 * u, samples_w, 44 * u});
    if (chips)
        ats_tokens_draw(ui, &p, app);
    else
        ui->tip_token = -1;

    /* the views card: its inside is the views area, in whole pixels */
    bool views_focus = s->focus == ATS_FOCUS_VIEWS;
    float ring = views_focus ? fmaxf(2 * u, 1) : fmaxf(u, 1);
    ui->vx = (int)ceilf(views.x + ring);
    ui->vy = (int)ceilf(views.y + ring);
    ui->vw = (int)floorf(views.x + views.w - ring) - ui->vx;
    ui->vh = (int)floorf(views.y + views.h - ring) - ui->vy;
    frect area = {(float)ui->vx, (float)ui->vy, (float)ui->vw, (float)ui->vh};
    /* a square frame: the view fills the inside with its own white */
    ats_paint_outline(&p,
                      (frect){area.x - ring, area.y - ring, area.w + 2 * ring, area.h + 2 * ring},
                      ring, 0, views_focus ? UI_ACCENT : UI_BORDER);
    ats_ui_region(ui, area, (ats_app_hit){.kind = ATS_APP_HIT_VIEWS});
    ui->view_ok = false;
    ui->n_stacks = 0;
    ui->compared = false;
    ui->pending = 0;
    if (app->heads) /* heads asked for by earlier frames and not by this one are dropped */
        ats_head_fetcher_begin(app->heads);
    if (ui->vw > 8 && ui->vh > 8)
        ui->view_ok = build_view(ui, &p, app, area);
    ui->view_kind = s->view.view;

    ui->panel = show_panel ? panel : (frect){0, 0, 0, 0};
    if (show_panel)
        ats_panel_draw(ui, &p, app, panel);
    ats_status_draw(ui, &p, app, status);
    draw_list(c, ui->base, ui->font);

    if (ui->view_ok && ui->n_stacks == 0) {
        ats_canvas sub = ats_canvas_sub(*c, ui->vx, ui->vy, ui->vw, ui->vh);
        draw_list(&sub, ats_view_display_list(ui->view), ui->font);
    }
    for (int k = 0; ui->view_ok && k < ui->n_stacks; k++) {
        ats_canvas sub = ats_canvas_sub(*c, ui->vx + ui->stack_x[k], ui->vy + ui->stack_y[k],
                                        ui->stack_w[k], ui->stack_h[k]);
        draw_list(&sub, ats_view_display_list(stack_view(ui, k)), ui->font);
    }

    paint over = {.dl = ui->over, .font = ui->font, .u = u};
    if (!show_panel) /* the way back to the panel */
        ats_panel_button_draw(ui, &over, app, area);
    ats_overlay_draw(ui, &over, app, area);
    ats_tokens_tooltip(ui, &over, app);
    if (s->help_visible)
        ats_help_draw(ui, &over, app);
    if (ats_dl_count(ui->over) > 0)
        draw_list(c, ui->over, ui->font);
    if (p.status != ATS_OK || over.status != ATS_OK)
        fprintf(stderr, "attnscope: drawing the window: out of memory\n");
    memcpy(caret, ui->caret, sizeof ui->caret);
}

/* ---- hit tests ------------------------------------------------------------------------------ */

static ats_app_hit view_hit(ats_ui *ui, float x, float y) {
    float lx = x - (float)ui->vx, ly = y - (float)ui->vy;
    ats_app_hit hit = {
        .kind = ATS_APP_HIT_VIEWS, .index = -1, .index2 = -1, .x = lx, .y = ly, .in_view = true};
    if (!ui->view_ok)
        return hit;
    const ats_view *view = ui->view;
    int stack = 0;
    for (int k = ui->n_stacks - 1; k > 0 && stack == 0; k--)
        if (ly >= (float)ui->stack_y[k] && ly < (float)(ui->stack_y[k] + ui->stack_h[k]) &&
            lx >= (float)ui->stack_x[k] && lx < (float)(ui->stack_x[k] + ui->stack_w[k]))
            stack = k;
    if (ui->n_stacks > 0) { /* several views: the one under the pointer */
        view = stack_view(ui, stack);
        lx -= (float)ui->stack_x[stack];
        ly -= (float)ui->stack_y[stack];
    }
    ats_hit h = ats_view_hit_test(view, lx, ly);
    switch (h.kind) {
    case ATS_HIT_CELL:
        hit.kind = ATS_APP_HIT_CELL;
        hit.index = h.query;
        hit.index2 = h.key;
        break;
    case ATS_HIT_TOKEN:
        hit.kind = ATS_APP_HIT_TOKEN;
        hit.index = h.token;
        hit.side = (int)h.side;
        break;
    case ATS_HIT_THUMB:
        hit.kind = ATS_APP_HIT_GRID_HEAD;
        hit.index = h.layer;
        hit.index2 = h.head;
        hit.side = stack; /* T5: the attention kind of the band */
        break;
    case ATS_HIT_HEAD_KEY: /* the lines legend toggles; the pipeline's head blocks select */
        hit.kind = ui->view_kind == ATS_VIEW_PIPELINE ? ATS_APP_HIT_HEAD : ATS_APP_HIT_HEAD_TOGGLE;
        hit.index = h.head;
        break;
    default:
        break;
    }
    return hit;
}

ats_app_hit ats_ui_hit_test(ats_ui *ui, float x, float y) {
    for (int i = ui->n_regions - 1; i >= 0; i--) {
        const region *r = &ui->regions[i];
        if (!frect_has(r->r, x, y))
            continue;
        ats_app_hit hit = r->hit;
        switch (hit.kind) {
        case ATS_APP_HIT_VIEWS:
            return view_hit(ui, x, y);
        case ATS_APP_HIT_TEXT:
            hit.offset = ats_textbox_offset_at(ui, x, y);
            return hit;
        case ATS_APP_HIT_THRESHOLD:
        case ATS_APP_HIT_LINE_AMOUNT:
        case ATS_APP_HIT_TEMPERATURE:
        case ATS_APP_HIT_FILTER:
        case ATS_APP_HIT_CHECKPOINT:
        case ATS_APP_HIT_TRAIN_PLOT: {
            /* sliders: the knob's radius at each end; the plot: its whole width */
            float pad = hit.kind == ATS_APP_HIT_TRAIN_PLOT ? 0 : 0.5f * r->r.h;
            float t = (x - r->r.x - pad) / fmaxf(r->r.w - 2 * pad, 1);
            hit.value = t < 0 ? 0 : t > 1 ? 1 : t;
            return hit;
        }
        default:
            return hit;
        }
    }
    return (ats_app_hit){.kind = ATS_APP_HIT_NONE, .index = -1, .index2 = -1};
}
