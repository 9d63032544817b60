#include "run.h"
#include "attention.h"
#include "base.h"
#include "ops.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

ats_run_opts ats_run_opts_default(void) {
    return (ats_run_opts){.add_special = true,
                          .want_hidden = false,
                          .want_logits = false,
                          .detail_layer = ATS_DETAIL_NONE,
                          .max_tokens = 0,
                          .keep_cache = false,
                          .reuse = NULL,
                          .max_new = 20,
                          .threads = 0,
                          .attention_layer = ATS_DETAIL_ALL_LAYERS,
                          .attention_budget = 0,
                          .cancel = NULL,
                          .cancel_user = NULL,
                          .ablate = NULL,
                          .n_ablate = 0};
}

ats_status ats_tokenize(const ats_model *model, const char *text, size_t len,
                        const ats_tokenize_opts *opts, ats_tokens **out, ats_error *err) {
    *out = NULL;
    ats_error_clear(err);
    if (!model->tokenizer)
        return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: the model has no tokenizer",
                        model->info.name);
    long bad = ats_utf8_first_invalid(text, len);
    if (bad >= 0)
        return ats_fail(err, ATS_ERR_FORMAT, "text is not valid UTF-8 (at byte %ld)", bad);
    ats_tokens *tokens = ats_tokens_new();
    if (!tokens)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    ats_status s = ats_tokenizer_encode(model->tokenizer, text, len,
                                        opts ? opts->add_special : true, tokens, err);
    if (s != ATS_OK) {
        ats_tokens_free(tokens);
        return s;
    }
    *out = tokens;
    return ATS_OK;
}

bool ats_run_keeps_layer(int detail_layer, int layer) {
    return detail_layer == ATS_DETAIL_ALL_LAYERS || detail_layer == layer;
}

/* Zeroed floats. A large block (attention, caches: tens of megabytes a run, touched once each)
 * asks for transparent huge pages, so filling it takes a page fault per 2 MiB, not per 4 KiB. */
static float *alloc_floats(size_t count, ats_error *err) {
    float *p = calloc(count ? count : 1, sizeof(float));
    if (!p) {
        ats_fail(err, ATS_ERR_NOMEM, "out of memory for %zu floats", count);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1), end = (uintptr_t)(p + count);
    if (end > start && end - start >= huge)
        madvise((void *)start, (end - start) & ~(huge - 1), MADV_HUGEPAGE); /* a hint only */
#endif
    return p;
}

static ats_status alloc_layer_store(ats_layer_store *st, const ats_model_config *c, size_t T,
                                    size_t Te, ats_error *err) {
    size_t dq = (size_t)c->n_head * c->d_head, dkv = (size_t)c->n_kv_head * c->d_head;
    if (!(st->q = alloc_floats(T * dq, err)) || !(st->k = alloc_floats(T * dkv, err)) ||
        !(st->v = alloc_floats(T * dkv, err)) ||
        !(st->scores = alloc_floats((size_t)c->n_head * T * T, err)) ||
        !(st->out = alloc_floats(T * dq, err)) ||
        !(st->input = alloc_floats(T * c->d_model, err)) ||
        !(st->attn_in = alloc_floats(T * c->d_model, err)) ||
        !(st->concat = alloc_floats(T * dq, err)) ||
        !(st->attn_out = alloc_floats(T * c->d_model, err)))
        return ATS_ERR_NOMEM;
    if (c->cross_attention && (!(st->cross_q = alloc_floats(T * dq, err)) ||
                               !(st->cross_k = alloc_floats(Te * dq, err)) ||
                               !(st->cross_v = alloc_floats(Te * dq, err)) ||
                               !(st->cross_concat = alloc_floats(T * dq, err)) ||
                               !(st->cross_out = alloc_floats(T * c->d_model, err))))
        return ATS_ERR_NOMEM;
    return ATS_OK;
}

static void free_layer_store(ats_layer_store *st) {
    free(st->q);
    free(st->k);
    free(st->v);
    free(st->scores);
    free(st->out);
    free(st->input);
    free(st->attn_in);
    free(st->concat);
    free(st->attn_out);
    free(st->cross_q);
    free(st->cross_k);
    free(st->cross_v);
    free(st->cross_concat);
    free(st->cross_out);
}

