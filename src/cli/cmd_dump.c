#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *USAGE =
    "usage: attnscope dump [--model M] (--text T | --text - | --text-file F)\n"
    "                      [--format json|npy|csv] [--layer L] [--head H]\n"
    "                      [--logits] [--hidden] [--no-special] [-o FILE]\n"
    "                      [--steps --layer L --head H --token I [--no-scaling]\n"
    "                       [--causal-mask on|off] [--temperature X]]\n"
    "                      [--aggregate] [--rollout] [--top-k K] [--value-weighted]\n"
    "                      [--ablate L:H[,L:H...]]\n"
    "\n"
    "Runs the model and writes every head's attention (after the softmax; rows sum to 1).\n"
    "\n"
    "  --format json   (default) {model, text, tokens, layers, heads, "
    "attentions[layer][head][query][key]}\n"
    "  --format npy    float32 array (L, H, T, T) of the selected layers and heads\n"
    "  --format csv    one head's (T, T) matrix, token pieces as header row and first column\n"
    "                  (layer and head default to 0)\n"
    "  --layer L       only layer L (counting from 0)\n"
    "  --head H        only head H (counting from 0)\n"
    "  --logits        JSON: add logits_last, the last position's logits\n"
    "  --hidden        JSON: add hidden_last_layer, the final hidden states [token][d_model]\n"
    "  --steps         JSON: add \"steps\", the attention formula for one head and query token\n"
    "                  (needs --layer, --head and --token I): q, k, v, scores (q.k), scaled\n"
    "                  (divided by sqrt(d_k)), weights (the softmax, equal to the attention row)\n"
    "                  and output (the weighted sum of the values)\n"
    "  --token I       the query token of --steps (counting from 0)\n"
    "  --no-scaling, --causal-mask on|off, --temperature X\n"
    "                  --steps what-ifs: leave out the division by sqrt(d_k), mask the keys\n"
    "                  after the query or none, softmax(scaled / X); the model is unchanged\n"
    "  --no-special    do not add the special tokens the model adds by default\n"
    "\n"
    "Analysis (JSON only):\n"
    "  --aggregate     add head_mean and head_max [layer][query][key]: the mean and the\n"
    "                  maximum over every head of each selected layer\n"
    "  --rollout       add rollout [layer][query][key] over every layer: A^ = 0.5 head_mean\n"
    "                  + 0.5 I with rows renormalized, R_0 = A^_0, R_l = A^_l R_(l-1)\n"
    "  --top-k K       add top_k [{id, piece, prob}]: the K most probable next tokens after the\n"
    "                  last position (softmax of its logits), most probable first. On an encoder\n"
    "                  with its masked-LM head (BERT, RoBERTa, DistilBERT ...ForMaskedLM)\n"
    "                  instead masked [{position, top_k}]: the K most probable tokens at each\n"
    "                  mask token ([MASK], <mask>) of the text\n"
    "  --value-weighted  add value_weighted [layer][head][query][key] = A_ij ||v_j W_O^h||\n"
    "                  (the norm of what key j adds through the head, bias left out)\n"
    "  --ablate L:H,.. zero those heads' outputs (their slice before the output projection):\n"
    "                  everything dumped is the model without them; JSON adds \"ablated\"\n"
    "  On T5, --aggregate and --rollout are of the encoder's self-attention and --top-k is the\n"
    "  next target token; --value-weighted and --ablate are not available.\n"
    "\n"
    "Encoder-decoder models (T5): TEXT is the encoder's input; the decoder reads its start token\n"
    "then the tokens of --target, or without --target the greedy tokens it generates.\n"
    "  --target TGT    the decoder's text; JSON adds decoder_tokens, decoder_attentions\n"
    "                  [L_dec][H][Td][Td] and cross_attentions [L_dec][H][Td][Te] to tokens and\n"
    "                  attentions (the encoder's), and logits_last is the last decoder position's\n"
    "  --max-new N     without --target: generate up to N tokens (default 20), stopping at </s>\n"
    "  --attention K   encoder, decoder or cross: the kind NPY and CSV write (and --steps reads);\n"
    "                  without it NPY is an NPZ archive of attentions.npy, decoder_attentions.npy\n"
    "                  and cross_attentions.npy, and CSV the encoder's head\n"
    "                  --layer and --head pick in each stack that has them\n"
    "  --text-file F   one text per line; JSON output is then one object per line\n"
    "  -o FILE         write to FILE (atomically) instead of standard output\n";

