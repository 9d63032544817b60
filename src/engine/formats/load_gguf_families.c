/* GGUF architectures of llama.cpp other than llama and t5, as its converter writes them:
 *
 *   gptneox  token_embd, blk.N.{attn_norm, attn_qkv, attn_output, ffn_norm, ffn_up, ffn_down}
 *            (LayerNorms and projections with biases), output_norm, output. attn_qkv keeps
 *            Hugging Face's layout, q, k, v rows per head; gptneox.use_parallel_residual.
 *   phi2     token_embd, blk.N.{attn_norm, attn_qkv | attn_q, attn_k, attn_v, attn_output,
 *            ffn_up, ffn_down}, output_norm, output (with a bias); one norm feeds the parallel
 *            attention and MLP.
 *   phi3     token_embd, blk.N.{attn_norm, attn_qkv, attn_output, ffn_norm, ffn_up (gate rows,
 *            then up rows), ffn_down}, output_norm, output; phi3.attention.sliding_window.
 *   gemma    token_embd, blk.N.{attn_norm, attn_q, attn_k, attn_v, attn_output, ffn_norm,
 *            ffn_gate, ffn_up, ffn_down}, output_norm; the converter stored every norm as
 *            1 + weight; embeddings times sqrt(d_model); the head is token_embd.
 *   gemma2   gemma's plus blk.N.post_attention_norm and post_ffw_norm, gemma2.
 *            {attn,final}_logit_softcapping, gemma2.attention.sliding_window (default 4096) on
 *            the even layers; the query scale is 1/sqrt(key_length), or 1/sqrt(d_model / heads)
 *            for the 46-layer model, as llama.cpp decides (GGUF does not carry
 *            query_pre_attn_scalar).
 *   qwen2    llama's tensors with biases on attn_q, attn_k, attn_v.
 *
 * Every one of them keeps Hugging Face's q/k row order: rotate-half RoPE ("NEOX" in llama.cpp)
 * over <arch>.rope.dimension_count dimensions of each head. Sizes come from <arch>.* metadata.
 */
#include "base.h"
#include "gguf_loader.h"
#include "linear.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const int64_t MAX_DIM = 1 << 20;
static const int64_t MAX_COUNT = 1 << 24;

/* "blk.<l>.<part>" in ld->key (valid until the next call). */
static const char *blk(gguf_loader *ld, int l, const char *part) {
    snprintf(ld->key, sizeof ld->key, "blk.%d.%s", l, part);
    return ld->key;
}

static bool is(const gguf_loader *ld, const char *arch) {
    return strcmp(ld->arch, arch) == 0;
}

static void choice(ats_model_info *info, const char *text) {
    if (info->n_choices < ATS_MAX_CHOICES)
        snprintf(info->choices[info->n_choices++], sizeof info->choices[0], "%s", text);
}

/* ---- configuration ------------------------------------------------------------------------- */

