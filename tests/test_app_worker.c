/* The worker thread: runs and loads off the UI thread, superseding of pending runs, the
 * mailbox's ordering, failures that leave the previous result alone, the lifetime of a model
 * swapped out while a run still uses it, shutdown with work pending, a run in progress cancelled
 * by a newer one, and outcomes replaced in the mailbox freed outside the lock the UI thread waits
 * for. */
#include "test_support.h"

#include "base.h"
#include "model.h"
#include "shared_model.h"
#include "worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Polls until an outcome arrives (fails the test after 20 s). */
static void wait_event(ats_worker *w, ats_worker_event *ev) {
    for (int i = 0; i < 20000; i++) {
        if (ats_worker_poll(w, ev))
            return;
        ats_sleep_ms(1);
    }
    fail_msg("no outcome from the worker within 20 s");
}

/* Waits until the worker has nothing pending or computing. */
static void wait_idle(ats_worker *w) {
    for (int i = 0; i < 20000 && (ats_worker_running(w) || ats_worker_loading(w)); i++)
        ats_sleep_ms(1);
    assert_false(ats_worker_running(w));
    assert_false(ats_worker_loading(w));
}

static ats_shared_model *load_demo(void) {
    ats_model *m = NULL;
    ats_error err;
    assert_int_equal(ats_model_load("builtin:demo", NULL, &m, &err), ATS_OK);
    ats_shared_model *s = ats_shared_model_wrap(m);
    assert_non_null(s);
    return s;
}

static int setup(void **state) {
    *state = load_demo();
    return 0;
}

static int teardown(void **state) {
    ats_shared_model_free(*state);
    assert_int_equal(ats_shared_model_live_count(), 0);
    return 0;
}

static void test_app_worker_run_comes_back_with_timings(void **state) {
    ats_shared_model *model = *state;
    ats_worker *w = ats_worker_new(NULL, NULL);
    assert_non_null(w);
    ats_worker_event ev;
    assert_false(ats_worker_poll(w, &ev));
    const char *text = "The cat sat on the mat.";
    uint64_t seq = ats_worker_post_run(w, model, text, strlen(text), NULL);
    assert_true(seq > 0);
    wait_event(w, &ev);
    assert_int_equal(ev.kind, ATS_WORKER_RUN_DONE);
    assert_int_equal(ev.seq, seq);
    assert_non_null(ev.run);
    assert_true(ats_run_n_tokens(ev.run) > 3);
    assert_ptr_equal(ev.model, model);
    assert_int_equal(ev.text_len, strlen(text));
    assert_string_equal(ev.text, text);
    assert_true(ev.tokenize_ms >= 0 && ev.forward_ms >= 0);
    /* token spans index into the returned text */
    const ats_tokens *tokens = ats_run_get_tokens(ev.run);
    for (int i = 0; i < ats_tokens_count(tokens); i++)
        assert_true(ats_tokens_get(tokens, i)->end <= (int32_t)ev.text_len);
    ats_worker_event_clear(&ev);
    assert_false(ats_worker_poll(w, &ev));
    ats_worker_free(w);
}

static void test_app_worker_newer_run_supersedes_pending(void **state) {
    ats_shared_model *model = *state;
    ats_worker *w = ats_worker_new(NULL, NULL);
    ats_worker_hold(w, true);
    uint64_t a = ats_worker_post_run(w, model, "one", 3, NULL);
    uint64_t b = ats_worker_post_run(w, model, "one two", 7, NULL);
    uint64_t c = ats_worker_post_run(w, model, "one two three", 13, NULL);
    assert_true(a < b && b < c);
    assert_true(ats_worker_running(w));
    ats_worker_event ev;
    ats_sleep_ms(20);
    assert_false(ats_worker_poll(w, &ev)); /* held: nothing started */
    ats_worker_hold(w, false);
    wait_idle(w);
    assert_true(ats_worker_poll(w, &ev));
    assert_int_equal(ev.kind, ATS_WORKER_RUN_DONE);
    assert_int_equal(ev.seq, c);
    assert_string_equal(ev.text, "one two three");
    ats_worker_event_clear(&ev);
    assert_false(ats_worker_poll(w, &ev)); /* a and b never ran */
    ats_worker_free(w);
}

