/* Where the window's pixels come from: the one place the render library plugs in.
 *
 * ats_app_draw paints the whole window into the frame from what the app exposes (app.h):
 * ats_app_get_state (layer, head, view, hover/lock, zoom, options, banner, timings, focus,
 * help overlay, text scale), ats_app_get_editor (text, cursor, selection), ats_app_get_run and
 * ats_app_get_run_model (tokens, attention, model config), ats_app_token_span (chips under the
 * text), ats_keymap_table (the help overlay). Text size = frame->scale * state->text_scale.
 *
 * ats_app_hit_test answers what is under a device pixel of the frame drawn last, so pointer
 * input flows back as an ats_hit (hit.h) into ats_app_pointer_*; the renderer keeps whatever
 * layout it needs for that between the two calls. Both run on the UI thread. */
#ifndef ATS_APP_DRAW_H
#define ATS_APP_DRAW_H

#include "app.h"
#include "frame.h"

void ats_app_draw(const ats_app *app, ats_frame *frame);
ats_hit ats_app_hit_test(const ats_app *app, const ats_frame *frame, float x, float y);

#endif
