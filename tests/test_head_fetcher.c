/* The window's heads off its UI thread (rundata.h: ats_head_fetcher, ats_run_view_set_fetcher):
 * an asynchronous view of a run computed on demand draws a head it has not got as empty and asks
 * the fetcher; the head arrives through the wake callback and is then the kept run's bit for
 * bit; a request the next round does not ask for again is dropped, never computed; freeing the
 * fetcher, the views and the runs with requests pending is safe (run under the tsan and asan
 * presets too). Also ats_run_attention_try_acquire, which never computes. */
#include "test_support.h"

#include "attnscope/engine.h"
#include "attnscope/render.h"
#include "attnscope/rundata.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *TEXT = "The animal didn't cross the street because it was too tired, so it "
                          "lay down by the road and slept until the sun came up again.";

static ats_model *load_demo(void) {
    ats_load_opts lo = ats_load_opts_default();
    lo.causal = 1;
    ats_model *m = NULL;
    ats_error err;
    if (ats_model_load("builtin:demo", &lo, &m, &err) != ATS_OK)
        fail_msg("%s", err.message);
    return m;
}

/* budget 1: every head on demand; SIZE_MAX: kept whole */
static ats_run *run_with(const ats_model *m, size_t budget) {
    ats_run_opts o = ats_run_opts_default();
    o.attention_budget = budget;
    ats_run *r = NULL;
    ats_error err;
    if (ats_run_text(m, TEXT, strlen(TEXT), &o, &r, &err) != ATS_OK)
        fail_msg("%s", err.message);
    assert_true(ats_run_attention_kept(r) == (budget == SIZE_MAX));
    return r;
}

/* ---- the wake callback: counts, and holds the fetcher's thread while the gate is shut -------- */

typedef struct waker {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int wakes;
    bool gate_shut;
} waker;

static void waker_init(waker *w) {
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->wakes = 0;
    w->gate_shut = false;
}