/* Sizes, norms and rotary positions from "<arch>.*". */
static void read_config(gguf_loader *ld) {
    ats_model *m = ld->model;
    ats_model_config *c = &m->cfg;
    bool layernorm = is(ld, "gptneox") || is(ld, "phi2");
    c->d_model = ats_gguf_loader_int(ld, "embedding_length", MAX_DIM, 0);
    c->n_layer = ats_gguf_loader_int(ld, "block_count", MAX_DIM, 0);
    c->n_head = ats_gguf_loader_int(ld, "attention.head_count", MAX_DIM, 0);
    c->n_kv_head = ats_gguf_loader_int(ld, "attention.head_count_kv", MAX_DIM, c->n_head);
    c->d_ff = ats_gguf_loader_int(ld, "feed_forward_length", MAX_DIM, 0);
    c->context = ats_gguf_loader_int(ld, "context_length", MAX_COUNT, 0);
    if (ld->status != ATS_OK)
        return;
    c->d_head = ats_gguf_loader_int(ld, "attention.key_length", MAX_DIM, c->d_model / c->n_head);
    int rot = ats_gguf_loader_int(ld, "rope.dimension_count", MAX_DIM, c->d_head);
    c->rotary_dim = rot < c->d_head ? rot : 0;
    c->rope_theta = (float)ats_gguf_loader_real(ld, "rope.freq_base", 10000.0);
    c->norm = layernorm ? ATS_NORM_LAYERNORM : ATS_NORM_RMSNORM;
    c->norm_eps = (float)ats_gguf_loader_real(
        ld, layernorm ? "attention.layer_norm_epsilon" : "attention.layer_norm_rms_epsilon", 1e-5);
    c->pre_norm = true;
    c->final_norm = true;
    c->positions = ATS_POS_ROPE_HALF;
    c->causal = true;
    c->attn_scale = 1.0f / sqrtf((float)c->d_head);
    if (ld->status == ATS_OK && (rot > c->d_head || rot % 2 != 0))
        ld->status = ats_fail(ld->err, ATS_ERR_FORMAT,
                              "%s: %s.rope.dimension_count %d does not fit heads of %d", ld->path,
                              ld->arch, rot, c->d_head);
    if (ld->status == ATS_OK &&
        (c->n_head % c->n_kv_head != 0 || (int64_t)c->n_head * c->d_head > MAX_DIM))
        ld->status = ats_fail(ld->err, ATS_ERR_FORMAT,
                              "%s: %d heads of %d dimensions over %d key/value heads is "
                              "implausible",
                              ld->path, c->n_head, c->d_head, c->n_kv_head);
    /* RoPE scaling: none, linear or yarn; Phi-3's longrope (its rope_factors_long and _short
     * tensors) and other types are refused, named, rather than run as plain RoPE */
    ats_gguf_loader_rope_scaling(ld, &c->rope_scaling);
    if (ld->status == ATS_OK && ats_gguf_find_tensor(ld->g, "rope_factors_long.weight"))
        ld->status = ats_fail(ld->err, ATS_ERR_UNSUPPORTED,
                              "%s: RoPE scaling 'longrope' (rope_factors_long) is not supported "
                              "in GGUF for %s",
                              ld->path, ld->arch);
    if (c->rotary_dim > 0) {
        char text[96];
        snprintf(text, sizeof text, "partial rotary: the first %d of %d dimensions rotate",
                 c->rotary_dim, c->d_head);
        choice(&m->info, text);
    }
}

/* The family's own switches. */
static void read_family(gguf_loader *ld) {
    ats_model *m = ld->model;
    ats_model_config *c = &m->cfg;
    ats_model_info *info = &m->info;
    char text[96];
    if (is(ld, "gptneox")) {
        c->arch = ATS_ARCH_GPT_NEOX;
        snprintf(info->family, sizeof info->family, "GPT-NeoX (gptneox)");
        bool parallel = true;
        ats_gguf_get_bool(ld->g, "gptneox.use_parallel_residual", &parallel);
        c->parallel_block = parallel;
        c->activation = ATS_ACT_GELU_ERF; /* Hugging Face's "gelu" (llama.cpp runs tanh's) */
        choice(info, "fused attn_qkv, interleaved per head");
        choice(info,
               parallel ? "parallel residual (use_parallel_residual)" : "sequential residual");
    } else if (is(ld, "phi2")) {
        c->arch = ATS_ARCH_PHI;
        snprintf(info->family, sizeof info->family, "Phi-2 (phi2)");
        c->parallel_block = true;
        c->activation = ATS_ACT_GELU_TANH;
        choice(info, "parallel attention and MLP on one LayerNorm");
    } else if (is(ld, "phi3")) {
        c->arch = ATS_ARCH_PHI3;
        snprintf(info->family, sizeof info->family, "Phi-3 (phi3)");
        c->activation = ATS_ACT_SWIGLU;
        c->sliding_window = ats_gguf_loader_int(ld, "attention.sliding_window", MAX_COUNT, 0);
        choice(info, "fused attn_qkv and ffn_up (gate rows, then up rows)");
    } else if (is(ld, "gemma") || is(ld, "gemma2")) {
        bool two = is(ld, "gemma2");
        c->arch = two ? ATS_ARCH_GEMMA2 : ATS_ARCH_GEMMA;
        snprintf(info->family, sizeof info->family, "%s (%s)", two ? "Gemma 2" : "Gemma", ld->arch);
        c->activation = ATS_ACT_GEGLU;
        c->embed_scale = sqrtf((float)c->d_model);
        choice(info, "GeGLU; token embeddings times sqrt(d_model); norms stored as 1 + weight");
        if (two) {
            c->post_block_norm = true;
            c->attn_softcap = (float)ats_gguf_loader_real(ld, "attn_logit_softcapping", 50.0);
            c->final_softcap = (float)ats_gguf_loader_real(ld, "final_logit_softcapping", 30.0);
            c->sliding_window =
                ats_gguf_loader_int(ld, "attention.sliding_window", MAX_COUNT, 4096);
            c->window_period = 2;
            int scale_dim = c->n_layer == 46 ? c->d_model / c->n_head : c->d_head;
            c->attn_scale = 1.0f / sqrtf((float)scale_dim);
            snprintf(text, sizeof text,
                     "soft-caps: attention %g, final %g; window %d on even "
                     "layers",
                     (double)c->attn_softcap, (double)c->final_softcap, c->sliding_window);
            choice(info, text);
        }
    } else { /* qwen2 */
        c->arch = ATS_ARCH_QWEN2;
        snprintf(info->family, sizeof info->family, "Qwen2 (qwen2)");
        c->activation = ATS_ACT_SWIGLU;
        choice(info, "biases on the query, key and value projections");
    }
    if (c->sliding_window >= c->context)
        c->sliding_window = 0;
}

