/* AVX2 + F16C versions of the block decoders of dequant.c, chosen at run time when the CPU has
 * them (the build targets plain x86-64, so these functions carry their own target attribute).
 *
 * Each does the float arithmetic of the plain loop in the same order, one rounding per
 * operation (multiply, then add or subtract; no fused multiply-add), so the floats are the same
 * bits: the tests compare the two. Bytes are unpacked to signed 8-bit values q, widened eight at
 * a time to int32 and converted to float (exact), then scaled.
 */
#include "dequant.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <cpuid.h>
#include <immintrin.h>
#include <stdatomic.h>
#include <string.h>

bool ats_cpu_avx2(void) {
    static atomic_int known; /* 0 not yet asked, 1 no, 2 yes; threads that race agree */
    int k = atomic_load_explicit(&known, memory_order_relaxed);
    if (k == 0) {
        unsigned a, b, c, d;
        bool f16c = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
        k = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c ? 2 : 1;
        atomic_store_explicit(&known, k, memory_order_relaxed);
    }
    return k == 2;
}

#define AVX2 __attribute__((target("avx2,f16c")))

AVX2 static inline float half(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return _cvtsh_ss(h);
}

AVX2 static inline __m256 widen8(__m128i q) { /* the low 8 signed bytes of q as floats */
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
}

/* y[0..16) = d q[i] for the 16 signed bytes of q */
AVX2 static inline void put16(float *y, __m128i q, float d) {
    __m256 vd = _mm256_set1_ps(d);
    _mm256_storeu_ps(y, _mm256_mul_ps(vd, widen8(q)));
    _mm256_storeu_ps(y + 8, _mm256_mul_ps(vd, widen8(_mm_srli_si128(q, 8))));
}

/* y[0..16) = d q[i] - m */
AVX2 static inline void put16_sub(float *y, __m128i q, float d, float m) {
    __m256 vd = _mm256_set1_ps(d), vm = _mm256_set1_ps(m);
    _mm256_storeu_ps(y, _mm256_sub_ps(_mm256_mul_ps(vd, widen8(q)), vm));
    _mm256_storeu_ps(y + 8, _mm256_sub_ps(_mm256_mul_ps(vd, widen8(_mm_srli_si128(q, 8))), vm));
}

/* y[0..16) = q[i] d + m */
AVX2 static inline void put16_add(float *y, __m128i q, float d, float m) {
    __m256 vd = _mm256_set1_ps(d), vm = _mm256_set1_ps(m);
    _mm256_storeu_ps(y, _mm256_add_ps(_mm256_mul_ps(widen8(q), vd), vm));
    _mm256_storeu_ps(y + 8, _mm256_add_ps(_mm256_mul_ps(widen8(_mm_srli_si128(q, 8)), vd), vm));
}

AVX2 static inline __m128i lo_half(__m256i v) {
    return _mm256_castsi256_si128(v);
}

AVX2 static inline __m128i hi_half(__m256i v) {
    return _mm256_extracti128_si256(v, 1);
}

/* Bytes 0..15 of the two 16-value halves of a 32-value block: value j in the low nibble of byte
 * j, value j + 16 in its high nibble. */
AVX2 static inline void nibbles(const uint8_t *qs, __m128i *lo, __m128i *hi) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)qs), m4 = _mm_set1_epi8(15);
    *lo = _mm_and_si128(v, m4);
    *hi = _mm_and_si128(_mm_srli_epi16(v, 4), m4);
}

/* 32 bytes, byte i = 0x10 when bit i of qh is set, else 0 */
AVX2 static inline __m256i bits_to_16s(uint32_t qh) {
    const __m256i spread = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                             0x0101010101010101, 0x0000000000000000);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    __m256i bytes =
        _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh), spread); /* byte i: qh byte i/8 */
    __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
    return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

