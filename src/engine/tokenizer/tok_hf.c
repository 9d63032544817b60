/* Hugging Face tokenizer folders: tokenizer.json when present (tok_hf_json.c), else
 * vocab.json + merges.txt (GPT-2 byte-level BPE), else vocab.txt (BERT WordPiece, lower-casing
 * per tokenizer_config.json's do_lower_case, on by default, with [CLS] ... [SEP] around). */
#include "base.h"
#include "mapped_file.h"
#include "tok_hf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- shared helpers ------------------------------------------------------------------------- */

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

ats_status ats_tok_hf_load_json(const char *path, json_t **out, ats_error *err) {
    char *text;
    size_t len;
    ats_status st = ats_read_text_file(path, &text, &len, err);
    if (st != ATS_OK)
        return st;
    json_error_t jerr;
    *out = json_loadb(text, len, 0, &jerr);
    free(text);
    if (!*out)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: not valid JSON (line %d, column %d: %s)", path,
                        jerr.line, jerr.column, jerr.text);
    return ATS_OK;
}

bool ats_tok_hf_bool(const json_t *obj, const char *key, bool fallback) {
    const json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : fallback;
}

const char *ats_tok_hf_str(const json_t *obj, const char *key) {
    return json_string_value(json_object_get(obj, key));
}

size_t ats_tok_hf_strlen(const json_t *obj, const char *key) {
    return json_string_length(json_object_get(obj, key));
}

ats_status ats_tok_hf_dup(const char *s, size_t n, char **out, size_t *len, ats_error *err) {
    *len = n;
    *out = malloc(n + 1);
    if (!*out)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    memcpy(*out, s, n);
    (*out)[n] = '\0';
    return ATS_OK;
}

/* Sets a token's text, decoded from GPT-2's byte alphabet when the vocabulary is byte-level
 * (texts outside that alphabet stay as they are). */
static ats_status set_token(tok_vocab *v, int32_t id, const char *s, size_t n, bool byte_level,
                            tok_buf *scratch, ats_error *err) {
    if (byte_level) {
        bool ok;
        scratch->n = 0;
        ats_status st = ats_tok_bytelevel_decode(s, n, scratch, &ok, err);
        if (st != ATS_OK)
            return st;
        if (ok)
            return ats_tok_vocab_set(v, id, scratch->p, scratch->n, err);
    }
    return ats_tok_vocab_set(v, id, s, n, err);
}

/* The largest id in a {"text": id} object, checking every id; -1 when not such an object. */
ats_status ats_tok_hf_vocab_max(const char *path, const json_t *vocab, int64_t *max,
                                ats_error *err) {
    *max = -1;
    if (!json_is_object(vocab))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: the vocabulary is not a {\"token\": id} object",
                        path);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)vocab, key, value) {
        json_int_t id = json_integer_value(value);
        if (!json_is_integer(value) || id < 0 || id >= TOK_HF_MAX_VOCAB)
            return ats_fail(err, ATS_ERR_FORMAT, "%s: token '%.60s' has an invalid id", path, key);
        if (id > *max)
            *max = id;
    }
    return ATS_OK;
}

ats_status ats_tok_hf_set_vocab(tok_pipeline *t, const json_t *vocab, bool byte_level,
                                ats_error *err) {
    tok_buf scratch = {0};
    ats_status st = ATS_OK;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)vocab, key, value) {
        int32_t id = (int32_t)json_integer_value(value);
        st = set_token(&t->vocab, id, key, strlen(key), byte_level, &scratch, err);
        if (st != ATS_OK)
            break;
        if (!byte_level) { /* <0xXX> pieces are the byte-fallback tokens */
            int byte = ats_tok_parse_byte_token(key, strlen(key));
            if (byte >= 0) {
                t->vocab.flags[id] |= TOK_FLAG_BYTE;
                t->vocab.byte_of[id] = (uint8_t)byte;
                t->vocab.byte_id[byte] = id;
            }
        }
    }
    ats_tok_buf_free(&scratch);
    return st;
}

