/* spiece.model: a SentencePiece ModelProto (protobuf), read with the bounded reader.
 *
 *   ModelProto      1 pieces (repeated SentencePiece), 2 trainer_spec, 3 normalizer_spec
 *   SentencePiece   1 piece (string), 2 score (float), 3 type (1 normal, 2 unknown, 3 control,
 *                   4 user-defined, 5 unused, 6 byte)
 *   TrainerSpec     3 model_type (1 Unigram), 24 treat_whitespace_as_suffix, 35 byte_fallback,
 *                   42 eos_id
 *   NormalizerSpec  1 name, 2 precompiled_charsmap, 3 add_dummy_prefix, 4 remove_extra_whitespaces,
 *                   5 escape_whitespaces (the last three default to true)
 *
 * Every length is checked against what holds it; unknown fields are skipped by wire type. The
 * result is a pipeline with sentencepiece's normalizer (TOK_NORM_SPM) over the whole text and
 * the Unigram model summing scores as sentencepiece does. Control and unknown pieces are matched
 * in the raw text as special tokens, as transformers' sentencepiece tokenizers split on them;
 * with add_special the eos piece is appended (T5). */
#include "base.h"
#include "mapped_file.h"
#include "tok_internal.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };
enum { MAX_PIECES = 1 << 22 };

/* ---- protobuf ------------------------------------------------------------------------------- */

typedef struct pb_field {
    uint32_t num;
    int wire;
    uint64_t v;          /* VARINT, I64, I32 */
    const uint8_t *data; /* LEN */
    size_t len;
} pb_field;

/* The next field of a message; false on a malformed one (the caller has checked r is not at
 * its end). */
static bool pb_next(ats_reader *r, pb_field *f) {
    uint64_t key;
    if (!ats_reader_varint(r, &key) || (key >> 3) == 0 || (key >> 3) > UINT32_MAX)
        return false;
    *f = (pb_field){.num = (uint32_t)(key >> 3), .wire = (int)(key & 7)};
    uint32_t u32;
    switch (f->wire) {
    case WIRE_VARINT:
        return ats_reader_varint(r, &f->v);
    case WIRE_I64:
        return ats_reader_u64(r, &f->v);
    case WIRE_I32:
        if (!ats_reader_u32(r, &u32))
            return false;
        f->v = u32;
        return true;
    case WIRE_LEN:
        if (!ats_reader_varint(r, &f->v) || f->v > r->size - r->pos)
            return false;
        f->len = (size_t)f->v;
        return ats_reader_bytes(r, f->len, &f->data);
    default: /* groups (3, 4) and reserved types: not in sentencepiece's messages */
        return false;
    }
}

static float pb_float(const pb_field *f) {
    uint32_t u = (uint32_t)f->v;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* ---- the model file ------------------------------------------------------------------------ */

static ats_status malformed(const tok_spm_desc *s, const char *what, ats_error *err) {
    return ats_fail(err, ATS_ERR_FORMAT, "%s: not a SentencePiece model (malformed %s)", s->path,
                    what);
}

static ats_status parse_piece(tok_spm_desc *s, const uint8_t *data, size_t len, ats_error *err) {
    if (s->n == MAX_PIECES)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: more than %d pieces", s->path, MAX_PIECES);
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        tok_spm_piece *p = realloc(s->pieces, cap * sizeof *p);
        if (!p)
            return ats_fail(err, ATS_ERR_NOMEM, "%s: out of memory for the pieces", s->path);
        s->pieces = p;
        s->cap = cap;
    }
    tok_spm_piece *p = &s->pieces[s->n];
    *p = (tok_spm_piece){.type = TOK_PIECE_NORMAL};
    ats_reader r = ats_reader_make(data, len);
    pb_field f;
    while (r.pos < r.size) {
        if (!pb_next(&r, &f))
            return malformed(s, "piece", err);
        if (f.num == 1 && f.wire == WIRE_LEN) {
            p->text = (const char *)f.data;
            p->len = f.len;
        } else if (f.num == 2 && f.wire == WIRE_I32) {
            p->score = pb_float(&f);
        } else if (f.num == 3 && f.wire == WIRE_VARINT) {
            p->type = f.v <= TOK_PIECE_BYTE ? (int)f.v : 0;
        }
    }
    if (p->len == 0)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: piece %zu is empty", s->path, s->n);
    if (p->type < TOK_PIECE_NORMAL || ats_utf8_first_invalid(p->text, p->len) >= 0 ||
        !(p->score == p->score))
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: piece %zu has an unknown type, a NaN score or invalid UTF-8", s->path,
                        s->n);
    s->n++;
    return ATS_OK;
}

