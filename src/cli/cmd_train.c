/* attnscope train: trains a small transformer into a folder of checkpoints (src/train). */
#include "cli.h"
#include "train.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *USAGE =
    "usage: attnscope train --corpus builtin:repeats|builtin:text|FILE -o DIR\n"
    "                       [--layers N] [--heads N] [--d-model N] [--attn-only | --d-ff N]\n"
    "                       [--context N] [--positions learned|rope] [--vocab N]\n"
    "                       [--steps N] [--batch N] [--lr X] [--warmup N] [--weight-decay X]\n"
    "                       [--seed S] [--threads N] [--checkpoint-every K] [--log-every N]\n"
    "                       [--quiet]\n"
    "\n"
    "Trains a GPT-2 style transformer from scratch on the CPU and writes DIR: the final model\n"
    "(config.json, model.safetensors, tokenizer.json: open it with --model DIR anywhere),\n"
    "checkpoints/step-NNNNNN/ (each a model folder; the window replays them) and\n"
    "train_log.jsonl (loss per step; each checkpoint's previous-token and induction scores).\n"
    "The same options give the same losses, bit for bit, on the same machine and build.\n"
    "\n"
    "  --corpus C            builtin:repeats (default): random words with repeated segments,\n"
    "                        the induction task; builtin:text: short stories, by character;\n"
    "                        FILE: a UTF-8 text file, by character\n"
    "  -o, --output DIR      where the model, checkpoints and log go (a new folder)\n"
    "  --layers N            layers (2)\n"
    "  --heads N             heads per layer (4)\n"
    "  --d-model N           width of the residual stream (64)\n"
    "  --attn-only           no MLP blocks (the classic induction-head setting)\n"
    "  --d-ff N              MLP width (4 x d-model; 0 is --attn-only)\n"
    "  --context N           tokens per sequence (64)\n"
    "  --positions P         rope (default: rotary) or learned (GPT-2's table; on\n"
    "                        builtin:repeats its induction heads form much later)\n"
    "  --vocab N             builtin:repeats: the first N words of its vocabulary (all 567)\n"
    "  --steps N             optimizer steps (2000)\n"
    "  --batch N             sequences per step, a multiple of 4 (32)\n"
    "  --lr X                peak learning rate (0.001): warmup, then cosine down to X/10\n"
    "  --warmup N            warmup steps (100)\n"
    "  --weight-decay X      AdamW weight decay of the matrices (0.01)\n"
    "  --seed S              initialisation and batches (1)\n"
    "  --threads N           worker threads (the CPUs); the result does not depend on it\n"
    "  --checkpoint-every K  a checkpoint every K steps (100; 0: only the first and last)\n"
    "  --log-every N         a log line every N steps (10)\n"
    "  --quiet               no progress bar (it is shown only on a terminal anyway)\n"
    "\n"
    "Ctrl+C stops after writing a final checkpoint.\n";

typedef struct train_cli {
    ats_train_opts opts;
    ats_train_run_opts run;
    const char *dir;
    bool attn_only, d_ff_given, quiet, help;
} train_cli;

static bool int_value(const char *name, const char *s, int lo, int hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        cli_error("train: %s must be a whole number from %d to %d, not '%s'", name, lo, hi, s);
        return false;
    }
    *out = (int)v;
    return true;
}

static bool real_value(const char *name, const char *s, float *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0 && v < 1e6)) {
        cli_error("train: %s must be a number, not '%s'", name, s);
        return false;
    }
    *out = (float)v;
    return true;
}

static bool parse(int argc, char **argv, train_cli *c) {
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            c->help = true;
            continue;
        }
        if (!strcmp(a, "--attn-only")) {
            c->attn_only = true;
            continue;
        }
        if (!strcmp(a, "--quiet")) {
            c->quiet = true;
            continue;
        }
        static const char *const WITH_VALUE[] = {"--corpus",   "-o",        "--output",
                                                 "--layers",   "--heads",   "--d-model",
                                                 "--d-ff",     "--context", "--positions",
                                                 "--vocab",    "--steps",   "--batch",
                                                 "--lr",       "--warmup",  "--weight-decay",
                                                 "--seed",     "--threads", "--checkpoint-every",
                                                 "--log-every"};
        bool known = false;
        for (size_t k = 0; k < sizeof WITH_VALUE / sizeof WITH_VALUE[0]; k++)
            known |= strcmp(a, WITH_VALUE[k]) == 0;
        if (!known) {
            cli_error("train: unknown %s '%s' (see 'attnscope train --help')",
                      a[0] == '-' ? "option" : "argument", a);
            return false;
        }
        if (i + 1 >= argc) {
            cli_error("train: %s needs a value", a);
            return false;
        }
        const char *v = argv[++i];
        ats_train_opts *o = &c->opts;
        bool ok = true;
        int seed;
        if (!strcmp(a, "--corpus"))
            o->corpus = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output"))
            c->dir = v;
        else if (!strcmp(a, "--layers"))
            ok = int_value(a, v, 1, 64, &o->n_layer);
        else if (!strcmp(a, "--heads"))
            ok = int_value(a, v, 1, 256, &o->n_head);
        else if (!strcmp(a, "--d-model"))
            ok = int_value(a, v, 2, 4096, &o->d_model);
        else if (!strcmp(a, "--d-ff"))
            ok = (c->d_ff_given = true) && int_value(a, v, 0, 16384, &o->d_ff);
        else if (!strcmp(a, "--context"))
            ok = int_value(a, v, 8, 4096, &o->context);
        else if (!strcmp(a, "--vocab"))
            ok = int_value(a, v, 16, 1 << 20, &o->vocab);
        else if (!strcmp(a, "--steps"))
            ok = int_value(a, v, 0, 10000000, &o->steps);
        else if (!strcmp(a, "--batch"))
            ok = int_value(a, v, 4, 4096, &o->batch);
        else if (!strcmp(a, "--lr"))
            ok = real_value(a, v, &o->lr);
        else if (!strcmp(a, "--warmup"))
            ok = int_value(a, v, 0, 10000000, &o->warmup);
        else if (!strcmp(a, "--weight-decay"))
            ok = real_value(a, v, &o->weight_decay);
        else if (!strcmp(a, "--seed"))
            ok = int_value(a, v, 0, 2000000000, &seed) && ((o->seed = (uint64_t)seed), true);
        else if (!strcmp(a, "--threads"))
            ok = int_value(a, v, 1, 256, &o->threads);
        else if (!strcmp(a, "--checkpoint-every"))
            ok = int_value(a, v, 0, 10000000, &c->run.checkpoint_every);
        else if (!strcmp(a, "--log-every"))
            ok = int_value(a, v, 1, 10000000, &c->run.log_every);
        else if (!strcmp(a, "--positions")) {
            ok = !strcmp(v, "learned") || !strcmp(v, "rope");
            o->rope = !strcmp(v, "rope");
            if (!ok)
                cli_error("train: --positions is learned or rope, not '%s'", v);
        }
        if (!ok)
            return false;
    }
    return true;
}

