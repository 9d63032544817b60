/* Drawing pieces the views share: checked drawing calls, the title line, head colours, the
 * colour bar, attention images and the hatching of masked cells. */
#include "view_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void note(view_ctx *c, ats_status s) {
    if (c->status == ATS_OK)
        c->status = s;
}

void ats_view_rect(view_ctx *c, float x, float y, float w, float h, float radius, ats_rgba color) {
    note(c, ats_dl_rect(c->dl, x, y, w, h, radius, color));
}

void ats_view_line(view_ctx *c, float x0, float y0, float x1, float y1, float width,
                   ats_rgba color) {
    note(c, ats_dl_line(c->dl, x0, y0, x1, y1, width, ATS_CAP_BUTT, color));
}

void ats_view_circle(view_ctx *c, float cx, float cy, float radius, ats_rgba color) {
    note(c, ats_dl_circle(c->dl, cx, cy, radius, color));
}

void ats_view_text(view_ctx *c, float x, float y, const char *s, const ats_text_style *style) {
    note(c, ats_dl_text(c->dl, c->font, x, y, s, style));
}

void ats_view_image(view_ctx *c, float x, float y, float w, float h, const uint8_t *rgba, int iw,
                    int ih) {
    if (rgba)
        note(c, ats_dl_image(c->dl, x, y, w, h, rgba, iw, ih, iw * 4, ATS_IMAGE_CELLS));
}

void ats_view_clip(view_ctx *c, float x, float y, float w, float h) {
    note(c, ats_dl_push_clip(c->dl, x, y, w, h));
}

void ats_view_unclip(view_ctx *c) {
    note(c, ats_dl_pop_clip(c->dl));
}

void ats_view_outline(view_ctx *c, float x, float y, float w, float h, float width,
                      ats_rgba color) {
    width = fminf(width, 0.5f * fminf(w, h));
    ats_view_rect(c, x, y, w, width, 0, color);
    ats_view_rect(c, x, y + h - width, w, width, 0, color);
    ats_view_rect(c, x, y + width, width, h - 2 * width, 0, color);
    ats_view_rect(c, x + w - width, y + width, width, h - 2 * width, 0, color);
}

uint8_t *ats_view_scratch(view_ctx *c, size_t bytes) {
    if (bytes > *c->scratch_cap) {
        uint8_t *p = realloc(*c->scratch, bytes);
        if (!p) {
            note(c, ATS_ERR_NOMEM);
            return NULL;
        }
        *c->scratch = p;
        *c->scratch_cap = bytes;
    }
    return *c->scratch;
}

/* ---- title --------------------------------------------------------------------------------- */

static const char *model_name(const ats_view_data *d) {
    return d->model_name && *d->model_name ? d->model_name : "attention";
}

float ats_view_title_width(const ats_view_state *st, const ats_view_data *d, ats_font *font,
                           const char *detail) {
    float ui = st->ui_scale > 0.1f ? st->ui_scale : 1.0f;
    float name = ats_font_measure(font, model_name(d), UI_TITLE * ui, true);
    /* the name may take 0.6 of the line (ats_view_title): a long one needs a wider view */
    return fmaxf(name + 12.0f * ui + ats_font_measure(font, detail, UI_TITLE * ui, false),
                 name / 0.6f);
}

void ats_view_head_detail(const ats_view_data *d, int layer, int head, char *out, size_t size) {
    bool off = d->ablated && d->ablated[(size_t)layer * (size_t)d->n_head + (size_t)head];
    snprintf(out, size, "layer %d \xC2\xB7 head %d%s%s%.60s", layer, head,
             off ? " \xC2\xB7 ablated" : "", d->measure ? " \xC2\xB7 " : "",
             d->measure ? d->measure : "");
}

