/* Every tokenizer reference in ../shared/reference/tokenizers against the fixture it belongs to,
 * through every source the fixture comes in: ids exactly equal, and token spans consistent with
 * the Hugging Face offsets (which count code points; a byte span converts to the code points it
 * touches). Also the GPT-2 lines of fixtures/tokenizer-vectors/gpt2-prompts.txt. */
#include "test_support.h"

#include "gguf.h"
#include "tokenizer.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum source { SRC_HF, SRC_GGUF, SRC_LLAMA2C } source;

/* A tokenizer from a fixture; `gguf` keeps the GGUF open while the tokenizer lives. */
static ats_tokenizer *open_tokenizer(source src, const char *path, ats_gguf **gguf) {
    ats_error err = {0};
    ats_tokenizer *tok = NULL;
    ats_status st;
    *gguf = NULL;
    if (src == SRC_HF) {
        st = ats_tokenizer_from_hf_folder(path, &tok, &err);
    } else if (src == SRC_LLAMA2C) {
        st = ats_tokenizer_from_llama2c(path, 512, &tok, &err);
    } else {
        st = ats_gguf_open(path, gguf, &err);
        if (st == ATS_OK)
            st = ats_tokenizer_from_gguf(*gguf, &tok, &err);
    }
    if (st != ATS_OK)
        fail_msg("%s: %s", path, err.message);
    return tok;
}

static void close_tokenizer(ats_tokenizer *tok, ats_gguf *gguf) {
    ats_tokenizer_free(tok);
    ats_gguf_free(gguf);
}

/* Code point index of the character holding byte b (b < len), or the count at b == len. */
static int cp_floor(const char *text, size_t len, int32_t b) {
    int n = 0;
    for (int32_t i = 0; i <= b && (size_t)i < len; i++)
        n += ((unsigned char)text[i] & 0xC0) != 0x80;
    return (size_t)b < len ? n - 1 : n;
}

/* Code points that start before byte b: the end of a span ending at b. */
static int cp_ceil(const char *text, int32_t b) {
    int n = 0;
    for (int32_t i = 0; i < b; i++)
        n += ((unsigned char)text[i] & 0xC0) != 0x80;
    return n;
}

/* Spans: inside the text, in order; with reference offsets, equal to them in code points. A
 * special token the tokenizer added is empty (Hugging Face reports (0, 0)); a token made only
 * of an inserted character (the "▁" SentencePiece puts in front) is empty where it was
 * inserted, which is where Hugging Face's offsets for it start. */
static void check_spans(const char *what, const char *text, size_t len, const ats_tokens *toks,
                        const json_t *offsets) {
    int32_t last_start = 0;
    for (int i = 0; i < ats_tokens_count(toks); i++) {
        const ats_token *t = ats_tokens_get(toks, i);
        if (t->start < 0 || t->end < t->start || (size_t)t->end > len)
            fail_msg("%s: token %d has span [%d, %d) in a text of %zu bytes", what, i, t->start,
                     t->end, len);
        if (!(t->special && t->start == t->end)) {
            if (t->start < last_start)
                fail_msg("%s: token %d starts at %d, before token %d", what, i, t->start, i - 1);
            last_start = t->start;
        }
        if (!offsets)
            continue;
        const json_t *o = json_array_get(offsets, (size_t)i);
        int ref_s = (int)json_integer_value(json_array_get(o, 0));
        int ref_e = (int)json_integer_value(json_array_get(o, 1));
        if (t->special && t->start == t->end) {
            if (ref_s != 0 || ref_e != 0)
                fail_msg("%s: token %d is an added special token, reference offsets (%d, %d)", what,
                         i, ref_s, ref_e);
            continue;
        }
        int s = cp_floor(text, len, t->start);
        if (t->start == t->end) {
            if (s != ref_s)
                fail_msg("%s: inserted token %d at code point %d, reference (%d, %d)", what, i, s,
                         ref_s, ref_e);
            continue;
        }
        int e = cp_ceil(text, t->end);
        if (s != ref_s || e != ref_e)
            fail_msg("%s: token %d '%s' bytes [%d, %d) = code points (%d, %d), reference (%d, %d)",
                     what, i, t->piece, t->start, t->end, s, e, ref_s, ref_e);
    }
}

static void check_ids(const char *what, const ats_tokens *toks, const json_t *ids) {
    int n = ats_tokens_count(toks);
    bool same = n == (int)json_array_size(ids);
    for (int i = 0; same && i < n; i++)
        same = ats_tokens_get(toks, i)->id == json_integer_value(json_array_get(ids, (size_t)i));
    if (same)
        return;
    char got[2048] = "", want[2048] = "";
    for (int i = 0; i < n && strlen(got) < sizeof got - 16; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), " %d", ats_tokens_get(toks, i)->id);
    for (size_t i = 0; i < json_array_size(ids) && strlen(want) < sizeof want - 16; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), " %lld",
                 (long long)json_integer_value(json_array_get(ids, i)));
    fail_msg("%s:\n  got: %s\n want: %s", what, got, want);
}

