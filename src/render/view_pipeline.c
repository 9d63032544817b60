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

#define ROWS_MIN          2      /* a small view drops rows down to this before shrinking text */
#define NK_MIN            2      /* dimensions of q, k, v written at least */
#define VEC_ALL           16     /* vectors up to this long have every value written */
#define VEC_FIRST         8      /* longer ones: the first dimensions, an ellipsis and the norm */
#define INPUT_ALL         96     /* token vectors up to this long are drawn whole */
#define INPUT_FIRST       64     /* longer ones: the first dimensions, an ellipsis and the norm */
#define MULTI_CONTENT     440.0f /* step 7's strips are at most about this wide */
#define MULTI_WHATIF_NOTE "the model's own outputs: the what-if changes steps 4 to 6 only"
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
    int mh_note_lines, mh_whatif_lines; /* step 7's notes, wrapped to its width */
    bool narrow; /* cut vectors end in "+8" (the dimensions left), not the ellipsis and norm */
    float bar_w; /* the softmax's bars at weight 1 */
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
        snprintf(t[7].cap[0], sizeof t[7].cap[0], "all %d heads' outputs,", p->n_head);
    else
        snprintf(t[7].cap[0], sizeof t[7].cap[0], "the one head's output,");
    snprintf(t[7].cap[1], sizeof t[7].cap[1], "side by side, then \xC3\x97 W_O");

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

/* Words of s in lines of at most max_w at `size`: how many lines (draw: drawn from (x, y) down,
 * and the height returned). A word wider than the line is cut. */
static float wrap_text(const pctx *P, float x, float y, const char *s, float size, ats_rgba color,
                       float max_w, bool draw, int *lines) {
    char line[256];
    size_t n = strlen(s), i = 0;
    int count = 0;
    float lh = line_h(P, size);
    while (i < n) {
        while (i < n && s[i] == ' ')
            i++;
        size_t fit = i, end = i;
        while (end < n) { /* the longest run of whole words from i that fits */
            size_t next = end;
            while (next < n && s[next] == ' ')
                next++;
            while (next < n && s[next] != ' ')
                next++;
            size_t len = next - i < sizeof line - 1 ? next - i : sizeof line - 1;
            memcpy(line, s + i, len);
            line[len] = '\0';
            if (fit > i && measure(P, line, size, false) > max_w)
                break;
            fit = end = next;
        }
        if (fit == i)
            break;
        size_t len = fit - i < sizeof line - 1 ? fit - i : sizeof line - 1;
        memcpy(line, s + i, len);
        line[len] = '\0';
        if (draw) {
            ats_text_style ts = tstyle(size, color, ATS_ALIGN_START, ATS_VALIGN_TOP);
            ts.max_width = max_w;
            ats_view_text(P->c, x, y + (float)count * lh, line, &ts);
        }
        count++;
        i = fit;
    }
    if (lines)
        *lines = count;
    return (float)count * lh;
}

static int wrap_count(const pctx *P, const char *s, float size, float max_w) {
    int lines;
    wrap_text(P, 0, 0, s, size, COLOR_INK, max_w, false, &lines);
    return lines;
}

static float wrapped(pctx *P, float x, float y, const char *s, float size, ats_rgba color,
                     float max_w) {
    return wrap_text(P, x, y, s, size, color, max_w, true, NULL);
}

/* The note under step 7's projection. */
static const char *multi_note(const pctx *P, char *out, size_t n) {
    snprintf(out, n, "the attention output: %d numbers", P->p->d_model);
    return out;
}

/* Width a step's header needs: the numbered title and its two captions (a little slack, so that
 * rounding never cuts them). */
static float header_width(const pctx *P, int step) {
    const pgeom *g = &P->g;
    const step_text *t = &P->steps[step];
    float w = 2.0f * 9.0f * g->u + 7.0f * g->u + measure(P, t->title, g->head_size, true);
    for (int i = 0; i < 2; i++)
        w = fmaxf(w, measure(P, t->cap[i], g->small_size, t->whatif[i]));
    return w + 2.0f * g->u;
}

