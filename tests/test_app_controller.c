/* The app controller with the real worker on builtin:demo: the first load and run, typing that
 * reruns, keys in each focus, pointer hits, model loads that fail or succeed, stale outcomes,
 * token spans during an edit, and the latency records. No window. */
#include "test_support.h"

#include "app.h"
#include "app_internal.h"
#include "base.h"
#include "draw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Runs frames until the worker is idle and its outcomes are applied (fails after 20 s). */
static void settle(ats_app *app) {
    for (int i = 0; i < 20000; i++) {
        ats_app_update(app, ats_clock_ms());
        const ats_app_state *s = ats_app_get_state(app);
        if (!s->loading && !s->computing && !ats_worker_running(app->worker) &&
            !ats_worker_loading(app->worker)) {
            ats_app_update(app, ats_clock_ms());
            if (ats_app_needs_frame(app))
                ats_app_frame_presented(app, ats_clock_ms(), 0.5);
            return;
        }
        ats_sleep_ms(1);
    }
    fail_msg("the app did not settle within 20 s");
}

static ats_app *start(const ats_app_config *cfg) {
    ats_error err;
    ats_app *app;
    if (ats_app_new(cfg, ats_clock_ms(), &app, &err) != ATS_OK)
        fail_msg("ats_app_new: %s", err.message);
    settle(app);
    return app;
}

static ats_app *start_default(void) {
    ats_app_config cfg = {0};
    return start(&cfg);
}

static void press(ats_app *app, ats_key k, unsigned mods) {
    ats_app_key(app, (ats_key_event){k, mods, false}, ats_clock_ms());
}

static void type(ats_app *app, const char *s) {
    ats_app_text_input(app, s, ats_clock_ms());
}

static const char *text_of(ats_app *app) {
    return ats_editor_text(ats_app_get_editor(app));
}

/* ---- start ---------------------------------------------------------------------------------- */

static void test_app_controller_first_run(void **state) {
    (void)state;
    ats_app_config cfg = {0};
    ats_error err;
    ats_app *app;
    assert_int_equal(ats_app_new(&cfg, ats_clock_ms(), &app, &err), ATS_OK);
    const ats_app_state *s = ats_app_get_state(app);
    assert_true(s->loading); /* loading from the first frame */
    assert_string_equal(s->loading_path, "builtin:demo");
    assert_null(ats_app_get_run(app));
    assert_true(ats_app_needs_frame(app));
    settle(app);
    assert_false(s->loading);
    assert_string_equal(s->model_name, "builtin:demo");
    assert_string_equal(s->model_arch, "demo");
    assert_int_equal(s->n_layer, 2);
    assert_int_equal(s->n_head, 4);
    assert_non_null(ats_app_get_run(app));
    assert_non_null(ats_app_get_run_model(app));
    size_t len;
    const char *run_text = ats_app_get_run_text(app, &len);
    assert_string_equal(run_text, ATS_APP_SAMPLE_TEXT);
    assert_string_equal(text_of(app), ATS_APP_SAMPLE_TEXT);
    assert_int_equal(s->timings.n_tokens, ats_run_n_tokens(ats_app_get_run(app)));
    assert_int_equal(s->n_tokens, s->timings.n_tokens);
    assert_true(s->timings.tokenize_ms >= 0 && s->timings.forward_ms >= 0);
    assert_string_equal(s->run_error, "");
    assert_string_equal(s->banner, "");
    assert_int_equal(s->focus, ATS_FOCUS_TEXT);
    assert_false(ats_app_needs_frame(app));
    /* the latency of the first result is recorded */
    ats_latency_record r;
    assert_true(ats_latency_last(ats_app_get_latency(app), &r));
    assert_true(r.ok);
    assert_int_equal(r.n_tokens, s->n_tokens);
    ats_app_free(app);
    ats_app_free(NULL);
}

