/* The window's analysis features with the real worker and no display: the next-token prediction
 * and generation (keys and clicks), head ablation (key, Shift+click on the grid, restore),
 * value-weighted attention, the aggregate view's data, head metrics on the grid, comparing two
 * texts, BERT's masked-token predictions, and models without a language-model head (BERT) or
 * with two stacks (T5). The numbers
 * themselves are checked against numpy in test_cli_analysis; here, that the window asks for them
 * and shows what the engine gives. */
#include "test_support.h"

#include "app_internal.h"
#include "base.h"
#include "draw.h"
#include "ui_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The window on fixture `rel` (NULL: builtin:demo) with `text`; NULL (the test skipped) when the
 * fixture is absent. */
static ats_app *start_on(const char *rel, const char *text) {
    char model[4096] = "builtin:demo";
    if (rel) {
        const char *found = ats_test_shared(rel);
        if (!found)
            return NULL;
        snprintf(model, sizeof model, "%s", found);
    }
    ats_app_config cfg = {.model_path = model, .text = text, .text_len = strlen(text)};
    ats_error err;
    ats_app *app;
    if (ats_app_new(&cfg, ats_clock_ms(), &app, &err) != ATS_OK)
        fail_msg("ats_app_new: %s", err.message);
    settle(app);
    return app;
}

#define STORIES "fixtures/llama2c/stories260K.bin"

static void press(ats_app *app, ats_key k, unsigned mods) {
    ats_app_key(app, (ats_key_event){k, mods, false}, ats_clock_ms());
    settle(app);
}

/* The run's logits' best id (the lowest on a tie), computed here. */
static int32_t best_id(const ats_run *run) {
    const float *l = ats_run_logits_last(run);
    int n = ats_run_get_config(run)->vocab_size;
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (l[i] > l[best])
            best = i;
    return best;
}

static void test_app_analysis_prediction_and_generation(void **state) {
    (void)state;
    ats_app *app = start_on(STORIES, "Once upon a time");
    if (!app)
        skip();
    assert_true(app->state.analysis.predicts);
    const ats_run_extras *x = ats_app_get_extras(app);
    assert_non_null(x);
    assert_int_equal(x->n_top, ATS_TOP_K_SHOWN);
    assert_int_equal(x->top[0].id, best_id(app->run));
    for (int i = 1; i < x->n_top; i++)
        assert_true(x->top[i - 1].prob >= x->top[i].prob);
    /* Ctrl+N appends the most probable token; its run locks it as the query */
    int32_t expect = best_id(app->run);
    int T = ats_run_n_tokens(app->run);
    press(app, ATS_KEY_N, ATS_MOD_CTRL);
    assert_int_equal(ats_run_n_tokens(app->run), T + 1);
    assert_int_equal(ats_tokens_get(ats_run_get_tokens(app->run), T)->id, expect);
    assert_int_equal(app->state.view.locked_token, T);
    assert_int_equal(app->state.view.locked_side, ATS_SIDE_QUERY);
    assert_true(ats_run_reused_tokens(app->run) > 0); /* only the new token was computed */
    /* a click on the second prediction appends that one */
    x = ats_app_get_extras(app);
    int32_t second = x->top[1].id;
    ats_app_pointer_down(app, &(ats_app_hit){.kind = ATS_APP_HIT_PREDICTION, .index = 1}, 1, 0,
                         ats_clock_ms());
    settle(app);
    assert_int_equal(ats_run_n_tokens(app->run), T + 2);
    assert_int_equal(ats_tokens_get(ats_run_get_tokens(app->run), T + 1)->id, second);
    /* sampled: a token of the vocabulary, the same from the same generator state */
    uint64_t before = app->state.analysis.sample_state;
    press(app, ATS_KEY_N, ATS_MOD_CTRL | ATS_MOD_SHIFT);
    assert_int_equal(ats_run_n_tokens(app->run), T + 3);
    assert_true(app->state.analysis.sample_state != before);
    ats_app_free(app);
}

