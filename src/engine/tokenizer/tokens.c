#include "tokenizer.h"
#include "base.h"
#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>

struct ats_tokens {
    int n, cap;
    ats_token *items; /* (cap); items[i].piece is a separate heap string owned by the list */
};

ats_tokens *ats_tokens_new(void) {
    return calloc(1, sizeof(ats_tokens));
}

int ats_tokens_count(const ats_tokens *tokens) {
    return tokens ? tokens->n : 0;
}

const ats_token *ats_tokens_get(const ats_tokens *tokens, int index) {
    if (!tokens || index < 0 || index >= tokens->n)
        return NULL;
    return &tokens->items[index];
}

ats_status ats_tokens_push(ats_tokens *tokens, int32_t id, int32_t start, int32_t end, bool special,
                           const char *piece, size_t piece_len, ats_error *err) {
    if (tokens->n == tokens->cap) {
        int cap = tokens->cap ? tokens->cap * 2 : 64;
        ats_token *items = realloc(tokens->items, (size_t)cap * sizeof *items);
        if (!items)
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %d tokens", cap);
        tokens->items = items;
        tokens->cap = cap;
    }
    char *copy = malloc(piece_len + 1);
    if (!copy)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a token piece");
    memcpy(copy, piece, piece_len);
    copy[piece_len] = '\0';
    tokens->items[tokens->n++] =
        (ats_token){.id = id, .start = start, .end = end, .special = special, .piece = copy};
    return ATS_OK;
}

void ats_tokens_truncate(ats_tokens *tokens, int n) {
    if (!tokens || n < 0)
        return;
    while (tokens->n > n)
        free((char *)tokens->items[--tokens->n].piece);
}

ats_tokens *ats_tokens_copy(const ats_tokens *from, ats_error *err) {
    ats_tokens *to = ats_tokens_new();
    if (!to) {
        ats_fail(err, ATS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (int i = 0; i < ats_tokens_count(from); i++) {
        const ats_token *t = ats_tokens_get(from, i);
        if (ats_tokens_push(to, t->id, t->start, t->end, t->special, t->piece, strlen(t->piece),
                            err) != ATS_OK) {
            ats_tokens_free(to);
            return NULL;
        }
    }
    return to;
}

void ats_tokens_set_span(ats_tokens *tokens, int index, int32_t start, int32_t end) {
    ATS_ASSERT(index >= 0 && index < tokens->n);
    tokens->items[index].start = start;
    tokens->items[index].end = end;
}

ats_status ats_tokens_text(const ats_tokens *tokens, int from, int to, char **out, size_t *len,
                           ats_error *err) {
    *out = NULL;
    if (from < 0)
        from = 0;
    if (to > ats_tokens_count(tokens))
        to = ats_tokens_count(tokens);
    /* raw: the pieces with each "<0xE6>" as its byte; then rendered so that bytes which do not
     * form UTF-8 are written back as "<0xE6>" */
    tok_buf raw = {0}, text = {0};
    ats_status st = ATS_OK;
    for (int i = from; i < to && st == ATS_OK; i++) {
        const char *piece = tokens->items[i].piece;
        size_t n = strlen(piece);
        int byte = ats_tok_parse_byte_token(piece, n);
        unsigned char b = (unsigned char)byte;
        st = byte >= 0 ? ats_tok_buf_append(&raw, &b, 1, err)
                       : ats_tok_buf_append(&raw, piece, n, err);
    }
    if (st == ATS_OK)
        st = ats_tok_render_bytes(&text, raw.p ? raw.p : "", raw.n, err);
    if (st == ATS_OK)
        st = ats_tok_buf_append(&text, "", 1, err); /* the terminating NUL */
    ats_tok_buf_free(&raw);
    if (st != ATS_OK) {
        ats_tok_buf_free(&text);
        return st;
    }
    if (len)
        *len = text.n - 1;
    *out = text.p;
    return ATS_OK;
}

/* A WordPiece piece that a decoder writes without a space before it. */
static bool tight_punct(const char *piece) {
    return piece[0] && !piece[1] && strchr(".,!?", piece[0]);
}

ats_status ats_tokenizer_text(const ats_tokenizer *tok, const ats_tokens *tokens, int from, int to,
                              bool after_text, char **out, size_t *len, ats_error *err) {
    if (!tok || strcmp(tok->kind, "WordPiece") != 0)
        return ats_tokens_text(tokens, from, to, out, len, err);
    /* WordPiece: words apart, "##" continuations joined to the word before */
    ats_tokens *words = ats_tokens_new();
    ats_status st = words ? ATS_OK : ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    if (from < 0)
        from = 0;
    for (int i = from; i < to && i < ats_tokens_count(tokens) && st == ATS_OK; i++) {
        const ats_token *t = &tokens->items[i];
        bool cont = strncmp(t->piece, "##", 2) == 0;
        bool space = !cont && !tight_punct(t->piece) && (i > from || after_text);
        char buf[512];
        int n = snprintf(buf, sizeof buf, "%s%s", space ? " " : "", t->piece + (cont ? 2 : 0));
        st = ats_tokens_push(words, t->id, 0, 0, t->special, buf,
                             (size_t)(n < (int)sizeof buf ? n : (int)sizeof buf - 1), err);
    }
    if (st == ATS_OK)
        st = ats_tokens_text(words, 0, ats_tokens_count(words), out, len, err);
    ats_tokens_free(words);
    return st;
}

void ats_tokens_free(ats_tokens *tokens) {
    if (!tokens)
        return;
    ats_tokens_truncate(tokens, 0);
    free(tokens->items);
    free(tokens);
}

ats_status ats_tokenizer_encode(const ats_tokenizer *tok, const char *text, size_t len,
                                bool add_special, ats_tokens *out, ats_error *err) {
    return tok->vt->encode(tok, text, len, add_special, out, err);
}

void ats_tokenizer_free(ats_tokenizer *tok) {
    if (tok)
        tok->vt->destroy(tok);
}

ats_status ats_tokenizer_push_id(const ats_tokenizer *tok, int32_t id, int32_t at, ats_tokens *out,
                                 ats_error *err) {
    if (tok && tok->vt->push_id)
        return tok->vt->push_id(tok, id, at, out, err);
    return ats_tokens_push(out, id, at, at, false, "", 0, err);
}
