/* Tensor ops against their plain-loop twins and against numbers worked out by hand, and one
 * attention head computed on paper run through the real forward pass. */
#include "test_support.h"

#include "model.h"
#include "ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fill_random(float *x, size_t n, unsigned seed) {
    srand(seed);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)rand() / (float)RAND_MAX * 2.0f - 1.0f;
}

/* ---- matrix products ---------------------------------------------------------------------- */

/* Both layouts of B, with alpha and beta, for one and two rows (matrix-vector products) and
 * more (a matrix product). */
static void test_ops_gemm_matches_plain_loop(void **state) {
    (void)state;
    enum { MAX_M = 7, N = 5, K = 9, LD = 11 };
    float A[MAX_M * LD], Bt[N * LD], B[K * LD], C[MAX_M * N], C_ref[MAX_M * N];
    fill_random(A, MAX_M * LD, 1);
    fill_random(Bt, N * LD, 2);
    fill_random(B, K * LD, 3);
    const int rows[] = {1, 2, MAX_M};
    for (int r = 0; r < 3; r++)
        for (int trans = 0; trans <= 1; trans++) {
            int M = rows[r];
            const float *b = trans ? Bt : B;
            fill_random(C, MAX_M * N, 4);
            memcpy(C_ref, C, sizeof C);
            ats_gemm(trans, M, N, K, 0.5f, A, LD, b, LD, 2.0f, C, N);
            ats_gemm_ref(trans, M, N, K, 0.5f, A, LD, b, LD, 2.0f, C_ref, N);
            ats_assert_close(C, C_ref, MAX_M * N, 1e-5, trans ? "gemm A.B^T" : "gemm A.B");
        }
}

static void test_ops_gemm_by_hand(void **state) {
    (void)state;
    /* [1 2; 3 4] . [5 6; 7 8]^T = [1*5+2*6, 1*7+2*8; 3*5+4*6, 3*7+4*8] */
    const float A[] = {1, 2, 3, 4}, B[] = {5, 6, 7, 8};
    const float expected[] = {17, 23, 39, 53};
    float C[4];
    ats_gemm(true, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2);
    ats_assert_close(C, expected, 4, 0, "2x2 product");
}

static void test_ops_linear_layouts_agree(void **state) {
    (void)state;
    /* The same W (n_out 3, n_in 4) stored [out][in] and [in][out] inside a wider buffer. */
    enum { T = 5, OUT = 3, IN = 4, LD_IN_MAJOR = 9 };
    float w[OUT * IN], w_t[IN * LD_IN_MAJOR], b[OUT], x[T * IN];
    fill_random(w, OUT * IN, 5);
    fill_random(b, OUT, 6);
    fill_random(x, T * IN, 7);
    memset(w_t, 0, sizeof w_t);
    for (int o = 0; o < OUT; o++)
        for (int i = 0; i < IN; i++)
            w_t[i * LD_IN_MAJOR + 2 + o] = w[o * IN + i]; /* columns 2..4 of each row */
    ats_linear out_major = {.w = w, .b = b, .n_out = OUT, .n_in = IN, .ld = IN};
    ats_linear in_major = {
        .w = w_t + 2, .b = b, .n_out = OUT, .n_in = IN, .ld = LD_IN_MAJOR, .in_major = true};
    float y1[T * OUT], y2[T * OUT], y_ref[T * OUT];
    ats_linear_apply(&out_major, x, T, y1);
    ats_linear_apply(&in_major, x, T, y2);
    ats_linear_apply_ref(&out_major, x, T, y_ref);
    ats_assert_close(y1, y_ref, T * OUT, 1e-5, "[out][in] linear vs loop");
    ats_assert_close(y2, y_ref, T * OUT, 1e-5, "[in][out] linear vs loop");
    ats_linear_apply_ref(&in_major, x, T, y2);
    ats_assert_close(y2, y_ref, T * OUT, 1e-5, "[in][out] loop vs [out][in] loop");
}

/* ---- elementwise and normalisation -------------------------------------------------------- */

/* The fast op and its plain twin, both checked against the same hand-worked numbers. */
typedef void (*softmax_fn)(float *, int);
typedef void (*layernorm_fn)(float *, const float *, const float *, const float *, int, float);
typedef void (*rmsnorm_fn)(float *, const float *, const float *, int, float);

