/* The software rasterizer: draws a display list into an RGBA canvas, anti-aliased.
 *
 * Pixel (i, j) covers [i, i+1) x [j, j+1); its centre is (i + 0.5, j + 0.5). Every shape gives
 * each pixel a coverage in [0, 1] and the colour is composited with "source over" at
 * alpha = coverage * colour alpha, in sRGB as most renderers do:
 *
 *   out_a = a + d_a (1 - a),   out_c = (c a + d_c d_a (1 - a)) / out_a
 *
 * which on an opaque canvas is d_c + (c - d_c) a.
 *
 * Coverage, per shape:
 *   rectangles   exact area: the overlap of the pixel with [x0, x1] times that with [y0, y1];
 *                rounded corners take the distance to the corner circle, r - d + 1/2;
 *   discs        r - d + 1/2, d the distance from the pixel centre to the disc's centre;
 *   strokes      w/2 + 1/2 - d, d the distance from the pixel centre to the segment (round
 *                caps), or to its line times a ramp along it (butt caps). Axis-aligned strokes on
 *                pixel edges come out exact. Widths under one pixel are drawn one pixel wide at
 *                alpha times the width. Butt-capped lines step along their major axis through a
 *                per-line table of that coverage, and long runs of lines of one colour (a head
 *                of the lines view) are composited once, through their joint transmittance;
 *   curves       flattened into short segments stroked with round caps into a coverage mask
 *                (max of the segments), then composited once, so a translucent curve does not
 *                darken where segments overlap;
 *   text         the font's coverage bitmap, placed at whole pixels; rotated text is sampled
 *                bilinearly through the inverse rotation;
 *   images       "cells": the area-weighted mean of the source pixels under the destination
 *                pixel (exact for whole-pixel cells, smooth at fractional edges, a proper
 *                average when shrunk); "smooth": bilinear.
 */
#include "render_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- canvas -------------------------------------------------------------------------------- */

ats_canvas ats_canvas_make(uint8_t *pixels, int width, int height, int stride) {
    return (ats_canvas){pixels, width > 0 ? width : 0, height > 0 ? height : 0, stride};
}

ats_canvas ats_canvas_sub(ats_canvas c, int x, int y, int w, int h) {
    int x0 = clampi(x, 0, c.width), y0 = clampi(y, 0, c.height);
    int x1 = clampi(x + w, x0, c.width), y1 = clampi(y + h, y0, c.height);
    return (ats_canvas){c.pixels + (size_t)y0 * c.stride + (size_t)x0 * 4, x1 - x0, y1 - y0,
                        c.stride};
}

void ats_canvas_fill(ats_canvas c, ats_rgba color) {
    for (int y = 0; y < c.height; y++) {
        uint8_t *p = c.pixels + (size_t)y * c.stride;
        for (int x = 0; x < c.width; x++, p += 4) {
            p[0] = color.r, p[1] = color.g, p[2] = color.b, p[3] = color.a;
        }
    }
}

/* ---- compositing --------------------------------------------------------------------------- */

typedef struct irect {
    int x0, y0, x1, y1; /* [x0, x1) x [y0, y1) */
} irect;

enum { MAX_CLIP_DEPTH = 64 };

typedef struct raster {
    ats_canvas *c;
    ats_font *font;
    float s;    /* scale from list units to canvas pixels */
    irect clip; /* current clip, within the canvas */
    irect stack[MAX_CLIP_DEPTH];
    int depth, overflow;
    uint8_t *mask;   /* (height, width) coverage scratch for curves, zero outside use */
    irect dirty;     /* the part of mask in use */
    uint16_t *trans; /* (height, width) transmittance of a batch of lines, 65535 outside one */
    ats_status status;
} raster;

static inline uint8_t to_u8(float v) {
    return (uint8_t)(v + 0.5f);
}

/* Source-over of colour c at alpha a (coverage times the colour's own alpha) onto pixel d. */
static inline void blend(uint8_t *d, ats_rgba c, float a) {
    if (!(a > 0.0f))
        return;
    if (a >= 1.0f) { /* full coverage of an opaque colour: a plain store */
        d[0] = c.r, d[1] = c.g, d[2] = c.b, d[3] = 255;
        return;
    }
    if (d[3] == 255) { /* opaque below: d + (c - d) a in 8.8 fixed point, rounded */
        int k = (int)(a * 256.0f + 0.5f);
        d[0] = (uint8_t)(d[0] + (((c.r - d[0]) * k + 128) >> 8));
        d[1] = (uint8_t)(d[1] + (((c.g - d[1]) * k + 128) >> 8));
        d[2] = (uint8_t)(d[2] + (((c.b - d[2]) * k + 128) >> 8));
        return;
    }
    float da = (float)d[3] / 255.0f, keep = da * (1.0f - a), oa = a + keep;
    if (oa <= 0.0f)
        return;
    d[0] = to_u8(((float)c.r * a + (float)d[0] * keep) / oa);
    d[1] = to_u8(((float)c.g * a + (float)d[1] * keep) / oa);
    d[2] = to_u8(((float)c.b * a + (float)d[2] * keep) / oa);
    d[3] = to_u8(oa * 255.0f);
}

static inline uint8_t *pixel(const raster *r, int x, int y) {
    return r->c->pixels + (size_t)y * r->c->stride + (size_t)x * 4;
}

/* Pixel bounds of [fx0, fx1] x [fy0, fy1] (every pixel the box touches), within the clip. */
static irect clipped(const raster *r, float fx0, float fy0, float fx1, float fy1) {
    irect b = {(int)floorf(fmaxf(fx0, -1e6f)), (int)floorf(fmaxf(fy0, -1e6f)),
               (int)ceilf(fminf(fx1, 1e6f)), (int)ceilf(fminf(fy1, 1e6f))};
    b.x0 = b.x0 > r->clip.x0 ? b.x0 : r->clip.x0;
    b.y0 = b.y0 > r->clip.y0 ? b.y0 : r->clip.y0;
    b.x1 = b.x1 < r->clip.x1 ? b.x1 : r->clip.x1;
    b.y1 = b.y1 < r->clip.y1 ? b.y1 : r->clip.y1;
    return b;
}

static inline float overlap(float a0, float a1, float b0, float b1) {
    float lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0.0f;
}

/* floor and ceil for values well inside the int range (callers clamp first), without the libm
 * calls x86-64 makes for floorf / ceilf when SSE4.1 is not assumed. */
static inline int ifloor(float v) {
    int i = (int)v;
    return i - (v < (float)i);
}

