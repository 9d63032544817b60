/* The side panel's pipeline section: the highlighted step (Space, Shift+Space), the query
 * token, and the what-if switches, marked while any is on (the view draws its own badge too). */
#include "panel_internal.h"

#include <stdio.h>

/* The pipeline view: the highlighted step, the query token, and the what-if switches (marked
 * while any is on; the view draws its own badge too). */
void ats_pane_pipeline(pane *pn) {
    const ats_app_state *s = pn->s;
    float u = pn->u, gap = 4 * u, bh = 28 * u;
    ats_pane_heading(pn, "STEP  (Space, Shift+Space)");
    float bw = (pn->w - (float)ATS_PIPELINE_STEPS * gap) / (float)(ATS_PIPELINE_STEPS + 1);
    char label[16];
    for (int i = 0; i <= ATS_PIPELINE_STEPS; i++) {
        frect r = {pn->x + (float)i * (bw + gap), pn->y, bw, bh};
        snprintf(label, sizeof label, i ? "%d" : "all", i);
        ats_pane_button(pn, r, label, s->view.step == i, ats_pane_hovered(pn, ATS_APP_HIT_STEP, i),
                        (ats_app_hit){.kind = ATS_APP_HIT_STEP, .index = i});
    }
    pn->y += bh + 10 * u;
    const ats_run *run = ats_app_view_run(pn->app);
    bool cross = s->seq2seq && s->attn_kind == ATS_ATTN_CROSS; /* T5's decoder -> encoder */
    int token = ats_app_pipeline_token(pn->app);
    if (run && token >= 0) {
        char text[200];
        snprintf(text, sizeof text, "Query%s: '%.80s' (token %d)", cross ? " (decoder)" : "",
                 ats_tokens_get(ats_run_get_tokens(run), token)->piece, token);
        ats_paint_text(pn->p, pn->x, pn->y, text, UI_BODY * u, UI_INK, ATS_ALIGN_START,
                       ATS_VALIGN_TOP, false, pn->w);
        pn->y += 19 * u;
        ats_paint_text(pn->p, pn->x, pn->y,
                       cross ? "keys: the source's tokens (the encoder's)"
                             : "click a token to make it the query",
                       UI_SMALL_SIZE * u, UI_MUTED, ATS_ALIGN_START, ATS_VALIGN_TOP, false, pn->w);
        pn->y += 14 * u;
    }
    bool active = ats_app_state_whatif_active(s);
    ats_pane_heading(pn, "WHAT IF");
    if (active) /* marked while a switch is off the model's own computation */
        ats_paint_text(pn->p, pn->x + pn->w, pn->y - 19 * u, "active", UI_SMALL_SIZE * u,
                       UI_ERROR_INK, ATS_ALIGN_END, ATS_VALIGN_TOP, true, 0);
    ats_pane_checkbox(pn,
                      "Divide the scores by \xE2\x88\x9A"
                      "d_k",
                      s->whatif.scale, (ats_app_hit){.kind = ATS_APP_HIT_WHATIF_SCALE});
    /* the mask: the model's own, on, or off */
    static const char *const NAMES[3] = {"as the model", "on", "off"};
    static const int VALUES[3] = {-1, 1, 0};
    static const float SHARE[3] = {0.5f, 0.25f, 0.25f};
    pn->y += 6 * u;
    ats_paint_text(pn->p, pn->x, pn->y, "Causal mask", UI_BODY * u, UI_INK, ATS_ALIGN_START,
                   ATS_VALIGN_TOP, false, 0);
    pn->y += 22 * u;
    if (cross) { /* the decoder token sees every source token: nothing to switch */
        ats_paint_text(pn->p, pn->x, pn->y, "not in cross-attention: all keys seen",
                       UI_SMALL_SIZE * u, UI_MUTED, ATS_ALIGN_START, ATS_VALIGN_TOP, false, pn->w);
        pn->y += 14 * u + 12 * u;
    } else {
        float mx = pn->x, room = pn->w - 2 * gap;
        for (int i = 0; i < 3; i++) {
            frect r = {mx, pn->y, SHARE[i] * room, bh};
            ats_pane_button(pn, r, NAMES[i], s->whatif.causal == VALUES[i],
                            ats_pane_hovered(pn, ATS_APP_HIT_WHATIF_MASK, VALUES[i]),
                            (ats_app_hit){.kind = ATS_APP_HIT_WHATIF_MASK, .index = VALUES[i]});
            mx += r.w + gap;
        }
        pn->y += bh + 12 * u;
    }
    char t[64];
    snprintf(t, sizeof t, "Softmax temperature %.2f", (double)s->whatif.temperature);
    ats_paint_text(pn->p, pn->x, pn->y, t, UI_BODY * u, UI_INK, ATS_ALIGN_START, ATS_VALIGN_TOP,
                   false, pn->w);
    pn->y += 22 * u;
    ats_pane_slider(pn, ats_app_temperature_position(s->whatif.temperature),
                    ATS_APP_HIT_TEMPERATURE, true);
}