AVX2 static void q8_0(const uint8_t *b, size_t nb, float *y) {
    for (size_t i = 0; i < nb; i++, b += 34, y += 32) {
        float d = half(b);
        __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(b + 2));
        put16(y, lo_half(q), d);
        put16(y + 16, hi_half(q), d);
    }
}

AVX2 static void q4_0(const uint8_t *b, size_t nb, float *y) {
    const __m128i eight = _mm_set1_epi8(8);
    for (size_t i = 0; i < nb; i++, b += 18, y += 32) {
        __m128i lo, hi;
        nibbles(b + 2, &lo, &hi);
        float d = half(b);
        put16(y, _mm_sub_epi8(lo, eight), d);
        put16(y + 16, _mm_sub_epi8(hi, eight), d);
    }
}

AVX2 static void q4_1(const uint8_t *b, size_t nb, float *y) {
    for (size_t i = 0; i < nb; i++, b += 20, y += 32) {
        __m128i lo, hi;
        nibbles(b + 4, &lo, &hi);
        float d = half(b), m = half(b + 2);
        put16_add(y, lo, d, m);
        put16_add(y + 16, hi, d, m);
    }
}

/* Q5_0 (with_min false: x = d (q - 16)) and Q5_1 (x = q d + m) */
AVX2 static void q5(const uint8_t *b, size_t nb, float *y, bool with_min) {
    size_t size = with_min ? 24 : 22;
    const __m128i sixteen = _mm_set1_epi8(16);
    for (size_t i = 0; i < nb; i++, b += size, y += 32) {
        const uint8_t *p = with_min ? b + 4 : b + 2;
        uint32_t qh;
        memcpy(&qh, p, sizeof qh);
        __m256i high = bits_to_16s(qh);
        __m128i lo, hi;
        nibbles(p + 4, &lo, &hi);
        lo = _mm_or_si128(lo, lo_half(high));
        hi = _mm_or_si128(hi, hi_half(high));
        float d = half(b);
        if (with_min) {
            float m = half(b + 2);
            put16_add(y, lo, d, m);
            put16_add(y + 16, hi, d, m);
        } else {
            put16(y, _mm_sub_epi8(lo, sixteen), d);
            put16(y + 16, _mm_sub_epi8(hi, sixteen), d);
        }
    }
}

static const int8_t IQ4_VALUES[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                      1,    13,   25,  38,  53,  69,  89,  113};

AVX2 static void iq4_nl(const uint8_t *b, size_t nb, float *y) {
    const __m128i table = _mm_loadu_si128((const __m128i *)(const void *)IQ4_VALUES);
    for (size_t i = 0; i < nb; i++, b += 18, y += 32) {
        __m128i lo, hi;
        nibbles(b + 2, &lo, &hi);
        float d = half(b);
        put16(y, _mm_shuffle_epi8(table, lo), d);
        put16(y + 16, _mm_shuffle_epi8(table, hi), d);
    }
}

AVX2 static void q2_k(const uint8_t *b, size_t nb, float *y) {
    const __m256i m3 = _mm256_set1_epi8(3);
    for (size_t i = 0; i < nb; i++, b += 84, y += 256) {
        const uint8_t *scales = b;
        float d = half(b + 80), dmin = half(b + 82);
        for (int h = 0; h < 2; h++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(b + 16 + 32 * h));
            for (int j = 0; j < 4; j++) {
                __m256i v = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), m3);
                for (int k = 0; k < 2; k++) {
                    int s = 8 * h + 2 * j + k;
                    float dl = d * (float)(scales[s] & 15), ml = dmin * (float)(scales[s] >> 4);
                    put16_sub(y + 128 * h + 32 * j + 16 * k, k ? hi_half(v) : lo_half(v), dl, ml);
                }
            }
        }
    }
}