/* Width a cut vector needs after its cells: "… 8 more" and "‖v‖ 12.3", or in a narrow layout
 * "+8". */
static float trunc_width(const pctx *P, float size, bool narrow) {
    if (narrow)
        return 6.0f * P->g.u + measure(P, "+000", size, false);
    return 6.0f * P->g.u + measure(P, "\xE2\x80\xA6 000 more", size, false) + 8.0f * P->g.u +
           measure(P, "\xE2\x80\x96wv\xE2\x80\x96 -0.000", size, false);
}

/* What a layout shows: bands of steps, dimensions of q, k, v written, the token vectors' strip
 * (narrow halves it), step 7 below the bands rather than beside the last, and rows at most. */
typedef struct pconf {
    int bands, nk, max_rows;
    bool narrow, mh_below;
    float room; /* the view's width (0: any): step 7 beside the bands narrows to fit it */
} pconf;

/* The layout at unit u for configuration cf. */
static void layout(pctx *P, float u, pconf cf) {
    view_ctx *c = P->c;
    const ats_pipeline_data *p = P->p;
    pgeom *g = &P->g;
    prow rows[PIPE_ROWS_MAX];
    int n_rows = select_rows(c, p, cf.max_rows, rows);
    *g = (pgeom){.u = u, .n_rows = n_rows};
    memcpy(g->rows, rows, sizeof rows);
    g->label_size = UI_LABEL_MAX * u;
    g->value_size = UI_SMALL * u;
    g->small_size = UI_SMALL * u;
    g->head_size = UI_TEXT * u;
    g->row_h = 24.0f * u;
    g->cell_h = 19.0f * u;
    float m = UI_MARGIN * u;

    /* the header lines: title, then the badge and the head's caption */
    g->title_bottom = m + line_h(P, UI_TITLE * u);
    char cap[256];
    caption_line(P, cap, sizeof cap);
    g->sub_y = g->title_bottom + 8.0f * u;
    g->sub_h = P->badge[0] || cap[0] ? 24.0f * u : 0.0f;
    float top = g->sub_y + g->sub_h + 14.0f * u;

    /* the token label column (the query's label sits above it, over the q row) */
    char s[96];
    g->wl = measure(P, "token", g->small_size, false);
    for (int r = 0; r < n_rows; r++) {
        if (g->rows[r].token >= 0) {
            g->wl = fmaxf(g->wl, measure(P, c->tok.labels[g->rows[r].token], g->label_size,
                                         g->rows[r].token == p->token));
        } else {
            gap_label(&g->rows[r], s, sizeof s);
            g->wl = fmaxf(g->wl, measure(P, s, g->small_size, false));
        }
    }
    g->wl = fminf(g->wl, UI_LABEL_WIDTH * u) + 8.0f * u;

    /* the columns' widths */
    g->nx = p->d_model <= INPUT_ALL ? p->d_model : INPUT_FIRST;
    g->cx = clampf((cf.narrow ? 128.0f : 256.0f) / (float)g->nx, 1.5f, 10.0f) * u;
    g->nk = cf.nk < p->d_head ? cf.nk : p->d_head;
    g->cw = measure(P, "-.0456", g->value_size, false) + 6.0f * u;
    g->narrow = cf.narrow;
    g->trunc_w = trunc_width(P, g->value_size, cf.narrow);
    g->num_w = measure(P, "-0.0456", g->value_size, false) + 10.0f * u;
    float num_w = g->num_w + 8.0f * u;
    g->w_col[COL_X] = (float)g->nx * g->cx + (g->nx < p->d_model ? g->trunc_w : 0);
    g->w_col[COL_K] = (float)g->nk * g->cw + (g->nk < p->d_head ? g->trunc_w : 0);
    g->w_col[COL_V] = g->w_col[COL_K];
    g->w_col[COL_SCORE] = num_w;
    g->w_col[COL_SCALED] = num_w;
    g->bar_w = (cf.narrow ? 80.0f : 110.0f) * u;
    g->w_col[COL_WEIGHT] = g->bar_w + 8.0f * u +
                           fmaxf(measure(P, "\xCE\xA3 0.0456", g->value_size, false),
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
    g->n_bands = cf.bands;
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

    /* step 7, stacked: each head's output as a block of cells (its name above), the
     * concatenation, the projection by W_O, each under a caption */
    int H = p->n_head, dh = p->d_head;
    g->mh_lab_w = 0;
    g->mh_gap = H > 1 ? clampf(160.0f * u / (float)(H - 1), 1.0f * u, 8.0f * u) : 0;
    float content_max = cf.narrow ? 0.55f * MULTI_CONTENT : MULTI_CONTENT;
    int last = g->n_bands - 1;
    float right = g->band_w[last] + (cf.narrow ? 24.0f : 40.0f) * u;
    if (!cf.mh_below && g->n_bands == 2 && cf.room > 0) /* beside: what is left of the width */
        content_max = clampf((cf.room - right - m) / u, 0.3f * MULTI_CONTENT, content_max);
    g->mh_cell = clampf((content_max * u - (float)(H - 1) * g->mh_gap) / (float)(H * dh),
                        0.05f * u, 10.0f * u);
    g->mh_block_w = (float)dh * g->mh_cell;
    g->mh_proj_w =
        (float)p->d_model * clampf(content_max * u / (float)p->d_model, 0.05f * u, 10.0f * u);
    float content = fmaxf((float)H * g->mh_block_w + (float)(H - 1) * g->mh_gap, g->mh_proj_w);
    float mh_w = fmaxf(content, header_width(P, 7));
    mh_w = fmaxf(mh_w, measure(P, "concatenated", g->small_size, false));
    float lh = line_h(P, g->small_size);
    g->mh_note_lines = wrap_count(P, multi_note(P, s, sizeof s), g->small_size, mh_w);
    g->mh_whatif_lines = P->badge[0] ? wrap_count(P, MULTI_WHATIF_NOTE, g->small_size, mh_w) : 0;
    float mh_h = g->head_h + 3.0f * (lh + g->cell_h + 10.0f * u) + 3.0f * u +
                 (float)g->mh_note_lines * lh +
                 (g->mh_whatif_lines ? 4.0f * u + (float)g->mh_whatif_lines * lh : 0);
    if (!cf.mh_below && g->n_bands == 2) {
        g->mh = (frect){right, g->band_y[last], mh_w, mh_h};
    } else {
        g->mh = (frect){m, y, mh_w, mh_h};
        y += mh_h + 26.0f * u;
    }
    g->width = fmaxf(fmaxf(g->band_w[0], g->band_w[last]), g->mh.x + g->mh.w) + m;
    g->height = fmaxf(y - 26.0f * u, g->mh.y + g->mh.h) + m;
}

/* How well a layout shows the step: all its rows first, then more dimensions written, then the
 * token vectors full width, then fewer bands. */
static double layout_score(const pctx *P, pconf cf) {
    int wanted = P->c->tok.n < PIPE_ROWS_MAX ? P->c->tok.n : PIPE_ROWS_MAX;
    int rows = P->g.n_rows < wanted ? P->g.n_rows : wanted, nk = P->g.nk;
    return 1e6 * rows + 1e4 * (nk < 6 ? nk : 6) + 1e3 * !cf.narrow + 10.0 * nk +
           (cf.mh_below ? 0 : 1) - cf.bands;
}

/* Rows for `cf` at unit u that fit height h: fewer rows (down to ROWS_MIN) until it does.
 * Returns whether it fits. */
static bool fit_height(pctx *P, float u, pconf *cf, float h) {
    cf->max_rows = PIPE_ROWS_MAX;
    layout(P, u, *cf);
    while (P->g.height > h && P->g.n_rows > ROWS_MIN) {
        cf->max_rows = P->g.n_rows - 1;
        layout(P, u, *cf);
    }
    return P->g.height <= h;
}

/* The configuration that shows the most at unit u in w x h, its text at full size: for each
 * arrangement of bands, the most dimensions that fit the width, then the rows that fit the
 * height. False when nothing fits at u (then *best is the most compact one). */
static bool choose(pctx *P, float u, float w, float h, pconf *best) {
    static const pconf ARRANGE[] = {{1, 0, 0, false, true, 0}, {2, 0, 0, false, false, 0},
                                    {2, 0, 0, false, true, 0},  {1, 0, 0, true, true, 0},
                                    {2, 0, 0, true, false, 0},  {2, 0, 0, true, true, 0}};
    int nk_max = P->p->d_head < VEC_ALL ? P->p->d_head : VEC_ALL;
    double best_score = -1;
    *best = (pconf){2, NK_MIN, ROWS_MIN, true, true, 0};
    for (size_t i = 0; i < sizeof ARRANGE / sizeof ARRANGE[0]; i++) {
        /* the most dimensions whose layout fits the width once its rows fit the height (fewer
         * rows can widen the label column: "⋯ 11 keys") */
        pconf cf = ARRANGE[i];
        bool fits = false;
        cf.room = w;
        for (cf.nk = nk_max; !fits && cf.nk >= (nk_max < NK_MIN ? nk_max : NK_MIN); cf.nk--) {
            cf.max_rows = PIPE_ROWS_MAX;
            layout(P, u, cf);
            if (P->g.width > w)
                continue;
            fits = fit_height(P, u, &cf, h) && P->g.width <= w;
        }
        if (!fits)
            continue;
        cf.nk++; /* the loop stepped past it */
        double score = layout_score(P, cf);
        if (score > best_score) {
            best_score = score;
            *best = cf;
        }
    }
    return best_score >= 0;
}

/* Lays out for a w x h view (natural size: w = h = 0). The view's own area: the configuration
 * that shows the most at the state's ui scale (every text at least UI_SMALL), then everything
 * scaled up to fill the area (at most 1.6x); a view too small for even the most compact one
 * scales that down. Natural size (exports): every row and dimension, in one band or two,
 * whichever fills a 1920 x 1080 screen better. */
static void fit(pctx *P, float w, float h) {
    float ui = P->c->ui;
    if (!(h > 0)) {
        int nk = P->p->d_head <= VEC_ALL ? P->p->d_head : VEC_FIRST;
        pconf one = {1, nk, PIPE_ROWS_MAX, false, true, 0};
        pconf two = {2, nk, PIPE_ROWS_MAX, false, false, 0};
        layout(P, ui, one);
        float f1 = fminf(1920.0f * ui / P->g.width, 1080.0f * ui / P->g.height);
        layout(P, ui, two);
        float f2 = fminf(1920.0f * ui / P->g.width, 1080.0f * ui / P->g.height);
        if (f1 > f2)
            layout(P, ui, one);
        return;
    }
    pconf cf;
    bool fits = choose(P, ui, w, h, &cf);
    if (!fits)
        cf.max_rows = ROWS_MIN;
    layout(P, ui, cf);
    float f = fminf(w / P->g.width, h / P->g.height);
    if (fits && f < 1.05f)
        return;
    layout(P, ui * clampf(f, 0.2f, 1.6f), cf);
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
    tx += measure(P, "\xE2\x80\xA6 000 more", g->value_size, false) + 8.0f * u;
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
    float u = g->u, x = g->mh.x, y = g->mh.y, lh = line_h(P, g->small_size);
    int H = p->n_head, dh = p->d_head;
    step_header(P, 7, x, y, g->mh.w);
    float ch = g->cell_h;
    ats_text_style ls = tstyle(g->small_size, COLOR_MUTED, ATS_ALIGN_START, ATS_VALIGN_TOP);
    /* each head: its name above its block */
    float by = y + g->head_h + lh;
    float pitch = g->mh_block_w + g->mh_gap;
    ats_text_style hs = tstyle(g->small_size, COLOR_MUTED, ATS_ALIGN_CENTER, ATS_VALIGN_BOTTOM);
    int label_every = (int)ceilf(measure(P, "H00", g->small_size, false) / fmaxf(pitch, 1e-3f));
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
    ny += wrapped(P, x, ny, multi_note(P, s, sizeof s), g->small_size, COLOR_MUTED, g->mh.w);
    if (P->badge[0])
        wrapped(P, x, ny + 4.0f * u, MULTI_WHATIF_NOTE, g->small_size, COLOR_WHATIF_INK, g->mh.w);
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
