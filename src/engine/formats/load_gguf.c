/* GGUF files of architecture "llama", as llama.cpp writes them:
 *
 *   token_embd.weight (ne [D, V]), blk.N.attn_norm (D), blk.N.attn_{q,k,v,output}.weight,
 *   blk.N.ffn_norm (D), blk.N.ffn_{gate,up,down}.weight, output_norm (D), output.weight
 *   (ne [D, V], absent when tied to token_embd).
 *
 * ggml lists dimensions fastest-first, so a weight with ne [n_in, n_out] is stored [out][in],
 * the layout ats_linear reads directly. Q and K rows are in the interleaved (GPT-J / llama2.c)
 * RoPE order. Weight matrices (token_embd and output too) are used in place in their stored type,
 * any of F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K IQ4_NL IQ4_XS (llama.cpp's
 * Q2_K, Q3_K_M, Q4_K_M, Q5_K_M, Q6_K, ... files mix these); norms are float32 views. Any other
 * type is refused, naming the tensor and the type.
 *
 * A file without tensors (llama.cpp's vocabulary files) loads with has_weights = false and
 * whatever configuration its metadata gives, for tokenize and info.
 */
#include "dequant.h"
#include "base.h"
#include "gguf.h"
#include "gguf_loader.h"
#include "loaders.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const int64_t MAX_DIM = 1 << 20;
static const int64_t MAX_COUNT = 1 << 24;

static const char *key(gguf_loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *key(gguf_loader *ld, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->key, sizeof ld->key, fmt, ap);
    va_end(ap);
    return ld->key;
}

/* ---- metadata ----------------------------------------------------------------------------- */

/* "<arch>.<name>" as an integer in [1, max]; `fallback` when absent (an error if fallback is 0,
 * unless `optional`). */
static int meta_int(gguf_loader *ld, const char *name, int64_t max, int fallback, bool optional) {
    if (ld->status != ATS_OK)
        return 0;
    const char *k = key(ld, "%s.%s", ld->arch, name);
    int64_t v;
    if (!ats_gguf_find(ld->g, k)) {
        if (fallback == 0 && !optional)
            ld->status =
                ats_fail(ld->err, ATS_ERR_FORMAT, "%s: missing metadata '%s'", ld->path, k);
        return fallback;
    }
    if (!ats_gguf_get_int(ld->g, k, &v) || v < 1 || v > max) {
        ld->status = ats_fail(ld->err, ATS_ERR_FORMAT,
                              "%s: metadata '%s' must be a whole number from 1 to %lld", ld->path,
                              k, (long long)max);
        return 0;
    }
    return (int)v;
}

static double meta_real(gguf_loader *ld, const char *name, double fallback) {
    if (ld->status != ATS_OK)
        return fallback;
    const char *k = key(ld, "%s.%s", ld->arch, name);
    double v;
    if (!ats_gguf_find(ld->g, k))
        return fallback;
    if (!ats_gguf_get_float(ld->g, k, &v) || !(v > 0) || !isfinite(v)) {
        ld->status = ats_fail(ld->err, ATS_ERR_FORMAT,
                              "%s: metadata '%s' must be a positive number", ld->path, k);
        return fallback;
    }
    return v;
}

static bool str_eq(ats_gguf_str s, const char *z) {
    return s.len == strlen(z) && memcmp(s.data, z, s.len) == 0;
}

/* "<arch>.rope.scaling.<name>", when the file has it, must be `neutral` (a YaRN variant attnscope
 * does not run otherwise): refused, named. */
static void require_neutral(gguf_loader *ld, const char *name, double neutral) {
    const char *k = key(ld, "%s.rope.scaling.%s", ld->arch, name);
    double v;
    if (ld->status == ATS_OK && ats_gguf_find(ld->g, k) &&
        !(ats_gguf_get_float(ld->g, k, &v) && v == neutral))
        ld->status =
            ats_fail(ld->err, ATS_ERR_UNSUPPORTED,
                     "%s: metadata '%s' other than %g is not supported", ld->path, k, neutral);
}

/* YaRN as llama.cpp stores it: .factor, .original_context_length (the context when absent),
 * .yarn_beta_fast / .yarn_beta_slow (32 and 1 when absent); ggml's rope_yarn then multiplies cos
 * and sin by 1 + 0.1 ln(factor), as transformers' default attention factor. */