static void test_ops_softmax_by_hand_and_stable(void **state) {
    (void)state;
    softmax_fn fns[] = {ats_softmax, ats_softmax_ref};
    for (int f = 0; f < 2; f++) {
        float x[] = {1, 2, 3};
        fns[f](x, 3); /* e^k / (e + e^2 + e^3) */
        const float expected[] = {0.09003057f, 0.24472847f, 0.66524096f};
        ats_assert_close(x, expected, 3, 1e-7, "softmax [1 2 3]");

        float big[] = {1000, 1001}; /* exp(1000) overflows unless the max is subtracted */
        fns[f](big, 2);
        const float big_expected[] = {0.26894142f, 0.73105858f};
        ats_assert_close(big, big_expected, 2, 1e-7, "softmax [1000 1001]");

        float row[37];
        fill_random(row, 37, 8);
        for (int i = 0; i < 37; i++)
            row[i] *= 50.0f;
        fns[f](row, 37);
        double sum = 0;
        for (int i = 0; i < 37; i++) {
            assert_true(row[i] >= 0.0f && row[i] <= 1.0f);
            sum += row[i];
        }
        assert_true(fabs(sum - 1.0) < 1e-6);
    }
}

static void test_ops_layernorm_by_hand(void **state) {
    (void)state;
    layernorm_fn fns[] = {ats_layernorm, ats_layernorm_ref};
    for (int f = 0; f < 2; f++) {
        /* mean 2.5, variance 1.25: (x - 2.5) / sqrt(1.25) */
        const float x[] = {1, 2, 3, 4}, ones[] = {1, 1, 1, 1};
        float y[4];
        fns[f](y, x, ones, NULL, 4, 0.0f);
        const float expected[] = {-1.34164079f, -0.44721360f, 0.44721360f, 1.34164079f};
        ats_assert_close(y, expected, 4, 1e-6, "layernorm");

        const float w[] = {1, 2, 1, 1}, b[] = {0, 0, 1, 0};
        fns[f](y, x, w, b, 4, 0.0f);
        const float expected_wb[] = {-1.34164079f, -0.89442719f, 1.44721360f, 1.34164079f};
        ats_assert_close(y, expected_wb, 4, 1e-6, "layernorm with weight and bias");
    }
}

static void test_ops_rmsnorm_by_hand(void **state) {
    (void)state;
    rmsnorm_fn fns[] = {ats_rmsnorm, ats_rmsnorm_ref};
    for (int f = 0; f < 2; f++) {
        /* mean of squares 7.5: x / sqrt(7.5) */
        const float x[] = {1, 2, 3, 4}, w[] = {1, 1, 2, 1};
        float y[4];
        fns[f](y, x, w, 4, 0.0f);
        const float expected[] = {0.36514837f, 0.73029674f, 2.19089023f, 1.46059349f};
        ats_assert_close(y, expected, 4, 1e-6, "rmsnorm");
    }
}

static void test_ops_activations_by_hand(void **state) {
    (void)state;
    /* 0.5x(1+erf(x/sqrt2)), 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))), x/(1+e^-x) */
    const float expected[] = {0.84134475f,  -0.15865525f, 0.84119199f,
                              -0.04540231f, 0.73105858f,  -0.23840584f};
    const float ref[] = {ats_gelu_erf_ref(1.0f),   ats_gelu_erf_ref(-1.0f), ats_gelu_tanh_ref(1.0f),
                         ats_gelu_tanh_ref(-2.0f), ats_silu_ref(1.0f),      ats_silu_ref(-2.0f)};
    ats_assert_close(ref, expected, 6, 1e-6, "gelu/silu twins");
    float erf_x[] = {1.0f, -1.0f}, tanh_x[] = {1.0f, -2.0f}, up[] = {1, 1}, gate[] = {1, -2};
    ats_gelu_erf(erf_x, 2);
    ats_gelu_tanh(tanh_x, 2);
    ats_swiglu(up, gate, 2);
    const float fast[] = {erf_x[0], erf_x[1], tanh_x[0], tanh_x[1], up[0], up[1]};
    ats_assert_close(fast, expected, 6, 1e-6, "vectorized gelu/swiglu");
}

