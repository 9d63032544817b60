/* The two BPE models: merges by rank (Hugging Face / GPT-2) and merges by score (SentencePiece,
 * as llama.cpp's llm_tokenizer_spm and llama2.c's encode() do it).
 *
 * Both start from a doubly linked list of symbols (bytes or characters of the piece) and keep
 * a priority queue of candidate merges of neighbours: the best candidate (lowest rank, or
 * highest score; the leftmost on ties) is merged, and the two new neighbour pairs are queued.
 * Stale candidates (a side already merged elsewhere) are recognised when popped, by checking
 * that both sides still end where they ended when queued. O(n log n) in the piece length, so a
 * whole paragraph given to a SentencePiece model as one piece is fine. */
#include "base.h"
#include "tok_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct sym {
    int32_t id;         /* token id, or -1 for a character outside the vocabulary (SPM) */
    int32_t a, b;       /* byte range in the piece */
    int32_t prev, next; /* neighbours in the list, -1 at the ends */
    bool frozen;        /* never merged (llama2.c's byte fallback tokens) */
    bool dead;          /* merged into its left neighbour */
} sym;

typedef struct cand {
    double prio;         /* lower is better: the merge rank, or minus the score */
    int32_t left, right; /* symbol indices */
    int32_t lb, rb;      /* where left and right ended when queued */
    int32_t id;          /* the merged token */
} cand;

typedef struct work {
    sym *syms;
    size_t n_syms, cap_syms;
    cand *heap;
    size_t n_heap, cap_heap;
} work;

static bool cand_before(const cand *x, const cand *y) {
    return x->prio < y->prio || (x->prio == y->prio && x->left < y->left);
}

static ats_status heap_push(work *w, cand c, ats_error *err) {
    if (w->n_heap == w->cap_heap) {
        size_t cap = w->cap_heap ? w->cap_heap * 2 : 64;
        cand *h = realloc(w->heap, cap * sizeof *h);
        if (!h)
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %zu merge candidates", cap);
        w->heap = h;
        w->cap_heap = cap;
    }
    size_t i = w->n_heap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!cand_before(&c, &w->heap[parent]))
            break;
        w->heap[i] = w->heap[parent];
        i = parent;
    }
    w->heap[i] = c;
    return ATS_OK;
}

static cand heap_pop(work *w) {
    cand top = w->heap[0];
    cand last = w->heap[--w->n_heap];
    size_t i = 0, n = w->n_heap;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        const cand *bc = &last;
        if (l < n && cand_before(&w->heap[l], bc))
            best = l, bc = &w->heap[l];
        if (r < n && cand_before(&w->heap[r], bc))
            best = r;
        if (best == i)
            break;
        w->heap[i] = w->heap[best];
        i = best;
    }
    if (n > 0)
        w->heap[i] = last;
    return top;
}

static ats_status sym_push(work *w, int32_t id, size_t a, size_t b, bool frozen, ats_error *err) {
    if (w->n_syms == w->cap_syms) {
        size_t cap = w->cap_syms ? w->cap_syms * 2 : 64;
        sym *s = realloc(w->syms, cap * sizeof *s);
        if (!s)
            return ats_fail(err, ATS_ERR_NOMEM, "out of memory for %zu symbols", cap);
        w->syms = s;
        w->cap_syms = cap;
    }
    int32_t i = (int32_t)w->n_syms++;
    w->syms[i] = (sym){
        .id = id, .a = (int32_t)a, .b = (int32_t)b, .prev = i - 1, .next = -1, .frozen = frozen};
    if (i > 0)
        w->syms[i - 1].next = i;
    return ATS_OK;
}

static void work_free(work *w) {
    free(w->syms);
    free(w->heap);
}

/* Pops candidates until a current one is found; false when the queue is empty. */
static bool pop_valid(work *w, cand *out) {
    while (w->n_heap > 0) {
        cand c = heap_pop(w);
        const sym *l = &w->syms[c.left], *r = &w->syms[c.right];
        if (!l->dead && !r->dead && l->next == c.right && l->b == c.lb && r->b == c.rb) {
            *out = c;
            return true;
        }
    }
    return false;
}

