/* The vectorized elementwise ops of ops.h: softmax, LayerNorm, RMSNorm, GELU (tanh and erf),
 * SwiGLU. Written as plain loops the compiler vectorizes (this file is built with -O3
 * -fno-trapping-math), each function cloned for AVX2+FMA and for the baseline instruction set
 * and chosen at load time by the CPU (target_clones, where the compiler supports it). Their
 * plain-loop twins in ops.c (the *_ref functions, libm and double sums) are the tests' oracle.
 *
 * exp is evaluated here by range reduction and a polynomial, accurate to about 1e-7 relative:
 * x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2, e^x = 2^n e^r, e^r by its Taylor
 * series to r^7 (the next term is below 4e-9 of the result), 2^n built in the exponent bits. */
#include "ops.h"

#include <math.h>
#include <stdint.h>

/* Clones through ifunc resolvers, which run before a sanitizer's runtime is ready: not under
 * the sanitizers (their builds are for checking, not speed). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ATS_NO_CLONES
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ATS_NO_CLONES
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(ATS_NO_CLONES)
#define VEC_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define VEC_CLONES
#endif

/* ---- exp and its uses -------------------------------------------------------------------- */

#define EXP_LO (-87.0f) /* below: 0 (e^-87 is 1.6e-38, the edge of normal floats) */
#define EXP_HI 88.0f    /* above: e^88 (3e38; callers divide by it or add 1) */

static inline float exp_approx(float x) {
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f; /* ln2 in two parts */
    const float round_magic = 12582912.0f;                       /* 1.5 * 2^23 rounds to integer */
    float xc = x > EXP_LO ? x : EXP_LO; /* NaN too: converting it to int below is undefined */
    xc = xc < EXP_HI ? xc : EXP_HI;
    float n = (xc * log2e + round_magic) - round_magic;
    float r = (xc - n * ln2_hi) - n * ln2_lo;
    float p = 1.0f / 5040.0f; /* e^r = sum r^k / k!, k = 0..7, by Horner */
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    union {
        uint32_t u;
        float f;
    } two_n; /* 2^n: the biased exponent n + 127 in bits 23..30 */
    two_n.u = (uint32_t)((int32_t)n + 127) << 23;
    return x >= EXP_LO ? p * two_n.f : x < EXP_LO ? 0.0f : x; /* NaN stays NaN */
}

/* GELU (tanh form): 0.5 x (1 + tanh(u)) with u = sqrt(2/pi) (x + 0.044715 x^3) equals
 * x / (1 + e^(-2u)), which needs one exp and loses nothing to cancellation for negative x. */
VEC_CLONES void ats_gelu_tanh(float *x, size_t n) {
    const float minus_2k = -2.0f * 0.7978845608028654f; /* -2 sqrt(2/pi) */
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        x[i] = v / (1.0f + exp_approx(minus_2k * (v + 0.044715f * v * v * v)));
    }
}

/* erfc(z) for z >= 0 with relative error below 1.2e-7: t exp(-z^2 + P(t)), t = 1 / (1 + z/2),
 * P a degree-9 polynomial (the Chebyshev fit published as Numerical Recipes' erfcc). */
static inline float erfc_nonneg(float z) {
    float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    return t * exp_approx(-z * z + p);
}

/* GELU (erf form): 0.5 x (1 + erf(x / sqrt 2)). With z = |x| / sqrt 2, 1 + erf = 2 - erfc(z)
 * for x >= 0 and erfc(z) for x < 0, so no cancellation on either side. */
VEC_CLONES void ats_gelu_erf(float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float e = erfc_nonneg((v < 0 ? -v : v) * 0.70710678118654752f);
        x[i] = 0.5f * v * (v < 0 ? e : 2.0f - e);
    }
}

/* up (n) *= silu(gate) = gate / (1 + e^-gate) */
VEC_CLONES void ats_swiglu(float *up, const float *gate, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float g = gate[i];
        up[i] *= g / (1.0f + exp_approx(-g));
    }
}

/* up (n) *= gelu_tanh(gate), the tanh form as in ats_gelu_tanh */
VEC_CLONES void ats_geglu(float *up, const float *gate, size_t n) {
    const float minus_2k = -2.0f * 0.7978845608028654f;
    for (size_t i = 0; i < n; i++) {
        float g = gate[i];
        up[i] *= g / (1.0f + exp_approx(minus_2k * (g + 0.044715f * g * g * g)));
    }
}

/* ---- reductions -------------------------------------------------------------------------- */

enum { LANES = 8 }; /* independent partial results the compiler keeps in vector registers */

static inline float max_of(const float *x, int n) {
    float m[LANES];
    for (int k = 0; k < LANES; k++)
        m[k] = x[0];
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int k = 0; k < LANES; k++)
            m[k] = x[i + k] > m[k] ? x[i + k] : m[k];
    float r = m[0];
    for (int k = 1; k < LANES; k++)
        r = m[k] > r ? m[k] : r;
    for (; i < n; i++)
        r = x[i] > r ? x[i] : r;
    return r;
}

/* sum of x (in double lanes) */
static inline double sum_of(const float *x, int n) {
    double a[LANES] = {0};
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int k = 0; k < LANES; k++)
            a[k] += (double)x[i + k];
    double r = 0;
    for (; i < n; i++)
        r += x[i];
    for (int k = 0; k < LANES; k++)
        r += a[k];
    return r;
}

/* sum of (x - c)^2 (in double lanes) */
static inline double sum_sq_dev(const float *x, int n, double c) {
    double a[LANES] = {0};
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int k = 0; k < LANES; k++) {
            double d = (double)x[i + k] - c;
            a[k] += d * d;
        }
    double r = 0;
    for (; i < n; i++)
        r += ((double)x[i] - c) * ((double)x[i] - c);
    for (int k = 0; k < LANES; k++)
        r += a[k];
    return r;
}

/* ---- softmax and norms ------------------------------------------------------------------- */

VEC_CLONES void ats_softmax_scaled(float *p, const float *s, int n, float scale) {
    if (n <= 0)
        return;
    for (int i = 0; i < n; i++)
        p[i] = s[i] * scale;
    float max = max_of(p, n);
    for (int i = 0; i < n; i++)
        p[i] = exp_approx(p[i] - max);
    float inv = (float)(1.0 / sum_of(p, n));
    for (int i = 0; i < n; i++)
        p[i] *= inv;
}

void ats_softmax(float *x, int n) {
    ats_softmax_scaled(x, x, n, 1.0f);
}

VEC_CLONES void ats_layernorm(float *out, const float *x, const float *w, const float *b, int n,
                              float eps) {
    double mean = sum_of(x, n) / n;
    double var = sum_sq_dev(x, n, mean) / n;
    float m = (float)mean, inv = (float)(1.0 / sqrt(var + eps));
    if (b)
        for (int i = 0; i < n; i++)
            out[i] = (x[i] - m) * inv * w[i] + b[i];
    else
        for (int i = 0; i < n; i++)
            out[i] = (x[i] - m) * inv * w[i];
}

VEC_CLONES void ats_rmsnorm(float *out, const float *x, const float *w, int n, float eps) {
    double a[LANES] = {0};
    int i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int k = 0; k < LANES; k++)
            a[k] += (double)x[i + k] * x[i + k];
    double ss = 0;
    for (; i < n; i++)
        ss += (double)x[i] * x[i];
    for (int k = 0; k < LANES; k++)
        ss += a[k];
    float inv = (float)(1.0 / sqrt(ss / n + eps));
    for (i = 0; i < n; i++)
        out[i] = x[i] * inv * w[i];
}
