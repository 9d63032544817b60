/* The model picker's list (Ctrl+O): the built-in models, the models opened recently (kept in
 * $XDG_CONFIG_HOME/attnscope/recent-models, or ~/.config/attnscope/recent-models: one path a
 * line, newest first), the models in the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub,
 * else ~/.cache/huggingface/hub: each models--org--name's newest snapshot, and the .gguf files in
 * it), and the models in the working directory (.gguf files, llama2.c .bin checkpoints with a
 * tokenizer beside them, folders with a config.json, training folders). No SDL, no engine calls;
 * the UI thread builds it when the picker opens (a directory scan, a few milliseconds). */
#ifndef ATS_APP_MODEL_LIST_H
#define ATS_APP_MODEL_LIST_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ats_model_source {
    ATS_MODEL_BUILTIN,
    ATS_MODEL_RECENT,
    ATS_MODEL_HF_CACHE,
    ATS_MODEL_HERE,
    ATS_MODEL_SOURCE_COUNT,
} ats_model_source;

typedef struct ats_model_entry {
    ats_model_source source;
    char *name; /* what the list shows: "builtin:demo", "gpt2", "openai-community/gpt2" */
    char *path; /* what opens it (a path, or "builtin:demo") */
} ats_model_entry;

#define ATS_MODEL_RECENT_MAX 10

typedef struct ats_model_list {
    int n, cap;
    ats_model_entry *entries; /* grouped by source, in the order of ats_model_source */
} ats_model_list;

/* "Built in", "Recent", "Hugging Face cache", "This folder". */
const char *ats_model_source_title(ats_model_source source);
/* Fills the list from the four places (those missing are empty); false when out of memory
 * (the list then holds what was found before). */
bool ats_model_list_scan(ats_model_list *list, const char *cwd);
void ats_model_list_free(ats_model_list *list);
/* The recent-models file, malloc'd ("" parts from the environment; NULL without HOME and
 * XDG_CONFIG_HOME). */
char *ats_model_recent_path(void);
/* Puts `path` first in the recent-models file (made with its folder when missing), keeping at
 * most ATS_MODEL_RECENT_MAX; builtin: names are not recorded. False when it cannot be written. */
bool ats_model_recent_add(const char *path);

#endif
