#include "tmodel.h"

#include "base.h"
#include "ops.h"
#include "tops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- layout --------------------------------------------------------------------------------- */

/* Appends a tensor of shape (d0) or (d0, d1) (d1 0: 1-D) and returns its offset. */
static size_t add(ats_tr_model *m, const char *name, int d0, int d1) {
    ats_tr_tensor *t = &m->tensors[m->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->offset = m->n_params;
    t->n_dims = d1 ? 2 : 1;
    t->dims[0] = d0;
    t->dims[1] = d1;
    t->matrix = d1 != 0;
    m->n_params += (size_t)d0 * (d1 ? (size_t)d1 : 1);
    return t->offset;
}

static size_t add_layer(ats_tr_model *m, int l, const char *what, int d0, int d1) {
    char name[48];
    snprintf(name, sizeof name, "h.%d.%s", l, what);
    return add(m, name, d0, d1);
}

ats_status ats_tr_model_init(ats_tr_model *m, const ats_tr_config *cfg, ats_error *err) {
    memset(m, 0, sizeof *m);
    const ats_tr_config *c = cfg;
    if (c->n_layer < 1 || c->n_layer > 64 || c->n_head < 1 || c->d_model < 2 || c->d_model > 4096 ||
        c->d_model % c->n_head != 0 || c->d_ff < 0 || c->d_ff > 16384 || c->vocab < 2 ||
        c->vocab > (1 << 20) || c->context < 2 || c->context > 4096)
        return ats_fail(err, ATS_ERR_ARG,
                        "a model of %d layers, %d heads, d_model %d, d_ff %d, vocabulary %d and "
                        "context %d cannot be trained here (d_model must divide into the heads)",
                        c->n_layer, c->n_head, c->d_model, c->d_ff, c->vocab, c->context);
    if (c->rope && (c->d_model / c->n_head) % 2 != 0)
        return ats_fail(err, ATS_ERR_ARG, "rotary positions need an even head size, not %d",
                        c->d_model / c->n_head);
    m->cfg = *c;
    m->cfg.d_head = c->d_model / c->n_head;
    m->tensors = calloc((size_t)(8 + 12 * c->n_layer), sizeof *m->tensors);
    m->at = calloc((size_t)c->n_layer, sizeof *m->at);
    if (!m->tensors || !m->at) {
        ats_tr_model_release(m);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    int D = c->d_model, F = c->d_ff;
    m->wte = add(m, "wte.weight", c->vocab, D);
    if (!c->rope)
        m->wpe = add(m, "wpe.weight", c->context, D);
    for (int l = 0; l < c->n_layer; l++) {
        ats_tr_layer_at *a = &m->at[l];
        a->ln1_w = add_layer(m, l, "ln_1.weight", D, 0);
        a->ln1_b = add_layer(m, l, "ln_1.bias", D, 0);
        a->attn_w = add_layer(m, l, "attn.c_attn.weight", D, 3 * D);
        a->attn_b = add_layer(m, l, "attn.c_attn.bias", 3 * D, 0);
        a->proj_w = add_layer(m, l, "attn.c_proj.weight", D, D);
        a->proj_b = add_layer(m, l, "attn.c_proj.bias", D, 0);
        if (F == 0)
            continue;
        a->ln2_w = add_layer(m, l, "ln_2.weight", D, 0);
        a->ln2_b = add_layer(m, l, "ln_2.bias", D, 0);
        a->fc_w = add_layer(m, l, "mlp.c_fc.weight", D, F);
        a->fc_b = add_layer(m, l, "mlp.c_fc.bias", F, 0);
        a->fcp_w = add_layer(m, l, "mlp.c_proj.weight", F, D);
        a->fcp_b = add_layer(m, l, "mlp.c_proj.bias", D, 0);
    }
    m->lnf_w = add(m, "ln_f.weight", D, 0);
    m->lnf_b = add(m, "ln_f.bias", D, 0);
    m->lm = add(m, "lm_head.weight", c->vocab, D);
    return ATS_OK;
}

void ats_tr_model_release(ats_tr_model *m) {
    free(m->tensors);
    free(m->at);
    memset(m, 0, sizeof *m);
}

void ats_tr_model_init_params(const ats_tr_model *m, float *params, uint64_t seed) {
    ats_rng rng = {seed};
    float proj_std = 0.02f / sqrtf(2.0f * (float)m->cfg.n_layer);
    for (int i = 0; i < m->n_tensors; i++) {
        const ats_tr_tensor *t = &m->tensors[i];
        size_t n = (size_t)t->dims[0] * (t->n_dims == 2 ? (size_t)t->dims[1] : 1);
        float *p = params + t->offset;
        bool norm_w = strstr(t->name, "ln_") && strstr(t->name, ".weight");
        float std = strstr(t->name, "c_proj.weight") ? proj_std : 0.02f;
        for (size_t k = 0; k < n; k++) /* matrices draw in tensor order; the rest are constant */
            p[k] = t->matrix ? std * ats_rng_gauss(&rng) : norm_w ? 1.0f : 0.0f;
    }
}

/* ---- activations ---------------------------------------------------------------------------- */

ats_status ats_tr_acts_alloc(ats_tr_acts *a, const ats_tr_model *m, int max_b, int max_t,
                             ats_error *err) {
    memset(a, 0, sizeof *a);
    const ats_tr_config *c = &m->cfg;
    size_t N = (size_t)max_b * max_t, D = (size_t)c->d_model, F = (size_t)c->d_ff;
    size_t L = (size_t)c->n_layer, V = (size_t)c->vocab, TT = (size_t)max_t * max_t;
    size_t sizes[] = {
        N * D, /* x0 */
        L * N * D,
        L * N,
        L * N, /* ln1, mean1, rstd1 */
        L * N * 3 * D,
        L * max_b * c->n_head * TT, /* qkv, att */
        L * N * D,
        L * N * D, /* o, xmid */
        L * N * D,
        L * N,
        L * N,
        L * N * F,
        L * N * F, /* ln2, mean2, rstd2, fc_pre, fc_act */
        L * N * D, /* xout */
        N * D,
        N,
        N,
        N * V, /* lnf, meanf, rstdf, logits */
        N * D,
        N * D,
        N * D,
        N * 3 * D,
        N * F,
        TT,
        D / 2 /* dx, dh, tmp, dqkv, dfc, dtt, inv_freq */
    };
    float **slots[] = {&a->x0,    &a->ln1,    &a->mean1,  &a->rstd1, &a->qkv,
                       &a->att,   &a->o,      &a->xmid,   &a->ln2,   &a->mean2,
                       &a->rstd2, &a->fc_pre, &a->fc_act, &a->xout,  &a->lnf,
                       &a->meanf, &a->rstdf,  &a->logits, &a->dx,    &a->dh,
                       &a->tmp,   &a->dqkv,   &a->dfc,    &a->dtt,   &a->inv_freq};
    enum { N_SLOTS = sizeof slots / sizeof slots[0] };
    _Static_assert(sizeof sizes / sizeof sizes[0] == N_SLOTS, "a size for every buffer");
    size_t total = 0;
    for (int i = 0; i < N_SLOTS; i++)
        total += (sizes[i] + 15) & ~(size_t)15; /* 64-byte steps */
    a->block = aligned_alloc(64, total * sizeof(float));
    a->rope = c->rope ? malloc((size_t)max_t * (size_t)(c->d_head / 2) * 2 * sizeof(double)) : NULL;
    if (!a->block || (c->rope && !a->rope))
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for the activations of %d x %d tokens",
                        max_b, max_t);
    size_t at = 0;
    for (int i = 0; i < N_SLOTS; i++) {
        *slots[i] = a->block + at;
        at += (sizes[i] + 15) & ~(size_t)15;
    }
    a->max_b = max_b;
    a->max_t = max_t;
    if (c->rope) {
        ats_rope_inv_freq(a->inv_freq, c->d_head, c->rope_theta, NULL);
        ats_tr_rope_table(a->rope, max_t, c->d_head, a->inv_freq);
    }
    return ATS_OK;
}

void ats_tr_acts_release(ats_tr_acts *a) {
    free(a->block);
    free(a->rope);
    memset(a, 0, sizeof *a);
}

/* ---- forward -------------------------------------------------------------------------------- */

static void add_into(float *y, const float *a, const float *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] + b[i];
}

