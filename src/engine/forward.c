/* One forward pass for every architecture, switched by the model config, keeping every head's
 * attention probabilities and, for selected layers, the intermediate vectors.
 *
 * Shapes: T tokens, D = d_model, H heads, KV key/value heads, dh = d_head, F = d_ff.
 * Activations are token-major: row t of x is token t's vector.
 *
 * The pass computes tokens P..T-1 (N = T - P rows). P is 0 for a fresh run; when typing extends a
 * causal model's text, the tokens 0..P-1 are unchanged and so are everything they produce (a
 * token never sees later ones), so their keys, values and attention rows are copied from the
 * previous run instead of recomputed.
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
    float *ff_up;    /* (N, F) */
    float *ff_gate;  /* (N, F) SwiGLU only */
    float *inv_freq; /* (dh / 2) rotary frequencies */
} scratch;

static void scratch_free(scratch *s) {
    free(s->x);
    free(s->h);
    free(s->q);
    free(s->kv);
    free(s->scores);
    free(s->concat);
    free(s->proj);
    free(s->ff_up);
    free(s->ff_gate);
    free(s->inv_freq);
}

static ats_status scratch_alloc(scratch *s, const ats_model_config *c, size_t N, size_t T,
                                bool need_kv, ats_error *err) {
    size_t D = (size_t)c->d_model, dq = (size_t)c->n_head * c->d_head;
    size_t dkv = (size_t)c->n_kv_head * c->d_head, F = (size_t)c->d_ff;
    bool swiglu = c->activation == ATS_ACT_SWIGLU;
    memset(s, 0, sizeof *s);
    s->x = malloc(N * D * sizeof(float));
    s->h = malloc(N * D * sizeof(float));
    s->q = malloc(N * dq * sizeof(float));
    s->kv = need_kv ? malloc(2 * T * dkv * sizeof(float)) : NULL;
    s->scores = malloc(N * T * sizeof(float));
    s->concat = malloc(N * dq * sizeof(float));
    s->proj = malloc(N * D * sizeof(float));
    s->ff_up = malloc(N * F * sizeof(float));
    s->ff_gate = swiglu ? malloc(N * F * sizeof(float)) : NULL;
    s->inv_freq = malloc(((size_t)c->d_head / 2 + 1) * sizeof(float));
    if (!s->x || !s->h || !s->q || (need_kv && !s->kv) || !s->scores || !s->concat || !s->proj ||
        !s->ff_up || (swiglu && !s->ff_gate) || !s->inv_freq) {
        scratch_free(s);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a %zu-token forward pass", T);
    }
    return ATS_OK;
}

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
        if (c->positions == ATS_POS_LEARNED || c->positions == ATS_POS_SINUSOIDAL)
            for (size_t i = 0; i < D; i++)
                row[i] += m->pos_embed[(size_t)t * D + i];
        if (m->type_embed)
            for (size_t i = 0; i < D; i++)
                row[i] += m->type_embed[i];
    }
    if (c->embed_norm)
        norm_rows(c, &m->embed_norm, x, x, T - P);
    return ATS_OK;
}

/* Rotates `n_heads` head vectors of each of N rows (row stride n_heads * dh) for positions
 * P, P+1, ... */
static void apply_rope(const ats_model_config *c, const float *inv_freq, float *rows, int N,
                       int n_heads, int P) {
    int dh = c->d_head;
    void (*rotate)(float *, int, int, const float *) =
        c->positions == ATS_POS_ROPE_HALF ? ats_rope_half : ats_rope_interleaved;
    for (int t = 0; t < N; t++)
        for (int hh = 0; hh < n_heads; hh++)
            rotate(rows + ((size_t)t * n_heads + hh) * dh, dh, P + t, inv_freq);
}

static bool uses_rope(const ats_model_config *c) {
    return c->positions == ATS_POS_ROPE_HALF || c->positions == ATS_POS_ROPE_INTERLEAVED;
}

/* Copies head `hh` of rows [0, n) of a token-major (n, n_heads * dh) buffer into a (n, dh)
 * block. */
static void gather_head(float *dst, const float *src, int n, int n_heads, int dh, int hh) {
    for (int t = 0; t < n; t++)
        memcpy(dst + (size_t)t * dh, src + ((size_t)t * n_heads + hh) * dh,
               (size_t)dh * sizeof(float));
}

/* Copies the first `rows` rows of `cols` values from a matrix with row stride src_ld into one
 * with row stride dst_ld. */
