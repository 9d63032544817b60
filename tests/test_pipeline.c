/* The pipeline (teaching) view: the data prepared from a run (ats_run_pipeline_make) holds the
 * run's own numbers and the what-if switches change exactly what they claim; the view writes the
 * numbers ats_head_steps_compute gives (read back from its SVG with libxml2); hits find the
 * tokens and heads; long texts stay bounded; the highlighted step dims the others. */
#include "test_support.h"
#include "view_fixture.h"

#include "attnscope/rundata.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------------------- */

/* The view's number format (view_pipeline_draw.c): at most five characters for the usual ranges. */
typedef struct svg_texts {
    xmlDocPtr doc;
    int n;
    char *items[8192]; /* contents of every <text>, malloc'd by libxml2 */
} svg_texts;

static void walk(svg_texts *s, xmlNodePtr node) {
    for (xmlNodePtr n = node; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)n->name, "text") == 0 && s->n < 8192)
            s->items[s->n++] = (char *)xmlNodeGetContent(n);
        walk(s, n->children);
    }
}

static bool has_text(const svg_texts *s, const char *t) {
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->items[i], t) == 0)
            return true;
    return false;
}

/* Whether v is written in the view's number format (render.h: plain in a number's cell, compact
 * in a vector's cells), allowing the last digit to round the other way when v, as the view
 * computed it in float, sits within 1e-5 (relative) of a rounding boundary. */
static bool has_number(const svg_texts *s, float v, ats_number_style style, char *want, size_t n) {
    static const double NUDGE[] = {0, 1e-5, -1e-5};
    for (int i = 0; i < 3; i++) {
        ats_format_number(want, n, (double)v * (1.0 + NUDGE[i]), style);
        if (has_text(s, want))
            return true;
    }
    ats_format_number(want, n, (double)v, style);
    return false;
}

static int count_text(const svg_texts *s, const char *t) {
    int k = 0;
    for (int i = 0; i < s->n; i++)
        k += strcmp(s->items[i], t) == 0;
    return k;
}

static bool has_text_containing(const svg_texts *s, const char *t) {
    for (int i = 0; i < s->n; i++)
        if (strstr(s->items[i], t))
            return true;
    return false;
}

static void free_texts(svg_texts *s) {
    for (int i = 0; i < s->n; i++)
        xmlFree(s->items[i]);
    xmlFreeDoc(s->doc);
}

/* A pipeline view of the fixture's run, built at its natural size (or w x h when given). */
typedef struct pview {
    ats_run_view vd;
    ats_run_pipeline pipe;
    ats_view_state st;
    ats_view *view;
    float w, h;
} pview;

static void pview_open(pview *pv, demo_fixture *f, int layer, int head, int token,
                       const ats_step_opts *opts, float w, float h) {
    memset(pv, 0, sizeof *pv);
    ats_error err;
    assert_int_equal(ats_run_view_make(&pv->vd, f->model, f->run, ATS_SENTENCE, NULL), ATS_OK);
    if (ats_run_pipeline_make(&pv->pipe, f->model, f->run, layer, head, token, opts, &err) !=
        ATS_OK)
        fail_msg("pipeline data: %s", err.message);
    pv->vd.data.pipeline = &pv->pipe.data;
    pv->st = ats_view_state_default();
    pv->st.view = ATS_VIEW_PIPELINE;
    pv->st.layer = layer;
    pv->st.head = head;
    assert_int_equal(ats_view_new(&pv->view), ATS_OK);
    if (w > 0) {
        pv->w = w;
        pv->h = h;
    } else {
        ats_view_natural_size(&pv->st, &pv->vd.data, f->font, &pv->w, &pv->h);
    }
    if (ats_view_build(pv->view, &pv->st, &pv->vd.data, f->font, pv->w, pv->h, &err) != ATS_OK)
        fail_msg("build: %s", err.message);
}

static void pview_rebuild(pview *pv, demo_fixture *f) {
    ats_error err;
    if (ats_view_build(pv->view, &pv->st, &pv->vd.data, f->font, pv->w, pv->h, &err) != ATS_OK)
        fail_msg("build: %s", err.message);
}

static void pview_close(pview *pv) {
    ats_view_free(pv->view);
    ats_run_pipeline_free(&pv->pipe);
    ats_run_view_free(&pv->vd);
}

static void svg_of(pview *pv, demo_fixture *f, svg_texts *s) {
    ats_meta meta;
    ats_meta_for_view(&meta, &pv->st, &pv->vd.data);
    char *svg;
    size_t len;
    ats_error err;
    if (ats_svg_encode(ats_view_display_list(pv->view), ats_font_family(f->font), &meta, 1, &svg,
                       &len, &err) != ATS_OK)
        fail_msg("svg: %s", err.message);
    memset(s, 0, sizeof *s);
    s->doc = xmlReadMemory(svg, (int)len, "pipeline.svg", NULL, XML_PARSE_NONET);
    free(svg);
    if (!s->doc)
        fail_msg("the pipeline SVG is not well-formed XML");
    walk(s, xmlDocGetRootElement(s->doc));
}

