#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("attnscope: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("attnscope: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_exit_for(ats_status status) {
    switch (status) {
    case ATS_OK:
        return EXIT_OK;
    case ATS_ERR_NOMEM:
    case ATS_ERR_CANCELLED:
        return EXIT_RUN_FAILED;
    default:
        return EXIT_BAD_INPUT;
    }
}

/* ---- options ------------------------------------------------------------------------------ */

typedef enum arg_kind { ARG_NONE, ARG_STRING, ARG_INT, ARG_DOUBLE } arg_kind;

typedef struct opt_spec {
    const char *name;
    unsigned group;
    arg_kind kind;
    size_t offset; /* into cli_opts */
} opt_spec;

#define FIELD(f) offsetof(cli_opts, f)
static const opt_spec SPECS[] = {
    {"--model", OPT_MODEL, ARG_STRING, FIELD(model)},
    {"--text", OPT_TEXT, ARG_STRING, FIELD(text)},
    {"--text-file", OPT_TEXT, ARG_STRING, FIELD(text_file)},
    {"--tokenizer", OPT_TOKENIZER, ARG_STRING, FIELD(tokenizer)},
    {"--causal", OPT_CAUSAL, ARG_NONE, FIELD(causal)},
    {"--json", OPT_JSON, ARG_NONE, FIELD(json)},
    {"--no-special", OPT_NO_SPECIAL, ARG_NONE, FIELD(no_special)},
    {"--format", OPT_FORMAT, ARG_STRING, FIELD(format)},
    {"--layer", OPT_LAYER_HEAD, ARG_INT, FIELD(layer)},
    {"--head", OPT_LAYER_HEAD, ARG_INT, FIELD(head)},
    {"--logits", OPT_LOGITS, ARG_NONE, FIELD(logits)},
    {"--hidden", OPT_HIDDEN, ARG_NONE, FIELD(hidden)},
    {"-o", OPT_OUTPUT, ARG_STRING, FIELD(output)},
    {"--output", OPT_OUTPUT, ARG_STRING, FIELD(output)},
    {"--token", OPT_TOKEN, ARG_INT, FIELD(token)},
    {"--view", OPT_VIEW, ARG_STRING, FIELD(view)},
    {"--scale", OPT_SCALE, ARG_DOUBLE, FIELD(scale)},
    {"--colormap", OPT_COLORMAP, ARG_STRING, FIELD(colormap)},
    {"--color-scale", OPT_COLOR_SCALE, ARG_STRING, FIELD(color_scale)},
    {"--font", OPT_FONT, ARG_STRING, FIELD(font)},
    {"--steps", OPT_STEPS, ARG_NONE, FIELD(steps)},
    {"--no-scaling", OPT_WHATIF, ARG_NONE, FIELD(no_scaling)},
    {"--causal-mask", OPT_WHATIF, ARG_STRING, FIELD(causal_mask)},
    {"--temperature", OPT_WHATIF | OPT_SAMPLING, ARG_DOUBLE, FIELD(temperature)},
    {"--step", OPT_STEP, ARG_INT, FIELD(step)},
    {"--export-dir", OPT_EXPORT_DIR, ARG_STRING, FIELD(export_dir)},
    {"--tokens", OPT_BENCH | OPT_SAMPLING, ARG_STRING, FIELD(tokens)},
    {"--repeat", OPT_BENCH, ARG_INT, FIELD(repeat)},
    {"--threads", OPT_BENCH, ARG_INT, FIELD(threads)},
    {"--target", OPT_TARGET, ARG_STRING, FIELD(target)},
    {"--max-new", OPT_TARGET, ARG_INT, FIELD(max_new)},
    {"--attention", OPT_ATTENTION, ARG_STRING, FIELD(attention)},
    {"--scores", OPT_SCORES, ARG_NONE, FIELD(scores)},
    {"--sort", OPT_SORT, ARG_STRING, FIELD(sort)},
    {"--aggregate", OPT_ANALYSIS, ARG_NONE, FIELD(aggregate)},
    {"--rollout", OPT_ANALYSIS, ARG_NONE, FIELD(rollout)},
    {"--value-weighted", OPT_ANALYSIS | OPT_VALUE_WEIGHTED, ARG_NONE, FIELD(value_weighted)},
    {"--combine", OPT_COMBINE, ARG_STRING, FIELD(combine)},
    {"--compare-model", OPT_COMPARE_MODEL, ARG_STRING, FIELD(compare_model)},
    {"--top-k", OPT_ANALYSIS, ARG_INT, FIELD(top_k)},
    {"--ablate", OPT_ABLATE, ARG_STRING, FIELD(ablate)},
    {"--top-p", OPT_SAMPLING, ARG_DOUBLE, FIELD(top_p)},
    {"--seed", OPT_SAMPLING, ARG_STRING, FIELD(seed)},
};

