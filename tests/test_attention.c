/* Attention kept whole against attention computed on demand (bit for bit), on demand while
 * typing, from several threads at once, for one layer only; the pooled overview against the
 * kept heads; views and dumps of either kind of run; thread counts; and cancelling a run
 * between layers. */
#include "test_support.h"

#include "attnscope/engine.h"
#include "attnscope/render.h"
#include "attnscope/rundata.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *TEXT = "The animal didn't cross the street because it was too tired, so it "
                          "lay down by the road and slept until the sun came up again.";

static ats_model *load(const char *path, bool causal_demo) {
    ats_load_opts lo = ats_load_opts_default();
    lo.causal = causal_demo ? 1 : -1;
    ats_model *m = NULL;
    ats_error err;
    if (ats_model_load(path, &lo, &m, &err) != ATS_OK)
        fail_msg("%s", err.message);
    return m;
}

static ats_run *run_with(const ats_model *m, const char *text, size_t budget, int threads,
                         const ats_run *reuse) {
    ats_run_opts o = ats_run_opts_default();
    o.attention_budget = budget;
    o.threads = threads;
    o.keep_cache = reuse != NULL || ats_model_get_config(m)->causal;
    o.reuse = reuse;
    ats_run *r = NULL;
    ats_error err;
    if (ats_run_text(m, text, strlen(text), &o, &r, &err) != ATS_OK)
        fail_msg("%s", err.message);
    return r;
}

/* Every head of `got` (acquired) against the kept heads of `want`, within tol (0: same bits). */
static void compare_heads(const ats_run *got, const ats_run *want, double tol) {
    int T = ats_run_n_tokens(want);
    assert_int_equal(ats_run_n_tokens(got), T);
    const float *all = ats_run_attentions(want);
    assert_non_null(all);
    for (int l = 0;; l++) {
        const float *kept = ats_run_attention(want, l, 0);
        if (!kept)
            break;
        for (int h = 0; (kept = ats_run_attention(want, l, h)); h++) {
            const float *a = NULL;
            ats_error err;
            assert_int_equal(ats_run_attention_acquire(got, l, h, &a, &err), ATS_OK);
            if (tol == 0)
                assert_memory_equal(a, kept, (size_t)T * T * sizeof(float));
            else
                ats_assert_close(a, kept, (size_t)T * T, tol, "head on demand");
            ats_run_attention_release(got, a);
        }
    }
}

/* The pooled means of an on-demand run against means taken from the kept heads. */
static void compare_pooled(const ats_run *lazy, const ats_run *kept, int n_layer, int n_head) {
    int T = ats_run_n_tokens(kept), n, block;
    const float *pooled = ats_run_attention_pooled(lazy, &n, &block);
    assert_non_null(pooled);
    assert_true(n >= 1 && n <= 64 && (n - 1) * block < T && n * block >= T);
    float *want = calloc((size_t)n * n, sizeof(float));
    for (int l = 0; l < n_layer; l++)
        for (int h = 0; h < n_head; h++) {
            const float *a = ats_run_attention(kept, l, h);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    int cells = 0;
                    for (int q = i * block; q < (i + 1) * block && q < T; q++)
                        for (int k = j * block; k < (j + 1) * block && k < T; k++, cells++)
                            s += a[(size_t)q * T + k];
                    want[i * n + j] = (float)(s / cells);
                }
            ats_assert_close(pooled + ((size_t)l * n_head + h) * n * n, want, (size_t)n * n, 1e-5,
                             "pooled means");
        }
    free(want);
}

static void check_model(const char *path, bool causal_demo) {
    ats_model *m = load(path, causal_demo);
    const ats_model_config *c = ats_model_get_config(m);
    ats_run *kept = run_with(m, TEXT, SIZE_MAX, 0, NULL);
    ats_run *lazy = run_with(m, TEXT, 1, 0, NULL);
    assert_true(ats_run_attention_kept(kept));
    assert_false(ats_run_attention_kept(lazy));
    assert_null(ats_run_attentions(lazy));
    assert_null(ats_run_attention(lazy, 0, 0));
    compare_heads(lazy, kept, 0);
    compare_pooled(lazy, kept, c->n_layer, c->n_head);
    /* a kept run's pooled overview is its heads themselves */
    int n, block;
    assert_null(ats_run_attention_pooled(kept, &n, &block));
    ats_run_free(kept);
    ats_run_free(lazy);
    ats_model_free(m);
}

static void test_attention_on_demand_equals_kept_demo(void **state) {
    (void)state;
    check_model("builtin:demo", false);
    check_model("builtin:demo", true);
}

