/* The base every other part builds on: broken-invariant asserts, the one monotonic clock, the
 * one seeded random number generator, and the one way files are written (whole or not at all).
 * Status codes and error filling are in the public attnscope/status.h (implemented in status.c
 * here).
 *
 * Threads: every function here may be called from any thread at once; none keeps static state
 * that two threads could share (temporary names come from an atomic counter), and none changes
 * the process umask.
 */
#ifndef ATS_BASE_H
#define ATS_BASE_H

#include "attnscope/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- invariants ------------------------------------------------------------------------------ */

/* Broken invariants only (never bad input): aborts with file and line. */
#define ATS_ASSERT(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ats_assert_failed(#cond, __FILE__, __LINE__);                                          \
    } while (0)

_Noreturn void ats_assert_failed(const char *cond, const char *file, int line);

/* ---- time ------------------------------------------------------------------------------------ */

/* Milliseconds on a monotonic clock (CLOCK_MONOTONIC): for timings, latencies and deadlines. */
double ats_clock_ms(void);

/* ---- deterministic random numbers ------------------------------------------------------------ */

/* splitmix64: the same seed gives the same numbers on every machine. A value type: each user
 * keeps its own (no shared state). */
typedef struct ats_rng {
    uint64_t state; /* the seed, then advanced by each draw */
} ats_rng;

uint64_t ats_rng_next(ats_rng *r);
double ats_rng_uniform(ats_rng *r);             /* in (0, 1) */
float ats_rng_gauss(ats_rng *r);                /* standard normal (Box-Muller) */
uint32_t ats_rng_below(ats_rng *r, uint32_t n); /* in [0, n) */

/* ---- assets ---------------------------------------------------------------------------------- */

/* Finds a file or folder the program ships (sample sentences, builtin:tiny), looking in order in
 *   1. <folder of the executable>/assets/NAME (the build copies the assets there),
 *   2. <folder of the executable>/../share/attnscope/NAME (an installed tree),
 *   3. the source tree the program was built from (ATS_ASSETS_SOURCE_DIR).
 * Writes the path found into out; false (out "") when none exists. */
bool ats_asset_path(const char *name, char *out, size_t size);

/* ---- reading files --------------------------------------------------------------------------- */

/* Reads `f` to its end into a malloc'd buffer with a '\0' after the `*out_len` bytes. Returns 0,
 * ENOMEM or EIO (a read error); *out is NULL unless 0. */
int ats_read_stream(FILE *f, char **out, size_t *out_len);

/* ---- writing files --------------------------------------------------------------------------- */

/* An output file written whole or not at all. For a regular file (or a new name) the bytes go
 * to a temporary file beside the target, created with the final permissions (0666 less the
 * umask, applied by the kernel), flushed and renamed over the target on commit; a symbolic link
 * is followed, so the file it points to is replaced and the link stays. A target that is not a
 * regular file (a device such as /dev/null, a FIFO, /dev/stdout or anything else under /dev or
 * /proc) is written directly, never replaced. The path "-" is standard output. */
typedef struct ats_outfile {
    FILE *f;     /* write the contents here */
    char *path;  /* the target as given */
    char *final; /* the regular file the temporary replaces on commit, NULL when direct */
    char *tmp;   /* the temporary, NULL when direct */
    bool is_stdout;
} ats_outfile;

/* ATS_ERR_IO naming the path when the file cannot be created. */
ats_status ats_outfile_open(ats_outfile *out, const char *path, ats_error *err);
/* Flushes and closes; renames the temporary into place. On failure nothing is left behind. */
ats_status ats_outfile_commit(ats_outfile *out, ats_error *err);
/* Closes and removes the temporary (a direct target keeps what was written). */
void ats_outfile_abort(ats_outfile *out);

/* Writes `len` bytes to `path` as one ats_outfile. */
ats_status ats_write_file_atomic(const char *path, const void *data, size_t len, ats_error *err);

/* The first half of that, for callers that place the file themselves (the window links each
 * file of a group under a name never used): a new file whose name is the template `tmp` (a path
 * ending in "XXXXXX", rewritten in place), created with the final permissions and opened for
 * writing in *out, so it can be written as it is produced. Returns 0, or an errno value with
 * nothing created. */
int ats_temp_file_open(char *tmp, FILE **out);
/* Flushes such a file to disk and closes it. Returns 0, or an errno value when a write on the
 * way or the flush failed; either way `f` is closed and the file stays for the caller to place
 * or remove. */
int ats_temp_file_close(FILE *f);

#endif
