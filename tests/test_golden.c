/* Golden images: each view of builtin:demo on a fixed sentence (and T5's three kinds of attention
 * from ../shared), drawn at its natural size and compared exactly (every channel of every pixel)
 * with tests/golden/<name>.png. On failure the actual image and a diff (differences in red over a
 * faded copy of the expected image) are written to <build>/tests/output/golden/ and their paths
 * printed; a self-test feeds the comparison an image one level off in one pixel.
 *
 * To refresh after an intended change of the look:  ATS_UPDATE_GOLDEN=1 ctest -R test_golden
 * (then look at the new files before committing them). */
#include "golden_image.h"
#include "test_support.h"
#include "view_fixture.h"

#include "attnscope/rundata.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct golden_case {
    const char *name;
    bool causal;
    void (*setup)(ats_view_state *st);
    int token;                     /* pipeline: the query token */
    ats_step_opts (*whatif)(void); /* pipeline: the switches (NULL: the model's own) */
} golden_case;

static void heatmap(ats_view_state *st) {
    st->view = ATS_VIEW_HEATMAP;
    st->layer = 0;
    st->head = 1;
}

static void heatmap_causal_hover(ats_view_state *st) {
    st->view = ATS_VIEW_HEATMAP;
    st->layer = 1;
    st->head = 0;
    st->hover_query = 7;
    st->hover_key = 1;
    st->locked_token = 3;
    st->colormap = ATS_COLORMAP_MAGMA;
}

/* a learned-looking head of the causal model coloured 0 to its largest weight: the colour bar
 * names that range */
static void heatmap_auto(ats_view_state *st) {
    st->view = ATS_VIEW_HEATMAP;
    st->layer = 1;
    st->head = 3;
    st->color_scale = ATS_COLOR_SCALE_AUTO;
}

static void lines(ats_view_state *st) {
    st->view = ATS_VIEW_LINES;
    st->layer = 0;
}

static void lines_locked(ats_view_state *st) {
    st->view = ATS_VIEW_LINES;
    st->layer = 1;
    st->locked_token = 7;
    st->line_threshold = 0.05f;
    ats_view_state_set_head_visible(st, 2, false);
}

static void grid_hover(ats_view_state *st) {
    st->view = ATS_VIEW_GRID;
    st->layer = 1;
    st->head = 3;
    st->hover_layer = 0;
    st->hover_head = 1;
    st->colormap = ATS_COLORMAP_CIVIDIS;
}

/* The previous-token head (with its caption) for the query 'it'. */
static void pipeline(ats_view_state *st) {
    st->view = ATS_VIEW_PIPELINE;
    st->layer = 0;
    st->head = 0;
}

/* A random head of layer 1 with scaling off and the causal mask on. */
static void pipeline_whatif(ats_view_state *st) {
    st->view = ATS_VIEW_PIPELINE;
    st->layer = 1;
    st->head = 2;
}

static ats_step_opts scaling_off_causal_on(void) {
    ats_step_opts o = ats_step_opts_default();
    o.scale = false;
    o.causal = 1;
    return o;
}

/* The same-word head of a causal model, its softmax step highlighted, a token hovered. */
static void pipeline_step(ats_view_state *st) {
    st->view = ATS_VIEW_PIPELINE;
    st->layer = 0;
    st->head = 1;
    st->step = 5;
    st->hover_token = 4;
}

/* Issue 14: the causal model's learned-looking head coloured per row (each query's largest weight
 * at the top of the map, so that its row 0 of 1.0 does not wash out the rest); the legend says
 * so. */
static void heatmap_row(ats_view_state *st) {
    st->view = ATS_VIEW_HEATMAP;
    st->layer = 1;
    st->head = 3;
    st->color_scale = ATS_COLOR_SCALE_ROW;
}

/* ... and 0 to the largest weight off the first row and column */
static void heatmap_exclude_first(ats_view_state *st) {
    heatmap_row(st);
    st->color_scale = ATS_COLOR_SCALE_EXCLUDE_FIRST;
    st->colormap = ATS_COLORMAP_MAGMA;
}

/* Issue 14: one head's lines in the state's colormap with its colour bar, the strongest keys up
 * to 80% of each row. */
