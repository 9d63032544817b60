/* The help overlay (F1 or ?): every key of the key map's table, in its order, then what the
 * mouse does. Two columns when one does not fit. A click anywhere, Esc or F1 closes it. */
#include "ui_internal.h"

#include "keymap.h"

#include <stdio.h>

typedef struct help_row {
    const char *key, *what;
} help_row;

static const help_row MOUSE[] = {
    {"hover a token", "highlight it in the strip, the labels and the lines"},
    {"click a token", "lock it (the lines view shows only its lines); again or Esc: unlock"},
    {"wheel on the heatmap", "zoom around the pointer; drag to pan"},
    {"click a grid thumbnail", "open that head in the heatmap"},
    {"drop a model", "open a file or folder (the previous model stays if it fails)"},
    {"drop a folder on Export", "save exports there (or drop it with Shift held)"},
};

#define N_MOUSE (sizeof MOUSE / sizeof MOUSE[0])

void help_draw(ats_ui *ui, paint *p, const ats_app *app) {
    (void)app;
    float u = p->u, W = (float)ui->width, H = (float)ui->height;
    p_rect(p, (frect){0, 0, W, H}, 0, (ats_rgba){20, 24, 30, 150});
    ui_region(ui, (frect){0, 0, W, H}, (ats_app_hit){.kind = ATS_APP_HIT_HELP});

    size_t n_keys;
    const ats_binding *table = ats_keymap_table(&n_keys);
    help_row rows[96];
    int n = 0;
    for (size_t i = 0; i < n_keys && n < 80; i++)
        if (table[i].label)
            rows[n++] = (help_row){table[i].label, table[i].help};
    int n_keyrows = n;
    for (size_t i = 0; i < N_MOUSE; i++)
        rows[n++] = MOUSE[i];

    float size = UI_BODY * u + u, line = 25 * u, pad = 26 * u, title_h = 44 * u;
    float key_w = 0, what_w = 0;
    for (int i = 0; i < n; i++) {
        key_w = fmaxf(key_w, p_measure(p, rows[i].key, size, true));
        what_w = fmaxf(what_w, p_measure(p, rows[i].what, size, false));
    }
    key_w = fminf(key_w, 240 * u);
    float col_w = key_w + 20 * u + fminf(what_w, 470 * u);
    float rows_h = (float)(n + 2) * line; /* two section headings */
    int cols = title_h + rows_h + 2 * pad > H - 40 * u && 2 * col_w + 3 * pad < W ? 2 : 1;
    int per_col = cols == 2 ? (n + 3) / 2 : n + 2;
    float w = fminf((float)cols * col_w + (float)(cols + 1) * pad, W - 20 * u);
    float h = fminf(title_h + (float)per_col * line + 2 * pad, H - 20 * u);
    frect card = {0.5f * (W - w), 0.5f * (H - h), w, h};
    p_rect(p, card, 10 * u, UI_CARD);
    p_text(p, card.x + pad, card.y + pad, "Keys and mouse", 20 * u, UI_INK, ATS_ALIGN_START,
           ATS_VALIGN_TOP, true, 0);
    p_text(p, card.x + card.w - pad, card.y + pad + 3 * u, "Esc, F1 or a click closes this",
           UI_SMALL_SIZE * u + u, UI_MUTED, ATS_ALIGN_END, ATS_VALIGN_TOP, false, 0);
    p_clip(p, card);
    float top = card.y + pad + title_h;
    int slot = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 || i == n_keyrows) { /* section heading */
            int c = slot / per_col, r = slot % per_col;
            float x = card.x + pad + (float)c * (col_w + pad), y = top + (float)r * line;
            p_text(p, x, y + 0.5f * line, i == 0 ? "KEYS" : "MOUSE", UI_HEADING * u, UI_MUTED,
                   ATS_ALIGN_START, ATS_VALIGN_MIDDLE, true, 0);
            slot++;
        }
        int c = slot / per_col, r = slot % per_col;
        float x = card.x + pad + (float)c * (col_w + pad), y = top + (float)r * line + 0.5f * line;
        p_text(p, x + key_w, y, rows[i].key, size, UI_ACCENT, ATS_ALIGN_END, ATS_VALIGN_MIDDLE,
               true, key_w);
        p_text(p, x + key_w + 20 * u, y, rows[i].what, size, UI_INK, ATS_ALIGN_START,
               ATS_VALIGN_MIDDLE, false, col_w - key_w - 20 * u);
        slot++;
    }
    p_unclip(p);
}
