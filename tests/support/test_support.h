/* Helpers shared by the cmocka tests: fixture paths, running the CLI, JSON files, and float
 * comparisons that report the first mismatch. */
#ifndef ATS_TEST_SUPPORT_H
#define ATS_TEST_SUPPORT_H

/* cmocka needs these before its header */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Absolute path of a file under ../shared (static buffer), or NULL when ../shared is absent. */
const char *ats_test_shared(const char *relative);

/* Declares `const char *var` as the fixture's path, or skips the current test with a message
 * when ../shared (or that file) is absent:  ATS_REQUIRE_SHARED(dir,
 * "fixtures/hf/tiny-random-gpt2"); */
#define ATS_REQUIRE_SHARED(var, rel)                                                               \
    char var[4096];                                                                                \
    do {                                                                                           \
        const char *found_ = ats_test_shared(rel);                                                 \
        if (!found_) {                                                                             \
            print_message("skipped: ../shared/%s is absent\n", rel);                               \
            skip();                                                                                \
        }                                                                                          \
        snprintf(var, sizeof var, "%s", found_);                                                   \
    } while (0)

/* The output of one CLI run. */
typedef struct ats_cli_result {
    int exit_code; /* -1 when the process died from a signal */
    char *out;     /* stdout, NUL-terminated */
    size_t out_len;
    char *err; /* stderr, NUL-terminated */
    size_t err_len;
} ats_cli_result;

/* Runs the attnscope binary with argv (NULL-terminated, without the program name), feeding
 * `input` (input_len bytes, may be NULL) on stdin. */
ats_cli_result ats_run_cli(const char *const *args, const char *input, size_t input_len);
/* The same for any program (a sample, a tool): `program` is its path. */
ats_cli_result ats_run_program(const char *program, const char *const *args, const char *input,
                               size_t input_len);
void ats_cli_result_free(ats_cli_result *r);

/* Number of lines in a NUL-terminated string (a final line without newline counts). */
int ats_count_lines(const char *s);

/* Parses a JSON file or string; fails the test on error. */
json_t *ats_load_json_file(const char *path);
json_t *ats_parse_json(const char *text);

/* Reads a JSON array of numbers (nested to any depth) into a flat array; returns the count. */
size_t ats_json_flatten(const json_t *array, float *out, size_t max);
/* A JSON array of token ids as a new int32 array (free it) of *n ids; fails the test when out of
 * memory. */
int32_t *ats_json_ids(const json_t *ids, int *n);

/* Fails the test naming `what` and the first index where |a - b| > tol. */
void ats_assert_close(const float *a, const float *b, size_t n, double tol, const char *what);

/* A whole file, NUL-terminated (malloc'd; *len gets its size when len is not NULL), or NULL when
 * it cannot be opened. */
char *ats_read_file(const char *path, size_t *len);

/* Entries in a folder other than . and .. (dot files count: a leftover temporary is one). */
int ats_count_entries(const char *dir);

/* Compares `len` bytes with the golden file `path` byte for byte. On a mismatch writes them to
 * <build>/tests/output/golden/<basename of path> and fails the test naming the first line that
 * differs. With ATS_UPDATE_GOLDEN=1 in the environment it rewrites the golden file instead. */
void ats_check_text_golden(const char *path, const char *bytes, size_t len);

/* Sleeps ms milliseconds (any thread). */
void ats_sleep_ms(int ms);

/* A temporary directory removed (with its files) by ats_rmtree. */
char *ats_make_temp_dir(void);
void ats_rmtree(const char *path);

#endif
