/* Views: hit tests agree with what is drawn, zoom keeps the cell under the pointer, pan clamps,
 * hidden special tokens never come back from a hit, bad states are refused. */
#include "test_support.h"
#include "view_fixture.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *rasterize(demo_fixture *f, const ats_view *v, int w, int h) {
    uint8_t *px = malloc((size_t)w * h * 4);
    ats_canvas c = ats_canvas_make(px, w, h, w * 4);
    ats_error err;
    if (ats_render_draw(&c, ats_view_display_list(v), f->font, 1, &err) != ATS_OK)
        fail_msg("draw: %s", err.message);
    return px;
}

/* The x range [x0, x1) over which row y hits cells with key k (-1 when never). */
static void key_span(const ats_view *v, float y, int k, int w, int *x0, int *x1) {
    *x0 = *x1 = -1;
    for (int x = 0; x < w; x++) {
        ats_hit hit = ats_view_hit_test(v, (float)x + 0.5f, y);
        if (hit.kind == ATS_HIT_CELL && hit.key == k) {
            if (*x0 < 0)
                *x0 = x;
            *x1 = x + 1;
        }
    }
}

static void test_view_heatmap_hits_match_pixels(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    ats_view_state st = ats_view_state_default();
    st.layer = 0;
    st.head = 2; /* "first token": column 0 bright, the rest dark */
    float w, h;
    ats_view *v = demo_build(&f, &st, &w, &h);
    int T = f.data.n_tokens;
    /* find the plot: scan down the middle column for cell hits */
    int qy[64], seen = 0, last_q = -1;
    for (int y = 0; y < (int)h && seen < 64; y++) {
        ats_hit hit = ats_view_hit_test(v, 0.5f * w, (float)y + 0.5f);
        if (hit.kind == ATS_HIT_CELL && hit.query != last_q) {
            assert_int_equal(hit.query, last_q + 1); /* rows in order, none skipped */
            qy[seen++] = y;
            last_q = hit.query;
        }
    }
    assert_int_equal(seen, T);
    int cell = qy[1] - qy[0];
    assert_true(cell >= 20);
    uint8_t *px = rasterize(&f, v, (int)w, (int)h);
    ats_rgba lut0 = ats_colormap_sample(ATS_COLORMAP_VIRIDIS, 0);
    ats_rgba lut1 = ats_colormap_sample(ATS_COLORMAP_VIRIDIS, 1);
    for (int q = 0; q < T; q++) {
        float y = (float)qy[q] + 0.25f * (float)cell; /* off the centre, where values are written */
        for (int k = 0; k < T; k++) {
            int x0, x1;
            key_span(v, y, k, (int)w, &x0, &x1);
            assert_true(x1 - x0 >= cell - 1 && x1 - x0 <= cell + 1);
            const uint8_t *p = px + ((size_t)y * (size_t)w + (size_t)(x0 + cell / 4)) * 4;
            ats_rgba want = k == 0 ? lut1 : lut0;
            if (abs(p[0] - want.r) > 3 || abs(p[1] - want.g) > 3 || abs(p[2] - want.b) > 3)
                fail_msg("cell (%d, %d) is drawn (%d, %d, %d), hit test says value %s", q, k, p[0],
                         p[1], p[2], k == 0 ? "1" : "0");
        }
        /* left of the matrix: the query's label */
        int x0, x1;
        key_span(v, y, 0, (int)w, &x0, &x1);
        ats_hit label = ats_view_hit_test(v, (float)x0 - 20, y);
        assert_int_equal(label.kind, ATS_HIT_TOKEN);
        assert_int_equal(label.side, ATS_SIDE_QUERY);
        assert_int_equal(label.token, q);
    }
    /* above the matrix: key labels */
    int x0, x1;
    key_span(v, (float)qy[0] + 1, 5, (int)w, &x0, &x1);
    ats_hit key = ats_view_hit_test(v, 0.5f * (float)(x0 + x1), (float)qy[0] - 20);
    assert_int_equal(key.kind, ATS_HIT_TOKEN);
    assert_int_equal(key.side, ATS_SIDE_KEY);
    assert_int_equal(key.token, 5);
    free(px);
    ats_view_free(v);
    demo_fixture_close(&f);
}

