/* Shared by the window's drawing files (draw_*.c, ui.c): the look, the layout of the last frame
 * kept for hit tests, and drawing helpers over a display list that remember the first failure.
 * Every size is in device pixels: the sizes below at ui scale 1, times ui->u. */
#ifndef ATS_APP_UI_INTERNAL_H
#define ATS_APP_UI_INTERNAL_H

#include "app.h"
#include "ui.h"

#include <math.h>

/* ---- the look: calm greys, one blue accent, the views' own yellow for a focused token ------- */

static const ats_rgba UI_BG = {241, 243, 246, 255};     /* behind the cards */
static const ats_rgba UI_CARD = {255, 255, 255, 255};   /* text box, views, panel */
static const ats_rgba UI_BORDER = {213, 218, 225, 255}; /* card edges, separators */
static const ats_rgba UI_INK = {31, 35, 40, 255};       /* text */
static const ats_rgba UI_MUTED = {92, 100, 112, 255};   /* captions, secondary text */
static const ats_rgba UI_FAINT = {150, 158, 168, 255};  /* placeholders, disabled */
static const ats_rgba UI_ACCENT = {29, 91, 216, 255};   /* selection, focus ring, caret */
static const ats_rgba UI_ACCENT_SOFT = {222, 233, 252, 255};
static const ats_rgba UI_HOVER = {234, 237, 241, 255}; /* a control under the pointer */
static const ats_rgba UI_FOCUS = {255, 236, 179, 255}; /* a focused token (as the views) */
static const ats_rgba UI_SELECTION = {190, 214, 250, 255};
static const ats_rgba UI_CHIP = {233, 237, 242, 255};
static const ats_rgba UI_ERROR_BG = {253, 232, 232, 255};
static const ats_rgba UI_ERROR_INK = {155, 28, 28, 255};
static const ats_rgba UI_ERROR_EDGE = {236, 132, 132, 255};
static const ats_rgba UI_NOTICE_BG = {226, 245, 233, 255};
static const ats_rgba UI_NOTICE_INK = {22, 96, 52, 255};
static const ats_rgba UI_NOTICE_EDGE = {126, 200, 152, 255};
static const ats_rgba UI_DROPPED = {252, 224, 224, 255}; /* text beyond the model's context */

/* Sizes at ui scale 1. Larger than a desktop default: the window is read from a projector. */
#define UI_M          12.0f /* outer margin and gap between cards */
#define UI_PAD        14.0f /* inside a card */
#define UI_TEXT_SIZE  21.0f /* the text box */
#define UI_CHIP_SIZE  13.0f
#define UI_CHIP_ROW   27.0f /* a row of token chips under each line of the text box */
#define UI_BODY       14.0f /* panel text */
#define UI_SMALL_SIZE 12.0f
#define UI_HEADING    12.0f /* panel section headings */
#define UI_PANEL_W    300.0f
#define UI_STATUS_H   30.0f
#define UI_RADIUS     8.0f

typedef struct frect {
    float x, y, w, h;
} frect;

static inline bool frect_has(frect r, float x, float y) {
    return x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
}

static inline frect frect_inset(frect r, float d) {
    return (frect){r.x + d, r.y + d, r.w - 2 * d, r.h - 2 * d};
}

/* ---- drawing into a display list ------------------------------------------------------------ */

typedef struct paint {
    ats_dl *dl;
    ats_font *font;
    float u; /* ui scale: device pixels per size unit */
    ats_status status;
} paint;

void ats_paint_rect(paint *p, frect r, float radius, ats_rgba color);
void ats_paint_outline(paint *p, frect r, float width, float radius, ats_rgba color);
/* A card: filled (when fill.a > 0) with an edge of edge_w inside its border. */
void ats_paint_card(paint *p, frect r, float radius, ats_rgba fill, ats_rgba edge, float edge_w);
void ats_paint_line(paint *p, float x0, float y0, float x1, float y1, float width, ats_rgba color);
void ats_paint_circle(paint *p, float cx, float cy, float radius, ats_rgba color);
/* Text at (x, y) with the given alignment; max_w > 0 elides. Returns the width drawn. */
float ats_paint_text(paint *p, float x, float y, const char *s, float size, ats_rgba color,
                     ats_align al, ats_valign va, bool bold, float max_w);
void ats_paint_clip(paint *p, frect r);
void ats_paint_unclip(paint *p);
float ats_paint_measure(paint *p, const char *s, float size, bool bold);
/* Wraps s into lines of at most max_w at `size`, drawn from (x, y) down (top-aligned) with
 * line height `line_h`, at most max_lines (the last elided). Returns the height used. With
 * measure_only nothing is drawn. */
float ats_paint_wrapped(paint *p, float x, float y, const char *s, float size, ats_rgba color,
                        float max_w, float line_h, int max_lines, bool measure_only);

/* ---- the renderer --------------------------------------------------------------------------- */

typedef struct region {
    frect r;
    ats_app_hit hit;
} region;

/* A piece of a line of the text box: bytes [start, end) at x (from the text's origin, before
 * scrolling) and w wide, in one direction. Pieces end after spaces, at the cursor while
 * composing, at a change of direction, or every few characters of unspaced text, so that
 * measuring stays cheap; a line's pieces are in visual order (right-to-left runs reversed). */
typedef struct chunk {
    size_t start, end;
    float x, w;
    bool rtl;
} chunk;