ats_run *ats_run_retain(ats_run *run) {
    if (run)
        atomic_fetch_add(&run->refs, 1);
    return run;
}

void ats_run_free(ats_run *run) {
    if (!run || atomic_fetch_sub(&run->refs, 1) > 1)
        return;
    ats_tokens_free(run->tokens);
    free(run->kv_cache);
    free(run->attn.probs);
    free(run->attn.q);
    free(run->attn.k);
    free(run->attn.pooled);
    free(run->attn.pooled_mean);
    ats_head_cache_free(run->attn.cache);
    free(run->hidden);
    free(run->logits);
    free(run->rel_bias);
    free(run->ablated);
    free(run->cross_attn);
    ats_run_free(run->encoder);
    if (run->layers) {
        for (int l = 0; l < run->cfg.n_layer; l++)
            free_layer_store(&run->layers[l]);
        free(run->layers);
    }
    free(run);
}

/* The run's copy of opts->ablate as an (n_layer, n_head) mask (none: NULL). */
static ats_status set_ablation(ats_run *run, const ats_run_opts *opts, ats_error *err) {
    const ats_model_config *c = &run->cfg;
    if (opts->n_ablate <= 0)
        return ATS_OK;
    if (!opts->ablate)
        return ats_fail(err, ATS_ERR_ARG, "%d heads to ablate but no list of them", opts->n_ablate);
    run->ablated = calloc((size_t)c->n_layer * c->n_head, sizeof *run->ablated);
    if (!run->ablated)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < opts->n_ablate; i++) {
        ats_head_ref r = opts->ablate[i];
        if (r.layer < 0 || r.layer >= c->n_layer || r.head < 0 || r.head >= c->n_head)
            return ats_fail(err, ATS_ERR_ARG,
                            "cannot ablate head %d:%d: the model has %d layers of %d heads",
                            r.layer, r.head, c->n_layer, c->n_head);
        bool *slot = &run->ablated[(size_t)r.layer * c->n_head + r.head];
        run->n_ablated += !*slot;
        *slot = true;
    }
    return ATS_OK;
}

/* The attention the run serves: every layer or the one asked for, kept whole within the
 * budget, else each layer's queries and keys (the keys in the kv_cache when the run has one) and
 * every head pooled (when every layer is served). */
static ats_status alloc_attention(ats_run *run, const ats_model_config *c, const ats_run_opts *opts,
                                  ats_error *err) {
    ats_attn_store *a = &run->attn;
    size_t T = (size_t)run->n_tokens, H = (size_t)c->n_head, dh = (size_t)c->d_head;
    if (opts->attention_layer == ATS_DETAIL_ALL_LAYERS) {
        a->layer0 = 0;
        a->n_layers = c->n_layer;
    } else if (opts->attention_layer >= 0 && opts->attention_layer < c->n_layer) {
        a->layer0 = opts->attention_layer;
        a->n_layers = 1;
    } else {
        return ats_fail(err, ATS_ERR_ARG, "layer %d is out of range (the model has %d)",
                        opts->attention_layer, c->n_layer);
    }
    size_t budget = opts->attention_budget ? opts->attention_budget : ATS_ATTENTION_BUDGET;
    size_t L = (size_t)a->n_layers;
    a->kept = T * T <= budget / sizeof(float) / (L * H); /* (L, H, T, T) floats fit */
    if (a->kept)
        return (a->probs = alloc_floats(L * H * T * T, err)) ? ATS_OK : ATS_ERR_NOMEM;
    if (!(a->q = alloc_floats(L * T * H * dh, err)) ||
        (!run->kv_cache && !(a->k = alloc_floats(L * T * c->n_kv_head * dh, err))))
        return ATS_ERR_NOMEM;
    if (!(a->cache = ats_head_cache_new()))
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    if (a->n_layers == c->n_layer) {
        ats_attn_pool_shape(run->n_tokens, &a->pool_block, &a->pool_n);
        size_t n = (size_t)a->pool_n;
        if (!(a->pooled = alloc_floats((size_t)c->n_layer * H * n * n, err)) ||
            !(a->pooled_mean = alloc_floats((size_t)c->n_layer * H * n * n, err)))
            return ATS_ERR_NOMEM;
    }
    return ATS_OK;
}

