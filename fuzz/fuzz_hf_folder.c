/* Any bytes as a Hugging Face model folder: the input is a little archive of the files a folder
 * may hold, and the folder is loaded (config.json, safetensors weights or a sharded index, a
 * tokenizer.json or vocab.json + merges.txt or vocab.txt with tokenizer_config.json); a model
 * that loads tokenizes and runs a short text. Never a crash, never a read outside a file.
 *
 * Archive: entries of [1 byte: the file, an index into NAMES (modulo its length)]
 * [4 bytes: little-endian length, cut to what remains][the bytes]; a later entry for the same
 * file replaces it. fuzz/make_corpus.py writes the seeds in this form. */
#include "attnscope/engine.h"
#include "fuzz_file.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const NAMES[] = {
    "config.json",
    "model.safetensors",
    "model.safetensors.index.json",
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
    "tokenizer.json",
    "vocab.json",
    "merges.txt",
    "vocab.txt",
    "tokenizer_config.json",
};
enum { N_NAMES = sizeof NAMES / sizeof NAMES[0] };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char dir[FUZZ_PATH_SIZE], path[FUZZ_PATH_SIZE];
    if (!fuzz_dir(dir))
        return 0;
    for (int i = 0; i < N_NAMES; i++) { /* the last input's files go */
        snprintf(path, sizeof path, "%s/%s", dir, NAMES[i]);
        unlink(path);
    }
    size_t at = 0;
    while (size - at >= 5) {
        int name = data[at] % N_NAMES;
        uint32_t len = (uint32_t)data[at + 1] | (uint32_t)data[at + 2] << 8 |
                       (uint32_t)data[at + 3] << 16 | (uint32_t)data[at + 4] << 24;
        at += 5;
        if (len > size - at)
            len = (uint32_t)(size - at);
        fuzz_write_file(data + at, len, NAMES[name], path);
        at += len;
    }
    ats_model *model = NULL;
    if (ats_model_load(dir, NULL, &model, NULL) == ATS_OK) {
        ats_run *run = NULL;
        if (ats_run_text(model, "Hello world, 12!", 16, NULL, &run, NULL) == ATS_OK)
            ats_run_free(run);
        ats_model_free(model);
    }
    return 0;
}
