/* Every fixture model, through every format it comes in, against ../shared/reference/models:
 * attentions within 1e-4, logits (all of them, or the top 50) within 1e-3, the argmax at every
 * position (logits of all positions from the final hidden states and the LM head), BERT's final
 * hidden states within 1e-3. Runs go through ats_run_ids with the reference ids, so they do not
 * depend on the tokenizers; separate checks make sure the model's own tokenizer gives those ids,
 * through the engine and through `attnscope dump`. */
#include "test_support.h"

#include "attnscope/engine.h"
#include "model.h"
#include "ops.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double ATTN_TOL = 1e-4;
static const double LOGIT_TOL = 1e-3;

typedef struct fixture {
    const char *model;     /* under ../shared/fixtures */
    const char *tokenizer; /* llama2.c: its tokenizer.bin, else NULL */
    const char *reference; /* under ../shared/reference/models */
    const char *arch;
    const char *dtype;
} fixture;

static const fixture FIXTURES[] = {
    {"hf/tiny-random-gpt2", NULL, "tiny-random-gpt2.json", "gpt2", "F32"},
    {"hf/tiny-random-bert", NULL, "tiny-random-bert.json", "bert", "F32"},
    {"hf/bert-tiniest", NULL, "bert-tiniest.json", "bert", "F32"},
    {"llama2c/stories260K.bin", "llama2c/tok512.bin", "stories260K.json", "llama", "F32"},
    {"gguf/stories260K.gguf", NULL, "stories260K.json", "llama", "F32"},
    {"hf/stories260K-llama", NULL, "stories260K.json", "llama", "F32"},
    {"gguf/stories260K-q8_0.gguf", NULL, "stories260K-q8_0.json", "llama", "Q8_0+F32"},
    {"gguf/stories260K-q4_0.gguf", NULL, "stories260K-q4_0.json", "llama", "Q4_0+F32"},
    {"gguf/llama-2-tiny-random.gguf", NULL, "llama-2-tiny-random.json", "llama", "F16+F32"},
};

static char *shared_path(const char *dir, const char *rel) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", dir, rel);
    const char *p = ats_test_shared(buf);
    return p ? strdup(p) : NULL;
}

static float *flatten_all(const json_t *array, size_t expect, const char *what) {
    float *out = calloc(expect ? expect : 1, sizeof *out);
    assert_non_null(out);
    size_t n = ats_json_flatten(array, out, expect);
    if (n != expect)
        fail_msg("%s: reference holds %zu numbers, the run %zu", what, n, expect);
    return out;
}

/* Logits of every position: the LM head over the final hidden states (T, D) -> (T, V). */
static float *all_logits(const ats_model *m, const float *hidden, int T) {
    float *logits = malloc((size_t)T * m->cfg.vocab_size * sizeof *logits);
    assert_non_null(logits);
    ats_linear_apply(&m->lm_head, hidden, T, logits);
    return logits;
}

static void check_argmax(const ats_model *m, const ats_run *run, const json_t *expected,
                         const char *what) {
    int T = ats_run_n_tokens(run), V = m->cfg.vocab_size;
    assert_int_equal(json_array_size(expected), (size_t)T);
    float *logits = all_logits(m, ats_run_hidden(run), T);
    for (int t = 0; t < T; t++) {
        const float *row = logits + (size_t)t * V;
        int best = 0;
        for (int v = 1; v < V; v++)
            if (row[v] > row[best])
                best = v;
        int want = (int)json_integer_value(json_array_get(expected, (size_t)t));
        /* Random models can have near ties: the reference's pick must be as good within 1e-3. */
        if (best != want && !(row[want] >= row[best] - LOGIT_TOL))
            fail_msg("%s: argmax at position %d is %d (%g), reference %d (%g)", what, t, best,
                     (double)row[best], want, (double)row[want]);
    }
    /* The last row must agree with the logits the run itself computed. */
    ats_assert_close(logits + (size_t)(T - 1) * V, ats_run_logits_last(run), (size_t)V, 1e-5,
                     "all-position logits vs logits_last");
    free(logits);
}

