/* `attnscope dump --format npy|csv` checked against `--format json`: the NPY is float32
 * (L, H, T, T) with a valid version 1.0 header, and the CSV is one head with the token pieces as
 * header row and first column, quoted per RFC 4180. Where -o goes: "-" is standard output, a FIFO
 * and /dev/null are written in place (never replaced by a regular file), a symbolic link stays a
 * link to the file that gets the dump. */
#include "test_support.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AWKWARD "He said, \"hi\" it's x,y"

static json_t *dump_json(const char *text, const char *layer, const char *head) {
    const char *args[12] = {"dump", "--text", text, "--format", "json"};
    int n = 5;
    if (layer) {
        args[n++] = "--layer";
        args[n++] = layer;
    }
    if (head) {
        args[n++] = "--head";
        args[n++] = head;
    }
    args[n] = NULL;
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    json_t *j = ats_parse_json(r.out);
    ats_cli_result_free(&r);
    return j;
}

static void test_cli_dump_npy_matches_json(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/a.npy", dir);
    const char *args[] = {"dump", "--text", AWKWARD, "--format", "npy", "-o", path, NULL};
    mode_t old = umask(022);
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    umask(old);
    assert_int_equal(r.exit_code, 0);
    ats_cli_result_free(&r);
    struct stat st; /* a normal file, not mkstemp's private 0600 */
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);

    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    /* magic, version 1.0, little-endian header length; header + preamble a multiple of 64 */
    assert_memory_equal(buf, "\x93NUMPY\x01\x00", 8);
    size_t hl = buf[8] | (size_t)buf[9] << 8;
    assert_int_equal((10 + hl) % 64, 0);
    assert_int_equal(buf[10 + hl - 1], '\n');
    char header[256] = {0};
    memcpy(header, buf + 10, hl < 255 ? hl : 255);
    assert_non_null(strstr(header, "'descr': '<f4'"));
    assert_non_null(strstr(header, "'fortran_order': False"));
    int L, H, T, T2;
    const char *shape = strstr(header, "'shape': (");
    assert_non_null(shape);
    assert_int_equal(sscanf(shape, "'shape': (%d, %d, %d, %d)", &L, &H, &T, &T2), 4);
    assert_int_equal(T, T2);
    size_t count = (size_t)L * H * T * T;
    assert_int_equal(len, 10 + hl + 4 * count);

    json_t *j = dump_json(AWKWARD, NULL, NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "model"), "n_layer")),
                     L);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "model"), "n_head")), H);
    assert_int_equal(json_array_size(json_object_get(j, "tokens")), (size_t)T);
    float *want = malloc(count * sizeof *want), *got = malloc(count * sizeof *got);
    assert_int_equal(ats_json_flatten(json_object_get(j, "attentions"), want, count), count);
    memcpy(got, buf + 10 + hl, count * sizeof *got); /* '<f4' is this machine's order */
    ats_assert_close(got, want, count, 0.0, "npy vs json");
    free(want);
    free(got);
    json_decref(j);
    ats_rmtree(dir);
    free(dir);
}

/* Minimal RFC 4180 reader: the fields of one record starting at *p; advances past its CRLF. */
static int csv_record(const char **p, char fields[][64], int max) {
    int n = 0;
    const char *s = *p;
    for (;;) {
        char *out = fields[n];
        size_t k = 0;
        if (*s == '"') {
            for (s++; *s; s++) {
                if (*s == '"' && s[1] == '"')
                    out[k++] = *s++;
                else if (*s == '"')
                    break;
                else
                    out[k++] = *s;
            }
            assert_int_equal(*s, '"');
            s++;
        } else {
            while (*s && *s != ',' && *s != '\r' && *s != '\n')
                out[k++] = *s++;
        }
        out[k] = '\0';
        n++;
        if (*s == ',' && n < max) {
            s++;
            continue;
        }
        assert_true(s[0] == '\r' && s[1] == '\n');
        *p = s + 2;
        return n;
    }
}

