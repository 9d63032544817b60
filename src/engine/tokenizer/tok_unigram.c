/* The Unigram model (SentencePiece's unigram_model.cc, Model::EncodeOptimized): the segmentation
 * of a normalized text into vocabulary pieces whose scores (log probabilities) sum highest.
 *
 *   best[0] = 0
 *   best[e] = max over pieces text[s, e) of best[s] + score(piece), for s at character starts
 *
 * Positions are bytes. Each start s (a character boundary reached by some path) tries every
 * piece that begins there; a candidate replaces best[e] only when strictly greater, so on a tie
 * the earliest start keeps it. Where no piece covers the single character at s, an unknown token
 * of that character scores min_score - 10. User-defined pieces score len * max_score - 0.1, so
 * they always win. sentencepiece keeps best[] in float32 (each candidate, the sum of two floats
 * formed in double, is compared with the stored float and stored rounded to float; an unknown
 * token's sum is formed in float), Hugging Face tokenizers in float64: model.score_f32 picks
 * which, and near-ties such as "---" come out differently.
 *
 * Afterwards a run of unknown tokens becomes one unknown token, or with byte fallback one byte
 * token per byte of the run. */
#include "base.h"
#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct best_node {
    double score;  /* best path score ending here (a float32 value under score_f32) */
    int32_t start; /* where the last piece of that path starts; -1: no path ends here */
    int32_t id;    /* that piece */
} best_node;

/* best[s] + the score of piece `id` of `len` bytes as the model computes it. sentencepiece: the
 * piece's float score (or the user-defined bonus, a double) plus the float best[s], in double;
 * the caller compares that with the stored float and stores it rounded to float. */
static double path_score(const tok_pipeline *t, int32_t id, size_t len, double base) {
    const tok_model *m = &t->model;
    if (t->vocab.flags[id] & TOK_FLAG_USER)
        return (double)((float)len * m->max_score) - 0.1 + base;
    if (!m->score_f32 && m->score64)
        return m->score64[id] + base;
    return (double)t->vocab.score[id] + base;
}

static void relax(best_node *node, double score, int32_t start, int32_t id, bool f32) {
    if (node->start < 0 || score > node->score) {
        node->score = f32 ? (double)(float)score : score;
        node->start = start;
        node->id = id;
    }
}

/* Fills best[0..len] for text[0, len). */
static ats_status viterbi(const tok_pipeline *t, const char *text, size_t len, best_node *best,
                          ats_error *err) {
    const tok_model *m = &t->model;
    const tok_vocab *v = &t->vocab;
    double unk_score = m->score_f32 ? (double)(m->min_score - 10.0f) : (double)m->min_score - 10.0;
    for (size_t i = 0; i <= len; i++)
        best[i] = (best_node){.score = 0.0, .start = -1, .id = -1};
    for (size_t s = 0; s < len;) {
        size_t mblen = ats_tok_utf8_len((unsigned char)text[s]);
        mblen = mblen < len - s ? mblen : len - s;
        double base = best[s].score;
        bool single = false;
        size_t max_k = len - s < (size_t)m->max_piece_len ? len - s : (size_t)m->max_piece_len;
        for (size_t k = 1; k <= max_k; k++) {
            int32_t id;
            if (!ats_tok_strmap_get(&v->map, text + s, k, &id) || (v->flags[id] & TOK_FLAG_UNUSED))
                continue;
            relax(&best[s + k], path_score(t, id, k, base), (int32_t)s, id, m->score_f32);
            single |= k == mblen;
        }
        if (!single) {
            if (m->unk_id < 0)
                return ats_fail(err, ATS_ERR_FORMAT,
                                "%s: a character is not in the vocabulary and there is no unknown "
                                "token",
                                t->source);
            double score =
                m->score_f32 ? (double)((float)unk_score + (float)base) : unk_score + base;
            relax(&best[s + mblen], score, (int32_t)s, m->unk_id, m->score_f32);
        }
        s += mblen;
    }
    return ATS_OK;
}

/* A run of unknown characters text[a, b): one unknown token, or its bytes as byte tokens when the
 * model falls back to bytes and has a token for each. */
static ats_status push_unknown(const tok_pipeline *t, const char *text, int32_t a, int32_t b,
                               tok_spans *out, ats_error *err) {
    bool bytes = t->model.byte_fallback;
    for (int32_t i = a; i < b && bytes; i++)
        bytes = t->vocab.byte_id[(unsigned char)text[i]] >= 0;
    if (!bytes)
        return ats_tok_spans_push(out, t->model.unk_id, a, b, err);
    ats_status st = ATS_OK;
    for (int32_t i = a; i < b && st == ATS_OK; i++)
        st = ats_tok_spans_push(out, t->vocab.byte_id[(unsigned char)text[i]], i, i + 1, err);
    return st;
}

ats_status ats_tok_unigram_encode(const tok_pipeline *t, const char *text, size_t len,
                                  tok_spans *out, ats_error *err) {
    if (len == 0)
        return ATS_OK;
    best_node *best = malloc((len + 1) * sizeof *best);
    int32_t *ends = malloc(len * sizeof *ends); /* the best path's piece ends, last first */
    if (!best || !ends) {
        free(best);
        free(ends);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory segmenting %zu bytes", len);
    }
    ats_status st = viterbi(t, text, len, best, err);
    size_t n = 0;
    for (int32_t e = (int32_t)len; st == ATS_OK && e > 0; e = best[e].start)
        ends[n++] = e;
    int32_t unk_from = -1; /* start of the pending run of unknown tokens */
    for (size_t i = n; st == ATS_OK && i-- > 0;) {
        int32_t e = ends[i], s = best[e].start, id = best[e].id;
        if (id == t->model.unk_id) {
            if (unk_from < 0)
                unk_from = s;
            continue;
        }
        if (unk_from >= 0)
            st = push_unknown(t, text, unk_from, s, out, err);
        unk_from = -1;
        if (st == ATS_OK)
            st = ats_tok_spans_push(out, id, s, e, err);
    }
    if (st == ATS_OK && unk_from >= 0)
        st = push_unknown(t, text, unk_from, (int32_t)len, out, err);
    free(best);
    free(ends);
    return st;
}
