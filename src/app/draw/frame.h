/* The window's canvas: RGBA8 memory the app owns, drawn by ats_app_draw and shown by the SDL
 * shell as a streaming texture (so an exported PNG can be exactly what is on screen). Sizes are
 * device pixels: on a HiDPI screen the frame is larger than the window's size in points. */
#ifndef ATS_APP_FRAME_H
#define ATS_APP_FRAME_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ats_frame {
    uint8_t *rgba; /* (height, stride) bytes: rows of width pixels, R G B A bytes each */
    int width, height;
    int stride;  /* bytes per row */
    float scale; /* device pixels per window point: 1, or 2 on a HiDPI screen */
    /* filled by ats_app_draw: the text cursor in device pixels, where the shell asks the input
     * method to put its candidate window (w == 0: unknown) */
    int caret_x, caret_y, caret_w, caret_h;
} ats_frame;

/* Resizes (contents undefined afterwards); false when out of memory (frame unchanged). */
bool ats_frame_resize(ats_frame *f, int width, int height);
void ats_frame_free(ats_frame *f);
/* Fills every pixel with one colour. */
void ats_frame_fill(ats_frame *f, uint8_t r, uint8_t g, uint8_t b, uint8_t a);

#endif
