/* Key bindings: abstract key events (the window translates SDL keycodes into them) and typed
 * text become actions, through one table that the help overlay also lists.
 *
 * Focus. The text box has the keyboard at start, so a person can type at once. Keys that mean
 * nothing to a text box work in both foci: Up/Down (layer), Tab/Shift+Tab (view), F1, F9, F11,
 * Ctrl+plus/minus/0, Ctrl+O, Ctrl+Q, Ctrl+S / Ctrl+Shift+S / Ctrl+E (export), Ctrl+H (special
 * tokens), and the editing keys (Backspace, Delete, Ctrl+Home/End, Ctrl+A/C/V/X/Z/Y). The keys
 * that mean different things depend on the focus:
 *   - text box: Left/Right move the cursor, Home/End to the line's start or end; Enter starts a
 *     new line; digits and '?' are typed; Esc or Ctrl+Enter hands the keyboard to the views (Esc
 *     first closes the help overlay, a menu, or unlocks a locked token);
 *   - views:    Left/Right change the head; typed digits pick a head (heads count from 0, on
 *     screen as in the command line and the exported files; two digits typed within a second
 *     pick head 10 and up); Home fits the heatmap (or goes back to a long text's first rows); a
 *     typed '?' toggles the help; Enter, a click in the text box, or typing any other character
 *     hands the keyboard back to the text box (the character is inserted, so no keystroke is
 *     lost).
 * A click in a view gives the views the keyboard. Digits and '?' come from typed text rather
 * than key codes, so they follow the keyboard layout. The status bar says which part has the
 * keyboard and which key hands it over. */
#ifndef ATS_APP_KEYMAP_H
#define ATS_APP_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ats_key {
    ATS_KEY_NONE,
    ATS_KEY_LEFT,
    ATS_KEY_RIGHT,
    ATS_KEY_UP,
    ATS_KEY_DOWN,
    ATS_KEY_HOME,
    ATS_KEY_END,
    ATS_KEY_BACKSPACE,
    ATS_KEY_DELETE,
    ATS_KEY_RETURN,
    ATS_KEY_ESCAPE,
    ATS_KEY_TAB,
    ATS_KEY_SPACE, /* bound only in the pipeline view (with the views focused); else typed */
    ATS_KEY_F1,
    ATS_KEY_F5,
    ATS_KEY_F9,
    ATS_KEY_F11,
    ATS_KEY_PAGE_UP,
    ATS_KEY_PAGE_DOWN,
    ATS_KEY_PLUS,  /* '+', '=' (the same key unshifted on many layouts), keypad '+' */
    ATS_KEY_MINUS, /* '-', keypad '-' */
    ATS_KEY_0,     /* with Ctrl: reset the text size */
    ATS_KEY_A,
    ATS_KEY_B, /* with Ctrl: compare two texts */
    ATS_KEY_C,
    ATS_KEY_D, /* with Ctrl: ablate the selected head (Shift: every head back) */
    ATS_KEY_E,
    ATS_KEY_G, /* with Ctrl: generate the target (encoder-decoder models) */
    ATS_KEY_H,
    ATS_KEY_K, /* with Ctrl: encoder / decoder / cross attention */
    ATS_KEY_O, /* with Ctrl: the model picker */
    ATS_KEY_M, /* with Ctrl: the metric on the grid's heads */
    ATS_KEY_N, /* with Ctrl: generate the next token (Shift: sampled) */
    ATS_KEY_Q,
    ATS_KEY_R, /* with Ctrl: the aggregate view's matrix */
    ATS_KEY_S,
    ATS_KEY_T, /* with Ctrl: type in the source or the target text */
    ATS_KEY_V,
    ATS_KEY_W, /* with Ctrl: value-weighted attention */
    ATS_KEY_X,
    ATS_KEY_Y,
    ATS_KEY_Z,
} ats_key;

enum { ATS_MOD_SHIFT = 1u << 0, ATS_MOD_CTRL = 1u << 1, ATS_MOD_ALT = 1u << 2 };

typedef struct ats_key_event {
    ats_key key;
    unsigned mods; /* ATS_MOD_* */
    bool repeat;   /* auto-repeat of a held key: only motions, deletions and steps repeat */
} ats_key_event;

typedef enum ats_focus {
    ATS_FOCUS_TEXT,  /* the text box */
    ATS_FOCUS_VIEWS, /* the heatmap / lines / grid area */
} ats_focus;

enum { ATS_IN_TEXT = 1u << ATS_FOCUS_TEXT, ATS_IN_VIEWS = 1u << ATS_FOCUS_VIEWS };
#define ATS_IN_BOTH (ATS_IN_TEXT | ATS_IN_VIEWS)

