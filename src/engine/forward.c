/* One forward pass for every architecture, switched by the model config, keeping every head's
 * attention probabilities and, for selected layers, the intermediate vectors.
 *
 * Shapes: T tokens, D = d_model, H heads, KV key/value heads, dh = d_head, F = d_ff.
 * Activations are token-major: row t of x is token t's vector.
 */
#include "error.h"
#include "ops.h"
#include "run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct scratch {
    float *x;        /* (T, D) the residual stream */
    float *h;        /* (T, D) normed input of a block */
    float *q;        /* (T, H * dh) */
    float *k, *v;    /* (T, KV * dh) */
    float *scores;   /* (T, T) one head at a time */
    float *concat;   /* (T, H * dh) every head's output */
    float *proj;     /* (T, D) attention or MLP output before the residual add */
    float *ff_up;    /* (T, F) */
    float *ff_gate;  /* (T, F) SwiGLU only */
    float *inv_freq; /* (dh / 2) rotary frequencies */
} scratch;

static void scratch_free(scratch *s) {
    free(s->x);
    free(s->h);
    free(s->q);
    free(s->k);
    free(s->v);
    free(s->scores);
    free(s->concat);
    free(s->proj);
    free(s->ff_up);
    free(s->ff_gate);
    free(s->inv_freq);
}

static ats_status scratch_alloc(scratch *s, const ats_model_config *c, size_t T, ats_error *err) {
    size_t D = (size_t)c->d_model, dq = (size_t)c->n_head * c->d_head;
    size_t dkv = (size_t)c->n_kv_head * c->d_head, F = (size_t)c->d_ff;
    memset(s, 0, sizeof *s);
    s->x = malloc(T * D * sizeof(float));
    s->h = malloc(T * D * sizeof(float));
    s->q = malloc(T * dq * sizeof(float));
    s->k = malloc(T * dkv * sizeof(float));
    s->v = malloc(T * dkv * sizeof(float));
    s->scores = malloc(T * T * sizeof(float));
    s->concat = malloc(T * dq * sizeof(float));
    s->proj = malloc(T * D * sizeof(float));
    s->ff_up = malloc(T * F * sizeof(float));
    s->ff_gate = c->activation == ATS_ACT_SWIGLU ? malloc(T * F * sizeof(float)) : NULL;
    s->inv_freq = malloc(((size_t)c->d_head / 2 + 1) * sizeof(float));
    if (!s->x || !s->h || !s->q || !s->k || !s->v || !s->scores || !s->concat || !s->proj ||
        !s->ff_up || (c->activation == ATS_ACT_SWIGLU && !s->ff_gate) || !s->inv_freq) {
        scratch_free(s);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a %zu-token forward pass", T);
    }
    return ATS_OK;
}

/* out (T, D) = norm of each row of x (T, D); out may alias x. */
static void norm_rows(const ats_model_config *c, const ats_norm *n, float *out, const float *x,
                      int T) {
    size_t D = (size_t)c->d_model;
    for (int t = 0; t < T; t++) {
        if (c->norm == ATS_NORM_RMSNORM)
            ats_rmsnorm(out + t * D, x + t * D, n->w, c->d_model, c->norm_eps);
        else
            ats_layernorm(out + t * D, x + t * D, n->w, n->b, c->d_model, c->norm_eps);
    }
}

/* x (T, D) = token vectors + positions (+ token type 0), then the embedding norm if any. */
static ats_status embed(const ats_model *m, const ats_tokens *tokens, int T, float *x,
                        ats_error *err) {
    const ats_model_config *c = &m->cfg;
    size_t D = (size_t)c->d_model;
    for (int t = 0; t < T; t++) {
        int32_t id = ats_tokens_get(tokens, t)->id;
        float *row = x + t * D;
        if (m->embed_fn) {
            m->embed_fn(m, id, row);
        } else {
            if (id < 0 || id >= c->vocab_size)
                return ats_fail(err, ATS_ERR_FORMAT,
                                "%s: token id %d is outside the embedding table (%d rows)",
                                m->info.name, id, c->vocab_size);
            memcpy(row, m->tok_embed + (size_t)id * D, D * sizeof(float));
        }
        if (c->positions == ATS_POS_LEARNED || c->positions == ATS_POS_SINUSOIDAL)
            for (size_t i = 0; i < D; i++)
                row[i] += m->pos_embed[t * D + i];
        if (m->type_embed)
            for (size_t i = 0; i < D; i++)
                row[i] += m->type_embed[i];
    }
    if (c->embed_norm)
        norm_rows(c, &m->embed_norm, x, x, T);
    return ATS_OK;
}

