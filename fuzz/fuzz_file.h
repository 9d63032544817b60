/* Shared by the fuzz targets: the parsers under test read files, so each input is written to a
 * file first, in a folder of this process's own (/dev/shm/attnscope-fuzz-<pid>: memory-backed,
 * and apart from other fuzzing processes and from files a loader might look for beside the
 * model, such as a llama2.c tokenizer.bin). Single-threaded, as libFuzzer runs a target. */
#ifndef ATS_FUZZ_FILE_H
#define ATS_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

enum { FUZZ_PATH_SIZE = 256 };

/* The folder (created on first use) into `out`; NULL when it cannot be made. */
static inline const char *fuzz_dir(char out[FUZZ_PATH_SIZE]) {
    snprintf(out, FUZZ_PATH_SIZE, "/dev/shm/attnscope-fuzz-%d", (int)getpid());
    struct stat st;
    if (stat(out, &st) != 0 && mkdir(out, 0700) != 0) {
        snprintf(out, FUZZ_PATH_SIZE, "/tmp/attnscope-fuzz-%d", (int)getpid());
        if (stat(out, &st) != 0 && mkdir(out, 0700) != 0)
            return NULL;
    }
    return out;
}

/* Writes data to <folder>/<name> and returns its path in `out`, or NULL. */
static inline const char *fuzz_write_file(const uint8_t *data, size_t size, const char *name,
                                          char out[FUZZ_PATH_SIZE]) {
    char dir[FUZZ_PATH_SIZE];
    if (!fuzz_dir(dir))
        return NULL;
    snprintf(out, FUZZ_PATH_SIZE, "%s/%s", dir, name);
    FILE *f = fopen(out, "wb");
    if (!f)
        return NULL;
    if (size)
        fwrite(data, 1, size, f);
    fclose(f);
    return out;
}

#endif
