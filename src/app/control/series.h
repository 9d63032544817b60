/* A training folder (attnscope train -o DIR) as the window replays it: the checkpoints in step
 * order with each one's head scores, and the loss curve, read from DIR/train_log.jsonl (see
 * src/train/train.h for its lines). The log names a checkpoint only once its folder is complete,
 * so every checkpoint listed opens. No SDL, no engine calls; the UI thread reads it.
 *
 * Ownership: ats_series_read fills a series that ats_series_free releases (NULL-safe fields). */
#ifndef ATS_APP_SERIES_H
#define ATS_APP_SERIES_H

#include "attnscope/status.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct ats_series {
    char *dir;             /* the training folder as given */
    char *name;            /* its last path component, for titles */
    int n_layer, n_head;   /* from the score rows */
    int steps_planned;     /* the recipe's steps (0 when the log does not say) */
    bool finished;         /* the log has its end line: no more checkpoints will come */
    int n;                 /* checkpoints */
    int *step;             /* (n) increasing */
    char **path;           /* (n) each checkpoint's folder: dir/checkpoints/step-NNNNNN */
    float *eval_loss;      /* (n) the held-out loss at each checkpoint */
    float *previous_token; /* (n, L, H) */
    float *induction;      /* (n, L, H) */
    int n_loss;            /* training-loss points */
    int *loss_step;        /* (n_loss) */
    float *loss;           /* (n_loss) mean loss of the steps up to loss_step */
    long long log_size;    /* bytes of the log read, to notice that it grew */
} ats_series;

/* A folder holding train_log.jsonl and checkpoints/. */
bool ats_series_is_training_folder(const char *path);

/* Reads the log; ATS_ERR_IO when it cannot be read, ATS_ERR_FORMAT (naming the file and line and
 * what is wrong) when it is malformed or holds no checkpoint, ATS_ERR_NOMEM. */
ats_status ats_series_read(const char *dir, ats_series *out, ats_error *err);
void ats_series_free(ats_series *s);

/* The log's size now (-1 when it is gone): a series is stale when it differs from log_size. */
long long ats_series_log_size(const char *dir);

/* The checkpoint whose step is nearest `step`. */
int ats_series_nearest(const ats_series *s, double step);

#endif
