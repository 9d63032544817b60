/* Making modified copies of fixture files in temporary folders: whole-file reads and writes, and
 * safetensors files split into a parsed header and their data bytes. Failures fail the test. */
#ifndef ATS_TEST_FIXTURE_EDIT_H
#define ATS_TEST_FIXTURE_EDIT_H

#include <jansson.h>
#include <stddef.h>

typedef struct ats_bytes {
    unsigned char *data; /* heap, free() */
    size_t len;
} ats_bytes;

ats_bytes ats_slurp(const char *path);
void ats_spit(const char *path, const void *data, size_t len);
void ats_spit_text(const char *path, const char *text);
void ats_copy_file(const char *from, const char *to);
/* "dir/name" on the heap. */
char *ats_path_in(const char *dir, const char *name);

/* Makes folder `dst` holding copies of the Hugging Face folder `src`'s config.json and
 * tokenizer files (not its weights). */
void ats_copy_hf_folder(const char *src, const char *dst);

/* A safetensors file as its parsed header and the data section that follows it. */
typedef struct ats_st_parts {
    json_t *header;
    const unsigned char *data; /* inside file */
    size_t data_len;
    ats_bytes file;
} ats_st_parts;

ats_st_parts ats_st_read(const char *path);
/* Writes header + data; the header is padded with `pad` spaces after its JSON text, then to a
 * multiple of 8 bytes unless `pad` is nonzero (so a caller can misalign the data on purpose). */
void ats_st_write(const char *path, const json_t *header, const unsigned char *data,
                  size_t data_len, size_t pad);
void ats_st_free(ats_st_parts *parts);

#endif
