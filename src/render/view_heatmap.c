/* The heatmap view: one head's (T, T) attention, queries as rows and keys as columns (for
 * cross-attention (Tq, Tk): the decoder's tokens as rows, the encoder's as columns).
 *
 *   model  layer 3 · head 5                                 title
 *   query 'it' → key 'animal': 0.432                       readout of the hovered cell
 *                    key                                   caption
 *                 T a d c ...                              key labels (vertical when narrow)
 *   q    The  [ cells ........ ]   |  weight               colour bar with ticks
 *   u  animal [ cells ........ ]   |
 *   e     ...                        [/] masked            key for masked cells (causal)
 *
 * At zoom 1 every token fits (square cells of fit = min(avail w, avail h) / T pixels); at zoom z
 * cells are z * fit and the view shows the part starting at (pan_key, pan_query) cells. Labels
 * shrink with the cells down to a legible minimum, below which only every step-th is written.
 */
#include "view_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct geom {
    float m, top;     /* margin; top of the caption above the key labels */
    float caption;    /* band of the "query" / "key" captions */
    float label_size; /* token labels */
    int step;         /* a label every step-th token */
    float row_w;      /* row label column */
    bool vertical;    /* key labels rotated */
    float col_h;      /* key label band */
    float bar_w;      /* colour bar zone, gap included */
    bool hidden_col;  /* a column of the weight hidden special tokens take (not renormalized) */
    frect avail;
    float fit, cell;
} geom;

/* "layer 3 · head 5", and the layer's sliding window when it has one. */
static void heatmap_detail(const view_ctx *c, char *out, size_t n) {
    if (c->d->detail) { /* a matrix that is not one head's (a difference, an aggregate) */
        snprintf(out, n, "%s", c->d->detail);
        return;
    }
    int window = c->d->causal ? ats_view_window(c->d, c->st->layer) : 0;
    ats_view_head_detail(c->d, c->st->layer, c->st->head, out, n);
    size_t k = strlen(out);
    if (window > 0 && k < n)
        snprintf(out + k, n - k, " \xC2\xB7 sliding window %d", window);
}

/* Height of the title and readout lines. */
static float header_height(const view_ctx *c, float ui) {
    float a1, d1, a2, d2;
    ats_font_metrics(c->font, UI_TITLE * ui, &a1, &d1);
    ats_font_metrics(c->font, UI_TEXT * ui, &a2, &d2);
    return UI_MARGIN * ui + a1 + d1 + 8.0f * ui + a2 + d2 + 10.0f * ui;
}

/* Label size and step for cells of `cell` pixels: labels shrink with the cells down to a legible
 * minimum, below which every step-th token is labelled. */
static void label_fit(float ui, float cell, float *size, int *step) {
    float lmin = UI_LABEL_MIN * ui, lmax = UI_LABEL_MAX * ui;
    *size = fminf(lmax, 0.78f * cell);
    *step = 1;
    if (*size < lmin) {
        *size = lmin;
        *step = (int)ceilf(1.25f * lmin / cell);
    }
}

/* Bands around the matrix for the labels, sized for the largest label size so that they stay
 * put while zooming; key labels are vertical unless they fit across cells of `cell` pixels. */
static void bands(const view_ctx *c, float ui, geom *g, float cell, int step) {
    float size = UI_LABEL_MAX * ui, a, d;
    float wl = fminf(ats_widest_label(c, size), UI_LABEL_WIDTH * ui);
    float wk = fminf(ats_widest_key_label(c, size), UI_LABEL_WIDTH * ui);
    ats_font_metrics(c->font, size, &a, &d);
    g->row_w = wl + 10.0f * ui;
    g->vertical = wk > cell * (float)step - 4.0f * ui;
    g->col_h = g->vertical ? wk + 10.0f * ui : a + d + 8.0f * ui;
}

