/* A run's tokens and attention, and one head's steps, as the plain arrays the render library
 * draws from (rundata.h). */
#include "attnscope/rundata.h"

#include <stdlib.h>

/* ats_view_data.head for runs without whole attention: acquired once per view. */
static const float *view_head(void *user, int layer, int head) {
    ats_run_view *v = user;
    int H = v->data.n_head;
    const float **slot = &v->heads[(size_t)layer * (size_t)H + (size_t)head];
    if (!*slot && ats_run_attention_acquire(v->run, layer, head, slot, NULL) != ATS_OK)
        *slot = NULL;
    return *slot;
}

ats_status ats_run_view_make(ats_run_view *v, const ats_model *model, const ats_run *run,
                             const char *text, ats_error *err) {
    *v = (ats_run_view){0};
    const ats_tokens *tokens = ats_run_get_tokens(run);
    const ats_model_config *c = ats_model_get_config(model);
    int T = ats_run_n_tokens(run);
    v->labels = malloc((size_t)T * sizeof *v->labels);
    v->special = malloc((size_t)T * sizeof *v->special);
    if (!v->labels || !v->special) {
        ats_run_view_free(v);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %d token labels", T);
    }
    for (int i = 0; i < T; i++) {
        const ats_token *t = ats_tokens_get(tokens, i);
        v->labels[i] = t->piece;
        v->special[i] = t->special;
    }
    v->data = (ats_view_data){
        .model_name = ats_model_get_info(model)->name,
        .text = text,
        .n_layer = c->n_layer,
        .n_head = c->n_head,
        .n_tokens = T,
        .tokens = v->labels,
        .special = v->special,
        .attention = ats_run_attentions(run),
        .causal = c->causal,
    };
    if (!v->data.attention) { /* heads one at a time */
        v->run = run;
        v->heads = calloc((size_t)c->n_layer * (size_t)c->n_head, sizeof *v->heads);
        if (!v->heads) {
            ats_run_view_free(v);
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %d heads", c->n_head);
        }
        v->data.head = view_head;
        v->data.head_user = v;
        v->data.pooled = ats_run_attention_pooled(run, &v->data.pooled_n, &v->data.pooled_block);
    }
    return ATS_OK;
}

void ats_run_view_free(ats_run_view *v) {
    free(v->labels);
    free(v->special);
    for (int i = 0; v->heads && i < v->data.n_layer * v->data.n_head; i++)
        ats_run_attention_release(v->run, v->heads[i]);
    free(v->heads);
    *v = (ats_run_view){0};
}

ats_status ats_run_pipeline_make(ats_run_pipeline *p, const ats_model *model, const ats_run *run,
                                 int layer, int head, int token, const ats_step_opts *opts,
                                 ats_error *err) {
    *p = (ats_run_pipeline){0};
    ats_layer_detail ld;
    ats_status s = ats_run_layer_detail(run, layer, &ld, err);
    if (s == ATS_OK)
        s = ats_head_steps_compute(run, layer, head, token, opts, &p->steps, err);
    if (s != ATS_OK)
        return s;
    const ats_model_config *c = ats_model_get_config(model);
    const ats_head_steps *st = p->steps;
    p->data = (ats_pipeline_data){
        .layer = layer,
        .head = head,
        .kv_head = st->kv_head,
        .token = token,
        .n_head = c->n_head,
        .d_head = st->d_head,
        .d_model = ld.d_model,
        .caption = ats_model_head_caption(model, layer, head),
        .scaling = opts ? opts->scale : true,
        .scale = st->scale,
        .causal = st->causal,
        .temperature = st->temperature,
        .pre_norm = c->pre_norm,
        .input = ld.input,                                     /* (T, d_model) */
        .q = st->q,                                            /* (d_head) */
        .k = st->k,                                            /* (T, d_head) */
        .v = st->v,                                            /* (T, d_head) */
        .scores = st->scores,                                  /* (T) */
        .scaled = st->scaled,                                  /* (T) */
        .masked = st->masked,                                  /* (T) */
        .weights = st->weights,                                /* (T) */
        .output = st->output,                                  /* (d_head) */
        .concat = ld.concat + (size_t)token * ld.d_concat,     /* (n_head * d_head) */
        .projected = ld.attn_out + (size_t)token * ld.d_model, /* (d_model) */
    };
    return ATS_OK;
}

void ats_run_pipeline_free(ats_run_pipeline *p) {
    ats_head_steps_free(p->steps);
    *p = (ats_run_pipeline){0};
}

ats_dump_selection ats_dump_selection_all(const ats_model_config *c) {
    return (ats_dump_selection){0, c->n_layer, 0, c->n_head};
}