static ats_status parse_trainer(tok_spm_desc *s, const uint8_t *data, size_t len, ats_error *err) {
    ats_reader r = ats_reader_make(data, len);
    pb_field f;
    while (r.pos < r.size) {
        if (!pb_next(&r, &f))
            return malformed(s, "trainer spec", err);
        if (f.wire != WIRE_VARINT)
            continue;
        if (f.num == 3)
            s->model_type = (int)(f.v & 0xFF);
        else if (f.num == 24)
            s->ws_suffix = f.v != 0;
        else if (f.num == 35)
            s->byte_fallback = f.v != 0;
        else if (f.num == 42)
            s->eos_id = (int64_t)(int32_t)(uint32_t)f.v; /* int32: negatives as 10-byte varints */
    }
    return ATS_OK;
}

static ats_status parse_normalizer(tok_spm_desc *s, const uint8_t *data, size_t len,
                                   ats_error *err) {
    ats_reader r = ats_reader_make(data, len);
    pb_field f;
    while (r.pos < r.size) {
        if (!pb_next(&r, &f))
            return malformed(s, "normalizer spec", err);
        if (f.num == 2 && f.wire == WIRE_LEN) {
            s->charsmap = f.data;
            s->charsmap_len = f.len;
        } else if (f.wire == WIRE_VARINT && f.num >= 3 && f.num <= 5) {
            bool *flag = f.num == 3   ? &s->dummy_prefix
                         : f.num == 4 ? &s->remove_extra_ws
                                      : &s->escape_ws;
            *flag = f.v != 0;
        }
    }
    return ATS_OK;
}

static ats_status parse_model(tok_spm_desc *s, const uint8_t *data, size_t len, ats_error *err) {
    ats_reader r = ats_reader_make(data, len);
    pb_field f;
    ats_status st = ATS_OK;
    while (r.pos < r.size && st == ATS_OK) {
        if (!pb_next(&r, &f))
            return malformed(s, "model", err);
        if (f.wire != WIRE_LEN)
            continue;
        if (f.num == 1)
            st = parse_piece(s, f.data, f.len, err);
        else if (f.num == 2)
            st = parse_trainer(s, f.data, f.len, err);
        else if (f.num == 3)
            st = parse_normalizer(s, f.data, f.len, err);
    }
    if (st == ATS_OK && s->n == 0)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: not a SentencePiece model (no pieces)", s->path);
    if (st == ATS_OK && s->model_type != 1)
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "%s: a SentencePiece model of type %d; attnscope reads Unigram models "
                        "(type 1)",
                        s->path, s->model_type);
    return st;
}

/* ---- the pipeline (also for GGUF's t5 vocabularies)
 * -------------------------------------------------------------------------- */

/* Texts, scores and flags of the pieces; the ids past them up to vocab_size are named
 * <extra_id_N> (n_extra of them, N counting down from the last) and <unused_ID>. */
