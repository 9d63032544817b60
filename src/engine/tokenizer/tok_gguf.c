/* The tokenizer inside a GGUF file (tokenizer.ggml.*), read the way llama.cpp's llama-vocab.cpp
 * reads it:
 *
 *   model "gpt2"  byte-level BPE: tokens in GPT-2's byte alphabet, merges "Ġ t" in rank order,
 *                 the pre-tokenizer regexes named by tokenizer.ggml.pre
 *   model "llama" SentencePiece BPE by scores: "▁" for spaces and in front of the text
 *                 (add_space_prefix), <0xXX> byte tokens for characters outside the vocabulary
 *   model "t5"    SentencePiece Unigram (tok_spiece.c): pieces, scores, types and the
 *                 precompiled character map, segmented as sentencepiece does
 *   model "bert"  WordPiece in llama.cpp's spelling: "▁hello" starts a word, "ing" continues one
 *                 (Hugging Face's "hello" and "##ing"); converted back to that spelling here
 *
 * Token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. Control and
 * unknown tokens are special and are never produced by looking text up; user-defined tokens are
 * matched in the raw text first. As llama.cpp's tokenizer (and its test vectors) do by default,
 * control tokens written in the text ("<s>") are tokenized as plain text. */
#include "base.h"
#include "gguf.h"
#include "tok_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TYPE_NORMAL = 1, TYPE_UNKNOWN = 2, TYPE_CONTROL = 3, TYPE_USER = 4, TYPE_BYTE = 6 };

typedef struct gguf_vocab {
    const char **text; /* (n) into the mapping */
    uint32_t *len;     /* (n) */
    float *scores;     /* (n) or NULL */
    int32_t *types;    /* (n) or NULL */
    uint32_t n;
} gguf_vocab;

static void gguf_vocab_free(gguf_vocab *g) {
    free(g->text);
    free(g->len);
    free(g->scores);
    free(g->types);
}

static bool str_eq(ats_gguf_str s, const char *lit) {
    return s.len == strlen(lit) && memcmp(s.data, lit, s.len) == 0;
}

/* A token id stored under `key`, when present and inside the vocabulary. */
static bool special_id(const ats_gguf *g, const char *key, uint32_t n, int32_t *out) {
    int64_t v;
    if (!ats_gguf_get_int(g, key, &v) || v < 0 || v >= (int64_t)n)
        return false;
    *out = (int32_t)v;
    return true;
}

static bool flag(const ats_gguf *g, const char *key, bool fallback) {
    bool b;
    return ats_gguf_get_bool(g, key, &b) ? b : fallback;
}

static ats_status read_arrays(const ats_gguf *g, gguf_vocab *gv, ats_error *err) {
    const char *path = g->file->path;
    const ats_gguf_kv *kv = ats_gguf_find(g, "tokenizer.ggml.tokens");
    if (!kv)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: tokenizer.ggml.tokens is missing", path);
    ats_status st = ats_gguf_string_array(g, kv, &gv->text, &gv->len, err);
    if (st != ATS_OK)
        return st;
    if (kv->array_len == 0 || kv->array_len > (1u << 24))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: tokenizer.ggml.tokens holds %llu tokens", path,
                        (unsigned long long)kv->array_len);
    gv->n = (uint32_t)kv->array_len;
    if ((kv = ats_gguf_find(g, "tokenizer.ggml.scores"))) {
        if ((st = ats_gguf_float_array(g, kv, &gv->scores, err)) != ATS_OK)
            return st;
        if (kv->array_len != gv->n)
            return ats_fail(err, ATS_ERR_FORMAT, "%s: %llu scores for %u tokens", path,
                            (unsigned long long)kv->array_len, gv->n);
    }
    if ((kv = ats_gguf_find(g, "tokenizer.ggml.token_type"))) {
        if ((st = ats_gguf_int_array(g, kv, &gv->types, err)) != ATS_OK)
            return st;
        if (kv->array_len != gv->n)
            return ats_fail(err, ATS_ERR_FORMAT, "%s: %llu token types for %u tokens", path,
                            (unsigned long long)kv->array_len, gv->n);
    }
    return ATS_OK;
}

static int32_t type_of(const gguf_vocab *gv, uint32_t id) {
    return gv->types ? gv->types[id] : TYPE_NORMAL;
}

