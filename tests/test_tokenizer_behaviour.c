/* Tokenizer behaviour beyond the reference files: readable pieces, special and added tokens,
 * add_special off, llama.cpp's tokenizer test vectors on the vocabulary-only GGUFs (a handful
 * of the tricky ones inline; every file in ../shared/fixtures/tokenizer-vectors; all of
 * llama.cpp's when ATS_LLAMACPP_MODELS names its models/ folder holding ggml-vocab-*.gguf with
 * their .inp/.out), and long texts (linear time, exact spans). */
#include "test_support.h"

#include "gguf.h"
#include "tokenizer.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct opened {
    ats_tokenizer *tok;
    ats_gguf *gguf;
} opened;

static opened open_hf(const char *dir) {
    opened o = {0};
    ats_error err = {0};
    if (ats_tokenizer_from_hf_folder(dir, &o.tok, &err) != ATS_OK)
        fail_msg("%s", err.message);
    return o;
}

static opened open_gguf(const char *path) {
    opened o = {0};
    ats_error err = {0};
    if (ats_gguf_open(path, &o.gguf, &err) != ATS_OK ||
        ats_tokenizer_from_gguf(o.gguf, &o.tok, &err) != ATS_OK)
        fail_msg("%s", err.message);
    return o;
}

static opened open_llama2c(const char *path) {
    opened o = {0};
    ats_error err = {0};
    if (ats_tokenizer_from_llama2c(path, 512, &o.tok, &err) != ATS_OK)
        fail_msg("%s", err.message);
    return o;
}

static void close_opened(opened *o) {
    ats_tokenizer_free(o->tok);
    ats_gguf_free(o->gguf);
}

static ats_tokens *encode(const opened *o, const char *text, bool add_special) {
    ats_tokens *toks = ats_tokens_new();
    ats_error err = {0};
    if (ats_tokenizer_encode(o->tok, text, strlen(text), add_special, toks, &err) != ATS_OK)
        fail_msg("\"%s\": %s", text, err.message);
    return toks;
}

/* One expected token: id, span, special flag and piece. */
typedef struct want {
    int32_t id, start, end;
    bool special;
    const char *piece;
} want;

static void expect_tokens(const opened *o, const char *text, bool add_special, const want *w,
                          int n) {
    ats_tokens *toks = encode(o, text, add_special);
    if (ats_tokens_count(toks) != n) {
        for (int i = 0; i < ats_tokens_count(toks); i++) {
            const ats_token *t = ats_tokens_get(toks, i);
            print_message("  %d [%d,%d) '%s'\n", t->id, t->start, t->end, t->piece);
        }
        fail_msg("\"%s\": %d tokens, expected %d", text, ats_tokens_count(toks), n);
    }
    for (int i = 0; i < n; i++) {
        const ats_token *t = ats_tokens_get(toks, i);
        if (t->id != w[i].id || t->start != w[i].start || t->end != w[i].end ||
            t->special != w[i].special || strcmp(t->piece, w[i].piece) != 0)
            fail_msg("\"%s\" token %d: got %d [%d,%d) %s '%s', expected %d [%d,%d) %s '%s'", text,
                     i, t->id, t->start, t->end, t->special ? "special" : "plain", t->piece,
                     w[i].id, w[i].start, w[i].end, w[i].special ? "special" : "plain", w[i].piece);
    }
    ats_tokens_free(toks);
}

#define EXPECT(o, text, add, ...)                                                                  \
    do {                                                                                           \
        const want w_[] = {__VA_ARGS__};                                                           \
        expect_tokens(o, text, add, w_, (int)(sizeof w_ / sizeof w_[0]));                          \
    } while (0)

static void expect_ids(const opened *o, const char *text, bool add_special, const int32_t *ids,
                       int n) {
    ats_tokens *toks = encode(o, text, add_special);
    bool same = ats_tokens_count(toks) == n;
    for (int i = 0; same && i < n; i++)
        same = ats_tokens_get(toks, i)->id == ids[i];
    if (!same) {
        for (int i = 0; i < ats_tokens_count(toks); i++)
            print_message(" %d", ats_tokens_get(toks, i)->id);
        print_message("\n");
        fail_msg("\"%s\": ids differ (%d tokens, expected %d)", text, ats_tokens_count(toks), n);
    }
    ats_tokens_free(toks);
}

