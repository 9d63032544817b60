/* The token strip: a chip under each token's span of the text box, so the person sees how the
 * text was cut. Hovering a chip focuses its token in every view; clicking locks it. Tokens the
 * tokenizer added with no span ([CLS], <s>) get a second row, at the place they stand. A chip
 * whose token an edit since the run touched is drawn faded until the new run arrives. */
#include "ui_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ats_tokens_rows(const ats_app *app) {
    const ats_run *run = ats_app_get_text_run(app);
    if (!run)
        return 1;
    const ats_tokens *tokens = ats_run_get_tokens(run);
    for (int i = 0; i < ats_tokens_count(tokens); i++) {
        const ats_token *t = ats_tokens_get(tokens, i);
        if (t->start == t->end)
            return 2;
    }
    return 1;
}

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

static bool focused(const ats_app_state *s, int token) {
    const ats_view_state *v = &s->view;
    return token == v->hover_token || token == v->locked_token || token == v->hover_query ||
           token == v->hover_key;
}

typedef struct chip {
    int token, row;
    float x, w;
    float size; /* label size: smaller for a tight chip */
    bool exact;
} chip;

/* A chip sits under its span. It may grow to fit its label, into the room between the chip
 * before it and the next token's span, never further: chips stay under their words however the
 * text is cut. A label that still does not fit is drawn smaller, then cut. Tokens with no span
 * get the second row, centred where they stand, and push each other along. */
static int place_chips(ats_ui *ui, paint *p, const ats_app *app, chip *chips, int rows,
                       float left) {
    const text_layout *t = &ui->text;
    const ats_tokens *tokens = ats_run_get_tokens(ats_app_get_text_run(app));
    float u = p->u, size = UI_CHIP_SIZE * u, gap = 3 * u;
    int n = 0, count = ats_tokens_count(tokens);
    char label[160];
    /* spans first: the next span's start bounds a chip's growth */
    for (int i = 0; i < count; i++) {
        size_t a, b;
        bool exact;
        if (!ats_token_span(app, t->text, t->len, i, &a, &b, &exact))
            continue;
        const ats_token *tok = ats_tokens_get(tokens, i);
        float x0 = ats_textbox_x(ui, a), x1 = ats_textbox_x(ui, b);
        int r = tok->start == tok->end ? rows - 1 : 0; /* no span: the second row */
        chips[n++] = (chip){i, r, x0, x1 - x0, size, exact};
    }
    float end[2] = {left - gap, left - gap};
    for (int k = 0; k < n; k++) {
        chip *c = &chips[k];
        chip_label(ats_tokens_get(tokens, c->token)->piece, label, sizeof label);
        float need = ats_paint_measure(p, label, size, false) + 10 * u;
        float x0 = c->x + 0.5f * gap, x1 = c->x + c->w - 0.5f * gap;
        float lo = end[c->row] + gap, hi = 1e9f;
        if (c->row == 0)
            for (int j = k + 1; j < n; j++)
                if (chips[j].row == 0) {
                    hi = chips[j].x + 0.5f * gap; /* the next word's chip starts there */
                    break;
                }
        if (c->w <= 0) { /* no span: the label's width, pushed along the row */
            x0 = c->x - 0.5f * need;
            x1 = x0 + need;
            if (x0 < lo) {
                x1 += lo - x0;
                x0 = lo;
            }
        } else if (x1 - x0 < need) { /* grow about its centre within [lo, hi - gap] */
            float top = hi - gap, w = fminf(need, fmaxf(top - lo, x1 - x0));
            x0 = 0.5f * (x0 + x1) - 0.5f * w;
            x0 = fminf(x0, top - w);
            x0 = fmaxf(x0, lo);
            x1 = x0 + w;
        }
        x0 = fmaxf(x0, lo);
        if (x1 - x0 < 4 * u)
            x1 = x0 + 4 * u;
        c->x = x0;
        c->w = x1 - x0;
        if (c->w < need) /* shrink the label, down to a legible size */
            c->size = fminf(size, fmaxf(8.5f * u, size * (c->w - 4 * u) / (need - 10 * u)));
        end[c->row] = x1;
    }
    return n;
}

void ats_tokens_draw(ats_ui *ui, paint *p, const ats_app *app, frect strip) {
    const ats_app_state *s = ats_app_get_state(app);
    const ats_run *run = ats_app_get_text_run(app);
    if (!run)
        return;
    float u = p->u, row = UI_CHIP_ROW * u, chip_h = row - 6 * u;
    const text_layout *t = &ui->text;
    const ats_tokens *tokens = ats_run_get_tokens(run);
    int n_tokens = ats_tokens_count(tokens);
    chip *chips = malloc((size_t)(n_tokens > 0 ? n_tokens : 1) * sizeof *chips);
    if (!chips) {
        p->status = ATS_ERR_NOMEM;
        return;
    }
    frect clip = {t->box.x + 2 * u, strip.y, t->box.w - 4 * u, strip.h};
    int n = place_chips(ui, p, app, chips, ats_tokens_rows(app),
                        ats_textbox_x(ui, 0) > clip.x ? clip.x + 4 * u : -1e9f);
    ats_paint_clip(p, clip);
    char label[160];
    for (int k = 0; k < n; k++) {
        const chip *c = &chips[k];
        frect r = {c->x, strip.y + 3 * u + (float)c->row * row, c->w, chip_h};
        if (r.x > clip.x + clip.w || r.x + r.w < clip.x)
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
        if (r.w >= 6 * u)
            ats_paint_text(p, r.x + 0.5f * r.w, r.y + 0.5f * r.h, label, c->size, ink,
                           ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE, is_focus, r.w - 2 * u);
        float x0 = fmaxf(r.x, clip.x), x1 = fminf(r.x + r.w, clip.x + clip.w);
        ats_ui_region(ui, (frect){x0, r.y, x1 - x0, r.h},
                      (ats_app_hit){.kind = ATS_APP_HIT_CHIP, .index = c->token});
    }
    ats_paint_unclip(p);
    free(chips);
}
