/* The explorer window: what `attnscope` with no subcommand opens (sdl_window.c). */
#ifndef ATS_APP_WINDOW_H
#define ATS_APP_WINDOW_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ats_window_opts {
    const char *model_path;     /* NULL: builtin:demo */
    const char *tokenizer_path; /* --tokenizer */
    bool causal;                /* --causal */
    const char *text;           /* NULL: the sample sentence */
    size_t text_len;
    const char *font_path;  /* --font; NULL: found through fontconfig */
    const char *export_dir; /* --export-dir; NULL: the current directory */
    /* --compare-model: a second model to compare, or NULL */
    const char *compare_model_path;
} ats_window_opts;

/* Returned by ats_window_run when no display is available; the one line saying so is printed
 * (the caller writes a sample heatmap PNG instead). */
#define ATS_WINDOW_NO_DISPLAY (-1)

/* Opens the window and runs until it is closed. Returns the exit status, or
 * ATS_WINDOW_NO_DISPLAY. ATS_LATENCY_LOG=path in the environment appends a line per update of
 * the views to that file (latency.h). */
int ats_window_run(const ats_window_opts *opts);

#endif
