/* Every GGUF weight type end to end: a small Llama-shaped model of each type, made at test time
 * by ../shared/tools/make_llama_gguf.py with its F32 twin (the same model with every weight
 * stored as the float32 values ggml's dequantizers give), must give the twin's attentions
 * (within 1e-4) and last-position logits (within 1e-3). The files go to a temporary folder. */
#include "model_check.h"
#include "python_tools.h"
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

/* <s> The quick brown fox jumps over the lazy dog. It was not tired at all */
static const int32_t IDS[] = {1,     450,   4996,  17354, 1701, 29916, 432, 17204, 975, 278,
                              17366, 11203, 29889, 739,   471,  451,   260, 2859,  472, 599};

static int setup(void **state) {
    *state = ats_make_temp_dir();
    return 0;
}

static int teardown(void **state) {
    ats_rmtree(*state);
    free(*state);
    return 0;
}

/* Writes DIR/TYPE.gguf and DIR/TYPE-twin.gguf (d_model 256, 2 layers, 4 heads, 2 KV heads). */
static void make_model(const char *dir, const char *type, char *model, char *twin, size_t size) {
    ats_require_numpy();
    ATS_REQUIRE_SHARED(tool, "tools/make_llama_gguf.py");
    ATS_REQUIRE_SHARED(vocab, "fixtures/gguf/ggml-vocab-llama-spm.gguf");
    snprintf(model, size, "%s/%s.gguf", dir, type);
    snprintf(twin, size, "%s/%s-twin.gguf", dir, type);
    const char *args[] = {
        tool,     "--vocab-from", vocab,       "-o",     model,       "--twin", twin,
        "--type", type,           "--d-model", "256",    "--n-layer", "2",      "--n-head",
        "4",      "--n-kv-head",  "2",         "--d-ff", "512",       NULL};
    ats_run_python(args);
}

static void check_twin(void **state, const char *type) {
    char model[4096], twin[4096];
    make_model(*state, type, model, twin, sizeof model);
    int n = (int)(sizeof IDS / sizeof IDS[0]);
    ats_outputs got = ats_outputs_of(model, NULL, IDS, n);
    ats_outputs want = ats_outputs_of(twin, NULL, IDS, n);
    assert_int_equal(got.n_tokens, n);
    assert_int_equal(got.n_attn, want.n_attn);
    assert_int_equal(got.vocab_size, want.vocab_size);
    char what[64];
    snprintf(what, sizeof what, "%s attentions", type);
    ats_assert_close(got.attn, want.attn, got.n_attn, 1e-4, what);
    snprintf(what, sizeof what, "%s logits", type);
    ats_assert_close(got.logits, want.logits, (size_t)got.vocab_size, 1e-3, what);
    ats_outputs_free(&got);
    ats_outputs_free(&want);
}

#define TWIN_TEST(T)                                                                               \
    static void test_quant_models_##T(void **state) {                                              \
        check_twin(state, #T);                                                                     \
    }
TWIN_TEST(F32)
TWIN_TEST(F16)
TWIN_TEST(BF16)
TWIN_TEST(Q8_0)
TWIN_TEST(Q4_0)
TWIN_TEST(Q4_1)
TWIN_TEST(Q5_0)
TWIN_TEST(Q5_1)
TWIN_TEST(Q2_K)
TWIN_TEST(Q3_K)
TWIN_TEST(Q4_K)
TWIN_TEST(Q5_K)
TWIN_TEST(Q6_K)
TWIN_TEST(IQ4_NL)
TWIN_TEST(IQ4_XS)
TWIN_TEST(Q4_K_M)

/* llama.cpp's Q4_K_M mix as info reports it: with 2 layers, layer 1's attn_v and ffn_down and
 * output.weight are Q6_K, the other matrices Q4_K, the five norms F32; the weights take their
 * stored bytes (used in place) and the norms nothing more. */
static void test_quant_models_info_counts_types(void **state) {
    char model[4096], twin[4096];
    make_model(*state, "Q4_K_M", model, twin, sizeof model);
    ats_model *m = NULL;
    ats_error err;
    if (ats_model_load(model, NULL, &m, &err) != ATS_OK)
        fail_msg("%s", err.message);
    const ats_model_info *info = ats_model_get_info(m);
    assert_string_equal(info->dtype, "Q4_K+Q6_K+F32");
    assert_int_equal(info->n_weight_types, 3);
    /* most bytes first: Q6_K (output 32000 x 256 and two more) outweighs thirteen Q4_K */
    const uint64_t D = 256, V = 32000, F = 512, KV = 128;
    const uint64_t q6 = (V * D + KV * D + D * F) / 256 * 210;
    const uint64_t q4 =
        (V * D + 2 * (D * D + KV * D + D * D + 2 * F * D) + KV * D + D * F) / 256 * 144;
    assert_string_equal(info->weight_types[0].type, "Q6_K");
    assert_int_equal(info->weight_types[0].tensors, 3);
    assert_int_equal(info->weight_types[0].bytes, q6);
    assert_string_equal(info->weight_types[1].type, "Q4_K");
    assert_int_equal(info->weight_types[1].tensors, 13);
    assert_int_equal(info->weight_types[1].bytes, q4);
    assert_string_equal(info->weight_types[2].type, "F32");
    assert_int_equal(info->weight_types[2].tensors, 5);
    assert_int_equal(info->weight_types[2].bytes, 5 * D * 4);
    /* everything in place; what the loader allocated (the layer table) is small */
    assert_true(info->weight_memory >= q6 + q4 + 5 * D * 4);
    assert_true(info->weight_memory < q6 + q4 + 5 * D * 4 + 4096);
    ats_model_free(m);
}

int main(void) {
#define TWIN(T) cmocka_unit_test_setup_teardown(test_quant_models_##T, setup, teardown)
    const struct CMUnitTest tests[] = {
        TWIN(F32),
        TWIN(F16),
        TWIN(BF16),
        TWIN(Q8_0),
        TWIN(Q4_0),
        TWIN(Q4_1),
        TWIN(Q5_0),
        TWIN(Q5_1),
        TWIN(Q2_K),
        TWIN(Q3_K),
        TWIN(Q4_K),
        TWIN(Q5_K),
        TWIN(Q6_K),
        TWIN(IQ4_NL),
        TWIN(IQ4_XS),
        TWIN(Q4_K_M),
        cmocka_unit_test_setup_teardown(test_quant_models_info_counts_types, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