static void lines_one_head_mass(ats_view_state *st) {
    st->view = ATS_VIEW_LINES;
    st->layer = 1;
    for (int h = 0; h < 4; h++)
        ats_view_state_set_head_visible(st, h, h == 2);
    st->line_cut = ATS_LINE_CUT_MASS;
    st->line_mass = 0.8f;
    st->colormap = ATS_COLORMAP_MAGMA;
}

static const golden_case CASES[] = {
    {"heatmap", false, heatmap, 0, NULL},
    {"heatmap-causal-hover", true, heatmap_causal_hover, 0, NULL},
    {"lines", false, lines, 0, NULL},
    {"lines-locked", false, lines_locked, 0, NULL},
    {"grid-hover", true, grid_hover, 0, NULL},
    {"pipeline", false, pipeline, 7, NULL},
    {"pipeline-whatif", false, pipeline_whatif, 5, scaling_off_causal_on},
    {"pipeline-step", true, pipeline_step, 10, NULL},
    {"heatmap-auto", true, heatmap_auto, 0, NULL},
    {"heatmap-row", true, heatmap_row, 0, NULL},
    {"heatmap-exclude-first", true, heatmap_exclude_first, 0, NULL},
    {"lines-one-head-mass", true, lines_one_head_mass, 0, NULL},
};

/* Draws the case and compares it with its golden image; false with `why` filled on a mismatch. */
static bool check_case(const golden_case *gc, char *why, size_t why_size) {
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, gc->causal);
    ats_view_state st = ats_view_state_default();
    gc->setup(&st);
    ats_run_pipeline pipe = {0};
    if (st.view == ATS_VIEW_PIPELINE) {
        ats_step_opts o = gc->whatif ? gc->whatif() : ats_step_opts_default();
        ats_error e;
        if (ats_run_pipeline_make(&pipe, f.model, f.run, st.layer, st.head, gc->token, &o, &e) !=
            ATS_OK)
            fail_msg("%s: %s", gc->name, e.message);
        f.data.pipeline = &pipe.data;
    }
    float fw, fh;
    ats_view *v = demo_build(&f, &st, &fw, &fh);
    int w = (int)fw, h = (int)fh;
    uint8_t *got = calloc((size_t)w * h, 4);
    assert_non_null(got);
    ats_canvas c = ats_canvas_make(got, w, h, w * 4);
    ats_error err;
    assert_int_equal(ats_render_draw(&c, ats_view_display_list(v), f.font, 1, &err), ATS_OK);
    ats_view_free(v);
    ats_run_pipeline_free(&pipe);
    demo_fixture_close(&f);
    char golden[1024];
    snprintf(golden, sizeof golden, "%s/tests/golden/%s.png", ATS_SOURCE_DIR, gc->name);
    bool ok = golden_image_check(golden, gc->name, got, w, h, why, why_size);
    free(got);
    return ok;
}

/* Every case is drawn and compared, and every mismatch reported, before the test fails. */
static void test_golden_views_match(void **state) {
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        char why[4096];
        if (!check_case(&CASES[i], why, sizeof why)) {
            print_error("%s\n", why);
            failed++;
        }
    }
    if (failed)
        fail_msg("%d of %zu golden images differ", failed, sizeof CASES / sizeof CASES[0]);
}

/* The comparison catches the smallest change: one channel of one pixel off by one level. The
 * golden heatmap itself is fed back with that change; the mismatch is reported with the actual
 * and diff images written. */
static void test_golden_one_level_in_one_pixel_is_caught(void **state) {
    (void)state;
    if (getenv("ATS_UPDATE_GOLDEN"))
        skip();
    char golden[1024], why[4096];
    snprintf(golden, sizeof golden, "%s/tests/golden/heatmap.png", ATS_SOURCE_DIR);
    uint8_t *px;
    int w, h;
    ats_error err;
    assert_int_equal(ats_png_read(golden, &px, &w, &h, &err), ATS_OK);
    assert_true(golden_image_check(golden, "selftest-unchanged", px, w, h, why, sizeof why));
    size_t at = ((size_t)(h / 2) * w + (size_t)(w / 3)) * 4 + 1; /* green of a middle pixel */
    px[at] = px[at] == 255 ? 254 : (uint8_t)(px[at] + 1);
    assert_false(golden_image_check(golden, "selftest-one-level", px, w, h, why, sizeof why));
    assert_non_null(strstr(why, "1 of "));
    assert_non_null(strstr(why, "largest channel difference 1"));
    struct stat st;
    assert_int_equal(stat(ATS_TEST_OUTPUT_DIR "/golden/selftest-one-level-actual.png", &st), 0);
    assert_int_equal(stat(ATS_TEST_OUTPUT_DIR "/golden/selftest-one-level-diff.png", &st), 0);
    free(px);
}

