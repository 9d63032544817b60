/* Render speed: the time to build each view's display list and to rasterize it into a
 * 1600 x 1000 canvas, as the window does on every edit and every mouse move.
 *
 *   bench_render [-r RUNS] [-t T]... [-v VIEW]... [-s LxH]... [-m causal|bidir] [-p DIR]
 *
 * Data is synthetic attention with the structure of builtin:demo and of real models: each head
 * is a softmax over scores of one of six kinds (previous token, same word, first token, uniform,
 * sharp random, diffuse random), masked for a causal model. Defaults: T = 16, 128, 512;
 * shapes 2x4, 2x12, 12x4, 12x12 (layers x heads); causal and bidirectional; every view state:
 *
 *   heatmap        zoom 1, nothing hovered
 *   heatmap-zoom   zoom 4 about the middle, a cell hovered
 *   lines          every head, nothing focused
 *   lines-hover    every head, a token hovered
 *   grid           every thumbnail, nothing hovered
 *   grid-hover     a thumbnail hovered (the large preview)
 *
 * Each case reuses one ats_view (as the window does) and prints the median over RUNS (default
 * 5) of build, rasterize and their total in milliseconds, and the smallest total ("min": on a
 * shared machine the steadiest figure); "cold" is the first build on a fresh view (what a new
 * text or a view switch costs), and "items" the display list's length. With
 * -p DIR each case's last frame is also written to DIR/<T>-<L>x<H>-<mask>-<case>.png, to look
 * at what was timed. */
#include "attnscope/render.h"
#include "base.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CANVAS_W = 1600, CANVAS_H = 1000, MAX_LIST = 8 };

/* ---- synthetic attention -------------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng_next(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static float rng_uniform(void) { /* [0, 1) */
    return (float)(rng_next() >> 40) / (float)(1u << 24);
}

static float rng_normal(void) { /* Box-Muller */
    float u = rng_uniform() + 1e-7f, v = rng_uniform();
    return sqrtf(-2.0f * logf(u)) * cosf(6.2831853f * v);
}

static const char *const WORDS[] = {
    "The",    " animal", " didn",   "'t",        " cross", " the",     " street", " because",
    " it",    " was",    " too",    " tired",    ".",      " A",       " model",  " reads",
    " every", " token",  " and",    " attends",  " to",    " earlier", " ones",   ",",
    " some",  " heads",  " follow", " previous", " word",  " others",  " first",  " one",
    " Über",  " café",   " 東京",   " naïve"};
enum { N_WORDS = sizeof WORDS / sizeof WORDS[0] };

typedef struct dataset {
    int L, H, T;
    bool causal;
    int *word;           /* (T) index into WORDS */
    const char **labels; /* (T) */
    bool *special;       /* (T) */
    float *attn;         /* (L, H, T, T) */
    ats_view_data data;
} dataset;

/* One head's (T, T) softmax rows; `kind` picks the pattern. */
static void make_head(const dataset *ds, float *a, int kind) {
    int T = ds->T;
    float sigma = kind == 4 ? 2.5f : kind == 5 ? 0.3f : 0.5f;
    for (int q = 0; q < T; q++) {
        float *row = a + (size_t)q * T, mx = -1e30f;
        int kmax = ds->causal ? q : T - 1;
        for (int k = 0; k <= kmax; k++) {
            float s = sigma * rng_normal();
            if (kind == 0 && k == q - 1)
                s += 6.0f; /* previous token */
            if (kind == 1 && ds->word[k] == ds->word[q])
                s += 4.0f; /* same word */
            if (kind == 2 && k == 0)
                s += 5.0f; /* first token */
            if (kind == 3)
                s = 0; /* uniform */
            row[k] = s;
            mx = fmaxf(mx, s);
        }
        double sum = 0;
        for (int k = 0; k <= kmax; k++) {
            row[k] = expf(row[k] - mx);
            sum += row[k];
        }
        for (int k = 0; k < T; k++)
            row[k] = k <= kmax ? (float)(row[k] / sum) : 0.0f;
    }
}

