/* Colormaps: the published viridis, magma and cividis tables, and two computed here in CIELAB so
 * that equal steps of the value are equal steps of perceived lightness:
 *
 *   greys     L* falls linearly from 100 (white) to 0 (black), a* = b* = 0;
 *   coolwarm  straight lines in L*a*b* from blue #3b4cc0 to a neutral grey #dddddd to red
 *             #b40426 (the end colours of Moreland's cool-warm map), so lightness rises evenly
 *             to the neutral middle and falls evenly after it.
 */
#include "colormap_data.h"
#include "render_internal.h"

#include <strings.h>

static const char *const NAMES[ATS_COLORMAP_COUNT] = {"viridis", "magma", "cividis", "greys",
                                                      "coolwarm"};

const char *ats_colormap_name(ats_colormap map) {
    return (unsigned)map < ATS_COLORMAP_COUNT ? NAMES[map] : "unknown";
}

bool ats_colormap_from_name(const char *name, ats_colormap *out) {
    if (!name)
        return false;
    for (int i = 0; i < ATS_COLORMAP_COUNT; i++)
        if (strcasecmp(name, NAMES[i]) == 0) {
            *out = (ats_colormap)i;
            return true;
        }
    if (strcasecmp(name, "diverging") == 0 || strcasecmp(name, "grays") == 0) {
        *out = strcasecmp(name, "grays") == 0 ? ATS_COLORMAP_GREYS : ATS_COLORMAP_COOLWARM;
        return true;
    }
    return false;
}

bool ats_colormap_is_diverging(ats_colormap map) {
    return map == ATS_COLORMAP_COOLWARM;
}

/* ---- CIELAB (D65 white) to sRGB ------------------------------------------------------------ */

typedef struct lab {
    double l, a, b;
} lab;

static double srgb_to_linear(double c) {
    return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static double linear_to_srgb(double c) {
    c = c < 0 ? 0 : c > 1 ? 1 : c;
    return c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1.0 / 2.4) - 0.055;
}

/* f(t) of the CIELAB definition and its inverse; the knee is at (6/29)^3. */
static double lab_f(double t) {
    const double d = 6.0 / 29.0;
    return t > d * d * d ? cbrt(t) : t / (3 * d * d) + 4.0 / 29.0;
}

static double lab_f_inv(double t) {
    const double d = 6.0 / 29.0;
    return t > d ? t * t * t : 3 * d * d * (t - 4.0 / 29.0);
}

static const double WHITE_X = 0.95047, WHITE_Y = 1.0, WHITE_Z = 1.08883;

static lab rgb_to_lab(double r8, double g8, double b8) {
    double r = srgb_to_linear(r8 / 255), g = srgb_to_linear(g8 / 255), b = srgb_to_linear(b8 / 255);
    /* linear sRGB -> XYZ (IEC 61966-2-1 matrix) */
    double x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b;
    double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
    double z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b;
    double fx = lab_f(x / WHITE_X), fy = lab_f(y / WHITE_Y), fz = lab_f(z / WHITE_Z);
    return (lab){116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)};
}

static ats_rgba lab_to_rgba(lab c) {
    double fy = (c.l + 16) / 116, fx = fy + c.a / 500, fz = fy - c.b / 200;
    double x = WHITE_X * lab_f_inv(fx), y = WHITE_Y * lab_f_inv(fy), z = WHITE_Z * lab_f_inv(fz);
    /* XYZ -> linear sRGB (inverse of the matrix above) */
    double r = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
    double g = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z;
    double b = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
    return (ats_rgba){(uint8_t)lround(255 * linear_to_srgb(r)),
                      (uint8_t)lround(255 * linear_to_srgb(g)),
                      (uint8_t)lround(255 * linear_to_srgb(b)), 255};
}

static lab lab_mix(lab p, lab q, double t) {
    return (lab){p.l + (q.l - p.l) * t, p.a + (q.a - p.a) * t, p.b + (q.b - p.b) * t};
}

static ats_rgba coolwarm(float t) {
    lab blue = rgb_to_lab(0x3b, 0x4c, 0xc0), mid = rgb_to_lab(0xdd, 0xdd, 0xdd),
        red = rgb_to_lab(0xb4, 0x04, 0x26);
    return t < 0.5f ? lab_to_rgba(lab_mix(blue, mid, 2.0 * t))
                    : lab_to_rgba(lab_mix(mid, red, 2.0 * t - 1.0));
}

/* ---- sampling ------------------------------------------------------------------------------ */

/* Linear interpolation between the two table entries around t * 255. */
static ats_rgba from_table(const float table[256][3], float t) {
    float f = t * 255.0f;
    int i = (int)f;
    if (i >= 255)
        i = 254;
    float w = f - (float)i;
    const float *p = table[i], *q = table[i + 1];
    return (ats_rgba){(uint8_t)lroundf(255.0f * (p[0] + (q[0] - p[0]) * w)),
                      (uint8_t)lroundf(255.0f * (p[1] + (q[1] - p[1]) * w)),
                      (uint8_t)lroundf(255.0f * (p[2] + (q[2] - p[2]) * w)), 255};
}

ats_rgba ats_colormap_sample(ats_colormap map, float t) {
    t = t > 0 ? (t < 1 ? t : 1) : 0; /* NaN compares false: low end */
    switch (map) {
    case ATS_COLORMAP_MAGMA:
        return from_table(ats_cmap_magma, t);
    case ATS_COLORMAP_CIVIDIS:
        return from_table(ats_cmap_cividis, t);
    case ATS_COLORMAP_GREYS:
        return lab_to_rgba((lab){100.0 * (1.0 - t), 0, 0});
    case ATS_COLORMAP_COOLWARM:
        return coolwarm(t);
    case ATS_COLORMAP_VIRIDIS:
    default:
        return from_table(ats_cmap_viridis, t);
    }
}

void ats_colormap_lut(ats_colormap map, ats_rgba lut[256]) {
    for (int i = 0; i < 256; i++)
        lut[i] = ats_colormap_sample(map, (float)i / 255.0f);
}
