/* The attention formula step by step: recomputed here from q, k, v and compared with the
 * engine's steps, which must also reproduce the run's own attention; the what-if switches
 * change exactly what they claim. */
#include "test_support.h"

#include "attnscope/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *TEXT = "The animal didn't cross the street because it was too tired.";

typedef struct fixture {
    ats_model *model;
    ats_run *run;
} fixture;

static fixture setup_demo(bool causal) {
    fixture fx = {0};
    ats_load_opts lo = ats_load_opts_default();
    lo.causal = causal ? 1 : 0;
    assert_int_equal(ats_model_load("builtin:demo", &lo, &fx.model, NULL), ATS_OK);
    ats_run_opts ro = ats_run_opts_default();
    ro.detail_layer = ATS_DETAIL_ALL_LAYERS;
    assert_int_equal(ats_run_text(fx.model, TEXT, strlen(TEXT), &ro, &fx.run, NULL), ATS_OK);
    return fx;
}

static void teardown(fixture *fx) {
    ats_run_free(fx->run);
    ats_model_free(fx->model);
}

/* softmax(x / temperature) over the first `visible` entries, zeros after, in double. */
static void reference_softmax(const double *x, int n, int visible, double temperature,
                              double *out) {
    double max = -INFINITY, sum = 0;
    for (int j = 0; j < visible; j++)
        max = fmax(max, x[j] / temperature);
    for (int j = 0; j < visible; j++)
        sum += exp(x[j] / temperature - max);
    for (int j = 0; j < n; j++)
        out[j] = j < visible ? exp(x[j] / temperature - max) / sum : 0.0;
}

/* Recomputes every step from st->q, st->k, st->v and the switches, and compares. */
static void check_steps_recomputed(const ats_head_steps *st, bool scale, bool causal,
                                   double temperature) {
    int T = st->n_tokens, dh = st->d_head;
    double scores[128], scaled[128], weights[128];
    assert_true(T <= 128);
    double factor = scale ? 1.0 / sqrt((double)dh) : 1.0;
    for (int j = 0; j < T; j++) {
        scores[j] = 0;
        for (int i = 0; i < dh; i++)
            scores[j] += (double)st->q[i] * st->k[j * dh + i];
        scaled[j] = scores[j] * factor;
        assert_true(fabs(scores[j] - st->scores[j]) <= 1e-4 * fmax(1.0, fabs(scores[j])));
        assert_true(fabs(scaled[j] - st->scaled[j]) <= 1e-4 * fmax(1.0, fabs(scaled[j])));
        assert_int_equal(st->masked[j], causal && j > st->token);
    }
    reference_softmax(scaled, T, causal ? st->token + 1 : T, temperature, weights);
    double sum = 0;
    for (int j = 0; j < T; j++) {
        assert_true(fabs(weights[j] - st->weights[j]) < 1e-5);
        sum += st->weights[j];
    }
    assert_true(fabs(sum - 1.0) < 1e-5);
    for (int i = 0; i < dh; i++) {
        double o = 0;
        for (int j = 0; j < T; j++)
            o += weights[j] * st->v[j * dh + i];
        assert_true(fabs(o - st->output[i]) < 1e-4);
    }
    assert_true(fabsf(st->scale - (float)factor) < 1e-7f);
    assert_int_equal(st->causal, causal);
}

static void test_steps_reproduce_the_run(void **state) {
    (void)state;
    for (int causal = 0; causal <= 1; causal++) {
        fixture fx = setup_demo(causal);
        int T = ats_run_n_tokens(fx.run);
        for (int l = 0; l < 2; l++) {
            for (int h = 0; h < 4; h++) {
                ats_head_detail d;
                assert_int_equal(ats_run_head_detail(fx.run, l, h, &d, NULL), ATS_OK);
                for (int t = 0; t < T; t++) {
                    ats_head_steps *st;
                    assert_int_equal(ats_head_steps_compute(fx.run, l, h, t, NULL, &st, NULL),
                                     ATS_OK);
                    check_steps_recomputed(st, true, causal, 1.0);
                    /* the softmax weights are the run's attention row, the output its head output
                     */
                    ats_assert_close(st->weights, ats_run_attention(fx.run, l, h) + t * T,
                                     (size_t)T, 1e-6, "weights vs attention row");
                    ats_assert_close(st->output, d.out + t * d.d_head, (size_t)d.d_head, 1e-5,
                                     "output vs head output");
                    ats_head_steps_free(st);
                }
            }
        }
        teardown(&fx);
    }
}

