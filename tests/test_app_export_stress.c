/* Exports of every kind at once from several threads into one folder: windows (each its own app
 * on its own thread, as its UI thread) saving the view as PNG and SVG while their Ctrl+E writes
 * JSON, NPY and CSV on the data thread, and plain threads writing file groups under the same
 * stems through the group writer. Every file must hold exactly what its writer meant (checked
 * right after it is written, and again at the end in case a later write replaced it), no two
 * writes may report the same name, and the folder must hold exactly the files reported: no
 * temporary and no stray file left behind.
 *
 * The threads never call cmocka's asserts (they jump to the test's stack): they record problems,
 * and the test checks the record on its own thread. */
#include "test_support.h"

#include "app_internal.h"
#include "base.h"
#include "draw.h"
#include "export_files.h"
#include "ui_internal.h"

#include <dirent.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    APP_THREADS = 3,    /* windows, each on its own thread */
    APP_ROUNDS = 8,     /* per window: a data export with a PNG and an SVG beside it */
    WRITER_THREADS = 2, /* threads writing groups straight through ats_export_files_write */
    WRITER_GROUPS = 60, /* per writer thread: every other one three files, the rest one */
    MAX_FILES = APP_THREADS * APP_ROUNDS * 5 + WRITER_THREADS * WRITER_GROUPS * 2,
};

/* ---- what was written ------------------------------------------------------------------------ */

typedef struct written {
    char path[4096];
    uint64_t hash; /* FNV-1a of the bytes it held when checked */
} written;

static struct {
    pthread_mutex_t mu;
    written files[MAX_FILES];
    int n_files;
    char problems[4096];
    int n_problems;
    const char *dir;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...) {
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&g.mu);
    if (g.n_problems++ < 8) {
        size_t used = strlen(g.problems);
        snprintf(g.problems + used, sizeof g.problems - used, "%s\n", line);
    }
    pthread_mutex_unlock(&g.mu);
}

