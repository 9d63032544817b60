/* The pipeline view's steps for T5's cross-attention: for every decoder layer, head and decoder
 * token of the reference cases, the softmax weights of ats_cross_steps_compute equal the
 * reference's cross_attentions row (../shared/reference/models/t5-tiny-random.json, from
 * Hugging Face), the weighted sum is weights . V, and the pipeline data and its JSON name the
 * kind and label the keys with the encoder's tokens. */
#include "test_support.h"

#include "attnscope/engine.h"
#include "attnscope/rundata.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double ATTN_TOL = 1e-4;

typedef struct t5 {
    ats_model *model;
    json_t *ref;
} t5;

/* The fixture model and its reference, or a skip when ../shared is absent. */
static t5 load_t5(void) {
    ATS_REQUIRE_SHARED(model_path, "fixtures/hf/t5-tiny-random");
    ATS_REQUIRE_SHARED(ref_path, "reference/models/t5-tiny-random.json");
    t5 f = {0};
    ats_error err;
    if (ats_model_load(model_path, NULL, &f.model, &err) != ATS_OK)
        fail_msg("load failed: %s", err.message);
    f.ref = ats_load_json_file(ref_path);
    return f;
}

static void free_t5(t5 *f) {
    json_decref(f->ref);
    ats_model_free(f->model);
}

/* A case's run on the reference ids, keeping every layer's details. */
static ats_run *run_case(const t5 *f, const json_t *c) {
    int ne, nd;
    int32_t *enc = ats_json_ids(json_object_get(c, "ids"), &ne);
    int32_t *dec = ats_json_ids(json_object_get(c, "decoder_ids"), &nd);
    ats_run_opts ro = ats_run_opts_default();
    ro.detail_layer = ATS_DETAIL_ALL_LAYERS;
    ats_run *run = NULL;
    ats_error err;
    if (ats_run_seq2seq_ids(f->model, enc, ne, dec, nd, &ro, &run, &err) != ATS_OK)
        fail_msg("run failed: %s", err.message);
    free(enc);
    free(dec);
    return run;
}

/* Every layer, head and decoder token of every case: weights against the reference row, the
 * output against weights . V in double, keys the encoder's, no mask. */
static void test_cross_steps_match_reference(void **state) {
    (void)state;
    t5 f = load_t5();
    const ats_model_config *dc = ats_model_get_decoder_config(f.model);
    assert_non_null(dc);
    size_t i;
    const json_t *c;
    int checked = 0;
    json_array_foreach(json_object_get(f.ref, "cases"), i, c) {
        ats_run *run = run_case(&f, c);
        int Td = ats_run_n_tokens(run), Te = ats_run_n_tokens(ats_run_encoder(run));
        size_t n = (size_t)dc->n_layer * dc->n_head * Td * Te;
        float *ref = calloc(n, sizeof *ref);
        assert_non_null(ref);
        assert_int_equal(ats_json_flatten(json_object_get(c, "cross_attentions"), ref, n), n);
        for (int l = 0; l < dc->n_layer; l++)
            for (int h = 0; h < dc->n_head; h++)
                for (int t = 0; t < Td; t++) {
                    ats_head_steps *st = NULL;
                    ats_error err;
                    if (ats_cross_steps_compute(run, l, h, t, NULL, &st, &err) != ATS_OK)
                        fail_msg("case %zu L%d H%d T%d: %s", i, l, h, t, err.message);
                    assert_true(st->cross);
                    assert_int_equal(st->n_tokens, Te);
                    assert_null(st->bias);
                    assert_false(st->causal);
                    char what[96];
                    snprintf(what, sizeof what, "case %zu cross L%d H%d decoder token %d", i, l, h,
                             t);
                    const float *row = ref + (((size_t)l * dc->n_head + h) * Td + t) * Te;
                    ats_assert_close(st->weights, row, (size_t)Te, ATTN_TOL, what);
                    for (int j = 0; j < Te; j++)
                        assert_false(st->masked[j]);
                    /* output = sum_j weights_j v_j, with the reference's weights */
                    for (int d = 0; d < st->d_head; d++) {
                        double want = 0;
                        for (int j = 0; j < Te; j++)
                            want += (double)row[j] * st->v[(size_t)j * st->d_head + d];
                        double scale = 0;
                        for (int j = 0; j < Te; j++)
                            scale += fabs((double)st->v[(size_t)j * st->d_head + d]);
                        if (fabs(st->output[d] - want) > 1e-4 * fmax(1.0, scale))
                            fail_msg("%s: output[%d] %g, weights . V %g", what, d,
                                     (double)st->output[d], want);
                    }
                    ats_head_steps_free(st);
                    checked++;
                }
        free(ref);
        ats_run_free(run);
    }
    assert_true(checked > 100);
    free_t5(&f);
}