/* Rotates every head of q (T, H * dh) and k (T, KV * dh) by its token's position. */
static void apply_rope(const ats_model_config *c, const float *inv_freq, float *q, float *k,
                       int T) {
    int dh = c->d_head;
    void (*rotate)(float *, int, int, const float *) =
        c->positions == ATS_POS_ROPE_HALF ? ats_rope_half : ats_rope_interleaved;
    for (int t = 0; t < T; t++) {
        for (int hh = 0; hh < c->n_head; hh++)
            rotate(q + ((size_t)t * c->n_head + hh) * dh, dh, t, inv_freq);
        for (int hh = 0; hh < c->n_kv_head; hh++)
            rotate(k + ((size_t)t * c->n_kv_head + hh) * dh, dh, t, inv_freq);
    }
}

/* Copies head `hh` out of a token-major (T, n_heads * dh) buffer into a (T, dh) block. */
static void gather_head(float *dst, const float *src, int T, int n_heads, int dh, int hh) {
    for (int t = 0; t < T; t++)
        memcpy(dst + (size_t)t * dh, src + ((size_t)t * n_heads + hh) * dh,
               (size_t)dh * sizeof(float));
}

/* Multi-head attention of one layer on s->h, leaving the projected output in s->proj and every
 * head's probabilities in attn (H, T, T). */
static void attention(const ats_model *m, const ats_layer *L, scratch *s, int T, float *attn,
                      ats_layer_store *keep) {
    const ats_model_config *c = &m->cfg;
    int H = c->n_head, KV = c->n_kv_head, dh = c->d_head;
    int dq = H * dh, dkv = KV * dh, group = H / KV;
    size_t TT = (size_t)T * T;

    /* q (T, H*dh), k and v (T, KV*dh): projections of the normed input. */
    ats_linear_apply(&L->wq, s->h, T, s->q);
    ats_linear_apply(&L->wk, s->h, T, s->k);
    ats_linear_apply(&L->wv, s->h, T, s->v);
    if (c->positions == ATS_POS_ROPE_HALF || c->positions == ATS_POS_ROPE_INTERLEAVED)
        apply_rope(c, s->inv_freq, s->q, s->k, T);

    for (int hh = 0; hh < H; hh++) {
        int kv = hh / group; /* grouped-query attention: `group` query heads share one K/V head */
        const float *qh = s->q + (size_t)hh * dh; /* (T, dh) with row stride dq */
        const float *kh = s->k + (size_t)kv * dh; /* (T, dh) with row stride dkv */
        const float *vh = s->v + (size_t)kv * dh;
        float *p = attn + (size_t)hh * TT; /* (T, T) this head's probabilities */

        /* scores (T, T) = q_h . k_h^T, the raw dot products */
        ats_gemm(true, T, T, dh, 1.0f, qh, dq, kh, dkv, 0.0f, s->scores, T);
        if (keep)
            memcpy(keep->scores + (size_t)hh * TT, s->scores, TT * sizeof(float));

        /* p = softmax(scores * scale) over the keys each query may see */
        for (int i = 0; i < T; i++) {
            int visible = c->causal ? i + 1 : T;
            float *row = p + (size_t)i * T;
            for (int j = 0; j < visible; j++)
                row[j] = s->scores[(size_t)i * T + j] * c->attn_scale;
            ats_softmax(row, visible);
            for (int j = visible; j < T; j++)
                row[j] = 0.0f; /* masked: exactly zero */
        }

        /* concat[:, hh*dh : (hh+1)*dh] (T, dh) = p (T, T) . v_h (T, dh) */
        ats_gemm(false, T, dh, T, 1.0f, p, T, vh, dkv, 0.0f, s->concat + (size_t)hh * dh, dq);
    }

    /* proj (T, D) = concat (T, H*dh) . W_o^T + b_o */
    ats_linear_apply(&L->wo, s->concat, T, s->proj);

    if (keep) {
        for (int hh = 0; hh < H; hh++) {
            gather_head(keep->q + (size_t)hh * T * dh, s->q, T, H, dh, hh);
            gather_head(keep->out + (size_t)hh * T * dh, s->concat, T, H, dh, hh);
        }
        for (int hh = 0; hh < KV; hh++) {
            gather_head(keep->k + (size_t)hh * T * dh, s->k, T, KV, dh, hh);
            gather_head(keep->v + (size_t)hh * T * dh, s->v, T, KV, dh, hh);
        }
        memcpy(keep->concat, s->concat, (size_t)T * dq * sizeof(float));
        memcpy(keep->attn_out, s->proj, (size_t)T * c->d_model * sizeof(float));
    }
}