/* ---- pieces, spans, special tokens ----------------------------------------------------------- */

static void test_tokenizer_gpt2_pieces_and_spans(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, "fixtures/hf/gpt2-tokenizer");
    opened o = open_hf(dir);
    assert_string_equal(o.tok->kind, "byte-level BPE");
    assert_int_equal(o.tok->vocab_size, 50257);
    /* byte-level marks shown as what they stand for: "Ġupon" is " upon", "Ċ" a newline */
    EXPECT(&o, "Once upon\n", true, {7454, 0, 4, false, "Once"}, {2402, 4, 9, false, " upon"},
           {198, 9, 10, false, "\n"});
    /* a token holding part of a character shows those bytes, with their exact span */
    EXPECT(&o, "日本", true, {33768, 0, 2, false, "<0xE6><0x97>"}, {98, 2, 3, false, "<0xA5>"},
           {17312, 3, 5, false, "<0xE6><0x9C>"}, {105, 5, 6, false, "<0xAC>"});
    /* <|endoftext|> in the text is GPT-2's special token, matched before anything else */
    EXPECT(&o, "Hello<|endoftext|>world", true, {15496, 0, 5, false, "Hello"},
           {50256, 5, 18, true, "<|endoftext|>"}, {6894, 18, 23, false, "world"});
    close_opened(&o);
}

static void test_tokenizer_bert_pieces_and_specials(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, "fixtures/hf/bert-tiniest");
    opened o = open_hf(dir);
    assert_string_equal(o.tok->kind, "WordPiece");
    assert_int_equal(o.tok->vocab_size, 30522);
    /* [CLS] and [SEP] added around the text, empty spans at its two ends; "##s" kept as is;
     * the accent stripped, the span still the five bytes of "café" */
    EXPECT(&o, "Tabs café", true, {101, 0, 0, true, "[CLS]"}, {21628, 0, 3, false, "tab"},
           {2015, 3, 4, false, "##s"}, {7668, 5, 10, false, "cafe"}, {102, 10, 10, true, "[SEP]"});
    EXPECT(&o, "Tabs", false, {21628, 0, 3, false, "tab"}, {2015, 3, 4, false, "##s"});
    /* special tokens written in the text are matched as such */
    EXPECT(&o, "a [SEP] b", false, {1037, 0, 1, false, "a"}, {102, 2, 7, true, "[SEP]"},
           {1038, 8, 9, false, "b"});
    EXPECT(&o, "", true, {101, 0, 0, true, "[CLS]"}, {102, 0, 0, true, "[SEP]"});
    close_opened(&o);

    /* llama.cpp's spelling ("▁tab", "s") is shown in Hugging Face's ("tab", "##s") */
    ATS_REQUIRE_SHARED(bge, "fixtures/gguf/ggml-vocab-bert-bge.gguf");
    o = open_gguf(bge);
    assert_string_equal(o.tok->kind, "WordPiece");
    EXPECT(&o, "Tabs", true, {101, 0, 0, true, "[CLS]"}, {21628, 0, 3, false, "tab"},
           {2015, 3, 4, false, "##s"}, {102, 4, 4, true, "[SEP]"});
    close_opened(&o);
}

