/* The numbers of a run as files: JSON (the schema of DESIGN.md), NPY and CSV. Shared by
 * `attnscope dump` and the window's data export, which write straight into files. Heads are taken
 * one at a time (ats_run_kind_acquire), so a long run's heads are computed as they are written. */
#include "attnscope/rundata.h"
#include "rundata_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void write_index_list(FILE *f, int first, int n) {
    fputc('[', f);
    for (int i = 0; i < n; i++)
        fprintf(f, i ? ", %d" : "%d", first + i);
    fputc(']', f);
}

/* rows x cols as an array of rows */
static void write_matrix(FILE *f, const float *m, int rows, int cols) {
    fputc('[', f);
    for (int r = 0; r < rows; r++) {
        if (r)
            fputs(", ", f);
        ats_json_write_floats(f, m + (size_t)r * cols, cols);
    }
    fputc(']', f);
}

static void write_steps(FILE *f, const ats_head_steps *st, const char *nl) {
    int T = st->n_tokens, dh = st->d_head;
    fprintf(f,
            ",%s \"steps\": {\"layer\": %d, \"head\": %d, \"kv_head\": %d, \"token\": %d, "
            "\"d_k\": %d, \"scale\": ",
            nl, st->layer, st->head, st->kv_head, st->token, dh);
    ats_json_write_float(f, st->scale);
    fputs(", \"temperature\": ", f);
    ats_json_write_float(f, st->temperature);
    fprintf(f, ", \"causal\": %s,%s  \"q\": ", st->causal ? "true" : "false", nl);
    ats_json_write_floats(f, st->q, dh);
    fprintf(f, ",%s  \"k\": ", nl);
    write_matrix(f, st->k, T, dh);
    fprintf(f, ",%s  \"v\": ", nl);
    write_matrix(f, st->v, T, dh);
    fprintf(f, ",%s  \"scores\": ", nl);
    ats_json_write_floats(f, st->scores, T);
    if (st->bias) { /* T5: the relative position bias added to the scores */
        fprintf(f, ",%s  \"bias\": ", nl);
        ats_json_write_floats(f, st->bias, T);
    }
    fprintf(f, ",%s  \"scaled\": ", nl);
    ats_json_write_floats(f, st->scaled, T);
    if (st->capped) { /* Gemma 2: softcap * tanh(scaled / softcap), what the softmax reads */
        fprintf(f, ",%s  \"softcap\": ", nl);
        ats_json_write_float(f, st->softcap);
        fprintf(f, ",%s  \"capped\": ", nl);
        ats_json_write_floats(f, st->capped, T);
    }
    if (st->window > 0)
        fprintf(f, ",%s  \"window\": %d", nl, st->window);
    fprintf(f, ",%s  \"masked\": [", nl);
    for (int j = 0; j < T; j++)
        fprintf(f, "%s%s", j ? ", " : "", st->masked[j] ? "true" : "false");
    fprintf(f, "],%s  \"weights\": ", nl);
    ats_json_write_floats(f, st->weights, T);
    fprintf(f, ",%s  \"output\": ", nl);
    ats_json_write_floats(f, st->output, dh);
    fputc('}', f);
}

/* A write to `f` failed (a full disk, a file size limit): the writers stop at the next head
 * rather than compute the rest for nothing. */
static ats_status write_failed(FILE *f, ats_error *err) {
    int e = errno ? errno : EIO;
    return ferror(f) ? ats_fail(err, ATS_ERR_IO, "cannot write: %s", strerror(e)) : ATS_OK;
}

/* "attentions": [layer][head][query][key] of one kind over a selection. */
static ats_status write_kind(FILE *f, const ats_run *run, ats_attn_kind kind,
                             const ats_dump_selection *sel, const char *nl, ats_error *err) {
    fputc('[', f);
    for (int l = 0; l < sel->n_layers; l++) {
        fprintf(f, "%s%s  [", l ? "," : "", nl);
        for (int h = 0; h < sel->n_heads; h++) {
            int rows, cols;
            const float *a;
            ats_status s = ats_run_kind_acquire(run, kind, sel->layer0 + l, sel->head0 + h, &a,
                                                &rows, &cols, err);
            if (s != ATS_OK)
                return s;
            if (h)
                fprintf(f, ",%s   ", nl);
            write_matrix(f, a, rows, cols);
            ats_run_kind_release(run, kind, a);
            if ((s = write_failed(f, err)) != ATS_OK)
                return s;
        }
        fputc(']', f);
    }
    fputc(']', f);
    return ATS_OK;
}

