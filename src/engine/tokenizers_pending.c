/* Until the real tokenizers land (issue 3), each constructor returns a tokenizer that loads
 * but refuses to encode, saying so plainly; models still load and run on given ids. */
#include "error.h"
#include "gguf.h"
#include "tokenizer.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct pending_tokenizer {
    ats_tokenizer base;
    char source[1024];
} pending_tokenizer;

static ats_status pending_encode(const ats_tokenizer *tok, const char *text, size_t len,
                                 bool add_special, ats_tokens *out, ats_error *err) {
    (void)text, (void)len, (void)add_special, (void)out;
    const pending_tokenizer *p = (const pending_tokenizer *)tok;
    return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: this tokenizer is not supported yet", p->source);
}

static void pending_destroy(ats_tokenizer *tok) {
    free(tok);
}

static const ats_tokenizer_vtable pending_vtable = {.encode = pending_encode,
                                                    .destroy = pending_destroy};

static ats_status pending(const char *source, ats_tokenizer **out, ats_error *err) {
    pending_tokenizer *p = calloc(1, sizeof *p);
    if (!p)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    p->base.vt = &pending_vtable;
    snprintf(p->base.kind, sizeof p->base.kind, "not supported yet");
    snprintf(p->source, sizeof p->source, "%s", source);
    *out = &p->base;
    return ATS_OK;
}

ats_status ats_tokenizer_from_hf_folder(const char *dir, ats_tokenizer **out, ats_error *err) {
    return pending(dir, out, err);
}

ats_status ats_tokenizer_from_llama2c(const char *path, int vocab_size, ats_tokenizer **out,
                                      ats_error *err) {
    (void)vocab_size;
    return pending(path, out, err);
}

ats_status ats_tokenizer_from_gguf(const struct ats_gguf *gguf, ats_tokenizer **out,
                                   ats_error *err) {
    return pending(gguf->file->path, out, err);
}