/* |a - b| <= abs_tol + rel_tol |b| for every element. */
static void assert_close_rel(const float *a, const float *b, size_t n, double rel_tol,
                             double abs_tol, const char *what) {
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= abs_tol + rel_tol * fabs((double)b[i])))
            fail_msg("%s: element %zu of %zu: got %.9g, expected %.9g", what, i, n, (double)a[i],
                     (double)b[i]);
    }
}

/* Values from -span to span with a few extremes mixed in. */
static void fill_spread(float *x, size_t n, unsigned seed, float span) {
    fill_random(x, n, seed);
    for (size_t i = 0; i < n; i++)
        x[i] *= span;
    const float extremes[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 30.0f, -30.0f, 90.0f, -90.0f};
    for (size_t i = 0; i < n && i < 8; i++)
        x[i * 7 % n] = extremes[i];
}

/* Every length from 1 to 70 (vector bodies and tails) and a long row, several value ranges:
 * each vectorized op against its plain twin within a few float roundings. */
static void test_ops_vectorized_match_twins(void **state) {
    (void)state;
    enum { MAX = 1100 };
    static float x[MAX], y[MAX], z[MAX], w[MAX], b[MAX], g[MAX];
    const float spans[] = {0.1f, 3.0f, 12.0f};
    for (int si = 0; si < 3; si++) {
        for (int n = 1; n <= MAX; n = n < 70 ? n + 1 : n < MAX ? MAX : MAX + 1) {
            unsigned seed = (unsigned)(n * 3 + si);
            fill_spread(x, (size_t)n, seed, spans[si]);
            fill_random(w, (size_t)n, seed + 1);
            fill_random(b, (size_t)n, seed + 2);

            memcpy(y, x, (size_t)n * sizeof *x);
            memcpy(z, x, (size_t)n * sizeof *x);
            ats_softmax(y, n);
            ats_softmax_ref(z, n);
            assert_close_rel(y, z, (size_t)n, 1e-5, 1e-8, "softmax vs twin");
            ats_softmax_scaled(y, x, n, 0.125f);
            for (int i = 0; i < n; i++)
                z[i] = x[i] * 0.125f;
            ats_softmax_ref(z, n);
            assert_close_rel(y, z, (size_t)n, 1e-5, 1e-8, "scaled softmax vs twin");

            ats_layernorm(y, x, w, b, n, 1e-5f);
            ats_layernorm_ref(z, x, w, b, n, 1e-5f);
            assert_close_rel(y, z, (size_t)n, 1e-5, 1e-6, "layernorm vs twin");
            ats_rmsnorm(y, x, w, n, 1e-6f);
            ats_rmsnorm_ref(z, x, w, n, 1e-6f);
            assert_close_rel(y, z, (size_t)n, 1e-5, 1e-6, "rmsnorm vs twin");

            memcpy(y, x, (size_t)n * sizeof *x);
            ats_gelu_tanh(y, (size_t)n);
            for (int i = 0; i < n; i++)
                z[i] = ats_gelu_tanh_ref(x[i]);
            assert_close_rel(y, z, (size_t)n, 1e-6, 1e-7, "gelu (tanh) vs twin");
            memcpy(y, x, (size_t)n * sizeof *x);
            ats_gelu_erf(y, (size_t)n);
            for (int i = 0; i < n; i++)
                z[i] = ats_gelu_erf_ref(x[i]);
            assert_close_rel(y, z, (size_t)n, 1e-6, 1e-7, "gelu (erf) vs twin");
            fill_spread(g, (size_t)n, seed + 3, spans[si]);
            for (int i = 0; i < n; i++)
                y[i] = b[i], z[i] = b[i] * ats_silu_ref(g[i]);
            ats_swiglu(y, g, (size_t)n);
            assert_close_rel(y, z, (size_t)n, 1e-6, 1e-7, "swiglu vs twin");
            for (int i = 0; i < n; i++)
                y[i] = b[i], z[i] = b[i] * ats_gelu_tanh_ref(g[i]);
            ats_geglu(y, g, (size_t)n);
            assert_close_rel(y, z, (size_t)n, 1e-6, 1e-7, "geglu vs twin");
        }
    }
}

