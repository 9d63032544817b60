/* The text box's editor model: UTF-8 insertion and rejection, grapheme-wise deletion and motion,
 * words, lines, selection, the clipboard interface, undo grouping and the length cap. */
#include "test_support.h"

#include "editor.h"
#include "text_nav.h"

#include <stdlib.h>
#include <string.h>

/* U+00E9 precomposed, e + U+0301 combining, a ZWJ family, two flags, a CJK word */
#define E_ACUTE     "\xC3\xA9"
#define E_COMBINING "e\xCC\x81"
#define FAMILY      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7"
#define FLAG_FR     "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7"
#define FLAG_DE     "\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA"

static ats_editor *editor_with(const char *text) {
    ats_editor *ed = ats_editor_new(0);
    assert_non_null(ed);
    assert_int_equal(ats_editor_set_text(ed, text, strlen(text), true), ATS_EDIT_OK);
    return ed;
}

static void type(ats_editor *ed, const char *s) {
    /* one code point at a time, as SDL_TEXTINPUT delivers a keystroke */
    size_t i = 0, n = strlen(s);
    while (i < n) {
        size_t j = i + 1;
        while (j < n && ((unsigned char)s[j] & 0xC0) == 0x80)
            j++;
        assert_int_equal(ats_editor_insert(ed, s + i, j - i), ATS_EDIT_OK);
        i = j;
    }
}

static void assert_text(const ats_editor *ed, const char *expected) {
    assert_string_equal(ats_editor_text(ed), expected);
    assert_int_equal(ats_editor_length(ed), strlen(expected));
}

/* ---- a fake clipboard ---------------------------------------------------------------------- */

typedef struct fake_clipboard {
    char text[256];
    bool has_text;
    bool refuse;
} fake_clipboard;

static char *fake_get(void *user) {
    fake_clipboard *f = user;
    return f->has_text ? strdup(f->text) : NULL;
}

static bool fake_set(void *user, const char *text, size_t len) {
    fake_clipboard *f = user;
    if (f->refuse || len >= sizeof f->text)
        return false;
    memcpy(f->text, text, len);
    f->text[len] = '\0';
    f->has_text = true;
    return true;
}

static ats_clipboard clipboard_of(fake_clipboard *f) {
    return (ats_clipboard){.user = f, .get_text = fake_get, .set_text = fake_set};
}

/* ---- insertion ------------------------------------------------------------------------------ */

static void test_app_editor_insert_moves_cursor_by_bytes(void **state) {
    (void)state;
    ats_editor *ed = ats_editor_new(0);
    assert_text(ed, "");
    uint64_t rev = ats_editor_revision(ed);
    type(ed, "caf" E_ACUTE);
    assert_text(ed, "caf" E_ACUTE);
    assert_int_equal(ats_editor_cursor(ed), 5);
    assert_int_equal(ats_editor_anchor(ed), 5);
    assert_true(ats_editor_revision(ed) > rev);
    assert_string_equal(ats_editor_error(ed), "");
    /* an IME commit arrives as one string */
    assert_int_equal(ats_editor_insert(ed, " \xE6\x97\xA5\xE6\x9C\xAC", 7), ATS_EDIT_OK);
    assert_text(ed, "caf" E_ACUTE " \xE6\x97\xA5\xE6\x9C\xAC");
    assert_int_equal(ats_editor_cursor(ed), 12);
    assert_int_equal(ats_editor_insert(ed, "", 0), ATS_EDIT_UNCHANGED);
    ats_editor_free(ed);
}

