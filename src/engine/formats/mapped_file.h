/* Read-only memory-mapped files and a bounds-checked little-endian reader over them.
 *
 * Every offset and length read from a model file goes through ats_reader (or an explicit
 * check against `size`) before it is used, so a truncated or hostile file is an error, not a
 * read past the end.
 */
#ifndef ATS_ENGINE_MAPPED_FILE_H
#define ATS_ENGINE_MAPPED_FILE_H

#include "attnscope/engine.h"

typedef struct ats_mapped_file {
    const uint8_t *data; /* (size) bytes, read-only; NULL when size is 0 */
    size_t size;
    char path[1024];
} ats_mapped_file;

ats_status ats_mapped_file_open(const char *path, ats_mapped_file **out, ats_error *err);
void ats_mapped_file_free(ats_mapped_file *file);

/* A cursor over [data, data + size). Reads past the end fail and leave the cursor unchanged. */
typedef struct ats_reader {
    const uint8_t *data;
    size_t size;
    size_t pos;
} ats_reader;

ats_reader ats_reader_make(const void *data, size_t size);
bool ats_reader_u8(ats_reader *r, uint8_t *out);
bool ats_reader_u32(ats_reader *r, uint32_t *out);
bool ats_reader_u64(ats_reader *r, uint64_t *out);
bool ats_reader_i32(ats_reader *r, int32_t *out);
bool ats_reader_f32(ats_reader *r, float *out);
/* Points *out at the next n bytes and advances. */
bool ats_reader_bytes(ats_reader *r, size_t n, const uint8_t **out);
bool ats_reader_skip(ats_reader *r, size_t n);
/* A base-128 varint (protobuf): at most ten bytes, the last without its high bit. */
bool ats_reader_varint(ats_reader *r, uint64_t *out);

/* Whole-file read into a NUL-terminated heap buffer (for JSON and text vocabularies). */
ats_status ats_read_text_file(const char *path, char **out, size_t *out_len, ats_error *err);

#endif
