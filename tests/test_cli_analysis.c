/* `attnscope stats`, `dump --aggregate --rollout --top-k --value-weighted --ablate` and
 * `attnscope generate` on the fixture models, each checked by tests/tools/analysis_ref.py: float64
 * numbers computed from the dumped attentions (metrics, aggregates, rollout, top-k) or from the
 * model's weights by its own forward pass (ablation, value-weighted attention, generation).
 * Skips when ../shared or python3 with numpy is absent. Also the errors: one line, exit 2. */
#include "python_tools.h"
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

/* Runs the CLI with args, writing standard output to dir/name; asserts exit 0. */
static void cli_to_file(const char *const *args, const char *dir, const char *name) {
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    if (r.exit_code != 0)
        fail_msg("attnscope %s %s exited %d: %s", args[0], args[2], r.exit_code, r.err);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(r.out, 1, r.out_len, f);
    fclose(f);
    ats_cli_result_free(&r);
}

/* Runs analysis_ref.py with the given arguments (NULL-terminated); a mismatch fails the test
 * with the script's one line on standard output. */
#define CHECK(...) check((const char *[]){__VA_ARGS__, NULL})
static void check(const char **words) {
    const char *args[16] = {ATS_SOURCE_DIR "/tests/tools/analysis_ref.py"};
    for (int i = 0; words[i] && i < 14; i++)
        args[i + 1] = words[i];
    ats_run_python(args);
}

/* dir/name in a static buffer (one of four, so a call may hold a few) */
static const char *in(const char *dir, const char *name) {
    static char paths[4][1024];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 1024, "%s/%s", dir, name);
    return p;
}

/* The path of a fixture under ../shared into out; false when it is absent. */
static bool shared_copy(const char *rel, char *out, size_t size) {
    const char *path = ats_test_shared(rel);
    if (path)
        snprintf(out, size, "%s", path);
    return path != NULL;
}

typedef struct fixture {
    const char *rel;       /* under ../shared */
    const char *arch;      /* analysis_ref.py's forward, or NULL */
    const char *ref_model; /* the file that forward reads (same weights), under ../shared */
    const char *text;
} fixture;

static const fixture FIXTURES[] = {
    {"fixtures/hf/tiny-random-gpt2", "gpt2", "fixtures/hf/tiny-random-gpt2",
     "The animal didn't cross the street because it was too tired"},
    {"fixtures/hf/tiny-random-bert", "bert", "fixtures/hf/tiny-random-bert",
     "the cat sat on the mat, the dog did not"},
    {"fixtures/llama2c/stories260K.bin", "llama2c", "fixtures/llama2c/stories260K.bin",
     "Once upon a time, there was a little dog"},
    {"fixtures/gguf/stories260K.gguf", "llama2c", "fixtures/llama2c/stories260K.bin",
     "Lily liked to play in the park"},
    {"fixtures/hf/stories260K-llama", "llama2c", "fixtures/llama2c/stories260K.bin",
     "The sun was warm and the sky was blue"},
};
#define N_FIXTURES (sizeof FIXTURES / sizeof FIXTURES[0])

static bool has_lm_head(const fixture *f) {
    return strcmp(f->arch, "bert") != 0;
}

