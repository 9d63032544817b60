/* Reusing the previous run for the unchanged start of a causal model's text gives the same
 * numbers as computing everything again: attention, hidden states, logits and kept details. */
#include "test_support.h"

#include "attnscope/engine.h"

#include <string.h>

/* What a person might type, one edit after another: extensions, a deletion, a change at the
 * start, and text that tokenizes differently at the end. */
static const char *EDITS[] = {
    "Once",
    "Once upon",
    "Once upon a time",
    "Once upon a tim",
    "Once upon a time, Lily saw a big red ball.",
    "Once upon a time, Lily saw a big red balloon and",
    "Twice upon a time, Lily saw a big red balloon and",
    "Twice upon a time, Lily saw a big red balloon and ran.",
};

static ats_run *run(const ats_model *m, const char *text, const ats_run *reuse, bool logits) {
    ats_run_opts o = ats_run_opts_default();
    o.want_hidden = true;
    o.want_logits = logits;
    o.detail_layer = ATS_DETAIL_ALL_LAYERS;
    o.keep_cache = true;
    o.reuse = reuse;
    ats_run *r = NULL;
    ats_error err;
    if (ats_run_text(m, text, strlen(text), &o, &r, &err) != ATS_OK)
        fail_msg("%s", err.message);
    return r;
}

static void compare_runs(const ats_model *m, const ats_run *got, const ats_run *want, bool logits) {
    const ats_model_config *c = ats_model_get_config(m);
    int T = ats_run_n_tokens(want);
    assert_int_equal(ats_run_n_tokens(got), T);
    size_t TT = (size_t)T * T;
    ats_assert_close(ats_run_attentions(got), ats_run_attentions(want),
                     (size_t)c->n_layer * c->n_head * TT, 1e-5, "attentions");
    ats_assert_close(ats_run_hidden(got), ats_run_hidden(want), (size_t)T * c->d_model, 1e-4,
                     "hidden states");
    if (logits)
        ats_assert_close(ats_run_logits_last(got), ats_run_logits_last(want), (size_t)c->vocab_size,
                         1e-4, "logits");
    for (int l = 0; l < c->n_layer; l++) {
        ats_layer_detail a, b;
        assert_int_equal(ats_run_layer_detail(got, l, &a, NULL), ATS_OK);
        assert_int_equal(ats_run_layer_detail(want, l, &b, NULL), ATS_OK);
        size_t TD = (size_t)T * c->d_model, TC = (size_t)T * a.d_concat;
        ats_assert_close(a.input, b.input, TD, 1e-4, "layer input");
        ats_assert_close(a.attn_in, b.attn_in, TD, 1e-4, "attention input");
        ats_assert_close(a.concat, b.concat, TC, 1e-4, "concatenated heads");
        ats_assert_close(a.attn_out, b.attn_out, TD, 1e-4, "attention output");
        for (int h = 0; h < c->n_head; h++) {
            ats_head_detail x, y;
            assert_int_equal(ats_run_head_detail(got, l, h, &x, NULL), ATS_OK);
            assert_int_equal(ats_run_head_detail(want, l, h, &y, NULL), ATS_OK);
            size_t Td = (size_t)T * c->d_head;
            ats_assert_close(x.q, y.q, Td, 1e-4, "q");
            ats_assert_close(x.k, y.k, Td, 1e-4, "k");
            ats_assert_close(x.v, y.v, Td, 1e-4, "v");
            ats_assert_close(x.scores, y.scores, TT, 1e-3, "scores");
            ats_assert_close(x.out, y.out, Td, 1e-4, "head output");
        }
    }
}

/* Types EDITS one after another, each run reusing the previous one, and checks every result
 * against a run from scratch; returns the tokens reused over the whole session. */
static int type_through(const ats_model *m, bool logits) {
    ats_run *prev = NULL;
    int reused = 0;
    for (size_t e = 0; e < sizeof EDITS / sizeof EDITS[0]; e++) {
        ats_run *inc = run(m, EDITS[e], prev, logits);
        ats_run *full = run(m, EDITS[e], NULL, logits);
        assert_int_equal(ats_run_reused_tokens(full), 0);
        compare_runs(m, inc, full, logits);
        reused += ats_run_reused_tokens(inc);
        ats_run_free(full);
        ats_run_free(prev);
        prev = inc;
    }
    ats_run_free(prev);
    return reused;
}

static ats_model *load(const char *path, int causal) {
    ats_load_opts lo = ats_load_opts_default();
    lo.causal = causal;
    ats_model *m = NULL;
    ats_error err;
    if (ats_model_load(path, &lo, &m, &err) != ATS_OK)
        fail_msg("%s", err.message);
    return m;
}

static void test_incremental_demo_causal(void **state) {
    (void)state;
    ats_model *m = load("builtin:demo", 1);
    assert_true(type_through(m, false) > 10);
    ats_model_free(m);
}

static void test_incremental_real_models(void **state) {
    (void)state;
    static const char *fixtures[] = {"fixtures/gguf/stories260K.gguf",
                                     "fixtures/hf/stories260K-llama",
                                     "fixtures/hf/tiny-random-gpt2"};
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        ATS_REQUIRE_SHARED(path, fixtures[i]);
        ats_model *m = load(path, -1);
        assert_true(type_through(m, true) > 10);
        ats_model_free(m);
    }
}

static void test_incremental_only_when_it_is_sound(void **state) {
    (void)state;
    /* a bidirectional model: every token sees later ones, so nothing is reused */
    ats_model *bi = load("builtin:demo", 0);
    ats_run *a = run(bi, "one two three", NULL, false);
    ats_run *b = run(bi, "one two three four", a, false);
    assert_int_equal(ats_run_reused_tokens(b), 0);
    ats_run_free(a);
    ats_run_free(b);

    /* another model instance, even of the same file, is not trusted */
    ats_model *m1 = load("builtin:demo", 1), *m2 = load("builtin:demo", 1);
    a = run(m1, "one two three", NULL, false);
    b = run(m2, "one two three four", a, false);
    assert_int_equal(ats_run_reused_tokens(b), 0);
    ats_run_free(b);

    /* the same model: the three shared words are reused; the same text recomputes its last */
    b = run(m1, "one two three four", a, false);
    assert_int_equal(ats_run_reused_tokens(b), 3);
    ats_run_free(b);
    b = run(m1, "one two three", a, false);
    assert_int_equal(ats_run_reused_tokens(b), 2);
    ats_run_free(b);

    /* a previous run without a cache cannot be reused */
    ats_run_opts o = ats_run_opts_default();
    ats_run *nocache;
    assert_int_equal(ats_run_text(m1, "one two", 7, &o, &nocache, NULL), ATS_OK);
    o.reuse = nocache;
    assert_int_equal(ats_run_text(m1, "one two three", 13, &o, &b, NULL), ATS_OK);
    assert_int_equal(ats_run_reused_tokens(b), 0);
    ats_run_free(b);
    ats_run_free(nocache);

    /* reference counting: a retained run survives one free */
    assert_ptr_equal(ats_run_retain(a), a);
    ats_run_free(a);
    assert_int_equal(ats_run_n_tokens(a), 3);
    ats_run_free(a);

    ats_model_free(bi);
    ats_model_free(m1);
    ats_model_free(m2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incremental_demo_causal),
        cmocka_unit_test(test_incremental_real_models),
        cmocka_unit_test(test_incremental_only_when_it_is_sound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
