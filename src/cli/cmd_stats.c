/* attnscope stats: what each head does, as numbers (analysis.h's head metrics). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE =
    "usage: attnscope stats [--model M] (--text T | --text - | --text-file F) [--json]\n"
    "                       [--sort COLUMN] [--no-special] [-o FILE]\n"
    "\n"
    "Measures every head's attention on the text. Each number is a mean over the query rows i\n"
    "of the head's attention A:\n"
    "  entropy      -sum_j A_ij ln A_ij, in nats (0 ln 0 = 0)\n"
    "  prev_token   A_i,i-1 over i = 1..T-1 (null with fewer than 2 tokens)\n"
    "  first_token  A_i,0\n"
    "  self         A_ii\n"
    "  distance     sum_j A_ij |i - j|\n"
    "  max_weight   max_j A_ij\n"
    "  induction    the model's, not the text's: how much the head's queries in the second half\n"
    "               of random token sequences repeated twice look at the token after their\n"
    "               earlier copy (attnscope train's probe: 8 sequences of up to 32 tokens)\n"
    "\n"
    "  --json         {\"tokens\": [...], \"heads\": [{\"layer\", \"head\", \"entropy\", "
    "\"prev_token\",\n"
    "                 \"first_token\", \"self\", \"distance\", \"max_weight\", \"induction\"}, "
    "...]},\n"
    "                 layer-major\n"
    "  --sort COLUMN  order by a column: layer or head (ascending) or a metric (largest first;\n"
    "                 undefined values last); the table, and with --json the list\n"
    "  --no-special   do not add the special tokens the model adds by default\n"
    "  --text-file F  one text per line: one table (or JSON object per line) each\n"
    "  -o FILE        write to FILE instead of standard output\n"
    "\n"
    "On an encoder-decoder model (T5) the heads are the encoder's.\n";

/* The sort key: a metric, the induction score, or the layer / head index. */
typedef struct sort_key {
    bool by_index; /* layer or head */
    bool by_head;
    bool by_induction;
    ats_metric metric;
} sort_key;

static bool parse_sort(const char *name, sort_key *out) {
    *out = (sort_key){0};
    if (strcmp(name, "layer") == 0 || strcmp(name, "head") == 0) {
        out->by_index = true;
        out->by_head = strcmp(name, "head") == 0;
        return true;
    }
    out->by_induction = strcmp(name, "induction") == 0;
    return out->by_induction || ats_metric_from_name(name, &out->metric);
}

typedef struct sort_ctx {
    const ats_head_metrics *metrics;
    const float *induction; /* (L, H), or NULL when the probe could not run */
    sort_key key;
    int n_head;
} sort_ctx;

/* The sort column's value of head `i` (NAN when undefined). */
static double key_value(const sort_ctx *s, int i) {
    if (s->key.by_induction)
        return s->induction ? s->induction[i] : NAN;
    return s->metrics[i].value[s->key.metric];
}

/* Insertion sort of the head indices (stable: ties keep layer-major order). */
static void sort_heads(int *order, int n, const sort_ctx *s) {
    for (int k = 1; k < n; k++) {
        int v = order[k], at = k;
        while (at > 0) {
            int u = order[at - 1];
            bool before;
            if (s->key.by_index) {
                before = s->key.by_head && v % s->n_head < u % s->n_head;
            } else {
                double a = key_value(s, v), b = key_value(s, u);
                before = !isnan(a) && (isnan(b) || a > b);
            }
            if (!before)
                break;
            order[at] = u;
            at--;
        }
        order[at] = v;
    }
}

static void print_table(FILE *f, const ats_head_metrics *metrics, const float *induction,
                        const int *order, int n, int n_head) {
    fprintf(f, "%5s %4s", "layer", "head");
    for (int m = 0; m < ATS_METRIC_COUNT; m++)
        fprintf(f, " %11s", ats_metric_name((ats_metric)m));
    fprintf(f, " %11s\n", "induction");
    for (int k = 0; k < n; k++) {
        int index = order[k];
        fprintf(f, "%5d %4d", index / n_head, index % n_head);
        for (int m = 0; m < ATS_METRIC_COUNT; m++) {
            double v = metrics[index].value[m];
            if (isnan(v))
                fprintf(f, " %11s", "-");
            else
                fprintf(f, " %11.4f", v);
        }
        if (induction)
            fprintf(f, " %11.4f\n", (double)induction[index]);
        else
            fprintf(f, " %11s\n", "-");
    }
}