static inline int iceil(float v) {
    int i = (int)v;
    return i + (v > (float)i);
}

/* ---- rectangles and discs ------------------------------------------------------------------ */

/* Pixels d[0..n) under colour c at the same alpha a: what blend() does to each, with the
 * per-pixel work hoisted (the factor k, the opaque store). */
static void blend_span(uint8_t *d, int n, ats_rgba c, float a) {
    if (!(a > 0.0f) || n <= 0)
        return;
    if (a >= 1.0f) { /* a store: one pixel, then copies of what is filled, doubling */
        uint8_t px[4] = {c.r, c.g, c.b, 255};
        memcpy(d, px, 4);
        for (int done = 1; done < n; done *= 2)
            memcpy(d + (size_t)done * 4, d, (size_t)(done < n - done ? done : n - done) * 4);
        return;
    }
    int k = (int)(a * 256.0f + 0.5f);
    for (int i = 0; i < n; i++, d += 4) {
        if (d[3] != 255) {
            blend(d, c, a);
            continue;
        }
        d[0] = (uint8_t)(d[0] + (((c.r - d[0]) * k + 128) >> 8));
        d[1] = (uint8_t)(d[1] + (((c.g - d[1]) * k + 128) >> 8));
        d[2] = (uint8_t)(d[2] + (((c.b - d[2]) * k + 128) >> 8));
    }
}

/* A square-cornered rectangle: per row, the partly covered pixels at the two ends one by one
 * and the whole ones between as a span of constant coverage. */
static void draw_square_rect(raster *r, const dl_item *it, irect b, float x0, float y0, float x1,
                             float y1) {
    float alpha = (float)it->color.a / 255.0f;
    int in0 = clampi((int)ceilf(x0), b.x0, b.x1), in1 = clampi((int)floorf(x1), in0, b.x1);
    for (int y = b.y0; y < b.y1; y++) {
        float cy = overlap((float)y, (float)y + 1, y0, y1) * alpha;
        uint8_t *d = pixel(r, b.x0, y);
        for (int x = b.x0; x < in0; x++, d += 4)
            blend(d, it->color, overlap((float)x, (float)x + 1, x0, x1) * cy);
        blend_span(d, in1 - in0, it->color, cy);
        d += (size_t)(in1 - in0) * 4;
        for (int x = in1; x < b.x1; x++, d += 4)
            blend(d, it->color, overlap((float)x, (float)x + 1, x0, x1) * cy);
    }
}

static void draw_rect(raster *r, const dl_item *it) {
    float s = r->s;
    float x0 = it->p[0] * s, y0 = it->p[1] * s;
    float x1 = x0 + it->p[2] * s, y1 = y0 + it->p[3] * s, rad = it->size * s;
    float alpha = (float)it->color.a / 255.0f;
    irect b = clipped(r, x0, y0, x1, y1);
    if (!(rad > 0)) {
        draw_square_rect(r, it, b, x0, y0, x1, y1);
        return;
    }
    /* columns whose centres lie between the corners and that are wholly inside */
    int in0 = clampi(iceil(clampf(fmaxf(x0 + rad - 0.5f, x0), -1e7f, 1e7f)), b.x0, b.x1);
    int in1 = clampi(ifloor(clampf(fminf(x1 - rad - 0.5f, x1 - 1.0f), -1e7f, 1e7f)) + 1, in0, b.x1);
    for (int y = b.y0; y < b.y1; y++) {
        float cy = overlap((float)y, (float)y + 1, y0, y1), py = (float)y + 0.5f;
        float qy = clampf(py, y0 + rad, y1 - rad); /* nearest row of the inner rectangle */
        uint8_t *d = pixel(r, b.x0, y);
        for (int x = b.x0; x < b.x1; x++, d += 4) {
            if (x == in0 && in1 > in0) { /* between the corners: the row's coverage only */
                blend_span(d, in1 - in0, it->color, cy * alpha);
                d += (size_t)(in1 - in0 - 1) * 4;
                x = in1 - 1;
                continue;
            }
            float cov = overlap((float)x, (float)x + 1, x0, x1) * cy;
            float px = (float)x + 0.5f, qx = clampf(px, x0 + rad, x1 - rad);
            if (qx != px && qy != py) /* in a corner: distance to the corner's circle */
                cov = fminf(cov, clampf(rad - hypotf(px - qx, py - qy) + 0.5f, 0, 1));
            blend(d, it->color, cov * alpha);
        }
    }
}

static void draw_circle(raster *r, const dl_item *it) {
    float s = r->s, cx = it->p[0] * s, cy = it->p[1] * s, rad = it->size * s;
    float alpha = (float)it->color.a / 255.0f;
    irect b = clipped(r, cx - rad - 1, cy - rad - 1, cx + rad + 1, cy + rad + 1);
    for (int y = b.y0; y < b.y1; y++) {
        uint8_t *d = pixel(r, b.x0, y);
        for (int x = b.x0; x < b.x1; x++, d += 4) {
            float dist = hypotf((float)x + 0.5f - cx, (float)y + 0.5f - cy);
            blend(d, it->color, clampf(rad - dist + 0.5f, 0, 1) * alpha);
        }
    }
}

/* ---- strokes ------------------------------------------------------------------------------- */

/* Strokes segment a-b (canvas pixels) of width w. With to_mask, coverage goes into r->mask as
 * the max with what is there; otherwise it is composited in colour c. */
