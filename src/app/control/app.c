#include "app_internal.h"
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Typing after this pause starts a new undo step. */
#define UNDO_PAUSE_MS 1000.0

static char *dup_or_null(const char *s) {
    return s ? strdup(s) : NULL;
}

/* How often the loading indicator steps (ms). */
#define ANIM_STEP_MS 300.0

void ats_app_post_load(ats_app *app, const char *path, const char *tokenizer_path, double now_ms) {
    ats_load_opts lo = ats_load_opts_default();
    lo.tokenizer_path = tokenizer_path;
    if (app->causal)
        lo.causal = 1;
    uint64_t seq = ats_worker_post_load(app->worker, path, &lo);
    if (!seq) {
        ats_app_state_show_banner(&app->state, "out of memory: the model was not opened", true,
                                  now_ms, 0);
        return;
    }
    app->load_seq = seq;
    app->state.loading = true;
    snprintf(app->state.loading_path, sizeof app->state.loading_path, "%s", path);
    app->dirty = true;
}

/* What ats_app_new makes before the first load: the status of the first part that fails. */
static ats_status open_parts(ats_app *app, const ats_app_config *cfg, double now_ms,
                             ats_error *err) {
    app->attention_budget = cfg->attention_budget;
    app->font_path = dup_or_null(cfg->font_path);
    app->compare_model_path = dup_or_null(cfg->compare_model_path);
    app->tokenizer_path = dup_or_null(cfg->tokenizer_path);
    app->editor = ats_editor_new(cfg->max_text_bytes);
    app->other = ats_editor_new(cfg->max_text_bytes);
    if (!app->editor || !app->other || (cfg->font_path && !app->font_path) ||
        (cfg->compare_model_path && !app->compare_model_path) ||
        (cfg->tokenizer_path && !app->tokenizer_path))
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    ats_status s = ats_latency_new(cfg->latency_log_path, &app->latency, err);
    if (s == ATS_OK)
        s = ats_ui_new(app->font_path, &app->ui, err);
    if (s != ATS_OK)
        return s;
    if (!ats_app_set_export_dir(app, cfg->export_dir ? cfg->export_dir : ".", now_ms))
        return ats_fail(err, ATS_ERR_IO, "--export-dir %s", app->state.banner);
    ats_samples_load(&app->samples);
    const char *text = cfg->text ? cfg->text : ATS_APP_SAMPLE_TEXT;
    size_t len = cfg->text ? cfg->text_len : strlen(ATS_APP_SAMPLE_TEXT);
    if (ats_editor_set_text(app->editor, text, len, true) != ATS_EDIT_OK)
        return ats_fail(err, ATS_ERR_ARG, "--text: %s", ats_editor_error(app->editor));
    app->worker = ats_worker_new(cfg->wake, cfg->wake_user);
    if (!app->worker)
        return ats_fail(err, ATS_ERR_NOMEM, "cannot start the worker thread");
    return ats_head_fetcher_new(cfg->wake, cfg->wake_user, &app->heads, err);
}

ats_status ats_app_new(const ats_app_config *cfg, double now_ms, ats_app **out, ats_error *err) {
    *out = NULL;
    ats_app *app = calloc(1, sizeof *app);
    if (!app)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    ats_app_state_init(&app->state);
    pthread_mutex_init(&app->export_mu, NULL);
    app->wake = cfg->wake;
    app->wake_user = cfg->wake_user;
    app->causal = cfg->causal;
    ats_status s = open_parts(app, cfg, now_ms, err);
    if (s != ATS_OK) {
        ats_app_free(app);
        return s;
    }
    app->trigger_ms = now_ms;
    app->must_post = true;
    app->posted_detail = ATS_DETAIL_NONE;
    if (cfg->model_path && !app->tokenizer_path && ats_series_is_training_folder(cfg->model_path))
        ats_app_open_path(app, cfg->model_path, now_ms); /* a training folder: its checkpoints */
    else
        ats_app_post_load(app, cfg->model_path ? cfg->model_path : "builtin:demo",
                          app->tokenizer_path, now_ms);
    *out = app;
    return ATS_OK;
}

