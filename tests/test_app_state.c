/* The window's state without the window: clamping to the model and the run, token hover and
 * lock, heatmap zoom and pan, options, banners; the span map that keeps token chips under their
 * words while the next run computes; the latency recorder and its log. */
#include "test_support.h"

#include "app_state.h"
#include "latency.h"
#include "span_map.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void set_model(ats_app_state *s, const char *name, const char *arch, int n_layer, int n_head,
                      bool causal) {
    ats_model_config c = {
        .n_layer = n_layer, .n_head = n_head, .d_model = 64, .d_head = 16, .causal = causal};
    ats_app_state_set_model(s, name, arch, "safetensors F32", &c);
}

static ats_app_state with_model(int n_layer, int n_head, int n_tokens) {
    ats_app_state s;
    ats_app_state_init(&s);
    set_model(&s, "m", "gpt2", n_layer, n_head, true);
    ats_app_state_set_tokens(&s, n_tokens);
    return s;
}

static void test_app_state_defaults(void **state) {
    (void)state;
    ats_app_state s;
    ats_app_state_init(&s);
    assert_int_equal(s.view.view, ATS_VIEW_HEATMAP);
    assert_int_equal(s.focus, ATS_FOCUS_TEXT);
    assert_int_equal(s.view.layer, 0);
    assert_int_equal(s.view.head, 0);
    assert_int_equal(s.view.hover_token, -1);
    assert_int_equal(s.view.locked_token, -1);
    assert_int_equal(ats_app_state_focus_token(&s), -1);
    assert_int_equal(s.view.colormap, ATS_COLORMAP_VIRIDIS);
    assert_true(s.text_scale == 1.0f && s.device_scale == 1.0f && s.view.ui_scale == 1.0f);
    assert_true(s.view.zoom == 1.0f);
    /* lines: the three strongest keys of each query, no extra weight floor */
    assert_int_equal(s.view.line_cut, ATS_LINE_CUT_TOP_K);
    assert_int_equal(s.view.line_top_k, 3);
    assert_true(s.view.line_threshold == 0);
    assert_false(s.view.hide_special || s.fullscreen || s.help_visible || s.quit_requested);
    assert_string_equal(s.banner, "");
    assert_string_equal(s.export_dir, ".");
    /* no model yet: layer and head stay 0 */
    ats_app_state_set_layer(&s, 5);
    ats_app_state_set_head(&s, -3);
    assert_int_equal(s.view.layer, 0);
    assert_int_equal(s.view.head, 0);
}

static void test_app_state_layer_head_clamped_to_model(void **state) {
    (void)state;
    ats_app_state s = with_model(12, 12, 5);
    ats_app_state_set_layer(&s, 11);
    ats_app_state_set_head(&s, 11);
    assert_int_equal(s.view.layer, 11);
    ats_app_state_set_layer(&s, 12);
    ats_app_state_set_head(&s, 99);
    assert_int_equal(s.view.layer, 11);
    assert_int_equal(s.view.head, 11);
    ats_app_state_set_layer(&s, -1);
    assert_int_equal(s.view.layer, 0);
    s.view.zoom = 3;
    /* a smaller model arrives: the selection moves inside it, the zoom resets */
    set_model(&s, "small", "demo", 2, 4, false);
    assert_int_equal(s.view.layer, 0);
    assert_int_equal(s.view.head, 3);
    assert_true(s.view.zoom == 1.0f);
    assert_string_equal(s.model_name, "small");
    assert_string_equal(s.model_arch, "demo");
    assert_string_equal(s.model_format, "safetensors F32");
    assert_int_equal(s.n_kv_head, 4); /* 0 in the config means as many as heads */
    assert_int_equal(s.d_model, 64);
    assert_false(s.causal);
}

/* T5: the three kinds of attention cycle, the layer count follows the kind's stack (the layer
 * is clamped into it), a locked token is dropped, and the pipeline view stays (it shows
 * cross-attention's steps too); one-stack models ignore kinds. */
