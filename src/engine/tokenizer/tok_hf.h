/* Helpers shared by the Hugging Face tokenizer readers: tok_hf.c (the folder, vocab.json +
 * merges.txt, vocab.txt) and tok_hf_json.c (tokenizer.json). */
#ifndef ATS_ENGINE_TOK_HF_H
#define ATS_ENGINE_TOK_HF_H

#include "tok_internal.h"

#include <jansson.h>

enum { TOK_HF_MAX_VOCAB = 1 << 22 }; /* ids beyond 4M are taken as a broken file */

/* Parses a JSON file; the error names the file, line and column. */
ats_status ats_tok_hf_load_json(const char *path, json_t **out, ats_error *err);
/* obj[key] as a boolean, or `fallback` when absent or null. */
bool ats_tok_hf_bool(const json_t *obj, const char *key, bool fallback);
/* obj[key] as a string (borrowed), or NULL; its length. */
const char *ats_tok_hf_str(const json_t *obj, const char *key);
size_t ats_tok_hf_strlen(const json_t *obj, const char *key);
/* A NUL-terminated heap copy of s[0..n). */
ats_status ats_tok_hf_dup(const char *s, size_t n, char **out, size_t *len, ats_error *err);

/* The largest id of a {"token": id} vocabulary, checking that every id is an integer in
 * [0, TOK_HF_MAX_VOCAB). */
ats_status ats_tok_hf_vocab_max(const char *path, const json_t *vocab, int64_t *max,
                                ats_error *err);
/* Stores the vocabulary's texts (decoded from GPT-2's byte alphabet when byte_level) and marks
 * <0xXX> byte-fallback tokens. */
ats_status ats_tok_hf_set_vocab(tok_pipeline *t, const json_t *vocab, bool byte_level,
                                ats_error *err);
/* Adds the merge "left right" with this rank (after the vocabulary map is built); merges whose
 * parts or result are not tokens are skipped, as they can never apply. */
ats_status ats_tok_hf_add_merge(tok_pipeline *t, const char *left, size_t ll, const char *right,
                                size_t rl, int32_t rank, bool byte_level, tok_buf *scratch,
                                ats_error *err);

/* The pipeline a tokenizer.json describes. */
ats_status ats_tok_hf_from_tokenizer_json(const char *path, tok_pipeline **out, ats_error *err);

#endif
