/* Placeholders until the real tokenizers land (issue 3); each says so plainly. */
#include "error.h"
#include "tokenizer.h"

ats_status ats_tokenizer_from_hf_folder(const char *dir, ats_tokenizer **out, ats_error *err) {
    *out = NULL;
    return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: Hugging Face tokenizers are not supported yet",
                    dir);
}

ats_status ats_tokenizer_from_llama2c(const char *path, int vocab_size, ats_tokenizer **out,
                                      ats_error *err) {
    (void)vocab_size;
    *out = NULL;
    return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: llama2.c tokenizers are not supported yet",
                    path);
}

ats_status ats_tokenizer_from_vocab(const ats_vocab_desc *desc, ats_tokenizer **out,
                                    ats_error *err) {
    *out = NULL;
    return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: GGUF vocabularies are not supported yet",
                    desc->source);
}
