/* The tokenizer interface every vocabulary format implements, and the token list it fills.
 *
 * A tokenizer turns valid UTF-8 text into ids with byte spans into that text. Implementations
 * embed `ats_tokenizer` as their first member and provide the vtable. They are immutable after
 * construction, so one tokenizer may serve several threads.
 */
#ifndef ATS_ENGINE_TOKENIZER_H
#define ATS_ENGINE_TOKENIZER_H

#include "attnscope/engine.h"

typedef struct ats_tokenizer ats_tokenizer;

typedef struct ats_tokenizer_vtable {
    /* Appends the tokens of text[0, len) to `out`; the text has already been checked to be
     * valid UTF-8. With add_special, adds the special tokens the model's own tokenizer adds by
     * default (BOS for Llama, [CLS] ... [SEP] for BERT, nothing for GPT-2). */
    ats_status (*encode)(const ats_tokenizer *tok, const char *text, size_t len, bool add_special,
                         ats_tokens *out, ats_error *err);
    void (*destroy)(ats_tokenizer *tok);
    /* Appends token `id` as the tokenizer shows it (may be NULL: an empty piece). */
    ats_status (*push_id)(const ats_tokenizer *tok, int32_t id, int32_t at, ats_tokens *out,
                          ats_error *err);
} ats_tokenizer_vtable;

struct ats_tokenizer {
    const ats_tokenizer_vtable *vt;
    char kind[64];  /* for info: "word", "byte-level BPE", "WordPiece", "SentencePiece BPE" */
    int vocab_size; /* 0 for the open-vocabulary word tokenizer */
};

ats_status ats_tokenizer_encode(const ats_tokenizer *tok, const char *text, size_t len,
                                bool add_special, ats_tokens *out, ats_error *err);
void ats_tokenizer_free(ats_tokenizer *tok);
/* Appends token `id` with its readable piece, flagged special when the vocabulary marks it, and
 * the empty span [at, at): for ids that come from a model rather than from text. */
ats_status ats_tokenizer_push_id(const ats_tokenizer *tok, int32_t id, int32_t at, ats_tokens *out,
                                 ats_error *err);

/* ---- token lists -------------------------------------------------------------------------- */

ats_tokens *ats_tokens_new(void);

/* Appends one token; `piece` (piece_len bytes, need not be NUL-terminated) is copied. */
ats_status ats_tokens_push(ats_tokens *tokens, int32_t id, int32_t start, int32_t end, bool special,
                           const char *piece, size_t piece_len, ats_error *err);

/* Keeps the first n tokens. */
void ats_tokens_truncate(ats_tokens *tokens, int n);

/* A copy of the list, or NULL (err filled) when out of memory. */
ats_tokens *ats_tokens_copy(const ats_tokens *from, ats_error *err);

/* The text tokens [from, to) add when decoded by `tok` (engine.h's ats_model_tokens_text). */
ats_status ats_tokenizer_text(const ats_tokenizer *tok, const ats_tokens *tokens, int from, int to,
                              bool after_text, char **out, size_t *len, ats_error *err);

/* Sets the byte span of token `index` (in range). */
void ats_tokens_set_span(ats_tokens *tokens, int index, int32_t start, int32_t end);

/* ---- constructors, one per vocabulary source ---------------------------------------------- */

/* A Hugging Face folder's tokenizer: spiece.model for T5 folders (config.json's model_type t5,
 * mt5 or umt5) or when it is the only tokenizer file, else tokenizer.json if present, else
 * vocab.json + merges.txt (GPT-2 byte-level BPE), else vocab.txt (WordPiece; lower-casing per
 * tokenizer_config.json, default on). */
ats_status ats_tokenizer_from_hf_folder(const char *dir, ats_tokenizer **out, ats_error *err);

/* A SentencePiece model file (spiece.model) holding a Unigram model: sentencepiece's normalizer
 * (precompiled character map, dummy prefix, whitespace rules) and segmentation, exactly.
 * `vocab_size` larger than the piece count adds ids past the pieces: the first `n_extra` named
 * <extra_id_N> counting down (<extra_id_0> is piece count + n_extra - 1, as Hugging Face's T5
 * tokenizer numbers them), the rest <unused_ID>. With add_special the eos piece is appended. */
ats_status ats_tokenizer_from_spiece(const char *path, int vocab_size, int n_extra,
                                     ats_tokenizer **out, ats_error *err);

/* A llama2.c tokenizer.bin: max_token_length, then per token a float score, a length and the
 * bytes. vocab_size comes from the checkpoint header. Adds BOS (id 1) by default. */
ats_status ats_tokenizer_from_llama2c(const char *path, int vocab_size, ats_tokenizer **out,
                                      ats_error *err);

/* The tokenizer stored in a GGUF file's tokenizer.ggml.* keys: model "gpt2" (byte-level BPE with
 * merges), "llama" (SentencePiece BPE by scores with byte fallback) or "bert" (WordPiece in
 * llama.cpp's spelling: word-initial pieces carry U+2581, continuations have no "##"). Special
 * tokens and add_bos / add_eos follow the file's keys. */
struct ats_gguf;
ats_status ats_tokenizer_from_gguf(const struct ats_gguf *gguf, ats_tokenizer **out,
                                   ats_error *err);

/* The word tokenizer of builtin:demo: words (letters, digits, marks, with inner apostrophes)
 * and single punctuation or symbol characters; whitespace separates. Ids hash the lower-cased
 * word, so any word has an id. */
ats_status ats_word_tokenizer_new(ats_tokenizer **out, ats_error *err);

/* FNV-1a over the case-folded word, as 31 bits: the demo model's token id for a word. */
int32_t ats_word_id(const char *word, size_t len);

#endif