typedef enum dump_format { FORMAT_JSON, FORMAT_NPY, FORMAT_CSV } dump_format;

static ats_dump_selection select_heads(const cli_opts *o, const ats_model_config *c) {
    ats_dump_selection s = {0, c->n_layer, 0, c->n_head};
    if (o->layer >= 0)
        s = (ats_dump_selection){o->layer, 1, s.head0, s.n_heads};
    if (o->head >= 0) {
        s.head0 = o->head;
        s.n_heads = 1;
    }
    return s;
}

static bool parse_format(const char *name, dump_format *out) {
    if (!name || strcmp(name, "json") == 0)
        *out = FORMAT_JSON;
    else if (strcmp(name, "npy") == 0)
        *out = FORMAT_NPY;
    else if (strcmp(name, "csv") == 0)
        *out = FORMAT_CSV;
    else
        return false;
    return true;
}

/* An encoder-decoder model: the selection in one stack (no layers when it lacks --layer). */
static ats_dump_selection select_stack(const cli_opts *o, const ats_model_config *c) {
    ats_dump_selection s =
        select_heads(o, &(ats_model_config){.n_layer = c->n_layer, .n_head = c->n_head});
    if (o->layer >= c->n_layer)
        s.n_layers = 0;
    return s;
}

typedef struct dump_job {
    const cli_opts *o;
    ats_dump_extras extras; /* --aggregate, --rollout, --top-k, --value-weighted */
    ats_head_ref *ablate;   /* --ablate (n_ablate) */
    int n_ablate;
    ats_attn_kind kind;      /* --attention */
    ats_step_opts step_opts; /* --steps: the what-if switches */
    dump_format format;
    ats_model *model;
    cli_texts texts;
    ats_outfile out;
} dump_job;

/* Writes an encoder-decoder run in the job's format. */
static ats_status dump_seq2seq(dump_job *job, int index, const ats_run *run,
                               const ats_head_steps *steps, ats_error *err) {
    const cli_opts *o = job->o;
    const ats_model_config *ec = ats_model_get_config(job->model);
    const ats_model_config *dc = ats_model_get_decoder_config(job->model);
    ats_dump_selection enc = select_stack(o, ec), dec = select_stack(o, dc);
    const ats_dump_selection *kind_sel = job->kind == ATS_ATTN_ENCODER ? &enc : &dec;
    switch (job->format) {
    case FORMAT_JSON:
        return ats_dump_write_json_seq2seq(job->out.f, job->model, job->texts.items[index],
                                           job->texts.lens[index], o->target,
                                           o->target ? strlen(o->target) : 0, run, &enc, &dec,
                                           steps, &job->extras, job->texts.n > 1, err);
    case FORMAT_NPY:
        if (o->attention)
            return ats_dump_write_npy_kind(job->out.f, run, job->kind, kind_sel, err);
        ats_status s = ats_dump_write_npz_seq2seq(job->out.f, run, &enc, &dec, err);
        if (s == ATS_ERR_UNSUPPORTED) { /* too large for a zip: one kind is a plain NPY */
            char why[ATS_ERROR_MESSAGE_SIZE];
            snprintf(why, sizeof why, "%s", err->message);
            s = ats_fail(err, s, "%.400s; write one kind with --attention", why);
        }
        return s;
    case FORMAT_CSV:
        return ats_dump_write_csv_kind(job->out.f, run, job->kind, o->layer >= 0 ? o->layer : 0,
                                       o->head >= 0 ? o->head : 0, err);
    }
    return ATS_OK;
}

