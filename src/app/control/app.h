/* The window's brain without the window: owns the editor, the UI state, the worker and the
 * latency log; turns key events, typed text, pointer hits and dropped paths into state changes
 * and runs; swaps in finished runs. The SDL shell (sdl_*.c) translates SDL events into these
 * calls, and draws what the getters return. Everything runs on the UI thread; times are
 * milliseconds of ats_clock_ms (the shell converts SDL event timestamps). Work that takes longer
 * runs on threads the app owns and joins in ats_app_free: the worker (runs and loads), the head
 * fetcher (the heads of a long text that the views draw, rundata.h), the data export.
 *
 * Run lifetime: the run returned by ats_app_get_run (and its model and text) stays valid until
 * the next ats_app_update, which may swap in a newer one. The shown run always comes from the
 * model the state describes: loading a new model drops the old run, and outcomes from a model
 * swapped out are discarded. */
#ifndef ATS_APP_APP_H
#define ATS_APP_APP_H

#include "app_state.h"
#include "editor.h"
#include "export_keys.h"
#include "hit.h"
#include "keymap.h"
#include "latency.h"
#include "samples.h"

#include "attnscope/engine.h"

typedef struct ats_app ats_app;

/* The sentence the window opens with when no --text is given. */
#define ATS_APP_SAMPLE_TEXT "The animal didn't cross the street because it was too tired."

typedef struct ats_app_config {
    const char *model_path;     /* NULL: builtin:demo */
    const char *tokenizer_path; /* --tokenizer; NULL looks beside the model */
    bool causal;                /* --causal (builtin:demo) */
    const char *text;           /* NULL: ATS_APP_SAMPLE_TEXT */
    size_t text_len;
    const char *font_path;        /* --font, for the renderer; NULL: fontconfig's DejaVu Sans */
    const char *export_dir;       /* --export-dir; NULL: the current directory */
    size_t max_text_bytes;        /* 0: the editor's default */
    const char *latency_log_path; /* NULL: figures kept in memory only */
    /* bytes of attention a run keeps whole (ats_run_opts.attention_budget); 0: the default
     * (tests make a short text's run compute its heads on demand with a small one) */
    size_t attention_budget;
    /* a second model to compare with (the same tokenizer), or NULL */
    const char *compare_model_path;
    /* called from a worker thread when an outcome is ready, and from the head fetcher's when
     * a head is (the shell wakes its loop; the next ats_app_update takes what arrived) */
    void (*wake)(void *user);
    void *wake_user;
} ats_app_config;

/* Opens the font, starts the worker and the first model load. On failure *out is NULL and err
 * says why: ATS_ERR_ARG invalid UTF-8 or too long --text, ATS_ERR_IO an unreadable font, an
 * unwritable latency log or a missing export folder, ATS_ERR_NOMEM no memory or no threads. */
ats_status ats_app_new(const ats_app_config *cfg, double now_ms, ats_app **out, ats_error *err);
void ats_app_free(ats_app *app);

/* The clipboard the editor's copy/cut/paste use (copied; NULL: none). */
void ats_app_set_clipboard(ats_app *app, const ats_clipboard *cb);

/* ---- input -------------------------------------------------------------------------------- */

/* Every key press, bound or not (an unbound one resets the rule below). */
void ats_app_key(ats_app *app, ats_key_event ev, double event_ms);
/* SDL_TEXTINPUT: typed or IME-committed UTF-8. Text right after a Ctrl/Alt shortcut's key press
 * is that shortcut's own text (X11 reports Ctrl+plus as "+") and is dropped. */
void ats_app_text_input(ats_app *app, const char *utf8, double event_ms);
/* SDL_TEXTEDITING: what an input method is composing (not yet text: committed text arrives
 * through ats_app_text_input). "" ends the composition. */
void ats_app_set_preedit(ats_app *app, const char *utf8, int cursor);
/* Opens a model file or folder in the background (--model, a drop). */
void ats_app_open_model(ats_app *app, const char *path, double now_ms);
/* A file or folder dropped on the window at `hit` with modifiers `mods`: a folder dropped on
 * the export box (or with Shift held) becomes the export folder; anything else opens as a
 * model. */
void ats_app_drop(ats_app *app, const char *path, const ats_app_hit *hit, unsigned mods,
                  double now_ms);
