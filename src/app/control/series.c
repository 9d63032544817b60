#include "series.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define LOG_NAME      "train_log.jsonl"
#define MAX_LOG_BYTES (64 << 20) /* a million steps of log is about 100 MB; refuse beyond 64 */

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void log_path(char *out, size_t size, const char *dir) {
    snprintf(out, size, "%s/" LOG_NAME, dir);
}

bool ats_series_is_training_folder(const char *path) {
    char p[4096];
    struct stat st;
    log_path(p, sizeof p, path);
    if (stat(p, &st) != 0 || !S_ISREG(st.st_mode))
        return false;
    snprintf(p, sizeof p, "%s/checkpoints", path);
    return is_dir(p);
}

long long ats_series_log_size(const char *dir) {
    char p[4096];
    struct stat st;
    log_path(p, sizeof p, dir);
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

void ats_series_free(ats_series *s) {
    for (int i = 0; s->path && i < s->n; i++)
        free(s->path[i]);
    free(s->path);
    free(s->dir);
    free(s->name);
    free(s->step);
    free(s->eval_loss);
    free(s->previous_token);
    free(s->induction);
    free(s->loss_step);
    free(s->loss);
    *s = (ats_series){0};
}

/* ---- parsing ----------------------------------------------------------------------------------
 */

typedef struct parser {
    ats_series *s;
    int cap, loss_cap;
    int line;
    ats_error *err;
    ats_status status; /* of the first failure */
} parser;

static bool fail(parser *p, const char *what) {
    p->status =
        ats_fail(p->err, strcmp(what, "out of memory") == 0 ? ATS_ERR_NOMEM : ATS_ERR_FORMAT,
                 "%s/" LOG_NAME ": line %d: %s", p->s->dir, p->line, what);
    return false;
}

static bool grow(void **arr, int cap, size_t each) {
    void *bigger = realloc(*arr, (size_t)cap * each);
    if (bigger)
        *arr = bigger;
    return bigger != NULL;
}

/* One (L, H) table of scores in [0, 1] into out. */
static bool score_rows(parser *p, const json_t *rows, float *out) {
    ats_series *s = p->s;
    if (json_array_size(rows) != (size_t)s->n_layer)
        return fail(p, "the checkpoints disagree on the number of layers");
    for (int l = 0; l < s->n_layer; l++) {
        const json_t *row = json_array_get(rows, (size_t)l);
        if (json_array_size(row) != (size_t)s->n_head)
            return fail(p, "the checkpoints disagree on the number of heads");
        for (int h = 0; h < s->n_head; h++) {
            const json_t *v = json_array_get(row, (size_t)h);
            double d = json_number_value(v);
            if (!json_is_number(v) || !(d >= 0 && d <= 1))
                return fail(p, "a head score is not a number from 0 to 1");
            out[l * s->n_head + h] = (float)d;
        }
    }
    return true;
}

/* "checkpoints/step-NNNNNN": a plain name inside the folder's checkpoints/. */
static bool plain_checkpoint(const char *rel) {
    return rel && strncmp(rel, "checkpoints/", 12) == 0 && rel[12] && !strchr(rel + 12, '/') &&
           strcmp(rel + 12, "..") != 0 && strcmp(rel + 12, ".") != 0;
}

static bool checkpoint_line(parser *p, const json_t *obj, int step) {
    ats_series *s = p->s;
    const char *rel = json_string_value(json_object_get(obj, "checkpoint"));
    if (!plain_checkpoint(rel))
        return fail(p, "a checkpoint outside the folder's checkpoints/");
    if (s->n > 0 && step <= s->step[s->n - 1])
        return fail(p, "checkpoints out of step order");
    if (s->n == p->cap) {
        int cap = p->cap ? 2 * p->cap : 32;
        if (!grow((void **)&s->step, cap, sizeof *s->step) ||
            !grow((void **)&s->path, cap, sizeof *s->path) ||
            !grow((void **)&s->eval_loss, cap, sizeof *s->eval_loss))
            return fail(p, "out of memory");
        p->cap = cap;
    }
    const json_t *prev = json_object_get(obj, "previous_token");
    if (s->n_layer == 0) { /* the first checkpoint sets the shape */
        size_t L = json_array_size(prev), H = json_array_size(json_array_get(prev, 0));
        if (L < 1 || H < 1 || L * H > 65536)
            return fail(p, "a checkpoint's scores are not rows of numbers");
        s->n_layer = (int)L;
        s->n_head = (int)H;
    }
    size_t LH = (size_t)s->n_layer * s->n_head;
    if (!grow((void **)&s->previous_token, p->cap, LH * sizeof(float)) ||
        !grow((void **)&s->induction, p->cap, LH * sizeof(float)))
        return fail(p, "out of memory");
    if (!score_rows(p, prev, s->previous_token + (size_t)s->n * LH) ||
        !score_rows(p, json_object_get(obj, "induction"), s->induction + (size_t)s->n * LH))
        return false;
    size_t n = strlen(s->dir) + strlen(rel) + 2;
    if (!(s->path[s->n] = malloc(n)))
        return fail(p, "out of memory");
    snprintf(s->path[s->n], n, "%s/%s", s->dir, rel);
    s->step[s->n] = step;
    double loss = json_number_value(json_object_get(obj, "eval_loss"));
    s->eval_loss[s->n] = json_is_number(json_object_get(obj, "eval_loss")) ? (float)loss : NAN;
    s->n++;
    return true;
}

static bool loss_line(parser *p, const json_t *obj, int step) {
    ats_series *s = p->s;
    const json_t *v = json_object_get(obj, "loss");
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return fail(p, "a loss that is not a number");
    if (s->n_loss == p->loss_cap) {
        int cap = p->loss_cap ? 2 * p->loss_cap : 256;
        if (!grow((void **)&s->loss_step, cap, sizeof *s->loss_step) ||
            !grow((void **)&s->loss, cap, sizeof *s->loss))
            return fail(p, "out of memory");
        p->loss_cap = cap;
    }
    s->loss_step[s->n_loss] = step;
    s->loss[s->n_loss++] = (float)json_number_value(v);
    return true;
}

static bool parse_line(parser *p, const char *line, size_t len) {
    json_error_t jerr;
    json_t *obj = json_loadb(line, len, 0, &jerr);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return fail(p, "not a JSON object");
    }
    bool ok = true;
    const char *event = json_string_value(json_object_get(obj, "event"));
    const json_t *step_v = json_object_get(obj, "step");
    json_int_t step = json_integer_value(step_v);
    if (event && strcmp(event, "start") == 0) {
        json_int_t steps =
            json_integer_value(json_object_get(json_object_get(obj, "recipe"), "steps"));
        p->s->steps_planned = steps > 0 && steps < 100000000 ? (int)steps : 0;
    } else if (event && strcmp(event, "end") == 0) {
        p->s->finished = true;
    } else if (!json_is_integer(step_v) || step < 0 || step > 100000000) {
        ok = fail(p, "a line without a step");
    } else if (json_object_get(obj, "checkpoint")) {
        ok = checkpoint_line(p, obj, (int)step);
    } else {
        ok = loss_line(p, obj, (int)step);
    }
    json_decref(obj);
    return ok;
}

