/* The SVG writer: the display list as SVG 1.1. Texts stay <text> (the reader's copy of the font
 * draws them; the family is named), strokes stay <line> and <path>, clips become <clipPath>
 * groups. A cell image of up to 4096 cells becomes one <rect> per cell; a larger one is embedded
 * as a PNG, enlarged by a whole factor and marked for pixelated scaling so cells stay crisp.
 *
 * Numbers are written with two decimals by integer arithmetic, so the output does not depend on
 * the C locale's decimal separator. */
#include "render_internal.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

enum { MAX_RECT_CELLS = 4096, EMBED_TARGET = 1024 };

/* v rounded to 1/100, without trailing zeros: "12", "12.5", "-0.25". */
static void put_num(byte_buf *b, float v) {
    long long k = llround((double)v * 100.0);
    if (k < 0) {
        ats_buf_puts(b, "-");
        k = -k;
    }
    long long whole = k / 100, frac = k % 100;
    if (frac == 0)
        ats_buf_printf(b, "%lld", whole);
    else if (frac % 10 == 0)
        ats_buf_printf(b, "%lld.%lld", whole, frac / 10);
    else
        ats_buf_printf(b, "%lld.%02lld", whole, frac);
}

static void put_attr_num(byte_buf *b, const char *name, float v) {
    ats_buf_printf(b, " %s=\"", name);
    put_num(b, v);
    ats_buf_puts(b, "\"");
}

/* UTF-8 as XML character data or attribute text: markup characters escaped, invalid UTF-8 and
 * characters XML 1.0 forbids (C0 controls other than tab, newline, return; U+FFFE, U+FFFF)
 * replaced by U+FFFD; in attributes, tab and line breaks as references so they survive
 * attribute-value normalisation. */
static void put_escaped(byte_buf *b, const char *s, size_t len, bool attr) {
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        size_t step = n > 0 ? (size_t)n : 1;
        if (n <= 0 || cp == 0xFFFE || cp == 0xFFFF ||
            (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r'))
            ats_buf_puts(b, "\xEF\xBF\xBD");
        else if (cp == '&')
            ats_buf_puts(b, "&amp;");
        else if (cp == '<')
            ats_buf_puts(b, "&lt;");
        else if (cp == '>')
            ats_buf_puts(b, "&gt;");
        else if (cp == '"')
            ats_buf_puts(b, "&quot;");
        else if (cp == '\'')
            ats_buf_puts(b, "&apos;");
        else if (attr && cp < 0x20)
            ats_buf_printf(b, "&#%d;", (int)cp);
        else
            ats_buf_append(b, s + i, step);
        i += step;
    }
}

static void put_paint(byte_buf *b, const char *what, ats_rgba c) {
    ats_buf_printf(b, " %s=\"#%02x%02x%02x\"", what, c.r, c.g, c.b);
    if (c.a < 255) {
        ats_buf_printf(b, " %s-opacity=\"", what);
        put_num(b, (float)c.a / 255.0f);
        ats_buf_puts(b, "\"");
    }
}

/* ---- base64 (RFC 4648) --------------------------------------------------------------------- */

static void put_base64(byte_buf *b, const uint8_t *data, size_t n) {
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char quad[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < n)
            v |= data[i + 2];
        quad[0] = A[v >> 18 & 63];
        quad[1] = A[v >> 12 & 63];
        quad[2] = i + 1 < n ? A[v >> 6 & 63] : '=';
        quad[3] = i + 2 < n ? A[v & 63] : '=';
        ats_buf_append(b, quad, 4);
    }
}

/* ---- elements ------------------------------------------------------------------------------ */

static void put_rect(byte_buf *b, const dl_item *it) {
    ats_buf_puts(b, "<rect");
    put_attr_num(b, "x", it->p[0]);
    put_attr_num(b, "y", it->p[1]);
    put_attr_num(b, "width", it->p[2]);
    put_attr_num(b, "height", it->p[3]);
    if (it->size > 0)
        put_attr_num(b, "rx", it->size);
    put_paint(b, "fill", it->color);
    ats_buf_puts(b, "/>\n");
}

static void put_stroke(byte_buf *b, const dl_item *it, bool round) {
    put_paint(b, "stroke", it->color);
    put_attr_num(b, "stroke-width", it->size);
    ats_buf_printf(b, " stroke-linecap=\"%s\"", round ? "round" : "butt");
}

static void put_line(byte_buf *b, const dl_item *it) {
    ats_buf_puts(b, "<line");
    put_attr_num(b, "x1", it->p[0]);
    put_attr_num(b, "y1", it->p[1]);
    put_attr_num(b, "x2", it->p[2]);
    put_attr_num(b, "y2", it->p[3]);
    put_stroke(b, it, it->cap == ATS_CAP_ROUND);
    ats_buf_puts(b, "/>\n");
}

