/* Broken tokenizer files: each gives an error naming the file and what is wrong, never a crash
 * (this also runs under AddressSanitizer). */
#include "test_support.h"

#include "gguf.h"
#include "tokenizer.h"

#include <stdlib.h>
#include <string.h>

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void write_text(const char *dir, const char *name, const char *text) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, text, strlen(text));
}

/* The error names `name` and contains `what`. */
static void expect_error(ats_status st, const ats_error *err, ats_status want, const char *name,
                         const char *what) {
    if (st == ATS_OK)
        fail_msg("expected an error about %s (%s), got success", name, what);
    if (st != want || !strstr(err->message, name) || !strstr(err->message, what))
        fail_msg("expected %s error naming '%s' with '%s', got %s: %s", ats_status_name(want), name,
                 what, ats_status_name(st), err->message);
}

/* ---- Hugging Face folders ------------------------------------------------------------------- */

static void expect_folder_error(const char *dir, const char *file, const char *content,
                                ats_status want, const char *what) {
    write_text(dir, file, content);
    ats_tokenizer *tok = (ats_tokenizer *)1;
    ats_error err = {0};
    ats_status st = ats_tokenizer_from_hf_folder(dir, &tok, &err);
    assert_null(tok);
    expect_error(st, &err, want, file, what);
}

