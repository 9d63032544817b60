/* The extras of a dump (ats_dump_extras): computed up front by ats_dump_analysis_make, written
 * by ats_dump_analysis_write in dump_writers.c beside the attention. */
#include "rundata_internal.h"

#include <stdlib.h>
#include <string.h>

void ats_dump_analysis_free(ats_dump_analysis *a) {
    free(a->mean);
    free(a->max);
    free(a->rollout);
    free(a->norms);
    free(a->weighted);
    free(a->top);
    ats_tokens_free(a->top_tokens);
    free(a->masked);
    *a = (ats_dump_analysis){0};
}

/* The top-k tokens of `n` rows of logits (n, vocab) into a->top (n, k) and their pieces. */
static ats_status top_of_rows(ats_dump_analysis *a, const ats_model *model, const float *logits,
                              int n, int vocab, ats_error *err) {
    int k = a->ex.top_k < vocab ? a->ex.top_k : vocab;
    int32_t *ids = calloc((size_t)n * k, sizeof *ids);
    a->top = malloc((size_t)n * k * sizeof *a->top);
    if (!ids || !a->top) {
        free(ids);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %d tokens", n * k);
    }
    for (int r = 0; r < n; r++) {
        a->n_top = ats_top_k(logits + (size_t)r * vocab, vocab, k, a->top + (size_t)r * k);
        for (int i = 0; i < a->n_top; i++)
            ids[(size_t)r * k + i] = a->top[(size_t)r * k + i].id;
    }
    ats_status st = ats_tokens_of_ids(model, ids, n * k, &a->top_tokens, err);
    free(ids);
    return st;
}

/* An encoder with its masked-LM head: the top-k tokens at each mask token of the text (the
 * head runs on those positions only). */
static ats_status make_masked(ats_dump_analysis *a, const ats_model *model, const ats_run *run,
                              ats_error *err) {
    const char *mask = NULL;
    ats_model_mask_token(model, &mask);
    const char *name = ats_model_get_info(model)->name;
    if (!mask)
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "--top-k: %s has a masked-LM head but its vocabulary has no mask token "
                        "([MASK] or <mask>)",
                        name);
    int T = ats_run_n_tokens(run), vocab = ats_run_get_config(run)->vocab_size;
    if (!(a->masked = malloc((size_t)T * sizeof *a->masked)))
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %d tokens", T);
    a->n_masked = ats_run_mask_positions(model, run, a->masked, T);
    if (a->n_masked == 0)
        return ats_fail(err, ATS_ERR_ARG,
                        "--top-k on %s predicts the token at each mask token, and the text has "
                        "none: write %s where a token should be guessed",
                        name, mask);
    float *logits = malloc((size_t)a->n_masked * vocab * sizeof *logits);
    if (!logits)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for the masked-LM logits");
    ats_status st = ats_run_mlm_logits(model, run, a->masked, a->n_masked, logits, err);
    if (st == ATS_OK)
        st = top_of_rows(a, model, logits, a->n_masked, vocab, err);
    free(logits);
    return st;
}

/* The top-k next tokens and their pieces; on an encoder with its masked-LM head, those at each
 * mask token. */
static ats_status make_top_k(ats_dump_analysis *a, const ats_model *model, const ats_run *run,
                             ats_error *err) {
    const float *logits = ats_run_logits_last(run);
    if (!logits && ats_model_has_mlm_head(model) && ats_run_hidden(run))
        return make_masked(a, model, run, err);
    if (!logits)
        return ats_fail(err, ATS_ERR_ARG, "the top-k tokens need a run made with its logits");
    return top_of_rows(a, model, logits, 1, ats_run_get_config(run)->vocab_size, err);
}

ats_status ats_dump_analysis_make(ats_dump_analysis *a, const ats_model *model, const ats_run *run,
                                  const ats_dump_extras *ex, ats_error *err) {
    *a = (ats_dump_analysis){.ex = *ex};
    const ats_model_config *c = ats_run_get_config(run);
    size_t T = (size_t)ats_run_n_tokens(run), L = (size_t)c->n_layer, H = (size_t)c->n_head;
    ats_status st = ATS_OK;
    if (ex->aggregate &&
        (!(a->mean = malloc(T * T * sizeof(float))) || !(a->max = malloc(T * T * sizeof(float)))))
        st = ats_fail(err, ATS_ERR_NOMEM, "out of memory for the head aggregates");
    if (st == ATS_OK && ex->rollout) {
        a->rollout = malloc(L * T * T * sizeof(float));
        st = a->rollout ? ats_run_rollout(run, a->rollout, err)
                        : ats_fail(err, ATS_ERR_NOMEM, "out of memory for the rollout");
    }
    if (st == ATS_OK && ex->value_weighted) {
        a->norms = malloc(L * H * T * sizeof(float));
        a->weighted = malloc(T * T * sizeof(float));
        st = a->norms && a->weighted
                 ? ats_run_value_norms(model, run, a->norms, err)
                 : ats_fail(err, ATS_ERR_NOMEM, "out of memory for value-weighted attention");
    }
    if (st == ATS_OK && ex->top_k > 0)
        st = make_top_k(a, model, run, err);
    if (st != ATS_OK)
        ats_dump_analysis_free(a);
    return st;
}
