/* Views: the state a person changes, checking the data, the tokens a view shows, and building,
 * hit-testing and zooming through the builder of each kind. */
#include "view_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const VIEW_NAMES[ATS_VIEW_COUNT] = {"heatmap", "lines", "grid", "pipeline",
                                                       "aggregate"};

const char *ats_view_kind_name(ats_view_kind kind) {
    return (unsigned)kind < ATS_VIEW_COUNT ? VIEW_NAMES[kind] : "unknown";
}

bool ats_view_kind_from_name(const char *name, ats_view_kind *out) {
    for (int i = 0; name && i < ATS_VIEW_COUNT; i++)
        if (strcasecmp(name, VIEW_NAMES[i]) == 0) {
            *out = (ats_view_kind)i;
            return true;
        }
    return false;
}

static const char *const AGGREGATE_NAMES[ATS_AGGREGATE_COUNT] = {"mean", "max", "all", "rollout"};

const char *ats_aggregate_name(ats_aggregate aggregate) {
    return (unsigned)aggregate < ATS_AGGREGATE_COUNT ? AGGREGATE_NAMES[aggregate] : "unknown";
}

bool ats_aggregate_from_name(const char *name, ats_aggregate *out) {
    for (int i = 0; name && i < ATS_AGGREGATE_COUNT; i++)
        if (strcasecmp(name, AGGREGATE_NAMES[i]) == 0) {
            *out = (ats_aggregate)i;
            return true;
        }
    return false;
}

static const char *const SCALE_NAMES[ATS_COLOR_SCALE_COUNT] = {"fixed", "auto", "minmax", "row",
                                                               "exclude-first"};

const char *ats_color_scale_name(ats_color_scale scale) {
    return (unsigned)scale < ATS_COLOR_SCALE_COUNT ? SCALE_NAMES[scale] : "unknown";
}

bool ats_color_scale_from_name(const char *name, ats_color_scale *out) {
    static const struct {
        const char *name;
        ats_color_scale scale;
    } ALIASES[] = {{"min-max", ATS_COLOR_SCALE_MINMAX},
                   {"per-row", ATS_COLOR_SCALE_ROW},
                   {"exclude_first", ATS_COLOR_SCALE_EXCLUDE_FIRST}};
    for (int i = 0; name && i < ATS_COLOR_SCALE_COUNT; i++)
        if (strcasecmp(name, SCALE_NAMES[i]) == 0) {
            *out = (ats_color_scale)i;
            return true;
        }
    for (size_t i = 0; name && i < sizeof ALIASES / sizeof ALIASES[0]; i++)
        if (strcasecmp(name, ALIASES[i].name) == 0) {
            *out = ALIASES[i].scale;
            return true;
        }
    return false;
}

ats_view_state ats_view_state_default(void) {
    return (ats_view_state){
        .view = ATS_VIEW_HEATMAP,
        .hover_token = -1,
        .locked_token = -1,
        .hover_query = -1,
        .hover_key = -1,
        .hover_layer = -1,
        .hover_head = -1,
        .colormap = ATS_COLORMAP_VIRIDIS,
        .zoom = 1.0f,
        .ui_scale = 1.0f,
        .present_scale = 1.0f,
        .color_scale = ATS_COLOR_SCALE_FIXED,
        .line_cut = ATS_LINE_CUT_TOP_K,
        .line_top_k = 3,
        .line_mass = 0.9f,
    };
}

bool ats_view_state_head_visible(const ats_view_state *st, int head) {
    if (head < 0 || head >= ATS_MAX_HEADS)
        return false;
    return !(st->heads_off[head / 64] >> (head % 64) & 1u);
}

void ats_view_state_set_head_visible(ats_view_state *st, int head, bool visible) {
    if (head < 0 || head >= ATS_MAX_HEADS)
        return;
    uint64_t bit = (uint64_t)1 << (head % 64);
    if (visible)
        st->heads_off[head / 64] &= ~bit;
    else
        st->heads_off[head / 64] |= bit;
}

/* ---- the view object ----------------------------------------------------------------------- */

struct ats_view {
    ats_dl *dl, *spare; /* the last good list, and the one being built */
    view_layout lay;
    int *shown, *spare_shown; /* (cap) token indices of lay and of the build in progress */
    int cap;
    int *kshown, *spare_kshown; /* (kcap) key indices, when the keys are other tokens */
    int kcap;
    uint8_t *scratch; /* image scratch for builders */
    size_t scratch_cap;
    thumb_cache thumbs;
};