static void test_app_worker_failures_come_back_as_messages(void **state) {
    ats_shared_model *model = *state;
    ats_worker *w = ats_worker_new(NULL, NULL);
    ats_worker_event ev;
    uint64_t seq = ats_worker_post_run(w, model, "", 0, NULL);
    wait_event(w, &ev);
    assert_int_equal(ev.kind, ATS_WORKER_RUN_FAILED);
    assert_int_equal(ev.seq, seq);
    assert_null(ev.run);
    assert_int_equal(ev.error.status, ATS_ERR_ARG);
    assert_non_null(strstr(ev.error.message, "no tokens"));
    ats_worker_event_clear(&ev);

    seq = ats_worker_post_run(w, model, "bad \xFF text", 10, NULL);
    wait_event(w, &ev);
    assert_int_equal(ev.kind, ATS_WORKER_RUN_FAILED);
    assert_int_equal(ev.error.status, ATS_ERR_FORMAT);
    assert_non_null(strstr(ev.error.message, "UTF-8"));
    ats_worker_event_clear(&ev);
    ats_worker_free(w);
}

static void test_app_worker_mailbox_order(void **state) {
    ats_shared_model *model = *state;
    ats_worker *w = ats_worker_new(NULL, NULL);
    ats_worker_event ev;
    /* a success then a failure, both unpolled: both come back, oldest first */
    uint64_t s1 = ats_worker_post_run(w, model, "fine", 4, NULL);
    wait_idle(w);
    uint64_t s2 = ats_worker_post_run(w, model, "", 0, NULL);
    wait_idle(w);
    assert_true(ats_worker_poll(w, &ev));
    assert_int_equal(ev.seq, s1);
    assert_int_equal(ev.kind, ATS_WORKER_RUN_DONE);
    ats_worker_event_clear(&ev);
    assert_true(ats_worker_poll(w, &ev));
    assert_int_equal(ev.seq, s2);
    assert_int_equal(ev.kind, ATS_WORKER_RUN_FAILED);
    ats_worker_event_clear(&ev);

    /* success, failure, newer success, unpolled: only the newest success is left */
    ats_worker_post_run(w, model, "fine", 4, NULL);
    wait_idle(w);
    ats_worker_post_run(w, model, "", 0, NULL);
    wait_idle(w);
    uint64_t s5 = ats_worker_post_run(w, model, "fine again", 10, NULL);
    wait_idle(w);
    assert_true(ats_worker_poll(w, &ev));
    assert_int_equal(ev.seq, s5);
    assert_int_equal(ev.kind, ATS_WORKER_RUN_DONE);
    ats_worker_event_clear(&ev);
    assert_false(ats_worker_poll(w, &ev));
    ats_worker_free(w);
}

static void test_app_worker_loads_in_background(void **state) {
    (void)state;
    ats_worker *w = ats_worker_new(NULL, NULL);
    ats_worker_event ev;
    ats_worker_hold(w, true);
    uint64_t seq = ats_worker_post_load(w, "builtin:demo", NULL);
    assert_true(ats_worker_loading(w)); /* the UI shows "loading" from the moment it posts */
    assert_false(ats_worker_running(w));
    ats_worker_hold(w, false);
    wait_event(w, &ev);
    assert_int_equal(ev.kind, ATS_WORKER_LOAD_DONE);
    assert_int_equal(ev.seq, seq);
    assert_non_null(ev.model);
    assert_string_equal(ev.path, "builtin:demo");
    assert_string_equal(ats_model_get_info(ats_shared_model_get(ev.model))->name, "builtin:demo");
    assert_false(ats_worker_loading(w));
    ats_worker_event_clear(&ev);

    seq = ats_worker_post_load(w, "/nonexistent/attnscope-model.gguf", NULL);
    wait_event(w, &ev);
    assert_int_equal(ev.kind, ATS_WORKER_LOAD_FAILED);
    assert_int_equal(ev.seq, seq);
    assert_null(ev.model);
    assert_non_null(strstr(ev.error.message, "attnscope-model.gguf"));
    ats_worker_event_clear(&ev);

    /* a broken file: the message names it */
    char *dir = ats_make_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/broken.gguf", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("this is not a model", f);
    fclose(f);
    ats_worker_post_load(w, path, NULL);
    wait_event(w, &ev);
    assert_int_equal(ev.kind, ATS_WORKER_LOAD_FAILED);
    assert_non_null(strstr(ev.error.message, "broken.gguf"));
    ats_worker_event_clear(&ev);
    ats_rmtree(dir);
    free(dir);
    ats_worker_free(w);
}