/* ---- a dump's extras (rundata_internal.h) ---------------------------------------------------- */

/* "head_mean" and "head_max": [layer][query][key] of the selected layers */
static ats_status write_aggregate(FILE *f, const ats_dump_analysis *a, const ats_run *run,
                                  const ats_dump_selection *sel, const char *nl, ats_error *err) {
    int T = ats_run_n_tokens(run);
    for (int which = 0; which < 2; which++) { /* head_mean, then head_max */
        fprintf(f, ",%s \"%s\": [", nl, which ? "head_max" : "head_mean");
        for (int l = 0; l < sel->n_layers; l++) {
            ats_status s = ats_run_head_mean_max(run, sel->layer0 + l, a->mean, a->max, err);
            if (s != ATS_OK)
                return s;
            fprintf(f, "%s%s  ", l ? "," : "", nl);
            write_matrix(f, which ? a->max : a->mean, T, T);
        }
        fputc(']', f);
    }
    return ATS_OK;
}

/* "value_weighted": [layer][head][query][key] of the selection, A_ij * ||v_j W_O^h|| */
static ats_status write_value_weighted(FILE *f, const ats_dump_analysis *a, const ats_run *run,
                                       const ats_dump_selection *sel, const char *nl,
                                       ats_error *err) {
    int T = ats_run_n_tokens(run), H = ats_run_get_config(run)->n_head;
    fprintf(f, ",%s \"value_weighted\": [", nl);
    for (int l = 0; l < sel->n_layers; l++) {
        fprintf(f, "%s%s  [", l ? "," : "", nl);
        for (int h = 0; h < sel->n_heads; h++) {
            int layer = sel->layer0 + l, head = sel->head0 + h;
            const float *attn;
            ats_status s = ats_run_attention_acquire(run, layer, head, &attn, err);
            if (s != ATS_OK)
                return s;
            const float *norms = a->norms + ((size_t)layer * H + head) * T; /* (T) */
            ats_value_weighted(attn, norms, T, T, a->weighted);
            ats_run_attention_release(run, attn);
            if (h)
                fprintf(f, ",%s   ", nl);
            write_matrix(f, a->weighted, T, T);
            if ((s = write_failed(f, err)) != ATS_OK)
                return s;
        }
        fputc(']', f);
    }
    fputc(']', f);
    return ATS_OK;
}

/* [{"id", "piece", "prob"}] of a->top[first .. first + n_top). */
static void write_top(FILE *f, const ats_dump_analysis *a, int first) {
    fputc('[', f);
    for (int i = first; i < first + a->n_top; i++) {
        const char *piece = ats_tokens_get(a->top_tokens, i)->piece;
        fprintf(f, "%s{\"id\": %d, \"piece\": ", i > first ? ", " : "", a->top[i].id);
        ats_json_write_string(f, piece, strlen(piece));
        fputs(", \"prob\": ", f);
        ats_json_write_float(f, a->top[i].prob);
        fputc('}', f);
    }
    fputc(']', f);
}

ats_status ats_dump_analysis_write(FILE *f, const ats_dump_analysis *a, const ats_run *run,
                                   const ats_dump_selection *sel, const char *nl, ats_error *err) {
    const ats_model_config *c = ats_run_get_config(run);
    int T = ats_run_n_tokens(run);
    if (ats_run_n_ablated(run) > 0) {
        fprintf(f, ",%s \"ablated\": [", nl);
        int n = 0;
        for (int l = 0; l < c->n_layer; l++)
            for (int h = 0; h < c->n_head; h++)
                if (ats_run_head_ablated(run, l, h))
                    fprintf(f, "%s{\"layer\": %d, \"head\": %d}", n++ ? ", " : "", l, h);
        fputc(']', f);
    }
    ats_status s = a->ex.aggregate ? write_aggregate(f, a, run, sel, nl, err) : ATS_OK;
    if (s == ATS_OK && a->rollout) {
        fprintf(f, ",%s \"rollout\": [", nl);
        for (int l = 0; l < c->n_layer; l++) {
            fprintf(f, "%s%s  ", l ? "," : "", nl);
            write_matrix(f, a->rollout + (size_t)l * T * T, T, T);
        }
        fputc(']', f);
    }
    if (s == ATS_OK && a->norms)
        s = write_value_weighted(f, a, run, sel, nl, err);
    if (s == ATS_OK && a->top && a->masked) { /* a masked-LM head: at each mask token */
        fprintf(f, ",%s \"masked\": [", nl);
        for (int m = 0; m < a->n_masked; m++) {
            fprintf(f, "%s%s  {\"position\": %d, \"top_k\": ", m ? "," : "", nl, a->masked[m]);
            write_top(f, a, m * a->n_top);
            fputc('}', f);
        }
        fputc(']', f);
    } else if (s == ATS_OK && a->top) {
        fprintf(f, ",%s \"top_k\": ", nl);
        write_top(f, a, 0);
    }
    return s;
}