static void test_app_analysis_ablation(void **state) {
    (void)state;
    ats_app *app = start_on(STORIES, "Once upon a time there was");
    if (!app)
        skip();
    float p0 = ats_app_get_extras(app)->top[0].prob;
    press(app, ATS_KEY_D, ATS_MOD_CTRL); /* the selected head: layer 0, head 0 */
    assert_int_equal(app->state.analysis.n_ablated, 1);
    assert_true(ats_run_head_ablated(app->run, 0, 0));
    assert_true(ats_app_get_extras(app)->top[0].prob != p0); /* the prediction followed */
    /* Shift+click on a grid thumbnail switches that head off */
    ats_app_pointer_down(app,
                         &(ats_app_hit){.kind = ATS_APP_HIT_GRID_HEAD, .index = 2, .index2 = 3}, 1,
                         ATS_MOD_SHIFT, ats_clock_ms());
    settle(app);
    assert_true(ats_run_head_ablated(app->run, 2, 3));
    assert_int_equal(ats_run_n_ablated(app->run), 2);
    ats_run_view vd;
    char title[320];
    assert_int_equal(ats_app_view_data(app, &vd, title, sizeof title), ATS_OK);
    assert_non_null(vd.data.ablated);
    assert_true(vd.data.ablated[0] && vd.data.ablated[2 * vd.data.n_head + 3]);
    ats_run_view_free(&vd);
    /* a chip of the panel restores one, Ctrl+Shift+D every one */
    ats_app_pointer_down(app, &(ats_app_hit){.kind = ATS_APP_HIT_ABLATED, .index = 0}, 1, 0,
                         ats_clock_ms());
    settle(app);
    assert_false(ats_run_head_ablated(app->run, 0, 0));
    press(app, ATS_KEY_D, ATS_MOD_CTRL | ATS_MOD_SHIFT);
    assert_int_equal(ats_run_n_ablated(app->run), 0);
    assert_true(fabsf(ats_app_get_extras(app)->top[0].prob - p0) < 1e-6f);
    ats_app_free(app);
}

static void test_app_analysis_value_weighted(void **state) {
    (void)state;
    ats_app *app = start_on(STORIES, "Lily liked the park");
    if (!app)
        skip();
    press(app, ATS_KEY_W, ATS_MOD_CTRL);
    const ats_run_extras *x = ats_app_get_extras(app);
    assert_non_null(x->value_norms);
    ats_run_view vd;
    char title[320];
    assert_int_equal(ats_app_view_data(app, &vd, title, sizeof title), ATS_OK);
    assert_string_equal(vd.data.measure, "value-weighted");
    int T = vd.data.n_tokens, H = vd.data.n_head;
    for (int l = 0; l < vd.data.n_layer; l++) /* A_ij * ||v_j W_O^h|| of every head */
        for (int h = 0; h < H; h++) {
            const float *a = ats_run_attention(app->run, l, h);
            const float *n = x->value_norms + ((size_t)l * H + h) * T;
            const float *vw = vd.data.attention + ((size_t)l * H + h) * T * T;
            for (int k = 0; k < T * T; k++)
                assert_true(fabsf(vw[k] - a[k] * n[k % T]) <= 1e-6f * (1 + fabsf(vw[k])));
        }
    ats_run_view_free(&vd);
    press(app, ATS_KEY_W, ATS_MOD_CTRL);
    assert_int_equal(ats_app_view_data(app, &vd, title, sizeof title), ATS_OK);
    assert_null(vd.data.measure);
    ats_run_view_free(&vd);
    ats_app_free(app);
}

