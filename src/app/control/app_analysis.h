/* The window's analysis features, for people who inspect heads: value-weighted attention, head
 * metrics on the grid, the next-token prediction and generation, head ablation, and a second
 * text to compare with. Their state is plain data (ats_analysis_ui, part of ats_app_state); the
 * app functions below change it and post the runs it needs. UI thread only. */
#ifndef ATS_APP_ANALYSIS_H
#define ATS_APP_ANALYSIS_H

#include "run_extras.h"

#include "attnscope/analysis.h"
#include "attnscope/engine.h"

#include <stdbool.h>
#include <stdint.h>

#define ATS_ABLATION_BITS (1 << 15) /* layers x heads the ablation set can hold */

typedef struct ats_analysis_ui {
    bool value_weighted; /* Ctrl+W: heatmap, lines and grid show A_ij ||v_j W_O^h|| */
    int metric;          /* Ctrl+M: the ats_metric written on each grid head, -1 none */
    float filter;        /* grid: heads whose metric is below this fade (0: none) */
    bool predicts;       /* the model has a language-model head: the prediction panel shows */
    bool fills_mask;     /* an encoder with its masked-LM head: the panel shows what it predicts
                            at the text's mask tokens instead */
    char mask[16];       /* that model's mask token ("[MASK]", "<mask>") */
    float temperature;   /* Ctrl+Shift+N samples at this temperature, from the top_p nucleus */
    float top_p;
    uint64_t sample_state; /* the sampler's generator: the same presses give the same tokens */
    bool lock_last;        /* a token was just generated: lock its row when its run arrives */
    bool compare;          /* Ctrl+B: a second text (B) runs too; the views show A, B, A - B */
    int n_ablated;
    uint64_t ablated[ATS_ABLATION_BITS / 64]; /* bit layer * n_head + head: switched off */
} ats_analysis_ui;

void ats_analysis_ui_init(ats_analysis_ui *a);
/* That head is in the ablation set (false out of range). */
bool ats_analysis_head_off(const ats_analysis_ui *a, int n_head, int layer, int head);

typedef struct ats_app ats_app;

/* Ctrl+D, a Shift+click on the grid: switches the head off (or back on); the run follows. */
void ats_app_toggle_ablation(ats_app *app, int layer, int head, double now_ms);
/* Ctrl+Shift+D: every head back on. */
void ats_app_clear_ablation(ats_app *app, double now_ms);
/* Ctrl+W. */
void ats_app_toggle_value_weighted(ats_app *app, double now_ms);
/* Ctrl+M: none, then each metric in turn. */
void ats_app_next_metric(ats_app *app);
/* The grid filter: heads whose metric is below t fade (0 none). */
void ats_app_set_filter(ats_app *app, float t);
/* Ctrl+R: the aggregate view's matrix, in turn mean, max, all layers, rollout. */
void ats_app_next_aggregate(ats_app *app, double now_ms);
/* A click on a predicted token: appends its text; its run locks it. On a model that fills mask
 * tokens, the token replaces the mask token the panel shows (`index` its rank there). */
void ats_app_append_prediction(ats_app *app, int index, double now_ms);
/* The mask token whose predictions the panel shows: the locked one, else the first; its index
 * among the extras' n_masked, or -1 when there is none. */
int ats_app_shown_mask(const ats_app *app);
/* Ctrl+N (greedy) / Ctrl+Shift+N (sampled): one more token chosen from the shown run's
 * prediction, appended to the text; its row is locked when its run arrives. */
void ats_app_generate_next(ats_app *app, bool sample, double now_ms);
/* A second model to compare with (--compare-model, a model dropped with Ctrl held): loads it,
 * then runs text B on it (comparison on, B starting as A's text); its tokenizer should be the
 * first model's. Refused while a model loads. */
void ats_app_open_compare_model(ats_app *app, const char *path, double now_ms);
/* Ctrl+B: the second text on or off (off also lets the second model go). */
void ats_app_toggle_compare(ats_app *app, double now_ms);

/* The difference A - B (T, T) of what the heatmap or aggregate view shows, when comparing two
 * texts of as many tokens (else NULL), and its title detail ("A − B · layer 3 · head 1"). */
const float *ats_app_compare_difference(const ats_app *app, const char **detail);

/* What the worker computed with the shown run (metrics, prediction, value norms, rollout, the
 * compare run), or NULL. */
const ats_run_extras *ats_app_get_extras(const ats_app *app);

#endif
