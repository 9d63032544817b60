/* attnscope train: checkpoints the engine reloads with the trainer's own logits, the loss falling
 * on the repeat corpus, bit-identical runs for a seed whatever the thread count, the corpora and
 * their tokenizers, and the command line (every other command opens what it writes). */
#include "test_support.h"

#include "attnscope/engine.h"
#include "trainer_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The losses of the first 10 steps of scripts/train_tiny.sh as the trainer returned them on the
 * machine that made assets/tiny (its train_log.jsonl logged their mean, 6.35087). */
#define TINY_FIRST_LOSSES                                                                          \
    6.354087431058959, 6.3621488155662327, 6.3418075009134007, 6.3438804923968224,                 \
        6.355436390675397, 6.3564182359532557, 6.3592187657851618, 6.3418312161027375,             \
        6.3426949245708792, 6.3511996482533704

static ats_train_opts small_opts(void) {
    ats_train_opts o = ats_train_opts_default();
    o.n_layer = 2;
    o.n_head = 2;
    o.d_model = 16;
    o.context = 16;
    o.batch = 8;
    o.steps = 20;
    o.warmup = 2;
    o.lr = 3e-3f;
    o.vocab = 40;
    o.threads = 2;
    return o;
}

static ats_trainer *new_trainer(const ats_train_opts *o) {
    ats_trainer *t = NULL;
    ats_error err;
    ats_status s = ats_trainer_new(o, &t, &err);
    if (s != ATS_OK)
        fail_msg("ats_trainer_new: %s", err.message);
    return t;
}

static void steps(ats_trainer *t, int n, double *losses) {
    ats_error err;
    for (int i = 0; i < n; i++) {
        ats_train_step st;
        if (ats_trainer_step(t, &st, &err) != ATS_OK)
            fail_msg("step %d: %s", i, err.message);
        if (losses)
            losses[i] = st.loss;
    }
}

/* ---- a checkpoint runs in the engine as it ran in training ---------------------------------- */

static void check_reload(ats_train_opts o) {
    ats_trainer *t = new_trainer(&o);
    steps(t, 5, NULL); /* weights away from their initial values */
    char *dir = ats_make_temp_dir();
    ats_error err;
    assert_int_equal(ats_trainer_save(t, dir, NULL, 1.5, &err), ATS_OK);

    ats_model *m = NULL;
    if (ats_model_load(dir, NULL, &m, &err) != ATS_OK)
        fail_msg("reloading the checkpoint: %s", err.message);
    const ats_model_config *c = ats_model_get_config(m);
    assert_int_equal(c->n_layer, o.n_layer);
    assert_int_equal(c->d_ff, o.d_ff < 0 ? 4 * o.d_model : o.d_ff);
    assert_int_equal(c->positions, o.rope ? ATS_POS_ROPE_HALF : ATS_POS_LEARNED);
    enum { T = 13 };
    int32_t ids[T];
    ats_rng rng = {5};
    for (int i = 0; i < T; i++)
        ids[i] = (int32_t)ats_rng_below(&rng, (uint32_t)c->vocab_size);
    int V = c->vocab_size, L = c->n_layer, H = c->n_head;
    float *logits = malloc((size_t)T * V * sizeof(float));
    float *attn = malloc((size_t)L * H * T * T * sizeof(float));
    assert_int_equal(ats_trainer_forward(t, ids, T, logits, attn, &err), ATS_OK);

    ats_run_opts ro = ats_run_opts_default();
    ro.want_logits = true;
    ats_run *run = NULL;
    assert_int_equal(ats_run_ids(m, ids, T, &ro, &run, &err), ATS_OK);
    /* the same float32 ops in the same order: agreement to rounding */
    ats_assert_close(ats_run_logits_last(run), logits + (size_t)(T - 1) * V, (size_t)V, 1e-5,
                     "last position's logits");
    ats_assert_close(ats_run_attentions(run), attn, (size_t)L * H * T * T, 1e-6, "attention");
    ats_run_free(run);
    ats_model_free(m);
    free(logits);
    free(attn);
    ats_trainer_free(t);
    ats_rmtree(dir);
    free(dir);
}