static void test_steps_switches_change_what_they_claim(void **state) {
    (void)state;
    fixture fx = setup_demo(false);
    const int layer = 1, head = 2, token = 5;
    ats_head_steps *base, *st;
    assert_int_equal(ats_head_steps_compute(fx.run, layer, head, token, NULL, &base, NULL), ATS_OK);
    int T = base->n_tokens;

    /* scaling off: scores unchanged, scaled == scores, a sharper softmax */
    ats_step_opts o = ats_step_opts_default();
    o.scale = false;
    assert_int_equal(ats_head_steps_compute(fx.run, layer, head, token, &o, &st, NULL), ATS_OK);
    ats_assert_close(st->scores, base->scores, (size_t)T, 0, "scores with scaling off");
    ats_assert_close(st->scaled, st->scores, (size_t)T, 0, "scaled == scores when off");
    check_steps_recomputed(st, false, false, 1.0);
    float max_base = 0, max_off = 0;
    for (int j = 0; j < T; j++) {
        max_base = fmaxf(max_base, base->weights[j]);
        max_off = fmaxf(max_off, st->weights[j]);
    }
    assert_true(max_off > max_base); /* without 1/sqrt(d_k) the softmax saturates */
    ats_head_steps_free(st);

    /* temperature 3: same scores and scaled values, softmax of scaled / 3 */
    o = ats_step_opts_default();
    o.temperature = 3.0f;
    assert_int_equal(ats_head_steps_compute(fx.run, layer, head, token, &o, &st, NULL), ATS_OK);
    ats_assert_close(st->scaled, base->scaled, (size_t)T, 0, "scaled with a temperature");
    check_steps_recomputed(st, true, false, 3.0);
    ats_head_steps_free(st);

    /* causal on for a bidirectional model: keys after the query masked and weightless */
    o = ats_step_opts_default();
    o.causal = 1;
    assert_int_equal(ats_head_steps_compute(fx.run, layer, head, token, &o, &st, NULL), ATS_OK);
    check_steps_recomputed(st, true, true, 1.0);
    for (int j = token + 1; j < T; j++)
        assert_true(st->masked[j] && st->weights[j] == 0.0f);
    ats_head_steps_free(st);

    ats_head_steps_free(base);
    teardown(&fx);

    /* causal off for a causal model: every key visible again */
    fx = setup_demo(true);
    o = ats_step_opts_default();
    o.causal = 0;
    assert_int_equal(ats_head_steps_compute(fx.run, layer, head, token, &o, &st, NULL), ATS_OK);
    check_steps_recomputed(st, true, false, 1.0);
    assert_true(st->weights[T - 1] > 0.0f);
    ats_head_steps_free(st);
    teardown(&fx);
}

static void test_steps_bad_arguments(void **state) {
    (void)state;
    fixture fx = setup_demo(false);
    ats_head_steps *st;
    ats_error err;
    assert_int_equal(ats_head_steps_compute(fx.run, 0, 0, 99, NULL, &st, &err), ATS_ERR_ARG);
    assert_non_null(strstr(err.message, "token 99"));
    assert_int_equal(ats_head_steps_compute(fx.run, 0, 4, 0, NULL, &st, &err), ATS_ERR_ARG);
    ats_step_opts o = ats_step_opts_default();
    o.temperature = 0.0f;
    assert_int_equal(ats_head_steps_compute(fx.run, 0, 0, 0, &o, &st, &err), ATS_ERR_ARG);
    teardown(&fx);

    /* a run that did not keep the layer's details */
    ats_model *m;
    ats_run *run;
    assert_int_equal(ats_model_load("builtin:demo", NULL, &m, NULL), ATS_OK);
    assert_int_equal(ats_run_text(m, TEXT, strlen(TEXT), NULL, &run, NULL), ATS_OK);
    assert_int_equal(ats_head_steps_compute(run, 0, 0, 0, NULL, &st, &err), ATS_ERR_ARG);
    assert_non_null(strstr(err.message, "not kept"));
    ats_run_free(run);
    ats_model_free(m);
}