static void test_app_editor_insert_rejects_invalid_utf8(void **state) {
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        long bad_at;
    } cases[] = {
        {"ab\xC3", 3, 2},               /* truncated sequence */
        {"\xC0\xAF", 2, 0},             /* overlong '/' */
        {"x\xED\xA0\x80", 4, 1},        /* an encoded surrogate */
        {"\xF8\x88\x80\x80\x80", 5, 0}, /* five-byte form */
        {"a\0b", 3, 1},                 /* NUL: the text stays a C string */
        {"\x80", 1, 0},                 /* stray continuation byte */
    };
    ats_editor *ed = editor_with("ok");
    uint64_t rev = ats_editor_revision(ed);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(ats_editor_insert(ed, cases[i].bytes, cases[i].len),
                         ATS_EDIT_INVALID_UTF8);
        char at[32];
        snprintf(at, sizeof at, "at byte %ld", cases[i].bad_at);
        assert_non_null(strstr(ats_editor_error(ed), at));
        assert_text(ed, "ok");
    }
    assert_int_equal(ats_editor_revision(ed), rev);
    assert_int_equal(ats_editor_cursor(ed), 2);
    assert_false(ats_editor_can_undo(ed));
    /* a good insert clears the error */
    type(ed, "!");
    assert_string_equal(ats_editor_error(ed), "");
    ats_editor_free(ed);
}

static void test_app_editor_length_cap(void **state) {
    (void)state;
    ats_editor *ed = ats_editor_new(8);
    assert_int_equal(ats_editor_max_bytes(ed), 8);
    type(ed, "abcdef");
    assert_int_equal(ats_editor_insert(ed, E_ACUTE "x", 3), ATS_EDIT_TOO_LONG);
    assert_text(ed, "abcdef");
    assert_non_null(strstr(ats_editor_error(ed), "limited to 8 bytes"));
    assert_non_null(strstr(ats_editor_error(ed), "9 bytes"));
    assert_int_equal(ats_editor_insert(ed, E_ACUTE, 2), ATS_EDIT_OK); /* exactly full */
    assert_int_equal(ats_editor_length(ed), 8);
    /* replacing a selection only counts the difference */
    ats_editor_select_all(ed);
    assert_int_equal(ats_editor_insert(ed, "12345678", 8), ATS_EDIT_OK);
    assert_int_equal(ats_editor_set_text(ed, "123456789", 9, false), ATS_EDIT_TOO_LONG);
    assert_text(ed, "12345678");
    ats_editor_free(ed);
}

/* ---- deletion and motion by grapheme cluster ----------------------------------------------- */

static void test_app_editor_backspace_removes_grapheme_clusters(void **state) {
    (void)state;
    ats_editor *ed = editor_with("a" E_COMBINING FAMILY FLAG_FR FLAG_DE);
    assert_int_equal(ats_editor_delete(ed, ATS_MOTION_CHAR_LEFT), ATS_EDIT_OK);
    assert_text(ed, "a" E_COMBINING FAMILY FLAG_FR); /* one flag: a pair of regional indicators */
    assert_int_equal(ats_editor_delete(ed, ATS_MOTION_CHAR_LEFT), ATS_EDIT_OK);
    assert_text(ed, "a" E_COMBINING FAMILY);
    assert_int_equal(ats_editor_delete(ed, ATS_MOTION_CHAR_LEFT), ATS_EDIT_OK);
    assert_text(ed, "a" E_COMBINING); /* the whole ZWJ sequence */
    assert_int_equal(ats_editor_delete(ed, ATS_MOTION_CHAR_LEFT), ATS_EDIT_OK);
    assert_text(ed, "a"); /* e and its combining accent together */
    assert_int_equal(ats_editor_delete(ed, ATS_MOTION_CHAR_LEFT), ATS_EDIT_OK);
    assert_text(ed, "");
    assert_int_equal(ats_editor_delete(ed, ATS_MOTION_CHAR_LEFT), ATS_EDIT_UNCHANGED);
    ats_editor_free(ed);
}

