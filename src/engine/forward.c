/* One forward pass for every architecture, switched by the model config, keeping every head's
 * attention probabilities (or, for long texts, what computes them on demand) and, for selected
 * layers, the intermediate vectors.
 *
 * Shapes: T tokens, D = d_model, H heads, KV key/value heads, dh = d_head, F = d_ff.
 * Activations are token-major: row t of x is token t's vector.
 *
 * The pass computes tokens P..T-1 (N = T - P rows). P is 0 for a fresh run; when typing extends a
 * causal model's text, the tokens 0..P-1 are unchanged and so are everything they produce (a
 * token never sees later ones), so their keys, values and attention rows are copied from the
 * previous run (reuse_prefix) instead of recomputed.
 *
 * T5 switches: positions ATS_POS_RELATIVE_BUCKETS add bias[bucket(j - i)][h] to the scaled
 * scores (attn_scale is 1 there); a decoder stack (cross_attention) adds after its
 * self-attention a cross-attention block whose keys and values come from the encoder's output,
 * run->memory (Te, D), with no position bias and no mask.
 *
 * The other families' switches (ats_model_config): embed_scale, pos_offset and d_embed (OPT's
 * project_in, and project_out before the head) in the embedding; rotary_dim (partial rotary) and
 * rope_scaling (YaRN's frequencies and LongRoPE's per-length factors, both with a magnitude on
 * cos and sin) in the rotation; attn_softcap and each layer's sliding window in
 * the attention rows (attention.c); post_block_norm (Gemma 2) norms each block's output before
 * the residual add; parallel_block (GPT-NeoX, Phi) feeds the layer's input to both blocks and
 * adds both outputs; final_softcap caps the logits.
 *
 * The file reads top-down as the math: embed, then per layer the attention block and the
 * feed-forward block, then the final norm and the logits. Bookkeeping lives in named helpers:
 * layer_outputs says where a layer's results go, reuse_prefix copies the unchanged start, and
 * the capture_* helpers store the intermediates a run keeps for the teaching views.
 *
 * Threads (the policy of ops.h): the pass runs on a team (pool.h) made for it. Each step is
 * split into tasks that touch disjoint data: linear maps by output columns (the activation
 * applied to a task's own columns while they are in cache), attention by (head, block of query
 * rows), norms and residual adds by rows. BLAS runs single-threaded inside each task.
 */
#include "attention.h"
#include "base.h"
#include "blas.h"
#include "ops.h"
#include "pool.h"
#include "run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct scratch {
    float *x;        /* (N, D) the residual stream of the computed tokens */
    float *h;        /* (N, D) normed input of a block */
    float *q;        /* (N, H * dh) */
    float *kv;       /* (2, T, KV * dh) this layer's keys then values when the run keeps no cache */
    float *concat;   /* (N, H * dh) every head's output */
    float *proj;     /* (N, D) attention or MLP output before the residual add */
    float *par;      /* (N, D) parallel blocks: the attention's output while the MLP runs */
    float *ff_up;    /* (N, F) */
    float *ff_gate;  /* (N, F) SwiGLU and GeGLU only */
    float *inv_freq; /* (dh / 2) rotary frequencies */
    double *rope;    /* (N, dh / 2, 2) cos and sin of each computed position's angles */
    float *att;      /* (threads, 2, ATS_ATTN_ROWS, T) per thread: scores, then probabilities */
    int *bucket;     /* (2T - 1) T5: the relative-position bucket of distance d at [d + T - 1] */
    float *cross_kv; /* (2, Te, H * dh) cross-attention keys then values of the encoder output */
    float *emb;      /* (N, d_embed) cfg.d_embed: token vectors before project_in, then the last
                        row after project_out */
} scratch;

static void scratch_free(scratch *s) {
    free(s->x);
    free(s->h);
    free(s->q);
    free(s->kv);
    free(s->concat);
    free(s->proj);
    free(s->par);
    free(s->ff_up);
    free(s->ff_gate);
    free(s->inv_freq);
    free(s->rope);
    free(s->att);
    free(s->bucket);
    free(s->cross_kv);
    free(s->emb);
}

static ats_status scratch_alloc(scratch *s, const ats_model_config *c, size_t N, size_t T,
                                size_t Te, bool need_kv, int threads, ats_error *err) {
    size_t D = (size_t)c->d_model, dq = (size_t)c->n_head * c->d_head;
    size_t dkv = (size_t)c->n_kv_head * c->d_head, F = (size_t)c->d_ff;
    bool swiglu = c->activation == ATS_ACT_SWIGLU || c->activation == ATS_ACT_GEGLU ||
                  c->activation == ATS_ACT_GEGLU_ERF;
    bool relative = c->positions == ATS_POS_RELATIVE_BUCKETS;
    memset(s, 0, sizeof *s);
    s->x = malloc(N * D * sizeof(float));
    s->h = malloc(N * D * sizeof(float));
    s->q = malloc(N * dq * sizeof(float));
    s->kv = need_kv ? malloc(2 * T * dkv * sizeof(float)) : NULL;
    s->concat = malloc(N * dq * sizeof(float));
    s->proj = malloc(N * D * sizeof(float));
    s->par = c->parallel_block ? malloc(N * D * sizeof(float)) : NULL;
    s->ff_up = malloc(N * F * sizeof(float));
    s->ff_gate = swiglu ? malloc(N * F * sizeof(float)) : NULL;
    s->inv_freq = malloc(((size_t)c->d_head / 2 + 1) * sizeof(float));
    s->rope = malloc((N * ((size_t)c->d_head / 2) + 1) * 2 * sizeof(double));
    s->att = malloc((size_t)threads * 2 * ATS_ATTN_ROWS * T * sizeof(float));
    s->bucket = relative ? malloc((2 * T - 1) * sizeof(int)) : NULL;
    s->cross_kv = Te ? malloc(2 * Te * dq * sizeof(float)) : NULL;
    s->emb = c->d_embed > 0 ? malloc(N * (size_t)c->d_embed * sizeof(float)) : NULL;
    if (!s->x || !s->h || !s->q || (need_kv && !s->kv) || !s->concat || !s->proj ||
        (c->parallel_block && !s->par) || (F && !s->ff_up) || (swiglu && !s->ff_gate) ||
        !s->inv_freq || !s->rope || !s->att || (relative && !s->bucket) || (Te && !s->cross_kv) ||
        (c->d_embed > 0 && !s->emb)) {
        scratch_free(s);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a %zu-token forward pass", T);
    }
    return ATS_OK;
}

