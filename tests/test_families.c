/* The model families as configurations of the one forward pass, against truth from outside the
 * project. For each family tests/reference/make_family.py writes a tiny random checkpoint in the
 * family's Hugging Face layout (at test time; nothing binary is committed), and
 * tests/reference/hf_reference.py computes float64 outputs the way transformers' modeling code
 * does. The engine must give the ids Hugging Face's tokenizers library gives
 * (tests/reference/tokenizers/FAMILY.jsonl), attentions within 1e-4 and the last logits (or an
 * encoder's hidden states) within 1e-3, and for the encoders with their masked-LM head (the
 * *_mlm families) the head's logits within 1e-3 and its top ids at each [MASK] / <mask> token,
 * also through `dump --top-k`; `attnscope info` must name the family and its choices,
 * and the window must show in the attention (zeros outside the band). The architectures llama.cpp
 * defines are also converted to GGUF as its converter does (tests/reference/gguf_from_hf.py)
 * and checked the same way. Skips without /usr/bin/python3 and numpy. */
#include "python_tools.h"
#include "test_support.h"

#include "attnscope/analysis.h"
#include "attnscope/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double ATTN_TOL = 1e-4;
static const double LOGIT_TOL = 1e-3;

typedef struct family {
    const char *name;   /* make_family.py's name, and tokenizers/NAME.jsonl */
    const char *arch;   /* ats_arch_name */
    const char *choice; /* a phrase info must show among the choices */
} family;

static const family FAMILIES[] = {
    {"gpt_neox", "gpt_neox", "parallel residual"},
    {"gpt_neox_sequential", "gpt_neox", "sequential residual"},
    {"phi", "phi", "parallel attention and MLP"},
    {"phi3", "phi3", "qkv_proj"},
    {"gemma", "gemma", "(1 + weight)"},
    {"gemma2", "gemma2", "attention soft-cap"},
    {"mistral", "mistral", "sliding window of 4 tokens"},
    {"qwen2", "qwen2", "biases on the query, key and value"},
    {"llama3", "llama", "rope scaling llama3"},
    {"opt", "opt", "offset 2"},
    {"opt_postnorm", "opt", "post-norm"},
    {"roberta", "roberta", "padding_idx + 1"},
    {"xlm-roberta", "roberta", "padding_idx + 1"},
    {"distilbert", "distilbert", "no token type"},
    {"qwen2_yarn", "qwen2", "rope scaling yarn"},
    {"phi3_longrope", "phi3", "rope scaling longrope"},
    {"opt_proj", "opt", "word_embed_proj_dim 16"},
    {"bert_mlm", "bert", "masked-LM head (cls.predictions.transform.dense), decoder stored"},
    {"roberta_mlm", "roberta", "masked-LM head (lm_head.dense), decoder tied"},
    {"distilbert_mlm", "distilbert", "masked-LM head (vocab_transform), decoder tied"},
};

/* Sets the keys of `patch` (a JSON object) in model/config.json. */
static void patch_config(const char *model, const char *patch) {
    char path[4300];
    snprintf(path, sizeof path, "%s/config.json", model);
    json_t *cfg = ats_load_json_file(path);
    json_t *change = ats_parse_json(patch);
    json_object_update(cfg, change);
    assert_int_equal(json_dump_file(cfg, path, JSON_INDENT(1)), 0);
    json_decref(change);
    json_decref(cfg);
}

typedef struct made {
    char *dir; /* temporary: model/ and ref.json */
    char model[4200];
    json_t *ref; /* hf_reference.py's output */
} made;

/* The family's checkpoint, its config.json changed by `patch` (JSON, or NULL), and its reference
 * outputs, made in a temporary folder. */
static made make_patched(const family *f, const char *patch) {
    ats_require_numpy();
    made m = {.dir = ats_make_temp_dir()};
    char script[4200], refscript[4200], cases[4200], ref[4200];
    snprintf(m.model, sizeof m.model, "%s/%s", m.dir, f->name);
    snprintf(script, sizeof script, "%s/tests/reference/make_family.py", ATS_SOURCE_DIR);
    snprintf(refscript, sizeof refscript, "%s/tests/reference/hf_reference.py", ATS_SOURCE_DIR);
    snprintf(cases, sizeof cases, "%s/tests/reference/tokenizers/%s.jsonl", ATS_SOURCE_DIR,
             f->name);
    snprintf(ref, sizeof ref, "%s/ref.json", m.dir);
    const char *make_args[] = {script, f->name, m.model, NULL};
    ats_run_python(make_args);
    if (patch)
        patch_config(m.model, patch);
    const char *ref_args[] = {refscript, m.model, cases, ref, NULL};
    ats_run_python(ref_args);
    m.ref = ats_load_json_file(ref);
    return m;
}

static made make(const family *f) {
    return make_patched(f, NULL);
}

static void unmake(made *m) {
    json_decref(m->ref);
    ats_rmtree(m->dir);
    free(m->dir);
}

static ats_model *load(const char *path) {
    ats_model *model = NULL;
    ats_error err;
    if (ats_model_load(path, NULL, &model, &err) != ATS_OK)
        fail_msg("%s: %s", path, err.message);
    return model;
}

