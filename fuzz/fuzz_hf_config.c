/* Any bytes as a Hugging Face config.json: read into a model configuration or refused with a
 * message, never a crash; an accepted one holds sizes the loaders can multiply safely. */
#include "fuzz_file.h"
#include "hf_config.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[FUZZ_PATH_SIZE];
    if (!fuzz_write_file(data, size, "config.json", path))
        return 0;
    ats_hf_config hc;
    ats_error err;
    if (ats_hf_config_read(path, &hc, &err) == ATS_OK) {
        const ats_model_config *c = &hc.cfg;
        /* what the header promises for an accepted configuration */
        if (c->n_layer < 1 || c->n_head < 1 || c->d_model < 1 || c->d_head < 1 ||
            c->n_kv_head < 1 || c->n_head % c->n_kv_head != 0 || c->context < 1)
            abort();
    }
    return 0;
}
