/* The text box: the editor's text in lines (Enter starts one), each with a row of token chips
 * under it (draw_tokens.c), scrolled to keep the caret in view; the selection, the input
 * method's composition (underlined, at the caret), the span of the token the views focus, the
 * text beyond the model's context, and a hint when it is empty.
 *
 * A line is drawn in short pieces (a word and its spaces, or a few characters of unspaced
 * text), each measured on its own: the font caches a measured text, so laying out a long text
 * every frame costs lookups, and an offset's x needs only the prefix of one piece. A line's
 * pieces stand in visual order: its runs of one direction (render.h's ats_bidi_runs, the line's
 * direction from its first strong character) left to right, a right-to-left run's pieces from
 * its right end, so Arabic and Hebrew read right to left and a caret in them moves with them. */
#include "ui_internal.h"

#include "text_nav.h"

#include <stdlib.h>
#include <string.h>

#define PIECE_BYTES 24    /* unspaced text is cut into pieces of about this many bytes */
#define LINE_H      36.0f /* a text row at ui scale 1 */
#define PAD_Y       4.0f

/* The width of text[a, b) at the line's size (pieces never exceed the scratch buffer). */
static float measure(ats_ui *ui, const char *text, size_t a, size_t b) {
    size_t n = b - a < sizeof ui->buf - 1 ? b - a : sizeof ui->buf - 1;
    if (n == 0)
        return 0;
    memcpy(ui->buf, text + a, n);
    ui->buf[n] = '\0';
    return ats_font_measure(ui->font, ui->buf, ui->text.size, false);
}

static bool push_chunk(text_layout *t, chunk c) {
    if (t->n_chunks == t->cap_chunks) {
        int cap = t->cap_chunks ? 2 * t->cap_chunks : 64;
        chunk *a = realloc(t->chunks, (size_t)cap * sizeof *a);
        if (!a)
            return false;
        t->chunks = a;
        t->cap_chunks = cap;
    }
    t->chunks[t->n_chunks++] = c;
    return true;
}

static bool push_line(text_layout *t, text_line l) {
    if (t->n_lines == t->cap_lines) {
        int cap = t->cap_lines ? 2 * t->cap_lines : 16;
        text_line *a = realloc(t->lines, (size_t)cap * sizeof *a);
        if (!a)
            return false;
        t->lines = a;
        t->cap_lines = cap;
    }
    t->lines[t->n_lines++] = l;
    return true;
}

float ats_textbox_height(const ats_app *app, float u, bool chips, int max_lines) {
    const ats_editor *ed = ats_app_get_editor(app);
    const char *text = ats_editor_text(ed);
    int lines = 1;
    for (size_t i = 0, n = ats_editor_length(ed); i < n; i++)
        lines += text[i] == '\n';
    lines = lines < max_lines ? lines : max_lines > 0 ? max_lines : 1;
    return 2 * PAD_Y * u + (float)lines * (LINE_H + (chips ? UI_CHIP_ROW : 0)) * u;
}

/* The pieces of text[a, b) (one direction), in logical order, from x; returns the x after. */
static float cut_run(ats_ui *ui, text_layout *t, size_t a, size_t b, bool rtl, float x) {
    const char *text = t->text;
    int first = t->n_chunks;
    size_t i = a;
    while (i < b) {
        size_t start = i;
        bool spaces = false;
        while (i < b) {
            if (t->preedit_w > 0 && i == t->cursor && i > start)
                break; /* the composition goes in here */
            if (text[i] == ' ')
                spaces = true;
            else if (spaces)
                break; /* a word and the spaces after it */
            if (i - start >= PIECE_BYTES)
                break;
            i = ats_textnav_next_grapheme(text, t->len, i);
            if (i > b)
                i = b;
        }
        if (!push_chunk(t, (chunk){start, i, 0, measure(ui, text, start, i), rtl}))
            return x;
    }
    /* place them: left to right, or for a right-to-left run the last piece first */
    for (int k = 0, n = t->n_chunks - first; k < n; k++) {
        chunk *c = &t->chunks[rtl ? t->n_chunks - 1 - k : first + k];
        if (!rtl && t->preedit_w > 0 && c->start == t->cursor)
            x += t->preedit_w;
        c->x = x;
        x += c->w;
    }
    if (rtl) /* keep the line's pieces in visual order */
        for (int lo = first, hi = t->n_chunks - 1; lo < hi; lo++, hi--) {
            chunk tmp = t->chunks[lo];
            t->chunks[lo] = t->chunks[hi];
            t->chunks[hi] = tmp;
        }
    return x;
}