/* Runs every line of a reference .jsonl through the tokenizer (with its default specials). */
static void check_reference(source src, const char *fixture, const char *reference,
                            bool use_offsets) {
    ats_gguf *gguf;
    ats_tokenizer *tok = open_tokenizer(src, fixture, &gguf);
    FILE *f = fopen(reference, "r");
    assert_non_null(f);
    static char line[1 << 16];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        json_t *o = ats_parse_json(line);
        const json_t *text = json_object_get(o, "text");
        const char *s = json_string_value(text);
        size_t len = json_string_length(text);
        char what[512];
        snprintf(what, sizeof what, "%s: %s line %d \"%.80s\"", fixture, reference, n + 1, s);
        ats_tokens *toks = ats_tokens_new();
        ats_error err = {0};
        if (ats_tokenizer_encode(tok, s, len, true, toks, &err) != ATS_OK)
            fail_msg("%s: %s", what, err.message);
        check_ids(what, toks, json_object_get(o, "ids"));
        check_spans(what, s, len, toks, use_offsets ? json_object_get(o, "offsets") : NULL);
        ats_tokens_free(toks);
        json_decref(o);
        n++;
    }
    fclose(f);
    assert_true(n > 0);
    close_tokenizer(tok, gguf);
}

/* A temporary folder holding links to some of a fixture folder's files, to force the
 * vocab.json + merges.txt or vocab.txt route when the fixture also has a tokenizer.json. */
static char *folder_with(const char *fixture, const char *const *names) {
    char *dir = ats_make_temp_dir();
    for (; *names; names++) {
        char from[4096], to[4096];
        snprintf(from, sizeof from, "%s/%s", fixture, *names);
        snprintf(to, sizeof to, "%s/%s", dir, *names);
        assert_int_equal(symlink(from, to), 0);
    }
    return dir;
}

static void test_tokenizer_gpt2_reference_all_sources(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, "fixtures/hf/gpt2-tokenizer");
    ATS_REQUIRE_SHARED(ref, "reference/tokenizers/gpt2.jsonl");
    check_reference(SRC_HF, dir, ref, true);
    char *files = folder_with(dir, (const char *const[]){"vocab.json", "merges.txt", NULL});
    check_reference(SRC_HF, files, ref, true);
    ats_rmtree(files);
    free(files);
    ATS_REQUIRE_SHARED(gguf, "fixtures/gguf/ggml-vocab-gpt-2.gguf");
    check_reference(SRC_GGUF, gguf, ref, true);
}

static void test_tokenizer_bert_reference_all_sources(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, "fixtures/hf/bert-tiniest");
    ATS_REQUIRE_SHARED(ref, "reference/tokenizers/bert-base-uncased.jsonl");
    check_reference(SRC_HF, dir, ref, true);
    char *files = folder_with(dir, (const char *const[]){"vocab.txt", NULL});
    check_reference(SRC_HF, files, ref, true);
    ats_rmtree(files);
    free(files);
    /* llama.cpp's BGE vocabulary is the same uncased BERT vocabulary in its own spelling */
    ATS_REQUIRE_SHARED(gguf, "fixtures/gguf/ggml-vocab-bert-bge.gguf");
    check_reference(SRC_GGUF, gguf, ref, true);
}

static void test_tokenizer_tiny_random_gpt2_reference(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, "fixtures/hf/tiny-random-gpt2");
    ATS_REQUIRE_SHARED(ref, "reference/tokenizers/tiny-random-gpt2.jsonl");
    check_reference(SRC_HF, dir, ref, true);
    char *files = folder_with(dir, (const char *const[]){"vocab.json", "merges.txt", NULL});
    check_reference(SRC_HF, files, ref, true);
    ats_rmtree(files);
    free(files);
}

static void test_tokenizer_tiny_random_bert_reference(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, "fixtures/hf/tiny-random-bert");
    ATS_REQUIRE_SHARED(ref, "reference/tokenizers/tiny-random-bert.jsonl");
    check_reference(SRC_HF, dir, ref, true);
    char *files =
        folder_with(dir, (const char *const[]){"vocab.txt", "tokenizer_config.json", NULL});
    check_reference(SRC_HF, files, ref, true);
    ats_rmtree(files);
    free(files);
}

static void test_tokenizer_stories260K_llama_reference(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, "fixtures/hf/stories260K-llama");
    ATS_REQUIRE_SHARED(ref, "reference/tokenizers/stories260K-llama.jsonl");
    check_reference(SRC_HF, dir, ref, true);
}

static void test_tokenizer_llama2c_tok512_reference(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(bin, "fixtures/llama2c/tok512.bin");
    ATS_REQUIRE_SHARED(ref, "reference/tokenizers/llama2c-tok512.jsonl");
    check_reference(SRC_LLAMA2C, bin, ref, false);
    /* the same 512-token vocabulary with its scores inside stories260K.gguf */
    ATS_REQUIRE_SHARED(gguf, "fixtures/gguf/stories260K.gguf");
    check_reference(SRC_GGUF, gguf, ref, false);
    /* and the Hugging Face conversion, which tokenizes exactly as tok512.bin */
    ATS_REQUIRE_SHARED(hf, "fixtures/hf/stories260K-llama");
    check_reference(SRC_HF, hf, ref, false);
}

