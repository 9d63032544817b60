/* attnscope status codes and error details, shared by every part of the library.
 *
 * Fallible calls return an ats_status and, when their `err` argument is not NULL, fill it with
 * one line naming the file or argument and what is wrong ("model.safetensors: tensor
 * 'h.0.attn.c_attn.weight' ends at byte 9812, file has 4096"). Any thread may call these.
 */
#ifndef ATTNSCOPE_STATUS_H
#define ATTNSCOPE_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#define ATS_VERSION "0.1.0"

typedef enum ats_status {
    ATS_OK = 0,
    ATS_ERR_IO,          /* a file could not be opened, read or written */
    ATS_ERR_FORMAT,      /* a file or text is malformed (truncated, bad header, invalid UTF-8) */
    ATS_ERR_UNSUPPORTED, /* well-formed but not something attnscope runs (architecture, dtype) */
    ATS_ERR_NOMEM,       /* an allocation failed */
    ATS_ERR_ARG,         /* a caller-supplied argument is out of range or inconsistent */
    ATS_ERR_CANCELLED,   /* the caller stopped the computation (ats_run_opts.cancel) */
} ats_status;

/* Short stable name of a status ("ok", "io", "format", "unsupported", "nomem", "arg",
 * "cancelled"). */
const char *ats_status_name(ats_status status);

#define ATS_ERROR_MESSAGE_SIZE 512

typedef struct ats_error {
    ats_status status;
    char message[ATS_ERROR_MESSAGE_SIZE]; /* one line, no trailing newline */
} ats_error;

/* The one way to fill an error: formats one line into err (when not NULL) and returns status,
 * so a caller writes `return ats_fail(err, ATS_ERR_FORMAT, "%s: header ends past the file",
 * path);`. */
ats_status ats_fail(ats_error *err, ats_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err (when not NULL) to ATS_OK with an empty message. */
void ats_error_clear(ats_error *err);

#ifdef __cplusplus
}
#endif

#endif /* ATTNSCOPE_STATUS_H */
