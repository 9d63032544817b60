/* attnscope run data: a run of the engine as what views and exports need. One home for the
 * conversions the command line, the window and the samples share: a run as the plain arrays the
 * render library draws from (ats_view_data, ats_pipeline_data), and a run's numbers as JSON (the
 * schema of DESIGN.md), NPY and CSV.
 *
 * Threads: every function may be called from any thread, on runs any thread holds (runs are
 * immutable); a struct filled here is used by one thread at a time. An ats_head_fetcher (below)
 * runs a thread of its own; its functions may be called from any thread.
 *
 * Ownership: *_make fills a caller-owned struct whose arrays borrow from the run and model, so
 * the run and model must outlive it; *_free releases what the struct owns (NULL-safe fields).
 */
#ifndef ATTNSCOPE_RUNDATA_H
#define ATTNSCOPE_RUNDATA_H

#include "attnscope/analysis.h"
#include "attnscope/engine.h"
#include "attnscope/render.h"

#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the attention of a run, by kind ------------------------------------------------------ */

/* Which attention of an encoder-decoder run (ats_run_seq2seq's result, a decoder's run) is
 * meant; any other run has only its own, ATS_ATTN_ENCODER. */
typedef enum ats_attn_kind {
    ATS_ATTN_ENCODER, /* the encoder's self-attention (Te, Te); a one-stack run's own attention */
    ATS_ATTN_DECODER, /* the decoder's causal self-attention (Td, Td) */
    ATS_ATTN_CROSS,   /* the decoder's attention to the encoder's tokens (Td, Te) */
    ATS_ATTN_COUNT,
} ats_attn_kind;

/* "encoder", "decoder", "cross". */
const char *ats_attn_kind_name(ats_attn_kind kind);
bool ats_attn_kind_from_name(const char *name, ats_attn_kind *out);
/* True when the run holds that kind. */
bool ats_run_has_kind(const ats_run *run, ats_attn_kind kind);
/* The run whose tokens are the queries of `kind` (the encoder's run for ATS_ATTN_ENCODER), and
 * whose config gives its layers and heads; NULL when the run has no such kind. */
const ats_run *ats_run_of_kind(const ats_run *run, ats_attn_kind kind);
/* One head's matrix of that kind, (rows, cols) = (queries, keys); NULL when absent or out of
 * range, or when the run computes its heads on demand (long texts: use the acquire below). */
const float *ats_run_kind_attention(const ats_run *run, ats_attn_kind kind, int layer, int head,
                                    int *rows, int *cols);
/* The same for any run: a stack's head through ats_run_attention_acquire (computed now when the
 * run keeps no whole attention), the cross-attention as kept. Release each with
 * ats_run_kind_release. ATS_ERR_ARG when absent or out of range, ATS_ERR_NOMEM. */
ats_status ats_run_kind_acquire(const ats_run *run, ats_attn_kind kind, int layer, int head,
                                const float **out, int *rows, int *cols, ats_error *err);
void ats_run_kind_release(const ats_run *run, ats_attn_kind kind, const float *attention);

/* ---- a run as view data ------------------------------------------------------------------ */

typedef struct ats_head_fetcher ats_head_fetcher; /* below */

typedef struct ats_run_view {
    ats_view_data data;      /* what ats_view_build takes */
    const char **labels;     /* (T) token pieces, borrowed from the run */
    bool *special;           /* (T) */
    const char **key_labels; /* (Te) cross-attention: the encoder's token pieces, else NULL */
    bool *key_special;       /* (Te) */
    bool *ablated;           /* (L, H) the heads the run ablated (data.ablated), or NULL */
    const char **badges;     /* (L, H) each head's role from the scores the model carries, or
                                NULL */
    int *windows;            /* (L) each layer's sliding window, or NULL when none has one */
    /* a run that computes heads on demand: the heads a build asked for (acquired from the run,
     * released by ats_run_view_free) */
    const ats_run *run;
    const float **heads; /* (L * H), NULL entries not asked for yet */
    /* asynchronous (ats_run_view_set_fetcher): heads not computed yet are left to `fetcher` */
    ats_head_fetcher *fetcher;
    bool *asked;                     /* (L * H) the heads left to it, drawn empty */
    int n_pending;                   /* how many, over every build of this view */
    int pending_layer, pending_head; /* the first of them */
} ats_run_view;

