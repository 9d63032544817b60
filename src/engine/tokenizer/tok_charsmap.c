/* SentencePiece's precompiled character map and the two normalizers built on it.
 *
 * The map (NormalizerSpec.precompiled_charsmap, e.g. "nmt_nfkc") is a darts-clone double-array
 * trie over UTF-8 byte strings whose values are offsets of NUL-terminated replacement strings
 * stored after it. The trie is an array of 32-bit units; from node position p, byte c leads to
 * p' = p ^ offset(unit[p]) ^ c when label(unit[p']) == c, and a key ends at p' when unit[p']
 * has a leaf, whose value sits in unit[p' ^ offset(unit[p'])]. Every position is checked
 * against the array's length before it is read.
 *
 *   TOK_NORM_SPM          sentencepiece's Normalizer::Normalize: at each position the longest
 *                         rule (or a user-defined piece kept whole, or one character as is),
 *                         leading and trailing spaces dropped, runs of spaces kept as one, spaces
 *                         written as "▁", a dummy "▁" in front.
 *   TOK_NORM_PRECOMPILED  Hugging Face's Precompiled normalizer (tokenizer.json): per grapheme
 *                         cluster shorter than 6 bytes the shortest rule matching its start
 *                         replaces the whole cluster, otherwise each character alone.
 *
 * Spans: a rewritten chunk gives each output byte the whole chunk's input span; bytes copied as
 * they are keep their own; the dummy "▁" has an empty span where it was inserted. */
#include "base.h"
#include "mapped_file.h"
#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static const char SPACE_MARK[] = "\xE2\x96\x81"; /* ▁ U+2581 */

/* ---- the map -------------------------------------------------------------------------------- */

ats_status ats_tok_charsmap_parse(const uint8_t *blob, size_t len, const char *source,
                                  tok_charsmap *out, ats_error *err) {
    *out = (tok_charsmap){0};
    if (len == 0)
        return ATS_OK;
    ats_reader r = ats_reader_make(blob, len);
    uint32_t trie_bytes;
    const uint8_t *trie;
    if (!ats_reader_u32(&r, &trie_bytes) || trie_bytes % 4 != 0 ||
        !ats_reader_bytes(&r, trie_bytes, &trie))
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: the normalizer's character map is broken (trie of %u bytes in a map "
                        "of %zu)",
                        source, trie_bytes, len);
    size_t n_strings = len - r.pos;
    long bad = ats_utf8_first_invalid((const char *)blob + r.pos, n_strings);
    if (bad >= 0)
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: the normalizer's replacement strings are not valid UTF-8 (at byte "
                        "%ld of them)",
                        source, bad);
    out->n_units = trie_bytes / 4;
    out->units = malloc(out->n_units ? out->n_units * sizeof *out->units : 1);
    out->strings = malloc(n_strings ? n_strings : 1);
    if (!out->units || !out->strings) {
        ats_tok_charsmap_free(out);
        return ats_fail(err, ATS_ERR_NOMEM, "%s: out of memory for the character map", source);
    }
    ats_reader units = ats_reader_make(trie, trie_bytes);
    for (size_t i = 0; i < out->n_units; i++)
        ats_reader_u32(&units, &out->units[i]); /* little-endian on any host */
    memcpy(out->strings, blob + r.pos, n_strings);
    out->n_strings = n_strings;
    return ATS_OK;
}

void ats_tok_charsmap_free(tok_charsmap *m) {
    free(m->units);
    free(m->strings);
    *m = (tok_charsmap){0};
}

static inline bool unit_has_leaf(uint32_t u) {
    return (u >> 8) & 1u;
}
static inline uint32_t unit_value(uint32_t u) {
    return u & 0x7FFFFFFFu;
}
static inline uint32_t unit_label(uint32_t u) {
    return u & (0x80000000u | 0xFFu);
}
static inline size_t unit_offset(uint32_t u) {
    return (size_t)((u >> 10) << ((u & (1u << 9)) >> 6));
}

/* The value and length of the longest key (with `shortest`, the shortest) that is a prefix of
 * key[0, n); false when there is none. */
