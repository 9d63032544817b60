/* The pipeline view's drawing (view_pipeline_internal.h): numbers in coloured cells, vectors,
 * the softmax's bars, the multi-head strips, step headers and the highlighted step, all placed
 * by the layout's geometry; then the layout record that hits read. */
#include "view_pipeline_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ats_rgba COLOR_WHATIF_BG = {255, 221, 120, 255};
static const ats_rgba COLOR_WHATIF_INK = {122, 64, 0, 255};
static const ats_rgba COLOR_STEP_TINT = {229, 240, 252, 255}; /* behind the highlighted step */
static const ats_rgba COLOR_STEP_EDGE = {66, 133, 200, 255};  /* its outline and number */
static const ats_rgba COLOR_DIM = {255, 255, 255, 190};       /* over the other steps */
static const ats_rgba COLOR_ROW_HOVER = {234, 238, 243, 255};

/* ---- numbers ------------------------------------------------------------------------------- */

/* A value as the view writes it: three significant digits (render.h's one number format);
 * compact in the vectors' narrow cells (".0456"). */
static void fmt_value(char *out, size_t n, float v, bool compact) {
    ats_format_number(out, n, (double)v, compact ? ATS_NUMBER_COMPACT : ATS_NUMBER_PLAIN);
}

static float norm2(const float *v, int n) {
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (double)v[i] * v[i];
    return (float)sqrt(s);
}

static float max_abs(const float *v, int n, float m) {
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            m = fmaxf(m, fabsf(v[i]));
    return m;
}
/* What step 4's column shows for key t: the scaled score, soft-capped where the model caps it
 * (Gemma 2: that is what the softmax reads). */
static float step4_value(const ats_pipeline_data *p, int t) {
    return p->capped ? p->capped[t] : p->scaled[t];
}

/* ---- drawing pieces ------------------------------------------------------------------------ */

static ats_rgba signed_color(const pctx *P, float v, float vmax) {
    float t = vmax > 0 && isfinite(v) ? 0.5f + 0.5f * v / vmax : 0.5f;
    return P->div[(int)lroundf(clampf(t, 0, 1) * 255.0f)];
}

static ats_rgba fade(ats_rgba col, float keep) {
    col.r = (uint8_t)lroundf(255.0f - (255.0f - (float)col.r) * keep);
    col.g = (uint8_t)lroundf(255.0f - (255.0f - (float)col.g) * keep);
    col.b = (uint8_t)lroundf(255.0f - (255.0f - (float)col.b) * keep);
    return col;
}

static ats_rgba ink_on(ats_rgba bg) {
    float l = 0.2126f * (float)bg.r + 0.7152f * (float)bg.g + 0.0722f * (float)bg.b;
    return l < 140.0f ? COLOR_WHITE : COLOR_INK;
}

/* One number in a coloured cell centred at (x + w/2, ymid). */
static void number_cell(pctx *P, float x, float ymid, float w, float v, float vmax, bool muted) {
    const pgeom *g = &P->g;
    ats_rgba bg = signed_color(P, v, vmax);
    if (muted)
        bg = fade(bg, 0.45f);
    ats_view_rect(P->c, x, ymid - 0.5f * g->cell_h, w, g->cell_h, 2.0f * g->u, bg);
    char s[24];
    fmt_value(s, sizeof s, v, false);
    ats_text_style ts = tstyle(g->value_size, muted ? COLOR_MUTED : ink_on(bg), ATS_ALIGN_CENTER,
                               ATS_VALIGN_MIDDLE);
    ts.max_width = w - 2.0f * g->u;
    ats_view_text(P->c, x + 0.5f * w, ymid, s, &ts);
}

/* A vector of d numbers as a row of cells from x: the first n (all when n == d), each cw wide,
 * with its values written when `values`; a cut vector ends in an ellipsis and its norm. */
