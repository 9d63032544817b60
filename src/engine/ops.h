/* Tensor operations of the forward pass, float32, row-major.
 *
 * Each fast op that goes through BLAS has a plain-loop twin (suffix _ref) kept as the oracle
 * the tests compare against; the twins are deliberately naive and never used in the pass.
 */
#ifndef ATS_ENGINE_OPS_H
#define ATS_ENGINE_OPS_H

#include "linear.h"

/* C (M, N) = alpha * A (M, K) . op(B) + beta * C, with op(B) = B^T when trans_b (B is (N, K))
 * and B otherwise (B is (K, N)). lda, ldb, ldc are row strides in floats. */
void ats_gemm(bool trans_b, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc);
void ats_gemm_ref(bool trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc);

/* ats_linear_apply (y = x W^T + b over weights in any stored encoding) is in linear.h. */

/* In place over n values: x_i <- exp(x_i - max) / sum_j exp(x_j - max). */
void ats_softmax(float *x, int n);

/* out (n) = (x - mean) / sqrt(var + eps) * w + b; b may be NULL. out may alias x. */
void ats_layernorm(float *out, const float *x, const float *w, const float *b, int n, float eps);
/* out (n) = x / sqrt(mean(x^2) + eps) * w. out may alias x. */
void ats_rmsnorm(float *out, const float *x, const float *w, int n, float eps);

float ats_gelu_tanh(float x); /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
float ats_gelu_erf(float x);  /* 0.5 x (1 + erf(x / sqrt(2))) */
float ats_silu(float x);      /* x / (1 + exp(-x)) */

/* The sinusoidal code of `pos` over `dim` values (dim even), pair i = (sin, cos) of
 * pos * base^(-2i/dim), written as out[2i] = sin, out[2i+1] = cos. */
void ats_sinusoidal(float *out, int dim, int pos, float base);

/* Rotary frequencies: inv_freq (d_head / 2), inv_freq[i] = theta^(-2i/d_head), adjusted by the
 * scaling rule (linear: divided by factor; llama3: wavelength-dependent). */
void ats_rope_inv_freq(float *inv_freq, int d_head, float theta, const ats_rope_scaling *scaling);

/* Rotates one head vector (d_head) for position pos. Interleaved pairs are (2i, 2i+1);
 * rotate-half pairs are (i, i + d_head/2). Both rotate pair i by angle pos * inv_freq[i]. */
void ats_rope_interleaved(float *vec, int d_head, int pos, const float *inv_freq);
void ats_rope_half(float *vec, int d_head, int pos, const float *inv_freq);

/* T5's relative position bucket of key - query distance `rel` (transformers'
 * _relative_position_bucket): bidirectional stacks split the buckets between both directions,
 * causal ones count only keys before the query; each direction has exact buckets for distances
 * below half its buckets, then logarithmic ones up to max_distance, the last bucket beyond. */
int ats_relative_bucket(int rel, bool bidirectional, int num_buckets, int max_distance);

#endif
