/* `attnscope export` end to end, with no display: every view as PNG and SVG, the PNG's text
 * chunks read back with libpng, --scale, --text-file, and the exit status and single error line
 * of every kind of bad input, leaving no file behind. */
#include "test_support.h"

#include "attnscope/render.h"

#include <dirent.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SENTENCE "The animal didn't cross the street because it was too tired."

static int setup(void **state) {
    (void)state;
    /* no display of any kind: export must not need one */
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    unsetenv("SDL_VIDEODRIVER");
    return 0;
}

static void png_size(const char *path, int *w, int *h) {
    uint8_t *px;
    ats_error err;
    if (ats_png_read(path, &px, w, h, &err) != ATS_OK)
        fail_msg("%s", err.message);
    free(px);
}

/* Runs export with `extra` arguments after --text SENTENCE; expects exit `code`. */
static ats_cli_result export(const char *const *extra, int code) {
    const char *args[32] = {"export", "--text", SENTENCE};
    int n = 3;
    for (int i = 0; extra[i]; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    if (r.exit_code != code)
        fail_msg("exit %d (expected %d); stderr: %s", r.exit_code, code, r.err);
    return r;
}

static void test_cli_export_every_view_png_and_svg(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    const char *views[] = {"heatmap", "lines", "grid"};
    for (int v = 0; v < 3; v++) {
        char png[512], svg[512];
        snprintf(png, sizeof png, "%s/%s.png", dir, views[v]);
        snprintf(svg, sizeof svg, "%s/%s.svg", dir, views[v]);
        ats_cli_result r = export((const char *[]){"--view", views[v], "-o", png, NULL}, 0);
        assert_int_equal(r.err_len, 0);
        ats_cli_result_free(&r);
        int w, h;
        png_size(png, &w, &h);
        assert_true(w > 300 && h > 200);
        /* the format follows the extension */
        r = export((const char *[]){"--view", views[v], "-o", svg, NULL}, 0);
        ats_cli_result_free(&r);
        FILE *f = fopen(svg, "r");
        assert_non_null(f);
        char head[64] = {0};
        assert_true(fread(head, 1, sizeof head - 1, f) > 0);
        fclose(f);
        assert_non_null(strstr(head, "<?xml"));
    }
    assert_int_equal(ats_count_entries(dir), 6);
    ats_rmtree(dir);
    free(dir);
}

static void test_cli_export_png_metadata(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/meta.png", dir);
    ats_cli_result r =
        export((const char *[]){"--view", "heatmap", "--layer", "1", "--head", "2", "--colormap",
                                "magma", "--token", "7", "-o", path, NULL},
               0);
    ats_cli_result_free(&r);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    png_structp rd = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(rd);
    png_init_io(rd, f);
    png_read_info(rd, info);
    png_textp texts;
    int n = 0;
    png_get_text(rd, info, &texts, &n);
    const char *want[][2] = {{"Software", "attnscope " ATS_VERSION},
                             {"Model", "builtin:demo"},
                             {"Text", SENTENCE},
                             {"View", "heatmap"},
                             {"Layer", "1"},
                             {"Head", "2"},
                             {"Colormap", "magma"},
                             {"ColorScale", "fixed 0 to 1.00"},
                             {"Token", "7 (query)"}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        bool found = false;
        for (int i = 0; i < n; i++)
            if (strcmp(texts[i].key, want[k][0]) == 0) {
                assert_string_equal(texts[i].text, want[k][1]);
                found = true;
            }
        if (!found)
            fail_msg("no %s text chunk", want[k][0]);
    }
    png_destroy_read_struct(&rd, &info, NULL);
    fclose(f);
    ats_rmtree(dir);
    free(dir);
}

/* The value of PNG text chunk `key`, or "" when absent (static buffer). */
static const char *png_chunk(const char *path, const char *key) {
    static char value[1024];
    value[0] = '\0';
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    png_structp rd = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(rd);
    png_init_io(rd, f);
    png_read_info(rd, info);
    png_textp texts;
    int n = 0;
    png_get_text(rd, info, &texts, &n);
    for (int i = 0; i < n; i++)
        if (strcmp(texts[i].key, key) == 0)
            snprintf(value, sizeof value, "%s", texts[i].text);
    png_destroy_read_struct(&rd, &info, NULL);
    fclose(f);
    return value;
}

static void test_cli_export_pipeline(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), png[512], svg[512];
    snprintf(png, sizeof png, "%s/pipeline.png", dir);
    snprintf(svg, sizeof svg, "%s/pipeline.svg", dir);
    /* the default query token is the last one */
    ats_cli_result r = export((const char *[]){"--view", "pipeline", "-o", png, NULL}, 0);
    assert_int_equal(r.err_len, 0);
    ats_cli_result_free(&r);
    int w, h;
    png_size(png, &w, &h);
    assert_true(w > 800 && h > 500);
    assert_string_equal(png_chunk(png, "View"), "pipeline");
    assert_string_equal(png_chunk(png, "Token"), "11 (query)");
    assert_string_equal(png_chunk(png, "Layer"), "0");
    assert_string_equal(png_chunk(png, "Head"), "0");
    assert_string_equal(png_chunk(png, "What-if"), "");
    assert_string_equal(png_chunk(png, "Title"),
                        "builtin:demo: pipeline, layer 0, head 0, query token 11");
    /* what-ifs and a step: in the metadata and drawn */
    r = export((const char *[]){"--view", "pipeline", "--layer", "1", "--head", "2", "--token", "5",
                                "--no-scaling", "--causal-mask", "on", "--temperature", "1.5",
                                "--step", "4", "-o", png, NULL},
               0);
    ats_cli_result_free(&r);
    assert_string_equal(png_chunk(png, "What-if"), "scaling off, causal mask on, temperature 1.5");
    assert_string_equal(png_chunk(png, "Step"), "4");
    assert_string_equal(png_chunk(png, "Token"), "5 (query)");
    r = export((const char *[]){"--view", "pipeline", "--layer", "1", "--head", "2", "--token", "5",
                                "--no-scaling", "--causal-mask", "on", "--temperature", "1.5",
                                "--step", "4", "-o", svg, NULL},
               0);
    ats_cli_result_free(&r);
    char *text = ats_read_file(svg, NULL);
    assert_non_null(strstr(text, "what-if: scaling off \xC2\xB7 causal mask on \xC2\xB7 "
                                 "temperature 1.5"));
    assert_non_null(strstr(text, "query &apos;street&apos; (token 5)"));
    free(text);
    /* --scale re-draws at twice the size */
    char two[512];
    snprintf(two, sizeof two, "%s/two.png", dir);
    r = export((const char *[]){"--view", "pipeline", "--scale", "2", "-o", two, NULL}, 0);
    ats_cli_result_free(&r);
    int w2, h2;
    png_size(two, &w2, &h2);
    assert_int_equal(w2, 2 * w);
    assert_int_equal(h2, 2 * h);
    ats_rmtree(dir);
    free(dir);
}