static void test_app_controller_create_rejects_bad_text(void **state) {
    (void)state;
    ats_app_config cfg = {.text = "bad \xFF", .text_len = 5};
    ats_error err;
    ats_app *app;
    assert_int_equal(ats_app_new(&cfg, 0, &app, &err), ATS_ERR_ARG);
    assert_null(app);
    assert_non_null(strstr(err.message, "--text"));
    assert_non_null(strstr(err.message, "UTF-8"));
    cfg = (ats_app_config){.text = "0123456789", .text_len = 10, .max_text_bytes = 4};
    assert_int_equal(ats_app_new(&cfg, 0, &app, &err), ATS_ERR_ARG);
    assert_non_null(strstr(err.message, "limited to 4 bytes"));
    cfg = (ats_app_config){.latency_log_path = "/nonexistent-dir/lat.log"};
    assert_int_equal(ats_app_new(&cfg, 0, &app, &err), ATS_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent-dir/lat.log"));
}

/* ---- typing -----------------------------------------------------------------------------------
 */

static void test_app_controller_typing_reruns(void **state) {
    (void)state;
    ats_app_config cfg = {.text = "The cat", .text_len = 7};
    ats_app *app = start(&cfg);
    int before = ats_app_get_state(app)->n_tokens;
    int records = ats_latency_count(ats_app_get_latency(app));
    type(app, " ");
    type(app, "s");
    type(app, "a");
    type(app, "t");
    assert_string_equal(text_of(app), "The cat sat");
    assert_true(ats_app_needs_frame(app));
    settle(app);
    size_t len;
    assert_string_equal(ats_app_get_run_text(app, &len), "The cat sat");
    assert_int_equal(ats_app_get_state(app)->n_tokens, before + 1);
    /* the frame that showed it closed a latency record covering the keystrokes */
    assert_true(ats_latency_count(ats_app_get_latency(app)) > records);
    ats_latency_record r;
    assert_true(ats_latency_last(ats_app_get_latency(app), &r));
    assert_int_equal(r.n_bytes, 11);
    assert_true(r.edits >= 1);
    assert_true(r.latency_ms >= 0 && r.oldest_ms >= r.latency_ms);
    ats_app_free(app);
}

static void test_app_controller_edit_errors_show_a_banner(void **state) {
    (void)state;
    ats_app_config cfg = {.text = "abc", .text_len = 3, .max_text_bytes = 6};
    ats_app *app = start(&cfg);
    const ats_app_state *s = ats_app_get_state(app);
    type(app, "\xFF");
    assert_string_equal(text_of(app), "abc");
    assert_true(s->banner_is_error);
    assert_non_null(strstr(s->banner, "UTF-8"));
    type(app, "defg");
    assert_string_equal(text_of(app), "abc");
    assert_non_null(strstr(s->banner, "limited to 6 bytes"));
    /* copy without a clipboard says so */
    press(app, ATS_KEY_A, ATS_MOD_CTRL);
    press(app, ATS_KEY_C, ATS_MOD_CTRL);
    assert_non_null(strstr(s->banner, "clipboard"));
    /* the banner goes away */
    ats_app_update(app, ats_clock_ms() + ATS_BANNER_MS + 1);
    assert_string_equal(s->banner, "");
    ats_app_free(app);
}

static void test_app_controller_empty_text_keeps_previous_run(void **state) {
    (void)state;
    ats_app *app = start_default();
    const ats_run *run = ats_app_get_run(app);
    assert_non_null(run);
    int n = ats_app_get_state(app)->n_tokens;
    press(app, ATS_KEY_A, ATS_MOD_CTRL);
    press(app, ATS_KEY_BACKSPACE, 0);
    assert_string_equal(text_of(app), "");
    settle(app);
    const ats_app_state *s = ats_app_get_state(app);
    assert_non_null(strstr(s->run_error, "no tokens"));
    assert_ptr_equal(ats_app_get_run(app), run); /* the previous result stays shown */
    assert_int_equal(s->n_tokens, n);
    press(app, ATS_KEY_Z, ATS_MOD_CTRL); /* undo brings the text back; it runs again */
    settle(app);
    assert_string_equal(s->run_error, "");
    assert_string_equal(text_of(app), ATS_APP_SAMPLE_TEXT);
    ats_app_free(app);
}

static void test_app_controller_shortcut_text_is_not_typed(void **state) {
    (void)state;
    ats_app_config cfg = {.text = "x", .text_len = 1};
    ats_app *app = start(&cfg);
    const ats_app_state *s = ats_app_get_state(app);
    /* X11 sends Ctrl+plus as a key press and the text "+" */
    press(app, ATS_KEY_PLUS, ATS_MOD_CTRL | ATS_MOD_SHIFT);
    type(app, "+");
    assert_true(s->text_scale > 1.0f);
    assert_string_equal(text_of(app), "x");
    press(app, ATS_KEY_MINUS, ATS_MOD_CTRL);
    type(app, "-");
    assert_string_equal(text_of(app), "x");
    /* an unbound key press lets its text through; so does a text after a plain binding */
    press(app, ATS_KEY_NONE, ATS_MOD_SHIFT);
    type(app, "+");
    press(app, ATS_KEY_DOWN, 0);
    type(app, "-");
    assert_string_equal(text_of(app), "x+-");
    settle(app);
    ats_app_free(app);
}

static void test_app_controller_undo_group_closes_after_pause(void **state) {
    (void)state;
    ats_app_config cfg = {.text = "x", .text_len = 1};
    ats_app *app = start(&cfg);
    double t = ats_clock_ms();
    ats_app_text_input(app, "a", t);
    ats_app_text_input(app, "b", t + 10);
    ats_app_update(app, t + 2000); /* a pause */
    ats_app_text_input(app, "c", t + 2010);
    press(app, ATS_KEY_Z, ATS_MOD_CTRL);
    assert_string_equal(text_of(app), "xab");
    press(app, ATS_KEY_Z, ATS_MOD_CTRL);
    assert_string_equal(text_of(app), "x");
    press(app, ATS_KEY_Y, ATS_MOD_CTRL);
    press(app, ATS_KEY_Z, ATS_MOD_CTRL | ATS_MOD_SHIFT);
    assert_string_equal(text_of(app), "xabc");
    settle(app);
    ats_app_free(app);
}

/* ---- a fake clipboard -------------------------------------------------------------------------
 */

static char clip[256];

static char *clip_get(void *user) {
    (void)user;
    return clip[0] ? strdup(clip) : NULL;
}

static bool clip_set(void *user, const char *text, size_t len) {
    (void)user;
    snprintf(clip, sizeof clip, "%.*s", (int)len, text);
    return true;
}

static void test_app_controller_clipboard_keys(void **state) {
    (void)state;
    ats_app_config cfg = {.text = "one two", .text_len = 7};
    ats_app *app = start(&cfg);
    ats_clipboard cb = {.get_text = clip_get, .set_text = clip_set};
    ats_app_set_clipboard(app, &cb);
    clip[0] = '\0';
    press(app, ATS_KEY_LEFT, ATS_MOD_CTRL | ATS_MOD_SHIFT); /* select "two" */
    press(app, ATS_KEY_X, ATS_MOD_CTRL);
    assert_string_equal(clip, "two");
    assert_string_equal(text_of(app), "one ");
    press(app, ATS_KEY_HOME, 0);
    press(app, ATS_KEY_V, ATS_MOD_CTRL);
    assert_string_equal(text_of(app), "twoone ");
    settle(app);
    size_t len;
    assert_string_equal(ats_app_get_run_text(app, &len), "twoone ");
    ats_app_free(app);
}

/* ---- keys and focus ------------------------------------------------------------------------- */

static void test_app_controller_keys_and_focus(void **state) {
    (void)state;
    ats_app *app = start_default();
    const ats_app_state *s = ats_app_get_state(app);
    size_t cursor = ats_editor_cursor(ats_app_get_editor(app));
    /* text focus: Left moves the cursor, the head stays */
    press(app, ATS_KEY_LEFT, 0);
    assert_int_equal(ats_editor_cursor(ats_app_get_editor(app)), cursor - 1);
    assert_int_equal(s->view.head, 0);
    /* Up/Down work in the text box too, clamped to the model's 2 layers */
    press(app, ATS_KEY_DOWN, 0);
    press(app, ATS_KEY_DOWN, 0);
    press(app, ATS_KEY_DOWN, 0);
    assert_int_equal(s->view.layer, 1);
    press(app, ATS_KEY_UP, 0);
    assert_int_equal(s->view.layer, 0);
    /* Esc hands the keys to the views: Left/Right are heads now, clamped to 4 */
    press(app, ATS_KEY_ESCAPE, 0);
    assert_int_equal(s->focus, ATS_FOCUS_VIEWS);
    press(app, ATS_KEY_RIGHT, 0);
    assert_int_equal(s->view.head, 1);
    press(app, ATS_KEY_LEFT, 0);
    press(app, ATS_KEY_LEFT, 0);
    assert_int_equal(s->view.head, 0);
    type(app, "2");
    assert_int_equal(s->view.head, 2);
    type(app, "9"); /* clamped */
    assert_int_equal(s->view.head, 3);
    assert_string_equal(text_of(app), ATS_APP_SAMPLE_TEXT); /* nothing typed */
    type(app, "?");
    assert_true(s->help_visible);
    /* Esc closes the help first, then unlocks, then (in the text box) leaves it */
    ats_app_hit token = {.kind = ATS_APP_HIT_TOKEN, .index = 1};
    ats_app_pointer_down(app, &token, 1, 0, ats_clock_ms());
    assert_int_equal(s->view.locked_token, 1);
    press(app, ATS_KEY_ESCAPE, 0);
    assert_false(s->help_visible);
    assert_int_equal(s->view.locked_token, 1);
    press(app, ATS_KEY_ESCAPE, 0);
    assert_int_equal(s->view.locked_token, -1);
    /* other typing goes back to the text box, and is not lost */
    type(app, "!");
    assert_int_equal(s->focus, ATS_FOCUS_TEXT);
    assert_true(strchr(text_of(app), '!') != NULL);
    /* Ctrl+Enter gives the views the keys; an editing key brings the text box back */
    press(app, ATS_KEY_RETURN, ATS_MOD_CTRL);
    assert_int_equal(s->focus, ATS_FOCUS_VIEWS);
    press(app, ATS_KEY_BACKSPACE, 0);
    assert_int_equal(s->focus, ATS_FOCUS_TEXT);
    assert_string_equal(text_of(app), ATS_APP_SAMPLE_TEXT);
    /* Enter in the text box starts a new line; in the views it hands the keys back */
    press(app, ATS_KEY_RETURN, 0);
    assert_int_equal(s->focus, ATS_FOCUS_TEXT);
    assert_non_null(strchr(text_of(app), '\n'));
    assert_int_equal(strlen(text_of(app)), strlen(ATS_APP_SAMPLE_TEXT) + 1);
    press(app, ATS_KEY_BACKSPACE, 0);
    press(app, ATS_KEY_ESCAPE, 0);
    assert_int_equal(s->focus, ATS_FOCUS_VIEWS);
    press(app, ATS_KEY_RETURN, 0);
    assert_int_equal(s->focus, ATS_FOCUS_TEXT);
    assert_string_equal(text_of(app), ATS_APP_SAMPLE_TEXT);
    /* views, help, size, full screen, quit */
    press(app, ATS_KEY_TAB, 0);
    assert_int_equal(s->view.view, ATS_VIEW_LINES);
    press(app, ATS_KEY_TAB, ATS_MOD_SHIFT);
    press(app, ATS_KEY_TAB, ATS_MOD_SHIFT);
    assert_int_equal(s->view.view, ATS_VIEW_AGGREGATE); /* wraps around */
    press(app, ATS_KEY_TAB, ATS_MOD_SHIFT);
    assert_int_equal(s->view.view, ATS_VIEW_PIPELINE);
    press(app, ATS_KEY_F1, 0);
    assert_true(s->help_visible);
    press(app, ATS_KEY_F1, 0);
    assert_false(s->help_visible);
    press(app, ATS_KEY_PLUS, ATS_MOD_CTRL);
    assert_true(s->text_scale > 1.0f);
    press(app, ATS_KEY_0, ATS_MOD_CTRL);
    assert_true(s->text_scale == 1.0f);
    press(app, ATS_KEY_MINUS, ATS_MOD_CTRL);
    assert_true(s->text_scale < 1.0f);
    press(app, ATS_KEY_F11, 0);
    assert_true(s->fullscreen);
    /* a held F11 does not flicker; a held Down keeps stepping */
    ats_app_key(app, (ats_key_event){ATS_KEY_F11, 0, true}, ats_clock_ms());
    assert_true(s->fullscreen);
    ats_app_key(app, (ats_key_event){ATS_KEY_DOWN, 0, true}, ats_clock_ms());
    assert_int_equal(s->view.layer, 1);
    assert_false(s->quit_requested);
    press(app, ATS_KEY_Q, ATS_MOD_CTRL);
    assert_true(s->quit_requested);
    settle(app);
    ats_app_free(app);
}

/* ---- pointer ------------------------------------------------------------------------------------
 */

static void test_app_controller_pointer(void **state) {
    (void)state;
    ats_app *app = start_default();
    const ats_app_state *s = ats_app_get_state(app);
    /* hover a token, then a cell, then a grid head */
    ats_app_hit hit = {.kind = ATS_APP_HIT_TOKEN, .index = 2};
    ats_app_pointer_move(app, &hit);
    assert_int_equal(s->view.hover_token, 2);
    assert_true(ats_app_needs_frame(app));
    ats_app_frame_presented(app, ats_clock_ms(), 1);
    ats_app_pointer_move(app, &hit);
    assert_false(ats_app_needs_frame(app)); /* same thing hovered: no redraw */
    hit = (ats_app_hit){.kind = ATS_APP_HIT_CELL, .index = 3, .index2 = 1};
    ats_app_pointer_move(app, &hit);
    assert_int_equal(s->view.hover_token, -1);
    assert_int_equal(s->view.hover_query, 3);
    assert_int_equal(s->view.hover_key, 1);
    hit = (ats_app_hit){.kind = ATS_APP_HIT_GRID_HEAD, .index = 1, .index2 = 3};
    ats_app_pointer_move(app, &hit);
    assert_int_equal(s->view.hover_layer, 1);
    assert_int_equal(s->view.hover_head, 3);
    assert_int_equal(s->view.hover_query, -1);
    /* clicking a grid head opens it in the heatmap */
    ats_app_state_set_view(&app->state, ATS_VIEW_GRID);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    ats_app_pointer_up(app);
    assert_int_equal(s->view.view, ATS_VIEW_HEATMAP);
    assert_int_equal(s->view.layer, 1);
    assert_int_equal(s->view.head, 3);
    assert_int_equal(s->focus, ATS_FOCUS_VIEWS);
    /* wheel zooms around the pointer and drag pans, on the view as drawn last */
    ats_frame f = {.scale = 1.0f};
    assert_true(ats_frame_resize(&f, 1000, 700));
    ats_app_draw(app, &f);
    hit = (ats_app_hit){.kind = ATS_APP_HIT_CELL, .index = 0, .index2 = 0, .x = 300, .y = 300};
    ats_app_wheel(app, &hit, 3);
    ats_app_wheel(app, &hit, 3); /* steps between two frames add up */
    assert_true(s->view.zoom > 2.2f);
    ats_app_draw(app, &f);
    float pan = s->view.pan_key;
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    ats_app_pointer_drag(app, &hit, -10, 0);
    ats_app_pointer_drag(app, &hit, -10, 0);
    ats_app_pointer_up(app);
    assert_true(s->view.pan_key > pan); /* the content follows the pointer to the left */
    float pan2 = s->view.pan_key;
    ats_app_draw(app, &f);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    ats_app_pointer_drag(app, &hit, -20, 0);
    assert_true(fabsf((s->view.pan_key - pan2) - (pan2 - pan)) < 1e-3f); /* 20 px either way */
    ats_app_pointer_up(app);
    hit.kind = ATS_APP_HIT_CHIP; /* wheel elsewhere does nothing */
    float zoom = s->view.zoom;
    ats_app_wheel(app, &hit, 3);
    assert_true(s->view.zoom == zoom);
    ats_frame_free(&f);
    /* side-panel style hits */
    hit = (ats_app_hit){.kind = ATS_APP_HIT_VIEW_TAB, .index = ATS_VIEW_LINES};
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(s->view.view, ATS_VIEW_LINES);
    hit = (ats_app_hit){.kind = ATS_APP_HIT_LAYER, .index = 0};
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    hit = (ats_app_hit){.kind = ATS_APP_HIT_HEAD, .index = 7};
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(s->view.layer, 0);
    assert_int_equal(s->view.head, 3);
    hit = (ats_app_hit){.kind = ATS_APP_HIT_HEAD_TOGGLE, .index = 2};
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_false(ats_app_state_head_shown(s, 2));
    hit.index = ATS_HIT_NO_HEADS;
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_false(ats_app_state_head_shown(s, 0));
    hit.index = ATS_HIT_ALL_HEADS;
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_true(ats_app_state_head_shown(s, 2));
    hit = (ats_app_hit){.kind = ATS_APP_HIT_COLORMAP, .index = ATS_COLORMAP_MAGMA};
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(s->view.colormap, ATS_COLORMAP_MAGMA);
    hit = (ats_app_hit){.kind = ATS_APP_HIT_HIDE_SPECIAL};
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_true(s->view.hide_special);
    hit = (ats_app_hit){.kind = ATS_APP_HIT_THRESHOLD, .value = 0.2f};
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    hit.value = 0.4f;
    ats_app_pointer_drag(app, &hit, 5, 0);
    ats_app_pointer_up(app);
    assert_true(s->view.line_threshold == 0.4f);
    /* lock a token by clicking, unlock by clicking again */
    hit = (ats_app_hit){.kind = ATS_APP_HIT_TOKEN, .index = 4};
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(s->view.locked_token, 4);
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(s->view.locked_token, -1);
    /* the text box: click places the cursor, shift-click and drag select, double click a word */
    const ats_editor *ed = ats_app_get_editor(app);
    hit = (ats_app_hit){.kind = ATS_APP_HIT_TEXT, .offset = 4};
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    assert_int_equal(s->focus, ATS_FOCUS_TEXT);
    assert_int_equal(ats_editor_cursor(ed), 4);
    hit.offset = 10;
    ats_app_pointer_drag(app, &hit, 30, 0);
    ats_app_pointer_up(app);
    assert_int_equal(ats_editor_anchor(ed), 4);
    assert_int_equal(ats_editor_cursor(ed), 10);
    hit.offset = 1;
    ats_app_pointer_down(app, &hit, 2, 0, ats_clock_ms());
    size_t a, b;
    ats_editor_selection(ed, &a, &b);
    assert_int_equal(a, 0);
    assert_int_equal(b, 3); /* "The" */
    hit.offset = 8;
    ats_app_pointer_down(app, &hit, 1, ATS_MOD_SHIFT, ats_clock_ms());
    assert_int_equal(ats_editor_anchor(ed), 0); /* the selection grows from its anchor */
    assert_int_equal(ats_editor_cursor(ed), 8);
    /* a zoomed heatmap: a double-click in the views fits it again (a single click does not) */
    app->state.view.zoom = 4.0f;
    app->state.view.pan_query = 3;
    hit = (ats_app_hit){.kind = ATS_APP_HIT_CELL, .index = 2};
    ats_app_pointer_down(app, &hit, 1, 0, ats_clock_ms());
    ats_app_pointer_up(app);
    assert_true(s->view.zoom == 4.0f);
    ats_app_pointer_down(app, &hit, 2, 0, ats_clock_ms());
    ats_app_pointer_up(app);
    assert_true(s->view.zoom == 1.0f && s->view.pan_query == 0);
    ats_app_free(app);
}

/* ---- models ------------------------------------------------------------------------------------
 */

static void test_app_controller_failed_load_keeps_model_and_text(void **state) {
    (void)state;
    ats_app *app = start_default();
    const ats_app_state *s = ats_app_get_state(app);
    const ats_run *run = ats_app_get_run(app);
    char *dir = ats_make_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/broken.gguf", dir);
    FILE *f = fopen(path, "wb");
    fputs("GGUF but not really", f);
    fclose(f);
    ats_app_open_model(app, path, ats_clock_ms());
    assert_true(s->loading);
    assert_non_null(strstr(s->loading_path, "broken.gguf"));
    settle(app);
    assert_false(s->loading);
    assert_true(s->banner_is_error);
    assert_non_null(strstr(s->banner, "broken.gguf"));
    assert_string_equal(s->model_name, "builtin:demo");
    assert_ptr_equal(ats_app_get_run(app), run);
    assert_string_equal(text_of(app), ATS_APP_SAMPLE_TEXT);
    /* a folder that is no model */
    ats_app_open_model(app, dir, ats_clock_ms());
    settle(app);
    assert_true(s->banner_is_error);
    assert_string_equal(s->model_name, "builtin:demo");
    assert_ptr_equal(ats_app_get_run(app), run);
    ats_rmtree(dir);
    free(dir);
    ats_app_free(app);
}

static void test_app_controller_bad_first_model_falls_back(void **state) {
    (void)state;
    ats_app_config cfg = {.model_path = "/nonexistent/model.gguf"};
    ats_app *app = start(&cfg);
    const ats_app_state *s = ats_app_get_state(app);
    assert_non_null(strstr(s->banner, "/nonexistent/model.gguf"));
    assert_non_null(strstr(s->banner, "showing builtin:demo instead"));
    assert_string_equal(s->model_name, "builtin:demo");
    assert_non_null(ats_app_get_run(app));
    ats_app_free(app);
}

static void test_app_controller_new_model_replaces_run(void **state) {
    (void)state;
    ats_app *app = start_default();
    const ats_app_state *s = ats_app_get_state(app);
    ats_shared_model *old_model = app->model;
    ats_app_open_model(app, "builtin:demo", ats_clock_ms());
    settle(app);
    assert_true(app->model != old_model);
    assert_ptr_equal(ats_app_get_run_model(app), ats_shared_model_get(app->model));
    assert_false(s->banner_is_error);
    assert_non_null(strstr(s->banner, "opened builtin:demo"));
    assert_int_equal(ats_shared_model_live_count(), 1); /* the old one is gone */
    ats_app_free(app);
    assert_int_equal(ats_shared_model_live_count(), 0);
}

static void test_app_controller_stale_outcomes_are_dropped(void **state) {
    (void)state;
    ats_app *app = start_default();
    /* a run on the old model and a model load pile up; the load wins */
    ats_worker_hold(app->worker, true);
    type(app, " Really.");
    ats_app_open_model(app, "builtin:demo", ats_clock_ms());
    ats_worker_hold(app->worker, false);
    /* both outcomes wait in the mailbox before the app looks: the load is taken first, so the
     * run computed on the old model arrives after the swap and must be dropped */
    for (int i = 0;
         i < 20000 && (ats_worker_running(app->worker) || ats_worker_loading(app->worker)); i++)
        ats_sleep_ms(1);
    uint64_t stale_seq = app->shown_seq + 1;
    ats_app_update(app, ats_clock_ms());
    /* the old run went with its model; the stale one was not shown (the new model's run may
     * already be, if it finished within this update) */
    assert_true(app->min_seq > stale_seq);
    assert_true(ats_app_get_run(app) == NULL ||
                ats_app_get_run_model(app) == ats_shared_model_get(app->model));
    settle(app);
    /* the run shown came from the new model, on the newest text */
    assert_ptr_equal(ats_app_get_run_model(app), ats_shared_model_get(app->model));
    size_t len;
    assert_non_null(strstr(ats_app_get_run_text(app, &len), "Really."));
    assert_true(app->shown_seq >= app->min_seq);
    ats_app_free(app);
}

static void test_app_controller_token_spans_follow_edits(void **state) {
    (void)state;
    ats_app_config cfg = {.text = "the cat sat", .text_len = 11};
    ats_app *app = start(&cfg);
    size_t a, b;
    assert_true(ats_app_token_span(app, 1, &a, &b));
    assert_int_equal(a, 4);
    assert_int_equal(b, 7);
    /* type at the start while the worker is held: spans shift before the next run arrives */
    ats_worker_hold(app->worker, true);
    press(app, ATS_KEY_HOME, 0);
    type(app, "A");
    type(app, " ");
    assert_true(ats_app_token_span(app, 1, &a, &b));
    assert_int_equal(a, 6);
    assert_int_equal(b, 9);
    assert_string_equal(text_of(app) + a, "cat sat");
    assert_false(ats_app_token_span(app, 99, &a, &b));
    ats_worker_hold(app->worker, false);
    settle(app);
    assert_true(ats_app_token_span(app, 0, &a, &b));
    assert_int_equal(a, 0);
    assert_int_equal(b, 1); /* "A" in the new run */
    ats_app_free(app);
}

static void test_app_controller_same_frame_result(void **state) {
    (void)state;
    ats_app_config cfg = {.text = "a", .text_len = 1};
    ats_app *app = start(&cfg);
    /* the shell's frame: input, a bounded wait for the run it posted, update, present */
    type(app, "b");
    ats_app_wait_result(app, 10000); /* builtin:demo answers well within any budget */
    ats_app_update(app, ats_clock_ms());
    size_t len;
    assert_string_equal(ats_app_get_run_text(app, &len), "ab");
    ats_app_frame_presented(app, ats_clock_ms(), 1);
    /* nothing posted since that frame: no wait at all */
    double t0 = ats_clock_ms();
    ats_app_wait_result(app, 5000);
    assert_true(ats_clock_ms() - t0 < 1000);
    ats_app_free(app);
}

static void test_app_controller_latency_log(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/latency.log", dir);
    ats_app_config cfg = {.latency_log_path = path, .text = "a", .text_len = 1};
    ats_app *app = start(&cfg);
    type(app, "b");
    settle(app);
    type(app, "c");
    settle(app);
    ats_app_free(app);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    int lines = 0, echoes = 0;
    char last[512] = "";
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "echo ", 5) == 0) {
            echoes++; /* the frame that first showed an edited text */
            assert_non_null(strstr(line, "latency_ms="));
        } else if (line[0] != '#') {
            lines++;
            snprintf(last, sizeof last, "%s", line);
        }
    fclose(f);
    assert_int_equal(lines, 3); /* the first text, then two edits */
    assert_int_equal(echoes, 2);
    assert_non_null(strstr(last, "model=builtin:demo bytes=3 tokens=1"));
    assert_non_null(strstr(last, "status=ok"));
    ats_rmtree(dir);
    free(dir);
}