static void test_app_analysis_aggregate_and_metrics(void **state) {
    (void)state;
    ats_app *app = start_on(STORIES, "Once upon a time there was a girl");
    if (!app)
        skip();
    ats_run_view vd;
    char title[320];
    for (int k = 0; k < ATS_AGGREGATE_COUNT; k++) { /* the view, then mean, max, all, rollout */
        press(app, ATS_KEY_R, ATS_MOD_CTRL);
        assert_int_equal(app->state.view.view, ATS_VIEW_AGGREGATE);
        assert_int_equal(app->state.view.aggregate, (ats_aggregate)k);
        assert_int_equal(ats_app_view_data(app, &vd, title, sizeof title), ATS_OK);
        assert_non_null(vd.data.aggregate);
        int T = vd.data.n_tokens;
        double total = 0; /* every row sums to 1, so the columns' sums add up to T ... */
        for (int j = 0; j < T; j++)
            total += vd.data.received[j];
        if (k != ATS_AGGREGATE_MAX) /* ... except the max over heads */
            assert_true(fabs(total - T) < 1e-3);
        ats_run_view_free(&vd);
    }
    assert_non_null(ats_app_get_extras(app)->rollout);
    /* metrics on the grid and the fade filter */
    ats_app_state_set_view(&app->state, ATS_VIEW_GRID);
    press(app, ATS_KEY_M, ATS_MOD_CTRL);
    press(app, ATS_KEY_M, ATS_MOD_CTRL); /* prev_token */
    assert_int_equal(app->state.analysis.metric, ATS_METRIC_PREV_TOKEN);
    ats_app_set_filter(app, 0.5f);
    ats_app_update(app, ats_clock_ms());
    assert_int_equal(ats_app_view_data(app, &vd, title, sizeof title), ATS_OK);
    assert_non_null(vd.data.head_values);
    const ats_head_metrics *m = ats_app_get_extras(app)->metrics;
    for (int i = 0; i < vd.data.n_layer * vd.data.n_head; i++) {
        assert_true(fabsf(vd.data.head_values[i] - (float)m[i].value[ATS_METRIC_PREV_TOKEN]) <
                    1e-6f);
        assert_true(vd.data.head_faded[i] == (vd.data.head_values[i] < 0.5f));
    }
    ats_run_view_free(&vd);
    /* the window draws it all without a display: the grid's metric buttons, the heatmap's
     * prediction */
    ats_frame f = {.scale = 1};
    assert_true(ats_frame_resize(&f, 1280, 1000));
    int predictions = 0, metrics = 0;
    ats_app_draw(app, &f);
    for (int i = 0; i < app->ui->n_regions; i++)
        metrics += app->ui->regions[i].hit.kind == ATS_APP_HIT_METRIC;
    ats_app_state_set_view(&app->state, ATS_VIEW_HEATMAP);
    ats_app_draw(app, &f);
    for (int i = 0; i < app->ui->n_regions; i++)
        predictions += app->ui->regions[i].hit.kind == ATS_APP_HIT_PREDICTION;
    assert_int_equal(predictions, ATS_TOP_K_SHOWN);
    assert_int_equal(metrics, ATS_METRIC_COUNT + 1);
    ats_frame_free(&f);
    ats_app_free(app);
}

static void test_app_analysis_compare(void **state) {
    (void)state;
    ats_app *app = start_on(STORIES, "There was a little girl named");
    if (!app)
        skip();
    press(app, ATS_KEY_B, ATS_MOD_CTRL);
    assert_true(app->state.analysis.compare);
    const ats_run_extras *x = ats_app_get_extras(app);
    assert_non_null(x->compare); /* B starts as a copy of A: no difference */
    assert_int_equal(ats_run_n_tokens(x->compare), ats_run_n_tokens(app->run));
    const char *detail;
    const float *diff = ats_app_compare_difference(app, &detail);
    assert_non_null(diff);
    int T = ats_run_n_tokens(app->run);
    for (int k = 0; k < T * T; k++) /* the same text by two paths (A's run reuses a prefix) */
        assert_true(fabsf(diff[k]) < 1e-5f);
    /* B edited (as many tokens: "girl" -> "boy " and back to girl in a new word) */
    press(app, ATS_KEY_T, ATS_MOD_CTRL);
    assert_true(app->state.edit_target);
    ats_app_key(app, (ats_key_event){ATS_KEY_BACKSPACE, ATS_MOD_CTRL, false}, ats_clock_ms());
    ats_app_key(app, (ats_key_event){ATS_KEY_NONE, 0, false}, ats_clock_ms()); /* a letter key */
    ats_app_text_input(app, "Lily", ats_clock_ms());
    settle(app);
    x = ats_app_get_extras(app);
    assert_non_null(x->compare);
    assert_string_equal(x->compare_text, "There was a little girl Lily");
    assert_string_equal(ats_editor_text(ats_app_source_editor(app)),
                        "There was a little girl named");
    /* the window lays out A, B (and A - B when the token counts agree) side by side */
    ats_frame f = {.scale = 1};
    assert_true(ats_frame_resize(&f, 1280, 800));
    ats_app_draw(app, &f);
    assert_true(app->ui->n_stacks >= 2);
    ats_frame_free(&f);
    press(app, ATS_KEY_B, ATS_MOD_CTRL);
    assert_false(app->state.analysis.compare);
    assert_false(app->state.edit_target);
    ats_app_free(app);
}