static uint8_t *rasterize(const pview *pv, demo_fixture *f) {
    int w = (int)pv->w, h = (int)pv->h;
    uint8_t *px = calloc((size_t)w * h, 4);
    assert_non_null(px);
    ats_canvas c = ats_canvas_make(px, w, h, w * 4);
    ats_error err;
    if (ats_render_draw(&c, ats_view_display_list(pv->view), f->font, 1, &err) != ATS_OK)
        fail_msg("draw: %s", err.message);
    return px;
}

/* ---- the data ------------------------------------------------------------------------------ */

static void check_against_run(const ats_model *model, const ats_run *run, int layer, int head,
                              int token) {
    ats_run_pipeline p;
    ats_error err;
    if (ats_run_pipeline_make(&p, model, run, layer, head, token, NULL, &err) != ATS_OK)
        fail_msg("L%d H%d token %d: %s", layer, head, token, err.message);
    const ats_pipeline_data *d = &p.data;
    const ats_model_config *c = ats_model_get_config(model);
    int T = ats_run_n_tokens(run), dh = c->d_head, dm = c->d_model;
    ats_head_detail hd;
    ats_layer_detail ld;
    assert_int_equal(ats_run_head_detail(run, layer, head, &hd, NULL), ATS_OK);
    assert_int_equal(ats_run_layer_detail(run, layer, &ld, NULL), ATS_OK);
    assert_int_equal(d->layer, layer);
    assert_int_equal(d->head, head);
    assert_int_equal(d->token, token);
    assert_int_equal(d->kv_head, hd.kv_head);
    assert_int_equal(d->n_head, c->n_head);
    assert_int_equal(d->d_head, dh);
    assert_int_equal(d->d_model, dm);
    assert_true(d->scaling);
    assert_true(fabsf(d->scale - c->attn_scale) < 1e-7f);
    assert_true(d->temperature == 1.0f);
    assert_int_equal(d->causal, c->causal);
    assert_int_equal(d->pre_norm, c->pre_norm);
    assert_ptr_equal(d->caption, ats_model_head_caption(model, layer, head));
    /* the vectors are the run's */
    ats_assert_close(d->q, hd.q + (size_t)token * dh, (size_t)dh, 0, "q");
    ats_assert_close(d->k, hd.k, (size_t)T * dh, 0, "k");
    ats_assert_close(d->v, hd.v, (size_t)T * dh, 0, "v");
    ats_assert_close(d->scores, hd.scores + (size_t)token * T, (size_t)T, 0, "scores");
    ats_assert_close(d->input, ld.input, (size_t)T * dm, 0, "input");
    ats_assert_close(d->concat, ld.concat + (size_t)token * ld.d_concat, (size_t)ld.d_concat, 0,
                     "concat");
    ats_assert_close(d->projected, ld.attn_out + (size_t)token * dm, (size_t)dm, 0, "projected");
    /* weights are the attention row, the output the head's output (also its slice of concat) */
    ats_assert_close(d->weights, ats_run_attention(run, layer, head) + (size_t)token * T, (size_t)T,
                     1e-6, "weights vs attention row");
    ats_assert_close(d->output, hd.out + (size_t)token * dh, (size_t)dh, 1e-5,
                     "output vs head output");
    ats_assert_close(d->output, d->concat + (size_t)head * dh, (size_t)dh, 1e-5,
                     "output vs its slice of the concatenation");
    for (int j = 0; j < T; j++) {
        assert_true(fabsf(d->scaled[j] - d->scores[j] * d->scale) <= 1e-6f * fabsf(d->scaled[j]));
        assert_int_equal(d->masked[j], c->causal && j > token);
    }
    ats_run_pipeline_free(&p);
}

static void test_pipeline_data_matches_the_run(void **state) {
    (void)state;
    for (int causal = 0; causal <= 1; causal++) {
        demo_fixture f;
        demo_fixture_open(&f, ATS_SENTENCE, causal);
        int T = f.data.n_tokens;
        for (int l = 0; l < 2; l++)
            for (int h = 0; h < 4; h++)
                for (int t = 0; t < T; t += 3)
                    check_against_run(f.model, f.run, l, h, t);
        demo_fixture_close(&f);
    }
}

