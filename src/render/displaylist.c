/* The display list: drawing commands appended in order, with their texts and image pixels kept
 * in two arenas so that a list is three allocations however long it grows. */
#include "render_internal.h"

#include <stdlib.h>
#include <string.h>

ats_status ats_dl_new(float width, float height, ats_dl **out) {
    *out = calloc(1, sizeof **out);
    if (!*out)
        return ATS_ERR_NOMEM;
    ats_dl_reset(*out, width, height);
    return ATS_OK;
}

void ats_dl_free(ats_dl *dl) {
    if (!dl)
        return;
    free(dl->items);
    free(dl->strings);
    free(dl->pixels);
    free(dl);
}

void ats_dl_reset(ats_dl *dl, float width, float height) {
    dl->width = width > 0 ? width : 0;
    dl->height = height > 0 ? height : 0;
    dl->n_items = 0;
    dl->n_strings = 0;
    dl->n_pixels = 0;
    dl->clip_depth = 0;
}

float ats_dl_width(const ats_dl *dl) {
    return dl->width;
}

float ats_dl_height(const ats_dl *dl) {
    return dl->height;
}

int ats_dl_count(const ats_dl *dl) {
    return dl->n_items;
}

/* Grows an arena to hold `need` bytes; keeps it on failure. */
static bool grow(void **data, size_t *cap, size_t need, size_t unit) {
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *p = realloc(*data, n * unit);
    if (!p)
        return false;
    *data = p;
    *cap = n;
    return true;
}

static dl_item *push(ats_dl *dl, dl_kind kind, ats_rgba color) {
    size_t cap = (size_t)dl->cap_items;
    if (!grow((void **)&dl->items, &cap, (size_t)dl->n_items + 1, sizeof(dl_item)))
        return NULL;
    dl->cap_items = (int)cap;
    dl_item *it = &dl->items[dl->n_items++];
    memset(it, 0, sizeof *it);
    it->kind = (uint8_t)kind;
    it->color = color;
    return it;
}

static bool finite4(float a, float b, float c, float d) {
    return isfinite(a) && isfinite(b) && isfinite(c) && isfinite(d);
}

ats_status ats_dl_rect(ats_dl *dl, float x, float y, float w, float h, float radius,
                       ats_rgba color) {
    if (!finite4(x, y, w, h) || !isfinite(radius))
        return ATS_ERR_ARG;
    if (w <= 0 || h <= 0 || color.a == 0)
        return ATS_OK;
    dl_item *it = push(dl, DL_RECT, color);
    if (!it)
        return ATS_ERR_NOMEM;
    it->p[0] = x, it->p[1] = y, it->p[2] = w, it->p[3] = h;
    it->size = clampf(radius, 0, 0.5f * fminf(w, h));
    return ATS_OK;
}

ats_status ats_dl_line(ats_dl *dl, float x0, float y0, float x1, float y1, float width, ats_cap cap,
                       ats_rgba color) {
    if (!finite4(x0, y0, x1, y1) || !isfinite(width))
        return ATS_ERR_ARG;
    if (width <= 0 || color.a == 0)
        return ATS_OK;
    dl_item *it = push(dl, DL_LINE, color);
    if (!it)
        return ATS_ERR_NOMEM;
    it->p[0] = x0, it->p[1] = y0, it->p[2] = x1, it->p[3] = y1;
    it->size = width;
    it->cap = (uint8_t)cap;
    return ATS_OK;
}

ats_status ats_dl_curve(ats_dl *dl, float x0, float y0, float c0x, float c0y, float c1x, float c1y,
                        float x1, float y1, float width, ats_rgba color) {
    if (!finite4(x0, y0, c0x, c0y) || !finite4(c1x, c1y, x1, y1) || !isfinite(width))
        return ATS_ERR_ARG;
    if (width <= 0 || color.a == 0)
        return ATS_OK;
    dl_item *it = push(dl, DL_CURVE, color);
    if (!it)
        return ATS_ERR_NOMEM;
    float p[8] = {x0, y0, c0x, c0y, c1x, c1y, x1, y1};
    memcpy(it->p, p, sizeof p);
    it->size = width;
    return ATS_OK;
}