/* ---- progress ----------------------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
    (void)sig;
    interrupted = 1;
}

typedef struct bar {
    bool show; /* a terminal and not --quiet */
    int n_layer, n_head;
} bar;

static void clock_text(char *out, size_t n, double secs) {
    int s = secs < 0 ? 0 : (int)(secs + 0.5);
    snprintf(out, n, "%d:%02d", s / 60, s % 60);
}

static bool progress(const ats_train_progress *p, void *user) {
    bar *b = user;
    if (!b->show)
        return !interrupted;
    if (p->checkpoint) { /* a line of its own: the scores of every head */
        fprintf(stderr, "\r\033[Kstep %d: induction", p->step);
        for (int l = 0; l < b->n_layer; l++) {
            fprintf(stderr, "  L%d", l);
            for (int h = 0; h < b->n_head; h++)
                fprintf(stderr, " %.2f", (double)p->induction[l * b->n_head + h]);
        }
        fprintf(stderr, "   previous-token");
        for (int l = 0; l < b->n_layer; l++) {
            fprintf(stderr, "  L%d", l);
            for (int h = 0; h < b->n_head; h++)
                fprintf(stderr, " %.2f", (double)p->previous_token[l * b->n_head + h]);
        }
        fputc('\n', stderr);
        return !interrupted;
    }
    enum { WIDTH = 24 };
    int done = p->steps > 0 ? (int)((long)WIDTH * p->step / p->steps) : WIDTH;
    char fill[WIDTH + 1], spent[16], left[16];
    for (int i = 0; i < WIDTH; i++)
        fill[i] = i < done ? '#' : '.';
    fill[WIDTH] = '\0';
    clock_text(spent, sizeof spent, p->elapsed_s);
    clock_text(left, sizeof left, p->step > 0 ? p->elapsed_s * (p->steps - p->step) / p->step : 0);
    fprintf(stderr, "\r\033[Kstep %d/%d [%s] loss %.3f  %.1fk tokens/s  %s elapsed, %s left",
            p->step, p->steps, fill, p->loss, p->tokens_per_second / 1000.0, spent, left);
    fflush(stderr);
    return !interrupted;
}

int cmd_train(int argc, char **argv) {
    train_cli c = {.opts = ats_train_opts_default(), .run = {.checkpoint_every = 100}};
    c.opts.d_ff = -1;
    if (!parse(argc, argv, &c))
        return EXIT_BAD_INPUT;
    if (c.help) {
        fputs(USAGE, stdout);
        return EXIT_OK;
    }
    if (!c.dir) {
        cli_error("train: name the output folder with -o DIR (see 'attnscope train --help')");
        return EXIT_BAD_INPUT;
    }
    if (c.attn_only && c.d_ff_given && c.opts.d_ff != 0) {
        cli_error("train: --attn-only and --d-ff %d contradict each other", c.opts.d_ff);
        return EXIT_BAD_INPUT;
    }
    if (c.attn_only)
        c.opts.d_ff = 0;
    bar b = {.show = !c.quiet && isatty(STDERR_FILENO),
             .n_layer = c.opts.n_layer,
             .n_head = c.opts.n_head};
    c.run.progress = progress;
    c.run.user = &b;
    struct sigaction sa = {.sa_handler = on_interrupt};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);

    double t0 = ats_clock_ms();
    ats_error err;
    ats_status s = ats_train_run(&c.opts, &c.run, c.dir, &err);
    if (b.show)
        fputc('\n', stderr);
    if (s != ATS_OK) {
        cli_error("train: %s", err.message);
        return cli_exit_for(s);
    }
    if (!c.quiet)
        printf("trained in %.1f s%s; the model is %s (log: %s/train_log.jsonl)\n",
               (ats_clock_ms() - t0) / 1000.0, interrupted ? " (stopped early)" : "", c.dir, c.dir);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUN_FAILED;
}
