#include "attnscope/engine.h"

#include <utf8proc.h>

long ats_utf8_first_invalid(const char *text, size_t len) {
    size_t pos = 0;
    while (pos < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)text + pos,
                                              (utf8proc_ssize_t)(len - pos), &cp);
        if (n <= 0)
            return (long)pos;
        pos += (size_t)n;
    }
    return -1;
}