static void copy_rows(float *dst, size_t dst_ld, const float *src, size_t src_ld, int rows,
                      size_t cols) {
    for (int r = 0; r < rows; r++)
        memcpy(dst + (size_t)r * dst_ld, src + (size_t)r * src_ld, cols * sizeof(float));
}

/* The kept intermediates of the prefix rows, copied from the previous run's store of this layer
 * (same shapes with prev's T as the token count). */
static void keep_prefix(const ats_model_config *c, ats_layer_store *keep,
                        const ats_layer_store *old, int T, int oldT, int P) {
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

/* Multi-head attention of one layer for rows P..T-1 (s->h), leaving the projected output in
 * s->proj (N, D) and the probabilities in rows P..T-1 of attn (H, T, T). K and V (T, KV*dh)
 * must hold rows 0..P-1 already; this computes rows P..T-1. */
static void attention(const ats_model *m, const ats_layer *L, scratch *s, int P, int T, float *K,
                      float *V, float *attn, ats_layer_store *keep) {
    const ats_model_config *c = &m->cfg;
    int H = c->n_head, KV = c->n_kv_head, dh = c->d_head, N = T - P;
    int dq = H * dh, dkv = KV * dh, group = H / KV;
    size_t TT = (size_t)T * T;

    /* q (N, H*dh) and the new rows of K, V (N, KV*dh): projections of the normed input */
    ats_linear_apply(&L->wq, s->h, N, s->q);
    ats_linear_apply(&L->wk, s->h, N, K + (size_t)P * dkv);
    ats_linear_apply(&L->wv, s->h, N, V + (size_t)P * dkv);
    if (uses_rope(c)) {
        apply_rope(c, s->inv_freq, s->q, N, H, P);
        apply_rope(c, s->inv_freq, K + (size_t)P * dkv, N, KV, P);
    }

    for (int hh = 0; hh < H; hh++) {
        int kv = hh / group; /* grouped-query attention: `group` query heads share one K/V head */
        const float *qh = s->q + (size_t)hh * dh; /* (N, dh) with row stride dq */
        const float *kh = K + (size_t)kv * dh;    /* (T, dh) with row stride dkv */
        const float *vh = V + (size_t)kv * dh;
        float *p = attn + (size_t)hh * TT + (size_t)P * T; /* (N, T) rows P.. of this head */

        /* scores (N, T) = q_h . k_h^T, the raw dot products */
        ats_gemm(true, N, T, dh, 1.0f, qh, dq, kh, dkv, 0.0f, s->scores, T);
        if (keep)
            memcpy(keep->scores + (size_t)hh * TT + (size_t)P * T, s->scores,
                   (size_t)N * T * sizeof(float));

        /* p = softmax(scores * scale) over the keys each query may see */
        for (int i = 0; i < N; i++) {
            int visible = c->causal ? P + i + 1 : T;
            float *row = p + (size_t)i * T;
            for (int j = 0; j < visible; j++)
                row[j] = s->scores[(size_t)i * T + j] * c->attn_scale;
            ats_softmax(row, visible);
            for (int j = visible; j < T; j++)
                row[j] = 0.0f; /* masked: exactly zero */
        }

        /* concat[:, hh*dh : (hh+1)*dh] (N, dh) = p (N, T) . v_h (T, dh) */
        ats_gemm(false, N, dh, T, 1.0f, p, T, vh, dkv, 0.0f, s->concat + (size_t)hh * dh, dq);
    }

    /* proj (N, D) = concat (N, H*dh) . W_o^T + b_o */
    ats_linear_apply(&L->wo, s->concat, N, s->proj);

    if (keep) {
        size_t D = (size_t)c->d_model;
        for (int hh = 0; hh < H; hh++) {
            gather_head(keep->q + ((size_t)hh * T + P) * dh, s->q, N, H, dh, hh);
            gather_head(keep->out + ((size_t)hh * T + P) * dh, s->concat, N, H, dh, hh);
        }
        for (int hh = 0; hh < KV; hh++) {
            gather_head(keep->k + (size_t)hh * T * dh, K, T, KV, dh, hh);
            gather_head(keep->v + (size_t)hh * T * dh, V, T, KV, dh, hh);
        }
        /* prefix queries against the new keys (masked, but the teaching view shows them) */
        for (int hh = 0; hh < H; hh++) {
            const float *kh = keep->k + (size_t)(hh / group) * T * dh;
            const float *qh = keep->q + (size_t)hh * T * dh;
            if (P > 0)
                ats_gemm(true, P, N, dh, 1.0f, qh, dh, kh + (size_t)P * dh, dh, 0.0f,
                         keep->scores + (size_t)hh * TT + P, T);
        }
        memcpy(keep->concat + (size_t)P * dq, s->concat, (size_t)N * dq * sizeof(float));
        memcpy(keep->attn_out + (size_t)P * D, s->proj, (size_t)N * D * sizeof(float));
    }
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
    }
    ats_linear_apply(&L->down, s->ff_up, N, s->proj); /* (N, D) */
}