static void test_tokenizer_sentencepiece_pieces(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(hf, "fixtures/hf/stories260K-llama");
    opened o = open_hf(hf);
    assert_string_equal(o.tok->kind, "SentencePiece BPE");
    assert_int_equal(o.tok->vocab_size, 512);
    /* "▁" shown as a space; the "▁" put in front belongs to the first word's span */
    EXPECT(&o, "Hello world", true, {1, 0, 0, true, "<s>"}, {346, 0, 2, false, " He"},
           {306, 2, 4, false, "ll"}, {414, 4, 5, false, "o"}, {263, 5, 7, false, " w"},
           {304, 7, 9, false, "or"}, {341, 9, 11, false, "ld"});
    /* byte fallback: each byte a token, shown as <0xC3> when it is part of a character */
    EXPECT(&o, "ï\n", false, {410, 0, 0, false, " "}, {198, 0, 1, false, "<0xC3>"},
           {178, 1, 2, false, "<0xAF>"}, {13, 2, 3, false, "\n"});
    EXPECT(&o, "", true, {1, 0, 0, true, "<s>"});
    close_opened(&o);

    ATS_REQUIRE_SHARED(bin, "fixtures/llama2c/tok512.bin");
    o = open_llama2c(bin);
    assert_string_equal(o.tok->kind, "SentencePiece BPE");
    EXPECT(&o, "Hello world", true, {1, 0, 0, true, "<s>"}, {346, 0, 2, false, " He"},
           {306, 2, 4, false, "ll"}, {414, 4, 5, false, "o"}, {263, 5, 7, false, " w"},
           {304, 7, 9, false, "or"}, {341, 9, 11, false, "ld"});
    EXPECT(&o, "ï\n", false, {410, 0, 0, false, " "}, {198, 0, 1, false, "<0xC3>"},
           {178, 1, 2, false, "<0xAF>"}, {13, 2, 3, false, "\n"});
    /* llama2.c's encode() knows no special tokens in the text */
    expect_ids(&o, "<s>", false, (const int32_t[]){410, 504, 419, 505}, 4);
    close_opened(&o);

    ATS_REQUIRE_SHARED(spm, "fixtures/gguf/ggml-vocab-llama-spm.gguf");
    o = open_gguf(spm);
    assert_int_equal(o.tok->vocab_size, 32000);
    /* the tokenizer copies what it needs: the GGUF may be closed (and unmapped) first */
    ats_gguf_free(o.gguf);
    o.gguf = NULL;
    EXPECT(&o, "Hello 日", true, {1, 0, 0, true, "<s>"}, {15043, 0, 5, false, " Hello"},
           {29871, 5, 6, false, " "}, {30325, 6, 9, false, "日"});
    close_opened(&o);
}

/* ---- added-token options and word characters, on a small tokenizer.json ------------------- */

static const char small_json[] =
    "{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\","
    " \"vocab\": {\"[UNK]\": 0, \"[CLS]\": 1, \"[SEP]\": 2, \"a\": 3, \"##b\": 4, \"upon\": 5,"
    " \"\u306e\": 6}},"
    " \"pre_tokenizer\": {\"type\": \"Whitespace\"},"
    " \"added_tokens\": ["
    "  {\"id\": 9, \"content\": \"<x>\", \"single_word\": true, \"lstrip\": false,"
    "   \"rstrip\": false, \"normalized\": false, \"special\": true},"
    "  {\"id\": 10, \"content\": \"<y>\", \"single_word\": false, \"lstrip\": true,"
    "   \"rstrip\": true, \"normalized\": false, \"special\": false},"
    "  {\"id\": 77, \"content\": \"upon\", \"single_word\": false, \"lstrip\": false,"
    "   \"rstrip\": false, \"normalized\": false, \"special\": false}]}";

/* T5's Unigram tokenizer: spans through sentencepiece's normalizer (leading spaces dropped, runs
 * of spaces kept as one "▁" holding the first, a newline as a space, the dummy "▁" empty where
 * it went in), a run of unknown characters as one <unk> covering all of them, </s> appended,
 * and the <extra_id_N> tokens past the pieces named, matched in the text and shown. */
