/* The fork-join team of pool.h.
 *
 * Every run is a generation: the caller publishes the job (fn, ctx, n_tasks), bumps `generation`
 * and wakes the workers; each worker takes task numbers from `next` until they run out and then
 * acknowledges the generation. The caller returns once every worker has acknowledged, so no
 * worker can still be reading the job when the next one is written, and every task is done. */
#define _GNU_SOURCE /* sched_getaffinity */
#include "pool.h"

#include "base.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

/* How long a thread waits actively for the next step before sleeping, in milliseconds: longer
 * than the gap between two steps of a layer, far shorter than any work worth a thread. */
#define SPIN_MS 0.05

struct ats_pool {
    int n_threads;
    pthread_t *workers; /* (n_threads - 1) */
    int n_started;

    pthread_mutex_t mu;
    pthread_cond_t wake_cv; /* workers sleep here between generations */
    pthread_cond_t done_cv; /* the caller sleeps here for the acknowledgements */
    atomic_uint generation;
    atomic_int next;  /* the next task number to take */
    atomic_int acks;  /* workers done with this generation */
    atomic_bool quit; /* set by ats_pool_free */

    /* the job of the current generation: written by the caller before `generation` moves,
     * read by the workers after */
    ats_pool_task fn;
    void *ctx;
    int n_tasks;
};

typedef struct worker_arg {
    ats_pool *pool;
    int thread;
} worker_arg;

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void take_tasks(ats_pool *p, int thread) {
    for (;;) {
        int t = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (t >= p->n_tasks)
            return;
        p->fn(p->ctx, t, thread);
    }
}

/* Spins up to SPIN_MS for `done(p, arg)`, then sleeps on cv until it holds. */
static void wait_until(ats_pool *p, pthread_cond_t *cv, bool (*done)(ats_pool *, unsigned),
                       unsigned arg) {
    double until = 0;
    for (int i = 0; !done(p, arg); i++) {
        if ((i & 63) == 63) {
            double now = ats_clock_ms();
            if (until == 0) {
                until = now + SPIN_MS;
            } else if (now > until) {
                pthread_mutex_lock(&p->mu);
                while (!done(p, arg))
                    pthread_cond_wait(cv, &p->mu);
                pthread_mutex_unlock(&p->mu);
                return;
            }
        }
        cpu_relax();
    }
}

static bool generation_moved(ats_pool *p, unsigned seen) {
    return atomic_load_explicit(&p->generation, memory_order_acquire) != seen ||
           atomic_load_explicit(&p->quit, memory_order_acquire);
}

static bool all_acknowledged(ats_pool *p, unsigned n_workers) {
    return (unsigned)atomic_load_explicit(&p->acks, memory_order_acquire) == n_workers;
}

static void *worker_main(void *arg) {
    worker_arg *wa = arg;
    ats_pool *p = wa->pool;
    int thread = wa->thread;
    free(wa);
    unsigned seen = 0;
    for (;;) {
        wait_until(p, &p->wake_cv, generation_moved, seen);
        if (atomic_load_explicit(&p->quit, memory_order_acquire))
            return NULL;
        seen = atomic_load_explicit(&p->generation, memory_order_acquire);
        take_tasks(p, thread);
        if (atomic_fetch_add_explicit(&p->acks, 1, memory_order_acq_rel) + 1 == p->n_threads - 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done_cv);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

int ats_pool_default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
#ifdef CPU_COUNT
    cpu_set_t set; /* the processors this process may run on (taskset, a container's cpuset) */
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        n = CPU_COUNT(&set);
#endif
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

ats_status ats_pool_new(int n_threads, ats_pool **out, ats_error *err) {
    *out = NULL;
    ats_pool *p = calloc(1, sizeof *p);
    if (!p)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a thread pool");
    p->n_threads = n_threads < 1 ? 1 : n_threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    atomic_init(&p->generation, 0);
    atomic_init(&p->next, 0);
    atomic_init(&p->acks, 0);
    atomic_init(&p->quit, false);
    if (p->n_threads > 1) {
        p->workers = calloc((size_t)p->n_threads - 1, sizeof *p->workers);
        if (!p->workers) {
            ats_pool_free(p);
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a thread pool");
        }
    }
    for (int i = 0; i + 1 < p->n_threads; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (wa)
            *wa = (worker_arg){p, i + 1};
        if (!wa || pthread_create(&p->workers[i], NULL, worker_main, wa) != 0) {
            free(wa);
            p->n_threads = p->n_started + 1; /* run with the threads that did start */
            break;
        }
        p->n_started++;
    }
    *out = p;
    return ATS_OK;
}

void ats_pool_free(ats_pool *p) {
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store_explicit(&p->quit, true, memory_order_release);
    pthread_cond_broadcast(&p->wake_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_started; i++)
        pthread_join(p->workers[i], NULL);
    free(p->workers);
    pthread_cond_destroy(&p->wake_cv);
    pthread_cond_destroy(&p->done_cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int ats_pool_threads(const ats_pool *p) {
    return p ? p->n_threads : 1;
}

void ats_pool_run(ats_pool *p, int n_tasks, ats_pool_task fn, void *ctx) {
    if (!p || p->n_threads <= 1 || n_tasks <= 1) {
        for (int t = 0; t < n_tasks; t++)
            fn(ctx, t, 0);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    atomic_store_explicit(&p->acks, 0, memory_order_relaxed);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    pthread_cond_broadcast(&p->wake_cv);
    pthread_mutex_unlock(&p->mu);
    take_tasks(p, 0);
    wait_until(p, &p->done_cv, all_acknowledged, (unsigned)(p->n_threads - 1));
}
