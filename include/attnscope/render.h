/* attnscope render: views drawn as display lists, a software rasterizer into caller-owned RGBA
 * memory, and SVG / PNG writers. It draws from plain arrays (token labels, attention matrices)
 * and knows nothing of the engine's internals.
 *
 * How a program draws a view (the window does this every frame that something changed):
 *
 *     ats_font *font;      ats_font_open(NULL, &font, &err);          // DejaVu Sans via fontconfig
 *     ats_view *view;      ats_view_new(&view);
 *     ats_view_state st = ats_view_state_default();                    // what the person chose
 *     ats_view_data data = {...};                                      // tokens and attention
 *     ats_view_build(view, &st, &data, font, width, height, &err);    // -> display list + layout
 *     ats_canvas c = ats_canvas_make(pixels, width, height, width * 4);
 *     ats_render_draw(&c, ats_view_display_list(view), font, 1.0f, &err);
 *     ats_hit hit = ats_view_hit_test(view, mouse_x, mouse_y);        // hover and click
 *
 * The same display list goes to ats_export_png (re-drawn at a scale factor, not enlarged) and
 * ats_export_svg, so an exported file is what the canvas shows.
 *
 * Coordinates are floats in pixels of the view's own size, origin at the top-left corner, y
 * down; pixel (i, j) covers [i, i+1) x [j, j+1). Angles are degrees, positive clockwise on
 * screen (as SVG's rotate()). Colours are 8-bit sRGB with straight (not premultiplied) alpha.
 *
 * Ownership: every *_new / *_open has a matching *_free that accepts NULL. Getters return
 * borrowed pointers valid until their owner is freed or rebuilt. None of these objects may be
 * used from two threads at once; separate objects may (each thread with its own font).
 *
 * Errors: fallible calls return an ats_status and, when `err` is not NULL, fill it with one line
 * naming the file or argument and what is wrong.
 */
#ifndef ATTNSCOPE_RENDER_H
#define ATTNSCOPE_RENDER_H

#include "attnscope/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- colours and colormaps --------------------------------------------------------------- */

typedef struct ats_rgba {
    uint8_t r, g, b, a;
} ats_rgba;

typedef enum ats_colormap {
    ATS_COLORMAP_VIRIDIS,  /* default; perceptually uniform, dark blue to yellow */
    ATS_COLORMAP_MAGMA,    /* perceptually uniform, black through purple to pale yellow */
    ATS_COLORMAP_CIVIDIS,  /* perceptually uniform and readable with colour-vision deficiency */
    ATS_COLORMAP_GREYS,    /* white to black */
    ATS_COLORMAP_COOLWARM, /* diverging blue - grey - red, for signed values */
    ATS_COLORMAP_COUNT,
} ats_colormap;

/* "viridis", "magma", "cividis", "greys", "coolwarm". */
const char *ats_colormap_name(ats_colormap map);
/* Accepts the names above (case-insensitive) and "diverging" for coolwarm. */
bool ats_colormap_from_name(const char *name, ats_colormap *out);
/* True for maps whose middle is neutral (coolwarm): they show [-max, max] rather than [0, max]. */
bool ats_colormap_is_diverging(ats_colormap map);
/* The colour at t in [0, 1] (clamped; NaN gives the low end). Opaque. */
ats_rgba ats_colormap_sample(ats_colormap map, float t);

/* ---- numbers ----------------------------------------------------------------------------- */

typedef enum ats_number_style {
    ATS_NUMBER_PLAIN,   /* "0.0456", "1.00", "-12.3", "320", "4.56e-4", "1.23e5" */
    ATS_NUMBER_COMPACT, /* for a narrow cell: no leading zero below 1 (".0456", "-.500"), and
                           "≈0" for a nonzero magnitude under 1e-3 */
} ats_number_style;

/* The one number format of the views and the window: v with three significant digits (trailing
 * zeros kept: "0.500"), scientific below 1e-3 and from 1e5 in magnitude, "0" for zero, "nan",
 * "inf", "-inf". Returns what snprintf returns. */
int ats_format_number(char *out, size_t size, double v, ats_number_style style);

/* ---- fonts ------------------------------------------------------------------------------- */

typedef struct ats_font ats_font;

/* Opens the UI font: `path` NULL finds DejaVu Sans (regular and bold) through fontconfig; a file
 * path uses that file (bold then synthesised). Needs no display. */
