#include "tops.h"

#include "ops.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void ats_tr_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
                 int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* ---- linear maps ---------------------------------------------------------------------------- */

void ats_tr_linear_fwd(float *y, const float *x, const float *W, const float *b, int N, int n_in,
                       int n_out) {
    ats_linear lin = {.w = W, .b = b, .n_out = n_out, .n_in = n_in, .ld = n_out, .in_major = true};
    ats_linear_apply(&lin, x, N, y);
}

/* db (n) += the column sums of dy (N, n). */
static void add_column_sums(float *db, const float *dy, int N, int n) {
    for (int t = 0; t < N; t++)
        for (int o = 0; o < n; o++)
            db[o] += dy[(size_t)t * n + o];
}

void ats_tr_linear_bwd(float *dx, float *dW, float *db, const float *dy, const float *x,
                       const float *W, int N, int n_in, int n_out) {
    /* dW (n_in, n_out) += x^T (n_in, N) . dy (N, n_out) */
    ats_tr_gemm(true, false, n_in, n_out, N, 1.0f, x, n_in, dy, n_out, 1.0f, dW, n_out);
    if (db)
        add_column_sums(db, dy, N, n_out);
    /* dx (N, n_in) = dy (N, n_out) . W^T (n_out, n_in) */
    if (dx)
        ats_tr_gemm(false, true, N, n_in, n_out, 1.0f, dy, n_out, W, n_out, 0.0f, dx, n_in);
}

void ats_tr_unembed_fwd(float *logits, const float *x, const float *W, int N, int D, int V) {
    ats_linear lin = {.w = W, .b = NULL, .n_out = V, .n_in = D, .ld = D, .in_major = false};
    ats_linear_apply(&lin, x, N, logits);
}

void ats_tr_unembed_bwd(float *dx, float *dW, const float *dlogits, const float *x, const float *W,
                        int N, int D, int V) {
    /* dW (V, D) += dlogits^T (V, N) . x (N, D);  dx (N, D) = dlogits (N, V) . W (V, D) */
    ats_tr_gemm(true, false, V, D, N, 1.0f, dlogits, V, x, D, 1.0f, dW, D);
    ats_tr_gemm(false, false, N, D, V, 1.0f, dlogits, V, W, D, 0.0f, dx, D);
}

/* ---- LayerNorm --------------------------------------------------------------------------------
 */

void ats_tr_layernorm_fwd(float *y, float *mean, float *rstd, const float *x, const float *w,
                          const float *b, int N, int D, float eps) {
    for (int t = 0; t < N; t++) {
        const float *xr = x + (size_t)t * D;
        double m = 0.0, var = 0.0;
        for (int i = 0; i < D; i++)
            m += xr[i];
        m /= D;
        for (int i = 0; i < D; i++)
            var += (xr[i] - m) * (xr[i] - m);
        var /= D;
        mean[t] = (float)m;
        rstd[t] = (float)(1.0 / sqrt(var + eps));
        ats_layernorm(y + (size_t)t * D, xr, w, b, D, eps); /* the engine's, bit for bit */
    }
}

void ats_tr_layernorm_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
                          const float *mean, const float *rstd, const float *w, int N, int D) {
    /* xhat = (x - mean) * rstd, y = xhat * w + b:
     * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * w */
    for (int t = 0; t < N; t++) {
        const float *xr = x + (size_t)t * D, *dyr = dy + (size_t)t * D;
        double g_mean = 0.0, gx_mean = 0.0;
        for (int i = 0; i < D; i++) {
            double xhat = (xr[i] - mean[t]) * rstd[t], g = (double)dyr[i] * w[i];
            g_mean += g;
            gx_mean += g * xhat;
            dw[i] += (float)(dyr[i] * xhat);
            db[i] += dyr[i];
        }
        g_mean /= D;
        gx_mean /= D;
        float *dxr = dx + (size_t)t * D;
        for (int i = 0; i < D; i++) {
            double xhat = (xr[i] - mean[t]) * rstd[t], g = (double)dyr[i] * w[i];
            dxr[i] += (float)(rstd[t] * (g - g_mean - xhat * gx_mean));
        }
    }
}

