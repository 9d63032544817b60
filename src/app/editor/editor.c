#include "editor.h"
#include "editor_history.h"
#include "text_nav.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_UNDO_STEPS 1000

struct ats_editor {
    char *text; /* (cap) bytes, text[len] == '\0' */
    size_t len, cap, max_bytes;
    size_t cursor, anchor;
    uint64_t revision;
    ats_history history;
    char error[256];
};

ats_editor *ats_editor_new(size_t max_bytes) {
    ats_editor *ed = calloc(1, sizeof *ed);
    if (!ed)
        return NULL;
    ed->max_bytes = max_bytes ? max_bytes : ATS_EDITOR_DEFAULT_MAX_BYTES;
    ed->cap = 64;
    ed->text = calloc(ed->cap, 1);
    if (!ed->text) {
        free(ed);
        return NULL;
    }
    ats_history_init(&ed->history, MAX_UNDO_STEPS);
    return ed;
}

void ats_editor_free(ats_editor *ed) {
    if (!ed)
        return;
    ats_history_clear(&ed->history);
    free(ed->history.steps);
    free(ed->text);
    free(ed);
}

/* ---- reading ------------------------------------------------------------------------------ */

const char *ats_editor_text(const ats_editor *ed) {
    return ed->text;
}

size_t ats_editor_length(const ats_editor *ed) {
    return ed->len;
}

size_t ats_editor_max_bytes(const ats_editor *ed) {
    return ed->max_bytes;
}

size_t ats_editor_cursor(const ats_editor *ed) {
    return ed->cursor;
}

size_t ats_editor_anchor(const ats_editor *ed) {
    return ed->anchor;
}

bool ats_editor_has_selection(const ats_editor *ed) {
    return ed->cursor != ed->anchor;
}

void ats_editor_selection(const ats_editor *ed, size_t *start, size_t *end) {
    *start = ed->cursor < ed->anchor ? ed->cursor : ed->anchor;
    *end = ed->cursor < ed->anchor ? ed->anchor : ed->cursor;
}

uint64_t ats_editor_revision(const ats_editor *ed) {
    return ed->revision;
}

bool ats_editor_can_undo(const ats_editor *ed) {
    return ed->history.done > 0;
}

bool ats_editor_can_redo(const ats_editor *ed) {
    return ed->history.done < ed->history.n;
}

const char *ats_editor_error(const ats_editor *ed) {
    return ed->error;
}

/* ---- the one primitive that changes the text ----------------------------------------------- */

static ats_edit_result fail(ats_editor *ed, ats_edit_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static ats_edit_result fail(ats_editor *ed, ats_edit_result r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ed->error, sizeof ed->error, fmt, ap);
    va_end(ap);
    return r;
}

static ats_edit_result ok(ats_editor *ed) {
    ed->error[0] = '\0';
    return ATS_EDIT_OK;
}

/* Bytes [start, end) become `ins`; then cursor = anchor = start + ins_len. Records the edit in
 * the history (as `kind`) unless `record` is false (undo and redo apply recorded steps). */
static ats_edit_result replace(ats_editor *ed, size_t start, size_t end, const char *ins,
                               size_t ins_len, ats_history_kind kind, bool record) {
    size_t new_len = ed->len - (end - start) + ins_len;
    if (new_len > ed->max_bytes)
        return fail(ed, ATS_EDIT_TOO_LONG,
                    "the text is limited to %zu bytes; this edit would make it %zu bytes",
                    ed->max_bytes, new_len);
    if (new_len + 1 > ed->cap) {
        size_t cap = ed->cap;
        while (cap < new_len + 1)
            cap *= 2;
        char *p = realloc(ed->text, cap);
        if (!p)
            return fail(ed, ATS_EDIT_NOMEM, "out of memory");
        ed->text = p;
        ed->cap = cap;
    }
    size_t after = start + ins_len;
    if (record) {
        ats_history_step step = {
            .kind = kind,
            .pos = start,
            .removed = ed->text + start,
            .removed_len = end - start,
            .inserted = (char *)ins,
            .inserted_len = ins_len,
            .cursor_before = ed->cursor,
            .anchor_before = ed->anchor,
            .cursor_after = after,
            .anchor_after = after,
        };
        if (!ats_history_record(&ed->history, &step))
            return fail(ed, ATS_EDIT_NOMEM, "out of memory");
    }
    memmove(ed->text + after, ed->text + end, ed->len - end + 1); /* with the NUL */
    memcpy(ed->text + start, ins, ins_len);
    ed->len = new_len;
    ed->cursor = ed->anchor = after;
    ed->revision++;
    return ok(ed);
}