/* Columns the matrix area holds: the keys, and the hidden weight's column and its gap. */
static float columns(const view_ctx *c, const geom *g) {
    return (float)(c->ktok.n > 0 ? c->ktok.n : 1) + (g->hidden_col ? 1.5f : 0.0f);
}

/* The geometry at ui scale `ui` in a w x h view, at zoom 1. The bands depend on the cells (two
 * passes: the orientation of the key labels changes the room left). */
static void fit_layout(const view_ctx *c, float ui, float w, float h, geom *g) {
    float size;
    int n = c->tok.n > 0 ? c->tok.n : 1, step = 1;
    *g = (geom){.m = UI_MARGIN * ui, .top = header_height(c, ui), .caption = 1.8f * UI_SMALL * ui};
    g->hidden_col = ats_view_hides_keys(c) && !c->st->renormalize;
    view_ctx cu = *c; /* the colour bar at this scale */
    cu.ui = ui;
    g->bar_w = 22.0f * ui + ats_view_colorbar(&cu, 0, 0, 0, true);
    g->fit = 1e9f;
    for (int pass = 0; pass < 2; pass++) {
        bands(c, ui, g, g->fit, step);
        g->avail.x = g->m + g->caption + g->row_w;
        g->avail.y = g->top + g->caption + g->col_h;
        g->avail.w = fmaxf(w - g->avail.x - g->bar_w - g->m, 1.0f);
        g->avail.h = fmaxf(h - g->avail.y - g->m, 1.0f);
        g->fit = fminf(g->avail.w / columns(c, g), g->avail.h / (float)n);
        label_fit(ui, g->fit, &size, &step);
    }
}

/* The geometry in a w x h view. At presentation size p (ats_view_state.present_scale) the cells
 * are at least p times those of the same view at ui / p, so the figure grows with its labels;
 * the zoom then scales the cells, and the matrix's corner stays where it is whatever the zoom. */
static void layout(const view_ctx *c, float w, float h, geom *g) {
    float p = c->st->present_scale;
    fit_layout(c, c->ui, w, h, g);
    if (p > 1.01f && p < 16.0f) {
        geom base;
        fit_layout(c, c->ui / p, w, h, &base);
        g->fit = fmaxf(g->fit, p * base.fit);
    }
    g->cell = g->fit * clampf(c->st->zoom, 1.0f, 1e4f);
    label_fit(c->ui, g->cell, &g->label_size, &g->step);
}

void ats_heatmap_natural_size(view_ctx *c, float *w, float *h) {
    float ui = c->ui;
    int nq = c->tok.n > 0 ? c->tok.n : 1, nk = c->ktok.n > 0 ? c->ktok.n : 1;
    int n = nq > nk ? nq : nk;
    float cell = clampf(480.0f * ui / (float)n, 20.0f * ui, 46.0f * ui);
    if ((float)n * cell > 3200.0f * ui)
        cell = 3200.0f * ui / (float)n;
    float size;
    int step;
    label_fit(ui, cell, &size, &step);
    geom g = {.m = UI_MARGIN * ui, .top = header_height(c, ui), .caption = 1.8f * UI_SMALL * ui};
    g.hidden_col = ats_view_hides_keys(c) && !c->st->renormalize;
    ats_view_color_range(c, c->st->layer, c->st->head); /* the colour bar's labels */
    g.bar_w = 22.0f * ui + ats_view_colorbar(c, 0, 0, 0, true);
    bands(c, ui, &g, cell, step);
    *w = g.m + g.caption + g.row_w + columns(c, &g) * cell + g.bar_w + g.m;
    *h = g.top + g.caption + g.col_h + (float)nq * cell + g.m;
    char detail[200];
    heatmap_detail(c, detail, sizeof detail);
    *w = fmaxf(*w, ats_view_title_width(c->st, c->d, c->font, detail) + 2 * g.m);
}

