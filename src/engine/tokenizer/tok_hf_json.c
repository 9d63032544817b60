/* tokenizer.json: the pipeline it describes maps onto tok_pipeline one to one.
 *
 *   "normalizer"     BertNormalizer, Lowercase, NF(K)C/D, StripAccents, Strip, Prepend, Replace,
 *                    Precompiled (SentencePiece's character map), Sequence
 *   "pre_tokenizer"  ByteLevel, Split (the file's own regex, through PCRE2), BertPreTokenizer,
 *                    Whitespace, WhitespaceSplit, Metaspace, Digits, Punctuation, Sequence
 *   "model"          BPE (merges as "a b" or [a, b], unk_token, fuse_unk, byte_fallback,
 *                    ignore_merges), WordPiece, Unigram (scores added in float64)
 *   "added_tokens"   matched in the raw text first (lstrip, rstrip, single_word); "special"
 *                    ones are flagged special
 *   "post_processor" TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence
 *
 * Anything else is refused with a message naming the file and the component. A byte-level
 * vocabulary (a ByteLevel pre-tokenizer anywhere) is decoded to raw bytes on loading. */
#include "base.h"
#include "tok_hf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ats_status dup_string(const json_t *s, char **out, size_t *len, ats_error *err) {
    return ats_tok_hf_dup(json_string_value(s), json_string_length(s), out, len, err);
}

static ats_status add_merges_json(tok_pipeline *t, const char *path, const json_t *merges,
                                  bool byte_level, ats_error *err) {
    if (!json_is_array(merges))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: model.merges is not an array", path);
    ats_status st = ats_tok_pairmap_init(&t->model.merges, json_array_size(merges), err);
    tok_buf scratch = {0};
    for (size_t i = 0; i < json_array_size(merges) && st == ATS_OK; i++) {
        const json_t *m = json_array_get(merges, i);
        if (json_is_string(m)) { /* "left right" */
            const char *s = json_string_value(m);
            size_t n = json_string_length(m);
            const char *sp = n > 1 ? memchr(s + 1, ' ', n - 1) : NULL;
            if (!sp) {
                st = ats_fail(err, ATS_ERR_FORMAT, "%s: merge %zu \"%.60s\" is not two tokens",
                              path, i, s);
                break;
            }
            st = ats_tok_hf_add_merge(t, s, (size_t)(sp - s), sp + 1, n - (size_t)(sp - s) - 1,
                                      (int32_t)i, byte_level, &scratch, err);
        } else if (json_is_array(m) && json_array_size(m) == 2 &&
                   json_is_string(json_array_get(m, 0)) && json_is_string(json_array_get(m, 1))) {
            const json_t *l = json_array_get(m, 0), *r = json_array_get(m, 1);
            st = ats_tok_hf_add_merge(t, json_string_value(l), json_string_length(l),
                                      json_string_value(r), json_string_length(r), (int32_t)i,
                                      byte_level, &scratch, err);
        } else {
            st = ats_fail(err, ATS_ERR_FORMAT, "%s: merge %zu is neither \"a b\" nor [a, b]", path,
                          i);
        }
    }
    ats_tok_buf_free(&scratch);
    return st;
}

/* ---- tokenizer.json: normalizers ------------------------------------------------------------ */

static ats_status pattern_of(const char *path, const json_t *node, const char *what,
                             const json_t **string, const json_t **regex, ats_error *err) {
    const json_t *pat = json_object_get(node, "pattern");
    *string = json_object_get(pat, "String");
    *regex = json_object_get(pat, "Regex");
    if (!json_is_string(*string) && !json_is_string(*regex))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: %s without a String or Regex pattern", path,
                        what);
    return ATS_OK;
}

/* Standard base64 (padding optional) into out (at least 3 * n / 4 + 3 bytes); false on a
 * character outside the alphabet. */
static bool base64_decode(const char *s, size_t n, uint8_t *out, size_t *len) {
    uint32_t acc = 0;
    int bits = 0;
    *len = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        const char *digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *p = s[i] ? strchr(digits, s[i]) : NULL;
        if (!p)
            return false;
        acc = (acc << 6) | (uint32_t)(p - digits);
        if ((bits += 6) >= 8) {
            bits -= 8;
            out[(*len)++] = (uint8_t)(acc >> bits);
        }
    }
    return true;
}

