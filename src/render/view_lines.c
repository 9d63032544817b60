/* The lines view (the classic "head view"): one layer's tokens in two columns, queries on the
 * left and keys on the right (cross-attention: the decoder's tokens left, the encoder's right), a
 * line from query i to key j for each shown head with opacity attention[i][j], all shown heads
 * overlaid in their colours.
 *
 *   model  layer 2 · heads 0–3                              title
 *   heads ■0 ■1 □2 ■3                 weights below 0.10 hidden   legend (click toggles)
 *        query                 key
 *          The •────────────• The
 *       animal •═══════════╱• animal                          lines, alpha = weight
 *
 * A hovered or locked token shows only its own lines (a query's to every key, or every query's
 * to a key), and the labels on the other side are shaded by the weight. Weights under the
 * threshold, and under 1% (invisible at that opacity), are not drawn.
 *
 * With nothing focused, at most MAX_LINES lines are drawn: when more pass the threshold (a long
 * text, many heads), the threshold rises to the weight of about the MAX_LINES-th strongest line
 * and the legend names it, as if the person had moved the slider there. The weakest lines are
 * the faintest, and past a few thousand lines they only add haze, while each costs the
 * rasterizer about as much as a strong one; this keeps a redraw within a frame.
 */
#include "view_internal.h"

#include <stdio.h>
#include <string.h>

#define MIN_WEIGHT 0.01f
#define MAX_LINES  2000
#define CUT_BINS   1024 /* resolution of the raised threshold: (1 - cut) / CUT_BINS */

typedef struct geom {
    float m, legend_y, legend_bottom, rows_y, row_h;
    float label_size;
    int step;
    float wl, pad, span, x0; /* label width, gap to the lines, line span, block's left */
} geom;

/* Head legend entries laid out from (x, y), wrapping at x + max_w; fills rects when given.
 * Returns the bottom of the last row. */
static float legend_layout(const view_ctx *c, float x, float y, float max_w, frect *rects) {
    float ui = c->ui, size = UI_SMALL * ui, sw = 12.0f * ui, row = 18.0f * ui;
    float cx = x + ats_font_measure(c->font, "heads", size, false) + 10.0f * ui, cy = y;
    for (int h = 0; h < c->d->n_head; h++) {
        char label[16];
        snprintf(label, sizeof label, "%d", h);
        float w = sw + 4.0f * ui + ats_font_measure(c->font, label, size, false);
        if (cx + w > x + max_w && h > 0) {
            cx = x + ats_font_measure(c->font, "heads", size, false) + 10.0f * ui;
            cy += row;
        }
        if (rects)
            rects[h] = (frect){cx - 3.0f * ui, cy - 3.0f * ui, w + 6.0f * ui, row};
        cx += w + 12.0f * ui;
    }
    return cy + row;
}

static void label_fit(const view_ctx *c, float row_h, float *size, int *step) {
    float lmin = UI_LABEL_MIN * c->ui;
    *size = fminf(UI_LABEL_MAX * c->ui, 0.62f * row_h);
    *step = 1;
    if (*size < lmin) {
        *size = lmin;
        *step = (int)ceilf(1.3f * lmin / row_h);
    }
}

static float title_bottom_estimate(const view_ctx *c) {
    float a, d;
    ats_font_metrics(c->font, UI_TITLE * c->ui, &a, &d);
    return UI_MARGIN * c->ui + a + d;
}

