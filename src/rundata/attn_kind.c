/* The three kinds of attention of an encoder-decoder run, reached by kind, and as view data. */
#include "attnscope/rundata.h"

#include <stdlib.h>
#include <strings.h>

static const char *const KIND_NAMES[ATS_ATTN_COUNT] = {"encoder", "decoder", "cross"};

const char *ats_attn_kind_name(ats_attn_kind kind) {
    return (unsigned)kind < ATS_ATTN_COUNT ? KIND_NAMES[kind] : "unknown";
}

bool ats_attn_kind_from_name(const char *name, ats_attn_kind *out) {
    for (int i = 0; name && i < ATS_ATTN_COUNT; i++)
        if (strcasecmp(name, KIND_NAMES[i]) == 0) {
            *out = (ats_attn_kind)i;
            return true;
        }
    return false;
}

const ats_run *ats_run_of_kind(const ats_run *run, ats_attn_kind kind) {
    const ats_run *encoder = ats_run_encoder(run);
    switch (kind) {
    case ATS_ATTN_ENCODER:
        return encoder ? encoder : run;
    case ATS_ATTN_DECODER:
    case ATS_ATTN_CROSS:
        return encoder ? run : NULL;
    case ATS_ATTN_COUNT:
        break;
    }
    return NULL;
}

bool ats_run_has_kind(const ats_run *run, ats_attn_kind kind) {
    return ats_run_of_kind(run, kind) != NULL;
}

const float *ats_run_kind_attention(const ats_run *run, ats_attn_kind kind, int layer, int head,
                                    int *rows, int *cols) {
    const ats_run *r = ats_run_of_kind(run, kind);
    if (!r)
        return NULL;
    *rows = ats_run_n_tokens(r);
    if (kind != ATS_ATTN_CROSS) {
        *cols = *rows;
        return ats_run_attention(r, layer, head);
    }
    *cols = ats_run_n_tokens(ats_run_encoder(run));
    return ats_run_cross_attention(r, layer, head);
}

ats_status ats_run_kind_acquire(const ats_run *run, ats_attn_kind kind, int layer, int head,
                                const float **out, int *rows, int *cols, ats_error *err) {
    *out = NULL;
    const ats_run *r = ats_run_of_kind(run, kind);
    if (!r)
        return ats_fail(err, ATS_ERR_ARG, "the run has no %s attention (it is not a T5 run)",
                        ats_attn_kind_name(kind));
    *rows = ats_run_n_tokens(r);
    if (kind != ATS_ATTN_CROSS) {
        *cols = *rows;
        return ats_run_attention_acquire(r, layer, head, out, err);
    }
    *cols = ats_run_n_tokens(ats_run_encoder(run));
    *out = ats_run_cross_attention(r, layer, head);
    return *out ? ATS_OK
                : ats_fail(err, ATS_ERR_ARG, "cross-attention layer %d head %d is out of range",
                           layer, head);
}

void ats_run_kind_release(const ats_run *run, ats_attn_kind kind, const float *attention) {
    if (kind != ATS_ATTN_CROSS && attention)
        ats_run_attention_release(ats_run_of_kind(run, kind), attention);
}

/* Labels and special flags of a token list (borrowed pieces). */
static ats_status labels_of(const ats_tokens *tokens, const char ***labels, bool **special,
                            ats_error *err) {
    int T = ats_tokens_count(tokens);
    *labels = malloc((size_t)(T ? T : 1) * sizeof **labels);
    *special = malloc((size_t)(T ? T : 1) * sizeof **special);
    if (!*labels || !*special)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %d token labels", T);
    for (int i = 0; i < T; i++) {
        const ats_token *t = ats_tokens_get(tokens, i);
        (*labels)[i] = t->piece;
        (*special)[i] = t->special;
    }
    return ATS_OK;
}

/* ats_view_data.head for runs without whole attention: acquired once per view; computed now,
 * or when the view is asynchronous taken only when already computed, else left to the fetcher
 * (once per view: the views ask for a head many times per build). */
static const float *view_head(void *user, int layer, int head) {
    ats_run_view *v = user;
    size_t i = (size_t)layer * (size_t)v->data.n_head + (size_t)head;
    const float **slot = &v->heads[i];
    if (*slot || (v->asked && v->asked[i]))
        return *slot;
    if (!v->asked) {
        if (ats_run_attention_acquire(v->run, layer, head, slot, NULL) != ATS_OK)
            *slot = NULL;
        return *slot;
    }
    if (ats_run_attention_try_acquire(v->run, layer, head, slot))
        return *slot;
    v->asked[i] = true;
    if (ats_head_fetcher_request(v->fetcher, v->run, layer, head) && v->n_pending++ == 0) {
        v->pending_layer = layer;
        v->pending_head = head;
    }
    return NULL;
}

