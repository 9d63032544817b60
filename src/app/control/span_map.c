#include "span_map.h"

void ats_span_map_build(ats_span_map *m, const char *old_text, size_t old_len, const char *new_text,
                        size_t new_len) {
    size_t shorter = old_len < new_len ? old_len : new_len;
    size_t prefix = 0;
    while (prefix < shorter && old_text[prefix] == new_text[prefix])
        prefix++;
    /* back to a code point start, so a changed multi-byte character counts as changed */
    while (prefix > 0 && prefix < shorter && ((unsigned char)new_text[prefix] & 0xC0) == 0x80)
        prefix--;
    size_t suffix = 0;
    while (suffix < shorter - prefix &&
           old_text[old_len - 1 - suffix] == new_text[new_len - 1 - suffix])
        suffix++;
    while (suffix > 0 && ((unsigned char)new_text[new_len - suffix] & 0xC0) == 0x80)
        suffix--;
    *m = (ats_span_map){.prefix = prefix,
                        .old_suffix = old_len - suffix,
                        .new_suffix = new_len - suffix,
                        .new_len = new_len};
}

bool ats_span_map_apply(const ats_span_map *m, size_t *start, size_t *end) {
    size_t a = *start, b = *end;
    if (b <= m->prefix) /* wholly before the change */
        return true;
    if (a >= m->old_suffix) { /* wholly after it: shifted */
        *start = a - m->old_suffix + m->new_suffix;
        *end = b - m->old_suffix + m->new_suffix;
        return true;
    }
    /* touched: keep what survives of it and stretch it over the new text of the change */
    *start = a <= m->prefix ? a : m->prefix;
    *end = b >= m->old_suffix ? b - m->old_suffix + m->new_suffix : m->new_suffix;
    return false;
}