/* Everything a step of the pass reads. */
typedef struct pass {
    const ats_model *m;
    const ats_model_config *c;
    ats_run *run;
    const ats_run *prev;
    int P, T, N;
    scratch s;
    ats_pool *pool;
    int threads;
} pass;

/* ---- where a layer's results go -------------------------------------------------------------- */

typedef struct layer_io {
    float *K, *V;   /* (T, KV * dh) keys (after RoPE) and values: the run's cache or scratch */
    float *probs;   /* kept: (H, T, T) this layer's probabilities in the run; else NULL */
    float *q_store; /* on demand: (T, H * dh) where the run keeps this layer's queries; or NULL */
    float *k_store; /* on demand without a kv_cache: (T, KV * dh) the run's copy of K; or NULL */
    float *pooled;  /* on demand: (H, n, n) this layer's pooled sums; or NULL */
    ats_layer_store *keep; /* the intermediates the run keeps for this layer, or NULL */
    const bool *ablated;   /* (H) heads whose output is zeroed (ats_run_opts.ablate), or NULL */
} layer_io;

static layer_io layer_outputs(const pass *f, int l) {
    const ats_model_config *c = f->c;
    ats_attn_store *a = &f->run->attn;
    size_t T = (size_t)f->T, H = (size_t)c->n_head, dh = (size_t)c->d_head;
    size_t dkv = (size_t)c->n_kv_head * dh;
    bool served = l >= a->layer0 && l < a->layer0 + a->n_layers;
    size_t li = (size_t)(l - a->layer0);
    layer_io io = {0};
    io.K = f->run->kv_cache ? f->run->kv_cache + (size_t)l * 2 * T * dkv : f->s.kv;
    io.V = io.K + T * dkv;
    if (served && a->kept)
        io.probs = a->probs + li * H * T * T;
    if (served && !a->kept) {
        io.q_store = a->q + li * T * H * dh;
        io.k_store = a->k ? a->k + li * T * dkv : NULL;
    }
    if (a->pooled)
        io.pooled = a->pooled + (size_t)l * H * a->pool_n * a->pool_n;
    io.keep = f->run->layers && f->run->layers[l].q ? &f->run->layers[l] : NULL;
    io.ablated = f->run->ablated ? f->run->ablated + (size_t)l * H : NULL;
    return io;
}

/* ---- prefix reuse: the unchanged start of a causal model's text ------------------------------ */

/* Copies the first `rows` rows of `cols` values from a matrix with row stride src_ld into one
 * with row stride dst_ld. */
static void copy_rows(float *dst, size_t dst_ld, const float *src, size_t src_ld, int rows,
                      size_t cols) {
    for (int r = 0; r < rows; r++)
        memcpy(dst + (size_t)r * dst_ld, src + (size_t)r * src_ld, cols * sizeof(float));
}

/* The kept intermediates of the prefix rows, copied from the previous run's store of this layer
 * (same shapes with prev's T as the token count). */
static void reuse_kept(const ats_model_config *c, ats_layer_store *keep, const ats_layer_store *old,
                       int T, int oldT, int P) {
    size_t D = (size_t)c->d_model, dh = (size_t)c->d_head, dq = (size_t)c->n_head * dh;
    copy_rows(keep->input, D, old->input, D, P, D);
    copy_rows(keep->attn_in, D, old->attn_in, D, P, D);
    copy_rows(keep->concat, dq, old->concat, dq, P, dq);
    copy_rows(keep->attn_out, D, old->attn_out, D, P, D);
    for (int hh = 0; hh < c->n_head; hh++) {
        size_t h = (size_t)hh;
        copy_rows(keep->q + h * T * dh, dh, old->q + h * oldT * dh, dh, P, dh);
        copy_rows(keep->out + h * T * dh, dh, old->out + h * oldT * dh, dh, P, dh);
        /* scores of prefix queries against prefix keys; against new keys they are computed */
        copy_rows(keep->scores + h * T * T, (size_t)T, old->scores + h * oldT * oldT, (size_t)oldT,
                  P, (size_t)P);
    }
}

/* The pooled sums of the pooled row blocks that lie wholly in the prefix (the block holding row
 * P, if any, is summed again from its rows by the attention step). Same block size as prev. */
static void reuse_pooled(const ats_model_config *c, float *pooled, const float *old, int n,
                         int old_n, int block, int P) {
    int whole = P / block;
    for (int hh = 0; hh < c->n_head; hh++) {
        float *dst = pooled + (size_t)hh * n * n;
        const float *src = old + (size_t)hh * old_n * old_n;
        memset(dst, 0, (size_t)n * n * sizeof(float));
        copy_rows(dst, (size_t)n, src, (size_t)old_n, whole, (size_t)old_n);
    }
}

/* The copies of reuse_prefix that dominate typing (tens of megabytes a keystroke on a
 * GPT-2-small-sized model), spread over the team: task h < n_head copies head h's prefix
 * probabilities, the last two tasks the keys and the values (and the stored queries and keys). */
typedef struct reuse_job {
    const pass *f;
    const layer_io *io;
    const float *old_probs; /* (n_head, oldT, oldT) this layer's in prev, or NULL */
    const float *old_k, *old_v, *old_q_store, *old_k_store;
} reuse_job;