static void test_view_heatmap_zoom_keeps_point(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    ats_view_state st = ats_view_state_default();
    ats_view *v;
    ats_error err;
    assert_int_equal(ats_view_new(&v), ATS_OK);
    assert_int_equal(ats_view_build(v, &st, &f.data, f.font, 800, 700, &err), ATS_OK);
    /* a point inside cell (7, 9) */
    float px = -1, py = -1;
    for (int y = 0; y < 700 && px < 0; y += 2)
        for (int x = 0; x < 800; x += 2) {
            ats_hit hit = ats_view_hit_test(v, (float)x, (float)y);
            if (hit.kind == ATS_HIT_CELL && hit.query == 7 && hit.key == 9) {
                px = (float)x + 3, py = (float)y + 3;
                break;
            }
        }
    assert_true(px > 0);
    ats_view_zoom(v, &st, px, py, 2.0f);
    assert_true(fabsf(st.zoom - 2.0f) < 1e-4f);
    assert_int_equal(ats_view_build(v, &st, &f.data, f.font, 800, 700, &err), ATS_OK);
    ats_hit hit = ats_view_hit_test(v, px, py);
    assert_int_equal(hit.kind, ATS_HIT_CELL);
    assert_int_equal(hit.query, 7);
    assert_int_equal(hit.key, 9);
    /* dragging far towards the top-left clamps at the last cells; far the other way at 0 */
    ats_view_pan(v, &st, -1e5f, -1e5f);
    assert_true(st.pan_key > 0 && st.pan_query > 0);
    assert_true(st.pan_key <= (float)f.data.n_tokens && st.pan_query <= (float)f.data.n_tokens);
    ats_view_pan(v, &st, 1e5f, 1e5f);
    assert_true(st.pan_key == 0 && st.pan_query == 0);
    /* zoom stops at cells of about 90 pixels, and never goes below the whole matrix */
    ats_view_zoom(v, &st, px, py, 100.0f);
    assert_true(st.zoom > 2.0f && st.zoom < 3.0f);
    ats_view_zoom(v, &st, px, py, 0.01f);
    assert_true(st.zoom == 1.0f);
    ats_view_free(v);
    demo_fixture_close(&f);
}

static void test_view_hidden_special_tokens_never_hit(void **state) {
    (void)state;
    const char *labels[] = {"[CLS]", "a", "b", "c", "[SEP]"};
    bool special[] = {true, false, false, false, true};
    float attn[2 * 5 * 5];
    for (int i = 0; i < 50; i++)
        attn[i] = 0.2f;
    ats_view_data d = {.model_name = "synthetic",
                       .n_layer = 1,
                       .n_head = 2,
                       .n_tokens = 5,
                       .tokens = labels,
                       .special = special,
                       .attention = attn};
    ats_font *font;
    ats_error err;
    assert_int_equal(ats_font_open(NULL, &font, &err), ATS_OK);
    ats_view *v;
    assert_int_equal(ats_view_new(&v), ATS_OK);
    for (int view = ATS_VIEW_HEATMAP; view <= ATS_VIEW_LINES; view++) {
        ats_view_state st = ats_view_state_default();
        st.view = (ats_view_kind)view;
        st.hide_special = true;
        assert_int_equal(ats_view_build(v, &st, &d, font, 500, 400, &err), ATS_OK);
        bool seen[5] = {false};
        for (int y = 0; y < 400; y += 2)
            for (int x = 0; x < 500; x += 2) {
                ats_hit hit = ats_view_hit_test(v, (float)x, (float)y);
                if (hit.kind == ATS_HIT_CELL) {
                    seen[hit.query] = seen[hit.key] = true;
                } else if (hit.kind == ATS_HIT_TOKEN) {
                    seen[hit.token] = true;
                }
            }
        assert_false(seen[0]);
        assert_false(seen[4]);
        assert_true(seen[1] && seen[2] && seen[3]);
    }
    ats_view_free(v);
    ats_font_free(font);
}