/* Position in the shown list, or -1 when the token is out of range or hidden. */
static int shown_pos(const view_ctx *c, int token) {
    return token >= 0 && token < c->tok.n_all ? c->tok.pos[token] : -1;
}

/* The same among the keys. */
static int key_pos(const view_ctx *c, int token) {
    return token >= 0 && token < c->ktok.n_all ? c->ktok.pos[token] : -1;
}

static int side_pos(const view_ctx *c, int token, ats_token_side side) {
    return side == ATS_SIDE_KEY ? key_pos(c, token) : shown_pos(c, token);
}

static void readout(view_ctx *c, float y) {
    const ats_view_state *st = c->st;
    int q = shown_pos(c, st->hover_query), k = key_pos(c, st->hover_key);
    char line[512];
    if (q >= 0 && k >= 0) {
        int tq = st->hover_query, tk = st->hover_key;
        int n = snprintf(line, sizeof line,
                         "query '%.150s' \xE2\x86\x92 key '%.150s': ", c->tok.labels[tq],
                         c->ktok.labels[tk]);
        char v[32], raw[32];
        float shown = ats_view_weight(c, st->layer, st->head, tq, tk);
        const float *a = ats_view_data_head(c->d, st->layer, st->head);
        ats_format_number(v, sizeof v, (double)shown, ATS_NUMBER_PLAIN);
        ats_format_number(raw, sizeof raw,
                          a ? (double)a[(size_t)tq * (size_t)n_keys_of(c->d) + (size_t)tk] : 0.0,
                          ATS_NUMBER_PLAIN);
        int window = ats_view_window(c->d, st->layer);
        if (c->d->causal && k > q)
            snprintf(line + n, sizeof line - (size_t)n, "masked (a query sees only earlier keys)");
        else if (c->d->causal && window > 0 && tk <= tq - window)
            snprintf(line + n, sizeof line - (size_t)n,
                     "masked (outside the sliding window: a query sees its last %d keys)", window);
        else if (ats_view_row_factors(c, st->layer, st->head))
            snprintf(line + n, sizeof line - (size_t)n, "%s renormalized (%s of the whole row)", v,
                     raw);
        else
            snprintf(line + n, sizeof line - (size_t)n, "%s", v);
    } else if (side_pos(c, st->locked_token, st->locked_side) >= 0) {
        snprintf(line, sizeof line, "%s '%.200s' (locked)",
                 st->locked_side == ATS_SIDE_KEY ? "key" : "query",
                 (st->locked_side == ATS_SIDE_KEY ? &c->ktok : &c->tok)->labels[st->locked_token]);
    } else {
        return;
    }
    ats_text_style ts = tstyle(UI_TEXT * c->ui, COLOR_INK, ATS_ALIGN_START, ATS_VALIGN_TOP);
    ts.max_width = c->w - 2 * UI_MARGIN * c->ui;
    ats_view_text(c, UI_MARGIN * c->ui, y, line, &ts);
}

/* Outline of shown row (side query) or column (side key) p; `strong` for a locked token. */
static void outline_token(view_ctx *c, const geom *g, frect plot, float ox, float oy, int p,
                          ats_token_side side, bool strong) {
    float ui = c->ui, t = strong ? 2.5f * ui : 1.5f * ui;
    frect r = side == ATS_SIDE_KEY ? (frect){ox + (float)p * g->cell, plot.y, g->cell, plot.h}
                                   : (frect){plot.x, oy + (float)p * g->cell, plot.w, g->cell};
    ats_view_outline(c, r.x, r.y, r.w, r.h, t, COLOR_INK);
    if (strong)
        ats_view_outline(c, r.x + t, r.y + t, r.w - 2 * t, r.h - 2 * t, 1.0f * ui, COLOR_WHITE);
}

/* Cells, separators, values and outlines, clipped to the plot. */

/* v (|v| in [1e-3, 1)) with `digits` significant digits (1 or 2) and no leading zero, for a
 * cell too narrow for three: ".0096", "-.27", ".1". */
