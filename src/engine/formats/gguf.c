#include "gguf.h"
#include "base.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_ARRAY_DEPTH = 4 };

/* ggml.h's enum ggml_type by number: name, and for the types attnscope reads, values and bytes
 * per block (ggml-common.h's block structs). */
typedef struct ggml_type_info {
    const char *name;
    uint32_t block_elems, block_bytes; /* 0 for types attnscope does not read */
} ggml_type_info;

static const ggml_type_info GGML_TYPES[] = {
    [0] = {"F32", 1, 4},         [1] = {"F16", 1, 2},         [2] = {"Q4_0", 32, 18},
    [3] = {"Q4_1", 32, 20},      [4] = {"Q4_2", 0, 0},        [5] = {"Q4_3", 0, 0},
    [6] = {"Q5_0", 32, 22},      [7] = {"Q5_1", 32, 24},      [8] = {"Q8_0", 32, 34},
    [9] = {"Q8_1", 0, 0},        [10] = {"Q2_K", 256, 84},    [11] = {"Q3_K", 256, 110},
    [12] = {"Q4_K", 256, 144},   [13] = {"Q5_K", 256, 176},   [14] = {"Q6_K", 256, 210},
    [15] = {"Q8_K", 0, 0},       [16] = {"IQ2_XXS", 0, 0},    [17] = {"IQ2_XS", 0, 0},
    [18] = {"IQ3_XXS", 0, 0},    [19] = {"IQ1_S", 0, 0},      [20] = {"IQ4_NL", 32, 18},
    [21] = {"IQ3_S", 0, 0},      [22] = {"IQ2_S", 0, 0},      [23] = {"IQ4_XS", 256, 136},
    [24] = {"I8", 0, 0},         [25] = {"I16", 0, 0},        [26] = {"I32", 0, 0},
    [27] = {"I64", 0, 0},        [28] = {"F64", 0, 0},        [29] = {"IQ1_M", 0, 0},
    [30] = {"BF16", 1, 2},       [31] = {"Q4_0_4_4", 0, 0},   [32] = {"Q4_0_4_8", 0, 0},
    [33] = {"Q4_0_8_8", 0, 0},   [34] = {"TQ1_0", 0, 0},      [35] = {"TQ2_0", 0, 0},
    [36] = {"IQ4_NL_4_4", 0, 0}, [37] = {"IQ4_NL_4_8", 0, 0}, [38] = {"IQ4_NL_8_8", 0, 0},
    [39] = {"MXFP4", 0, 0},
};

enum { N_GGML_TYPES = sizeof GGML_TYPES / sizeof GGML_TYPES[0] };

bool ats_ggml_type_block(uint32_t type, uint64_t *block_bytes, uint64_t *block_elems) {
    if (type >= N_GGML_TYPES || GGML_TYPES[type].block_bytes == 0)
        return false;
    *block_bytes = GGML_TYPES[type].block_bytes;
    *block_elems = GGML_TYPES[type].block_elems;
    return true;
}

const char *ats_ggml_type_name(uint32_t type) {
    return type < N_GGML_TYPES ? GGML_TYPES[type].name : "unknown";
}

static uint64_t scalar_size(uint32_t type) {
    switch (type) {
    case ATS_GGUF_UINT8:
    case ATS_GGUF_INT8:
    case ATS_GGUF_BOOL:
        return 1;
    case ATS_GGUF_UINT16:
    case ATS_GGUF_INT16:
        return 2;
    case ATS_GGUF_UINT32:
    case ATS_GGUF_INT32:
    case ATS_GGUF_FLOAT32:
        return 4;
    case ATS_GGUF_UINT64:
    case ATS_GGUF_INT64:
    case ATS_GGUF_FLOAT64:
        return 8;
    default:
        return 0;
    }
}

static bool read_str(ats_reader *r, ats_gguf_str *out) {
    uint64_t len;
    const uint8_t *p;
    if (!ats_reader_u64(r, &len) || len > r->size - r->pos || !ats_reader_bytes(r, len, &p))
        return false;
    out->data = (const char *)p;
    out->len = len;
    return true;
}