/* ---- tensors ------------------------------------------------------------------------------- */

/* attn_qkv (D, 3D) of gptneox: for each head its dh q rows, then k rows, then v rows; regrouped
 * into q, k, v maps of float32 (any stored type is decoded). */
static void neox_qkv(gguf_loader *ld, ats_layer *L, int l) {
    ats_model *m = ld->model;
    int D = m->cfg.d_model, dh = m->cfg.d_head, H = m->cfg.n_head;
    const float *w = ats_gguf_loader_floats(ld, true, D, 3 * D, blk(ld, l, "attn_qkv.weight"));
    const float *b = ats_gguf_loader_floats(ld, false, 3 * D, -1, blk(ld, l, "attn_qkv.bias"));
    if (ld->status != ATS_OK)
        return;
    ats_linear *out[3] = {&L->wq, &L->wk, &L->wv};
    for (int part = 0; part < 3; part++) {
        float *pw = ats_model_alloc_floats(m, (size_t)D * D, ld->err);
        float *pb = b ? ats_model_alloc_floats(m, (size_t)D, ld->err) : NULL;
        if (!pw || (b && !pb)) {
            ld->status = ATS_ERR_NOMEM;
            return;
        }
        for (int hh = 0; hh < H; hh++) {
            size_t src = ((size_t)3 * hh + part) * dh, dst = (size_t)hh * dh; /* rows */
            memcpy(pw + dst * D, w + src * D, (size_t)dh * D * sizeof(float));
            if (pb)
                memcpy(pb + dst, b + src, (size_t)dh * sizeof(float));
        }
        *out[part] = (ats_linear){.w = pw, .b = pb, .n_out = D, .n_in = D, .ld = D};
    }
}

/* A LayerNorm `base`.weight and `base`.bias, or an RMS norm `base`.weight. */
static ats_norm norm(gguf_loader *ld, const char *base) {
    int D = ld->model->cfg.d_model;
    char w[sizeof ld->key + 8], b[sizeof ld->key + 8];
    snprintf(w, sizeof w, "%s.weight", base);
    snprintf(b, sizeof b, "%s.bias", base);
    ats_norm n = {.w = ats_gguf_loader_floats(ld, true, D, -1, w), .b = NULL};
    if (ld->model->cfg.norm == ATS_NORM_LAYERNORM)
        n.b = ats_gguf_loader_floats(ld, true, D, -1, b);
    return n;
}

/* q, k, v of layer l: one fused attn_qkv (q rows, then k, then v) or three tensors. */
static void qkv(gguf_loader *ld, ats_layer *L, int l) {
    const ats_model_config *c = &ld->model->cfg;
    int D = c->d_model, dq = c->n_head * c->d_head, dkv = c->n_kv_head * c->d_head;
    if (ats_gguf_find_tensor(ld->g, blk(ld, l, "attn_qkv.weight"))) {
        ats_linear fused = ats_gguf_loader_linear(ld, dq + 2 * dkv, D, blk(ld, l, "attn_qkv"));
        if (ld->status != ATS_OK)
            return;
        L->wq = ats_linear_outputs(&fused, 0, dq);
        L->wk = ats_linear_outputs(&fused, dq, dkv);
        L->wv = ats_linear_outputs(&fused, dq + dkv, dkv);
        return;
    }
    L->wq = ats_gguf_loader_linear(ld, dq, D, blk(ld, l, "attn_q"));
    L->wk = ats_gguf_loader_linear(ld, dkv, D, blk(ld, l, "attn_k"));
    L->wv = ats_gguf_loader_linear(ld, dkv, D, blk(ld, l, "attn_v"));
}