static void fewer_digits(char *out, size_t size, float v, int digits) {
    char sci[16];
    snprintf(sci, sizeof sci, "%.*e", digits - 1, (double)v);
    const char *e = strchr(sci, 'e');
    int decimals = e ? digits - 1 - atoi(e + 1) : 2;
    char buf[32];
    snprintf(buf, sizeof buf, "%.*f", decimals < 0 ? 0 : decimals, (double)v);
    const char *s = buf[0] == '0' ? buf + 1 : buf;
    if (buf[0] == '-' && buf[1] == '0')
        snprintf(out, size, "-%.15s", buf + 2);
    else
        snprintf(out, size, "%.15s", s);
}

/* v as a cell writes it within `room` at `size`: three significant digits, else two, else two
 * decimals, else one digit (".00957", ".0096", ".01"); false when not even that fits. */
static bool cell_number(view_ctx *c, char *text, size_t n, float v, float size, float room) {
    ats_format_number(text, n, (double)v, ATS_NUMBER_COMPACT);
    if (ats_font_measure(c->font, text, size, false) > room)
        fewer_digits(text, n, v, 2);
    /* two decimals when that is shorter and not zero, so that 0.0995 and 0.1004 both read
     * ".10" rather than ".1" and ".10" */
    if (ats_font_measure(c->font, text, size, false) > room && fabsf(v) >= 0.005f &&
        fabsf(v) < 1.0f) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.2f", (double)v);
        const char *z = strstr(buf, "0.");
        snprintf(text, n, "%s%.8s", v < 0 ? "-" : "", z ? z + 1 : buf);
    }
    if (ats_font_measure(c->font, text, size, false) > room)
        fewer_digits(text, n, v, 1);
    return ats_font_measure(c->font, text, size, false) <= room;
}

