/* samples/strongest_links.c: the engine alone, no drawing. For each head of a model, print the
 * key each query token attends to most, and how much: a quick way to see what a head does.
 *
 *   ./build/default/samples/strongest_links [MODEL] [TEXT]
 *
 * Its output on builtin:demo is strongest_links.txt beside this file. */
#include "attnscope/engine.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *model_path = argc > 1 ? argv[1] : "builtin:demo";
    const char *text =
        argc > 2 ? argv[2] : "The animal didn't cross the street because it was tired.";
    ats_error err;
    ats_model *model;
    ats_run *run;
    if (ats_model_load(model_path, NULL, &model, &err) != ATS_OK ||
        ats_run_text(model, text, strlen(text), NULL, &run, &err) != ATS_OK) {
        fprintf(stderr, "strongest_links: %s\n", err.message);
        return 1;
    }
    const ats_model_config *c = ats_model_get_config(model);
    const ats_tokens *tokens = ats_run_get_tokens(run);
    int T = ats_run_n_tokens(run);
    for (int l = 0; l < c->n_layer; l++) {
        for (int h = 0; h < c->n_head; h++) {
            const float *a = ats_run_attention(run, l, h); /* (T, T): rows are queries */
            const char *caption = ats_model_head_caption(model, l, h);
            printf("layer %d head %d%s%s\n", l, h, caption ? " - " : "", caption ? caption : "");
            for (int i = 0; i < T; i++) {
                int best = 0;
                for (int j = 1; j < T; j++)
                    if (a[i * T + j] > a[i * T + best])
                        best = j;
                printf("  %-10s -> %-10s %.2f\n", ats_tokens_get(tokens, i)->piece,
                       ats_tokens_get(tokens, best)->piece, a[i * T + best]);
            }
        }
    }
    ats_run_free(run);
    ats_model_free(model);
    return 0;
}
