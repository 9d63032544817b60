/* The inner kernel of the fused tiles with AVX2 fused multiply-adds (linear.h), chosen at run
 * time when the CPU has them (the build targets plain x86-64, so the functions carry their own
 * target attribute). Lane k of acc[t][r] sums the products of inputs i with i % 8 == k, as
 * ats_dot_tile_ref does, each product rounded into its sum by one fused multiply-add. */
#include "linear.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

/* Two rows of x against four rows of w: eight accumulators, six loads per eight multiply-adds. */
AVX2 static void two_tokens_four_rows(const float *w, const float *x0, const float *x1, int len,
                                      float *acc0, float *acc1) {
    __m256 a00 = _mm256_loadu_ps(acc0), a01 = _mm256_loadu_ps(acc0 + 8);
    __m256 a02 = _mm256_loadu_ps(acc0 + 16), a03 = _mm256_loadu_ps(acc0 + 24);
    __m256 a10 = _mm256_loadu_ps(acc1), a11 = _mm256_loadu_ps(acc1 + 8);
    __m256 a12 = _mm256_loadu_ps(acc1 + 16), a13 = _mm256_loadu_ps(acc1 + 24);
    for (int i = 0; i < len; i += 8) {
        __m256 u = _mm256_loadu_ps(x0 + i), v = _mm256_loadu_ps(x1 + i);
        __m256 w0 = _mm256_loadu_ps(w + i);
        a00 = _mm256_fmadd_ps(u, w0, a00);
        a10 = _mm256_fmadd_ps(v, w0, a10);
        __m256 w1 = _mm256_loadu_ps(w + ATS_TILE_CHUNK + i);
        a01 = _mm256_fmadd_ps(u, w1, a01);
        a11 = _mm256_fmadd_ps(v, w1, a11);
        __m256 w2 = _mm256_loadu_ps(w + 2 * ATS_TILE_CHUNK + i);
        a02 = _mm256_fmadd_ps(u, w2, a02);
        a12 = _mm256_fmadd_ps(v, w2, a12);
        __m256 w3 = _mm256_loadu_ps(w + 3 * ATS_TILE_CHUNK + i);
        a03 = _mm256_fmadd_ps(u, w3, a03);
        a13 = _mm256_fmadd_ps(v, w3, a13);
    }
    _mm256_storeu_ps(acc0, a00), _mm256_storeu_ps(acc0 + 8, a01);
    _mm256_storeu_ps(acc0 + 16, a02), _mm256_storeu_ps(acc0 + 24, a03);
    _mm256_storeu_ps(acc1, a10), _mm256_storeu_ps(acc1 + 8, a11);
    _mm256_storeu_ps(acc1 + 16, a12), _mm256_storeu_ps(acc1 + 24, a13);
}

/* One row of x against four rows of w: four independent sums, so the multiply-adds overlap. */
AVX2 static void one_token_four_rows(const float *w, const float *x, int len, float *acc) {
    __m256 a0 = _mm256_loadu_ps(acc), a1 = _mm256_loadu_ps(acc + 8);
    __m256 a2 = _mm256_loadu_ps(acc + 16), a3 = _mm256_loadu_ps(acc + 24);
    for (int i = 0; i < len; i += 8) {
        __m256 u = _mm256_loadu_ps(x + i);
        a0 = _mm256_fmadd_ps(u, _mm256_loadu_ps(w + i), a0);
        a1 = _mm256_fmadd_ps(u, _mm256_loadu_ps(w + ATS_TILE_CHUNK + i), a1);
        a2 = _mm256_fmadd_ps(u, _mm256_loadu_ps(w + 2 * ATS_TILE_CHUNK + i), a2);
        a3 = _mm256_fmadd_ps(u, _mm256_loadu_ps(w + 3 * ATS_TILE_CHUNK + i), a3);
    }
    _mm256_storeu_ps(acc, a0), _mm256_storeu_ps(acc + 8, a1);
    _mm256_storeu_ps(acc + 16, a2), _mm256_storeu_ps(acc + 24, a3);
}

/* One row of x against R rows of w. */
AVX2 static void one_token(const float *w, int R, const float *x, int len, float *acc) {
    for (int r = 0; r < R; r++) {
        __m256 a = _mm256_loadu_ps(acc + 8 * r);
        for (int i = 0; i < len; i += 8)
            a = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(w + r * ATS_TILE_CHUNK + i),
                                a);
        _mm256_storeu_ps(acc + 8 * r, a);
    }
}

bool ats_dot_tile_avx2(const float *w, int R, const float *x, size_t ldx, int T, int len,
                       float *acc) {
    if (!ats_cpu_avx2())
        return false;
    enum { PER_TOKEN = ATS_TILE_ROWS * 8 };
    int t = 0;
    if (R == ATS_TILE_ROWS)
        for (; t + 2 <= T; t += 2)
            two_tokens_four_rows(w, x + (size_t)t * ldx, x + (size_t)(t + 1) * ldx, len,
                                 acc + (size_t)t * PER_TOKEN, acc + (size_t)(t + 1) * PER_TOKEN);
    for (; t < T; t++) {
        if (R == ATS_TILE_ROWS)
            one_token_four_rows(w, x + (size_t)t * ldx, len, acc + (size_t)t * PER_TOKEN);
        else
            one_token(w, R, x + (size_t)t * ldx, len, acc + (size_t)t * PER_TOKEN);
    }
    return true;
}

#else

bool ats_dot_tile_avx2(const float *w, int R, const float *x, size_t ldx, int T, int len,
                       float *acc) {
    (void)w, (void)R, (void)x, (void)ldx, (void)T, (void)len, (void)acc;
    return false;
}

#endif
