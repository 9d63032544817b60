/* attnscope: the command line. With no subcommand it opens the explorer. */
#include "cli.h"

#include <string.h>

static const char *USAGE =
    "attnscope " ATS_VERSION " - an interactive attention explorer\n"
    "\n"
    "usage: attnscope [--model M] [--text T] [--font FILE]\n"
    "                                                 open the explorer (default builtin:demo)\n"
    "       attnscope info     [--model M] [--json]\n"
    "       attnscope tokenize [--model M] --text T [--json] [--no-special]\n"
    "       attnscope dump     [--model M] --text T [--format json|npy|csv] [--layer L --head H]\n"
    "                          [--logits] [--hidden] [--no-special] [-o FILE]\n"
    "                          [--steps --layer L --head H --token I]\n"
    "                          [--aggregate] [--rollout] [--top-k K] [--value-weighted]\n"
    "                          [--ablate L:H[,L:H...]]\n"
    "       attnscope export   [--model M] --text T --view heatmap|lines|grid|pipeline\n"
    "                          [--layer L] [--head H] [--token I] [--format png|svg]\n"
    "                          [--scale S] [--colormap NAME] [--font FILE] -o FILE\n"
    "                          [--color-scale fixed|auto|minmax|row|exclude-first]\n"
    "                          pipeline: [--step N] [--no-scaling] [--causal-mask on|off]\n"
    "                          [--temperature X]\n"
    "       attnscope bench    [--model M] [--tokens 16,64,256,512] [--repeat N]\n"
    "                          [--threads N] [--json]\n"
    "       attnscope stats    [--model M] --text T [--json] [--sort COLUMN] [--no-special]\n"
    "       attnscope generate [--model M] --text T --tokens N [--json]\n"
    "                          [--temperature X] [--top-p P] [--seed S]\n"
    "       attnscope train    --corpus builtin:repeats|builtin:text|FILE -o DIR\n"
    "                          [--layers N --heads N --d-model N --attn-only --steps N ...]\n"
    "\n"
    "M is builtin:demo, builtin:tiny, a Hugging Face folder, a .gguf file or a llama2.c .bin\n"
    "file. Layers and heads count from 0. 'attnscope COMMAND --help' describes each command.\n"
    "Exit status: 0 success, 1 a failure while running, 2 bad usage or bad input.\n";

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

/* clang-format off */
static const command COMMANDS[] = {
    {"info", cmd_info},
    {"tokenize", cmd_tokenize},
    {"dump", cmd_dump},
    {"export", cmd_export},
    {"bench", cmd_bench},
    {"train", cmd_train},
    {"stats", cmd_stats},
    {"generate", cmd_generate},
};
/* clang-format on */

int main(int argc, char **argv) {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
                      strcmp(argv[1], "help") == 0)) {
        fputs(USAGE, stdout);
        return EXIT_OK;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("attnscope %s\n", ATS_VERSION);
        return EXIT_OK;
    }
    if (argc >= 2 && argv[1][0] != '-') {
        for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
            if (strcmp(argv[1], COMMANDS[i].name) == 0)
                return COMMANDS[i].run(argc, argv);
        cli_error("unknown command '%s' (see 'attnscope --help')", argv[1]);
        return EXIT_BAD_INPUT;
    }
    return cmd_window(argc, argv);
}