ats_status ats_font_open(const char *path, ats_font **out, ats_error *err);
void ats_font_free(ats_font *font);
/* The file in use and its family name ("DejaVu Sans"). */
const char *ats_font_path(const ats_font *font);
const char *ats_font_family(const ats_font *font);
/* Advance width of `utf8` at `size` pixels (em size): what ats_dl_text will occupy. Codepoints
 * the font lacks count as the width of the box drawn for them. */
float ats_font_measure(ats_font *font, const char *utf8, float size, bool bold);
/* Line metrics at `size` pixels: ascent above the baseline, descent below it (both >= 0). */
void ats_font_metrics(ats_font *font, float size, float *ascent, float *descent);

/* A piece of one line of text in a single direction: bytes [start, end) of the line. */
typedef struct ats_bidi_run {
    size_t start, end;
    bool rtl; /* right to left: its characters are drawn from its right end */
} ats_bidi_run;

/* One line of UTF-8 text (no line break) as runs of one direction in the order they appear on
 * screen, left to right, by the Unicode bidirectional algorithm (FriBidi). The line's own
 * direction comes from its first strong character when `auto_direction` (a paragraph someone
 * typed), else it is left to right (labels in this left-to-right interface: "##ל" stays in that
 * order, a Hebrew or Arabic word still reads right to left). Writes at most `max` runs and
 * returns how many there are (at most one per character; 0 for an empty line). Any thread.
 * ats_dl_text draws every text this way, left to right. */
int ats_bidi_runs(const char *utf8, size_t len, bool auto_direction, ats_bidi_run *runs, int max);

/* ---- display lists ----------------------------------------------------------------------- */

typedef struct ats_dl ats_dl; /* an ordered list of drawing commands and the size they fill */

typedef enum ats_align {
    ATS_ALIGN_START,  /* x is the left end of the text (in its own direction) */
    ATS_ALIGN_CENTER, /* x is the middle */
    ATS_ALIGN_END,    /* x is the right end */
} ats_align;

typedef enum ats_valign {
    ATS_VALIGN_BASELINE, /* y is the baseline */
    ATS_VALIGN_TOP,      /* y is the top of the line box (ascent above the baseline) */
    ATS_VALIGN_MIDDLE,   /* y is the middle of the line box */
    ATS_VALIGN_BOTTOM,   /* y is the bottom of the line box (descent below the baseline) */
} ats_valign;

typedef struct ats_text_style {
    float size; /* em size in pixels */
    ats_rgba color;
    ats_align align;
    ats_valign valign;
    float angle;     /* degrees about the anchor, clockwise; -90 reads upwards */
    float max_width; /* > 0: text wider than this is cut and ends in an ellipsis */
    bool bold;
} ats_text_style;

typedef enum ats_cap {
    ATS_CAP_BUTT,  /* the stroke ends exactly at the end points */
    ATS_CAP_ROUND, /* a half disc beyond each end point */
} ats_cap;

typedef enum ats_image_filter {
    ATS_IMAGE_CELLS,  /* each source pixel is a flat cell; edges are area-weighted (heatmaps) */
    ATS_IMAGE_SMOOTH, /* bilinear (photographs, icons) */
} ats_image_filter;

ats_status ats_dl_new(float width, float height, ats_dl **out);
void ats_dl_free(ats_dl *dl);
/* Empties the list for reuse with a new size (keeps its memory). */
void ats_dl_reset(ats_dl *dl, float width, float height);
float ats_dl_width(const ats_dl *dl);
float ats_dl_height(const ats_dl *dl);
int ats_dl_count(const ats_dl *dl); /* commands held */

/* A filled rectangle with optional rounded corners (radius 0: square). */
ats_status ats_dl_rect(ats_dl *dl, float x, float y, float w, float h, float radius,
                       ats_rgba color);
/* A straight stroke of `width` pixels (anti-aliased; widths under 1 become fainter 1-pixel lines).
 */
ats_status ats_dl_line(ats_dl *dl, float x0, float y0, float x1, float y1, float width, ats_cap cap,
                       ats_rgba color);
/* A cubic Bezier stroke from (x0, y0) to (x1, y1) with control points c0 and c1; round joins, so
 * a translucent curve is one even stroke. */