/* One JSON object; with one_line (JSON Lines, for --text-file) it holds no newline but the last,
 * otherwise each member and each head starts a line so a person can read the file. */
ats_status ats_dump_write_json(FILE *f, const ats_model *model, const char *text, size_t text_len,
                               const ats_run *run, const ats_dump_selection *sel,
                               const char *warning, const ats_head_steps *steps,
                               const ats_dump_extras *extras, bool one_line, ats_error *err) {
    ats_dump_extras none = {0};
    ats_dump_analysis an;
    ats_status s = ats_dump_analysis_make(&an, model, run, extras ? extras : &none, err);
    if (s != ATS_OK)
        return s;
    int T = ats_run_n_tokens(run);
    const char *nl = one_line ? "" : "\n";
    fputs("{\"model\": ", f);
    ats_json_write_model(f, model);
    fprintf(f, ",%s \"text\": ", nl);
    ats_json_write_string(f, text, text_len);
    fprintf(f, ",%s \"tokens\": ", nl);
    ats_json_write_tokens(f, ats_run_get_tokens(run));
    if (warning) {
        fprintf(f, ",%s \"warnings\": [", nl);
        ats_json_write_string(f, warning, strlen(warning));
        fprintf(f, "],%s \"truncated\": {\"kept\": %d, \"dropped\": %d}", nl, T,
                ats_run_dropped_tokens(run));
    }
    fprintf(f, ",%s \"layers\": ", nl);
    write_index_list(f, sel->layer0, sel->n_layers);
    fputs(", \"heads\": ", f);
    write_index_list(f, sel->head0, sel->n_heads);
    fprintf(f, ",%s \"attentions\": ", nl);
    s = write_kind(f, run, ATS_ATTN_ENCODER, sel, nl, err);
    if (s == ATS_OK)
        s = ats_dump_analysis_write(f, &an, run, sel, nl, err);
    if (s != ATS_OK) {
        ats_dump_analysis_free(&an);
        return s;
    }
    const float *logits = extras && extras->hide_logits ? NULL : ats_run_logits_last(run);
    if (logits) {
        fprintf(f, ",%s \"logits_last\": ", nl);
        ats_json_write_floats(f, logits, ats_model_get_config(model)->vocab_size);
    }
    const float *hidden = !extras || extras->show_hidden ? ats_run_hidden(run) : NULL;
    if (hidden) {
        fprintf(f, ",%s \"hidden_last_layer\": ", nl);
        write_matrix(f, hidden, T, ats_model_get_config(model)->d_model);
    }
    if (steps)
        write_steps(f, steps, nl);
    fputs("}\n", f);
    ats_dump_analysis_free(&an);
    return ATS_OK;
}

/* The object of ats_dump_write_json_seq2seq with its extras computed: enc_an's (head_mean,
 * head_max, rollout) of the encoder run, dec_an's (top_k) of the decoder run. */
