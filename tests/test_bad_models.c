/* Broken model files: each must give exit status 2 from `attnscope info` and `attnscope dump`
 * with one line on stderr naming the file and the problem, and never a crash. The broken files
 * are made at test time in a temporary folder from the fixtures' bytes (copied, then truncated
 * or patched); nothing broken is committed. */
#include "test_support.h"

#include "attnscope/engine.h"
#include "fixture_edit.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Both commands fail with status 2, one stderr line naming `model` and containing `problem`. */
static void expect_bad(const char *model, const char *problem) {
    const char *info[] = {"info", "--model", model, NULL};
    const char *dump[] = {"dump", "--model", model, "--text", "Once upon a time", NULL};
    const char *const *commands[] = {info, dump};
    for (int i = 0; i < 2; i++) {
        ats_cli_result r = ats_run_cli(commands[i], NULL, 0);
        if (r.exit_code != 2 || ats_count_lines(r.err) != 1 || !strstr(r.err, model) ||
            !strstr(r.err, problem))
            fail_msg("%s --model %s: exit %d, stderr:\n%s(wanted exit 2 and one line naming the "
                     "file and '%s')",
                     commands[i][0], model, r.exit_code, r.err, problem);
        ats_cli_result_free(&r);
    }
}

/* ---- fixtures and temporary folders ---------------------------------------------------------- */

typedef struct scratch {
    char *dir;
} scratch;

static int setup(void **state) {
    scratch *s = calloc(1, sizeof *s);
    s->dir = ats_make_temp_dir();
    *state = s;
    return 0;
}

static int teardown(void **state) {
    scratch *s = *state;
    ats_rmtree(s->dir);
    free(s->dir);
    free(s);
    return 0;
}

/* A fresh folder `name` inside the scratch folder holding a copy of the fixture folder's
 * config.json and tokenizer files (not its weights). */
static char *hf_copy(scratch *s, const char *fixture_dir, const char *name) {
    char *dir = ats_path_in(s->dir, name);
    ats_copy_hf_folder(fixture_dir, dir);
    return dir;
}

/* ---- safetensors and config.json ---------------------------------------------------------- */

static const char *GPT2 = "fixtures/hf/tiny-random-gpt2";

static void test_bad_models_safetensors_truncated(void **state) {
    ATS_REQUIRE_SHARED(fixture, GPT2);
    scratch *s = *state;
    char *weights = ats_path_in(fixture, "model.safetensors");
    ats_bytes b = ats_slurp(weights);
    size_t header_end = 8 + 5984;
    const struct {
        size_t len;
        const char *problem;
    } cuts[] = {
        {0, "too short"},
        {5, "too short"},
        {8 + 100, "header length"},
        {header_end - 1, "header length"},
        {header_end + 1000, "ends at byte"},
        {b.len / 2, "ends at byte"},
        {b.len - 1, "ends at byte"},
    };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "cut%zu", i);
        char *dir = hf_copy(s, fixture, name);
        char *out = ats_path_in(dir, "model.safetensors");
        ats_spit(out, b.data, cuts[i].len);
        expect_bad(dir, cuts[i].problem);
        free(out);
        free(dir);
    }
    free(b.data);
    free(weights);
}

static void test_bad_models_safetensors_header_length_past_end(void **state) {
    ATS_REQUIRE_SHARED(fixture, GPT2);
    scratch *s = *state;
    char *weights = ats_path_in(fixture, "model.safetensors");
    ats_bytes b = ats_slurp(weights);
    char *dir = hf_copy(s, fixture, "long-header");
    char *out = ats_path_in(dir, "model.safetensors");
    b.data[5] = 0x7f; /* header length about 2^47 */
    ats_spit(out, b.data, b.len);
    expect_bad(dir, "runs past the end");
    b.data[5] = 0;
    b.data[0] = 0xff, b.data[1] = 0xff, b.data[2] = 0xff, b.data[3] = 0x00; /* 16 MB */
    ats_spit(out, b.data, b.len);
    expect_bad(dir, "runs past the end");
    free(out);
    free(dir);
    free(b.data);
    free(weights);
}

