/* SVG export parsed back with libxml2: well-formed, text kept as <text> (escaped correctly),
 * lines as <line>, large heatmaps as an embedded PNG, and the metadata present. */
#include "test_support.h"
#include "view_fixture.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

typedef struct svg_doc {
    xmlDocPtr doc;
    int n_text, n_line, n_image, n_rect;
    char *texts[4096]; /* contents of <text>, malloc'd */
} svg_doc;

static void walk(svg_doc *s, xmlNodePtr node) {
    for (xmlNodePtr n = node; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const char *name = (const char *)n->name;
        if (strcmp(name, "text") == 0 && s->n_text < 4096)
            s->texts[s->n_text++] = (char *)xmlNodeGetContent(n);
        s->n_line += strcmp(name, "line") == 0;
        s->n_image += strcmp(name, "image") == 0;
        s->n_rect += strcmp(name, "rect") == 0;
        walk(s, n->children);
    }
}

static void parse(svg_doc *s, const char *svg, size_t len) {
    memset(s, 0, sizeof *s);
    s->doc = xmlReadMemory(svg, (int)len, "export.svg", NULL, XML_PARSE_NONET);
    if (!s->doc)
        fail_msg("the SVG is not well-formed XML");
    xmlNodePtr root = xmlDocGetRootElement(s->doc);
    assert_string_equal((const char *)root->name, "svg");
    assert_non_null(root->ns);
    assert_string_equal((const char *)root->ns->href, "http://www.w3.org/2000/svg");
    walk(s, root);
}

static bool has_text(const svg_doc *s, const char *text) {
    for (int i = 0; i < s->n_text; i++)
        if (strcmp(s->texts[i], text) == 0)
            return true;
    return false;
}

static void free_doc(svg_doc *s) {
    for (int i = 0; i < s->n_text; i++)
        xmlFree(s->texts[i]);
    xmlFreeDoc(s->doc);
}

static char *encode_view(demo_fixture *f, const ats_view_state *st, size_t *len) {
    float w, h;
    ats_view *v = demo_build(f, st, &w, &h);
    ats_meta meta;
    ats_meta_for_view(&meta, st, &f->data);
    char *svg;
    ats_error err;
    if (ats_svg_encode(ats_view_display_list(v), ats_font_family(f->font), &meta, 1, &svg, len,
                       &err) != ATS_OK)
        fail_msg("svg: %s", err.message);
    ats_view_free(v);
    return svg;
}

static void test_svg_each_view_parses(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    for (int view = ATS_VIEW_HEATMAP; view <= ATS_VIEW_GRID; view++) {
        ats_view_state st = ats_view_state_default();
        st.view = (ats_view_kind)view;
        size_t len;
        char *svg = encode_view(&f, &st, &len);
        svg_doc s;
        parse(&s, svg, len);
        assert_true(has_text(&s, "builtin:demo"));
        if (view != ATS_VIEW_GRID) {
            assert_true(has_text(&s, "animal"));
            assert_true(has_text(&s, "didn't")); /* the apostrophe went out as &apos; */
        }
        if (view == ATS_VIEW_LINES)
            assert_true(s.n_line > 40);
        if (view == ATS_VIEW_HEATMAP)
            assert_true(s.n_rect > 144); /* 12 x 12 cells as rects */
        assert_non_null(strstr(svg, "<title>builtin:demo: "));
        assert_non_null(strstr(svg, "<ats:field name=\"Text\">The animal didn&apos;t cross"));
        free_doc(&s);
        free(svg);
    }
    demo_fixture_close(&f);
}

