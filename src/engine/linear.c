#include "linear.h"
#include "base.h"
#include "ops.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

enum {
    PANEL_VALUES = 1 << 21, /* floats in one decoded panel: 8 MiB (see linear.h) */
    FUSED_MAX_ROWS = 16,    /* up to this many rows of x take the fused tiles (bench_linear) */
    CHUNK = ATS_TILE_CHUNK,
    TILE_ROWS = ATS_TILE_ROWS,
    TILE_TOKENS = 64, /* rows of x per pass over a tile's accumulators */
};

/* The first byte of stored row r (ld values per row, whole blocks). */
static const uint8_t *row_at(const ats_linear *lin, size_t r) {
    size_t per = ats_wtype_block_elems(lin->type), size = ats_wtype_block_bytes(lin->type);
    return (const uint8_t *)lin->w + r * (size_t)lin->ld / per * size;
}

/* The first byte of value (i, o) of [in][out] storage (float or half: one value per block). */
static const uint8_t *in_major_at(const ats_linear *lin, size_t i, size_t o) {
    return (const uint8_t *)lin->w + (i * (size_t)lin->ld + o) * ats_wtype_block_bytes(lin->type);
}

/* y[:, o0:o1] (T rows, stride n_out) = b[o0:o1] in every row, or zeros. */
static void fill_bias(const ats_linear *lin, int T, float *y, int o0, int o1) {
    size_t n = (size_t)(o1 - o0);
    for (int t = 0; t < T; t++) {
        float *row = y + (size_t)t * lin->n_out + o0;
        if (lin->b)
            memcpy(row, lin->b + o0, n * sizeof(float));
        else
            memset(row, 0, n * sizeof(float));
    }
}

/* ---- panels: decode rows of W, then one cblas_sgemm -------------------------------------- */

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
    for (int i = 0; i < lin->n_in; i++)
        ats_dequant(lin->type, in_major_at(lin, (size_t)i, (size_t)o0), (size_t)p,
                    panel + (size_t)i * p);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, p, lin->n_in, 1.0f, x, lin->n_in,
                panel, p, 1.0f, y + o0, lin->n_out);
}

/* Columns o0..o1-1 through panels; false when the panel buffer cannot be had. */
static bool by_panels(const ats_linear *lin, const float *x, int T, float *y, int o0, int o1) {
    int p = PANEL_VALUES / lin->n_in;
    p = p < 16 ? 16 : p > o1 - o0 ? o1 - o0 : p;
    float *panel = malloc((size_t)p * lin->n_in * sizeof(float));
    if (!panel)
        return false;
    for (int o = o0; o < o1; o += p) {
        int rows = o1 - o < p ? o1 - o : p;
        if (lin->in_major)
            panel_in_major(lin, x, T, y, o, rows, panel);
        else
            panel_out_major(lin, x, T, y, o, rows, panel);
    }
    free(panel);
    return true;
}

/* ---- fused tiles: decode a few rows of W a chunk at a time, dot them with x -------------- */

void ats_dot_tile_ref(const float *w, int R, const float *x, size_t ldx, int T, int len,
                      float *acc) {
    for (int t = 0; t < T; t++)
        for (int r = 0; r < R; r++)
            for (int i = 0; i < len; i++)
                acc[((size_t)t * TILE_ROWS + r) * 8 + i % 8] += x[t * ldx + i] * w[r * CHUNK + i];
}

/* Stored [out][in], rows o0..o1-1: TILE_ROWS rows of W at a time, CHUNK inputs at a time, are
 * decoded into w (TILE_ROWS, CHUNK) on the stack and dotted with up to TILE_TOKENS rows of x,
 * eight partial sums per output in acc (TILE_TOKENS, TILE_ROWS, 8), summed at the end of the
 * rows. Each block is decoded once per TILE_TOKENS rows of x; nothing is allocated. */
