/* `attnscope` with no subcommand: the explorer window, or where there is no display, a sample
 * heatmap written as a PNG through the render library (the look of `attnscope export`). */
#include "cli.h"

#include "app.h"
#include "export_files.h"
#include "window.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *HELP =
    "usage: attnscope [--model M] [--text T | --text - | --text-file F] [--font FILE]\n"
    "                 [--tokenizer FILE] [--causal] [--export-dir DIR] [--compare-model M2]\n"
    "\n"
    "Opens the explorer window on the model (default builtin:demo) and the text (default a\n"
    "sample sentence; with --text-file, its first line). Drop a model file or folder on the\n"
    "window to open it. F1 in the window lists every key. Ctrl+S, Ctrl+Shift+S and Ctrl+E save\n"
    "the view (PNG, SVG) and the numbers (JSON, NPY, CSV) into --export-dir (default: the\n"
    "current directory) under new names. Without a display, writes a heatmap of the text to\n"
    "attnscope-heatmap-L0H0-NNN.png there instead and prints its name.\n"
    "--compare-model M2 opens a comparison of the two models (same tokenizer) on the text: M's\n"
    "attention, M2's and their difference (in the window: drop a model with Ctrl held).\n"
    "ATS_LATENCY_LOG=FILE appends keystroke-to-frame timings to FILE.\n";

/* No display: the heatmap of layer 0, head 0, at the size `attnscope export` draws it. */
static int write_sample(const cli_opts *o, const char *text, size_t len) {
    int code = EXIT_OK;
    ats_model *model = cli_load_model(o, &code);
    if (!model)
        return code;
    if (!text) {
        text = ATS_APP_SAMPLE_TEXT;
        len = strlen(text);
    }
    ats_run *run = NULL;
    ats_font *font = NULL;
    ats_view *view = NULL;
    uint8_t *png = NULL;
    size_t png_len = 0;
    ats_run_view vd = {0};
    ats_error err = {0};
    ats_status s = ats_run_text(model, text, len, NULL, &run, &err);
    if (s == ATS_OK)
        s = ats_font_open(o->font, &font, &err);
    if (s == ATS_OK && ats_view_new(&view) != ATS_OK)
        s = ats_fail(&err, ATS_ERR_NOMEM, "out of memory");
    if (s == ATS_OK)
        s = ats_run_view_make(&vd, model, run, text, &err);
    ats_view_state st = ats_view_state_default();
    float w, h;
    if (s == ATS_OK) {
        ats_view_natural_size(&st, &vd.data, font, &w, &h);
        s = ats_view_build(view, &st, &vd.data, font, w, h, &err);
    }
    if (s == ATS_OK) {
        ats_meta meta;
        ats_meta_for_view(&meta, &st, &vd.data);
        s = ats_export_png_encode(ats_view_display_list(view), font, 1.0f, &meta, &png, &png_len,
                                  &err);
    }
    char path[4096];
    if (s == ATS_OK) {
        ats_out_file f = {".png", png, png_len};
        s = ats_export_files_write(o->export_dir ? o->export_dir : ".", "attnscope-heatmap-L0H0",
                                   &f, 1, path, sizeof path, NULL, &err);
    }
    if (s == ATS_OK)
        printf("%s\n", path);
    else
        cli_error("%s", err.message);
    free(png);
    ats_run_view_free(&vd);
    ats_view_free(view);
    ats_font_free(font);
    ats_run_free(run);
    ats_model_free(model);
    return cli_exit_for(s);
}

int cmd_window(int argc, char **argv) {
    cli_opts o;
    if (!cli_parse("attnscope", argc, argv, 1,
                   OPT_MODEL | OPT_TEXT | OPT_TOKENIZER | OPT_CAUSAL | OPT_FONT | OPT_EXPORT_DIR |
                       OPT_COMPARE_MODEL,
                   &o))
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
                         .font_path = o.font,
                         .export_dir = o.export_dir,
                         .compare_model_path = o.compare_model};
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
        code = write_sample(&o, w.text, w.text_len);
    cli_texts_free(&texts);
    return code;
}
