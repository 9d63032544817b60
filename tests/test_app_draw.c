/* The window drawn into memory, no display: its layout (token chips under their spans, the text
 * box's offsets, the views area), hit tests of every kind of control, the overlays (help,
 * banner, menu, loading), presentation and HiDPI scale, a long scrolled text, the export keys
 * (names that never overwrite, the PNG equal to the window's pixels, SVG, data, a long text's
 * layer, an unwritable folder, a write failing halfway), dropped folders, and the sample sentences.
 */
#include "test_support.h"

#include "app_internal.h"
#include "base.h"
#include "draw.h"
#include "export_files.h"
#include "ui_internal.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SENTENCE "The animal didn't cross the street because it was too tired."

/* Frames until the worker is idle and its outcomes are applied. */
static void settle(ats_app *app) {
    for (int i = 0; i < 20000; i++) {
        ats_app_update(app, ats_clock_ms());
        if (!app->state.loading && !app->state.computing && !ats_worker_running(app->worker) &&
            !ats_worker_loading(app->worker)) {
            ats_app_update(app, ats_clock_ms());
            return;
        }
        ats_sleep_ms(1);
    }
    fail_msg("the app did not settle within 20 s");
}

static ats_app *start_with(const char *text, const char *export_dir) {
    ats_app_config cfg = {
        .text = text, .text_len = text ? strlen(text) : 0, .export_dir = export_dir};
    ats_error err;
    ats_app *app;
    if (ats_app_new(&cfg, ats_clock_ms(), &app, &err) != ATS_OK)
        fail_msg("ats_app_new: %s", err.message);
    settle(app);
    return app;
}

static ats_frame frame_of(int w, int h, float scale) {
    ats_frame f = {.scale = scale};
    assert_true(ats_frame_resize(&f, w, h));
    return f;
}

/* The first region of a kind (and index, unless any_index). */
static const region *find_region(const ats_app *app, ats_app_hit_kind kind, int index,
                                 bool any_index) {
    const ats_ui *ui = app->ui;
    for (int i = 0; i < ui->n_regions; i++)
        if (ui->regions[i].hit.kind == kind && (any_index || ui->regions[i].hit.index == index))
            return &ui->regions[i];
    return NULL;
}

/* Frames until a data export in progress has written its files. */
static void wait_export(ats_app *app) {
    for (int i = 0; i < 20000 && ats_app_export_busy(app); i++) {
        ats_app_update(app, ats_clock_ms());
        ats_sleep_ms(1);
    }
    assert_false(ats_app_export_busy(app));
}

/* Hit-tests the middle of the region of that kind and index; fails when there is none. */
static ats_app_hit hit_middle(ats_app *app, ats_frame *f, ats_app_hit_kind kind, int index) {
    const region *r = find_region(app, kind, index, false);
    if (!r)
        fail_msg("no region of kind %d index %d", kind, index);
    return ats_app_hit_test(app, f, r->r.x + 0.5f * r->r.w, r->r.y + 0.5f * r->r.h);
}

/* ---- layout ---------------------------------------------------------------------------------- */

/* Issue 14: a right-to-left line (a Hebrew paragraph with an Arabic and a Latin word): each chip
 * under its own word, though the words run leftwards; none overlaps another. */
static void test_app_draw_chips_under_right_to_left_words(void **state) {
    (void)state;
    ats_app *app = start_with("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D and "
                              "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 ok",
                              NULL);
    ats_frame f = frame_of(1280, 800, 1);
    ats_app_draw(app, &f);
    const ats_run *run = ats_app_get_run(app);
    int T = ats_run_n_tokens(run);
    assert_int_equal(T, 4);
    float first = 0;
    for (int i = 0; i < T; i++) {
        const region *r = find_region(app, ATS_APP_HIT_CHIP, i, false);
        assert_non_null(r);
        const ats_token *tok = ats_tokens_get(ats_run_get_tokens(run), i);
        float a = ats_textbox_x(app->ui, (size_t)tok->start);
        float b = ats_textbox_x(app->ui, (size_t)tok->end);
        float x0 = fminf(a, b), x1 = fmaxf(a, b);
        if (!(r->r.x < x1 && r->r.x + r->r.w > x0))
            fail_msg("chip %d ('%s') spans %.1f..%.1f, its text %.1f..%.1f", i, tok->piece,
                     (double)r->r.x, (double)(r->r.x + r->r.w), (double)x0, (double)x1);
        for (int j = 0; j < i; j++) {
            const region *o = find_region(app, ATS_APP_HIT_CHIP, j, false);
            assert_true(o->r.x + o->r.w <= r->r.x + 0.01f || r->r.x + r->r.w <= o->r.x + 0.01f);
        }
        if (i == 0)
            first = r->r.x;
        else if (i == 3) /* the paragraph reads right to left: the last word leftmost */
            assert_true(r->r.x < first);
    }
    ats_frame_free(&f);
    ats_app_free(app);
}

static void test_app_draw_chips_under_their_spans(void **state) {
    (void)state;
    ats_app *app = start_with(SENTENCE, NULL);
    ats_frame f = frame_of(1280, 800, 1);
    ats_app_draw(app, &f);
    const ats_run *run = ats_app_get_run(app);
    int T = ats_run_n_tokens(run);
    assert_int_equal(T, 12);
    const text_layout *t = &app->ui->text;
    for (int i = 0; i < T; i++) {
        const region *r = find_region(app, ATS_APP_HIT_CHIP, i, false);
        if (!r)
            fail_msg("token %d has no chip", i);
        const ats_token *tok = ats_tokens_get(ats_run_get_tokens(run), i);
        /* under its span: a chip may be wider than a narrow word ("it", "."), never beside it */
        float x0 = ats_textbox_x(app->ui, (size_t)tok->start);
        float x1 = ats_textbox_x(app->ui, (size_t)tok->end);
        if (!(r->r.x < x1 && r->r.x + r->r.w > x0))
            fail_msg("chip %d ('%s') spans %.1f..%.1f, its text %.1f..%.1f", i, tok->piece,
                     (double)r->r.x, (double)(r->r.x + r->r.w), (double)x0, (double)x1);
        if (x1 - x0 > 30) /* a word wide enough for its label: the chip is centred under it */
            assert_true(fabsf(r->r.x + 0.5f * r->r.w - 0.5f * (x0 + x1)) < 2);
        /* under its text's row, in the chip row of its line */
        assert_true(r->r.y >= ats_textbox_line_y(app->ui, (size_t)tok->start) + 0.5f * t->line_h);
        if (i > 0) { /* in order, not overlapping */
            const region *prev = find_region(app, ATS_APP_HIT_CHIP, i - 1, false);
            assert_true(prev->r.x + prev->r.w <= r->r.x + 0.01f);
        }
        ats_app_hit hit = hit_middle(app, &f, ATS_APP_HIT_CHIP, i);
        assert_int_equal(hit.kind, ATS_APP_HIT_CHIP);
        assert_int_equal(hit.index, i);
    }
    /* hovering a chip focuses the token in the views: the heatmap's row label turns bold */
    ats_app_hit hit = hit_middle(app, &f, ATS_APP_HIT_CHIP, 1);
    ats_app_pointer_move(app, &hit);
    assert_int_equal(app->state.view.hover_token, 1);
    assert_true(ats_app_needs_frame(app));
    ats_frame_free(&f);
    ats_app_free(app);
}