/* One line's pieces in visual order. */
static void lay_out_line(ats_ui *ui, text_layout *t, size_t a, size_t b) {
    text_line line = {a, b, t->n_chunks, 0, 0};
    float x = 0;
    ats_bidi_run *runs = b > a ? malloc((b - a) * sizeof *runs) : NULL;
    int n = runs ? ats_bidi_runs(t->text + a, b - a, true, runs, (int)(b - a)) : 0;
    if (!runs && b > a) /* out of memory: left to right */
        x = cut_run(ui, t, a, b, false, x);
    for (int r = 0; r < n; r++)
        x = cut_run(ui, t, a + runs[r].start, a + runs[r].end, runs[r].rtl, x);
    free(runs);
    if (t->preedit_w > 0 && t->cursor == b)
        x += t->preedit_w;
    line.n_chunks = t->n_chunks - line.first_chunk;
    line.width = x;
    if (push_line(t, line))
        t->width = fmaxf(t->width, x);
}

/* Copies the editor's text and cuts it into lines and measured pieces. */
static void lay_out(ats_ui *ui, const ats_app *app, frect box, bool chips) {
    text_layout *t = &ui->text;
    const ats_editor *ed = ats_app_get_editor(app);
    const ats_app_state *s = ats_app_get_state(app);
    size_t len = ats_editor_length(ed);
    if (len + 1 > t->cap) {
        char *c = realloc(t->text, len + 1);
        if (!c)
            len = 0; /* draws nothing rather than a stale text */
        else {
            t->text = c;
            t->cap = len + 1;
        }
    }
    if (t->text)
        memcpy(t->text, ats_editor_text(ed), len), t->text[len] = '\0';
    t->len = len;
    t->box = box;
    t->size = UI_TEXT_SIZE * ui->u;
    t->line_h = LINE_H * ui->u;
    t->pitch = (LINE_H + (chips ? UI_CHIP_ROW : 0)) * ui->u;
    t->cursor = ats_editor_cursor(ed);
    t->preedit_w = s->preedit[0] ? ats_font_measure(ui->font, s->preedit, t->size, false) : 0;
    t->n_chunks = t->n_lines = 0;
    t->width = 0;
    size_t a = 0;
    for (size_t i = 0; i <= len; i++)
        if (i == len || t->text[i] == '\n') {
            lay_out_line(ui, t, a, i);
            a = i + 1;
        }
}

