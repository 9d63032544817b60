/* `attnscope` with no subcommand where no display is available: describes the model and prints
 * each head of the first layer as a text heatmap of a sample sentence. cmd_window.c calls it when
 * the window cannot open, with the options and text it already read. */
#include "cli.h"

#include <string.h>

static const char *SAMPLE = "The cat sat on the mat because the cat was tired.";

/* Ten shades from no attention to all of it. */
static const char *SHADES[] = {" ", ".", ":", "-", "=", "+", "*", "#", "%", "@"};

static void print_heatmap(const ats_model *model, const ats_run *run, int layer, int head) {
    const ats_tokens *tokens = ats_run_get_tokens(run);
    int T = ats_run_n_tokens(run);
    const float *a = ats_run_attention(run, layer, head);
    const char *caption = ats_model_head_caption(model, layer, head);
    printf("\nlayer %d, head %d%s%s (rows: queries, columns: keys)\n", layer, head,
           caption ? " - " : "", caption ? caption : "");
    for (int i = 0; i < T; i++) {
        printf("%12.12s |", ats_tokens_get(tokens, i)->piece);
        for (int j = 0; j < T; j++) {
            int shade = (int)(a[(size_t)i * T + j] * 9.999f);
            printf(" %s", SHADES[shade < 0 ? 0 : shade > 9 ? 9 : shade]);
        }
        printf("\n");
    }
}

int cli_print_overview(const cli_opts *o, const char *text, size_t len) {
    int code = EXIT_OK;
    ats_model *model = cli_load_model(o, &code);
    if (!model)
        return code;
    if (!text) {
        text = SAMPLE;
        len = strlen(SAMPLE);
    }
    ats_run *run;
    ats_error err;
    ats_status s = ats_run_text(model, text, len, NULL, &run, &err);
    if (s != ATS_OK) {
        cli_error("%s", err.message);
        ats_model_free(model);
        return cli_exit_for(s);
    }
    printf("attnscope %s\n\n", ATS_VERSION);
    cli_print_model_info(stdout, model);
    printf("\nAttention of layer 0 on \"%.*s\"\n", (int)len, text);
    for (int h = 0; h < ats_model_get_config(model)->n_head; h++)
        print_heatmap(model, run, 0, h);
    printf("\nFor every number: attnscope dump --text \"%.*s\"\n", (int)len, text);
    ats_run_free(run);
    ats_model_free(model);
    return EXIT_OK;
}