static void test_pipeline_data_switches_change_what_they_claim(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    const int layer = 1, head = 2, token = 5, T = f.data.n_tokens, dh = 16;
    ats_run_pipeline base, p;
    assert_int_equal(ats_run_pipeline_make(&base, f.model, f.run, layer, head, token, NULL, NULL),
                     ATS_OK);
    ats_step_opts o[3] = {ats_step_opts_default(), ats_step_opts_default(),
                          ats_step_opts_default()};
    o[0].scale = false;
    o[1].causal = 1;
    o[2].temperature = 2.5f;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(ats_run_pipeline_make(&p, f.model, f.run, layer, head, token, &o[k], NULL),
                         ATS_OK);
        const ats_pipeline_data *d = &p.data, *b = &base.data;
        /* the same numbers as ats_head_steps_compute with the same switches */
        ats_head_steps *st;
        assert_int_equal(ats_head_steps_compute(f.run, layer, head, token, &o[k], &st, NULL),
                         ATS_OK);
        ats_assert_close(d->scaled, st->scaled, (size_t)T, 0, "scaled vs steps");
        ats_assert_close(d->weights, st->weights, (size_t)T, 0, "weights vs steps");
        ats_assert_close(d->output, st->output, (size_t)dh, 0, "output vs steps");
        ats_head_steps_free(st);
        /* what no switch touches */
        ats_assert_close(d->q, b->q, (size_t)dh, 0, "q");
        ats_assert_close(d->k, b->k, (size_t)T * dh, 0, "k");
        ats_assert_close(d->scores, b->scores, (size_t)T, 0, "scores");
        ats_assert_close(d->input, b->input, (size_t)T * 64, 0, "input");
        ats_assert_close(d->concat, b->concat, (size_t)4 * dh, 0, "concat (the model's own)");
        ats_assert_close(d->projected, b->projected, 64, 0, "projected (the model's own)");
        /* the weights are no longer the attention row */
        bool differs = false;
        for (int j = 0; j < T; j++)
            differs = differs || fabsf(d->weights[j] - b->weights[j]) > 1e-4f;
        assert_true(differs);
        if (k == 0) { /* scaling off: scaled is the raw score */
            assert_false(d->scaling);
            assert_true(d->scale == 1.0f);
            ats_assert_close(d->scaled, d->scores, (size_t)T, 0, "scaled == scores");
        } else {
            assert_true(d->scaling);
            ats_assert_close(d->scaled, b->scaled, (size_t)T, 0, "scaled unchanged");
        }
        if (k == 1) { /* causal on for a bidirectional model */
            assert_true(d->causal);
            for (int j = 0; j < T; j++) {
                assert_int_equal(d->masked[j], j > token);
                if (j > token)
                    assert_true(d->weights[j] == 0.0f);
            }
        } else {
            assert_false(d->causal);
        }
        assert_true(d->temperature == (k == 2 ? 2.5f : 1.0f));
        ats_run_pipeline_free(&p);
    }
    ats_run_pipeline_free(&base);

    /* a run without the layer's details, or a token out of range: an error, nothing held */
    ats_error err;
    ats_run *plain;
    assert_int_equal(ats_run_text(f.model, "two words", 9, NULL, &plain, NULL), ATS_OK);
    assert_int_equal(ats_run_pipeline_make(&p, f.model, plain, 0, 0, 0, NULL, &err), ATS_ERR_ARG);
    assert_non_null(strstr(err.message, "not kept"));
    assert_null(p.steps);
    ats_run_free(plain);
    assert_int_equal(ats_run_pipeline_make(&p, f.model, f.run, 0, 0, T, NULL, &err), ATS_ERR_ARG);
    assert_null(p.steps);
    demo_fixture_close(&f);
}

/* A real model's run with every layer's details. */
static void open_model(const char *path, const char *text, ats_model **m, ats_run **run) {
    ats_error err;
    if (ats_model_load(path, NULL, m, &err) != ATS_OK)
        fail_msg("%s: %s", path, err.message);
    ats_run_opts ro = ats_run_opts_default();
    ro.detail_layer = ATS_DETAIL_ALL_LAYERS;
    if (ats_run_text(*m, text, strlen(text), &ro, run, &err) != ATS_OK)
        fail_msg("run: %s", err.message);
}

