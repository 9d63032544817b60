/* The attnscope command line end to end on builtin:demo: help, info, tokenize, dump in every
 * format, standard input, and the bad inputs that must exit 2 with one clear line. */
#include "test_support.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RUN(...) ats_run_cli((const char *const[]){__VA_ARGS__, NULL}, NULL, 0)

static void expect_ok(const ats_cli_result *r) {
    if (r->exit_code != 0)
        fail_msg("exit %d, stderr: %s", r->exit_code, r->err);
}

/* Exit 2 and exactly one line on stderr that mentions `needle`. */
static void expect_bad_input(ats_cli_result *r, const char *needle) {
    if (r->exit_code != 2 || ats_count_lines(r->err) != 1 || !strstr(r->err, needle))
        fail_msg("expected exit 2 and one line about '%s'; got exit %d, stderr: %s", needle,
                 r->exit_code, r->err);
    ats_cli_result_free(r);
}

static void test_cli_help_for_every_command(void **state) {
    (void)state;
    const char *commands[] = {"info", "tokenize", "dump"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        ats_cli_result r = RUN(commands[i], "--help");
        expect_ok(&r);
        assert_non_null(strstr(r.out, "usage: attnscope"));
        ats_cli_result_free(&r);
    }
    ats_cli_result r = RUN("--help");
    expect_ok(&r);
    assert_non_null(strstr(r.out, "attnscope dump"));
    ats_cli_result_free(&r);
}

static void test_cli_info(void **state) {
    (void)state;
    ats_cli_result r = RUN("info");
    expect_ok(&r);
    assert_non_null(strstr(r.out, "builtin:demo"));
    assert_non_null(strstr(r.out, "layers         2"));
    assert_non_null(strstr(r.out, "heads          4"));
    ats_cli_result_free(&r);

    r = RUN("info", "--json", "--causal");
    expect_ok(&r);
    json_t *j = ats_parse_json(r.out);
    assert_string_equal(json_string_value(json_object_get(j, "arch")), "demo");
    assert_int_equal(json_integer_value(json_object_get(j, "n_layer")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "d_head")), 16);
    assert_true(json_is_true(json_object_get(j, "causal")));
    json_decref(j);
    ats_cli_result_free(&r);
}

static void test_cli_tokenize(void **state) {
    (void)state;
    ats_cli_result r = RUN("tokenize", "--text", "Hi, there", "--json");
    expect_ok(&r);
    json_t *j = ats_parse_json(r.out);
    json_t *tokens = json_object_get(j, "tokens");
    assert_int_equal(json_array_size(tokens), 3);
    json_t *comma = json_array_get(tokens, 1);
    assert_string_equal(json_string_value(json_object_get(comma, "piece")), ",");
    assert_int_equal(json_integer_value(json_object_get(comma, "start")), 2);
    assert_int_equal(json_integer_value(json_object_get(comma, "end")), 3);
    assert_true(json_is_false(json_object_get(comma, "special")));
    json_decref(j);
    ats_cli_result_free(&r);

    r = RUN("tokenize", "--text", "Hi, there");
    expect_ok(&r);
    assert_int_equal(ats_count_lines(r.out), 3);
    assert_non_null(strstr(r.out, "\t4\t9\tthere\n"));
    ats_cli_result_free(&r);
}

