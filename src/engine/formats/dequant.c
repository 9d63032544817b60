#include "dequant.h"
#include "base.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { QBLOCK = 32 };

const char *ats_wtype_name(ats_wtype type) {
    switch (type) {
    case ATS_WTYPE_F32:
        return "F32";
    case ATS_WTYPE_F16:
        return "F16";
    case ATS_WTYPE_BF16:
        return "BF16";
    case ATS_WTYPE_Q8_0:
        return "Q8_0";
    case ATS_WTYPE_Q4_0:
        return "Q4_0";
    case ATS_WTYPE_COUNT:
        break;
    }
    return "unknown";
}

uint64_t ats_wtype_block_elems(ats_wtype type) {
    return type == ATS_WTYPE_Q8_0 || type == ATS_WTYPE_Q4_0 ? QBLOCK : 1;
}

static uint64_t block_bytes(ats_wtype type) {
    switch (type) {
    case ATS_WTYPE_F32:
        return 4;
    case ATS_WTYPE_F16:
    case ATS_WTYPE_BF16:
        return 2;
    case ATS_WTYPE_Q8_0:
        return 2 + QBLOCK;
    case ATS_WTYPE_Q4_0:
        return 2 + QBLOCK / 2;
    case ATS_WTYPE_COUNT:
        break;
    }
    return 0;
}

bool ats_wtype_bytes(ats_wtype type, uint64_t n, uint64_t *bytes) {
    uint64_t per = ats_wtype_block_elems(type), size = block_bytes(type);
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

static void dequant_q8_0(const uint8_t *src, size_t n, float *dst) {
    for (size_t blk = 0; blk < n / QBLOCK; blk++) {
        const uint8_t *b = src + blk * (2 + QBLOCK);
        float d = ats_f16_to_f32(le16(b));
        for (int i = 0; i < QBLOCK; i++)
            dst[blk * QBLOCK + i] = d * (float)(int8_t)b[2 + i];
    }
}

static void dequant_q4_0(const uint8_t *src, size_t n, float *dst) {
    for (size_t blk = 0; blk < n / QBLOCK; blk++) {
        const uint8_t *b = src + blk * (2 + QBLOCK / 2);
        float d = ats_f16_to_f32(le16(b));
        float *out = dst + blk * QBLOCK;
        for (int j = 0; j < QBLOCK / 2; j++) {
            out[j] = d * (float)((b[2 + j] & 0x0f) - 8);
            out[j + QBLOCK / 2] = d * (float)((b[2 + j] >> 4) - 8);
        }
    }
}

void ats_dequant(ats_wtype type, const uint8_t *src, size_t n, float *dst) {
    switch (type) {
    case ATS_WTYPE_F32:
        memcpy(dst, src, n * sizeof(float));
        break;
    case ATS_WTYPE_F16:
        for (size_t i = 0; i < n; i++)
            dst[i] = ats_f16_to_f32(le16(src + 2 * i));
        break;
    case ATS_WTYPE_BF16:
        for (size_t i = 0; i < n; i++)
            dst[i] = ats_bf16_to_f32(le16(src + 2 * i));
        break;
    case ATS_WTYPE_Q8_0:
        dequant_q8_0(src, n, dst);
        break;
    case ATS_WTYPE_Q4_0:
        dequant_q4_0(src, n, dst);
        break;
    case ATS_WTYPE_COUNT:
        ATS_ASSERT(!"not a weight type");
    }
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
    static const ats_wtype order[] = {ATS_WTYPE_Q4_0, ATS_WTYPE_Q8_0, ATS_WTYPE_BF16, ATS_WTYPE_F16,
                                      ATS_WTYPE_F32};
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