static void test_app_draw_text_box_offsets(void **state) {
    (void)state;
    ats_app *app = start_with(SENTENCE, NULL);
    ats_frame f = frame_of(1280, 800, 1);
    ats_app_draw(app, &f);
    const text_layout *t = &app->ui->text;
    float y = t->box.y + 0.5f * t->box.h;
    size_t offsets[] = {0, 4, 11, 17, strlen(SENTENCE)};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        float x = ats_textbox_x(app->ui, offsets[i]);
        ats_app_hit hit = ats_app_hit_test(app, &f, x + 0.5f, y);
        assert_int_equal(hit.kind, ATS_APP_HIT_TEXT);
        assert_int_equal(hit.offset, offsets[i]);
    }
    /* x grows with the offset; a click places the cursor there */
    assert_true(ats_textbox_x(app->ui, 4) > ats_textbox_x(app->ui, 0));
    ats_app_hit hit = ats_app_hit_test(app, &f, ats_textbox_x(app->ui, 11), y);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(ats_editor_cursor(ats_app_get_editor(app)), 11);
    /* the caret is reported for the input method, inside the box */
    ats_app_draw(app, &f);
    assert_true(f.caret_w > 0);
    assert_true(fabsf((float)f.caret_x - ats_textbox_x(app->ui, 11)) <= 1.0f);
    /* a composition shows at the caret and pushes the rest of the text right */
    float after = ats_textbox_x(app->ui, 12);
    ats_app_set_preedit(app, "\xE3\x81\x82", 3); /* hiragana a */
    ats_app_draw(app, &f);
    assert_true(ats_textbox_x(app->ui, 12) > after + 5);
    assert_true(f.caret_x > (int)ats_textbox_x(app->ui, 11) + 5);
    ats_app_set_preedit(app, "", 0);
    ats_frame_free(&f);
    ats_app_free(app);
}

static void test_app_draw_long_text_scrolls(void **state) {
    (void)state;
    /* about 512 tokens: the box scrolls to keep the caret (at the end) in view */
    char *text = malloc(8192);
    text[0] = '\0';
    for (int i = 0; i < 52; i++)
        strcat(text, "the animal did not cross the street because it was tired ");
    ats_app *app = start_with(text, NULL);
    assert_true(ats_run_n_tokens(ats_app_get_run(app)) > 500);
    ats_frame f = frame_of(1280, 800, 1);
    ats_app_draw(app, &f);
    const text_layout *t = &app->ui->text;
    assert_true(t->width > t->box.w * 10);
    assert_true(f.caret_x > t->box.x && f.caret_x < t->box.x + t->box.w);
    /* Home scrolls back to the start */
    ats_app_key(app, (ats_key_event){ATS_KEY_HOME, 0, false}, ats_clock_ms());
    ats_app_draw(app, &f);
    assert_true(fabsf(ats_textbox_x(app->ui, 0) - (t->box.x + 12)) < 1);
    /* only chips of the visible text get regions, and they lie inside the box */
    int chips = 0;
    for (int i = 0; i < app->ui->n_regions; i++)
        if (app->ui->regions[i].hit.kind == ATS_APP_HIT_CHIP) {
            chips++;
            assert_true(app->ui->regions[i].r.x + app->ui->regions[i].r.w <=
                        t->box.x + t->box.w + 1);
        }
    assert_true(chips > 10 && chips < 200);
    /* the heatmap zooms so that a 512-token text can be read */
    ats_app_do(app, ATS_ACTION_FOCUS_VIEWS, 0, false, ats_clock_ms());
    int vx, vy, vw, vh;
    assert_true(ats_ui_view_area(app->ui, &vx, &vy, &vw, &vh));
    ats_app_hit cell =
        ats_app_hit_test(app, &f, (float)vx + 0.5f * (float)vw, (float)vy + 0.6f * (float)vh);
    assert_int_equal(cell.kind, ATS_APP_HIT_CELL);
    for (int i = 0; i < 20; i++) {
        ats_app_wheel(app, &cell, 2);
        ats_app_draw(app, &f);
    }
    assert_true(app->state.view.zoom > 20);
    ats_frame_free(&f);
    ats_app_free(app);
    free(text);
}

/* ---- controls ----------------------------------------------------------------------------------
 */

static void test_app_draw_panel_hits(void **state) {
    (void)state;
    ats_app *app = start_with(SENTENCE, NULL);
    ats_frame f = frame_of(1280, 1600, 1); /* tall: the whole panel without scrolling */
    ats_app_draw(app, &f);
    const ats_app_state *s = ats_app_get_state(app);
    /* view tabs */
    for (int v = 0; v < ATS_VIEW_COUNT; v++) {
        if (!ats_app_view_available((ats_view_kind)v)) {
            assert_null(find_region(app, ATS_APP_HIT_VIEW_TAB, v, false));
            continue;
        }
        ats_app_hit hit = hit_middle(app, &f, ATS_APP_HIT_VIEW_TAB, v);
        assert_int_equal(hit.kind, ATS_APP_HIT_VIEW_TAB);
        ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
        assert_int_equal(s->view.view, v);
        ats_app_draw(app, &f);
    }
    ats_app_state_set_view(&app->state, ATS_VIEW_HEATMAP);
    ats_app_draw(app, &f);
    /* layer and head selectors: one entry each */
    for (int l = 0; l < 2; l++)
        assert_int_equal(hit_middle(app, &f, ATS_APP_HIT_LAYER, l).index, l);
    for (int h = 0; h < 4; h++) {
        ats_app_hit hit = hit_middle(app, &f, ATS_APP_HIT_HEAD, h);
        assert_int_equal(hit.index, h);
        ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
        assert_int_equal(s->view.head, h);
    }
    assert_null(find_region(app, ATS_APP_HIT_HEAD, 4, false));
    /* colormaps, coolwarm among them */
    ats_app_hit hit = hit_middle(app, &f, ATS_APP_HIT_COLORMAP, ATS_COLORMAP_CIVIDIS);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(s->view.colormap, ATS_COLORMAP_CIVIDIS);
    assert_non_null(find_region(app, ATS_APP_HIT_COLORMAP, ATS_COLORMAP_COOLWARM, false));
    /* special tokens: hidden, then what becomes of their weight */
    assert_null(find_region(app, ATS_APP_HIT_SPECIAL_MODE, 1, false));
    hit = hit_middle(app, &f, ATS_APP_HIT_HIDE_SPECIAL, 0);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_true(s->view.hide_special);
    assert_false(s->view.renormalize);
    ats_app_draw(app, &f);
    hit = hit_middle(app, &f, ATS_APP_HIT_SPECIAL_MODE, 1);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_true(s->view.renormalize);
    ats_app_draw(app, &f);
    /* the colour scales, each a button */
    for (int k = ATS_COLOR_SCALE_COUNT - 1; k >= 0; k--) {
        hit = hit_middle(app, &f, ATS_APP_HIT_COLOR_SCALE, k);
        ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
        assert_int_equal(s->view.color_scale, k);
        ats_app_draw(app, &f);
    }
    /* the lines view: head toggles with all / none, and the lines' cut */
    ats_app_state_set_view(&app->state, ATS_VIEW_LINES);
    ats_app_draw(app, &f);
    assert_null(find_region(app, ATS_APP_HIT_HEAD, 0, false));
    hit = hit_middle(app, &f, ATS_APP_HIT_HEAD_TOGGLE, 2);
    assert_false(hit.in_view);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_false(ats_app_state_head_shown(s, 2));
    hit = hit_middle(app, &f, ATS_APP_HIT_HEAD_TOGGLE, ATS_HIT_NO_HEADS);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_false(ats_app_state_head_shown(s, 0));
    hit = hit_middle(app, &f, ATS_APP_HIT_HEAD_TOGGLE, ATS_HIT_ALL_HEADS);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_true(ats_app_state_head_shown(s, 2));
    /* top k by default; the slider picks k from 1 to 10 */
    assert_int_equal(s->view.line_cut, ATS_LINE_CUT_TOP_K);
    const region *slider = find_region(app, ATS_APP_HIT_LINE_AMOUNT, 0, true);
    assert_non_null(slider);
    float y = slider->r.y + 0.5f * slider->r.h;
    assert_true(ats_app_hit_test(app, &f, slider->r.x + 1, y).value == 0.0f);
    assert_true(ats_app_hit_test(app, &f, slider->r.x + slider->r.w - 1, y).value == 1.0f);
    hit = ats_app_hit_test(app, &f, slider->r.x + slider->r.w - 1, y);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(s->view.line_top_k, 10);
    ats_app_draw(app, &f);
    /* the share of the row instead, from 50% to 100% */
    hit = hit_middle(app, &f, ATS_APP_HIT_LINE_CUT, 1);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(s->view.line_cut, ATS_LINE_CUT_MASS);
    ats_app_draw(app, &f);
    slider = find_region(app, ATS_APP_HIT_LINE_AMOUNT, 0, true);
    y = slider->r.y + 0.5f * slider->r.h;
    hit = ats_app_hit_test(app, &f, slider->r.x + 0.5f * slider->r.w, y);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_true(fabsf(s->view.line_mass - 0.75f) < 0.03f);
    ats_app_draw(app, &f);
    /* the lines view's own legend toggles heads too, and says it is in the view */
    int vx, vy, vw, vh;
    ats_ui_view_area(app->ui, &vx, &vy, &vw, &vh);
    bool legend = false;
    for (int yy = vy; yy < vy + 80 && !legend; yy += 2)
        for (int xx = vx; xx < vx + 200 && !legend; xx += 2) {
            ats_app_hit h = ats_app_hit_test(app, &f, (float)xx, (float)yy);
            legend = h.kind == ATS_APP_HIT_HEAD_TOGGLE && h.in_view && h.index == 1;
        }
    assert_true(legend);
    /* export buttons and folder box exist */
    for (int k = 0; k < 3; k++)
        assert_int_equal(hit_middle(app, &f, ATS_APP_HIT_EXPORT, k).index, k);
    assert_int_equal(hit_middle(app, &f, ATS_APP_HIT_EXPORT_DIR, 0).kind, ATS_APP_HIT_EXPORT_DIR);
    ats_frame_free(&f);
    ats_app_free(app);
}

