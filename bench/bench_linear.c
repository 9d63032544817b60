/* Quantized matrix products: what decoding weights as the product goes costs next to the same
 * product over float32 weights decoded once beforehand (the memory-hungry way).
 *
 *   OPENBLAS_NUM_THREADS=1 bench_linear [TYPE ...]      default: Q4_0 Q8_0 Q4_K Q6_K F16
 *
 * Shapes are a 7B Llama's (4096 -> 4096, 4096 -> 11008, 11008 -> 4096). For each type it prints
 * the decode speed (ats_dequant over a whole matrix, ns per value) and, for several numbers of
 * tokens T, the best of 5 runs (the least disturbed by other work on the machine) of the fused
 * tiles, of the decoded panels with cblas_sgemm, and of cblas_sgemm over float32 weights, in
 * milliseconds summed over the three shapes. One thread, as each thread of attnscope's forward
 * pass runs its share of a product (BLAS single-threaded). Block bytes are random with their f16
 * scales set to small normal values, so every decoded value is finite. */
#include "base.h"
#include "linear.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REPEATS = 5 };

static uint64_t rng_state = 88172645463325252ull;

static uint64_t next_random(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Byte offsets of the f16 scale fields in one block of each type (-1 ends the list). */
static const int *scale_fields(ats_wtype type) {
    static const int at0[] = {0, -1}, at01[] = {0, 2, -1}, q2k[] = {80, 82, -1}, q3k[] = {108, -1},
                     q6k[] = {208, -1}, none[] = {-1};
    switch (type) {
    case ATS_WTYPE_Q8_0:
    case ATS_WTYPE_Q4_0:
    case ATS_WTYPE_Q5_0:
    case ATS_WTYPE_IQ4_NL:
    case ATS_WTYPE_IQ4_XS:
        return at0;
    case ATS_WTYPE_Q4_1:
    case ATS_WTYPE_Q5_1:
    case ATS_WTYPE_Q4_K:
    case ATS_WTYPE_Q5_K:
        return at01;
    case ATS_WTYPE_Q2_K:
        return q2k;
    case ATS_WTYPE_Q3_K:
        return q3k;
    case ATS_WTYPE_Q6_K:
        return q6k;
    default:
        return none;
    }
}

/* n values of `type` with random bits and sane scales. */
static uint8_t *random_blocks(ats_wtype type, size_t n) {
    uint64_t bytes;
    if (!ats_wtype_bytes(type, n, &bytes))
        return NULL;
    uint8_t *p = malloc(bytes);
    if (!p)
        return NULL;
    for (size_t i = 0; i < bytes; i++)
        p[i] = (uint8_t)next_random();
    if (type == ATS_WTYPE_F16 || type == ATS_WTYPE_BF16) {
        for (size_t i = 0; i < n; i++) { /* sign, a small exponent, random mantissa */
            uint16_t h = type == ATS_WTYPE_F16 ? (uint16_t)(0x2000 | (next_random() & 0x83ff))
                                               : (uint16_t)(0x3c00 | (next_random() & 0x807f));
            p[2 * i] = (uint8_t)h, p[2 * i + 1] = (uint8_t)(h >> 8);
        }
        return p;
    }
    size_t per = ats_wtype_block_elems(type), size = ats_wtype_block_bytes(type);
    for (size_t b = 0; b < n / per; b++)
        for (const int *f = scale_fields(type); *f >= 0; f++) {
            uint16_t h = (uint16_t)(0x1800 | (next_random() & 0x03ff)); /* about 2^-9 */
            p[b * size + (size_t)*f] = (uint8_t)h, p[b * size + (size_t)*f + 1] = (uint8_t)(h >> 8);
        }
    return p;
}

static bool type_by_name(const char *name, ats_wtype *out) {
    for (int t = 0; t < ATS_WTYPE_COUNT; t++)
        if (strcmp(ats_wtype_name((ats_wtype)t), name) == 0) {
            *out = (ats_wtype)t;
            return true;
        }
    return false;
}

typedef struct shape {
    int n_out, n_in;
} shape;

static const shape SHAPES[] = {{4096, 4096}, {11008, 4096}, {4096, 11008}};
enum { N_SHAPES = sizeof SHAPES / sizeof SHAPES[0] };

static double best_ms(const ats_linear *lin, const float *x, int T, float *y,
                      ats_linear_path path) {
    double best = 0;
    for (int r = 0; r < REPEATS; r++) {
        double start = ats_clock_ms();
        ats_linear_apply_path(lin, x, T, y, 0, lin->n_out, path);
        double ms = ats_clock_ms() - start;
        best = r == 0 || ms < best ? ms : best;
    }
    return best;
}

static int bench_type(ats_wtype type) {
    static const int tokens[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
    enum { N_T = sizeof tokens / sizeof tokens[0], T_MAX = 256 };
    ats_linear q[N_SHAPES], f[N_SHAPES];
    uint8_t *blocks[N_SHAPES] = {0};
    float *dense[N_SHAPES] = {0};
    float *x = malloc((size_t)T_MAX * 11008 * sizeof(float));
    float *y = malloc((size_t)T_MAX * 11008 * sizeof(float));
    int status = 0;
    double decode_ns = 0, values = 0;
    for (int s = 0; s < N_SHAPES && x && y; s++) {
        size_t n = (size_t)SHAPES[s].n_out * SHAPES[s].n_in;
        blocks[s] = random_blocks(type, n);
        dense[s] = malloc(n * sizeof(float));
        if (!blocks[s] || !dense[s]) {
            status = 1;
            break;
        }
        ats_dequant(type, blocks[s], n, dense[s]); /* the first pass faults the pages in */
        double start = ats_clock_ms();
        ats_dequant(type, blocks[s], n, dense[s]);
        decode_ns += (ats_clock_ms() - start) * 1e6;
        values += (double)n;
        q[s] = (ats_linear){.w = blocks[s],
                            .type = type,
                            .n_out = SHAPES[s].n_out,
                            .n_in = SHAPES[s].n_in,
                            .ld = SHAPES[s].n_in};
        f[s] = q[s];
        f[s].w = dense[s];
        f[s].type = ATS_WTYPE_F32;
    }
    if (!x || !y)
        status = 1;
    if (status == 0) {
        for (size_t i = 0; i < (size_t)T_MAX * 11008; i++)
            x[i] = (float)((double)(next_random() % 2001) / 1000.0 - 1.0);
        printf("%-7s decode %.3f ns/value\n", ats_wtype_name(type), decode_ns / values);
        printf("  %6s %10s %10s %10s %8s\n", "tokens", "tiles ms", "panels ms", "float32 ms",
               "ratio");
        for (int k = 0; k < N_T; k++) {
            double tt = 0, tp = 0, tf = 0;
            for (int s = 0; s < N_SHAPES; s++) {
                tt += best_ms(&q[s], x, tokens[k], y, ATS_LINEAR_TILES);
                tp += best_ms(&q[s], x, tokens[k], y, ATS_LINEAR_PANELS);
                tf += best_ms(&f[s], x, tokens[k], y, ATS_LINEAR_AUTO);
            }
            printf("  %6d %10.2f %10.2f %10.2f %8.2f\n", tokens[k], tt, tp, tf,
                   (tt < tp ? tt : tp) / tf);
        }
    }
    for (int s = 0; s < N_SHAPES; s++) {
        free(blocks[s]);
        free(dense[s]);
    }
    free(x);
    free(y);
    return status;
}

int main(int argc, char **argv) {
    static const char *defaults[] = {"Q4_0", "Q8_0", "Q4_K", "Q6_K", "F16"};
    int n = argc > 1 ? argc - 1 : (int)(sizeof defaults / sizeof defaults[0]);
    for (int i = 0; i < n; i++) {
        const char *name = argc > 1 ? argv[i + 1] : defaults[i];
        ats_wtype type;
        if (!type_by_name(name, &type) || type == ATS_WTYPE_F32) {
            fprintf(stderr, "bench_linear: '%s' is not a stored type other than F32\n", name);
            return 2;
        }
        if (bench_type(type) != 0) {
            fprintf(stderr, "bench_linear: out of memory\n");
            return 1;
        }
    }
    return 0;
}
