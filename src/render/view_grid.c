/* The grid view (the "model view"): a thumbnail heatmap for every layer (rows) and head
 * (columns). The selected head is outlined; the hovered one is outlined and previewed large in a
 * panel beside it, with token labels when they fit. Thumbnails of long texts are box-averaged
 * down to about their pixel size before they enter the display list, and kept in the view
 * between builds (see thumb_cache). Heads with a badge (what they were measured to do,
 * ats_view_data.head_badges) carry it on their thumbnail and in the preview's title.
 */
#include "view_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct geom {
    float m, head_y; /* margin; top of the head numbers */
    float row_w;     /* layer numbers column */
    float col_h;     /* head numbers band */
    bool long_names; /* "layer 3" / "head 5" rather than "3" / "5" */
    float gap, thumb;
    frect grid;
} geom;

static float title_bottom_estimate(const view_ctx *c) {
    float a, d;
    ats_font_metrics(c->font, UI_TITLE * c->ui, &a, &d);
    return UI_MARGIN * c->ui + a + d;
}

/* Everything but the thumbnail size; `thumb` decides whether long names fit. */
static void frame(const view_ctx *c, geom *g, float thumb) {
    float ui = c->ui, size = UI_SMALL * ui, a, d;
    ats_font_metrics(c->font, size, &a, &d);
    char widest[32];
    snprintf(widest, sizeof widest, "head %d", c->d->n_head - 1);
    g->long_names = ats_font_measure(c->font, widest, size, false) <= thumb - 4.0f * ui;
    snprintf(widest, sizeof widest, g->long_names ? "layer %d" : "%d", c->d->n_layer - 1);
    g->m = UI_MARGIN * ui;
    g->head_y = title_bottom_estimate(c) + 14.0f * ui;
    g->row_w = ats_font_measure(c->font, widest, size, false) + 10.0f * ui;
    g->col_h = a + d + 6.0f * ui;
    g->gap = 6.0f * ui;
}

static void layout(const view_ctx *c, float w, float h, geom *g) {
    int L = c->d->n_layer, H = c->d->n_head;
    frame(c, g, 1e9f);
    for (int pass = 0; pass < 2; pass++) {
        float x = g->m + g->row_w, y = g->head_y + g->col_h;
        float tw = (w - x - g->m - (float)(H - 1) * g->gap) / (float)H;
        float th = (h - y - g->m - (float)(L - 1) * g->gap) / (float)L;
        g->thumb = fmaxf(fminf(tw, th), 2.0f);
        if (pass == 0)
            frame(c, g, g->thumb);
    }
    float gw = (float)H * g->thumb + (float)(H - 1) * g->gap;
    float x = g->m + g->row_w;
    x += fmaxf(0, 0.5f * (w - x - g->m - gw)); /* centred in the room left */
    g->grid = (frect){x, g->head_y + g->col_h, gw, (float)L * g->thumb + (float)(L - 1) * g->gap};
}

static void grid_detail(const view_ctx *c, char *out, size_t size) {
    const ats_view_data *d = c->d;
    ats_color_scale scale = ats_view_effective_scale(c->st, d);
    int off = 0;
    for (int i = 0; d->ablated && i < d->n_layer * d->n_head; i++)
        off += d->ablated[i];
    char ablated[48] = "";
    if (off)
        snprintf(ablated, sizeof ablated, " \xC2\xB7 %d ablated", off);
    snprintf(out, size, "%d layer%s \xC3\x97 %d head%s%s%s%.40s%s%s%.40s", d->n_layer,
             d->n_layer == 1 ? "" : "s", d->n_head, d->n_head == 1 ? "" : "s",
             scale == ATS_COLOR_SCALE_FIXED ? ""
             : scale == ATS_COLOR_SCALE_ROW ? " \xC2\xB7 each row coloured 0 to its max"
                                            : " \xC2\xB7 each head coloured over its own range",
             d->measure ? " \xC2\xB7 " : "", d->measure ? d->measure : "", ablated,
             d->head_values && d->head_value_name ? " \xC2\xB7 numbers: " : "",
             d->head_values && d->head_value_name ? d->head_value_name : "");
}

/* A head's marks over its thumbnail: faded when a filter leaves it out, crossed out when the
 * run ablated it, and its number (a metric) in the top-right corner. */
