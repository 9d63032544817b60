/* Shared pieces of the attnscope command line: parsed options, input text, output files,
 * and the subcommands. Exit codes: 0 success, 1 a failure while running, 2 bad usage or input. */
#ifndef ATS_CLI_H
#define ATS_CLI_H

#include "attnscope/engine.h"
#include "attnscope/render.h"
#include "attnscope/rundata.h"
#include "base.h"

#include <limits.h>
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_RUN_FAILED = 1, EXIT_BAD_INPUT = 2 };

/* The window's --compare-model (past the enum's range of int). */
#define OPT_COMPARE_MODEL (1u << 31)

/* An integer option that was not given. */
#define CLI_UNSET INT_MIN

/* Options a subcommand accepts, as a bit set. */
enum {
    OPT_MODEL = 1 << 0,
    OPT_TEXT = 1 << 1, /* --text T, --text -, --text-file F */
    OPT_TOKENIZER = 1 << 2,
    OPT_CAUSAL = 1 << 3,
    OPT_JSON = 1 << 4,
    OPT_NO_SPECIAL = 1 << 5,
    OPT_FORMAT = 1 << 6,
    OPT_LAYER_HEAD = 1 << 7,
    OPT_LOGITS = 1 << 8,
    OPT_HIDDEN = 1 << 9,
    OPT_OUTPUT = 1 << 10,
    OPT_TOKEN = 1 << 11,
    OPT_VIEW = 1 << 12,
    OPT_SCALE = 1 << 13,
    OPT_COLORMAP = 1 << 14,
    OPT_FONT = 1 << 15,
    OPT_STEPS = 1 << 16,
    OPT_WHATIF = 1 << 17, /* --no-scaling, --causal-mask on|off, --temperature X */
    OPT_STEP = 1 << 18,   /* --step N */
    OPT_EXPORT_DIR = 1 << 19,
    OPT_COLOR_SCALE = 1 << 20,
    OPT_TARGET = 1 << 21,         /* --target TGT, --max-new N: encoder-decoder models */
    OPT_ATTENTION = 1 << 22,      /* --attention encoder|decoder|cross */
    OPT_SCORES = 1 << 23,         /* --scores: each head's previous-token and induction score */
    OPT_BENCH = 1 << 24,          /* --tokens LIST, --repeat N, --threads N */
    OPT_SORT = 1 << 25,           /* --sort COLUMN */
    OPT_ANALYSIS = 1 << 26,       /* --aggregate, --rollout, --top-k K, --value-weighted */
    OPT_ABLATE = 1 << 27,         /* --ablate L:H[,L:H...] */
    OPT_SAMPLING = 1 << 28,       /* --tokens N, --temperature X, --top-p P, --seed S */
    OPT_VALUE_WEIGHTED = 1 << 29, /* --value-weighted */
    OPT_COMBINE = 1 << 30,        /* --combine mean|max|all|rollout */
};

typedef struct cli_opts {
    const char *model;     /* default builtin:demo */
    const char *text;      /* --text; "-" reads standard input */
    const char *text_file; /* --text-file: one text per line */
    const char *tokenizer;
    const char *output; /* -o */
    const char *format;
    const char *view;
    const char *colormap;
    const char *color_scale; /* --color-scale fixed|auto */
    const char *font;
    const char *causal_mask; /* --causal-mask: "on" or "off" */
    const char *export_dir;  /* the window's export folder */
    const char *target;      /* --target: the decoder's text (T5) */
    const char *attention;   /* --attention: encoder, decoder or cross (T5) */
    int max_new;             /* --max-new: greedy tokens at most; -1 when not given */
    int layer, head, token;  /* -1 when not given */
    int step;                /* -1 when not given */
    const char *tokens;      /* bench: --tokens 16,64,256 */
    int repeat, threads;     /* bench: 0 when not given */
    double scale;            /* 0 when not given */
    double temperature;      /* 0 when not given */
    bool causal, json, no_special, logits, hidden, steps, no_scaling, scores, help;
    /* analysis: stats, dump extras, generate */
    const char *sort;          /* --sort: a stats column */
    const char *ablate;        /* --ablate L:H[,L:H...] */
    const char *seed;          /* --seed S */
    int top_k;                 /* --top-k K; CLI_UNSET when not given */
    int n_tokens;              /* generate: --tokens N as a number; CLI_UNSET when not given */
    double top_p;              /* --top-p P; 0 when not given */
    const char *combine;       /* --combine: the aggregate view's matrix */
    const char *compare_model; /* the window's --compare-model M */
    bool aggregate, rollout, value_weighted;
} cli_opts;

/* Parses argv[first..argc) against the options in `allowed`. On a bad option prints one line
 * naming it and returns false. */
bool cli_parse(const char *cmd, int argc, char **argv, int first, unsigned allowed, cli_opts *o);

/* Prints "attnscope: <message>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Exit code for an engine status. */
int cli_exit_for(ats_status status);

/* Loads the model named by the options (default builtin:demo); prints the error and returns
 * NULL on failure, with *exit_code set. */
ats_model *cli_load_model(const cli_opts *o, int *exit_code);

/* The input texts: one from --text (or stdin with "-"), or one per line of --text-file. */
typedef struct cli_texts {
    int n;
    char **items; /* (n) NUL-terminated, may contain NULs only when read from stdin */
    size_t *lens; /* (n) byte lengths */
} cli_texts;

bool cli_read_texts(const cli_opts *o, cli_texts *out, int *exit_code);
void cli_texts_free(cli_texts *t);

/* Output through ats_outfile (base.h: written whole or not at all; a device or FIFO directly;
 * "-" or NULL is standard output), with the error printed and the exit code set. */
bool cli_output_open(ats_outfile *out, const char *path, int *exit_code);
bool cli_output_commit(ats_outfile *out, int *exit_code);

/* The what-if switches of --no-scaling, --causal-mask on|off and --temperature X (the defaults
 * when none is given); prints one line and returns false on a bad value. */
bool cli_step_opts(const char *cmd, const cli_opts *o, ats_step_opts *out);
/* True when any what-if switch was given. */
bool cli_whatif_given(const cli_opts *o);

/* Validates --layer / --head against the model: prints and returns false when out of range.
 * For an encoder-decoder model a layer of either stack will do. */
bool cli_check_layer_head(const cli_opts *o, const ats_model *model);

/* --attention as a kind (ATS_ATTN_ENCODER when not given); prints and returns false when it is
 * unknown or the model has no such kind (decoder and cross need an encoder-decoder model). */
bool cli_attention_kind(const char *cmd, const cli_opts *o, const ats_model *model,
                        ats_attn_kind *out);
/* --ablate L:H[,L:H...] checked against the model: *out (malloc'd, *n entries; NULL and 0 when
 * not given). Prints one line and returns false on a malformed list or a head out of range. */
bool cli_ablation(const char *cmd, const cli_opts *o, const ats_model *model, ats_head_ref **out,
                  int *n);

/* Runs one text as the model needs: an encoder-decoder model through ats_run_seq2seq with
 * --target (or greedy generation up to --max-new), any other with ats_run_text. */
ats_status cli_run(const cli_opts *o, const ats_model *model, const char *text, size_t len,
                   const ats_run_opts *ro, ats_run **out, ats_error *err);

/* The aligned text description `attnscope info` prints. */
void cli_print_model_info(FILE *f, const ats_model *model);

/* Subcommands */
int cmd_info(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_window(int argc, char **argv); /* no subcommand: the explorer window */

#endif