ats_status ats_dl_curve(ats_dl *dl, float x0, float y0, float c0x, float c0y, float c1x, float c1y,
                        float x1, float y1, float width, ats_rgba color);
/* A filled disc. */
ats_status ats_dl_circle(ats_dl *dl, float cx, float cy, float radius, ats_rgba color);
/* Text (UTF-8; invalid bytes and control characters are drawn as missing-glyph boxes). The font
 * resolves vertical alignment and elision now, so the list is independent of the font after. */
ats_status ats_dl_text(ats_dl *dl, ats_font *font, float x, float y, const char *utf8,
                       const ats_text_style *style);
/* An image of iw x ih RGBA pixels (copied; `stride` in bytes) stretched over x, y, w, h. */
ats_status ats_dl_image(ats_dl *dl, float x, float y, float w, float h, const uint8_t *rgba, int iw,
                        int ih, int stride, ats_image_filter filter);
/* Restricts the following commands to the rectangle (intersected with any enclosing clip)
 * until the matching pop. */
ats_status ats_dl_push_clip(ats_dl *dl, float x, float y, float w, float h);
ats_status ats_dl_pop_clip(ats_dl *dl);
/* Appends every command of `src` moved by (dx, dy), inside a clip to src's own area: several
 * views side by side become one list (one figure to export). */
ats_status ats_dl_append(ats_dl *dl, const ats_dl *src, float dx, float dy);

/* The rectangle that holds what `dl` draws (each command's extent, inside its clips; a
 * rectangle covering the whole list, its background, left out). False when it draws nothing. */
bool ats_dl_content_bounds(const ats_dl *dl, ats_font *font, float *x, float *y, float *w,
                           float *h);
/* The whole-pixel rectangle of `dl` that holds its content bounds and `margin` around them
 * (within the list): what an export keeps of a view, so a figure has no blank band where the
 * view was wider or taller (the window crops its own canvas to it, pixel for pixel). */
void ats_dl_trim_rect(const ats_dl *dl, ats_font *font, float margin, int *x, int *y, int *w,
                      int *h);
/* A copy of `dl` moved and sized to ats_dl_trim_rect, its background resized with it (what a
 * vector export or an export at another scale draws). Free with ats_dl_free. */
ats_status ats_dl_trimmed(const ats_dl *dl, ats_font *font, float margin, ats_dl **out);

/* ---- canvas and rasterizer --------------------------------------------------------------- */

/* RGBA8 pixels in memory order r, g, b, a (SDL_PIXELFORMAT_RGBA32), owned by the caller. */
typedef struct ats_canvas {
    uint8_t *pixels;
    int width, height;
    int stride; /* bytes from one row to the next, >= 4 * width */
} ats_canvas;

ats_canvas ats_canvas_make(uint8_t *pixels, int width, int height, int stride);
/* The part of `c` at x, y, w, h (clipped to c), sharing its memory: draw a view into a region. */
ats_canvas ats_canvas_sub(ats_canvas c, int x, int y, int w, int h);
void ats_canvas_fill(ats_canvas c, ats_rgba color);

/* Draws every command of `dl` onto `c`, each coordinate and size multiplied by `scale` (1 for
 * the screen; 2 or 3 re-draws at print resolution; HiDPI windows pass their pixel ratio). Text
 * is re-rendered at the scaled size. */
ats_status ats_render_draw(ats_canvas *c, const ats_dl *dl, ats_font *font, float scale,
                           ats_error *err);

/* ---- views ------------------------------------------------------------------------------- */

typedef enum ats_view_kind {
    ATS_VIEW_HEATMAP,   /* one head: queries as rows, keys as columns */
    ATS_VIEW_LINES,     /* one layer: a line from each query to each key, heads overlaid */
    ATS_VIEW_GRID,      /* every layer x head as a thumbnail heatmap */
    ATS_VIEW_PIPELINE,  /* one head's attention formula step by step (needs ats_pipeline_data) */
    ATS_VIEW_AGGREGATE, /* heads taken together (mean, max, every layer, rollout) as a heatmap,
                           with the attention each token receives (needs
                           ats_view_data.aggregate) */
    ATS_VIEW_COUNT,
} ats_view_kind;

/* "heatmap", "lines", "grid", "pipeline", "aggregate". */
const char *ats_view_kind_name(ats_view_kind kind);
bool ats_view_kind_from_name(const char *name, ats_view_kind *out);

