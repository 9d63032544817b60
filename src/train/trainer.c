/* The training loop's step: a batch drawn from the corpus, its gradient computed in chunks on
 * worker threads and summed in a fixed order, clipped, and one AdamW update. */
#include "trainer_internal.h"

#include "tops.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ADAM_BETA1 0.9f
#define ADAM_BETA2 0.99f
#define ADAM_EPS   1e-8f
#define CLIP_NORM  1.0

ats_train_opts ats_train_opts_default(void) {
    return (ats_train_opts){.corpus = "builtin:repeats",
                            .vocab = 0,
                            .n_layer = 2,
                            .n_head = 4,
                            .d_model = 64,
                            .d_ff = 0,
                            .context = 64,
                            .rope = true,
                            .steps = 2000,
                            .batch = 32,
                            .lr = 1e-3f,
                            .warmup = 100,
                            .weight_decay = 0.01f,
                            .seed = 1,
                            .threads = 0};
}

static ats_status check_opts(const ats_train_opts *o, ats_error *err) {
    if (o->steps < 0 || o->steps > 10000000)
        return ats_fail(err, ATS_ERR_ARG, "--steps must be from 0 to 10000000, not %d", o->steps);
    if (o->batch < ATS_TRAIN_CHUNK || o->batch > 4096 || o->batch % ATS_TRAIN_CHUNK != 0)
        return ats_fail(err, ATS_ERR_ARG,
                        "--batch must be a multiple of %d from %d to 4096, not %d", ATS_TRAIN_CHUNK,
                        ATS_TRAIN_CHUNK, o->batch);
    if (!(o->lr > 0 && o->lr < 1))
        return ats_fail(err, ATS_ERR_ARG, "--lr must be between 0 and 1");
    if (o->warmup < 0 || !(o->weight_decay >= 0 && o->weight_decay < 1))
        return ats_fail(err, ATS_ERR_ARG, "--warmup must be >= 0 and --weight-decay in [0, 1)");
    if (o->threads < 0 || o->threads > 256)
        return ats_fail(err, ATS_ERR_ARG, "--threads must be from 1 to 256");
    if (o->d_ff < -1)
        return ats_fail(err, ATS_ERR_ARG, "--d-ff must be >= 0");
    return ATS_OK;
}

ats_status ats_trainer_new(const ats_train_opts *opts, ats_trainer **out, ats_error *err) {
    *out = NULL;
    ats_error_clear(err);
    ats_status s = check_opts(opts, err);
    if (s != ATS_OK)
        return s;
    ats_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    t->opts = *opts;
    if (t->opts.d_ff < 0)
        t->opts.d_ff = 4 * opts->d_model;
    if (t->opts.threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        t->opts.threads = cpus < 1 ? 1 : cpus > 64 ? 64 : (int)cpus;
    }
    t->n_chunks = opts->batch / ATS_TRAIN_CHUNK;
    if (t->opts.threads > t->n_chunks)
        t->opts.threads = t->n_chunks;
    snprintf(t->corpus_name, sizeof t->corpus_name, "%s", opts->corpus);
    t->opts.corpus = t->corpus_name;
    openblas_set_num_threads(1); /* determinism: see train.h */

    if ((s = ats_tr_corpus_open(opts->corpus, opts->vocab, &t->corpus, err)) != ATS_OK) {
        free(t);
        return s;
    }
    if (!ats_tr_corpus_fits(&t->corpus, opts->context + 1)) {
        s = ats_fail(err, ATS_ERR_ARG, "%s: %zu tokens are fewer than a context of %d plus one",
                     opts->corpus, t->corpus.n_ids, opts->context);
        ats_trainer_free(t);
        return s;
    }
    ats_tr_config cfg = {.n_layer = opts->n_layer,
                         .n_head = opts->n_head,
                         .d_model = opts->d_model,
                         .d_ff = t->opts.d_ff,
                         .vocab = t->corpus.vocab,
                         .context = opts->context,
                         .rope = opts->rope,
                         .rope_theta = 10000.0f,
                         .eps = 1e-5f};
    if ((s = ats_tr_model_init(&t->model, &cfg, err)) != ATS_OK) {
        ats_trainer_free(t);
        return s;
    }
    size_t n = t->model.n_params;
    int T = opts->context;
    t->params = calloc(n, sizeof(float));
    t->adam_m = calloc(n, sizeof(float));
    t->adam_v = calloc(n, sizeof(float));
    t->grads = calloc((size_t)t->n_chunks * n, sizeof(float));
    t->losses = calloc((size_t)t->n_chunks, sizeof(double));
    t->ids = malloc((size_t)opts->batch * T * sizeof(int32_t));
    t->targets = malloc((size_t)opts->batch * T * sizeof(int32_t));
    t->seq = malloc((size_t)(T + 1) * sizeof(int32_t));
    t->acts = calloc((size_t)t->opts.threads, sizeof *t->acts);
    if (!t->params || !t->adam_m || !t->adam_v || !t->grads || !t->losses || !t->ids ||
        !t->targets || !t->seq || !t->acts) {
        ats_trainer_free(t);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a model of %zu parameters", n);
    }
    for (int i = 0; i < t->opts.threads; i++)
        if ((s = ats_tr_acts_alloc(&t->acts[i], &t->model, ATS_TRAIN_CHUNK, T, err)) != ATS_OK) {
            ats_trainer_free(t);
            return s;
        }
    ats_tr_model_init_params(&t->model, t->params, opts->seed);
    t->rng = (ats_rng){opts->seed ^ 0xba7c4e5ull}; /* the batches' own stream */
    *out = t;
    return ATS_OK;
}

