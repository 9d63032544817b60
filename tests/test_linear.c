/* Linear maps over weights in every stored encoding against the same product computed the
 * memory-hungry way: the whole matrix decoded to float32 by ats_dequant_ref, then one
 * cblas_sgemm. Both paths (fused tiles, decoded panels) at several numbers of rows, several
 * panels, column ranges, row strides, output ranges (GPT-2's split of c_attn), [in][out] half
 * storage, the tile kernel against its plain twin, and row lookups. */
#include "test_support.h"

#include "dequant.h"
#include "linear.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint32_t lcg = 777;

static uint32_t next_random(void) {
    lcg = lcg * 1664525u + 1013904223u;
    return lcg >> 8;
}

static void fill_random(float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(next_random() % 2001) / 1000.0f - 1.0f;
}

/* `rows` rows of n_in values of `type` (rows of ld values apart), random bytes; a block whose
 * random f16 scales make values non-finite or huge is zeroed (it decodes to zeros). */
static uint8_t *random_matrix(ats_wtype type, int rows, int ld) {
    uint64_t bytes;
    assert_true(ats_wtype_bytes(type, (uint64_t)rows * ld, &bytes));
    uint8_t *w = malloc(bytes);
    assert_non_null(w);
    for (uint64_t i = 0; i < bytes; i++)
        w[i] = (uint8_t)next_random();
    size_t per = ats_wtype_block_elems(type), size = ats_wtype_block_bytes(type);
    float block[256];
    for (size_t b = 0; b < bytes / size; b++) {
        if (type == ATS_WTYPE_F32) { /* random float bits: keep only tame ones */
            float v;
            memcpy(&v, w + 4 * b, 4);
            if (!(fabsf(v) < 1e4f))
                memset(w + 4 * b, 0, 4);
            continue;
        }
        ats_dequant_ref(type, w + b * size, per, block);
        for (size_t i = 0; i < per; i++) {
            if (!(fabsf(block[i]) < 1e4f)) {
                memset(w + b * size, 0, size);
                break;
            }
        }
    }
    return w;
}

/* want (T, n_out) = x (T, n_in) . W^T + b with W decoded whole: dense (n_out, n_in). */
static void product_the_long_way(const ats_linear *lin, const float *x, int T, float *want) {
    float *dense = malloc((size_t)lin->n_out * lin->n_in * sizeof(float));
    assert_non_null(dense);
    for (int o = 0; o < lin->n_out; o++) { /* row o, read through the layout by hand */
        float *row = dense + (size_t)o * lin->n_in;
        size_t elem = ats_wtype_block_bytes(lin->type);
        if (lin->in_major) {
            for (int i = 0; i < lin->n_in; i++)
                ats_dequant_ref(lin->type,
                                (const uint8_t *)lin->w + ((size_t)i * lin->ld + o) * elem, 1,
                                row + i);
        } else {
            size_t row_bytes = (size_t)lin->ld / ats_wtype_block_elems(lin->type) * elem;
            ats_dequant_ref(lin->type, (const uint8_t *)lin->w + (size_t)o * row_bytes,
                            (size_t)lin->n_in, row);
        }
    }
    for (int t = 0; t < T; t++)
        for (int o = 0; o < lin->n_out; o++)
            want[(size_t)t * lin->n_out + o] = lin->b ? lin->b[o] : 0.0f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, lin->n_out, lin->n_in, 1.0f, x,
                lin->n_in, dense, lin->n_in, 1.0f, want, lin->n_out);
    free(dense);
}

/* Columns o0..o1 of ats_linear_apply_path on T rows equal the long way, up to float rounding
 * relative to the largest output; the other columns of y stay untouched. */