/* Runs one text and writes it; returns an exit code. */
static int dump_one(dump_job *job, int index) {
    const cli_opts *o = job->o;
    const ats_model_config *c = ats_model_get_config(job->model);
    ats_run_opts ro = ats_run_opts_default();
    ro.add_special = !o->no_special;
    if (o->steps)
        ro.detail_layer = o->layer;
    /* --top-k: the next token's logits, or on an encoder with its masked-LM head the hidden
     * states the head reads at each mask token */
    bool masked = job->extras.top_k > 0 && ats_model_has_mlm_head(job->model);
    ro.want_logits = o->logits || (job->extras.top_k > 0 && !masked);
    ro.want_hidden = o->hidden || masked;
    ro.keep_cache = job->extras.value_weighted; /* the values of every layer */
    ro.ablate = job->ablate;
    ro.n_ablate = job->n_ablate;
    if (o->layer >= 0 && !job->extras.rollout) /* one layer asked for: the run serves only it
                                                  (a large model's memory); rollout needs all */
        ro.attention_layer = o->layer;
    ats_run *run;
    ats_error err;
    ats_status s =
        cli_run(o, job->model, job->texts.items[index], job->texts.lens[index], &ro, &run, &err);
    if (s != ATS_OK) {
        if (job->texts.n > 1)
            cli_error("line %d: %s", index + 1, err.message);
        else
            cli_error("%s", err.message);
        return cli_exit_for(s);
    }
    char warning[256];
    const ats_run *first = ats_run_of_kind(run, ATS_ATTN_ENCODER); /* the text's own tokens */
    bool truncated = ats_run_dropped_tokens(first) > 0;
    if (truncated) {
        snprintf(warning, sizeof warning,
                 "the text has %d tokens but the model's context is %d: only the first %d were run",
                 ats_run_n_tokens(first) + ats_run_dropped_tokens(first), c->context,
                 ats_run_n_tokens(first));
        cli_warn("%s", warning);
    }
    ats_head_steps *steps = NULL;
    if (o->steps) {
        s = ats_head_steps_compute(ats_run_of_kind(run, job->kind), o->layer, o->head, o->token,
                                   &job->step_opts, &steps, &err);
        if (s != ATS_OK) {
            cli_error("--token %d: %s", o->token, err.message);
            ats_run_free(run);
            return cli_exit_for(s);
        }
    }
    ats_dump_selection sel = select_heads(o, c);
    if (ats_model_get_decoder_config(job->model)) {
        s = dump_seq2seq(job, index, run, steps, &err);
    } else {
        switch (job->format) {
        case FORMAT_JSON:
            s = ats_dump_write_json(job->out.f, job->model, job->texts.items[index],
                                    job->texts.lens[index], run, &sel, truncated ? warning : NULL,
                                    steps, &job->extras, job->texts.n > 1, &err);
            break;
        case FORMAT_NPY:
            s = ats_dump_write_npy(job->out.f, run, &sel, &err);
            break;
        case FORMAT_CSV:
            s = ats_dump_write_csv(job->out.f, run, o->layer >= 0 ? o->layer : 0,
                                   o->head >= 0 ? o->head : 0, &err);
            break;
        }
    }
    ats_head_steps_free(steps);
    ats_run_free(run);
    if (s != ATS_OK) {       /* a failed write, an NPZ too large: failures while running */
        if (s == ATS_ERR_IO) /* "cannot write: No space left on device": name the file */
            cli_error("%s: %s", o->output && strcmp(o->output, "-") ? o->output : "standard output",
                      err.message);
        else
            cli_error("%s", err.message);
        return s == ATS_ERR_IO || s == ATS_ERR_UNSUPPORTED ? EXIT_RUN_FAILED : cli_exit_for(s);
    }
    return EXIT_OK;
}

/* Checks the analysis options (their values, JSON only); prints and returns false when they do
 * not fit. */
static bool check_extras(dump_job *job) {
    const cli_opts *o = job->o;
    job->extras = (ats_dump_extras){.aggregate = o->aggregate,
                                    .rollout = o->rollout,
                                    .value_weighted = o->value_weighted,
                                    .top_k = o->top_k == CLI_UNSET ? 0 : o->top_k,
                                    .hide_logits = !o->logits,
                                    .show_hidden = o->hidden};
    bool any = o->aggregate || o->rollout || o->value_weighted || o->top_k != CLI_UNSET;
    if (o->top_k != CLI_UNSET && o->top_k < 1) {
        cli_error("dump: --top-k takes a whole number of at least 1, got %d", o->top_k);
        return false;
    }
    if (any && job->format != FORMAT_JSON) {
        cli_error("dump: --aggregate, --rollout, --top-k and --value-weighted go into JSON output "
                  "only");
        return false;
    }
    return true;
}

/* The extras against the model; prints and returns false when the model cannot give them. */
static bool check_extras_model(dump_job *job) {
    const cli_opts *o = job->o;
    const ats_model *m = job->model;
    if (ats_model_get_decoder_config(m) && o->value_weighted) {
        cli_error("dump: --value-weighted is not available for encoder-decoder models (T5)");
        return false;
    }
    if (job->extras.top_k && (ats_model_get_config(m)->vocab_size <= 0 ||
                              (!ats_model_has_lm_head(m) && !ats_model_has_mlm_head(m)))) {
        cli_error("dump: --top-k needs a model with a vocabulary and a language-model head (or, "
                  "for BERT-like encoders, a masked-LM head); %s has none",
                  ats_model_get_info(m)->name);
        return false;
    }
    return cli_ablation("dump", o, m, &job->ablate, &job->n_ablate);
}