/* Rewrites the fixture's safetensors with `edit` applied to one tensor's header entry. */
static void st_variant(scratch *s, const char *fixture, const char *name, const char *tensor,
                       const char *key, json_t *value, const char *problem) {
    char *weights = ats_path_in(fixture, "model.safetensors");
    ats_st_parts p = ats_st_read(weights);
    json_t *entry = json_object_get(p.header, tensor);
    assert_non_null(entry);
    if (key)
        json_object_set_new(entry, key, value);
    else
        json_object_del(p.header, tensor);
    char *dir = hf_copy(s, fixture, name);
    char *out = ats_path_in(dir, "model.safetensors");
    ats_st_write(out, p.header, p.data, p.data_len, 0);
    expect_bad(dir, problem);
    free(out);
    free(dir);
    ats_st_free(&p);
    free(weights);
}

static void test_bad_models_safetensors_tensor_past_end(void **state) {
    ATS_REQUIRE_SHARED(fixture, GPT2);
    /* ln_f.bias (32 floats) placed after the end of the data */
    st_variant(*state, fixture, "past-end", "transformer.ln_f.bias", "data_offsets",
               json_pack("[i, i]", 453700, 453828), "ends at byte");
    st_variant(*state, fixture, "bad-offsets", "transformer.ln_f.bias", "data_offsets",
               json_pack("[i, i]", 200, 100), "malformed data_offsets");
    st_variant(*state, fixture, "size-mismatch", "transformer.ln_f.bias", "shape",
               json_pack("[i]", 33), "its shape needs");
}

static void test_bad_models_safetensors_wrong_shape(void **state) {
    ATS_REQUIRE_SHARED(fixture, GPT2);
    /* the same 1024 floats seen as (16, 64) instead of (32, 32) */
    st_variant(*state, fixture, "wrong-shape", "transformer.h.2.attn.c_proj.weight", "shape",
               json_pack("[i, i]", 16, 64), "'transformer.h.2.attn.c_proj.weight' has shape");
}

static void test_bad_models_safetensors_missing_tensor(void **state) {
    ATS_REQUIRE_SHARED(fixture, GPT2);
    st_variant(*state, fixture, "missing", "transformer.h.1.mlp.c_fc.bias", NULL, NULL,
               "missing tensor 'transformer.h.1.mlp.c_fc.bias'");
}

static void test_bad_models_safetensors_dtype(void **state) {
    ATS_REQUIRE_SHARED(fixture, GPT2);
    st_variant(*state, fixture, "unknown-dtype", "transformer.wpe.weight", "dtype",
               json_string("F9"), "unknown dtype 'F9'");
    st_variant(*state, fixture, "int-dtype", "transformer.wpe.weight", "dtype", json_string("I32"),
               "dtype I32");
}

static void test_bad_models_safetensors_header_not_json(void **state) {
    ATS_REQUIRE_SHARED(fixture, GPT2);
    scratch *s = *state;
    char *weights = ats_path_in(fixture, "model.safetensors");
    ats_bytes b = ats_slurp(weights);
    b.data[8] = '['; /* "{" becomes "[": no longer an object of entries */
    b.data[20] = '\x01';
    char *dir = hf_copy(s, fixture, "header-garbage");
    char *out = ats_path_in(dir, "model.safetensors");
    ats_spit(out, b.data, b.len);
    expect_bad(dir, "not valid JSON");
    free(out);
    free(dir);
    free(b.data);
    free(weights);
}

/* A folder with the fixture's weights and a replaced config.json. */
static void config_variant(scratch *s, const char *fixture, const char *name, const char *config,
                           const char *problem) {
    char *dir = hf_copy(s, fixture, name);
    char *from = ats_path_in(fixture, "model.safetensors"),
         *to = ats_path_in(dir, "model.safetensors");
    ats_copy_file(from, to);
    char *cfg = ats_path_in(dir, "config.json");
    if (config)
        ats_spit_text(cfg, config);
    else
        remove(cfg);
    expect_bad(dir, problem);
    free(cfg);
    free(from);
    free(to);
    free(dir);
}