static void test_attention_on_demand_equals_kept_models(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(gpt2, "fixtures/hf/tiny-random-gpt2");
    ATS_REQUIRE_SHARED(bert, "fixtures/hf/tiny-random-bert");
    ATS_REQUIRE_SHARED(llama, "fixtures/llama2c/stories260K.bin");
    ATS_REQUIRE_SHARED(gguf, "fixtures/gguf/llama-2-tiny-random.gguf");
    check_model(gpt2, false);
    check_model(bert, false);
    check_model(llama, false);
    check_model(gguf, false);
}

/* T5: the relative position bias on both stacks (the encoder's bidirectional buckets, the
 * decoder's causal ones), v1.0 and v1.1. */
static void test_attention_on_demand_equals_kept_t5(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(v10, "fixtures/hf/t5-tiny-random");
    ATS_REQUIRE_SHARED(v11, "fixtures/hf/t5-v1_1-tiny-random");
    const char *paths[] = {v10, v11};
    for (int i = 0; i < 2; i++) {
        check_model(paths[i], false); /* ats_run_text: the encoder */
        ats_model *m = load(paths[i], false);
        ats_run *runs[2];
        for (int lazy = 0; lazy < 2; lazy++) {
            ats_run_opts o = ats_run_opts_default();
            o.attention_budget = lazy ? 1 : SIZE_MAX;
            const char *target = "Das Tier ging nicht über die Straße.";
            assert_int_equal(ats_run_seq2seq(m, TEXT, strlen(TEXT), target, strlen(target), &o,
                                             &runs[lazy], NULL),
                             ATS_OK);
        }
        assert_false(ats_run_attention_kept(runs[1]));
        compare_heads(runs[1], runs[0], 0);                                   /* the decoder */
        compare_heads(ats_run_encoder(runs[1]), ats_run_encoder(runs[0]), 0); /* the encoder */
        ats_run_free(runs[0]);
        ats_run_free(runs[1]);
        ats_model_free(m);
    }
}

/* Typing with runs computed on demand, each reusing the last: the same heads and pooled
 * overview as a kept run from scratch. */
static void test_attention_on_demand_while_typing(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(path, "fixtures/llama2c/stories260K.bin");
    ats_model *m = load(path, false);
    const ats_model_config *c = ats_model_get_config(m);
    /* about 150 tokens, so pooled blocks are 4 tokens wide and the edits end mid-block */
    static const char STORY[] =
        "Once upon a time, Lily saw a big red ball in the garden. She ran to it and kicked it "
        "over the fence. Her friend Tom came to help her look for it. They looked under the "
        "tree and behind the shed, but the ball was gone. Then a little dog came running with "
        "the ball in its mouth. Lily laughed and threw the ball again, and the dog ran after "
        "it. They played all day until the sun went down and mom called them";
    static const char *const ENDINGS[] = {
        "",      " home", " home for", " home for dinner", " home for dinner.",
        " home", " in",   " in to eat"};
    enum { N_EDITS = sizeof ENDINGS / sizeof ENDINGS[0] };
    char edits[N_EDITS][sizeof STORY + 32];
    const char *EDITS[N_EDITS];
    for (int e = 0; e < N_EDITS; e++) {
        snprintf(edits[e], sizeof edits[e], "%s%s", STORY, ENDINGS[e]);
        EDITS[e] = edits[e];
    }
    ats_run *prev = NULL;
    int reused = 0;
    for (int e = 0; e < N_EDITS; e++) {
        ats_run *lazy = run_with(m, EDITS[e], 1, 0, prev);
        ats_run *kept = run_with(m, EDITS[e], SIZE_MAX, 0, NULL);
        reused += ats_run_reused_tokens(lazy);
        compare_heads(lazy, kept, 1e-5);
        compare_pooled(lazy, kept, c->n_layer, c->n_head);
        ats_run_free(kept);
        ats_run_free(prev);
        prev = lazy;
    }
    assert_true(reused > 500); /* the prefixes were reused, not recomputed */
    ats_run_free(prev);
    ats_model_free(m);
}

/* Several threads ask a shared on-demand run for heads at once (the same heads and others):
 * every answer is right, and releasing keeps the cache consistent. */
typedef struct reader {
    const ats_run *lazy, *kept;
    int n_layer, n_head, seed, failures;
} reader;

static void *read_heads(void *arg) {
    reader *r = arg;
    int T = ats_run_n_tokens(r->kept);
    for (int i = 0; i < 60; i++) {
        int l = (i * 7 + r->seed) % r->n_layer, h = (i * 5 + r->seed * 3) % r->n_head;
        const float *a = NULL;
        if (ats_run_attention_acquire(r->lazy, l, h, &a, NULL) != ATS_OK ||
            memcmp(a, ats_run_attention(r->kept, l, h), (size_t)T * T * sizeof(float)) != 0)
            r->failures++;
        ats_run_attention_release(r->lazy, a);
    }
    return NULL;
}

