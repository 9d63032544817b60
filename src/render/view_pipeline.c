/* The pipeline (teaching) view: one head's attention formula for one query token, step by step,
 * with the model's own numbers, or those of a what-if switch (scaling off, the causal mask
 * toggled, a softmax temperature), which a badge then announces.
 *
 *   model  layer 1 · head 2 · query 'it' (token 7)                          title
 *   [what-if: scaling off]  L1 H2 — caption of the head                     badge, caption
 *   (1) Token vectors  (2) Queries, keys, values        (3) Scores (4) Scaled
 *   query 'it'                [q .............]                             q above the keys
 *   token      x              k                 v        q · k     ÷ 4      column labels
 *   The      ▮▮▮▮▮▮▮▮▮▮      [k_0 ..........]  [v_0 ..]  -0.05     -0.01     one row per key
 *   ...
 *   (5) Softmax             (6) Weighted sum            (7) Multi-head
 *   The      ████ 0.359      [w_0 v_0 .......]          H0 H1 H2 H3         each head's output,
 *   ...                    + [w_1 v_1 .......]          [concatenated]      concatenated and
 *            Σ = 1.000     = [output ........]          [× W_O]             projected
 *
 * Rows are keys in text order and line up across the steps of a band; the query's row is
 * highlighted. The steps sit left to right in one band, or in two: the vectors (steps 1-2), then
 * the computation for the query (3-6) with the multi-head step beside it; whichever shows the
 * view larger in the area given (for exports: in a 1920 x 1080 screen, so that a figure fills a
 * projector: two bands for the demo's d_head 16, one for long texts at d_head 8). Signed numbers
 * are cells on the diverging map with their values written (every value when d_head <= 16; else the
 * first 8, an ellipsis and the norm); the token vectors (d_model wide) are drawn as unlabelled
 * cells.
 *
 * Long texts: the table has at most 24 rows (fewer when the view's height, rather than its
 * width, would shrink the text below 80%; otherwise everything is scaled to fit, up to 1.6x). When
 * the text has more tokens, the rows are the query and the keys with the largest weights, in text
 * order, and the keys between them collapse into "⋯ n keys" rows that carry their total weight and
 * their summed share of the weighted sum, so that the weights still add up to 1 and the rows of
 * step 6 to the output. Pan and zoom do not apply to this view.
 *
 * st->step 1..7 tints that step and dims the others, for stepping through it in a lecture.
 * Hits: a key row (label or cells) is that token on the key side; the q row is the query token;
 * a head's block in step 7 is that head (ATS_HIT_HEAD_KEY).
 */
#include "view_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS_MIN          6      /* a small view drops rows down to this before shrinking text */
#define VEC_ALL           16     /* vectors up to this long have every value written */
#define VEC_FIRST         8      /* longer ones: the first dimensions, an ellipsis and the norm */
#define INPUT_ALL         96     /* token vectors up to this long are drawn whole */
#define INPUT_FIRST       64     /* longer ones: the first dimensions, an ellipsis and the norm */
#define MULTI_CONTENT     440.0f /* step 7's strips are at most about this wide */
#define MULTI_WHATIF_NOTE "the model's own outputs: the what-if changes steps 4-6 only"
#define BESIDE_MAX        1800.0f /* step 7 beside the second band up to this width, else below */

static const ats_rgba COLOR_WHATIF_BG = {255, 221, 120, 255};
static const ats_rgba COLOR_WHATIF_INK = {122, 64, 0, 255};
static const ats_rgba COLOR_STEP_TINT = {229, 240, 252, 255}; /* behind the highlighted step */
static const ats_rgba COLOR_STEP_EDGE = {66, 133, 200, 255};  /* its outline and number */
static const ats_rgba COLOR_DIM = {255, 255, 255, 190};       /* over the other steps */
static const ats_rgba COLOR_ROW_HOVER = {234, 238, 243, 255};

/* The table's columns; steps 1-6 each own one or two of them, step 7 is a block of its own. */
enum col { COL_X, COL_K, COL_V, COL_SCORE, COL_SCALED, COL_WEIGHT, COL_WV, COL_COUNT };
static const int COL_STEP[COL_COUNT] = {1, 2, 2, 3, 4, 5, 6};

typedef struct prow {
    int token;       /* the key, or -1 for a row of collapsed keys */
    int first, last; /* the collapsed keys: [first, last] */
} prow;

/* Everything's place at one unit size u (pixels per unit: ui scale times the fit). */
typedef struct pgeom {
    float u;
    int n_rows;
    prow rows[PIPE_ROWS_MAX];
    float label_size, value_size, small_size, head_size; /* text */
    float row_h, cell_h;
    int nx, nk;    /* dimensions drawn of the token vectors and of q, k, v */
    float cx, cw;  /* cell width of the token vectors and of q, k, v */
    float num_w;   /* a score's cell */
    float trunc_w; /* room after a cut vector for the ellipsis and the norm */
    float wl;      /* token label column */
    float x_col[COL_COUNT], w_col[COL_COUNT];
    int band_of[COL_COUNT];
    int n_bands;
    float band_y[2], band_w[2], band_h[2], rows_y[2];
    float head_h, qrow_h, clab_h, foot_h;
    float title_bottom, sub_y, sub_h;
    frect mh; /* step 7 */
    float mh_lab_w, mh_block_w, mh_gap, mh_cell, mh_proj_w;
    float width, height;
} pgeom;

