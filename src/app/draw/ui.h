/* The whole window drawn through the render library into a canvas: the text box and its token
 * strip, the views area (an ats_view built from the app's ats_view_state), the side panel, the
 * status bar, and over them the banner, the loading state, the sample menu and the help overlay.
 * No SDL: the shell only shows the canvas, so tests draw the window into memory and look at it.
 *
 * Layout (device pixels; every size times the ui scale, the screen's pixel ratio times the text
 * scale of presentation mode):
 *
 *   +---------------------------------------------------------------+
 *   | text box (one line, scrolls)                                    |
 *   | [chip][chip] [chip]   token strip, each chip under its span     |
 *   +------------------------------------------------+--------------+
 *   | views area: heatmap / lines / grid               | side panel   |
 *   |   (banner and loading shown over it)             | model, view, |
 *   |                                                  | layer, head, |
 *   |                                                  | colormap ... |
 *   +------------------------------------------------+--------------+
 *   | status: tokens, dropped, tokenize / forward / draw times        |
 *   +---------------------------------------------------------------+
 *
 * The renderer keeps the last frame's layout, so a hit test answers for what is on screen.
 *
 * Threads: the UI thread only. The views of a long text (whose run computes heads on demand)
 * never compute a head here: a head not computed yet is drawn empty under a "Computing layer L
 * · head H..." placeholder and asked of the app's head fetcher (rundata.h), whose thread
 * computes it and wakes the window for the next frame. */
#ifndef ATS_APP_UI_H
#define ATS_APP_UI_H

#include "hit.h"

#include "attnscope/render.h"

typedef struct ats_app ats_app;
typedef struct ats_ui ats_ui;

/* Opens the font (`font_path` NULL: DejaVu Sans through fontconfig). */
ats_status ats_ui_new(const char *font_path, ats_ui **out, ats_error *err);
void ats_ui_free(ats_ui *ui);
ats_font *ats_ui_font(ats_ui *ui);

/* Draws the window for `app` into c (every pixel). caret receives the text cursor's rectangle
 * x, y, w, h in device pixels (w == 0 when the text box does not have the keyboard). */
void ats_ui_draw(ats_ui *ui, const ats_app *app, ats_canvas *c, int caret[4]);

/* What is under device pixel (x, y) of the last frame. */
ats_app_hit ats_ui_hit_test(ats_ui *ui, float x, float y);

/* The views area of the last frame in device pixels (false before the first frame). */
bool ats_ui_view_area(const ats_ui *ui, int *x, int *y, int *w, int *h);
/* The view built last (hit tests, and the anchor of heatmap zoom and pan), and how many builds
 * there were (zoom and pan steps between two builds accumulate). */
const ats_view *ats_ui_view(const ats_ui *ui);
unsigned ats_ui_builds(const ats_ui *ui);
/* The views area of the last frame as one display list, when several views share it (a
 * comparison: A, B and A - B side by side): each view's list appended at its place into `out`
 * (reset to the area's size). False when one view fills the area (its own list is the export).
 * Views that drew heads still being computed (long texts) are built again first with every
 * head computed now, so an export never shows a placeholder. */
bool ats_ui_compose(ats_ui *ui, const ats_app *app, ats_dl *out);
/* How far the side panel can scroll (device pixels). */
float ats_ui_panel_scroll_max(const ats_ui *ui);
/* The side panel was drawn in the last frame (F9 hides it; ATS_PANEL_AUTO hides it when
 * presentation size would leave the views less than 60% of the window's width). */
bool ats_ui_panel_visible(const ats_ui *ui);

#endif
