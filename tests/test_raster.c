/* The rasterizer on simple shapes whose pixels can be worked out by hand. */
#include "test_support.h"

#include "attnscope/render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const ats_rgba WHITE = {255, 255, 255, 255}, BLACK = {0, 0, 0, 255};
static const ats_rgba RED = {255, 0, 0, 255};

typedef struct fixture {
    ats_canvas c;
    ats_dl *dl;
    ats_font *font;
} fixture;

static void open_canvas(fixture *f, int w, int h) {
    memset(f, 0, sizeof *f);
    f->c = ats_canvas_make(malloc((size_t)w * h * 4), w, h, w * 4);
    assert_non_null(f->c.pixels);
    ats_canvas_fill(f->c, WHITE);
    assert_int_equal(ats_dl_new((float)w, (float)h, &f->dl), ATS_OK);
}

static void close_canvas(fixture *f) {
    free(f->c.pixels);
    ats_dl_free(f->dl);
    ats_font_free(f->font);
}

static void draw(fixture *f, float scale) {
    ats_error err;
    if (ats_render_draw(&f->c, f->dl, f->font, scale, &err) != ATS_OK)
        fail_msg("draw: %s", err.message);
}

static const uint8_t *px(const fixture *f, int x, int y) {
    return f->c.pixels + (size_t)y * f->c.stride + (size_t)x * 4;
}

#define assert_px(f, x, y, R, G, B)                                                                \
    do {                                                                                           \
        const uint8_t *p_ = px(f, x, y);                                                           \
        if (p_[0] != (R) || p_[1] != (G) || p_[2] != (B))                                          \
            fail_msg("pixel (%d, %d) is (%d, %d, %d), expected (%d, %d, %d)", x, y, p_[0], p_[1],  \
                     p_[2], R, G, B);                                                              \
    } while (0)

/* Counts pixels that are not white inside [x0, x1) x [y0, y1). */
static int inked(const fixture *f, int x0, int y0, int x1, int y1) {
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const uint8_t *p = px(f, x, y);
            n += p[0] != 255 || p[1] != 255 || p[2] != 255;
        }
    return n;
}

static void test_raster_rect_whole_pixels(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 8, 8);
    assert_int_equal(ats_dl_rect(f.dl, 2, 3, 3, 2, 0, RED), ATS_OK);
    draw(&f, 1);
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++)
            if (x >= 2 && x < 5 && y >= 3 && y < 5)
                assert_px(&f, x, y, 255, 0, 0);
            else
                assert_px(&f, x, y, 255, 255, 255);
    close_canvas(&f);
}

static void test_raster_rect_half_pixel_edges(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 6, 4);
    /* [0.5, 3.5] x [1, 2]: pixels 0 and 3 half covered, 1 and 2 fully */
    assert_int_equal(ats_dl_rect(f.dl, 0.5f, 1, 3, 1, 0, BLACK), ATS_OK);
    draw(&f, 1);
    assert_px(&f, 0, 1, 128, 128, 128);
    assert_px(&f, 1, 1, 0, 0, 0);
    assert_px(&f, 2, 1, 0, 0, 0);
    assert_px(&f, 3, 1, 128, 128, 128);
    assert_px(&f, 4, 1, 255, 255, 255);
    assert_px(&f, 1, 0, 255, 255, 255);
    assert_px(&f, 1, 2, 255, 255, 255);
    close_canvas(&f);
}

static void test_raster_alpha_blends_over(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 4, 4);
    ats_dl_rect(f.dl, 0, 0, 4, 4, 0, (ats_rgba){0, 0, 255, 128}); /* blue at 128/255 */
    ats_dl_rect(f.dl, 0, 0, 2, 4, 0, (ats_rgba){255, 0, 0, 255}); /* opaque red over it */
    draw(&f, 1);
    /* 255 + (0 - 255) * 128/255 = 127; blue 255 */
    assert_px(&f, 3, 0, 127, 127, 255);
    assert_px(&f, 0, 0, 255, 0, 0);
    /* onto a transparent canvas the colour keeps its own alpha */
    memset(f.c.pixels, 0, 4 * 4 * 4);
    ats_dl_reset(f.dl, 4, 4);
    ats_dl_rect(f.dl, 0, 0, 4, 4, 0, (ats_rgba){10, 20, 30, 100});
    draw(&f, 1);
    const uint8_t *p = px(&f, 1, 1);
    assert_int_equal(p[0], 10);
    assert_int_equal(p[1], 20);
    assert_int_equal(p[2], 30);
    assert_int_equal(p[3], 100);
    close_canvas(&f);
}

