/* One forward pass for every architecture, switched by the model config, keeping every head's
 * attention probabilities and, for selected layers, the intermediate vectors.
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
 * The file reads top-down as the math: embed, then per layer the attention block and the
 * feed-forward block, then the final norm and the logits. Bookkeeping lives in named helpers:
 * layer_outputs says where a layer's results go, reuse_prefix copies the unchanged start, and
 * the capture_* helpers store the intermediates a run keeps for the teaching views.
 */
#include "base.h"
#include "ops.h"
#include "run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct scratch {
    float *x;        /* (N, D) the residual stream of the computed tokens */
    float *h;        /* (N, D) normed input of a block */
    float *q;        /* (N, H * dh) */
    float *kv;       /* (2, T, KV * dh) this layer's keys then values when the run keeps no cache */
    float *scores;   /* (N, T) one head at a time */
    float *concat;   /* (N, H * dh) every head's output */
    float *proj;     /* (N, D) attention or MLP output before the residual add */
    float *par;      /* (N, D) parallel blocks: the attention's output while the MLP runs */
    float *ff_up;    /* (N, F) */
    float *ff_gate;  /* (N, F) SwiGLU and GeGLU only */
    float *inv_freq; /* (dh / 2) rotary frequencies */
    int *bucket;     /* (2T - 1) relative positions: bucket of distance d at [d + T - 1] */
    float *cross_kv; /* (2, Te, H * dh) cross-attention keys then values of the encoder output */
} scratch;

static void scratch_free(scratch *s) {
    free(s->x);
    free(s->h);
    free(s->q);
    free(s->kv);
    free(s->scores);
    free(s->concat);
    free(s->proj);
    free(s->par);
    free(s->ff_up);
    free(s->ff_gate);
    free(s->inv_freq);
    free(s->bucket);
    free(s->cross_kv);
}

static ats_status scratch_alloc(scratch *s, const ats_model_config *c, size_t N, size_t T,
                                size_t Te, bool need_kv, ats_error *err) {
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
    s->scores = malloc(N * (T > Te ? T : Te) * sizeof(float));
    s->concat = malloc(N * dq * sizeof(float));
    s->proj = malloc(N * D * sizeof(float));
    s->par = malloc(N * D * sizeof(float));
    s->ff_up = malloc(N * F * sizeof(float));
    s->ff_gate = swiglu ? malloc(N * F * sizeof(float)) : NULL;
    s->inv_freq = malloc(((size_t)c->d_head / 2 + 1) * sizeof(float));
    s->bucket = relative ? malloc((2 * T - 1) * sizeof(int)) : NULL;
    s->cross_kv = Te ? malloc(2 * Te * dq * sizeof(float)) : NULL;
    if (!s->x || !s->h || !s->q || (need_kv && !s->kv) || !s->scores || !s->concat || !s->proj || !s->par ||
        (F && !s->ff_up) || (swiglu && !s->ff_gate) || !s->inv_freq || (relative && !s->bucket) ||
        (Te && !s->cross_kv)) {
        scratch_free(s);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a %zu-token forward pass", T);
    }
    return ATS_OK;
}

/* ---- where a layer's results go -------------------------------------------------------------- */

typedef struct layer_io {
    float *K, *V; /* (T, KV * dh) keys (after RoPE) and values: the run's cache or scratch */
    float *attn;  /* (H, T, T) this layer's probabilities in the run */
    ats_layer_store *keep; /* the intermediates the run keeps for this layer, or NULL */
} layer_io;

