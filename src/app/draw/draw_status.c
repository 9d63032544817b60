/* The status bar: how many tokens the view shows (and how many fell beyond the context), what
 * the last tokenize, forward pass and frame took, why the newest text could not run, and on the
 * right whether a run is computing, which part has the keys, and where the help is. */
#include "ui_internal.h"

#include <stdio.h>

static void ms(char *out, size_t n, double v) {
    snprintf(out, n, v < 10 ? "%.2f ms" : v < 100 ? "%.1f ms" : "%.0f ms", v);
}

void ats_status_draw(ats_ui *ui, paint *p, const ats_app *app, frect bar) {
    (void)ui;
    const ats_app_state *s = ats_app_get_state(app);
    const ats_app_timings *t = &s->timings;
    float u = p->u, size = UI_SMALL_SIZE * u + u, y = bar.y + 0.5f * bar.h, x0 = bar.x + UI_M * u;
    ats_paint_line(p, bar.x, bar.y + 0.5f * u, bar.x + bar.w, bar.y + 0.5f * u, fmaxf(u, 1),
                   UI_BORDER);

    /* right: computing, which part has the keys and how to hand them over, help (drawn first:
     * the left side is cut before it) */
    char right[160];
    bool whatif = s->view.view == ATS_VIEW_PIPELINE && ats_app_state_whatif_active(s);
    bool text = s->focus == ATS_FOCUS_TEXT;
    /* the longest wording that fits whole (large presentation sizes get the short ones) */
    static const char *const HINT[2][3] = {
        {"Enter: keys to the text box", "Enter: text box", ""},
        {"Esc or Ctrl+Enter: keys to the views", "Esc: keys to the views", ""}};
    for (int k = 0; k < 3; k++) {
        snprintf(right, sizeof right, "%s%s%s%sF1 help", whatif ? "what-if on   \xC2\xB7   " : "",
                 s->computing ? "computing\xE2\x80\xA6   \xC2\xB7   " : "", HINT[text][k],
                 HINT[text][k][0] ? "   \xC2\xB7   " : "");
        if (ats_paint_measure(p, right, size, false) <= 0.45f * bar.w)
            break;
    }
    float rw = ats_paint_text(p, bar.x + bar.w - UI_M * u, y, right, size, UI_MUTED, ATS_ALIGN_END,
                              ATS_VALIGN_MIDDLE, false, 0.45f * bar.w);
    /* the part with the keys, in the accent colour like its ring */
    const char *keys = text ? "keys: text box" : "keys: views";
    float kw = ats_paint_measure(p, keys, size, true) + 16 * u;
    float kx = bar.x + bar.w - UI_M * u - rw - 14 * u - kw;
    frect pill = {kx, y - 0.5f * (size + 8 * u), kw, size + 8 * u};
    ats_paint_rect(p, pill, 0.5f * pill.h, UI_ACCENT_SOFT);
    ats_paint_text(p, kx + 0.5f * kw, y, keys, size, UI_ACCENT, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE,
                   true, 0);
    float right_edge = kx - 24 * u;

    char left[700], a[32], b[32], c[32];
    if (t->n_tokens > 0) {
        ms(a, sizeof a, t->tokenize_ms);
        ms(b, sizeof b, t->forward_ms);
        ms(c, sizeof c, t->draw_ms);
        /* the timings as far as they fit whole: all three, the forward pass, none */
        for (int k = 0; k < 3; k++) {
            int n =
                snprintf(left, sizeof left, "%d token%s", t->n_tokens, t->n_tokens == 1 ? "" : "s");
            if (k == 0)
                snprintf(left + n, sizeof left - (size_t)n,
                         "   \xC2\xB7   tokenize %s   \xC2\xB7   forward %s   \xC2\xB7   draw %s",
                         a, b, c);
            else if (k == 1)
                snprintf(left + n, sizeof left - (size_t)n, "   \xC2\xB7   forward %s", b);
            if (ats_paint_measure(p, left, size, false) <= right_edge - x0)
                break;
        }
    } else {
        snprintf(left, sizeof left, "no tokens yet");
    }
    float x = x0 + ats_paint_text(p, x0, y, left, size, UI_INK, ATS_ALIGN_START, ATS_VALIGN_MIDDLE,
                                  false, right_edge - x0);
    char extra[600] = "";
    const ats_editor *ed = ats_app_get_editor(app);
    if (s->run_error[0] && ats_editor_length(ed) == 0)
        extra[0] = '\0'; /* an empty text is no error: the views say what to do */
    else if (s->run_error[0])
        snprintf(extra, sizeof extra, "not run: %s", s->run_error);
    else if (t->n_dropped > 0)
        snprintf(extra, sizeof extra, "%d token%s beyond the context of %d not shown", t->n_dropped,
                 t->n_dropped == 1 ? "" : "s", t->context);
    if (extra[0] && right_edge - x - 18 * u > 60 * u)
        ats_paint_text(p, x + 18 * u, y, extra, size, UI_ERROR_INK, ATS_ALIGN_START,
                       ATS_VALIGN_MIDDLE, true, right_edge - x - 18 * u);
}
