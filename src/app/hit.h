/* What is under the pointer, as the render side reports it. The renderer lays out the window
 * and answers "what is at (x, y)" with an ats_hit; the app turns hits into state changes
 * (ats_app_pointer_*), so every interaction rule lives in testable code that never draws. */
#ifndef ATS_APP_HIT_H
#define ATS_APP_HIT_H

#include <stddef.h>

typedef enum ats_hit_kind {
    ATS_HIT_NONE,         /* nothing interactive */
    ATS_HIT_TEXT,         /* the text box; offset: byte offset in the editor's text */
    ATS_HIT_TOKEN,        /* a token (strip chip, axis label, lines-view word); index */
    ATS_HIT_CELL,         /* a heatmap cell; index: query, index2: key; x, y as below */
    ATS_HIT_HEATMAP,      /* the heatmap area off the cells (axes, margins); x, y as below */
    ATS_HIT_GRID_HEAD,    /* a grid thumbnail; index: layer, index2: head */
    ATS_HIT_VIEW_TAB,     /* a view tab; index: ats_view_kind */
    ATS_HIT_LAYER,        /* a layer selector entry; index */
    ATS_HIT_HEAD,         /* a head selector entry; index */
    ATS_HIT_HEAD_TOGGLE,  /* lines view head toggle; index: head, ATS_HIT_ALL_HEADS, or
                             ATS_HIT_NO_HEADS */
    ATS_HIT_COLORMAP,     /* a colormap choice; index for ats_app_colormap_name */
    ATS_HIT_HIDE_SPECIAL, /* the hide-special-tokens toggle */
    ATS_HIT_THRESHOLD,    /* the lines threshold slider; value in [0, 1] under the pointer */
    ATS_HIT_VIEWS,        /* anywhere else in the views area */
} ats_hit_kind;

#define ATS_HIT_ALL_HEADS (-1)
#define ATS_HIT_NO_HEADS  (-2)

typedef struct ats_hit {
    ats_hit_kind kind;
    int index, index2;
    size_t offset; /* ATS_HIT_TEXT */
    float value;   /* ATS_HIT_THRESHOLD */
    float x, y;    /* CELL, HEATMAP: canvas pixels from the heatmap's origin (zoom anchor) */
} ats_hit;

#endif
