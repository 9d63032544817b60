/* A training folder in the window: its checkpoints load one at a time on the worker (a slider,
 * PageUp / PageDown, or F5 playing them in order), and while `attnscope train` is still writing
 * the folder the log is read again each second, so the newest checkpoint shows as it lands. */
#include "app_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAY_STEP_MS 450.0 /* one checkpoint to the next while playing */
#define RESCAN_MS    1000.0

static void close_series(ats_app *app) {
    if (!app->series)
        return;
    ats_series_free(app->series);
    free(app->series);
    app->series = NULL;
    app->series_playing = false;
}

/* The shown checkpoint's name for the panel and the title: "run · step 400". */
static void name_checkpoint(ats_app *app) {
    const ats_series *s = app->series;
    snprintf(app->series_title, sizeof app->series_title, "%.200s \xC2\xB7 step %d", s->name,
             s->step[app->series_index]);
}

void ats_app_series_show(ats_app *app, int index, double now_ms) {
    ats_series *s = app->series;
    if (!s)
        return;
    index = index < 0 ? 0 : index >= s->n ? s->n - 1 : index;
    if (index == app->series_index && app->series_load_seq != 0)
        return;
    app->series_index = index;
    name_checkpoint(app);
    ats_app_post_load(app, s->path[index], NULL, now_ms);
    app->series_load_seq = app->load_seq;
    app->dirty = true;
}

void ats_app_open_path(ats_app *app, const char *path, double now_ms) {
    if (!ats_series_is_training_folder(path)) {
        close_series(app);
        ats_app_post_load(app, path, NULL, now_ms);
        return;
    }
    ats_series *s = calloc(1, sizeof *s);
    ats_error err;
    if (!s || ats_series_read(path, s, &err) != ATS_OK) {
        free(s);
        ats_app_state_show_banner(&app->state, s ? err.message : "out of memory", true, now_ms, 0);
        app->dirty = true;
        return;
    }
    close_series(app);
    app->series = s;
    app->series_load_seq = 0;
    app->series_scan_ms = now_ms;
    ats_model_recent_add(path);                 /* the model picker's "Recent" */
    ats_app_series_show(app, s->n - 1, now_ms); /* the newest: what training has reached */
}

void ats_app_series_step(ats_app *app, int delta, double now_ms) {
    if (!app->series) {
        ats_app_state_show_banner(&app->state,
                                  "no training folder is open: attnscope train -o DIR writes one; "
                                  "open DIR to step through its checkpoints",
                                  false, now_ms, 0);
        app->dirty = true;
        return;
    }
    app->series_playing = false;
    ats_app_series_show(app, app->series_index + delta, now_ms);
}

void ats_app_series_toggle_play(ats_app *app, double now_ms) {
    if (!app->series) {
        ats_app_series_step(app, 0, now_ms); /* says how to open one */
        return;
    }
    app->series_playing = !app->series_playing;
    if (app->series_playing && app->series_index == app->series->n - 1)
        ats_app_series_show(app, 0, now_ms); /* from the start again */
    app->series_next_ms = now_ms + PLAY_STEP_MS;
    app->dirty = true;
}

/* Reads the log again when it grew; follows the newest checkpoint when it was shown. */
static bool rescan(ats_app *app, double now_ms) {
    ats_series *s = app->series;
    app->series_scan_ms = now_ms;
    if (s->finished || ats_series_log_size(s->dir) == s->log_size)
        return false;
    ats_series *fresh = calloc(1, sizeof *fresh);
    if (!fresh || ats_series_read(s->dir, fresh, NULL) != ATS_OK) {
        free(fresh);
        return false; /* keep what was read; the next scan tries again */
    }
    bool at_end = app->series_index == s->n - 1;
    int step = s->step[app->series_index];
    ats_series_free(s);
    free(s);
    app->series = fresh;
    app->series_index = ats_series_nearest(fresh, step);
    name_checkpoint(app);
    if (at_end && !app->series_playing)
        ats_app_series_show(app, fresh->n - 1, now_ms);
    return true;
}

bool ats_app_series_tick(ats_app *app, double now_ms) {
    if (!app->series)
        return false;
    bool changed = false;
    if (now_ms - app->series_scan_ms >= RESCAN_MS)
        changed = rescan(app, now_ms);
    /* playing: the next checkpoint once this one is on screen and has been for a moment */
    if (app->series_playing && now_ms >= app->series_next_ms && !app->state.loading &&
        !app->state.computing) {
        if (app->series_index + 1 >= app->series->n) {
            app->series_playing = false;
        } else {
            ats_app_series_show(app, app->series_index + 1, now_ms);
            app->series_next_ms = now_ms + PLAY_STEP_MS;
        }
        changed = true;
    }
    return changed;
}

void ats_app_series_loaded(ats_app *app, uint64_t seq) {
    if (app->series && seq == app->series_load_seq)
        snprintf(app->state.model_name, sizeof app->state.model_name, "%s", app->series_title);
}

void ats_app_series_free(ats_app *app) {
    close_series(app);
}

/* ---- getters ------------------------------------------------------------------------------ */

const ats_series *ats_app_get_series(const ats_app *app) {
    return app->series;
}

int ats_app_series_index(const ats_app *app) {
    return app->series ? app->series_index : -1;
}

bool ats_app_series_playing(const ats_app *app) {
    return app->series && app->series_playing;
}