/* Reads a scalar of `type` at the cursor into the kv's value union. */
static bool read_scalar(ats_reader *r, uint32_t type, ats_gguf_kv *kv) {
    uint64_t n = scalar_size(type);
    const uint8_t *p;
    if (!ats_reader_bytes(r, n, &p))
        return false;
    uint64_t bits = 0;
    for (int i = (int)n - 1; i >= 0; i--)
        bits = (bits << 8) | p[i];
    switch (type) {
    case ATS_GGUF_UINT8:
    case ATS_GGUF_UINT16:
    case ATS_GGUF_UINT32:
    case ATS_GGUF_UINT64:
        kv->value.u = bits;
        break;
    case ATS_GGUF_INT8:
        kv->value.i = (int8_t)bits;
        break;
    case ATS_GGUF_INT16:
        kv->value.i = (int16_t)bits;
        break;
    case ATS_GGUF_INT32:
        kv->value.i = (int32_t)bits;
        break;
    case ATS_GGUF_INT64:
        kv->value.i = (int64_t)bits;
        break;
    case ATS_GGUF_FLOAT32: {
        uint32_t b32 = (uint32_t)bits;
        float f;
        memcpy(&f, &b32, sizeof f);
        kv->value.f = f;
        break;
    }
    case ATS_GGUF_FLOAT64:
        memcpy(&kv->value.f, &bits, sizeof bits);
        break;
    case ATS_GGUF_BOOL:
        kv->value.b = bits != 0;
        break;
    default:
        return false;
    }
    return true;
}

/* Skips over an array payload of `len` elements of `type`, checking every length. */
static bool skip_array(ats_reader *r, uint32_t type, uint64_t len, int depth) {
    if (type == ATS_GGUF_STRING) {
        for (uint64_t i = 0; i < len; i++) {
            ats_gguf_str s;
            if (!read_str(r, &s))
                return false;
        }
        return true;
    }
    if (type == ATS_GGUF_ARRAY) {
        if (depth >= MAX_ARRAY_DEPTH)
            return false;
        for (uint64_t i = 0; i < len; i++) {
            uint32_t inner_type;
            uint64_t inner_len;
            if (!ats_reader_u32(r, &inner_type) || !ats_reader_u64(r, &inner_len) ||
                !skip_array(r, inner_type, inner_len, depth + 1))
                return false;
        }
        return true;
    }
    uint64_t size = scalar_size(type);
    if (size == 0 || len > (r->size - r->pos) / size)
        return false;
    return ats_reader_skip(r, len * size);
}

static bool read_kv(ats_reader *r, ats_gguf_kv *kv) {
    if (!read_str(r, &kv->key) || !ats_reader_u32(r, &kv->type))
        return false;
    if (kv->type == ATS_GGUF_STRING)
        return read_str(r, &kv->value.s);
    if (kv->type == ATS_GGUF_ARRAY) {
        if (!ats_reader_u32(r, &kv->array_type) || !ats_reader_u64(r, &kv->array_len))
            return false;
        kv->array_data = r->data + r->pos;
        return skip_array(r, kv->array_type, kv->array_len, 1);
    }
    return read_scalar(r, kv->type, kv);
}