typedef struct step_text {
    char title[48];
    char cap[2][112];
    bool whatif[2]; /* caption line marks a what-if */
} step_text;

/* The build: context, data, geometry, colours and the scales of each group of numbers. */
typedef struct pctx {
    view_ctx *c;
    const ats_pipeline_data *p;
    pgeom g;
    ats_rgba div[256]; /* the diverging map for signed values */
    step_text steps[ATS_PIPELINE_STEPS + 1];
    char badge[160]; /* "what-if: ..." or empty */
    float max_x, max_q, max_k, max_v, max_score, max_scaled, max_concat, max_proj;
} pctx;

/* ---- numbers ------------------------------------------------------------------------------- */

/* At most five characters for the usual ranges: 0.52, -0.05, 38.4, -320. */
static void fmt_value(char *out, size_t n, float v) {
    float a = fabsf(v);
    if (isnan(v))
        snprintf(out, n, "nan");
    else if (isinf(v))
        snprintf(out, n, v > 0 ? "inf" : "-inf");
    else if (a < 0.005f)
        snprintf(out, n, "0.00");
    else if (a < 9.995f)
        snprintf(out, n, "%.2f", (double)v);
    else if (a < 99.95f)
        snprintf(out, n, "%.1f", (double)v);
    else if (a < 99999.5f)
        snprintf(out, n, "%.0f", (double)v);
    else
        snprintf(out, n, "%.1e", (double)v);
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

/* ---- which keys get a row ------------------------------------------------------------------ */

typedef struct ranked {
    float w;
    int j;
} ranked;

static int by_weight(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->w != y->w)
        return x->w > y->w ? -1 : 1;
    return x->j - y->j;
}

/* Rows for at most max_rows: every key when they fit, else the query and the heaviest keys with
 * the rest collapsed. A row count is kept / (collapsed runs) exact as keys are added: a key
 * with kept neighbours on both sides closes a run (+0), one on one side extends a kept run (+1),
 * none splits a run in two (+2). Hidden special tokens are never given a row of their own. */
static int select_rows(view_ctx *c, const ats_pipeline_data *p, int max_rows, prow *rows) {
    int T = c->d->n_tokens, q = p->token;
    bool *keep = calloc((size_t)T, sizeof *keep);
    ranked *order = malloc((size_t)T * sizeof *order);
    int n = 0;
    if (!keep || !order) {
        free(keep);
        free(order);
        if (c->status == ATS_OK)
            c->status = ATS_ERR_NOMEM;
        rows[0] = (prow){.token = q, .first = q, .last = q};
        return 1;
    }
    for (int j = 0; j < T; j++)
        if (j != q && c->tok.pos[j] >= 0)
            order[n++] = (ranked){isfinite(p->weights[j]) ? p->weights[j] : 0.0f, j};
    qsort(order, (size_t)n, sizeof *order, by_weight);
    int count = 1; /* one collapsed run holding every key */
    for (int i = -1; i < n; i++) {
        int j = i < 0 ? q : order[i].j;
        bool left = j > 0 && !keep[j - 1], right = j < T - 1 && !keep[j + 1];
        int grow = left && right ? 2 : left || right ? 1 : 0;
        if (count + grow > max_rows)
            continue;
        keep[j] = true;
        count += grow;
    }
    int r = 0;
    for (int j = 0; j < T && r < max_rows; j++) {
        if (keep[j]) {
            rows[r++] = (prow){.token = j, .first = j, .last = j};
            continue;
        }
        int first = j;
        while (j + 1 < T && !keep[j + 1])
            j++;
        rows[r++] = (prow){.token = -1, .first = first, .last = j};
    }
    free(keep);
    free(order);
    return r;
}

/* ---- texts --------------------------------------------------------------------------------- */

/* What step 4's column shows for key t: the scaled score, soft-capped where the model caps it
 * (Gemma 2: that is what the softmax reads). */
static float step4_value(const ats_pipeline_data *p, int t) {
    return p->capped ? p->capped[t] : p->scaled[t];
}

static bool causal_whatif(const pctx *P) {
    return P->p->causal != P->c->d->causal;
}

