/* safetensors files: an 8-byte little-endian header length N, N bytes of JSON
 * {"name": {"dtype": "F32", "shape": [r, c], "data_offsets": [begin, end]}, ...,
 *  "__metadata__": {...}}, then the data; offsets count from the first byte after the header.
 *
 * Opening checks the header length, every dtype, shape and offset pair against the file size
 * and against each other (end - begin == elements x element size), so a tensor's bytes are
 * known to lie inside the mapping before anyone reads them.
 */
#ifndef ATS_ENGINE_SAFETENSORS_H
#define ATS_ENGINE_SAFETENSORS_H

#include "dequant.h"
#include "mapped_file.h"

enum { ATS_ST_MAX_DIMS = 8 };

typedef struct ats_st_tensor {
    char *name;     /* NUL-terminated, owned by the file */
    char dtype[16]; /* as written in the header: "F32", "BF16", "I64", ... */
    int n_dims;
    uint64_t shape[ATS_ST_MAX_DIMS];
    uint64_t n_elements;
    const uint8_t *data; /* (n_bytes) inside the mapping */
    uint64_t n_bytes;
} ats_st_tensor;

typedef struct ats_safetensors {
    ats_mapped_file *file;
    ats_st_tensor *tensors; /* (n_tensors) sorted by name */
    int n_tensors;
} ats_safetensors;

ats_status ats_safetensors_open(const char *path, ats_safetensors **out, ats_error *err);
/* Closes the mapping unless ats_safetensors_take_file took it. */
void ats_safetensors_free(ats_safetensors *st);
/* Hands the mapping to the caller (a model keeps it so tensors can be used in place). */
ats_mapped_file *ats_safetensors_take_file(ats_safetensors *st);

/* The tensor called `name`, or NULL. */
const ats_st_tensor *ats_safetensors_find(const ats_safetensors *st, const char *name);

/* The weight type of a float tensor (F32, F16, BF16); false for every other dtype. */
bool ats_safetensors_wtype(const ats_st_tensor *t, ats_wtype *out);

#endif