static ats_status write_json_seq2seq(FILE *f, const ats_model *model, const char *text,
                                     size_t text_len, const char *target, size_t target_len,
                                     const ats_run *run, const ats_dump_selection *enc,
                                     const ats_dump_selection *dec, const ats_head_steps *steps,
                                     const ats_dump_analysis *enc_an,
                                     const ats_dump_analysis *dec_an, bool hide_logits,
                                     const char *nl, ats_error *err) {
    const ats_run *encoder = ats_run_encoder(run);
    const ats_model_config *dc = ats_run_get_config(run);
    fputs("{\"model\": ", f);
    ats_json_write_model(f, model);
    fprintf(f, ",%s \"text\": ", nl);
    ats_json_write_string(f, text, text_len);
    fprintf(f, ",%s \"target\": ", nl);
    if (target)
        ats_json_write_string(f, target, target_len);
    else
        fputs("null", f);
    fprintf(f, ",%s \"tokens\": ", nl);
    ats_json_write_tokens(f, ats_run_get_tokens(encoder));
    fprintf(f, ",%s \"layers\": ", nl);
    write_index_list(f, enc->layer0, enc->n_layers);
    fputs(", \"heads\": ", f);
    write_index_list(f, enc->head0, enc->n_heads);
    fprintf(f, ",%s \"attentions\": ", nl);
    ats_status s = write_kind(f, run, ATS_ATTN_ENCODER, enc, nl, err);
    if (s == ATS_OK)
        s = ats_dump_analysis_write(f, enc_an, encoder, enc, nl, err);
    if (s != ATS_OK)
        return s;
    fprintf(f, ",%s \"decoder_tokens\": ", nl);
    ats_json_write_tokens(f, ats_run_get_tokens(run));
    fprintf(f, ",%s \"generated\": %d", nl, ats_run_generated_tokens(run));
    fprintf(f, ",%s \"decoder_layers\": ", nl);
    write_index_list(f, dec->layer0, dec->n_layers);
    fprintf(f, ",%s \"decoder_attentions\": ", nl);
    if ((s = write_kind(f, run, ATS_ATTN_DECODER, dec, nl, err)) != ATS_OK)
        return s;
    fprintf(f, ",%s \"cross_attentions\": ", nl);
    if ((s = write_kind(f, run, ATS_ATTN_CROSS, dec, nl, err)) != ATS_OK ||
        (s = ats_dump_analysis_write(f, dec_an, run, dec, nl, err)) != ATS_OK)
        return s;
    if (ats_run_logits_last(run) && !hide_logits) {
        fprintf(f, ",%s \"logits_last\": ", nl);
        ats_json_write_floats(f, ats_run_logits_last(run), dc->vocab_size);
    }
    if (ats_run_hidden(run)) { /* asked for: the encoder's output and the decoder's final states */
        fprintf(f, ",%s \"hidden_last_layer\": ", nl);
        write_matrix(f, ats_run_hidden(encoder), ats_run_n_tokens(encoder), dc->d_model);
        fprintf(f, ",%s \"decoder_hidden_last_layer\": ", nl);
        write_matrix(f, ats_run_hidden(run), ats_run_n_tokens(run), dc->d_model);
    }
    if (steps)
        write_steps(f, steps, nl);
    fputs("}\n", f);
    return ATS_OK;
}

ats_status ats_dump_write_json_seq2seq(FILE *f, const ats_model *model, const char *text,
                                       size_t text_len, const char *target, size_t target_len,
                                       const ats_run *run, const ats_dump_selection *enc,
                                       const ats_dump_selection *dec, const ats_head_steps *steps,
                                       const ats_dump_extras *extras, bool one_line,
                                       ats_error *err) {
    const ats_run *encoder = ats_run_encoder(run);
    ats_dump_extras none = {0}, enc_ex = none, dec_ex = none;
    if (extras) {
        if (extras->value_weighted)
            return ats_fail(err, ATS_ERR_ARG,
                            "value-weighted attention is not available for encoder-decoder models");
        enc_ex.aggregate = extras->aggregate; /* of the encoder's self-attention */
        enc_ex.rollout = extras->rollout;
        dec_ex.top_k = extras->top_k; /* the next target token */
    }
    /* computed before anything is written, as ats_dump_write_json does */
    ats_dump_analysis enc_an, dec_an;
    ats_status s = ats_dump_analysis_make(&enc_an, model, encoder, &enc_ex, err);
    if (s != ATS_OK)
        return s;
    if ((s = ats_dump_analysis_make(&dec_an, model, run, &dec_ex, err)) != ATS_OK) {
        ats_dump_analysis_free(&enc_an);
        return s;
    }
    s = write_json_seq2seq(f, model, text, text_len, target, target_len, run, enc, dec, steps,
                           &enc_an, &dec_an, extras && extras->hide_logits, one_line ? "" : "\n",
                           err);
    ats_dump_analysis_free(&enc_an);
    ats_dump_analysis_free(&dec_an);
    return s;
}

/* NPY version 1.0: magic, header length, a Python dict literal padded to 64 bytes, data. The
 * header into h (192 bytes); returns its length. */
static size_t npy_header(unsigned char *h, int d0, int d1, int d2, int d3) {
    char dict[160];
    int n = snprintf(dict, sizeof dict,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d, %d, %d), }", d0,
                     d1, d2, d3);
    int total = 10 + n + 1; /* magic(6) version(2) length(2) dict newline */
    int pad = (64 - total % 64) % 64;
    unsigned header_len = (unsigned)(n + pad + 1);
    memcpy(h, "\x93NUMPY\x01\x00", 8);
    h[8] = (unsigned char)(header_len & 0xff);
    h[9] = (unsigned char)(header_len >> 8);
    memcpy(h + 10, dict, (size_t)n);
    memset(h + 10 + n, ' ', (size_t)pad);
    h[10 + n + pad] = '\n';
    return 10 + header_len;
}

