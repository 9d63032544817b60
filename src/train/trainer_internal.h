/* The trainer's insides, shared by trainer.c (the step), checkpoint.c (saving) and session.c
 * (a whole run). */
#ifndef ATS_TRAIN_TRAINER_INTERNAL_H
#define ATS_TRAIN_TRAINER_INTERNAL_H

#include "corpus.h"
#include "tmodel.h"
#include "train.h"

#include <jansson.h>

struct ats_trainer {
    ats_train_opts opts; /* resolved: d_ff, threads; corpus points at corpus_name */
    char corpus_name[1024];
    ats_tr_corpus corpus;
    ats_tr_model model;
    float *params;          /* (n_params) */
    float *adam_m, *adam_v; /* (n_params) */
    float *grads;           /* (n_chunks, n_params); chunk 0 holds the sum after a step */
    double *losses;         /* (n_chunks) summed cross-entropy of each chunk */
    int n_chunks;           /* batch / ATS_TRAIN_CHUNK */
    int32_t *ids, *targets; /* (batch, context) */
    int32_t *seq;           /* (context + 1) */
    ats_tr_acts *acts;      /* (threads) one workspace per worker */
    ats_rng rng;            /* the batches */
    int step;               /* steps done */
};

/* `count` sequences drawn with rng into ids and targets (count, context). */
void ats_trainer_draw(ats_trainer *t, ats_rng *rng, int count, int32_t *ids, int32_t *targets);

/* checkpoint.c: mkdir -p; a number with 6 significant digits; (L, H) scores as rows; the options
 * as the JSON "recipe" the log and the checkpoints carry. */
ats_status ats_tr_make_dirs(const char *dir, ats_error *err);
json_t *ats_tr_score_rows(const float *scores, int n_layer, int n_head);
json_t *ats_tr_recipe_json(const ats_trainer *t);

#endif
