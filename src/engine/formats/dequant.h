/* Stored weight types and their conversion to the float32 the forward pass reads.
 *
 * Block layouts (ggml, little-endian):
 *   Q8_0: 34 bytes per 32 values: f16 scale d, then 32 int8 q;         x[i] = d * q[i]
 *   Q4_0: 18 bytes per 32 values: f16 scale d, then 16 bytes of nibbles; byte j holds value j in
 *         its low nibble and value j + 16 in its high nibble, each stored as q + 8:
 *         x[j] = d * ((b[j] & 15) - 8),  x[j + 16] = d * ((b[j] >> 4) - 8)
 */
#ifndef ATS_ENGINE_DEQUANT_H
#define ATS_ENGINE_DEQUANT_H

#include "model.h"

typedef enum ats_wtype {
    ATS_WTYPE_F32,
    ATS_WTYPE_F16,
    ATS_WTYPE_BF16,
    ATS_WTYPE_Q8_0,
    ATS_WTYPE_Q4_0,
    ATS_WTYPE_COUNT
} ats_wtype;

const char *ats_wtype_name(ats_wtype type);

/* Values per block (1 for the float types, 32 for Q8_0 and Q4_0). */
uint64_t ats_wtype_block_elems(ats_wtype type);

/* Bytes that n values of `type` occupy; false when n is not a whole number of blocks or the size
 * overflows. */
bool ats_wtype_bytes(ats_wtype type, uint64_t n, uint64_t *bytes);

float ats_f16_to_f32(uint16_t h);
float ats_bf16_to_f32(uint16_t h);

/* dst (n) = the n values stored at src as `type`; n is a whole number of blocks. */
void ats_dequant(ats_wtype type, const uint8_t *src, size_t n, float *dst);

/* A float32 view of n values stored at `data` as `type` (inside a mapping the model keeps): the
 * bytes themselves when they are float32 aligned for float access, otherwise a converted copy
 * the model owns. NULL (with err filled) when memory runs out. */
const float *ats_dequant_view(ats_model *model, const uint8_t *data, ats_wtype type, size_t n,
                              ats_error *err);

/* The stored types of a model for info, from a bit set of (1 << ats_wtype): quantized types
 * first, then half types, then F32, joined by '+' ("Q8_0+F32", "F16+F32", "F32"). */
void ats_wtype_mix_name(unsigned mask, char *out, size_t size);

#endif