static void reuse_task(void *ctx, int task, int thread) {
    (void)thread;
    const reuse_job *j = ctx;
    const ats_model_config *c = j->f->c;
    int T = j->f->T, P = j->f->P, oldT = j->f->prev->n_tokens;
    size_t dkv = (size_t)c->n_kv_head * c->d_head, dq = (size_t)c->n_head * c->d_head;
    if (task < c->n_head) {
        size_t h = (size_t)task;
        copy_rows(j->io->probs + h * T * T, (size_t)T, j->old_probs + h * oldT * oldT, (size_t)oldT,
                  P, (size_t)P);
    } else if (task == c->n_head) {
        memcpy(j->io->K, j->old_k, (size_t)P * dkv * sizeof(float));
        if (j->io->q_store)
            memcpy(j->io->q_store, j->old_q_store, (size_t)P * dq * sizeof(float));
    } else {
        memcpy(j->io->V, j->old_v, (size_t)P * dkv * sizeof(float));
        if (j->io->k_store)
            memcpy(j->io->k_store, j->old_k_store, (size_t)P * dkv * sizeof(float));
    }
}

/* Layer l's keys, values and attention of tokens 0..P-1 (and its kept intermediates), as the
 * previous run computed them; reusable_prefix (run.c) made sure prev stores them alike. */
static void reuse_prefix(const pass *f, const layer_io *io, int l) {
    const ats_model_config *c = f->c;
    const ats_run *prev = f->prev;
    const ats_attn_store *old = &prev->attn;
    int T = f->T, P = f->P, oldT = prev->n_tokens;
    size_t dkv = (size_t)c->n_kv_head * c->d_head, dq = (size_t)c->n_head * c->d_head;
    const float *oldK = prev->kv_cache + (size_t)l * 2 * oldT * dkv; /* (2, oldT, KV * dh) */
    size_t li = (size_t)(l - old->layer0);
    reuse_job j = {.f = f,
                   .io = io,
                   .old_probs = io->probs ? old->probs + li * c->n_head * oldT * oldT : NULL,
                   .old_k = oldK,
                   .old_v = oldK + (size_t)oldT * dkv,
                   .old_q_store = io->q_store ? old->q + li * oldT * dq : NULL,
                   .old_k_store = io->k_store ? old->k + li * oldT * dkv : NULL};
    /* without probabilities to copy only the two key and value tasks run */
    if (io->probs)
        ats_pool_run(f->pool, c->n_head + 2, reuse_task, &j);
    else
        for (int task = c->n_head; task < c->n_head + 2; task++)
            reuse_task(&j, task, 0);
    if (io->pooled)
        reuse_pooled(c, io->pooled, old->pooled + (size_t)l * c->n_head * old->pool_n * old->pool_n,
                     f->run->attn.pool_n, old->pool_n, old->pool_block, P);
    if (io->keep)
        reuse_kept(c, io->keep, &prev->layers[l], T, oldT, P);
}

/* ---- capture: the intermediates a run keeps for the teaching views --------------------------- */

/* Rows P..P+N-1 of a kept (T, width) matrix from the computed rows src (N, width); nothing when
 * the layer keeps nothing (dst NULL). */
static void capture_rows(float *dst, int P, const float *src, int N, size_t width) {
    if (dst)
        memcpy(dst + (size_t)P * width, src, (size_t)N * width * sizeof(float));
}

/* Copies head `hh` of rows [0, n) of a token-major (n, n_heads * dh) buffer into a (n, dh)
 * block. */
static void gather_head(float *dst, const float *src, int n, int n_heads, int dh, int hh) {
    for (int t = 0; t < n; t++)
        memcpy(dst + (size_t)t * dh, src + ((size_t)t * n_heads + hh) * dh,
               (size_t)dh * sizeof(float));
}

/* After a layer's attention: the per-head q, k, v and head outputs in head-major form, the
 * scores of the prefix queries against the new keys (masked, but the teaching view shows them),
 * the concatenated heads and the projected output. */
static void capture_attention(const ats_model_config *c, ats_layer_store *keep, const scratch *s,
                              const layer_io *io, int P, int T) {
    int H = c->n_head, KV = c->n_kv_head, dh = c->d_head, N = T - P, group = H / KV;
    size_t TT = (size_t)T * T;
    for (int hh = 0; hh < H; hh++) {
        gather_head(keep->q + ((size_t)hh * T + P) * dh, s->q, N, H, dh, hh);
        gather_head(keep->out + ((size_t)hh * T + P) * dh, s->concat, N, H, dh, hh);
    }
    for (int hh = 0; hh < KV; hh++) {
        gather_head(keep->k + (size_t)hh * T * dh, io->K, T, KV, dh, hh);
        gather_head(keep->v + (size_t)hh * T * dh, io->V, T, KV, dh, hh);
    }
    for (int hh = 0; hh < H && P > 0; hh++) {
        const float *kh = keep->k + (size_t)(hh / group) * T * dh; /* (T, dh) */
        const float *qh = keep->q + (size_t)hh * T * dh;           /* (T, dh) */
        /* scores[0..P-1][P..T-1] (P, N) = q[0..P-1] . k[P..T-1]^T */
        ats_gemm(true, P, N, dh, 1.0f, qh, dh, kh + (size_t)P * dh, dh, 0.0f,
                 keep->scores + (size_t)hh * TT + P, T);
    }
    capture_rows(keep->concat, P, s->concat, N, (size_t)H * dh);
    capture_rows(keep->attn_out, P, s->proj, N, (size_t)c->d_model);
}

/* ---- parallel steps: linear maps by output columns, the rest by rows ------------------------ */

typedef enum epilogue {
    EPI_NONE,
    EPI_GELU_TANH,
    EPI_GELU_ERF,
    EPI_RELU,
    EPI_SWIGLU,    /* gated: y_0 *= silu(y_1) */
    EPI_GEGLU,     /* gated: y_0 *= gelu_tanh(y_1) */
    EPI_GEGLU_ERF, /* gated: y_0 *= gelu_erf(y_1) */
} epilogue;

static bool gated(epilogue e) {
    return e == EPI_SWIGLU || e == EPI_GEGLU || e == EPI_GEGLU_ERF;
}

/* y_i (N, n_out_i) = x (N, n_in) . W_i^T + b_i for up to three maps of the same input; with a
 * gated epilogue map 1 is the gate of map 0. */
typedef struct linear_job {
    const ats_linear *lin[3];
    float *y[3];
    int n_lin;
    const float *x;
    int N;
    epilogue epi;
    int chunks; /* tasks per map */
} linear_job;