void ats_trainer_free(ats_trainer *t) {
    if (!t)
        return;
    for (int i = 0; t->acts && i < t->opts.threads; i++)
        ats_tr_acts_release(&t->acts[i]);
    free(t->acts);
    free(t->params);
    free(t->adam_m);
    free(t->adam_v);
    free(t->grads);
    free(t->losses);
    free(t->ids);
    free(t->targets);
    free(t->seq);
    ats_tr_model_release(&t->model);
    ats_tr_corpus_release(&t->corpus);
    free(t);
}

/* ---- a batch -------------------------------------------------------------------------------- */

/* `count` sequences of context + 1 tokens from rng: ids (count, T) are the first T, targets the
 * last T (each token predicts the next). */
void ats_trainer_draw(ats_trainer *t, ats_rng *rng, int count, int32_t *ids, int32_t *targets) {
    int T = t->opts.context;
    for (int b = 0; b < count; b++) {
        ats_tr_corpus_sample(&t->corpus, rng, t->seq, T + 1);
        memcpy(ids + (size_t)b * T, t->seq, (size_t)T * sizeof(int32_t));
        memcpy(targets + (size_t)b * T, t->seq + 1, (size_t)T * sizeof(int32_t));
    }
}

/* ---- the gradient, in chunks on threads ------------------------------------------------------ */

typedef struct worker_arg {
    ats_trainer *t;
    int index; /* takes chunks index, index + threads, ... */
    float scale;
} worker_arg;

static void *worker_main(void *p) {
    worker_arg *w = p;
    ats_trainer *t = w->t;
    int T = t->opts.context;
    size_t n = t->model.n_params, rows = (size_t)ATS_TRAIN_CHUNK * T;
    for (int c = w->index; c < t->n_chunks; c += t->opts.threads) {
        float *g = t->grads + (size_t)c * n;
        memset(g, 0, n * sizeof(float));
        ats_tr_acts *a = &t->acts[w->index];
        ats_tr_forward(&t->model, t->params, a, t->ids + c * rows, ATS_TRAIN_CHUNK, T);
        t->losses[c] = ats_tr_backward(&t->model, t->params, g, a, t->ids + c * rows,
                                       t->targets + c * rows, w->scale);
    }
    return NULL;
}

/* grads chunk 0 = the batch's gradient of the mean loss; returns the summed loss. */
static double batch_gradient(ats_trainer *t) {
    int nt = t->opts.threads;
    worker_arg args[256];
    pthread_t threads[256];
    bool started[256] = {false};
    float scale = 1.0f / (float)((long)t->opts.batch * t->opts.context);
    for (int i = 0; i < nt; i++) {
        args[i] = (worker_arg){.t = t, .index = i, .scale = scale};
        if (i > 0)
            started[i] = pthread_create(&threads[i], NULL, worker_main, &args[i]) == 0;
    }
    worker_main(&args[0]);
    for (int i = 1; i < nt; i++) {
        if (started[i])
            pthread_join(threads[i], NULL);
        else /* no thread: the same chunks here (the sum does not depend on who computed it) */
            worker_main(&args[i]);
    }
    size_t n = t->model.n_params;
    double loss = 0.0;
    for (int c = 0; c < t->n_chunks; c++) { /* chunk order: the same sum every time */
        loss += t->losses[c];
        if (c > 0)
            cblas_saxpy((int)n, 1.0f, t->grads + (size_t)c * n, 1, t->grads, 1);
    }
    return loss;
}

/* ---- AdamW ---------------------------------------------------------------------------------- */

/* Warmup, a long stable stretch (the plateau before induction heads form needs the full rate),
 * then a cosine down to lr / 10 over the last fifth of the steps. */
static float learning_rate(const ats_train_opts *o, int step) {
    if (step < o->warmup)
        return o->lr * (float)(step + 1) / (float)o->warmup;
    int decay_start = o->steps - o->steps / 5;
    if (step < decay_start || o->steps / 5 == 0)
        return o->lr;
    double progress = (double)(step - decay_start) / (o->steps / 5);
    progress = progress > 1 ? 1 : progress;
    return (float)(o->lr * (0.1 + 0.9 * 0.5 * (1.0 + cos(M_PI * progress))));
}