static void stroke(raster *r, float ax, float ay, float bx, float by, float w, bool round_cap,
                   ats_rgba c, bool to_mask) {
    float fade = 1.0f;
    if (w < 1.0f) {
        fade = w;
        w = 1.0f;
    }
    float hw = 0.5f * w, reach = hw + 1.0f;
    float dx = bx - ax, dy = by - ay, len = hypotf(dx, dy);
    if (len < 1e-6f && !round_cap)
        return;
    float ux = len > 0 ? dx / len : 1.0f, uy = len > 0 ? dy / len : 0.0f;
    float alpha = fade * (to_mask ? 1.0f : (float)c.a / 255.0f);
    irect b = clipped(r, fminf(ax, bx) - reach, fminf(ay, by) - reach, fmaxf(ax, bx) + reach,
                      fmaxf(ay, by) + reach);
    for (int y = b.y0; y < b.y1; y++) {
        float yc = (float)y + 0.5f;
        /* x range of the row: the segment's points within `reach` vertically, widened by reach */
        float xa = fminf(ax, bx) - reach, xb = fmaxf(ax, bx) + reach;
        if (fabsf(dy) > 1e-6f) {
            float t0 = (yc - reach - ay) / dy, t1 = (yc + reach - ay) / dy;
            if (t0 > t1) {
                float t = t0;
                t0 = t1;
                t1 = t;
            }
            t0 = clampf(t0, 0, 1);
            t1 = clampf(t1, 0, 1);
            xa = fminf(ax + t0 * dx, ax + t1 * dx) - reach;
            xb = fmaxf(ax + t0 * dx, ax + t1 * dx) + reach;
        }
        if (fabsf(uy) > 1e-3f) { /* and within the band |distance to the line| < hw + 1/2 */
            float mid = ax + (yc - ay) * ux / uy - 0.5f, half = (hw + 0.5f) / fabsf(uy);
            xa = fmaxf(xa, mid - half);
            xb = fminf(xb, mid + half + 1.0f);
        }
        int x0 = clampi((int)floorf(xa), b.x0, b.x1), x1 = clampi((int)ceilf(xb), b.x0, b.x1);
        /* Along a row both distances are linear in x: t (along the segment) grows by ux per
         * pixel and the signed distance to its line by uy. */
        float px = (float)x0 + 0.5f - ax, py = yc - ay;
        float t = px * ux + py * uy, side = px * uy - py * ux;
        for (int x = x0; x < x1; x++, t += ux, side += uy) {
            float perp = fabsf(side), cov;
            if (perp >= hw + 0.5f)
                continue;
            if (t >= 0.5f && t <= len - 0.5f) /* away from the ends: only the width matters */
                cov = clampf(hw + 0.5f - perp, 0, 1);
            else if (round_cap) {
                float tc = clampf(t, 0, len);
                cov = clampf(hw + 0.5f - hypotf(perp, t - tc), 0, 1);
            } else
                cov = clampf(hw + 0.5f - perp, 0, 1) * clampf(fminf(t, len - t) + 0.5f, 0, 1);
            cov *= alpha;
            if (cov <= 0)
                continue;
            if (to_mask) {
                uint8_t *m = &r->mask[(size_t)y * r->c->width + x];
                uint8_t v = to_u8(cov * 255.0f);
                *m = v > *m ? v : *m;
            } else {
                blend(pixel(r, x, y), c, cov);
            }
        }
        if (to_mask && x0 < x1) {
            r->dirty.x0 = x0 < r->dirty.x0 ? x0 : r->dirty.x0;
            r->dirty.x1 = x1 > r->dirty.x1 ? x1 : r->dirty.x1;
            r->dirty.y0 = y < r->dirty.y0 ? y : r->dirty.y0;
            r->dirty.y1 = y + 1 > r->dirty.y1 ? y + 1 : r->dirty.y1;
        }
    }
}

/* blend() of an opaque colour at factor k / 256 onto an opaque pixel, two channels per 32-bit
 * multiply: each 16-bit lane holds c k + d (256 - k) + 128 <= 255 * 256 + 128, so no lane
 * carries into the next, and the result is d + ((c - d) k + 128) >> 8 exactly as blend()
 * computes it. c_rb / c_ga are the colour's bytes 0, 2 and 1, 3 (alpha 255) in lanes. */
static inline void blend_k(uint8_t *d, uint32_t c_rb, uint32_t c_ga, uint32_t k) {
    uint32_t v, ik = 256 - k;
    memcpy(&v, d, 4);
    uint32_t rb = ((c_rb * k + (v & 0x00FF00FFu) * ik + 0x00800080u) >> 8) & 0x00FF00FFu;
    uint32_t ga = (c_ga * k + ((v >> 8) & 0x00FF00FFu) * ik + 0x00800080u) & 0xFF00FF00u;
    v = rb | ga;
    memcpy(d, &v, 4);
}

/* ---- thin straight lines ------------------------------------------------------------------- */

/* A butt-capped stroke stepped along its major axis (x for lines nearer horizontal, y
 * otherwise): the coverage stroke() gives, for the thousands of lines of the lines view.
 *
 * In the column (or row) at major centre m the centre line crosses the minor axis at c(m); a
 * pixel whose minor centre is n lies at perpendicular distance |n - c| cos(theta) from it
 * (cos(theta) = the major component of the unit direction) and at t = (m - a_major) /
 * cos(theta) + (n - c) sin(theta) along it. Coverage is reach - distance (clamped), reach =
 * w/2 + 1/2, so the touched pixels of a column are those with |n - c| < ext = reach /
 * cos(theta): with u = c - ext - 1/2 they are floor(u) + 1 + j, at most `taps` = ceil(2 ext) of
 * them, at n - c = 1 + j - frac(u) - ext. Away from the ends (t in [1/2, len - 1/2] for every
 * pixel of the column) coverage thus depends only on frac(u) and j: a table of LINE_PHASES
 * phases by `taps` pixels, built once per line, serves every column without a branch (frac(u)
 * rounded to the nearest 1/32 pixel: at most 1/64 of coverage, 4 levels of an opaque line's
 * edge, and exact for lines on whole or half pixels). Columns at the ends, or cut by the clip,
 * are computed exactly, with the butt ramp as stroke() has it. */
enum { LINE_PHASES = 32, LINE_TAPS = 8 };

typedef struct seg {
    bool xmajor;
    float u0, slope; /* u at major index m is u0 + m slope */
    float t0, dt;    /* t of the centre line at index m is t0 + m dt */
    float ext, cos_t, sin_t, reach, len, tslack;
    float k_scale;      /* coverage to blend factor (of 256): colour alpha x 256 */
    int m0, m1;         /* major indices to visit, within the clip */
    int min_lo, min_hi; /* minor bounds of the clip */
    int taps;
} seg;

/* The stepping of segment a-b (canvas pixels) of width w at colour alpha `alpha`; false when
 * nothing of it can show. */