/* Precompiled: SentencePiece's character map, base64 in "precompiled_charsmap" (an empty one
 * changes nothing). */
static ats_status parse_precompiled(tok_pipeline *t, const char *path, const json_t *node,
                                    ats_error *err) {
    const json_t *map = json_object_get(node, "precompiled_charsmap");
    size_t n = json_string_length(map), len;
    if (n == 0)
        return ATS_OK;
    uint8_t *blob = malloc(n / 4 * 3 + 3);
    if (!blob)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    ats_status st = ATS_OK;
    tok_norm *nm = NULL;
    if (!base64_decode(json_string_value(map), n, blob, &len))
        st = ats_fail(err, ATS_ERR_FORMAT, "%s: precompiled_charsmap is not base64", path);
    else if (!(nm = ats_tok_pipeline_add_norm(t, TOK_NORM_PRECOMPILED, err)))
        st = ATS_ERR_NOMEM;
    else {
        nm->source = t->source;
        st = ats_tok_charsmap_parse(blob, len, path, &nm->charsmap, err);
    }
    free(blob);
    return st;
}

static ats_status parse_normalizer(tok_pipeline *t, const char *path, const json_t *node, int depth,
                                   ats_error *err) {
    if (json_is_null(node) || !node)
        return ATS_OK;
    const char *type = ats_tok_hf_str(node, "type");
    if (!json_is_object(node) || !type || depth > 8)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: a normalizer without a type", path);
    if (strcmp(type, "Sequence") == 0) {
        const json_t *list = json_object_get(node, "normalizers");
        ats_status st = ATS_OK;
        for (size_t i = 0; i < json_array_size(list) && st == ATS_OK; i++)
            st = parse_normalizer(t, path, json_array_get(list, i), depth + 1, err);
        return st;
    }
    if (strcmp(type, "Precompiled") == 0)
        return parse_precompiled(t, path, node, err);
    static const struct {
        const char *name;
        tok_norm_kind kind;
    } kinds[] = {{"BertNormalizer", TOK_NORM_BERT},
                 {"Lowercase", TOK_NORM_LOWERCASE},
                 {"NFD", TOK_NORM_NFD},
                 {"NFKD", TOK_NORM_NFKD},
                 {"NFC", TOK_NORM_NFC},
                 {"NFKC", TOK_NORM_NFKC},
                 {"StripAccents", TOK_NORM_STRIP_ACCENTS},
                 {"Strip", TOK_NORM_STRIP},
                 {"Prepend", TOK_NORM_PREPEND},
                 {"Replace", TOK_NORM_REPLACE}};
    size_t k = 0;
    while (k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k].name, type) != 0)
        k++;
    if (k == sizeof kinds / sizeof kinds[0])
        return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: normalizer '%.40s' is not supported", path,
                        type);
    tok_norm *n = ats_tok_pipeline_add_norm(t, kinds[k].kind, err);
    if (!n)
        return ATS_ERR_NOMEM;
    switch (n->kind) {
    case TOK_NORM_BERT: {
        n->clean_text = ats_tok_hf_bool(node, "clean_text", true);
        n->chinese = ats_tok_hf_bool(node, "handle_chinese_chars", true);
        n->lowercase = ats_tok_hf_bool(node, "lowercase", true);
        n->strip_accents =
            ats_tok_hf_bool(node, "strip_accents", n->lowercase); /* null: as lowercase */
        return ATS_OK;
    }
    case TOK_NORM_STRIP:
        n->left = ats_tok_hf_bool(node, "strip_left", true);
        n->right = ats_tok_hf_bool(node, "strip_right", true);
        return ATS_OK;
    case TOK_NORM_PREPEND: {
        const json_t *p = json_object_get(node, "prepend");
        if (!json_is_string(p))
            return ats_fail(err, ATS_ERR_FORMAT, "%s: Prepend normalizer without text", path);
        return dup_string(p, &n->str, &n->str_len, err);
    }
    case TOK_NORM_REPLACE: {
        const json_t *string, *regex, *content = json_object_get(node, "content");
        ats_status st = pattern_of(path, node, "Replace normalizer", &string, &regex, err);
        if (st == ATS_OK && !json_is_string(content))
            st = ats_fail(err, ATS_ERR_FORMAT, "%s: Replace normalizer without content", path);
        if (st == ATS_OK)
            st = dup_string(content, &n->str, &n->str_len, err);
        if (st != ATS_OK)
            return st;
        if (json_is_string(string))
            return dup_string(string, &n->str_pat, &n->str_pat_len, err);
        return ats_tok_regex_compile(json_string_value(regex), json_string_length(regex), path,
                                     &n->re, err);
    }
    default:
        return ATS_OK;
    }
}