static void test_bad_models_config(void **state) {
    ATS_REQUIRE_SHARED(fixture, GPT2);
    scratch *s = *state;
    config_variant(s, fixture, "not-json", "{\"model_type\": \"gpt2\", n_embd: 32",
                   "not valid JSON");
    config_variant(s, fixture, "array", "[1, 2, 3]", "not a JSON object");
    config_variant(s, fixture, "no-config", NULL, "config.json");
    config_variant(s, fixture, "unknown-arch", "{\"model_type\": \"mamba\", \"hidden_size\": 32}",
                   "model_type 'mamba' is not supported");
    config_variant(s, fixture, "no-type", "{\"n_embd\": 32}", "missing 'model_type'");
    config_variant(s, fixture, "missing-size",
                   "{\"model_type\": \"gpt2\", \"n_layer\": 5, \"n_head\": 4, \"vocab_size\": "
                   "1000, \"n_positions\": 512}",
                   "missing 'n_embd'");
    config_variant(s, fixture, "negative-size",
                   "{\"model_type\": \"gpt2\", \"n_embd\": -32, \"n_layer\": 5, \"n_head\": 4, "
                   "\"vocab_size\": 1000, \"n_positions\": 512}",
                   "'n_embd'");
    /* sizes that disagree with the weights: the first tensor whose shape differs is named */
    config_variant(s, fixture, "wrong-vocab",
                   "{\"model_type\": \"gpt2\", \"n_embd\": 32, \"n_layer\": 5, \"n_head\": 4, "
                   "\"vocab_size\": 1001, \"n_positions\": 512}",
                   "'transformer.wte.weight' has shape [1000, 32], expected [1001, 32]");
    config_variant(s, fixture, "more-layers",
                   "{\"model_type\": \"gpt2\", \"n_embd\": 32, \"n_layer\": 6, \"n_head\": 4, "
                   "\"vocab_size\": 1000, \"n_positions\": 512}",
                   "missing tensor 'transformer.h.5.ln_1.weight'");
    config_variant(s, fixture, "bad-rope",
                   "{\"model_type\": \"llama\", \"hidden_size\": 64, \"num_hidden_layers\": 5, "
                   "\"num_attention_heads\": 8, \"intermediate_size\": 172, \"vocab_size\": 512, "
                   "\"rope_scaling\": {\"rope_type\": \"foo\", \"factor\": 4}}",
                   "rope_scaling type 'foo' is not supported");
}

static void test_bad_models_folder_without_weights(void **state) {
    ATS_REQUIRE_SHARED(fixture, GPT2);
    scratch *s = *state;
    char *dir = hf_copy(s, fixture, "no-weights");
    expect_bad(dir, "no model.safetensors");
    free(dir);
}

static void test_bad_models_sharded_index(void **state) {
    ATS_REQUIRE_SHARED(fixture, GPT2);
    scratch *s = *state;
    char *dir = hf_copy(s, fixture, "sharded");
    char *index = ats_path_in(dir, "model.safetensors.index.json");
    ats_spit_text(index, "{\"weight_map\": {\"transformer.wte.weight\": \"../../etc/passwd\"}}");
    expect_bad(dir, "not a file name in the folder");
    ats_spit_text(index, "{\"weight_map\": {\"transformer.wte.weight\": "
                         "\"model-00001-of-00002.safetensors\"}}");
    expect_bad(dir, "model-00001-of-00002.safetensors");
    ats_spit_text(index, "{\"weights\": {}}");
    expect_bad(dir, "no 'weight_map'");
    free(index);
    free(dir);
}

/* ---- GGUF --------------------------------------------------------------------------------- */

static const char *STORIES_GGUF = "fixtures/gguf/stories260K.gguf";