/* Flags from the token types; user-defined tokens become added tokens. */
static ats_status apply_types(tok_pipeline *t, const gguf_vocab *gv, ats_error *err) {
    tok_vocab *v = &t->vocab;
    for (uint32_t id = 0; id < gv->n; id++) {
        int32_t type = type_of(gv, id);
        if (type == TYPE_CONTROL || type == TYPE_UNKNOWN)
            v->flags[id] |= TOK_FLAG_SPECIAL | TOK_FLAG_NOLOOKUP;
        if (type == TYPE_USER) {
            ats_status st = ats_tok_pipeline_add_added(
                t, (int32_t)id, tok_vocab_text(v, (int32_t)id), v->len[id], false, err);
            if (st != ATS_OK)
                return st;
        }
    }
    return ATS_OK;
}

/* ---- gpt2 ----------------------------------------------------------------------------------- */

static ats_status gguf_bpe(tok_pipeline *t, const ats_gguf *g, const gguf_vocab *gv,
                           ats_error *err) {
    const char *path = g->file->path;
    tok_vocab *v = &t->vocab;
    tok_buf raw = {0};
    ats_status st = ATS_OK;
    for (uint32_t id = 0; id < gv->n && st == ATS_OK; id++) {
        raw.n = 0;
        bool ok = false;
        /* user-defined tokens are raw text ("ü"), matched in the text before BPE, never looked
         * up by BPE (whose byte-level "Ã¼" is another token) */
        int32_t type = type_of(gv, id);
        if (type == TYPE_USER)
            v->flags[id] |= TOK_FLAG_NOLOOKUP;
        if (type != TYPE_CONTROL && type != TYPE_USER)
            st = ats_tok_bytelevel_decode(gv->text[id], gv->len[id], &raw, &ok, err);
        if (st == ATS_OK)
            st = ok ? ats_tok_vocab_set(v, (int32_t)id, raw.p, raw.n, err)
                    : ats_tok_vocab_set(v, (int32_t)id, gv->text[id], gv->len[id], err);
    }
    if (st == ATS_OK)
        st = apply_types(t, gv, err);
    if (st == ATS_OK)
        st = ats_tok_vocab_build_map(v, false, err);

    const ats_gguf_kv *kv = ats_gguf_find(g, "tokenizer.ggml.merges");
    const char **mt = NULL;
    uint32_t *ml = NULL;
    if (st == ATS_OK && !kv)
        st = ats_fail(err, ATS_ERR_FORMAT, "%s: tokenizer.ggml.merges is missing", path);
    if (st == ATS_OK)
        st = ats_gguf_string_array(g, kv, &mt, &ml, err);
    if (st == ATS_OK)
        st = ats_tok_pairmap_init(&t->model.merges, kv->array_len, err);
    for (uint64_t i = 0; st == ATS_OK && i < kv->array_len; i++) {
        /* "left right", split at the first space after the first character (llama.cpp) */
        const char *m = mt[i];
        const char *sp = ml[i] > 1 ? memchr(m + 1, ' ', ml[i] - 1) : NULL;
        if (!sp) {
            st = ats_fail(err, ATS_ERR_FORMAT, "%s: merge %llu '%.*s' has no space", path,
                          (unsigned long long)i, (int)(ml[i] > 60 ? 60 : ml[i]), m);
            break;
        }
        size_t ll = (size_t)(sp - m), rl = ml[i] - ll - 1;
        bool ok1, ok2;
        raw.n = 0;
        st = ats_tok_bytelevel_decode(m, ll, &raw, &ok1, err);
        size_t split = raw.n;
        if (st == ATS_OK)
            st = ats_tok_bytelevel_decode(sp + 1, rl, &raw, &ok2, err);
        int32_t left, right, merged;
        if (st != ATS_OK || !ok1 || !ok2 || !ats_tok_strmap_get(&v->map, raw.p, split, &left) ||
            !ats_tok_strmap_get(&v->map, raw.p + split, raw.n - split, &right) ||
            !ats_tok_strmap_get(&v->map, raw.p, raw.n, &merged))
            continue; /* a merge whose parts or result are not tokens can never apply */
        st = ats_tok_pairmap_put(&t->model.merges, left, right, (int32_t)i, merged, err);
    }
    free(mt);
    free(ml);
    ats_tok_buf_free(&raw);
    if (st != ATS_OK)
        return st;

    /* the pre-tokenizer llama.cpp names (tok_gguf_pre.c); files without one get llama.cpp's
     * "default" */
    ats_gguf_str pre = {.data = "default", .len = 7};
    ats_gguf_get_str(g, "tokenizer.ggml.pre", &pre);
    bool add_bos = false, add_sep = false;
    if ((st = ats_tok_gguf_pre(t, pre.data, pre.len, &add_bos, &add_sep, err)) != ATS_OK)
        return st;
    t->model.kind = TOK_MODEL_BPE;
    t->model.byte_level = true;
    t->display = TOK_DISPLAY_BYTES;
    int32_t id;
    if (flag(g, "tokenizer.ggml.add_bos_token", add_bos) &&
        special_id(g, "tokenizer.ggml.bos_token_id", gv->n, &id))
        t->prefix[t->n_prefix++] = id;
    if (flag(g, "tokenizer.ggml.add_eos_token", false) &&
        special_id(g, "tokenizer.ggml.eos_token_id", gv->n, &id))
        t->suffix[t->n_suffix++] = id;
    if (flag(g, "tokenizer.ggml.add_sep_token", add_sep) &&
        special_id(g, "tokenizer.ggml.seperator_token_id", gv->n, &id))
        t->suffix[t->n_suffix++] = id;
    snprintf(t->base.kind, sizeof t->base.kind, "byte-level BPE");
    return ATS_OK;
}