/* ---- attention ------------------------------------------------------------------------------ */

void ats_tr_attention_fwd(float *out, float *att, const float *qkv, int T, int H, int dh,
                          float scale) {
    int D = H * dh, ld = 3 * D;
    size_t TT = (size_t)T * T;
    for (int h = 0; h < H; h++) {
        const float *q = qkv + (size_t)h * dh, *k = q + D, *v = q + 2 * D; /* (T, dh), stride ld */
        float *p = att + (size_t)h * TT;                                   /* (T, T) */
        /* p = q . k^T, then each row i softmax(scale * p) over keys 0..i, as the engine does */
        ats_gemm(true, T, T, dh, 1.0f, q, ld, k, ld, 0.0f, p, T);
        for (int i = 0; i < T; i++) {
            float *row = p + (size_t)i * T;
            for (int j = 0; j <= i; j++)
                row[j] *= scale;
            ats_softmax(row, i + 1);
            for (int j = i + 1; j < T; j++)
                row[j] = 0.0f;
        }
        /* out[:, h*dh ..] (T, dh) = p (T, T) . v (T, dh) */
        ats_gemm(false, T, dh, T, 1.0f, p, T, v, ld, 0.0f, out + (size_t)h * dh, D);
    }
}

void ats_tr_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *att, int T,
                          int H, int dh, float scale, float *scratch) {
    int D = H * dh, ld = 3 * D;
    size_t TT = (size_t)T * T;
    for (int h = 0; h < H; h++) {
        size_t off = (size_t)h * dh;
        const float *q = qkv + off, *k = q + D, *v = q + 2 * D;
        float *dq = dqkv + off, *dk = dq + D, *dv = dq + 2 * D;
        const float *p = att + (size_t)h * TT, *dy = dout + off; /* dy (T, dh), stride D */
        float *ds = scratch;                                     /* (T, T) */
        /* dv (T, dh) = p^T . dy;  dp (T, T) = dy . v^T */
        ats_tr_gemm(true, false, T, dh, T, 1.0f, p, T, dy, D, 0.0f, dv, ld);
        ats_tr_gemm(false, true, T, T, dh, 1.0f, dy, D, v, ld, 0.0f, ds, T);
        /* softmax: ds_ij = p_ij (dp_ij - sum_k p_ik dp_ik); zero where p is (the mask) */
        for (int i = 0; i < T; i++) {
            const float *pr = p + (size_t)i * T;
            float *dr = ds + (size_t)i * T;
            double dot = 0.0;
            for (int j = 0; j <= i; j++)
                dot += (double)pr[j] * dr[j];
            for (int j = 0; j <= i; j++)
                dr[j] = pr[j] * (float)(dr[j] - dot);
            for (int j = i + 1; j < T; j++)
                dr[j] = 0.0f;
        }
        /* scores = scale * q . k^T:  dq = scale * ds . k;  dk = scale * ds^T . q */
        ats_tr_gemm(false, false, T, dh, T, scale, ds, T, k, ld, 0.0f, dq, ld);
        ats_tr_gemm(true, false, T, dh, T, scale, ds, T, q, ld, 0.0f, dk, ld);
    }
}

/* ---- rotary positions -------------------------------------------------------------------------
 */

void ats_tr_rope_table(double *table, int T, int dh, const float *inv_freq) {
    int half = dh / 2;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < half; i++) {
            double angle = (double)t * inv_freq[i]; /* as ats_rope_half */
            table[((size_t)t * half + i) * 2] = cos(angle);
            table[((size_t)t * half + i) * 2 + 1] = sin(angle);
        }
}