/* `note_w`: room kept at the right of the legend's first row for the note on hidden weights. */
static void layout(const view_ctx *c, float w, float h, geom *g, frect *legend, float note_w) {
    float ui = c->ui;
    int n = c->tok.n > c->ktok.n ? c->tok.n : c->ktok.n;
    n = n > 0 ? n : 1;
    g->m = UI_MARGIN * ui;
    g->legend_y = title_bottom_estimate(c) + 12.0f * ui;
    g->legend_bottom = legend_layout(c, g->m, g->legend_y, w - 2 * g->m - note_w, legend);
    g->rows_y = g->legend_bottom + 8.0f * ui + 1.6f * UI_SMALL * ui;
    g->row_h = fminf((h - g->rows_y - g->m) / (float)n, 34.0f * ui);
    g->row_h = fmaxf(g->row_h, 0.5f);
    label_fit(c, g->row_h, &g->label_size, &g->step);
    g->wl = fmaxf(ats_widest_label(c, g->label_size), ats_widest_key_label(c, g->label_size));
    if (c->cross) /* room for the captions "query (decoder)" and "key (encoder)" */
        g->wl = fmaxf(g->wl, ats_font_measure(c->font, "query (decoder)", UI_SMALL * ui, false));
    g->pad = 12.0f * ui;
    g->span = clampf(w - 2 * g->m - 2 * g->wl - 2 * g->pad, 60.0f * ui, 560.0f * ui);
    g->x0 = 0.5f * (w - (2 * g->wl + 2 * g->pad + g->span));
}

/* " · value-weighted · ablated: head 1, 3" for the title (cut where the buffer ends). */
static void analysis_note(const view_ctx *c, char *out, size_t size) {
    const ats_view_data *d = c->d;
    int n = snprintf(out, size, "%s%.60s", d->measure ? " \xC2\xB7 " : "",
                     d->measure ? d->measure : "");
    int off = 0;
    for (int h = 0; d->ablated && h < d->n_head; h++) {
        if (!d->ablated[(size_t)c->st->layer * (size_t)d->n_head + (size_t)h])
            continue;
        if (n >= 0 && (size_t)n < size)
            n +=
                snprintf(out + n, size - (size_t)n, off ? ", %d" : " \xC2\xB7 ablated: head %d", h);
        off++;
    }
}

static char *heads_range(const view_ctx *c, char *out, size_t size) {
    int n = c->d->n_head, shown = 0, first = -1, last = -1;
    for (int h = 0; h < n; h++)
        if (ats_view_state_head_visible(c->st, h)) {
            shown++;
            first = first < 0 ? h : first;
            last = h;
        }
    if (shown == 0)
        snprintf(out, size, "layer %d \xC2\xB7 no heads shown", c->st->layer);
    else if (shown == 1)
        snprintf(out, size, "layer %d \xC2\xB7 head %d", c->st->layer, first);
    else if (shown == last - first + 1)
        snprintf(out, size, "layer %d \xC2\xB7 heads %d\xE2\x80\x93%d", c->st->layer, first, last);
    else
        snprintf(out, size, "layer %d \xC2\xB7 %d of %d heads", c->st->layer, shown, n);
    return out;
}

static char *heads_detail(const view_ctx *c, char *out, size_t size) {
    char note[160];
    analysis_note(c, note, sizeof note);
    heads_range(c, out, size);
    size_t used = strlen(out);
    if (used < size)
        snprintf(out + used, size - used, "%s", note);
    return out;
}

void ats_lines_natural_size(view_ctx *c, float *w, float *h) {
    float ui = c->ui, row_h = 26.0f * ui, size;
    int n = c->tok.n > c->ktok.n ? c->tok.n : c->ktok.n, step;
    n = n > 0 ? n : 1;
    label_fit(c, row_h, &size, &step);
    float m = UI_MARGIN * ui, wl = fmaxf(ats_widest_label(c, size), ats_widest_key_label(c, size));
    char detail[256];
    *w = 2 * m + 2 * wl + 2 * 12.0f * ui + 360.0f * ui;
    *w = fmaxf(*w,
               ats_view_title_width(c->st, c->d, c->font, heads_detail(c, detail, sizeof detail)) +
                   2 * m);
    float legend_bottom =
        legend_layout(c, m, title_bottom_estimate(c) + 12.0f * ui, *w - 2 * m, NULL);
    *h = legend_bottom + 8.0f * ui + 1.6f * UI_SMALL * ui + (float)n * row_h + m;
}

/* The note on weights hidden below `cut` (the threshold, or raised past MAX_LINES lines) for the
 * legend's row; false when nothing is hidden but the invisible ones. */