static void read_yarn(gguf_loader *ld, ats_rope_scaling *out) {
    out->kind = ATS_ROPE_SCALING_YARN;
    out->factor = (float)meta_real(ld, "rope.scaling.factor", 0.0);
    out->original_max_position = meta_int(ld, "rope.scaling.original_context_length", MAX_COUNT,
                                          ld->model->cfg.context, true);
    out->beta_fast = (float)meta_real(ld, "rope.scaling.yarn_beta_fast", 32.0);
    out->beta_slow = (float)meta_real(ld, "rope.scaling.yarn_beta_slow", 1.0);
    out->attn_factor = out->factor > 1.0f ? 1.0f + 0.1f * logf(out->factor) : 1.0f;
    require_neutral(ld, "attn_factor", 1.0);
    require_neutral(ld, "yarn_attn_factor", 1.0);
    require_neutral(ld, "yarn_ext_factor", 1.0);
    require_neutral(ld, "yarn_log_multiplier", 0.0);
    if (ld->status == ATS_OK && !(out->factor > 0.0f))
        ld->status = ats_fail(ld->err, ATS_ERR_FORMAT, "%s: yarn needs '%s.rope.scaling.factor'",
                              ld->path, ld->arch);
    if (ld->status == ATS_OK)
        ats_model_add_choice(ld->model,
                             "rope scaling yarn: factor %g, original context %d, betas %g/%g, cos "
                             "and sin x%.4g",
                             (double)out->factor, out->original_max_position,
                             (double)out->beta_fast, (double)out->beta_slow,
                             (double)out->attn_factor);
}

void ats_gguf_loader_rope_scaling(gguf_loader *ld, ats_rope_scaling *out) {
    *out = (ats_rope_scaling){.kind = ATS_ROPE_SCALING_NONE, .factor = 1.0f};
    ats_gguf_str type;
    if (ld->status != ATS_OK)
        return;
    if (ats_gguf_get_str(ld->g, key(ld, "%s.rope.scaling.type", ld->arch), &type)) {
        if (str_eq(type, "linear")) {
            out->kind = ATS_ROPE_SCALING_LINEAR;
            out->factor = (float)meta_real(ld, "rope.scaling.factor", 1.0);
        } else if (str_eq(type, "yarn")) {
            read_yarn(ld, out);
        } else if (!str_eq(type, "none")) {
            ld->status =
                ats_fail(ld->err, ATS_ERR_UNSUPPORTED,
                         "%s: rope scaling '%.*s' is not supported in GGUF (none, linear or yarn)",
                         ld->path, (int)(type.len > 64 ? 64 : type.len), type.data);
        }
    } else if (ats_gguf_find(ld->g, key(ld, "%s.rope.scale_linear", ld->arch))) {
        out->kind = ATS_ROPE_SCALING_LINEAR;
        out->factor = (float)meta_real(ld, "rope.scale_linear", 1.0);
    }
}

/* ---- tensors ------------------------------------------------------------------------------ */

static bool wtype_of(uint32_t ggml_type, ats_wtype *out) {
    static const struct {
        uint32_t ggml;
        ats_wtype type;
    } map[] = {
        {ATS_GGML_F32, ATS_WTYPE_F32},       {ATS_GGML_F16, ATS_WTYPE_F16},
        {ATS_GGML_BF16, ATS_WTYPE_BF16},     {ATS_GGML_Q8_0, ATS_WTYPE_Q8_0},
        {ATS_GGML_Q4_0, ATS_WTYPE_Q4_0},     {ATS_GGML_Q4_1, ATS_WTYPE_Q4_1},
        {ATS_GGML_Q5_0, ATS_WTYPE_Q5_0},     {ATS_GGML_Q5_1, ATS_WTYPE_Q5_1},
        {ATS_GGML_Q2_K, ATS_WTYPE_Q2_K},     {ATS_GGML_Q3_K, ATS_WTYPE_Q3_K},
        {ATS_GGML_Q4_K, ATS_WTYPE_Q4_K},     {ATS_GGML_Q5_K, ATS_WTYPE_Q5_K},
        {ATS_GGML_Q6_K, ATS_WTYPE_Q6_K},     {ATS_GGML_IQ4_NL, ATS_WTYPE_IQ4_NL},
        {ATS_GGML_IQ4_XS, ATS_WTYPE_IQ4_XS},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].ggml == ggml_type) {
            *out = map[i].type;
            return true;
        }
    }
    return false;
}