static void draw_matrix(view_ctx *c, const geom *g, frect plot, float ox, float oy) {
    const ats_view_state *st = c->st;
    float ui = c->ui, cell = g->cell;
    int n = c->tok.n, nk = c->ktok.n;
    ats_view_clip(c, plot.x, plot.y, plot.w, plot.h);
    int window = ats_view_window(c->d, st->layer);
    if (c->d->causal) {
        ats_view_rect(c, plot.x, plot.y, plot.w, plot.h, 0, COLOR_MASKED);
        ats_masked_hatching(c, ox, oy, cell, n, plot);
        if (window > 0 && n == c->d->n_tokens) /* the band's lower edge (every token shown) */
            ats_window_hatching(c, ox, oy, cell, n, window, plot);
    }
    int mq, mk;
    const uint8_t *img = ats_attention_image(c, st->layer, st->head, 1, &mq, &mk);
    ats_view_image(c, ox, oy, (float)nk * cell, (float)n * cell, img, mk, mq);
    /* visible cell range */
    int q0 = clampi((int)floorf((plot.y - oy) / cell), 0, n);
    int q1 = clampi((int)ceilf((plot.y + plot.h - oy) / cell), 0, n);
    int k0 = clampi((int)floorf((plot.x - ox) / cell), 0, nk);
    int k1 = clampi((int)ceilf((plot.x + plot.w - ox) / cell), 0, nk);
    if (cell >= 14.0f * ui) { /* thin white separators between cells */
        ats_rgba sep = {255, 255, 255, 200};
        for (int i = q0 + 1; i < q1; i++)
            ats_view_line(c, plot.x, oy + (float)i * cell, plot.x + plot.w, oy + (float)i * cell,
                          ui, sep);
        for (int j = k0 + 1; j < k1; j++)
            ats_view_line(c, ox + (float)j * cell, plot.y, ox + (float)j * cell, plot.y + plot.h,
                          ui, sep);
    }
    /* each cell's value where it fits at the legible size (three digits, ".0456"; down to one,
     * ".05", in narrow cells) */
    ats_text_style ts = tstyle(UI_SMALL * ui, COLOR_INK, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE);
    float room = cell - 4.0f * ui, digit = ats_font_measure(c->font, "0", ts.size, false);
    const float *a = ats_view_data_head(c->d, st->layer, st->head);
    const float *f = ats_view_row_factors(c, st->layer, st->head);
    size_t K = (size_t)n_keys_of(c->d);
    for (int i = q0; a && room >= 2.5f * digit && i < q1; i++) {
        int tq = c->tok.shown[i];
        float mult = ats_view_row_mult(c, st->layer, st->head, tq), factor = f ? f[tq] : 1.0f;
        for (int j = k0; j < k1; j++) {
            if (c->d->causal && (j > i || (window > 0 && c->ktok.shown[j] <= tq - window)))
                continue;
            float raw = a[(size_t)tq * K + (size_t)c->ktok.shown[j]];
            if (!(fabsf(raw * factor) >= 1e-3f)) /* its colour says "almost 0" well enough */
                continue;
            char text[24];
            if (!cell_number(c, text, sizeof text, raw * factor, ts.size, room))
                continue;
            ats_rgba col = value_color(c, raw * mult);
            float lum = 0.2126f * col.r + 0.7152f * col.g + 0.0722f * col.b;
            ts.color = lum > 140 ? COLOR_INK : COLOR_WHITE;
            ats_view_text(c, ox + ((float)j + 0.5f) * cell, oy + ((float)i + 0.5f) * cell, text,
                          &ts);
        }
    }
    int hover = side_pos(c, st->hover_token, st->hover_side);
    int locked = side_pos(c, st->locked_token, st->locked_side);
    if (hover >= 0 && (hover != locked || st->hover_side != st->locked_side))
        outline_token(c, g, plot, ox, oy, hover, st->hover_side, false);
    if (locked >= 0)
        outline_token(c, g, plot, ox, oy, locked, st->locked_side, true);
    int hq = shown_pos(c, st->hover_query), hk = key_pos(c, st->hover_key);
    if (hq >= 0 && hk >= 0) {
        float x = ox + (float)hk * cell, y = oy + (float)hq * cell, t = 2.0f * ui;
        ats_view_outline(c, x - t, y - t, cell + 2 * t, cell + 2 * t, t, COLOR_INK);
        ats_view_outline(c, x, y, cell, cell, fminf(1.0f * ui, 0.25f * cell), COLOR_WHITE);
    }
    ats_view_unclip(c);
    ats_view_outline(c, plot.x - ui, plot.y - ui, plot.w + 2 * ui, plot.h + 2 * ui, ui,
                     COLOR_FAINT);
}

/* Is shown token p emphasised on this side (hovered cell, hovered or locked token)? */
static bool emphasised(const view_ctx *c, int p, ats_token_side side) {
    const ats_view_state *st = c->st;
    int cell_p = side_pos(c, side == ATS_SIDE_KEY ? st->hover_key : st->hover_query, side);
    bool cell_hit =
        cell_p == p && shown_pos(c, st->hover_query) >= 0 && key_pos(c, st->hover_key) >= 0;
    return cell_hit || (side_pos(c, st->hover_token, side) == p && st->hover_side == side) ||
           (side_pos(c, st->locked_token, side) == p && st->locked_side == side);
}