static void test_tokenizer_bad_tokenizer_json(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    const char *f = "tokenizer.json";
    expect_folder_error(dir, f, "{not json", ATS_ERR_FORMAT, "not valid JSON");
    expect_folder_error(dir, f, "", ATS_ERR_FORMAT, "not valid JSON");
    expect_folder_error(dir, f, "[1, 2]", ATS_ERR_FORMAT, "not an object");
    expect_folder_error(dir, f, "{}", ATS_ERR_FORMAT, "no \"model\"");
    expect_folder_error(dir, f, "{\"model\": {\"type\": \"BPE\", \"vocab\": [1], \"merges\": []}}",
                        ATS_ERR_FORMAT, "vocabulary is not");
    expect_folder_error(dir, f, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}}}",
                        ATS_ERR_FORMAT, "invalid id");
    expect_folder_error(dir, f, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 99999999999}}}",
                        ATS_ERR_FORMAT, "invalid id");
    expect_folder_error(dir, f,
                        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [5]}}",
                        ATS_ERR_FORMAT, "merge 0");
    expect_folder_error(
        dir, f, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": \"x\"}}",
        ATS_ERR_FORMAT, "merges is not an array");
    expect_folder_error(dir, f,
                        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [],"
                        " \"unk_token\": \"<unk>\"}}",
                        ATS_ERR_FORMAT, "unk_token");
    expect_folder_error(dir, f, "{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}",
                        ATS_ERR_FORMAT, "Unigram");
    expect_folder_error(dir, f, "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", \"x\"]]}}",
                        ATS_ERR_FORMAT, "not [text, score]");
    expect_folder_error(
        dir, f, "{\"model\": {\"type\": \"Unigram\", \"unk_id\": 5, \"vocab\": [[\"a\", -1]]}}",
        ATS_ERR_FORMAT, "unk_id");
    expect_folder_error(dir, f,
                        "{\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": "
                        "\"!!!\"}, \"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", -1]]}}",
                        ATS_ERR_FORMAT, "base64");
    /* a trie of 0xFFFF bytes in a map of 5 */
    expect_folder_error(
        dir, f,
        "{\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": "
        "\"//8AAAE=\"}, \"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", -1]]}}",
        ATS_ERR_FORMAT, "character map");
    expect_folder_error(dir, f,
                        "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}},"
                        " \"pre_tokenizer\": {\"type\": \"Frobnicate\"}}",
                        ATS_ERR_UNSUPPORTED, "Frobnicate");
    expect_folder_error(
        dir, f,
        "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}},"
        " \"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"((\"},"
        " \"behavior\": \"Isolated\"}}",
        ATS_ERR_FORMAT, "does not compile");
    expect_folder_error(dir, f,
                        "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}},"
                        " \"normalizer\": {\"type\": \"Replace\", \"content\": \"x\"}}",
                        ATS_ERR_FORMAT, "pattern");
    expect_folder_error(dir, f,
                        "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}},"
                        " \"added_tokens\": [{\"content\": \"[X]\"}]}",
                        ATS_ERR_FORMAT, "added token 0");
    expect_folder_error(dir, f,
                        "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}},"
                        " \"post_processor\": {\"type\": \"BertProcessing\","
                        " \"cls\": [\"[CLS]\", 7], \"sep\": [\"[SEP]\", 8]}}",
                        ATS_ERR_FORMAT, "outside the vocabulary");
    ats_rmtree(dir);
    free(dir);
}

/* Every real tokenizer.json cut short at several points is malformed JSON, reported as such. */
/* ---- spiece.model ---------------------------------------------------------------------------- */

typedef struct pb {
    unsigned char b[4096];
    size_t n;
} pb;

static void pb_varint(pb *p, uint64_t v) {
    do {
        p->b[p->n++] = (unsigned char)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
        v >>= 7;
    } while (v);
}

static void pb_bytes(pb *p, int field, const void *data, size_t n) {
    pb_varint(p, (uint64_t)field << 3 | 2);
    pb_varint(p, n);
    memcpy(p->b + p->n, data, n);
    p->n += n;
}

static void pb_piece(pb *p, const char *text, float score, int type) {
    pb m = {0};
    pb_bytes(&m, 1, text, strlen(text));
    pb_varint(&m, 2 << 3 | 5);
    memcpy(m.b + m.n, &score, 4);
    m.n += 4;
    pb_varint(&m, 3 << 3 | 0);
    pb_varint(&m, (uint64_t)type);
    pb_bytes(p, 1, m.b, m.n);
}

static void expect_spiece_error(const char *dir, const pb *p, ats_status want, const char *what) {
    char path[4200];
    snprintf(path, sizeof path, "%s/spiece.model", dir);
    write_file(path, p->b, p->n);
    ats_tokenizer *tok = (ats_tokenizer *)1;
    ats_error err = {0};
    ats_status st = ats_tokenizer_from_spiece(path, 0, 0, &tok, &err);
    assert_null(tok);
    expect_error(st, &err, want, "spiece.model", what);
}

static void test_tokenizer_bad_spiece(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    pb p = {0};
    expect_spiece_error(dir, &p, ATS_ERR_FORMAT, "no pieces");
    memset(p.b, 0xFF, 12);
    p.n = 12;
    expect_spiece_error(dir, &p, ATS_ERR_FORMAT, "malformed");
    p = (pb){.b = {0x0A, 0x30, 0x0A, 0x01}, .n = 4}; /* a piece longer than the file */
    expect_spiece_error(dir, &p, ATS_ERR_FORMAT, "malformed");
    p = (pb){0};
    pb_piece(&p, "a", -1.0f, 1);
    expect_spiece_error(dir, &p, ATS_ERR_FORMAT, "no unknown piece");
    pb_piece(&p, "a", -2.0f, 1);
    pb_piece(&p, "<unk>", 0.0f, 2);
    expect_spiece_error(dir, &p, ATS_ERR_FORMAT, "defined twice");
    p = (pb){0};
    pb_piece(&p, "<unk>", 0.0f, 2);
    pb_piece(&p, "", -1.0f, 1);
    expect_spiece_error(dir, &p, ATS_ERR_FORMAT, "empty");
    p = (pb){0};
    pb_piece(&p, "<unk>", 0.0f, 2);
    pb_piece(&p, "<0x41>", 0.0f, 6);
    pb trainer = {0};
    pb_varint(&trainer, 35 << 3 | 0);
    pb_varint(&trainer, 1);
    pb_bytes(&p, 2, trainer.b, trainer.n);
    expect_spiece_error(dir, &p, ATS_ERR_FORMAT, "<0x00>"); /* byte fallback without every byte */
    p = (pb){0};
    pb_piece(&p, "<unk>", 0.0f, 2);
    trainer = (pb){0};
    pb_varint(&trainer, 3 << 3 | 0);
    pb_varint(&trainer, 2); /* BPE */
    pb_bytes(&p, 2, trainer.b, trainer.n);
    expect_spiece_error(dir, &p, ATS_ERR_UNSUPPORTED, "Unigram");
    p = (pb){0};
    pb_piece(&p, "<unk>", 0.0f, 2);
    pb norm = {0};
    const unsigned char map[] = {0xFF, 0xFF, 0, 0, 1}; /* a trie larger than the map */
    pb_bytes(&norm, 2, map, sizeof map);
    pb_bytes(&p, 3, norm.b, norm.n);
    expect_spiece_error(dir, &p, ATS_ERR_FORMAT, "character map");
    ats_rmtree(dir);
    free(dir);
}

/* The real spiece.model cut at many lengths: an error or a working tokenizer, never a crash. */
static void test_tokenizer_truncated_spiece(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(src, "fixtures/hf/t5-tiny-random/spiece.model");
    size_t len;
    char *data = ats_read_file(src, &len);
    assert_non_null(data);
    char *dir = ats_make_temp_dir(), path[4200];
    snprintf(path, sizeof path, "%s/spiece.model", dir);
    for (size_t cut = 0; cut < len; cut += cut < 64 ? 1 : 997) {
        write_file(path, data, cut);
        ats_tokenizer *tok = NULL;
        ats_error err = {0};
        if (ats_tokenizer_from_spiece(path, 0, 0, &tok, &err) == ATS_OK) {
            ats_tokens *toks = ats_tokens_new();
            ats_tokenizer_encode(tok, "Hello, w\xC3\xB6rld  \xE6\x97\xA5!", 18, true, toks, &err);
            ats_tokens_free(toks);
            ats_tokenizer_free(tok);
        } else {
            assert_non_null(strstr(err.message, "spiece.model"));
        }
    }
    ats_rmtree(dir);
    free(dir);
    free(data);
}

static void test_tokenizer_truncated_tokenizer_json(void **state) {
    (void)state;
    static const char *const fixtures[] = {"fixtures/hf/stories260K-llama/tokenizer.json",
                                           "fixtures/hf/tiny-random-bert/tokenizer.json",
                                           "fixtures/hf/tiny-random-gpt2/tokenizer.json"};
    for (size_t i = 0; i < 3; i++) { /* before anything is allocated: skipping jumps out */
        ATS_REQUIRE_SHARED(present, fixtures[i]);
        (void)present;
    }
    char *dir = ats_make_temp_dir();
    for (size_t i = 0; i < 3; i++) {
        char src[4096];
        snprintf(src, sizeof src, "%s", ats_test_shared(fixtures[i]));
        size_t len;
        char *text = ats_read_file(src, &len);
        const size_t cuts[] = {1, 17, len / 3, len / 2, len - 2};
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/tokenizer.json", dir);
            write_file(path, text, cuts[c]);
            ats_tokenizer *tok = NULL;
            ats_error err = {0};
            ats_status st = ats_tokenizer_from_hf_folder(dir, &tok, &err);
            assert_null(tok);
            expect_error(st, &err, ATS_ERR_FORMAT, "tokenizer.json", "not valid JSON");
        }
        free(text);
    }
    ats_rmtree(dir);
    free(dir);
}