/* A linear map split by output columns gives the whole map's columns, both layouts, with and
 * without bias, and leaves the other columns alone. */
static void test_ops_linear_columns_match_whole(void **state) {
    (void)state;
    enum { T = 6, OUT = 40, IN = 9 };
    float w[OUT * IN], w_t[IN * OUT], b[OUT], x[T * IN], whole[T * OUT], cols[T * OUT];
    fill_random(w, OUT * IN, 12);
    fill_random(b, OUT, 13);
    fill_random(x, T * IN, 14);
    for (int o = 0; o < OUT; o++)
        for (int i = 0; i < IN; i++)
            w_t[i * OUT + o] = w[o * IN + i];
    for (int layout = 0; layout < 2; layout++)
        for (int bias = 0; bias < 2; bias++) {
            ats_linear lin = {.w = layout ? w_t : w,
                              .b = bias ? b : NULL,
                              .n_out = OUT,
                              .n_in = IN,
                              .ld = layout ? OUT : IN,
                              .in_major = layout == 1};
            ats_linear_apply(&lin, x, T, whole);
            for (int i = 0; i < T * OUT; i++)
                cols[i] = -7.0f;
            ats_linear_apply_cols(&lin, x, T, cols, 16, 33);
            for (int t = 0; t < T; t++)
                for (int o = 0; o < OUT; o++) {
                    float want = o >= 16 && o < 33 ? whole[t * OUT + o] : -7.0f;
                    assert_true(fabsf(cols[t * OUT + o] - want) <= 1e-6f);
                }
        }
}

/* ---- positions ---------------------------------------------------------------------------- */

static void test_ops_sinusoidal_by_hand(void **state) {
    (void)state;
    /* pos 1, dim 4: speeds 1 and 10000^(-1/2) = 0.01 */
    float pe[4];
    ats_sinusoidal(pe, 4, 1, 10000.0f);
    const float expected[] = {0.84147098f, 0.54030231f, 0.00999983f, 0.99995000f};
    ats_assert_close(pe, expected, 4, 1e-6, "sinusoidal code of position 1");
    ats_sinusoidal(pe, 4, 0, 10000.0f);
    const float zero[] = {0, 1, 0, 1};
    ats_assert_close(pe, zero, 4, 0, "sinusoidal code of position 0");
}

static void test_ops_rope_by_hand_both_conventions(void **state) {
    (void)state;
    float inv_freq[2];
    ats_rope_inv_freq(inv_freq, 4, 10000.0f, NULL);
    const float freq_expected[] = {1.0f, 0.01f};
    ats_assert_close(inv_freq, freq_expected, 2, 1e-7, "rope frequencies");

    /* Interleaved pairs (0,1), (2,3): (1,0) turns by 1 rad, (0,1) by 0.01 rad. */
    float v[] = {1, 0, 0, 1};
    ats_rope_interleaved_ref(v, 4, 1, inv_freq);
    const float inter[] = {0.54030231f, 0.84147098f, -0.00999983f, 0.99995000f};
    ats_assert_close(v, inter, 4, 1e-6, "interleaved rope");

    /* Rotate-half pairs (0,2), (1,3): (v0, v2) = (1, 0) and (v1, v3) = (0, 1). */
    float h[] = {1, 0, 0, 1};
    ats_rope_half_ref(h, 4, 1, inv_freq);
    const float half[] = {0.54030231f, -0.00999983f, 0.84147098f, 0.99995000f};
    ats_assert_close(h, half, 4, 1e-6, "rotate-half rope");
}

static void test_ops_rope_conventions_are_a_permutation(void **state) {
    (void)state;
    /* rope_half(P x) == P rope_interleaved(x), where P sends 2i -> i and 2i+1 -> i + d/2. */
    enum { D = 16 };
    float inv_freq[D / 2], x[D], px[D], rx[D], prx[D];
    ats_rope_inv_freq(inv_freq, D, 10000.0f, NULL);
    fill_random(x, D, 9);
    for (int pos = 0; pos < 40; pos += 13) {
        for (int i = 0; i < D / 2; i++) {
            px[i] = x[2 * i];
            px[i + D / 2] = x[2 * i + 1];
        }
        memcpy(rx, x, sizeof x);
        ats_rope_interleaved_ref(rx, D, pos, inv_freq);
        for (int i = 0; i < D / 2; i++) {
            prx[i] = rx[2 * i];
            prx[i + D / 2] = rx[2 * i + 1];
        }
        ats_rope_half_ref(px, D, pos, inv_freq);
        ats_assert_close(px, prx, D, 1e-6, "rotate-half of permuted = permuted interleaved");
    }
}