static void head_marks(view_ctx *c, frect r, int layer, int head) {
    const ats_view_data *d = c->d;
    size_t i = (size_t)layer * (size_t)d->n_head + (size_t)head;
    float ui = c->ui;
    if (d->head_faded && d->head_faded[i])
        ats_view_rect(c, r.x, r.y, r.w, r.h, 0, (ats_rgba){255, 255, 255, 190});
    if (d->ablated && d->ablated[i]) {
        ats_rgba red = {200, 40, 40, 230};
        float t = fmaxf(1.0f, fminf(2.5f * ui, 0.06f * r.w));
        ats_view_rect(c, r.x, r.y, r.w, r.h, 0, (ats_rgba){255, 255, 255, 120});
        ats_view_line(c, r.x + t, r.y + t, r.x + r.w - t, r.y + r.h - t, t, red);
        ats_view_line(c, r.x + r.w - t, r.y + t, r.x + t, r.y + r.h - t, t, red);
    }
    float size = fminf(UI_SMALL * ui, 0.22f * r.h);
    if (!d->head_values || size < UI_LABEL_MIN * ui || !isfinite(d->head_values[i]))
        return;
    char text[16];
    ats_format_number(text, sizeof text, (double)d->head_values[i], ATS_NUMBER_PLAIN);
    float a, dd, pad = 0.3f * size;
    ats_font_metrics(c->font, size, &a, &dd);
    float w = ats_font_measure(c->font, text, size, false) + 2 * pad, h = a + dd + 0.5f * pad;
    w = fminf(w, r.w - 2 * pad);
    float x = r.x + r.w - pad - w, y = r.y + pad;
    bool faded = d->head_faded && d->head_faded[i];
    ats_view_rect(c, x, y, w, h, 0.5f * h,
                  faded ? (ats_rgba){120, 126, 134, 160} : (ats_rgba){31, 35, 40, 215});
    ats_text_style ts = tstyle(size, COLOR_WHITE, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE);
    ts.max_width = w;
    ats_view_text(c, x + 0.5f * w, y + 0.5f * h, text, &ts);
}

void ats_grid_natural_size(view_ctx *c, float *w, float *h) {
    float ui = c->ui;
    int L = c->d->n_layer, H = c->d->n_head;
    float t = clampf(560.0f * ui / fmaxf((float)H, 0.75f * (float)L), 44.0f * ui, 110.0f * ui);
    geom g;
    frame(c, &g, t);
    *w = g.m + g.row_w + (float)H * t + (float)(H - 1) * g.gap + g.m;
    *h = g.head_y + g.col_h + (float)L * t + (float)(L - 1) * g.gap + g.m;
    char detail[256];
    grid_detail(c, detail, sizeof detail);
    *w = fmaxf(*w, ats_view_title_width(c->st, c->d, c->font, detail) + 2 * g.m);
}

/* Long texts come with a pooled overview instead of whole heads (ats_view_data.pooled): the grid
 * draws a cell per block of tokens from it. */
static bool pooled_mode(const view_ctx *c) {
    return !c->d->attention && c->d->pooled && c->d->pooled_n > 0;
}

/* Cells each way of a head's matrix before any averaging: shown tokens, or pooled blocks. */
static int grid_cells(const view_ctx *c) {
    return pooled_mode(c) ? c->d->pooled_n : c->tok.n;
}

static const float *pooled_head(const view_ctx *c, int layer, int head) {
    size_t n = (size_t)c->d->pooled_n;
    return c->d->pooled + ((size_t)layer * (size_t)c->d->n_head + (size_t)head) * n * n;
}

/* Pairs of pooled block (i, j) that a query sees (all of them unless causal), and all pairs. */
static int block_seen(const view_ctx *c, int i, int j, int *total) {
    int b = c->d->pooled_block, T = c->d->n_tokens;
    int q0 = i * b, q1 = q0 + b < T ? q0 + b : T, k0 = j * b, k1 = k0 + b < T ? k0 + b : T;
    *total = (q1 - q0) * (k1 - k0);
    if (!c->d->causal || j < i) /* keys all before the block's queries */
        return *total;
    if (j > i) /* keys all after them */
        return 0;
    return (q1 - q0) * (q1 - q0 + 1) / 2; /* a diagonal block: the lower triangle */
}

