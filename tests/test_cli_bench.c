/* `attnscope bench`: the JSON contract ({"model", "threads", "results": [{"tokens",
 * "forward_ms", "typing_ms"}]}), texts of exactly the asked token counts, typing only for causal
 * models, lengths past the context, the table, and bad options. Only the shape of the output is
 * tested: speed belongs to the benchmark itself. */
#include "test_support.h"

#include <string.h>

static json_t *bench_json(const char *const *extra) {
    const char *args[16] = {"bench", "--repeat", "1", "--json"};
    int n = 4;
    for (int i = 0; extra[i]; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    if (r.exit_code != 0)
        fail_msg("bench failed (%d): %s", r.exit_code, r.err);
    json_t *j = ats_parse_json(r.out);
    ats_cli_result_free(&r);
    return j;
}

static void test_cli_bench_json_contract(void **state) {
    (void)state;
    const char *extra[] = {"--causal", "--tokens", "3,17,40", "--threads", "2", NULL};
    json_t *j = bench_json(extra);
    json_t *model = json_object_get(j, "model");
    assert_string_equal(json_string_value(json_object_get(model, "name")), "builtin:demo");
    assert_true(json_is_true(json_object_get(model, "causal")));
    assert_int_equal(json_integer_value(json_object_get(j, "threads")), 2);
    assert_non_null(json_string_value(json_object_get(j, "blas")));
    json_t *results = json_object_get(j, "results");
    assert_int_equal(json_array_size(results), 3);
    const int tokens[] = {3, 17, 40};
    for (size_t i = 0; i < 3; i++) {
        json_t *row = json_array_get(results, i);
        assert_int_equal(json_integer_value(json_object_get(row, "tokens")), tokens[i]);
        assert_true(json_number_value(json_object_get(row, "forward_ms")) > 0);
        assert_true(json_number_value(json_object_get(row, "typing_ms")) > 0);
        /* one word longer: at least one more token */
        assert_true(json_integer_value(json_object_get(row, "typing_tokens")) > tokens[i]);
        assert_true(json_number_value(json_object_get(row, "floor_ms")) > 0);
        assert_string_equal(json_string_value(json_object_get(row, "attention")), "kept");
    }
    json_decref(j);
}

/* A bidirectional model reuses nothing while typing: typing_ms is null. */
static void test_cli_bench_bidirectional_has_no_typing(void **state) {
    (void)state;
    const char *extra[] = {"--tokens", "8", NULL};
    json_t *j = bench_json(extra);
    json_t *row = json_array_get(json_object_get(j, "results"), 0);
    assert_true(json_is_null(json_object_get(row, "typing_ms")));
    assert_true(json_number_value(json_object_get(row, "forward_ms")) > 0);
    json_decref(j);
}

/* Real tokenizers split words: the text still has exactly the tokens asked for (BERT's [CLS]
 * and [SEP] included), and a length past the context is a row of nulls with a note. */
static void test_cli_bench_exact_tokens_real_tokenizers(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(gpt2, "fixtures/hf/tiny-random-gpt2");
    ATS_REQUIRE_SHARED(bert, "fixtures/hf/tiny-random-bert");
    const char *models[] = {gpt2, bert};
    for (int m = 0; m < 2; m++) {
        const char *extra[] = {"--model", models[m], "--tokens", "5,33,100000", NULL};
        json_t *j = bench_json(extra);
        json_t *results = json_object_get(j, "results");
        for (size_t i = 0; i < 2; i++)
            assert_true(
                json_number_value(json_object_get(json_array_get(results, i), "forward_ms")) > 0);
        json_t *past = json_array_get(results, 2);
        assert_true(json_is_null(json_object_get(past, "forward_ms")));
        assert_non_null(strstr(json_string_value(json_object_get(past, "note")), "context"));
        json_decref(j);
    }
}

static void test_cli_bench_table_and_bad_options(void **state) {
    (void)state;
    const char *table[] = {"bench", "--tokens", "4", "--repeat", "1", NULL};
    ats_cli_result r = ats_run_cli(table, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "forward ms"));
    assert_non_null(strstr(r.out, "blas"));
    ats_cli_result_free(&r);
    const char *bad[][6] = {{"bench", "--tokens", "4,x", NULL},
                            {"bench", "--tokens", "0", NULL},
                            {"bench", "--repeat", "-3", NULL},
                            {"bench", "--threads", "100000", NULL},
                            {"bench", "--text", "hi", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = ats_run_cli(bad[i], NULL, 0);
        assert_int_equal(r.exit_code, 2);
        assert_int_equal(ats_count_lines(r.err), 1);
        ats_cli_result_free(&r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_bench_json_contract),
        cmocka_unit_test(test_cli_bench_bidirectional_has_no_typing),
        cmocka_unit_test(test_cli_bench_exact_tokens_real_tokenizers),
        cmocka_unit_test(test_cli_bench_table_and_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
