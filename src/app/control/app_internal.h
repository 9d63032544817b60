/* The ats_app struct, shared by app.c (lifecycle, worker outcomes, getters) and app_input.c
 * (keys, text, pointer). */
#ifndef ATS_APP_APP_INTERNAL_H
#define ATS_APP_APP_INTERNAL_H

#include "app.h"
#include "attnscope/rundata.h"
#include "model_list.h"
#include "series.h"
#include "shared_model.h"
#include "span_map.h"
#include "ui.h"
#include "worker.h"

#include <pthread.h>

struct ats_app {
    ats_app_state state;
    ats_editor *editor; /* the text box with the keyboard (for T5 the source or the target) */
    ats_editor *other;  /* T5: the other box (the target while the source is edited) */
    ats_worker *worker;
    /* computes the heads of long texts that the window's views (ui.c) draw, off the UI thread */
    ats_head_fetcher *heads;
    ats_latency *latency;
    ats_clipboard clipboard;
    bool has_clipboard;
    char *font_path;
    char *tokenizer_path;
    bool causal;
    size_t attention_budget; /* ats_app_config's, for every run posted */

    ats_shared_model *model; /* new runs use it; NULL until the first load succeeds */
    uint64_t load_seq;       /* the newest load posted, 0 none */
    bool tried_fallback;     /* the first model failed and builtin:demo was asked for */

    /* the run shown, with the model and text it came from */
    ats_run *run;
    ats_shared_model *run_model;
    char *run_text;
    size_t run_text_len;
    char *run_target; /* T5: the decoder's text the run used (NULL: generated) */
    size_t run_target_len;
    uint64_t shown_seq; /* the newest outcome applied */
    uint64_t min_seq;   /* outcomes below it ran on a model since swapped out */
    ats_span_map span_map;

    /* analysis (app_analysis.c): computed with the shown run (metrics, prediction, value norms,
     * rollout, the compare run) or NULL; the arrays the views draw from them; the fingerprint
     * of the last run posted; comparing two models: the second (text B runs on it), its
     * pending load, and the path of --compare-model, loaded after the first model */
    ats_run_extras *extras;
    struct ats_analysis_cache *analysis;
    uint64_t posted_analysis;
    ats_shared_model *compare_model;
    uint64_t compare_load_seq;
    char *compare_model_path;

    /* posting */
    uint64_t posted_revision; /* editor revision of the last run posted */
    uint64_t posted_other;    /* T5: the other box's revision then */
    bool generate;            /* T5: the next run generates the target (Ctrl+G) */
    int posted_detail;        /* the layer whose details it keeps (ATS_DETAIL_NONE) */
    bool must_post;           /* post even if the text did not change (new model) */
    double trigger_ms;        /* when the edit not yet posted happened */
    double last_edit_ms;      /* for closing the undo group after a pause; 0 when closed */
    bool posted_this_frame;   /* a run was posted since the last presented frame */
    double echo_ms;           /* the oldest edit no frame has shown yet, 0 none */

    /* a training folder's checkpoints (app_series.c); NULL when another model is open */
    ats_series *series;
    int series_index;         /* the checkpoint shown (or loading) */
    bool series_playing;      /* F5: stepping through the checkpoints */
    double series_next_ms;    /* when playing moves on */
    double series_scan_ms;    /* when the log was last looked at */
    uint64_t series_load_seq; /* the load of the checkpoint shown */
    char series_title[256];   /* "run · step 400" */

    ats_ui *ui;            /* draws the window; keeps the last frame's layout and view */
    ats_samples samples;   /* the sample menu */
    ats_model_list models; /* the model picker's list, scanned when it opens */

    /* heatmap zoom and pan steps since the last build of the view (render.h's ats_view_zoom
     * and ats_view_pan work from the layout of the last build) */
    unsigned nav_build;
    float nav_zoom, nav_dx, nav_dy;

    ats_app_hit_kind drag_kind; /* where the held button went down */

