/* builtin:demo — a small transformer whose first layer is built by hand, so that each of its four
 * heads shows one classic attention pattern for a reason a teacher can explain.
 *
 * Token vectors (d_model = 64) are laid out in three bands:
 *
 *   dims  0..15  word code: a unit vector drawn from a generator seeded by the word's id (the
 *                hash of the case-folded word), so "The" and "the" share it and two different
 *                words get nearly orthogonal codes;
 *   dims 16..47  position code: the sinusoidal code of the position, 16 (sin, cos) pairs with
 *                angular speeds w_i = 10000^(-i/16), added like any sinusoidal embedding;
 *   dims 48..63  word features: a second, smaller random vector of the word, giving the learned-
 *                looking second layer something word-specific to work with.
 *
 * Layer 0 (post-norm, so its heads see these bands untouched) holds four hand-built heads, each
 * with d_head = 16 and the usual 1/sqrt(16) scaling:
 *
 *   H0 previous token: the key is the position code of the key's position (the 8 fastest
 *      pairs). The query is the query's own position code rotated back by one step: each pair
 *      (sin wt, cos wt) is rotated by -w into (sin w(t-1), cos w(t-1)). Their dot product is
 *      sum_i cos(w_i (t - 1 - j)), largest exactly when j = t - 1.
 *   H1 same word: query and key are both the word code. Identical words give a dot product of 1,
 *      every other word a smaller one, so a token looks at each occurrence of its own word (itself
 *      included) more than at anything else, and equally at all of them.
 *   H2 first token: the query is a constant, the position code of position 0 (set through the
 *      query bias, the weights are zero); the key is the key's position code. The dot product
 *      sum_i cos(w_i j) is largest at j = 0, so every token looks at the first one.
 *   H3 uniform: the query is zero, so every score is 0 and the softmax spreads the weight
 *      equally over every token the query may see.
 *
 * Layer 1 has seeded random weights: what a learned head looks like before anyone explains it.
 */
#include "base.h"
#include "loaders.h"
#include "ops.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum {
    DEMO_D_MODEL = 64,
    DEMO_N_LAYER = 2,
    DEMO_N_HEAD = 4,
    DEMO_D_HEAD = 16,
    DEMO_D_FF = 128,
    DEMO_CONTEXT = 1024,
    WORD_DIM0 = 0, /* word code band start */
    WORD_DIMS = 16,
    POS_DIM0 = 16, /* position code band start */
    POS_DIMS = 32,
    FEAT_DIM0 = 48, /* word features band start */
    FEAT_DIMS = 16,
    FAST_PAIRS = 8, /* position pairs the positional heads read: the 8 fastest */
};

/* Raw dot-product gain of the hand-built heads: after the 1/sqrt(16) scaling each head's score
 * is 10x its similarity, which leaves the runner-up key about e^-7 behind the winner. */
static const float HEAD_GAIN = 40.0f;
static const float POS_BASE = 10000.0f;
/* Spread of layer 1's random query/key weights: scores with a standard deviation near 2. */
static const float LAYER1_QK_STD = 0.18f;

/* Captions of layer 0's heads for the window and the CLI; layer 1's are random, so none. */
static const char *const HEAD_CAPTIONS[DEMO_N_LAYER * DEMO_N_HEAD] = {
    "previous token: its query rotates the position code back by one",
    "same word: query and key are both the word's code, so equal words match best",
    "first token: its query is the position code of position 0",
    "uniform: its query is zero, so every visible token gets the same weight",
    NULL,
    NULL,
    NULL,
    NULL,
};

static void fill_gauss(float *w, size_t n, float std, uint64_t seed) {
    ats_rng r = {seed};
    for (size_t i = 0; i < n; i++)
        w[i] = std * ats_rng_gauss(&r);
}

/* ---- token vectors ----------------------------------------------------------------------- */

static void demo_embed(const ats_model *model, int32_t id, float *out) {
    (void)model;
    memset(out, 0, DEMO_D_MODEL * sizeof(float));
    ats_rng r = {0x5eed0000ull ^ (uint64_t)id * 0x100000001b3ull};
    double norm = 0.0;
    for (int i = 0; i < WORD_DIMS; i++) {
        out[WORD_DIM0 + i] = ats_rng_gauss(&r);
        norm += (double)out[WORD_DIM0 + i] * out[WORD_DIM0 + i];
    }
    for (int i = 0; i < WORD_DIMS; i++)
        out[WORD_DIM0 + i] = (float)(out[WORD_DIM0 + i] / sqrt(norm));
    for (int i = 0; i < FEAT_DIMS; i++)
        out[FEAT_DIM0 + i] = 0.5f * ats_rng_gauss(&r);
}