/* `text` is the input text the run was made from (metadata; may be NULL). A run that kept its
 * attention whole is drawn from it; otherwise each head a view draws is computed (or found in
 * the run's cache) when the build asks for it, and the grid draws the pooled overview. A model
 * that carries head scores (ats_model_head_scores: checkpoints of attnscope train) gets grid
 * badges naming each head's role ("previous token", "induction"). ATS_ERR_NOMEM. */
ats_status ats_run_view_make(ats_run_view *v, const ats_model *model, const ats_run *run,
                             const char *text, ats_error *err);
/* The same for one kind of an encoder-decoder run: a stack's self-attention, or cross-attention
 * with the decoder's tokens as queries and the encoder's as keys. ATS_ERR_ARG when the run has
 * no such kind. */
ats_status ats_run_view_make_kind(ats_run_view *v, const ats_model *model, const ats_run *run,
                                  ats_attn_kind kind, const char *text, ats_error *err);
/* Makes v asynchronous, for a window whose thread must not compute heads: a build then draws a
 * head the run has not computed yet (ats_run_attention_try_acquire fails) as empty (NULL from
 * data.head), asks `fetcher` for it and counts it in n_pending (the caller draws a placeholder
 * over the view while n_pending > 0, and builds again when the fetcher says heads arrived).
 * Without this call a view computes each head it draws during the build (the command line and
 * the exports, which need every head they write). No-op for a run that keeps whole attention.
 * The thread that builds the view calls it; the fetcher must outlive the view. */
void ats_run_view_set_fetcher(ats_run_view *v, ats_head_fetcher *fetcher);
void ats_run_view_free(ats_run_view *v);

/* ---- heads computed in the background ------------------------------------------------------ */

/* A thread that computes heads of on-demand runs (ats_run_attention_acquire) one at a time,
 * for views made asynchronous (ats_run_view_set_fetcher). A computed head is released into its
 * run's cache at once (about a layer's worth of heads stay there), where the next build finds
 * it. Requests come in rounds: ats_head_fetcher_begin starts one before a frame's builds, and a
 * request that the round does not ask for again is dropped before it starts (the user moved on,
 * or a new run replaced the one shown). Each pending request holds a reference to its run, so
 * its caller may free the run at any time; the fetcher's thread releases it (and may free the
 * run there). Every function may be called from any thread; `wake` is called on the fetcher's
 * thread. */

/* How many heads were requested (each new request once), computed, and dropped unstarted; how
 * many aggregates were asked (each new job once), finished, and dropped (replaced or let go of
 * before they finished: unstarted, or stopped between two heads). */
typedef struct ats_head_fetcher_counts {
    unsigned requested, computed, dropped;
    unsigned aggregates_asked, aggregates, aggregates_dropped;
} ats_head_fetcher_counts;

/* Starts the thread. `wake` (may be NULL) is called on it after each head it finished (computed,
 * or failed: then that head is drawn empty and not asked again while wanted): the window wakes
 * its event loop with it. ATS_ERR_NOMEM when the thread cannot start. */
ats_status ats_head_fetcher_new(void (*wake)(void *user), void *wake_user, ats_head_fetcher **out,
                                ats_error *err);
/* Drops every pending request and joins the thread: waits for the head in progress only.
 * NULL-safe. Views made asynchronous with it must be freed first. */
void ats_head_fetcher_free(ats_head_fetcher *f);
/* Starts a round of requests (before a frame's builds). */
void ats_head_fetcher_begin(ats_head_fetcher *f);
/* Asks for a head of `run` in the current round (queued once, after the heads asked before it);
 * true while it is pending or in progress, false when it failed before or the queue is out of
 * memory. Ask only for heads ats_run_attention_try_acquire does not give. */
bool ats_head_fetcher_request(ats_head_fetcher *f, const ats_run *run, int layer, int head);
/* True once after heads were computed (or an aggregate progressed): build the views again. */
bool ats_head_fetcher_arrived(ats_head_fetcher *f);
ats_head_fetcher_counts ats_head_fetcher_get_counts(ats_head_fetcher *f);

/* The aggregate view of a run computed on demand, in the background: the mean or max over a
 * layer's heads, or the mean over every layer and head, is a job of many heads that the
 * fetcher's thread accumulates one head at a time (a running sum or max: one head and the T x T
 * sums in memory), taking the views' heads first between two of its heads. The window asks one
 * job per slot (slot k: the k-th text of a comparison). Asking a slot for another job (another
 * run, aggregate or layer) or for none (run NULL) replaces its job: one not started is dropped, a
 * running one stops before its next head; asking the same job again keeps it. Each job holds a
 * reference to its run (released on the fetcher's thread). `wake` is called after each of its
 * heads (progress) and when it finished. */