/* ---- T5 ------------------------------------------------------------------------------------ */

/* An encoder-decoder model: the source and target boxes (Ctrl+T), both texts in each run, the
 * decoder tokens spanning the target box, Ctrl+K through the kinds, Ctrl+G filling the target
 * with the generated tokens. */
static void test_app_controller_t5(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, "fixtures/hf/t5-tiny-random");
    const char *src = "The cat sat on the mat. The dog sat on the log."; /* generates words */
    ats_app_config cfg = {.model_path = dir, .text = src, .text_len = strlen(src)};
    ats_app *app = start(&cfg);
    const ats_app_state *s = ats_app_get_state(app);
    assert_true(s->seq2seq);
    assert_false(s->edit_target);
    const ats_run *run = ats_app_get_run(app);
    assert_non_null(run);
    assert_non_null(ats_run_encoder(run));
    assert_int_equal(ats_run_n_tokens(ats_run_encoder(run)), 20); /* as the reference */
    assert_int_equal(ats_run_n_tokens(run), 1);                   /* the start token */
    press(app, ATS_KEY_T, ATS_MOD_CTRL);
    assert_true(s->edit_target);
    type(app, "t"); /* the shortcut's own text, as X11 sends it: dropped */
    type(app, "Hi there");
    settle(app);
    run = ats_app_get_run(app);
    assert_int_equal(ats_run_n_tokens(run), 4); /* <pad> H i there */
    size_t a, b;
    assert_true(ats_app_token_span(app, 3, &a, &b)); /* " there" in the target box */
    assert_int_equal(a, 2);
    assert_int_equal(b, 8);
    assert_string_equal(ats_editor_text(ats_app_source_editor(app)), src);
    press(app, ATS_KEY_K, ATS_MOD_CTRL);
    assert_int_equal(s->attn_kind, ATS_ATTN_DECODER);
    assert_int_equal(s->n_layer, 3);
    press(app, ATS_KEY_G, ATS_MOD_CTRL);
    settle(app);
    settle(app); /* the generated text fills the box, which runs again */
    run = ats_app_get_run(app);
    const char *target = ats_editor_text(ats_app_target_editor(app));
    assert_true(strlen(target) > 0);
    assert_true(ats_run_n_tokens(run) > 1);
    assert_int_equal(ats_run_generated_tokens(run), 0); /* the rerun on the filled text */
    ats_app_free(app);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_controller_first_run),
        cmocka_unit_test(test_app_controller_create_rejects_bad_text),
        cmocka_unit_test(test_app_controller_typing_reruns),
        cmocka_unit_test(test_app_controller_edit_errors_show_a_banner),
        cmocka_unit_test(test_app_controller_empty_text_keeps_previous_run),
        cmocka_unit_test(test_app_controller_shortcut_text_is_not_typed),
        cmocka_unit_test(test_app_controller_undo_group_closes_after_pause),
        cmocka_unit_test(test_app_controller_clipboard_keys),
        cmocka_unit_test(test_app_controller_keys_and_focus),
        cmocka_unit_test(test_app_controller_pointer),
        cmocka_unit_test(test_app_controller_failed_load_keeps_model_and_text),
        cmocka_unit_test(test_app_controller_bad_first_model_falls_back),
        cmocka_unit_test(test_app_controller_new_model_replaces_run),
        cmocka_unit_test(test_app_controller_stale_outcomes_are_dropped),
        cmocka_unit_test(test_app_controller_token_spans_follow_edits),
        cmocka_unit_test(test_app_controller_same_frame_result),
        cmocka_unit_test(test_app_controller_latency_log),
        cmocka_unit_test(test_app_controller_t5),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