static void test_app_draw_view_hits(void **state) {
    (void)state;
    ats_app *app = start_with(SENTENCE, NULL);
    ats_frame f = frame_of(1280, 800, 1);
    ats_app_draw(app, &f);
    int vx, vy, vw, vh;
    assert_true(ats_ui_view_area(app->ui, &vx, &vy, &vw, &vh));
    /* every cell of the heatmap answers with its own query and key */
    int seen = 0;
    for (int y = vy; y < vy + vh; y += 7)
        for (int x = vx; x < vx + vw; x += 7) {
            ats_app_hit hit = ats_app_hit_test(app, &f, (float)x, (float)y);
            if (hit.kind == ATS_APP_HIT_CELL) {
                seen |= 1 << (hit.index % 12);
                assert_true(hit.index2 >= 0 && hit.index2 < 12);
                assert_true(fabsf(hit.x - (float)(x - vx)) < 0.01f);
            }
        }
    assert_int_equal(seen, (1 << 12) - 1);
    /* hovering a cell shows the readout: the view's pixels change */
    ats_app_hit cell = {0};
    for (int y = vy + vh / 2; cell.kind != ATS_APP_HIT_CELL && y < vy + vh; y++)
        cell = ats_app_hit_test(app, &f, (float)(vx + vw / 4), (float)y);
    uint8_t *before = malloc((size_t)f.stride * f.height);
    memcpy(before, f.rgba, (size_t)f.stride * f.height);
    ats_app_pointer_move(app, &cell);
    ats_app_draw(app, &f);
    assert_true(memcmp(before, f.rgba, (size_t)f.stride * f.height) != 0);
    free(before);
    /* grid thumbnails open in the heatmap */
    ats_app_state_set_view(&app->state, ATS_VIEW_GRID);
    ats_app_draw(app, &f);
    ats_app_hit thumb = {0};
    for (int y = vy; thumb.kind != ATS_APP_HIT_GRID_HEAD && y < vy + vh; y += 3)
        thumb = ats_app_hit_test(app, &f, (float)(vx + vw / 2), (float)y);
    assert_int_equal(thumb.kind, ATS_APP_HIT_GRID_HEAD);
    ats_app_pointer_down(app, &thumb, 1, 0, ats_clock_ms());
    assert_int_equal(app->state.view.view, ATS_VIEW_HEATMAP);
    assert_int_equal(app->state.view.head, thumb.index2);
    ats_frame_free(&f);
    ats_app_free(app);
}

/* ---- overlays and scale ---------------------------------------------------------------------- */

static void test_app_draw_overlays(void **state) {
    (void)state;
    ats_app *app = start_with(SENTENCE, NULL);
    ats_frame f = frame_of(1280, 800, 1);
    /* help: over everything; any click closes it */
    ats_app_do(app, ATS_ACTION_HELP_TOGGLE, 0, false, ats_clock_ms());
    ats_app_draw(app, &f);
    ats_app_hit hit = ats_app_hit_test(app, &f, 640, 400);
    assert_int_equal(hit.kind, ATS_APP_HIT_HELP);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_false(app->state.help_visible);
    /* banner: shown over the views, dismissed by a click */
    ats_app_state_show_banner(&app->state, "broken.gguf: not a GGUF file", true, ats_clock_ms(), 0);
    ats_app_draw(app, &f);
    hit = hit_middle(app, &f, ATS_APP_HIT_BANNER, 0);
    assert_int_equal(hit.kind, ATS_APP_HIT_BANNER);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_string_equal(app->state.banner, "");
    /* the sample menu: its button, then a sentence replaces the text (one undo step) */
    ats_app_draw(app, &f);
    hit = hit_middle(app, &f, ATS_APP_HIT_SAMPLES, 0);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_true(app->state.samples_open);
    ats_app_draw(app, &f);
    const ats_samples *sm = ats_app_get_samples(app);
    assert_true(sm->n >= 5);
    hit = hit_middle(app, &f, ATS_APP_HIT_SAMPLE, 1);
    assert_int_equal(hit.kind, ATS_APP_HIT_SAMPLE);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_false(app->state.samples_open);
    assert_string_equal(ats_editor_text(ats_app_get_editor(app)), sm->texts[1]);
    ats_app_key(app, (ats_key_event){ATS_KEY_Z, ATS_MOD_CTRL, false}, ats_clock_ms());
    assert_string_equal(ats_editor_text(ats_app_get_editor(app)), SENTENCE);
    /* a click outside an open menu closes it; Esc too */
    app->state.samples_open = true;
    ats_app_draw(app, &f);
    hit = ats_app_hit_test(app, &f, 5, 795);
    assert_int_equal(hit.kind, ATS_APP_HIT_MENU_OUTSIDE);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_false(app->state.samples_open);
    /* loading: a visible state while a model loads behind the one shown */
    ats_app_open_model(app, "builtin:demo", ats_clock_ms());
    assert_true(app->state.loading);
    ats_app_draw(app, &f); /* draws the loading indicator over the views */
    assert_true(ats_dl_count(app->ui->over) > 0);
    settle(app);
    ats_frame_free(&f);
    ats_app_free(app);
}