static void test_tokenizer_t5_unigram_spans(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(dir, "fixtures/hf/t5-tiny-random");
    opened o = open_hf(dir);
    assert_string_equal(o.tok->kind, "SentencePiece Unigram");
    assert_int_equal(o.tok->vocab_size, 1100);
    EXPECT(&o, "  caf\xC3\xA9   na\xC3\xAFve \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E ---\nx", true,
           {70, 2, 3, false, " c"}, {18, 3, 4, false, "a"}, {57, 4, 5, false, "f"},
           {2, 5, 7, false, "<unk>"}, {7, 7, 8, false, " "}, {24, 10, 11, false, "n"},
           {18, 11, 12, false, "a"}, {2, 12, 14, false, "<unk>"}, {124, 14, 16, false, "ve"},
           {7, 16, 17, false, " "}, {2, 17, 26, false, "<unk>"}, {7, 26, 27, false, " "},
           {33, 27, 28, false, "-"}, {419, 28, 30, false, "--"}, {7, 30, 31, false, " "},
           {301, 31, 32, false, "x"}, {1, 32, 32, true, "</s>"});
    EXPECT(&o, "Hi <extra_id_0> a", true, {371, 0, 1, false, " H"}, {23, 1, 2, false, "i"},
           {1099, 3, 15, true, "<extra_id_0>"}, {10, 16, 17, false, " a"},
           {1, 17, 17, true, "</s>"});
    EXPECT(&o, "Hi", false, {371, 0, 1, false, " H"}, {23, 1, 2, false, "i"});
    ats_tokens *toks = ats_tokens_new();
    assert_int_equal(ats_tokenizer_push_id(o.tok, 1000, 0, toks, NULL), ATS_OK);
    assert_int_equal(ats_tokenizer_push_id(o.tok, 0, 0, toks, NULL), ATS_OK);
    assert_string_equal(ats_tokens_get(toks, 0)->piece, "<extra_id_99>");
    assert_true(ats_tokens_get(toks, 1)->special);
    assert_string_equal(ats_tokens_get(toks, 1)->piece, "<pad>");
    ats_tokens_free(toks);
    toks = encode(&o, "   ", true); /* only spaces: nothing but </s> */
    assert_int_equal(ats_tokens_count(toks), 1);
    ats_tokens_free(toks);
    close_opened(&o);
}

static void test_tokenizer_added_token_options(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(small_json, f);
    fclose(f);
    opened o = open_hf(dir);
    /* single_word: not right after a word character, even a multi-byte one */
    EXPECT(&o, "\xE3\x81\xAE<x>", false, {6, 0, 3, false, "\xE3\x81\xAE"},
           {0, 3, 4, false, "[UNK]"}, {0, 4, 5, false, "[UNK]"}, {0, 5, 6, false, "[UNK]"});
    EXPECT(&o, "\xE3\x81\xAE <x>", false, {6, 0, 3, false, "\xE3\x81\xAE"}, {9, 4, 7, true, "<x>"});
    /* lstrip / rstrip: the whitespace around belongs to the token */
    EXPECT(&o, "a <y>  a", false, {3, 0, 1, false, "a"}, {10, 1, 7, false, "<y>"},
           {3, 7, 8, false, "a"});
    /* an added token already in the vocabulary keeps the vocabulary's id */
    EXPECT(&o, "upon", false, {5, 0, 4, false, "upon"});
    /* word characters as Hugging Face's Whitespace has them: marks and ZWJ stay inside words */
    EXPECT(&o,
           "ab a\xE2\x80\x8D"
           "b",
           false, {3, 0, 1, false, "a"}, {4, 1, 2, false, "##b"}, {0, 3, 8, false, "[UNK]"});
    EXPECT(&o, "\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4\xA6\xE0\xA5\x80", false,
           {0, 0, 18, false, "[UNK]"});
    close_opened(&o);
    ats_rmtree(dir);
    free(dir);
}

/* ---- llama.cpp's test vectors ---------------------------------------------------------------- */

typedef struct vector {
    const char *text;
    int32_t ids[48];
    int n;
} vector;

/* From llama.cpp's models/ggml-vocab-{gpt-2,bert-bge,llama-spm}.gguf.inp/.out (ids without
 * special tokens). The ZWJ and variation selector of the emoji are spelled as bytes. */
