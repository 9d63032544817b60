/* Any bytes as text for builtin:demo: tokenized and run, or refused as invalid UTF-8. */
#include "attnscope/engine.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static ats_model *model;
    if (!model && ats_model_load("builtin:demo", NULL, &model, NULL) != ATS_OK)
        abort();
    ats_run *run = NULL;
    if (ats_run_text(model, (const char *)data, size, NULL, &run, NULL) == ATS_OK)
        ats_run_free(run);
    return 0;
}