typedef enum ats_action {
    ATS_ACTION_NONE,
    ATS_ACTION_LAYER_PREV,
    ATS_ACTION_LAYER_NEXT,
    ATS_ACTION_HEAD_PREV,
    ATS_ACTION_HEAD_NEXT,
    ATS_ACTION_HEAD_SET, /* arg: head index */
    ATS_ACTION_VIEW_NEXT,
    ATS_ACTION_VIEW_PREV,
    ATS_ACTION_HELP_TOGGLE,
    ATS_ACTION_TEXT_LARGER,
    ATS_ACTION_TEXT_SMALLER,
    ATS_ACTION_TEXT_RESET,
    ATS_ACTION_FULLSCREEN_TOGGLE,
    ATS_ACTION_QUIT,
    ATS_ACTION_ESCAPE, /* close the help, else unlock the token, else give the views the keys */
    ATS_ACTION_FOCUS_TEXT,
    ATS_ACTION_FOCUS_VIEWS,
    ATS_ACTION_TOGGLE_SPECIAL, /* hide / show special tokens in the views */
    ATS_ACTION_EXPORT,         /* arg: ats_export_kind (export_keys.h) */
    ATS_ACTION_PIPELINE_STEP,  /* arg: +1 next step, -1 previous (pipeline view) */
    ATS_ACTION_ATTN_KIND,      /* encoder-decoder models: arg -1 the next kind, else that kind */
    ATS_ACTION_SWITCH_TEXT,    /* encoder-decoder models: type in the source / the target */
    ATS_ACTION_GENERATE,       /* encoder-decoder models: fill the target with greedy tokens */
    ATS_ACTION_CHECKPOINT,     /* arg: +1 next training checkpoint, -1 previous */
    ATS_ACTION_REPLAY,         /* play / pause the training checkpoints */
    ATS_ACTION_VIEW_FIT,       /* fit the heatmap again; a long text's lines back to the start */
    ATS_ACTION_PANEL_TOGGLE,   /* hide / show the side panel (projector mode) */
    ATS_ACTION_STRIP_TOGGLE,   /* hide / show the token strip */
    ATS_ACTION_PICKER,         /* open / close the model picker */
    ATS_ACTION_NEXT_TOKEN,     /* arg 0: append the most probable next token; 1: a sampled one */
    ATS_ACTION_VALUE_WEIGHTED, /* value-weighted attention on / off */
    ATS_ACTION_ABLATE,         /* arg 0: the selected head off / on; 1: every head back on */
    ATS_ACTION_METRIC_NEXT,    /* the next metric written on the grid's heads (or none) */
    ATS_ACTION_AGGREGATE_NEXT, /* the aggregate view, then its next matrix */
    ATS_ACTION_COMPARE,        /* a second text (B) to compare, on / off */
    ATS_ACTION_EDIT_MOVE,      /* arg: ats_editor_motion; Shift extends the selection */
    ATS_ACTION_EDIT_DELETE,    /* arg: ats_editor_motion */
    ATS_ACTION_EDIT_SELECT_ALL,
    ATS_ACTION_EDIT_COPY,
    ATS_ACTION_EDIT_CUT,
    ATS_ACTION_EDIT_PASTE,
    ATS_ACTION_EDIT_UNDO,
    ATS_ACTION_EDIT_REDO,
    ATS_ACTION_EDIT_NEWLINE, /* Enter in the text box: a line break */
} ats_action;

typedef struct ats_binding {
    ats_key key;      /* ATS_KEY_NONE for a text binding */
    const char *text; /* typed text that triggers it (views focus), or NULL */
    unsigned mods;    /* Ctrl and Alt must match exactly; Shift too unless shift_any */
    bool shift_any;   /* matches with or without Shift (Shift extends a selection) */
    unsigned focus;   /* ATS_IN_* where it applies */
    ats_action action;
    int arg;
    const char *label; /* for the help overlay: "Ctrl+Z"; NULL for rows folded into another */
    const char *help;  /* "undo" */
} ats_binding;

/* The binding for a key in this focus, or NULL when the key is not bound there. */
const ats_binding *ats_keymap_lookup(ats_focus focus, ats_key_event ev);
/* The binding for typed text in this focus (views: "0".."9", "?"), or NULL. */
const ats_binding *ats_keymap_text(ats_focus focus, const char *utf8);
/* Every binding, in the order the help overlay lists them. */
const ats_binding *ats_keymap_table(size_t *count);

#endif