static void test_tokenizer_bad_vocab_files(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    ats_tokenizer *tok = NULL;
    ats_error err = {0};
    expect_error(ats_tokenizer_from_hf_folder(dir, &tok, &err), &err, ATS_ERR_FORMAT, dir,
                 "no tokenizer.json");

    /* vocab.json + merges.txt */
    write_text(dir, "merges.txt", "#version: 0.2\na b\n");
    expect_folder_error(dir, "vocab.json", "{\"a\": 0, \"b\":", ATS_ERR_FORMAT, "not valid JSON");
    expect_folder_error(dir, "vocab.json", "{\"a\": \"zero\"}", ATS_ERR_FORMAT, "invalid id");
    write_text(dir, "vocab.json", "{\"a\": 0, \"b\": 1, \"ab\": 2}");
    expect_folder_error(dir, "merges.txt", "#version: 0.2\na b\na b c\n", ATS_ERR_FORMAT, "line 3");
    expect_folder_error(dir, "merges.txt", "ab\n", ATS_ERR_FORMAT, "line 1");
    write_text(dir, "merges.txt", "a b\n");
    assert_int_equal(ats_tokenizer_from_hf_folder(dir, &tok, &err), ATS_OK);
    ats_tokens *toks = ats_tokens_new();
    assert_int_equal(ats_tokenizer_encode(tok, "ab", 2, true, toks, &err), ATS_OK);
    assert_int_equal(ats_tokens_count(toks), 1);
    assert_int_equal(ats_tokens_get(toks, 0)->id, 2);
    ats_tokens_free(toks);
    ats_tokenizer_free(tok);
    ats_rmtree(dir);
    free(dir);

    /* vocab.txt */
    dir = ats_make_temp_dir();
    expect_folder_error(dir, "vocab.txt", "", ATS_ERR_FORMAT, "empty");
    write_text(dir, "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n");
    expect_folder_error(dir, "tokenizer_config.json", "{\"do_lower_case\": tru", ATS_ERR_FORMAT,
                        "not valid JSON");
    write_text(dir, "tokenizer_config.json", "{\"do_lower_case\": true}");
    assert_int_equal(ats_tokenizer_from_hf_folder(dir, &tok, &err), ATS_OK);
    toks = ats_tokens_new();
    assert_int_equal(ats_tokenizer_encode(tok, "Hello you", 9, true, toks, &err), ATS_OK);
    const int32_t want[] = {2, 4, 1, 3}; /* [CLS] hello [UNK] [SEP] */
    assert_int_equal(ats_tokens_count(toks), 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(ats_tokens_get(toks, i)->id, want[i]);
    ats_tokens_free(toks);
    ats_tokenizer_free(tok);
    ats_rmtree(dir);
    free(dir);
}

/* ---- llama2.c tokenizer.bin ------------------------------------------------------------------ */

static void expect_llama2c_error(const char *path, int vocab_size, ats_status want,
                                 const char *what) {
    ats_tokenizer *tok = (ats_tokenizer *)1;
    ats_error err = {0};
    ats_status st = ats_tokenizer_from_llama2c(path, vocab_size, &tok, &err);
    assert_null(tok);
    expect_error(st, &err, want, path, what);
}

static void test_tokenizer_bad_tokenizer_bin(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizer.bin", dir);
    expect_llama2c_error(path, 512, ATS_ERR_IO, "cannot open");

    /* the real tok512.bin cut short (when ../shared is there; this test owns a folder, so it
     * does not skip as a whole) */
    const char *src = ats_test_shared("fixtures/llama2c/tok512.bin");
    if (src) {
        size_t len;
        char *bin = ats_read_file(src, &len);
        const size_t cuts[] = {0, 3, 4, 9, 13, len / 2, len - 1};
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            write_file(path, bin, cuts[c]);
            expect_llama2c_error(path, 512, ATS_ERR_FORMAT, cuts[c] < 4 ? "too short" : "token");
        }
        write_file(path, bin, len);
        expect_llama2c_error(path, 513, ATS_ERR_FORMAT, "token 512");
        expect_llama2c_error(path, 0, ATS_ERR_ARG, "vocabulary size");
        expect_llama2c_error(path, -5, ATS_ERR_ARG, "vocabulary size");
        free(bin);
    } else {
        print_message("note: ../shared/fixtures/llama2c/tok512.bin is absent; its cuts skipped\n");
    }

    /* token 0's length runs past the end; then a negative length; then a silly max length */
    uint8_t small[] = {16, 0, 0, 0, 0, 0, 0, 0, 0xE8, 0x03, 0, 0, 'a', 'b'};
    write_file(path, small, sizeof small);
    expect_llama2c_error(path, 8, ATS_ERR_FORMAT, "past the end");
    small[8] = 0xFF, small[9] = 0xFF, small[10] = 0xFF, small[11] = 0xFF;
    write_file(path, small, sizeof small);
    expect_llama2c_error(path, 8, ATS_ERR_FORMAT, "past the end");
    small[0] = 0, small[3] = 0x80;
    write_file(path, small, sizeof small);
    expect_llama2c_error(path, 8, ATS_ERR_FORMAT, "max_token_length");
    ats_rmtree(dir);
    free(dir);
}

