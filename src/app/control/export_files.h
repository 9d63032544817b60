/* New files that never replace an existing one: a group of files sharing one number,
 * DIR/STEM-001.png or DIR/STEM-007.json + DIR/STEM-007.npy, with the smallest number none of the
 * group's names uses. Each file is written whole to a temporary file in DIR first and then
 * hard-linked to its name (link(2) refuses to replace a file, so a name taken meanwhile moves
 * the group to the next number); on file systems without hard links it is renamed after a
 * check. A failure leaves neither a partial file nor a temporary one.
 *
 * Threads: any thread may call these at any time, several at once, even into one folder (the
 * window saves the view from its UI thread while Ctrl+E writes the numbers from another): a call
 * keeps its paths in memory of its own, and two groups never get the same number. */
#ifndef ATS_APP_EXPORT_FILES_H
#define ATS_APP_EXPORT_FILES_H

#include "attnscope/engine.h"

#include <stddef.h>

typedef struct ats_out_file {
    const char *suffix; /* after the number: ".png", "-L3H5.csv" */
    const void *data;
    size_t len;
} ats_out_file;

/* Writes the n files of a group. `path` (when not NULL) receives the first file's path; the
 * number chosen in *number (when not NULL). ATS_ERR_IO with a message naming DIR when DIR is
 * missing or unwritable. */
ats_status ats_export_files_write(const char *dir, const char *stem, const ats_out_file *files,
                                  int n, char *path, size_t path_size, int *number, ats_error *err);

/* The path DIR/NAME as shown to a person: NAME alone when DIR is ".". */
void ats_export_files_join(const char *dir, const char *name, char *out, size_t size);

#endif
