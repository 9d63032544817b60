/* The window's canvas: RGBA memory the app owns, resized with the window, filled by the draw
 * hook; the hit-test hook answers for the frame drawn last. */
#include "test_support.h"

#include "base.h"
#include "draw.h"
#include "frame.h"

#include <string.h>

static void test_app_frame_resize_and_fill(void **state) {
    (void)state;
    ats_frame f = {0};
    assert_false(ats_frame_resize(&f, 0, 10));
    assert_null(f.rgba);
    ats_frame_fill(&f, 1, 2, 3, 4); /* no pixels: nothing to do */
    assert_true(ats_frame_resize(&f, 3, 2));
    assert_int_equal(f.stride, 12);
    ats_frame_fill(&f, 10, 20, 30, 255);
    for (int i = 0; i < 6; i++) {
        const uint8_t *px = f.rgba + (i / 3) * f.stride + (i % 3) * 4;
        assert_int_equal(px[0], 10); /* R G B A byte order, what SDL_PIXELFORMAT_RGBA32 reads */
        assert_int_equal(px[1], 20);
        assert_int_equal(px[2], 30);
        assert_int_equal(px[3], 255);
    }
    uint8_t *same = f.rgba;
    assert_true(ats_frame_resize(&f, 3, 2)); /* same size keeps the memory */
    assert_ptr_equal(f.rgba, same);
    assert_true(ats_frame_resize(&f, 640, 400));
    assert_int_equal(f.width, 640);
    assert_int_equal(f.height, 400);
    ats_frame_free(&f);
    assert_null(f.rgba);
    ats_frame_free(&f);
}

static void test_app_frame_draw_hook(void **state) {
    (void)state;
    ats_app_config cfg = {0};
    ats_error err;
    ats_app *app;
    assert_int_equal(ats_app_new(&cfg, ats_clock_ms(), &app, &err), ATS_OK);
    ats_frame f = {.scale = 2.0f};
    assert_true(ats_frame_resize(&f, 200, 100));
    memset(f.rgba, 0, (size_t)f.stride * f.height);
    ats_app_draw(app, &f);
    /* every pixel painted, opaque */
    for (int y = 0; y < f.height; y++)
        for (int x = 0; x < f.width; x++)
            assert_int_equal(f.rgba[(size_t)y * f.stride + 4 * x + 3], 255);
    ats_app_hit hit = ats_app_hit_test(app, &f, 2, 2); /* the margin around the cards */
    assert_int_equal(hit.kind, ATS_APP_HIT_NONE);
    ats_frame_free(&f);
    ats_app_free(app);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_frame_resize_and_fill),
        cmocka_unit_test(test_app_frame_draw_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
