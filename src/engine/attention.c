/* Attention probabilities by blocks of query rows (attention.h), and a run's heads on request
 * (engine.h: ats_run_attention_acquire / _release / _pooled). */
#include "attention.h"

#include "base.h"
#include "ops.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- one block of rows ------------------------------------------------------------------- */

void ats_attn_buckets(const ats_model_config *c, int T, int *bucket) {
    for (int d = -(T - 1); d <= T - 1; d++)
        bucket[d + T - 1] = ats_relative_bucket(d, !c->causal, c->rel_buckets, c->rel_max_distance);
}

int ats_attn_rows(const ats_model_config *c, const float *q, int ldq, const float *k, int ldk,
                  int r0, int r1, int T, int window, bool all_keys, const ats_attn_bias *bias,
                  float *scores, float *p, int ldp) {
    int n = r1 - r0, dh = c->d_head;
    int keys = c->causal ? r1 : T; /* a causal row r sees keys 0..r */
    float cap = c->attn_softcap;
    /* scores (n, cols) = q (n, dh) . k[0..cols) (cols, dh)^T, row stride T */
    ats_gemm(true, n, all_keys ? T : keys, dh, 1.0f, q, ldq, k, ldk, 0.0f, scores, T);
    for (int i = 0; i < n; i++) {
        int r = r0 + i, visible = c->causal ? r + 1 : T;
        int first = c->causal && window > 0 && r - window + 1 > 0 ? r - window + 1 : 0;
        float *row = p + (size_t)i * ldp;
        const float *s = scores + (size_t)i * T;
        if (bias || cap > 0.0f) {
            /* scores * scale, + T5's bias of the distance j - r, Gemma 2's soft-cap */
            const int *b = bias ? bias->bucket + (T - 1 - r) : NULL;
            for (int j = first; j < visible; j++) {
                float v = s[j] * c->attn_scale;
                if (b)
                    v += bias->bias[(size_t)b[j] * bias->stride];
                row[j] = cap > 0.0f ? cap * tanhf(v / cap) : v;
            }
            ats_softmax(row + first, visible - first);
        } else {
            ats_softmax_scaled(row + first, s + first, visible - first, c->attn_scale);
        }
        memset(row, 0, (size_t)first * sizeof(float)); /* outside the sliding window */
        memset(row + visible, 0, (size_t)(keys - visible) * sizeof(float)); /* masked */
    }
    return keys;
}

/* ---- pooled thumbnails ------------------------------------------------------------------- */

void ats_attn_pool_shape(int T, int *block, int *n) {
    int b = 1;
    while ((T + b - 1) / b > ATS_ATTN_POOL_MAX)
        b *= 2;
    *block = b;
    *n = (T + b - 1) / b;
}

void ats_attn_pool_rows(float *pooled, int n, int block, const float *p, int ldp, int r0, int r1,
                        int keys) {
    for (int r = r0; r < r1; r++) {
        const float *row = p + (size_t)(r - r0) * ldp;
        float *cells = pooled + (size_t)(r / block) * n; /* (n) this row's pooled row */
        for (int j0 = 0; j0 < keys; j0 += block) {
            int j1 = j0 + block < keys ? j0 + block : keys;
            float s = 0;
            for (int j = j0; j < j1; j++)
                s += row[j];
            cells[j0 / block] += s;
        }
    }
}

/* ---- the head cache of an on-demand run ---------------------------------------------------- */

typedef struct cache_entry {
    int layer, head;
    float *probs; /* (T, T); NULL while computing or when computing failed */
    int refs;     /* holders between acquire and release */
    bool ready;
    uint64_t used; /* the cache clock at the last release: least recently used goes first */
} cache_entry;

struct ats_head_cache {
    pthread_mutex_t mu;
    pthread_cond_t ready_cv;
    cache_entry *entries;
    int n, cap;
    uint64_t clock;
};

ats_head_cache *ats_head_cache_new(void) {
    ats_head_cache *hc = calloc(1, sizeof *hc);
    if (!hc)
        return NULL;
    pthread_mutex_init(&hc->mu, NULL);
    pthread_cond_init(&hc->ready_cv, NULL);
    return hc;
}

void ats_head_cache_free(ats_head_cache *hc) {
    if (!hc)
        return;
    for (int i = 0; i < hc->n; i++)
        free(hc->entries[i].probs);
    free(hc->entries);
    pthread_cond_destroy(&hc->ready_cv);
    pthread_mutex_destroy(&hc->mu);
    free(hc);
}

