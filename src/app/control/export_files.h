/* New files that never replace an existing one: a group of files sharing one number,
 * DIR/STEM-001.png or DIR/STEM-007.json + DIR/STEM-007.npy, with the smallest number none of the
 * group's names uses. Each file is written whole to a temporary file in DIR first and then
 * hard-linked to its name (link(2) refuses to replace a file, so a name taken meanwhile moves
 * the group to the next number); on file systems without hard links it is renamed after a
 * check. A failure leaves neither a partial file nor a temporary one.
 *
 * Threads: any thread may call these at any time, several at once, even into one folder (the
 * window saves the view from its UI thread while Ctrl+E writes the numbers from another): a call
 * or group keeps its paths in memory of its own, and two groups never get the same number. */
#ifndef ATS_APP_EXPORT_FILES_H
#define ATS_APP_EXPORT_FILES_H

#include "attnscope/engine.h"

#include <stddef.h>
#include <stdio.h>

typedef struct ats_out_file {
    const char *suffix; /* after the number: ".png", "-L3H5.csv" */
    const void *data;
    size_t len;
} ats_out_file;

/* Writes the n files of a group whose bytes are in memory. `path` (when not NULL) receives the
 * first file's path; the number chosen in *number (when not NULL). ATS_ERR_IO with a message naming
 * DIR when DIR is missing or unwritable. */
ats_status ats_export_files_write(const char *dir, const char *stem, const ats_out_file *files,
                                  int n, char *path, size_t path_size, int *number, ats_error *err);

/* A group written as it is produced (the numbers of a long run, too large to hold in memory):
 * ats_export_group_open makes a temporary file in DIR for each of its n files (ATS_ERR_IO naming
 * DIR when it cannot); the caller writes each through ats_export_group_file; then
 * ats_export_group_commit gives them the group's names (DIR/STEM-NNN + suffixes[i], as
 * ats_export_files_write), or ats_export_group_abort removes them. Both free the group; a write
 * that failed on the way makes the commit fail, and nothing is left behind. A group is used by
 * one thread. */
typedef struct ats_export_group ats_export_group;

ats_status ats_export_group_open(const char *dir, int n, ats_export_group **out, ats_error *err);
/* File i of the group (0 <= i < n), open for writing; NULL out of range. */
FILE *ats_export_group_file(ats_export_group *g, int i);
ats_status ats_export_group_commit(ats_export_group *g, const char *stem,
                                   const char *const *suffixes, char *path, size_t path_size,
                                   int *number, ats_error *err);
void ats_export_group_abort(ats_export_group *g); /* NULL is fine */

/* The path DIR/NAME as shown to a person: NAME alone when DIR is ".". */
void ats_export_files_join(const char *dir, const char *name, char *out, size_t size);

#endif