static void test_cli_export_auto_color_scale(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), png[512], svg[512];
    snprintf(png, sizeof png, "%s/auto.png", dir);
    snprintf(svg, sizeof svg, "%s/auto.svg", dir);
    /* a learned-looking head of builtin:demo: its largest weight is about a half */
    const char *args[] = {"--view",        "heatmap", "--layer", "1", "--head", "2",
                          "--color-scale", "auto",    "-o",      png, NULL};
    ats_cli_result r = export(args, 0);
    ats_cli_result_free(&r);
    char scale[32];
    snprintf(scale, sizeof scale, "%s", png_chunk(png, "ColorScale"));
    double top = 0;
    if (sscanf(scale, "auto 0 to %lf", &top) != 1 || !(top > 0.1 && top < 1))
        fail_msg("ColorScale is \"%s\"", scale);
    /* the colour bar says the scale and the same range in the SVG: caption and top tick */
    char caption[96] = ">weight (auto)<", tick[48];
    snprintf(tick, sizeof tick, ">%s<", scale + strlen("auto 0 to "));
    const char *svg_args[] = {"--view",        "heatmap", "--layer", "1", "--head", "2",
                              "--color-scale", "auto",    "-o",      svg, NULL};
    r = export(svg_args, 0);
    ats_cli_result_free(&r);
    char *text = ats_read_file(svg, NULL);
    if (!strstr(text, caption) || !strstr(text, tick))
        fail_msg("the SVG has no colour bar caption %s or tick %s", caption, tick);
    free(text);
    /* the grid colours each thumbnail against its own largest weight */
    const char *grid_args[] = {"--view", "grid", "--color-scale", "auto", "-o", png, NULL};
    r = export(grid_args, 0);
    ats_cli_result_free(&r);
    assert_string_equal(png_chunk(png, "ColorScale"), "auto, each head its own range");
    ats_rmtree(dir);
    free(dir);
}