static void make_texts(pctx *P) {
    const ats_pipeline_data *p = P->p;
    step_text *t = P->steps;
    memset(t, 0, sizeof P->steps);
    snprintf(t[1].title, sizeof t[1].title, "Token vectors");
    snprintf(t[1].cap[0], sizeof t[1].cap[0], "x entering layer %d", p->layer);
    if (p->pre_norm)
        snprintf(t[1].cap[1], sizeof t[1].cap[1], "normalised before q, k, v");
    else
        snprintf(t[1].cap[1], sizeof t[1].cap[1], "%d numbers each", p->d_model);

    snprintf(t[2].title, sizeof t[2].title, "Queries, keys, values");
    snprintf(t[2].cap[0], sizeof t[2].cap[0], "q of the query token (top row)");
    if (p->kv_head != p->head)
        snprintf(t[2].cap[1], sizeof t[2].cap[1], "k, v of every token (KV head %d)", p->kv_head);
    else
        snprintf(t[2].cap[1], sizeof t[2].cap[1], "k and v of every token");

    snprintf(t[3].title, sizeof t[3].title, "Scores");
    snprintf(t[3].cap[0], sizeof t[3].cap[0], "q \xC2\xB7 k");
    snprintf(t[3].cap[1], sizeof t[3].cap[1], "for each key");

    snprintf(t[4].title, sizeof t[4].title, "Scaled");
    float root = sqrtf((float)p->d_head);
    if (p->bias && p->scale == 1.0f) { /* T5: a bias for the distance, and no 1/sqrt(d_k) */
        snprintf(t[4].title, sizeof t[4].title, "Position bias");
        snprintf(t[4].cap[0], sizeof t[4].cap[0], "+ bias of the distance j \xE2\x88\x92 i");
        snprintf(t[4].cap[1], sizeof t[4].cap[1],
                 "no \xC3\xB7 \xE2\x88\x9A"
                 "d_k (T5)");
    } else if (!p->scaling) {
        snprintf(t[4].cap[0], sizeof t[4].cap[0], "what-if: scaling off");
        snprintf(t[4].cap[1], sizeof t[4].cap[1], "scores kept as they are");
        t[4].whatif[0] = t[4].whatif[1] = true;
    } else if (fabsf(p->scale * root - 1.0f) < 1e-4f) {
        snprintf(t[4].cap[0], sizeof t[4].cap[0],
                 "\xC3\xB7 \xE2\x88\x9A"
                 "d_k, d_k = %d",
                 p->d_head);
        snprintf(t[4].cap[1], sizeof t[4].cap[1], "\xC3\xB7 \xE2\x88\x9A%d = \xC3\xB7 %.3g",
                 p->d_head, (double)root);
    } else {
        snprintf(t[4].cap[0], sizeof t[4].cap[0], "\xC3\x97 %.3g", (double)p->scale);
        snprintf(t[4].cap[1], sizeof t[4].cap[1], "the model's own scale");
    }
    if (p->capped) { /* Gemma 2: then soft-capped, cap * tanh(s / cap) */
        snprintf(t[4].title, sizeof t[4].title, "Scaled, soft-capped");
        snprintf(t[4].cap[0], sizeof t[4].cap[0],
                 "\xC3\x97 %.3g, then soft-cap:", (double)p->scale);
        snprintf(t[4].cap[1], sizeof t[4].cap[1], "%.3g \xC2\xB7 tanh(s \xC3\xB7 %.3g)",
                 (double)p->softcap, (double)p->softcap);
    }

    snprintf(t[5].title, sizeof t[5].title, "Softmax");
    if (p->temperature != 1.0f) {
        snprintf(t[5].cap[0], sizeof t[5].cap[0], "of scaled \xC3\xB7 %.3g (temperature)",
                 (double)p->temperature);
        t[5].whatif[0] = true;
    } else {
        snprintf(t[5].cap[0], sizeof t[5].cap[0], "weights, summing to 1");
    }
    if (causal_whatif(P))
        snprintf(t[5].cap[1], sizeof t[5].cap[1], "what-if: causal mask %s",
                 p->causal ? "on" : "off");
    else if (p->causal && p->window > 0)
        snprintf(t[5].cap[1], sizeof t[5].cap[1], "later keys and keys %d+ back masked", p->window);
    else
        snprintf(t[5].cap[1], sizeof t[5].cap[1], "%s",
                 p->causal ? "later keys masked" : "every key visible");
    t[5].whatif[1] = causal_whatif(P);

    snprintf(t[6].title, sizeof t[6].title, "Weighted sum");
    snprintf(t[6].cap[0], sizeof t[6].cap[0], "output = \xCE\xA3 weight \xC3\x97 v");
    snprintf(t[6].cap[1], sizeof t[6].cap[1], "each row: weight \xC3\x97 v");

    snprintf(t[7].title, sizeof t[7].title, "Multi-head");
    if (p->n_head > 1)
        snprintf(t[7].cap[0], sizeof t[7].cap[0], "all %d heads' outputs, side by side,",
                 p->n_head);
    else
        snprintf(t[7].cap[0], sizeof t[7].cap[0], "the one head's output,");
    snprintf(t[7].cap[1], sizeof t[7].cap[1], "concatenated, projected by W_O");

    /* the badge */
    P->badge[0] = '\0';
    size_t used = 0;
    const char *sep = "what-if: ";
    char item[48];
    for (int i = 0; i < 3; i++) {
        item[0] = '\0';
        if (i == 0 && !p->scaling)
            snprintf(item, sizeof item, "scaling off");
        if (i == 1 && causal_whatif(P))
            snprintf(item, sizeof item, "causal mask %s", p->causal ? "on" : "off");
        if (i == 2 && p->temperature != 1.0f)
            snprintf(item, sizeof item, "temperature %.3g", (double)p->temperature);
        if (!item[0])
            continue;
        int k = snprintf(P->badge + used, sizeof P->badge - used, "%s%s", sep, item);
        if (k > 0 && (size_t)k < sizeof P->badge - used)
            used += (size_t)k;
        sep = " \xC2\xB7 ";
    }
}