int ats_textbox_line_of(const ats_ui *ui, size_t off) {
    const text_layout *t = &ui->text;
    int lo = 0, hi = t->n_lines - 1; /* the last line starting at or before off */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (t->lines[mid].start <= off)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* x of offset `off` from the text's origin, the composition not counted for the cursor itself. */
static float local_x(ats_ui *ui, size_t off) {
    text_layout *t = &ui->text;
    if (t->n_lines == 0)
        return 0;
    off = off > t->len ? t->len : off;
    const text_line *l = &t->lines[ats_textbox_line_of(ui, off)];
    off = off > l->end ? l->end : off;
    bool before_preedit = t->preedit_w > 0 && off == t->cursor;
    const chunk *hit = NULL;
    for (int k = 0; k < l->n_chunks; k++) { /* the piece holding off: starting there, or ending */
        const chunk *c = &t->chunks[l->first_chunk + k];
        if (off >= c->start && off < c->end) {
            hit = c;
            break;
        }
        if (off == c->end && !hit)
            hit = c;
    }
    if (!hit) /* an empty line, or the end of a line with a composition */
        return l->width - (before_preedit ? t->preedit_w : 0);
    /* pieces start on character boundaries, so snapping within the piece is enough */
    off = hit->start +
          ats_textnav_snap(t->text + hit->start, hit->end - hit->start, off - hit->start);
    float into = measure(ui, t->text, hit->start, off);
    return hit->rtl ? hit->x + hit->w - into : hit->x + into;
}

float ats_textbox_x(ats_ui *ui, size_t off) {
    return ui->text.origin + local_x(ui, off);
}

float ats_textbox_line_y(const ats_ui *ui, size_t off) {
    const text_layout *t = &ui->text;
    int line = t->n_lines ? ats_textbox_line_of(ui, off) : 0;
    return t->top + (float)line * t->pitch + 0.5f * t->line_h;
}

size_t ats_textbox_offset_at(ats_ui *ui, float x, float y) {
    text_layout *t = &ui->text;
    if (t->n_lines == 0)
        return 0;
    int li = (int)floorf((y - t->top) / t->pitch);
    li = li < 0 ? 0 : li >= t->n_lines ? t->n_lines - 1 : li;
    const text_line *l = &t->lines[li];
    float lx = x - t->origin;
    size_t best = lx <= 0 ? l->start : l->end;
    float best_d = 1e30f;
    for (int k = 0; k < l->n_chunks; k++) {
        const chunk *c = &t->chunks[l->first_chunk + k];
        if (lx < c->x - 1 || lx > c->x + c->w + 1)
            continue;
        /* the nearest character boundary inside this piece */
        for (size_t o = c->start;;) {
            float into = measure(ui, t->text, c->start, o);
            float d = fabsf(lx - (c->rtl ? c->x + c->w - into : c->x + into));
            if (d < best_d)
                best = o, best_d = d;
            if (o >= c->end)
                break;
            o = ats_textnav_next_grapheme(t->text, t->len, o);
        }
    }
    if (best_d > 1e29f && l->n_chunks > 0) { /* left of the line or right of it */
        const chunk *first = &t->chunks[l->first_chunk];
        const chunk *last = &t->chunks[l->first_chunk + l->n_chunks - 1];
        if (lx <= first->x)
            best = first->rtl ? first->end : first->start;
        else
            best = last->rtl ? last->start : last->end;
    }
    return best;
}

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool ats_token_span(const ats_app *app, const char *text, size_t len, int token, size_t *s,
                    size_t *e, bool *exact) {
    *exact = ats_app_token_span(app, token, s, e);
    const ats_run *run = ats_app_get_text_run(app);
    if (!run || token < 0 || token >= ats_run_n_tokens(run))
        return false;
    if (*e > len)
        *e = len;
    if (*s > *e)
        *s = *e;
    size_t a = *s, b = *e;
    while (a < b && is_space(text[a]))
        a++;
    while (b > a && is_space(text[b - 1]))
        b--;
    if (a < b) /* a token of spaces only keeps its span */
        *s = a, *e = b;
    return true;
}

/* A soft rectangle behind text[a, b), line by line (in a right-to-left piece the x of a may
 * be right of the x of b). */
static void span_rect(ats_ui *ui, paint *p, size_t a, size_t b, ats_rgba color) {
    text_layout *t = &ui->text;
    for (int li = ats_textbox_line_of(ui, a); li < t->n_lines; li++) {
        const text_line *l = &t->lines[li];
        if (l->start > b)
            break;
        size_t s = a > l->start ? a : l->start, e = b < l->end ? b : l->end;
        float x0 = ats_textbox_x(ui, s), x1 = ats_textbox_x(ui, e), h = 1.3f * t->size;
        if (x1 < x0) {
            float tmp = x0;
            x0 = x1;
            x1 = tmp;
        }
        if (x1 - x0 < 2 * p->u)
            x1 = x0 + 2 * p->u;
        float y = ats_textbox_line_y(ui, l->start);
        ats_paint_rect(p, (frect){x0, y - 0.5f * h, x1 - x0, h}, 3 * p->u, color);
    }
}

/* Behind the text: what lies beyond the context, the focused token's span, the selection. */
static void backgrounds(ats_ui *ui, paint *p, const ats_app *app) {
    const ats_app_state *s = ats_app_get_state(app);
    const ats_run *run = ats_app_get_text_run(app);
    text_layout *t = &ui->text;
    size_t a, b;
    bool exact;
    if (run && ats_run_dropped_tokens(run) > 0 &&
        ats_token_span(app, t->text, t->len, ats_run_n_tokens(run) - 1, &a, &b, &exact) &&
        b < t->len)
        span_rect(ui, p, b, t->len, UI_DROPPED);
    int focus[3] = {ats_app_state_focus_token(s), s->view.hover_query, s->view.hover_key};
    for (int i = 0; i < 3; i++)
        if (focus[i] >= 0 && ats_token_span(app, t->text, t->len, focus[i], &a, &b, &exact))
            span_rect(ui, p, a, b, UI_FOCUS);
    const ats_editor *ed = ats_app_get_editor(app);
    if (ats_editor_has_selection(ed)) {
        ats_editor_selection(ed, &a, &b);
        span_rect(ui, p, a, b, UI_SELECTION);
    }
}

/* Keeps the caret inside the box with some room around it, across and down. */
static void follow_caret(ats_ui *ui, float caret_x, float inner_w, int caret_line, int rows) {
    text_layout *t = &ui->text;
    float room = fminf(60 * ui->u, 0.25f * inner_w);
    if (t->width <= inner_w - 2 * ui->u) {
        ui->scroll = 0;
    } else {
        if (caret_x - ui->scroll < room)
            ui->scroll = caret_x - room;
        if (caret_x - ui->scroll > inner_w - room)
            ui->scroll = caret_x - inner_w + room;
        ui->scroll = fmaxf(0, fminf(ui->scroll, t->width - inner_w + 4 * ui->u));
    }
    int first = (int)lroundf(ui->scroll_y / t->pitch);
    if (caret_line < first)
        first = caret_line;
    if (caret_line >= first + rows)
        first = caret_line - rows + 1;
    first = first > t->n_lines - rows ? t->n_lines - rows : first;
    ui->scroll_y = (float)(first > 0 ? first : 0) * t->pitch;
}

static const char *placeholder(const ats_app_state *s) {
    return s->analysis.compare
               ? (s->edit_target ? "Type text B, the one to compare" : "Type text A")
           : !s->seq2seq    ? "Type a sentence to see where each word looks (Enter: a new line)"
           : s->edit_target ? "Type the output (target), or Ctrl+G to generate it"
                            : "Type the input (source)";
}

void ats_textbox_draw(ats_ui *ui, paint *p, const ats_app *app, frect box, bool chips) {
    const ats_app_state *s = ats_app_get_state(app);
    text_layout *t = &ui->text;
    float u = p->u, pad = 12 * u;
    lay_out(ui, app, box, chips);
    bool focused = s->focus == ATS_FOCUS_TEXT;
    if (focused) /* the keyboard is here */
        ats_paint_outline(p, box, fmaxf(2 * u, 1), 6 * u, UI_ACCENT);
    frect inner = {box.x + pad, box.y, box.w - 2 * pad, box.h};
    int rows = (int)floorf((box.h - 2 * PAD_Y * u) / t->pitch + 0.01f);
    rows = rows < 1 ? 1 : rows;
    float caret_local = local_x(ui, t->cursor);
    if (t->preedit_w > 0) {
        char head[128];
        snprintf(head, sizeof head, "%.*s", s->preedit_cursor, s->preedit);
        caret_local += ats_font_measure(ui->font, head, t->size, false);
    }
    int caret_line = t->n_lines ? ats_textbox_line_of(ui, t->cursor) : 0;
    follow_caret(ui, caret_local, inner.w, caret_line, rows);
    t->origin = inner.x - ui->scroll;
    t->top = box.y + PAD_Y * u - ui->scroll_y;

    /* inside the padding: text scrolled sideways stops short of the border, not on it */
    ats_paint_clip(p, (frect){inner.x - 1 * u, box.y + 2 * u, inner.w + 2 * u, box.h - 4 * u});
    backgrounds(ui, p, app);
    for (int li = 0; li < t->n_lines; li++) {
        const text_line *l = &t->lines[li];
        float mid = t->top + (float)li * t->pitch + 0.5f * t->line_h;
        if (mid + t->line_h < box.y || mid - t->line_h > box.y + box.h)
            continue;
        for (int k = 0; k < l->n_chunks; k++) {
            const chunk *c = &t->chunks[l->first_chunk + k];
            float x = t->origin + c->x;
            if (x + c->w < box.x || x > box.x + box.w)
                continue;
            size_t n =
                c->end - c->start < sizeof ui->buf - 1 ? c->end - c->start : sizeof ui->buf - 1;
            memcpy(ui->buf, t->text + c->start, n);
            ui->buf[n] = '\0';
            ats_paint_text(p, x, mid, ui->buf, t->size, UI_INK, ATS_ALIGN_START, ATS_VALIGN_MIDDLE,
                           false, 0);
        }
    }
    float caret_y = ats_textbox_line_y(ui, t->cursor);
    if (t->preedit_w > 0) { /* the composition, underlined where the caret is */
        float x = t->origin + local_x(ui, t->cursor);
        ats_paint_text(p, x, caret_y, s->preedit, t->size, UI_ACCENT, ATS_ALIGN_START,
                       ATS_VALIGN_MIDDLE, false, 0);
        ats_paint_line(p, x, caret_y + 0.62f * t->size, x + t->preedit_w, caret_y + 0.62f * t->size,
                       fmaxf(1.5f * u, 1), UI_ACCENT);
    }
    if (t->len == 0 && t->preedit_w == 0)
        ats_paint_text(p, inner.x, t->top + 0.5f * t->line_h, placeholder(s), t->size, UI_FAINT,
                       ATS_ALIGN_START, ATS_VALIGN_MIDDLE, false, inner.w);
    float cx = t->origin + caret_local, half = 0.62f * t->size;
    if (focused) {
        float w = fmaxf(2 * u, 1);
        ats_paint_rect(p, (frect){roundf(cx - 0.5f * w), caret_y - half, w, 2 * half}, 0,
                       UI_ACCENT);
    }
    ats_paint_unclip(p);
    /* where an input method puts its candidate window, also when the views have the keys */
    ui->caret[0] = (int)lroundf(cx);
    ui->caret[1] = (int)lroundf(caret_y - half);
    ui->caret[2] = focused ? (int)fmaxf(2 * u, 1) : 0;
    ui->caret[3] = (int)lroundf(2 * half);
    ats_ui_region(ui, box, (ats_app_hit){.kind = ATS_APP_HIT_TEXT});
}

void ats_textbox_draw_other(ats_ui *ui, paint *p, const ats_app *app, frect box) {
    const ats_app_state *s = ats_app_get_state(app);
    const ats_editor *ed = ats_app_get_other_editor(app);
    float u = p->u, pad = 12 * u, size = UI_TEXT_SIZE * u, mid = box.y + 0.5f * box.h;
    ats_paint_outline(p, box, fmaxf(u, 1), 6 * u, UI_BORDER);
    size_t len = ed ? ats_editor_length(ed) : 0;
    ats_paint_clip(p, (frect){box.x + 2 * u, box.y, box.w - 4 * u, box.h});
    if (len > 0) { /* its first line, as far as it fits: a click gives it the keyboard */
        size_t n = strcspn(ats_editor_text(ed), "\n");
        n = n < sizeof ui->buf - 1 ? n : sizeof ui->buf - 1;
        while (n > 0 && n < len && ((unsigned char)ats_editor_text(ed)[n] & 0xC0) == 0x80)
            n--; /* whole characters */
        memcpy(ui->buf, ats_editor_text(ed), n);
        ui->buf[n] = '\0';
        ats_paint_text(p, box.x + pad, mid, ui->buf, size, UI_INK, ATS_ALIGN_START,
                       ATS_VALIGN_MIDDLE, false, box.w - 2 * pad);
    } else {
        ats_paint_text(p, box.x + pad, mid,
                       s->analysis.compare ? (s->edit_target ? "text A" : "text B (Ctrl+T)")
                       : s->edit_target    ? "the input (source)"
                                           : "Type the output (target), or Ctrl+G to generate it",
                       size, UI_FAINT, ATS_ALIGN_START, ATS_VALIGN_MIDDLE, false, box.w - 2 * pad);
    }
    ats_paint_unclip(p);
    ats_ui_region(ui, box, (ats_app_hit){.kind = ATS_APP_HIT_TEXT_OTHER});
}
