/* attnscope analysis: numbers about a run's heads and predictions, for people who inspect what
 * heads do. Plain functions on a run (engine.h): head metrics, aggregates over heads, attention
 * rollout, value-weighted attention, the most probable next tokens, and generation.
 *
 * Shapes as in engine.h: L layers, H heads, T tokens; arrays row-major, caller-owned. Sums are
 * taken in double.
 *
 * Threads: every function may be called from any thread at once on runs any thread holds (runs
 * and models are immutable); an ats_sampling is used by one thread at a time.
 *
 * These read a run's self-attention (square, queries = keys). On an encoder-decoder run (T5,
 * ats_run_seq2seq) they read the decoder's self-attention; ats_run_value_norms and generation
 * refuse such runs (ATS_ERR_UNSUPPORTED).
 */
#ifndef ATTNSCOPE_ANALYSIS_H
#define ATTNSCOPE_ANALYSIS_H

#include "attnscope/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- head metrics --------------------------------------------------------------------------- */

/* Each metric is a mean over the query rows i of one head's attention A (T, T):
 *   entropy      -sum_j A_ij ln A_ij (nats; 0 ln 0 = 0)
 *   prev_token   A_i,i-1 over i = 1 .. T-1 (undefined, NAN, when T < 2)
 *   first_token  A_i,0
 *   self         A_ii
 *   distance     sum_j A_ij |i - j|
 *   max_weight   max_j A_ij */
typedef enum ats_metric {
    ATS_METRIC_ENTROPY,
    ATS_METRIC_PREV_TOKEN,
    ATS_METRIC_FIRST_TOKEN,
    ATS_METRIC_SELF,
    ATS_METRIC_DISTANCE,
    ATS_METRIC_MAX_WEIGHT,
    ATS_METRIC_COUNT,
} ats_metric;

typedef struct ats_head_metrics {
    double value[ATS_METRIC_COUNT]; /* indexed by ats_metric; NAN where undefined */
} ats_head_metrics;

/* "entropy", "prev_token", "first_token", "self", "distance", "max_weight" (the stats JSON keys).
 */
const char *ats_metric_name(ats_metric metric);
bool ats_metric_from_name(const char *name, ats_metric *out);

/* The metrics of one head's matrix attn (T, T), T >= 1 (prev_token through engine.h's
 * ats_score_previous_token). */
void ats_head_metrics_of(const float *attn, int T, ats_head_metrics *out);

/* Every head of a run: out (L, H), layer-major. */
ats_status ats_run_head_metrics(const ats_run *run, ats_head_metrics *out, ats_error *err);

/* ---- aggregates over heads and layers -------------------------------------------------------- */

/* mean (T, T) and max (T, T) over the heads of `layer`, element by element; either may be NULL.
 * ATS_ERR_ARG for a layer out of range. */
ats_status ats_run_head_mean_max(const ats_run *run, int layer, float *mean, float *max,
                                 ats_error *err);

/* Attention rollout (Abnar & Zuidema 2020), rollout (L, T, T):
 *   A^_l = 0.5 head_mean_l + 0.5 I with rows renormalized to sum 1,
 *   R_0 = A^_0,  R_l = A^_l R_{l-1}.
 * Row i of R_l says how much token i's vector after layer l draws on each input token. */
ats_status ats_run_rollout(const ats_run *run, float *rollout, ats_error *err);

/* "Attention received": received (n_keys) = the column sums of attn (rows, n_keys). */
void ats_attention_received(const float *attn, int rows, int n_keys, float *received);

/* ---- value-weighted attention (norm-based, Kobayashi et al. 2020) ---------------------------- */

/* norms (L, H, T): ||v_j W_O^h||_2 for each layer, head and key token j, where v_j is the value
 * vector head h reads (its K/V head under grouped-query attention) and W_O^h the head's d_head
 * rows of the output projection; the projection's bias is left out. The run must come from
 * `model` and have been made with keep_cache (it holds every layer's values): ATS_ERR_ARG
 * otherwise. */
ats_status ats_run_value_norms(const ats_model *model, const ats_run *run, float *norms,
                               ats_error *err);

/* One head's value-weighted attention out (rows, n_keys) = attn_ij * norms_j. */
void ats_value_weighted(const float *attn, const float *norms, int rows, int n_keys, float *out);

/* ---- prediction ------------------------------------------------------------------------------ */

typedef struct ats_token_prob {
    int32_t id;
    float prob;
} ats_token_prob;

/* probs (n) = softmax(logits / temperature) (temperature > 0). */
void ats_probs_of_logits(const float *logits, int n, double temperature, double *probs);

/* The k most probable ids of softmax(logits (n)), most probable first (the lower id first on a
 * tie); returns how many were written, min(k, n). */
int ats_top_k(const float *logits, int n, int k, ats_token_prob *out);

/* ---- generation ------------------------------------------------------------------------------ */

/* How the next token is chosen. Greedy (sample false): the highest logit, the lowest id on a
 * tie. Sampling: from softmax(logits / temperature), cut to the smallest set of most probable
 * tokens whose probabilities reach top_p (nucleus sampling) and renormalized, drawn with the
 * project's splitmix64 generator whose state starts at the seed (the same seed, the same
 * tokens). */
typedef struct ats_sampling {
    bool sample;
    float temperature; /* > 0; 1 leaves the probabilities as they are */
    float top_p;       /* (0, 1]; 1 keeps every token */
    uint64_t state;    /* the seed, advanced by each draw */
} ats_sampling;

ats_sampling ats_sampling_greedy(void);
/* ATS_ERR_ARG unless temperature > 0 and top_p in (0, 1]. */
ats_status ats_sampling_check(const ats_sampling *sampling, ats_error *err);

/* The token chosen after logits (n) and the probability softmax(logits) (temperature 1, no
 * cut) gives it. */
int32_t ats_sampling_choose(ats_sampling *sampling, const float *logits, int n, float *prob);

/* One more token: chooses it from the logits of `run` (made with want_logits and keep_cache),
 * appends it (its span placed after the last token's end) and runs the model on the longer
 * token list with `opts` (want_logits and keep_cache on, run as opts.reuse), so only the new
 * token is computed. *next is the new run; *id the chosen token, *prob its probability.
 * ATS_ERR_ARG when the run is already as long as the model's context, ATS_ERR_UNSUPPORTED for a
 * model without a language-model head or an encoder-decoder run. */
ats_status ats_generate_step(const ats_model *model, const ats_run *run, const ats_run_opts *opts,
                             ats_sampling *sampling, ats_run **next, int32_t *id, float *prob,
                             ats_error *err);

/* Runs `text` and generates up to n_new tokens after it, one ats_generate_step at a time
 * (stopping early only at the model's context). *out is the last run, over the prompt's tokens
 * then the generated ones: the generated token g sits at position T - n_made + g, its attention
 * row is that row of every head, and probs[g] (n_new) the probability it had when chosen. */
ats_status ats_generate(const ats_model *model, const char *text, size_t len,
                        const ats_run_opts *opts, int n_new, ats_sampling *sampling, ats_run **out,
                        float *probs, int *n_made, ats_error *err);

#ifdef __cplusplus
}
#endif

#endif /* ATTNSCOPE_ANALYSIS_H */