static int count_of(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_view_lines_and_grid_hits(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    int T = f.data.n_tokens, L = f.data.n_layer, H = f.data.n_head;
    ats_view_state st = ats_view_state_default();
    st.view = ATS_VIEW_LINES;
    float w, h;
    ats_view *v = demo_build(&f, &st, &w, &h);
    int tokens[2] = {0, 0}, heads = 0;
    bool tok_seen[2][64] = {{false}}, head_seen[16] = {false};
    for (int y = 0; y < (int)h; y++)
        for (int x = 0; x < (int)w; x++) {
            ats_hit hit = ats_view_hit_test(v, (float)x, (float)y);
            if (hit.kind == ATS_HIT_TOKEN && !tok_seen[hit.side][hit.token]) {
                tok_seen[hit.side][hit.token] = true;
                tokens[hit.side]++;
                /* queries on the left half, keys on the right */
                assert_true(hit.side == ATS_SIDE_QUERY ? x < w / 2 : x > w / 2);
            } else if (hit.kind == ATS_HIT_HEAD_KEY && !head_seen[hit.head]) {
                head_seen[hit.head] = true;
                heads++;
            }
        }
    assert_int_equal(tokens[0], T);
    assert_int_equal(tokens[1], T);
    assert_int_equal(heads, H);
    /* a focused token keeps only its own lines: the query's to every key of each head (the
     * cut, top 3 of each row, applies to the unfocused view only) */
    char *svg;
    size_t len;
    ats_error err;
    assert_int_equal(ats_svg_encode(ats_view_display_list(v), NULL, NULL, 1, &svg, &len, &err),
                     ATS_OK);
    int all = count_of(svg, "<line");
    free(svg);
    st.hover_token = 7;
    st.hover_side = ATS_SIDE_QUERY;
    assert_int_equal(ats_view_build(v, &st, &f.data, f.font, w, h, &err), ATS_OK);
    assert_int_equal(ats_svg_encode(ats_view_display_list(v), NULL, NULL, 1, &svg, &len, &err),
                     ATS_OK);
    int focused = count_of(svg, "<line");
    free(svg);
    if (!(focused > 0 && focused <= H * T && focused < all))
        fail_msg("%d lines focused, %d in all", focused, all);
    ats_view_free(v);

    st = ats_view_state_default();
    st.view = ATS_VIEW_GRID;
    v = demo_build(&f, &st, &w, &h);
    bool thumb[8][8] = {{false}};
    int thumbs = 0;
    for (int y = 0; y < (int)h; y += 2)
        for (int x = 0; x < (int)w; x += 2) {
            ats_hit hit = ats_view_hit_test(v, (float)x, (float)y);
            if (hit.kind == ATS_HIT_THUMB && !thumb[hit.layer][hit.head]) {
                thumb[hit.layer][hit.head] = true;
                thumbs++;
            }
        }
    assert_int_equal(thumbs, L * H);
    ats_view_free(v);
    demo_fixture_close(&f);
}

static void test_view_bad_state_keeps_last_list(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    ats_view_state st = ats_view_state_default();
    float w, h;
    ats_view *v = demo_build(&f, &st, &w, &h);
    int n = ats_dl_count(ats_view_display_list(v));
    ats_error err;
    st.layer = f.data.n_layer;
    assert_int_equal(ats_view_build(v, &st, &f.data, f.font, w, h, &err), ATS_ERR_ARG);
    assert_non_null(strstr(err.message, "layer 2 is out of range"));
    st.layer = 0;
    st.head = -1;
    assert_int_equal(ats_view_build(v, &st, &f.data, f.font, w, h, &err), ATS_ERR_ARG);
    st.head = 0;
    st.view = ATS_VIEW_PIPELINE;
    assert_int_equal(ats_view_build(v, &st, &f.data, f.font, w, h, &err), ATS_ERR_UNSUPPORTED);
    assert_int_equal(ats_dl_count(ats_view_display_list(v)), n);
    assert_int_equal(ats_view_hit_test(v, 0.5f * w, 0.5f * h).kind, ATS_HIT_CELL);
    /* out-of-range hover indices (a state outliving a longer text) are ignored */
    st = ats_view_state_default();
    st.hover_query = 400;
    st.hover_key = 3;
    st.locked_token = 99;
    st.hover_token = -7;
    assert_int_equal(ats_view_build(v, &st, &f.data, f.font, w, h, &err), ATS_OK);
    ats_view_free(v);
    demo_fixture_close(&f);
}

/* Occurrences of `needle` in `hay`. */

static void test_view_lines_capped_when_nothing_focused(void **state) {
    (void)state;
    /* 12 heads over 64 tokens: eleven spread evenly (every weight 1/64, above the 1% floor) and
     * one on the previous token: 45,000 lines would pass the floor */
    enum { T = 64, H = 12 };
    float *attn = calloc((size_t)H * T * T, sizeof *attn);
    const char *labels[T];
    assert_non_null(attn);
    for (int i = 0; i < T; i++)
        labels[i] = "tok";
    for (int h = 0; h < H; h++)
        for (int q = 0; q < T; q++)
            for (int k = 0; k < T; k++)
                attn[((size_t)h * T + q) * T + k] =
                    h == 0 ? (k == (q > 0 ? q - 1 : 0) ? 1.0f : 0.0f) : 1.0f / T;
    ats_view_data d = {.model_name = "test",
                       .n_layer = 1,
                       .n_head = H,
                       .n_tokens = T,
                       .tokens = labels,
                       .attention = attn};
    ats_font *font;
    ats_view *v;
    ats_error err;
    assert_int_equal(ats_font_open(NULL, &font, &err), ATS_OK);
    assert_int_equal(ats_view_new(&v), ATS_OK);
    ats_view_state st = ats_view_state_default();
    st.view = ATS_VIEW_LINES;
    st.line_cut = ATS_LINE_CUT_MASS; /* 90% of a uniform row: 58 lines per query and head */
    st.line_mass = 0.9f;
    assert_int_equal(ats_view_build(v, &st, &d, font, 1200, 900, &err), ATS_OK);
    char *svg;
    size_t len;
    assert_int_equal(ats_svg_encode(ats_view_display_list(v), NULL, NULL, 1, &svg, &len, &err),
                     ATS_OK);
    /* the even heads' lines all fall under the raised threshold; the legend says so */
    int lines = count_of(svg, "<line");
    assert_in_range(lines, T, 2000 + 100);
    assert_non_null(strstr(svg, "strongest keys up to 90% of each row \xC2\xB7 below 0.0156"));
    assert_non_null(strstr(svg, "left out (at most 2000 lines)"));
    free(svg);
    /* a focused token is never capped: its lines to every key of every head */
    st.hover_token = 10;
    st.hover_side = ATS_SIDE_QUERY;
    assert_int_equal(ats_view_build(v, &st, &d, font, 1200, 900, &err), ATS_OK);
    assert_int_equal(ats_svg_encode(ats_view_display_list(v), NULL, NULL, 1, &svg, &len, &err),
                     ATS_OK);
    assert_true(count_of(svg, "<line") >= (H - 1) * T + 1);
    assert_null(strstr(svg, "hidden"));
    free(svg);
    ats_view_free(v);
    ats_font_free(font);
    free(attn);
}

/* The colour drawn at a point of cell (q, k): found through the hit test, a quarter into the
 * cell (away from its centre, where values are written). */
static ats_rgba cell_color(demo_fixture *f, const ats_view *v, int w, int h, int q, int k) {
    int x0 = -1, y0 = -1, x1 = -1, y1 = -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            ats_hit hit = ats_view_hit_test(v, (float)x + 0.5f, (float)y + 0.5f);
            if (hit.kind == ATS_HIT_CELL && hit.query == q && hit.key == k) {
                x0 = x0 < 0 ? x : x0, y0 = y0 < 0 ? y : y0;
                x1 = x, y1 = y;
            }
        }
    assert_true(x0 >= 0 && x1 - x0 >= 8 && y1 - y0 >= 8);
    uint8_t *px = rasterize(f, v, w, h);
    const uint8_t *p = px + ((size_t)(y0 + (y1 - y0) / 4) * (size_t)w + (size_t)(x0 + 2)) * 4;
    ats_rgba c = {p[0], p[1], p[2], p[3]};
    free(px);
    return c;
}

