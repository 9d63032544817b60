/* Normalizers: text -> text, each output byte keeping the input span it came from.
 *
 * A character that comes out unchanged keeps its bytes' own spans; a rewritten character (a
 * lower-cased "Ä", a decomposed "é") gives each of its output bytes the whole original
 * character's span; an inserted text (Prepend's "▁") gets an empty span where it was inserted.
 * This is what lets a WordPiece token of "cafe" still point at the five bytes of "café". */
#include "base.h"
#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Span of the character occupying in->b[i, i + k). */
static inline int32_t char_start(const tok_text *in, size_t i) {
    return in->s[i];
}
static inline int32_t char_end(const tok_text *in, size_t i, size_t k) {
    return in->e[i + k - 1];
}

/* Appends code point cp with the span of in's character at [i, i + k), or the character's own
 * bytes when cp is that same character. */
static ats_status emit_cp(tok_text *out, const tok_text *in, size_t i, size_t k, int32_t orig,
                          int32_t cp, ats_error *err) {
    if (cp == orig)
        return ats_tok_text_append_from(out, in, i, k, err);
    char buf[4];
    size_t n = ats_tok_utf8_encode(cp, buf);
    return ats_tok_text_append(out, buf, n, char_start(in, i), char_end(in, i, k), err);
}

/* ---- BERT ----------------------------------------------------------------------------------- */

/* Hugging Face's is_control: categories Cc, Cf, Cn, Co, Cs except tab, newline, return. */
static bool is_control(int32_t cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return false;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS:
        return true;
    default:
        return false;
    }
}

/* The CJK Unified Ideograph blocks BERT isolates (the ranges of the original BERT code and of
 * Hugging Face, including its 0x2B920 lower bound). */
