/* `attnscope export`: a view drawn off screen, through the same code the window draws with, and
 * written as PNG or SVG. Needs no display: SDL's video is never started. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *USAGE =
    "usage: attnscope export [--model M] (--text T | --text - | --text-file F)\n"
    "                        --view heatmap|lines|grid|pipeline|aggregate [--layer L]\n"
    "                        [--head H] [--combine mean|max|all|rollout] [--value-weighted]\n"
    "                        [--ablate L:H[,L:H...]]\n"
    "                        [--token I] [--format png|svg] [--scale S] [--colormap NAME]\n"
    "                        [--color-scale fixed|auto|minmax|row|exclude-first]\n"
    "                        [--font FILE] [--no-special] -o FILE\n"
    "       pipeline only:   [--step N] [--no-scaling] [--causal-mask on|off] [--temperature X]\n"
    "\n"
    "Draws a view of the attention exactly as the window shows it and writes it as PNG or SVG.\n"
    "No display is needed.\n"
    "\n"
    "  --view V        heatmap:  one head, queries as rows and keys as columns (default)\n"
    "                  lines:    one layer, a line from each query to each key, heads overlaid\n"
    "                  grid:     a thumbnail of every layer and head\n"
    "                  pipeline: one head's attention formula for one query token, step by\n"
    "                            step with the model's numbers (q, k, v, q.k, the scaling, the\n"
    "                            softmax, the weighted sum of the values, then every head\n"
    "                            concatenated and projected)\n"
    "                  aggregate: the heads taken together (--combine) as one heatmap, with\n"
    "                            the attention each token receives as bars and as coloured text\n"
    "  --combine C     aggregate view: mean (default) or max over the layer's heads, all (the\n"
    "                  mean over every layer and head), or rollout (through the layer)\n"
    "  --value-weighted  heatmap, lines, grid: A_ij * ||v_j W_O^h|| instead of the weights (the\n"
    "                  lines view divides each layer by its largest value)\n"
    "  --ablate L:H,.. draw the model with those heads switched off (marked in the image)\n"
    "  --layer L       the layer (default 0); grid: the one outlined\n"
    "  --head H        the head (default 0); lines: show only head H (default: every head)\n"
    "  --token I       lock token I (counting from 0): lines shows only its lines, heatmap\n"
    "                  outlines its row; pipeline: the query token (default: the last one)\n"
    "  --step N        pipeline: highlight step N (1-7) and dim the others; 0: none (default)\n"
    "  --no-scaling    pipeline what-if: leave out the division by sqrt(d_k)\n"
    "  --causal-mask on|off\n"
    "                  pipeline what-if: mask the keys after the query, or none of them\n"
    "  --temperature X pipeline what-if: softmax(scores / X) (default 1)\n"
    "                  (what-ifs change only the drawn head's numbers, never the model, and the\n"
    "                  image says so)\n"
    "  --format F      png or svg (default: svg for a name ending in .svg, else png)\n";

/* The rest of the usage (one literal may hold at most 4095 characters in C99). */
static const char *USAGE_MORE =
    "  --scale S       PNG: re-draw S times larger (2 or 3 for print); SVG: S times the size\n"
    "  --colormap C    viridis (default), magma, cividis, greys, coolwarm\n"
    "  --color-scale S fixed (default): colours span weights 0 to 1, alike in every head, as\n"
    "                  papers show them; auto: 0 to the largest weight shown (in the grid each\n"
    "                  head its own), so a head whose weights are all near 1/T is not one flat\n"
    "                  colour; minmax: the smallest to the largest weight shown; row: each\n"
    "                  query row 0 to its own largest weight; exclude-first: 0 to the largest\n"
    "                  weight off the first row and column (which often take most of it).\n"
    "                  The colour bar and the file's metadata give the range; the lines view\n"
    "                  colours one head's lines this way (several heads: a colour each).\n"
    "  --font FILE     a TrueType or OpenType font instead of DejaVu Sans\n"
    "  --no-special    do not add the special tokens the model adds by default\n"
    "  --text-file F   one text per line; -o then names a folder (created if missing) that\n"
    "                  gets attnscope-<view>-L<layer>H<head>-<line>.<ext> per non-blank line\n"
    "  -o FILE         the file to write (atomically), or - for standard output\n"
    "\n"
    "Encoder-decoder models (T5): TEXT is the source; the decoder reads --target TGT, or greedy\n"
    "tokens (--max-new N, default 20).\n"
    "  --attention K   encoder (default), decoder or cross: which attention the view draws\n"
    "                  (cross: the decoder's tokens as queries, the encoder's as keys; in\n"
    "                  the pipeline view --token is a decoder token)\n";