/* ---- weights ----------------------------------------------------------------------------- */

typedef struct builder {
    ats_model *model;
    ats_error *err;
    bool failed;
} builder;

static float *floats(builder *b, size_t n) {
    float *p = b->failed ? NULL : ats_model_alloc_floats(b->model, n, b->err);
    if (!p)
        b->failed = true;
    return p;
}

/* A linear map stored [out][in] with zero weights and an optional zero bias. */
static ats_linear linear(builder *b, int n_out, int n_in, bool bias) {
    ats_linear lin = {.n_out = n_out, .n_in = n_in, .ld = n_in, .in_major = false};
    lin.w = floats(b, (size_t)n_out * n_in);
    lin.b = bias ? floats(b, (size_t)n_out) : NULL;
    return lin;
}

static float *wmut(const ats_linear *lin) {
    return (float *)lin->w; /* the builder fills what it allocated */
}

static ats_norm unit_layernorm(builder *b) {
    float *w = floats(b, DEMO_D_MODEL);
    float *bias = floats(b, DEMO_D_MODEL);
    if (w)
        for (int i = 0; i < DEMO_D_MODEL; i++)
            w[i] = 1.0f;
    return (ats_norm){.w = w, .b = bias};
}

/* Position-code angular speed of pair i: w_i = base^(-2i / POS_DIMS). */
static double pair_speed(int i) {
    return pow(POS_BASE, -2.0 * i / POS_DIMS);
}

/* Layer 0's four heads, as the file comment explains. Head h owns rows h*16 .. h*16+15 of
 * W_q and W_k. */
static void build_hand_heads(ats_layer *L) {
    float *wq = wmut(&L->wq), *wk = wmut(&L->wk), *bq = (float *)L->wq.b;
    const int D = DEMO_D_MODEL;

    /* H0 previous token: q = GAIN * R(-w) pos(t), k = pos(j) on the fast pairs. */
    for (int i = 0; i < FAST_PAIRS; i++) {
        int sin_in = POS_DIM0 + 2 * i, cos_in = sin_in + 1;
        int sin_out = 0 * DEMO_D_HEAD + 2 * i, cos_out = sin_out + 1;
        double w = pair_speed(i);
        /* sin(w(t-1)) = sin(wt) cos w - cos(wt) sin w;  cos(w(t-1)) = cos(wt) cos w + sin(wt) sin w
         */
        wq[sin_out * D + sin_in] = (float)(HEAD_GAIN * cos(w));
        wq[sin_out * D + cos_in] = (float)(-HEAD_GAIN * sin(w));
        wq[cos_out * D + sin_in] = (float)(HEAD_GAIN * sin(w));
        wq[cos_out * D + cos_in] = (float)(HEAD_GAIN * cos(w));
        wk[sin_out * D + sin_in] = 1.0f;
        wk[cos_out * D + cos_in] = 1.0f;
    }

    /* H1 same word: q = GAIN * word(t), k = word(j). */
    for (int i = 0; i < WORD_DIMS; i++) {
        int out = 1 * DEMO_D_HEAD + i;
        wq[out * D + WORD_DIM0 + i] = HEAD_GAIN;
        wk[out * D + WORD_DIM0 + i] = 1.0f;
    }

    /* H2 first token: q = GAIN * pos(0) from the bias (pos(0) has sin 0, cos 1), k = pos(j). */
    for (int i = 0; i < FAST_PAIRS; i++) {
        int sin_out = 2 * DEMO_D_HEAD + 2 * i, cos_out = sin_out + 1;
        bq[cos_out] = HEAD_GAIN;
        wk[sin_out * D + POS_DIM0 + 2 * i] = 1.0f;
        wk[cos_out * D + POS_DIM0 + 2 * i + 1] = 1.0f;
    }

    /* H3 uniform: q = 0 (weights and bias stay zero); its key reads the word code so the
     * pipeline view has keys to show, but q . k is 0 for every key. */
    for (int i = 0; i < WORD_DIMS; i++)
        wk[(3 * DEMO_D_HEAD + i) * D + WORD_DIM0 + i] = 1.0f;
}

