/* attnscope bench: how long a run takes at several text lengths, beside the time of the same
 * matrix products alone (the floor no implementation can beat on this machine's BLAS).
 *
 * Per length T: forward_ms, the median of --repeat runs (tokenize + forward with every layer's
 * and head's attention, as `dump` and the window make them) on a text of exactly T tokens;
 * typing_ms, the median of runs on the same text one word longer that reuse the first run's
 * unchanged prefix (causal models; null otherwise); floor_ms, the median time of the pass's
 * matrix products alone through BLAS with its own threads, each pass right after a forward run
 * so both see the same load; peak_mb, the process's peak resident memory over a run and a typing
 * run (the model's pages included). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const char *USAGE =
    "usage: attnscope bench [--model M] [--tokens 16,64,256,512] [--repeat N] [--threads N]\n"
    "                       [--json]\n"
    "\n"
    "Times runs of the model at each token count: the forward pass with all attention kept\n"
    "(forward ms), typing one more word with the unchanged start reused (typing ms, causal\n"
    "models), and the same matrix products alone through BLAS (floor ms); prints the BLAS\n"
    "kernels in use.\n"
    "\n"
    "  --model M      builtin:demo (default), a Hugging Face folder, a .gguf or llama2.c .bin\n"
    "  --tokens LIST  comma-separated token counts (default 16,64,256,512)\n"
    "  --repeat N     runs per measurement; the median is reported (default 5)\n"
    "  --threads N    threads of the forward pass and of the floor (default: every processor)\n"
    "  --json         one JSON object: {\"model\", \"threads\", \"results\": [{\"tokens\",\n"
    "                 \"forward_ms\", \"typing_ms\", ...}]}\n"
    "  --tokenizer FILE, --causal   as for info\n";

enum { MAX_LENGTHS = 32 };

typedef struct bench_row {
    int tokens;
    bool ran;            /* false: the text could not be made (note says why) */
    double forward_ms;   /* median */
    double forward_best; /* fastest */
    double typing_ms;    /* median, < 0 when not measured */
    int typing_tokens;   /* tokens of the one-word-longer text */
    double floor_ms;     /* median of the matrix products alone */
    double floor_best;   /* fastest */
    bool kept;           /* attention kept whole (false: computed on demand) */
    long peak_kb;        /* -1 when unknown */
    char note[160];
} bench_row;

static bool parse_lengths(const char *list, int *out, int *n) {
    *n = 0;
    const char *p = list;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 1000000 || *n == MAX_LENGTHS || (*end && *end != ','))
            return false;
        out[(*n)++] = (int)v;
        p = *end ? end + 1 : end;
    }
    return *n > 0;
}

/* ---- texts of an exact token count --------------------------------------------------------- */

static const char *const WORDS[] = {
    "the",   "quick", "brown", "fox",  "jumps", "over",  "a",     "lazy",  "dog",  "while",
    "my",    "old",   "cat",   "sat",  "near",  "warm",  "fire",  "and",   "we",   "read",
    "good",  "books", "about", "long", "roads", "under", "blue",  "skies", "as",   "rain",
    "began", "to",    "fall",  "on",   "green", "hills", "where", "birds", "sang", "songs",
};
#define N_WORDS (int)(sizeof WORDS / sizeof WORDS[0])

typedef struct text_buf {
    char *s;
    size_t len, cap;
} text_buf;

static bool text_append(text_buf *t, const char *piece) {
    size_t n = strlen(piece);
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *s = realloc(t->s, cap);
        if (!s)
            return false;
        t->s = s;
        t->cap = cap;
    }
    memcpy(t->s + t->len, piece, n + 1);
    t->len += n;
    return true;
}

/* Tokens of the text with the model's default specials, -1 on failure. */
static int count_tokens(const ats_model *model, const char *s, size_t len) {
    ats_tokenize_opts to = {.add_special = true};
    ats_tokens *tokens;
    if (ats_tokenize(model, s, len, &to, &tokens, NULL) != ATS_OK)
        return -1;
    int n = ats_tokens_count(tokens);
    ats_tokens_free(tokens);
    return n;
}

/* Words appended one by one until the text has T tokens; when a word overshoots, other words or
 * short fillers are tried in its place. False (with the text as far as it got) when no
 * combination lands on T. */
