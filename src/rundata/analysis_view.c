/* Analysis numbers as the views draw them (rundata.h): the aggregate view's matrix and the
 * attention each token receives, and value-weighted attention for the heatmap, lines and grid. */
#include "attnscope/rundata.h"

#include <stdlib.h>
#include <string.h>

/* out (T, T) = the mean over every layer of the layers' head means */
static ats_status all_layers_mean(const ats_run *run, float *out, ats_error *err) {
    int L = ats_run_get_config(run)->n_layer, T = ats_run_n_tokens(run);
    size_t TT = (size_t)T * (size_t)T;
    float *layer = malloc(TT * sizeof *layer); /* (T, T) */
    double *sum = calloc(TT, sizeof *sum);     /* (T, T) */
    ats_status st = layer && sum ? ATS_OK : ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    for (int l = 0; l < L && st == ATS_OK; l++) {
        st = ats_run_head_mean_max(run, l, layer, NULL, err);
        for (size_t k = 0; st == ATS_OK && k < TT; k++)
            sum[k] += layer[k];
    }
    for (size_t k = 0; st == ATS_OK && k < TT; k++)
        out[k] = (float)(sum[k] / L);
    free(layer);
    free(sum);
    return st;
}

ats_status ats_run_aggregate_make(const ats_run *run, ats_aggregate which, int layer,
                                  const float *rollout, float *out, float *received,
                                  ats_error *err) {
    const ats_model_config *c = ats_run_get_config(run);
    int T = ats_run_n_tokens(run);
    size_t TT = (size_t)T * (size_t)T;
    if (layer < 0 || layer >= c->n_layer)
        return ats_fail(err, ATS_ERR_ARG, "layer %d is out of range (the model has %d)", layer,
                        c->n_layer);
    ats_status st;
    switch (which) {
    case ATS_AGGREGATE_MAX:
        st = ats_run_head_mean_max(run, layer, NULL, out, err);
        break;
    case ATS_AGGREGATE_ALL:
        st = all_layers_mean(run, out, err);
        break;
    case ATS_AGGREGATE_ROLLOUT:
        if (!rollout)
            return ats_fail(err, ATS_ERR_ARG, "the rollout has not been computed");
        memcpy(out, rollout + (size_t)layer * TT, TT * sizeof *out);
        st = ATS_OK;
        break;
    default:
        st = ats_run_head_mean_max(run, layer, out, NULL, err);
        break;
    }
    if (st == ATS_OK && received)
        ats_attention_received(out, T, T, received);
    return st;
}

ats_status ats_run_value_weighted_all(const ats_run *run, const float *norms, bool per_layer_unit,
                                      float *out, ats_error *err) {
    const ats_model_config *c = ats_run_get_config(run);
    int T = ats_run_n_tokens(run), H = c->n_head;
    size_t TT = (size_t)T * (size_t)T;
    for (int l = 0; l < c->n_layer; l++) {
        float *layer = out + (size_t)l * H * TT; /* (H, T, T) */
        for (int h = 0; h < H; h++) {
            const float *a;
            ats_status st = ats_run_attention_acquire(run, l, h, &a, err);
            if (st != ATS_OK)
                return st;
            ats_value_weighted(a, norms + ((size_t)l * H + h) * T, T, T, layer + (size_t)h * TT);
            ats_run_attention_release(run, a);
        }
        float mx = 0;
        for (size_t k = 0; per_layer_unit && k < (size_t)H * TT; k++)
            mx = layer[k] > mx ? layer[k] : mx;
        for (size_t k = 0; per_layer_unit && mx > 0 && k < (size_t)H * TT; k++)
            layer[k] /= mx;
    }
    return ATS_OK;
}