/* T5 (../shared's t5-tiny-random) on a source and a target: the three kinds of attention, the
 * cross-attention as a Td x Te heatmap and as lines from the target's tokens to the source's. */
typedef struct t5_case {
    const char *name;
    ats_attn_kind kind;
    ats_view_kind view;
    int layer, head;
    bool renormalize; /* issue 14: "</s>" hidden, the rows renormalized (said under the bar) */
} t5_case;

static void test_golden_t5_kinds(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, "fixtures/hf/t5-tiny-random");
    static const t5_case CASES_T5[] = {
        {"t5-encoder-heatmap", ATS_ATTN_ENCODER, ATS_VIEW_HEATMAP, 1, 2, false},
        {"t5-decoder-heatmap", ATS_ATTN_DECODER, ATS_VIEW_HEATMAP, 2, 1, false},
        {"t5-cross-heatmap", ATS_ATTN_CROSS, ATS_VIEW_HEATMAP, 0, 3, false},
        {"t5-cross-lines", ATS_ATTN_CROSS, ATS_VIEW_LINES, 1, 0, false},
        {"t5-encoder-renormalized", ATS_ATTN_ENCODER, ATS_VIEW_HEATMAP, 1, 2, true},
    };
    static const char src[] = "The cat sat on the mat.", tgt[] = "Le chat est assis.";
    ats_model *model;
    ats_run *run;
    ats_font *font;
    ats_error err;
    if (ats_model_load(dir, NULL, &model, &err) != ATS_OK ||
        ats_run_seq2seq(model, src, strlen(src), tgt, strlen(tgt), NULL, &run, &err) != ATS_OK ||
        ats_font_open(NULL, &font, &err) != ATS_OK)
        fail_msg("t5: %s", err.message);
    int failed = 0;
    for (size_t i = 0; i < sizeof CASES_T5 / sizeof CASES_T5[0]; i++) {
        const t5_case *tc = &CASES_T5[i];
        ats_run_view vd;
        assert_int_equal(ats_run_view_make_kind(&vd, model, run, tc->kind, src, NULL), ATS_OK);
        ats_view_state st = ats_view_state_default();
        st.view = tc->view;
        st.layer = tc->layer;
        st.head = tc->head;
        st.hide_special = st.renormalize = tc->renormalize;
        ats_view *v;
        assert_int_equal(ats_view_new(&v), ATS_OK);
        float fw, fh;
        ats_view_natural_size(&st, &vd.data, font, &fw, &fh);
        if (ats_view_build(v, &st, &vd.data, font, fw, fh, &err) != ATS_OK)
            fail_msg("%s: %s", tc->name, err.message);
        int w = (int)fw, h = (int)fh;
        uint8_t *got = calloc((size_t)w * h, 4);
        assert_non_null(got);
        ats_canvas c = ats_canvas_make(got, w, h, w * 4);
        assert_int_equal(ats_render_draw(&c, ats_view_display_list(v), font, 1, &err), ATS_OK);
        ats_view_free(v);
        ats_run_view_free(&vd);
        char golden[1024], why[4096];
        snprintf(golden, sizeof golden, "%s/tests/golden/%s.png", ATS_SOURCE_DIR, tc->name);
        if (!golden_image_check(golden, tc->name, got, w, h, why, sizeof why)) {
            print_error("%s\n", why);
            failed++;
        }
        free(got);
    }
    ats_font_free(font);
    ats_run_free(run);
    ats_model_free(model);
    if (failed)
        fail_msg("%d of %zu T5 golden images differ", failed, sizeof CASES_T5 / sizeof CASES_T5[0]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_views_match),
        cmocka_unit_test(test_golden_one_level_in_one_pixel_is_caught),
        cmocka_unit_test(test_golden_t5_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
