/* Images compared with a golden PNG exactly: every channel of every pixel, and the size. On a
 * mismatch the drawn image and a diff (each differing pixel red over a faded copy of the golden
 * one) are written as <build>/tests/output/golden/<name>-actual.png and <name>-diff.png, and the
 * message names them. With ATS_UPDATE_GOLDEN=1 in the environment the golden file is rewritten
 * instead. Header-only (it needs the render library, which the support library does not link). */
#ifndef ATS_GOLDEN_IMAGE_H
#define ATS_GOLDEN_IMAGE_H

#include "attnscope/render.h"
#include "base.h"
#include "test_support.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static inline void golden_mkdir_p(const char *path) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        fail_msg("%s: cannot create: %s", buf, strerror(errno));
}

static inline void golden_write_png(const char *path, const uint8_t *px, int w, int h) {
    ats_canvas c = ats_canvas_make((uint8_t *)px, w, h, w * 4);
    uint8_t *png;
    size_t len;
    ats_error err;
    if (ats_png_encode(&c, NULL, &png, &len, &err) != ATS_OK ||
        ats_write_file_atomic(path, png, len, &err) != ATS_OK)
        fail_msg("%s: %s", path, err.message);
    free(png);
}

/* Pixels where any channel differs; *worst gets the largest channel difference. */
static inline long golden_count_differences(const uint8_t *want, const uint8_t *got, int w, int h,
                                            int *worst) {
    long differing = 0;
    *worst = 0;
    for (size_t i = 0; i < (size_t)w * h * 4; i += 4) {
        int m = 0;
        for (int k = 0; k < 4; k++) {
            int d = abs(want[i + k] - got[i + k]);
            m = d > m ? d : m;
        }
        differing += m > 0;
        *worst = m > *worst ? m : *worst;
    }
    return differing;
}

/* Differences in red over a faded copy of the expected image. */
static inline uint8_t *golden_diff_image(const uint8_t *want, const uint8_t *got, int w, int h) {
    uint8_t *d = malloc((size_t)w * h * 4);
    assert_non_null(d);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        const uint8_t *a = want + 4 * i;
        bool same = memcmp(a, got + 4 * i, 4) == 0;
        uint8_t grey = (uint8_t)(191 + (a[0] + a[1] + a[2]) / 12);
        uint8_t *o = d + 4 * i;
        o[0] = same ? grey : 255;
        o[1] = same ? grey : 0;
        o[2] = same ? grey : 0;
        o[3] = 255;
    }
    return d;
}

/* Compares `got` (w x h RGBA8, stride 4 * w) with the PNG `golden`. True when equal (or the
 * golden file was rewritten); false with one paragraph in `why` otherwise. */
static inline bool golden_image_check(const char *golden, const char *name, const uint8_t *got,
                                      int w, int h, char *why, size_t why_size) {
    const char *update = getenv("ATS_UPDATE_GOLDEN");
    if (update && strcmp(update, "1") == 0) {
        golden_write_png(golden, got, w, h);
        print_message("updated %s (%d x %d)\n", golden, w, h);
        return true;
    }
    char actual[1200], diff[1200];
    golden_mkdir_p(ATS_TEST_OUTPUT_DIR "/golden");
    snprintf(actual, sizeof actual, "%s/golden/%s-actual.png", ATS_TEST_OUTPUT_DIR, name);
    snprintf(diff, sizeof diff, "%s/golden/%s-diff.png", ATS_TEST_OUTPUT_DIR, name);
    uint8_t *want;
    int ww, wh;
    ats_error err;
    if (ats_png_read(golden, &want, &ww, &wh, &err) != ATS_OK) {
        golden_write_png(actual, got, w, h);
        snprintf(why, why_size, "%s: %s\nactual image: %s (ATS_UPDATE_GOLDEN=1 creates it)", name,
                 err.message, actual);
        return false;
    }
    bool same = ww == w && wh == h;
    int worst = 0;
    long differing = same ? golden_count_differences(want, got, w, h, &worst) : 0;
    if (!same) {
        golden_write_png(actual, got, w, h);
        snprintf(why, why_size, "%s: drawn %d x %d, golden %d x %d\nactual image: %s", name, w, h,
                 ww, wh, actual);
    } else if (differing > 0) {
        golden_write_png(actual, got, w, h);
        uint8_t *d = golden_diff_image(want, got, w, h);
        golden_write_png(diff, d, w, h);
        free(d);
        snprintf(why, why_size,
                 "%s: %ld of %d pixels differ (largest channel difference %d)\n"
                 "actual image: %s\ndiff image:   %s",
                 name, differing, w * h, worst, actual, diff);
    }
    free(want);
    return same && differing == 0;
}

#endif
