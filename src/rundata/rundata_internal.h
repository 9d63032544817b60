/* Pieces the run-data writers share inside the library. */
#ifndef ATS_RUNDATA_INTERNAL_H
#define ATS_RUNDATA_INTERNAL_H

#include "attnscope/rundata.h"

/* A dump's extras (ats_dump_extras), computed before anything is written so that writing
 * cannot fail halfway: the arrays the JSON takes, and scratch for those made layer by layer. */
typedef struct ats_dump_analysis {
    ats_dump_extras ex;
    float *mean, *max;      /* (T, T) scratch for head_mean / head_max */
    float *rollout;         /* (L, T, T) */
    float *norms;           /* (L, H, T) ||v_j W_O^h|| */
    float *weighted;        /* (T, T) scratch for one head's value-weighted matrix */
    ats_token_prob *top;    /* (n_top), or on an encoder's mask tokens (n_masked, n_top) */
    ats_tokens *top_tokens; /* the same shape: their pieces */
    int n_top;
    int *masked; /* (n_masked) the mask tokens' positions (a masked-LM head's top_k), or NULL */
    int n_masked;
} ats_dump_analysis;

ats_status ats_dump_analysis_make(ats_dump_analysis *a, const ats_model *model, const ats_run *run,
                                  const ats_dump_extras *ex, ats_error *err);
/* Writes ",\n \"key\": value" for each extra (and "ablated" for a run with ablated heads);
 * fails (the file unfinished) when a head cannot be had (ats_run_attention_acquire). */
ats_status ats_dump_analysis_write(FILE *f, const ats_dump_analysis *a, const ats_run *run,
                                   const ats_dump_selection *sel, const char *nl, ats_error *err);
void ats_dump_analysis_free(ats_dump_analysis *a);

#endif
