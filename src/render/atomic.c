/* Atomic file writing: the bytes go to a temporary file beside the target, which is flushed to
 * disk and renamed over the target, so readers see the old file or the whole new one, and a
 * failure leaves neither a partial file nor the temporary behind. */
#include "render_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Permissions a newly created file gets: 0666 less the umask (mkstemp gives 0600). Reading the
 * umask means setting it for an instant; no file is created in that instant by this library. */
static mode_t new_file_mode(void) {
    mode_t mask = umask(022);
    umask(mask);
    return 0666 & ~mask;
}

int ats_write_temp_file(char *tmp, const void *data, size_t len) {
    int fd = mkstemp(tmp);
    if (fd < 0)
        return errno;
    const char *p = data;
    int e = 0;
    while (len > 0 && !e) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno != EINTR)
            e = errno;
        else if (w > 0)
            p += w, len -= (size_t)w;
    }
    if (!e && fchmod(fd, new_file_mode()) != 0)
        e = errno;
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (e)
        unlink(tmp);
    return e;
}

ats_status ats_write_file_atomic(const char *path, const void *data, size_t len, ats_error *err) {
    if (!path || !*path)
        return render_fail(err, ATS_ERR_ARG, "no output file named");
    /* "<dir>/.<name>.tmp-XXXXXX" in the target's own folder, so rename() stays on one disk */
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return render_fail(err, ATS_ERR_NOMEM, "%s: out of memory", path);
    snprintf(tmp, n + 16, "%.*s.%s.tmp-XXXXXX", (int)dir_len, path, path + dir_len);
    int e = ats_write_temp_file(tmp, data, len);
    if (!e && rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
    }
    free(tmp);
    if (e)
        return render_fail(err, ATS_ERR_IO, "%s: cannot write: %s", path, strerror(e));
    return ATS_OK;
}
