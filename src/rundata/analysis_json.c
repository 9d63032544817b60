/* Analysis results as JSON (rundata.h): the head metrics of `attnscope stats` and the tokens of
 * `attnscope generate`. */
#include "attnscope/rundata.h"

#include <string.h>

void ats_stats_write_json(FILE *f, const ats_run *run, const ats_head_metrics *metrics,
                          const float *induction, const int *order, int n_order, bool one_line) {
    const ats_model_config *c = ats_run_get_config(run);
    const char *nl = one_line ? "" : "\n";
    int n = order ? n_order : c->n_layer * c->n_head;
    fputs("{\"tokens\": ", f);
    ats_json_write_tokens(f, ats_run_get_tokens(run));
    fprintf(f, ",%s \"heads\": [", nl);
    for (int k = 0; k < n; k++) {
        int index = order ? order[k] : k; /* layer * n_head + head */
        fprintf(f, "%s%s  {\"layer\": %d, \"head\": %d", k ? "," : "", nl, index / c->n_head,
                index % c->n_head);
        for (int m = 0; m < ATS_METRIC_COUNT; m++) {
            fprintf(f, ", \"%s\": ", ats_metric_name((ats_metric)m));
            ats_json_write_double(f, metrics[index].value[m]);
        }
        if (induction) {
            fputs(", \"induction\": ", f);
            ats_json_write_float(f, induction[index]);
        }
        fputc('}', f);
    }
    fprintf(f, "]}\n");
}

/* Row `row` of every head, keys 0..row: [L][H][row + 1]. */
static void write_rows(FILE *f, const ats_run *run, int row) {
    const ats_model_config *c = ats_run_get_config(run);
    int T = ats_run_n_tokens(run);
    fputc('[', f);
    for (int l = 0; l < c->n_layer; l++) {
        fputs(l ? ", [" : "[", f);
        for (int h = 0; h < c->n_head; h++) {
            const float *head = NULL;
            ats_run_attention_acquire(run, l, h, &head, NULL);
            const float *a = head ? head + (size_t)row * T : NULL; /* (T) */
            fputs(h ? ", [" : "[", f);
            for (int j = 0; j <= row; j++) {
                if (j)
                    fputs(", ", f);
                if (a)
                    ats_json_write_float(f, a[j]);
                else
                    fputs("null", f);
            }
            fputc(']', f);
            if (head)
                ats_run_attention_release(run, head);
        }
        fputc(']', f);
    }
    fputc(']', f);
}

void ats_generation_write_json(FILE *f, const ats_run *run, int n_generated, const float *probs,
                               const char *text, size_t text_len) {
    const ats_tokens *tokens = ats_run_get_tokens(run);
    int T = ats_run_n_tokens(run), first = T - n_generated;
    fputs("{\"prompt_tokens\": ", f);
    ats_json_write_token_range(f, tokens, 0, first);
    fputs(",\n \"generated\": [", f);
    for (int g = 0; g < n_generated; g++) {
        const ats_token *t = ats_tokens_get(tokens, first + g);
        fprintf(f, "%s\n  {\"id\": %d, \"piece\": ", g ? "," : "", t->id);
        ats_json_write_string(f, t->piece, strlen(t->piece));
        fputs(", \"prob\": ", f);
        ats_json_write_float(f, probs[g]);
        fputs(", \"attentions\": ", f);
        write_rows(f, run, first + g);
        fputc('}', f);
    }
    fputs("],\n \"text\": ", f);
    ats_json_write_string(f, text, text_len);
    fputs("}\n", f);
}