static void test_app_worker_newer_load_supersedes_pending(void **state) {
    (void)state;
    ats_worker *w = ats_worker_new(NULL, NULL);
    ats_worker_hold(w, true);
    ats_load_opts lo = ats_load_opts_default();
    lo.tokenizer_path = "/nonexistent/tokenizer.bin"; /* copied: the caller's string may go */
    ats_worker_post_load(w, "/nonexistent/first", &lo);
    uint64_t second = ats_worker_post_load(w, "builtin:demo", &lo);
    ats_worker_hold(w, false);
    wait_idle(w);
    ats_worker_event ev;
    assert_true(ats_worker_poll(w, &ev));
    assert_int_equal(ev.seq, second);
    assert_int_equal(ev.kind, ATS_WORKER_LOAD_DONE);
    ats_worker_event_clear(&ev);
    assert_false(ats_worker_poll(w, &ev));
    ats_worker_free(w);
}

static void test_app_worker_swapped_model_lives_until_its_run_ends(void **state) {
    (void)state;
    int before = ats_shared_model_live_count();
    ats_shared_model *old_model = load_demo();
    ats_worker *w = ats_worker_new(NULL, NULL);
    ats_worker_hold(w, true);
    uint64_t seq = ats_worker_post_run(w, old_model, "still running", 13, NULL);
    /* the UI swaps in another model and lets go of the old one */
    ats_shared_model_free(old_model);
    assert_int_equal(ats_shared_model_live_count(), before + 1); /* the pending run holds it */
    ats_worker_hold(w, false);
    ats_worker_event ev;
    wait_event(w, &ev);
    assert_int_equal(ev.seq, seq);
    assert_int_equal(ev.kind, ATS_WORKER_RUN_DONE);
    assert_ptr_equal(ev.model, old_model); /* the outcome says which model it came from */
    assert_int_equal(ats_shared_model_live_count(), before + 1);
    ats_worker_event_clear(&ev);
    assert_int_equal(ats_shared_model_live_count(), before); /* freed with the last user */
    ats_worker_free(w);
}

static void test_app_worker_superseded_request_releases_model(void **state) {
    ats_shared_model *model = *state;
    int before = ats_shared_model_live_count();
    ats_shared_model *other = load_demo();
    ats_worker *w = ats_worker_new(NULL, NULL);
    ats_worker_hold(w, true);
    ats_worker_post_run(w, other, "on the other model", 18, NULL);
    ats_shared_model_free(other);
    assert_int_equal(ats_shared_model_live_count(), before + 1);
    ats_worker_post_run(w, model, "replaces it", 11, NULL);
    assert_int_equal(ats_shared_model_live_count(), before); /* dropped with its request */
    ats_worker_free(w);
}

static void test_app_worker_shutdown_with_work_pending(void **state) {
    ats_shared_model *model = *state;
    ats_worker *w = ats_worker_new(NULL, NULL);
    ats_worker_hold(w, true);
    ats_worker_post_run(w, model, "never computed", 14, NULL);
    ats_worker_post_load(w, "builtin:demo", NULL);
    ats_worker_free(w); /* frees the pending requests (ASan checks) */

    /* and with a finished outcome nobody polled */
    w = ats_worker_new(NULL, NULL);
    ats_worker_post_run(w, model, "computed, never polled", 22, NULL);
    wait_idle(w);
    ats_worker_free(w);
    ats_worker_free(NULL);
}

static atomic_int notified;

static void count_notify(void *user) {
    (void)user;
    atomic_fetch_add(&notified, 1);
}

static void test_app_worker_notifies_the_ui(void **state) {
    ats_shared_model *model = *state;
    atomic_store(&notified, 0);
    ats_worker *w = ats_worker_new(count_notify, NULL);
    ats_worker_post_run(w, model, "wake up", 7, NULL);
    wait_idle(w);
    ats_worker_post_load(w, "builtin:demo", NULL);
    wait_idle(w);
    assert_int_equal(atomic_load(&notified), 2);
    ats_worker_free(w);
}

static void test_app_worker_wait_is_bounded(void **state) {
    ats_shared_model *model = *state;
    ats_worker *w = ats_worker_new(NULL, NULL);
    /* nothing will come: the wait ends at its timeout */
    double t0 = ats_clock_ms();
    assert_false(ats_worker_wait(w, 30));
    double waited = ats_clock_ms() - t0;
    assert_true(waited >= 29 && waited < 2000);
    /* held: the run cannot start, the wait still ends */
    ats_worker_hold(w, true);
    ats_worker_post_run(w, model, "held", 4, NULL);
    assert_false(ats_worker_wait(w, 5));
    ats_worker_hold(w, false);
    /* a fast run arrives within a generous budget, and the wait returns as soon as it does */
    assert_true(ats_worker_wait(w, 10000));
    ats_worker_event ev;
    assert_true(ats_worker_poll(w, &ev));
    ats_worker_event_clear(&ev);
    ats_worker_free(w);
}

