#include "ops.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* Below this many rows a product is a few matrix-vector products: sgemm would copy (pack) all
 * of B first, which for one or two rows costs more than reading B once per row. */
#define GEMV_ROWS 2

void ats_gemm(bool trans_b, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc) {
    if (M <= GEMV_ROWS) {
        /* row m of C (N): y = alpha B a + beta y with B (N, K) when trans_b, else
         * y = alpha B^T a + beta y with B (K, N); a = row m of A (K) */
        for (int m = 0; m < M; m++)
            cblas_sgemv(CblasRowMajor, trans_b ? CblasNoTrans : CblasTrans, trans_b ? N : K,
                        trans_b ? K : N, alpha, B, ldb, A + (size_t)m * lda, 1, beta,
                        C + (size_t)m * ldc, 1);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A,
                lda, B, ldb, beta, C, ldc);
}

void ats_gemm_ref(bool trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc) {
    for (int m = 0; m < M; m++) {
        for (int n = 0; n < N; n++) {
            double acc = 0.0;
            for (int k = 0; k < K; k++) {
                float b = trans_b ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n];
                acc += (double)A[(size_t)m * lda + k] * b;
            }
            float *c = &C[(size_t)m * ldc + n];
            *c = (float)(alpha * acc + (beta == 0.0f ? 0.0 : (double)beta * *c));
        }
    }
}

void ats_softmax_ref(float *x, int n) {
    if (n <= 0)
        return;
    float max = x[0];
    for (int i = 1; i < n; i++)
        if (x[i] > max)
            max = x[i];
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++)
        x[i] *= inv;
}

