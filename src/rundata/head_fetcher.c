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
 * starts one; a request not asked for again in the current round is dropped before it starts.
 *
 * Aggregates (the aggregate view's mean or max over heads) are jobs of many heads: each slot
 * holds the one its asker wants now, and the thread takes one head of a job at a time, heads
 * asked by views first, so a view's head never waits behind a long job. A new ask replaces the
 * slot's job: a job not started is dropped, a running one stops before its next head. The
 * running sums stay private to the thread (one set per slot, reset when the slot's job changed);
 * only the finished matrix is handed over, under the lock. */
#include "attnscope/rundata.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct fetch_req {
    ats_run *run; /* one reference */
    int layer, head;
    uint64_t round; /* the round it was last asked for in */
} fetch_req;

/* A slot's aggregate as asked (under mu). */
typedef struct agg_slot {
    ats_run *run; /* one reference; NULL: nothing asked */
    ats_aggregate which;
    int layer;
    uint64_t gen;          /* bumped by each new ask: a step of an older one is thrown away */
    ats_fetch_state state; /* NONE, PENDING, DONE, FAILED */
    int done, total;       /* heads accumulated of the job's */
    float *out, *received; /* DONE: (T, T) and (T), until taken */
} agg_slot;

/* A slot's running sums, the fetcher's thread's alone. */
typedef struct agg_acc {
    uint64_t gen; /* the job they belong to (0: none) */
    int next;     /* the job's next head: layer-major over (layer, head) */
    double *sum;  /* (T, T) the heads of the layer so far (mean, all) */
    double *all;  /* (T, T) the layer means so far (all) */
    float *max;   /* (T, T) max */
} agg_acc;

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
    agg_slot agg[ATS_FETCH_AGG_SLOTS];
    ats_run **trash; /* runs replaced in a slot: released on the thread */
    int n_trash, cap_trash;
    /* the fetcher's thread only (and ats_head_fetcher_free after the join) */
    agg_acc acc[ATS_FETCH_AGG_SLOTS];
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

static void acc_free(agg_acc *a) {
    free(a->sum);
    free(a->all);
    free(a->max);
    *a = (agg_acc){0};
}

/* Readies slot k's sums for job `gen` of `which` on T tokens: kept when they are that job's,
 * else fresh. False when out of memory. Fetcher's thread. */
static bool acc_ready(agg_acc *a, uint64_t gen, ats_aggregate which, int T) {
    if (a->gen == gen)
        return true;
    acc_free(a);
    size_t TT = (size_t)T * (size_t)T;
    a->gen = gen;
    if (which == ATS_AGGREGATE_MAX)
        return (a->max = malloc(TT * sizeof *a->max)) != NULL;
    a->sum = calloc(TT, sizeof *a->sum);
    if (which == ATS_AGGREGATE_ALL)
        a->all = calloc(TT, sizeof *a->all);
    return a->sum && (which != ATS_AGGREGATE_ALL || a->all);
}

/* Adds `head` (T, T), head h of its layer's H, to the sums, in the order and precision of
 * ats_run_head_mean_max (a double sum over heads 0..H-1; a max that starts at head 0); after a
 * layer's last head the all-layers mean adds the layer's float mean to a double sum as
 * ats_run_aggregate_make does, so the result is the synchronous one bit for bit. */
static void acc_add(agg_acc *a, ats_aggregate which, const float *head, size_t TT, int h, int H) {
    if (which == ATS_AGGREGATE_MAX) {
        for (size_t k = 0; k < TT; k++)
            a->max[k] = h == 0 || head[k] > a->max[k] ? head[k] : a->max[k];
        return;
    }
    for (size_t k = 0; k < TT; k++)
        a->sum[k] += head[k];
    if (which == ATS_AGGREGATE_ALL && h == H - 1)
        for (size_t k = 0; k < TT; k++) {
            a->all[k] += (float)(a->sum[k] / H);
            a->sum[k] = 0;
        }
}

/* The finished matrix (T, T) and its column sums (T) from the sums; false when out of memory. */
static bool acc_finish(const agg_acc *a, ats_aggregate which, int T, int H, int L, float **out,
                       float **received) {
    size_t TT = (size_t)T * (size_t)T;
    *out = malloc(TT * sizeof **out);
    *received = malloc((size_t)T * sizeof **received);
    if (!*out || !*received) {
        free(*out);
        free(*received);
        *out = *received = NULL;
        return false;
    }
    for (size_t k = 0; k < TT; k++)
        (*out)[k] = which == ATS_AGGREGATE_MAX   ? a->max[k]
                    : which == ATS_AGGREGATE_ALL ? (float)(a->all[k] / L)
                                                 : (float)(a->sum[k] / H);
    ats_attention_received(*out, T, T, *received);
    return true;
}

/* The first slot with a job pending, or -1. Under mu. */
static int agg_pending(const ats_head_fetcher *f) {
    for (int k = 0; k < ATS_FETCH_AGG_SLOTS; k++)
        if (f->agg[k].state == ATS_FETCH_PENDING)
            return k;
    return -1;
}

/* One head of slot k's job: computed outside the lock into the thread's sums; the job finishes
 * with its last head. A job replaced meanwhile keeps nothing of the step. Entered and left
 * under mu. */
static void agg_step(ats_head_fetcher *f, int k) {
    agg_slot *s = &f->agg[k];
    uint64_t gen = s->gen;
    ats_aggregate which = s->which;
    ats_run *run = ats_run_retain(s->run); /* the slot may be replaced during the step */
    int layer = s->layer, next = s->done;
    pthread_mutex_unlock(&f->mu);

    const ats_model_config *c = ats_run_get_config(run);
    int T = ats_run_n_tokens(run), H = c->n_head, L = c->n_layer;
    int total = which == ATS_AGGREGATE_ALL ? L * H : H;
    agg_acc *a = &f->acc[k];
    bool ok = acc_ready(a, gen, which, T), finished = false;
    float *out = NULL, *received = NULL;
    if (ok) {
        int l = which == ATS_AGGREGATE_ALL ? next / H : layer, h = next % H;
        const float *head;
        ok = ats_run_attention_acquire(run, l, h, &head, NULL) == ATS_OK;
        if (ok) {
            acc_add(a, which, head, (size_t)T * (size_t)T, h, H);
            ats_run_attention_release(run, head);
            a->next = next + 1;
            finished = a->next == total;
        }
    }
    if (ok && finished)
        ok = acc_finish(a, which, T, H, L, &out, &received);
    if (!ok || finished)
        acc_free(a);

    pthread_mutex_lock(&f->mu);
    if (s->gen == gen && s->state == ATS_FETCH_PENDING) {
        s->done = next + (ok ? 1 : 0);
        if (!ok) {
            s->state = ATS_FETCH_FAILED;
        } else if (finished) {
            s->state = ATS_FETCH_DONE;
            s->out = out;
            s->received = received;
            out = received = NULL;
            f->counts.aggregates++;
        }
        f->arrived = true; /* progress, or the result: draw it */
    }
    pthread_mutex_unlock(&f->mu);
    free(out); /* a result nobody wants any more */
    free(received);
    if (f->wake)
        f->wake(f->wake_user);
    ats_run_free(run);
    pthread_mutex_lock(&f->mu);
}

static void *fetch_main(void *arg) {
    ats_head_fetcher *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        if (f->n_trash > 0) { /* runs a slot let go of: released here, off the asker's thread */
            ats_run *run = f->trash[--f->n_trash];
            pthread_mutex_unlock(&f->mu);
            ats_run_free(run);
            pthread_mutex_lock(&f->mu);
            continue;
        }
        ats_run *stale = take_stale(f);
        if (stale) { /* released outside the lock: the last reference frees the run */
            pthread_mutex_unlock(&f->mu);
            ats_run_free(stale);
            pthread_mutex_lock(&f->mu);
            continue;
        }
        if (f->stop) /* (everything was stale: ats_head_fetcher_free began a round) */
            break;
        if (f->n == 0) { /* the views' heads first, then a head of an aggregate */
            int k = agg_pending(f);
            if (k >= 0) {
                agg_step(f, k);
                continue;
            }
            for (k = 0; k < ATS_FETCH_AGG_SLOTS; k++) /* sums of a job let go of: freed now */
                if (f->acc[k].gen != 0)
                    acc_free(&f->acc[k]);
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
    for (int k = 0; k < ATS_FETCH_AGG_SLOTS; k++) {
        ats_run_free(f->agg[k].run);
        free(f->agg[k].out);
        free(f->agg[k].received);
        acc_free(&f->acc[k]);
    }
    for (int i = 0; i < f->n_trash; i++)
        ats_run_free(f->trash[i]);
    free(f->trash);
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

/* Lets go of slot s's job and result (its run into the trash, for the thread). Under mu. */
static void slot_clear(ats_head_fetcher *f, agg_slot *s) {
    if (s->run) {
        if (f->n_trash == f->cap_trash) {
            int cap = f->cap_trash ? 2 * f->cap_trash : 8;
            ats_run **grown = realloc(f->trash, (size_t)cap * sizeof *grown);
            if (grown) {
                f->trash = grown;
                f->cap_trash = cap;
            }
        }
        if (s->state == ATS_FETCH_PENDING)
            f->counts.aggregates_dropped++;
        if (f->n_trash < f->cap_trash)
            f->trash[f->n_trash++] = s->run;
        else /* out of memory for the trash: released here (a step holds its own reference) */
            ats_run_free(s->run);
    }
    free(s->out);
    free(s->received);
    uint64_t gen = s->gen;
    *s = (agg_slot){.gen = gen};
}

ats_status ats_head_fetcher_aggregate(ats_head_fetcher *f, int slot, const ats_run *run,
                                      ats_aggregate which, int layer, ats_error *err) {
    if (slot < 0 || slot >= ATS_FETCH_AGG_SLOTS)
        return ats_fail(err, ATS_ERR_ARG, "aggregate slot %d is out of range", slot);
    if (run && which != ATS_AGGREGATE_MEAN && which != ATS_AGGREGATE_MAX &&
        which != ATS_AGGREGATE_ALL)
        return ats_fail(err, ATS_ERR_ARG, "the %s is not computed over heads here",
                        ats_aggregate_name(which));
    int L = run ? ats_run_get_config(run)->n_layer : 0;
    if (run && which != ATS_AGGREGATE_ALL && (layer < 0 || layer >= L))
        return ats_fail(err, ATS_ERR_ARG, "layer %d is out of range (the model has %d)", layer, L);
    if (which == ATS_AGGREGATE_ALL)
        layer = 0; /* every layer: the same job whichever is selected */
    pthread_mutex_lock(&f->mu);
    agg_slot *s = &f->agg[slot];
    bool same_job = run && s->run == run && s->which == which && s->layer == layer;
    if (!same_job) {
        slot_clear(f, s);
        if (run) {
            const ats_model_config *c = ats_run_get_config(run);
            s->run = ats_run_retain((ats_run *)run); /* immutable, reference-counted */
            s->which = which;
            s->layer = layer;
            s->gen++;
            s->state = ATS_FETCH_PENDING;
            s->total = which == ATS_AGGREGATE_ALL ? c->n_layer * c->n_head : c->n_head;
            f->counts.aggregates_asked++;
        }
        pthread_cond_signal(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    return ATS_OK;
}

ats_fetch_state ats_head_fetcher_aggregate_take(ats_head_fetcher *f, int slot, float **out,
                                                float **received, int *done, int *total) {
    *out = *received = NULL;
    *done = *total = 0;
    if (slot < 0 || slot >= ATS_FETCH_AGG_SLOTS)
        return ATS_FETCH_NONE;
    pthread_mutex_lock(&f->mu);
    agg_slot *s = &f->agg[slot];
    ats_fetch_state state = s->state;
    *done = s->done;
    *total = s->total;
    if (state == ATS_FETCH_DONE) { /* handed over: the slot keeps nothing */
        *out = s->out;
        *received = s->received;
        s->out = s->received = NULL;
    }
    if (state == ATS_FETCH_DONE || state == ATS_FETCH_FAILED)
        slot_clear(f, s);
    pthread_mutex_unlock(&f->mu);
    return state;
}
