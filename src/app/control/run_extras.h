/* What the window shows beside a run's attention, computed on the worker thread right after the
 * run (so the UI thread never waits for it): the next-token prediction (on an encoder with its
 * masked-LM head, the predictions at each mask token instead), and on request each
 * head's metrics, the value norms, the rollout and a second text's run to compare with.
 *
 * Threads: ats_run_extras_compute runs on the worker; the result is then owned by the UI thread
 * (handed over in the worker's outcome) and read-only. */
#ifndef ATS_APP_RUN_EXTRAS_H
#define ATS_APP_RUN_EXTRAS_H

#include "shared_model.h"

#include "attnscope/analysis.h"
#include "attnscope/engine.h"

#include <stdbool.h>

#define ATS_TOP_K_SHOWN 8  /* next tokens the prediction panel lists */
#define ATS_MASKS_SHOWN 16 /* mask tokens of a text whose predictions are computed */

/* What to compute besides the prediction. */
typedef struct ats_extras_request {
    bool metrics;     /* the grid shows a metric (every head's matrix read once more) */
    bool value_norms; /* the value-weighted toggle is on */
    bool rollout;     /* the aggregate view shows rollout */
    char *compare;    /* a second text to run the same way (owned by the request), or NULL */
    size_t compare_len;
    ats_shared_model *compare_model; /* the model text B runs on (a reference of the request's);
                                        NULL: the same model */
} ats_extras_request;

typedef struct ats_run_extras {
    ats_head_metrics *metrics; /* (L, H) of the run's self-attention, or NULL */
    float *value_norms;        /* (L, H, T) ||v_j W_O^h||, or NULL */
    float *rollout;            /* (L, T, T), or NULL */
    /* the prediction after the last token (a model with a language-model head) */
    int n_top;
    ats_token_prob top[ATS_TOP_K_SHOWN];
    ats_tokens *top_tokens; /* (n_top) their pieces */
    /* an encoder with its masked-LM head (run made with want_hidden): the predictions at the
     * text's first n_masked mask tokens, each its own masked_k ranks: masked_top[m][0 ..
     * masked_k), pieces masked_tokens[m * masked_k ..]; n_masked_all counts every mask token of
     * the text */
    int n_masked, n_masked_all, masked_k;
    int masked_at[ATS_MASKS_SHOWN]; /* their token positions */
    ats_token_prob masked_top[ATS_MASKS_SHOWN][ATS_TOP_K_SHOWN];
    ats_tokens *masked_tokens;
    /* compare: the second text's run with its own value norms and rollout, or NULL; failure
     * says why */
    ats_run *compare;
    ats_shared_model *compare_model; /* the model it ran on (a reference), or NULL: the run's */
    char *compare_text;              /* the text it ran (its token spans index into it) */
    size_t compare_len;
    float *compare_norms;
    float *compare_rollout;
    char compare_error[ATS_ERROR_MESSAGE_SIZE];
} ats_run_extras;

/* Fills `out` for `run` (one-stack runs; an encoder-decoder run at most its metrics). `opts`
 * are the options the run was made with (the compare run uses them too). Parts that fail are
 * left NULL (out of memory) or explained (compare_error). */
void ats_run_extras_compute(const ats_model *model, const ats_run *run, const ats_run_opts *opts,
                            const ats_extras_request *req, ats_run_extras *out);
void ats_run_extras_free(ats_run_extras *x); /* NULL-safe; frees the struct */

#endif
