/* samples/heatmap_png.c: the smallest program that turns a sentence into a heatmap figure with
 * the public API: load a model, run a text, build the heatmap view from plain arrays, export PNG.
 *
 *   ./build/default/samples/heatmap_png [MODEL] [TEXT] [OUT.png]
 *
 * With no arguments it draws layer 0, head 1 (the same-word head) of builtin:demo on a sentence
 * into heatmap_png.png: the image beside this file. */
#include "attnscope/engine.h"
#include "attnscope/render.h"
#include "attnscope/rundata.h"

#include <stdio.h>
#include <string.h>

static int fail(const ats_error *err) {
    fprintf(stderr, "heatmap_png: %s\n", err->message);
    return 1;
}

int main(int argc, char **argv) {
    const char *model_path = argc > 1 ? argv[1] : "builtin:demo";
    const char *text = argc > 2 ? argv[2] : "The cat sat on the mat because the cat was tired.";
    const char *out = argc > 3 ? argv[3] : "heatmap_png.png";
    ats_error err;

    /* 1. the model and one run: tokens plus every head's attention (L, H, T, T) */
    ats_model *model;
    if (ats_model_load(model_path, NULL, &model, &err) != ATS_OK)
        return fail(&err);
    ats_run *run;
    if (ats_run_text(model, text, strlen(text), NULL, &run, &err) != ATS_OK)
        return fail(&err);

    /* 2. the plain arrays a view draws from: token labels and the attention tensor (L, H, T, T),
     *    borrowed from the run */
    ats_run_view rv;
    if (ats_run_view_make(&rv, model, run, text, &err) != ATS_OK)
        return fail(&err);
    int T = rv.data.n_tokens;
    const ats_model_config *cfg = ats_model_get_config(model);

    /* 3. what to show, built at the size that shows every label, exported at twice that */
    ats_view_state st = ats_view_state_default();
    st.view = ATS_VIEW_HEATMAP;
    st.layer = 0;
    st.head = cfg->n_head > 1 ? 1 : 0;
    ats_font *font;
    ats_view *view;
    float w, h;
    if (ats_font_open(NULL, &font, &err) != ATS_OK || ats_view_new(&view) != ATS_OK)
        return fail(&err);
    ats_view_natural_size(&st, &rv.data, font, &w, &h);
    if (ats_view_build(view, &st, &rv.data, font, w, h, &err) != ATS_OK)
        return fail(&err);
    ats_meta meta;
    ats_meta_for_view(&meta, &st, &rv.data);
    if (ats_export_png(ats_view_display_list(view), font, 2.0f, &meta, out, &err) != ATS_OK)
        return fail(&err);
    printf("%s: layer %d, head %d of %s, %d tokens\n", out, st.layer, st.head, model_path, T);

    ats_view_free(view);
    ats_font_free(font);
    ats_run_view_free(&rv);
    ats_run_free(run);
    ats_model_free(model);
    return 0;
}