typedef enum format { FORMAT_PNG, FORMAT_SVG } format;

typedef struct export_job {
    const cli_opts *o;
    ats_view_kind view;
    ats_aggregate combine; /* --combine */
    ats_head_ref *ablate;  /* --ablate (n_ablate) */
    int n_ablate;
    ats_attn_kind kind;      /* --attention */
    ats_step_opts step_opts; /* pipeline: the what-if switches */
    ats_colormap colormap;
    ats_color_scale color_scale;
    format fmt;
    float scale;
    ats_model *model;
    ats_font *font;
    ats_view *built;
    cli_texts texts;
} export_job;

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Checks the options that need no model; prints and returns false on a bad one. */
static bool check_options(export_job *job) {
    const cli_opts *o = job->o;
    job->view = ATS_VIEW_HEATMAP;
    if (o->view && !ats_view_kind_from_name(o->view, &job->view)) {
        cli_error("export: unknown view '%s' (heatmap, lines, grid, pipeline or aggregate)",
                  o->view);
        return false;
    }
    job->combine = ATS_AGGREGATE_MEAN;
    if (o->combine && !ats_aggregate_from_name(o->combine, &job->combine)) {
        cli_error("export: unknown --combine '%s' (mean, max, all or rollout)", o->combine);
        return false;
    }
    if (o->combine && job->view != ATS_VIEW_AGGREGATE) {
        cli_error("export: --combine goes with --view aggregate");
        return false;
    }
    if (o->value_weighted && job->view != ATS_VIEW_HEATMAP && job->view != ATS_VIEW_LINES &&
        job->view != ATS_VIEW_GRID) {
        cli_error("export: --value-weighted goes with --view heatmap, lines or grid");
        return false;
    }
    if (job->view != ATS_VIEW_PIPELINE && (cli_whatif_given(o) || o->step >= 0)) {
        cli_error("export: --step, --no-scaling, --causal-mask and --temperature go with "
                  "--view pipeline");
        return false;
    }
    if (o->step > ATS_PIPELINE_STEPS || o->step < -1) {
        cli_error("export: --step %d is out of range (1 to %d, or 0 for none)", o->step,
                  ATS_PIPELINE_STEPS);
        return false;
    }
    if (!cli_step_opts("export", o, &job->step_opts))
        return false;
    job->colormap = ATS_COLORMAP_VIRIDIS;
    if (o->colormap && !ats_colormap_from_name(o->colormap, &job->colormap)) {
        cli_error("export: unknown colormap '%s' (viridis, magma, cividis, greys, coolwarm)",
                  o->colormap);
        return false;
    }
    job->color_scale = ATS_COLOR_SCALE_FIXED;
    if (o->color_scale && !ats_color_scale_from_name(o->color_scale, &job->color_scale)) {
        cli_error("export: unknown --color-scale '%s' (fixed, auto, minmax, row or exclude-first)",
                  o->color_scale);
        return false;
    }
    if (!o->output) {
        cli_error("export: -o FILE is required (the file to write%s)",
                  o->text_file ? "; with --text-file, a folder" : "");
        return false;
    }
    if (o->format && strcmp(o->format, "png") != 0 && strcmp(o->format, "svg") != 0) {
        cli_error("export: unknown format '%s' (png or svg)", o->format);
        return false;
    }
    job->fmt = (o->format ? strcmp(o->format, "svg") == 0 : ends_with(o->output, ".svg"))
                   ? FORMAT_SVG
                   : FORMAT_PNG;
    if (o->token < -1) {
        cli_error("--token %d is out of range: tokens count from 0", o->token);
        return false;
    }
    job->scale = o->scale > 0 ? (float)o->scale : 1.0f;
    if (job->fmt == FORMAT_PNG && strcmp(o->output, "-") == 0 && isatty(1)) {
        cli_error("export: PNG is binary; give -o FILE or redirect standard output");
        return false;
    }
    if (o->text_file && strcmp(o->output, "-") == 0) {
        cli_error("export: with --text-file, -o names a folder");
        return false;
    }
    return true;
}

/* The folder for --text-file output, created when missing. */
static bool make_folder(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return true;
    if (mkdir(path, 0777) == 0)
        return true;
    cli_error("%s: cannot create the output folder: %s", path, strerror(errno));
    return false;
}