static void check_top(const float *logits, const json_t *top, const char *what) {
    size_t i;
    const json_t *pair;
    json_array_foreach(top, i, pair) {
        int id = (int)json_integer_value(json_array_get(pair, 0));
        double want = json_number_value(json_array_get(pair, 1));
        if (fabs((double)logits[id] - want) > LOGIT_TOL)
            fail_msg("%s: logit of token %d is %.7g, reference %.7g", what, id, (double)logits[id],
                     want);
    }
}

static void check_top_json(const json_t *logits, const json_t *top, const char *what) {
    size_t n = ats_json_flatten(logits, NULL, 0); /* nested or flat */
    float *values = calloc(n + 1, sizeof *values);
    assert_int_equal(ats_json_flatten(logits, values, n), n);
    check_top(values, top, what);
    free(values);
}

/* The model's own tokenizer must give the reference ids. */
static void check_tokens(const ats_model *m, const char *text, const int32_t *ids, int n,
                         const char *what) {
    ats_tokenize_opts topts = {.add_special = true};
    ats_tokens *tokens = NULL;
    ats_error err;
    ats_status s = ats_tokenize(m, text, strlen(text), &topts, &tokens, &err);
    if (s != ATS_OK)
        fail_msg("%s: tokenize failed: %s", what, err.message);
    assert_int_equal(ats_tokens_count(tokens), n);
    for (int i = 0; i < n; i++)
        if (ats_tokens_get(tokens, i)->id != ids[i])
            fail_msg("%s: token %d is %d, reference %d", what, i, ats_tokens_get(tokens, i)->id,
                     ids[i]);
    ats_tokens_free(tokens);
}

static void check_case(const ats_model *m, const json_t *c, const char *name, int index) {
    const ats_model_config *cfg = ats_model_get_config(m);
    char what[256];
    snprintf(what, sizeof what, "%s case %d", name, index);
    int n;
    int32_t *ids = ats_json_ids(json_object_get(c, "ids"), &n);
    check_tokens(m, json_string_value(json_object_get(c, "text")), ids, n, what);

    ats_run_opts ro = ats_run_opts_default();
    ro.want_hidden = true;
    ro.want_logits = m->lm_head.w != NULL;
    ats_run *run = NULL;
    ats_error err;
    if (ats_run_ids(m, ids, n, &ro, &run, &err) != ATS_OK)
        fail_msg("%s: run failed: %s", what, err.message);
    assert_int_equal(ats_run_n_tokens(run), n);
    size_t T = (size_t)n;

    size_t n_attn = (size_t)cfg->n_layer * cfg->n_head * T * T;
    float *attn = flatten_all(json_object_get(c, "attentions"), n_attn, what);
    char label[300];
    snprintf(label, sizeof label, "%s attentions", what);
    ats_assert_close(ats_run_attentions(run), attn, n_attn, ATTN_TOL, label);
    free(attn);

    const json_t *logits = json_object_get(c, "logits_last");
    const json_t *top = json_object_get(c, "logits_last_top");
    const json_t *argmax = json_object_get(c, "argmax_per_position");
    const json_t *hidden = json_object_get(c, "hidden_last_layer");
    if (logits) {
        float *want = flatten_all(logits, (size_t)cfg->vocab_size, what);
        snprintf(label, sizeof label, "%s logits_last", what);
        ats_assert_close(ats_run_logits_last(run), want, (size_t)cfg->vocab_size, LOGIT_TOL, label);
        free(want);
    }
    if (top)
        check_top(ats_run_logits_last(run), top, what);
    if (argmax)
        check_argmax(m, run, argmax, what);
    if (hidden) {
        size_t n_hidden = T * (size_t)cfg->d_model;
        float *want = flatten_all(hidden, n_hidden, what);
        snprintf(label, sizeof label, "%s hidden_last_layer", what);
        ats_assert_close(ats_run_hidden(run), want, n_hidden, LOGIT_TOL, label);
        free(want);
    }
    assert_true(logits || top || hidden);
    ats_run_free(run);
    free(ids);
}

/* The first case through `attnscope dump` as a user runs it: the text, the model's own
 * tokenizer, --logits (or --hidden for BERT). Skipped while the tokenizer is pending. */