/* The model's induction scores (L, H) from engine.h's probe (random sequences repeated twice),
 * or NULL (with a warning) when it cannot run, e.g. a context too short. */
static float *induction_scores(const ats_model *model) {
    const ats_model_config *c = ats_model_get_config(model);
    size_t n = (size_t)c->n_layer * c->n_head;
    float *prev = malloc(n * sizeof *prev), *ind = malloc(n * sizeof *ind);
    ats_error err = {0};
    ats_probe_opts po = ats_probe_opts_default();
    if (!prev || !ind || ats_head_scores_probe(model, &po, prev, ind, &err) != ATS_OK) {
        cli_warn("stats: no induction scores: %s", err.message[0] ? err.message : "out of memory");
        free(ind);
        ind = NULL;
    }
    free(prev);
    return ind;
}

/* Runs one text and writes its metrics; returns an exit code. */
static int stats_one(const cli_opts *o, const ats_model *model, const float *induction,
                     const cli_texts *texts, int i, FILE *out) {
    ats_run_opts ro = ats_run_opts_default();
    ro.add_special = !o->no_special;
    ats_run *run;
    ats_error err;
    ats_status s = ats_run_text(model, texts->items[i], texts->lens[i], &ro, &run, &err);
    const ats_model_config *c = s == ATS_OK ? ats_run_get_config(run) : NULL;
    int n = c ? c->n_layer * c->n_head : 0;
    ats_head_metrics *metrics = c ? malloc((size_t)n * sizeof *metrics) : NULL;
    int *order = c ? malloc((size_t)n * sizeof *order) : NULL;
    if (s == ATS_OK && (!metrics || !order))
        s = ats_fail(&err, ATS_ERR_NOMEM, "out of memory");
    if (s == ATS_OK)
        s = ats_run_head_metrics(run, metrics, &err);
    if (s != ATS_OK) {
        if (texts->n > 1)
            cli_error("line %d: %s", i + 1, err.message);
        else
            cli_error("%s", err.message);
    } else {
        if (ats_run_dropped_tokens(run) > 0)
            cli_warn("the text has %d tokens but the model's context is %d: only the first %d "
                     "were run",
                     ats_run_n_tokens(run) + ats_run_dropped_tokens(run), c->context,
                     ats_run_n_tokens(run));
        for (int k = 0; k < n; k++)
            order[k] = k;
        sort_ctx sc = {.metrics = metrics, .induction = induction, .n_head = c->n_head};
        if (o->sort && parse_sort(o->sort, &sc.key))
            sort_heads(order, n, &sc);
        if (o->json) {
            ats_stats_write_json(out, run, metrics, induction, order, n, texts->n > 1);
        } else {
            if (i > 0)
                fputc('\n', out);
            print_table(out, metrics, induction, order, n, c->n_head);
        }
    }
    free(metrics);
    free(order);
    ats_run_free(run);
    return s == ATS_OK ? EXIT_OK : cli_exit_for(s);
}

int cmd_stats(int argc, char **argv) {
    cli_opts o;
    unsigned allowed = OPT_MODEL | OPT_TEXT | OPT_TOKENIZER | OPT_CAUSAL | OPT_JSON |
                       OPT_NO_SPECIAL | OPT_SORT | OPT_OUTPUT;
    if (!cli_parse("stats", argc, argv, 2, allowed, &o))
        return EXIT_BAD_INPUT;
    if (o.help) {
        fputs(USAGE, stdout);
        return EXIT_OK;
    }
    sort_key key;
    if (o.sort && !parse_sort(o.sort, &key)) {
        cli_error("stats: --sort takes layer, head, entropy, prev_token, first_token, self, "
                  "distance, max_weight or induction, got '%s'",
                  o.sort);
        return EXIT_BAD_INPUT;
    }
    int code = EXIT_OK;
    cli_texts texts;
    if (!cli_read_texts(&o, &texts, &code))
        return code;
    ats_model *model = cli_load_model(&o, &code);
    float *induction = model ? induction_scores(model) : NULL;
    ats_outfile out;
    if (model && cli_output_open(&out, o.output, &code)) {
        for (int i = 0; i < texts.n && code == EXIT_OK; i++)
            code = stats_one(&o, model, induction, &texts, i, out.f);
        if (code == EXIT_OK)
            cli_output_commit(&out, &code);
        else
            ats_outfile_abort(&out);
    }
    free(induction);
    ats_model_free(model);
    cli_texts_free(&texts);
    return code;
}