/* The query's label, at most 40 bytes and cut only between UTF-8 characters (with "…"). */
static void query_label(const pctx *P, char *out, size_t n) {
    const char *s = P->c->tok.labels[P->p->token];
    size_t len = strlen(s);
    if (len > 40) {
        len = 40;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    snprintf(out, n, "%.*s%s", (int)len, s, len < strlen(s) ? "\xE2\x80\xA6" : "");
}

static void title_detail(const pctx *P, char *out, size_t n) {
    const ats_pipeline_data *p = P->p;
    char kv[32] = "";
    if (p->kv_head != p->head)
        snprintf(kv, sizeof kv, " (KV head %d)", p->kv_head);
    char q[64];
    query_label(P, q, sizeof q);
    snprintf(out, n, "layer %d \xC2\xB7 head %d%s \xC2\xB7 query '%s' (token %d)", p->layer,
             p->head, kv, q, p->token);
}

static void caption_line(const pctx *P, char *out, size_t n) {
    out[0] = '\0';
    if (P->p->caption && *P->p->caption)
        snprintf(out, n, "L%d H%d \xE2\x80\x94 %.200s", P->p->layer, P->p->head, P->p->caption);
}

static void col_label(const pctx *P, int col, char *out, size_t n) {
    static const char *const NAMES[COL_COUNT] = {
        "x", "k", "v", "q \xC2\xB7 k", NULL, "weight", "weight \xC3\x97 v"};
    if (col == COL_SCALED) {
        if (P->p->capped)
            snprintf(out, n, "capped");
        else if (P->p->bias && P->p->scale == 1.0f)
            snprintf(out, n, "q \xC2\xB7 k + bias");
        else if (P->p->scaling)
            snprintf(out, n, "\xC3\x97 %.3g", (double)P->p->scale);
        else
            snprintf(out, n, "\xC3\x97 1");
    } else {
        snprintf(out, n, "%s", NAMES[col]);
    }
}

static void gap_label(const prow *r, char *out, size_t n) {
    int k = r->last - r->first + 1;
    snprintf(out, n, "\xE2\x8B\xAF %d key%s", k, k == 1 ? "" : "s");
}

/* ---- layout -------------------------------------------------------------------------------- */

static float measure(const pctx *P, const char *s, float size, bool bold) {
    return ats_font_measure(P->c->font, s, size, bold);
}

static float line_h(const pctx *P, float size) {
    float a, d;
    ats_font_metrics(P->c->font, size, &a, &d);
    return a + d;
}

/* Width a step's header needs: the numbered title and its two captions. */
static float header_width(const pctx *P, int step) {
    const pgeom *g = &P->g;
    const step_text *t = &P->steps[step];
    float w = 2.0f * 9.0f * g->u + 7.0f * g->u + measure(P, t->title, g->head_size, true);
    for (int i = 0; i < 2; i++)
        w = fmaxf(w, measure(P, t->cap[i], g->small_size, t->whatif[i]));
    return w;
}

/* Width a cut vector needs after its cells: an ellipsis and "‖v‖ 12.3". */
static float trunc_width(const pctx *P, float size) {
    return 6.0f * P->g.u + measure(P, "\xE2\x80\xA6", size, false) + 6.0f * P->g.u +
           measure(P, "\xE2\x80\x96x\xE2\x80\x96 -00.00", size, false);
}

/* The layout at unit u with at most max_rows rows, in `bands` bands (1 or 2). */
static void layout(pctx *P, float u, int max_rows, int bands) {
    view_ctx *c = P->c;
    const ats_pipeline_data *p = P->p;
    pgeom *g = &P->g;
    prow rows[PIPE_ROWS_MAX];
    int n_rows = select_rows(c, p, max_rows, rows);
    *g = (pgeom){.u = u, .n_rows = n_rows};
    memcpy(g->rows, rows, sizeof rows);
    g->label_size = UI_LABEL_MAX * u;
    g->value_size = UI_SMALL * u;
    g->small_size = UI_SMALL * u;
    g->head_size = UI_TEXT * u;
    g->row_h = 24.0f * u;
    g->cell_h = 18.0f * u;
    float m = UI_MARGIN * u;

    /* the header lines: title, then the badge and the head's caption */
    g->title_bottom = m + line_h(P, UI_TITLE * u);
    char cap[256];
    caption_line(P, cap, sizeof cap);
    g->sub_y = g->title_bottom + 8.0f * u;
    g->sub_h = P->badge[0] || cap[0] ? 22.0f * u : 0.0f;
    float top = g->sub_y + g->sub_h + 14.0f * u;

    /* the token label column */
    char s[96], ql[64];
    query_label(P, ql, sizeof ql);
    snprintf(s, sizeof s, "query '%s'", ql);
    g->wl = measure(P, s, g->label_size, true);
    for (int r = 0; r < n_rows; r++) {
        if (g->rows[r].token >= 0) {
            g->wl = fmaxf(g->wl, measure(P, c->tok.labels[g->rows[r].token], g->label_size,
                                         g->rows[r].token == p->token));
        } else {
            gap_label(&g->rows[r], s, sizeof s);
            g->wl = fmaxf(g->wl, measure(P, s, g->small_size, false));
        }
    }
    g->wl = fminf(g->wl, UI_LABEL_WIDTH * u) + 6.0f * u;

    /* the columns' widths */
    g->nx = p->d_model <= INPUT_ALL ? p->d_model : INPUT_FIRST;
    g->cx = clampf(256.0f / (float)g->nx, 2.5f, 10.0f) * u;
    g->nk = p->d_head <= VEC_ALL ? p->d_head : VEC_FIRST;
    g->cw = measure(P, "-0.00", g->value_size, false) + 6.0f * u;
    g->trunc_w = trunc_width(P, g->value_size);
    g->num_w = measure(P, "-000.0", g->value_size, false) + 10.0f * u;
    float num_w = g->num_w + 8.0f * u;
    g->w_col[COL_X] = (float)g->nx * g->cx + (g->nx < p->d_model ? g->trunc_w : 0);
    g->w_col[COL_K] = (float)g->nk * g->cw + (g->nk < p->d_head ? g->trunc_w : 0);
    g->w_col[COL_V] = g->w_col[COL_K];
    g->w_col[COL_SCORE] = num_w;
    g->w_col[COL_SCALED] = num_w;
    g->w_col[COL_WEIGHT] = 110.0f * u + 8.0f * u +
                           fmaxf(measure(P, "0.000", g->value_size, false),
                                 measure(P, "masked", g->value_size, false));
    g->w_col[COL_WV] = 16.0f * u + g->w_col[COL_K];
    for (int col = 0; col < COL_COUNT; col++) { /* widen a step's last column for its header */
        int step = COL_STEP[col];
        if (col + 1 < COL_COUNT && COL_STEP[col + 1] == step)
            continue;
        float span = g->w_col[col];
        for (int k = col - 1; k >= 0 && COL_STEP[k] == step; k--)
            span += g->w_col[k] + 10.0f * u;
        g->w_col[col] += fmaxf(0, header_width(P, step) - span);
    }

    /* the columns' places: one band, or two with the break before step 3 */
    float step_gap = 22.0f * u, x0 = m + g->wl + 14.0f * u, x = x0;
    g->n_bands = bands;
    for (int col = 0; col < COL_COUNT; col++) {
        int band = g->n_bands == 2 && col >= COL_SCORE ? 1 : 0;
        if (col > 0 && band != g->band_of[col - 1])
            x = x0;
        else if (col > 0)
            x += COL_STEP[col] == COL_STEP[col - 1] ? 10.0f * u : step_gap;
        g->band_of[col] = band;
        g->x_col[col] = x;
        x += g->w_col[col];
        g->band_w[band] = x;
    }

    /* the bands' heights */
    g->head_h = 18.0f * u + 2.0f * line_h(P, g->small_size) + 8.0f * u;
    g->qrow_h = g->row_h + 6.0f * u;
    g->clab_h = line_h(P, g->small_size) + 4.0f * u;
    g->foot_h = 8.0f * u + g->row_h;
    float y = top;
    for (int b = 0; b < g->n_bands; b++) {
        g->band_y[b] = y;
        g->rows_y[b] = y + g->head_h + (b == 0 ? g->qrow_h : 0) + g->clab_h;
        bool foot = g->band_of[COL_WEIGHT] == b;
        g->band_h[b] = g->rows_y[b] - y + (float)n_rows * g->row_h + (foot ? g->foot_h : 0);
        y += g->band_h[b] + 26.0f * u;
    }

    /* step 7: each head's output as a block of cells, the concatenation, the projection */
    int H = p->n_head, dh = p->d_head;
    g->mh_lab_w = 8.0f * u + fmaxf(measure(P, "each head", g->small_size, false),
                                   fmaxf(measure(P, "concatenated", g->small_size, false),
                                         measure(P, "\xC3\x97 W_O", g->small_size, false)));
    g->mh_gap = H > 1 ? clampf(160.0f * u / (float)(H - 1), 1.0f * u, 8.0f * u) : 0;
    g->mh_cell = clampf(MULTI_CONTENT * u / (float)(H * dh), 0.05f * u, 10.0f * u);
    g->mh_block_w = (float)dh * g->mh_cell;
    g->mh_proj_w =
        (float)p->d_model * clampf(MULTI_CONTENT * u / (float)p->d_model, 0.05f * u, 10.0f * u);
    float content = fmaxf((float)H * g->mh_block_w + (float)(H - 1) * g->mh_gap, g->mh_proj_w);
    float mh_w = fmaxf(g->mh_lab_w + content, header_width(P, 7));
    if (P->badge[0])
        mh_w = fmaxf(mh_w, measure(P, MULTI_WHATIF_NOTE, g->small_size, false));
    float lh = line_h(P, g->small_size);
    float mh_h = g->head_h + 14.0f * u + 3.0f * g->cell_h + 2.0f * 12.0f * u + 3.0f * u + lh +
                 (P->badge[0] ? 4.0f * u + lh : 0);
    int last = g->n_bands - 1;
    float right = g->band_w[last] + 40.0f * u;
    if (g->n_bands == 2 && right + mh_w + m <= fmaxf(g->band_w[0] + m, BESIDE_MAX * u)) {
        g->mh = (frect){right, g->band_y[last], mh_w, mh_h};
    } else {
        g->mh = (frect){m, y, mh_w, mh_h};
        y += mh_h + 26.0f * u;
    }
    g->width = fmaxf(fmaxf(g->band_w[0], g->band_w[last]), g->mh.x + g->mh.w) + m;
    g->height = fmaxf(y - 26.0f * u, g->mh.y + g->mh.h) + m;
}

/* The scale at which the layout fits w x h. */
static float fit_factor(const pctx *P, float w, float h) {
    return fminf(w / P->g.width, h / P->g.height);
}

/* Rows and unit size for `bands` bands in a w x h view: fewer rows while the height, not the
 * width, would shrink the text below 80%. Returns the scale that then fits. */
static float fit_rows(pctx *P, float w, float h, int bands, int *rows) {
    float ui = P->c->ui;
    *rows = PIPE_ROWS_MAX;
    layout(P, ui, *rows, bands);
    float fw = w / P->g.width, fh = h / P->g.height;
    while (fh < fminf(fw, 0.8f) && P->g.n_rows > ROWS_MIN) {
        *rows = P->g.n_rows - 1;
        layout(P, ui, *rows, bands);
        fw = w / P->g.width;
        fh = h / P->g.height;
    }
    return fminf(fw, fh);
}

/* Lays out for a w x h view (natural size: w = h = 0): one band or two, whichever shows the
 * view larger in w x h (natural size: in a 16:9 screen of 1920 x 1080 at ui scale 1); rows as
 * fit_rows; then everything scaled to fit (natural size: not scaled, every row kept). */
static void fit(pctx *P, float w, float h) {
    float ui = P->c->ui;
    bool natural = !(h > 0);
    float tw = natural ? 1920.0f * ui : w, th = natural ? 1080.0f * ui : h;
    int rows1, rows2;
    float f1, f2;
    if (natural) {
        rows1 = rows2 = PIPE_ROWS_MAX;
        layout(P, ui, rows1, 1);
        f1 = fit_factor(P, tw, th);
        layout(P, ui, rows2, 2);
        f2 = fit_factor(P, tw, th);
    } else {
        f1 = fit_rows(P, tw, th, 1, &rows1);
        f2 = fit_rows(P, tw, th, 2, &rows2);
    }
    int bands = f1 > f2 ? 1 : 2, rows = f1 > f2 ? rows1 : rows2;
    float f = f1 > f2 ? f1 : f2;
    if (natural || (f >= 1.0f && f < 1.05f)) {
        layout(P, ui, rows, bands); /* natural size: keep the exact sizes */
        return;
    }
    layout(P, ui * clampf(f, 0.2f, 1.6f), rows, bands);
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
    fmt_value(s, sizeof s, v);
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
        fmt_value(s, sizeof s, vec[i]);
        ats_text_style ts = tstyle(g->value_size, muted ? COLOR_MUTED : ink_on(bg),
                                   ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE);
        ts.max_width = cw - 2.0f * u;
        ats_view_text(P->c, cx + 0.5f * cw, ymid, s, &ts);
    }
    if (n >= d)
        return;
    float tx = x + (float)n * cw + 6.0f * u;
    ats_text_style ts = tstyle(g->value_size, COLOR_MUTED, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
    ats_view_text(P->c, tx, ymid, "\xE2\x80\xA6", &ts);
    tx += measure(P, "\xE2\x80\xA6", g->value_size, false) + 6.0f * u;
    char s[48], num[24];
    fmt_value(num, sizeof num, norm2(vec, d));
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
    ats_text_style ts = tstyle(11.0f * u, COLOR_WHITE, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE);
    ts.bold = true;
    ats_view_text(P->c, x + r, y + r, num, &ts);
    ts = tstyle(g->head_size, COLOR_INK, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
    ts.bold = true;
    ts.max_width = max_w - 2 * r - 7.0f * u;
    ats_view_text(P->c, x + 2 * r + 7.0f * u, y + r, t->title, &ts);
    float ly = y + 2 * r + 2.0f * u, lh = line_h(P, g->small_size);
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
    title_detail(P, detail, sizeof detail);
    ats_view_title(P->c, detail);
    float x = m, ymid = g->sub_y + 0.5f * g->sub_h;
    if (P->badge[0]) {
        float bw = measure(P, P->badge, g->head_size, true) + 20.0f * u;
        ats_view_rect(P->c, x, g->sub_y, bw, g->sub_h, 0.5f * g->sub_h, COLOR_WHATIF_BG);
        ats_text_style ts =
            tstyle(g->head_size, COLOR_WHATIF_INK, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
        ts.bold = true;
        ats_view_text(P->c, x + 10.0f * u, ymid, P->badge, &ts);
        x += bw + 14.0f * u;
    }
    char cap[256];
    caption_line(P, cap, sizeof cap);
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
            if (t < 0 || (t != P->p->token && t != hover))
                continue;
            float y = g->rows_y[b] + (float)r * g->row_h;
            float x0 = UI_MARGIN * g->u - 6.0f * g->u;
            ats_view_rect(P->c, x0, y + 1.0f * g->u, g->band_w[b] - x0 + 6.0f * g->u,
                          g->row_h - 2.0f * g->u, 4.0f * g->u,
                          t == P->p->token ? COLOR_FOCUS : COLOR_ROW_HOVER);
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
            gap_label(row, s, sizeof s);
            ats_text_style ts =
                tstyle(g->small_size, COLOR_MUTED, ATS_ALIGN_END, ATS_VALIGN_MIDDLE);
            ts.max_width = g->wl - 6.0f * u;
            ats_view_text(c, xr, y, s, &ts);
            continue;
        }
        int t = row->token;
        bool q = t == P->p->token;
        ats_text_style ts =
            tstyle(g->label_size, is_special(c, t) || P->p->masked[t] ? COLOR_MUTED : COLOR_INK,
                   ATS_ALIGN_END, ATS_VALIGN_MIDDLE);
        ts.bold = q;
        ts.max_width = g->wl - 6.0f * u;
        ats_view_text(c, xr, y, c->tok.labels[t], &ts);
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
    query_label(P, ql, sizeof ql);
    snprintf(s, sizeof s, "query '%s'", ql);
    ats_text_style ts = tstyle(g->label_size, COLOR_INK, ATS_ALIGN_END, ATS_VALIGN_MIDDLE);
    ts.bold = true;
    ts.max_width = g->wl - 6.0f * u;
    ats_view_text(P->c, UI_MARGIN * u + g->wl - 6.0f * u, qy, s, &ts);
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
    float bar_max = 110.0f * u;
    float *wv = (float *)ats_view_scratch(P->c, (size_t)dh * sizeof(float));
    if (!wv)
        return;
    double total = 0;
    for (int j = 0; j < P->c->d->n_tokens; j++)
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
            snprintf(s, sizeof s, "\xCE\xA3 %.3f", w);
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
        snprintf(s, sizeof s, "%.3f", (double)w);
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
    snprintf(s, sizeof s, "\xCE\xA3 = %.3f", total);
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

/* Step 7: every head's output for the query token, concatenated, and projected by W_O. */
static void draw_multihead(pctx *P) {
    const pgeom *g = &P->g;
    const ats_pipeline_data *p = P->p;
    float u = g->u, x = g->mh.x, y = g->mh.y;
    int H = p->n_head, dh = p->d_head;
    step_header(P, 7, x, y, g->mh.w);
    float x0 = x + g->mh_lab_w, ch = g->cell_h;
    ats_text_style ls = tstyle(g->small_size, COLOR_MUTED, ATS_ALIGN_START, ATS_VALIGN_MIDDLE);
    /* each head: its number above its block */
    float by = y + g->head_h + 14.0f * u;
    ats_view_text(P->c, x, by + 0.5f * ch, "each head", &ls);
    float pitch = g->mh_block_w + g->mh_gap;
    ats_text_style hs = tstyle(g->small_size, COLOR_MUTED, ATS_ALIGN_CENTER, ATS_VALIGN_BOTTOM);
    int label_every = (int)ceilf(measure(P, "H00", g->small_size, false) / fmaxf(pitch, 1e-3f));
    for (int h = 0; h < H; h++) {
        float bx = x0 + (float)h * pitch;
        strip(P, bx, by, g->mh_block_w, ch, p->concat + (size_t)h * dh, dh, P->max_concat);
        char s[16];
        snprintf(s, sizeof s, "H%d", h);
        hs.bold = h == p->head;
        hs.color = h == p->head ? COLOR_INK : COLOR_MUTED;
        if (h == p->head || h % label_every == 0)
            ats_view_text(P->c, bx + 0.5f * g->mh_block_w, by - 2.0f * u, s, &hs);
    }
    ats_view_outline(P->c, x0 + (float)p->head * pitch - 2.0f * u, by - 2.0f * u,
                     g->mh_block_w + 4.0f * u, ch + 4.0f * u, 1.5f * u, ats_head_color(p->head));
    /* concatenated: the same blocks closed up */
    float cy = by + ch + 12.0f * u, cw = (float)H * g->mh_block_w;
    ats_view_text(P->c, x, cy + 0.5f * ch, "concatenated", &ls);
    strip(P, x0, cy, cw, ch, p->concat, H * dh, P->max_concat);
    ats_view_outline(P->c, x0 + (float)p->head * g->mh_block_w - 1.5f * u, cy - 1.5f * u,
                     g->mh_block_w + 3.0f * u, ch + 3.0f * u, 1.5f * u, ats_head_color(p->head));
    /* projected: the attention output, d_model wide */
    float py = cy + ch + 12.0f * u;
    ats_view_text(P->c, x, py + 0.5f * ch, "\xC3\x97 W_O", &ls);
    strip(P, x0, py, g->mh_proj_w, ch, p->projected, p->d_model, P->max_proj);
    char s[64];
    snprintf(s, sizeof s, "%d numbers: the attention output", p->d_model);
    ls.max_width = fmaxf(g->mh.x + g->mh.w - (x0 + g->mh_proj_w + 8.0f * u), 1.0f);
    ats_text_style ps = ls;
    ps.valign = ATS_VALIGN_TOP;
    ps.max_width = g->mh.w - g->mh_lab_w;
    ats_view_text(P->c, x0, py + ch + 3.0f * u, s, &ps);
    if (P->badge[0]) {
        ats_text_style ws =
            tstyle(g->small_size, COLOR_WHATIF_INK, ATS_ALIGN_START, ATS_VALIGN_TOP);
        ws.max_width = g->mh.w;
        ats_view_text(P->c, x, py + ch + 3.0f * u + line_h(P, g->small_size) + 4.0f * u,
                      MULTI_WHATIF_NOTE, &ws);
    }
    view_layout *l = P->c->lay;
    l->blocks = (frect){x0, by, (float)H * pitch - g->mh_gap, ch};
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
        col_label(P, col, s, sizeof s);
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

static void pctx_init(pctx *P, view_ctx *c) {
    *P = (pctx){.c = c, .p = c->d->pipeline};
    ats_colormap_lut(ats_colormap_is_diverging(c->st->colormap) ? c->st->colormap
                                                                : ATS_COLORMAP_COOLWARM,
                     P->div);
    make_texts(P);
}

void ats_pipeline_natural_size(view_ctx *c, float *w, float *h) {
    pctx *P = malloc(sizeof *P);
    if (!P)
        return;
    pctx_init(P, c);
    fit(P, 0, 0);
    char detail[256];
    title_detail(P, detail, sizeof detail);
    *w = fmaxf(P->g.width,
               ats_view_title_width(c->st, c->d, c->font, detail) + 2 * UI_MARGIN * c->ui);
    *h = P->g.height;
    free(P);
}

void ats_pipeline_build(view_ctx *c) {
    pctx *P = malloc(sizeof *P);
    if (!P) {
        c->status = ATS_ERR_NOMEM;
        return;
    }
    pctx_init(P, c);
    fit(P, c->w, c->h);
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

ats_hit ats_pipeline_hit(const view_layout *l, float x, float y) {
    ats_hit hit = {
        .kind = ATS_HIT_NONE, .query = -1, .key = -1, .token = -1, .layer = -1, .head = -1};
    if (frect_has(l->query_row, x, y)) {
        hit.kind = ATS_HIT_TOKEN;
        hit.token = l->query_token;
        hit.side = ATS_SIDE_QUERY;
        return hit;
    }
    for (int b = 0; b < l->n_bands; b++) {
        if (!frect_has(l->band_rows[b], x, y) || !(l->row_pitch > 0))
            continue;
        int r = clampi((int)floorf((y - l->band_rows[b].y) / l->row_pitch), 0, l->n_rows - 1);
        if (l->row_token[r] < 0)
            return hit;
        hit.kind = ATS_HIT_TOKEN;
        hit.token = l->row_token[r];
        hit.side = ATS_SIDE_KEY;
        return hit;
    }
    if (frect_has(l->blocks, x, y) && l->block_pitch > 0) {
        int h = (int)floorf((x - l->blocks.x) / l->block_pitch);
        if (h >= 0 && h < l->n_head) {
            hit.kind = ATS_HIT_HEAD_KEY;
            hit.head = h;
        }
    }
    return hit;
}