static void waker_destroy(waker *w) {
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

static void wake(void *user) { /* on the fetcher's thread */
    waker *w = user;
    pthread_mutex_lock(&w->mu);
    w->wakes++;
    pthread_cond_broadcast(&w->cv);
    while (w->gate_shut)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

/* Waits until `n` wakes came (at most 60 s). */
static void wait_wakes(waker *w, int n) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 60;
    pthread_mutex_lock(&w->mu);
    while (w->wakes < n && pthread_cond_timedwait(&w->cv, &w->mu, &until) == 0) {
    }
    int got = w->wakes;
    pthread_mutex_unlock(&w->mu);
    assert_true(got >= n);
}

static void set_gate(waker *w, bool shut) {
    pthread_mutex_lock(&w->mu);
    w->gate_shut = shut;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static int wakes_of(waker *w) {
    pthread_mutex_lock(&w->mu);
    int n = w->wakes;
    pthread_mutex_unlock(&w->mu);
    return n;
}

/* ---- tests ------------------------------------------------------------------------------------
 */

/* try_acquire never computes: a kept run's head at once, an on-demand run's only once it was
 * computed (and still cached), nothing out of range. */
static void test_try_acquire(void **state) {
    (void)state;
    ats_model *m = load_demo();
    ats_run *kept = run_with(m, SIZE_MAX), *lazy = run_with(m, 1);
    const float *a, *b;
    assert_true(ats_run_attention_try_acquire(kept, 1, 2, &a));
    assert_ptr_equal(a, ats_run_attention(kept, 1, 2));
    assert_false(ats_run_attention_try_acquire(lazy, 1, 2, &b));
    assert_null(b);
    assert_false(ats_run_attention_try_acquire(lazy, 99, 0, &b));
    assert_false(ats_run_attention_try_acquire(lazy, 0, -1, &b));
    assert_int_equal(ats_run_attention_acquire(lazy, 1, 2, &b, NULL), ATS_OK);
    ats_run_attention_release(lazy, b);
    const float *c;
    assert_true(ats_run_attention_try_acquire(lazy, 1, 2, &c)); /* cached now */
    int T = ats_run_n_tokens(lazy);
    assert_memory_equal(c, a, (size_t)T * (size_t)T * sizeof *c);
    ats_run_attention_release(lazy, c);
    ats_run_free(kept);
    ats_run_free(lazy);
    ats_model_free(m);
}

/* An asynchronous heatmap: the first build has no head ("not yet", one pending, named), the
 * fetcher's wake says it arrived, and the next build draws the kept run's head bit for bit. A
 * view without a fetcher computes during the build (the default: command line, exports). */
static void test_async_view(void **state) {
    (void)state;
    ats_model *m = load_demo();
    ats_run *kept = run_with(m, SIZE_MAX), *lazy = run_with(m, 1);
    int T = ats_run_n_tokens(lazy);
    size_t bytes = (size_t)T * (size_t)T * sizeof(float);
    waker w;
    waker_init(&w);
    ats_head_fetcher *f;
    assert_int_equal(ats_head_fetcher_new(wake, &w, &f, NULL), ATS_OK);
    ats_font *font;
    assert_int_equal(ats_font_open(NULL, &font, NULL), ATS_OK);
    ats_view *view;
    assert_int_equal(ats_view_new(&view), ATS_OK);
    ats_view_state st = ats_view_state_default();
    st.layer = 1;
    st.head = 2;

    ats_head_fetcher_begin(f);
    ats_run_view vd;
    assert_int_equal(ats_run_view_make(&vd, m, lazy, TEXT, NULL), ATS_OK);
    ats_run_view_set_fetcher(&vd, f);
    assert_int_equal(ats_view_build(view, &st, &vd.data, font, 600, 400, NULL), ATS_OK);
    assert_int_equal(vd.n_pending, 1);
    assert_int_equal(vd.pending_layer, 1);
    assert_int_equal(vd.pending_head, 2);
    assert_null(ats_view_data_head(&vd.data, 1, 2)); /* still not there during this build */
    ats_run_view_free(&vd);

    wait_wakes(&w, 1);
    assert_true(ats_head_fetcher_arrived(f));
    assert_false(ats_head_fetcher_arrived(f)); /* said once */
    ats_head_fetcher_begin(f);
    assert_int_equal(ats_run_view_make(&vd, m, lazy, TEXT, NULL), ATS_OK);
    ats_run_view_set_fetcher(&vd, f);
    assert_int_equal(ats_view_build(view, &st, &vd.data, font, 600, 400, NULL), ATS_OK);
    assert_int_equal(vd.n_pending, 0);
    const float *got = ats_view_data_head(&vd.data, 1, 2);
    assert_non_null(got);
    assert_memory_equal(got, ats_run_attention(kept, 1, 2), bytes);
    const float *acq;
    assert_int_equal(ats_run_attention_acquire(lazy, 1, 2, &acq, NULL), ATS_OK);
    assert_memory_equal(got, acq, bytes);
    ats_run_attention_release(lazy, acq);
    ats_run_view_free(&vd);
    ats_head_fetcher_counts c = ats_head_fetcher_get_counts(f);
    assert_int_equal(c.requested, 1);
    assert_int_equal(c.computed, 1);
    assert_int_equal(c.dropped, 0);

    /* without a fetcher: every head at once, as before */
    assert_int_equal(ats_run_view_make(&vd, m, lazy, TEXT, NULL), ATS_OK);
    const float *sync = ats_view_data_head(&vd.data, 0, 3);
    assert_non_null(sync);
    assert_memory_equal(sync, ats_run_attention(kept, 0, 3), bytes);
    assert_int_equal(vd.n_pending, 0);
    ats_run_view_free(&vd);
    /* a run kept whole has nothing to compute: the fetcher is not used */
    assert_int_equal(ats_run_view_make(&vd, m, kept, TEXT, NULL), ATS_OK);
    ats_run_view_set_fetcher(&vd, f);
    assert_ptr_equal(ats_view_data_head(&vd.data, 0, 3), ats_run_attention(kept, 0, 3));
    ats_run_view_free(&vd);
    assert_int_equal(ats_head_fetcher_get_counts(f).requested, 1);

    ats_view_free(view);
    ats_font_free(font);
    ats_head_fetcher_free(f);
    waker_destroy(&w);
    ats_run_free(kept);
    ats_run_free(lazy);
    ats_model_free(m);
}

/* A head asked for in one round and not in the next is dropped before it starts: the run's
 * cache never gets it. The fetcher's thread is held in the wake of the first head meanwhile. */
static void test_dropped_request_not_computed(void **state) {
    (void)state;
    ats_model *m = load_demo();
    ats_run *lazy = run_with(m, 1);
    waker w;
    waker_init(&w);
    ats_head_fetcher *f;
    assert_int_equal(ats_head_fetcher_new(wake, &w, &f, NULL), ATS_OK);
    set_gate(&w, true);
    ats_head_fetcher_begin(f);
    assert_true(ats_head_fetcher_request(f, lazy, 0, 0));
    wait_wakes(&w, 1); /* (0, 0) computed; the thread waits at the gate */
    ats_head_fetcher_begin(f);
    assert_true(ats_head_fetcher_request(f, lazy, 0, 1)); /* the user looks at head 1 ... */
    assert_true(ats_head_fetcher_request(f, lazy, 0, 1)); /* (asked twice, queued once) */
    ats_head_fetcher_begin(f);
    assert_true(ats_head_fetcher_request(f, lazy, 1, 3)); /* ... and moves on before it starts */
    set_gate(&w, false);
    wait_wakes(&w, 2);
    const float *a;
    assert_true(ats_run_attention_try_acquire(lazy, 1, 3, &a));
    ats_run_attention_release(lazy, a);
    assert_true(ats_run_attention_try_acquire(lazy, 0, 0, &a));
    ats_run_attention_release(lazy, a);
    assert_false(ats_run_attention_try_acquire(lazy, 0, 1, &a)); /* never computed */
    ats_head_fetcher_counts c = ats_head_fetcher_get_counts(f);
    assert_int_equal(c.requested, 3);
    assert_int_equal(c.computed, 2);
    assert_int_equal(c.dropped, 1);
    ats_head_fetcher_free(f);
    assert_int_equal(wakes_of(&w), 2);
    waker_destroy(&w);
    ats_run_free(lazy);
    ats_model_free(m);
}

/* A head that cannot be had (here out of range; in the window, out of memory) is tried once: the
 * wake still comes (the placeholder goes), and asking again while it is wanted says "not
 * pending" instead of computing it in a loop; two rounds without it and it may be tried again. */
static void test_failed_head_not_retried(void **state) {
    (void)state;
    ats_model *m = load_demo();
    ats_run *lazy = run_with(m, 1);
    waker w;
    waker_init(&w);
    ats_head_fetcher *f;
    assert_int_equal(ats_head_fetcher_new(wake, &w, &f, NULL), ATS_OK);
    ats_head_fetcher_begin(f);
    assert_true(ats_head_fetcher_request(f, lazy, 99, 0));
    wait_wakes(&w, 1);
    assert_false(ats_head_fetcher_arrived(f)); /* nothing was computed */
    for (int round = 0; round < 3; round++) {  /* the frames that still show it */
        ats_head_fetcher_begin(f);
        assert_false(ats_head_fetcher_request(f, lazy, 99, 0));
    }
    ats_head_fetcher_begin(f); /* two rounds without it */
    ats_head_fetcher_begin(f);
    for (int i = 0; i < 1000 && ats_head_fetcher_request(f, lazy, 99, 0) == false; i++) {
        ats_head_fetcher_begin(f); /* (the thread lets go of the marker soon after) */
        ats_head_fetcher_begin(f);
        ats_sleep_ms(1);
    }
    wait_wakes(&w, 2); /* tried again, once */
    ats_head_fetcher_counts c = ats_head_fetcher_get_counts(f);
    assert_int_equal(c.requested, 2);
    assert_int_equal(c.computed, 0);
    ats_head_fetcher_free(f); /* releases the marker's run reference (asan: no leak) */
    waker_destroy(&w);
    ats_run_free(lazy);
    ats_model_free(m);
}

/* Requests pending everywhere when the views, the runs and the fetcher go: the fetcher holds
 * its runs until it is done with them, freeing waits for the head in progress only, and no
 * wake comes after. Also a new run replacing the shown one: the old run's requests are dropped
 * while the fetcher is the last to hold it. */
static void test_free_with_requests_pending(void **state) {
    (void)state;
    ats_model *m = load_demo();
    const ats_model_config *cfg = ats_model_get_config(m);
    for (int round = 0; round < 3; round++) {
        waker w;
        waker_init(&w);
        ats_head_fetcher *f;
        assert_int_equal(ats_head_fetcher_new(wake, &w, &f, NULL), ATS_OK);
        ats_run *old = run_with(m, 1);
        ats_head_fetcher_begin(f);
        ats_run_view vd;
        assert_int_equal(ats_run_view_make(&vd, m, old, TEXT, NULL), ATS_OK);
        ats_run_view_set_fetcher(&vd, f);
        for (int l = 0; l < cfg->n_layer; l++) /* every head, as a very busy frame would */
            for (int h = 0; h < cfg->n_head; h++)
                ats_view_data_head(&vd.data, l, h);
        assert_true(vd.n_pending > 0);
        ats_run_view_free(&vd);
        ats_run_free(old); /* the window drops the run: only the fetcher holds it now */
        ats_run *fresh = run_with(m, 1);
        if (round > 0) { /* the next frame shows a new run: the old one's requests go */
            ats_head_fetcher_begin(f);
            assert_true(ats_head_fetcher_request(f, fresh, 0, 0));
        }
        if (round == 2)
            wait_wakes(&w, 1);
        ats_head_fetcher_free(f); /* with requests pending (at least in rounds 0 and 1) */
        int wakes = wakes_of(&w);
        ats_sleep_ms(20);
        assert_int_equal(wakes_of(&w), wakes); /* nothing after free */
        waker_destroy(&w);
        ats_run_free(fresh);
    }
    ats_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_try_acquire),
        cmocka_unit_test(test_async_view),
        cmocka_unit_test(test_dropped_request_not_computed),
        cmocka_unit_test(test_failed_head_not_retried),
        cmocka_unit_test(test_free_with_requests_pending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