static void check_cli(const char *model, const char *tokenizer, const json_t *c, const char *name) {
    bool bert = json_object_get(c, "hidden_last_layer") != NULL;
    const char *args[10] = {"dump",
                            "--model",
                            model,
                            "--text",
                            json_string_value(json_object_get(c, "text")),
                            bert ? "--hidden" : "--logits"};
    int n = 6;
    if (tokenizer) {
        args[n++] = "--tokenizer";
        args[n++] = tokenizer;
    }
    args[n] = NULL;
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    if (r.exit_code != 0)
        fail_msg("%s: dump exited %d: %s", name, r.exit_code, r.err);
    json_t *out = ats_parse_json(r.out);
    const json_t *tokens = json_object_get(out, "tokens");
    const json_t *ids = json_object_get(c, "ids");
    assert_int_equal(json_array_size(tokens), json_array_size(ids));
    size_t i;
    const json_t *t;
    json_array_foreach(tokens, i, t) {
        assert_int_equal(json_integer_value(json_object_get(t, "id")),
                         json_integer_value(json_array_get(ids, i)));
    }
    static const char *const keys[] = {"attentions", "logits_last", "hidden_last_layer"};
    for (size_t k = 0; k < 3; k++) {
        const json_t *want = json_object_get(c, keys[k]);
        if (!want)
            continue;
        size_t count = ats_json_flatten(want, NULL, 0);
        float *a = calloc(count + 1, sizeof *a), *b = calloc(count + 1, sizeof *b);
        assert_int_equal(ats_json_flatten(json_object_get(out, keys[k]), a, count), count);
        ats_json_flatten(want, b, count);
        char label[256];
        snprintf(label, sizeof label, "%s: dump %s", name, keys[k]);
        ats_assert_close(a, b, count, k == 0 ? ATTN_TOL : LOGIT_TOL, label);
        free(a);
        free(b);
    }
    if (json_object_get(c, "logits_last_top"))
        check_top_json(json_object_get(out, "logits_last"), json_object_get(c, "logits_last_top"),
                       name);
    json_decref(out);
    ats_cli_result_free(&r);
}

static void check_fixture(const fixture *f) {
    char *model_path = shared_path("fixtures", f->model);
    char *ref_path = shared_path("reference/models", f->reference);
    if (!model_path || !ref_path) {
        free(model_path);
        free(ref_path);
        print_message("skipped: ../shared/fixtures/%s or its reference is absent\n", f->model);
        skip();
    }
    char *tok_path = f->tokenizer ? shared_path("fixtures", f->tokenizer) : NULL;
    ats_load_opts lo = ats_load_opts_default();
    lo.tokenizer_path = tok_path;
    ats_model *m = NULL;
    ats_error err;
    if (ats_model_load(model_path, &lo, &m, &err) != ATS_OK)
        fail_msg("%s: load failed: %s", f->model, err.message);
    const ats_model_info *info = ats_model_get_info(m);
    assert_true(info->has_weights);
    assert_string_equal(info->dtype, f->dtype);
    assert_true(info->file_size > 0 && info->n_params > 0);
    assert_true(info->tokenizer_kind[0] != '\0');

    json_t *ref = ats_load_json_file(ref_path);
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(ref, "cases"), i, c) check_case(m, c, f->model, (int)i);
    check_cli(model_path, tok_path, json_array_get(json_object_get(ref, "cases"), 0), f->model);
    json_decref(ref);
    ats_model_free(m);
    free(model_path);
    free(ref_path);
    free(tok_path);
}

static void test_models_reference_gpt2_hf(void **state) {
    (void)state;
    check_fixture(&FIXTURES[0]);
}
static void test_models_reference_bert_hf(void **state) {
    (void)state;
    check_fixture(&FIXTURES[1]);
}
static void test_models_reference_bert_tiniest_hf(void **state) {
    (void)state;
    check_fixture(&FIXTURES[2]);
}
static void test_models_reference_stories_llama2c(void **state) {
    (void)state;
    check_fixture(&FIXTURES[3]);
}
static void test_models_reference_stories_gguf(void **state) {
    (void)state;
    check_fixture(&FIXTURES[4]);
}
static void test_models_reference_stories_hf(void **state) {
    (void)state;
    check_fixture(&FIXTURES[5]);
}
static void test_models_reference_stories_q8_0(void **state) {
    (void)state;
    check_fixture(&FIXTURES[6]);
}
static void test_models_reference_stories_q4_0(void **state) {
    (void)state;
    check_fixture(&FIXTURES[7]);
}
static void test_models_reference_llama2_tiny_f16(void **state) {
    (void)state;
    check_fixture(&FIXTURES[8]);
}

