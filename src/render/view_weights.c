/* The weights as the views show them: special tokens hidden (their weight left out, or each row
 * renormalized over the keys still shown), and the range of weights a colour scale spans. */
#include "view_internal.h"

#include <stdlib.h>
#include <string.h>

/* The key side's special flags: cross-attention's keys have their own. */
static const bool *key_flags(const ats_view_data *d) {
    return d->n_keys > 0 ? d->key_special : d->special;
}

static bool hidden(const ats_view_state *st, const bool *flags, int i) {
    return st->hide_special && flags && flags[i];
}

static bool renormalizing(const ats_view_state *st, const ats_view_data *d) {
    return st->hide_special && st->renormalize && key_flags(d);
}

/* Keys [0, n) that query q sees: up to itself in a causal model. */
static int keys_seen(const ats_view_data *d, int q) {
    return d->causal ? q + 1 : n_keys_of(d);
}

/* The first key query q sees in `layer`: past a sliding window's start. */
static int first_seen(const ats_view_data *d, int layer, int q) {
    int w = d->causal ? ats_view_window(d, layer) : 0;
    return w > 0 && q - w + 1 > 0 ? q - w + 1 : 0;
}

ats_color_scale ats_view_effective_scale(const ats_view_state *st, const ats_view_data *d) {
    ats_color_scale s =
        (unsigned)st->color_scale < ATS_COLOR_SCALE_COUNT ? st->color_scale : ATS_COLOR_SCALE_FIXED;
    return d->measure && s == ATS_COLOR_SCALE_FIXED ? ATS_COLOR_SCALE_AUTO : s;
}

/* 1 / the weight row `row` of query q gives to the keys shown (1 when that is 0). */
static float row_factor(const ats_view_data *d, const ats_view_state *st, const float *row, int q) {
    const bool *kf = key_flags(d);
    double kept = 0;
    for (int k = 0, kn = keys_seen(d, q); k < kn; k++)
        if (!hidden(st, kf, k))
            kept += (double)row[k];
    return kept > 0 && isfinite(kept) ? (float)(1.0 / kept) : 1.0f;
}

const float *ats_view_row_factors(view_ctx *c, int layer, int head) {
    const ats_view_data *d = c->d;
    if (!renormalizing(c->st, d) || layer < 0 || layer >= d->n_layer || head < 0 ||
        head >= d->n_head)
        return NULL;
    if (!c->renorm) {
        c->renorm = calloc((size_t)d->n_layer * (size_t)d->n_head, sizeof *c->renorm);
        if (!c->renorm) {
            c->status = c->status ? c->status : ATS_ERR_NOMEM;
            return NULL;
        }
    }
    float **slot = &c->renorm[layer * d->n_head + head];
    if (*slot)
        return *slot;
    const float *a = ats_view_data_head(d, layer, head);
    if (!a)
        return NULL;
    float *f = malloc((size_t)d->n_tokens * sizeof *f);
    if (!f) {
        c->status = c->status ? c->status : ATS_ERR_NOMEM;
        return NULL;
    }
    size_t K = (size_t)n_keys_of(d);
    for (int q = 0; q < d->n_tokens; q++)
        f[q] = row_factor(d, c->st, a + (size_t)q * K, q);
    *slot = f;
    return f;
}

void ats_view_weights_free(view_ctx *c) {
    if (!c->renorm)
        return;
    for (int i = 0, n = c->d->n_layer * c->d->n_head; i < n; i++)
        free(c->renorm[i]);
    free(c->renorm);
    c->renorm = NULL;
}

float ats_view_weight(view_ctx *c, int layer, int head, int q, int k) {
    const float *a = ats_view_data_head(c->d, layer, head);
    if (!a)
        return 0.0f;
    const float *f = ats_view_row_factors(c, layer, head);
    float v = a[(size_t)q * (size_t)n_keys_of(c->d) + (size_t)k];
    return f ? v * f[q] : v;
}

