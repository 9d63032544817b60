/* The analysis functions (analysis.h) on small hand-worked cases: head metrics, rollout on two
 * tokens, top-k order and ties, value weighting, attention received, sampling rules, the text
 * of generated pieces, and head ablation's effect on which layers change. The full-size numbers
 * are checked against an independent float64 implementation in test_cli_analysis. */
#include "test_support.h"

#include "attnscope/analysis.h"
#include "tokenizer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A = [[1, 0, 0], [.5, .5, 0], [.2, .3, .5]] worked by hand:
 *   entropy   (0 + ln 2 + (-.2 ln .2 - .3 ln .3 - .5 ln .5)) / 3
 *   prev      (.5 + .3) / 2 = .4          first (1 + .5 + .2) / 3
 *   self      (1 + .5 + .5) / 3           distance (0 + .5 + (.2*2 + .3*1)) / 3 = .4
 *   max       (1 + .5 + .5) / 3 */
static void test_analysis_metrics_by_hand(void **state) {
    (void)state;
    const float a[9] = {1, 0, 0, .5f, .5f, 0, .2f, .3f, .5f};
    ats_head_metrics m;
    ats_head_metrics_of(a, 3, &m);
    double h2 = -(.2 * log(.2) + .3 * log(.3) + .5 * log(.5));
    assert_true(fabs(m.value[ATS_METRIC_ENTROPY] - (log(2.0) + h2) / 3) < 1e-7);
    assert_true(fabs(m.value[ATS_METRIC_PREV_TOKEN] - 0.4) < 1e-7);
    assert_true(fabs(m.value[ATS_METRIC_FIRST_TOKEN] - 1.7 / 3) < 1e-7);
    assert_true(fabs(m.value[ATS_METRIC_SELF] - 2.0 / 3) < 1e-7);
    assert_true(fabs(m.value[ATS_METRIC_DISTANCE] - 0.4) < 1e-7);
    assert_true(fabs(m.value[ATS_METRIC_MAX_WEIGHT] - 2.0 / 3) < 1e-7);

    const float one[1] = {1}; /* one token: no previous token */
    ats_head_metrics_of(one, 1, &m);
    assert_true(isnan(m.value[ATS_METRIC_PREV_TOKEN]));
    assert_true(m.value[ATS_METRIC_ENTROPY] == 0 && m.value[ATS_METRIC_SELF] == 1);
}

static void test_analysis_metric_names(void **state) {
    (void)state;
    const char *names[] = {"entropy", "prev_token", "first_token",
                           "self",    "distance",   "max_weight"};
    for (int m = 0; m < ATS_METRIC_COUNT; m++) {
        ats_metric back;
        assert_string_equal(ats_metric_name((ats_metric)m), names[m]);
        assert_true(ats_metric_from_name(names[m], &back));
        assert_int_equal(back, m);
    }
    ats_metric x;
    assert_false(ats_metric_from_name("induction?", &x));
    assert_false(ats_metric_from_name(NULL, &x));
}

/* Logits [1, 3, 3, 0]: 1 and 2 tie (the lower id first), then 0, then 3; probabilities
 * e^l / (e + 2e^3 + 1). */