static bool seg_make(const raster *r, float ax, float ay, float bx, float by, float w, float alpha,
                     seg *g) {
    if (w < 1.0f) { /* thinner than a pixel: a pixel wide, fainter */
        alpha *= w;
        w = 1.0f;
    }
    float dx = bx - ax, dy = by - ay, len = hypotf(dx, dy);
    if (!(len >= 1e-6f) || !isfinite(len) || !(alpha > 0))
        return false;
    g->xmajor = fabsf(dx) >= fabsf(dy);
    /* major / minor coordinates: (x, y) for x-major lines, (y, x) otherwise */
    float a_maj = g->xmajor ? ax : ay, a_min = g->xmajor ? ay : ax;
    float d_maj = g->xmajor ? dx : dy, d_min = g->xmajor ? dy : dx;
    g->len = len;
    g->reach = 0.5f * w + 0.5f;
    g->cos_t = fabsf(d_maj) / len;
    g->sin_t = d_min / len;
    g->slope = d_min / d_maj;
    g->ext = g->reach / g->cos_t;
    g->tslack = g->ext * fabsf(g->sin_t); /* how far t strays from the centre's in a column */
    g->u0 = a_min + (0.5f - a_maj) * g->slope - g->ext - 0.5f;
    g->dt = (d_maj < 0 ? -1.0f : 1.0f) / g->cos_t;
    g->t0 = (0.5f - a_maj) * g->dt;
    g->k_scale = alpha * 256.0f;
    g->taps = iceil(2.0f * g->ext);
    irect clip = r->clip;
    int maj_lo = g->xmajor ? clip.x0 : clip.y0, maj_hi = g->xmajor ? clip.x1 : clip.y1;
    g->min_lo = g->xmajor ? clip.y0 : clip.x0;
    g->min_hi = g->xmajor ? clip.y1 : clip.x1;
    float lo = fminf(a_maj, a_maj + d_maj), hi = fmaxf(a_maj, a_maj + d_maj);
    g->m0 = clampi(ifloor(clampf(lo - g->reach, -1e6f, 1e6f)), maj_lo, maj_hi);
    g->m1 = clampi(iceil(clampf(hi + g->reach, -1e6f, 1e6f)), g->m0, maj_hi);
    return g->m0 < g->m1 && g->min_lo < g->min_hi;
}

/* Coverage of the pixel at minor offset `off` = n - c from the centre, t_c along the line. */
static inline float seg_cov(const seg *g, float off, float tc, bool ends) {
    float cov = clampf(g->reach - fabsf(off) * g->cos_t, 0, 1);
    if (ends) {
        float t = tc + off * g->sin_t;
        cov *= clampf(fminf(t, g->len - t) + 0.5f, 0, 1);
    }
    return cov;
}

/* Applies blend factor k (of 256) at minor index n of major index m: composited into the canvas
 * in colour c, or, with `trans`, multiplied into the batch's transmittance (see draw_batch). */
static inline void seg_apply(raster *r, const seg *g, int m, int n, uint32_t k, ats_rgba c,
                             uint32_t c_rb, uint32_t c_ga, uint16_t *trans) {
    int x = g->xmajor ? m : n, y = g->xmajor ? n : m;
    if (trans) {
        uint16_t *t = &trans[(size_t)y * r->c->width + x];
        *t = (uint16_t)((*t * (256u - k)) >> 8);
        return;
    }
    uint8_t *d = pixel(r, x, y);
    if (d[3] == 255) /* opaque below, as nearly always */
        blend_k(d, c_rb, c_ga, k);
    else
        blend(d, c, (float)k / 256.0f);
}

/* One column (or row) computed exactly: the ends of the line and where the clip cuts it. */
static void seg_exact(raster *r, const seg *g, int m, ats_rgba c, uint32_t c_rb, uint32_t c_ga,
                      uint16_t *trans) {
    float u = clampf(g->u0 + (float)m * g->slope, -1e7f, 1e7f), tc = g->t0 + (float)m * g->dt;
    if (tc < -g->reach - g->tslack || tc > g->len + g->reach + g->tslack)
        return;
    bool ends = tc - g->tslack < 0.5f || tc + g->tslack > g->len - 0.5f;
    float cen = u + g->ext + 0.5f;
    int n0 = clampi(ifloor(u) + 1, g->min_lo, g->min_hi);
    int n1 = clampi(ifloor(clampf(cen + g->ext - 0.5f, -1e7f, 1e7f)) + 1, n0, g->min_hi);
    for (int n = n0; n < n1; n++) {
        float cov = seg_cov(g, (float)n + 0.5f - cen, tc, ends);
        seg_apply(r, g, m, n, (uint32_t)(cov * g->k_scale + 0.5f), c, c_rb, c_ga, trans);
    }
}

static void seg_draw(raster *r, const seg *g, ats_rgba c, uint16_t *trans) {
    float u_first = g->u0 + (float)g->m0 * g->slope;
    if (!(fabsf(u_first) < 1e7f)) /* far off the canvas across: nothing to draw */
        return;
    uint32_t cu, c_rb, c_ga;
    memcpy(&cu, (uint8_t[4]){c.r, c.g, c.b, 255}, 4);
    c_rb = cu & 0x00FF00FFu;
    c_ga = (cu >> 8) & 0x00FF00FFu;
    /* the table: k (blend factor, of 256) of pixel j at phase p, or for a batch 256 - k, the
     * factor that multiplies its transmittance */
    uint16_t table[LINE_PHASES][LINE_TAPS];
    int taps = g->taps <= LINE_TAPS ? g->taps : 0; /* 0: wider than the table, all exact */
    for (int p = 0; taps && p < LINE_PHASES; p++)
        for (int j = 0; j < taps; j++) {
            float off = 1.0f + (float)j - (float)p / LINE_PHASES - g->ext;
            uint32_t k = (uint32_t)(seg_cov(g, off, 0, false) * g->k_scale + 0.5f);
            table[p][j] = (uint16_t)(trans ? 256 - k : k);
        }
    /* the major indices [mi0, mi1) away from the ends: t_c - tslack >= 1/2 and t_c + tslack
     * <= len - 1/2, with t_c = t0 + m dt; one index narrower on each side for rounding */
    float ta = (0.5f + g->tslack - g->t0) / g->dt, tb = (g->len - 0.5f - g->tslack - g->t0) / g->dt;
    int mi0 = clampi(iceil(clampf(fminf(ta, tb), -1e7f, 1e7f)) + 1, g->m0, g->m1);
    int mi1 = clampi(ifloor(clampf(fmaxf(ta, tb), -1e7f, 1e7f)), mi0, g->m1);
    if (!taps)
        mi0 = mi1 = g->m1;
    for (int m = g->m0; m < mi0; m++)
        seg_exact(r, g, m, c, c_rb, c_ga, trans);
    /* u in 32.32 fixed point, plus half a phase so that the top bits of the fraction round it
     * to the nearest phase: the pixel floor(u) + 1 and the phase */
    int64_t u_fx = (int64_t)llround(((double)g->u0 + (double)mi0 * g->slope) * 4294967296.0) +
                   ((int64_t)1 << (31 - 5));
    int64_t du_fx = (int64_t)llround((double)g->slope * 4294967296.0);
    /* canvas bytes and batch entries per step along each axis */
    size_t w = (size_t)r->c->width, stride = (size_t)r->c->stride;
    size_t p_maj = g->xmajor ? 4 : stride, p_min = g->xmajor ? stride : 4;
    size_t t_maj = g->xmajor ? 1 : w, t_min = g->xmajor ? w : 1;
    int min_lo = g->min_lo, min_hi = g->min_hi - taps;
    if (trans) {
        for (int m = mi0; m < mi1; m++, u_fx += du_fx) {
            int base = (int)(u_fx >> 32) + 1;
            if (base < min_lo || base > min_hi) {
                seg_exact(r, g, m, c, c_rb, c_ga, trans);
                continue;
            }
            const uint16_t *row = table[(uint32_t)u_fx >> (32 - 5)];
            uint16_t *t = trans + (size_t)m * t_maj + (size_t)base * t_min;
            for (int j = 0; j < taps; j++, t += t_min)
                *t = (uint16_t)((*t * (uint32_t)row[j]) >> 8);
        }
    } else {
        for (int m = mi0; m < mi1; m++, u_fx += du_fx) {
            int base = (int)(u_fx >> 32) + 1;
            if (base < min_lo || base > min_hi) {
                seg_exact(r, g, m, c, c_rb, c_ga, trans);
                continue;
            }
            const uint16_t *row = table[(uint32_t)u_fx >> (32 - 5)];
            uint8_t *d = r->c->pixels + (size_t)m * p_maj + (size_t)base * p_min;
            for (int j = 0; j < taps; j++, d += p_min) {
                if (d[3] == 255)
                    blend_k(d, c_rb, c_ga, row[j]);
                else
                    blend(d, c, (float)row[j] / 256.0f);
            }
        }
    }
    for (int m = mi1; m < g->m1; m++)
        seg_exact(r, g, m, c, c_rb, c_ga, trans);
}

