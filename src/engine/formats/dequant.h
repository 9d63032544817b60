/* Stored weight types (float, half and ggml's block quantizations) and their decoding to the
 * float32 the forward pass computes with.
 *
 * Block layouts (ggml-common.h; little-endian; f16 is an IEEE half; x is a decoded value):
 *   Q8_0   34 B / 32 values: f16 d, i8 q[32].                           x[i] = d q[i]
 *   Q4_0   18 B / 32: f16 d, u8 qs[16]; value j in the low nibble of byte j, value j + 16 in its
 *          high nibble.                                                 x = d (nibble - 8)
 *   Q4_1   20 B / 32: f16 d, f16 m, u8 qs[16]; nibbles as Q4_0.         x = d q + m
 *   Q5_0   22 B / 32: f16 d, u32 qh, u8 qs[16]; q = nibble as Q4_0 | (bit i of qh) << 4 for
 *          value i.                                                     x = d (q - 16)
 *   Q5_1   24 B / 32: f16 d, f16 m, u32 qh, u8 qs[16]; q as Q5_0.       x = d q + m
 *   IQ4_NL 18 B / 32: f16 d, u8 qs[16]; nibbles as Q4_0 index
 *          K = {-127 -104 -83 -65 -49 -35 -22 -10 1 13 25 38 53 69 89 113}. x = d K[nibble]
 * Super-blocks of 256 values (the K quants) of sub-blocks with their own scales:
 *   Q2_K   84 B: u8 scales[16], u8 qs[64], f16 d, f16 dmin. Value 128h + 32j + 16k + l (h < 2,
 *          j < 4, k < 2, l < 16) is in sub-block s = 8h + 2j + k; its 2 bits q sit at bit 2j of
 *          qs[32h + 16k + l]; sc = scales[s] & 15, m = scales[s] >> 4.  x = d sc q - dmin m
 *   Q3_K   110 B: u8 hmask[32], u8 qs[64], u8 scales[12], f16 d. Sixteen 6-bit scales s: the
 *          low 4 bits of scale i in byte i % 8 (nibble i / 8), the high 2 bits in byte
 *          8 + i % 4 (bits 2 (i / 4)). Positions and low 2 bits q as Q2_K; the third bit is
 *          bit 4h + j of hmask[16k + l]; when it is clear, 4 is taken off.
 *                                                                       x = d (s - 32) (q - 4?)
 *   Q4_K   144 B: f16 d, f16 dmin, u8 scales[12], u8 qs[128]. Eight sub-blocks of 32 with a
 *          6-bit scale sc and min m (get_scale_min_k4 over bytes b: for j < 4, sc = b[j] & 63,
 *          m = b[j + 4] & 63; for j >= 4, sc = (b[j + 4] & 15) | (b[j - 4] >> 6) << 4,
 *          m = (b[j + 4] >> 4) | (b[j] >> 6) << 4). Values 64g .. 64g + 31 are the low
 *          nibbles of qs[32g .. 32g + 31] (sub-block 2g), the next 32 their high nibbles.
 *                                                                       x = d sc q - dmin m
 *   Q5_K   176 B: f16 d, f16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]. As Q4_K, plus 16 when
 *          bit s of qh[l] is set, for value l of sub-block s.
 *   Q6_K   210 B: u8 ql[128], u8 qh[64], i8 scales[16], f16 d. In half h (128 values), for
 *          l < 32, values l, l + 32, l + 64, l + 96 take the low nibbles of ql[64h + l] and
 *          ql[64h + l + 32], then their high nibbles, each with bits 2r..2r+1 of qh[32h + l]
 *          on top (r = 0..3); value i has scale sc = scales[i / 16].    x = d sc (q - 32)
 *   IQ4_XS 136 B: f16 d, u16 scales_h, u8 scales_l[4], u8 qs[128]. Sub-block s (32 values) has
 *          ls = (nibble s % 2 of scales_l[s / 2]) | (bits 2s..2s+1 of scales_h) << 4 and its
 *          values as IQ4_NL over qs[16s .. 16s + 15].                   x = d (ls - 32) K[nibble]
 *
 * Thread use: any function from any thread (no state but the remembered CPU check).
 */
#ifndef ATS_ENGINE_DEQUANT_H
#define ATS_ENGINE_DEQUANT_H

#include "attnscope/engine.h"

typedef enum ats_wtype {
    ATS_WTYPE_F32 = 0, /* zero: a zeroed ats_linear holds float32 */
    ATS_WTYPE_F16,
    ATS_WTYPE_BF16,
    ATS_WTYPE_Q8_0,
    ATS_WTYPE_Q4_0,
    ATS_WTYPE_Q4_1,
    ATS_WTYPE_Q5_0,
    ATS_WTYPE_Q5_1,
    ATS_WTYPE_Q2_K,
    ATS_WTYPE_Q3_K,
    ATS_WTYPE_Q4_K,
    ATS_WTYPE_Q5_K,
    ATS_WTYPE_Q6_K,
    ATS_WTYPE_IQ4_NL,
    ATS_WTYPE_IQ4_XS,
    ATS_WTYPE_COUNT
} ats_wtype;

/* "F32", "Q4_K", ... as ggml names them. */
const char *ats_wtype_name(ats_wtype type);

/* Values per block (1 for the float types, 32 or 256 for the block types). */
uint64_t ats_wtype_block_elems(ats_wtype type);
/* Bytes per block (4 for F32, 2 for F16/BF16). */
uint64_t ats_wtype_block_bytes(ats_wtype type);

/* Bytes that n values of `type` occupy; false when n is not a whole number of blocks or the size
 * overflows. */
bool ats_wtype_bytes(ats_wtype type, uint64_t n, uint64_t *bytes);

float ats_f16_to_f32(uint16_t h);
float ats_bf16_to_f32(uint16_t h);

/* dst (n) = the n values stored at src as `type`; n is a whole number of blocks. src needs no
 * alignment. On CPUs with AVX2 and F16C this runs ats_dequant_avx2, else ats_dequant_ref. */
void ats_dequant(ats_wtype type, const uint8_t *src, size_t n, float *dst);
/* The plain loops: the layouts above read literally (the oracle for the vectorized version). */
void ats_dequant_ref(ats_wtype type, const uint8_t *src, size_t n, float *dst);
/* The vectorized decoders (dequant_avx2.c): the same floats, bit for bit; false (dst untouched)
 * unless ats_cpu_avx2(). */
bool ats_dequant_avx2(ats_wtype type, const uint8_t *src, size_t n, float *dst);
/* True when the build is for x86-64 and the CPU (and OS) run AVX2, FMA and F16C, what every
 * vectorized kernel (these decoders, linear.c's tiles) needs. Asked once, then remembered. */
bool ats_cpu_avx2(void);

/* A float32 view of n values stored at `data` as `type` (inside a mapping the model keeps): the
 * bytes themselves when they are float32 aligned for float access, otherwise a converted copy
 * the model owns. NULL (with err filled) when memory runs out. For small tensors (norms, biases,
 * position tables); weight matrices stay in their encoding (ats_linear). */
const float *ats_dequant_view(ats_model *model, const uint8_t *data, ats_wtype type, size_t n,
                              ats_error *err);

/* The stored types of a model for info, from a bit set of (1 << ats_wtype): quantized types
 * first, then half types, then F32, joined by '+' ("Q4_K+Q6_K+F32", "F16+F32", "F32"). */
void ats_wtype_mix_name(unsigned mask, char *out, size_t size);

#endif