static float *flatten(const json_t *array, size_t expect, const char *what) {
    float *out = calloc(expect ? expect : 1, sizeof *out);
    assert_non_null(out);
    if (ats_json_flatten(array, out, expect) != expect)
        fail_msg("%s: the reference does not hold %zu numbers", what, expect);
    return out;
}

/* The ids of the k largest of v[0..n) (the reference's float64 logits), largest first. */
static void top_ids(const double *v, int n, int k, int *out) {
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            bool taken = false;
            for (int t = 0; t < j; t++)
                taken |= out[t] == i;
            if (!taken && (best < 0 || v[i] > v[best]))
                best = i;
        }
        out[j] = best;
    }
}

/* The masked-LM head against the reference's "mlm_logits" [token][vocab]: at every mask token
 * of the case, and at token 1 (any token can be asked), logits within LOGIT_TOL, and the five
 * most probable ids at each mask token the reference's. Returns how many mask tokens the case
 * has. */
static int check_mlm(const ats_model *m, const ats_run *run, const json_t *c, const char *what) {
    const ats_model_config *cfg = ats_model_get_config(m);
    const json_t *ref = json_object_get(c, "mlm_logits");
    const json_t *ids = json_object_get(c, "ids");
    int T = ats_run_n_tokens(run), V = cfg->vocab_size;
    assert_true(ats_model_has_mlm_head(m));
    int32_t mask = ats_model_mask_token(m, NULL);
    int positions[64], n = 0, n_mask = 0;
    for (int i = 0; i < T && n < 63; i++)
        if ((int32_t)json_integer_value(json_array_get(ids, i)) == mask)
            positions[n++] = i;
    n_mask = n;
    positions[n++] = 1;
    float *got = malloc((size_t)n * V * sizeof *got);
    double *want = malloc((size_t)V * sizeof *want);
    assert_true(got && want);
    ats_error err;
    if (ats_run_mlm_logits(m, run, positions, n, got, &err) != ATS_OK)
        fail_msg("%s: %s", what, err.message);
    for (int p = 0; p < n; p++) {
        const json_t *row = json_array_get(ref, (size_t)positions[p]);
        if (json_array_size(row) != (size_t)V)
            fail_msg("%s: the reference has no %d logits at token %d", what, V, positions[p]);
        for (int v = 0; v < V; v++)
            want[v] = json_real_value(json_array_get(row, (size_t)v));
        for (int v = 0; v < V; v++)
            if (fabs((double)got[(size_t)p * V + v] - want[v]) > LOGIT_TOL)
                fail_msg("%s: masked-LM logit %d at token %d is %.6f, the reference %.6f", what, v,
                         positions[p], (double)got[(size_t)p * V + v], want[v]);
        if (p >= n_mask)
            continue;
        int want_top[5];
        ats_token_prob got_top[5];
        top_ids(want, V, 5, want_top);
        assert_int_equal(ats_top_k(got + (size_t)p * V, V, 5, got_top), 5);
        for (int k = 0; k < 5; k++)
            if (got_top[k].id != want_top[k])
                fail_msg("%s: top %d at mask token %d is id %d, the reference's %d", what, k,
                         positions[p], got_top[k].id, want_top[k]);
    }
    free(got);
    free(want);
    return n_mask;
}

/* One case: the text through the model's own tokenizer must give the reference's ids, and the
 * run's numbers must match. */
static int check_case(const ats_model *m, const json_t *c, const char *what) {
    const ats_model_config *cfg = ats_model_get_config(m);
    const char *text = json_string_value(json_object_get(c, "text"));
    const json_t *ids = json_object_get(c, "ids");
    const json_t *hidden = json_object_get(c, "hidden_last_layer");
    ats_run_opts ro = ats_run_opts_default();
    ro.want_hidden = hidden != NULL;
    ro.want_logits = hidden == NULL;
    ats_run *run = NULL;
    ats_error err;
    if (ats_run_text(m, text, strlen(text), &ro, &run, &err) != ATS_OK)
        fail_msg("%s: %s", what, err.message);
    const ats_tokens *toks = ats_run_get_tokens(run);
    int T = ats_tokens_count(toks);
    if ((size_t)T != json_array_size(ids))
        fail_msg("%s: %d tokens, Hugging Face's tokenizers give %zu", what, T,
                 json_array_size(ids));
    for (int i = 0; i < T; i++)
        if (ats_tokens_get(toks, i)->id != (int32_t)json_integer_value(json_array_get(ids, i)))
            fail_msg("%s: token %d is %d, Hugging Face's tokenizers give %lld", what, i,
                     ats_tokens_get(toks, i)->id,
                     (long long)json_integer_value(json_array_get(ids, i)));
    char label[512];
    size_t n_attn = (size_t)cfg->n_layer * cfg->n_head * T * T;
    float *want = flatten(json_object_get(c, "attentions"), n_attn, what);
    snprintf(label, sizeof label, "%s attentions", what);
    ats_assert_close(ats_run_attentions(run), want, n_attn, ATTN_TOL, label);
    free(want);
    if (hidden) {
        size_t n = (size_t)T * cfg->d_model;
        want = flatten(hidden, n, what);
        snprintf(label, sizeof label, "%s hidden states", what);
        ats_assert_close(ats_run_hidden(run), want, n, LOGIT_TOL, label);
    } else {
        want = flatten(json_object_get(c, "logits_last"), (size_t)cfg->vocab_size, what);
        snprintf(label, sizeof label, "%s logits", what);
        ats_assert_close(ats_run_logits_last(run), want, (size_t)cfg->vocab_size, LOGIT_TOL, label);
    }
    free(want);
    int masks = json_object_get(c, "mlm_logits") ? check_mlm(m, run, c, what) : 0;
    ats_run_free(run);
    return masks;
}