static void test_tokenizer_llama2_spm_reference(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(ref, "reference/tokenizers/llama2-spm-32k.jsonl");
    ATS_REQUIRE_SHARED(vocab, "fixtures/gguf/ggml-vocab-llama-spm.gguf");
    check_reference(SRC_GGUF, vocab, ref, false);
    ATS_REQUIRE_SHARED(model, "fixtures/gguf/llama-2-tiny-random.gguf");
    check_reference(SRC_GGUF, model, ref, false);
}

/* T5's spiece.model (sentencepiece's normalizer and Unigram segmentation, </s> appended) in both
 * T5 fixtures and alone in a folder; then the same vocabulary as a tokenizer.json Unigram model
 * (Hugging Face's Precompiled normalizer, Metaspace, float64 scores), which agrees on these
 * lines (it differs only on near-ties such as "......."). */
static void test_tokenizer_t5_spiece_reference(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(ref, "reference/tokenizers/t5-spiece.jsonl");
    ATS_REQUIRE_SHARED(v10, "fixtures/hf/t5-tiny-random");
    ATS_REQUIRE_SHARED(v11, "fixtures/hf/t5-v1_1-tiny-random");
    check_reference(SRC_HF, v10, ref, false);
    check_reference(SRC_HF, v11, ref, false);
    static const char *const spiece_only[] = {"spiece.model", NULL};
    char *alone = folder_with(v10, spiece_only);
    check_reference(SRC_HF, alone, ref, false);
    ats_rmtree(alone);
    free(alone);

    char *dir = ats_make_temp_dir(), cmd[9000];
    snprintf(cmd, sizeof cmd, "python3 '%s/tests/tools/make_t5_files.py' tokjson '%s' '%s'",
             ATS_SOURCE_DIR, v10, dir);
    if (system(cmd) == 0) {
        ats_gguf *gguf;
        ats_tokenizer *tok = open_tokenizer(SRC_HF, dir, &gguf);
        assert_string_equal(tok->kind, "Unigram");
        close_tokenizer(tok, gguf);
        check_reference(SRC_HF, dir, ref, false);
    } else {
        print_message("note: python3 could not write the tokenizer.json; that part skipped\n");
    }
    ats_rmtree(dir);
    free(dir);
}

/* "text => 1,2,3" lines; the text is everything before the last " => ". */
static void check_prompts(source src, const char *fixture, const char *prompts) {
    ats_gguf *gguf;
    ats_tokenizer *tok = open_tokenizer(src, fixture, &gguf);
    FILE *f = fopen(prompts, "r");
    assert_non_null(f);
    static char line[1 << 16];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *arrow = NULL;
        for (char *p = strstr(line, " => "); p; p = strstr(p + 1, " => "))
            arrow = p;
        if (!arrow)
            continue;
        *arrow = '\0';
        json_t *ids = json_array();
        for (char *p = arrow + 4;;) {
            char *end;
            long id = strtol(p, &end, 10);
            if (end == p)
                break;
            json_array_append_new(ids, json_integer(id));
            p = *end == ',' ? end + 1 : end;
        }
        char what[512];
        snprintf(what, sizeof what, "%s: %s line \"%.80s\"", fixture, prompts, line);
        ats_tokens *toks = ats_tokens_new();
        ats_error err = {0};
        if (ats_tokenizer_encode(tok, line, strlen(line), true, toks, &err) != ATS_OK)
            fail_msg("%s: %s", what, err.message);
        check_ids(what, toks, ids);
        check_spans(what, line, strlen(line), toks, NULL);
        ats_tokens_free(toks);
        json_decref(ids);
        n++;
    }
    fclose(f);
    assert_true(n >= 100);
    close_tokenizer(tok, gguf);
}

static void test_tokenizer_gpt2_prompts_all_sources(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(prompts, "fixtures/tokenizer-vectors/gpt2-prompts.txt");
    ATS_REQUIRE_SHARED(dir, "fixtures/hf/gpt2-tokenizer");
    check_prompts(SRC_HF, dir, prompts);
    char *files = folder_with(dir, (const char *const[]){"vocab.json", "merges.txt", NULL});
    check_prompts(SRC_HF, files, prompts);
    ats_rmtree(files);
    free(files);
    ATS_REQUIRE_SHARED(gguf, "fixtures/gguf/ggml-vocab-gpt-2.gguf");
    check_prompts(SRC_GGUF, gguf, prompts);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenizer_gpt2_reference_all_sources),
        cmocka_unit_test(test_tokenizer_bert_reference_all_sources),
        cmocka_unit_test(test_tokenizer_tiny_random_gpt2_reference),
        cmocka_unit_test(test_tokenizer_tiny_random_bert_reference),
        cmocka_unit_test(test_tokenizer_stories260K_llama_reference),
        cmocka_unit_test(test_tokenizer_llama2c_tok512_reference),
        cmocka_unit_test(test_tokenizer_llama2_spm_reference),
        cmocka_unit_test(test_tokenizer_t5_spiece_reference),
        cmocka_unit_test(test_tokenizer_gpt2_prompts_all_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
