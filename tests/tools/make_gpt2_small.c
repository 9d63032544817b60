/* Writes a GPT-2-small-shaped Hugging Face folder with random weights, for the large-model smoke
 * test and for timing:
 *
 *   make_gpt2_small DIR [TOKENIZER_DIR]
 *
 * DIR (created if needed) receives config.json and model.safetensors: 12 layers, 12 heads,
 * d_model 768, d_ff 3072, 1024 positions, 50,257 tokens, about 124 million float32 weights
 * (~500 MB) drawn from N(0, 0.02) as GPT-2's initialisation does, norms at weight 1, bias 0.
 * With TOKENIZER_DIR, its vocab.json and merges.txt are linked into DIR. Deterministic: the same
 * bytes every run.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    N_LAYER = 12,
    N_HEAD = 12,
    D_MODEL = 768,
    D_FF = 4 * D_MODEL,
    N_CTX = 1024,
    N_VOCAB = 50257,
    CHUNK = 1 << 16,
};

typedef enum fill { FILL_RANDOM, FILL_ONES, FILL_ZEROS } fill;

typedef struct tensor {
    char name[64];
    long long rows, cols; /* cols 0: one-dimensional */
    fill how;
} tensor;

static tensor tensors[4 + 12 * N_LAYER];
static int n_tensors;

static void add(const char *name, long long rows, long long cols, fill how) {
    tensor *t = &tensors[n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rows = rows;
    t->cols = cols;
    t->how = how;
}

static long long count(const tensor *t) {
    return t->rows * (t->cols ? t->cols : 1);
}

static void describe_model(void) {
    char name[64];
    add("transformer.wte.weight", N_VOCAB, D_MODEL, FILL_RANDOM);
    add("transformer.wpe.weight", N_CTX, D_MODEL, FILL_RANDOM);
    for (int l = 0; l < N_LAYER; l++) {
        static const struct {
            const char *suffix;
            long long rows, cols;
            fill how;
        } parts[] = {
            {"ln_1.weight", D_MODEL, 0, FILL_ONES},
            {"ln_1.bias", D_MODEL, 0, FILL_ZEROS},
            {"attn.c_attn.weight", D_MODEL, 3 * D_MODEL, FILL_RANDOM},
            {"attn.c_attn.bias", 3 * D_MODEL, 0, FILL_ZEROS},
            {"attn.c_proj.weight", D_MODEL, D_MODEL, FILL_RANDOM},
            {"attn.c_proj.bias", D_MODEL, 0, FILL_ZEROS},
            {"ln_2.weight", D_MODEL, 0, FILL_ONES},
            {"ln_2.bias", D_MODEL, 0, FILL_ZEROS},
            {"mlp.c_fc.weight", D_MODEL, D_FF, FILL_RANDOM},
            {"mlp.c_fc.bias", D_FF, 0, FILL_ZEROS},
            {"mlp.c_proj.weight", D_FF, D_MODEL, FILL_RANDOM},
            {"mlp.c_proj.bias", D_MODEL, 0, FILL_ZEROS},
        };
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
            snprintf(name, sizeof name, "transformer.h.%d.%s", l, parts[i].suffix);
            add(name, parts[i].rows, parts[i].cols, parts[i].how);
        }
    }
    add("transformer.ln_f.weight", D_MODEL, 0, FILL_ONES);
    add("transformer.ln_f.bias", D_MODEL, 0, FILL_ZEROS);
}

