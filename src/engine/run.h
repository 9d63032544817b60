/* The result of one run: tokens, every head's attention, and the optional extras. */
#ifndef ATS_ENGINE_RUN_H
#define ATS_ENGINE_RUN_H

#include "model.h"

/* One layer's kept intermediates (all NULL for layers not selected by detail_layer). */
typedef struct ats_layer_store {
    float *q;        /* (n_head, T, d_head) after RoPE */
    float *k, *v;    /* (n_kv_head, T, d_head), k after RoPE */
    float *scores;   /* (n_head, T, T) q . k, unscaled, unmasked */
    float *out;      /* (n_head, T, d_head) */
    float *input;    /* (T, d_model) */
    float *attn_in;  /* (T, d_model) */
    float *concat;   /* (T, n_head * d_head) */
    float *attn_out; /* (T, d_model) */
} ats_layer_store;

struct ats_run {
    ats_model_config cfg; /* a copy, so the run outlives nothing it needs */
    ats_tokens *tokens;
    int n_tokens;
    int n_dropped;
    float *attn;             /* (n_layer, n_head, T, T) */
    float *hidden;           /* (T, d_model) or NULL */
    float *logits;           /* (vocab_size) or NULL */
    ats_layer_store *layers; /* (n_layer) */
};

/* True when the run keeps intermediates for `layer`. */
bool ats_run_keeps_layer(int detail_layer, int layer);

/* Runs the model over run->tokens, filling run->attn and whatever else the run allocated
 * (hidden, logits, layer stores). Buffers are sized by the caller. */
ats_status ats_forward(const ats_model *model, ats_run *run, ats_error *err);

#endif
