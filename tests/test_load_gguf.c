/* GGUF files beyond the fixtures as they are: the F32 stories model rewritten with F16 and BF16
 * matrices (compared exactly with float32 files holding the same values), the version-2 header,
 * and llama.cpp's vocabulary-only files (info and tokenize work, dump says there are no
 * weights). */
#include "test_support.h"

#include "attnscope/engine.h"
#include "dequant.h"
#include "fixture_edit.h"
#include "gguf.h"
#include "model_check.h"

#include <stdlib.h>
#include <string.h>

static const char *STORIES = "fixtures/gguf/stories260K.gguf";
static const int32_t IDS[] = {1, 403, 407, 261, 378, 5, 17, 88, 300, 511, 2, 64};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int setup(void **state) {
    *state = ats_make_temp_dir();
    return 0;
}

static int teardown(void **state) {
    ats_rmtree(*state);
    free(*state);
    return 0;
}

/* ---- a GGUF rewriter: same metadata, matrices converted ----------------------------------- */

typedef struct buffer {
    unsigned char *data;
    size_t len, cap;
} buffer;

static void append(buffer *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->data = realloc(b->data, b->cap);
        assert_non_null(b->data);
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void append_u32(buffer *b, uint32_t v) {
    unsigned char le[4];
    for (int i = 0; i < 4; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    append(b, le, 4);
}

static void append_u64(buffer *b, uint64_t v) {
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    append(b, le, 8);
}

static void pad_to(buffer *b, size_t alignment) {
    static const unsigned char zero[64];
    while (b->len % alignment)
        append(b, zero, 1);
}

static uint16_t to_half(float f, bool bf16) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    if (bf16)
        return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
    /* IEEE half by truncation: exact enough for a test that compares like with like */
    uint32_t sign = (x >> 16) & 0x8000u;
    int e = (int)((x >> 23) & 0xff) - 127 + 15;
    if (e <= 0)
        return (uint16_t)sign;
    if (e >= 31)
        return (uint16_t)(sign | 0x7bffu);
    return (uint16_t)(sign | ((uint32_t)e << 10) | ((x & 0x7fffffu) >> 13));
}

/* Writes src's metadata and tensors to dst with every F32 matrix stored as F16 or BF16, or,
 * with round_trip, still F32 but holding the values the half type gives. */
static void gguf_rewrite(const char *src, const char *dst, bool bf16, bool round_trip) {
    ats_gguf *g = NULL;
    ats_error err;
    if (ats_gguf_open(src, &g, &err) != ATS_OK)
        fail_msg("%s", err.message);
    assert_true(g->n_tensors > 0);
    const unsigned char *base = g->file->data;
    size_t kv_end = (size_t)((const unsigned char *)g->tensors[0].name.data - 8 - base);

    buffer out = {0}, data = {0};
    append(&out, base, 8); /* magic and version */
    append_u64(&out, g->n_tensors);
    append_u64(&out, g->n_kv);
    append(&out, base + 24, kv_end - 24);
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const ats_gguf_tensor *t = &g->tensors[i];
        bool convert = t->type == ATS_GGML_F32 && t->n_dims == 2;
        pad_to(&data, (size_t)g->alignment);
        append_u64(&out, t->name.len);
        append(&out, t->name.data, t->name.len);
        append_u32(&out, t->n_dims);
        for (uint32_t d = 0; d < t->n_dims; d++)
            append_u64(&out, t->dims[d]);
        append_u32(&out, convert && !round_trip ? (bf16 ? ATS_GGML_BF16 : ATS_GGML_F16) : t->type);
        append_u64(&out, data.len);
        for (uint64_t k = 0; k < (convert ? t->n_elements : 0); k++) {
            float f;
            memcpy(&f, t->data + 4 * k, 4);
            uint16_t h = to_half(f, bf16);
            if (round_trip) {
                float back = bf16 ? ats_bf16_to_f32(h) : ats_f16_to_f32(h);
                append(&data, &back, 4);
            } else {
                unsigned char le[2] = {(unsigned char)(h & 0xff), (unsigned char)(h >> 8)};
                append(&data, le, 2);
            }
        }
        if (!convert)
            append(&data, t->data, t->n_bytes);
    }
    pad_to(&out, (size_t)g->alignment);
    append(&out, data.data, data.len);
    ats_spit(dst, out.data, out.len);
    free(out.data);
    free(data.data);
    ats_gguf_free(g);
}

static void check_half(void **state, bool bf16) {
    ATS_REQUIRE_SHARED(fixture, STORIES);
    char *half = ats_path_in(*state, bf16 ? "bf16.gguf" : "f16.gguf");
    char *same = ats_path_in(*state, bf16 ? "bf16-as-f32.gguf" : "f16-as-f32.gguf");
    gguf_rewrite(fixture, half, bf16, false);
    gguf_rewrite(fixture, same, bf16, true);

    ats_model *m = NULL;
    ats_error err;
    if (ats_model_load(half, NULL, &m, &err) != ATS_OK)
        fail_msg("%s", err.message);
    assert_string_equal(ats_model_get_info(m)->dtype, bf16 ? "BF16+F32" : "F16+F32");
    ats_model_free(m);

    ats_outputs got = ats_outputs_of(half, NULL, IDS, COUNT(IDS));
    ats_outputs want = ats_outputs_of(same, NULL, IDS, COUNT(IDS));
    /* the same values; half weights are decoded a panel at a time, float32 ones are not, so the
     * products may add in another order: float rounding only */
    ats_outputs_assert_same(&got, &want, 1e-4, bf16 ? "GGUF BF16" : "GGUF F16");
    ats_outputs orig = ats_outputs_of(fixture, NULL, IDS, COUNT(IDS));
    ats_outputs_assert_same(&got, &orig, bf16 ? 0.1 : 2e-2, "close to F32");
    ats_outputs_free(&got);
    ats_outputs_free(&want);
    ats_outputs_free(&orig);
    free(half);
    free(same);
}