static void adamw(ats_trainer *t, float lr, float clip) {
    int k = t->step + 1;
    float bc1 = 1.0f - powf(ADAM_BETA1, (float)k), bc2 = 1.0f - powf(ADAM_BETA2, (float)k);
    for (int i = 0; i < t->model.n_tensors; i++) {
        const ats_tr_tensor *ten = &t->model.tensors[i];
        size_t n = (size_t)ten->dims[0] * (ten->n_dims == 2 ? (size_t)ten->dims[1] : 1);
        float decay = ten->matrix ? t->opts.weight_decay : 0.0f;
        float *p = t->params + ten->offset, *g = t->grads + ten->offset;
        float *m = t->adam_m + ten->offset, *v = t->adam_v + ten->offset;
        for (size_t j = 0; j < n; j++) {
            float gj = g[j] * clip;
            m[j] = ADAM_BETA1 * m[j] + (1.0f - ADAM_BETA1) * gj;
            v[j] = ADAM_BETA2 * v[j] + (1.0f - ADAM_BETA2) * gj * gj;
            float update = (m[j] / bc1) / (sqrtf(v[j] / bc2) + ADAM_EPS);
            p[j] -= lr * (update + decay * p[j]);
        }
    }
}

ats_status ats_trainer_step(ats_trainer *t, ats_train_step *out, ats_error *err) {
    ats_error_clear(err);
    ats_trainer_draw(t, &t->rng, t->opts.batch, t->ids, t->targets);
    double loss = batch_gradient(t);
    size_t n = t->model.n_params;
    double norm2 = 0.0;
    for (size_t i = 0; i < n; i++)
        norm2 += (double)t->grads[i] * t->grads[i];
    double norm = sqrt(norm2);
    if (!isfinite(norm) || !isfinite(loss))
        return ats_fail(err, ATS_ERR_ARG,
                        "step %d: the loss or gradient is not finite (lower --lr)", t->step + 1);
    float clip = norm > CLIP_NORM ? (float)(CLIP_NORM / norm) : 1.0f;
    float lr = learning_rate(&t->opts, t->step);
    adamw(t, lr, clip);
    t->step++;
    if (out)
        *out = (ats_train_step){.step = t->step,
                                .loss = loss / ((double)t->opts.batch * t->opts.context),
                                .lr = lr,
                                .grad_norm = norm};
    return ATS_OK;
}

/* ---- getters and the forward for others --------------------------------------------------- */

int ats_trainer_steps_done(const ats_trainer *t) {
    return t->step;
}

const ats_train_opts *ats_trainer_opts(const ats_trainer *t) {
    return &t->opts;
}

int ats_trainer_vocab(const ats_trainer *t) {
    return t->corpus.vocab;
}

size_t ats_trainer_n_params(const ats_trainer *t) {
    return t->model.n_params;
}

long ats_trainer_tokens_per_step(const ats_trainer *t) {
    return (long)t->opts.batch * t->opts.context;
}

ats_status ats_trainer_eval_loss(ats_trainer *t, int count, double *loss, ats_error *err) {
    int T = t->opts.context;
    count = (count + ATS_TRAIN_CHUNK - 1) / ATS_TRAIN_CHUNK * ATS_TRAIN_CHUNK;
    int32_t *ids = malloc((size_t)count * T * sizeof *ids);
    int32_t *targets = malloc((size_t)count * T * sizeof *targets);
    if (!ids || !targets) {
        free(ids);
        free(targets);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    }
    ats_rng rng = {t->opts.seed ^ 0xe7a1ull};
    ats_trainer_draw(t, &rng, count, ids, targets);
    double sum = 0.0;
    size_t rows = (size_t)ATS_TRAIN_CHUNK * T;
    for (int c = 0; c < count / ATS_TRAIN_CHUNK; c++) {
        ats_tr_forward(&t->model, t->params, &t->acts[0], ids + c * rows, ATS_TRAIN_CHUNK, T);
        sum += ats_tr_cross_entropy(t->acts[0].logits, targets + c * rows, (int)rows,
                                    t->model.cfg.vocab, 1.0f);
    }
    *loss = sum / ((double)count * T);
    free(ids);
    free(targets);
    return ATS_OK;
}

ats_status ats_trainer_forward(ats_trainer *t, const int32_t *ids, int T, float *logits,
                               float *attn, ats_error *err) {
    const ats_tr_config *c = &t->model.cfg;
    if (T < 1 || T > t->opts.context)
        return ats_fail(err, ATS_ERR_ARG, "%d tokens do not fit the context of %d", T,
                        t->opts.context);
    for (int i = 0; i < T; i++)
        if (ids[i] < 0 || ids[i] >= c->vocab)
            return ats_fail(err, ATS_ERR_ARG, "token id %d is outside the vocabulary of %d", ids[i],
                            c->vocab);
    ats_tr_acts *a = &t->acts[0];
    ats_tr_forward(&t->model, t->params, a, ids, 1, T);
    memcpy(logits, a->logits, (size_t)T * c->vocab * sizeof(float));
    if (attn) {
        size_t TT = (size_t)T * T, per_layer = (size_t)a->max_b * c->n_head * a->max_t * a->max_t;
        for (int l = 0; l < c->n_layer; l++) /* batch entry 0 of each layer: (H, T, T) */
            memcpy(attn + (size_t)l * c->n_head * TT, a->att + (size_t)l * per_layer,
                   (size_t)c->n_head * TT * sizeof(float));
    }
    return ATS_OK;
}
