/* `attnscope` with no subcommand: the explorer window, or the text overview where there is no
 * display. */
#include "cli.h"

#include "app/window.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static const char *HELP =
    "usage: attnscope [--model M] [--text T | --text - | --text-file F] [--font FILE]\n"
    "                 [--tokenizer FILE] [--causal]\n"
    "\n"
    "Opens the explorer window on the model (default builtin:demo) and the text (default a\n"
    "sample sentence; with --text-file, its first line). Drop a model file or folder on the\n"
    "window to open it. F1 in the window lists every key. Without a display, prints a text\n"
    "overview instead. ATS_LATENCY_LOG=FILE appends keystroke-to-frame timings to FILE.\n";

int cmd_window(int argc, char **argv) {
    cli_opts o;
    if (!cli_parse("attnscope", argc, argv, 1,
                   OPT_MODEL | OPT_TEXT | OPT_TOKENIZER | OPT_CAUSAL | OPT_FONT, &o))
        return EXIT_BAD_INPUT;
    if (o.help) {
        fputs(HELP, stdout);
        return EXIT_OK;
    }
    if (o.font && access(o.font, R_OK) != 0) {
        cli_error("--font %s: cannot read: %s", o.font, strerror(errno));
        return EXIT_BAD_INPUT;
    }
    cli_texts texts = {0};
    int code = EXIT_OK;
    if ((o.text || o.text_file) && !cli_read_texts(&o, &texts, &code))
        return code;
    ats_window_opts w = {.model_path = o.model,
                         .tokenizer_path = o.tokenizer,
                         .causal = o.causal,
                         .font_path = o.font};
    if (texts.n > 0) {
        long bad = ats_utf8_first_invalid(texts.items[0], texts.lens[0]);
        if (bad >= 0) {
            cli_error("--text is not valid UTF-8 (at byte %ld)", bad);
            cli_texts_free(&texts);
            return EXIT_BAD_INPUT;
        }
        w.text = texts.items[0];
        w.text_len = texts.lens[0];
    }
    code = ats_window_run(&w);
    if (code == ATS_WINDOW_NO_DISPLAY) /* the text was read already (stdin cannot be reread) */
        code = cli_print_overview(&o, w.text, w.text_len);
    cli_texts_free(&texts);
    return code;
}
