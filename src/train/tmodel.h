/* The trainable model: a GPT-2 layout (pre-norm LayerNorm blocks, learned or rotary positions,
 * an optional GELU MLP, a final LayerNorm and an untied LM head) whose parameters live in one
 * flat float array, with a forward that keeps what its backward needs.
 *
 * Tensors carry the Hugging Face GPT-2 names and shapes they are saved under (Conv1D weights
 * [in][out]), so a checkpoint is the flat array cut into named pieces.
 *
 * Shapes: B sequences of T tokens, N = B * T rows, D = d_model, H heads of dh = D / H, F = d_ff,
 * V = vocabulary, L layers.
 *
 * Threads: a model layout is read-only once made; several threads may run forwards and backwards
 * over the same parameters at once, each with its own ats_tr_acts and gradient buffer.
 */
#ifndef ATS_TRAIN_TMODEL_H
#define ATS_TRAIN_TMODEL_H

#include "attnscope/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ats_tr_config {
    int n_layer, n_head, d_model, d_head;
    int d_ff; /* 0: attention-only blocks (no ln_2, no MLP) */
    int vocab, context;
    bool rope; /* rotary positions (rotate-half, theta below) instead of a wpe table */
    float rope_theta;
    float eps; /* LayerNorm epsilon */
} ats_tr_config;

/* One named tensor of the flat parameter array. */
typedef struct ats_tr_tensor {
    char name[48]; /* "h.0.attn.c_attn.weight" */
    size_t offset; /* in floats */
    int n_dims;
    int dims[2];
    bool matrix; /* a 2-D weight: AdamW decays it (not biases, norms) */
} ats_tr_tensor;

/* Offsets of a layer's tensors in the flat array (F = 0: no ln_2, c_fc, c_proj of the MLP). */
typedef struct ats_tr_layer_at {
    size_t ln1_w, ln1_b;   /* (D) */
    size_t attn_w, attn_b; /* (D, 3D), (3D): q | k | v */
    size_t proj_w, proj_b; /* (D, D), (D) */
    size_t ln2_w, ln2_b;   /* (D) */
    size_t fc_w, fc_b;     /* (D, F), (F) */
    size_t fcp_w, fcp_b;   /* (F, D), (D) */
} ats_tr_layer_at;

typedef struct ats_tr_model {
    ats_tr_config cfg;
    ats_tr_tensor *tensors;
    int n_tensors;
    size_t n_params;
    size_t wte, wpe;     /* (V, D), (context, D) (wpe unused with rope) */
    ats_tr_layer_at *at; /* (L) */
    size_t lnf_w, lnf_b; /* (D) */
    size_t lm;           /* (V, D) */
} ats_tr_model;

/* Lays out the tensors of a config (checked: positive sizes, D divisible by the heads). */
ats_status ats_tr_model_init(ats_tr_model *m, const ats_tr_config *cfg, ats_error *err);
void ats_tr_model_release(ats_tr_model *m);

/* GPT-2's initialisation from a seed: weights ~ N(0, 0.02), the projections into the residual
 * stream (c_proj) ~ N(0, 0.02 / sqrt(2 L)), embeddings ~ N(0, 0.02), LayerNorm w = 1, biases 0. */
void ats_tr_model_init_params(const ats_tr_model *m, float *params, uint64_t seed);

/* What one forward keeps for its backward, for up to max_b sequences of up to max_t tokens. */
typedef struct ats_tr_acts {
    int max_b, max_t, B, T; /* capacity, and the shape of the last forward */
    float *x0;              /* (N, D) embeddings: the residual stream entering layer 0 */
    /* per layer, L blocks of each */
    float *ln1, *mean1, *rstd1; /* (N, D), (N), (N) */
    float *qkv;                 /* (N, 3D) after RoPE */
    float *att;                 /* (B, H, T, T) */
    float *o;                   /* (N, D) every head's output side by side */
    float *xmid;                /* (N, D) the stream after attention */
    float *ln2, *mean2, *rstd2; /* (N, D), (N), (N) */
    float *fc_pre, *fc_act;     /* (N, F) before and after GELU */
    float *xout;                /* (N, D) the stream after the block */
    float *lnf, *meanf, *rstdf; /* (N, D), (N), (N) */
    float *logits;              /* (N, V); the backward turns them into their gradient */
    /* the backward's scratch */
    float *dx, *dh, *tmp; /* (N, D) */
    float *dqkv;          /* (N, 3D) */
    float *dfc;           /* (N, F) */
    float *dtt;           /* (T, T) */
    float *inv_freq;      /* (dh / 2) */
    double *rope;         /* (max_t, dh / 2, 2) cos and sin of each position's angles */
    float *block;         /* the one allocation of the floats */
} ats_tr_acts;

ats_status ats_tr_acts_alloc(ats_tr_acts *a, const ats_tr_model *m, int max_b, int max_t,
                             ats_error *err);
void ats_tr_acts_release(ats_tr_acts *a);

/* Runs ids (B, T) (every id in [0, V), B <= max_b, T <= max_t) through the model: a->logits
 * (N, V) and everything the backward needs. */
void ats_tr_forward(const ats_tr_model *m, const float *params, ats_tr_acts *a, const int32_t *ids,
                    int B, int T);

/* After ats_tr_forward: the summed cross-entropy of targets (B, T) (< 0: not counted), and its
 * gradient times `scale` added to grads (the flat layout). */
double ats_tr_backward(const ats_tr_model *m, const float *params, float *grads, ats_tr_acts *a,
                       const int32_t *ids, const int32_t *targets, float scale);

#endif