static void test_app_draw_scales(void **state) {
    (void)state;
    ats_app *app = start_with(SENTENCE, NULL);
    ats_frame f = frame_of(1280, 800, 1);
    ats_app_draw(app, &f);
    float chip_h = find_region(app, ATS_APP_HIT_CHIP, 0, false)->r.h;
    float tab_h = find_region(app, ATS_APP_HIT_VIEW_TAB, 0, false)->r.h;
    /* HiDPI: twice the pixels, everything twice as large */
    ats_frame f2 = frame_of(2560, 1600, 2);
    ats_app_set_device_scale(app, 2);
    ats_app_draw(app, &f2);
    assert_true(fabsf(find_region(app, ATS_APP_HIT_CHIP, 0, false)->r.h - 2 * chip_h) < 1);
    assert_true(fabsf(find_region(app, ATS_APP_HIT_VIEW_TAB, 0, false)->r.h - 2 * tab_h) < 1);
    /* presentation mode scales the chrome and the view's text with it */
    ats_app_set_device_scale(app, 1);
    ats_app_do(app, ATS_ACTION_TEXT_LARGER, 0, false, ats_clock_ms());
    ats_app_draw(app, &f);
    assert_true(find_region(app, ATS_APP_HIT_CHIP, 0, false)->r.h > 1.2f * chip_h);
    assert_true(app->state.view.ui_scale > 1.2f);
    /* a small window: the panel scrolls with the wheel */
    ats_frame small = frame_of(640, 420, 1);
    ats_app_draw(app, &small);
    float max = ats_ui_panel_scroll_max(app->ui);
    assert_true(max > 0);
    ats_app_hit panel = {.kind = ATS_APP_HIT_PANEL};
    ats_app_wheel(app, &panel, -100);
    assert_true(app->state.panel_scroll == max);
    ats_app_draw(app, &small); /* every pixel painted, nothing overflows */
    for (int y = 0; y < small.height; y += 7)
        for (int x = 0; x < small.width; x += 7)
            assert_int_equal(small.rgba[(size_t)y * small.stride + 4 * x + 3], 255);
    ats_frame_free(&f);
    ats_frame_free(&f2);
    ats_frame_free(&small);
    ats_app_free(app);
}

/* ---- exports ----------------------------------------------------------------------------------
 */

static int count_files(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
            n++;
    closedir(d);
    return n;
}

