/* Any bytes as a folder's tokenizer.json: builds a tokenizer or fails with a message; a built
 * one encodes a mixed text without crashing. */
#include "fuzz_file.h"
#include "tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char dir[FUZZ_PATH_SIZE], path[FUZZ_PATH_SIZE];
    if (!fuzz_dir(dir) || !fuzz_write_file(data, size, "tokenizer.json", path))
        return 0;
    ats_tokenizer *tok = NULL;
    if (ats_tokenizer_from_hf_folder(dir, &tok, NULL) == ATS_OK) {
        static const char text[] = "Hello, wörld! 12 345  日本語 <s> [CLS] \xf0\x9f\x99\x82\n";
        ats_tokens *tokens = ats_tokens_new();
        ats_tokenizer_encode(tok, text, sizeof text - 1, true, tokens, NULL);
        ats_tokens_free(tokens);
        ats_tokenizer_free(tok);
    }
    return 0;
}