static bool make_text(const ats_model *model, int T, text_buf *t, int *word_index) {
    static const char *const FILLERS[] = {".", ",", " a", " I", "!", " s"};
    int i = 0;
    for (;;) {
        size_t before = t->len;
        int n = -1;
        for (int k = 0; k < N_WORDS; k++) { /* the next word, or another that does not overshoot */
            t->len = before;
            t->s[before] = '\0';
            if (!text_append(t, before ? " " : "") || !text_append(t, WORDS[(i + k) % N_WORDS]))
                return false;
            n = count_tokens(model, t->s, t->len);
            if (n < 0)
                return false;
            if (n <= T) {
                i += k;
                break;
            }
        }
        if (n == T)
            break;
        if (n > T) { /* every word overshoots: a filler, or give up */
            bool landed = false;
            for (size_t f = 0; f < sizeof FILLERS / sizeof FILLERS[0] && !landed; f++) {
                t->len = before;
                t->s[before] = '\0';
                if (!text_append(t, FILLERS[f]))
                    return false;
                landed = count_tokens(model, t->s, t->len) == T;
            }
            if (!landed) {
                t->len = before;
                t->s[before] = '\0';
                return false;
            }
            break;
        }
        i++;
    }
    *word_index = i + 1;
    return true;
}

/* ---- measurements ---------------------------------------------------------------------------- */

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Linux: the peak resident memory so far is reset to the current one ("5" to clear_refs) and
 * read back as VmHWM. -1 elsewhere. */