/* True when two runs of one model ablate the same heads. */
static bool same_ablation(const ats_run *a, const ats_run *b) {
    if (a->n_ablated != b->n_ablated)
        return false;
    size_t n = (size_t)a->cfg.n_layer * a->cfg.n_head;
    return a->n_ablated == 0 || memcmp(a->ablated, b->ablated, n * sizeof *a->ablated) == 0;
}

static ats_status alloc_outputs(ats_run *run, const ats_model *model, const ats_run_opts *opts,
                                ats_error *err) {
    const ats_model_config *c = &model->cfg;
    size_t T = (size_t)run->n_tokens;
    if (opts->want_hidden && !(run->hidden = alloc_floats(T * c->d_model, err)))
        return ATS_ERR_NOMEM;
    if (opts->keep_cache &&
        !(run->kv_cache = alloc_floats((size_t)c->n_layer * 2 * T * c->n_kv_head * c->d_head, err)))
        return ATS_ERR_NOMEM;
    if (c->cross_attention &&
        !(run->cross_attn = alloc_floats((size_t)c->n_layer * c->n_head * T * run->n_memory, err)))
        return ATS_ERR_NOMEM;
    if (c->positions == ATS_POS_RELATIVE_BUCKETS) {
        size_t n = (size_t)c->rel_buckets * c->n_head;
        if (!(run->rel_bias = alloc_floats(n, err)))
            return ATS_ERR_NOMEM;
        memcpy(run->rel_bias, model->rel_bias, n * sizeof(float));
    }
    if (opts->want_logits) {
        if (!model->lm_head.w)
            return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s has no language-model head, so no logits",
                            model->info.name);
        if (!(run->logits = alloc_floats((size_t)c->vocab_size, err)))
            return ATS_ERR_NOMEM;
    }
    ats_status s = alloc_attention(run, c, opts, err); /* after the kv_cache it may read */
    if (s != ATS_OK)
        return s;
    if (opts->detail_layer != ATS_DETAIL_NONE) {
        if (opts->detail_layer != ATS_DETAIL_ALL_LAYERS &&
            (opts->detail_layer < 0 || opts->detail_layer >= c->n_layer))
            return ats_fail(err, ATS_ERR_ARG, "layer %d is out of range (the model has %d)",
                            opts->detail_layer, c->n_layer);
        run->layers = calloc((size_t)c->n_layer, sizeof *run->layers);
        if (!run->layers)
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
        for (int l = 0; l < c->n_layer; l++) {
            if (ats_run_keeps_layer(opts->detail_layer, l) &&
                alloc_layer_store(&run->layers[l], c, T, (size_t)run->n_memory, err) != ATS_OK)
                return ATS_ERR_NOMEM;
        }
    }
    return ATS_OK;
}

/* How many leading tokens of `run` can be copied from `prev`: the tokens the two share at the
 * start, for a causal model, when prev was made by the same model with a cache and holds
 * everything this run keeps. At least the last token is always computed. */