static void vector_cells(pctx *P, float x, float ymid, const float *vec, int d, int n, float cw,
                         float vmax, bool values, bool muted, const char *name) {
    const pgeom *g = &P->g;
    float u = g->u, y = ymid - 0.5f * g->cell_h;
    for (int i = 0; i < n; i++) {
        ats_rgba bg = signed_color(P, vec[i], vmax);
        if (muted)
            bg = fade(bg, 0.45f);
        float cx = x + (float)i * cw;
        if (!values) { /* flat strip: cells touch */
            ats_view_rect(P->c, cx, y, cw, g->cell_h, 0, bg);
            continue;
        }
        ats_view_rect(P->c, cx + 0.5f * u, y, cw - 1.0f * u, g->cell_h, 1.5f * u, bg);
        char s[24];
        fmt_value(s, sizeof s, vec[i], true);
        ats_text_style ts = tstyle(g->value_size, muted ? COLOR_MUTED : ink_on(bg),
                                   ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE);
        ts.max_width = cw - 2.0f * u;
        ats_view_text(P->c, cx + 0.5f * cw, ymid, s, &ts);
    }
    if (n >= d)
        return;
    float tx = x + (float)n * cw + 6.0f * u;
    ats_text_style ts = tstyle(g->value_size, COLOR_MUTED, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
    char more[32];
    snprintf(more, sizeof more, g->narrow ? "+%d" : "\xE2\x80\xA6 %d more", d - n);
    ats_view_text(P->c, tx, ymid, more, &ts);
    if (g->narrow)
        return;
    tx += ats_pipe_measure(P, "\xE2\x80\xA6 000 more", g->value_size, false) + 8.0f * u;
    char s[48], num[24];
    fmt_value(num, sizeof num, norm2(vec, d), false);
    snprintf(s, sizeof s, "\xE2\x80\x96%s\xE2\x80\x96 %s", name, num);
    ts.color = muted ? COLOR_MUTED : COLOR_INK;
    ats_view_text(P->c, tx, ymid, s, &ts);
}

/* Diagonal hatching over a rectangle, as the heatmap marks masked cells. */
static void hatch(pctx *P, float x, float y, float w, float h) {
    float u = P->g.u;
    ats_view_rect(P->c, x, y, w, h, 0, COLOR_MASKED);
    ats_view_clip(P->c, x, y, w, h);
    for (float d = -h; d < w; d += 6.0f * u)
        ats_view_line(P->c, x + d, y, x + d + h, y + h, 1.0f * u, COLOR_HATCH);
    ats_view_unclip(P->c);
}

static void step_header(pctx *P, int step, float x, float y, float max_w) {
    const pgeom *g = &P->g;
    float u = g->u, r = 9.0f * u;
    const step_text *t = &P->steps[step];
    bool on = P->c->st->step == step;
    ats_view_circle(P->c, x + r, y + r, r, on ? COLOR_STEP_EDGE : COLOR_INK);
    char num[4];
    snprintf(num, sizeof num, "%d", step);
    ats_text_style ts = tstyle(UI_SMALL * u, COLOR_WHITE, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE);
    ts.bold = true;
    ats_view_text(P->c, x + r, y + r, num, &ts);
    ts = tstyle(g->head_size, COLOR_INK, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
    ts.bold = true;
    ts.max_width = max_w - 2 * r - 7.0f * u;
    ats_view_text(P->c, x + 2 * r + 7.0f * u, y + r, t->title, &ts);
    float ly = y + 2 * r + 2.0f * u, lh = ats_pipe_line_h(P, g->small_size);
    for (int i = 0; i < 2; i++) {
        if (!t->cap[i][0])
            continue;
        ats_text_style cs = tstyle(g->small_size, t->whatif[i] ? COLOR_WHATIF_INK : COLOR_MUTED,
                                   ATS_ALIGN_START, ATS_VALIGN_TOP);
        cs.bold = t->whatif[i];
        cs.max_width = max_w;
        ats_view_text(P->c, x, ly + (float)i * lh, t->cap[i], &cs);
    }
}

/* The x range a step covers in its band (steps 1-6), or its block (step 7). */
static frect step_rect(const pctx *P, int step) {
    const pgeom *g = &P->g;
    float pad = 8.0f * g->u;
    if (step == 7)
        return (frect){g->mh.x - pad, g->mh.y - pad, g->mh.w + 2 * pad, g->mh.h + 2 * pad};
    int c0 = -1, c1 = -1;
    for (int col = 0; col < COL_COUNT; col++)
        if (COL_STEP[col] == step) {
            c0 = c0 < 0 ? col : c0;
            c1 = col;
        }
    int b = g->band_of[c0];
    return (frect){g->x_col[c0] - pad, g->band_y[b] - pad,
                   g->x_col[c1] + g->w_col[c1] - g->x_col[c0] + 2 * pad, g->band_h[b] + 2 * pad};
}

/* Dims every step but `step` (the token labels stay), and outlines that one. */
static void dim_others(pctx *P, int step) {
    const pgeom *g = &P->g;
    float pad = 8.0f * g->u;
    frect hl = step_rect(P, step);
    for (int b = 0; b < g->n_bands; b++) {
        float x0 = 1e9f;
        for (int col = 0; col < COL_COUNT; col++)
            if (g->band_of[col] == b)
                x0 = fminf(x0, g->x_col[col] - pad);
        frect a = {x0, g->band_y[b] - pad, g->band_w[b] + pad - x0, g->band_h[b] + 2 * pad};
        bool here = false;
        for (int col = 0; col < COL_COUNT; col++)
            here = here || (COL_STEP[col] == step && g->band_of[col] == b);
        if (!here) {
            ats_view_rect(P->c, a.x, a.y, a.w, a.h, 0, COLOR_DIM);
            continue;
        }
        float left = hl.x - a.x, right = a.x + a.w - hl.x - hl.w;
        if (left > 0)
            ats_view_rect(P->c, a.x, a.y, left, a.h, 0, COLOR_DIM);
        if (right > 0)
            ats_view_rect(P->c, hl.x + hl.w, a.y, right, a.h, 0, COLOR_DIM);
    }
    if (step != 7) {
        frect r = step_rect(P, 7);
        ats_view_rect(P->c, r.x, r.y, r.w, r.h, 0, COLOR_DIM);
    }
    ats_view_outline(P->c, hl.x, hl.y, hl.w, hl.h, 2.0f * g->u, COLOR_STEP_EDGE);
}

/* ---- the parts ----------------------------------------------------------------------------- */

static void draw_titles(pctx *P) {
    const pgeom *g = &P->g;
    float u = g->u, m = UI_MARGIN * u;
    char detail[256];
    ats_pipe_title_detail(P, detail, sizeof detail);
    ats_view_title(P->c, detail);
    float x = m, ymid = g->sub_y + 0.5f * g->sub_h;
    if (P->badge[0]) {
        float bw = ats_pipe_measure(P, P->badge, g->head_size, true) + 20.0f * u;
        ats_view_rect(P->c, x, g->sub_y, bw, g->sub_h, 0.5f * g->sub_h, COLOR_WHATIF_BG);
        ats_text_style ts =
            tstyle(g->head_size, COLOR_WHATIF_INK, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
        ts.bold = true;
        ats_view_text(P->c, x + 10.0f * u, ymid, P->badge, &ts);
        x += bw + 14.0f * u;
    }
    char cap[256];
    ats_pipe_caption_line(P, cap, sizeof cap);
    if (cap[0]) {
        ats_text_style ts = tstyle(g->head_size, COLOR_INK, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
        ts.max_width = P->c->w - x - m;
        if (ts.max_width > g->head_size)
            ats_view_text(P->c, x, ymid, cap, &ts);
    }
}

static float row_mid(const pgeom *g, int band, int r) {
    return g->rows_y[band] + ((float)r + 0.5f) * g->row_h;
}

/* Behind the rows: the query's (and the hovered token's) row across each band. */
static void row_bands(pctx *P) {
    const pgeom *g = &P->g;
    int hover = P->c->st->hover_token;
    for (int b = 0; b < g->n_bands; b++)
        for (int r = 0; r < g->n_rows; r++) {
            int t = g->rows[r].token;
            if (t < 0 || (t != ats_pipe_query_row(P) && t != hover))
                continue;
            float y = g->rows_y[b] + (float)r * g->row_h;
            float x0 = UI_MARGIN * g->u - 6.0f * g->u;
            ats_view_rect(P->c, x0, y + 1.0f * g->u, g->band_w[b] - x0 + 6.0f * g->u,
                          g->row_h - 2.0f * g->u, 4.0f * g->u,
                          t == ats_pipe_query_row(P) ? COLOR_FOCUS : COLOR_ROW_HOVER);
        }
}

static void draw_labels(pctx *P, int band) {
    const pgeom *g = &P->g;
    view_ctx *c = P->c;
    float u = g->u, xr = UI_MARGIN * u + g->wl - 6.0f * u;
    ats_text_style cs = tstyle(g->small_size, COLOR_MUTED, ATS_ALIGN_END, ATS_VALIGN_BOTTOM);
    ats_view_text(c, xr, g->rows_y[band] - 3.0f * u, "token", &cs);
    for (int r = 0; r < g->n_rows; r++) {
        const prow *row = &g->rows[r];
        float y = row_mid(g, band, r);
        if (row->token < 0) {
            char s[64];
            ats_pipe_gap_label(row, s, sizeof s);
            ats_text_style ts =
                tstyle(g->small_size, COLOR_MUTED, ATS_ALIGN_END, ATS_VALIGN_MIDDLE);
            ts.max_width = g->wl - 6.0f * u;
            ats_view_text(c, xr, y, s, &ts);
            continue;
        }
        int t = row->token;
        bool q = t == ats_pipe_query_row(P);
        ats_text_style ts =
            tstyle(g->label_size, is_key_special(c, t) || P->p->masked[t] ? COLOR_MUTED : COLOR_INK,
                   ATS_ALIGN_END, ATS_VALIGN_MIDDLE);
        ts.bold = q;
        ts.max_width = g->wl - 6.0f * u;
        ats_view_text(c, xr, y, c->ktok.labels[t], &ts);
    }
}

/* Sum over the collapsed keys of a row: their weight and their share of the weighted sum. */
static double gap_sum(const pctx *P, const prow *row, float *wv, bool *all_masked) {
    const ats_pipeline_data *p = P->p;
    int dh = p->d_head;
    double w = 0;
    *all_masked = true;
    if (wv)
        memset(wv, 0, (size_t)dh * sizeof *wv);
    for (int j = row->first; j <= row->last; j++) {
        *all_masked = *all_masked && p->masked[j];
        w += (double)p->weights[j];
        for (int i = 0; wv && i < dh; i++)
            wv[i] += p->weights[j] * p->v[(size_t)j * dh + i];
    }
    return w;
}

static void ellipsis_at(pctx *P, float x, float ymid) {
    ats_text_style ts = tstyle(P->g.value_size, COLOR_MUTED, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
    ats_view_text(P->c, x, ymid, "\xE2\x8B\xAF", &ts);
}

/* Steps 1 and 2: the token vectors, q above the keys, and k and v of every row. */
static void draw_vectors(pctx *P) {
    const pgeom *g = &P->g;
    const ats_pipeline_data *p = P->p;
    float u = g->u;
    int dh = p->d_head, dm = p->d_model;
    /* q, above the keys */
    float qy = g->rows_y[0] - g->clab_h - 0.5f * g->qrow_h;
    char s[96], ql[64];
    ats_pipe_query_label(P, ql, sizeof ql);
    snprintf(s, sizeof s, "query '%s'", ql);
    /* its label right of the margin, over the label and token vector columns (no x in this row) */
    ats_text_style ts = tstyle(g->label_size, COLOR_INK, ATS_ALIGN_END, ATS_VALIGN_MIDDLE);
    ts.bold = true;
    ts.max_width = g->x_col[COL_K] - 10.0f * u - UI_MARGIN * u;
    ats_view_text(P->c, g->x_col[COL_K] - 10.0f * u, qy, s, &ts);
    vector_cells(P, g->x_col[COL_K], qy, p->q, dh, g->nk, g->cw, P->max_q, true, false, "q");
    float qw = (float)g->nk * g->cw;
    ats_view_outline(P->c, g->x_col[COL_K] - 1.5f * u, qy - 0.5f * g->cell_h - 1.5f * u,
                     qw + 3.0f * u, g->cell_h + 3.0f * u, 1.5f * u, ats_head_color(p->head));

    for (int r = 0; r < g->n_rows; r++) {
        const prow *row = &g->rows[r];
        float y = row_mid(g, 0, r);
        if (row->token < 0) {
            for (int col = COL_X; col <= COL_V; col++)
                ellipsis_at(P, g->x_col[col] + 4.0f * u, y);
            continue;
        }
        int t = row->token;
        bool muted = p->masked[t];
        vector_cells(P, g->x_col[COL_X], y, p->input + (size_t)t * dm, dm, g->nx, g->cx, P->max_x,
                     false, muted, "x");
        vector_cells(P, g->x_col[COL_K], y, p->k + (size_t)t * dh, dh, g->nk, g->cw, P->max_k, true,
                     muted, "k");
        vector_cells(P, g->x_col[COL_V], y, p->v + (size_t)t * dh, dh, g->nk, g->cw, P->max_v, true,
                     muted, "v");
    }
}

/* Steps 3 to 6: scores, scaled scores, the softmax's bars, and the weighted sum. */
static void draw_computation(pctx *P) {
    const pgeom *g = &P->g;
    const ats_pipeline_data *p = P->p;
    float u = g->u;
    int dh = p->d_head, b = g->band_of[COL_SCORE];
    float bar_max = g->bar_w;
    float *wv = (float *)ats_view_scratch(P->c, (size_t)dh * sizeof(float));
    if (!wv)
        return;
    double total = 0;
    for (int j = 0; j < P->c->ktok.n_all; j++)
        total += (double)p->weights[j];
    ats_rgba bar = ats_head_color(p->head);
    for (int r = 0; r < g->n_rows; r++) {
        const prow *row = &g->rows[r];
        float y = row_mid(g, b, r), cy = y - 0.5f * g->cell_h;
        float xw = g->x_col[COL_WEIGHT], xs = g->x_col[COL_WV];
        ats_text_style ns = tstyle(g->value_size, COLOR_INK, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
        ats_text_style plus =
            tstyle(g->head_size, COLOR_MUTED, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE);
        if (r > 0)
            ats_view_text(P->c, xs + 6.0f * u, y, "+", &plus);
        char s[32];
        if (row->token < 0) { /* collapsed keys: their totals */
            bool all_masked;
            double w = gap_sum(P, row, wv, &all_masked);
            ellipsis_at(P, g->x_col[COL_SCORE] + 4.0f * u, y);
            ellipsis_at(P, g->x_col[COL_SCALED] + 4.0f * u, y);
            if (all_masked) {
                hatch(P, xw, cy, bar_max, g->cell_h);
                ns.color = COLOR_MUTED;
                ats_view_text(P->c, xw + bar_max + 8.0f * u, y, "masked", &ns);
                continue;
            }
            ats_view_rect(P->c, xw, cy, fmaxf((float)w * bar_max, 1.0f * u), g->cell_h, 0,
                          fade(COLOR_MUTED, 0.6f));
            char v[24];
            fmt_value(v, sizeof v, (float)w, false);
            snprintf(s, sizeof s, "\xCE\xA3 %s", v);
            ns.color = COLOR_MUTED;
            ats_view_text(P->c, xw + bar_max + 8.0f * u, y, s, &ns);
            vector_cells(P, xs + 16.0f * u, y, wv, dh, g->nk, g->cw, P->max_v, true, true, "wv");
            continue;
        }
        int t = row->token;
        bool masked = p->masked[t];
        number_cell(P, g->x_col[COL_SCORE], y, g->num_w, p->scores[t], P->max_score, masked);
        number_cell(P, g->x_col[COL_SCALED], y, g->num_w, step4_value(p, t), P->max_scaled, masked);
        if (masked) {
            hatch(P, xw, cy, bar_max, g->cell_h);
            ns.color = COLOR_MUTED;
            ats_view_text(P->c, xw + bar_max + 8.0f * u, y, "masked", &ns);
            hatch(P, xs + 16.0f * u, cy, (float)g->nk * g->cw, g->cell_h);
            continue;
        }
        float w = p->weights[t];
        ats_view_rect(P->c, xw, cy, bar_max, g->cell_h, 0, (ats_rgba){243, 244, 246, 255});
        if (w > 0)
            ats_view_rect(P->c, xw, cy, fmaxf(w * bar_max, 1.0f * u), g->cell_h, 0, bar);
        fmt_value(s, sizeof s, w, false);
        ats_view_text(P->c, xw + bar_max + 8.0f * u, y, s, &ns);
        for (int i = 0; i < dh; i++)
            wv[i] = w * p->v[(size_t)t * dh + i];
        vector_cells(P, xs + 16.0f * u, y, wv, dh, g->nk, g->cw, P->max_v, true, false, "wv");
    }
    /* the footers: the weights' sum, and the output as the sum of the rows above */
    float fy = g->rows_y[b] + (float)g->n_rows * g->row_h + 8.0f * u + 0.5f * g->row_h;
    float xw = g->x_col[COL_WEIGHT], xs = g->x_col[COL_WV] + 16.0f * u;
    ats_view_line(P->c, xw, fy - 0.5f * g->row_h - 4.0f * u, xw + bar_max,
                  fy - 0.5f * g->row_h - 4.0f * u, 1.0f * u, COLOR_MUTED);
    char s[48];
    char sum[24];
    fmt_value(sum, sizeof sum, (float)total, false);
    snprintf(s, sizeof s, "\xCE\xA3 = %s", sum);
    ats_text_style ts = tstyle(g->value_size, COLOR_INK, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
    ts.bold = true;
    ats_view_text(P->c, xw, fy, s, &ts);
    float ow = (float)g->nk * g->cw;
    ats_view_line(P->c, xs, fy - 0.5f * g->row_h - 4.0f * u, xs + ow,
                  fy - 0.5f * g->row_h - 4.0f * u, 1.0f * u, COLOR_MUTED);
    ats_text_style eq = tstyle(g->head_size, COLOR_INK, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE);
    eq.bold = true;
    ats_view_text(P->c, g->x_col[COL_WV] + 6.0f * u, fy, "=", &eq);
    vector_cells(P, xs, fy, p->output, dh, g->nk, g->cw, P->max_v, true, false, "out");
    ats_view_outline(P->c, xs - 1.5f * u, fy - 0.5f * g->cell_h - 1.5f * u, ow + 3.0f * u,
                     g->cell_h + 3.0f * u, 1.5f * u, ats_head_color(p->head));
}

/* A strip of n signed values as an image (cells narrower than a pixel stay exact). */
static void strip(pctx *P, float x, float y, float w, float h, const float *vec, int n,
                  float vmax) {
    uint8_t *img = ats_view_scratch(P->c, (size_t)n * 4);
    if (!img)
        return;
    for (int i = 0; i < n; i++) {
        ats_rgba col = signed_color(P, vec[i], vmax);
        memcpy(img + 4 * i, &col, 4);
    }
    ats_view_image(P->c, x, y, w, h, img, n, 1);
}

/* Step 7: every head's output for the query token, concatenated, and projected by W_O; each
 * strip under its caption. */
static void draw_multihead(pctx *P) {
    const pgeom *g = &P->g;
    const ats_pipeline_data *p = P->p;
    float u = g->u, x = g->mh.x, y = g->mh.y, lh = ats_pipe_line_h(P, g->small_size);
    int H = p->n_head, dh = p->d_head;
    step_header(P, 7, x, y, g->mh.w);
    float ch = g->cell_h;
    ats_text_style ls = tstyle(g->small_size, COLOR_MUTED, ATS_ALIGN_START, ATS_VALIGN_TOP);
    /* each head: its name above its block */
    float by = y + g->head_h + lh;
    float pitch = g->mh_block_w + g->mh_gap;
    ats_text_style hs = tstyle(g->small_size, COLOR_MUTED, ATS_ALIGN_CENTER, ATS_VALIGN_BOTTOM);
    int label_every =
        (int)ceilf(ats_pipe_measure(P, "H00", g->small_size, false) / fmaxf(pitch, 1e-3f));
    for (int h = 0; h < H; h++) {
        float bx = x + (float)h * pitch;
        strip(P, bx, by, g->mh_block_w, ch, p->concat + (size_t)h * dh, dh, P->max_concat);
        char s[16];
        snprintf(s, sizeof s, "H%d", h);
        hs.bold = h == p->head;
        hs.color = h == p->head ? COLOR_INK : COLOR_MUTED;
        if (h == p->head || h % label_every == 0)
            ats_view_text(P->c, bx + 0.5f * g->mh_block_w, by - 2.0f * u, s, &hs);
    }
    ats_view_outline(P->c, x + (float)p->head * pitch - 2.0f * u, by - 2.0f * u,
                     g->mh_block_w + 4.0f * u, ch + 4.0f * u, 1.5f * u, ats_head_color(p->head));
    /* concatenated: the same blocks closed up */
    float cy = by + ch + 8.0f * u;
    ats_view_text(P->c, x, cy, "concatenated", &ls);
    cy += lh + 2.0f * u;
    strip(P, x, cy, (float)H * g->mh_block_w, ch, p->concat, H * dh, P->max_concat);
    ats_view_outline(P->c, x + (float)p->head * g->mh_block_w - 1.5f * u, cy - 1.5f * u,
                     g->mh_block_w + 3.0f * u, ch + 3.0f * u, 1.5f * u, ats_head_color(p->head));
    /* projected: the attention output, d_model wide */
    float py = cy + ch + 8.0f * u;
    ats_view_text(P->c, x, py, "\xC3\x97 W_O", &ls);
    py += lh + 2.0f * u;
    strip(P, x, py, g->mh_proj_w, ch, p->projected, p->d_model, P->max_proj);
    char s[64];
    float ny = py + ch + 3.0f * u;
    ny += ats_pipe_wrapped(P, x, ny, ats_pipe_multi_note(P, s, sizeof s), g->small_size,
                           COLOR_MUTED, g->mh.w);
    if (P->badge[0])
        ats_pipe_wrapped(P, x, ny + 4.0f * u, MULTI_WHATIF_NOTE, g->small_size, COLOR_WHATIF_INK,
                         g->mh.w);
    view_layout *l = P->c->lay;
    l->blocks = (frect){x, by, (float)H * pitch - g->mh_gap, ch};
    l->block_pitch = pitch;
    l->n_head = H;
}

static void draw_band_headers(pctx *P) {
    const pgeom *g = &P->g;
    for (int col = 0; col < COL_COUNT; col++) {
        int b = g->band_of[col];
        if (col == 0 || COL_STEP[col] != COL_STEP[col - 1]) {
            frect r = step_rect(P, COL_STEP[col]);
            step_header(P, COL_STEP[col], g->x_col[col], g->band_y[b], r.w - 16.0f * g->u);
        }
        char s[32];
        ats_pipe_col_label(P, col, s, sizeof s);
        ats_text_style cs = tstyle(g->small_size, COLOR_MUTED, ATS_ALIGN_START, ATS_VALIGN_BOTTOM);
        float x = g->x_col[col] + (col == COL_WV ? 16.0f * g->u : 0);
        ats_view_text(P->c, x, g->rows_y[b] - 3.0f * g->u, s, &cs);
    }
}

/* The scales of each group of numbers, over what is shown. */
static void scales(pctx *P) {
    const ats_pipeline_data *p = P->p;
    const pgeom *g = &P->g;
    int dh = p->d_head, dm = p->d_model;
    P->max_q = max_abs(p->q, dh, 0);
    P->max_x = P->max_k = P->max_v = P->max_score = P->max_scaled = 0;
    for (int r = 0; r < g->n_rows; r++) {
        int t = g->rows[r].token;
        if (t < 0)
            continue;
        P->max_x = max_abs(p->input + (size_t)t * dm, dm, P->max_x);
        P->max_k = max_abs(p->k + (size_t)t * dh, dh, P->max_k);
        P->max_v = max_abs(p->v + (size_t)t * dh, dh, P->max_v);
        P->max_score = max_abs(p->scores + t, 1, P->max_score);
        P->max_scaled = max_abs((float[1]){step4_value(p, t)}, 1, P->max_scaled);
    }
    P->max_v = max_abs(p->output, dh, P->max_v);
    P->max_concat = max_abs(p->concat, p->n_head * dh, 0);
    P->max_proj = max_abs(p->projected, dm, 0);
}

void ats_pipeline_build(view_ctx *c) {
    pctx *P = malloc(sizeof *P);
    if (!P) {
        c->status = ATS_ERR_NOMEM;
        return;
    }
    ats_pipe_init(P, c);
    ats_pipe_fit(P, c->w, c->h);
    c->ui = P->g.u; /* the helpers (title, labels) draw at the fitted size */
    const pgeom *g = &P->g;
    int step = c->st->step;
    bool highlight = step >= 1 && step <= ATS_PIPELINE_STEPS;
    scales(P);
    draw_titles(P);
    if (highlight) {
        frect r = step_rect(P, step);
        ats_view_rect(c, r.x, r.y, r.w, r.h, 8.0f * g->u, COLOR_STEP_TINT);
    }
    row_bands(P);
    for (int b = 0; b < g->n_bands; b++)
        draw_labels(P, b);
    draw_band_headers(P);
    draw_vectors(P);
    draw_computation(P);
    draw_multihead(P);
    if (highlight)
        dim_others(P, step);

    view_layout *l = c->lay;
    l->n_rows = g->n_rows;
    for (int r = 0; r < g->n_rows; r++)
        l->row_token[r] = g->rows[r].token;
    l->n_bands = g->n_bands;
    for (int b = 0; b < g->n_bands; b++) {
        float x0 = UI_MARGIN * g->u - 6.0f * g->u;
        l->band_rows[b] =
            (frect){x0, g->rows_y[b], g->band_w[b] - x0 + 6.0f * g->u, (float)g->n_rows * g->row_h};
    }
    l->row_pitch = g->row_h;
    float qy = g->rows_y[0] - g->clab_h - g->qrow_h;
    l->query_row =
        (frect){UI_MARGIN * g->u - 6.0f * g->u, qy,
                g->x_col[COL_K] + g->w_col[COL_K] - UI_MARGIN * g->u + 6.0f * g->u, g->qrow_h};
    l->query_token = P->p->token;
    free(P);
}
