/* Hugging Face folders in the layouts the fixtures do not show directly: the same weights sharded,
 * misaligned, stored as F16 or BF16, BERT with bare names and gamma/beta, and the Llama-family
 * config switches (Qwen2 biases, untied head, sliding window, head_dim, rope_scaling). Each
 * variant is made from a fixture in a temporary folder and compared with the fixture's own
 * outputs. */
#include "test_support.h"

#include "attnscope/engine.h"
#include "dequant.h"
#include "fixture_edit.h"
#include "model_check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *GPT2 = "fixtures/hf/tiny-random-gpt2";
static const char *BERT = "fixtures/hf/tiny-random-bert";
static const char *STORIES = "fixtures/hf/stories260K-llama";

static const int32_t GPT2_IDS[] = {0, 5, 999, 17, 300, 42, 7, 123, 456, 789};
static const int32_t BERT_IDS[] = {2, 100, 5, 1123, 17, 300, 3};
static const int32_t STORIES_IDS[] = {1, 403, 407, 261, 378, 5, 17, 88, 300, 511, 2, 64};
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

/* A new folder `name` in the scratch folder with the fixture's config and tokenizer files. */
static char *variant_dir(void **state, const char *fixture, const char *name) {
    char *dir = ats_path_in(*state, name);
    ats_copy_hf_folder(fixture, dir);
    return dir;
}

static json_int_t offset_of(const json_t *entry, size_t i) {
    return json_integer_value(json_array_get(json_object_get(entry, "data_offsets"), i));
}

/* ---- sharded and misaligned --------------------------------------------------------------- */

static void test_load_hf_sharded(void **state) {
    ATS_REQUIRE_SHARED(fixture, GPT2);
    char *weights = ats_path_in(fixture, "model.safetensors");
    ats_st_parts p = ats_st_read(weights);
    char *dir = variant_dir(state, fixture, "sharded");

    /* three shards, tensors dealt round-robin; each shard keeps only its tensors' bytes */
    enum { SHARDS = 3 };
    json_t *headers[SHARDS], *map = json_object();
    unsigned char *data[SHARDS];
    size_t used[SHARDS] = {0};
    for (int s = 0; s < SHARDS; s++) {
        headers[s] = json_object();
        data[s] = malloc(p.data_len);
    }
    const char *name;
    json_t *entry;
    int k = 0;
    json_object_foreach(p.header, name, entry) {
        if (strcmp(name, "__metadata__") == 0)
            continue;
        int s = k++ % SHARDS;
        size_t begin = (size_t)offset_of(entry, 0), end = (size_t)offset_of(entry, 1);
        memcpy(data[s] + used[s], p.data + begin, end - begin);
        json_t *copy = json_deep_copy(entry);
        json_object_set_new(
            copy, "data_offsets",
            json_pack("[I, I]", (json_int_t)used[s], (json_int_t)(used[s] + end - begin)));
        json_object_set_new(headers[s], name, copy);
        used[s] += end - begin;
        char file[64];
        snprintf(file, sizeof file, "model-%05d-of-%05d.safetensors", s + 1, SHARDS);
        json_object_set_new(map, name, json_string(file));
    }
    for (int s = 0; s < SHARDS; s++) {
        char file[64];
        snprintf(file, sizeof file, "model-%05d-of-%05d.safetensors", s + 1, SHARDS);
        char *path = ats_path_in(dir, file);
        ats_st_write(path, headers[s], data[s], used[s], 0);
        free(path);
        json_decref(headers[s]);
        free(data[s]);
    }
    json_t *index = json_pack("{s:{s:I}, s:o}", "metadata", "total_size", (json_int_t)p.data_len,
                              "weight_map", map);
    char *index_path = ats_path_in(dir, "model.safetensors.index.json");
    assert_int_equal(json_dump_file(index, index_path, JSON_INDENT(2)), 0);
    json_decref(index);

    ats_outputs want = ats_outputs_of(fixture, NULL, GPT2_IDS, COUNT(GPT2_IDS));
    ats_outputs got = ats_outputs_of(dir, NULL, GPT2_IDS, COUNT(GPT2_IDS));
    ats_outputs_assert_same(&got, &want, 0.0, "sharded gpt2");
    ats_outputs_free(&want);
    ats_outputs_free(&got);

    /* a shard the index names but the folder lacks */
    char *shard2 = ats_path_in(dir, "model-00002-of-00003.safetensors");
    remove(shard2);
    ats_assert_load_fails(dir, "model-00002-of-00003.safetensors");
    free(shard2);
    free(index_path);
    free(dir);
    ats_st_free(&p);
    free(weights);
}

