#include "model_check.h"
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

static float *copy_floats(const float *src, size_t n) {
    if (!src)
        return NULL;
    float *dst = malloc((n ? n : 1) * sizeof *dst);
    assert_non_null(dst);
    memcpy(dst, src, n * sizeof *dst);
    return dst;
}

ats_outputs ats_outputs_of(const char *model, const char *tokenizer, const int32_t *ids, int n) {
    ats_load_opts lo = ats_load_opts_default();
    lo.tokenizer_path = tokenizer;
    ats_model *m = NULL;
    ats_error err;
    if (ats_model_load(model, &lo, &m, &err) != ATS_OK)
        fail_msg("%s: load failed: %s", model, err.message);
    const ats_model_config *c = ats_model_get_config(m);
    ats_run_opts ro = ats_run_opts_default();
    ro.want_hidden = true;
    ro.want_logits = c->arch != ATS_ARCH_BERT;
    ats_run *run = NULL;
    if (ats_run_ids(m, ids, n, &ro, &run, &err) != ATS_OK)
        fail_msg("%s: run failed: %s", model, err.message);
    ats_outputs o = {.n_tokens = ats_run_n_tokens(run), .n_dropped = ats_run_dropped_tokens(run)};
    size_t T = (size_t)o.n_tokens;
    o.n_attn = (size_t)c->n_layer * c->n_head * T * T;
    o.attn = copy_floats(ats_run_attentions(run), o.n_attn);
    o.d_model = c->d_model;
    o.hidden = copy_floats(ats_run_hidden(run), T * (size_t)c->d_model);
    if (ats_run_logits_last(run)) {
        o.vocab_size = c->vocab_size;
        o.logits = copy_floats(ats_run_logits_last(run), (size_t)c->vocab_size);
    }
    ats_run_free(run);
    ats_model_free(m);
    return o;
}

void ats_outputs_free(ats_outputs *o) {
    free(o->attn);
    free(o->logits);
    free(o->hidden);
    memset(o, 0, sizeof *o);
}

void ats_outputs_assert_same(const ats_outputs *a, const ats_outputs *b, double tol,
                             const char *what) {
    char label[256];
    assert_int_equal(a->n_tokens, b->n_tokens);
    assert_int_equal(a->n_attn, b->n_attn);
    assert_int_equal(a->vocab_size, b->vocab_size);
    assert_int_equal(a->d_model, b->d_model);
    snprintf(label, sizeof label, "%s: attentions", what);
    ats_assert_close(a->attn, b->attn, a->n_attn, tol, label);
    snprintf(label, sizeof label, "%s: hidden states", what);
    ats_assert_close(a->hidden, b->hidden, (size_t)a->n_tokens * a->d_model, tol, label);
    if (a->logits) {
        snprintf(label, sizeof label, "%s: logits", what);
        ats_assert_close(a->logits, b->logits, (size_t)a->vocab_size, tol, label);
    }
}

void ats_assert_load_fails(const char *model, const char *problem) {
    ats_model *m = NULL;
    ats_error err;
    if (ats_model_load(model, NULL, &m, &err) == ATS_OK)
        fail_msg("%s loaded; expected a failure mentioning '%s'", model, problem);
    if (!strstr(err.message, problem))
        fail_msg("%s: error '%s' does not mention '%s'", model, err.message, problem);
}
