#include "worker.h"
#include "base.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct run_request {
    bool present;
    uint64_t seq;
    ats_shared_model *model;
    char *text;
    size_t len;
    ats_run_opts opts;
    bool seq2seq; /* an encoder-decoder run: */
    char *target; /* the decoder's text, or NULL to generate */
    size_t target_len;
    ats_head_ref *ablate;      /* owned copy of opts.ablate */
    ats_extras_request extras; /* its compare text owned */
} run_request;

typedef struct load_request {
    bool present;
    uint64_t seq;
    char *path;
    char *tokenizer_path;
    ats_load_opts opts;
} load_request;

struct ats_worker {
    pthread_mutex_t mu;
    pthread_cond_t run_cv, load_cv; /* signalled when a request arrives, on hold changes, on quit */
    pthread_cond_t delivered_cv;    /* signalled when an outcome lands in the mailbox */
    pthread_t run_thread, load_thread;
    bool run_started, load_started;
    bool quit, hold;
    uint64_t last_seq;
    run_request pending_run;
    load_request pending_load;
    bool run_active, load_active;
    /* set when a newer run is posted while one computes: the engine asks between layers and
     * stops (or at shutdown) */
    atomic_bool cancel_run;
    int cancelled; /* runs stopped that way */
    /* the mailbox */
    ats_worker_event done, failed, loaded;
    void (*notify)(void *user);
    void *notify_user;
    /* tests only: set before the first post, read by the worker threads */
    void (*discard_hook)(void *user, const ats_worker_event *ev);
    void *discard_user;
};

void ats_worker_event_clear(ats_worker_event *ev) {
    ats_run_free(ev->run);
    ats_shared_model_free(ev->model);
    free(ev->text);
    free(ev->target);
    free(ev->path);
    ats_run_extras_free(ev->extras);
    *ev = (ats_worker_event){0};
}

static void run_request_clear(run_request *r) {
    ats_shared_model_free(r->model);
    free(r->text);
    free(r->target);
    free(r->ablate);
    free(r->extras.compare);
    ats_shared_model_free(r->extras.compare_model);
    *r = (run_request){0};
}

static void load_request_clear(load_request *r) {
    free(r->path);
    free(r->tokenizer_path);
    *r = (load_request){0};
}

