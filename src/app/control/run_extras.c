/* The analysis the window shows beside a run (run_extras.h), on the worker thread. */
#include "run_extras.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ats_run_extras_free(ats_run_extras *x) {
    if (!x)
        return;
    free(x->metrics);
    free(x->value_norms);
    free(x->rollout);
    ats_tokens_free(x->top_tokens);
    ats_tokens_free(x->masked_tokens);
    ats_run_free(x->compare);
    ats_shared_model_free(x->compare_model);
    free(x->compare_text);
    free(x->compare_norms);
    free(x->compare_rollout);
    free(x);
}

static ats_head_metrics *metrics_of(const ats_run *run) {
    const ats_model_config *c = ats_run_get_config(run);
    ats_head_metrics *m = malloc((size_t)c->n_layer * c->n_head * sizeof *m);
    if (m && ats_run_head_metrics(run, m, NULL) != ATS_OK) {
        free(m);
        m = NULL;
    }
    return m;
}

static float *norms_of(const ats_model *model, const ats_run *run) {
    const ats_model_config *c = ats_run_get_config(run);
    float *n = malloc((size_t)c->n_layer * c->n_head * ats_run_n_tokens(run) * sizeof *n);
    if (n && ats_run_value_norms(model, run, n, NULL) != ATS_OK) {
        free(n);
        n = NULL;
    }
    return n;
}

/* (L, T, T) rollout of the run, or NULL */
static float *rollout_of(const ats_run *run) {
    const ats_model_config *c = ats_run_get_config(run);
    size_t T = (size_t)ats_run_n_tokens(run);
    float *r = malloc((size_t)c->n_layer * T * T * sizeof *r);
    if (r && ats_run_rollout(run, r, NULL) != ATS_OK) {
        free(r);
        r = NULL;
    }
    return r;
}

/* The masked-LM head at the text's mask tokens (the head runs on those rows only). */
static void predict_masked(const ats_model *model, const ats_run *run, ats_run_extras *x) {
    int vocab = ats_run_get_config(run)->vocab_size;
    int n = ats_run_mask_positions(model, run, x->masked_at, ATS_MASKS_SHOWN);
    x->n_masked_all = n;
    n = n < ATS_MASKS_SHOWN ? n : ATS_MASKS_SHOWN;
    if (n == 0)
        return;
    float *logits = malloc((size_t)n * vocab * sizeof *logits); /* (n, vocab) */
    int k = ATS_TOP_K_SHOWN < vocab ? ATS_TOP_K_SHOWN : vocab;
    int32_t ids[ATS_MASKS_SHOWN * ATS_TOP_K_SHOWN];
    if (logits && ats_run_mlm_logits(model, run, x->masked_at, n, logits, NULL) == ATS_OK) {
        for (int m = 0; m < n; m++) {
            ats_top_k(logits + (size_t)m * vocab, vocab, k, x->masked_top[m]);
            for (int i = 0; i < k; i++)
                ids[m * k + i] = x->masked_top[m][i].id;
        }
        if (ats_tokens_of_ids(model, ids, n * k, &x->masked_tokens, NULL) == ATS_OK) {
            x->n_masked = n;
            x->masked_k = k;
        }
    }
    free(logits);
}

static void predict(const ats_model *model, const ats_run *run, ats_run_extras *x) {
    const float *logits = ats_run_logits_last(run);
    if (!logits && ats_model_has_mlm_head(model) && ats_run_hidden(run))
        predict_masked(model, run, x);
    if (!logits)
        return;
    int n = ats_top_k(logits, ats_run_get_config(run)->vocab_size, ATS_TOP_K_SHOWN, x->top);
    int32_t ids[ATS_TOP_K_SHOWN];
    for (int i = 0; i < n; i++)
        ids[i] = x->top[i].id;
    if (ats_tokens_of_ids(model, ids, n, &x->top_tokens, NULL) == ATS_OK)
        x->n_top = n;
}

void ats_run_extras_compute(const ats_model *model, const ats_run *run, const ats_run_opts *opts,
                            const ats_extras_request *req, ats_run_extras *x) {
    *x = (ats_run_extras){0};
    if (req->metrics)
        x->metrics = metrics_of(run);
    if (ats_run_encoder(run))
        return; /* T5: the rest is for one-stack models */
    predict(model, run, x);
    if (req->value_norms)
        x->value_norms = norms_of(model, run);
    if (req->rollout)
        x->rollout = rollout_of(run);
    if (req->compare) {
        const ats_model *bm = req->compare_model ? ats_shared_model_get(req->compare_model) : model;
        ats_run_opts o = *opts;
        o.reuse = NULL;
        o.keep_cache = req->value_norms || o.keep_cache;
        o.want_logits = o.want_logits && ats_model_has_lm_head(bm);
        o.want_hidden = o.want_hidden && ats_model_has_mlm_head(bm);
        o.n_ablate = bm == model ? o.n_ablate : 0; /* another model: its own heads */
        x->compare_model = ats_shared_model_retain(req->compare_model);
        ats_error err;
        if (ats_run_text(bm, req->compare, req->compare_len, &o, &x->compare, &err) != ATS_OK)
            snprintf(x->compare_error, sizeof x->compare_error, "%s", err.message);
        if (x->compare && (x->compare_text = malloc(req->compare_len + 1))) {
            memcpy(x->compare_text, req->compare, req->compare_len);
            x->compare_text[req->compare_len] = '\0';
            x->compare_len = req->compare_len;
        }
        if (x->compare && req->value_norms)
            x->compare_norms = norms_of(bm, x->compare);
        if (x->compare && req->rollout)
            x->compare_rollout = rollout_of(x->compare);
    }
}
