#include "cli.h"

#include <string.h>
#include <unistd.h>

static const char *USAGE =
    "usage: attnscope dump [--model M] (--text T | --text - | --text-file F)\n"
    "                      [--format json|npy|csv] [--layer L] [--head H]\n"
    "                      [--logits] [--hidden] [--no-special] [-o FILE]\n"
    "                      [--steps --layer L --head H --token I [--no-scaling]\n"
    "                       [--causal-mask on|off] [--temperature X]]\n"
    "\n"
    "Runs the model and writes every head's attention (after the softmax; rows sum to 1).\n"
    "\n"
    "  --format json   (default) {model, text, tokens, layers, heads, "
    "attentions[layer][head][query][key]}\n"
    "  --format npy    float32 array (L, H, T, T) of the selected layers and heads\n"
    "  --format csv    one head's (T, T) matrix, token pieces as header row and first column\n"
    "                  (layer and head default to 0)\n"
    "  --layer L       only layer L (counting from 0)\n"
    "  --head H        only head H (counting from 0)\n"
    "  --logits        JSON: add logits_last, the last position's logits\n"
    "  --hidden        JSON: add hidden_last_layer, the final hidden states [token][d_model]\n"
    "  --steps         JSON: add \"steps\", the attention formula for one head and query token\n"
    "                  (needs --layer, --head and --token I): q, k, v, scores (q.k), scaled\n"
    "                  (divided by sqrt(d_k)), weights (the softmax, equal to the attention row)\n"
    "                  and output (the weighted sum of the values)\n"
    "  --token I       the query token of --steps (counting from 0)\n"
    "  --no-scaling, --causal-mask on|off, --temperature X\n"
    "                  --steps what-ifs: leave out the division by sqrt(d_k), mask the keys\n"
    "                  after the query or none, softmax(scaled / X); the model is unchanged\n"
    "  --no-special    do not add the special tokens the model adds by default\n"
    "  --text-file F   one text per line; JSON output is then one object per line\n"
    "  -o FILE         write to FILE (atomically) instead of standard output\n";

typedef enum dump_format { FORMAT_JSON, FORMAT_NPY, FORMAT_CSV } dump_format;

/* The layers and heads a dump covers: everything, or the one --layer / --head names. */
typedef struct selection {
    int layer0, n_layers, head0, n_heads;
} selection;

static selection select_heads(const cli_opts *o, const ats_model_config *c) {
    selection s = {0, c->n_layer, 0, c->n_head};
    if (o->layer >= 0)
        s = (selection){o->layer, 1, s.head0, s.n_heads};
    if (o->head >= 0) {
        s.head0 = o->head;
        s.n_heads = 1;
    }
    return s;
}

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
        cli_json_write_float(f, v[i]);
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
    cli_json_write_float(f, st->scale);
    fputs(", \"temperature\": ", f);
    cli_json_write_float(f, st->temperature);
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
static void write_json(FILE *f, const ats_model *model, const char *text, size_t text_len,
                       const ats_run *run, const selection *sel, const char *warning,
                       const ats_head_steps *steps, bool one_line) {
    int T = ats_run_n_tokens(run);
    const char *nl = one_line ? "" : "\n";
    fputs("{\"model\": ", f);
    cli_json_write_model(f, model);
    fprintf(f, ",%s \"text\": ", nl);
    cli_json_write_string(f, text, text_len);
    fprintf(f, ",%s \"tokens\": ", nl);
    cli_json_write_tokens(f, ats_run_get_tokens(run));
    if (warning) {
        fprintf(f, ",%s \"warnings\": [", nl);
        cli_json_write_string(f, warning, strlen(warning));
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
            write_matrix(f, ats_run_attention(run, sel->layer0 + l, sel->head0 + h), T, T);
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
}

/* NPY version 1.0: magic, header length, a Python dict literal padded to 64 bytes, data. */
static void write_npy(FILE *f, const ats_run *run, const selection *sel) {
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
        for (int h = 0; h < sel->n_heads; h++)
            fwrite(ats_run_attention(run, sel->layer0 + l, sel->head0 + h), sizeof(float),
                   (size_t)T * T, f);
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

static void write_csv(FILE *f, const ats_run *run, int layer, int head) {
    const ats_tokens *tokens = ats_run_get_tokens(run);
    int T = ats_run_n_tokens(run);
    const float *a = ats_run_attention(run, layer, head);
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
            cli_json_write_float(f, a[(size_t)i * T + j]);
        }
        fputs("\r\n", f);
    }
}

static bool parse_format(const char *name, dump_format *out) {
    if (!name || strcmp(name, "json") == 0)
        *out = FORMAT_JSON;
    else if (strcmp(name, "npy") == 0)
        *out = FORMAT_NPY;
    else if (strcmp(name, "csv") == 0)
        *out = FORMAT_CSV;
    else
        return false;
    return true;
}

typedef struct dump_job {
    const cli_opts *o;
    ats_step_opts step_opts; /* --steps: the what-if switches */
    dump_format format;
    ats_model *model;
    cli_texts texts;
    cli_output out;
} dump_job;

