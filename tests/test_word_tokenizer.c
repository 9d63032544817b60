/* The demo's word tokenizer: words, punctuation, spans into the text, ids by case-folded word. */
#include "test_support.h"

#include "attnscope/engine.h"

#include <string.h>

static ats_model *demo(void) {
    ats_model *m = NULL;
    assert_int_equal(ats_model_load("builtin:demo", NULL, &m, NULL), ATS_OK);
    return m;
}

/* Tokenizes and checks the pieces (joined by '|') and that each span holds its piece. */
static void expect_pieces(const char *text, const char *joined) {
    ats_model *m = demo();
    ats_tokens *tokens;
    ats_error err;
    if (ats_tokenize(m, text, strlen(text), NULL, &tokens, &err) != ATS_OK)
        fail_msg("%s", err.message);
    char got[512] = "";
    for (int i = 0; i < ats_tokens_count(tokens); i++) {
        const ats_token *t = ats_tokens_get(tokens, i);
        assert_true(t->start >= 0 && t->start < t->end && (size_t)t->end <= strlen(text));
        assert_int_equal((size_t)(t->end - t->start), strlen(t->piece));
        assert_memory_equal(text + t->start, t->piece, strlen(t->piece));
        assert_false(t->special);
        if (i)
            strcat(got, "|");
        strcat(got, t->piece);
    }
    assert_string_equal(got, joined);
    ats_tokens_free(tokens);
    ats_model_free(m);
}

static void test_word_tokenizer_words_and_punctuation(void **state) {
    (void)state;
    expect_pieces("Hello, world!", "Hello|,|world|!");
    expect_pieces("The animal didn't cross.", "The|animal|didn't|cross|.");
    expect_pieces("rock'n'roll 'quoted'", "rock'n'roll|'|quoted|'");
    expect_pieces("wait... what?!", "wait|.|.|.|what|?|!");
    expect_pieces("  tabs\tand\nnewlines  ", "tabs|and|newlines");
    expect_pieces("3.14 and 42", "3|.|14|and|42");
    expect_pieces("snake_case e-mail", "snake_case|e|-|mail");
}

static void test_word_tokenizer_unicode(void **state) {
    (void)state;
    expect_pieces("naïve café", "naïve|café");
    expect_pieces("Zürich’s 東京 🙂!", "Zürich’s|東京|🙂|!");
    expect_pieces("e\xcc\x81t\xc3\xa9", "e\xcc\x81t\xc3\xa9"); /* combining accent stays in */
}

static void test_word_tokenizer_ids_ignore_case(void **state) {
    (void)state;
    ats_model *m = demo();
    ats_tokens *tokens;
    const char *text = "The the THE cat";
    assert_int_equal(ats_tokenize(m, text, strlen(text), NULL, &tokens, NULL), ATS_OK);
    assert_int_equal(ats_tokens_count(tokens), 4);
    int32_t the = ats_tokens_get(tokens, 0)->id;
    assert_int_equal(ats_tokens_get(tokens, 1)->id, the);
    assert_int_equal(ats_tokens_get(tokens, 2)->id, the);
    assert_int_not_equal(ats_tokens_get(tokens, 3)->id, the);
    assert_true(the >= 0);
    ats_tokens_free(tokens);
    ats_model_free(m);
}

static void test_word_tokenizer_empty_and_invalid(void **state) {
    (void)state;
    ats_model *m = demo();
    ats_tokens *tokens;
    assert_int_equal(ats_tokenize(m, "", 0, NULL, &tokens, NULL), ATS_OK);
    assert_int_equal(ats_tokens_count(tokens), 0);
    ats_tokens_free(tokens);

    ats_error err;
    const char bad[] = "ok \xe6\x97 broken";
    assert_int_equal(ats_tokenize(m, bad, sizeof bad - 1, NULL, &tokens, &err), ATS_ERR_FORMAT);
    assert_null(tokens);
    assert_non_null(strstr(err.message, "UTF-8"));
    assert_non_null(strstr(err.message, "byte 3"));

    ats_run *run;
    assert_int_equal(ats_run_text(m, "   ", 3, NULL, &run, &err), ATS_ERR_ARG);
    assert_null(run);
    assert_non_null(strstr(err.message, "no tokens"));
    ats_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word_tokenizer_words_and_punctuation),
        cmocka_unit_test(test_word_tokenizer_unicode),
        cmocka_unit_test(test_word_tokenizer_ids_ignore_case),
        cmocka_unit_test(test_word_tokenizer_empty_and_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
