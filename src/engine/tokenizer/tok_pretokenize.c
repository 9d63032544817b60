/* Pre-tokenizers: split each piece into smaller pieces (words) before the model sees them.
 *
 * Every splitter reduces to the same step as in Hugging Face tokenizers: find the "matches" in
 * a piece (regex matches, literal occurrences, or single characters of a class), label the
 * stretches between them as non-matches, then keep, drop or merge them per the behavior:
 *
 *   "a, b" split on ',' ->  Removed ["a", " b"]   Isolated ["a", ",", " b"]
 *                           MergedWithPrevious ["a,", " b"]   MergedWithNext ["a", ", b"]
 *
 * Regexes run through PCRE2 with UTF and Unicode properties (\p{L}, \s as Unicode). */
#include "base.h"
#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- regexes ------------------------------------------------------------------------------- */

/* Word characters as Hugging Face's regex engine (Oniguruma) has them, following Unicode's
 * UTS #18: letters, letter numbers, marks, decimal digits, connector punctuation, the two
 * join controls and the circled / squared letters. PCRE2's own \w (letters, digits, "_")
 * would split "हिन्दी" at its vowel signs and an emoji ZWJ sequence differently. */
#define WORD_ITEMS                                                                                 \
    "\\p{L}\\p{Nl}\\p{M}\\p{Nd}\\p{Pc}\\x{200C}\\x{200D}\\x{24B6}-\\x{24E9}\\x{1F130}-\\x{1F149}"  \
    "\\x{1F150}-\\x{1F169}\\x{1F170}-\\x{1F189}"

/* Rewrites \w and \W into WORD_ITEMS classes (\W inside a class is left to PCRE2). */
static ats_status rewrite_word_class(const char *pattern, size_t len, tok_buf *out,
                                     ats_error *err) {
    ats_status st = ATS_OK;
    bool in_class = false;
    for (size_t i = 0; i < len && st == ATS_OK; i++) {
        char c = pattern[i];
        if (c == '\\' && i + 1 < len) {
            char n = pattern[i + 1];
            if (n == 'w')
                st = in_class
                         ? ats_tok_buf_append(out, WORD_ITEMS, strlen(WORD_ITEMS), err)
                         : ats_tok_buf_append(out, "[" WORD_ITEMS "]", strlen(WORD_ITEMS) + 2, err);
            else if (n == 'W' && !in_class)
                st = ats_tok_buf_append(out, "[^" WORD_ITEMS "]", strlen(WORD_ITEMS) + 3, err);
            else
                st = ats_tok_buf_append(out, pattern + i, 2, err);
            i++;
            continue;
        }
        if (c == '[' && !in_class) {
            in_class = true;
            /* a ']' right after '[' or '[^' is a literal member, not the end */
            size_t k = i + 1 < len && pattern[i + 1] == '^' ? 2 : 1;
            if (i + k < len && pattern[i + k] == ']')
                k++;
            st = ats_tok_buf_append(out, pattern + i, k, err);
            i += k - 1;
            continue;
        }
        if (c == ']' && in_class)
            in_class = false;
        st = ats_tok_buf_append(out, &c, 1, err);
    }
    return st;
}

ats_status ats_tok_regex_compile(const char *pattern, size_t len, const char *source,
                                 pcre2_code **out, ats_error *err) {
    tok_buf rewritten = {0};
    ats_status st = rewrite_word_class(pattern, len, &rewritten, err);
    if (st != ATS_OK) {
        ats_tok_buf_free(&rewritten);
        return st;
    }
    int code;
    PCRE2_SIZE offset;
    *out = pcre2_compile((PCRE2_SPTR)rewritten.p, rewritten.n, PCRE2_UTF | PCRE2_UCP, &code,
                         &offset, NULL);
    ats_tok_buf_free(&rewritten);
    if (!*out) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        return ats_fail(err, ATS_ERR_FORMAT, "%s: pre-tokenizer regex /%.*s/ does not compile: %s",
                        source, (int)(len > 120 ? 120 : len), pattern, (char *)msg);
    }
    pcre2_jit_compile(*out, PCRE2_JIT_COMPLETE); /* falls back to the interpreter when absent */
    return ATS_OK;
}