/* Runs one text and writes it; returns an exit code. */
static int dump_one(dump_job *job, int index) {
    const cli_opts *o = job->o;
    const ats_model_config *c = ats_model_get_config(job->model);
    ats_run_opts ro = ats_run_opts_default();
    ro.add_special = !o->no_special;
    ro.want_logits = o->logits;
    ro.want_hidden = o->hidden;
    if (o->steps)
        ro.detail_layer = o->layer;
    ats_run *run;
    ats_error err;
    ats_status s =
        ats_run_text(job->model, job->texts.items[index], job->texts.lens[index], &ro, &run, &err);
    if (s != ATS_OK) {
        if (job->texts.n > 1)
            cli_error("line %d: %s", index + 1, err.message);
        else
            cli_error("%s", err.message);
        return cli_exit_for(s);
    }
    char warning[256];
    bool truncated = ats_run_dropped_tokens(run) > 0;
    if (truncated) {
        snprintf(warning, sizeof warning,
                 "the text has %d tokens but the model's context is %d: only the first %d were run",
                 ats_run_n_tokens(run) + ats_run_dropped_tokens(run), c->context,
                 ats_run_n_tokens(run));
        cli_warn("%s", warning);
    }
    ats_head_steps *steps = NULL;
    if (o->steps) {
        s = ats_head_steps_compute(run, o->layer, o->head, o->token, &job->step_opts, &steps, &err);
        if (s != ATS_OK) {
            cli_error("--token %d: %s", o->token, err.message);
            ats_run_free(run);
            return cli_exit_for(s);
        }
    }
    selection sel = select_heads(o, c);
    switch (job->format) {
    case FORMAT_JSON:
        write_json(job->out.f, job->model, job->texts.items[index], job->texts.lens[index], run,
                   &sel, truncated ? warning : NULL, steps, job->texts.n > 1);
        break;
    case FORMAT_NPY:
        write_npy(job->out.f, run, &sel);
        break;
    case FORMAT_CSV:
        write_csv(job->out.f, run, o->layer >= 0 ? o->layer : 0, o->head >= 0 ? o->head : 0);
        break;
    }
    ats_head_steps_free(steps);
    ats_run_free(run);
    return EXIT_OK;
}

int cmd_dump(int argc, char **argv) {
    cli_opts o;
    unsigned allowed = OPT_MODEL | OPT_TEXT | OPT_TOKENIZER | OPT_CAUSAL | OPT_FORMAT |
                       OPT_LAYER_HEAD | OPT_LOGITS | OPT_HIDDEN | OPT_NO_SPECIAL | OPT_OUTPUT |
                       OPT_STEPS | OPT_TOKEN | OPT_WHATIF;
    if (!cli_parse("dump", argc, argv, 2, allowed, &o))
        return EXIT_BAD_INPUT;
    if (o.help) {
        fputs(USAGE, stdout);
        return EXIT_OK;
    }
    dump_job job = {.o = &o};
    if (!parse_format(o.format, &job.format)) {
        cli_error("dump: unknown format '%s' (json, npy or csv)", o.format);
        return EXIT_BAD_INPUT;
    }
    if (job.format != FORMAT_JSON && (o.logits || o.hidden || o.steps)) {
        cli_error("dump: --logits, --hidden and --steps go into JSON output only");
        return EXIT_BAD_INPUT;
    }
    if (o.steps && (o.layer < 0 || o.head < 0 || o.token < 0)) {
        cli_error("dump: --steps needs --layer L, --head H and --token I");
        return EXIT_BAD_INPUT;
    }
    if (!o.steps && o.token >= 0) {
        cli_error("dump: --token goes with --steps");
        return EXIT_BAD_INPUT;
    }
    if (!o.steps && cli_whatif_given(&o)) {
        cli_error("dump: --no-scaling, --causal-mask and --temperature go with --steps");
        return EXIT_BAD_INPUT;
    }
    if (!cli_step_opts("dump", &o, &job.step_opts))
        return EXIT_BAD_INPUT;
    if (job.format == FORMAT_NPY && (!o.output || strcmp(o.output, "-") == 0) && isatty(1)) {
        cli_error("dump: NPY is binary; give -o FILE or redirect standard output");
        return EXIT_BAD_INPUT;
    }
    int code = EXIT_OK;
    if (!cli_read_texts(&o, &job.texts, &code))
        return code;
    if (job.format != FORMAT_JSON && job.texts.n > 1) {
        cli_error("dump: --format %s takes one text; --text-file holds %d", o.format, job.texts.n);
        cli_texts_free(&job.texts);
        return EXIT_BAD_INPUT;
    }
    job.model = cli_load_model(&o, &code);
    if (job.model && !cli_check_layer_head(&o, ats_model_get_config(job.model)))
        code = EXIT_BAD_INPUT;
    if (code == EXIT_OK && cli_output_open(&job.out, o.output, &code)) {
        for (int i = 0; i < job.texts.n && code == EXIT_OK; i++)
            code = dump_one(&job, i);
        if (code == EXIT_OK)
            cli_output_commit(&job.out, &code);
        else
            cli_output_abort(&job.out);
    }
    ats_model_free(job.model);
    cli_texts_free(&job.texts);
    return code;
}
