#include "base.h"

#include <errno.h>
#include <stdlib.h>

int ats_read_stream(FILE *f, char **out, size_t *out_len) {
    *out = NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - 1 - len, f);
        if (len < cap - 1)
            break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            return ENOMEM;
        }
        buf = bigger;
        cap *= 2;
    }
    if (!buf)
        return ENOMEM;
    if (ferror(f)) {
        free(buf);
        return EIO;
    }
    buf[len] = '\0';
    *out = buf;
    if (out_len)
        *out_len = len;
    return 0;
}
