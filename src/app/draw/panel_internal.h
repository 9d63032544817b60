/* Shared by the side panel's files (draw_panel.c, draw_panel_pipeline.c, panel_widgets.c): the
 * panel being laid out, top to bottom, and its controls. */
#ifndef ATS_APP_PANEL_INTERNAL_H
#define ATS_APP_PANEL_INTERNAL_H

#include "ui_internal.h"

typedef struct pane {
    ats_ui *ui;
    paint *p;
    const ats_app *app;
    const ats_app_state *s;
    frect clip; /* the visible inside of the panel */
    float x, w; /* the content column */
    float y;    /* the next free line, scrolled */
    float u;
} pane;

/* Remembers r (clipped to the visible panel) as answering `hit`. */
void ats_pane_region(pane *pn, frect r, ats_app_hit hit);
/* The control of that kind and index is under the pointer. */
bool ats_pane_hovered(const pane *pn, ats_app_hit_kind kind, int index);
/* A section's heading in small capitals; moves pn->y below it. */
void ats_pane_heading(pane *pn, const char *text);
/* A box with a centred label, filled in the accent colour when selected. */
void ats_pane_button(pane *pn, frect r, const char *label, bool selected, bool hover,
                     ats_app_hit hit);
/* A check box with its label on a row of its own (wrapped, never cut); moves pn->y below it. */
void ats_pane_checkbox(pane *pn, const char *label, bool checked, ats_app_hit hit);
/* n buttons in rows of per_row, the one whose index is `selected` filled; each answers `kind`
 * with indices[i] (NULL: i). Moves pn->y below them. */
void ats_pane_choices(pane *pn, const char *const *labels, int n, int per_row, int selected,
                      ats_app_hit_kind kind, const int *indices);
/* A note in small muted text wrapped to the column; moves pn->y below it. */
void ats_pane_note(pane *pn, const char *text);
/* A slider over the column's width with the knob at position in [0, 1] (the hit's value is
 * where the pointer is, see ats_ui_hit_test); centre_mark marks the middle rather than filling
 * up to the knob. Moves pn->y below it. */
void ats_pane_slider(pane *pn, float position, ats_app_hit_kind kind, bool centre_mark);

/* The pipeline view's section: steps, query token, what-if switches (draw_panel_pipeline.c). */
void ats_pane_pipeline(pane *pn);
/* Prediction, aggregate, head metric and ablation (draw_analysis.c), and the analysis
 * switches (value-weighted, compare) at the panel's end. */
void ats_pane_analysis(pane *pn);
void ats_pane_analysis_switches(pane *pn);

/* The built-in models as two buttons, and the TRAINING section of an open training folder
 * (draw_panel_training.c; nothing without one). */
void ats_pane_builtin_models(pane *pn);
void ats_pane_training(pane *pn);

#endif
