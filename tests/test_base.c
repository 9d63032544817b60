/* The base library: errors, the clock, and the one file writer. New files get 0666 less the
 * umask even while other threads create files (nothing reads the umask by setting it); a
 * symbolic link stays a link to the file that gets the bytes; a FIFO and a device are written
 * directly, never replaced; "-" is standard output; a failure leaves no file behind. */
#include "test_support.h"

#include "base.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The writer must never call umask(): reading the mask means setting it, and a file another
 * thread creates in that instant gets the wrong mode. This definition takes the place of the C
 * library's in the whole program (the base library included) and counts the calls. */
static atomic_int umask_calls;

mode_t umask(mode_t mask) {
    atomic_fetch_add(&umask_calls, 1);
    return (mode_t)syscall(SYS_umask, mask);
}

static void test_base_errors(void **state) {
    (void)state;
    ats_error err;
    assert_int_equal(ats_fail(&err, ATS_ERR_FORMAT, "%s: byte %d", "f.gguf", 12), ATS_ERR_FORMAT);
    assert_int_equal(err.status, ATS_ERR_FORMAT);
    assert_string_equal(err.message, "f.gguf: byte 12");
    assert_int_equal(ats_fail(NULL, ATS_ERR_IO, "ignored"), ATS_ERR_IO);
    ats_error_clear(&err);
    assert_int_equal(err.status, ATS_OK);
    assert_string_equal(err.message, "");
    assert_string_equal(ats_status_name(ATS_ERR_UNSUPPORTED), "unsupported");
    assert_string_equal(ats_status_name(ATS_OK), "ok");
}

static void test_base_clock_is_monotonic(void **state) {
    (void)state;
    double last = ats_clock_ms();
    for (int i = 0; i < 100000; i++) {
        double now = ats_clock_ms();
        assert_true(now >= last);
        last = now;
    }
}

/* ---- modes of new files ------------------------------------------------------------------------
 */

typedef struct mode_job {
    const char *dir;
    int index;
    int wrong; /* files whose mode was not 0640 */
    int failed;
} mode_job;

enum { MODE_FILES = 300 };

static void *write_files(void *arg) {
    mode_job *job = arg;
    char path[4096];
    for (int i = 0; i < MODE_FILES; i++) {
        snprintf(path, sizeof path, "%s/t%d-%d", job->dir, job->index, i);
        if (ats_write_file_atomic(path, "x", 1, NULL) != ATS_OK) {
            job->failed++;
            continue;
        }
        struct stat st;
        if (stat(path, &st) != 0 || (st.st_mode & 0777) != 0640)
            job->wrong++;
    }
    return NULL;
}

/* Two threads create files at once under umask 027: every file is 0640, and the umask is still
 * 027 afterwards (reading the umask by setting it would let one thread see the other's value). */
