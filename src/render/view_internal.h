/* Shared by the view builders: the look (colours, sizes), the build context, the layout kept
 * for hit tests, and drawing helpers that remember the first failure. */
#ifndef ATS_VIEW_INTERNAL_H
#define ATS_VIEW_INTERNAL_H

#include "render_internal.h"

/* ---- the look ------------------------------------------------------------------------------ */

static const ats_rgba COLOR_BG = {255, 255, 255, 255};
static const ats_rgba COLOR_INK = {31, 35, 40, 255};       /* labels, titles */
static const ats_rgba COLOR_MUTED = {96, 104, 114, 255};   /* captions, special tokens */
static const ats_rgba COLOR_FAINT = {208, 215, 222, 255};  /* borders, separators */
static const ats_rgba COLOR_MASKED = {236, 238, 241, 255}; /* causal masked cells */
static const ats_rgba COLOR_HATCH = {186, 192, 199, 255};  /* their diagonal hatching */
static const ats_rgba COLOR_FOCUS = {255, 236, 179, 255};  /* behind a focused token label */
static const ats_rgba COLOR_WHITE = {255, 255, 255, 255};

/* Sizes at ui scale 1, in pixels. Every text is at least 12 pixels (em) at ui scale 1: a view
 * that has no room for that shows fewer items, and says how many more there are. */
#define UI_MARGIN      22.0f
#define UI_TITLE       18.0f
#define UI_TEXT        14.0f
#define UI_SMALL       12.0f  /* captions, ticks, values: the legible minimum */
#define UI_LABEL_MAX   14.0f  /* token labels at most */
#define UI_LABEL_MIN   12.0f  /* token labels at least; sparser labels below this */
#define UI_LABEL_WIDTH 170.0f /* token labels are cut beyond this */

/* ---- tokens shown -------------------------------------------------------------------------- */

typedef struct token_set {
    int n_all;     /* T */
    int n;         /* shown */
    int *shown;    /* (n) index into the run's tokens, increasing */
    int *pos;      /* (T) position in `shown`, or -1 when hidden */
    char **labels; /* (T) display labels: control characters made visible, spaces trimmed */
} token_set;

/* ---- layout kept for hit tests and zoom ------------------------------------------------------ */

#define PIPE_ROWS_MAX 24 /* pipeline: table rows at most (keys and rows of collapsed keys) */

typedef struct frect {
    float x, y, w, h;
} frect;

static inline bool frect_has(frect r, float x, float y) {
    return x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
}

typedef struct view_layout {
    ats_view_kind kind;
    float ui; /* ui_scale used */
    int n_shown;
    int *shown; /* (n_shown) token indices, owned by the view */
    int n_kshown;
    int *kshown; /* (n_kshown) key token indices: `shown` unless the keys are other tokens */
    /* heatmap */
    frect avail; /* the largest area the matrix may fill */
    frect plot;  /* the visible part of the matrix */
    frect row_labels, col_labels;
    float fit_cell, cell, pan_q, pan_k, zoom;
    /* lines */
    frect left, right; /* label columns */
    float rows_y, row_h;
    int first_row, first_key; /* the window's first shown query and key */
    int window_rows;          /* rows in the window; 0 when every token shows */
    int n_legend;
    frect legend[ATS_MAX_HEADS];
    /* grid */
    frect grid; /* thumbnails area */
    float pitch_x, pitch_y;
    int n_layer, n_head;
    /* pipeline */
    int n_rows;
    int row_token[PIPE_ROWS_MAX]; /* the key of each table row; -1 for a row of collapsed keys */
    int n_bands;
    frect band_rows[2]; /* each band's key rows, token labels included */
    float row_pitch;
    frect query_row; /* the row of q above the keys */
    int query_token;
    frect blocks; /* multi-head step: the heads' output blocks */
    float block_pitch;
    /* aggregate: the "attention received" bars (one a key column) and the coloured text */
    frect bars;
    int n_chips;
    frect *chips; /* (n_chips) the text's tokens, owned by the view (NULL when none) */
    int *chip_token;
} view_layout;

/* ---- grid thumbnails kept between builds ---------------------------------------------------- */

/* The window rebuilds the grid on every pointer move; its thumbnails change only with the data
 * and the colours, and computing them reads every weight of the model (L x H x T x T). */
typedef struct thumb_cache {
    uint64_t key;    /* fingerprint of the data and options they were made from; 0: empty */
    int count, m;    /* images held (L x H, layer-major) and their rows */
    int mk;          /* and their columns (m unless the keys are other tokens) */
    uint8_t *pixels; /* (count, m, m, 4) RGBA */
    size_t cap;      /* bytes at pixels */
} thumb_cache;