static void test_raster_lines_axis_aligned_exact(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 12, 8);
    /* 1 px wide along row 2 from x = 1 to 9: exactly pixels 1..8 of row 2 */
    ats_dl_line(f.dl, 1, 2.5f, 9, 2.5f, 1, ATS_CAP_BUTT, BLACK);
    /* 2 px wide on the edge between columns 9 and 10... i.e. x = 10, rows 4..7 */
    ats_dl_line(f.dl, 10, 4, 10, 8, 2, ATS_CAP_BUTT, RED);
    draw(&f, 1);
    for (int x = 0; x < 12; x++) {
        if (x >= 1 && x < 9)
            assert_px(&f, x, 2, 0, 0, 0);
        else
            assert_px(&f, x, 2, 255, 255, 255);
        assert_px(&f, x < 9 ? x : 0, 1, 255, 255, 255);
        assert_px(&f, x < 9 ? x : 0, 3, 255, 255, 255);
    }
    for (int y = 4; y < 8; y++) {
        assert_px(&f, 9, y, 255, 0, 0);
        assert_px(&f, 10, y, 255, 0, 0);
        assert_px(&f, 8, y, 255, 255, 255);
        assert_px(&f, 11, y, 255, 255, 255);
    }
    assert_px(&f, 9, 3, 255, 255, 255);
    close_canvas(&f);
}

static void test_raster_thin_line_is_fainter(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 8, 4);
    ats_dl_line(f.dl, 0, 1.5f, 8, 1.5f, 0.5f, ATS_CAP_BUTT, BLACK); /* half a pixel wide */
    draw(&f, 1);
    assert_px(&f, 4, 1, 128, 128, 128);
    assert_px(&f, 4, 0, 255, 255, 255);
    close_canvas(&f);
}

static void test_raster_diagonal_line_symmetric(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 16, 16);
    ats_dl_line(f.dl, 2, 2, 14, 14, 2, ATS_CAP_ROUND, BLACK);
    draw(&f, 1);
    /* mirror symmetry about the diagonal, and the diagonal itself fully covered */
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++)
            assert_int_equal(px(&f, x, y)[0], px(&f, y, x)[0]);
    for (int i = 3; i < 13; i++)
        assert_px(&f, i, i, 0, 0, 0);
    assert_px(&f, 0, 15, 255, 255, 255);
    close_canvas(&f);
}

static void test_raster_clip_nested(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 10, 10);
    ats_dl_push_clip(f.dl, 2, 2, 6, 6);
    ats_dl_push_clip(f.dl, 4, 0, 10, 5); /* intersection: [4, 8) x [2, 5) */
    ats_dl_rect(f.dl, 0, 0, 10, 10, 0, BLACK);
    ats_dl_pop_clip(f.dl);
    ats_dl_pop_clip(f.dl);
    ats_dl_rect(f.dl, 0, 9, 1, 1, 0, RED);                /* after the pops: unclipped */
    assert_int_equal(ats_dl_pop_clip(f.dl), ATS_ERR_ARG); /* unbalanced */
    draw(&f, 1);
    assert_int_equal(inked(&f, 0, 0, 10, 9), 4 * 3);
    assert_int_equal(inked(&f, 4, 2, 8, 5), 4 * 3);
    assert_px(&f, 0, 9, 255, 0, 0);
    close_canvas(&f);
}

static void test_raster_cells_image_exact_and_averaged(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 8, 8);
    const uint8_t img[2 * 2 * 4] = {255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 0, 0, 0, 0};
    /* 2 x 2 cells on a 4 x 4 area: whole-pixel blocks; the transparent cell leaves white */
    ats_dl_image(f.dl, 0, 0, 4, 4, img, 2, 2, 8, ATS_IMAGE_CELLS);
    /* the same on 3 x 3 at (4, 4): pixel (5, 4) straddles red and green equally */
    ats_dl_image(f.dl, 4, 4, 3, 3, img, 2, 2, 8, ATS_IMAGE_CELLS);
    draw(&f, 1);
    assert_px(&f, 0, 0, 255, 0, 0);
    assert_px(&f, 1, 1, 255, 0, 0);
    assert_px(&f, 2, 1, 0, 255, 0);
    assert_px(&f, 1, 2, 0, 0, 255);
    assert_px(&f, 3, 3, 255, 255, 255);
    const uint8_t *mix = px(&f, 5, 4); /* half red, half green: 127.5 each, rounded either way */
    assert_in_range(mix[0], 127, 128);
    assert_in_range(mix[1], 127, 128);
    assert_int_equal(mix[2], 0);
    close_canvas(&f);
}