/* Merges right into left and unlinks right. */
static void merge(work *w, const cand *c) {
    sym *l = &w->syms[c->left], *r = &w->syms[c->right];
    l->id = c->id;
    l->b = r->b;
    l->next = r->next;
    r->dead = true;
    if (r->next >= 0)
        w->syms[r->next].prev = c->left;
}

/* ---- by rank -------------------------------------------------------------------------------- */

static ats_status bpe_try_pair(const tok_model *m, work *w, int32_t left, int32_t right,
                               ats_error *err) {
    if (left < 0 || right < 0)
        return ATS_OK;
    const sym *l = &w->syms[left], *r = &w->syms[right];
    int32_t rank, merged;
    if (l->id < 0 || r->id < 0 || !ats_tok_pairmap_get(&m->merges, l->id, r->id, &rank, &merged))
        return ATS_OK;
    return heap_push(
        w, (cand){.prio = rank, .left = left, .right = right, .lb = l->b, .rb = r->b, .id = merged},
        err);
}

/* Hugging Face's BPE::merge_word: one symbol per character (per byte for byte-level), unknown
 * characters as byte tokens (byte_fallback) or as unk (consecutive ones fused with fuse_unk) or
 * dropped, then merges by rank. */
static ats_status bpe_symbols(const tok_pipeline *t, const char *word, size_t len, work *w,
                              ats_error *err) {
    const tok_model *m = &t->model;
    const tok_vocab *v = &t->vocab;
    ats_status st = ATS_OK;
    int32_t unk_a = -1, unk_b = -1; /* a pending unk token's byte range */
    for (size_t i = 0; i < len && st == ATS_OK;) {
        size_t k = m->byte_level ? 1 : ats_tok_utf8_len((unsigned char)word[i]);
        if (k > len - i)
            k = len - i;
        int32_t id;
        bool known = ats_tok_strmap_get(&v->map, word + i, k, &id);
        bool bytes_ok = !known && m->byte_fallback;
        for (size_t j = 0; bytes_ok && j < k; j++)
            bytes_ok = v->byte_id[(unsigned char)word[i + j]] >= 0;
        if ((known || bytes_ok) && unk_a >= 0) {
            st = sym_push(w, m->unk_id, (size_t)unk_a, (size_t)unk_b, false, err);
            unk_a = -1;
        }
        if (st != ATS_OK)
            break;
        if (known) {
            st = sym_push(w, id, i, i + k, false, err);
        } else if (bytes_ok) {
            for (size_t j = 0; j < k && st == ATS_OK; j++)
                st = sym_push(w, v->byte_id[(unsigned char)word[i + j]], i + j, i + j + 1, false,
                              err);
        } else if (m->unk_id >= 0) {
            if (unk_a >= 0 && m->fuse_unk) {
                unk_b = (int32_t)(i + k);
            } else {
                if (unk_a >= 0)
                    st = sym_push(w, m->unk_id, (size_t)unk_a, (size_t)unk_b, false, err);
                unk_a = (int32_t)i;
                unk_b = (int32_t)(i + k);
            }
        } /* else: no unk token, the character is dropped, as Hugging Face does */
        i += k;
    }
    if (st == ATS_OK && unk_a >= 0)
        st = sym_push(w, m->unk_id, (size_t)unk_a, (size_t)unk_b, false, err);
    return st;
}

static ats_status emit_syms(const work *w, tok_spans *out, ats_error *err) {
    ats_status st = ATS_OK;
    for (int32_t i = w->n_syms ? 0 : -1; i >= 0 && st == ATS_OK; i = w->syms[i].next)
        st = ats_tok_spans_push(out, w->syms[i].id, w->syms[i].a, w->syms[i].b, err);
    return st;
}

