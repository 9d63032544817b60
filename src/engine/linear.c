#include "linear.h"
#include "base.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

enum {
    PANEL_VALUES = 1 << 21, /* floats in one decoded panel: 8 MiB (bench_linear: smaller panels
                               make many narrow sgemm calls, larger ones leave the cache) */
    FUSED_MAX_ROWS = 2,     /* up to this many rows of x take the fused loop */
    CHUNK = 256,            /* values decoded at once by the fused loop: one K-quant block */
};

/* The first byte of stored row r (ld values per row, whole blocks). */
static const uint8_t *row_at(const ats_linear *lin, size_t r) {
    size_t per = ats_wtype_block_elems(lin->type), size = ats_wtype_block_bytes(lin->type);
    return (const uint8_t *)lin->w + r * (size_t)lin->ld / per * size;
}

/* y (T, n_out) = b in every row, or zeros. */
static void fill_bias(const ats_linear *lin, int T, float *y) {
    size_t n_out = (size_t)lin->n_out;
    for (int t = 0; t < T; t++) {
        float *row = y + (size_t)t * n_out;
        if (lin->b)
            memcpy(row, lin->b, n_out * sizeof(float));
        else
            memset(row, 0, n_out * sizeof(float));
    }
}

/* Stored [out][in]: y[:, o0 : o0 + p] += x . W[o0 : o0 + p, :]^T with the p rows decoded into
 * panel (p, n_in). */
static void panel_out_major(const ats_linear *lin, const float *x, int T, float *y, int o0, int p,
                            float *panel) {
    size_t n_in = (size_t)lin->n_in;
    if (lin->ld == lin->n_in) {
        ats_dequant(lin->type, row_at(lin, (size_t)o0), (size_t)p * n_in, panel);
    } else {
        for (int r = 0; r < p; r++)
            ats_dequant(lin->type, row_at(lin, (size_t)(o0 + r)), n_in, panel + (size_t)r * n_in);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, p, lin->n_in, 1.0f, x, lin->n_in, panel,
                lin->n_in, 1.0f, y + o0, lin->n_out);
}

/* Stored [in][out] (float or half): y[:, o0 : o0 + p] += x . W^T[:, o0 : o0 + p] with those
 * columns decoded into panel (n_in, p). */
static void panel_in_major(const ats_linear *lin, const float *x, int T, float *y, int o0, int p,
                           float *panel) {
    size_t elem = ats_wtype_block_bytes(lin->type);
    for (int i = 0; i < lin->n_in; i++)
        ats_dequant(lin->type, (const uint8_t *)lin->w + ((size_t)i * lin->ld + o0) * elem,
                    (size_t)p, panel + (size_t)i * p);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, p, lin->n_in, 1.0f, x, lin->n_in,
                panel, p, 1.0f, y + o0, lin->n_out);
}

/* sum_i a[i] b[i] in float, eight partial sums (the compiler vectorizes it) */
static float dot(const float *a, const float *b, int n) {
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++)
            acc[k] += a[i + k] * b[i + k];
    for (; i < n; i++)
        acc[0] += a[i] * b[i];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

/* The panel-free loop: each stored block is decoded once, into a CHUNK on the stack, and used
 * for every row of x. For few rows of x, and when no panel buffer can be had. */
