/* The command line on encoder-decoder models (T5), as a person runs it, against
 * ../shared/reference: `tokenize` (</s> appended, --no-special), `dump --target` (the three
 * kinds of attention and the logits), `dump` without a target (greedy generation), NPY as an NPZ
 * archive or one kind, CSV of cross-attention, `info` with both stacks, `export --attention`,
 * and the errors for options that need T5. */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

static const char *const T5 = "fixtures/hf/t5-tiny-random";

static json_t *reference_case(int index) {
    const char *path = ats_test_shared("reference/models/t5-tiny-random.json");
    assert_non_null(path);
    json_t *ref = ats_load_json_file(path);
    json_t *c = json_incref(json_array_get(json_object_get(ref, "cases"), (size_t)index));
    json_decref(ref);
    return c;
}

static ats_cli_result run(const char *const *args, int want) {
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    if (r.exit_code != want)
        fail_msg("%s: exit %d (want %d): %s", args[0], r.exit_code, want, r.err);
    return r;
}

static void expect_ids(const json_t *tokens, const json_t *ids, const char *what) {
    if (json_array_size(tokens) != json_array_size(ids))
        fail_msg("%s: %zu tokens, reference %zu", what, json_array_size(tokens),
                 json_array_size(ids));
    for (size_t i = 0; i < json_array_size(ids); i++)
        if (json_integer_value(json_object_get(json_array_get(tokens, i), "id")) !=
            json_integer_value(json_array_get(ids, i)))
            fail_msg("%s: token %zu differs from the reference", what, i);
}

static void expect_close(const json_t *got, const json_t *want, double tol, const char *what) {
    size_t n = ats_json_flatten(want, NULL, 0);
    float *a = calloc(n + 1, sizeof *a), *b = calloc(n + 1, sizeof *b);
    assert_int_equal(ats_json_flatten(got, a, n), n);
    ats_json_flatten(want, b, n);
    ats_assert_close(a, b, n, tol, what);
    free(a);
    free(b);
}

static void test_cli_t5_tokenize(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, T5);
    json_t *c = reference_case(0);
    const char *text = json_string_value(json_object_get(c, "text"));
    const char *args[] = {"tokenize", "--model", dir, "--text", text, "--json", NULL};
    ats_cli_result r = run(args, 0);
    json_t *out = ats_parse_json(r.out);
    const json_t *tokens = json_object_get(out, "tokens");
    expect_ids(tokens, json_object_get(c, "ids"), "tokenize");
    const json_t *last = json_array_get(tokens, json_array_size(tokens) - 1);
    assert_string_equal(json_string_value(json_object_get(last, "piece")), "</s>");
    assert_true(json_is_true(json_object_get(last, "special")));
    json_decref(out);
    ats_cli_result_free(&r);
    const char *plain[] = {"tokenize", "--model",      dir, "--text", text,
                           "--json",   "--no-special", NULL};
    r = run(plain, 0);
    out = ats_parse_json(r.out);
    assert_int_equal(json_array_size(json_object_get(out, "tokens")),
                     json_array_size(json_object_get(c, "ids")) - 1);
    json_decref(out);
    ats_cli_result_free(&r);
    json_decref(c);
}

static void test_cli_t5_dump_target(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, T5);
    json_t *c = reference_case(0);
    const char *args[] = {"dump",
                          "--model",
                          dir,
                          "--text",
                          json_string_value(json_object_get(c, "text")),
                          "--target",
                          json_string_value(json_object_get(c, "target")),
                          "--format",
                          "json",
                          "--logits",
                          NULL};
    ats_cli_result r = run(args, 0);
    json_t *out = ats_parse_json(r.out);
    expect_ids(json_object_get(out, "tokens"), json_object_get(c, "ids"), "tokens");
    expect_ids(json_object_get(out, "decoder_tokens"), json_object_get(c, "decoder_ids"),
               "decoder_tokens");
    assert_int_equal(json_integer_value(json_object_get(out, "generated")), 0);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(out, "model"), "n_decoder_layer")), 3);
    expect_close(json_object_get(out, "attentions"), json_object_get(c, "attentions"), 1e-4,
                 "attentions");
    expect_close(json_object_get(out, "decoder_attentions"),
                 json_object_get(c, "decoder_attentions"), 1e-4, "decoder_attentions");
    expect_close(json_object_get(out, "cross_attentions"), json_object_get(c, "cross_attentions"),
                 1e-4, "cross_attentions");
    expect_close(json_object_get(out, "logits_last"), json_object_get(c, "logits_last"), 1e-3,
                 "logits_last");
    json_decref(out);
    ats_cli_result_free(&r);
    json_decref(c);
}