/* A line of the text (split at '\n'): bytes [start, end) (the newline left out), its pieces. */
typedef struct text_line {
    size_t start, end;
    int first_chunk, n_chunks;
    float width;
} text_line;

typedef struct text_layout {
    frect box;    /* the text area: text rows and the token strip's rows under each */
    float origin; /* screen x of a line's start: box.x + padding - scroll */
    float top;    /* screen y of the first line's row, scrolled */
    float line_h; /* a text row */
    float pitch;  /* from one line to the next (its text row and its chip row) */
    float size;   /* text size */
    float width;  /* the widest line (with the preedit) */
    char *text;   /* a copy of the editor's text as drawn */
    size_t len, cap;
    chunk *chunks;
    int n_chunks, cap_chunks;
    text_line *lines;
    int n_lines, cap_lines;
    size_t cursor;   /* where the preedit sits */
    float preedit_w; /* its width (0: none) */
} text_layout;

struct ats_ui {
    ats_font *font;
    ats_view *view; /* the views area's view, built every frame */
    ats_dl *base;   /* chrome under the view */
    ats_dl *over;   /* banner, menus, help over everything */
    unsigned builds;
    float u;
    int width, height;
    /* the views area (integers, so an export at this size has the same pixels) */
    int vx, vy, vw, vh;
    bool view_ok;
    ats_view_kind view_kind; /* of the view built */
    /* Several views in the views area (view, then stack_views), each in its rectangle
     * [stack_x, + stack_w) x [stack_y, + stack_h): T5's grid, a grid per attention kind stacked;
     * a comparison, texts A and B and their difference side by side. n_stacks 0 when one view
     * fills the area. */
    ats_view *stack_views[2];
    int n_stacks;
    int stack_x[3], stack_y[3], stack_w[3], stack_h[3];
    bool compared; /* the views are a comparison's (ats_ui_compose rebuilds them for an export) */
    /* heads the views of the last frame drew empty while the app's fetcher computes them (a long
     * text's): how many, and the first, named by the placeholder over the views */
    int pending, pending_layer, pending_head;
    frect panel;
    float panel_content_h;
    frect samples_button; /* the sample menu opens from it */
    text_layout text;
    float scroll;     /* text box, device pixels across */
    float scroll_y;   /* text box, device pixels down (more lines than it shows) */
    bool panel_shown; /* the side panel in the last frame */
    int tip_token;    /* the hovered chip's token (its tooltip), or -1 */
    frect tip_anchor; /* and the chip */
    region *regions;
    int n_regions, cap_regions;
    bool regions_failed;
    int caret[4];
    char buf[512]; /* scratch for measuring pieces of text */
};

/* Remembers r as answering `hit` (later regions are on top). */
void ats_ui_region(ats_ui *ui, frect r, ats_app_hit hit);

/* Text box (draw_textbox.c): its text area's height for the editor's text (its lines, at most
 * max_lines shown, each with a chip row under it when `chips`); lays out the editor's text in
 * `box` and draws it with the caret, selection, preedit, placeholder and the focused token's
 * span, right-to-left text in visual order. */
float ats_textbox_height(const ats_app *app, float u, bool chips, int max_lines);
void ats_textbox_draw(ats_ui *ui, paint *p, const ats_app *app, frect box, bool chips);
/* T5: the text box without the keyboard, its text plain (a click on it switches boxes). */
void ats_textbox_draw_other(ats_ui *ui, paint *p, const ats_app *app, frect box);
/* Screen x of byte offset `off` of the text as laid out last, and the y of the middle of its
 * line's text row. */
float ats_textbox_x(ats_ui *ui, size_t off);
float ats_textbox_line_y(const ats_ui *ui, size_t off);
/* The line holding byte offset `off`. */
int ats_textbox_line_of(const ats_ui *ui, size_t off);
/* The byte offset nearest screen (x, y). */
size_t ats_textbox_offset_at(ats_ui *ui, float x, float y);
/* A token's span trimmed of surrounding spaces (what a chip and a highlight cover); false when
 * the token has no span in the current text. */
bool ats_token_span(const ats_app *app, const char *text, size_t len, int token, size_t *s,
                    size_t *e, bool *exact);

/* Token strip (draw_tokens.c): a chip under each token's span, in the chip row of its line
 * (tokens with no span, [CLS] or </s>, beside their neighbours); hovering one shows its id,
 * piece and bytes. */
void ats_tokens_draw(ats_ui *ui, paint *p, const ats_app *app);
/* The tooltip of the hovered chip, over everything (draw_tokens.c). */
void ats_tokens_tooltip(ats_ui *ui, paint *p, const ats_app *app);

/* Side panel (draw_panel.c); while it is hidden, a button at the views' top right corner that
 * shows it again. */
void ats_panel_draw(ats_ui *ui, paint *p, const ats_app *app, frect panel);
void ats_panel_button_draw(ats_ui *ui, paint *p, const ats_app *app, frect views);
/* Status bar (draw_status.c). */
void ats_status_draw(ats_ui *ui, paint *p, const ats_app *app, frect bar);
/* The sample menu's button beside the text box (draw_overlay.c). */
void ats_samples_button_draw(ats_ui *ui, paint *p, const ats_app *app, frect r);
/* Over the views: banner, loading, heads being computed, sample menu (draw_overlay.c). */
void ats_overlay_draw(ats_ui *ui, paint *p, const ats_app *app, frect views);
/* The help overlay listing every key (draw_help.c). */
void ats_help_draw(ats_ui *ui, paint *p, const ats_app *app);

#endif