/* stats against the metrics of a dump's attentions, on every fixture (and T5's encoder). */
static void test_cli_analysis_stats(void **state) {
    (void)state;
    ats_require_numpy();
    ATS_REQUIRE_SHARED(t5, "fixtures/hf/t5-tiny-random");
    char *dir = ats_make_temp_dir();
    for (size_t i = 0; i <= N_FIXTURES; i++) {
        const char *rel = i < N_FIXTURES ? FIXTURES[i].rel : "fixtures/hf/t5-tiny-random";
        const char *text = i < N_FIXTURES ? FIXTURES[i].text : "Hello world, a short text";
        const char *model = ats_test_shared(rel);
        char m[1024];
        snprintf(m, sizeof m, "%s", model);
        const char *s[] = {"stats", "--model", m, "--text", text, "--json", NULL};
        cli_to_file(s, dir, "stats.json");
        const char *d[] = {"dump", "--model", m, "--text", text, NULL};
        if (i < N_FIXTURES) {
            cli_to_file(d, dir, "dump.json");
        } else { /* T5: stats measures the encoder, whose run ats_run_text makes alone */
            const char *d5[] = {"dump", "--model", m, "--text", text, "--max-new", "1", NULL};
            cli_to_file(d5, dir, "dump.json");
        }
        CHECK("stats", in(dir, "stats.json"), in(dir, "dump.json"));
    }
    (void)t5;
    ats_rmtree(dir);
    free(dir);
}

/* --sort orders the table by a column, largest first; layer-major without it. */
static void test_cli_analysis_stats_table_sorted(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(m, "fixtures/hf/tiny-random-gpt2");
    const char *args[] = {"stats", "--model", m, "--text", "a b c d e f", "--sort", "self", NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(ats_count_lines(r.out), 1 + 5 * 4);
    assert_non_null(strstr(r.out, "prev_token"));
    double prev = 1e9;
    const char *line = strchr(r.out, '\n') + 1;
    for (int k = 0; k < 20; k++) {
        double v[8];
        int layer, head;
        assert_int_equal(sscanf(line, "%d %d %lf %lf %lf %lf %lf %lf", &layer, &head, &v[0], &v[1],
                                &v[2], &v[3], &v[4], &v[5]),
                         8);
        assert_true(v[3] <= prev); /* self, the fourth metric */
        prev = v[3];
        line = strchr(line, '\n') + 1;
    }
    ats_cli_result_free(&r);
}

/* --aggregate, --rollout and --top-k from the dump's own attentions and logits. */
static void test_cli_analysis_aggregate_rollout_top_k(void **state) {
    (void)state;
    ats_require_numpy();
    char *dir = ats_make_temp_dir();
    for (size_t i = 0; i < N_FIXTURES; i++) {
        const char *model = ats_test_shared(FIXTURES[i].rel);
        if (!model)
            skip();
        char m[1024];
        snprintf(m, sizeof m, "%s", model);
        bool lm = has_lm_head(&FIXTURES[i]);
        const char *args[] = {"dump",
                              "--model",
                              m,
                              "--text",
                              FIXTURES[i].text,
                              "--aggregate",
                              "--rollout",
                              lm ? "--top-k" : NULL,
                              "7",
                              "--logits",
                              NULL};
        cli_to_file(args, dir, "dump.json");
        CHECK("aggregate", in(dir, "dump.json"));
        if (lm)
            CHECK("topk", in(dir, "dump.json"), "7");
    }
    ats_rmtree(dir);
    free(dir);
}

/* T5: the aggregates and rollout of the encoder's self-attention ("attentions"), and the top-k
 * of the next target token from "logits_last"; the most probable one is the float64 reference's
 * argmax at the last decoder position (741 on t5-tiny-random for its case). */
static void test_cli_analysis_t5_encoder_aggregates_and_top_k(void **state) {
    (void)state;
    ats_require_numpy();
    ATS_REQUIRE_SHARED(t5, "fixtures/hf/t5-tiny-random");
    char *dir = ats_make_temp_dir();
    const char *args[] = {"dump",
                          "--model",
                          t5,
                          "--text",
                          "Once upon a time, Lily saw a big red ball.",
                          "--target",
                          "Tom and Mia went to the store to buy some milk and bread.",
                          "--aggregate",
                          "--rollout",
                          "--top-k",
                          "5",
                          "--logits",
                          NULL};
    cli_to_file(args, dir, "t5.json");
    CHECK("aggregate", in(dir, "t5.json"));
    CHECK("topk", in(dir, "t5.json"), "5");
    size_t len = 0;
    char *json = ats_read_file(in(dir, "t5.json"), &len);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"top_k\": [{\"id\": 741,"));
    free(json);
    ats_rmtree(dir);
    free(dir);
}

