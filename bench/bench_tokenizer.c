/* Tokenizer throughput: loads a tokenizer (by default the 50,257-token GPT-2 one from
 * ../shared) and tokenizes about a megabyte of mixed text several times.
 *
 *   bench_tokenizer [HF-folder | file.gguf | tokenizer.bin] [text-file] [repeats]
 *
 * Prints the load time and tokens per second (best of the repeats). */
#include "base.h"
#include "gguf.h"
#include "tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

/* About 1 MiB of prose with numbers, punctuation, accents, CJK and emoji. */
static char *default_text(size_t *len) {
    static const char para[] =
        "Once upon a time, in a small village by the sea, there lived a girl named Lily. Every "
        "morning she walked 2.5 km to the market, where she sold 12 loaves of bread for $3.99 "
        "each. \"Don't forget the café au lait!\" her grandmother would shout. The attention "
        "heads of a transformer look at every earlier token; some follow the previous word, "
        "others the first one. 日本語のテキストも少し。 Emoji too 🤗🎉.\n\n";
    size_t unit = sizeof para - 1, n = (1u << 20) / unit + 1;
    char *s = malloc(n * unit + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * unit, para, unit);
    *len = n * unit;
    s[*len] = '\0';
    return s;
}

int main(int argc, char **argv) {
    const char *source = argc > 1 ? argv[1] : "../shared/fixtures/hf/gpt2-tokenizer";
    int repeats = argc > 3 ? atoi(argv[3]) : 5;
    if (repeats < 1)
        repeats = 1;
    ats_error err = {0};
    ats_tokenizer *tok = NULL;
    ats_gguf *gguf = NULL;
    struct stat st;
    double t0 = ats_clock_ms() / 1e3;
    ats_status s;
    if (stat(source, &st) == 0 && S_ISDIR(st.st_mode)) {
        s = ats_tokenizer_from_hf_folder(source, &tok, &err);
    } else if (ends_with(source, ".gguf")) {
        s = ats_gguf_open(source, &gguf, &err);
        if (s == ATS_OK)
            s = ats_tokenizer_from_gguf(gguf, &tok, &err);
    } else {
        s = ats_tokenizer_from_llama2c(source, argc > 4 ? atoi(argv[4]) : 32000, &tok, &err);
    }
    if (s != ATS_OK) {
        fprintf(stderr,
                "bench_tokenizer: %s\nusage: %s [HF-folder|file.gguf|tokenizer.bin] "
                "[text-file] [repeats] [llama2c-vocab-size]\n",
                err.message, argv[0]);
        ats_gguf_free(gguf);
        return 2;
    }
    double load = ats_clock_ms() / 1e3 - t0;

    size_t len = 0;
    char *text = argc > 2 ? read_all(argv[2], &len) : default_text(&len);
    if (!text || ats_utf8_first_invalid(text, len) >= 0) {
        fprintf(stderr, "bench_tokenizer: %s is unreadable or not UTF-8\n",
                argc > 2 ? argv[2] : "the built-in text");
        free(text);
        ats_tokenizer_free(tok);
        ats_gguf_free(gguf);
        return 2;
    }

    double best = 1e30;
    int count = 0;
    for (int r = 0; r < repeats; r++) {
        ats_tokens *tokens = ats_tokens_new();
        t0 = ats_clock_ms() / 1e3;
        s = ats_tokenizer_encode(tok, text, len, true, tokens, &err);
        double dt = ats_clock_ms() / 1e3 - t0;
        count = ats_tokens_count(tokens);
        ats_tokens_free(tokens);
        if (s != ATS_OK) {
            fprintf(stderr, "bench_tokenizer: %s\n", err.message);
            break;
        }
        if (dt < best)
            best = dt;
    }
    if (s == ATS_OK) {
        printf("tokenizer   %s (%s, %d tokens in the vocabulary)\n", source, tok->kind,
               tok->vocab_size);
        printf("load        %.3f s\n", load);
        printf("text        %zu bytes -> %d tokens\n", len, count);
        printf("encode      %.4f s (best of %d)\n", best, repeats);
        printf("throughput  %.0f tokens/s, %.1f MB/s\n", count / best, (double)len / best / 1e6);
    }
    free(text);
    ats_tokenizer_free(tok);
    ats_gguf_free(gguf);
    return s == ATS_OK ? 0 : 1;
}
