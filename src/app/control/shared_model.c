#include "shared_model.h"

#include <stdatomic.h>
#include <stdlib.h>

struct ats_shared_model {
    ats_model *model;
    atomic_int refs;
};

static atomic_int live_count;

ats_shared_model *ats_shared_model_wrap(ats_model *model) {
    ats_shared_model *m = malloc(sizeof *m);
    if (!m) {
        ats_model_free(model);
        return NULL;
    }
    m->model = model;
    atomic_init(&m->refs, 1);
    atomic_fetch_add(&live_count, 1);
    return m;
}

ats_shared_model *ats_shared_model_retain(ats_shared_model *m) {
    if (m)
        atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

void ats_shared_model_free(ats_shared_model *m) {
    /* acq_rel: whoever frees sees every other holder's last use of the model */
    if (!m || atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
        return;
    ats_model_free(m->model);
    free(m);
    atomic_fetch_sub(&live_count, 1);
}

const ats_model *ats_shared_model_get(const ats_shared_model *m) {
    return m ? m->model : NULL;
}

int ats_shared_model_live_count(void) {
    return atomic_load(&live_count);
}