static void test_cli_export_pipeline_fixture_models(void **state) {
    (void)state;
    const char *rel[] = {"fixtures/hf/tiny-random-gpt2", "fixtures/hf/tiny-random-bert",
                         "fixtures/gguf/stories260K.gguf"};
    for (int i = 0; i < 3; i++) {
        ATS_REQUIRE_SHARED(model, rel[i]);
        char *dir = ats_make_temp_dir(), png[512], svg[512];
        snprintf(png, sizeof png, "%s/p.png", dir);
        snprintf(svg, sizeof svg, "%s/p.svg", dir);
        const char *args[] = {"export", "--model",  model,     "--text", SENTENCE,
                              "--view", "pipeline", "--layer", "2",      "--head",
                              "3",      "-o",       png,       NULL};
        ats_cli_result r = ats_run_cli(args, NULL, 0);
        if (r.exit_code != 0)
            fail_msg("%s: exit %d: %s", rel[i], r.exit_code, r.err);
        ats_cli_result_free(&r);
        int w, h;
        png_size(png, &w, &h);
        assert_true(w > 800 && h > 500);
        assert_string_equal(png_chunk(png, "View"), "pipeline");
        args[12] = svg;
        r = ats_run_cli(args, NULL, 0);
        assert_int_equal(r.exit_code, 0);
        ats_cli_result_free(&r);
        char *text = ats_read_file(svg, NULL);
        assert_non_null(strstr(text, "</svg>"));
        /* grouped-query attention: head 3 reads KV head 1 */
        if (i == 2)
            assert_non_null(strstr(text, "head 3 (KV head 1)"));
        else
            assert_null(strstr(text, "KV head"));
        /* GPT-2 and Llama normalise before q, k, v; BERT after the attention */
        assert_true((strstr(text, "normalised before q, k, v") != NULL) == (i != 1));
        free(text);
        ats_rmtree(dir);
        free(dir);
    }
}

static void test_cli_export_scale_doubles(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), one[512], two[512], three[512];
    snprintf(one, sizeof one, "%s/1.png", dir);
    snprintf(two, sizeof two, "%s/2.png", dir);
    snprintf(three, sizeof three, "%s/3.png", dir);
    ats_cli_result r = export((const char *[]){"--view", "lines", "-o", one, NULL}, 0);
    ats_cli_result_free(&r);
    r = export((const char *[]){"--view", "lines", "--scale", "2", "-o", two, NULL}, 0);
    ats_cli_result_free(&r);
    r = export((const char *[]){"--view", "lines", "--scale", "3", "-o", three, NULL}, 0);
    ats_cli_result_free(&r);
    int w1, h1, w2, h2, w3, h3;
    png_size(one, &w1, &h1);
    png_size(two, &w2, &h2);
    png_size(three, &w3, &h3);
    assert_int_equal(w2, 2 * w1);
    assert_int_equal(h2, 2 * h1);
    assert_int_equal(w3, 3 * w1);
    assert_int_equal(h3, 3 * h1);
    ats_rmtree(dir);
    free(dir);
}