static void draw_labels(view_ctx *c, const geom *g, frect plot, float ox, float oy) {
    float ui = c->ui, cell = g->cell, a, d;
    int n = c->tok.n;
    ats_font_metrics(c->font, g->label_size, &a, &d);
    /* rows: queries, right-aligned against the matrix; the clips reach half a line past the
     * matrix so that the first and last labels are whole */
    float half = 0.5f * (a + d);
    ats_view_clip(c, 0, plot.y - half, plot.x, plot.h + 2 * half);
    for (int i = clampi((int)floorf((plot.y - oy) / cell), 0, n); i < n; i++) {
        float y = oy + ((float)i + 0.5f) * cell;
        if (y - 0.5f * cell > plot.y + plot.h)
            break;
        bool em = emphasised(c, i, ATS_SIDE_QUERY);
        if (i % g->step != 0 && !em)
            continue;
        int tok = c->tok.shown[i];
        ats_text_style ts = tstyle(g->label_size, is_special(c, tok) ? COLOR_MUTED : COLOR_INK,
                                   ATS_ALIGN_END, ATS_VALIGN_MIDDLE);
        ts.max_width = g->row_w - 10.0f * ui;
        ts.bold = em;
        if (em) {
            float tw =
                fminf(ats_font_measure(c->font, c->tok.labels[tok], ts.size, true), ts.max_width);
            ats_view_rect(c, plot.x - 8.0f * ui - tw, y - 0.5f * (a + d) - ui, tw + 4.0f * ui,
                          a + d + 2 * ui, 2.0f * ui, COLOR_FOCUS);
        }
        ats_view_text(c, plot.x - 6.0f * ui, y, c->tok.labels[tok], &ts);
    }
    ats_view_unclip(c);
    /* columns: keys, above the matrix */
    ats_view_clip(c, plot.x - half, plot.y - g->col_h, plot.w + 2 * half, g->col_h);
    int nk = c->ktok.n;
    for (int j = clampi((int)floorf((plot.x - ox) / cell), 0, nk); j < nk; j++) {
        float x = ox + ((float)j + 0.5f) * cell;
        if (x - 0.5f * cell > plot.x + plot.w)
            break;
        bool em = emphasised(c, j, ATS_SIDE_KEY);
        if (j % g->step != 0 && !em)
            continue;
        int tok = c->ktok.shown[j];
        ats_text_style ts = tstyle(g->label_size, is_key_special(c, tok) ? COLOR_MUTED : COLOR_INK,
                                   g->vertical ? ATS_ALIGN_START : ATS_ALIGN_CENTER,
                                   g->vertical ? ATS_VALIGN_MIDDLE : ATS_VALIGN_BOTTOM);
        ts.max_width = g->vertical ? g->col_h - 10.0f * ui : cell * (float)g->step - 2.0f * ui;
        ts.angle = g->vertical ? -90.0f : 0.0f;
        ts.bold = em;
        if (em) {
            float tw =
                fminf(ats_font_measure(c->font, c->ktok.labels[tok], ts.size, true), ts.max_width);
            if (g->vertical)
                ats_view_rect(c, x - 0.5f * (a + d) - ui, plot.y - 8.0f * ui - tw, a + d + 2 * ui,
                              tw + 4.0f * ui, 2.0f * ui, COLOR_FOCUS);
            else
                ats_view_rect(c, x - 0.5f * tw - 2 * ui, plot.y - 6.0f * ui - a - d - ui,
                              tw + 4 * ui, a + d + 2 * ui, 2.0f * ui, COLOR_FOCUS);
        }
        ats_view_text(c, x, plot.y - 6.0f * ui, c->ktok.labels[tok], &ts);
    }
    ats_view_unclip(c);
    /* captions */
    ats_text_style cap = tstyle(UI_SMALL * ui, COLOR_MUTED, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE);
    cap.angle = -90.0f;
    ats_view_text(c, g->m + 0.5f * g->caption, plot.y + 0.5f * plot.h,
                  c->cross ? "query (decoder)" : "query", &cap);
    cap.angle = 0;
    ats_view_text(c, plot.x + 0.5f * plot.w, g->top + 0.5f * g->caption,
                  c->cross ? "key (encoder)" : "key", &cap);
}

/* The weight the hidden special tokens take from each visible row, in a column right of the
 * matrix (colours and values as the cells'), under the caption "hidden". */
