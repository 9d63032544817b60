#include "hf_config.h"
#include "base.h"
#include "mapped_file.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upper bounds that keep every size product of the loaders far from overflow. */
static const json_int_t MAX_DIM = 1 << 20;   /* d_model, d_ff, heads, layers */
static const json_int_t MAX_COUNT = 1 << 24; /* vocabulary, context */

/* A cursor over one config object that keeps the first problem it meets. */
typedef struct reader {
    const char *path;
    const json_t *root;
    ats_error *err;
    ats_status status;
} reader;

static bool present(const reader *r, const char *key) {
    const json_t *v = json_object_get(r->root, key);
    return v && !json_is_null(v);
}

/* An integer in [1, max]: `fallback` when the key is absent or null and fallback > 0, an error
 * naming the key otherwise. */
static int get_int(reader *r, const char *key, json_int_t max, int fallback) {
    if (r->status != ATS_OK)
        return 0;
    const json_t *v = json_object_get(r->root, key);
    if (!v || json_is_null(v)) {
        if (fallback > 0)
            return fallback;
        r->status = ats_fail(r->err, ATS_ERR_FORMAT, "%s: missing '%s'", r->path, key);
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max) {
        r->status =
            ats_fail(r->err, ATS_ERR_FORMAT, "%s: '%s' must be a whole number from 1 to %lld",
                     r->path, key, (long long)max);
        return 0;
    }
    return (int)json_integer_value(v);
}

/* A positive finite number, or `fallback` when absent or null. */
static double get_real(reader *r, const char *key, double fallback) {
    if (r->status != ATS_OK)
        return fallback;
    const json_t *v = json_object_get(r->root, key);
    if (!v || json_is_null(v))
        return fallback;
    double d = json_is_number(v) ? json_number_value(v) : -1.0;
    if (!(d > 0.0) || !isfinite(d)) {
        r->status =
            ats_fail(r->err, ATS_ERR_FORMAT, "%s: '%s' must be a positive number", r->path, key);
        return fallback;
    }
    return d;
}

static bool get_bool(reader *r, const char *key, bool fallback) {
    const json_t *v = json_object_get(r->root, key);
    if (r->status != ATS_OK || !v || json_is_null(v))
        return fallback;
    if (!json_is_boolean(v)) {
        r->status =
            ats_fail(r->err, ATS_ERR_FORMAT, "%s: '%s' must be true or false", r->path, key);
        return fallback;
    }
    return json_is_true(v);
}

/* A string, or `fallback` when absent or null. */
static const char *get_str(reader *r, const char *key, const char *fallback) {
    const json_t *v = json_object_get(r->root, key);
    if (r->status != ATS_OK || !v || json_is_null(v))
        return fallback;
    if (!json_is_string(v)) {
        r->status = ats_fail(r->err, ATS_ERR_FORMAT, "%s: '%s' must be a string", r->path, key);
        return fallback;
    }
    return json_string_value(v);
}

static void unsupported(reader *r, const char *what, const char *value) {
    if (r->status == ATS_OK)
        r->status = ats_fail(r->err, ATS_ERR_UNSUPPORTED, "%s: %s '%.64s' is not supported",
                             r->path, what, value);
}

/* d_head = d_model / n_head, which must divide evenly. */
static void split_heads(reader *r, ats_model_config *c) {
    if (r->status == ATS_OK && c->d_model % c->n_head != 0)
        r->status = ats_fail(r->err, ATS_ERR_FORMAT, "%s: %d heads do not divide d_model %d",
                             r->path, c->n_head, c->d_model);
    else if (r->status == ATS_OK)
        c->d_head = c->d_model / c->n_head;
}

static ats_activation gelu_kind(reader *r, const char *name) {
    if (strcmp(name, "gelu_new") == 0 || strcmp(name, "gelu_pytorch_tanh") == 0 ||
        strcmp(name, "gelu_fast") == 0)
        return ATS_ACT_GELU_TANH;
    if (strcmp(name, "gelu") != 0)
        unsupported(r, "activation", name);
    return ATS_ACT_GELU_ERF;
}