ats_status ats_view_new(ats_view **out) {
    ats_view *v = calloc(1, sizeof *v);
    if (!v || ats_dl_new(0, 0, &v->dl) != ATS_OK || ats_dl_new(0, 0, &v->spare) != ATS_OK) {
        ats_view_free(v);
        *out = NULL;
        return ATS_ERR_NOMEM;
    }
    v->lay.kind = ATS_VIEW_COUNT; /* nothing built: hits find nothing */
    *out = v;
    return ATS_OK;
}

void ats_view_free(ats_view *view) {
    if (!view)
        return;
    ats_dl_free(view->dl);
    ats_dl_free(view->spare);
    free(view->shown);
    free(view->spare_shown);
    free(view->kshown);
    free(view->spare_kshown);
    free(view->scratch);
    free(view->thumbs.pixels);
    free(view->lay.chips);
    free(view->lay.chip_token);
    free(view);
}

const ats_dl *ats_view_display_list(const ats_view *view) {
    return view->dl;
}

/* ---- checking the data --------------------------------------------------------------------- */

static ats_status check_pipeline(const ats_view_state *st, const ats_view_data *d, ats_error *err) {
    const ats_pipeline_data *p = d->pipeline;
    if (!p)
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "view: the pipeline view needs the head's steps (ats_pipeline_data)");
    if (!p->input || !p->q || !p->k || !p->v || !p->scores || !p->scaled || !p->masked ||
        !p->weights || !p->output || !p->concat || !p->projected)
        return ats_fail(err, ATS_ERR_ARG, "view: pipeline data without some of its arrays");
    if (p->layer != st->layer || p->head != st->head)
        return ats_fail(err, ATS_ERR_ARG,
                        "view: the pipeline data is for layer %d head %d, the view shows "
                        "layer %d head %d",
                        p->layer, p->head, st->layer, st->head);
    if (p->token < 0 || p->token >= d->n_tokens)
        return ats_fail(err, ATS_ERR_ARG, "view: query token %d is out of range (%d tokens)",
                        p->token, d->n_tokens);
    if (p->n_head != d->n_head || p->d_head < 1 || p->d_model < 1 || p->kv_head < 0 ||
        p->d_head > 1 << 16 || p->d_model > 1 << 20)
        return ats_fail(err, ATS_ERR_ARG,
                        "view: pipeline data of %d heads x %d dims, model dimension %d does "
                        "not fit a model of %d heads",
                        p->n_head, p->d_head, p->d_model, d->n_head);
    if (!(p->temperature > 0) || !isfinite(p->temperature) || !isfinite(p->scale))
        return ats_fail(err, ATS_ERR_ARG, "view: pipeline temperature %g or scale %g is invalid",
                        (double)p->temperature, (double)p->scale);
    return ATS_OK;
}

static ats_status check(const ats_view_state *st, const ats_view_data *d, float w, float h,
                        ats_error *err) {
    if (!st || !d)
        return ats_fail(err, ATS_ERR_ARG, "view: no state or no data");
    if ((unsigned)st->view >= ATS_VIEW_COUNT)
        return ats_fail(err, ATS_ERR_ARG, "view: unknown view kind %d", (int)st->view);
    if (!(w >= 1 && h >= 1 && w <= 65536 && h <= 65536))
        return ats_fail(err, ATS_ERR_ARG, "view: size %g x %g is not drawable", (double)w,
                        (double)h);
    if (d->n_layer < 1 || d->n_head < 1 || d->n_tokens < 1)
        return ats_fail(err, ATS_ERR_ARG, "view: %d layers, %d heads, %d tokens: nothing to draw",
                        d->n_layer, d->n_head, d->n_tokens);
    if (d->n_head > ATS_MAX_HEADS)
        return ats_fail(err, ATS_ERR_UNSUPPORTED, "view: %d heads; views draw at most %d",
                        d->n_head, ATS_MAX_HEADS);
    if (!d->tokens || (!d->attention && !d->head))
        return ats_fail(err, ATS_ERR_ARG, "view: token labels or attention missing");
    if (d->n_keys < 0 || d->n_keys > (1 << 24) || (d->n_keys > 0 && !d->key_tokens))
        return ats_fail(err, ATS_ERR_ARG, "view: %d key tokens without their labels", d->n_keys);
    if (d->n_keys > 0 && d->causal)
        return ats_fail(err, ATS_ERR_UNSUPPORTED, "view: cross-attention has no causal mask");
    if (st->view == ATS_VIEW_PIPELINE && d->pipeline && (d->n_keys > 0) != d->pipeline->cross)
        return ats_fail(err, ATS_ERR_ARG,
                        "view: cross-attention's pipeline needs the encoder's tokens as keys, "
                        "self-attention's none");
    if (st->layer < 0 || st->layer >= d->n_layer)
        return ats_fail(err, ATS_ERR_ARG, "layer %d is out of range: the model has %d layers",
                        st->layer, d->n_layer);
    if (st->head < 0 || st->head >= d->n_head)
        return ats_fail(err, ATS_ERR_ARG, "head %d is out of range: the model has %d heads",
                        st->head, d->n_head);
    if (st->view == ATS_VIEW_PIPELINE)
        return check_pipeline(st, d, err);
    if (st->view == ATS_VIEW_AGGREGATE && (!d->aggregate || d->n_keys > 0))
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "view: the aggregate view needs the aggregate matrix of a self-attention");
    return ATS_OK;
}