/* Without --target: greedy generation up to --max-new (the reference case generated 20). */
static void test_cli_t5_dump_generates(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, T5);
    json_t *c = reference_case(3);
    char max_new[16];
    snprintf(max_new, sizeof max_new, "%lld",
             (long long)json_integer_value(json_object_get(c, "max_new")));
    const char *args[] = {
        "dump",      "--model", dir, "--text", json_string_value(json_object_get(c, "text")),
        "--max-new", max_new,   NULL};
    ats_cli_result r = run(args, 0);
    json_t *out = ats_parse_json(r.out);
    expect_ids(json_object_get(out, "decoder_tokens"), json_object_get(c, "decoder_ids"),
               "generated decoder_tokens");
    assert_true(json_is_null(json_object_get(out, "target")));
    assert_int_equal(json_integer_value(json_object_get(out, "generated")),
                     json_array_size(json_object_get(c, "generated_ids")));
    expect_close(json_object_get(out, "cross_attentions"), json_object_get(c, "cross_attentions"),
                 1e-4, "cross_attentions after generation");
    json_decref(out);
    ats_cli_result_free(&r);
    json_decref(c);
}

/* The (L, H, rows, cols) shape in an NPY header at p. */
static void npy_shape(const unsigned char *p, int shape[4]) {
    assert_memory_equal(p, "\x93NUMPY\x01\x00", 8);
    char header[200] = {0};
    size_t hl = p[8] | (size_t)p[9] << 8;
    memcpy(header, p + 10, hl < 199 ? hl : 199);
    const char *s = strstr(header, "'shape': (");
    assert_non_null(s);
    assert_int_equal(
        sscanf(s, "'shape': (%d, %d, %d, %d)", &shape[0], &shape[1], &shape[2], &shape[3]), 4);
}

static void test_cli_t5_dump_npz_and_csv(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, T5);
    char *tmp = ats_make_temp_dir(), path[4200];
    snprintf(path, sizeof path, "%s/t5.npz", tmp);
    const char *args[] = {"dump",     "--model",  dir,   "--text", "Hello world", "--target",
                          "Hi there", "--format", "npy", "-o",     path,          NULL};
    ats_cli_result r = run(args, 0);
    ats_cli_result_free(&r);
    size_t len;
    unsigned char *zip = (unsigned char *)ats_read_file(path, &len);
    assert_non_null(zip);
    /* three stored entries, in order, each a local header (30 bytes + name) then an NPY */
    static const char *const names[] = {"attentions.npy", "decoder_attentions.npy",
                                        "cross_attentions.npy"};
    /* Te = 5 (" He", "ll", "o", " world", "</s>"), Td = 4 (<pad>, " H", "i", " there") */
    static const int shapes[3][4] = {{2, 4, 5, 5}, {3, 4, 4, 4}, {3, 4, 4, 5}};
    size_t at = 0;
    for (int k = 0; k < 3; k++) {
        assert_memory_equal(zip + at, "PK\x03\x04", 4);
        size_t name_len = zip[at + 26] | (size_t)zip[at + 27] << 8;
        size_t size = zip[at + 22] | (size_t)zip[at + 23] << 8 | (size_t)zip[at + 24] << 16;
        assert_int_equal(name_len, strlen(names[k]));
        assert_memory_equal(zip + at + 30, names[k], name_len);
        int shape[4];
        npy_shape(zip + at + 30 + name_len, shape);
        assert_memory_equal(shape, shapes[k], sizeof shape);
        at += 30 + name_len + size;
    }
    assert_memory_equal(zip + at, "PK\x01\x02", 4); /* the central directory follows */
    free(zip);
    /* one kind alone is a plain NPY; CSV of cross-attention: decoder rows, encoder columns */
    const char *one[] = {"dump",     "--model",  dir,   "--text",      "Hello world", "--target",
                         "Hi there", "--format", "csv", "--attention", "cross",       NULL};
    r = run(one, 0);
    assert_int_equal(ats_count_lines(r.out), 5); /* header + 4 decoder tokens */
    assert_non_null(strstr(r.out, "query\\key,\" He\",ll,o,\" world\",</s>"));
    assert_non_null(strstr(r.out, "<pad>,"));
    ats_cli_result_free(&r);
    ats_rmtree(tmp);
    free(tmp);
}