/* Column o of `chunks` near-equal parts of n_out, at multiples of 16 (whole vector lanes). */
static int chunk_edge(int n_out, int chunks, int k) {
    if (k >= chunks)
        return n_out;
    return (int)((long long)n_out * k / chunks) / 16 * 16;
}

static void linear_task(void *ctx, int task, int thread) {
    (void)thread;
    const linear_job *j = ctx;
    int i = task / j->chunks, k = task % j->chunks;
    const ats_linear *lin = j->lin[i];
    int o0 = chunk_edge(lin->n_out, j->chunks, k), o1 = chunk_edge(lin->n_out, j->chunks, k + 1);
    if (o0 >= o1)
        return;
    size_t ld = (size_t)lin->n_out, n = (size_t)(o1 - o0);
    if (gated(j->epi)) /* the gate's same columns first */
        ats_linear_apply_cols(j->lin[1], j->x, j->N, j->y[1], o0, o1);
    ats_linear_apply_cols(lin, j->x, j->N, j->y[i], o0, o1);
    for (int t = 0; t < j->N && j->epi != EPI_NONE; t++) {
        float *row = j->y[i] + (size_t)t * ld + o0; /* this task's columns, still in cache */
        float *gate = gated(j->epi) ? j->y[1] + (size_t)t * ld + o0 : NULL;
        switch (j->epi) {
        case EPI_GELU_TANH:
            ats_gelu_tanh(row, n);
            break;
        case EPI_GELU_ERF:
            ats_gelu_erf(row, n);
            break;
        case EPI_RELU:
            for (size_t e = 0; e < n; e++)
                row[e] = row[e] > 0.0f ? row[e] : 0.0f;
            break;
        case EPI_SWIGLU:
            ats_swiglu(row, gate, n);
            break;
        case EPI_GEGLU:
            ats_geglu(row, gate, n);
            break;
        case EPI_GEGLU_ERF:
            ats_gelu_erf(gate, n);
            for (size_t e = 0; e < n; e++)
                row[e] *= gate[e];
            break;
        case EPI_NONE:
            break;
        }
    }
}

/* Runs up to three linear maps (or one with its epilogue) split across the team. */
static void par_linear(const pass *f, linear_job *j) {
    int widest = 0;
    for (int i = 0; i < j->n_lin; i++)
        widest = j->lin[i]->n_out > widest ? j->lin[i]->n_out : widest;
    /* few rows: the weights dominate, so more parts balance better at no cost; many rows: one
     * part per thread, each repacking the input once */
    int want = j->N <= 16 ? 4 * f->threads : f->threads;
    int most = widest / 64 > 1 ? widest / 64 : 1;
    j->chunks = want < most ? want : most;
    int maps = gated(j->epi) ? 1 : j->n_lin; /* the gate rides with its up map */
    ats_pool_run(f->pool, maps * j->chunks, linear_task, j);
}

static void linear1(const pass *f, const ats_linear *lin, const float *x, int N, float *y,
                    epilogue epi, const ats_linear *gate, float *y_gate) {
    linear_job j = {
        .lin = {lin, gate}, .y = {y, y_gate}, .n_lin = gate ? 2 : 1, .x = x, .N = N, .epi = epi};
    par_linear(f, &j);
}

/* Rows of the computed tokens in about 4 parts per thread. */
typedef struct rows_job {
    const pass *f;
    const ats_norm *norm;
    float *out;
    const float *x, *y;
    int n_rows, part;
} rows_job;

static void rows_range(const rows_job *j, int task, int *t0, int *t1) {
    *t0 = task * j->part;
    *t1 = *t0 + j->part < j->n_rows ? *t0 + j->part : j->n_rows;
}

static void for_rows(const pass *f, rows_job *j, int n_rows, ats_pool_task fn) {
    int parts = 4 * f->threads < n_rows ? 4 * f->threads : n_rows;
    j->f = f;
    j->n_rows = n_rows;
    j->part = (n_rows + parts - 1) / parts;
    ats_pool_run(f->pool, (n_rows + j->part - 1) / j->part, fn, j);
}

/* out (rows, D) = norm of each row of x (rows, D); out may alias x. */
static void norm_range(const ats_model_config *c, const ats_norm *n, float *out, const float *x,
                       int t0, int t1) {
    size_t D = (size_t)c->d_model;
    for (int t = t0; t < t1; t++) {
        if (c->norm == ATS_NORM_RMSNORM)
            ats_rmsnorm(out + t * D, x + t * D, n->w, c->d_model, c->norm_eps);
        else
            ats_layernorm(out + t * D, x + t * D, n->w, n->b, c->d_model, c->norm_eps);
    }
}

static void norm_task(void *ctx, int task, int thread) {
    (void)thread;
    const rows_job *j = ctx;
    int t0, t1;
    rows_range(j, task, &t0, &t1);
    norm_range(j->f->c, j->norm, j->out, j->x, t0, t1);
}

static void norm_rows(const pass *f, const ats_norm *n, float *out, const float *x, int rows) {
    rows_job j = {.norm = n, .out = out, .x = x};
    for_rows(f, &j, rows, norm_task);
}

/* x += y, then post-norm's norm of the sum */
static void residual_task(void *ctx, int task, int thread) {
    (void)thread;
    const rows_job *j = ctx;
    const ats_model_config *c = j->f->c;
    int t0, t1;
    rows_range(j, task, &t0, &t1);
    size_t D = (size_t)c->d_model;
    for (size_t i = (size_t)t0 * D; i < (size_t)t1 * D; i++)
        j->out[i] += j->y[i];
    if (!c->pre_norm)
        norm_range(c, j->norm, j->out, j->out, t0, t1);
}

/* ---- the math -------------------------------------------------------------------------------- */

/* x (N, D) = vectors of tokens P..T-1 (times embed_scale; OPT's d_embed: projected to D by
 * project_in) + their positions (+ token type 0), then the embedding norm if any. */