static void add_rows(float *x, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++)
        x[i] += y[i];
}

ats_status ats_forward(const ats_model *m, ats_run *run, const ats_run *prev, int P,
                       ats_error *err) {
    const ats_model_config *c = &m->cfg;
    int T = run->n_tokens, N = T - P;
    int oldT = prev ? prev->n_tokens : 0;
    ATS_ASSERT(P >= 0 && P < T && (P == 0 || (prev && prev->kv_cache && P <= oldT)));
    size_t D = (size_t)c->d_model, ND = (size_t)N * D;
    size_t dkv = (size_t)c->n_kv_head * c->d_head;
    size_t per_layer = (size_t)c->n_head * T * T;

    scratch s;
    ats_status st = scratch_alloc(&s, c, (size_t)N, (size_t)T, !run->kv_cache, err);
    if (st != ATS_OK)
        return st;
    if (uses_rope(c))
        ats_rope_inv_freq(s.inv_freq, c->d_head, c->rope_theta, &c->rope_scaling);

    /* 1. token vectors x (N, D) of the tokens to compute */
    st = embed(m, run->tokens, P, T, s.x, err);
    if (st != ATS_OK) {
        scratch_free(&s);
        return st;
    }

    for (int l = 0; l < c->n_layer; l++) {
        const ats_layer *L = &m->layers[l];
        ats_layer_store *keep = run->layers && run->layers[l].q ? &run->layers[l] : NULL;
        /* this layer's keys and values (T, KV*dh): in the run's cache, or in scratch */
        float *K = run->kv_cache ? run->kv_cache + (size_t)l * 2 * T * dkv : s.kv;
        float *V = K + (size_t)T * dkv;
        float *attn = run->attn + (size_t)l * per_layer;
        if (P > 0) {
            /* the prefix: keys, values and attention rows as the previous run computed them */
            const float *oldK = prev->kv_cache + (size_t)l * 2 * oldT * dkv;
            memcpy(K, oldK, (size_t)P * dkv * sizeof(float));
            memcpy(V, oldK + (size_t)oldT * dkv, (size_t)P * dkv * sizeof(float));
            for (int hh = 0; hh < c->n_head; hh++)
                copy_rows(attn + (size_t)hh * T * T, (size_t)T,
                          prev->attn + ((size_t)l * c->n_head + hh) * oldT * oldT, (size_t)oldT, P,
                          (size_t)P);
            if (keep)
                keep_prefix(c, keep, &prev->layers[l], T, oldT, P);
        }
        if (keep)
            memcpy(keep->input + (size_t)P * D, s.x, ND * sizeof(float));

        /* 2. attention: pre-norm reads norm(x), post-norm reads x and norms the sum */
        if (c->pre_norm)
            norm_rows(c, &L->attn_norm, s.h, s.x, N);
        else
            memcpy(s.h, s.x, ND * sizeof(float));
        if (keep)
            memcpy(keep->attn_in + (size_t)P * D, s.h, ND * sizeof(float));
        attention(m, L, &s, P, T, K, V, attn, keep);
        add_rows(s.x, s.proj, ND);
        if (!c->pre_norm)
            norm_rows(c, &L->attn_norm, s.x, s.x, N);

        /* 3. feed-forward, the same residual pattern */
        if (c->pre_norm)
            norm_rows(c, &L->mlp_norm, s.h, s.x, N);
        else
            memcpy(s.h, s.x, ND * sizeof(float));
        mlp(m, L, &s, N);
        add_rows(s.x, s.proj, ND);
        if (!c->pre_norm)
            norm_rows(c, &L->mlp_norm, s.x, s.x, N);
    }

    /* 4. final norm, hidden states, and the last position's logits */
    if (c->final_norm)
        norm_rows(c, &m->final_norm, s.x, s.x, N);
    if (run->hidden) {
        if (P > 0)
            memcpy(run->hidden, prev->hidden, (size_t)P * D * sizeof(float));
        memcpy(run->hidden + (size_t)P * D, s.x, ND * sizeof(float));
    }
    if (run->logits)
        ats_linear_apply(&m->lm_head, s.x + (size_t)(N - 1) * D, 1, run->logits);

    scratch_free(&s);
    return ATS_OK;
}
