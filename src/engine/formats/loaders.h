/* One entry point per model source; ats_model_load picks by path. Each fills a fresh model
 * (config, info, tokenizer, weights) or fails with a message naming the file and problem. */
#ifndef ATS_ENGINE_LOADERS_H
#define ATS_ENGINE_LOADERS_H

#include "model.h"

ats_status ats_load_demo(const ats_load_opts *opts, ats_model **out, ats_error *err);
ats_status ats_load_hf_folder(const char *dir, const ats_load_opts *opts, ats_model **out,
                              ats_error *err);
ats_status ats_load_gguf(const char *path, const ats_load_opts *opts, ats_model **out,
                         ats_error *err);
ats_status ats_load_llama2c(const char *path, const ats_load_opts *opts, ats_model **out,
                            ats_error *err);

#endif