static bool dataset_make(dataset *ds, int L, int H, int T, bool causal) {
    *ds = (dataset){.L = L, .H = H, .T = T, .causal = causal};
    ds->word = malloc((size_t)T * sizeof *ds->word);
    ds->labels = malloc((size_t)T * sizeof *ds->labels);
    ds->special = calloc((size_t)T, sizeof *ds->special);
    ds->attn = malloc((size_t)L * H * T * T * sizeof *ds->attn);
    if (!ds->word || !ds->labels || !ds->special || !ds->attn)
        return false;
    rng_state = 0x9E3779B97F4A7C15ull ^ (uint64_t)(L * 1000003 + H * 1009 + T);
    for (int i = 0; i < T; i++) {
        ds->word[i] = (int)(rng_next() % N_WORDS);
        ds->labels[i] = WORDS[ds->word[i]];
    }
    ds->labels[0] = "<s>";
    ds->special[0] = true;
    for (int l = 0; l < L; l++)
        for (int h = 0; h < H; h++)
            make_head(ds, ds->attn + ((size_t)l * H + h) * T * T, (l * H + h) % 6);
    ds->data = (ats_view_data){.model_name = "synthetic",
                               .n_layer = L,
                               .n_head = H,
                               .n_tokens = T,
                               .tokens = ds->labels,
                               .special = ds->special,
                               .attention = ds->attn,
                               .causal = causal};
    return true;
}

static void dataset_free(dataset *ds) {
    free(ds->word);
    free(ds->labels);
    free(ds->special);
    free(ds->attn);
}

/* ---- cases -------------------------------------------------------------------------------- */

static const char *const CASES[] = {"heatmap",     "heatmap-zoom", "lines",
                                    "lines-hover", "grid",         "grid-hover"};
enum { N_CASES = sizeof CASES / sizeof CASES[0] };

static ats_view_state case_state(int which, const dataset *ds) {
    ats_view_state st = ats_view_state_default();
    int T = ds->T;
    st.layer = ds->L > 1 ? 1 : 0;
    st.head = 0;
    switch (which) {
    case 0:
        st.view = ATS_VIEW_HEATMAP;
        break;
    case 1:
        st.view = ATS_VIEW_HEATMAP;
        st.zoom = 4;
        st.pan_query = st.pan_key = 0.375f * (float)T;
        st.hover_query = T / 2;
        st.hover_key = T / 2 - 1;
        break;
    case 2:
        st.view = ATS_VIEW_LINES;
        break;
    case 3:
        st.view = ATS_VIEW_LINES;
        st.hover_token = T / 2;
        st.hover_side = ATS_SIDE_QUERY;
        break;
    case 4:
        st.view = ATS_VIEW_GRID;
        break;
    default:
        st.view = ATS_VIEW_GRID;
        st.hover_layer = ds->L / 2;
        st.hover_head = ds->H / 2;
        break;
    }
    return st;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The frame just drawn, as DIR/<T>-<L>x<H>-<mask>-<case>.png. */
static void save_frame(const char *dir, const dataset *ds, int which, const ats_canvas *canvas) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%d-%dx%d-%s-%s.png", dir, ds->T, ds->L, ds->H,
             ds->causal ? "causal" : "bidir", CASES[which]);
    uint8_t *png;
    size_t len;
    ats_error err;
    if (ats_png_encode(canvas, NULL, &png, &len, &err) != ATS_OK ||
        ats_write_file_atomic(path, png, len, &err) != ATS_OK)
        fprintf(stderr, "bench_render: %s\n", err.message);
    else
        free(png);
}

/* Runs one case; returns false on an error (printed). */
static bool run_case(const dataset *ds, int which, int runs, ats_font *font, ats_canvas *canvas,
                     const char *save_dir) {
    ats_view_state st = case_state(which, ds);
    ats_view *view;
    ats_error err;
    if (ats_view_new(&view) != ATS_OK)
        return false;
    double build[64], raster[64], total[64], cold = 0;
    bool ok = true;
    for (int r = 0; r <= runs && ok; r++) { /* run 0: the cold build, not in the median */
        double t0 = ats_clock_ms();
        ok = ats_view_build(view, &st, &ds->data, font, CANVAS_W, CANVAS_H, &err) == ATS_OK;
        double t1 = ats_clock_ms();
        ok = ok && ats_render_draw(canvas, ats_view_display_list(view), font, 1, &err) == ATS_OK;
        double t2 = ats_clock_ms();
        if (r == 0) {
            cold = t1 - t0;
            continue;
        }
        build[r - 1] = t1 - t0;
        raster[r - 1] = t2 - t1;
        total[r - 1] = t2 - t0;
    }
    if (!ok) {
        fprintf(stderr, "bench_render: %s: %s\n", CASES[which], err.message);
    } else {
        if (save_dir)
            save_frame(save_dir, ds, which, canvas);
        int items = ats_dl_count(ats_view_display_list(view));
        double least = total[0];
        for (int r = 1; r < runs; r++)
            least = total[r] < least ? total[r] : least;
        printf("%4d %3dx%-3d %-6s %-13s %9.2f %9.2f %9.2f %9.2f %9.2f %8d\n", ds->T, ds->L, ds->H,
               ds->causal ? "causal" : "bidir", CASES[which], median(build, runs),
               median(raster, runs), median(total, runs), least, cold, items);
        fflush(stdout);
    }
    ats_view_free(view);
    return ok;
}