/* Adds the merge "left right" with the given rank. Merges whose parts or result are not in the
 * vocabulary can never apply and are skipped. */
ats_status ats_tok_hf_add_merge(tok_pipeline *t, const char *left, size_t ll, const char *right,
                                size_t rl, int32_t rank, bool byte_level, tok_buf *scratch,
                                ats_error *err) {
    scratch->n = 0;
    bool ok1 = true, ok2 = true;
    ats_status st;
    if (byte_level) {
        if ((st = ats_tok_bytelevel_decode(left, ll, scratch, &ok1, err)) != ATS_OK)
            return st;
        ll = scratch->n;
        if ((st = ats_tok_bytelevel_decode(right, rl, scratch, &ok2, err)) != ATS_OK)
            return st;
        rl = scratch->n - ll;
    } else {
        if ((st = ats_tok_buf_append(scratch, left, ll, err)) != ATS_OK ||
            (st = ats_tok_buf_append(scratch, right, rl, err)) != ATS_OK)
            return st;
    }
    const tok_strmap *map = &t->vocab.map;
    int32_t a, b, merged;
    if (!ok1 || !ok2 || !ats_tok_strmap_get(map, scratch->p, ll, &a) ||
        !ats_tok_strmap_get(map, scratch->p + ll, rl, &b) ||
        !ats_tok_strmap_get(map, scratch->p, ll + rl, &merged))
        return ATS_OK;
    return ats_tok_pairmap_put(&t->model.merges, a, b, rank, merged, err);
}

/* ---- vocab.json + merges.txt ---------------------------------------------------------------- */

static ats_status from_gpt2_files(const char *vocab_path, const char *merges_path,
                                  tok_pipeline **out, ats_error *err) {
    json_t *vocab;
    ats_status st = ats_tok_hf_load_json(vocab_path, &vocab, err);
    if (st != ATS_OK)
        return st;
    int64_t max;
    tok_pipeline *t = NULL;
    char *text = NULL;
    if ((st = ats_tok_hf_vocab_max(vocab_path, vocab, &max, err)) == ATS_OK &&
        (t = ats_tok_pipeline_new(vocab_path, err)) == NULL)
        st = ATS_ERR_NOMEM;
    if (st == ATS_OK &&
        (st = ats_tok_vocab_init(&t->vocab, (int32_t)max + 1, false, err)) == ATS_OK &&
        (st = ats_tok_hf_set_vocab(t, vocab, true, err)) == ATS_OK) {
        /* <|endoftext|> is GPT-2's one special token; match it in the text as Hugging Face does */
        const json_t *eot = json_object_get(vocab, "<|endoftext|>");
        if (json_is_integer(eot)) {
            int32_t id = (int32_t)json_integer_value(eot);
            t->vocab.flags[id] |= TOK_FLAG_SPECIAL;
            st = ats_tok_pipeline_add_added(t, id, "<|endoftext|>", 13, true, err);
        }
    }
    json_decref(vocab);
    if (st == ATS_OK)
        st = ats_tok_vocab_build_map(&t->vocab, true, err);
    size_t len = 0;
    if (st == ATS_OK)
        st = ats_read_text_file(merges_path, &text, &len, err);
    if (st == ATS_OK)
        st = ats_tok_pairmap_init(&t->model.merges, 50000, err);
    tok_buf scratch = {0};
    int32_t rank = 0;
    size_t line_no = 0;
    for (size_t at = 0; st == ATS_OK && at < len;) {
        const char *line = text + at;
        const char *nl = memchr(line, '\n', len - at);
        size_t n = nl ? (size_t)(nl - line) : len - at;
        at += n + 1;
        line_no++;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (n == 0 || (n >= 8 && memcmp(line, "#version", 8) == 0))
            continue;
        const char *sp = n > 1 ? memchr(line + 1, ' ', n - 1) : NULL;
        if (!sp || memchr(sp + 1, ' ', n - (size_t)(sp + 1 - line))) {
            st = ats_fail(err, ATS_ERR_FORMAT,
                          "%s: line %zu is not two tokens separated by one space", merges_path,
                          line_no);
            break;
        }
        st = ats_tok_hf_add_merge(t, line, (size_t)(sp - line), sp + 1, n - (size_t)(sp + 1 - line),
                                  rank++, true, &scratch, err);
    }
    ats_tok_buf_free(&scratch);
    free(text);
    if (st == ATS_OK)
        st = ats_tok_pipeline_add_bytelevel(t, false, true, err);
    if (st != ATS_OK) {
        ats_tok_pipeline_free(t ? &t->base : NULL);
        return st;
    }
    t->model.kind = TOK_MODEL_BPE;
    t->model.byte_level = true;
    t->display = TOK_DISPLAY_BYTES;
    snprintf(t->base.kind, sizeof t->base.kind, "byte-level BPE");
    t->base.vocab_size = t->vocab.n;
    *out = t;
    return ATS_OK;
}

