/* What the window shows, as plain data: the renderer reads it, input handling changes it through
 * the functions below (which keep it consistent: layer and head inside the model, tokens inside
 * the run). No SDL, no engine calls; times are milliseconds from any monotonic clock.
 *
 * Everything the views draw lives in one ats_view_state (render.h), the very state an export of
 * the view is built from, so Ctrl+S writes what the window shows. The other fields are the
 * window's own: text focus, input-method preedit, banner, timings, loading, help, full screen. */
#ifndef ATS_APP_STATE_H
#define ATS_APP_STATE_H

#include "app_analysis.h"
#include "hit.h"
#include "keymap.h"

#include "attnscope/engine.h"
#include "attnscope/render.h"
#include "attnscope/rundata.h"

#include <stdbool.h>
#include <stdint.h>

#define ATS_TEXT_SCALE_MIN 0.5f
#define ATS_TEXT_SCALE_MAX 4.0f
#define ATS_BANNER_MS      6000.0

typedef struct ats_app_timings {
    int n_tokens, n_dropped; /* of the run shown; n_dropped: cut beyond the context */
    int context;             /* the model's context, for "n dropped" */
    double tokenize_ms, forward_ms;
    double draw_ms; /* the last frame's */
} ats_app_timings;

/* The side panel: AUTO shows it unless presentation size leaves the views too narrow (the
 * window's layout decides, ui.h); F9 makes it SHOWN or HIDDEN (projector mode). */
typedef enum ats_panel_mode {
    ATS_PANEL_AUTO,
    ATS_PANEL_SHOWN,
    ATS_PANEL_HIDDEN,
} ats_panel_mode;

typedef struct ats_app_state {
    /* What the views draw and an export writes: view kind, layer, head, hovered and locked
     * token, hovered cell and thumbnail, heatmap zoom and pan, lines threshold and head toggles,
     * colormap, hidden special tokens, and ui_scale = device_scale * text_scale. */
    ats_view_state view;

    /* the model shown (n_layer == 0 before the first model arrives) */
    char model_name[256];
    char model_arch[16];
    char model_format[32];                           /* "safetensors F32", "builtin" */
    int n_layer, n_head, n_kv_head, d_model, d_head; /* n_layer: of the stack shown */
    bool causal;
    /* encoder-decoder models (T5): which attention the views show, each stack's layers, and
     * which text box has the keyboard */
    bool seq2seq;
    ats_attn_kind attn_kind;
    int n_layer_enc, n_layer_dec;
    bool edit_target;
    int hover_kind;         /* the grid's band under the pointer (its hovered thumbnail's kind) */
    bool loading;           /* a model load is pending or running */
    char loading_path[512]; /* what is loading, for the "loading ..." indicator */
    bool computing;         /* a run is pending or computing */

    /* the window's own */
    ats_focus focus;
    char preedit[128];  /* text an input method is composing, drawn at the cursor ("" none) */
    int preedit_cursor; /* byte offset of the composition's cursor in preedit */
    int n_tokens;       /* of the run shown; hover and lock stay below it */
    float text_scale;   /* presentation size (Ctrl+plus/minus); 1 normal; also view.present_scale */
    float device_scale; /* device pixels per window point (HiDPI); set by the shell */
    ats_panel_mode panel; /* the side panel: shown, hidden (projector mode, F9), or automatic */
    bool strip_hidden;    /* the token strip hidden (Shift+F9) */
    bool picker_open;     /* the model picker (Ctrl+O) */
    int picker_scroll;    /* its first entry shown */
    int picker_sel;       /* its entry Up / Down / Enter act on */
    int digit_head;       /* views: the head number being typed (two digits reach 10 and up) */
    double digit_ms;      /* when its last digit came */
    bool fullscreen;
    bool help_visible;
    bool samples_open;     /* the sample-sentence menu */
    float panel_scroll;    /* side panel scrolled by this many device pixels */
    char export_dir[1024]; /* where Ctrl+S / Ctrl+Shift+S / Ctrl+E write ("." by default) */
    int anim_phase;        /* the loading indicator's animation step */
    ats_app_hit_kind hover_control; /* the panel control under the pointer, for its shading */
    int hover_index;
    /* the pipeline view's what-if switches (its step is view.step; its query token is the
     * locked token, else the last one) */
    ats_step_opts whatif;
    /* value-weighted attention, head metrics, prediction, ablation, compare (app_analysis.h) */
    ats_analysis_ui analysis;

    /* status */
    ats_app_timings timings;
    char run_error[512]; /* why the newest text could not run ("" when it ran) */
    char banner[1024];   /* a message over the views ("" none) */
    bool banner_is_error;
    double banner_until_ms;

    bool quit_requested;
} ats_app_state;

void ats_app_state_init(ats_app_state *s);
/* Two text boxes: T5's source and target, or the two texts a comparison runs (A and B). */
bool ats_app_state_two_boxes(const ats_app_state *s);

/* A new model: its name, architecture name, format line and shape; layer and head are clamped,
 * the head toggles, hovered thumbnail and heatmap zoom reset. */
void ats_app_state_set_model(ats_app_state *s, const char *name, const char *arch,
                             const char *format, const ats_model_config *config);