static void test_cli_dump_csv_one_head_quoted(void **state) {
    (void)state;
    const char *args[] = {"dump",    "--text", AWKWARD,  "--format", "csv",
                          "--layer", "1",      "--head", "2",        NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    json_t *j = dump_json(AWKWARD, "1", "2");
    json_t *tokens = json_object_get(j, "tokens");
    int T = (int)json_array_size(tokens);
    float *want = malloc(sizeof(float) * T * T);
    assert_int_equal(ats_json_flatten(json_object_get(j, "attentions"), want, (size_t)T * T),
                     (size_t)T * T);

    static char fields[128][64];
    const char *p = r.out;
    assert_int_equal(csv_record(&p, fields, 128), T + 1);
    for (int k = 0; k < T; k++)
        assert_string_equal(fields[k + 1],
                            json_string_value(json_object_get(json_array_get(tokens, k), "piece")));
    for (int q = 0; q < T; q++) {
        assert_int_equal(csv_record(&p, fields, 128), T + 1);
        assert_string_equal(fields[0],
                            json_string_value(json_object_get(json_array_get(tokens, q), "piece")));
        for (int k = 0; k < T; k++)
            assert_true(strtof(fields[k + 1], NULL) == want[q * T + k]);
    }
    assert_int_equal(*p, '\0');
    /* the awkward pieces really were quoted */
    assert_non_null(strstr(r.out, ",\",\","));
    assert_non_null(strstr(r.out, ",\"\"\"\","));
    free(want);
    json_decref(j);
    ats_cli_result_free(&r);
}

/* The CSV of head 0 0 as `-o -` writes it to standard output. */
static char *csv_to_stdout(size_t *len) {
    const char *args[] = {"dump",   "--text", "The cat sat.", "--format", "csv", "--layer", "0",
                          "--head", "0",      "-o",           "-",        NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "query\\key,The,cat,sat,.\r\n"));
    char *out = r.out;
    *len = r.out_len;
    r.out = NULL;
    ats_cli_result_free(&r);
    return out;
}

static void test_cli_dump_output_targets(void **state) {
    (void)state;
    size_t want_len;
    char *want = csv_to_stdout(&want_len);
    char *dir = ats_make_temp_dir(), fifo[512], real[512], link_path[512];
    /* a FIFO: its reading end opened first (without blocking), so the dump lands in the pipe */
    snprintf(fifo, sizeof fifo, "%s/pipe", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int fd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(fd >= 0);
    const char *to_fifo[] = {"dump",   "--text", "The cat sat.", "--format", "csv", "--layer", "0",
                             "--head", "0",      "-o",           fifo,       NULL};
    ats_cli_result r = ats_run_cli(to_fifo, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    ats_cli_result_free(&r);
    char got[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof got && (n = read(fd, got + len, sizeof got - len)) > 0)
        len += (size_t)n;
    close(fd);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, want, len);
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    /* /dev/null: written, and still the device (as root a rename would replace it) */
    struct stat before, after;
    assert_int_equal(stat("/dev/null", &before), 0);
    const char *to_null[] = {"dump", "--text", "The cat sat.", "-o", "/dev/null", NULL};
    r = ats_run_cli(to_null, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    ats_cli_result_free(&r);
    assert_int_equal(stat("/dev/null", &after), 0);
    assert_true(S_ISCHR(after.st_mode));
    assert_int_equal(after.st_rdev, before.st_rdev);
    /* a symbolic link: the file it points to gets the dump, the link stays */
    snprintf(real, sizeof real, "%s/real.csv", dir);
    snprintf(link_path, sizeof link_path, "%s/link.csv", dir);
    FILE *f = fopen(real, "w");
    fputs("old", f);
    fclose(f);
    assert_int_equal(symlink("real.csv", link_path), 0);
    const char *to_link[] = {"dump",   "--text", "The cat sat.", "--format", "csv", "--layer", "0",
                             "--head", "0",      "-o",           link_path,  NULL};
    r = ats_run_cli(to_link, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    ats_cli_result_free(&r);
    assert_int_equal(lstat(link_path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    char *file = ats_read_file(real, &len);
    assert_int_equal(len, want_len);
    assert_memory_equal(file, want, len);
    free(file);
    assert_int_equal(ats_count_entries(dir), 3); /* no temporary left */
    ats_rmtree(dir);
    free(dir);
    free(want);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_dump_npy_matches_json),
        cmocka_unit_test(test_cli_dump_csv_one_head_quoted),
        cmocka_unit_test(test_cli_dump_output_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
