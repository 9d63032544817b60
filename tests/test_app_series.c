/* A training folder in the window: its log read into checkpoints, scores and losses (and broken
 * logs refused with the line named), then the app opening it, stepping with PageUp / PageDown,
 * the slider and the plot, playing with F5, following a log that grows, leaving it for a
 * built-in model; and the grid badges the checkpoints' scores give. No window. */
#include "test_support.h"

#include "app.h"
#include "app_internal.h"
#include "base.h"
#include "series.h"
#include "train.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A small training folder: 20 steps, checkpoints at 0, 10, 20. */
static char *make_run(void) {
    char *dir = ats_make_temp_dir();
    char *run = malloc(strlen(dir) + 8);
    sprintf(run, "%s/run", dir);
    free(dir);
    ats_train_opts o = ats_train_opts_default();
    o.n_head = 2;
    o.d_model = 16;
    o.context = 16;
    o.batch = 8;
    o.steps = 20;
    o.warmup = 2;
    o.vocab = 40;
    o.threads = 1;
    ats_train_run_opts ro = {.checkpoint_every = 10, .log_every = 5};
    ats_error err;
    if (ats_train_run(&o, &ro, run, &err) != ATS_OK)
        fail_msg("training: %s", err.message);
    return run;
}

static void remove_run(char *run) {
    *strrchr(run, '/') = '\0';
    ats_rmtree(run);
    free(run);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- the log -------------------------------------------------------------------------------- */

static void test_app_series_reads_a_training_folder(void **state) {
    (void)state;
    char *run = make_run();
    assert_true(ats_series_is_training_folder(run));
    ats_series s;
    ats_error err;
    if (ats_series_read(run, &s, &err) != ATS_OK)
        fail_msg("%s", err.message);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.step[0], 0);
    assert_int_equal(s.step[2], 20);
    assert_int_equal(s.steps_planned, 20);
    assert_true(s.finished);
    assert_int_equal(s.n_layer, 2);
    assert_int_equal(s.n_head, 2);
    assert_int_equal(s.n_loss, 4); /* steps 5, 10, 15, 20 */
    assert_string_equal(s.name, "run");
    for (int i = 0; i < s.n; i++) {
        assert_true(s.eval_loss[i] > 1 && s.eval_loss[i] < 10);
        char cfg[4200];
        snprintf(cfg, sizeof cfg, "%s/config.json", s.path[i]);
        char *text = ats_read_file(cfg, NULL);
        assert_non_null(text); /* every checkpoint listed is there */
        free(text);
    }
    assert_int_equal(ats_series_nearest(&s, 12), 1);
    assert_int_equal(ats_series_nearest(&s, 1e9), 2);
    ats_series_free(&s);
    assert_false(ats_series_is_training_folder(ATS_SOURCE_DIR));
    remove_run(run);
}

static void expect_refused(const char *dir, const char *log, const char *why) {
    char path[4200];
    ats_error err;
    snprintf(path, sizeof path, "%s/train_log.jsonl", dir);
    write_text(path, log);
    ats_series s;
    assert_int_not_equal(ats_series_read(dir, &s, &err), ATS_OK);
    if (!strstr(err.message, why))
        fail_msg("expected \"%s\" in \"%s\"", why, err.message);
}

static void test_app_series_refuses_broken_logs(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    const char *ok = "{\"step\":0,\"checkpoint\":\"checkpoints/step-000000\","
                     "\"previous_token\":[[0.1]],\"induction\":[[0.2]]}\n";
    char log[1024];
    expect_refused(dir, "{\"event\":\"start\"}\nnot json\n", "line 2: not a JSON object");
    expect_refused(dir, "{\"event\":\"start\"}\n", "no checkpoint yet");
    expect_refused(dir,
                   "{\"step\":0,\"checkpoint\":\"checkpoints/../../etc\","
                   "\"previous_token\":[[0.1]],\"induction\":[[0.2]]}\n",
                   "outside the folder");
    expect_refused(dir, "{\"step\":0,\"checkpoint\":5}\n", "outside the folder"); /* not text */
    snprintf(log, sizeof log, "%s%s", ok, ok);
    expect_refused(dir, log, "line 2: checkpoints out of step order");
    snprintf(log, sizeof log,
             "%s{\"step\":5,\"checkpoint\":\"checkpoints/step-000005\","
             "\"previous_token\":[[0.1, 0.3]],\"induction\":[[0.2, 0.1]]}\n",
             ok);
    expect_refused(dir, log, "disagree on the number of heads");
    expect_refused(dir,
                   "{\"step\":0,\"checkpoint\":\"checkpoints/step-000000\","
                   "\"previous_token\":[[1.5]],\"induction\":[[0.2]]}\n",
                   "not a number from 0 to 1");
    expect_refused(dir, "{\"step\":3,\"loss\":\"low\"}\n", "a loss that is not a number");
    ats_rmtree(dir);
    free(dir);
}

/* ---- the app ----------------------------------------------------------------------------------
 */

static void settle(ats_app *app) {
    for (int i = 0; i < 20000; i++) {
        ats_app_update(app, ats_clock_ms());
        const ats_app_state *s = ats_app_get_state(app);
        if (!s->loading && !s->computing && !ats_worker_running(app->worker) &&
            !ats_worker_loading(app->worker)) {
            ats_app_update(app, ats_clock_ms());
            if (ats_app_needs_frame(app))
                ats_app_frame_presented(app, ats_clock_ms(), 0.5);
            return;
        }
        ats_sleep_ms(1);
    }
    fail_msg("the app did not settle within 20 s");
}