static ats_status embed(const pass *f, float *x, ats_error *err) {
    const ats_model *m = f->m;
    const ats_model_config *c = f->c;
    size_t D = (size_t)c->d_model, E = c->d_embed > 0 ? (size_t)c->d_embed : D;
    float *tok = c->d_embed > 0 ? f->s.emb : x; /* (N, E) the looked-up token vectors */
    for (int t = f->P; t < f->T; t++) {
        int32_t id = ats_tokens_get(f->run->tokens, t)->id;
        float *row = tok + (size_t)(t - f->P) * E;
        if (m->embed_fn) {
            m->embed_fn(m, id, row);
        } else {
            if (id < 0 || id >= c->vocab_size)
                return ats_fail(err, ATS_ERR_FORMAT,
                                "%s: token id %d is outside the embedding table (%d rows)",
                                m->info.name, id, c->vocab_size);
            ats_linear_row(&m->tok_embed, id, row);
        }
        if (c->embed_scale > 0.0f && c->embed_scale != 1.0f) /* Gemma: times sqrt(d_model) */
            for (size_t i = 0; i < E; i++)
                row[i] *= c->embed_scale;
    }
    if (c->d_embed > 0) /* OPT-350m: x (N, D) = tok (N, E) . W_in^T */
        linear1(f, &m->project_in, tok, f->N, x, EPI_NONE, NULL, NULL);
    for (int t = f->P; t < f->T; t++) {
        float *row = x + (size_t)(t - f->P) * D;
        /* learned positions: row t + pos_offset (OPT and RoBERTa start past their first rows) */
        if (c->positions == ATS_POS_LEARNED || c->positions == ATS_POS_SINUSOIDAL)
            for (size_t i = 0; i < D; i++)
                row[i] += m->pos_embed[((size_t)t + (size_t)c->pos_offset) * D + i];
        if (m->type_embed)
            for (size_t i = 0; i < D; i++)
                row[i] += m->type_embed[i];
    }
    if (c->embed_norm)
        norm_rows(f, &m->embed_norm, x, x, f->N);
    return ATS_OK;
}

static bool uses_rope(const ats_model_config *c) {
    return c->positions == ATS_POS_ROPE_HALF || c->positions == ATS_POS_ROPE_INTERLEAVED;
}

/* The dimensions of each head that rotate: rotary_dim under partial rotary, else d_head. */
static int rotary_dims(const ats_model_config *c) {
    return c->rotary_dim > 0 ? c->rotary_dim : c->d_head;
}

/* Rotates the heads of q (N, H*dh) and of the new key rows K[P..T-1] (N, KV*dh) by the angles
 * of positions P.. (s->rope): the first rotary_dim dimensions of each head (all of them unless
 * the model rotates only part, GPT-NeoX and Phi), the rest left as they are. */
static void rope_task(void *ctx, int task, int thread) {
    (void)thread;
    const rows_job *j = ctx;
    const ats_model_config *c = j->f->c;
    const scratch *s = &j->f->s;
    int dh = c->d_head, rot = rotary_dims(c), t0, t1;
    bool half = c->positions == ATS_POS_ROPE_HALF;
    rows_range(j, task, &t0, &t1);
    for (int t = t0; t < t1; t++) {
        const double *cs = s->rope + (size_t)t * dh; /* (rot / 2, 2) */
        for (int hh = 0; hh < c->n_head; hh++)
            ats_rope_rotate(s->q + ((size_t)t * c->n_head + hh) * dh, rot, half, cs);
        for (int hh = 0; hh < c->n_kv_head; hh++)
            ats_rope_rotate(j->out + ((size_t)t * c->n_kv_head + hh) * dh, rot, half, cs);
    }
}

/* The block's input h (N, D): pre-norm reads norm(x), post-norm reads x itself. */
static void block_input(const pass *f, const ats_norm *n, float *h, const float *x) {
    if (f->c->pre_norm)
        norm_rows(f, n, h, x, f->N);
    else
        memcpy(h, x, (size_t)f->N * f->c->d_model * sizeof(float));
}

/* x (N, D) += the block's output y; post-norm then norms the sum. */
static void add_residual(const pass *f, const ats_norm *n, float *x, const float *y) {
    rows_job j = {.norm = n, .out = x, .y = y};
    for_rows(f, &j, f->N, residual_task);
}

/* One attention task: head hh over query rows [r0, r1) of the computed ones (a unit of whole
 * ATS_ATTN_ROWS blocks, and of whole pooled row blocks). */
typedef struct heads_job {
    const pass *f;
    const layer_io *io;
    int unit;    /* rows per task: a multiple of ATS_ATTN_ROWS and of the pooled block */
    int first;   /* the unit holding row P */
    int n_units; /* per head */
    int window;  /* the layer's sliding window, or 0 */
} heads_job;

/* Head hh's T5 position bias, or NULL for every other model. */
static const ats_attn_bias *head_bias(const pass *f, int hh, ats_attn_bias *out) {
    if (!f->s.bucket)
        return NULL;
    *out = (ats_attn_bias){f->s.bucket, f->m->rel_bias + hh, f->c->n_head};
    return out;
}

/* Pools the rows [from, P) of a pooled row block that holds row P: prefix rows whose sums were
 * not copied (reuse_pooled), recomputed from the kept queries. */
static void pool_prefix_rows(const pass *f, const layer_io *io, int hh, int from, int window,
                             float *scores, float *p) {
    const ats_model_config *c = f->c;
    const ats_attn_store *a = &f->run->attn;
    int dh = c->d_head, dq = c->n_head * dh, dkv = c->n_kv_head * dh;
    const float *k = io->K + (size_t)(hh / (c->n_head / c->n_kv_head)) * dh;
    ats_attn_bias b;
    const ats_attn_bias *bias = head_bias(f, hh, &b);
    for (int r0 = from; r0 < f->P; r0 = (r0 / ATS_ATTN_ROWS + 1) * ATS_ATTN_ROWS) {
        int r1 = (r0 / ATS_ATTN_ROWS + 1) * ATS_ATTN_ROWS;
        r1 = r1 < f->P ? r1 : f->P;
        int keys = ats_attn_rows(c, io->q_store + (size_t)r0 * dq + (size_t)hh * dh, dq, k, dkv, r0,
                                 r1, f->T, window, false, bias, scores, p, f->T);
        ats_attn_pool_rows(io->pooled + (size_t)hh * a->pool_n * a->pool_n, a->pool_n,
                           a->pool_block, p, f->T, r0, r1, keys);
    }
}