static char *copy_string(const char *s, size_t len) {
    char *p = malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

/* ---- the computations (no lock held) ------------------------------------------------------- */

/* ats_run_opts.cancel: a newer run was posted (or the worker is stopping). */
static bool run_superseded(void *user) {
    ats_worker *w = user;
    return atomic_load_explicit(&w->cancel_run, memory_order_relaxed);
}

/* `last` is the run thread's own reference to the run it made last: for a causal model the
 * engine copies its results for the unchanged start of the text, so typing at the end of a long
 * text recomputes only the new tokens. */
static void compute_run(ats_worker *w, run_request *req, ats_worker_event *ev, ats_run **last) {
    *ev = (ats_worker_event){.seq = req->seq,
                             .model = req->model,
                             .text = req->text,
                             .text_len = req->len,
                             .target = req->target,
                             .target_len = req->target_len,
                             .generated = req->seq2seq && !req->target};
    req->model = NULL; /* the event owns them now */
    req->text = NULL;
    req->target = NULL;
    const ats_model *model = ats_shared_model_get(ev->model);
    req->opts.cancel = run_superseded;
    req->opts.cancel_user = w;
    ats_status s;
    if (req->seq2seq) {
        s = ats_run_seq2seq(model, ev->text, ev->text_len, ev->target, ev->target_len, &req->opts,
                            &ev->run, &ev->error);
    } else {
        /* the values of every layer stay for value-weighted attention */
        req->opts.keep_cache = ats_model_get_config(model)->causal || req->extras.value_norms;
        req->opts.reuse = *last; /* ignored by the engine unless the same model made it */
        s = ats_run_text(model, ev->text, ev->text_len, &req->opts, &ev->run, &ev->error);
    }
    if (s == ATS_OK && (ev->extras = malloc(sizeof *ev->extras)))
        ats_run_extras_compute(model, ev->run, &req->opts, &req->extras, ev->extras);
    if (s == ATS_ERR_CANCELLED) {
        ev->kind = ATS_WORKER_NONE; /* no outcome: the newer run's comes instead */
    } else if (s == ATS_OK) {
        ats_run_timings(ev->run, &ev->tokenize_ms, &ev->forward_ms);
        ats_run_free(*last);
        *last = ats_run_retain(ev->run);
        ev->kind = ATS_WORKER_RUN_DONE;
    } else {
        ev->kind = ATS_WORKER_RUN_FAILED;
    }
}

static void compute_load(load_request *req, ats_worker_event *ev) {
    *ev = (ats_worker_event){.seq = req->seq, .path = req->path};
    req->path = NULL;
    req->opts.tokenizer_path = req->tokenizer_path;
    double t0 = ats_clock_ms();
    ats_model *model = NULL;
    ats_status s = ats_model_load(ev->path, &req->opts, &model, &ev->error);
    ev->load_ms = ats_clock_ms() - t0;
    if (s == ATS_OK && !(ev->model = ats_shared_model_wrap(model)))
        s = ats_fail(&ev->error, ATS_ERR_NOMEM, "%s: out of memory", ev->path);
    ev->kind = s == ATS_OK ? ATS_WORKER_LOAD_DONE : ATS_WORKER_LOAD_FAILED;
}

/* ---- delivery ------------------------------------------------------------------------------ */

/* Puts `ev` into the mailbox (lock held). The outcomes it replaces, nobody having polled them,
 * move to `out` (at most 2; the count is returned): the caller frees them with
 * discard() after unlocking, since freeing a run or the last reference to a model (an munmap of
 * gigabytes) may take long, and the UI thread waits for this lock in every call. */
static int deliver(ats_worker *w, ats_worker_event *ev, ats_worker_event out[2]) {
    int n = 0;
    ats_worker_event *slot = ev->kind == ATS_WORKER_RUN_DONE     ? &w->done
                             : ev->kind == ATS_WORKER_RUN_FAILED ? &w->failed
                                                                 : &w->loaded;
    if (slot->kind != ATS_WORKER_NONE)
        out[n++] = *slot;
    *slot = *ev;
    if (ev->kind == ATS_WORKER_RUN_DONE && w->failed.kind != ATS_WORKER_NONE &&
        w->failed.seq < ev->seq) {
        out[n++] = w->failed; /* a newer run succeeded: the failure is old news */
        w->failed = (ats_worker_event){0};
    }
    *ev = (ats_worker_event){0};
    pthread_cond_broadcast(&w->delivered_cv);
    return n;
}

/* Frees what deliver() replaced (lock not held). */
static void discard(ats_worker *w, ats_worker_event *evs, int n) {
    for (int i = 0; i < n; i++) {
        if (w->discard_hook)
            w->discard_hook(w->discard_user, &evs[i]);
        ats_worker_event_clear(&evs[i]);
    }
}

/* Delivers one finished outcome from a worker thread (lock not held on entry or exit). */
static void finish(ats_worker *w, ats_worker_event *ev, bool *active) {
    ats_worker_event replaced[2];
    pthread_mutex_lock(&w->mu);
    int n = deliver(w, ev, replaced);
    *active = false;
    pthread_mutex_unlock(&w->mu);
    discard(w, replaced, n);
    if (w->notify)
        w->notify(w->notify_user);
}

/* ---- the threads ---------------------------------------------------------------------------- */

static void *run_thread_main(void *arg) {
    ats_worker *w = arg;
    ats_run *last = NULL; /* this thread's reference to its newest run, for reuse */
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->quit && (w->hold || !w->pending_run.present))
            pthread_cond_wait(&w->run_cv, &w->mu);
        if (w->quit)
            break;
        run_request req = w->pending_run;
        w->pending_run = (run_request){0};
        w->run_active = true;
        atomic_store(&w->cancel_run, false);
        pthread_mutex_unlock(&w->mu);

        ats_worker_event ev;
        compute_run(w, &req, &ev, &last);
        run_request_clear(&req);
        if (ev.kind == ATS_WORKER_NONE) { /* cancelled: no outcome */
            ats_worker_event_clear(&ev);  /* may free a model: outside the lock */
            pthread_mutex_lock(&w->mu);
            w->cancelled++;
            w->run_active = false;
            pthread_mutex_unlock(&w->mu);
        } else {
            finish(w, &ev, &w->run_active);
        }
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    ats_run_free(last);
    return NULL;
}

