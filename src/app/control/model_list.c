/* The model picker's list: built-in models, recent ones from a small file, the Hugging Face
 * cache's snapshots, and the models in the working directory. */
#include "model_list.h"
#include "base.h"
#include "series.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const TITLES[ATS_MODEL_SOURCE_COUNT] = {"Built in", "Recent",
                                                           "Hugging Face cache", "This folder"};

const char *ats_model_source_title(ats_model_source source) {
    return (unsigned)source < ATS_MODEL_SOURCE_COUNT ? TITLES[source] : "";
}

void ats_model_list_free(ats_model_list *list) {
    for (int i = 0; i < list->n; i++) {
        free(list->entries[i].name);
        free(list->entries[i].path);
    }
    free(list->entries);
    *list = (ats_model_list){0};
}

static bool has_path(const ats_model_list *list, const char *path) {
    for (int i = 0; i < list->n; i++)
        if (strcmp(list->entries[i].path, path) == 0)
            return true;
    return false;
}

static bool add(ats_model_list *list, ats_model_source source, const char *name, const char *path) {
    if (has_path(list, path))
        return true;
    if (list->n == list->cap) {
        int cap = list->cap ? 2 * list->cap : 32;
        ats_model_entry *e = realloc(list->entries, (size_t)cap * sizeof *e);
        if (!e)
            return false;
        list->entries = e;
        list->cap = cap;
    }
    ats_model_entry e = {source, strdup(name), strdup(path)};
    if (!e.name || !e.path) {
        free(e.name);
        free(e.path);
        return false;
    }
    list->entries[list->n++] = e;
    return true;
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A cache folder's repository: "models--org--name..." -> "org/name" (up to a '/' or the end). */
static void repo_name(const char *folder, char *out, size_t size) {
    snprintf(out, size, "%s", folder + strlen("models--"));
    char *slash = strchr(out, '/');
    if (slash)
        *slash = '\0';
    for (char *s = strstr(out, "--"); s; s = strstr(s + 1, "--"))
        memmove(s + 1, s + 2, strlen(s + 2) + 1), *s = '/';
}

/* What the list calls a recent path: "org/name" (and its GGUF file) for one in the Hugging Face
 * cache, else its last part ("stories260K.gguf", "tiny-random-gpt2"). */
static void recent_name(const char *path, char *out, size_t size) {
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    const char *cache = strstr(path, "/models--");
    const char *base = path + n;
    while (base > path && base[-1] != '/')
        base--;
    if (cache) {
        repo_name(cache + 1, out, size);
        size_t m = strlen(out);
        if (ends_with(path, ".gguf") && m + 1 < size)
            snprintf(out + m, size - m, "/%.*s", (int)(path + n - base), base);
        return;
    }
    snprintf(out, size, "%.*s", (int)(path + n - base), base);
}

/* dir/name into out (false when it does not fit). */
static bool join(char *out, size_t size, const char *dir, const char *name) {
    int n = snprintf(out, size, "%s/%s", dir, name);
    return n > 0 && (size_t)n < size;
}

/* A folder attnscope opens as a model: config.json beside weights, or a training folder. */
static bool is_model_folder(const char *dir) {
    char p[4096];
    if (ats_series_is_training_folder(dir))
        return true;
    return join(p, sizeof p, dir, "config.json") && is_file(p);
}

/* A llama2.c checkpoint: a .bin with tokenizer.bin or tok*.bin beside it. */
static bool is_llama2c(const char *dir, const char *name) {
    if (!ends_with(name, ".bin") || strncmp(name, "tok", 3) == 0)
        return false;
    char p[4096];
    if (join(p, sizeof p, dir, "tokenizer.bin") && is_file(p))
        return true;
    DIR *d = opendir(dir);
    bool found = false;
    for (struct dirent *e; d && !found && (e = readdir(d));)
        found = strncmp(e->d_name, "tok", 3) == 0 && ends_with(e->d_name, ".bin");
    if (d)
        closedir(d);
    return found;
}

/* ---- recent ------------------------------------------------------------------------------- */

char *ats_model_recent_path(void) {
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char p[4096];
    if (xdg && *xdg)
        snprintf(p, sizeof p, "%s/attnscope/recent-models", xdg);
    else if (home && *home)
        snprintf(p, sizeof p, "%s/.config/attnscope/recent-models", home);
    else
        return NULL;
    return strdup(p);
}

typedef char recent_line[4096];

/* The recent paths, newest first (at most max), into lines; returns how many. */
static int read_recent(recent_line *lines, int max) {
    char *path = ats_model_recent_path();
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    int n = 0;
    while (f && n < max && fgets(lines[n], 4096, f)) {
        lines[n][strcspn(lines[n], "\r\n")] = '\0';
        if (lines[n][0])
            n++;
    }
    if (f)
        fclose(f);
    return n;
}

/* mkdir -p of the folder holding `file`. */
static bool make_parent(const char *file) {
    char p[4096];
    snprintf(p, sizeof p, "%s", file);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            return false;
        *s = '/';
    }
    return true;
}