/* `token`: the locked token (the pipeline's query token), or -1. */
static ats_view_state make_state(const export_job *job, const ats_model_config *c, int token) {
    const cli_opts *o = job->o;
    ats_view_state st = ats_view_state_default();
    st.view = job->view;
    st.colormap = job->colormap;
    st.color_scale = job->color_scale;
    st.layer = o->layer >= 0 ? o->layer : 0;
    st.head = o->head >= 0 ? o->head : 0;
    st.locked_token = token;
    st.locked_side = ATS_SIDE_QUERY;
    st.step = o->step > 0 ? o->step : 0;
    st.aggregate = job->combine;
    if (job->view == ATS_VIEW_LINES && o->head >= 0)
        for (int h = 0; h < c->n_head; h++)
            ats_view_state_set_head_visible(&st, h, h == o->head);
    return st;
}

/* attnscope-heatmap-L3H5-007.png and the like, in folder `dir`. */
static char *numbered_name(const export_job *job, const char *dir, int line, int width) {
    const cli_opts *o = job->o;
    char what[48] = "";
    int layer = o->layer >= 0 ? o->layer : 0, head = o->head >= 0 ? o->head : 0;
    if (job->view == ATS_VIEW_HEATMAP || job->view == ATS_VIEW_PIPELINE)
        snprintf(what, sizeof what, "-L%dH%d", layer, head);
    else if (job->view == ATS_VIEW_LINES && o->head >= 0)
        snprintf(what, sizeof what, "-L%dH%d", layer, head);
    else if (job->view == ATS_VIEW_LINES)
        snprintf(what, sizeof what, "-L%d", layer);
    char number[16];
    snprintf(number, sizeof number, "%0*d", width < 10 ? width : 10, line);
    size_t n = strlen(dir) + 96;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s/attnscope-%s%s-%s.%s", dir, ats_view_kind_name(job->view), what,
                 number, job->fmt == FORMAT_SVG ? "svg" : "png");
    return path;
}

/* Writes the built view to `path` ("-": standard output), trimmed to what it draws. */
static ats_status write_view(const export_job *job, const ats_meta *meta, const char *path,
                             ats_error *err) {
    ats_dl *dl; /* the figure with a margin, without blank bands */
    if (ats_dl_trimmed(ats_view_display_list(job->built), job->font, 16.0f, &dl) != ATS_OK)
        return ats_fail(err, ATS_ERR_NOMEM, "%s: out of memory", path);
    ats_status s = job->fmt == FORMAT_SVG
                       ? ats_export_svg(dl, job->font, job->scale, meta, path, err)
                       : ats_export_png(dl, job->font, job->scale, meta, path, err);
    ats_dl_free(dl);
    return s;
}

/* --attention, --target and --max-new against the model; prints and returns false when they do
 * not fit. */
static bool check_kind(export_job *job) {
    const cli_opts *o = job->o;
    const ats_model_config *dc = ats_model_get_decoder_config(job->model);
    if (!cli_attention_kind("export", o, job->model, &job->kind))
        return false;
    if (!dc && (o->target || o->max_new >= 0)) {
        cli_error("export: --target and --max-new need an encoder-decoder model (T5)");
        return false;
    }
    int layers =
        job->kind == ATS_ATTN_ENCODER ? ats_model_get_config(job->model)->n_layer : dc->n_layer;
    if (o->layer >= layers) {
        cli_error("export: the %s attention has %d layers; --layer %d is not one of them",
                  ats_attn_kind_name(job->kind), layers, o->layer);
        return false;
    }
    if ((job->kind == ATS_ATTN_CROSS && job->view == ATS_VIEW_AGGREGATE) ||
        (dc && o->value_weighted)) {
        cli_error("export: %s", o->value_weighted
                                    ? "--value-weighted is for one-stack models, not T5"
                                    : "the aggregate view draws a stack's self-attention "
                                      "(--attention encoder or decoder)");
        return false;
    }
    if (!cli_ablation("export", o, job->model, &job->ablate, &job->n_ablate))
        return false;
    return true;
}

/* The analysis a view of `run` draws: value-weighted attention in place of the weights, or the
 * aggregate view's matrix and column sums; *extra (malloc'd) holds them. */