/* ---- GGUF ------------------------------------------------------------------------------------ */

/* A minimal GGUF v3 writer: header, then key/values, no tensors. */
typedef struct gguf_w {
    uint8_t buf[4096];
    size_t n;
    uint64_t n_kv;
} gguf_w;

static void put(gguf_w *w, const void *p, size_t n) {
    assert_true(w->n + n <= sizeof w->buf);
    memcpy(w->buf + w->n, p, n);
    w->n += n;
}
static void put_u32(gguf_w *w, uint32_t v) {
    put(w, &v, 4);
}
static void put_u64(gguf_w *w, uint64_t v) {
    put(w, &v, 8);
}
static void put_str(gguf_w *w, const char *s) {
    put_u64(w, strlen(s));
    put(w, s, strlen(s));
}
static void kv_str(gguf_w *w, const char *key, const char *value) {
    put_str(w, key);
    put_u32(w, 8);
    put_str(w, value);
    w->n_kv++;
}
static void kv_strings(gguf_w *w, const char *key, const char *const *items, int n) {
    put_str(w, key);
    put_u32(w, 9);
    put_u32(w, 8);
    put_u64(w, (uint64_t)n);
    for (int i = 0; i < n; i++)
        put_str(w, items[i]);
    w->n_kv++;
}
static void kv_floats(gguf_w *w, const char *key, int n) {
    put_str(w, key);
    put_u32(w, 9);
    put_u32(w, 6);
    put_u64(w, (uint64_t)n);
    for (int i = 0; i < n; i++) {
        float f = (float)-i;
        put(w, &f, 4);
    }
    w->n_kv++;
}
static void kv_u32s(gguf_w *w, const char *key, int n) {
    put_str(w, key);
    put_u32(w, 9);
    put_u32(w, 4);
    put_u64(w, (uint64_t)n);
    for (int i = 0; i < n; i++)
        put_u32(w, 1);
    w->n_kv++;
}