/* The NPY of one kind over a selection, written to f (NULL: not written) with its CRC-32 in
 * *crc (NULL: not needed), one head at a time. */
static ats_status npy_kind(FILE *f, const ats_run *run, ats_attn_kind kind,
                           const ats_dump_selection *sel, uint32_t *crc, ats_error *err) {
    const ats_run *r = ats_run_of_kind(run, kind);
    if (!r)
        return ats_fail(err, ATS_ERR_ARG, "the run has no %s attention", ats_attn_kind_name(kind));
    int rows = ats_run_n_tokens(r);
    int cols = kind == ATS_ATTN_CROSS ? ats_run_n_tokens(ats_run_encoder(run)) : rows;
    unsigned char h[192];
    size_t hn = npy_header(h, sel->n_layers, sel->n_heads, rows, cols);
    uLong c = crc ? crc32(crc32(0L, Z_NULL, 0), h, (uInt)hn) : 0;
    if (f)
        fwrite(h, 1, hn, f);
    /* float32 little-endian: the in-memory layout on every platform attnscope builds for. */
    for (int l = 0; l < sel->n_layers; l++)
        for (int hd = 0; hd < sel->n_heads; hd++) {
            const float *a;
            ats_status s = ats_run_kind_acquire(run, kind, sel->layer0 + l, sel->head0 + hd, &a,
                                                &rows, &cols, err);
            if (s != ATS_OK)
                return s;
            size_t bytes = (size_t)rows * (size_t)cols * sizeof(float);
            if (f)
                fwrite(a, 1, bytes, f);
            for (size_t at = 0; crc && at < bytes; at += 1u << 30) /* uInt takes < 4 GiB */
                c = crc32(c, (const Bytef *)a + at,
                          (uInt)(bytes - at < 1u << 30 ? bytes - at : 1u << 30));
            ats_run_kind_release(run, kind, a);
            if (f && (s = write_failed(f, err)) != ATS_OK)
                return s;
        }
    if (crc)
        *crc = (uint32_t)c;
    return ATS_OK;
}

ats_status ats_dump_write_npy_kind(FILE *f, const ats_run *run, ats_attn_kind kind,
                                   const ats_dump_selection *sel, ats_error *err) {
    return npy_kind(f, run, kind, sel, NULL, err);
}

ats_status ats_dump_write_npy(FILE *f, const ats_run *run, const ats_dump_selection *sel,
                              ats_error *err) {
    return ats_dump_write_npy_kind(f, run, ATS_ATTN_ENCODER, sel, err);
}

/* ---- NPZ: a zip archive of NPY files, stored (no compression) ------------------------------ */

