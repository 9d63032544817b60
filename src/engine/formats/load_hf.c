/* Hugging Face folders: config.json plus model.safetensors, or the shards that
 * model.safetensors.index.json names. Tensors are looked up by their Hugging Face names and
 * checked for shape. Weight matrices (embedding tables and LM heads too) are used in place in
 * their stored dtype (F32, F16, BF16); norms, biases and position tables are float32 views, in
 * place or converted into model-owned memory.
 *
 *   gpt2   [transformer.]wte, wpe, h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc,
 *          mlp.c_proj}, ln_f; Conv1D weights are stored [in][out]; the LM head is wte (tied)
 *          unless lm_head.weight is present. attnscope's own checkpoints may have no wpe
 *          (rotary positions) and no ln_2 / mlp (n_inner 0: attention only).
 *   bert   [bert.]embeddings.{word,position,token_type}_embeddings, embeddings.LayerNorm,
 *          encoder.layer.N.{attention.self.{query,key,value}, attention.output.{dense,LayerNorm},
 *          intermediate.dense, output.{dense,LayerNorm}}; LayerNorm as weight/bias or gamma/beta.
 *          The MLM head when present (build_mlm_head); pooler, classifier and position_ids are
 *          ignored.
 *   roberta, xlm-roberta: bert's names under "roberta."; distilbert: distilbert.embeddings.
 *          {word,position}_embeddings, embeddings.LayerNorm, transformer.layer.N.{attention.
 *          {q,k,v,out}_lin, sa_layer_norm, ffn.{lin1,lin2}, output_layer_norm}.
 *   llama  [model.]embed_tokens, layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj,
 *          post_attention_layernorm, mlp.{gate,up,down}_proj}, norm; lm_head unless tied.
 *          mistral, qwen2 and gemma use these names; gemma2 adds pre_feedforward_layernorm and
 *          post_feedforward_layernorm (its post_attention_layernorm norms the attention's
 *          output); phi3 fuses self_attn.qkv_proj and mlp.gate_up_proj.
 *   gpt_neox  gpt_neox.embed_in, layers.N.{input_layernorm, post_attention_layernorm,
 *          attention.{query_key_value, dense}, mlp.{dense_h_to_4h, dense_4h_to_h}},
 *          final_layer_norm, embed_out; query_key_value's rows are q, k, v per head, regrouped
 *          here into q, k, v matrices (float32 copies).
 *   phi    model.embed_tokens, layers.N.{input_layernorm, self_attn.{q,k,v}_proj,
 *          self_attn.dense, mlp.{fc1,fc2}}, final_layernorm, lm_head with a bias.
 *   opt    [model.]decoder.{embed_tokens, embed_positions (context + 2 rows), layers.N.{
 *          self_attn.{q,k,v,out}_proj, self_attn_layer_norm, fc1, fc2, final_layer_norm},
 *          final_layer_norm (pre-norm only)}; lm_head is embed_tokens unless stored. With
 *          word_embed_proj_dim E != hidden_size (OPT-350m): embed_tokens and the head are E wide,
 *          and decoder.project_in (D, E) and project_out (E, D) map to and from the stream.
 *   t5     shared (or encoder.embed_tokens), {encoder,decoder}.block.N.layer.0.{SelfAttention.
 *          {q,k,v,o}, layer_norm}, block.0's SelfAttention.relative_attention_bias (the stack's
 *          one table), decoder.block.N.layer.1.{EncDecAttention.{q,k,v,o}, layer_norm}, the
 *          feed-forward layer (encoder 1, decoder 2).{DenseReluDense.{wi | wi_0, wi_1, wo},
 *          layer_norm}, {encoder,decoder}.final_layer_norm; lm_head unless tied, and a tied head
 *          scales the decoder's output by d_model^-0.5. No biases anywhere.
 */
#include "dequant.h"
#include "base.h"
#include "linear.h"
#include "hf_config.h"
#include "loaders.h"
#include "safetensors.h"

#include <errno.h>
#include <math.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { PATH_SIZE = 4096, MAX_SHARDS = 4096 };

typedef enum bias_rule { BIAS_NONE, BIAS_OPTIONAL, BIAS_REQUIRED } bias_rule;

typedef struct hf_loader {
    const char *dir;
    ats_model *model;
    ats_safetensors **shards; /* (n_shards) */
    int n_shards;
    const char *source; /* for "missing tensor" messages: the file(s) searched */
    unsigned wtypes;    /* bit set of (1 << ats_wtype) over the tensors used */
    uint64_t file_size;
    char name[512]; /* the tensor name being built */
    ats_error *err;
    ats_status status; /* the first failure; later steps do nothing */
} hf_loader;

/* ---- files -------------------------------------------------------------------------------- */

static bool join(char *out, const char *dir, const char *file) {
    int n = snprintf(out, PATH_SIZE, "%s/%s", dir, file);
    return n > 0 && n < PATH_SIZE;
}

/* Size of a regular file, or -1 when it does not exist. */
static long long regular_file_size(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    return (long long)st.st_size;
}

static void add_size(hf_loader *ld, const char *file) {
    char path[PATH_SIZE];
    long long n = join(path, ld->dir, file) ? regular_file_size(path) : -1;
    if (n > 0)
        ld->file_size += (uint64_t)n;
}

static ats_status open_shard(hf_loader *ld, const char *file) {
    char path[PATH_SIZE];
    if (!join(path, ld->dir, file))
        return ats_fail(ld->err, ATS_ERR_ARG, "%s: path too long", ld->dir);
    ats_safetensors *st;
    ats_status s = ats_safetensors_open(path, &st, ld->err);
    if (s != ATS_OK)
        return s;
    ld->shards[ld->n_shards++] = st;
    ld->file_size += st->file->size;
    return ATS_OK;
}

