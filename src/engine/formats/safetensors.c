#include "safetensors.h"
#include "base.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The format caps the header at 100 MB; anything larger is a corrupt length. */
static const uint64_t MAX_HEADER = 100u * 1024 * 1024;
/* No tensor attnscope opens has more elements than this (2^48). */
static const uint64_t MAX_ELEMENTS = 1ull << 48;

/* Element sizes of the dtypes the safetensors format defines (sub-byte types excluded). */
static int dtype_size(const char *dtype) {
    static const struct {
        const char *name;
        int size;
    } table[] = {{"BOOL", 1}, {"U8", 1},  {"I8", 1},   {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2},
                 {"U16", 2},  {"F16", 2}, {"BF16", 2}, {"I32", 4},     {"U32", 4},     {"F32", 4},
                 {"F64", 8},  {"I64", 8}, {"U64", 8},  {"F8_E8M0", 1}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(dtype, table[i].name) == 0)
            return table[i].size;
    return 0;
}

static int compare_tensors(const void *a, const void *b) {
    return strcmp(((const ats_st_tensor *)a)->name, ((const ats_st_tensor *)b)->name);
}

static bool json_uint(const json_t *v, uint64_t *out) {
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

/* Fills t from one header entry; data_size is the byte count after the header. */
static ats_status read_entry(const char *path, const char *name, const json_t *entry,
                             const uint8_t *data, uint64_t data_size, ats_st_tensor *t,
                             ats_error *err) {
    const json_t *dtype = json_object_get(entry, "dtype");
    const json_t *shape = json_object_get(entry, "shape");
    const json_t *offsets = json_object_get(entry, "data_offsets");
    if (!json_is_object(entry) || !json_is_string(dtype) || !json_is_array(shape) ||
        !json_is_array(offsets) || json_array_size(offsets) != 2)
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: header entry '%s' lacks a dtype, shape or data_offsets pair", path,
                        name);
    int size = dtype_size(json_string_value(dtype));
    if (size == 0 || strlen(json_string_value(dtype)) >= sizeof t->dtype)
        return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: tensor '%s' has unknown dtype '%.32s'", path,
                        name, json_string_value(dtype));
    snprintf(t->dtype, sizeof t->dtype, "%s", json_string_value(dtype));
    if (json_array_size(shape) > ATS_ST_MAX_DIMS)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: tensor '%s' has %zu dimensions", path, name,
                        json_array_size(shape));
    t->n_dims = (int)json_array_size(shape);
    t->n_elements = 1;
    for (int d = 0; d < t->n_dims; d++) {
        if (!json_uint(json_array_get(shape, (size_t)d), &t->shape[d]))
            return ats_fail(err, ATS_ERR_FORMAT, "%s: tensor '%s' has a malformed shape", path,
                            name);
        if (t->shape[d] != 0 && t->n_elements > MAX_ELEMENTS / t->shape[d])
            return ats_fail(err, ATS_ERR_FORMAT, "%s: tensor '%s' has an implausible shape", path,
                            name);
        t->n_elements *= t->shape[d];
    }
    uint64_t begin, end;
    if (!json_uint(json_array_get(offsets, 0), &begin) ||
        !json_uint(json_array_get(offsets, 1), &end) || begin > end)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: tensor '%s' has malformed data_offsets", path,
                        name);
    if (end > data_size)
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: tensor '%s' ends at byte %llu, the data section has %llu", path, name,
                        (unsigned long long)end, (unsigned long long)data_size);
    t->n_bytes = t->n_elements * (uint64_t)size;
    if (end - begin != t->n_bytes)
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: tensor '%s' has %llu bytes of data, its shape needs %llu", path, name,
                        (unsigned long long)(end - begin), (unsigned long long)t->n_bytes);
    t->data = data + begin;
    return ATS_OK;
}

static ats_status parse_header(ats_safetensors *st, ats_error *err) {
    const char *path = st->file->path;
    ats_reader r = ats_reader_make(st->file->data, st->file->size);
    uint64_t header_len;
    if (!ats_reader_u64(&r, &header_len))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: too short for a safetensors header (%zu bytes)",
                        path, st->file->size);
    if (header_len > st->file->size - 8 || header_len > MAX_HEADER)
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: safetensors header length %llu runs past the end of the file (%zu "
                        "bytes)",
                        path, (unsigned long long)header_len, st->file->size);
    const uint8_t *header;
    ats_reader_bytes(&r, (size_t)header_len, &header);
    const uint8_t *data = header + header_len;
    uint64_t data_size = st->file->size - 8 - header_len;

    json_error_t jerr;
    json_t *root =
        json_loadb((const char *)header, (size_t)header_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: safetensors header is not valid JSON (%s)", path,
                        jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return ats_fail(err, ATS_ERR_FORMAT, "%s: safetensors header is not a JSON object", path);
    }
    st->tensors = calloc(json_object_size(root) + 1, sizeof *st->tensors);
    if (!st->tensors) {
        json_decref(root);
        return ats_fail(err, ATS_ERR_NOMEM, "%s: out of memory", path);
    }
    ats_status s = ATS_OK;
    const char *name;
    json_t *entry;
    json_object_foreach(root, name, entry) {
        if (strcmp(name, "__metadata__") == 0)
            continue;
        ats_st_tensor *t = &st->tensors[st->n_tensors];
        if (!(t->name = strdup(name))) {
            s = ats_fail(err, ATS_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        st->n_tensors++;
        if ((s = read_entry(path, name, entry, data, data_size, t, err)) != ATS_OK)
            break;
    }
    json_decref(root);
    if (s == ATS_OK)
        qsort(st->tensors, (size_t)st->n_tensors, sizeof *st->tensors, compare_tensors);
    return s;
}

ats_status ats_safetensors_open(const char *path, ats_safetensors **out, ats_error *err) {
    *out = NULL;
    ats_safetensors *st = calloc(1, sizeof *st);
    if (!st)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    ats_status s = ats_mapped_file_open(path, &st->file, err);
    if (s == ATS_OK)
        s = parse_header(st, err);
    if (s != ATS_OK) {
        ats_safetensors_free(st);
        return s;
    }
    *out = st;
    return ATS_OK;
}

void ats_safetensors_free(ats_safetensors *st) {
    if (!st)
        return;
    for (int i = 0; i < st->n_tensors; i++)
        free(st->tensors[i].name);
    free(st->tensors);
    ats_mapped_file_free(st->file);
    free(st);
}

ats_mapped_file *ats_safetensors_take_file(ats_safetensors *st) {
    ats_mapped_file *f = st->file;
    st->file = NULL;
    return f;
}

const ats_st_tensor *ats_safetensors_find(const ats_safetensors *st, const char *name) {
    ats_st_tensor key = {.name = (char *)name};
    return bsearch(&key, st->tensors, (size_t)st->n_tensors, sizeof *st->tensors, compare_tensors);
}

bool ats_safetensors_wtype(const ats_st_tensor *t, ats_wtype *out) {
    if (strcmp(t->dtype, "F32") == 0)
        *out = ATS_WTYPE_F32;
    else if (strcmp(t->dtype, "F16") == 0)
        *out = ATS_WTYPE_F16;
    else if (strcmp(t->dtype, "BF16") == 0)
        *out = ATS_WTYPE_BF16;
    else
        return false;
    return true;
}
