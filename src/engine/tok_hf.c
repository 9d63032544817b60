/* Hugging Face tokenizer folders: tokenizer.json when present, else vocab.json + merges.txt
 * (GPT-2 byte-level BPE), else vocab.txt (BERT WordPiece).
 *
 * tokenizer.json describes its pipeline, which maps onto tok_pipeline one to one:
 *   "normalizer"     BertNormalizer, Lowercase, NF(K)C/D, StripAccents, Strip, Prepend, Replace,
 *                    Sequence
 *   "pre_tokenizer"  ByteLevel, Split (the file's own regex, through PCRE2), BertPreTokenizer,
 *                    Whitespace, WhitespaceSplit, Metaspace, Digits, Punctuation, Sequence
 *   "model"          BPE (merges, unk_token, fuse_unk, byte_fallback, ignore_merges), WordPiece
 *   "added_tokens"   matched in the raw text first; "special" ones are flagged special
 *   "post_processor" TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence
 * Anything else is refused with a message naming the file and the component. */
#include "error.h"
#include "mapped_file.h"
#include "tok_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { MAX_VOCAB = 1 << 24 };

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static ats_status load_json(const char *path, json_t **out, ats_error *err) {
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

static bool jbool(const json_t *obj, const char *key, bool fallback) {
    const json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : fallback;
}

static const char *jstr(const json_t *obj, const char *key) {
    return json_string_value(json_object_get(obj, key));
}

static size_t jstrlen(const json_t *obj, const char *key) {
    return json_string_length(json_object_get(obj, key));
}

static ats_status dup_text(const char *s, size_t n, char **out, size_t *len, ats_error *err) {
    *len = n;
    *out = malloc(n + 1);
    if (!*out)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    memcpy(*out, s, n);
    (*out)[n] = '\0';
    return ATS_OK;
}

static ats_status dup_string(const json_t *s, char **out, size_t *len, ats_error *err) {
    return dup_text(json_string_value(s), json_string_length(s), out, len, err);
}

/* Sets a token's text, decoded from GPT-2's byte alphabet when the vocabulary is byte-level
 * (texts outside that alphabet stay as they are). */
static ats_status set_token(tok_vocab *v, int32_t id, const char *s, size_t n, bool byte_level,
                            tok_buf *scratch, ats_error *err) {
    if (byte_level) {
        bool ok;
        scratch->n = 0;
        ats_status st = tok_bytelevel_decode(s, n, scratch, &ok, err);
        if (st != ATS_OK)
            return st;
        if (ok)
            return tok_vocab_set(v, id, scratch->p, scratch->n, err);
    }
    return tok_vocab_set(v, id, s, n, err);
}

/* The largest id in a {"text": id} object, checking every id; -1 when not such an object. */
static ats_status vocab_object_max(const char *path, const json_t *vocab, int64_t *max,
                                   ats_error *err) {
    *max = -1;
    if (!json_is_object(vocab))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: the vocabulary is not a {\"token\": id} object",
                        path);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)vocab, key, value) {
        json_int_t id = json_integer_value(value);
        if (!json_is_integer(value) || id < 0 || id >= MAX_VOCAB)
            return ats_fail(err, ATS_ERR_FORMAT, "%s: token '%.60s' has an invalid id", path, key);
        if (id > *max)
            *max = id;
    }
    return ATS_OK;
}

static ats_status set_vocab_object(tok_pipeline *t, const json_t *vocab, bool byte_level,
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
            int byte = tok_parse_byte_token(key, strlen(key));
            if (byte >= 0) {
                t->vocab.flags[id] |= TOK_FLAG_BYTE;
                t->vocab.byte_of[id] = (uint8_t)byte;
                t->vocab.byte_id[byte] = id;
            }
        }
    }
    tok_buf_free(&scratch);
    return st;
}

/* Adds the merge "left right" with the given rank. Merges whose parts or result are not in the
 * vocabulary can never apply and are skipped. */
