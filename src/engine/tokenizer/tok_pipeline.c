/* The pipeline every subword tokenizer runs (see tok_internal.h): added tokens matched in the
 * raw text, then per fragment normalizers, pre-tokenizers and the model, then the
 * post-processor's special tokens. Also the vocabulary and the readable pieces. */
#include "base.h"
#include "tok_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- vocabulary ---------------------------------------------------------------------------- */

ats_status ats_tok_vocab_init(tok_vocab *v, int32_t n, bool with_scores, ats_error *err) {
    *v = (tok_vocab){0};
    for (int b = 0; b < 256; b++)
        v->byte_id[b] = -1;
    if (n <= 0)
        return ats_fail(err, ATS_ERR_FORMAT, "the vocabulary is empty");
    size_t count = (size_t)n;
    v->n = n;
    v->off = calloc(count, sizeof *v->off);
    v->len = calloc(count, sizeof *v->len);
    v->doff = calloc(count, sizeof *v->doff);
    v->dlen = calloc(count, sizeof *v->dlen);
    v->flags = malloc(count);
    v->byte_of = calloc(count, 1);
    v->score = with_scores ? calloc(count, sizeof *v->score) : NULL;
    if (!v->off || !v->len || !v->doff || !v->dlen || !v->flags || !v->byte_of ||
        (with_scores && !v->score))
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a vocabulary of %d tokens", n);
    memset(v->flags, TOK_FLAG_NOLOOKUP, count); /* ids never set are holes */
    return ats_tok_buf_append(&v->arena, "", 0, err);
}

ats_status ats_tok_vocab_set(tok_vocab *v, int32_t id, const char *text, size_t len,
                             ats_error *err) {
    ATS_ASSERT(!v->map.slots); /* the map borrows arena pointers: no growth after it is built */
    ATS_ASSERT(id >= 0 && id < v->n);
    if (len > UINT32_MAX / 2 || v->arena.n + len > UINT32_MAX / 2)
        return ats_fail(err, ATS_ERR_FORMAT, "token %d is implausibly long", id);
    v->off[id] = v->doff[id] = (uint32_t)v->arena.n;
    v->len[id] = v->dlen[id] = (uint32_t)len;
    v->flags[id] &= (uint8_t)~TOK_FLAG_NOLOOKUP;
    return ats_tok_buf_append(&v->arena, text, len, err);
}

ats_status ats_tok_vocab_set_display(tok_vocab *v, int32_t id, const char *text, size_t len,
                                     ats_error *err) {
    ATS_ASSERT(!v->map.slots);
    v->doff[id] = (uint32_t)v->arena.n;
    v->dlen[id] = (uint32_t)len;
    return ats_tok_buf_append(&v->arena, text, len, err);
}

ats_status ats_tok_vocab_build_map(tok_vocab *v, bool first_wins, ats_error *err) {
    ats_status st = ats_tok_strmap_init(&v->map, (size_t)v->n, err);
    for (int32_t id = 0; id < v->n && st == ATS_OK; id++) {
        if (v->flags[id] & TOK_FLAG_NOLOOKUP)
            continue;
        int32_t old;
        if (first_wins && ats_tok_strmap_get(&v->map, tok_vocab_text(v, id), v->len[id], &old))
            continue;
        st = ats_tok_strmap_put(&v->map, tok_vocab_text(v, id), v->len[id], id, err);
    }
    return st;
}

void ats_tok_vocab_free(tok_vocab *v) {
    ats_tok_strmap_free(&v->map);
    ats_tok_buf_free(&v->arena);
    free(v->off);
    free(v->len);
    free(v->doff);
    free(v->dlen);
    free(v->flags);
    free(v->byte_of);
    free(v->score);
    *v = (tok_vocab){0};
}

/* ---- building a pipeline ------------------------------------------------------------------- */

static ats_status pipeline_encode(const ats_tokenizer *tok, const char *text, size_t len,
                                  bool add_special, ats_tokens *out, ats_error *err);