static bool trie_prefix(const tok_charsmap *m, const char *key, size_t n, bool shortest,
                        uint32_t *value, size_t *length) {
    if (m->n_units == 0)
        return false;
    bool found = false;
    size_t pos = unit_offset(m->units[0]);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        pos ^= c;
        if (pos >= m->n_units)
            break;
        uint32_t u = m->units[pos];
        if (unit_label(u) != c)
            break;
        pos ^= unit_offset(u);
        if (!unit_has_leaf(u))
            continue;
        if (pos >= m->n_units)
            break;
        *value = unit_value(m->units[pos]);
        *length = i + 1;
        found = true;
        if (shortest)
            break;
    }
    return found;
}

/* The replacement string a trie value points at: up to its NUL, or to the end of the strings. */
static ats_status rule_text(const tok_norm *nm, uint32_t value, const char **rep, size_t *rep_len,
                            ats_error *err) {
    const tok_charsmap *m = &nm->charsmap;
    if (value > m->n_strings)
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: the normalizer's character map points past its strings (offset %u "
                        "of %zu)",
                        nm->source, value, m->n_strings);
    const char *s = m->strings + value;
    const char *nul = memchr(s, '\0', m->n_strings - value);
    *rep = s;
    *rep_len = nul ? (size_t)(nul - s) : m->n_strings - value;
    return ATS_OK;
}

/* Appends rep (rep_len bytes) standing for input bytes [i, i + k) with their joint span. */
static ats_status emit_rule(const tok_text *in, size_t i, size_t k, const char *rep, size_t rep_len,
                            tok_text *out, ats_error *err) {
    return ats_tok_text_append(out, rep, rep_len, in->s[i], in->e[i + k - 1], err);
}

/* ---- sentencepiece's normalizer ---------------------------------------------------------- */

/* One step of sentencepiece's NormalizePrefix at in->b[i]: a user-defined piece kept whole, else
 * the longest rule, else one character as it is. `same` is true when the result is the input
 * bytes themselves (rep points into in->b). */
typedef struct spm_chunk {
    const char *rep;
    size_t rep_len, consumed;
    bool same;
} spm_chunk;

static ats_status spm_prefix(const tok_norm *nm, const tok_text *in, size_t i, spm_chunk *ch,
                             ats_error *err) {
    const char *p = in->b + i;
    size_t n = in->len - i, best = 0;
    for (size_t u = 0; u < nm->n_user; u++) {
        int32_t id = nm->user_ids[u];
        size_t len = nm->vocab->len[id];
        if (len > best && len <= n && memcmp(tok_vocab_text(nm->vocab, id), p, len) == 0)
            best = len;
    }
    uint32_t value;
    size_t length;
    if (best == 0 && trie_prefix(&nm->charsmap, p, n, false, &value, &length)) {
        ch->consumed = length;
        ch->same = false;
        return rule_text(nm, value, &ch->rep, &ch->rep_len, err);
    }
    if (best == 0) {
        best = ats_tok_utf8_len((unsigned char)*p);
        best = best < n ? best : n;
    }
    *ch = (spm_chunk){.rep = p, .rep_len = best, .consumed = best, .same = true};
    return ATS_OK;
}

/* Appends the chunk at input bytes [i, i + ch->consumed) from byte `from` of its text on, spaces
 * written as "▁" when escaping. */
static ats_status spm_emit(const tok_norm *nm, const tok_text *in, size_t i, const spm_chunk *ch,
                           size_t from, tok_text *out, ats_error *err) {
    ats_status st = ATS_OK;
    int32_t s = in->s[i], e = in->e[i + ch->consumed - 1];
    for (size_t j = from; j < ch->rep_len && st == ATS_OK; j++) {
        int32_t bs = ch->same ? in->s[i + j] : s, be = ch->same ? in->e[i + j] : e;
        if (nm->escape_ws && ch->rep[j] == ' ')
            st = ats_tok_text_append(out, SPACE_MARK, 3, bs, be, err);
        else
            st = ats_tok_text_append(out, ch->rep + j, 1, bs, be, err);
    }
    return st;
}

static ats_status spm_space(const tok_norm *nm, tok_text *out, int32_t at, ats_error *err) {
    return nm->escape_ws ? ats_tok_text_append(out, SPACE_MARK, 3, at, at, err)
                         : ats_tok_text_append(out, " ", 1, at, at, err);
}

