/* The aggregate view: heads taken together as one heatmap, and the attention each token
 * receives.
 *
 *   model  layer 3 · mean over 12 heads                     title
 *   [ the heatmap of ats_view_data.aggregate (T, T) ]       drawn by the heatmap builder
 *   attention received (each column's sum)      max 2.41
 *   ▂ ▅ █ ▁ ▃ ...                                           a bar under each key column
 *   [The] [animal] [didn't] ...                             the text, coloured by it
 *
 * The matrix (mean or max over the layer's heads, the mean over every layer, or the rollout
 * through the layer) and its column sums come computed in the data; this file only draws. */
#include "view_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The title detail of the matrix shown. */
static void aggregate_detail(const view_ctx *c, char *out, size_t size) {
    const ats_view_data *d = c->d;
    int layer = c->st->layer, H = d->n_head, L = d->n_layer;
    switch (c->st->aggregate) {
    case ATS_AGGREGATE_MAX:
        snprintf(out, size, "layer %d \xC2\xB7 max over %d heads", layer, H);
        break;
    case ATS_AGGREGATE_ALL:
        snprintf(out, size, "mean over %d layers \xC3\x97 %d heads", L, H);
        break;
    case ATS_AGGREGATE_ROLLOUT:
        snprintf(out, size, "attention rollout through layer %d", layer);
        break;
    default:
        snprintf(out, size, "layer %d \xC2\xB7 mean over %d heads", layer, H);
        break;
    }
}

/* The height of the band under the matrix: the bars and up to three lines of text. */
static float band_height(const view_ctx *c, float h) {
    float ui = c->ui;
    return clampf(0.34f * h, 120.0f * ui, 230.0f * ui);
}

/* The heatmap of the aggregate matrix in the top `h` pixels: a copy of the context whose data
 * is one layer of one head, the aggregate. */
static void draw_matrix_part(view_ctx *c, float h, const char *detail) {
    ats_view_data sub = *c->d;
    sub.n_layer = 1;
    sub.n_head = 1;
    sub.attention = c->d->aggregate;
    sub.ablated = NULL;
    sub.measure = NULL;
    sub.head_values = NULL;
    sub.head_faded = NULL;
    ats_view_state st = *c->st;
    st.layer = st.head = 0;
    st.zoom = 1.0f;
    st.pan_query = st.pan_key = 0;
    sub.detail = detail;
    view_ctx hc = *c;
    hc.d = &sub;
    hc.st = &st;
    hc.h = h;
    hc.renorm = NULL; /* the sub-view's own, of its one head */
    ats_heatmap_build(&hc);
    ats_view_weights_free(&hc);
    c->status = hc.status;
    c->vmin = hc.vmin;
    c->vmax = hc.vmax;
    c->per_row = hc.per_row;
}

static float received_max(const view_ctx *c) {
    float mx = 0;
    for (int i = 0; i < c->ktok.n; i++)
        mx = fmaxf(mx, c->d->received[c->ktok.shown[i]]);
    return mx > 0 && isfinite(mx) ? mx : 1.0f;
}

/* A bar under each key column of the matrix, as tall as the attention the key receives. */
static void draw_bars(view_ctx *c, frect band, float mx) {
    const view_layout *l = c->lay;
    float ui = c->ui;
    char caption[96];
    snprintf(caption, sizeof caption, "attention received (each column's sum) \xC2\xB7 max %.3g",
             (double)mx);
    ats_text_style cap = tstyle(UI_SMALL * ui, COLOR_MUTED, ATS_ALIGN_START, ATS_VALIGN_TOP);
    ats_view_text(c, UI_MARGIN * ui, band.y, caption, &cap);
    float top = band.y + 2.0f * UI_SMALL * ui, bottom = band.y + band.h;
    ats_view_line(c, l->plot.x, bottom, l->plot.x + l->plot.w, bottom, ui, COLOR_FAINT);
    int focus = c->st->hover_token >= 0 ? c->st->hover_token : c->st->locked_token;
    for (int j = 0; j < c->ktok.n; j++) {
        float x = l->plot.x + ((float)j - l->pan_k) * l->cell;
        if (x + l->cell < l->plot.x || x > l->plot.x + l->plot.w)
            continue;
        int tok = c->ktok.shown[j];
        float v = c->d->received[tok], bh = (bottom - top) * clampf(v / mx, 0, 1);
        float gap = l->cell > 6.0f * ui ? 0.15f * l->cell : 0;
        ats_rgba col = ats_colormap_sample(c->st->colormap, 0.25f + 0.75f * clampf(v / mx, 0, 1));
        if (tok == focus)
            col = COLOR_INK;
        ats_view_rect(c, x + gap, bottom - bh, l->cell - 2 * gap, bh, 0, col);
    }
    c->lay->bars = (frect){l->plot.x, top, l->plot.w, bottom - top};
}

