/* What a head does, measured: previous-token and induction scores from attention matrices, the
 * probe that measures them on random repeated sequences, and the roles and captions they give. */
#include "base.h"
#include "model.h"

#include <stdio.h>
#include <stdlib.h>

float ats_score_previous_token(const float *attn, int T) {
    if (T < 2)
        return 0.0f;
    double sum = 0.0;
    for (int i = 1; i < T; i++)
        sum += attn[(size_t)i * T + (i - 1)];
    return (float)(sum / (T - 1));
}

float ats_score_induction(const float *attn, int T, int n) {
    if (n < 1 || T < 2 * n)
        return 0.0f;
    double sum = 0.0;
    for (int j = 0; j < n; j++) /* query n+j repeats token j; the token after it is j+1 */
        sum += attn[(size_t)(n + j) * T + (j + 1)];
    return (float)(sum / n);
}

ats_probe_opts ats_probe_opts_default(void) {
    return (ats_probe_opts){.seed = 1, .length = 0, .count = 8};
}

ats_head_role ats_head_role_of(float previous_token, float induction) {
    if (induction >= ATS_HEAD_ROLE_THRESHOLD && induction >= previous_token)
        return ATS_HEAD_ROLE_INDUCTION;
    if (previous_token >= ATS_HEAD_ROLE_THRESHOLD)
        return ATS_HEAD_ROLE_PREVIOUS_TOKEN;
    return ATS_HEAD_ROLE_NONE;
}

const char *ats_head_role_name(ats_head_role role) {
    switch (role) {
    case ATS_HEAD_ROLE_PREVIOUS_TOKEN:
        return "previous token";
    case ATS_HEAD_ROLE_INDUCTION:
        return "induction";
    case ATS_HEAD_ROLE_NONE:
        break;
    }
    return "none";
}

void ats_head_caption_from_scores(char *out, size_t size, float previous_token, float induction) {
    switch (ats_head_role_of(previous_token, induction)) {
    case ATS_HEAD_ROLE_INDUCTION:
        snprintf(out, size,
                 "induction head: a token looks at the token that followed its earlier copy, to "
                 "predict it comes again (induction score %.2f)",
                 (double)induction);
        break;
    case ATS_HEAD_ROLE_PREVIOUS_TOKEN:
        snprintf(out, size,
                 "previous-token head: each token looks at the token just before it "
                 "(previous-token score %.2f)",
                 (double)previous_token);
        break;
    case ATS_HEAD_ROLE_NONE:
        snprintf(out, size,
                 "no clear role on repeated random tokens (previous-token score %.2f, induction "
                 "%.2f)",
                 (double)previous_token, (double)induction);
        break;
    }
}

bool ats_model_head_scores(const ats_model *model, int layer, int head, float *previous_token,
                           float *induction) {
    const ats_model_config *c = &model->cfg;
    if (!model->head_scores || layer < 0 || layer >= c->n_layer || head < 0 || head >= c->n_head)
        return false;
    size_t LH = (size_t)c->n_layer * c->n_head, at = (size_t)layer * c->n_head + head;
    *previous_token = model->head_scores[at];
    *induction = model->head_scores[LH + at];
    return true;
}

/* ---- the probe ------------------------------------------------------------------------------ */

ats_status ats_head_scores_probe(const ats_model *model, const ats_probe_opts *opts,
                                 float *previous_token, float *induction, ats_error *err) {
    ats_error_clear(err);
    ats_probe_opts o = opts ? *opts : ats_probe_opts_default();
    const ats_model_config *c = &model->cfg;
    int n = o.length > 0 ? o.length : (c->context / 2 < 32 ? c->context / 2 : 32);
    int count = o.count > 0 ? o.count : 8;
    if (n < 2 || 2 * n > c->context)
        return ats_fail(err, ATS_ERR_ARG,
                        "%s: a probe of twice %d tokens does not fit the context of %d",
                        model->info.name, n, c->context);
    uint32_t vocab = c->vocab_size > 0 ? (uint32_t)c->vocab_size : 50000u;
    size_t LH = (size_t)c->n_layer * c->n_head, T = 2 * (size_t)n;
    double *sums = calloc(2 * LH, sizeof *sums);
    int32_t *ids = malloc(T * sizeof *ids);
    if (!sums || !ids) {
        free(sums);
        free(ids);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    ats_rng rng = {o.seed};
    ats_run_opts ro = ats_run_opts_default();
    ro.add_special = false;
    ats_status s = ATS_OK;
    for (int k = 0; k < count && s == ATS_OK; k++) {
        for (int i = 0; i < n; i++) /* (2n) ids: n random ones, then the same again */
            ids[i] = ids[n + i] = (int32_t)ats_rng_below(&rng, vocab);
        ats_run *run = NULL;
        s = ats_run_ids(model, ids, (int)T, &ro, &run, err);
        if (s != ATS_OK)
            break;
        for (size_t lh = 0; lh < LH && s == ATS_OK; lh++) {
            const float *attn; /* (T, T), computed now when a long probe keeps no whole heads */
            s = ats_run_attention_acquire(run, (int)(lh / c->n_head), (int)(lh % c->n_head), &attn,
                                          err);
            if (s != ATS_OK)
                break;
            sums[lh] += ats_score_previous_token(attn, (int)T);
            sums[LH + lh] += ats_score_induction(attn, (int)T, n);
            ats_run_attention_release(run, attn);
        }
        ats_run_free(run);
    }
    if (s == ATS_OK)
        for (size_t lh = 0; lh < LH; lh++) {
            previous_token[lh] = (float)(sums[lh] / count);
            induction[lh] = (float)(sums[LH + lh] / count);
        }
    free(sums);
    free(ids);
    return s;
}
