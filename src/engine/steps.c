/* The attention formula for one head and one query token, recomputed from the kept q, k, v so
 * that the teaching view can show (and switch) each step: scores, scaling, the soft-cap (Gemma
 * 2), the mask (causal, and a sliding window where the layer has one), softmax with a
 * temperature, and the weighted sum of values. With the defaults it reproduces the run's
 * attention row and head output. A decoder's cross-attention (T5) has its own entry: the
 * decoder token's query against the encoder's keys, with no mask and no bias. */
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

/* The arrays of T keys and a d_head output (bias and capped only when asked), or NULL. */
static ats_head_steps *steps_new(int T, int dh, bool bias, bool capped) {
    ats_head_steps *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->scores = malloc((size_t)T * sizeof(float));
    st->scaled = malloc((size_t)T * sizeof(float));
    st->masked = malloc((size_t)T * sizeof(bool));
    st->weights = malloc((size_t)T * sizeof(float));
    st->output = calloc((size_t)dh, sizeof(float));
    st->bias = bias ? malloc((size_t)T * sizeof(float)) : NULL;
    st->capped = capped ? malloc((size_t)T * sizeof(float)) : NULL;
    if (!st->scores || !st->scaled || !st->masked || !st->weights || !st->output ||
        (bias && !st->bias) || (capped && !st->capped)) {
        ats_head_steps_free(st);
        return NULL;
    }
    return st;
}

/* weights = softmax(logit / temperature) over the visible keys [first, visible), 0 elsewhere;
 * output (d_head) = sum_j weights_j v_j. */
static void softmax_and_sum(ats_head_steps *st, const float *logit, int first, int visible) {
    int dh = st->d_head;
    for (int j = 0; j < st->n_tokens; j++)
        st->weights[j] = j >= first && j < visible ? logit[j] / st->temperature : 0.0f;
    ats_softmax(st->weights + first, visible - first);
    for (int j = first; j < visible; j++)
        for (int i = 0; i < dh; i++)
            st->output[i] += st->weights[j] * st->v[(size_t)j * dh + i];
}

/* The checks and common fields of both entries: token in range, a positive temperature, the
 * arrays for detail d's n_keys keys (bias and capped when asked), query row `token`. */
static ats_status steps_begin(const ats_run *run, const ats_head_detail *d, int token,
                              const ats_step_opts *opts, bool bias, bool capped,
                              ats_head_steps **out, ats_error *err) {
    *out = NULL;
    if (token < 0 || token >= d->n_tokens) /* a decoder's queries are its own text's tokens */
        return ats_fail(err, ATS_ERR_ARG, "token %d is out of range (the %s has %d tokens)", token,
                        run->cfg.cross_attention ? "decoder's text" : "text", d->n_tokens);
    if (!(opts->temperature > 0.0f) || !isfinite(opts->temperature))
        return ats_fail(err, ATS_ERR_ARG, "softmax temperature must be positive, got %g",
                        (double)opts->temperature);
    ats_head_steps *st = steps_new(d->n_keys, d->d_head, bias, capped);
    if (!st)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    st->layer = d->layer;
    st->head = d->head;
    st->kv_head = d->kv_head;
    st->token = token;
    st->n_tokens = d->n_keys;
    st->d_head = d->d_head;
    st->scale = opts->scale ? run->cfg.attn_scale : 1.0f;
    st->temperature = opts->temperature;
    st->q = d->q + (size_t)token * d->d_head;
    st->k = d->k;
    st->v = d->v;
    *out = st;
    return ATS_OK;
}

ats_status ats_head_steps_compute(const ats_run *run, int layer, int head, int token,
                                  const ats_step_opts *opts, ats_head_steps **out, ats_error *err) {
    *out = NULL;
    ats_step_opts defaults = ats_step_opts_default();
    if (!opts)
        opts = &defaults;
    ats_head_detail d;
    ats_status s = ats_run_head_detail(run, layer, head, &d, err);
    bool relative = run->cfg.positions == ATS_POS_RELATIVE_BUCKETS && run->rel_bias;
    ats_head_steps *st;
    if (s == ATS_OK)
        s = steps_begin(run, &d, token, opts, relative, run->cfg.attn_softcap > 0.0f, &st, err);
    if (s != ATS_OK)
        return s;
    int T = d.n_tokens;
    st->causal = opts->causal < 0 ? run->cfg.causal : opts->causal == 1;
    st->softcap = run->cfg.attn_softcap;
    st->window = st->causal ? ats_config_layer_window(&run->cfg, layer) : 0;

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

    /* weights = softmax((capped or scaled) / temperature) over the visible keys */
    const float *logit = st->capped ? st->capped : st->scaled;
    int visible = st->causal ? token + 1 : T;
    int first = st->window > 0 && token - st->window + 1 > 0 ? token - st->window + 1 : 0;
    softmax_and_sum(st, logit, first, visible);
    *out = st;
    return ATS_OK;
}

ats_status ats_cross_steps_compute(const ats_run *run, int layer, int head, int token,
                                   const ats_step_opts *opts, ats_head_steps **out,
                                   ats_error *err) {
    *out = NULL;
    ats_step_opts defaults = ats_step_opts_default();
    if (!opts)
        opts = &defaults;
    ats_head_detail d;
    ats_status s = ats_run_cross_head_detail(run, layer, head, &d, err);
    ats_head_steps *st;
    if (s == ATS_OK)
        s = steps_begin(run, &d, token, opts, false, false, &st, err);
    if (s != ATS_OK)
        return s;
    int Te = d.n_keys, dh = d.d_head;
    st->cross = true;
    /* scores_j = q . k_j over the encoder's tokens; no bias, no mask: the decoder token sees
     * the whole source */
    for (int j = 0; j < Te; j++) {
        double dot = 0.0;
        for (int i = 0; i < dh; i++)
            dot += (double)st->q[i] * st->k[(size_t)j * dh + i];
        st->scores[j] = (float)dot;
        st->scaled[j] = st->scores[j] * st->scale;
        st->masked[j] = false;
    }
    softmax_and_sum(st, st->scaled, 0, Te);
    *out = st;
    return ATS_OK;
}
