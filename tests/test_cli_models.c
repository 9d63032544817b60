/* The command line on the real fixture models: info and tokenize for every source, dump --steps
 * recomputed from its own q, k, v (GPT-2, BERT, grouped-query Llama), text beyond the context,
 * and vocabulary-only files. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RUN(...) ats_run_cli((const char *const[]){__VA_ARGS__, NULL}, NULL, 0)

static void expect_ok(const ats_cli_result *r) {
    if (r->exit_code != 0)
        fail_msg("exit %d, stderr: %s", r->exit_code, r->err);
}

static void test_cli_models_info_for_every_source(void **state) {
    (void)state;
    static const struct {
        const char *fixture, *expect;
    } cases[] = {
        {"fixtures/hf/tiny-random-gpt2", "architecture   gpt2"},
        {"fixtures/hf/tiny-random-bert", "architecture   bert"},
        {"fixtures/hf/stories260K-llama", "KV heads       4 (grouped-query attention)"},
        {"fixtures/hf/gpt2-tokenizer", "weights        none"},
        {"fixtures/gguf/stories260K-q8_0.gguf", "dtype          Q8_0+F32"},
        {"fixtures/gguf/ggml-vocab-llama-spm.gguf", "tokenizer      SentencePiece BPE"},
        {"fixtures/llama2c/stories260K.bin", "format         llama2.c"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ATS_REQUIRE_SHARED(path, cases[i].fixture);
        ats_cli_result r = RUN("info", "--model", path);
        expect_ok(&r);
        if (!strstr(r.out, cases[i].expect))
            fail_msg("%s: info lacks '%s':\n%s", cases[i].fixture, cases[i].expect, r.out);
        ats_cli_result_free(&r);
    }
}

static void test_cli_models_tokenize_matches_reference(void **state) {
    (void)state;
    /* the first line of the GPT-2 reference through the tokenizer-only folder */
    ATS_REQUIRE_SHARED(dir, "fixtures/hf/gpt2-tokenizer");
    ATS_REQUIRE_SHARED(ref_path, "reference/tokenizers/gpt2.jsonl");
    FILE *f = fopen(ref_path, "r");
    char line[8192];
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    json_t *ref = ats_parse_json(line);
    const char *text = json_string_value(json_object_get(ref, "text"));
    ats_cli_result r = RUN("tokenize", "--model", dir, "--text", text, "--json");
    expect_ok(&r);
    json_t *got = ats_parse_json(r.out);
    json_t *tokens = json_object_get(got, "tokens"), *ids = json_object_get(ref, "ids");
    assert_int_equal(json_array_size(tokens), json_array_size(ids));
    for (size_t i = 0; i < json_array_size(ids); i++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(tokens, i), "id")),
                         json_integer_value(json_array_get(ids, i)));
    json_decref(got);
    json_decref(ref);
    ats_cli_result_free(&r);
}

static double number_at(json_t *array, size_t i) {
    return json_number_value(json_array_get(array, i));
}