static void test_pipeline_data_grouped_query(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(path, "fixtures/gguf/stories260K.gguf");
    ats_model *m;
    ats_run *run;
    open_model(path, "Once upon a time there was a little girl.", &m, &run);
    const ats_model_config *c = ats_model_get_config(m);
    assert_int_equal(c->n_head, 8);
    assert_int_equal(c->n_kv_head, 4);
    int T = ats_run_n_tokens(run);
    for (int l = 0; l < c->n_layer; l += 2)
        for (int h = 0; h < c->n_head; h++) {
            check_against_run(m, run, l, h, T - 1);
            ats_run_pipeline p, partner;
            assert_int_equal(ats_run_pipeline_make(&p, m, run, l, h, 3, NULL, NULL), ATS_OK);
            assert_int_equal(p.data.kv_head, h / 2); /* head h reads KV head h/2 */
            /* both heads of a pair read the same keys and values */
            assert_int_equal(ats_run_pipeline_make(&partner, m, run, l, h ^ 1, 3, NULL, NULL),
                             ATS_OK);
            ats_assert_close(p.data.k, partner.data.k, (size_t)T * c->d_head, 0, "shared k");
            ats_assert_close(p.data.v, partner.data.v, (size_t)T * c->d_head, 0, "shared v");
            assert_true(p.data.pre_norm);
            ats_run_pipeline_free(&partner);
            ats_run_pipeline_free(&p);
        }
    ats_run_free(run);
    ats_model_free(m);
}

static void test_pipeline_data_gpt2_and_bert(void **state) {
    (void)state;
    const char *rel[2] = {"fixtures/hf/tiny-random-gpt2", "fixtures/hf/tiny-random-bert"};
    for (int i = 0; i < 2; i++) {
        ATS_REQUIRE_SHARED(path, rel[i]);
        ats_model *m;
        ats_run *run;
        open_model(path, "The animal didn't cross the street because it was too tired.", &m, &run);
        int T = ats_run_n_tokens(run);
        for (int l = 0; l < ats_model_get_config(m)->n_layer; l++)
            for (int h = 0; h < ats_model_get_config(m)->n_head; h++)
                check_against_run(m, run, l, h, (l + h) % T);
        ats_run_free(run);
        ats_model_free(m);
    }
}

/* ---- the view ------------------------------------------------------------------------------ */

/* Every number the view writes for steps 3-6 is the one ats_head_steps_compute gives. */
static void check_numbers_drawn(demo_fixture *f, int layer, int head, int token,
                                const ats_step_opts *opts) {
    pview pv;
    pview_open(&pv, f, layer, head, token, opts, 0, 0);
    svg_texts s;
    svg_of(&pv, f, &s);
    ats_head_steps *st;
    assert_int_equal(ats_head_steps_compute(f->run, layer, head, token, opts, &st, NULL), ATS_OK);
    int T = st->n_tokens, dh = st->d_head;
    char want[64];
    for (int j = 0; j < T; j++) {
        if (!has_number(&s, st->scores[j], ATS_NUMBER_PLAIN, want, sizeof want))
            fail_msg("score %d (%s) is not drawn", j, want);
        if (!has_number(&s, st->scaled[j], ATS_NUMBER_PLAIN, want, sizeof want))
            fail_msg("scaled score %d (%s) is not drawn", j, want);
        if (!st->masked[j] && !has_number(&s, st->weights[j], ATS_NUMBER_PLAIN, want, sizeof want))
            fail_msg("weight %d (%s) is not drawn", j, want);
        for (int i = 0; i < dh; i++) {
            if (!st->masked[j] && !has_number(&s, st->weights[j] * st->v[j * dh + i],
                                              ATS_NUMBER_COMPACT, want, sizeof want))
                fail_msg("weight x v %d[%d] (%s) is not drawn", j, i, want);
            if (!has_number(&s, st->k[j * dh + i], ATS_NUMBER_COMPACT, want, sizeof want))
                fail_msg("k %d[%d] (%s) is not drawn", j, i, want);
        }
    }
    for (int i = 0; i < dh; i++) {
        if (!has_number(&s, st->output[i], ATS_NUMBER_COMPACT, want, sizeof want))
            fail_msg("output[%d] (%s) is not drawn", i, want);
        if (!has_number(&s, st->q[i], ATS_NUMBER_COMPACT, want, sizeof want))
            fail_msg("q[%d] (%s) is not drawn", i, want);
    }
    int masked = 0;
    for (int j = 0; j < T; j++)
        masked += st->masked[j];
    assert_int_equal(count_text(&s, "masked"), masked);
    assert_true(has_text(&s, "\xCE\xA3 = 1.00"));
    /* the scaled column says what it multiplied by */
    snprintf(want, sizeof want, "\xC3\x97 %.3g", (double)st->scale);
    assert_true(has_text(&s, want));
    snprintf(want, sizeof want, "query '%s'", f->rv.labels[token]);
    assert_true(has_text(&s, want));
    ats_head_steps_free(st);
    free_texts(&s);
    pview_close(&pv);
}

static void test_pipeline_view_draws_the_steps_numbers(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    check_numbers_drawn(&f, 0, 0, 7, NULL);
    check_numbers_drawn(&f, 1, 3, 0, NULL);
    ats_step_opts o = ats_step_opts_default();
    o.scale = false;
    o.causal = 1;
    o.temperature = 0.5f;
    check_numbers_drawn(&f, 1, 2, 5, &o);
    demo_fixture_close(&f);
    demo_fixture_open(&f, ATS_SENTENCE, true);
    check_numbers_drawn(&f, 1, 1, 4, NULL);
    o = ats_step_opts_default();
    o.causal = 0;
    check_numbers_drawn(&f, 0, 3, 2, &o);
    demo_fixture_close(&f);
}

