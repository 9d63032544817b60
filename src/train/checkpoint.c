/* Checkpoints: a Hugging Face style folder the engine opens like any GPT-2. */
#include "trainer_internal.h"

#include "base.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- folders ----------------------------------------------------------------------------------
 */

ats_status ats_tr_make_dirs(const char *dir, ats_error *err) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return ats_fail(err, ATS_ERR_ARG, "%s: path too long", dir);
    for (char *p = path + 1;; p++) {
        bool end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            struct stat st;
            if (mkdir(path, 0777) != 0 && errno != EEXIST)
                return ats_fail(err, ATS_ERR_IO, "%s: cannot create the folder: %s", path,
                                strerror(errno));
            if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
                return ats_fail(err, ATS_ERR_IO, "%s: not a folder", path);
            if (end)
                break;
            *p = '/';
        }
    }
    return ATS_OK;
}

static ats_status join(char *out, size_t size, const char *dir, const char *file, ats_error *err) {
    if (snprintf(out, size, "%s/%s", dir, file) >= (int)size)
        return ats_fail(err, ATS_ERR_ARG, "%s: path too long", dir);
    return ATS_OK;
}

/* ---- JSON pieces ------------------------------------------------------------------------------
 */

json_t *ats_tr_score_rows(const float *scores, int n_layer, int n_head) {
    json_t *rows = json_array();
    for (int l = 0; l < n_layer; l++) {
        json_t *row = json_array();
        for (int h = 0; h < n_head; h++)
            json_array_append_new(row, json_real(scores[l * n_head + h]));
        json_array_append_new(rows, row);
    }
    return rows;
}

json_t *ats_tr_recipe_json(const ats_trainer *t) {
    const ats_train_opts *o = &t->opts;
    return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:i, s:i, s:o, s:i, s:o, s:I}",
                     "corpus", o->corpus, "vocab_size", t->corpus.vocab, "n_layer", o->n_layer,
                     "n_head", o->n_head, "d_model", o->d_model, "d_ff", o->d_ff, "context",
                     o->context, "positions", o->rope ? "rotary" : "learned", "steps", o->steps,
                     "batch", o->batch, "lr", json_real(o->lr), "warmup", o->warmup, "weight_decay",
                     json_real(o->weight_decay), "seed", (json_int_t)o->seed);
}

/* ---- the three files ----------------------------------------------------------------------------
 */

static ats_status write_tokenizer(const ats_trainer *t, const char *dir, ats_error *err) {
    char path[4096], *text;
    ats_status s = join(path, sizeof path, dir, "tokenizer.json", err);
    if (s == ATS_OK && (s = ats_tr_corpus_tokenizer_json(&t->corpus, &text, err)) == ATS_OK) {
        s = ats_write_file_atomic(path, text, strlen(text), err);
        free(text);
    }
    return s;
}

/* model.safetensors: an 8-byte little-endian header length, the JSON header (padded with spaces
 * to a multiple of 8), then every tensor's float32 data in layout order. */
static ats_status write_weights(const ats_trainer *t, const char *dir, ats_error *err) {
    const ats_tr_model *m = &t->model;
    json_t *header = json_pack("{s:{s:s}}", "__metadata__", "format", "pt");
    for (int i = 0; header && i < m->n_tensors; i++) {
        const ats_tr_tensor *ten = &m->tensors[i];
        size_t begin = ten->offset * sizeof(float);
        size_t n = (size_t)ten->dims[0] * (ten->n_dims == 2 ? (size_t)ten->dims[1] : 1);
        json_t *shape = ten->n_dims == 2 ? json_pack("[i, i]", ten->dims[0], ten->dims[1])
                                         : json_pack("[i]", ten->dims[0]);
        json_object_set_new(header, ten->name,
                            json_pack("{s:s, s:o, s:[I, I]}", "dtype", "F32", "shape", shape,
                                      "data_offsets", (json_int_t)begin,
                                      (json_int_t)(begin + n * sizeof(float))));
    }
    char *text = header ? json_dumps(header, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(header);
    if (!text)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    size_t len = strlen(text), padded = (len + 7) / 8 * 8;
    uint8_t size_le[8];
    for (int i = 0; i < 8; i++)
        size_le[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    char path[4096];
    ats_outfile f;
    ats_status s = join(path, sizeof path, dir, "model.safetensors", err);
    if (s == ATS_OK)
        s = ats_outfile_open(&f, path, err);
    if (s != ATS_OK) {
        free(text);
        return s;
    }
    fwrite(size_le, 1, 8, f.f);
    fwrite(text, 1, len, f.f);
    for (size_t i = len; i < padded; i++)
        fputc(' ', f.f);
    free(text);
    /* float32 little-endian: the machine's own order on every platform attnscope builds on */
    fwrite(t->params, sizeof(float), m->n_params, f.f);
    return ats_outfile_commit(&f, err);
}

static ats_status write_config(const ats_trainer *t, const char *dir, const float *head_scores,
                               double loss, ats_error *err) {
    const ats_tr_config *c = &t->model.cfg;
    json_t *ours = json_pack("{s:s, s:i, s:o}", "trained_by", "attnscope train", "step", t->step,
                             "recipe", ats_tr_recipe_json(t));
    if (ours && loss >= 0)
        json_object_set_new(ours, "loss", json_real(loss));
    if (ours && head_scores) {
        ats_probe_opts probe = ats_probe_opts_default();
        size_t LH = (size_t)c->n_layer * c->n_head;
        json_object_set_new(
            ours, "head_scores",
            json_pack("{s:{s:I, s:i, s:i}, s:o, s:o}", "probe", "seed", (json_int_t)probe.seed,
                      "length", probe.length, "count", probe.count, "previous_token",
                      ats_tr_score_rows(head_scores, c->n_layer, c->n_head), "induction",
                      ats_tr_score_rows(head_scores + LH, c->n_layer, c->n_head)));
    }
    json_t *root =
        json_pack("{s:s, s:[s], s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:o, s:b, s:s, s:o}",
                  "model_type", "gpt2", "architectures", "GPT2LMHeadModel", "vocab_size", c->vocab,
                  "n_positions", c->context, "n_ctx", c->context, "n_embd", c->d_model, "n_layer",
                  c->n_layer, "n_head", c->n_head, "n_inner", c->d_ff, "activation_function",
                  "gelu_new", "layer_norm_epsilon", json_real(c->eps), "tie_word_embeddings", 0,
                  "position_embedding_type", c->rope ? "rotary" : "absolute", "attnscope", ours);
    if (root && c->rope)
        json_object_set_new(root, "rope_theta", json_real(c->rope_theta));
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(root);
    if (!text)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    char path[4096];
    ats_status s = join(path, sizeof path, dir, "config.json", err);
    if (s == ATS_OK)
        s = ats_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return s;
}

ats_status ats_trainer_save(const ats_trainer *t, const char *dir, const float *head_scores,
                            double loss, ats_error *err) {
    ats_error_clear(err);
    ats_status s = ats_tr_make_dirs(dir, err);
    if (s == ATS_OK)
        s = write_tokenizer(t, dir, err);
    if (s == ATS_OK)
        s = write_weights(t, dir, err);
    if (s == ATS_OK)
        s = write_config(t, dir, head_scores, loss, err);
    return s;
}
