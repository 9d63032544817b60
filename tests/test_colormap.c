/* Colormaps: the published end colours, names, and the computed maps' properties. */
#include "test_support.h"

#include "attnscope/render.h"

#include <math.h>
#include <stdlib.h>

static void expect_rgb(ats_rgba c, int r, int g, int b, int tol, const char *what) {
    if (abs(c.r - r) > tol || abs(c.g - g) > tol || abs(c.b - b) > tol || c.a != 255)
        fail_msg("%s: got (%d, %d, %d, %d), expected (%d, %d, %d) within %d", what, c.r, c.g, c.b,
                 c.a, r, g, b, tol);
}

static void test_colormap_published_ends(void **state) {
    (void)state;
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_VIRIDIS, 0), 68, 1, 84, 0, "viridis 0");
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_VIRIDIS, 1), 253, 231, 37, 0, "viridis 1");
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_MAGMA, 0), 0, 0, 4, 0, "magma 0");
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_MAGMA, 1), 252, 253, 191, 0, "magma 1");
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_CIVIDIS, 0), 0, 34, 78, 0, "cividis 0");
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_CIVIDIS, 1), 254, 232, 56, 0, "cividis 1");
    /* viridis at 0.5 is table entry 127.5: between (33, 144, 141) and (33, 145, 140) */
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_VIRIDIS, 0.5f), 33, 144, 140, 1, "viridis 0.5");
}

static void test_colormap_computed_maps(void **state) {
    (void)state;
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_GREYS, 0), 255, 255, 255, 0, "greys 0");
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_GREYS, 1), 0, 0, 0, 0, "greys 1");
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_COOLWARM, 0), 0x3b, 0x4c, 0xc0, 1, "coolwarm 0");
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_COOLWARM, 0.5f), 0xdd, 0xdd, 0xdd, 1,
               "coolwarm .5");
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_COOLWARM, 1), 0xb4, 0x04, 0x26, 1, "coolwarm 1");
    assert_true(ats_colormap_is_diverging(ATS_COLORMAP_COOLWARM));
    assert_false(ats_colormap_is_diverging(ATS_COLORMAP_VIRIDIS));
    /* greys: neutral and strictly darker as t grows */
    int last = 256;
    for (int i = 0; i <= 32; i++) {
        ats_rgba c = ats_colormap_sample(ATS_COLORMAP_GREYS, (float)i / 32.0f);
        assert_int_equal(c.r, c.g);
        assert_int_equal(c.g, c.b);
        assert_true(c.r < last);
        last = c.r;
    }
    /* clamped outside [0, 1]; NaN is the low end */
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_VIRIDIS, -3), 68, 1, 84, 0, "viridis -3");
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_VIRIDIS, 7), 253, 231, 37, 0, "viridis 7");
    expect_rgb(ats_colormap_sample(ATS_COLORMAP_VIRIDIS, NAN), 68, 1, 84, 0, "viridis NaN");
}

static void test_colormap_names_round_trip(void **state) {
    (void)state;
    for (int i = 0; i < ATS_COLORMAP_COUNT; i++) {
        ats_colormap m;
        assert_true(ats_colormap_from_name(ats_colormap_name((ats_colormap)i), &m));
        assert_int_equal(m, i);
    }
    ats_colormap m;
    assert_true(ats_colormap_from_name("Magma", &m));
    assert_int_equal(m, ATS_COLORMAP_MAGMA);
    assert_true(ats_colormap_from_name("diverging", &m));
    assert_int_equal(m, ATS_COLORMAP_COOLWARM);
    assert_false(ats_colormap_from_name("jet", &m));
    assert_false(ats_colormap_from_name(NULL, &m));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colormap_published_ends),
        cmocka_unit_test(test_colormap_computed_maps),
        cmocka_unit_test(test_colormap_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
