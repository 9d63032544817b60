/* WordPiece (BERT): greedy longest match from the left. The first piece of a word is looked up
 * as is, every later one with the continuation prefix ("##"); if some position has no match at
 * all, the whole word becomes the unknown token, and so does a word longer than max_chars
 * characters (100 for BERT). Words are short, so the quadratic search is bounded. */
#include "base.h"
#include "tok_internal.h"

#include <string.h>

ats_status ats_tok_wordpiece_encode(const tok_pipeline *t, const char *word, size_t len,
                                    tok_spans *out, ats_error *err) {
    const tok_model *m = &t->model;
    size_t n_chars = 0;
    for (size_t i = 0; i < len; i += ats_tok_utf8_len((unsigned char)word[i]))
        n_chars++;
    size_t mark = out->n;
    tok_buf key = {0};
    ats_status st = ATS_OK;
    bool bad = n_chars > (size_t)m->max_chars;
    for (size_t start = 0; start < len && !bad && st == ATS_OK;) {
        size_t end = len;
        int32_t id = -1;
        while (end > start) {
            key.n = 0;
            if (start > 0 &&
                (st = ats_tok_buf_append(&key, m->prefix, m->prefix_len, err)) != ATS_OK)
                break;
            if ((st = ats_tok_buf_append(&key, word + start, end - start, err)) != ATS_OK)
                break;
            if (ats_tok_strmap_get(&t->vocab.map, key.p, key.n, &id))
                break;
            do /* back to the previous character boundary */
                end--;
            while (end > start && ((unsigned char)word[end] & 0xC0) == 0x80);
        }
        if (st != ATS_OK)
            break;
        if (end <= start) {
            bad = true;
            break;
        }
        st = ats_tok_spans_push(out, id, (int32_t)start, (int32_t)end, err);
        start = end;
    }
    ats_tok_buf_free(&key);
    if (st == ATS_OK && bad) {
        out->n = mark; /* drop the pieces found so far */
        if (m->unk_id >= 0)
            st = ats_tok_spans_push(out, m->unk_id, 0, (int32_t)len, err);
    }
    return st;
}
