#include "text_nav.h"
#include "attnscope/engine.h"

#include <string.h>
#include <utf8proc.h>

/* Decodes the code point at pos; the text is valid, so a failure only means pos >= len. */
static size_t decode(const char *text, size_t len, size_t pos, int32_t *cp) {
    *cp = 0;
    if (pos >= len)
        return 0;
    utf8proc_int32_t c;
    utf8proc_ssize_t n =
        utf8proc_iterate((const utf8proc_uint8_t *)text + pos, (utf8proc_ssize_t)(len - pos), &c);
    if (n <= 0) { /* not expected: step one byte so callers always make progress */
        *cp = 0xFFFD;
        return 1;
    }
    *cp = c;
    return (size_t)n;
}

/* The start of the code point that ends at pos. */
static size_t prev_code_point(const char *text, size_t pos) {
    while (pos > 0) {
        pos--;
        if (((unsigned char)text[pos] & 0xC0) != 0x80)
            break;
    }
    return pos;
}

size_t ats_textnav_next_grapheme(const char *text, size_t len, size_t pos) {
    if (pos >= len)
        return len;
    int32_t state = 0, prev, next;
    pos += decode(text, len, pos, &prev);
    while (pos < len) {
        size_t n = decode(text, len, pos, &next);
        if (utf8proc_grapheme_break_stateful(prev, next, &state))
            return pos;
        prev = next;
        pos += n;
    }
    return len;
}

/* Walks grapheme boundaries from the start of the text (the break state depends on everything
 * before, e.g. pairs of regional indicators) and returns the last one strictly before `limit`
 * (or <= limit when `inclusive`). */
static size_t boundary_before(const char *text, size_t len, size_t limit, bool inclusive) {
    size_t best = 0, pos = 0;
    int32_t state = 0, prev = 0;
    bool have_prev = false;
    while (pos < len) {
        int32_t cp;
        size_t n = decode(text, len, pos, &cp);
        if (have_prev && utf8proc_grapheme_break_stateful(prev, cp, &state)) {
            if (pos > limit || (!inclusive && pos == limit))
                return best;
            best = pos;
            state = 0;
        }
        prev = cp;
        have_prev = true;
        pos += n;
    }
    if (len < limit || (inclusive && len == limit))
        best = len;
    return best;
}

size_t ats_textnav_prev_grapheme(const char *text, size_t len, size_t pos) {
    if (pos > len)
        pos = len;
    return pos == 0 ? 0 : boundary_before(text, len, pos, false);
}

size_t ats_textnav_snap(const char *text, size_t len, size_t pos) {
    if (pos >= len)
        return len;
    return boundary_before(text, len, pos, true);
}

size_t ats_textnav_next_word(const char *text, size_t len, size_t pos) {
    int32_t cp;
    size_t n;
    while (pos < len && (n = decode(text, len, pos, &cp)) && !ats_utf8_is_word_char(cp))
        pos += n;
    while (pos < len && (n = decode(text, len, pos, &cp)) && ats_utf8_is_word_char(cp))
        pos += n;
    /* a word ends on a letter or mark, so pos is a boundary unless a joiner follows */
    size_t start = ats_textnav_snap(text, len, pos);
    return start == pos ? pos : ats_textnav_next_grapheme(text, len, start);
}

size_t ats_textnav_prev_word(const char *text, size_t len, size_t pos) {
    if (pos > len)
        pos = len;
    int32_t cp;
    while (pos > 0) {
        size_t p = prev_code_point(text, pos);
        decode(text, len, p, &cp);
        if (ats_utf8_is_word_char(cp))
            break;
        pos = p;
    }
    while (pos > 0) {
        size_t p = prev_code_point(text, pos);
        decode(text, len, p, &cp);
        if (!ats_utf8_is_word_char(cp))
            break;
        pos = p;
    }
    return ats_textnav_snap(text, len, pos);
}

/* 0 spaces, 1 word characters, 2 anything else */
static int char_class(int32_t cp) {
    if (ats_utf8_is_word_char(cp))
        return 1;
    return utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS || cp == '\t' || cp == '\n' ? 0 : 2;
}

void ats_textnav_word_bounds(const char *text, size_t len, size_t pos, size_t *start, size_t *end) {
    pos = ats_textnav_snap(text, len, pos);
    if (pos == len && pos > 0)
        pos = prev_code_point(text, pos);
    *start = *end = pos;
    if (len == 0)
        return;
    int32_t cp;
    decode(text, len, pos, &cp);
    int cls = char_class(cp);
    size_t p = pos, n;
    while (p < len && (n = decode(text, len, p, &cp)) && char_class(cp) == cls)
        p += n;
    *end = p;
    p = pos;
    while (p > 0) {
        size_t q = prev_code_point(text, p);
        decode(text, len, q, &cp);
        if (char_class(cp) != cls)
            break;
        p = q;
    }
    *start = ats_textnav_snap(text, len, p);
    size_t e = ats_textnav_snap(text, len, *end);
    *end = e == *end ? e : ats_textnav_next_grapheme(text, len, e);
}

size_t ats_textnav_line_start(const char *text, size_t len, size_t pos) {
    if (pos > len)
        pos = len;
    while (pos > 0 && text[pos - 1] != '\n')
        pos--;
    return pos;
}

size_t ats_textnav_line_end(const char *text, size_t len, size_t pos) {
    const char *nl = pos < len ? memchr(text + pos, '\n', len - pos) : NULL;
    return nl ? (size_t)(nl - text) : len;
}

long ats_textnav_first_invalid(const char *text, size_t len) {
    long bad = ats_utf8_first_invalid(text, len);
    const char *nul = memchr(text, '\0', len); /* valid UTF-8, but no text box holds it */
    long at_nul = nul ? (long)(nul - text) : -1;
    if (bad < 0 || (at_nul >= 0 && at_nul < bad))
        return at_nul;
    return bad;
}