static void test_steps_from_the_command_line(void **state) {
    (void)state;
    ats_cli_result r =
        ats_run_cli((const char *const[]){"dump", "--text", TEXT, "--steps", "--layer", "0",
                                          "--head", "1", "--token", "4", NULL},
                    NULL, 0);
    if (r.exit_code != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    json_t *j = ats_parse_json(r.out);
    json_t *steps = json_object_get(j, "steps");
    assert_non_null(steps);
    int T = (int)json_array_size(json_object_get(j, "tokens"));
    assert_int_equal(json_integer_value(json_object_get(steps, "d_k")), 16);
    assert_int_equal(json_array_size(json_object_get(steps, "q")), 16);
    assert_int_equal(json_array_size(json_object_get(steps, "k")), T);
    assert_int_equal(json_array_size(json_object_get(steps, "scaled")), T);
    /* weights are the attention row of the query token */
    json_t *row =
        json_array_get(json_array_get(json_array_get(json_object_get(j, "attentions"), 0), 0), 4);
    assert_true(json_equal(row, json_object_get(steps, "weights")));
    /* scaled is scores / sqrt(16) */
    for (int t = 0; t < T; t++) {
        double sc = json_number_value(json_array_get(json_object_get(steps, "scores"), t));
        double sd = json_number_value(json_array_get(json_object_get(steps, "scaled"), t));
        assert_true(fabs(sc / 4.0 - sd) < 1e-5 * fmax(1.0, fabs(sd)));
    }
    json_decref(j);
    ats_cli_result_free(&r);

    /* the what-if switches: the same numbers as ats_head_steps_compute with them */
    r = ats_run_cli((const char *const[]){"dump", "--text", TEXT, "--steps", "--layer", "1",
                                          "--head", "2", "--token", "5", "--no-scaling",
                                          "--causal-mask", "on", "--temperature", "2", NULL},
                    NULL, 0);
    if (r.exit_code != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    j = ats_parse_json(r.out);
    steps = json_object_get(j, "steps");
    assert_true(json_number_value(json_object_get(steps, "scale")) == 1.0);
    assert_true(json_number_value(json_object_get(steps, "temperature")) == 2.0);
    assert_true(json_is_true(json_object_get(steps, "causal")));
    fixture fx = setup_demo(false);
    ats_step_opts o = ats_step_opts_default();
    o.scale = false;
    o.causal = 1;
    o.temperature = 2.0f;
    ats_head_steps *st;
    assert_int_equal(ats_head_steps_compute(fx.run, 1, 2, 5, &o, &st, NULL), ATS_OK);
    float got[128];
    size_t n = ats_json_flatten(json_object_get(steps, "weights"), got, 128);
    assert_int_equal(n, (size_t)st->n_tokens);
    ats_assert_close(got, st->weights, n, 1e-7, "dump --steps weights with what-ifs");
    n = ats_json_flatten(json_object_get(steps, "scaled"), got, 128);
    ats_assert_close(got, st->scores, n, 1e-7, "scaled == scores with scaling off");
    ats_head_steps_free(st);
    teardown(&fx);
    json_decref(j);
    ats_cli_result_free(&r);
    r = ats_run_cli((const char *const[]){"dump", "--text", TEXT, "--no-scaling", NULL}, NULL, 0);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "go with --steps"));
    ats_cli_result_free(&r);

    r = ats_run_cli((const char *const[]){"dump", "--text", TEXT, "--steps", "--layer", "0",
                                          "--head", "1", NULL},
                    NULL, 0);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--token"));
    ats_cli_result_free(&r);
    r = ats_run_cli((const char *const[]){"dump", "--text", "two words", "--steps", "--layer", "0",
                                          "--head", "1", "--token", "2", NULL},
                    NULL, 0);
    assert_int_equal(r.exit_code, 2);
    assert_int_equal(ats_count_lines(r.err), 1);
    ats_cli_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps_reproduce_the_run),
        cmocka_unit_test(test_steps_switches_change_what_they_claim),
        cmocka_unit_test(test_steps_bad_arguments),
        cmocka_unit_test(test_steps_from_the_command_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