static void test_pipeline_view_marks_what_ifs_and_captions(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    pview pv;
    svg_texts s;
    /* the model's own computation: no badge; layer 0 heads carry their caption */
    pview_open(&pv, &f, 0, 0, 7, NULL, 0, 0);
    svg_of(&pv, &f, &s);
    assert_false(has_text_containing(&s, "what-if"));
    assert_true(has_text(&s, "L0 H0 \xE2\x80\x94 previous token: its query rotates the position "
                             "code back by one"));
    assert_true(has_text(&s, "layer 0 \xC2\xB7 head 0 \xC2\xB7 query 'it' (token 7)"));
    assert_true(has_text(&s, "\xC3\xB7 \xE2\x88\x9A"
                             "16 = \xC3\xB7 4"));
    free_texts(&s);
    pview_close(&pv);
    /* every switch at once: the badge names each, the steps they change say so */
    ats_step_opts o = ats_step_opts_default();
    o.scale = false;
    o.causal = 1;
    o.temperature = 2.0f;
    pview_open(&pv, &f, 1, 2, 5, &o, 0, 0);
    svg_of(&pv, &f, &s);
    assert_true(has_text(&s, "what-if: scaling off \xC2\xB7 causal mask on \xC2\xB7 "
                             "temperature 2"));
    assert_true(has_text(&s, "what-if: scaling off"));
    assert_true(has_text(&s, "what-if: causal mask on"));
    assert_true(has_text_containing(&s, "the what-if changes steps 4 to 6 only"));
    assert_false(has_text_containing(&s, "L1 H2")); /* layer 1 heads are random: no caption */
    free_texts(&s);
    /* and the metadata */
    ats_meta meta;
    ats_meta_for_view(&meta, &pv.st, &pv.vd.data);
    bool found = false;
    for (int i = 0; i < meta.n; i++)
        if (strcmp(meta.key[i], "What-if") == 0) {
            assert_string_equal(meta.value[i], "scaling off, causal mask on, temperature 2");
            found = true;
        }
    assert_true(found);
    pview_close(&pv);
    demo_fixture_close(&f);
    /* the causal mask switched off for a causal model */
    demo_fixture_open(&f, ATS_SENTENCE, true);
    o = ats_step_opts_default();
    o.causal = 0;
    pview_open(&pv, &f, 0, 1, 3, &o, 0, 0);
    svg_of(&pv, &f, &s);
    assert_true(has_text(&s, "what-if: causal mask off"));
    assert_int_equal(count_text(&s, "masked"), 0);
    free_texts(&s);
    pview_close(&pv);
    demo_fixture_close(&f);
}

static void test_pipeline_view_hits(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    int T = f.data.n_tokens;
    float sizes[2][2] = {{0, 0}, {1000, 620}}; /* natural, and a small window */
    for (int k = 0; k < 2; k++) {
        pview pv;
        pview_open(&pv, &f, 0, 1, 7, NULL, sizes[k][0], sizes[k][1]);
        /* down the label column: the query row, then the keys in order, in each band */
        int band[2][64], n[2] = {0, 0}, b = 0, queries = 0, last = -2;
        for (int y = 0; y < (int)pv.h; y++) {
            ats_hit hit = ats_view_hit_test(pv.view, 40.0f, (float)y + 0.5f);
            if (hit.kind != ATS_HIT_TOKEN) {
                last = -2;
                continue;
            }
            if (hit.token == last)
                continue;
            last = hit.token;
            if (hit.side == ATS_SIDE_QUERY) {
                assert_int_equal(hit.token, 7);
                queries++;
                continue;
            }
            if (n[b] > 0 && hit.token < band[b][n[b] - 1])
                b++; /* the second band starts again */
            assert_true(b < 2 && n[b] < 64);
            band[b][n[b]++] = hit.token;
        }
        assert_int_equal(queries, 1);
        for (int i = 0; i <= b; i++) {
            bool query = false;
            for (int r = 0; r < n[i]; r++) {
                if (r > 0)
                    assert_true(band[i][r] > band[i][r - 1]);
                query = query || band[i][r] == 7;
            }
            assert_true(query);
            if (k == 0)
                assert_int_equal(n[i], T); /* natural size: every key */
            else
                assert_true(n[i] >= 2); /* small: the query and the strongest keys at full
                                           size, the others in "⋯ n keys" rows */
        }
        /* step 7: a block per head */
        bool head_seen[4] = {false};
        for (int y = 0; y < (int)pv.h; y += 2)
            for (int x = 0; x < (int)pv.w; x += 2) {
                ats_hit hit = ats_view_hit_test(pv.view, (float)x, (float)y);
                if (hit.kind == ATS_HIT_HEAD_KEY)
                    head_seen[hit.head] = true;
            }
        for (int h = 0; h < 4; h++)
            assert_true(head_seen[h]);
        pview_close(&pv);
    }
    demo_fixture_close(&f);
}

