/* The one number format of the views (render.h: ats_format_number): three significant digits,
 * scientific below 1e-3 and from 1e5, compact cells without the leading zero. Expected strings
 * written by hand. */
#include "test_support.h"

#include <attnscope/render.h>
#include <math.h>
#include <string.h>

static void expect(double v, ats_number_style style, const char *want) {
    char got[32];
    ats_format_number(got, sizeof got, v, style);
    if (strcmp(got, want) != 0)
        fail_msg("%.9g formats as \"%s\", not \"%s\"", v, got, want);
}

static void test_number_plain_keeps_three_digits(void **state) {
    (void)state;
    expect(0, ATS_NUMBER_PLAIN, "0");
    expect(1, ATS_NUMBER_PLAIN, "1.00");
    expect(0.5, ATS_NUMBER_PLAIN, "0.500");
    expect(0.0456, ATS_NUMBER_PLAIN, "0.0456");
    expect(0.004, ATS_NUMBER_PLAIN, "0.00400"); /* was "0.00" before issue 14 */
    expect(0.0012345, ATS_NUMBER_PLAIN, "0.00123");
    expect(-12.34, ATS_NUMBER_PLAIN, "-12.3");
    expect(320.4, ATS_NUMBER_PLAIN, "320");
    expect(12345, ATS_NUMBER_PLAIN, "12300");
    /* scientific below 1e-3 and from 1e5 */
    expect(0.000456, ATS_NUMBER_PLAIN, "4.56e-4");
    expect(1.47e-18, ATS_NUMBER_PLAIN, "1.47e-18");
    expect(-3.2e-7, ATS_NUMBER_PLAIN, "-3.20e-7");
    expect(123456, ATS_NUMBER_PLAIN, "1.23e5");
    /* rounding decides the exponent: 0.0009996 is 1.00e-3 */
    expect(0.0009996, ATS_NUMBER_PLAIN, "0.00100");
    expect(99999.9, ATS_NUMBER_PLAIN, "1.00e5");
    expect(NAN, ATS_NUMBER_PLAIN, "nan");
    expect(INFINITY, ATS_NUMBER_PLAIN, "inf");
    expect(-INFINITY, ATS_NUMBER_PLAIN, "-inf");
}

static void test_number_compact_for_cells(void **state) {
    (void)state;
    expect(0.0456, ATS_NUMBER_COMPACT, ".0456");
    expect(-0.5, ATS_NUMBER_COMPACT, "-.500");
    expect(0.998, ATS_NUMBER_COMPACT, ".998");
    expect(1.0, ATS_NUMBER_COMPACT, "1.00");
    expect(-2.35, ATS_NUMBER_COMPACT, "-2.35");
    expect(0.00567, ATS_NUMBER_COMPACT, ".00567");
    /* no room for an exponent: nonzero under 1e-3 is "nearly zero" */
    expect(0.0004, ATS_NUMBER_COMPACT,
           "\xE2\x89\x88"
           "0");
    expect(0, ATS_NUMBER_COMPACT, "0");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_plain_keeps_three_digits),
        cmocka_unit_test(test_number_compact_for_cells),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