typedef enum ats_token_side {
    ATS_SIDE_QUERY, /* the token as the one attending (heatmap row, left column of lines) */
    ATS_SIDE_KEY,   /* the token as the one attended to (heatmap column, right column) */
} ats_token_side;

#define ATS_MAX_HEADS 256

/* Which weights the colours of a heatmap (and of the grid's thumbnails, and of the lines of one
 * head) span. The colour bar names the range, and exports carry it in their metadata. */
typedef enum ats_color_scale {
    ATS_COLOR_SCALE_FIXED,  /* 0 .. 1 (default): a colour means the same weight in every head, as
                               papers show it */
    ATS_COLOR_SCALE_AUTO,   /* 0 .. the largest weight shown (the heatmap's head; in the grid each
                               thumbnail its own; a causal model's first token, which can only
                               attend to itself, not counted): heads whose weights are all near
                               1/T still show their structure */
    ATS_COLOR_SCALE_MINMAX, /* the smallest .. the largest weight shown (the same rows left out) */
    ATS_COLOR_SCALE_ROW,    /* each query row 0 .. its own largest weight: where each token looks
                               most, however spread its row is */
    ATS_COLOR_SCALE_EXCLUDE_FIRST, /* 0 .. the largest weight off the first shown row and column:
                                      the first token often collects most of every row (an
                                      "attention sink") and would make the rest one colour */
    ATS_COLOR_SCALE_COUNT,
} ats_color_scale;

/* "fixed", "auto", "minmax", "row", "exclude-first". */
const char *ats_color_scale_name(ats_color_scale scale);
/* Accepts the names above (case-insensitive; also "min-max", "per-row", "exclude_first"). */
bool ats_color_scale_from_name(const char *name, ats_color_scale *out);

/* How the lines view chooses the lines it draws for each query and head. */
typedef enum ats_line_cut {
    ATS_LINE_CUT_TOP_K, /* the line_top_k strongest keys */
    ATS_LINE_CUT_MASS,  /* the strongest keys until their weights add up to line_mass of the row */
} ats_line_cut;

/* What the aggregate view shows for the selected layer (the numbers come in ats_view_data). */
typedef enum ats_aggregate {
    ATS_AGGREGATE_MEAN,    /* the mean over the layer's heads */
    ATS_AGGREGATE_MAX,     /* the largest weight of any of the layer's heads */
    ATS_AGGREGATE_ALL,     /* the mean over every layer and head */
    ATS_AGGREGATE_ROLLOUT, /* attention rollout through the layer (Abnar & Zuidema 2020) */
    ATS_AGGREGATE_COUNT,
} ats_aggregate;

/* "mean", "max", "all", "rollout". */
const char *ats_aggregate_name(ats_aggregate aggregate);
bool ats_aggregate_from_name(const char *name, ats_aggregate *out);

/* Everything that changes what is on screen. Token indices count every token of the run
 * (special ones included), whatever hide_special says; -1 means none. Out-of-range values
 * (a state outliving a shorter text) are treated as none, and zoom and pan are clamped. */
typedef struct ats_view_state {
    ats_view_kind view;
    int layer, head; /* heatmap: the head shown; lines: the layer; grid: the selected thumbnail */
    int hover_token; /* under the pointer (a label, a token chip of the window) */
    ats_token_side hover_side;
    int locked_token; /* clicked to stay: lines shows only its lines; heatmap outlines it */
    ats_token_side locked_side;
    int hover_query, hover_key;  /* heatmap: the cell under the pointer, with a readout */
    int hover_layer, hover_head; /* grid: the thumbnail under the pointer, previewed large */
    ats_line_cut line_cut;       /* lines: top-k or cumulative mass (default top 3) */
    int line_top_k;              /* lines: with ATS_LINE_CUT_TOP_K, 1 .. (default 3) */
    float line_mass;             /* lines: with ATS_LINE_CUT_MASS, in (0, 1] (default 0.9) */
    float line_threshold;        /* lines: weights below this are never drawn either, in [0, 1]
                                    (default 0) */
    uint64_t heads_off[ATS_MAX_HEADS / 64]; /* lines: bit h set hides head h (zero: all shown) */
    ats_colormap colormap;
    bool hide_special; /* leave out special tokens ([CLS], <s>) */
    bool renormalize;  /* with hide_special: each row divided by the weight its shown keys hold
                          (so rows sum to 1 again; the views say so); false: the weights stay,
                          and the heatmap shows each row's hidden weight in a column of its own */
    float zoom;        /* heatmap: 1 fits every token; 4 shows a quarter of them each way */
    float pan_query, pan_key; /* heatmap: first visible row and column, in cells; lines:
                                 pan_query is the first row shown of a long text */
    float ui_scale;           /* multiplies text, margins and strokes: presentation mode, HiDPI */
    float present_scale;      /* the part of ui_scale that is presentation size (Ctrl+plus; 1
                                 normal): the heatmap and the lines view keep this many times
                                 the cells and rows they would have at ui_scale / present_scale,
                                 so the figure grows with its labels; what no longer fits is a
                                 scroll away, and the view says how many more there are */
    int step; /* pipeline: 0 shows every step alike; 1..7 highlights that step and dims the
                 others (Space / Shift+Space in a lecture); other values count as 0. The query
                 token, the what-ifs and the numbers come from ats_pipeline_data. */
    ats_color_scale color_scale; /* heatmap and grid colours, and a single head's lines */
    ats_aggregate aggregate;     /* aggregate view: which matrix of the layer */
} ats_view_state;