static void test_pipeline_view_long_text_stays_bounded(void **state) {
    (void)state;
    /* 300 words: the table keeps the query and the heaviest keys, the others collapse */
    static const char *const WORDS[] = {"the",   "cat",  "sat", "on",  "a",    "mat",
                                        "while", "dogs", "ran", "far", "into", "woods"};
    char text[4096] = "";
    for (int i = 0; i < 300; i++) {
        strcat(text, WORDS[(i * 7 + i / 5) % 12]);
        strcat(text, i % 40 == 39 ? ". " : " ");
    }
    demo_fixture f;
    demo_fixture_open(&f, text, true);
    int T = f.data.n_tokens;
    assert_true(T >= 300);
    pview pv;
    pview_open(&pv, &f, 0, 1, T - 1, NULL, 0, 0);
    assert_true(pv.h < 1600 && pv.w < 2600); /* bounded whatever the length */
    svg_texts s;
    svg_of(&pv, &f, &s);
    assert_true(has_text(&s, "\xCE\xA3 = 1.00"));
    int collapsed = 0;
    for (int i = 0; i < s.n; i++)
        collapsed += strncmp(s.items[i], "\xE2\x8B\xAF ", 4) == 0 && strstr(s.items[i], " key");
    assert_true(collapsed >= 2 * 3); /* "⋯ n keys" rows, in both bands */
    free_texts(&s);
    /* the heaviest key has a row, and rows hit increasing tokens */
    int heaviest = 0;
    for (int j = 0; j < T; j++)
        if (pv.pipe.data.weights[j] > pv.pipe.data.weights[heaviest])
            heaviest = j;
    bool found = false;
    int rows = 0, last = -1;
    for (int y = 0; y < (int)pv.h; y++) {
        ats_hit hit = ats_view_hit_test(pv.view, 40.0f, (float)y + 0.5f);
        if (hit.kind != ATS_HIT_TOKEN || hit.side != ATS_SIDE_KEY || hit.token == last)
            continue;
        if (hit.token < last)
            break; /* the second band starts again */
        last = hit.token;
        rows++;
        found = found || hit.token == heaviest;
    }
    assert_true(found);
    assert_true(rows >= 8 && rows <= 24);
    assert_int_equal(last, T - 1); /* the query */
    pview_close(&pv);
    demo_fixture_close(&f);
}

static void test_pipeline_view_hidden_special_tokens_collapse(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    pview pv;
    pview_open(&pv, &f, 0, 2, 5, NULL, 0, 0);
    pv.vd.special[0] = true; /* pretend the first token is a [CLS] */
    pv.st.hide_special = true;
    pview_rebuild(&pv, &f);
    for (int y = 0; y < (int)pv.h; y++) {
        ats_hit hit = ats_view_hit_test(pv.view, 40.0f, (float)y + 0.5f);
        assert_false(hit.kind == ATS_HIT_TOKEN && hit.token == 0);
    }
    svg_texts s;
    svg_of(&pv, &f, &s);
    assert_true(has_text(&s, "\xE2\x8B\xAF 1 key"));
    assert_true(has_text(&s, "\xCE\xA3 = 1.00")); /* its weight still counts */
    free_texts(&s);
    pview_close(&pv);
    demo_fixture_close(&f);
}

static double mean_luma(const uint8_t *px, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += 0.2126 * px[4 * i] + 0.7152 * px[4 * i + 1] + 0.0722 * px[4 * i + 2];
    return s / (double)n;
}