static const vector gpt_2_cases[] = {
    {"   ", {220, 220, 220}, 3},
    {"\n\n\n", {628, 198}, 2},
    {"    Hello\n    Hello", {220, 220, 220, 18435, 198, 220, 220, 220, 18435}, 9},
    {" discards", {1221, 1371}, 2},
    {"Cửa Việt", {34, 157, 119, 255, 64, 16049, 157, 119, 229, 83}, 10},
    {"Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
     {15496, 11,    331, 6,     439,   0,  1374,  389,  345,  30325, 223,   5633, 22755, 239, 46349,
      111,   28839, 101, 18040, 32432, 98, 43291, 1485, 1415, 24309, 25465, 171,  121,   252},
     29},
    {"333333333", {24840, 2091, 20370}, 3},
    {"🚀 (normal) 😶\xE2\x80\x8D"
     "🌫\xEF\xB8\x8F"
     " (multiple emojis concatenated) ✅ (only emoji that has its own token)",
     {8582, 248,   222,  357,   11265, 8,     30325, 114,  447,   235, 8582, 234,
      104,  37929, 357,  48101, 795,   13210, 271,   1673, 36686, 515, 8,    14519,
      227,  357,   8807, 44805, 326,   468,   663,   898,  11241, 8},
     34},
};

static const vector bert_bge_cases[] = {
    {"Führer", {11865, 17875}, 2},
    {"ied 4 ½ months", {29464, 2094, 1018, 1092, 2706}, 5},
    {"Cửa Việt", {12731, 2050, 19710}, 3},
    {"\t\n", {0}, 0},
    {"нещо на Български",
     {1192, 15290, 29754, 14150, 1192, 10260, 1181, 29755, 29436, 29741, 10260, 16856, 29747, 23925,
      10325},
     15},
    {"Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
     {7592, 1010, 1061, 1005, 2035, 999, 2129,  2024,  2017,  100,  1029,
      1855, 100,  100,  6207, 100,  100, 14677, 23632, 22203, 1811, 1995},
     22},
    {"333333333", {21211, 22394, 22394, 22394}, 4},
    {"🚀 (normal) 😶\xE2\x80\x8D"
     "🌫\xEF\xB8\x8F"
     " (multiple emojis concatenated) ✅ (only emoji that has its own token)",
     {100,  1006, 3671, 1007, 100,  1006,  3674, 7861, 29147, 2483, 9530, 16280, 23854,
      1007, 100,  1006, 2069, 7861, 29147, 2072, 2008, 2038,  2049, 2219, 19204, 1007},
     26},
};

static const vector llama_spm_cases[] = {
    {"", {0}, 0},
    {" ", {259}, 1},
    {"   ", {268}, 1},
    {"\t\n", {29871, 12, 13}, 3},
    {" Hello World!", {29871, 15043, 2787, 29991}, 4},
    {"\n =", {29871, 13, 353}, 3},
    {"ied 4 ½ months", {474, 287, 29871, 29946, 29871, 30226, 7378}, 7},
    {"Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
     {15043, 29892, 343,   29915, 497,   29991, 1128,  526,   366,   29871,
      243,   162,   155,   132,   1577,  30672, 31522, 30505, 11548, 31041,
      30732, 29896, 29941, 29896, 29946, 29896, 29945, 29896, 30408, 30739},
     30},
    {"🚀 (normal) 😶\xE2\x80\x8D"
     "🌫\xEF\xB8\x8F"
     " (multiple emojis concatenated) ✅ (only emoji that has its own token)",
     {29871, 243, 162,  157, 131,   313,  8945,  29897, 29871, 243,  162,   155,  185,   30722,
      243,   162, 143,  174, 30598, 313,  20787, 953,   3848,  275,  16125, 630,  29897, 29871,
      31681, 313, 6194, 953, 29877, 2397, 393,   756,   967,   1914, 5993,  29897},
     40},
};

static void run_cases(const char *gguf, const vector *cases, size_t n) {
    opened o = open_gguf(gguf);
    for (size_t i = 0; i < n; i++)
        expect_ids(&o, cases[i].text, false, cases[i].ids, cases[i].n);
    close_opened(&o);
}