void ats_run_view_set_fetcher(ats_run_view *v, ats_head_fetcher *fetcher) {
    if (!v->heads || !fetcher || v->asked)
        return; /* whole attention: nothing to compute */
    size_t n = (size_t)v->data.n_layer * (size_t)v->data.n_head;
    if (!(v->asked = calloc(n, sizeof *v->asked)))
        return; /* out of memory: the heads are computed during the build, as without a fetcher */
    v->fetcher = fetcher;
}

/* Points v->data at heads asked one at a time from `run` (which keeps no whole attention) and
 * at its pooled overview. */
static ats_status view_heads_on_demand(ats_run_view *v, const ats_run *run, ats_error *err) {
    const ats_model_config *c = ats_run_get_config(run);
    v->run = run;
    v->heads = calloc((size_t)c->n_layer * (size_t)c->n_head, sizeof *v->heads);
    if (!v->heads)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %d heads", c->n_head);
    v->data.attention = NULL;
    v->data.head = view_head;
    v->data.head_user = v;
    v->data.pooled = ats_run_attention_pooled(run, &v->data.pooled_n, &v->data.pooled_block);
    return ATS_OK;
}

/* Grid badges from the head scores a model carries (checkpoints of attnscope train): each head's
 * role, NULL for none. */
static ats_status role_badges(ats_run_view *v, const ats_model *model, const ats_model_config *c,
                              ats_error *err) {
    float prev, induction;
    if (!ats_model_head_scores(model, 0, 0, &prev, &induction))
        return ATS_OK;
    int LH = c->n_layer * c->n_head;
    if (!(v->badges = calloc((size_t)LH, sizeof *v->badges)))
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    for (int i = 0; i < LH; i++) {
        ats_model_head_scores(model, i / c->n_head, i % c->n_head, &prev, &induction);
        ats_head_role role = ats_head_role_of(prev, induction);
        v->badges[i] = role == ATS_HEAD_ROLE_NONE ? NULL : ats_head_role_name(role);
    }
    v->data.head_badges = v->badges;
    return ATS_OK;
}

/* Each layer's sliding window, for the views' masks. */
static ats_status layer_windows(ats_run_view *v, const ats_model_config *c, ats_error *err) {
    v->windows = malloc((size_t)c->n_layer * sizeof *v->windows);
    if (!v->windows)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    for (int l = 0; l < c->n_layer; l++)
        v->windows[l] = ats_config_layer_window(c, l);
    v->data.windows = v->windows;
    return ATS_OK;
}

ats_status ats_run_view_make_kind(ats_run_view *v, const ats_model *model, const ats_run *run,
                                  ats_attn_kind kind, const char *text, ats_error *err) {
    *v = (ats_run_view){0};
    const ats_run *r = ats_run_of_kind(run, kind);
    if (!r)
        return ats_fail(err, ATS_ERR_ARG, "the run has no %s attention (it is not a T5 run)",
                        ats_attn_kind_name(kind));
    const ats_model_config *c = ats_run_get_config(r);
    ats_status s = labels_of(ats_run_get_tokens(r), &v->labels, &v->special, err);
    if (s == ATS_OK && kind == ATS_ATTN_CROSS)
        s = labels_of(ats_run_get_tokens(ats_run_encoder(run)), &v->key_labels, &v->key_special,
                      err);
    if (s != ATS_OK) {
        ats_run_view_free(v);
        return s;
    }
    if (ats_run_n_ablated(r) > 0) { /* marked in the views and named in their titles */
        size_t n = (size_t)c->n_layer * (size_t)c->n_head;
        if (!(v->ablated = malloc(n * sizeof *v->ablated))) {
            ats_run_view_free(v);
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++)
            v->ablated[i] =
                ats_run_head_ablated(r, (int)(i / (size_t)c->n_head), (int)(i % (size_t)c->n_head));
    }
    v->data = (ats_view_data){
        .model_name = ats_model_get_info(model)->name,
        .text = text,
        .n_layer = c->n_layer,
        .n_head = c->n_head,
        .n_tokens = ats_run_n_tokens(r),
        .tokens = v->labels,
        .special = v->special,
        .attention = kind == ATS_ATTN_CROSS ? ats_run_cross_attentions(r) : ats_run_attentions(r),
        .causal = kind != ATS_ATTN_CROSS && c->causal,
        .ablated = v->ablated,
    };
    if (!v->data.attention && (s = view_heads_on_demand(v, r, err)) != ATS_OK) {
        ats_run_view_free(v); /* a long text: its heads are computed when a view asks */
        return s;
    }
    if (kind == ATS_ATTN_CROSS) {
        v->data.n_keys = ats_run_n_tokens(ats_run_encoder(run));
        v->data.key_tokens = v->key_labels;
        v->data.key_special = v->key_special;
    }
    if (kind != ATS_ATTN_CROSS && c->sliding_window > 0 && (s = layer_windows(v, c, err)) != ATS_OK)
        ats_run_view_free(v);
    else if (kind == ATS_ATTN_ENCODER && (s = role_badges(v, model, c, err)) != ATS_OK)
        ats_run_view_free(v);
    return s;
}