float ats_view_title(view_ctx *c, const char *detail) {
    float m = UI_MARGIN * c->ui, size = UI_TITLE * c->ui;
    ats_text_style ts = tstyle(size, COLOR_INK, ATS_ALIGN_START, ATS_VALIGN_TOP);
    ts.bold = true;
    ts.max_width = 0.6f * (c->w - 2 * m);
    ats_view_text(c, m, m, model_name(c->d), &ts);
    float wb = fminf(ats_font_measure(c->font, model_name(c->d), size, true), ts.max_width);
    ts = tstyle(size, COLOR_MUTED, ATS_ALIGN_START, ATS_VALIGN_TOP);
    ts.max_width = c->w - 2 * m - wb - 12.0f * c->ui;
    if (ts.max_width > size)
        ats_view_text(c, m + wb + 12.0f * c->ui, m, detail, &ts);
    float ascent, descent;
    ats_font_metrics(c->font, size, &ascent, &descent);
    return m + ascent + descent;
}

/* ---- head colours -------------------------------------------------------------------------- */

/* HSL (h in turns) to sRGB. */
static ats_rgba hsl(float h, float s, float l) {
    float q = l < 0.5f ? l * (1 + s) : l + s - l * s, p = 2 * l - q, rgb[3];
    for (int i = 0; i < 3; i++) {
        float t = h + (1 - i) / 3.0f;
        t -= floorf(t);
        rgb[i] = t < 1 / 6.0f   ? p + (q - p) * 6 * t
                 : t < 0.5f     ? q
                 : t < 2 / 3.0f ? p + (q - p) * (2 / 3.0f - t) * 6
                                : p;
    }
    return (ats_rgba){(uint8_t)lroundf(rgb[0] * 255), (uint8_t)lroundf(rgb[1] * 255),
                      (uint8_t)lroundf(rgb[2] * 255), 255};
}

ats_rgba ats_head_color(int head) {
    /* The "tab10" hues of many plotting tools: well separated and readable on white. */
    static const ats_rgba TEN[10] = {
        {31, 119, 180, 255},  {255, 127, 14, 255}, {44, 160, 44, 255},   {214, 39, 40, 255},
        {148, 103, 189, 255}, {140, 86, 75, 255},  {227, 119, 194, 255}, {23, 190, 207, 255},
        {188, 189, 34, 255},  {127, 127, 127, 255}};
    if (head >= 0 && head < 10)
        return TEN[head];
    /* beyond ten: hues a golden angle apart, alternating lightness */
    return hsl(0.618034f * (float)head, 0.65f, head % 2 ? 0.42f : 0.55f);
}

ats_rgba ats_view_head_color(int head) {
    return ats_head_color(head);
}

static float widest(const view_ctx *c, const token_set *t, float size) {
    float w = 0;
    for (int i = 0; i < t->n; i++)
        w = fmaxf(w, ats_font_measure(c->font, t->labels[t->shown[i]], size, false));
    return fminf(w, UI_LABEL_WIDTH * c->ui);
}

float ats_widest_label(const view_ctx *c, float size) {
    return widest(c, &c->tok, size);
}

float ats_widest_key_label(const view_ctx *c, float size) {
    return c->cross ? widest(c, &c->ktok, size) : widest(c, &c->tok, size);
}

/* ---- colour bar ---------------------------------------------------------------------------- */

/* The colour bar's five tick labels, from the lowest weight its colours span to the highest (so
 * the legend shows the range), and a caption of one or two lines naming the scale. */
typedef struct bar_text {
    char ticks[5][24];
    const char *caption[2];
} bar_text;