static void test_tokenizer_llamacpp_vectors_inline(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(gpt2, "fixtures/gguf/ggml-vocab-gpt-2.gguf");
    run_cases(gpt2, gpt_2_cases, sizeof gpt_2_cases / sizeof gpt_2_cases[0]);
    ATS_REQUIRE_SHARED(bge, "fixtures/gguf/ggml-vocab-bert-bge.gguf");
    run_cases(bge, bert_bge_cases, sizeof bert_bge_cases / sizeof bert_bge_cases[0]);
    ATS_REQUIRE_SHARED(spm, "fixtures/gguf/ggml-vocab-llama-spm.gguf");
    run_cases(spm, llama_spm_cases, sizeof llama_spm_cases / sizeof llama_spm_cases[0]);
}

/* All of llama.cpp's vectors for one vocabulary: the .inp holds the texts, each followed by
 * "\n__ggml_vocab_test__\n"; the .out one line of ids per text. Returns the texts checked. */
static int run_vector_files(const char *inp_path, const char *out_path, const char *gguf) {
    size_t inp_len, out_len;
    char *inp = ats_read_file(inp_path, &inp_len), *out = ats_read_file(out_path, &out_len);
    if (!inp || !out)
        fail_msg("cannot read %s or %s", inp_path, out_path);
    opened o = open_gguf(gguf);
    static const char sep[] = "\n__ggml_vocab_test__\n";
    char *text = inp, *line = out;
    int cases = 0;
    for (char *end; (end = strstr(text, sep)) != NULL; text = end + strlen(sep)) {
        *end = '\0';
        char *nl = strchr(line, '\n');
        if (!nl)
            fail_msg("%s has fewer lines than %s has texts", out_path, inp_path);
        *nl = '\0';
        int32_t ids[1024];
        int n = 0;
        for (char *p = line, *q; n < 1024; p = q) {
            long v = strtol(p, &q, 10);
            if (q == p)
                break;
            ids[n++] = (int32_t)v;
        }
        expect_ids(&o, text, false, ids, n);
        line = nl + 1;
        cases++;
    }
    close_opened(&o);
    free(inp);
    free(out);
    return cases;
}

/* Every ggml-vocab-NAME.gguf.inp in inp_dir whose .out sits beside it and whose
 * ggml-vocab-NAME.gguf is in gguf_dir; returns the vocabularies checked. */
static int run_vector_dir(const char *inp_dir, const char *gguf_dir) {
    DIR *d = opendir(inp_dir);
    if (!d)
        return 0;
    int vocabs = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (n < 9 || strncmp(e->d_name, "ggml-vocab-", 11) != 0 ||
            strcmp(e->d_name + n - 9, ".gguf.inp") != 0)
            continue;
        char inp[4096], out[4096], gguf[4096];
        snprintf(inp, sizeof inp, "%s/%s", inp_dir, e->d_name);
        snprintf(out, sizeof out, "%s/%.*s.out", inp_dir, (int)(n - 4), e->d_name);
        snprintf(gguf, sizeof gguf, "%s/%.*s", gguf_dir, (int)(n - 4), e->d_name);
        if (access(out, R_OK) != 0 || access(gguf, R_OK) != 0) {
            print_message("%s: no .out or no vocabulary beside it\n", e->d_name);
            continue;
        }
        int cases = run_vector_files(inp, out, gguf);
        print_message("%.*s: %d llama.cpp vectors pass\n", (int)(n - 9), e->d_name, cases);
        vocabs++;
    }
    closedir(d);
    return vocabs;
}

/* The vectors in ../shared/fixtures/tokenizer-vectors: every pre-tokenizer they cover
 * (deepseek-coder, deepseek-llm, falcon, mpt, phi-3, refact, starcoder, ...). */
static void test_tokenizer_llamacpp_fixture_vectors(void **state) {
    (void)state;
    ATS_REQUIRE_SHARED(inp_dir, "fixtures/tokenizer-vectors");
    ATS_REQUIRE_SHARED(gguf_dir, "fixtures/gguf");
    assert_true(run_vector_dir(inp_dir, gguf_dir) >= 7);
}

static void test_tokenizer_llamacpp_vector_files(void **state) {
    (void)state;
    const char *dir = getenv("ATS_LLAMACPP_MODELS");
    if (!dir || !*dir) {
        print_message("skipped: set ATS_LLAMACPP_MODELS to llama.cpp's models/ folder\n");
        skip();
    }
    assert_true(run_vector_dir(dir, dir) > 0);
}