static ats_status set_vocab(tok_pipeline *t, const tok_spm_desc *s, int32_t n, int n_extra,
                            ats_error *err) {
    tok_vocab *v = &t->vocab;
    ats_status st = ats_tok_vocab_init(v, n, true, err);
    static const uint8_t type_flags[] = {
        [TOK_PIECE_NORMAL] = 0,
        [TOK_PIECE_UNKNOWN] = TOK_FLAG_SPECIAL | TOK_FLAG_NOLOOKUP,
        [TOK_PIECE_CONTROL] = TOK_FLAG_SPECIAL | TOK_FLAG_NOLOOKUP,
        [TOK_PIECE_USER] = TOK_FLAG_USER,
        [TOK_PIECE_UNUSED] = TOK_FLAG_UNUSED,
        [TOK_PIECE_BYTE] = TOK_FLAG_BYTE | TOK_FLAG_NOLOOKUP,
    };
    for (int32_t id = 0; id < (int32_t)s->n && st == ATS_OK; id++) {
        const tok_spm_piece *p = &s->pieces[id];
        if ((st = ats_tok_vocab_set(v, id, p->text, p->len, err)) != ATS_OK)
            break;
        v->score[id] = p->score;
        v->flags[id] = type_flags[p->type];
        if (p->type == TOK_PIECE_UNKNOWN)
            t->model.unk_id = id;
        if (p->type == TOK_PIECE_BYTE) {
            int byte = ats_tok_parse_byte_token(p->text, p->len);
            if (byte < 0)
                st = ats_fail(err, ATS_ERR_FORMAT, "%s: byte piece %d is not <0xXX>", s->path, id);
            else {
                v->byte_of[id] = (uint8_t)byte;
                v->byte_id[byte] = id;
            }
        }
        if (p->type == TOK_PIECE_UNKNOWN || p->type == TOK_PIECE_CONTROL)
            st = ats_tok_pipeline_add_added(t, id, p->text, p->len, true, err);
    }
    char name[48];
    for (int32_t id = (int32_t)s->n; id < n && st == ATS_OK; id++) {
        int32_t extra = (int32_t)s->n + n_extra - 1 - id;
        int k = extra >= 0 ? snprintf(name, sizeof name, "<extra_id_%d>", (int)extra)
                           : snprintf(name, sizeof name, "<unused_%d>", (int)id);
        if ((st = ats_tok_vocab_set(v, id, name, (size_t)k, err)) != ATS_OK)
            break;
        v->flags[id] = TOK_FLAG_SPECIAL | TOK_FLAG_NOLOOKUP;
        if (extra >= 0)
            st = ats_tok_pipeline_add_added(t, id, name, (size_t)k, true, err);
    }
    return st;
}

/* The lookup map over the pieces the segmentation may use; sentencepiece refuses a piece
 * defined twice. Also the score range and the longest piece. */
static ats_status build_lookup(tok_pipeline *t, const tok_spm_desc *s, ats_error *err) {
    tok_vocab *v = &t->vocab;
    ats_status st = ats_tok_vocab_build_map(v, true, err);
    tok_model *m = &t->model;
    m->min_score = FLT_MAX;
    m->max_score = FLT_MIN; /* sentencepiece's starting values */
    for (int32_t id = 0; id < (int32_t)s->n && st == ATS_OK; id++) {
        int32_t found;
        if (v->flags[id] & TOK_FLAG_NOLOOKUP)
            continue;
        if (ats_tok_strmap_get(&v->map, tok_vocab_text(v, id), v->len[id], &found) && found != id)
            return ats_fail(err, ATS_ERR_FORMAT, "%s: piece '%.40s' is defined twice (%d, %d)",
                            s->path, tok_vocab_text(v, id), found, id);
        if (s->pieces[id].type == TOK_PIECE_NORMAL) {
            m->min_score = s->pieces[id].score < m->min_score ? s->pieces[id].score : m->min_score;
            m->max_score = s->pieces[id].score > m->max_score ? s->pieces[id].score : m->max_score;
        }
        if ((int32_t)v->len[id] > m->max_piece_len)
            m->max_piece_len = (int32_t)v->len[id];
    }
    return st;
}

