/* Shared machinery of the subword tokenizers: hash maps, text that remembers where each byte
 * came from, the vocabulary, and one pipeline that every vocabulary source fills in.
 *
 * Every format (tokenizer.json, vocab.json + merges.txt, vocab.txt, GGUF, llama2.c) is turned
 * into the same `tok_pipeline`, the way Hugging Face tokenizers describe one:
 *
 *   raw text --(added tokens matched first)--> fragments
 *   fragment --normalizers--> normalized text (each byte keeps its origin span in the input)
 *            --pre-tokenizers--> pieces ("words")
 *   piece    --model (BPE by merge rank | BPE by score | WordPiece)--> ids with byte ranges
 *   ids      --post-processor--> special tokens around them (with add_special)
 *
 * Byte-level vocabularies (GPT-2) are stored decoded: "Ġupon" is kept as the bytes " upon", so
 * the model works on raw bytes, token spans are exact bytes, and pieces display as text.
 */
#ifndef ATS_ENGINE_TOK_INTERNAL_H
#define ATS_ENGINE_TOK_INTERNAL_H

#include "tokenizer.h"

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

/* ---- growable byte buffer ------------------------------------------------------------------ */

typedef struct tok_buf {
    char *p;
    size_t n, cap;
} tok_buf;

ats_status ats_tok_buf_append(tok_buf *b, const void *data, size_t n, ats_error *err);
void ats_tok_buf_free(tok_buf *b);

/* ---- hash maps (tok_map.c) ----------------------------------------------------------------- */

/* Byte string -> int32, open addressing. Keys are borrowed: they must outlive the map. */
typedef struct tok_strmap {
    struct tok_strslot *slots; /* (cap), cap a power of two */
    size_t cap, n;
} tok_strmap;

ats_status ats_tok_strmap_init(tok_strmap *m, size_t expected, ats_error *err);
/* Inserts or overwrites (the last value put for a key wins). */
ats_status ats_tok_strmap_put(tok_strmap *m, const char *key, size_t len, int32_t value,
                              ats_error *err);
bool ats_tok_strmap_get(const tok_strmap *m, const char *key, size_t len, int32_t *value);
void ats_tok_strmap_free(tok_strmap *m);

/* (left id, right id) -> (merge rank, merged id): the BPE merge table. */
typedef struct tok_pairmap {
    uint64_t *keys; /* (cap) left << 32 | right, plus one so 0 marks an empty slot */
    uint64_t *vals; /* (cap) rank << 32 | merged id */
    size_t cap, n;
} tok_pairmap;

ats_status ats_tok_pairmap_init(tok_pairmap *m, size_t expected, ats_error *err);
/* Keeps the first (lowest-rank) entry when a pair is put twice, as merges files list them. */
ats_status ats_tok_pairmap_put(tok_pairmap *m, int32_t left, int32_t right, int32_t rank,
                               int32_t merged, ats_error *err);
bool ats_tok_pairmap_get(const tok_pairmap *m, int32_t left, int32_t right, int32_t *rank,
                         int32_t *merged);
void ats_tok_pairmap_free(tok_pairmap *m);

/* ---- text with origin spans (tok_text.c) ------------------------------------------------- */

/* UTF-8 text where byte i came from input bytes [s[i], e[i]). Untouched input bytes keep their
 * own one-byte span, so a token holding part of a character still has an exact span; bytes of
 * a rewritten character carry the whole original character's span; inserted characters (a
 * prepended "▁") carry an empty span at the place they were inserted. */
typedef struct tok_text {
    char *b;        /* (len) */
    int32_t *s, *e; /* (len) */
    size_t len, cap;
} tok_text;

ats_status ats_tok_text_reserve(tok_text *t, size_t extra, ats_error *err);
/* Appends n bytes that all get the span [s, e). */
ats_status ats_tok_text_append(tok_text *t, const char *bytes, size_t n, int32_t s, int32_t e,
                               ats_error *err);
