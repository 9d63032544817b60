/* Weight types: half-precision decoding, Q8_0 and Q4_0 blocks worked by hand, sizes, views. */
#include "test_support.h"

#include "dequant.h"
#include "model.h"

#include <math.h>
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

static void test_dequant_sizes(void **state) {
    (void)state;
    uint64_t n;
    assert_true(ats_wtype_bytes(ATS_WTYPE_F32, 3, &n) && n == 12);
    assert_true(ats_wtype_bytes(ATS_WTYPE_BF16, 3, &n) && n == 6);
    assert_true(ats_wtype_bytes(ATS_WTYPE_Q8_0, 64, &n) && n == 68);
    assert_true(ats_wtype_bytes(ATS_WTYPE_Q4_0, 32, &n) && n == 18);
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dequant_f16_values),
        cmocka_unit_test(test_dequant_bf16_values),
        cmocka_unit_test(test_dequant_q8_0_block),
        cmocka_unit_test(test_dequant_q4_0_block),
        cmocka_unit_test(test_dequant_sizes),
        cmocka_unit_test(test_dequant_view_in_place_or_copied),
        cmocka_unit_test(test_dequant_mix_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