/* The table-driven rotation is the twin's arithmetic exactly: the same bits. */
static void test_ops_rope_table_equals_twin(void **state) {
    (void)state;
    enum { D = 64 };
    float inv_freq[D / 2], x[D], a[D], b[D];
    double cs[D];
    ats_rope_scaling llama3 = {.kind = ATS_ROPE_SCALING_LLAMA3,
                               .factor = 8.0f,
                               .low_freq_factor = 1.0f,
                               .high_freq_factor = 4.0f,
                               .original_max_position = 8192};
    ats_rope_inv_freq(inv_freq, D, 500000.0f, &llama3);
    fill_random(x, D, 15);
    for (int pos = 0; pos < 5000; pos += 617)
        for (int half = 0; half < 2; half++) {
            memcpy(a, x, sizeof x);
            memcpy(b, x, sizeof x);
            ats_rope_angles(cs, D, pos, inv_freq, 1.0);
            ats_rope_rotate(a, D, half, cs);
            if (half)
                ats_rope_half_ref(b, D, pos, inv_freq);
            else
                ats_rope_interleaved_ref(b, D, pos, inv_freq);
            assert_memory_equal(a, b, sizeof a);
        }
}

static float dot(const float *a, const float *b, int n) {
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return (float)s;
}

static void test_ops_rope_depends_on_relative_position(void **state) {
    (void)state;
    /* (R_m q) . (R_n k) depends only on m - n. */
    enum { D = 8 };
    float inv_freq[D / 2], q[D], k[D];
    ats_rope_inv_freq(inv_freq, D, 10000.0f, NULL);
    fill_random(q, D, 10);
    fill_random(k, D, 11);
    float q5[D], k2[D], q13[D], k10[D];
    memcpy(q5, q, sizeof q);
    memcpy(q13, q, sizeof q);
    memcpy(k2, k, sizeof k);
    memcpy(k10, k, sizeof k);
    ats_rope_half_ref(q5, D, 5, inv_freq);
    ats_rope_half_ref(k2, D, 2, inv_freq);
    ats_rope_half_ref(q13, D, 13, inv_freq);
    ats_rope_half_ref(k10, D, 10, inv_freq);
    assert_true(fabsf(dot(q5, k2, D) - dot(q13, k10, D)) < 1e-5f);
}

static void test_ops_rope_scaling_rules(void **state) {
    (void)state;
    float f[4];
    ats_rope_scaling linear = {.kind = ATS_ROPE_SCALING_LINEAR, .factor = 2.0f};
    ats_rope_inv_freq(f, 4, 10000.0f, &linear);
    const float linear_expected[] = {0.5f, 0.005f};
    ats_assert_close(f, linear_expected, 2, 1e-8, "linear scaling divides by the factor");

    /* Llama 3.1 rule, d_head 8, theta 500000, factor 8, low 1, high 4, original 8192:
     * wavelengths 2pi/f = 6.3, 167, 4443, 118143 against 8192/4 = 2048 and 8192/1 = 8192:
     * keep, keep, blend with s = (8192/4443 - 1) / 3, divide by 8. */
    ats_rope_scaling llama3 = {.kind = ATS_ROPE_SCALING_LLAMA3,
                               .factor = 8.0f,
                               .low_freq_factor = 1.0f,
                               .high_freq_factor = 4.0f,
                               .original_max_position = 8192};
    ats_rope_inv_freq(f, 8, 500000.0f, &llama3);
    const float llama3_expected[] = {1.0f, 3.76060309e-02f, 5.24846161e-04f, 6.64786987e-06f};
    for (int i = 0; i < 4; i++)
        assert_true(fabsf(f[i] - llama3_expected[i]) <= 1e-6f * llama3_expected[i] + 1e-12f);
}

