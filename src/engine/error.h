/* Filling ats_error: every fallible engine call reports through ats_fail. */
#ifndef ATS_ENGINE_ERROR_H
#define ATS_ENGINE_ERROR_H

#include "attnscope/engine.h"

/* Formats one line into err (when not NULL) and returns status, so callers can write
 * `return ats_fail(err, ATS_ERR_FORMAT, "%s: header ends past the file", path);`. */
ats_status ats_fail(ats_error *err, ats_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err to ATS_OK with an empty message. */
void ats_error_clear(ats_error *err);

/* Broken invariants only (never bad input): aborts with file and line. */
#define ATS_ASSERT(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ats_assert_failed(#cond, __FILE__, __LINE__);                                          \
    } while (0)

_Noreturn void ats_assert_failed(const char *cond, const char *file, int line);

#endif