/* Two models with one tokenizer: stories260K in float32 and in Q4_0; text B runs on the second,
 * and their difference shows what the quantization changes. */
static void test_app_analysis_compare_models(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(model, STORIES); /* (ats_test_shared's buffer is reused: copies) */
    ATS_REQUIRE_SHARED(second, "fixtures/gguf/stories260K-q4_0.gguf");
    const char *text = "Once upon a time there was a little girl";
    ats_app_config cfg = {
        .model_path = model, .compare_model_path = second, .text = text, .text_len = strlen(text)};
    ats_error err;
    ats_app *app;
    assert_int_equal(ats_app_new(&cfg, ats_clock_ms(), &app, &err), ATS_OK);
    settle(app);
    settle(app); /* the second model loads after the first, then both texts run */
    assert_true(app->state.analysis.compare);
    assert_non_null(app->compare_model);
    const ats_run_extras *x = ats_app_get_extras(app);
    assert_non_null(x->compare);
    assert_string_equal(x->compare_text, text);
    ats_run_view vd;
    char title[320];
    assert_int_equal(ats_app_compare_view_data(app, &vd, title, sizeof title), ATS_OK);
    assert_non_null(strstr(vd.data.model_name, "q4_0"));
    ats_run_view_free(&vd);
    ats_app_state_set_layer(&app->state, 3); /* a later layer: the error has built up */
    ats_app_state_set_head(&app->state, 2);
    ats_app_update(app, ats_clock_ms());
    const char *detail;
    const float *diff = ats_app_compare_difference(app, &detail);
    assert_non_null(diff);
    assert_non_null(strstr(detail, "layer 3"));
    int T = ats_run_n_tokens(app->run);
    float largest = 0;
    for (int k = 0; k < T * T; k++)
        largest = fmaxf(largest, fabsf(diff[k]));
    assert_true(largest > 1e-3f && largest < 1.0f); /* close, not equal */
    press(app, ATS_KEY_B, ATS_MOD_CTRL);            /* off: the second model goes */
    assert_null(app->compare_model);
    ats_app_free(app);
}

/* BERT with its masked-LM head (bert-tiniest keeps cls.predictions): the panel shows the
 * predictions at the first [MASK], or at the one locked, as the engine's head gives them there;
 * a click on one puts its text in that mask's place; Ctrl+N explains that the model fills masks. */