static void test_app_worker_many_quick_posts(void **state) {
    ats_shared_model *model = *state;
    ats_worker *w = ats_worker_new(NULL, NULL);
    /* as fast as typing can go: the last text always comes back, nothing leaks */
    char text[64] = "";
    uint64_t last = 0, shown = 0;
    for (int i = 0; i < 200; i++) {
        size_t n = strlen(text);
        text[n] = (char)('a' + i % 26);
        text[n + 1] = '\0';
        if (n > 40)
            text[0] = '\0';
        last = ats_worker_post_run(w, model, text, strlen(text), NULL);
        ats_worker_event ev;
        while (ats_worker_poll(w, &ev)) {
            assert_true(ev.seq > shown); /* outcomes only move forward */
            shown = ev.seq;
            ats_worker_event_clear(&ev);
        }
    }
    wait_idle(w);
    ats_worker_event ev;
    while (ats_worker_poll(w, &ev)) {
        shown = ev.seq;
        ats_worker_event_clear(&ev);
    }
    assert_int_equal(shown, last);
    ats_worker_free(w);
}

/* ---- outcomes replaced in the mailbox are freed outside the worker's lock ------------------ */

/* The hook's side: records whether the worker's lock was free at the free, and (when it was)
 * holds the free, as a slow munmap would, until the test's thread has made its UI calls. */
typedef struct discard_probe {
    ats_worker *w;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int discarded;  /* hook calls */
    int under_lock; /* of them, with the worker's lock held */
    ats_worker_event_kind kind;
    bool ui_done; /* the UI thread's calls during the current free are over */
} discard_probe;

static void probe_hook(void *user, const ats_worker_event *ev) {
    discard_probe *p = user;
    bool lock_free = ats_worker_lock_is_free(p->w); /* nobody else can hold it now: see below */
    pthread_mutex_lock(&p->mu);
    p->discarded++;
    p->under_lock += !lock_free;
    p->kind = ev->kind;
    pthread_cond_broadcast(&p->cv);
    while (lock_free && !p->ui_done) /* under the lock the UI thread could never get here */
        pthread_cond_wait(&p->cv, &p->mu);
    p->ui_done = false;
    pthread_mutex_unlock(&p->mu);
}

typedef enum post_kind { POST_RUN, POST_BAD_RUN, POST_LOAD } post_kind;

static void post(ats_worker *w, ats_shared_model *model, post_kind kind) {
    static const char good[] = "The cat sat on the mat.", bad[] = "bad \xff text";
    uint64_t seq = kind == POST_LOAD  ? ats_worker_post_load(w, "builtin:demo", NULL)
                   : kind == POST_RUN ? ats_worker_post_run(w, model, good, strlen(good), NULL)
                                      : ats_worker_post_run(w, model, bad, strlen(bad), NULL);
    assert_true(seq > 0);
}

/* `first` finishes and waits unpolled; `second` replaces it in the mailbox, so the worker frees
 * the first outcome (of kind `freed`). While that free is held up in the hook, the UI thread's
 * calls (poll, running, loading, a new post) all return: none waits for the free. The test's
 * thread touches the worker only while the hook holds the free, so when the hook tests the lock
 * only the freeing thread itself could be holding it. */
static void check_replaced_outside_lock(ats_shared_model *model, post_kind first, post_kind second,
                                        ats_worker_event_kind freed) {
    discard_probe p = {.cv = PTHREAD_COND_INITIALIZER, .mu = PTHREAD_MUTEX_INITIALIZER};
    ats_worker *w = ats_worker_new(NULL, NULL);
    assert_non_null(w);
    p.w = w;
    ats_worker_set_discard_hook(w, probe_hook, &p);
    post(w, model, first);
    assert_true(ats_worker_wait(w, 20000)); /* delivered, not polled */
    post(w, model, second);
    pthread_mutex_lock(&p.mu);
    while (p.discarded == 0)
        pthread_cond_wait(&p.cv, &p.mu);
    pthread_mutex_unlock(&p.mu);
    assert_int_equal(p.under_lock, 0);
    assert_int_equal(p.kind, freed);
    /* the hook holds the free: the UI's calls go through meanwhile */
    ats_worker_event ev;
    assert_true(ats_worker_poll(w, &ev)); /* the second outcome */
    assert_int_equal(ev.kind, second == POST_LOAD  ? ATS_WORKER_LOAD_DONE
                              : second == POST_RUN ? ATS_WORKER_RUN_DONE
                                                   : ATS_WORKER_RUN_FAILED);
    ats_worker_event_clear(&ev);
    assert_false(ats_worker_poll(w, &ev));
    (void)ats_worker_running(w);
    (void)ats_worker_loading(w);
    post(w, model, POST_RUN);
    pthread_mutex_lock(&p.mu);
    p.ui_done = true;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    wait_idle(w);
    ats_worker_free(w);
    assert_int_equal(p.under_lock, 0);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
}