static void heads_task(void *ctx, int task, int thread) {
    const heads_job *j = ctx;
    const pass *f = j->f;
    const layer_io *io = j->io;
    const ats_model_config *c = f->c;
    const ats_attn_store *a = &f->run->attn;
    int H = c->n_head, dh = c->d_head, dq = H * dh, dkv = c->n_kv_head * dh, T = f->T, P = f->P;
    int hh = task / j->n_units, u = j->first + task % j->n_units;
    int kv = hh / (H / c->n_kv_head); /* grouped-query attention: query heads share a K/V head */
    const float *kh = io->K + (size_t)kv * dh; /* (T, dh) row stride dkv */
    const float *vh = io->V + (size_t)kv * dh;
    float *scores = f->s.att + (size_t)thread * 2 * ATS_ATTN_ROWS * T; /* (ROWS, T) */
    float *scratch_p = scores + (size_t)ATS_ATTN_ROWS * T;             /* (ROWS, T) */
    int u0 = u * j->unit > P ? u * j->unit : P;
    int u1 = (u + 1) * j->unit < T ? (u + 1) * j->unit : T;
    ats_attn_bias b;
    const ats_attn_bias *bias = head_bias(f, hh, &b);
    if (io->pooled && u0 == P && P % a->pool_block)
        pool_prefix_rows(f, io, hh, P / a->pool_block * a->pool_block, j->window, scores,
                         scratch_p);

    for (int r0 = u0; r0 < u1;) {
        int r1 = (r0 / ATS_ATTN_ROWS + 1) * ATS_ATTN_ROWS;
        r1 = r1 < u1 ? r1 : u1;
        int n = r1 - r0;
        /* p (n, keys): rows r0.. of the head's probabilities, in the run or in scratch */
        float *p = io->probs ? io->probs + (size_t)hh * T * T + (size_t)r0 * T : scratch_p;
        const float *q = f->s.q + (size_t)(r0 - P) * dq + (size_t)hh * dh; /* (n, dh) */
        int keys = ats_attn_rows(c, q, dq, kh, dkv, r0, r1, T, j->window, io->keep != NULL, bias,
                                 scores, p, T);
        if (io->keep) /* the raw scores (n, T) for the teaching views */
            memcpy(io->keep->scores + (size_t)hh * T * T + (size_t)r0 * T, scores,
                   (size_t)n * T * sizeof(float));
        if (io->pooled)
            ats_attn_pool_rows(io->pooled + (size_t)hh * a->pool_n * a->pool_n, a->pool_n,
                               a->pool_block, p, T, r0, r1, keys);
        /* concat[r0-P.., hh*dh : (hh+1)*dh] (n, dh) = p (n, keys) . v_h[0..keys) (keys, dh) */
        ats_gemm(false, n, dh, keys, 1.0f, p, T, vh, dkv, 0.0f,
                 f->s.concat + (size_t)(r0 - P) * dq + (size_t)hh * dh, dq);
        r0 = r1;
    }
}

/* Head ablation: concat[:, hh*dh : (hh+1)*dh] (N, dh) = 0 for each ablated head hh, so the
 * output projection sees the layer without it. */
static void silence_heads(const ats_model_config *c, const bool *ablated, float *concat, int N) {
    size_t dh = (size_t)c->d_head, dq = (size_t)c->n_head * dh;
    for (int hh = 0; ablated && hh < c->n_head; hh++)
        for (int t = 0; ablated[hh] && t < N; t++)
            memset(concat + (size_t)t * dq + (size_t)hh * dh, 0, dh * sizeof(float));
}

/* Multi-head attention of one layer on s->h for rows P..T-1, leaving the projected output in
 * s->proj (N, D). io->K and io->V must hold rows 0..P-1 already; this computes rows P..T-1. */
static void attention(const pass *f, const ats_layer *L, const layer_io *io, int window) {
    const ats_model_config *c = f->c;
    const scratch *s = &f->s;
    int N = f->N, P = f->P, T = f->T;
    size_t dkv = (size_t)c->n_kv_head * c->d_head, dq = (size_t)c->n_head * c->d_head;
    float *K_new = io->K + (size_t)P * dkv, *V_new = io->V + (size_t)P * dkv;

    /* q (N, H*dh) and the new rows of K, V (N, KV*dh): projections of the block input */
    linear_job qkv = {
        .lin = {&L->wq, &L->wk, &L->wv}, .y = {s->q, K_new, V_new}, .n_lin = 3, .x = s->h, .N = N};
    par_linear(f, &qkv);
    if (uses_rope(c)) {
        rows_job j = {.out = K_new};
        for_rows(f, &j, N, rope_task);
    }
    capture_rows(io->q_store, P, s->q, N, dq);
    capture_rows(io->k_store, P, K_new, N, dkv);

    /* every head: probabilities (kept, pooled or only used) and outputs into s->concat */
    const ats_attn_store *a = &f->run->attn;
    int unit = io->pooled && a->pool_block > ATS_ATTN_ROWS ? a->pool_block : ATS_ATTN_ROWS;
    heads_job hj = {.f = f, .io = io, .unit = unit, .first = P / unit, .window = window};
    hj.n_units = (T + unit - 1) / unit - hj.first;
    ats_pool_run(f->pool, c->n_head * hj.n_units, heads_task, &hj);
    silence_heads(c, io->ablated, s->concat, N);

    /* proj (N, D) = concat (N, H*dh) . W_o^T + b_o */
    linear1(f, &L->wo, s->concat, N, s->proj, EPI_NONE, NULL, NULL);
    if (io->keep)
        capture_attention(c, io->keep, s, io, P, T);
}

/* Cross-attention of one decoder layer: queries from rows P..T-1 (s->h), keys and values from
 * the encoder's output memory (Te, D); the projected output in s->proj (N, D) and the
 * probabilities in rows P..T-1 of cross (H, T, Te). No position bias and no mask. */
typedef struct cross_job {
    const pass *f;
    int Te;
    float *cross;
} cross_job;

