/* What the window shows, as plain data: the renderer reads it, input handling changes it through
 * the functions below (which keep it consistent: layer and head inside the model, tokens inside
 * the run). No SDL, no engine calls; times are milliseconds from any monotonic clock. */
#ifndef ATS_APP_STATE_H
#define ATS_APP_STATE_H

#include "keymap.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum ats_view_kind {
    ATS_VIEW_HEATMAP,
    ATS_VIEW_LINES,
    ATS_VIEW_GRID,
    /* ATS_VIEW_PIPELINE comes here */
    ATS_VIEW_COUNT,
} ats_view_kind;

/* "heatmap", "lines", "grid": the names --view uses. */
const char *ats_view_name(ats_view_kind view);

/* Colormaps offered by the side panel, in order; index 0 is the default. */
#define ATS_COLORMAP_COUNT 4
const char *ats_app_colormap_name(int index); /* "viridis", "magma", "cividis", "greys" */
int ats_app_colormap_find(const char *name);  /* -1 when unknown */

#define ATS_APP_MAX_HEADS  256
#define ATS_TEXT_SCALE_MIN 0.5f
#define ATS_TEXT_SCALE_MAX 4.0f
#define ATS_BANNER_MS      6000.0

typedef struct ats_app_timings {
    int n_tokens, n_dropped; /* of the run shown; n_dropped: cut beyond the context */
    double tokenize_ms, forward_ms;
    double draw_ms; /* the last frame's */
} ats_app_timings;

typedef struct ats_app_state {
    /* the model shown (n_layer == 0 before the first model arrives) */
    char model_name[256];
    char model_arch[16];
    int n_layer, n_head;
    bool causal;
    bool loading;           /* a model load is pending or running */
    char loading_path[512]; /* what is loading, for the "loading ..." indicator */
    bool computing;         /* a run is pending or computing */

    /* what is looked at */
    int layer, head; /* 0-based, always inside the model */
    ats_view_kind view;
    ats_focus focus;
    char preedit[128];  /* text an input method is composing, drawn at the cursor ("" none) */
    int preedit_cursor; /* byte offset of the composition's cursor in preedit */
    int n_tokens;       /* of the run shown; hover and lock stay below it */
    int hover_token;    /* under the mouse (token strip, axis labels, lines), -1 none */
    int locked_token;   /* clicked: wins over hover until Esc or a second click, -1 none */
    int hover_query, hover_key;             /* heatmap cell under the mouse, -1 none */
    int hover_layer, hover_head;            /* grid thumbnail under the mouse, -1 none */
    uint8_t head_hidden[ATS_APP_MAX_HEADS]; /* lines view: per-head toggle, 1 hidden */

    /* heatmap navigation: canvas pixels, applied by the heatmap view */
    float heat_zoom; /* 1 = fit */
    float heat_pan_x, heat_pan_y;

    /* options */
    float threshold; /* lines view: weights below it are not drawn, [0, 1] */
    int colormap;    /* index for ats_app_colormap_name */
    bool hide_special;
    float text_scale; /* presentation mode, multiplies the HiDPI scale; 1 normal */
    bool fullscreen;
    bool help_visible;

    /* status */
    ats_app_timings timings;
    char run_error[512]; /* why the newest text could not run ("" when it ran) */
    char banner[512];    /* a message over the views ("" none) */
    bool banner_is_error;
    double banner_until_ms;

    bool quit_requested;
} ats_app_state;

void ats_app_state_init(ats_app_state *s);

/* A new model: its shape; layer and head are clamped, the head toggles reset. */
void ats_app_state_set_model(ats_app_state *s, const char *name, const char *arch, int n_layer,
                             int n_head, bool causal);
/* A new run shown: hover and lock are dropped when they fall outside its tokens. */
void ats_app_state_set_tokens(ats_app_state *s, int n_tokens);

void ats_app_state_set_layer(ats_app_state *s, int layer); /* clamped */
void ats_app_state_set_head(ats_app_state *s, int head);   /* clamped */
void ats_app_state_set_view(ats_app_state *s, ats_view_kind view);
void ats_app_state_step_view(ats_app_state *s, int delta); /* wraps around */

/* Hovering a token (-1 for none) and clicking one: a click locks it, a second click on the
 * locked token (or Esc) unlocks. */
void ats_app_state_hover_token(ats_app_state *s, int token);
void ats_app_state_click_token(ats_app_state *s, int token);
void ats_app_state_unlock(ats_app_state *s);
/* The token the views emphasise: the locked one, else the hovered one, else -1. */
int ats_app_state_focus_token(const ats_app_state *s);

void ats_app_state_toggle_head_shown(ats_app_state *s, int head);
void ats_app_state_show_all_heads(ats_app_state *s, bool shown);
bool ats_app_state_head_shown(const ats_app_state *s, int head);

/* Zooms the heatmap by `factor` keeping the point (x, y) (canvas pixels from the heatmap's
 * origin) in place; zoom stays in [1, 64]. */
void ats_app_state_zoom_heatmap(ats_app_state *s, float factor, float x, float y);
void ats_app_state_pan_heatmap(ats_app_state *s, float dx, float dy);
void ats_app_state_reset_heatmap(ats_app_state *s);

void ats_app_state_set_threshold(ats_app_state *s, float threshold); /* clamped to [0, 1] */
void ats_app_state_set_colormap(ats_app_state *s, int index);        /* ignored when unknown */
/* Ctrl+plus / minus: steps of 1.25x within [ATS_TEXT_SCALE_MIN, ATS_TEXT_SCALE_MAX]. */
void ats_app_state_scale_text(ats_app_state *s, int steps);

/* A banner shown until now_ms + duration_ms (ATS_BANNER_MS when 0). */
void ats_app_state_show_banner(ats_app_state *s, const char *message, bool is_error, double now_ms,
                               double duration_ms);
/* Clears an expired banner; true when something changed. */
bool ats_app_state_tick(ats_app_state *s, double now_ms);

#endif
