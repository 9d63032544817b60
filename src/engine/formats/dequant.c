#include "dequant.h"
#include "base.h"
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { QK = 32, QK_K = 256 };

typedef struct type_info {
    const char *name;
    uint32_t block_elems, block_bytes;
} type_info;

static const type_info TYPES[ATS_WTYPE_COUNT] = {
    [ATS_WTYPE_F32] = {"F32", 1, 4},
    [ATS_WTYPE_F16] = {"F16", 1, 2},
    [ATS_WTYPE_BF16] = {"BF16", 1, 2},
    [ATS_WTYPE_Q8_0] = {"Q8_0", QK, 34},
    [ATS_WTYPE_Q4_0] = {"Q4_0", QK, 18},
    [ATS_WTYPE_Q4_1] = {"Q4_1", QK, 20},
    [ATS_WTYPE_Q5_0] = {"Q5_0", QK, 22},
    [ATS_WTYPE_Q5_1] = {"Q5_1", QK, 24},
    [ATS_WTYPE_Q2_K] = {"Q2_K", QK_K, 84},
    [ATS_WTYPE_Q3_K] = {"Q3_K", QK_K, 110},
    [ATS_WTYPE_Q4_K] = {"Q4_K", QK_K, 144},
    [ATS_WTYPE_Q5_K] = {"Q5_K", QK_K, 176},
    [ATS_WTYPE_Q6_K] = {"Q6_K", QK_K, 210},
    [ATS_WTYPE_IQ4_NL] = {"IQ4_NL", QK, 18},
    [ATS_WTYPE_IQ4_XS] = {"IQ4_XS", QK_K, 136},
};

const char *ats_wtype_name(ats_wtype type) {
    return (unsigned)type < ATS_WTYPE_COUNT ? TYPES[type].name : "unknown";
}

uint64_t ats_wtype_block_elems(ats_wtype type) {
    return (unsigned)type < ATS_WTYPE_COUNT ? TYPES[type].block_elems : 1;
}

uint64_t ats_wtype_block_bytes(ats_wtype type) {
    return (unsigned)type < ATS_WTYPE_COUNT ? TYPES[type].block_bytes : 0;
}

bool ats_wtype_bytes(ats_wtype type, uint64_t n, uint64_t *bytes) {
    uint64_t per = ats_wtype_block_elems(type), size = ats_wtype_block_bytes(type);
    if (size == 0 || n % per != 0 || n / per > UINT64_MAX / size)
        return false;
    *bytes = n / per * size;
    return true;
}

float ats_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    int exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    float mag;
    if (exp == 0) /* zero or subnormal: mant * 2^-24 */
        mag = ldexpf((float)mant, -24);
    else if (exp == 31) /* infinity or NaN */
        mag = mant ? NAN : INFINITY;
    else /* (1024 + mant) * 2^(exp - 25) */
        mag = ldexpf((float)(mant | 0x400), exp - 25);
    uint32_t bits;
    memcpy(&bits, &mag, sizeof bits);
    bits |= sign;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

float ats_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint16_t le16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float half_at(const uint8_t *p) {
    return ats_f16_to_f32(le16(p));
}

static const int8_t IQ4_VALUES[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                      1,    13,   25,  38,  53,  69,  89,  113};

/* ---- blocks of 32 ------------------------------------------------------------------------- */

static void q8_0(const uint8_t *b, float *y) {
    float d = half_at(b);
    for (int i = 0; i < QK; i++)
        y[i] = d * (float)(int8_t)b[2 + i];
}

static void q4_0(const uint8_t *b, float *y) {
    float d = half_at(b);
    for (int j = 0; j < QK / 2; j++) {
        y[j] = d * (float)((b[2 + j] & 15) - 8);
        y[j + QK / 2] = d * (float)((b[2 + j] >> 4) - 8);
    }
}

static void q4_1(const uint8_t *b, float *y) {
    float d = half_at(b), m = half_at(b + 2);
    for (int j = 0; j < QK / 2; j++) {
        y[j] = (float)(b[4 + j] & 15) * d + m;
        y[j + QK / 2] = (float)(b[4 + j] >> 4) * d + m;
    }
}