/* Every layer's rows are zero outside its window (keys i - W < j <= i), and the windowed
 * layers are the ones the family's config says. */
static void check_window(const ats_model *m, const char *what) {
    const ats_model_config *c = ats_model_get_config(m);
    static const char text[] = "Once upon a time, in a quiet village by the sea, there lived Lily.";
    ats_run_opts ro = ats_run_opts_default();
    ats_run *run = NULL;
    ats_error err;
    if (ats_run_text(m, text, sizeof text - 1, &ro, &run, &err) != ATS_OK)
        fail_msg("%s: %s", what, err.message);
    int T = ats_run_n_tokens(run), windowed = 0;
    assert_true(T > c->sliding_window + 2);
    for (int l = 0; l < c->n_layer; l++) {
        int W = ats_config_layer_window(c, l);
        windowed += W > 0;
        for (int h = 0; h < c->n_head; h++) {
            const float *a = ats_run_attention(run, l, h);
            for (int i = 0; i < T; i++)
                for (int j = 0; j < T; j++) {
                    bool inside = j <= i && (W == 0 || j > i - W);
                    if (!inside && a[(size_t)i * T + j] != 0.0f)
                        fail_msg("%s: layer %d head %d row %d key %d is %g outside the window %d",
                                 what, l, h, i, j, (double)a[(size_t)i * T + j], W);
                    if (inside && W > 0 && !(a[(size_t)i * T + j] > 0.0f))
                        fail_msg("%s: layer %d row %d key %d is inside the window but 0", what, l,
                                 i, j);
                }
        }
    }
    assert_true(windowed > 0);
    ats_run_free(run);
}

/* A run too long to keep its attention (a budget of one byte) computes each head on demand from
 * its queries and keys: the same numbers as the kept run, windows and soft-caps included. */
static void check_on_demand(const ats_model *m, const char *what) {
    static const char text[] = "Once upon a time, in a quiet village by the sea, there lived Lily.";
    const ats_model_config *c = ats_model_get_config(m);
    ats_run_opts ro = ats_run_opts_default();
    ats_run *kept = NULL, *lazy = NULL;
    ats_error err;
    if (ats_run_text(m, text, sizeof text - 1, &ro, &kept, &err) != ATS_OK)
        fail_msg("%s: %s", what, err.message);
    ro.attention_budget = 1;
    if (ats_run_text(m, text, sizeof text - 1, &ro, &lazy, &err) != ATS_OK)
        fail_msg("%s: %s", what, err.message);
    assert_null(ats_run_attentions(lazy));
    size_t T = (size_t)ats_run_n_tokens(kept);
    for (int l = 0; l < c->n_layer; l++)
        for (int h = 0; h < c->n_head; h++) {
            const float *a = NULL;
            if (ats_run_attention_acquire(lazy, l, h, &a, &err) != ATS_OK)
                fail_msg("%s: %s", what, err.message);
            char label[160];
            snprintf(label, sizeof label, "%s on demand, layer %d head %d", what, l, h);
            ats_assert_close(a, ats_run_attention(kept, l, h), T * T, 1e-6, label);
            ats_run_attention_release(lazy, a);
        }
    ats_run_free(kept);
    ats_run_free(lazy);
}

/* The pipeline's step-by-step formula (ats_head_steps_compute) reproduces each layer's
 * attention row of the last token: soft-cap and window included. */
static void check_steps(const ats_model *m, const char *what) {
    static const char text[] = "Once upon a time, in a quiet village by the sea";
    const ats_model_config *c = ats_model_get_config(m);
    ats_run_opts ro = ats_run_opts_default();
    ro.detail_layer = ATS_DETAIL_ALL_LAYERS;
    ats_run *run = NULL;
    ats_error err;
    if (ats_run_text(m, text, sizeof text - 1, &ro, &run, &err) != ATS_OK)
        fail_msg("%s: %s", what, err.message);
    int T = ats_run_n_tokens(run);
    for (int l = 0; l < c->n_layer; l++) {
        ats_head_steps *st = NULL;
        if (ats_head_steps_compute(run, l, 1, T - 1, NULL, &st, &err) != ATS_OK)
            fail_msg("%s: %s", what, err.message);
        assert_int_equal(st->window, ats_config_layer_window(c, l));
        assert_true((st->capped != NULL) == (c->attn_softcap > 0.0f));
        char label[160];
        snprintf(label, sizeof label, "%s steps of layer %d", what, l);
        ats_assert_close(st->weights, ats_run_attention(run, l, 1) + (size_t)(T - 1) * T, (size_t)T,
                         1e-5, label);
        ats_head_steps_free(st);
    }
    ats_run_free(run);
}

