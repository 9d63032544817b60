/* Weight types: half-precision decoding; a block of every quantized type built by hand from
 * ggml's published layout (values chosen, packed into bytes here, expected values worked out
 * from the chosen ones); the same decoders against the numpy reference of ../shared/tools on
 * random blocks; the vectorized decoders against the plain loops; sizes, views, names. */
#include "python_tools.h"
#include "test_support.h"

#include "dequant.h"
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_dequant_f16_values(void **state) {
    (void)state;
    const struct {
        uint16_t bits;
        float value;
    } cases[] = {
        {0x0000, 0.0f},
        {0x3c00, 1.0f},
        {0xc000, -2.0f},
        {0x3800, 0.5f},
        {0x3555, 0.333251953125f},
        {0x7bff, 65504.0f},
        {0x0400, 6.103515625e-05f},
        {0x0001, 5.9604644775390625e-08f},
        {0x03ff, 6.097555160522461e-05f},
        {0x8001, -5.9604644775390625e-08f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (ats_f16_to_f32(cases[i].bits) != cases[i].value)
            fail_msg("f16 0x%04x: got %.10g, expected %.10g", cases[i].bits,
                     (double)ats_f16_to_f32(cases[i].bits), (double)cases[i].value);
    assert_true(isinf(ats_f16_to_f32(0x7c00)) && ats_f16_to_f32(0x7c00) > 0);
    assert_true(isinf(ats_f16_to_f32(0xfc00)) && ats_f16_to_f32(0xfc00) < 0);
    assert_true(isnan(ats_f16_to_f32(0x7e00)));
    assert_true(signbit(ats_f16_to_f32(0x8000)) && ats_f16_to_f32(0x8000) == 0.0f);
}

static void test_dequant_bf16_values(void **state) {
    (void)state;
    assert_true(ats_bf16_to_f32(0x3f80) == 1.0f);
    assert_true(ats_bf16_to_f32(0xc040) == -3.0f);
    assert_true(ats_bf16_to_f32(0x3e80) == 0.25f);
    assert_true(ats_bf16_to_f32(0x0000) == 0.0f);
    assert_true(isinf(ats_bf16_to_f32(0x7f80)));
}

static void test_dequant_q8_0_block(void **state) {
    (void)state;
    uint8_t block[2 * 34];
    /* block 0: d = 0.5 (f16 0x3800), q[i] = i - 16; block 1: d = -2 (0xc000), q[i] = 127 - 8i */
    block[0] = 0x00, block[1] = 0x38;
    block[34] = 0x00, block[35] = 0xc0;
    for (int i = 0; i < 32; i++) {
        block[2 + i] = (uint8_t)(int8_t)(i - 16);
        block[36 + i] = (uint8_t)(int8_t)(127 - 8 * i);
    }
    float out[64];
    ats_dequant(ATS_WTYPE_Q8_0, block, 64, out);
    for (int i = 0; i < 32; i++) {
        assert_true(out[i] == 0.5f * (float)(i - 16));
        assert_true(out[32 + i] == -2.0f * (float)(127 - 8 * i));
    }
}

static void test_dequant_q4_0_block(void **state) {
    (void)state;
    uint8_t block[18];
    /* d = 2 (f16 0x4000); byte j: low nibble j (value j), high nibble 15 - j (value j + 16) */
    block[0] = 0x00, block[1] = 0x40;
    for (int j = 0; j < 16; j++)
        block[2 + j] = (uint8_t)(j | ((15 - j) << 4));
    float out[32];
    ats_dequant(ATS_WTYPE_Q4_0, block, 32, out);
    for (int j = 0; j < 16; j++) {
        assert_true(out[j] == 2.0f * (float)(j - 8));
        assert_true(out[j + 16] == 2.0f * (float)(15 - j - 8));
    }
}

/* ---- blocks built by hand ------------------------------------------------------------------
 * Each test chooses small integer codes and scales that are powers of two or small integers,
 * so every expected value is exact in float32 whatever the order of the operations. */

static uint32_t lcg = 12345;

static int pick(int lo, int hi) { /* an integer in [lo, hi] */
    lcg = lcg * 1664525u + 1013904223u;
    return lo + (int)((lcg >> 8) % (uint32_t)(hi - lo + 1));
}

static void put_half(uint8_t *p, uint16_t h) {
    p[0] = (uint8_t)h, p[1] = (uint8_t)(h >> 8);
}

enum { H_QUARTER = 0x3400, H_HALF = 0x3800, H_EIGHTH = 0x3000, H_TWO = 0x4000, H_M3 = 0xc200 };

/* Both the plain loops and ats_dequant (vectorized where the CPU allows) give `want`. */
static void expect_block(ats_wtype type, const uint8_t *blocks, size_t n, const float *want) {
    float *got = malloc(n * sizeof(float));
    assert_non_null(got);
    char what[64];
    ats_dequant_ref(type, blocks, n, got);
    snprintf(what, sizeof what, "%s plain loops", ats_wtype_name(type));
    ats_assert_close(got, want, n, 0.0, what);
    ats_dequant(type, blocks, n, got);
    snprintf(what, sizeof what, "%s ats_dequant", ats_wtype_name(type));
    ats_assert_close(got, want, n, 0.0, what);
    free(got);
}

/* 32 codes of 4 bits as Q4_0 packs them: code j in the low nibble of byte j, j + 16 high. */
static void pack_nibbles(uint8_t *qs, const int *code) {
    for (int j = 0; j < 16; j++)
        qs[j] = (uint8_t)(code[j] | code[j + 16] << 4);
}

static void test_dequant_q4_1_block(void **state) {
    (void)state;
    uint8_t b[20];
    int q[32];
    float want[32];
    put_half(b, H_HALF);   /* d = 0.5 */
    put_half(b + 2, H_M3); /* m = -3 */
    for (int i = 0; i < 32; i++) {
        q[i] = pick(0, 15);
        want[i] = 0.5f * (float)q[i] - 3.0f;
    }
    pack_nibbles(b + 4, q);
    expect_block(ATS_WTYPE_Q4_1, b, 32, want);
}

/* Q5_0 (with_min false) and Q5_1: 5-bit codes, the low 4 bits as Q4_0, bit 4 of code i as bit i
 * of the little-endian u32 qh. */
static void check_q5(bool with_min) {
    uint8_t b[24];
    int q[32], low[32];
    float want[32];
    uint32_t qh = 0;
    put_half(b, H_QUARTER);
    if (with_min)
        put_half(b + 2, H_TWO);
    for (int i = 0; i < 32; i++) {
        q[i] = pick(0, 31);
        low[i] = q[i] & 15;
        if (q[i] & 16)
            qh |= 1u << i;
        want[i] = with_min ? 0.25f * (float)q[i] + 2.0f : 0.25f * (float)(q[i] - 16);
    }
    uint8_t *p = b + (with_min ? 4 : 2);
    for (int k = 0; k < 4; k++)
        p[k] = (uint8_t)(qh >> (8 * k));
    pack_nibbles(p + 4, low);
    expect_block(with_min ? ATS_WTYPE_Q5_1 : ATS_WTYPE_Q5_0, b, 32, want);
}

static void test_dequant_q5_0_block(void **state) {
    (void)state;
    check_q5(false);
}

static void test_dequant_q5_1_block(void **state) {
    (void)state;
    check_q5(true);
}

static const int KVALUES[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                1,    13,   25,  38,  53,  69,  89,  113};

static void test_dequant_iq4_nl_block(void **state) {
    (void)state;
    uint8_t b[18];
    int k[32];
    float want[32];
    put_half(b, H_EIGHTH);
    for (int i = 0; i < 32; i++) {
        k[i] = pick(0, 15);
        want[i] = 0.125f * (float)KVALUES[k[i]];
    }
    pack_nibbles(b + 2, k);
    expect_block(ATS_WTYPE_IQ4_NL, b, 32, want);
}

/* Value i of a Q2_K / Q3_K super-block, i = 128 h + 32 j + 16 k + l: its 2 low bits sit in byte
 * 32 h + 16 k + l of qs at bit 2 j; it belongs to sub-block 8 h + 2 j + k. */
static void q2_position(int i, int *byte, int *shift, int *sub) {
    int h = i / 128, j = i % 128 / 32, k = i % 32 / 16, l = i % 16;
    *byte = 32 * h + 16 * k + l;
    *shift = 2 * j;
    *sub = 8 * h + 2 * j + k;
}

static void test_dequant_q2_k_block(void **state) {
    (void)state;
    uint8_t b[84] = {0};
    int sc[16], mn[16];
    float want[256];
    put_half(b + 80, H_HALF);   /* d */
    put_half(b + 82, H_EIGHTH); /* dmin */
    for (int s = 0; s < 16; s++) {
        sc[s] = pick(0, 15), mn[s] = pick(0, 15);
        b[s] = (uint8_t)(sc[s] | mn[s] << 4);
    }
    for (int i = 0; i < 256; i++) {
        int q = pick(0, 3), byte, shift, sub;
        q2_position(i, &byte, &shift, &sub);
        b[16 + byte] |= (uint8_t)(q << shift);
        want[i] = 0.5f * (float)sc[sub] * (float)q - 0.125f * (float)mn[sub];
    }
    expect_block(ATS_WTYPE_Q2_K, b, 256, want);
}

static void test_dequant_q3_k_block(void **state) {
    (void)state;
    uint8_t b[110] = {0};
    int scale[16]; /* six-bit s, used as s - 32 */
    float want[256];
    put_half(b + 108, H_QUARTER);
    for (int s = 0; s < 16; s++) {
        scale[s] = pick(0, 63);
        b[96 + s % 8] |= (uint8_t)((scale[s] & 15) << (4 * (s / 8)));
        b[96 + 8 + s % 4] |= (uint8_t)((scale[s] >> 4) << (2 * (s / 4)));
    }
    for (int i = 0; i < 256; i++) {
        int u = pick(0, 7), byte, shift, sub; /* 3-bit code: value u - 4 */
        q2_position(i, &byte, &shift, &sub);
        b[32 + byte] |= (uint8_t)((u & 3) << shift);
        /* the third bit: hmask byte 16 k + l (the qs byte's place within its 32), bit 4 h + j */
        if (u & 4)
            b[byte % 32] |= (uint8_t)(1 << (4 * (i / 128) + shift / 2));
        want[i] = 0.25f * (float)(scale[sub] - 32) * (float)(u - 4);
    }
    expect_block(ATS_WTYPE_Q3_K, b, 256, want);
}

/* Eight 6-bit scales and mins into the 12 bytes Q4_K / Q5_K keep them in. */
static void pack_scales_k4(uint8_t *p, const int *sc, const int *mn) {
    for (int j = 0; j < 4; j++) {
        p[j] = (uint8_t)(sc[j] | (sc[j + 4] >> 4) << 6);
        p[j + 4] = (uint8_t)(mn[j] | (mn[j + 4] >> 4) << 6);
        p[j + 8] = (uint8_t)((sc[j + 4] & 15) | (mn[j + 4] & 15) << 4);
    }
}

/* Q4_K (five false) and Q5_K. Value i is in sub-block s = i / 32; its low 4 bits are the low
 * nibble of qs[32 (s / 2) + i % 32] for even s, the high nibble for odd s; Q5_K's fifth bit is
 * bit s of qh[i % 32]. */
static void check_q45_k(bool five) {
    uint8_t b[176] = {0};
    uint8_t *qh = b + 16, *qs = b + (five ? 48 : 16);
    int sc[8], mn[8];
    float want[256];
    put_half(b, H_QUARTER);
    put_half(b + 2, H_HALF);
    for (int s = 0; s < 8; s++)
        sc[s] = pick(0, 63), mn[s] = pick(0, 63);
    pack_scales_k4(b + 4, sc, mn);
    for (int i = 0; i < 256; i++) {
        int s = i / 32, l = i % 32, q = pick(0, five ? 31 : 15);
        qs[32 * (s / 2) + l] |= (uint8_t)((q & 15) << (4 * (s % 2)));
        if (q & 16)
            qh[l] |= (uint8_t)(1 << s);
        want[i] = 0.25f * (float)sc[s] * (float)q - 0.5f * (float)mn[s];
    }
    expect_block(five ? ATS_WTYPE_Q5_K : ATS_WTYPE_Q4_K, b, 256, want);
}

static void test_dequant_q4_k_block(void **state) {
    (void)state;
    check_q45_k(false);
}

static void test_dequant_q5_k_block(void **state) {
    (void)state;
    check_q45_k(true);
}

static void test_dequant_q6_k_block(void **state) {
    (void)state;
    uint8_t b[210] = {0};
    int8_t sc[16];
    float want[256];
    put_half(b + 208, H_EIGHTH);
    for (int s = 0; s < 16; s++)
        b[192 + s] = (uint8_t)(sc[s] = (int8_t)pick(-128, 127));
    for (int i = 0; i < 256; i++) {
        /* value i = 128 h + 32 r + l: low nibble in ql[64 h + l + 32 (r % 2)] (high nibble when
         * r >= 2), top 2 bits at bit 2 r of qh[32 h + l]; 6-bit code q, value q - 32 */
        int h = i / 128, r = i % 128 / 32, l = i % 32, q = pick(0, 63);
        b[64 * h + l + 32 * (r % 2)] |= (uint8_t)((q & 15) << (4 * (r / 2)));
        b[128 + 32 * h + l] |= (uint8_t)((q >> 4) << (2 * r));
        want[i] = 0.125f * (float)sc[i / 16] * (float)(q - 32);
    }
    expect_block(ATS_WTYPE_Q6_K, b, 256, want);
}

static void test_dequant_iq4_xs_block(void **state) {
    (void)state;
    uint8_t b[136] = {0};
    int ls[8];
    float want[256];
    put_half(b, H_QUARTER);
    unsigned scales_h = 0;
    for (int s = 0; s < 8; s++) {
        ls[s] = pick(0, 63);
        b[4 + s / 2] |= (uint8_t)((ls[s] & 15) << (4 * (s % 2)));
        scales_h |= (unsigned)(ls[s] >> 4) << (2 * s);
    }
    put_half(b + 2, (uint16_t)scales_h);
    for (int s = 0; s < 8; s++) {
        int k[32];
        for (int j = 0; j < 32; j++) {
            k[j] = pick(0, 15);
            want[32 * s + j] = 0.25f * (float)(ls[s] - 32) * (float)KVALUES[k[j]];
        }
        pack_nibbles(b + 8 + 16 * s, k);
    }
    expect_block(ATS_WTYPE_IQ4_XS, b, 256, want);
}

/* ---- against the numpy reference ---------------------------------------------------------- */

/* ../shared/tools/gguf_quant.py decodes random blocks of every type (f16 scale fields made
 * finite); both decoders here must give the same bits. */
static const char *REFERENCE_SCRIPT =
    "import sys, numpy as np\n"
    "sys.path.insert(0, sys.argv[1]); import gguf_quant as gq\n"
    "rng = np.random.default_rng(2024)\n"
    "for t in sys.argv[3:]:\n"
    "    _, per, size = gq.TYPES[t]; nb = 97 if per > 1 else 1\n"
    "    if per == 1: raw = rng.integers(0, 256, (4096, size), dtype=np.uint8)\n"
    "    else:\n"
    "        raw = rng.integers(0, 256, (nb, size), dtype=np.uint8); rec = "
    "raw.view(gq.BLOCK[t]).reshape(-1)\n"
    "        for f in ('d', 'dmin', 'm'):\n"
    "            if f in rec.dtype.names: rec[f] = np.where(np.isfinite(rec[f]), rec[f], "
    "np.float16(0.5))\n"
    "    if t in ('F16', 'BF16'):\n"
    "        v = gq.dequantize(raw, t); raw.reshape(-1, 2)[~np.isfinite(v)] = 0\n"
    "    raw.tofile(f'{sys.argv[2]}/{t}.bin'); gq.dequantize(raw, "
    "t).tofile(f'{sys.argv[2]}/{t}.f32')\n";

static void test_dequant_matches_numpy_reference(void **state) {
    ats_require_numpy();
    ATS_REQUIRE_SHARED(tools, "tools/gguf_quant.py");
    *strrchr(tools, '/') = '\0';
    const char *dir = *state;
    const char *args[4 + ATS_WTYPE_COUNT] = {"-c", REFERENCE_SCRIPT, tools, dir};
    int n_args = 4;
    for (int t = 1; t < ATS_WTYPE_COUNT; t++)
        args[n_args++] = ats_wtype_name((ats_wtype)t);
    args[n_args] = NULL;
    ats_run_python(args);
    for (int t = 1; t < ATS_WTYPE_COUNT; t++) {
        char path[4096];
        size_t n_raw, n_want;
        snprintf(path, sizeof path, "%s/%s.bin", dir, ats_wtype_name((ats_wtype)t));
        uint8_t *raw = (uint8_t *)ats_read_file(path, &n_raw);
        snprintf(path, sizeof path, "%s/%s.f32", dir, ats_wtype_name((ats_wtype)t));
        float *want = (float *)(void *)ats_read_file(path, &n_want);
        assert_non_null(raw);
        assert_non_null(want);
        size_t n = n_want / sizeof(float);
        uint64_t bytes;
        assert_true(ats_wtype_bytes((ats_wtype)t, n, &bytes) && bytes == n_raw);
        expect_block((ats_wtype)t, raw, n, want);
        free(raw);
        free(want);
    }
}

/* ---- vectorized against plain -------------------------------------------------------------- */

static bool same_float(float a, float b) {
    uint32_t x, y;
    memcpy(&x, &a, sizeof x);
    memcpy(&y, &b, sizeof y);
    return x == y || (isnan(a) && isnan(b));
}

/* Random bytes (every f16 pattern may turn up as a scale: subnormals, infinities, NaN) decode to
 * the same bits both ways; lengths that end mid-vector for the element types. */
static void test_dequant_vectorized_equals_plain(void **state) {
    (void)state;
    enum { N = 256 * 40 };
    uint8_t *raw = malloc(N * 4);
    float *a = malloc(N * sizeof(float)), *b = malloc(N * sizeof(float));
    assert_true(raw && a && b);
    for (size_t i = 0; i < N * 4; i++)
        raw[i] = (uint8_t)pick(0, 255);
    bool any = false;
    for (int t = 1; t < ATS_WTYPE_COUNT; t++) {
        size_t n = ats_wtype_block_elems((ats_wtype)t) == 1 ? N - 5 : N;
        ats_dequant_ref((ats_wtype)t, raw, n, a);
        if (!ats_dequant_avx2((ats_wtype)t, raw, n, b))
            continue;
        any = true;
        for (size_t i = 0; i < n; i++)
            if (!same_float(a[i], b[i]))
                fail_msg("%s value %zu: plain %.9g, vectorized %.9g", ats_wtype_name((ats_wtype)t),
                         i, (double)a[i], (double)b[i]);
    }
    free(raw);
    free(a);
    free(b);
    if (!any) {
        print_message("skipped: no vectorized decoders on this CPU\n");
        skip();
    }
}

static void test_dequant_sizes(void **state) {
    (void)state;
    uint64_t n;
    assert_true(ats_wtype_bytes(ATS_WTYPE_F32, 3, &n) && n == 12);
    assert_true(ats_wtype_bytes(ATS_WTYPE_BF16, 3, &n) && n == 6);
    assert_true(ats_wtype_bytes(ATS_WTYPE_Q8_0, 64, &n) && n == 68);
    assert_true(ats_wtype_bytes(ATS_WTYPE_Q4_0, 32, &n) && n == 18);
    /* ggml-common.h's sizeof(block_*) */
    static const struct {
        ats_wtype type;
        uint64_t elems, bytes;
    } blocks[] = {{ATS_WTYPE_Q4_1, 32, 20},   {ATS_WTYPE_Q5_0, 32, 22},
                  {ATS_WTYPE_Q5_1, 32, 24},   {ATS_WTYPE_Q2_K, 256, 84},
                  {ATS_WTYPE_Q3_K, 256, 110}, {ATS_WTYPE_Q4_K, 256, 144},
                  {ATS_WTYPE_Q5_K, 256, 176}, {ATS_WTYPE_Q6_K, 256, 210},
                  {ATS_WTYPE_IQ4_NL, 32, 18}, {ATS_WTYPE_IQ4_XS, 256, 136}};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        assert_int_equal(ats_wtype_block_elems(blocks[i].type), blocks[i].elems);
        assert_true(ats_wtype_bytes(blocks[i].type, 2 * blocks[i].elems, &n) &&
                    n == 2 * blocks[i].bytes);
        assert_false(ats_wtype_bytes(blocks[i].type, blocks[i].elems + 32, &n) &&
                     blocks[i].elems == 256);
    }
    assert_false(ats_wtype_bytes(ATS_WTYPE_Q8_0, 33, &n));
    assert_false(ats_wtype_bytes(ATS_WTYPE_F32, UINT64_MAX / 2, &n));
    assert_int_equal(ats_wtype_block_elems(ATS_WTYPE_Q4_0), 32);
    assert_int_equal(ats_wtype_block_elems(ATS_WTYPE_F16), 1);
}

static void test_dequant_view_in_place_or_copied(void **state) {
    (void)state;
    ats_model *m = ats_model_new();
    ats_error err;
    float values[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    /* aligned float32: the bytes themselves */
    const float *view = ats_dequant_view(m, (const uint8_t *)values, ATS_WTYPE_F32, 8, &err);
    assert_ptr_equal(view, values);
    /* misaligned float32: a copy with the same values */
    uint8_t raw[40];
    memcpy(raw + 1, values, 8 * sizeof(float));
    view = ats_dequant_view(m, raw + 1, ATS_WTYPE_F32, 8, &err);
    assert_ptr_not_equal(view, (const float *)(const void *)(raw + 1));
    assert_memory_equal(view, values, 8 * sizeof(float));
    /* F16: converted */
    uint8_t half[4] = {0x00, 0x3c, 0x00, 0xc0};
    view = ats_dequant_view(m, half, ATS_WTYPE_F16, 2, &err);
    assert_true(view[0] == 1.0f && view[1] == -2.0f);
    ats_model_free(m);
}

static void test_dequant_mix_names(void **state) {
    (void)state;
    char name[32];
    ats_wtype_mix_name(1u << ATS_WTYPE_F32, name, sizeof name);
    assert_string_equal(name, "F32");
    ats_wtype_mix_name((1u << ATS_WTYPE_F32) | (1u << ATS_WTYPE_Q8_0), name, sizeof name);
    assert_string_equal(name, "Q8_0+F32");
    ats_wtype_mix_name((1u << ATS_WTYPE_F32) | (1u << ATS_WTYPE_F16) | (1u << ATS_WTYPE_Q4_0), name,
                       sizeof name);
    assert_string_equal(name, "Q4_0+F16+F32");
    ats_wtype_mix_name(0, name, sizeof name);
    assert_string_equal(name, "none");
    ats_wtype_mix_name((1u << ATS_WTYPE_F32) | (1u << ATS_WTYPE_BF16), name, 6);
    assert_string_equal(name, "BF16"); /* cut at a whole name when the buffer is short */
}

static int setup(void **state) {
    *state = ats_make_temp_dir();
    return 0;
}

static int teardown(void **state) {
    ats_rmtree(*state);
    free(*state);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dequant_f16_values),
        cmocka_unit_test(test_dequant_bf16_values),
        cmocka_unit_test(test_dequant_q8_0_block),
        cmocka_unit_test(test_dequant_q4_0_block),
        cmocka_unit_test(test_dequant_q4_1_block),
        cmocka_unit_test(test_dequant_q5_0_block),
        cmocka_unit_test(test_dequant_q5_1_block),
        cmocka_unit_test(test_dequant_iq4_nl_block),
        cmocka_unit_test(test_dequant_q2_k_block),
        cmocka_unit_test(test_dequant_q3_k_block),
        cmocka_unit_test(test_dequant_q4_k_block),
        cmocka_unit_test(test_dequant_q5_k_block),
        cmocka_unit_test(test_dequant_q6_k_block),
        cmocka_unit_test(test_dequant_iq4_xs_block),
        cmocka_unit_test_setup_teardown(test_dequant_matches_numpy_reference, setup, teardown),
        cmocka_unit_test(test_dequant_vectorized_equals_plain),
        cmocka_unit_test(test_dequant_sizes),
        cmocka_unit_test(test_dequant_view_in_place_or_copied),
        cmocka_unit_test(test_dequant_mix_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