static ats_status pipeline_push_id(const ats_tokenizer *tok, int32_t id, int32_t at,
                                   ats_tokens *out, ats_error *err);

static const ats_tokenizer_vtable pipeline_vtable = {
    .encode = pipeline_encode, .destroy = ats_tok_pipeline_free, .push_id = pipeline_push_id};

tok_pipeline *ats_tok_pipeline_new(const char *source, ats_error *err) {
    tok_pipeline *t = calloc(1, sizeof *t);
    if (!t) {
        ats_fail(err, ATS_ERR_NOMEM, "out of memory for a tokenizer");
        return NULL;
    }
    t->base.vt = &pipeline_vtable;
    snprintf(t->source, sizeof t->source, "%s", source);
    t->model.unk_id = -1;
    t->model.max_chars = 100;
    for (int b = 0; b < 256; b++)
        t->vocab.byte_id[b] = -1;
    return t;
}

void ats_tok_pipeline_free(ats_tokenizer *tok) {
    tok_pipeline *t = (tok_pipeline *)tok;
    if (!t)
        return;
    ats_tok_vocab_free(&t->vocab);
    for (size_t i = 0; i < t->n_added; i++)
        free(t->added[i].text);
    free(t->added);
    for (size_t i = 0; i < t->n_norms; i++) {
        free(t->norms[i].str);
        free(t->norms[i].str_pat);
        pcre2_code_free(t->norms[i].re);
        ats_tok_charsmap_free(&t->norms[i].charsmap);
        free(t->norms[i].user_ids);
    }
    free(t->norms);
    for (size_t i = 0; i < t->n_pres; i++) {
        free(t->pres[i].str);
        pcre2_code_free(t->pres[i].re);
    }
    free(t->pres);
    ats_tok_pairmap_free(&t->model.merges);
    free(t->model.score64);
    free(t);
}

tok_norm *ats_tok_pipeline_add_norm(tok_pipeline *t, tok_norm_kind kind, ats_error *err) {
    tok_norm *norms = realloc(t->norms, (t->n_norms + 1) * sizeof *norms);
    if (!norms) {
        ats_fail(err, ATS_ERR_NOMEM, "out of memory for a normalizer");
        return NULL;
    }
    t->norms = norms;
    tok_norm *n = &norms[t->n_norms++];
    *n = (tok_norm){.kind = kind};
    return n;
}

tok_pre *ats_tok_pipeline_add_pre(tok_pipeline *t, tok_pre_kind kind, ats_error *err) {
    tok_pre *pres = realloc(t->pres, (t->n_pres + 1) * sizeof *pres);
    if (!pres) {
        ats_fail(err, ATS_ERR_NOMEM, "out of memory for a pre-tokenizer");
        return NULL;
    }
    t->pres = pres;
    tok_pre *p = &pres[t->n_pres++];
    *p = (tok_pre){.kind = kind, .behavior = TOK_SPLIT_ISOLATED};
    return p;
}

ats_status ats_tok_pipeline_add_added(tok_pipeline *t, int32_t id, const char *text, size_t len,
                                      bool special, ats_error *err) {
    if (len == 0)
        return ATS_OK; /* an empty added token can never match */
    tok_added *added = realloc(t->added, (t->n_added + 1) * sizeof *added);
    if (!added)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for added tokens");
    t->added = added;
    char *copy = malloc(len);
    if (!copy)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for added tokens");
    memcpy(copy, text, len);
    added[t->n_added++] = (tok_added){.id = id, .text = copy, .len = len, .special = special};
    t->added_first[(unsigned char)text[0]] = true;
    return ATS_OK;
}

/* GPT-2's pattern: contractions, letters, digits, other symbols, each with an optional space in
 * front, then runs of whitespace (the last space of a run goes with the next word). */
static const char gpt2_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