static ats_status add_merge(tok_pipeline *t, const char *left, size_t ll, const char *right,
                            size_t rl, int32_t rank, bool byte_level, tok_buf *scratch,
                            ats_error *err) {
    scratch->n = 0;
    bool ok1 = true, ok2 = true;
    ats_status st;
    if (byte_level) {
        if ((st = tok_bytelevel_decode(left, ll, scratch, &ok1, err)) != ATS_OK)
            return st;
        ll = scratch->n;
        if ((st = tok_bytelevel_decode(right, rl, scratch, &ok2, err)) != ATS_OK)
            return st;
        rl = scratch->n - ll;
    } else {
        if ((st = tok_buf_append(scratch, left, ll, err)) != ATS_OK ||
            (st = tok_buf_append(scratch, right, rl, err)) != ATS_OK)
            return st;
    }
    const tok_strmap *map = &t->vocab.map;
    int32_t a, b, merged;
    if (!ok1 || !ok2 || !tok_strmap_get(map, scratch->p, ll, &a) ||
        !tok_strmap_get(map, scratch->p + ll, rl, &b) ||
        !tok_strmap_get(map, scratch->p, ll + rl, &merged))
        return ATS_OK;
    return tok_pairmap_put(&t->model.merges, a, b, rank, merged, err);
}

static ats_status add_merges_json(tok_pipeline *t, const char *path, const json_t *merges,
                                  bool byte_level, ats_error *err) {
    if (!json_is_array(merges))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: model.merges is not an array", path);
    ats_status st = tok_pairmap_init(&t->model.merges, json_array_size(merges), err);
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
            st = add_merge(t, s, (size_t)(sp - s), sp + 1, n - (size_t)(sp - s) - 1, (int32_t)i,
                           byte_level, &scratch, err);
        } else if (json_is_array(m) && json_array_size(m) == 2 &&
                   json_is_string(json_array_get(m, 0)) && json_is_string(json_array_get(m, 1))) {
            const json_t *l = json_array_get(m, 0), *r = json_array_get(m, 1);
            st = add_merge(t, json_string_value(l), json_string_length(l), json_string_value(r),
                           json_string_length(r), (int32_t)i, byte_level, &scratch, err);
        } else {
            st = ats_fail(err, ATS_ERR_FORMAT, "%s: merge %zu is neither \"a b\" nor [a, b]", path,
                          i);
        }
    }
    tok_buf_free(&scratch);
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

static ats_status parse_normalizer(tok_pipeline *t, const char *path, const json_t *node, int depth,
                                   ats_error *err) {
    if (json_is_null(node) || !node)
        return ATS_OK;
    const char *type = jstr(node, "type");
    if (!json_is_object(node) || !type || depth > 8)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: a normalizer without a type", path);
    if (strcmp(type, "Sequence") == 0) {
        const json_t *list = json_object_get(node, "normalizers");
        ats_status st = ATS_OK;
        for (size_t i = 0; i < json_array_size(list) && st == ATS_OK; i++)
            st = parse_normalizer(t, path, json_array_get(list, i), depth + 1, err);
        return st;
    }
    if (strcmp(type, "Precompiled") == 0 &&
        !json_string_length(json_object_get(node, "precompiled_charsmap")))
        return ATS_OK; /* an empty character map changes nothing */
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
    tok_norm *n = tok_pipeline_add_norm(t, kinds[k].kind, err);
    if (!n)
        return err->status;
    switch (n->kind) {
    case TOK_NORM_BERT: {
        n->clean_text = jbool(node, "clean_text", true);
        n->chinese = jbool(node, "handle_chinese_chars", true);
        n->lowercase = jbool(node, "lowercase", true);
        n->strip_accents = jbool(node, "strip_accents", n->lowercase); /* null: as lowercase */
        return ATS_OK;
    }
    case TOK_NORM_STRIP:
        n->left = jbool(node, "strip_left", true);
        n->right = jbool(node, "strip_right", true);
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
        return tok_regex_compile(json_string_value(regex), json_string_length(regex), path, &n->re,
                                 err);
    }
    default:
        return ATS_OK;
    }
}

/* ---- tokenizer.json: pre-tokenizers --------------------------------------------------------- */