static uint64_t fnv(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* Records a file and the bytes it holds now. */
static void record(const char *path, const void *bytes, size_t len) {
    pthread_mutex_lock(&g.mu);
    if (g.n_files < MAX_FILES) {
        written *w = &g.files[g.n_files++];
        snprintf(w->path, sizeof w->path, "%s", path);
        w->hash = fnv(bytes, len);
    }
    pthread_mutex_unlock(&g.mu);
}

/* A whole file (malloc'd), or NULL: ats_read_file's asserts may not run on these threads. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got = 1;
    while (f && got > 0) {
        if (n + 4096 + 1 > cap) {
            char *bigger = realloc(buf, cap = 2 * cap + 8192);
            if (!bigger)
                break;
            buf = bigger;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    }
    bool ok = f && got == 0 && !ferror(f);
    if (f)
        fclose(f);
    if (!ok) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The file's bytes must equal `want`; recorded when they do. */
static void check_bytes(const char *path, const void *want, size_t want_len) {
    size_t len = 0;
    char *got = slurp(path, &len);
    if (!got)
        problem("%s: cannot read it back", path);
    else if (len != want_len || memcmp(got, want, len) != 0)
        problem("%s: holds %zu bytes that are not the %zu written", path, len, want_len);
    else
        record(path, got, len);
    free(got);
}

/* ---- windows -----------------------------------------------------------------------------------
 */

static bool settle(ats_app *app) {
    for (int i = 0; i < 60000; i++) {
        ats_app_update(app, ats_clock_ms());
        if (app->run && !ats_worker_running(app->worker) && !ats_worker_loading(app->worker)) {
            ats_app_update(app, ats_clock_ms());
            return true;
        }
        ats_sleep_ms(1);
    }
    return false;
}

/* What the data export of `app` must have written, encoded here on one thread. */
typedef struct expected_data {
    char *bytes[3]; /* JSON, NPY, CSV */
    size_t len[3];
} expected_data;

static void expect_data(const ats_app *app, expected_data *e) {
    const ats_model *model = ats_shared_model_get(app->run_model);
    ats_dump_selection all = ats_dump_selection_all(ats_model_get_config(model));
    ats_status s = ATS_OK;
    ats_error err;
    /* what Ctrl+E adds to the attention in the heatmap, lines and grid views */
    ats_dump_extras extras = {.top_k = ats_run_logits_last(app->run) ? ATS_TOP_K_SHOWN : 0,
                              .hide_logits = true};
    for (int i = 0; i < 3; i++) {
        FILE *f = open_memstream(&e->bytes[i], &e->len[i]);
        if (i == 0)
            s = ats_dump_write_json(f, model, app->run_text, app->run_text_len, app->run, &all,
                                    NULL, NULL, &extras, false, &err);
        else if (i == 1)
            s = ats_dump_write_npy(f, app->run, &all, &err);
        else
            s = ats_dump_write_csv(f, app->run, app->state.view.layer, app->state.view.head, &err);
        fclose(f);
        if (s != ATS_OK)
            problem("expected data: %s", err.message);
    }
}

/* The PNG must hold the figure in the views area of the frame, pixel for pixel: the area cut to
 * the figure's content and a margin (ats_dl_trim_rect), as every export is. */
static void check_png(const ats_app *app, const ats_frame *f, const char *path) {
    uint8_t *png;
    int w, h, vx, vy, vw, vh, tx, ty, tw, th;
    ats_error err;
    if (ats_png_read(path, &png, &w, &h, &err) != ATS_OK) {
        problem("%s", err.message);
        return;
    }
    bool area = ats_ui_view_area(app->ui, &vx, &vy, &vw, &vh);
    ats_dl_trim_rect(ats_view_display_list(ats_ui_view(app->ui)), ats_ui_font(app->ui),
                     16.0f * app->state.view.ui_scale, &tx, &ty, &tw, &th);
    bool same = area && w == tw && h == th && tx + tw <= vw && ty + th <= vh;
    for (int y = 0; same && y < h; y++)
        same = memcmp(png + (size_t)y * w * 4,
                      f->rgba + (size_t)(vy + ty + y) * f->stride + (size_t)(vx + tx) * 4,
                      (size_t)w * 4) == 0;
    free(png);
    if (!same) {
        problem("%s: not the window's pixels", path);
        return;
    }
    size_t len;
    char *bytes = slurp(path, &len);
    if (bytes)
        record(path, bytes, len);
    free(bytes);
}

/* The SVG must be well-formed XML naming the window's text in its metadata. */
static void check_svg(const char *path, const char *text) {
    size_t len;
    char *bytes = slurp(path, &len);
    xmlDocPtr doc = bytes ? xmlReadMemory(bytes, (int)len, path, NULL,
                                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
                          : NULL;
    if (!doc)
        problem("%s: not well-formed XML", path);
    else if (!strstr(bytes, text))
        problem("%s: does not name the text '%s'", path, text);
    else
        record(path, bytes, len);
    xmlFreeDoc(doc);
    free(bytes);
}

/* The data export just finished: its banner names the JSON; the NPY and CSV share its number. */
static void check_data(const ats_app *app, const expected_data *e) {
    const char *banner = app->state.banner, *end = strstr(banner, ".json, .npy");
    if (app->state.banner_is_error || strncmp(banner, "saved ", 6) != 0 || !end) {
        problem("data export: '%s'", banner);
        return;
    }
    char stem[4096], path[4200];
    snprintf(stem, sizeof stem, "%.*s", (int)(end - banner - 6), banner + 6);
    const char *suffix[3] = {".json", ".npy", "-L0H1.csv"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", stem, suffix[i]);
        check_bytes(path, e->bytes[i], e->len[i]);
    }
}

typedef struct app_job {
    int index;
    char text[96];
} app_job;

static const ats_view_kind VIEWS[3] = {ATS_VIEW_HEATMAP, ATS_VIEW_LINES, ATS_VIEW_GRID};

/* One export of the view: the PNG or SVG it wrote is checked at once. */
static void export_view(ats_app *app, const ats_frame *f, ats_export_kind kind, const char *text) {
    char path[4096] = "";
    if (ats_app_export(app, kind, ats_clock_ms(), path, sizeof path) != ATS_OK) {
        problem("%s export: %s", kind == ATS_EXPORT_PNG ? "PNG" : "SVG", app->state.banner);
        return;
    }
    if (kind == ATS_EXPORT_PNG)
        check_png(app, f, path);
    else
        check_svg(path, text);
}

static void *app_thread(void *arg) {
    const app_job *job = arg;
    ats_app_config cfg = {.text = job->text, .text_len = strlen(job->text), .export_dir = g.dir};
    ats_error err;
    ats_app *app;
    if (ats_app_new(&cfg, ats_clock_ms(), &app, &err) != ATS_OK) {
        problem("window %d: %s", job->index, err.message);
        return NULL;
    }
    ats_frame f = {.scale = 1};
    if (!settle(app) || !ats_frame_resize(&f, 620 + 40 * job->index, 420)) {
        problem("window %d: no run within 60 s", job->index);
        ats_app_free(app);
        return NULL;
    }
    ats_app_state_set_head(&app->state, 1);
    expected_data e = {0};
    expect_data(app, &e);
    for (int r = 0; r < APP_ROUNDS; r++) {
        ats_app_state_set_view(&app->state, VIEWS[(r + job->index) % 3]);
        app->state.banner[0] = '\0'; /* a notice would cover part of the view */
        ats_app_draw(app, &f);
        /* Ctrl+E: the numbers go on the data thread while this thread saves the view */
        if (ats_app_export(app, ATS_EXPORT_DATA, ats_clock_ms(), NULL, 0) != ATS_OK)
            problem("window %d: Ctrl+E: %s", job->index, app->state.banner);
        export_view(app, &f, ATS_EXPORT_PNG, job->text);
        export_view(app, &f, ATS_EXPORT_SVG, job->text);
        while (ats_app_export_busy(app)) {
            ats_app_update(app, ats_clock_ms());
            ats_sleep_ms(1);
        }
        check_data(app, &e);
    }
    for (int i = 0; i < 3; i++)
        free(e.bytes[i]);
    ats_frame_free(&f);
    ats_app_free(app);
    return NULL;
}

/* ---- the group writer on its own ------------------------------------------------------------- */

/* Groups under the stems the windows use: the data export's three files, or one heatmap PNG. */
static void *writer_thread(void *arg) {
    int index = *(const int *)arg;
    for (int gi = 0; gi < WRITER_GROUPS; gi++) {
        char content[3][128];
        for (int k = 0; k < 3; k++)
            snprintf(content[k], sizeof content[k], "writer %d, group %d, file %d\n", index, gi, k);
        bool run = gi % 2 == 0;
        ats_out_file files[3] = {{".json", content[0], strlen(content[0])},
                                 {".npy", content[1], strlen(content[1])},
                                 {"-L0H1.csv", content[2], strlen(content[2])}};
        ats_out_file png = {".png", content[0], strlen(content[0])};
        char path[4096];
        int number = 0;
        ats_error err;
        ats_status s = run ? ats_export_files_write(g.dir, "attnscope-run", files, 3, path,
                                                    sizeof path, &number, &err)
                           : ats_export_files_write(g.dir, "attnscope-heatmap-L0H1", &png, 1, path,
                                                    sizeof path, &number, &err);
        if (s != ATS_OK) {
            problem("writer %d: %s", index, err.message);
            continue;
        }
        if (!run) {
            check_bytes(path, content[0], strlen(content[0]));
            continue;
        }
        for (int k = 0; k < 3; k++) {
            char name[4200];
            snprintf(name, sizeof name, "%s/attnscope-run-%03d%s", g.dir, number, files[k].suffix);
            if (k == 0 && strcmp(name, path) != 0)
                problem("writer %d: reported %s for number %d", index, path, number);
            check_bytes(name, content[k], strlen(content[k]));
        }
    }
    return NULL;
}

/* ---- the test ----------------------------------------------------------------------------------
 */

static int compare_paths(const void *a, const void *b) {
    return strcmp(((const written *)a)->path, ((const written *)b)->path);
}

/* After every thread ended: no name twice, each file still holds what was checked, and the
 * folder holds those files and nothing else. */
static void check_folder(void) {
    qsort(g.files, (size_t)g.n_files, sizeof g.files[0], compare_paths);
    for (int i = 1; i < g.n_files; i++)
        if (strcmp(g.files[i - 1].path, g.files[i].path) == 0)
            fail_msg("two exports reported the same file %s", g.files[i].path);
    for (int i = 0; i < g.n_files; i++) {
        size_t len;
        char *bytes = slurp(g.files[i].path, &len);
        if (!bytes || fnv(bytes, len) != g.files[i].hash)
            fail_msg("%s changed after it was written", g.files[i].path);
        free(bytes);
    }
    assert_int_equal(ats_count_entries(g.dir), g.n_files);
}

static void test_app_export_stress_every_kind_at_once(void **state) {
    (void)state;
    char *dir = ats_make_temp_dir();
    g.dir = dir;
    g.n_files = 0;
    pthread_t apps[APP_THREADS], writers[WRITER_THREADS];
    app_job jobs[APP_THREADS];
    int indices[WRITER_THREADS];
    for (int i = 0; i < APP_THREADS; i++) {
        jobs[i].index = i;
        snprintf(jobs[i].text, sizeof jobs[i].text,
                 "Window %d: the cat sat on the mat because it was warm.", i);
        assert_int_equal(pthread_create(&apps[i], NULL, app_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < WRITER_THREADS; i++) {
        indices[i] = i;
        assert_int_equal(pthread_create(&writers[i], NULL, writer_thread, &indices[i]), 0);
    }
    for (int i = 0; i < APP_THREADS; i++)
        pthread_join(apps[i], NULL);
    for (int i = 0; i < WRITER_THREADS; i++)
        pthread_join(writers[i], NULL);
    if (g.n_problems)
        fail_msg("%d problems, the first:\n%s", g.n_problems, g.problems);
    assert_int_equal(g.n_files, MAX_FILES);
    check_folder();
    print_message("%d files from %d windows and %d writers, every one as written\n", g.n_files,
                  APP_THREADS, WRITER_THREADS);
    ats_rmtree(dir);
    free(dir);
}

int main(void) {
    xmlInitParser();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_export_stress_every_kind_at_once),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return failed;
}
