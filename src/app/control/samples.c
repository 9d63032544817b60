#include "samples.h"

#include "app.h"
#include "base.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILE_NAME "sample-sentences.txt"

void ats_samples_free(ats_samples *s) {
    for (int i = 0; i < s->n; i++) {
        free(s->labels[i]);
        free(s->texts[i]);
    }
    free(s->labels);
    free(s->texts);
    free(s->path);
    *s = (ats_samples){0};
}

static bool add(ats_samples *s, const char *label, size_t label_len, const char *text,
                size_t text_len) {
    char **l = realloc(s->labels, (size_t)(s->n + 1) * sizeof *l);
    if (l)
        s->labels = l;
    char **t = l ? realloc(s->texts, (size_t)(s->n + 1) * sizeof *t) : NULL;
    if (t)
        s->texts = t;
    char *a = t ? strndup(label, label_len) : NULL;
    char *b = a ? strndup(text, text_len) : NULL;
    if (!b) {
        free(a);
        return false;
    }
    s->labels[s->n] = a;
    s->texts[s->n] = b;
    s->n++;
    return true;
}

bool ats_samples_parse(ats_samples *out, const char *data) {
    *out = (ats_samples){0};
    for (const char *line = data; *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (n > 0 && line[n - 1] == '\r')
            n--;
        const char *tab = memchr(line, '\t', n);
        if (line[0] != '#' && tab && tab > line && (size_t)(tab - line) + 1 < n &&
            !add(out, line, (size_t)(tab - line), tab + 1, n - (size_t)(tab - line) - 1)) {
            ats_samples_free(out);
            return false;
        }
        line = end ? end + 1 : line + n;
    }
    return true;
}

bool ats_samples_read(ats_samples *out, const char *path) {
    *out = (ats_samples){0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char *data = malloc(1 << 16);
    size_t n = data ? fread(data, 1, (1 << 16) - 1, f) : 0;
    fclose(f);
    if (!data)
        return false;
    data[n] = '\0';
    bool ok = ats_samples_parse(out, data) && out->n > 0;
    free(data);
    if (ok)
        out->path = strdup(path);
    else
        ats_samples_free(out);
    return ok;
}

void ats_samples_load(ats_samples *out) {
    char path[4096];
    if (ats_asset_path(FILE_NAME, path, sizeof path) && ats_samples_read(out, path))
        return;
    *out = (ats_samples){0};
    const char *label = "The animal", *text = ATS_APP_SAMPLE_TEXT;
    add(out, label, strlen(label), text, strlen(text));
}
