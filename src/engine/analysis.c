/* Numbers about a run's heads (analysis.h): metrics of one head's matrix, means and maxima over
 * heads, attention rollout, value-weighted attention, and next-token probabilities. */
#include "attnscope/analysis.h"
#include "base.h"
#include "ops.h"
#include "run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading a head -------------------------------------------------------------------------- */

/* One head's (T, T) probabilities, kept or computed now (ats_run_attention_acquire); give it
 * back with ats_run_attention_release. */
static ats_status head_attention(const ats_run *run, int layer, int head, const float **out,
                                 ats_error *err) {
    return ats_run_attention_acquire(run, layer, head, out, err);
}

/* ---- head metrics ---------------------------------------------------------------------------- */

static const char *const METRIC_NAMES[ATS_METRIC_COUNT] = {"entropy", "prev_token", "first_token",
                                                           "self",    "distance",   "max_weight"};

const char *ats_metric_name(ats_metric metric) {
    return (unsigned)metric < ATS_METRIC_COUNT ? METRIC_NAMES[metric] : "unknown";
}

bool ats_metric_from_name(const char *name, ats_metric *out) {
    for (int m = 0; name && m < ATS_METRIC_COUNT; m++)
        if (strcmp(name, METRIC_NAMES[m]) == 0) {
            *out = (ats_metric)m;
            return true;
        }
    return false;
}

void ats_head_metrics_of(const float *attn, int T, ats_head_metrics *out) {
    double entropy = 0, first = 0, self = 0, distance = 0, max_weight = 0;
    for (int i = 0; i < T; i++) {
        const float *row = attn + (size_t)i * T; /* (T) query i over the keys */
        double h = 0, d = 0, mx = 0;
        for (int j = 0; j < T; j++) {
            double a = row[j];
            if (a > 0)
                h -= a * log(a);
            d += a * abs(i - j);
            if (a > mx)
                mx = a;
        }
        entropy += h;
        distance += d;
        max_weight += mx;
        first += row[0];
        self += row[i];
    }
    double *v = out->value;
    v[ATS_METRIC_ENTROPY] = entropy / T;
    v[ATS_METRIC_PREV_TOKEN] = T >= 2 ? ats_score_previous_token(attn, T) : NAN;
    v[ATS_METRIC_FIRST_TOKEN] = first / T;
    v[ATS_METRIC_SELF] = self / T;
    v[ATS_METRIC_DISTANCE] = distance / T;
    v[ATS_METRIC_MAX_WEIGHT] = max_weight / T;
}

ats_status ats_run_head_metrics(const ats_run *run, ats_head_metrics *out, ats_error *err) {
    const ats_model_config *c = &run->cfg;
    for (int l = 0; l < c->n_layer; l++)
        for (int h = 0; h < c->n_head; h++) {
            const float *a;
            ats_status st = head_attention(run, l, h, &a, err);
            if (st != ATS_OK)
                return st;
            ats_head_metrics_of(a, run->n_tokens, &out[(size_t)l * c->n_head + h]);
            ats_run_attention_release(run, a);
        }
    return ATS_OK;
}

/* ---- aggregates ------------------------------------------------------------------------------ */

ats_status ats_run_head_mean_max(const ats_run *run, int layer, float *mean, float *max,
                                 ats_error *err) {
    const ats_model_config *c = &run->cfg;
    if (layer < 0 || layer >= c->n_layer)
        return ats_fail(err, ATS_ERR_ARG, "layer %d is out of range (the model has %d)", layer,
                        c->n_layer);
    size_t TT = (size_t)run->n_tokens * run->n_tokens;
    double *sum = mean ? calloc(TT, sizeof *sum) : NULL; /* (T, T) */
    if (mean && !sum)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a %d-token mean", run->n_tokens);
    for (int h = 0; h < c->n_head; h++) {
        const float *a;
        ats_status st = head_attention(run, layer, h, &a, err);
        if (st != ATS_OK) {
            free(sum);
            return st;
        }
        for (size_t k = 0; sum && k < TT; k++)
            sum[k] += a[k];
        for (size_t k = 0; max && k < TT; k++)
            max[k] = h == 0 || a[k] > max[k] ? a[k] : max[k];
        ats_run_attention_release(run, a);
    }
    for (size_t k = 0; sum && k < TT; k++)
        mean[k] = (float)(sum[k] / c->n_head);
    free(sum);
    return ATS_OK;
}