static void read_gpt2(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    c->arch = ATS_ARCH_GPT2;
    c->d_model = get_int(r, "n_embd", MAX_DIM, 0);
    c->n_layer = get_int(r, "n_layer", MAX_DIM, 0);
    c->n_head = get_int(r, "n_head", MAX_DIM, 0);
    c->vocab_size = get_int(r, "vocab_size", MAX_COUNT, 0);
    c->context = get_int(r, present(r, "n_positions") ? "n_positions" : "n_ctx", MAX_COUNT, 0);
    /* attnscope's own checkpoints (attnscope train) may say "n_inner": 0, attention-only blocks
     * (no ln_2, no MLP), and "position_embedding_type": "rotary" (rotate-half RoPE of
     * "rope_theta" on queries and keys) instead of the wpe table */
    const json_t *inner = json_object_get(r->root, "n_inner");
    if (json_is_integer(inner) && json_integer_value(inner) == 0)
        c->d_ff = 0;
    else
        c->d_ff = get_int(r, "n_inner", MAX_DIM, 4 * (c->d_model > 0 ? c->d_model : 1));
    c->norm_eps = (float)get_real(r, "layer_norm_epsilon", 1e-5);
    c->activation = gelu_kind(r, get_str(r, "activation_function", "gelu_new"));
    split_heads(r, c);
    c->n_kv_head = c->n_head;
    c->norm = ATS_NORM_LAYERNORM;
    c->pre_norm = true;
    c->final_norm = true;
    const char *pos = get_str(r, "position_embedding_type", "absolute");
    c->positions = ATS_POS_LEARNED;
    if (strcmp(pos, "rotary") == 0) {
        c->positions = ATS_POS_ROPE_HALF;
        c->rope_theta = (float)get_real(r, "rope_theta", 10000.0);
    } else if (strcmp(pos, "absolute") != 0) {
        unsupported(r, "position_embedding_type", pos);
    }
    c->causal = true;
    bool scaled = get_bool(r, "scale_attn_weights", true);
    c->attn_scale = scaled && c->d_head > 0 ? 1.0f / sqrtf((float)c->d_head) : 1.0f;
    if (get_bool(r, "scale_attn_by_inverse_layer_idx", false))
        unsupported(r, "scale_attn_by_inverse_layer_idx", "true");
    h->tie_embeddings = get_bool(r, "tie_word_embeddings", true);
}

static void read_bert(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    c->arch = ATS_ARCH_BERT;
    c->d_model = get_int(r, "hidden_size", MAX_DIM, 0);
    c->n_layer = get_int(r, "num_hidden_layers", MAX_DIM, 0);
    c->n_head = get_int(r, "num_attention_heads", MAX_DIM, 0);
    c->d_ff = get_int(r, "intermediate_size", MAX_DIM, 0);
    c->vocab_size = get_int(r, "vocab_size", MAX_COUNT, 0);
    c->context = get_int(r, "max_position_embeddings", MAX_COUNT, 512);
    c->norm_eps = (float)get_real(r, "layer_norm_eps", 1e-12);
    c->activation = gelu_kind(r, get_str(r, "hidden_act", "gelu"));
    const char *pos = get_str(r, "position_embedding_type", "absolute");
    if (strcmp(pos, "absolute") != 0)
        unsupported(r, "position_embedding_type", pos);
    h->type_vocab_size = get_int(r, "type_vocab_size", MAX_COUNT, 2);
    split_heads(r, c);
    c->n_kv_head = c->n_head;
    c->norm = ATS_NORM_LAYERNORM;
    c->pre_norm = false;
    c->embed_norm = true;
    c->final_norm = false;
    c->positions = ATS_POS_LEARNED;
    c->causal = get_bool(r, "is_decoder", false);
    c->attn_scale = c->d_head > 0 ? 1.0f / sqrtf((float)c->d_head) : 1.0f;
    h->tie_embeddings = false; /* no LM head is loaded for BERT */
}

