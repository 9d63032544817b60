#include "latency.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POSTED 1024

typedef struct posted {
    uint64_t seq;
    double trigger_ms;
} posted;

struct ats_latency {
    FILE *log;
    posted queue[MAX_POSTED]; /* oldest first */
    int n_queued;
    bool pending; /* `current` waits for its frame */
    double first_ms, last_ms;
    ats_latency_record current, last;
    int count;
};

ats_status ats_latency_new(const char *log_path, ats_latency **out, ats_error *err) {
    *out = NULL;
    ats_latency *lat = calloc(1, sizeof *lat);
    if (!lat)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    if (log_path) {
        lat->log = fopen(log_path, "a");
        if (!lat->log) {
            int e = errno;
            free(lat);
            return ats_fail(err, ATS_ERR_IO, "%s: cannot write the latency log: %s", log_path,
                            strerror(e));
        }
        fprintf(lat->log, "# attnscope latency log: one line per update of the views\n");
        fflush(lat->log);
    }
    *out = lat;
    return ATS_OK;
}

void ats_latency_free(ats_latency *lat) {
    if (!lat)
        return;
    if (lat->log)
        fclose(lat->log);
    free(lat);
}

void ats_latency_posted(ats_latency *lat, uint64_t seq, double trigger_ms) {
    if (lat->n_queued == MAX_POSTED) { /* nothing shown for ages: forget the oldest */
        memmove(lat->queue, lat->queue + 1, (MAX_POSTED - 1) * sizeof *lat->queue);
        lat->n_queued--;
    }
    lat->queue[lat->n_queued++] = (posted){seq, trigger_ms};
}

void ats_latency_shown(ats_latency *lat, uint64_t seq, const char *model, size_t n_bytes,
                       int n_tokens, double tokenize_ms, double forward_ms, bool ok) {
    if (!lat->pending) {
        lat->current = (ats_latency_record){0};
        lat->first_ms = lat->last_ms = -1;
    }
    /* every request up to seq is covered by this outcome (later ones superseded them) */
    int covered = 0;
    while (covered < lat->n_queued && lat->queue[covered].seq <= seq) {
        double t = lat->queue[covered].trigger_ms;
        if (lat->first_ms < 0 || t < lat->first_ms)
            lat->first_ms = t;
        if (t > lat->last_ms)
            lat->last_ms = t;
        covered++;
    }
    memmove(lat->queue, lat->queue + covered,
            (size_t)(lat->n_queued - covered) * sizeof *lat->queue);
    lat->n_queued -= covered;
    ats_latency_record *r = &lat->current;
    r->seq = seq;
    snprintf(r->model, sizeof r->model, "%s", model ? model : "");
    for (char *c = r->model; *c; c++) /* one field in the log line */
        if (*c == ' ' || *c == '\t' || *c == '\n')
            *c = '_';
    r->n_bytes = n_bytes;
    r->n_tokens = n_tokens;
    r->edits += covered;
    r->tokenize_ms = tokenize_ms;
    r->forward_ms = forward_ms;
    r->ok = ok;
    lat->pending = true;
}

void ats_latency_presented(ats_latency *lat, double now_ms, double draw_ms) {
    if (!lat->pending)
        return;
    ats_latency_record *r = &lat->current;
    r->draw_ms = draw_ms;
    r->latency_ms = lat->last_ms >= 0 ? now_ms - lat->last_ms : 0;
    r->oldest_ms = lat->first_ms >= 0 ? now_ms - lat->first_ms : 0;
    lat->last = *r;
    lat->count++;
    lat->pending = false;
    if (lat->log) {
        ats_latency_write_line(lat->log, r);
        fflush(lat->log);
    }
}

void ats_latency_echo(ats_latency *lat, double edit_ms, double now_ms, size_t n_bytes,
                      bool computing) {
    if (!lat->log)
        return;
    fprintf(lat->log, "echo bytes=%zu latency_ms=%.3f computing=%d\n", n_bytes, now_ms - edit_ms,
            computing ? 1 : 0);
    fflush(lat->log);
}

int ats_latency_count(const ats_latency *lat) {
    return lat->count;
}

bool ats_latency_last(const ats_latency *lat, ats_latency_record *out) {
    if (lat->count == 0)
        return false;
    *out = lat->last;
    return true;
}

void ats_latency_write_line(FILE *f, const ats_latency_record *r) {
    fprintf(f,
            "seq=%llu model=%s bytes=%zu tokens=%d edits=%d tokenize_ms=%.3f forward_ms=%.3f "
            "draw_ms=%.3f latency_ms=%.3f oldest_ms=%.3f status=%s\n",
            (unsigned long long)r->seq, r->model[0] ? r->model : "-", r->n_bytes, r->n_tokens,
            r->edits, r->tokenize_ms, r->forward_ms, r->draw_ms, r->latency_ms, r->oldest_ms,
            r->ok ? "ok" : "error");
}
