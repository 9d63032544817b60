/* attnscope run data: a run of the engine as what views and exports need. One home for the
 * conversions the command line, the window and the samples share: a run as the plain arrays the
 * render library draws from (ats_view_data, ats_pipeline_data), and a run's numbers as JSON (the
 * schema of DESIGN.md), NPY and CSV.
 *
 * Threads: every function may be called from any thread, on runs any thread holds (runs are
 * immutable); a struct filled here is used by one thread at a time.
 *
 * Ownership: *_make fills a caller-owned struct whose arrays borrow from the run and model, so
 * the run and model must outlive it; *_free releases what the struct owns (NULL-safe fields).
 */
#ifndef ATTNSCOPE_RUNDATA_H
#define ATTNSCOPE_RUNDATA_H

#include "attnscope/engine.h"
#include "attnscope/render.h"

#include <stdbool.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- a run as view data ------------------------------------------------------------------ */

typedef struct ats_run_view {
    ats_view_data data;  /* what ats_view_build takes */
    const char **labels; /* (T) token pieces, borrowed from the run */
    bool *special;       /* (T) */
    /* a run that computes heads on demand: the heads a build asked for (acquired from the run,
     * released by ats_run_view_free) */
    const ats_run *run;
    const float **heads; /* (L * H), NULL entries not asked for yet */
} ats_run_view;

/* `text` is the input text the run was made from (metadata; may be NULL). A run that kept its
 * attention whole is drawn from it; otherwise each head a view draws is computed (or found in
 * the run's cache) when the build asks for it, and the grid draws the pooled overview.
 * ATS_ERR_NOMEM. */
ats_status ats_run_view_make(ats_run_view *v, const ats_model *model, const ats_run *run,
                             const char *text, ats_error *err);
void ats_run_view_free(ats_run_view *v);

/* One head's attention formula for one query token, as the pipeline view draws it. */
typedef struct ats_run_pipeline {
    ats_pipeline_data data; /* point ats_run_view.data.pipeline here */
    ats_head_steps *steps;  /* owned: the arrays the what-if switches change */
} ats_run_pipeline;

/* Fills p for `layer`, `head` and query `token` of a run that kept that layer's details
 * (ats_run_opts.detail_layer), through ats_head_steps_compute with the what-if switches `opts`
 * (NULL: the model's own computation). The arrays are borrowed from the run and from p->steps:
 * free p with ats_run_pipeline_free before the run. On failure p is empty and err says why
 * (ATS_ERR_ARG for a layer not kept or an index out of range). */
ats_status ats_run_pipeline_make(ats_run_pipeline *p, const ats_model *model, const ats_run *run,
                                 int layer, int head, int token, const ats_step_opts *opts,
                                 ats_error *err);
void ats_run_pipeline_free(ats_run_pipeline *p);

/* ---- a run's numbers as files -------------------------------------------------------------- */

/* The layers and heads a dump covers. */
typedef struct ats_dump_selection {
    int layer0, n_layers, head0, n_heads;
} ats_dump_selection;

/* Every layer and head of the model. */
ats_dump_selection ats_dump_selection_all(const ats_model_config *c);

/* The writers take each head from the run one at a time (ats_run_attention_acquire), so a run
 * that computes its heads on demand is written with one head in memory at a time. They fail
 * (ATS_ERR_NOMEM, or ATS_ERR_ARG for heads the run does not serve) with the file unfinished. */

/* One dump object (DESIGN.md's schema); with one_line (JSON Lines) it holds no newline but the
 * last. `warning` and `steps` may be NULL. */
ats_status ats_dump_write_json(FILE *f, const ats_model *model, const char *text, size_t text_len,
                               const ats_run *run, const ats_dump_selection *sel,
                               const char *warning, const ats_head_steps *steps, bool one_line,
                               ats_error *err);
/* NPY v1.0, float32 (layers, heads, T, T) of the selection. */
ats_status ats_dump_write_npy(FILE *f, const ats_run *run, const ats_dump_selection *sel,
                              ats_error *err);
/* One head's (T, T) matrix, token pieces as header row and first column (RFC 4180, CRLF). */
ats_status ats_dump_write_csv(FILE *f, const ats_run *run, int layer, int head, ats_error *err);

/* JSON pieces shared by `tokenize` and `dump` (written with jansson so strings are escaped). */
void ats_json_write_tokens(FILE *f, const ats_tokens *tokens);
void ats_json_write_model(FILE *f, const ats_model *model);
/* A JSON string of len bytes of UTF-8 (NULs escaped). */
void ats_json_write_string(FILE *f, const char *s, size_t len);
/* A float as JSON: the shortest form that reads back to the same float32; non-finite as null. */
void ats_json_write_float(FILE *f, float v);

#ifdef __cplusplus
}
#endif

#endif /* ATTNSCOPE_RUNDATA_H */
