/* The samples (samples/<name>.c) built and run as a reader of the README would run them, with no
 * arguments in an empty folder, and what they produce compared with what is committed beside
 * them: samples/<name>.txt is the sample's standard output (byte for byte), samples/<name>.png
 * the image it writes into the current folder (exactly, as the golden images are compared). A
 * sample with neither beside it fails: every sample shows what it makes.
 *
 * After an intended change:  ATS_UPDATE_GOLDEN=1 ./build/default/tests/test_samples rewrites the
 * committed outputs (look at them before committing). */
#include "golden_image.h"
#include "test_support.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* Runs sample `name` in a fresh folder and compares its outputs; false with `why` on a
 * mismatch. */
static bool check_sample(const char *name, char *why, size_t why_size) {
    char program[4096], txt[4096], png[4096], here[4096], made[4200];
    snprintf(program, sizeof program, "%s/%s", ATS_SAMPLES_BIN_DIR, name);
    snprintf(txt, sizeof txt, "%s/samples/%s.txt", ATS_SOURCE_DIR, name);
    snprintf(png, sizeof png, "%s/samples/%s.png", ATS_SOURCE_DIR, name);
    if (!exists(txt) && !exists(png)) {
        snprintf(why, why_size, "samples/%s.c: neither %s.txt nor %s.png beside it", name, name,
                 name);
        return false;
    }
    char *dir = ats_make_temp_dir();
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(dir), 0);
    ats_cli_result r = ats_run_program(program, (const char *const[]){NULL}, NULL, 0);
    assert_int_equal(chdir(here), 0);
    bool ok = r.exit_code == 0;
    if (!ok)
        snprintf(why, why_size, "%s exited with %d: %.2000s", name, r.exit_code, r.err);
    if (ok && exists(txt))
        ats_check_text_golden(txt, r.out, r.out_len);
    snprintf(made, sizeof made, "%s/%s.png", dir, name);
    if (ok && exists(png)) {
        uint8_t *px;
        int w, h;
        ats_error err;
        if (ats_png_read(made, &px, &w, &h, &err) != ATS_OK) {
            snprintf(why, why_size, "%s: %s", name, err.message);
            ok = false;
        } else {
            char name_png[300];
            snprintf(name_png, sizeof name_png, "sample-%s", name);
            ok = golden_image_check(png, name_png, px, w, h, why, why_size);
            free(px);
        }
    }
    ats_cli_result_free(&r);
    ats_rmtree(dir);
    free(dir);
    return ok;
}

static void test_samples_match_their_outputs(void **state) {
    (void)state;
    DIR *d = opendir(ATS_SOURCE_DIR "/samples");
    assert_non_null(d);
    int checked = 0, failed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0)
            continue;
        char name[256], why[4096];
        snprintf(name, sizeof name, "%.*s", (int)(n - 2), e->d_name);
        checked++;
        if (!check_sample(name, why, sizeof why)) {
            print_error("%s\n", why);
            failed++;
        }
    }
    closedir(d);
    assert_true(checked >= 2);
    if (failed)
        fail_msg("%d of %d samples differ from their committed output", failed, checked);
    print_message("%d samples match their committed output\n", checked);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_match_their_outputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