/* Checks the dump JSON schema of DESIGN.md and returns the token count. */
static int check_dump_schema(json_t *j, const char *text, size_t text_len, int n_layers,
                             int n_heads, bool causal) {
    json_t *model = json_object_get(j, "model");
    const char *keys[] = {"name",    "arch",   "n_layer",    "n_head", "n_kv_head",
                          "d_model", "d_head", "vocab_size", "causal"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (!json_object_get(model, keys[k]))
            fail_msg("model.%s is missing", keys[k]);
    assert_int_equal(json_is_true(json_object_get(model, "causal")), causal);
    json_t *jtext = json_object_get(j, "text");
    assert_int_equal(json_string_length(jtext), text_len);
    assert_memory_equal(json_string_value(jtext), text, text_len);

    json_t *tokens = json_object_get(j, "tokens");
    int T = (int)json_array_size(tokens);
    assert_true(T > 0);
    for (int i = 0; i < T; i++) {
        json_t *t = json_array_get(tokens, (size_t)i);
        assert_true(json_is_integer(json_object_get(t, "id")));
        assert_true(json_is_boolean(json_object_get(t, "special")));
        const char *piece = json_string_value(json_object_get(t, "piece"));
        json_int_t start = json_integer_value(json_object_get(t, "start"));
        json_int_t end = json_integer_value(json_object_get(t, "end"));
        /* offsets point into the text: the span holds the piece */
        assert_true(start >= 0 && start <= end && (size_t)end <= text_len);
        assert_int_equal((size_t)(end - start), strlen(piece));
        assert_memory_equal(text + start, piece, strlen(piece));
    }

    json_t *att = json_object_get(j, "attentions");
    assert_int_equal(json_array_size(att), n_layers);
    for (int l = 0; l < n_layers; l++) {
        json_t *layer = json_array_get(att, (size_t)l);
        assert_int_equal(json_array_size(layer), n_heads);
        for (int h = 0; h < n_heads; h++) {
            json_t *head = json_array_get(layer, (size_t)h);
            assert_int_equal(json_array_size(head), T);
            for (int i = 0; i < T; i++) {
                json_t *row = json_array_get(head, (size_t)i);
                assert_int_equal(json_array_size(row), T);
                double sum = 0;
                for (int k = 0; k < T; k++) {
                    double w = json_number_value(json_array_get(row, (size_t)k));
                    if (causal && k > i)
                        assert_true(w == 0.0);
                    sum += w;
                }
                if (fabs(sum - 1.0) > 1e-5)
                    fail_msg("layer %d head %d row %d sums to %f", l, h, i, sum);
            }
        }
    }
    return T;
}

static void test_cli_dump_json_schema(void **state) {
    (void)state;
    const char *text = "The animal didn't cross the street because it was too tired.";
    ats_cli_result r = RUN("dump", "--text", text);
    expect_ok(&r);
    json_t *j = ats_parse_json(r.out);
    int T = check_dump_schema(j, text, strlen(text), 2, 4, false);
    assert_int_equal(T, 12);
    json_decref(j);
    ats_cli_result_free(&r);

    r = RUN("dump", "--text", text, "--causal");
    expect_ok(&r);
    j = ats_parse_json(r.out);
    check_dump_schema(j, text, strlen(text), 2, 4, true);
    json_decref(j);
    ats_cli_result_free(&r);
}

static void test_cli_dump_reads_stdin_exactly(void **state) {
    (void)state;
    const char input[] = "  Tabs\tand\nnew lines, kept.\n";
    ats_cli_result r =
        ats_run_cli((const char *const[]){"dump", "--text", "-", NULL}, input, sizeof input - 1);
    expect_ok(&r);
    json_t *j = ats_parse_json(r.out);
    check_dump_schema(j, input, sizeof input - 1, 2, 4, false);
    json_decref(j);
    ats_cli_result_free(&r);
}

static void test_cli_dump_one_head(void **state) {
    (void)state;
    const char *text = "one two three two one";
    ats_cli_result all = RUN("dump", "--text", text);
    ats_cli_result one = RUN("dump", "--text", text, "--layer", "1", "--head", "2");
    expect_ok(&all);
    expect_ok(&one);
    json_t *ja = ats_parse_json(all.out), *jo = ats_parse_json(one.out);
    check_dump_schema(jo, text, strlen(text), 1, 1, false);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(jo, "layers"), 0)), 1);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(jo, "heads"), 0)), 2);
    json_t *from_all = json_array_get(json_array_get(json_object_get(ja, "attentions"), 1), 2);
    json_t *from_one = json_array_get(json_array_get(json_object_get(jo, "attentions"), 0), 0);
    assert_true(json_equal(from_all, from_one));
    json_decref(ja);
    json_decref(jo);
    ats_cli_result_free(&all);
    ats_cli_result_free(&one);
}

static void test_cli_dump_npy_matches_json(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char npy[512];
    snprintf(npy, sizeof npy, "%s/att.npy", dir);
    const char *text = "A cat, a hat.";
    ats_cli_result r = RUN("dump", "--text", text, "--format", "npy", "-o", npy);
    expect_ok(&r);
    ats_cli_result_free(&r);
    r = RUN("dump", "--text", text);
    expect_ok(&r);
    json_t *j = ats_parse_json(r.out);
    ats_cli_result_free(&r);

    FILE *f = fopen(npy, "rb");
    assert_non_null(f);
    unsigned char head[10];
    assert_int_equal(fread(head, 1, 10, f), 10);
    assert_memory_equal(head, "\x93NUMPY\x01\x00", 8);
    size_t header_len = head[8] | (size_t)head[9] << 8;
    assert_int_equal((10 + header_len) % 64, 0);
    char header[256] = {0};
    assert_true(header_len < sizeof header);
    assert_int_equal(fread(header, 1, header_len, f), header_len);
    assert_non_null(strstr(header, "'descr': '<f4'"));
    assert_non_null(strstr(header, "'fortran_order': False"));
    assert_non_null(strstr(header, "'shape': (2, 4, 6, 6)"));
    float data[2 * 4 * 6 * 6], expected[2 * 4 * 6 * 6];
    assert_int_equal(fread(data, sizeof(float), 288, f), 288);
    assert_int_equal(fgetc(f), EOF);
    fclose(f);
    assert_int_equal(ats_json_flatten(json_object_get(j, "attentions"), expected, 288), 288);
    ats_assert_close(data, expected, 288, 0, "npy vs json");
    json_decref(j);
    ats_rmtree(dir);
    free(dir);
}