static int reusable_prefix(const ats_model *model, const ats_run *run, const ats_run *prev,
                           const ats_run_opts *opts) {
    if (!prev || !model->cfg.causal || !prev->kv_cache || prev->model_serial != model->serial ||
        model->cfg.cross_attention || !same_ablation(run, prev))
        return 0;
    if (opts->want_hidden && !prev->hidden)
        return 0;
    /* LongRoPE turns every position by other angles once the text outgrows the original
     * context: the prefix's keys are reusable only on the same side of that length */
    const ats_rope_scaling *rs = &model->cfg.rope_scaling;
    if (ats_rope_long_factors(rs, run->n_tokens) != ats_rope_long_factors(rs, prev->n_tokens))
        return 0;
    /* the attention stored alike: kept or not, the same layers, the same pooled blocks */
    const ats_attn_store *a = &run->attn, *b = &prev->attn;
    if (a->kept != b->kept || a->layer0 != b->layer0 || a->n_layers != b->n_layers ||
        a->pool_block != b->pool_block || (a->k == NULL) != (b->k == NULL))
        return 0;
    for (int l = 0; run->layers && l < model->cfg.n_layer; l++)
        if (run->layers[l].q && (!prev->layers || !prev->layers[l].q))
            return 0;
    int n = run->n_tokens < prev->n_tokens ? run->n_tokens : prev->n_tokens;
    int shared = 0;
    while (shared < n &&
           ats_tokens_get(run->tokens, shared)->id == ats_tokens_get(prev->tokens, shared)->id)
        shared++;
    return shared < run->n_tokens ? shared : run->n_tokens - 1;
}

ats_status ats_run_tokens(const ats_model *model, ats_tokens *tokens, const ats_run_opts *opts,
                          double tokenize_ms, ats_run *encoder, ats_run **out, ats_error *err) {
    double start = ats_clock_ms();
    ats_run *run = calloc(1, sizeof *run);
    if (!run) {
        ats_tokens_free(tokens);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    atomic_init(&run->refs, 1);
    run->cfg = model->cfg;
    run->model_serial = model->serial;
    run->tokens = tokens;
    if (model->cfg.cross_attention) {
        ATS_ASSERT(encoder && encoder->hidden);
        run->encoder = ats_run_retain(encoder);
        run->memory = encoder->hidden;
        run->n_memory = encoder->n_tokens;
    }
    ats_status s;
    int n = ats_tokens_count(tokens);
    if (n == 0) {
        s = ats_fail(err, ATS_ERR_ARG, "the text gives no tokens");
        goto fail;
    }
    int limit = model->cfg.context;
    if (opts->max_tokens > 0 && opts->max_tokens < limit)
        limit = opts->max_tokens;
    if (n > limit) {
        run->n_dropped = n - limit;
        ats_tokens_truncate(tokens, limit);
        n = limit;
    }
    run->n_tokens = n;
    run->threads = opts->threads;
    run->cancel = opts->cancel;
    run->cancel_user = opts->cancel_user;
    if ((s = set_ablation(run, opts, err)) != ATS_OK ||
        (s = alloc_outputs(run, model, opts, err)) != ATS_OK)
        goto fail;
    run->n_reused = reusable_prefix(model, run, opts->reuse, opts);
    if ((s = ats_forward(model, run, run->n_reused ? opts->reuse : NULL, run->n_reused, err)) !=
        ATS_OK)
        goto fail;
    run->cancel = NULL; /* the caller's test is for the pass only */
    run->cancel_user = NULL;
    run->tokenize_ms = tokenize_ms;
    run->forward_ms = ats_clock_ms() - start;
    *out = run;
    return ATS_OK;
fail:
    ats_run_free(run);
    return s;
}

static ats_status check_runnable(const ats_model *model, ats_error *err) {
    if (!model->info.has_weights)
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "%s holds a vocabulary only, no weights: it can tokenize but not run",
                        model->info.name);
    return ATS_OK;
}

ats_status ats_run_text(const ats_model *model, const char *text, size_t len,
                        const ats_run_opts *opts, ats_run **out, ats_error *err) {
    *out = NULL;
    ats_error_clear(err);
    ats_run_opts defaults = ats_run_opts_default();
    if (!opts)
        opts = &defaults;
    ats_status s = check_runnable(model, err);
    if (s != ATS_OK)
        return s;
    ats_tokenize_opts topts = {.add_special = opts->add_special};
    ats_tokens *tokens;
    double start = ats_clock_ms();
    if ((s = ats_tokenize(model, text, len, &topts, &tokens, err)) != ATS_OK)
        return s;
    return ats_run_tokens(model, tokens, opts, ats_clock_ms() - start, NULL, out, err);
}