static void test_load_hf_misaligned_data(void **state) {
    ATS_REQUIRE_SHARED(fixture, GPT2);
    char *weights = ats_path_in(fixture, "model.safetensors");
    ats_st_parts p = ats_st_read(weights);
    char *dir = variant_dir(state, fixture, "misaligned");
    char *out = ats_path_in(dir, "model.safetensors");
    ats_st_write(out, p.header, p.data, p.data_len, 3); /* data starts 1 byte off alignment */
    ats_outputs want = ats_outputs_of(fixture, NULL, GPT2_IDS, COUNT(GPT2_IDS));
    ats_outputs got = ats_outputs_of(dir, NULL, GPT2_IDS, COUNT(GPT2_IDS));
    ats_outputs_assert_same(&got, &want, 0.0, "misaligned gpt2");
    ats_outputs_free(&want);
    ats_outputs_free(&got);
    free(out);
    free(dir);
    ats_st_free(&p);
    free(weights);
}

/* ---- F16 and BF16 ------------------------------------------------------------------------- */

/* float32 to IEEE half, rounding to nearest even (finite inputs in half range or below). */
static uint16_t to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u, mant = x & 0x7fffffu;
    int e = (int)((x >> 23) & 0xff) - 127 + 15;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) {
        if (e < -10)
            return (uint16_t)sign;
        mant |= 0x800000u;
        int shift = 14 - e;
        uint32_t half = mant >> shift, rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((uint32_t)e << 10) | (mant >> 13), rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1)))
        half++;
    return (uint16_t)(sign | half);
}

static uint16_t to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
}

/* Rewrites every F32 matrix of `src` as the half type `dtype` ("F16" or "BF16"), or with
 * round_trip keeps it F32 holding the values the half type would give. */
static void st_convert(const char *src, const char *dst, const char *dtype, bool round_trip) {
    ats_st_parts p = ats_st_read(src);
    bool bf = strcmp(dtype, "BF16") == 0;
    unsigned char *data = malloc(p.data_len);
    size_t used = 0;
    json_t *header = json_object();
    const char *name;
    json_t *entry;
    json_object_foreach(p.header, name, entry) {
        if (strcmp(name, "__metadata__") == 0)
            continue;
        json_t *copy = json_deep_copy(entry);
        size_t begin = (size_t)offset_of(entry, 0), end = (size_t)offset_of(entry, 1);
        bool convert = strcmp(json_string_value(json_object_get(entry, "dtype")), "F32") == 0 &&
                       json_array_size(json_object_get(entry, "shape")) == 2;
        size_t n = (end - begin) / 4, size = end - begin;
        if (convert) {
            for (size_t i = 0; i < n; i++) {
                float f;
                memcpy(&f, p.data + begin + 4 * i, 4);
                uint16_t h = bf ? to_bf16(f) : to_f16(f);
                if (round_trip) {
                    float back = bf ? ats_bf16_to_f32(h) : ats_f16_to_f32(h);
                    memcpy(data + used + 4 * i, &back, 4);
                } else {
                    data[used + 2 * i] = (unsigned char)(h & 0xff);
                    data[used + 2 * i + 1] = (unsigned char)(h >> 8);
                }
            }
            if (!round_trip) {
                size = 2 * n;
                json_object_set_new(copy, "dtype", json_string(dtype));
            }
        } else {
            memcpy(data + used, p.data + begin, size);
        }
        json_object_set_new(copy, "data_offsets",
                            json_pack("[I, I]", (json_int_t)used, (json_int_t)(used + size)));
        json_object_set_new(header, name, copy);
        used += size;
    }
    ats_st_write(dst, header, data, used, 0);
    json_decref(header);
    free(data);
    ats_st_free(&p);
}

