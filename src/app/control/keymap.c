#include "keymap.h"
#include "editor.h"
#include "export_keys.h"

#include <string.h>

#define CTRL  ATS_MOD_CTRL
#define SHIFT ATS_MOD_SHIFT

/* clang-format off */
static const ats_binding TABLE[] = {
    /* views */
    {ATS_KEY_UP,    NULL, 0, false, ATS_IN_BOTH,  ATS_ACTION_LAYER_PREV, 0, "Up / Down", "previous / next layer"},
    {ATS_KEY_DOWN,  NULL, 0, false, ATS_IN_BOTH,  ATS_ACTION_LAYER_NEXT, 0, NULL, NULL},
    {ATS_KEY_LEFT,  NULL, 0, false, ATS_IN_VIEWS, ATS_ACTION_HEAD_PREV,  0, "Left / Right", "previous / next head (views)"},
    {ATS_KEY_RIGHT, NULL, 0, false, ATS_IN_VIEWS, ATS_ACTION_HEAD_NEXT,  0, NULL, NULL},
    {ATS_KEY_NONE, "0", 0, false, ATS_IN_VIEWS, ATS_ACTION_HEAD_SET, 0, "0 - 9", "head 0 to 9; two digits: head 10 and up (views)"},
    {ATS_KEY_NONE, "1", 0, false, ATS_IN_VIEWS, ATS_ACTION_HEAD_SET, 1, NULL, NULL},
    {ATS_KEY_NONE, "2", 0, false, ATS_IN_VIEWS, ATS_ACTION_HEAD_SET, 2, NULL, NULL},
    {ATS_KEY_NONE, "3", 0, false, ATS_IN_VIEWS, ATS_ACTION_HEAD_SET, 3, NULL, NULL},
    {ATS_KEY_NONE, "4", 0, false, ATS_IN_VIEWS, ATS_ACTION_HEAD_SET, 4, NULL, NULL},
    {ATS_KEY_NONE, "5", 0, false, ATS_IN_VIEWS, ATS_ACTION_HEAD_SET, 5, NULL, NULL},
    {ATS_KEY_NONE, "6", 0, false, ATS_IN_VIEWS, ATS_ACTION_HEAD_SET, 6, NULL, NULL},
    {ATS_KEY_NONE, "7", 0, false, ATS_IN_VIEWS, ATS_ACTION_HEAD_SET, 7, NULL, NULL},
    {ATS_KEY_NONE, "8", 0, false, ATS_IN_VIEWS, ATS_ACTION_HEAD_SET, 8, NULL, NULL},
    {ATS_KEY_NONE, "9", 0, false, ATS_IN_VIEWS, ATS_ACTION_HEAD_SET, 9, NULL, NULL},
    {ATS_KEY_TAB,   NULL, 0,     false, ATS_IN_BOTH, ATS_ACTION_VIEW_NEXT, 0, "Tab / Shift+Tab", "next / previous view"},
    {ATS_KEY_TAB,   NULL, SHIFT, false, ATS_IN_BOTH, ATS_ACTION_VIEW_PREV, 0, NULL, NULL},
    {ATS_KEY_SPACE, NULL, 0,     false, ATS_IN_VIEWS, ATS_ACTION_PIPELINE_STEP, 1, "Space / Shift+Space", "next / previous step (pipeline view)"},
    {ATS_KEY_SPACE, NULL, SHIFT, false, ATS_IN_VIEWS, ATS_ACTION_PIPELINE_STEP, -1, NULL, NULL},
    {ATS_KEY_HOME,  NULL, 0, false, ATS_IN_VIEWS, ATS_ACTION_VIEW_FIT, 0, "Home", "fit the heatmap; the lines view back to the top"},
    {ATS_KEY_ESCAPE, NULL, 0, false, ATS_IN_BOTH, ATS_ACTION_ESCAPE, 0, "Esc", "close, unlock, give the keys to the views"},
    {ATS_KEY_RETURN, NULL, CTRL, false, ATS_IN_TEXT, ATS_ACTION_FOCUS_VIEWS, 0, "Ctrl+Enter", "give the keys to the views (text box)"},
    {ATS_KEY_RETURN, NULL, 0, false, ATS_IN_VIEWS, ATS_ACTION_FOCUS_TEXT, 0, "Enter", "give the keys to the text box (views)"},
    /* window */
    {ATS_KEY_F1,   NULL, 0, false, ATS_IN_BOTH,  ATS_ACTION_HELP_TOGGLE, 0, "F1 or ?", "this help"},
    {ATS_KEY_NONE, "?",  0, false, ATS_IN_VIEWS, ATS_ACTION_HELP_TOGGLE, 0, NULL, NULL},
    {ATS_KEY_PLUS,  NULL, CTRL, true, ATS_IN_BOTH, ATS_ACTION_TEXT_LARGER,  0, "Ctrl+plus / minus", "larger / smaller figure and text (presentation)"},
    {ATS_KEY_MINUS, NULL, CTRL, true, ATS_IN_BOTH, ATS_ACTION_TEXT_SMALLER, 0, NULL, NULL},
    {ATS_KEY_0,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_TEXT_RESET,  0, "Ctrl+0", "normal size"},
    {ATS_KEY_F9,    NULL, 0,    false, ATS_IN_BOTH, ATS_ACTION_PANEL_TOGGLE, 0, "F9", "hide / show the side panel (projector mode)"},
    {ATS_KEY_F9,    NULL, SHIFT, false, ATS_IN_BOTH, ATS_ACTION_STRIP_TOGGLE, 0, "Shift+F9", "hide / show the token strip"},
    {ATS_KEY_F11,   NULL, 0,    false, ATS_IN_BOTH, ATS_ACTION_FULLSCREEN_TOGGLE, 0, "F11", "full screen"},
    {ATS_KEY_O,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_PICKER, 0, "Ctrl+O", "open a model (recent, HF cache, this folder)"},
    {ATS_KEY_H,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_TOGGLE_SPECIAL, 0, "Ctrl+H", "special tokens: hide / renormalize rows / show"},
    {ATS_KEY_S,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_EXPORT, ATS_EXPORT_PNG, "Ctrl+S", "save the view as PNG"},
    {ATS_KEY_S,     NULL, CTRL | SHIFT, false, ATS_IN_BOTH, ATS_ACTION_EXPORT, ATS_EXPORT_SVG, "Ctrl+Shift+S", "save the view as SVG"},
    {ATS_KEY_E,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_EXPORT, ATS_EXPORT_DATA, "Ctrl+E", "save the numbers (JSON, NPY, CSV)"},
    {ATS_KEY_PAGE_UP,   NULL, 0, false, ATS_IN_BOTH, ATS_ACTION_CHECKPOINT, -1, "PageUp / PageDown", "previous / next training checkpoint"},
    {ATS_KEY_PAGE_DOWN, NULL, 0, false, ATS_IN_BOTH, ATS_ACTION_CHECKPOINT, 1, NULL, NULL},
    {ATS_KEY_F5,        NULL, 0, false, ATS_IN_BOTH, ATS_ACTION_REPLAY, 0, "F5", "play / pause the training checkpoints"},
    {ATS_KEY_Q,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_QUIT, 0, "Ctrl+Q", "quit"},
    /* encoder-decoder models (T5) */
    {ATS_KEY_K,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_ATTN_KIND, -1, "Ctrl+K", "T5: encoder / decoder / cross attention"},
    {ATS_KEY_T,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_SWITCH_TEXT, 0, "Ctrl+T", "type in the other box (T5 target, text B)"},
    {ATS_KEY_G,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_GENERATE, 0, "Ctrl+G", "T5: generate the target (greedy)"},
    /* analysis */
    {ATS_KEY_N,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_NEXT_TOKEN, 0, "Ctrl+N / Ctrl+Shift+N", "next token: most probable / sampled"},
    {ATS_KEY_N,     NULL, CTRL | SHIFT, false, ATS_IN_BOTH, ATS_ACTION_NEXT_TOKEN, 1, NULL, NULL},
    {ATS_KEY_W,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_VALUE_WEIGHTED, 0, "Ctrl+W", "value-weighted attention on / off"},
    {ATS_KEY_D,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_ABLATE, 0, "Ctrl+D / Ctrl+Shift+D", "head off (ablate) / all back on"},
    {ATS_KEY_D,     NULL, CTRL | SHIFT, false, ATS_IN_BOTH, ATS_ACTION_ABLATE, 1, NULL, NULL},
    {ATS_KEY_M,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_METRIC_NEXT, 0, "Ctrl+M", "grid: a metric on each head"},
    {ATS_KEY_R,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_AGGREGATE_NEXT, 0, "Ctrl+R", "aggregate: mean / max / all / rollout"},
    {ATS_KEY_B,     NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_COMPARE, 0, "Ctrl+B", "compare with a text B (A \xE2\x88\x92 B)"},
    /* the text box */
    {ATS_KEY_LEFT,  NULL, 0,    true, ATS_IN_TEXT, ATS_ACTION_EDIT_MOVE, ATS_MOTION_CHAR_LEFT,  "Left / Right", "move the cursor (Shift selects)"},
    {ATS_KEY_RIGHT, NULL, 0,    true, ATS_IN_TEXT, ATS_ACTION_EDIT_MOVE, ATS_MOTION_CHAR_RIGHT, NULL, NULL},
    {ATS_KEY_LEFT,  NULL, CTRL, true, ATS_IN_BOTH, ATS_ACTION_EDIT_MOVE, ATS_MOTION_WORD_LEFT,  "Ctrl+Left / Right", "move by word"},
    {ATS_KEY_RIGHT, NULL, CTRL, true, ATS_IN_BOTH, ATS_ACTION_EDIT_MOVE, ATS_MOTION_WORD_RIGHT, NULL, NULL},
    {ATS_KEY_RETURN, NULL, 0,   false, ATS_IN_TEXT, ATS_ACTION_EDIT_NEWLINE, 0, "Enter", "new line"},
    {ATS_KEY_HOME,  NULL, 0,    true, ATS_IN_TEXT, ATS_ACTION_EDIT_MOVE, ATS_MOTION_LINE_START, "Home / End", "start / end of the line"},
    {ATS_KEY_END,   NULL, 0,    true, ATS_IN_BOTH, ATS_ACTION_EDIT_MOVE, ATS_MOTION_LINE_END,   NULL, NULL},
    {ATS_KEY_HOME,  NULL, CTRL, true, ATS_IN_BOTH, ATS_ACTION_EDIT_MOVE, ATS_MOTION_TEXT_START, "Ctrl+Home / End", "start / end of the text"},
    {ATS_KEY_END,   NULL, CTRL, true, ATS_IN_BOTH, ATS_ACTION_EDIT_MOVE, ATS_MOTION_TEXT_END,   NULL, NULL},
    {ATS_KEY_BACKSPACE, NULL, 0,    true,  ATS_IN_BOTH, ATS_ACTION_EDIT_DELETE, ATS_MOTION_CHAR_LEFT,  "Backspace / Delete", "delete a character (Ctrl: a word)"},
    {ATS_KEY_DELETE,    NULL, 0,    true,  ATS_IN_BOTH, ATS_ACTION_EDIT_DELETE, ATS_MOTION_CHAR_RIGHT, NULL, NULL},
    {ATS_KEY_BACKSPACE, NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_EDIT_DELETE, ATS_MOTION_WORD_LEFT,  NULL, NULL},
    {ATS_KEY_DELETE,    NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_EDIT_DELETE, ATS_MOTION_WORD_RIGHT, NULL, NULL},
    {ATS_KEY_A, NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_EDIT_SELECT_ALL, 0, "Ctrl+A", "select all"},
    {ATS_KEY_C, NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_EDIT_COPY,  0, "Ctrl+C / X / V", "copy / cut / paste"},
    {ATS_KEY_X, NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_EDIT_CUT,   0, NULL, NULL},
    {ATS_KEY_V, NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_EDIT_PASTE, 0, NULL, NULL},
    {ATS_KEY_Z, NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_EDIT_UNDO,  0, "Ctrl+Z", "undo"},
    {ATS_KEY_Y, NULL, CTRL, false, ATS_IN_BOTH, ATS_ACTION_EDIT_REDO,  0, "Ctrl+Y or Ctrl+Shift+Z", "redo"},
    {ATS_KEY_Z, NULL, CTRL | SHIFT, false, ATS_IN_BOTH, ATS_ACTION_EDIT_REDO, 0, NULL, NULL},
};
/* clang-format on */

#define TABLE_SIZE (sizeof TABLE / sizeof TABLE[0])

const ats_binding *ats_keymap_lookup(ats_focus focus, ats_key_event ev) {
    if (ev.key == ATS_KEY_NONE)
        return NULL;
    unsigned in = 1u << focus;
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        const ats_binding *b = &TABLE[i];
        if (b->key != ev.key || !(b->focus & in))
            continue;
        unsigned mask = b->shift_any ? (ATS_MOD_CTRL | ATS_MOD_ALT)
                                     : (ATS_MOD_CTRL | ATS_MOD_ALT | ATS_MOD_SHIFT);
        if ((ev.mods & mask) == (b->mods & mask))
            return b;
    }
    return NULL;
}

const ats_binding *ats_keymap_text(ats_focus focus, const char *utf8) {
    unsigned in = 1u << focus;
    for (size_t i = 0; i < TABLE_SIZE; i++)
        if (TABLE[i].text && (TABLE[i].focus & in) && strcmp(TABLE[i].text, utf8) == 0)
            return &TABLE[i];
    return NULL;
}

const ats_binding *ats_keymap_table(size_t *count) {
    *count = TABLE_SIZE;
    return TABLE;
}