/* Appends src bytes [a, a + n) with their own spans. */
ats_status ats_tok_text_append_from(tok_text *t, const tok_text *src, size_t a, size_t n,
                                    ats_error *err);
/* Input bytes [a, b) of `input`, each with its own one-byte span. */
ats_status ats_tok_text_from_input(tok_text *t, const char *input, size_t a, size_t b,
                                   ats_error *err);
void ats_tok_text_clear(tok_text *t);
void ats_tok_text_free(tok_text *t);

/* Pieces after pre-tokenization: each its own text with spans. */
typedef struct tok_pieces {
    tok_text *items; /* (n) */
    size_t n, cap;
} tok_pieces;

/* Appends a new empty piece and returns it (NULL when out of memory, with err filled). */
tok_text *ats_tok_pieces_add(tok_pieces *p, ats_error *err);
void ats_tok_pieces_clear(tok_pieces *p);
void ats_tok_pieces_free(tok_pieces *p);

/* Length of the UTF-8 sequence starting with byte c (1 for stray continuation bytes). */
size_t ats_tok_utf8_len(unsigned char c);
/* Decodes the code point at s[0..n) (valid UTF-8); returns its byte length. */
size_t ats_tok_utf8_decode(const char *s, size_t n, int32_t *cp);
/* Encodes cp into out (at least 4 bytes); returns the length. */
size_t ats_tok_utf8_encode(int32_t cp, char *out);

/* Unicode White_Space (what Rust's char::is_whitespace and Hugging Face use). */
bool ats_tok_is_whitespace(int32_t cp);
/* Categories P* or ASCII punctuation: the BERT pre-tokenizer's punctuation. */
bool ats_tok_is_bert_punct(int32_t cp);

/* ---- byte-level alphabet and readable pieces (tok_bytes.c) ------------------------------- */

/* Appends the raw bytes of GPT-2 byte-level text ("Ġupon" -> " upon") to out. *ok is false when
 * a character is outside the 256-character alphabet; out then holds nothing useful. */
ats_status ats_tok_bytelevel_decode(const char *s, size_t n, tok_buf *out, bool *ok,
                                    ats_error *err);
/* Appends raw bytes readably: valid UTF-8 as is, any other byte as "<0xE6>". */
ats_status ats_tok_render_bytes(tok_buf *out, const char *s, size_t n, ats_error *err);
/* Parses "<0xE6>" (exactly six characters, hex digits in either case); -1 when not one. */
int ats_tok_parse_byte_token(const char *s, size_t n);

/* ---- regular expressions (ats_tok_pretokenize.c) --------------------------------------------- */

/* Compiles a pattern with PCRE2_UTF | PCRE2_UCP (and JIT where available). `source` names the
 * file for the error message. */
ats_status ats_tok_regex_compile(const char *pattern, size_t len, const char *source,
                                 pcre2_code **out, ats_error *err);

typedef struct tok_range {
    size_t a, b;
} tok_range;

typedef struct tok_ranges {
    tok_range *items;
    size_t n, cap;
} tok_ranges;

ats_status ats_tok_ranges_push(tok_ranges *r, size_t a, size_t b, ats_error *err);
void ats_tok_ranges_free(tok_ranges *r);

/* Appends every non-empty match of `re` in s[0..n) to `out`, left to right, without overlap
 * (an empty match advances by one character, as Hugging Face's find_iter does). */
ats_status ats_tok_regex_find(const pcre2_code *re, const char *s, size_t n, tok_ranges *out,
                              ats_error *err);

/* ---- vocabulary ------------------------------------------------------------------------------ */