/* The what-if switches: a temperature divides the logits; the causal mask does not apply. */
static void test_cross_steps_whatif(void **state) {
    (void)state;
    t5 f = load_t5();
    ats_run *run = run_case(&f, json_array_get(json_object_get(f.ref, "cases"), 0));
    int Te = ats_run_n_tokens(ats_run_encoder(run));
    ats_head_steps *base = NULL, *st = NULL;
    assert_int_equal(ats_cross_steps_compute(run, 1, 0, 2, NULL, &base, NULL), ATS_OK);
    ats_step_opts o = ats_step_opts_default();
    o.causal = 1; /* ignored: every encoder token stays visible */
    assert_int_equal(ats_cross_steps_compute(run, 1, 0, 2, &o, &st, NULL), ATS_OK);
    ats_assert_close(st->weights, base->weights, (size_t)Te, 0.0, "causal switch on cross");
    ats_head_steps_free(st);
    o = ats_step_opts_default();
    o.temperature = 2.0f;
    assert_int_equal(ats_cross_steps_compute(run, 1, 0, 2, &o, &st, NULL), ATS_OK);
    /* softmax(x / 2) in double from the unswitched logits */
    double max = -INFINITY, sum = 0;
    for (int j = 0; j < Te; j++)
        max = fmax(max, base->scaled[j] / 2.0);
    for (int j = 0; j < Te; j++)
        sum += exp(base->scaled[j] / 2.0 - max);
    for (int j = 0; j < Te; j++)
        assert_true(fabs(st->weights[j] - exp(base->scaled[j] / 2.0 - max) / sum) < 1e-6);
    ats_head_steps_free(st);
    ats_head_steps_free(base);
    /* errors: a token past the decoder's text, a run without cross-attention */
    ats_error err;
    assert_int_equal(ats_cross_steps_compute(run, 0, 0, ats_run_n_tokens(run), NULL, &st, &err),
                     ATS_ERR_ARG);
    assert_null(st);
    assert_int_equal(ats_cross_steps_compute(ats_run_encoder(run), 0, 0, 0, NULL, &st, &err),
                     ATS_ERR_ARG);
    assert_non_null(strstr(err.message, "cross-attention"));
    ats_run_free(run);
    free_t5(&f);
}

/* The pipeline data of the cross kind and its JSON: the kind, the decoder's tokens as queries,
 * the encoder's as keys, the encoder's output as step 1, and the reference's weights. */
static void test_cross_pipeline_data_and_json(void **state) {
    (void)state;
    t5 f = load_t5();
    const json_t *c = json_array_get(json_object_get(f.ref, "cases"), 1);
    ats_run *run = run_case(&f, c);
    int Td = ats_run_n_tokens(run), Te = ats_run_n_tokens(ats_run_encoder(run));
    const ats_model_config *dc = ats_model_get_decoder_config(f.model);
    int layer = 1, head = 1, token = Td - 2;
    ats_run_pipeline p;
    ats_error err;
    if (ats_run_pipeline_make_kind(&p, f.model, run, ATS_ATTN_CROSS, layer, head, token, NULL,
                                   &err) != ATS_OK)
        fail_msg("pipeline: %s", err.message);
    assert_true(p.data.cross);
    assert_false(p.data.causal);
    assert_null(p.data.bias);
    assert_non_null(strstr(p.data.caption, "encoder"));
    assert_ptr_equal(p.data.input, ats_run_hidden(ats_run_encoder(run)));

    char *buf = NULL;
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    assert_non_null(mf);
    assert_int_equal(ats_pipeline_write_json(mf, f.model, run, "x", 1, &p.data, NULL, &err),
                     ATS_OK);
    fclose(mf);
    json_t *j = ats_parse_json(buf);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "cross-attention");
    assert_int_equal(json_array_size(json_object_get(j, "tokens")), (size_t)Td);
    assert_int_equal(json_array_size(json_object_get(j, "key_tokens")), (size_t)Te);
    assert_int_equal(json_integer_value(json_object_get(j, "query_token")), token);
    const json_t *steps = json_object_get(j, "steps");
    assert_int_equal(json_array_size(json_object_get(steps, "2_k")), (size_t)Te);
    assert_int_equal(json_array_size(json_object_get(steps, "1_input")), (size_t)Te);
    /* the written weights against the reference row */
    size_t n = (size_t)dc->n_layer * dc->n_head * Td * Te;
    float *ref = calloc(n, sizeof *ref), *w = calloc((size_t)Te, sizeof *w);
    assert_non_null(ref);
    assert_non_null(w);
    assert_int_equal(ats_json_flatten(json_object_get(c, "cross_attentions"), ref, n), n);
    assert_int_equal(ats_json_flatten(json_object_get(steps, "5_weights"), w, (size_t)Te),
                     (size_t)Te);
    ats_assert_close(w, ref + (((size_t)layer * dc->n_head + head) * Td + token) * Te, (size_t)Te,
                     ATTN_TOL, "JSON 5_weights");
    /* step 7: the cross heads' outputs side by side hold this head's at its place */
    const float *mine = p.data.concat + (size_t)head * p.data.d_head;
    ats_assert_close(mine, p.data.output, (size_t)p.data.d_head, 1e-5, "concat of the head");
    free(ref);
    free(w);
    json_decref(j);
    free(buf);

    /* the self-attention kinds stay as they were: the encoder's of the encoder run */
    ats_run_pipeline_free(&p);
    assert_int_equal(
        ats_run_pipeline_make_kind(&p, f.model, run, ATS_ATTN_ENCODER, 0, 0, 0, NULL, NULL),
        ATS_OK);
    assert_false(p.data.cross);
    ats_run_pipeline_free(&p);
    ats_run_free(run);
    free_t5(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_steps_match_reference),
        cmocka_unit_test(test_cross_steps_whatif),
        cmocka_unit_test(test_cross_pipeline_data_and_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
