/* Text with origin spans, piece lists, and the few UTF-8 and Unicode predicates the tokenizers
 * share. */
#include "base.h"
#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

ats_status ats_tok_text_reserve(tok_text *t, size_t extra, ats_error *err) {
    if (t->len + extra <= t->cap)
        return ATS_OK;
    size_t cap = t->cap ? t->cap : 32;
    while (cap < t->len + extra)
        cap *= 2;
    char *b = realloc(t->b, cap);
    if (b)
        t->b = b;
    int32_t *s = b ? realloc(t->s, cap * sizeof *s) : NULL;
    if (s)
        t->s = s;
    int32_t *e = s ? realloc(t->e, cap * sizeof *e) : NULL;
    if (!e)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %zu bytes of text", cap);
    t->e = e;
    t->cap = cap;
    return ATS_OK;
}

ats_status ats_tok_text_append(tok_text *t, const char *bytes, size_t n, int32_t s, int32_t e,
                               ats_error *err) {
    if (n == 0) /* nothing to copy (and t->b may still be NULL) */
        return ATS_OK;
    ats_status st = ats_tok_text_reserve(t, n, err);
    if (st != ATS_OK)
        return st;
    memcpy(t->b + t->len, bytes, n);
    for (size_t i = 0; i < n; i++) {
        t->s[t->len + i] = s;
        t->e[t->len + i] = e;
    }
    t->len += n;
    return ATS_OK;
}

ats_status ats_tok_text_append_from(tok_text *t, const tok_text *src, size_t a, size_t n,
                                    ats_error *err) {
    if (n == 0) /* nothing to copy (and t->b may still be NULL) */
        return ATS_OK;
    ats_status st = ats_tok_text_reserve(t, n, err);
    if (st != ATS_OK)
        return st;
    memcpy(t->b + t->len, src->b + a, n);
    memcpy(t->s + t->len, src->s + a, n * sizeof *t->s);
    memcpy(t->e + t->len, src->e + a, n * sizeof *t->e);
    t->len += n;
    return ATS_OK;
}

ats_status ats_tok_text_from_input(tok_text *t, const char *input, size_t a, size_t b,
                                   ats_error *err) {
    t->len = 0;
    ats_status st = ats_tok_text_reserve(t, b - a, err);
    if (st != ATS_OK)
        return st;
    memcpy(t->b, input + a, b - a);
    for (size_t i = a; i < b; i++) {
        t->s[i - a] = (int32_t)i;
        t->e[i - a] = (int32_t)i + 1;
    }
    t->len = b - a;
    return ATS_OK;
}

void ats_tok_text_clear(tok_text *t) {
    t->len = 0;
}

void ats_tok_text_free(tok_text *t) {
    free(t->b);
    free(t->s);
    free(t->e);
    *t = (tok_text){0};
}

tok_text *ats_tok_pieces_add(tok_pieces *p, ats_error *err) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        tok_text *items = realloc(p->items, cap * sizeof *items);
        if (!items) {
            ats_fail(err, ATS_ERR_NOMEM, "out of memory for %zu pieces", cap);
            return NULL;
        }
        /* slots past n keep their buffers for reuse; new ones start empty */
        memset(items + p->cap, 0, (cap - p->cap) * sizeof *items);
        p->items = items;
        p->cap = cap;
    }
    tok_text *t = &p->items[p->n++];
    t->len = 0;
    return t;
}

void ats_tok_pieces_clear(tok_pieces *p) {
    p->n = 0;
}

void ats_tok_pieces_free(tok_pieces *p) {
    for (size_t i = 0; i < p->cap; i++)
        ats_tok_text_free(&p->items[i]);
    free(p->items);
    *p = (tok_pieces){0};
}

/* ---- UTF-8 ----------------------------------------------------------------------------------- */

size_t ats_tok_utf8_len(unsigned char c) {
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0)
        return 2;
    if ((c & 0xF0) == 0xE0)
        return 3;
    if ((c & 0xF8) == 0xF0)
        return 4;
    return 1;
}

size_t ats_tok_utf8_decode(const char *s, size_t n, int32_t *cp) {
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &c);
    if (k <= 0) { /* not expected on validated text: treat the byte as itself */
        *cp = (unsigned char)s[0];
        return 1;
    }
    *cp = c;
    return (size_t)k;
}

size_t ats_tok_utf8_encode(int32_t cp, char *out) {
    utf8proc_ssize_t n = utf8proc_encode_char(cp, (utf8proc_uint8_t *)out);
    return n > 0 ? (size_t)n : 0;
}

bool ats_tok_is_whitespace(int32_t cp) {
    switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

bool ats_tok_is_bert_punct(int32_t cp) {
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
        (cp >= 123 && cp <= 126))
        return true;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
        return true;
    default:
        return false;
    }
}