static bool parse_int(const char *s, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < -1000000000L || v > 1000000000L)
        return false;
    *out = (int)v;
    return true;
}

bool cli_parse(const char *cmd, int argc, char **argv, int first, unsigned allowed, cli_opts *o) {
    *o = (cli_opts){.layer = -1,
                    .head = -1,
                    .token = -1,
                    .step = -1,
                    .max_new = -1,
                    .top_k = CLI_UNSET,
                    .n_tokens = CLI_UNSET};
    /* messages say "dump: ..." for a subcommand and nothing extra for plain `attnscope` */
    bool top = strcmp(cmd, "attnscope") == 0;
    char who[64], help[64];
    snprintf(who, sizeof who, "%s%s", top ? "" : cmd, top ? "" : ": ");
    snprintf(help, sizeof help, "attnscope%s%s --help", top ? "" : " ", top ? "" : cmd);
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            o->help = true;
            continue;
        }
        /* --name=value or --name value */
        const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        const opt_spec *spec = NULL;
        for (size_t k = 0; k < sizeof SPECS / sizeof SPECS[0]; k++)
            if (strlen(SPECS[k].name) == name_len && strncmp(SPECS[k].name, arg, name_len) == 0)
                spec = &SPECS[k];
        if (!spec || !(spec->group & allowed)) {
            if (arg[0] == '-' && arg[1] != '\0')
                cli_error("%sunknown option '%.*s' (see '%s')", who, (int)name_len, arg, help);
            else
                cli_error("%sunexpected argument '%s' (see '%s')", who, arg, help);
            return false;
        }
        char *field = (char *)o + spec->offset;
        if (spec->kind == ARG_NONE) {
            if (eq) {
                cli_error("%soption %s takes no value", who, spec->name);
                return false;
            }
            *(bool *)field = true;
            continue;
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) {
            cli_error("%soption %s needs a value", who, spec->name);
            return false;
        }
        if (spec->kind == ARG_STRING) {
            *(const char **)field = value;
        } else if (spec->kind == ARG_INT) {
            if (!parse_int(value, (int *)field)) {
                cli_error("%s%s needs a whole number, got '%s'", who, spec->name, value);
                return false;
            }
        } else {
            char *end;
            double v = strtod(value, &end);
            if (end == value || *end || !(v > 0 && v <= 16)) {
                cli_error("%s%s needs a number between 0 and 16, got '%s'", who, spec->name, value);
                return false;
            }
            *(double *)field = v;
        }
    }
    if (o->text && o->text_file) {
        cli_error("%sgive either --text or --text-file, not both", who);
        return false;
    }
    if (o->max_new < -1 || o->max_new > 4096) {
        cli_error("%s--max-new takes 0 to 4096 tokens, got %d", who, o->max_new);
        return false;
    }
    if (!o->model)
        o->model = "builtin:demo";
    return true;
}

bool cli_whatif_given(const cli_opts *o) {
    return o->no_scaling || o->causal_mask || o->temperature > 0;
}

bool cli_step_opts(const char *cmd, const cli_opts *o, ats_step_opts *out) {
    *out = ats_step_opts_default();
    out->scale = !o->no_scaling;
    if (o->causal_mask) {
        if (strcmp(o->causal_mask, "on") == 0) {
            out->causal = 1;
        } else if (strcmp(o->causal_mask, "off") == 0) {
            out->causal = 0;
        } else {
            cli_error("%s: --causal-mask takes on or off, got '%s'", cmd, o->causal_mask);
            return false;
        }
    }
    if (o->temperature > 0)
        out->temperature = (float)o->temperature;
    return true;
}

