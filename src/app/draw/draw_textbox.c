/* The text box: one line of the editor's text, scrolled to keep the caret in view, with the
 * selection, the input method's composition (underlined, at the caret), the span of the token
 * the views focus, the text beyond the model's context, and a hint when it is empty.
 *
 * The line is drawn in short pieces (a word and its spaces, or a few characters of unspaced
 * text), each measured on its own: the font caches a measured text, so laying out a long text
 * every frame costs lookups, and an offset's x needs only the prefix of one piece. */
#include "ui_internal.h"

#include "text_nav.h"

#include <stdlib.h>
#include <string.h>

#define PIECE_BYTES 24 /* unspaced text is cut into pieces of about this many bytes */

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

/* Copies the editor's text and cuts it into measured pieces. */
static void lay_out(ats_ui *ui, const ats_app *app, frect box) {
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
    t->mid_y = box.y + 0.5f * box.h;
    t->cursor = ats_editor_cursor(ed);
    t->preedit_w = s->preedit[0] ? ats_font_measure(ui->font, s->preedit, t->size, false) : 0;
    t->n_chunks = 0;
    const char *text = t->text;
    float x = 0;
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        if (t->preedit_w > 0 && i == t->cursor)
            x += t->preedit_w;
        bool spaces = false;
        while (i < len) {
            if (t->preedit_w > 0 && i == t->cursor && i > start)
                break; /* the composition goes in here */
            if (text[i] == ' ')
                spaces = true;
            else if (spaces)
                break; /* a word and the spaces after it */
            if (i - start >= PIECE_BYTES)
                break;
            i = ats_textnav_next_grapheme(text, len, i);
        }
        float w = measure(ui, text, start, i);
        if (!push_chunk(t, (chunk){start, i, x, w}))
            break;
        x += w;
    }
    if (t->preedit_w > 0 && t->cursor >= len)
        x += t->preedit_w;
    t->width = x;
}

/* x of offset `off` from the text's origin, the composition not counted for the cursor itself. */
static float local_x(ats_ui *ui, size_t off) {
    text_layout *t = &ui->text;
    if (off > t->len)
        off = t->len;
    if (t->n_chunks == 0)
        return 0;
    bool before_preedit = t->preedit_w > 0 && off == t->cursor;
    if (off >= t->len)
        return t->width - (before_preedit ? t->preedit_w : 0);
    int lo = 0, hi = t->n_chunks - 1; /* the last piece starting at or before off */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (t->chunks[mid].start <= off)
            lo = mid;
        else
            hi = mid - 1;
    }
    const chunk *c = &t->chunks[lo];
    /* pieces start on character boundaries, so snapping within the piece is enough (and cheap:
     * snapping from the start of a long text costs a walk over all of it) */
    off = c->start + ats_textnav_snap(t->text + c->start, c->end - c->start, off - c->start);
    return c->x + measure(ui, t->text, c->start, off) - (before_preedit ? t->preedit_w : 0);
}

float ats_textbox_x(ats_ui *ui, size_t off) {
    return ui->text.origin + local_x(ui, off);
}