bool ats_view_hides_keys(const view_ctx *c) {
    const bool *kf = key_flags(c->d);
    if (!c->st->hide_special || !kf)
        return false;
    for (int k = 0, n = n_keys_of(c->d); k < n; k++)
        if (kf[k])
            return true;
    return false;
}

float ats_view_hidden_weight(view_ctx *c, int layer, int head, int q) {
    const float *a = ats_view_data_head(c->d, layer, head);
    const bool *kf = key_flags(c->d);
    if (!a || !c->st->hide_special || !kf)
        return 0.0f;
    const float *row = a + (size_t)q * (size_t)n_keys_of(c->d);
    double w = 0;
    for (int k = 0, kn = keys_seen(c->d, q); k < kn; k++)
        if (kf[k])
            w += (double)row[k];
    return (float)w;
}

float ats_view_row_mult(view_ctx *c, int layer, int head, int q) {
    const float *f = ats_view_row_factors(c, layer, head);
    float mult = f ? f[q] : 1.0f;
    if (!c->per_row)
        return mult;
    const float *a = ats_view_data_head(c->d, layer, head);
    if (!a)
        return 1.0f;
    const float *row = a + (size_t)q * (size_t)n_keys_of(c->d);
    const bool *kf = key_flags(c->d);
    float mx = 0;
    for (int k = 0, kn = keys_seen(c->d, q); k < kn; k++)
        if (!hidden(c->st, kf, k) && fabsf(row[k]) > mx)
            mx = fabsf(row[k]);
    return mx > 0 && isfinite(mx) ? 1.0f / mx : 1.0f;
}

/* The first index not hidden, or -1. */
static int first_shown(const ats_view_state *st, const bool *flags, int n) {
    for (int i = 0; i < n; i++)
        if (!hidden(st, flags, i))
            return i;
    return -1;
}

void ats_attention_range(const ats_view_data *d, const ats_view_state *st, int layer, int head,
                         float *lo, float *hi) {
    *lo = 0.0f;
    *hi = 1.0f;
    ats_color_scale scale = ats_view_effective_scale(st, d);
    const float *a = ats_view_data_head(d, layer, head);
    if (!a || scale == ATS_COLOR_SCALE_FIXED || scale == ATS_COLOR_SCALE_ROW)
        return;
    const bool *kf = key_flags(d);
    bool exclude_first = scale == ATS_COLOR_SCALE_EXCLUDE_FIRST, renorm = renormalizing(st, d);
    int q_first = first_shown(st, d->special, d->n_tokens),
        k_first = first_shown(st, kf, n_keys_of(d));
    size_t K = (size_t)n_keys_of(d);
    float mx = 0, mn = INFINITY;
    for (int q = 0; q < d->n_tokens; q++) {
        if (hidden(st, d->special, q) || (exclude_first && q == q_first))
            continue;
        const float *row = a + (size_t)q * K;
        int k0 = first_seen(d, layer, q), kn = keys_seen(d, q), visible = 0;
        for (int k = k0; k < kn; k++)
            visible += !hidden(st, kf, k);
        if (d->causal && visible <= 1)
            continue; /* a causal row that sees only itself: always 1, says nothing */
        float f = renorm ? row_factor(d, st, row, q) : 1.0f;
        for (int k = k0; k < kn; k++) {
            if (hidden(st, kf, k) || (exclude_first && k == k_first))
                continue;
            float v = row[k] * f;
            if (!isfinite(v))
                continue;
            mx = fabsf(v) > mx ? fabsf(v) : mx;
            mn = v < mn ? v : mn;
        }
    }
    if (!(mx > 0))
        return; /* nothing, or all zero: 0 .. 1 */
    *hi = mx;
    if (scale == ATS_COLOR_SCALE_MINMAX && mn < mx)
        *lo = mn;
}

void ats_view_color_range(view_ctx *c, int layer, int head) {
    c->per_row = ats_view_effective_scale(c->st, c->d) == ATS_COLOR_SCALE_ROW;
    ats_attention_range(c->d, c->st, layer, head, &c->vmin, &c->vmax);
}