ats_status ats_run_ids(const ats_model *model, const int32_t *ids, int n_ids,
                       const ats_run_opts *opts, ats_run **out, ats_error *err) {
    *out = NULL;
    ats_error_clear(err);
    ats_run_opts defaults = ats_run_opts_default();
    if (!opts)
        opts = &defaults;
    ats_status s = check_runnable(model, err);
    if (s != ATS_OK)
        return s;
    ats_tokens *tokens = ats_tokens_new();
    if (!tokens)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n_ids; i++) {
        if ((s = ats_tokens_push(tokens, ids[i], 0, 0, false, "", 0, err)) != ATS_OK) {
            ats_tokens_free(tokens);
            return s;
        }
    }
    return ats_run_tokens(model, tokens, opts, 0.0, NULL, out, err);
}

ats_status ats_model_tokens_text(const ats_model *model, const ats_tokens *tokens, int from, int to,
                                 bool after_text, char **out, size_t *len, ats_error *err) {
    return ats_tokenizer_text(model->tokenizer, tokens, from, to, after_text, out, len, err);
}

ats_status ats_tokens_of_ids(const ats_model *model, const int32_t *ids, int n, ats_tokens **out,
                             ats_error *err) {
    *out = ats_tokens_new();
    if (!*out)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    int vocab = model->cfg.vocab_size;
    ats_status st = ATS_OK;
    for (int i = 0; i < n && st == ATS_OK; i++) {
        if (vocab > 0 && (ids[i] < 0 || ids[i] >= vocab))
            st = ats_fail(err, ATS_ERR_ARG, "token id %d is outside the vocabulary (%d ids)",
                          ids[i], vocab);
        else
            st = ats_tokenizer_push_id(model->tokenizer, ids[i], 0, *out, err);
    }
    if (st != ATS_OK) {
        ats_tokens_free(*out);
        *out = NULL;
    }
    return st;
}

const ats_model_config *ats_run_get_config(const ats_run *run) {
    return &run->cfg;
}

const ats_tokens *ats_run_get_tokens(const ats_run *run) {
    return run->tokens;
}

int ats_run_n_tokens(const ats_run *run) {
    return run->n_tokens;
}

int ats_run_dropped_tokens(const ats_run *run) {
    return run->n_dropped;
}

int ats_run_reused_tokens(const ats_run *run) {
    return run->n_reused;
}

bool ats_run_head_ablated(const ats_run *run, int layer, int head) {
    const ats_model_config *c = &run->cfg;
    return run->ablated && layer >= 0 && layer < c->n_layer && head >= 0 && head < c->n_head &&
           run->ablated[(size_t)layer * c->n_head + head];
}

int ats_run_n_ablated(const ats_run *run) {
    return run->n_ablated;
}

void ats_run_timings(const ats_run *run, double *tokenize_ms, double *forward_ms) {
    if (tokenize_ms)
        *tokenize_ms = run->tokenize_ms;
    if (forward_ms)
        *forward_ms = run->forward_ms;
}

const float *ats_run_attentions(const ats_run *run) {
    const ats_attn_store *a = &run->attn;
    return a->kept && a->n_layers == run->cfg.n_layer ? a->probs : NULL;
}

const float *ats_run_attention(const ats_run *run, int layer, int head) {
    const ats_attn_store *a = &run->attn;
    if (!a->kept || layer < a->layer0 || layer >= a->layer0 + a->n_layers || head < 0 ||
        head >= run->cfg.n_head)
        return NULL;
    size_t T = (size_t)run->n_tokens;
    return a->probs + ((size_t)(layer - a->layer0) * run->cfg.n_head + head) * T * T;
}

const float *ats_run_hidden(const ats_run *run) {
    return run->hidden;
}

const float *ats_run_logits_last(const ats_run *run) {
    return run->logits;
}

static ats_status kept_layer(const ats_run *run, int layer, const ats_layer_store **out,
                             ats_error *err) {
    if (layer < 0 || layer >= run->cfg.n_layer)
        return ats_fail(err, ATS_ERR_ARG, "layer %d is out of range (the model has %d)", layer,
                        run->cfg.n_layer);
    if (!run->layers || !run->layers[layer].q)
        return ats_fail(err, ATS_ERR_ARG, "layer %d's details were not kept by this run", layer);
    *out = &run->layers[layer];
    return ATS_OK;
}