    /* the data export's thread (export_keys.c) */
    pthread_t export_thread;
    pthread_mutex_t export_mu;
    bool export_running;             /* UI thread only */
    bool export_done, export_failed; /* under export_mu */
    char export_msg[1200];           /* under export_mu */
    void (*wake)(void *user);
    void *wake_user;
    bool swallow_text; /* the key press just handled was a Ctrl/Alt shortcut */
    bool dirty;
};

/* Posts a model load (the UI shows "loading" until it ends). */
void ats_app_post_load(ats_app *app, const char *path, const char *tokenizer_path, double now_ms);
/* T5: the source and target boxes (whichever has the keyboard). */
ats_editor *ats_app_source_editor(const ats_app *app);
ats_editor *ats_app_target_editor(const ats_app *app);
/* T5: gives the keyboard to the other text box. */
void ats_app_switch_text(ats_app *app);
/* After any change of the editor's text: posts the run and refreshes the span map. */
void ats_app_text_changed(ats_app *app, double event_ms);
/* Posts a run of the editor's text on the current model when it changed (or must_post, or the
 * pipeline view needs the details of a layer the last run did not keep). */
void ats_app_post_run(ats_app *app, double trigger_ms);

/* Analysis (app_analysis.c): the options and extras a run posted now needs (*ablate malloc'd,
 * the caller frees it); a fingerprint of them (a change posts a run); the run that arrived; the
 * derived arrays brought up to date before a frame; the view data of the analysis (measure,
 * value-weighted attention, aggregate, head numbers) added to a run view of side 0 (A) or 1
 * (B, the compare text). */
void ats_app_analysis_post_opts(const ats_app *app, ats_run_opts *opts, ats_head_ref **ablate,
                                ats_extras_request *extras);
uint64_t ats_app_analysis_key(const ats_app *app);
/* A load outcome for the compare model: true when it was that (taken or reported). */
bool ats_app_analysis_loaded(ats_app *app, ats_worker_event *ev, double now_ms);
void ats_app_analysis_arrived(ats_app *app);
void ats_app_analysis_refresh(ats_app *app);
void ats_app_analysis_view(const ats_app *app, int side, ats_run_view *vd);
void ats_app_analysis_free(ats_app *app);
/* A training folder (app_series.c). open_path: a training folder opens as a series showing its
 * newest checkpoint, anything else as a model (closing the series). show: loads checkpoint
 * `index` (clamped). step: by delta, or says how to open a folder when none is. tick: plays and
 * rereads a growing log; true when something changed. loaded: a load finished (the title). */
void ats_app_open_path(ats_app *app, const char *path, double now_ms);
void ats_app_series_show(ats_app *app, int index, double now_ms);
void ats_app_series_step(ats_app *app, int delta, double now_ms);
void ats_app_series_toggle_play(ats_app *app, double now_ms);
bool ats_app_series_tick(ats_app *app, double now_ms);
void ats_app_series_loaded(ats_app *app, uint64_t seq);
void ats_app_series_free(ats_app *app);

/* The model picker (app_picker.c): Ctrl+O or its button opens it (scanning for models) and
 * closes it; an entry (or Enter on the selected one) opens that model; Up / Down / PageUp /
 * PageDown / Home / End move the selection while it is open (true when the key was the
 * picker's). */
void ats_app_picker_toggle(ats_app *app);
void ats_app_picker_open_entry(ats_app *app, int index, double now_ms);
bool ats_app_picker_key(ats_app *app, ats_key_event ev, double now_ms);

/* The pipeline view (app_pipeline.c): whether the shown run kept the selected layer's details, and
 * its data for the selected layer and head with the what-if switches (free with
 * ats_run_pipeline_free before the run changes). */
bool ats_app_run_has_detail(const ats_app *app, int layer);
/* The shown run as view data for the attention the views show (for T5 the kind, named in the
 * title, which lives in title[n]); the window and its exports both draw from it. */
ats_status ats_app_view_data(const ats_app *app, ats_run_view *vd, char *title, size_t n);
ats_status ats_app_pipeline_make(const ats_app *app, ats_run_pipeline *out, ats_error *err);
/* The compared text B's run as view data (title "… · B"); ATS_ERR_ARG when there is none. */
ats_status ats_app_compare_view_data(const ats_app *app, ats_run_view *vd, char *title, size_t n);

#endif