ats_status ats_tok_pipeline_add_bytelevel(tok_pipeline *t, bool add_prefix_space, bool use_regex,
                                          ats_error *err) {
    tok_pre *p = ats_tok_pipeline_add_pre(t, TOK_PRE_BYTELEVEL, err);
    if (!p)
        return ATS_ERR_NOMEM;
    p->add_prefix_space = add_prefix_space;
    if (!use_regex)
        return ATS_OK;
    return ats_tok_regex_compile(gpt2_pattern, strlen(gpt2_pattern), t->source, &p->re, err);
}

ats_status ats_tok_pipeline_add_regex_split(tok_pipeline *t, const char *pattern,
                                            tok_split_behavior behavior, bool invert,
                                            ats_error *err) {
    tok_pre *p = ats_tok_pipeline_add_pre(t, TOK_PRE_SPLIT, err);
    if (!p)
        return ATS_ERR_NOMEM;
    p->behavior = behavior;
    p->invert = invert;
    return ats_tok_regex_compile(pattern, strlen(pattern), t->source, &p->re, err);
}

ats_status ats_tok_spans_push(tok_spans *s, int32_t id, int32_t a, int32_t b, ats_error *err) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        tok_span *items = realloc(s->items, cap * sizeof *items);
        if (!items)
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %zu tokens", cap);
        s->items = items;
        s->cap = cap;
    }
    s->items[s->n++] = (tok_span){id, a, b};
    return ATS_OK;
}

/* ---- readable pieces ---------------------------------------------------------------------- */

ats_status ats_tok_render_piece(const tok_pipeline *t, int32_t id, tok_buf *out, ats_error *err) {
    const tok_vocab *v = &t->vocab;
    if (id < 0 || id >= v->n)
        return ATS_OK;
    const char *text = v->arena.p + v->doff[id];
    size_t len = v->dlen[id];
    if (v->flags[id] & TOK_FLAG_SPECIAL)
        return ats_tok_buf_append(out, text, len, err);
    switch (t->display) {
    case TOK_DISPLAY_BYTES:
        return ats_tok_render_bytes(out, text, len, err);
    case TOK_DISPLAY_SPM: {
        if (v->flags[id] & TOK_FLAG_BYTE) {
            char byte = (char)v->byte_of[id];
            return ats_tok_render_bytes(out, &byte, 1, err);
        }
        ats_status st = ATS_OK;
        size_t at = 0;
        for (size_t i = 0; i + 3 <= len && st == ATS_OK;) {
            if (memcmp(text + i, "\xE2\x96\x81", 3) == 0) { /* ▁ U+2581 */
                if ((st = ats_tok_render_bytes(out, text + at, i - at, err)) == ATS_OK)
                    st = ats_tok_buf_append(out, " ", 1, err);
                i += 3;
                at = i;
            } else {
                i++;
            }
        }
        return st == ATS_OK ? ats_tok_render_bytes(out, text + at, len - at, err) : st;
    }
    case TOK_DISPLAY_TEXT:
        break;
    }
    return ats_tok_buf_append(out, text, len, err);
}

/* ---- encoding ------------------------------------------------------------------------------ */

/* Scratch buffers of one encode call (the tokenizer itself stays immutable). */
typedef struct enc {
    tok_text a, b;
    tok_pieces p, q;
    tok_spans spans;
    tok_buf piece;
} enc;

static void enc_free(enc *e) {
    ats_tok_text_free(&e->a);
    ats_tok_text_free(&e->b);
    ats_tok_pieces_free(&e->p);
    ats_tok_pieces_free(&e->q);
    free(e->spans.items);
    ats_tok_buf_free(&e->piece);
}

static ats_status push_token(const tok_pipeline *t, enc *e, int32_t id, int32_t start, int32_t end,
                             bool special, ats_tokens *out, ats_error *err) {
    e->piece.n = 0;
    ats_status st = ats_tok_render_piece(t, id, &e->piece, err);
    if (st != ATS_OK)
        return st;
    return ats_tokens_push(out, id, start, end, special, e->piece.n ? e->piece.p : "", e->piece.n,
                           err);
}