/* Offset of the first occurrence of a GGUF string (u64 length + bytes) in b. */
static size_t find_gguf_string(const ats_bytes *b, const char *s) {
    size_t n = strlen(s);
    for (size_t i = 8; i + n <= b->len; i++) {
        if (memcmp(b->data + i, s, n) != 0)
            continue;
        uint64_t len = 0;
        for (int k = 7; k >= 0; k--)
            len = (len << 8) | b->data[i - 8 + (size_t)k];
        if (len == n)
            return i;
    }
    fail_msg("'%s' not found in the GGUF header", s);
    return 0;
}

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Writes b as `name` in the scratch folder and expects both commands to refuse it. */
static void gguf_expect_bad(scratch *s, const char *name, const ats_bytes *b, size_t len,
                            const char *problem) {
    char *path = ats_path_in(s->dir, name);
    ats_spit(path, b->data, len);
    expect_bad(path, problem);
    free(path);
}

static void test_bad_models_gguf_magic_and_version(void **state) {
    ATS_REQUIRE_SHARED(fixture, STORIES_GGUF);
    scratch *s = *state;
    ats_bytes b = ats_slurp(fixture);
    b.data[3] = 'X';
    gguf_expect_bad(s, "magic.gguf", &b, b.len, "no 'GGUF' magic");
    b.data[3] = 'F';
    put_u32(b.data + 4, 1);
    gguf_expect_bad(s, "v1.gguf", &b, b.len, "GGUF version 1");
    put_u32(b.data + 4, 4);
    gguf_expect_bad(s, "v4.gguf", &b, b.len, "GGUF version 4");
    put_u32(b.data + 4, 3);
    put_u64(b.data + 16, 1ull << 40); /* key/value count */
    gguf_expect_bad(s, "kv-count.gguf", &b, b.len, "more than the file holds");
    free(b.data);
}

static void test_bad_models_gguf_truncated(void **state) {
    ATS_REQUIRE_SHARED(fixture, STORIES_GGUF);
    scratch *s = *state;
    ats_bytes b = ats_slurp(fixture);
    size_t embd = find_gguf_string(&b, "token_embd.weight");
    const struct {
        size_t len;
        const char *problem;
    } cuts[] = {
        {0, "GGUF"},
        {3, "GGUF"},
        {20, "truncated GGUF header"},
        {2000, "metadata"},
        {embd + 4, "tensor description"},
        {b.len - 1, "ends at byte"},
        {b.len / 2, "ends at byte"},
    };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "cut%zu.gguf", i);
        gguf_expect_bad(s, name, &b, cuts[i].len, cuts[i].problem);
    }
    free(b.data);
}

static void test_bad_models_gguf_tensors(void **state) {
    ATS_REQUIRE_SHARED(fixture, STORIES_GGUF);
    scratch *s = *state;
    ats_bytes orig = ats_slurp(fixture);
    ats_bytes b = {malloc(orig.len), orig.len};
    assert_non_null(b.data);

    /* blk.0.attn_k.weight: n_dims (u32), ne [64, 32] (u64 each), type (u32), offset (u64) */
    memcpy(b.data, orig.data, orig.len);
    size_t k = find_gguf_string(&b, "blk.0.attn_k.weight") + strlen("blk.0.attn_k.weight");
    put_u64(b.data + k + 4, 32);
    put_u64(b.data + k + 12, 64); /* same bytes, transposed shape */
    gguf_expect_bad(s, "shape.gguf", &b, b.len, "'blk.0.attn_k.weight' has shape [32, 64");

    memcpy(b.data, orig.data, orig.len);
    put_u32(b.data + k + 20, 16); /* IQ2_XXS: a type attnscope does not read */
    gguf_expect_bad(s, "type.gguf", &b, b.len, "tensor 'blk.0.attn_k.weight' has type IQ2_XXS");

    memcpy(b.data, orig.data, orig.len);
    put_u64(b.data + k + 24, 1ull << 36); /* data offset far past the end */
    gguf_expect_bad(s, "offset.gguf", &b, b.len, "ends at byte");

    memcpy(b.data, orig.data, orig.len);
    size_t up = find_gguf_string(&b, "blk.3.ffn_up.weight");
    b.data[up + strlen("blk.3.ffn_")] = 'X';
    gguf_expect_bad(s, "missing.gguf", &b, b.len, "missing tensor 'blk.3.ffn_up.weight'");

    memcpy(b.data, orig.data, orig.len);
    /* general.architecture: key, u32 type (string), u64 length, "llama" */
    size_t arch = find_gguf_string(&b, "general.architecture") + strlen("general.architecture");
    assert_memory_equal(b.data + arch + 12, "llama", 5);
    memcpy(b.data + arch + 12, "mamba", 5);
    gguf_expect_bad(s, "arch.gguf", &b, b.len, "architecture 'mamba' is not supported");

    memcpy(b.data, orig.data, orig.len);
    size_t heads =
        find_gguf_string(&b, "llama.attention.head_count") + strlen("llama.attention.head_count");
    put_u32(b.data + heads + 4, 0); /* zero heads */
    gguf_expect_bad(s, "heads.gguf", &b, b.len, "llama.attention.head_count");
    free(b.data);
    free(orig.data);
}