#define ATS_FETCH_AGG_SLOTS 2
typedef enum ats_fetch_state {
    ATS_FETCH_NONE,    /* nothing asked (or already taken) */
    ATS_FETCH_PENDING, /* being computed */
    ATS_FETCH_DONE,    /* finished: ats_head_fetcher_aggregate_take hands it over */
    ATS_FETCH_FAILED,  /* a head could not be computed (out of memory) */
} ats_fetch_state;
/* Asks slot `slot` for `which` (ATS_AGGREGATE_MEAN, _MAX at `layer`, or _ALL, whatever the
 * layer) of run's self-attention; the result is ats_run_aggregate_make's bit for bit.
 * ATS_ERR_ARG for a slot or layer out of range or another aggregate (the rollout comes with the
 * run's extras). */
ats_status ats_head_fetcher_aggregate(ats_head_fetcher *f, int slot, const ats_run *run,
                                      ats_aggregate which, int layer, ats_error *err);
/* The state of slot's job, with *done of its *total heads accumulated. DONE hands over *out (T,
 * T) and *received (T, its column sums), malloc'd (the caller frees them), and empties the slot,
 * as FAILED does; otherwise *out and *received are NULL. */
ats_fetch_state ats_head_fetcher_aggregate_take(ats_head_fetcher *f, int slot, float **out,
                                                float **received, int *done, int *total);

/* ---- analysis as view data (analysis.h's numbers for the views) ------------------------------ */

/* The aggregate view's matrix of a run's self-attention: out (T, T) is `which` at `layer` (the
 * mean or max over its heads, the mean over every layer and head, or the rollout through it,
 * read from `rollout` (L, T, T), ats_run_rollout's, which only ATS_AGGREGATE_ROLLOUT needs);
 * received (T) its column sums, or NULL. ATS_ERR_ARG for a layer out of range or a missing
 * rollout, ATS_ERR_NOMEM. */
ats_status ats_run_aggregate_make(const ats_run *run, ats_aggregate which, int layer,
                                  const float *rollout, float *out, float *received,
                                  ats_error *err);
/* Value-weighted attention of every head: out (L, H, T, T) = A_ij * norms[l][h][j], norms (L, H,
 * T) from ats_run_value_norms. With per_layer_unit each layer is divided by its largest value,
 * for the lines view, whose weights are in 0 .. 1. Fails as ats_run_attention_acquire does. */
ats_status ats_run_value_weighted_all(const ats_run *run, const float *norms, bool per_layer_unit,
                                      float *out, ats_error *err);

/* One head's attention formula for one query token, as the pipeline view draws it. */
typedef struct ats_run_pipeline {
    ats_pipeline_data data; /* point ats_run_view.data.pipeline here */
    ats_head_steps *steps;  /* owned: the arrays the what-if switches change */
} ats_run_pipeline;

/* Fills p for `layer`, `head` and query `token` of a run that kept that layer's details
 * (ats_run_opts.detail_layer), through ats_head_steps_compute with the what-if switches `opts`
 * (NULL: the model's own computation). The arrays are borrowed from the run and from p->steps:
 * free p with ats_run_pipeline_free before the run. On failure p is empty and err says why
 * (ATS_ERR_ARG for a layer not kept or an index out of range). */
ats_status ats_run_pipeline_make(ats_run_pipeline *p, const ats_model *model, const ats_run *run,
                                 int layer, int head, int token, const ats_step_opts *opts,
                                 ats_error *err);
/* The same for one of a T5 run's three attentions (`run` as ats_run_view_make_kind takes it):
 * the cross kind's steps are a decoder token's query against the encoder's tokens
 * (ats_cross_steps_compute), p->data.cross set; the others are ats_run_pipeline_make's on the
 * encoder's or decoder's run. ATS_ERR_ARG for a kind the run does not have. */
ats_status ats_run_pipeline_make_kind(ats_run_pipeline *p, const ats_model *model,
                                      const ats_run *run, ats_attn_kind kind, int layer, int head,
                                      int token, const ats_step_opts *opts, ats_error *err);
void ats_run_pipeline_free(ats_run_pipeline *p);

/* ---- a run's numbers as files -------------------------------------------------------------- */

