/* Any bytes as a tokenizer.json, seeded with Unigram models (pieces with scores, unk_id, byte
 * fallback, a Precompiled character map in base64, Metaspace): builds a tokenizer or fails with
 * a message; a built one encodes texts that reach the Viterbi search's unknown runs, the byte
 * fallback and the grapheme clusters of the Precompiled normalizer without crashing. */
#include "tokenizer.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char dir[128], path[192];
    snprintf(dir, sizeof dir, "/dev/shm/attnscope-fuzz-unigram-%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    ats_tokenizer *tok = NULL;
    if (ats_tokenizer_from_hf_folder(dir, &tok, NULL) == ATS_OK) {
        /* CJK outside the vocabulary, e + combining accent, a ZWJ emoji cluster */
        static const char mixed[] = "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E e\xCC\x81 "
                                    "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB";
        static const char *const texts[] = {"Hello   world", mixed, "ab cd ef ---......", ""};
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
            ats_tokens *tokens = ats_tokens_new();
            size_t n = 0;
            while (texts[i][n])
                n++;
            ats_tokenizer_encode(tok, texts[i], n, true, tokens, NULL);
            ats_tokens_free(tokens);
        }
        ats_tokenizer_free(tok);
    }
    return 0;
}
