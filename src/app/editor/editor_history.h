/* The editor's undo/redo history: a stack of replacements ("at pos, `removed` became
 * `inserted`") with the cursor before and after, merging consecutive typing, Backspaces and
 * Deletes into one step. Used only by editor.c. */
#ifndef ATS_APP_EDITOR_HISTORY_H
#define ATS_APP_EDITOR_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ats_history_kind {
    ATS_HISTORY_TYPING,    /* merges with the typing just before it */
    ATS_HISTORY_BACKSPACE, /* merges with the Backspace just before it */
    ATS_HISTORY_DELETE,    /* merges with the Delete just before it */
    ATS_HISTORY_OTHER,     /* always a step of its own */
} ats_history_kind;

typedef struct ats_history_step {
    ats_history_kind kind;
    size_t pos;
    char *removed; /* (removed_len) bytes that were at pos */
    size_t removed_len;
    char *inserted; /* (inserted_len) bytes that replaced them */
    size_t inserted_len;
    size_t cursor_before, anchor_before;
    size_t cursor_after, anchor_after;
} ats_history_step;

typedef struct ats_history {
    ats_history_step *steps; /* [0, done) can be undone, [done, n) redone */
    size_t n, done, cap;
    size_t max_steps; /* the oldest steps are forgotten beyond this */
    bool open;        /* the last step may still grow */
} ats_history;

void ats_history_init(ats_history *h, size_t max_steps);
void ats_history_clear(ats_history *h);
/* Records an edit about to happen (the strings are copied), merging it into the open step when
 * it continues it. Drops the redo steps. False when out of memory (nothing recorded). */
bool ats_history_record(ats_history *h, const ats_history_step *edit);
/* Ends the open step. */
void ats_history_close_group(ats_history *h);
/* The step to revert (undo) or re-apply (redo), moving the position; NULL when none. */
const ats_history_step *ats_history_undo(ats_history *h);
const ats_history_step *ats_history_redo(ats_history *h);

#endif