static void test_pipeline_view_step_highlight(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    pview pv;
    pview_open(&pv, &f, 0, 1, 7, NULL, 0, 0);
    size_t n = (size_t)pv.w * (size_t)pv.h;
    uint8_t *all = rasterize(&pv, &f);
    double base = mean_luma(all, n);
    uint8_t *prev = NULL;
    for (int step = 1; step <= ATS_PIPELINE_STEPS; step++) {
        pv.st.step = step;
        pview_rebuild(&pv, &f);
        uint8_t *px = rasterize(&pv, &f);
        assert_true(memcmp(px, all, n * 4) != 0);
        if (prev)
            assert_true(memcmp(px, prev, n * 4) != 0); /* each step highlights something else */
        assert_true(mean_luma(px, n) > base + 1.0);    /* the others are dimmed */
        free(prev);
        prev = px;
    }
    free(prev);
    /* out of range: shown as 0, everything alike */
    pv.st.step = 99;
    pview_rebuild(&pv, &f);
    uint8_t *px = rasterize(&pv, &f);
    assert_memory_equal(px, all, n * 4);
    free(px);
    free(all);
    /* the metadata names the step */
    pv.st.step = 3;
    ats_meta meta;
    ats_meta_for_view(&meta, &pv.st, &pv.vd.data);
    bool found = false;
    for (int i = 0; i < meta.n; i++)
        if (strcmp(meta.key[i], "Step") == 0) {
            assert_string_equal(meta.value[i], "3");
            found = true;
        } else if (strcmp(meta.key[i], "Token") == 0) {
            assert_string_equal(meta.value[i], "7 (query)");
        }
    assert_true(found);
    pview_close(&pv);
    demo_fixture_close(&f);
}

static void test_pipeline_view_bad_data_keeps_last_list(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    pview pv;
    pview_open(&pv, &f, 0, 1, 7, NULL, 0, 0);
    int n = ats_dl_count(ats_view_display_list(pv.view));
    ats_error err;
    pv.st.head = 2; /* the data is for head 1 */
    assert_int_equal(ats_view_build(pv.view, &pv.st, &pv.vd.data, f.font, pv.w, pv.h, &err),
                     ATS_ERR_ARG);
    assert_non_null(strstr(err.message, "layer 0 head 1"));
    pv.st.head = 1;
    pv.pipe.data.token = 40;
    assert_int_equal(ats_view_build(pv.view, &pv.st, &pv.vd.data, f.font, pv.w, pv.h, &err),
                     ATS_ERR_ARG);
    pv.pipe.data.token = 7;
    pv.pipe.data.temperature = 0;
    assert_int_equal(ats_view_build(pv.view, &pv.st, &pv.vd.data, f.font, pv.w, pv.h, &err),
                     ATS_ERR_ARG);
    pv.pipe.data.temperature = 1;
    const float *w = pv.pipe.data.weights;
    pv.pipe.data.weights = NULL;
    assert_int_equal(ats_view_build(pv.view, &pv.st, &pv.vd.data, f.font, pv.w, pv.h, &err),
                     ATS_ERR_ARG);
    pv.pipe.data.weights = w;
    pv.vd.data.pipeline = NULL;
    assert_int_equal(ats_view_build(pv.view, &pv.st, &pv.vd.data, f.font, pv.w, pv.h, &err),
                     ATS_ERR_UNSUPPORTED);
    assert_int_equal(ats_dl_count(ats_view_display_list(pv.view)), n);
    pview_close(&pv);
    demo_fixture_close(&f);
}

/* Issue 14: presentation size (Ctrl+plus twice) in a window's views area of 1240 x 570 keeps the
 * steps readable: every text at least 12 px, the query and more keys than the query alone, and
 * the figure filling the width (not folded into a corner). */
static void test_pipeline_view_presentation_size_stays_readable(void **state) {
    (void)state;
    demo_fixture f;
    demo_fixture_open(&f, ATS_SENTENCE, false);
    pview pv;
    pview_open(&pv, &f, 0, 1, 7, NULL, 1240, 570);
    pv.st.ui_scale = pv.st.present_scale = 1.5625f;
    ats_error err;
    assert_int_equal(ats_view_build(pv.view, &pv.st, &pv.vd.data, f.font, pv.w, pv.h, &err),
                     ATS_OK);
    char *svg;
    size_t len;
    assert_int_equal(
        ats_svg_encode(ats_view_display_list(pv.view), NULL, NULL, 1, &svg, &len, &err), ATS_OK);
    double smallest = 1e9;
    for (const char *p = strstr(svg, "font-size=\""); p; p = strstr(p + 1, "font-size=\""))
        smallest = fmin(smallest, atof(p + strlen("font-size=\"")));
    free(svg);
    if (!(smallest >= 12.0 - 1e-3))
        fail_msg("a text of %.2f px", smallest);
    /* key rows down the label column: the query and at least one more */
    int keys = 0, last = -2;
    for (int y = 0; y < (int)pv.h; y++) {
        ats_hit hit = ats_view_hit_test(pv.view, 60.0f, (float)y + 0.5f);
        if (hit.kind == ATS_HIT_TOKEN && hit.side == ATS_SIDE_KEY && hit.token != last)
            keys++;
        last = hit.kind == ATS_HIT_TOKEN ? hit.token : -2;
    }
    if (keys < 2 * 2) /* in each of the two bands */
        fail_msg("%d key rows", keys);
    float x, y, w, h;
    assert_true(ats_dl_content_bounds(ats_view_display_list(pv.view), f.font, &x, &y, &w, &h));
    assert_true(x + w > 0.8f * pv.w);
    pview_close(&pv);
    demo_fixture_close(&f);
}