static void drop_run(ats_app *app) {
    ats_run_extras_free(app->extras);
    app->extras = NULL;
    ats_run_free(app->run);
    ats_shared_model_free(app->run_model);
    free(app->run_text);
    free(app->run_target);
    app->run = NULL;
    app->run_model = NULL;
    app->run_text = NULL;
    app->run_text_len = 0;
    app->run_target = NULL;
    app->run_target_len = 0;
}

void ats_app_free(ats_app *app) {
    if (!app)
        return;
    ats_app_export_finish(app);        /* it holds a run and a model */
    ats_worker_free(app->worker);      /* first: nothing may still use the models */
    ats_head_fetcher_free(app->heads); /* after the head in progress; it holds runs, not models */
    app->heads = NULL;                 /* (the analysis cache below lets go of none of its jobs) */
    drop_run(app);
    ats_app_analysis_free(app);
    ats_shared_model_free(app->compare_model);
    free(app->compare_model_path);
    ats_shared_model_free(app->model);
    ats_app_series_free(app);
    ats_editor_free(app->editor);
    ats_editor_free(app->other);
    ats_latency_free(app->latency);
    ats_ui_free(app->ui);
    ats_samples_free(&app->samples);
    ats_model_list_free(&app->models);
    pthread_mutex_destroy(&app->export_mu);
    free(app->font_path);
    free(app->tokenizer_path);
    free(app);
}

void ats_app_set_clipboard(ats_app *app, const ats_clipboard *cb) {
    app->has_clipboard = cb != NULL;
    if (cb)
        app->clipboard = *cb;
}

/* ---- runs ----------------------------------------------------------------------------------- */

ats_editor *ats_app_source_editor(const ats_app *app) {
    return app->state.edit_target ? app->other : app->editor;
}

ats_editor *ats_app_target_editor(const ats_app *app) {
    return app->state.edit_target ? app->editor : app->other;
}

/* The shown run's text behind the box with the keyboard: the source, T5's target, or the
 * compared text B. */
static const char *box_run_text(const ats_app *app, size_t *len) {
    bool target = ats_app_state_two_boxes(&app->state) && app->state.edit_target;
    if (target && !app->state.seq2seq) {
        *len = app->extras ? app->extras->compare_len : 0;
        return app->extras ? app->extras->compare_text : NULL;
    }
    *len = target ? app->run_target_len : app->run_text_len;
    return target ? app->run_target : app->run_text;
}

static void refresh_span_map(ats_app *app) {
    size_t len;
    const char *text = box_run_text(app, &len);
    ats_span_map_build(&app->span_map, text ? text : "", text ? len : 0,
                       ats_editor_text(app->editor), ats_editor_length(app->editor));
}

void ats_app_switch_text(ats_app *app) {
    if (!ats_app_state_two_boxes(&app->state))
        return;
    ats_editor *e = app->editor;
    app->editor = app->other;
    app->other = e;
    uint64_t r = app->posted_revision;
    app->posted_revision = app->posted_other;
    app->posted_other = r;
    app->state.edit_target = !app->state.edit_target;
    app->state.focus = ATS_FOCUS_TEXT;
    refresh_span_map(app);
    app->dirty = true;
}

/* The layer whose Q, K, V and scores the runs keep: the pipeline view's, else none. */
static int wanted_detail(const ats_app *app) {
    const ats_view_state *v = &app->state.view;
    return v->view == ATS_VIEW_PIPELINE ? v->layer : ATS_DETAIL_NONE;
}

