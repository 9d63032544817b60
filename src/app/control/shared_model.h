/* A loaded model shared between the UI thread and the worker: a reference count, so the model
 * the UI swaps out is freed only when the last run using it lets go. The model itself is
 * immutable (engine.h), so only the count needs to be thread-safe. */
#ifndef ATS_APP_SHARED_MODEL_H
#define ATS_APP_SHARED_MODEL_H

#include "attnscope/engine.h"

typedef struct ats_shared_model ats_shared_model;

/* Takes ownership of `model` with one reference; NULL (and the model freed) when out of memory. */
ats_shared_model *ats_shared_model_wrap(ats_model *model);
/* Adds a reference and returns `m` (NULL-safe). */
ats_shared_model *ats_shared_model_retain(ats_shared_model *m);
/* Drops a reference; the last one frees the model (NULL-safe). */
void ats_shared_model_free(ats_shared_model *m);
const ats_model *ats_shared_model_get(const ats_shared_model *m);

/* How many shared models exist in the process: lets tests see when a model is really freed. */
int ats_shared_model_live_count(void);

#endif