static void draw_line(raster *r, const dl_item *it) {
    float s = r->s;
    if (it->cap == ATS_CAP_BUTT) {
        seg g;
        if (seg_make(r, it->p[0] * s, it->p[1] * s, it->p[2] * s, it->p[3] * s, it->size * s,
                     (float)it->color.a / 255.0f, &g))
            seg_draw(r, &g, it->color, NULL);
        return;
    }
    stroke(r, it->p[0] * s, it->p[1] * s, it->p[2] * s, it->p[3] * s, it->size * s, true, it->color,
           false);
}

/* ---- batches of lines of one colour -------------------------------------------------------- */

/* Consecutive butt-capped lines of one colour (the lines of one head) composited one by one
 * give, at each pixel, d' = c + (d - c) T with T = prod(1 - a_i), a_i each line's coverage times
 * its alpha (source-over of one colour, in any order). A dense batch is cheaper as that product:
 * each line multiplies the transmittance T of the pixels it touches, kept in 16 bits (65535:
 * nothing drawn), and the canvas is blended once per pixel at the end, at 16-bit precision
 * rather than rounded to 8 bits after every line (whose rounding, always down, darkened the
 * crossings of many faint lines). The buffer is 65535 everywhere outside a batch. */
enum { BATCH_MIN_LINES = 64 };

static bool same_batch(const dl_item *a, const dl_item *b) {
    return b->kind == DL_LINE && b->cap == ATS_CAP_BUTT && b->color.r == a->color.r &&
           b->color.g == a->color.g && b->color.b == a->color.b;
}

/* Draws items[0..n) (same_batch lines), through the transmittance when the pixels the lines
 * touch outnumber the pixels of their bounding box enough to pay for the final pass. */
static void draw_batch(raster *r, const dl_item *items, int n) {
    float s = r->s, touches = 0;
    irect box = {r->c->width, r->c->height, 0, 0};
    for (int i = 0; i < n; i++) {
        const float *p = items[i].p;
        float w = fmaxf(items[i].size * s, 1.0f) + 1.0f;
        irect b = clipped(r, fminf(p[0], p[2]) * s - w, fminf(p[1], p[3]) * s - w,
                          fmaxf(p[0], p[2]) * s + w, fmaxf(p[1], p[3]) * s + w);
        if (b.x0 >= b.x1 || b.y0 >= b.y1)
            continue;
        box.x0 = b.x0 < box.x0 ? b.x0 : box.x0;
        box.y0 = b.y0 < box.y0 ? b.y0 : box.y0;
        box.x1 = b.x1 > box.x1 ? b.x1 : box.x1;
        box.y1 = b.y1 > box.y1 ? b.y1 : box.y1;
        touches += fmaxf((float)(b.x1 - b.x0), (float)(b.y1 - b.y0)) * (w + 1.0f);
    }
    if (box.x0 >= box.x1 || box.y0 >= box.y1)
        return;
    float area = (float)(box.x1 - box.x0) * (float)(box.y1 - box.y0);
    if (touches < 2.0f * area) { /* sparse: one line at a time */
        for (int i = 0; i < n; i++)
            draw_line(r, &items[i]);
        return;
    }
    size_t w = (size_t)r->c->width;
    if (!r->trans) {
        size_t n_px = w * (size_t)r->c->height;
        r->trans = malloc(n_px * sizeof *r->trans);
        if (!r->trans) {
            r->status = ATS_ERR_NOMEM;
            return;
        }
        for (size_t i = 0; i < n_px; i++)
            r->trans[i] = 65535;
    }
    for (int i = 0; i < n; i++) {
        const dl_item *it = &items[i];
        seg g;
        if (seg_make(r, it->p[0] * s, it->p[1] * s, it->p[2] * s, it->p[3] * s, it->size * s,
                     (float)it->color.a / 255.0f, &g))
            seg_draw(r, &g, it->color, r->trans);
    }
    ats_rgba c = items[0].color;
    for (int y = box.y0; y < box.y1; y++) {
        uint16_t *t = &r->trans[(size_t)y * w + box.x0];
        uint8_t *d = pixel(r, box.x0, y);
        for (int x = box.x0; x < box.x1; x++, t++, d += 4) {
            uint64_t four;
            if (x + 4 <= box.x1 && (memcpy(&four, t, 8), four == UINT64_MAX)) {
                x += 3, t += 3, d += 12; /* four untouched pixels at once */
                continue;
            }
            if (*t == 65535)
                continue;
            int a = 65535 - *t; /* the batch's alpha, of 65535 */
            *t = 65535;
            if (d[3] != 255) {
                blend(d, c, (float)a / 65535.0f);
                continue;
            }
            d[0] = (uint8_t)(d[0] + (((c.r - d[0]) * a + 32767) >> 16));
            d[1] = (uint8_t)(d[1] + (((c.g - d[1]) * a + 32767) >> 16));
            d[2] = (uint8_t)(d[2] + (((c.b - d[2]) * a + 32767) >> 16));
        }
    }
}