static void test_app_editor_delete_forward_and_arrows(void **state) {
    (void)state;
    const char *text = FLAG_FR FLAG_DE E_COMBINING "z";
    ats_editor *ed = editor_with(text);
    assert_int_equal(ats_editor_move(ed, ATS_MOTION_TEXT_START, false), ATS_EDIT_OK);
    assert_int_equal(ats_editor_move(ed, ATS_MOTION_CHAR_RIGHT, false), ATS_EDIT_OK);
    assert_int_equal(ats_editor_cursor(ed), 8);
    ats_editor_move(ed, ATS_MOTION_CHAR_RIGHT, false);
    assert_int_equal(ats_editor_cursor(ed), 16);
    ats_editor_move(ed, ATS_MOTION_CHAR_RIGHT, false);
    assert_int_equal(ats_editor_cursor(ed), 19);
    ats_editor_move(ed, ATS_MOTION_CHAR_LEFT, false);
    assert_int_equal(ats_editor_cursor(ed), 16);
    assert_int_equal(ats_editor_delete(ed, ATS_MOTION_CHAR_RIGHT), ATS_EDIT_OK);
    assert_text(ed, FLAG_FR FLAG_DE "z");
    assert_int_equal(ats_editor_cursor(ed), 16);
    ats_editor_move(ed, ATS_MOTION_TEXT_END, false);
    assert_int_equal(ats_editor_delete(ed, ATS_MOTION_CHAR_RIGHT), ATS_EDIT_UNCHANGED);
    assert_int_equal(ats_editor_move(ed, ATS_MOTION_CHAR_RIGHT, false), ATS_EDIT_UNCHANGED);
    ats_editor_free(ed);
}

static void test_app_editor_word_motion_and_deletion(void **state) {
    (void)state;
    /*                      0123456789012345678 */
    ats_editor *ed = editor_with("hello, world  foo_bar");
    ats_editor_move(ed, ATS_MOTION_WORD_LEFT, false);
    assert_int_equal(ats_editor_cursor(ed), 14); /* '_' joins words */
    ats_editor_move(ed, ATS_MOTION_WORD_LEFT, false);
    assert_int_equal(ats_editor_cursor(ed), 7);
    ats_editor_move(ed, ATS_MOTION_WORD_LEFT, false);
    assert_int_equal(ats_editor_cursor(ed), 0);
    ats_editor_move(ed, ATS_MOTION_WORD_RIGHT, false);
    assert_int_equal(ats_editor_cursor(ed), 5);
    ats_editor_move(ed, ATS_MOTION_WORD_RIGHT, false);
    assert_int_equal(ats_editor_cursor(ed), 12);
    ats_editor_move(ed, ATS_MOTION_WORD_RIGHT, true);
    assert_int_equal(ats_editor_cursor(ed), 21);
    assert_int_equal(ats_editor_anchor(ed), 12);
    ats_editor_move(ed, ATS_MOTION_TEXT_END, false);
    assert_int_equal(ats_editor_delete(ed, ATS_MOTION_WORD_LEFT), ATS_EDIT_OK); /* Ctrl+Backspace */
    assert_text(ed, "hello, world  ");
    ats_editor_move(ed, ATS_MOTION_TEXT_START, false);
    assert_int_equal(ats_editor_delete(ed, ATS_MOTION_WORD_RIGHT), ATS_EDIT_OK); /* Ctrl+Delete */
    assert_text(ed, ", world  ");
    ats_editor_free(ed);

    /* accented and non-Latin words are words too */
    ed = editor_with("na" E_COMBINING "ve \xD0\xBC\xD0\xB8\xD1\x80");
    ats_editor_move(ed, ATS_MOTION_WORD_LEFT, false);
    assert_int_equal(ats_editor_cursor(ed), 8);
    ats_editor_move(ed, ATS_MOTION_WORD_LEFT, false);
    assert_int_equal(ats_editor_cursor(ed), 0);
    ats_editor_move(ed, ATS_MOTION_WORD_RIGHT, false);
    assert_int_equal(ats_editor_cursor(ed), 7);
    ats_editor_free(ed);
}