static void test_attention_on_demand_from_threads(void **state) {
    (void)state;
    ats_model *m = load("builtin:demo", true);
    const ats_model_config *c = ats_model_get_config(m);
    ats_run *kept = run_with(m, TEXT, SIZE_MAX, 0, NULL);
    ats_run *lazy = run_with(m, TEXT, 1, 0, NULL);
    enum { N = 6 };
    pthread_t th[N];
    reader rd[N];
    for (int i = 0; i < N; i++) {
        rd[i] = (reader){lazy, kept, c->n_layer, c->n_head, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, read_heads, &rd[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(rd[i].failures, 0);
    }
    ats_run_free(kept);
    ats_run_free(lazy);
    ats_model_free(m);
}

/* A run serving one layer: that layer's heads, the others refused; kept and on demand. */
static void test_attention_one_layer(void **state) {
    (void)state;
    ats_model *m = load("builtin:demo", true);
    ats_run *all = run_with(m, TEXT, SIZE_MAX, 0, NULL);
    for (int budget = 0; budget < 2; budget++) {
        ats_run_opts o = ats_run_opts_default();
        o.attention_layer = 1;
        o.attention_budget = budget ? 1 : SIZE_MAX;
        ats_run *one;
        assert_int_equal(ats_run_text(m, TEXT, strlen(TEXT), &o, &one, NULL), ATS_OK);
        assert_null(ats_run_attentions(one));
        assert_false(ats_run_attention_available(one, 0));
        assert_true(ats_run_attention_available(one, 1));
        const float *a = NULL;
        ats_error err;
        assert_int_equal(ats_run_attention_acquire(one, 0, 0, &a, &err), ATS_ERR_ARG);
        assert_non_null(strstr(err.message, "layer 0"));
        int T = ats_run_n_tokens(one);
        for (int h = 0; h < ats_model_get_config(m)->n_head; h++) {
            assert_int_equal(ats_run_attention_acquire(one, 1, h, &a, NULL), ATS_OK);
            assert_memory_equal(a, ats_run_attention(all, 1, h), (size_t)T * T * sizeof(float));
            ats_run_attention_release(one, a);
        }
        ats_run_free(one);
    }
    ats_run_opts bad = ats_run_opts_default();
    bad.attention_layer = 7;
    ats_run *none = NULL;
    assert_int_equal(ats_run_text(m, TEXT, strlen(TEXT), &bad, &none, NULL), ATS_ERR_ARG);
    assert_null(none);
    ats_run_free(all);
    ats_model_free(m);
}

/* One thread or several: the same attention and hidden states (the work is split, not
 * changed). */
static void test_attention_threads_agree(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(path, "fixtures/hf/tiny-random-gpt2");
    ats_model *m = load(path, false);
    const ats_model_config *c = ats_model_get_config(m);
    ats_run *runs[3];
    const int threads[] = {1, 2, 5};
    for (int i = 0; i < 3; i++) {
        ats_run_opts o = ats_run_opts_default();
        o.threads = threads[i];
        o.want_hidden = true;
        assert_int_equal(ats_run_text(m, TEXT, strlen(TEXT), &o, &runs[i], NULL), ATS_OK);
    }
    int T = ats_run_n_tokens(runs[0]);
    for (int i = 1; i < 3; i++) {
        ats_assert_close(ats_run_attentions(runs[i]), ats_run_attentions(runs[0]),
                         (size_t)c->n_layer * c->n_head * T * T, 1e-6, "attention");
        ats_assert_close(ats_run_hidden(runs[i]), ats_run_hidden(runs[0]), (size_t)T * c->d_model,
                         1e-5, "hidden states");
    }
    for (int i = 0; i < 3; i++)
        ats_run_free(runs[i]);
    ats_model_free(m);
}

/* ---- what the views and the dumps make of a run computed on demand ------------------------- */

/* `st` built from the run and rasterized; the caller frees the pixels. */
static uint8_t *draw_view(const ats_model *m, const ats_run *run, const ats_view_state *st,
                          ats_font *font, int *w, int *h) {
    ats_run_view rv;
    assert_int_equal(ats_run_view_make(&rv, m, run, TEXT, NULL), ATS_OK);
    ats_view *view;
    assert_int_equal(ats_view_new(&view), ATS_OK);
    float fw, fh;
    ats_view_natural_size(st, &rv.data, font, &fw, &fh);
    ats_error err;
    if (ats_view_build(view, st, &rv.data, font, fw, fh, &err) != ATS_OK)
        fail_msg("build: %s", err.message);
    *w = (int)fw, *h = (int)fh;
    uint8_t *px = calloc((size_t)*w * (size_t)*h, 4);
    ats_canvas c = ats_canvas_make(px, *w, *h, *w * 4);
    ats_canvas_fill(c, (ats_rgba){255, 255, 255, 255});
    assert_int_equal(ats_render_draw(&c, ats_view_display_list(view), font, 1.0f, NULL), ATS_OK);
    ats_view_free(view);
    ats_run_view_free(&rv);
    return px;
}

static char *dump_to_memory(const ats_model *m, const ats_run *run, int format, size_t *len) {
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    ats_dump_selection all = ats_dump_selection_all(ats_model_get_config(m));
    ats_status s = format == 0   ? ats_dump_write_json(f, m, TEXT, strlen(TEXT), run, &all, NULL,
                                                       NULL, NULL, false, NULL)
                   : format == 1 ? ats_dump_write_npy(f, run, &all, NULL)
                                 : ats_dump_write_csv(f, run, 1, 2, NULL);
    assert_int_equal(s, ATS_OK);
    fclose(f);
    return buf;
}

static void test_attention_views_and_dumps_on_demand(void **state) {
    (void)state;
    ats_model *m = load("builtin:demo", true);
    ats_run *kept = run_with(m, TEXT, SIZE_MAX, 0, NULL);
    ats_run *lazy = run_with(m, TEXT, 1, 0, NULL);
    ats_font *font;
    assert_int_equal(ats_font_open(NULL, &font, NULL), ATS_OK);
    /* the heatmap and the lines view draw the same pixels either way */
    const ats_view_kind kinds[] = {ATS_VIEW_HEATMAP, ATS_VIEW_LINES, ATS_VIEW_GRID};
    for (int i = 0; i < 3; i++) {
        ats_view_state st = ats_view_state_default();
        st.view = kinds[i];
        st.layer = 1;
        st.head = 2;
        st.hover_layer = 1; /* the grid previews a head large */
        st.hover_head = 3;
        int w1, h1, w2, h2;
        uint8_t *a = draw_view(m, kept, &st, font, &w1, &h1);
        uint8_t *b = draw_view(m, lazy, &st, font, &w2, &h2);
        assert_int_equal(w1, w2);
        assert_int_equal(h1, h2);
        size_t n = (size_t)w1 * (size_t)h1 * 4, off = 0;
        for (size_t k = 0; k < n; k++) /* the grid's overview may round a colour level */
            off += abs((int)a[k] - (int)b[k]) > (kinds[i] == ATS_VIEW_GRID ? 2 : 0);
        assert_int_equal(off, 0);
        free(a);
        free(b);
    }
    /* JSON, NPY and CSV byte for byte */
    for (int format = 0; format < 3; format++) {
        size_t la, lb;
        char *a = dump_to_memory(m, kept, format, &la), *b = dump_to_memory(m, lazy, format, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        free(a);
        free(b);
    }
    ats_font_free(font);
    ats_run_free(kept);
    ats_run_free(lazy);
    ats_model_free(m);
}

/* ---- cancelling ---------------------------------------------------------------------------- */

typedef struct countdown {
    int asked, stop_at;
} countdown;

static bool cancel_after(void *user) {
    countdown *cd = user;
    return ++cd->asked > cd->stop_at;
}

static void test_attention_cancel_between_layers(void **state) {
    (void)state;
    ats_model *m = load("builtin:demo", true);
    const ats_model_config *c = ats_model_get_config(m);
    for (int stop = 0; stop <= c->n_layer; stop++) {
        countdown cd = {0, stop};
        ats_run_opts o = ats_run_opts_default();
        o.cancel = cancel_after;
        o.cancel_user = &cd;
        ats_run *run = NULL;
        ats_error err;
        ats_status s = ats_run_text(m, TEXT, strlen(TEXT), &o, &run, &err);
        if (stop < c->n_layer) { /* asked before each layer: stopped before layer `stop` */
            assert_int_equal(s, ATS_ERR_CANCELLED);
            assert_null(run);
            assert_int_equal(cd.asked, stop + 1);
            assert_string_equal(ats_status_name(s), "cancelled");
        } else { /* never said yes: a whole run, asked once per layer */
            assert_int_equal(s, ATS_OK);
            assert_int_equal(cd.asked, c->n_layer);
            assert_non_null(ats_run_attentions(run));
        }
        ats_run_free(run);
    }
    ats_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attention_on_demand_equals_kept_demo),
        cmocka_unit_test(test_attention_on_demand_equals_kept_models),
        cmocka_unit_test(test_attention_on_demand_equals_kept_t5),
        cmocka_unit_test(test_attention_on_demand_while_typing),
        cmocka_unit_test(test_attention_on_demand_from_threads),
        cmocka_unit_test(test_attention_one_layer),
        cmocka_unit_test(test_attention_threads_agree),
        cmocka_unit_test(test_attention_views_and_dumps_on_demand),
        cmocka_unit_test(test_attention_cancel_between_layers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
