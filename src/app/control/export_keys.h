/* The window's export keys: Ctrl+S writes the view as the window shows it as a
 * PNG, Ctrl+Shift+S as an SVG, Ctrl+E the numbers (the run as JSON, every head as NPY, the
 * current head as CSV; for a run that computes its heads on demand, a long text, the heads of the
 * layer shown), into the export folder under names that never replace a file
 * (attnscope-heatmap-L3H5-001.png, the next free number). The view is rebuilt from the very
 * state and size the window drew it with (ats_app_state.view, the views area of the last frame),
 * so the PNG holds the same pixels. A notice in the window says where the files went; an
 * unwritable folder gives an error banner and leaves no file behind.
 *
 * Threads: the app's UI thread calls these. The data export runs on a thread of its own that
 * owns copies of what it writes (a reference to the run and model, the text, the folder) and
 * hands back only its outcome, under the app's export_mu; it may write while the UI thread saves
 * a view, and separate apps may export into one folder at once. */
#ifndef ATS_APP_EXPORT_KEYS_H
#define ATS_APP_EXPORT_KEYS_H

#include "attnscope/render.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct ats_app ats_app;

typedef enum ats_export_kind {
    ATS_EXPORT_PNG,
    ATS_EXPORT_SVG,
    ATS_EXPORT_DATA,
} ats_export_kind;

/* Writes the export and shows the notice or error banner. On success `path` (when not NULL)
 * receives the file written. Needs a frame drawn (the views area's size) and a run. The data
 * export (large for a big run) is written by a thread of its own: ATS_OK means it started,
 * `path` is left empty, and the notice (or error banner) comes with ats_app_export_poll. */
ats_status ats_app_export(ats_app *app, ats_export_kind kind, double now_ms, char *path,
                          size_t path_size);
/* Takes the finished data export's outcome into the banner (ats_app_update calls it); true
 * when one finished. */
bool ats_app_export_poll(ats_app *app, double now_ms);
/* A data export is being written. */
bool ats_app_export_busy(const ats_app *app);
/* Waits for a data export in progress (the app's end). */
void ats_app_export_finish(ats_app *app);

/* The file stem of a view export in state `st`: "attnscope-heatmap-L3H5", "attnscope-lines-L3",
 * "attnscope-grid". */
void ats_export_stem(const ats_view_state *st, char *out, size_t size);

#endif
