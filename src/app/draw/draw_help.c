/* The help overlay (F1 or ?): every key of the key map's table, in its order, then what the
 * mouse does. Two columns when one does not fit. A click anywhere, Esc or F1 closes it. */
#include "ui_internal.h"

#include "keymap.h"

#include <stdio.h>

typedef struct help_row {
    const char *key, *what;
} help_row;

static const help_row MOUSE[] = {
    {"hover a token", "highlight it everywhere"},
    {"click a token", "lock it; click again or Esc to unlock"},
    {"wheel / drag on heatmap", "zoom around the pointer / pan"},
    {"double-click heatmap", "fit it again"},
    {"click a grid thumbnail", "open that head in the heatmap"},
    {"Shift+click a thumbnail", "switch that head off / on"},
    {"click a predicted token", "append it (BERT: put it in the [MASK])"},
    {"click a [MASK] token", "BERT: show what the model predicts there"},
    {"drop a file or folder", "open it as the model"},
    {"drop a model with Ctrl", "compare with it (text B runs on it)"},
    {"drop a folder on Export", "export there (or drop with Shift)"},
};

#define N_MOUSE (sizeof MOUSE / sizeof MOUSE[0])

/* One line of the overlay: a section heading (what == NULL) or a key and what it does. */
static int gather(help_row *rows, int max, int *split) {
    size_t n_keys;
    const ats_binding *table = ats_keymap_table(&n_keys);
    int n = 0;
    rows[n++] = (help_row){"VIEWS AND WINDOW", NULL};
    bool text_box = false, analysis = false;
    for (size_t i = 0; i < n_keys && n < max - (int)N_MOUSE - 4; i++) {
        if (!table[i].label)
            continue;
        bool in_analysis =
            table[i].action >= ATS_ACTION_NEXT_TOKEN && table[i].action <= ATS_ACTION_COMPARE;
        if (!analysis && in_analysis) {
            analysis = true;
            *split = n; /* two columns: the analysis keys start the second */
            rows[n++] = (help_row){"ANALYSIS", NULL};
        }
        if (!text_box && table[i].action >= ATS_ACTION_EDIT_MOVE) {
            text_box = true;
            if (!analysis)
                *split = n; /* else the text box's keys follow the analysis keys */
            rows[n++] = (help_row){"TEXT BOX", NULL};
        }
        rows[n++] = (help_row){table[i].label, table[i].help};
    }
    rows[n++] = (help_row){"MOUSE", NULL};
    for (size_t i = 0; i < N_MOUSE; i++)
        rows[n++] = MOUSE[i];
    return n;
}

void ats_help_draw(ats_ui *ui, paint *p, const ats_app *app) {
    (void)app;
    float u = p->u, W = (float)ui->width, H = (float)ui->height;
    ats_paint_rect(p, (frect){0, 0, W, H}, 0, (ats_rgba){20, 24, 30, 150});
    ats_ui_region(ui, (frect){0, 0, W, H}, (ats_app_hit){.kind = ATS_APP_HIT_HELP});

    help_row rows[112];
    int split = 0, n = gather(rows, 112, &split);
    float size = UI_BODY * u + u, line = 25 * u, pad = 26 * u, title_h = 44 * u;
    float key_w = 0, what_w = 0;
    for (int i = 0; i < n; i++)
        if (rows[i].what) {
            key_w = fmaxf(key_w, ats_paint_measure(p, rows[i].key, size, true));
            what_w = fmaxf(what_w, ats_paint_measure(p, rows[i].what, size, false));
        }
    key_w = fminf(key_w, 240 * u);
    float col_w = key_w + 20 * u + fminf(what_w, 470 * u);
    /* one column when it fits the height, else two side by side (texts cut to the width) */
    int cols = title_h + (float)n * line + 2 * pad > H - 20 * u && split > 0 ? 2 : 1;
    int per_col = cols == 2 ? (split > n - split ? split : n - split) : n;
    if (cols == 2)
        col_w = fminf(col_w, 0.5f * (W - 20 * u - 3 * pad));
    if (title_h + (float)per_col * line + 2 * pad > H - 20 * u)
        line = fmaxf((H - 20 * u - title_h - 2 * pad) / (float)per_col, 0.9f * size);
    float w = fminf((float)cols * col_w + (float)(cols + 1) * pad, W - 20 * u);
    float h = fminf(title_h + (float)per_col * line + 2 * pad, H - 20 * u);
    frect card = {0.5f * (W - w), 0.5f * (H - h), w, h};
    ats_paint_rect(p, card, 10 * u, UI_CARD);
    ats_paint_text(p, card.x + pad, card.y + pad, "Keys and mouse", 20 * u, UI_INK, ATS_ALIGN_START,
                   ATS_VALIGN_TOP, true, 0);
    ats_paint_text(p, card.x + card.w - pad, card.y + pad + 3 * u, "Esc, F1 or a click closes this",
                   UI_SMALL_SIZE * u + u, UI_MUTED, ATS_ALIGN_END, ATS_VALIGN_TOP, false, 0);
    ats_paint_clip(p, card);
    float top = card.y + pad + title_h;
    for (int i = 0; i < n; i++) {
        int c = cols == 2 && i >= split ? 1 : 0, r = c ? i - split : i;
        float x = card.x + pad + (float)c * (col_w + pad), y = top + (float)r * line + 0.5f * line;
        if (!rows[i].what) {
            ats_paint_text(p, x, y, rows[i].key, UI_HEADING * u, UI_MUTED, ATS_ALIGN_START,
                           ATS_VALIGN_MIDDLE, true, 0);
            continue;
        }
        ats_paint_text(p, x + key_w, y, rows[i].key, size, UI_ACCENT, ATS_ALIGN_END,
                       ATS_VALIGN_MIDDLE, true, key_w);
        ats_paint_text(p, x + key_w + 20 * u, y, rows[i].what, size, UI_INK, ATS_ALIGN_START,
                       ATS_VALIGN_MIDDLE, false, col_w - key_w - 20 * u);
    }
    ats_paint_unclip(p);
}
