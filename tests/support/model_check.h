/* Running a model on fixed ids and comparing the outputs of two loads (the same weights through
 * two files or layouts must give the same numbers). Failures fail the test. */
#ifndef ATS_TEST_MODEL_CHECK_H
#define ATS_TEST_MODEL_CHECK_H

#include "attnscope/engine.h"

typedef struct ats_outputs {
    int n_tokens, n_dropped;
    size_t n_attn;  /* L * H * T * T */
    float *attn;    /* (L, H, T, T) */
    int vocab_size; /* 0 when the model has no LM head */
    float *logits;  /* (vocab_size) of the last position, or NULL */
    int d_model;
    float *hidden; /* (T, d_model) */
} ats_outputs;

/* Loads `model` (llama2.c tokenizer `tokenizer` or NULL) and runs ids[0..n). */
ats_outputs ats_outputs_of(const char *model, const char *tokenizer, const int32_t *ids, int n);
void ats_outputs_free(ats_outputs *o);

/* Same shapes, and every value within tol (0: bitwise equal floats). */
void ats_outputs_assert_same(const ats_outputs *a, const ats_outputs *b, double tol,
                             const char *what);

/* Loading `model` fails with a message containing `problem`. */
void ats_assert_load_fails(const char *model, const char *problem);

#endif
