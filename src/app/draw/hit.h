/* What is under the pointer in the window. The window's renderer (ui.h) lays out the chrome and
 * answers "what is at (x, y)" with an ats_app_hit, turning the view's own hits (render.h's
 * ats_hit) into these; the app turns hits into state changes (ats_app_pointer_*), so every
 * interaction rule lives in code that never draws. */
#ifndef ATS_APP_HIT_H
#define ATS_APP_HIT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ats_app_hit_kind {
    ATS_APP_HIT_NONE,         /* nothing interactive */
    ATS_APP_HIT_TEXT,         /* the text box; offset: byte offset in the editor's text */
    ATS_APP_HIT_CHIP,         /* a token chip of the strip; index: token */
    ATS_APP_HIT_TOKEN,        /* a token label in a view; index: token, side: ats_token_side */
    ATS_APP_HIT_CELL,         /* a heatmap cell; index: query, index2: key; x, y as below */
    ATS_APP_HIT_VIEWS,        /* the views area off the above; x, y as below */
    ATS_APP_HIT_GRID_HEAD,    /* a grid thumbnail; index: layer, index2: head */
    ATS_APP_HIT_VIEW_TAB,     /* a view tab; index: ats_view_kind */
    ATS_APP_HIT_LAYER,        /* a layer selector entry; index */
    ATS_APP_HIT_HEAD,         /* a head selector entry; index */
    ATS_APP_HIT_HEAD_TOGGLE,  /* lines view head toggle; index: head, ATS_HIT_ALL_HEADS, or
                                 ATS_HIT_NO_HEADS */
    ATS_APP_HIT_COLORMAP,     /* a colormap choice; index: ats_colormap */
    ATS_APP_HIT_HIDE_SPECIAL, /* the hide-special-tokens toggle */
    ATS_APP_HIT_COLOR_SCALE,  /* a colour-scale choice; index: ats_color_scale */
    ATS_APP_HIT_SPECIAL_MODE, /* hidden special tokens: index 0 weight apart, 1 renormalize */
    ATS_APP_HIT_THRESHOLD,    /* the lines threshold slider; value in [0, 1] under the pointer */
    ATS_APP_HIT_LINE_CUT,     /* lines: index 0 top k, 1 cumulative mass */
    ATS_APP_HIT_LINE_AMOUNT,  /* lines: the k or mass slider; value in [0, 1] */
    ATS_APP_HIT_PANEL_TOGGLE, /* the button that hides / shows the side panel */
    ATS_APP_HIT_PICKER,       /* the button that opens the model picker */
    ATS_APP_HIT_PICKER_ENTRY, /* a model of the open picker; index into its list */
    ATS_APP_HIT_SAMPLES,      /* the sample-sentence menu button */
    ATS_APP_HIT_SAMPLE,       /* a sentence of the open menu; index */
    ATS_APP_HIT_EXPORT,       /* an export button; index: ats_export_kind */
    ATS_APP_HIT_EXPORT_DIR,   /* the export folder box (a folder dropped here becomes it) */
    ATS_APP_HIT_STEP,         /* a pipeline step button; index: 0 (none) .. ATS_PIPELINE_STEPS */
    ATS_APP_HIT_WHATIF_SCALE, /* the what-if "divide by sqrt(d_k)" toggle */
    ATS_APP_HIT_WHATIF_MASK,  /* the what-if mask choice; index: -1 the model's, 0 off, 1 on */
    ATS_APP_HIT_TEMPERATURE,  /* the what-if temperature slider; value in [0, 1] (log scale) */
    ATS_APP_HIT_CHECKPOINT,   /* the training checkpoint slider; value in [0, 1] over them */
    ATS_APP_HIT_TRAIN_PLOT,   /* the training plot; value in [0, 1] across its step axis */
    ATS_APP_HIT_REPLAY,       /* the play / pause button of the training replay */
    ATS_APP_HIT_BUILTIN,      /* a built-in model button; index: 0 builtin:demo, 1 builtin:tiny */
    ATS_APP_HIT_PANEL,        /* the side panel off its controls (the wheel scrolls it) */
    ATS_APP_HIT_BANNER,       /* the banner (a click dismisses it) */
    ATS_APP_HIT_HELP,         /* the help overlay (a click closes it) */
    ATS_APP_HIT_MENU_OUTSIDE, /* outside an open menu (a click closes it) */
    ATS_APP_HIT_TEXT_OTHER,   /* T5: the text box without the keyboard (a click switches) */
    ATS_APP_HIT_ATTN_KIND,    /* T5: an attention kind button; index: ats_attn_kind */
    ATS_APP_HIT_GENERATE,     /* T5: the generate button */
    /* analysis (draw_analysis.c) */
    ATS_APP_HIT_PREDICTION,     /* a predicted next token; index: its rank (a click appends it) */
    ATS_APP_HIT_NEXT_TOKEN,     /* generate one token; index 0 most probable, 1 sampled */
    ATS_APP_HIT_VALUE_WEIGHTED, /* the value-weighted toggle */
    ATS_APP_HIT_METRIC,         /* a metric for the grid's heads; index: ats_metric, -1 none */
    ATS_APP_HIT_FILTER,         /* the grid filter's slider; value in [0, 1] */
    ATS_APP_HIT_RANKED_HEAD,    /* a head of the metric ranking; index: layer * n_head + head */
    ATS_APP_HIT_ABLATED,        /* an ablated head, index layer * n_head + head (a click restores
                                   it); index -1: every head */
    ATS_APP_HIT_AGGREGATE,      /* an aggregate choice; index: ats_aggregate */
    ATS_APP_HIT_COMPARE,        /* the compare toggle */
} ats_app_hit_kind;

#define ATS_HIT_ALL_HEADS (-1)
#define ATS_HIT_NO_HEADS  (-2)

typedef struct ats_app_hit {
    ats_app_hit_kind kind;
    int index, index2;
    int side;      /* TOKEN: ats_token_side */
    size_t offset; /* TEXT */
    float value;   /* THRESHOLD, LINE_AMOUNT, TEMPERATURE, FILTER, CHECKPOINT, TRAIN_PLOT */
    float x, y;    /* CELL, VIEWS: device pixels from the views area's corner (zoom anchor) */
    bool in_view;  /* inside the views area (a lines-view legend entry, not a panel toggle) */
} ats_app_hit;

#endif