static ats_edit_result check_utf8(ats_editor *ed, const char *what, const char *text, size_t len) {
    long bad = ats_textnav_first_invalid(text, len);
    if (bad < 0)
        return ATS_EDIT_OK;
    if (text[bad] == '\0')
        return fail(ed, ATS_EDIT_INVALID_UTF8, "%s holds a NUL byte (at byte %ld)", what, bad);
    return fail(ed, ATS_EDIT_INVALID_UTF8, "%s is not valid UTF-8 (at byte %ld)", what, bad);
}

/* ---- editing -------------------------------------------------------------------------------- */

ats_edit_result ats_editor_set_text(ats_editor *ed, const char *text, size_t len,
                                    bool reset_history) {
    ats_edit_result r = check_utf8(ed, "the text", text, len);
    if (r != ATS_EDIT_OK)
        return r;
    if (reset_history)
        ats_history_clear(&ed->history);
    ats_history_close_group(&ed->history);
    r = replace(ed, 0, ed->len, text, len, ATS_HISTORY_OTHER, !reset_history);
    if (r == ATS_EDIT_OK)
        ats_history_close_group(&ed->history);
    return r;
}

ats_edit_result ats_editor_insert(ats_editor *ed, const char *text, size_t len) {
    if (len == 0)
        return ATS_EDIT_UNCHANGED;
    ats_edit_result r = check_utf8(ed, "the typed text", text, len);
    if (r != ATS_EDIT_OK)
        return r;
    size_t start, end;
    ats_editor_selection(ed, &start, &end);
    if (start != end) /* typing over a selection starts a step that later typing extends */
        ats_history_close_group(&ed->history);
    return replace(ed, start, end, text, len, ATS_HISTORY_TYPING, true);
}

static size_t motion_target(const ats_editor *ed, ats_editor_motion motion, size_t from) {
    switch (motion) {
    case ATS_MOTION_CHAR_LEFT:
        return ats_textnav_prev_grapheme(ed->text, ed->len, from);
    case ATS_MOTION_CHAR_RIGHT:
        return ats_textnav_next_grapheme(ed->text, ed->len, from);
    case ATS_MOTION_WORD_LEFT:
        return ats_textnav_prev_word(ed->text, ed->len, from);
    case ATS_MOTION_WORD_RIGHT:
        return ats_textnav_next_word(ed->text, ed->len, from);
    case ATS_MOTION_LINE_START:
        return ats_textnav_line_start(ed->text, ed->len, from);
    case ATS_MOTION_LINE_END:
        return ats_textnav_line_end(ed->text, ed->len, from);
    case ATS_MOTION_TEXT_START:
        return 0;
    case ATS_MOTION_TEXT_END:
        return ed->len;
    }
    return from;
}

ats_edit_result ats_editor_delete(ats_editor *ed, ats_editor_motion motion) {
    size_t start, end;
    ats_editor_selection(ed, &start, &end);
    ats_history_kind kind = ATS_HISTORY_OTHER;
    if (start == end) {
        size_t target = motion_target(ed, motion, ed->cursor);
        start = target < ed->cursor ? target : ed->cursor;
        end = target < ed->cursor ? ed->cursor : target;
        if (motion == ATS_MOTION_CHAR_LEFT)
            kind = ATS_HISTORY_BACKSPACE;
        else if (motion == ATS_MOTION_CHAR_RIGHT)
            kind = ATS_HISTORY_DELETE;
    }
    if (start == end)
        return ATS_EDIT_UNCHANGED;
    if (kind == ATS_HISTORY_OTHER)
        ats_history_close_group(&ed->history);
    ats_edit_result r = replace(ed, start, end, "", 0, kind, true);
    if (r == ATS_EDIT_OK && kind == ATS_HISTORY_OTHER)
        ats_history_close_group(&ed->history);
    return r;
}

/* ---- cursor and selection ------------------------------------------------------------------- */

static ats_edit_result place(ats_editor *ed, size_t anchor, size_t cursor) {
    ats_history_close_group(&ed->history);
    if (ed->anchor == anchor && ed->cursor == cursor)
        return ATS_EDIT_UNCHANGED;
    ed->anchor = anchor;
    ed->cursor = cursor;
    return ok(ed);
}

