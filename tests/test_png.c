/* PNG writing: text chunks read back through libpng, pixels round-trip, the scale factor
 * re-draws at a larger size, and files are written atomically. */
#include "base.h"
#include "test_support.h"

#include "attnscope/render.h"

#include <dirent.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *TEXT = "na\xC3\xAFve \xE2\x86\x92 \xE6\xBC\xA2"; /* naïve → 漢 */

static void test_png_text_chunks_read_back(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/meta.png", dir);
    uint8_t pixels[3 * 2 * 4];
    for (int i = 0; i < 24; i++)
        pixels[i] = (uint8_t)(i * 10);
    ats_canvas c = ats_canvas_make(pixels, 3, 2, 12);
    ats_meta meta = {0};
    ats_meta_add(&meta, "Model", "builtin:demo");
    ats_meta_add(&meta, "Text", TEXT);
    ats_meta_add(&meta, "Layer", "1");
    uint8_t *png;
    size_t len;
    ats_error err;
    assert_int_equal(ats_png_encode(&c, &meta, &png, &len, &err), ATS_OK);
    assert_int_equal(ats_write_file_atomic(path, png, len, &err), ATS_OK);
    free(png);

    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    png_structp rd = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(rd);
    png_init_io(rd, f);
    png_read_png(rd, info, PNG_TRANSFORM_IDENTITY, NULL);
    png_textp texts;
    int n = 0;
    png_get_text(rd, info, &texts, &n);
    assert_int_equal(n, 3);
    for (int i = 0; i < n; i++) {
        assert_string_equal(texts[i].key, meta.key[i]);
        assert_string_equal(texts[i].text, meta.value[i]);
        /* ASCII as tEXt; other UTF-8 as iTXt */
        assert_int_equal(texts[i].compression, strcmp(texts[i].key, "Text") == 0
                                                   ? PNG_ITXT_COMPRESSION_NONE
                                                   : PNG_TEXT_COMPRESSION_NONE);
    }
    png_destroy_read_struct(&rd, &info, NULL);
    fclose(f);

    uint8_t *back;
    int w, h;
    assert_int_equal(ats_png_read(path, &back, &w, &h, &err), ATS_OK);
    assert_int_equal(w, 3);
    assert_int_equal(h, 2);
    assert_memory_equal(back, pixels, sizeof pixels);
    free(back);
    ats_rmtree(dir);
    free(dir);
}

static void test_png_scale_redraws_larger(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/scaled.png", dir);
    ats_dl *dl;
    assert_int_equal(ats_dl_new(30, 20, &dl), ATS_OK);
    ats_dl_rect(dl, 0, 0, 30, 20, 0, (ats_rgba){255, 255, 255, 255});
    ats_dl_line(dl, 0, 10, 30, 10, 1, ATS_CAP_BUTT, (ats_rgba){0, 0, 0, 255});
    ats_error err;
    assert_int_equal(ats_export_png(dl, NULL, 2, NULL, path, &err), ATS_OK);
    uint8_t *px;
    int w, h;
    assert_int_equal(ats_png_read(path, &px, &w, &h, &err), ATS_OK);
    assert_int_equal(w, 60);
    assert_int_equal(h, 40);
    /* the 1-unit line became 2 pixel rows (19 and 20), not a blurred enlargement */
    for (int y = 17; y < 23; y++)
        assert_int_equal(px[(y * 60 + 30) * 4], y == 19 || y == 20 ? 0 : 255);
    free(px);
    assert_int_equal(ats_export_png(dl, NULL, 100000, NULL, path, &err), ATS_ERR_ARG);
    ats_dl_free(dl);
    ats_rmtree(dir);
    free(dir);
}

static void test_png_atomic_write_leaves_nothing_on_failure(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), path[512];
    ats_error err;
    /* a missing folder */
    snprintf(path, sizeof path, "%s/missing/out.png", dir);
    assert_int_equal(ats_write_file_atomic(path, "x", 1, &err), ATS_ERR_IO);
    assert_non_null(strstr(err.message, path));
    /* a folder where the file should be: the rename fails and the temporary goes */
    snprintf(path, sizeof path, "%s/taken", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(ats_write_file_atomic(path, "x", 1, &err), ATS_ERR_IO);
    assert_int_equal(ats_count_entries(dir), 1);
    assert_int_equal(ats_count_entries(path), 0);
    /* a plain file as the folder */
    snprintf(path, sizeof path, "%s/plain", dir);
    assert_int_equal(ats_write_file_atomic(path, "data", 4, &err), ATS_OK);
    snprintf(path, sizeof path, "%s/plain/out.png", dir);
    assert_int_equal(ats_write_file_atomic(path, "x", 1, &err), ATS_ERR_IO);
    assert_int_equal(ats_count_entries(dir), 2);
    ats_rmtree(dir);
    free(dir);
}

static void test_png_atomic_write_replaces_and_sets_mode(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    ats_error err;
    mode_t old = umask(022);
    assert_int_equal(ats_write_file_atomic(path, "first", 5, &err), ATS_OK);
    assert_int_equal(ats_write_file_atomic(path, "second", 6, &err), ATS_OK);
    umask(old);
    FILE *f = fopen(path, "r");
    char buf[16] = {0};
    assert_int_equal(fread(buf, 1, sizeof buf - 1, f), 6);
    fclose(f);
    assert_string_equal(buf, "second");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(ats_count_entries(dir), 1);
    ats_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_text_chunks_read_back),
        cmocka_unit_test(test_png_scale_redraws_larger),
        cmocka_unit_test(test_png_atomic_write_leaves_nothing_on_failure),
        cmocka_unit_test(test_png_atomic_write_replaces_and_sets_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
