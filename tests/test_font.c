/* Fonts: fontconfig finds DejaVu Sans, texts measure sensibly, missing glyphs get boxes, bad
 * files are refused with a clear message, and long texts are cut with an ellipsis. */
#include "test_support.h"

#include "attnscope/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_font_default_is_dejavu(void **state) {
    (void)state;
    ats_font *font;
    ats_error err;
    assert_int_equal(ats_font_open(NULL, &font, &err), ATS_OK);
    assert_string_equal(ats_font_family(font), "DejaVu Sans");
    assert_int_equal(access(ats_font_path(font), R_OK), 0);
    float a, d;
    ats_font_metrics(font, 20, &a, &d);
    assert_true(a > 14 && a < 22);
    assert_true(d > 2 && d < 8);
    ats_font_free(font);
    ats_font_free(NULL);
}

static void test_font_measure_grows(void **state) {
    (void)state;
    ats_font *font;
    ats_error err;
    assert_int_equal(ats_font_open(NULL, &font, &err), ATS_OK);
    float a = ats_font_measure(font, "a", 13, false);
    float ab = ats_font_measure(font, "ab", 13, false);
    float big = ats_font_measure(font, "attention", 26, false);
    float small = ats_font_measure(font, "attention", 13, false);
    assert_true(a > 3 && ab > a);
    assert_true(ats_font_measure(font, "attention", 13, true) >= small);
    assert_true(fabsf(big - 2 * small) < 0.1f * big);
    assert_true(ats_font_measure(font, "", 13, false) == 0);
    /* covered scripts measure as glyphs; a missing glyph, a control character and invalid
     * UTF-8 as boxes of one width */
    assert_true(ats_font_measure(font, "\xCE\xB1\xCE\xB2\xCE\xB3", 13, false) > 10);
    float box = ats_font_measure(font, "\x01", 13, false);
    assert_true(box > 4);
    assert_true(ats_font_measure(font, "\xFF", 13, false) == box);
    /* zero-width joiners and variation selectors take no room */
    assert_true(ats_font_measure(font, "a\xE2\x80\x8D", 13, false) == a);
    ats_font_free(font);
}

/* Glyphs DejaVu Sans lacks come from the faces fontconfig finds (scripts/setup.sh installs Noto
 * CJK, Noto and Symbola): Chinese, Japanese, Korean, emoji, symbols and Indic text are glyphs
 * of their own widths, never boxes; right-to-left text keeps its width whatever its order. */
static void test_font_fallback_not_boxes(void **state) {
    (void)state;
    ats_font *font;
    ats_error err;
    assert_int_equal(ats_font_open(NULL, &font, &err), ATS_OK);
    float box = ats_font_measure(font, "\x01", 20, false);
    static const char *const ONE_GLYPH[] = {
        "\xE6\xBC\xA2",     /* 漢 */
        "\xE3\x81\x82",     /* あ */
        "\xED\x95\x9C",     /* 한 */
        "\xF0\x9F\x98\x80", /* 😀 */
        "\xE2\x9C\x93",     /* ✓ */
        "\xE0\xA4\x95",     /* क */
    };
    for (size_t i = 0; i < sizeof ONE_GLYPH / sizeof ONE_GLYPH[0]; i++) {
        float w = ats_font_measure(font, ONE_GLYPH[i], 20, false);
        if (!(w > 0 && fabsf(w - box) > 0.5f))
            fail_msg("%s measures %.2f, a box is %.2f", ONE_GLYPH[i], (double)w, (double)box);
    }
    /* a CJK ideograph is about an em wide, wider than a box */
    assert_true(ats_font_measure(font, "\xE6\xBC\xA2", 20, false) > 16);
    /* Arabic and Hebrew in DejaVu: glyphs, and a longer word measures longer */
    float he = ats_font_measure(font, "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D", 20, false);
    assert_true(he > 2 * box);
    assert_true(ats_font_measure(font, "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7", 20, false) >
                2 * box);
    ats_font_free(font);
}

static void test_font_bad_files_refused(void **state) {
    (void)state;
    ats_font *font = (ats_font *)1;
    ats_error err;
    ats_status s = ats_font_open("/nonexistent/font.ttf", &font, &err);
    assert_int_equal(s, ATS_ERR_IO);
    assert_null(font);
    assert_non_null(strstr(err.message, "/nonexistent/font.ttf"));
    char path[] = "/tmp/ats-font-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not a font at all", 17), 17);
    close(fd);
    assert_int_equal(ats_font_open(path, &font, &err), ATS_ERR_FORMAT);
    assert_non_null(strstr(err.message, path));
    unlink(path);
}

static void test_font_given_file_used(void **state) {
    (void)state;
    ats_font *def, *font;
    ats_error err;
    assert_int_equal(ats_font_open(NULL, &def, &err), ATS_OK);
    assert_int_equal(ats_font_open(ats_font_path(def), &font, &err), ATS_OK);
    assert_string_equal(ats_font_path(font), ats_font_path(def));
    /* bold is synthesised from the one file: still wider than regular */
    assert_true(ats_font_measure(font, "attention", 13, true) >
                ats_font_measure(font, "attention", 13, false));
    ats_font_free(font);
    ats_font_free(def);
}

static void test_font_long_text_elided(void **state) {
    (void)state;
    ats_font *font;
    ats_error err;
    assert_int_equal(ats_font_open(NULL, &font, &err), ATS_OK);
    ats_dl *dl;
    assert_int_equal(ats_dl_new(300, 40, &dl), ATS_OK);
    ats_text_style ts = {
        .size = 14, .color = {0, 0, 0, 255}, .valign = ATS_VALIGN_TOP, .max_width = 80};
    assert_int_equal(ats_dl_text(dl, font, 10, 5, "a rather long token label", &ts), ATS_OK);
    uint8_t *pixels = malloc(300 * 40 * 4);
    ats_canvas c = ats_canvas_make(pixels, 300, 40, 300 * 4);
    ats_canvas_fill(c, (ats_rgba){255, 255, 255, 255});
    assert_int_equal(ats_render_draw(&c, dl, font, 1, &err), ATS_OK);
    int rightmost = 0;
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 300; x++)
            if (pixels[(y * 300 + x) * 4] < 250)
                rightmost = x > rightmost ? x : rightmost;
    assert_true(rightmost > 60);       /* something was drawn */
    assert_true(rightmost <= 10 + 81); /* and it ends within the width */
    free(pixels);
    ats_dl_free(dl);
    ats_font_free(font);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_font_default_is_dejavu),
        cmocka_unit_test(test_font_measure_grows),
        cmocka_unit_test(test_font_fallback_not_boxes),
        cmocka_unit_test(test_font_bad_files_refused),
        cmocka_unit_test(test_font_given_file_used),
        cmocka_unit_test(test_font_long_text_elided),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