static void check_half_type(void **state, const char *dtype) {
    ATS_REQUIRE_SHARED(fixture, GPT2);
    char *weights = ats_path_in(fixture, "model.safetensors");
    char name[32];
    snprintf(name, sizeof name, "%s", dtype);
    char *half_dir = variant_dir(state, fixture, name);
    snprintf(name, sizeof name, "%s-as-f32", dtype);
    char *f32_dir = variant_dir(state, fixture, name);
    char *half = ats_path_in(half_dir, "model.safetensors");
    char *f32 = ats_path_in(f32_dir, "model.safetensors");
    st_convert(weights, half, dtype, false);
    st_convert(weights, f32, dtype, true);

    ats_model *m = NULL;
    ats_error err;
    assert_int_equal(ats_model_load(half_dir, NULL, &m, &err), ATS_OK);
    char mix[32];
    snprintf(mix, sizeof mix, "%s+F32", dtype);
    assert_string_equal(ats_model_get_info(m)->dtype, mix);
    ats_model_free(m);

    /* the half file equals float32 weights holding the same values, up to float rounding: half
     * weights are decoded a panel at a time, so the products may add in another order */
    ats_outputs got = ats_outputs_of(half_dir, NULL, GPT2_IDS, COUNT(GPT2_IDS));
    ats_outputs same = ats_outputs_of(f32_dir, NULL, GPT2_IDS, COUNT(GPT2_IDS));
    ats_outputs_assert_same(&got, &same, 1e-4, dtype);
    /* and stays close to the original float32 model */
    ats_outputs orig = ats_outputs_of(fixture, NULL, GPT2_IDS, COUNT(GPT2_IDS));
    ats_outputs_assert_same(&got, &orig, 2e-2, dtype);
    ats_outputs_free(&got);
    ats_outputs_free(&same);
    ats_outputs_free(&orig);
    free(half);
    free(f32);
    free(half_dir);
    free(f32_dir);
    free(weights);
}

static void test_load_hf_f16(void **state) {
    check_half_type(state, "F16");
}

static void test_load_hf_bf16(void **state) {
    check_half_type(state, "BF16");
}

/* ---- BERT naming ------------------------------------------------------------------------- */

static void test_load_hf_bert_bare_names_gamma_beta(void **state) {
    ATS_REQUIRE_SHARED(fixture, BERT);
    char *weights = ats_path_in(fixture, "model.safetensors");
    ats_st_parts p = ats_st_read(weights);
    json_t *header = json_object();
    const char *name;
    json_t *entry;
    json_object_foreach(p.header, name, entry) {
        if (strncmp(name, "bert.", 5) != 0)
            continue; /* drops the classifier and __metadata__ */
        char renamed[256];
        snprintf(renamed, sizeof renamed, "%s", name + 5);
        char *ln = strstr(renamed, "LayerNorm.");
        if (ln && strcmp(ln, "LayerNorm.weight") == 0)
            strcpy(ln, "LayerNorm.gamma");
        else if (ln && strcmp(ln, "LayerNorm.bias") == 0)
            strcpy(ln, "LayerNorm.beta");
        json_object_set(header, renamed, entry);
    }
    assert_non_null(json_object_get(header, "encoder.layer.4.output.LayerNorm.gamma"));
    char *dir = variant_dir(state, fixture, "bert-bare");
    char *out = ats_path_in(dir, "model.safetensors");
    ats_st_write(out, header, p.data, p.data_len, 0);
    ats_outputs want = ats_outputs_of(fixture, NULL, BERT_IDS, COUNT(BERT_IDS));
    ats_outputs got = ats_outputs_of(dir, NULL, BERT_IDS, COUNT(BERT_IDS));
    ats_outputs_assert_same(&got, &want, 0.0, "bert without prefix, gamma/beta");
    ats_outputs_free(&want);
    ats_outputs_free(&got);
    json_decref(header);
    free(out);
    free(dir);
    ats_st_free(&p);
    free(weights);
}

/* ---- the Llama family --------------------------------------------------------------------- */

/* A copy of stories260K-llama with config keys replaced (`patch` merged into config.json) and,
 * when `extra` is not NULL, tensors added: each extra entry names an existing tensor to alias
 * ("alias") or a size of zeros ("zeros"). */
static char *llama_variant(void **state, const char *fixture, const char *name, const char *patch,
                           json_t *extra) {
    char *dir = variant_dir(state, fixture, name);
    char *config_path = ats_path_in(dir, "config.json");
    json_t *config = ats_load_json_file(config_path);
    json_t *changes = ats_parse_json(patch);
    json_object_update(config, changes);
    const char *key;
    json_t *value;
    json_object_foreach(changes, key, value) {
        if (json_is_null(value))
            json_object_del(config, key);
    }
    assert_int_equal(json_dump_file(config, config_path, JSON_INDENT(2)), 0);
    json_decref(changes);
    json_decref(config);

    char *weights = ats_path_in(fixture, "model.safetensors");
    ats_st_parts p = ats_st_read(weights);
    size_t extra_bytes = 0;
    const char *tname;
    json_t *spec;
    json_object_foreach(extra, tname, spec) {
        extra_bytes += 4 * (size_t)json_integer_value(json_object_get(spec, "zeros"));
    }
    unsigned char *data = calloc(p.data_len + extra_bytes + 1, 1);
    memcpy(data, p.data, p.data_len);
    size_t used = p.data_len;
    json_object_foreach(extra, tname, spec) {
        const json_t *alias = json_object_get(spec, "alias");
        if (alias) {
            json_object_set(p.header, tname, json_object_get(p.header, json_string_value(alias)));
            continue;
        }
        json_int_t n = json_integer_value(json_object_get(spec, "zeros"));
        json_object_set_new(p.header, tname,
                            json_pack("{s:s, s:[I], s:[I, I]}", "dtype", "F32", "shape", n,
                                      "data_offsets", (json_int_t)used,
                                      (json_int_t)(used + 4 * (size_t)n)));
        used += 4 * (size_t)n;
    }
    char *out = ats_path_in(dir, "model.safetensors");
    ats_st_write(out, p.header, data, used, 0);
    free(out);
    free(data);
    ats_st_free(&p);
    free(weights);
    free(config_path);
    return dir;
}

