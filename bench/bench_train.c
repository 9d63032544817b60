/* Training speed: tokens per second of `attnscope train`'s step (forward, backward, AdamW) for the
 * default model (2 layers, 4 heads, d_model 64, attention only, context 64, batch 32, on
 * builtin:repeats), with 1 thread and with every CPU, plus the MLP variant.
 *
 * usage: bench_train [STEPS]   (default 40 timed steps after 3 untimed ones)
 *
 * Prints one line per case: threads, tokens per second (the median of the steps), milliseconds
 * per step, and how long 1000 steps (about where the induction heads of scripts/train_tiny.sh
 * form) would take. The machine may be shared: the median of several steps keeps one slow step
 * out, and `uptime`'s load average belongs beside any figure quoted. */
#include "base.h"
#include "train.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bench(const char *what, int threads, int d_ff, int steps) {
    ats_train_opts o = ats_train_opts_default();
    o.threads = threads;
    o.d_ff = d_ff;
    o.steps = 1000;
    ats_trainer *t;
    ats_error err;
    if (ats_trainer_new(&o, &t, &err) != ATS_OK) {
        fprintf(stderr, "bench_train: %s\n", err.message);
        return 1;
    }
    double *ms = malloc((size_t)steps * sizeof *ms);
    for (int i = 0; i < 3 + steps; i++) {
        double t0 = ats_clock_ms();
        if (ats_trainer_step(t, NULL, &err) != ATS_OK) {
            fprintf(stderr, "bench_train: %s\n", err.message);
            return 1;
        }
        if (i >= 3)
            ms[i - 3] = ats_clock_ms() - t0;
    }
    qsort(ms, (size_t)steps, sizeof *ms, compare_double);
    double median = ms[steps / 2];
    double tps = (double)ats_trainer_tokens_per_step(t) / (median / 1000.0);
    printf("%-34s threads %d  %8.0f tokens/s  %6.1f ms/step  1000 steps in %5.1f s\n", what,
           ats_trainer_opts(t)->threads, tps, median, median);
    free(ms);
    ats_trainer_free(t);
    return 0;
}

int main(int argc, char **argv) {
    int steps = argc > 1 ? atoi(argv[1]) : 40;
    if (steps < 1) {
        fprintf(stderr, "usage: bench_train [STEPS]\n");
        return 2;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    printf("batch 32 x 64 tokens, builtin:repeats, %ld CPUs online\n", cpus);
    int rc = bench("2 x 4 heads, 64 wide, attention only", 1, 0, steps);
    if (cpus > 1)
        rc |= bench("2 x 4 heads, 64 wide, attention only", (int)cpus, 0, steps);
    rc |= bench("2 x 4 heads, 64 wide, MLP 256", cpus > 1 ? (int)cpus : 1, -1, steps);
    return rc;
}