bool cli_check_layer_head(const cli_opts *o, const ats_model *model) {
    const ats_model_config *c = ats_model_get_config(model);
    const ats_model_config *dec = ats_model_get_decoder_config(model);
    int layers = dec && dec->n_layer > c->n_layer ? dec->n_layer : c->n_layer;
    if (o->layer < -1 || o->layer >= layers) {
        cli_error("--layer %d is out of range: the model has %d layers (0 to %d)%s", o->layer,
                  layers, layers - 1, dec ? " in its larger stack" : "");
        return false;
    }
    if (o->head < -1 || o->head >= c->n_head) {
        cli_error("--head %d is out of range: the model has %d heads (0 to %d)", o->head, c->n_head,
                  c->n_head - 1);
        return false;
    }
    return true;
}

bool cli_attention_kind(const char *cmd, const cli_opts *o, const ats_model *model,
                        ats_attn_kind *out) {
    *out = ATS_ATTN_ENCODER;
    if (!o->attention)
        return true;
    if (!ats_attn_kind_from_name(o->attention, out)) {
        cli_error("%s: --attention takes encoder, decoder or cross, got '%s'", cmd, o->attention);
        return false;
    }
    if (*out != ATS_ATTN_ENCODER && !ats_model_get_decoder_config(model)) {
        cli_error("%s: --attention %s needs an encoder-decoder model (T5)", cmd, o->attention);
        return false;
    }
    return true;
}

/* One "L:H" of --ablate at *p (advanced past it); false when malformed. */
static bool parse_head_ref(const char **p, ats_head_ref *out) {
    char *end;
    errno = 0;
    long l = strtol(*p, &end, 10);
    if (end == *p || *end != ':' || errno || l < 0 || l > INT_MAX)
        return false;
    const char *h_at = end + 1;
    long h = strtol(h_at, &end, 10);
    if (end == h_at || (*end != ',' && *end != '\0') || errno || h < 0 || h > INT_MAX ||
        !(h_at[0] >= '0' && h_at[0] <= '9') || !((*p)[0] >= '0' && (*p)[0] <= '9'))
        return false;
    *out = (ats_head_ref){(int)l, (int)h};
    *p = *end ? end + 1 : end;
    return true;
}

bool cli_ablation(const char *cmd, const cli_opts *o, const ats_model *model, ats_head_ref **out,
                  int *n) {
    *out = NULL;
    *n = 0;
    if (!o->ablate)
        return true;
    const ats_model_config *c = ats_model_get_config(model);
    if (ats_model_get_decoder_config(model)) {
        cli_error("%s: --ablate is not available for encoder-decoder models (T5)", cmd);
        return false;
    }
    size_t cap = strlen(o->ablate) / 2 + 1; /* each "L:H" takes at least 3 of the characters */
    ats_head_ref *refs = malloc(cap * sizeof *refs);
    if (!refs) {
        cli_error("out of memory");
        return false;
    }
    const char *p = o->ablate;
    while (*p) {
        ats_head_ref r;
        if (!parse_head_ref(&p, &r) || (size_t)*n >= cap || (*p == '\0' && p[-1] == ',')) {
            cli_error("%s: --ablate takes LAYER:HEAD[,LAYER:HEAD...] counting from 0, got '%s'",
                      cmd, o->ablate);
            free(refs);
            return false;
        }
        if (r.layer >= c->n_layer || r.head >= c->n_head) {
            cli_error("%s: --ablate %d:%d is out of range: the model has %d layers (0 to %d) of %d "
                      "heads (0 to %d)",
                      cmd, r.layer, r.head, c->n_layer, c->n_layer - 1, c->n_head, c->n_head - 1);
            free(refs);
            return false;
        }
        refs[(*n)++] = r;
    }
    if (*n == 0) {
        cli_error("%s: --ablate needs at least one LAYER:HEAD", cmd);
        free(refs);
        return false;
    }
    *out = refs;
    return true;
}

ats_status cli_run(const cli_opts *o, const ats_model *model, const char *text, size_t len,
                   const ats_run_opts *ro, ats_run **out, ats_error *err) {
    if (!ats_model_get_decoder_config(model))
        return ats_run_text(model, text, len, ro, out, err);
    ats_run_opts r = *ro;
    if (o->max_new >= 0)
        r.max_new = o->max_new;
    return ats_run_seq2seq(model, text, len, o->target, o->target ? strlen(o->target) : 0, &r, out,
                           err);
}