/* Ablated heads and value-weighted attention against each model's float64 forward pass: every
 * attention (later layers change), the logits, and A_ij ||v_j W_O^h||, under grouped-query
 * attention (stories260K: 8 heads on 4 K/V heads) in all three of its files. */
static void test_cli_analysis_ablation_value_weighted(void **state) {
    (void)state;
    ats_require_numpy();
    char *dir = ats_make_temp_dir();
    const char *ablations[] = {NULL, "0:1,2:3", "1:0"};
    for (size_t i = 0; i < N_FIXTURES; i++) {
        char m[1024], r[1024]; /* each path copied at once: ats_test_shared reuses its buffer */
        if (!shared_copy(FIXTURES[i].rel, m, sizeof m) ||
            !shared_copy(FIXTURES[i].ref_model, r, sizeof r))
            skip();
        for (int a = 0; a < 3; a++) {
            const char *args[12] = {"dump",   "--model",        m,
                                    "--text", FIXTURES[i].text, "--value-weighted"};
            int n = 6;
            if (has_lm_head(&FIXTURES[i]))
                args[n++] = "--logits";
            if (ablations[a]) {
                args[n++] = "--ablate";
                args[n++] = ablations[a];
            }
            args[n] = NULL;
            cli_to_file(args, dir, "dump.json");
            CHECK("forward", FIXTURES[i].arch, r, in(dir, "dump.json"));
        }
        /* one layer and head: the selection applies to value_weighted too */
        const char *one[] = {
            "dump",    "--model", m,        "--text", FIXTURES[i].text, "--value-weighted",
            "--layer", "1",       "--head", "2",      "--ablate",       "0:0",
            NULL};
        cli_to_file(one, dir, "dump.json");
        CHECK("forward", FIXTURES[i].arch, r, in(dir, "dump.json"));
    }
    ats_rmtree(dir);
    free(dir);
}

/* Greedy generation: each token is the float64 model's most probable after the tokens before it,
 * with its probability and its attention row; sampling stays inside the nucleus, and a seed
 * repeats its tokens. */