/* The 5-bit values of a Q5 block: nibbles of qs with bit i of qh as the fifth bit of value i. */
static void q5_values(uint32_t qh, const uint8_t *qs, int *q) {
    for (int j = 0; j < QK / 2; j++) {
        q[j] = (qs[j] & 15) | (int)((qh >> j) & 1) << 4;
        q[j + QK / 2] = (qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
    }
}

static void q5_0(const uint8_t *b, float *y) {
    float d = half_at(b);
    int q[QK];
    q5_values(le32(b + 2), b + 6, q);
    for (int i = 0; i < QK; i++)
        y[i] = d * (float)(q[i] - 16);
}

static void q5_1(const uint8_t *b, float *y) {
    float d = half_at(b), m = half_at(b + 2);
    int q[QK];
    q5_values(le32(b + 4), b + 8, q);
    for (int i = 0; i < QK; i++)
        y[i] = (float)q[i] * d + m;
}

static void iq4_nl(const uint8_t *b, float *y) {
    float d = half_at(b);
    for (int j = 0; j < QK / 2; j++) {
        y[j] = d * (float)IQ4_VALUES[b[2 + j] & 15];
        y[j + QK / 2] = d * (float)IQ4_VALUES[b[2 + j] >> 4];
    }
}

/* ---- super-blocks of 256 ------------------------------------------------------------------ */

static void q2_k(const uint8_t *b, float *y) {
    const uint8_t *scales = b, *qs = b + 16;
    float d = half_at(b + 80), dmin = half_at(b + 82);
    for (int h = 0; h < 2; h++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 2; k++) {
                int s = 8 * h + 2 * j + k;
                float dl = d * (float)(scales[s] & 15), ml = dmin * (float)(scales[s] >> 4);
                for (int l = 0; l < 16; l++)
                    y[128 * h + 32 * j + 16 * k + l] =
                        dl * (float)((qs[32 * h + 16 * k + l] >> (2 * j)) & 3) - ml;
            }
}

/* The sixteen signed scales (s - 32) of a Q3_K block from its 12 scale bytes. */
static void q3_k_scales(const uint8_t *sb, int *scale) {
    for (int i = 0; i < 16; i++) {
        int lo = (sb[i % 8] >> (4 * (i / 8))) & 15;
        int hi = (sb[8 + i % 4] >> (2 * (i / 4))) & 3;
        scale[i] = (lo | hi << 4) - 32;
    }
}

static void q3_k(const uint8_t *b, float *y) {
    const uint8_t *hmask = b, *qs = b + 32;
    float d = half_at(b + 108);
    int scale[16];
    q3_k_scales(b + 96, scale);
    for (int h = 0; h < 2; h++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 2; k++) {
                float dl = d * (float)scale[8 * h + 2 * j + k];
                for (int l = 0; l < 16; l++) {
                    int q = (qs[32 * h + 16 * k + l] >> (2 * j)) & 3;
                    if (!(hmask[16 * k + l] & (1 << (4 * h + j))))
                        q -= 4;
                    y[128 * h + 32 * j + 16 * k + l] = dl * (float)q;
                }
            }
}

/* Scale and min of sub-block j (0..7) from the 12 scale bytes of Q4_K / Q5_K. */
static void scale_min_k4(int j, const uint8_t *sb, int *sc, int *m) {
    if (j < 4) {
        *sc = sb[j] & 63;
        *m = sb[j + 4] & 63;
    } else {
        *sc = (sb[j + 4] & 15) | (sb[j - 4] >> 6) << 4;
        *m = (sb[j + 4] >> 4) | (sb[j] >> 6) << 4;
    }
}

/* Q4_K (qh NULL) and Q5_K. */
static void q45_k(const uint8_t *sb, float d, float dmin, const uint8_t *qh, const uint8_t *qs,
                  float *y) {
    for (int s = 0; s < 8; s++) {
        int sc, m;
        scale_min_k4(s, sb, &sc, &m);
        float ds = d * (float)sc, ms = dmin * (float)m;
        const uint8_t *q = qs + 32 * (s / 2);
        int shift = 4 * (s % 2);
        for (int l = 0; l < 32; l++) {
            int v = (q[l] >> shift) & 15;
            if (qh && (qh[l] >> s & 1))
                v += 16;
            y[32 * s + l] = ds * (float)v - ms;
        }
    }
}

static void q4_k(const uint8_t *b, float *y) {
    q45_k(b + 4, half_at(b), half_at(b + 2), NULL, b + 16, y);
}

static void q5_k(const uint8_t *b, float *y) {
    q45_k(b + 4, half_at(b), half_at(b + 2), b + 16, b + 48, y);
}

static void q6_k(const uint8_t *b, float *y) {
    const int8_t *scales = (const int8_t *)(b + 192);
    float d = half_at(b + 208);
    for (int h = 0; h < 2; h++) {
        const uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
        for (int l = 0; l < 32; l++)
            for (int r = 0; r < 4; r++) {
                int low = (ql[l + 32 * (r % 2)] >> (4 * (r / 2))) & 15;
                int q = (low | ((qh[l] >> (2 * r)) & 3) << 4) - 32;
                int i = 128 * h + 32 * r + l;
                y[i] = d * (float)scales[i / 16] * (float)q;
            }
    }
}

static void iq4_xs(const uint8_t *b, float *y) {
    float d = half_at(b);
    uint16_t scales_h = le16(b + 2);
    const uint8_t *scales_l = b + 4, *qs = b + 8;
    for (int s = 0; s < 8; s++) {
        int ls = ((scales_l[s / 2] >> (4 * (s % 2))) & 15) | ((scales_h >> (2 * s)) & 3) << 4;
        float dl = d * (float)(ls - 32);
        for (int j = 0; j < 16; j++) {
            y[32 * s + j] = dl * (float)IQ4_VALUES[qs[16 * s + j] & 15];
            y[32 * s + j + 16] = dl * (float)IQ4_VALUES[qs[16 * s + j] >> 4];
        }
    }
}

typedef void (*block_fn)(const uint8_t *block, float *y);

static block_fn block_decoder(ats_wtype type) {
    switch (type) {
    case ATS_WTYPE_Q8_0:
        return q8_0;
    case ATS_WTYPE_Q4_0:
        return q4_0;
    case ATS_WTYPE_Q4_1:
        return q4_1;
    case ATS_WTYPE_Q5_0:
        return q5_0;
    case ATS_WTYPE_Q5_1:
        return q5_1;
    case ATS_WTYPE_Q2_K:
        return q2_k;
    case ATS_WTYPE_Q3_K:
        return q3_k;
    case ATS_WTYPE_Q4_K:
        return q4_k;
    case ATS_WTYPE_Q5_K:
        return q5_k;
    case ATS_WTYPE_Q6_K:
        return q6_k;
    case ATS_WTYPE_IQ4_NL:
        return iq4_nl;
    case ATS_WTYPE_IQ4_XS:
        return iq4_xs;
    default:
        return NULL;
    }
}

void ats_dequant(ats_wtype type, const uint8_t *src, size_t n, float *dst) {
    if (type == ATS_WTYPE_F32)
        memcpy(dst, src, n * sizeof(float));
    else if (!ats_dequant_avx2(type, src, n, dst))
        ats_dequant_ref(type, src, n, dst);
}

void ats_dequant_ref(ats_wtype type, const uint8_t *src, size_t n, float *dst) {
    switch (type) {
    case ATS_WTYPE_F32:
        memcpy(dst, src, n * sizeof(float));
        return;
    case ATS_WTYPE_F16:
        for (size_t i = 0; i < n; i++)
            dst[i] = ats_f16_to_f32(le16(src + 2 * i));
        return;
    case ATS_WTYPE_BF16:
        for (size_t i = 0; i < n; i++)
            dst[i] = ats_bf16_to_f32(le16(src + 2 * i));
        return;
    default:
        break;
    }
    block_fn decode = block_decoder(type);
    ATS_ASSERT(decode);
    size_t per = TYPES[type].block_elems, size = TYPES[type].block_bytes;
    for (size_t blk = 0; blk < n / per; blk++)
        decode(src + blk * size, dst + blk * per);
}

const float *ats_dequant_view(ats_model *model, const uint8_t *data, ats_wtype type, size_t n,
                              ats_error *err) {
    if (type == ATS_WTYPE_F32 && (uintptr_t)data % _Alignof(float) == 0)
        return (const float *)(const void *)data;
    float *copy = ats_model_alloc_floats(model, n, err);
    if (copy)
        ats_dequant(type, data, n, copy);
    return copy;
}

void ats_wtype_mix_name(unsigned mask, char *out, size_t size) {
    static const ats_wtype order[] = {
        ATS_WTYPE_Q2_K,   ATS_WTYPE_Q3_K, ATS_WTYPE_Q4_0, ATS_WTYPE_Q4_1, ATS_WTYPE_IQ4_NL,
        ATS_WTYPE_IQ4_XS, ATS_WTYPE_Q4_K, ATS_WTYPE_Q5_0, ATS_WTYPE_Q5_1, ATS_WTYPE_Q5_K,
        ATS_WTYPE_Q6_K,   ATS_WTYPE_Q8_0, ATS_WTYPE_BF16, ATS_WTYPE_F16,  ATS_WTYPE_F32};
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(mask & (1u << order[i])))
            continue;
        int n =
            snprintf(out + used, size - used, "%s%s", used ? "+" : "", ats_wtype_name(order[i]));
        if (n < 0 || (size_t)n >= size - used) {
            out[used] = '\0'; /* whole names only */
            return;
        }
        used += (size_t)n;
    }
    if (used == 0)
        snprintf(out, size, "none");
}