/* Phi-3's rule (transformers' dynamic_rope_update): the long factors past the original
 * context. */
static bool on_long_factors(const ats_model_config *c, int n_tokens) {
    return c->rope_scaling.kind == ATS_ROPE_SCALING_LONGROPE &&
           n_tokens > c->rope_scaling.original_max_position;
}

static ats_run *typed_run(const ats_model *m, const char *text, const ats_run *reuse) {
    ats_run_opts ro = ats_run_opts_default();
    ro.keep_cache = true;
    ro.reuse = reuse;
    ro.want_logits = ats_model_has_lm_head(m);
    ats_run *run = NULL;
    ats_error err;
    if (ats_run_text(m, text, strlen(text), &ro, &run, &err) != ATS_OK)
        fail_msg("%s", err.message);
    return run;
}

/* Typing: each text extends the one before, and a run reusing the previous one's cache gives
 * the numbers of a run from scratch. LongRoPE (original context 24 in phi3_longrope) changes
 * every angle once the text outgrows it, so nothing is reused across that length. */
static void check_typing(const ats_model *m, const char *what) {
    static const char *const texts[] = {
        "Hello world",
        "Hello world, once upon a time Lily saw the boats in a quiet village by the sea.",
        "Hello world, once upon a time Lily saw the boats in a quiet village by the sea. She "
        "waved.",
    };
    const ats_model_config *c = ats_model_get_config(m);
    ats_run *prev = NULL;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        ats_run *typed = typed_run(m, texts[i], prev), *fresh = typed_run(m, texts[i], NULL);
        int T = ats_run_n_tokens(fresh), P = prev ? ats_run_n_tokens(prev) : 0;
        int reused = ats_run_reused_tokens(typed);
        if (on_long_factors(c, T) != on_long_factors(c, P))
            assert_int_equal(reused, 0);
        else if (c->causal && P > 1)
            assert_true(reused > 0);
        char label[160];
        snprintf(label, sizeof label, "%s typing text %zu (%d reused)", what, i, reused);
        ats_assert_close(ats_run_attentions(typed), ats_run_attentions(fresh),
                         (size_t)c->n_layer * c->n_head * T * T, 1e-5, label);
        if (ats_model_has_lm_head(m))
            ats_assert_close(ats_run_logits_last(typed), ats_run_logits_last(fresh),
                             (size_t)c->vocab_size, 1e-4, label);
        ats_run_free(fresh);
        ats_run_free(prev);
        prev = typed;
    }
    ats_run_free(prev);
}

