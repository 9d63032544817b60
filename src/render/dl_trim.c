/* A display list trimmed to what it draws: the bounds of its drawing (each command's extent,
 * inside the clips around it; a rectangle covering the whole list, its background, left out),
 * and a copy moved and sized to those bounds and a margin, so that an exported figure has no
 * blank band where the view area was wider or taller than the figure. */
#include "render_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct box {
    float x0, y0, x1, y1;
} box;

static box meet(box a, box b) {
    return (box){fmaxf(a.x0, b.x0), fmaxf(a.y0, b.y0), fminf(a.x1, b.x1), fminf(a.y1, b.y1)};
}

static bool empty(box b) {
    return !(b.x1 > b.x0 && b.y1 > b.y0);
}

/* The extent of one text command: its advance and line box about the anchor, rotated. */
static box text_box(const ats_dl *dl, const dl_item *it, ats_font *font) {
    float w = ats_font_measure(font, dl_text(dl, it), it->size, it->bold), a, d;
    ats_font_metrics(font, it->size, &a, &d);
    float x0 = it->align == ATS_ALIGN_CENTER ? -0.5f * w : it->align == ATS_ALIGN_END ? -w : 0;
    float rad = it->angle * (float)M_PI / 180.0f, c = cosf(rad), s = sinf(rad);
    float xs[2] = {x0, x0 + w}, ys[2] = {-a, d};
    box b = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            float x = it->p[0] + c * xs[i] - s * ys[j], y = it->p[1] + s * xs[i] + c * ys[j];
            b = (box){fminf(b.x0, x), fminf(b.y0, y), fmaxf(b.x1, x), fmaxf(b.y1, y)};
        }
    return b;
}

/* The extent of one drawing command (empty for clips and the background). */
static box item_box(const ats_dl *dl, const dl_item *it, ats_font *font) {
    const float *p = it->p;
    float h = 0.5f * it->size; /* half a stroke */
    switch ((dl_kind)it->kind) {
    case DL_RECT:
        if (p[0] <= 0 && p[1] <= 0 && p[0] + p[2] >= dl->width && p[1] + p[3] >= dl->height)
            return (box){0, 0, 0, 0}; /* the background */
        return (box){p[0], p[1], p[0] + p[2], p[1] + p[3]};
    case DL_IMAGE:
        return (box){p[0], p[1], p[0] + p[2], p[1] + p[3]};
    case DL_LINE:
        return (box){fminf(p[0], p[2]) - h, fminf(p[1], p[3]) - h, fmaxf(p[0], p[2]) + h,
                     fmaxf(p[1], p[3]) + h};
    case DL_CURVE: {
        box b = {INFINITY, INFINITY, -INFINITY, -INFINITY};
        for (int i = 0; i < 8; i += 2)
            b = (box){fminf(b.x0, p[i]), fminf(b.y0, p[i + 1]), fmaxf(b.x1, p[i]),
                      fmaxf(b.y1, p[i + 1])};
        return (box){b.x0 - h, b.y0 - h, b.x1 + h, b.y1 + h};
    }
    case DL_CIRCLE:
        return (box){p[0] - it->size, p[1] - it->size, p[0] + it->size, p[1] + it->size};
    case DL_TEXT:
        return font ? text_box(dl, it, font) : (box){p[0], p[1], p[0], p[1]};
    default:
        return (box){0, 0, 0, 0};
    }
}

bool ats_dl_content_bounds(const ats_dl *dl, ats_font *font, float *x, float *y, float *w,
                           float *h) {
    box clips[64], all = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    int depth = 0;
    clips[0] = (box){0, 0, dl->width, dl->height};
    for (int i = 0; i < dl->n_items; i++) {
        const dl_item *it = &dl->items[i];
        if (it->kind == DL_CLIP_PUSH) {
            box c = {it->p[0], it->p[1], it->p[0] + it->p[2], it->p[1] + it->p[3]};
            if (depth + 1 < 64)
                clips[depth + 1] = meet(clips[depth], c);
            depth++;
            continue;
        }
        if (it->kind == DL_CLIP_POP) {
            depth = depth > 0 ? depth - 1 : 0;
            continue;
        }
        box b = meet(item_box(dl, it, font), clips[depth < 64 ? depth : 63]);
        if (empty(b))
            continue;
        all = (box){fminf(all.x0, b.x0), fminf(all.y0, b.y0), fmaxf(all.x1, b.x1),
                    fmaxf(all.y1, b.y1)};
    }
    if (empty(all))
        return false;
    *x = all.x0, *y = all.y0, *w = all.x1 - all.x0, *h = all.y1 - all.y0;
    return true;
}