/* The feed-forward block on s->h, output in s->proj (T, D). */
static void mlp(const ats_model *m, const ats_layer *L, scratch *s, int T) {
    const ats_model_config *c = &m->cfg;
    size_t n = (size_t)T * c->d_ff;
    ats_linear_apply(&L->up, s->h, T, s->ff_up); /* (T, F) */
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
        ats_linear_apply(&L->gate, s->h, T, s->ff_gate); /* (T, F) */
        for (size_t i = 0; i < n; i++)
            s->ff_up[i] *= ats_silu(s->ff_gate[i]);
        break;
    }
    ats_linear_apply(&L->down, s->ff_up, T, s->proj); /* (T, D) */
}

static void add_rows(float *x, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++)
        x[i] += y[i];
}

ats_status ats_forward(const ats_model *m, ats_run *run, ats_error *err) {
    const ats_model_config *c = &m->cfg;
    int T = run->n_tokens;
    size_t D = (size_t)c->d_model, TD = (size_t)T * D;
    size_t per_layer = (size_t)c->n_head * T * T;

    scratch s;
    ats_status st = scratch_alloc(&s, c, (size_t)T, err);
    if (st != ATS_OK)
        return st;
    if (c->positions == ATS_POS_ROPE_HALF || c->positions == ATS_POS_ROPE_INTERLEAVED)
        ats_rope_inv_freq(s.inv_freq, c->d_head, c->rope_theta, &c->rope_scaling);

    /* 1. token vectors x (T, D) */
    st = embed(m, run->tokens, T, s.x, err);
    if (st != ATS_OK) {
        scratch_free(&s);
        return st;
    }

    for (int l = 0; l < c->n_layer; l++) {
        const ats_layer *L = &m->layers[l];
        ats_layer_store *keep = run->layers && run->layers[l].q ? &run->layers[l] : NULL;
        if (keep)
            memcpy(keep->input, s.x, TD * sizeof(float));

        /* 2. attention: pre-norm reads norm(x), post-norm reads x and norms the sum */
        if (c->pre_norm)
            norm_rows(c, &L->attn_norm, s.h, s.x, T);
        else
            memcpy(s.h, s.x, TD * sizeof(float));
        if (keep)
            memcpy(keep->attn_in, s.h, TD * sizeof(float));
        attention(m, L, &s, T, run->attn + (size_t)l * per_layer, keep);
        add_rows(s.x, s.proj, TD);
        if (!c->pre_norm)
            norm_rows(c, &L->attn_norm, s.x, s.x, T);

        /* 3. feed-forward, the same residual pattern */
        if (c->pre_norm)
            norm_rows(c, &L->mlp_norm, s.h, s.x, T);
        else
            memcpy(s.h, s.x, TD * sizeof(float));
        mlp(m, L, &s, T);
        add_rows(s.x, s.proj, TD);
        if (!c->pre_norm)
            norm_rows(c, &L->mlp_norm, s.x, s.x, T);
    }

    /* 4. final norm, hidden states, and the last position's logits */
    if (c->final_norm)
        norm_rows(c, &m->final_norm, s.x, s.x, T);
    if (run->hidden)
        memcpy(run->hidden, s.x, TD * sizeof(float));
    if (run->logits)
        ats_linear_apply(&m->lm_head, s.x + (size_t)(T - 1) * D, 1, run->logits);

    scratch_free(&s);
    return ATS_OK;
}