static bool file_exists(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_app_draw_export_names(void **state) {
    (void)state;
    ats_view_state st = ats_view_state_default();
    char stem[96];
    st.layer = 3, st.head = 5;
    ats_export_stem(&st, stem, sizeof stem);
    assert_string_equal(stem, "attnscope-heatmap-L3H5");
    st.view = ATS_VIEW_LINES;
    ats_export_stem(&st, stem, sizeof stem);
    assert_string_equal(stem, "attnscope-lines-L3");
    st.view = ATS_VIEW_GRID;
    ats_export_stem(&st, stem, sizeof stem);
    assert_string_equal(stem, "attnscope-grid");

    char *dir = ats_make_temp_dir();
    char path[4096], want[4096];
    ats_error err;
    ats_out_file one = {".png", "x", 1};
    int number;
    assert_int_equal(ats_export_files_write(dir, "s", &one, 1, path, sizeof path, &number, &err),
                     ATS_OK);
    snprintf(want, sizeof want, "%s/s-001.png", dir);
    assert_string_equal(path, want);
    assert_int_equal(number, 1);
    /* the next free number, never over an existing file (a gap is filled) */
    assert_int_equal(ats_export_files_write(dir, "s", &one, 1, path, sizeof path, &number, &err),
                     ATS_OK);
    assert_int_equal(number, 2);
    snprintf(want, sizeof want, "%s/s-001.png", dir);
    unlink(want);
    snprintf(want, sizeof want, "%s/s-003.csv", dir); /* taken by another kind of file */
    FILE *fp = fopen(want, "w");
    fclose(fp);
    ats_out_file group[2] = {{".json", "{}", 2}, {".csv", "a", 1}};
    assert_int_equal(ats_export_files_write(dir, "s", group, 2, path, sizeof path, &number, &err),
                     ATS_OK);
    assert_int_equal(number, 1); /* s-001.* was all free again */
    assert_int_equal(ats_export_files_write(dir, "s", group, 2, path, sizeof path, &number, &err),
                     ATS_OK);
    assert_int_equal(number, 2); /* s-002.png is no .json or .csv */
    assert_int_equal(ats_export_files_write(dir, "s", group, 2, path, sizeof path, &number, &err),
                     ATS_OK);
    assert_int_equal(number, 4); /* s-003.csv is taken */
    assert_true(file_exists(dir, "s-004.json") && file_exists(dir, "s-004.csv"));
    int files = count_files(dir);
    /* an unwritable or missing folder: an error naming it, and nothing left behind */
    assert_int_equal(ats_export_files_write("/proc", "s", &one, 1, path, sizeof path, NULL, &err),
                     ATS_ERR_IO);
    assert_non_null(strstr(err.message, "/proc"));
    snprintf(want, sizeof want, "%s/missing", dir);
    assert_int_equal(ats_export_files_write(want, "s", &one, 1, path, sizeof path, NULL, &err),
                     ATS_ERR_IO);
    assert_non_null(strstr(err.message, "missing"));
    snprintf(want, sizeof want, "%s/s-004.json", dir);
    assert_int_equal(ats_export_files_write(want, "s", &one, 1, path, sizeof path, NULL, &err),
                     ATS_ERR_IO);
    assert_non_null(strstr(err.message, "not a folder"));
    if (geteuid() != 0) { /* root writes anywhere */
        snprintf(want, sizeof want, "%s/ro", dir);
        mkdir(want, 0555);
        assert_int_equal(ats_export_files_write(want, "s", &one, 1, path, sizeof path, NULL, &err),
                         ATS_ERR_IO);
        assert_int_equal(count_files(want), 0);
        rmdir(want);
    }
    assert_int_equal(count_files(dir), files); /* no temporary file stays */
    ats_rmtree(dir);
    free(dir);
}

/* Where an export's trimmed figure sits in the views area (what ats_dl_trim_rect keeps). */
static void export_origin(ats_app *app, int *ox, int *oy) {
    int w, h;
    ats_dl_trim_rect(ats_view_display_list(ats_ui_view(app->ui)), ats_ui_font(app->ui),
                     16.0f * app->state.view.ui_scale, ox, oy, &w, &h);
}

static void test_app_draw_export_is_the_window(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    ats_app *app = start_with(SENTENCE, dir);
    ats_frame f = frame_of(1200, 760, 1);
    const ats_view_kind kinds[3] = {ATS_VIEW_HEATMAP, ATS_VIEW_LINES, ATS_VIEW_GRID};
    for (int k = 0; k < 3; k++) {
        ats_app_state_set_view(&app->state, kinds[k]);
        ats_app_state_set_layer(&app->state, 1);
        ats_app_state_set_head(&app->state, 2);
        app->state.view.colormap = ATS_COLORMAP_MAGMA;
        app->state.view.locked_token = 3;
        ats_app_state_scale_text(&app->state, 1); /* presentation size too */
        app->state.banner[0] = '\0'; /* the last export's notice would cover part of the view */
        ats_app_draw(app, &f);
        char path[4096];
        assert_int_equal(ats_app_export(app, ATS_EXPORT_PNG, ats_clock_ms(), path, sizeof path),
                         ATS_OK);
        assert_false(app->state.banner_is_error);
        assert_non_null(strstr(app->state.banner, path));
        char stem[96];
        ats_export_stem(&app->state.view, stem, sizeof stem);
        assert_non_null(strstr(path, stem));
        assert_non_null(strstr(path, "-001.png"));
        uint8_t *png;
        int w, h, vx, vy, vw, vh;
        ats_error err;
        assert_int_equal(ats_png_read(path, &png, &w, &h, &err), ATS_OK);
        assert_true(ats_ui_view_area(app->ui, &vx, &vy, &vw, &vh));
        /* the figure without the blank around it: inside the views area, and smaller when the
         * figure does not fill it */
        int ox, oy;
        export_origin(app, &ox, &oy);
        assert_true(ox + w <= vw && oy + h <= vh);
        assert_true(w * h < vw * vh);
        /* pixel for pixel what the window shows there */
        int diff = 0;
        for (int y = 0; y < h; y++) {
            const uint8_t *a = png + (size_t)y * w * 4;
            const uint8_t *b = f.rgba + (size_t)(vy + oy + y) * f.stride + (size_t)(vx + ox) * 4;
            if (memcmp(a, b, (size_t)w * 4) == 0)
                continue;
            diff++;
            for (int x = 0; x < w; x++)
                if (memcmp(a + 4 * x, b + 4 * x, 4) != 0) {
                    fprintf(stderr, "row %d of %d, x %d of %d: %d,%d,%d,%d vs %d,%d,%d,%d\n", y, h,
                            x, w, a[4 * x], a[4 * x + 1], a[4 * x + 2], a[4 * x + 3], b[4 * x],
                            b[4 * x + 1], b[4 * x + 2], b[4 * x + 3]);
                    break;
                }
        }
        if (diff)
            fail_msg("%s: %d rows differ from the window", path, diff);
        free(png);
        /* the SVG of the same view */
        assert_int_equal(ats_app_export(app, ATS_EXPORT_SVG, ats_clock_ms(), path, sizeof path),
                         ATS_OK);
        assert_non_null(strstr(path, "-001.svg"));
        ats_app_state_reset_text_scale(&app->state);
    }
    /* a second PNG of the same view gets the next number */
    char path[4096];
    assert_int_equal(ats_app_export(app, ATS_EXPORT_PNG, ats_clock_ms(), path, sizeof path),
                     ATS_OK);
    assert_non_null(strstr(path, "attnscope-grid-002.png"));
    ats_frame_free(&f);
    ats_app_free(app);
    ats_rmtree(dir);
    free(dir);
}

static void test_app_draw_export_data(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    ats_app *app = start_with(SENTENCE, dir);
    ats_frame f = frame_of(800, 600, 1);
    ats_app_draw(app, &f);
    ats_app_state_set_head(&app->state, 1);
    char path[4096];
    /* through the key binding, as Ctrl+E does */
    ats_app_key(app, (ats_key_event){ATS_KEY_E, ATS_MOD_CTRL, false}, ats_clock_ms());
    assert_true(ats_app_export_busy(app)); /* on a thread of its own */
    assert_non_null(strstr(app->state.banner, "saving"));
    /* a second Ctrl+E meanwhile is refused, not queued */
    assert_int_not_equal(ats_app_export(app, ATS_EXPORT_DATA, ats_clock_ms(), NULL, 0), ATS_OK);
    wait_export(app);
    assert_false(app->state.banner_is_error);
    assert_true(file_exists(dir, "attnscope-run-001.json"));
    assert_true(file_exists(dir, "attnscope-run-001.npy"));
    assert_true(file_exists(dir, "attnscope-run-001-L0H1.csv"));
    assert_non_null(strstr(app->state.banner, "attnscope-run-001"));
    snprintf(path, sizeof path, "%s/attnscope-run-001.json", dir);
    json_t *j = ats_load_json_file(path);
    assert_int_equal(json_array_size(json_object_get(j, "tokens")), 12);
    assert_int_equal(json_array_size(json_object_get(j, "attentions")), 2);
    json_decref(j);
    snprintf(path, sizeof path, "%s/attnscope-run-001.npy", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true((size_t)st.st_size >= 2 * 4 * 12 * 12 * 4); /* (L, H, T, T) float32 */
    assert_int_equal(ats_app_export(app, ATS_EXPORT_DATA, ats_clock_ms(), path, sizeof path),
                     ATS_OK);
    ats_app_free(app); /* waits for the export in progress */
    assert_true(file_exists(dir, "attnscope-run-002.json"));
    app = start_with(SENTENCE, dir);
    ats_app_draw(app, &f);
    /* the folder goes away: an error banner, no file */
    ats_rmtree(dir);
    assert_int_not_equal(ats_app_export(app, ATS_EXPORT_PNG, ats_clock_ms(), NULL, 0), ATS_OK);
    assert_true(app->state.banner_is_error);
    assert_non_null(strstr(app->state.banner, dir));
    app->state.banner[0] = '\0';
    assert_int_equal(ats_app_export(app, ATS_EXPORT_DATA, ats_clock_ms(), NULL, 0), ATS_OK);
    wait_export(app);
    assert_true(app->state.banner_is_error);
    assert_non_null(strstr(app->state.banner, dir));
    ats_frame_free(&f);
    ats_app_free(app);
    free(dir);
}

/* A text of about 130 tokens on the built-in model (its JSON is tens of KB per layer). */
static char *long_text(void) {
    size_t cap = 4096, len = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    for (int i = 0; len + 80 < cap && i < 11; i++)
        len += (size_t)snprintf(t + len, cap - len, "%s ", SENTENCE);
    t[len - 1] = '\0';
    return t;
}

/* The app on `text` whose runs keep no attention whole (a budget of one byte: as a long text's
 * run does past 256 MiB), on layer 1 head 2 of the built-in model, drawn once. */
static ats_app *start_on_demand(const char *text, const char *dir, ats_frame *f) {
    ats_app_config cfg = {
        .text = text, .text_len = strlen(text), .export_dir = dir, .attention_budget = 1};
    ats_error err;
    ats_app *app;
    if (ats_app_new(&cfg, ats_clock_ms(), &app, &err) != ATS_OK)
        fail_msg("ats_app_new: %s", err.message);
    settle(app);
    assert_non_null(app->run);
    assert_false(ats_run_attention_kept(app->run));
    ats_app_draw(app, f);
    ats_app_state_set_layer(&app->state, 1);
    ats_app_state_set_head(&app->state, 2);
    return app;
}

/* Reads an NPY file's shape (4 dimensions) and points *data at its float32 values. */
static char *read_npy(const char *path, int shape[4], const float **data) {
    size_t len;
    char *npy = ats_read_file(path, &len);
    assert_non_null(npy);
    assert_memory_equal(npy, "\x93NUMPY\x01\x00", 8);
    size_t header = 10 + ((unsigned char)npy[8] | (size_t)(unsigned char)npy[9] << 8);
    const char *sh = strstr(npy + 10, "'shape': (");
    assert_non_null(sh);
    assert_int_equal(
        sscanf(sh, "'shape': (%d, %d, %d, %d)", &shape[0], &shape[1], &shape[2], &shape[3]), 4);
    assert_int_equal(len, header + (size_t)shape[0] * shape[1] * shape[2] * shape[3] * 4);
    *data = (const float *)(npy + header);
    return npy;
}

/* Ctrl+E on a run that computes its heads on demand writes the layer on screen, every head of it,
 * exactly as ats_run_attention_acquire gives them, the JSON saying which layer it holds, and the
 * notice says so and names the command for the other layers. */
static void test_app_draw_export_data_on_demand(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), *text = long_text();
    ats_frame f = frame_of(800, 600, 1);
    ats_app *app = start_on_demand(text, dir, &f);
    const ats_run *run = app->run;
    int T = ats_run_n_tokens(run), H = ats_run_get_config(run)->n_head;
    assert_true(T > 100 && ats_run_get_config(run)->n_layer > 1);
    ats_app_key(app, (ats_key_event){ATS_KEY_E, ATS_MOD_CTRL, false}, ats_clock_ms());
    wait_export(app);
    assert_false(app->state.banner_is_error);
    assert_non_null(strstr(app->state.banner, "attnscope-run-001"));
    assert_non_null(strstr(app->state.banner, "layer 1 only"));
    assert_non_null(strstr(app->state.banner, "attnscope dump --layer"));
    assert_true(file_exists(dir, "attnscope-run-001-L1H2.csv"));
    char path[4096];
    snprintf(path, sizeof path, "%s/attnscope-run-001.json", dir);
    json_t *j = ats_load_json_file(path);
    assert_non_null(j);
    json_t *layers = json_object_get(j, "layers"), *heads = json_object_get(j, "heads");
    assert_int_equal(json_array_size(layers), 1);
    assert_int_equal(json_integer_value(json_array_get(layers, 0)), 1);
    assert_int_equal(json_array_size(heads), H);
    json_t *att = json_object_get(j, "attentions");
    assert_int_equal(json_array_size(att), 1);
    assert_int_equal(json_array_size(json_array_get(att, 0)), H);
    int shape[4];
    const float *npy;
    snprintf(path, sizeof path, "%s/attnscope-run-001.npy", dir);
    char *npy_bytes = read_npy(path, shape, &npy);
    assert_int_equal(shape[0], 1);
    assert_int_equal(shape[1], H);
    assert_int_equal(shape[2], T);
    assert_int_equal(shape[3], T);
    for (int h = 0; h < H; h++) {
        const float *a;
        ats_error err;
        assert_int_equal(ats_run_attention_acquire(run, 1, h, &a, &err), ATS_OK);
        assert_memory_equal(npy + (size_t)h * T * T, a, (size_t)T * T * sizeof *a);
        json_t *m = json_array_get(json_array_get(att, 0), (size_t)h);
        assert_int_equal(json_array_size(m), T);
        int differ = 0; /* the JSON's numbers read back as the very floats */
        for (int q = 0; q < T; q++) {
            json_t *row = json_array_get(m, (size_t)q);
            assert_int_equal(json_array_size(row), T);
            for (int k = 0; k < T; k++)
                differ += (float)json_number_value(json_array_get(row, (size_t)k)) !=
                          a[(size_t)q * T + k];
        }
        assert_int_equal(differ, 0);
        ats_run_attention_release(run, a);
    }
    free(npy_bytes);
    json_decref(j);
    ats_frame_free(&f);
    ats_app_free(app);
    ats_rmtree(dir);
    free(dir);
    free(text);
}

/* The aggregate view of a run computing its heads on demand: the UI thread asks the head
 * fetcher instead of computing (pending, drawn empty under the card), Ctrl+S meanwhile waits for
 * the matrix (no file until then, the notice says so), and what arrives - the matrix drawn and the
 * attention received - is ats_run_aggregate_make's bit for bit, for the mean of a layer and the
 * mean over every layer. */
static void test_app_draw_aggregate_on_demand(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), *text = long_text();
    ats_frame f = frame_of(800, 600, 1);
    ats_app *app = start_on_demand(text, dir, &f);
    const ats_run *run = app->run;
    int T = ats_run_n_tokens(run), H = ats_run_get_config(run)->n_head;
    int L = ats_run_get_config(run)->n_layer;
    size_t TT = (size_t)T * (size_t)T;
    float *want = malloc(TT * sizeof *want), *want_rec = malloc((size_t)T * sizeof *want_rec);
    assert_non_null(want);
    assert_non_null(want_rec);
    const ats_aggregate modes[2] = {ATS_AGGREGATE_MEAN, ATS_AGGREGATE_ALL};
    for (int i = 0; i < 2; i++) {
        app->state.view.view = ATS_VIEW_AGGREGATE;
        app->state.view.aggregate = modes[i];
        ats_app_update(app, ats_clock_ms()); /* asks the fetcher */
        int done, total;
        assert_true(ats_app_aggregate_pending(app, &done, &total));
        assert_int_equal(total, i == 0 ? H : L * H);
        ats_app_draw(app, &f); /* drawn empty meanwhile: the view is there, not an error */
        assert_true(app->ui->view_ok);
        if (i == 0) { /* a picture asked for now waits for the real numbers */
            ats_app_key(app, (ats_key_event){ATS_KEY_S, ATS_MOD_CTRL, false}, ats_clock_ms());
            assert_non_null(strstr(app->state.banner, "once the aggregate is computed"));
            assert_false(file_exists(dir, "attnscope-aggregate-L1H2-001.png"));
        }
        for (int k = 0; k < 20000 && ats_app_aggregate_pending(app, NULL, NULL); k++) {
            ats_app_update(app, ats_clock_ms());
            ats_sleep_ms(1);
        }
        assert_false(ats_app_aggregate_pending(app, NULL, NULL));
        ats_run_view vd;
        char title[320];
        assert_int_equal(ats_app_view_data(app, &vd, title, sizeof title), ATS_OK);
        ats_error err;
        assert_int_equal(ats_run_aggregate_make(run, modes[i], 1, NULL, want, want_rec, &err),
                         ATS_OK);
        assert_non_null(vd.data.aggregate);
        assert_memory_equal(vd.data.aggregate, want, TT * sizeof *want);
        assert_memory_equal(vd.data.received, want_rec, (size_t)T * sizeof *want_rec);
        ats_run_view_free(&vd);
        if (i == 0) { /* the picture was saved once the matrix was there */
            assert_true(file_exists(dir, "attnscope-aggregate-L1H2-001.png"));
            assert_non_null(strstr(app->state.banner, "saved /"));
        }
    }
    free(want);
    free(want_rec);
    ats_frame_free(&f);
    ats_app_free(app);
    ats_rmtree(dir);
    free(dir);
    free(text);
}