AVX2 static void q3_k(const uint8_t *b, size_t nb, float *y) {
    const __m256i m3 = _mm256_set1_epi8(3), four = _mm256_set1_epi8(4);
    for (size_t i = 0; i < nb; i++, b += 110, y += 256) {
        const uint8_t *sb = b + 96;
        float d = half(b + 108);
        __m256i hmask = _mm256_loadu_si256((const __m256i *)(const void *)b);
        for (int h = 0; h < 2; h++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(b + 32 + 32 * h));
            for (int j = 0; j < 4; j++) {
                __m256i bit = _mm256_set1_epi8((char)(1 << (4 * h + j)));
                __m256i clear =
                    _mm256_cmpeq_epi8(_mm256_and_si256(hmask, bit), _mm256_setzero_si256());
                __m256i v = _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(q, 2 * j), m3),
                                            _mm256_and_si256(clear, four));
                for (int k = 0; k < 2; k++) {
                    int s = 8 * h + 2 * j + k;
                    int lo = (sb[s % 8] >> (4 * (s / 8))) & 15,
                        hi = (sb[8 + s % 4] >> (2 * (s / 4))) & 3;
                    float dl = d * (float)((lo | hi << 4) - 32);
                    put16(y + 128 * h + 32 * j + 16 * k, k ? hi_half(v) : lo_half(v), dl);
                }
            }
        }
    }
}

/* Q4_K (qh NULL) and Q5_K: eight sub-blocks of 32 */
AVX2 static void q45_k(const uint8_t *b, size_t nb, float *y, bool five) {
    const __m256i m4 = _mm256_set1_epi8(15), sixteen = _mm256_set1_epi8(16);
    size_t size = five ? 176 : 144;
    for (size_t i = 0; i < nb; i++, b += size, y += 256) {
        const uint8_t *sb = b + 4, *qs = b + (five ? 48 : 16);
        float d = half(b), dmin = half(b + 2);
        __m256i qh = five ? _mm256_loadu_si256((const __m256i *)(const void *)(b + 16))
                          : _mm256_setzero_si256();
        for (int g = 0; g < 4; g++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(const void *)(qs + 32 * g));
            for (int half_ = 0; half_ < 2; half_++) {
                int s = 2 * g + half_;
                __m256i v = _mm256_and_si256(half_ ? _mm256_srli_epi16(q, 4) : q, m4);
                if (five) {
                    __m256i bit = _mm256_set1_epi8((char)(1 << s));
                    __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit);
                    v = _mm256_or_si256(v, _mm256_and_si256(set, sixteen));
                }
                int sc, m;
                if (s < 4) {
                    sc = sb[s] & 63;
                    m = sb[s + 4] & 63;
                } else {
                    sc = (sb[s + 4] & 15) | (sb[s - 4] >> 6) << 4;
                    m = (sb[s + 4] >> 4) | (sb[s] >> 6) << 4;
                }
                float ds = d * (float)sc, ms = dmin * (float)m;
                put16_sub(y + 32 * s, lo_half(v), ds, ms);
                put16_sub(y + 32 * s + 16, hi_half(v), ds, ms);
            }
        }
    }
}

AVX2 static void q6_k(const uint8_t *b, size_t nb, float *y) {
    const __m256i m4 = _mm256_set1_epi8(15), m3 = _mm256_set1_epi8(3), bias = _mm256_set1_epi8(32);
    for (size_t i = 0; i < nb; i++, b += 210, y += 256) {
        const int8_t *scales = (const int8_t *)(b + 192);
        float d = half(b + 208);
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = b + 64 * h;
            __m256i l0 = _mm256_loadu_si256((const __m256i *)(const void *)ql);
            __m256i l1 = _mm256_loadu_si256((const __m256i *)(const void *)(ql + 32));
            __m256i qh = _mm256_loadu_si256((const __m256i *)(const void *)(b + 128 + 32 * h));
            for (int r = 0; r < 4; r++) {
                __m256i low = r % 2 ? l1 : l0;
                low = _mm256_and_si256(r / 2 ? _mm256_srli_epi16(low, 4) : low, m4);
                __m256i high = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * r), m3);
                __m256i q = _mm256_sub_epi8(_mm256_or_si256(low, _mm256_slli_epi16(high, 4)), bias);
                int s = 8 * h + 2 * r;
                float *out = y + 128 * h + 32 * r;
                put16(out, lo_half(q), d * (float)scales[s]);
                put16(out + 16, hi_half(q), d * (float)scales[s + 1]);
            }
        }
    }
}

