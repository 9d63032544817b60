#include "frame.h"

#include <stdlib.h>
#include <string.h>

bool ats_frame_resize(ats_frame *f, int width, int height) {
    if (width < 1 || height < 1)
        return false;
    if (width == f->width && height == f->height && f->rgba)
        return true;
    size_t stride = (size_t)width * 4;
    uint8_t *p = malloc(stride * (size_t)height);
    if (!p)
        return false;
    free(f->rgba);
    f->rgba = p;
    f->width = width;
    f->height = height;
    f->stride = (int)stride;
    return true;
}

void ats_frame_free(ats_frame *f) {
    free(f->rgba);
    f->rgba = NULL;
    f->width = f->height = f->stride = 0;
}

void ats_frame_fill(ats_frame *f, uint8_t r, uint8_t g, uint8_t b, uint8_t a) {
    if (!f->rgba)
        return;
    uint8_t px[4] = {r, g, b, a};
    uint8_t *row = f->rgba;
    for (int x = 0; x < f->width; x++)
        memcpy(row + 4 * x, px, 4);
    for (int y = 1; y < f->height; y++)
        memcpy(f->rgba + (size_t)y * f->stride, row, (size_t)f->width * 4);
}