static void build_layer(builder *b, ats_layer *L, int index) {
    const int D = DEMO_D_MODEL, DQ = DEMO_N_HEAD * DEMO_D_HEAD;
    uint64_t seed = 0xa77e0000ull + (uint64_t)index * 0x1000;
    L->wq = linear(b, DQ, D, true);
    L->wk = linear(b, DQ, D, false);
    L->wv = linear(b, DQ, D, false);
    L->wo = linear(b, D, DQ, false);
    L->up = linear(b, DEMO_D_FF, D, true);
    L->down = linear(b, D, DEMO_D_FF, true);
    L->attn_norm = unit_layernorm(b);
    L->mlp_norm = unit_layernorm(b);
    if (b->failed)
        return;
    if (index == 0) {
        build_hand_heads(L);
    } else {
        fill_gauss(wmut(&L->wq), (size_t)DQ * D, LAYER1_QK_STD, seed + 1);
        fill_gauss(wmut(&L->wk), (size_t)DQ * D, LAYER1_QK_STD, seed + 2);
    }
    fill_gauss(wmut(&L->wv), (size_t)DQ * D, 1.0f / sqrtf(D), seed + 3);
    fill_gauss(wmut(&L->wo), (size_t)D * DQ, 1.0f / sqrtf(DQ), seed + 4);
    fill_gauss(wmut(&L->up), (size_t)DEMO_D_FF * D, 1.0f / sqrtf(D), seed + 5);
    fill_gauss(wmut(&L->down), (size_t)D * DEMO_D_FF, 1.0f / sqrtf(DEMO_D_FF), seed + 6);
}

ats_status ats_load_demo(const ats_load_opts *opts, ats_model **out, ats_error *err) {
    *out = NULL;
    ats_model *m = ats_model_new();
    if (!m)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    m->cfg = (ats_model_config){
        .arch = ATS_ARCH_DEMO,
        .n_layer = DEMO_N_LAYER,
        .n_head = DEMO_N_HEAD,
        .n_kv_head = DEMO_N_HEAD,
        .d_model = DEMO_D_MODEL,
        .d_head = DEMO_D_HEAD,
        .d_ff = DEMO_D_FF,
        .vocab_size = 0,
        .context = DEMO_CONTEXT,
        .norm = ATS_NORM_LAYERNORM,
        .pre_norm = false,
        .embed_norm = false,
        .final_norm = false,
        .norm_eps = 1e-5f,
        .positions = ATS_POS_SINUSOIDAL,
        .activation = ATS_ACT_GELU_ERF,
        .causal = opts && opts->causal == 1,
        .attn_scale = 1.0f / sqrtf((float)DEMO_D_HEAD),
    };
    snprintf(m->info.name, sizeof m->info.name, "builtin:demo");
    snprintf(m->info.path, sizeof m->info.path, "builtin:demo");
    snprintf(m->info.format, sizeof m->info.format, "builtin");
    snprintf(m->info.dtype, sizeof m->info.dtype, "F32");
    m->info.has_weights = true;

    ats_status s = ats_word_tokenizer_new(&m->tokenizer, err);
    if (s != ATS_OK) {
        ats_model_free(m);
        return s;
    }
    snprintf(m->info.tokenizer_kind, sizeof m->info.tokenizer_kind, "%s", m->tokenizer->kind);
    m->embed_fn = demo_embed;
    m->head_captions = HEAD_CAPTIONS;

    builder b = {.model = m, .err = err};
    float *pos = floats(&b, (size_t)DEMO_CONTEXT * DEMO_D_MODEL); /* (context, d_model) */
    if (pos)
        for (int t = 0; t < DEMO_CONTEXT; t++)
            ats_sinusoidal(pos + (size_t)t * DEMO_D_MODEL + POS_DIM0, POS_DIMS, t, POS_BASE);
    m->pos_embed = pos;
    m->layers = b.failed ? NULL : ats_model_alloc(m, DEMO_N_LAYER * sizeof(ats_layer), err);
    b.failed = b.failed || !m->layers;
    for (int l = 0; l < DEMO_N_LAYER && !b.failed; l++)
        build_layer(&b, &m->layers[l], l);
    if (b.failed) {
        ats_model_free(m);
        return ATS_ERR_NOMEM;
    }
    *out = m;
    return ATS_OK;
}