/* info names the family and its special choices, in text and JSON. */
static void check_info(const family *f, const char *model) {
    const char *args[] = {"info", "--model", model, NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    if (!strstr(r.out, "family ") || !strstr(r.out, f->choice))
        fail_msg("%s: info does not show the family and '%s':\n%s", f->name, f->choice, r.out);
    ats_cli_result_free(&r);
    const char *jargs[] = {"info", "--model", model, "--json", NULL};
    r = ats_run_cli(jargs, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    json_t *obj = ats_parse_json(r.out);
    assert_string_equal(json_string_value(json_object_get(obj, "arch")), f->arch);
    assert_true(json_array_size(json_object_get(obj, "choices")) > 0);
    json_decref(obj);
    ats_cli_result_free(&r);
}

/* The id tokenizer.json gives its special token `content`, or -1. */
static int special_id(const char *model, const char *content) {
    char path[4300];
    snprintf(path, sizeof path, "%s/tokenizer.json", model);
    json_t *tok = ats_load_json_file(path);
    const json_t *added = json_object_get(tok, "added_tokens");
    int id = -1;
    for (size_t i = 0; i < json_array_size(added); i++) {
        const json_t *a = json_array_get(added, i);
        if (strcmp(json_string_value(json_object_get(a, "content")), content) == 0)
            id = (int)json_integer_value(json_object_get(a, "id"));
    }
    json_decref(tok);
    return id;
}

/* dump --top-k on a text with mask tokens: "masked" lists each mask token's position with the
 * K most probable tokens there, the reference's ids (its float64 logits' largest) and
 * probabilities (their softmax) within 1e-4; on a text without one, exit 2 with one line
 * naming the mask token. */
static void check_masked_dump(const ats_model *m, const char *model, const json_t *cases,
                              const char *what) {
    const char *piece = NULL;
    int32_t mask = ats_model_mask_token(m, &piece);
    int V = ats_model_get_config(m)->vocab_size;
    const json_t *c = NULL;
    for (size_t i = 0; i < json_array_size(cases) && !c; i++) {
        const char *text = json_string_value(json_object_get(json_array_get(cases, i), "text"));
        if (strstr(text, "Once upon a") && strstr(text, piece))
            c = json_array_get(cases, i);
    }
    assert_non_null(c);
    const char *text = json_string_value(json_object_get(c, "text"));
    const char *args[] = {"dump", "--model", model, "--text", text, "--top-k", "3", NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    if (r.exit_code != 0)
        fail_msg("%s: dump --top-k exited %d: %s", what, r.exit_code, r.err);
    json_t *out = ats_parse_json(r.out);
    const json_t *masked = json_object_get(out, "masked"), *ids = json_object_get(c, "ids");
    assert_null(json_object_get(out, "top_k"));
    assert_null(json_object_get(out, "hidden_last_layer"));
    size_t n = 0;
    double *row = malloc((size_t)V * sizeof *row);
    assert_non_null(row);
    for (size_t t = 0; t < json_array_size(ids); t++) {
        if ((int32_t)json_integer_value(json_array_get(ids, t)) != mask)
            continue;
        const json_t *e = json_array_get(masked, n++);
        assert_non_null(e);
        assert_int_equal(json_integer_value(json_object_get(e, "position")), (json_int_t)t);
        const json_t *ref = json_array_get(json_object_get(c, "mlm_logits"), t);
        double max = -INFINITY, sum = 0.0;
        for (int v = 0; v < V; v++) {
            row[v] = json_real_value(json_array_get(ref, (size_t)v));
            max = row[v] > max ? row[v] : max;
        }
        for (int v = 0; v < V; v++)
            sum += exp(row[v] - max);
        int want[3];
        top_ids(row, V, 3, want);
        const json_t *top = json_object_get(e, "top_k");
        assert_int_equal(json_array_size(top), 3);
        for (size_t k = 0; k < 3; k++) {
            const json_t *tk = json_array_get(top, k);
            assert_int_equal(json_integer_value(json_object_get(tk, "id")), want[k]);
            assert_non_null(json_string_value(json_object_get(tk, "piece")));
            double prob = exp(row[want[k]] - max) / sum;
            if (fabs(json_number_value(json_object_get(tk, "prob")) - prob) > 1e-4)
                fail_msg("%s: prob of id %d at token %zu is %g, the reference's %g", what, want[k],
                         t, json_number_value(json_object_get(tk, "prob")), prob);
        }
    }
    assert_int_equal(n, 2);
    assert_int_equal(json_array_size(masked), n);
    free(row);
    json_decref(out);
    ats_cli_result_free(&r);

    const char *none[] = {"dump", "--model", model, "--text", "Hello world", "--top-k", "3", NULL};
    r = ats_run_cli(none, NULL, 0);
    if (r.exit_code != 2 || ats_count_lines(r.err) != 1 || !strstr(r.err, piece))
        fail_msg("%s: wanted exit 2 and one line naming %s, got %d: %s", what, piece, r.exit_code,
                 r.err);
    ats_cli_result_free(&r);
}

/* ats_run_mlm_logits refuses what it cannot do: a model without the head, a run without hidden
 * states, a position outside the run. */
static void check_mlm_refusals(const ats_model *m, bool has_head) {
    static const char text[] = "Hello world";
    ats_run_opts ro = ats_run_opts_default();
    ats_run *bare = NULL, *kept = NULL;
    ats_error err;
    assert_int_equal(ats_run_text(m, text, sizeof text - 1, &ro, &bare, &err), ATS_OK);
    ro.want_hidden = true;
    assert_int_equal(ats_run_text(m, text, sizeof text - 1, &ro, &kept, &err), ATS_OK);
    int V = ats_model_get_config(m)->vocab_size, T = ats_run_n_tokens(kept), pos = 0;
    float *out = malloc((size_t)V * sizeof *out);
    assert_non_null(out);
    if (!has_head) {
        assert_false(ats_model_has_mlm_head(m));
        assert_int_equal(ats_model_mask_token(m, NULL), -1);
        assert_int_equal(ats_run_mlm_logits(m, kept, &pos, 1, out, &err), ATS_ERR_UNSUPPORTED);
    } else {
        assert_int_equal(ats_run_mlm_logits(m, bare, &pos, 1, out, &err), ATS_ERR_ARG);
        pos = T;
        assert_int_equal(ats_run_mlm_logits(m, kept, &pos, 1, out, &err), ATS_ERR_ARG);
        assert_non_null(strstr(err.message, "outside"));
        pos = -1;
        assert_int_equal(ats_run_mlm_logits(m, kept, &pos, 1, out, &err), ATS_ERR_ARG);
        assert_int_equal(ats_run_mask_positions(m, kept, &pos, 1), 0);
    }
    free(out);
    ats_run_free(bare);
    ats_run_free(kept);
}

static void check_family(const family *f) {
    made m = make(f);
    ats_model *model = load(m.model);
    assert_string_equal(ats_arch_name(ats_model_get_config(model)->arch), f->arch);
    const json_t *cases = json_object_get(m.ref, "cases");
    assert_true(json_array_size(cases) >= 10);
    int masks = 0;
    for (size_t i = 0; i < json_array_size(cases); i++) {
        char what[128];
        snprintf(what, sizeof what, "%s case %zu", f->name, i);
        masks += check_case(model, json_array_get(cases, i), what);
    }
    /* a checkpoint with the masked-LM head: its mask token is tokenizer.json's, the reference
     * has the head's logits, the texts hold mask tokens, and dump --top-k predicts there */
    bool mlm = json_object_get(json_array_get(cases, 0), "mlm_logits") != NULL;
    assert_true(mlm == ats_model_has_mlm_head(model));
    if (mlm) {
        const char *piece = NULL;
        int32_t id = ats_model_mask_token(model, &piece);
        assert_non_null(piece);
        assert_int_equal(id, special_id(m.model, piece));
        assert_true(masks >= 3);
        check_masked_dump(model, m.model, cases, f->name);
        check_mlm_refusals(model, true);
    } else if (!ats_model_get_config(model)->causal) {
        check_mlm_refusals(model, false); /* the encoders saved without the head */
    }
    if (ats_model_get_config(model)->sliding_window > 0)
        check_window(model, f->name);
    check_on_demand(model, f->name);
    check_steps(model, f->name);
    check_typing(model, f->name);
    check_info(f, m.model);
    ats_model_free(model);
    unmake(&m);
}

/* config.json of `model` with the keys of `patch` (JSON) set, then `attnscope info` must exit 2
 * with one line naming `problem`. */
static void expect_refused(const char *model, const char *patch, const char *problem) {
    patch_config(model, patch);
    const char *args[] = {"info", "--model", model, NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    if (r.exit_code != 2 || ats_count_lines(r.err) != 1 || !strstr(r.err, problem) ||
        !strstr(r.err, "config.json"))
        fail_msg("%s: wanted exit 2 and one line naming config.json and '%s', got %d: %s", patch,
                 problem, r.exit_code, r.err);
    ats_cli_result_free(&r);
}

/* config.json of `model` with `patch` applied opens, and info shows `phrase`. */
static void expect_choice(const char *model, const char *patch, const char *phrase) {
    patch_config(model, patch);
    const char *args[] = {"info", "--model", model, NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    if (r.exit_code != 0 || !strstr(r.out, phrase))
        fail_msg("%s: wanted info to say '%s', got %d:\n%s%s", patch, phrase, r.exit_code, r.out,
                 r.err);
    ats_cli_result_free(&r);
}

/* layer_types, where a config has it, decides which layers are windowed (as in transformers). */
static void test_families_layer_types(void **state) {
    (void)state;
    made m = make(&FAMILIES[6]); /* mistral, 3 layers, window 4 */
    expect_choice(m.model,
                  "{\"layer_types\": [\"full_attention\", \"sliding_attention\", "
                  "\"sliding_attention\"]}",
                  "sliding window of 4 tokens on layers 1 and up");
    expect_choice(m.model,
                  "{\"layer_types\": [\"sliding_attention\", \"full_attention\", "
                  "\"sliding_attention\"]}",
                  "on the even layers");
    patch_config(m.model, "{\"layer_types\": [\"full_attention\", \"full_attention\", "
                          "\"full_attention\"]}");
    ats_model *model = load(m.model);
    assert_int_equal(ats_model_get_config(model)->sliding_window, 0);
    ats_model_free(model);
    unmake(&m);
}

static void test_families_refusals(void **state) {
    (void)state;
    made m = make(&FAMILIES[5]); /* gemma2 */
    expect_refused(m.model, "{\"rope_scaling\": {\"rope_type\": \"foo\", \"factor\": 4}}",
                   "rope_scaling type 'foo' is not supported");
    expect_refused(m.model,
                   "{\"rope_scaling\": null, \"rope_parameters\": {\"rope_type\": "
                   "\"ntk-by-parts\", \"rope_theta\": 10000}}",
                   "rope_parameters type 'ntk-by-parts' is not supported");
    /* LongRoPE's lists must hold one factor per rotary pair (gemma2's heads: 16 dimensions) */
    expect_refused(m.model,
                   "{\"rope_parameters\": {\"rope_type\": \"longrope\", \"rope_theta\": "
                   "10000, \"short_factor\": [1, 2], \"long_factor\": [1, 2]}}",
                   "longrope short_factor and long_factor hold 2 numbers; the 16 rotary");
    expect_refused(m.model,
                   "{\"rope_parameters\": {\"rope_type\": \"longrope\", \"short_factor\": "
                   "[1, 2, 3, 4, 5, 6, 7, 8], \"long_factor\": [1, 2, 3, 4, 5, 6, 7, -8]}}",
                   "longrope 'long_factor'[7] is not a positive number");
    expect_refused(m.model,
                   "{\"rope_parameters\": null, \"layer_types\": [\"sliding_attention\", "
                   "\"full_attention\", \"full_attention\", \"sliding_attention\"]}",
                   "'layer_types' puts the sliding window on layers in a pattern");
    expect_refused(m.model, "{\"layer_types\": null, \"hidden_activation\": \"mish\"}",
                   "hidden_activation 'mish' is not supported");
    expect_refused(m.model, "{\"model_type\": \"gemma3_text\"}",
                   "model_type 'gemma3_text' is not supported");
    unmake(&m);
    m = make(&FAMILIES[2]); /* phi */
    expect_refused(m.model, "{\"qk_layernorm\": true}", "qk_layernorm 'true' is not supported");
    unmake(&m);
    m = make(&FAMILIES[0]); /* gpt_neox */
    expect_refused(m.model, "{\"rotary_pct\": 0.2}", "an even number is needed");
    unmake(&m);
}

/* The family's checkpoint with `patch` applied to config.json, against the reference computed
 * for the patched config. */
static void check_patched(const family *f, const char *patch, const char *phrase) {
    made m = make_patched(f, patch);
    ats_model *model = load(m.model);
    const json_t *cases = json_object_get(m.ref, "cases");
    for (size_t i = 0; i < json_array_size(cases); i++) {
        char what[160];
        snprintf(what, sizeof what, "%s %s case %zu", f->name, phrase, i);
        check_case(model, json_array_get(cases, i), what);
    }
    ats_model_free(model);
    expect_choice(m.model, "{}", phrase);
    unmake(&m);
}

/* YaRN's optional keys: betas of their own, an unrounded ramp, mscale / mscale_all_dim, an
 * explicit attention_factor; LongRoPE with an explicit factor and attention factor, and with the
 * original context inside rope_scaling. */
static void test_families_rope_options(void **state) {
    (void)state;
    check_patched(&FAMILIES[14],
                  "{\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 8.0, "
                  "\"original_max_position_embeddings\": 64, \"beta_fast\": 16, \"beta_slow\": "
                  "2, \"truncate\": false, \"mscale\": 0.9, \"mscale_all_dim\": 0.5}}",
                  "betas 16/2, cos and sin x1.075");
    check_patched(&FAMILIES[14],
                  "{\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 2.0, "
                  "\"original_max_position_embeddings\": 32, \"attention_factor\": 1.5}}",
                  "cos and sin x1.5");
    /* transformers 5's rope_parameters, its base inside */
    check_patched(&FAMILIES[14],
                  "{\"rope_scaling\": null, \"rope_parameters\": {\"rope_type\": \"yarn\", "
                  "\"rope_theta\": 5000.0, \"factor\": 3.0, \"original_max_position_embeddings\": "
                  "48}}",
                  "factor 3, original context 48");
    /* Phi-3: "yarn" is an old name of longrope (Phi3Config), the original context top-level */
    check_patched(&FAMILIES[15],
                  "{\"original_max_position_embeddings\": 20, \"rope_scaling\": {\"type\": "
                  "\"yarn\", \"factor\": 3.0, \"attention_factor\": 1.25, \"short_factor\": "
                  "[1.0, 2.0, 3.0], \"long_factor\": [2.0, 5.0, 11.0]}}",
                  "long past 20 tokens, cos and sin x1.25");
    /* another family: the original context inside rope_scaling, the factor from the ratio */
    check_patched(&FAMILIES[14],
                  "{\"rope_scaling\": {\"type\": \"longrope\", "
                  "\"original_max_position_embeddings\": 20, \"short_factor\": [1.0, 1.5, 2.0, "
                  "3.0], \"long_factor\": [1.0, 2.0, 4.0, 8.0]}}",
                  "long past 20 tokens, cos and sin x1.361");
}

/* The same checkpoint as llama.cpp's converter writes it (tests/reference/gguf_from_hf.py): the
 * GGUF's own tokenizer and weights must give the same ids and numbers. `patch` brings the
 * config to what GGUF can say (llama.cpp has no query_pre_attn_scalar and no Qwen2 window). */
static void check_gguf(const family *f, const char *patch) {
    made m = make_patched(f, patch);
    char script[4200], gguf[4300];
    snprintf(script, sizeof script, "%s/tests/reference/gguf_from_hf.py", ATS_SOURCE_DIR);
    snprintf(gguf, sizeof gguf, "%s/model.gguf", m.dir);
    const char *args[] = {script, m.model, gguf, NULL};
    ats_run_python(args);
    ats_model *model = load(gguf);
    assert_string_equal(ats_model_get_info(model)->format, "gguf");
    assert_true(ats_model_get_info(model)->family[0] != '\0');
    const json_t *cases = json_object_get(m.ref, "cases");
    for (size_t i = 0; i < json_array_size(cases); i++) {
        char what[128];
        snprintf(what, sizeof what, "%s GGUF case %zu", f->name, i);
        check_case(model, json_array_get(cases, i), what);
    }
    ats_model_free(model);
    unmake(&m);
}

/* The family's checkpoint converted to GGUF, with float metadata `extra` ("KEY=NUMBER", or
 * NULL) added: `attnscope info` must exit 2 with one line naming the file and `problem`. */
static void expect_gguf_refused(const family *f, const char *extra, const char *problem) {
    made m = make(f);
    char script[4200], gguf[4300];
    snprintf(script, sizeof script, "%s/tests/reference/gguf_from_hf.py", ATS_SOURCE_DIR);
    snprintf(gguf, sizeof gguf, "%s/model.gguf", m.dir);
    const char *args[] = {script, m.model, gguf, extra, NULL};
    ats_run_python(args);
    const char *info[] = {"info", "--model", gguf, NULL};
    ats_cli_result r = ats_run_cli(info, NULL, 0);
    if (r.exit_code != 2 || ats_count_lines(r.err) != 1 || !strstr(r.err, problem) ||
        !strstr(r.err, "model.gguf"))
        fail_msg("%s: wanted exit 2 and one line naming '%s', got %d: %s", f->name, problem,
                 r.exit_code, r.err);
    ats_cli_result_free(&r);
    unmake(&m);
}

/* What attnscope does not run in GGUF is refused, named: Phi-3's LongRoPE as llama.cpp's
 * converter writes it (rope_factors_long / _short; llama.cpp picks the factors by the context it
 * is started with, Hugging Face by the text's length), and YaRN variants of other converters. */
static void test_families_gguf_refusals(void **state) {
    (void)state;
    expect_gguf_refused(&FAMILIES[15], NULL, "'longrope' (rope_factors_long)");
    expect_gguf_refused(&FAMILIES[14], "qwen2.rope.scaling.yarn_log_multiplier=0.1",
                        "'qwen2.rope.scaling.yarn_log_multiplier' other than 0");
    expect_gguf_refused(&FAMILIES[14], "qwen2.rope.scaling.attn_factor=0.5",
                        "'qwen2.rope.scaling.attn_factor' other than 1");
}

static void test_families_gguf(void **state) {
    (void)state;
    check_gguf(&FAMILIES[0], NULL);                              /* gptneox */
    check_gguf(&FAMILIES[1], NULL);                              /* gptneox, sequential */
    check_gguf(&FAMILIES[2], NULL);                              /* phi2 */
    check_gguf(&FAMILIES[3], NULL);                              /* phi3 */
    check_gguf(&FAMILIES[4], NULL);                              /* gemma */
    check_gguf(&FAMILIES[5], "{\"query_pre_attn_scalar\": 16}"); /* gemma2 */
    check_gguf(&FAMILIES[7], "{\"use_sliding_window\": false}"); /* qwen2 */
    check_gguf(&FAMILIES[8], NULL); /* llama with Llama 3's rope_freqs */
    check_gguf(&FAMILIES[14], "{\"use_sliding_window\": false}"); /* qwen2 with YaRN */
    check_gguf(&FAMILIES[8], /* llama (interleaved pairs in GGUF) with YaRN */
               "{\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0, "
               "\"original_max_position_embeddings\": 32}}");
}

#define FAMILY_TEST(fn, index)                                                                     \
    static void test_families_##fn(void **state) {                                                 \
        (void)state;                                                                               \
        check_family(&FAMILIES[index]);                                                            \
    }

FAMILY_TEST(gpt_neox, 0)
FAMILY_TEST(gpt_neox_sequential, 1)
FAMILY_TEST(phi, 2)
FAMILY_TEST(phi3, 3)
FAMILY_TEST(gemma, 4)
FAMILY_TEST(gemma2, 5)
FAMILY_TEST(mistral, 6)
FAMILY_TEST(qwen2, 7)
FAMILY_TEST(llama3, 8)
FAMILY_TEST(opt, 9)
FAMILY_TEST(opt_postnorm, 10)
FAMILY_TEST(roberta, 11)
FAMILY_TEST(xlm_roberta, 12)
FAMILY_TEST(distilbert, 13)
FAMILY_TEST(qwen2_yarn, 14)
FAMILY_TEST(phi3_longrope, 15)
FAMILY_TEST(opt_proj, 16)
FAMILY_TEST(bert_mlm, 17)
FAMILY_TEST(roberta_mlm, 18)
FAMILY_TEST(distilbert_mlm, 19)

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_families_gpt_neox),
        cmocka_unit_test(test_families_gpt_neox_sequential),
        cmocka_unit_test(test_families_phi),
        cmocka_unit_test(test_families_phi3),
        cmocka_unit_test(test_families_gemma),
        cmocka_unit_test(test_families_gemma2),
        cmocka_unit_test(test_families_mistral),
        cmocka_unit_test(test_families_qwen2),
        cmocka_unit_test(test_families_llama3),
        cmocka_unit_test(test_families_opt),
        cmocka_unit_test(test_families_opt_postnorm),
        cmocka_unit_test(test_families_roberta),
        cmocka_unit_test(test_families_xlm_roberta),
        cmocka_unit_test(test_families_distilbert),
        cmocka_unit_test(test_families_qwen2_yarn),
        cmocka_unit_test(test_families_phi3_longrope),
        cmocka_unit_test(test_families_opt_proj),
        cmocka_unit_test(test_families_bert_mlm),
        cmocka_unit_test(test_families_roberta_mlm),
        cmocka_unit_test(test_families_distilbert_mlm),
        cmocka_unit_test(test_families_gguf),
        cmocka_unit_test(test_families_gguf_refusals),
        cmocka_unit_test(test_families_layer_types),
        cmocka_unit_test(test_families_refusals),
        cmocka_unit_test(test_families_rope_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