static void test_raster_scale_redraws(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 8, 8);
    ats_dl_rect(f.dl, 1, 1, 2, 2, 0, BLACK);
    draw(&f, 2); /* list units x 2: pixels [2, 6) */
    assert_int_equal(inked(&f, 0, 0, 8, 8), 16);
    assert_int_equal(inked(&f, 2, 2, 6, 6), 16);
    close_canvas(&f);
}

static void test_raster_sub_canvas_offsets(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 8, 8);
    ats_canvas sub = ats_canvas_sub(f.c, 4, 5, 10, 10); /* clipped to 4 x 3 */
    assert_int_equal(sub.width, 4);
    assert_int_equal(sub.height, 3);
    ats_dl_rect(f.dl, 0, 0, 100, 100, 0, BLACK);
    ats_error err;
    assert_int_equal(ats_render_draw(&sub, f.dl, NULL, 1, &err), ATS_OK);
    assert_int_equal(inked(&f, 0, 0, 8, 8), 12);
    assert_int_equal(inked(&f, 4, 5, 8, 8), 12);
    close_canvas(&f);
}

static void test_raster_disc_symmetric(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 11, 11);
    ats_dl_circle(f.dl, 5.5f, 5.5f, 4, BLACK);
    draw(&f, 1);
    for (int y = 0; y < 11; y++)
        for (int x = 0; x < 11; x++) {
            assert_int_equal(px(&f, x, y)[0], px(&f, 10 - x, y)[0]);
            assert_int_equal(px(&f, x, y)[0], px(&f, y, x)[0]);
        }
    assert_px(&f, 5, 5, 0, 0, 0);
    assert_px(&f, 0, 0, 255, 255, 255);
    close_canvas(&f);
}

static void test_raster_translucent_curve_even(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 40, 40);
    /* a curve that crosses itself: overlapping segments must not darken twice */
    ats_dl_curve(f.dl, 5, 20, 60, -20, 60, 60, 5, 15, 4, (ats_rgba){0, 0, 0, 128});
    draw(&f, 1);
    int darkest = 255;
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 40; x++)
            darkest = px(&f, x, y)[0] < darkest ? px(&f, x, y)[0] : darkest;
    assert_int_equal(darkest, 127);
    close_canvas(&f);
}

static void test_raster_text_and_missing_glyph_box(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 120, 60);
    ats_error err;
    assert_int_equal(ats_font_open(NULL, &f.font, &err), ATS_OK);
    ats_text_style ts = {.size = 20, .color = BLACK, .valign = ATS_VALIGN_TOP};
    assert_int_equal(ats_dl_text(f.dl, f.font, 10, 5, "Hi", &ts), ATS_OK);
    /* U+6F22 (a CJK ideograph) is not in DejaVu Sans: drawn as a box, hollow in the middle */
    float box_w = ats_font_measure(f.font, "\xE6\xBC\xA2", 20, false);
    assert_true(box_w >= 8);
    assert_int_equal(ats_dl_text(f.dl, f.font, 60, 5, "\xE6\xBC\xA2", &ts), ATS_OK);
    draw(&f, 1);
    assert_true(inked(&f, 10, 5, 40, 30) > 20);
    assert_true(inked(&f, 60, 5, 60 + (int)box_w, 30) > 20);
    float a, d;
    ats_font_metrics(f.font, 20, &a, &d);
    int mid_y = 5 + (int)(a - 0.36f * 20), mid_x = 60 + (int)(0.5f * box_w);
    assert_px(&f, mid_x, mid_y, 255, 255, 255);
    /* nothing outside the two texts */
    assert_int_equal(inked(&f, 0, 40, 120, 60), 0);
    close_canvas(&f);
}

static void test_raster_text_rotated_runs_upward(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 60, 120);
    ats_error err;
    assert_int_equal(ats_font_open(NULL, &f.font, &err), ATS_OK);
    ats_text_style ts = {.size = 16, .color = BLACK, .valign = ATS_VALIGN_MIDDLE, .angle = -90};
    ats_dl_text(f.dl, f.font, 30, 110, "attention", &ts);
    draw(&f, 1);
    /* ink spans upward from y = 110, within a narrow column around x = 30 */
    float len = ats_font_measure(f.font, "attention", 16, false);
    assert_true(inked(&f, 0, 110 - (int)len, 60, 110) > 50);
    assert_int_equal(inked(&f, 0, 111, 60, 120), 0);
    assert_int_equal(inked(&f, 0, 0, 18, 120), 0);
    assert_int_equal(inked(&f, 42, 0, 60, 120), 0);
    close_canvas(&f);
}