static ats_status parse(ats_gguf *g, ats_error *err) {
    const char *path = g->file->path;
    ats_reader r = ats_reader_make(g->file->data, g->file->size);
    const uint8_t *magic;
    if (!ats_reader_bytes(&r, 4, &magic) || memcmp(magic, "GGUF", 4) != 0)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: not a GGUF file (no 'GGUF' magic)", path);
    if (!ats_reader_u32(&r, &g->version) || !ats_reader_u64(&r, &g->n_tensors) ||
        !ats_reader_u64(&r, &g->n_kv))
        return ats_fail(err, ATS_ERR_FORMAT, "%s: truncated GGUF header", path);
    if (g->version != 2 && g->version != 3)
        return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: GGUF version %u (attnscope reads 2 and 3)",
                        path, g->version);
    /* A key/value takes at least 13 bytes and a tensor description 24: bound the counts by
     * the file size before allocating for them. */
    if (g->n_kv > g->file->size / 13 || g->n_tensors > g->file->size / 24)
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: header claims %llu keys and %llu tensors, more than the file holds",
                        path, (unsigned long long)g->n_kv, (unsigned long long)g->n_tensors);
    g->kvs = calloc(g->n_kv ? g->n_kv : 1, sizeof *g->kvs);
    g->tensors = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *g->tensors);
    if (!g->kvs || !g->tensors)
        return ats_fail(err, ATS_ERR_NOMEM, "%s: out of memory", path);

    for (uint64_t i = 0; i < g->n_kv; i++)
        if (!read_kv(&r, &g->kvs[i]))
            return ats_fail(err, ATS_ERR_FORMAT,
                            "%s: metadata entry %llu of %llu is truncated or malformed", path,
                            (unsigned long long)i, (unsigned long long)g->n_kv);

    g->alignment = 32;
    int64_t align;
    if (ats_gguf_get_int(g, "general.alignment", &align)) {
        if (align <= 0 || (align & (align - 1)) != 0 || align > 1 << 20)
            return ats_fail(err, ATS_ERR_FORMAT, "%s: general.alignment %lld is not a power of two",
                            path, (long long)align);
        g->alignment = (uint64_t)align;
    }

    for (uint64_t i = 0; i < g->n_tensors; i++) {
        ats_gguf_tensor *t = &g->tensors[i];
        uint64_t offset;
        if (!read_str(&r, &t->name) || !ats_reader_u32(&r, &t->n_dims))
            return ats_fail(err, ATS_ERR_FORMAT, "%s: tensor description %llu is truncated", path,
                            (unsigned long long)i);
        if (t->n_dims == 0 || t->n_dims > 4)
            return ats_fail(err, ATS_ERR_FORMAT, "%s: tensor '%.*s' has %u dimensions", path,
                            (int)t->name.len, t->name.data, t->n_dims);
        t->n_elements = 1;
        for (uint32_t d = 0; d < 4; d++)
            t->dims[d] = 1;
        for (uint32_t d = 0; d < t->n_dims; d++) {
            if (!ats_reader_u64(&r, &t->dims[d]))
                return ats_fail(err, ATS_ERR_FORMAT, "%s: tensor description %llu is truncated",
                                path, (unsigned long long)i);
            if (t->dims[d] == 0 || t->dims[d] > (1ull << 40) / t->n_elements)
                return ats_fail(err, ATS_ERR_FORMAT, "%s: tensor '%.*s' has an implausible shape",
                                path, (int)t->name.len, t->name.data);
            t->n_elements *= t->dims[d];
        }
        if (!ats_reader_u32(&r, &t->type) || !ats_reader_u64(&r, &offset))
            return ats_fail(err, ATS_ERR_FORMAT, "%s: tensor description %llu is truncated", path,
                            (unsigned long long)i);
        uint64_t block_bytes, block_elems;
        if (ats_ggml_type_block(t->type, &block_bytes, &block_elems)) {
            if (t->dims[0] % block_elems != 0)
                return ats_fail(err, ATS_ERR_FORMAT,
                                "%s: tensor '%.*s' rows of %llu do not fill %s blocks", path,
                                (int)t->name.len, t->name.data, (unsigned long long)t->dims[0],
                                ats_ggml_type_name(t->type));
            t->n_bytes = t->n_elements / block_elems * block_bytes;
        }
        t->data = (const uint8_t *)(uintptr_t)offset; /* relative until the data start is known */
    }

    uint64_t data_offset = (r.pos + g->alignment - 1) / g->alignment * g->alignment;
    if (g->n_tensors > 0 && data_offset > g->file->size)
        return ats_fail(err, ATS_ERR_FORMAT, "%s: tensor data would start past the end of the file",
                        path);
    g->data_offset = data_offset;
    uint64_t data_size = g->n_tensors > 0 ? g->file->size - data_offset : 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        ats_gguf_tensor *t = &g->tensors[i];
        uint64_t offset = (uint64_t)(uintptr_t)t->data;
        if (offset % g->alignment != 0)
            return ats_fail(err, ATS_ERR_FORMAT,
                            "%s: tensor '%.*s' data offset %llu is not aligned", path,
                            (int)t->name.len, t->name.data, (unsigned long long)offset);
        if (offset > data_size || t->n_bytes > data_size - offset)
            return ats_fail(err, ATS_ERR_FORMAT,
                            "%s: tensor '%.*s' ends at byte %llu, file has %zu", path,
                            (int)t->name.len, t->name.data,
                            (unsigned long long)(data_offset + offset + t->n_bytes), g->file->size);
        t->data = g->file->data + data_offset + offset;
    }
    return ATS_OK;
}

