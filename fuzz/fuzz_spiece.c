/* Any bytes as a spiece.model (the SentencePiece ModelProto): builds a Unigram tokenizer or fails
 * with a message; a built one encodes a mixed text (spaces to collapse, characters outside any
 * vocabulary, bytes for the character map) without crashing. */
#include "fuzz_file.h"
#include "tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char buf[FUZZ_PATH_SIZE];
    const char *path = fuzz_write_file(data, size, "spiece.model", buf);
    if (!path)
        return 0;
    ats_tokenizer *tok = NULL;
    if (ats_tokenizer_from_spiece(path, 1100, 100, &tok, NULL) == ATS_OK) {
        static const char text[] = "  Hello,   w\xC3\xB6rld! \xEF\xBC\xA1 ---  "
                                   "\xE6\x97\xA5\xE6\x9C\xAC <extra_id_0></s>\t\n";
        ats_tokens *tokens = ats_tokens_new();
        ats_tokenizer_encode(tok, text, sizeof text - 1, true, tokens, NULL);
        ats_tokens_free(tokens);
        ats_tokenizer_free(tok);
    }
    return 0;
}