/* Pair (i, i + dh/2) of a head vector turned by the table's angle (sign -1: turned back). */
static void turn(float *vec, int half, const double *cs, double sign) {
    for (int i = 0; i < half; i++) {
        double c = cs[2 * i], s = sign * cs[2 * i + 1], x = vec[i], y = vec[i + half];
        vec[i] = (float)(x * c - y * s);
        vec[i + half] = (float)(x * s + y * c);
    }
}

static void rope_turn(float *qkv, int T, int H, int dh, const double *table, double sign) {
    int D = H * dh, half = dh / 2;
    for (int t = 0; t < T; t++)
        for (int h = 0; h < H; h++) {
            float *q = qkv + (size_t)t * 3 * D + (size_t)h * dh;
            const double *cs = table + (size_t)t * half * 2;
            turn(q, half, cs, sign);     /* the query */
            turn(q + D, half, cs, sign); /* the key */
        }
}

void ats_tr_rope_fwd(float *qkv, int T, int H, int dh, const double *table) {
    rope_turn(qkv, T, H, dh, table, 1.0);
}

void ats_tr_rope_bwd(float *dqkv, int T, int H, int dh, const double *table) {
    rope_turn(dqkv, T, H, dh, table, -1.0);
}

/* ---- GELU ----------------------------------------------------------------------------------- */

void ats_tr_gelu_fwd(float *y, const float *x, size_t n) {
    if (y != x)
        memmove(y, x, n * sizeof *y);
    ats_gelu_tanh(y, n); /* the engine's, in place */
}

void ats_tr_gelu_bwd(float *dx, const float *dy, const float *x, size_t n) {
    /* y = x/2 (1 + tanh u), u = k (x + c x^3): y' = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) u' */
    const float k = 0.7978845608028654f, c = 0.044715f;
    for (size_t i = 0; i < n; i++) {
        float xi = x[i], th = tanhf(k * (xi + c * xi * xi * xi));
        float du = k * (1.0f + 3.0f * c * xi * xi);
        dx[i] = dy[i] * (0.5f * (1.0f + th) + 0.5f * xi * (1.0f - th * th) * du);
    }
}

/* ---- cross-entropy ----------------------------------------------------------------------------
 */

double ats_tr_cross_entropy(float *logits, const int32_t *targets, int N, int V, float scale) {
    double loss = 0.0;
    for (int t = 0; t < N; t++) {
        float *row = logits + (size_t)t * V;
        if (targets[t] < 0) {
            memset(row, 0, (size_t)V * sizeof(float));
            continue;
        }
        float target_logit = row[targets[t]];
        float max = row[0];
        for (int i = 1; i < V; i++)
            max = row[i] > max ? row[i] : max;
        double sum = 0.0;
        for (int i = 0; i < V; i++) { /* one exp per logit, kept for the gradient */
            row[i] = expf(row[i] - max);
            sum += row[i];
        }
        loss += log(sum) + max - target_logit;
        float k = (float)(scale / sum);
        for (int i = 0; i < V; i++)
            row[i] *= k;
        row[targets[t]] -= scale;
    }
    return loss;
}

/* ---- embeddings -------------------------------------------------------------------------------
 */

void ats_tr_embed_fwd(float *x, const int32_t *ids, const float *wte, const float *wpe, int B,
                      int T, int D) {
    for (int r = 0; r < B * T; r++) {
        float *row = x + (size_t)r * D;
        memcpy(row, wte + (size_t)ids[r] * D, (size_t)D * sizeof(float));
        if (wpe)
            for (int i = 0; i < D; i++)
                row[i] += wpe[(size_t)(r % T) * D + i];
    }
}

void ats_tr_embed_bwd(float *dwte, float *dwpe, const float *dx, const int32_t *ids, int B, int T,
                      int D) {
    for (int r = 0; r < B * T; r++) {
        const float *row = dx + (size_t)r * D;
        float *e = dwte + (size_t)ids[r] * D;
        for (int i = 0; i < D; i++)
            e[i] += row[i];
        if (dwpe)
            for (int i = 0; i < D; i++)
                dwpe[(size_t)(r % T) * D + i] += row[i];
    }
}