/* A write that fails halfway (the file size limit reached while the JSON is being written, as a
 * full disk would) leaves neither a file nor a temporary, and says where; the next Ctrl+E takes
 * the first number. */
static void test_app_draw_export_data_fails_halfway(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), *text = long_text();
    ats_frame f = frame_of(800, 600, 1);
    ats_app *app = start_on_demand(text, dir, &f);
    /* the size of a whole JSON first, in a folder of its own */
    char *first = ats_make_temp_dir(), path[4096];
    assert_true(ats_app_set_export_dir(app, first, ats_clock_ms()));
    assert_int_equal(ats_app_export(app, ATS_EXPORT_DATA, ats_clock_ms(), NULL, 0), ATS_OK);
    wait_export(app);
    snprintf(path, sizeof path, "%s/attnscope-run-001.json", first);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 40000);
    ats_rmtree(first);
    free(first);
    /* then the same with files limited to half that: the JSON stops in the middle of its heads */
    assert_true(ats_app_set_export_dir(app, dir, ats_clock_ms()));
    struct rlimit old, half;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    half = old;
    half.rlim_cur = (rlim_t)st.st_size / 2;
    void (*was)(int) = signal(SIGXFSZ, SIG_IGN); /* a write past it fails with EFBIG instead */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &half), 0);
    assert_int_equal(ats_app_export(app, ATS_EXPORT_DATA, ats_clock_ms(), NULL, 0), ATS_OK);
    wait_export(app);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, was);
    assert_true(app->state.banner_is_error);
    assert_non_null(strstr(app->state.banner, dir));
    assert_non_null(strstr(app->state.banner, strerror(EFBIG)));
    assert_int_equal(count_files(dir), 0); /* no file, no temporary */
    assert_int_equal(ats_app_export(app, ATS_EXPORT_DATA, ats_clock_ms(), NULL, 0), ATS_OK);
    wait_export(app);
    assert_false(app->state.banner_is_error);
    assert_true(file_exists(dir, "attnscope-run-001.json"));
    assert_int_equal(count_files(dir), 3);
    ats_frame_free(&f);
    ats_app_free(app);
    ats_rmtree(dir);
    free(dir);
    free(text);
}

