/* Any bytes as a llama2.c checkpoint: loads or fails with a message, never crashes. */
#include "attnscope/engine.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char buf[FUZZ_PATH_SIZE];
    const char *path = fuzz_write_file(data, size, "model.bin", buf);
    ats_model *model = NULL;
    if (path && ats_model_load(path, NULL, &model, NULL) == ATS_OK) {
        int32_t ids[3] = {0, 0, 0};
        ats_run *run = NULL;
        if (ats_run_ids(model, ids, 3, NULL, &run, NULL) == ATS_OK)
            ats_run_free(run);
        ats_model_free(model);
    }
    return 0;
}