static layer_io layer_outputs(const ats_model_config *c, ats_run *run, scratch *s, int l) {
    size_t T = (size_t)run->n_tokens, dkv = (size_t)c->n_kv_head * c->d_head;
    layer_io io;
    io.K = run->kv_cache ? run->kv_cache + (size_t)l * 2 * T * dkv : s->kv;
    io.V = io.K + T * dkv;
    io.attn = run->attn + (size_t)l * c->n_head * T * T;
    io.keep = run->layers && run->layers[l].q ? &run->layers[l] : NULL;
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

/* Layer l's keys, values and attention rows of tokens 0..P-1 (and its kept intermediates), as
 * the previous run computed them. */
static void reuse_prefix(const ats_model_config *c, const layer_io *io, const ats_run *prev, int l,
                         int T, int P) {
    int oldT = prev->n_tokens;
    size_t dkv = (size_t)c->n_kv_head * c->d_head;
    const float *oldK = prev->kv_cache + (size_t)l * 2 * oldT * dkv; /* (2, oldT, KV * dh) */
    memcpy(io->K, oldK, (size_t)P * dkv * sizeof(float));
    memcpy(io->V, oldK + (size_t)oldT * dkv, (size_t)P * dkv * sizeof(float));
    for (int hh = 0; hh < c->n_head; hh++)
        copy_rows(io->attn + (size_t)hh * T * T, (size_t)T,
                  prev->attn + ((size_t)l * c->n_head + hh) * oldT * oldT, (size_t)oldT, P,
                  (size_t)P);
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

/* ---- the math -------------------------------------------------------------------------------- */

/* out (N, D) = norm of each row of x (N, D); out may alias x. */
static void norm_rows(const ats_model_config *c, const ats_norm *n, float *out, const float *x,
                      int N) {
    size_t D = (size_t)c->d_model;
    for (int t = 0; t < N; t++) {
        if (c->norm == ATS_NORM_RMSNORM)
            ats_rmsnorm(out + t * D, x + t * D, n->w, c->d_model, c->norm_eps);
        else
            ats_layernorm(out + t * D, x + t * D, n->w, n->b, c->d_model, c->norm_eps);
    }
}

/* x (N, D) = vectors of tokens P..T-1 + their positions (+ token type 0), then the embedding
 * norm if any. */
static ats_status embed(const ats_model *m, const ats_tokens *tokens, int P, int T, float *x,
                        ats_error *err) {
    const ats_model_config *c = &m->cfg;
    size_t D = (size_t)c->d_model;
    for (int t = P; t < T; t++) {
        int32_t id = ats_tokens_get(tokens, t)->id;
        float *row = x + (size_t)(t - P) * D;
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
            for (size_t i = 0; i < D; i++)
                row[i] *= c->embed_scale;
        if (c->positions == ATS_POS_LEARNED || c->positions == ATS_POS_SINUSOIDAL)
            for (size_t i = 0; i < D; i++)
                row[i] += m->pos_embed[((size_t)t + (size_t)c->pos_offset) * D + i];
        if (m->type_embed)
            for (size_t i = 0; i < D; i++)
                row[i] += m->type_embed[i];
    }
    if (c->embed_norm)
        norm_rows(c, &m->embed_norm, x, x, T - P);
    return ATS_OK;
}

static bool uses_rope(const ats_model_config *c) {
    return c->positions == ATS_POS_ROPE_HALF || c->positions == ATS_POS_ROPE_INTERLEAVED;
}

/* Rotates `n_heads` head vectors of each of N rows (row stride n_heads * dh) for positions
 * P, P+1, ... */
static void apply_rope(const ats_model_config *c, const float *inv_freq, float *rows, int N,
                       int n_heads, int P) {
    int dh = c->d_head, rot = c->rotary_dim > 0 ? c->rotary_dim : dh;
    void (*rotate)(float *, int, int, const float *) =
        c->positions == ATS_POS_ROPE_HALF ? ats_rope_half : ats_rope_interleaved;
    for (int t = 0; t < N; t++)
        for (int hh = 0; hh < n_heads; hh++)
            rotate(rows + ((size_t)t * n_heads + hh) * dh, rot, P + t, inv_freq);
}

/* The block's input h (N, D): pre-norm reads norm(x), post-norm reads x itself. */
static void block_input(const ats_model_config *c, const ats_norm *n, float *h, const float *x,
                        int N) {
    if (c->pre_norm)
        norm_rows(c, n, h, x, N);
    else
        memcpy(h, x, (size_t)N * c->d_model * sizeof(float));
}

/* x (N, D) += the block's output y; post-norm then norms the sum. */
static void add_residual(const ats_model_config *c, const ats_norm *n, float *x, const float *y,
                         int N) {
    size_t count = (size_t)N * c->d_model;
    for (size_t i = 0; i < count; i++)
        x[i] += y[i];
    if (!c->pre_norm)
        norm_rows(c, n, x, x, N);
}

/* p (N, T) = softmax(scores * scale + bias) over the keys each query row P+i may see; masked
 * keys get exactly zero. p has row stride T. T5's bias (NULL otherwise) is a head's column of
 * the (buckets, H) table: key j of query P+i adds bias[bucket[j - (P+i) + T - 1] * H]. */
static void softmax_rows(const ats_model_config *c, const float *scores, float *p, int P, int T,
                         const int *bucket, const float *bias, int window) {
    int N = T - P;
    float cap = c->attn_softcap;
    for (int i = 0; i < N; i++) {
        int visible = c->causal ? P + i + 1 : T;
        int first = window > 0 && P + i - window + 1 > 0 ? P + i - window + 1 : 0;
        float *row = p + (size_t)i * T;
        for (int j = 0; j < visible; j++)
            row[j] = scores[(size_t)i * T + j] * c->attn_scale;
        for (int j = 0; cap > 0 && j < visible; j++)
            row[j] = cap * tanhf(row[j] / cap);
        for (int j = 0; bias && j < visible; j++)
            row[j] += bias[(size_t)bucket[j - (P + i) + T - 1] * c->n_head];
        ats_softmax(row + first, visible - first);
        for (int j = 0; j < first; j++)
            row[j] = 0.0f;
        for (int j = visible; j < T; j++)
            row[j] = 0.0f;
    }
}

/* One head of one layer for query rows P..T-1: its probabilities (rows P.. of io->attn's head
 * hh) and its output, columns [hh*dh, (hh+1)*dh) of s->concat. */
static void attend_head(const ats_model *m, scratch *s, const layer_io *io, int hh, int P, int T,
                        int window) {
    const ats_model_config *c = &m->cfg;
    int H = c->n_head, dh = c->d_head, N = T - P;
    int dq = H * dh, dkv = c->n_kv_head * dh;
    int kv = hh / (H / c->n_kv_head); /* grouped-query attention: query heads share a K/V head */
    const float *qh = s->q + (size_t)hh * dh;  /* (N, dh) with row stride dq */
    const float *kh = io->K + (size_t)kv * dh; /* (T, dh) with row stride dkv */
    const float *vh = io->V + (size_t)kv * dh;
    float *p = io->attn + (size_t)hh * T * T + (size_t)P * T; /* (N, T) */

    /* scores (N, T) = q_h . k_h^T, the raw dot products */
    ats_gemm(true, N, T, dh, 1.0f, qh, dq, kh, dkv, 0.0f, s->scores, T);
    if (io->keep)
        capture_rows(io->keep->scores + (size_t)hh * T * T, P, s->scores, N, (size_t)T);

    softmax_rows(c, s->scores, p, P, T, s->bucket, s->bucket ? m->rel_bias + hh : NULL, window);

    /* concat[:, hh*dh : (hh+1)*dh] (N, dh) = p (N, T) . v_h (T, dh) */
    ats_gemm(false, N, dh, T, 1.0f, p, T, vh, dkv, 0.0f, s->concat + (size_t)hh * dh, dq);
}

/* Multi-head attention of one layer on s->h for rows P..T-1, leaving the projected output in
 * s->proj (N, D). io->K and io->V must hold rows 0..P-1 already; this computes rows P..T-1. */
static void attention(const ats_model *m, const ats_layer *L, scratch *s, const layer_io *io, int P,
                      int T, int window) {
    const ats_model_config *c = &m->cfg;
    int N = T - P;
    size_t dkv = (size_t)c->n_kv_head * c->d_head;

    /* q (N, H*dh) and the new rows of K, V (N, KV*dh): projections of the block input */
    ats_linear_apply(&L->wq, s->h, N, s->q);
    ats_linear_apply(&L->wk, s->h, N, io->K + (size_t)P * dkv);
    ats_linear_apply(&L->wv, s->h, N, io->V + (size_t)P * dkv);
    if (uses_rope(c)) {
        apply_rope(c, s->inv_freq, s->q, N, c->n_head, P);
        apply_rope(c, s->inv_freq, io->K + (size_t)P * dkv, N, c->n_kv_head, P);
    }

    for (int hh = 0; hh < c->n_head; hh++)
        attend_head(m, s, io, hh, P, T, window);

    /* proj (N, D) = concat (N, H*dh) . W_o^T + b_o */
    ats_linear_apply(&L->wo, s->concat, N, s->proj);
    if (io->keep)
        capture_attention(c, io->keep, s, io, P, T);
}

/* Cross-attention of one decoder layer: queries from rows P..T-1 (s->h), keys and values from
 * the encoder's output memory (Te, D); the projected output in s->proj (N, D) and the
 * probabilities in rows P..T-1 of cross (H, T, Te). No position bias and no mask. */
static void cross_attention(const ats_model *m, const ats_layer *L, scratch *s, const float *memory,
                            int Te, int P, int T, float *cross) {
    const ats_model_config *c = &m->cfg;
    int H = c->n_head, dh = c->d_head, N = T - P, dq = H * dh;
    float *K = s->cross_kv, *V = s->cross_kv + (size_t)Te * dq; /* (Te, H*dh) each */
    ats_linear_apply(&L->cq, s->h, N, s->q);
    ats_linear_apply(&L->ck, memory, Te, K);
    ats_linear_apply(&L->cv, memory, Te, V);
    for (int hh = 0; hh < H; hh++) {
        float *p = cross + ((size_t)hh * T + P) * Te; /* (N, Te) rows P.. of this head */
        /* p = softmax(q_h . k_h^T * scale) */
        ats_gemm(true, N, Te, dh, c->attn_scale, s->q + (size_t)hh * dh, dq, K + (size_t)hh * dh,
                 dq, 0.0f, p, Te);
        for (int i = 0; i < N; i++)
            ats_softmax(p + (size_t)i * Te, Te);
        /* concat[:, hh*dh : (hh+1)*dh] (N, dh) = p (N, Te) . v_h (Te, dh) */
        ats_gemm(false, N, dh, Te, 1.0f, p, Te, V + (size_t)hh * dh, dq, 0.0f,
                 s->concat + (size_t)hh * dh, dq);
    }
    ats_linear_apply(&L->co, s->concat, N, s->proj); /* (N, D) */
}

/* The feed-forward block on s->h, output in s->proj (N, D). */
static void mlp(const ats_model *m, const ats_layer *L, scratch *s, int N) {
    const ats_model_config *c = &m->cfg;
    size_t n = (size_t)N * c->d_ff;
    ats_linear_apply(&L->up, s->h, N, s->ff_up); /* (N, F) */
    switch (c->activation) {
    case ATS_ACT_GELU_TANH:
        for (size_t i = 0; i < n; i++)
            s->ff_up[i] = ats_gelu_tanh(s->ff_up[i]);
        break;
    case ATS_ACT_GELU_ERF:
        for (size_t i = 0; i < n; i++)
            s->ff_up[i] = ats_gelu_erf(s->ff_up[i]);
        break;
    case ATS_ACT_SWIGLU:
        ats_linear_apply(&L->gate, s->h, N, s->ff_gate); /* (N, F) */
        for (size_t i = 0; i < n; i++)
            s->ff_up[i] *= ats_silu(s->ff_gate[i]);
        break;
    case ATS_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            s->ff_up[i] = s->ff_up[i] > 0.0f ? s->ff_up[i] : 0.0f;
        break;
    case ATS_ACT_GEGLU:
        ats_linear_apply(&L->gate, s->h, N, s->ff_gate); /* (N, F) */
        for (size_t i = 0; i < n; i++)
            s->ff_up[i] *= ats_gelu_tanh(s->ff_gate[i]);
        break;
    case ATS_ACT_GEGLU_ERF:
        ats_linear_apply(&L->gate, s->h, N, s->ff_gate); /* (N, F) */
        for (size_t i = 0; i < n; i++)
            s->ff_up[i] *= ats_gelu_erf(s->ff_gate[i]);
        break;
    }
    ats_linear_apply(&L->down, s->ff_up, N, s->proj); /* (N, D) */
}

/* ---- the pass -------------------------------------------------------------------------------- */

ats_status ats_forward(const ats_model *m, ats_run *run, const ats_run *prev, int P,
                       ats_error *err) {
    const ats_model_config *c = &m->cfg;
    int T = run->n_tokens, N = T - P;
    ATS_ASSERT(P >= 0 && P < T && (P == 0 || (prev && prev->kv_cache && P <= prev->n_tokens)));
    size_t D = (size_t)c->d_model;

    int Te = c->cross_attention ? run->n_memory : 0;
    ATS_ASSERT(!c->cross_attention || (run->memory && run->cross_attn && Te > 0));
    scratch s;
    ats_status st = scratch_alloc(&s, c, (size_t)N, (size_t)T, (size_t)Te, !run->kv_cache, err);
    if (st != ATS_OK)
        return st;
    if (uses_rope(c))
        ats_rope_inv_freq(s.inv_freq, c->rotary_dim > 0 ? c->rotary_dim : c->d_head, c->rope_theta,
                          &c->rope_scaling);
    for (int d = -(T - 1); s.bucket && d <= T - 1; d++) /* T5: a bucket for each distance */
        s.bucket[d + T - 1] =
            ats_relative_bucket(d, !c->causal, c->rel_buckets, c->rel_max_distance);

    /* 1. token vectors x (N, D) of the tokens to compute */
    st = embed(m, run->tokens, P, T, s.x, err);
    if (st != ATS_OK) {
        scratch_free(&s);
        return st;
    }

    for (int l = 0; l < c->n_layer; l++) {
        const ats_layer *L = &m->layers[l];
        layer_io io = layer_outputs(c, run, &s, l);
        if (P > 0)
            reuse_prefix(c, &io, prev, l, T, P);
        capture_rows(io.keep ? io.keep->input : NULL, P, s.x, N, D);

        /* 2. attention: x += attention(block_input(x)) */
        block_input(c, &L->attn_norm, s.h, s.x, N);
        capture_rows(io.keep ? io.keep->attn_in : NULL, P, s.h, N, D);
        attention(m, L, &s, &io, P, T, ats_config_layer_window(c, l));
        if (c->post_block_norm)
            norm_rows(c, &L->post_attn_norm, s.proj, s.proj, N);
        if (c->parallel_block) {
            /* x += attn(norm(x)) + mlp(norm'(x)): the MLP reads the layer's input too */
            memcpy(s.par, s.proj, (size_t)N * D * sizeof(float));
            norm_rows(c, &L->mlp_norm, s.h, s.x, N);
            mlp(m, L, &s, N);
            for (size_t i = 0; i < (size_t)N * D; i++)
                s.x[i] += s.par[i] + s.proj[i];
            continue;
        }
        add_residual(c, &L->attn_norm, s.x, s.proj, N);

        /* 2b. a decoder's cross-attention to the encoder's output: x += cross(norm(x)) */
        if (c->cross_attention) {
            norm_rows(c, &L->cross_norm, s.h, s.x, N);
            cross_attention(m, L, &s, run->memory, Te, P, T,
                            run->cross_attn + (size_t)l * c->n_head * T * Te);
            add_residual(c, &L->cross_norm, s.x, s.proj, N);
        }

        /* 3. feed-forward, the same residual pattern: x += mlp(block_input(x)) (attention-only
         * blocks have none) */
        if (c->d_ff == 0)
            continue;
        block_input(c, &L->mlp_norm, s.h, s.x, N);
        mlp(m, L, &s, N);
        if (c->post_block_norm)
            norm_rows(c, &L->post_mlp_norm, s.proj, s.proj, N);
        add_residual(c, &L->mlp_norm, s.x, s.proj, N);
    }

    /* 4. final norm, hidden states, and the last position's logits */
    if (c->final_norm)
        norm_rows(c, &m->final_norm, s.x, s.x, N);
    if (run->hidden) {
        if (P > 0)
            memcpy(run->hidden, prev->hidden, (size_t)P * D * sizeof(float));
        capture_rows(run->hidden, P, s.x, N, D);
    }
    if (run->logits) {
        float *last = s.x + (size_t)(N - 1) * D; /* T5 with a tied head: times d_model^-0.5 */
        for (size_t i = 0; m->logit_scale != 1.0f && i < D; i++)
            last[i] *= m->logit_scale;
        ats_linear_apply(&m->lm_head, last, 1, run->logits);
        for (int v = 0; c->final_softcap > 0 && v < m->lm_head.n_out; v++)
            run->logits[v] = c->final_softcap * tanhf(run->logits[v] / c->final_softcap);
    }

    scratch_free(&s);
    return ATS_OK;
}