/* B(t) = (1-t)^3 P0 + 3 (1-t)^2 t C0 + 3 (1-t) t^2 C1 + t^3 P1, flattened into segments about
 * three pixels long (the control polygon bounds the curve's length). */
static void draw_curve(raster *r, const dl_item *it) {
    int n = r->c->width * r->c->height;
    if (!r->mask) {
        r->mask = calloc((size_t)n, 1);
        if (!r->mask) {
            r->status = ATS_ERR_NOMEM;
            return;
        }
    }
    float s = r->s, p[8];
    for (int i = 0; i < 8; i++)
        p[i] = it->p[i] * s;
    float poly = hypotf(p[2] - p[0], p[3] - p[1]) + hypotf(p[4] - p[2], p[5] - p[3]) +
                 hypotf(p[6] - p[4], p[7] - p[5]);
    int steps = clampi((int)ceilf(poly / 3.0f), 2, 512);
    r->dirty = (irect){r->c->width, r->c->height, 0, 0};
    float px = p[0], py = p[1];
    for (int i = 1; i <= steps; i++) {
        float t = (float)i / (float)steps, u = 1.0f - t;
        float b0 = u * u * u, b1 = 3 * u * u * t, b2 = 3 * u * t * t, b3 = t * t * t;
        float qx = b0 * p[0] + b1 * p[2] + b2 * p[4] + b3 * p[6];
        float qy = b0 * p[1] + b1 * p[3] + b2 * p[5] + b3 * p[7];
        stroke(r, px, py, qx, qy, it->size * s, true, it->color, true);
        px = qx, py = qy;
    }
    float alpha = (float)it->color.a / 255.0f;
    for (int y = r->dirty.y0; y < r->dirty.y1; y++) {
        uint8_t *m = &r->mask[(size_t)y * r->c->width + r->dirty.x0];
        uint8_t *d = pixel(r, r->dirty.x0, y);
        for (int x = r->dirty.x0; x < r->dirty.x1; x++, m++, d += 4) {
            if (*m)
                blend(d, it->color, (float)*m / 255.0f * alpha);
            *m = 0;
        }
    }
}

/* ---- text ---------------------------------------------------------------------------------- */

/* Coverage of bitmap `bm` at real-valued pixel coordinates (u, v) of pixel centres, bilinear,
 * zero outside. */
static float sample_cov(const text_bitmap *bm, float u, float v) {
    float fu = floorf(u), fv = floorf(v);
    int iu = (int)fu, iv = (int)fv;
    float wu = u - fu, wv = v - fv, sum = 0;
    for (int j = 0; j < 2; j++)
        for (int i = 0; i < 2; i++) {
            int x = iu + i, y = iv + j;
            if (x < 0 || y < 0 || x >= bm->w || y >= bm->h)
                continue;
            float w = (i ? wu : 1 - wu) * (j ? wv : 1 - wv);
            sum += w * (float)bm->cov[(size_t)y * bm->w + x];
        }
    return sum / 255.0f;
}

static void draw_text(raster *r, const ats_dl *dl, const dl_item *it) {
    text_bitmap bm;
    if (!ats_font_text_bitmap(r->font, dl_text(dl, it), it->len, it->size * r->s, it->bold, &bm)) {
        r->status = ATS_ERR_NOMEM;
        return;
    }
    if (!bm.cov)
        return;
    float k = it->align == ATS_ALIGN_CENTER ? 0.5f : it->align == ATS_ALIGN_END ? 1.0f : 0.0f;
    float alpha = (float)it->color.a / 255.0f;
    /* The bitmap's top-left in the text's own frame (origin at the baseline anchor), whole
     * pixels so that glyphs stay as SDL2_ttf rendered them. */
    float ax = roundf(it->p[0] * r->s), ay = roundf(it->p[1] * r->s);
    float ox = roundf(-k * bm.advance) - (float)bm.origin_x, oy = -(float)bm.baseline;
    if (it->angle == 0.0f) {
        int left = (int)(ax + ox), top = (int)(ay + oy);
        irect b = clipped(r, (float)left, (float)top, (float)(left + bm.w), (float)(top + bm.h));
        for (int y = b.y0; y < b.y1; y++) {
            const uint8_t *src = bm.cov + (size_t)(y - top) * bm.w + (b.x0 - left);
            uint8_t *d = pixel(r, b.x0, y);
            for (int x = b.x0; x < b.x1; x++, d += 4, src++)
                if (*src)
                    blend(d, it->color, (float)*src / 255.0f * alpha);
        }
        return;
    }
    /* Rotation by a about the anchor: screen = anchor + (u cos a - v sin a, u sin a + v cos a). */
    float rad = it->angle * (float)M_PI / 180.0f, ca = cosf(rad), sa = sinf(rad);
    if (fabsf(ca) < 1e-6f)
        ca = 0;
    if (fabsf(sa) < 1e-6f)
        sa = 0;
    float cu[4] = {ox, ox + (float)bm.w, ox, ox + (float)bm.w};
    float cv[4] = {oy, oy, oy + (float)bm.h, oy + (float)bm.h};
    float minx = 1e9f, miny = 1e9f, maxx = -1e9f, maxy = -1e9f;
    for (int i = 0; i < 4; i++) {
        float sx = ax + cu[i] * ca - cv[i] * sa, sy = ay + cu[i] * sa + cv[i] * ca;
        minx = fminf(minx, sx), maxx = fmaxf(maxx, sx);
        miny = fminf(miny, sy), maxy = fmaxf(maxy, sy);
    }
    irect b = clipped(r, minx - 1, miny - 1, maxx + 1, maxy + 1);
    for (int y = b.y0; y < b.y1; y++) {
        uint8_t *d = pixel(r, b.x0, y);
        for (int x = b.x0; x < b.x1; x++, d += 4) {
            float dx = (float)x + 0.5f - ax, dy = (float)y + 0.5f - ay;
            float u = dx * ca + dy * sa, v = -dx * sa + dy * ca; /* inverse rotation */
            float cov = sample_cov(&bm, u - ox - 0.5f, v - oy - 0.5f);
            if (cov > 0)
                blend(d, it->color, cov * alpha);
        }
    }
}