static bool legend_note(const view_ctx *c, float cut, char *note, size_t size) {
    if (cut > fmaxf(c->st->line_threshold, MIN_WEIGHT))
        snprintf(note, size, "weights below %.3g hidden (at most %d lines)", (double)cut,
                 MAX_LINES);
    else if (c->st->line_threshold > 0)
        snprintf(note, size, "weights below %.2f hidden", (double)c->st->line_threshold);
    else
        return false;
    return true;
}

/* Width kept for the note: its own, at most half the row. */
static float legend_note_width(const view_ctx *c, float cut) {
    char note[96];
    if (!legend_note(c, cut, note, sizeof note))
        return 0;
    float w = ats_font_measure(c->font, note, UI_SMALL * c->ui, false) + 16.0f * c->ui;
    return fminf(w, 0.5f * (c->w - 2 * UI_MARGIN * c->ui));
}

/* `cut`: the weight below which lines are not drawn. */
static void draw_legend(view_ctx *c, const geom *g, const frect *rects, float cut) {
    float ui = c->ui, size = UI_SMALL * ui, sw = 12.0f * ui;
    ats_text_style ts = tstyle(size, COLOR_MUTED, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
    ats_view_text(c, g->m, g->legend_y + 0.5f * sw, "heads", &ts);
    for (int h = 0; h < c->d->n_head; h++) {
        bool on = ats_view_state_head_visible(c->st, h);
        float x = rects[h].x + 3.0f * ui, y = rects[h].y + 3.0f * ui;
        if (on) {
            ats_view_rect(c, x, y, sw, sw, 2.0f * ui, ats_head_color(h));
        } else {
            ats_view_rect(c, x, y, sw, sw, 2.0f * ui, COLOR_FAINT);
            ats_view_rect(c, x + 1.5f * ui, y + 1.5f * ui, sw - 3 * ui, sw - 3 * ui, 1.0f * ui,
                          COLOR_BG);
        }
        char label[16];
        snprintf(label, sizeof label, "%d", h);
        ts.color = on ? COLOR_INK : COLOR_MUTED;
        ats_view_text(c, x + sw + 4.0f * ui, y + 0.5f * sw, label, &ts);
    }
    char note[96];
    if (legend_note(c, cut, note, sizeof note)) {
        ats_text_style tn = tstyle(size, COLOR_MUTED, ATS_ALIGN_END, ATS_VALIGN_MIDDLE);
        tn.max_width = legend_note_width(c, cut) - 16.0f * ui;
        ats_view_text(c, c->w - g->m, g->legend_y + 0.5f * sw, note, &tn);
    }
}

/* Position of a token among the shown ones of its side, or -1. */
static int side_pos(const view_ctx *c, int token, ats_token_side side) {
    const token_set *t = side == ATS_SIDE_KEY ? &c->ktok : &c->tok;
    return token >= 0 && token < t->n_all ? t->pos[token] : -1;
}

/* The focused token: locked, else hovered; -1 when none is shown. */
static int focus(const view_ctx *c, ats_token_side *side) {
    const ats_view_state *st = c->st;
    *side = st->locked_side;
    int p = side_pos(c, st->locked_token, st->locked_side);
    if (p < 0) {
        *side = st->hover_side;
        p = side_pos(c, st->hover_token, st->hover_side);
    }
    return p;
}

static float weight(const view_ctx *c, int head, int q, int k) {
    if (c->d->causal && k > q)
        return 0;
    return attn_at(c, c->st->layer, head, c->tok.shown[q], c->ktok.shown[k]);
}

/* Head h's attention row of shown query q, indexed by key token (the shown keys: ktok.shown);
 * NULL for a head that cannot be had. */
static const float *query_row(const view_ctx *c, int head, int q) {
    const float *a = ats_view_data_head(c->d, c->st->layer, head);
    return a ? a + (size_t)c->tok.shown[q] * (size_t)n_keys_of(c->d) : NULL;
}

/* Shown keys [0, n) that shown query q sees: up to itself in a causal model (shown order is
 * run order). */
static int keys_seen(const view_ctx *c, int q) {
    return c->d->causal ? q + 1 : c->ktok.n;
}

/* Strongest shown weight on the line between shown tokens q and k, and its head. */
static float strongest(const view_ctx *c, int q, int k, int *head) {
    float best = 0;
    *head = 0;
    for (int h = 0; h < c->d->n_head; h++) {
        float w = ats_view_state_head_visible(c->st, h) ? weight(c, h, q, k) : 0;
        if (w > best) {
            best = w;
            *head = h;
        }
    }
    return best;
}

/* The weight below which lines are not drawn: the threshold, raised when nothing is focused and
 * more than MAX_LINES lines would pass it to the lowest bin edge of a histogram of the weights
 * above it that leaves at most MAX_LINES. */
static float line_cut(const view_ctx *c, int f) {
    float cut = fmaxf(c->st->line_threshold, MIN_WEIGHT);
    if (f >= 0 || cut >= 1.0f)
        return cut;
    int n = c->tok.n, bins[CUT_BINS] = {0}, total = 0;
    float scale = (float)CUT_BINS / (1.0f - cut);
    for (int h = 0; h < c->d->n_head; h++) {
        if (!ats_view_state_head_visible(c->st, h))
            continue;
        for (int q = 0; q < n; q++) {
            const float *row = query_row(c, h, q);
            if (!row)
                break;
            for (int k = 0, kn = keys_seen(c, q); k < kn; k++) {
                float w = row[c->ktok.shown[k]];
                if (w >= cut) {
                    bins[clampi((int)((w - cut) * scale), 0, CUT_BINS - 1)]++;
                    total++;
                }
            }
        }
    }
    int b = 0;
    while (total > MAX_LINES && b < CUT_BINS)
        total -= bins[b++];
    return cut + (float)b / scale;
}

static void draw_lines(view_ctx *c, const geom *g, int f, ats_token_side side, float cut) {
    float ui = c->ui, x0 = g->x0 + g->wl + g->pad, x1 = x0 + g->span;
    float width = clampf(0.3f * g->row_h, 1.0f * ui, 2.0f * ui); /* thinner when rows crowd */
    int n = c->tok.n;
    for (int i = 0; i < n; i++) /* the ends of the lines */
        ats_view_circle(c, x0, g->rows_y + ((float)i + 0.5f) * g->row_h, 2.5f * ui, COLOR_FAINT);
    for (int i = 0; i < c->ktok.n; i++)
        ats_view_circle(c, x1, g->rows_y + ((float)i + 0.5f) * g->row_h, 2.5f * ui, COLOR_FAINT);
    for (int h = 0; h < c->d->n_head; h++) {
        if (!ats_view_state_head_visible(c->st, h))
            continue;
        ats_rgba col = ats_head_color(h);
        for (int q = 0; q < n; q++) {
            if (f >= 0 && side == ATS_SIDE_QUERY && q != f)
                continue;
            const float *row = query_row(c, h, q);
            if (!row)
                break;
            for (int k = 0, kn = keys_seen(c, q); k < kn; k++) {
                if (f >= 0 && side == ATS_SIDE_KEY && k != f)
                    continue;
                float w = row[c->ktok.shown[k]];
                if (!(w >= cut))
                    continue;
                col.a = (uint8_t)lroundf(255.0f * fminf(w, 1.0f));
                ats_view_line(c, x0, g->rows_y + ((float)q + 0.5f) * g->row_h, x1,
                              g->rows_y + ((float)k + 0.5f) * g->row_h, width, col);
            }
        }
    }
}

static void draw_labels(view_ctx *c, const geom *g, int f, ats_token_side side) {
    float ui = c->ui, a, d;
    ats_font_metrics(c->font, g->label_size, &a, &d);
    float xl = g->x0 + g->wl, xr = xl + 2 * g->pad + g->span;
    for (int col = 0; col < 2; col++) { /* 0: queries on the left, 1: keys on the right */
        ats_token_side this_side = col ? ATS_SIDE_KEY : ATS_SIDE_QUERY;
        const token_set *ts_set = col ? &c->ktok : &c->tok;
        for (int i = 0; i < ts_set->n; i++) {
            bool is_focus = f == i && side == this_side;
            float shade = 0;
            int head = 0;
            if (f >= 0 && side != this_side)
                shade = col ? strongest(c, f, i, &head) : strongest(c, i, f, &head);
            if (i % g->step != 0 && !is_focus && shade < MIN_WEIGHT)
                continue;
            int tok = ts_set->shown[i];
            bool special = col ? is_key_special(c, tok) : is_special(c, tok);
            float y = g->rows_y + ((float)i + 0.5f) * g->row_h;
            ats_text_style ts = tstyle(g->label_size, special ? COLOR_MUTED : COLOR_INK,
                                       col ? ATS_ALIGN_START : ATS_ALIGN_END, ATS_VALIGN_MIDDLE);
            ts.max_width = g->wl;
            ts.bold = is_focus;
            float tw = fminf(ats_font_measure(c->font, ts_set->labels[tok], g->label_size, ts.bold),
                             g->wl);
            float bx = col ? xr - 3.0f * ui : xl - tw - 3.0f * ui;
            if (is_focus || shade >= MIN_WEIGHT) {
                ats_rgba bg = is_focus ? COLOR_FOCUS : ats_head_color(head);
                if (!is_focus)
                    bg.a = (uint8_t)lroundf(140.0f * fminf(shade, 1.0f));
                ats_view_rect(c, bx, y - 0.5f * (a + d) - ui, tw + 6.0f * ui, a + d + 2 * ui,
                              3.0f * ui, bg);
            }
            ats_view_text(c, col ? xr : xl, y, ts_set->labels[tok], &ts);
        }
    }
    ats_text_style cap = tstyle(UI_SMALL * ui, COLOR_MUTED, ATS_ALIGN_END, ATS_VALIGN_BOTTOM);
    ats_view_text(c, xl, g->rows_y - 6.0f * ui, c->cross ? "query (decoder)" : "query", &cap);
    cap.align = ATS_ALIGN_START;
    ats_view_text(c, xr, g->rows_y - 6.0f * ui, c->cross ? "key (encoder)" : "key", &cap);
}

void ats_lines_build(view_ctx *c) {
    char detail[256];
    ats_view_title(c, heads_detail(c, detail, sizeof detail));
    geom g;
    view_layout *l = c->lay;
    ats_token_side side;
    int f = focus(c, &side);
    float cut = line_cut(c, f);
    layout(c, c->w, c->h, &g, l->legend, legend_note_width(c, cut));
    l->n_legend = c->d->n_head;
    draw_legend(c, &g, l->legend, cut);
    if (c->tok.n == 0 || c->ktok.n == 0)
        return;
    draw_lines(c, &g, f, side, cut);
    draw_labels(c, &g, f, side);
    float rows = (float)c->tok.n * g.row_h, krows = (float)c->ktok.n * g.row_h;
    l->left = (frect){g.x0 - 4.0f * c->ui, g.rows_y, g.wl + g.pad + 4.0f * c->ui, rows};
    l->right = (frect){g.x0 + g.wl + g.pad + g.span, g.rows_y, g.wl + g.pad + 4.0f * c->ui, krows};
    l->rows_y = g.rows_y;
    l->row_h = g.row_h;
}

ats_hit ats_lines_hit(const view_layout *l, float x, float y) {
    ats_hit hit = {
        .kind = ATS_HIT_NONE, .query = -1, .key = -1, .token = -1, .layer = -1, .head = -1};
    for (int h = 0; h < l->n_legend; h++)
        if (frect_has(l->legend[h], x, y)) {
            hit.kind = ATS_HIT_HEAD_KEY;
            hit.head = h;
            return hit;
        }
    if (l->n_shown == 0 || l->n_kshown == 0 || !(l->row_h > 0))
        return hit;
    int i = (int)floorf((y - l->rows_y) / l->row_h);
    if (frect_has(l->left, x, y)) {
        hit.kind = ATS_HIT_TOKEN;
        hit.token = l->shown[clampi(i, 0, l->n_shown - 1)];
        hit.side = ATS_SIDE_QUERY;
    } else if (frect_has(l->right, x, y)) {
        hit.kind = ATS_HIT_TOKEN;
        hit.token = l->kshown[clampi(i, 0, l->n_kshown - 1)];
        hit.side = ATS_SIDE_KEY;
    }
    return hit;
}