static void build_layer(gguf_loader *ld, ats_layer *L, int l) {
    const ats_model_config *c = &ld->model->cfg;
    int D = c->d_model, F = c->d_ff, dq = c->n_head * c->d_head;
    L->attn_norm = norm(ld, blk(ld, l, "attn_norm"));
    if (is(ld, "gptneox"))
        neox_qkv(ld, L, l);
    else
        qkv(ld, L, l);
    L->wo = ats_gguf_loader_linear(ld, D, dq, blk(ld, l, "attn_output"));
    if (is(ld, "phi2"))
        L->mlp_norm = L->attn_norm; /* one norm for both blocks */
    else
        L->mlp_norm = norm(ld, blk(ld, l, "ffn_norm"));
    if (c->post_block_norm) {
        L->post_attn_norm = norm(ld, blk(ld, l, "post_attention_norm"));
        L->post_mlp_norm = norm(ld, blk(ld, l, "post_ffw_norm"));
    }
    if (is(ld, "phi3")) { /* ffn_up (2F): the gate rows, then the up rows */
        ats_linear gu = ats_gguf_loader_linear(ld, 2 * F, D, blk(ld, l, "ffn_up"));
        if (ld->status != ATS_OK)
            return;
        L->gate = ats_linear_outputs(&gu, 0, F);
        L->up = ats_linear_outputs(&gu, F, F);
    } else {
        if (c->activation == ATS_ACT_SWIGLU || c->activation == ATS_ACT_GEGLU)
            L->gate = ats_gguf_loader_linear(ld, F, D, blk(ld, l, "ffn_gate"));
        L->up = ats_gguf_loader_linear(ld, F, D, blk(ld, l, "ffn_up"));
    }
    L->down = ats_gguf_loader_linear(ld, D, F, blk(ld, l, "ffn_down"));
}

bool ats_gguf_family_known(const char *arch) {
    static const char *const known[] = {"gptneox", "phi2",  "phi3", "gemma",
                                        "gemma2",  "qwen2", NULL};
    for (int i = 0; known[i]; i++)
        if (strcmp(arch, known[i]) == 0)
            return true;
    return false;
}

void ats_gguf_build_family(gguf_loader *ld) {
    ats_model *m = ld->model;
    ats_model_config *c = &m->cfg;
    read_config(ld);
    read_family(ld);
    const ats_gguf_tensor *embd = ats_gguf_find_tensor(ld->g, "token_embd.weight");
    if (ld->status != ATS_OK)
        return;
    if (!embd || embd->n_dims != 2 || embd->dims[1] > (uint64_t)MAX_COUNT) {
        ld->status = ats_fail(ld->err, ATS_ERR_FORMAT,
                              "%s: 'token_embd.weight' is missing or not a (vocab, d_model) table",
                              ld->path);
        return;
    }
    c->vocab_size = (int)embd->dims[1];
    int D = c->d_model;
    m->tok_embed = ats_gguf_loader_matrix(ld, true, c->vocab_size, D, "token_embd.weight");
    m->layers = ld->status == ATS_OK
                    ? ats_model_alloc(m, (size_t)c->n_layer * sizeof(ats_layer), ld->err)
                    : NULL;
    if (ld->status == ATS_OK && !m->layers)
        ld->status = ATS_ERR_NOMEM;
    for (int l = 0; l < c->n_layer && ld->status == ATS_OK; l++)
        build_layer(ld, &m->layers[l], l);
    m->final_norm = norm(ld, "output_norm");
    m->lm_head = ats_gguf_loader_matrix(ld, false, c->vocab_size, D, "output.weight");
    if (m->lm_head.w)
        m->lm_head.b = ats_gguf_loader_floats(ld, false, c->vocab_size, -1, "output.bias");
    else
        m->lm_head = m->tok_embed; /* tied */
}