ats_status ats_dl_circle(ats_dl *dl, float cx, float cy, float radius, ats_rgba color) {
    if (!finite4(cx, cy, radius, 0))
        return ATS_ERR_ARG;
    if (radius <= 0 || color.a == 0)
        return ATS_OK;
    dl_item *it = push(dl, DL_CIRCLE, color);
    if (!it)
        return ATS_ERR_NOMEM;
    it->p[0] = cx, it->p[1] = cy;
    it->size = radius;
    return ATS_OK;
}

/* ---- text ---------------------------------------------------------------------------------- */

static const char ELLIPSIS[] = "\xE2\x80\xA6"; /* U+2026 */

/* Writes s[0..cut) followed by an ellipsis into buf. */
static void with_ellipsis(char *buf, const char *s, size_t cut) {
    memcpy(buf, s, cut);
    memcpy(buf + cut, ELLIPSIS, sizeof ELLIPSIS);
}

/* The longest prefix of s (cut at a codepoint boundary, trailing spaces dropped) that with an
 * ellipsis fits max_width, as a new string. Binary search over the codepoint boundaries: the
 * width of a prefix grows with its length. */
static char *elide(ats_font *font, const char *s, float size, bool bold, float max_width) {
    size_t n = strlen(s);
    char *buf = malloc(n + sizeof ELLIPSIS);
    size_t *bounds = malloc((n + 1) * sizeof *bounds);
    if (!buf || !bounds) {
        free(buf);
        free(bounds);
        return NULL;
    }
    int nb = 0; /* bounds: byte offsets where a codepoint starts, and n */
    for (size_t i = 0; i <= n; i++)
        if (i == n || ((unsigned char)s[i] & 0xC0) != 0x80)
            bounds[nb++] = i;
    int lo = 0, hi = nb - 1; /* the answer is in [lo, hi]; the empty prefix is the fallback */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        with_ellipsis(buf, s, bounds[mid]);
        if (ats_font_measure(font, buf, size, bold) <= max_width)
            lo = mid;
        else
            hi = mid - 1;
    }
    size_t cut = bounds[lo];
    free(bounds);
    while (cut > 0 && s[cut - 1] == ' ')
        cut--;
    with_ellipsis(buf, s, cut);
    return buf;
}

ats_status ats_dl_text(ats_dl *dl, ats_font *font, float x, float y, const char *utf8,
                       const ats_text_style *style) {
    if (!utf8 || !style || !finite4(x, y, style->size, style->angle))
        return ATS_ERR_ARG;
    if (!*utf8 || style->size <= 0 || style->color.a == 0)
        return ATS_OK;
    char *elided = NULL;
    if (style->max_width > 0 &&
        ats_font_measure(font, utf8, style->size, style->bold) > style->max_width) {
        elided = elide(font, utf8, style->size, style->bold, style->max_width);
        if (!elided)
            return ATS_ERR_NOMEM;
        utf8 = elided;
    }
    /* Baseline shift along the text's downward normal n = (-sin a, cos a). */
    float ascent, descent, shift = 0;
    ats_font_metrics(font, style->size, &ascent, &descent);
    switch (style->valign) {
    case ATS_VALIGN_TOP:
        shift = ascent;
        break;
    case ATS_VALIGN_MIDDLE:
        shift = 0.5f * (ascent - descent);
        break;
    case ATS_VALIGN_BOTTOM:
        shift = -descent;
        break;
    case ATS_VALIGN_BASELINE:
        break;
    }
    float rad = style->angle * (float)M_PI / 180.0f;
    size_t len = strlen(utf8);
    size_t cap = dl->cap_strings;
    dl_item *it = NULL;
    if (grow((void **)&dl->strings, &cap, dl->n_strings + len + 1, 1)) {
        dl->cap_strings = cap;
        it = push(dl, DL_TEXT, style->color);
    }
    if (!it) {
        free(elided);
        return ATS_ERR_NOMEM;
    }
    memcpy(dl->strings + dl->n_strings, utf8, len + 1);
    it->offset = dl->n_strings;
    it->len = len;
    dl->n_strings += len + 1;
    it->p[0] = x - sinf(rad) * shift;
    it->p[1] = y + cosf(rad) * shift;
    it->size = style->size;
    it->angle = style->angle;
    it->align = (uint8_t)style->align;
    it->bold = style->bold;
    free(elided);
    return ATS_OK;
}

/* ---- images and clips ---------------------------------------------------------------------- */

