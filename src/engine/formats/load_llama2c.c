/* llama2.c checkpoints (the legacy format of run.c): no magic number, a header of seven int32
 *
 *   dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
 *
 * (vocab_size negative: the classifier is stored separately instead of shared with the token
 * embedding), then float32 arrays, each stored [out][in]:
 *
 *   token_embedding (vocab, dim)          rms_att (L, dim)
 *   wq (L, H * hs, dim)                   wk, wv (L, KV * hs, dim)
 *   wo (L, dim, H * hs)                   rms_ffn (L, dim)
 *   w1 (L, hidden, dim)  [gate]           w2 (L, dim, hidden)  [down]
 *   w3 (L, hidden, dim)  [up]             rms_final (dim)
 *   freq_cis_real, freq_cis_imag (seq_len, hs / 2) each: legacy RoPE tables, skipped
 *   wcls (vocab, dim) only when not shared
 *
 * with hs = dim / n_heads. Without a magic number the only proof that a file is a checkpoint is
 * that the header is sane and the file is exactly as long as the header says (with or without the
 * freq_cis tables). Q and K rows are in the interleaved RoPE order.
 */
#include "base.h"
#include "loaders.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { HEADER_INTS = 7, PATH_SIZE = 4096 };

typedef struct l2c_header {
    int dim, hidden, n_layers, n_heads, n_kv_heads, vocab, seq_len;
    bool shared_classifier;
} l2c_header;

/* Header values no real checkpoint exceeds; they keep every size product below 2^63. */
static bool header_sane(const l2c_header *h) {
    return h->dim > 0 && h->dim <= (1 << 16) && h->hidden > 0 && h->hidden <= (1 << 18) &&
           h->n_layers > 0 && h->n_layers <= 1024 && h->n_heads > 0 && h->n_heads <= h->dim &&
           h->dim % h->n_heads == 0 && (h->dim / h->n_heads) % 2 == 0 && h->n_kv_heads > 0 &&
           h->n_kv_heads <= h->n_heads && h->n_heads % h->n_kv_heads == 0 && h->vocab > 0 &&
           h->vocab <= (1 << 24) && h->seq_len > 0 && h->seq_len <= (1 << 24);
}

/* Float counts of the parts of the file. */
typedef struct l2c_layout {
    uint64_t weights;    /* embedding through rms_final */
    uint64_t freq_cis;   /* both legacy RoPE tables */
    uint64_t classifier; /* 0 when shared */
} l2c_layout;

static l2c_layout layout_of(const l2c_header *h) {
    uint64_t D = (uint64_t)h->dim, F = (uint64_t)h->hidden, L = (uint64_t)h->n_layers;
    uint64_t hs = D / (uint64_t)h->n_heads, dkv = hs * (uint64_t)h->n_kv_heads;
    uint64_t V = (uint64_t)h->vocab;
    uint64_t per_layer = D + D * D + 2 * dkv * D + D * D + D + 3 * F * D;
    return (l2c_layout){.weights = V * D + L * per_layer + D,
                        .freq_cis = (uint64_t)h->seq_len * hs,
                        .classifier = h->shared_classifier ? 0 : V * D};
}

static ats_status read_header(const ats_mapped_file *f, l2c_header *h, bool *with_freq_cis,
                              ats_error *err) {
    ats_reader r = ats_reader_make(f->data, f->size);
    int32_t v[HEADER_INTS];
    for (int i = 0; i < HEADER_INTS; i++)
        if (!ats_reader_i32(&r, &v[i]))
            return ats_fail(err, ATS_ERR_FORMAT,
                            "%s: not a model file (too short for a llama2.c header: %zu bytes)",
                            f->path, f->size);
    /* a negative vocab_size flags a separate classifier */
    int vocab = v[5] == INT32_MIN ? 0 : abs(v[5]);
    *h = (l2c_header){.dim = v[0],
                      .hidden = v[1],
                      .n_layers = v[2],
                      .n_heads = v[3],
                      .n_kv_heads = v[4],
                      .vocab = vocab,
                      .seq_len = v[6],
                      .shared_classifier = v[5] > 0};
    if (!header_sane(h))
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: not a recognised model file (not a folder, not GGUF, and its first "
                        "bytes are no sane llama2.c header)",
                        f->path);
    l2c_layout lay = layout_of(h);
    uint64_t base = 4 * (HEADER_INTS + lay.weights + lay.classifier);
    uint64_t with_tables = base + 4 * lay.freq_cis;
    if (f->size != with_tables && f->size != base)
        return ats_fail(err, ATS_ERR_FORMAT,
                        "%s: llama2.c header (dim %d, hidden %d, layers %d, heads %d, kv heads %d, "
                        "vocab %d, seq_len %d) needs %llu bytes (%llu without the freq_cis "
                        "tables), the file has %zu",
                        f->path, h->dim, h->hidden, h->n_layers, h->n_heads, h->n_kv_heads,
                        h->vocab, h->seq_len, (unsigned long long)with_tables,
                        (unsigned long long)base, f->size);
    *with_freq_cis = f->size == with_tables;
    return ATS_OK;
}