static void test_app_editor_home_end_and_lines(void **state) {
    (void)state;
    ats_editor *ed = editor_with("first line\nsecond");
    ats_editor_move(ed, ATS_MOTION_LINE_START, false);
    assert_int_equal(ats_editor_cursor(ed), 11);
    ats_editor_move(ed, ATS_MOTION_CHAR_LEFT, false);
    ats_editor_move(ed, ATS_MOTION_LINE_START, true);
    assert_int_equal(ats_editor_cursor(ed), 0);
    assert_int_equal(ats_editor_anchor(ed), 10);
    ats_editor_move(ed, ATS_MOTION_LINE_END, false);
    assert_int_equal(ats_editor_cursor(ed), 10);
    ats_editor_move(ed, ATS_MOTION_TEXT_END, false);
    assert_int_equal(ats_editor_cursor(ed), 17);
    ats_editor_move(ed, ATS_MOTION_TEXT_START, false);
    assert_int_equal(ats_editor_cursor(ed), 0);
    assert_int_equal(ats_editor_move(ed, ATS_MOTION_LINE_START, false), ATS_EDIT_UNCHANGED);
    ats_editor_free(ed);
}

/* ---- selection ------------------------------------------------------------------------------ */

static void test_app_editor_selection(void **state) {
    (void)state;
    ats_editor *ed = editor_with("abc" E_ACUTE "def");
    uint64_t rev = ats_editor_revision(ed);
    ats_editor_move(ed, ATS_MOTION_CHAR_LEFT, false);
    ats_editor_move(ed, ATS_MOTION_CHAR_LEFT, true);
    ats_editor_move(ed, ATS_MOTION_CHAR_LEFT, true);
    ats_editor_move(ed, ATS_MOTION_CHAR_LEFT, true);
    size_t s, e;
    ats_editor_selection(ed, &s, &e);
    assert_int_equal(s, 3);
    assert_int_equal(e, 7);
    assert_true(ats_editor_has_selection(ed));
    assert_int_equal(ats_editor_revision(ed), rev); /* motion changes no text */
    /* Left on a selection lands on its start, Right on its end */
    ats_editor_move(ed, ATS_MOTION_CHAR_RIGHT, false);
    assert_int_equal(ats_editor_cursor(ed), 7);
    assert_false(ats_editor_has_selection(ed));
    ats_editor_select_all(ed);
    ats_editor_selection(ed, &s, &e);
    assert_int_equal(s, 0);
    assert_int_equal(e, 8);
    ats_editor_move(ed, ATS_MOTION_CHAR_LEFT, false);
    assert_int_equal(ats_editor_cursor(ed), 0);
    /* typing over a selection replaces it */
    ats_editor_set_cursor(ed, 3, false);
    ats_editor_set_cursor(ed, 5, true);
    type(ed, "X");
    assert_text(ed, "abcXdef");
    assert_int_equal(ats_editor_cursor(ed), 4);
    /* Backspace with a selection deletes the selection only */
    ats_editor_set_cursor(ed, 1, false);
    ats_editor_set_cursor(ed, 3, true);
    ats_editor_delete(ed, ATS_MOTION_CHAR_LEFT);
    assert_text(ed, "aXdef");
    ats_editor_free(ed);
}

static void test_app_editor_set_cursor_snaps(void **state) {
    (void)state;
    ats_editor *ed = editor_with("a" E_COMBINING "b" FLAG_FR);
    ats_editor_set_cursor(ed, 3, false); /* inside e + accent */
    assert_int_equal(ats_editor_cursor(ed), 1);
    ats_editor_set_cursor(ed, 2, false);
    assert_int_equal(ats_editor_cursor(ed), 1);
    ats_editor_set_cursor(ed, 4, false);
    assert_int_equal(ats_editor_cursor(ed), 4);
    ats_editor_set_cursor(ed, 9, false); /* between the two regional indicators */
    assert_int_equal(ats_editor_cursor(ed), 5);
    ats_editor_set_cursor(ed, 1000, true);
    assert_int_equal(ats_editor_cursor(ed), 13);
    assert_int_equal(ats_editor_anchor(ed), 5);
    ats_editor_free(ed);
}

