/* Any bytes as a folder's tokenizer.json: builds a tokenizer or fails with a message; a built
 * one encodes a mixed text without crashing. */
#include "tokenizer.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char dir[128], path[192];
    snprintf(dir, sizeof dir, "/dev/shm/attnscope-fuzz-tok-%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    ats_tokenizer *tok = NULL;
    if (ats_tokenizer_from_hf_folder(dir, &tok, NULL) == ATS_OK) {
        static const char text[] = "Hello, wörld! 12 345  日本語 <s> [CLS] \xf0\x9f\x99\x82\n";
        ats_tokens *tokens = ats_tokens_new();
        ats_tokenizer_encode(tok, text, sizeof text - 1, true, tokens, NULL);
        ats_tokens_free(tokens);
        ats_tokenizer_free(tok);
    }
    return 0;
}