/* ---- tokenizer.json: pre-tokenizers --------------------------------------------------------- */

static ats_status behavior_of(const char *path, const json_t *node, tok_split_behavior fallback,
                              tok_split_behavior *out, ats_error *err) {
    const char *b = ats_tok_hf_str(node, "behavior");
    static const char *const names[] = {"Removed", "Isolated", "MergedWithPrevious",
                                        "MergedWithNext", "Contiguous"};
    *out = fallback;
    if (!b)
        return ATS_OK;
    for (int i = 0; i < 5; i++) {
        if (strcmp(b, names[i]) == 0) {
            *out = (tok_split_behavior)i;
            return ATS_OK;
        }
    }
    return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: split behavior '%.40s' is not supported", path,
                    b);
}

static bool has_bytelevel(const json_t *node) {
    const char *type = ats_tok_hf_str(node, "type");
    if (!type)
        return false;
    if (strcmp(type, "ByteLevel") == 0)
        return true;
    const json_t *list = json_object_get(node, "pretokenizers");
    for (size_t i = 0; i < json_array_size(list); i++) {
        if (has_bytelevel(json_array_get(list, i)))
            return true;
    }
    return false;
}

static ats_status parse_pre(tok_pipeline *t, const char *path, const json_t *node, int depth,
                            ats_error *err) {
    if (json_is_null(node) || !node)
        return ATS_OK;
    const char *type = ats_tok_hf_str(node, "type");
    if (!json_is_object(node) || !type || depth > 8)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: a pre-tokenizer without a type", path);
    ats_status st = ATS_OK;
    if (strcmp(type, "Sequence") == 0) {
        const json_t *list = json_object_get(node, "pretokenizers");
        for (size_t i = 0; i < json_array_size(list) && st == ATS_OK; i++)
            st = parse_pre(t, path, json_array_get(list, i), depth + 1, err);
        return st;
    }
    if (strcmp(type, "ByteLevel") == 0)
        return ats_tok_pipeline_add_bytelevel(t, ats_tok_hf_bool(node, "add_prefix_space", true),
                                              ats_tok_hf_bool(node, "use_regex", true), err);
    if (strcmp(type, "Whitespace") == 0) /* keep runs of word characters or of other symbols */
        return ats_tok_pipeline_add_regex_split(t, "\\w+|[^\\w\\s]+", TOK_SPLIT_REMOVED, true, err);
    tok_pre_kind kind;
    if (strcmp(type, "Split") == 0)
        kind = TOK_PRE_SPLIT;
    else if (strcmp(type, "BertPreTokenizer") == 0)
        kind = TOK_PRE_BERT;
    else if (strcmp(type, "WhitespaceSplit") == 0)
        kind = TOK_PRE_WHITESPACE_SPLIT;
    else if (strcmp(type, "Metaspace") == 0)
        kind = TOK_PRE_METASPACE;
    else if (strcmp(type, "Digits") == 0)
        kind = TOK_PRE_DIGITS;
    else if (strcmp(type, "Punctuation") == 0)
        kind = TOK_PRE_PUNCTUATION;
    else
        return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: pre-tokenizer '%.40s' is not supported",
                        path, type);
    tok_pre *p = ats_tok_pipeline_add_pre(t, kind, err);
    if (!p)
        return ATS_ERR_NOMEM;
    switch (kind) {
    case TOK_PRE_SPLIT: {
        const json_t *string, *regex;
        if ((st = pattern_of(path, node, "Split pre-tokenizer", &string, &regex, err)) != ATS_OK ||
            (st = behavior_of(path, node, TOK_SPLIT_ISOLATED, &p->behavior, err)) != ATS_OK)
            return st;
        p->invert = ats_tok_hf_bool(node, "invert", false);
        if (json_is_string(string))
            return dup_string(string, &p->str, &p->str_len, err);
        return ats_tok_regex_compile(json_string_value(regex), json_string_length(regex), path,
                                     &p->re, err);
    }
    case TOK_PRE_METASPACE: {
        const json_t *rep = json_object_get(node, "replacement");
        if (json_is_string(rep))
            st = dup_string(rep, &p->str, &p->str_len, err);
        else
            st = ats_tok_hf_dup("\xE2\x96\x81", 3, &p->str, &p->str_len, err);
        const char *scheme = ats_tok_hf_str(node, "prepend_scheme");
        if (scheme)
            p->prepend = strcmp(scheme, "first") == 0   ? TOK_PREPEND_FIRST
                         : strcmp(scheme, "never") == 0 ? TOK_PREPEND_NEVER
                                                        : TOK_PREPEND_ALWAYS;
        else
            p->prepend = ats_tok_hf_bool(node, "add_prefix_space", true) ? TOK_PREPEND_ALWAYS
                                                                         : TOK_PREPEND_NEVER;
        p->split = ats_tok_hf_bool(node, "split", true);
        return st;
    }
    case TOK_PRE_DIGITS:
        p->individual_digits = ats_tok_hf_bool(node, "individual_digits", false);
        return ATS_OK;
    case TOK_PRE_PUNCTUATION:
        return behavior_of(path, node, TOK_SPLIT_ISOLATED, &p->behavior, err);
    default:
        return ATS_OK;
    }
}