static void test_app_worker_frees_replaced_outcomes_outside_the_lock(void **state) {
    ats_shared_model *model = *state;
    check_replaced_outside_lock(model, POST_RUN, POST_RUN, ATS_WORKER_RUN_DONE);
    check_replaced_outside_lock(model, POST_BAD_RUN, POST_BAD_RUN, ATS_WORKER_RUN_FAILED);
    check_replaced_outside_lock(model, POST_BAD_RUN, POST_RUN, ATS_WORKER_RUN_FAILED);
    check_replaced_outside_lock(model, POST_LOAD, POST_LOAD, ATS_WORKER_LOAD_DONE);
}

/* A run in progress is cancelled when a newer one is posted: it has no outcome, the newer run's
 * comes. The demo model's token vectors are made here to wait, so the first run is surely
 * computing (inside its forward pass) when the second is posted. */
static ats_embed_fn demo_embed;
static atomic_int embed_calls;
static atomic_bool embed_go;

static void waiting_embed(const ats_model *m, int32_t id, float *out) {
    if (atomic_fetch_add(&embed_calls, 1) == 0) /* the first token of the first run */
        for (int i = 0; i < 20000 && !atomic_load(&embed_go); i++)
            ats_sleep_ms(1);
    demo_embed(m, id, out);
}

static void test_app_worker_newer_run_cancels_computing(void **state) {
    (void)state;
    ats_model *m = NULL;
    assert_int_equal(ats_model_load("builtin:demo", NULL, &m, NULL), ATS_OK);
    demo_embed = m->embed_fn;
    m->embed_fn = waiting_embed;
    atomic_store(&embed_calls, 0);
    atomic_store(&embed_go, false);
    ats_shared_model *model = ats_shared_model_wrap(m);
    ats_worker *w = ats_worker_new(NULL, NULL);
    uint64_t a = ats_worker_post_run(w, model, "the first text", 14, NULL);
    for (int i = 0; i < 20000 && atomic_load(&embed_calls) == 0; i++)
        ats_sleep_ms(1);
    assert_true(atomic_load(&embed_calls) > 0); /* a is inside its forward pass */
    uint64_t b = ats_worker_post_run(w, model, "the second text", 15, NULL);
    assert_true(a < b);
    atomic_store(&embed_go, true);
    wait_idle(w);
    ats_worker_event ev;
    assert_true(ats_worker_poll(w, &ev));
    assert_int_equal(ev.kind, ATS_WORKER_RUN_DONE);
    assert_int_equal(ev.seq, b);
    assert_string_equal(ev.text, "the second text");
    ats_worker_event_clear(&ev);
    assert_false(ats_worker_poll(w, &ev)); /* a left nothing, not even a failure */
    assert_int_equal(ats_worker_cancelled(w), 1);
    ats_worker_free(w);
    ats_shared_model_free(model);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_worker_run_comes_back_with_timings),
        cmocka_unit_test(test_app_worker_newer_run_supersedes_pending),
        cmocka_unit_test(test_app_worker_failures_come_back_as_messages),
        cmocka_unit_test(test_app_worker_mailbox_order),
        cmocka_unit_test(test_app_worker_loads_in_background),
        cmocka_unit_test(test_app_worker_newer_load_supersedes_pending),
        cmocka_unit_test(test_app_worker_swapped_model_lives_until_its_run_ends),
        cmocka_unit_test(test_app_worker_superseded_request_releases_model),
        cmocka_unit_test(test_app_worker_shutdown_with_work_pending),
        cmocka_unit_test(test_app_worker_notifies_the_ui),
        cmocka_unit_test(test_app_worker_wait_is_bounded),
        cmocka_unit_test(test_app_worker_many_quick_posts),
        cmocka_unit_test(test_app_worker_frees_replaced_outcomes_outside_the_lock),
        cmocka_unit_test(test_app_worker_newer_run_cancels_computing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