static void *load_thread_main(void *arg) {
    ats_worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->quit && (w->hold || !w->pending_load.present))
            pthread_cond_wait(&w->load_cv, &w->mu);
        if (w->quit)
            break;
        load_request req = w->pending_load;
        w->pending_load = (load_request){0};
        w->load_active = true;
        pthread_mutex_unlock(&w->mu);

        ats_worker_event ev;
        compute_load(&req, &ev);
        load_request_clear(&req);
        finish(w, &ev, &w->load_active);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- the UI thread's side ------------------------------------------------------------------- */

ats_worker *ats_worker_new(void (*notify)(void *user), void *user) {
    ats_worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->notify = notify;
    w->notify_user = user;
    atomic_init(&w->cancel_run, false);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->run_cv, NULL);
    pthread_cond_init(&w->load_cv, NULL);
    pthread_condattr_t attr; /* timed waits on the monotonic clock: immune to clock changes */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->delivered_cv, &attr);
    pthread_condattr_destroy(&attr);
    w->run_started = pthread_create(&w->run_thread, NULL, run_thread_main, w) == 0;
    w->load_started =
        w->run_started && pthread_create(&w->load_thread, NULL, load_thread_main, w) == 0;
    if (!w->load_started) {
        ats_worker_free(w);
        return NULL;
    }
    return w;
}