static void test_base_new_files_get_the_umask_mode_while_threads_write(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    atomic_store(&umask_calls, 0);
    mode_t old = umask(027);
    mode_job jobs[2] = {{dir, 0, 0, 0}, {dir, 1, 0, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, write_files, &jobs[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    mode_t after = umask(old);
    assert_int_equal(after, 027);
    assert_int_equal(atomic_load(&umask_calls), 2); /* this test's own two */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(jobs[i].failed, 0);
        assert_int_equal(jobs[i].wrong, 0);
    }
    assert_int_equal(ats_count_entries(dir), 2 * MODE_FILES); /* no temporary left */
    ats_rmtree(dir);
    free(dir);
}

static void test_base_temp_file_gets_the_umask_mode(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/t-XXXXXX", dir);
    atomic_store(&umask_calls, 0);
    mode_t old = umask(077);
    FILE *f;
    int e = ats_temp_file_open(tmp, &f);
    umask(old);
    assert_int_equal(e, 0);
    assert_int_equal(fwrite("abc", 1, 3, f), 3);
    e = ats_temp_file_close(f);
    assert_int_equal(atomic_load(&umask_calls), 2); /* this test's own two */
    assert_int_equal(e, 0);
    assert_null(strstr(tmp, "XXXXXX"));
    struct stat st;
    assert_int_equal(stat(tmp, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 3);
    snprintf(tmp, sizeof tmp, "%s/no-template", dir);
    assert_int_equal(ats_temp_file_open(tmp, &f), EINVAL);
    assert_null(f);
    ats_rmtree(dir);
    free(dir);
}

/* ---- what kind of file the target is ------------------------------------------------------- */

static void test_base_symlink_stays_a_link(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char real[4096], link_path[4096];
    snprintf(real, sizeof real, "%s/real.json", dir);
    snprintf(link_path, sizeof link_path, "%s/link.json", dir);
    ats_error err;
    assert_int_equal(ats_write_file_atomic(real, "old", 3, &err), ATS_OK);
    assert_int_equal(symlink("real.json", link_path), 0);
    assert_int_equal(ats_write_file_atomic(link_path, "new!", 4, &err), ATS_OK);
    struct stat st;
    assert_int_equal(lstat(link_path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char *got = ats_read_file(real, NULL);
    assert_string_equal(got, "new!");
    free(got);
    assert_int_equal(ats_count_entries(dir), 2);
    ats_rmtree(dir);
    free(dir);
}

/* Reads what is in a FIFO opened without blocking (the writer has closed it). */
static size_t drain(int fd, char *buf, size_t size) {
    size_t len = 0;
    ssize_t got;
    while (len < size && (got = read(fd, buf + len, size - len)) > 0)
        len += (size_t)got;
    return len;
}

/* The reading end is opened first (without blocking), so the writer's open finds a reader and
 * the bytes wait in the pipe; had the FIFO been replaced, nothing would arrive. */
static void test_base_fifo_is_written_directly(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char fifo[4096], buf[64];
    snprintf(fifo, sizeof fifo, "%s/pipe", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int fd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(fd >= 0);
    ats_error err;
    assert_int_equal(ats_write_file_atomic(fifo, "through the pipe", 16, &err), ATS_OK);
    size_t len = drain(fd, buf, sizeof buf);
    close(fd);
    assert_int_equal(len, 16);
    assert_memory_equal(buf, "through the pipe", 16);
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode)); /* not replaced by a regular file */
    assert_int_equal(ats_count_entries(dir), 1);
    ats_rmtree(dir);
    free(dir);
}

/* No ".null.tmp-*" in /dev: the device is written in place. */
static int dev_temporaries(void) {
    DIR *d = opendir("/dev");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strncmp(e->d_name, ".null.tmp-", 10) == 0;
    closedir(d);
    return n;
}

static void test_base_dev_null_stays_a_device(void **state) {
    (void)state;
    struct stat before, after;
    assert_int_equal(stat("/dev/null", &before), 0);
    assert_true(S_ISCHR(before.st_mode));
    int temporaries = dev_temporaries();
    ats_error err;
    assert_int_equal(ats_write_file_atomic("/dev/null", "gone", 4, &err), ATS_OK);
    ats_outfile out;
    assert_int_equal(ats_outfile_open(&out, "/dev/null", &err), ATS_OK);
    assert_null(out.tmp);
    fputs("also gone", out.f);
    assert_int_equal(ats_outfile_commit(&out, &err), ATS_OK);
    assert_int_equal(stat("/dev/null", &after), 0);
    assert_true(S_ISCHR(after.st_mode)); /* as root a rename would have replaced it */
    assert_int_equal(after.st_rdev, before.st_rdev);
    assert_int_equal(dev_temporaries(), temporaries);
}

static void test_base_dash_is_standard_output(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/stdout", dir);
    fflush(stdout);
    int saved = dup(1), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 1);
    close(fd);
    ats_error err;
    ats_status s = ats_write_file_atomic("-", "to stdout\n", 10, &err);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    assert_int_equal(s, ATS_OK);
    char *got = ats_read_file(path, NULL);
    assert_string_equal(got, "to stdout\n");
    free(got);
    assert_int_equal(ats_count_entries(dir), 1); /* and no file named "-" */
    ats_rmtree(dir);
    free(dir);
}

/* ---- failures ----------------------------------------------------------------------------------
 */

static void test_base_failures_leave_nothing(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char path[4096];
    ats_error err;
    snprintf(path, sizeof path, "%s/missing/a.json", dir);
    assert_int_equal(ats_write_file_atomic(path, "x", 1, &err), ATS_ERR_IO);
    assert_non_null(strstr(err.message, "missing/a.json"));
    assert_int_equal(ats_write_file_atomic("", "x", 1, &err), ATS_ERR_ARG);
    /* an abandoned output leaves no temporary, and keeps the old file */
    snprintf(path, sizeof path, "%s/kept", dir);
    assert_int_equal(ats_write_file_atomic(path, "old", 3, &err), ATS_OK);
    ats_outfile out;
    assert_int_equal(ats_outfile_open(&out, path, &err), ATS_OK);
    assert_non_null(out.tmp);
    fputs("half", out.f);
    ats_outfile_abort(&out);
    char *got = ats_read_file(path, NULL);
    assert_string_equal(got, "old");
    free(got);
    assert_int_equal(ats_count_entries(dir), 1);
    ats_rmtree(dir);
    free(dir);
}

/* A stream longer than the first buffer comes back whole, with a '\0' after it; a stream that
 * cannot be read gives EIO and no buffer. */
static void test_base_read_stream_reads_everything(void **state) {
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    const size_t n = 200000; /* past the first 64 KiB and one doubling */
    for (size_t i = 0; i < n; i++)
        fputc('a' + (int)(i % 26), f);
    rewind(f);
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(ats_read_stream(f, &buf, &len), 0);
    fclose(f);
    assert_int_equal(len, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(buf[i], 'a' + (int)(i % 26));
    assert_int_equal(buf[n], '\0');
    free(buf);

    FILE *w = fopen("/dev/null", "w"); /* open for writing only: reading fails */
    assert_non_null(w);
    buf = (char *)&len;
    assert_int_equal(ats_read_stream(w, &buf, &len), EIO);
    assert_null(buf);
    fclose(w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_errors),
        cmocka_unit_test(test_base_clock_is_monotonic),
        cmocka_unit_test(test_base_new_files_get_the_umask_mode_while_threads_write),
        cmocka_unit_test(test_base_temp_file_gets_the_umask_mode),
        cmocka_unit_test(test_base_symlink_stays_a_link),
        cmocka_unit_test(test_base_fifo_is_written_directly),
        cmocka_unit_test(test_base_dev_null_stays_a_device),
        cmocka_unit_test(test_base_dash_is_standard_output),
        cmocka_unit_test(test_base_failures_leave_nothing),
        cmocka_unit_test(test_base_read_stream_reads_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
