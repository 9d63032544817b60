/* What a model trains on, and the tokenizer it is saved with.
 *
 *   builtin:repeats  the induction task: sequences of random words (uniform over the vocabulary of
 *                    words.c) in which a segment repeats: a random prefix of p tokens, then a
 *                    segment of k random tokens repeated until the end, k uniform in
 *                    [4, length / 2] and p uniform in [0, length - 2k]. The first copy cannot be
 *                    predicted; every later one can, by looking back at the earlier copy. Saved
 *                    with a word-level tokenizer (WordPiece over whole words, lower-cased, split
 *                    at spaces and punctuation; unknown words are "[UNK]").
 *   builtin:text     the short stories of text.c, character by character;
 *   FILE             any UTF-8 text file, character by character.
 * Text corpora are sampled as windows starting at a uniform random offset, and saved with a
 * character-level tokenizer (BPE with no merges over the text's characters, "[UNK]" for others).
 *
 * Threads: a corpus is read-only once open; any thread may sample it with a generator of its own.
 */
#ifndef ATS_TRAIN_CORPUS_H
#define ATS_TRAIN_CORPUS_H

#include "attnscope/status.h"
#include "base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ats_tr_corpus {
    char name[256]; /* "builtin:repeats", "builtin:text" or the file as given */
    bool repeats;
    int vocab;                 /* token ids are in [0, vocab) */
    const char *const *pieces; /* (vocab) each token's text; pieces[0] is "[UNK]" */
    int32_t *ids;              /* text corpora: the whole text as token ids */
    size_t n_ids;
    /* owned storage behind pieces for character vocabularies */
    char *piece_text;
    const char **piece_list;
} ats_tr_corpus;

/* Opens a corpus ("builtin:repeats", "builtin:text" or a file). vocab_limit > 0 keeps the first
 * vocab_limit words of builtin:repeats (at least 16). A file must be valid UTF-8. */
ats_status ats_tr_corpus_open(const char *spec, int vocab_limit, ats_tr_corpus *out,
                              ats_error *err);
void ats_tr_corpus_release(ats_tr_corpus *c);

/* Whether a text corpus holds a window of len tokens (a repeats corpus always does). */
bool ats_tr_corpus_fits(const ats_tr_corpus *c, int len);

/* One training sequence of len ids, drawn with rng. */
void ats_tr_corpus_sample(const ats_tr_corpus *c, ats_rng *rng, int32_t *seq, int len);

/* The tokenizer.json text of the corpus's tokenizer (malloc'd). */
ats_status ats_tr_corpus_tokenizer_json(const ats_tr_corpus *c, char **out, ats_error *err);

/* The vocabulary of builtin:repeats (words.c) and the text of builtin:text (text.c). */
const char *const *ats_tr_words(int *count);
ats_status ats_tr_builtin_text(char **out, size_t *len, ats_error *err);

#endif