static void test_train_checkpoint_reloads_attn_only(void **state) {
    (void)state;
    check_reload(small_opts());
}

static void test_train_checkpoint_reloads_mlp_rope(void **state) {
    (void)state;
    ats_train_opts o = small_opts();
    o.d_ff = -1;
    o.rope = true;
    check_reload(o);
}

static void test_train_checkpoint_reloads_text(void **state) {
    (void)state;
    ats_train_opts o = small_opts();
    o.corpus = "builtin:text";
    o.vocab = 0;
    o.d_ff = 24;
    check_reload(o);
}

/* ---- learning, determinism ------------------------------------------------------------------ */

static double mean(const double *v, int n) {
    double s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s / n;
}

static void test_train_loss_falls_on_repeats(void **state) {
    (void)state;
    ats_train_opts o = small_opts();
    o.d_model = 32;
    o.context = 24;
    o.batch = 16;
    o.vocab = 16;
    o.rope = true;
    o.warmup = 10;
    o.steps = 250;
    ats_trainer *t = new_trainer(&o);
    double losses[250];
    steps(t, 250, losses);
    /* uniform guessing costs ln 16 = 2.77 at first; within 250 steps the model learns to favour
     * the words the sequence already holds (each step's mean over 384 tokens varies by about
     * 0.03, a mean of 25 steps by 0.006) */
    assert_true(fabs(losses[0] - log(16.0)) < 0.1);
    double first = mean(losses, 25), last = mean(losses + 225, 25);
    if (!(last < first - 0.04))
        fail_msg("the loss went from %.3f to only %.3f", first, last);
    ats_trainer_free(t);
}

static void test_train_deterministic(void **state) {
    (void)state;
    double a[6], b[6], c[6];
    ats_train_opts o = small_opts();
    o.threads = 1;
    ats_trainer *t1 = new_trainer(&o);
    steps(t1, 6, a);
    o.threads = 2;
    ats_trainer *t2 = new_trainer(&o);
    steps(t2, 6, b);
    o.seed = 2;
    ats_trainer *t3 = new_trainer(&o);
    steps(t3, 6, c);
    /* bit for bit: the losses and every weight */
    assert_memory_equal(a, b, sizeof a);
    assert_memory_equal(t1->params, t2->params, t1->model.n_params * sizeof(float));
    assert_true(memcmp(a, c, sizeof a) != 0); /* another seed, another run */
    ats_trainer_free(t1);
    ats_trainer_free(t2);
    ats_trainer_free(t3);
}

/* ---- corpora and tokenizers ------------------------------------------------------------------ */

static void test_train_repeats_sequences(void **state) {
    (void)state;
    ats_tr_corpus c;
    ats_error err;
    assert_int_equal(ats_tr_corpus_open("builtin:repeats", 0, &c, &err), ATS_OK);
    assert_true(c.vocab > 500);
    assert_string_equal(c.pieces[0], "[UNK]");
    ats_rng rng = {3};
    int32_t seq[65];
    for (int k = 0; k < 50; k++) {
        ats_tr_corpus_sample(&c, &rng, seq, 65);
        /* the end of every sequence repeats with some period from 4 to 32 */
        bool found = false;
        for (int period = 4; period <= 32 && !found; period++) {
            bool ok = true;
            for (int i = 65 - period; i < 65 && ok; i++)
                ok = seq[i] == seq[i - period] && seq[i] >= 0 && seq[i] < c.vocab;
            found = ok;
        }
        assert_true(found);
    }
    ats_tr_corpus_release(&c);
}