ats_status ats_series_read(const char *dir, ats_series *out, ats_error *err) {
    *out = (ats_series){0};
    const char *slash = strrchr(dir, '/');
    while (slash && slash[1] == '\0' && slash > dir) { /* "runs/tiny/" names "tiny" */
        const char *prev = slash - 1;
        while (prev > dir && *prev != '/')
            prev--;
        slash = *prev == '/' ? prev : NULL;
    }
    out->dir = strdup(dir);
    out->name = strdup(slash ? slash + 1 : dir);
    if (out->name)
        out->name[strcspn(out->name, "/")] = '\0';
    char path[4096];
    log_path(path, sizeof path, dir);
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long long size = -1;
    ats_status st = ATS_OK;
    if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && size <= MAX_LOG_BYTES &&
        fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1)) &&
        fread(text, 1, (size_t)size, f) == (size_t)size) {
        text[size] = '\0';
    } else {
        st = ats_fail(err, ATS_ERR_IO, "%s: cannot read it%s", path,
                      size > MAX_LOG_BYTES ? " (over 64 MB)" : "");
        free(text);
        text = NULL;
    }
    if (f)
        fclose(f);
    if (!text || !out->dir || !out->name) {
        if (st == ATS_OK)
            st = ats_fail(err, ATS_ERR_NOMEM, "out of memory");
        free(text);
        ats_series_free(out);
        return st;
    }
    out->log_size = size;
    parser p = {.s = out, .err = err};
    bool ok = true;
    for (char *line = text; ok && *line;) {
        char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        p.line++;
        if (n > 0)
            ok = parse_line(&p, line, n);
        line = end ? end + 1 : line + n;
    }
    free(text);
    st = ok ? ATS_OK : p.status;
    if (ok && out->n == 0)
        st = ats_fail(err, ATS_ERR_FORMAT, "%s: no checkpoint yet", path);
    if (st != ATS_OK)
        ats_series_free(out);
    return st;
}

int ats_series_nearest(const ats_series *s, double step) {
    int best = 0;
    for (int i = 1; i < s->n; i++)
        if (fabs(s->step[i] - step) < fabs(s->step[best] - step))
            best = i;
    return best;
}
