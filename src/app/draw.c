/* Until the render library lands the window is a plain background: the views, text box, token
 * strip, side panel and status bar are all drawn by the render library into this frame. */
#include "draw.h"

void ats_app_draw(const ats_app *app, ats_frame *frame) {
    (void)app;
    ats_frame_fill(frame, 0xF7, 0xF7, 0xF5, 0xFF);
    frame->caret_x = frame->caret_y = frame->caret_w = frame->caret_h = 0;
}

ats_hit ats_app_hit_test(const ats_app *app, const ats_frame *frame, float x, float y) {
    (void)app;
    (void)frame;
    (void)x;
    (void)y;
    return (ats_hit){.kind = ATS_HIT_NONE};
}
