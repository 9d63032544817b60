/* Export: a display list to a PNG (re-drawn at a scale) or an SVG file, written atomically, with
 * metadata describing the view. */
#include "view_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SIDE = 32768, MAX_PIXELS = 1 << 28 };

void ats_meta_add(ats_meta *m, const char *key, const char *value) {
    if (m->n >= ATS_META_MAX || !key || !value)
        return;
    m->key[m->n] = key;
    m->value[m->n] = value;
    m->n++;
}

/* Formats a value into m->buf and adds it; skipped when buf is full. */
static void meta_printf(ats_meta *m, size_t *used, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void meta_printf(ats_meta *m, size_t *used, const char *key, const char *fmt, ...) {
    size_t room = sizeof m->buf - *used;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m->buf + *used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room)
        return;
    ats_meta_add(m, key, m->buf + *used);
    *used += (size_t)n + 1;
}

/* "0,1,3" for the heads the lines view shows, or "all". */
static void visible_heads(const ats_view_state *st, int n_head, char *out, size_t size) {
    int shown = 0;
    size_t used = 0;
    out[0] = '\0';
    for (int h = 0; h < n_head; h++)
        if (ats_view_state_head_visible(st, h)) {
            int n = snprintf(out + used, size - used, shown ? ",%d" : "%d", h);
            if (n < 0 || (size_t)n >= size - used)
                break;
            used += (size_t)n;
            shown++;
        }
    if (shown == n_head)
        snprintf(out, size, "all");
}

/* Measure, Aggregate and Ablated: what the numbers are, and the heads the run switched off. */
static void analysis_meta(ats_meta *m, size_t *used, const ats_view_state *st,
                          const ats_view_data *data) {
    if (data->measure)
        ats_meta_add(m, "Measure", data->measure);
    if (st->view == ATS_VIEW_AGGREGATE)
        ats_meta_add(m, "Aggregate", ats_aggregate_name(st->aggregate));
    char list[200] = "";
    size_t n = 0;
    for (int l = 0; data->ablated && l < data->n_layer; l++)
        for (int h = 0; h < data->n_head; h++)
            if (data->ablated[(size_t)l * (size_t)data->n_head + (size_t)h] && n < sizeof list)
                n += (size_t)snprintf(list + n, sizeof list - n, "%s%d:%d", n ? ", " : "", l, h);
    if (list[0])
        meta_printf(m, used, "Ablated", "%s", list);
}

