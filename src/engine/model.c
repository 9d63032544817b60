#include "model.h"
#include "base.h"
#include "loaders.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

ats_model *ats_model_new(void) {
    static atomic_uint_fast64_t next_serial = 1;
    ats_model *m = calloc(1, sizeof(ats_model));
    if (m) {
        m->serial = atomic_fetch_add(&next_serial, 1);
        m->logit_scale = 1.0f;
        m->mask_id = -1;
    }
    return m;
}

static bool grow_ptr_array(void ***items, int n) {
    /* Arrays of resources grow by doubling at powers of two. */
    if (n & (n - 1))
        return true;
    void **bigger = realloc(*items, (size_t)(n ? n * 2 : 8) * sizeof(void *));
    if (!bigger)
        return false;
    *items = bigger;
    return true;
}

void *ats_model_alloc(ats_model *model, size_t bytes, ats_error *err) {
    if (!grow_ptr_array(&model->owned, model->n_owned)) {
        ats_fail(err, ATS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) {
        ats_fail(err, ATS_ERR_NOMEM, "out of memory allocating %zu bytes", bytes);
        return NULL;
    }
    model->owned[model->n_owned++] = p;
    model->owned_bytes += bytes;
    return p;
}

float *ats_model_alloc_floats(ats_model *model, size_t count, ats_error *err) {
    if (count > SIZE_MAX / sizeof(float)) {
        ats_fail(err, ATS_ERR_NOMEM, "tensor of %zu floats is too large", count);
        return NULL;
    }
    return ats_model_alloc(model, count * sizeof(float), err);
}

char *ats_model_strdup(ats_model *model, const char *s, ats_error *err) {
    size_t n = strlen(s) + 1;
    char *copy = ats_model_alloc(model, n, err);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

void ats_model_note_tensor(ats_model *model, ats_wtype type, uint64_t stored_bytes, bool in_place) {
    ats_model_info *info = &model->info;
    const char *name = ats_wtype_name(type);
    int i = 0;
    while (i < info->n_weight_types && strcmp(info->weight_types[i].type, name) != 0)
        i++;
    if (i == ATS_MAX_WEIGHT_TYPES) /* more types than ats_wtype has: cannot happen */
        return;
    if (i == info->n_weight_types) {
        snprintf(info->weight_types[i].type, sizeof info->weight_types[i].type, "%s", name);
        info->n_weight_types++;
    }
    info->weight_types[i].tensors++;
    info->weight_types[i].bytes += stored_bytes;
    /* most bytes first */
    for (; i > 0 && info->weight_types[i].bytes > info->weight_types[i - 1].bytes; i--) {
        ats_weight_type_count t = info->weight_types[i];
        info->weight_types[i] = info->weight_types[i - 1];
        info->weight_types[i - 1] = t;
    }
    if (in_place)
        model->in_place_bytes += stored_bytes;
}

ats_status ats_model_keep_mapping(ats_model *model, ats_mapped_file *file, ats_error *err) {
    if (!grow_ptr_array((void ***)&model->maps, model->n_maps)) {
        ats_mapped_file_free(file);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    model->maps[model->n_maps++] = file;
    return ATS_OK;
}

void ats_model_free(ats_model *model) {
    if (!model)
        return;
    ats_model_free(model->decoder);
    ats_tokenizer_free(model->tokenizer);
    for (int i = 0; i < model->n_owned; i++)
        free(model->owned[i]);
    free(model->owned);
    for (int i = 0; i < model->n_maps; i++)
        ats_mapped_file_free(model->maps[i]);
    free(model->maps);
    free(model);
}

const ats_model_config *ats_model_get_config(const ats_model *model) {
    return &model->cfg;
}

const ats_model_config *ats_model_get_decoder_config(const ats_model *model) {
    return model->decoder ? &model->decoder->cfg : NULL;
}

const ats_model_info *ats_model_get_info(const ats_model *model) {
    return &model->info;
}

bool ats_model_has_lm_head(const ats_model *model) {
    const ats_model *m = model->decoder ? model->decoder : model;
    return model->info.has_weights && m->lm_head.w != NULL;
}

bool ats_model_has_mlm_head(const ats_model *model) {
    return model->info.has_weights && model->mlm.decoder.w != NULL;
}

int32_t ats_model_mask_token(const ats_model *model, const char **piece) {
    if (piece)
        *piece = model->mask_piece;
    return model->mask_id;
}

ats_status ats_model_find_mask(ats_model *model, ats_error *err) {
    static const char *const names[] = {"[MASK]", "<mask>"};
    model->mask_id = -1;
    model->mask_piece = NULL;
    for (size_t i = 0; i < sizeof names / sizeof *names && model->mask_id < 0; i++) {
        ats_tokens *t = ats_tokens_new();
        if (!t)
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
        ats_status s =
            ats_tokenizer_encode(model->tokenizer, names[i], strlen(names[i]), false, t, err);
        if (s == ATS_OK && ats_tokens_count(t) == 1 && ats_tokens_get(t, 0)->special) {
            model->mask_id = ats_tokens_get(t, 0)->id;
            model->mask_piece = names[i];
        }
        ats_tokens_free(t);
        if (s != ATS_OK && s != ATS_ERR_FORMAT)
            return s;
    }
    return ATS_OK;
}

const char *ats_arch_name(ats_arch arch) {
    switch (arch) {
    case ATS_ARCH_DEMO:
        return "demo";
    case ATS_ARCH_GPT2:
        return "gpt2";
    case ATS_ARCH_BERT:
        return "bert";
    case ATS_ARCH_LLAMA:
        return "llama";
    case ATS_ARCH_T5:
        return "t5";
    case ATS_ARCH_GPT_NEOX:
        return "gpt_neox";
    case ATS_ARCH_PHI:
        return "phi";
    case ATS_ARCH_PHI3:
        return "phi3";
    case ATS_ARCH_GEMMA:
        return "gemma";
    case ATS_ARCH_GEMMA2:
        return "gemma2";
    case ATS_ARCH_MISTRAL:
        return "mistral";
    case ATS_ARCH_QWEN2:
        return "qwen2";
    case ATS_ARCH_OPT:
        return "opt";
    case ATS_ARCH_ROBERTA:
        return "roberta";
    case ATS_ARCH_DISTILBERT:
        return "distilbert";
    }
    return "unknown";
}

int ats_config_layer_window(const ats_model_config *c, int layer) {
    if (c->sliding_window <= 0 || layer < c->window_from)
        return 0;
    int period = c->window_period > 0 ? c->window_period : 1;
    bool global = period > 1 && (layer - c->window_from) % period == period - 1;
    return global ? 0 : c->sliding_window;
}

const char *ats_model_head_caption(const ats_model *model, int layer, int head) {
    const ats_model_config *c = &model->cfg;
    if (!model->head_captions || layer < 0 || layer >= c->n_layer || head < 0 || head >= c->n_head)
        return NULL;
    return model->head_captions[layer * c->n_head + head];
}

ats_load_opts ats_load_opts_default(void) {
    return (ats_load_opts){.tokenizer_path = NULL, .causal = -1};
}

/* ---- validation --------------------------------------------------------------------------- */

/* `lin` is present, (n_out, n_in) and decodable; problems are named by `what` in `layer` (a
 * layer index, or -1 for the model's own maps). */
static ats_status check_linear(const ats_linear *lin, int n_out, int n_in, const char *what,
                               int layer, ats_error *err) {
    char where[32] = "the model";
    if (layer >= 0)
        snprintf(where, sizeof where, "layer %d", layer);
    if (!lin->w)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: missing weight %s", where, what);
    if (lin->n_out != n_out || lin->n_in != n_in)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: %s is (%d, %d), expected (%d, %d)", where, what,
                        lin->n_out, lin->n_in, n_out, n_in);
    /* block types: rows of whole blocks, stored [out][in] (what linear.c decodes) */
    uint64_t per = ats_wtype_block_elems(lin->type);
    if (per > 1 && (lin->in_major || lin->n_in % per != 0 || lin->ld % per != 0))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: %s rows are not whole %s blocks", where, what,
                        ats_wtype_name(lin->type));
    return ATS_OK;
}

ats_status ats_model_validate(const ats_model *model, ats_error *err) {
    const ats_model_config *c = &model->cfg;
    if (!model->info.has_weights) /* a vocabulary: sizes are whatever its metadata says */
        return ATS_OK;
    /* d_ff 0: attention-only blocks, which only attnscope's own GPT-2 checkpoints declare */
    bool attn_only = c->d_ff == 0 && c->arch == ATS_ARCH_GPT2;
    if (c->n_layer <= 0 || c->n_head <= 0 || c->n_kv_head <= 0 || c->d_model <= 0 ||
        c->d_head <= 0 || (c->d_ff <= 0 && !attn_only) || c->context <= 0 || c->vocab_size < 0)
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: implausible sizes (layers %d, heads %d, kv heads %d, d_model %d, "
                        "d_head %d, d_ff %d, context %d)",
                        model->info.name, c->n_layer, c->n_head, c->n_kv_head, c->d_model,
                        c->d_head, c->d_ff, c->context);
    if (c->n_head % c->n_kv_head != 0)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: %d heads do not divide into %d KV heads",
                        model->info.name, c->n_head, c->n_kv_head);
    bool rope = c->positions == ATS_POS_ROPE_HALF || c->positions == ATS_POS_ROPE_INTERLEAVED;
    if (rope && c->d_head % 2 != 0)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: rotary positions need an even d_head, got %d",
                        model->info.name, c->d_head);
    if (rope && (c->rotary_dim < 0 || c->rotary_dim > c->d_head || c->rotary_dim % 2 != 0))
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: %d rotary dimensions do not fit heads of %d (an even count is needed)",
                        model->info.name, c->rotary_dim, c->d_head);
    if (c->sliding_window < 0 || c->window_from < 0 || c->window_period < 0 || c->pos_offset < 0 ||
        !(c->attn_softcap >= 0) || !(c->final_softcap >= 0) || !(c->embed_scale >= 0))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: negative window, offset or scale",
                        model->info.name);
    const ats_rope_scaling *rs = &c->rope_scaling;
    if (rope && rs->kind == ATS_ROPE_SCALING_LONGROPE &&
        (!model->rope_factors || !model->rope_factors_long || rs->original_max_position <= 0))
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: LongRoPE needs short and long factors and the original context",
                        model->info.name);
    if (rope && rs->kind == ATS_ROPE_SCALING_YARN &&
        !(rs->factor > 0 && rs->beta_fast > 0 && rs->beta_slow > 0 &&
          rs->original_max_position > 0 && c->rope_theta > 1))
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: YaRN needs a positive factor, betas and original context and a RoPE "
                        "base above 1",
                        model->info.name);
    /* the width of token vectors and of the LM head: OPT's word_embed_proj_dim, or d_model */
    int E = c->d_embed > 0 ? c->d_embed : c->d_model;
    ats_status ps;
    if (c->d_embed > 0 &&
        ((ps = check_linear(&model->project_in, c->d_model, E, "project_in", -1, err)) ||
         (ps = check_linear(&model->project_out, E, c->d_model, "project_out", -1, err))))
        return ps;
    if (!model->tok_embed.w && !model->embed_fn)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: missing the token embedding", model->info.name);
    if (model->tok_embed.w &&
        (model->tok_embed.n_out != c->vocab_size || model->tok_embed.n_in != E))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: token embedding is (%d, %d), expected (%d, %d)",
                        model->info.name, model->tok_embed.n_out, model->tok_embed.n_in,
                        c->vocab_size, E);
    if ((c->positions == ATS_POS_LEARNED || c->positions == ATS_POS_SINUSOIDAL) &&
        !model->pos_embed)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: missing the position embedding",
                        model->info.name);
    if (!model->layers)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: no layers", model->info.name);
    int dq = c->n_head * c->d_head, dkv = c->n_kv_head * c->d_head;
    for (int l = 0; l < c->n_layer; l++) {
        const ats_layer *L = &model->layers[l];
        ats_status s;
        if ((s = check_linear(&L->wq, dq, c->d_model, "query", l, err)) ||
            (s = check_linear(&L->wk, dkv, c->d_model, "key", l, err)) ||
            (s = check_linear(&L->wv, dkv, c->d_model, "value", l, err)) ||
            (s = check_linear(&L->wo, c->d_model, dq, "attention output", l, err)))
            return s;
        if (!L->attn_norm.w)
            return ats_fail(err, ATS_ERR_FORMAT, "layer %d: missing norm weights", l);
        if (attn_only)
            continue;
        if ((s = check_linear(&L->up, c->d_ff, c->d_model, "MLP up", l, err)) ||
            (s = check_linear(&L->down, c->d_model, c->d_ff, "MLP down", l, err)))
            return s;
        if ((c->activation == ATS_ACT_SWIGLU || c->activation == ATS_ACT_GEGLU ||
             c->activation == ATS_ACT_GEGLU_ERF) &&
            (s = check_linear(&L->gate, c->d_ff, c->d_model, "MLP gate", l, err)))
            return s;
        if (!L->mlp_norm.w || (c->post_block_norm && (!L->post_attn_norm.w || !L->post_mlp_norm.w)))
            return ats_fail(err, ATS_ERR_FORMAT, "layer %d: missing norm weights", l);
        if (c->cross_attention &&
            ((s = check_linear(&L->cq, dq, c->d_model, "cross-attention query", l, err)) ||
             (s = check_linear(&L->ck, dq, c->d_model, "cross-attention key", l, err)) ||
             (s = check_linear(&L->cv, dq, c->d_model, "cross-attention value", l, err)) ||
             (s = check_linear(&L->co, c->d_model, dq, "cross-attention output", l, err))))
            return s;
        if (c->cross_attention && !L->cross_norm.w)
            return ats_fail(err, ATS_ERR_FORMAT, "layer %d: missing the cross-attention norm", l);
    }
    if (c->embed_norm && !model->embed_norm.w)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: missing the embedding norm", model->info.name);
    if (c->final_norm && !model->final_norm.w)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: missing the final norm", model->info.name);
    if (c->positions == ATS_POS_RELATIVE_BUCKETS &&
        (!model->rel_bias || c->rel_buckets < 2 || c->rel_buckets > 4096 ||
         c->rel_max_distance < c->rel_buckets))
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: relative position buckets need a bias table, 2 to 4096 buckets and a "
                        "maximum distance of at least the bucket count (%d buckets, %d)",
                        model->info.name, c->rel_buckets, c->rel_max_distance);
    if (model->decoder && (c->cross_attention || !model->decoder->cfg.cross_attention))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: an encoder-decoder stack is incomplete",
                        model->info.name);
    if (model->decoder) {
        ats_status s = ats_model_validate(model->decoder, err);
        if (s != ATS_OK)
            return s;
    }
    if (model->lm_head.w && (model->lm_head.n_out != c->vocab_size || model->lm_head.n_in != E))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: LM head is (%d, %d), expected (%d, %d)",
                        model->info.name, model->lm_head.n_out, model->lm_head.n_in, c->vocab_size,
                        E);
    const ats_mlm_head *mh = &model->mlm;
    if (mh->decoder.w && (mh->decoder.n_out != c->vocab_size || mh->decoder.n_in != E ||
                          mh->dense.n_out != E || mh->dense.n_in != E || !mh->norm.w))
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: the masked-LM head is incomplete or not (%d, %d) over %d values",
                        model->info.name, c->vocab_size, E, E);
    return ATS_OK;
}

