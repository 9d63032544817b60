/* The drawing seam: the frame becomes a canvas and the app's renderer fills it. */
#include "draw.h"

#include "app_internal.h"

void ats_app_draw(ats_app *app, ats_frame *frame) {
    if (!frame->rgba)
        return;
    ats_canvas c = ats_canvas_make(frame->rgba, frame->width, frame->height, frame->stride);
    int caret[4];
    ats_ui_draw(app->ui, app, &c, caret);
    frame->caret_x = caret[0];
    frame->caret_y = caret[1];
    frame->caret_w = caret[2];
    frame->caret_h = caret[3];
}

ats_app_hit ats_app_hit_test(ats_app *app, const ats_frame *frame, float x, float y) {
    (void)frame; /* the renderer keeps the layout of the frame it drew last */
    return ats_ui_hit_test(app->ui, x, y);
}