static void test_app_editor_select_word_at(void **state) {
    (void)state;
    ats_editor *ed = editor_with("The cat,  sat");
    size_t s, e;
    ats_editor_select_word_at(ed, 5);
    ats_editor_selection(ed, &s, &e);
    assert_int_equal(s, 4);
    assert_int_equal(e, 7);
    ats_editor_select_word_at(ed, 8); /* in the spaces */
    ats_editor_selection(ed, &s, &e);
    assert_int_equal(s, 8);
    assert_int_equal(e, 10);
    ats_editor_select_word_at(ed, 7); /* the comma */
    ats_editor_selection(ed, &s, &e);
    assert_int_equal(s, 7);
    assert_int_equal(e, 8);
    ats_editor_select_word_at(ed, 99); /* past the end: the last word */
    ats_editor_selection(ed, &s, &e);
    assert_int_equal(s, 10);
    assert_int_equal(e, 13);
    ats_editor_free(ed);
}

/* ---- clipboard ------------------------------------------------------------------------------ */

static void test_app_editor_copy_cut_paste(void **state) {
    (void)state;
    fake_clipboard fake = {0};
    ats_clipboard cb = clipboard_of(&fake);
    ats_editor *ed = editor_with("hello world");
    assert_int_equal(ats_editor_copy(ed, &cb), ATS_EDIT_UNCHANGED); /* nothing selected */
    assert_false(fake.has_text);
    ats_editor_select_word_at(ed, 8);
    assert_int_equal(ats_editor_copy(ed, &cb), ATS_EDIT_OK);
    assert_string_equal(fake.text, "world");
    assert_text(ed, "hello world");
    ats_editor_select_word_at(ed, 1);
    assert_int_equal(ats_editor_cut(ed, &cb), ATS_EDIT_OK);
    assert_string_equal(fake.text, "hello");
    assert_text(ed, " world");
    ats_editor_move(ed, ATS_MOTION_TEXT_END, false);
    assert_int_equal(ats_editor_paste(ed, &cb), ATS_EDIT_OK);
    assert_text(ed, " worldhello");
    assert_int_equal(ats_editor_cursor(ed), 11);
    /* Windows and old Mac line ends become \n */
    snprintf(fake.text, sizeof fake.text, "a\r\nb\rc");
    assert_int_equal(ats_editor_paste(ed, &cb), ATS_EDIT_OK);
    assert_text(ed, " worldhelloa\nb\nc");
    /* a paste is one undo step */
    assert_int_equal(ats_editor_undo(ed), ATS_EDIT_OK);
    assert_text(ed, " worldhello");
    ats_editor_free(ed);
}

static void test_app_editor_clipboard_errors(void **state) {
    (void)state;
    fake_clipboard fake = {0};
    ats_clipboard cb = clipboard_of(&fake);
    ats_editor *ed = ats_editor_new(10);
    type(ed, "abc");
    assert_int_equal(ats_editor_paste(ed, &cb), ATS_EDIT_UNCHANGED); /* empty clipboard */
    snprintf(fake.text, sizeof fake.text, "bad\xFFtext");
    fake.has_text = true;
    assert_int_equal(ats_editor_paste(ed, &cb), ATS_EDIT_INVALID_UTF8);
    assert_non_null(strstr(ats_editor_error(ed), "pasted text is not valid UTF-8 (at byte 3)"));
    snprintf(fake.text, sizeof fake.text, "far too long");
    assert_int_equal(ats_editor_paste(ed, &cb), ATS_EDIT_TOO_LONG);
    assert_non_null(strstr(ats_editor_error(ed), "limited to 10 bytes"));
    assert_text(ed, "abc");
    assert_int_equal(ats_editor_paste(ed, NULL), ATS_EDIT_CLIPBOARD);
    ats_editor_select_all(ed);
    fake.refuse = true;
    assert_int_equal(ats_editor_cut(ed, &cb), ATS_EDIT_CLIPBOARD);
    assert_text(ed, "abc"); /* a refused cut deletes nothing */
    assert_non_null(strstr(ats_editor_error(ed), "clipboard"));
    ats_editor_free(ed);
}

/* ---- undo and redo -------------------------------------------------------------------------- */