/* ---- llama2.c ----------------------------------------------------------------------------- */

static const char *STORIES_BIN = "fixtures/llama2c/stories260K.bin";

static void test_bad_models_llama2c(void **state) {
    ATS_REQUIRE_SHARED(fixture, STORIES_BIN);
    scratch *s = *state;
    ats_bytes b = ats_slurp(fixture);
    char *path = ats_path_in(s->dir, "model.bin");
    ats_spit(path, b.data, b.len - 1);
    expect_bad(path, "needs 1056540 bytes");
    ats_spit(path, b.data, b.len - 16384 - 4); /* without the freq_cis tables, and a float short */
    expect_bad(path, "the file has");
    unsigned char *longer = malloc(b.len + 1);
    memcpy(longer, b.data, b.len);
    longer[b.len] = 0;
    ats_spit(path, longer, b.len + 1);
    expect_bad(path, "needs 1056540 bytes");
    free(longer);
    ats_spit(path, b.data, 10);
    expect_bad(path, "too short");
    put_u32(b.data, (uint32_t)-64); /* dim -64 */
    ats_spit(path, b.data, b.len);
    expect_bad(path, "not a recognised model file");
    ats_spit_text(path, "this is a text file, not a model; it is long enough to hold a header\n");
    expect_bad(path, "not a recognised model file");
    free(path);
    free(b.data);
}

/* ---- in-process sweep: many truncation points, every format ------------------------------ */

/* Loads `model` truncated at ~60 points through the engine (fast enough for the asan preset):
 * every load must fail with a message that names the file, and never crash. */
static void sweep(scratch *s, const char *fixture, const char *file_in_folder) {
    char *src = file_in_folder ? ats_path_in(fixture, file_in_folder) : strdup(fixture);
    ats_bytes b = ats_slurp(src);
    char *dir = file_in_folder ? hf_copy(s, fixture, "sweep") : NULL;
    char *path =
        file_in_folder ? ats_path_in(dir, file_in_folder) : ats_path_in(s->dir, "sweep.gguf");
    const char *model = file_in_folder ? dir : path;
    for (size_t len = 0; len < b.len; len += b.len / 61 + 1) {
        ats_spit(path, b.data, len);
        ats_model *m = NULL;
        ats_error err;
        ats_status st = ats_model_load(model, NULL, &m, &err);
        if (st == ATS_OK)
            fail_msg("%s truncated to %zu ats_bytes loaded", src, len);
        assert_non_null(strstr(err.message, model));
    }
    free(path);
    free(dir);
    free(b.data);
    free(src);
}

static void test_bad_models_truncation_sweep(void **state) {
    ATS_REQUIRE_SHARED(gpt2, GPT2);
    ATS_REQUIRE_SHARED(gguf_q4, "fixtures/gguf/stories260K-q4_0.gguf");
    sweep(*state, gpt2, "model.safetensors");
    sweep(*state, gguf_q4, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_models_safetensors_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_safetensors_header_length_past_end, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_safetensors_tensor_past_end, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_safetensors_wrong_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_safetensors_missing_tensor, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_safetensors_dtype, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_safetensors_header_not_json, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_folder_without_weights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_sharded_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_gguf_magic_and_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_gguf_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_gguf_tensors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_llama2c, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_models_truncation_sweep, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
