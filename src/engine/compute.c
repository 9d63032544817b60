/* engine.h's compute section: the BLAS in use, the default team size, and the matrix-product
 * floor that `attnscope bench` measures a forward pass against. */
#include "attnscope/engine.h"

#include "base.h"
#include "blas.h"
#include "ops.h"
#include "pool.h"

#include <stdlib.h>

const char *ats_compute_blas(void) {
    return ats_blas_describe();
}

int ats_compute_default_threads(void) {
    return ats_pool_default_threads();
}

/* The products of one layer over T tokens, each as numpy's x @ W would run it. */
typedef struct layer_mats {
    float *wq, *wk, *wv, *wo, *up, *gate, *down; /* (in, out) each */
} layer_mats;

typedef struct floor_bufs {
    const ats_model_config *c;
    int T;
    layer_mats *sets; /* distinct weights for consecutive layers, as a real model has */
    int n_sets;
    float *x, *q, *k, *v, *scores, *ctx, *ff, *out; /* activations */
} floor_bufs;

static float *random_floats(size_t n, unsigned *seed) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; p && i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        p[i] = ((float)(*seed >> 8) / 16777216.0f - 0.5f) * 0.04f;
    }
    return p;
}

static void free_bufs(floor_bufs *b) {
    for (int i = 0; b->sets && i < b->n_sets; i++) {
        layer_mats *s = &b->sets[i];
        free(s->wq), free(s->wk), free(s->wv), free(s->wo);
        free(s->up), free(s->gate), free(s->down);
    }
    free(b->sets);
    free(b->x), free(b->q), free(b->k), free(b->v);
    free(b->scores), free(b->ctx), free(b->ff), free(b->out);
}

static bool alloc_bufs(floor_bufs *b, const ats_model_config *c, int T) {
    size_t D = (size_t)c->d_model, dq = (size_t)c->n_head * c->d_head;
    size_t dkv = (size_t)c->n_kv_head * c->d_head, F = (size_t)c->d_ff, t = (size_t)T;
    bool swiglu = c->activation == ATS_ACT_SWIGLU;
    size_t per_layer = (D * (dq + 2 * dkv) + dq * D + (swiglu ? 3 : 2) * D * F) * sizeof(float);
    size_t cap = (size_t)1 << 30; /* at most 1 GiB of weights, reused cyclically past it */
    *b = (floor_bufs){.c = c, .T = T};
    b->n_sets = per_layer * (size_t)c->n_layer <= cap ? c->n_layer
                : cap / per_layer > 1                 ? (int)(cap / per_layer)
                                                      : 1;
    b->sets = calloc((size_t)b->n_sets, sizeof *b->sets);
    if (!b->sets)
        return false;
    unsigned seed = 12345;
    for (int i = 0; i < b->n_sets; i++) {
        layer_mats *s = &b->sets[i];
        s->wq = random_floats(D * dq, &seed);
        s->wk = random_floats(D * dkv, &seed);
        s->wv = random_floats(D * dkv, &seed);
        s->wo = random_floats(dq * D, &seed);
        s->up = random_floats(D * F, &seed);
        s->gate = swiglu ? random_floats(D * F, &seed) : NULL;
        s->down = random_floats(F * D, &seed);
        if (!s->wq || !s->wk || !s->wv || !s->wo || !s->up || (swiglu && !s->gate) || !s->down)
            return false;
    }
    b->x = random_floats(t * D, &seed);
    b->q = random_floats(t * dq, &seed);
    b->k = random_floats(t * dkv, &seed);
    b->v = random_floats(t * dkv, &seed);
    b->scores = random_floats(t * t, &seed);
    b->ctx = random_floats(t * dq, &seed);
    b->ff = random_floats(t * F, &seed);
    b->out = random_floats(t * (D > F ? D : F), &seed);
    return b->x && b->q && b->k && b->v && b->scores && b->ctx && b->ff && b->out;
}

/* C (M, N) = A (M, K) . B (K, N), or . B^T with B (N, K) */
static void mm(int M, int N, int K, const float *A, int lda, const float *B, int ldb, bool trans_b,
               float *C, int ldc) {
    ats_gemm(trans_b, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
}

static void one_pass(const floor_bufs *b) {
    const ats_model_config *c = b->c;
    int T = b->T, D = c->d_model, dh = c->d_head, H = c->n_head, KV = c->n_kv_head;
    int dq = H * dh, dkv = KV * dh, F = c->d_ff;
    for (int l = 0; l < c->n_layer; l++) {
        const layer_mats *s = &b->sets[l % b->n_sets];
        mm(T, dq, D, b->x, D, s->wq, dq, false, b->q, dq);
        mm(T, dkv, D, b->x, D, s->wk, dkv, false, b->k, dkv);
        mm(T, dkv, D, b->x, D, s->wv, dkv, false, b->v, dkv);
        for (int h = 0; h < H; h++) {
            int kv = h / (H / KV);
            /* scores (T, T) = q_h k_h^T; ctx_h (T, dh) = scores . v_h */
            mm(T, T, dh, b->q + h * dh, dq, b->k + kv * dh, dkv, true, b->scores, T);
            mm(T, dh, T, b->scores, T, b->v + kv * dh, dkv, false, b->ctx + h * dh, dq);
        }
        mm(T, D, dq, b->ctx, dq, s->wo, D, false, b->out, D);
        mm(T, F, D, b->x, D, s->up, F, false, b->ff, F);
        if (s->gate)
            mm(T, F, D, b->x, D, s->gate, F, false, b->out, F);
        mm(T, D, F, b->ff, F, s->down, D, false, b->out, D);
    }
}

struct ats_matmul_floor {
    floor_bufs b;
};

ats_status ats_matmul_floor_new(const ats_model_config *c, int T, ats_matmul_floor **out,
                                ats_error *err) {
    *out = NULL;
    if (T < 1 || c->n_layer < 1)
        return ats_fail(err, ATS_ERR_ARG, "a floor needs tokens and layers");
    ats_matmul_floor *f = calloc(1, sizeof *f);
    if (!f || !alloc_bufs(&f->b, c, T)) {
        if (f)
            free_bufs(&f->b);
        free(f);
        return ats_fail(err, ATS_ERR_NOMEM,
                        "out of memory for the matrix-product floor at %d tokens", T);
    }
    ats_blas_setup();
    *out = f;
    return ATS_OK;
}

double ats_matmul_floor_time(ats_matmul_floor *f, int threads) {
    ats_blas_floor_threads(threads > 0 ? threads : ats_pool_default_threads());
    double t0 = ats_clock_ms();
    one_pass(&f->b);
    double ms = ats_clock_ms() - t0;
    ats_blas_floor_threads(1);
    return ms;
}

void ats_matmul_floor_free(ats_matmul_floor *f) {
    if (!f)
        return;
    free_bufs(&f->b);
    free(f);
}
