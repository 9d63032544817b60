/* Maps byte offsets in the text a run was computed from onto the text the editor holds now, so
 * token chips stay under their words while the next run computes. The two texts differ in one
 * region (the edits since the run was posted); offsets before it stay, offsets after it shift,
 * offsets inside it are stale. */
#ifndef ATS_APP_SPAN_MAP_H
#define ATS_APP_SPAN_MAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ats_span_map {
    size_t prefix;     /* bytes equal at the start of both texts */
    size_t old_suffix; /* where the equal tail starts in the old text */
    size_t new_suffix; /* and in the new text */
    size_t new_len;
} ats_span_map;

void ats_span_map_build(ats_span_map *m, const char *old_text, size_t old_len, const char *new_text,
                        size_t new_len);
/* Maps [*start, *end) from the old text to the new one. True when the span lies outside the
 * changed region (mapped exactly); false when the edit touched it, in which case the span is
 * clamped onto the changed region of the new text. */
bool ats_span_map_apply(const ats_span_map *m, size_t *start, size_t *end);

#endif