/* Checks the T5 options against the model; prints and returns false when they do not fit. */
static bool check_seq2seq_opts(dump_job *job) {
    const cli_opts *o = job->o;
    const ats_model_config *dc = ats_model_get_decoder_config(job->model);
    if (!cli_attention_kind("dump", o, job->model, &job->kind))
        return false;
    if (!dc && (o->target || o->max_new >= 0)) {
        cli_error("dump: --target and --max-new need an encoder-decoder model (T5)");
        return false;
    }
    int layers = job->kind == ATS_ATTN_ENCODER ? ats_model_get_config(job->model)->n_layer
                                               : (dc ? dc->n_layer : 0);
    if ((job->format == FORMAT_CSV || o->steps) && o->layer >= layers) {
        cli_error("dump: the %s attention has %d layers; --layer %d is not one of them",
                  ats_attn_kind_name(job->kind), layers, o->layer);
        return false;
    }
    if (o->steps && job->kind == ATS_ATTN_CROSS) {
        cli_error("dump: --steps reads a stack's self-attention (--attention encoder or decoder)");
        return false;
    }
    return true;
}

int cmd_dump(int argc, char **argv) {
    cli_opts o;
    unsigned allowed = OPT_MODEL | OPT_TEXT | OPT_TOKENIZER | OPT_CAUSAL | OPT_FORMAT |
                       OPT_LAYER_HEAD | OPT_LOGITS | OPT_HIDDEN | OPT_NO_SPECIAL | OPT_OUTPUT |
                       OPT_STEPS | OPT_TOKEN | OPT_WHATIF | OPT_TARGET | OPT_ATTENTION |
                       OPT_ANALYSIS | OPT_ABLATE;
    if (!cli_parse("dump", argc, argv, 2, allowed, &o))
        return EXIT_BAD_INPUT;
    if (o.help) {
        fputs(USAGE, stdout);
        return EXIT_OK;
    }
    dump_job job = {.o = &o};
    if (!parse_format(o.format, &job.format)) {
        cli_error("dump: unknown format '%s' (json, npy or csv)", o.format);
        return EXIT_BAD_INPUT;
    }
    if (job.format != FORMAT_JSON && (o.logits || o.hidden || o.steps)) {
        cli_error("dump: --logits, --hidden and --steps go into JSON output only");
        return EXIT_BAD_INPUT;
    }
    if (o.steps && (o.layer < 0 || o.head < 0 || o.token < 0)) {
        cli_error("dump: --steps needs --layer L, --head H and --token I");
        return EXIT_BAD_INPUT;
    }
    if (!o.steps && o.token >= 0) {
        cli_error("dump: --token goes with --steps");
        return EXIT_BAD_INPUT;
    }
    if (!o.steps && cli_whatif_given(&o)) {
        cli_error("dump: --no-scaling, --causal-mask and --temperature go with --steps");
        return EXIT_BAD_INPUT;
    }
    if (!cli_step_opts("dump", &o, &job.step_opts) || !check_extras(&job))
        return EXIT_BAD_INPUT;
    if (job.format == FORMAT_NPY && (!o.output || strcmp(o.output, "-") == 0) && isatty(1)) {
        cli_error("dump: NPY is binary; give -o FILE or redirect standard output");
        return EXIT_BAD_INPUT;
    }
    int code = EXIT_OK;
    if (!cli_read_texts(&o, &job.texts, &code))
        return code;
    if (job.format != FORMAT_JSON && job.texts.n > 1) {
        cli_error("dump: --format %s takes one text; --text-file holds %d", o.format, job.texts.n);
        cli_texts_free(&job.texts);
        return EXIT_BAD_INPUT;
    }
    job.model = cli_load_model(&o, &code);
    if (job.model && (!cli_check_layer_head(&o, job.model) || !check_seq2seq_opts(&job) ||
                      !check_extras_model(&job)))
        code = EXIT_BAD_INPUT;
    if (code == EXIT_OK && cli_output_open(&job.out, o.output, &code)) {
        for (int i = 0; i < job.texts.n && code == EXIT_OK; i++)
            code = dump_one(&job, i);
        if (code == EXIT_OK)
            cli_output_commit(&job.out, &code);
        else
            ats_outfile_abort(&job.out);
    }
    free(job.ablate);
    ats_model_free(job.model);
    cli_texts_free(&job.texts);
    return code;
}
