#include "base.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *ats_status_name(ats_status status) {
    switch (status) {
    case ATS_OK:
        return "ok";
    case ATS_ERR_IO:
        return "io";
    case ATS_ERR_FORMAT:
        return "format";
    case ATS_ERR_UNSUPPORTED:
        return "unsupported";
    case ATS_ERR_NOMEM:
        return "nomem";
    case ATS_ERR_ARG:
        return "arg";
    case ATS_ERR_CANCELLED:
        return "cancelled";
    }
    return "unknown";
}

ats_status ats_fail(ats_error *err, ats_status status, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = status;
    }
    return status;
}

void ats_error_clear(ats_error *err) {
    if (err) {
        err->status = ATS_OK;
        err->message[0] = '\0';
    }
}

void ats_assert_failed(const char *cond, const char *file, int line) {
    /* The one place the engine writes to stderr: a bug, not an input problem. */
    fprintf(stderr, "attnscope: internal error: %s (%s:%d)\n", cond, file, line);
    abort();
}