static void test_app_state_t5_kinds(void **state) {
    (void)state;
    ats_app_state s;
    ats_app_state_init(&s);
    ats_model_config enc = {
        .arch = ATS_ARCH_T5, .n_layer = 2, .n_head = 4, .n_kv_head = 4, .d_model = 32, .d_head = 8};
    ats_model_config dec = enc;
    dec.n_layer = 3;
    dec.causal = true;
    ats_app_state_set_model(&s, "t5", "t5", "safetensors F32", &enc);
    ats_app_state_set_kind(&s, ATS_ATTN_CROSS); /* not yet an encoder-decoder: ignored */
    assert_int_equal(s.attn_kind, ATS_ATTN_ENCODER);
    ats_app_state_set_decoder(&s, &dec);
    assert_true(s.seq2seq);
    assert_int_equal(s.n_layer, 2);
    ats_app_state_set_kind(&s, -1);
    assert_int_equal(s.attn_kind, ATS_ATTN_DECODER);
    assert_int_equal(s.n_layer, 3);
    assert_true(s.causal);
    ats_app_state_set_layer(&s, 2);
    ats_app_state_set_tokens(&s, 10);
    ats_app_state_click_token(&s, 4, ATS_SIDE_KEY);
    s.view.view = ATS_VIEW_PIPELINE;
    ats_app_state_set_kind(&s, -1);
    assert_int_equal(s.attn_kind, ATS_ATTN_CROSS);
    assert_int_equal(s.view.layer, 2);
    assert_int_equal(s.view.locked_token, -1);
    assert_int_equal(s.view.view, ATS_VIEW_PIPELINE);
    ats_app_state_set_kind(&s, -1);
    assert_int_equal(s.attn_kind, ATS_ATTN_ENCODER);
    assert_int_equal(s.n_layer, 2);
    assert_int_equal(s.view.layer, 1); /* clamped to the encoder's two layers */
    assert_string_equal(ats_app_kind_title(ATS_ATTN_CROSS), "cross-attention");
}

static void test_app_state_views_wrap(void **state) {
    (void)state;
    ats_app_state s = with_model(1, 1, 1);
    ats_app_state_step_view(&s, 1);
    assert_int_equal(s.view.view, ATS_VIEW_LINES);
    ats_app_state_step_view(&s, 1);
    assert_int_equal(s.view.view, ATS_VIEW_GRID);
    ats_app_state_step_view(&s, 1);
    assert_int_equal(s.view.view, ATS_VIEW_PIPELINE);
    ats_app_state_step_view(&s, 1);
    assert_int_equal(s.view.view, ATS_VIEW_AGGREGATE);
    ats_app_state_step_view(&s, 1); /* past the last view */
    assert_int_equal(s.view.view, ATS_VIEW_HEATMAP);
    ats_app_state_step_view(&s, -1);
    assert_int_equal(s.view.view, ATS_VIEW_AGGREGATE);
    ats_app_state_set_view(&s, ATS_VIEW_COUNT); /* ignored */
    assert_int_equal(s.view.view, ATS_VIEW_AGGREGATE);
    for (int v = 0; v < ATS_VIEW_COUNT; v++) {
        ats_app_state_set_view(&s, (ats_view_kind)v);
        if (ats_app_view_available((ats_view_kind)v))
            assert_int_equal(s.view.view, v);
        else
            assert_int_not_equal(s.view.view, v);
    }
}

static void test_app_state_hover_and_lock(void **state) {
    (void)state;
    ats_app_state s = with_model(2, 2, 6);
    ats_app_state_hover_token(&s, 3, ATS_SIDE_KEY);
    assert_int_equal(ats_app_state_focus_token(&s), 3);
    assert_int_equal(s.view.hover_side, ATS_SIDE_KEY);
    ats_app_state_click_token(&s, 1, ATS_SIDE_QUERY);
    assert_int_equal(s.view.locked_token, 1);
    assert_int_equal(ats_app_state_focus_token(&s), 1); /* the lock wins over hover */
    ats_app_state_click_token(&s, 4, ATS_SIDE_QUERY);   /* another token moves the lock */
    assert_int_equal(s.view.locked_token, 4);
    ats_app_state_click_token(&s, 4, ATS_SIDE_KEY); /* the same token as the key: moves it */
    assert_int_equal(s.view.locked_token, 4);
    assert_int_equal(s.view.locked_side, ATS_SIDE_KEY);
    ats_app_state_click_token(&s, 4, ATS_SIDE_KEY); /* the same again unlocks */
    assert_int_equal(s.view.locked_token, -1);
    ats_app_state_click_token(&s, 5, ATS_SIDE_QUERY);
    ats_app_state_unlock(&s);
    assert_int_equal(s.view.locked_token, -1);
    ats_app_state_hover_token(&s, 17, ATS_SIDE_QUERY); /* outside the run */
    assert_int_equal(s.view.hover_token, -1);
    /* a shorter run drops hover and lock beyond it */
    ats_app_state_hover_token(&s, 5, ATS_SIDE_QUERY);
    ats_app_state_click_token(&s, 4, ATS_SIDE_QUERY);
    ats_app_state_set_tokens(&s, 5);
    assert_int_equal(s.view.hover_token, -1);
    assert_int_equal(s.view.locked_token, 4);
    ats_app_state_set_tokens(&s, 2);
    assert_int_equal(s.view.locked_token, -1);
}