/* Input span of piece bytes [a, b): the smallest span covering them, ignoring inserted bytes
 * unless the token holds nothing else. */
static void piece_span(const tok_text *piece, int32_t a, int32_t b, int32_t *start, int32_t *end) {
    int32_t s = INT32_MAX, en = -1;
    for (int32_t i = a; i < b; i++) {
        if (piece->s[i] == piece->e[i])
            continue;
        if (piece->s[i] < s)
            s = piece->s[i];
        if (piece->e[i] > en)
            en = piece->e[i];
    }
    if (en < 0) /* only inserted characters (a lone "▁" put in front): empty span there */
        s = en = a < (int32_t)piece->len ? piece->s[a] : 0;
    *start = s;
    *end = en;
}

/* Normalizes, pre-tokenizes and encodes input bytes [from, to). */
static ats_status encode_fragment(const tok_pipeline *t, enc *e, const char *text, size_t from,
                                  size_t to, ats_tokens *out, ats_error *err) {
    ats_status st = ats_tok_text_from_input(&e->a, text, from, to, err);
    tok_text *cur = &e->a, *other = &e->b;
    for (size_t i = 0; i < t->n_norms && st == ATS_OK; i++) {
        st = ats_tok_normalize(&t->norms[i], cur, other, err);
        tok_text *swap = cur;
        cur = other;
        other = swap;
    }
    if (st != ATS_OK)
        return st;
    tok_pieces *pieces = &e->p, *next = &e->q;
    ats_tok_pieces_clear(pieces);
    if (cur->len > 0) {
        tok_text *first = ats_tok_pieces_add(pieces, err);
        if (!first)
            return ATS_ERR_NOMEM;
        if ((st = ats_tok_text_append_from(first, cur, 0, cur->len, err)) != ATS_OK)
            return st;
    }
    for (size_t i = 0; i < t->n_pres && st == ATS_OK; i++) {
        st = ats_tok_pretokenize(&t->pres[i], pieces, next, err);
        tok_pieces *swap = pieces;
        pieces = next;
        next = swap;
    }
    for (size_t i = 0; i < pieces->n && st == ATS_OK; i++) {
        const tok_text *piece = &pieces->items[i];
        e->spans.n = 0;
        switch (t->model.kind) {
        case TOK_MODEL_BPE:
            st = ats_tok_bpe_encode(t, piece->b, piece->len, &e->spans, err);
            break;
        case TOK_MODEL_SPM:
            st = ats_tok_spm_encode(t, piece->b, piece->len, &e->spans, err);
            break;
        case TOK_MODEL_WORDPIECE:
            st = ats_tok_wordpiece_encode(t, piece->b, piece->len, &e->spans, err);
            break;
        case TOK_MODEL_UNIGRAM:
            st = ats_tok_unigram_encode(t, piece->b, piece->len, &e->spans, err);
            break;
        }
        for (size_t j = 0; j < e->spans.n && st == ATS_OK; j++) {
            const tok_span *sp = &e->spans.items[j];
            int32_t start, end;
            piece_span(piece, sp->a, sp->b, &start, &end);
            /* text the model turned into a token is not special, even an [UNK] */
            st = push_token(t, e, sp->id, start, end, false, out, err);
        }
    }
    return st;
}