void ats_layernorm_ref(float *out, const float *x, const float *w, const float *b, int n,
                       float eps) {
    double mean = 0.0;
    for (int i = 0; i < n; i++)
        mean += x[i];
    mean /= n;
    double var = 0.0;
    for (int i = 0; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
    var /= n;
    double inv = 1.0 / sqrt(var + eps);
    for (int i = 0; i < n; i++) {
        double v = (x[i] - mean) * inv * w[i];
        out[i] = (float)(b ? v + b[i] : v);
    }
}

void ats_rmsnorm_ref(float *out, const float *x, const float *w, int n, float eps) {
    double ss = 0.0;
    for (int i = 0; i < n; i++)
        ss += (double)x[i] * x[i];
    double inv = 1.0 / sqrt(ss / n + eps);
    for (int i = 0; i < n; i++)
        out[i] = (float)(x[i] * inv * w[i]);
}

float ats_gelu_tanh_ref(float x) {
    const float k = 0.7978845608028654f; /* sqrt(2 / pi) */
    return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
}

float ats_gelu_erf_ref(float x) {
    return 0.5f * x * (1.0f + erff(x * 0.7071067811865476f));
}

float ats_silu_ref(float x) {
    return x / (1.0f + expf(-x));
}

void ats_sinusoidal(float *out, int dim, int pos, float base) {
    for (int i = 0; i < dim / 2; i++) {
        double angle = pos * pow(base, -2.0 * i / dim);
        out[2 * i] = (float)sin(angle);
        out[2 * i + 1] = (float)cos(angle);
    }
}

/* YaRN's pair index where `rotations` full turns fit in the original context: pairs below turn
 * more often (kept), pairs above fewer times (interpolated); transformers'
 * find_correction_dim. */
static double yarn_correction_dim(double rotations, int dim, double theta, double context) {
    return dim * log(context / (rotations * 2.0 * M_PI)) / (2.0 * log(theta));
}

/* YaRN (transformers' _compute_yarn_parameters): frequency f of pair i becomes
 * f / factor * ramp + f * (1 - ramp), ramp = clamp((i - low) / (high - low), 0, 1) with low and
 * high the correction dims of beta_fast and beta_slow rotations (rounded down and up unless
 * no_truncate, kept within [0, dim - 1]). */
static double yarn_freq(double f, int i, int dim, double theta, const ats_rope_scaling *s) {
    double low = yarn_correction_dim(s->beta_fast, dim, theta, s->original_max_position);
    double high = yarn_correction_dim(s->beta_slow, dim, theta, s->original_max_position);
    if (!s->no_truncate) {
        low = floor(low);
        high = ceil(high);
    }
    low = low > 0.0 ? low : 0.0;
    high = high < dim - 1 ? high : dim - 1;
    if (low == high)
        high += 0.001; /* as transformers: no division by zero */
    double ramp = (i - low) / (high - low);
    ramp = ramp < 0.0 ? 0.0 : ramp > 1.0 ? 1.0 : ramp;
    return f / s->factor * ramp + f * (1.0 - ramp);
}

void ats_rope_inv_freq(float *inv_freq, int d_head, float theta, const ats_rope_scaling *scaling) {
    for (int i = 0; i < d_head / 2; i++) {
        double f = pow(theta, -2.0 * i / d_head);
        if (scaling && scaling->kind == ATS_ROPE_SCALING_YARN) {
            f = yarn_freq(f, i, d_head, theta, scaling);
        } else if (scaling && scaling->kind == ATS_ROPE_SCALING_LINEAR && scaling->factor > 0) {
            f /= scaling->factor;
        } else if (scaling && scaling->kind == ATS_ROPE_SCALING_LLAMA3) {
            /* Llama 3.1: long wavelengths are slowed by `factor`, short ones kept, and the band
             * between is blended smoothly (transformers' _compute_llama3_parameters). */
            double old_ctx = scaling->original_max_position;
            double low_wavelen = old_ctx / scaling->low_freq_factor;
            double high_wavelen = old_ctx / scaling->high_freq_factor;
            double wavelen = 2.0 * M_PI / f;
            if (wavelen > low_wavelen) {
                f /= scaling->factor;
            } else if (wavelen >= high_wavelen) {
                double smooth = (old_ctx / wavelen - scaling->low_freq_factor) /
                                (scaling->high_freq_factor - scaling->low_freq_factor);
                f = (1.0 - smooth) * f / scaling->factor + smooth * f;
            }
        }
        inv_freq[i] = (float)f;
    }
}

static void rotate_pair(float *a, float *b, double angle) {
    double c = cos(angle), s = sin(angle);
    double x = *a, y = *b;
    *a = (float)(x * c - y * s);
    *b = (float)(x * s + y * c);
}

void ats_rope_interleaved_ref(float *vec, int d_head, int pos, const float *inv_freq) {
    for (int i = 0; i < d_head / 2; i++)
        rotate_pair(&vec[2 * i], &vec[2 * i + 1], (double)pos * inv_freq[i]);
}

void ats_rope_half_ref(float *vec, int d_head, int pos, const float *inv_freq) {
    int half = d_head / 2;
    for (int i = 0; i < half; i++)
        rotate_pair(&vec[i], &vec[i + half], (double)pos * inv_freq[i]);
}

void ats_rope_angles(double *cs, int d_head, int pos, const float *inv_freq, double magnitude) {
    for (int i = 0; i < d_head / 2; i++) {
        double angle = (double)pos * inv_freq[i];
        cs[2 * i] = cos(angle) * magnitude;
        cs[2 * i + 1] = sin(angle) * magnitude;
    }
}

bool ats_rope_long_factors(const ats_rope_scaling *scaling, int n_tokens) {
    return scaling->kind == ATS_ROPE_SCALING_LONGROPE && n_tokens > scaling->original_max_position;
}

double ats_rope_magnitude(const ats_rope_scaling *scaling) {
    return scaling->attn_factor > 0.0f ? (double)scaling->attn_factor : 1.0;
}

void ats_rope_rotate(float *vec, int d_head, bool rotate_half, const double *cs) {
    int half = d_head / 2, stride = rotate_half ? 1 : 2, partner = rotate_half ? half : 1;
    for (int i = 0; i < half; i++) {
        float *a = &vec[i * stride], *b = a + partner;
        double x = *a, y = *b, c = cs[2 * i], s = cs[2 * i + 1];
        *a = (float)(x * c - y * s);
        *b = (float)(x * s + y * c);
    }
}

int ats_relative_bucket(int rel, bool bidirectional, int num_buckets, int max_distance) {
    int bucket = 0, n = num_buckets;
    if (bidirectional) { /* half the buckets for keys after the query */
        n /= 2;
        bucket = rel > 0 ? n : 0;
        rel = rel < 0 ? -rel : rel;
    } else { /* a causal stack sees only keys at or before the query */
        rel = rel < 0 ? -rel : 0;
    }
    int exact = n / 2;
    if (rel < exact)
        return bucket + rel;
    /* as Hugging Face computes it in float32: log(rel / exact) / log(max / exact) * (n - exact) */
    float scaled = logf((float)rel / (float)exact) / (float)log((double)max_distance / exact) *
                   (float)(n - exact);
    int large = exact + (int)scaled;
    return bucket + (large < n - 1 ? large : n - 1);
}
