/* builtin:demo run on a text, as the arrays a view draws from (through rundata.h, the one home
 * of run -> view data), and the default font: for the view tests. Header-only so that the
 * engine-free support library stays that way. */
#ifndef ATS_VIEW_FIXTURE_H
#define ATS_VIEW_FIXTURE_H

#include "attnscope/engine.h"
#include "attnscope/render.h"
#include "attnscope/rundata.h"
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#define ATS_SENTENCE "The animal didn't cross the street because it was too tired."

typedef struct demo_fixture {
    ats_model *model;
    ats_run *run;
    ats_run_view rv;    /* the run as view data: owns the (T) labels and special flags */
    ats_view_data data; /* rv.data, for the tests to adjust (a pipeline, special flags) */
    ats_font *font;
} demo_fixture;

/* causal: builtin:demo with GPT-style masking; add_special has no effect on the demo model. */
static inline void demo_fixture_open(demo_fixture *f, const char *text, bool causal) {
    memset(f, 0, sizeof *f);
    ats_error err;
    ats_load_opts lo = ats_load_opts_default();
    lo.causal = causal ? 1 : 0;
    if (ats_model_load("builtin:demo", &lo, &f->model, &err) != ATS_OK)
        fail_msg("builtin:demo: %s", err.message);
    ats_run_opts ro = ats_run_opts_default();
    ro.detail_layer = ATS_DETAIL_ALL_LAYERS; /* the pipeline view draws every layer's steps */
    if (ats_run_text(f->model, text, strlen(text), &ro, &f->run, &err) != ATS_OK)
        fail_msg("run: %s", err.message);
    if (ats_run_view_make(&f->rv, f->model, f->run, text, &err) != ATS_OK)
        fail_msg("view data: %s", err.message);
    f->data = f->rv.data;
    if (ats_font_open(NULL, &f->font, &err) != ATS_OK)
        fail_msg("font: %s", err.message);
}

static inline void demo_fixture_close(demo_fixture *f) {
    ats_font_free(f->font);
    ats_run_view_free(&f->rv);
    ats_run_free(f->run);
    ats_model_free(f->model);
    memset(f, 0, sizeof *f);
}

/* Builds `st` at its natural size into a new view; the caller frees it. */
static inline ats_view *demo_build(demo_fixture *f, const ats_view_state *st, float *w, float *h) {
    ats_view *v;
    ats_error err;
    assert_int_equal(ats_view_new(&v), ATS_OK);
    ats_view_natural_size(st, &f->data, f->font, w, h);
    if (ats_view_build(v, st, &f->data, f->font, *w, *h, &err) != ATS_OK)
        fail_msg("build: %s", err.message);
    return v;
}

#endif