/* ---- T5 (encoder-decoder) ----------------------------------------------------------------- */

typedef struct t5_fixture {
    const char *model; /* under ../shared/fixtures */
    const char *reference;
} t5_fixture;

static const t5_fixture T5_FIXTURES[] = {
    {"hf/t5-tiny-random", "t5-tiny-random.json"},
    {"hf/t5-v1_1-tiny-random", "t5-v1_1-tiny-random.json"},
};

static void check_flat(const float *got, const json_t *want, size_t n, double tol, const char *what,
                       const char *key) {
    float *ref = flatten_all(want, n, what);
    char label[400];
    snprintf(label, sizeof label, "%s %s", what, key);
    ats_assert_close(got, ref, n, tol, label);
    free(ref);
}

/* The three kinds of attention of a decoder's run against a case. */
static void check_t5_attentions(const ats_model *m, const ats_run *dec, const json_t *c,
                                const char *what) {
    const ats_model_config *ec = ats_model_get_config(m), *dc = ats_model_get_decoder_config(m);
    const ats_run *enc = ats_run_encoder(dec);
    size_t Te = (size_t)ats_run_n_tokens(enc), Td = (size_t)ats_run_n_tokens(dec);
    check_flat(ats_run_attentions(enc), json_object_get(c, "attentions"),
               (size_t)ec->n_layer * ec->n_head * Te * Te, ATTN_TOL, what, "attentions");
    check_flat(ats_run_attentions(dec), json_object_get(c, "decoder_attentions"),
               (size_t)dc->n_layer * dc->n_head * Td * Td, ATTN_TOL, what, "decoder_attentions");
    check_flat(ats_run_cross_attentions(dec), json_object_get(c, "cross_attentions"),
               (size_t)dc->n_layer * dc->n_head * Td * Te, ATTN_TOL, what, "cross_attentions");
}

/* A case with a target, on the reference ids: the three attentions, the last logits, and the
 * argmax at every position (all logits from the final decoder states). */
static void check_t5_target_case(const ats_model *m, const json_t *c, const char *what) {
    int ne, nd;
    int32_t *enc_ids = ats_json_ids(json_object_get(c, "ids"), &ne);
    int32_t *dec_ids = ats_json_ids(json_object_get(c, "decoder_ids"), &nd);
    ats_run_opts ro = ats_run_opts_default();
    ro.want_logits = true;
    ro.want_hidden = true;
    ats_run *dec = NULL;
    ats_error err;
    if (ats_run_seq2seq_ids(m, enc_ids, ne, dec_ids, nd, &ro, &dec, &err) != ATS_OK)
        fail_msg("%s: run failed: %s", what, err.message);
    assert_int_equal(ats_run_n_tokens(dec), nd);
    assert_int_equal(ats_run_n_tokens(ats_run_encoder(dec)), ne);
    check_t5_attentions(m, dec, c, what);
    const ats_model *d = m->decoder;
    check_flat(ats_run_logits_last(dec), json_object_get(c, "logits_last"),
               (size_t)d->cfg.vocab_size, LOGIT_TOL, what, "logits_last");
    /* argmax per position: the scaled final decoder states through the head */
    float *hidden = malloc((size_t)nd * d->cfg.d_model * sizeof *hidden);
    assert_non_null(hidden);
    for (size_t i = 0; i < (size_t)nd * d->cfg.d_model; i++)
        hidden[i] = ats_run_hidden(dec)[i] * d->logit_scale;
    float *logits = all_logits(d, hidden, nd);
    const json_t *argmax = json_object_get(c, "argmax_per_position");
    for (int t = 0; t < nd; t++) {
        const float *row = logits + (size_t)t * d->cfg.vocab_size;
        int want = (int)json_integer_value(json_array_get(argmax, (size_t)t)), best = 0;
        for (int v = 1; v < d->cfg.vocab_size; v++)
            best = row[v] > row[best] ? v : best;
        if (best != want && !(row[want] >= row[best] - LOGIT_TOL))
            fail_msg("%s: argmax at decoder position %d is %d, reference %d", what, t, best, want);
    }
    free(logits);
    free(hidden);
    ats_run_free(dec);
    free(enc_ids);
    free(dec_ids);
}