enum {
    TOK_FLAG_SPECIAL = 1,  /* control / special: shown as its text, flagged special when matched */
    TOK_FLAG_BYTE = 2,     /* a <0xXX> byte-fallback token; byte value in tok_vocab.byte_of */
    TOK_FLAG_NOLOOKUP = 4, /* never produced by looking its text up (control tokens in GGUF) */
    TOK_FLAG_UNUSED = 8, /* Unigram: a piece the segmentation never picks (SentencePiece UNUSED) */
    TOK_FLAG_USER = 16   /* Unigram: user-defined, kept whole by the normalizer and favoured */
};

typedef struct tok_vocab {
    int32_t n;             /* ids 0 .. n-1 */
    tok_buf arena;         /* every token's text */
    uint32_t *off, *len;   /* (n) the text the model looks up (raw bytes for byte-level BPE) */
    uint32_t *doff, *dlen; /* (n) display text when it differs (llama2.c "\n<s>\n" -> "<s>") */
    float *score;          /* (n) SentencePiece scores, or NULL */
    uint8_t *flags;        /* (n) TOK_FLAG_* */
    uint8_t *byte_of;      /* (n) byte value of TOK_FLAG_BYTE tokens */
    int32_t byte_id[256];  /* token of each byte for byte fallback, -1 when absent */
    tok_strmap map;        /* looked-up text -> id */
} tok_vocab;

ats_status ats_tok_vocab_init(tok_vocab *v, int32_t n, bool with_scores, ats_error *err);
/* Sets token `id`'s text (copied) without adding it to the lookup map. */
ats_status ats_tok_vocab_set(tok_vocab *v, int32_t id, const char *text, size_t len,
                             ats_error *err);
/* Gives token `id` a display text other than its lookup text (before the map is built). */
ats_status ats_tok_vocab_set_display(tok_vocab *v, int32_t id, const char *text, size_t len,
                                     ats_error *err);
/* Builds the lookup map over every token not flagged TOK_FLAG_NOLOOKUP; with first_wins the
 * lowest id keeps a duplicated text, otherwise the highest. */
ats_status ats_tok_vocab_build_map(tok_vocab *v, bool first_wins, ats_error *err);
static inline const char *tok_vocab_text(const tok_vocab *v, int32_t id) {
    return v->arena.p + v->off[id];
}
void ats_tok_vocab_free(tok_vocab *v);

/* ---- pipeline parts ------------------------------------------------------------------------ */

typedef enum tok_norm_kind {
    TOK_NORM_BERT, /* clean_text, handle_chinese_chars, strip_accents, lowercase */
    TOK_NORM_LOWERCASE,
    TOK_NORM_NFD,
    TOK_NORM_NFKD,
    TOK_NORM_NFC,
    TOK_NORM_NFKC,
    TOK_NORM_STRIP_ACCENTS, /* drop combining marks */
    TOK_NORM_STRIP,         /* trim whitespace at the left and/or right */
    TOK_NORM_PREPEND,       /* insert `str` in front of a non-empty text */
    TOK_NORM_REPLACE,       /* every match of `pattern` (literal `str_pat`, or `re`) -> `str` */
    TOK_NORM_SPM,         /* SentencePiece's normalizer: charsmap, whitespace rules, dummy "▁" */
    TOK_NORM_PRECOMPILED, /* Hugging Face's Precompiled: the charsmap applied by graphemes */
} tok_norm_kind;

/* ---- SentencePiece character map (tok_charsmap.c) ------------------------------------------ */

/* A normalizer spec's precompiled_charsmap: u32 trie size in bytes, a darts-clone double-array
 * trie over UTF-8 byte strings, then replacement strings (each ends with a NUL) that the trie's
 * values point into. */
typedef struct tok_charsmap {
    uint32_t *units; /* (n_units) double-array units, copied so they are aligned */
    size_t n_units;
    char *strings; /* (n_strings) replacement strings */
    size_t n_strings;
} tok_charsmap;

/* Copies and checks the blob's framing; `source` names the file for messages. An empty blob
 * gives an empty map (no rules). */
ats_status ats_tok_charsmap_parse(const uint8_t *blob, size_t len, const char *source,
                                  tok_charsmap *out, ats_error *err);