static cache_entry *find_head(ats_head_cache *hc, int layer, int head) {
    for (int i = 0; i < hc->n; i++)
        if (hc->entries[i].layer == layer && hc->entries[i].head == head)
            return &hc->entries[i];
    return NULL;
}

static void remove_entry(ats_head_cache *hc, cache_entry *e) {
    free(e->probs);
    *e = hc->entries[--hc->n];
}

/* Frees unheld heads, least recently used first, until at most `keep` unheld ones remain. */
static void evict(ats_head_cache *hc, int keep) {
    for (;;) {
        int unheld = 0;
        cache_entry *oldest = NULL;
        for (int i = 0; i < hc->n; i++) {
            cache_entry *e = &hc->entries[i];
            if (e->refs > 0 || !e->ready)
                continue;
            unheld++;
            if (!oldest || e->used < oldest->used)
                oldest = e;
        }
        if (unheld <= keep || !oldest)
            return;
        remove_entry(hc, oldest);
    }
}

/* One head of an on-demand run computed from its kept queries and keys: (T, T), zero where
 * masked; NULL when out of memory. The same blocks as the forward pass. */
static float *compute_head(const ats_run *run, int layer, int head) {
    const ats_model_config *c = &run->cfg;
    const ats_attn_store *a = &run->attn;
    int T = run->n_tokens, dh = c->d_head, H = c->n_head, KV = c->n_kv_head;
    int dq = H * dh, dkv = KV * dh, kv = head / (H / KV), li = layer - a->layer0;
    float *probs = calloc((size_t)T * T, sizeof(float));
    float *scores = malloc((size_t)ATS_ATTN_ROWS * T * sizeof(float));
    bool relative = c->positions == ATS_POS_RELATIVE_BUCKETS && run->rel_bias;
    int *bucket = relative ? malloc((2 * (size_t)T - 1) * sizeof(int)) : NULL;
    if (!probs || !scores || (relative && !bucket)) {
        free(probs);
        free(scores);
        free(bucket);
        return NULL;
    }
    ats_attn_bias bias = {bucket, relative ? run->rel_bias + head : NULL, H};
    if (relative)
        ats_attn_buckets(c, T, bucket);
    const float *q = a->q + (size_t)li * T * dq + (size_t)head * dh; /* (T, dh), stride dq */
    const float *k = a->k ? a->k + (size_t)li * T * dkv
                          : run->kv_cache + (size_t)layer * 2 * T * dkv; /* (T, dkv) */
    k += (size_t)kv * dh;
    for (int r0 = 0; r0 < T; r0 += ATS_ATTN_ROWS) {
        int r1 = r0 + ATS_ATTN_ROWS < T ? r0 + ATS_ATTN_ROWS : T;
        ats_attn_rows(c, q + (size_t)r0 * dq, dq, k, dkv, r0, r1, T,
                      ats_config_layer_window(c, layer), false, relative ? &bias : NULL, scores,
                      probs + (size_t)r0 * T, T);
    }
    free(scores);
    free(bucket);
    return probs;
}

static ats_status check_head(const ats_run *run, int layer, int head, ats_error *err) {
    const ats_model_config *c = &run->cfg;
    if (layer < 0 || layer >= c->n_layer)
        return ats_fail(err, ATS_ERR_ARG, "layer %d is out of range (the model has %d)", layer,
                        c->n_layer);
    if (head < 0 || head >= c->n_head)
        return ats_fail(err, ATS_ERR_ARG, "head %d is out of range (the model has %d)", head,
                        c->n_head);
    const ats_attn_store *a = &run->attn;
    if (layer < a->layer0 || layer >= a->layer0 + a->n_layers)
        return ats_fail(err, ATS_ERR_ARG, "layer %d's attention was not kept by this run", layer);
    return ATS_OK;
}