size_t ats_textbox_offset_at(ats_ui *ui, float x) {
    text_layout *t = &ui->text;
    float lx = x - t->origin;
    if (lx <= 0 || t->n_chunks == 0)
        return 0;
    for (int k = 0; k < t->n_chunks; k++) {
        const chunk *c = &t->chunks[k];
        if (lx >= c->x + c->w)
            continue;
        /* the nearest character boundary inside this piece */
        size_t best = c->start;
        float best_d = fabsf(lx - c->x);
        for (size_t o = c->start; o < c->end;) {
            o = ats_textnav_next_grapheme(t->text, t->len, o);
            float d = fabsf(lx - (c->x + measure(ui, t->text, c->start, o)));
            if (d < best_d)
                best = o, best_d = d;
        }
        return best;
    }
    return t->len;
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

/* A soft rectangle behind text[a, b). */
static void span_rect(ats_ui *ui, paint *p, size_t a, size_t b, ats_rgba color) {
    text_layout *t = &ui->text;
    float x0 = ats_textbox_x(ui, a), x1 = ats_textbox_x(ui, b), h = 1.3f * t->size;
    if (x1 - x0 < 2 * p->u)
        x1 = x0 + 2 * p->u;
    ats_paint_rect(p, (frect){x0, t->mid_y - 0.5f * h, x1 - x0, h}, 3 * p->u, color);
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

/* Keeps the caret inside the box with some room around it. */
static void follow_caret(ats_ui *ui, float caret_x, float inner_w) {
    text_layout *t = &ui->text;
    float room = fminf(60 * ui->u, 0.25f * inner_w);
    if (t->width <= inner_w - 2 * ui->u) {
        ui->scroll = 0;
        return;
    }
    if (caret_x - ui->scroll < room)
        ui->scroll = caret_x - room;
    if (caret_x - ui->scroll > inner_w - room)
        ui->scroll = caret_x - inner_w + room;
    ui->scroll = fmaxf(0, fminf(ui->scroll, t->width - inner_w + 4 * ui->u));
}

void ats_textbox_draw(ats_ui *ui, paint *p, const ats_app *app, frect box) {
    const ats_app_state *s = ats_app_get_state(app);
    text_layout *t = &ui->text;
    float u = p->u, pad = 12 * u;
    lay_out(ui, app, box);
    bool focused = s->focus == ATS_FOCUS_TEXT;
    if (focused) /* the keyboard is here */
        ats_paint_outline(p, box, fmaxf(2 * u, 1), 6 * u, UI_ACCENT);
    frect inner = {box.x + pad, box.y, box.w - 2 * pad, box.h};
    float caret_local = local_x(ui, t->cursor);
    if (t->preedit_w > 0) {
        char head[128];
        snprintf(head, sizeof head, "%.*s", s->preedit_cursor, s->preedit);
        caret_local += ats_font_measure(ui->font, head, t->size, false);
    }
    follow_caret(ui, caret_local, inner.w);
    t->origin = inner.x - ui->scroll;

    ats_paint_clip(p, (frect){box.x + 2 * u, box.y, box.w - 4 * u, box.h});
    backgrounds(ui, p, app);
    for (int k = 0; k < t->n_chunks; k++) {
        const chunk *c = &t->chunks[k];
        float x = t->origin + c->x;
        if (x + c->w < box.x || x > box.x + box.w)
            continue;
        size_t n = c->end - c->start < sizeof ui->buf - 1 ? c->end - c->start : sizeof ui->buf - 1;
        memcpy(ui->buf, t->text + c->start, n);
        ui->buf[n] = '\0';
        ats_paint_text(p, x, t->mid_y, ui->buf, t->size, UI_INK, ATS_ALIGN_START, ATS_VALIGN_MIDDLE,
                       false, 0);
    }
    if (t->preedit_w > 0) { /* the composition, underlined where the caret is */
        float x = t->origin + local_x(ui, t->cursor);
        ats_paint_text(p, x, t->mid_y, s->preedit, t->size, UI_ACCENT, ATS_ALIGN_START,
                       ATS_VALIGN_MIDDLE, false, 0);
        ats_paint_line(p, x, t->mid_y + 0.62f * t->size, x + t->preedit_w,
                       t->mid_y + 0.62f * t->size, fmaxf(1.5f * u, 1), UI_ACCENT);
    }
    if (t->len == 0 && t->preedit_w == 0)
        ats_paint_text(p, inner.x, t->mid_y,
                       s->analysis.compare
                           ? (s->edit_target ? "Type text B, the one to compare" : "Type text A")
                       : !s->seq2seq    ? "Type a sentence to see where each word looks"
                       : s->edit_target ? "Type the output (target), or Ctrl+G to generate it"
                                        : "Type the input (source)",
                       t->size, UI_FAINT, ATS_ALIGN_START, ATS_VALIGN_MIDDLE, false, inner.w);
    float cx = t->origin + caret_local, half = 0.62f * t->size;
    if (focused) {
        float w = fmaxf(2 * u, 1);
        ats_paint_rect(p, (frect){roundf(cx - 0.5f * w), t->mid_y - half, w, 2 * half}, 0,
                       UI_ACCENT);
    }
    ats_paint_unclip(p);
    /* where an input method puts its candidate window, also when the views have the keys */
    ui->caret[0] = (int)lroundf(cx);
    ui->caret[1] = (int)lroundf(t->mid_y - half);
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
    if (len > 0) { /* its start, as far as it fits: a click gives it the keyboard */
        size_t n = len < sizeof ui->buf - 1 ? len : sizeof ui->buf - 1;
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