static void gguf_save(const gguf_w *w, const char *path) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint32_t version = 3;
    uint64_t n_tensors = 0;
    fwrite("GGUF", 1, 4, f);
    fwrite(&version, 4, 1, f);
    fwrite(&n_tensors, 8, 1, f);
    fwrite(&w->n_kv, 8, 1, f);
    fwrite(w->buf, 1, w->n, f);
    fclose(f);
}

static void expect_gguf_error(const gguf_w *w, const char *path, ats_status want,
                              const char *what) {
    gguf_save(w, path);
    ats_gguf *g = NULL;
    ats_error err = {0};
    assert_int_equal(ats_gguf_open(path, &g, &err), ATS_OK);
    ats_tokenizer *tok = (ats_tokenizer *)1;
    ats_status st = ats_tokenizer_from_gguf(g, &tok, &err);
    assert_null(tok);
    expect_error(st, &err, want, path, what);
    ats_gguf_free(g);
}

static void test_tokenizer_bad_gguf_vocab(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/vocab.gguf", dir);
    static const char *const tokens[] = {"<unk>", "<s>", "</s>",
                                         "\xE2\x96\x81"
                                         "a",
                                         "b"};

    gguf_w w = {0};
    kv_str(&w, "general.architecture", "llama");
    expect_gguf_error(&w, path, ATS_ERR_FORMAT, "no tokenizer inside");

    w = (gguf_w){0};
    kv_str(&w, "tokenizer.ggml.model", "wordlevel");
    kv_strings(&w, "tokenizer.ggml.tokens", tokens, 5);
    expect_gguf_error(&w, path, ATS_ERR_UNSUPPORTED, "wordlevel");

    w = (gguf_w){0};
    kv_str(&w, "tokenizer.ggml.model", "llama");
    expect_gguf_error(&w, path, ATS_ERR_FORMAT, "tokenizer.ggml.tokens is missing");

    w = (gguf_w){0};
    kv_str(&w, "tokenizer.ggml.model", "llama");
    kv_u32s(&w, "tokenizer.ggml.tokens", 5);
    expect_gguf_error(&w, path, ATS_ERR_FORMAT, "not an array of strings");

    w = (gguf_w){0};
    kv_str(&w, "tokenizer.ggml.model", "llama");
    kv_strings(&w, "tokenizer.ggml.tokens", tokens, 5);
    kv_floats(&w, "tokenizer.ggml.scores", 4);
    expect_gguf_error(&w, path, ATS_ERR_FORMAT, "4 scores for 5 tokens");

    w = (gguf_w){0};
    kv_str(&w, "tokenizer.ggml.model", "llama");
    kv_strings(&w, "tokenizer.ggml.tokens", tokens, 5);
    kv_u32s(&w, "tokenizer.ggml.token_type", 3);
    expect_gguf_error(&w, path, ATS_ERR_FORMAT, "3 token types for 5 tokens");

    w = (gguf_w){0};
    kv_str(&w, "tokenizer.ggml.model", "llama");
    kv_strings(&w, "tokenizer.ggml.tokens", tokens, 0);
    expect_gguf_error(&w, path, ATS_ERR_FORMAT, "holds 0 tokens");

    w = (gguf_w){0};
    kv_str(&w, "tokenizer.ggml.model", "gpt2");
    kv_strings(&w, "tokenizer.ggml.tokens", tokens, 5);
    expect_gguf_error(&w, path, ATS_ERR_FORMAT, "tokenizer.ggml.merges is missing");

    w = (gguf_w){0};
    kv_str(&w, "tokenizer.ggml.model", "gpt2");
    kv_strings(&w, "tokenizer.ggml.tokens", tokens, 5);
    kv_strings(&w, "tokenizer.ggml.merges", (const char *const[]){"ab"}, 1);
    expect_gguf_error(&w, path, ATS_ERR_FORMAT, "has no space");

    /* a small but complete SentencePiece vocabulary works */
    w = (gguf_w){0};
    kv_str(&w, "tokenizer.ggml.model", "llama");
    kv_strings(&w, "tokenizer.ggml.tokens", tokens, 5);
    kv_floats(&w, "tokenizer.ggml.scores", 5);
    gguf_save(&w, path);
    ats_gguf *g;
    ats_tokenizer *tok;
    ats_error err = {0};
    assert_int_equal(ats_gguf_open(path, &g, &err), ATS_OK);
    assert_int_equal(ats_tokenizer_from_gguf(g, &tok, &err), ATS_OK);
    ats_tokens *toks = ats_tokens_new();
    assert_int_equal(ats_tokenizer_encode(tok, "ab", 2, true, toks, &err), ATS_OK);
    assert_int_equal(ats_tokens_count(toks), 3); /* <s> ▁a b */
    assert_int_equal(ats_tokens_get(toks, 1)->id, 3);
    assert_int_equal(ats_tokens_get(toks, 2)->id, 4);
    ats_tokens_free(toks);
    ats_tokenizer_free(tok);
    ats_gguf_free(g);
    ats_rmtree(dir);
    free(dir);
}

