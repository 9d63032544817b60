/* A run's tokens and attention as the plain arrays the render library draws from; shared by
 * `attnscope export` and the window. */
#include "cli.h"

#include <stdlib.h>

bool cli_view_data_make(cli_view_data *v, const ats_model *model, const ats_run *run,
                        const char *text) {
    *v = (cli_view_data){0};
    const ats_tokens *tokens = ats_run_get_tokens(run);
    const ats_model_config *c = ats_model_get_config(model);
    int T = ats_run_n_tokens(run);
    v->labels = malloc((size_t)T * sizeof *v->labels);
    v->special = malloc((size_t)T * sizeof *v->special);
    if (!v->labels || !v->special) {
        cli_view_data_free(v);
        return false;
    }
    for (int i = 0; i < T; i++) {
        const ats_token *t = ats_tokens_get(tokens, i);
        v->labels[i] = t->piece;
        v->special[i] = t->special;
    }
    v->data = (ats_view_data){
        .model_name = ats_model_get_info(model)->name,
        .text = text,
        .n_layer = c->n_layer,
        .n_head = c->n_head,
        .n_tokens = T,
        .tokens = v->labels,
        .special = v->special,
        .attention = ats_run_attentions(run),
        .causal = c->causal,
    };
    return true;
}

void cli_view_data_free(cli_view_data *v) {
    free(v->labels);
    free(v->special);
    *v = (cli_view_data){0};
}