/* The word tokenizer saved with a repeats model gives the ids the words have in training. */
static void test_train_word_tokenizer_agrees(void **state) {
    (void)state;
    ats_train_opts o = small_opts();
    o.vocab = 0;
    ats_trainer *t = new_trainer(&o);
    char *dir = ats_make_temp_dir();
    ats_error err;
    assert_int_equal(ats_trainer_save(t, dir, NULL, -1, &err), ATS_OK);
    ats_model *m = NULL;
    assert_int_equal(ats_model_load(dir, NULL, &m, &err), ATS_OK);
    const char *text = "The cat didn't sit, zyzzyva!";
    const char *want[] = {"the", "cat", "didn", "'", "t", "sit", ",", "[UNK]", "!"};
    ats_tokens *toks = NULL;
    ats_tokenize_opts to = {.add_special = true};
    assert_int_equal(ats_tokenize(m, text, strlen(text), &to, &toks, &err), ATS_OK);
    assert_int_equal(ats_tokens_count(toks), 9);
    for (int i = 0; i < 9; i++) {
        int32_t id = ats_tokens_get(toks, i)->id;
        assert_string_equal(t->corpus.pieces[id], want[i]);
    }
    ats_tokens_free(toks);
    ats_model_free(m);
    ats_trainer_free(t);
    ats_rmtree(dir);
    free(dir);
}

/* The character tokenizer saved with a text model encodes the whole training text into the very
 * ids the trainer learned from. */
static void test_train_char_tokenizer_agrees(void **state) {
    (void)state;
    ats_train_opts o = small_opts();
    o.corpus = "builtin:text";
    o.vocab = 0;
    ats_trainer *t = new_trainer(&o);
    char *dir = ats_make_temp_dir();
    ats_error err;
    assert_int_equal(ats_trainer_save(t, dir, NULL, -1, &err), ATS_OK);
    ats_model *m = NULL;
    assert_int_equal(ats_model_load(dir, NULL, &m, &err), ATS_OK);
    char *text;
    size_t len;
    assert_int_equal(ats_tr_builtin_text(&text, &len, &err), ATS_OK);
    ats_tokens *toks = NULL;
    ats_tokenize_opts to = {.add_special = true};
    assert_int_equal(ats_tokenize(m, text, len, &to, &toks, &err), ATS_OK);
    assert_int_equal((size_t)ats_tokens_count(toks), t->corpus.n_ids);
    for (size_t i = 0; i < t->corpus.n_ids; i++)
        if (ats_tokens_get(toks, (int)i)->id != t->corpus.ids[i])
            fail_msg("token %zu: the tokenizer says %d, training used %d", i,
                     ats_tokens_get(toks, (int)i)->id, t->corpus.ids[i]);
    /* a character the text never had is [UNK] */
    ats_tokens_free(toks);
    assert_int_equal(ats_tokenize(m, "a\xE2\x82\xAC", 4, &to, &toks, &err), ATS_OK);
    assert_int_equal(ats_tokens_count(toks), 2);
    assert_int_equal(ats_tokens_get(toks, 1)->id, 0);
    ats_tokens_free(toks);
    free(text);
    ats_model_free(m);
    ats_trainer_free(t);
    ats_rmtree(dir);
    free(dir);
}