static void press(ats_app *app, ats_key k) {
    ats_app_key(app, (ats_key_event){k, 0, false}, ats_clock_ms());
    settle(app);
}

static void test_app_series_steps_through_checkpoints(void **state) {
    (void)state;
    char *run = make_run();
    ats_app_config cfg = {.model_path = run, .text = "a b c a b c", .text_len = 11};
    ats_error err;
    ats_app *app;
    assert_int_equal(ats_app_new(&cfg, ats_clock_ms(), &app, &err), ATS_OK);
    settle(app);
    const ats_app_state *s = ats_app_get_state(app);
    const ats_series *series = ats_app_get_series(app);
    assert_non_null(series);
    assert_int_equal(ats_app_series_index(app), 2); /* the newest checkpoint */
    assert_string_equal(s->model_name, "run \xC2\xB7 step 20");
    assert_non_null(ats_app_get_run(app));
    /* the checkpoints carry their scores: captions and grid badges come with them */
    float prev, ind;
    assert_true(ats_model_head_scores(ats_app_get_run_model(app), 1, 0, &prev, &ind));
    assert_non_null(ats_model_head_caption(ats_app_get_run_model(app), 1, 0));

    app->state.view.locked_token = 2; /* a locked token stays through the checkpoints */
    press(app, ATS_KEY_PAGE_UP);
    assert_int_equal(ats_app_series_index(app), 1);
    assert_string_equal(s->model_name, "run \xC2\xB7 step 10");
    assert_int_equal(s->view.locked_token, 2);
    press(app, ATS_KEY_PAGE_UP);
    press(app, ATS_KEY_PAGE_UP); /* stays at the first */
    assert_int_equal(ats_app_series_index(app), 0);
    assert_string_equal(s->banner, ""); /* checkpoints load without "opened ..." */
    press(app, ATS_KEY_PAGE_DOWN);
    assert_int_equal(ats_app_series_index(app), 1);

    /* the slider (by index) and the plot (by step) */
    ats_app_pointer_down(app, &(ats_app_hit){.kind = ATS_APP_HIT_CHECKPOINT, .value = 1.0f}, 1, 0,
                         ats_clock_ms());
    settle(app);
    assert_int_equal(ats_app_series_index(app), 2);
    ats_app_pointer_down(app, &(ats_app_hit){.kind = ATS_APP_HIT_TRAIN_PLOT, .value = 0.1f}, 1, 0,
                         ats_clock_ms());
    settle(app);
    assert_int_equal(ats_app_series_index(app), 0); /* step 2 is nearest step 0 */

    /* F5 plays to the end and stops */
    press(app, ATS_KEY_F5);
    assert_true(ats_app_series_playing(app));
    for (int i = 0; i < 4000 && ats_app_series_playing(app); i++) {
        settle(app);
        ats_sleep_ms(1);
    }
    assert_false(ats_app_series_playing(app));
    assert_int_equal(ats_app_series_index(app), 2);

    /* a built-in model closes the series */
    ats_app_pointer_down(app, &(ats_app_hit){.kind = ATS_APP_HIT_BUILTIN, .index = 1}, 1, 0,
                         ats_clock_ms());
    settle(app);
    assert_null(ats_app_get_series(app));
    assert_string_equal(s->model_name, "builtin:tiny");
    press(app, ATS_KEY_PAGE_DOWN); /* without a folder: a note on how to get one */
    assert_non_null(strstr(s->banner, "attnscope train"));
    ats_app_free(app);
    remove_run(run);
}

/* While training writes the folder the window follows its newest checkpoint. */
static void test_app_series_follows_a_growing_log(void **state) {
    (void)state;
    char *run = make_run();
    char log_path[4200];
    snprintf(log_path, sizeof log_path, "%s/train_log.jsonl", run);
    size_t len;
    char *full = ats_read_file(log_path, &len);
    assert_non_null(full);
    /* the log as it was after the second checkpoint */
    char *cut = strstr(full, "\"checkpoint\":\"checkpoints/step-000010\"");
    assert_non_null(cut);
    cut = strchr(cut, '\n') + 1;
    char keep = *cut;
    *cut = '\0';
    write_text(log_path, full);
    *cut = keep;

    ats_app_config cfg = {.model_path = run};
    ats_error err;
    ats_app *app;
    assert_int_equal(ats_app_new(&cfg, ats_clock_ms(), &app, &err), ATS_OK);
    settle(app);
    assert_int_equal(app->series->n, 2);
    assert_false(app->series->finished);
    assert_int_equal(ats_app_series_index(app), 1);
    write_text(log_path, full); /* training went on */
    double t0 = ats_clock_ms();
    while (app->series->n < 3 && ats_clock_ms() - t0 < 5000) {
        settle(app);
        ats_sleep_ms(20);
    }
    settle(app);
    assert_int_equal(app->series->n, 3);
    assert_true(app->series->finished);
    assert_int_equal(ats_app_series_index(app), 2); /* it followed */
    ats_app_free(app);
    free(full);
    remove_run(run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_series_reads_a_training_folder),
        cmocka_unit_test(test_app_series_refuses_broken_logs),
        cmocka_unit_test(test_app_series_steps_through_checkpoints),
        cmocka_unit_test(test_app_series_follows_a_growing_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