static void cross_head_task(void *ctx, int hh, int thread) {
    (void)thread;
    const cross_job *j = ctx;
    const pass *f = j->f;
    const ats_model_config *c = f->c;
    int dh = c->d_head, dq = c->n_head * dh, Te = j->Te, N = f->N;
    const float *K = f->s.cross_kv, *V = f->s.cross_kv + (size_t)Te * dq; /* (Te, H*dh) each */
    float *p = j->cross + ((size_t)hh * f->T + f->P) * Te; /* (N, Te) rows P.. of this head */
    /* p = softmax(q_h . k_h^T * scale) */
    ats_gemm(true, N, Te, dh, c->attn_scale, f->s.q + (size_t)hh * dh, dq, K + (size_t)hh * dh, dq,
             0.0f, p, Te);
    for (int i = 0; i < N; i++)
        ats_softmax(p + (size_t)i * Te, Te);
    /* concat[:, hh*dh : (hh+1)*dh] (N, dh) = p (N, Te) . v_h (Te, dh) */
    ats_gemm(false, N, dh, Te, 1.0f, p, Te, V + (size_t)hh * dh, dq, 0.0f,
             f->s.concat + (size_t)hh * dh, dq);
}

/* The kept cross q of rows P.. and k, v of the encoder's tokens, head-major (the pipeline view's
 * steps for cross-attention); the concatenated heads and their projection follow at the end. */
static void capture_cross(const ats_model_config *c, ats_layer_store *keep, const scratch *s, int P,
                          int T, int N, int Te) {
    int H = c->n_head, dh = c->d_head;
    const float *K = s->cross_kv, *V = s->cross_kv + (size_t)Te * H * dh; /* (Te, H*dh) each */
    for (int hh = 0; hh < H; hh++) {
        gather_head(keep->cross_q + ((size_t)hh * T + P) * dh, s->q, N, H, dh, hh);
        gather_head(keep->cross_k + (size_t)hh * Te * dh, K, Te, H, dh, hh);
        gather_head(keep->cross_v + (size_t)hh * Te * dh, V, Te, H, dh, hh);
    }
}

static void cross_attention(const pass *f, const ats_layer *L, const float *memory, int Te,
                            float *cross, ats_layer_store *keep) {
    const scratch *s = &f->s;
    size_t dq = (size_t)f->c->n_head * f->c->d_head;
    linear1(f, &L->cq, s->h, f->N, s->q, EPI_NONE, NULL, NULL);
    linear1(f, &L->ck, memory, Te, s->cross_kv, EPI_NONE, NULL, NULL);
    linear1(f, &L->cv, memory, Te, s->cross_kv + (size_t)Te * dq, EPI_NONE, NULL, NULL);
    if (keep && keep->cross_q)
        capture_cross(f->c, keep, s, f->P, f->T, f->N, Te);
    cross_job j = {f, Te, cross};
    ats_pool_run(f->pool, f->c->n_head, cross_head_task, &j);
    linear1(f, &L->co, s->concat, f->N, s->proj, EPI_NONE, NULL, NULL); /* (N, D) */
    if (keep && keep->cross_q) {
        capture_rows(keep->cross_concat, f->P, s->concat, f->N, dq);
        capture_rows(keep->cross_out, f->P, s->proj, f->N, (size_t)f->c->d_model);
    }
}

/* The feed-forward block on s->h, output in s->proj (N, D). */
static void mlp(const pass *f, const ats_layer *L) {
    const scratch *s = &f->s;
    switch (f->c->activation) {
    case ATS_ACT_GELU_TANH: /* ff_up (N, F) = gelu(h . W_up^T + b) */
        linear1(f, &L->up, s->h, f->N, s->ff_up, EPI_GELU_TANH, NULL, NULL);
        break;
    case ATS_ACT_GELU_ERF:
        linear1(f, &L->up, s->h, f->N, s->ff_up, EPI_GELU_ERF, NULL, NULL);
        break;
    case ATS_ACT_SWIGLU: /* ff_up (N, F) = (h . W_up^T) * silu(h . W_gate^T) */
        linear1(f, &L->up, s->h, f->N, s->ff_up, EPI_SWIGLU, &L->gate, s->ff_gate);
        break;
    case ATS_ACT_RELU:
        linear1(f, &L->up, s->h, f->N, s->ff_up, EPI_RELU, NULL, NULL);
        break;
    case ATS_ACT_GEGLU: /* ff_up (N, F) = (h . W_up^T) * gelu_tanh(h . W_gate^T) */
        linear1(f, &L->up, s->h, f->N, s->ff_up, EPI_GEGLU, &L->gate, s->ff_gate);
        break;
    case ATS_ACT_GEGLU_ERF: /* the same with the exact GELU */
        linear1(f, &L->up, s->h, f->N, s->ff_up, EPI_GEGLU_ERF, &L->gate, s->ff_gate);
        break;
    }
    linear1(f, &L->down, s->ff_up, f->N, s->proj, EPI_NONE, NULL, NULL); /* (N, D) */
}

/* ---- the pass -------------------------------------------------------------------------------- */

/* Multiply-adds of a pass computing N of T tokens: the linear maps and the attention. */
static double pass_work(const ats_model_config *c, int N, int T) {
    double D = c->d_model, dq = (double)c->n_head * c->d_head;
    double dkv = (double)c->n_kv_head * c->d_head, F = c->d_ff;
    double maps = D * (dq + 2 * dkv) + dq * D + (c->activation == ATS_ACT_SWIGLU ? 3 : 2) * D * F;
    return (double)N * c->n_layer * (maps + 2.0 * T * dq);
}