static bool is_word_char(const char *text, size_t len, size_t at) {
    int32_t cp;
    ats_tok_utf8_decode(text + at, len - at, &cp);
    if (cp == '_')
        return true;
    utf8proc_category_t c = utf8proc_category(cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

/* Start of the character that ends right before byte p (p > 0). */
static size_t char_before(const char *text, size_t p) {
    size_t q = p - 1;
    while (q > 0 && ((unsigned char)text[q] & 0xC0) == 0x80)
        q--;
    return q;
}

/* The leftmost, then longest, added token at or after `from`: its index, the matched bytes
 * [*ms, *me) and the span [*ss, *se) that also covers whitespace taken by lstrip / rstrip. */
static bool find_added(const tok_pipeline *t, const char *text, size_t len, size_t from,
                       size_t *index, size_t *ss, size_t *se) {
    for (size_t p = from; p < len; p++) {
        if (!t->added_first[(unsigned char)text[p]])
            continue;
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < t->n_added; i++) {
            const tok_added *a = &t->added[i];
            if (a->len > len - p || a->text[0] != text[p] || memcmp(a->text, text + p, a->len))
                continue;
            if (best != SIZE_MAX && t->added[best].len >= a->len)
                continue;
            if (a->single_word && ((p > 0 && is_word_char(text, len, char_before(text, p))) ||
                                   (p + a->len < len && is_word_char(text, len, p + a->len))))
                continue;
            best = i;
        }
        if (best == SIZE_MAX)
            continue;
        const tok_added *a = &t->added[best];
        size_t s = p, e = p + a->len;
        while (a->lstrip && s > from) { /* whitespace before it belongs to the token */
            size_t q = s - 1;
            while (q > from && ((unsigned char)text[q] & 0xC0) == 0x80)
                q--;
            int32_t cp;
            ats_tok_utf8_decode(text + q, s - q, &cp);
            if (!ats_tok_is_whitespace(cp))
                break;
            s = q;
        }
        while (a->rstrip && e < len) {
            int32_t cp;
            size_t k = ats_tok_utf8_decode(text + e, len - e, &cp);
            if (!ats_tok_is_whitespace(cp))
                break;
            e += k;
        }
        *index = best;
        *ss = s;
        *se = e;
        return true;
    }
    return false;
}

static ats_status pipeline_encode(const ats_tokenizer *tok, const char *text, size_t len,
                                  bool add_special, ats_tokens *out, ats_error *err) {
    const tok_pipeline *t = (const tok_pipeline *)tok;
    if (len > INT32_MAX / 2)
        return ats_fail(err, ATS_ERR_ARG, "text of %zu bytes is too long to tokenize", len);
    enc e = {0};
    ats_status st = ATS_OK;
    for (int i = 0; add_special && i < t->n_prefix && st == ATS_OK; i++)
        st = push_token(t, &e, t->prefix[i], 0, 0, true, out, err);
    size_t at = 0;
    while (at < len && st == ATS_OK) {
        size_t index = 0, ms = 0, me = 0;
        bool found = t->n_added > 0 && find_added(t, text, len, at, &index, &ms, &me);
        if (!found)
            ms = me = len;
        if (ms > at)
            st = encode_fragment(t, &e, text, at, ms, out, err);
        if (found && st == ATS_OK)
            st = ats_tokens_push(out, t->added[index].id, (int32_t)ms, (int32_t)me,
                                 t->added[index].special, t->added[index].text, t->added[index].len,
                                 err);
        at = me;
    }
    for (int i = 0; add_special && i < t->n_suffix && st == ATS_OK; i++)
        st = push_token(t, &e, t->suffix[i], (int32_t)len, (int32_t)len, true, out, err);
    enc_free(&e);
    return st;
}

static ats_status pipeline_push_id(const ats_tokenizer *tok, int32_t id, int32_t at,
                                   ats_tokens *out, ats_error *err) {
    const tok_pipeline *t = (const tok_pipeline *)tok;
    bool special = id >= 0 && id < t->vocab.n && (t->vocab.flags[id] & TOK_FLAG_SPECIAL);
    tok_buf piece = {0};
    ats_status st = ats_tok_render_piece(t, id, &piece, err);
    if (st == ATS_OK)
        st = ats_tokens_push(out, id, at, at, special, piece.n ? piece.p : "", piece.n, err);
    ats_tok_buf_free(&piece);
    return st;
}
