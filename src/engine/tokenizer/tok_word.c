/* The word tokenizer of builtin:demo: any word works, because a word's id is a hash of its
 * case-folded form rather than an index into a vocabulary. */
#include "base.h"
#include "tokenizer.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

typedef struct word_tokenizer {
    ats_tokenizer base;
} word_tokenizer;

typedef enum char_class { CHAR_SPACE, CHAR_WORD, CHAR_APOSTROPHE, CHAR_OTHER } char_class;

static char_class classify(utf8proc_int32_t cp) {
    if (cp == '\'' || cp == 0x2019) /* ' and the typographic apostrophe */
        return CHAR_APOSTROPHE;
    if (ats_utf8_is_word_char(cp))
        return CHAR_WORD;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
        return CHAR_SPACE;
    default:
        return CHAR_OTHER;
    }
}

/* Decodes the code point at text[pos]; the text is valid UTF-8. Returns its length. */
static size_t next_cp(const char *text, size_t len, size_t pos, utf8proc_int32_t *cp) {
    utf8proc_ssize_t n =
        utf8proc_iterate((const utf8proc_uint8_t *)text + pos, (utf8proc_ssize_t)(len - pos), cp);
    return n > 0 ? (size_t)n : 1;
}

int32_t ats_word_id(const char *word, size_t len) {
    /* NFKC + case fold, so "The", "the" and "ＴＨＥ" are one word. */
    utf8proc_uint8_t *folded = NULL;
    utf8proc_ssize_t n =
        utf8proc_map((const utf8proc_uint8_t *)word, (utf8proc_ssize_t)len, &folded,
                     UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
    const uint8_t *bytes = n >= 0 ? folded : (const uint8_t *)word;
    size_t count = n >= 0 ? (size_t)n : len;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < count; i++) {
        h ^= bytes[i];
        h *= 16777619u;
    }
    free(folded);
    return (int32_t)(h & 0x7fffffffu);
}

static ats_status word_encode(const ats_tokenizer *tok, const char *text, size_t len,
                              bool add_special, ats_tokens *out, ats_error *err) {
    (void)tok;
    (void)add_special; /* the demo model adds no special tokens */
    size_t pos = 0;
    while (pos < len) {
        utf8proc_int32_t cp;
        size_t n = next_cp(text, len, pos, &cp);
        char_class cls = classify(cp);
        if (cls == CHAR_SPACE) {
            pos += n;
            continue;
        }
        size_t start = pos, end = pos + n;
        if (cls == CHAR_WORD) {
            /* A word runs over word characters; an apostrophe joins two runs ("didn't"). */
            while (end < len) {
                size_t m = next_cp(text, len, end, &cp);
                char_class c = classify(cp);
                if (c == CHAR_WORD) {
                    end += m;
                } else if (c == CHAR_APOSTROPHE && end + m < len) {
                    utf8proc_int32_t after;
                    size_t k = next_cp(text, len, end + m, &after);
                    if (classify(after) != CHAR_WORD)
                        break;
                    end += m + k;
                } else {
                    break;
                }
            }
        } else {
            /* One punctuation or symbol character, with any combining marks that follow it. */
            while (end < len) {
                size_t m = next_cp(text, len, end, &cp);
                utf8proc_category_t cat = utf8proc_category(cp);
                if (cat != UTF8PROC_CATEGORY_MN && cat != UTF8PROC_CATEGORY_ME && cp != 0xFE0F &&
                    cp != 0x200D)
                    break;
                end += m;
            }
        }
        ats_status s = ats_tokens_push(out, ats_word_id(text + start, end - start), (int32_t)start,
                                       (int32_t)end, false, text + start, end - start, err);
        if (s != ATS_OK)
            return s;
        pos = end;
    }
    return ATS_OK;
}

static void word_destroy(ats_tokenizer *tok) {
    free(tok);
}

static const ats_tokenizer_vtable word_vtable = {.encode = word_encode, .destroy = word_destroy};

ats_status ats_word_tokenizer_new(ats_tokenizer **out, ats_error *err) {
    word_tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    t->base.vt = &word_vtable;
    strcpy(t->base.kind, "word");
    t->base.vocab_size = 0;
    *out = &t->base;
    return ATS_OK;
}