static void test_cli_export_text_file_numbers_lines(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), input[512], out[512], path[600];
    snprintf(input, sizeof input, "%s/texts.txt", dir);
    snprintf(out, sizeof out, "%s/figures", dir);
    FILE *f = fopen(input, "w");
    fputs("The cat sat.\n\nA dog ran far away.\r\nBirds fly.\n", f);
    fclose(f);
    const char *args[] = {"export", "--text-file", input, "--view", "heatmap",
                          "--head", "3",           "-o",  out,      NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    if (r.exit_code != 0)
        fail_msg("exit %d: %s", r.exit_code, r.err);
    ats_cli_result_free(&r);
    assert_int_equal(ats_count_entries(out), 3); /* the blank line 2 gets none */
    const int lines[] = {1, 3, 4};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/attnscope-heatmap-L0H3-%03d.png", out, lines[i]);
        assert_int_equal(access(path, R_OK), 0);
    }
    ats_rmtree(dir);
    free(dir);
}

static void test_cli_export_svg_to_stdout(void **state) {
    (void)state;
    ats_cli_result r =
        export((const char *[]){"--view", "grid", "--format", "svg", "-o", "-", NULL}, 0);
    assert_non_null(strstr(r.out, "<?xml"));
    assert_non_null(strstr(r.out, "</svg>"));
    ats_cli_result_free(&r);
}

/* One line on stderr, starting "attnscope: " and holding `what`. */
static void expect_one_line(const ats_cli_result *r, const char *what) {
    assert_int_equal(ats_count_lines(r->err), 1);
    assert_int_equal(strncmp(r->err, "attnscope: ", 11), 0);
    if (!strstr(r->err, what))
        fail_msg("stderr \"%s\" does not mention \"%s\"", r->err, what);
}

static void test_cli_export_bad_input_exit_2(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), out[512];
    snprintf(out, sizeof out, "%s/x.png", dir);
    struct {
        const char *args[8];
        const char *what;
    } cases[] = {
        {{"--view", "pie", "-o", out}, "unknown view 'pie'"},
        {{"--view", "pipeline", "--step", "8", "-o", out}, "--step 8 is out of range"},
        {{"--view", "heatmap", "--no-scaling", "-o", out}, "go with --view pipeline"},
        {{"--view", "lines", "--step", "2", "-o", out}, "go with --view pipeline"},
        {{"--view", "pipeline", "--causal-mask", "maybe", "-o", out},
         "--causal-mask takes on or off, got 'maybe'"},
        {{"--view", "pipeline", "--temperature", "0", "-o", out}, "--temperature needs a number"},
        {{"--view", "pipeline", "--token", "12", "-o", out}, "--token 12 is out of range"},
        {{"--view", "pipeline", "--layer", "2", "-o", out}, "--layer 2 is out of range"},
        {{"--colormap", "jet", "-o", out}, "unknown colormap 'jet'"},
        {{"--color-scale", "log", "-o", out},
         "unknown --color-scale 'log' (fixed, auto, minmax, row or exclude-first)"},
        {{"--format", "gif", "-o", out}, "unknown format 'gif'"},
        {{"--bogus", "-o", out}, "unknown option '--bogus'"},
        {{"--layer", "2", "-o", out}, "--layer 2 is out of range"},
        {{"--head", "4", "-o", out}, "--head 4 is out of range"},
        {{"--token", "12", "-o", out}, "--token 12 is out of range: the text has 12 tokens"},
        {{"--token", "-3", "-o", out}, "--token -3 is out of range"},
        {{"--scale", "0", "-o", out}, "--scale needs a number"},
        {{"--font", "/nonexistent.ttf", "-o", out}, "/nonexistent.ttf"},
        {{"--view", "heatmap"}, "-o FILE is required"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ats_cli_result r = export(cases[i].args, 2);
        expect_one_line(&r, cases[i].what);
        ats_cli_result_free(&r);
        assert_int_equal(ats_count_entries(dir), 0);
    }
    ats_rmtree(dir);
    free(dir);
}

