/* Large-model smoke run: a GPT-2-small-shaped folder (12 layers, 12 heads, 768 wide, 50,257
 * tokens, 1024 positions, ~124 M random float32 weights, ~500 MB) written by
 * tools/make_gpt2_small into a temporary folder, with the real GPT-2 vocab.json and merges.txt
 * linked beside it. The engine runs 64 ids through it; `attnscope dump` runs a text of about 64
 * tokens. Every attention row must sum to 1 with zeros above the diagonal. Without ../shared there
 * is no GPT-2 tokenizer to give the model, so both tests skip, saying so. */
#include "test_support.h"

#include "attnscope/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { N_TOKENS = 64, N_LAYER = 12, N_HEAD = 12, N_VOCAB = 50257 };

/* 64 GPT-2 tokens */
static const char *TEXT =
    "Once upon a time, in a small village at the edge of a great forest, there lived a curious "
    "girl named Lily. Every morning she walked down to the river to watch the boats, and every "
    "evening she told her little brother stories about the places they would sail to one day. "
    "It was a very happy time.";

typedef struct fixture {
    char *dir;   /* the temporary folder */
    char *model; /* dir/gpt2-small */
} fixture;

static int make_model(void **state) {
    const char *tok = ats_test_shared("fixtures/hf/gpt2-tokenizer");
    char tokenizer[4096] = "";
    fixture *f = calloc(1, sizeof *f);
    *state = f;
    if (!tok)
        return 0; /* the tests skip */
    snprintf(tokenizer, sizeof tokenizer, "%s", tok);
    f->dir = ats_make_temp_dir();
    size_t n = strlen(f->dir) + 32;
    f->model = malloc(n);
    snprintf(f->model, n, "%s/gpt2-small", f->dir);
    pid_t pid = fork();
    if (pid == 0) {
        const char *tool = ATS_TOOLS_DIR "/make_gpt2_small";
        execl(tool, tool, f->model, tokenizer, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "make_gpt2_small failed (status %d)\n", status);
        return -1;
    }
    return 0;
}

static int remove_model(void **state) {
    fixture *f = *state;
    if (f->dir)
        ats_rmtree(f->dir);
    free(f->model);
    free(f->dir);
    free(f);
    return 0;
}

/* Rows of every (T, T) matrix sum to 1, entries above the diagonal are 0. */
static void check_rows(const float *attn, int n_mats, int T) {
    for (int m = 0; m < n_mats; m++) {
        for (int i = 0; i < T; i++) {
            const float *row = attn + ((size_t)m * T + i) * T;
            double sum = 0;
            for (int j = 0; j < T; j++) {
                assert_true(isfinite(row[j]) && row[j] >= 0.0f);
                if (j > i)
                    assert_true(row[j] == 0.0f);
                sum += row[j];
            }
            if (fabs(sum - 1.0) > 1e-5)
                fail_msg("matrix %d row %d sums to %.8f", m, i, sum);
        }
    }
}

static void skip_without_tokenizer(const fixture *f) {
    if (!f->model) {
        print_message("skipped: ../shared/fixtures/hf/gpt2-tokenizer is absent\n");
        skip();
    }
}

static void test_large_model_engine_64_ids(void **state) {
    fixture *f = *state;
    skip_without_tokenizer(f);
    ats_model *m = NULL;
    ats_error err;
    if (ats_model_load(f->model, NULL, &m, &err) != ATS_OK)
        fail_msg("load: %s", err.message);
    const ats_model_config *c = ats_model_get_config(m);
    const ats_model_info *info = ats_model_get_info(m);
    assert_int_equal(c->n_layer, N_LAYER);
    assert_int_equal(c->n_head, N_HEAD);
    assert_int_equal(c->d_model, 768);
    assert_int_equal(c->vocab_size, N_VOCAB);
    assert_int_equal(c->context, 1024);
    /* 124,439,808 weights: GPT-2 small with its tied head */
    assert_int_equal(info->n_params, 124439808ull);

    int32_t ids[N_TOKENS];
    for (int i = 0; i < N_TOKENS; i++)
        ids[i] = (int32_t)((i * 7919 + 11) % N_VOCAB);
    ats_run_opts ro = ats_run_opts_default();
    ro.want_logits = true;
    ats_run *run = NULL;
    if (ats_run_ids(m, ids, N_TOKENS, &ro, &run, &err) != ATS_OK)
        fail_msg("run: %s", err.message);
    assert_int_equal(ats_run_n_tokens(run), N_TOKENS);
    check_rows(ats_run_attentions(run), N_LAYER * N_HEAD, N_TOKENS);
    const float *logits = ats_run_logits_last(run);
    for (int v = 0; v < N_VOCAB; v++)
        assert_true(isfinite(logits[v]));
    ats_run_free(run);
    ats_model_free(m);
}

static void test_large_model_cli_dump(void **state) {
    fixture *f = *state;
    skip_without_tokenizer(f);
    const char *args[] = {"dump", "--model", f->model, "--text", TEXT, NULL};
    ats_cli_result r = ats_run_cli(args, NULL, 0);
    if (r.exit_code != 0)
        fail_msg("dump exited %d: %s", r.exit_code, r.err);
    json_t *out = ats_parse_json(r.out);
    int T = (int)json_array_size(json_object_get(out, "tokens"));
    assert_int_equal(T, N_TOKENS);
    const json_t *attn = json_object_get(out, "attentions");
    size_t n = (size_t)N_LAYER * N_HEAD * T * T;
    float *flat = malloc(n * sizeof *flat);
    assert_int_equal(ats_json_flatten(attn, flat, n), n);
    check_rows(flat, N_LAYER * N_HEAD, T);
    free(flat);
    json_decref(out);
    ats_cli_result_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_model_engine_64_ids),
        cmocka_unit_test(test_large_model_cli_dump),
    };
    return cmocka_run_group_tests(tests, make_model, remove_model);
}