/* rope_scaling: null, or {"type" | "rope_type": "default" | "linear" | "llama3", ...}. */
static void read_rope_scaling(reader *r, ats_rope_scaling *out) {
    const json_t *rs = json_object_get(r->root, "rope_scaling");
    *out = (ats_rope_scaling){.kind = ATS_ROPE_SCALING_NONE, .factor = 1.0f};
    if (r->status != ATS_OK || !rs || json_is_null(rs))
        return;
    if (!json_is_object(rs)) {
        r->status =
            ats_fail(r->err, ATS_ERR_FORMAT, "%s: 'rope_scaling' must be an object", r->path);
        return;
    }
    reader sub = {.path = r->path, .root = rs, .err = r->err, .status = ATS_OK};
    const char *type = get_str(&sub, "rope_type", get_str(&sub, "type", "default"));
    if (strcmp(type, "default") == 0) {
        /* plain RoPE */
    } else if (strcmp(type, "linear") == 0) {
        out->kind = ATS_ROPE_SCALING_LINEAR;
        out->factor = (float)get_real(&sub, "factor", 0.0);
        if (sub.status == ATS_OK && !(out->factor > 0))
            sub.status =
                ats_fail(r->err, ATS_ERR_FORMAT, "%s: linear rope_scaling needs 'factor'", r->path);
    } else if (strcmp(type, "llama3") == 0) {
        out->kind = ATS_ROPE_SCALING_LLAMA3;
        out->factor = (float)get_real(&sub, "factor", 8.0);
        out->low_freq_factor = (float)get_real(&sub, "low_freq_factor", 1.0);
        out->high_freq_factor = (float)get_real(&sub, "high_freq_factor", 4.0);
        out->original_max_position =
            get_int(&sub, "original_max_position_embeddings", MAX_COUNT, 8192);
        if (sub.status == ATS_OK && !(out->high_freq_factor > out->low_freq_factor))
            sub.status = ats_fail(r->err, ATS_ERR_FORMAT,
                                  "%s: llama3 rope_scaling needs high_freq_factor above "
                                  "low_freq_factor",
                                  r->path);
    } else {
        unsupported(&sub, "rope_scaling type", type);
    }
    r->status = sub.status;
}

static void read_llama(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    c->arch = ATS_ARCH_LLAMA;
    c->d_model = get_int(r, "hidden_size", MAX_DIM, 0);
    c->n_layer = get_int(r, "num_hidden_layers", MAX_DIM, 0);
    c->n_head = get_int(r, "num_attention_heads", MAX_DIM, 0);
    c->n_kv_head = get_int(r, "num_key_value_heads", MAX_DIM, c->n_head);
    c->d_ff = get_int(r, "intermediate_size", MAX_DIM, 0);
    c->vocab_size = get_int(r, "vocab_size", MAX_COUNT, 0);
    c->context = get_int(r, "max_position_embeddings", MAX_COUNT, 2048);
    c->norm_eps = (float)get_real(r, "rms_norm_eps", 1e-6);
    c->rope_theta = (float)get_real(r, "rope_theta", 10000.0);
    if (present(r, "head_dim"))
        c->d_head = get_int(r, "head_dim", MAX_DIM, 0);
    else
        split_heads(r, c);
    const char *act = get_str(r, "hidden_act", "silu");
    if (strcmp(act, "silu") != 0)
        unsupported(r, "hidden_act", act);
    read_rope_scaling(r, &c->rope_scaling);

    /* Sliding-window attention equals full attention up to the window: run at most that many. */
    bool windowed =
        strcmp(h->model_type, "mistral") == 0 ||
        (strcmp(h->model_type, "qwen2") == 0 && get_bool(r, "use_sliding_window", false));
    if (windowed && present(r, "sliding_window")) {
        int window = get_int(r, "sliding_window", MAX_COUNT, 0);
        if (window > 0 && window < c->context)
            c->context = window;
    }

    bool attention_bias = get_bool(r, "attention_bias", false);
    h->qkv_bias = attention_bias || strcmp(h->model_type, "qwen2") == 0;
    h->o_bias = attention_bias;
    h->mlp_bias = get_bool(r, "mlp_bias", false);
    h->tie_embeddings = get_bool(r, "tie_word_embeddings", false);
    c->norm = ATS_NORM_RMSNORM;
    c->pre_norm = true;
    c->final_norm = true;
    c->positions = ATS_POS_ROPE_HALF; /* Hugging Face stores q/k rows for rotate_half */
    c->activation = ATS_ACT_SWIGLU;
    c->causal = true;
    c->attn_scale = c->d_head > 0 ? 1.0f / sqrtf((float)c->d_head) : 1.0f;
    if (r->status == ATS_OK && c->n_head % c->n_kv_head != 0)
        r->status = ats_fail(r->err, ATS_ERR_FORMAT,
                             "%s: %d attention heads do not divide into %d key/value heads",
                             r->path, c->n_head, c->n_kv_head);
    if (r->status == ATS_OK && (json_int_t)c->n_head * c->d_head > MAX_DIM)
        r->status = ats_fail(r->err, ATS_ERR_FORMAT, "%s: %d heads of %d dimensions is implausible",
                             r->path, c->n_head, c->d_head);
}

