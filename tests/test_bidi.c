/* Right-to-left text in visual order (render.h: ats_bidi_runs, FriBidi): the runs of one
 * direction placed left to right on screen, checked against the Unicode bidirectional algorithm
 * worked by hand. */
#include "test_support.h"

#include <attnscope/render.h>
#include <string.h>

#define HEB "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D"         /* שלום, 8 bytes */
#define ARA "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7" /* مرحبا, 10 bytes */

static void test_bidi_latin_is_one_run(void **state) {
    (void)state;
    ats_bidi_run r[8];
    const char *s = "The cat sat.";
    assert_int_equal(ats_bidi_runs(s, strlen(s), false, r, 8), 1);
    assert_int_equal(r[0].start, 0);
    assert_int_equal(r[0].end, strlen(s));
    assert_false(r[0].rtl);
    assert_int_equal(ats_bidi_runs("", 0, false, r, 8), 0);
}

static void test_bidi_hebrew_in_latin_line(void **state) {
    (void)state;
    /* "a שלום b" in a left-to-right line: "a ", the Hebrew word (drawn from its right end),
     * " b" */
    const char *s = "a " HEB " b";
    ats_bidi_run r[8];
    int n = ats_bidi_runs(s, strlen(s), false, r, 8);
    assert_int_equal(n, 3);
    assert_int_equal(r[0].start, 0);
    assert_int_equal(r[0].end, 2);
    assert_false(r[0].rtl);
    assert_int_equal(r[1].start, 2);
    assert_int_equal(r[1].end, 10);
    assert_true(r[1].rtl);
    assert_int_equal(r[2].start, 10);
    assert_false(r[2].rtl);
}

static void test_bidi_arabic_paragraph_reverses_words(void **state) {
    (void)state;
    /* An Arabic paragraph typed by someone (its direction from its first letter): two Arabic
     * words and a Latin one, "ARA1 ARA2 abc", read right to left: on screen, left to right,
     * "abc" comes first, then the second Arabic word, then the first. */
    const char *s = ARA " " ARA " abc";
    ats_bidi_run r[8];
    int n = ats_bidi_runs(s, strlen(s), true, r, 8);
    assert_true(n >= 2);
    assert_false(r[0].rtl); /* "abc" leftmost */
    assert_int_equal(r[0].start, strlen(ARA " " ARA " "));
    assert_int_equal(r[0].end, strlen(s));
    assert_true(r[n - 1].rtl); /* the Arabic words rightmost, starting with the first */
    assert_int_equal(r[n - 1].start, 0);
    /* and the same line forced left to right keeps the Arabic first */
    n = ats_bidi_runs(s, strlen(s), false, r, 8);
    assert_true(r[0].rtl);
    assert_int_equal(r[0].start, 0);
    assert_false(r[n - 1].rtl);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bidi_latin_is_one_run),
        cmocka_unit_test(test_bidi_hebrew_in_latin_line),
        cmocka_unit_test(test_bidi_arabic_paragraph_reverses_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