/* ---- tokenizer.json: post-processors --------------------------------------------------------- */

static ats_status around_push(const char *path, int32_t *list, int *n, int32_t id, int32_t vocab_n,
                              ats_error *err) {
    if (id < 0 || id >= vocab_n)
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: post-processor token id %d is outside the vocabulary", path, id);
    if (*n >= TOK_MAX_AROUND)
        return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: post-processor adds too many tokens", path);
    list[(*n)++] = id;
    return ATS_OK;
}

/* ["<s>", 0] as BertProcessing and RobertaProcessing write cls and sep. */
static ats_status pair_id(const char *path, const json_t *pair, int32_t *id, ats_error *err) {
    const json_t *v = json_array_get(pair, 1);
    if (!json_is_integer(v))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: post-processor token without an id", path);
    *id = (int32_t)json_integer_value(v);
    return ATS_OK;
}

static ats_status parse_post(tok_pipeline *t, const char *path, const json_t *node, int depth,
                             ats_error *err) {
    if (json_is_null(node) || !node)
        return ATS_OK;
    const char *type = ats_tok_hf_str(node, "type");
    if (!json_is_object(node) || !type || depth > 8)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: a post-processor without a type", path);
    int32_t n = t->vocab.n;
    ats_status st = ATS_OK;
    if (strcmp(type, "ByteLevel") == 0)
        return ATS_OK; /* adds no tokens; attnscope keeps exact spans rather than trimming */
    if (strcmp(type, "Sequence") == 0) {
        const json_t *list = json_object_get(node, "processors");
        for (size_t i = 0; i < json_array_size(list) && st == ATS_OK; i++)
            st = parse_post(t, path, json_array_get(list, i), depth + 1, err);
        return st;
    }
    if (strcmp(type, "BertProcessing") == 0 || strcmp(type, "RobertaProcessing") == 0) {
        int32_t cls = -1, sep = -1;
        if ((st = pair_id(path, json_object_get(node, "cls"), &cls, err)) == ATS_OK &&
            (st = pair_id(path, json_object_get(node, "sep"), &sep, err)) == ATS_OK &&
            (st = around_push(path, t->prefix, &t->n_prefix, cls, n, err)) == ATS_OK)
            st = around_push(path, t->suffix, &t->n_suffix, sep, n, err);
        return st;
    }
    if (strcmp(type, "TemplateProcessing") != 0)
        return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: post-processor '%.40s' is not supported",
                        path, type);
    const json_t *single = json_object_get(node, "single");
    const json_t *specials = json_object_get(node, "special_tokens");
    bool after = false;
    for (size_t i = 0; i < json_array_size(single) && st == ATS_OK; i++) {
        const json_t *item = json_array_get(single, i);
        if (json_object_get(item, "Sequence")) {
            after = true;
            continue;
        }
        const char *name = ats_tok_hf_str(json_object_get(item, "SpecialToken"), "id");
        const json_t *ids = json_object_get(json_object_get(specials, name ? name : ""), "ids");
        if (!name || !json_is_array(ids))
            return ats_fail(err, ATS_ERR_FORMAT, "%s: template token '%.40s' has no ids", path,
                            name ? name : "?");
        for (size_t j = 0; j < json_array_size(ids) && st == ATS_OK; j++)
            st = after ? around_push(path, t->suffix, &t->n_suffix,
                                     (int32_t)json_integer_value(json_array_get(ids, j)), n, err)
                       : around_push(path, t->prefix, &t->n_prefix,
                                     (int32_t)json_integer_value(json_array_get(ids, j)), n, err);
    }
    return st;
}

