/* attnscope generate: continue a text token by token, with each new token's attention row and
 * the probability it had (analysis.h's ats_generate). */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE =
    "usage: attnscope generate [--model M] (--text T | --text -) --tokens N [--json]\n"
    "                          [--temperature X] [--top-p P] [--seed S] [--ablate L:H[,L:H]]\n"
    "                          [--no-special] [-o FILE]\n"
    "\n"
    "Continues the text by N tokens, greedily (the most probable token each step) unless a\n"
    "sampling option is given. The prompt's keys and values are kept, so each step computes\n"
    "only the new token.\n"
    "\n"
    "  --tokens N         how many tokens to generate (1 to 4096; fewer when the context fills)\n"
    "  --json             {\"prompt_tokens\": [...], \"generated\": [{\"id\", \"piece\", "
    "\"prob\",\n"
    "                     \"attentions\": [L][H][T_i]}, ...], \"text\": prompt + generated}; a\n"
    "                     generated token's attentions are its own row (its query over every\n"
    "                     earlier token and itself), prob the probability the model gave it\n"
    "                     (softmax of the previous position's logits)\n"
    "  --temperature X    sample from softmax(logits / X) instead of taking the most probable\n"
    "  --top-p P          sample from the fewest most probable tokens whose probability reaches\n"
    "                     P (0 < P <= 1); with only --top-p the temperature is 1\n"
    "  --seed S           the sampler's seed (default 0): the same seed, the same tokens\n"
    "  --ablate L:H,...   generate with those heads' outputs zeroed\n"
    "  --no-special       do not add the special tokens the model adds by default\n"
    "\n"
    "Without --json: the text, then one line per generated token (position, id, probability,\n"
    "piece). Needs a model with a language-model head (GPT-2, Llama); not BERT, T5 or the demo.\n";

/* The sampling the options ask for; prints one line and returns false on a bad value. */
static bool sampling_of(const cli_opts *o, ats_sampling *out) {
    *out = ats_sampling_greedy();
    if (o->top_p > 0 && o->top_p > 1) {
        cli_error("generate: --top-p takes a number in (0, 1], got %g", o->top_p);
        return false;
    }
    if (!o->temperature && !o->top_p) {
        if (o->seed) {
            cli_error("generate: --seed goes with --temperature or --top-p (sampling)");
            return false;
        }
        return true;
    }
    out->sample = true;
    out->temperature = o->temperature > 0 ? (float)o->temperature : 1.0f;
    out->top_p = o->top_p > 0 ? (float)o->top_p : 1.0f;
    if (o->seed) {
        char *end;
        errno = 0;
        unsigned long long seed = strtoull(o->seed, &end, 10);
        if (errno || end == o->seed || *end || o->seed[0] == '-') {
            cli_error("generate: --seed takes a whole number from 0 to 2^64-1, got '%s'", o->seed);
            return false;
        }
        out->state = (uint64_t)seed;
    }
    return true;
}

static void print_plain(FILE *f, const ats_run *run, int n_made, const float *probs,
                        const char *text) {
    const ats_tokens *tokens = ats_run_get_tokens(run);
    int first = ats_run_n_tokens(run) - n_made;
    fprintf(f, "%s\n", text);
    for (int g = 0; g < n_made; g++) {
        const ats_token *t = ats_tokens_get(tokens, first + g);
        fprintf(f, "%d\t%d\t%.6f\t%s\n", first + g, t->id, (double)probs[g], t->piece);
    }
}