ats_status ats_run_rollout(const ats_run *run, float *rollout, ats_error *err) {
    const ats_model_config *c = &run->cfg;
    int T = run->n_tokens;
    size_t TT = (size_t)T * T;
    float *hat = malloc(TT * sizeof *hat); /* (T, T) A^_l */
    if (!hat)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a %d-token rollout", T);
    for (int l = 0; l < c->n_layer; l++) {
        ats_status st = ats_run_head_mean_max(run, l, hat, NULL, err);
        if (st != ATS_OK) {
            free(hat);
            return st;
        }
        /* A^_l = 0.5 mean + 0.5 I, each row divided by its sum */
        for (int i = 0; i < T; i++) {
            float *row = hat + (size_t)i * T;
            double sum = 0;
            for (int j = 0; j < T; j++) {
                row[j] = 0.5f * row[j] + (i == j ? 0.5f : 0.0f);
                sum += row[j];
            }
            for (int j = 0; j < T && sum > 0; j++)
                row[j] = (float)(row[j] / sum);
        }
        float *R = rollout + (size_t)l * TT; /* (T, T) */
        if (l == 0)
            memcpy(R, hat, TT * sizeof *R);
        else /* R_l (T, T) = A^_l (T, T) . R_{l-1} (T, T) */
            ats_gemm(false, T, T, T, 1.0f, hat, T, R - TT, T, 0.0f, R, T);
    }
    free(hat);
    return ATS_OK;
}

void ats_attention_received(const float *attn, int rows, int n_keys, float *received) {
    for (int j = 0; j < n_keys; j++) {
        double sum = 0;
        for (int i = 0; i < rows; i++)
            sum += attn[(size_t)i * n_keys + j];
        received[j] = (float)sum;
    }
}

/* ---- value-weighted attention ---------------------------------------------------------------- */

/* woT (dq, D): the rows of W_O^T, i.e. row r is what input feature r of the output projection
 * adds to the output, bias left out; read through ats_linear_apply on unit vectors so that any
 * stored weight type works. */
static ats_status projection_rows(const ats_linear *wo, float *woT, ats_error *err) {
    enum { CHUNK = 64 };
    int dq = wo->n_in;
    float *unit = calloc((size_t)CHUNK * dq, sizeof *unit); /* (CHUNK, dq) */
    if (!unit)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    ats_linear nobias = *wo;
    nobias.b = NULL;
    for (int r0 = 0; r0 < dq; r0 += CHUNK) {
        int n = dq - r0 < CHUNK ? dq - r0 : CHUNK;
        for (int r = 0; r < n; r++)
            unit[(size_t)r * dq + r0 + r] = 1.0f;
        ats_linear_apply(&nobias, unit, n, woT + (size_t)r0 * wo->n_out);
        for (int r = 0; r < n; r++)
            unit[(size_t)r * dq + r0 + r] = 0.0f;
    }
    free(unit);
    return ATS_OK;
}