/* The layers and heads a dump covers. */
typedef struct ats_dump_selection {
    int layer0, n_layers, head0, n_heads;
} ats_dump_selection;

/* Every layer and head of the model. */
ats_dump_selection ats_dump_selection_all(const ats_model_config *c);

/* What a dump's JSON adds beyond the attention (analysis.h). */
typedef struct ats_dump_extras {
    bool aggregate;      /* "head_mean", "head_max" [layer][query][key]: over the heads of each
                            selected layer */
    bool rollout;        /* "rollout" [layer][query][key]: attention rollout over every layer */
    bool value_weighted; /* "value_weighted" [layer][head][query][key] of the selection
                            (needs a run made with keep_cache) */
    int top_k;           /* "top_k": [{"id", "piece", "prob"}] the top_k most probable next tokens
                            (needs the run's logits); 0 for none. On an encoder with its
                            masked-LM head (a run made with want_hidden) instead "masked":
                            [{"position", "top_k": [...]}], the top_k tokens at each mask token
                            (ATS_ERR_ARG naming the mask token when the text has none) */
    bool hide_logits;    /* leave "logits_last" out (the run has logits only for top_k) */
    bool show_hidden;    /* write "hidden_last_layer" when the run has them (NULL extras write
                            them too); a run may keep them only for a masked-LM head's top_k */
} ats_dump_extras;

/* The writers take each head from the run one at a time (ats_run_kind_acquire), so a run
 * that computes its heads on demand is written with one head in memory at a time. They fail
 * (ATS_ERR_NOMEM, or ATS_ERR_ARG for heads the run does not serve) with the file unfinished. */

/* One dump object (DESIGN.md's schema); with one_line (JSON Lines) it holds no newline but the
 * last. `warning`, `steps` and `extras` may be NULL. A run made with ablated heads adds
 * "ablated": [{"layer", "head"}, ...]. The extras are computed before anything is written
 * (ATS_ERR_ARG for value_weighted on a run without its cache or top_k without logits,
 * ATS_ERR_NOMEM). */
ats_status ats_dump_write_json(FILE *f, const ats_model *model, const char *text, size_t text_len,
                               const ats_run *run, const ats_dump_selection *sel,
                               const char *warning, const ats_head_steps *steps,
                               const ats_dump_extras *extras, bool one_line, ats_error *err);
/* NPY v1.0, float32 (layers, heads, T, T) of the selection. */
ats_status ats_dump_write_npy(FILE *f, const ats_run *run, const ats_dump_selection *sel,
                              ats_error *err);
/* One head's (T, T) matrix, token pieces as header row and first column (RFC 4180, CRLF). */
ats_status ats_dump_write_csv(FILE *f, const ats_run *run, int layer, int head, ats_error *err);

/* An encoder-decoder run (ats_run_seq2seq's result) as one JSON object: DESIGN.md's schema for
 * the encoder ("tokens", "layers", "heads", "attentions" [L_enc][H][Te][Te]) plus "target" (the
 * target text or null), "decoder_tokens", "generated" (how many of them greedy generation made),
 * "decoder_layers", "decoder_attentions" [L_dec][H][Td][Td], "cross_attentions"
 * [L_dec][H][Td][Te], and "logits_last" (the last decoder position) and "hidden_last_layer"
 * (the encoder's output) / "decoder_hidden_last_layer" when the run has them. `enc` and `dec`
 * select layers and heads of each stack (n_layers 0: none); `steps` (or NULL) as in
 * ats_dump_write_json. `extras` (or NULL): "head_mean", "head_max" and "rollout" of the
 * encoder's self-attention (after "attentions"), "top_k" of the next target token (after
 * "cross_attentions"); value_weighted is ATS_ERR_ARG here. */
ats_status ats_dump_write_json_seq2seq(FILE *f, const ats_model *model, const char *text,
                                       size_t text_len, const char *target, size_t target_len,
                                       const ats_run *run, const ats_dump_selection *enc,
                                       const ats_dump_selection *dec, const ats_head_steps *steps,
                                       const ats_dump_extras *extras, bool one_line,
                                       ats_error *err);
/* NPY of one kind: float32 (layers, heads, queries, keys). */
ats_status ats_dump_write_npy_kind(FILE *f, const ats_run *run, ats_attn_kind kind,
                                   const ats_dump_selection *sel, ats_error *err);