/* ---- images -------------------------------------------------------------------------------- */

/* For "cells" images: for each destination column (or row) p, the source cells it overlaps and
 * by how much. Pixel p covers [p, p+1] clipped to the image's extent [e0, e1]; in source units
 * that is [u0, u1] = ([p, p+1] - e0) * scale, and cell i weighs |[i, i+1] ∩ [u0, u1]|. */
typedef struct axis {
    int *start, *count, *offset; /* (n) first cell, number of cells, index into w */
    float *w;                    /* weights, back to back */
    float *cover;                /* (n) the part of the pixel inside the image */
} axis;

static void axis_free(axis *a) {
    free(a->start);
    free(a->count);
    free(a->offset);
    free(a->w);
    free(a->cover);
}

static bool axis_make(axis *a, int p0, int p1, float e0, float e1, float scale, int cells) {
    int n = p1 - p0;
    size_t per = (size_t)ceilf(scale) + 2, used = 0;
    a->start = malloc((size_t)n * sizeof(int));
    a->count = malloc((size_t)n * sizeof(int));
    a->offset = malloc((size_t)n * sizeof(int));
    a->cover = malloc((size_t)n * sizeof(float));
    a->w = malloc((size_t)n * per * sizeof(float));
    if (!a->start || !a->count || !a->offset || !a->cover || !a->w)
        return false;
    for (int k = 0; k < n; k++) {
        float f0 = fmaxf((float)(p0 + k), e0), f1 = fminf((float)(p0 + k + 1), e1);
        a->start[k] = 0;
        a->count[k] = 0;
        a->offset[k] = (int)used;
        a->cover[k] = f1 > f0 ? f1 - f0 : 0;
        if (f1 <= f0)
            continue;
        float u0 = (f0 - e0) * scale, u1 = (f1 - e0) * scale;
        int i0 = clampi((int)floorf(u0), 0, cells), i1 = clampi((int)ceilf(u1), 0, cells);
        if (i1 - i0 > (int)per)
            i1 = i0 + (int)per; /* rounding slack only; per covers every real overlap */
        a->start[k] = i0;
        a->count[k] = i1 - i0;
        for (int i = i0; i < i1; i++)
            a->w[used++] = overlap((float)i, (float)i + 1, u0, u1);
    }
    return true;
}

/* One source row resampled across: for each destination column, the sums over the cells under
 * it of w a r, w a g, w a b, w a (colours premultiplied by alpha a) and of the weight w. */
typedef struct hsum {
    float r, g, b, a, w;
} hsum;

/* `pm`: room for the row's iw cells premultiplied, (iw, 4) floats a r, a g, a b, a; converting
 * each byte once pays when cells are wider than pixels and each is read by several. */
static void resample_row(const uint8_t *row, int iw, const axis *cols, int n, float *pm,
                         hsum *out) {
    for (int i = 0; i < iw; i++, row += 4) {
        float a = (float)row[3];
        pm[4 * i] = a * (float)row[0];
        pm[4 * i + 1] = a * (float)row[1];
        pm[4 * i + 2] = a * (float)row[2];
        pm[4 * i + 3] = a;
    }
    for (int cx = 0; cx < n; cx++) {
        hsum s = {0, 0, 0, 0, 0};
        const float *w = cols->w + cols->offset[cx], *p = pm + 4 * (size_t)cols->start[cx];
        for (int i = 0; i < cols->count[cx]; i++, p += 4) {
            s.r += w[i] * p[0], s.g += w[i] * p[1], s.b += w[i] * p[2];
            s.a += w[i] * p[3], s.w += w[i];
        }
        out[cx] = s;
    }
}

/* Each pixel: the area-weighted mean of the cells under it, colours weighted by their alpha
 * (premultiplied) so that transparent cells do not darken; a pixel inside one cell takes that
 * cell's colour as it is. The weights are separable, so each source row is resampled across
 * once (into a ring of as many rows as a pixel can span) and each pixel sums a column of those. */
static void draw_cells(raster *r, const uint8_t *img, int iw, int ih, irect b, float x0, float y0,
                       float x1, float y1, float su, float sv) {
    axis cols = {0}, rows = {0};
    int nw = b.x1 - b.x0, ring = 1;
    hsum *hs = NULL;
    float *pm = NULL; /* (iw, 4) one source row premultiplied */
    int *held = NULL; /* (ring) the source row in each slot, -1: none */
    bool ok = axis_make(&cols, b.x0, b.x1, x0, x1, su, iw) &&
              axis_make(&rows, b.y0, b.y1, y0, y1, sv, ih);
    for (int ry = 0; ok && ry < b.y1 - b.y0; ry++)
        ring = rows.count[ry] > ring ? rows.count[ry] : ring;
    if (ok) {
        hs = malloc((size_t)ring * (size_t)nw * sizeof *hs);
        held = malloc((size_t)ring * sizeof *held);
        pm = malloc((size_t)iw * 4 * sizeof *pm);
    }
    if (!hs || !held || !pm) {
        r->status = ATS_ERR_NOMEM;
        goto done;
    }
    for (int i = 0; i < ring; i++)
        held[i] = -1;
    for (int y = b.y0; y < b.y1; y++) {
        int ry = y - b.y0, nj = rows.count[ry], j0 = rows.start[ry];
        if (nj == 0)
            continue;
        for (int j = j0; j < j0 + nj; j++) /* the rows this one needs, resampled */
            if (held[j % ring] != j) {
                resample_row(img + (size_t)j * (size_t)iw * 4, iw, &cols, nw, pm,
                             hs + (j % ring) * nw);
                held[j % ring] = j;
            }
        const float *wy = rows.w + rows.offset[ry];
        uint8_t *d = pixel(r, b.x0, y);
        for (int cx = 0; cx < nw; cx++, d += 4) {
            if (cols.count[cx] == 0)
                continue;
            float area = cols.cover[cx] * rows.cover[ry];
            if (cols.count[cx] == 1 && nj == 1) { /* inside one cell: with its neighbours in it */
                int run = 1;
                while (cx + run < nw && cols.count[cx + run] == 1 &&
                       cols.start[cx + run] == cols.start[cx] && cols.cover[cx + run] == area)
                    run++;
                const uint8_t *p = img + ((size_t)j0 * iw + cols.start[cx]) * 4;
                blend_span(d, run, (ats_rgba){p[0], p[1], p[2], 255}, (float)p[3] / 255.0f * area);
                cx += run - 1, d += (size_t)(run - 1) * 4;
                continue;
            }
            float sr = 0, sg = 0, sb = 0, sa = 0, sw = 0;
            for (int j = 0; j < nj; j++) {
                const hsum *h = &hs[((j0 + j) % ring) * nw + cx];
                sr += wy[j] * h->r, sg += wy[j] * h->g, sb += wy[j] * h->b;
                sa += wy[j] * h->a, sw += wy[j] * h->w;
            }
            if (sa > 0 && sw > 0)
                blend(d, (ats_rgba){to_u8(sr / sa), to_u8(sg / sa), to_u8(sb / sa), 255},
                      sa / (sw * 255.0f) * area);
        }
    }
done:
    free(hs);
    free(pm);
    free(held);
    axis_free(&cols);
    axis_free(&rows);
}