ats_status ats_run_attention_acquire(const ats_run *run, int layer, int head, const float **out,
                                     ats_error *err) {
    *out = NULL;
    ats_status s = check_head(run, layer, head, err);
    if (s != ATS_OK)
        return s;
    const ats_attn_store *a = &run->attn;
    size_t T = (size_t)run->n_tokens;
    if (a->kept) {
        *out = a->probs + ((size_t)(layer - a->layer0) * run->cfg.n_head + head) * T * T;
        return ATS_OK;
    }
    ats_head_cache *hc = a->cache;
    pthread_mutex_lock(&hc->mu);
    cache_entry *e = find_head(hc, layer, head);
    if (e) {
        e->refs++;
        while (!(e = find_head(hc, layer, head))->ready) /* another thread computes it */
            pthread_cond_wait(&hc->ready_cv, &hc->mu);
        *out = e->probs;
        if (!e->probs && --e->refs == 0) /* that computation ran out of memory */
            remove_entry(hc, e);
        pthread_mutex_unlock(&hc->mu);
        return *out ? ATS_OK
                    : ats_fail(err, ATS_ERR_NOMEM, "out of memory for a %zu x %zu attention matrix",
                               T, T);
    }
    if (hc->n == hc->cap) {
        int cap = hc->cap ? 2 * hc->cap : 16;
        cache_entry *grown = realloc(hc->entries, (size_t)cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&hc->mu);
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a head's attention");
        }
        hc->entries = grown;
        hc->cap = cap;
    }
    hc->entries[hc->n++] = (cache_entry){.layer = layer, .head = head, .refs = 1};
    pthread_mutex_unlock(&hc->mu);

    float *probs = compute_head(run, layer, head); /* outside the lock */

    pthread_mutex_lock(&hc->mu);
    e = find_head(hc, layer, head);
    e->probs = probs;
    e->ready = true;
    if (!probs && --e->refs == 0) /* waiters see NULL and drop the entry */
        remove_entry(hc, e);
    pthread_cond_broadcast(&hc->ready_cv);
    pthread_mutex_unlock(&hc->mu);
    if (!probs)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a %zu x %zu attention matrix", T, T);
    *out = probs;
    return ATS_OK;
}

bool ats_run_attention_try_acquire(const ats_run *run, int layer, int head, const float **out) {
    *out = NULL;
    if (check_head(run, layer, head, NULL) != ATS_OK)
        return false;
    const ats_attn_store *a = &run->attn;
    if (a->kept) {
        size_t T = (size_t)run->n_tokens;
        *out = a->probs + ((size_t)(layer - a->layer0) * run->cfg.n_head + head) * T * T;
        return true;
    }
    ats_head_cache *hc = a->cache;
    pthread_mutex_lock(&hc->mu);
    cache_entry *e = find_head(hc, layer, head);
    if (e && e->ready && e->probs) { /* not one another thread is computing */
        e->refs++;
        *out = e->probs;
    }
    pthread_mutex_unlock(&hc->mu);
    return *out != NULL;
}

void ats_run_attention_release(const ats_run *run, const float *probs) {
    if (!run || !probs || run->attn.kept)
        return;
    ats_head_cache *hc = run->attn.cache;
    pthread_mutex_lock(&hc->mu);
    for (int i = 0; i < hc->n; i++) {
        cache_entry *e = &hc->entries[i];
        if (e->probs == probs && e->refs > 0) {
            e->refs--;
            e->used = ++hc->clock;
            break;
        }
    }
    evict(hc, run->cfg.n_head); /* a layer's worth stays for the next build of the same view */
    pthread_mutex_unlock(&hc->mu);
}

bool ats_run_attention_kept(const ats_run *run) {
    return run->attn.kept;
}

bool ats_run_attention_available(const ats_run *run, int layer) {
    return layer >= run->attn.layer0 && layer < run->attn.layer0 + run->attn.n_layers;
}

const float *ats_run_attention_pooled(const ats_run *run, int *n, int *block) {
    *n = run->attn.pool_n;
    *block = run->attn.pool_block;
    return run->attn.pooled_mean;
}

void ats_attn_pool_means(const ats_run *run, float *mean) {
    const ats_attn_store *a = &run->attn;
    int m = a->pool_n, b = a->pool_block, T = run->n_tokens;
    size_t heads = (size_t)run->cfg.n_layer * run->cfg.n_head;
    for (size_t hd = 0; hd < heads; hd++) {
        const float *sums = a->pooled + hd * m * m;
        float *out = mean + hd * m * m;
        for (int i = 0; i < m; i++) {
            int rows = (i + 1) * b < T ? b : T - i * b;
            for (int j = 0; j < m; j++) {
                int cols = (j + 1) * b < T ? b : T - j * b;
                out[(size_t)i * m + j] = sums[(size_t)i * m + j] / (float)(rows * cols);
            }
        }
    }
}