ats_status ats_tok_ranges_push(tok_ranges *r, size_t a, size_t b, ats_error *err) {
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        tok_range *items = realloc(r->items, cap * sizeof *items);
        if (!items)
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %zu matches", cap);
        r->items = items;
        r->cap = cap;
    }
    r->items[r->n++] = (tok_range){a, b};
    return ATS_OK;
}

void ats_tok_ranges_free(tok_ranges *r) {
    free(r->items);
    *r = (tok_ranges){0};
}

ats_status ats_tok_regex_find(const pcre2_code *re, const char *s, size_t n, tok_ranges *out,
                              ats_error *err) {
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    if (!md)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for regex match data");
    ats_status st = ATS_OK;
    size_t at = 0;
    while (at < n) {
        /* the text was validated as UTF-8 before tokenization, so skip PCRE2's check */
        int rc = pcre2_match(re, (PCRE2_SPTR)s, n, at, PCRE2_NO_UTF_CHECK, md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            st = ats_fail(err, ATS_ERR_UNSUPPORTED, "pre-tokenizer regex failed: %s", (char *)msg);
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t a = ov[0], b = ov[1];
        if (b <= a) { /* empty match: nothing to keep, step over one character */
            at = a + ats_tok_utf8_len((unsigned char)s[a]);
            continue;
        }
        if ((st = ats_tok_ranges_push(out, a, b, err)) != ATS_OK)
            break;
        at = b;
    }
    pcre2_match_data_free(md);
    return st;
}

/* ---- splitting one piece ------------------------------------------------------------------- */

typedef struct seg {
    size_t a, b;
    bool match;
} seg;

typedef struct segs {
    seg *items;
    size_t n, cap;
} segs;

static ats_status segs_push(segs *v, size_t a, size_t b, bool match, ats_error *err) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        seg *items = realloc(v->items, cap * sizeof *items);
        if (!items)
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory splitting text");
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = (seg){a, b, match};
    return ATS_OK;
}

/* Matches plus the stretches between them, covering [0, len). */
static ats_status segs_from_matches(const tok_ranges *m, size_t len, bool invert, segs *out,
                                    ats_error *err) {
    ats_status st = ATS_OK;
    size_t at = 0;
    for (size_t i = 0; i < m->n && st == ATS_OK; i++) {
        if (m->items[i].a > at)
            st = segs_push(out, at, m->items[i].a, invert, err);
        if (st == ATS_OK)
            st = segs_push(out, m->items[i].a, m->items[i].b, !invert, err);
        at = m->items[i].b;
    }
    if (st == ATS_OK && at < len)
        st = segs_push(out, at, len, invert, err);
    return st;
}

/* Applies the behavior to the labelled segments (in place) and copies the surviving, non-empty
 * ones of `src` into `out`. */
static ats_status emit_split(const tok_text *src, segs *v, tok_split_behavior behavior,
                             tok_pieces *out, ats_error *err) {
    size_t k = 0; /* merged segments are written back into v->items[0 .. k) */
    bool prev = false;
    switch (behavior) {
    case TOK_SPLIT_REMOVED:
        for (size_t i = 0; i < v->n; i++) {
            if (!v->items[i].match)
                v->items[k++] = v->items[i];
        }
        break;
    case TOK_SPLIT_ISOLATED:
        k = v->n;
        break;
    case TOK_SPLIT_MERGED_WITH_PREVIOUS:
        for (size_t i = 0; i < v->n; i++) {
            seg sg = v->items[i];
            if (sg.match && !prev && k > 0)
                v->items[k - 1].b = sg.b;
            else
                v->items[k++] = sg;
            prev = sg.match;
        }
        break;
    case TOK_SPLIT_MERGED_WITH_NEXT:
        /* the mirror image: walk from the end, a match joins the segment after it */
        for (size_t i = v->n; i-- > 0;) {
            seg sg = v->items[i];
            if (sg.match && !prev && k > 0)
                v->items[v->n - k].a = sg.a;
            else
                v->items[v->n - ++k] = sg;
            prev = sg.match;
        }
        memmove(v->items, v->items + (v->n - k), k * sizeof *v->items);
        break;
    case TOK_SPLIT_CONTIGUOUS:
        for (size_t i = 0; i < v->n; i++) {
            seg sg = v->items[i];
            if (k > 0 && sg.match == prev)
                v->items[k - 1].b = sg.b;
            else
                v->items[k++] = sg;
            prev = sg.match;
        }
        break;
    }
    for (size_t i = 0; i < k; i++) {
        if (v->items[i].b <= v->items[i].a)
            continue;
        tok_text *piece = ats_tok_pieces_add(out, err);
        if (!piece)
            return ATS_ERR_NOMEM;
        ats_status st =
            ats_tok_text_append_from(piece, src, v->items[i].a, v->items[i].b - v->items[i].a, err);
        if (st != ATS_OK)
            return st;
    }
    return ATS_OK;
}

