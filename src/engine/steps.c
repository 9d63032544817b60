/* The attention formula for one head and one query token, recomputed from the kept q, k, v so
 * that the teaching view can show (and switch) each step: scores, scaling, the soft-cap (Gemma
 * 2), the mask (causal, and a sliding window where the layer has one), softmax with a
 * temperature, and the weighted sum of values. With the defaults it reproduces the run's
 * attention row and head output. */
#include "base.h"
#include "ops.h"
#include "run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

ats_step_opts ats_step_opts_default(void) {
    return (ats_step_opts){.scale = true, .causal = -1, .temperature = 1.0f};
}

void ats_head_steps_free(ats_head_steps *steps) {
    if (!steps)
        return;
    free(steps->scores);
    free(steps->scaled);
    free(steps->bias);
    free(steps->capped);
    free(steps->masked);
    free(steps->weights);
    free(steps->output);
    free(steps);
}

ats_status ats_head_steps_compute(const ats_run *run, int layer, int head, int token,
                                  const ats_step_opts *opts, ats_head_steps **out, ats_error *err) {
    *out = NULL;
    ats_step_opts defaults = ats_step_opts_default();
    if (!opts)
        opts = &defaults;
    ats_head_detail d;
    ats_status s = ats_run_head_detail(run, layer, head, &d, err);
    if (s != ATS_OK)
        return s;
    int T = d.n_tokens, dh = d.d_head;
    if (token < 0 || token >= T)
        return ats_fail(err, ATS_ERR_ARG, "token %d is out of range (the text has %d tokens)",
                        token, T);
    if (!(opts->temperature > 0.0f) || !isfinite(opts->temperature))
        return ats_fail(err, ATS_ERR_ARG, "softmax temperature must be positive, got %g",
                        (double)opts->temperature);

    ats_head_steps *st = calloc(1, sizeof *st);
    if (!st)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    st->scores = malloc((size_t)T * sizeof(float));
    st->scaled = malloc((size_t)T * sizeof(float));
    st->masked = malloc((size_t)T * sizeof(bool));
    st->weights = malloc((size_t)T * sizeof(float));
    st->output = calloc((size_t)dh, sizeof(float));
    bool relative = run->cfg.positions == ATS_POS_RELATIVE_BUCKETS && run->rel_bias;
    st->bias = relative ? malloc((size_t)T * sizeof(float)) : NULL;
    bool capped = run->cfg.attn_softcap > 0.0f;
    st->capped = capped ? malloc((size_t)T * sizeof(float)) : NULL;
    if (!st->scores || !st->scaled || !st->masked || !st->weights || !st->output ||
        (relative && !st->bias) || (capped && !st->capped)) {
        ats_head_steps_free(st);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    st->layer = layer;
    st->head = head;
    st->kv_head = d.kv_head;
    st->token = token;
    st->n_tokens = T;
    st->d_head = dh;
    st->scale = opts->scale ? run->cfg.attn_scale : 1.0f;
    st->temperature = opts->temperature;
    st->causal = opts->causal < 0 ? run->cfg.causal : opts->causal == 1;
    st->softcap = run->cfg.attn_softcap;
    st->window = st->causal ? ats_config_layer_window(&run->cfg, layer) : 0;
    st->q = d.q + (size_t)token * dh;
    st->k = d.k;
    st->v = d.v;

    /* scores_j = q . k_j is the run's raw score row; scaled_j = scores_j * scale, plus T5's
     * bias of the distance j - token (buckets as the model's stack counts them); Gemma 2 caps
     * it: capped_j = softcap * tanh(scaled_j / softcap) */
    memcpy(st->scores, d.scores + (size_t)token * T, (size_t)T * sizeof(float));
    const ats_model_config *c = &run->cfg;
    for (int j = 0; j < T; j++) {
        st->scaled[j] = st->scores[j] * st->scale;
        if (st->bias) {
            int b = ats_relative_bucket(j - token, !c->causal, c->rel_buckets, c->rel_max_distance);
            st->bias[j] = run->rel_bias[(size_t)b * c->n_head + head];
            st->scaled[j] += st->bias[j];
        }
        if (st->capped)
            st->capped[j] = st->softcap * tanhf(st->scaled[j] / st->softcap);
        /* causal: no later key; a sliding window: no key W or more tokens back */
        st->masked[j] = (st->causal && j > token) || (st->window > 0 && j <= token - st->window);
    }

    /* weights = softmax(capped or scaled / temperature) over the visible keys [first, visible) */
    const float *logit = st->capped ? st->capped : st->scaled;
    int visible = st->causal ? token + 1 : T;
    int first = st->window > 0 && token - st->window + 1 > 0 ? token - st->window + 1 : 0;
    for (int j = 0; j < T; j++)
        st->weights[j] = j >= first && j < visible ? logit[j] / st->temperature : 0.0f;
    ats_softmax(st->weights + first, visible - first);

    /* output = sum_j weights_j v_j */
    for (int j = first; j < visible; j++)
        for (int i = 0; i < dh; i++)
            st->output[i] += st->weights[j] * st->v[(size_t)j * dh + i];
    *out = st;
    return ATS_OK;
}