static ats_status behavior_of(const char *path, const json_t *node, tok_split_behavior fallback,
                              tok_split_behavior *out, ats_error *err) {
    const char *b = jstr(node, "behavior");
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
    const char *type = jstr(node, "type");
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
    const char *type = jstr(node, "type");
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
        return tok_pipeline_add_bytelevel(t, jbool(node, "add_prefix_space", true),
                                          jbool(node, "use_regex", true), err);
    if (strcmp(type, "Whitespace") == 0) /* keep runs of word characters or of other symbols */
        return tok_pipeline_add_regex_split(t, "\\w+|[^\\w\\s]+", TOK_SPLIT_REMOVED, true, err);
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
    tok_pre *p = tok_pipeline_add_pre(t, kind, err);
    if (!p)
        return err->status;
    switch (kind) {
    case TOK_PRE_SPLIT: {
        const json_t *string, *regex;
        if ((st = pattern_of(path, node, "Split pre-tokenizer", &string, &regex, err)) != ATS_OK ||
            (st = behavior_of(path, node, TOK_SPLIT_ISOLATED, &p->behavior, err)) != ATS_OK)
            return st;
        p->invert = jbool(node, "invert", false);
        if (json_is_string(string))
            return dup_string(string, &p->str, &p->str_len, err);
        return tok_regex_compile(json_string_value(regex), json_string_length(regex), path, &p->re,
                                 err);
    }
    case TOK_PRE_METASPACE: {
        const json_t *rep = json_object_get(node, "replacement");
        if (json_is_string(rep))
            st = dup_string(rep, &p->str, &p->str_len, err);
        else
            st = dup_text("\xE2\x96\x81", 3, &p->str, &p->str_len, err);
        const char *scheme = jstr(node, "prepend_scheme");
        if (scheme)
            p->prepend = strcmp(scheme, "first") == 0   ? TOK_PREPEND_FIRST
                         : strcmp(scheme, "never") == 0 ? TOK_PREPEND_NEVER
                                                        : TOK_PREPEND_ALWAYS;
        else
            p->prepend =
                jbool(node, "add_prefix_space", true) ? TOK_PREPEND_ALWAYS : TOK_PREPEND_NEVER;
        p->split = jbool(node, "split", true);
        return st;
    }
    case TOK_PRE_DIGITS:
        p->individual_digits = jbool(node, "individual_digits", false);
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
    const char *type = jstr(node, "type");
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
        const char *name = jstr(json_object_get(item, "SpecialToken"), "id");
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

static ats_status parse_added(tok_pipeline *t, const char *path, const json_t *added,
                              ats_error *err) {
    for (size_t i = 0; i < json_array_size(added); i++) {
        const json_t *a = json_array_get(added, i);
        const json_t *content = json_object_get(a, "content");
        json_int_t id = json_integer_value(json_object_get(a, "id"));
        if (!json_is_string(content) || !json_is_integer(json_object_get(a, "id")) || id < 0 ||
            id >= t->vocab.n)
            return ats_fail(err, ATS_ERR_FORMAT, "%s: added token %zu has no valid id and content",
                            path, i);
        tok_vocab *v = &t->vocab;
        bool special = jbool(a, "special", false);
        if (v->flags[id] & TOK_FLAG_NOLOOKUP) { /* not in the model's vocabulary */
            ats_status st = tok_vocab_set(v, (int32_t)id, json_string_value(content),
                                          json_string_length(content), err);
            if (st != ATS_OK)
                return st;
            v->flags[id] |= TOK_FLAG_NOLOOKUP;
        }
        if (special)
            v->flags[id] |= TOK_FLAG_SPECIAL;
        size_t before = t->n_added;
        ats_status st = tok_pipeline_add_added(t, (int32_t)id, json_string_value(content),
                                               json_string_length(content), special, err);
        if (st != ATS_OK)
            return st;
        if (t->n_added > before) {
            tok_added *last = &t->added[t->n_added - 1];
            last->lstrip = jbool(a, "lstrip", false);
            last->rstrip = jbool(a, "rstrip", false);
            last->single_word = jbool(a, "single_word", false);
        }
    }
    return ATS_OK;
}

static ats_status unk_of(tok_pipeline *t, const char *path, const json_t *model, ats_error *err) {
    const char *unk = jstr(model, "unk_token");
    if (!unk)
        return ATS_OK;
    if (!tok_strmap_get(&t->vocab.map, unk, jstrlen(model, "unk_token"), &t->model.unk_id))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: unk_token '%.40s' is not in the vocabulary", path,
                        unk);
    return ATS_OK;
}

static ats_status parse_model(tok_pipeline *t, const char *path, const json_t *root,
                              ats_error *err) {
    const json_t *model = json_object_get(root, "model");
    if (!json_is_object(model))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: no \"model\" object", path);
    const char *type = jstr(model, "type");
    if (!type) /* older files leave the type out */
        type = json_object_get(model, "merges") ? "BPE" : "WordPiece";
    bool bpe = strcmp(type, "BPE") == 0;
    if (!bpe && strcmp(type, "WordPiece") != 0)
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "%s: model '%.40s' is not supported (BPE and WordPiece are)", path, type);
    if (bpe &&
        (jstrlen(model, "continuing_subword_prefix") || jstrlen(model, "end_of_word_suffix")))
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "%s: BPE with a subword prefix or suffix is not supported", path);

    /* the vocabulary covers the model's tokens and the added ones */
    const json_t *vocab = json_object_get(model, "vocab");
    int64_t max;
    ats_status st = vocab_object_max(path, vocab, &max, err);
    if (st != ATS_OK)
        return st;
    const json_t *added = json_object_get(root, "added_tokens");
    for (size_t i = 0; i < json_array_size(added); i++) {
        json_int_t id = json_integer_value(json_object_get(json_array_get(added, i), "id"));
        if (id >= MAX_VOCAB)
            return ats_fail(err, ATS_ERR_FORMAT, "%s: added token %zu has id %lld", path, i,
                            (long long)id);
        if (id > max)
            max = id;
    }
    bool byte_level = bpe && has_bytelevel(json_object_get(root, "pre_tokenizer"));
    if ((st = tok_vocab_init(&t->vocab, (int32_t)max + 1, false, err)) != ATS_OK ||
        (st = set_vocab_object(t, vocab, byte_level, err)) != ATS_OK ||
        (st = parse_added(t, path, added, err)) != ATS_OK ||
        (st = tok_vocab_build_map(&t->vocab, true, err)) != ATS_OK ||
        (st = unk_of(t, path, model, err)) != ATS_OK)
        return st;

    tok_model *m = &t->model;
    if (bpe) {
        m->kind = TOK_MODEL_BPE;
        m->byte_level = byte_level;
        m->byte_fallback = jbool(model, "byte_fallback", false);
        m->fuse_unk = jbool(model, "fuse_unk", false);
        m->ignore_merges = jbool(model, "ignore_merges", false);
        t->display = byte_level ? TOK_DISPLAY_BYTES : TOK_DISPLAY_SPM;
        snprintf(t->base.kind, sizeof t->base.kind, "%s",
                 byte_level         ? "byte-level BPE"
                 : m->byte_fallback ? "SentencePiece BPE"
                                    : "BPE");
        return add_merges_json(t, path, json_object_get(model, "merges"), byte_level, err);
    }
    m->kind = TOK_MODEL_WORDPIECE;
    const char *prefix = jstr(model, "continuing_subword_prefix");
    size_t plen = prefix ? jstrlen(model, "continuing_subword_prefix") : 2;
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