static void expect_same_as_fixture(const char *fixture, const char *dir, const char *what) {
    ats_outputs want = ats_outputs_of(fixture, NULL, STORIES_IDS, COUNT(STORIES_IDS));
    ats_outputs got = ats_outputs_of(dir, NULL, STORIES_IDS, COUNT(STORIES_IDS));
    ats_outputs_assert_same(&got, &want, 0.0, what);
    ats_outputs_free(&want);
    ats_outputs_free(&got);
}

static void test_load_hf_qwen2_biases(void **state) {
    ATS_REQUIRE_SHARED(fixture, STORIES);
    json_t *biases = json_object();
    for (int l = 0; l < 5; l++) {
        char name[96];
        snprintf(name, sizeof name, "model.layers.%d.self_attn.q_proj.bias", l);
        json_object_set_new(biases, name, json_pack("{s:i}", "zeros", 64));
        snprintf(name, sizeof name, "model.layers.%d.self_attn.k_proj.bias", l);
        json_object_set_new(biases, name, json_pack("{s:i}", "zeros", 32));
        snprintf(name, sizeof name, "model.layers.%d.self_attn.v_proj.bias", l);
        json_object_set_new(biases, name, json_pack("{s:i}", "zeros", 32));
    }
    char *dir = llama_variant(state, fixture, "qwen2", "{\"model_type\": \"qwen2\"}", biases);
    expect_same_as_fixture(fixture, dir, "qwen2 with zero biases");
    free(dir);
    /* Qwen2 without its biases names the first missing one */
    dir = llama_variant(state, fixture, "qwen2-nobias", "{\"model_type\": \"qwen2\"}", NULL);
    ats_assert_load_fails(dir, "missing tensor 'model.layers.0.self_attn.q_proj.bias'");
    free(dir);
    json_decref(biases);
}

static void test_load_hf_llama_head_tied_or_not(void **state) {
    ATS_REQUIRE_SHARED(fixture, STORIES);
    json_t *head = json_pack("{s:{s:s}}", "lm_head.weight", "alias", "model.embed_tokens.weight");
    char *dir = llama_variant(state, fixture, "untied", "{\"tie_word_embeddings\": false}", head);
    expect_same_as_fixture(fixture, dir, "separate lm_head");
    free(dir);
    dir = llama_variant(state, fixture, "untied-missing", "{\"tie_word_embeddings\": false}", NULL);
    ats_assert_load_fails(dir, "missing tensor 'lm_head.weight'");
    free(dir);
    /* tie_word_embeddings absent: Llama's default is a separate head */
    dir = llama_variant(state, fixture, "tie-default", "{\"tie_word_embeddings\": null}", NULL);
    ats_assert_load_fails(dir, "lm_head.weight");
    free(dir);
    json_decref(head);
}

static void test_load_hf_llama_config_switches(void **state) {
    ATS_REQUIRE_SHARED(fixture, STORIES);
    char *dir = llama_variant(state, fixture, "head-dim", "{\"head_dim\": 8}", NULL);
    expect_same_as_fixture(fixture, dir, "explicit head_dim");
    free(dir);

    /* Mistral's sliding window: the first 8 tokens see what full attention sees; later queries
     * see only the last 8 keys */
    dir = llama_variant(state, fixture, "mistral",
                        "{\"model_type\": \"mistral\", \"sliding_window\": 8}", NULL);
    ats_outputs got = ats_outputs_of(dir, NULL, STORIES_IDS, 8);
    ats_outputs want = ats_outputs_of(fixture, NULL, STORIES_IDS, 8);
    ats_outputs_assert_same(&got, &want, 0.0, "mistral window");
    ats_outputs_free(&got);
    ats_outputs_free(&want);
    int T = COUNT(STORIES_IDS);
    got = ats_outputs_of(dir, NULL, STORIES_IDS, T);
    assert_int_equal(got.n_tokens, T);
    for (size_t lh = 0; lh < got.n_attn / ((size_t)T * T); lh++)
        for (int i = 0; i < T; i++)
            for (int j = 0; j <= i - 8; j++)
                assert_true(got.attn[(lh * T + i) * T + j] == 0.0f);
    ats_outputs_free(&got);
    free(dir);

    dir = llama_variant(state, fixture, "gelu", "{\"hidden_act\": \"gelu\"}", NULL);
    ats_assert_load_fails(dir, "hidden_act 'gelu' is not supported");
    free(dir);
    dir = llama_variant(state, fixture, "gqa", "{\"num_key_value_heads\": 3}", NULL);
    ats_assert_load_fails(dir, "do not divide");
    free(dir);
}