static void colorbar_text(const view_ctx *c, bar_text *t) {
    static const char *const CAPTION[ATS_COLOR_SCALE_COUNT][2] = {
        {"weight", NULL},
        {"weight (auto)", NULL},
        {"weight (min\xE2\x80\x93max)", NULL},
        {"weight \xC3\xB7 row max", NULL},
        {"weight (auto, first", "row and column out)"}};
    bool diverging = ats_colormap_is_diverging(c->st->colormap);
    ats_color_scale scale = ats_view_effective_scale(c->st, c->d);
    t->caption[0] = CAPTION[scale][0];
    t->caption[1] = CAPTION[scale][1];
    if (c->d->measure) { /* values that are not the weights: named, and scaled to their range */
        t->caption[0] = c->d->measure;
        t->caption[1] = scale == ATS_COLOR_SCALE_ROW ? "\xC3\xB7 row max" : NULL;
    }
    float m = fmaxf(fabsf(c->vmin), fabsf(c->vmax));
    float lo = diverging ? -m : c->vmin, hi = diverging ? m : c->vmax;
    if (scale == ATS_COLOR_SCALE_ROW) {
        lo = diverging ? -1.0f : 0.0f;
        hi = 1.0f;
    }
    for (int i = 0; i < 5; i++) {
        float v = lo + (hi - lo) * (float)i / 4.0f;
        if (fabsf(v) < 1e-6f * fmaxf(fabsf(hi), fabsf(lo)))
            v = 0;
        if (scale == ATS_COLOR_SCALE_ROW) /* shares of the row's largest weight */
            snprintf(t->ticks[i], sizeof t->ticks[i], "%.0f%%", (double)(100.0f * v));
        else if (scale == ATS_COLOR_SCALE_FIXED) /* 0 .. 1 as papers print it */
            snprintf(t->ticks[i], sizeof t->ticks[i], "%g", (double)v);
        else
            ats_format_number(t->ticks[i], sizeof t->ticks[i], (double)v, ATS_NUMBER_PLAIN);
    }
}

float ats_view_colorbar(view_ctx *c, float x, float y, float h, bool measure_only) {
    float ui = c->ui, bar = 14.0f * ui, gap = 5.0f * ui, size = UI_SMALL * ui, a, d;
    ats_font_metrics(c->font, size, &a, &d);
    bar_text bt;
    colorbar_text(c, &bt);
    float text_w = ats_font_measure(c->font, "masked", size, false);
    for (int i = 0; i < 5; i++)
        text_w = fmaxf(text_w, ats_font_measure(c->font, bt.ticks[i], size, false));
    float width = bar + gap + 4.0f * ui + text_w;
    for (int i = 0; i < 2; i++)
        if (bt.caption[i])
            width = fmaxf(width, ats_font_measure(c->font, bt.caption[i], size, false));
    /* hidden special tokens' weight spread over the rest: said under the bar (and in exports) */
    static const char *const RENORM[2] = {"special tokens hidden,", "rows renormalized"};
    bool renorm = ats_view_hides_keys(c) && c->st->renormalize;
    for (int i = 0; renorm && i < 2; i++)
        width = fmaxf(width, ats_font_measure(c->font, RENORM[i], size, false));
    if (measure_only)
        return width;

    ats_text_style caption = tstyle(size, COLOR_MUTED, ATS_ALIGN_START, ATS_VALIGN_BOTTOM);
    float cy = y - 12.0f * ui - (bt.caption[1] ? a + d : 0);
    for (int i = 0; i < 2; i++)
        if (bt.caption[i])
            ats_view_text(c, x, cy + (float)i * (a + d), bt.caption[i], &caption);
    /* the gradient: a 1 x 256 image, top row the highest value */
    uint8_t grad[256 * 4];
    for (int r = 0; r < 256; r++) {
        ats_rgba col = c->lut[255 - r];
        memcpy(grad + r * 4, &col, 4);
    }
    note(c, ats_dl_image(c->dl, x, y, bar, h, grad, 1, 256, 4, ATS_IMAGE_SMOOTH));
    ats_view_outline(c, x, y, bar, h, 1.0f * ui, COLOR_FAINT);
    ats_text_style label = tstyle(size, COLOR_INK, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
    for (int i = 0; i < 5; i++) {
        float ty = y + h * (1.0f - (float)i / 4.0f);
        ats_view_line(c, x + bar, ty, x + bar + 4.0f * ui, ty, 1.0f * ui, COLOR_MUTED);
        ats_view_text(c, x + bar + gap + 4.0f * ui, ty, bt.ticks[i], &label);
    }
    if (c->d->causal) { /* key for masked cells */
        float ky = y + h + 12.0f * ui;
        frect sw = {x, ky, bar, bar};
        ats_view_rect(c, sw.x, sw.y, sw.w, sw.h, 0, COLOR_MASKED);
        ats_view_clip(c, sw.x, sw.y, sw.w, sw.h);
        for (float o = -bar; o < bar; o += 6.0f * ui) /* the hatching of masked cells */
            ats_view_line(c, sw.x + o, sw.y, sw.x + o + bar, sw.y + bar, 1.0f * ui, COLOR_HATCH);
        ats_view_unclip(c);
        ats_view_outline(c, sw.x, sw.y, sw.w, sw.h, 1.0f * ui, COLOR_FAINT);
        ats_view_text(c, x + bar + gap + 4.0f * ui, ky + 0.5f * bar, "masked", &label);
    }
    if (renorm) {
        ats_text_style ns = tstyle(size, COLOR_INK, ATS_ALIGN_START, ATS_VALIGN_TOP);
        float ny = y + h + 12.0f * ui + (c->d->causal ? bar + 8.0f * ui : 0);
        for (int i = 0; i < 2; i++)
            ats_view_text(c, x, ny + (float)i * (a + d), RENORM[i], &ns);
    }
    return width;
}

/* ---- attention images and masking ---------------------------------------------------------- */

/* Sum of row[shown[k]] over k in [k0, k1); with every token shown (shown[k] == k) in four
 * independent sums, which a CPU adds four times as fast as one chain. */
static double row_sum(const float *row, const int *shown, bool all_shown, int k0, int k1) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int k = k0;
    if (all_shown)
        for (; k + 4 <= k1; k += 4) {
            s0 += row[k];
            s1 += row[k + 1];
            s2 += row[k + 2];
            s3 += row[k + 3];
        }
    for (; k < k1; k++)
        s0 += row[shown[k]];
    return (s0 + s1) + (s2 + s3);
}