/* Where exports go (a folder that exists); false with an error banner otherwise. */
bool ats_app_set_export_dir(ats_app *app, const char *dir, double now_ms);
/* The screen's pixel ratio (device pixels per window point), before each frame. */
void ats_app_set_device_scale(ats_app *app, float scale);

/* The pointer moved with no button held. */
void ats_app_pointer_move(ats_app *app, const ats_app_hit *hit);
/* A button went down; clicks: 1 single, 2 double. mods: ATS_MOD_*. */
void ats_app_pointer_down(ats_app *app, const ats_app_hit *hit, int clicks, unsigned mods,
                          double now_ms);
/* The pointer moved with the button held, by (dx, dy) device pixels. */
void ats_app_pointer_drag(ats_app *app, const ats_app_hit *hit, float dx, float dy);
void ats_app_pointer_up(ats_app *app);
/* Wheel: dy > 0 away from the user (zoom in on the heatmap; scroll the panel up). */
void ats_app_wheel(ats_app *app, const ats_app_hit *hit, float dy);

/* Applies one action from the key map (also what a side-panel button does). */
void ats_app_do(ats_app *app, ats_action action, int arg, bool shift, double now_ms);

/* ---- per frame ---------------------------------------------------------------------------- */

/* Takes finished work from the worker, expires the banner, closes the typing undo group after a
 * pause. */
void ats_app_update(ats_app *app, double now_ms);
/* When a run was posted since the last frame, waits up to max_ms for its outcome, so that a fast
 * model's result shows in the same frame as the keystroke; then call ats_app_update. Never waits
 * longer than max_ms, whatever the model. */
void ats_app_wait_result(ats_app *app, double max_ms);
/* Something visible changed since the last presented frame. */
bool ats_app_needs_frame(const ats_app *app);
/* The shell presented a frame that took draw_ms to draw: completes the latency record. */
void ats_app_frame_presented(ats_app *app, double now_ms, double draw_ms);

/* ---- what the renderer reads ------------------------------------------------------------- */

const ats_app_state *ats_app_get_state(const ats_app *app);
const ats_editor *ats_app_get_editor(const ats_app *app);
const char *ats_app_font_path(const ats_app *app); /* NULL: the default */
/* The run the views show, NULL before the first one. */
const ats_run *ats_app_get_run(const ats_app *app);
/* The model it came from (NULL with it): names, config for labels. */
const ats_model *ats_app_get_run_model(const ats_app *app);
/* The text the shown run was computed from (its token spans index into it); for T5 the text
 * behind the box with the keyboard (the source, or the target). */
const char *ats_app_get_run_text(const ats_app *app, size_t *len);
/* The run whose tokens belong to the box with the keyboard: the shown run, or for T5 the
 * encoder's run while the source is edited. */
const ats_run *ats_app_get_text_run(const ats_app *app);
/* The run of the attention the views show: the shown run, or for T5 the encoder's run for the
 * encoder's attention and the decoder's for the decoder's and the cross-attention. */
const ats_run *ats_app_view_run(const ats_app *app);
/* T5: the text box without the keyboard (drawn as the second box), else NULL. */
const ats_editor *ats_app_get_other_editor(const ats_app *app);
/* Token `index`'s span mapped onto the editor's current text (for the token strip). True when
 * exact; false when the edits since the run touched the token (span stretched over the change)
 * or index is out of range (span 0..0). */
bool ats_app_token_span(const ats_app *app, int index, size_t *start, size_t *end);
const ats_latency *ats_app_get_latency(const ats_app *app);
/* The pipeline view's query token: the locked token, else the last one (-1 without a run). */
int ats_app_pipeline_token(const ats_app *app);
/* The sample sentences of the side panel's menu. */
const ats_samples *ats_app_get_samples(const ats_app *app);
/* The model picker's list (filled when it opens). */
const struct ats_model_list *ats_app_get_models(const ats_app *app);
/* The training folder open (its checkpoints, losses and head scores), or NULL; the checkpoint
 * shown (-1 without a series); whether F5 is playing through them. */
const struct ats_series *ats_app_get_series(const ats_app *app);
int ats_app_series_index(const ats_app *app);
bool ats_app_series_playing(const ats_app *app);

#endif