/* Tensor `name` with ggml shape ne [ne0] (ne1 < 0) or [ne0, ne1] and a type attnscope reads;
 * NULL when absent (an error when `required`) or wrong. */
static const ats_gguf_tensor *tensor(gguf_loader *ld, bool required, long long ne0, long long ne1,
                                     const char *name, ats_wtype *type) {
    if (ld->status != ATS_OK)
        return NULL;
    const ats_gguf_tensor *t = ats_gguf_find_tensor(ld->g, name);
    if (!t) {
        if (required)
            ld->status =
                ats_fail(ld->err, ATS_ERR_FORMAT, "%s: missing tensor '%s'", ld->path, name);
        return NULL;
    }
    uint32_t dims = ne1 < 0 ? 1 : 2;
    if (t->n_dims != dims || t->dims[0] != (uint64_t)ne0 ||
        (dims == 2 && t->dims[1] != (uint64_t)ne1)) {
        char want[64];
        if (dims == 1)
            snprintf(want, sizeof want, "[%lld]", ne0);
        else
            snprintf(want, sizeof want, "[%lld, %lld]", ne0, ne1);
        ld->status = ats_fail(ld->err, ATS_ERR_FORMAT,
                              "%s: tensor '%s' has shape [%llu, %llu, %llu, %llu] (%u dims), "
                              "expected %s (ggml order)",
                              ld->path, name, (unsigned long long)t->dims[0],
                              (unsigned long long)t->dims[1], (unsigned long long)t->dims[2],
                              (unsigned long long)t->dims[3], t->n_dims, want);
        return NULL;
    }
    if (!wtype_of(t->type, type)) {
        ld->status = ats_fail(ld->err, ATS_ERR_UNSUPPORTED,
                              "%s: tensor '%s' has type %s (%u), which attnscope does not read "
                              "(it reads F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K "
                              "Q5_K Q6_K IQ4_NL IQ4_XS)",
                              ld->path, name, ats_ggml_type_name(t->type), t->type);
        return NULL;
    }
    /* The parser checked that n_bytes of this type lie inside the file. */
    ld->wtypes |= 1u << *type;
    return t;
}

/* The float32 values of a small tensor (a norm, a bias, a table) with ggml shape [ne0]
 * (ne1 < 0) or [ne0, ne1]: in place when stored as aligned float32, else converted. */
static const float *floats(gguf_loader *ld, bool required, long long ne0, long long ne1,
                           const char *name) {
    ats_wtype type;
    const ats_gguf_tensor *t = tensor(ld, required, ne0, ne1, name, &type);
    if (!t)
        return NULL;
    const float *p = ats_dequant_view(ld->model, t->data, type, (size_t)t->n_elements, ld->err);
    if (!p)
        ld->status = ATS_ERR_NOMEM;
    else
        ats_model_note_tensor(ld->model, type, t->n_bytes, (const void *)p == t->data);
    return p;
}

/* A matrix with ne [n_in, n_out] (stored [out][in]) used in its stored encoding, in place. */
static ats_linear matrix(gguf_loader *ld, bool required, int n_out, int n_in, const char *name) {
    ats_wtype type;
    const ats_gguf_tensor *t = tensor(ld, required, n_in, n_out, name, &type);
    if (!t)
        return (ats_linear){0};
    const void *w = t->data;
    if (type == ATS_WTYPE_F32) /* a copy only when general.alignment left it misaligned */
        w = ats_dequant_view(ld->model, t->data, type, (size_t)t->n_elements, ld->err);
    if (!w) {
        ld->status = ATS_ERR_NOMEM;
        return (ats_linear){0};
    }
    ats_model_note_tensor(ld->model, type, t->n_bytes, w == t->data);
    return (ats_linear){
        .w = w, .type = type, .n_out = n_out, .n_in = n_in, .ld = n_in, .in_major = false};
}

/* `name`.weight with ne [n_in, n_out] and an optional `name`.bias. */
static ats_linear linear(gguf_loader *ld, int n_out, int n_in, const char *name) {
    char base[sizeof ld->key];
    snprintf(base, sizeof base, "%s", name);
    ats_linear lin = matrix(ld, true, n_out, n_in, key(ld, "%s.weight", base));
    lin.b = floats(ld, false, n_out, -1, key(ld, "%s.bias", base));
    return lin;
}

static ats_norm rmsnorm(gguf_loader *ld, int d, const char *name) {
    return (ats_norm){.w = floats(ld, true, d, -1, name), .b = NULL};
}