static ats_status spm_normalize(const tok_norm *nm, const tok_text *in, tok_text *out,
                                ats_error *err) {
    size_t i = 0, n = in->len;
    spm_chunk ch;
    ats_status st = ATS_OK;
    while (nm->remove_extra_ws && i < n) { /* leading spaces go */
        if ((st = spm_prefix(nm, in, i, &ch, err)) != ATS_OK)
            return st;
        if (ch.rep_len != 1 || ch.rep[0] != ' ')
            break;
        i += ch.consumed;
    }
    if (i >= n)
        return ATS_OK;
    if (nm->dummy_prefix && !nm->ws_suffix && (st = spm_space(nm, out, in->s[i], err)) != ATS_OK)
        return st;
    bool prev_space = nm->remove_extra_ws;
    while (i < n && st == ATS_OK) {
        if ((st = spm_prefix(nm, in, i, &ch, err)) != ATS_OK)
            return st;
        size_t from = 0; /* after a space, the chunk's own leading spaces go */
        while (prev_space && from < ch.rep_len && ch.rep[from] == ' ')
            from++;
        if (from < ch.rep_len) {
            st = spm_emit(nm, in, i, &ch, from, out, err);
            prev_space = ch.rep[ch.rep_len - 1] == ' ';
        }
        i += ch.consumed;
        if (!nm->remove_extra_ws)
            prev_space = false;
    }
    if (st == ATS_OK && nm->remove_extra_ws) { /* trailing spaces go */
        const char *sp = nm->escape_ws ? SPACE_MARK : " ";
        size_t k = nm->escape_ws ? 3 : 1;
        while (out->len >= k && memcmp(out->b + out->len - k, sp, k) == 0)
            out->len -= k;
    }
    if (st == ATS_OK && nm->dummy_prefix && nm->ws_suffix)
        st = spm_space(nm, out, in->e[n - 1], err);
    return st;
}

/* ---- Hugging Face's Precompiled normalizer ------------------------------------------------- */

/* One grapheme cluster at input bytes [a, b). */
static ats_status precompiled_cluster(const tok_norm *nm, const tok_text *in, size_t a, size_t b,
                                      tok_text *out, ats_error *err) {
    uint32_t value;
    size_t length;
    const char *rep;
    size_t rep_len;
    ats_status st = ATS_OK;
    if (b - a < 6 && trie_prefix(&nm->charsmap, in->b + a, b - a, true, &value, &length)) {
        if ((st = rule_text(nm, value, &rep, &rep_len, err)) == ATS_OK)
            st = emit_rule(in, a, b - a, rep, rep_len, out, err);
        return st;
    }
    for (size_t i = a; i < b && st == ATS_OK;) {
        size_t k = ats_tok_utf8_len((unsigned char)in->b[i]);
        k = k < b - i ? k : b - i;
        if (trie_prefix(&nm->charsmap, in->b + i, k, true, &value, &length)) {
            if ((st = rule_text(nm, value, &rep, &rep_len, err)) == ATS_OK)
                st = emit_rule(in, i, k, rep, rep_len, out, err);
        } else {
            st = ats_tok_text_append_from(out, in, i, k, err);
        }
        i += k;
    }
    return st;
}

static ats_status precompiled_normalize(const tok_norm *nm, const tok_text *in, tok_text *out,
                                        ats_error *err) {
    size_t start = 0, n = in->len;
    utf8proc_int32_t state = 0, prev = 0;
    ats_status st = ATS_OK;
    for (size_t i = 0; i < n && st == ATS_OK;) {
        int32_t cp;
        size_t k = ats_tok_utf8_decode(in->b + i, n - i, &cp);
        if (i > start && utf8proc_grapheme_break_stateful(prev, cp, &state)) {
            st = precompiled_cluster(nm, in, start, i, out, err);
            start = i;
        }
        prev = cp;
        i += k;
    }
    if (st == ATS_OK && start < n)
        st = precompiled_cluster(nm, in, start, n, out, err);
    return st;
}

ats_status ats_tok_normalize_charsmap(const tok_norm *nm, const tok_text *in, tok_text *out,
                                      ats_error *err) {
    out->len = 0;
    return nm->kind == TOK_NORM_SPM ? spm_normalize(nm, in, out, err)
                                    : precompiled_normalize(nm, in, out, err);
}