ats_status ats_dl_image(ats_dl *dl, float x, float y, float w, float h, const uint8_t *rgba, int iw,
                        int ih, int stride, ats_image_filter filter) {
    if (!finite4(x, y, w, h) || !rgba || iw <= 0 || ih <= 0 || stride < 4 * iw)
        return ATS_ERR_ARG;
    if (w <= 0 || h <= 0)
        return ATS_OK;
    size_t bytes = (size_t)iw * (size_t)ih * 4;
    size_t cap = dl->cap_pixels;
    if (!grow((void **)&dl->pixels, &cap, dl->n_pixels + bytes, 1))
        return ATS_ERR_NOMEM;
    dl->cap_pixels = cap;
    dl_item *it = push(dl, DL_IMAGE, (ats_rgba){255, 255, 255, 255});
    if (!it)
        return ATS_ERR_NOMEM;
    for (int r = 0; r < ih; r++)
        memcpy(dl->pixels + dl->n_pixels + (size_t)r * iw * 4, rgba + (size_t)r * stride,
               (size_t)iw * 4);
    it->offset = dl->n_pixels;
    dl->n_pixels += bytes;
    it->p[0] = x, it->p[1] = y, it->p[2] = w, it->p[3] = h;
    it->iw = iw;
    it->ih = ih;
    it->filter = (uint8_t)filter;
    return ATS_OK;
}

ats_status ats_dl_push_clip(ats_dl *dl, float x, float y, float w, float h) {
    if (!finite4(x, y, w, h))
        return ATS_ERR_ARG;
    dl_item *it = push(dl, DL_CLIP_PUSH, (ats_rgba){0, 0, 0, 0});
    if (!it)
        return ATS_ERR_NOMEM;
    it->p[0] = x, it->p[1] = y, it->p[2] = w > 0 ? w : 0, it->p[3] = h > 0 ? h : 0;
    dl->clip_depth++;
    return ATS_OK;
}

ats_status ats_dl_pop_clip(ats_dl *dl) {
    if (dl->clip_depth == 0)
        return ATS_ERR_ARG;
    if (!push(dl, DL_CLIP_POP, (ats_rgba){0, 0, 0, 0}))
        return ATS_ERR_NOMEM;
    dl->clip_depth--;
    return ATS_OK;
}

ats_status ats_dl_append(ats_dl *dl, const ats_dl *src, float dx, float dy) {
    if (!isfinite(dx) || !isfinite(dy))
        return ATS_ERR_ARG;
    size_t cap_s = dl->cap_strings, cap_p = dl->cap_pixels, cap_i = (size_t)dl->cap_items;
    if (!grow((void **)&dl->strings, &cap_s, dl->n_strings + src->n_strings, 1))
        return ATS_ERR_NOMEM;
    dl->cap_strings = cap_s;
    if (!grow((void **)&dl->pixels, &cap_p, dl->n_pixels + src->n_pixels, 1))
        return ATS_ERR_NOMEM;
    dl->cap_pixels = cap_p;
    if (!grow((void **)&dl->items, &cap_i, (size_t)dl->n_items + (size_t)src->n_items + 2,
              sizeof(dl_item)))
        return ATS_ERR_NOMEM;
    dl->cap_items = (int)cap_i;
    ats_status st = ats_dl_push_clip(dl, dx, dy, src->width, src->height);
    if (st != ATS_OK)
        return st;
    size_t s0 = dl->n_strings, p0 = dl->n_pixels;
    if (src->n_strings)
        memcpy(dl->strings + s0, src->strings, src->n_strings);
    if (src->n_pixels)
        memcpy(dl->pixels + p0, src->pixels, src->n_pixels);
    dl->n_strings += src->n_strings;
    dl->n_pixels += src->n_pixels;
    for (int i = 0; i < src->n_items; i++) {
        dl_item it = src->items[i];
        int points = it.kind == DL_CURVE      ? 4
                     : it.kind == DL_LINE     ? 2
                     : it.kind == DL_CLIP_POP ? 0
                                              : 1;
        for (int k = 0; k < points; k++) {
            it.p[2 * k] += dx;
            it.p[2 * k + 1] += dy;
        }
        if (it.kind == DL_TEXT)
            it.offset += s0;
        else if (it.kind == DL_IMAGE)
            it.offset += p0;
        dl->items[dl->n_items++] = it;
    }
    return ats_dl_pop_clip(dl);
}