/* ---- build context ------------------------------------------------------------------------- */

typedef struct view_ctx {
    const ats_view_state *st;
    const ats_view_data *d;
    ats_font *font;
    ats_dl *dl;
    float w, h, ui;
    token_set tok;     /* the queries (and the keys when they are the same tokens) */
    token_set ktok;    /* the keys: a copy of tok, or cross-attention's own key tokens */
    bool cross;        /* keys are other tokens than the queries (data->n_keys > 0) */
    ats_rgba lut[256]; /* the colormap */
    /* the colours of the head being drawn (ats_view_color_range): weights vmin .. vmax on a
     * sequential map, -m .. m (m the larger magnitude) on a diverging one; with the row scale
     * 0 .. 1 of each row's own largest weight (ats_view_row_mult) */
    float vmin, vmax;
    bool per_row;
    float **renorm;    /* (L * H) with renormalization: each head's row factors (T), made on first
                          use (ats_view_row_factors) and freed with the build */
    uint8_t **scratch; /* a reusable image buffer owned by the view */
    size_t *scratch_cap;
    thumb_cache *thumbs; /* owned by the view */
    view_layout *lay;
    ats_status status; /* first failure of a drawing call */
} view_ctx;

/* Keys of a row: n_keys for cross-attention, else the tokens themselves. */
static inline int n_keys_of(const ats_view_data *d) {
    return d->n_keys > 0 ? d->n_keys : d->n_tokens;
}

/* ---- the weights as the views show them (view_weights.c) --------------------------------- */

/* Head (layer, head)'s factor for each query row (T): 1 / the weight the row's shown keys hold,
 * when hidden special tokens renormalize the rows; NULL when they do not (every factor 1), or
 * out of memory (c->status set). */
const float *ats_view_row_factors(view_ctx *c, int layer, int head);
/* attention[layer][head][q][k] as shown (renormalized when the rows are); 0 for a head that
 * cannot be had. */
float ats_view_weight(view_ctx *c, int layer, int head, int q, int k);
/* The state's colour scale for `d`: values that are not the weights themselves (d->measure) are
 * coloured over their own range rather than 0 .. 1. */
ats_color_scale ats_view_effective_scale(const ats_view_state *st, const ats_view_data *d);
/* Sets c->vmin, c->vmax and c->per_row for one head under the state's colour scale. */
void ats_view_color_range(view_ctx *c, int layer, int head);
/* What query row q's shown weights are multiplied by before they are coloured: its renormalizing
 * factor, and with the row scale 1 / the row's largest shown weight. */
float ats_view_row_mult(view_ctx *c, int layer, int head, int q);
/* The weight the hidden special keys take from query row q (raw weights; 0 when none hidden). */
float ats_view_hidden_weight(view_ctx *c, int layer, int head, int q);
/* Some key is a special token the state hides (the views then say what became of its weight). */
bool ats_view_hides_keys(const view_ctx *c);
/* Frees the renormalizing factors of a build. */
void ats_view_weights_free(view_ctx *c);
/* The range of one head's weights under `st`'s colour scale as the views show them (lo, hi;
 * the row scale gives 0, 1), for the colour bar and the exports' metadata. */
void ats_attention_range(const ats_view_data *d, const ats_view_state *st, int layer, int head,
                         float *lo, float *hi);

/* The colour of a shown weight v (already multiplied by its row's ats_view_row_mult). */
static inline ats_rgba value_color(const view_ctx *c, float v) {
    float t;
    if (ats_colormap_is_diverging(c->st->colormap)) {
        float m = fmaxf(fabsf(c->vmin), fabsf(c->vmax));
        t = 0.5f + 0.5f * v / (m > 0 ? m : 1.0f);
    } else {
        float span = c->vmax - c->vmin;
        t = (v - c->vmin) / (span > 0 ? span : 1.0f);
    }
    t = t > 0 ? (t < 1 ? t : 1) : 0; /* NaN: the low end */
    return c->lut[(int)(t * 255.0f + 0.5f)];
}

static inline bool is_special(const view_ctx *c, int token) {
    return c->d->special && c->d->special[token];
}
static inline bool is_key_special(const view_ctx *c, int key) {
    return c->cross ? c->d->key_special && c->d->key_special[key] : is_special(c, key);
}

/* A text style; extras (angle, max_width, bold) are set by the caller. */
static inline ats_text_style tstyle(float size, ats_rgba color, ats_align al, ats_valign va) {
    return (ats_text_style){.size = size, .color = color, .align = al, .valign = va};
}