static void peak_reset(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static long peak_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

/* Samples of one measurement; the median and the fastest. */
typedef struct samples {
    double *ms;
    int n;
} samples;

static void samples_result(samples *sm, double *med, double *best) {
    *med = median(sm->ms, sm->n); /* sorts */
    if (best)
        *best = sm->ms[0];
}

/* Times `repeat` runs of `text` (each from scratch, or reusing `reuse`) into *runs; after each,
 * with `floor`, one pass of the matrix products alone into *floors, so that both see the same
 * moments of a machine shared with other work. */
static ats_status time_runs(const ats_model *model, const text_buf *text, const ats_run *reuse,
                            int threads, samples *runs, ats_matmul_floor *floor, int floor_threads,
                            samples *floors, bool *kept, ats_error *err) {
    ats_run_opts ro = ats_run_opts_default();
    ro.threads = threads;
    ro.keep_cache = reuse != NULL;
    ro.reuse = reuse;
    ats_status s = ATS_OK;
    for (int r = 0; r < runs->n && s == ATS_OK; r++) {
        ats_run *run = NULL;
        double t0 = ats_clock_ms();
        s = ats_run_text(model, text->s, text->len, &ro, &run, err);
        runs->ms[r] = ats_clock_ms() - t0;
        if (run && kept)
            *kept = ats_run_attention_kept(run);
        ats_run_free(run);
        if (floor && s == ATS_OK)
            floors->ms[r] = ats_matmul_floor_time(floor, floor_threads);
    }
    return s;
}

/* The text one word longer, for typing. */
static bool longer_text(const text_buf *text, int next_word, text_buf *longer) {
    *longer = (text_buf){0};
    return text_append(longer, text->s) && text_append(longer, " ") &&
           text_append(longer, WORDS[next_word % N_WORDS]);
}

/* threads: of the runs (0: the engine's choice); floor_threads: BLAS's own for the floor */
static ats_status measure_row(const ats_model *model, int threads, int floor_threads, int repeat,
                              bench_row *row, ats_error *err) {
    const ats_model_config *c = ats_model_get_config(model);
    row->typing_ms = -1;
    row->peak_kb = -1;
    if (row->tokens > c->context) {
        snprintf(row->note, sizeof row->note, "longer than the model's context (%d tokens)",
                 c->context);
        return ATS_OK;
    }
    text_buf text = {0}, longer = {0};
    int next_word = 0;
    if (!text_append(&text, "") || !make_text(model, row->tokens, &text, &next_word)) {
        snprintf(row->note, sizeof row->note, "no text of exactly %d tokens found", row->tokens);
        free(text.s);
        return text.s ? ATS_OK : ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    bool typing = c->causal && row->tokens < c->context;
    double *buf = malloc(3 * (size_t)repeat * sizeof *buf);
    if (!buf || (typing && !longer_text(&text, next_word, &longer))) {
        free(buf);
        free(text.s);
        free(longer.s);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    samples runs = {buf, repeat}, floors = {buf + repeat, repeat},
            types = {buf + 2 * repeat, repeat};

    /* untimed: the first runs touch the weights' pages; the peak memory of a run (and of typing,
     * two runs at once) is read here, before the floor's buffers exist */
    peak_reset();
    ats_run_opts ro = ats_run_opts_default();
    ro.threads = threads;
    ro.keep_cache = typing;
    ats_run *prev = NULL;
    ats_status s = ats_run_text(model, text.s, text.len, &ro, &prev, err);
    samples one = {buf + 2 * repeat, 1};
    if (s == ATS_OK && typing)
        s = time_runs(model, &longer, prev, threads, &one, NULL, 0, NULL, NULL, err);
    row->peak_kb = peak_kb();

    ats_matmul_floor *floor = NULL;
    if (s == ATS_OK)
        s = ats_matmul_floor_new(c, row->tokens, &floor, err);
    if (s == ATS_OK) {
        ats_matmul_floor_time(floor, floor_threads); /* warm */
        s = time_runs(model, &text, NULL, threads, &runs, floor, floor_threads, &floors, &row->kept,
                      err);
    }
    if (s == ATS_OK && typing) {
        row->typing_tokens = count_tokens(model, longer.s, longer.len);
        s = time_runs(model, &longer, prev, threads, &types, NULL, 0, NULL, NULL, err);
        if (s == ATS_OK)
            samples_result(&types, &row->typing_ms, NULL);
    }
    if (s == ATS_OK) {
        samples_result(&runs, &row->forward_ms, &row->forward_best);
        samples_result(&floors, &row->floor_ms, &row->floor_best);
    }
    row->ran = s == ATS_OK;
    ats_matmul_floor_free(floor);
    ats_run_free(prev);
    free(buf);
    free(text.s);
    free(longer.s);
    return s;
}

/* ---- output ---------------------------------------------------------------------------------- */

/* "AMD EPYC" from /proc/cpuinfo, or "unknown". */
static void cpu_name(char *out, size_t size) {
    snprintf(out, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            const char *v = strchr(line, ':');
            if (v) {
                v += 1 + strspn(v + 1, " \t");
                snprintf(out, size, "%.*s", (int)strcspn(v, "\n"), v);
            }
            break;
        }
    }
    fclose(f);
}

static void print_json(const ats_model *model, int threads, int repeat, const bench_row *rows,
                       int n) {
    char cpu[256];
    cpu_name(cpu, sizeof cpu);
    fputs("{\"model\": ", stdout);
    ats_json_write_model(stdout, model);
    printf(", \"threads\": %d, \"repeat\": %d, \"blas\": ", threads, repeat);
    const char *blas = ats_compute_blas();
    ats_json_write_string(stdout, blas, strlen(blas));
    fputs(", \"cpu\": ", stdout);
    ats_json_write_string(stdout, cpu, strlen(cpu));
    fputs(", \"results\": [", stdout);
    for (int i = 0; i < n; i++) {
        const bench_row *r = &rows[i];
        printf("%s\n  {\"tokens\": %d, ", i ? "," : "", r->tokens);
        if (!r->ran) {
            fputs("\"forward_ms\": null, \"typing_ms\": null, \"note\": ", stdout);
            ats_json_write_string(stdout, r->note, strlen(r->note));
            fputc('}', stdout);
            continue;
        }
        printf("\"forward_ms\": %.3f, ", r->forward_ms);
        if (r->typing_ms >= 0)
            printf("\"typing_ms\": %.3f, \"typing_tokens\": %d, ", r->typing_ms, r->typing_tokens);
        else
            fputs("\"typing_ms\": null, ", stdout);
        printf("\"floor_ms\": %.3f, \"ratio\": %.3f, \"forward_best_ms\": %.3f, "
               "\"floor_best_ms\": %.3f, \"attention\": \"%s\"",
               r->floor_ms, r->floor_ms > 0 ? r->forward_ms / r->floor_ms : 0.0, r->forward_best,
               r->floor_best, r->kept ? "kept" : "on demand");
        if (r->peak_kb >= 0)
            printf(", \"peak_mb\": %.1f", (double)r->peak_kb / 1024.0);
        fputc('}', stdout);
    }
    fputs("\n]}\n", stdout);
}

static void print_table(const ats_model *model, int threads, int repeat, const bench_row *rows,
                        int n) {
    const ats_model_config *c = ats_model_get_config(model);
    char cpu[256];
    cpu_name(cpu, sizeof cpu);
    printf("model    %s (%s, %d layers x %d heads, d_model %d)\n", ats_model_get_info(model)->name,
           ats_arch_name(c->arch), c->n_layer, c->n_head, c->d_model);
    printf("cpu      %s\nblas     %s\nthreads  %d   (medians of %d runs)\n\n", cpu,
           ats_compute_blas(), threads, repeat);
    printf("%7s %11s %10s %7s %10s %9s\n", "tokens", "forward ms", "floor ms", "ratio", "typing ms",
           "peak MB");
    for (int i = 0; i < n; i++) {
        const bench_row *r = &rows[i];
        if (!r->ran) {
            printf("%7d   %s\n", r->tokens, r->note);
            continue;
        }
        char typing[32] = "-", peak[32] = "-";
        if (r->typing_ms >= 0)
            snprintf(typing, sizeof typing, "%.1f", r->typing_ms);
        if (r->peak_kb >= 0)
            snprintf(peak, sizeof peak, "%.0f", (double)r->peak_kb / 1024.0);
        printf("%7d %11.1f %10.1f %7.2f %10s %9s%s\n", r->tokens, r->forward_ms, r->floor_ms,
               r->floor_ms > 0 ? r->forward_ms / r->floor_ms : 0.0, typing, peak,
               r->kept ? "" : "  (attention on demand)");
    }
}

int cmd_bench(int argc, char **argv) {
    cli_opts o;
    if (!cli_parse("bench", argc, argv, 2,
                   OPT_MODEL | OPT_JSON | OPT_TOKENIZER | OPT_CAUSAL | OPT_BENCH, &o))
        return EXIT_BAD_INPUT;
    if (o.help) {
        fputs(USAGE, stdout);
        return EXIT_OK;
    }
    int lengths[MAX_LENGTHS], n = 0;
    if (!parse_lengths(o.tokens ? o.tokens : "16,64,256,512", lengths, &n)) {
        cli_error("bench: --tokens takes up to %d comma-separated counts from 1 to 1000000, got "
                  "'%s'",
                  MAX_LENGTHS, o.tokens);
        return EXIT_BAD_INPUT;
    }
    if (o.repeat < 0 || o.repeat > 1000 || o.threads < 0 || o.threads > 256) {
        cli_error("bench: --repeat takes 1 to 1000 and --threads 1 to 256");
        return EXIT_BAD_INPUT;
    }
    int repeat = o.repeat > 0 ? o.repeat : 5;
    /* the runs get 0 (the engine's own choice) unless --threads says; the floor the same count */
    int threads = o.threads > 0 ? o.threads : ats_compute_default_threads();
    int run_threads = o.threads > 0 ? o.threads : 0;
    int code = EXIT_OK;
    ats_model *model = cli_load_model(&o, &code);
    if (!model)
        return code;
    if (!ats_model_get_info(model)->has_weights) {
        cli_error("%s holds a vocabulary only, no weights: nothing to run",
                  ats_model_get_info(model)->name);
        ats_model_free(model);
        return EXIT_BAD_INPUT;
    }
    bench_row rows[MAX_LENGTHS] = {0};
    for (int i = 0; i < n && code == EXIT_OK; i++) {
        rows[i].tokens = lengths[i];
        ats_error err;
        ats_status s = measure_row(model, run_threads, threads, repeat, &rows[i], &err);
        if (s != ATS_OK) {
            cli_error("%d tokens: %s", lengths[i], err.message);
            code = cli_exit_for(s);
        }
    }
    if (code == EXIT_OK) {
        if (o.json)
            print_json(model, threads, repeat, rows, n);
        else
            print_table(model, threads, repeat, rows, n);
    }
    ats_model_free(model);
    if (fflush(stdout) != 0)
        return EXIT_RUN_FAILED;
    return code;
}