/* Generates and writes; returns an exit code. */
static int generate(const cli_opts *o, const ats_model *model, const char *text, size_t len,
                    ats_sampling *sampling, const ats_head_ref *ablate, int n_ablate, FILE *out) {
    ats_run_opts ro = ats_run_opts_default();
    ro.add_special = !o->no_special;
    ro.ablate = ablate;
    ro.n_ablate = n_ablate;
    float *probs = malloc((size_t)o->n_tokens * sizeof *probs);
    ats_run *run = NULL;
    int n_made = 0;
    ats_error err;
    ats_status s = probs ? ats_generate(model, text, len, &ro, o->n_tokens, sampling, &run, probs,
                                        &n_made, &err)
                         : ats_fail(&err, ATS_ERR_NOMEM, "out of memory");
    char *added = NULL, *full = NULL;
    size_t added_len = 0;
    if (s == ATS_OK) {
        int T = ats_run_n_tokens(run);
        s = ats_model_tokens_text(model, ats_run_get_tokens(run), T - n_made, T, len > 0, &added,
                                  &added_len, &err);
    }
    if (s == ATS_OK && !(full = malloc(len + added_len + 1)))
        s = ats_fail(&err, ATS_ERR_NOMEM, "out of memory");
    if (s == ATS_OK) {
        memcpy(full, text, len);
        memcpy(full + len, added, added_len + 1);
        if (n_made < o->n_tokens)
            cli_warn("the model's context (%d tokens) is full: generated %d of %d tokens",
                     ats_model_get_config(model)->context, n_made, o->n_tokens);
        if (o->json)
            ats_generation_write_json(out, run, n_made, probs, full, len + added_len);
        else
            print_plain(out, run, n_made, probs, full);
    } else {
        cli_error("%s", err.message);
    }
    free(added);
    free(full);
    free(probs);
    ats_run_free(run);
    return s == ATS_OK ? EXIT_OK : cli_exit_for(s);
}

int cmd_generate(int argc, char **argv) {
    cli_opts o;
    unsigned allowed = OPT_MODEL | OPT_TEXT | OPT_TOKENIZER | OPT_JSON | OPT_NO_SPECIAL |
                       OPT_SAMPLING | OPT_ABLATE | OPT_OUTPUT;
    if (!cli_parse("generate", argc, argv, 2, allowed, &o))
        return EXIT_BAD_INPUT;
    if (o.help) {
        fputs(USAGE, stdout);
        return EXIT_OK;
    }
    if (!o.tokens) {
        cli_error("generate: --tokens N is required (how many tokens to generate)");
        return EXIT_BAD_INPUT;
    }
    char *end;
    errno = 0;
    long n = strtol(o.tokens, &end, 10); /* --tokens is a list for bench: one number here */
    if (errno || end == o.tokens || *end || n < 1 || n > 4096) {
        cli_error("generate: --tokens takes a whole number from 1 to 4096, got '%s'", o.tokens);
        return EXIT_BAD_INPUT;
    }
    o.n_tokens = (int)n;
    if (o.text_file) {
        cli_error("generate: give one prompt with --text (or --text - for standard input)");
        return EXIT_BAD_INPUT;
    }
    ats_sampling sampling;
    if (!sampling_of(&o, &sampling))
        return EXIT_BAD_INPUT;
    int code = EXIT_OK;
    cli_texts texts;
    if (!cli_read_texts(&o, &texts, &code))
        return code;
    ats_model *model = cli_load_model(&o, &code);
    ats_head_ref *ablate = NULL;
    int n_ablate = 0;
    if (model && ats_model_get_decoder_config(model)) {
        cli_error("generate: %s is an encoder-decoder model (T5): 'attnscope dump --model M --text "
                  "SOURCE' generates its target greedily (--max-new N, default 20)",
                  ats_model_get_info(model)->name);
        code = EXIT_BAD_INPUT;
    } else if (model && !cli_ablation("generate", &o, model, &ablate, &n_ablate)) {
        code = EXIT_BAD_INPUT;
    }
    ats_outfile out;
    if (code == EXIT_OK && cli_output_open(&out, o.output, &code)) {
        code =
            generate(&o, model, texts.items[0], texts.lens[0], &sampling, ablate, n_ablate, out.f);
        if (code == EXIT_OK)
            cli_output_commit(&out, &code);
        else
            ats_outfile_abort(&out);
    }
    free(ablate);
    ats_model_free(model);
    cli_texts_free(&texts);
    return code;
}
