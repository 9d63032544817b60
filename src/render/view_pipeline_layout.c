/* The pipeline view's layout (view_pipeline_internal.h): which keys get a row, the texts, the
 * place of every step, column and band at a unit size, the fit to the view's area, the natural
 * size, and hits on the laid-out rows and heads. */
#include "view_pipeline_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS_MIN      2      /* a small view drops rows down to this before shrinking text */
#define NK_MIN        2      /* dimensions of q, k, v written at least */
#define ROWS_WANT     6      /* rows worth shrinking presentation size for */
#define VEC_ALL       16     /* vectors up to this long have every value written */
#define VEC_FIRST     8      /* longer ones: the first dimensions, an ellipsis and the norm */
#define INPUT_ALL     96     /* token vectors up to this long are drawn whole */
#define INPUT_FIRST   64     /* longer ones: the first dimensions, an ellipsis and the norm */
#define MULTI_CONTENT 440.0f /* step 7's strips are at most about this wide */

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
    int T = c->ktok.n_all, q = p->cross ? -1 : p->token;
    bool *keep = calloc((size_t)T, sizeof *keep);
    ranked *order = malloc((size_t)T * sizeof *order);
    int n = 0;
    if (!keep || !order) {
        free(keep);
        free(order);
        if (c->status == ATS_OK)
            c->status = ATS_ERR_NOMEM;
        rows[0] = q < 0 ? (prow){.token = -1, .first = 0, .last = T - 1}
                        : (prow){.token = q, .first = q, .last = q};
        return 1;
    }
    for (int j = 0; j < T; j++)
        if (j != q && c->ktok.pos[j] >= 0)
            order[n++] = (ranked){isfinite(p->weights[j]) ? p->weights[j] : 0.0f, j};
    qsort(order, (size_t)n, sizeof *order, by_weight);
    int count = 1; /* one collapsed run holding every key */
    for (int i = q < 0 ? 0 : -1; i < n; i++) {
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

static bool causal_whatif(const pctx *P) {
    return P->p->causal != P->c->d->causal;
}

static void make_texts(pctx *P) {
    const ats_pipeline_data *p = P->p;
    step_text *t = P->steps;
    memset(t, 0, sizeof P->steps);
    snprintf(t[1].title, sizeof t[1].title, "Token vectors");
    snprintf(t[1].cap[0], sizeof t[1].cap[0], "x entering layer %d", p->layer);
    if (p->cross) { /* K and V read the encoder's output; q the decoder's normed state */
        snprintf(t[1].title, sizeof t[1].title, "Encoder output");
        snprintf(t[1].cap[0], sizeof t[1].cap[0], "the source's tokens, %d numbers each",
                 p->d_model);
        snprintf(t[1].cap[1], sizeof t[1].cap[1], "K and V come from these");
    } else if (p->pre_norm)
        snprintf(t[1].cap[1], sizeof t[1].cap[1], "normalised before q, k, v");
    else
        snprintf(t[1].cap[1], sizeof t[1].cap[1], "%d numbers each", p->d_model);

    snprintf(t[2].title, sizeof t[2].title, "Queries, keys, values");
    snprintf(t[2].cap[0], sizeof t[2].cap[0], "q of the query token (top row)");
    if (p->cross) {
        snprintf(t[2].cap[0], sizeof t[2].cap[0], "q of the decoder token (top row)");
        snprintf(t[2].cap[1], sizeof t[2].cap[1], "k and v of every encoder token");
    } else if (p->kv_head != p->head)
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
    } else if (p->cross && p->scaling && p->scale == 1.0f) { /* T5's cross-attention */
        snprintf(t[4].cap[0], sizeof t[4].cap[0],
                 "no \xC3\xB7 \xE2\x88\x9A"
                 "d_k (T5)");
        snprintf(t[4].cap[1], sizeof t[4].cap[1], "no position bias");
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
void ats_pipe_query_label(const pctx *P, char *out, size_t n) {
    const char *s = P->c->tok.labels[P->p->token];
    size_t len = strlen(s);
    if (len > 40) {
        len = 40;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    snprintf(out, n, "%.*s%s", (int)len, s, len < strlen(s) ? "\xE2\x80\xA6" : "");
}

void ats_pipe_title_detail(const pctx *P, char *out, size_t n) {
    const ats_pipeline_data *p = P->p;
    char kv[32] = "";
    if (p->kv_head != p->head)
        snprintf(kv, sizeof kv, " (KV head %d)", p->kv_head);
    char q[64];
    ats_pipe_query_label(P, q, sizeof q);
    snprintf(out, n, "layer %d \xC2\xB7 head %d%s \xC2\xB7 %squery '%s' (token %d)", p->layer,
             p->head, kv, p->cross ? "decoder " : "", q, p->token);
}

void ats_pipe_caption_line(const pctx *P, char *out, size_t n) {
    out[0] = '\0';
    if (P->p->caption && *P->p->caption)
        snprintf(out, n, "L%d H%d \xE2\x80\x94 %.200s", P->p->layer, P->p->head, P->p->caption);
}

void ats_pipe_col_label(const pctx *P, int col, char *out, size_t n) {
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

void ats_pipe_gap_label(const prow *r, char *out, size_t n) {
    int k = r->last - r->first + 1;
    snprintf(out, n, "\xE2\x8B\xAF %d key%s", k, k == 1 ? "" : "s");
}

/* ---- layout -------------------------------------------------------------------------------- */

float ats_pipe_measure(const pctx *P, const char *s, float size, bool bold) {
    return ats_font_measure(P->c->font, s, size, bold);
}

float ats_pipe_line_h(const pctx *P, float size) {
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
    float lh = ats_pipe_line_h(P, size);
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
            if (fit > i && ats_pipe_measure(P, line, size, false) > max_w)
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

float ats_pipe_wrapped(pctx *P, float x, float y, const char *s, float size, ats_rgba color,
                       float max_w) {
    return wrap_text(P, x, y, s, size, color, max_w, true, NULL);
}

/* The note under step 7's projection. */
const char *ats_pipe_multi_note(const pctx *P, char *out, size_t n) {
    snprintf(out, n, "the attention output: %d numbers", P->p->d_model);
    return out;
}

/* Width a step's header needs: the numbered title and its two captions (a little slack, so that
 * rounding never cuts them). */
static float header_width(const pctx *P, int step) {
    const pgeom *g = &P->g;
    const step_text *t = &P->steps[step];
    float w = 2.0f * 9.0f * g->u + 7.0f * g->u + ats_pipe_measure(P, t->title, g->head_size, true);
    for (int i = 0; i < 2; i++)
        w = fmaxf(w, ats_pipe_measure(P, t->cap[i], g->small_size, t->whatif[i]));
    return w + 2.0f * g->u;
}

/* Width a cut vector needs after its cells: "… 8 more" and "‖v‖ 12.3", or in a narrow layout
 * "+8". */
static float trunc_width(const pctx *P, float size, bool narrow) {
    if (narrow)
        return 6.0f * P->g.u + ats_pipe_measure(P, "+000", size, false);
    return 6.0f * P->g.u + ats_pipe_measure(P, "\xE2\x80\xA6 000 more", size, false) +
           8.0f * P->g.u + ats_pipe_measure(P, "\xE2\x80\x96wv\xE2\x80\x96 -0.000", size, false);
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
    g->title_bottom = m + ats_pipe_line_h(P, UI_TITLE * u);
    char cap[256];
    ats_pipe_caption_line(P, cap, sizeof cap);
    g->sub_y = g->title_bottom + 8.0f * u;
    g->sub_h = P->badge[0] || cap[0] ? 24.0f * u : 0.0f;
    float top = g->sub_y + g->sub_h + 14.0f * u;

    /* the token label column (the query's label sits above it, over the q row) */
    char s[96];
    g->wl = ats_pipe_measure(P, "token", g->small_size, false);
    for (int r = 0; r < n_rows; r++) {
        if (g->rows[r].token >= 0) {
            g->wl =
                fmaxf(g->wl, ats_pipe_measure(P, c->ktok.labels[g->rows[r].token], g->label_size,
                                              g->rows[r].token == ats_pipe_query_row(P)));
        } else {
            ats_pipe_gap_label(&g->rows[r], s, sizeof s);
            g->wl = fmaxf(g->wl, ats_pipe_measure(P, s, g->small_size, false));
        }
    }
    g->wl = fminf(g->wl, UI_LABEL_WIDTH * u) + 8.0f * u;

    /* the columns' widths */
    g->nx = p->d_model <= INPUT_ALL ? p->d_model : INPUT_FIRST;
    g->cx = clampf((cf.narrow ? 128.0f : 256.0f) / (float)g->nx, 1.5f, 10.0f) * u;
    g->nk = cf.nk < p->d_head ? cf.nk : p->d_head;
    g->cw = ats_pipe_measure(P, "-.00456", g->value_size, false) + 6.0f * u;
    g->narrow = cf.narrow;
    g->trunc_w = trunc_width(P, g->value_size, cf.narrow);
    g->num_w = ats_pipe_measure(P, "-0.0456", g->value_size, false) + 10.0f * u;
    float num_w = g->num_w + 8.0f * u;
    g->w_col[COL_X] = (float)g->nx * g->cx + (g->nx < p->d_model ? g->trunc_w : 0);
    g->w_col[COL_K] = (float)g->nk * g->cw + (g->nk < p->d_head ? g->trunc_w : 0);
    g->w_col[COL_V] = g->w_col[COL_K];
    g->w_col[COL_SCORE] = num_w;
    g->w_col[COL_SCALED] = num_w;
    g->bar_w = (cf.narrow ? 80.0f : 110.0f) * u;
    g->w_col[COL_WEIGHT] = g->bar_w + 8.0f * u +
                           fmaxf(ats_pipe_measure(P, "\xCE\xA3 0.0456", g->value_size, false),
                                 ats_pipe_measure(P, "masked", g->value_size, false));
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
    g->head_h = 18.0f * u + 2.0f * ats_pipe_line_h(P, g->small_size) + 8.0f * u;
    g->qrow_h = g->row_h + 6.0f * u;
    g->clab_h = ats_pipe_line_h(P, g->small_size) + 4.0f * u;
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
    g->mh_cell = clampf((content_max * u - (float)(H - 1) * g->mh_gap) / (float)(H * dh), 0.05f * u,
                        10.0f * u);
    g->mh_block_w = (float)dh * g->mh_cell;
    g->mh_proj_w =
        (float)p->d_model * clampf(content_max * u / (float)p->d_model, 0.05f * u, 10.0f * u);
    float content = fmaxf((float)H * g->mh_block_w + (float)(H - 1) * g->mh_gap, g->mh_proj_w);
    float mh_w = fmaxf(content, header_width(P, 7));
    mh_w = fmaxf(mh_w, ats_pipe_measure(P, "concatenated", g->small_size, false));
    float lh = ats_pipe_line_h(P, g->small_size);
    g->mh_note_lines = wrap_count(P, ats_pipe_multi_note(P, s, sizeof s), g->small_size, mh_w);
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
    int wanted = P->c->ktok.n < PIPE_ROWS_MAX ? P->c->ktok.n : PIPE_ROWS_MAX;
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
                                    {2, 0, 0, false, true, 0}, {1, 0, 0, true, true, 0},
                                    {2, 0, 0, true, false, 0}, {2, 0, 0, true, true, 0}};
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

/* The rows configuration cf shows at unit u. */
static int rows_at(pctx *P, float u, pconf cf) {
    layout(P, u, cf);
    return P->g.n_rows;
}

/* The largest unit in [lo, hi] (to 2%) at which some configuration fits w x h with at least
 * `rows` rows, and that configuration; 0 when none does at lo. */
static float largest_unit(pctx *P, float w, float h, float lo, float hi, int rows, pconf *best) {
    pconf cf;
    if (!(choose(P, lo, w, h, &cf) && rows_at(P, lo, cf) >= rows))
        return 0;
    *best = cf;
    float ok = lo;
    while (hi - ok > 0.02f * hi) {
        float mid = 0.5f * (ok + hi);
        if (choose(P, mid, w, h, &cf) && rows_at(P, mid, cf) >= rows)
            ok = mid, *best = cf;
        else
            hi = mid;
    }
    return ok;
}

/* Lays out for a w x h view (natural size: w = h = 0). The view's own area: the configuration
 * that shows the most at the state's ui scale (every text at least UI_SMALL), then everything
 * scaled up to fill the area (at most 1.6x); a view too small for even the most compact one
 * scales that down. Natural size (exports): every row and dimension, in one band or two,
 * whichever fills a 1920 x 1080 screen better. */
void ats_pipe_fit(pctx *P, float w, float h) {
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
    /* at the state's size when it shows the query and a few keys (ROWS_WANT rows); else the
     * largest unit, down to the size without presentation scaling, that shows as many rows as
     * can be (more than at the state's size); else the largest at which anything fits (text
     * shrinks rather than the steps folding away) */
    int want = P->c->ktok.n < ROWS_WANT ? P->c->ktok.n : ROWS_WANT;
    float base = ui / fmaxf(P->c->st->present_scale, 1.0f), u = ui;
    pconf cf;
    bool fits = choose(P, ui, w, h, &cf);
    if (!fits || rows_at(P, ui, cf) < want) {
        pconf best;
        float found = 0;
        int have = fits ? rows_at(P, ui, cf) : 0;
        for (int r = want; found == 0 && r > have && r > ROWS_MIN; r--)
            found = largest_unit(P, w, h, base, ui, r, &best);
        if (found == 0 && !fits) /* the query alone, as large as fits but legible */
            found = largest_unit(P, w, h, base, ui, 0, &best);
        if (found == 0 && !fits) /* too small even for that: smaller text */
            found = largest_unit(P, w, h, 0.2f * ui, base, 0, &best);
        if (found > 0)
            u = found, cf = best, fits = true;
    }
    if (!fits)
        cf.max_rows = ROWS_MIN;
    layout(P, u, cf);
    float f = fminf(w / P->g.width, h / P->g.height);
    if (fits && f < 1.05f)
        return;
    layout(P, u * clampf(f, 0.2f, 1.6f), cf);
}

void ats_pipe_init(pctx *P, view_ctx *c) {
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
    ats_pipe_init(P, c);
    ats_pipe_fit(P, 0, 0);
    char detail[256];
    ats_pipe_title_detail(P, detail, sizeof detail);
    *w = fmaxf(P->g.width,
               ats_view_title_width(c->st, c->d, c->font, detail) + 2 * UI_MARGIN * c->ui);
    *h = P->g.height;
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