static ats_status from_tokenizer_json(const char *path, tok_pipeline **out, ats_error *err) {
    json_t *root;
    ats_status st = load_json(path, &root, err);
    if (st != ATS_OK)
        return st;
    tok_pipeline *t = json_is_object(root) ? tok_pipeline_new(path, err) : NULL;
    if (!json_is_object(root))
        st = ats_fail(err, ATS_ERR_FORMAT, "%s: the top level is not an object", path);
    else if (!t)
        st = err->status;
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
    tok_pipeline_destroy(t ? &t->base : NULL);
    return st;
}

/* ---- vocab.json + merges.txt ---------------------------------------------------------------- */

static ats_status from_gpt2_files(const char *vocab_path, const char *merges_path,
                                  tok_pipeline **out, ats_error *err) {
    json_t *vocab;
    ats_status st = load_json(vocab_path, &vocab, err);
    if (st != ATS_OK)
        return st;
    int64_t max;
    tok_pipeline *t = NULL;
    char *text = NULL;
    if ((st = vocab_object_max(vocab_path, vocab, &max, err)) == ATS_OK &&
        (t = tok_pipeline_new(vocab_path, err)) == NULL)
        st = err->status;
    if (st == ATS_OK && (st = tok_vocab_init(&t->vocab, (int32_t)max + 1, false, err)) == ATS_OK &&
        (st = set_vocab_object(t, vocab, true, err)) == ATS_OK) {
        /* <|endoftext|> is GPT-2's one special token; match it in the text as Hugging Face does */
        const json_t *eot = json_object_get(vocab, "<|endoftext|>");
        if (json_is_integer(eot)) {
            int32_t id = (int32_t)json_integer_value(eot);
            t->vocab.flags[id] |= TOK_FLAG_SPECIAL;
            st = tok_pipeline_add_added(t, id, "<|endoftext|>", 13, true, err);
        }
    }
    json_decref(vocab);
    if (st == ATS_OK)
        st = tok_vocab_build_map(&t->vocab, true, err);
    size_t len = 0;
    if (st == ATS_OK)
        st = ats_read_text_file(merges_path, &text, &len, err);
    if (st == ATS_OK)
        st = tok_pairmap_init(&t->model.merges, 50000, err);
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
        st = add_merge(t, line, (size_t)(sp - line), sp + 1, n - (size_t)(sp + 1 - line), rank++,
                       true, &scratch, err);
    }
    tok_buf_free(&scratch);
    free(text);
    if (st == ATS_OK)
        st = tok_pipeline_add_bytelevel(t, false, true, err);
    if (st != ATS_OK) {
        tok_pipeline_destroy(t ? &t->base : NULL);
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
        ats_status st = load_json(config_path, &config, err);
        if (st != ATS_OK)
            return st;
        lower = jbool(config, "do_lower_case", true);
        chinese = jbool(config, "tokenize_chinese_chars", true);
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
    else if (n >= MAX_VOCAB)
        st = ats_fail(err, ATS_ERR_FORMAT, "%s: %d lines is too many tokens", path, n);
    else if (!(t = tok_pipeline_new(path, err)))
        st = err->status;
    if (st == ATS_OK)
        st = tok_vocab_init(&t->vocab, n, false, err);
    for (int32_t id = 0, at = 0; st == ATS_OK && id < n; id++) {
        const char *line = text + at;
        const char *nl = memchr(line, '\n', len - (size_t)at);
        size_t k = nl ? (size_t)(nl - line) : len - (size_t)at;
        at += (int32_t)k + 1;
        while (k > 0 && (line[k - 1] == '\r' || line[k - 1] == ' ' || line[k - 1] == '\t'))
            k--;
        st = tok_vocab_set(&t->vocab, id, line, k, err);
    }
    free(text);
    if (st == ATS_OK)
        st = tok_vocab_build_map(&t->vocab, false, err);
    int32_t id, cls = -1, sep = -1;
    static const char *const specials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    for (int i = 0; i < 5 && st == ATS_OK; i++) {
        if (tok_strmap_get(&t->vocab.map, specials[i], strlen(specials[i]), &id)) {
            t->vocab.flags[id] |= TOK_FLAG_SPECIAL;
            st = tok_pipeline_add_added(t, id, specials[i], strlen(specials[i]), true, err);
            if (i == 1)
                t->model.unk_id = id;
            if (i == 2)
                cls = id;
            if (i == 3)
                sep = id;
        }
    }
    tok_norm *nm = st == ATS_OK ? tok_pipeline_add_norm(t, TOK_NORM_BERT, err) : NULL;
    if (st == ATS_OK && !nm)
        st = err->status;
    if (st == ATS_OK && !tok_pipeline_add_pre(t, TOK_PRE_BERT, err))
        st = err->status;
    if (st != ATS_OK) {
        tok_pipeline_destroy(t ? &t->base : NULL);
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

ats_status ats_tokenizer_from_hf_folder(const char *dir, ats_tokenizer **out, ats_error *err) {
    *out = NULL;
    char a[4096], b[4096];
    tok_pipeline *t = NULL;
    ats_status st;
    snprintf(a, sizeof a, "%s/tokenizer.json", dir);
    if (file_exists(a)) {
        st = from_tokenizer_json(a, &t, err);
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
