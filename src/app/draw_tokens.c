/* The token strip: a chip under each token's span of the text box, so the person sees how the
 * text was cut. Hovering a chip focuses its token in every view; clicking locks it. Tokens the
 * tokenizer added with no span ([CLS], <s>) get a second row, at the place they stand. A chip
 * whose token an edit since the run touched is drawn faded until the new run arrives. */
#include "ui_internal.h"

#include <string.h>

int tokens_rows(const ats_app *app) {
    const ats_run *run = ats_app_get_run(app);
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

void tokens_draw(ats_ui *ui, paint *p, const ats_app *app, frect strip) {
    const ats_app_state *s = ats_app_get_state(app);
    const ats_run *run = ats_app_get_run(app);
    if (!run)
        return;
    float u = p->u, row = UI_CHIP_ROW * u, chip_h = row - 6 * u, size = UI_CHIP_SIZE * u;
    const text_layout *t = &ui->text;
    const ats_tokens *tokens = ats_run_get_tokens(run);
    int n = ats_tokens_count(tokens), rows = tokens_rows(app);
    frect clip = {t->box.x + 2 * u, strip.y, t->box.w - 4 * u, strip.h};
    p_clip(p, clip);
    for (int i = 0; i < n; i++) {
        size_t a, b;
        bool exact;
        if (!token_span(app, t->text, t->len, i, &a, &b, &exact))
            continue;
        const ats_token *tok = ats_tokens_get(tokens, i);
        char label[160];
        chip_label(tok->piece, label, sizeof label);
        float x0 = textbox_x(ui, a), x1 = textbox_x(ui, b);
        int r = 0;
        if (tok->start == tok->end) { /* no span: centred where it stands, on the second row */
            float w = p_measure(p, label, size, false) + 10 * u;
            x0 -= 0.5f * w;
            x1 = x0 + w;
            r = rows - 1;
        } else {
            x0 += 1.5f * u;
            x1 -= 1.5f * u;
        }
        if (x1 - x0 < 4 * u)
            x1 = x0 + 4 * u;
        frect chip = {x0, strip.y + 3 * u + (float)r * row, x1 - x0, chip_h};
        if (chip.x > clip.x + clip.w || chip.x + chip.w < clip.x)
            continue;
        bool hidden = tok->special && s->view.hide_special;
        bool is_focus = focused(s, i), locked = i == s->view.locked_token;
        ats_rgba bg = is_focus ? UI_FOCUS : UI_CHIP, ink = tok->special ? UI_MUTED : UI_INK;
        if (!exact || hidden) { /* stale until the next run, or hidden from the views */
            bg.a = 110;
            ink = UI_FAINT;
        }
        p_rect(p, chip, 4 * u, bg);
        if (locked)
            p_outline(p, chip, fmaxf(1.5f * u, 1), 4 * u, UI_INK);
        if (chip.w >= 12 * u)
            p_text(p, chip.x + 0.5f * chip.w, chip.y + 0.5f * chip.h, label, size, ink,
                   ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE, is_focus, chip.w - 6 * u);
        frect hit = chip;
        if (hit.x < clip.x) {
            hit.w -= clip.x - hit.x;
            hit.x = clip.x;
        }
        hit.w = fminf(hit.w, clip.x + clip.w - hit.x);
        ui_region(ui, hit, (ats_app_hit){.kind = ATS_APP_HIT_CHIP, .index = i});
    }
    p_unclip(p);
}
