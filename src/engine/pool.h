/* A team of threads for one forward pass: fork-join over numbered tasks.
 *
 * ats_pool_run hands tasks 0..n-1 to the calling thread and the team's workers (each takes the
 * next untaken number until none is left) and returns when every task has finished, so the
 * code around it stays sequential. Between two runs the workers wait a few microseconds for
 * the next one (the steps of a layer follow each other that closely) and then sleep on a
 * condition variable: no thread spins while the caller does other work.
 *
 * Threads: a pool belongs to the thread that made it; only that thread calls ats_pool_run and
 * ats_pool_free. Tasks run on any thread of the team at once, so they must touch disjoint data.
 */
#ifndef ATS_ENGINE_POOL_H
#define ATS_ENGINE_POOL_H

#include "attnscope/status.h"

typedef struct ats_pool ats_pool;

/* One task: `task` in [0, n_tasks), `thread` in [0, ats_pool_threads) names the running thread
 * (for per-thread scratch). */
typedef void (*ats_pool_task)(void *ctx, int task, int thread);

/* A team of n_threads threads counting the caller (n_threads - 1 workers are started); 1 or
 * less runs every task on the caller. ATS_ERR_NOMEM when threads cannot start. */
ats_status ats_pool_new(int n_threads, ats_pool **out, ats_error *err);
void ats_pool_free(ats_pool *pool);

int ats_pool_threads(const ats_pool *pool);

/* Runs fn(ctx, i, thread) for every i in [0, n_tasks) across the team and returns when all
 * have finished. With one task or one thread everything runs on the caller. */
void ats_pool_run(ats_pool *pool, int n_tasks, ats_pool_task fn, void *ctx);

/* The processors this process may run on (at least 1): the default team size. */
int ats_pool_default_threads(void);

#endif
