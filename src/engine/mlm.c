/* The masked-language-model head of an encoder at chosen positions (engine.h,
 * ats_run_mlm_logits). The forward pass never runs it: a run keeps its final hidden states
 * (want_hidden) and the head maps only the rows asked for, so a text of 500 tokens with one
 * [MASK] costs one vocab x D product, not 500.
 *
 * Per position, with h the final hidden state (D) (BertPredictionHeadTransform and the
 * decoder, RobertaLMHead, DistilBertForMaskedLM's vocab_* layers):
 *   t = act(dense(h))             (D)
 *   t = LayerNorm(t)              (D)
 *   logits = decoder(t) + bias    (vocab)
 */
#include "linear.h"
#include "ops.h"
#include "run.h"

#include <stdlib.h>
#include <string.h>

static void activate(ats_activation act, float *x, size_t n) {
    switch (act) {
    case ATS_ACT_GELU_TANH:
        ats_gelu_tanh(x, n);
        break;
    case ATS_ACT_RELU:
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    default: /* the loaders set only these three */
        ats_gelu_erf(x, n);
        break;
    }
}

ats_status ats_run_mlm_logits(const ats_model *model, const ats_run *run, const int *positions,
                              int n, float *out, ats_error *err) {
    const ats_mlm_head *mh = &model->mlm;
    if (!ats_model_has_mlm_head(model))
        return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s has no masked-language-model head",
                        model->info.name);
    if (run->model_serial != model->serial || !run->hidden)
        return ats_fail(err, ATS_ERR_ARG,
                        "the masked-LM head needs a run of this model made with its hidden states");
    for (int i = 0; i < n; i++)
        if (positions[i] < 0 || positions[i] >= run->n_tokens)
            return ats_fail(err, ATS_ERR_ARG, "token %d is outside the run's %d tokens",
                            positions[i], run->n_tokens);
    if (n <= 0)
        return ATS_OK;
    size_t D = (size_t)model->cfg.d_model;
    float *h = malloc((size_t)n * D * sizeof *h); /* (n, D) the chosen rows of the hidden states */
    float *t = malloc((size_t)n * D * sizeof *t); /* (n, D) the transform's output */
    if (!h || !t) {
        free(h);
        free(t);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for the masked-LM head");
    }
    for (int i = 0; i < n; i++)
        memcpy(h + (size_t)i * D, run->hidden + (size_t)positions[i] * D, D * sizeof *h);
    ats_linear_apply(&mh->dense, h, n, t);
    activate(mh->act, t, (size_t)n * D);
    for (int i = 0; i < n; i++)
        ats_layernorm(t + (size_t)i * D, t + (size_t)i * D, mh->norm.w, mh->norm.b, (int)D,
                      mh->norm_eps);
    ats_linear_apply(&mh->decoder, t, n, out); /* (n, vocab) with the output bias */
    free(h);
    free(t);
    return ATS_OK;
}

int ats_run_mask_positions(const ats_model *model, const ats_run *run, int *out, int max) {
    int n = 0;
    for (int i = 0; model->mask_id >= 0 && i < run->n_tokens; i++)
        if (ats_tokens_get(run->tokens, i)->id == model->mask_id) {
            if (n < max)
                out[n] = i;
            n++;
        }
    return n;
}