ats_status ats_tok_bpe_encode(const tok_pipeline *t, const char *word, size_t len, tok_spans *out,
                              ats_error *err) {
    const tok_model *m = &t->model;
    int32_t id;
    if (m->ignore_merges && ats_tok_strmap_get(&t->vocab.map, word, len, &id))
        return ats_tok_spans_push(out, id, 0, (int32_t)len, err);
    work w = {0};
    ats_status st = bpe_symbols(t, word, len, &w, err);
    for (size_t i = 1; i < w.n_syms && st == ATS_OK; i++)
        st = bpe_try_pair(m, &w, (int32_t)i - 1, (int32_t)i, err);
    cand c;
    while (st == ATS_OK && pop_valid(&w, &c)) {
        merge(&w, &c);
        const sym *s = &w.syms[c.left];
        st = bpe_try_pair(m, &w, s->prev, c.left, err);
        if (st == ATS_OK)
            st = bpe_try_pair(m, &w, c.left, s->next, err);
    }
    if (st == ATS_OK)
        st = emit_syms(&w, out, err);
    work_free(&w);
    return st;
}

/* ---- by score ------------------------------------------------------------------------------- */

static ats_status spm_try_pair(const tok_pipeline *t, const char *word, work *w, int32_t left,
                               int32_t right, ats_error *err) {
    if (left < 0 || right < 0)
        return ATS_OK;
    const sym *l = &w->syms[left], *r = &w->syms[right];
    if (l->frozen || r->frozen)
        return ATS_OK;
    int32_t id;
    /* neighbours are adjacent in the piece, so their concatenation is word[l->a, r->b) */
    if (!ats_tok_strmap_get(&t->vocab.map, word + l->a, (size_t)(r->b - l->a), &id))
        return ATS_OK;
    double score = t->vocab.score ? t->vocab.score[id] : 0.0;
    return heap_push(
        w, (cand){.prio = -score, .left = left, .right = right, .lb = l->b, .rb = r->b, .id = id},
        err);
}

/* SentencePiece BPE: characters, merged while the concatenation of two neighbours is a token,
 * the highest-scoring first. Characters that never became tokens come out as byte tokens.
 * In llama2.c mode a character outside the vocabulary turns into byte tokens (id byte + 3)
 * before merging and those never merge, exactly as llama2.c's encode(). */
ats_status ats_tok_spm_encode(const tok_pipeline *t, const char *word, size_t len, tok_spans *out,
                              ats_error *err) {
    const tok_model *m = &t->model;
    const tok_vocab *v = &t->vocab;
    work w = {0};
    ats_status st = ATS_OK;
    for (size_t i = 0; i < len && st == ATS_OK;) {
        size_t k = ats_tok_utf8_len((unsigned char)word[i]);
        if (k > len - i)
            k = len - i;
        int32_t id = -1;
        if (ats_tok_strmap_get(&v->map, word + i, k, &id)) {
            st = sym_push(&w, id, i, i + k, false, err);
        } else if (m->llama2c) {
            for (size_t j = 0; j < k && st == ATS_OK; j++)
                st = sym_push(&w, (unsigned char)word[i + j] + 3, i + j, i + j + 1, true, err);
        } else {
            st = sym_push(&w, -1, i, i + k, false, err);
        }
        i += k;
    }
    for (size_t i = 1; i < w.n_syms && st == ATS_OK; i++)
        st = spm_try_pair(t, word, &w, (int32_t)i - 1, (int32_t)i, err);
    cand c;
    while (st == ATS_OK && pop_valid(&w, &c)) {
        merge(&w, &c);
        const sym *s = &w.syms[c.left];
        st = spm_try_pair(t, word, &w, s->prev, c.left, err);
        if (st == ATS_OK)
            st = spm_try_pair(t, word, &w, c.left, s->next, err);
    }
    for (int32_t i = w.n_syms ? 0 : -1; i >= 0 && st == ATS_OK; i = w.syms[i].next) {
        const sym *s = &w.syms[i];
        if (s->id >= 0) {
            st = ats_tok_spans_push(out, s->id, s->a, s->b, err);
            continue;
        }
        for (int32_t j = s->a; j < s->b && st == ATS_OK; j++) {
            int32_t byte_id = v->byte_id[(unsigned char)word[j]];
            if (byte_id >= 0)
                st = ats_tok_spans_push(out, byte_id, j, j + 1, err);
            else if (m->unk_id >= 0) /* no byte tokens: the whole character is unknown */
                st = ats_tok_spans_push(out, m->unk_id, s->a, s->b, err), j = s->b;
        }
    }
    work_free(&w);
    return st;
}
