/* attnscope train: a small GPT-2-style transformer trained from scratch on the CPU, with its
 * forward and backward in C over the engine's ops and cblas_sgemm, so that a class can watch
 * previous-token and induction heads form.
 *
 * Model: a GPT-2 layout (token and learned or rotary positions, pre-norm LayerNorm blocks of
 * causal multi-head attention and an optional GELU MLP, a final LayerNorm, an untied LM head),
 * initialised as GPT-2 from a seed; trained with AdamW on the mean next-token cross-entropy.
 *
 * Checkpoints are Hugging Face style folders (config.json with model_type "gpt2",
 * model.safetensors with Conv1D [in][out] weights, tokenizer.json) that ats_model_load and every
 * attnscope command open. Two switches extend the GPT-2 config for what Hugging Face's GPT-2 lacks:
 * "n_inner": 0 (attention-only blocks) and "position_embedding_type": "rotary". Each checkpoint's
 * config.json also carries "attnscope": {"head_scores": ...} (the engine's probe scores, from
 * which it captions the heads) and the step, loss and recipe.
 *
 * Determinism: the same options give bit-identical losses and weights on the same machine and
 * build, whatever the thread count. Every step's batch is drawn from one seeded generator before
 * any thread starts; the batch is cut into fixed chunks of ATS_TRAIN_CHUNK sequences whose
 * gradients are computed independently (any thread may take any chunk) and summed in chunk order;
 * BLAS runs single-threaded (openblas_set_num_threads(1) in ats_trainer_new), because a threaded
 * BLAS may split a sum differently from one call to the next.
 *
 * Threads: a trainer is used by one thread at a time (it starts its own workers inside a step).
 */
#ifndef ATS_TRAIN_TRAIN_H
#define ATS_TRAIN_TRAIN_H

#include "attnscope/engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATS_TRAIN_CHUNK 4 /* sequences per gradient chunk (fixed: it sets the summation order) */

typedef struct ats_train_opts {
    const char *corpus; /* "builtin:repeats" (default), "builtin:text" or a UTF-8 text file */
    int vocab;          /* builtin:repeats: the first `vocab` words (0: all of them) */
    int n_layer, n_head, d_model;
    int d_ff;           /* MLP width; 0: attention only; -1: 4 * d_model */
    int context;        /* tokens per training sequence and the model's context */
    bool rope;          /* rotary positions instead of a learned table */
    int steps;          /* optimizer steps */
    int batch;          /* sequences per step, a multiple of ATS_TRAIN_CHUNK */
    float lr;           /* learning rate: linear warmup, constant, then over the last fifth of the
                           steps a cosine down to lr / 10 */
    int warmup;         /* warmup steps */
    float weight_decay; /* AdamW decay of the 2-D weights */
    uint64_t seed;      /* initialisation and batches */
    int threads;        /* worker threads; 0: the online CPUs */
} ats_train_opts;

/* 2 layers, 4 heads, d_model 64, attention only, context 64, rotary positions, 2000 steps of 32
 * sequences, lr 1e-3 (warmup 100), weight decay 0.01, seed 1, builtin:repeats. (Rotary rather
 * than learned positions: on builtin:repeats their induction heads formed by step 1000 for each
 * of seeds 1, 2 and 3; with learned positions none had formed by step 3000.) */
ats_train_opts ats_train_opts_default(void);

typedef struct ats_trainer ats_trainer;

/* Checks the options, opens the corpus and initialises the model. */
ats_status ats_trainer_new(const ats_train_opts *opts, ats_trainer **out, ats_error *err);
void ats_trainer_free(ats_trainer *t);

typedef struct ats_train_step {
    int step;         /* steps done after this one (1 for the first) */
    double loss;      /* mean cross-entropy of the step's batch, before its update */
    float lr;         /* the learning rate used */
    double grad_norm; /* before clipping to 1 */
} ats_train_step;

/* One AdamW step on a fresh batch. */
ats_status ats_trainer_step(ats_trainer *t, ats_train_step *out, ats_error *err);

int ats_trainer_steps_done(const ats_trainer *t);
const ats_train_opts *ats_trainer_opts(const ats_trainer *t); /* as resolved (d_ff, threads) */
int ats_trainer_vocab(const ats_trainer *t);
size_t ats_trainer_n_params(const ats_trainer *t);
/* Tokens one step trains on (batch * context). */
long ats_trainer_tokens_per_step(const ats_trainer *t);

/* Mean cross-entropy over `count` fixed held-out sequences (drawn from a generator of its own,
 * the same at every call). */
ats_status ats_trainer_eval_loss(ats_trainer *t, int count, double *loss, ats_error *err);

/* The trainer's own forward of one sequence of T <= context ids: logits (T, V) and, when attn is
 * not NULL, attention (L, H, T, T). */
ats_status ats_trainer_forward(ats_trainer *t, const int32_t *ids, int T, float *logits,
                               float *attn, ats_error *err);

/* Writes a checkpoint folder `dir` (created when missing): tokenizer.json, model.safetensors,
 * then config.json (last, so a folder with a config is complete). head_scores (2, L, H) are
 * written into the config when not NULL; loss < 0 leaves it out. */
ats_status ats_trainer_save(const ats_trainer *t, const char *dir, const float *head_scores,
                            double loss, ats_error *err);

/* ---- a whole training run into a folder ---------------------------------------------------- */

/* DIR/train_log.jsonl gets one JSON object per line:
 *   {"event": "start", "recipe": {...options...}, "n_params": N, "vocab_size": V}
 *   {"step": S, "loss": mean loss of the steps since the last line, "lr": X,
 *    "tokens_per_second": X, "elapsed_s": X}                       every log_every steps
 *   {"step": S, "checkpoint": "checkpoints/step-000400", "eval_loss": X,
 *    "previous_token": [[...]], "induction": [[...]]}             at each checkpoint
 *   {"event": "end", "step": S, "elapsed_s": X}
 * Checkpoints go to DIR/checkpoints/step-NNNNNN at step 0, every checkpoint_every steps and at
 * the end; the final model is also written to DIR itself, so DIR opens as a model. */
typedef struct ats_train_progress {
    int step, steps;
    double loss;              /* of this step */
    double tokens_per_second; /* since the start, checkpoints included */
    double elapsed_s;
    bool checkpoint;                         /* a checkpoint was written at this step */
    const float *previous_token, *induction; /* (L, H) at a checkpoint, else NULL */
} ats_train_progress;

typedef struct ats_train_run_opts {
    int checkpoint_every; /* 0: only at the start and the end */
    int log_every;        /* 0: 10 */
    /* called after every step (may be NULL); returning false stops the run after a final
     * checkpoint */
    bool (*progress)(const ats_train_progress *p, void *user);
    void *user;
} ats_train_run_opts;

ats_status ats_train_run(const ats_train_opts *opts, const ats_train_run_opts *run, const char *dir,
                         ats_error *err);

#endif