static void test_cli_t5_info_and_export(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, T5);
    const char *info[] = {"info", "--model", dir, NULL};
    ats_cli_result r = run(info, 0);
    assert_non_null(strstr(r.out, "encoder 2 layers, decoder 3 layers"));
    assert_non_null(strstr(r.out, "not divided by sqrt(d_head)"));
    ats_cli_result_free(&r);
    const char *json[] = {"info", "--model", dir, "--json", NULL};
    r = run(json, 0);
    json_t *out = ats_parse_json(r.out);
    assert_int_equal(json_integer_value(json_object_get(out, "n_decoder_layer")), 3);
    assert_string_equal(json_string_value(json_object_get(out, "arch")), "t5");
    json_decref(out);
    ats_cli_result_free(&r);
    char *tmp = ats_make_temp_dir(), path[4200];
    static const char *const kinds[] = {"encoder", "decoder", "cross"};
    for (int k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s.svg", tmp, kinds[k]);
        const char *args[] = {"export",   "--model",  dir,           "--text", "The cat sat.",
                              "--target", "Le chat.", "--attention", kinds[k], "--view",
                              "heatmap",  "-o",       path,          NULL};
        r = run(args, 0);
        ats_cli_result_free(&r);
        char *svg = ats_read_file(path, NULL);
        assert_non_null(svg);
        assert_non_null(strstr(svg, kinds[k])); /* the title names the kind */
        if (k == 2)
            assert_non_null(strstr(svg, "key (encoder)"));
        free(svg);
    }
    ats_rmtree(tmp);
    free(tmp);
}

static void test_cli_t5_errors(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, T5);
    ATS_REQUIRE_SHARED(gpt2, "fixtures/hf/tiny-random-gpt2");
    const char *target[] = {"dump", "--model", gpt2, "--text", "Hi", "--target", "x", NULL};
    ats_cli_result r = run(target, 2);
    assert_non_null(strstr(r.err, "encoder-decoder"));
    ats_cli_result_free(&r);
    const char *cross[] = {"dump",        "--model", gpt2,       "--text", "Hi",
                           "--attention", "cross",   "--format", "csv",    NULL};
    r = run(cross, 2);
    assert_non_null(strstr(r.err, "encoder-decoder"));
    ats_cli_result_free(&r);
    const char *layer[] = {"export",  "--model", dir, "--text", "Hi",        "--attention",
                           "encoder", "--layer", "2", "-o",     "/dev/null", NULL};
    r = run(layer, 2);
    assert_non_null(strstr(r.err, "2 layers"));
    ats_cli_result_free(&r);
    const char *kind[] = {"dump", "--model", dir, "--text", "Hi", "--attention", "both", NULL};
    r = run(kind, 2);
    assert_non_null(strstr(r.err, "encoder, decoder or cross"));
    ats_cli_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_t5_tokenize),
        cmocka_unit_test(test_cli_t5_dump_target),
        cmocka_unit_test(test_cli_t5_dump_generates),
        cmocka_unit_test(test_cli_t5_dump_npz_and_csv),
        cmocka_unit_test(test_cli_t5_info_and_export),
        cmocka_unit_test(test_cli_t5_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