/* ---- llama ---------------------------------------------------------------------------------- */

static ats_status add_text_norm(tok_pipeline *t, tok_norm_kind kind, const char *str,
                                const char *pat, ats_error *err) {
    tok_norm *n = ats_tok_pipeline_add_norm(t, kind, err);
    if (!n)
        return ATS_ERR_NOMEM;
    n->str = strdup(str);
    n->str_len = strlen(str);
    if (pat) {
        n->str_pat = strdup(pat);
        n->str_pat_len = strlen(pat);
    }
    if (!n->str || (pat && !n->str_pat))
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    return ATS_OK;
}

static ats_status gguf_spm(tok_pipeline *t, const ats_gguf *g, const gguf_vocab *gv,
                           ats_error *err) {
    tok_vocab *v = &t->vocab;
    ats_status st = ATS_OK;
    for (uint32_t id = 0; id < gv->n && st == ATS_OK; id++) {
        st = ats_tok_vocab_set(v, (int32_t)id, gv->text[id], gv->len[id], err);
        if (gv->scores)
            v->score[id] = gv->scores[id];
        int byte = ats_tok_parse_byte_token(gv->text[id], gv->len[id]);
        if (byte >= 0 && (!gv->types || type_of(gv, id) == TYPE_BYTE)) {
            v->flags[id] |= TOK_FLAG_BYTE | TOK_FLAG_NOLOOKUP;
            v->byte_of[id] = (uint8_t)byte;
            v->byte_id[byte] = (int32_t)id;
        }
    }
    if (st == ATS_OK)
        st = apply_types(t, gv, err);
    if (st == ATS_OK)
        st =
            ats_tok_vocab_build_map(v, false, err); /* llama.cpp's token_to_id: the last one wins */
    if (st == ATS_OK && flag(g, "tokenizer.ggml.add_space_prefix", true))
        st = add_text_norm(t, TOK_NORM_PREPEND, "\xE2\x96\x81", NULL, err);
    if (st == ATS_OK)
        st = add_text_norm(t, TOK_NORM_REPLACE, "\xE2\x96\x81", " ", err);
    if (st != ATS_OK)
        return st;
    t->model.kind = TOK_MODEL_SPM;
    t->model.unk_id = 0;
    special_id(g, "tokenizer.ggml.unknown_token_id", gv->n, &t->model.unk_id);
    if (t->model.unk_id >= (int32_t)gv->n)
        t->model.unk_id = -1;
    t->display = TOK_DISPLAY_SPM;
    int32_t bos = 1, eos = 2;
    special_id(g, "tokenizer.ggml.bos_token_id", gv->n, &bos);
    special_id(g, "tokenizer.ggml.eos_token_id", gv->n, &eos);
    if (flag(g, "tokenizer.ggml.add_bos_token", true) && bos < (int32_t)gv->n)
        t->prefix[t->n_prefix++] = bos;
    if (flag(g, "tokenizer.ggml.add_eos_token", false) && eos < (int32_t)gv->n)
        t->suffix[t->n_suffix++] = eos;
    snprintf(t->base.kind, sizeof t->base.kind, "SentencePiece BPE");
    return ATS_OK;
}

