/* The model picker: the list of models to open (model_list.h), opened with Ctrl+O or the panel's
 * button, and used with the mouse or Up / Down and Enter. */
#include "app_internal.h"

#include <stdlib.h>
#include <unistd.h>

const ats_model_list *ats_app_get_models(const ats_app *app) {
    return &app->models;
}

void ats_app_picker_toggle(ats_app *app) {
    ats_app_state *s = &app->state;
    s->picker_open = !s->picker_open;
    s->samples_open = false;
    if (s->picker_open) {
        char *cwd = getcwd(NULL, 0);
        if (!ats_model_list_scan(&app->models, cwd ? cwd : "."))
            ats_app_state_show_banner(s, "out of memory listing the models", true, 0, 0);
        free(cwd);
        s->picker_sel = 0;
        s->picker_scroll = 0;
    }
    app->dirty = true;
}

void ats_app_picker_open_entry(ats_app *app, int index, double now_ms) {
    if (index < 0 || index >= app->models.n)
        return;
    app->state.picker_open = false;
    ats_app_open_path(app, app->models.entries[index].path, now_ms);
    app->dirty = true;
}

bool ats_app_picker_key(ats_app *app, ats_key_event ev, double now_ms) {
    ats_app_state *s = &app->state;
    if (!s->picker_open || (ev.mods & (ATS_MOD_CTRL | ATS_MOD_ALT)))
        return false;
    int n = app->models.n, sel = s->picker_sel;
    switch (ev.key) {
    case ATS_KEY_UP:
        sel--;
        break;
    case ATS_KEY_DOWN:
        sel++;
        break;
    case ATS_KEY_PAGE_UP:
        sel -= 8;
        break;
    case ATS_KEY_PAGE_DOWN:
        sel += 8;
        break;
    case ATS_KEY_HOME:
        sel = 0;
        break;
    case ATS_KEY_END:
        sel = n - 1;
        break;
    case ATS_KEY_RETURN:
        ats_app_picker_open_entry(app, sel, now_ms);
        return true;
    default:
        return false;
    }
    s->picker_sel = sel < 0 ? 0 : sel >= n ? n - 1 : sel;
    app->dirty = true;
    return true;
}