static void test_app_draw_drops(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    ats_app *app = start_with(SENTENCE, NULL);
    ats_frame f = frame_of(1280, 800, 1);
    ats_app_draw(app, &f);
    char real[4096];
    assert_non_null(realpath(dir, real));
    /* the panel scrolled to its end, where the export box is */
    ats_app_wheel(app, &(ats_app_hit){.kind = ATS_APP_HIT_PANEL}, -100);
    ats_app_draw(app, &f);
    /* a folder dropped on the export box becomes the export folder */
    ats_app_hit box = hit_middle(app, &f, ATS_APP_HIT_EXPORT_DIR, 0);
    ats_app_drop(app, dir, &box, 0, ats_clock_ms());
    assert_string_equal(app->state.export_dir, real);
    assert_false(app->state.banner_is_error);
    assert_false(app->state.loading);
    /* a file dropped there is refused */
    char file[4096];
    snprintf(file, sizeof file, "%s/broken.gguf", dir);
    FILE *fp = fopen(file, "w");
    fputs("GGUF but not a model", fp);
    fclose(fp);
    ats_app_drop(app, file, &box, 0, ats_clock_ms());
    assert_true(app->state.banner_is_error);
    assert_false(app->state.loading);
    /* with Shift, a folder anywhere is for the exports */
    ats_app_hit views = {.kind = ATS_APP_HIT_VIEWS};
    assert_true(ats_app_set_export_dir(app, ".", ats_clock_ms()));
    ats_app_drop(app, dir, &views, ATS_MOD_SHIFT, ats_clock_ms());
    assert_string_equal(app->state.export_dir, real);
    /* anything else opens as a model: a broken file leaves the model and the text */
    ats_app_drop(app, file, &views, 0, ats_clock_ms());
    assert_true(app->state.loading);
    settle(app);
    assert_true(app->state.banner_is_error);
    assert_non_null(strstr(app->state.banner, "broken.gguf"));
    assert_string_equal(app->state.model_name, "builtin:demo");
    assert_string_equal(ats_editor_text(ats_app_get_editor(app)), SENTENCE);
    assert_non_null(ats_app_get_run(app));
    /* a missing export folder is refused */
    assert_false(ats_app_set_export_dir(app, "/nonexistent-dir", ats_clock_ms()));
    assert_string_equal(app->state.export_dir, real);
    ats_frame_free(&f);
    ats_app_free(app);
    ats_rmtree(dir);
    free(dir);
}

static void test_app_draw_samples_file(void **state) {
    (void)state;
    ats_samples s;
    assert_true(ats_samples_parse(&s, "# comment\nA\tThe first.\r\nno tab here\n\tno label\n"
                                      "B\tThe second.\nC\t\n"));
    assert_int_equal(s.n, 2);
    assert_string_equal(s.labels[0], "A");
    assert_string_equal(s.texts[0], "The first.");
    assert_string_equal(s.texts[1], "The second.");
    ats_samples_free(&s);
    /* the program finds the project's file */
    ats_samples_load(&s);
    assert_non_null(s.path);
    assert_non_null(strstr(s.path, "sample-sentences.txt"));
    assert_true(s.n >= 10);
    ats_samples_free(&s);
    assert_false(ats_samples_read(&s, "/nonexistent/samples.txt"));
}

/* T5's cross-attention in the pipeline view: the steps of a target token's query against the
 * source's tokens (the last target token, or one locked on the query side; a source token locked
 * on the key side is no query), drawn, and Ctrl+E's pipeline file says its kind. */
static void test_app_draw_pipeline_t5_cross(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(model, "fixtures/hf/t5-tiny-random");
    char *dir = ats_make_temp_dir();
    static const char SRC[] = "The cat sat on the mat.";
    ats_app_config cfg = {
        .model_path = model, .text = SRC, .text_len = strlen(SRC), .export_dir = dir};
    ats_error err;
    ats_app *app;
    if (ats_app_new(&cfg, ats_clock_ms(), &app, &err) != ATS_OK)
        fail_msg("ats_app_new: %s", err.message);
    settle(app);
    ats_app_state *s = &app->state;
    assert_true(s->seq2seq);
    ats_app_key(app, (ats_key_event){ATS_KEY_T, ATS_MOD_CTRL, false}, ats_clock_ms());
    ats_app_text_input(app, "t", ats_clock_ms()); /* the shortcut's own text: dropped */
    ats_app_text_input(app, "Le chat.", ats_clock_ms());
    settle(app);
    ats_app_do(app, ATS_ACTION_ATTN_KIND, ATS_ATTN_CROSS, false, ats_clock_ms());
    ats_app_state_set_view(s, ATS_VIEW_PIPELINE);
    ats_frame f = frame_of(1280, 900, 1);
    ats_app_draw(app, &f);
    settle(app); /* the run again with the layer's details */
    assert_int_equal(s->attn_kind, ATS_ATTN_CROSS);
    assert_int_equal(s->view.view, ATS_VIEW_PIPELINE);
    ats_app_draw(app, &f);
    assert_true(app->ui->view_ok);
    int Td = ats_run_n_tokens(app->run), Te = ats_run_n_tokens(ats_run_encoder(app->run));
    if (!(Td > 2 && Te > Td / 2))
        fail_msg("Td %d Te %d edit_target %d", Td, Te, s->edit_target);
    assert_int_equal(ats_app_pipeline_token(app), Td - 1);
    ats_run_pipeline pipe;
    assert_int_equal(ats_app_pipeline_make(app, &pipe, &err), ATS_OK);
    assert_true(pipe.data.cross);
    ats_run_pipeline_free(&pipe);
    ats_app_state_click_token(s, 1, ATS_SIDE_KEY); /* a source token: not the query */
    assert_int_equal(ats_app_pipeline_token(app), Td - 1);
    ats_app_state_click_token(s, 2, ATS_SIDE_QUERY);
    assert_int_equal(ats_app_pipeline_token(app), 2);
    s->whatif.causal = 1; /* no mask in cross-attention: the switch is not counted */
    assert_false(ats_app_state_whatif_active(s));
    s->whatif.causal = -1;
    ats_app_draw(app, &f);
    assert_true(app->ui->view_ok);
    assert_int_equal(ats_app_export(app, ATS_EXPORT_DATA, ats_clock_ms(), NULL, 0), ATS_OK);
    wait_export(app);
    assert_false(s->banner_is_error);
    char path[4200];
    snprintf(path, sizeof path, "%s/attnscope-run-001-pipeline-L%dH%dT2.json", dir, s->view.layer,
             s->view.head);
    json_t *j = ats_load_json_file(path);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "cross-attention");
    assert_int_equal(json_array_size(json_object_get(j, "key_tokens")), (size_t)Te);
    assert_int_equal(json_array_size(json_object_get(json_object_get(j, "steps"), "5_weights")),
                     (size_t)Te);
    json_decref(j);
    ats_frame_free(&f);
    ats_app_free(app);
    ats_rmtree(dir);
    free(dir);
}