/* ---- t5 ----------------------------------------------------------------------------------- */

/* True for a piece llama.cpp's converter wrote to pad the vocabulary: "[PAD<id>]", unused. */
static bool is_pad_row(const gguf_vocab *gv, uint32_t id) {
    char name[32];
    int k = snprintf(name, sizeof name, "[PAD%u]", id);
    return type_of(gv, id) == TOK_PIECE_UNUSED && gv->len[id] == (uint32_t)k &&
           memcmp(gv->text[id], name, (size_t)k) == 0;
}

/* A SentencePiece Unigram vocabulary (T5) read as sentencepiece reads spiece.model: the pieces,
 * scores and types, tokenizer.ggml.precompiled_charsmap, add_space_prefix and
 * remove_extra_whitespaces. The rows the converter padded with [PAD<id>] get T5's names
 * <extra_id_N> (100 of them at most, counting down) and <unused_ID>. */
static ats_status gguf_ugm(tok_pipeline *t, const ats_gguf *g, const gguf_vocab *gv,
                           ats_error *err) {
    const char *path = g->file->path;
    uint32_t n = gv->n;
    while (n > 1 && is_pad_row(gv, n - 1))
        n--;
    tok_spm_desc s = {.path = path,
                      .model_type = 1,
                      .eos_id = 1,
                      .dummy_prefix = flag(g, "tokenizer.ggml.add_space_prefix", true),
                      .remove_extra_ws = flag(g, "tokenizer.ggml.remove_extra_whitespaces", true),
                      .escape_ws = true};
    const ats_gguf_kv *map = ats_gguf_find(g, "tokenizer.ggml.precompiled_charsmap");
    if (map && (map->type != ATS_GGUF_ARRAY ||
                (map->array_type != ATS_GGUF_UINT8 && map->array_type != ATS_GGUF_INT8)))
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: tokenizer.ggml.precompiled_charsmap is not an array of bytes", path);
    if (map) {
        s.charsmap = map->array_data;
        s.charsmap_len = (size_t)map->array_len;
    }
    if (!(s.pieces = calloc(n, sizeof *s.pieces)))
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    int n_bytes = 0;
    for (uint32_t id = 0; id < n; id++) {
        int32_t type = type_of(gv, id);
        s.pieces[id] = (tok_spm_piece){
            .text = gv->text[id],
            .len = gv->len[id],
            .score = gv->scores ? gv->scores[id] : 0.0f,
            .type = type >= TOK_PIECE_NORMAL && type <= TOK_PIECE_BYTE ? type : TOK_PIECE_NORMAL};
        n_bytes += type == TOK_PIECE_BYTE;
    }
    s.n = n;
    s.byte_fallback = n_bytes == 256;
    int32_t eos = 1;
    special_id(g, "tokenizer.ggml.eos_token_id", n, &eos);
    s.eos_id = flag(g, "tokenizer.ggml.add_eos_token", true) ? eos : -1;
    uint32_t n_extra = gv->n - n < 100 ? gv->n - n : 100;
    ats_status st = ats_tok_spm_unigram_build(t, &s, (int)gv->n, (int)n_extra, err);
    free(s.pieces);
    return st;
}

/* ---- bert ----------------------------------------------------------------------------------- */