static void test_svg_escapes_awkward_labels(void **state) {
    (void)state;
    const char *labels[] = {"<b>", "a&b", "\"q\"", "it's", "x\x01y", "tab\there", " lead"};
    enum { T = 7 };
    float attn[1 * 1 * T * T];
    for (int i = 0; i < T * T; i++)
        attn[i] = 1.0f / T;
    ats_view_data d = {.model_name = "m<&>",
                       .n_layer = 1,
                       .n_head = 1,
                       .n_tokens = T,
                       .tokens = labels,
                       .attention = attn,
                       .text = "a\x02\"<b>\""};
    ats_font *font;
    ats_error err;
    assert_int_equal(ats_font_open(NULL, &font, &err), ATS_OK);
    ats_view *v;
    assert_int_equal(ats_view_new(&v), ATS_OK);
    ats_view_state st = ats_view_state_default();
    for (int view = ATS_VIEW_HEATMAP; view <= ATS_VIEW_LINES; view++) {
        st.view = (ats_view_kind)view;
        assert_int_equal(ats_view_build(v, &st, &d, font, 640, 480, &err), ATS_OK);
        ats_meta meta;
        ats_meta_for_view(&meta, &st, &d);
        char *svg;
        size_t len;
        assert_int_equal(
            ats_svg_encode(ats_view_display_list(v), "DejaVu Sans", &meta, 1, &svg, &len, &err),
            ATS_OK);
        svg_doc s;
        parse(&s, svg, len);
        assert_true(has_text(&s, "<b>"));
        assert_true(has_text(&s, "a&b"));
        assert_true(has_text(&s, "\"q\""));
        assert_true(has_text(&s, "it's"));
        assert_true(has_text(&s, "x\xE2\x90\x81y"));      /* U+0001 shown as its picture U+2401 */
        assert_true(has_text(&s, "tab\xE2\x87\xA5here")); /* tab as U+21E5 */
        assert_true(has_text(&s, "lead"));
        assert_true(has_text(&s, "m<&>"));
        free_doc(&s);
        free(svg);
    }
    ats_view_free(v);
    ats_font_free(font);
}

static void test_svg_large_heatmap_embeds_png(void **state) {
    (void)state;
    enum { T = 90 };
    const char *labels[T];
    float *attn = malloc(sizeof(float) * T * T);
    for (int i = 0; i < T; i++) {
        labels[i] = "tok";
        for (int j = 0; j < T; j++)
            attn[i * T + j] = j <= i ? 1.0f / (float)(i + 1) : 0.0f;
    }
    ats_view_data d = {.model_name = "synthetic",
                       .n_layer = 1,
                       .n_head = 1,
                       .n_tokens = T,
                       .tokens = labels,
                       .attention = attn,
                       .causal = true};
    ats_font *font;
    ats_error err;
    assert_int_equal(ats_font_open(NULL, &font, &err), ATS_OK);
    ats_view *v;
    assert_int_equal(ats_view_new(&v), ATS_OK);
    ats_view_state st = ats_view_state_default();
    assert_int_equal(ats_view_build(v, &st, &d, font, 900, 900, &err), ATS_OK);
    char *svg;
    size_t len;
    assert_int_equal(ats_svg_encode(ats_view_display_list(v), NULL, NULL, 2, &svg, &len, &err),
                     ATS_OK);
    svg_doc s;
    parse(&s, svg, len);
    assert_int_equal(s.n_image, 2); /* the cells, and the colour bar's gradient */
    assert_non_null(strstr(svg, "style=\"image-rendering:pixelated\""));
    assert_non_null(strstr(svg, "xlink:href=\"data:image/png;base64,iVBORw0KGgo")); /* \x89PNG */
    assert_non_null(strstr(svg, "width=\"1800\" height=\"1800\" viewBox=\"0 0 900 900\""));
    assert_true(s.n_rect < 100); /* the cells are not rects */
    assert_true(s.n_line > 20);  /* the hatching of masked cells */
    free_doc(&s);
    free(svg);
    ats_view_free(v);
    ats_font_free(font);
    free(attn);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_svg_each_view_parses),
        cmocka_unit_test(test_svg_escapes_awkward_labels),
        cmocka_unit_test(test_svg_large_heatmap_embeds_png),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
