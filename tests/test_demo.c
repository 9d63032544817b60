/* builtin:demo: each hand-built head of layer 0 does what it claims, on several sentences,
 * bidirectional and causal; every row of every head is a probability distribution. */
#include "test_support.h"

#include "attnscope/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { HEAD_PREVIOUS = 0, HEAD_SAME_WORD = 1, HEAD_FIRST = 2, HEAD_UNIFORM = 3 };

static const char *SENTENCES[] = {
    "The cat sat on the mat because the cat was tired.",
    "The animal didn't cross the street because it was too tired.",
    "the the the THE The",
    "A dog. A cat! A dog, again: a dog?",
    "Zürich, São Paulo and 東京 are cities; ZÜRICH is Zürich.",
    "Hello",
};

static char *long_text(int n_words) {
    static const char *words[] = {"red",   "green", "blue", "apple", "tree", "river", "stone",
                                  "light", "sky",   "song", "road",  "and",  "the",   "of"};
    size_t cap = (size_t)n_words * 8 + 1;
    char *s = malloc(cap);
    assert_non_null(s);
    s[0] = '\0';
    size_t len = 0;
    unsigned state = 12345;
    for (int i = 0; i < n_words; i++) {
        state = state * 1103515245u + 12345u;
        len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? " " : "",
                                words[(state >> 16) % (sizeof words / sizeof words[0])]);
    }
    return s;
}

static ats_model *load_demo(bool causal) {
    ats_load_opts lo = ats_load_opts_default();
    lo.causal = causal ? 1 : 0;
    ats_model *m = NULL;
    ats_error err;
    if (ats_model_load("builtin:demo", &lo, &m, &err) != ATS_OK)
        fail_msg("%s", err.message);
    return m;
}

static ats_run *run_text(const ats_model *m, const char *text) {
    ats_run *run = NULL;
    ats_error err;
    if (ats_run_text(m, text, strlen(text), NULL, &run, &err) != ATS_OK)
        fail_msg("%s", err.message);
    return run;
}

/* Case-insensitive comparison of two tokens' text, as the demo's ids are. */
static bool same_word(const ats_run *run, int i, int j) {
    return ats_tokens_get(ats_run_get_tokens(run), i)->id ==
           ats_tokens_get(ats_run_get_tokens(run), j)->id;
}

static void check_rows_are_distributions(const ats_run *run, const ats_model_config *c) {
    int T = ats_run_n_tokens(run);
    for (int l = 0; l < c->n_layer; l++) {
        for (int h = 0; h < c->n_head; h++) {
            const float *a = ats_run_attention(run, l, h);
            for (int i = 0; i < T; i++) {
                double sum = 0;
                for (int j = 0; j < T; j++) {
                    float w = a[(size_t)i * T + j];
                    assert_true(w >= 0.0f && w <= 1.0f);
                    if (c->causal && j > i && w != 0.0f)
                        fail_msg("L%d H%d: causal row %d has weight %g on future key %d", l, h, i,
                                 (double)w, j);
                    sum += w;
                }
                if (fabs(sum - 1.0) > 1e-5)
                    fail_msg("L%d H%d row %d sums to %.8f", l, h, i, sum);
            }
        }
    }
}

static int argmax_row(const float *row, int n) {
    int best = 0;
    for (int j = 1; j < n; j++)
        if (row[j] > row[best])
            best = j;
    return best;
}

static void check_previous_token_head(const ats_run *run) {
    int T = ats_run_n_tokens(run);
    const float *a = ats_run_attention(run, 0, HEAD_PREVIOUS);
    for (int i = 1; i < T; i++) {
        const float *row = a + (size_t)i * T;
        if (argmax_row(row, T) != i - 1 || row[i - 1] < 0.9f)
            fail_msg("previous-token head: query %d puts %.3f on key %d, most on key %d", i,
                     (double)row[i - 1], i - 1, argmax_row(row, T));
    }
}

static void check_same_word_head(const ats_run *run, bool causal) {
    int T = ats_run_n_tokens(run);
    const float *a = ats_run_attention(run, 0, HEAD_SAME_WORD);
    for (int i = 0; i < T; i++) {
        const float *row = a + (size_t)i * T;
        int visible = causal ? i + 1 : T;
        float same_min = 1.0f, same_max = 0.0f, other_max = 0.0f;
        for (int j = 0; j < visible; j++) {
            if (same_word(run, i, j)) {
                same_min = fminf(same_min, row[j]);
                same_max = fmaxf(same_max, row[j]);
            } else {
                other_max = fmaxf(other_max, row[j]);
            }
        }
        /* every occurrence of its own word (itself included) beats every other word ... */
        if (!(same_min > other_max))
            fail_msg("same-word head: query %d gives its own word %.4f, another word %.4f", i,
                     (double)same_min, (double)other_max);
        /* ... and the occurrences share the weight equally */
        assert_true(same_max - same_min < 1e-5f);
    }
}

static void check_first_token_head(const ats_run *run) {
    int T = ats_run_n_tokens(run);
    const float *a = ats_run_attention(run, 0, HEAD_FIRST);
    for (int i = 0; i < T; i++) {
        const float *row = a + (size_t)i * T;
        if (argmax_row(row, T) != 0 || row[0] < 0.9f)
            fail_msg("first-token head: query %d puts only %.3f on the first token", i,
                     (double)row[0]);
    }
}