static ats_status analysis_data(const export_job *job, const ats_run *run, ats_view_data *d,
                                float **extra, ats_error *err) {
    const ats_model_config *c = ats_run_get_config(run);
    size_t T = (size_t)ats_run_n_tokens(run), LH = (size_t)c->n_layer * c->n_head;
    *extra = NULL;
    if (job->o->value_weighted) {
        float *norms = malloc(LH * T * sizeof *norms);
        *extra = malloc(LH * T * T * sizeof **extra);
        ats_status s = norms && *extra ? ats_run_value_norms(job->model, run, norms, err)
                                       : ats_fail(err, ATS_ERR_NOMEM, "out of memory");
        if (s == ATS_OK)
            s = ats_run_value_weighted_all(run, norms, job->view == ATS_VIEW_LINES, *extra, err);
        if (s == ATS_OK) {
            d->attention = *extra;
            d->measure = job->view == ATS_VIEW_LINES ? "value-weighted (\xC3\xB7 layer max)"
                                                     : "value-weighted";
        }
        free(norms);
        return s;
    }
    if (job->view != ATS_VIEW_AGGREGATE)
        return ATS_OK;
    int layer = job->o->layer >= 0 ? job->o->layer : 0;
    float *rollout = NULL;
    *extra = malloc((T * T + T) * sizeof **extra);
    ats_status s = *extra ? ATS_OK : ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    if (s == ATS_OK && job->combine == ATS_AGGREGATE_ROLLOUT) {
        rollout = malloc((size_t)c->n_layer * T * T * sizeof *rollout);
        s = rollout ? ats_run_rollout(run, rollout, err)
                    : ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    if (s == ATS_OK)
        s = ats_run_aggregate_make(run, job->combine, layer, rollout, *extra, *extra + T * T, err);
    d->aggregate = *extra;
    d->received = *extra + T * T;
    free(rollout);
    return s;
}

/* Runs text i and writes its image; returns an exit code. */
static int export_one(export_job *job, int i, const char *path) {
    const cli_opts *o = job->o;
    char at[32] = "";
    if (o->text_file)
        snprintf(at, sizeof at, "line %d: ", i + 1);
    ats_run_opts ro = ats_run_opts_default();
    ro.add_special = !o->no_special;
    int layer = o->layer >= 0 ? o->layer : 0, head = o->head >= 0 ? o->head : 0;
    if (job->view == ATS_VIEW_PIPELINE)
        ro.detail_layer = layer; /* keep q, k, v, scores and head outputs of the drawn layer */
    ro.keep_cache = o->value_weighted; /* every layer's values */
    ro.ablate = job->ablate;
    ro.n_ablate = job->n_ablate;
    bool every_layer = job->view == ATS_VIEW_GRID || o->value_weighted ||
                       (job->view == ATS_VIEW_AGGREGATE && (job->combine == ATS_AGGREGATE_ROLLOUT ||
                                                            job->combine == ATS_AGGREGATE_ALL));
    if (!every_layer) /* one layer is drawn: a large model keeps only it */
        ro.attention_layer = layer;
    ats_run *run;
    ats_error err;
    ats_status s = cli_run(o, job->model, job->texts.items[i], job->texts.lens[i], &ro, &run, &err);
    if (s != ATS_OK) {
        cli_error("%s%s", at, err.message);
        return cli_exit_for(s);
    }
    const ats_run *qrun = ats_run_of_kind(run, job->kind); /* its tokens are the queries */
    int T = ats_run_n_tokens(qrun);
    if (ats_run_dropped_tokens(qrun) > 0)
        cli_warn("%sthe text has %d tokens but the model's context is %d: only the first %d are "
                 "drawn",
                 at, T + ats_run_dropped_tokens(qrun), ats_model_get_config(job->model)->context,
                 T);
    if (o->token >= T) {
        cli_error("%s--token %d is out of range: the text has %d tokens (0 to %d)", at, o->token, T,
                  T - 1);
        ats_run_free(run);
        return EXIT_BAD_INPUT;
    }
    ats_run_view vd;
    if (ats_run_view_make_kind(&vd, job->model, run, job->kind, job->texts.items[i], NULL) !=
        ATS_OK) {
        ats_run_free(run);
        cli_error("out of memory");
        return EXIT_RUN_FAILED;
    }
    char title[320]; /* T5: which attention, in the title and the file's metadata */
    if (ats_model_get_decoder_config(job->model)) {
        static const char *const KINDS[] = {"encoder self-attention", "decoder self-attention",
                                            "cross-attention"};
        snprintf(title, sizeof title, "%s \xC2\xB7 %s", vd.data.model_name, KINDS[job->kind]);
        vd.data.model_name = title;
    }
    float *extra = NULL; /* value-weighted attention, or the aggregate with its column sums */
    if (s == ATS_OK)
        s = analysis_data(job, qrun, &vd.data, &extra, &err);
    if (s != ATS_OK) {
        cli_error("%s%s", at, err.message);
        ats_run_view_free(&vd);
        ats_run_free(run);
        return cli_exit_for(s);
    }
    int token = o->token;
    ats_run_pipeline pipe = {0};
    if (job->view == ATS_VIEW_PIPELINE) {
        if (token < 0)
            token = T - 1; /* the last token: the one a language model predicts from */
        s = ats_run_pipeline_make_kind(&pipe, job->model, run, job->kind, layer, head, token,
                                       &job->step_opts, &err);
        if (s != ATS_OK) {
            cli_error("%s%s", at, err.message);
            ats_run_view_free(&vd);
            ats_run_free(run);
            return cli_exit_for(s);
        }
        vd.data.pipeline = &pipe.data;
    }
    ats_view_state st = make_state(job, ats_run_get_config(qrun), token);
    float w, h;
    ats_view_natural_size(&st, &vd.data, job->font, &w, &h);
    s = ats_view_build(job->built, &st, &vd.data, job->font, w, h, &err);
    if (s == ATS_OK) {
        ats_meta meta;
        ats_meta_for_view(&meta, &st, &vd.data);
        s = write_view(job, &meta, path, &err);
    }
    if (s != ATS_OK)
        cli_error("%s%s", at, err.message);
    ats_run_pipeline_free(&pipe);
    ats_run_view_free(&vd);
    free(extra);
    ats_run_free(run);
    return s == ATS_OK ? EXIT_OK : s == ATS_ERR_NOMEM ? EXIT_RUN_FAILED : EXIT_BAD_INPUT;
}

static int export_all(export_job *job) {
    const cli_opts *o = job->o;
    if (!o->text_file)
        return export_one(job, 0, o->output);
    if (!make_folder(o->output))
        return EXIT_BAD_INPUT;
    int width = 3;
    for (int n = job->texts.n; n >= 1000; n /= 10)
        width++;
    int code = EXIT_OK;
    for (int i = 0; i < job->texts.n && code == EXIT_OK; i++) {
        if (job->texts.lens[i] == 0)
            continue; /* blank line: no image, numbers stay line numbers */
        char *path = numbered_name(job, o->output, i + 1, width);
        if (!path) {
            cli_error("out of memory");
            return EXIT_RUN_FAILED;
        }
        code = export_one(job, i, path);
        free(path);
    }
    return code;
}

int cmd_export(int argc, char **argv) {
    cli_opts o;
    unsigned allowed = OPT_MODEL | OPT_TEXT | OPT_TOKENIZER | OPT_CAUSAL | OPT_NO_SPECIAL |
                       OPT_FORMAT | OPT_LAYER_HEAD | OPT_OUTPUT | OPT_TOKEN | OPT_VIEW | OPT_SCALE |
                       OPT_COLORMAP | OPT_FONT | OPT_WHATIF | OPT_STEP | OPT_COLOR_SCALE |
                       OPT_TARGET | OPT_ATTENTION | OPT_VALUE_WEIGHTED | OPT_COMBINE | OPT_ABLATE;
    if (!cli_parse("export", argc, argv, 2, allowed, &o))
        return EXIT_BAD_INPUT;
    if (o.help) {
        fputs(USAGE, stdout);
        fputs(USAGE_MORE, stdout);
        return EXIT_OK;
    }
    export_job job = {.o = &o};
    if (!check_options(&job))
        return EXIT_BAD_INPUT;
    int code = EXIT_OK;
    if (!cli_read_texts(&o, &job.texts, &code))
        return code;
    job.model = cli_load_model(&o, &code);
    if (job.model && (!cli_check_layer_head(&o, job.model) || !check_kind(&job)))
        code = EXIT_BAD_INPUT;
    ats_error err;
    if (code == EXIT_OK) {
        ats_status s = ats_font_open(o.font, &job.font, &err);
        if (s == ATS_OK)
            s = ats_view_new(&job.built);
        if (s != ATS_OK) {
            cli_error("%s", s == ATS_ERR_NOMEM ? "out of memory" : err.message);
            code = cli_exit_for(s);
        }
    }
    if (code == EXIT_OK)
        code = export_all(&job);
    ats_view_free(job.built);
    ats_font_free(job.font);
    free(job.ablate);
    ats_model_free(job.model);
    cli_texts_free(&job.texts);
    return code;
}
