/* Heads of on-demand runs computed on a thread of their own (rundata.h: ats_head_fetcher), for a
 * window whose UI thread must not compute them.
 *
 * One thread computes one head at a time through ats_run_attention_acquire and releases it at
 * once: the head then waits in the run's own cache (about a layer's worth of heads), where the
 * UI's next build finds it with ats_run_attention_try_acquire. So the run's cache is the only
 * home of computed heads; the fetcher keeps only requests.
 *
 * Each request holds a reference to its run, so a run the UI dropped stays alive until its
 * request is computed or dropped, and the last reference may be released here, on the
 * fetcher's thread (freeing a large run off the UI thread). Rounds: ats_head_fetcher_begin
 * starts one; a request not asked for again in the current round is dropped before it starts. */
#include "attnscope/rundata.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct fetch_req {
    ats_run *run; /* one reference */
    int layer, head;
    uint64_t round; /* the round it was last asked for in */
} fetch_req;

struct ats_head_fetcher {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* under mu */
    fetch_req *reqs; /* pending, oldest first */
    int n, cap;
    uint64_t round;
    bool stop;
    bool arrived;        /* a head was computed since ats_head_fetcher_arrived last said so */
    const ats_run *busy; /* the run of the head in progress (NULL: none) */
    int busy_layer, busy_head;
    /* the last head that could not be computed (out of memory): not asked again while wanted,
     * so a failing head is drawn empty instead of computed in a loop; dropped like a request */
    fetch_req failed;
    ats_head_fetcher_counts counts;
    /* set once */
    void (*wake)(void *user);
    void *wake_user;
};

static bool same(const fetch_req *r, const ats_run *run, int layer, int head) {
    return r->run == run && r->layer == layer && r->head == head;
}

/* Takes one request of a past round out of the queue (the others keep their order), or the
 * failed head's marker once neither this round nor the one before asked for it (the round just
 * begun may not have asked yet: dropping it then would compute the failing head again): its
 * run, for a release outside the lock; NULL when none is stale. Under mu. */
static ats_run *take_stale(ats_head_fetcher *f) {
    if (f->failed.run && f->failed.round + 1 < f->round) {
        ats_run *run = f->failed.run;
        f->failed = (fetch_req){0};
        return run;
    }
    for (int i = 0; i < f->n; i++) {
        if (f->reqs[i].round == f->round)
            continue;
        ats_run *run = f->reqs[i].run;
        for (int j = i + 1; j < f->n; j++)
            f->reqs[j - 1] = f->reqs[j];
        f->n--;
        f->counts.dropped++;
        return run;
    }
    return NULL;
}

static void *fetch_main(void *arg) {
    ats_head_fetcher *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        ats_run *stale = take_stale(f);
        if (stale) { /* released outside the lock: the last reference frees the run */
            pthread_mutex_unlock(&f->mu);
            ats_run_free(stale);
            pthread_mutex_lock(&f->mu);
            continue;
        }
        if (f->stop) /* (everything was stale: ats_head_fetcher_free began a round) */
            break;
        if (f->n == 0) {
            pthread_cond_wait(&f->cv, &f->mu);
            continue;
        }
        fetch_req r = f->reqs[0];
        for (int i = 1; i < f->n; i++)
            f->reqs[i - 1] = f->reqs[i];
        f->n--;
        f->busy = r.run;
        f->busy_layer = r.layer;
        f->busy_head = r.head;
        pthread_mutex_unlock(&f->mu);

        const float *a;
        bool ok = ats_run_attention_acquire(r.run, r.layer, r.head, &a, NULL) == ATS_OK;
        ats_run_attention_release(r.run, a); /* into the run's cache, where the UI looks */

        pthread_mutex_lock(&f->mu);
        f->busy = NULL;
        ats_run *done = r.run;
        if (ok) {
            f->counts.computed++;
            f->arrived = true;
        } else if (!f->failed.run) { /* keeps the reference */
            f->failed = r;
            f->failed.round = f->round;
            done = NULL;
        }
        pthread_mutex_unlock(&f->mu);
        if (f->wake) /* a failure too: the placeholder gives way to an empty head */
            f->wake(f->wake_user);
        ats_run_free(done);
        pthread_mutex_lock(&f->mu);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

ats_status ats_head_fetcher_new(void (*wake)(void *user), void *wake_user, ats_head_fetcher **out,
                                ats_error *err) {
    *out = NULL;
    ats_head_fetcher *f = calloc(1, sizeof *f);
    if (!f)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    f->wake = wake;
    f->wake_user = wake_user;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    if (pthread_create(&f->thread, NULL, fetch_main, f) != 0) {
        pthread_cond_destroy(&f->cv);
        pthread_mutex_destroy(&f->mu);
        free(f);
        return ats_fail(err, ATS_ERR_NOMEM, "cannot start the thread that computes heads");
    }
    *out = f;
    return ATS_OK;
}

void ats_head_fetcher_free(ats_head_fetcher *f) {
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    f->round += 2; /* everything is stale (the failed marker too): the thread drops it all */
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    free(f->reqs);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

void ats_head_fetcher_begin(ats_head_fetcher *f) {
    pthread_mutex_lock(&f->mu);
    f->round++;
    if (f->n > 0 || f->failed.run) /* the thread drops what this round does not ask again */
        pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

bool ats_head_fetcher_request(ats_head_fetcher *f, const ats_run *run, int layer, int head) {
    bool pending = true;
    pthread_mutex_lock(&f->mu);
    int i = 0;
    while (i < f->n && !same(&f->reqs[i], run, layer, head))
        i++;
    if (same(&f->failed, run, layer, head)) {
        f->failed.round = f->round;
        pending = false;
    } else if (i < f->n) {
        f->reqs[i].round = f->round; /* still wanted */
    } else if (!(f->busy == run && f->busy_layer == layer && f->busy_head == head)) {
        if (f->n == f->cap) {
            int cap = f->cap ? 2 * f->cap : 64;
            fetch_req *grown = realloc(f->reqs, (size_t)cap * sizeof *grown);
            if (grown) {
                f->reqs = grown;
                f->cap = cap;
            }
        }
        if (f->n < f->cap) {
            /* runs are immutable and reference-counted: a holder may retain a const one */
            f->reqs[f->n++] = (fetch_req){ats_run_retain((ats_run *)run), layer, head, f->round};
            f->counts.requested++;
            pthread_cond_signal(&f->cv);
        } else {
            pending = false; /* out of memory for the queue: drawn empty */
        }
    }
    pthread_mutex_unlock(&f->mu);
    return pending;
}

bool ats_head_fetcher_arrived(ats_head_fetcher *f) {
    pthread_mutex_lock(&f->mu);
    bool arrived = f->arrived;
    f->arrived = false;
    pthread_mutex_unlock(&f->mu);
    return arrived;
}

ats_head_fetcher_counts ats_head_fetcher_get_counts(ats_head_fetcher *f) {
    pthread_mutex_lock(&f->mu);
    ats_head_fetcher_counts c = f->counts;
    pthread_mutex_unlock(&f->mu);
    return c;
}