/* ---- the llama architecture ------------------------------------------------------------------ */

/* rope_freqs.weight (d_head / 2): Llama 3.1's frequency scaling as llama.cpp's converter stores
 * it, a divisor per frequency; each must be a positive number. */
static void read_rope_factors(gguf_loader *ld) {
    ats_model *m = ld->model;
    int half = m->cfg.d_head / 2;
    if (ld->status != ATS_OK || !ats_gguf_find_tensor(ld->g, "rope_freqs.weight"))
        return;
    m->rope_factors = floats(ld, true, half, -1, "rope_freqs.weight");
    for (int i = 0; m->rope_factors && i < half; i++) {
        if (!(m->rope_factors[i] > 0.0f) || !isfinite(m->rope_factors[i])) {
            ld->status = ats_fail(ld->err, ATS_ERR_FORMAT,
                                  "%s: rope_freqs.weight[%d] is %g, not a positive factor",
                                  ld->path, i, (double)m->rope_factors[i]);
            return;
        }
    }
    if (m->rope_factors)
        ats_model_add_choice(m, "RoPE frequencies divided by rope_freqs (Llama 3.1 scaling)");
}

static void read_llama_config(gguf_loader *ld) {
    ats_model_config *c = &ld->model->cfg;
    c->arch = ATS_ARCH_LLAMA;
    snprintf(ld->model->info.family, sizeof ld->model->info.family, "Llama (llama)");
    c->d_model = meta_int(ld, "embedding_length", MAX_DIM, 0, false);
    c->n_layer = meta_int(ld, "block_count", MAX_DIM, 0, false);
    c->n_head = meta_int(ld, "attention.head_count", MAX_DIM, 0, false);
    c->n_kv_head = meta_int(ld, "attention.head_count_kv", MAX_DIM, c->n_head, false);
    c->d_ff = meta_int(ld, "feed_forward_length", MAX_DIM, 0, false);
    c->context = meta_int(ld, "context_length", MAX_COUNT, 0, false);
    c->norm_eps = (float)meta_real(ld, "attention.layer_norm_rms_epsilon", 1e-5);
    c->rope_theta = (float)meta_real(ld, "rope.freq_base", 10000.0);
    if (ld->status != ATS_OK)
        return;
    c->d_head = meta_int(ld, "attention.key_length", MAX_DIM, c->d_model / c->n_head, false);
    int rope_dims = meta_int(ld, "rope.dimension_count", MAX_DIM, c->d_head, false);
    if (ld->status == ATS_OK && rope_dims != c->d_head)
        ld->status = ats_fail(ld->err, ATS_ERR_UNSUPPORTED,
                              "%s: rotary positions over %d of %d head dimensions are not "
                              "supported",
                              ld->path, rope_dims, c->d_head);
    if (ld->status == ATS_OK && (int64_t)c->n_head * c->d_head > MAX_DIM)
        ld->status =
            ats_fail(ld->err, ATS_ERR_FORMAT, "%s: %d heads of %d dimensions is implausible",
                     ld->path, c->n_head, c->d_head);
    if (ld->status == ATS_OK && c->n_head % c->n_kv_head != 0)
        ld->status = ats_fail(ld->err, ATS_ERR_FORMAT,
                              "%s: %d attention heads do not divide into %d key/value heads",
                              ld->path, c->n_head, c->n_kv_head);
    ats_gguf_loader_rope_scaling(ld, &c->rope_scaling);
    read_rope_factors(ld);
    c->norm = ATS_NORM_RMSNORM;
    c->pre_norm = true;
    c->final_norm = true;
    c->positions = ATS_POS_ROPE_INTERLEAVED;
    c->activation = ATS_ACT_SWIGLU;
    c->causal = true;
    c->attn_scale = 1.0f / sqrtf((float)c->d_head);
}