static void expect_cols(const ats_linear *lin, int T, int o0, int o1, ats_linear_path path,
                        const char *what) {
    size_t ny = (size_t)T * lin->n_out;
    float *x = malloc((size_t)T * lin->n_in * sizeof(float));
    float *got = malloc(ny * sizeof(float)), *want = malloc(ny * sizeof(float));
    assert_true(x && got && want);
    fill_random(x, (size_t)T * lin->n_in);
    product_the_long_way(lin, x, T, want);
    for (size_t i = 0; i < ny; i++)
        got[i] = -7.0f;
    ats_linear_apply_path(lin, x, T, got, o0, o1, path);
    double max = 0;
    for (int t = 0; t < T; t++)
        for (int o = 0; o < lin->n_out; o++) {
            size_t i = (size_t)t * lin->n_out + o;
            if (o < o0 || o >= o1)
                want[i] = -7.0f;
            max = fmax(max, fabs(want[i]));
        }
    static const char *paths[] = {"auto", "tiles", "panels"};
    char label[160];
    snprintf(label, sizeof label, "%s %s, %s, %d rows, columns %d..%d", what,
             ats_wtype_name(lin->type), paths[path], T, o0, o1);
    ats_assert_close(got, want, ny, 1e-5 * (1.0 + max), label);
    free(x);
    free(got);
    free(want);
}

/* Every path at T rows over all columns. */
static void expect_product(const ats_linear *lin, int T, const char *what) {
    for (int path = ATS_LINEAR_AUTO; path <= ATS_LINEAR_PANELS; path++)
        expect_cols(lin, T, 0, lin->n_out, (ats_linear_path)path, what);
}

static void test_linear_every_type_matches_dequantize_then_sgemm(void **state) {
    (void)state;
    enum { OUT = 40, IN = 512 };
    float bias[OUT];
    fill_random(bias, OUT);
    for (int t = 0; t < ATS_WTYPE_COUNT; t++) {
        uint8_t *w = random_matrix((ats_wtype)t, OUT, IN);
        ats_linear lin = {
            .w = w, .type = (ats_wtype)t, .b = bias, .n_out = OUT, .n_in = IN, .ld = IN};
        /* the tiles take two rows of x at a time and up to 64 in one pass */
        static const int rows[] = {1, 2, 3, 17, 70};
        for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
            expect_product(&lin, rows[k], "[out][in]");
        lin.b = NULL;
        expect_product(&lin, 5, "no bias");
        free(w);
    }
}

static void test_linear_half_rows_of_any_length(void **state) {
    (void)state;
    /* rows of 100 (and 300: a chunk of 256 and 44) values end mid-vector */
    static const int lengths[] = {100, 300};
    for (size_t k = 0; k < 2; k++) {
        for (int t = ATS_WTYPE_F16; t <= ATS_WTYPE_BF16; t++) {
            int in = lengths[k];
            uint8_t *w = random_matrix((ats_wtype)t, 9, in);
            ats_linear lin = {.w = w, .type = (ats_wtype)t, .n_out = 9, .n_in = in, .ld = in};
            expect_product(&lin, 3, "short rows");
            expect_product(&lin, 20, "short rows");
            free(w);
        }
    }
}

static void test_linear_several_panels(void **state) {
    (void)state;
    /* 600 rows of 8192 values: panels of 2^21 / 8192 = 256 rows, so 256 + 256 + 88 */
    enum { OUT = 600, IN = 8192 };
    static const ats_wtype types[] = {ATS_WTYPE_Q4_K, ATS_WTYPE_F16};
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        uint8_t *w = random_matrix(types[k], OUT, IN);
        ats_linear lin = {.w = w, .type = types[k], .n_out = OUT, .n_in = IN, .ld = IN};
        expect_cols(&lin, 20, 0, OUT, ATS_LINEAR_PANELS, "600 x 8192");
        expect_cols(&lin, 20, 100, 500, ATS_LINEAR_PANELS, "600 x 8192");
        free(w);
    }
}

static void test_linear_column_ranges(void **state) {
    (void)state;
    /* ranges that split the tiles' groups of four rows and the panels */
    enum { OUT = 37, IN = 256 };
    float bias[OUT];
    fill_random(bias, OUT);
    uint8_t *w = random_matrix(ATS_WTYPE_Q6_K, OUT, IN);
    ats_linear lin = {
        .w = w, .type = ATS_WTYPE_Q6_K, .b = bias, .n_out = OUT, .n_in = IN, .ld = IN};
    static const int ranges[][2] = {{0, 37}, {0, 5}, {5, 18}, {18, 37}, {36, 37}};
    for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++)
        for (int path = ATS_LINEAR_TILES; path <= ATS_LINEAR_PANELS; path++)
            expect_cols(&lin, 7, ranges[k][0], ranges[k][1], (ats_linear_path)path, "range");
    free(w);
}

