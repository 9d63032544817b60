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

/* The paths of one group being written: each call has its own (the window writes the view from
 * its UI thread while the numbers are written from another thread). */
typedef struct group_paths {
    char tmp[MAX_FILES][PATH_SIZE];   /* the temporaries holding the data */
    char names[MAX_FILES][PATH_SIZE]; /* the names they get */
} group_paths;

void ats_export_files_join(const char *dir, const char *name, char *out, size_t size) {
    if (!dir || !*dir || strcmp(dir, ".") == 0)
        snprintf(out, size, "%s", name);
    else
        snprintf(out, size, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
}

/* Writes data whole into a new temporary file in dir; its name goes to tmp. */
static int write_temp(const char *dir, const void *data, size_t len, char *tmp, size_t size) {
    ats_export_files_join(dir, ".attnscope-XXXXXX", tmp, size);
    return ats_write_temp_file(tmp, data, len);
}

static bool exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 || errno != ENOENT;
}

/* Gives the temporaries their names for `number`: 0 done, EEXIST when a name is taken (nothing
 * left behind), another errno on failure. */
static int place(const char *dir, const char *stem, const ats_out_file *files, int n, int number,
                 group_paths *p) {
    char(*tmp)[PATH_SIZE] = p->tmp, (*names)[PATH_SIZE] = p->names;
    for (int i = 0; i < n; i++) {
        char name[1024];
        snprintf(name, sizeof name, "%s-%03d%s", stem, number, files[i].suffix);
        ats_export_files_join(dir, name, names[i], PATH_SIZE);
        if (exists(names[i]))
            return EEXIST;
    }
    int done = 0, e = 0;
    for (; done < n && !e; done++) {
        if (link(tmp[done], names[done]) == 0)
            continue;
        e = errno;
        if (e == EPERM || e == ENOTSUP || e == EOPNOTSUPP || e == EXDEV || e == EMLINK) {
            /* no hard links here (FAT, some network and FUSE file systems): the name was free
             * a moment ago, so a rename is nearly as safe */
            e = exists(names[done]) ? EEXIST : rename(tmp[done], names[done]) == 0 ? 0 : errno;
        }
    }
    if (e) /* undo this number's names, so a group is all there or not at all */
        for (int i = 0; i < done - 1; i++)
            unlink(names[i]);
    return e;
}

ats_status ats_export_files_write(const char *dir, const char *stem, const ats_out_file *files,
                                  int n, char *path, size_t path_size, int *number,
                                  ats_error *err) {
    if (n < 1 || n > MAX_FILES)
        return ats_fail(err, ATS_ERR_ARG, "export: %d files in a group", n);
    if (!dir || !*dir)
        dir = ".";
    struct stat st;
    if (stat(dir, &st) != 0)
        return ats_fail(err, ATS_ERR_IO, "%s: cannot write there: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ats_fail(err, ATS_ERR_IO, "%s: cannot write there: not a folder", dir);
    group_paths *p = malloc(sizeof *p);
    if (!p)
        return ats_fail(err, ATS_ERR_NOMEM, "%s: out of memory", dir);
    int made = 0, e = 0;
    for (; made < n && !e; made++)
        e = write_temp(dir, files[made].data, files[made].len, p->tmp[made], PATH_SIZE);
    if (e) {
        for (int i = 0; i < made - 1; i++)
            unlink(p->tmp[i]);
        free(p);
        return ats_fail(err, ATS_ERR_IO, "%s: cannot write there: %s", dir, strerror(e));
    }
    int num = 1;
    for (; num <= MAX_NUMBER; num++) {
        e = place(dir, stem, files, n, num, p);
        if (e != EEXIST)
            break;
    }
    for (int i = 0; i < n; i++) /* the names hold the data now (or nothing was placed) */
        unlink(p->tmp[i]);
    ats_status s = ATS_OK;
    if (e == EEXIST)
        s = ats_fail(err, ATS_ERR_IO, "%s: every name %s-001 to -%d is taken", dir, stem,
                     MAX_NUMBER);
    else if (e)
        s = ats_fail(err, ATS_ERR_IO, "%s: cannot write there: %s", dir, strerror(e));
    if (s == ATS_OK && path)
        snprintf(path, path_size, "%s", p->names[0]);
    if (s == ATS_OK && number)
        *number = num;
    free(p);
    return s;
}
