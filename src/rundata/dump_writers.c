/* The numbers of a run as files: JSON (the schema of DESIGN.md), NPY and CSV. Shared by
 * `attnscope dump` and the window's data export, which writes into memory first. */
#include "attnscope/rundata.h"

#include <string.h>

static void write_index_list(FILE *f, int first, int n) {
    fputc('[', f);
    for (int i = 0; i < n; i++)
        fprintf(f, i ? ", %d" : "%d", first + i);
    fputc(']', f);
}

static void write_vector(FILE *f, const float *v, int n) {
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        ats_json_write_float(f, v[i]);
    }
    fputc(']', f);
}

/* rows x cols as an array of rows */
static void write_matrix(FILE *f, const float *m, int rows, int cols) {
    fputc('[', f);
    for (int r = 0; r < rows; r++) {
        if (r)
            fputs(", ", f);
        write_vector(f, m + (size_t)r * cols, cols);
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
    write_vector(f, st->q, dh);
    fprintf(f, ",%s  \"k\": ", nl);
    write_matrix(f, st->k, T, dh);
    fprintf(f, ",%s  \"v\": ", nl);
    write_matrix(f, st->v, T, dh);
    fprintf(f, ",%s  \"scores\": ", nl);
    write_vector(f, st->scores, T);
    fprintf(f, ",%s  \"scaled\": ", nl);
    write_vector(f, st->scaled, T);
    fprintf(f, ",%s  \"masked\": [", nl);
    for (int j = 0; j < T; j++)
        fprintf(f, "%s%s", j ? ", " : "", st->masked[j] ? "true" : "false");
    fprintf(f, "],%s  \"weights\": ", nl);
    write_vector(f, st->weights, T);
    fprintf(f, ",%s  \"output\": ", nl);
    write_vector(f, st->output, dh);
    fputc('}', f);
}

/* One JSON object; with one_line (JSON Lines, for --text-file) it holds no newline but the last,
 * otherwise each member and each head starts a line so a person can read the file. */
ats_status ats_dump_write_json(FILE *f, const ats_model *model, const char *text, size_t text_len,
                               const ats_run *run, const ats_dump_selection *sel,
                               const char *warning, const ats_head_steps *steps, bool one_line,
                               ats_error *err) {
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
    fprintf(f, ",%s \"attentions\": [", nl);
    for (int l = 0; l < sel->n_layers; l++) {
        fprintf(f, "%s%s  [", l ? "," : "", nl);
        for (int h = 0; h < sel->n_heads; h++) {
            if (h)
                fprintf(f, ",%s   ", nl);
            const float *a;
            ats_status s = ats_run_attention_acquire(run, sel->layer0 + l, sel->head0 + h, &a, err);
            if (s != ATS_OK)
                return s;
            write_matrix(f, a, T, T);
            ats_run_attention_release(run, a);
        }
        fputc(']', f);
    }
    fputc(']', f);
    const float *logits = ats_run_logits_last(run);
    if (logits) {
        fprintf(f, ",%s \"logits_last\": ", nl);
        write_vector(f, logits, ats_model_get_config(model)->vocab_size);
    }
    const float *hidden = ats_run_hidden(run);
    if (hidden) {
        fprintf(f, ",%s \"hidden_last_layer\": ", nl);
        write_matrix(f, hidden, T, ats_model_get_config(model)->d_model);
    }
    if (steps)
        write_steps(f, steps, nl);
    fputs("}\n", f);
    return ATS_OK;
}

/* NPY version 1.0: magic, header length, a Python dict literal padded to 64 bytes, data. */
ats_status ats_dump_write_npy(FILE *f, const ats_run *run, const ats_dump_selection *sel,
                              ats_error *err) {
    int T = ats_run_n_tokens(run);
    char dict[160];
    int n = snprintf(dict, sizeof dict,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d, %d, %d), }",
                     sel->n_layers, sel->n_heads, T, T);
    int total = 10 + n + 1; /* magic(6) version(2) length(2) dict newline */
    int pad = (64 - total % 64) % 64;
    unsigned header_len = (unsigned)(n + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc((int)(header_len & 0xff), f);
    fputc((int)(header_len >> 8), f);
    fwrite(dict, 1, (size_t)n, f);
    for (int i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    /* float32 little-endian: the in-memory layout on every platform attnscope builds for. */
    for (int l = 0; l < sel->n_layers; l++)
        for (int h = 0; h < sel->n_heads; h++) {
            const float *a;
            ats_status s = ats_run_attention_acquire(run, sel->layer0 + l, sel->head0 + h, &a, err);
            if (s != ATS_OK)
                return s;
            fwrite(a, sizeof(float), (size_t)T * T, f);
            ats_run_attention_release(run, a);
        }
    return ATS_OK;
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

ats_status ats_dump_write_csv(FILE *f, const ats_run *run, int layer, int head, ats_error *err) {
    const ats_tokens *tokens = ats_run_get_tokens(run);
    int T = ats_run_n_tokens(run);
    const float *a;
    ats_status s = ats_run_attention_acquire(run, layer, head, &a, err);
    if (s != ATS_OK)
        return s;
    write_csv_field(f, "query\\key");
    for (int j = 0; j < T; j++) {
        fputc(',', f);
        write_csv_field(f, ats_tokens_get(tokens, j)->piece);
    }
    fputs("\r\n", f);
    for (int i = 0; i < T; i++) {
        write_csv_field(f, ats_tokens_get(tokens, i)->piece);
        for (int j = 0; j < T; j++) {
            fputc(',', f);
            ats_json_write_float(f, a[(size_t)i * T + j]);
        }
        fputs("\r\n", f);
    }
    ats_run_attention_release(run, a);
    return ATS_OK;
}