/* xorshift64* and Box-Muller: fast, deterministic normal numbers. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double uniform(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((double)((rng_state * 0x2545f4914f6cdd1dull) >> 11) + 0.5) / 9007199254740992.0;
}

static void fill_chunk(float *out, long long n, fill how) {
    for (long long i = 0; i < n; i += 2) {
        float a = 0.0f, b = 0.0f;
        if (how == FILL_RANDOM) {
            double r = sqrt(-2.0 * log(uniform())), th = 2.0 * M_PI * uniform();
            a = (float)(0.02 * r * cos(th));
            b = (float)(0.02 * r * sin(th));
        } else if (how == FILL_ONES) {
            a = b = 1.0f;
        }
        out[i] = a;
        if (i + 1 < n)
            out[i + 1] = b;
    }
}

static int write_header(FILE *f) {
    size_t cap = 64 * 1024, len = 0;
    char *json = malloc(cap);
    if (!json)
        return -1;
    long long offset = 0;
    len += (size_t)snprintf(json + len, cap - len, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < n_tensors; i++) {
        const tensor *t = &tensors[i];
        long long bytes = 4 * count(t);
        if (t->cols)
            len += (size_t)snprintf(json + len, cap - len,
                                    ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld,%lld],"
                                    "\"data_offsets\":[%lld,%lld]}",
                                    t->name, t->rows, t->cols, offset, offset + bytes);
        else
            len += (size_t)snprintf(json + len, cap - len,
                                    ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%lld],"
                                    "\"data_offsets\":[%lld,%lld]}",
                                    t->name, t->rows, offset, offset + bytes);
        offset += bytes;
    }
    len += (size_t)snprintf(json + len, cap - len, "}");
    while (len % 8 != 0) /* keep the data 8-byte aligned, as the Python writer does */
        json[len++] = ' ';
    unsigned char n[8];
    for (int i = 0; i < 8; i++)
        n[i] = (unsigned char)((uint64_t)len >> (8 * i));
    int ok = fwrite(n, 1, 8, f) == 8 && fwrite(json, 1, len, f) == len;
    free(json);
    return ok ? 0 : -1;
}

static int write_weights(const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    float *buf = malloc(CHUNK * sizeof *buf);
    int rc = buf && write_header(f) == 0 ? 0 : -1;
    for (int i = 0; i < n_tensors && rc == 0; i++) {
        for (long long done = 0; done < count(&tensors[i]) && rc == 0; done += CHUNK) {
            long long n = count(&tensors[i]) - done < CHUNK ? count(&tensors[i]) - done : CHUNK;
            fill_chunk(buf, n, tensors[i].how);
            if (fwrite(buf, sizeof *buf, (size_t)n, f) != (size_t)n)
                rc = -1;
        }
    }
    free(buf);
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

static int write_config(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "{\n  \"model_type\": \"gpt2\",\n  \"architectures\": [\"GPT2LMHeadModel\"],\n"
            "  \"activation_function\": \"gelu_new\",\n  \"n_embd\": %d,\n  \"n_layer\": %d,\n"
            "  \"n_head\": %d,\n  \"n_inner\": null,\n  \"n_positions\": %d,\n  \"n_ctx\": %d,\n"
            "  \"vocab_size\": %d,\n  \"layer_norm_epsilon\": 1e-05,\n"
            "  \"tie_word_embeddings\": true\n}\n",
            D_MODEL, N_LAYER, N_HEAD, N_CTX, N_CTX, N_VOCAB);
    return fclose(f) == 0 ? 0 : -1;
}

static int link_tokenizer(const char *dir, const char *from) {
    static const char *const files[] = {"vocab.json", "merges.txt"};
    for (size_t i = 0; i < 2; i++) {
        char src[4096], dst[4096];
        snprintf(src, sizeof src, "%s/%s", from, files[i]);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        unlink(dst);
        if (symlink(src, dst) != 0) {
            fprintf(stderr, "make_gpt2_small: %s: %s\n", dst, strerror(errno));
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: make_gpt2_small DIR [TOKENIZER_DIR]\n");
        return 2;
    }
    const char *dir = argv[1];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "make_gpt2_small: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    describe_model();
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (write_config(path) != 0) {
        fprintf(stderr, "make_gpt2_small: cannot write %s\n", path);
        return 1;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (write_weights(path) != 0) {
        fprintf(stderr, "make_gpt2_small: cannot write %s\n", path);
        return 1;
    }
    if (argc == 3 && link_tokenizer(dir, argv[2]) != 0)
        return 1;
    return 0;
}