static void test_app_state_head_toggles(void **state) {
    (void)state;
    ats_app_state s = with_model(2, 4, 3);
    assert_true(ats_app_state_head_shown(&s, 3));
    assert_false(ats_app_state_head_shown(&s, 4));
    ats_app_state_toggle_head_shown(&s, 2);
    assert_false(ats_app_state_head_shown(&s, 2));
    ats_app_state_toggle_head_shown(&s, 2);
    assert_true(ats_app_state_head_shown(&s, 2));
    ats_app_state_show_all_heads(&s, false);
    for (int h = 0; h < 4; h++)
        assert_false(ats_app_state_head_shown(&s, h));
    ats_app_state_show_all_heads(&s, true);
    assert_true(ats_app_state_head_shown(&s, 0));
    ats_app_state_toggle_head_shown(&s, 1);
    set_model(&s, "other", "bert", 2, 4, false); /* toggles reset */
    assert_true(ats_app_state_head_shown(&s, 1));
}

static void test_app_state_scales(void **state) {
    (void)state;
    ats_app_state s = with_model(1, 1, 1);
    /* the views' ui scale is the screen's pixel ratio times the text scale */
    assert_true(ats_app_state_set_device_scale(&s, 2.0f));
    assert_false(ats_app_state_set_device_scale(&s, 2.0f)); /* unchanged */
    assert_false(ats_app_state_set_device_scale(&s, NAN));
    assert_true(s.view.ui_scale == 2.0f);
    ats_app_state_scale_text(&s, 1);
    assert_true(fabsf(s.view.ui_scale - 2.5f) < 1e-6f);
    ats_app_state_reset_text_scale(&s);
    assert_true(s.view.ui_scale == 2.0f);
    s.view.zoom = 4;
    s.view.pan_key = 10;
    ats_app_state_reset_zoom(&s);
    assert_true(s.view.zoom == 1.0f && s.view.pan_key == 0.0f);
}

static void test_app_state_options(void **state) {
    (void)state;
    ats_app_state s = with_model(1, 1, 1);
    ats_app_state_set_threshold(&s, 0.3f);
    assert_true(s.view.line_threshold == 0.3f);
    ats_app_state_set_threshold(&s, 2.0f);
    assert_true(s.view.line_threshold == 1.0f);
    ats_app_state_set_threshold(&s, -1.0f);
    assert_true(s.view.line_threshold == 0.0f);
    ats_app_state_set_threshold(&s, NAN);
    assert_true(s.view.line_threshold == 0.0f);
    ats_app_state_set_colormap(&s, ATS_COLORMAP_GREYS);
    assert_int_equal(s.view.colormap, ATS_COLORMAP_GREYS);
    ats_app_state_set_colormap(&s, (ats_colormap)99);
    assert_int_equal(s.view.colormap, ATS_COLORMAP_GREYS);
    ats_app_state_scale_text(&s, 1);
    assert_true(fabsf(s.text_scale - 1.25f) < 1e-6f);
    ats_app_state_scale_text(&s, -1);
    assert_true(s.text_scale == 1.0f); /* back to exactly normal */
    for (int i = 0; i < 20; i++)
        ats_app_state_scale_text(&s, 1);
    assert_true(s.text_scale == ATS_TEXT_SCALE_MAX);
    for (int i = 0; i < 40; i++)
        ats_app_state_scale_text(&s, -1);
    assert_true(s.text_scale == ATS_TEXT_SCALE_MIN);
}

static void test_app_state_banner_expires(void **state) {
    (void)state;
    ats_app_state s = with_model(1, 1, 1);
    assert_false(ats_app_state_tick(&s, 0));
    ats_app_state_show_banner(&s, "broken.gguf: not a GGUF file", true, 1000, 0);
    assert_string_equal(s.banner, "broken.gguf: not a GGUF file");
    assert_true(s.banner_is_error);
    assert_false(ats_app_state_tick(&s, 1000 + ATS_BANNER_MS - 1));
    assert_true(ats_app_state_tick(&s, 1000 + ATS_BANNER_MS));
    assert_string_equal(s.banner, "");
    ats_app_state_show_banner(&s, "opened", false, 0, 500);
    assert_false(s.banner_is_error);
    assert_true(ats_app_state_tick(&s, 500));
}