/* Moves one command by (dx, dy); a background rectangle covers the new size instead. */
static void move_item(dl_item *it, float dx, float dy, float w0, float h0, float w, float h) {
    float *p = it->p;
    switch ((dl_kind)it->kind) {
    case DL_RECT:
        if (p[0] <= 0 && p[1] <= 0 && p[0] + p[2] >= w0 && p[1] + p[3] >= h0) {
            p[0] = 0, p[1] = 0, p[2] = w, p[3] = h;
            return;
        }
        p[0] += dx, p[1] += dy;
        return;
    case DL_LINE:
        p[0] += dx, p[1] += dy, p[2] += dx, p[3] += dy;
        return;
    case DL_CURVE:
        for (int i = 0; i < 8; i += 2)
            p[i] += dx, p[i + 1] += dy;
        return;
    case DL_CLIP_POP:
        return;
    default: /* image, circle, text, clip: their first point */
        p[0] += dx, p[1] += dy;
        return;
    }
}

void ats_dl_trim_rect(const ats_dl *dl, ats_font *font, float margin, int *x, int *y, int *w,
                      int *h) {
    float bx, by, bw, bh;
    if (!ats_dl_content_bounds(dl, font, &bx, &by, &bw, &bh))
        bx = by = 0, bw = dl->width, bh = dl->height, margin = 0;
    /* whole pixels, within the list */
    float x0 = fmaxf(0, floorf(bx - margin)), y0 = fmaxf(0, floorf(by - margin));
    float x1 = fminf(floorf(dl->width), ceilf(bx + bw + margin));
    float y1 = fminf(floorf(dl->height), ceilf(by + bh + margin));
    *x = (int)x0, *y = (int)y0;
    *w = x1 > x0 ? (int)(x1 - x0) : 1, *h = y1 > y0 ? (int)(y1 - y0) : 1;
}

ats_status ats_dl_trimmed(const ats_dl *dl, ats_font *font, float margin, ats_dl **out) {
    int ix, iy, iw, ih;
    ats_dl_trim_rect(dl, font, margin, &ix, &iy, &iw, &ih);
    float x0 = (float)ix, y0 = (float)iy;
    ats_status s = ats_dl_new((float)iw, (float)ih, out);
    if (s != ATS_OK)
        return s;
    ats_dl *t = *out;
    t->items = dl->n_items ? malloc((size_t)dl->n_items * sizeof *t->items) : NULL;
    t->strings = dl->n_strings ? malloc(dl->n_strings) : NULL;
    t->pixels = dl->n_pixels ? malloc(dl->n_pixels) : NULL;
    if ((dl->n_items && !t->items) || (dl->n_strings && !t->strings) ||
        (dl->n_pixels && !t->pixels)) {
        ats_dl_free(t);
        *out = NULL;
        return ATS_ERR_NOMEM;
    }
    memcpy(t->items, dl->items, (size_t)dl->n_items * sizeof *t->items);
    if (dl->n_strings)
        memcpy(t->strings, dl->strings, dl->n_strings);
    if (dl->n_pixels)
        memcpy(t->pixels, dl->pixels, dl->n_pixels);
    t->n_items = t->cap_items = dl->n_items;
    t->n_strings = t->cap_strings = dl->n_strings;
    t->n_pixels = t->cap_pixels = dl->n_pixels;
    for (int i = 0; i < t->n_items; i++)
        move_item(&t->items[i], -x0, -y0, dl->width, dl->height, t->width, t->height);
    return ATS_OK;
}