void ats_app_post_run(ats_app *app, double trigger_ms) {
    uint64_t revision = ats_editor_revision(app->editor);
    uint64_t other = ats_editor_revision(app->other);
    int detail = wanted_detail(app);
    bool new_detail = detail != ATS_DETAIL_NONE && detail != app->posted_detail;
    bool seq2seq = app->state.seq2seq;
    uint64_t analysis = ats_app_analysis_key(app);
    if (!app->model || (revision == app->posted_revision && !app->must_post && !new_detail &&
                        analysis == app->posted_analysis &&
                        (!seq2seq || (other == app->posted_other && !app->generate))))
        return;
    ats_run_opts opts = ats_run_opts_default();
    opts.detail_layer = detail;
    opts.attention_budget = app->attention_budget;
    ats_head_ref *ablate;
    ats_extras_request extras;
    ats_app_analysis_post_opts(app, &opts, &ablate, &extras);
    uint64_t seq;
    if (seq2seq) { /* T5: the source and the target (none while generating) */
        const ats_editor *src = ats_app_source_editor(app), *tgt = ats_app_target_editor(app);
        seq = ats_worker_post_seq2seq(
            app->worker, app->model, ats_editor_text(src), ats_editor_length(src),
            app->generate ? NULL : ats_editor_text(tgt), ats_editor_length(tgt), &opts);
        app->generate = false;
    } else { /* the A box's text (a comparison's B text goes in the extras) */
        const ats_editor *a = ats_app_source_editor(app);
        seq = ats_worker_post_run_extras(app->worker, app->model, ats_editor_text(a),
                                         ats_editor_length(a), &opts, &extras);
    }
    free(ablate);
    if (!seq) {
        ats_app_state_show_banner(&app->state, "out of memory: the text was not run", true,
                                  trigger_ms, 0);
        return;
    }
    if (app->must_post)
        app->min_seq = seq; /* the first run on a new model: older outcomes are stale */
    ats_latency_posted(app->latency, seq, trigger_ms);
    app->posted_revision = revision;
    app->posted_other = other;
    app->posted_detail = detail;
    app->posted_analysis = analysis;
    app->must_post = false;
    app->state.computing = true;
    app->posted_this_frame = true;
}

void ats_app_text_changed(ats_app *app, double event_ms) {
    app->last_edit_ms = event_ms;
    if (app->echo_ms == 0)
        app->echo_ms = event_ms;
    app->dirty = true;
    refresh_span_map(app);
    ats_app_post_run(app, event_ms);
    if (!app->model)
        app->trigger_ms = event_ms; /* posted when the model arrives */
}

static void set_model_state(ats_app *app, const ats_model *m) {
    const ats_model_config *c = ats_model_get_config(m);
    const ats_model_info *info = ats_model_get_info(m);
    char format[32];
    if (strcmp(info->format, "builtin") == 0 || !info->dtype[0])
        snprintf(format, sizeof format, "%s", info->format);
    else
        snprintf(format, sizeof format, "%.14s %.14s", info->format, info->dtype);
    ats_app_state_set_model(&app->state, info->name, ats_arch_name(c->arch), format, c);
    if (app->state.edit_target) /* back to the source box */
        ats_app_switch_text(app);
    ats_app_state_set_decoder(&app->state, ats_model_get_decoder_config(m));
    app->state.analysis.predicts = ats_model_has_lm_head(m) && !app->state.seq2seq;
    const char *mask = NULL;
    ats_model_mask_token(m, &mask);
    app->state.analysis.fills_mask = ats_model_has_mlm_head(m) && mask && !app->state.seq2seq;
    snprintf(app->state.analysis.mask, sizeof app->state.analysis.mask, "%s", mask ? mask : "");
    if (app->state.seq2seq)
        app->state.analysis.compare = false;
    app->state.timings.context = c->context;
}

static void on_load(ats_app *app, ats_worker_event *ev, double now_ms) {
    if (ats_app_analysis_loaded(app, ev, now_ms))
        return; /* the second model of a comparison */
    if (ev->seq != app->load_seq)
        return; /* a newer load was asked for since */
    bool first = app->model == NULL;
    char msg[ATS_ERROR_MESSAGE_SIZE + 128];
    if (ev->kind == ATS_WORKER_LOAD_FAILED) {
        if (first && !app->tried_fallback && strcmp(ev->path, "builtin:demo") != 0) {
            snprintf(msg, sizeof msg, "%s; showing builtin:demo instead", ev->error.message);
            app->tried_fallback = true;
            ats_app_post_load(app, "builtin:demo", NULL, now_ms);
        } else {
            snprintf(msg, sizeof msg, "%s", ev->error.message);
        }
        ats_app_state_show_banner(&app->state, msg, true, now_ms, 0);
        return;
    }
    ats_shared_model_free(app->model);
    app->model = ev->model;
    ev->model = NULL;
    /* a training checkpoint replaces the one before it: the locked token stays */
    bool checkpoint = app->series && ev->seq == app->series_load_seq;
    int locked = app->state.view.locked_token;
    ats_token_side locked_side = app->state.view.locked_side;
    drop_run(app); /* its shape is the old model's; the new run follows */
    app->state.n_tokens = 0;
    ats_app_state_set_tokens(&app->state, 0);
    set_model_state(app, ats_shared_model_get(app->model));
    if (checkpoint) {
        ats_app_series_loaded(app, ev->seq);
        app->state.view.locked_token = locked;
        app->state.view.locked_side = locked_side;
    } else if (!first) {
        snprintf(msg, sizeof msg, "opened %s (%.0f ms)", app->state.model_name, ev->load_ms);
        ats_app_state_show_banner(&app->state, msg, false, now_ms, 3000);
    }
    if (!checkpoint && !app->series)
        ats_model_recent_add(ev->path); /* the picker's "Recent" (builtin: names left out) */
    app->must_post = true;
    ats_app_post_run(app, first ? app->trigger_ms : now_ms);
    if (first && app->compare_model_path) { /* --compare-model: now that the first is in */
        ats_app_open_compare_model(app, app->compare_model_path, now_ms);
        free(app->compare_model_path);
        app->compare_model_path = NULL;
    }
}