void ats_tr_forward(const ats_tr_model *m, const float *params, ats_tr_acts *a, const int32_t *ids,
                    int B, int T) {
    const ats_tr_config *c = &m->cfg;
    const float *P = params;
    int D = c->d_model, F = c->d_ff, H = c->n_head, dh = c->d_head;
    size_t N = (size_t)B * T, ND = N * D, NF = N * F;
    size_t att_size = (size_t)a->max_b * H * a->max_t * a->max_t;
    size_t Nmax = (size_t)a->max_b * a->max_t;
    float scale = 1.0f / sqrtf((float)dh);
    a->B = B;
    a->T = T;

    /* x0 (N, D) = wte[id] + wpe[t] */
    ats_tr_embed_fwd(a->x0, ids, P + m->wte, c->rope ? NULL : P + m->wpe, B, T, D);
    const float *x = a->x0;
    for (int l = 0; l < c->n_layer; l++) {
        const ats_tr_layer_at *at = &m->at[l];
        float *ln1 = a->ln1 + l * Nmax * D, *qkv = a->qkv + l * Nmax * 3 * D;
        float *att = a->att + l * att_size, *o = a->o + l * Nmax * D;
        float *xmid = a->xmid + l * Nmax * D, *xout = a->xout + l * Nmax * D;
        /* attention: xmid = x + c_proj(attention(rope(c_attn(ln_1(x))))) */
        ats_tr_layernorm_fwd(ln1, a->mean1 + l * Nmax, a->rstd1 + l * Nmax, x, P + at->ln1_w,
                             P + at->ln1_b, (int)N, D, c->eps);
        ats_tr_linear_fwd(qkv, ln1, P + at->attn_w, P + at->attn_b, (int)N, D, 3 * D);
        for (int b = 0; b < B; b++) {
            float *qkv_b = qkv + (size_t)b * T * 3 * D;
            if (c->rope)
                ats_tr_rope_fwd(qkv_b, T, H, dh, a->rope);
            ats_tr_attention_fwd(o + (size_t)b * T * D, att + (size_t)b * H * T * T, qkv_b, T, H,
                                 dh, scale);
        }
        ats_tr_linear_fwd(a->tmp, o, P + at->proj_w, P + at->proj_b, (int)N, D, D);
        add_into(xmid, x, a->tmp, ND);
        /* MLP: xout = xmid + c_proj(gelu(c_fc(ln_2(xmid)))) */
        if (F > 0) {
            float *ln2 = a->ln2 + l * Nmax * D;
            float *fc_pre = a->fc_pre + l * Nmax * F, *fc_act = a->fc_act + l * Nmax * F;
            ats_tr_layernorm_fwd(ln2, a->mean2 + l * Nmax, a->rstd2 + l * Nmax, xmid, P + at->ln2_w,
                                 P + at->ln2_b, (int)N, D, c->eps);
            ats_tr_linear_fwd(fc_pre, ln2, P + at->fc_w, P + at->fc_b, (int)N, D, F);
            ats_tr_gelu_fwd(fc_act, fc_pre, NF);
            ats_tr_linear_fwd(a->tmp, fc_act, P + at->fcp_w, P + at->fcp_b, (int)N, F, D);
            add_into(xout, xmid, a->tmp, ND);
        } else {
            memcpy(xout, xmid, ND * sizeof(float));
        }
        x = xout;
    }
    /* logits (N, V) = ln_f(x) . lm_head^T */
    ats_tr_layernorm_fwd(a->lnf, a->meanf, a->rstdf, x, P + m->lnf_w, P + m->lnf_b, (int)N, D,
                         c->eps);
    ats_tr_unembed_fwd(a->logits, a->lnf, P + m->lm, (int)N, D, c->vocab);
}

