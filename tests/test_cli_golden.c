/* Text goldens: what `attnscope dump --format json`, `dump --format csv`, `info` and
 * `info --json` print for builtin:demo, compared byte for byte with tests/golden/cli-*.
 *
 * The numbers depend on the order in which the BLAS sums: OpenBLAS picks a kernel for the CPU,
 * and the kernels round differently in the last digits. The program runs here with OpenBLAS's
 * baseline x86-64 kernel (OPENBLAS_CORETYPE=Prescott, which every x86-64 CPU runs) on one thread,
 * so the files are the same on every x86-64 machine; elsewhere the numeric files are skipped.
 *
 * After an intended change of the output:  ATS_UPDATE_GOLDEN=1
 * ./build/default/tests/test_cli_golden (then read the diff before committing). */
#include "test_support.h"

#include <stdlib.h>

#define TEXT "The cat sat on the mat because it was warm."

static void check(const char *const *args, const char *golden) {
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    if (r.exit_code != 0)
        fail_msg("%s exited with %d: %s", args[0], r.exit_code, r.err);
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/%s", ATS_SOURCE_DIR, golden);
    ats_check_text_golden(path, r.out, r.out_len);
    ats_cli_result_free(&r);
}

static void numbers_reproducible(void) {
#if defined(__x86_64__)
    setenv("OPENBLAS_CORETYPE", "Prescott", 1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
#else
    print_message("skipped: the numeric goldens are made with OpenBLAS's x86-64 baseline kernel\n");
    skip();
#endif
}

static void test_cli_golden_dump_json(void **state) {
    (void)state;
    numbers_reproducible();
    check((const char *const[]){"dump", "--text", TEXT, "--format", "json", NULL},
          "cli-dump-demo.json");
}

static void test_cli_golden_dump_csv(void **state) {
    (void)state;
    numbers_reproducible();
    check((const char *const[]){"dump", "--text", TEXT, "--format", "csv", "--layer", "1", "--head",
                                "2", NULL},
          "cli-dump-demo-L1H2.csv");
}

static void test_cli_golden_info(void **state) {
    (void)state;
    check((const char *const[]){"info", NULL}, "cli-info-demo.txt");
    check((const char *const[]){"info", "--json", NULL}, "cli-info-demo.json");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_golden_dump_json),
        cmocka_unit_test(test_cli_golden_dump_csv),
        cmocka_unit_test(test_cli_golden_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