/* An encoder-decoder model's decoder (NULL: a one-stack model): the kinds of attention it
 * offers; the views start on the encoder's. */
void ats_app_state_set_decoder(ats_app_state *s, const ats_model_config *decoder);
/* The attention the views show (encoder, decoder, cross; -1 the next one): the layer count
 * follows its stack, the hovered and locked tokens are dropped. Ignored for one-stack models. */
void ats_app_state_set_kind(ats_app_state *s, int kind);
/* "encoder self-attention", "decoder self-attention", "cross-attention". */
const char *ats_app_kind_title(ats_attn_kind kind);
/* A new run shown: hover and lock are dropped when they fall outside its tokens. */
void ats_app_state_set_tokens(ats_app_state *s, int n_tokens);

void ats_app_state_set_layer(ats_app_state *s, int layer); /* clamped */
void ats_app_state_set_head(ats_app_state *s, int head);   /* clamped */
/* A digit typed in the views at now_ms: head `digit`, or with a digit typed within a second
 * before, the two-digit head they make when the model has it ("1" then "2": head 12). */
void ats_app_state_type_head_digit(ats_app_state *s, int digit, double now_ms);
/* The views the window offers (the pipeline view once its data can be made). */
bool ats_app_view_available(ats_view_kind view);
void ats_app_state_set_view(ats_app_state *s, ats_view_kind view); /* ignored when unavailable */
void ats_app_state_step_view(ats_app_state *s, int delta);         /* wraps around */

/* Hovering a token (-1 for none) and clicking one, as the query or the key: a click locks it,
 * a second click on the locked token (or Esc) unlocks. */
void ats_app_state_hover_token(ats_app_state *s, int token, ats_token_side side);
void ats_app_state_click_token(ats_app_state *s, int token, ats_token_side side);
void ats_app_state_unlock(ats_app_state *s);
/* The token the views emphasise: the locked one, else the hovered one, else -1. */
int ats_app_state_focus_token(const ats_app_state *s);

/* Pipeline view: the highlighted step moves by delta through 0 (none) .. ATS_PIPELINE_STEPS,
 * wrapping around. */
void ats_app_state_step_pipeline(ats_app_state *s, int delta);
/* What-if switches: any differs from the model's own computation. */
bool ats_app_state_whatif_active(const ats_app_state *s);
void ats_app_state_set_temperature(ats_app_state *s, float t); /* clamped to [0.1, 10] */
/* The temperature slider is logarithmic: position 0 is 0.1, 0.5 is 1, 1 is 10. */
float ats_app_temperature_at(float position);
float ats_app_temperature_position(float temperature);

/* Lines view head toggles. */
void ats_app_state_toggle_head_shown(ats_app_state *s, int head);
void ats_app_state_show_all_heads(ats_app_state *s, bool shown);
bool ats_app_state_head_shown(const ats_app_state *s, int head);

void ats_app_state_reset_zoom(ats_app_state *s);
/* Home or a double-click: the heatmap fits every token again, the lines view goes back to the
 * first rows of a long text. */
void ats_app_state_fit_view(ats_app_state *s);
void ats_app_state_set_threshold(ats_app_state *s, float threshold); /* clamped to [0, 1] */
/* Lines view: the top k keys of each query (k in [1, 20]), or the strongest keys up to a share of
 * each row (mass in [0.05, 1]). */
void ats_app_state_set_top_k(ats_app_state *s, int k);
void ats_app_state_set_line_mass(ats_app_state *s, float mass);
/* The lines slider at `position` in [0, 1]: k from 1 to 10, or the mass from 50% to 100% in
 * steps of 5%, whichever cut is chosen; and where the slider's knob stands. */
void ats_app_state_set_line_amount(ats_app_state *s, float position);
float ats_app_line_amount_position(const ats_app_state *s);
/* Ctrl+H: special tokens shown -> hidden with their weight shown apart -> hidden with the rows
 * renormalized -> shown. */
void ats_app_state_cycle_special(ats_app_state *s);
void ats_app_state_set_colormap(ats_app_state *s, ats_colormap map); /* ignored when unknown */
void ats_app_state_set_color_scale(ats_app_state *s,
                                   ats_color_scale scale); /* ignored if unknown */
/* F9 / Shift+F9: the side panel hidden or shown (`visible`: whether it shows now), the token
 * strip hidden or shown. */
void ats_app_state_toggle_panel(ats_app_state *s, bool visible);
void ats_app_state_toggle_strip(ats_app_state *s);
/* Ctrl+plus / minus: steps of 1.25x within [ATS_TEXT_SCALE_MIN, ATS_TEXT_SCALE_MAX]. */
void ats_app_state_scale_text(ats_app_state *s, int steps);
void ats_app_state_reset_text_scale(ats_app_state *s);
/* The screen's pixel ratio; false when it did not change. */
bool ats_app_state_set_device_scale(ats_app_state *s, float scale);

/* A banner shown until now_ms + duration_ms (ATS_BANNER_MS when 0). */
void ats_app_state_show_banner(ats_app_state *s, const char *message, bool is_error, double now_ms,
                               double duration_ms);
/* Clears an expired banner; true when something changed. */
bool ats_app_state_tick(ats_app_state *s, double now_ms);

#endif