static void test_view_auto_scale_maps_max_to_top_colour(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    /* layer 1 has seeded random weights: no weight reaches 1 */
    int T = f.data.n_tokens, layer = 1, head = 2, bq = 0, bk = 0;
    const float *a = f.data.attention + (size_t)(layer * f.data.n_head + head) * T * T;
    for (int i = 0; i < T * T; i++)
        if (a[i] > a[bq * T + bk])
            bq = i / T, bk = i % T;
    float mx = a[bq * T + bk];
    assert_true(mx > 0.2f && mx < 0.9f);
    ats_view_state st = ats_view_state_default();
    st.layer = layer;
    st.head = head;
    float w, h;
    for (int mode = 0; mode < 2; mode++) {
        st.color_scale = mode ? ATS_COLOR_SCALE_AUTO : ATS_COLOR_SCALE_FIXED;
        ats_view *v = demo_build(&f, &st, &w, &h);
        ats_rgba got = cell_color(&f, v, (int)w, (int)h, bq, bk);
        ats_rgba want = ats_colormap_sample(ATS_COLORMAP_VIRIDIS, mode ? 1.0f : mx);
        if (abs(got.r - want.r) > 2 || abs(got.g - want.g) > 2 || abs(got.b - want.b) > 2)
            fail_msg(
                "%s scale: the largest weight %.3f is drawn (%d, %d, %d), expected (%d, %d, %d)",
                mode ? "auto" : "fixed", (double)mx, got.r, got.g, got.b, want.r, want.g, want.b);
        ats_view_free(v);
    }
    /* a diverging map spans [-max, max]: the largest weight is its top colour too */
    st.colormap = ATS_COLORMAP_COOLWARM;
    ats_view *v = demo_build(&f, &st, &w, &h);
    ats_rgba got = cell_color(&f, v, (int)w, (int)h, bq, bk);
    ats_rgba want = ats_colormap_sample(ATS_COLORMAP_COOLWARM, 1.0f);
    assert_true(abs(got.r - want.r) <= 2 && abs(got.g - want.g) <= 2 && abs(got.b - want.b) <= 2);
    ats_view_free(v);
    assert_string_equal(ats_color_scale_name(ATS_COLOR_SCALE_AUTO), "auto");
    ats_color_scale cs;
    assert_true(ats_color_scale_from_name("Fixed", &cs) && cs == ATS_COLOR_SCALE_FIXED);
    assert_false(ats_color_scale_from_name("log", &cs));
    demo_fixture_close(&f);
}