/* ---- vocab.txt ------------------------------------------------------------------------------ */

static ats_status from_vocab_txt(const char *path, const char *config_path, tok_pipeline **out,
                                 ats_error *err) {
    bool lower = true, chinese = true;
    int strip = -1; /* tokenizer_config.json's strip_accents: null follows lower-casing */
    if (file_exists(config_path)) {
        json_t *config;
        ats_status st = ats_tok_hf_load_json(config_path, &config, err);
        if (st != ATS_OK)
            return st;
        lower = ats_tok_hf_bool(config, "do_lower_case", true);
        chinese = ats_tok_hf_bool(config, "tokenize_chinese_chars", true);
        const json_t *s = json_object_get(config, "strip_accents");
        if (json_is_boolean(s))
            strip = json_is_true(s);
        json_decref(config);
    }
    char *text;
    size_t len;
    ats_status st = ats_read_text_file(path, &text, &len, err);
    if (st != ATS_OK)
        return st;
    /* one token per line, ids by line number; trailing whitespace is not part of a token */
    int32_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    if (len > 0 && text[len - 1] != '\n')
        n++;
    tok_pipeline *t = NULL;
    if (n == 0)
        st = ats_fail(err, ATS_ERR_FORMAT, "%s: the vocabulary is empty", path);
    else if (n >= TOK_HF_MAX_VOCAB)
        st = ats_fail(err, ATS_ERR_FORMAT, "%s: %d lines is too many tokens", path, n);
    else if (!(t = ats_tok_pipeline_new(path, err)))
        st = ATS_ERR_NOMEM;
    if (st == ATS_OK)
        st = ats_tok_vocab_init(&t->vocab, n, false, err);
    for (int32_t id = 0, at = 0; st == ATS_OK && id < n; id++) {
        const char *line = text + at;
        const char *nl = memchr(line, '\n', len - (size_t)at);
        size_t k = nl ? (size_t)(nl - line) : len - (size_t)at;
        at += (int32_t)k + 1;
        while (k > 0 && (line[k - 1] == '\r' || line[k - 1] == ' ' || line[k - 1] == '\t'))
            k--;
        st = ats_tok_vocab_set(&t->vocab, id, line, k, err);
    }
    free(text);
    if (st == ATS_OK)
        st = ats_tok_vocab_build_map(&t->vocab, false, err);
    int32_t id, cls = -1, sep = -1;
    static const char *const specials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    for (int i = 0; i < 5 && st == ATS_OK; i++) {
        if (ats_tok_strmap_get(&t->vocab.map, specials[i], strlen(specials[i]), &id)) {
            t->vocab.flags[id] |= TOK_FLAG_SPECIAL;
            st = ats_tok_pipeline_add_added(t, id, specials[i], strlen(specials[i]), true, err);
            if (i == 1)
                t->model.unk_id = id;
            if (i == 2)
                cls = id;
            if (i == 3)
                sep = id;
        }
    }
    tok_norm *nm = st == ATS_OK ? ats_tok_pipeline_add_norm(t, TOK_NORM_BERT, err) : NULL;
    if (st == ATS_OK && !nm)
        st = ATS_ERR_NOMEM;
    if (st == ATS_OK && !ats_tok_pipeline_add_pre(t, TOK_PRE_BERT, err))
        st = ATS_ERR_NOMEM;
    if (st != ATS_OK) {
        ats_tok_pipeline_free(t ? &t->base : NULL);
        return st;
    }
    nm->clean_text = true;
    nm->chinese = chinese;
    nm->lowercase = lower;
    nm->strip_accents = strip < 0 ? lower : strip == 1;
    t->model.kind = TOK_MODEL_WORDPIECE;
    memcpy(t->model.prefix, "##", 3);
    t->model.prefix_len = 2;
    t->display = TOK_DISPLAY_TEXT;
    if (cls >= 0 && sep >= 0) {
        t->prefix[t->n_prefix++] = cls;
        t->suffix[t->n_suffix++] = sep;
    }
    snprintf(t->base.kind, sizeof t->base.kind, "WordPiece");
    t->base.vocab_size = n;
    *out = t;
    return ATS_OK;
}

