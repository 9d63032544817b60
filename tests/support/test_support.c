#define _XOPEN_SOURCE 700
#include "test_support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *ats_test_shared(const char *relative) {
    static char path[4096];
    struct stat st;
    if (stat(ATS_SHARED_DIR, &st) != 0)
        return NULL;
    snprintf(path, sizeof path, "%s/%s", ATS_SHARED_DIR, relative);
    if (stat(path, &st) != 0)
        return NULL;
    return path;
}

static char *slurp_fd(int fd, size_t *len) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    lseek(fd, 0, SEEK_SET);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t got = read(fd, buf + n, cap - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int temp_fd(void) {
    char name[] = "/tmp/ats-test-XXXXXX";
    int fd = mkstemp(name);
    assert_true(fd >= 0);
    unlink(name);
    return fd;
}

ats_cli_result ats_run_cli(const char *const *args, const char *input, size_t input_len) {
    return ats_run_program(ATS_CLI_PATH, args, input, input_len);
}

ats_cli_result ats_run_program(const char *program, const char *const *args, const char *input,
                               size_t input_len) {
    int in_fd = temp_fd(), out_fd = temp_fd(), err_fd = temp_fd();
    if (input && input_len)
        assert_int_equal(write(in_fd, input, input_len), (ssize_t)input_len);
    lseek(in_fd, 0, SEEK_SET);

    int argc = 0;
    while (args[argc])
        argc++;
    char **argv = calloc((size_t)argc + 2, sizeof *argv);
    assert_non_null(argv);
    argv[0] = (char *)program;
    for (int i = 0; i < argc; i++)
        argv[i + 1] = (char *)args[i];

    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in_fd, 0);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        execv(program, argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    free(argv);
    ats_cli_result r = {0};
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp_fd(out_fd, &r.out_len);
    r.err = slurp_fd(err_fd, &r.err_len);
    close(in_fd);
    close(out_fd);
    close(err_fd);
    return r;
}

void ats_cli_result_free(ats_cli_result *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

int ats_count_lines(const char *s) {
    int n = 0;
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n')
            n++;
    if (len > 0 && s[len - 1] != '\n')
        n++;
    return n;
}

json_t *ats_load_json_file(const char *path) {
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j)
        fail_msg("%s: JSON error at line %d: %s", path, e.line, e.text);
    return j;
}

json_t *ats_parse_json(const char *text) {
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("JSON error at line %d column %d: %s", e.line, e.column, e.text);
    return j;
}

static size_t flatten(const json_t *v, float *out, size_t max, size_t n) {
    if (json_is_array(v)) {
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item) n = flatten(item, out, max, n);
        return n;
    }
    if (json_is_number(v)) {
        if (n < max)
            out[n] = (float)json_number_value(v);
        return n + 1;
    }
    fail_msg("expected a number in a JSON array");
    return n;
}

size_t ats_json_flatten(const json_t *array, float *out, size_t max) {
    return flatten(array, out, max, 0);
}

int32_t *ats_json_ids(const json_t *ids, int *n) {
    *n = (int)json_array_size(ids);
    int32_t *out = calloc((size_t)*n + 1, sizeof *out);
    assert_non_null(out);
    for (int i = 0; i < *n; i++)
        out[i] = (int32_t)json_integer_value(json_array_get(ids, (size_t)i));
    return out;
}

void ats_assert_close(const float *a, const float *b, size_t n, double tol, const char *what) {
    double worst = 0;
    size_t worst_i = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= worst) || isnan(d)) {
            worst = isnan(d) ? INFINITY : d;
            worst_i = i;
        }
    }
    if (worst > tol)
        fail_msg("%s: element %zu differs by %g (got %.9g, expected %.9g; tolerance %g)", what,
                 worst_i, worst, (double)a[worst_i], (double)b[worst_i], tol);
}

char *ats_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

int ats_count_entries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

char *ats_make_temp_dir(void) {
    char *dir = strdup("/tmp/ats-test-dir-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void ats_rmtree(const char *path) {
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Line number (from 1) of the first difference between a and b. */
static int first_different_line(const char *a, size_t na, const char *b, size_t nb) {
    int line = 1;
    for (size_t i = 0; i < na && i < nb && a[i] == b[i]; i++)
        line += a[i] == '\n';
    return line;
}

void ats_check_text_golden(const char *path, const char *bytes, size_t len) {
    const char *update = getenv("ATS_UPDATE_GOLDEN");
    if (update && strcmp(update, "1") == 0) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(bytes, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
        print_message("updated %s (%zu bytes)\n", path, len);
        return;
    }
    size_t want_len = 0;
    char *want = ats_read_file(path, &want_len);
    if (want && want_len == len && memcmp(want, bytes, len) == 0) {
        free(want);
        return;
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char actual[4096];
    mkdir(ATS_TEST_OUTPUT_DIR, 0755);
    mkdir(ATS_TEST_OUTPUT_DIR "/golden", 0755);
    snprintf(actual, sizeof actual, "%s/golden/%s", ATS_TEST_OUTPUT_DIR, base);
    FILE *f = fopen(actual, "wb");
    if (f) {
        fwrite(bytes, 1, len, f);
        fclose(f);
    }
    int line = want ? first_different_line(want, want_len, bytes, len) : 0;
    free(want);
    if (line)
        fail_msg("%s: the output differs from line %d on (%zu bytes, golden %zu)\nactual: %s\n"
                 "(ATS_UPDATE_GOLDEN=1 rewrites the golden file after an intended change)",
                 path, line, len, want_len, actual);
    fail_msg("%s: cannot read the golden file\nactual: %s (ATS_UPDATE_GOLDEN=1 creates it)", path,
             actual);
}

void ats_sleep_ms(int ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}