static ats_status gguf_wpm(tok_pipeline *t, const ats_gguf *g, const gguf_vocab *gv,
                           ats_error *err) {
    tok_vocab *v = &t->vocab;
    tok_buf hf = {0};
    ats_status st = ATS_OK;
    for (uint32_t id = 0; id < gv->n && st == ATS_OK; id++) {
        /* back to Hugging Face's spelling: "▁word" -> "word", "[CLS]" as is, "ing" -> "##ing" */
        const char *s = gv->text[id];
        uint32_t n = gv->len[id];
        int32_t type = type_of(gv, id);
        hf.n = 0;
        if (n >= 3 && memcmp(s, "\xE2\x96\x81", 3) == 0)
            st = ats_tok_buf_append(&hf, s + 3, n - 3, err);
        else if (type == TYPE_CONTROL || type == TYPE_UNKNOWN ||
                 (n >= 2 && s[0] == '[' && s[n - 1] == ']'))
            st = ats_tok_buf_append(&hf, s, n, err);
        else if ((st = ats_tok_buf_append(&hf, "##", 2, err)) == ATS_OK)
            st = ats_tok_buf_append(&hf, s, n, err);
        if (st == ATS_OK)
            st = ats_tok_vocab_set(v, (int32_t)id, hf.p, hf.n, err);
    }
    ats_tok_buf_free(&hf);
    if (st == ATS_OK)
        st = apply_types(t, gv, err);
    if (st == ATS_OK)
        st = ats_tok_vocab_build_map(v, false, err);
    tok_norm *n = st == ATS_OK ? ats_tok_pipeline_add_norm(t, TOK_NORM_BERT, err) : NULL;
    if (st == ATS_OK && !n)
        st = ATS_ERR_NOMEM;
    if (st != ATS_OK)
        return st;
    /* llama.cpp lower-cases every BERT vocabulary; accents go with lower-casing, as in BERT */
    n->clean_text = n->chinese = n->strip_accents = n->lowercase = true;
    if (!ats_tok_pipeline_add_pre(t, TOK_PRE_BERT, err))
        return ATS_ERR_NOMEM;
    t->model.kind = TOK_MODEL_WORDPIECE;
    memcpy(t->model.prefix, "##", 3);
    t->model.prefix_len = 2;
    t->model.unk_id = 100 < (int32_t)gv->n ? 100 : -1;
    special_id(g, "tokenizer.ggml.unknown_token_id", gv->n, &t->model.unk_id);
    t->display = TOK_DISPLAY_TEXT;
    int32_t cls = 101, sep = 102;
    if (!special_id(g, "tokenizer.ggml.cls_token_id", gv->n, &cls))
        special_id(g, "tokenizer.ggml.bos_token_id", gv->n, &cls);
    special_id(g, "tokenizer.ggml.seperator_token_id", gv->n, &sep);
    if (cls < (int32_t)gv->n)
        t->prefix[t->n_prefix++] = cls;
    if (sep < (int32_t)gv->n)
        t->suffix[t->n_suffix++] = sep;
    snprintf(t->base.kind, sizeof t->base.kind, "WordPiece");
    return ATS_OK;
}

ats_status ats_tokenizer_from_gguf(const struct ats_gguf *g, ats_tokenizer **out, ats_error *err) {
    *out = NULL;
    const char *path = g->file->path;
    ats_gguf_str model;
    if (!ats_gguf_get_str(g, "tokenizer.ggml.model", &model))
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: no tokenizer inside (tokenizer.ggml.model is missing)", path);
    gguf_vocab gv = {0};
    ats_status st = read_arrays(g, &gv, err);
    tok_pipeline *t = st == ATS_OK ? ats_tok_pipeline_new(path, err) : NULL;
    if (st == ATS_OK && !t)
        st = ATS_ERR_NOMEM;
    bool ugm = str_eq(model, "t5");
    if (st == ATS_OK && !ugm) /* t5 builds its own */
        st = ats_tok_vocab_init(&t->vocab, (int32_t)gv.n, gv.scores != NULL, err);
    if (st == ATS_OK) {
        if (ugm)
            st = gguf_ugm(t, g, &gv, err);
        else if (str_eq(model, "gpt2"))
            st = gguf_bpe(t, g, &gv, err);
        else if (str_eq(model, "llama"))
            st = gguf_spm(t, g, &gv, err);
        else if (str_eq(model, "bert"))
            st = gguf_wpm(t, g, &gv, err);
        else
            st = ats_fail(err, ATS_ERR_UNSUPPORTED,
                          "%s: tokenizer model '%.*s' is not supported (gpt2, llama, bert, t5 are)",
                          path, (int)(model.len > 40 ? 40 : model.len), model.data);
    }
    gguf_vocab_free(&gv);
    if (st != ATS_OK) {
        ats_tok_pipeline_free(t ? &t->base : NULL);
        return st;
    }
    t->base.vocab_size = (int)gv.n;
    *out = &t->base;
    return ATS_OK;
}
