#include "mapped_file.h"
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

ats_status ats_mapped_file_open(const char *path, ats_mapped_file **out, ats_error *err) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ats_fail(err, ATS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ats_fail(err, ATS_ERR_IO, "%s: not a regular file", path);
    }
    ats_mapped_file *file = calloc(1, sizeof *file);
    if (!file) {
        close(fd);
        return ats_fail(err, ATS_ERR_NOMEM, "%s: out of memory", path);
    }
    snprintf(file->path, sizeof file->path, "%s", path);
    file->size = (size_t)st.st_size;
    if (file->size > 0) {
        void *p = mmap(NULL, file->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            free(file);
            return ats_fail(err, ATS_ERR_IO, "%s: cannot map: %s", path, strerror(e));
        }
        file->data = p;
    }
    close(fd);
    *out = file;
    return ATS_OK;
}

void ats_mapped_file_free(ats_mapped_file *file) {
    if (!file)
        return;
    if (file->data)
        munmap((void *)file->data, file->size);
    free(file);
}

ats_reader ats_reader_make(const void *data, size_t size) {
    return (ats_reader){.data = data, .size = size, .pos = 0};
}

bool ats_reader_bytes(ats_reader *r, size_t n, const uint8_t **out) {
    if (n > r->size - r->pos)
        return false;
    *out = r->data + r->pos;
    r->pos += n;
    return true;
}

bool ats_reader_skip(ats_reader *r, size_t n) {
    const uint8_t *ignored;
    return ats_reader_bytes(r, n, &ignored);
}

static bool read_le(ats_reader *r, int n, uint64_t *out) {
    const uint8_t *p;
    if (!ats_reader_bytes(r, (size_t)n, &p))
        return false;
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    *out = v;
    return true;
}

bool ats_reader_u8(ats_reader *r, uint8_t *out) {
    uint64_t v;
    if (!read_le(r, 1, &v))
        return false;
    *out = (uint8_t)v;
    return true;
}

bool ats_reader_u32(ats_reader *r, uint32_t *out) {
    uint64_t v;
    if (!read_le(r, 4, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

bool ats_reader_u64(ats_reader *r, uint64_t *out) {
    return read_le(r, 8, out);
}

bool ats_reader_i32(ats_reader *r, int32_t *out) {
    uint32_t v;
    if (!ats_reader_u32(r, &v))
        return false;
    memcpy(out, &v, sizeof v);
    return true;
}

bool ats_reader_f32(ats_reader *r, float *out) {
    uint32_t v;
    if (!ats_reader_u32(r, &v))
        return false;
    memcpy(out, &v, sizeof v);
    return true;
}

bool ats_reader_varint(ats_reader *r, uint64_t *out) {
    uint64_t v = 0;
    for (size_t i = 0; i < 10 && r->pos + i < r->size; i++) {
        uint8_t b = r->data[r->pos + i];
        v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            r->pos += i + 1;
            *out = v;
            return true;
        }
    }
    return false;
}

ats_status ats_read_text_file(const char *path, char **out, size_t *out_len, ats_error *err) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ats_fail(err, ATS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    int e = ats_read_stream(f, out, out_len);
    fclose(f);
    if (e == ENOMEM)
        return ats_fail(err, ATS_ERR_NOMEM, "%s: out of memory reading the file", path);
    if (e)
        return ats_fail(err, ATS_ERR_IO, "%s: read error", path);
    return ATS_OK;
}
