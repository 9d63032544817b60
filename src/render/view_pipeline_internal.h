/* The pipeline (teaching) view, shared by its two halves: view_pipeline_layout.c (which keys
 * get a row, the texts, every column's and band's place at a unit size, the fit to the area, the
 * hits) and view_pipeline_draw.c (cells, bars, strips, headers and the highlighted step, drawn
 * from that geometry).
 *
 * The view: one head's attention formula for one query token, step by step,
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
 * highlighted. Cross-attention (T5, p->cross): the rows are the encoder's tokens (c->ktok), step
 * 1 shows the encoder's output they come from, and the query is the decoder token above them. The
 * steps sit left to right in one band, or in two: the vectors (steps 1-2), then the computation for
 * the query (3-6) with the multi-head step beside it; whichever shows the view larger in the area
 * given (for exports: in a 1920 x 1080 screen, so that a figure fills a projector: two bands for
 * the demo's d_head 16, one for long texts at d_head 8). Signed numbers are cells on the diverging
 * map with their values written (every value when d_head <= 16; else the first 8, an ellipsis and
 * the norm); the token vectors (d_model wide) are drawn as unlabelled cells.
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
#ifndef ATS_RENDER_VIEW_PIPELINE_INTERNAL_H
#define ATS_RENDER_VIEW_PIPELINE_INTERNAL_H

#include "view_internal.h"

#define MULTI_WHATIF_NOTE "the model's own outputs: the what-if changes steps 4 to 6 only"

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

/* The key row that is the query's own, or -1 for cross-attention (T5), whose keys are the
 * encoder's tokens (c->ktok) and whose query, a decoder token, stands above them only. */
static inline int ats_pipe_query_row(const pctx *P) {
    return P->p->cross ? -1 : P->p->token;
}

/* ---- from the layout, for the drawing -------------------------------------------------------- */

/* Starts a build: the context, the diverging map, the step texts. */
void ats_pipe_init(pctx *P, view_ctx *c);
/* Lays out for a w x h view (natural size: w = h = 0): the arrangement (bands, dimensions
 * written, narrow vectors, step 7 beside or below, rows) that shows the most with every text at
 * full size, then scaled up to fill the area; natural size: everything, one band or two. */
void ats_pipe_fit(pctx *P, float w, float h);
float ats_pipe_measure(const pctx *P, const char *s, float size, bool bold);
float ats_pipe_line_h(const pctx *P, float size);
/* The texts: the query's label (at most 40 bytes, cut between characters), the title's detail,
 * the caption line, a column's label, a row of collapsed keys' label. */
void ats_pipe_query_label(const pctx *P, char *out, size_t n);
void ats_pipe_title_detail(const pctx *P, char *out, size_t n);
void ats_pipe_caption_line(const pctx *P, char *out, size_t n);
void ats_pipe_col_label(const pctx *P, int col, char *out, size_t n);
void ats_pipe_gap_label(const prow *r, char *out, size_t n);
/* The words of s drawn in lines of at most max_w from (x, y) down; returns their height. */
float ats_pipe_wrapped(pctx *P, float x, float y, const char *s, float size, ats_rgba color,
                       float max_w);
/* The note under step 7's projection ("the attention output: 64 numbers"). */
const char *ats_pipe_multi_note(const pctx *P, char *out, size_t n);

#endif