ats_status ats_gguf_open(const char *path, ats_gguf **out, ats_error *err) {
    *out = NULL;
    ats_gguf *g = calloc(1, sizeof *g);
    if (!g)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    ats_status s = ats_mapped_file_open(path, &g->file, err);
    if (s == ATS_OK)
        s = parse(g, err);
    if (s != ATS_OK) {
        ats_gguf_free(g);
        return s;
    }
    *out = g;
    return ATS_OK;
}

void ats_gguf_free(ats_gguf *gguf) {
    if (!gguf)
        return;
    ats_mapped_file_free(gguf->file);
    free(gguf->kvs);
    free(gguf->tensors);
    free(gguf);
}

ats_mapped_file *ats_gguf_take_file(ats_gguf *gguf) {
    ats_mapped_file *f = gguf->file;
    gguf->file = NULL;
    return f;
}

static bool str_is(ats_gguf_str s, const char *z) {
    size_t n = strlen(z);
    return s.len == n && memcmp(s.data, z, n) == 0;
}

const ats_gguf_kv *ats_gguf_find(const ats_gguf *gguf, const char *key) {
    for (uint64_t i = 0; i < gguf->n_kv; i++)
        if (str_is(gguf->kvs[i].key, key))
            return &gguf->kvs[i];
    return NULL;
}

const ats_gguf_tensor *ats_gguf_find_tensor(const ats_gguf *gguf, const char *name) {
    for (uint64_t i = 0; i < gguf->n_tensors; i++)
        if (str_is(gguf->tensors[i].name, name))
            return &gguf->tensors[i];
    return NULL;
}

bool ats_gguf_get_int(const ats_gguf *gguf, const char *key, int64_t *out) {
    const ats_gguf_kv *kv = ats_gguf_find(gguf, key);
    if (!kv)
        return false;
    switch (kv->type) {
    case ATS_GGUF_UINT8:
    case ATS_GGUF_UINT16:
    case ATS_GGUF_UINT32:
    case ATS_GGUF_UINT64:
        if (kv->value.u > INT64_MAX)
            return false;
        *out = (int64_t)kv->value.u;
        return true;
    case ATS_GGUF_INT8:
    case ATS_GGUF_INT16:
    case ATS_GGUF_INT32:
    case ATS_GGUF_INT64:
        *out = kv->value.i;
        return true;
    default:
        return false;
    }
}

bool ats_gguf_get_float(const ats_gguf *gguf, const char *key, double *out) {
    const ats_gguf_kv *kv = ats_gguf_find(gguf, key);
    if (kv && (kv->type == ATS_GGUF_FLOAT32 || kv->type == ATS_GGUF_FLOAT64)) {
        *out = kv->value.f;
        return true;
    }
    int64_t i;
    if (ats_gguf_get_int(gguf, key, &i)) {
        *out = (double)i;
        return true;
    }
    return false;
}

bool ats_gguf_get_bool(const ats_gguf *gguf, const char *key, bool *out) {
    const ats_gguf_kv *kv = ats_gguf_find(gguf, key);
    if (!kv || kv->type != ATS_GGUF_BOOL)
        return false;
    *out = kv->value.b;
    return true;
}

bool ats_gguf_get_str(const ats_gguf *gguf, const char *key, ats_gguf_str *out) {
    const ats_gguf_kv *kv = ats_gguf_find(gguf, key);
    if (!kv || kv->type != ATS_GGUF_STRING)
        return false;
    *out = kv->value.s;
    return true;
}

static ats_status not_array_of(const ats_gguf *gguf, const ats_gguf_kv *kv, const char *what,
                               ats_error *err) {
    return ats_fail(err, ATS_ERR_FORMAT, "%s: '%.*s' is not an array of %s", gguf->file->path,
                    (int)kv->key.len, kv->key.data, what);
}