/* ---- weights ------------------------------------------------------------------------------ */

/* A cursor handing out consecutive float arrays of the mapping (already sized exactly). */
typedef struct cursor {
    const float *p;
} cursor;

static const float *take(cursor *c, uint64_t n) {
    const float *p = c->p;
    c->p += n;
    return p;
}

static ats_linear linear_at(const float *w, int n_out, int n_in) {
    return (ats_linear){.w = w, .n_out = n_out, .n_in = n_in, .ld = n_in, .in_major = false};
}

static void map_weights(ats_model *m, const l2c_header *h, const uint8_t *data,
                        bool with_freq_cis) {
    const ats_model_config *c = &m->cfg;
    size_t D = (size_t)h->dim, F = (size_t)h->hidden, L = (size_t)h->n_layers;
    size_t dq = D, dkv = (size_t)c->d_head * (size_t)h->n_kv_heads;
    /* The header is 28 bytes and mappings are page-aligned, so the floats are aligned. */
    cursor cur = {(const float *)(const void *)(data + 4 * HEADER_INTS)};
    m->tok_embed = linear_at(take(&cur, (uint64_t)h->vocab * D), h->vocab, (int)D);
    const float *rms_att = take(&cur, L * D);
    const float *wq = take(&cur, L * dq * D);
    const float *wk = take(&cur, L * dkv * D);
    const float *wv = take(&cur, L * dkv * D);
    const float *wo = take(&cur, L * D * dq);
    const float *rms_ffn = take(&cur, L * D);
    const float *w1 = take(&cur, L * F * D);
    const float *w2 = take(&cur, L * D * F);
    const float *w3 = take(&cur, L * F * D);
    m->final_norm = (ats_norm){.w = take(&cur, D)};
    if (with_freq_cis)
        take(&cur, (uint64_t)h->seq_len * (size_t)c->d_head);
    const float *wcls = h->shared_classifier ? m->tok_embed.w : take(&cur, (uint64_t)h->vocab * D);
    for (size_t l = 0; l < L; l++) {
        ats_layer *Ly = &m->layers[l];
        Ly->attn_norm = (ats_norm){.w = rms_att + l * D};
        Ly->wq = linear_at(wq + l * dq * D, (int)dq, (int)D);
        Ly->wk = linear_at(wk + l * dkv * D, (int)dkv, (int)D);
        Ly->wv = linear_at(wv + l * dkv * D, (int)dkv, (int)D);
        Ly->wo = linear_at(wo + l * D * dq, (int)D, (int)dq);
        Ly->mlp_norm = (ats_norm){.w = rms_ffn + l * D};
        Ly->gate = linear_at(w1 + l * F * D, (int)F, (int)D);
        Ly->down = linear_at(w2 + l * D * F, (int)D, (int)F);
        Ly->up = linear_at(w3 + l * F * D, (int)F, (int)D);
    }
    m->lm_head = linear_at(wcls, h->vocab, (int)D);

    /* for info: the arrays as tensors, all float32 and used in place */
    const uint64_t layer_tensor[9] = {D, dq * D, dkv * D, dkv * D, D * dq, D, F * D, D * F, F * D};
    ats_model_note_tensor(m, ATS_WTYPE_F32, 4 * (uint64_t)h->vocab * D, true);
    for (size_t l = 0; l < L; l++)
        for (int t = 0; t < 9; t++)
            ats_model_note_tensor(m, ATS_WTYPE_F32, 4 * layer_tensor[t], true);
    ats_model_note_tensor(m, ATS_WTYPE_F32, 4 * D, true);
    if (!h->shared_classifier)
        ats_model_note_tensor(m, ATS_WTYPE_F32, 4 * (uint64_t)h->vocab * D, true);
}

/* ---- tokenizer ---------------------------------------------------------------------------- */

