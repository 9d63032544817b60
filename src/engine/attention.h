/* Attention probabilities, one block of query rows at a time: the one computation behind the
 * forward pass (which keeps them or only uses them) and behind a head computed on demand from
 * the queries and keys a long run keeps, so both give the same numbers bit for bit. Also the
 * pooled thumbnails of on-demand runs and their head cache.
 *
 * Threads: the block functions are reentrant (scratch comes from the caller). The head cache is
 * shared by every thread that reads a run: its functions lock it.
 */
#ifndef ATS_ENGINE_ATTENTION_H
#define ATS_ENGINE_ATTENTION_H

#include "run.h"

/* Query rows are computed in blocks of this many, aligned to multiples of it: rows
 * [b * ATS_ATTN_ROWS, (b + 1) * ATS_ATTN_ROWS). */
#define ATS_ATTN_ROWS 64

/* Pooled thumbnails have at most this many cells each way. */
#define ATS_ATTN_POOL_MAX 64

/* T5's relative position bias for one head: query i and key j add bias[bucket[j - i + T - 1] *
 * stride] to their scaled score. */
typedef struct ats_attn_bias {
    const int *bucket; /* (2T - 1) the bucket of each distance */
    const float *bias; /* the head's column of the model's (buckets, H) table */
    int stride;        /* H */
} ats_attn_bias;

/* bucket (2T - 1) = the relative-position bucket of each distance -(T-1)..T-1, as the stack
 * counts them (ats_relative_bucket). */
void ats_attn_buckets(const ats_model_config *c, int T, int *bucket);

/* One head's query rows r0..r1-1 (within one aligned block) against keys 0..T-1 (a causal
 * model's row r sees keys 0..r, and with a sliding `window` > 0 only keys r - window + 1..r).
 *   q (r1 - r0, dh) rows of the head's queries, row stride ldq
 *   k (T, dh) the head's keys, row stride ldk
 *   scores (r1 - r0, T) scratch: q . k^T, raw; filled for every key when all_keys, else only
 *          for the keys some row of the block sees (a causal model's 0..r1-1)
 *   bias   T5's position bias, or NULL
 *   p      (r1 - r0, ldp) the probabilities: softmax(s) over the keys each row sees, where s
 *          is scores * scale (+ bias), soft-capped to attn_softcap * tanh(s / attn_softcap)
 *          when the model caps (Gemma 2); 0 for masked keys up to the block's last key; the
 *          part past that is left as it is (zeros in a fresh buffer).
 * Returns the number of keys the block sees (T, or r1 for a causal model). */
int ats_attn_rows(const ats_model_config *c, const float *q, int ldq, const float *k, int ldk,
                  int r0, int r1, int T, int window, bool all_keys, const ats_attn_bias *bias,
                  float *scores, float *p, int ldp);

/* The pooled block size and cell count for T tokens: the smallest power of two `block` with
 * ceil(T / block) <= ATS_ATTN_POOL_MAX. */
void ats_attn_pool_shape(int T, int *block, int *n);
/* Adds rows r0..r1-1 of one head's probabilities p (row stride ldp, `keys` keys) into its
 * pooled sums (n, n). Rows r0..r1-1 lie in one pooled row block. */
void ats_attn_pool_rows(float *pooled, int n, int block, const float *p, int ldp, int r0, int r1,
                        int keys);

/* mean (n_layer, n_head, n, n) = the run's pooled sums over each block's pairs. */
void ats_attn_pool_means(const ats_run *run, float *mean);

/* A head cache for an on-demand run; NULL when out of memory. */
ats_head_cache *ats_head_cache_new(void);
void ats_head_cache_free(ats_head_cache *cache);

#endif