static void test_cli_export_unwritable_path_leaves_nothing(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), path[512];
    /* a folder that does not exist */
    snprintf(path, sizeof path, "%s/missing/out.png", dir);
    ats_cli_result r = export((const char *[]){"-o", path, NULL}, 2);
    expect_one_line(&r, "cannot write");
    ats_cli_result_free(&r);
    /* a plain file in the way of the folder */
    snprintf(path, sizeof path, "%s/plain", dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    snprintf(path, sizeof path, "%s/plain/out.svg", dir);
    r = export((const char *[]){"-o", path, NULL}, 2);
    expect_one_line(&r, "cannot write");
    ats_cli_result_free(&r);
    /* a folder where the file should go: the temporary file must not stay behind */
    snprintf(path, sizeof path, "%s/taken.png", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    r = export((const char *[]){"-o", path, NULL}, 2);
    expect_one_line(&r, "cannot write");
    ats_cli_result_free(&r);
    assert_int_equal(ats_count_entries(path), 0);
    assert_int_equal(ats_count_entries(dir), 2); /* plain, taken.png: nothing else */
    ats_rmtree(dir);
    free(dir);
}

static void test_cli_export_help(void **state) {
    (void)state;
    const char *args[] = {"export", "--help", NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "--view"));
    assert_non_null(strstr(r.out, "--scale"));
    ats_cli_result_free(&r);
    const char *top[] = {"--help", NULL};
    r = ats_run_cli(top, NULL, 0);
    assert_non_null(strstr(r.out, "attnscope export"));
    ats_cli_result_free(&r);
}

/* `attnscope` with no display: one line saying so, and a heatmap PNG under a new name in the
 * current directory (or --export-dir), named on standard output. */
static void test_cli_export_no_display_writes_a_heatmap(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    for (int round = 1; round <= 2; round++) {
        ats_cli_result r = ats_run_cli((const char *const[]){"--text", SENTENCE, NULL}, NULL, 0);
        if (r.exit_code != 0)
            fail_msg("exit %d, stderr: %s", r.exit_code, r.err);
        assert_int_equal(ats_count_lines(r.err), 1);
        assert_non_null(strstr(r.err, "no display"));
        char want[64];
        snprintf(want, sizeof want, "attnscope-heatmap-L0H0-%03d.png\n", round);
        assert_string_equal(r.out, want); /* never over the earlier file */
        ats_cli_result_free(&r);
    }
    int w, h;
    png_size("attnscope-heatmap-L0H0-001.png", &w, &h);
    assert_true(w > 300 && h > 300);
    assert_int_equal(chdir(cwd), 0);
    /* --export-dir puts it there */
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/figures", dir);
    assert_int_equal(mkdir(sub, 0777), 0);
    ats_cli_result r = ats_run_cli((const char *const[]){"--export-dir", sub, NULL}, NULL, 0);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "figures/attnscope-heatmap-L0H0-001.png"));
    ats_cli_result_free(&r);
    assert_int_equal(ats_count_entries(sub), 1);
    /* a folder that cannot take it: exit 2, one line naming it */
    r = ats_run_cli((const char *const[]){"--export-dir", "/nonexistent-dir", NULL}, NULL, 0);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "/nonexistent-dir"));
    ats_cli_result_free(&r);
    ats_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_export_every_view_png_and_svg),
        cmocka_unit_test(test_cli_export_png_metadata),
        cmocka_unit_test(test_cli_export_pipeline),
        cmocka_unit_test(test_cli_export_pipeline_fixture_models),
        cmocka_unit_test(test_cli_export_auto_color_scale),
        cmocka_unit_test(test_cli_export_scale_doubles),
        cmocka_unit_test(test_cli_export_text_file_numbers_lines),
        cmocka_unit_test(test_cli_export_svg_to_stdout),
        cmocka_unit_test(test_cli_export_bad_input_exit_2),
        cmocka_unit_test(test_cli_export_unwritable_path_leaves_nothing),
        cmocka_unit_test(test_cli_export_help),
        cmocka_unit_test(test_cli_export_no_display_writes_a_heatmap),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