static void build_llama(gguf_loader *ld) {
    ats_model *m = ld->model;
    ats_model_config *c = &m->cfg;
    const ats_gguf_tensor *embd = ats_gguf_find_tensor(ld->g, "token_embd.weight");
    if (!embd) {
        ld->status =
            ats_fail(ld->err, ATS_ERR_FORMAT, "%s: missing tensor 'token_embd.weight'", ld->path);
        return;
    }
    /* The vocabulary is the embedding's row count; a stated vocab_size must agree. */
    if (embd->n_dims != 2 || embd->dims[1] > (uint64_t)MAX_COUNT) {
        ld->status =
            ats_fail(ld->err, ATS_ERR_FORMAT,
                     "%s: tensor 'token_embd.weight' is not a (vocab, d_model) table", ld->path);
        return;
    }
    c->vocab_size = (int)embd->dims[1];
    int stated = meta_int(ld, "vocab_size", MAX_COUNT, c->vocab_size, false);
    if (ld->status == ATS_OK && stated != c->vocab_size)
        ld->status = ats_fail(ld->err, ATS_ERR_FORMAT,
                              "%s: vocab_size %d disagrees with token_embd.weight (%d rows)",
                              ld->path, stated, c->vocab_size);

    int D = c->d_model, F = c->d_ff;
    int dq = c->n_head * c->d_head, dkv = c->n_kv_head * c->d_head;
    m->tok_embed = matrix(ld, true, c->vocab_size, D, "token_embd.weight");
    m->layers = ld->status == ATS_OK
                    ? ats_model_alloc(m, (size_t)c->n_layer * sizeof(ats_layer), ld->err)
                    : NULL;
    if (ld->status == ATS_OK && !m->layers)
        ld->status = ATS_ERR_NOMEM;
    for (int l = 0; l < c->n_layer && ld->status == ATS_OK; l++) {
        ats_layer *L = &m->layers[l];
        L->attn_norm = rmsnorm(ld, D, key(ld, "blk.%d.attn_norm.weight", l));
        L->wq = linear(ld, dq, D, key(ld, "blk.%d.attn_q", l));
        L->wk = linear(ld, dkv, D, key(ld, "blk.%d.attn_k", l));
        L->wv = linear(ld, dkv, D, key(ld, "blk.%d.attn_v", l));
        L->wo = linear(ld, D, dq, key(ld, "blk.%d.attn_output", l));
        L->mlp_norm = rmsnorm(ld, D, key(ld, "blk.%d.ffn_norm.weight", l));
        L->gate = linear(ld, F, D, key(ld, "blk.%d.ffn_gate", l));
        L->up = linear(ld, F, D, key(ld, "blk.%d.ffn_up", l));
        L->down = linear(ld, D, F, key(ld, "blk.%d.ffn_down", l));
    }
    m->final_norm = rmsnorm(ld, D, "output_norm.weight");
    m->lm_head = matrix(ld, false, c->vocab_size, D, "output.weight");
    if (!m->lm_head.w)
        m->lm_head = m->tok_embed; /* tied */
}

/* ---- vocabulary-only files ---------------------------------------------------------------- */

/* Whatever "<arch>.*" sizes the metadata holds; nothing is required. */
static void read_vocab_only_config(gguf_loader *ld) {
    ats_model_config *c = &ld->model->cfg;
    if (strcmp(ld->arch, "gpt2") == 0)
        c->arch = ATS_ARCH_GPT2;
    else if (strcmp(ld->arch, "bert") == 0)
        c->arch = ATS_ARCH_BERT;
    else
        c->arch = ATS_ARCH_LLAMA;
    c->d_model = meta_int(ld, "embedding_length", MAX_DIM, 0, true);
    c->n_layer = meta_int(ld, "block_count", MAX_DIM, 0, true);
    c->n_head = meta_int(ld, "attention.head_count", MAX_DIM, 0, true);
    c->n_kv_head = meta_int(ld, "attention.head_count_kv", MAX_DIM, c->n_head, true);
    c->d_ff = meta_int(ld, "feed_forward_length", MAX_DIM, 0, true);
    c->context = meta_int(ld, "context_length", MAX_COUNT, 0, true);
    if (c->n_head > 0 && c->d_model % c->n_head == 0)
        c->d_head = c->d_model / c->n_head;
    c->causal = c->arch != ATS_ARCH_BERT;
    bool causal;
    if (ats_gguf_get_bool(ld->g, key(ld, "%s.attention.causal", ld->arch), &causal))
        c->causal = causal;
    c->norm = c->arch == ATS_ARCH_LLAMA ? ATS_NORM_RMSNORM : ATS_NORM_LAYERNORM;
    const ats_gguf_kv *tokens = ats_gguf_find(ld->g, "tokenizer.ggml.tokens");
    if (tokens && tokens->type == ATS_GGUF_ARRAY && tokens->array_len <= (uint64_t)MAX_COUNT)
        c->vocab_size = (int)tokens->array_len;
}

/* ---- the file ----------------------------------------------------------------------------- */