static void test_cli_dump_csv_quotes_pieces(void **state) {
    (void)state;
    ats_cli_result r = RUN("dump", "--text", "He said \"hi\", then", "--format", "csv", "--layer",
                           "0", "--head", "3");
    expect_ok(&r);
    /* pieces: He said " hi " , then -- a quote doubles and is quoted; a comma is quoted */
    const char *header = "query\\key,He,said,\"\"\"\",hi,\"\"\"\",\",\",then\r\n";
    assert_memory_equal(r.out, header, strlen(header));
    assert_int_equal(ats_count_lines(r.out), 8);
    /* head 3 is uniform: every cell 1/7, the float32 nearest to it */
    assert_non_null(strstr(r.out, "\r\nthen,0.142857149,0.142857149,"));
    ats_cli_result_free(&r);
}

static void test_cli_text_file_gives_json_lines(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char path[512];
    snprintf(path, sizeof path, "%s/texts.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("first line here\r\nsecond one\n", f);
    fclose(f);
    ats_cli_result r = RUN("dump", "--text-file", path);
    expect_ok(&r);
    assert_int_equal(ats_count_lines(r.out), 2);
    char *second = strchr(r.out, '\n') + 1;
    second[-1] = '\0';
    json_t *a = ats_parse_json(r.out), *b = ats_parse_json(second);
    check_dump_schema(a, "first line here", 15, 2, 4, false);
    check_dump_schema(b, "second one", 10, 2, 4, false);
    json_decref(a);
    json_decref(b);
    ats_cli_result_free(&r);
    ats_rmtree(dir);
    free(dir);
}

static void test_cli_output_is_atomic(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char out[512], missing[512];
    snprintf(out, sizeof out, "%s/dump.json", dir);
    snprintf(missing, sizeof missing, "%s/no/such/folder/dump.json", dir);
    ats_cli_result r = RUN("dump", "--text", "hello world", "-o", out);
    expect_ok(&r);
    assert_int_equal(r.out_len, 0);
    ats_cli_result_free(&r);
    json_t *j = ats_load_json_file(out);
    check_dump_schema(j, "hello world", 11, 2, 4, false);
    json_decref(j);
    assert_int_equal(ats_count_entries(dir), 1); /* no temporary left behind */

    r = RUN("dump", "--text", "hello", "-o", missing);
    expect_bad_input(&r, "no/such/folder");
    /* a failure after the output was opened leaves no file either */
    char bad_out[512];
    snprintf(bad_out, sizeof bad_out, "%s/bad.json", dir);
    r = RUN("dump", "--text", "   ", "-o", bad_out);
    expect_bad_input(&r, "no tokens");
    assert_int_equal(ats_count_entries(dir), 1);
    ats_rmtree(dir);
    free(dir);
}

static void test_cli_bad_inputs_exit_2(void **state) {
    (void)state;
    ats_cli_result r = RUN("dump", "--model", "/no/such/model", "--text", "hi");
    expect_bad_input(&r, "/no/such/model");
    r = RUN("info", "--model", "builtin:nothing");
    expect_bad_input(&r, "builtin:nothing");

    const char invalid[] = "valid then \xff\xfe bytes";
    r = ats_run_cli((const char *const[]){"dump", "--text", "-", NULL}, invalid,
                    sizeof invalid - 1);
    expect_bad_input(&r, "UTF-8");
    r = ats_run_cli((const char *const[]){"tokenize", "--text", "-", NULL}, invalid,
                    sizeof invalid - 1);
    expect_bad_input(&r, "byte 11");

    r = RUN("dump", "--text", "hi", "--frobnicate");
    expect_bad_input(&r, "--frobnicate");
    r = RUN("info", "--logits");
    expect_bad_input(&r, "--logits");
    r = RUN("frobnicate");
    expect_bad_input(&r, "frobnicate");
    r = RUN("dump", "--text", "hi", "--layer", "2");
    expect_bad_input(&r, "--layer 2");
    r = RUN("dump", "--text", "hi", "--head", "4");
    expect_bad_input(&r, "--head 4");
    r = RUN("dump", "--text", "hi", "--head", "-2");
    expect_bad_input(&r, "--head -2");
    r = RUN("dump", "--text", "hi", "--layer", "x");
    expect_bad_input(&r, "whole number");
    r = RUN("dump", "--text", "hi", "--format", "xml");
    expect_bad_input(&r, "xml");
    r = RUN("dump");
    expect_bad_input(&r, "no text");
    r = RUN("dump", "--text", "");
    expect_bad_input(&r, "no tokens");
    r = RUN("dump", "--text", "hi", "--logits");
    expect_bad_input(&r, "language-model head");
    r = RUN("dump", "--text");
    expect_bad_input(&r, "needs a value");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_help_for_every_command),
        cmocka_unit_test(test_cli_info),
        cmocka_unit_test(test_cli_tokenize),
        cmocka_unit_test(test_cli_dump_json_schema),
        cmocka_unit_test(test_cli_dump_reads_stdin_exactly),
        cmocka_unit_test(test_cli_dump_one_head),
        cmocka_unit_test(test_cli_dump_npy_matches_json),
        cmocka_unit_test(test_cli_dump_csv_quotes_pieces),
        cmocka_unit_test(test_cli_text_file_gives_json_lines),
        cmocka_unit_test(test_cli_output_is_atomic),
        cmocka_unit_test(test_cli_bad_inputs_exit_2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