/* T5: feed_forward_proj "relu" (v1.0) or "gated-gelu" (v1.1, Flan-T5, mT5), "gated-ACT" in
 * general; config.json's dense_act_fn overrides ACT as transformers lets it, and when it is left
 * out ACT comes from feed_forward_proj ("gated-gelu" meaning gelu_new). */
static ats_activation t5_activation(reader *r) {
    const char *proj = get_str(r, "feed_forward_proj", "relu");
    bool gated = strncmp(proj, "gated-", 6) == 0;
    const char *act = get_str(r, "dense_act_fn",
                              strcmp(proj, "gated-gelu") == 0 ? "gelu_new"
                              : gated                         ? proj + 6
                                                              : proj);
    if (!gated && strcmp(act, "relu") == 0)
        return ATS_ACT_RELU;
    if (gated && (strcmp(act, "gelu_new") == 0 || strcmp(act, "gelu_pytorch_tanh") == 0 ||
                  strcmp(act, "gelu_fast") == 0))
        return ATS_ACT_GEGLU;
    unsupported(r, "T5 feed-forward", gated ? act : proj);
    return ATS_ACT_RELU;
}

static void read_t5(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    c->arch = ATS_ARCH_T5;
    c->d_model = get_int(r, "d_model", MAX_DIM, 0);
    c->d_head = get_int(r, "d_kv", MAX_DIM, 0);
    c->d_ff = get_int(r, "d_ff", MAX_DIM, 0);
    c->n_layer = get_int(r, "num_layers", MAX_DIM, 0);
    c->n_head = get_int(r, "num_heads", MAX_DIM, 0);
    c->n_kv_head = c->n_head;
    c->vocab_size = get_int(r, "vocab_size", MAX_COUNT, 0);
    c->context = get_int(r, "n_positions", MAX_COUNT, 512); /* T5 has no hard limit */
    c->norm_eps = (float)get_real(r, "layer_norm_epsilon", 1e-6);
    c->rel_buckets = get_int(r, "relative_attention_num_buckets", 4096, 32);
    c->rel_max_distance = get_int(r, "relative_attention_max_distance", MAX_COUNT, 128);
    c->activation = t5_activation(r);
    c->norm = ATS_NORM_RMSNORM;
    c->pre_norm = true;
    c->final_norm = true;
    c->positions = ATS_POS_RELATIVE_BUCKETS;
    c->attn_scale = 1.0f; /* folded into the initialization of the query weights */
    c->causal = false;
    h->tie_embeddings = get_bool(r, "tie_word_embeddings", true);
    h->dec = *c;
    h->dec.n_layer = get_int(r, "num_decoder_layers", MAX_DIM, c->n_layer);
    h->dec.causal = true;
    h->dec.cross_attention = true;
    json_int_t start = json_integer_value(json_object_get(r->root, "decoder_start_token_id"));
    json_int_t eos = json_integer_value(json_object_get(r->root, "eos_token_id"));
    h->decoder_start_id = present(r, "decoder_start_token_id") ? (int)start : 0;
    h->eos_id = present(r, "eos_token_id") ? (int)eos : 1;
    if (r->status == ATS_OK && (h->decoder_start_id < 0 || h->decoder_start_id >= c->vocab_size ||
                                h->eos_id < 0 || h->eos_id >= c->vocab_size))
        r->status = ats_fail(r->err, ATS_ERR_FORMAT,
                             "%s: decoder_start_token_id or eos_token_id is outside the vocabulary",
                             r->path);
    if (r->status == ATS_OK && (json_int_t)c->n_head * c->d_head > MAX_DIM)
        r->status = ats_fail(r->err, ATS_ERR_FORMAT, "%s: %d heads of %d dimensions is implausible",
                             r->path, c->n_head, c->d_head);
}