static void test_app_editor_undo_groups_typing_by_word(void **state) {
    (void)state;
    ats_editor *ed = ats_editor_new(0);
    assert_false(ats_editor_can_undo(ed));
    type(ed, "hello world");
    assert_true(ats_editor_can_undo(ed));
    assert_int_equal(ats_editor_undo(ed), ATS_EDIT_OK);
    assert_text(ed, "hello ");
    assert_int_equal(ats_editor_cursor(ed), 6);
    assert_int_equal(ats_editor_undo(ed), ATS_EDIT_OK);
    assert_text(ed, "");
    assert_int_equal(ats_editor_undo(ed), ATS_EDIT_UNCHANGED);
    assert_true(ats_editor_can_redo(ed));
    assert_int_equal(ats_editor_redo(ed), ATS_EDIT_OK);
    assert_text(ed, "hello ");
    assert_int_equal(ats_editor_redo(ed), ATS_EDIT_OK);
    assert_text(ed, "hello world");
    assert_int_equal(ats_editor_cursor(ed), 11);
    assert_int_equal(ats_editor_redo(ed), ATS_EDIT_UNCHANGED);
    ats_editor_free(ed);
}

static void test_app_editor_undo_group_breaks(void **state) {
    (void)state;
    ats_editor *ed = ats_editor_new(0);
    type(ed, "ab");
    ats_editor_move(ed, ATS_MOTION_CHAR_LEFT, false); /* motion ends the group */
    type(ed, "c");
    assert_text(ed, "acb");
    ats_editor_undo(ed);
    assert_text(ed, "ab");
    assert_int_equal(ats_editor_cursor(ed), 1);
    ats_editor_undo(ed);
    assert_text(ed, "");

    /* an explicit close (a pause in typing) ends it too */
    type(ed, "xy");
    ats_editor_close_group(ed);
    type(ed, "z");
    ats_editor_undo(ed);
    assert_text(ed, "xy");

    /* a fresh edit after an undo drops the redo steps */
    type(ed, "Q");
    assert_false(ats_editor_can_redo(ed));
    assert_text(ed, "xyQ");
    ats_editor_free(ed);
}

static void test_app_editor_undo_groups_deletions(void **state) {
    (void)state;
    ats_editor *ed = editor_with("abcdef");
    ats_editor_move(ed, ATS_MOTION_CHAR_LEFT, false);
    ats_editor_delete(ed, ATS_MOTION_CHAR_LEFT);
    ats_editor_delete(ed, ATS_MOTION_CHAR_LEFT);
    ats_editor_delete(ed, ATS_MOTION_CHAR_LEFT);
    assert_text(ed, "abf");
    ats_editor_move(ed, ATS_MOTION_TEXT_START, false);
    ats_editor_delete(ed, ATS_MOTION_CHAR_RIGHT);
    ats_editor_delete(ed, ATS_MOTION_CHAR_RIGHT);
    assert_text(ed, "f");
    ats_editor_undo(ed); /* both Deletes */
    assert_text(ed, "abf");
    assert_int_equal(ats_editor_cursor(ed), 0);
    ats_editor_undo(ed); /* all three Backspaces */
    assert_text(ed, "abcdef");
    assert_int_equal(ats_editor_cursor(ed), 5);
    assert_false(ats_editor_can_undo(ed));
    /* typing then backspacing are separate steps */
    type(ed, "XY");
    ats_editor_delete(ed, ATS_MOTION_CHAR_LEFT);
    assert_text(ed, "abcdeXf");
    ats_editor_undo(ed);
    assert_text(ed, "abcdeXYf");
    ats_editor_undo(ed);
    assert_text(ed, "abcdef");
    ats_editor_free(ed);
}

static void test_app_editor_undo_restores_selection(void **state) {
    (void)state;
    ats_editor *ed = editor_with("one two");
    ats_editor_select_word_at(ed, 5);
    type(ed, "2");
    type(ed, "2");
    assert_text(ed, "one 22");
    ats_editor_undo(ed); /* the replacement and the typing after it */
    assert_text(ed, "one two");
    size_t s, e;
    ats_editor_selection(ed, &s, &e);
    assert_int_equal(s, 4);
    assert_int_equal(e, 7);
    ats_editor_redo(ed);
    assert_text(ed, "one 22");
    assert_int_equal(ats_editor_cursor(ed), 6);
    assert_false(ats_editor_has_selection(ed));
    ats_editor_free(ed);
}