#define ATS_PIPELINE_STEPS 7 /* vectors, q/k/v, q.k, scaling, softmax, weighted sum, multi-head */

ats_view_state ats_view_state_default(void);
bool ats_view_state_head_visible(const ats_view_state *st, int head);
void ats_view_state_set_head_visible(ats_view_state *st, int head, bool visible);
/* The colour the lines view draws head `head` in (for legends and toggles elsewhere). */
ats_rgba ats_view_head_color(int head);

/* One head's attention formula for one query token, for the pipeline view: the arrays
 * that ats_head_steps_compute and the run's layer details give, with the what-if switches the
 * numbers were computed with. rundata.h fills it from a run (ats_run_pipeline_make). */
typedef struct ats_pipeline_data {
    int layer, head;
    int kv_head; /* the key/value head this head reads (head under full multi-head attention) */
    int token;   /* the query token */
    int n_head, d_head, d_model;
    const char *caption; /* a one-line explanation of the head (builtin:demo), or NULL */
    /* the switches: scaling on or off, the mask used, the softmax temperature */
    bool scaling;           /* scores were divided by sqrt(d_k); false: the what-if "scaling off" */
    float scale;            /* what the scores were multiplied by: 1/sqrt(d_head), or 1 when off */
    bool causal;            /* keys after the query were masked (a what-if when it differs from the
                               model's, ats_view_data.causal) */
    float temperature;      /* softmax(scaled / temperature); a what-if when not 1 */
    bool pre_norm;          /* q, k, v come from the normalised input (GPT-2, Llama) */
    bool cross;             /* a decoder's cross-attention (T5): the query is data.tokens[token],
                               the keys (the (T) arrays, `input`, k, v) are data.key_tokens */
    const float *input;     /* (T, d_model) the token vectors entering the layer */
    const float *q;         /* (d_head) the query token's query (after RoPE where used) */
    const float *k;         /* (T, d_head) every token's key (after RoPE where used) */
    const float *v;         /* (T, d_head) every token's value */
    const float *scores;    /* (T) q . k_j */
    const float *bias;      /* (T) T5's relative position bias added to the scaled scores, or
                               NULL (the scaling step then shows "+ bias" rather than a scale) */
    const float *scaled;    /* (T) scores * scale (+ bias) */
    float softcap;          /* Gemma 2's attention soft-cap, or 0 */
    const float *capped;    /* (T) softcap * tanh(scaled / softcap) (what the softmax reads), or
                               NULL without a soft-cap */
    int window;             /* the layer's sliding window, or 0 */
    const bool *masked;     /* (T) keys the query may not see */
    const float *weights;   /* (T) softmax(scaled / temperature) over visible keys, 0 if masked */
    const float *output;    /* (d_head) sum_j weights_j v_j */
    const float *concat;    /* (n_head * d_head) every head's output for the query token, side by
                               side, as the model computed them (no what-if) */
    const float *projected; /* (d_model) concat projected by W_O (+ bias): the attention output */
} ats_pipeline_data;

