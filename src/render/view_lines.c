/* The lines view (the classic "head view"): one layer's tokens in two columns, queries on the
 * left and keys on the right (cross-attention: the decoder's tokens left, the encoder's right), a
 * line from query i to key j for each shown head.
 *
 *   model  layer 2 · heads 0–3                              title
 *   heads ■0 ■1 □2 ■3           top 3 keys of each query    legend (click toggles), the cut
 *        query                 key
 *          ↑ 40 earlier        ↑ 40 earlier                 a long text: a window of rows
 *          The •────────────• The
 *       animal •═══════════╱• animal                          lines, weight as width and ink
 *          ↓ 300 more          ↓ 300 more
 *
 * Which lines: for each query and head the strongest keys, the top k of its row or as many as
 * make up a share of its weight (ats_view_state.line_cut), so a diffuse row keeps its lines as a
 * peaked one does. A stronger line is wider and more opaque, and lines are drawn weakest first,
 * so that the strong ones stay on top in their own colour instead of blending. Several heads
 * take the colours of a qualitative palette, named in the legend; one head alone is drawn in the
 * colormap by the state's colour scale, with a colour bar as its legend.
 *
 * A hovered or locked token shows only its own lines (a query's to every key, or every query's
 * to a key), and the labels on the other side are shaded by the weight.
 *
 * Long texts: rows shrink down to ROW_MIN pixels (labels every step-th); below that (and when
 * presentation size makes the rows larger than the view holds) the view shows a window of rows
 * starting at pan_query, with markers saying how many tokens lie above and below, and the weight
 * each query gives to the keys out of the window drawn as one line to the marker. A locked token
 * out of the window moves the window to it. With nothing focused at most MAX_LINES lines are
 * drawn: beyond, the weakest are left out and the legend names the weight below which they are.
 */
#include "view_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_WEIGHT 0.002f /* lines this faint are never drawn */
#define MAX_LINES  2000
#define CUT_BINS   1024 /* resolution of the raised floor */
#define ROW_MAX    34.0f
#define ROW_MIN    9.0f  /* rows of every token at least this high; else a window */
#define ROW_WINDOW 18.0f /* the rows of a window */

typedef struct geom {
    float m, legend_y, legend_bottom, rows_y, row_h, marker_h;
    float label_size;
    int step;
    float wl, pad, span, x0; /* label width, gap to the lines, line span, block's left */
    bool windowed;
    int q0, nq; /* the queries' window: shown positions [q0, q0 + nq) */
    int k0, nk; /* the keys' */
} geom;

/* One line to draw: from shown query position q to key position k (or to a marker: k = -1 above
 * the window, -2 below), of weight w in head h. */
typedef struct line {
    float w;  /* the weight as shown (renormalized when the rows are) */
    float cv; /* what its colour stands for: the weight times its row's ats_view_row_mult */
    int q, k, head;
} line;

typedef struct lines {
    line *v;
    int n, cap;
} lines;

static bool push_line(view_ctx *c, lines *ls, line l) {
    if (ls->n == ls->cap) {
        int cap = ls->cap ? 2 * ls->cap : 256;
        line *v = realloc(ls->v, (size_t)cap * sizeof *v);
        if (!v) {
            c->status = c->status ? c->status : ATS_ERR_NOMEM;
            return false;
        }
        ls->v = v;
        ls->cap = cap;
    }
    ls->v[ls->n++] = l;
    return true;
}

/* ---- which lines ---------------------------------------------------------------------------- */

static bool single_head(const view_ctx *c, int *head) {
    int shown = 0;
    for (int h = 0; h < c->d->n_head; h++)
        if (ats_view_state_head_visible(c->st, h)) {
            shown++;
            *head = h;
        }
    return shown == 1;
}

/* Shown keys [0, n) that shown query q sees: up to itself in a causal model (shown order is
 * run order). */
static int keys_seen(const view_ctx *c, int q) {
    return c->d->causal ? q + 1 : c->ktok.n;
}

static int by_weight_desc(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x > y ? -1 : x < y ? 1 : 0;
}

/* The weight a key needs in row `w` (n shown weights) to be among the row's lines: the k-th
 * largest, or the smallest of the strongest that reach the mass. `tmp` holds n floats. */