static void draw_hidden_column(view_ctx *c, const geom *g, frect plot, float oy, float x, float w) {
    const ats_view_state *st = c->st;
    float ui = c->ui, cell = g->cell;
    int n = c->tok.n;
    ats_text_style cap = tstyle(UI_SMALL * ui, COLOR_MUTED, ATS_ALIGN_CENTER, ATS_VALIGN_BOTTOM);
    ats_view_text(c, x + 0.5f * w, plot.y - 6.0f * ui, "hidden", &cap);
    ats_view_clip(c, x, plot.y, w, plot.h);
    ats_text_style ts = tstyle(UI_SMALL * ui, COLOR_INK, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE);
    int q0 = clampi((int)floorf((plot.y - oy) / cell), 0, n);
    int q1 = clampi((int)ceilf((plot.y + plot.h - oy) / cell), 0, n);
    for (int i = q0; i < q1; i++) {
        int tq = c->tok.shown[i];
        float v = ats_view_hidden_weight(c, st->layer, st->head, tq);
        ats_rgba col = value_color(c, v * ats_view_row_mult(c, st->layer, st->head, tq));
        float y = oy + (float)i * cell;
        ats_view_rect(c, x, y, w, cell, 0, col);
        char text[24];
        if (cell_number(c, text, sizeof text, v, ts.size, w - 4.0f * ui) &&
            ts.size <= cell - 2.0f * ui) {
            float lum = 0.2126f * col.r + 0.7152f * col.g + 0.0722f * col.b;
            ts.color = lum > 140 ? COLOR_INK : COLOR_WHITE;
            ats_view_text(c, x + 0.5f * w, y + 0.5f * cell, text, &ts);
        }
    }
    ats_view_unclip(c);
    ats_view_outline(c, x - ui, plot.y - ui, w + 2 * ui, plot.h + 2 * ui, ui, COLOR_FAINT);
}

/* Under the matrix when part of it is out of view (zoomed in, presentation size): which rows
 * and columns show, how many more there are, and how to see them all. */
static void draw_more(view_ctx *c, frect plot, float pan_q, float pan_k, float cell) {
    int n = c->tok.n, nk = c->ktok.n;
    int q0 = (int)floorf(pan_q + 1e-3f),
        q1 = clampi((int)ceilf(pan_q + plot.h / cell - 1e-3f), 0, n);
    int k0 = (int)floorf(pan_k + 1e-3f),
        k1 = clampi((int)ceilf(pan_k + plot.w / cell - 1e-3f), 0, nk);
    bool rows = q1 - q0 < n, cols = k1 - k0 < nk;
    if (!rows && !cols)
        return;
    char line[256];
    int used = 0;
    if (rows)
        used += snprintf(line + used, sizeof line - (size_t)used,
                         "rows %d\xE2\x80\x93%d of %d (%d more) \xC2\xB7 ", q0 + 1, q1, n,
                         n - (q1 - q0));
    if (cols)
        used += snprintf(line + used, sizeof line - (size_t)used,
                         "columns %d\xE2\x80\x93%d of %d (%d more) \xC2\xB7 ", k0 + 1, k1, nk,
                         nk - (k1 - k0));
    snprintf(line + used, sizeof line - (size_t)used,
             "wheel or drag to move, Home or a double-click fits all");
    ats_text_style ts = tstyle(UI_SMALL * c->ui, COLOR_MUTED, ATS_ALIGN_START, ATS_VALIGN_TOP);
    ts.max_width = c->w - plot.x - UI_MARGIN * c->ui;
    ats_view_text(c, plot.x, plot.y + plot.h + 5.0f * c->ui, line, &ts);
}

