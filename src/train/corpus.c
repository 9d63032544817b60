#include "corpus.h"

#include "mapped_file.h"
#include "tok_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- character vocabularies --------------------------------------------------------------- */

static int compare_cp(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The text's distinct code points, sorted, as the vocabulary after "[UNK]" (id 0); then the text
 * as ids. */
static ats_status char_corpus(ats_tr_corpus *c, const char *text, size_t len, ats_error *err) {
    size_t n_cp = 0;
    int32_t *cps = malloc((len + 1) * sizeof *cps);
    if (!cps)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    for (size_t at = 0; at < len;)
        at += ats_tok_utf8_decode(text + at, len - at, &cps[n_cp++]);
    int32_t *sorted = malloc((n_cp + 1) * sizeof *sorted);
    if (!sorted) {
        free(cps);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    memcpy(sorted, cps, n_cp * sizeof *sorted);
    qsort(sorted, n_cp, sizeof *sorted, compare_cp);
    size_t distinct = 0;
    for (size_t i = 0; i < n_cp; i++)
        if (distinct == 0 || sorted[distinct - 1] != sorted[i])
            sorted[distinct++] = sorted[i];
    c->vocab = (int)distinct + 1;
    c->piece_list = malloc((size_t)c->vocab * sizeof *c->piece_list);
    c->piece_text = malloc(distinct * 5 + 8);
    c->ids = malloc((n_cp ? n_cp : 1) * sizeof *c->ids);
    if (!c->piece_list || !c->piece_text || !c->ids) {
        free(cps);
        free(sorted);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    char *at = c->piece_text;
    c->piece_list[0] = strcpy(at, "[UNK]");
    at += 6;
    for (size_t i = 0; i < distinct; i++) {
        c->piece_list[i + 1] = at;
        at += ats_tok_utf8_encode(sorted[i], at);
        *at++ = '\0';
    }
    for (size_t i = 0; i < n_cp; i++) {
        const int32_t *hit = bsearch(&cps[i], sorted, distinct, sizeof *sorted, compare_cp);
        c->ids[i] = (int32_t)(hit - sorted) + 1;
    }
    c->n_ids = n_cp;
    c->pieces = c->piece_list;
    free(cps);
    free(sorted);
    return ATS_OK;
}

ats_status ats_tr_corpus_open(const char *spec, int vocab_limit, ats_tr_corpus *out,
                              ats_error *err) {
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", spec);
    if (strcmp(spec, "builtin:repeats") == 0) {
        int n;
        out->pieces = ats_tr_words(&n);
        if (vocab_limit > 0 && (vocab_limit < 16 || vocab_limit > n))
            return ats_fail(err, ATS_ERR_ARG,
                            "builtin:repeats has %d words: a vocabulary of 16 to %d, not %d", n, n,
                            vocab_limit);
        out->repeats = true;
        out->vocab = vocab_limit > 0 ? vocab_limit : n;
        return ATS_OK;
    }
    if (vocab_limit > 0)
        return ats_fail(
            err, ATS_ERR_ARG,
            "--vocab applies to builtin:repeats; a text's vocabulary is its characters");
    if (strncmp(spec, "builtin:", 8) == 0 && strcmp(spec, "builtin:text") != 0)
        return ats_fail(err, ATS_ERR_ARG,
                        "%s: unknown built-in corpus (there are builtin:repeats and builtin:text)",
                        spec);
    char *text;
    size_t len;
    ats_status s = strcmp(spec, "builtin:text") == 0 ? ats_tr_builtin_text(&text, &len, err)
                                                     : ats_read_text_file(spec, &text, &len, err);
    if (s != ATS_OK)
        return s;
    long bad = ats_utf8_first_invalid(text, len);
    if (bad >= 0)
        s = ats_fail(err, ATS_ERR_FORMAT, "%s: not valid UTF-8 (at byte %ld)", spec, bad);
    else if (len == 0)
        s = ats_fail(err, ATS_ERR_FORMAT, "%s: the text is empty", spec);
    else
        s = char_corpus(out, text, len, err);
    free(text);
    if (s != ATS_OK)
        ats_tr_corpus_release(out);
    return s;
}

void ats_tr_corpus_release(ats_tr_corpus *c) {
    free(c->ids);
    free(c->piece_text);
    free((void *)c->piece_list);
    memset(c, 0, sizeof *c);
}

bool ats_tr_corpus_fits(const ats_tr_corpus *c, int len) {
    return c->repeats || c->n_ids >= (size_t)len;
}

void ats_tr_corpus_sample(const ats_tr_corpus *c, ats_rng *rng, int32_t *seq, int len) {
    if (!c->repeats) {
        size_t start = ats_rng_below(rng, (uint32_t)(c->n_ids - (size_t)len + 1));
        memcpy(seq, c->ids + start, (size_t)len * sizeof *seq);
        return;
    }
    uint32_t V = (uint32_t)c->vocab;
    int k_max = len / 2 < 4 ? 4 : len / 2;
    int k = 4 + (int)ats_rng_below(rng, (uint32_t)(k_max - 4 + 1));
    if (2 * k > len)
        k = len / 2;
    int p = (int)ats_rng_below(rng, (uint32_t)(len - 2 * k + 1));
    for (int i = 0; i < p + k; i++) /* the prefix, then the segment */
        seq[i] = (int32_t)ats_rng_below(rng, V);
    for (int i = p + k; i < len; i++) /* the segment again, and again, to the end */
        seq[i] = seq[i - k];
}

/* ---- tokenizer.json ----------------------------------------------------------------------------
 */

static json_t *unk_added(void) {
    return json_pack("[{s:i, s:s, s:b, s:b, s:b, s:b, s:b}]", "id", 0, "content", "[UNK]",
                     "single_word", 0, "lstrip", 0, "rstrip", 0, "normalized", 0, "special", 1);
}

ats_status ats_tr_corpus_tokenizer_json(const ats_tr_corpus *c, char **out, ats_error *err) {
    json_t *vocab = json_object();
    for (int i = 0; vocab && i < c->vocab; i++)
        if (json_object_set_new(vocab, c->pieces[i], json_integer(i)) != 0) {
            json_decref(vocab);
            vocab = NULL;
        }
    json_t *root = NULL;
    if (vocab && c->repeats) /* whole words, lower-cased, split at spaces and punctuation */
        root = json_pack("{s:s, s:n, s:n, s:o, s:{s:s}, s:{s:s}, s:n, s:{s:s, s:s, s:b}, "
                         "s:{s:s, s:s, s:s, s:i, s:o}}",
                         "version", "1.0", "truncation", "padding", "added_tokens", unk_added(),
                         "normalizer", "type", "Lowercase", "pre_tokenizer", "type", "Whitespace",
                         "post_processor", "decoder", "type", "WordPiece", "prefix", "##",
                         "cleanup", 1, "model", "type", "WordPiece", "unk_token", "[UNK]",
                         "continuing_subword_prefix", "##", "max_input_chars_per_word", 100,
                         "vocab", vocab);
    else if (vocab) /* characters: BPE with no merges */
        root = json_pack("{s:s, s:n, s:n, s:o, s:n, s:n, s:n, s:n, "
                         "s:{s:s, s:n, s:s, s:n, s:n, s:b, s:b, s:o, s:[]}}",
                         "version", "1.0", "truncation", "padding", "added_tokens", unk_added(),
                         "normalizer", "pre_tokenizer", "post_processor", "decoder", "model",
                         "type", "BPE", "dropout", "unk_token", "[UNK]",
                         "continuing_subword_prefix", "end_of_word_suffix", "fuse_unk", 0,
                         "byte_fallback", 0, "vocab", vocab, "merges");
    *out = root ? json_dumps(root, JSON_INDENT(1) | JSON_ENSURE_ASCII) : NULL;
    json_decref(root);
    if (!*out)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory writing the tokenizer");
    return ATS_OK;
}