ats_model *cli_load_model(const cli_opts *o, int *exit_code) {
    ats_load_opts lo = ats_load_opts_default();
    lo.tokenizer_path = o->tokenizer;
    if (o->causal)
        lo.causal = 1;
    ats_model *model = NULL;
    ats_error err;
    ats_status s = ats_model_load(o->model, &lo, &model, &err);
    if (s != ATS_OK) {
        cli_error("%s", err.message);
        *exit_code = cli_exit_for(s);
        return NULL;
    }
    return model;
}

/* ---- input texts -------------------------------------------------------------------------- */

static bool push_text(cli_texts *t, const char *s, size_t len) {
    char **items = realloc(t->items, (size_t)(t->n + 1) * sizeof *items);
    size_t *lens = items ? realloc(t->lens, (size_t)(t->n + 1) * sizeof *lens) : NULL;
    if (items)
        t->items = items;
    if (!lens)
        return false;
    t->lens = lens;
    char *copy = malloc(len + 1);
    if (!copy)
        return false;
    memcpy(copy, s, len);
    copy[len] = '\0';
    t->items[t->n] = copy;
    t->lens[t->n++] = len;
    return true;
}

/* Splits buf into one text per line; a final newline does not start another text, and
 * "\r\n" ends a line like "\n". */
static bool split_lines(cli_texts *t, const char *buf, size_t len) {
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(buf + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t line_end = end > start && buf[end - 1] == '\r' ? end - 1 : end;
        if (!push_text(t, buf + start, line_end - start))
            return false;
        start = end + 1;
    }
    return true;
}

bool cli_read_texts(const cli_opts *o, cli_texts *out, int *exit_code) {
    *out = (cli_texts){0};
    *exit_code = EXIT_BAD_INPUT;
    char *buf = NULL;
    size_t len = 0;
    bool ok;
    if (o->text && strcmp(o->text, "-") != 0) {
        ok = push_text(out, o->text, strlen(o->text));
    } else if (o->text) { /* "-": standard input, exactly as given */
        int e = ats_read_stream(stdin, &buf, &len);
        if (e) {
            cli_error("cannot read the text from standard input: %s", strerror(e));
            return false;
        }
        ok = push_text(out, buf, len);
    } else if (o->text_file) {
        FILE *f = fopen(o->text_file, "rb");
        if (!f) {
            cli_error("%s: cannot open: %s", o->text_file, strerror(errno));
            return false;
        }
        int e = ats_read_stream(f, &buf, &len);
        fclose(f);
        if (e) {
            cli_error("%s: cannot read: %s", o->text_file, strerror(e));
            return false;
        }
        ok = split_lines(out, buf, len);
        if (ok && out->n == 0) {
            free(buf);
            cli_error("%s: the file holds no lines of text", o->text_file);
            return false;
        }
    } else {
        cli_error("no text given (use --text T, --text - for standard input, or --text-file F)");
        return false;
    }
    free(buf);
    if (!ok) {
        cli_texts_free(out);
        cli_error("out of memory reading the text");
        *exit_code = EXIT_RUN_FAILED;
        return false;
    }
    *exit_code = EXIT_OK;
    return true;
}

void cli_texts_free(cli_texts *t) {
    for (int i = 0; i < t->n; i++)
        free(t->items[i]);
    free(t->items);
    free(t->lens);
    *t = (cli_texts){0};
}

/* ---- output files --------------------------------------------------------------------------- */

bool cli_output_open(ats_outfile *out, const char *path, int *exit_code) {
    ats_error err;
    ats_status s = ats_outfile_open(out, path ? path : "-", &err);
    if (s != ATS_OK) {
        cli_error("%s", err.message);
        *exit_code = s == ATS_ERR_NOMEM ? EXIT_RUN_FAILED : EXIT_BAD_INPUT;
        return false;
    }
    return true;
}

bool cli_output_commit(ats_outfile *out, int *exit_code) {
    ats_error err;
    if (ats_outfile_commit(out, &err) != ATS_OK) {
        cli_error("%s", err.message);
        *exit_code = EXIT_RUN_FAILED;
        return false;
    }
    return true;
}
