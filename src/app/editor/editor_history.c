#include "editor_history.h"

#include <stdlib.h>
#include <string.h>

void ats_history_init(ats_history *h, size_t max_steps) {
    *h = (ats_history){.max_steps = max_steps ? max_steps : 1};
}

static void free_step(ats_history_step *s) {
    free(s->removed);
    free(s->inserted);
}

static void drop_from(ats_history *h, size_t first) {
    for (size_t i = first; i < h->n; i++)
        free_step(&h->steps[i]);
    h->n = first;
    if (h->done > first)
        h->done = first;
}

void ats_history_clear(ats_history *h) {
    drop_from(h, 0);
    free(h->steps);
    size_t max = h->max_steps;
    ats_history_init(h, max);
}

static char *copy_bytes(const char *s, size_t len) {
    char *p = malloc(len ? len : 1);
    if (p && len)
        memcpy(p, s, len);
    return p;
}

/* Grows `*buf` (of *len bytes) by `add`, at the front or at the back. */
static bool extend(char **buf, size_t *len, const char *add, size_t add_len, bool front) {
    char *p = realloc(*buf, *len + add_len ? *len + add_len : 1);
    if (!p)
        return false;
    if (front) {
        memmove(p + add_len, p, *len);
        memcpy(p, add, add_len);
    } else {
        memcpy(p + *len, add, add_len);
    }
    *buf = p;
    *len += add_len;
    return true;
}

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n';
}

/* Merges `e` into `last` when it continues it; false when it does not (or out of memory). */
static bool merge(ats_history_step *last, const ats_history_step *e) {
    if (last->kind != e->kind)
        return false;
    switch (e->kind) {
    case ATS_HISTORY_TYPING:
        /* a word typed after a space starts a new step, so undo takes back a word at a time */
        if (e->removed_len || e->pos != last->pos + last->inserted_len || !e->inserted_len ||
            (last->inserted_len && is_space(last->inserted[last->inserted_len - 1]) &&
             !is_space(e->inserted[0])))
            return false;
        if (!extend(&last->inserted, &last->inserted_len, e->inserted, e->inserted_len, false))
            return false;
        break;
    case ATS_HISTORY_BACKSPACE:
        if (e->inserted_len || e->pos + e->removed_len != last->pos)
            return false;
        if (!extend(&last->removed, &last->removed_len, e->removed, e->removed_len, true))
            return false;
        last->pos = e->pos;
        break;
    case ATS_HISTORY_DELETE:
        if (e->inserted_len || e->pos != last->pos)
            return false;
        if (!extend(&last->removed, &last->removed_len, e->removed, e->removed_len, false))
            return false;
        break;
    case ATS_HISTORY_OTHER:
        return false;
    }
    last->cursor_after = e->cursor_after;
    last->anchor_after = e->anchor_after;
    return true;
}

bool ats_history_record(ats_history *h, const ats_history_step *edit) {
    drop_from(h, h->done);
    if (h->open && h->n > 0 && merge(&h->steps[h->n - 1], edit))
        return true;
    if (h->n == h->max_steps) { /* forget the oldest */
        free_step(&h->steps[0]);
        memmove(h->steps, h->steps + 1, (h->n - 1) * sizeof *h->steps);
        h->n--;
        h->done = h->n;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        ats_history_step *steps = realloc(h->steps, cap * sizeof *steps);
        if (!steps)
            return false;
        h->steps = steps;
        h->cap = cap;
    }
    ats_history_step s = *edit;
    s.removed = copy_bytes(edit->removed, edit->removed_len);
    s.inserted = copy_bytes(edit->inserted, edit->inserted_len);
    if (!s.removed || !s.inserted) {
        free_step(&s);
        return false;
    }
    h->steps[h->n++] = s;
    h->done = h->n;
    h->open = edit->kind != ATS_HISTORY_OTHER;
    return true;
}

void ats_history_close_group(ats_history *h) {
    h->open = false;
}

const ats_history_step *ats_history_undo(ats_history *h) {
    h->open = false;
    return h->done > 0 ? &h->steps[--h->done] : NULL;
}

const ats_history_step *ats_history_redo(ats_history *h) {
    h->open = false;
    return h->done < h->n ? &h->steps[h->done++] : NULL;
}