/* Block (i, j)'s mean weight over the pairs a query sees (the overview's mean counts masked
 * pairs as 0), and those pairs' share of the block in *share. */
static float block_mean(const view_ctx *c, const float *mean, int i, int j, float *share) {
    int total, seen = block_seen(c, i, j, &total);
    *share = (float)seen / (float)(total ? total : 1);
    return seen ? mean[i * c->d->pooled_n + j] * (float)total / (float)seen : 0.0f;
}

/* The colours of one thumbnail (c->vmin, c->vmax, c->per_row): the state's scale over the head,
 * or in the pooled overview over its block means. */
static void grid_color_range(view_ctx *c, int layer, int head) {
    ats_view_color_range(c, layer, head);
    ats_color_scale scale = ats_view_effective_scale(c->st, c->d);
    if (!pooled_mode(c) || scale == ATS_COLOR_SCALE_FIXED || scale == ATS_COLOR_SCALE_ROW)
        return;
    const float *mean = pooled_head(c, layer, head);
    float mx = 0, mn = INFINITY, share;
    bool skip_first = scale == ATS_COLOR_SCALE_EXCLUDE_FIRST;
    for (int i = skip_first ? 1 : 0, n = c->d->pooled_n; i < n; i++)
        for (int j = skip_first ? 1 : 0; j < n; j++) {
            float v = block_mean(c, mean, i, j, &share);
            if (share <= 0)
                continue;
            mx = v > mx ? v : mx;
            mn = v < mn ? v : mn;
        }
    c->vmin = scale == ATS_COLOR_SCALE_MINMAX && mn < mx ? mn : 0.0f;
    c->vmax = mx > 0 && isfinite(mx) ? mx : 1.0f;
}

/* The largest block mean of row i of a pooled head (the row scale's top). */
static float pooled_row_max(const view_ctx *c, const float *mean, int i) {
    float mx = 0, share;
    for (int j = 0; j < c->d->pooled_n; j++) {
        float v = block_mean(c, mean, i, j, &share);
        mx = share > 0 && v > mx ? v : mx;
    }
    return mx > 0 ? mx : 1.0f;
}

/* One head's overview from its pooled means: a cell per block, as transparent as the share of
 * the block a causal query may not see. */
static uint8_t *pooled_image(view_ctx *c, int layer, int head, int *m_out, int *mk_out) {
    int n = c->d->pooled_n;
    uint8_t *img = (uint8_t *)ats_view_scratch(c, (size_t)n * (size_t)n * 4);
    if (!img)
        return NULL;
    const float *mean = pooled_head(c, layer, head);
    for (int i = 0; i < n; i++) {
        float row = c->per_row ? 1.0f / pooled_row_max(c, mean, i) : 1.0f;
        for (int j = 0; j < n; j++) {
            float share, v = row * block_mean(c, mean, i, j, &share);
            ats_rgba col = share > 0 ? value_color(c, v) : (ats_rgba){0, 0, 0, 0};
            uint8_t *p = img + ((size_t)i * (size_t)n + (size_t)j) * 4;
            p[0] = col.r, p[1] = col.g, p[2] = col.b;
            p[3] = (uint8_t)lroundf(255.0f * share);
        }
    }
    *m_out = *mk_out = n;
    return img;
}

static frect thumb_rect(const geom *g, int layer, int head) {
    return (frect){g->grid.x + (float)head * (g->thumb + g->gap),
                   g->grid.y + (float)layer * (g->thumb + g->gap), g->thumb, g->thumb};
}

/* How a matrix drawn `px` pixels wide becomes an image of about a cell per pixel (the
 * rasterizer then has at most two cells a pixel each way to blend): with more than two tokens a
 * pixel, `step` tokens each way are averaged in weight (a mean weight through the colormap, as a
 * coarser heatmap would show it); with one to two, `shrink` cells each way are averaged in
 * colour (as an image shrinks, so that one bright cell still tints its pixel). */
typedef struct matrix_plan {
    int step, shrink;
} matrix_plan;

static matrix_plan plan_for(const view_ctx *c, float px) {
    int n = pooled_mode(c) ? c->d->pooled_n : c->tok.n > c->ktok.n ? c->tok.n : c->ktok.n;
    px = fmaxf(px, 1.0f);
    matrix_plan p = {(float)n > 2.0f * px && !pooled_mode(c) ? (int)ceilf((float)n / px) : 1, 1};
    int m = (n + p.step - 1) / p.step;
    if ((float)m > px)
        p.shrink = (int)ceilf((float)m / px);
    return p;
}