/* What a view draws from: plain arrays, borrowed for the duration of a build. */
typedef struct ats_view_data {
    const char *model_name; /* for the title */
    const char *text;       /* the input text (metadata only; may be NULL) */
    int n_layer, n_head, n_tokens;
    const char *const *tokens;         /* (T) UTF-8 labels (token pieces) */
    const bool *special;               /* (T) or NULL: none special */
    const float *attention;            /* (L, H, T, T) rows are queries, columns keys; or NULL,
                                          and the heads come one at a time from `head` */
    bool causal;                       /* cells above the diagonal are masked, not zero */
    const ats_pipeline_data *pipeline; /* NULL unless the pipeline view is built */
    /* Without `attention` (long texts, whose heads are computed when asked): head(head_user,
     * layer, head) gives one head's (T, T) matrix, valid until the build returns, or NULL when
     * it cannot be had or is not computed yet (drawn empty; the window computes it on another
     * thread and builds again). Called on the building thread only. A view asks only for the
     * heads it draws. */
    const float *(*head)(void *head_user, int layer, int head);
    void *head_user;
    /* Also without `attention`: the grid's overview, (L, H, pooled_n, pooled_n) the mean weight
     * over each block of pooled_block x pooled_block tokens (masked pairs counted as 0); NULL
     * draws the grid from `head`. */
    const float *pooled;
    int pooled_n, pooled_block;
    /* Cross-attention (T5): keys are other tokens than the queries. With n_keys > 0 the
     * attention is (L, H, T, n_keys), queries `tokens` and keys `key_tokens`; 0: keys are the
     * tokens themselves (T, T). */
    int n_keys;
    const char *const *key_tokens;  /* (n_keys) UTF-8 labels */
    const bool *key_special;        /* (n_keys) or NULL */
    const char *const *head_badges; /* (L, H) what each head does ("induction"), drawn on its
                                       grid thumbnail; NULL entries for none; or NULL */
    const int *windows; /* (L) a sliding window per layer (0: none): a query i sees keys j with
                           i - W < j <= i, the others are masked like later keys; or NULL */
    /* Analysis, all optional (NULL: none): */
    const float *aggregate;   /* (T, T) the aggregate view's matrix (st->aggregate, st->layer) */
    const float *received;    /* (T) the attention each token receives: aggregate's column sums */
    const char *measure;      /* what `attention` holds when not the weights themselves
                                 ("value-weighted"): named in titles and the colour bar, whose
                                 colours then span 0 .. the largest value shown */
    const bool *ablated;      /* (L, H) heads the run switched off: crossed out in the grid, named
                                 in the titles of the others */
    const float *head_values; /* (L, H) a number per head (a metric) on its grid thumbnail */
    const char *head_value_name; /* its name, in the grid's title */
    const bool *head_faded;      /* (L, H) heads the grid fades (a filter on head_values) */
    const char *detail;          /* replaces the heatmap's "layer 3 · head 5" title (a matrix
                                    that is not one head's: a difference, an aggregate) */
} ats_view_data;

/* One head's (T, keys) matrix from `data` (its attention array or its head function), or NULL. */
const float *ats_view_data_head(const ats_view_data *data, int layer, int head);

typedef struct ats_view ats_view; /* a built view: its display list and its layout for hits */

ats_status ats_view_new(ats_view **out);
void ats_view_free(ats_view *view);

/* Lays out and draws the view `st->view` for a `width` x `height` pixel area. Fails with
 * ATS_ERR_ARG on inconsistent data or a layer/head out of range (also pipeline data for another
 * layer or head than st's), ATS_ERR_UNSUPPORTED for the pipeline view without pipeline data. On
 * failure the previous display list is kept. The pipeline view scales itself to the area (and
 * shows fewer key rows when the height is short); zoom and pan do not apply to it. */
ats_status ats_view_build(ats_view *view, const ats_view_state *st, const ats_view_data *data,
                          ats_font *font, float width, float height, ats_error *err);
/* The size at which the view shows every label legibly (what `attnscope export` uses). */
void ats_view_natural_size(const ats_view_state *st, const ats_view_data *data, ats_font *font,
                           float *width, float *height);
const ats_dl *ats_view_display_list(const ats_view *view);

typedef enum ats_hit_kind {
    ATS_HIT_NONE,
    ATS_HIT_CELL,     /* heatmap cell: query, key */
    ATS_HIT_TOKEN,    /* a token label: token, side */
    ATS_HIT_THUMB,    /* grid thumbnail: layer, head */
    ATS_HIT_HEAD_KEY, /* lines legend entry: head (click toggles it) */
} ats_hit_kind;