/* ---- one head on paper, through the forward pass ------------------------------------------ */

/* Three tokens whose embeddings are the unit vectors e0, e1, e2 (d_model 4), one layer with one
 * head of d_k = 4. With x_t = e_t, row t of Q = x W_q^T is column t of W_q, so the weights
 * below make the queries, keys and values exactly the vectors written on paper:
 *
 *   q0 = (1,0,1,0)  q1 = (0,2,0,0)  q2 = (1,1,1,1)
 *   k0 = (1,0,0,0)  k1 = (0,1,0,0)  k2 = (1,1,0,0)
 *   v0 = (1,2,0,0)  v1 = (0,1,0,3)  v2 = (2,0,1,0)
 *
 * scores q.k:  [1 0 1]  [0 2 2]  [1 1 2]
 * scaled /2:   [.5 0 .5]  [0 1 1]  [.5 .5 1]
 * softmax:     row 0: e^.5/(2e^.5+1) = 0.38365173, 1/(2e^.5+1) = 0.23269654
 *              row 1: 1/(1+2e) = 0.15536240, e/(1+2e) = 0.42231880
 *              row 2: e^.5/(2e^.5+e) = 0.27406862, e/(2e^.5+e) = 0.45186276
 * output sum_j p_j v_j, e.g. row 0 = .38365(1,2,0,0) + .23270(0,1,0,3) + .38365(2,0,1,0). */
static const float PAPER_Q[3][4] = {{1, 0, 1, 0}, {0, 2, 0, 0}, {1, 1, 1, 1}};
static const float PAPER_K[3][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {1, 1, 0, 0}};
static const float PAPER_V[3][4] = {{1, 2, 0, 0}, {0, 1, 0, 3}, {2, 0, 1, 0}};

static ats_model *paper_model(bool causal) {
    ats_model *m = ats_model_new();
    assert_non_null(m);
    m->cfg = (ats_model_config){.arch = ATS_ARCH_DEMO,
                                .n_layer = 1,
                                .n_head = 1,
                                .n_kv_head = 1,
                                .d_model = 4,
                                .d_head = 4,
                                .d_ff = 1,
                                .vocab_size = 3,
                                .context = 8,
                                .norm = ATS_NORM_LAYERNORM,
                                .pre_norm = false,
                                .norm_eps = 1e-5f,
                                .positions = ATS_POS_NONE,
                                .activation = ATS_ACT_GELU_ERF,
                                .causal = causal,
                                .attn_scale = 0.5f};
    snprintf(m->info.name, sizeof m->info.name, "paper");
    m->info.has_weights = true;
    float *emb = ats_model_alloc_floats(m, 12, NULL);
    for (int t = 0; t < 3; t++)
        emb[t * 4 + t] = 1.0f; /* token t's vector is e_t */
    m->tok_embed = (ats_linear){.w = emb, .n_out = 3, .n_in = 4, .ld = 4};
    m->layers = ats_model_alloc(m, sizeof(ats_layer), NULL);
    ats_layer *L = m->layers;
    float *wq = ats_model_alloc_floats(m, 16, NULL), *wk = ats_model_alloc_floats(m, 16, NULL);
    float *wv = ats_model_alloc_floats(m, 16, NULL), *wo = ats_model_alloc_floats(m, 16, NULL);
    for (int t = 0; t < 3; t++) {
        for (int o = 0; o < 4; o++) { /* W[o][t] = vector_t[o] */
            wq[o * 4 + t] = PAPER_Q[t][o];
            wk[o * 4 + t] = PAPER_K[t][o];
            wv[o * 4 + t] = PAPER_V[t][o];
        }
    }
    for (int i = 0; i < 4; i++)
        wo[i * 4 + i] = 1.0f;
    L->wq = (ats_linear){.w = wq, .n_out = 4, .n_in = 4, .ld = 4};
    L->wk = (ats_linear){.w = wk, .n_out = 4, .n_in = 4, .ld = 4};
    L->wv = (ats_linear){.w = wv, .n_out = 4, .n_in = 4, .ld = 4};
    L->wo = (ats_linear){.w = wo, .n_out = 4, .n_in = 4, .ld = 4};
    L->up = (ats_linear){.w = ats_model_alloc_floats(m, 4, NULL), .n_out = 1, .n_in = 4, .ld = 4};
    L->down = (ats_linear){.w = ats_model_alloc_floats(m, 4, NULL), .n_out = 4, .n_in = 1, .ld = 1};
    float *ones = ats_model_alloc_floats(m, 4, NULL);
    for (int i = 0; i < 4; i++)
        ones[i] = 1.0f;
    L->attn_norm = L->mlp_norm = (ats_norm){.w = ones};
    assert_int_equal(ats_model_validate(m, NULL), ATS_OK);
    return m;
}

