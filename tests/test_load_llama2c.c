/* llama2.c checkpoints: with and without the legacy freq_cis tables, with a separate classifier
 * (negative vocab_size in the header), and the tokenizer found beside the model or given. */
#include "test_support.h"

#include "attnscope/engine.h"
#include "fixture_edit.h"
#include "model_check.h"

#include <stdlib.h>
#include <string.h>

static const char *STORIES = "fixtures/llama2c/stories260K.bin";
static const char *TOK512 = "fixtures/llama2c/tok512.bin";
static const int32_t IDS[] = {1, 403, 407, 261, 378, 5, 17, 88, 300, 511, 2, 64};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* stories260K: 7-int header, 260,032 weight floats, then freq_cis (512 x 4, twice). */
enum { HEADER = 28, WEIGHTS = 260032, FREQ_CIS = 2 * 512 * 4, VOCAB = 512, DIM = 64 };

static int setup(void **state) {
    *state = ats_make_temp_dir();
    return 0;
}

static int teardown(void **state) {
    ats_rmtree(*state);
    free(*state);
    return 0;
}

static void test_load_llama2c_without_freq_cis(void **state) {
    ATS_REQUIRE_SHARED(fixture, STORIES);
    ats_bytes b = ats_slurp(fixture);
    assert_int_equal(b.len, HEADER + 4 * (WEIGHTS + FREQ_CIS));
    char *path = ats_path_in(*state, "no-tables.bin");
    ats_spit(path, b.data, HEADER + 4 * WEIGHTS);
    ats_outputs got = ats_outputs_of(path, NULL, IDS, COUNT(IDS));
    ats_outputs want = ats_outputs_of(fixture, NULL, IDS, COUNT(IDS));
    ats_outputs_assert_same(&got, &want, 0.0, "without freq_cis");
    ats_outputs_free(&got);
    ats_outputs_free(&want);
    free(path);
    free(b.data);
}

/* A negative vocab_size stores the classifier after the tables: here the negated embedding, so
 * every logit must come out negated. */
static void test_load_llama2c_separate_classifier(void **state) {
    ATS_REQUIRE_SHARED(fixture, STORIES);
    ats_bytes b = ats_slurp(fixture);
    size_t cls = (size_t)VOCAB * DIM * 4;
    unsigned char *data = malloc(b.len + cls);
    memcpy(data, b.data, b.len);
    int32_t negative = -VOCAB;
    memcpy(data + 20, &negative, 4);
    for (size_t i = 0; i < (size_t)VOCAB * DIM; i++) {
        float w;
        memcpy(&w, b.data + HEADER + 4 * i, 4);
        w = -w;
        memcpy(data + b.len + 4 * i, &w, 4);
    }
    char *path = ats_path_in(*state, "classifier.bin");
    ats_spit(path, data, b.len + cls);
    ats_outputs got = ats_outputs_of(path, NULL, IDS, COUNT(IDS));
    ats_outputs want = ats_outputs_of(fixture, NULL, IDS, COUNT(IDS));
    assert_int_equal(got.vocab_size, VOCAB);
    for (int v = 0; v < VOCAB; v++)
        want.logits[v] = -want.logits[v];
    ats_outputs_assert_same(&got, &want, 0.0, "separate classifier");
    ats_outputs_free(&got);
    ats_outputs_free(&want);

    /* the same file one classifier float short is refused */
    ats_spit(path, data, b.len + cls - 4);
    ats_assert_load_fails(path, "needs");
    free(path);
    free(data);
    free(b.data);
}

static const ats_model_info *load_info(const char *model, const char *tokenizer, ats_model **m) {
    ats_load_opts lo = ats_load_opts_default();
    lo.tokenizer_path = tokenizer;
    ats_error err;
    if (ats_model_load(model, &lo, m, &err) != ATS_OK)
        fail_msg("%s: %s", model, err.message);
    return ats_model_get_info(*m);
}

static void test_load_llama2c_tokenizer_beside(void **state) {
    ATS_REQUIRE_SHARED(fixture, STORIES);
    ATS_REQUIRE_SHARED(tok, TOK512);
    size_t model_size = HEADER + 4 * (WEIGHTS + FREQ_CIS), tok_size = 6227;
    char *model = ats_path_in(*state, "stories.bin");
    ats_copy_file(fixture, model);

    ats_model *m = NULL;
    const ats_model_info *info = load_info(model, NULL, &m);
    assert_int_equal(strncmp(info->tokenizer_kind, "none", 4), 0);
    assert_int_equal(info->file_size, model_size);
    ats_model_free(m);

    /* tok*.bin beside the model */
    char *tok_beside = ats_path_in(*state, "tok512.bin");
    ats_copy_file(tok, tok_beside);
    info = load_info(model, NULL, &m);
    assert_int_not_equal(strncmp(info->tokenizer_kind, "none", 4), 0);
    assert_int_equal(info->file_size, model_size + tok_size);
    ats_model_free(m);

    /* an explicit --tokenizer is used whatever lies beside the model */
    char *tokenizer_bin = ats_path_in(*state, "tokenizer.bin");
    ats_copy_file(tok, tokenizer_bin);
    info = load_info(model, tok, &m);
    assert_int_equal(info->file_size, model_size + tok_size);
    ats_model_free(m);

    const char *args[] = {"info", "--model", model, "--tokenizer", tok, "--json", NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    json_t *j = ats_parse_json(r.out);
    assert_string_equal(json_string_value(json_object_get(j, "format")), "llama2.c");
    assert_int_equal(json_integer_value(json_object_get(j, "n_kv_head")), 4);
    assert_int_equal(json_integer_value(json_object_get(j, "context")), 512);
    assert_int_equal(json_integer_value(json_object_get(j, "n_params")), WEIGHTS);
    json_decref(j);
    ats_cli_result_free(&r);
    free(tokenizer_bin);
    free(tok_beside);
    free(model);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_llama2c_without_freq_cis, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_llama2c_separate_classifier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_llama2c_tokenizer_beside, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