static bool is_chinese_char(int32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

/* clean_text drops NUL, U+FFFD and control characters and turns whitespace into ' ';
 * handle_chinese_chars surrounds each ideograph with spaces (inserted, empty spans). */
static ats_status bert_clean(const tok_norm *nm, const tok_text *in, tok_text *out,
                             ats_error *err) {
    ats_status st = ATS_OK;
    for (size_t i = 0; i < in->len && st == ATS_OK;) {
        int32_t cp;
        size_t k = ats_tok_utf8_decode(in->b + i, in->len - i, &cp);
        if (nm->clean_text && (cp == 0 || cp == 0xFFFD || is_control(cp))) {
            i += k;
            continue;
        }
        if (nm->clean_text && ats_tok_is_whitespace(cp)) {
            st = emit_cp(out, in, i, k, cp, ' ', err);
        } else if (nm->chinese && is_chinese_char(cp)) {
            int32_t s = char_start(in, i), e = char_end(in, i, k);
            if ((st = ats_tok_text_append(out, " ", 1, s, s, err)) == ATS_OK &&
                (st = ats_tok_text_append_from(out, in, i, k, err)) == ATS_OK)
                st = ats_tok_text_append(out, " ", 1, e, e, err);
        } else {
            st = ats_tok_text_append_from(out, in, i, k, err);
        }
        i += k;
    }
    return st;
}

/* Full lower-casing one character at a time, as Rust's char::to_lowercase: utf8proc's simple
 * mapping plus the one character whose lower case is two ("İ" -> "i̇"). */
static ats_status lowercase(const tok_text *in, tok_text *out, ats_error *err) {
    ats_status st = ATS_OK;
    for (size_t i = 0; i < in->len && st == ATS_OK;) {
        int32_t cp;
        size_t k = ats_tok_utf8_decode(in->b + i, in->len - i, &cp);
        if (cp == 0x130) {
            st = ats_tok_text_append(out, "i\xCC\x87", 3, char_start(in, i), char_end(in, i, k),
                                     err);
        } else {
            int32_t lower =
                cp < 0x80 ? (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp) : (int32_t)utf8proc_tolower(cp);
            st = emit_cp(out, in, i, k, cp, lower, err);
        }
        i += k;
    }
    return st;
}

/* ---- Unicode normal forms ------------------------------------------------------------------- */

/* Where a new composition cluster starts: a starter (combining class 0) that is not a Hangul
 * vowel or trailing jamo (those compose with the syllable before them). */
static bool cluster_start(int32_t cp) {
    if (cp < 0x300)
        return true;
    if ((cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A8 && cp <= 0x11C2))
        return false;
    return utf8proc_get_property(cp)->combining_class == 0;
}

/* Normalizes each cluster (a starter and the marks after it) on its own, so the output of a
 * cluster can be given that cluster's span. Starter-starter compositions other than Hangul are
 * not made across clusters (a few Indic vowel signs); nothing attnscope reads relies on them. */
static ats_status normal_form(const tok_text *in, tok_text *out, int options, bool drop_marks,
                              ats_error *err) {
    ats_status st = ATS_OK;
    size_t i = 0;
    while (i < in->len && st == ATS_OK) {
        int32_t cp;
        size_t end = i + ats_tok_utf8_decode(in->b + i, in->len - i, &cp);
        bool simple = cp < 0x80;
        while (end < in->len) {
            int32_t next;
            size_t k = ats_tok_utf8_decode(in->b + end, in->len - end, &next);
            if (cluster_start(next))
                break;
            end += k;
            simple = false;
        }
        if (simple) { /* ASCII on its own: unchanged by every normal form */
            st = ats_tok_text_append_from(out, in, i, end - i, err);
            i = end;
            continue;
        }
        utf8proc_uint8_t *mapped = NULL;
        utf8proc_ssize_t n =
            utf8proc_map((const utf8proc_uint8_t *)in->b + i, (utf8proc_ssize_t)(end - i), &mapped,
                         (utf8proc_option_t)(UTF8PROC_STABLE | options));
        if (n < 0) {
            free(mapped);
            return ats_fail(err, ATS_ERR_NOMEM, "Unicode normalization failed: %s",
                            utf8proc_errmsg(n));
        }
        const char *m = (const char *)mapped;
        if ((size_t)n == end - i && memcmp(m, in->b + i, end - i) == 0) {
            /* unchanged: keep each character's own spans */
            for (size_t j = i; j < end && st == ATS_OK;) {
                int32_t c;
                size_t k = ats_tok_utf8_decode(in->b + j, end - j, &c);
                if (!drop_marks || utf8proc_category(c) != UTF8PROC_CATEGORY_MN)
                    st = ats_tok_text_append_from(out, in, j, k, err);
                j += k;
            }
        } else {
            int32_t s = in->s[i], e = in->e[end - 1];
            for (size_t j = 0; j < (size_t)n && st == ATS_OK;) {
                int32_t c;
                size_t k = ats_tok_utf8_decode(m + j, (size_t)n - j, &c);
                if (!drop_marks || utf8proc_category(c) != UTF8PROC_CATEGORY_MN)
                    st = ats_tok_text_append(out, m + j, k, s, e, err);
                j += k;
            }
        }
        free(mapped);
        i = end;
    }
    return st;
}

static ats_status strip_marks(const tok_text *in, tok_text *out, ats_error *err) {
    ats_status st = ATS_OK;
    for (size_t i = 0; i < in->len && st == ATS_OK;) {
        int32_t cp;
        size_t k = ats_tok_utf8_decode(in->b + i, in->len - i, &cp);
        utf8proc_category_t c = utf8proc_category(cp);
        if (c != UTF8PROC_CATEGORY_MN && c != UTF8PROC_CATEGORY_MC && c != UTF8PROC_CATEGORY_ME)
            st = ats_tok_text_append_from(out, in, i, k, err);
        i += k;
    }
    return st;
}

/* BERT: clean and isolate ideographs, then NFD without non-spacing marks, then lower case. */
static ats_status bert(const tok_norm *nm, const tok_text *in, tok_text *out, ats_error *err) {
    tok_text a = {0}, b = {0};
    ats_status st = bert_clean(nm, in, &a, err);
    const tok_text *cur = &a;
    if (st == ATS_OK && nm->strip_accents) {
        st = normal_form(&a, &b, UTF8PROC_DECOMPOSE, true, err);
        cur = &b;
    }
    if (st == ATS_OK) {
        if (nm->lowercase)
            st = lowercase(cur, out, err);
        else
            st = ats_tok_text_append_from(out, cur, 0, cur->len, err);
    }
    ats_tok_text_free(&a);
    ats_tok_text_free(&b);
    return st;
}

/* ---- strip, prepend, replace ---------------------------------------------------------------- */

static ats_status strip(const tok_norm *nm, const tok_text *in, tok_text *out, ats_error *err) {
    size_t a = 0, b = in->len;
    while (nm->left && a < b) {
        int32_t cp;
        size_t k = ats_tok_utf8_decode(in->b + a, b - a, &cp);
        if (!ats_tok_is_whitespace(cp))
            break;
        a += k;
    }
    while (nm->right && b > a) {
        size_t j = b - 1;
        while (j > a && ((unsigned char)in->b[j] & 0xC0) == 0x80)
            j--;
        int32_t cp;
        ats_tok_utf8_decode(in->b + j, b - j, &cp);
        if (!ats_tok_is_whitespace(cp))
            break;
        b = j;
    }
    return ats_tok_text_append_from(out, in, a, b - a, err);
}

static ats_status prepend(const tok_norm *nm, const tok_text *in, tok_text *out, ats_error *err) {
    if (in->len == 0)
        return ATS_OK;
    ats_status st = ats_tok_text_append(out, nm->str, nm->str_len, in->s[0], in->s[0], err);
    return st == ATS_OK ? ats_tok_text_append_from(out, in, 0, in->len, err) : st;
}

static ats_status find_literal(const char *pat, size_t pat_len, const char *s, size_t n,
                               tok_ranges *out, ats_error *err) {
    if (pat_len == 0)
        return ATS_OK;
    for (size_t i = 0; i + pat_len <= n;) {
        if (memcmp(s + i, pat, pat_len) == 0) {
            ats_status st = ats_tok_ranges_push(out, i, i + pat_len, err);
            if (st != ATS_OK)
                return st;
            i += pat_len;
        } else {
            i++;
        }
    }
    return ATS_OK;
}

static ats_status replace(const tok_norm *nm, const tok_text *in, tok_text *out, ats_error *err) {
    tok_ranges m = {0};
    ats_status st = nm->re ? ats_tok_regex_find(nm->re, in->b, in->len, &m, err)
                           : find_literal(nm->str_pat, nm->str_pat_len, in->b, in->len, &m, err);
    size_t at = 0;
    for (size_t i = 0; i < m.n && st == ATS_OK; i++) {
        tok_range r = m.items[i];
        if ((st = ats_tok_text_append_from(out, in, at, r.a - at, err)) != ATS_OK)
            break;
        st = ats_tok_text_append(out, nm->str, nm->str_len, in->s[r.a], in->e[r.b - 1], err);
        at = r.b;
    }
    if (st == ATS_OK)
        st = ats_tok_text_append_from(out, in, at, in->len - at, err);
    ats_tok_ranges_free(&m);
    return st;
}

ats_status ats_tok_normalize(const tok_norm *nm, const tok_text *in, tok_text *out,
                             ats_error *err) {
    out->len = 0;
    switch (nm->kind) {
    case TOK_NORM_BERT:
        return bert(nm, in, out, err);
    case TOK_NORM_LOWERCASE:
        return lowercase(in, out, err);
    case TOK_NORM_NFD:
        return normal_form(in, out, UTF8PROC_DECOMPOSE, false, err);
    case TOK_NORM_NFKD:
        return normal_form(in, out, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, false, err);
    case TOK_NORM_NFC:
        return normal_form(in, out, UTF8PROC_COMPOSE, false, err);
    case TOK_NORM_NFKC:
        return normal_form(in, out, UTF8PROC_COMPOSE | UTF8PROC_COMPAT, false, err);
    case TOK_NORM_STRIP_ACCENTS:
        return strip_marks(in, out, err);
    case TOK_NORM_STRIP:
        return strip(nm, in, out, err);
    case TOK_NORM_PREPEND:
        return prepend(nm, in, out, err);
    case TOK_NORM_REPLACE:
        return replace(nm, in, out, err);
    case TOK_NORM_SPM:
    case TOK_NORM_PRECOMPILED:
        return ats_tok_normalize_charsmap(nm, in, out, err);
    }
    return ats_fail(err, ATS_ERR_ARG, "unknown normalizer %d", (int)nm->kind);
}
