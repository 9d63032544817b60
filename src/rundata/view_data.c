/* A run's tokens and attention, and one head's steps, as the plain arrays the render library
 * draws from (rundata.h). */
#include "attnscope/rundata.h"

#include <stdlib.h>

ats_status ats_run_view_make(ats_run_view *v, const ats_model *model, const ats_run *run,
                             const char *text, ats_error *err) {
    return ats_run_view_make_kind(v, model, run, ATS_ATTN_ENCODER, text, err);
}

void ats_run_view_free(ats_run_view *v) {
    free(v->labels);
    free(v->special);
    free(v->badges);
    free(v->key_labels);
    free(v->key_special);
    free(v->ablated);
    free(v->windows);
    for (int i = 0; v->heads && i < v->data.n_layer * v->data.n_head; i++)
        ats_run_attention_release(v->run, v->heads[i]);
    free(v->heads);
    free(v->asked);
    *v = (ats_run_view){0};
}

/* What the pipeline view says of a T5 head, whose step 4 adds a bias instead of scaling. */
static const char T5_CAPTION[] =
    "T5 adds a learned bias for the distance from query to key, and does not divide q \xC2\xB7 k "
    "by \xE2\x88\x9A"
    "d_k: that factor is folded into the initialization of its query weights";

/* ... and of a decoder's cross-attention (the view's one-line note on K and V). */
static const char CROSS_CAPTION[] =
    "K and V come from the encoder's output, q from the decoder token; no position bias, no mask";

/* The pipeline of `run` itself: its self-attention, or (cross) its cross-attention. */
static ats_status pipeline_make(ats_run_pipeline *p, const ats_model *model, const ats_run *run,
                                bool cross, int layer, int head, int token,
                                const ats_step_opts *opts, ats_error *err) {
    *p = (ats_run_pipeline){0};
    ats_layer_detail ld;
    ats_status s = cross ? ats_run_cross_layer_detail(run, layer, &ld, err)
                         : ats_run_layer_detail(run, layer, &ld, err);
    if (s == ATS_OK)
        s = cross ? ats_cross_steps_compute(run, layer, head, token, opts, &p->steps, err)
                  : ats_head_steps_compute(run, layer, head, token, opts, &p->steps, err);
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
        .caption = cross      ? CROSS_CAPTION
                   : st->bias ? T5_CAPTION
                              : ats_model_head_caption(model, layer, head),
        .cross = cross,
        .scaling = opts ? opts->scale : true,
        .scale = st->scale,
        .causal = st->causal,
        .temperature = st->temperature,
        .pre_norm = c->pre_norm,
        .input = ld.input,    /* (T, d_model); cross: the encoder's output (Te, d_model) */
        .q = st->q,           /* (d_head) */
        .k = st->k,           /* (T, d_head) */
        .v = st->v,           /* (T, d_head) */
        .scores = st->scores, /* (T) */
        .bias = st->bias,     /* (T) or NULL */
        .scaled = st->scaled, /* (T) */
        .softcap = st->softcap,
        .capped = st->capped, /* (T) or NULL */
        .window = st->window,
        .masked = st->masked,                                  /* (T) */
        .weights = st->weights,                                /* (T) */
        .output = st->output,                                  /* (d_head) */
        .concat = ld.concat + (size_t)token * ld.d_concat,     /* (n_head * d_head) */
        .projected = ld.attn_out + (size_t)token * ld.d_model, /* (d_model) */
    };
    return ATS_OK;
}

ats_status ats_run_pipeline_make(ats_run_pipeline *p, const ats_model *model, const ats_run *run,
                                 int layer, int head, int token, const ats_step_opts *opts,
                                 ats_error *err) {
    return pipeline_make(p, model, run, false, layer, head, token, opts, err);
}

ats_status ats_run_pipeline_make_kind(ats_run_pipeline *p, const ats_model *model,
                                      const ats_run *run, ats_attn_kind kind, int layer, int head,
                                      int token, const ats_step_opts *opts, ats_error *err) {
    *p = (ats_run_pipeline){0};
    const ats_run *r = ats_run_of_kind(run, kind);
    if (!r)
        return ats_fail(err, ATS_ERR_ARG, "the run has no %s attention (it is not a T5 run)",
                        ats_attn_kind_name(kind));
    return pipeline_make(p, model, r, kind == ATS_ATTN_CROSS, layer, head, token, opts, err);
}

void ats_run_pipeline_free(ats_run_pipeline *p) {
    ats_head_steps_free(p->steps);
    *p = (ats_run_pipeline){0};
}

ats_dump_selection ats_dump_selection_all(const ats_model_config *c) {
    return (ats_dump_selection){0, c->n_layer, 0, c->n_head};
}
