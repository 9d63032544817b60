/* The GGUF loader's state and helpers (load_gguf.c), shared with the builders of architectures
 * that live in their own files (load_gguf_t5.c). Each helper does nothing once `status` holds a
 * failure, so a builder can call them in a row and check once. */
#ifndef ATS_ENGINE_GGUF_LOADER_H
#define ATS_ENGINE_GGUF_LOADER_H

#include "gguf.h"
#include "model.h"

typedef struct gguf_loader {
    const char *path;
    ats_gguf *g;
    ats_model *model;
    char arch[32];   /* general.architecture */
    unsigned wtypes; /* bit set of (1 << ats_wtype) over the tensors used */
    char key[160];   /* the metadata key or tensor name being built */
    ats_error *err;
    ats_status status; /* the first failure; later steps do nothing */
} gguf_loader;

/* "<arch>.<name>" as a whole number in [1, max], `fallback` when absent (required when 0). */
int ats_gguf_loader_int(gguf_loader *ld, const char *name, int64_t max, int fallback);
/* "<arch>.<name>" as a positive number, `fallback` when absent. */
double ats_gguf_loader_real(gguf_loader *ld, const char *name, double fallback);
/* "<arch>.rope.scaling.*" into `out` (after the context is read): none, linear or yarn (its
 * choice named in the model's info); another type, or a YaRN variant attnscope does not run, is
 * refused with one line naming it. */
void ats_gguf_loader_rope_scaling(gguf_loader *ld, ats_rope_scaling *out);
/* A small tensor `name` (a norm, a bias, a table) with ggml shape [ne0] (ne1 < 0) or [ne0, ne1]
 * as float32 (converted if needed). */
const float *ats_gguf_loader_floats(gguf_loader *ld, bool required, long long ne0, long long ne1,
                                    const char *name);
/* A weight matrix with ne [n_in, n_out] in its stored encoding (in place); absent (w NULL) when
 * not `required` and missing. */
ats_linear ats_gguf_loader_matrix(gguf_loader *ld, bool required, int n_out, int n_in,
                                  const char *name);
/* `name`.weight with ne [n_in, n_out] and an optional `name`.bias. */
ats_linear ats_gguf_loader_linear(gguf_loader *ld, int n_out, int n_in, const char *name);
ats_norm ats_gguf_loader_rmsnorm(gguf_loader *ld, int d, const char *name);

/* Architecture "t5" (load_gguf_t5.c): config, both stacks and the head. */
void ats_gguf_build_t5(gguf_loader *ld);

/* Architectures gptneox, phi2, phi3, gemma, gemma2, qwen2 (load_gguf_families.c). */
bool ats_gguf_family_known(const char *arch);
void ats_gguf_build_family(gguf_loader *ld);

#endif
