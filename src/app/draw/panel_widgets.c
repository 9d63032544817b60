/* The side panel's controls: section headings, buttons, check boxes and sliders, each of which
 * registers its hit region (clipped to the panel's visible part, since the panel scrolls). */
#include "panel_internal.h"

#include <stdio.h>

void ats_pane_region(pane *pn, frect r, ats_app_hit hit) {
    float x0 = fmaxf(r.x, pn->clip.x), y0 = fmaxf(r.y, pn->clip.y);
    float x1 = fminf(r.x + r.w, pn->clip.x + pn->clip.w);
    float y1 = fminf(r.y + r.h, pn->clip.y + pn->clip.h);
    if (x1 > x0 && y1 > y0)
        ats_ui_region(pn->ui, (frect){x0, y0, x1 - x0, y1 - y0}, hit);
}

bool ats_pane_hovered(const pane *pn, ats_app_hit_kind kind, int index) {
    return pn->s->hover_control == kind && pn->s->hover_index == index;
}

void ats_pane_heading(pane *pn, const char *text) {
    pn->y += 13 * pn->u;
    ats_paint_text(pn->p, pn->x, pn->y, text, UI_HEADING * pn->u, UI_MUTED, ATS_ALIGN_START,
                   ATS_VALIGN_TOP, true, pn->w);
    pn->y += 18 * pn->u;
}

/* A button-like box with a centred label. */
void ats_pane_button(pane *pn, frect r, const char *label, bool selected, bool hover,
                     ats_app_hit hit) {
    float u = pn->u;
    ats_rgba bg = selected ? UI_ACCENT : hover ? UI_HOVER : UI_BG;
    ats_paint_rect(pn->p, r, 5 * u, bg);
    ats_paint_text(pn->p, r.x + 0.5f * r.w, r.y + 0.5f * r.h, label, UI_BODY * u,
                   selected ? UI_CARD : UI_INK, ATS_ALIGN_CENTER, ATS_VALIGN_MIDDLE, selected,
                   r.w - 6 * u);
    ats_pane_region(pn, r, hit);
}

void ats_pane_checkbox(pane *pn, const char *label, bool checked, ats_app_hit hit) {
    float u = pn->u, box = 18 * u, line = 19 * u, text_w = pn->w - box - 10 * u;
    /* the label wraps rather than being cut: the row grows with it */
    float text_h =
        ats_paint_wrapped(pn->p, 0, 0, label, UI_BODY * u, UI_INK, text_w, line, 3, true);
    float h = fmaxf(28 * u, text_h + 9 * u);
    frect row = {pn->x, pn->y, pn->w, h};
    if (ats_pane_hovered(pn, hit.kind, hit.index))
        ats_paint_rect(pn->p, frect_inset(row, -3 * u), 5 * u, UI_HOVER);
    frect b = {pn->x, pn->y + 5 * u, box, box};
    if (checked) {
        ats_paint_rect(pn->p, b, 4 * u, UI_ACCENT);
        float w = fmaxf(2 * u, 1);
        ats_paint_line(pn->p, b.x + 4 * u, b.y + 9.5f * u, b.x + 7.5f * u, b.y + 13 * u, w,
                       UI_CARD);
        ats_paint_line(pn->p, b.x + 7.5f * u, b.y + 13 * u, b.x + 14 * u, b.y + 5 * u, w, UI_CARD);
    } else {
        ats_paint_rect(pn->p, b, 4 * u, UI_CARD);
        ats_paint_outline(pn->p, b, fmaxf(1.5f * u, 1), 4 * u, UI_FAINT);
    }
    ats_paint_wrapped(pn->p, b.x + box + 10 * u, pn->y + 4 * u, label, UI_BODY * u, UI_INK, text_w,
                      line, 3, false);
    ats_pane_region(pn, row, hit);
    pn->y += h;
}

/* A row of n choices splitting the width (n_per_row a row), the selected one filled. */
void ats_pane_choices(pane *pn, const char *const *labels, int n, int per_row, int selected,
                      ats_app_hit_kind kind, const int *indices) {
    float u = pn->u, gap = 5 * u, bh = 28 * u;
    per_row = per_row < 1 ? 1 : per_row;
    float bw = (pn->w - (float)(per_row - 1) * gap) / (float)per_row;
    for (int i = 0; i < n; i++) {
        int index = indices ? indices[i] : i;
        frect r = {pn->x + (float)(i % per_row) * (bw + gap),
                   pn->y + (float)(i / per_row) * (bh + gap), bw, bh};
        ats_pane_button(pn, r, labels[i], index == selected, ats_pane_hovered(pn, kind, index),
                        (ats_app_hit){.kind = kind, .index = index});
    }
    pn->y += (float)((n + per_row - 1) / per_row) * (bh + gap) - gap;
}

/* A note in small muted text, wrapped to the column (never cut). */
void ats_pane_note(pane *pn, const char *text) {
    float u = pn->u;
    pn->y += 6 * u;
    pn->y += ats_paint_wrapped(pn->p, pn->x, pn->y, text, UI_SMALL_SIZE * u, UI_MUTED, pn->w,
                               16 * u, 6, false);
}

void ats_pane_slider(pane *pn, float position, ats_app_hit_kind kind, bool centre_mark) {
    float u = pn->u, knob = 9 * u;
    frect r = {pn->x, pn->y, pn->w, 2 * knob}; /* the hit area: track plus a knob's room */
    float x0 = r.x + knob, x1 = r.x + r.w - knob, cy = r.y + knob;
    float kx = x0 + (position < 0 ? 0 : position > 1 ? 1 : position) * (x1 - x0);
    ats_paint_rect(pn->p, (frect){x0, cy - 2 * u, x1 - x0, 4 * u}, 2 * u, UI_BORDER);
    if (centre_mark)
        ats_paint_rect(pn->p, (frect){0.5f * (x0 + x1) - u, cy - 6 * u, 2 * u, 12 * u}, 0,
                       UI_FAINT);
    else
        ats_paint_rect(pn->p, (frect){x0, cy - 2 * u, kx - x0, 4 * u}, 2 * u, UI_ACCENT);
    ats_paint_circle(pn->p, kx, cy, knob, ats_pane_hovered(pn, kind, 0) ? UI_ACCENT : UI_CARD);
    ats_paint_outline(pn->p, (frect){kx - knob, cy - knob, 2 * knob, 2 * knob}, fmaxf(2 * u, 1),
                      knob, UI_ACCENT);
    ats_pane_region(pn, r, (ats_app_hit){.kind = kind});
    pn->y += 2 * knob;
}