/* A shard name from the index must be a plain file name inside the folder. */
static bool plain_file_name(const char *s) {
    return *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static ats_status open_sharded(hf_loader *ld, const char *index_path) {
    char *text;
    size_t len;
    ats_status s = ats_read_text_file(index_path, &text, &len, ld->err);
    if (s != ATS_OK)
        return s;
    ld->file_size += len;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    free(text);
    json_t *map = root ? json_object_get(root, "weight_map") : NULL;
    if (!json_is_object(map)) {
        json_decref(root);
        return ats_fail(ld->err, ATS_ERR_FORMAT, "%s: %s", index_path,
                        root ? "no 'weight_map' object" : "not valid JSON");
    }
    size_t cap = json_object_size(map);
    ld->shards = calloc(cap ? cap : 1, sizeof *ld->shards);
    if (!ld->shards) {
        json_decref(root);
        return ats_fail(ld->err, ATS_ERR_NOMEM, "out of memory");
    }
    const char *tensor;
    json_t *file;
    json_object_foreach(map, tensor, file) {
        const char *f = json_string_value(file);
        if (!f || !plain_file_name(f)) {
            s = ats_fail(ld->err, ATS_ERR_FORMAT,
                         "%s: tensor '%s' maps to '%.200s', not a file name in the folder",
                         index_path, tensor, f ? f : "(not a string)");
            break;
        }
        bool seen = false;
        for (int i = 0; i < ld->n_shards && !seen; i++) {
            const char *p = ld->shards[i]->file->path;
            const char *base = strrchr(p, '/');
            seen = strcmp(base ? base + 1 : p, f) == 0;
        }
        if (seen)
            continue;
        if (ld->n_shards == MAX_SHARDS) {
            s = ats_fail(ld->err, ATS_ERR_FORMAT, "%s: more than %d shards", index_path,
                         MAX_SHARDS);
            break;
        }
        if ((s = open_shard(ld, f)) != ATS_OK)
            break;
    }
    json_decref(root);
    return s;
}

static ats_status open_weights(hf_loader *ld) {
    char path[PATH_SIZE];
    if (!join(path, ld->dir, "model.safetensors.index.json"))
        return ats_fail(ld->err, ATS_ERR_ARG, "%s: path too long", ld->dir);
    if (regular_file_size(path) >= 0) {
        ld->source = "the shards of model.safetensors.index.json";
        return open_sharded(ld, path);
    }
    join(path, ld->dir, "model.safetensors");
    if (regular_file_size(path) >= 0) {
        ld->source = "model.safetensors";
        ld->shards = calloc(1, sizeof *ld->shards);
        if (!ld->shards)
            return ats_fail(ld->err, ATS_ERR_NOMEM, "out of memory");
        return open_shard(ld, "model.safetensors");
    }
    join(path, ld->dir, "pytorch_model.bin");
    if (regular_file_size(path) >= 0)
        return ats_fail(ld->err, ATS_ERR_UNSUPPORTED,
                        "%s: holds pytorch_model.bin only; attnscope reads safetensors weights",
                        ld->dir);
    return ats_fail(ld->err, ATS_ERR_FORMAT,
                    "%s: no model.safetensors or model.safetensors.index.json", ld->dir);
}

/* ---- tensors ------------------------------------------------------------------------------ */

static const char *tname(hf_loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *tname(hf_loader *ld, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->name, sizeof ld->name, fmt, ap);
    va_end(ap);
    return ld->name;
}

static const ats_st_tensor *find(const hf_loader *ld, const char *name,
                                 const ats_safetensors **owner) {
    for (int i = 0; i < ld->n_shards; i++) {
        const ats_st_tensor *t = ats_safetensors_find(ld->shards[i], name);
        if (t) {
            if (owner)
                *owner = ld->shards[i];
            return t;
        }
    }
    return NULL;
}

static void shape_text(const ats_st_tensor *t, char *out, size_t size) {
    size_t used = (size_t)snprintf(out, size, "[");
    for (int d = 0; d < t->n_dims && used < size; d++)
        used += (size_t)snprintf(out + used, size - used, d ? ", %llu" : "%llu",
                                 (unsigned long long)t->shape[d]);
    if (used < size)
        snprintf(out + used, size - used, "]");
}

/* Tensor `name` of shape (d0) when d1 < 0, else (d0, d1), of a dtype attnscope reads. A missing
 * tensor is an error when `required`, NULL otherwise. */
static const ats_st_tensor *tensor(hf_loader *ld, bool required, long long d0, long long d1,
                                   const char *name, ats_wtype *type) {
    if (ld->status != ATS_OK)
        return NULL;
    const ats_safetensors *owner = NULL;
    const ats_st_tensor *t = find(ld, name, &owner);
    if (!t) {
        if (required)
            ld->status = ats_fail(ld->err, ATS_ERR_FORMAT, "%s: missing tensor '%s' in %s", ld->dir,
                                  name, ld->source);
        return NULL;
    }
    int dims = d1 < 0 ? 1 : 2;
    if (t->n_dims != dims || t->shape[0] != (uint64_t)d0 ||
        (dims == 2 && t->shape[1] != (uint64_t)d1)) {
        char got[160], want[64];
        shape_text(t, got, sizeof got);
        if (dims == 1)
            snprintf(want, sizeof want, "[%lld]", d0);
        else
            snprintf(want, sizeof want, "[%lld, %lld]", d0, d1);
        ld->status = ats_fail(ld->err, ATS_ERR_FORMAT, "%s: tensor '%s' has shape %s, expected %s",
                              owner->file->path, name, got, want);
        return NULL;
    }
    if (!ats_safetensors_wtype(t, type)) {
        ld->status = ats_fail(ld->err, ATS_ERR_UNSUPPORTED,
                              "%s: tensor '%s' has dtype %s (attnscope reads F32, F16 and BF16)",
                              owner->file->path, name, t->dtype);
        return NULL;
    }
    ld->wtypes |= 1u << *type;
    return t;
}

/* The float32 values of tensor `name` (see tensor()): in place when stored as aligned float32,
 * else converted. For norms, biases and position tables. */
static const float *fetch(hf_loader *ld, bool required, long long d0, long long d1,
                          const char *name) {
    ats_wtype type;
    const ats_st_tensor *t = tensor(ld, required, d0, d1, name, &type);
    if (!t)
        return NULL;
    const float *p = ats_dequant_view(ld->model, t->data, type, (size_t)t->n_elements, ld->err);
    if (!p)
        ld->status = ATS_ERR_NOMEM;
    else
        ats_model_note_tensor(ld->model, type, t->n_bytes, (const void *)p == t->data);
    return p;
}

static const float *need1(hf_loader *ld, long long d0, const char *name) {
    return fetch(ld, true, d0, -1, name);
}

/* A weight matrix of shape (d0, d1) kept in its stored dtype (half types are decoded a few rows at
 * a time by the products, so a 7B F16 model takes its file size, not twice that); float32 in place
 * unless misaligned. `in_major`: stored [in][out] (d0 = n_in), else [out][in]. */
static ats_linear matrix(hf_loader *ld, bool required, int d0, int d1, bool in_major,
                         const char *name) {
    ats_wtype type;
    const ats_st_tensor *t = tensor(ld, required, d0, d1, name, &type);
    if (!t)
        return (ats_linear){0};
    const void *w = t->data;
    if (type == ATS_WTYPE_F32)
        w = ats_dequant_view(ld->model, t->data, type, (size_t)t->n_elements, ld->err);
    if (!w) {
        ld->status = ATS_ERR_NOMEM;
        return (ats_linear){0};
    }
    ats_model_note_tensor(ld->model, type, t->n_bytes, w == t->data);
    return (ats_linear){.w = w,
                        .type = type,
                        .n_out = in_major ? d1 : d0,
                        .n_in = in_major ? d0 : d1,
                        .ld = d1,
                        .in_major = in_major};
}

/* nn.Linear `base`.weight stored [out][in], with `base`.bias (n_out) by `bias`. */
static ats_linear linear(hf_loader *ld, int n_out, int n_in, bias_rule bias, const char *base) {
    char b[sizeof ld->name];
    snprintf(b, sizeof b, "%s", base);
    ats_linear lin = matrix(ld, true, n_out, n_in, false, tname(ld, "%s.weight", b));
    if (bias != BIAS_NONE)
        lin.b = fetch(ld, bias == BIAS_REQUIRED, n_out, -1, tname(ld, "%s.bias", b));
    return lin;
}

/* GPT-2 Conv1D `base`: weight stored [in][out] (n_in, n_out), bias (n_out). */
static ats_linear conv1d(hf_loader *ld, int n_in, int n_out, const char *base) {
    char b[sizeof ld->name];
    snprintf(b, sizeof b, "%s", base);
    ats_linear lin = matrix(ld, true, n_in, n_out, true, tname(ld, "%s.weight", b));
    lin.b = need1(ld, n_out, tname(ld, "%s.bias", b));
    return lin;
}

/* LayerNorm `base` of width d: weight/bias, or the older gamma/beta. */
static ats_norm layernorm(hf_loader *ld, int d, const char *base) {
    char b[sizeof ld->name];
    snprintf(b, sizeof b, "%s", base);
    bool old =
        !find(ld, tname(ld, "%s.weight", b), NULL) && find(ld, tname(ld, "%s.gamma", b), NULL);
    ats_norm n;
    n.w = need1(ld, d, tname(ld, old ? "%s.gamma" : "%s.weight", b));
    n.b = need1(ld, d, tname(ld, old ? "%s.beta" : "%s.bias", b));
    return n;
}

static ats_norm rmsnorm(hf_loader *ld, int d, const char *name) {
    return (ats_norm){.w = need1(ld, d, name), .b = NULL};
}

/* "" when `probe` exists without the prefix (checkpoints saved from the bare model, e.g. the
 * original gpt2 or bert-base-uncased), else `prefix` (so a missing tensor is named in full). */
static const char *prefix_for(const hf_loader *ld, const char *prefix, const char *probe) {
    char full[512];
    snprintf(full, sizeof full, "%s%s", prefix, probe);
    return !find(ld, full, NULL) && find(ld, probe, NULL) ? "" : prefix;
}

/* ---- architectures ------------------------------------------------------------------------ */

static void build_gpt2(hf_loader *ld, const ats_hf_config *h) {
    ats_model *m = ld->model;
    const ats_model_config *c = &m->cfg;
    int D = c->d_model, F = c->d_ff;
    const char *p = prefix_for(ld, "transformer.", "wte.weight");
    m->tok_embed = matrix(ld, true, c->vocab_size, D, false, tname(ld, "%swte.weight", p));
    if (c->positions == ATS_POS_LEARNED) /* else rotary: no table */
        m->pos_embed = fetch(ld, true, c->context, D, tname(ld, "%swpe.weight", p));
    for (int l = 0; l < c->n_layer && ld->status == ATS_OK; l++) {
        ats_layer *L = &m->layers[l];
        L->attn_norm = layernorm(ld, D, tname(ld, "%sh.%d.ln_1", p, l));
        /* c_attn (D, 3D) stored [in][out]: columns [0, D) give q, [D, 2D) k, [2D, 3D) v. */
        ats_linear qkv = conv1d(ld, D, 3 * D, tname(ld, "%sh.%d.attn.c_attn", p, l));
        if (ld->status != ATS_OK)
            break;
        L->wq = ats_linear_outputs(&qkv, 0, D);
        L->wk = ats_linear_outputs(&qkv, D, D);
        L->wv = ats_linear_outputs(&qkv, 2 * D, D);
        L->wo = conv1d(ld, D, D, tname(ld, "%sh.%d.attn.c_proj", p, l));
        if (F == 0) /* attention only (n_inner 0) */
            continue;
        L->mlp_norm = layernorm(ld, D, tname(ld, "%sh.%d.ln_2", p, l));
        L->up = conv1d(ld, D, F, tname(ld, "%sh.%d.mlp.c_fc", p, l));
        L->down = conv1d(ld, F, D, tname(ld, "%sh.%d.mlp.c_proj", p, l));
    }
    m->final_norm = layernorm(ld, D, tname(ld, "%sln_f", p));
    m->lm_head = h->tie_embeddings ? m->tok_embed
                                   : matrix(ld, true, c->vocab_size, D, false, "lm_head.weight");
}

static void build_bert(hf_loader *ld, const ats_hf_config *h) {
    ats_model *m = ld->model;
    const ats_model_config *c = &m->cfg;
    int D = c->d_model, F = c->d_ff;
    const char *p = prefix_for(ld, h->tensor_prefix ? h->tensor_prefix : "bert.",
                               "embeddings.word_embeddings.weight");
    m->tok_embed = matrix(ld, true, c->vocab_size, D, false,
                          tname(ld, "%sembeddings.word_embeddings.weight", p));
    /* (context + pos_offset, D): RoBERTa's first rows belong to padding */
    m->pos_embed = fetch(ld, true, c->context + c->pos_offset, D,
                         tname(ld, "%sembeddings.position_embeddings.weight", p));
    /* token_type_embeddings (type_vocab_size, D): every token has type 0, so row 0 */
    m->type_embed = fetch(ld, true, h->type_vocab_size, D,
                          tname(ld, "%sembeddings.token_type_embeddings.weight", p));
    m->embed_norm = layernorm(ld, D, tname(ld, "%sembeddings.LayerNorm", p));
    for (int l = 0; l < c->n_layer && ld->status == ATS_OK; l++) {
        ats_layer *L = &m->layers[l];
        L->wq = linear(ld, D, D, BIAS_REQUIRED,
                       tname(ld, "%sencoder.layer.%d.attention.self.query", p, l));
        L->wk = linear(ld, D, D, BIAS_REQUIRED,
                       tname(ld, "%sencoder.layer.%d.attention.self.key", p, l));
        L->wv = linear(ld, D, D, BIAS_REQUIRED,
                       tname(ld, "%sencoder.layer.%d.attention.self.value", p, l));
        L->wo = linear(ld, D, D, BIAS_REQUIRED,
                       tname(ld, "%sencoder.layer.%d.attention.output.dense", p, l));
        L->attn_norm =
            layernorm(ld, D, tname(ld, "%sencoder.layer.%d.attention.output.LayerNorm", p, l));
        L->up = linear(ld, F, D, BIAS_REQUIRED,
                       tname(ld, "%sencoder.layer.%d.intermediate.dense", p, l));
        L->down =
            linear(ld, D, F, BIAS_REQUIRED, tname(ld, "%sencoder.layer.%d.output.dense", p, l));
        L->mlp_norm = layernorm(ld, D, tname(ld, "%sencoder.layer.%d.output.LayerNorm", p, l));
    }
}

/* The masked-LM head, when the checkpoint has one (its transform's dense weight is present):
 *   BERT        cls.predictions.{transform.dense, transform.LayerNorm, decoder, bias}, the
 *               config's hidden_act (BertPredictionHeadTransform);
 *   RoBERTa     lm_head.{dense, layer_norm, decoder, bias}, always erf GELU (RobertaLMHead);
 *   DistilBERT  vocab_transform, vocab_layer_norm (eps 1e-12), vocab_projector with its bias,
 *               the config's activation (DistilBertForMaskedLM).
 * The output bias is also saved as decoder.bias. Tied (tie_word_embeddings, the default) the
 * decoder's weight is the word embedding, as transformers ties it over any stored copy. */
static void build_mlm_head(hf_loader *ld, const ats_hf_config *h) {
    ats_model *m = ld->model;
    const ats_model_config *c = &m->cfg;
    int D = c->d_model, V = c->vocab_size;
    const char *dense = "cls.predictions.transform.dense",
               *norm = "cls.predictions.transform.LayerNorm", *dec = "cls.predictions.decoder",
               *bias = "cls.predictions.bias";
    ats_activation act = c->activation;
    if (c->arch == ATS_ARCH_ROBERTA) {
        dense = "lm_head.dense", norm = "lm_head.layer_norm", dec = "lm_head.decoder";
        bias = "lm_head.bias";
        act = ATS_ACT_GELU_ERF;
    } else if (c->arch == ATS_ARCH_DISTILBERT) {
        dense = "vocab_transform", norm = "vocab_layer_norm", dec = "vocab_projector";
        bias = "vocab_projector.bias";
    }
    if (!find(ld, tname(ld, "%s.weight", dense), NULL))
        return; /* a checkpoint without the head */
    ats_mlm_head *mh = &m->mlm;
    mh->dense = linear(ld, D, D, BIAS_REQUIRED, dense);
    mh->act = act;
    mh->norm = layernorm(ld, D, norm);
    mh->norm_eps = c->arch == ATS_ARCH_DISTILBERT ? 1e-12f : c->norm_eps;
    ats_linear d = h->tie_embeddings ? m->tok_embed
                                     : matrix(ld, true, V, D, false, tname(ld, "%s.weight", dec));
    if (!find(ld, bias, NULL))
        bias = tname(ld, "%s.bias", dec);
    d.b = need1(ld, V, bias);
    if (ld->status != ATS_OK)
        return;
    mh->decoder = d;
    ats_model_add_choice(m, "masked-LM head (%s), decoder %s", dense,
                         h->tie_embeddings ? "tied to the word embeddings" : "stored");
}

static void norms_plus_one(hf_loader *ld);

static void build_llama(hf_loader *ld, const ats_hf_config *h) {
    ats_model *m = ld->model;
    const ats_model_config *c = &m->cfg;
    int D = c->d_model, F = c->d_ff;
    int dq = c->n_head * c->d_head, dkv = c->n_kv_head * c->d_head;
    bias_rule qkv_bias = h->qkv_bias ? BIAS_REQUIRED : BIAS_OPTIONAL;
    bias_rule o_bias = h->o_bias ? BIAS_REQUIRED : BIAS_OPTIONAL;
    bias_rule mlp_bias = h->mlp_bias ? BIAS_REQUIRED : BIAS_OPTIONAL;
    const char *p = prefix_for(ld, "model.", "embed_tokens.weight");
    m->tok_embed = matrix(ld, true, c->vocab_size, D, false, tname(ld, "%sembed_tokens.weight", p));
    for (int l = 0; l < c->n_layer && ld->status == ATS_OK; l++) {
        ats_layer *L = &m->layers[l];
        L->attn_norm = rmsnorm(ld, D, tname(ld, "%slayers.%d.input_layernorm.weight", p, l));
        if (h->fused_qkv) { /* Phi-3 qkv_proj (dq + 2 dkv, D): q rows, then k, then v */
            ats_linear qkv = linear(ld, dq + 2 * dkv, D, qkv_bias,
                                    tname(ld, "%slayers.%d.self_attn.qkv_proj", p, l));
            if (ld->status != ATS_OK)
                break;
            L->wq = ats_linear_outputs(&qkv, 0, dq);
            L->wk = ats_linear_outputs(&qkv, dq, dkv);
            L->wv = ats_linear_outputs(&qkv, dq + dkv, dkv);
        } else {
            L->wq = linear(ld, dq, D, qkv_bias, tname(ld, "%slayers.%d.self_attn.q_proj", p, l));
            L->wk = linear(ld, dkv, D, qkv_bias, tname(ld, "%slayers.%d.self_attn.k_proj", p, l));
            L->wv = linear(ld, dkv, D, qkv_bias, tname(ld, "%slayers.%d.self_attn.v_proj", p, l));
        }
        L->wo = linear(ld, D, dq, o_bias, tname(ld, "%slayers.%d.self_attn.o_proj", p, l));
        if (c->post_block_norm) { /* Gemma 2: a norm on each block's output too */
            L->post_attn_norm =
                rmsnorm(ld, D, tname(ld, "%slayers.%d.post_attention_layernorm.weight", p, l));
            L->mlp_norm =
                rmsnorm(ld, D, tname(ld, "%slayers.%d.pre_feedforward_layernorm.weight", p, l));
            L->post_mlp_norm =
                rmsnorm(ld, D, tname(ld, "%slayers.%d.post_feedforward_layernorm.weight", p, l));
        } else {
            L->mlp_norm =
                rmsnorm(ld, D, tname(ld, "%slayers.%d.post_attention_layernorm.weight", p, l));
        }
        if (h->fused_gate_up) { /* Phi-3 gate_up_proj (2F, D): the gate rows, then the up rows */
            ats_linear gu =
                linear(ld, 2 * F, D, mlp_bias, tname(ld, "%slayers.%d.mlp.gate_up_proj", p, l));
            if (ld->status != ATS_OK)
                break;
            L->gate = ats_linear_outputs(&gu, 0, F);
            L->up = ats_linear_outputs(&gu, F, F);
        } else {
            L->gate = linear(ld, F, D, mlp_bias, tname(ld, "%slayers.%d.mlp.gate_proj", p, l));
            L->up = linear(ld, F, D, mlp_bias, tname(ld, "%slayers.%d.mlp.up_proj", p, l));
        }
        L->down = linear(ld, D, F, mlp_bias, tname(ld, "%slayers.%d.mlp.down_proj", p, l));
    }
    m->final_norm = rmsnorm(ld, D, tname(ld, "%snorm.weight", p));
    m->lm_head = h->tie_embeddings ? m->tok_embed
                                   : matrix(ld, true, c->vocab_size, D, false, "lm_head.weight");
    if (h->norm_plus_one)
        norms_plus_one(ld);
}

/* ---- the families that differ from Llama and BERT in their tensors ------------------------- */

/* Gemma's RMSNorm multiplies by (1 + w): every RMS norm of the model becomes w + 1 (float32
 * copies), so the forward pass runs a plain RMSNorm. */
static void norms_plus_one(hf_loader *ld) {
    ats_model *m = ld->model;
    int D = m->cfg.d_model;
    for (int l = 0; l <= m->cfg.n_layer && ld->status == ATS_OK; l++) {
        ats_norm *norms[4] = {&m->final_norm, NULL, NULL, NULL};
        if (l < m->cfg.n_layer) {
            ats_layer *L = &m->layers[l];
            norms[0] = &L->attn_norm, norms[1] = &L->mlp_norm;
            norms[2] = &L->post_attn_norm, norms[3] = &L->post_mlp_norm;
        }
        for (int k = 0; k < 4 && ld->status == ATS_OK; k++) {
            if (!norms[k] || !norms[k]->w)
                continue;
            float *w = ats_model_alloc_floats(m, (size_t)D, ld->err);
            if (!w) {
                ld->status = ATS_ERR_NOMEM;
                break;
            }
            for (int i = 0; i < D; i++)
                w[i] = norms[k]->w[i] + 1.0f;
            norms[k]->w = w;
        }
    }
}

/* GPT-NeoX's query_key_value `base` (3D, D) with bias (3D): for each head, its dh query rows,
 * then its key rows, then its value rows. Regrouped into q, k and v maps (D, D) each, float32. */
static void neox_qkv(hf_loader *ld, ats_layer *L, bool bias, const char *base) {
    ats_model *m = ld->model;
    const ats_model_config *c = &m->cfg;
    int D = c->d_model, dh = c->d_head, H = c->n_head;
    char b[sizeof ld->name];
    snprintf(b, sizeof b, "%s", base);
    const float *w = fetch(ld, true, 3 * D, D, tname(ld, "%s.weight", b));
    const float *bs = bias ? fetch(ld, true, 3 * D, -1, tname(ld, "%s.bias", b)) : NULL;
    if (ld->status != ATS_OK)
        return;
    ats_linear *out[3] = {&L->wq, &L->wk, &L->wv};
    for (int part = 0; part < 3; part++) {
        float *pw = ats_model_alloc_floats(m, (size_t)D * D, ld->err);
        float *pb = bs ? ats_model_alloc_floats(m, (size_t)D, ld->err) : NULL;
        if (!pw || (bs && !pb)) {
            ld->status = ATS_ERR_NOMEM;
            return;
        }
        for (int hh = 0; hh < H; hh++) {
            /* rows hh*dh.. of this part come from rows (3 hh + part) dh.. of the fused map */
            size_t src = ((size_t)3 * hh + part) * dh, dst = (size_t)hh * dh;
            memcpy(pw + dst * D, w + src * D, (size_t)dh * D * sizeof(float));
            if (pb)
                memcpy(pb + dst, bs + src, (size_t)dh * sizeof(float));
        }
        *out[part] = (ats_linear){.w = pw, .b = pb, .n_out = D, .n_in = D, .ld = D};
    }
}

static void build_gpt_neox(hf_loader *ld, const ats_hf_config *h) {
    ats_model *m = ld->model;
    const ats_model_config *c = &m->cfg;
    int D = c->d_model, F = c->d_ff;
    bias_rule bias = h->qkv_bias ? BIAS_REQUIRED : BIAS_NONE;
    const char *p = prefix_for(ld, "gpt_neox.", "embed_in.weight");
    m->tok_embed = matrix(ld, true, c->vocab_size, D, false, tname(ld, "%sembed_in.weight", p));
    for (int l = 0; l < c->n_layer && ld->status == ATS_OK; l++) {
        ats_layer *L = &m->layers[l];
        L->attn_norm = layernorm(ld, D, tname(ld, "%slayers.%d.input_layernorm", p, l));
        neox_qkv(ld, L, h->qkv_bias, tname(ld, "%slayers.%d.attention.query_key_value", p, l));
        L->wo = linear(ld, D, D, bias, tname(ld, "%slayers.%d.attention.dense", p, l));
        L->mlp_norm = layernorm(ld, D, tname(ld, "%slayers.%d.post_attention_layernorm", p, l));
        L->up = linear(ld, F, D, BIAS_REQUIRED, tname(ld, "%slayers.%d.mlp.dense_h_to_4h", p, l));
        L->down = linear(ld, D, F, BIAS_REQUIRED, tname(ld, "%slayers.%d.mlp.dense_4h_to_h", p, l));
    }
    m->final_norm = layernorm(ld, D, tname(ld, "%sfinal_layer_norm", p));
    m->lm_head = h->tie_embeddings ? m->tok_embed
                                   : matrix(ld, true, c->vocab_size, D, false, "embed_out.weight");
}

static void build_phi(hf_loader *ld, const ats_hf_config *h) {
    (void)h;
    ats_model *m = ld->model;
    const ats_model_config *c = &m->cfg;
    int D = c->d_model, F = c->d_ff;
    int dq = c->n_head * c->d_head, dkv = c->n_kv_head * c->d_head;
    const char *p = prefix_for(ld, "model.", "embed_tokens.weight");
    m->tok_embed = matrix(ld, true, c->vocab_size, D, false, tname(ld, "%sembed_tokens.weight", p));
    for (int l = 0; l < c->n_layer && ld->status == ATS_OK; l++) {
        ats_layer *L = &m->layers[l];
        /* one LayerNorm feeds both the attention and the MLP */
        L->attn_norm = layernorm(ld, D, tname(ld, "%slayers.%d.input_layernorm", p, l));
        L->mlp_norm = L->attn_norm;
        L->wq = linear(ld, dq, D, BIAS_REQUIRED, tname(ld, "%slayers.%d.self_attn.q_proj", p, l));
        L->wk = linear(ld, dkv, D, BIAS_REQUIRED, tname(ld, "%slayers.%d.self_attn.k_proj", p, l));
        L->wv = linear(ld, dkv, D, BIAS_REQUIRED, tname(ld, "%slayers.%d.self_attn.v_proj", p, l));
        L->wo = linear(ld, D, dq, BIAS_REQUIRED, tname(ld, "%slayers.%d.self_attn.dense", p, l));
        L->up = linear(ld, F, D, BIAS_REQUIRED, tname(ld, "%slayers.%d.mlp.fc1", p, l));
        L->down = linear(ld, D, F, BIAS_REQUIRED, tname(ld, "%slayers.%d.mlp.fc2", p, l));
    }
    m->final_norm = layernorm(ld, D, tname(ld, "%sfinal_layernorm", p));
    m->lm_head = h->tie_embeddings ? m->tok_embed
                                   : matrix(ld, true, c->vocab_size, D, false, "lm_head.weight");
    if (h->lm_head_bias)
        m->lm_head.b = need1(ld, c->vocab_size, "lm_head.bias");
}

static void build_opt(hf_loader *ld, const ats_hf_config *h) {
    ats_model *m = ld->model;
    const ats_model_config *c = &m->cfg;
    int D = c->d_model, F = c->d_ff, E = c->d_embed > 0 ? c->d_embed : D;
    const char *p = prefix_for(ld, "model.", "decoder.embed_tokens.weight");
    m->tok_embed =
        matrix(ld, true, c->vocab_size, E, false, tname(ld, "%sdecoder.embed_tokens.weight", p));
    if (c->d_embed > 0) { /* word_embed_proj_dim: E-wide token vectors and head, no biases */
        m->project_in = linear(ld, D, E, BIAS_NONE, tname(ld, "%sdecoder.project_in", p));
        m->project_out = linear(ld, E, D, BIAS_NONE, tname(ld, "%sdecoder.project_out", p));
    }
    m->pos_embed = fetch(ld, true, c->context + c->pos_offset, D,
                         tname(ld, "%sdecoder.embed_positions.weight", p));
    for (int l = 0; l < c->n_layer && ld->status == ATS_OK; l++) {
        ats_layer *L = &m->layers[l];
        char b[96];
        snprintf(b, sizeof b, "%sdecoder.layers.%d", p, l);
        L->attn_norm = layernorm(ld, D, tname(ld, "%s.self_attn_layer_norm", b));
        L->wq = linear(ld, D, D, BIAS_REQUIRED, tname(ld, "%s.self_attn.q_proj", b));
        L->wk = linear(ld, D, D, BIAS_REQUIRED, tname(ld, "%s.self_attn.k_proj", b));
        L->wv = linear(ld, D, D, BIAS_REQUIRED, tname(ld, "%s.self_attn.v_proj", b));
        L->wo = linear(ld, D, D, BIAS_REQUIRED, tname(ld, "%s.self_attn.out_proj", b));
        L->mlp_norm = layernorm(ld, D, tname(ld, "%s.final_layer_norm", b));
        L->up = linear(ld, F, D, BIAS_REQUIRED, tname(ld, "%s.fc1", b));
        L->down = linear(ld, D, F, BIAS_REQUIRED, tname(ld, "%s.fc2", b));
    }
    if (c->final_norm)
        m->final_norm = layernorm(ld, D, tname(ld, "%sdecoder.final_layer_norm", p));
    bool stored = find(ld, "lm_head.weight", NULL) != NULL;
    m->lm_head = h->tie_embeddings || !stored
                     ? m->tok_embed
                     : matrix(ld, true, c->vocab_size, E, false, "lm_head.weight");
}

static void build_distilbert(hf_loader *ld, const ats_hf_config *h) {
    (void)h;
    ats_model *m = ld->model;
    const ats_model_config *c = &m->cfg;
    int D = c->d_model, F = c->d_ff;
    const char *p = prefix_for(ld, "distilbert.", "embeddings.word_embeddings.weight");
    m->tok_embed = matrix(ld, true, c->vocab_size, D, false,
                          tname(ld, "%sembeddings.word_embeddings.weight", p));
    m->pos_embed =
        fetch(ld, true, c->context, D, tname(ld, "%sembeddings.position_embeddings.weight", p));
    m->embed_norm = layernorm(ld, D, tname(ld, "%sembeddings.LayerNorm", p));
    for (int l = 0; l < c->n_layer && ld->status == ATS_OK; l++) {
        ats_layer *L = &m->layers[l];
        char b[96];
        snprintf(b, sizeof b, "%stransformer.layer.%d", p, l);
        L->wq = linear(ld, D, D, BIAS_REQUIRED, tname(ld, "%s.attention.q_lin", b));
        L->wk = linear(ld, D, D, BIAS_REQUIRED, tname(ld, "%s.attention.k_lin", b));
        L->wv = linear(ld, D, D, BIAS_REQUIRED, tname(ld, "%s.attention.v_lin", b));
        L->wo = linear(ld, D, D, BIAS_REQUIRED, tname(ld, "%s.attention.out_lin", b));
        L->attn_norm = layernorm(ld, D, tname(ld, "%s.sa_layer_norm", b));
        L->up = linear(ld, F, D, BIAS_REQUIRED, tname(ld, "%s.ffn.lin1", b));
        L->down = linear(ld, D, F, BIAS_REQUIRED, tname(ld, "%s.ffn.lin2", b));
        L->mlp_norm = layernorm(ld, D, tname(ld, "%s.output_layer_norm", b));
    }
}

/* One T5 stack ("encoder" or "decoder") into `m`, whose cfg says its shape. */
static void build_t5_stack(hf_loader *ld, ats_model *m, const char *stack) {
    const ats_model_config *c = &m->cfg;
    int D = c->d_model, F = c->d_ff, dq = c->n_head * c->d_head;
    int ff = c->cross_attention ? 2 : 1; /* the feed-forward sub-layer's index */
    bool gated = c->activation == ATS_ACT_GEGLU;
    for (int l = 0; l < c->n_layer && ld->status == ATS_OK; l++) {
        ats_layer *L = &m->layers[l];
        char b[128];
        snprintf(b, sizeof b, "%s.block.%d.layer", stack, l);
        L->attn_norm = rmsnorm(ld, D, tname(ld, "%s.0.layer_norm.weight", b));
        L->wq = linear(ld, dq, D, BIAS_NONE, tname(ld, "%s.0.SelfAttention.q", b));
        L->wk = linear(ld, dq, D, BIAS_NONE, tname(ld, "%s.0.SelfAttention.k", b));
        L->wv = linear(ld, dq, D, BIAS_NONE, tname(ld, "%s.0.SelfAttention.v", b));
        L->wo = linear(ld, D, dq, BIAS_NONE, tname(ld, "%s.0.SelfAttention.o", b));
        if (c->cross_attention) {
            L->cross_norm = rmsnorm(ld, D, tname(ld, "%s.1.layer_norm.weight", b));
            L->cq = linear(ld, dq, D, BIAS_NONE, tname(ld, "%s.1.EncDecAttention.q", b));
            L->ck = linear(ld, dq, D, BIAS_NONE, tname(ld, "%s.1.EncDecAttention.k", b));
            L->cv = linear(ld, dq, D, BIAS_NONE, tname(ld, "%s.1.EncDecAttention.v", b));
            L->co = linear(ld, D, dq, BIAS_NONE, tname(ld, "%s.1.EncDecAttention.o", b));
        }
        L->mlp_norm = rmsnorm(ld, D, tname(ld, "%s.%d.layer_norm.weight", b, ff));
        if (gated) {
            L->gate = linear(ld, F, D, BIAS_NONE, tname(ld, "%s.%d.DenseReluDense.wi_0", b, ff));
            L->up = linear(ld, F, D, BIAS_NONE, tname(ld, "%s.%d.DenseReluDense.wi_1", b, ff));
        } else {
            L->up = linear(ld, F, D, BIAS_NONE, tname(ld, "%s.%d.DenseReluDense.wi", b, ff));
        }
        L->down = linear(ld, D, F, BIAS_NONE, tname(ld, "%s.%d.DenseReluDense.wo", b, ff));
    }
    m->rel_bias =
        fetch(ld, true, c->rel_buckets, c->n_head,
              tname(ld, "%s.block.0.layer.0.SelfAttention.relative_attention_bias.weight", stack));
    m->final_norm = rmsnorm(ld, D, tname(ld, "%s.final_layer_norm.weight", stack));
}

/* The decoder stack as a model of its own sharing the encoder's embedding; its layers live in
 * the encoder's memory. */
static ats_model *t5_decoder(hf_loader *ld, const ats_hf_config *h) {
    ats_model *m = ld->model, *d = ats_model_new();
    if (!d) {
        ld->status = ats_fail(ld->err, ATS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    m->decoder = d; /* freed with m */
    d->cfg = h->dec;
    d->info = m->info;
    d->tok_embed = m->tok_embed;
    d->layers = ats_model_alloc(m, (size_t)d->cfg.n_layer * sizeof(ats_layer), ld->err);
    if (!d->layers)
        ld->status = ATS_ERR_NOMEM;
    return d;
}

static void build_t5(hf_loader *ld, const ats_hf_config *h) {
    ats_model *m = ld->model;
    const ats_model_config *c = &m->cfg;
    int D = c->d_model;
    const char *embed = find(ld, "shared.weight", NULL) ? "shared.weight"
                        : find(ld, "encoder.embed_tokens.weight", NULL)
                            ? "encoder.embed_tokens.weight"
                            : "shared.weight";
    m->tok_embed = matrix(ld, true, c->vocab_size, D, false, embed);
    m->decoder_start_id = h->decoder_start_id;
    m->eos_id = h->eos_id;
    build_t5_stack(ld, m, "encoder");
    ats_model *d = ld->status == ATS_OK ? t5_decoder(ld, h) : NULL;
    if (!d)
        return;
    build_t5_stack(ld, d, "decoder");
    d->lm_head = h->tie_embeddings ? m->tok_embed
                                   : matrix(ld, true, c->vocab_size, D, false, "lm_head.weight");
    d->logit_scale = h->tie_embeddings ? 1.0f / sqrtf((float)D) : 1.0f;
}

/* ---- the folder --------------------------------------------------------------------------- */

/* Bytes of the tokenizer files the folder's tokenizer reads, in the constructor's order. */
static void add_tokenizer_sizes(hf_loader *ld) {
    char path[PATH_SIZE];
    if (strstr(ld->model->tokenizer ? ld->model->tokenizer->kind : "", "SentencePiece Unigram")) {
        add_size(ld, "spiece.model");
        add_size(ld, "tokenizer_config.json");
    } else if (join(path, ld->dir, "tokenizer.json") && regular_file_size(path) >= 0) {
        add_size(ld, "tokenizer.json");
    } else if (join(path, ld->dir, "vocab.json") && regular_file_size(path) >= 0) {
        add_size(ld, "vocab.json");
        add_size(ld, "merges.txt");
    } else {
        add_size(ld, "vocab.txt");
        add_size(ld, "tokenizer_config.json");
    }
}

static void set_name(ats_model_info *info, const char *dir) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && dir[start - 1] != '/')
        start--;
    snprintf(info->name, sizeof info->name, "%.*s", (int)(n - start), dir + start);
    snprintf(info->path, sizeof info->path, "%s", dir);
}

static bool file_exists(const char *dir, const char *name) {
    char path[PATH_SIZE];
    struct stat st;
    return join(path, dir, name) && stat(path, &st) == 0;
}

/* Head scores saved by attnscope train, and the captions they give each head. */
static ats_status load_head_scores(hf_loader *ld, const char *config_path) {
    ats_model *m = ld->model;
    int L = m->cfg.n_layer, H = m->cfg.n_head;
    size_t LH = (size_t)L * H;
    float *scores = ats_model_alloc_floats(m, 2 * LH, ld->err);
    if (!scores)
        return ATS_ERR_NOMEM;
    bool found;
    ats_status s = ats_hf_config_head_scores(config_path, L, H, scores, &found, ld->err);
    if (s != ATS_OK || !found)
        return s;
    char **captions = ats_model_alloc(m, LH * sizeof *captions, ld->err);
    for (size_t i = 0; captions && i < LH; i++) {
        char text[256];
        ats_head_caption_from_scores(text, sizeof text, scores[i], scores[LH + i]);
        if (!(captions[i] = ats_model_strdup(m, text, ld->err)))
            return ATS_ERR_NOMEM;
    }
    if (!captions)
        return ATS_ERR_NOMEM;
    m->head_scores = scores;
    m->head_captions = (const char *const *)captions;
    return ATS_OK;
}

/* A folder holding only tokenizer files (no config.json), such as a tokenizer repository:
 * it opens for tokenize and info, with no weights. */
static ats_status load_tokenizer_only(hf_loader *ld) {
    ats_model *m = ld->model;
    set_name(&m->info, ld->dir);
    snprintf(m->info.format, sizeof m->info.format, "tokenizer files");
    m->info.has_weights = false;
    ats_status s = ats_tokenizer_from_hf_folder(ld->dir, &m->tokenizer, ld->err);
    if (s != ATS_OK)
        return s;
    const char *kind = m->tokenizer->kind;
    snprintf(m->info.tokenizer_kind, sizeof m->info.tokenizer_kind, "%s", kind);
    m->cfg.arch = strstr(kind, "WordPiece")       ? ATS_ARCH_BERT
                  : strstr(kind, "Unigram")       ? ATS_ARCH_T5
                  : strstr(kind, "SentencePiece") ? ATS_ARCH_LLAMA
                                                  : ATS_ARCH_GPT2;
    m->cfg.vocab_size = m->tokenizer->vocab_size;
    add_tokenizer_sizes(ld);
    m->info.file_size = ld->file_size;
    return ATS_OK;
}

/* LongRoPE's short and long factors from config.json, copied into the model. */
static ats_status keep_rope_factors(hf_loader *ld, const ats_hf_config *h) {
    ats_model *m = ld->model;
    if (h->n_rope_pairs <= 0)
        return ATS_OK;
    size_t n = (size_t)h->n_rope_pairs;
    float *f = ats_model_alloc_floats(m, 2 * n, ld->err); /* (2, pairs): short, then long */
    if (!f)
        return ATS_ERR_NOMEM;
    memcpy(f, h->rope_short, n * sizeof *f);
    memcpy(f + n, h->rope_long, n * sizeof *f);
    m->rope_factors = f;
    m->rope_factors_long = f + n;
    return ATS_OK;
}

static ats_status load(hf_loader *ld) {
    ats_model *m = ld->model;
    char path[PATH_SIZE];
    if (!join(path, ld->dir, "config.json"))
        return ats_fail(ld->err, ATS_ERR_ARG, "%s: path too long", ld->dir);
    /* no config.json and no weights, but tokenizer files: a tokenizer repository */
    bool has_weights = file_exists(ld->dir, "model.safetensors") ||
                       file_exists(ld->dir, "model.safetensors.index.json");
    if (!file_exists(ld->dir, "config.json") && !has_weights &&
        (file_exists(ld->dir, "tokenizer.json") || file_exists(ld->dir, "vocab.json") ||
         file_exists(ld->dir, "vocab.txt") || file_exists(ld->dir, "spiece.model")))
        return load_tokenizer_only(ld);
    ats_hf_config h;
    ats_status s = ats_hf_config_read(path, &h, ld->err);
    if (s != ATS_OK)
        return s;
    add_size(ld, "config.json");
    m->cfg = h.cfg;
    if ((s = keep_rope_factors(ld, &h)) != ATS_OK)
        return s;
    set_name(&m->info, ld->dir);
    snprintf(m->info.format, sizeof m->info.format, "safetensors");
    m->info.has_weights = true;

    if ((s = open_weights(ld)) != ATS_OK)
        return s;
    m->layers = ats_model_alloc(m, (size_t)m->cfg.n_layer * sizeof(ats_layer), ld->err);
    if (!m->layers)
        return ATS_ERR_NOMEM;
    snprintf(m->info.family, sizeof m->info.family, "%s", h.family);
    memcpy(m->info.choices, h.choices, sizeof m->info.choices);
    m->info.n_choices = h.n_choices; /* the builders may add to them */
    switch (m->cfg.arch) {
    case ATS_ARCH_GPT2:
        build_gpt2(ld, &h);
        break;
    case ATS_ARCH_T5:
        build_t5(ld, &h);
        break;
    case ATS_ARCH_BERT:
    case ATS_ARCH_ROBERTA:
        build_bert(ld, &h);
        build_mlm_head(ld, &h);
        break;
    case ATS_ARCH_DISTILBERT:
        build_distilbert(ld, &h);
        build_mlm_head(ld, &h);
        break;
    case ATS_ARCH_GPT_NEOX:
        build_gpt_neox(ld, &h);
        break;
    case ATS_ARCH_PHI:
        build_phi(ld, &h);
        break;
    case ATS_ARCH_OPT:
        build_opt(ld, &h);
        break;
    default: /* llama, mistral, qwen2, gemma, gemma2, phi3 */
        build_llama(ld, &h);
        break;
    }
    if (ld->status != ATS_OK)
        return ld->status;
    if ((s = load_head_scores(ld, path)) != ATS_OK)
        return s;
    ats_wtype_mix_name(ld->wtypes, m->info.dtype, sizeof m->info.dtype);

    if ((s = ats_tokenizer_from_hf_folder(ld->dir, &m->tokenizer, ld->err)) != ATS_OK)
        return s;
    snprintf(m->info.tokenizer_kind, sizeof m->info.tokenizer_kind, "%s", m->tokenizer->kind);
    add_tokenizer_sizes(ld);
    m->info.file_size = ld->file_size;
    if (m->mlm.decoder.w && (s = ats_model_find_mask(m, ld->err)) != ATS_OK)
        return s;

    /* The model keeps every mapping its weights may point into. */
    for (int i = 0; i < ld->n_shards; i++) {
        if ((s = ats_model_keep_mapping(m, ats_safetensors_take_file(ld->shards[i]), ld->err)))
            return s;
    }
    return ATS_OK;
}

ats_status ats_load_hf_folder(const char *dir, const ats_load_opts *opts, ats_model **out,
                              ats_error *err) {
    *out = NULL;
    if (opts && opts->tokenizer_path)
        return ats_fail(err, ATS_ERR_ARG,
                        "%s: --tokenizer applies to llama2.c checkpoints; a folder brings its own",
                        dir);
    hf_loader ld = {.dir = dir, .err = err, .status = ATS_OK};
    if (!(ld.model = ats_model_new()))
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    ats_status s = load(&ld);
    for (int i = 0; i < ld.n_shards; i++)
        ats_safetensors_free(ld.shards[i]);
    free(ld.shards);
    if (s != ATS_OK) {
        ats_model_free(ld.model);
        return s;
    }
    *out = ld.model;
    return ATS_OK;
}