void ats_tok_charsmap_free(tok_charsmap *m);

typedef struct tok_norm {
    tok_norm_kind kind;
    bool clean_text, chinese, strip_accents, lowercase; /* BERT */
    bool left, right;                                   /* STRIP */
    char *str;                                          /* PREPEND text, REPLACE content */
    size_t str_len;
    char *str_pat; /* REPLACE with a literal pattern */
    size_t str_pat_len;
    pcre2_code *re; /* REPLACE with a regex */
    /* SPM and PRECOMPILED */
    tok_charsmap charsmap;
    bool dummy_prefix;    /* SPM: "▁" in front of the text */
    bool remove_extra_ws; /* SPM: no leading or trailing spaces, runs of spaces as one */
    bool escape_ws;       /* SPM: spaces written as "▁" */
    bool ws_suffix; /* SPM: the dummy "▁" goes after the text (treat_whitespace_as_suffix) */
    const struct tok_vocab *vocab; /* SPM: the pipeline's, for user-defined pieces */
    int32_t *user_ids;             /* SPM: (n_user) user-defined pieces, matched before the map */
    size_t n_user;
    const char *source; /* SPM, PRECOMPILED: the file, for messages about a broken map */
} tok_norm;

typedef enum tok_split_behavior {
    TOK_SPLIT_REMOVED,
    TOK_SPLIT_ISOLATED,
    TOK_SPLIT_MERGED_WITH_PREVIOUS,
    TOK_SPLIT_MERGED_WITH_NEXT,
    TOK_SPLIT_CONTIGUOUS,
} tok_split_behavior;

typedef enum tok_pre_kind {
    TOK_PRE_SPLIT,            /* the file's regex (re) or literal (str) with a behavior */
    TOK_PRE_BYTELEVEL,        /* optional prefix space, then the GPT-2 regex (re) when set */
    TOK_PRE_BERT,             /* whitespace removed, punctuation isolated */
    TOK_PRE_WHITESPACE_SPLIT, /* whitespace removed */
    TOK_PRE_METASPACE,        /* ' ' -> replacement, optional prefix, split before it */
    TOK_PRE_DIGITS,           /* digits isolated one by one or as runs */
    TOK_PRE_PUNCTUATION,      /* punctuation split with a behavior */
} tok_pre_kind;

typedef enum tok_prepend_scheme {
    TOK_PREPEND_ALWAYS,
    TOK_PREPEND_FIRST,
    TOK_PREPEND_NEVER
} tok_prepend_scheme;

typedef struct tok_pre {
    tok_pre_kind kind;
    tok_split_behavior behavior;
    bool invert;
    pcre2_code *re; /* SPLIT regex, BYTELEVEL regex (NULL without use_regex) */
    char *str;      /* SPLIT literal pattern, METASPACE replacement */
    size_t str_len;
    bool add_prefix_space;      /* BYTELEVEL */
    tok_prepend_scheme prepend; /* METASPACE */
    bool split;                 /* METASPACE */
    bool individual_digits;     /* DIGITS */
} tok_pre;

typedef enum tok_model_kind {
    TOK_MODEL_BPE,       /* merges by rank (Hugging Face, GPT-2, GGUF gpt2) */
    TOK_MODEL_SPM,       /* merges by score (SentencePiece BPE: GGUF llama, llama2.c) */
    TOK_MODEL_WORDPIECE, /* greedy longest match (BERT) */
    TOK_MODEL_UNIGRAM,   /* the best-scoring segmentation (SentencePiece Unigram: T5, ALBERT) */
} tok_model_kind;

