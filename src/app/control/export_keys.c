/* Ctrl+S, Ctrl+Shift+S and Ctrl+E: the view as the window shows it, and the run's numbers, into
 * the export folder as new files (export_files.h), so a failure leaves nothing behind. A view is
 * encoded in memory first; the numbers are written as they are made, one head at a time, into
 * temporary files that get their names at the end. */
#include "app_internal.h"
#include "export_files.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ats_export_stem(const ats_view_state *st, char *out, size_t size) {
    const char *name = ats_view_kind_name(st->view);
    if (st->view == ATS_VIEW_GRID)
        snprintf(out, size, "attnscope-%s", name);
    else if (st->view == ATS_VIEW_LINES)
        snprintf(out, size, "attnscope-%s-L%d", name, st->layer);
    else
        snprintf(out, size, "attnscope-%s-L%dH%d", name, st->layer, st->head);
}

static void say(ats_app *app, double now_ms, bool error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(ats_app *app, double now_ms, bool error, const char *fmt, ...) {
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ats_app_state_show_banner(&app->state, msg, error, now_ms, error ? 0 : 4000);
    app->dirty = true;
}

/* The view rebuilt from the window's state at the views area's size, encoded as PNG or SVG. */
static ats_status encode_view(ats_app *app, ats_export_kind kind, const ats_view_data *data,
                              uint8_t **bytes, size_t *len, ats_error *err) {
    int x, y, w, h;
    if (!ats_ui_view_area(app->ui, &x, &y, &w, &h))
        return ats_fail(err, ATS_ERR_ARG, "the window has not been drawn yet");
    ats_font *font = ats_ui_font(app->ui);
    ats_view *view;
    if (ats_view_new(&view) != ATS_OK)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    const ats_view_state *st = &app->state.view;
    ats_run_pipeline pipe = {0};
    ats_view_data d = *data;
    ats_status s = ATS_OK;
    if (st->view == ATS_VIEW_PIPELINE) {
        s = ats_app_pipeline_make(app, &pipe, err);
        d.pipeline = &pipe.data;
    }
    if (s == ATS_OK)
        s = ats_view_build(view, st, &d, font, (float)w, (float)h, err);
    ats_meta meta;
    ats_meta_for_view(&meta, st, &d);
    const ats_dl *shown = ats_view_display_list(view);
    ats_dl *composite = NULL; /* a comparison: A, B and A - B as the window shows them */
    if (s == ATS_OK && app->state.analysis.compare && ats_dl_new(1, 1, &composite) == ATS_OK &&
        ats_ui_compose(app->ui, app, composite)) {
        shown = composite;
        ats_meta_add(&meta, "Compare", "text A, text B and A \xE2\x88\x92 B side by side");
    }
    /* the figure as shown, without the blank the views area had around it: the SVG from the
     * list moved to it, the PNG cut from the canvas (so its pixels are the window's) */
    float margin = 16.0f * st->ui_scale;
    int cx, cy, cw, ch;
    ats_dl_trim_rect(shown, font, margin, &cx, &cy, &cw, &ch);
    ats_dl *dl = NULL;
    if (s == ATS_OK && kind == ATS_EXPORT_SVG && ats_dl_trimmed(shown, font, margin, &dl) != ATS_OK)
        s = ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    if (s == ATS_OK && kind == ATS_EXPORT_SVG) {
        s = ats_svg_encode(dl, ats_font_family(font), &meta, 1.0f, (char **)bytes, len, err);
    } else if (s == ATS_OK) {
        w = (int)ats_dl_width(shown);
        h = (int)ats_dl_height(shown);
        ats_canvas c = ats_canvas_make(calloc((size_t)w * (size_t)h, 4), w, h, w * 4);
        s = c.pixels ? ats_render_draw(&c, shown, font, 1.0f, err) : ATS_ERR_NOMEM;
        ats_canvas crop = ats_canvas_sub(c, cx, cy, cw, ch);
        if (s == ATS_OK)
            s = ats_png_encode(&crop, &meta, bytes, len, err);
        free(c.pixels);
        if (s == ATS_ERR_NOMEM)
            ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    ats_dl_free(dl);
    ats_run_pipeline_free(&pipe);
    ats_view_free(view);
    ats_dl_free(composite);
    return s;
}

static ats_status export_view(ats_app *app, ats_export_kind kind, const ats_view_data *data,
                              char *path, size_t path_size, ats_error *err) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    ats_status s = encode_view(app, kind, data, &bytes, &len, err);
    if (s == ATS_OK) {
        char stem[96];
        ats_export_stem(&app->state.view, stem, sizeof stem);
        ats_out_file f = {kind == ATS_EXPORT_SVG ? ".svg" : ".png", bytes, len};
        s = ats_export_files_write(app->state.export_dir, stem, &f, 1, path, path_size, NULL, err);
    }
    free(bytes);
    return s;
}

/* The run's numbers: JSON, NPY (T5: an NPZ of its three kinds) and the CSV of the head shown,
 * and in the pipeline view its steps. A run kept whole writes every layer; a run that computes
 * its heads on demand (a long text: every layer would be gigabytes and minutes of compute) writes
 * the layer on screen, all its heads, and the notice names the command for the others. Writing
 * takes a while (GPT-2 small at 128 tokens is 22 MB of JSON), so it runs on a thread of its own
 * that holds references to the run and its model; the window keeps drawing, and the notice comes
 * when the files are there. */
typedef struct data_job {
    ats_app *app;
    ats_run *run;
    ats_shared_model *model;
    char *text;
    size_t text_len;
    char *target; /* T5: the decoder's text (NULL: generated) */
    size_t target_len;
    ats_attn_kind kind; /* T5: the attention shown, for the CSV */
    bool seq2seq;
    bool one_layer; /* the run computes its heads on demand: the layer shown only */
    int layer, head;
    bool pipeline;          /* the pipeline view: its numbers too */
    int token;              /* its query token */
    ats_step_opts what_if;  /* its what-if switches */
    ats_dump_extras extras; /* what the window shows beyond the attention (aggregate, ...) */
    char dir[1024];
} data_job;

/* The pipeline view's numbers: steps 1 to 7 of the head for the query token, with the what-if
 * switches, as JSON into f. */
static ats_status write_pipeline(const data_job *job, FILE *f, ats_error *err) {
    const ats_model *model = ats_shared_model_get(job->model);
    const ats_run *run = ats_run_of_kind(job->run, job->kind);
    ats_run_pipeline pipe = {0};
    ats_status s = run ? ats_run_pipeline_make_kind(&pipe, model, job->run, job->kind, job->layer,
                                                    job->head, job->token, &job->what_if, err)
                       : ATS_ERR_ARG;
    if (s == ATS_OK)
        s = ats_pipeline_write_json(f, model, run, job->text, job->text_len, &pipe.data,
                                    &job->what_if, err);
    ats_run_pipeline_free(&pipe);
    return s;
}

/* The layers a stack's files hold: all, or the job's layer alone (none when the stack has fewer
 * layers: a T5 decoder may be shallower than its encoder). */
static ats_dump_selection job_selection(const data_job *job, const ats_model_config *c) {
    ats_dump_selection sel = ats_dump_selection_all(c);
    if (job->one_layer) {
        sel.layer0 = job->layer < c->n_layer ? job->layer : 0;
        sel.n_layers = job->layer < c->n_layer ? 1 : 0;
    }
    return sel;
}

/* The JSON, NPY (T5: NPZ), CSV and pipeline files into f[0..3], one head in memory at a time. */
static ats_status write_numbers(const data_job *job, FILE *const *f, ats_error *err) {
    const ats_model *model = ats_shared_model_get(job->model);
    const ats_model_config *c = ats_model_get_config(model);
    const ats_run *run = job->run;
    ats_dump_selection sel = job_selection(job, c);
    char warning[256] = "";
    if (ats_run_dropped_tokens(run) > 0)
        snprintf(warning, sizeof warning,
                 "the text has %d tokens but the model's context is %d: only the first %d ran",
                 ats_run_n_tokens(run) + ats_run_dropped_tokens(run), c->context,
                 ats_run_n_tokens(run));
    const ats_model_config *dc = ats_model_get_decoder_config(model);
    ats_status s;
    if (dc) { /* T5: the three kinds; NPY is then an NPZ archive of them */
        ats_dump_selection dec = job_selection(job, dc);
        s = ats_dump_write_json_seq2seq(f[0], model, job->text, job->text_len, job->target,
                                        job->target_len, run, &sel, &dec, NULL, NULL, false, err);
        if (s == ATS_OK)
            s = ats_dump_write_npz_seq2seq(f[1], run, &sel, &dec, err);
        if (s == ATS_OK)
            s = ats_dump_write_csv_kind(f[2], run, job->kind, job->layer, job->head, err);
    } else {
        s = ats_dump_write_json(f[0], model, job->text, job->text_len, run, &sel,
                                warning[0] ? warning : NULL, NULL, &job->extras, false, err);
        if (s == ATS_OK)
            s = ats_dump_write_npy(f[1], run, &sel, err);
        if (s == ATS_OK)
            s = ats_dump_write_csv(f[2], run, job->layer, job->head, err);
    }
    if (s == ATS_OK && job->pipeline)
        s = write_pipeline(job, f[3], err);
    return s;
}

static ats_status write_data(const data_job *job, char *path, size_t path_size, ats_error *err) {
    int n_files = job->pipeline ? 4 : 3;
    ats_export_group *g;
    ats_status s = ats_export_group_open(job->dir, n_files, &g, err);
    if (s != ATS_OK)
        return s;
    FILE *f[4] = {0};
    for (int i = 0; i < n_files; i++)
        f[i] = ats_export_group_file(g, i);
    s = write_numbers(job, f, err);
    if (s != ATS_OK) {
        ats_export_group_abort(g);
        if (s == ATS_ERR_IO) { /* "cannot write: No space left on device": say where */
            char why[ATS_ERROR_MESSAGE_SIZE];
            snprintf(why, sizeof why, "%s", err->message);
            ats_fail(err, s, "%.300s: %.200s", job->dir, why);
        }
        return s;
    }
    char csv[48], pipe[64];
    snprintf(csv, sizeof csv, "-L%dH%d.csv", job->layer, job->head);
    snprintf(pipe, sizeof pipe, "-pipeline-L%dH%dT%d.json", job->layer, job->head, job->token);
    const char *suffixes[4] = {".json", job->seq2seq ? ".npz" : ".npy", csv, pipe};
    return ats_export_group_commit(g, "attnscope-run", suffixes, path, path_size, NULL, err);
}

static void *data_thread(void *arg) {
    data_job *job = arg;
    ats_app *app = job->app;
    char path[4096] = "", msg[1200];
    ats_error err = {0};
    ats_status s = write_data(job, path, sizeof path, &err);
    char layer[160] = ""; /* a long text's numbers: what they hold, and where the rest are */
    if (job->one_layer)
        snprintf(layer, sizeof layer,
                 ": layer %d only (a long text; other layers: attnscope dump --layer L)",
                 job->layer);
    if (s == ATS_OK && job->pipeline) /* the pipeline's steps with the others */
        snprintf(msg, sizeof msg, "saved %.*s.json, %s, -L%dH%d.csv and -pipeline-L%dH%dT%d.json%s",
                 (int)strlen(path) - 5, path, job->seq2seq ? ".npz" : ".npy", job->layer, job->head,
                 job->layer, job->head, job->token, layer);
    else if (s == ATS_OK) /* ".../attnscope-run-004.json": the NPY and CSV share its number */
        snprintf(msg, sizeof msg, "saved %.*s.json, %s and -L%dH%d.csv%s", (int)strlen(path) - 5,
                 path, job->seq2seq ? ".npz" : ".npy", job->layer, job->head, layer);
    else
        snprintf(msg, sizeof msg, "export failed: %s", err.message);
    ats_run_free(job->run);
    ats_shared_model_free(job->model);
    free(job->text);
    free(job->target);
    free(job);
    pthread_mutex_lock(&app->export_mu);
    snprintf(app->export_msg, sizeof app->export_msg, "%s", msg);
    app->export_failed = s != ATS_OK;
    app->export_done = true;
    pthread_mutex_unlock(&app->export_mu);
    if (app->wake)
        app->wake(app->wake_user);
    return NULL;
}

/* The numbers of what the window shows besides the attention: the aggregates and rollout in the
 * aggregate view, value-weighted attention when it is on, the prediction when the model makes
 * one (the JSON's "ablated" comes from the run itself). */
static ats_dump_extras export_extras(const ats_app *app) {
    const ats_app_state *s = &app->state;
    bool one_stack = !s->seq2seq && app->run;
    return (ats_dump_extras){.aggregate = one_stack && s->view.view == ATS_VIEW_AGGREGATE,
                             .rollout = one_stack && s->view.view == ATS_VIEW_AGGREGATE &&
                                        s->view.aggregate == ATS_AGGREGATE_ROLLOUT,
                             .value_weighted = one_stack && s->analysis.value_weighted,
                             .top_k =
                                 one_stack && ats_run_logits_last(app->run) ? ATS_TOP_K_SHOWN : 0,
                             .hide_logits = true};
}

/* A run whose heads (of either stack, on T5) are computed when asked for. */
static bool computed_on_demand(const ats_run *run) {
    const ats_run *encoder = ats_run_of_kind(run, ATS_ATTN_ENCODER);
    return !ats_run_attention_kept(run) || (encoder && !ats_run_attention_kept(encoder));
}

static ats_status start_data_export(ats_app *app, double now_ms) {
    if (app->export_running) {
        say(app, now_ms, false, "still saving the numbers of the last Ctrl+E");
        return ATS_ERR_ARG;
    }
    data_job *job = calloc(1, sizeof *job);
    char *text = job ? malloc(app->run_text_len + 1) : NULL;
    if (!text) {
        free(job);
        say(app, now_ms, true, "export: out of memory");
        return ATS_ERR_NOMEM;
    }
    memcpy(text, app->run_text, app->run_text_len);
    text[app->run_text_len] = '\0';
    *job = (data_job){.app = app,
                      .run = ats_run_retain(app->run),
                      .model = ats_shared_model_retain(app->run_model),
                      .text = text,
                      .text_len = app->run_text_len,
                      .kind = app->state.seq2seq ? app->state.attn_kind : ATS_ATTN_ENCODER,
                      .seq2seq = app->state.seq2seq,
                      .one_layer = computed_on_demand(app->run),
                      .layer = app->state.view.layer,
                      .head = app->state.view.head,
                      .pipeline = app->state.view.view == ATS_VIEW_PIPELINE &&
                                  ats_app_run_has_detail(app, app->state.view.layer),
                      .token = ats_app_pipeline_token(app),
                      .what_if = app->state.whatif,
                      .extras = export_extras(app)};
    if (app->run_target && !(job->target = malloc(app->run_target_len + 1))) {
        ats_run_free(job->run);
        ats_shared_model_free(job->model);
        free(job->text);
        free(job);
        say(app, now_ms, true, "export: out of memory");
        return ATS_ERR_NOMEM;
    }
    if (job->target) {
        memcpy(job->target, app->run_target, app->run_target_len);
        job->target[app->run_target_len] = '\0';
        job->target_len = app->run_target_len;
    }
    snprintf(job->dir, sizeof job->dir, "%s", app->state.export_dir);
    app->export_done = false;
    if (pthread_create(&app->export_thread, NULL, data_thread, job) != 0) {
        ats_run_free(job->run);
        ats_shared_model_free(job->model);
        free(job->text);
        free(job);
        say(app, now_ms, true, "export: cannot start a thread");
        return ATS_ERR_NOMEM;
    }
    app->export_running = true;
    say(app, now_ms, false, "saving the numbers\xE2\x80\xA6");
    return ATS_OK;
}

/* A picture that waited for the aggregate view's matrix: written once it is there. */
static bool export_waited(ats_app *app, double now_ms) {
    if (!app->export_waiting || ats_app_aggregate_pending(app, NULL, NULL))
        return false;
    ats_export_kind kind = (ats_export_kind)(app->export_waiting - 1);
    app->export_waiting = 0;
    if (app->state.view.view != ATS_VIEW_AGGREGATE || !app->run)
        say(app, now_ms, false, "the %s was not saved: the view changed before it was computed",
            kind == ATS_EXPORT_SVG ? "SVG" : "PNG");
    else
        ats_app_export(app, kind, now_ms, NULL, 0);
    return true;
}

bool ats_app_export_poll(ats_app *app, double now_ms) {
    if (export_waited(app, now_ms))
        return true;
    if (!app->export_running)
        return false;
    pthread_mutex_lock(&app->export_mu);
    bool done = app->export_done;
    pthread_mutex_unlock(&app->export_mu);
    if (!done)
        return false;
    pthread_join(app->export_thread, NULL);
    app->export_running = false;
    say(app, now_ms, app->export_failed, "%s", app->export_msg);
    return true;
}

bool ats_app_export_busy(const ats_app *app) {
    return app->export_running;
}

void ats_app_export_finish(ats_app *app) {
    if (app->export_running)
        pthread_join(app->export_thread, NULL);
    app->export_running = false;
}

ats_status ats_app_export(ats_app *app, ats_export_kind kind, double now_ms, char *path,
                          size_t path_size) {
    if (!app->run) {
        say(app, now_ms, true, "nothing to export yet: the text has not run");
        return ATS_ERR_ARG;
    }
    if (kind == ATS_EXPORT_DATA) {
        if (path)
            path[0] = '\0';
        return start_data_export(app, now_ms);
    }
    int done, total;
    if (app->state.view.view == ATS_VIEW_AGGREGATE &&
        ats_app_aggregate_pending(app, &done, &total)) {
        if (path) /* the picture must hold the real numbers, not the empty matrix drawn now */
            path[0] = '\0';
        app->export_waiting = (int)kind + 1;
        say(app, now_ms, false,
            "the %s is saved once the aggregate is computed (%d of %d heads so far)",
            kind == ATS_EXPORT_SVG ? "SVG" : "PNG", done, total);
        return ATS_OK;
    }
    char written[4096] = "";
    ats_error err = {0};
    ats_run_view vd;
    char title[320];
    if (ats_app_view_data(app, &vd, title, sizeof title) != ATS_OK) {
        say(app, now_ms, true, "export: out of memory");
        return ATS_ERR_NOMEM;
    }
    ats_status s = export_view(app, kind, &vd.data, written, sizeof written, &err);
    ats_run_view_free(&vd);
    if (s != ATS_OK) {
        say(app, now_ms, true, "export failed: %s", err.message);
        return s;
    }
    say(app, now_ms, false, "saved %s", written);
    if (path)
        snprintf(path, path_size, "%s", written);
    return ATS_OK;
}