static void test_app_editor_set_text_history(void **state) {
    (void)state;
    ats_editor *ed = editor_with("start");
    assert_false(ats_editor_can_undo(ed)); /* reset_history */
    assert_int_equal(ats_editor_cursor(ed), 5);
    assert_int_equal(ats_editor_set_text(ed, "next", 4, false), ATS_EDIT_OK);
    assert_true(ats_editor_can_undo(ed));
    type(ed, "!");
    ats_editor_undo(ed);
    assert_text(ed, "next");
    ats_editor_undo(ed);
    assert_text(ed, "start");
    assert_int_equal(ats_editor_set_text(ed, "\xFF", 1, false), ATS_EDIT_INVALID_UTF8);
    assert_text(ed, "start");
    ats_editor_free(ed);
}

static void test_app_editor_long_history_is_bounded(void **state) {
    (void)state;
    ats_editor *ed = ats_editor_new(0);
    for (int i = 0; i < 1500; i++) {
        type(ed, "a");
        ats_editor_close_group(ed);
    }
    int undone = 0;
    while (ats_editor_undo(ed) == ATS_EDIT_OK)
        undone++;
    assert_int_equal(undone, 1000);
    assert_int_equal(ats_editor_length(ed), 500);
    ats_editor_free(ed);
    ats_editor_free(NULL);
}

/* ---- the navigation helpers on their own --------------------------------------------------- */

static void test_app_editor_textnav_boundaries(void **state) {
    (void)state;
    const char *t = "x" FLAG_FR FLAG_DE "\r\n" E_COMBINING;
    size_t len = strlen(t);
    size_t expected[] = {0, 1, 9, 17, 19, 22};
    size_t pos = 0;
    for (size_t i = 1; i < sizeof expected / sizeof expected[0]; i++) {
        pos = ats_textnav_next_grapheme(t, len, pos);
        assert_int_equal(pos, expected[i]);
    }
    assert_int_equal(ats_textnav_next_grapheme(t, len, len), len);
    for (size_t i = sizeof expected / sizeof expected[0] - 1; i > 0; i--) {
        assert_int_equal(ats_textnav_prev_grapheme(t, len, pos), expected[i - 1]);
        pos = expected[i - 1];
    }
    assert_int_equal(ats_textnav_prev_grapheme(t, len, 0), 0);
    assert_int_equal(ats_textnav_snap(t, len, 13), 9);
    assert_int_equal(ats_textnav_snap(t, len, 18), 17); /* \r\n is one cluster */
    assert_int_equal(ats_textnav_first_invalid(t, len), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_editor_insert_moves_cursor_by_bytes),
        cmocka_unit_test(test_app_editor_insert_rejects_invalid_utf8),
        cmocka_unit_test(test_app_editor_length_cap),
        cmocka_unit_test(test_app_editor_backspace_removes_grapheme_clusters),
        cmocka_unit_test(test_app_editor_delete_forward_and_arrows),
        cmocka_unit_test(test_app_editor_word_motion_and_deletion),
        cmocka_unit_test(test_app_editor_home_end_and_lines),
        cmocka_unit_test(test_app_editor_selection),
        cmocka_unit_test(test_app_editor_set_cursor_snaps),
        cmocka_unit_test(test_app_editor_select_word_at),
        cmocka_unit_test(test_app_editor_copy_cut_paste),
        cmocka_unit_test(test_app_editor_clipboard_errors),
        cmocka_unit_test(test_app_editor_undo_groups_typing_by_word),
        cmocka_unit_test(test_app_editor_undo_group_breaks),
        cmocka_unit_test(test_app_editor_undo_groups_deletions),
        cmocka_unit_test(test_app_editor_undo_restores_selection),
        cmocka_unit_test(test_app_editor_set_text_history),
        cmocka_unit_test(test_app_editor_long_history_is_bounded),
        cmocka_unit_test(test_app_editor_textnav_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
