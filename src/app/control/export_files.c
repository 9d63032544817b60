#include "export_files.h"
#include "base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILES  8
#define MAX_NUMBER 99999
#define PATH_SIZE  4096

/* One group being written: its temporaries and the names they get. Each group has its own (the
 * window writes the view from its UI thread while the numbers are written from another). */
struct ats_export_group {
    int n;
    char dir[PATH_SIZE];
    FILE *f[MAX_FILES];               /* open while the caller writes, then NULL */
    char tmp[MAX_FILES][PATH_SIZE];   /* the temporaries holding the data */
    char names[MAX_FILES][PATH_SIZE]; /* the names they get */
};

void ats_export_files_join(const char *dir, const char *name, char *out, size_t size) {
    if (!dir || !*dir || strcmp(dir, ".") == 0)
        snprintf(out, size, "%s", name);
    else
        snprintf(out, size, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
}

static bool exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 || errno != ENOENT;
}

/* Gives the temporaries their names for `number`: 0 done, EEXIST when a name is taken (nothing
 * left behind), another errno on failure. */
static int place(ats_export_group *g, const char *stem, const char *const *suffixes, int number) {
    int n = g->n;
    for (int i = 0; i < n; i++) {
        char name[1024];
        snprintf(name, sizeof name, "%s-%03d%s", stem, number, suffixes[i]);
        ats_export_files_join(g->dir, name, g->names[i], PATH_SIZE);
        if (exists(g->names[i]))
            return EEXIST;
    }
    int done = 0, e = 0;
    for (; done < n && !e; done++) {
        if (link(g->tmp[done], g->names[done]) == 0)
            continue;
        e = errno;
        if (e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EXDEV || e == EMLINK) {
            /* no hard links here (FAT, some network and FUSE file systems): the name was free
             * a moment ago, so a rename is nearly as safe */
            e = exists(g->names[done])                      ? EEXIST
                : rename(g->tmp[done], g->names[done]) == 0 ? 0
                                                            : errno;
        }
    }
    if (e) /* undo this number's names, so a group is all there or not at all */
        for (int i = 0; i < done - 1; i++)
            unlink(g->names[i]);
    return e;
}

ats_status ats_export_group_open(const char *dir, int n, ats_export_group **out, ats_error *err) {
    *out = NULL;
    if (n < 1 || n > MAX_FILES)
        return ats_fail(err, ATS_ERR_ARG, "export: %d files in a group", n);
    if (!dir || !*dir)
        dir = ".";
    struct stat st;
    if (stat(dir, &st) != 0)
        return ats_fail(err, ATS_ERR_IO, "%s: cannot write there: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ats_fail(err, ATS_ERR_IO, "%s: cannot write there: not a folder", dir);
    ats_export_group *g = calloc(1, sizeof *g);
    if (!g)
        return ats_fail(err, ATS_ERR_NOMEM, "%s: out of memory", dir);
    snprintf(g->dir, sizeof g->dir, "%s", dir);
    int e = 0;
    for (; g->n < n && !e; g->n++) {
        ats_export_files_join(dir, ".attnscope-XXXXXX", g->tmp[g->n], PATH_SIZE);
        e = ats_temp_file_open(g->tmp[g->n], &g->f[g->n]);
    }
    if (e) {
        g->n--; /* the one that failed left nothing */
        ats_export_group_abort(g);
        return ats_fail(err, ATS_ERR_IO, "%s: cannot write there: %s", dir, strerror(e));
    }
    *out = g;
    return ATS_OK;
}

FILE *ats_export_group_file(ats_export_group *g, int i) {
    return i >= 0 && i < g->n ? g->f[i] : NULL;
}

void ats_export_group_abort(ats_export_group *g) {
    if (!g)
        return;
    for (int i = 0; i < g->n; i++) {
        if (g->f[i])
            fclose(g->f[i]);
        unlink(g->tmp[i]);
    }
    free(g);
}

ats_status ats_export_group_commit(ats_export_group *g, const char *stem,
                                   const char *const *suffixes, char *path, size_t path_size,
                                   int *number, ats_error *err) {
    int e = 0;
    for (int i = 0; i < g->n; i++) { /* every byte on disk before any name shows it */
        int ei = ats_temp_file_close(g->f[i]);
        g->f[i] = NULL;
        e = e ? e : ei;
    }
    int num = 0;
    if (!e)
        for (num = 1; num <= MAX_NUMBER; num++)
            if ((e = place(g, stem, suffixes, num)) != EEXIST)
                break;
    ats_status s = ATS_OK;
    if (e == EEXIST)
        s = ats_fail(err, ATS_ERR_IO, "%s: every name %s-001 to -%d is taken", g->dir, stem,
                     MAX_NUMBER);
    else if (e)
        s = ats_fail(err, ATS_ERR_IO, "%s: cannot write there: %s", g->dir, strerror(e));
    if (s == ATS_OK && path)
        snprintf(path, path_size, "%s", g->names[0]);
    if (s == ATS_OK && number)
        *number = num;
    ats_export_group_abort(g); /* the names hold the data now (or nothing was placed) */
    return s;
}

ats_status ats_export_files_write(const char *dir, const char *stem, const ats_out_file *files,
                                  int n, char *path, size_t path_size, int *number,
                                  ats_error *err) {
    ats_export_group *g;
    ats_status s = ats_export_group_open(dir, n, &g, err);
    if (s != ATS_OK)
        return s;
    const char *suffixes[MAX_FILES];
    for (int i = 0; i < n; i++) { /* a failed write shows when the file is closed */
        suffixes[i] = files[i].suffix;
        if (files[i].len > 0)
            fwrite(files[i].data, 1, files[i].len, g->f[i]);
    }
    return ats_export_group_commit(g, stem, suffixes, path, path_size, number, err);
}
