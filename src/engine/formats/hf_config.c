#include "hf_config.h"
#include "base.h"
#include "mapped_file.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
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

/* Any finite number (zero and negatives too), or `fallback` when absent or null. */
static double get_number(reader *r, const char *key, double fallback) {
    const json_t *v = json_object_get(r->root, key);
    if (r->status != ATS_OK || !v || json_is_null(v))
        return fallback;
    if (!json_is_number(v) || !isfinite(json_number_value(v))) {
        r->status = ats_fail(r->err, ATS_ERR_FORMAT, "%s: '%s' must be a number", r->path, key);
        return fallback;
    }
    return json_number_value(v);
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

/* ---- what a config chose, for info ----------------------------------------------------------- */

static void family(ats_hf_config *h, const char *name) {
    snprintf(h->family, sizeof h->family, "%s (%s)", name, h->model_type);
}

static void choice(ats_hf_config *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void choice(ats_hf_config *h, const char *fmt, ...) {
    if (h->n_choices == ATS_MAX_CHOICES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->choices[h->n_choices++], sizeof h->choices[0], fmt, ap);
    va_end(ap);
}

/* ---- activations ----------------------------------------------------------------------------- */

/* The feed-forward of activation `name` (from config key `key`): gated (a gate projection times
 * an up projection) or not. */
static ats_activation activation_of(reader *r, const char *key, const char *name, bool gated) {
    bool tanh_gelu = strcmp(name, "gelu_new") == 0 || strcmp(name, "gelu_pytorch_tanh") == 0 ||
                     strcmp(name, "gelu_fast") == 0;
    if (gated && (strcmp(name, "silu") == 0 || strcmp(name, "swish") == 0))
        return ATS_ACT_SWIGLU;
    if (tanh_gelu)
        return gated ? ATS_ACT_GEGLU : ATS_ACT_GELU_TANH;
    if (strcmp(name, "gelu") == 0)
        return gated ? ATS_ACT_GEGLU_ERF : ATS_ACT_GELU_ERF;
    if (!gated && strcmp(name, "relu") == 0)
        return ATS_ACT_RELU;
    unsupported(r, key, name);
    return ATS_ACT_RELU;
}

static void read_gpt2(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    c->arch = ATS_ARCH_GPT2;
    family(h, "GPT-2");
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
    c->activation = activation_of(r, "activation_function",
                                  get_str(r, "activation_function", "gelu_new"), false);
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

/* The sizes most Hugging Face configs name alike: hidden_size, num_hidden_layers,
 * num_attention_heads, the feed-forward width under `ff_key`, vocab_size and
 * max_position_embeddings (`context_default` when absent). */
static void read_sizes(reader *r, ats_model_config *c, const char *ff_key, int context_default) {
    c->d_model = get_int(r, "hidden_size", MAX_DIM, 0);
    c->n_layer = get_int(r, "num_hidden_layers", MAX_DIM, 0);
    c->n_head = get_int(r, "num_attention_heads", MAX_DIM, 0);
    c->d_ff = get_int(r, ff_key, MAX_DIM, 0);
    c->vocab_size = get_int(r, "vocab_size", MAX_COUNT, 0);
    c->context = get_int(r, "max_position_embeddings", MAX_COUNT, context_default);
}

static void read_bert(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    c->arch = ATS_ARCH_BERT;
    family(h, "BERT");
    read_sizes(r, c, "intermediate_size", 512);
    c->norm_eps = (float)get_real(r, "layer_norm_eps", 1e-12);
    c->activation = activation_of(r, "hidden_act", get_str(r, "hidden_act", "gelu"), false);
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
    h->tie_embeddings = get_bool(r, "tie_word_embeddings", true); /* the masked-LM head's */
}

/* ---- rotary positions ------------------------------------------------------------------------ */

/* The context the model was trained on before scaling: the top-level
 * original_max_position_embeddings (Phi-3 keeps it there, and transformers prefers it; Phi3Config
 * defaults it to 4096), else the scaling object's, else max_position_embeddings. */
static int original_context(reader *r, reader *sub, const ats_hf_config *h) {
    if (present(r, "original_max_position_embeddings") || h->cfg.arch == ATS_ARCH_PHI3)
        return get_int(r, "original_max_position_embeddings", MAX_COUNT, 4096);
    return get_int(sub, "original_max_position_embeddings", MAX_COUNT, h->cfg.context);
}

/* The scaling factor: `factor`, or when absent the ratio of max_position_embeddings to the
 * original context (transformers' rule for yarn and longrope). */
static double scaling_factor(reader *sub, const ats_model_config *c, int original) {
    double factor = get_real(sub, "factor", 0.0);
    return factor > 0.0 || original <= 0 ? factor : (double)c->context / original;
}

/* YaRN's magnitude for `scale` (transformers' get_mscale): 1 up to scale 1, then
 * 1 + 0.1 mscale ln(scale). */
static double yarn_mscale(double scale, double mscale) {
    return scale <= 1.0 ? 1.0 : 0.1 * mscale * log(scale) + 1.0;
}

/* yarn (transformers' _compute_yarn_parameters): factor, the original context, beta_fast and
 * beta_slow (32 and 1 when absent or 0), truncate, and the factor cos and sin are multiplied by:
 * attention_factor, else get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim) when
 * both are set, else get_mscale(factor). */
static void read_yarn(reader *r, reader *sub, const char *key, ats_hf_config *h) {
    ats_rope_scaling *out = &h->cfg.rope_scaling;
    out->kind = ATS_ROPE_SCALING_YARN;
    out->original_max_position = original_context(r, sub, h);
    out->factor = (float)scaling_factor(sub, &h->cfg, out->original_max_position);
    double beta_fast = get_number(sub, "beta_fast", 0.0),
           beta_slow = get_number(sub, "beta_slow", 0.0);
    out->beta_fast = (float)(beta_fast != 0.0 ? beta_fast : 32.0);
    out->beta_slow = (float)(beta_slow != 0.0 ? beta_slow : 1.0);
    out->no_truncate = !get_bool(sub, "truncate", true);
    double mscale = get_number(sub, "mscale", 0.0),
           all_dims = get_number(sub, "mscale_all_dim", 0.0);
    double attn = mscale != 0.0 && all_dims != 0.0
                      ? yarn_mscale(out->factor, mscale) / yarn_mscale(out->factor, all_dims)
                      : yarn_mscale(out->factor, 1.0);
    out->attn_factor = (float)get_real(sub, "attention_factor", attn);
    if (sub->status == ATS_OK && !(out->factor > 0 && out->beta_fast > 0 && out->beta_slow > 0 &&
                                   out->attn_factor > 0 && isfinite(out->attn_factor)))
        sub->status = ats_fail(r->err, ATS_ERR_FORMAT,
                               "%s: yarn %s needs a positive 'factor', 'beta_fast', 'beta_slow' "
                               "and attention factor",
                               r->path, key);
    choice(h, "rope scaling yarn: factor %g, original context %d, betas %g/%g, cos and sin x%.4g",
           (double)out->factor, out->original_max_position, (double)out->beta_fast,
           (double)out->beta_slow, (double)out->attn_factor);
}

/* A list of positive numbers (LongRoPE's short_factor and long_factor) into out; its length. */
static int read_factor_list(reader *r, reader *sub, const char *key, float *out) {
    const json_t *list = json_object_get(sub->root, key);
    size_t n = json_array_size(list);
    if (sub->status != ATS_OK)
        return 0;
    if (!json_is_array(list) || n == 0 || n > ATS_HF_MAX_ROPE_PAIRS) {
        sub->status =
            ats_fail(r->err, ATS_ERR_FORMAT, "%s: longrope '%s' must be a list of 1 to %d numbers",
                     r->path, key, ATS_HF_MAX_ROPE_PAIRS);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(list, i);
        double d = json_is_number(v) ? json_number_value(v) : -1.0;
        if (!(d > 0.0) || !isfinite(d)) {
            sub->status =
                ats_fail(r->err, ATS_ERR_FORMAT, "%s: longrope '%s'[%zu] is not a positive number",
                         r->path, key, i);
            return 0;
        }
        out[i] = (float)d;
    }
    return (int)n;
}

/* longrope, or its first name "su" (and for Phi-3 also "yarn", which Phi3Config turns into
 * longrope) (transformers' _compute_longrope_parameters and Phi-3's rotary embedding): a divisor
 * per frequency from short_factor, or from long_factor when the text is longer than the original
 * context; cos and sin multiplied by attention_factor, else sqrt(1 + ln(factor) / ln(original
 * context)) (1 when factor <= 1). read_rope checks the lists' length against the rotary pairs. */
static void read_longrope(reader *r, reader *sub, const char *key, ats_hf_config *h) {
    ats_rope_scaling *out = &h->cfg.rope_scaling;
    out->kind = ATS_ROPE_SCALING_LONGROPE;
    out->original_max_position = original_context(r, sub, h);
    out->factor = (float)scaling_factor(sub, &h->cfg, out->original_max_position);
    int original = out->original_max_position;
    double attn = out->factor <= 1.0f || original <= 1
                      ? 1.0
                      : sqrt(1.0 + log(out->factor) / log((double)original));
    out->attn_factor = (float)get_real(sub, "attention_factor", attn);
    h->n_rope_pairs = read_factor_list(r, sub, "short_factor", h->rope_short);
    int n_long = read_factor_list(r, sub, "long_factor", h->rope_long);
    if (sub->status == ATS_OK && n_long != h->n_rope_pairs)
        sub->status =
            ats_fail(r->err, ATS_ERR_FORMAT, "%s: longrope %s has %d short and %d long factors",
                     r->path, key, h->n_rope_pairs, n_long);
    choice(h, "rope scaling longrope: short factors, long past %d tokens, cos and sin x%.4g",
           original, (double)out->attn_factor);
}

/* The scaling object of rope_scaling (or of transformers 5's rope_parameters): {"type" |
 * "rope_type": "default" | "linear" | "dynamic" | "llama3" | "yarn" | "longrope" | "su", ...}.
 * Any other type is refused, named. */
static void read_scaling_object(reader *r, const json_t *rs, const char *key, ats_hf_config *h) {
    ats_rope_scaling *out = &h->cfg.rope_scaling;
    reader sub = {.path = r->path, .root = rs, .err = r->err, .status = ATS_OK};
    const char *type = get_str(&sub, "rope_type", get_str(&sub, "type", "default"));
    if (strcmp(type, "default") == 0) {
        /* plain RoPE */
    } else if (strcmp(type, "linear") == 0) {
        out->kind = ATS_ROPE_SCALING_LINEAR;
        out->factor = (float)get_real(&sub, "factor", 0.0);
        if (sub.status == ATS_OK && !(out->factor > 0))
            sub.status =
                ats_fail(r->err, ATS_ERR_FORMAT, "%s: linear %s needs 'factor'", r->path, key);
        choice(h, "rope scaling linear: positions divided by %g (%s)", (double)out->factor, key);
    } else if (strcmp(type, "dynamic") == 0) {
        /* dynamic NTK changes the frequencies only past max_position_embeddings, which is the
         * context attnscope runs: within it, plain RoPE */
        choice(h, "rope scaling dynamic (%s): plain RoPE within the context", key);
    } else if (strcmp(type, "llama3") == 0) {
        out->kind = ATS_ROPE_SCALING_LLAMA3;
        out->factor = (float)get_real(&sub, "factor", 8.0);
        out->low_freq_factor = (float)get_real(&sub, "low_freq_factor", 1.0);
        out->high_freq_factor = (float)get_real(&sub, "high_freq_factor", 4.0);
        out->original_max_position =
            get_int(&sub, "original_max_position_embeddings", MAX_COUNT, 8192);
        if (sub.status == ATS_OK && !(out->high_freq_factor > out->low_freq_factor))
            sub.status = ats_fail(r->err, ATS_ERR_FORMAT,
                                  "%s: llama3 %s needs high_freq_factor above low_freq_factor",
                                  r->path, key);
        choice(h, "rope scaling llama3: factor %g, frequencies %g..%g, original context %d (%s)",
               (double)out->factor, (double)out->low_freq_factor, (double)out->high_freq_factor,
               out->original_max_position, key);
    } else if (strcmp(type, "yarn") == 0 && h->cfg.arch != ATS_ARCH_PHI3) {
        read_yarn(r, &sub, key, h);
    } else if (strcmp(type, "longrope") == 0 || strcmp(type, "su") == 0 ||
               strcmp(type, "yarn") == 0) {
        read_longrope(r, &sub, key, h);
    } else {
        char what[40];
        snprintf(what, sizeof what, "%s type", key);
        unsupported(&sub, what, type);
    }
    if (r->status == ATS_OK)
        r->status = sub.status;
}

/* RoPE's base (rope_theta, or `theta_key`), its scaling (rope_scaling, or transformers 5's
 * rope_parameters, which also carries the base) and how much of each head rotates
 * (`fraction_key`, a fraction of d_head; 1 when absent). */
static void read_rope(reader *r, ats_hf_config *h, const char *theta_key, const char *fraction_key,
                      double fraction_default) {
    ats_model_config *c = &h->cfg;
    c->rope_scaling = (ats_rope_scaling){.kind = ATS_ROPE_SCALING_NONE, .factor = 1.0f};
    c->rope_theta =
        (float)get_real(r, present(r, "rope_theta") ? "rope_theta" : theta_key, 10000.0);
    double fraction = fraction_key ? get_real(r, fraction_key, fraction_default) : 1.0;
    const json_t *params = json_object_get(r->root, "rope_parameters");
    const json_t *rs = json_object_get(r->root, "rope_scaling");
    if (r->status != ATS_OK)
        return;
    if (params && !json_is_null(params)) {
        if (!json_is_object(params) || !json_object_get(params, "rope_type")) {
            unsupported(r, "rope_parameters", "other than one {\"rope_type\": ...} object");
            return;
        }
        reader sub = {.path = r->path, .root = params, .err = r->err, .status = ATS_OK};
        c->rope_theta = (float)get_real(&sub, "rope_theta", c->rope_theta);
        if (fraction_key)
            fraction = get_real(&sub, "partial_rotary_factor", fraction);
        r->status = sub.status;
        read_scaling_object(r, params, "rope_parameters", h);
    } else if (rs && !json_is_null(rs)) {
        if (!json_is_object(rs))
            r->status =
                ats_fail(r->err, ATS_ERR_FORMAT, "%s: 'rope_scaling' must be an object", r->path);
        else
            read_scaling_object(r, rs, "rope_scaling", h);
    }
    if (r->status != ATS_OK || c->d_head <= 0)
        return;
    if (!(fraction > 0.0 && fraction <= 1.0)) {
        r->status = ats_fail(r->err, ATS_ERR_FORMAT, "%s: '%s' must be above 0 and at most 1",
                             r->path, fraction_key);
        return;
    }
    /* int(head_dim * fraction) dimensions, as transformers takes them */
    int dims = (int)((double)c->d_head * fraction);
    if (dims < c->d_head) {
        c->rotary_dim = dims;
        choice(h, "partial rotary: the first %d of %d dimensions of each head rotate (%s %g)", dims,
               c->d_head, fraction_key, fraction);
    }
    if (fraction_key && (dims < 2 || dims % 2 != 0))
        r->status = ats_fail(r->err, ATS_ERR_FORMAT,
                             "%s: %s %g gives %d rotary dimensions of %d; an even number is needed",
                             r->path, fraction_key, fraction, dims, c->d_head);
    if (r->status == ATS_OK && c->rope_scaling.kind == ATS_ROPE_SCALING_LONGROPE &&
        h->n_rope_pairs != dims / 2)
        r->status = ats_fail(r->err, ATS_ERR_FORMAT,
                             "%s: longrope short_factor and long_factor hold %d numbers; the %d "
                             "rotary dimensions of a head need %d",
                             r->path, h->n_rope_pairs, dims, dims / 2);
}

/* ---- sliding windows ------------------------------------------------------------------------- */

/* "layer_types" (newer transformers write it): which layers are "sliding_attention", which
 * "full_attention". When present it decides, as in transformers: the window goes on the layers
 * it names, which must follow a pattern the engine runs (from some layer on, every layer or all
 * but the last of each group of up to 8); others are refused. */
static void read_layer_types(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    const json_t *types = json_object_get(r->root, "layer_types");
    if (r->status != ATS_OK || !types || json_is_null(types))
        return;
    if (!json_is_array(types) || json_array_size(types) != (size_t)c->n_layer) {
        r->status =
            ats_fail(r->err, ATS_ERR_FORMAT, "%s: 'layer_types' must list one type per layer (%d)",
                     r->path, c->n_layer);
        return;
    }
    int from = -1;
    for (int l = 0; l < c->n_layer; l++) {
        const char *t = json_string_value(json_array_get(types, (size_t)l));
        bool sliding = t && strcmp(t, "sliding_attention") == 0;
        if (!t || (!sliding && strcmp(t, "full_attention") != 0)) {
            unsupported(r, "layer type", t ? t : "(not a string)");
            return;
        }
        if (sliding && from < 0)
            from = l;
    }
    if (from < 0 || c->sliding_window <= 0) { /* no layer, or no window size: full attention */
        c->sliding_window = 0;
        return;
    }
    c->window_from = from;
    for (c->window_period = 1; c->window_period <= 8; c->window_period++) {
        bool same = true;
        for (int l = 0; l < c->n_layer && same; l++) {
            const char *t = json_string_value(json_array_get(types, (size_t)l));
            same = (strcmp(t, "sliding_attention") == 0) == (ats_config_layer_window(c, l) > 0);
        }
        if (same)
            return;
    }
    r->status = ats_fail(r->err, ATS_ERR_UNSUPPORTED,
                         "%s: 'layer_types' puts the sliding window on layers in a pattern "
                         "attnscope does not run",
                         r->path);
}

/* sliding_window W (absent or null: none) on layers window_from.. with window_period. */
static void read_window(reader *r, ats_hf_config *h, bool enabled, int from, int period) {
    ats_model_config *c = &h->cfg;
    if (r->status != ATS_OK)
        return;
    const json_t *w = json_object_get(r->root, "sliding_window");
    if (enabled && w && !json_is_null(w)) {
        c->sliding_window = get_int(r, "sliding_window", MAX_COUNT, 0);
        c->window_from = from;
        c->window_period = period;
        if (c->sliding_window >= c->context) /* a window as long as the context changes nothing */
            c->sliding_window = 0;
    }
    read_layer_types(r, h);
    if (c->sliding_window <= 0)
        return;
    if (c->window_period == 2 && c->window_from == 0)
        choice(h, "sliding window of %d tokens on the even layers, the odd ones global",
               c->sliding_window);
    else if (c->window_period > 1)
        choice(h, "sliding window of %d tokens from layer %d, every %dth layer global",
               c->sliding_window, c->window_from, c->window_period);
    else if (c->window_from > 0)
        choice(h, "sliding window of %d tokens on layers %d and up", c->sliding_window,
               c->window_from);
    else
        choice(h, "sliding window of %d tokens on every layer", c->sliding_window);
}

/* ---- the Llama family and its relatives ------------------------------------------------------ */

/* The keys Llama, Mistral, Qwen2, Gemma and Phi-3 share: sizes, RMS norms, rotate-half RoPE. */
static void read_llama_shape(reader *r, ats_hf_config *h, double eps_default) {
    ats_model_config *c = &h->cfg;
    read_sizes(r, c, "intermediate_size", 2048);
    c->n_kv_head = get_int(r, "num_key_value_heads", MAX_DIM, c->n_head);
    c->norm_eps = (float)get_real(r, "rms_norm_eps", eps_default);
    if (present(r, "head_dim"))
        c->d_head = get_int(r, "head_dim", MAX_DIM, 0);
    else
        split_heads(r, c);
    c->norm = ATS_NORM_RMSNORM;
    c->pre_norm = true;
    c->final_norm = true;
    c->positions = ATS_POS_ROPE_HALF; /* Hugging Face stores q/k rows for rotate_half */
    c->causal = true;
    c->attn_scale = c->d_head > 0 ? 1.0f / sqrtf((float)c->d_head) : 1.0f;
    if (r->status == ATS_OK && c->n_head % c->n_kv_head != 0)
        r->status = ats_fail(r->err, ATS_ERR_FORMAT,
                             "%s: %d attention heads do not divide into %d key/value heads",
                             r->path, c->n_head, c->n_kv_head);
    if (r->status == ATS_OK && (json_int_t)c->n_head * c->d_head > MAX_DIM)
        r->status = ats_fail(r->err, ATS_ERR_FORMAT, "%s: %d heads of %d dimensions is implausible",
                             r->path, c->n_head, c->d_head);
    if (r->status == ATS_OK && present(r, "head_dim") && c->d_head * c->n_head != c->d_model)
        choice(h, "head_dim %d independent of d_model / heads (%d)", c->d_head,
               c->d_model / c->n_head);
}

/* Llama 1/2/3, Mistral, Qwen2: SwiGLU, optional biases. */
static void read_llama(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    bool mistral = strcmp(h->model_type, "mistral") == 0,
         qwen2 = strcmp(h->model_type, "qwen2") == 0;
    c->arch = mistral ? ATS_ARCH_MISTRAL : qwen2 ? ATS_ARCH_QWEN2 : ATS_ARCH_LLAMA;
    family(h, mistral ? "Mistral" : qwen2 ? "Qwen2" : "Llama");
    read_llama_shape(r, h, 1e-6);
    read_rope(r, h, "rope_theta", NULL, 1.0);
    c->activation = activation_of(r, "hidden_act", get_str(r, "hidden_act", "silu"), true);
    if (r->status == ATS_OK && c->activation != ATS_ACT_SWIGLU)
        unsupported(r, "hidden_act", get_str(r, "hidden_act", ""));
    bool attention_bias = get_bool(r, "attention_bias", false);
    h->qkv_bias = attention_bias || qwen2;
    h->o_bias = attention_bias;
    h->mlp_bias = get_bool(r, "mlp_bias", false);
    h->tie_embeddings = get_bool(r, "tie_word_embeddings", false);
    if (h->qkv_bias)
        choice(h, "biases on the query, key and value projections%s",
               qwen2 ? " (Qwen2)" : " (attention_bias)");
    if (h->o_bias)
        choice(h, "bias on the attention output (attention_bias)");
    if (h->mlp_bias)
        choice(h, "biases in the MLP (mlp_bias)");
    if (mistral)
        read_window(r, h, true, 0, 1);
    else if (qwen2)
        read_window(r, h, get_bool(r, "use_sliding_window", false),
                    get_int(r, "max_window_layers", MAX_DIM, 28), 1);
    else
        read_layer_types(r, h);
}

/* Gemma and Gemma 2: RMSNorm scaling by (1 + w), embeddings times sqrt(d_model), GeGLU, tied
 * embeddings; Gemma 2 adds soft-capping, sliding windows on alternate layers, its own query
 * scale and norms after each block. */
static void read_gemma(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    bool two = strcmp(h->model_type, "gemma2") == 0;
    c->arch = two ? ATS_ARCH_GEMMA2 : ATS_ARCH_GEMMA;
    family(h, two ? "Gemma 2" : "Gemma");
    read_llama_shape(r, h, 1e-6);
    read_rope(r, h, "rope_theta", NULL, 1.0);
    /* Gemma 2 reads hidden_activation; Gemma hidden_act in today's transformers, where older
     * releases preferred hidden_activation when set (Google's configs set both, agreeing) */
    const char *key = two || present(r, "hidden_activation") ? "hidden_activation" : "hidden_act";
    const char *act = get_str(r, key, "gelu_pytorch_tanh");
    c->activation = activation_of(r, key, act, true);
    c->causal = !get_bool(r, "use_bidirectional_attention", false);
    if (!c->causal)
        choice(h, "bidirectional attention (use_bidirectional_attention)");
    choice(h, "GeGLU: %s(gate) * up (%s)", act, present(r, key) ? key : "the default");
    h->norm_plus_one = true;
    choice(h, "RMSNorm scales by (1 + weight)");
    c->embed_scale = sqrtf((float)c->d_model);
    choice(h, "token embeddings multiplied by sqrt(d_model) = %.4g", (double)c->embed_scale);
    h->tie_embeddings = true; /* Gemma's head is its embedding */
    bool attention_bias = get_bool(r, "attention_bias", false);
    h->qkv_bias = h->o_bias = attention_bias;
    if (attention_bias)
        choice(h, "biases on the attention projections (attention_bias)");
    if (!two)
        return;
    double scalar = get_real(r, "query_pre_attn_scalar", 256.0);
    c->attn_scale = (float)(1.0 / sqrt(scalar));
    choice(h, "scores scaled by query_pre_attn_scalar^-1/2 = 1/sqrt(%g)", scalar);
    c->attn_softcap = (float)get_real(r, "attn_logit_softcapping", 0.0);
    c->final_softcap = (float)get_real(r, "final_logit_softcapping", 0.0);
    if (c->attn_softcap > 0)
        choice(h, "attention soft-cap: %g * tanh(score / %g) (attn_logit_softcapping)",
               (double)c->attn_softcap, (double)c->attn_softcap);
    if (c->final_softcap > 0)
        choice(h, "final soft-cap: %g * tanh(logit / %g) (final_logit_softcapping)",
               (double)c->final_softcap, (double)c->final_softcap);
    c->post_block_norm = true;
    choice(h, "post-attention and post-feedforward norms on each block's output");
    read_window(r, h, true, 0, 2);
}

/* Phi-3: Llama's shape with fused qkv_proj and gate_up_proj, optional partial rotary. */
static void read_phi3(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    c->arch = ATS_ARCH_PHI3;
    family(h, "Phi-3");
    read_llama_shape(r, h, 1e-5);
    read_rope(r, h, "rope_theta", "partial_rotary_factor", 1.0);
    c->activation = activation_of(r, "hidden_act", get_str(r, "hidden_act", "silu"), true);
    if (r->status == ATS_OK && c->activation != ATS_ACT_SWIGLU)
        unsupported(r, "hidden_act", get_str(r, "hidden_act", ""));
    h->fused_qkv = h->fused_gate_up = true;
    choice(h, "fused projections: qkv_proj (q, k, v rows) and gate_up_proj (gate, up rows)");
    h->tie_embeddings = get_bool(r, "tie_word_embeddings", false);
    h->qkv_bias = h->o_bias = get_bool(r, "attention_bias", false);
    read_window(r, h, true, 0, 1);
}

/* ---- GPT-NeoX and Phi-2: partial rotary, parallel blocks, LayerNorm with bias --------------- */

static void read_gpt_neox(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    c->arch = ATS_ARCH_GPT_NEOX;
    family(h, "GPT-NeoX");
    read_sizes(r, c, "intermediate_size", 2048);
    c->norm_eps = (float)get_real(r, "layer_norm_eps", 1e-5);
    split_heads(r, c);
    c->n_kv_head = c->n_head;
    read_rope(r, h, "rotary_emb_base",
              present(r, "partial_rotary_factor") ? "partial_rotary_factor" : "rotary_pct", 0.25);
    c->activation = activation_of(r, "hidden_act", get_str(r, "hidden_act", "gelu"), false);
    c->norm = ATS_NORM_LAYERNORM;
    c->pre_norm = true;
    c->final_norm = true;
    c->positions = ATS_POS_ROPE_HALF;
    c->causal = true;
    c->attn_scale = c->d_head > 0 ? 1.0f / sqrtf((float)c->d_head) : 1.0f;
    h->qkv_per_head = true;
    choice(h, "fused query_key_value, interleaved per head (q, k, v of head 0, then head 1, ...)");
    c->parallel_block = get_bool(r, "use_parallel_residual", true);
    choice(h, c->parallel_block ? "parallel residual: x + attn(ln1(x)) + mlp(ln2(x)) "
                                  "(use_parallel_residual)"
                                : "sequential residual (use_parallel_residual false)");
    h->qkv_bias = h->o_bias = get_bool(r, "attention_bias", true);
    h->mlp_bias = true;
    choice(h, "LayerNorm with bias%s", h->qkv_bias ? ", biases on every projection" : "");
    h->tie_embeddings = get_bool(r, "tie_word_embeddings", false);
}

static void read_phi(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    c->arch = ATS_ARCH_PHI;
    family(h, "Phi");
    read_sizes(r, c, "intermediate_size", 2048);
    c->n_kv_head = get_int(r, "num_key_value_heads", MAX_DIM, c->n_head);
    c->norm_eps = (float)get_real(r, "layer_norm_eps", 1e-5);
    split_heads(r, c);
    if (r->status == ATS_OK && c->n_head % c->n_kv_head != 0)
        r->status = ats_fail(r->err, ATS_ERR_FORMAT,
                             "%s: %d attention heads do not divide into %d key/value heads",
                             r->path, c->n_head, c->n_kv_head);
    read_rope(r, h, "rope_theta", "partial_rotary_factor", 0.5);
    c->activation = activation_of(r, "hidden_act", get_str(r, "hidden_act", "gelu_new"), false);
    if (get_bool(r, "qk_layernorm", false))
        unsupported(r, "qk_layernorm", "true");
    c->norm = ATS_NORM_LAYERNORM;
    c->pre_norm = true;
    c->final_norm = true;
    c->positions = ATS_POS_ROPE_HALF;
    c->causal = true;
    c->attn_scale = c->d_head > 0 ? 1.0f / sqrtf((float)c->d_head) : 1.0f;
    c->parallel_block = true;
    choice(h, "parallel attention and MLP on one LayerNorm: x + attn(ln(x)) + mlp(ln(x))");
    h->qkv_bias = h->o_bias = h->mlp_bias = true;
    h->lm_head_bias = true;
    choice(h, "dense layers with biases, the LM head too");
    h->tie_embeddings = get_bool(r, "tie_word_embeddings", false);
}

/* ---- OPT ---------------------------------------------------------------------------------------
 */

static void read_opt(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    c->arch = ATS_ARCH_OPT;
    family(h, "OPT");
    read_sizes(r, c, "ffn_dim", 2048);
    c->norm_eps = 1e-5f; /* nn.LayerNorm's default: OPT's config has no key for it */
    split_heads(r, c);
    c->n_kv_head = c->n_head;
    c->activation =
        activation_of(r, "activation_function", get_str(r, "activation_function", "relu"), false);
    int embed_dim =
        r->status == ATS_OK ? get_int(r, "word_embed_proj_dim", MAX_DIM, c->d_model) : 0;
    c->d_embed = embed_dim != c->d_model ? embed_dim : 0;
    if (!get_bool(r, "enable_bias", true))
        unsupported(r, "enable_bias", "false");
    if (!get_bool(r, "layer_norm_elementwise_affine", true))
        unsupported(r, "layer_norm_elementwise_affine", "false");
    c->norm = ATS_NORM_LAYERNORM;
    c->pre_norm = get_bool(r, "do_layer_norm_before", true);
    /* a final norm after the last layer exists with pre-norm, unless removed */
    c->final_norm = c->pre_norm && !get_bool(r, "_remove_final_layer_norm", false);
    c->positions = ATS_POS_LEARNED;
    c->pos_offset = 2;
    c->causal = true;
    c->attn_scale = c->d_head > 0 ? 1.0f / sqrtf((float)c->d_head) : 1.0f;
    h->tie_embeddings = get_bool(r, "tie_word_embeddings", true);
    choice(h, "learned positions with offset 2: token t reads row t + 2");
    choice(h, "%s activation in the MLP", get_str(r, "activation_function", "relu"));
    choice(h, c->pre_norm ? "pre-norm (do_layer_norm_before)"
                          : "post-norm (do_layer_norm_before false): LayerNorm after each residual "
                            "add");
    if (c->d_embed > 0)
        choice(h,
               "word_embed_proj_dim %d: project_in after the token lookup, project_out before "
               "the head",
               c->d_embed);
}

/* ---- encoders: RoBERTa, XLM-RoBERTa, DistilBERT -----------------------------------------------
 */

static void read_roberta(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    read_bert(r, h);
    c->arch = ATS_ARCH_ROBERTA;
    bool xlm = strcmp(h->model_type, "xlm-roberta") == 0;
    family(h, xlm ? "XLM-RoBERTa" : "RoBERTa");
    /* position ids start at padding_idx + 1 (pad_token_id, 1); the table's first rows are
     * never read */
    int pad = present(r, "pad_token_id")
                  ? (int)json_integer_value(json_object_get(r->root, "pad_token_id"))
                  : 1;
    if (r->status == ATS_OK && (pad < 0 || pad >= c->context - 1))
        r->status =
            ats_fail(r->err, ATS_ERR_FORMAT, "%s: pad_token_id %d is implausible", r->path, pad);
    c->pos_offset = pad + 1;
    c->context -= pad + 1;
    choice(h, "position ids offset by padding_idx + 1 = %d: token t reads row t + %d",
           c->pos_offset, c->pos_offset);
    h->tensor_prefix = "roberta.";
}

static void read_distilbert(reader *r, ats_hf_config *h) {
    ats_model_config *c = &h->cfg;
    c->arch = ATS_ARCH_DISTILBERT;
    family(h, "DistilBERT");
    c->d_model = get_int(r, "dim", MAX_DIM, 0);
    c->n_layer = get_int(r, "n_layers", MAX_DIM, 0);
    c->n_head = get_int(r, "n_heads", MAX_DIM, 0);
    c->d_ff = get_int(r, "hidden_dim", MAX_DIM, 0);
    c->vocab_size = get_int(r, "vocab_size", MAX_COUNT, 0);
    c->context = get_int(r, "max_position_embeddings", MAX_COUNT, 512);
    c->norm_eps = 1e-12f; /* fixed in transformers' DistilBERT */
    c->activation = activation_of(r, "activation", get_str(r, "activation", "gelu"), false);
    split_heads(r, c);
    c->n_kv_head = c->n_head;
    c->norm = ATS_NORM_LAYERNORM;
    c->pre_norm = false;
    c->embed_norm = true;
    c->positions = ATS_POS_LEARNED;
    c->causal = false;
    c->attn_scale = c->d_head > 0 ? 1.0f / sqrtf((float)c->d_head) : 1.0f;
    h->type_vocab_size = 0;
    h->tie_embeddings = get_bool(r, "tie_word_embeddings", true); /* the masked-LM head's */
    choice(h, "no token type embeddings");
    if (get_bool(r, "sinusoidal_pos_embds", false))
        choice(h, "sinusoidal position table (sinusoidal_pos_embds), read from the weights");
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
    family(h, "T5");
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
        else if (strcmp(type, "gemma") == 0 || strcmp(type, "gemma2") == 0)
            read_gemma(&r, out);
        else if (strcmp(type, "phi3") == 0)
            read_phi3(&r, out);
        else if (strcmp(type, "phi") == 0)
            read_phi(&r, out);
        else if (strcmp(type, "gpt_neox") == 0)
            read_gpt_neox(&r, out);
        else if (strcmp(type, "opt") == 0)
            read_opt(&r, out);
        else if (strcmp(type, "roberta") == 0 || strcmp(type, "xlm-roberta") == 0)
            read_roberta(&r, out);
        else if (strcmp(type, "distilbert") == 0)
            read_distilbert(&r, out);
        else
            r.status = ats_fail(err, ATS_ERR_UNSUPPORTED,
                                "%s: model_type '%.64s' is not supported (attnscope runs gpt2, "
                                "bert, roberta, xlm-roberta, distilbert, llama, mistral, qwen2, "
                                "gemma, gemma2, phi, phi3, gpt_neox, opt, t5 and mt5)",
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