static ats_status pass_begin(pass *f, const ats_model *m, ats_run *run, const ats_run *prev, int P,
                             ats_error *err) {
    const ats_model_config *c = &m->cfg;
    *f = (pass){.m = m, .c = c, .run = run, .prev = prev, .P = P, .T = run->n_tokens};
    f->N = f->T - P;
    f->threads = run->threads > 0 ? run->threads : ats_pool_default_threads();
    if (run->threads <= 0 && pass_work(c, f->N, f->T) < 5e7) /* a millisecond or so: one thread */
        f->threads = 1;
    ats_blas_setup();
    ats_status st = ats_pool_new(f->threads, &f->pool, err);
    if (st != ATS_OK)
        return st;
    f->threads = ats_pool_threads(f->pool);
    int Te = c->cross_attention ? run->n_memory : 0;
    ATS_ASSERT(!c->cross_attention || (run->memory && run->cross_attn && Te > 0));
    st = scratch_alloc(&f->s, c, (size_t)f->N, (size_t)f->T, (size_t)Te, !run->kv_cache, f->threads,
                       err);
    if (st != ATS_OK) {
        ats_pool_free(f->pool);
        return st;
    }
    if (uses_rope(c)) {
        int rot = rotary_dims(c); /* frequencies over the rotated dimensions only */
        ats_rope_inv_freq(f->s.inv_freq, rot, c->rope_theta, &c->rope_scaling);
        /* per-frequency divisors: Llama 3.1's rope_freqs, LongRoPE's short or (for a text
         * longer than the original context) long factors */
        const float *div =
            ats_rope_long_factors(&c->rope_scaling, f->T) ? m->rope_factors_long : m->rope_factors;
        for (int i = 0; div && i < rot / 2; i++)
            f->s.inv_freq[i] /= div[i];
        double magnitude = ats_rope_magnitude(&c->rope_scaling); /* YaRN, LongRoPE */
        for (int t = 0; t < f->N; t++)
            ats_rope_angles(f->s.rope + (size_t)t * c->d_head, rot, P + t, f->s.inv_freq,
                            magnitude);
    }
    if (f->s.bucket) /* T5: a bucket for each distance */
        ats_attn_buckets(c, f->T, f->s.bucket);
    return ATS_OK;
}

static void pass_end(pass *f) {
    scratch_free(&f->s);
    ats_pool_free(f->pool);
}

ats_status ats_forward(const ats_model *m, ats_run *run, const ats_run *prev, int P,
                       ats_error *err) {
    const ats_model_config *c = &m->cfg;
    ATS_ASSERT(P >= 0 && P < run->n_tokens &&
               (P == 0 || (prev && prev->kv_cache && P <= prev->n_tokens)));
    pass f;
    ats_status st = pass_begin(&f, m, run, prev, P, err);
    if (st != ATS_OK)
        return st;
    scratch *s = &f.s;
    int N = f.N;
    size_t D = (size_t)c->d_model;

    /* 1. token vectors x (N, D) of the tokens to compute */
    st = embed(&f, s->x, err);

    for (int l = 0; l < c->n_layer && st == ATS_OK; l++) {
        if (run->cancel && run->cancel(run->cancel_user)) {
            st = ats_fail(err, ATS_ERR_CANCELLED, "the run was cancelled");
            break;
        }
        const ats_layer *L = &m->layers[l];
        layer_io io = layer_outputs(&f, l);
        if (P > 0)
            reuse_prefix(&f, &io, l);
        capture_rows(io.keep ? io.keep->input : NULL, P, s->x, N, D);

        /* 2. attention: x += attention(block_input(x)), the layer's sliding window if any;
         * Gemma 2 norms the block's output before adding it */
        block_input(&f, &L->attn_norm, s->h, s->x);
        capture_rows(io.keep ? io.keep->attn_in : NULL, P, s->h, N, D);
        attention(&f, L, &io, ats_config_layer_window(c, l));
        if (c->post_block_norm)
            norm_rows(&f, &L->post_attn_norm, s->proj, s->proj, N);
        if (c->parallel_block) {
            /* GPT-NeoX, Phi: x += attn(norm(x)) + mlp(norm'(x)), both from the layer's input */
            memcpy(s->par, s->proj, (size_t)N * D * sizeof(float));
            block_input(&f, &L->mlp_norm, s->h, s->x);
            mlp(&f, L);
            add_residual(&f, &L->attn_norm, s->x, s->par);
            add_residual(&f, &L->mlp_norm, s->x, s->proj);
            continue;
        }
        add_residual(&f, &L->attn_norm, s->x, s->proj);

        /* 2b. a decoder's cross-attention to the encoder's output: x += cross(norm(x)) */
        if (c->cross_attention) {
            block_input(&f, &L->cross_norm, s->h, s->x);
            cross_attention(&f, L, run->memory, run->n_memory,
                            run->cross_attn + (size_t)l * c->n_head * f.T * run->n_memory, io.keep);
            add_residual(&f, &L->cross_norm, s->x, s->proj);
        }

        /* 3. feed-forward, the same residual pattern: x += mlp(block_input(x)) (attention-only
         * blocks have none) */
        if (c->d_ff == 0)
            continue;
        block_input(&f, &L->mlp_norm, s->h, s->x);
        mlp(&f, L);
        if (c->post_block_norm)
            norm_rows(&f, &L->post_mlp_norm, s->proj, s->proj, N);
        add_residual(&f, &L->mlp_norm, s->x, s->proj);
    }

    /* 4. final norm, hidden states, and the last position's logits */
    if (st == ATS_OK) {
        if (c->final_norm)
            norm_rows(&f, &m->final_norm, s->x, s->x, N);
        if (run->hidden) {
            if (P > 0)
                memcpy(run->hidden, prev->hidden, (size_t)P * D * sizeof(float));
            capture_rows(run->hidden, P, s->x, N, D);
        }
        if (run->logits) {
            float *last = s->x + (size_t)(N - 1) * D; /* T5 with a tied head: times d_model^-0.5 */
            for (size_t i = 0; m->logit_scale != 1.0f && i < D; i++)
                last[i] *= m->logit_scale;
            if (c->d_embed > 0) { /* OPT-350m: back to the head's width, (d_embed) */
                linear1(&f, &m->project_out, last, 1, s->emb, EPI_NONE, NULL, NULL);
                last = s->emb;
            }
            linear1(&f, &m->lm_head, last, 1, run->logits, EPI_NONE, NULL, NULL);
            for (int v = 0; c->final_softcap > 0.0f && v < m->lm_head.n_out; v++) /* Gemma 2 */
                run->logits[v] = c->final_softcap * tanhf(run->logits[v] / c->final_softcap);
        }
        if (run->attn.pooled)
            ats_attn_pool_means(run, run->attn.pooled_mean);
    }
    pass_end(&f);
    return st;
}
