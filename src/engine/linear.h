/* Linear maps over weights in their stored encoding (ats_linear, model.h).
 *
 * y (T, n_out) = x (T, n_in) . W^T + b. Float32 weights go straight to cblas_sgemm. Other
 * encodings are decoded a panel of output rows at a time into a float32 buffer of 8 MiB (it
 * stays in the last-level cache while it is used) and each panel goes through cblas_sgemm, so the model's
 * weights are never widened as a whole and BLAS's threads do the arithmetic. For one or two
 * rows of x (the last position's logits) a fused loop decodes each block once and dots it with
 * every row, with no panel at all.
 *
 * Thread use: every function may be called from any thread, also at once on the same weights
 * (weights are read-only; the panel buffer belongs to the call).
 */
#ifndef ATS_ENGINE_LINEAR_H
#define ATS_ENGINE_LINEAR_H

#include "model.h"

/* y (T, n_out) = x (T, n_in) . W^T + b */
void ats_linear_apply(const ats_linear *lin, const float *x, int T, float *y);
/* The same with plain double-precision loops over ats_dequant'ed values: the test oracle. */
void ats_linear_apply_ref(const ats_linear *lin, const float *x, int T, float *y);

/* out (n_in) = W[o, :], row o of the stored matrix decoded (an embedding lookup). */
void ats_linear_row(const ats_linear *lin, int o, float *out);

/* The map restricted to outputs [first, first + count): the same storage, rows (or columns, when
 * in_major) first.. of W and of b. For a block type stored [out][in] any row is a start; in_major
 * storage is float or half, where any column is. */
ats_linear ats_linear_outputs(const ats_linear *lin, int first, int count);

#endif