static void test_analysis_top_k_order_and_ties(void **state) {
    (void)state;
    const float logits[4] = {1, 3, 3, 0};
    ats_token_prob top[8];
    assert_int_equal(ats_top_k(logits, 4, 3, top), 3);
    assert_int_equal(top[0].id, 1);
    assert_int_equal(top[1].id, 2);
    assert_int_equal(top[2].id, 0);
    double z = exp(1.0) + 2 * exp(3.0) + 1;
    assert_true(fabs(top[0].prob - exp(3.0) / z) < 1e-7);
    assert_true(fabs(top[2].prob - exp(1.0) / z) < 1e-7);
    assert_int_equal(ats_top_k(logits, 4, 8, top), 4); /* more than the vocabulary: all of it */
    assert_int_equal(top[3].id, 3);
    assert_int_equal(ats_top_k(logits, 4, 0, top), 0);

    /* the many-k path (a sort) agrees with the few-k path (insertion) */
    float many[200];
    for (int i = 0; i < 200; i++)
        many[i] = (float)((i * 37) % 50); /* ties everywhere */
    ats_token_prob big[100], small[20];
    assert_int_equal(ats_top_k(many, 200, 100, big), 100);
    assert_int_equal(ats_top_k(many, 200, 20, small), 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(big[i].id, small[i].id);
    for (int i = 1; i < 100; i++)
        assert_true(many[big[i - 1].id] > many[big[i].id] ||
                    (many[big[i - 1].id] == many[big[i].id] && big[i - 1].id < big[i].id));
}

static void test_analysis_value_weighted_and_received(void **state) {
    (void)state;
    const float a[4] = {1, 0, .25f, .75f}, norms[2] = {2, 4};
    float out[4], received[2];
    ats_value_weighted(a, norms, 2, 2, out);
    assert_true(out[0] == 2 && out[1] == 0 && out[2] == .5f && out[3] == 3);
    ats_attention_received(a, 2, 2, received);
    assert_true(received[0] == 1.25f && received[1] == .75f);
}

/* Greedy takes the highest logit (the lowest id on a tie) and reports softmax's probability;
 * top_p that keeps one token always draws it; a seed repeats its draws. */
static void test_analysis_sampling_rules(void **state) {
    (void)state;
    const float logits[4] = {0, 2, 2, 1};
    ats_sampling g = ats_sampling_greedy();
    float p;
    assert_int_equal(ats_sampling_choose(&g, logits, 4, &p), 1);
    double z = 1 + 2 * exp(2.0) + exp(1.0);
    assert_true(fabs(p - exp(2.0) / z) < 1e-7);

    ats_sampling s = {.sample = true, .temperature = 1, .top_p = 0.01f, .state = 7};
    for (int i = 0; i < 50; i++)
        assert_int_equal(ats_sampling_choose(&s, logits, 4, &p), 1); /* the nucleus is {1} */

    ats_sampling a = {.sample = true, .temperature = 1, .top_p = 1, .state = 42}, b = a;
    int counts[4] = {0};
    for (int i = 0; i < 400; i++) {
        int32_t x = ats_sampling_choose(&a, logits, 4, &p),
                y = ats_sampling_choose(&b, logits, 4, &p);
        assert_int_equal(x, y);
        counts[x]++;
    }
    for (int i = 0; i < 4; i++) /* every token is drawn, roughly as often as its probability */
        assert_true(counts[i] > 0);
    assert_true(counts[1] + counts[2] > counts[0] + counts[3]);

    ats_error err;
    ats_sampling bad = {.sample = true, .temperature = 0, .top_p = 1};
    assert_int_equal(ats_sampling_check(&bad, &err), ATS_ERR_ARG);
    bad = (ats_sampling){.sample = true, .temperature = 1, .top_p = 1.5f};
    assert_int_equal(ats_sampling_check(&bad, &err), ATS_ERR_ARG);
}

/* Byte pieces become the bytes they stand for when those form UTF-8; a lone one stays written. */
static void test_analysis_tokens_text(void **state) {
    (void)state;
    ats_tokens *t = ats_tokens_new();
    const char *pieces[] = {" caf", "<0xC3>", "<0xA9>", "!", "<0xE6>"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(ats_tokens_push(t, i, 0, 0, false, pieces[i], strlen(pieces[i]), NULL),
                         ATS_OK);
    char *text;
    size_t len;
    assert_int_equal(ats_tokens_text(t, 0, 5, &text, &len, NULL), ATS_OK);
    assert_string_equal(text, " caf\xC3\xA9!<0xE6>");
    assert_int_equal(len, strlen(text));
    free(text);
    assert_int_equal(ats_tokens_text(t, 3, 3, &text, &len, NULL), ATS_OK);
    assert_string_equal(text, "");
    free(text);
    ats_tokens_free(t);
}

/* WordPiece text: words apart, "##" pieces joined, no space before a full stop. */
static void test_analysis_wordpiece_text(void **state) {
    (void)state;
    ats_tokens *t = ats_tokens_new();
    const char *pieces[] = {"the", "cat", "##s", "sat", "."};
    for (int i = 0; i < 5; i++)
        assert_int_equal(ats_tokens_push(t, i, 0, 0, false, pieces[i], strlen(pieces[i]), NULL),
                         ATS_OK);
    ats_tokenizer wp = {.kind = "WordPiece"};
    char *text;
    assert_int_equal(ats_tokenizer_text(&wp, t, 0, 5, false, &text, NULL, NULL), ATS_OK);
    assert_string_equal(text, "the cats sat.");
    free(text);
    assert_int_equal(ats_tokenizer_text(&wp, t, 1, 3, true, &text, NULL, NULL), ATS_OK);
    assert_string_equal(text, " cats");
    free(text);
    ats_tokenizer bpe = {.kind = "byte-level BPE"}; /* pieces as they are */
    assert_int_equal(ats_tokenizer_text(&bpe, t, 0, 3, true, &text, NULL, NULL), ATS_OK);
    assert_string_equal(text, "thecat##s");
    free(text);
    ats_tokens_free(t);
}

static ats_model *load_gpt2(void) {
    const char *dir = ats_test_shared("fixtures/hf/tiny-random-gpt2");
    if (!dir)
        return NULL;
    ats_model *m = NULL;
    assert_int_equal(ats_model_load(dir, NULL, &m, NULL), ATS_OK);
    return m;
}

/* Ablating a head of layer 2 leaves layers 0..2's attention as it was and changes layers 3.. and
 * the logits; a reused prefix needs the same ablation. */
static void test_analysis_ablation_reaches_later_layers(void **state) {
    (void)state;
    ats_model *m = load_gpt2();
    if (!m)
        skip();
    const char *text = "the quick brown fox jumps";
    ats_run_opts o = ats_run_opts_default();
    o.want_logits = true;
    o.keep_cache = true;
    ats_run *plain, *ablated;
    assert_int_equal(ats_run_text(m, text, strlen(text), &o, &plain, NULL), ATS_OK);
    ats_head_ref heads[] = {{2, 1}, {2, 1}, {2, 3}};
    o.ablate = heads;
    o.n_ablate = 3;
    assert_int_equal(ats_run_text(m, text, strlen(text), &o, &ablated, NULL), ATS_OK);
    assert_int_equal(ats_run_n_ablated(ablated), 2);
    assert_true(ats_run_head_ablated(ablated, 2, 1) && ats_run_head_ablated(ablated, 2, 3));
    assert_false(ats_run_head_ablated(ablated, 2, 0) || ats_run_head_ablated(plain, 2, 1));
    assert_false(ats_run_head_ablated(ablated, 9, 9));
    const ats_model_config *c = ats_model_get_config(m);
    int T = ats_run_n_tokens(plain);
    for (int l = 0; l < c->n_layer; l++) {
        double diff = 0;
        for (int h = 0; h < c->n_head; h++)
            for (int k = 0; k < T * T; k++)
                diff = fmax(diff, fabs(ats_run_attention(plain, l, h)[k] -
                                       ats_run_attention(ablated, l, h)[k]));
        if (l <= 2)
            assert_true(diff == 0);
        else
            assert_true(diff > 1e-6);
    }
    assert_true(fabs(ats_run_logits_last(plain)[0] - ats_run_logits_last(ablated)[0]) > 1e-7);

    /* typing on: a longer text reuses the ablated run only with the same heads ablated */
    const char *longer = "the quick brown fox jumps over";
    ats_run *next;
    o.reuse = ablated;
    assert_int_equal(ats_run_text(m, longer, strlen(longer), &o, &next, NULL), ATS_OK);
    assert_true(ats_run_reused_tokens(next) > 0);
    ats_run_free(next);
    o.n_ablate = 1;
    assert_int_equal(ats_run_text(m, longer, strlen(longer), &o, &next, NULL), ATS_OK);
    assert_int_equal(ats_run_reused_tokens(next), 0);
    ats_run_free(next);

    ats_error err;
    ats_head_ref out_of_range = {5, 0};
    o.ablate = &out_of_range;
    o.reuse = NULL;
    assert_int_equal(ats_run_text(m, text, strlen(text), &o, &next, &err), ATS_ERR_ARG);
    assert_non_null(strstr(err.message, "5:0"));
    ats_run_free(plain);
    ats_run_free(ablated);
    ats_model_free(m);
}

/* Two tokens of a causal model: head_mean row 0 is [1, 0], so A^ row 0 is [1, 0] and row 1 is
 * [m10 / 2, m11 / 2 + 1/2]; R_l = A^_l R_(l-1) worked out for 2 x 2 matrices. */
static void test_analysis_rollout_two_tokens(void **state) {
    (void)state;
    ats_model *m = load_gpt2();
    if (!m)
        skip();
    ats_run *run;
    const int32_t ids[2] = {10, 20};
    assert_int_equal(ats_run_ids(m, ids, 2, NULL, &run, NULL), ATS_OK);
    assert_int_equal(ats_run_n_tokens(run), 2);
    const ats_model_config *c = ats_model_get_config(m);
    float *roll = malloc((size_t)c->n_layer * 4 * sizeof *roll);
    assert_int_equal(ats_run_rollout(run, roll, NULL), ATS_OK);
    double R[2][2] = {{1, 0}, {0, 1}};
    for (int l = 0; l < c->n_layer; l++) {
        float mean[4];
        assert_int_equal(ats_run_head_mean_max(run, l, mean, NULL, NULL), ATS_OK);
        double hat[2][2] = {{1, 0}, {0.5 * mean[2], 0.5 * mean[3] + 0.5}};
        double next[2][2];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                next[i][j] = hat[i][0] * R[0][j] + hat[i][1] * R[1][j];
        memcpy(R, next, sizeof R);
        for (int k = 0; k < 4; k++)
            assert_true(fabs(roll[l * 4 + k] - R[k / 2][k % 2]) < 1e-6);
    }
    ats_error err;
    assert_int_equal(ats_run_head_mean_max(run, c->n_layer, roll, NULL, &err), ATS_ERR_ARG);
    free(roll);
    ats_run_free(run);
    ats_model_free(m);
}

/* A generated run holds what a fresh run of the same ids gives (prefix reuse is exact enough),
 * and value norms need the cache. */
static void test_analysis_generate_matches_fresh_run(void **state) {
    (void)state;
    ats_model *m = load_gpt2();
    if (!m)
        skip();
    ats_sampling g = ats_sampling_greedy();
    ats_run *run;
    float probs[6];
    int made;
    assert_int_equal(ats_generate(m, "Hello", 5, NULL, 6, &g, &run, probs, &made, NULL), ATS_OK);
    assert_int_equal(made, 6);
    int T = ats_run_n_tokens(run);
    int32_t ids[64];
    for (int i = 0; i < T; i++)
        ids[i] = ats_tokens_get(ats_run_get_tokens(run), i)->id;
    ats_run *fresh;
    ats_run_opts o = ats_run_opts_default();
    assert_int_equal(ats_run_ids(m, ids, T, &o, &fresh, NULL), ATS_OK);
    const ats_model_config *c = ats_model_get_config(m);
    ats_assert_close(ats_run_attentions(run), ats_run_attentions(fresh),
                     (size_t)c->n_layer * c->n_head * T * T, 1e-5, "generated vs fresh");
    ats_error err;
    float *norms = malloc((size_t)c->n_layer * c->n_head * T * sizeof *norms);
    assert_int_equal(ats_run_value_norms(m, fresh, norms, &err), ATS_ERR_ARG);
    assert_int_equal(ats_run_value_norms(m, run, norms, &err), ATS_OK);
    free(norms);
    /* the last token's span follows the text */
    const ats_token *last = ats_tokens_get(ats_run_get_tokens(run), T - 1);
    assert_true(last->end > last->start || last->piece[0] == '\0');
    ats_run_free(fresh);
    ats_run_free(run);
    ats_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analysis_metrics_by_hand),
        cmocka_unit_test(test_analysis_metric_names),
        cmocka_unit_test(test_analysis_top_k_order_and_ties),
        cmocka_unit_test(test_analysis_value_weighted_and_received),
        cmocka_unit_test(test_analysis_sampling_rules),
        cmocka_unit_test(test_analysis_tokens_text),
        cmocka_unit_test(test_analysis_wordpiece_text),
        cmocka_unit_test(test_analysis_ablation_reaches_later_layers),
        cmocka_unit_test(test_analysis_rollout_two_tokens),
        cmocka_unit_test(test_analysis_generate_matches_fresh_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
