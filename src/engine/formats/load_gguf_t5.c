/* GGUF files of architecture "t5", as llama.cpp's converter writes them:
 *
 *   t5.{embedding_length, feed_forward_length, block_count (encoder), decoder_block_count,
 *   context_length, attention.head_count, attention.key_length, attention.value_length,
 *   attention.layer_norm_rms_epsilon, attention.relative_buckets_count, decoder_start_token_id}
 *
 *   token_embd.weight (ne [D, V]); per stack S (enc, dec) and block N: S.blk.N.attn_norm,
 *   S.blk.N.attn_{q,k,v,o}, S.blk.0.attn_rel_b (ne [H, buckets], block 0's table serves every
 *   block), S.blk.N.ffn_norm, S.blk.N.ffn_{up,down} and ffn_gate when gated (T5 v1.1: gelu of
 *   the gate times up; without a gate ReLU, T5 v1.0); dec.blk.N.cross_attn_norm and
 *   dec.blk.N.cross_attn_{q,k,v,o}; S.output_norm; output.weight, absent when the head is tied
 *   to token_embd (then scaled by d_model^-0.5, as T5 v1.0 does).
 *
 * llama.cpp fixes the longest bucketed distance at 128, as T5's configs do. */
#include "base.h"
#include "gguf_loader.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const int64_t MAX_DIM = 1 << 20;
static const int64_t MAX_COUNT = 1 << 24;

static void read_config(gguf_loader *ld, ats_model_config *c, int *n_dec_layer) {
    c->arch = ATS_ARCH_T5;
    c->d_model = ats_gguf_loader_int(ld, "embedding_length", MAX_DIM, 0);
    c->d_ff = ats_gguf_loader_int(ld, "feed_forward_length", MAX_DIM, 0);
    c->n_layer = ats_gguf_loader_int(ld, "block_count", MAX_DIM, 0);
    *n_dec_layer = ats_gguf_loader_int(ld, "decoder_block_count", MAX_DIM, c->n_layer);
    c->n_head = ats_gguf_loader_int(ld, "attention.head_count", MAX_DIM, 0);
    c->n_kv_head = c->n_head;
    c->context = ats_gguf_loader_int(ld, "context_length", MAX_COUNT, 512);
    c->norm_eps = (float)ats_gguf_loader_real(ld, "attention.layer_norm_rms_epsilon", 1e-6);
    c->rel_buckets = ats_gguf_loader_int(ld, "attention.relative_buckets_count", 4096, 32);
    c->rel_max_distance = 128;
    if (ld->status != ATS_OK)
        return;
    c->d_head = ats_gguf_loader_int(ld, "attention.key_length", MAX_DIM, c->d_model / c->n_head);
    int d_value = ats_gguf_loader_int(ld, "attention.value_length", MAX_DIM, c->d_head);
    if (ld->status == ATS_OK && (d_value != c->d_head || (int64_t)c->n_head * c->d_head > MAX_DIM))
        ld->status = ats_fail(ld->err, ATS_ERR_FORMAT,
                              "%s: %d heads of %d-dimensional keys and %d-dimensional values are "
                              "not supported",
                              ld->path, c->n_head, c->d_head, d_value);
    c->norm = ATS_NORM_RMSNORM;
    c->pre_norm = true;
    c->final_norm = true;
    c->positions = ATS_POS_RELATIVE_BUCKETS;
    c->attn_scale = 1.0f; /* T5 folds 1/sqrt(d_head) into the query weights' initialization */
    c->activation =
        ats_gguf_find_tensor(ld->g, "enc.blk.0.ffn_gate.weight") ? ATS_ACT_GEGLU : ATS_ACT_RELU;
}

/* A token id stored under `key`, `fallback` when absent; it must lie in the vocabulary. */
static int32_t token_id(gguf_loader *ld, const char *key, int32_t fallback) {
    int64_t v = fallback;
    if (ats_gguf_find(ld->g, key) && !ats_gguf_get_int(ld->g, key, &v))
        v = -1;
    if (ld->status == ATS_OK && (v < 0 || v >= ld->model->cfg.vocab_size))
        ld->status = ats_fail(ld->err, ATS_ERR_FORMAT, "%s: '%s' is not a token of the vocabulary",
                              ld->path, key);
    return (int32_t)v;
}

