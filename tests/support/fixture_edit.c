#include "fixture_edit.h"
#include "test_support.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

ats_bytes ats_slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    ats_bytes b = {malloc((size_t)n + 1), (size_t)n};
    assert_non_null(b.data);
    assert_int_equal(fread(b.data, 1, b.len, f), b.len);
    fclose(f);
    return b;
}

void ats_spit(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s", path);
    if (len)
        assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

void ats_spit_text(const char *path, const char *text) {
    ats_spit(path, text, strlen(text));
}

void ats_copy_file(const char *from, const char *to) {
    ats_bytes b = ats_slurp(from);
    ats_spit(to, b.data, b.len);
    free(b.data);
}

char *ats_path_in(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

void ats_copy_hf_folder(const char *src, const char *dst) {
    if (mkdir(dst, 0700) != 0)
        fail_msg("cannot make %s", dst);
    static const char *const files[] = {"config.json", "tokenizer.json", "tokenizer_config.json",
                                        "vocab.json",  "merges.txt",     "vocab.txt"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *from = ats_path_in(src, files[i]), *to = ats_path_in(dst, files[i]);
        struct stat st;
        if (stat(from, &st) == 0)
            ats_copy_file(from, to);
        free(from);
        free(to);
    }
}

ats_st_parts ats_st_read(const char *path) {
    ats_st_parts p = {.file = ats_slurp(path)};
    assert_true(p.file.len >= 8);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | p.file.data[i];
    assert_true(n <= p.file.len - 8);
    json_error_t e;
    p.header = json_loadb((const char *)p.file.data + 8, (size_t)n, 0, &e);
    if (!p.header)
        fail_msg("%s: header is not JSON: %s", path, e.text);
    p.data = p.file.data + 8 + n;
    p.data_len = p.file.len - 8 - (size_t)n;
    return p;
}

void ats_st_write(const char *path, const json_t *header, const unsigned char *data,
                  size_t data_len, size_t pad) {
    char *text = json_dumps(header, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(text);
    size_t n = strlen(text);
    size_t padded = pad ? n + pad : (n + 7) / 8 * 8;
    size_t total = 8 + padded + data_len;
    unsigned char *out = malloc(total);
    assert_non_null(out);
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(out + 8, text, n);
    memset(out + 8 + n, ' ', padded - n);
    if (data_len)
        memcpy(out + 8 + padded, data, data_len);
    ats_spit(path, out, total);
    free(out);
    free(text);
}

void ats_st_free(ats_st_parts *parts) {
    json_decref(parts->header);
    free(parts->file.data);
    parts->header = NULL;
    parts->file.data = NULL;
}