static void test_train_bad_input(void **state) {
    (void)state;
    ats_trainer *t = NULL;
    ats_error err;
    ats_train_opts o = small_opts();
    o.corpus = "/nonexistent/corpus.txt";
    o.vocab = 0;
    assert_int_equal(ats_trainer_new(&o, &t, &err), ATS_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent/corpus.txt"));
    o = small_opts();
    o.batch = 6;
    assert_int_equal(ats_trainer_new(&o, &t, &err), ATS_ERR_ARG);
    o = small_opts();
    o.d_model = 15; /* not divisible by 2 heads */
    assert_int_equal(ats_trainer_new(&o, &t, &err), ATS_ERR_ARG);
    o = small_opts();
    o.corpus = "builtin:nothing";
    assert_int_equal(ats_trainer_new(&o, &t, &err), ATS_ERR_ARG);

    char *dir = ats_make_temp_dir(), path[4096];
    snprintf(path, sizeof path, "%s/bad.txt", dir);
    FILE *f = fopen(path, "wb");
    fputs("abc\xff", f);
    fclose(f);
    o = small_opts();
    o.corpus = path;
    o.vocab = 0;
    assert_int_equal(ats_trainer_new(&o, &t, &err), ATS_ERR_FORMAT);
    assert_non_null(strstr(err.message, "UTF-8"));
    f = fopen(path, "wb");
    fputs("too short", f);
    fclose(f);
    assert_int_equal(ats_trainer_new(&o, &t, &err), ATS_ERR_ARG);
    assert_null(t);
    ats_rmtree(dir);
    free(dir);
}

/* Head scores saved in a checkpoint reload as its captions; broken ones are refused, named. */
static void test_train_saved_scores(void **state) {
    (void)state;
    ats_train_opts o = small_opts();
    ats_trainer *t = new_trainer(&o);
    char *dir = ats_make_temp_dir(), path[4200];
    float scores[8] = {0.9f, 0.1f, 0.0f, 0.2f, 0.05f, 0.0f, 0.1f, 0.8f}; /* (2, L 2, H 2) */
    ats_error err;
    assert_int_equal(ats_trainer_save(t, dir, scores, 2.5, &err), ATS_OK);
    ats_model *m = NULL;
    assert_int_equal(ats_model_load(dir, NULL, &m, &err), ATS_OK);
    float prev, ind;
    assert_true(ats_model_head_scores(m, 1, 1, &prev, &ind));
    assert_true(fabsf(prev - 0.2f) < 1e-6f && fabsf(ind - 0.8f) < 1e-6f);
    assert_non_null(strstr(ats_model_head_caption(m, 1, 1), "induction head"));
    assert_non_null(strstr(ats_model_head_caption(m, 0, 0), "previous-token head"));
    assert_non_null(strstr(ats_model_head_caption(m, 0, 1), "no clear role"));
    ats_model_free(m);

    snprintf(path, sizeof path, "%s/config.json", dir);
    json_t *cfg = ats_load_json_file(path);
    json_t *ind_rows = json_object_get(
        json_object_get(json_object_get(cfg, "attnscope"), "head_scores"), "induction");
    json_array_set_new(json_array_get(ind_rows, 0), 0, json_real(7.0)); /* a score of 7 */
    assert_int_equal(json_dump_file(cfg, path, 0), 0);
    json_decref(cfg);
    assert_int_equal(ats_model_load(dir, NULL, &m, &err), ATS_ERR_FORMAT);
    assert_non_null(strstr(err.message, "attnscope.head_scores.induction[0][0]"));
    ats_trainer_free(t);
    ats_rmtree(dir);
    free(dir);
}

/* ---- builtin:tiny: the recipe and what it learned ---------------------------------------- */

/* The recipe builtin:tiny was trained with, as its config.json records it. */
static ats_train_opts tiny_recipe(void) {
    json_t *cfg = ats_load_json_file(ATS_SOURCE_DIR "/assets/tiny/config.json");
    const json_t *r = json_object_get(json_object_get(cfg, "attnscope"), "recipe");
    assert_non_null(r);
    static char corpus[64];
    snprintf(corpus, sizeof corpus, "%s", json_string_value(json_object_get(r, "corpus")));
    ats_train_opts o = ats_train_opts_default();
    o.corpus = corpus;
    o.vocab = (int)json_integer_value(json_object_get(r, "vocab_size"));
    o.n_layer = (int)json_integer_value(json_object_get(r, "n_layer"));
    o.n_head = (int)json_integer_value(json_object_get(r, "n_head"));
    o.d_model = (int)json_integer_value(json_object_get(r, "d_model"));
    o.d_ff = (int)json_integer_value(json_object_get(r, "d_ff"));
    o.context = (int)json_integer_value(json_object_get(r, "context"));
    o.rope = strcmp(json_string_value(json_object_get(r, "positions")), "rotary") == 0;
    o.steps = (int)json_integer_value(json_object_get(r, "steps"));
    o.batch = (int)json_integer_value(json_object_get(r, "batch"));
    o.lr = (float)json_number_value(json_object_get(r, "lr"));
    o.warmup = (int)json_integer_value(json_object_get(r, "warmup"));
    o.weight_decay = (float)json_number_value(json_object_get(r, "weight_decay"));
    o.seed = (uint64_t)json_integer_value(json_object_get(r, "seed"));
    o.threads = 2;
    json_decref(cfg);
    return o;
}

/* The recipe's first steps give the losses scripts/train_tiny.sh gave when it made builtin:tiny.
 * On the machine and build that made them they agree bit for bit; another CPU's BLAS kernels may
 * round float sums differently, hence the 1e-5 (the losses are about 6.35, where a float's
 * spacing is 5e-7). */
static void test_train_tiny_recipe_first_steps(void **state) {
    (void)state;
    static const double EXPECTED[] = {TINY_FIRST_LOSSES};
    enum { K = sizeof EXPECTED / sizeof EXPECTED[0] };
    ats_train_opts o = tiny_recipe();
    ats_trainer *t = new_trainer(&o);
    double losses[K], worst = 0;
    steps(t, K, losses);
    for (int i = 0; i < K; i++) {
        print_message("step %d: %.17g (recorded %.17g)\n", i + 1, losses[i], EXPECTED[i]);
        worst = fmax(worst, fabs(losses[i] - EXPECTED[i]));
    }
    print_message("largest difference %.3g%s\n", worst, worst == 0 ? " (bit for bit)" : "");
    if (worst > 1e-5)
        fail_msg("the recipe's first steps differ from the recorded losses by %.3g", worst);
    ats_trainer_free(t);
}

/* builtin:tiny has the heads it is shipped for: on fresh random repeated sequences (a probe seed
 * of its own) a layer-1 induction head above 0.5 and a layer-0 previous-token head; its
 * untrained start (the recipe at step 0) has neither. */
static void test_train_tiny_has_induction_heads(void **state) {
    (void)state;
    ats_model *m = NULL;
    ats_error err;
    if (ats_model_load("builtin:tiny", NULL, &m, &err) != ATS_OK)
        fail_msg("builtin:tiny: %s", err.message);
    float prev[64], ind[64];
    ats_probe_opts probe = {.seed = 20240607, .length = 32, .count = 16};
    assert_int_equal(ats_head_scores_probe(m, &probe, prev, ind, &err), ATS_OK);
    int H = ats_model_get_config(m)->n_head;
    float best_ind = 0, best_prev = 0;
    for (int h = 0; h < H; h++) {
        best_ind = fmaxf(best_ind, ind[H + h]); /* layer 1 */
        best_prev = fmaxf(best_prev, prev[h]);  /* layer 0 */
    }
    print_message("builtin:tiny: best layer-1 induction %.3f, best layer-0 previous-token %.3f\n",
                  best_ind, best_prev);
    assert_true(best_ind > 0.5f);
    assert_true(best_prev > 0.5f);
    float p, i; /* its captions say what each head learned */
    assert_true(ats_model_head_scores(m, 1, 0, &p, &i));
    assert_non_null(ats_model_head_caption(m, 1, 0));
    ats_model_free(m);

    ats_train_opts o = tiny_recipe();
    ats_trainer *t = new_trainer(&o);
    char *dir = ats_make_temp_dir();
    assert_int_equal(ats_trainer_save(t, dir, NULL, -1, &err), ATS_OK);
    assert_int_equal(ats_model_load(dir, NULL, &m, &err), ATS_OK);
    assert_int_equal(ats_head_scores_probe(m, &probe, prev, ind, &err), ATS_OK);
    for (int k = 0; k < 2 * H; k++) /* about 1/T: attention spread evenly */
        assert_true(ind[k] < 0.05f && prev[k] < 0.1f);
    ats_model_free(m);
    ats_trainer_free(t);
    ats_rmtree(dir);
    free(dir);
}

/* ---- the command line -------------------------------------------------------------------- */

static ats_cli_result cli(const char *const *args) {
    return ats_run_cli(args, NULL, 0);
}

static void test_train_cli_writes_a_model_every_command_opens(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir(), out[4096], png[4096];
    snprintf(out, sizeof out, "%s/run", dir);
    snprintf(png, sizeof png, "%s/grid.png", dir);
    const char *train[] = {
        "train",     "--corpus", "builtin:repeats",    "--layers",  "2",       "--heads", "2",
        "--d-model", "16",       "--attn-only",        "--context", "16",      "--steps", "30",
        "--batch",   "8",        "--checkpoint-every", "10",        "--quiet", "-o",      out,
        NULL};
    ats_cli_result r = cli(train);
    if (r.exit_code != 0)
        fail_msg("train failed: %s", r.err);
    assert_int_equal(r.err_len, 0); /* --quiet, and not a terminal anyway */
    ats_cli_result_free(&r);

    /* the log: a start line, steps, checkpoints at 0, 10, 20, 30 with scores, an end line */
    char log_path[4200];
    snprintf(log_path, sizeof log_path, "%s/train_log.jsonl", out);
    char *log = ats_read_file(log_path, NULL);
    assert_non_null(log);
    int checkpoints = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *obj = ats_parse_json(line);
        if (json_object_get(obj, "checkpoint")) {
            checkpoints++;
            assert_int_equal(json_array_size(json_object_get(obj, "induction")), 2);
        }
        json_decref(obj);
    }
    assert_int_equal(checkpoints, 4);
    free(log);

    const char *info[] = {"info", "--model", out, "--scores", "--json", NULL};
    r = cli(info);
    assert_int_equal(r.exit_code, 0);
    json_t *obj = ats_parse_json(r.out);
    assert_string_equal(json_string_value(json_object_get(obj, "arch")), "gpt2");
    assert_int_equal(json_integer_value(json_object_get(obj, "d_ff")), 0);
    assert_non_null(json_object_get(json_object_get(obj, "head_scores"), "induction"));
    json_decref(obj);
    ats_cli_result_free(&r);

    char step[4300];
    snprintf(step, sizeof step, "%s/checkpoints/step-000010", out);
    const char *tokenize[] = {"tokenize", "--model", step, "--text", "the cat sat", NULL};
    r = cli(tokenize);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "cat"));
    ats_cli_result_free(&r);
    const char *dump[] = {"dump", "--model", out, "--text", "a b a b", "--logits", NULL};
    r = cli(dump);
    assert_int_equal(r.exit_code, 0);
    ats_cli_result_free(&r);
    const char *export[] = {"export", "--model", out,  "--text", "a b a b",
                            "--view", "grid",    "-o", png,      NULL};
    r = cli(export);
    assert_int_equal(r.exit_code, 0);
    ats_cli_result_free(&r);

    /* a second run into the same folder is refused, naming it */
    const char *again[] = {"train", "--steps", "1", "--quiet", "-o", out, NULL};
    r = cli(again);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "already holds a training run"));
    ats_cli_result_free(&r);
    const char *bad[] = {"train", "--layers", "zero", "-o", out, NULL};
    r = cli(bad);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--layers"));
    ats_cli_result_free(&r);
    ats_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_checkpoint_reloads_attn_only),
        cmocka_unit_test(test_train_checkpoint_reloads_mlp_rope),
        cmocka_unit_test(test_train_checkpoint_reloads_text),
        cmocka_unit_test(test_train_loss_falls_on_repeats),
        cmocka_unit_test(test_train_deterministic),
        cmocka_unit_test(test_train_repeats_sequences),
        cmocka_unit_test(test_train_word_tokenizer_agrees),
        cmocka_unit_test(test_train_char_tokenizer_agrees),
        cmocka_unit_test(test_train_bad_input),
        cmocka_unit_test(test_train_saved_scores),
        cmocka_unit_test(test_train_tiny_recipe_first_steps),
        cmocka_unit_test(test_train_tiny_has_induction_heads),
        cmocka_unit_test(test_train_cli_writes_a_model_every_command_opens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