typedef struct tok_model {
    tok_model_kind kind;
    bool byte_level;    /* BPE: start from single bytes instead of characters */
    bool byte_fallback; /* characters outside the vocabulary become byte tokens */
    bool fuse_unk;      /* BPE: consecutive unknown characters give one unk token */
    bool ignore_merges; /* BPE: a piece that is a whole token is taken as is (Llama 3) */
    bool llama2c;       /* SPM: llama2.c's encode(): unknown bytes become id byte + 3 at once */
    int32_t unk_id;     /* -1: unknown characters are dropped */
    tok_pairmap merges; /* BPE */
    char prefix[16];    /* WordPiece continuation prefix ("##") */
    size_t prefix_len;
    int max_chars; /* WordPiece: longer words become unk */
    /* Unigram */
    bool score_f32;        /* path scores summed in float32, as sentencepiece (else float64, as
                              Hugging Face tokenizers) */
    float min_score;       /* an unknown character scores min_score - 10 */
    float max_score;       /* user-defined pieces score len * max_score - 0.1 */
    int32_t max_piece_len; /* longest piece in bytes */
    double *score64;       /* (vocab.n) float64 scores (tokenizer.json), or NULL: vocab.score */
} tok_model;

typedef enum tok_display {
    TOK_DISPLAY_BYTES, /* raw bytes (byte-level BPE), partial characters as <0xE6> */
    TOK_DISPLAY_SPM,   /* "▁" shown as a space, byte tokens as the byte they stand for */
    TOK_DISPLAY_TEXT,  /* as stored (WordPiece "##ing") */
} tok_display;

/* A token matched in the raw text before anything else (Hugging Face added_tokens, GGUF
 * user-defined tokens). */
typedef struct tok_added {
    int32_t id;
    char *text;
    size_t len;
    bool special, lstrip, rstrip, single_word;
} tok_added;

enum { TOK_MAX_AROUND = 8 };

typedef struct tok_pipeline {
    ats_tokenizer base;
    char source[1024]; /* the file or folder, for messages */
    tok_vocab vocab;
    tok_added *added;
    size_t n_added;
    bool added_first[256]; /* first bytes of the added tokens, to skip positions quickly */
    tok_norm *norms;
    size_t n_norms;
    tok_pre *pres;
    size_t n_pres;
    tok_model model;
    tok_display display;
    int32_t prefix[TOK_MAX_AROUND]; /* added in front with add_special */
    int n_prefix;
    int32_t suffix[TOK_MAX_AROUND]; /* added at the end with add_special */
    int n_suffix;
} tok_pipeline;

/* A zeroed pipeline with its vtable set; constructors fill the rest. */
tok_pipeline *ats_tok_pipeline_new(const char *source, ats_error *err);
/* Frees everything the pipeline owns (also for a partly built one). */
void ats_tok_pipeline_free(ats_tokenizer *tok);

tok_norm *ats_tok_pipeline_add_norm(tok_pipeline *t, tok_norm_kind kind, ats_error *err);
tok_pre *ats_tok_pipeline_add_pre(tok_pipeline *t, tok_pre_kind kind, ats_error *err);
/* A token matched in the raw text (text copied; an empty one is ignored). */
ats_status ats_tok_pipeline_add_added(tok_pipeline *t, int32_t id, const char *text, size_t len,
                                      bool special, ats_error *err);
/* A ByteLevel pre-tokenizer: a space in front unless there is one (add_prefix_space), then
 * GPT-2's pattern (use_regex). */
ats_status ats_tok_pipeline_add_bytelevel(tok_pipeline *t, bool add_prefix_space, bool use_regex,
                                          ats_error *err);
/* A Split pre-tokenizer with a regex (Isolated unless told). */
ats_status ats_tok_pipeline_add_regex_split(tok_pipeline *t, const char *pattern,
                                            tok_split_behavior behavior, bool invert,
                                            ats_error *err);

/* ---- stages (one file each) ----------------------------------------------------------------- */

ats_status ats_tok_normalize(const tok_norm *norm, const tok_text *in, tok_text *out,
                             ats_error *err);
