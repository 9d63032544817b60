/* The text box's editor model: a UTF-8 buffer with a cursor, a selection anchor, undo/redo and a
 * clipboard interface. Pure logic (no SDL): the window feeds it SDL_TEXTINPUT strings and key
 * actions, the SDL clipboard plugs in through ats_clipboard, tests use a fake.
 *
 * Invariants: the text is always valid UTF-8 without NUL bytes, NUL-terminated, at most
 * max_bytes long; the cursor and the anchor are byte offsets on grapheme-cluster boundaries.
 * The selection is the range between anchor and cursor (empty when they are equal).
 *
 * Undo groups: consecutive typing at the cursor is one step (a new step starts at each word
 * after a space), consecutive Backspaces are one step, consecutive Deletes are one step; a
 * paste, a cut, a word deletion, replacing the text, any cursor motion, undo/redo and
 * ats_editor_close_group (the app calls it after a pause in typing) end the current group.
 *
 * Ownership: ats_editor_new allocates, ats_editor_free frees (NULL-safe). Pointers returned
 * by getters stay valid until the next call that changes the editor. */
#ifndef ATS_APP_EDITOR_H
#define ATS_APP_EDITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ats_editor ats_editor;

typedef enum ats_edit_result {
    ATS_EDIT_OK,           /* the text or the cursor changed */
    ATS_EDIT_UNCHANGED,    /* nothing to do (Backspace at the start, undo with no history) */
    ATS_EDIT_INVALID_UTF8, /* rejected: the input is not valid UTF-8 or holds a NUL byte */
    ATS_EDIT_TOO_LONG,     /* rejected: the text would exceed max_bytes */
    ATS_EDIT_CLIPBOARD,    /* the clipboard is unavailable or refused the text */
    ATS_EDIT_NOMEM,        /* an allocation failed; the text is unchanged */
} ats_edit_result;

typedef enum ats_editor_motion {
    ATS_MOTION_CHAR_LEFT, /* one grapheme cluster */
    ATS_MOTION_CHAR_RIGHT,
    ATS_MOTION_WORD_LEFT,  /* Ctrl+Left: to the start of this or the previous word */
    ATS_MOTION_WORD_RIGHT, /* Ctrl+Right: to the end of this or the next word */
    ATS_MOTION_LINE_START, /* Home */
    ATS_MOTION_LINE_END,   /* End */
    ATS_MOTION_TEXT_START, /* Ctrl+Home */
    ATS_MOTION_TEXT_END,   /* Ctrl+End */
} ats_editor_motion;

/* The system clipboard as the editor sees it. get_text returns a malloc'd NUL-terminated string
 * the editor frees, or NULL when the clipboard is empty or unavailable; set_text returns false
 * when it could not store the text. */
typedef struct ats_clipboard {
    void *user;
    char *(*get_text)(void *user);
    bool (*set_text)(void *user, const char *text, size_t len);
} ats_clipboard;

#define ATS_EDITOR_DEFAULT_MAX_BYTES ((size_t)16384)

/* An empty editor holding at most max_bytes bytes of text (0 takes the default); NULL when out
 * of memory. */
ats_editor *ats_editor_new(size_t max_bytes);
void ats_editor_free(ats_editor *ed);

/* ---- reading ---------------------------------------------------------------------------- */

const char *ats_editor_text(const ats_editor *ed); /* NUL-terminated */
size_t ats_editor_length(const ats_editor *ed);    /* bytes */
size_t ats_editor_max_bytes(const ats_editor *ed);
size_t ats_editor_cursor(const ats_editor *ed);
size_t ats_editor_anchor(const ats_editor *ed);
bool ats_editor_has_selection(const ats_editor *ed);
/* The selection as [start, end) with start <= end. */
void ats_editor_selection(const ats_editor *ed, size_t *start, size_t *end);
/* Bumped by every change of the text (not by cursor motion): the app posts a run when it moves. */
uint64_t ats_editor_revision(const ats_editor *ed);
bool ats_editor_can_undo(const ats_editor *ed);
bool ats_editor_can_redo(const ats_editor *ed);
/* One line describing the last rejected edit ("" when the last edit succeeded). */
const char *ats_editor_error(const ats_editor *ed);

/* ---- editing ---------------------------------------------------------------------------- */

/* Replaces the whole text (e.g. from --text); one undo step unless `reset_history`, which also
 * forgets every earlier step. The cursor goes to the end. */
ats_edit_result ats_editor_set_text(ats_editor *ed, const char *text, size_t len,
                                    bool reset_history);
/* Typing: inserts UTF-8 text at the cursor, replacing the selection. Rejects invalid UTF-8 and
 * text that would not fit, leaving everything unchanged. */
ats_edit_result ats_editor_insert(ats_editor *ed, const char *text, size_t len);
/* Backspace (CHAR_LEFT), Delete (CHAR_RIGHT), Ctrl+Backspace (WORD_LEFT), Ctrl+Delete
 * (WORD_RIGHT): deletes the selection if there is one, else from the cursor to where `motion`
 * would move it. */
ats_edit_result ats_editor_delete(ats_editor *ed, ats_editor_motion motion);

/* ---- cursor and selection -------------------------------------------------------------- */

/* Moves the cursor; with `extend` (Shift) the anchor stays and the selection grows, without it
 * the selection collapses (Left/Right on a selection land on its start/end). */
ats_edit_result ats_editor_move(ats_editor *ed, ats_editor_motion motion, bool extend);
/* Places the cursor at a byte offset (a click), snapped to a grapheme boundary and clamped. */
ats_edit_result ats_editor_set_cursor(ats_editor *ed, size_t offset, bool extend);
/* Selects the word (or the run of other characters) around offset: a double click. */
ats_edit_result ats_editor_select_word_at(ats_editor *ed, size_t offset);
ats_edit_result ats_editor_select_all(ats_editor *ed);

/* ---- clipboard --------------------------------------------------------------------------- */

ats_edit_result ats_editor_copy(ats_editor *ed, const ats_clipboard *cb);
ats_edit_result ats_editor_cut(ats_editor *ed, const ats_clipboard *cb);
/* Inserts the clipboard's text with "\r\n" and "\r" turned into "\n"; one undo step. */
ats_edit_result ats_editor_paste(ats_editor *ed, const ats_clipboard *cb);

/* ---- history ----------------------------------------------------------------------------- */

ats_edit_result ats_editor_undo(ats_editor *ed);
ats_edit_result ats_editor_redo(ats_editor *ed);
/* Ends the current typing group so the next keystroke starts a new undo step. */
void ats_editor_close_group(ats_editor *ed);

#endif
