/* The result of one run: tokens, every head's attention (kept, or computable on demand), and
 * the optional extras. */
#ifndef ATS_ENGINE_RUN_H
#define ATS_ENGINE_RUN_H

#include "model.h"

#include <stdatomic.h>

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
    /* a decoder layer's cross-attention (cfg.cross_attention), else NULL: the queries of the
     * decoder's rows and the keys and values of the encoder's Te tokens, per head */
    float *cross_q;           /* (n_head, T, d_head) cq of the normed decoder state */
    float *cross_k, *cross_v; /* (n_head, Te, d_head) ck, cv of the encoder's output */
    float *cross_concat;      /* (T, n_head * d_head) every cross head's output side by side */
    float *cross_out;         /* (T, d_model) cross_concat projected by co */
} ats_layer_store;

typedef struct ats_head_cache ats_head_cache; /* attention.c */

/* Where a run's attention probabilities are. Layers attn_layer0 .. attn_layer0 + n - 1 can be
 * asked for (every layer normally; one when ats_run_opts.attention_layer names it). Small runs
 * keep them all (`probs`); past the budget a run keeps each of those layers' queries and keys
 * (`q`, `k`) and computes a head's probabilities when asked, through a small cache shared by the
 * threads reading the run, plus a pooled thumbnail of every head of every layer for the grid. */
typedef struct ats_attn_store {
    int layer0, n_layers;
    bool kept;
    float *probs; /* kept: (n_layers, n_head, T, T) */
    float *q;     /* on demand: (n_layers, T, n_head * d_head) after RoPE */
    float *k;     /* on demand: (n_layers, T, n_kv_head * d_head) after RoPE; NULL when the run's
                     kv_cache holds every layer's keys (then read there) */
    /* on demand: sums of each head's probabilities over blocks of `block` x `block` tokens
     * (query rows i*block.., keys j*block..), (n_layer, n_head, n, n), n = ceil(T / block); and
     * the same as means, made at the end of the pass */
    float *pooled;
    float *pooled_mean;
    int pool_n, pool_block;
    ats_head_cache *cache; /* on demand */
} ats_attn_store;

struct ats_run {
    atomic_int refs;      /* ats_run_retain / ats_run_free */
    ats_model_config cfg; /* a copy, so the run outlives nothing it needs */
    uint64_t model_serial;
    ats_tokens *tokens;
    int n_tokens;
    int n_dropped;
    int n_reused; /* leading tokens whose results came from a previous run */
    double tokenize_ms, forward_ms;
    ats_attn_store attn;
    float *hidden;           /* (T, d_model) or NULL */
    float *logits;           /* (vocab_size) or NULL */
    ats_layer_store *layers; /* (n_layer) */
    float *kv_cache;         /* (n_layer, 2, T, n_kv_head * d_head) keys after RoPE, then values;
                                NULL unless opts.keep_cache */
    float *rel_bias; /* (rel_buckets, n_head) the model's relative position bias table (T5) */
    bool *ablated;   /* (n_layer, n_head) heads whose output the pass zeroes, or NULL for none */
    int n_ablated;
    /* a decoder's run (cfg.cross_attention) */
    struct ats_run *encoder; /* retained: its tokens, attention and hidden states */
    const float *memory;     /* (Te, d_model) the encoder's output, encoder->hidden */
    int n_memory;            /* Te */
    float *cross_attn;       /* (n_layer, n_head, T, Te) */
    int n_generated;         /* decoder tokens made by greedy generation */
    /* while the forward pass runs: the caller's cancel test and the team size */
    bool (*cancel)(void *user);
    void *cancel_user;
    int threads;
};

/* Cuts the tokens to the model's context, allocates the outputs and runs the pass; takes
 * `tokens` (freed on failure too). A decoder stack (cfg.cross_attention) attends to `encoder`'s
 * hidden states, which it retains. */
ats_status ats_run_tokens(const ats_model *model, ats_tokens *tokens, const ats_run_opts *opts,
                          double tokenize_ms, ats_run *encoder, ats_run **out, ats_error *err);

/* True when the run keeps intermediates for `layer`. */
bool ats_run_keeps_layer(int detail_layer, int layer);

/* Runs the model over run->tokens, filling run->attn and whatever else the run allocated
 * (hidden, logits, layer stores, kv_cache). Buffers are sized by the caller.
 *
 * With prev != NULL, the first `n_prefix` tokens are the same as prev's first tokens in a causal
 * model, so their keys, values, attention rows, hidden states and kept details are copied from
 * prev (which must hold a kv_cache, the hidden states if run wants them, the layer stores run
 * keeps, and its attention stored the same way) and only tokens n_prefix..T-1 are computed.
 * n_prefix < T. ATS_ERR_CANCELLED when run->cancel said so between two layers. */
ats_status ats_forward(const ats_model *model, ats_run *run, const ats_run *prev, int n_prefix,
                       ats_error *err);

#endif