/* ---- span map ------------------------------------------------------------------------------ */

static void check_span(const char *old_text, const char *new_text, size_t s, size_t e,
                       size_t want_s, size_t want_e, bool want_exact) {
    ats_span_map m;
    ats_span_map_build(&m, old_text, strlen(old_text), new_text, strlen(new_text));
    bool exact = ats_span_map_apply(&m, &s, &e);
    if (s != want_s || e != want_e || exact != want_exact)
        fail_msg("'%s' -> '%s': got [%zu, %zu) %s, want [%zu, %zu) %s", old_text, new_text, s, e,
                 exact ? "exact" : "touched", want_s, want_e, want_exact ? "exact" : "touched");
}

static void test_app_state_span_map(void **state) {
    (void)state;
    /* unchanged */
    check_span("the cat sat", "the cat sat", 4, 7, 4, 7, true);
    /* typing at the end leaves earlier tokens alone */
    check_span("the cat", "the cat sat", 4, 7, 4, 7, true);
    /* typing at the start shifts later tokens */
    check_span("cat sat", "a cat sat", 4, 7, 6, 9, true);
    check_span("cat sat", "a cat sat", 0, 3, 2, 5, true);
    /* typing inside a word touches it and stretches it */
    check_span("the cat sat", "the cart sat", 4, 7, 4, 8, false);
    check_span("the cat sat", "the cart sat", 8, 11, 9, 12, true);
    /* deleting a word before */
    check_span("a big cat", "a cat", 6, 9, 2, 5, true);
    check_span("a big cat", "a cat", 2, 5, 2, 2, false);
    /* a changed multi-byte character counts whole: e-acute to e-grave */
    check_span("caf\xC3\xA9 ok", "caf\xC3\xA8 ok", 0, 5, 0, 5, false);
    check_span("caf\xC3\xA9 ok", "caf\xC3\xA8 ok", 6, 8, 6, 8, true);
    /* an added special token has an empty span at 0 */
    check_span("hi there", "oh hi there", 0, 0, 0, 0, true);
}

/* ---- latency ------------------------------------------------------------------------------- */

static void test_app_state_latency_records(void **state) {
    (void)state;
    ats_error err;
    ats_latency *lat;
    assert_int_equal(ats_latency_new(NULL, &lat, &err), ATS_OK);
    ats_latency_record r;
    assert_false(ats_latency_last(lat, &r));
    ats_latency_presented(lat, 5, 1); /* nothing pending: no record */
    assert_int_equal(ats_latency_count(lat), 0);

    /* three keystrokes, the first two superseded; the third's result shows */
    ats_latency_posted(lat, 1, 10);
    ats_latency_posted(lat, 2, 20);
    ats_latency_posted(lat, 3, 30);
    ats_latency_shown(lat, 3, "builtin:demo", 42, 9, 0.5, 1.5, true);
    ats_latency_presented(lat, 50, 2);
    assert_int_equal(ats_latency_count(lat), 1);
    assert_true(ats_latency_last(lat, &r));
    assert_int_equal(r.seq, 3);
    assert_int_equal(r.edits, 3);
    assert_int_equal(r.n_tokens, 9);
    assert_int_equal(r.n_bytes, 42);
    assert_true(r.latency_ms == 20.0);
    assert_true(r.oldest_ms == 40.0);
    assert_true(r.draw_ms == 2.0 && r.tokenize_ms == 0.5 && r.forward_ms == 1.5);
    assert_true(r.ok);

    /* a later request's edits are not counted by an earlier outcome */
    ats_latency_posted(lat, 4, 60);
    ats_latency_posted(lat, 5, 70);
    ats_latency_shown(lat, 4, "m", 1, 1, 0, 0, false);
    ats_latency_presented(lat, 80, 1);
    assert_true(ats_latency_last(lat, &r));
    assert_int_equal(r.edits, 1);
    assert_true(r.latency_ms == 20.0);
    assert_false(r.ok);
    ats_latency_shown(lat, 5, "m", 1, 1, 0, 0, true);
    ats_latency_presented(lat, 75, 1);
    assert_true(ats_latency_last(lat, &r));
    assert_true(r.latency_ms == 5.0);
    ats_latency_free(lat);
}

