/* Key bindings: what each key does in each focus, typed-text bindings, and that the table has
 * no two bindings for one key press. */
#include "test_support.h"

#include "editor.h"
#include "export_keys.h"
#include "keymap.h"

static const ats_binding *key(ats_focus focus, ats_key k, unsigned mods) {
    return ats_keymap_lookup(focus, (ats_key_event){k, mods, false});
}

static void expect(ats_focus focus, ats_key k, unsigned mods, ats_action action, int arg) {
    const ats_binding *b = key(focus, k, mods);
    if (!b)
        fail_msg("key %d mods %u in focus %d is unbound", k, mods, focus);
    if (b->action != action || b->arg != arg)
        fail_msg("key %d mods %u in focus %d: action %d arg %d, want %d %d", k, mods, focus,
                 b->action, b->arg, action, arg);
}

static void test_app_keymap_both_foci(void **state) {
    (void)state;
    for (int f = ATS_FOCUS_TEXT; f <= ATS_FOCUS_VIEWS; f++) {
        expect(f, ATS_KEY_UP, 0, ATS_ACTION_LAYER_PREV, 0);
        expect(f, ATS_KEY_DOWN, 0, ATS_ACTION_LAYER_NEXT, 0);
        expect(f, ATS_KEY_TAB, 0, ATS_ACTION_VIEW_NEXT, 0);
        expect(f, ATS_KEY_TAB, ATS_MOD_SHIFT, ATS_ACTION_VIEW_PREV, 0);
        expect(f, ATS_KEY_F1, 0, ATS_ACTION_HELP_TOGGLE, 0);
        expect(f, ATS_KEY_F11, 0, ATS_ACTION_FULLSCREEN_TOGGLE, 0);
        expect(f, ATS_KEY_F9, 0, ATS_ACTION_PANEL_TOGGLE, 0);
        expect(f, ATS_KEY_F9, ATS_MOD_SHIFT, ATS_ACTION_STRIP_TOGGLE, 0);
        expect(f, ATS_KEY_O, ATS_MOD_CTRL, ATS_ACTION_PICKER, 0);
        expect(f, ATS_KEY_Q, ATS_MOD_CTRL, ATS_ACTION_QUIT, 0);
        expect(f, ATS_KEY_PLUS, ATS_MOD_CTRL, ATS_ACTION_TEXT_LARGER, 0);
        /* Ctrl+Shift+= is how many layouts type Ctrl+plus */
        expect(f, ATS_KEY_PLUS, ATS_MOD_CTRL | ATS_MOD_SHIFT, ATS_ACTION_TEXT_LARGER, 0);
        expect(f, ATS_KEY_MINUS, ATS_MOD_CTRL, ATS_ACTION_TEXT_SMALLER, 0);
        expect(f, ATS_KEY_0, ATS_MOD_CTRL, ATS_ACTION_TEXT_RESET, 0);
        expect(f, ATS_KEY_ESCAPE, 0, ATS_ACTION_ESCAPE, 0);
        expect(f, ATS_KEY_Z, ATS_MOD_CTRL, ATS_ACTION_EDIT_UNDO, 0);
        expect(f, ATS_KEY_Y, ATS_MOD_CTRL, ATS_ACTION_EDIT_REDO, 0);
        expect(f, ATS_KEY_Z, ATS_MOD_CTRL | ATS_MOD_SHIFT, ATS_ACTION_EDIT_REDO, 0);
        expect(f, ATS_KEY_A, ATS_MOD_CTRL, ATS_ACTION_EDIT_SELECT_ALL, 0);
        expect(f, ATS_KEY_C, ATS_MOD_CTRL, ATS_ACTION_EDIT_COPY, 0);
        expect(f, ATS_KEY_X, ATS_MOD_CTRL, ATS_ACTION_EDIT_CUT, 0);
        expect(f, ATS_KEY_V, ATS_MOD_CTRL, ATS_ACTION_EDIT_PASTE, 0);
        expect(f, ATS_KEY_BACKSPACE, 0, ATS_ACTION_EDIT_DELETE, ATS_MOTION_CHAR_LEFT);
        expect(f, ATS_KEY_BACKSPACE, ATS_MOD_CTRL, ATS_ACTION_EDIT_DELETE, ATS_MOTION_WORD_LEFT);
        expect(f, ATS_KEY_DELETE, 0, ATS_ACTION_EDIT_DELETE, ATS_MOTION_CHAR_RIGHT);
        expect(f, ATS_KEY_END, ATS_MOD_SHIFT, ATS_ACTION_EDIT_MOVE, ATS_MOTION_LINE_END);
        expect(f, ATS_KEY_HOME, ATS_MOD_CTRL, ATS_ACTION_EDIT_MOVE, ATS_MOTION_TEXT_START);
        expect(f, ATS_KEY_S, ATS_MOD_CTRL, ATS_ACTION_EXPORT, ATS_EXPORT_PNG);
        expect(f, ATS_KEY_S, ATS_MOD_CTRL | ATS_MOD_SHIFT, ATS_ACTION_EXPORT, ATS_EXPORT_SVG);
        expect(f, ATS_KEY_E, ATS_MOD_CTRL, ATS_ACTION_EXPORT, ATS_EXPORT_DATA);
        expect(f, ATS_KEY_H, ATS_MOD_CTRL, ATS_ACTION_TOGGLE_SPECIAL, 0);
        expect(f, ATS_KEY_END, ATS_MOD_CTRL, ATS_ACTION_EDIT_MOVE, ATS_MOTION_TEXT_END);
        /* Alt is never ignored */
        assert_null(key(f, ATS_KEY_Q, ATS_MOD_CTRL | ATS_MOD_ALT));
        assert_null(key(f, ATS_KEY_UP, ATS_MOD_ALT));
        assert_null(key(f, ATS_KEY_Q, 0));
        assert_null(key(f, ATS_KEY_NONE, 0));
    }
}