ats_status ats_run_head_detail(const ats_run *run, int layer, int head, ats_head_detail *out,
                               ats_error *err) {
    const ats_layer_store *st = NULL;
    ats_status s = kept_layer(run, layer, &st, err);
    if (s != ATS_OK)
        return s;
    const ats_model_config *c = &run->cfg;
    if (head < 0 || head >= c->n_head)
        return ats_fail(err, ATS_ERR_ARG, "head %d is out of range (the model has %d)", head,
                        c->n_head);
    size_t T = (size_t)run->n_tokens, dh = (size_t)c->d_head;
    int kv = head / (c->n_head / c->n_kv_head);
    *out = (ats_head_detail){.layer = layer,
                             .head = head,
                             .kv_head = kv,
                             .n_tokens = (int)T,
                             .n_keys = (int)T,
                             .d_head = (int)dh,
                             .q = st->q + (size_t)head * T * dh,
                             .k = st->k + (size_t)kv * T * dh,
                             .v = st->v + (size_t)kv * T * dh,
                             .scores = st->scores + (size_t)head * T * T,
                             .out = st->out + (size_t)head * T * dh};
    return ATS_OK;
}

ats_status ats_run_cross_head_detail(const ats_run *run, int layer, int head, ats_head_detail *out,
                                     ats_error *err) {
    if (!run->cfg.cross_attention)
        return ats_fail(err, ATS_ERR_ARG, "this run has no cross-attention (not a decoder's)");
    const ats_layer_store *st = NULL;
    ats_status s = kept_layer(run, layer, &st, err);
    if (s != ATS_OK)
        return s;
    const ats_model_config *c = &run->cfg;
    if (head < 0 || head >= c->n_head)
        return ats_fail(err, ATS_ERR_ARG, "head %d is out of range (the model has %d)", head,
                        c->n_head);
    size_t T = (size_t)run->n_tokens, Te = (size_t)run->n_memory, dh = (size_t)c->d_head;
    *out = (ats_head_detail){.layer = layer,
                             .head = head,
                             .kv_head = head,
                             .n_tokens = (int)T,
                             .n_keys = (int)Te,
                             .d_head = (int)dh,
                             .q = st->cross_q + (size_t)head * T * dh,
                             .k = st->cross_k + (size_t)head * Te * dh,
                             .v = st->cross_v + (size_t)head * Te * dh};
    return ATS_OK;
}

ats_status ats_run_layer_detail(const ats_run *run, int layer, ats_layer_detail *out,
                                ats_error *err) {
    const ats_layer_store *st = NULL;
    ats_status s = kept_layer(run, layer, &st, err);
    if (s != ATS_OK)
        return s;
    *out = (ats_layer_detail){.layer = layer,
                              .n_tokens = run->n_tokens,
                              .d_model = run->cfg.d_model,
                              .d_concat = run->cfg.n_head * run->cfg.d_head,
                              .input = st->input,
                              .attn_in = st->attn_in,
                              .concat = st->concat,
                              .attn_out = st->attn_out};
    return ATS_OK;
}

ats_status ats_run_cross_layer_detail(const ats_run *run, int layer, ats_layer_detail *out,
                                      ats_error *err) {
    if (!run->cfg.cross_attention)
        return ats_fail(err, ATS_ERR_ARG, "this run has no cross-attention (not a decoder's)");
    const ats_layer_store *st = NULL;
    ats_status s = kept_layer(run, layer, &st, err);
    if (s != ATS_OK)
        return s;
    *out = (ats_layer_detail){.layer = layer,
                              .n_tokens = run->n_tokens,
                              .d_model = run->cfg.d_model,
                              .d_concat = run->cfg.n_head * run->cfg.d_head,
                              .input = run->memory,
                              .concat = st->cross_concat,
                              .attn_out = st->cross_out};
    return ATS_OK;
}