ats_edit_result ats_editor_move(ats_editor *ed, ats_editor_motion motion, bool extend) {
    size_t start, end;
    ats_editor_selection(ed, &start, &end);
    if (!extend && start != end) {
        if (motion == ATS_MOTION_CHAR_LEFT)
            return place(ed, start, start);
        if (motion == ATS_MOTION_CHAR_RIGHT)
            return place(ed, end, end);
    }
    size_t target = motion_target(ed, motion, ed->cursor);
    return place(ed, extend ? ed->anchor : target, target);
}

ats_edit_result ats_editor_set_cursor(ats_editor *ed, size_t offset, bool extend) {
    size_t at = ats_textnav_snap(ed->text, ed->len, offset > ed->len ? ed->len : offset);
    return place(ed, extend ? ed->anchor : at, at);
}

ats_edit_result ats_editor_select_word_at(ats_editor *ed, size_t offset) {
    size_t start, end;
    ats_textnav_word_bounds(ed->text, ed->len, offset > ed->len ? ed->len : offset, &start, &end);
    return place(ed, start, end);
}

ats_edit_result ats_editor_select_all(ats_editor *ed) {
    return place(ed, 0, ed->len);
}

/* ---- clipboard ------------------------------------------------------------------------------ */

ats_edit_result ats_editor_copy(ats_editor *ed, const ats_clipboard *cb) {
    size_t start, end;
    ats_editor_selection(ed, &start, &end);
    if (start == end)
        return ATS_EDIT_UNCHANGED;
    if (!cb || !cb->set_text)
        return fail(ed, ATS_EDIT_CLIPBOARD, "no clipboard is available");
    if (!cb->set_text(cb->user, ed->text + start, end - start))
        return fail(ed, ATS_EDIT_CLIPBOARD, "the clipboard refused the text");
    return ok(ed);
}

ats_edit_result ats_editor_cut(ats_editor *ed, const ats_clipboard *cb) {
    ats_edit_result r = ats_editor_copy(ed, cb);
    if (r != ATS_EDIT_OK)
        return r;
    return ats_editor_delete(ed, ATS_MOTION_CHAR_LEFT); /* the selection, as its own step */
}

/* "\r\n" and lone "\r" become "\n" in place; returns the new length. */
static size_t normalize_newlines(char *s, size_t len) {
    size_t w = 0;
    for (size_t r = 0; r < len; r++) {
        if (s[r] == '\r') {
            s[w++] = '\n';
            if (r + 1 < len && s[r + 1] == '\n')
                r++;
        } else {
            s[w++] = s[r];
        }
    }
    return w;
}

ats_edit_result ats_editor_paste(ats_editor *ed, const ats_clipboard *cb) {
    if (!cb || !cb->get_text)
        return fail(ed, ATS_EDIT_CLIPBOARD, "no clipboard is available");
    char *text = cb->get_text(cb->user);
    if (!text)
        return ATS_EDIT_UNCHANGED;
    size_t len = normalize_newlines(text, strlen(text));
    ats_edit_result r = len ? check_utf8(ed, "the pasted text", text, len) : ATS_EDIT_UNCHANGED;
    if (r == ATS_EDIT_OK) {
        size_t start, end;
        ats_editor_selection(ed, &start, &end);
        ats_history_close_group(&ed->history);
        r = replace(ed, start, end, text, len, ATS_HISTORY_OTHER, true);
        ats_history_close_group(&ed->history);
    }
    free(text);
    return r;
}

/* ---- history -------------------------------------------------------------------------------- */

ats_edit_result ats_editor_undo(ats_editor *ed) {
    const ats_history_step *s = ats_history_undo(&ed->history);
    if (!s)
        return ATS_EDIT_UNCHANGED;
    ats_edit_result r =
        replace(ed, s->pos, s->pos + s->inserted_len, s->removed, s->removed_len, s->kind, false);
    if (r != ATS_EDIT_OK) {
        ats_history_redo(&ed->history); /* keep the history in step with the text */
        return r;
    }
    ed->cursor = s->cursor_before;
    ed->anchor = s->anchor_before;
    return r;
}

ats_edit_result ats_editor_redo(ats_editor *ed) {
    const ats_history_step *s = ats_history_redo(&ed->history);
    if (!s)
        return ATS_EDIT_UNCHANGED;
    ats_edit_result r =
        replace(ed, s->pos, s->pos + s->removed_len, s->inserted, s->inserted_len, s->kind, false);
    if (r != ATS_EDIT_OK) {
        ats_history_undo(&ed->history);
        return r;
    }
    ed->cursor = s->cursor_after;
    ed->anchor = s->anchor_after;
    return r;
}

void ats_editor_close_group(ats_editor *ed) {
    ats_history_close_group(&ed->history);
}