typedef bool (*char_pred)(int32_t cp);

static bool is_numeric(int32_t cp) {
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

/* Every character satisfying pred is one match. */
static ats_status split_chars(const tok_text *src, char_pred pred, tok_split_behavior behavior,
                              tok_pieces *out, ats_error *err) {
    tok_ranges m = {0};
    segs v = {0};
    ats_status st = ATS_OK;
    for (size_t i = 0; i < src->len && st == ATS_OK;) {
        int32_t cp;
        size_t k = ats_tok_utf8_decode(src->b + i, src->len - i, &cp);
        if (pred(cp))
            st = ats_tok_ranges_push(&m, i, i + k, err);
        i += k;
    }
    if (st == ATS_OK)
        st = segs_from_matches(&m, src->len, false, &v, err);
    if (st == ATS_OK)
        st = emit_split(src, &v, behavior, out, err);
    ats_tok_ranges_free(&m);
    free(v.items);
    return st;
}

static ats_status split_regex(const tok_text *src, const pcre2_code *re,
                              tok_split_behavior behavior, bool invert, tok_pieces *out,
                              ats_error *err) {
    tok_ranges m = {0};
    segs v = {0};
    ats_status st = ats_tok_regex_find(re, src->b, src->len, &m, err);
    if (st == ATS_OK)
        st = segs_from_matches(&m, src->len, invert, &v, err);
    if (st == ATS_OK)
        st = emit_split(src, &v, behavior, out, err);
    ats_tok_ranges_free(&m);
    free(v.items);
    return st;
}

static ats_status split_literal(const tok_text *src, const char *pat, size_t pat_len,
                                tok_split_behavior behavior, bool invert, tok_pieces *out,
                                ats_error *err) {
    tok_ranges m = {0};
    segs v = {0};
    ats_status st = ATS_OK;
    for (size_t i = 0; pat_len && i + pat_len <= src->len && st == ATS_OK;) {
        if (memcmp(src->b + i, pat, pat_len) == 0) {
            st = ats_tok_ranges_push(&m, i, i + pat_len, err);
            i += pat_len;
        } else {
            i++;
        }
    }
    if (st == ATS_OK)
        st = segs_from_matches(&m, src->len, invert, &v, err);
    if (st == ATS_OK)
        st = emit_split(src, &v, behavior, out, err);
    ats_tok_ranges_free(&m);
    free(v.items);
    return st;
}

/* ---- the pre-tokenizers ---------------------------------------------------------------------- */

static bool is_space_pred(int32_t cp) {
    return ats_tok_is_whitespace(cp);
}

/* GPT-2's ByteLevel: a space in front unless there is one, then the GPT-2 regex. */
static ats_status bytelevel(const tok_pre *p, const tok_text *src, tok_pieces *out,
                            ats_error *err) {
    tok_text with_space = {0};
    const tok_text *cur = src;
    ats_status st = ATS_OK;
    if (p->add_prefix_space && src->len > 0 && src->b[0] != ' ') {
        st = ats_tok_text_append(&with_space, " ", 1, src->s[0], src->s[0], err);
        if (st == ATS_OK)
            st = ats_tok_text_append_from(&with_space, src, 0, src->len, err);
        cur = &with_space;
    }
    if (st == ATS_OK) {
        if (p->re) {
            st = split_regex(cur, p->re, TOK_SPLIT_ISOLATED, false, out, err);
        } else if (cur->len > 0) {
            tok_text *piece = ats_tok_pieces_add(out, err);
            st = piece ? ats_tok_text_append_from(piece, cur, 0, cur->len, err) : ATS_ERR_NOMEM;
        }
    }
    ats_tok_text_free(&with_space);
    return st;
}

/* SentencePiece's Metaspace: spaces become the replacement ("▁"), which is also put in front
 * (always, or only at the very start of the input), and each piece then starts at one. */
static ats_status metaspace(const tok_pre *p, const tok_text *src, tok_pieces *out,
                            ats_error *err) {
    tok_text t = {0};
    ats_status st = ATS_OK;
    bool starts = src->len >= p->str_len && memcmp(src->b, p->str, p->str_len) == 0;
    bool add =
        src->len > 0 && !starts &&
        (p->prepend == TOK_PREPEND_ALWAYS || (p->prepend == TOK_PREPEND_FIRST && src->s[0] == 0));
    /* a leading space becomes the replacement anyway, so "starts" is judged after replacing */
    if (src->len > 0 && src->b[0] == ' ')
        add = false;
    if (add)
        st = ats_tok_text_append(&t, p->str, p->str_len, src->s[0], src->s[0], err);
    for (size_t i = 0; i < src->len && st == ATS_OK; i++) {
        if (src->b[i] == ' ')
            st = ats_tok_text_append(&t, p->str, p->str_len, src->s[i], src->e[i], err);
        else
            st = ats_tok_text_append_from(&t, src, i, 1, err);
    }
    if (st == ATS_OK) {
        if (p->split) {
            st = split_literal(&t, p->str, p->str_len, TOK_SPLIT_MERGED_WITH_NEXT, false, out, err);
        } else if (t.len > 0) {
            tok_text *piece = ats_tok_pieces_add(out, err);
            st = piece ? ats_tok_text_append_from(piece, &t, 0, t.len, err) : ATS_ERR_NOMEM;
        }
    }
    ats_tok_text_free(&t);
    return st;
}

ats_status ats_tok_pretokenize(const tok_pre *p, tok_pieces *in, tok_pieces *out, ats_error *err) {
    ats_tok_pieces_clear(out);
    tok_pieces tmp = {0};
    ats_status st = ATS_OK;
    for (size_t i = 0; i < in->n && st == ATS_OK; i++) {
        const tok_text *src = &in->items[i];
        switch (p->kind) {
        case TOK_PRE_SPLIT:
            st = p->re ? split_regex(src, p->re, p->behavior, p->invert, out, err)
                       : split_literal(src, p->str, p->str_len, p->behavior, p->invert, out, err);
            break;
        case TOK_PRE_BYTELEVEL:
            st = bytelevel(p, src, out, err);
            break;
        case TOK_PRE_BERT:
            /* whitespace removed, then each punctuation character on its own */
            ats_tok_pieces_clear(&tmp);
            st = split_chars(src, is_space_pred, TOK_SPLIT_REMOVED, &tmp, err);
            for (size_t j = 0; j < tmp.n && st == ATS_OK; j++)
                st =
                    split_chars(&tmp.items[j], ats_tok_is_bert_punct, TOK_SPLIT_ISOLATED, out, err);
            break;
        case TOK_PRE_WHITESPACE_SPLIT:
            st = split_chars(src, is_space_pred, TOK_SPLIT_REMOVED, out, err);
            break;
        case TOK_PRE_METASPACE:
            st = metaspace(p, src, out, err);
            break;
        case TOK_PRE_DIGITS:
            st = split_chars(src, is_numeric,
                             p->individual_digits ? TOK_SPLIT_ISOLATED : TOK_SPLIT_CONTIGUOUS, out,
                             err);
            break;
        case TOK_PRE_PUNCTUATION:
            st = split_chars(src, ats_tok_is_bert_punct, p->behavior, out, err);
            break;
        }
    }
    ats_tok_pieces_free(&tmp);
    return st;
}