static void test_load_hf_llama_rope_scaling(void **state) {
    ATS_REQUIRE_SHARED(fixture, STORIES);
    ats_model *m = NULL;
    ats_error err;
    char *dir = llama_variant(state, fixture, "linear",
                              "{\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}", NULL);
    assert_int_equal(ats_model_load(dir, NULL, &m, &err), ATS_OK);
    const ats_model_config *c = ats_model_get_config(m);
    assert_int_equal(c->rope_scaling.kind, ATS_ROPE_SCALING_LINEAR);
    assert_true(c->rope_scaling.factor == 2.0f);
    ats_model_free(m);
    /* positions scaled by 1/2 change the attention of every query after the first */
    ats_outputs got = ats_outputs_of(dir, NULL, STORIES_IDS, COUNT(STORIES_IDS));
    ats_outputs orig = ats_outputs_of(fixture, NULL, STORIES_IDS, COUNT(STORIES_IDS));
    double diff = 0;
    for (size_t i = 0; i < got.n_attn; i++)
        diff = fmax(diff, fabs((double)got.attn[i] - orig.attn[i]));
    assert_true(diff > 1e-3);
    ats_outputs_free(&got);
    ats_outputs_free(&orig);
    free(dir);

    dir = llama_variant(state, fixture, "llama3",
                        "{\"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\": \"llama3\", "
                        "\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, "
                        "\"original_max_position_embeddings\": 8192}}",
                        NULL);
    assert_int_equal(ats_model_load(dir, NULL, &m, &err), ATS_OK);
    c = ats_model_get_config(m);
    assert_int_equal(c->rope_scaling.kind, ATS_ROPE_SCALING_LLAMA3);
    assert_true(c->rope_scaling.factor == 8.0f && c->rope_scaling.low_freq_factor == 1.0f &&
                c->rope_scaling.high_freq_factor == 4.0f);
    assert_int_equal(c->rope_scaling.original_max_position, 8192);
    assert_true(c->rope_theta == 500000.0f);
    ats_model_free(m);
    free(dir);

    dir = llama_variant(state, fixture, "default-rope",
                        "{\"rope_scaling\": {\"rope_type\": \"default\"}}", NULL);
    expect_same_as_fixture(fixture, dir, "rope_type default");
    free(dir);
}

/* ---- info --------------------------------------------------------------------------------- */

static void test_load_hf_info(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(gpt2, GPT2);
    const char *args[] = {"info", "--model", gpt2, "--json", NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    json_t *info = ats_parse_json(r.out);
    assert_string_equal(json_string_value(json_object_get(info, "name")), "tiny-random-gpt2");
    assert_string_equal(json_string_value(json_object_get(info, "format")), "safetensors");
    assert_string_equal(json_string_value(json_object_get(info, "arch")), "gpt2");
    assert_string_equal(json_string_value(json_object_get(info, "dtype")), "F32");
    assert_int_equal(json_integer_value(json_object_get(info, "n_layer")), 5);
    assert_int_equal(json_integer_value(json_object_get(info, "n_head")), 4);
    assert_int_equal(json_integer_value(json_object_get(info, "d_ff")), 128); /* 4 x n_embd */
    assert_int_equal(json_integer_value(json_object_get(info, "context")), 512);
    /* wte 32000 + wpe 16384 + 5 x 12704 per layer + ln_f 64 (the head is tied) */
    assert_int_equal(json_integer_value(json_object_get(info, "n_params")), 111968);
    /* config.json + model.safetensors + tokenizer.json */
    assert_int_equal(json_integer_value(json_object_get(info, "file_size")), 1017 + 453864 + 31423);
    json_decref(info);
    ats_cli_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_hf_sharded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_hf_misaligned_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_hf_f16, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_hf_bf16, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_hf_bert_bare_names_gamma_beta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_hf_qwen2_biases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_hf_llama_head_tied_or_not, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_hf_llama_config_switches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_hf_llama_rope_scaling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_hf_info, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