/* ---- tokenizer.json: model and added tokens -------------------------------------------------- */

/* Added tokens; one whose text is already in the model's vocabulary takes that token's id, as
 * Hugging Face's AddedVocabulary does, whatever its "id" says. */
static ats_status parse_added(tok_pipeline *t, const char *path, const json_t *added,
                              const json_t *vocab, ats_error *err) {
    for (size_t i = 0; i < json_array_size(added); i++) {
        const json_t *a = json_array_get(added, i);
        const json_t *content = json_object_get(a, "content");
        json_int_t id = json_integer_value(json_object_get(a, "id"));
        if (!json_is_string(content) || !json_is_integer(json_object_get(a, "id")) || id < 0 ||
            id >= t->vocab.n)
            return ats_fail(err, ATS_ERR_FORMAT, "%s: added token %zu has no valid id and content",
                            path, i);
        const json_t *in_vocab = json_object_get(vocab, json_string_value(content));
        if (json_is_integer(in_vocab))
            id = json_integer_value(in_vocab); /* checked by ats_tok_hf_vocab_max */
        tok_vocab *v = &t->vocab;
        bool special = ats_tok_hf_bool(a, "special", false);
        if (v->flags[id] & TOK_FLAG_NOLOOKUP) { /* not in the model's vocabulary */
            ats_status st = ats_tok_vocab_set(v, (int32_t)id, json_string_value(content),
                                              json_string_length(content), err);
            if (st != ATS_OK)
                return st;
            v->flags[id] |= TOK_FLAG_NOLOOKUP;
        }
        if (special)
            v->flags[id] |= TOK_FLAG_SPECIAL;
        size_t before = t->n_added;
        ats_status st = ats_tok_pipeline_add_added(t, (int32_t)id, json_string_value(content),
                                                   json_string_length(content), special, err);
        if (st != ATS_OK)
            return st;
        if (t->n_added > before) {
            tok_added *last = &t->added[t->n_added - 1];
            last->lstrip = ats_tok_hf_bool(a, "lstrip", false);
            last->rstrip = ats_tok_hf_bool(a, "rstrip", false);
            last->single_word = ats_tok_hf_bool(a, "single_word", false);
        }
    }
    return ATS_OK;
}

static ats_status unk_of(tok_pipeline *t, const char *path, const json_t *model, ats_error *err) {
    const char *unk = ats_tok_hf_str(model, "unk_token");
    if (!unk)
        return ATS_OK;
    if (!ats_tok_strmap_get(&t->vocab.map, unk, ats_tok_hf_strlen(model, "unk_token"),
                            &t->model.unk_id))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: unk_token '%.40s' is not in the vocabulary", path,
                        unk);
    return ATS_OK;
}

/* Raises *max to the largest added token id. */
static ats_status added_max(const char *path, const json_t *added, int64_t *max, ats_error *err) {
    for (size_t i = 0; i < json_array_size(added); i++) {
        json_int_t id = json_integer_value(json_object_get(json_array_get(added, i), "id"));
        if (id >= TOK_HF_MAX_VOCAB)
            return ats_fail(err, ATS_ERR_FORMAT, "%s: added token %zu has id %lld", path, i,
                            (long long)id);
        if (id > *max)
            *max = id;
    }
    return ATS_OK;
}

/* A Unigram model: "vocab" [[piece, score], ...] in id order, "unk_id", "byte_fallback". Every
 * piece takes part in the segmentation and scores add in float64, as Hugging Face tokenizers. */