void ats_heatmap_build(view_ctx *c) {
    const ats_view_state *st = c->st;
    char detail[200];
    heatmap_detail(c, detail, sizeof detail);
    float title_bottom = ats_view_title(c, detail);
    readout(c, title_bottom + 8.0f * c->ui);
    ats_view_color_range(c, st->layer, st->head);
    if (c->tok.n == 0 || c->ktok.n == 0) {
        ats_text_style ts =
            tstyle(UI_TEXT * c->ui, COLOR_MUTED, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE);
        ats_view_text(c, 0.5f * c->w, 0.5f * c->h, "every token is hidden", &ts);
        return;
    }
    float ui = c->ui;
    geom g;
    layout(c, c->w, c->h, &g);
    int n = c->tok.n, nk = c->ktok.n;
    float hid_w = g.hidden_col ? g.fit : 0,
          hid_gap = g.hidden_col ? fmaxf(0.5f * g.fit, 6 * ui) : 0;
    frect area = g.avail; /* the matrix's: the hidden column keeps its room */
    area.w = fmaxf(area.w - hid_w - hid_gap, g.cell);
    frect plot = {area.x, area.y, fminf((float)nk * g.cell, area.w),
                  fminf((float)n * g.cell, area.h)};
    /* pan clamped so the matrix fills the plot */
    float pan_q = clampf(st->pan_query, 0, fmaxf(0, (float)n - area.h / g.cell));
    float pan_k = clampf(st->pan_key, 0, fmaxf(0, (float)nk - area.w / g.cell));
    if (!isfinite(pan_q))
        pan_q = 0;
    if (!isfinite(pan_k))
        pan_k = 0;
    float ox = plot.x - pan_k * g.cell, oy = plot.y - pan_q * g.cell;
    draw_matrix(c, &g, plot, ox, oy);
    draw_labels(c, &g, plot, ox, oy);
    float right = plot.x + plot.w;
    if (g.hidden_col) {
        draw_hidden_column(c, &g, plot, oy, right + hid_gap, hid_w);
        right += hid_gap + hid_w;
    }
    draw_more(c, plot, pan_q, pan_k, g.cell);
    float bar_h = fmaxf(plot.h - (c->d->causal ? 30.0f * ui : 0.0f), 40.0f * ui);
    bar_h = fminf(bar_h, 360.0f * ui);
    ats_view_colorbar(c, right + 22.0f * ui, plot.y, bar_h, false);

    view_layout *l = c->lay;
    l->avail = area;
    l->plot = plot;
    l->row_labels = (frect){g.m + g.caption, plot.y, plot.x - g.m - g.caption, plot.h};
    l->col_labels = (frect){plot.x, plot.y - g.col_h, plot.w, g.col_h};
    l->fit_cell = g.fit;
    l->cell = g.cell;
    l->pan_q = pan_q;
    l->pan_k = pan_k;
    l->zoom = g.cell / g.fit;
}

ats_hit ats_heatmap_hit(const view_layout *l, float x, float y) {
    ats_hit hit = {
        .kind = ATS_HIT_NONE, .query = -1, .key = -1, .token = -1, .layer = -1, .head = -1};
    if (l->n_shown == 0 || l->n_kshown == 0 || !(l->cell > 0))
        return hit;
    int q = clampi((int)floorf(l->pan_q + (y - l->plot.y) / l->cell), 0, l->n_shown - 1);
    int k = clampi((int)floorf(l->pan_k + (x - l->plot.x) / l->cell), 0, l->n_kshown - 1);
    if (frect_has(l->plot, x, y)) {
        hit.kind = ATS_HIT_CELL;
        hit.query = l->shown[q];
        hit.key = l->kshown[k];
    } else if (frect_has(l->row_labels, x, y)) {
        hit.kind = ATS_HIT_TOKEN;
        hit.token = l->shown[q];
        hit.side = ATS_SIDE_QUERY;
    } else if (frect_has(l->col_labels, x, y)) {
        hit.kind = ATS_HIT_TOKEN;
        hit.token = l->kshown[k];
        hit.side = ATS_SIDE_KEY;
    }
    return hit;
}