static void test_app_state_latency_log_file(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char path[4096];
    ats_error err;
    snprintf(path, sizeof path, "%s/latency.log", dir);
    ats_latency *lat;
    assert_int_equal(ats_latency_new(path, &lat, &err), ATS_OK);
    ats_latency_posted(lat, 7, 100);
    ats_latency_shown(lat, 7, "tiny random gpt2", 16, 5, 0.25, 3.5, true);
    ats_latency_presented(lat, 112.5, 4);
    ats_latency_free(lat);

    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_true(line[0] == '#');
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "seq=7 model=tiny_random_gpt2 bytes=16 tokens=5 edits=1 "
                              "tokenize_ms=0.250 forward_ms=3.500 draw_ms=4.000 "
                              "latency_ms=12.500 oldest_ms=12.500 status=ok\n");
    ats_rmtree(dir);
    free(dir);

    assert_int_equal(ats_latency_new("/nonexistent-dir/latency.log", &lat, &err), ATS_ERR_IO);
    assert_null(lat);
    assert_non_null(strstr(err.message, "/nonexistent-dir/latency.log"));
}

/* Issue 14: head 10 and up from the keyboard (two digits within a second), Home back to the
 * fitted heatmap, Ctrl+H's three states, F9 / Shift+F9 (projector mode). */
static void test_app_state_presentation_keys(void **state) {
    (void)state;
    ats_app_state s = with_model(12, 12, 20);
    s.focus = ATS_FOCUS_VIEWS;
    ats_app_state_type_head_digit(&s, 1, 1000);
    assert_int_equal(s.view.head, 1);
    ats_app_state_type_head_digit(&s, 1, 1300); /* "11" */
    assert_int_equal(s.view.head, 11);
    ats_app_state_type_head_digit(&s, 3, 1500); /* "113" is no head: 3 alone */
    assert_int_equal(s.view.head, 3);
    ats_app_state_type_head_digit(&s, 1, 3000);
    ats_app_state_type_head_digit(&s, 0, 4500); /* too late for "10": head 0 */
    assert_int_equal(s.view.head, 0);
    ats_app_state_type_head_digit(&s, 1, 5000);
    ats_app_state_type_head_digit(&s, 0, 5200);
    assert_int_equal(s.view.head, 10);
    ats_app_state s4 = with_model(2, 4, 20); /* four heads: "1" then "2" is head 2 */
    ats_app_state_type_head_digit(&s4, 1, 0);
    ats_app_state_type_head_digit(&s4, 2, 100);
    assert_int_equal(s4.view.head, 2);
    /* a zoomed heatmap fits again */
    s.view.zoom = 3.0f;
    s.view.pan_query = 5;
    s.view.pan_key = 4;
    ats_app_state_fit_view(&s);
    assert_true(s.view.zoom == 1.0f && s.view.pan_query == 0 && s.view.pan_key == 0);
    /* special tokens: shown, hidden with their weight apart, hidden with rows renormalized */
    assert_false(s.view.hide_special);
    ats_app_state_cycle_special(&s);
    assert_true(s.view.hide_special && !s.view.renormalize);
    ats_app_state_cycle_special(&s);
    assert_true(s.view.hide_special && s.view.renormalize);
    ats_app_state_cycle_special(&s);
    assert_false(s.view.hide_special);
    /* the panel hidden and shown again, whatever the window's width chose; the token strip */
    ats_app_state_toggle_panel(&s, true);
    assert_int_equal(s.panel, ATS_PANEL_HIDDEN);
    ats_app_state_toggle_panel(&s, false);
    assert_int_equal(s.panel, ATS_PANEL_SHOWN);
    assert_false(s.strip_hidden);
    ats_app_state_toggle_strip(&s);
    assert_true(s.strip_hidden);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_state_presentation_keys),
        cmocka_unit_test(test_app_state_defaults),
        cmocka_unit_test(test_app_state_layer_head_clamped_to_model),
        cmocka_unit_test(test_app_state_views_wrap),
        cmocka_unit_test(test_app_state_t5_kinds),
        cmocka_unit_test(test_app_state_hover_and_lock),
        cmocka_unit_test(test_app_state_head_toggles),
        cmocka_unit_test(test_app_state_scales),
        cmocka_unit_test(test_app_state_options),
        cmocka_unit_test(test_app_state_banner_expires),
        cmocka_unit_test(test_app_state_span_map),
        cmocka_unit_test(test_app_state_latency_records),
        cmocka_unit_test(test_app_state_latency_log_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