/* ---- command line ------------------------------------------------------------------------- */

typedef struct options {
    int runs;
    int n_t, t[MAX_LIST];
    int n_shape, shape_l[MAX_LIST], shape_h[MAX_LIST];
    int n_view;
    bool view_on[N_CASES];
    int mask;             /* 0 both, 1 causal, 2 bidirectional */
    const char *save_dir; /* -p: write each case's frame here */
} options;

static void usage(void) {
    fputs("usage: bench_render [-r RUNS] [-t TOKENS]... [-s LAYERSxHEADS]... [-v CASE]... "
          "[-m causal|bidir] [-p DIR]\n"
          "cases: heatmap heatmap-zoom lines lines-hover grid grid-hover\n",
          stderr);
}

static bool parse(int argc, char **argv, options *o) {
    *o = (options){.runs = 5};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return false;
        i++;
        if (strcmp(a, "-r") == 0) {
            o->runs = atoi(v);
            if (o->runs < 1 || o->runs > 63)
                return false;
        } else if (strcmp(a, "-t") == 0 && o->n_t < MAX_LIST) {
            o->t[o->n_t] = atoi(v);
            if (o->t[o->n_t++] < 1)
                return false;
        } else if (strcmp(a, "-s") == 0 && o->n_shape < MAX_LIST) {
            if (sscanf(v, "%dx%d", &o->shape_l[o->n_shape], &o->shape_h[o->n_shape]) != 2 ||
                o->shape_l[o->n_shape] < 1 || o->shape_h[o->n_shape] < 1)
                return false;
            o->n_shape++;
        } else if (strcmp(a, "-v") == 0) {
            int k = 0;
            while (k < N_CASES && strcmp(v, CASES[k]) != 0)
                k++;
            if (k == N_CASES)
                return false;
            o->view_on[k] = true;
            o->n_view++;
        } else if (strcmp(a, "-p") == 0) {
            o->save_dir = v;
        } else if (strcmp(a, "-m") == 0) {
            o->mask = strcmp(v, "causal") == 0 ? 1 : strcmp(v, "bidir") == 0 ? 2 : -1;
            if (o->mask < 0)
                return false;
        } else {
            return false;
        }
    }
    if (o->n_t == 0) {
        static const int T[] = {16, 128, 512};
        for (int i = 0; i < 3; i++)
            o->t[o->n_t++] = T[i];
    }
    if (o->n_shape == 0) {
        static const int SL[] = {2, 2, 12, 12}, SH[] = {4, 12, 4, 12};
        for (int i = 0; i < 4; i++) {
            o->shape_l[i] = SL[i];
            o->shape_h[i] = SH[i];
        }
        o->n_shape = 4;
    }
    if (o->n_view == 0)
        for (int k = 0; k < N_CASES; k++)
            o->view_on[k] = true;
    return true;
}

int main(int argc, char **argv) {
    options o;
    if (!parse(argc, argv, &o)) {
        usage();
        return 2;
    }
    ats_font *font;
    ats_error err;
    if (ats_font_open(NULL, &font, &err) != ATS_OK) {
        fprintf(stderr, "bench_render: %s\n", err.message);
        return 1;
    }
    uint8_t *pixels = malloc((size_t)CANVAS_W * CANVAS_H * 4);
    if (!pixels)
        return 1;
    ats_canvas canvas = ats_canvas_make(pixels, CANVAS_W, CANVAS_H, CANVAS_W * 4);
    printf("canvas %d x %d, median of %d runs, milliseconds\n", CANVAS_W, CANVAS_H, o.runs);
    printf("%4s %-7s %-6s %-13s %9s %9s %9s %9s %9s %8s\n", "T", "LxH", "mask", "case", "build",
           "raster", "total", "min", "cold", "items");
    int code = 0;
    for (int ti = 0; ti < o.n_t; ti++)
        for (int si = 0; si < o.n_shape; si++)
            for (int mask = 0; mask < 2; mask++) {
                if ((o.mask == 1 && mask == 1) || (o.mask == 2 && mask == 0))
                    continue;
                dataset ds;
                if (!dataset_make(&ds, o.shape_l[si], o.shape_h[si], o.t[ti], mask == 0)) {
                    fprintf(stderr, "bench_render: out of memory\n");
                    dataset_free(&ds);
                    code = 1;
                    continue;
                }
                for (int k = 0; k < N_CASES; k++)
                    if (o.view_on[k] && !run_case(&ds, k, o.runs, font, &canvas, o.save_dir))
                        code = 1;
                dataset_free(&ds);
            }
    free(pixels);
    ats_font_free(font);
    return code;
}