static float row_cut(const ats_view_state *st, const float *w, int n, float *tmp) {
    if (n <= 0)
        return INFINITY;
    memcpy(tmp, w, (size_t)n * sizeof *tmp);
    qsort(tmp, (size_t)n, sizeof *tmp, by_weight_desc);
    if (st->line_cut == ATS_LINE_CUT_MASS) {
        float target = clampf(st->line_mass, 0.01f, 1.0f), total = 0;
        for (int i = 0; i < n; i++)
            total += tmp[i] > 0 ? tmp[i] : 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += tmp[i];
            if (sum >= target * total - 1e-6f)
                return tmp[i];
        }
        return tmp[n - 1];
    }
    int k = st->line_top_k > 0 ? st->line_top_k : 1;
    return tmp[(k < n ? k : n) - 1];
}

/* The legend's words for the cut. */
static void cut_words(const ats_view_state *st, char *out, size_t size) {
    if (st->line_cut == ATS_LINE_CUT_MASS)
        snprintf(out, size, "strongest keys up to %.0f%% of each row", 100.0 * st->line_mass);
    else if (st->line_top_k <= 1)
        snprintf(out, size, "the strongest key of each query");
    else
        snprintf(out, size, "top %d keys of each query", st->line_top_k);
}

/* The lines of shown query q in head h that pass the cut, among keys in the window (and the
 * weight to keys out of it, as lines to the markers); only_key >= 0 keeps that key's alone. */
static void row_lines(view_ctx *c, const geom *g, int h, int q, int only_key, float *w, float *tmp,
                      lines *out) {
    const float *a = ats_view_data_head(c->d, c->st->layer, h);
    if (!a)
        return;
    int tq = c->tok.shown[q], kn = keys_seen(c, q);
    const float *f = ats_view_row_factors(c, c->st->layer, h);
    const float *row = a + (size_t)tq * (size_t)n_keys_of(c->d);
    float factor = f ? f[tq] : 1.0f, mult = ats_view_row_mult(c, c->st->layer, h, tq);
    for (int k = 0; k < kn; k++)
        w[k] = row[c->ktok.shown[k]] * factor;
    float rank_cut = row_cut(c->st, w, kn, tmp);
    float cut = fmaxf(rank_cut, fmaxf(c->st->line_threshold, MIN_WEIGHT));
    /* top k: keys tied at the cut fill the k places left in text order, no more */
    int ties = kn;
    if (c->st->line_cut == ATS_LINE_CUT_TOP_K) {
        ties = c->st->line_top_k > 0 ? c->st->line_top_k : 1;
        for (int k = 0; k < kn; k++)
            ties -= w[k] > rank_cut;
    }
    float above = 0, below = 0;
    for (int k = 0; k < kn; k++) {
        if (!(w[k] >= cut) || (w[k] <= rank_cut && ties-- <= 0) || (only_key >= 0 && k != only_key))
            continue;
        if (k < g->k0)
            above += w[k];
        else if (k >= g->k0 + g->nk)
            below += w[k];
        else if (!push_line(c, out, (line){w[k], w[k] / factor * mult, q, k, h}))
            return;
    }
    if (above > 0)
        push_line(c, out, (line){above, above / factor * mult, q, -1, h});
    if (below > 0)
        push_line(c, out, (line){below, below / factor * mult, q, -2, h});
}

static int by_weight_asc(const void *a, const void *b) {
    const line *x = a, *y = b;
    return x->w < y->w ? -1 : x->w > y->w ? 1 : 0;
}

/* With nothing focused and more than MAX_LINES lines, the weakest are left out: returns the
 * weight below which (0 when none is left out). Sorted weakest first, that is a prefix. */
static float cap_lines(lines *ls) {
    qsort(ls->v, (size_t)ls->n, sizeof *ls->v, by_weight_asc);
    if (ls->n <= MAX_LINES)
        return 0;
    int drop = ls->n - MAX_LINES;
    float floor_w = ls->v[drop].w;
    memmove(ls->v, ls->v + drop, (size_t)MAX_LINES * sizeof *ls->v);
    ls->n = MAX_LINES;
    return floor_w;
}