/* The AVX2 tile kernel sums as its plain twin does, lane by lane (fused multiply-adds differ
 * from the twin's separate multiply and add only in rounding). */
static void test_linear_tile_kernel(void **state) {
    (void)state;
    enum { LDX = 300, T = 5 };
    float w[ATS_TILE_ROWS * ATS_TILE_CHUNK], x[T * LDX];
    fill_random(w, ATS_TILE_ROWS * ATS_TILE_CHUNK);
    fill_random(x, T * LDX);
    for (int R = 1; R <= ATS_TILE_ROWS; R++) {
        float a[T * ATS_TILE_ROWS * 8], b[T * ATS_TILE_ROWS * 8];
        fill_random(a, T * ATS_TILE_ROWS * 8);
        memcpy(b, a, sizeof a);
        ats_dot_tile_ref(w, R, x, LDX, T, 248, a);
        if (!ats_dot_tile_avx2(w, R, x, LDX, T, 248, b)) {
            print_message("skipped: no AVX2 tile kernel on this CPU\n");
            skip();
        }
        ats_assert_close(b, a, T * ATS_TILE_ROWS * 8, 1e-5, "tile lanes");
    }
}

static void test_linear_row_stride_and_output_range(void **state) {
    (void)state;
    /* rows of 96 values stored 160 apart (whole Q8_0 blocks), outputs 7..25 of 30 */
    enum { OUT = 30, IN = 96, LD = 160 };
    float bias[OUT];
    fill_random(bias, OUT);
    uint8_t *w = random_matrix(ATS_WTYPE_Q8_0, OUT, LD);
    ats_linear all = {
        .w = w, .type = ATS_WTYPE_Q8_0, .b = bias, .n_out = OUT, .n_in = IN, .ld = LD};
    expect_product(&all, 4, "strided rows");
    ats_linear part = ats_linear_outputs(&all, 7, 18);
    assert_int_equal(part.n_out, 18);
    assert_ptr_equal(part.b, bias + 7);
    expect_product(&part, 4, "outputs 7..25");
    free(w);
}

static void test_linear_in_major_half(void **state) {
    (void)state;
    /* GPT-2 Conv1D: W^T stored (n_in, 3 D) in F16 and BF16; the q, k, v thirds as output ranges */
    enum { D = 48, IN = 48 };
    float bias[3 * D];
    fill_random(bias, 3 * D);
    static const ats_wtype types[] = {ATS_WTYPE_F16, ATS_WTYPE_BF16};
    for (size_t k = 0; k < 2; k++) {
        uint8_t *w = random_matrix(types[k], IN, 3 * D);
        ats_linear qkv = {.w = w,
                          .type = types[k],
                          .b = bias,
                          .n_out = 3 * D,
                          .n_in = IN,
                          .ld = 3 * D,
                          .in_major = true};
        for (int part = 0; part < 3; part++) {
            ats_linear third = ats_linear_outputs(&qkv, part * D, D);
            expect_product(&third, 1, "[in][out] third");
            expect_product(&third, 9, "[in][out] third");
        }
        free(w);
    }
}

static void test_linear_row_lookup(void **state) {
    (void)state;
    enum { OUT = 12, IN = 256 };
    for (int t = 0; t < ATS_WTYPE_COUNT; t++) {
        uint8_t *w = random_matrix((ats_wtype)t, OUT, IN);
        ats_linear lin = {.w = w, .type = (ats_wtype)t, .n_out = OUT, .n_in = IN, .ld = IN};
        float all[OUT * IN], row[IN];
        ats_dequant_ref((ats_wtype)t, w, OUT * IN, all);
        for (int o = 0; o < OUT; o += 5) {
            ats_linear_row(&lin, o, row);
            ats_assert_close(row, all + o * IN, IN, 0.0, ats_wtype_name((ats_wtype)t));
        }
        free(w);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_every_type_matches_dequantize_then_sgemm),
        cmocka_unit_test(test_linear_half_rows_of_any_length),
        cmocka_unit_test(test_linear_several_panels),
        cmocka_unit_test(test_linear_column_ranges),
        cmocka_unit_test(test_linear_tile_kernel),
        cmocka_unit_test(test_linear_row_stride_and_output_range),
        cmocka_unit_test(test_linear_in_major_half),
        cmocka_unit_test(test_linear_row_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
