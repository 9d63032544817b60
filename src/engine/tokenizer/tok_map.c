/* Two small open-addressing hash maps for the tokenizers: token text -> id (vocabularies of up
 * to a few hundred thousand entries looked up for every candidate merge) and (id, id) -> merge
 * rank. Linear probing, load kept under one half, capacities powers of two. */
#include "base.h"
#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- growable byte buffer ------------------------------------------------------------------ */

ats_status ats_tok_buf_append(tok_buf *b, const void *data, size_t n, ats_error *err) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory (%zu bytes of token text)", cap);
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = '\0'; /* always NUL-terminated, for the convenience of callers */
    return ATS_OK;
}

void ats_tok_buf_free(tok_buf *b) {
    free(b->p);
    *b = (tok_buf){0};
}

/* ---- text -> id ------------------------------------------------------------------------------ */

struct tok_strslot {
    const char *key; /* NULL: empty slot */
    uint32_t len;
    uint32_t hash;
    int32_t value;
};

static uint32_t hash_bytes(const char *s, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

static size_t capacity_for(size_t expected) {
    size_t cap = 16;
    while (cap < expected * 2 + 2)
        cap *= 2;
    return cap;
}

ats_status ats_tok_strmap_init(tok_strmap *m, size_t expected, ats_error *err) {
    m->cap = capacity_for(expected);
    m->n = 0;
    m->slots = calloc(m->cap, sizeof *m->slots);
    if (!m->slots)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for a vocabulary of %zu tokens",
                        expected);
    return ATS_OK;
}

static struct tok_strslot *str_find(struct tok_strslot *slots, size_t cap, const char *key,
                                    size_t len, uint32_t h) {
    size_t i = h & (cap - 1);
    for (;;) {
        struct tok_strslot *s = &slots[i];
        if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
            return s;
        i = (i + 1) & (cap - 1);
    }
}

static ats_status str_grow(tok_strmap *m, ats_error *err) {
    size_t cap = m->cap * 2;
    struct tok_strslot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory growing a vocabulary map");
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key)
            *str_find(slots, cap, m->slots[i].key, m->slots[i].len, m->slots[i].hash) = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return ATS_OK;
}

ats_status ats_tok_strmap_put(tok_strmap *m, const char *key, size_t len, int32_t value,
                              ats_error *err) {
    if ((m->n + 1) * 2 > m->cap) {
        ats_status s = str_grow(m, err);
        if (s != ATS_OK)
            return s;
    }
    uint32_t h = hash_bytes(key, len);
    struct tok_strslot *slot = str_find(m->slots, m->cap, key, len, h);
    if (!slot->key) {
        /* an empty key still needs a non-NULL pointer to mark the slot used */
        *slot = (struct tok_strslot){.key = len ? key : "", .len = (uint32_t)len, .hash = h};
        m->n++;
    }
    slot->value = value;
    return ATS_OK;
}

bool ats_tok_strmap_get(const tok_strmap *m, const char *key, size_t len, int32_t *value) {
    if (!m->slots)
        return false;
    const struct tok_strslot *slot = str_find(m->slots, m->cap, key, len, hash_bytes(key, len));
    if (!slot->key)
        return false;
    *value = slot->value;
    return true;
}

void ats_tok_strmap_free(tok_strmap *m) {
    free(m->slots);
    *m = (tok_strmap){0};
}

/* ---- (id, id) -> (rank, merged id) --------------------------------------------------------- */

static uint64_t pair_key(int32_t left, int32_t right) {
    return (((uint64_t)(uint32_t)left << 32) | (uint32_t)right) + 1;
}

static size_t pair_slot(const uint64_t *keys, size_t cap, uint64_t key) {
    uint64_t h = key * 0x9E3779B97F4A7C15ull; /* Fibonacci hashing spreads consecutive ids */
    size_t i = (size_t)(h >> 32) & (cap - 1);
    while (keys[i] && keys[i] != key)
        i = (i + 1) & (cap - 1);
    return i;
}

ats_status ats_tok_pairmap_init(tok_pairmap *m, size_t expected, ats_error *err) {
    m->cap = capacity_for(expected);
    m->n = 0;
    m->keys = calloc(m->cap, sizeof *m->keys);
    m->vals = calloc(m->cap, sizeof *m->vals);
    if (!m->keys || !m->vals) {
        ats_tok_pairmap_free(m);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %zu merges", expected);
    }
    return ATS_OK;
}

static ats_status pair_grow(tok_pairmap *m, ats_error *err) {
    size_t cap = m->cap * 2;
    uint64_t *keys = calloc(cap, sizeof *keys), *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory growing the merge table");
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i]) {
            size_t j = pair_slot(keys, cap, m->keys[i]);
            keys[j] = m->keys[i];
            vals[j] = m->vals[i];
        }
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return ATS_OK;
}

ats_status ats_tok_pairmap_put(tok_pairmap *m, int32_t left, int32_t right, int32_t rank,
                               int32_t merged, ats_error *err) {
    if ((m->n + 1) * 2 > m->cap) {
        ats_status s = pair_grow(m, err);
        if (s != ATS_OK)
            return s;
    }
    uint64_t key = pair_key(left, right);
    size_t i = pair_slot(m->keys, m->cap, key);
    if (m->keys[i])
        return ATS_OK;
    m->keys[i] = key;
    m->vals[i] = ((uint64_t)(uint32_t)rank << 32) | (uint32_t)merged;
    m->n++;
    return ATS_OK;
}

bool ats_tok_pairmap_get(const tok_pairmap *m, int32_t left, int32_t right, int32_t *rank,
                         int32_t *merged) {
    if (!m->keys)
        return false;
    size_t i = pair_slot(m->keys, m->cap, pair_key(left, right));
    if (!m->keys[i])
        return false;
    *rank = (int32_t)(uint32_t)(m->vals[i] >> 32);
    *merged = (int32_t)(uint32_t)m->vals[i];
    return true;
}

void ats_tok_pairmap_free(tok_pairmap *m) {
    free(m->keys);
    free(m->vals);
    *m = (tok_pairmap){0};
}