static ats_status parse_unigram(tok_pipeline *t, const char *path, const json_t *root,
                                const json_t *model, ats_error *err) {
    const json_t *vocab = json_object_get(model, "vocab");
    const json_t *added = json_object_get(root, "added_tokens");
    int64_t max = (int64_t)json_array_size(vocab) - 1;
    ats_status st = ATS_OK;
    if (!json_is_array(vocab) || max < 0 || max >= TOK_HF_MAX_VOCAB)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: the Unigram vocabulary is not a list of pieces",
                        path);
    tok_model *m = &t->model;
    if ((st = added_max(path, added, &max, err)) != ATS_OK ||
        (st = ats_tok_vocab_init(&t->vocab, (int32_t)max + 1, true, err)) != ATS_OK)
        return st;
    if (!(m->score64 = calloc((size_t)max + 1, sizeof *m->score64)))
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    double min_score = INFINITY;
    for (size_t id = 0; id < json_array_size(vocab) && st == ATS_OK; id++) {
        const json_t *item = json_array_get(vocab, id);
        const json_t *piece = json_array_get(item, 0), *score = json_array_get(item, 1);
        if (!json_is_string(piece) || !json_is_number(score) || !json_string_length(piece))
            return ats_fail(err, ATS_ERR_FORMAT, "%s: Unigram piece %zu is not [text, score]", path,
                            id);
        const char *text = json_string_value(piece);
        size_t len = json_string_length(piece);
        if ((st = ats_tok_vocab_set(&t->vocab, (int32_t)id, text, len, err)) != ATS_OK)
            return st;
        m->score64[id] = json_number_value(score);
        t->vocab.score[id] = (float)m->score64[id];
        min_score = m->score64[id] < min_score ? m->score64[id] : min_score;
        if (len > (size_t)m->max_piece_len)
            m->max_piece_len = len > INT32_MAX / 2 ? INT32_MAX / 2 : (int32_t)len;
        int byte = ats_tok_parse_byte_token(text, len);
        if (byte >= 0) {
            t->vocab.flags[id] |= TOK_FLAG_BYTE;
            t->vocab.byte_of[id] = (uint8_t)byte;
            t->vocab.byte_id[byte] = (int32_t)id;
        }
    }
    const json_t *unk = json_object_get(model, "unk_id");
    if (json_is_integer(unk) && (json_integer_value(unk) < 0 ||
                                 json_integer_value(unk) >= (json_int_t)json_array_size(vocab)))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: unk_id is outside the vocabulary", path);
    m->unk_id = json_is_integer(unk) ? (int32_t)json_integer_value(unk) : -1;
    if ((st = parse_added(t, path, added, NULL, err)) != ATS_OK ||
        (st = ats_tok_vocab_build_map(&t->vocab, false, err)) != ATS_OK)
        return st;
    m->kind = TOK_MODEL_UNIGRAM;
    m->score_f32 = false;
    m->min_score = (float)min_score;
    m->byte_fallback = ats_tok_hf_bool(model, "byte_fallback", false);
    t->display = TOK_DISPLAY_SPM;
    snprintf(t->base.kind, sizeof t->base.kind, "Unigram");
    return ATS_OK;
}