/* Drawing that records the first failure in c->status. */
void ats_view_rect(view_ctx *c, float x, float y, float w, float h, float radius, ats_rgba color);
void ats_view_line(view_ctx *c, float x0, float y0, float x1, float y1, float width,
                   ats_rgba color);
void ats_view_circle(view_ctx *c, float cx, float cy, float radius, ats_rgba color);
void ats_view_text(view_ctx *c, float x, float y, const char *s, const ats_text_style *style);
void ats_view_image(view_ctx *c, float x, float y, float w, float h, const uint8_t *rgba, int iw,
                    int ih);
void ats_view_clip(view_ctx *c, float x, float y, float w, float h);
void ats_view_unclip(view_ctx *c);
/* Outline of a rectangle as four butt-capped strokes of `width` inside its edge. */
void ats_view_outline(view_ctx *c, float x, float y, float w, float h, float width, ats_rgba color);

/* A (n, n) RGBA scratch image of the view, grown as needed; NULL and c->status set on failure. */
uint8_t *ats_view_scratch(view_ctx *c, size_t bytes);

/* A head's title detail: "layer 3 · head 5", with " · ablated" for a head the run switched off
 * and " · <measure>" when the values are not the weights themselves. */
void ats_view_head_detail(const ats_view_data *d, int layer, int head, char *out, size_t size);

/* The title line at the top: the model's name in bold, then `detail`. Returns its bottom. */
float ats_view_title(view_ctx *c, const char *detail);
/* Width the title line needs. */
float ats_view_title_width(const ats_view_state *st, const ats_view_data *d, ats_font *font,
                           const char *detail);

/* Distinct colour of head h: ten well-separated hues, then golden-angle hues. */
ats_rgba ats_head_color(int head);

/* Widest label among the shown tokens (queries, or with `keys` the keys) at `size`, capped at
 * UI_LABEL_WIDTH * ui. */
float ats_widest_label(const view_ctx *c, float size);
float ats_widest_key_label(const view_ctx *c, float size);

/* Colour bar with ticks and a masked-cell key: at x, y, height h. Returns the width it took.
 * With `measure_only` nothing is drawn. */
float ats_view_colorbar(view_ctx *c, float x, float y, float h, bool measure_only);
/* A (mq, mk) image (rows, columns) of one head's attention through the colormap (against
 * c->vmax), mq = ceil(shown queries / step), mk = ceil(shown keys / step): pixel (i, j) is the
 * mean over shown queries [i*step, (i+1)*step) and keys [j*step, (j+1)*step). Masked cells of a
 * causal model are left out of the mean and make the pixel transparent in proportion. Borrowed
 * scratch memory; NULL (and c->status set) on failure. */
const uint8_t *ats_attention_image(view_ctx *c, int layer, int head, int step, int *mq, int *mk);
/* Diagonal hatching over the masked (key after query) cells of a matrix whose top-left corner
 * is at (ox, oy) with cells of `cell` pixels, inside the clip rectangle `area`. */
void ats_masked_hatching(view_ctx *c, float ox, float oy, float cell, int n, frect area);

/* The same below the band of a sliding window: cells whose key is `window` or more tokens before
 * their query (every token shown). */
void ats_window_hatching(view_ctx *c, float ox, float oy, float cell, int n, int window,
                         frect area);

/* The sliding window of `layer` (0 when the data has none). */
static inline int ats_view_window(const ats_view_data *d, int layer) {
    return d->windows && layer >= 0 && layer < d->n_layer ? d->windows[layer] : 0;
}

/* The builders. Each lays out and draws into c->dl and fills c->lay. */
void ats_heatmap_build(view_ctx *c);
void ats_lines_build(view_ctx *c);
void ats_grid_build(view_ctx *c);
void ats_pipeline_build(view_ctx *c);
void ats_aggregate_build(view_ctx *c);
void ats_heatmap_natural_size(view_ctx *c, float *w, float *h);
void ats_lines_natural_size(view_ctx *c, float *w, float *h);
void ats_grid_natural_size(view_ctx *c, float *w, float *h);
void ats_pipeline_natural_size(view_ctx *c, float *w, float *h);
void ats_aggregate_natural_size(view_ctx *c, float *w, float *h);
ats_hit ats_heatmap_hit(const view_layout *lay, float x, float y);
ats_hit ats_lines_hit(const view_layout *lay, float x, float y);
ats_hit ats_grid_hit(const view_layout *lay, float x, float y);
ats_hit ats_pipeline_hit(const view_layout *lay, float x, float y);
ats_hit ats_aggregate_hit(const view_layout *lay, float x, float y);

#endif