static void fused(const ats_linear *lin, const float *x, int T, float *y) {
    float chunk[CHUNK];
    size_t n_in = (size_t)lin->n_in, n_out = (size_t)lin->n_out;
    if (!lin->in_major) {
        /* CHUNK is a whole number of blocks of every type, and so is n_in */
        for (size_t o = 0; o < n_out; o++) {
            const uint8_t *row = row_at(lin, o);
            size_t per = ats_wtype_block_elems(lin->type), size = ats_wtype_block_bytes(lin->type);
            for (size_t i0 = 0; i0 < n_in; i0 += CHUNK) {
                int len = (int)(n_in - i0 < CHUNK ? n_in - i0 : CHUNK);
                ats_dequant(lin->type, row + i0 / per * size, (size_t)len, chunk);
                for (int t = 0; t < T; t++)
                    y[t * n_out + o] += dot(x + t * n_in + i0, chunk, len);
            }
        }
        return;
    }
    size_t elem = ats_wtype_block_bytes(lin->type);
    for (size_t i = 0; i < n_in; i++) {
        for (size_t o0 = 0; o0 < n_out; o0 += CHUNK) {
            int len = (int)(n_out - o0 < CHUNK ? n_out - o0 : CHUNK);
            ats_dequant(lin->type, (const uint8_t *)lin->w + (i * (size_t)lin->ld + o0) * elem,
                        (size_t)len, chunk);
            for (int t = 0; t < T; t++) {
                float xi = x[t * n_in + i], *yt = y + t * n_out + o0;
                for (int k = 0; k < len; k++)
                    yt[k] += xi * chunk[k];
            }
        }
    }
}

void ats_linear_apply(const ats_linear *lin, const float *x, int T, float *y) {
    if (T <= 0)
        return;
    if (lin->type == ATS_WTYPE_F32) {
        /* Stored [out][in] is B = W (n_out, n_in) used transposed; stored [in][out] is B = W^T. */
        if (lin->b)
            fill_bias(lin, T, y);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, lin->in_major ? CblasNoTrans : CblasTrans, T,
                    lin->n_out, lin->n_in, 1.0f, x, lin->n_in, (const float *)lin->w, lin->ld,
                    lin->b ? 1.0f : 0.0f, y, lin->n_out);
        return;
    }
    fill_bias(lin, T, y);
    int p = PANEL_VALUES / lin->n_in;
    p = p < 16 ? 16 : p > lin->n_out ? lin->n_out : p;
    float *panel = T > FUSED_MAX_ROWS ? malloc((size_t)p * lin->n_in * sizeof(float)) : NULL;
    if (!panel) {
        fused(lin, x, T, y);
        return;
    }
    for (int o0 = 0; o0 < lin->n_out; o0 += p) {
        int rows = lin->n_out - o0 < p ? lin->n_out - o0 : p;
        if (lin->in_major)
            panel_in_major(lin, x, T, y, o0, rows, panel);
        else
            panel_out_major(lin, x, T, y, o0, rows, panel);
    }
    free(panel);
}

void ats_linear_apply_ref(const ats_linear *lin, const float *x, int T, float *y) {
    float *row = malloc((size_t)lin->n_in * sizeof(float));
    ATS_ASSERT(row); /* the oracle of tests only */
    for (int o = 0; o < lin->n_out; o++) {
        ats_linear_row(lin, o, row);
        for (int t = 0; t < T; t++) {
            double acc = lin->b ? lin->b[o] : 0.0;
            for (int i = 0; i < lin->n_in; i++)
                acc += (double)x[(size_t)t * lin->n_in + i] * row[i];
            y[(size_t)t * lin->n_out + o] = (float)acc;
        }
    }
    free(row);
}

void ats_linear_row(const ats_linear *lin, int o, float *out) {
    if (!lin->in_major) {
        ats_dequant(lin->type, row_at(lin, (size_t)o), (size_t)lin->n_in, out);
        return;
    }
    size_t elem = ats_wtype_block_bytes(lin->type);
    for (int i = 0; i < lin->n_in; i++)
        ats_dequant(lin->type, (const uint8_t *)lin->w + ((size_t)i * lin->ld + o) * elem, 1,
                    out + i);
}

ats_linear ats_linear_outputs(const ats_linear *lin, int first, int count) {
    ATS_ASSERT(first >= 0 && count >= 0 && first + count <= lin->n_out);
    ats_linear part = *lin;
    part.n_out = count;
    part.b = lin->b ? lin->b + first : NULL;
    if (lin->in_major) {
        ATS_ASSERT(ats_wtype_block_elems(lin->type) == 1);
        part.w = (const uint8_t *)lin->w + (size_t)first * ats_wtype_block_bytes(lin->type);
    } else {
        part.w = row_at(lin, (size_t)first);
    }
    return part;
}