static ats_status parse_model(tok_pipeline *t, const char *path, const json_t *root,
                              ats_error *err) {
    const json_t *model = json_object_get(root, "model");
    if (!json_is_object(model))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: no \"model\" object", path);
    const char *type = ats_tok_hf_str(model, "type");
    if (!type) /* older files leave the type out */
        type = json_object_get(model, "merges") ? "BPE" : "WordPiece";
    if (strcmp(type, "Unigram") == 0)
        return parse_unigram(t, path, root, model, err);
    bool bpe = strcmp(type, "BPE") == 0;
    if (!bpe && strcmp(type, "WordPiece") != 0)
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "%s: model '%.40s' is not supported (BPE, WordPiece and Unigram are)", path,
                        type);
    if (bpe && (ats_tok_hf_strlen(model, "continuing_subword_prefix") ||
                ats_tok_hf_strlen(model, "end_of_word_suffix")))
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "%s: BPE with a subword prefix or suffix is not supported", path);

    /* the vocabulary covers the model's tokens and the added ones */
    const json_t *vocab = json_object_get(model, "vocab");
    int64_t max;
    ats_status st = ats_tok_hf_vocab_max(path, vocab, &max, err);
    if (st != ATS_OK)
        return st;
    const json_t *added = json_object_get(root, "added_tokens");
    if ((st = added_max(path, added, &max, err)) != ATS_OK)
        return st;
    bool byte_level = bpe && has_bytelevel(json_object_get(root, "pre_tokenizer"));
    if ((st = ats_tok_vocab_init(&t->vocab, (int32_t)max + 1, false, err)) != ATS_OK ||
        (st = ats_tok_hf_set_vocab(t, vocab, byte_level, err)) != ATS_OK ||
        (st = parse_added(t, path, added, vocab, err)) != ATS_OK ||
        (st = ats_tok_vocab_build_map(&t->vocab, true, err)) != ATS_OK ||
        (st = unk_of(t, path, model, err)) != ATS_OK)
        return st;

    tok_model *m = &t->model;
    if (bpe) {
        m->kind = TOK_MODEL_BPE;
        m->byte_level = byte_level;
        m->byte_fallback = ats_tok_hf_bool(model, "byte_fallback", false);
        m->fuse_unk = ats_tok_hf_bool(model, "fuse_unk", false);
        m->ignore_merges = ats_tok_hf_bool(model, "ignore_merges", false);
        t->display = byte_level ? TOK_DISPLAY_BYTES : TOK_DISPLAY_SPM;
        snprintf(t->base.kind, sizeof t->base.kind, "%s",
                 byte_level         ? "byte-level BPE"
                 : m->byte_fallback ? "SentencePiece BPE"
                                    : "BPE");
        return add_merges_json(t, path, json_object_get(model, "merges"), byte_level, err);
    }
    m->kind = TOK_MODEL_WORDPIECE;
    const char *prefix = ats_tok_hf_str(model, "continuing_subword_prefix");
    size_t plen = prefix ? ats_tok_hf_strlen(model, "continuing_subword_prefix") : 2;
    if (plen >= sizeof m->prefix)
        return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: WordPiece prefix is too long", path);
    memcpy(m->prefix, prefix ? prefix : "##", plen);
    m->prefix_len = plen;
    const json_t *max_chars = json_object_get(model, "max_input_chars_per_word");
    if (json_is_integer(max_chars) && json_integer_value(max_chars) > 0)
        m->max_chars =
            json_integer_value(max_chars) > 1 << 20 ? 1 << 20 : (int)json_integer_value(max_chars);
    t->display = TOK_DISPLAY_TEXT;
    snprintf(t->base.kind, sizeof t->base.kind, "WordPiece");
    return ATS_OK;
}

ats_status ats_tok_hf_from_tokenizer_json(const char *path, tok_pipeline **out, ats_error *err) {
    json_t *root;
    ats_status st = ats_tok_hf_load_json(path, &root, err);
    if (st != ATS_OK)
        return st;
    tok_pipeline *t = json_is_object(root) ? ats_tok_pipeline_new(path, err) : NULL;
    if (!json_is_object(root))
        st = ats_fail(err, ATS_ERR_FORMAT, "%s: the top level is not an object", path);
    else if (!t)
        st = ATS_ERR_NOMEM;
    if (st == ATS_OK)
        st = parse_model(t, path, root, err);
    if (st == ATS_OK)
        st = parse_normalizer(t, path, json_object_get(root, "normalizer"), 0, err);
    if (st == ATS_OK)
        st = parse_pre(t, path, json_object_get(root, "pre_tokenizer"), 0, err);
    if (st == ATS_OK)
        st = parse_post(t, path, json_object_get(root, "post_processor"), 0, err);
    json_decref(root);
    if (st == ATS_OK) {
        bool metaspace = false;
        for (size_t i = 0; i < t->n_pres; i++)
            metaspace |= t->pres[i].kind == TOK_PRE_METASPACE;
        if (metaspace && t->model.kind == TOK_MODEL_BPE && !t->model.byte_level)
            snprintf(t->base.kind, sizeof t->base.kind, "SentencePiece BPE");
        t->base.vocab_size = t->vocab.n;
        *out = t;
        return ATS_OK;
    }
    ats_tok_pipeline_free(t ? &t->base : NULL);
    return st;
}
