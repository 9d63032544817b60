/* The pipeline view's data from the run shown: the selected layer and head, the query token,
 * and the what-if switches of the side panel. The window and its export both draw from it. */
#include "app_internal.h"

int ats_app_pipeline_token(const ats_app *app) {
    int n = app->run ? ats_run_n_tokens(app->run) : 0;
    int locked = app->state.view.locked_token;
    return locked >= 0 && locked < n ? locked : n - 1; /* the last: what a model predicts from */
}

bool ats_app_run_has_detail(const ats_app *app, int layer) {
    ats_layer_detail ld;
    return app->run && ats_run_layer_detail(app->run, layer, &ld, NULL) == ATS_OK;
}

ats_status ats_app_pipeline_make(const ats_app *app, ats_run_pipeline *out, ats_error *err) {
    *out = (ats_run_pipeline){0};
    const ats_view_state *v = &app->state.view;
    if (!ats_app_run_has_detail(app, v->layer))
        return ats_fail(err, ATS_ERR_ARG, "computing the details of layer %d\xE2\x80\xA6",
                        v->layer);
    ats_step_opts opts = app->state.whatif;
    return ats_run_pipeline_make(out, ats_shared_model_get(app->run_model), app->run, v->layer,
                                 v->head, ats_app_pipeline_token(app), &opts, err);
}
