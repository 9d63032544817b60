/* Linear maps over weights in their stored encoding (ats_linear, model.h).
 *
 * y (T, n_out) = x (T, n_in) . W^T + b. Float32 weights go straight to cblas_sgemm. Other
 * encodings are never widened as a whole: for a few rows of x (typing, the last position's
 * logits) fused tiles decode four rows of W a 256-value chunk at a time into a small buffer on
 * the stack and dot them with every row of x (AVX2 fused multiply-adds where the CPU has them);
 * for more rows, a panel of W's rows is decoded into a float32 buffer of 8 MiB (it stays in the
 * last-level cache) and multiplied by cblas_sgemm. bench_linear measures both against sgemm over
 * float32 weights; the switch point FUSED_MAX_ROWS comes from it.
 *
 * Thread use: every function may be called from any thread, also at once on the same weights
 * (weights are read-only; the panel buffer belongs to the call).
 */
#ifndef ATS_ENGINE_LINEAR_H
#define ATS_ENGINE_LINEAR_H

#include "model.h"

/* y (T, n_out) = x (T, n_in) . W^T + b */
void ats_linear_apply(const ats_linear *lin, const float *x, int T, float *y);
/* Output features o0..o1-1 only: y[:, o0:o1] = x . W[o0:o1]^T + b[o0:o1], where y keeps its
 * full row stride n_out and its other columns are not touched; only rows o0..o1-1 of W are
 * decoded. A forward pass splits a linear map among its threads this way. */
void ats_linear_apply_cols(const ats_linear *lin, const float *x, int T, float *y, int o0, int o1);
/* ats_linear_apply with plain double-precision loops over decoded rows: the test oracle. */
void ats_linear_apply_ref(const ats_linear *lin, const float *x, int T, float *y);

/* out (n_in) = W[o, :], row o of the stored matrix decoded (an embedding lookup). */
void ats_linear_row(const ats_linear *lin, int o, float *out);

/* The map restricted to outputs [first, first + count): the same storage, rows (or columns, when
 * in_major) first.. of W and of b. For a block type stored [out][in] any row is a start; in_major
 * storage is float or half, where any column is. */
ats_linear ats_linear_outputs(const ats_linear *lin, int first, int count);

/* How a product over a non-float32 encoding is computed. */
typedef enum ats_linear_path {
    ATS_LINEAR_AUTO,   /* by the number of rows of x, as ats_linear_apply_cols does */
    ATS_LINEAR_TILES,  /* fused tiles */
    ATS_LINEAR_PANELS, /* decoded panels and cblas_sgemm (tiles when no panel can be had) */
} ats_linear_path;

/* ats_linear_apply_cols through a chosen path (tests and bench_linear compare them). Float32
 * weights always go straight to cblas_sgemm. */
void ats_linear_apply_path(const ats_linear *lin, const float *x, int T, float *y, int o0, int o1,
                           ats_linear_path path);

/* ---- the inner kernel of the fused tiles (linear.c, linear_avx2.c; exposed for tests) ---- */

enum {
    ATS_TILE_ROWS = 4,    /* rows of W dotted at once */
    ATS_TILE_CHUNK = 256, /* inputs decoded at once: a K-quant block, 8 blocks of 32 */
};

/* acc (T, ATS_TILE_ROWS, 8) += lane-wise products: acc[t][r][i % 8] += x[t][i] * w[r][i] for
 * i < len and r < R, with w (R, ATS_TILE_CHUNK) row-major (R <= ATS_TILE_ROWS) and x rows ldx
 * floats apart; len <= ATS_TILE_CHUNK, a multiple of 8 for ats_dot_tile_avx2. */
void ats_dot_tile_ref(const float *w, int R, const float *x, size_t ldx, int T, int len,
                      float *acc);
/* The same with AVX2 fused multiply-adds; false (acc untouched) when the CPU lacks AVX2 or FMA
 * or the build is not for x86-64. */
bool ats_dot_tile_avx2(const float *w, int R, const float *x, size_t ldx, int T, int len,
                       float *acc);

#endif