/* One stack: "enc" or "dec" (with cross-attention) into m, whose cfg gives the shapes. */
static void build_stack(gguf_loader *ld, ats_model *m, const char *s) {
    const ats_model_config *c = &m->cfg;
    int D = c->d_model, F = c->d_ff, dq = c->n_head * c->d_head;
    char n[160];
#define NAME(fmt) (snprintf(n, sizeof n, "%s.blk.%d." fmt, s, l), n)
    for (int l = 0; l < c->n_layer && ld->status == ATS_OK; l++) {
        ats_layer *L = &m->layers[l];
        L->attn_norm = ats_gguf_loader_rmsnorm(ld, D, NAME("attn_norm.weight"));
        L->wq = ats_gguf_loader_linear(ld, dq, D, NAME("attn_q"));
        L->wk = ats_gguf_loader_linear(ld, dq, D, NAME("attn_k"));
        L->wv = ats_gguf_loader_linear(ld, dq, D, NAME("attn_v"));
        L->wo = ats_gguf_loader_linear(ld, D, dq, NAME("attn_o"));
        if (c->cross_attention) {
            L->cross_norm = ats_gguf_loader_rmsnorm(ld, D, NAME("cross_attn_norm.weight"));
            L->cq = ats_gguf_loader_linear(ld, dq, D, NAME("cross_attn_q"));
            L->ck = ats_gguf_loader_linear(ld, dq, D, NAME("cross_attn_k"));
            L->cv = ats_gguf_loader_linear(ld, dq, D, NAME("cross_attn_v"));
            L->co = ats_gguf_loader_linear(ld, D, dq, NAME("cross_attn_o"));
        }
        L->mlp_norm = ats_gguf_loader_rmsnorm(ld, D, NAME("ffn_norm.weight"));
        if (c->activation == ATS_ACT_GEGLU)
            L->gate = ats_gguf_loader_linear(ld, F, D, NAME("ffn_gate"));
        L->up = ats_gguf_loader_linear(ld, F, D, NAME("ffn_up"));
        L->down = ats_gguf_loader_linear(ld, D, F, NAME("ffn_down"));
    }
#undef NAME
    snprintf(n, sizeof n, "%s.blk.0.attn_rel_b.weight", s);
    m->rel_bias = ats_gguf_loader_floats(ld, true, c->n_head, c->rel_buckets, n);
    snprintf(n, sizeof n, "%s.output_norm.weight", s);
    m->final_norm = ats_gguf_loader_rmsnorm(ld, D, n);
}

static ats_layer *alloc_layers(gguf_loader *ld, int n) {
    ats_layer *layers = ats_model_alloc(ld->model, (size_t)n * sizeof(ats_layer), ld->err);
    if (!layers && ld->status == ATS_OK)
        ld->status = ATS_ERR_NOMEM;
    return layers;
}

void ats_gguf_build_t5(gguf_loader *ld) {
    ats_model *m = ld->model;
    ats_model_config *c = &m->cfg;
    int n_dec_layer = 0;
    read_config(ld, c, &n_dec_layer);
    const ats_gguf_tensor *embd = ats_gguf_find_tensor(ld->g, "token_embd.weight");
    if (ld->status == ATS_OK &&
        (!embd || embd->n_dims != 2 || embd->dims[1] < 1 || embd->dims[1] > (uint64_t)MAX_COUNT))
        ld->status = ats_fail(ld->err, ATS_ERR_FORMAT,
                              "%s: tensor 'token_embd.weight' is missing or not a (vocab, d_model) "
                              "table",
                              ld->path);
    if (ld->status != ATS_OK)
        return;
    c->vocab_size = (int)embd->dims[1];
    m->tok_embed = ats_gguf_loader_matrix(ld, true, c->vocab_size, c->d_model, "token_embd.weight");
    m->eos_id = token_id(ld, "tokenizer.ggml.eos_token_id", 1);
    m->decoder_start_id = token_id(ld, "t5.decoder_start_token_id", 0);
    if (ld->status != ATS_OK || !(m->layers = alloc_layers(ld, c->n_layer)))
        return;
    build_stack(ld, m, "enc");

    ats_model *d = ld->status == ATS_OK ? ats_model_new() : NULL;
    if (!d) {
        if (ld->status == ATS_OK)
            ld->status = ats_fail(ld->err, ATS_ERR_NOMEM, "out of memory");
        return;
    }
    m->decoder = d; /* freed with m; its layers live in m's memory */
    d->cfg = *c;
    d->cfg.n_layer = n_dec_layer;
    d->cfg.causal = true;
    d->cfg.cross_attention = true;
    d->info = m->info;
    d->tok_embed = m->tok_embed;
    if (!(d->layers = alloc_layers(ld, n_dec_layer)))
        return;
    build_stack(ld, d, "dec");
    d->lm_head = ats_gguf_loader_matrix(ld, false, c->vocab_size, c->d_model, "output.weight");
    bool tied = !d->lm_head.w;
    if (tied)
        d->lm_head = m->tok_embed;
    d->logit_scale = tied ? 1.0f / sqrtf((float)c->d_model) : 1.0f;
}