typedef struct ats_hit {
    ats_hit_kind kind;
    int query, key;
    int token;
    ats_token_side side;
    int layer, head;
} ats_hit;

/* What is under (x, y) in the last successful build; indices count every token. In the pipeline
 * view a key row (its label or any of its cells) is ATS_HIT_TOKEN with side ATS_SIDE_KEY, the q
 * row above the keys is the query token with side ATS_SIDE_QUERY (clicking either makes the
 * token the query: rebuild the pipeline data for it), a row of collapsed keys is ATS_HIT_NONE,
 * and a head's block in the multi-head step is ATS_HIT_HEAD_KEY with that head. */
ats_hit ats_view_hit_test(const ats_view *view, float x, float y);

/* Heatmap zoom by `factor` (> 1 magnifies) keeping the cell under (x, y) in place, and pan by a
 * drag of (dx, dy) pixels (the lines view of a long text: its window of rows scrolls by dy);
 * both clamp the state and need a build afterwards. No-ops for other views. */
void ats_view_zoom(const ats_view *view, ats_view_state *st, float x, float y, float factor);
void ats_view_pan(const ats_view *view, ats_view_state *st, float dx, float dy);

/* ---- export ------------------------------------------------------------------------------ */

#define ATS_META_MAX 16

/* Key/value metadata written into PNG text chunks and the SVG <metadata>. */
typedef struct ats_meta {
    int n;
    const char *key[ATS_META_MAX];
    const char *value[ATS_META_MAX]; /* borrowed, or pointing into buf */
    char buf[1024];
} ats_meta;

/* Fills `m` with Software, Model, Text, View, Layer, Head, Colormap, ColorScale (the weights the
 * colours span: "fixed 0 to 1", "auto 0 to 0.043", for the grid "auto, each head 0 to its max";
 * not for the lines view) and Token when locked, for a view of `data` in state `st`; Measure,
 * Aggregate and Ablated ("0:1, 2:3", the heads the run switched off) when they apply. Borrows
 * data->model_name, data->text and data->measure. */
void ats_meta_for_view(ats_meta *m, const ats_view_state *st, const ats_view_data *data);
/* Adds one entry (no-op when full); both strings are borrowed. */
void ats_meta_add(ats_meta *m, const char *key, const char *value);

/* PNG and SVG in memory (malloc'd, the caller frees *out). */
ats_status ats_png_encode(const ats_canvas *c, const ats_meta *meta, uint8_t **out, size_t *len,
                          ats_error *err);
ats_status ats_svg_encode(const ats_dl *dl, const char *font_family, const ats_meta *meta,
                          float scale, char **out, size_t *len, ats_error *err);
/* Reads a PNG file as RGBA8 (malloc'd, stride 4 * width). */
ats_status ats_png_read(const char *path, uint8_t **rgba, int *width, int *height, ats_error *err);

/* The one way a display list becomes a PNG: rasterizes `dl` at `scale` (re-drawn, not
 * enlarged: a 600 x 400 list at scale 2 gives a 1200 x 800 PNG) onto a transparent canvas and
 * encodes it with `meta` as text chunks, in memory (malloc'd, the caller frees *out).
 * ATS_ERR_ARG for a scale that is not positive or an image over 32768 pixels a side. */
ats_status ats_export_png_encode(const ats_dl *dl, ats_font *font, float scale,
                                 const ats_meta *meta, uint8_t **out, size_t *len, ats_error *err);
/* ats_export_png_encode written to `path` through the one file writer (whole or not at all;
 * a device or FIFO directly; "-" is standard output). */
ats_status ats_export_png(const ats_dl *dl, ats_font *font, float scale, const ats_meta *meta,
                          const char *path, ats_error *err);
/* Writes `dl` as SVG (text stays <text>, lines stay <line>/<path>, large cell images become an
 * embedded PNG); `scale` multiplies the document's width and height. Written as
 * ats_export_png writes. */
ats_status ats_export_svg(const ats_dl *dl, ats_font *font, float scale, const ats_meta *meta,
                          const char *path, ats_error *err);

#ifdef __cplusplus
}
#endif

#endif /* ATTNSCOPE_RENDER_H */