bool ats_model_recent_add(const char *path) {
    if (!path || !*path || strncmp(path, "builtin:", 8) == 0)
        return true;
    char *full = realpath(path, NULL);
    const char *p = full ? full : path;
    recent_line *lines = malloc(ATS_MODEL_RECENT_MAX * sizeof *lines);
    int n = lines ? read_recent(lines, ATS_MODEL_RECENT_MAX) : 0;
    size_t cap = strlen(p) + 2 + (size_t)n * 4097, len = 0;
    char *text = malloc(cap), *file = ats_model_recent_path();
    bool ok = lines && text && file;
    if (ok) {
        len += (size_t)snprintf(text, cap, "%s\n", p);
        for (int i = 0, kept = 1; i < n && kept < ATS_MODEL_RECENT_MAX; i++)
            if (strcmp(lines[i], p) != 0) {
                len += (size_t)snprintf(text + len, cap - len, "%s\n", lines[i]);
                kept++;
            }
        ok = make_parent(file) && ats_write_file_atomic(file, text, len, NULL) == ATS_OK;
    }
    free(lines);
    free(text);
    free(file);
    free(full);
    return ok;
}

/* ---- the Hugging Face cache ---------------------------------------------------------------- */

static bool hf_hub(char *out, size_t size) {
    const char *cache = getenv("HF_HUB_CACHE"), *hf = getenv("HF_HOME"), *home = getenv("HOME");
    int n;
    if (cache && *cache)
        n = snprintf(out, size, "%s", cache);
    else if (hf && *hf)
        n = snprintf(out, size, "%s/hub", hf);
    else if (home && *home)
        n = snprintf(out, size, "%s/.cache/huggingface/hub", home);
    else
        return false;
    return n > 0 && (size_t)n < size && is_dir(out);
}

/* The newest snapshot of one repository folder (models--org--name), into out. */
static bool newest_snapshot(const char *repo, char *out, size_t size) {
    char snaps[4096];
    if (!join(snaps, sizeof snaps, repo, "snapshots"))
        return false;
    DIR *d = opendir(snaps);
    if (!d)
        return false;
    time_t best = 0;
    bool found = false;
    for (struct dirent *e; (e = readdir(d));) {
        char p[4096];
        struct stat st;
        if (e->d_name[0] == '.' || !join(p, sizeof p, snaps, e->d_name) || stat(p, &st) != 0 ||
            !S_ISDIR(st.st_mode) || (found && st.st_mtime <= best))
            continue;
        best = st.st_mtime;
        found = snprintf(out, size, "%s", p) < (int)size;
    }
    closedir(d);
    return found;
}

static bool scan_hf(ats_model_list *list) {
    char hub[4096];
    if (!hf_hub(hub, sizeof hub))
        return true;
    DIR *d = opendir(hub);
    bool ok = true;
    for (struct dirent *e; ok && d && (e = readdir(d));) {
        if (strncmp(e->d_name, "models--", 8) != 0)
            continue;
        char repo[4096], snap[4096], name[512];
        if (!join(repo, sizeof repo, hub, e->d_name) || !newest_snapshot(repo, snap, sizeof snap))
            continue;
        repo_name(e->d_name, name, sizeof name);
        if (is_model_folder(snap))
            ok = add(list, ATS_MODEL_HF_CACHE, name, snap);
        DIR *sd = opendir(snap); /* and its GGUF files */
        for (struct dirent *f; ok && sd && (f = readdir(sd));) {
            char p[4096], label[1024];
            if (!ends_with(f->d_name, ".gguf") || !join(p, sizeof p, snap, f->d_name))
                continue;
            snprintf(label, sizeof label, "%s/%s", name, f->d_name);
            ok = add(list, ATS_MODEL_HF_CACHE, label, p);
        }
        if (sd)
            closedir(sd);
    }
    if (d)
        closedir(d);
    return ok;
}

/* ---- the working directory ------------------------------------------------------------------ */

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool scan_here(ats_model_list *list, const char *cwd) {
    DIR *d = opendir(cwd);
    if (!d)
        return true;
    char **names = NULL;
    int n = 0, cap = 0;
    bool ok = true;
    for (struct dirent *e; ok && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **grown = realloc(names, (size_t)(cap ? 2 * cap : 64) * sizeof *grown);
            ok = grown != NULL;
            if (!ok)
                break;
            names = grown;
            cap = cap ? 2 * cap : 64;
        }
        ok = (names[n] = strdup(e->d_name)) != NULL;
        n += ok;
    }
    closedir(d);
    if (names)
        qsort(names, (size_t)n, sizeof *names, by_name);
    for (int i = 0; i < n; i++) {
        char p[4096];
        if (ok && join(p, sizeof p, cwd, names[i]) &&
            (is_dir(p) ? is_model_folder(p)
                       : ends_with(names[i], ".gguf") || is_llama2c(cwd, names[i])))
            ok = add(list, ATS_MODEL_HERE, names[i], p);
        free(names[i]);
    }
    free(names);
    return ok;
}

bool ats_model_list_scan(ats_model_list *list, const char *cwd) {
    ats_model_list_free(list);
    bool ok =
        add(list, ATS_MODEL_BUILTIN, "builtin:demo  (hand-built heads)", "builtin:demo") &&
        add(list, ATS_MODEL_BUILTIN, "builtin:tiny  (learned induction heads)", "builtin:tiny");
    recent_line *lines = malloc(ATS_MODEL_RECENT_MAX * sizeof *lines);
    int n = lines ? read_recent(lines, ATS_MODEL_RECENT_MAX) : 0;
    ok = ok && lines;
    for (int i = 0; ok && i < n; i++)
        if (is_dir(lines[i]) || is_file(lines[i])) {
            char name[1024];
            recent_name(lines[i], name, sizeof name);
            ok = add(list, ATS_MODEL_RECENT, name, lines[i]);
        }
    free(lines);
    ok = ok && scan_hf(list);
    ok = ok && scan_here(list, cwd ? cwd : ".");
    return ok;
}