static ats_status add_normalizer(tok_pipeline *t, const tok_spm_desc *s, ats_error *err) {
    tok_norm *nm = ats_tok_pipeline_add_norm(t, TOK_NORM_SPM, err);
    if (!nm)
        return ATS_ERR_NOMEM;
    nm->dummy_prefix = s->dummy_prefix;
    nm->remove_extra_ws = s->remove_extra_ws;
    nm->escape_ws = s->escape_ws;
    nm->ws_suffix = s->ws_suffix;
    nm->vocab = &t->vocab;
    nm->source = t->source;
    size_t n_user = 0;
    for (size_t i = 0; i < s->n; i++)
        n_user += s->pieces[i].type == TOK_PIECE_USER;
    if (n_user) {
        if (!(nm->user_ids = malloc(n_user * sizeof *nm->user_ids)))
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < s->n; i++)
            if (s->pieces[i].type == TOK_PIECE_USER)
                nm->user_ids[nm->n_user++] = (int32_t)i;
    }
    return ats_tok_charsmap_parse(s->charsmap, s->charsmap_len, s->path, &nm->charsmap, err);
}

ats_status ats_tok_spm_unigram_build(tok_pipeline *t, const tok_spm_desc *s, int vocab_size,
                                     int n_extra, ats_error *err) {
    int32_t n = vocab_size > (int)s->n ? vocab_size : (int32_t)s->n;
    if (n_extra > n - (int32_t)s->n)
        n_extra = n - (int32_t)s->n;
    ats_status st = set_vocab(t, s, n, n_extra, err);
    if (st == ATS_OK)
        st = build_lookup(t, s, err);
    if (st == ATS_OK && t->model.unk_id < 0)
        st = ats_fail(err, ATS_ERR_FORMAT, "%s: the model has no unknown piece", s->path);
    if (st == ATS_OK && s->byte_fallback)
        for (int b = 0; b < 256 && st == ATS_OK; b++)
            if (t->vocab.byte_id[b] < 0)
                st = ats_fail(err, ATS_ERR_FORMAT,
                              "%s: byte fallback is on but there is no piece <0x%02X>", s->path, b);
    if (st == ATS_OK)
        st = add_normalizer(t, s, err);
    if (st != ATS_OK)
        return st;
    tok_model *m = &t->model;
    m->kind = TOK_MODEL_UNIGRAM;
    m->score_f32 = true;
    m->byte_fallback = s->byte_fallback;
    t->display = TOK_DISPLAY_SPM;
    if (s->eos_id >= 0 && s->eos_id < (int64_t)s->n &&
        s->pieces[s->eos_id].type == TOK_PIECE_CONTROL)
        t->suffix[t->n_suffix++] = (int32_t)s->eos_id;
    snprintf(t->base.kind, sizeof t->base.kind, "SentencePiece Unigram");
    t->base.vocab_size = n;
    return ATS_OK;
}

ats_status ats_tokenizer_from_spiece(const char *path, int vocab_size, int n_extra,
                                     ats_tokenizer **out, ats_error *err) {
    *out = NULL;
    ats_mapped_file *file;
    ats_status st = ats_mapped_file_open(path, &file, err);
    if (st != ATS_OK)
        return st;
    tok_spm_desc s = {.path = path,
                      .model_type = 1,
                      .eos_id = 2,
                      .dummy_prefix = true,
                      .remove_extra_ws = true,
                      .escape_ws = true};
    tok_pipeline *t = NULL;
    if ((st = parse_model(&s, file->data, file->size, err)) == ATS_OK &&
        !(t = ats_tok_pipeline_new(path, err)))
        st = ATS_ERR_NOMEM;
    if (st == ATS_OK)
        st = ats_tok_spm_unigram_build(t, &s, vocab_size, n_extra, err);
    free(s.pieces);
    ats_mapped_file_free(file); /* the pipeline copied what it keeps */
    if (st != ATS_OK) {
        ats_tok_pipeline_free(t ? &t->base : NULL);
        return st;
    }
    *out = &t->base;
    return ATS_OK;
}
