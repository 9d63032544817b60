/* Any bytes as a llama2.c tokenizer.bin (512 tokens): builds or fails, never crashes. */
#include "fuzz_file.h"
#include "tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char buf[FUZZ_PATH_SIZE];
    const char *path = fuzz_write_file(data, size, "tokenizer.bin", buf);
    ats_tokenizer *tok = NULL;
    if (path && ats_tokenizer_from_llama2c(path, 512, &tok, NULL) == ATS_OK) {
        static const char text[] =
            "Once upon a time, Lily saw a big red ball. \xc3\xa9\xe6\x97\xa5";
        ats_tokens *tokens = ats_tokens_new();
        ats_tokenizer_encode(tok, text, sizeof text - 1, true, tokens, NULL);
        ats_tokens_free(tokens);
        ats_tokenizer_free(tok);
    }
    return 0;
}
