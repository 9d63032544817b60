/* The pre-tokenizers of GGUF byte-level BPE vocabularies, by tokenizer.ggml.pre: the names
 * llama.cpp's llama-vocab.cpp knows, each with the regexes it splits the text by (each regex in
 * turn isolates its matches and keeps the text between them as pieces, as Hugging Face's Split
 * with behavior Isolated does) and the switches that go with it.
 *
 * llama.cpp rewrites a few Hugging Face patterns for its own regex engine ("(?i:'s|'t)" as
 * "'[sS]|'[tT]"); the patterns here are the tokenizer.json originals, which PCRE2 runs as they
 * are. Names whose splitting llama.cpp does by hand-written code rather than a regex (kimi-k2,
 * afmoe, superbpe) or on raw UTF-8 instead of GPT-2's byte alphabet (gemma4, whitespace) are
 * refused, as is any name llama.cpp does not know: a wrong guess would give other ids silently.
 */
#include "tok_internal.h"

#include <stdio.h>
#include <string.h>

/* GPT-2's pattern and the families derived from it. */
#define PAT_GPT2                                                                                   \
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
#define PAT_CONTRACTIONS "(?i:'s|'t|'re|'ve|'m|'ll|'d)"
#define PAT_LLAMA3                                                                                 \
    PAT_CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"  \
                     "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define PAT_QWEN2                                                                                  \
    PAT_CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"       \
                     "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
/* Letters split by case (a word's capitals start a new piece), as in GPT-4o and Mistral's
 * tekken; SUFFIX is what may follow a word. */
#define PAT_UPPER "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]"
#define PAT_LOWER "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]"
#define PAT_CASED(SUFFIX, DIGITS)                                                                  \
    "[^\\r\\n\\p{L}\\p{N}]?" PAT_UPPER "*" PAT_LOWER "+" SUFFIX                                    \
    "|[^\\r\\n\\p{L}\\p{N}]?" PAT_UPPER "+" PAT_LOWER "*" SUFFIX "|" DIGITS                        \
    "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define PAT_DEEPSEEK3_WORDS                                                                        \
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?"           \
    "[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

/* deepseek-llm's letters: the cased ones (A-Z, a-z and their kin in other scripts). */
#define DEEPSEEK_LLM_LETTERS                                                                       \
    "A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}\\x{1C4}"         \
    "-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}"         \
    "\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}"         \
    "\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-"           \
    "\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-"                 \
    "\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-"                 \
    "\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-"         \
    "\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}\\x{1FC6}"         \
    "-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-"                \
    "\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-"         \
    "\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}"          \
    "\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}"         \
    "\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}"         \
    "-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-"                \
    "\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-"                 \
    "\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-"          \
    "\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}"
/* BLOOM: anything but spaces and sentence punctuation (the parentheses and | are literal). */
#define PAT_BLOOM " ?[^(\\s|.,!?\\x{2026}\\x{3002}\\x{FF0C}\\x{3001}\\x{964}\\x{6D4}\\x{60C})]+"
/* CJK ideographs, the blocks from U+0800 up to them, and Hangul syllables. */
#define CJK_HANGUL "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+"

typedef struct pre_variant {
    const char *const *names; /* tokenizer.ggml.pre values */
    const char *const *regexes;
    bool ignore_merges; /* a piece that is a whole token is taken as is */
    bool add_bos;       /* llama.cpp adds BOS unless tokenizer.ggml.add_bos_token says no */
    bool add_sep;       /* llama.cpp appends the separator token (RoBERTa-style) */
} pre_variant;

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

