/* Placeholders until the real-model loaders land (issue 3); each says so plainly. */
#include "error.h"
#include "loaders.h"

ats_status ats_load_llama2c(const char *path, const ats_load_opts *opts, ats_model **out,
                            ats_error *err) {
    (void)opts;
    *out = NULL;
    return ats_fail(err, ATS_ERR_UNSUPPORTED, "%s: llama2.c checkpoints are not supported yet",
                    path);
}