/* The first of the shown keys kshown[0..kn) inside the sliding window of query token q (run
 * indices; 0 without a window). */
static int first_in_window(const int *kshown, int kn, int q, int window) {
    int k = 0;
    while (window > 0 && k < kn && kshown[k] <= q - window)
        k++;
    return k;
}

const uint8_t *ats_attention_image(view_ctx *c, int layer, int head, int step, int *mq_out,
                                   int *mk_out) {
    int n = c->tok.n, nk = c->ktok.n, K = n_keys_of(c->d);
    int m = (n + step - 1) / step, mk = (nk + step - 1) / step;
    *mq_out = m;
    *mk_out = mk;
    /* per block column of the current block row: sum (mk) and cells seen (mk); then the image */
    double *sum = (double *)(void *)ats_view_scratch(
        c, (size_t)mk * (sizeof(double) + sizeof(int)) + (size_t)m * (size_t)mk * 4);
    if (!sum)
        return NULL;
    int *seen = (int *)(void *)(sum + mk);
    uint8_t *img = (uint8_t *)(void *)(seen + mk);
    const float *a = ats_view_data_head(c->d, layer, head);
    if (!a) { /* a head that cannot be had: empty */
        memset(img, 0, (size_t)m * (size_t)mk * 4);
        return img;
    }
    const int *shown = c->tok.shown, *kshown = c->ktok.shown;
    bool causal = c->d->causal, all_shown = nk == K;
    int window = causal ? ats_view_window(c->d, layer) : 0;
    if (step == 1) { /* a pixel per cell: no means; value_color with its divisions hoisted */
        bool diverging = ats_colormap_is_diverging(c->st->colormap);
        float mag = fmaxf(fabsf(c->vmin), fabsf(c->vmax)), span = c->vmax - c->vmin;
        float scale = diverging ? 127.5f / (mag > 0 ? mag : 1.0f) : 255.0f / (span > 0 ? span : 1);
        float base = diverging ? 128.0f : 0.5f - c->vmin * scale;
        for (int q = 0; q < n; q++) {
            const float *row = a + (size_t)shown[q] * (size_t)K;
            float rs = scale * ats_view_row_mult(c, layer, head, shown[q]);
            uint8_t *p = img + (size_t)q * (size_t)mk * 4;
            int kn = causal ? q + 1 : nk, k0 = first_in_window(kshown, kn, shown[q], window);
            memset(p, 0, (size_t)k0 * 4); /* outside the sliding window: transparent */
            p += (size_t)k0 * 4;
            for (int k = k0; k < kn; k++, p += 4) {
                float t = row[kshown[k]] * rs + base;            /* index + 1/2 */
                t = t > 0.5f ? (t < 255.5f ? t : 255.5f) : 0.5f; /* NaN: the low end */
                memcpy(p, &c->lut[(int)t], 4);
            }
            memset(p, 0, (size_t)(nk - kn) * 4); /* masked: transparent */
        }
        return img;
    }
    for (int bi = 0; bi < m; bi++) {
        int q0 = bi * step, q1 = q0 + step < n ? q0 + step : n;
        memset(sum, 0, (size_t)mk * sizeof *sum);
        memset(seen, 0, (size_t)mk * sizeof *seen);
        for (int q = q0; q < q1; q++) {
            const float *row = a + (size_t)shown[q] * (size_t)K;
            double rs = ats_view_row_mult(c, layer, head, shown[q]);
            int kn = causal ? q + 1 : nk; /* shown order is run order: key after query masked */
            int k0 = first_in_window(kshown, kn, shown[q], window);
            for (int bj = 0, k = 0; k < kn; bj++, k += step) {
                int ka = k > k0 ? k : k0, k1 = k + step < kn ? k + step : kn;
                if (ka >= k1)
                    continue;
                sum[bj] += rs * row_sum(row, kshown, all_shown, ka, k1);
                seen[bj] += k1 - ka;
            }
        }
        uint8_t *p = img + (size_t)bi * (size_t)mk * 4;
        for (int bj = 0; bj < mk; bj++, p += 4) {
            int k1 = bj * step + step < nk ? bj * step + step : nk;
            int total = (q1 - q0) * (k1 - bj * step);
            ats_rgba col =
                seen[bj] ? value_color(c, (float)(sum[bj] / seen[bj])) : (ats_rgba){0, 0, 0, 0};
            p[0] = col.r, p[1] = col.g, p[2] = col.b;
            p[3] = (uint8_t)(255 * seen[bj] / (total ? total : 1));
        }
    }
    return img;
}