/* The text's tokens in reading order, each on the colour of the attention it receives. */
static void draw_text(view_ctx *c, frect band, float mx) {
    float ui = c->ui, size = UI_TEXT * ui, a, d, pad = 4.0f * ui, gap = 3.0f * ui;
    ats_font_metrics(c->font, size, &a, &d);
    float row = a + d + 2 * pad + gap, x = band.x, y = band.y;
    int n = c->tok.n;
    view_layout *l = c->lay;
    l->chips = malloc((size_t)(n > 0 ? n : 1) * sizeof *l->chips);
    l->chip_token = malloc((size_t)(n > 0 ? n : 1) * sizeof *l->chip_token);
    if (!l->chips || !l->chip_token) {
        c->status = ATS_ERR_NOMEM;
        return;
    }
    int focus = c->st->hover_token >= 0 ? c->st->hover_token : c->st->locked_token;
    for (int i = 0; i < n; i++) {
        int tok = c->tok.shown[i];
        const char *label = c->tok.labels[tok];
        float w = fminf(ats_font_measure(c->font, label, size, false), band.w - 2 * pad) + 2 * pad;
        if (x + w > band.x + band.w && x > band.x) {
            x = band.x;
            y += row;
        }
        if (y + row - gap > band.y + band.h)
            break;
        float t = clampf(c->d->received[tok] / mx, 0, 1);
        ats_rgba bg = ats_colormap_sample(c->st->colormap, t);
        float lum = 0.2126f * bg.r + 0.7152f * bg.g + 0.0722f * bg.b;
        ats_view_rect(c, x, y, w, row - gap, 3.0f * ui, bg);
        if (tok == focus)
            ats_view_outline(c, x, y, w, row - gap, 2.0f * ui, COLOR_INK);
        ats_text_style ts =
            tstyle(size, lum > 140 ? COLOR_INK : COLOR_WHITE, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
        ts.max_width = w - 2 * pad;
        ats_view_text(c, x + pad, y + 0.5f * (row - gap), label, &ts);
        l->chips[l->n_chips] = (frect){x, y, w, row - gap};
        l->chip_token[l->n_chips++] = tok;
        x += w + gap;
    }
}

void ats_aggregate_build(view_ctx *c) {
    char detail[128];
    aggregate_detail(c, detail, sizeof detail);
    float band = band_height(c, c->h), ui = c->ui;
    draw_matrix_part(c, c->h - band, detail);
    c->lay->kind = ATS_VIEW_AGGREGATE;
    if (c->status != ATS_OK || c->ktok.n == 0 || !c->d->received)
        return;
    float mx = received_max(c), top = c->h - band + 6.0f * ui, m = UI_MARGIN * ui;
    float bars_h = 0.42f * band;
    draw_bars(c, (frect){m, top, c->w - 2 * m, bars_h}, mx);
    draw_text(c, (frect){m, top + bars_h + 10.0f * ui, c->w - 2 * m, band - bars_h - 16.0f * ui},
              mx);
}

void ats_aggregate_natural_size(view_ctx *c, float *w, float *h) {
    ats_view_data sub = *c->d;
    sub.n_layer = sub.n_head = 1;
    sub.attention = c->d->aggregate;
    ats_view_state st = *c->st;
    st.layer = st.head = 0;
    char detail[128];
    aggregate_detail(c, detail, sizeof detail);
    sub.detail = detail;
    view_ctx hc = *c;
    hc.d = &sub;
    hc.st = &st;
    ats_heatmap_natural_size(&hc, w, h);
    *h += band_height(c, *h / 0.66f);
}

ats_hit ats_aggregate_hit(const view_layout *l, float x, float y) {
    ats_hit hit = ats_heatmap_hit(l, x, y);
    if (hit.kind != ATS_HIT_NONE)
        return hit;
    if (frect_has(l->bars, x, y) && l->cell > 0 && l->n_kshown > 0) {
        int k = clampi((int)floorf(l->pan_k + (x - l->plot.x) / l->cell), 0, l->n_kshown - 1);
        if (x < l->plot.x + l->plot.w)
            return (ats_hit){.kind = ATS_HIT_TOKEN,
                             .query = -1,
                             .key = -1,
                             .token = l->kshown[k],
                             .side = ATS_SIDE_KEY,
                             .layer = -1,
                             .head = -1};
    }
    for (int i = 0; i < l->n_chips; i++)
        if (frect_has(l->chips[i], x, y))
            return (ats_hit){.kind = ATS_HIT_TOKEN,
                             .query = -1,
                             .key = -1,
                             .token = l->chip_token[i],
                             .side = ATS_SIDE_KEY,
                             .layer = -1,
                             .head = -1};
    return hit;
}
