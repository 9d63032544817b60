/* llama2.c's tokenizer.bin, encoded exactly as llama2.c's encode() does:
 *
 *   file:   int32 max_token_length, then vocab_size times { float32 score, int32 len, len bytes }
 *   encode: a " " is put in front of non-empty text (the dummy prefix), each UTF-8 character
 *           becomes its token or, when it has none, one token per byte (id = byte + 3), then the
 *           neighbouring pair whose concatenation is the highest-scoring token is merged until
 *           none is left; BOS (id 1) goes first.
 *
 * The pieces in the file already hold spaces where SentencePiece had "▁"; BOS and EOS are
 * stored as "\n<s>\n" and "\n</s>\n" and displayed as "<s>" and "</s>". */
#include "base.h"
#include "mapped_file.h"
#include "tok_internal.h"

#include <stdio.h>
#include <string.h>

static ats_status read_vocab(tok_pipeline *t, const ats_mapped_file *f, int vocab_size,
                             ats_error *err) {
    ats_reader r = ats_reader_make(f->data, f->size);
    int32_t max_len;
    if (!ats_reader_i32(&r, &max_len))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: file of %zu bytes is too short for a tokenizer",
                        f->path, f->size);
    if (max_len <= 0 || max_len > (1 << 20))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: max_token_length %d is not plausible", f->path,
                        max_len);
    ats_status st = ats_tok_vocab_init(&t->vocab, vocab_size, true, err);
    for (int32_t id = 0; id < vocab_size && st == ATS_OK; id++) {
        float score;
        int32_t len;
        const uint8_t *bytes;
        size_t at = r.pos;
        if (!ats_reader_f32(&r, &score) || !ats_reader_i32(&r, &len))
            return ats_fail(err, ATS_ERR_FORMAT,
                            "%s: token %d of %d is truncated at byte %zu (the file has %zu)",
                            f->path, id, vocab_size, at, f->size);
        if (len < 0 || !ats_reader_bytes(&r, (size_t)len, &bytes))
            return ats_fail(err, ATS_ERR_FORMAT,
                            "%s: token %d has length %d, past the end of the file (%zu bytes)",
                            f->path, id, len, f->size);
        t->vocab.score[id] = score;
        st = ats_tok_vocab_set(&t->vocab, id, (const char *)bytes, (size_t)len, err);
    }
    return st;
}

ats_status ats_tokenizer_from_llama2c(const char *path, int vocab_size, ats_tokenizer **out,
                                      ats_error *err) {
    *out = NULL;
    if (vocab_size <= 3 || vocab_size > (1 << 24))
        return ats_fail(err, ATS_ERR_ARG, "%s: vocabulary size %d is not plausible", path,
                        vocab_size);
    ats_mapped_file *f;
    ats_status st = ats_mapped_file_open(path, &f, err);
    if (st != ATS_OK)
        return st;
    tok_pipeline *t = ats_tok_pipeline_new(path, err);
    if (!t) {
        ats_mapped_file_free(f);
        return ATS_ERR_NOMEM;
    }
    st = read_vocab(t, f, vocab_size, err);
    ats_mapped_file_free(f);
    tok_vocab *v = &t->vocab;

    /* ids 0, 1, 2 are <unk>, <s>, </s>; show them without the newlines around them */
    for (int32_t id = 0; id < 3 && st == ATS_OK; id++) {
        const char *s = tok_vocab_text(v, id);
        size_t a = 0, b = v->len[id];
        while (a < b && s[a] == '\n')
            a++;
        while (b > a && s[b - 1] == '\n')
            b--;
        char copy[64];
        size_t n = b - a < sizeof copy ? b - a : sizeof copy;
        memcpy(copy, s + a, n);
        v->flags[id] |= TOK_FLAG_SPECIAL;
        st = ats_tok_vocab_set_display(v, id, copy, n, err);
    }
    /* byte fallback is positional in llama2.c (byte + 3); mark the <0xXX> pieces for display */
    for (int b = 0; b < 256 && b + 3 < v->n && st == ATS_OK; b++) {
        int32_t id = b + 3;
        v->byte_id[b] = id;
        if (ats_tok_parse_byte_token(tok_vocab_text(v, id), v->len[id]) == b) {
            v->flags[id] |= TOK_FLAG_BYTE;
            v->byte_of[id] = (uint8_t)b;
        }
    }
    tok_norm *dummy = st == ATS_OK ? ats_tok_pipeline_add_norm(t, TOK_NORM_PREPEND, err) : NULL;
    if (st == ATS_OK && !dummy)
        st = ATS_ERR_NOMEM;
    if (st == ATS_OK) {
        dummy->str = strdup(" ");
        dummy->str_len = 1;
        if (!dummy->str)
            st = ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    if (st ==
        ATS_OK) /* str_lookup's bsearch has no defined winner for duplicates; take the first */
        st = ats_tok_vocab_build_map(v, true, err);
    if (st != ATS_OK) {
        ats_tok_pipeline_free(&t->base);
        return st;
    }
    t->model.kind = TOK_MODEL_SPM;
    t->model.llama2c = true;
    t->model.unk_id = 0;
    t->display = TOK_DISPLAY_SPM;
    t->prefix[t->n_prefix++] = 1; /* BOS */
    snprintf(t->base.kind, sizeof t->base.kind, "SentencePiece BPE");
    t->base.vocab_size = vocab_size;
    *out = &t->base;
    return ATS_OK;
}