void ats_meta_for_view(ats_meta *m, const ats_view_state *st, const ats_view_data *data) {
    memset(m, 0, sizeof *m);
    size_t used = 0;
    const char *view = ats_view_kind_name(st->view);
    const char *model = data->model_name ? data->model_name : "";
    char layer[16] = "all", head[160] = "all";
    if (st->view != ATS_VIEW_GRID)
        snprintf(layer, sizeof layer, "%d", st->layer);
    if (st->view == ATS_VIEW_LINES)
        visible_heads(st, data->n_head, head, sizeof head);
    else if (st->view != ATS_VIEW_GRID)
        snprintf(head, sizeof head, "%d", st->head);
    const ats_pipeline_data *pipe = st->view == ATS_VIEW_PIPELINE ? data->pipeline : NULL;
    if (st->view == ATS_VIEW_GRID)
        meta_printf(m, &used, "Title", "%.200s: %s, all layers and heads", model, view);
    else if (pipe)
        meta_printf(m, &used, "Title", "%.200s: %s, layer %s, head %s, query token %d", model, view,
                    layer, head, pipe->token);
    else if (strcmp(head, "all") == 0)
        meta_printf(m, &used, "Title", "%.200s: %s, layer %s, all heads", model, view, layer);
    else
        meta_printf(m, &used, "Title", "%.200s: %s, layer %s, head%s %s", model, view, layer,
                    strchr(head, ',') ? "s" : "", head);
    meta_printf(m, &used, "Software", "attnscope %s", ATS_VERSION);
    ats_meta_add(m, "Model", model);
    if (data->text)
        ats_meta_add(m, "Text", data->text);
    ats_meta_add(m, "View", view);
    meta_printf(m, &used, "Layer", "%s", layer);
    meta_printf(m, &used, "Head", "%s", head);
    analysis_meta(m, &used, st, data);
    if (!pipe) {
        ats_meta_add(m, "Colormap", ats_colormap_name(st->colormap));
        /* the weights the colours span (the lines view: only one head's lines are coloured by
         * weight; several heads' by head) */
        int single = 0, shown = 0;
        for (int h = 0; h < data->n_head; h++)
            if (ats_view_state_head_visible(st, h))
                shown++, single = h;
        bool coloured = st->view != ATS_VIEW_LINES || shown == 1;
        int coloured_head = st->view == ATS_VIEW_LINES ? single : st->head;
        const char *name = ats_color_scale_name(st->color_scale);
        bool diverging = ats_colormap_is_diverging(st->colormap);
        if (coloured && st->color_scale == ATS_COLOR_SCALE_ROW) {
            meta_printf(m, &used, "ColorScale", "row, each row %s to its max",
                        diverging ? "-max" : "0");
        } else if (coloured && st->view == ATS_VIEW_GRID &&
                   st->color_scale != ATS_COLOR_SCALE_FIXED) {
            meta_printf(m, &used, "ColorScale", "%s, each head its own range", name);
        } else if (coloured) {
            float lo = 0, hi = 1;
            if (data->n_tokens > 0 && ats_view_data_head(data, st->layer, coloured_head))
                ats_attention_range(data, st, st->layer, coloured_head, &lo, &hi);
            char a[24], b[24];
            float mag = fmaxf(fabsf(lo), fabsf(hi));
            ats_format_number(a, sizeof a, diverging ? -(double)mag : (double)lo, ATS_NUMBER_PLAIN);
            ats_format_number(b, sizeof b, diverging ? (double)mag : (double)hi, ATS_NUMBER_PLAIN);
            meta_printf(m, &used, "ColorScale", "%s %s to %s", name, a, b);
        }
        if (st->hide_special)
            meta_printf(m, &used, "Special", "%s",
                        st->renormalize
                            ? "hidden, rows renormalized over the tokens shown"
                            : "hidden, their weight left out (heatmap: its own column)");
        if (st->view == ATS_VIEW_LINES && st->line_cut == ATS_LINE_CUT_MASS)
            meta_printf(m, &used, "Lines", "strongest keys up to %.0f%% of each row",
                        100.0 * st->line_mass);
        else if (st->view == ATS_VIEW_LINES)
            meta_printf(m, &used, "Lines", "top %d keys of each query", st->line_top_k);
        if (st->locked_token >= 0 && st->locked_token < data->n_tokens)
            meta_printf(m, &used, "Token", "%d (%s)", st->locked_token,
                        st->locked_side == ATS_SIDE_KEY ? "key" : "query");
        return;
    }
    /* the pipeline draws signed values on a diverging map, whatever the state's colormap */
    ats_meta_add(m, "Colormap",
                 ats_colormap_name(ats_colormap_is_diverging(st->colormap)
                                       ? st->colormap
                                       : ATS_COLORMAP_COOLWARM));
    meta_printf(m, &used, "Token", "%d (query)", pipe->token);
    char what_if[96] = "";
    size_t n = 0;
    if (!pipe->scaling)
        n += (size_t)snprintf(what_if + n, sizeof what_if - n, "scaling off");
    if (pipe->causal != data->causal)
        n += (size_t)snprintf(what_if + n, sizeof what_if - n, "%scausal mask %s", n ? ", " : "",
                              pipe->causal ? "on" : "off");
    if (pipe->temperature != 1.0f)
        snprintf(what_if + n, sizeof what_if - n, "%stemperature %.3g", n ? ", " : "",
                 (double)pipe->temperature);
    if (what_if[0])
        meta_printf(m, &used, "What-if", "%s", what_if);
    if (st->step >= 1 && st->step <= ATS_PIPELINE_STEPS)
        meta_printf(m, &used, "Step", "%d", st->step);
}

ats_status ats_export_png_encode(const ats_dl *dl, ats_font *font, float scale,
                                 const ats_meta *meta, uint8_t **out, size_t *len, ats_error *err) {
    *out = NULL;
    *len = 0;
    if (!(scale > 0) || !isfinite(scale))
        return ats_fail(err, ATS_ERR_ARG, "the scale must be a positive number");
    double w = round((double)dl->width * scale), h = round((double)dl->height * scale);
    if (w < 1 || h < 1 || w > MAX_SIDE || h > MAX_SIDE || w * h > MAX_PIXELS)
        return ats_fail(err, ATS_ERR_ARG, "an image of %.0f x %.0f pixels is too large", w, h);
    ats_canvas c = ats_canvas_make(calloc((size_t)(w * h), 4), (int)w, (int)h, (int)w * 4);
    if (!c.pixels)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %.0f x %.0f pixels", w, h);
    ats_status s = ats_render_draw(&c, dl, font, scale, err);
    if (s == ATS_OK)
        s = ats_png_encode(&c, meta, out, len, err);
    free(c.pixels);
    return s;
}

ats_status ats_export_png(const ats_dl *dl, ats_font *font, float scale, const ats_meta *meta,
                          const char *path, ats_error *err) {
    uint8_t *png = NULL;
    size_t len = 0;
    ats_status s = ats_export_png_encode(dl, font, scale, meta, &png, &len, err);
    if (s == ATS_OK)
        s = ats_write_file_atomic(path, png, len, err);
    else if (err) { /* name the file the image was for */
        char why[ATS_ERROR_MESSAGE_SIZE];
        snprintf(why, sizeof why, "%s", err->message);
        ats_fail(err, s, "%s: %s", path, why);
    }
    free(png);
    return s;
}

ats_status ats_export_svg(const ats_dl *dl, ats_font *font, float scale, const ats_meta *meta,
                          const char *path, ats_error *err) {
    char *svg = NULL;
    size_t len = 0;
    ats_status s =
        ats_svg_encode(dl, font ? ats_font_family(font) : NULL, meta, scale, &svg, &len, err);
    if (s == ATS_OK)
        s = ats_write_file_atomic(path, svg, len, err);
    free(svg);
    return s;
}