static void tiles_out_major(const ats_linear *lin, const float *x, int T, float *y, int o0,
                            int o1) {
    _Alignas(32) float w[TILE_ROWS * CHUNK];
    _Alignas(32) float acc[TILE_TOKENS * TILE_ROWS * 8];
    size_t n_in = (size_t)lin->n_in, n_out = (size_t)lin->n_out;
    size_t per = ats_wtype_block_elems(lin->type), size = ats_wtype_block_bytes(lin->type);
    for (int t0 = 0; t0 < T; t0 += TILE_TOKENS) {
        int nt = T - t0 < TILE_TOKENS ? T - t0 : TILE_TOKENS;
        const float *xt = x + (size_t)t0 * n_in;
        for (int o = o0; o < o1; o += TILE_ROWS) {
            int R = o1 - o < TILE_ROWS ? o1 - o : TILE_ROWS;
            memset(acc, 0, (size_t)nt * TILE_ROWS * 8 * sizeof(float));
            /* n_in is a whole number of blocks, and CHUNK of every block size */
            for (size_t i0 = 0; i0 < n_in; i0 += CHUNK) {
                int len = (int)(n_in - i0 < CHUNK ? n_in - i0 : CHUNK);
                for (int r = 0; r < R; r++)
                    ats_dequant(lin->type, row_at(lin, (size_t)(o + r)) + i0 / per * size,
                                (size_t)len, w + r * CHUNK);
                int len8 = len / 8 * 8; /* half rows may end mid-vector */
                if (!ats_dot_tile_avx2(w, R, xt + i0, n_in, nt, len8, acc))
                    ats_dot_tile_ref(w, R, xt + i0, n_in, nt, len8, acc);
                if (len8 < len)
                    ats_dot_tile_ref(w + len8, R, xt + i0 + len8, n_in, nt, len - len8, acc);
            }
            for (int t = 0; t < nt; t++)
                for (int r = 0; r < R; r++) {
                    const float *a = acc + ((size_t)t * TILE_ROWS + r) * 8;
                    y[(size_t)(t0 + t) * n_out + (size_t)(o + r)] +=
                        ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
                }
        }
    }
}

/* Stored [in][out] (float or half), columns o0..o1-1: each row i of W^T is decoded CHUNK
 * columns at a time into w, and y[:, chunk] (T, len) += x[:, i] (T) outer w (len). */
static void tiles_in_major(const ats_linear *lin, const float *x, int T, float *y, int o0, int o1) {
    float w[CHUNK];
    for (int i = 0; i < lin->n_in; i++) {
        for (int c = o0; c < o1; c += CHUNK) {
            int len = o1 - c < CHUNK ? o1 - c : CHUNK;
            ats_dequant(lin->type, in_major_at(lin, (size_t)i, (size_t)c), (size_t)len, w);
            cblas_sger(CblasRowMajor, T, len, 1.0f, x + i, lin->n_in, w, 1, y + c, lin->n_out);
        }
    }
}

/* ---- entry points ------------------------------------------------------------------------- */

void ats_linear_apply_path(const ats_linear *lin, const float *x, int T, float *y, int o0, int o1,
                           ats_linear_path path) {
    ATS_ASSERT(0 <= o0 && o0 <= o1 && o1 <= lin->n_out);
    if (T <= 0 || o0 == o1)
        return;
    if (lin->type == ATS_WTYPE_F32) {
        /* rows o0.. of W: stored [out][in] B = W used transposed; stored [in][out] B = W^T */
        const float *w = (const float *)lin->w;
        w += lin->in_major ? (size_t)o0 : (size_t)o0 * lin->ld;
        if (lin->b)
            fill_bias(lin, T, y, o0, o1);
        ats_gemm(!lin->in_major, T, o1 - o0, lin->n_in, 1.0f, x, lin->n_in, w, lin->ld,
                 lin->b ? 1.0f : 0.0f, y + o0, lin->n_out);
        return;
    }
    fill_bias(lin, T, y, o0, o1);
    if (path == ATS_LINEAR_AUTO)
        path = T <= FUSED_MAX_ROWS ? ATS_LINEAR_TILES : ATS_LINEAR_PANELS;
    if (path == ATS_LINEAR_PANELS && by_panels(lin, x, T, y, o0, o1))
        return;
    /* the tiles, also when no panel buffer can be had: they allocate nothing */
    if (lin->in_major)
        tiles_in_major(lin, x, T, y, o0, o1);
    else
        tiles_out_major(lin, x, T, y, o0, o1);
}

void ats_linear_apply_cols(const ats_linear *lin, const float *x, int T, float *y, int o0, int o1) {
    ats_linear_apply_path(lin, x, T, y, o0, o1, ATS_LINEAR_AUTO);
}

void ats_linear_apply(const ats_linear *lin, const float *x, int T, float *y) {
    ats_linear_apply_cols(lin, x, T, y, 0, lin->n_out);
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
    for (int i = 0; i < lin->n_in; i++)
        ats_dequant(lin->type, in_major_at(lin, (size_t)i, (size_t)o), 1, out + i);
}

ats_linear ats_linear_outputs(const ats_linear *lin, int first, int count) {
    ATS_ASSERT(first >= 0 && count >= 0 && first + count <= lin->n_out);
    ats_linear part = *lin;
    part.n_out = count;
    part.b = lin->b ? lin->b + first : NULL;
    if (lin->in_major) {
        ATS_ASSERT(ats_wtype_block_elems(lin->type) == 1);
        part.w = in_major_at(lin, 0, (size_t)first);
    } else {
        part.w = row_at(lin, (size_t)first);
    }
    return part;
}