static void test_load_gguf_f16(void **state) {
    check_half(state, false);
}

static void test_load_gguf_bf16(void **state) {
    check_half(state, true);
}

static void test_load_gguf_version_2(void **state) {
    ATS_REQUIRE_SHARED(fixture, STORIES);
    ats_bytes b = ats_slurp(fixture);
    b.data[4] = 2; /* v2 and v3 share the layout (v3 added big-endian files) */
    char *v2 = ats_path_in(*state, "v2.gguf");
    ats_spit(v2, b.data, b.len);
    ats_outputs got = ats_outputs_of(v2, NULL, IDS, COUNT(IDS));
    ats_outputs want = ats_outputs_of(fixture, NULL, IDS, COUNT(IDS));
    ats_outputs_assert_same(&got, &want, 0.0, "GGUF v2");
    ats_outputs_free(&got);
    ats_outputs_free(&want);
    free(v2);
    free(b.data);
}

static void test_load_gguf_config(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(fixture, STORIES);
    ats_model *m = NULL;
    ats_error err;
    assert_int_equal(ats_model_load(fixture, NULL, &m, &err), ATS_OK);
    const ats_model_config *c = ats_model_get_config(m);
    assert_int_equal(c->arch, ATS_ARCH_LLAMA);
    assert_int_equal(c->context, 2048); /* llama.context_length */
    assert_int_equal(c->n_kv_head, 4);
    assert_int_equal(c->d_head, 8);
    assert_int_equal(c->positions, ATS_POS_ROPE_INTERLEAVED);
    assert_true(c->rope_theta == 10000.0f);
    assert_int_equal(ats_model_get_info(m)->file_size, 1185376);
    ats_model_free(m);

    /* a GGUF file brings its own tokenizer */
    const char *args[] = {"info", "--model", fixture, "--tokenizer", "tok.bin", NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--tokenizer applies to llama2.c"));
    ats_cli_result_free(&r);
}

/* ---- vocabulary-only files ---------------------------------------------------------------- */

static void test_load_gguf_vocabulary_only(void **state) {
    (void)state;
    static const struct {
        const char *file;
        const char *arch;
        int vocab, layers;
        bool causal;
    } vocabs[] = {
        {"fixtures/gguf/ggml-vocab-gpt-2.gguf", "gpt2", 50257, 12, true},
        {"fixtures/gguf/ggml-vocab-bert-bge.gguf", "bert", 30522, 12, false},
        {"fixtures/gguf/ggml-vocab-llama-spm.gguf", "llama", 32000, 32, true},
    };
    for (size_t i = 0; i < sizeof vocabs / sizeof vocabs[0]; i++) {
        ATS_REQUIRE_SHARED(path, vocabs[i].file);
        ats_model *m = NULL;
        ats_error err;
        if (ats_model_load(path, NULL, &m, &err) != ATS_OK)
            fail_msg("%s: %s", path, err.message);
        const ats_model_info *info = ats_model_get_info(m);
        const ats_model_config *c = ats_model_get_config(m);
        assert_false(info->has_weights);
        assert_int_equal(info->n_params, 0);
        assert_int_equal(c->vocab_size, vocabs[i].vocab);
        assert_int_equal(c->n_layer, vocabs[i].layers);
        assert_int_equal(c->causal, vocabs[i].causal);
        ats_run *run = NULL;
        int32_t id = 1;
        assert_int_equal(ats_run_ids(m, &id, 1, NULL, &run, &err), ATS_ERR_UNSUPPORTED);
        ats_model_free(m);

        const char *info_args[] = {"info", "--model", path, "--json", NULL};
        ats_cli_result r = ats_run_cli(info_args, NULL, 0);
        assert_int_equal(r.exit_code, 0);
        json_t *j = ats_parse_json(r.out);
        assert_string_equal(json_string_value(json_object_get(j, "arch")), vocabs[i].arch);
        assert_false(json_is_true(json_object_get(j, "has_weights")));
        assert_int_equal(json_integer_value(json_object_get(j, "vocab_size")), vocabs[i].vocab);
        json_decref(j);
        ats_cli_result_free(&r);

        const char *dump_args[] = {"dump", "--model", path, "--text", "Hello world", NULL};
        r = ats_run_cli(dump_args, NULL, 0);
        assert_int_equal(r.exit_code, 2);
        assert_int_equal(ats_count_lines(r.err), 1);
        assert_non_null(strstr(r.err, "no weights"));
        ats_cli_result_free(&r);

        const char *tok_args[] = {"tokenize",    "--model",      path, "--text",
                                  "Hello world", "--no-special", NULL};
        r = ats_run_cli(tok_args, NULL, 0);
        if (r.exit_code != 0)
            fail_msg("%s: tokenize exited %d: %s", vocabs[i].file, r.exit_code, r.err);
        assert_int_equal(ats_count_lines(r.out), 2);
        ats_cli_result_free(&r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_gguf_f16, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_gguf_bf16, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_gguf_version_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_gguf_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_gguf_vocabulary_only, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
