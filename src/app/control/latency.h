/* Keystroke-to-frame latency: for every update of the views, the time from the key event of
 * the edit to the presented frame that first shows its result, with the run's tokenize and
 * forward times and the frame's draw time. With a log path (ATS_LATENCY_LOG) each update is
 * one line:
 *
 *   seq=12 model=builtin:demo bytes=42 tokens=11 edits=3 tokenize_ms=0.051 forward_ms=0.310
 *   draw_ms=2.104 latency_ms=4.020 oldest_ms=35.100 status=ok
 *
 * latency_ms is measured from the newest edit the frame shows, oldest_ms from the oldest edit
 * it is the first to show (larger when fast typing superseded runs). Lines starting with '#'
 * are comments.
 *
 * Each frame that first shows an edit of the text (the typed character, before its run has
 * finished) also writes an echo line, which shows that typing never waits for the engine:
 *
 *   echo bytes=43 latency_ms=3.250 computing=1
 *
 * computing=1: the frame was presented while the run of that text was still computing. */
#ifndef ATS_APP_LATENCY_H
#define ATS_APP_LATENCY_H

#include "attnscope/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ats_latency ats_latency;

typedef struct ats_latency_record {
    uint64_t seq;
    char model[128];
    size_t n_bytes;
    int n_tokens;
    int edits; /* edits (or other triggers) this frame is the first to show */
    double tokenize_ms, forward_ms, draw_ms;
    double latency_ms; /* newest edit to frame */
    double oldest_ms;  /* oldest edit to frame */
    bool ok;           /* false: the frame shows an error for the text */
} ats_latency_record;

/* Records in memory, and into the file at log_path when it is not NULL (appended). ATS_ERR_IO
 * naming the file when it cannot be opened, ATS_ERR_NOMEM. */
ats_status ats_latency_new(const char *log_path, ats_latency **out, ats_error *err);
void ats_latency_free(ats_latency *lat);

/* A run was posted as request `seq` for an edit (or another trigger) made at trigger_ms. */
void ats_latency_posted(ats_latency *lat, uint64_t seq, double trigger_ms);
/* The outcome of request `seq` became what the window shows; the next presented frame shows it.
 */
void ats_latency_shown(ats_latency *lat, uint64_t seq, const char *model, size_t n_bytes,
                       int n_tokens, double tokenize_ms, double forward_ms, bool ok);
/* A frame is on screen: completes the pending record (if any) and writes its line. */
void ats_latency_presented(ats_latency *lat, double now_ms, double draw_ms);

/* A frame presented at now_ms first shows the text edited at edit_ms (n_bytes long); computing:
 * its run has not finished. Writes the echo line. */
void ats_latency_echo(ats_latency *lat, double edit_ms, double now_ms, size_t n_bytes,
                      bool computing);

/* Completed records so far, and the last one (false when none). */
int ats_latency_count(const ats_latency *lat);
bool ats_latency_last(const ats_latency *lat, ats_latency_record *out);

/* Writes one record as a log line (with the newline). */
void ats_latency_write_line(FILE *f, const ats_latency_record *r);

#endif
