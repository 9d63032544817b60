#include "cli.h"

static const char *USAGE =
    "usage: attnscope tokenize [--model M] (--text T | --text - | --text-file F) [--json]\n"
    "                          [--no-special] [--tokenizer FILE]\n"
    "\n"
    "Splits text into the model's tokens: index, id, byte span in the text, and the piece.\n"
    "\n"
    "  --text T          the text; '-' reads standard input exactly as given\n"
    "  --text-file F     one text per line (with --json, one JSON object per line)\n"
    "  --json            {\"tokens\": [{\"id\", \"piece\", \"start\", \"end\", \"special\"}, "
    "...]}\n"
    "  --no-special      do not add the special tokens the model adds by default\n";

/* index, id, start, end, piece, and "(special)" for added tokens; tab-separated. */
static void print_plain(FILE *f, const ats_tokens *tokens) {
    for (int i = 0; i < ats_tokens_count(tokens); i++) {
        const ats_token *t = ats_tokens_get(tokens, i);
        fprintf(f, "%d\t%d\t%d\t%d\t%s%s\n", i, t->id, t->start, t->end, t->piece,
                t->special ? "\t(special)" : "");
    }
}

int cmd_tokenize(int argc, char **argv) {
    cli_opts o;
    unsigned allowed =
        OPT_MODEL | OPT_TEXT | OPT_JSON | OPT_NO_SPECIAL | OPT_TOKENIZER | OPT_CAUSAL | OPT_OUTPUT;
    if (!cli_parse("tokenize", argc, argv, 2, allowed, &o))
        return EXIT_BAD_INPUT;
    if (o.help) {
        fputs(USAGE, stdout);
        return EXIT_OK;
    }
    int code = EXIT_OK;
    cli_texts texts;
    if (!cli_read_texts(&o, &texts, &code))
        return code;
    ats_model *model = cli_load_model(&o, &code);
    if (!model) {
        cli_texts_free(&texts);
        return code;
    }
    ats_outfile out;
    if (!cli_output_open(&out, o.output, &code)) {
        ats_model_free(model);
        cli_texts_free(&texts);
        return code;
    }
    ats_tokenize_opts topts = {.add_special = !o.no_special};
    for (int i = 0; i < texts.n && code == EXIT_OK; i++) {
        ats_tokens *tokens;
        ats_error err;
        ats_status s = ats_tokenize(model, texts.items[i], texts.lens[i], &topts, &tokens, &err);
        if (s != ATS_OK) {
            if (texts.n > 1)
                cli_error("line %d: %s", i + 1, err.message);
            else
                cli_error("%s", err.message);
            code = cli_exit_for(s);
            break;
        }
        if (o.json) {
            fputs("{\"tokens\": ", out.f);
            ats_json_write_tokens(out.f, tokens);
            fputs("}\n", out.f);
        } else {
            if (i > 0)
                fputc('\n', out.f); /* a blank line between texts */
            print_plain(out.f, tokens);
        }
        ats_tokens_free(tokens);
    }
    if (code == EXIT_OK)
        cli_output_commit(&out, &code);
    else
        ats_outfile_abort(&out);
    ats_model_free(model);
    cli_texts_free(&texts);
    return code;
}