/* ---- tokens shown and their labels --------------------------------------------------------- */

/* A label as drawn: spaces at the ends trimmed (a space-only piece becomes U+2423), control
 * characters as visible symbols (newline U+21B5, tab U+21E5, others their U+2400 picture). */
static char *display_label(const char *piece) {
    if (!piece)
        piece = "";
    size_t n = strlen(piece), a = 0;
    while (a < n && piece[a] == ' ')
        a++;
    while (n > a && piece[n - 1] == ' ')
        n--;
    char *out = malloc(3 * (n - a) + 4), *o = out;
    if (!out)
        return NULL;
    for (size_t i = a; i < n; i++) {
        unsigned char ch = (unsigned char)piece[i];
        if (ch == '\n')
            o += sprintf(o, "\xE2\x86\xB5");
        else if (ch == '\t')
            o += sprintf(o, "\xE2\x87\xA5");
        else if (ch < 0x20)
            o += sprintf(o, "\xE2\x90%c", (char)(0x80 + ch));
        else if (ch == 0x7F)
            o += sprintf(o, "\xE2\x90\xA1");
        else
            *o++ = (char)ch;
    }
    *o = '\0';
    if (o == out) /* empty: a space-only piece, or an empty one */
        sprintf(out, "%s", piece[0] == ' ' ? "\xE2\x90\xA3" : "\xE2\x88\x85");
    return out;
}

static void token_set_free(token_set *t) {
    for (int i = 0; t->labels && i < t->n_all; i++)
        free(t->labels[i]);
    free(t->labels);
    free(t->pos);
    *t = (token_set){0};
}

/* Fills t from n labels (special flags may be NULL); `shown` has room for n entries. */
static ats_status token_set_make(token_set *t, const ats_view_state *st, int n,
                                 const char *const *tokens, const bool *special, int *shown) {
    *t = (token_set){.n_all = n, .shown = shown};
    t->pos = malloc((size_t)n * sizeof *t->pos);
    t->labels = calloc((size_t)n, sizeof *t->labels);
    if (!t->pos || !t->labels) {
        token_set_free(t);
        return ATS_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++) {
        bool hide = st->hide_special && special && special[i];
        t->pos[i] = hide ? -1 : t->n;
        if (!hide)
            shown[t->n++] = i;
        t->labels[i] = display_label(tokens[i]);
        if (!t->labels[i]) {
            token_set_free(t);
            return ATS_ERR_NOMEM;
        }
    }
    return ATS_OK;
}

/* The queries' token set, and the keys' (a copy sharing its arrays unless the keys are other
 * tokens); kshown has room for the keys. */
static ats_status token_sets_make(view_ctx *c, int *shown, int *kshown) {
    const ats_view_data *d = c->d;
    ats_status s = token_set_make(&c->tok, c->st, d->n_tokens, d->tokens, d->special, shown);
    if (s != ATS_OK || !c->cross) {
        c->ktok = c->tok;
        return s;
    }
    s = token_set_make(&c->ktok, c->st, d->n_keys, d->key_tokens, d->key_special, kshown);
    if (s != ATS_OK)
        token_set_free(&c->tok);
    return s;
}

static void token_sets_free(view_ctx *c) {
    ats_view_weights_free(c);
    if (c->cross)
        token_set_free(&c->ktok);
    token_set_free(&c->tok);
}

static void ctx_init(view_ctx *c, const ats_view_state *st, const ats_view_data *d, ats_font *font,
                     float w, float h) {
    *c = (view_ctx){.st = st, .d = d, .font = font, .w = w, .h = h, .cross = d->n_keys > 0};
    c->ui = st->ui_scale > 0.1f && st->ui_scale < 10.0f ? st->ui_scale : 1.0f;
    c->vmin = 0.0f;
    c->vmax = 1.0f;
    ats_colormap_lut(st->colormap, c->lut);
}