ats_status ats_run_value_norms(const ats_model *model, const ats_run *run, float *norms,
                               ats_error *err) {
    const ats_model_config *c = &run->cfg;
    if (run->model_serial != model->serial)
        return ats_fail(err, ATS_ERR_ARG, "value norms need the model that made the run");
    if (c->cross_attention)
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "value-weighted attention is not available for encoder-decoder models");
    if (!run->kv_cache)
        return ats_fail(err, ATS_ERR_ARG, "value norms need a run made with keep_cache");
    int T = run->n_tokens, H = c->n_head, dh = c->d_head, D = c->d_model, group = H / c->n_kv_head;
    size_t dq = (size_t)H * dh, dkv = (size_t)c->n_kv_head * dh;
    float *woT = malloc(dq * D * sizeof *woT);          /* (H*dh, D) */
    float *proj = malloc((size_t)T * D * sizeof *proj); /* (T, D) */
    ats_status st = woT && proj ? ATS_OK : ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    for (int l = 0; l < c->n_layer && st == ATS_OK; l++) {
        st = projection_rows(&model->layers[l].wo, woT, err);
        const float *V = run->kv_cache + ((size_t)l * 2 + 1) * T * dkv; /* (T, KV*dh) values */
        for (int h = 0; h < H && st == ATS_OK; h++) {
            /* proj (T, D) = v_h (T, dh) . W_O^h (dh, D), v_h the K/V head this head reads */
            ats_gemm(false, T, D, dh, 1.0f, V + (size_t)(h / group) * dh, (int)dkv,
                     woT + (size_t)h * dh * D, D, 0.0f, proj, D);
            float *out = norms + ((size_t)l * H + h) * T; /* (T) */
            for (int j = 0; j < T; j++) {
                double ss = 0;
                for (int d = 0; d < D; d++)
                    ss += (double)proj[(size_t)j * D + d] * proj[(size_t)j * D + d];
                out[j] = (float)sqrt(ss);
            }
        }
    }
    free(woT);
    free(proj);
    return st;
}

void ats_value_weighted(const float *attn, const float *norms, int rows, int n_keys, float *out) {
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < n_keys; j++)
            out[(size_t)i * n_keys + j] = attn[(size_t)i * n_keys + j] * norms[j];
}

/* ---- next-token probabilities ---------------------------------------------------------------- */

void ats_probs_of_logits(const float *logits, int n, double temperature, double *probs) {
    double max = -INFINITY, sum = 0;
    for (int i = 0; i < n; i++)
        if (logits[i] > max)
            max = logits[i];
    for (int i = 0; i < n; i++) {
        probs[i] = exp((logits[i] - max) / temperature);
        sum += probs[i];
    }
    for (int i = 0; i < n; i++)
        probs[i] /= sum;
}

/* An id and its logit, ordered highest logit first, the lower id first on a tie. */
typedef struct scored {
    float logit;
    int32_t id;
} scored;

static int by_logit(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->logit != y->logit)
        return x->logit > y->logit ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The k best ids into out (best first): by insertion, O(n k), for a few. */
static void best_by_insertion(const float *logits, int n, int k, ats_token_prob *out) {
    int kept = 0;
    for (int32_t id = 0; id < n; id++) {
        float v = logits[id];
        if (kept == k && !(v > logits[out[k - 1].id]))
            continue;
        int at = kept < k ? kept++ : k - 1;
        while (at > 0 && v > logits[out[at - 1].id]) {
            out[at] = out[at - 1];
            at--;
        }
        out[at] = (ats_token_prob){.id = id};
    }
}

int ats_top_k(const float *logits, int n, int k, ats_token_prob *out) {
    if (k > n)
        k = n;
    if (k <= 0)
        return 0;
    double max = -INFINITY, sum = 0;
    for (int i = 0; i < n; i++)
        if (logits[i] > max)
            max = logits[i];
    for (int i = 0; i < n; i++)
        sum += exp((double)logits[i] - max);
    scored *all = k > 32 ? malloc((size_t)n * sizeof *all) : NULL;
    if (all) { /* many: sort every id */
        for (int32_t id = 0; id < n; id++)
            all[id] = (scored){logits[id], id};
        qsort(all, (size_t)n, sizeof *all, by_logit);
        for (int i = 0; i < k; i++)
            out[i] = (ats_token_prob){.id = all[i].id};
        free(all);
    } else {
        best_by_insertion(logits, n, k, out);
    }
    for (int i = 0; i < k; i++)
        out[i].prob = (float)(exp((double)logits[out[i].id] - max) / sum);
    return k;
}
