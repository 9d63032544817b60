/* The trainer's operations, each a forward and its backward, float32, row-major.
 *
 * Forwards call the engine's own ops (ats_layernorm, ats_softmax, ats_gelu_tanh, ats_rope_half,
 * ats_gemm), so a trained model runs in the engine exactly as it ran in training. Backwards use
 * cblas_sgemm (single-threaded: see trainer.c on determinism). tests/test_train_ops.c checks every
 * backward against finite differences.
 *
 * Conventions: N rows (tokens of several sequences, token-major), D = d_model. A backward writes
 * the gradient of its input with "=" unless it says "+="; gradients of weights always add up
 * ("+="), so one buffer collects a whole batch.
 *
 * Threads: functions of the caller's buffers only; any thread may call them at once on buffers
 * of its own.
 */
#ifndef ATS_TRAIN_TOPS_H
#define ATS_TRAIN_TOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* C (M, N) = alpha * op(A) op(B) + beta * C, row-major, op(X) = X^T when trans_x. */
void ats_tr_gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A,
                 int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* y (N, n_out) = x (N, n_in) . W (n_in, n_out) + b (n_out): GPT-2's Conv1D, W stored [in][out].
 * b may be NULL. */
void ats_tr_linear_fwd(float *y, const float *x, const float *W, const float *b, int N, int n_in,
                       int n_out);
/* dx (N, n_in) = dy W^T (dx NULL: not wanted); dW += x^T dy; db += column sums of dy. */
void ats_tr_linear_bwd(float *dx, float *dW, float *db, const float *dy, const float *x,
                       const float *W, int N, int n_in, int n_out);

/* logits (N, V) = x (N, D) . W^T with W (V, D) stored [out][in] (the LM head, nn.Linear). */
void ats_tr_unembed_fwd(float *logits, const float *x, const float *W, int N, int D, int V);
/* dx (N, D) = dlogits W; dW += dlogits^T x. */
void ats_tr_unembed_bwd(float *dx, float *dW, const float *dlogits, const float *x, const float *W,
                        int N, int D, int V);

/* y (N, D) = LayerNorm of each row of x with w, b; keeps mean (N) and rstd (N) = 1/sqrt(var+eps)
 * for the backward. */
void ats_tr_layernorm_fwd(float *y, float *mean, float *rstd, const float *x, const float *w,
                          const float *b, int N, int D, float eps);
/* dx += the gradient through the norm (the residual stream's gradient is already in dx);
 * dw, db += their gradients. */
void ats_tr_layernorm_bwd(float *dx, float *dw, float *db, const float *dy, const float *x,
                          const float *mean, const float *rstd, const float *w, int N, int D);

/* Causal multi-head attention over one sequence of T tokens. qkv (T, 3D) holds each token's
 * query, key and value side by side, each (H, dh) with D = H * dh (after RoPE where used).
 *   att (H, T, T)  softmax over keys j <= i of scale * q_i . k_j, exact zeros above the diagonal
 *   out (T, D)     head h's columns [h*dh, (h+1)*dh) = att_h . v_h */
void ats_tr_attention_fwd(float *out, float *att, const float *qkv, int T, int H, int dh,
                          float scale);
/* dqkv (T, 3D) = the gradient of the attention output dout (T, D) with respect to qkv, from the
 * kept att. scratch: (T, T). */
void ats_tr_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *att, int T,
                          int H, int dh, float scale, float *scratch);

/* Rotary positions on the queries and keys of qkv (T, 3D) of one sequence, rotate-half pairs
 * (i, i + dh/2) of each head turned by angle t * inv_freq[i] at position t. The backward turns the
 * gradient back by the same angles (a rotation's transpose is its inverse). Both take the cosines
 * and sines from a table (T, dh/2, 2) that ats_tr_rope_table fills exactly as the engine's
 * ats_rope_half computes them (double angle, double cos and sin), so the rotations agree with the
 * engine's bit for bit without a sin and cos per pair and head. */
void ats_tr_rope_table(double *table, int T, int dh, const float *inv_freq);
void ats_tr_rope_fwd(float *qkv, int T, int H, int dh, const double *table);
void ats_tr_rope_bwd(float *dqkv, int T, int H, int dh, const double *table);

/* y = gelu_tanh(x) over n values; dx = dy * gelu_tanh'(x). */
void ats_tr_gelu_fwd(float *y, const float *x, size_t n);
void ats_tr_gelu_bwd(float *dx, const float *dy, const float *x, size_t n);

/* Cross-entropy of rows of logits (N, V) against targets (N) (a target < 0 is skipped). Returns
 * the sum over rows of -log softmax(logits)[target] (in double) and turns logits into their
 * gradient, (softmax - onehot) * scale, with scale = 1 / (rows the loss averages over). */
double ats_tr_cross_entropy(float *logits, const int32_t *targets, int N, int V, float scale);

/* x (B*T, D) = wte[ids] + wpe[t] (wpe NULL: no position table, rotary positions). */
void ats_tr_embed_fwd(float *x, const int32_t *ids, const float *wte, const float *wpe, int B,
                      int T, int D);
/* dwte[ids] += dx rows; dwpe[t] += dx rows (dwpe NULL: none). */
void ats_tr_embed_bwd(float *dwte, float *dwpe, const float *dx, const int32_t *ids, int B, int T,
                      int D);

#endif
