/* Any bytes as a safetensors file: the header parser accepts or refuses, never crashes. */
#include "fuzz_file.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char buf[FUZZ_PATH_SIZE];
    const char *path = fuzz_write_file(data, size, "model.safetensors", buf);
    ats_safetensors *st = NULL;
    if (path && ats_safetensors_open(path, &st, NULL) == ATS_OK) {
        /* touch every tensor's bytes: they must lie inside the mapping */
        volatile uint8_t sink = 0;
        for (int i = 0; i < st->n_tensors; i++)
            for (uint64_t b = 0; b < st->tensors[i].n_bytes; b += 64)
                sink ^= st->tensors[i].data[b];
        (void)sink;
        ats_safetensors_free(st);
    }
    return 0;
}