void ats_window_hatching(view_ctx *c, float ox, float oy, float cell, int n, int window,
                         frect area) {
    /* Lines v - u = d with d >= window cells lie in cells whose key is window or more tokens
     * before their query (the mirror of the causal hatching). */
    float spacing = 6.0f * c->ui, extent = (float)n * cell;
    float lo = area.y - oy - (area.x + area.w - ox), hi = area.y + area.h - oy - (area.x - ox);
    lo = fmaxf(lo, (float)window * cell + 1.0f * c->ui);
    hi = fminf(hi, extent);
    for (float d = ceilf(lo / spacing) * spacing; d < hi; d += spacing)
        ats_view_line(c, ox, oy + d, ox + extent - d, oy + extent, 1.0f * c->ui, COLOR_HATCH);
}

void ats_masked_hatching(view_ctx *c, float ox, float oy, float cell, int n, frect area) {
    /* Lines u - v = d (u right, v down from the matrix corner) with d >= one cell lie entirely
     * in cells whose key comes after their query. They are placed at whole multiples of the
     * spacing from the corner, so they move with the matrix when it pans. */
    float spacing = 6.0f * c->ui, extent = (float)n * cell;
    float lo = area.x - ox - (area.y + area.h - oy), hi = area.x + area.w - ox - (area.y - oy);
    lo = fmaxf(lo, cell + 1.0f * c->ui);
    hi = fminf(hi, extent);
    for (float d = ceilf(lo / spacing) * spacing; d < hi; d += spacing)
        ats_view_line(c, ox + d, oy, ox + extent, oy + extent - d, 1.0f * c->ui, COLOR_HATCH);
}