/* The three kinds in one NPZ archive (numpy.load reads it): attentions.npy, decoder_attentions.npy
 * and cross_attentions.npy, named as the JSON keys, one head in memory at a time (each entry's
 * CRC needs a first pass over its heads, computed again on a run that computes them on demand).
 * ATS_ERR_UNSUPPORTED (nothing written) when the archive would pass the 4 GiB of a plain zip. */
ats_status ats_dump_write_npz_seq2seq(FILE *f, const ats_run *run, const ats_dump_selection *enc,
                                      const ats_dump_selection *dec, ats_error *err);
/* One head's matrix of one kind: query pieces as the first column, key pieces as the header. */
ats_status ats_dump_write_csv_kind(FILE *f, const ats_run *run, ats_attn_kind kind, int layer,
                                   int head, ats_error *err);

/* One head's attention formula for one query token (the pipeline view's numbers, from
 * ats_run_pipeline_make) as one JSON object: "model", "text", "tokens", "kind" ("self-attention"
 * or "cross-attention": then `run` is the decoder's, "tokens" its (the queries), "key_tokens"
 * the encoder's and every (T) array below has the encoder's T), "layer", "head",
 * "kv_head", "query_token", "d_model", "d_head", "n_head", "pre_norm", "what_if" ({"active",
 * "scaling", "causal_mask": "model" | "on" | "off", "temperature"}: the switches `opts` the
 * numbers were computed with, NULL for none), "scale", "causal", "window" (a sliding window, 0
 * none), "softcap" (0 none), and "steps": "1_input" (T, d_model), "2_q" (d_head), "2_k" and
 * "2_v" (T, d_head), "3_scores" (T), "4_bias" (T5 only), "4_scaled", "4_capped" (soft-capped
 * models only), "5_masked", "5_weights" (T), "6_output" (d_head), "7_concat" (n_head * d_head)
 * and "7_projected" (d_model). */
ats_status ats_pipeline_write_json(FILE *f, const ats_model *model, const ats_run *run,
                                   const char *text, size_t text_len, const ats_pipeline_data *p,
                                   const ats_step_opts *opts, ats_error *err);

/* ---- analysis results as JSON ---------------------------------------------------------------- */

/* `attnscope stats --json`: {"tokens": [...], "heads": [{"layer", "head", "entropy",
 * "prev_token", "first_token", "self", "distance", "max_weight", "induction"}, ...]}, metrics
 * (L, H) of the run (ats_run_head_metrics) and the model's induction scores (L, H) (engine.h's
 * probe; NULL: "induction" left out) in the order of `order` (n_order indices into metrics;
 * NULL: every head, layer-major). Undefined values (NAN) are null. */
void ats_stats_write_json(FILE *f, const ats_run *run, const ats_head_metrics *metrics,
                          const float *induction, const int *order, int n_order, bool one_line);

/* `attnscope generate --json`: {"prompt_tokens": [...], "generated": [{"id", "piece", "prob",
 * "attentions": [L][H][T_i]}, ...], "text": ...} for a run whose last n_generated tokens were
 * generated (ats_generate), probs (n_generated) their probabilities, `text` the prompt text
 * followed by the generated text. T_i is the generated token's position + 1: its attention row
 * over every earlier token and itself. */
void ats_generation_write_json(FILE *f, const ats_run *run, int n_generated, const float *probs,
                               const char *text, size_t text_len);

/* JSON pieces shared by `tokenize` and `dump` (written with jansson so strings are escaped). */
void ats_json_write_tokens(FILE *f, const ats_tokens *tokens);
void ats_json_write_model(FILE *f, const ats_model *model);
/* A JSON string of len bytes of UTF-8 (NULs escaped). */
void ats_json_write_string(FILE *f, const char *s, size_t len);
/* A float as JSON: the shortest form that reads back to the same float32; non-finite as null. */
void ats_json_write_float(FILE *f, float v);
/* n floats as a JSON array "[a, b, ...]", each as ats_json_write_float writes it. */
void ats_json_write_floats(FILE *f, const float *v, int n);
/* A double as JSON with 10 significant digits; non-finite as null. */
void ats_json_write_double(FILE *f, double v);
/* Tokens [from, to) of a list as ats_json_write_tokens writes them. */
void ats_json_write_token_range(FILE *f, const ats_tokens *tokens, int from, int to);

#ifdef __cplusplus
}
#endif

#endif /* ATTNSCOPE_RUNDATA_H */
