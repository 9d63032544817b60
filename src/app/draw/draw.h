/* Where the window's pixels come from: the one place the render library plugs in.
 *
 * ats_app_draw paints the whole window into the frame through the app's renderer (ui.h) from
 * what the app exposes (app.h): the state (its ats_view_state is what the views draw), the
 * editor, the run and its model, the token spans, the key map (help overlay). Sizes follow the
 * state's ui scale (the frame's pixel ratio, given by ats_app_set_device_scale, times the text
 * scale of presentation mode).
 *
 * ats_app_hit_test answers what is under a device pixel of the frame drawn last, so pointer
 * input flows back as an ats_app_hit (hit.h) into ats_app_pointer_*. Both run on the UI
 * thread. */
#ifndef ATS_APP_DRAW_H
#define ATS_APP_DRAW_H

#include "app.h"
#include "frame.h"

void ats_app_draw(ats_app *app, ats_frame *frame);
ats_app_hit ats_app_hit_test(ats_app *app, const ats_frame *frame, float x, float y);

#endif