void ats_model_add_choice(ats_model *model, const char *fmt, ...) {
    ats_model_info *info = &model->info;
    if (info->n_choices == ATS_MAX_CHOICES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info->choices[info->n_choices++], sizeof info->choices[0], fmt, ap);
    va_end(ap);
}

static uint64_t linear_params(const ats_linear *lin) {
    if (!lin->w)
        return 0;
    return (uint64_t)lin->n_out * lin->n_in + (lin->b ? (uint64_t)lin->n_out : 0);
}

static uint64_t norm_params(const ats_norm *n, int d) {
    return (n->w ? (uint64_t)d : 0) + (n->b ? (uint64_t)d : 0);
}

uint64_t ats_model_count_params(const ats_model *model) {
    const ats_model_config *c = &model->cfg;
    uint64_t n = 0;
    if (model->tok_embed.w)
        n += (uint64_t)model->tok_embed.n_out * model->tok_embed.n_in;
    n += linear_params(&model->project_in) + linear_params(&model->project_out);
    if (model->pos_embed && c->positions == ATS_POS_LEARNED)
        n += (uint64_t)c->context * c->d_model;
    if (model->type_embed)
        n += (uint64_t)c->d_model;
    n += norm_params(&model->embed_norm, c->d_model);
    for (int l = 0; model->layers && l < c->n_layer; l++) {
        const ats_layer *L = &model->layers[l];
        n += linear_params(&L->wq) + linear_params(&L->wk) + linear_params(&L->wv) +
             linear_params(&L->wo) + linear_params(&L->up) + linear_params(&L->gate) +
             linear_params(&L->down) + linear_params(&L->cq) + linear_params(&L->ck) +
             linear_params(&L->cv) + linear_params(&L->co);
        n += norm_params(&L->cross_norm, c->d_model);
        n += norm_params(&L->attn_norm, c->d_model) + norm_params(&L->mlp_norm, c->d_model);
    }
    n += norm_params(&model->final_norm, c->d_model);
    if (model->lm_head.w && model->lm_head.w != model->tok_embed.w)
        n += linear_params(&model->lm_head);
    if (model->mlm.decoder.w) { /* the masked-LM head: transform, norm, its own decoder */
        n += linear_params(&model->mlm.dense) + norm_params(&model->mlm.norm, c->d_model);
        n += model->mlm.decoder.w != model->tok_embed.w ? linear_params(&model->mlm.decoder)
                                                        : (uint64_t)c->vocab_size;
    }
    if (model->rel_bias)
        n += (uint64_t)c->rel_buckets * c->n_head;
    if (model->decoder) /* its own layers, norms, bias table and head; the embedding is shared */
        n += ats_model_count_params(model->decoder) -
             (model->decoder->tok_embed.w == model->tok_embed.w
                  ? (uint64_t)c->vocab_size * c->d_model
                  : 0);
    return n;
}