static void test_app_analysis_masked_prediction(void **state) {
    (void)state;
    static const char text[] = "the cat [MASK] on the [MASK] .";
    ats_app *app = start_on("fixtures/hf/bert-tiniest", text);
    if (!app)
        skip();
    assert_false(app->state.analysis.predicts);
    assert_true(app->state.analysis.fills_mask);
    assert_string_equal(app->state.analysis.mask, "[MASK]");
    const ats_run_extras *x = ats_app_get_extras(app);
    const ats_model *model = ats_app_get_run_model(app);
    const ats_tokens *toks = ats_run_get_tokens(app->run);
    int32_t mask = ats_model_mask_token(model, NULL);
    assert_int_equal(x->n_masked, 2);
    assert_int_equal(x->n_masked_all, 2);
    assert_int_equal(x->masked_k, ATS_TOP_K_SHOWN);
    for (int m = 0; m < 2; m++) {
        assert_int_equal(ats_tokens_get(toks, x->masked_at[m])->id, mask);
        int vocab = ats_run_get_config(app->run)->vocab_size;
        float *logits = malloc((size_t)vocab * sizeof *logits);
        assert_int_equal(ats_run_mlm_logits(model, app->run, &x->masked_at[m], 1, logits, NULL),
                         ATS_OK);
        ats_token_prob want[ATS_TOP_K_SHOWN];
        ats_top_k(logits, vocab, ATS_TOP_K_SHOWN, want);
        for (int i = 0; i < ATS_TOP_K_SHOWN; i++)
            assert_int_equal(x->masked_top[m][i].id, want[i].id);
        free(logits);
    }
    assert_int_equal(ats_app_shown_mask(app), 0); /* nothing locked: the first */
    ats_app_state_click_token(&app->state, x->masked_at[1], ATS_SIDE_QUERY);
    assert_int_equal(ats_app_shown_mask(app), 1);
    ats_frame f = {.scale = 1};
    assert_true(ats_frame_resize(&f, 1280, 800));
    ats_app_draw(app, &f); /* the section draws with the second mask's rows */
    ats_frame_free(&f);

    /* the second mask's best token replaces "[MASK]" (bytes 22..28), the rest unchanged */
    ats_tokens *best = NULL;
    assert_int_equal(ats_tokens_of_ids(model, &x->masked_top[1][0].id, 1, &best, NULL), ATS_OK);
    char want[128];
    snprintf(want, sizeof want, "the cat [MASK] on the %s .", ats_tokens_get(best, 0)->piece);
    ats_tokens_free(best);
    ats_app_append_prediction(app, 0, ats_clock_ms());
    settle(app);
    if (strncmp(want + 22, "##", 2) != 0) /* a whole word (a "##" piece joins differently) */
        assert_string_equal(ats_editor_text(ats_app_source_editor(app)), want);
    assert_int_equal(ats_app_get_extras(app)->n_masked, 1);

    const char *before = ats_editor_text(ats_app_source_editor(app));
    char copy[128];
    snprintf(copy, sizeof copy, "%s", before);
    press(app, ATS_KEY_N, ATS_MOD_CTRL); /* nothing appended: a banner says why */
    assert_true(app->state.banner_is_error);
    assert_non_null(strstr(app->state.banner, "[MASK]"));
    assert_string_equal(ats_editor_text(ats_app_source_editor(app)), copy);
    ats_app_free(app);
}

/* BERT predicts nothing (no panel, a clear banner for the key); T5 refuses ablation and compare
 * with a banner; the demo model runs every view of the analysis. */
static void test_app_analysis_other_models(void **state) {
    (void)state;
    ats_app *app = start_on("fixtures/hf/tiny-random-bert", "the cat sat on the mat");
    if (!app)
        skip();
    assert_false(app->state.analysis.predicts);
    assert_false(app->state.analysis.fills_mask); /* a BertModel: no masked-LM head */
    press(app, ATS_KEY_N, ATS_MOD_CTRL);
    assert_true(app->state.banner_is_error);
    assert_non_null(strstr(app->state.banner, "language-model head"));
    press(app, ATS_KEY_W, ATS_MOD_CTRL); /* value-weighted works on a bidirectional model */
    assert_non_null(ats_app_get_extras(app)->value_norms);
    ats_app_free(app);

    app = start_on("fixtures/hf/t5-tiny-random", "Hello world");
    if (!app)
        skip();
    press(app, ATS_KEY_D, ATS_MOD_CTRL);
    assert_true(app->state.banner_is_error);
    assert_int_equal(app->state.analysis.n_ablated, 0);
    press(app, ATS_KEY_B, ATS_MOD_CTRL);
    assert_false(app->state.analysis.compare);
    ats_app_free(app);

    app = start_on(NULL, "The cat sat on the mat");
    press(app, ATS_KEY_R, ATS_MOD_CTRL);
    ats_frame f = {.scale = 1};
    assert_true(ats_frame_resize(&f, 1024, 700));
    ats_app_draw(app, &f);
    assert_true(app->ui->view_ok);
    assert_int_equal(app->ui->view_kind, ATS_VIEW_AGGREGATE);
    ats_frame_free(&f);
    ats_app_free(app);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_analysis_prediction_and_generation),
        cmocka_unit_test(test_app_analysis_ablation),
        cmocka_unit_test(test_app_analysis_value_weighted),
        cmocka_unit_test(test_app_analysis_aggregate_and_metrics),
        cmocka_unit_test(test_app_analysis_compare),
        cmocka_unit_test(test_app_analysis_compare_models),
        cmocka_unit_test(test_app_analysis_other_models),
        cmocka_unit_test(test_app_analysis_masked_prediction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
