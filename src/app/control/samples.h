/* The sample sentences the side panel's menu offers, from assets/sample-sentences.txt
 * ("label<TAB>sentence" lines, '#' comments), found by ats_asset_path (base.h: beside the
 * executable, in an installed tree, or in the source tree). Without it the menu holds the
 * window's default sentence alone. */
#ifndef ATS_APP_SAMPLES_H
#define ATS_APP_SAMPLES_H

#include <stdbool.h>

typedef struct ats_samples {
    int n;
    char **labels; /* (n) */
    char **texts;  /* (n) */
    char *path;    /* the file read, or NULL for the built-in fallback */
} ats_samples;

/* Finds and reads the file; never fails (the fallback when nothing is found). */
void ats_samples_load(ats_samples *out);
/* Parses the file's contents; false when out of memory. Lines without a tab are skipped. */
bool ats_samples_parse(ats_samples *out, const char *data);
/* Reads one file; false when it cannot be read or holds no sentence. */
bool ats_samples_read(ats_samples *out, const char *path);
void ats_samples_free(ats_samples *s);

#endif