/* ---- loading by path ---------------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool file_starts_with(const char *path, const char *magic, size_t n) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char buf[8] = {0};
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    return got == n && memcmp(buf, magic, n) == 0;
}

/* builtin:tiny: the model `attnscope train` made with scripts/train_tiny.sh, shipped as a
 * folder in assets/tiny. */
static ats_status load_tiny(const ats_load_opts *opts, ats_model **out, ats_error *err) {
    if (opts->causal >= 0)
        return ats_fail(err, ATS_ERR_ARG,
                        "builtin:tiny: the causal switch applies to builtin:demo only");
    char dir[4096];
    if (!ats_asset_path("tiny", dir, sizeof dir))
        return ats_fail(err, ATS_ERR_IO,
                        "builtin:tiny: its folder (assets/tiny) is neither beside the program nor "
                        "in the source tree it was built from");
    ats_status s = ats_load_hf_folder(dir, opts, out, err);
    if (s != ATS_OK)
        return s;
    ats_model_info *info = &(*out)->info;
    snprintf(info->name, sizeof info->name, "builtin:tiny");
    snprintf(info->path, sizeof info->path, "builtin:tiny");
    snprintf(info->format, sizeof info->format, "builtin");
    return ATS_OK;
}

ats_status ats_model_load(const char *path, const ats_load_opts *opts, ats_model **out,
                          ats_error *err) {
    *out = NULL;
    ats_error_clear(err);
    ats_load_opts defaults = ats_load_opts_default();
    if (!opts)
        opts = &defaults;
    if (!path || !*path)
        return ats_fail(err, ATS_ERR_ARG, "no model given");

    ats_status s;
    if (strncmp(path, "builtin:", 8) == 0) {
        if (strcmp(path, "builtin:demo") == 0)
            s = ats_load_demo(opts, out, err);
        else if (strcmp(path, "builtin:tiny") == 0)
            s = load_tiny(opts, out, err);
        else
            return ats_fail(err, ATS_ERR_ARG,
                            "%s: unknown built-in model (there are builtin:demo and builtin:tiny)",
                            path);
    } else {
        if (opts->causal >= 0)
            return ats_fail(err, ATS_ERR_ARG, "%s: the causal switch applies to builtin:demo only",
                            path);
        struct stat st;
        if (stat(path, &st) != 0)
            return ats_fail(err, ATS_ERR_IO, "%s: %s", path, strerror(errno));
        if (S_ISDIR(st.st_mode))
            s = ats_load_hf_folder(path, opts, out, err);
        else if (ends_with(path, ".gguf") || file_starts_with(path, "GGUF", 4))
            s = ats_load_gguf(path, opts, out, err);
        else if (ends_with(path, ".safetensors"))
            return ats_fail(err, ATS_ERR_ARG,
                            "%s: open the folder holding config.json, not the .safetensors file",
                            path);
        else
            s = ats_load_llama2c(path, opts, out, err);
    }
    if (s != ATS_OK)
        return s;
    s = ats_model_validate(*out, err);
    if (s != ATS_OK) {
        ats_model_free(*out);
        *out = NULL;
        return s;
    }
    (*out)->info.n_params = ats_model_count_params(*out);
    (*out)->info.weight_memory = (*out)->in_place_bytes + (*out)->owned_bytes;
    return ATS_OK;
}