static void test_cli_analysis_generate(void **state) {
    (void)state;
    ats_require_numpy();
    char *dir = ats_make_temp_dir();
    for (size_t i = 0; i < N_FIXTURES; i++) {
        if (!has_lm_head(&FIXTURES[i]))
            continue;
        char m[1024], r[1024]; /* each path copied at once: ats_test_shared reuses its buffer */
        if (!shared_copy(FIXTURES[i].rel, m, sizeof m) ||
            !shared_copy(FIXTURES[i].ref_model, r, sizeof r))
            skip();
        const char *g[] = {"generate", "--model", m,        "--text", FIXTURES[i].text,
                           "--tokens", "6",       "--json", NULL};
        cli_to_file(g, dir, "gen.json");
        CHECK("generate", FIXTURES[i].arch, r, in(dir, "gen.json"));
        const char *s[] = {"generate",       "--model",  m,         "--text",
                           FIXTURES[i].text, "--tokens", "5",       "--json",
                           "--temperature",  "0.8",      "--top-p", "0.6",
                           "--seed",         "11",       NULL};
        cli_to_file(s, dir, "sampled.json");
        CHECK("generate", FIXTURES[i].arch, r, in(dir, "sampled.json"), "--top-p", "0.6",
              "--temperature", "0.8");
        cli_to_file(s, dir, "again.json");
        char *a = NULL, *b = NULL, pa[1024], pb[1024];
        snprintf(pa, sizeof pa, "%s/sampled.json", dir);
        snprintf(pb, sizeof pb, "%s/again.json", dir);
        a = ats_read_file(pa, NULL);
        b = ats_read_file(pb, NULL);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    ats_rmtree(dir);
    free(dir);
}

/* The generated text is the prompt then the pieces; the JSON has exactly the contract's keys. */
static void test_cli_analysis_generate_json_shape(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(m, "fixtures/llama2c/stories260K.bin");
    const char *args[] = {"generate", "--model", m,        "--text", "Once upon a time",
                          "--tokens", "4",       "--json", NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    json_t *j = ats_parse_json(r.out);
    assert_int_equal(json_object_size(j), 3);
    json_t *gen = json_object_get(j, "generated"), *prompt = json_object_get(j, "prompt_tokens");
    assert_int_equal(json_array_size(gen), 4);
    size_t T0 = json_array_size(prompt);
    assert_int_equal(T0, 5); /* <s> Once upon a time */
    const char *text = json_string_value(json_object_get(j, "text"));
    assert_true(strncmp(text, "Once upon a time", 16) == 0);
    size_t at = 16;
    for (size_t g = 0; g < 4; g++) {
        json_t *t = json_array_get(gen, g);
        assert_int_equal(json_object_size(t), 4);
        const char *piece = json_string_value(json_object_get(t, "piece"));
        assert_true(strncmp(text + at, piece, strlen(piece)) == 0);
        at += strlen(piece);
        json_t *att = json_object_get(t, "attentions");
        assert_int_equal(json_array_size(att), 5);                    /* layers */
        assert_int_equal(json_array_size(json_array_get(att, 0)), 8); /* heads */
        assert_int_equal(json_array_size(json_array_get(json_array_get(att, 0), 0)), T0 + g + 1);
    }
    assert_int_equal(strlen(text), at);
    json_decref(j);
    ats_cli_result_free(&r);
}

static void expect_usage_error(const char *const *args, const char *needle) {
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    assert_int_equal(r.exit_code, 2);
    assert_int_equal(ats_count_lines(r.err), 1);
    if (!strstr(r.err, needle))
        fail_msg("expected '%s' in: %s", needle, r.err);
    assert_int_equal(r.out_len, 0);
    ats_cli_result_free(&r);
}

static void test_cli_analysis_bad_values(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(g, "fixtures/hf/tiny-random-gpt2");
    ATS_REQUIRE_SHARED(b, "fixtures/hf/tiny-random-bert");
    ATS_REQUIRE_SHARED(t5, "fixtures/hf/t5-tiny-random");
    const char *t = "a few words";
    expect_usage_error(
        (const char *const[]){"dump", "--model", g, "--text", t, "--top-k", "0", NULL}, "--top-k");
    expect_usage_error(
        (const char *const[]){"dump", "--model", g, "--text", t, "--top-k", "-3", NULL}, "--top-k");
    expect_usage_error(
        (const char *const[]){"dump", "--model", g, "--text", t, "--ablate", "0:4", NULL},
        "out of range");
    expect_usage_error(
        (const char *const[]){"dump", "--model", g, "--text", t, "--ablate", "5:0", NULL},
        "out of range");
    expect_usage_error(
        (const char *const[]){"dump", "--model", g, "--text", t, "--ablate", "1-2", NULL},
        "LAYER:HEAD");
    expect_usage_error((const char *const[]){"dump", "--model", g, "--text", t, "--rollout",
                                             "--format", "csv", NULL},
                       "JSON");
    expect_usage_error(
        (const char *const[]){"dump", "--model", b, "--text", t, "--top-k", "3", NULL},
        "language-model head");
    expect_usage_error(
        (const char *const[]){"dump", "--model", t5, "--text", t, "--value-weighted", NULL},
        "encoder-decoder");
    expect_usage_error(
        (const char *const[]){"stats", "--model", g, "--text", t, "--sort", "size", NULL},
        "--sort");
    expect_usage_error((const char *const[]){"generate", "--model", g, "--text", t, NULL},
                       "--tokens");
    expect_usage_error(
        (const char *const[]){"generate", "--model", g, "--text", t, "--tokens", "0", NULL},
        "--tokens");
    expect_usage_error((const char *const[]){"generate", "--model", g, "--text", t, "--tokens", "3",
                                             "--top-p", "1.5", NULL},
                       "--top-p");
    expect_usage_error(
        (const char *const[]){"generate", "--model", b, "--text", t, "--tokens", "3", NULL},
        "language-model head");
    expect_usage_error(
        (const char *const[]){"generate", "--model", t5, "--text", t, "--tokens", "3", NULL},
        "dump --model M --text SOURCE");
}

/* export draws the analysis views and names what they show in the file's metadata. */
static void test_cli_analysis_export_views(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(m, "fixtures/llama2c/stories260K.bin");
    char *dir = ats_make_temp_dir();
    const char *t = "Once upon a time there was a girl";
    struct {
        const char *args[8];
        const char *needles[3];
    } cases[] = {
        {{"--view", "aggregate", "--combine", "rollout", "--layer", "3", NULL},
         {"Aggregate", "rollout", "attention rollout through layer 3"}},
        {{"--view", "heatmap", "--value-weighted", "--layer", "1", NULL},
         {"Measure", "value-weighted", NULL}},
        {{"--view", "grid", "--ablate", "0:1,4:7", NULL}, {"Ablated", "0:1, 4:7", "2 ablated"}},
        {{"--view", "lines", "--value-weighted", "--ablate", "1:2", "--layer", "1"},
         {"ablated: head 2", "layer max", NULL}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char out[1024];
        snprintf(out, sizeof out, "%s/view%zu.svg", dir, k);
        const char *args[20] = {"export", "--model", m, "--text", t, "-o", out};
        int n = 7;
        for (int i = 0; i < 8 && cases[k].args[i]; i++)
            args[n++] = cases[k].args[i];
        args[n] = NULL;
        ats_cli_result r = ats_run_cli(args, NULL, 0);
        if (r.exit_code != 0)
            fail_msg("export case %zu exited %d: %s", k, r.exit_code, r.err);
        ats_cli_result_free(&r);
        char *svg = ats_read_file(out, NULL);
        assert_non_null(svg);
        for (int i = 0; i < 3 && cases[k].needles[i]; i++)
            if (!strstr(svg, cases[k].needles[i]))
                fail_msg("export case %zu: '%s' is not in the SVG", k, cases[k].needles[i]);
        free(svg);
    }
    ats_rmtree(dir);
    free(dir);
    ATS_REQUIRE_SHARED(t5, "fixtures/hf/t5-tiny-random");
    expect_usage_error((const char *const[]){"export", "--model", m, "--text", t, "--view",
                                             "aggregate", "--combine", "median", "-o", "x.png",
                                             NULL},
                       "--combine");
    expect_usage_error((const char *const[]){"export", "--model", m, "--text", t, "--combine",
                                             "max", "-o", "x.png", NULL},
                       "--view aggregate");
    expect_usage_error((const char *const[]){"export", "--model", m, "--text", t, "--view",
                                             "pipeline", "--value-weighted", "-o", "x.png", NULL},
                       "--value-weighted");
    expect_usage_error((const char *const[]){"export", "--model", t5, "--text", t,
                                             "--value-weighted", "-o", "x.png", NULL},
                       "T5");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_analysis_stats),
        cmocka_unit_test(test_cli_analysis_stats_table_sorted),
        cmocka_unit_test(test_cli_analysis_aggregate_rollout_top_k),
        cmocka_unit_test(test_cli_analysis_t5_encoder_aggregates_and_top_k),
        cmocka_unit_test(test_cli_analysis_ablation_value_weighted),
        cmocka_unit_test(test_cli_analysis_generate),
        cmocka_unit_test(test_cli_analysis_generate_json_shape),
        cmocka_unit_test(test_cli_analysis_bad_values),
        cmocka_unit_test(test_cli_analysis_export_views),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