/* ---- building ------------------------------------------------------------------------------ */

static bool reserve(int **one, int **two, int *cap, int n) {
    if (n <= *cap)
        return true;
    int *a = realloc(*one, (size_t)n * sizeof *a);
    if (a)
        *one = a;
    int *b = a ? realloc(*two, (size_t)n * sizeof *b) : NULL;
    if (b)
        *two = b;
    if (!a || !b)
        return false;
    *cap = n;
    return true;
}

static bool reserve_tokens(ats_view *v, int n, int n_keys) {
    return reserve(&v->shown, &v->spare_shown, &v->cap, n) &&
           reserve(&v->kshown, &v->spare_kshown, &v->kcap, n_keys > 0 ? n_keys : 1);
}

ats_status ats_view_build(ats_view *view, const ats_view_state *st, const ats_view_data *data,
                          ats_font *font, float width, float height, ats_error *err) {
    ats_status s = check(st, data, width, height, err);
    if (s != ATS_OK)
        return s;
    if (!font)
        return ats_fail(err, ATS_ERR_ARG, "view: no font");
    if (!reserve_tokens(view, data->n_tokens, data->n_keys))
        return ats_fail(err, ATS_ERR_NOMEM, "view: out of memory");
    view_ctx c;
    ctx_init(&c, st, data, font, width, height);
    if (token_sets_make(&c, view->spare_shown, view->spare_kshown) != ATS_OK)
        return ats_fail(err, ATS_ERR_NOMEM, "view: out of memory");
    view_layout lay = {.kind = st->view,
                       .ui = c.ui,
                       .n_shown = c.tok.n,
                       .shown = view->spare_shown,
                       .n_kshown = c.ktok.n,
                       .kshown = c.cross ? view->spare_kshown : view->spare_shown};
    ats_dl_reset(view->spare, width, height);
    c.dl = view->spare;
    c.lay = &lay;
    c.scratch = &view->scratch;
    c.scratch_cap = &view->scratch_cap;
    c.thumbs = &view->thumbs;
    ats_view_rect(&c, 0, 0, width, height, 0, COLOR_BG);
    switch (st->view) {
    case ATS_VIEW_HEATMAP:
        ats_heatmap_build(&c);
        break;
    case ATS_VIEW_LINES:
        ats_lines_build(&c);
        break;
    case ATS_VIEW_GRID:
        ats_grid_build(&c);
        break;
    case ATS_VIEW_PIPELINE:
        ats_pipeline_build(&c);
        break;
    case ATS_VIEW_AGGREGATE:
        ats_aggregate_build(&c);
        break;
    default:
        break;
    }
    token_sets_free(&c);
    if (c.status != ATS_OK) {
        free(lay.chips);
        free(lay.chip_token);
    }
    if (c.status != ATS_OK)
        return ats_fail(err, c.status, "view: %s while drawing the %s view",
                        c.status == ATS_ERR_NOMEM ? "out of memory" : "bad geometry",
                        ats_view_kind_name(st->view));
    ats_dl *dl = view->dl;
    view->dl = view->spare;
    view->spare = dl;
    int *shown = view->shown;
    view->shown = view->spare_shown;
    view->spare_shown = shown;
    int *kshown = view->kshown;
    view->kshown = view->spare_kshown;
    view->spare_kshown = kshown;
    free(view->lay.chips); /* the previous layout's own arrays */
    free(view->lay.chip_token);
    view->lay = lay;
    view->lay.shown = view->shown;
    view->lay.kshown = c.cross ? view->kshown : view->shown;
    return ATS_OK;
}

void ats_view_natural_size(const ats_view_state *st, const ats_view_data *data, ats_font *font,
                           float *width, float *height) {
    *width = 800;
    *height = 600;
    if (check(st, data, 1, 1, NULL) != ATS_OK || !font)
        return;
    int *shown = malloc((size_t)data->n_tokens * sizeof *shown);
    int *kshown = malloc((size_t)(data->n_keys > 0 ? data->n_keys : 1) * sizeof *kshown);
    view_ctx c;
    ctx_init(&c, st, data, font, 0, 0);
    if (!shown || !kshown || token_sets_make(&c, shown, kshown) != ATS_OK) {
        free(shown);
        free(kshown);
        return;
    }
    switch (st->view) {
    case ATS_VIEW_HEATMAP:
        ats_heatmap_natural_size(&c, width, height);
        break;
    case ATS_VIEW_LINES:
        ats_lines_natural_size(&c, width, height);
        break;
    case ATS_VIEW_GRID:
        ats_grid_natural_size(&c, width, height);
        break;
    case ATS_VIEW_PIPELINE:
        ats_pipeline_natural_size(&c, width, height);
        break;
    case ATS_VIEW_AGGREGATE:
        ats_aggregate_natural_size(&c, width, height);
        break;
    default:
        break;
    }
    *width = ceilf(*width);
    *height = ceilf(*height);
    token_sets_free(&c);
    free(shown);
    free(kshown);
}