static void set_name(ats_model_info *info, const char *path) {
    const char *base = strrchr(path, '/');
    snprintf(info->name, sizeof info->name, "%s", base && base[1] ? base + 1 : path);
    snprintf(info->path, sizeof info->path, "%s", path);
}

static ats_status load(gguf_loader *ld) {
    ats_model *m = ld->model;
    ats_status s = ats_gguf_open(ld->path, &ld->g, ld->err);
    if (s != ATS_OK)
        return s;
    ats_gguf_str arch;
    if (!ats_gguf_get_str(ld->g, "general.architecture", &arch))
        return ats_fail(ld->err, ATS_ERR_FORMAT, "%s: no 'general.architecture' string", ld->path);
    if (arch.len == 0 || arch.len >= sizeof ld->arch || memchr(arch.data, '\0', arch.len))
        return ats_fail(ld->err, ATS_ERR_FORMAT, "%s: malformed 'general.architecture'", ld->path);
    snprintf(ld->arch, sizeof ld->arch, "%.*s", (int)arch.len, arch.data);
    set_name(&m->info, ld->path);
    snprintf(m->info.format, sizeof m->info.format, "gguf");
    m->info.file_size = ld->g->file->size;
    m->info.has_weights = ld->g->n_tensors > 0;

    if (!m->info.has_weights) {
        read_vocab_only_config(ld);
    } else if (strcmp(ld->arch, "t5") == 0) {
        ats_gguf_build_t5(ld);
    } else if (ats_gguf_family_known(ld->arch)) {
        ats_gguf_build_family(ld);
    } else if (strcmp(ld->arch, "llama") != 0) {
        return ats_fail(ld->err, ATS_ERR_UNSUPPORTED,
                        "%s: GGUF architecture '%s' is not supported (attnscope runs llama, "
                        "gptneox, phi2, phi3, gemma, gemma2, qwen2 and t5)",
                        ld->path, ld->arch);
    } else {
        read_llama_config(ld);
        build_llama(ld);
    }
    if (ld->status != ATS_OK)
        return ld->status;
    ats_wtype_mix_name(ld->wtypes, m->info.dtype, sizeof m->info.dtype);

    /* The tokenizer reads the metadata while the file is still the container's. */
    if ((s = ats_tokenizer_from_gguf(ld->g, &m->tokenizer, ld->err)) != ATS_OK)
        return s;
    snprintf(m->info.tokenizer_kind, sizeof m->info.tokenizer_kind, "%s", m->tokenizer->kind);
    return ats_model_keep_mapping(m, ats_gguf_take_file(ld->g), ld->err);
}

ats_status ats_load_gguf(const char *path, const ats_load_opts *opts, ats_model **out,
                         ats_error *err) {
    *out = NULL;
    if (opts && opts->tokenizer_path)
        return ats_fail(err, ATS_ERR_ARG,
                        "%s: --tokenizer applies to llama2.c checkpoints; a GGUF file holds its "
                        "own",
                        path);
    gguf_loader ld = {.path = path, .err = err, .status = ATS_OK};
    if (!(ld.model = ats_model_new()))
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    ats_status s = load(&ld);
    ats_gguf_free(ld.g);
    if (s != ATS_OK) {
        ats_model_free(ld.model);
        return s;
    }
    *out = ld.model;
    return ATS_OK;
}

/* ---- for the builders of other architectures (gguf_loader.h) ------------------------------ */

int ats_gguf_loader_int(gguf_loader *ld, const char *name, int64_t max, int fallback) {
    return meta_int(ld, name, max, fallback, false);
}
double ats_gguf_loader_real(gguf_loader *ld, const char *name, double fallback) {
    return meta_real(ld, name, fallback);
}
const float *ats_gguf_loader_floats(gguf_loader *ld, bool required, long long ne0, long long ne1,
                                    const char *name) {
    return floats(ld, required, ne0, ne1, name);
}
ats_linear ats_gguf_loader_matrix(gguf_loader *ld, bool required, int n_out, int n_in,
                                  const char *name) {
    return matrix(ld, required, n_out, n_in, name);
}
ats_linear ats_gguf_loader_linear(gguf_loader *ld, int n_out, int n_in, const char *name) {
    return linear(ld, n_out, n_in, name);
}
ats_norm ats_gguf_loader_rmsnorm(gguf_loader *ld, int d, const char *name) {
    return rmsnorm(ld, d, name);
}
