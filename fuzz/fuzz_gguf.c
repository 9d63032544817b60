/* Any bytes as a .gguf model: loads or fails with a message, never crashes. */
#include "attnscope/engine.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char buf[FUZZ_PATH_SIZE];
    const char *path = fuzz_write_file(data, size, "model.gguf", buf);
    ats_model *model = NULL;
    ats_error err;
    if (path && ats_model_load(path, NULL, &model, &err) == ATS_OK) {
        ats_tokens *tokens = NULL;
        ats_tokenize_opts opts = {.add_special = true};
        if (ats_tokenize(model, "Hello world", 11, &opts, &tokens, &err) == ATS_OK)
            ats_tokens_free(tokens);
        ats_model_free(model);
    }
    return 0;
}