ats_status ats_hf_config_read(const char *path, ats_hf_config *out, ats_error *err) {
    memset(out, 0, sizeof *out);
    char *text;
    size_t len;
    ats_status s = ats_read_text_file(path, &text, &len, err);
    if (s != ATS_OK)
        return s;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    free(text);
    if (!root)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: not valid JSON (line %d: %s)", path, jerr.line,
                        jerr.text);
    reader r = {.path = path, .root = root, .err = err, .status = ATS_OK};
    if (!json_is_object(root)) {
        r.status = ats_fail(err, ATS_ERR_FORMAT, "%s: not a JSON object", path);
    } else {
        const char *type = get_str(&r, "model_type", "");
        snprintf(out->model_type, sizeof out->model_type, "%s", type);
        if (r.status != ATS_OK || !*type) {
            if (r.status == ATS_OK)
                r.status = ats_fail(err, ATS_ERR_FORMAT, "%s: missing 'model_type'", path);
        } else if (strcmp(type, "gpt2") == 0)
            read_gpt2(&r, out);
        else if (strcmp(type, "bert") == 0)
            read_bert(&r, out);
        else if (strcmp(type, "llama") == 0 || strcmp(type, "mistral") == 0 ||
                 strcmp(type, "qwen2") == 0)
            read_llama(&r, out);
        else if (strcmp(type, "t5") == 0 || strcmp(type, "mt5") == 0)
            read_t5(&r, out);
        else
            r.status = ats_fail(err, ATS_ERR_UNSUPPORTED,
                                "%s: model_type '%.64s' is not supported (attnscope runs gpt2, "
                                "bert, llama, mistral, qwen2, t5 and mt5)",
                                path, type);
    }
    json_decref(root);
    return r.status;
}

/* One (n_layer, n_head) table of scores in [0, 1]. */
static ats_status score_table(const char *path, const json_t *table, const char *name, int n_layer,
                              int n_head, float *out, ats_error *err) {
    if (!json_is_array(table) || json_array_size(table) != (size_t)n_layer)
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: attnscope.head_scores.%s must hold %d rows (one per layer)", path,
                        name, n_layer);
    for (int l = 0; l < n_layer; l++) {
        const json_t *row = json_array_get(table, (size_t)l);
        if (!json_is_array(row) || json_array_size(row) != (size_t)n_head)
            return ats_fail(err, ATS_ERR_FORMAT,
                            "%s: attnscope.head_scores.%s row %d must hold %d numbers", path, name,
                            l, n_head);
        for (int h = 0; h < n_head; h++) {
            const json_t *v = json_array_get(row, (size_t)h);
            double d = json_is_number(v) ? json_number_value(v) : -1.0;
            if (!(d >= 0.0 && d <= 1.0))
                return ats_fail(err, ATS_ERR_FORMAT,
                                "%s: attnscope.head_scores.%s[%d][%d] is not a number from 0 to 1",
                                path, name, l, h);
            out[(size_t)l * n_head + h] = (float)d;
        }
    }
    return ATS_OK;
}

ats_status ats_hf_config_head_scores(const char *path, int n_layer, int n_head, float *out,
                                     bool *found, ats_error *err) {
    *found = false;
    char *text;
    size_t len;
    ats_status s = ats_read_text_file(path, &text, &len, err);
    if (s != ATS_OK)
        return s;
    json_t *root = json_loadb(text, len, 0, NULL);
    free(text);
    const json_t *scores = json_object_get(json_object_get(root, "attnscope"), "head_scores");
    size_t LH = (size_t)n_layer * n_head;
    if (scores) {
        s = score_table(path, json_object_get(scores, "previous_token"), "previous_token", n_layer,
                        n_head, out, err);
        if (s == ATS_OK)
            s = score_table(path, json_object_get(scores, "induction"), "induction", n_layer,
                            n_head, out + LH, err);
        *found = s == ATS_OK;
    }
    json_decref(root);
    return s;
}