static void test_app_draw_pipeline(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    ats_app *app = start_with(SENTENCE, dir);
    ats_frame f = frame_of(1280, 900, 1);
    ats_app_state *s = &app->state;
    /* the fourth tab; the run is posted again with the layer's details */
    ats_app_draw(app, &f);
    ats_app_hit hit = hit_middle(app, &f, ATS_APP_HIT_VIEW_TAB, ATS_VIEW_PIPELINE);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(s->view.view, ATS_VIEW_PIPELINE);
    assert_false(ats_app_run_has_detail(app, 0));
    settle(app);
    assert_true(ats_app_run_has_detail(app, 0));
    ats_app_draw(app, &f);
    assert_true(app->ui->view_ok);
    assert_int_equal(ats_app_pipeline_token(app), 11); /* the last token */
    /* another layer: its details are computed */
    ats_app_key(app, (ats_key_event){ATS_KEY_DOWN, 0, false}, ats_clock_ms());
    settle(app);
    assert_true(ats_app_run_has_detail(app, 1));
    ats_app_key(app, (ats_key_event){ATS_KEY_UP, 0, false}, ats_clock_ms());
    settle(app);
    /* Space and Shift+Space step through, with the views focused; the space is not typed */
    ats_app_do(app, ATS_ACTION_FOCUS_VIEWS, 0, false, ats_clock_ms());
    ats_app_key(app, (ats_key_event){ATS_KEY_SPACE, 0, false}, ats_clock_ms());
    ats_app_text_input(app, " ", ats_clock_ms());
    ats_app_key(app, (ats_key_event){ATS_KEY_SPACE, 0, false}, ats_clock_ms());
    ats_app_text_input(app, " ", ats_clock_ms());
    assert_int_equal(s->view.step, 2);
    ats_app_key(app, (ats_key_event){ATS_KEY_SPACE, ATS_MOD_SHIFT, false}, ats_clock_ms());
    assert_int_equal(s->view.step, 1);
    ats_app_key(app, (ats_key_event){ATS_KEY_SPACE, ATS_MOD_SHIFT, false}, ats_clock_ms());
    ats_app_key(app, (ats_key_event){ATS_KEY_SPACE, ATS_MOD_SHIFT, false}, ats_clock_ms());
    assert_int_equal(s->view.step, ATS_PIPELINE_STEPS); /* wraps */
    assert_string_equal(ats_editor_text(ats_app_get_editor(app)), SENTENCE);
    ats_app_draw(app, &f);
    hit = hit_middle(app, &f, ATS_APP_HIT_STEP, 0);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(s->view.step, 0);
    /* clicking a token in any view makes it the query: here its chip */
    hit = hit_middle(app, &f, ATS_APP_HIT_CHIP, 7);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(ats_app_pipeline_token(app), 7);
    /* the what-if switches, marked while on */
    ats_app_draw(app, &f);
    assert_false(ats_app_state_whatif_active(s));
    hit = hit_middle(app, &f, ATS_APP_HIT_WHATIF_SCALE, 0);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_false(s->whatif.scale);
    assert_true(ats_app_state_whatif_active(s));
    hit = hit_middle(app, &f, ATS_APP_HIT_WHATIF_MASK, 1);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(s->whatif.causal, 1);
    const region *slider = find_region(app, ATS_APP_HIT_TEMPERATURE, 0, true);
    assert_non_null(slider);
    hit = ats_app_hit_test(app, &f, slider->r.x + slider->r.w - 1, slider->r.y + 5);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_true(fabsf(s->whatif.temperature - 10.0f) < 0.01f);
    hit = ats_app_hit_test(app, &f, slider->r.x + 0.5f * slider->r.w, slider->r.y + 5);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_true(s->whatif.temperature == 1.0f); /* the middle is the model's own */
    ats_run_pipeline pipe;
    ats_error err;
    assert_int_equal(ats_app_pipeline_make(app, &pipe, &err), ATS_OK);
    assert_false(pipe.data.scaling);
    assert_true(pipe.data.causal);
    assert_int_equal(pipe.data.token, 7);
    ats_run_pipeline_free(&pipe);
    /* the export is the window's view, what-ifs and all */
    s->banner[0] = '\0';
    ats_app_draw(app, &f);
    assert_true(app->ui->view_ok);
    char path[4096];
    assert_int_equal(ats_app_export(app, ATS_EXPORT_PNG, ats_clock_ms(), path, sizeof path),
                     ATS_OK);
    assert_non_null(strstr(path, "attnscope-pipeline-L0H0-001.png"));
    uint8_t *png;
    int w, h, vx, vy, vw, vh;
    assert_int_equal(ats_png_read(path, &png, &w, &h, &err), ATS_OK);
    ats_ui_view_area(app->ui, &vx, &vy, &vw, &vh);
    int ox, oy;
    export_origin(app, &ox, &oy);
    assert_true(ox + w <= vw && oy + h <= vh);
    for (int y = 0; y < h; y++)
        assert_memory_equal(png + (size_t)y * w * 4,
                            f.rgba + (size_t)(vy + oy + y) * f.stride + (size_t)(vx + ox) * 4,
                            (size_t)w * 4);
    free(png);
    /* Ctrl+E in this view also writes the step values with the what-if switches: scaling off,
     * the mask on, for the query 'it' (7), the same numbers the view draws */
    assert_int_equal(ats_app_export(app, ATS_EXPORT_DATA, ats_clock_ms(), NULL, 0), ATS_OK);
    wait_export(app);
    assert_false(s->banner_is_error);
    snprintf(path, sizeof path, "%s/attnscope-run-001-pipeline-L0H0T7.json", dir);
    json_t *j = ats_load_json_file(path);
    assert_non_null(j);
    json_t *wi = json_object_get(j, "what_if");
    assert_true(json_is_true(json_object_get(wi, "active")));
    assert_true(json_is_false(json_object_get(wi, "scaling")));
    assert_string_equal(json_string_value(json_object_get(wi, "causal_mask")), "on");
    assert_int_equal(json_integer_value(json_object_get(j, "query_token")), 7);
    json_t *steps = json_object_get(j, "steps");
    assert_int_equal(ats_app_pipeline_make(app, &pipe, &err), ATS_OK);
    json_t *wts = json_object_get(steps, "5_weights"), *sc = json_object_get(steps, "4_scaled");
    assert_int_equal(json_array_size(wts), 12);
    double total = 0;
    for (size_t k = 0; k < 12; k++) {
        double wk = json_number_value(json_array_get(wts, k));
        total += wk;
        assert_true(fabs(wk - pipe.data.weights[k]) <= 1e-6 * fmax(1, fabs(wk)));
        assert_true(fabs(json_number_value(json_array_get(sc, k)) -
                         json_number_value(json_array_get(json_object_get(steps, "3_scores"), k))) <
                    1e-5); /* not scaled */
        if (k > 7)         /* masked after the query */
            assert_true(wk == 0);
    }
    assert_true(fabs(total - 1) < 1e-5);
    assert_int_equal(json_array_size(json_object_get(steps, "6_output")), 16);
    ats_run_pipeline_free(&pipe);
    json_decref(j);
    ats_frame_free(&f);
    ats_app_free(app);
    ats_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_draw_chips_under_their_spans),
        cmocka_unit_test(test_app_draw_chips_under_right_to_left_words),
        cmocka_unit_test(test_app_draw_text_box_offsets),
        cmocka_unit_test(test_app_draw_long_text_scrolls),
        cmocka_unit_test(test_app_draw_panel_hits),
        cmocka_unit_test(test_app_draw_view_hits),
        cmocka_unit_test(test_app_draw_overlays),
        cmocka_unit_test(test_app_draw_scales),
        cmocka_unit_test(test_app_draw_export_names),
        cmocka_unit_test(test_app_draw_export_is_the_window),
        cmocka_unit_test(test_app_draw_export_data),
        cmocka_unit_test(test_app_draw_export_data_on_demand),
        cmocka_unit_test(test_app_draw_aggregate_on_demand),
        cmocka_unit_test(test_app_draw_export_data_fails_halfway),
        cmocka_unit_test(test_app_draw_drops),
        cmocka_unit_test(test_app_draw_samples_file),
        cmocka_unit_test(test_app_draw_pipeline),
        cmocka_unit_test(test_app_draw_pipeline_t5_cross),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