/* A reader over an array payload; it was already walked once by the parser, so it fits. */
static ats_reader array_reader(const ats_gguf *gguf, const ats_gguf_kv *kv) {
    size_t start = (size_t)(kv->array_data - gguf->file->data);
    return ats_reader_make(kv->array_data, gguf->file->size - start);
}

ats_status ats_gguf_string_array(const ats_gguf *gguf, const ats_gguf_kv *kv, const char ***ptrs,
                                 uint32_t **lens, ats_error *err) {
    *ptrs = NULL;
    *lens = NULL;
    if (kv->type != ATS_GGUF_ARRAY || kv->array_type != ATS_GGUF_STRING)
        return not_array_of(gguf, kv, "strings", err);
    const char **p = malloc((kv->array_len ? kv->array_len : 1) * sizeof *p);
    uint32_t *l = malloc((kv->array_len ? kv->array_len : 1) * sizeof *l);
    if (!p || !l) {
        free(p);
        free(l);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    ats_reader r = array_reader(gguf, kv);
    for (uint64_t i = 0; i < kv->array_len; i++) {
        ats_gguf_str s;
        if (!read_str(&r, &s) || s.len > UINT32_MAX) {
            free(p);
            free(l);
            return not_array_of(gguf, kv, "strings", err);
        }
        p[i] = s.data;
        l[i] = (uint32_t)s.len;
    }
    *ptrs = p;
    *lens = l;
    return ATS_OK;
}

/* Reads element i of a numeric array as a double. */
static bool array_number(ats_reader *r, uint32_t type, double *out) {
    ats_gguf_kv tmp;
    if (!read_scalar(r, type, &tmp))
        return false;
    switch (type) {
    case ATS_GGUF_FLOAT32:
    case ATS_GGUF_FLOAT64:
        *out = tmp.value.f;
        break;
    case ATS_GGUF_INT8:
    case ATS_GGUF_INT16:
    case ATS_GGUF_INT32:
    case ATS_GGUF_INT64:
        *out = (double)tmp.value.i;
        break;
    case ATS_GGUF_BOOL:
        *out = tmp.value.b;
        break;
    default:
        *out = (double)tmp.value.u;
        break;
    }
    return true;
}

static bool is_numeric(uint32_t type) {
    return scalar_size(type) > 0;
}

/* Walks a numeric array, handing each element (as a double) to store(out, i, value). */
static ats_status numeric_array(const ats_gguf *gguf, const ats_gguf_kv *kv, size_t elem_size,
                                void (*store)(void *, uint64_t, double), void **out,
                                ats_error *err) {
    *out = NULL;
    if (kv->type != ATS_GGUF_ARRAY || !is_numeric(kv->array_type))
        return not_array_of(gguf, kv, "numbers", err);
    void *v = malloc((kv->array_len ? kv->array_len : 1) * elem_size);
    if (!v)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    ats_reader r = array_reader(gguf, kv);
    for (uint64_t i = 0; i < kv->array_len; i++) {
        double d;
        if (!array_number(&r, kv->array_type, &d)) {
            free(v);
            return not_array_of(gguf, kv, "numbers", err);
        }
        store(v, i, d);
    }
    *out = v;
    return ATS_OK;
}

static void store_float(void *v, uint64_t i, double d) {
    ((float *)v)[i] = (float)d;
}

static void store_int(void *v, uint64_t i, double d) {
    /* out-of-range values (a u32 -1 meaning "none") clamp rather than overflow */
    ((int32_t *)v)[i] = d >= INT32_MAX ? INT32_MAX : d <= INT32_MIN ? INT32_MIN : (int32_t)d;
}

ats_status ats_gguf_float_array(const ats_gguf *gguf, const ats_gguf_kv *kv, float **out,
                                ats_error *err) {
    return numeric_array(gguf, kv, sizeof **out, store_float, (void **)out, err);
}

ats_status ats_gguf_int_array(const ats_gguf *gguf, const ats_gguf_kv *kv, int32_t **out,
                              ats_error *err) {
    return numeric_array(gguf, kv, sizeof **out, store_int, (void **)out, err);
}