/* Issue 14: 400 tokens in the lines view of a 1000 x 650 area: a window of rows at a legible
 * height, not a wall of lines; markers say how many tokens lie below (and, scrolled, above). */
static void test_view_lines_window_at_400_tokens(void **state) {
    (void)state;
    enum { T = 400, H = 2 };
    float *attn = calloc((size_t)H * T * T, sizeof *attn);
    const char *labels[T];
    assert_non_null(attn);
    for (int i = 0; i < T; i++)
        labels[i] = "word";
    for (int h = 0; h < H; h++)
        for (int q = 0; q < T; q++)
            attn[((size_t)h * T + q) * T + (h == 0 ? (q > 0 ? q - 1 : 0) : 0)] = 1.0f;
    ats_view_data d = {.model_name = "test",
                       .n_layer = 1,
                       .n_head = H,
                       .n_tokens = T,
                       .tokens = labels,
                       .attention = attn};
    ats_font *font;
    ats_view *v;
    ats_error err;
    assert_int_equal(ats_font_open(NULL, &font, &err), ATS_OK);
    assert_int_equal(ats_view_new(&v), ATS_OK);
    ats_view_state st = ats_view_state_default();
    st.view = ATS_VIEW_LINES;
    for (int pass = 0; pass < 2; pass++) {
        st.pan_query = pass ? 100 : 0;
        assert_int_equal(ats_view_build(v, &st, &d, font, 1000, 650, &err), ATS_OK);
        char *svg;
        size_t len;
        assert_int_equal(ats_svg_encode(ats_view_display_list(v), NULL, NULL, 1, &svg, &len, &err),
                         ATS_OK);
        int words = count_of(svg, ">word<");
        /* both columns' labels of the rows in the window: some, far from all 400 */
        if (!(words >= 2 * 10 && words < 2 * 60))
            fail_msg("pass %d: %d labels", pass, words);
        assert_non_null(strstr(svg, " more</text>"));
        if (pass)
            assert_non_null(strstr(svg, "100 earlier"));
        assert_true(count_of(svg, "<line") < 400);
        free(svg);
    }
    ats_view_free(v);
    ats_font_free(font);
    free(attn);
}