/* ---- spiece.model ------------------------------------------------------------------------- */

/* An integer member of a JSON file in the folder, or `fallback`. */
static int json_int_in(const char *dir, const char *file, const char *key, int fallback) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    json_t *root = json_load_file(path, 0, NULL);
    const json_t *v = json_object_get(root, key);
    int out = json_is_integer(v) && json_integer_value(v) >= 0 &&
                      json_integer_value(v) <= TOK_HF_MAX_VOCAB
                  ? (int)json_integer_value(v)
                  : fallback;
    json_decref(root);
    return out;
}

/* True for a T5-family folder (config.json's model_type t5, mt5 or umt5). */
static bool is_t5_folder(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    json_t *root = json_load_file(path, 0, NULL);
    const char *type = ats_tok_hf_str(root, "model_type");
    bool t5 = type && (!strcmp(type, "t5") || !strcmp(type, "mt5") || !strcmp(type, "umt5"));
    json_decref(root);
    return t5;
}

/* spiece.model with the ids config.json's vocab_size adds past its pieces: T5's <extra_id_N>
 * (tokenizer_config.json's extra_ids, 100 by default). */
static ats_status from_spiece(const char *dir, const char *path, ats_tokenizer **out,
                              ats_error *err) {
    int vocab_size = json_int_in(dir, "config.json", "vocab_size", 0);
    int n_extra =
        is_t5_folder(dir) ? json_int_in(dir, "tokenizer_config.json", "extra_ids", 100) : 0;
    return ats_tokenizer_from_spiece(path, vocab_size, n_extra, out, err);
}

ats_status ats_tokenizer_from_hf_folder(const char *dir, ats_tokenizer **out, ats_error *err) {
    *out = NULL;
    char a[4096], b[4096];
    tok_pipeline *t = NULL;
    ats_status st;
    snprintf(a, sizeof a, "%s/spiece.model", dir);
    snprintf(b, sizeof b, "%s/tokenizer.json", dir);
    if (file_exists(a) && (is_t5_folder(dir) || !file_exists(b)))
        return from_spiece(dir, a, out, err);
    snprintf(a, sizeof a, "%s/tokenizer.json", dir);
    if (file_exists(a)) {
        st = ats_tok_hf_from_tokenizer_json(a, &t, err);
    } else {
        snprintf(a, sizeof a, "%s/vocab.json", dir);
        snprintf(b, sizeof b, "%s/merges.txt", dir);
        if (file_exists(a) && file_exists(b)) {
            st = from_gpt2_files(a, b, &t, err);
        } else {
            snprintf(a, sizeof a, "%s/vocab.txt", dir);
            snprintf(b, sizeof b, "%s/tokenizer_config.json", dir);
            if (!file_exists(a))
                return ats_fail(err, ATS_ERR_FORMAT,
                                "%s: no tokenizer.json, vocab.json + merges.txt or vocab.txt", dir);
            st = from_vocab_txt(a, b, &t, err);
        }
    }
    if (st == ATS_OK)
        *out = &t->base;
    return st;
}