static void test_ops_attention_on_paper(void **state) {
    (void)state;
    ats_model *m = paper_model(false);
    const int32_t ids[] = {0, 1, 2};
    ats_run_opts opts = ats_run_opts_default();
    opts.detail_layer = 0;
    ats_run *run;
    assert_int_equal(ats_run_ids(m, ids, 3, &opts, &run, NULL), ATS_OK);

    ats_head_detail d;
    assert_int_equal(ats_run_head_detail(run, 0, 0, &d, NULL), ATS_OK);
    ats_assert_close(d.q, &PAPER_Q[0][0], 12, 0, "queries");
    ats_assert_close(d.k, &PAPER_K[0][0], 12, 0, "keys");
    ats_assert_close(d.v, &PAPER_V[0][0], 12, 0, "values");
    const float scores[] = {1, 0, 1, 0, 2, 2, 1, 1, 2};
    ats_assert_close(d.scores, scores, 9, 0, "raw scores q.k");
    const float probs[] = {0.38365173f, 0.23269654f, 0.38365173f, 0.15536240f, 0.42231880f,
                           0.42231880f, 0.27406862f, 0.27406862f, 0.45186276f};
    ats_assert_close(ats_run_attention(run, 0, 0), probs, 9, 1e-6, "softmax of scores / 2");
    const float out[] = {1.15095519f, 1.0f,        0.38365173f, 0.69808961f,
                         1.0f,        0.73304361f, 0.42231880f, 1.26695639f,
                         1.17779414f, 0.82220586f, 0.45186276f, 0.82220586f};
    ats_assert_close(d.out, out, 12, 1e-6, "weighted sum of values");
    ats_run_free(run);
    ats_model_free(m);
}

static void test_ops_attention_on_paper_causal(void **state) {
    (void)state;
    ats_model *m = paper_model(true);
    const int32_t ids[] = {0, 1, 2};
    ats_run *run;
    assert_int_equal(ats_run_ids(m, ids, 3, NULL, &run, NULL), ATS_OK);
    /* row 0 sees only itself; row 1 softmax([0, 1]) = [1/(1+e), e/(1+e)]; row 2 as before */
    const float probs[] = {1, 0,           0,           0.26894142f, 0.73105858f,
                           0, 0.27406862f, 0.27406862f, 0.45186276f};
    ats_assert_close(ats_run_attention(run, 0, 0), probs, 9, 1e-6, "causal probabilities");
    ats_run_free(run);
    ats_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_gemm_matches_plain_loop),
        cmocka_unit_test(test_ops_gemm_by_hand),
        cmocka_unit_test(test_ops_linear_layouts_agree),
        cmocka_unit_test(test_ops_softmax_by_hand_and_stable),
        cmocka_unit_test(test_ops_vectorized_match_twins),
        cmocka_unit_test(test_ops_linear_columns_match_whole),
        cmocka_unit_test(test_ops_rope_table_equals_twin),
        cmocka_unit_test(test_ops_layernorm_by_hand),
        cmocka_unit_test(test_ops_rmsnorm_by_hand),
        cmocka_unit_test(test_ops_activations_by_hand),
        cmocka_unit_test(test_ops_sinusoidal_by_hand),
        cmocka_unit_test(test_ops_rope_by_hand_both_conventions),
        cmocka_unit_test(test_ops_rope_conventions_are_a_permutation),
        cmocka_unit_test(test_ops_rope_depends_on_relative_position),
        cmocka_unit_test(test_ops_rope_scaling_rules),
        cmocka_unit_test(test_ops_attention_on_paper),
        cmocka_unit_test(test_ops_attention_on_paper_causal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