/* ---- long texts --------------------------------------------------------------------------------
 */

/* About 64 KiB of mixed text: words, numbers, whitespace runs, accents, CJK, emoji. */
static char *long_text(size_t *len) {
    static const char unit[] = "Once upon a time, Lily saw 12345 big red balls.\n\n  Café naïve "
                               "résumé — 日本語のテキスト 🤗🎉 don't   stop\tnow! ";
    size_t n = 64 * 1024 / (sizeof unit - 1) + 1;
    char *s = malloc(n * (sizeof unit - 1) + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * (sizeof unit - 1), unit, sizeof unit - 1);
    *len = n * (sizeof unit - 1);
    s[*len] = '\0';
    return s;
}

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Tokenizes the long text; checks spans are ordered and, when `exact`, that they tile the
 * text (ignoring empty ones); returns the time taken. */
static double long_run(const opened *o, const char *what, bool exact) {
    size_t len;
    char *text = long_text(&len);
    double t0 = seconds();
    ats_tokens *toks = ats_tokens_new();
    ats_error err = {0};
    if (ats_tokenizer_encode(o->tok, text, len, false, toks, &err) != ATS_OK)
        fail_msg("%s: %s", what, err.message);
    double dt = seconds() - t0;
    int32_t at = 0;
    for (int i = 0; i < ats_tokens_count(toks); i++) {
        const ats_token *t = ats_tokens_get(toks, i);
        if (t->start == t->end)
            continue;
        if (exact ? t->start != at : t->start < at)
            fail_msg("%s: token %d starts at %d, previous ended at %d", what, i, t->start, at);
        at = t->end;
    }
    if (exact)
        assert_int_equal(at, (int32_t)len);
    print_message("%s: %d tokens from %zu bytes in %.3f s\n", what, ats_tokens_count(toks), len,
                  dt);
    ats_tokens_free(toks);
    free(text);
    return dt;
}

static void test_tokenizer_long_text(void **state) {
    (void)state;
    /* generous bounds: a quadratic step would take minutes on 64 KiB, not seconds */
    ATS_REQUIRE_SHARED(gpt2, "fixtures/hf/gpt2-tokenizer");
    opened o = open_hf(gpt2);
    assert_true(long_run(&o, "gpt2 tokenizer.json", true) < 20.0);
    close_opened(&o);
    ATS_REQUIRE_SHARED(llama, "fixtures/hf/stories260K-llama");
    o = open_hf(llama); /* no pre-tokenizer: the whole text is one piece */
    assert_true(long_run(&o, "stories260K tokenizer.json", true) < 20.0);
    close_opened(&o);
    ATS_REQUIRE_SHARED(bin, "fixtures/llama2c/tok512.bin");
    o = open_llama2c(bin);
    assert_true(long_run(&o, "tok512.bin", true) < 20.0);
    close_opened(&o);
    ATS_REQUIRE_SHARED(spm, "fixtures/gguf/ggml-vocab-llama-spm.gguf");
    o = open_gguf(spm);
    assert_true(long_run(&o, "llama-spm gguf", true) < 20.0);
    close_opened(&o);
    ATS_REQUIRE_SHARED(bert, "fixtures/hf/bert-tiniest");
    o = open_hf(bert); /* whitespace dropped: ordered spans, not a tiling */
    assert_true(long_run(&o, "bert tokenizer.json", false) < 20.0);
    close_opened(&o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenizer_gpt2_pieces_and_spans),
        cmocka_unit_test(test_tokenizer_bert_pieces_and_specials),
        cmocka_unit_test(test_tokenizer_sentencepiece_pieces),
        cmocka_unit_test(test_tokenizer_t5_unigram_spans),
        cmocka_unit_test(test_tokenizer_added_token_options),
        cmocka_unit_test(test_tokenizer_llamacpp_vectors_inline),
        cmocka_unit_test(test_tokenizer_llamacpp_fixture_vectors),
        cmocka_unit_test(test_tokenizer_llamacpp_vector_files),
        cmocka_unit_test(test_tokenizer_long_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