static void put_le(unsigned char *p, uint32_t v, int n) {
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A zip header: local (signature 0x04034b50, 30 bytes) or central (0x02014b50, 46 bytes) for an
 * entry stored at `offset`. */
static void zip_header(FILE *f, bool central, const char *name, uint32_t crc, uint32_t size,
                       uint32_t offset) {
    unsigned char h[46] = {0};
    int at = central ? 6 : 4; /* central headers hold "version made by" first */
    put_le(h, central ? 0x02014b50u : 0x04034b50u, 4);
    if (central)
        put_le(h + 4, 20, 2);
    put_le(h + at, 20, 2);       /* version needed: 2.0 */
    put_le(h + at + 8, 0x21, 2); /* date: 1980-01-01 (time 0) */
    put_le(h + at + 10, crc, 4);
    put_le(h + at + 14, size, 4); /* compressed = uncompressed: stored */
    put_le(h + at + 18, size, 4);
    put_le(h + at + 22, (uint32_t)strlen(name), 2);
    if (central)
        put_le(h + 42, offset, 4);
    fwrite(h, 1, central ? 46 : 30, f);
    fputs(name, f);
}

/* The NPZ is written in one pass with each entry's CRC-32 in the header before its data, as
 * numpy's own files and every zip reader expect: the CRCs come from a first pass over the heads
 * (free for a kept run, recomputed heads for one computed on demand), so the arrays never sit in
 * memory whole. */
ats_status ats_dump_write_npz_seq2seq(FILE *f, const ats_run *run, const ats_dump_selection *enc,
                                      const ats_dump_selection *dec, ats_error *err) {
    static const char *const names[3] = {"attentions.npy", "decoder_attentions.npy",
                                         "cross_attentions.npy"};
    const ats_dump_selection *sel[3] = {enc, dec, dec};
    uint32_t crc[3], len[3], offset[3], at = 0;
    for (int k = 0; k < 3; k++) { /* the sizes first: nothing written when one is too large */
        const ats_run *r = ats_run_of_kind(run, (ats_attn_kind)k);
        if (!r)
            return ats_fail(err, ATS_ERR_ARG, "the run has no %s attention",
                            ats_attn_kind_name((ats_attn_kind)k));
        int rows = ats_run_n_tokens(r);
        int cols = k == ATS_ATTN_CROSS ? ats_run_n_tokens(ats_run_encoder(run)) : rows;
        unsigned char h[192];
        uint64_t size = npy_header(h, sel[k]->n_layers, sel[k]->n_heads, rows, cols) +
                        (uint64_t)sel[k]->n_layers * (uint64_t)sel[k]->n_heads * (uint64_t)rows *
                            (uint64_t)cols * sizeof(float);
        uint64_t end = (uint64_t)at + 30 + strlen(names[k]) + size;
        if (end >= 0xFFFFFF00u)
            return ats_fail(err, ATS_ERR_UNSUPPORTED,
                            "the %s attention takes %.1f GiB, beyond the 4 GiB of an NPZ archive",
                            ats_attn_kind_name((ats_attn_kind)k), (double)size / (1u << 30));
        len[k] = (uint32_t)size;
        offset[k] = at;
        at = (uint32_t)end;
    }
    for (int k = 0; k < 3; k++) {
        ats_status s = npy_kind(NULL, run, (ats_attn_kind)k, sel[k], &crc[k], err);
        if (s != ATS_OK)
            return s;
    }
    for (int k = 0; k < 3; k++) {
        zip_header(f, false, names[k], crc[k], len[k], 0);
        ats_status s = npy_kind(f, run, (ats_attn_kind)k, sel[k], NULL, err);
        if (s != ATS_OK)
            return s;
    }
    uint32_t dir_size = 0;
    for (int k = 0; k < 3; k++) {
        zip_header(f, true, names[k], crc[k], len[k], offset[k]);
        dir_size += 46 + (uint32_t)strlen(names[k]);
    }
    unsigned char e[22] = {0}; /* end of central directory */
    put_le(e, 0x06054b50u, 4);
    put_le(e + 8, 3, 2);
    put_le(e + 10, 3, 2);
    put_le(e + 12, dir_size, 4);
    put_le(e + 16, at, 4);
    fwrite(e, 1, sizeof e, f);
    return write_failed(f, err);
}

/* A CSV field per RFC 4180: quoted when it holds a comma, quote, line break or edge space. */
static void write_csv_field(FILE *f, const char *s) {
    size_t n = strlen(s);
    bool quote = n == 0 || strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || s[n - 1] == ' ' ||
                 s[0] == '\t' || s[n - 1] == '\t';
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

ats_status ats_dump_write_csv_kind(FILE *f, const ats_run *run, ats_attn_kind kind, int layer,
                                   int head, ats_error *err) {
    int rows = 0, cols = 0;
    const float *a;
    ats_status s = ats_run_kind_acquire(run, kind, layer, head, &a, &rows, &cols, err);
    if (s != ATS_OK)
        return s;
    const ats_tokens *queries = ats_run_get_tokens(ats_run_of_kind(run, kind));
    const ats_tokens *keys =
        kind == ATS_ATTN_CROSS ? ats_run_get_tokens(ats_run_encoder(run)) : queries;
    write_csv_field(f, "query\\key");
    for (int j = 0; j < cols; j++) {
        fputc(',', f);
        write_csv_field(f, ats_tokens_get(keys, j)->piece);
    }
    fputs("\r\n", f);
    for (int i = 0; i < rows; i++) {
        write_csv_field(f, ats_tokens_get(queries, i)->piece);
        for (int j = 0; j < cols; j++) {
            fputc(',', f);
            ats_json_write_float(f, a[(size_t)i * cols + j]);
        }
        fputs("\r\n", f);
    }
    ats_run_kind_release(run, kind, a);
    return ATS_OK;
}

ats_status ats_dump_write_csv(FILE *f, const ats_run *run, int layer, int head, ats_error *err) {
    return ats_dump_write_csv_kind(f, run, ATS_ATTN_ENCODER, layer, head, err);
}