/* Bilinear sample at source pixel-centre coordinates (u, v), clamped to the edge. */
static void bilinear(const uint8_t *img, int iw, int ih, float u, float v, ats_rgba *out,
                     float *alpha) {
    u = clampf(u, 0, (float)(iw - 1));
    v = clampf(v, 0, (float)(ih - 1));
    int i = (int)u, j = (int)v, i2 = i + 1 < iw ? i + 1 : i, j2 = j + 1 < ih ? j + 1 : j;
    float wu = u - (float)i, wv = v - (float)j, acc[4] = {0};
    const uint8_t *q[4] = {img + ((size_t)j * iw + i) * 4, img + ((size_t)j * iw + i2) * 4,
                           img + ((size_t)j2 * iw + i) * 4, img + ((size_t)j2 * iw + i2) * 4};
    float w[4] = {(1 - wu) * (1 - wv), wu * (1 - wv), (1 - wu) * wv, wu * wv};
    for (int k = 0; k < 4; k++) {
        float a = w[k] * (float)q[k][3];
        acc[0] += a * q[k][0], acc[1] += a * q[k][1], acc[2] += a * q[k][2], acc[3] += a;
    }
    if (acc[3] <= 0) {
        *alpha = 0;
        return;
    }
    *out = (ats_rgba){to_u8(acc[0] / acc[3]), to_u8(acc[1] / acc[3]), to_u8(acc[2] / acc[3]), 255};
    *alpha = acc[3] / 255.0f;
}

static void draw_image(raster *r, const ats_dl *dl, const dl_item *it) {
    float s = r->s;
    float x0 = it->p[0] * s, y0 = it->p[1] * s, x1 = x0 + it->p[2] * s, y1 = y0 + it->p[3] * s;
    float su = (float)it->iw / (x1 - x0), sv = (float)it->ih / (y1 - y0); /* source per pixel */
    const uint8_t *img = dl_image(dl, it);
    irect b = clipped(r, x0, y0, x1, y1);
    if (b.x0 >= b.x1 || b.y0 >= b.y1)
        return;
    if (it->filter == ATS_IMAGE_CELLS) {
        draw_cells(r, img, it->iw, it->ih, b, x0, y0, x1, y1, su, sv);
        return;
    }
    for (int y = b.y0; y < b.y1; y++) {
        float cy = overlap((float)y, (float)y + 1, y0, y1);
        uint8_t *d = pixel(r, b.x0, y);
        for (int x = b.x0; x < b.x1; x++, d += 4) {
            float cx = overlap((float)x, (float)x + 1, x0, x1);
            ats_rgba c = {0, 0, 0, 0};
            float a = 0;
            bilinear(img, it->iw, it->ih, ((float)x + 0.5f - x0) * su - 0.5f,
                     ((float)y + 0.5f - y0) * sv - 0.5f, &c, &a);
            blend(d, c, a * cx * cy);
        }
    }
}

/* ---- clips and the walk -------------------------------------------------------------------- */

static void push_clip(raster *r, const dl_item *it) {
    if (r->depth == MAX_CLIP_DEPTH) {
        r->overflow++; /* deeper clips are not applied; the matching pops are skipped too */
        return;
    }
    r->stack[r->depth++] = r->clip;
    float s = r->s;
    irect c = {(int)roundf(it->p[0] * s), (int)roundf(it->p[1] * s),
               (int)roundf((it->p[0] + it->p[2]) * s), (int)roundf((it->p[1] + it->p[3]) * s)};
    r->clip.x0 = c.x0 > r->clip.x0 ? c.x0 : r->clip.x0;
    r->clip.y0 = c.y0 > r->clip.y0 ? c.y0 : r->clip.y0;
    r->clip.x1 = c.x1 < r->clip.x1 ? c.x1 : r->clip.x1;
    r->clip.y1 = c.y1 < r->clip.y1 ? c.y1 : r->clip.y1;
}

static void pop_clip(raster *r) {
    if (r->overflow > 0)
        r->overflow--;
    else if (r->depth > 0)
        r->clip = r->stack[--r->depth];
}

ats_status ats_render_draw(ats_canvas *c, const ats_dl *dl, ats_font *font, float scale,
                           ats_error *err) {
    if (!c || !dl || !c->pixels || c->stride < 4 * c->width || !(scale > 0) || !isfinite(scale))
        return ats_fail(err, ATS_ERR_ARG, "render: bad canvas or scale");
    raster r = {.c = c, .font = font, .s = scale, .clip = {0, 0, c->width, c->height}};
    for (int i = 0; i < dl->n_items; i++) {
        const dl_item *it = &dl->items[i];
        switch ((dl_kind)it->kind) {
        case DL_RECT:
            draw_rect(&r, it);
            break;
        case DL_LINE: {
            int n = 1;
            while (it->cap == ATS_CAP_BUTT && i + n < dl->n_items && same_batch(it, it + n))
                n++;
            if (n >= BATCH_MIN_LINES)
                draw_batch(&r, it, n);
            else
                for (int k = 0; k < n; k++)
                    draw_line(&r, it + k);
            i += n - 1;
            break;
        }
        case DL_CURVE:
            draw_curve(&r, it);
            break;
        case DL_CIRCLE:
            draw_circle(&r, it);
            break;
        case DL_TEXT:
            if (font)
                draw_text(&r, dl, it);
            break;
        case DL_IMAGE:
            draw_image(&r, dl, it);
            break;
        case DL_CLIP_PUSH:
            push_clip(&r, it);
            break;
        case DL_CLIP_POP:
            pop_clip(&r);
            break;
        }
    }
    free(r.mask);
    free(r.trans);
    if (r.status != ATS_OK)
        return ats_fail(err, r.status, "render: out of memory while drawing");
    return ATS_OK;
}