/* Issue 14: a heatmap with cells too narrow for three digits writes every weight with the same
 * precision: 0.0995 and 0.1004 both ".10", 0.05 ".05"; never an empty cell for a weight a cell
 * of its size can hold in two decimals. */
static void test_view_heatmap_narrow_cells_keep_numbers(void **state) {
    (void)state;
    enum { T = 18 };
    float attn[T * T];
    const char *labels[T];
    for (int q = 0; q < T; q++) {
        labels[q] = "w";
        for (int k = 0; k < T; k++)
            attn[q * T + k] = k == 0 ? 0.0995f : k == 1 ? 0.1004f : 0.8001f / (T - 2);
    }
    ats_view_data d = {.model_name = "test",
                       .n_layer = 1,
                       .n_head = 1,
                       .n_tokens = T,
                       .tokens = labels,
                       .attention = attn};
    ats_font *font;
    ats_view *v;
    ats_error err;
    assert_int_equal(ats_font_open(NULL, &font, &err), ATS_OK);
    assert_int_equal(ats_view_new(&v), ATS_OK);
    ats_view_state st = ats_view_state_default();
    assert_int_equal(ats_view_build(v, &st, &d, font, 700, 660, &err), ATS_OK);
    char *svg;
    size_t len;
    assert_int_equal(ats_svg_encode(ats_view_display_list(v), NULL, NULL, 1, &svg, &len, &err),
                     ATS_OK);
    /* every row: two ".10" and sixteen ".05" (0.8001 / 16 = 0.0500) */
    int tens = count_of(svg, ">.10<"), fives = count_of(svg, ">.05<");
    if (tens != 2 * T || fives != (T - 2) * T || count_of(svg, ">.1<") != 0)
        fail_msg("%d '.10' (want %d), %d '.05' (want %d), %d '.1'", tens, 2 * T, fives, (T - 2) * T,
                 count_of(svg, ">.1<"));
    free(svg);
    ats_view_free(v);
    ats_font_free(font);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_heatmap_narrow_cells_keep_numbers),
        cmocka_unit_test(test_view_lines_window_at_400_tokens),
        cmocka_unit_test(test_view_heatmap_hits_match_pixels),
        cmocka_unit_test(test_view_heatmap_zoom_keeps_point),
        cmocka_unit_test(test_view_hidden_special_tokens_never_hit),
        cmocka_unit_test(test_view_lines_and_grid_hits),
        cmocka_unit_test(test_view_lines_capped_when_nothing_focused),
        cmocka_unit_test(test_view_auto_scale_maps_max_to_top_colour),
        cmocka_unit_test(test_view_bad_state_keeps_last_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
