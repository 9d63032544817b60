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

/* Sizes at ui_scale 1, in pixels. */
#define UI_MARGIN      22.0f
#define UI_TITLE       17.0f
#define UI_TEXT        13.0f
#define UI_SMALL       11.0f
#define UI_LABEL_MAX   13.0f  /* token labels at most */
#define UI_LABEL_MIN   9.0f   /* token labels at least; sparser labels below this */
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
    float vmax;        /* the weight of the top colour: 1, or with the auto scale the head's max */
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

/* attention[layer][head][q][k]; 0 for a head that cannot be had */
static inline float attn_at(const view_ctx *c, int layer, int head, int q, int k) {
    const float *a = ats_view_data_head(c->d, layer, head);
    return a ? a[(size_t)q * (size_t)n_keys_of(c->d) + (size_t)k] : 0.0f;
}

/* The colour of attention value v: [0, vmax] on sequential maps, [-vmax, vmax] on diverging
 * ones. */
static inline ats_rgba value_color(const view_ctx *c, float v) {
    float t = v / c->vmax;
    t = ats_colormap_is_diverging(c->st->colormap) ? 0.5f * (t + 1.0f) : t;
    t = t > 0 ? (t < 1 ? t : 1) : 0; /* NaN: the low end */
    return c->lut[(int)(t * 255.0f + 0.5f)];
}

/* The largest weight (in magnitude) of one head among the tokens shown (special ones left out
 * with hide_special), masked cells left out, and in a causal model the first token's row too:
 * it can attend only to itself, so its weight is always 1 and says nothing about the head. 1
 * when there is no other weight or all are zero, so that it can divide. */
float ats_attention_max(const ats_view_data *d, bool hide_special, int layer, int head);
/* The weight of the top colour for one head: 1, or its ats_attention_max with the auto scale. */
float ats_view_scale_max(const view_ctx *c, int layer, int head);

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
