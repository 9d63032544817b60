/* Drawing helpers for the window's chrome: display-list calls that remember the first failure,
 * rounded outlines, and text wrapped to a width. */
#include "ui_internal.h"

#include <stdlib.h>
#include <string.h>

static void note(paint *p, ats_status s) {
    if (p->status == ATS_OK)
        p->status = s;
}

void ats_paint_rect(paint *p, frect r, float radius, ats_rgba color) {
    if (r.w > 0 && r.h > 0)
        note(p, ats_dl_rect(p->dl, r.x, r.y, r.w, r.h, radius, color));
}

void ats_paint_outline(paint *p, frect r, float width, float radius, ats_rgba color) {
    /* strokes rather than a filled shape with its inside filled again, so what is under the
     * ring stays visible: four bars, or four straight strokes and four quarter circles */
    if (radius <= 0) {
        ats_paint_rect(p, (frect){r.x, r.y, r.w, width}, 0, color);
        ats_paint_rect(p, (frect){r.x, r.y + r.h - width, r.w, width}, 0, color);
        ats_paint_rect(p, (frect){r.x, r.y + width, width, r.h - 2 * width}, 0, color);
        ats_paint_rect(p, (frect){r.x + r.w - width, r.y + width, width, r.h - 2 * width}, 0,
                       color);
        return;
    }
    float k = 0.5523f; /* cubic approximation of a quarter circle */
    float x0 = r.x + 0.5f * width, y0 = r.y + 0.5f * width;
    float x1 = r.x + r.w - 0.5f * width, y1 = r.y + r.h - 0.5f * width;
    float rr = fminf(radius, 0.5f * fminf(x1 - x0, y1 - y0));
    ats_paint_line(p, x0 + rr, y0, x1 - rr, y0, width, color);
    ats_paint_line(p, x0 + rr, y1, x1 - rr, y1, width, color);
    ats_paint_line(p, x0, y0 + rr, x0, y1 - rr, width, color);
    ats_paint_line(p, x1, y0 + rr, x1, y1 - rr, width, color);
    float c = rr * (1 - k);
    note(p, ats_dl_curve(p->dl, x0, y0 + rr, x0, y0 + c, x0 + c, y0, x0 + rr, y0, width, color));
    note(p, ats_dl_curve(p->dl, x1 - rr, y0, x1 - c, y0, x1, y0 + c, x1, y0 + rr, width, color));
    note(p, ats_dl_curve(p->dl, x1, y1 - rr, x1, y1 - c, x1 - c, y1, x1 - rr, y1, width, color));
    note(p, ats_dl_curve(p->dl, x0 + rr, y1, x0 + c, y1, x0, y1 - c, x0, y1 - rr, width, color));
}

void ats_paint_card(paint *p, frect r, float radius, ats_rgba fill, ats_rgba edge, float edge_w) {
    if (fill.a)
        ats_paint_rect(p, r, radius, fill);
    ats_paint_outline(p, r, edge_w, radius, edge);
}

void ats_paint_line(paint *p, float x0, float y0, float x1, float y1, float width, ats_rgba color) {
    note(p, ats_dl_line(p->dl, x0, y0, x1, y1, width, ATS_CAP_BUTT, color));
}

void ats_paint_circle(paint *p, float cx, float cy, float radius, ats_rgba color) {
    note(p, ats_dl_circle(p->dl, cx, cy, radius, color));
}

float ats_paint_text(paint *p, float x, float y, const char *s, float size, ats_rgba color,
                     ats_align al, ats_valign va, bool bold, float max_w) {
    if (!s || !*s)
        return 0;
    ats_text_style ts = {.size = size, .color = color, .align = al, .valign = va, .bold = bold};
    ts.max_width = max_w > 0 ? max_w : 0;
    note(p, ats_dl_text(p->dl, p->font, x, y, s, &ts));
    float w = ats_font_measure(p->font, s, size, bold);
    return max_w > 0 && w > max_w ? max_w : w;
}

void ats_paint_clip(paint *p, frect r) {
    note(p, ats_dl_push_clip(p->dl, r.x, r.y, fmaxf(r.w, 0), fmaxf(r.h, 0)));
}

void ats_paint_unclip(paint *p) {
    note(p, ats_dl_pop_clip(p->dl));
}

float ats_paint_measure(paint *p, const char *s, float size, bool bold) {
    return ats_font_measure(p->font, s, size, bold);
}

/* Width of s[a, b) at `size` (line is scratch of at least b - a + 1 bytes). */
static float span_width(paint *p, const char *s, size_t a, size_t b, char *line, float size) {
    memcpy(line, s + a, b - a);
    line[b - a] = '\0';
    return ats_font_measure(p->font, line, size, false);
}

/* Where a word too wide for a line is cut: after the last '/' that fits (paths break at their
 * folders), else after the last character that fits; at least one character. */
static size_t cut_word(paint *p, const char *s, size_t a, size_t b, char *line, float size,
                       float max_w) {
    size_t fit = a, slash = 0;
    for (size_t k = a; k < b;) {
        size_t next = k + 1;
        while (next < b && ((unsigned char)s[next] & 0xC0) == 0x80)
            next++;
        if (span_width(p, s, a, next, line, size) > max_w)
            break;
        fit = next;
        if (s[k] == '/')
            slash = next;
        k = next;
    }
    if (slash > a)
        return slash;
    if (fit > a)
        return fit;
    size_t one = a + 1;
    while (one < b && ((unsigned char)s[one] & 0xC0) == 0x80)
        one++;
    return one;
}

float ats_paint_wrapped(paint *p, float x, float y, const char *s, float size, ats_rgba color,
                        float max_w, float line_h, int max_lines, bool measure_only) {
    size_t n = strlen(s);
    char *line = malloc(n + 1);
    if (!line) {
        note(p, ATS_ERR_NOMEM);
        return 0;
    }
    int lines = 0;
    size_t i = 0;
    while (i < n && lines < max_lines) {
        while (i < n && s[i] == ' ')
            i++;
        if (i >= n)
            break;
        /* the longest run of whole words from i that fits */
        size_t fit = i;
        for (size_t end = i; end < n;) {
            size_t next = end;
            while (next < n && s[next] == ' ')
                next++;
            while (next < n && s[next] != ' ')
                next++;
            if (span_width(p, s, i, next, line, size) > max_w) {
                if (fit == i) /* the first word alone is too wide: cut it */
                    fit = cut_word(p, s, i, next, line, size, max_w);
                break;
            }
            fit = end = next;
        }
        bool last = lines == max_lines - 1;
        size_t stop = last ? n : fit;
        memcpy(line, s + i, stop - i);
        line[stop - i] = '\0';
        if (!measure_only)
            ats_paint_text(p, x, y + (float)lines * line_h, line, size, color, ATS_ALIGN_START,
                           ATS_VALIGN_TOP, false, max_w);
        lines++;
        i = stop;
    }
    free(line);
    return (float)lines * line_h;
}