static void put_curve(byte_buf *b, const dl_item *it) {
    ats_buf_puts(b, "<path d=\"M");
    for (int i = 0; i < 8; i++) {
        ats_buf_puts(b, i == 2 ? " C" : " ");
        put_num(b, it->p[i]);
    }
    ats_buf_puts(b, "\" fill=\"none\"");
    put_stroke(b, it, true);
    ats_buf_puts(b, " stroke-linejoin=\"round\"/>\n");
}

static void put_circle(byte_buf *b, const dl_item *it) {
    ats_buf_puts(b, "<circle");
    put_attr_num(b, "cx", it->p[0]);
    put_attr_num(b, "cy", it->p[1]);
    put_attr_num(b, "r", it->size);
    put_paint(b, "fill", it->color);
    ats_buf_puts(b, "/>\n");
}

static void put_text(byte_buf *b, const ats_dl *dl, const dl_item *it) {
    static const char *const ANCHOR[] = {"start", "middle", "end"};
    ats_buf_puts(b, "<text");
    put_attr_num(b, "x", it->p[0]);
    put_attr_num(b, "y", it->p[1]);
    put_attr_num(b, "font-size", it->size);
    if (it->bold)
        ats_buf_puts(b, " font-weight=\"bold\"");
    if (it->align != ATS_ALIGN_START)
        ats_buf_printf(b, " text-anchor=\"%s\"",
                       ANCHOR[it->align <= ATS_ALIGN_END ? it->align : 0]);
    put_paint(b, "fill", it->color);
    if (it->angle != 0) {
        ats_buf_puts(b, " transform=\"rotate(");
        put_num(b, it->angle);
        ats_buf_puts(b, " ");
        put_num(b, it->p[0]);
        ats_buf_puts(b, " ");
        put_num(b, it->p[1]);
        ats_buf_puts(b, ")\"");
    }
    ats_buf_puts(b, ">");
    put_escaped(b, dl_text(dl, it), it->len, false);
    ats_buf_puts(b, "</text>\n");
}

/* Small cell images: one rect per visible cell. */
static void put_cell_rects(byte_buf *b, const ats_dl *dl, const dl_item *it) {
    const uint8_t *img = dl_image(dl, it);
    float cw = it->p[2] / (float)it->iw, ch = it->p[3] / (float)it->ih;
    ats_buf_puts(b, "<g shape-rendering=\"crispEdges\">\n");
    for (int j = 0; j < it->ih; j++)
        for (int i = 0; i < it->iw; i++) {
            const uint8_t *p = img + ((size_t)j * it->iw + i) * 4;
            if (p[3] == 0)
                continue;
            dl_item cell = {.kind = DL_RECT, .color = {p[0], p[1], p[2], p[3]}};
            cell.p[0] = it->p[0] + (float)i * cw;
            cell.p[1] = it->p[1] + (float)j * ch;
            cell.p[2] = cw;
            cell.p[3] = ch;
            put_rect(b, &cell);
        }
    ats_buf_puts(b, "</g>\n");
}

/* Other images: an embedded PNG; cells enlarged k times by repetition first, so that viewers
 * that smooth every image still show crisp cells. */
static ats_status put_embedded(byte_buf *b, const ats_dl *dl, const dl_item *it, ats_error *err) {
    bool cells = it->filter == ATS_IMAGE_CELLS;
    int longest = it->iw > it->ih ? it->iw : it->ih;
    int k = cells ? clampi(EMBED_TARGET / longest, 1, 16) : 1;
    int w = it->iw * k, h = it->ih * k;
    uint8_t *big = malloc((size_t)w * (size_t)h * 4);
    if (!big)
        return ats_fail(err, ATS_ERR_NOMEM, "svg: out of memory");
    const uint8_t *img = dl_image(dl, it);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            memcpy(big + ((size_t)y * w + x) * 4, img + ((size_t)(y / k) * it->iw + x / k) * 4, 4);
    ats_canvas c = ats_canvas_make(big, w, h, w * 4);
    uint8_t *png = NULL;
    size_t png_len = 0;
    ats_status s = ats_png_encode(&c, NULL, &png, &png_len, err);
    free(big);
    if (s != ATS_OK)
        return s;
    ats_buf_puts(b, "<image");
    put_attr_num(b, "x", it->p[0]);
    put_attr_num(b, "y", it->p[1]);
    put_attr_num(b, "width", it->p[2]);
    put_attr_num(b, "height", it->p[3]);
    ats_buf_puts(b, " preserveAspectRatio=\"none\"");
    if (cells)
        ats_buf_puts(b, " image-rendering=\"optimizeSpeed\" style=\"image-rendering:pixelated\"");
    ats_buf_puts(b, " xlink:href=\"data:image/png;base64,");
    put_base64(b, png, png_len);
    ats_buf_puts(b, "\"/>\n");
    free(png);
    return ATS_OK;
}

