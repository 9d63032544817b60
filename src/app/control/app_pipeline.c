/* The pipeline view's data from the run shown: the selected layer and head, the query token,
 * and the what-if switches of the side panel. The window and its export both draw from it. */
#include "app_internal.h"

const ats_run *ats_app_view_run(const ats_app *app) {
    if (!app->run || !app->state.seq2seq)
        return app->run;
    return ats_run_of_kind(app->run, app->state.attn_kind);
}

ats_status ats_app_view_data(const ats_app *app, ats_run_view *vd, char *title, size_t n) {
    const ats_app_state *s = &app->state;
    ats_attn_kind kind = s->seq2seq ? s->attn_kind : ATS_ATTN_ENCODER;
    ats_status st = ats_run_view_make_kind(vd, ats_shared_model_get(app->run_model), app->run, kind,
                                           app->run_text, NULL);
    /* the model as the panel names it ("run · step 400" for a training checkpoint) */
    if (st == ATS_OK)
        vd->data.model_name = s->model_name;
    if (st == ATS_OK && s->seq2seq) { /* which of the three attentions, in titles and exports */
        snprintf(title, n, "%s \xC2\xB7 %s", s->model_name, ats_app_kind_title(kind));
        vd->data.model_name = title;
    } else if (st == ATS_OK && s->analysis.compare) {
        snprintf(title, n, "%s \xC2\xB7 A", vd->data.model_name);
        vd->data.model_name = title;
    }
    if (st == ATS_OK) /* value-weighted attention, aggregate, head numbers */
        ats_app_analysis_view(app, 0, vd);
    return st;
}

ats_status ats_app_compare_view_data(const ats_app *app, ats_run_view *vd, char *title, size_t n) {
    const ats_run *b = app->extras && app->state.analysis.compare ? app->extras->compare : NULL;
    if (!b)
        return ATS_ERR_ARG;
    const ats_shared_model *bm =
        app->extras->compare_model ? app->extras->compare_model : app->run_model;
    ats_status st =
        ats_run_view_make(vd, ats_shared_model_get(bm), b, app->extras->compare_text, NULL);
    if (st == ATS_OK) {
        snprintf(title, n, "%s \xC2\xB7 B", vd->data.model_name);
        vd->data.model_name = title;
        ats_app_analysis_view(app, 1, vd);
    }
    return st;
}

int ats_app_pipeline_token(const ats_app *app) {
    const ats_run *run = ats_app_view_run(app);
    int n = run ? ats_run_n_tokens(run) : 0;
    int locked = app->state.view.locked_token;
    /* cross-attention's keys are the encoder's tokens: a key locked there is no decoder query */
    if (app->state.seq2seq && app->state.attn_kind == ATS_ATTN_CROSS &&
        app->state.view.locked_side == ATS_SIDE_KEY)
        locked = -1;
    return locked >= 0 && locked < n ? locked : n - 1; /* the last: what a model predicts from */
}

bool ats_app_run_has_detail(const ats_app *app, int layer) {
    ats_layer_detail ld;
    const ats_run *run = ats_app_view_run(app);
    return run && ats_run_layer_detail(run, layer, &ld, NULL) == ATS_OK;
}

ats_status ats_app_pipeline_make(const ats_app *app, ats_run_pipeline *out, ats_error *err) {
    *out = (ats_run_pipeline){0};
    const ats_view_state *v = &app->state.view;
    if (!ats_app_run_has_detail(app, v->layer))
        return ats_fail(err, ATS_ERR_ARG, "computing the details of layer %d\xE2\x80\xA6",
                        v->layer);
    ats_step_opts opts = app->state.whatif;
    const ats_model *model = ats_shared_model_get(app->run_model);
    if (app->state.seq2seq) /* T5: the stack's self-attention, or the decoder's cross */
        return ats_run_pipeline_make_kind(out, model, app->run, app->state.attn_kind, v->layer,
                                          v->head, ats_app_pipeline_token(app), &opts, err);
    return ats_run_pipeline_make(out, model, ats_app_view_run(app), v->layer, v->head,
                                 ats_app_pipeline_token(app), &opts, err);
}