/* Real vocabulary GGUFs cut short: the container parser or the tokenizer says so. */
static void test_tokenizer_truncated_gguf(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(src, "fixtures/gguf/ggml-vocab-bert-bge.gguf");
    size_t len;
    char *data = ats_read_file(src, &len);
    char *dir = ats_make_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/cut.gguf", dir);
    const size_t cuts[] = {10, 30, 200, len / 4, len / 2, len - 1};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        write_file(path, data, cuts[c]);
        ats_gguf *g = NULL;
        ats_tokenizer *tok = NULL;
        ats_error err = {0};
        ats_status st = ats_gguf_open(path, &g, &err);
        if (st == ATS_OK)
            st = ats_tokenizer_from_gguf(g, &tok, &err);
        assert_null(tok);
        assert_int_equal(st, ATS_ERR_FORMAT);
        assert_non_null(strstr(err.message, path));
        ats_gguf_free(g);
    }
    free(data);
    ats_rmtree(dir);
    free(dir);
}

/* A tokenizer.ggml.pre llama.cpp does not know is refused, named, rather than guessed: the
 * deepseek-coder vocabulary with its pre-tokenizer renamed (same length, in place). */
static void test_tokenizer_unknown_gguf_pre(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(src, "fixtures/gguf/ggml-vocab-deepseek-coder.gguf");
    size_t len;
    char *data = ats_read_file(src, &len);
    static const char key[] = "tokenizer.ggml.pre";
    char *at = NULL;
    for (size_t i = 0; !at && i + sizeof key - 1 <= len; i++)
        if (memcmp(data + i, key, sizeof key - 1) == 0)
            at = data + i;
    assert_non_null(at);
    /* the value after the key: u32 type 8 (string), u64 length 14, "deepseek-coder" */
    char *value = at + sizeof key - 1 + 4 + 8;
    assert_memory_equal(value, "deepseek-coder", 14);
    memcpy(value, "deepseek-codex", 14);
    char *dir = ats_make_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/unknown-pre.gguf", dir);
    write_file(path, data, len);
    ats_gguf *g = NULL;
    ats_tokenizer *tok = NULL;
    ats_error err = {0};
    assert_int_equal(ats_gguf_open(path, &g, &err), ATS_OK);
    assert_int_equal(ats_tokenizer_from_gguf(g, &tok, &err), ATS_ERR_UNSUPPORTED);
    assert_null(tok);
    assert_non_null(strstr(err.message, "unknown pre-tokenizer 'deepseek-codex'"));
    assert_non_null(strstr(err.message, path));
    ats_gguf_free(g);
    /* and through the command line: exit 2, one line */
    const char *args[] = {"tokenize", "--model", path, "--text", "hi", NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    assert_int_equal(r.exit_code, 2);
    assert_int_equal(ats_count_lines(r.err), 1);
    assert_non_null(strstr(r.err, "deepseek-codex"));
    ats_cli_result_free(&r);
    free(data);
    ats_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenizer_unknown_gguf_pre),
        cmocka_unit_test(test_tokenizer_bad_tokenizer_json),
        cmocka_unit_test(test_tokenizer_truncated_tokenizer_json),
        cmocka_unit_test(test_tokenizer_bad_vocab_files),
        cmocka_unit_test(test_tokenizer_bad_tokenizer_bin),
        cmocka_unit_test(test_tokenizer_bad_gguf_vocab),
        cmocka_unit_test(test_tokenizer_truncated_gguf),
        cmocka_unit_test(test_tokenizer_bad_spiece),
        cmocka_unit_test(test_tokenizer_truncated_spiece),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