/* The coverage the rasterizer documents for a butt-capped stroke of width w >= 1 from a to b at
 * pixel centre (px, py): (w/2 + 1/2 - distance to the line) times the ramp
 * min(t, len - t) + 1/2 along it, both clamped to [0, 1]. */
static float butt_coverage(float ax, float ay, float bx, float by, float w, float px, float py) {
    float dx = bx - ax, dy = by - ay, len = hypotf(dx, dy), ux = dx / len, uy = dy / len;
    float t = (px - ax) * ux + (py - ay) * uy, perp = fabsf((px - ax) * uy - (py - ay) * ux);
    float across = fminf(fmaxf(0.5f * w + 0.5f - perp, 0), 1);
    float along = fminf(fmaxf(fminf(t, len - t) + 0.5f, 0), 1);
    return across * along;
}

static void test_raster_lines_match_distance_formula(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 64, 64);
    /* lines at many angles and widths, each drawn alone onto white and checked pixel by pixel:
     * within 5 levels (the rasterizer rounds the line's position across to 1/32 pixel) */
    uint32_t seed = 12345;
    for (int i = 0; i < 60; i++) {
        float v[5];
        for (int k = 0; k < 5; k++) {
            seed = seed * 1664525u + 1013904223u;
            v[k] = (float)(seed >> 8) / (float)(1u << 24);
        }
        float ax = 4 + 56 * v[0], ay = 4 + 56 * v[1], bx = 4 + 56 * v[2], by = 4 + 56 * v[3];
        float w = 1 + 3 * v[4];
        if (hypotf(bx - ax, by - ay) < 2)
            continue;
        ats_canvas_fill(f.c, WHITE);
        ats_dl_reset(f.dl, 64, 64);
        ats_dl_line(f.dl, ax, ay, bx, by, w, ATS_CAP_BUTT, BLACK);
        draw(&f, 1);
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++) {
                float cov = butt_coverage(ax, ay, bx, by, w, (float)x + 0.5f, (float)y + 0.5f);
                int want = (int)lroundf(255.0f * (1.0f - cov)), got = px(&f, x, y)[0];
                if (abs(got - want) > 5)
                    fail_msg("line %d (%.2f, %.2f)-(%.2f, %.2f) width %.2f: pixel (%d, %d) is %d, "
                             "coverage %.3f gives %d",
                             i, (double)ax, (double)ay, (double)bx, (double)by, (double)w, x, y,
                             got, (double)cov, want);
            }
    }
    close_canvas(&f);
}

static void test_raster_many_faint_lines_composite_exactly(void **state) {
    (void)state;
    fixture f;
    open_canvas(&f, 200, 20);
    /* 100 lines of one colour at alpha 5/255 on the same pixels (a run the rasterizer draws as
     * one batch): white becomes c + (255 - c) (1 - 5/255)^100, within a level */
    ats_rgba green = {44, 160, 44, 5};
    for (int i = 0; i < 100; i++)
        ats_dl_line(f.dl, 10, 10.5f, 190, 10.5f, 1, ATS_CAP_BUTT, green);
    draw(&f, 1);
    double keep = pow(1.0 - 5.0 / 255.0, 100);
    const uint8_t *p = px(&f, 100, 10);
    assert_in_range(p[0], (int)floor(44 + 211 * keep - 1), (int)ceil(44 + 211 * keep + 1));
    assert_in_range(p[1], (int)floor(160 + 95 * keep - 1), (int)ceil(160 + 95 * keep + 1));
    assert_px(&f, 100, 9, 255, 255, 255);
    assert_px(&f, 5, 10, 255, 255, 255);
    close_canvas(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raster_rect_whole_pixels),
        cmocka_unit_test(test_raster_rect_half_pixel_edges),
        cmocka_unit_test(test_raster_alpha_blends_over),
        cmocka_unit_test(test_raster_lines_axis_aligned_exact),
        cmocka_unit_test(test_raster_thin_line_is_fainter),
        cmocka_unit_test(test_raster_lines_match_distance_formula),
        cmocka_unit_test(test_raster_many_faint_lines_composite_exactly),
        cmocka_unit_test(test_raster_diagonal_line_symmetric),
        cmocka_unit_test(test_raster_clip_nested),
        cmocka_unit_test(test_raster_cells_image_exact_and_averaged),
        cmocka_unit_test(test_raster_scale_redraws),
        cmocka_unit_test(test_raster_sub_canvas_offsets),
        cmocka_unit_test(test_raster_disc_symmetric),
        cmocka_unit_test(test_raster_translucent_curve_even),
        cmocka_unit_test(test_raster_text_and_missing_glyph_box),
        cmocka_unit_test(test_raster_text_rotated_runs_upward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