AVX2 static void iq4_xs(const uint8_t *b, size_t nb, float *y) {
    const __m128i table = _mm_loadu_si128((const __m128i *)(const void *)IQ4_VALUES);
    for (size_t i = 0; i < nb; i++, b += 136, y += 256) {
        float d = half(b);
        unsigned scales_h = (unsigned)b[2] | (unsigned)b[3] << 8;
        for (int s = 0; s < 8; s++) {
            int ls = ((b[4 + s / 2] >> (4 * (s % 2))) & 15) | ((scales_h >> (2 * s)) & 3) << 4;
            float dl = d * (float)(ls - 32);
            __m128i lo, hi;
            nibbles(b + 8 + 16 * s, &lo, &hi);
            put16(y + 32 * s, _mm_shuffle_epi8(table, lo), dl);
            put16(y + 32 * s + 16, _mm_shuffle_epi8(table, hi), dl);
        }
    }
}

AVX2 static void f16(const uint8_t *src, size_t n, float *y) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(
            y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(src + 2 * i))));
    for (; i < n; i++)
        y[i] = half(src + 2 * i);
}

AVX2 static void bf16(const uint8_t *src, size_t n, float *y) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v =
            _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(src + 2 * i)));
        _mm256_storeu_ps(y + i, _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)));
    }
    for (; i < n; i++) {
        uint32_t bits = (uint32_t)(src[2 * i] | src[2 * i + 1] << 8) << 16;
        memcpy(y + i, &bits, sizeof bits);
    }
}

bool ats_dequant_avx2(ats_wtype type, const uint8_t *src, size_t n, float *dst) {
    if (!ats_cpu_avx2())
        return false;
    size_t nb = n / ats_wtype_block_elems(type);
    switch (type) {
    case ATS_WTYPE_F16:
        f16(src, n, dst);
        return true;
    case ATS_WTYPE_BF16:
        bf16(src, n, dst);
        return true;
    case ATS_WTYPE_Q8_0:
        q8_0(src, nb, dst);
        return true;
    case ATS_WTYPE_Q4_0:
        q4_0(src, nb, dst);
        return true;
    case ATS_WTYPE_Q4_1:
        q4_1(src, nb, dst);
        return true;
    case ATS_WTYPE_Q5_0:
        q5(src, nb, dst, false);
        return true;
    case ATS_WTYPE_Q5_1:
        q5(src, nb, dst, true);
        return true;
    case ATS_WTYPE_Q2_K:
        q2_k(src, nb, dst);
        return true;
    case ATS_WTYPE_Q3_K:
        q3_k(src, nb, dst);
        return true;
    case ATS_WTYPE_Q4_K:
        q45_k(src, nb, dst, false);
        return true;
    case ATS_WTYPE_Q5_K:
        q45_k(src, nb, dst, true);
        return true;
    case ATS_WTYPE_Q6_K:
        q6_k(src, nb, dst);
        return true;
    case ATS_WTYPE_IQ4_NL:
        iq4_nl(src, nb, dst);
        return true;
    case ATS_WTYPE_IQ4_XS:
        iq4_xs(src, nb, dst);
        return true;
    default:
        return false;
    }
}

#else

bool ats_cpu_avx2(void) {
    return false;
}

bool ats_dequant_avx2(ats_wtype type, const uint8_t *src, size_t n, float *dst) {
    (void)type, (void)src, (void)n, (void)dst;
    return false;
}

#endif