/* ---- backward ------------------------------------------------------------------------------- */

double ats_tr_backward(const ats_tr_model *m, const float *params, float *grads, ats_tr_acts *a,
                       const int32_t *ids, const int32_t *targets, float scale) {
    const ats_tr_config *c = &m->cfg;
    const float *P = params;
    float *G = grads;
    int B = a->B, T = a->T, D = c->d_model, F = c->d_ff, H = c->n_head, dh = c->d_head;
    size_t N = (size_t)B * T, NF = N * F;
    size_t att_size = (size_t)a->max_b * H * a->max_t * a->max_t;
    size_t Nmax = (size_t)a->max_b * a->max_t;
    float att_scale = 1.0f / sqrtf((float)dh);
    int L = c->n_layer;

    /* loss, and logits turned into dlogits (N, V) */
    double loss = ats_tr_cross_entropy(a->logits, targets, (int)N, c->vocab, scale);
    /* lm_head and ln_f: dx (N, D) is the gradient of the last block's output */
    ats_tr_unembed_bwd(a->dh, G + m->lm, a->logits, a->lnf, P + m->lm, (int)N, D, c->vocab);
    memset(a->dx, 0, N * D * sizeof(float));
    const float *xlast = a->xout + (size_t)(L - 1) * Nmax * D;
    ats_tr_layernorm_bwd(a->dx, G + m->lnf_w, G + m->lnf_b, a->dh, xlast, a->meanf, a->rstdf,
                         P + m->lnf_w, (int)N, D);

    for (int l = L - 1; l >= 0; l--) {
        const ats_tr_layer_at *at = &m->at[l];
        const float *x = l == 0 ? a->x0 : a->xout + (size_t)(l - 1) * Nmax * D;
        const float *xmid = a->xmid + l * Nmax * D;
        /* MLP: dx holds d xout; the residual passes it to d xmid, the branch adds through ln_2 */
        if (F > 0) {
            const float *ln2 = a->ln2 + l * Nmax * D;
            const float *fc_pre = a->fc_pre + l * Nmax * F, *fc_act = a->fc_act + l * Nmax * F;
            ats_tr_linear_bwd(a->dfc, G + at->fcp_w, G + at->fcp_b, a->dx, fc_act, P + at->fcp_w,
                              (int)N, F, D);
            ats_tr_gelu_bwd(a->dfc, a->dfc, fc_pre, NF);
            ats_tr_linear_bwd(a->dh, G + at->fc_w, G + at->fc_b, a->dfc, ln2, P + at->fc_w, (int)N,
                              D, F);
            ats_tr_layernorm_bwd(a->dx, G + at->ln2_w, G + at->ln2_b, a->dh, xmid,
                                 a->mean2 + l * Nmax, a->rstd2 + l * Nmax, P + at->ln2_w, (int)N,
                                 D);
        }
        /* attention: dx holds d xmid; the branch adds through c_proj, attention, c_attn, ln_1 */
        const float *o = a->o + l * Nmax * D, *qkv = a->qkv + l * Nmax * 3 * D;
        const float *att = a->att + l * att_size, *ln1 = a->ln1 + l * Nmax * D;
        ats_tr_linear_bwd(a->tmp, G + at->proj_w, G + at->proj_b, a->dx, o, P + at->proj_w, (int)N,
                          D, D);
        for (int b = 0; b < B; b++) {
            float *dqkv_b = a->dqkv + (size_t)b * T * 3 * D;
            ats_tr_attention_bwd(dqkv_b, a->tmp + (size_t)b * T * D, qkv + (size_t)b * T * 3 * D,
                                 att + (size_t)b * H * T * T, T, H, dh, att_scale, a->dtt);
            if (c->rope)
                ats_tr_rope_bwd(dqkv_b, T, H, dh, a->rope);
        }
        ats_tr_linear_bwd(a->dh, G + at->attn_w, G + at->attn_b, a->dqkv, ln1, P + at->attn_w,
                          (int)N, D, 3 * D);
        ats_tr_layernorm_bwd(a->dx, G + at->ln1_w, G + at->ln1_b, a->dh, x, a->mean1 + l * Nmax,
                             a->rstd1 + l * Nmax, P + at->ln1_w, (int)N, D);
    }
    ats_tr_embed_bwd(G + m->wte, c->rope ? NULL : G + m->wpe, a->dx, ids, B, T, D);
    return loss;
}