/* TOK_NORM_SPM and TOK_NORM_PRECOMPILED (tok_charsmap.c). */
ats_status ats_tok_normalize_charsmap(const tok_norm *norm, const tok_text *in, tok_text *out,
                                      ats_error *err);
ats_status ats_tok_pretokenize(const tok_pre *pre, tok_pieces *in, tok_pieces *out, ats_error *err);

/* One token of a piece: id and byte range [a, b) inside the piece. */
typedef struct tok_span {
    int32_t id;
    int32_t a, b;
} tok_span;

typedef struct tok_spans {
    tok_span *items;
    size_t n, cap;
} tok_spans;

ats_status ats_tok_spans_push(tok_spans *s, int32_t id, int32_t a, int32_t b, ats_error *err);

/* Models: append the tokens of one piece to `out`. */
ats_status ats_tok_bpe_encode(const tok_pipeline *t, const char *word, size_t len, tok_spans *out,
                              ats_error *err);
ats_status ats_tok_spm_encode(const tok_pipeline *t, const char *word, size_t len, tok_spans *out,
                              ats_error *err);
/* Viterbi over the pieces of the vocabulary (scores in vocab.score); runs of unknown characters
 * become one unk token, or their bytes with byte fallback. */
ats_status ats_tok_unigram_encode(const tok_pipeline *t, const char *text, size_t len,
                                  tok_spans *out, ats_error *err);
ats_status ats_tok_wordpiece_encode(const tok_pipeline *t, const char *word, size_t len,
                                    tok_spans *out, ats_error *err);

/* ---- SentencePiece Unigram vocabularies (tok_spiece.c) -------------------------------------- */

/* Piece types of SentencePiece (and of GGUF's tokenizer.ggml.token_type). */
enum {
    TOK_PIECE_NORMAL = 1,
    TOK_PIECE_UNKNOWN,
    TOK_PIECE_CONTROL,
    TOK_PIECE_USER,
    TOK_PIECE_UNUSED,
    TOK_PIECE_BYTE
};

typedef struct tok_spm_piece {
    const char *text; /* (len) UTF-8, borrowed */
    size_t len;
    float score;
    int type; /* TOK_PIECE_* */
} tok_spm_piece;

/* A SentencePiece Unigram model as spiece.model or a GGUF t5 vocabulary describes it. */
typedef struct tok_spm_desc {
    const char *path;
    tok_spm_piece *pieces; /* (n) */
    size_t n, cap;
    int model_type; /* 1 Unigram */
    bool byte_fallback, ws_suffix;
    int64_t eos_id; /* appended with add_special when a piece */
    const uint8_t *charsmap;
    size_t charsmap_len;
    bool dummy_prefix, remove_extra_ws, escape_ws;
} tok_spm_desc;

/* Fills a fresh pipeline: pieces, sentencepiece's normalizer, the Unigram model (scores summed
 * as sentencepiece does), control and unknown pieces matched in the raw text, eos appended; ids
 * from the piece count up to vocab_size named <extra_id_N> (n_extra, counting down) and
 * <unused_ID>. */
ats_status ats_tok_spm_unigram_build(tok_pipeline *t, const tok_spm_desc *s, int vocab_size,
                                     int n_extra, ats_error *err);

/* ---- GGUF byte-level BPE pre-tokenizers (tok_gguf_pre.c) ------------------------------------ */

/* Adds the splits llama.cpp uses for tokenizer.ggml.pre `name` (len bytes) and sets the model's
 * ignore_merges; *add_bos and *add_sep say whether llama.cpp adds BOS / appends the separator
 * by default. ATS_ERR_UNSUPPORTED naming the pre-tokenizer for names it does not know. */
ats_status ats_tok_gguf_pre(tok_pipeline *t, const char *name, size_t len, bool *add_bos,
                            bool *add_sep, ats_error *err);

/* Appends token `id`'s readable piece to out. */
ats_status ats_tok_render_piece(const tok_pipeline *t, int32_t id, tok_buf *out, ats_error *err);

#endif