/* T5 after Ctrl+G: the target box takes the generated tokens' text (the start token and </s>
 * left out), so the run that follows it computes the same decoder tokens from the text. */
static void fill_target(ats_app *app) {
    const ats_tokens *toks = ats_run_get_tokens(app->run);
    size_t len = 0, cap = 64;
    char *text = malloc(cap);
    for (int i = 1; text && i < ats_tokens_count(toks); i++) {
        const ats_token *t = ats_tokens_get(toks, i);
        size_t n = strlen(t->piece);
        if (t->special)
            continue;
        while (len + n + 1 > cap) {
            char *bigger = realloc(text, cap * 2);
            if (!bigger) {
                free(text);
                return;
            }
            text = bigger;
            cap *= 2;
        }
        memcpy(text + len, t->piece, n);
        len += n;
    }
    if (!text)
        return;
    size_t skip = len > 0 && text[0] == ' ' ? 1 : 0;
    ats_editor *tgt = ats_app_target_editor(app);
    if (ats_editor_set_text(tgt, text + skip, len - skip, false) == ATS_EDIT_OK) {
        refresh_span_map(app);
        ats_app_post_run(app, ats_clock_ms());
    }
    free(text);
}

static void on_run(ats_app *app, ats_worker_event *ev) {
    if (ev->seq <= app->shown_seq || ev->seq < app->min_seq)
        return; /* stale: something newer is shown, or it ran on a model swapped out */
    app->shown_seq = ev->seq;
    const char *name = ats_model_get_info(ats_shared_model_get(ev->model))->name;
    if (ev->kind == ATS_WORKER_RUN_FAILED) {
        /* the previous result stays; the status bar says why this text did not run */
        snprintf(app->state.run_error, sizeof app->state.run_error, "%s", ev->error.message);
        ats_latency_shown(app->latency, ev->seq, name, ev->text_len, 0, ev->tokenize_ms,
                          ev->forward_ms, false);
        return;
    }
    drop_run(app);
    app->run = ev->run;
    app->run_model = ev->model;
    app->run_text = ev->text;
    app->run_text_len = ev->text_len;
    app->run_target = ev->target;
    app->run_target_len = ev->target_len;
    app->extras = ev->extras;
    ev->extras = NULL;
    ev->run = NULL;
    ev->model = NULL;
    ev->text = NULL;
    ev->target = NULL;
    app->state.run_error[0] = '\0';
    if (ev->generated)
        fill_target(app);
    int n = ats_run_n_tokens(app->run);
    const ats_run *enc = ats_run_encoder(app->run);
    if (enc && ats_run_n_tokens(enc) > n) /* T5: hover and lock reach both token lists */
        n = ats_run_n_tokens(enc);
    ats_app_state_set_tokens(&app->state, n);
    app->state.timings.n_tokens = n;
    app->state.timings.n_dropped = ats_run_dropped_tokens(app->run);
    app->state.timings.tokenize_ms = ev->tokenize_ms;
    app->state.timings.forward_ms = ev->forward_ms;
    refresh_span_map(app);
    ats_latency_shown(app->latency, ev->seq, name, app->run_text_len, n, ev->tokenize_ms,
                      ev->forward_ms, true);
    ats_app_analysis_arrived(app);
}

