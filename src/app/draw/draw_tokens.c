/* The token strip: a chip under each token's span of the text box, in the chip row of its line,
 * so the person sees how the text was cut. Every token gets a chip wide enough for its label
 * (".", "'", " t" included): a chip sits under its span when there is room and moves right along
 * its row when its neighbours need the room. A token that starts with a space shows a faint dot
 * before its label. Tokens the tokenizer added with no span ([CLS], <s>, </s>) stand where they
 * were added: before the first token or after the one they follow. Hovering a chip focuses its
 * token in every view and shows its number, id, piece and bytes; clicking locks it. A chip whose
 * token an edit since the run touched is drawn faded until the new run arrives. */
#include "ui_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPACE_MARK "\xC2\xB7" /* before the label of a token that starts with a space */

/* A chip's label: the piece without surrounding spaces, control characters as symbols. */
static void chip_label(const char *piece, char *out, size_t size) {
    size_t o = 0;
    const char *p = piece ? piece : "";
    while (*p == ' ')
        p++;
    if (p[0] == '#' && p[1] == '#' && p[2]) /* a WordPiece continuation: the chip is enough */
        p += 2;
    for (; *p && o + 4 < size; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\n')
            o += (size_t)snprintf(out + o, size - o, "\xE2\x86\xB5");
        else if (c == '\t')
            o += (size_t)snprintf(out + o, size - o, "\xE2\x87\xA5");
        else if (c < 0x20)
            o += (size_t)snprintf(out + o, size - o, "\xE2\x90%c", (char)(0x80 + c));
        else
            out[o++] = (char)c;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    if (o == 0 && piece && piece[0] == ' ')
        snprintf(out, size, "\xE2\x90\xA3"); /* a piece of spaces: the open box */
}

/* A leading space worth marking: the piece starts with one and has more after it. */
static bool leading_space(const char *piece) {
    return piece && piece[0] == ' ' && piece[strspn(piece, " ")] != '\0';
}

static bool focused(const ats_app_state *s, int token) {
    const ats_view_state *v = &s->view;
    return token == v->hover_token || token == v->locked_token || token == v->hover_query ||
           token == v->hover_key;
}

typedef struct chip {
    int token, line;
    float x, w;
    bool exact;
} chip;

/* The chips of every token, placed: spans first (the line and x under them), then tokens with no
 * span beside their neighbours, then each row left to right, pushing a chip right of the one
 * before it. Returns the count. */
/* Chips by row, then by the middle of their spans left to right, then token (qsort). */
static int by_place(const void *a, const void *b) {
    const chip *x = a, *y = b;
    float mx = x->x + 0.5f * x->w, my = y->x + 0.5f * y->w;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (fabsf(mx - my) > 0.5f)
        return mx < my ? -1 : 1;
    return x->token - y->token;
}

static int place_chips(ats_ui *ui, paint *p, const ats_app *app, chip *chips) {
    const text_layout *t = &ui->text;
    const ats_tokens *tokens = ats_run_get_tokens(ats_app_get_text_run(app));
    float u = p->u, size = UI_CHIP_SIZE * u, gap = 3 * u;
    int n = ats_tokens_count(tokens);
    char label[160];
    for (int i = 0; i < n; i++) {
        const ats_token *tok = ats_tokens_get(tokens, i);
        size_t a, b;
        bool exact, spanned = ats_token_span(app, t->text, t->len, i, &a, &b, &exact) &&
                              tok->end > tok->start;
        chip_label(tok->piece, label, sizeof label);
        float need = fmaxf(ats_paint_measure(p, label, size, false) + 12 * u, 18 * u);
        if (leading_space(tok->piece))
            need += ats_paint_measure(p, SPACE_MARK, size, false) + 2 * u;
        chip *c = &chips[i];
        *c = (chip){i, 0, 0, need, exact};
        if (!spanned) {
            c->line = -1; /* placed below, beside a neighbour */
            continue;
        }
        float x0 = ats_textbox_x(ui, a), x1 = ats_textbox_x(ui, b);
        if (x1 < x0) { /* right to left */
            float tmp = x0;
            x0 = x1;
            x1 = tmp;
        }
        c->line = ats_textbox_line_of(ui, a);
        /* centred under its span, as wide as its label needs */
        c->x = 0.5f * (x0 + x1) - 0.5f * fmaxf(need, x1 - x0 - gap);
        c->w = fmaxf(need, x1 - x0 - gap);
    }
    for (int i = 0; i < n; i++) { /* no span: after the token before, else before the next */
        chip *c = &chips[i];
        if (c->line >= 0)
            continue;
        int prev = i - 1, next = i + 1;
        while (prev >= 0 && chips[prev].line < 0)
            prev--;
        while (next < n && chips[next].line < 0)
            next++;
        if (prev >= 0) {
            c->line = chips[prev].line;
            c->x = chips[prev].x + chips[prev].w + gap;
        } else if (next < n) {
            c->line = chips[next].line;
            c->x = chips[next].x - gap - c->w;
        } else {
            c->line = t->n_lines - 1;
            c->x = 0;
        }
    }
    /* each row from the left: a chip never overlaps the one before it in its row */
    float *end = malloc((size_t)(t->n_lines > 0 ? t->n_lines : 1) * sizeof *end);
    if (!end) {
        p->status = ATS_ERR_NOMEM;
        return 0;
    }
    for (int l = 0; l < t->n_lines; l++) /* from the lines' start, inside the padding */
        end[l] = t->origin - gap;
    for (int i = 0; i < n; i++) {
        int l = chips[i].line < t->n_lines ? chips[i].line : t->n_lines - 1;
        chips[i].line = l < 0 ? 0 : l;
    }
    /* in the order they appear on screen (a right-to-left line's tokens run leftwards) */
    qsort(chips, (size_t)n, sizeof *chips, by_place);
    for (int i = 0; t->n_lines > 0 && i < n; i++) {
        chip *c = &chips[i];
        c->x = fmaxf(c->x, end[c->line] + gap);
        end[c->line] = c->x + c->w;
    }
    free(end);
    return n;
}

void ats_tokens_draw(ats_ui *ui, paint *p, const ats_app *app) {
    const ats_app_state *s = ats_app_get_state(app);
    const ats_run *run = ats_app_get_text_run(app);
    ui->tip_token = -1;
    const text_layout *t = &ui->text;
    if (!run || t->len == 0) /* an emptied box: the hint, not the last run's tokens */
        return;
    float u = p->u, chip_h = UI_CHIP_ROW * u - 6 * u, size = UI_CHIP_SIZE * u;
    const ats_tokens *tokens = ats_run_get_tokens(run);
    int n_tokens = ats_tokens_count(tokens);
    chip *chips = malloc((size_t)(n_tokens > 0 ? n_tokens : 1) * sizeof *chips);
    if (!chips) {
        p->status = ATS_ERR_NOMEM;
        return;
    }
    /* inside the text's padding, as the text is clipped (ats_textbox_draw) */
    frect clip = {t->box.x + 11 * u, t->box.y + 2 * u, t->box.w - 22 * u, t->box.h - 4 * u};
    int n = place_chips(ui, p, app, chips);
    ats_paint_clip(p, clip);
    char label[160];
    float mark_w = ats_paint_measure(p, SPACE_MARK, size, false);
    for (int k = 0; k < n; k++) {
        const chip *c = &chips[k];
        float y = t->top + (float)c->line * t->pitch + t->line_h + 1 * u;
        frect r = {c->x, y, c->w, chip_h};
        if (r.x > clip.x + clip.w || r.x + r.w < clip.x || r.y > clip.y + clip.h ||
            r.y + r.h < clip.y)
            continue;
        const ats_token *tok = ats_tokens_get(tokens, c->token);
        chip_label(tok->piece, label, sizeof label);
        bool hidden = tok->special && s->view.hide_special;
        bool is_focus = focused(s, c->token), locked = c->token == s->view.locked_token;
        ats_rgba bg = is_focus ? UI_FOCUS : UI_CHIP, ink = tok->special ? UI_MUTED : UI_INK;
        if (!c->exact || hidden) { /* stale until the next run, or hidden from the views */
            bg.a = 110;
            ink = UI_FAINT;
        }
        ats_paint_rect(p, r, 4 * u, bg);
        if (locked)
            ats_paint_outline(p, r, fmaxf(1.5f * u, 1), 4 * u, UI_INK);
        float lx = r.x + 0.5f * r.w;
        if (leading_space(tok->piece)) { /* the faint mark of the space, then the label */
            float lw = ats_paint_measure(p, label, size, is_focus);
            float x0 = lx - 0.5f * (lw + mark_w + 2 * u);
            ats_paint_text(p, x0, r.y + 0.5f * r.h, SPACE_MARK, size, UI_FAINT, ATS_ALIGN_START,
                           ATS_VALIGN_MIDDLE, false, 0);
            lx = x0 + mark_w + 2 * u + 0.5f * lw;
        }
        ats_paint_text(p, lx, r.y + 0.5f * r.h, label, size, ink, ATS_ALIGN_CENTER,
                       ATS_VALIGN_MIDDLE, is_focus, r.w - 2 * u);
        frect vis = {fmaxf(r.x, clip.x), fmaxf(r.y, clip.y), 0, 0};
        vis.w = fminf(r.x + r.w, clip.x + clip.w) - vis.x;
        vis.h = fminf(r.y + r.h, clip.y + clip.h) - vis.y;
        ats_ui_region(ui, vis, (ats_app_hit){.kind = ATS_APP_HIT_CHIP, .index = c->token});
        if (s->hover_control == ATS_APP_HIT_CHIP && s->hover_index == c->token) {
            ui->tip_token = c->token;
            ui->tip_anchor = r;
        }
    }
    ats_paint_unclip(p);
    free(chips);
}

void ats_tokens_tooltip(ats_ui *ui, paint *p, const ats_app *app) {
    const ats_run *run = ats_app_get_text_run(app);
    if (!run || ui->tip_token < 0 || ui->tip_token >= ats_run_n_tokens(run))
        return;
    const ats_token *tok = ats_tokens_get(ats_run_get_tokens(run), ui->tip_token);
    float u = p->u, size = UI_SMALL_SIZE * u + u, pad = 8 * u;
    char piece[200], line[400];
    size_t o = 0;
    for (const char *c = tok->piece; *c && o + 8 < sizeof piece; c++) { /* visible controls */
        if (*c == '\n')
            o += (size_t)snprintf(piece + o, sizeof piece - o, "\\n");
        else if (*c == '\t')
            o += (size_t)snprintf(piece + o, sizeof piece - o, "\\t");
        else
            piece[o++] = *c;
    }
    piece[o] = '\0';
    if (tok->start == tok->end)
        snprintf(line, sizeof line, "token %d \xC2\xB7 id %d \xC2\xB7 \"%s\" \xC2\xB7 %s",
                 ui->tip_token, tok->id, piece, tok->special ? "special, added" : "no bytes");
    else
        snprintf(line, sizeof line,
                 "token %d \xC2\xB7 id %d \xC2\xB7 \"%s\" \xC2\xB7 bytes %d\xE2\x80\x93%d",
                 ui->tip_token, tok->id, piece, tok->start, tok->end);
    float w = ats_paint_measure(p, line, size, false) + 2 * pad, h = size * 1.4f + 2 * pad;
    frect a = ui->tip_anchor;
    float x = fminf(fmaxf(a.x, 4 * u), (float)ui->width - w - 4 * u), y = a.y + a.h + 4 * u;
    if (y + h > (float)ui->height - 4 * u)
        y = a.y - 4 * u - h;
    frect r = {x, y, w, h};
    ats_paint_rect(p, (frect){r.x, r.y + 2 * u, r.w, r.h}, 6 * u, (ats_rgba){0, 0, 0, 40});
    ats_paint_rect(p, r, 6 * u, UI_INK);
    ats_paint_text(p, r.x + pad, r.y + 0.5f * r.h, line, size, UI_CARD, ATS_ALIGN_START,
                   ATS_VALIGN_MIDDLE, false, 0);
}