/* Averages f x f blocks of the (m, mk) RGBA image in place into a (ceil(m/f), ceil(mk/f)) one,
 * colours weighted by alpha (premultiplied) so that transparent cells do not darken; the blocks
 * at the far edges average the cells there are. Writing never overtakes reading: output cell
 * (i, j) lies at or before input cell (i f, j f). */
static void shrink_colors(uint8_t *img, int *m_io, int *mk_io, int f) {
    int m = *m_io, mk = *mk_io, m2 = (m + f - 1) / f, mk2 = (mk + f - 1) / f;
    *m_io = m2;
    *mk_io = mk2;
    for (int i2 = 0; i2 < m2; i2++)
        for (int j2 = 0; j2 < mk2; j2++) {
            uint32_t r = 0, g = 0, b = 0, a = 0, cells = 0;
            for (int i = i2 * f; i < i2 * f + f && i < m; i++)
                for (int j = j2 * f; j < j2 * f + f && j < mk; j++, cells++) {
                    const uint8_t *p = img + ((size_t)i * (size_t)mk + (size_t)j) * 4;
                    r += p[0] * p[3], g += p[1] * p[3], b += p[2] * p[3], a += p[3];
                }
            uint8_t *o = img + ((size_t)i2 * (size_t)mk2 + (size_t)j2) * 4;
            o[0] = (uint8_t)(a ? (r + a / 2) / a : 0);
            o[1] = (uint8_t)(a ? (g + a / 2) / a : 0);
            o[2] = (uint8_t)(a ? (b + a / 2) / a : 0);
            o[3] = (uint8_t)((a + cells / 2) / cells);
        }
}

/* One head's image by `plan`, coloured against its own max with the auto scale. */
static const uint8_t *head_image(view_ctx *c, int layer, int head, matrix_plan plan, int *m,
                                 int *mk) {
    grid_color_range(c, layer, head);
    uint8_t *img = pooled_mode(c)
                       ? pooled_image(c, layer, head, m, mk)
                       : (uint8_t *)ats_attention_image(c, layer, head, plan.step, m, mk);
    if (img && plan.shrink > 1)
        shrink_colors(img, m, mk, plan.shrink);
    return img;
}

/* An image of m x mk cells (rows, columns) in r, over the masked colour for a causal model. */
static void draw_cells_in(view_ctx *c, frect r, const uint8_t *img, int m, int mk) {
    if (c->d->causal)
        ats_view_rect(c, r.x, r.y, r.w, r.h, 0, COLOR_MASKED);
    ats_view_image(c, r.x, r.y, r.w, r.h, img, mk, m);
}

/* One head's matrix as an image in r. */
static void draw_matrix(view_ctx *c, frect r, int layer, int head) {
    int m, mk;
    const uint8_t *img = head_image(c, layer, head, plan_for(c, r.w), &m, &mk);
    draw_cells_in(c, r, img, m, mk);
}

/* FNV-1a over n bytes, continuing from h. */
static uint64_t fnv(uint64_t h, const void *data, size_t n) {
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001B3ull;
    return h;
}

/* What the thumbnails are made from, as a fingerprint: the arrays' address and shape, the model,
 * every token label and flag, the options that colour them, and a few weights of each head
 * (the address alone could be reused by the next run, and two models can share a tokenizer). */
