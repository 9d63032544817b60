/* Tensor operations of the forward pass, float32, row-major.
 *
 * The fast ops (matrix products through BLAS, the vectorized elementwise ops of ops_vec.c, the
 * table-driven RoPE) each have a plain-loop twin (suffix _ref) kept as the oracle the tests
 * compare against; the twins are deliberately naive and never used in the pass.
 *
 * Thread policy (one for the whole forward pass; quantized kernels follow it too):
 * - BLAS is single-threaded. ats_blas_setup (blas.h) sets OpenBLAS to one thread, so a cblas
 *   call runs entirely on the thread that makes it and no BLAS thread ever spins or sleeps
 *   beside the pass. Never call openblas_set_num_threads or start threads inside an op.
 * - Parallelism is the forward pass's own team (pool.h): it splits each linear map by output
 *   features, calling ats_linear_apply_cols on disjoint column ranges from several threads at
 *   once; attention by heads; elementwise ops and norms by rows.
 * - So every op here is reentrant: no static or global mutable state; scratch is on the stack
 *   or passed in. The kernels of other weight encodings (linear.h: fused tiles, or a decoded
 *   panel of W through cblas_sgemm) run inside ats_linear_apply_cols and read only rows
 *   o0..o1-1 of W there, so each thread decodes only its own rows.
 */
#ifndef ATS_ENGINE_OPS_H
#define ATS_ENGINE_OPS_H

#include "linear.h"

#include <stddef.h>

/* ---- matrix products ---------------------------------------------------------------------- */

/* C (M, N) = alpha * A (M, K) . op(B) + beta * C, with op(B) = B^T when trans_b (B is (N, K))
 * and B otherwise (B is (K, N)). lda, ldb, ldc are row strides in floats. */
void ats_gemm(bool trans_b, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc);
void ats_gemm_ref(bool trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc);

/* ats_linear_apply and ats_linear_apply_cols (y = x W^T + b over weights in any stored
 * encoding) are in linear.h. */

/* ---- elementwise and normalisation (vectorized; ops_vec.c) ------------------------------- */

/* In place over n values: x_i <- exp(x_i - max) / sum_j exp(x_j - max). */
void ats_softmax(float *x, int n);
/* p (n) = softmax(s * scale); p may alias s. */
void ats_softmax_scaled(float *p, const float *s, int n, float scale);

/* out (n) = (x - mean) / sqrt(var + eps) * w + b; b may be NULL. out may alias x. */
void ats_layernorm(float *out, const float *x, const float *w, const float *b, int n, float eps);
/* out (n) = x / sqrt(mean(x^2) + eps) * w. out may alias x. */
void ats_rmsnorm(float *out, const float *x, const float *w, int n, float eps);

/* In place over n values: GELU in its tanh form (GPT-2 "gelu_new") and its erf form (BERT). */
void ats_gelu_tanh(float *x, size_t n);
void ats_gelu_erf(float *x, size_t n);
/* up (n) *= silu(gate), silu(g) = g / (1 + e^-g): the SwiGLU of Llama's feed-forward. */
void ats_swiglu(float *up, const float *gate, size_t n);
/* up (n) *= gelu_tanh(gate): the GeGLU of T5 v1.1's feed-forward. */
void ats_geglu(float *up, const float *gate, size_t n);

/* The plain twins: libm and double sums. */
void ats_softmax_ref(float *x, int n);
void ats_layernorm_ref(float *out, const float *x, const float *w, const float *b, int n,
                       float eps);
void ats_rmsnorm_ref(float *out, const float *x, const float *w, int n, float eps);
float ats_gelu_tanh_ref(float x); /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
float ats_gelu_erf_ref(float x);  /* 0.5 x (1 + erf(x / sqrt(2))) */
float ats_silu_ref(float x);      /* x / (1 + exp(-x)) */

/* ---- positions ------------------------------------------------------------------------------ */

/* The sinusoidal code of `pos` over `dim` values (dim even), pair i = (sin, cos) of
 * pos * base^(-2i/dim), written as out[2i] = sin, out[2i+1] = cos. */
void ats_sinusoidal(float *out, int dim, int pos, float base);

/* Rotary frequencies: inv_freq (d_head / 2), inv_freq[i] = theta^(-2i/d_head), adjusted by the
 * scaling rule (linear: divided by factor; llama3: wavelength-dependent; yarn: blended between
 * divided and kept by a ramp over i). LongRoPE's per-frequency divisors are the model's
 * rope_factors, applied by the caller. */
void ats_rope_inv_freq(float *inv_freq, int d_head, float theta, const ats_rope_scaling *scaling);

/* The rotation of position `pos`: cs (d_head / 2, 2) = magnitude * (cos, sin) of
 * pos * inv_freq[i], in double. Computed once per position and shared by every head. */
void ats_rope_angles(double *cs, int d_head, int pos, const float *inv_freq, double magnitude);

/* LongRoPE: true when a text of n_tokens runs on the long factors (more tokens than the
 * original context), as transformers decides per forward pass; false for any other scaling. */
bool ats_rope_long_factors(const ats_rope_scaling *scaling, int n_tokens);

/* The factor cos and sin are multiplied by: attn_factor (yarn, longrope) or 1. */
double ats_rope_magnitude(const ats_rope_scaling *scaling);
/* Rotates one head vector (d_head) by the angles cs of its position: pair i is (2i, 2i+1)
 * (interleaved) or (i, i + d_head/2) (rotate-half), turned by angle i. */
void ats_rope_rotate(float *vec, int d_head, bool rotate_half, const double *cs);

/* The twins: the same rotations with cos and sin computed for each pair. */
void ats_rope_interleaved_ref(float *vec, int d_head, int pos, const float *inv_freq);
void ats_rope_half_ref(float *vec, int d_head, int pos, const float *inv_freq);

/* T5's relative position bucket of key - query distance `rel` (transformers'
 * _relative_position_bucket): bidirectional stacks split the buckets between both directions,
 * causal ones count only keys before the query; each direction has exact buckets for distances
 * below half its buckets, then logarithmic ones up to max_distance, the last bucket beyond. */
int ats_relative_bucket(int rel, bool bidirectional, int num_buckets, int max_distance);

#endif