static void test_app_keymap_focus_decides_left_right(void **state) {
    (void)state;
    expect(ATS_FOCUS_TEXT, ATS_KEY_LEFT, 0, ATS_ACTION_EDIT_MOVE, ATS_MOTION_CHAR_LEFT);
    expect(ATS_FOCUS_TEXT, ATS_KEY_RIGHT, ATS_MOD_SHIFT, ATS_ACTION_EDIT_MOVE,
           ATS_MOTION_CHAR_RIGHT);
    expect(ATS_FOCUS_TEXT, ATS_KEY_LEFT, ATS_MOD_CTRL | ATS_MOD_SHIFT, ATS_ACTION_EDIT_MOVE,
           ATS_MOTION_WORD_LEFT);
    expect(ATS_FOCUS_VIEWS, ATS_KEY_LEFT, 0, ATS_ACTION_HEAD_PREV, 0);
    expect(ATS_FOCUS_VIEWS, ATS_KEY_RIGHT, 0, ATS_ACTION_HEAD_NEXT, 0);
    /* Enter: a new line in the text box; Ctrl+Enter (or Esc) hands the keys to the views */
    expect(ATS_FOCUS_TEXT, ATS_KEY_RETURN, 0, ATS_ACTION_EDIT_NEWLINE, 0);
    expect(ATS_FOCUS_TEXT, ATS_KEY_RETURN, ATS_MOD_CTRL, ATS_ACTION_FOCUS_VIEWS, 0);
    expect(ATS_FOCUS_VIEWS, ATS_KEY_RETURN, 0, ATS_ACTION_FOCUS_TEXT, 0);
    /* Home: the line's start in the text box, the heatmap fitted again in the views */
    expect(ATS_FOCUS_TEXT, ATS_KEY_HOME, ATS_MOD_SHIFT, ATS_ACTION_EDIT_MOVE,
           ATS_MOTION_LINE_START);
    expect(ATS_FOCUS_VIEWS, ATS_KEY_HOME, 0, ATS_ACTION_VIEW_FIT, 0);
}

static void test_app_keymap_typed_text(void **state) {
    (void)state;
    /* digits pick the head with that number, as the views and the command line count */
    for (int d = 0; d <= 9; d++) {
        char s[2] = {(char)('0' + d), '\0'};
        const ats_binding *b = ats_keymap_text(ATS_FOCUS_VIEWS, s);
        assert_non_null(b);
        assert_int_equal(b->action, ATS_ACTION_HEAD_SET);
        assert_int_equal(b->arg, d);
        assert_null(ats_keymap_text(ATS_FOCUS_TEXT, s)); /* typed into the text box */
    }
    assert_null(ats_keymap_text(ATS_FOCUS_VIEWS, "a"));
    assert_null(ats_keymap_text(ATS_FOCUS_VIEWS, "12"));
    const ats_binding *b = ats_keymap_text(ATS_FOCUS_VIEWS, "?");
    assert_non_null(b);
    assert_int_equal(b->action, ATS_ACTION_HELP_TOGGLE);
    assert_null(ats_keymap_text(ATS_FOCUS_TEXT, "?"));
}

static void test_app_keymap_no_conflicts_and_help_complete(void **state) {
    (void)state;
    size_t n;
    const ats_binding *table = ats_keymap_table(&n);
    assert_true(n > 20);
    /* every key press in every focus matches at most one row */
    for (int f = ATS_FOCUS_TEXT; f <= ATS_FOCUS_VIEWS; f++)
        for (int k = ATS_KEY_LEFT; k <= ATS_KEY_Z; k++)
            for (unsigned mods = 0; mods < 8; mods++) {
                int matches = 0;
                for (size_t i = 0; i < n; i++) {
                    const ats_binding *b = &table[i];
                    unsigned mask = b->shift_any ? (ATS_MOD_CTRL | ATS_MOD_ALT) : 7u;
                    if (b->key == (ats_key)k && (b->focus & (1u << f)) &&
                        (mods & mask) == (b->mods & mask))
                        matches++;
                }
                if (matches > 1)
                    fail_msg("key %d mods %u focus %d matches %d bindings", k, mods, f, matches);
            }
    /* the help overlay lists every action */
    for (int a = ATS_ACTION_LAYER_PREV; a <= ATS_ACTION_EDIT_REDO; a++) {
        if (a == ATS_ACTION_FOCUS_TEXT)
            continue; /* folded into the Enter row */
        bool documented = false;
        for (size_t i = 0; i < n; i++) {
            if (table[i].action != (ats_action)a)
                continue;
            /* a row without a label is folded into the labelled row above it */
            for (size_t j = i + 1; j-- > 0;)
                if (table[j].label) {
                    documented = table[j].help != NULL;
                    break;
                }
        }
        if (!documented)
            fail_msg("action %d has no help text", a);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_keymap_both_foci),
        cmocka_unit_test(test_app_keymap_focus_decides_left_right),
        cmocka_unit_test(test_app_keymap_typed_text),
        cmocka_unit_test(test_app_keymap_no_conflicts_and_help_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