static const pre_variant VARIANTS[] = {
    {LIST("default"), LIST("[\\p{P}\\$\\+<=>\\^~\\|]+", PAT_GPT2, "\\p{N}+", "[0-9][0-9][0-9]"),
     false, false, false},
    {LIST("llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2"),
     LIST(PAT_LLAMA3), true, true, false},
    {LIST("dbrx", "smaug-bpe", "chatglm-bpe", "glm4"), LIST(PAT_LLAMA3), false, false, false},
    {LIST("deepseek-llm"),
     LIST("[\r\n]", "\\s?[" DEEPSEEK_LLM_LETTERS "]+",
          "\\s?[!-/"
          ":-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+",
          "\\s+$", CJK_HANGUL, "\\p{N}+"),
     false, false, false},
    {LIST("deepseek-coder"), LIST("[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", CJK_HANGUL, "\\p{N}"),
     false, false, false},
    {LIST("deepseek-v3", "hunyuan-dense", "joyai-llm"),
     LIST("\\p{N}{1,3}", "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
          PAT_DEEPSEEK3_WORDS),
     false, false, false},
    {LIST("falcon"), LIST("[\\p{P}\\$\\+<=>\\^~\\|`]+", PAT_GPT2, "[0-9][0-9][0-9]"), false, false,
     false},
    {LIST("starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"),
     LIST("\\p{N}", PAT_GPT2), false, false, false},
    {LIST("gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
          "mellum", "modern-bert", "mpt", "olmo", "jais", "trillion", "granite-docling", "exaone4"),
     LIST(PAT_GPT2), false, false, false},
    {LIST("jina-v1-en", "jina-v2-code", "roberta-bpe"), LIST(PAT_GPT2), false, false, true},
    {LIST("qwen2", "deepseek-r1-qwen", "kormo", "stablelm2", "megrez", "hunyuan", "solar-open",
          "grok-2"),
     LIST(PAT_QWEN2), false, false, false},
    {LIST("qwen35"),
     LIST(PAT_CONTRACTIONS
          "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+"
          "[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
     false, false, false},
    {LIST("poro-chat", "bloom", "gpt3-finnish"), LIST(PAT_BLOOM), false, false, false},
    {LIST("viking"), LIST(PAT_BLOOM, "\\p{N}"), false, false, false},
    {LIST("tekken"), LIST(PAT_CASED("", "\\p{N}")), true, true, false},
    {LIST("gpt-4o", "llama4", "minimax-m2"), LIST(PAT_CASED(PAT_CONTRACTIONS "?", "\\p{N}{1,3}")),
     false, false, false},
    {LIST("chameleon"),
     LIST("<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )",
          "\\p{N}", "[\\p{P}!-/:-@\\[-`{-~]", PAT_GPT2),
     false, true, false},
    {LIST("bailingmoe", "bailingmoe2", "llada-moe"),
     LIST("'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]++"
          "[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"),
     false, false, false},
    {LIST("seed-coder"),
     LIST(PAT_CONTRACTIONS "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|"
                           "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
     false, false, false},
};

/* Names llama.cpp knows but splits without a regex or without GPT-2's byte alphabet. */
static const char *const REFUSED[] = {"kimi-k2", "afmoe", "superbpe", "gemma4", "whitespace", NULL};

static bool listed(const char *const *names, const char *name, size_t len) {
    for (; *names; names++) {
        if (strlen(*names) == len && memcmp(*names, name, len) == 0)
            return true;
    }
    return false;
}

ats_status ats_tok_gguf_pre(tok_pipeline *t, const char *name, size_t len, bool *add_bos,
                            bool *add_sep, ats_error *err) {
    int shown = (int)(len > 48 ? 48 : len);
    if (listed(REFUSED, name, len))
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "%s: pre-tokenizer '%.*s' (tokenizer.ggml.pre) is not supported: llama.cpp "
                        "splits it with code of its own rather than a regex",
                        t->source, shown, name);
    for (size_t v = 0; v < sizeof VARIANTS / sizeof VARIANTS[0]; v++) {
        const pre_variant *p = &VARIANTS[v];
        if (!listed(p->names, name, len))
            continue;
        ats_status st = ATS_OK;
        for (const char *const *re = p->regexes; *re && st == ATS_OK; re++)
            st = ats_tok_pipeline_add_regex_split(t, *re, TOK_SPLIT_ISOLATED, false, err);
        t->model.ignore_merges = p->ignore_merges;
        *add_bos = p->add_bos;
        *add_sep = p->add_sep;
        return st;
    }
    return ats_fail(err, ATS_ERR_UNSUPPORTED,
                    "%s: unknown pre-tokenizer '%.*s' (tokenizer.ggml.pre); attnscope knows the "
                    "names llama.cpp knows and will not guess how to split the text",
                    t->source, shown, name);
}