/* T5's cross-attention: the rows are the source's tokens (every one, in text order), the title
 * names the decoder's query token, the note says where K and V come from, and the weights written
 * are the steps'. Pipeline data of one kind with view data of the other is refused. */
static void test_pipeline_view_cross_attention(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, "fixtures/hf/t5-tiny-random");
    demo_fixture f = {0};
    ats_error err;
    if (ats_model_load(dir, NULL, &f.model, &err) != ATS_OK)
        fail_msg("t5: %s", err.message);
    ats_run_opts ro = ats_run_opts_default();
    ro.detail_layer = 1;
    static const char SRC[] = "The cat sat on the mat.", TGT[] = "Le chat est assis.";
    if (ats_run_seq2seq(f.model, SRC, strlen(SRC), TGT, strlen(TGT), &ro, &f.run, &err) != ATS_OK)
        fail_msg("run: %s", err.message);
    assert_int_equal(ats_font_open(NULL, &f.font, &err), ATS_OK);
    pview pv = {0};
    assert_int_equal(ats_run_view_make_kind(&pv.vd, f.model, f.run, ATS_ATTN_CROSS, SRC, &err),
                     ATS_OK);
    int token = 3, Te = pv.vd.data.n_keys;
    assert_int_equal(ats_run_pipeline_make_kind(&pv.pipe, f.model, f.run, ATS_ATTN_CROSS, 1, 2,
                                                token, NULL, &err),
                     ATS_OK);
    pv.vd.data.pipeline = &pv.pipe.data;
    pv.st = ats_view_state_default();
    pv.st.view = ATS_VIEW_PIPELINE;
    pv.st.layer = 1;
    pv.st.head = 2;
    assert_int_equal(ats_view_new(&pv.view), ATS_OK);
    ats_view_natural_size(&pv.st, &pv.vd.data, f.font, &pv.w, &pv.h);
    pview_rebuild(&pv, &f);
    svg_texts s;
    svg_of(&pv, &f, &s);
    char title[96];
    snprintf(title, sizeof title, "decoder query '%s' (token %d)", pv.vd.data.tokens[token], token);
    assert_true(has_text_containing(&s, title));
    assert_true(has_text_containing(&s, "K and V come from the encoder's output"));
    assert_true(has_text(&s, "Encoder output"));
    for (int j = 0; j < Te; j++) { /* every source token a row, with its weight */
        char label[64];            /* drawn with its spaces trimmed */
        const char *k = pv.vd.data.key_tokens[j];
        while (*k == ' ')
            k++;
        snprintf(label, sizeof label, "%s", k);
        for (size_t n = strlen(label); n > 0 && label[n - 1] == ' '; n--)
            label[n - 1] = '\0';
        if (!has_text(&s, label))
            fail_msg("source token %d '%s' has no row", j, label);
        char want[32];
        if (!has_number(&s, pv.pipe.data.weights[j], ATS_NUMBER_PLAIN, want, sizeof want))
            fail_msg("the weight of key %d, %s, is not written", j, want);
    }
    free_texts(&s);
    /* a self-attention's steps with cross view data: refused, the last list kept */
    ats_run_pipeline self;
    assert_int_equal(ats_run_pipeline_make_kind(&self, f.model, f.run, ATS_ATTN_DECODER, 1, 2,
                                                token, NULL, &err),
                     ATS_OK);
    pv.vd.data.pipeline = &self.data;
    assert_int_equal(ats_view_build(pv.view, &pv.st, &pv.vd.data, f.font, pv.w, pv.h, &err),
                     ATS_ERR_ARG);
    ats_run_pipeline_free(&self);
    pview_close(&pv);
    ats_font_free(f.font);
    ats_run_free(f.run);
    ats_model_free(f.model);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline_view_presentation_size_stays_readable),
        cmocka_unit_test(test_pipeline_data_matches_the_run),
        cmocka_unit_test(test_pipeline_data_switches_change_what_they_claim),
        cmocka_unit_test(test_pipeline_data_grouped_query),
        cmocka_unit_test(test_pipeline_data_gpt2_and_bert),
        cmocka_unit_test(test_pipeline_view_draws_the_steps_numbers),
        cmocka_unit_test(test_pipeline_view_marks_what_ifs_and_captions),
        cmocka_unit_test(test_pipeline_view_hits),
        cmocka_unit_test(test_pipeline_view_long_text_stays_bounded),
        cmocka_unit_test(test_pipeline_view_hidden_special_tokens_collapse),
        cmocka_unit_test(test_pipeline_view_step_highlight),
        cmocka_unit_test(test_pipeline_view_bad_data_keeps_last_list),
        cmocka_unit_test(test_pipeline_view_cross_attention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
