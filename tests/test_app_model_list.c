/* The model picker's list (model_list.h): built-in models, the recent ones (newest first, by a
 * short name), the Hugging Face cache's newest snapshots and their GGUF files, and the models
 * in the working directory, in a made-up home folder. */
#include "test_support.h"
#include "model_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void touch(const char *dir, const char *name) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("{}", f);
    fclose(f);
}

static void mkdirs(const char *path) {
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    mkdir(p, 0755);
}

static const ats_model_entry *find(const ats_model_list *l, ats_model_source src,
                                   const char *name) {
    for (int i = 0; i < l->n; i++)
        if (l->entries[i].source == src && strcmp(l->entries[i].name, name) == 0)
            return &l->entries[i];
    return NULL;
}

static void test_app_model_list_every_place(void **state) {
    (void)state;
    char *home = ats_make_temp_dir(), p[8192], here[2048], snap[4096];
    setenv("HOME", home, 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("HF_HUB_CACHE");
    unsetenv("HF_HOME");
    /* the cache: a folder model and a GGUF file in the newest snapshot */
    snprintf(snap, sizeof snap,
             "%s/.cache/huggingface/hub/models--openai-community--gpt2/snapshots/abc123", home);
    mkdirs(snap);
    touch(snap, "config.json");
    touch(snap, "gpt2.Q8_0.gguf");
    /* the working directory: a GGUF file, a folder with a config.json, and other things */
    snprintf(here, sizeof here, "%s/work", home);
    mkdirs(here);
    touch(here, "stories.gguf");
    touch(here, "notes.txt");
    snprintf(p, sizeof p, "%s/my-bert", here);
    mkdirs(p);
    touch(p, "config.json");
    snprintf(p, sizeof p, "%s/empty", here);
    mkdirs(p);
    /* opened recently: the cache's model, then a file here (newest first) */
    assert_true(ats_model_recent_add(snap));
    snprintf(p, sizeof p, "%s/stories.gguf", here);
    assert_true(ats_model_recent_add(p));
    assert_true(ats_model_recent_add("builtin:tiny")); /* not recorded */

    ats_model_list l = {0};
    assert_true(ats_model_list_scan(&l, here));
    assert_int_equal(l.entries[0].source, ATS_MODEL_BUILTIN);
    assert_string_equal(l.entries[0].path, "builtin:demo");
    assert_string_equal(l.entries[1].path, "builtin:tiny");
    /* recent: newest first, named short */
    assert_int_equal(l.entries[2].source, ATS_MODEL_RECENT);
    assert_string_equal(l.entries[2].name, "stories.gguf");
    assert_string_equal(l.entries[2].path, p);
    assert_int_equal(l.entries[3].source, ATS_MODEL_RECENT);
    assert_string_equal(l.entries[3].name, "openai-community/gpt2");
    assert_string_equal(l.entries[3].path, snap);
    /* the cache's GGUF file (its folder is listed among the recent ones already) */
    const ats_model_entry *e = find(&l, ATS_MODEL_HF_CACHE, "openai-community/gpt2/gpt2.Q8_0.gguf");
    assert_non_null(e);
    assert_null(find(&l, ATS_MODEL_HF_CACHE, "openai-community/gpt2"));
    /* this folder: the model folder; not the text file, the empty folder or the recent file */
    assert_non_null(find(&l, ATS_MODEL_HERE, "my-bert"));
    assert_null(find(&l, ATS_MODEL_HERE, "notes.txt"));
    assert_null(find(&l, ATS_MODEL_HERE, "empty"));
    assert_null(find(&l, ATS_MODEL_HERE, "stories.gguf"));
    /* grouped by source, in order */
    for (int i = 1; i < l.n; i++)
        assert_true(l.entries[i].source >= l.entries[i - 1].source);
    assert_string_equal(ats_model_source_title(ATS_MODEL_HF_CACHE), "Hugging Face cache");
    ats_model_list_free(&l);

    /* HF_HUB_CACHE wins over HOME's cache; a missing one just lists nothing */
    setenv("HF_HUB_CACHE", here, 1);
    assert_true(ats_model_list_scan(&l, here));
    assert_null(find(&l, ATS_MODEL_HF_CACHE, "openai-community/gpt2/gpt2.Q8_0.gguf"));
    ats_model_list_free(&l);
    unsetenv("HF_HUB_CACHE");
    ats_rmtree(home);
    free(home);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_model_list_every_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