/* ---- layout ---------------------------------------------------------------------------------- */

/* Head legend entries laid out from (x, y), wrapping at x + max_w; fills rects when given.
 * Returns the bottom of the last row. One head alone: a colour bar instead. */
static float legend_layout(const view_ctx *c, float ui, float x, float y, float max_w,
                           frect *rects) {
    float size = UI_SMALL * ui, sw = 12.0f * ui, row = 20.0f * ui;
    float start = x + ats_font_measure(c->font, "heads", size, false) + 10.0f * ui;
    float cx = start, cy = y;
    for (int h = 0; h < c->d->n_head; h++) {
        char label[16];
        snprintf(label, sizeof label, "%d", h);
        float w = sw + 4.0f * ui + ats_font_measure(c->font, label, size, false);
        if (cx + w > x + max_w && h > 0) {
            cx = start;
            cy += row;
        }
        if (rects)
            rects[h] = (frect){cx - 3.0f * ui, cy - 3.0f * ui, w + 6.0f * ui, row};
        cx += w + 12.0f * ui;
    }
    return cy + row;
}

static void label_fit(float ui, float row_h, float *size, int *step) {
    float lmin = UI_LABEL_MIN * ui;
    *size = fminf(UI_LABEL_MAX * ui, 0.62f * row_h);
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

/* Where the rows start at ui scale `ui`. */
static float rows_top(const view_ctx *c, float ui, float w, frect *legend, float note_w) {
    float a, d;
    ats_font_metrics(c->font, UI_TITLE * ui, &a, &d);
    float legend_y = UI_MARGIN * ui + a + d + 12.0f * ui;
    float bottom =
        legend_layout(c, ui, UI_MARGIN * ui, legend_y, w - 2 * UI_MARGIN * ui - note_w, legend);
    return bottom + 8.0f * ui + 1.6f * UI_SMALL * ui;
}

/* The row height that shows every token in h at ui scale `ui`, capped at ROW_MAX. */
static float fit_rows(const view_ctx *c, float ui, float w, float h, float note_w) {
    int n = c->tok.n > c->ktok.n ? c->tok.n : c->ktok.n;
    float top = rows_top(c, ui, w, NULL, note_w);
    return fminf((h - top - UI_MARGIN * ui) / (float)(n > 0 ? n : 1), ROW_MAX * ui);
}

/* A window start that keeps shown position `p` (or -1) in view of n rows from `start`. */
static int window_start(float start, int p, int rows, int n) {
    int s = isfinite(start) ? (int)floorf(start + 0.5f) : 0;
    if (p >= 0 && (p < s || p >= s + rows))
        s = p - rows / 2;
    return clampi(s, 0, n > rows ? n - rows : 0);
}

/* `note_w`: room kept at the right of the legend's first row for the note on the cut. */
static void layout(view_ctx *c, float w, float h, geom *g, frect *legend, float note_w, int focus_q,
                   int focus_k) {
    float ui = c->ui, p = c->st->present_scale;
    int n = c->tok.n > c->ktok.n ? c->tok.n : c->ktok.n;
    n = n > 0 ? n : 1;
    *g = (geom){.m = UI_MARGIN * ui};
    g->legend_y = title_bottom_estimate(c) + 12.0f * ui;
    g->legend_bottom = legend_layout(c, ui, g->m, g->legend_y, w - 2 * g->m - note_w, legend);
    g->rows_y = g->legend_bottom + 8.0f * ui + 1.6f * UI_SMALL * ui;
    float avail = h - g->rows_y - g->m;
    g->row_h = fit_rows(c, ui, w, h, note_w);
    if (p > 1.01f && p < 16.0f) /* presentation size: the rows grow with the labels */
        g->row_h = fmaxf(g->row_h, p * fit_rows(c, ui / p, w, h, note_w / p));
    g->windowed = g->row_h < ROW_MIN * ui || (float)n * g->row_h > avail + 0.5f;
    g->nq = c->tok.n;
    g->nk = c->ktok.n;
    if (g->windowed) {
        float a, d;
        ats_font_metrics(c->font, UI_SMALL * ui, &a, &d);
        g->marker_h = a + d + 8.0f * ui;
        g->row_h = fmaxf(g->row_h, ROW_WINDOW * ui);
        int rows = (int)floorf((avail - 2 * g->marker_h) / g->row_h);
        rows = rows > 1 ? rows : 1;
        g->rows_y += g->marker_h;
        g->nq = c->tok.n < rows ? c->tok.n : rows;
        g->nk = c->ktok.n < rows ? c->ktok.n : rows;
        g->q0 = window_start(c->st->pan_query, focus_q, g->nq, c->tok.n);
        g->k0 = c->cross ? window_start(c->st->pan_query, focus_k, g->nk, c->ktok.n) : g->q0;
        if (!c->cross && focus_k >= 0 && (focus_k < g->k0 || focus_k >= g->k0 + g->nk))
            g->q0 = g->k0 = window_start(c->st->pan_query, focus_k, g->nq, c->tok.n);
    }
    label_fit(ui, g->row_h, &g->label_size, &g->step);
    g->wl = fmaxf(ats_widest_label(c, g->label_size), ats_widest_key_label(c, g->label_size));
    g->wl = fmaxf(g->wl, ats_font_measure(c->font, c->cross ? "query (decoder)" : "query",
                                          UI_SMALL * ui, false));
    if (g->windowed) /* the markers' words */
        g->wl = fmaxf(g->wl,
                      ats_font_measure(c->font, "\xE2\x86\x93 00000 more", UI_SMALL * ui, false));
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

static void legend_note(const view_ctx *c, float dropped, char *note, size_t size);
#define BAR_W 110.0f /* one head's colour bar in the legend */

void ats_lines_natural_size(view_ctx *c, float *w, float *h) {
    float ui = c->ui, row_h = 26.0f * ui, size;
    int n = c->tok.n > c->ktok.n ? c->tok.n : c->ktok.n, step;
    n = n > 0 ? n : 1;
    label_fit(ui, row_h, &size, &step);
    float m = UI_MARGIN * ui, wl = fmaxf(ats_widest_label(c, size), ats_widest_key_label(c, size));
    char detail[256];
    *w = 2 * m + 2 * wl + 2 * 12.0f * ui + 360.0f * ui;
    *w = fmaxf(*w,
               ats_view_title_width(c->st, c->d, c->font, heads_detail(c, detail, sizeof detail)) +
                   2 * m);
    /* and wide enough for the legend's row whole: the heads, then the note on the cut (with one
     * head's colour bar), never cut to "..." */
    int single = -1;
    bool one = single_head(c, &single);
    char note[160];
    legend_note(c, 0, note, sizeof note);
    size = UI_SMALL * ui;
    float heads = ats_font_measure(c->font, "heads", size, false) + 8.0f * ui;
    for (int hd = 0; hd < c->d->n_head; hd++) {
        char label[16];
        snprintf(label, sizeof label, "%d", hd);
        heads +=
            12.0f * ui + 4.0f * ui + ats_font_measure(c->font, label, size, false) + 12.0f * ui;
    }
    float note_w = ats_font_measure(c->font, note, size, false) + 16.0f * ui;
    if (one)
        note_w += BAR_W * ui + ats_font_measure(c->font, "weight 0.000  row max", size, false) +
                  24.0f * ui;
    *w = fmaxf(*w, fmaxf(2 * m + heads + note_w, 2 * m + note_w / 0.6f));
    *h = rows_top(c, ui, *w, NULL, 0) + (float)n * row_h + m;
}

/* ---- drawing --------------------------------------------------------------------------------- */

/* The note on the cut (and on lines left out past MAX_LINES) for the legend's row. */
static void legend_note(const view_ctx *c, float dropped, char *note, size_t size) {
    char words[96];
    cut_words(c->st, words, sizeof words);
    if (dropped > 0) {
        char v[24];
        ats_format_number(v, sizeof v, (double)dropped, ATS_NUMBER_PLAIN);
        snprintf(note, size, "%s \xC2\xB7 below %s left out (at most %d lines)", words, v,
                 MAX_LINES);
    } else {
        snprintf(note, size, "%s", words);
    }
}

/* Width kept for the note (and a single head's colour bar): its own, at most 0.6 of the row. */
static float legend_note_width(const view_ctx *c, const char *note, bool single) {
    float ui = c->ui, size = UI_SMALL * ui;
    float w = ats_font_measure(c->font, note, size, false) + 16.0f * ui;
    if (single)
        w += BAR_W * ui + ats_font_measure(c->font, "weight 0.000  row max", size, false) +
             24.0f * ui;
    return fminf(w, 0.6f * (c->w - 2 * UI_MARGIN * ui));
}

/* One head: a small colour bar of the colormap over its weights ("weight lo [bar] hi"), ending
 * at x_end. */
static void legend_bar(view_ctx *c, float x_end, float y) {
    float ui = c->ui, size = UI_SMALL * ui, bh = 10.0f * ui;
    char lo[24], hi[24];
    if (c->per_row) {
        snprintf(lo, sizeof lo, "0");
        snprintf(hi, sizeof hi, "row max");
    } else {
        ats_format_number(lo, sizeof lo, (double)c->vmin, ATS_NUMBER_PLAIN);
        ats_format_number(hi, sizeof hi, (double)c->vmax, ATS_NUMBER_PLAIN);
    }
    ats_text_style ts = tstyle(size, COLOR_MUTED, ATS_ALIGN_END, ATS_VALIGN_MIDDLE);
    ats_view_text(c, x_end, y, hi, &ts);
    float bx = x_end - ats_font_measure(c->font, hi, size, false) - 4.0f * ui - BAR_W * ui;
    uint8_t grad[256 * 4];
    for (int i = 0; i < 256; i++)
        memcpy(grad + 4 * i, &c->lut[i], 4);
    if (ats_dl_image(c->dl, bx, y - 0.5f * bh, BAR_W * ui, bh, grad, 256, 1, 256 * 4,
                     ATS_IMAGE_SMOOTH) != ATS_OK)
        c->status = c->status ? c->status : ATS_ERR_NOMEM;
    ats_view_outline(c, bx, y - 0.5f * bh, BAR_W * ui, bh, ui, COLOR_FAINT);
    char left[48];
    snprintf(left, sizeof left, "weight %s", lo);
    ats_view_text(c, bx - 4.0f * ui, y, left, &ts);
}

static void draw_legend(view_ctx *c, const geom *g, const frect *rects, const char *note,
                        int single) {
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
    float note_w = legend_note_width(c, note, single >= 0), y = g->legend_y + 0.5f * sw;
    ats_text_style tn = tstyle(size, COLOR_MUTED, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
    float x = c->w - g->m - note_w + 16.0f * ui;
    if (single >= 0) { /* one head: its lines are in the colormap */
        float bar_w = BAR_W * ui + ats_font_measure(c->font, "weight 0.000  row max", size, false);
        legend_bar(c, x + bar_w, y);
        x += bar_w + 24.0f * ui;
    }
    tn.max_width = c->w - g->m - x;
    ats_view_text(c, x, y, note, &tn);
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

static float row_y(const geom *g, int pos, bool key) {
    return g->rows_y + ((float)(pos - (key ? g->k0 : g->q0)) + 0.5f) * g->row_h;
}

/* The y of a key position, or of the marker above (-1) or below (-2) the window. */
static float key_y(const geom *g, int k) {
    if (k == -1)
        return g->rows_y - 0.5f * g->marker_h;
    if (k == -2)
        return g->rows_y + (float)g->nk * g->row_h + 0.5f * g->marker_h;
    return row_y(g, k, true);
}

/* Every line that passes the cut, weakest first; returns the MAX_LINES floor (0: none). */
static float gather(view_ctx *c, const geom *g, int f, ats_token_side side, lines *out) {
    int nmax = c->ktok.n > 0 ? c->ktok.n : 1;
    float *w = malloc((size_t)nmax * sizeof *w), *tmp = malloc((size_t)nmax * sizeof *tmp);
    if (!w || !tmp) {
        free(w);
        free(tmp);
        c->status = c->status ? c->status : ATS_ERR_NOMEM;
        return 0;
    }
    for (int h = 0; h < c->d->n_head && c->status == ATS_OK; h++) {
        if (!ats_view_state_head_visible(c->st, h))
            continue;
        if (f >= 0 && side == ATS_SIDE_QUERY) {
            row_lines(c, g, h, f, -1, w, tmp, out);
            continue;
        }
        for (int q = g->q0; q < g->q0 + g->nq; q++)
            row_lines(c, g, h, q, f >= 0 ? f : -1, w, tmp, out);
    }
    free(w);
    free(tmp);
    float dropped = cap_lines(out);
    return f < 0 ? dropped : 0.0f;
}

static void draw_lines(view_ctx *c, const geom *g, const lines *ls, int single) {
    float ui = c->ui, x0 = g->x0 + g->wl + g->pad, x1 = x0 + g->span;
    float base = clampf(0.3f * g->row_h, 1.0f * ui, 2.0f * ui); /* thinner when rows crowd */
    for (int i = g->q0; i < g->q0 + g->nq; i++)                 /* the ends of the lines */
        ats_view_circle(c, x0, row_y(g, i, false), 2.5f * ui, COLOR_FAINT);
    for (int i = g->k0; i < g->k0 + g->nk; i++)
        ats_view_circle(c, x1, row_y(g, i, true), 2.5f * ui, COLOR_FAINT);
    for (int i = 0; i < ls->n; i++) {
        const line *l = &ls->v[i];
        float w = fminf(l->w, 1.0f);
        ats_rgba col = ats_head_color(l->head);
        if (single >= 0) /* one head: the colormap by the colour scale */
            col = value_color(c, l->cv);
        col.a = (uint8_t)lroundf(255.0f * clampf(sqrtf(w), 0.15f, 1.0f));
        ats_view_line(c, x0, row_y(g, l->q, false), x1, key_y(g, l->k), base * (0.7f + 1.3f * w),
                      col);
    }
}

/* Strongest shown weight on the line between shown tokens q and k, and its head. */
static float strongest(view_ctx *c, int q, int k, int *head) {
    float best = 0;
    *head = 0;
    if (c->d->causal && k > q)
        return 0;
    for (int h = 0; h < c->d->n_head; h++) {
        if (!ats_view_state_head_visible(c->st, h))
            continue;
        float w = ats_view_weight(c, c->st->layer, h, c->tok.shown[q], c->ktok.shown[k]);
        if (w > best) {
            best = w;
            *head = h;
        }
    }
    return best;
}

/* "↑ 40 earlier" above a column's window and "↓ 300 more" below it. */
static void draw_markers(view_ctx *c, const geom *g, float x, ats_align al, int first, int rows,
                         int n) {
    if (!g->windowed)
        return;
    ats_text_style ts = tstyle(UI_SMALL * c->ui, COLOR_MUTED, al, ATS_VALIGN_MIDDLE);
    char s[48];
    if (first > 0) {
        snprintf(s, sizeof s, "\xE2\x86\x91 %d earlier", first);
        ats_view_text(c, x, g->rows_y - 0.5f * g->marker_h, s, &ts);
    }
    if (first + rows < n) {
        snprintf(s, sizeof s, "\xE2\x86\x93 %d more", n - first - rows);
        ats_view_text(c, x, g->rows_y + (float)rows * g->row_h + 0.5f * g->marker_h, s, &ts);
    }
}

static void draw_labels(view_ctx *c, const geom *g, int f, ats_token_side side) {
    float ui = c->ui, a, d;
    ats_font_metrics(c->font, g->label_size, &a, &d);
    float xl = g->x0 + g->wl, xr = xl + 2 * g->pad + g->span;
    for (int col = 0; col < 2; col++) { /* 0: queries on the left, 1: keys on the right */
        ats_token_side this_side = col ? ATS_SIDE_KEY : ATS_SIDE_QUERY;
        const token_set *ts_set = col ? &c->ktok : &c->tok;
        int first = col ? g->k0 : g->q0, rows = col ? g->nk : g->nq;
        for (int i = first; i < first + rows; i++) {
            bool is_focus = f == i && side == this_side;
            float shade = 0;
            int head = 0;
            if (f >= 0 && side != this_side)
                shade = col ? strongest(c, f, i, &head) : strongest(c, i, f, &head);
            if (i % g->step != 0 && !is_focus && shade < 0.01f)
                continue;
            int tok = ts_set->shown[i];
            bool special = col ? is_key_special(c, tok) : is_special(c, tok);
            float y = row_y(g, i, col == 1);
            ats_text_style ts = tstyle(g->label_size, special ? COLOR_MUTED : COLOR_INK,
                                       col ? ATS_ALIGN_START : ATS_ALIGN_END, ATS_VALIGN_MIDDLE);
            ts.max_width = g->wl;
            ts.bold = is_focus;
            float tw = fminf(ats_font_measure(c->font, ts_set->labels[tok], g->label_size, ts.bold),
                             g->wl);
            float bx = col ? xr - 3.0f * ui : xl - tw - 3.0f * ui;
            if (is_focus || shade >= 0.01f) {
                ats_rgba bg = is_focus ? COLOR_FOCUS : ats_head_color(head);
                if (!is_focus)
                    bg.a = (uint8_t)lroundf(140.0f * fminf(shade, 1.0f));
                ats_view_rect(c, bx, y - 0.5f * (a + d) - ui, tw + 6.0f * ui, a + d + 2 * ui,
                              3.0f * ui, bg);
            }
            ats_view_text(c, col ? xr : xl, y, ts_set->labels[tok], &ts);
        }
        draw_markers(c, g, col ? xr : xl, col ? ATS_ALIGN_START : ATS_ALIGN_END, first, rows,
                     ts_set->n);
    }
    float cap_y = g->rows_y - 6.0f * ui - (g->windowed ? g->marker_h : 0);
    ats_text_style cap = tstyle(UI_SMALL * ui, COLOR_MUTED, ATS_ALIGN_END, ATS_VALIGN_BOTTOM);
    ats_view_text(c, xl, cap_y, c->cross ? "query (decoder)" : "query", &cap);
    cap.align = ATS_ALIGN_START;
    ats_view_text(c, xr, cap_y, c->cross ? "key (encoder)" : "key", &cap);
}

void ats_lines_build(view_ctx *c) {
    char detail[256];
    ats_view_title(c, heads_detail(c, detail, sizeof detail));
    geom g;
    view_layout *l = c->lay;
    ats_token_side side;
    int f = focus(c, &side), single = -1;
    if (single_head(c, &single))
        ats_view_color_range(c, c->st->layer, single);
    else
        single = -1;
    /* lay out with the note's room for the cut, then gather the lines and write it */
    char note[160];
    legend_note(c, 0, note, sizeof note);
    int fq = f >= 0 && side == ATS_SIDE_QUERY ? f : -1,
        fk = f >= 0 && side == ATS_SIDE_KEY ? f : -1;
    layout(c, c->w, c->h, &g, l->legend, legend_note_width(c, note, single >= 0), fq, fk);
    l->n_legend = c->d->n_head;
    if (c->tok.n == 0 || c->ktok.n == 0) {
        draw_legend(c, &g, l->legend, note, single);
        return;
    }
    lines ls = {0};
    float dropped = gather(c, &g, f, side, &ls);
    legend_note(c, dropped, note, sizeof note);
    draw_legend(c, &g, l->legend, note, single);
    draw_lines(c, &g, &ls, single);
    free(ls.v);
    draw_labels(c, &g, f, side);
    float rows = (float)g.nq * g.row_h, krows = (float)g.nk * g.row_h;
    l->left = (frect){g.x0 - 4.0f * c->ui, g.rows_y, g.wl + g.pad + 4.0f * c->ui, rows};
    l->right = (frect){g.x0 + g.wl + g.pad + g.span, g.rows_y, g.wl + g.pad + 4.0f * c->ui, krows};
    l->rows_y = g.rows_y;
    l->row_h = g.row_h;
    l->first_row = g.q0;
    l->first_key = g.k0;
    l->window_rows = g.windowed ? g.nq : 0;
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
        hit.token = l->shown[clampi(l->first_row + i, 0, l->n_shown - 1)];
        hit.side = ATS_SIDE_QUERY;
    } else if (frect_has(l->right, x, y)) {
        hit.kind = ATS_HIT_TOKEN;
        hit.token = l->kshown[clampi(l->first_key + i, 0, l->n_kshown - 1)];
        hit.side = ATS_SIDE_KEY;
    }
    return hit;
}