static void put_metadata(byte_buf *b, const ats_meta *meta) {
    if (!meta || meta->n == 0)
        return;
    for (int i = 0; i < meta->n; i++)
        if (meta->key[i] && meta->value[i] && strcmp(meta->key[i], "Title") == 0) {
            ats_buf_puts(b, "<title>");
            put_escaped(b, meta->value[i], strlen(meta->value[i]), false);
            ats_buf_puts(b, "</title>\n");
        }
    ats_buf_puts(b, "<metadata>\n<ats:export xmlns:ats=\"urn:attnscope:export\">\n");
    for (int i = 0; i < meta->n; i++) {
        if (!meta->key[i] || !meta->value[i])
            continue;
        ats_buf_puts(b, "<ats:field name=\"");
        put_escaped(b, meta->key[i], strlen(meta->key[i]), true);
        ats_buf_puts(b, "\">");
        put_escaped(b, meta->value[i], strlen(meta->value[i]), false);
        ats_buf_puts(b, "</ats:field>\n");
    }
    ats_buf_puts(b, "</ats:export>\n</metadata>\n");
}

ats_status ats_svg_encode(const ats_dl *dl, const char *font_family, const ats_meta *meta,
                          float scale, char **out, size_t *len, ats_error *err) {
    *out = NULL;
    *len = 0;
    if (!(scale > 0) || !isfinite(scale))
        return ats_fail(err, ATS_ERR_ARG, "svg: bad scale");
    byte_buf b = {0};
    ats_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                     "xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\"");
    put_attr_num(&b, "width", dl->width * scale);
    put_attr_num(&b, "height", dl->height * scale);
    ats_buf_puts(&b, " viewBox=\"0 0 ");
    put_num(&b, dl->width);
    ats_buf_puts(&b, " ");
    put_num(&b, dl->height);
    ats_buf_puts(&b, "\" font-family=\"'");
    const char *family = font_family && *font_family ? font_family : "DejaVu Sans";
    put_escaped(&b, family, strlen(family), true);
    ats_buf_puts(&b, "', 'DejaVu Sans', Verdana, sans-serif\" xml:space=\"preserve\">\n");
    put_metadata(&b, meta);
    int open_groups = 0, clip_id = 0;
    ats_status s = ATS_OK;
    for (int i = 0; i < dl->n_items && s == ATS_OK; i++) {
        const dl_item *it = &dl->items[i];
        switch ((dl_kind)it->kind) {
        case DL_RECT:
            put_rect(&b, it);
            break;
        case DL_LINE:
            put_line(&b, it);
            break;
        case DL_CURVE:
            put_curve(&b, it);
            break;
        case DL_CIRCLE:
            put_circle(&b, it);
            break;
        case DL_TEXT:
            put_text(&b, dl, it);
            break;
        case DL_IMAGE:
            if (it->filter == ATS_IMAGE_CELLS && (size_t)it->iw * it->ih <= MAX_RECT_CELLS)
                put_cell_rects(&b, dl, it);
            else
                s = put_embedded(&b, dl, it, err);
            break;
        case DL_CLIP_PUSH:
            ats_buf_printf(&b, "<clipPath id=\"clip%d\"><rect", ++clip_id);
            put_attr_num(&b, "x", it->p[0]);
            put_attr_num(&b, "y", it->p[1]);
            put_attr_num(&b, "width", it->p[2]);
            put_attr_num(&b, "height", it->p[3]);
            ats_buf_printf(&b, "/></clipPath>\n<g clip-path=\"url(#clip%d)\">\n", clip_id);
            open_groups++;
            break;
        case DL_CLIP_POP:
            if (open_groups > 0) {
                ats_buf_puts(&b, "</g>\n");
                open_groups--;
            }
            break;
        }
    }
    while (open_groups-- > 0)
        ats_buf_puts(&b, "</g>\n");
    ats_buf_puts(&b, "</svg>\n");
    if (s == ATS_OK && b.failed)
        s = ats_fail(err, ATS_ERR_NOMEM, "svg: out of memory");
    if (s != ATS_OK) {
        ats_buf_free(&b);
        return s;
    }
    *out = b.data;
    *len = b.len;
    return ATS_OK;
}
