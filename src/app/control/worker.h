/* The engine off the UI thread. The UI posts requests and polls for outcomes without ever
 * blocking on a computation:
 *
 * - Runs: (model, text, options). One run computes at a time; a newer run request replaces a
 *   pending one that has not started and cancels the one computing (the engine stops it at its
 *   next layer and it has no outcome), so typing fast computes only the latest text. The outcome
 *   carries the request's sequence number, the text it ran and the model it ran on, so the UI
 *   can drop a stale outcome and map token spans onto the text.
 * - Loads: a model path. Loading runs on its own thread, so runs on the current model keep going
 *   while a large model loads; a newer load request replaces a pending one.
 *
 * Sequence numbers are shared by runs and loads and grow with each post. Finished outcomes
 * wait in a mailbox until polled: the newest run success, the newest run failure (dropped when
 * an even newer run succeeds), the newest load outcome. An outcome replaced in the mailbox
 * before the UI polled it is freed unseen.
 *
 * Threads: POSIX threads, so the worker and its tests need neither SDL nor a display. Every
 * function except `notify` (and the tests' discard hook) is called from the UI thread. The
 * worker's lock is held only for moving requests and outcomes, never for computing or freeing:
 * outcomes replaced in the mailbox are freed after it is released. */
#ifndef ATS_APP_WORKER_H
#define ATS_APP_WORKER_H

#include "attnscope/engine.h"
#include "run_extras.h"
#include "shared_model.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct ats_worker ats_worker;

typedef enum ats_worker_event_kind {
    ATS_WORKER_NONE,
    ATS_WORKER_RUN_DONE,
    ATS_WORKER_RUN_FAILED,
    ATS_WORKER_LOAD_DONE,
    ATS_WORKER_LOAD_FAILED,
} ats_worker_event_kind;

/* One outcome; the receiver owns every pointer in it and frees them with
 * ats_worker_event_clear. */
typedef struct ats_worker_event {
    ats_worker_event_kind kind;
    uint64_t seq; /* of the request */
    /* RUN_*: the model the run used; LOAD_DONE: the loaded model. One reference. */
    ats_shared_model *model;
    /* RUN_DONE */
    ats_run *run;
    double tokenize_ms, forward_ms; /* forward_ms: the rest of ats_run_text */
    /* RUN_*: the text as posted; token spans are byte offsets into it */
    char *text;
    size_t text_len;
    /* RUN_* of an encoder-decoder model: the decoder's text as posted (NULL: generated) */
    char *target;
    size_t target_len;
    bool generated; /* the decoder's tokens were generated greedily */
    /* RUN_DONE: the analysis computed with the run (run_extras.h), or NULL */
    ats_run_extras *extras;
    /* LOAD_*: the path as posted */
    char *path;
    double load_ms;
    /* *_FAILED: why */
    ats_error error;
} ats_worker_event;

void ats_worker_event_clear(ats_worker_event *ev);

/* Starts the worker's threads. `notify` (may be NULL) is called from a worker thread each time
 * an outcome lands in the mailbox: the window uses it to wake its event loop. NULL when the
 * threads cannot start. */
ats_worker *ats_worker_new(void (*notify)(void *user), void *user);
/* Stops the threads and frees everything still pending. A run in progress is cancelled at its
 * next layer; a load in progress finishes first. NULL-safe. */
void ats_worker_free(ats_worker *w);

/* Posts a run; copies the text and the options and retains the model. Returns the request's
 * sequence number, 0 when out of memory. */
uint64_t ats_worker_post_run(ats_worker *w, ats_shared_model *model, const char *text, size_t len,
                             const ats_run_opts *opts);
/* The same with the analysis the window shows computed after the run (`extras` copied; its
 * compare text too); opts->ablate is copied. */
uint64_t ats_worker_post_run_extras(ats_worker *w, ats_shared_model *model, const char *text,
                                    size_t len, const ats_run_opts *opts,
                                    const ats_extras_request *extras);
/* Posts a run of an encoder-decoder model (T5): the encoder over `source`, the decoder over
 * `target`, or with target NULL over greedy tokens (opts->max_new at most). Copies the texts. */
uint64_t ats_worker_post_seq2seq(ats_worker *w, ats_shared_model *model, const char *source,
                                 size_t len, const char *target, size_t target_len,
                                 const ats_run_opts *opts);
/* Posts a model load (opts may be NULL; its strings are copied). Returns the sequence number,
 * 0 when out of memory. */
uint64_t ats_worker_post_load(ats_worker *w, const char *path, const ats_load_opts *opts);

/* Takes the oldest outcome waiting in the mailbox (a load before runs); false when none. Never
 * blocks on a computation. */
bool ats_worker_poll(ats_worker *w, ats_worker_event *out);

/* Waits until an outcome is in the mailbox or timeout_ms passes; true when one is there. The
 * UI uses it with a budget of a few milliseconds, never to wait for a computation to end. */
bool ats_worker_wait(ats_worker *w, double timeout_ms);

/* A run is pending or computing. */
bool ats_worker_running(ats_worker *w);
/* A load is pending or in progress. */
bool ats_worker_loading(ats_worker *w);

/* Runs cancelled so far because a newer one was posted while they computed. */
int ats_worker_cancelled(ats_worker *w);

/* While held, the worker starts no new request (one in progress goes on). For tests, which need
 * requests to pile up deterministically. */
void ats_worker_hold(ats_worker *w, bool hold);

/* For tests: `hook` is called on a worker thread each time the worker frees an outcome that a
 * newer one replaced in the mailbox before the UI polled it, just before the free. The free (a
 * run, or the last reference to a model: possibly an munmap of gigabytes) happens with the
 * worker's lock released, so the UI thread's calls never wait for it. Set before posting. */
void ats_worker_set_discard_hook(ats_worker *w,
                                 void (*hook)(void *user, const ats_worker_event *ev), void *user);
/* For tests: true when nobody holds the worker's lock at this moment (from the hook: the lock
 * the UI thread takes is not held during the free). Never blocks. */
bool ats_worker_lock_is_free(ats_worker *w);

#endif
