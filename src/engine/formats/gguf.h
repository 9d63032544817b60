/* GGUF container (versions 2 and 3): header, metadata key/values and tensor descriptions.
 *
 * Layout: "GGUF" u32 version, u64 n_tensors, u64 n_kv, then n_kv entries (string key, u32
 * type, value), then n_tensors entries (string name, u32 n_dims, u64 dims[n_dims], u32 type,
 * u64 offset), then padding to `general.alignment` (default 32), then tensor data. Strings are
 * u64 length + bytes. Everything is little-endian.
 *
 * Parsing checks every length and offset against the file size; strings and tensor data point
 * into the memory mapping and stay valid until ats_gguf_free.
 */
#ifndef ATS_ENGINE_GGUF_H
#define ATS_ENGINE_GGUF_H

#include "mapped_file.h"

typedef enum ats_gguf_value_type {
    ATS_GGUF_UINT8 = 0,
    ATS_GGUF_INT8 = 1,
    ATS_GGUF_UINT16 = 2,
    ATS_GGUF_INT16 = 3,
    ATS_GGUF_UINT32 = 4,
    ATS_GGUF_INT32 = 5,
    ATS_GGUF_FLOAT32 = 6,
    ATS_GGUF_BOOL = 7,
    ATS_GGUF_STRING = 8,
    ATS_GGUF_ARRAY = 9,
    ATS_GGUF_UINT64 = 10,
    ATS_GGUF_INT64 = 11,
    ATS_GGUF_FLOAT64 = 12,
} ats_gguf_value_type;

/* ggml tensor types attnscope reads (ggml.h's enum ggml_type numbers). */
typedef enum ats_ggml_type {
    ATS_GGML_F32 = 0,
    ATS_GGML_F16 = 1,
    ATS_GGML_Q4_0 = 2,
    ATS_GGML_Q4_1 = 3,
    ATS_GGML_Q5_0 = 6,
    ATS_GGML_Q5_1 = 7,
    ATS_GGML_Q8_0 = 8,
    ATS_GGML_Q2_K = 10,
    ATS_GGML_Q3_K = 11,
    ATS_GGML_Q4_K = 12,
    ATS_GGML_Q5_K = 13,
    ATS_GGML_Q6_K = 14,
    ATS_GGML_IQ4_NL = 20,
    ATS_GGML_IQ4_XS = 23,
    ATS_GGML_BF16 = 30,
} ats_ggml_type;

typedef struct ats_gguf_str {
    const char *data; /* not NUL-terminated */
    uint64_t len;
} ats_gguf_str;

typedef struct ats_gguf_kv {
    ats_gguf_str key;
    uint32_t type; /* ats_gguf_value_type */
    union {
        uint64_t u; /* UINT8..UINT64 */
        int64_t i;  /* INT8..INT64 */
        double f;   /* FLOAT32, FLOAT64 */
        bool b;
        ats_gguf_str s;
    } value;
    /* arrays: element type, count and the first byte of the payload inside the mapping */
    uint32_t array_type;
    uint64_t array_len;
    const uint8_t *array_data;
} ats_gguf_kv;

typedef struct ats_gguf_tensor {
    ats_gguf_str name;
    uint32_t n_dims;
    uint64_t dims[4]; /* ggml order: dims[0] is the row length (fastest-varying) */
    uint32_t type;    /* ggml type number (ats_ggml_type when attnscope reads it) */
    uint64_t n_elements;
    uint64_t n_bytes;    /* 0 when the type is one attnscope does not read */
    const uint8_t *data; /* inside the mapping; checked to lie within the file */
} ats_gguf_tensor;

typedef struct ats_gguf {
    ats_mapped_file *file;
    uint32_t version;
    uint64_t n_kv, n_tensors;
    ats_gguf_kv *kvs;         /* (n_kv) */
    ats_gguf_tensor *tensors; /* (n_tensors) */
    uint64_t alignment;
    uint64_t data_offset; /* start of the tensor data section */
} ats_gguf;

ats_status ats_gguf_open(const char *path, ats_gguf **out, ats_error *err);
/* Closes the file unless ats_gguf_take_file took it. */
void ats_gguf_free(ats_gguf *gguf);
/* Hands the mapping to the caller (a model keeps it so tensors can be used in place). */
ats_mapped_file *ats_gguf_take_file(ats_gguf *gguf);

const ats_gguf_kv *ats_gguf_find(const ats_gguf *gguf, const char *key);
const ats_gguf_tensor *ats_gguf_find_tensor(const ats_gguf *gguf, const char *name);

/* Typed getters; false when the key is absent or not of a compatible type. */
bool ats_gguf_get_int(const ats_gguf *gguf, const char *key, int64_t *out);
bool ats_gguf_get_float(const ats_gguf *gguf, const char *key, double *out);
bool ats_gguf_get_bool(const ats_gguf *gguf, const char *key, bool *out);
/* *out points into the mapping, not NUL-terminated. */
bool ats_gguf_get_str(const ats_gguf *gguf, const char *key, ats_gguf_str *out);

/* An array of strings as pointer and length arrays (heap, free both); the strings point into
 * the mapping. Fails when kv is not an array of strings. */
ats_status ats_gguf_string_array(const ats_gguf *gguf, const ats_gguf_kv *kv, const char ***ptrs,
                                 uint32_t **lens, ats_error *err);
/* A numeric array converted to float or int32 (heap, free). */
ats_status ats_gguf_float_array(const ats_gguf *gguf, const ats_gguf_kv *kv, float **out,
                                ats_error *err);
ats_status ats_gguf_int_array(const ats_gguf *gguf, const ats_gguf_kv *kv, int32_t **out,
                              ats_error *err);

/* Bytes per block and elements per block of a ggml type attnscope reads; false otherwise. */
bool ats_ggml_type_block(uint32_t type, uint64_t *block_bytes, uint64_t *block_elems);
/* ggml's name of any type it defines ("Q4_K", "IQ2_XXS", ...), "unknown" past them. */
const char *ats_ggml_type_name(uint32_t type);

#endif
