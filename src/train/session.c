/* A whole training run into a folder: steps, checkpoints scored by the engine's probe, and the
 * JSON-lines log (rewritten whole at each line, so a reader never sees half a line). */
#include "trainer_internal.h"

#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EVAL_SEQUENCES 64

typedef struct session {
    ats_trainer *t;
    const char *dir;
    char log_path[4096];
    char *log; /* the log's text so far */
    size_t log_len, log_cap;
    double start_ms;
    double eval_loss; /* of the last checkpoint */
    ats_error *err;
} session;

static ats_status log_line(session *s, json_t *obj) {
    char *line = obj ? json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(obj);
    if (!line)
        return ats_fail(s->err, ATS_ERR_NOMEM, "out of memory");
    size_t n = strlen(line);
    if (s->log_len + n + 2 > s->log_cap) {
        size_t cap = (s->log_cap + n + 2) * 2;
        char *bigger = realloc(s->log, cap);
        if (!bigger) {
            free(line);
            return ats_fail(s->err, ATS_ERR_NOMEM, "out of memory");
        }
        s->log = bigger;
        s->log_cap = cap;
    }
    memcpy(s->log + s->log_len, line, n);
    s->log_len += n;
    s->log[s->log_len++] = '\n';
    free(line);
    return ats_write_file_atomic(s->log_path, s->log, s->log_len, s->err);
}

static double elapsed_s(const session *s) {
    return (ats_clock_ms() - s->start_ms) / 1000.0;
}

/* Saves checkpoints/step-NNNNNN, opens it with the engine, scores its heads with the probe, saves
 * it again with the scores (and as DIR itself when `final`), and logs it. */
static ats_status checkpoint(session *s, bool final, float *scores) {
    ats_trainer *t = s->t;
    char rel[64], path[4096];
    snprintf(rel, sizeof rel, "checkpoints/step-%06d", t->step);
    if (snprintf(path, sizeof path, "%s/%s", s->dir, rel) >= (int)sizeof path)
        return ats_fail(s->err, ATS_ERR_ARG, "%s: path too long", s->dir);
    double loss;
    ats_status st = ats_trainer_eval_loss(t, EVAL_SEQUENCES, &loss, s->err);
    if (st == ATS_OK)
        st = ats_trainer_save(t, path, NULL, loss, s->err);
    ats_model *model = NULL;
    if (st == ATS_OK)
        st = ats_model_load(path, NULL, &model, s->err);
    int L = t->model.cfg.n_layer, H = t->model.cfg.n_head;
    size_t LH = (size_t)L * H;
    if (st == ATS_OK)
        st = ats_head_scores_probe(model, NULL, scores, scores + LH, s->err);
    ats_model_free(model);
    s->eval_loss = loss;
    if (st == ATS_OK)
        st = ats_trainer_save(t, path, scores, loss, s->err);
    if (st == ATS_OK && final)
        st = ats_trainer_save(t, s->dir, scores, loss, s->err);
    if (st != ATS_OK)
        return st;
    return log_line(s, json_pack("{s:i, s:s, s:o, s:o, s:o, s:o}", "step", t->step, "checkpoint",
                                 rel, "eval_loss", json_real(loss), "previous_token",
                                 ats_tr_score_rows(scores, L, H), "induction",
                                 ats_tr_score_rows(scores + LH, L, H), "elapsed_s",
                                 json_real(elapsed_s(s))));
}

static bool path_exists(const char *dir, const char *name) {
    char path[4096];
    struct stat st;
    return snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path &&
           stat(path, &st) == 0;
}

static ats_status run(session *s, const ats_train_run_opts *ro) {
    ats_trainer *t = s->t;
    int steps = t->opts.steps, log_every = ro->log_every > 0 ? ro->log_every : 10;
    size_t LH = (size_t)t->model.cfg.n_layer * t->model.cfg.n_head;
    float *scores = malloc(2 * LH * sizeof *scores);
    if (!scores)
        return ats_fail(s->err, ATS_ERR_NOMEM, "out of memory");
    ats_status st = log_line(
        s, json_pack("{s:s, s:o, s:I, s:i}", "event", "start", "recipe", ats_tr_recipe_json(t),
                     "n_params", (json_int_t)t->model.n_params, "vocab_size", t->corpus.vocab));
    if (st == ATS_OK)
        st = checkpoint(s, steps == 0, scores);
    double loss_sum = 0.0;
    int loss_n = 0;
    bool stop = false, final_written = steps == 0;
    while (st == ATS_OK && t->step < steps && !stop) {
        ats_train_step step;
        if ((st = ats_trainer_step(t, &step, s->err)) != ATS_OK)
            break;
        loss_sum += step.loss;
        loss_n++;
        double secs = elapsed_s(s);
        double tps = secs > 0 ? (double)t->step * ats_trainer_tokens_per_step(t) / secs : 0;
        if (t->step % log_every == 0 || t->step == steps) {
            st = log_line(s, json_pack("{s:i, s:o, s:o, s:o, s:o}", "step", t->step, "loss",
                                       json_real(loss_sum / loss_n), "lr", json_real(step.lr),
                                       "tokens_per_second", json_real(tps), "elapsed_s",
                                       json_real(secs)));
            loss_sum = 0.0;
            loss_n = 0;
        }
        ats_train_progress p = {.step = t->step,
                                .steps = steps,
                                .loss = step.loss,
                                .tokens_per_second = tps,
                                .elapsed_s = secs};
        if (ro->progress && !ro->progress(&p, ro->user))
            stop = true;
        bool last = t->step == steps || stop;
        bool due = ro->checkpoint_every > 0 && t->step % ro->checkpoint_every == 0;
        if (st == ATS_OK && (due || last)) {
            st = checkpoint(s, last, scores);
            final_written = last;
            p.checkpoint = true;
            p.previous_token = scores;
            p.induction = scores + LH;
            if (st == ATS_OK && ro->progress && !ro->progress(&p, ro->user))
                stop = true;
        }
    }
    if (st == ATS_OK && !final_written) /* stopped right after a checkpoint: it is the model */
        st = ats_trainer_save(t, s->dir, scores, s->eval_loss, s->err);
    if (st == ATS_OK)
        st = log_line(s, json_pack("{s:s, s:i, s:o}", "event", "end", "step", t->step, "elapsed_s",
                                   json_real(elapsed_s(s))));
    free(scores);
    return st;
}

ats_status ats_train_run(const ats_train_opts *opts, const ats_train_run_opts *ro, const char *dir,
                         ats_error *err) {
    ats_error_clear(err);
    ats_train_run_opts defaults = {0};
    if (!ro)
        ro = &defaults;
    if (ro->checkpoint_every < 0)
        return ats_fail(err, ATS_ERR_ARG, "--checkpoint-every must be >= 0");
    if (path_exists(dir, "train_log.jsonl") || path_exists(dir, "checkpoints"))
        return ats_fail(err, ATS_ERR_ARG,
                        "%s already holds a training run: choose another folder or delete it", dir);
    session s = {.dir = dir, .err = err, .start_ms = ats_clock_ms()};
    if (snprintf(s.log_path, sizeof s.log_path, "%s/train_log.jsonl", dir) >=
        (int)sizeof s.log_path)
        return ats_fail(err, ATS_ERR_ARG, "%s: path too long", dir);
    ats_status st = ats_trainer_new(opts, &s.t, err);
    if (st == ATS_OK)
        st = ats_tr_make_dirs(dir, err);
    if (st == ATS_OK)
        st = run(&s, ro);
    ats_trainer_free(s.t);
    free(s.log);
    return st;
}