static void check_uniform_head(const ats_run *run, bool causal) {
    int T = ats_run_n_tokens(run);
    const float *a = ats_run_attention(run, 0, HEAD_UNIFORM);
    for (int i = 0; i < T; i++) {
        int visible = causal ? i + 1 : T;
        for (int j = 0; j < visible; j++)
            assert_true(fabsf(a[(size_t)i * T + j] - 1.0f / (float)visible) < 1e-6f);
    }
}

static void check_all(const char *text, bool causal) {
    ats_model *m = load_demo(causal);
    ats_run *run = run_text(m, text);
    const ats_model_config *c = ats_model_get_config(m);
    assert_int_equal(c->causal, causal);
    check_rows_are_distributions(run, c);
    check_previous_token_head(run);
    check_same_word_head(run, causal);
    check_first_token_head(run);
    check_uniform_head(run, causal);
    ats_run_free(run);
    ats_model_free(m);
}

static void test_demo_heads_on_sentences(void **state) {
    (void)state;
    for (size_t s = 0; s < sizeof SENTENCES / sizeof SENTENCES[0]; s++) {
        check_all(SENTENCES[s], false);
        check_all(SENTENCES[s], true);
    }
}

static void test_demo_heads_on_a_long_text(void **state) {
    (void)state;
    /* 1000 words: the positional heads must not confuse far positions with near ones. */
    char *text = long_text(1000);
    check_all(text, false);
    check_all(text, true);
    free(text);
}

static void test_demo_text_beyond_context_is_cut(void **state) {
    (void)state;
    char *text = long_text(1500);
    ats_model *m = load_demo(false);
    ats_run *run = run_text(m, text);
    int context = ats_model_get_config(m)->context;
    assert_int_equal(ats_run_n_tokens(run), context);
    assert_int_equal(ats_run_dropped_tokens(run), 1500 - context);
    ats_run_free(run);
    ats_model_free(m);
    free(text);
}

static void test_demo_layer1_is_not_trivial(void **state) {
    (void)state;
    /* The random second layer should look learned: neither uniform nor one-hot everywhere. */
    ats_model *m = load_demo(false);
    ats_run *run = run_text(m, SENTENCES[1]);
    int T = ats_run_n_tokens(run);
    for (int h = 0; h < 4; h++) {
        const float *a = ats_run_attention(run, 1, h);
        float lo = 1, hi = 0;
        for (int k = 0; k < T * T; k++) {
            lo = fminf(lo, a[k]);
            hi = fmaxf(hi, a[k]);
        }
        assert_true(hi - lo > 0.05f);
        assert_true(hi < 0.999f);
    }
    ats_run_free(run);
    ats_model_free(m);
}

static void test_demo_is_deterministic(void **state) {
    (void)state;
    ats_model *a = load_demo(false), *b = load_demo(false);
    ats_run *ra = run_text(a, SENTENCES[0]), *rb = run_text(b, SENTENCES[0]);
    const ats_model_config *c = ats_model_get_config(a);
    int T = ats_run_n_tokens(ra);
    assert_memory_equal(ats_run_attentions(ra), ats_run_attentions(rb),
                        sizeof(float) * (size_t)c->n_layer * c->n_head * T * T);
    ats_run_free(ra);
    ats_run_free(rb);
    ats_model_free(a);
    ats_model_free(b);
}

static void test_demo_details_are_consistent(void **state) {
    (void)state;
    /* The kept q, k, v reproduce the probabilities: softmax(q.k / 4) row by row. */
    ats_model *m = load_demo(false);
    ats_run_opts opts = ats_run_opts_default();
    opts.detail_layer = ATS_DETAIL_ALL_LAYERS;
    ats_run *run;
    const char *text = SENTENCES[0];
    assert_int_equal(ats_run_text(m, text, strlen(text), &opts, &run, NULL), ATS_OK);
    int T = ats_run_n_tokens(run);
    for (int l = 0; l < 2; l++) {
        for (int h = 0; h < 4; h++) {
            ats_head_detail d;
            assert_int_equal(ats_run_head_detail(run, l, h, &d, NULL), ATS_OK);
            const float *a = ats_run_attention(run, l, h);
            for (int i = 0; i < T; i++) {
                double s[64], max = -INFINITY, sum = 0;
                for (int j = 0; j < T; j++) {
                    s[j] = 0;
                    for (int k = 0; k < d.d_head; k++)
                        s[j] += (double)d.q[i * d.d_head + k] * d.k[j * d.d_head + k];
                    s[j] *= 0.25;
                    max = fmax(max, s[j]);
                }
                for (int j = 0; j < T; j++)
                    sum += exp(s[j] - max);
                for (int j = 0; j < T; j++)
                    assert_true(fabs(exp(s[j] - max) / sum - a[i * T + j]) < 1e-5);
            }
        }
    }
    ats_run_free(run);
    ats_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_heads_on_sentences),
        cmocka_unit_test(test_demo_heads_on_a_long_text),
        cmocka_unit_test(test_demo_text_beyond_context_is_cut),
        cmocka_unit_test(test_demo_layer1_is_not_trivial),
        cmocka_unit_test(test_demo_is_deterministic),
        cmocka_unit_test(test_demo_details_are_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