/* Every case through the text API: the model's tokenizer must give the encoder ids and the
 * target's ids; without a target, greedy generation must give the generated ids. */
static void check_t5_text_case(const ats_model *m, const json_t *c, const char *what) {
    const char *text = json_string_value(json_object_get(c, "text"));
    const char *target = json_string_value(json_object_get(c, "target"));
    ats_run_opts ro = ats_run_opts_default();
    if (json_object_get(c, "max_new"))
        ro.max_new = (int)json_integer_value(json_object_get(c, "max_new"));
    ats_run *dec = NULL;
    ats_error err;
    if (ats_run_seq2seq(m, text, strlen(text), target, target ? strlen(target) : 0, &ro, &dec,
                        &err) != ATS_OK)
        fail_msg("%s: seq2seq failed: %s", what, err.message);
    int ne, nd;
    int32_t *enc_ids = ats_json_ids(json_object_get(c, "ids"), &ne);
    int32_t *dec_ids = ats_json_ids(json_object_get(c, "decoder_ids"), &nd);
    const ats_tokens *et = ats_run_get_tokens(ats_run_encoder(dec));
    const ats_tokens *dt = ats_run_get_tokens(dec);
    assert_int_equal(ats_tokens_count(et), ne);
    for (int i = 0; i < ne; i++)
        if (ats_tokens_get(et, i)->id != enc_ids[i])
            fail_msg("%s: encoder token %d is %d, reference %d", what, i, ats_tokens_get(et, i)->id,
                     enc_ids[i]);
    if (ats_tokens_count(dt) != nd)
        fail_msg("%s: %d decoder tokens, reference %d", what, ats_tokens_count(dt), nd);
    for (int i = 0; i < nd; i++)
        if (ats_tokens_get(dt, i)->id != dec_ids[i])
            fail_msg("%s: decoder token %d is %d, reference %d", what, i, ats_tokens_get(dt, i)->id,
                     dec_ids[i]);
    assert_int_equal(ats_run_generated_tokens(dec), target ? 0 : nd - 1);
    check_t5_attentions(m, dec, c, what);
    ats_run_free(dec);
    free(enc_ids);
    free(dec_ids);
}

static void check_t5_model(const char *model_path, const char *ref_path, const char *name) {
    ats_model *m = NULL;
    ats_error err;
    if (ats_model_load(model_path, NULL, &m, &err) != ATS_OK)
        fail_msg("%s: load failed: %s", name, err.message);
    assert_string_equal(ats_arch_name(ats_model_get_config(m)->arch), "t5");
    assert_non_null(ats_model_get_decoder_config(m));
    json_t *ref = ats_load_json_file(ref_path);
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(ref, "cases"), i, c) {
        char what[300];
        snprintf(what, sizeof what, "%s case %zu", name, i);
        if (json_object_get(c, "target"))
            check_t5_target_case(m, c, what);
        check_t5_text_case(m, c, what);
    }
    json_decref(ref);
    ats_model_free(m);
}

static void check_t5_fixture(const t5_fixture *f, bool as_gguf) {
    char *model_path = shared_path("fixtures", f->model);
    char *ref_path = shared_path("reference/models", f->reference);
    if (!model_path || !ref_path) {
        free(model_path);
        free(ref_path);
        print_message("skipped: ../shared/fixtures/%s or its reference is absent\n", f->model);
        skip();
    }
    if (!as_gguf) {
        check_t5_model(model_path, ref_path, f->model);
    } else {
        /* llama.cpp's t5 layout, written from the fixture's tensors by the test helper */
        char *dir = ats_make_temp_dir(), gguf[4200], cmd[9000];
        snprintf(gguf, sizeof gguf, "%s/t5.gguf", dir);
        snprintf(cmd, sizeof cmd, "python3 '%s/tests/tools/make_t5_files.py' gguf '%s' '%s'",
                 ATS_SOURCE_DIR, model_path, gguf);
        if (system(cmd) != 0) {
            ats_rmtree(dir);
            free(dir);
            free(model_path);
            free(ref_path);
            print_message("skipped: python3 could not write the T5 GGUF\n");
            skip();
        }
        check_t5_model(gguf, ref_path, gguf);
        ats_rmtree(dir);
        free(dir);
    }
    free(model_path);
    free(ref_path);
}