/* Recomputes every step of dump --steps from the q, k, v it printed. */
static void check_steps(const char *fixture, int layer, int head, int token, int expect_kv_head) {
    ATS_REQUIRE_SHARED(path, fixture);
    char l[8], h[8], t[8];
    snprintf(l, sizeof l, "%d", layer);
    snprintf(h, sizeof h, "%d", head);
    snprintf(t, sizeof t, "%d", token);
    const char *text = "The animal didn't cross the street because it was too tired.";
    ats_cli_result r = RUN("dump", "--model", path, "--text", text, "--steps", "--layer", l,
                           "--head", h, "--token", t);
    expect_ok(&r);
    json_t *j = ats_parse_json(r.out);
    json_t *st = json_object_get(j, "steps");
    bool causal = json_is_true(json_object_get(json_object_get(j, "model"), "causal"));
    int T = (int)json_array_size(json_object_get(j, "tokens"));
    int dk = (int)json_integer_value(json_object_get(st, "d_k"));
    assert_int_equal(json_integer_value(json_object_get(st, "kv_head")), expect_kv_head);
    json_t *q = json_object_get(st, "q"), *k = json_object_get(st, "k");
    json_t *v = json_object_get(st, "v");
    assert_int_equal(json_array_size(q), dk);
    assert_int_equal(json_array_size(k), T);

    double scores[256], weights[256], max = -INFINITY, sum = 0;
    assert_true(T <= 256);
    int visible = causal ? token + 1 : T;
    for (int j2 = 0; j2 < T; j2++) {
        scores[j2] = 0;
        for (int i = 0; i < dk; i++)
            scores[j2] += number_at(q, i) * number_at(json_array_get(k, j2), i);
        double scaled = scores[j2] / sqrt((double)dk);
        assert_true(fabs(scores[j2] - number_at(json_object_get(st, "scores"), j2)) < 1e-3);
        assert_true(fabs(scaled - number_at(json_object_get(st, "scaled"), j2)) < 1e-3);
        if (j2 < visible)
            max = fmax(max, scaled);
    }
    for (int j2 = 0; j2 < visible; j2++)
        sum += exp(scores[j2] / sqrt((double)dk) - max);
    for (int j2 = 0; j2 < T; j2++) {
        weights[j2] = j2 < visible ? exp(scores[j2] / sqrt((double)dk) - max) / sum : 0;
        assert_true(fabs(weights[j2] - number_at(json_object_get(st, "weights"), j2)) < 1e-4);
    }
    for (int i = 0; i < dk; i++) {
        double o = 0;
        for (int j2 = 0; j2 < T; j2++)
            o += weights[j2] * number_at(json_array_get(v, j2), i);
        assert_true(fabs(o - number_at(json_object_get(st, "output"), i)) < 1e-4);
    }
    json_t *row = json_array_get(
        json_array_get(json_array_get(json_object_get(j, "attentions"), 0), 0), token);
    assert_true(json_equal(row, json_object_get(st, "weights")));
    json_decref(j);
    ats_cli_result_free(&r);
}

static void test_cli_models_steps_gpt2(void **state) {
    (void)state;
    check_steps("fixtures/hf/tiny-random-gpt2", 2, 3, 7, 3);
}

static void test_cli_models_steps_bert(void **state) {
    (void)state;
    check_steps("fixtures/hf/tiny-random-bert", 4, 1, 10, 1);
}

static void test_cli_models_steps_grouped_query_llama(void **state) {
    (void)state;
    /* 8 query heads over 4 KV heads: head 5 reads KV head 2 */
    check_steps("fixtures/gguf/stories260K.gguf", 3, 5, 12, 2);
    check_steps("fixtures/hf/stories260K-llama", 3, 5, 12, 2);
}

static void test_cli_models_text_beyond_context(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(path, "fixtures/hf/tiny-random-gpt2");
    /* about 1200 tokens for a model whose context is 512 */
    size_t cap = 200 * 16 + 1;
    char *text = malloc(cap);
    text[0] = '\0';
    for (int i = 0; i < 200; i++)
        strcat(text, "the cat sat. ");
    ats_cli_result r = ats_run_cli(
        (const char *const[]){"dump", "--model", path, "--text", "-", "--layer", "0", NULL}, text,
        strlen(text));
    expect_ok(&r);
    assert_non_null(strstr(r.err, "warning"));
    assert_non_null(strstr(r.err, "512"));
    json_t *j = ats_parse_json(r.out);
    assert_int_equal(json_array_size(json_object_get(j, "tokens")), 512);
    json_t *trunc = json_object_get(j, "truncated");
    assert_int_equal(json_integer_value(json_object_get(trunc, "kept")), 512);
    assert_true(json_integer_value(json_object_get(trunc, "dropped")) > 0);
    assert_int_equal(json_array_size(json_object_get(j, "warnings")), 1);
    json_decref(j);
    ats_cli_result_free(&r);
    free(text);
}

static void test_cli_models_vocabulary_only(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(path, "fixtures/gguf/ggml-vocab-bert-bge.gguf");
    ats_cli_result r = RUN("tokenize", "--model", path, "--text", "Hello world", "--no-special");
    expect_ok(&r);
    assert_int_equal(ats_count_lines(r.out), 2);
    ats_cli_result_free(&r);
    r = RUN("dump", "--model", path, "--text", "Hello world");
    assert_int_equal(r.exit_code, 2);
    assert_int_equal(ats_count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "no weights"));
    ats_cli_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_models_info_for_every_source),
        cmocka_unit_test(test_cli_models_tokenize_matches_reference),
        cmocka_unit_test(test_cli_models_steps_gpt2),
        cmocka_unit_test(test_cli_models_steps_bert),
        cmocka_unit_test(test_cli_models_steps_grouped_query_llama),
        cmocka_unit_test(test_cli_models_text_beyond_context),
        cmocka_unit_test(test_cli_models_vocabulary_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
