/* Files written whole or not at all (base.h). A regular target gets a temporary file in its own
 * folder (so rename() stays on one file system), created by open(O_CREAT | O_EXCL, 0666) so the
 * kernel applies the umask as for any new file: nothing here reads or sets the process umask,
 * which a second thread could otherwise observe changed. */
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Names for temporaries: unique within the process through the counter, across processes
 * through the pid and the clock; O_EXCL settles any remaining collision by another try. */
static atomic_uint_fast64_t temp_counter;

static void fill_suffix(char *x, int n) {
    static const char digits[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t v = atomic_fetch_add(&temp_counter, 1) * 0x9E3779B97F4A7C15ull;
    v ^= (uint64_t)getpid() * 0xC2B2AE3D27D4EB4Full ^ (uint64_t)ts.tv_nsec ^
         ((uint64_t)ts.tv_sec << 30);
    for (int i = 0; i < n; i++) {
        x[i] = digits[v % 62];
        v = v / 62 ^ (v << 23) * 0x2545F4914F6CDD1Dull;
    }
}

/* Creates a new file named by the template (ending in "XXXXXX", rewritten in place); returns
 * the descriptor, or -1 with errno set. */
static int create_temp(char *tmp) {
    size_t n = strlen(tmp);
    if (n < 6 || strcmp(tmp + n - 6, "XXXXXX") != 0) {
        errno = EINVAL;
        return -1;
    }
    for (int attempt = 0; attempt < 100; attempt++) {
        fill_suffix(tmp + n - 6, 6);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

int ats_temp_file_open(char *tmp, FILE **out) {
    *out = NULL;
    int fd = create_temp(tmp);
    if (fd < 0)
        return errno;
    *out = fdopen(fd, "wb");
    if (*out)
        return 0;
    int e = errno;
    close(fd);
    unlink(tmp);
    return e;
}

int ats_temp_file_close(FILE *f) {
    int e = 0;
    if (fflush(f) != 0 || ferror(f))
        e = errno ? errno : EIO;
    if (!e && fsync(fileno(f)) != 0)
        e = errno;
    if (fclose(f) != 0 && !e)
        e = errno;
    return e;
}

/* True for targets written in place: devices, FIFOs, sockets, and the kernel's own files. */
static bool write_directly(const char *path) {
    if (strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/proc/", 6) == 0)
        return true;
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

static char *dup_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

/* The regular file an atomic write replaces: the path itself, or where its symbolic link
 * points (so the link survives). */
static char *final_target(const char *path) {
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);
        if (real)
            return real;
    }
    return dup_string(path);
}

ats_status ats_outfile_open(ats_outfile *out, const char *path, ats_error *err) {
    *out = (ats_outfile){0};
    if (!path || !*path)
        return ats_fail(err, ATS_ERR_ARG, "no output file named");
    if (strcmp(path, "-") == 0) {
        out->f = stdout;
        out->is_stdout = true;
        return ATS_OK;
    }
    out->path = dup_string(path);
    if (!out->path)
        return ats_fail(err, ATS_ERR_NOMEM, "%s: out of memory", path);
    if (write_directly(path)) {
        out->f = fopen(path, "wb");
        if (!out->f) {
            int e = errno;
            ats_outfile_abort(out);
            return ats_fail(err, ATS_ERR_IO, "%s: cannot write: %s", path, strerror(e));
        }
        return ATS_OK;
    }
    out->final = final_target(path);
    size_t n = out->final ? strlen(out->final) : 0;
    out->tmp = out->final ? malloc(n + 16) : NULL;
    if (!out->tmp) {
        ats_outfile_abort(out);
        return ats_fail(err, ATS_ERR_NOMEM, "%s: out of memory", path);
    }
    /* "<dir>/.<name>.tmp-XXXXXX" beside the file it replaces */
    const char *slash = strrchr(out->final, '/');
    size_t dir_len = slash ? (size_t)(slash - out->final) + 1 : 0;
    snprintf(out->tmp, n + 16, "%.*s.%s.tmp-XXXXXX", (int)dir_len, out->final,
             out->final + dir_len);
    int e = ats_temp_file_open(out->tmp, &out->f);
    if (e) {
        free(out->tmp);
        out->tmp = NULL;
        ats_outfile_abort(out);
        return ats_fail(err, ATS_ERR_IO, "%s: cannot write: %s", path, strerror(e));
    }
    return ATS_OK;
}

ats_status ats_outfile_commit(ats_outfile *out, ats_error *err) {
    if (out->is_stdout) {
        bool ok = fflush(stdout) == 0 && !ferror(stdout);
        *out = (ats_outfile){0};
        return ok ? ATS_OK : ats_fail(err, ATS_ERR_IO, "error writing to standard output");
    }
    int e = 0;
    if (out->tmp) {
        e = ats_temp_file_close(out->f);
    } else { /* a device or FIFO written in place: no fsync (a pipe refuses it) */
        if (fflush(out->f) != 0 || ferror(out->f))
            e = errno ? errno : EIO;
        if (fclose(out->f) != 0 && !e)
            e = errno;
    }
    out->f = NULL;
    if (!e && out->tmp && rename(out->tmp, out->final) != 0)
        e = errno;
    if (e) {
        ats_status st = ats_fail(err, ATS_ERR_IO, "%s: write failed: %s", out->path, strerror(e));
        ats_outfile_abort(out);
        return st;
    }
    free(out->path);
    free(out->final);
    free(out->tmp);
    *out = (ats_outfile){0};
    return ATS_OK;
}

void ats_outfile_abort(ats_outfile *out) {
    if (out->f && !out->is_stdout)
        fclose(out->f);
    if (out->tmp)
        unlink(out->tmp);
    free(out->path);
    free(out->final);
    free(out->tmp);
    *out = (ats_outfile){0};
}

ats_status ats_write_file_atomic(const char *path, const void *data, size_t len, ats_error *err) {
    ats_outfile out;
    ats_status st = ats_outfile_open(&out, path, err);
    if (st != ATS_OK)
        return st;
    if (len > 0 && fwrite(data, 1, len, out.f) != len) {
        int e = errno;
        ats_outfile_abort(&out);
        return ats_fail(err, ATS_ERR_IO, "%s: cannot write: %s", path, strerror(e));
    }
    return ats_outfile_commit(&out, err);
}