static uint64_t thumbs_key(view_ctx *c, matrix_plan plan) {
    const ats_view_data *d = c->d;
    uint64_t h = 0xCBF29CE484222325ull;
    int head_info[] = {d->n_layer,
                       d->n_head,
                       d->n_tokens,
                       d->n_keys,
                       d->causal,
                       plan.step,
                       plan.shrink,
                       c->st->hide_special,
                       c->st->renormalize,
                       (int)c->st->colormap,
                       (int)c->st->color_scale,
                       d->measure != NULL};
    h = fnv(h, head_info, sizeof head_info);
    h = fnv(h, &d->attention, sizeof d->attention);
    h = fnv(h, &d->pooled, sizeof d->pooled);
    if (d->model_name)
        h = fnv(h, d->model_name, strlen(d->model_name));
    for (int i = 0; i < d->n_tokens; i++) {
        h = fnv(h, d->tokens[i] ? d->tokens[i] : "", d->tokens[i] ? strlen(d->tokens[i]) + 1 : 1);
        h = fnv(h, (uint8_t[1]){(uint8_t)is_special(c, i)}, 1);
    }
    for (int i = 0; i < d->n_keys; i++) {
        const char *k = d->key_tokens[i] ? d->key_tokens[i] : "";
        h = fnv(h, k, strlen(k) + 1);
        h = fnv(h, (uint8_t[1]){(uint8_t)is_key_special(c, i)}, 1);
    }
    int T = pooled_mode(c) ? d->pooled_n : d->n_tokens;
    for (int l = 0; l < d->n_layer; l++)
        for (int hd = 0; hd < d->n_head; hd++)
            for (int s = 0; s < 4; s++) { /* rows last, middle, a third, first */
                int q = s == 0 ? T - 1 : s == 1 ? T / 2 : s == 2 ? T / 3 : 0;
                int k = (q * 7 + l * 13 + hd + s) % (q < n_keys_of(d) ? q + 1 : n_keys_of(d));
                float v = pooled_mode(c) ? pooled_head(c, l, hd)[q * T + k]
                                         : ats_view_weight(c, l, hd, q, k);
                h = fnv(h, &v, sizeof v);
            }
    return h ? h : 1;
}

/* The thumbnails of every head by `plan` from the view's cache, made when what they show
 * changed; NULL (c->status set) when out of memory. */
static const uint8_t *thumbnails(view_ctx *c, matrix_plan plan, int *m_out, int *mk_out) {
    thumb_cache *tc = c->thumbs;
    int count = c->d->n_layer * c->d->n_head, m = (grid_cells(c) + plan.step - 1) / plan.step;
    int mk = pooled_mode(c) ? m : (c->ktok.n + plan.step - 1) / plan.step;
    m = (m + plan.shrink - 1) / plan.shrink;
    mk = (mk + plan.shrink - 1) / plan.shrink;
    uint64_t key = thumbs_key(c, plan);
    size_t each = (size_t)m * (size_t)mk * 4;
    *m_out = m;
    *mk_out = mk;
    if (tc->key == key && tc->count == count && tc->m == m && tc->mk == mk)
        return tc->pixels;
    tc->key = 0;
    if (each * (size_t)count > tc->cap) {
        uint8_t *p = realloc(tc->pixels, each * (size_t)count);
        if (!p) {
            c->status = c->status ? c->status : ATS_ERR_NOMEM;
            return NULL;
        }
        tc->pixels = p;
        tc->cap = each * (size_t)count;
    }
    for (int l = 0; l < c->d->n_layer; l++)
        for (int h = 0; h < c->d->n_head; h++) {
            int mm, mmk;
            const uint8_t *img = head_image(c, l, h, plan, &mm, &mmk);
            if (!img)
                return NULL;
            memcpy(tc->pixels + (size_t)(l * c->d->n_head + h) * each, img, each);
        }
    tc->key = key;
    tc->count = count;
    tc->m = m;
    tc->mk = mk;
    return tc->pixels;
}

/* A head's badge ("induction") in the bottom-left corner of its thumbnail: light text on a dark
 * pill, cut to the thumbnail's width; none when the thumbnail is too small to hold a word. */