static void test_models_reference_t5_hf(void **state) {
    (void)state;
    check_t5_fixture(&T5_FIXTURES[0], false);
}
static void test_models_reference_t5_v1_1_hf(void **state) {
    (void)state;
    check_t5_fixture(&T5_FIXTURES[1], false);
}
static void test_models_reference_t5_gguf(void **state) {
    (void)state;
    check_t5_fixture(&T5_FIXTURES[0], true);
}
static void test_models_reference_t5_v1_1_gguf(void **state) {
    (void)state;
    check_t5_fixture(&T5_FIXTURES[1], true);
}

/* Every fixture each reference file names is one of the fixtures above, so a new reference
 * cannot go unchecked. */
static void test_models_reference_every_reference_covered(void **state) {
    (void)state;
    static const char *const files[] = {
        "tiny-random-gpt2.json",    "tiny-random-bert.json", "bert-tiniest.json",
        "stories260K.json",         "stories260K-q8_0.json", "stories260K-q4_0.json",
        "llama-2-tiny-random.json", "t5-tiny-random.json",   "t5-v1_1-tiny-random.json"};
    ATS_REQUIRE_SHARED(dir, "reference/models");
    int n_files = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *line = e->d_name;
        if (strlen(line) < 6 || strcmp(line + strlen(line) - 5, ".json") != 0)
            continue;
        n_files++;
        bool known = false;
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
            known = known || strcmp(files[i], line) == 0;
        if (!known)
            fail_msg("reference/models/%s is not checked by this test", line);
        char path[4700];
        snprintf(path, sizeof path, "%s/%s", dir, line);
        json_t *ref = ats_load_json_file(path);
        size_t i;
        const json_t *applies;
        json_array_foreach(json_object_get(ref, "applies_to"), i, applies) {
            const char *name = json_string_value(applies);
            bool covered = false;
            for (size_t k = 0; k < sizeof FIXTURES / sizeof FIXTURES[0]; k++)
                covered =
                    covered || (strncmp(name, FIXTURES[k].model, strlen(FIXTURES[k].model)) == 0 &&
                                strcmp(FIXTURES[k].reference, line) == 0);
            for (size_t k = 0; k < sizeof T5_FIXTURES / sizeof T5_FIXTURES[0]; k++)
                covered = covered || (strcmp(name, T5_FIXTURES[k].model) == 0 &&
                                      strcmp(T5_FIXTURES[k].reference, line) == 0);
            if (!covered)
                fail_msg("%s applies to %s, which no test runs", line, name);
        }
        json_decref(ref);
    }
    closedir(d);
    assert_int_equal(n_files, (int)(sizeof files / sizeof files[0]));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_models_reference_gpt2_hf),
        cmocka_unit_test(test_models_reference_bert_hf),
        cmocka_unit_test(test_models_reference_bert_tiniest_hf),
        cmocka_unit_test(test_models_reference_stories_llama2c),
        cmocka_unit_test(test_models_reference_stories_gguf),
        cmocka_unit_test(test_models_reference_stories_hf),
        cmocka_unit_test(test_models_reference_stories_q8_0),
        cmocka_unit_test(test_models_reference_stories_q4_0),
        cmocka_unit_test(test_models_reference_llama2_tiny_f16),
        cmocka_unit_test(test_models_reference_t5_hf),
        cmocka_unit_test(test_models_reference_t5_v1_1_hf),
        cmocka_unit_test(test_models_reference_t5_gguf),
        cmocka_unit_test(test_models_reference_t5_v1_1_gguf),
        cmocka_unit_test(test_models_reference_every_reference_covered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
