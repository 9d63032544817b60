/* Pieces shared inside the render library: the display list's layout (which the rasterizer and
 * the SVG writer walk), the font's text bitmaps, and small numeric helpers. */
#ifndef ATS_RENDER_INTERNAL_H
#define ATS_RENDER_INTERNAL_H

#include "attnscope/render.h"
#include "base.h"

#include <math.h>

/* ---- display list -------------------------------------------------------------------------- */

typedef enum dl_kind {
    DL_RECT,      /* p: x, y, w, h; size: corner radius */
    DL_LINE,      /* p: x0, y0, x1, y1; size: width; cap */
    DL_CURVE,     /* p: x0, y0, c0x, c0y, c1x, c1y, x1, y1; size: width */
    DL_CIRCLE,    /* p: cx, cy; size: radius */
    DL_TEXT,      /* p: baseline anchor x, y; size: em size; angle; align; bold; str */
    DL_IMAGE,     /* p: x, y, w, h; data: (ih, iw, 4) RGBA at pixels + offset; filter */
    DL_CLIP_PUSH, /* p: x, y, w, h */
    DL_CLIP_POP,
} dl_kind;

typedef struct dl_item {
    uint8_t kind;
    uint8_t cap;    /* ats_cap */
    uint8_t align;  /* ats_align */
    uint8_t filter; /* ats_image_filter */
    uint8_t bold;
    ats_rgba color;
    float p[8];
    float size;
    float angle;
    size_t offset; /* text: into strings; image: into pixels */
    size_t len;    /* text: bytes */
    int iw, ih;
} dl_item;

struct ats_dl {
    float width, height;
    dl_item *items;
    int n_items, cap_items;
    char *strings; /* NUL-terminated texts, back to back */
    size_t n_strings, cap_strings;
    uint8_t *pixels; /* images, back to back */
    size_t n_pixels, cap_pixels;
    int clip_depth;
};

static inline const char *dl_text(const ats_dl *dl, const dl_item *it) {
    return dl->strings + it->offset;
}
static inline const uint8_t *dl_image(const ats_dl *dl, const dl_item *it) {
    return dl->pixels + it->offset;
}

/* ---- fonts --------------------------------------------------------------------------------- */

/* The coverage of one text at one size, with the pen's start and the baseline inside it. */
typedef struct text_bitmap {
    int w, h;
    int origin_x;       /* pen start column */
    int baseline;       /* baseline row */
    float advance;      /* pen advance in pixels */
    const uint8_t *cov; /* (h, w) coverage 0..255, or NULL when w or h is 0 */
} text_bitmap;

/* Renders (or finds in the cache) `text` (len bytes) at `px` pixels. The bitmap is borrowed until
 * the next call on this font. Returns false only when out of memory or the font fails. */
bool ats_font_text_bitmap(ats_font *font, const char *text, size_t len, float px, bool bold,
                          text_bitmap *out);

/* ---- colours ------------------------------------------------------------------------------- */

/* A 256-entry lookup table of `map` (index = round(t * 255)). */
void ats_colormap_lut(ats_colormap map, ats_rgba lut[256]);

static inline float clampf(float v, float lo, float hi) {
    return v < lo ? lo : v > hi ? hi : v;
}
static inline int clampi(int v, int lo, int hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

/* ---- output -------------------------------------------------------------------------------- */

/* A growable byte buffer; on allocation failure `failed` is set and further appends are dropped. */
typedef struct byte_buf {
    char *data;
    size_t len, cap;
    bool failed;
} byte_buf;

void ats_buf_append(byte_buf *b, const void *data, size_t n);
void ats_buf_puts(byte_buf *b, const char *s);
void ats_buf_printf(byte_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ats_buf_free(byte_buf *b);

#endif
