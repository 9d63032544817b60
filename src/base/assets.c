#include "base.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef ATS_ASSETS_SOURCE_DIR
#define ATS_ASSETS_SOURCE_DIR "assets"
#endif

/* The folder of the running executable (Linux), or "" when unknown. */
static void exe_dir(char *out, size_t size) {
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    out[0] = '\0';
    if (n <= 0)
        return;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (slash)
        *slash = '\0';
    snprintf(out, size, "%s", path);
}

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

bool ats_asset_path(const char *name, char *out, size_t size) {
    char dir[PATH_MAX];
    exe_dir(dir, sizeof dir);
    if (dir[0]) {
        if (snprintf(out, size, "%s/assets/%s", dir, name) < (int)size && exists(out))
            return true;
        if (snprintf(out, size, "%s/../share/attnscope/%s", dir, name) < (int)size && exists(out))
            return true;
    }
    if (snprintf(out, size, "%s/%s", ATS_ASSETS_SOURCE_DIR, name) < (int)size && exists(out))
        return true;
    if (size)
        out[0] = '\0';
    return false;
}
