/* The one number format of the views and the window: three significant digits, scientific
 * below 1e-3 and from 1e5 in magnitude, so that a small weight keeps its significance
 * ("0.00123" would read as "0.00" with two decimals). */
#include "render_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ats_format_number(char *out, size_t size, double v, ats_number_style style) {
    if (!out || size == 0)
        return 0;
    if (isnan(v))
        return snprintf(out, size, "nan");
    if (isinf(v))
        return snprintf(out, size, v > 0 ? "inf" : "-inf");
    if (v == 0)
        return snprintf(out, size, "0");
    double a = fabs(v);
    bool compact = style == ATS_NUMBER_COMPACT;
    if (compact && a < 1e-3) /* a cell has no room for an exponent: say it is nearly zero */
        return snprintf(out, size,
                        "\xE2\x89\x88"
                        "0");
    /* the decimal exponent after rounding to three digits ("9.996e-4" rounds to "1.00e-3") */
    char sci[32];
    snprintf(sci, sizeof sci, "%.2e", v);
    const char *e = strchr(sci, 'e');
    int exponent = e ? atoi(e + 1) : 0;
    if (exponent < -3 || exponent >= 5) {
        int mant = e ? (int)(e - sci) : (int)strlen(sci);
        return snprintf(out, size, "%.*se%d", mant, sci, exponent);
    }
    int decimals = exponent >= 2 ? 0 : 2 - exponent;
    char buf[48];
    snprintf(buf, sizeof buf, "%.*f", decimals, atof(sci)); /* "12345" -> "12300" */
    const char *s = buf;
    if (compact && a < 1.0) { /* "0.0456" -> ".0456", "-0.5" -> "-.500" */
        char *zero = strstr(buf, "0.");
        if (zero == buf || (zero == buf + 1 && buf[0] == '-'))
            memmove(zero, zero + 1, strlen(zero + 1) + 1);
    }
    return snprintf(out, size, "%s", s);
}
