/* Any bytes as a training folder's train_log.jsonl: the window's reader takes it as a series of
 * checkpoints or refuses it with a message naming the line, never reading outside what it
 * parsed. */
#include "series.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char dir[128], path[192];
    snprintf(dir, sizeof dir, "/dev/shm/attnscope-fuzz-log-%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/train_log.jsonl", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    ats_series s;
    ats_error err;
    if (ats_series_read(dir, &s, &err) == ATS_OK) {
        (void)ats_series_nearest(&s, 1000.0);
        ats_series_free(&s);
    }
    return 0;
}