void ats_app_update(ats_app *app, double now_ms) {
    /* the pipeline view came up or a new layer; an analysis option changed (value-weighted,
     * rollout, ablation, the compared text) */
    if (wanted_detail(app) != ATS_DETAIL_NONE || ats_app_analysis_key(app) != app->posted_analysis)
        ats_app_post_run(app, now_ms);
    ats_worker_event ev;
    while (ats_worker_poll(app->worker, &ev)) {
        if (ev.kind == ATS_WORKER_LOAD_DONE || ev.kind == ATS_WORKER_LOAD_FAILED)
            on_load(app, &ev, now_ms);
        else
            on_run(app, &ev);
        ats_worker_event_clear(&ev);
        app->dirty = true;
    }
    bool loading = ats_worker_loading(app->worker), computing = ats_worker_running(app->worker);
    if (loading != app->state.loading || computing != app->state.computing)
        app->dirty = true;
    app->state.loading = loading;
    app->state.computing = computing;
    if (app->heads && ats_head_fetcher_arrived(app->heads))
        app->dirty = true; /* heads a view drew empty were computed: draw them */
    if (ats_app_series_tick(app, now_ms))
        app->dirty = true;
    if (ats_app_state_tick(&app->state, now_ms))
        app->dirty = true;
    int phase = loading ? (int)(now_ms / ANIM_STEP_MS) : 0;
    if (phase != app->state.anim_phase) { /* the loading indicator moves */
        app->state.anim_phase = phase;
        app->dirty = true;
    }
    if (app->last_edit_ms > 0 && now_ms - app->last_edit_ms > UNDO_PAUSE_MS) {
        ats_editor_close_group(app->editor);
        app->last_edit_ms = 0;
    }
    ats_app_analysis_refresh(app);        /* the arrays the next frame draws */
    if (ats_app_export_poll(app, now_ms)) /* (after: a picture may wait for those arrays) */
        app->dirty = true;
}

void ats_app_wait_result(ats_app *app, double max_ms) {
    if (app->posted_this_frame && max_ms > 0)
        ats_worker_wait(app->worker, max_ms);
}

bool ats_app_needs_frame(const ats_app *app) {
    return app->dirty;
}

void ats_app_frame_presented(ats_app *app, double now_ms, double draw_ms) {
    app->state.timings.draw_ms = draw_ms;
    if (app->echo_ms > 0) { /* the edited text is on screen, whether or not its run is done */
        ats_latency_echo(app->latency, app->echo_ms, now_ms, ats_editor_length(app->editor),
                         app->state.computing);
        app->echo_ms = 0;
    }
    ats_latency_presented(app->latency, now_ms, draw_ms);
    app->dirty = false;
    app->posted_this_frame = false;
}

/* ---- getters -------------------------------------------------------------------------------- */

const ats_app_state *ats_app_get_state(const ats_app *app) {
    return &app->state;
}

const ats_editor *ats_app_get_editor(const ats_app *app) {
    return app->editor;
}

const char *ats_app_font_path(const ats_app *app) {
    return app->font_path;
}

const ats_run *ats_app_get_run(const ats_app *app) {
    return app->run;
}

const ats_model *ats_app_get_run_model(const ats_app *app) {
    return ats_shared_model_get(app->run_model);
}

const char *ats_app_get_run_text(const ats_app *app, size_t *len) {
    return box_run_text(app, len);
}

const ats_run *ats_app_get_text_run(const ats_app *app) {
    if (app->run && app->state.analysis.compare && app->state.edit_target)
        return app->extras ? app->extras->compare : NULL; /* the compared text B */
    if (!app->run || !app->state.seq2seq)
        return app->run;
    return app->state.edit_target ? app->run : ats_run_encoder(app->run);
}

const ats_editor *ats_app_get_other_editor(const ats_app *app) {
    return ats_app_state_two_boxes(&app->state) ? app->other : NULL;
}

bool ats_app_token_span(const ats_app *app, int index, size_t *start, size_t *end) {
    *start = *end = 0;
    const ats_run *run = ats_app_get_text_run(app);
    if (!run || index < 0 || index >= ats_run_n_tokens(run))
        return false;
    const ats_token *t = ats_tokens_get(ats_run_get_tokens(run), index);
    *start = (size_t)t->start;
    *end = (size_t)t->end;
    return ats_span_map_apply(&app->span_map, start, end);
}

const ats_latency *ats_app_get_latency(const ats_app *app) {
    return app->latency;
}

const ats_samples *ats_app_get_samples(const ats_app *app) {
    return &app->samples;
}