void ats_worker_free(ats_worker *w) {
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->quit = true;
    atomic_store(&w->cancel_run, true); /* a run in progress stops at its next layer */
    pthread_cond_broadcast(&w->run_cv);
    pthread_cond_broadcast(&w->load_cv);
    pthread_mutex_unlock(&w->mu);
    if (w->run_started)
        pthread_join(w->run_thread, NULL);
    if (w->load_started)
        pthread_join(w->load_thread, NULL);
    run_request_clear(&w->pending_run);
    load_request_clear(&w->pending_load);
    ats_worker_event_clear(&w->done);
    ats_worker_event_clear(&w->failed);
    ats_worker_event_clear(&w->loaded);
    pthread_cond_destroy(&w->run_cv);
    pthread_cond_destroy(&w->load_cv);
    pthread_cond_destroy(&w->delivered_cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

static uint64_t post_run(ats_worker *w, ats_shared_model *model, run_request req,
                         const ats_run_opts *opts) {
    req.opts = opts ? *opts : ats_run_opts_default();
    if (req.opts.n_ablate > 0) { /* the caller's list may change before the run starts */
        size_t bytes = (size_t)req.opts.n_ablate * sizeof *req.ablate;
        if (!(req.ablate = malloc(bytes))) {
            run_request_clear(&req);
            return 0;
        }
        memcpy(req.ablate, req.opts.ablate, bytes);
        req.opts.ablate = req.ablate;
    }
    req.model = ats_shared_model_retain(model);
    pthread_mutex_lock(&w->mu);
    req.seq = ++w->last_seq;
    run_request superseded = w->pending_run;
    w->pending_run = req;
    if (w->run_active) /* the run computing now is stale: it stops at its next layer */
        atomic_store(&w->cancel_run, true);
    pthread_cond_signal(&w->run_cv);
    pthread_mutex_unlock(&w->mu);
    run_request_clear(&superseded); /* may free a model: outside the lock */
    return req.seq;
}

uint64_t ats_worker_post_run(ats_worker *w, ats_shared_model *model, const char *text, size_t len,
                             const ats_run_opts *opts) {
    run_request req = {.present = true, .text = copy_string(text, len), .len = len};
    if (!req.text)
        return 0;
    return post_run(w, model, req, opts);
}

uint64_t ats_worker_post_run_extras(ats_worker *w, ats_shared_model *model, const char *text,
                                    size_t len, const ats_run_opts *opts,
                                    const ats_extras_request *extras) {
    run_request req = {.present = true, .text = copy_string(text, len), .len = len};
    if (extras) {
        req.extras = *extras;
        req.extras.compare =
            extras->compare ? copy_string(extras->compare, extras->compare_len) : NULL;
        req.extras.compare_model = ats_shared_model_retain(extras->compare_model);
    }
    if (!req.text || (extras && extras->compare && !req.extras.compare)) {
        free(req.text);
        free(req.extras.compare);
        ats_shared_model_free(req.extras.compare_model);
        return 0;
    }
    return post_run(w, model, req, opts);
}

uint64_t ats_worker_post_seq2seq(ats_worker *w, ats_shared_model *model, const char *source,
                                 size_t len, const char *target, size_t target_len,
                                 const ats_run_opts *opts) {
    run_request req = {.present = true,
                       .text = copy_string(source, len),
                       .len = len,
                       .seq2seq = true,
                       .target = target ? copy_string(target, target_len) : NULL,
                       .target_len = target ? target_len : 0};
    if (!req.text || (target && !req.target)) {
        free(req.text);
        free(req.target);
        return 0;
    }
    return post_run(w, model, req, opts);
}

uint64_t ats_worker_post_load(ats_worker *w, const char *path, const ats_load_opts *opts) {
    load_request req = {.present = true, .path = copy_string(path, strlen(path))};
    req.opts = opts ? *opts : ats_load_opts_default();
    if (req.opts.tokenizer_path)
        req.tokenizer_path = copy_string(req.opts.tokenizer_path, strlen(req.opts.tokenizer_path));
    req.opts.tokenizer_path = NULL; /* set to our copy when the load starts */
    if (!req.path || (opts && opts->tokenizer_path && !req.tokenizer_path)) {
        load_request_clear(&req);
        return 0;
    }
    pthread_mutex_lock(&w->mu);
    req.seq = ++w->last_seq;
    load_request superseded = w->pending_load;
    w->pending_load = req;
    pthread_cond_signal(&w->load_cv);
    pthread_mutex_unlock(&w->mu);
    load_request_clear(&superseded);
    return req.seq;
}

bool ats_worker_poll(ats_worker *w, ats_worker_event *out) {
    pthread_mutex_lock(&w->mu);
    ats_worker_event *pick = NULL;
    if (w->loaded.kind != ATS_WORKER_NONE)
        pick = &w->loaded;
    else if (w->done.kind != ATS_WORKER_NONE &&
             (w->failed.kind == ATS_WORKER_NONE || w->done.seq < w->failed.seq))
        pick = &w->done;
    else if (w->failed.kind != ATS_WORKER_NONE)
        pick = &w->failed;
    if (pick) {
        *out = *pick;
        *pick = (ats_worker_event){0};
    }
    pthread_mutex_unlock(&w->mu);
    return pick != NULL;
}

static bool mailbox_full(const ats_worker *w) {
    return w->done.kind != ATS_WORKER_NONE || w->failed.kind != ATS_WORKER_NONE ||
           w->loaded.kind != ATS_WORKER_NONE;
}

bool ats_worker_wait(ats_worker *w, double timeout_ms) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    long long ns = (long long)until.tv_nsec + (long long)(timeout_ms * 1e6);
    until.tv_sec += (time_t)(ns / 1000000000LL);
    until.tv_nsec = (long)(ns % 1000000000LL);
    pthread_mutex_lock(&w->mu);
    int rc = 0;
    while (!mailbox_full(w) && rc == 0)
        rc = pthread_cond_timedwait(&w->delivered_cv, &w->mu, &until);
    bool full = mailbox_full(w);
    pthread_mutex_unlock(&w->mu);
    return full;
}

bool ats_worker_running(ats_worker *w) {
    pthread_mutex_lock(&w->mu);
    bool busy = w->pending_run.present || w->run_active;
    pthread_mutex_unlock(&w->mu);
    return busy;
}

bool ats_worker_loading(ats_worker *w) {
    pthread_mutex_lock(&w->mu);
    bool busy = w->pending_load.present || w->load_active;
    pthread_mutex_unlock(&w->mu);
    return busy;
}

int ats_worker_cancelled(ats_worker *w) {
    pthread_mutex_lock(&w->mu);
    int n = w->cancelled;
    pthread_mutex_unlock(&w->mu);
    return n;
}

void ats_worker_hold(ats_worker *w, bool hold) {
    pthread_mutex_lock(&w->mu);
    w->hold = hold;
    pthread_cond_broadcast(&w->run_cv);
    pthread_cond_broadcast(&w->load_cv);
    pthread_mutex_unlock(&w->mu);
}

void ats_worker_set_discard_hook(ats_worker *w,
                                 void (*hook)(void *user, const ats_worker_event *ev), void *user) {
    pthread_mutex_lock(&w->mu); /* the worker threads see it after their next lock */
    w->discard_hook = hook;
    w->discard_user = user;
    pthread_mutex_unlock(&w->mu);
}

bool ats_worker_lock_is_free(ats_worker *w) {
    if (pthread_mutex_trylock(&w->mu) != 0)
        return false;
    pthread_mutex_unlock(&w->mu);
    return true;
}
