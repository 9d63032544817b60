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
    *a = (ats_dump_analysis){0};
}

/* The top-k next tokens and their pieces. */
static ats_status make_top_k(ats_dump_analysis *a, const ats_model *model, const ats_run *run,
                             ats_error *err) {
    const float *logits = ats_run_logits_last(run);
    if (!logits)
        return ats_fail(err, ATS_ERR_ARG, "the top-k tokens need a run made with its logits");
    int vocab = ats_run_get_config(run)->vocab_size, k = a->ex.top_k < vocab ? a->ex.top_k : vocab;
    int32_t *ids = malloc((size_t)k * sizeof *ids);
    a->top = malloc((size_t)k * sizeof *a->top);
    if (!ids || !a->top) {
        free(ids);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %d tokens", k);
    }
    a->n_top = ats_top_k(logits, vocab, k, a->top);
    for (int i = 0; i < a->n_top; i++)
        ids[i] = a->top[i].id;
    ats_status st = ats_tokens_of_ids(model, ids, a->n_top, &a->top_tokens, err);
    free(ids);
    return st;
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
