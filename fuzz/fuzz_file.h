/* Shared by the fuzz targets: the parsers under test read files, so each input is written to a
 * file in /dev/shm (memory-backed) under a name with the right extension first. */
#ifndef ATS_FUZZ_FILE_H
#define ATS_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/* Writes data to /dev/shm/attnscope-fuzz-<pid><suffix> and returns the path (static buffer). */
static inline const char *fuzz_write_file(const uint8_t *data, size_t size, const char *suffix) {
    static char path[256];
    snprintf(path, sizeof path, "/dev/shm/attnscope-fuzz-%d%s", (int)getpid(), suffix);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    if (size)
        fwrite(data, 1, size, f);
    fclose(f);
    return path;
}

#endif