static bool is_regular(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* tokenizer.bin beside the model, else the first (by name) tok*.bin that is not the model. */
static bool find_tokenizer(const char *model_path, char *out) {
    const char *slash = strrchr(model_path, '/');
    char dir[PATH_SIZE];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - model_path) : 1,
             slash ? model_path : ".");
    if (slash == model_path)
        snprintf(dir, sizeof dir, "/");
    const char *model_name = slash ? slash + 1 : model_path;
    if (snprintf(out, PATH_SIZE, "%s/tokenizer.bin", dir) < PATH_SIZE && is_regular(out) &&
        strcmp(model_name, "tokenizer.bin") != 0)
        return true;
    DIR *d = opendir(dir);
    if (!d)
        return false;
    char best[256] = "";
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 7 || n >= sizeof best || strncmp(e->d_name, "tok", 3) != 0 ||
            strcmp(e->d_name + n - 4, ".bin") != 0 || strcmp(e->d_name, model_name) == 0)
            continue;
        if ((!best[0] || strcmp(e->d_name, best) < 0)) {
            char candidate[PATH_SIZE];
            if (snprintf(candidate, sizeof candidate, "%s/%s", dir, e->d_name) < PATH_SIZE &&
                is_regular(candidate))
                snprintf(best, sizeof best, "%s", e->d_name);
        }
    }
    closedir(d);
    return best[0] && snprintf(out, PATH_SIZE, "%s/%s", dir, best) < PATH_SIZE;
}

static ats_status attach_tokenizer(ats_model *m, const char *model_path, const char *given,
                                   ats_error *err) {
    char found[PATH_SIZE];
    const char *path = given;
    if (!path && find_tokenizer(model_path, found))
        path = found;
    if (!path) {
        snprintf(m->info.tokenizer_kind, sizeof m->info.tokenizer_kind,
                 "none (no tokenizer.bin beside the model; give --tokenizer FILE)");
        return ATS_OK;
    }
    ats_status s = ats_tokenizer_from_llama2c(path, m->cfg.vocab_size, &m->tokenizer, err);
    if (s != ATS_OK)
        return s;
    snprintf(m->info.tokenizer_kind, sizeof m->info.tokenizer_kind, "%s", m->tokenizer->kind);
    struct stat st;
    if (stat(path, &st) == 0)
        m->info.file_size += (uint64_t)st.st_size;
    return ATS_OK;
}

/* ---- the file ----------------------------------------------------------------------------- */

static ats_status load(ats_model *m, const char *path, const ats_load_opts *opts, ats_error *err) {
    ats_mapped_file *f;
    ats_status s = ats_mapped_file_open(path, &f, err);
    if (s != ATS_OK)
        return s;
    if ((s = ats_model_keep_mapping(m, f, err)) != ATS_OK)
        return s;
    l2c_header h = {0};
    bool with_freq_cis = false;
    if ((s = read_header(f, &h, &with_freq_cis, err)) != ATS_OK)
        return s;
    m->cfg = (ats_model_config){
        .arch = ATS_ARCH_LLAMA,
        .n_layer = h.n_layers,
        .n_head = h.n_heads,
        .n_kv_head = h.n_kv_heads,
        .d_model = h.dim,
        .d_head = h.dim / h.n_heads,
        .d_ff = h.hidden,
        .vocab_size = h.vocab,
        .context = h.seq_len,
        .norm = ATS_NORM_RMSNORM,
        .pre_norm = true,
        .final_norm = true,
        .norm_eps = 1e-5f,
        .positions = ATS_POS_ROPE_INTERLEAVED,
        .rope_theta = 10000.0f,
        .rope_scaling = {.kind = ATS_ROPE_SCALING_NONE, .factor = 1.0f},
        .activation = ATS_ACT_SWIGLU,
        .causal = true,
        .attn_scale = 1.0f / sqrtf((float)(h.dim / h.n_heads)),
    };
    const char *base = strrchr(path, '/');
    snprintf(m->info.name, sizeof m->info.name, "%s", base && base[1] ? base + 1 : path);
    snprintf(m->info.path, sizeof m->info.path, "%s", path);
    snprintf(m->info.format, sizeof m->info.format, "llama2.c");
    snprintf(m->info.dtype, sizeof m->info.dtype, "F32");
    m->info.file_size = f->size;
    m->info.has_weights = true;
    m->layers = ats_model_alloc(m, (size_t)h.n_layers * sizeof(ats_layer), err);
    if (!m->layers)
        return ATS_ERR_NOMEM;
    map_weights(m, &h, f->data, with_freq_cis);
    return attach_tokenizer(m, path, opts ? opts->tokenizer_path : NULL, err);
}

ats_status ats_load_llama2c(const char *path, const ats_load_opts *opts, ats_model **out,
                            ats_error *err) {
    *out = NULL;
    ats_model *m = ats_model_new();
    if (!m)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    ats_status s = load(m, path, opts, err);
    if (s != ATS_OK) {
        ats_model_free(m);
        return s;
    }
    *out = m;
    return ATS_OK;
}
