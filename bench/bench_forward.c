/* Forward-pass speed: how long one run (tokenize + forward, all heads captured) takes at several
 * text lengths, the work the explorer repeats after each keystroke.
 *
 *   bench_forward [MODEL] [TOKENS ...]      default: builtin:demo 16 128 512
 *
 * Prints, per length, the median and best of several full runs, and for causal models the
 * median of a "typing" run: the same text one word longer, reusing the previous run's results
 * for the unchanged start (ats_run_opts.reuse), in milliseconds. */
#include "attnscope/engine.h"
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REPEATS = 9 };

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A text of about n words drawn from a small list (real tokenizers may split some words). */
static char *make_text(int n) {
    static const char *words[] = {"the", "animal", "didn't", "cross", "street", "because",
                                  "it",  "was",    "too",    "tired", "and",    "slept"};
    size_t cap = (size_t)n * 10 + 1, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? " " : "", words[i % 12]);
    return s;
}

/* Median time of running `words` words when the run of `words - 1` words is there to reuse;
 * -1 for models where nothing can be reused (bidirectional ones). */
static double typing_ms(const ats_model *model, int words) {
    if (!ats_model_get_config(model)->causal || words < 2)
        return -1;
    char *before = make_text(words - 1), *after = make_text(words);
    ats_run_opts o = ats_run_opts_default();
    o.keep_cache = true;
    ats_run *prev = NULL;
    double times[REPEATS];
    if (ats_run_text(model, before, strlen(before), &o, &prev, NULL) != ATS_OK)
        return -1;
    o.reuse = prev;
    for (int r = 0; r < REPEATS; r++) {
        ats_run *run = NULL;
        double start = ats_clock_ms();
        ats_status s = ats_run_text(model, after, strlen(after), &o, &run, NULL);
        times[r] = ats_clock_ms() - start;
        ats_run_free(run);
        if (s != ATS_OK)
            times[r] = -1;
    }
    ats_run_free(prev);
    free(before);
    free(after);
    qsort(times, REPEATS, sizeof times[0], compare_doubles);
    return times[REPEATS / 2];
}

int main(int argc, char **argv) {
    const char *model_path = argc > 1 ? argv[1] : "builtin:demo";
    int default_lengths[] = {16, 128, 512};
    int n_lengths = argc > 2 ? argc - 2 : 3;

    ats_model *model;
    ats_error err;
    double t0 = ats_clock_ms();
    if (ats_model_load(model_path, NULL, &model, &err) != ATS_OK) {
        fprintf(stderr, "bench_forward: %s\n", err.message);
        return 2;
    }
    const ats_model_config *c = ats_model_get_config(model);
    printf("model %s: %d layers x %d heads, d_model %d; load %.1f ms\n", model_path, c->n_layer,
           c->n_head, c->d_model, ats_clock_ms() - t0);
    printf("%8s %8s %12s %12s %12s\n", "words", "tokens", "median ms", "best ms", "typing ms");

    for (int k = 0; k < n_lengths; k++) {
        int words = argc > 2 ? atoi(argv[k + 2]) : default_lengths[k];
        char *text = make_text(words);
        double times[REPEATS];
        int tokens = 0;
        for (int r = 0; r < REPEATS; r++) {
            ats_run *run;
            double start = ats_clock_ms();
            if (ats_run_text(model, text, strlen(text), NULL, &run, &err) != ATS_OK) {
                fprintf(stderr, "bench_forward: %s\n", err.message);
                free(text);
                ats_model_free(model);
                return 1;
            }
            times[r] = ats_clock_ms() - start;
            tokens = ats_run_n_tokens(run);
            ats_run_free(run);
        }
        qsort(times, REPEATS, sizeof times[0], compare_doubles);
        double typing = typing_ms(model, words);
        printf("%8d %8d %12.2f %12.2f", words, tokens, times[REPEATS / 2], times[0]);
        if (typing >= 0)
            printf(" %12.2f\n", typing);
        else
            printf(" %12s\n", "-");
        free(text);
    }
    ats_model_free(model);
    return 0;
}