static void badge(view_ctx *c, frect r, const char *text) {
    float ui = c->ui, size = fminf(UI_SMALL * ui, 0.16f * r.h), pad = 0.35f * size;
    if (size < UI_LABEL_MIN * ui)
        return;
    float a, d;
    ats_font_metrics(c->font, size, &a, &d);
    float max_w = r.w - 4.0f * pad;
    float w = fminf(ats_font_measure(c->font, text, size, false), max_w) + 2.0f * pad;
    float h = a + d + pad, x = r.x + pad, y = r.y + r.h - pad - h;
    ats_view_rect(c, x, y, w, h, 0.5f * h, (ats_rgba){31, 35, 40, 215});
    ats_text_style ts = tstyle(size, COLOR_WHITE, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
    ts.max_width = max_w;
    ats_view_text(c, x + pad, y + 0.5f * h, text, &ts);
}

/* The large preview of the hovered head, beside its thumbnail. */
static void preview(view_ctx *c, const geom *g, int layer, int head) {
    float ui = c->ui, pad = 12.0f * ui, lsize = UI_LABEL_MIN * ui;
    int n = c->tok.n, nk = c->ktok.n;
    float side = clampf(0.5f * fminf(c->w, c->h), 120.0f * ui, 520.0f * ui);
    float lw = fmaxf(ats_widest_label(c, lsize), ats_widest_key_label(c, lsize));
    lw = fminf(lw, 90.0f * ui);
    bool labels = !pooled_mode(c) && side / (float)(n > nk ? n : nk) >= 1.25f * lsize;
    float a, d, at, dt;
    ats_font_metrics(c->font, lsize, &a, &d);
    ats_font_metrics(c->font, UI_TEXT * ui, &at, &dt);
    float title_h = at + dt + 8.0f * ui, band = labels ? lw + 6.0f * ui : 0;
    float pw = pad + band + side + pad, ph = pad + title_h + band + side + pad;
    frect t = thumb_rect(g, layer, head);
    float px = t.x + t.w + 14.0f * ui, py = t.y;
    if (px + pw > c->w - 4.0f * ui)
        px = t.x - 14.0f * ui - pw;
    if (px < 4.0f * ui)
        px = fmaxf(4.0f * ui, c->w - pw - 4.0f * ui);
    py = clampf(py, 4.0f * ui, fmaxf(4.0f * ui, c->h - ph - 4.0f * ui));
    for (int i = 3; i >= 1; i--) /* soft shadow */
        ats_view_rect(c, px + (float)i * ui, py + (float)i * 1.5f * ui, pw, ph, 8.0f * ui,
                      (ats_rgba){0, 0, 0, (uint8_t)(14 * (4 - i))});
    ats_view_rect(c, px, py, pw, ph, 8.0f * ui, COLOR_FAINT);
    ats_view_rect(c, px + ui, py + ui, pw - 2 * ui, ph - 2 * ui, 7.0f * ui, COLOR_BG);
    char title[240];
    ats_view_head_detail(c->d, layer, head, title, sizeof title);
    const char *role = c->d->head_badges ? c->d->head_badges[layer * c->d->n_head + head] : NULL;
    int n_title = (int)strlen(title);
    if (role)
        n_title +=
            snprintf(title + n_title, sizeof title - (size_t)n_title, " \xC2\xB7 %.40s", role);
    ats_color_scale scale = ats_view_effective_scale(c->st, c->d);
    if (scale != ATS_COLOR_SCALE_FIXED && scale != ATS_COLOR_SCALE_ROW) { /* its colours' range */
        char lo[24], hi[24];
        grid_color_range(c, layer, head);
        ats_format_number(lo, sizeof lo, (double)c->vmin, ATS_NUMBER_PLAIN);
        ats_format_number(hi, sizeof hi, (double)c->vmax, ATS_NUMBER_PLAIN);
        snprintf(title + n_title, sizeof title - (size_t)n_title, " \xC2\xB7 %s \xE2\x80\x93 %s",
                 lo, hi);
    }
    ats_text_style ts = tstyle(UI_TEXT * ui, COLOR_INK, ATS_ALIGN_START, ATS_VALIGN_TOP);
    ts.bold = true;
    ts.max_width = pw - 2 * pad;
    ats_view_text(c, px + pad, py + pad, title, &ts);
    frect mr = {px + pad + band, py + pad + title_h + band, side, side};
    draw_matrix(c, mr, layer, head);
    ats_view_outline(c, mr.x - ui, mr.y - ui, mr.w + 2 * ui, mr.h + 2 * ui, ui, COLOR_FAINT);
    if (!labels)
        return;
    float cell = side / (float)n, kcell = side / (float)nk;
    ats_text_style ls = tstyle(fminf(lsize, 0.8f * fminf(cell, kcell)), COLOR_INK, ATS_ALIGN_END,
                               ATS_VALIGN_MIDDLE);
    ls.max_width = lw;
    for (int i = 0; i < n; i++) { /* queries down the left */
        int tok = c->tok.shown[i];
        ls.color = is_special(c, tok) ? COLOR_MUTED : COLOR_INK;
        ats_view_text(c, mr.x - 5.0f * ui, mr.y + ((float)i + 0.5f) * cell, c->tok.labels[tok],
                      &ls);
    }
    ls.align = ATS_ALIGN_START;
    ls.angle = -90.0f;
    for (int j = 0; j < nk; j++) { /* keys along the top */
        int tok = c->ktok.shown[j];
        ls.color = is_key_special(c, tok) ? COLOR_MUTED : COLOR_INK;
        ats_view_text(c, mr.x + ((float)j + 0.5f) * kcell, mr.y - 5.0f * ui, c->ktok.labels[tok],
                      &ls);
    }
}

void ats_grid_build(view_ctx *c) {
    const ats_view_state *st = c->st;
    char detail[256];
    grid_detail(c, detail, sizeof detail);
    ats_view_title(c, detail);
    geom g;
    layout(c, c->w, c->h, &g);
    float ui = c->ui;
    int L = c->d->n_layer, H = c->d->n_head;
    ats_text_style hs = tstyle(UI_SMALL * ui, COLOR_MUTED, ATS_ALIGN_CENTER, ATS_VALIGN_BOTTOM);
    for (int h = 0; h < H; h++) {
        char name[24];
        snprintf(name, sizeof name, g.long_names ? "head %d" : "%d", h);
        frect r = thumb_rect(&g, 0, h);
        ats_view_text(c, r.x + 0.5f * r.w, g.grid.y - 5.0f * ui, name, &hs);
    }
    hs.align = ATS_ALIGN_END;
    hs.valign = ATS_VALIGN_MIDDLE;
    for (int l = 0; l < L; l++) {
        char name[24];
        snprintf(name, sizeof name, g.long_names ? "layer %d" : "%d", l);
        frect r = thumb_rect(&g, l, 0);
        ats_view_text(c, g.grid.x - 8.0f * ui, r.y + 0.5f * r.h, name, &hs);
    }
    int m, mk;
    const uint8_t *thumbs =
        c->tok.n > 0 && c->ktok.n > 0 ? thumbnails(c, plan_for(c, g.thumb), &m, &mk) : NULL;
    for (int l = 0; thumbs && l < L; l++)
        for (int h = 0; h < H; h++) {
            frect r = thumb_rect(&g, l, h);
            draw_cells_in(c, r, thumbs + (size_t)(l * H + h) * (size_t)m * (size_t)mk * 4, m, mk);
            ats_view_outline(c, r.x, r.y, r.w, r.h, fminf(ui, 0.1f * r.w), COLOR_FAINT);
            if (c->d->head_badges && c->d->head_badges[l * H + h])
                badge(c, r, c->d->head_badges[l * H + h]);
            head_marks(c, r, l, h);
        }
    float t = 2.0f * ui;
    frect sel = thumb_rect(&g, st->layer, st->head);
    ats_view_outline(c, sel.x - 2 * t, sel.y - 2 * t, sel.w + 4 * t, sel.h + 4 * t, t, COLOR_INK);
    bool hovered =
        st->hover_layer >= 0 && st->hover_layer < L && st->hover_head >= 0 && st->hover_head < H;
    if (hovered) {
        frect r = thumb_rect(&g, st->hover_layer, st->hover_head);
        ats_view_outline(c, r.x - t, r.y - t, r.w + 2 * t, r.h + 2 * t, t, COLOR_MUTED);
        if (c->tok.n > 0)
            preview(c, &g, st->hover_layer, st->hover_head);
    }
    view_layout *lay = c->lay;
    lay->grid = g.grid;
    lay->pitch_x = g.thumb + g.gap;
    lay->pitch_y = g.thumb + g.gap;
    lay->n_layer = L;
    lay->n_head = H;
}

ats_hit ats_grid_hit(const view_layout *l, float x, float y) {
    ats_hit hit = {
        .kind = ATS_HIT_NONE, .query = -1, .key = -1, .token = -1, .layer = -1, .head = -1};
    if (!frect_has(l->grid, x, y) || !(l->pitch_x > 0))
        return hit;
    hit.kind = ATS_HIT_THUMB;
    hit.head = clampi((int)floorf((x - l->grid.x) / l->pitch_x), 0, l->n_head - 1);
    hit.layer = clampi((int)floorf((y - l->grid.y) / l->pitch_y), 0, l->n_layer - 1);
    return hit;
}