/* ---- hits and navigation ------------------------------------------------------------------- */

ats_hit ats_view_hit_test(const ats_view *view, float x, float y) {
    ats_hit none = {
        .kind = ATS_HIT_NONE, .query = -1, .key = -1, .token = -1, .layer = -1, .head = -1};
    if (!view)
        return none;
    switch (view->lay.kind) {
    case ATS_VIEW_HEATMAP:
        return ats_heatmap_hit(&view->lay, x, y);
    case ATS_VIEW_LINES:
        return ats_lines_hit(&view->lay, x, y);
    case ATS_VIEW_GRID:
        return ats_grid_hit(&view->lay, x, y);
    case ATS_VIEW_PIPELINE:
        return ats_pipeline_hit(&view->lay, x, y);
    case ATS_VIEW_AGGREGATE:
        return ats_aggregate_hit(&view->lay, x, y);
    default:
        return none;
    }
}

/* Largest first visible cell so that the view stays filled. */
static float max_pan(float avail, float cell, int n) {
    float m = (float)n - avail / cell;
    return m > 0 ? m : 0;
}

void ats_view_zoom(const ats_view *view, ats_view_state *st, float x, float y, float factor) {
    const view_layout *l = &view->lay;
    if (l->kind != ATS_VIEW_HEATMAP || !(factor > 0) || !isfinite(factor) || l->n_shown == 0)
        return;
    /* at most about 90 pixels a cell at ui scale 1 */
    float zmax = fmaxf(1.0f, 90.0f * l->ui / l->fit_cell);
    float zoom = clampf(l->zoom * factor, 1.0f, zmax), cell = l->fit_cell * zoom;
    if (!frect_has(l->plot, x, y)) { /* outside the matrix: about the middle of the view */
        x = l->plot.x + 0.5f * l->plot.w;
        y = l->plot.y + 0.5f * l->plot.h;
    }
    /* the cell coordinate under (x, y) stays under it */
    float kq = l->pan_q + (y - l->plot.y) / l->cell, kk = l->pan_k + (x - l->plot.x) / l->cell;
    st->zoom = zoom;
    st->pan_query = clampf(kq - (y - l->plot.y) / cell, 0, max_pan(l->avail.h, cell, l->n_shown));
    st->pan_key = clampf(kk - (x - l->plot.x) / cell, 0, max_pan(l->avail.w, cell, l->n_kshown));
}

void ats_view_pan(const ats_view *view, ats_view_state *st, float dx, float dy) {
    const view_layout *l = &view->lay;
    if (!isfinite(dx) || !isfinite(dy))
        return;
    if (l->kind == ATS_VIEW_LINES && l->window_rows > 0 && l->row_h > 0) { /* rows scroll */
        int n = l->n_shown > l->n_kshown ? l->n_shown : l->n_kshown;
        st->pan_query =
            clampf((float)l->first_row - dy / l->row_h, 0, fmaxf(0, (float)(n - l->window_rows)));
        return;
    }
    if (l->kind != ATS_VIEW_HEATMAP || !(l->cell > 0))
        return;
    st->pan_query = clampf(l->pan_q - dy / l->cell, 0, max_pan(l->avail.h, l->cell, l->n_shown));
    st->pan_key = clampf(l->pan_k - dx / l->cell, 0, max_pan(l->avail.w, l->cell, l->n_kshown));
}

const float *ats_view_data_head(const ats_view_data *d, int layer, int head) {
    if (layer < 0 || layer >= d->n_layer || head < 0 || head >= d->n_head)
        return NULL;
    if (d->attention) {
        size_t T = (size_t)d->n_tokens, K = (size_t)(d->n_keys > 0 ? d->n_keys : d->n_tokens);
        return d->attention + ((size_t)layer * (size_t)d->n_head + (size_t)head) * T * K;
    }
    return d->head ? d->head(d->head_user, layer, head) : NULL;
}
