/* Keys, typed text and pointer hits turned into editor calls and state changes. */
#include "app_internal.h"
#include "base.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool is_edit_action(ats_action a) {
    return a >= ATS_ACTION_EDIT_MOVE && a <= ATS_ACTION_EDIT_NEWLINE;
}

/* Reports a rejected edit on the banner; on success posts the new text. */
static void after_edit(ats_app *app, ats_edit_result r, uint64_t revision_before, double t) {
    switch (r) {
    case ATS_EDIT_OK:
        app->dirty = true;
        if (ats_editor_revision(app->editor) != revision_before)
            ats_app_text_changed(app, t);
        break;
    case ATS_EDIT_UNCHANGED:
        break;
    default:
        ats_app_state_show_banner(&app->state, ats_editor_error(app->editor), true, t, 0);
        app->dirty = true;
        break;
    }
}

static ats_edit_result edit(ats_app *app, ats_action action, int arg, bool shift) {
    const ats_clipboard *cb = app->has_clipboard ? &app->clipboard : NULL;
    ats_editor *ed = app->editor;
    switch (action) {
    case ATS_ACTION_EDIT_MOVE:
        return ats_editor_move(ed, (ats_editor_motion)arg, shift);
    case ATS_ACTION_EDIT_DELETE:
        return ats_editor_delete(ed, (ats_editor_motion)arg);
    case ATS_ACTION_EDIT_SELECT_ALL:
        return ats_editor_select_all(ed);
    case ATS_ACTION_EDIT_COPY:
        return ats_editor_copy(ed, cb);
    case ATS_ACTION_EDIT_CUT:
        return ats_editor_cut(ed, cb);
    case ATS_ACTION_EDIT_PASTE:
        return ats_editor_paste(ed, cb);
    case ATS_ACTION_EDIT_UNDO:
        return ats_editor_undo(ed);
    case ATS_ACTION_EDIT_REDO:
        return ats_editor_redo(ed);
    case ATS_ACTION_EDIT_NEWLINE:
        return ats_editor_insert(ed, "\n", 1);
    default:
        return ATS_EDIT_UNCHANGED;
    }
}

static void escape(ats_app_state *s) {
    if (s->help_visible)
        s->help_visible = false;
    else if (s->samples_open)
        s->samples_open = false;
    else if (s->picker_open)
        s->picker_open = false;
    else if (s->view.locked_token >= 0)
        ats_app_state_unlock(s);
    else
        s->focus = ATS_FOCUS_VIEWS;
}

void ats_app_do(ats_app *app, ats_action action, int arg, bool shift, double now_ms) {
    ats_app_state *s = &app->state;
    if (is_edit_action(action)) {
        s->focus = ATS_FOCUS_TEXT; /* editing keys bring the text box back */
        uint64_t revision = ats_editor_revision(app->editor);
        after_edit(app, edit(app, action, arg, shift), revision, now_ms);
        app->dirty = true;
        return;
    }
    switch (action) {
    case ATS_ACTION_NONE:
        return;
    case ATS_ACTION_LAYER_PREV:
        ats_app_state_set_layer(s, s->view.layer - 1);
        break;
    case ATS_ACTION_LAYER_NEXT:
        ats_app_state_set_layer(s, s->view.layer + 1);
        break;
    case ATS_ACTION_HEAD_PREV:
        ats_app_state_set_head(s, s->view.head - 1);
        break;
    case ATS_ACTION_HEAD_NEXT:
        ats_app_state_set_head(s, s->view.head + 1);
        break;
    case ATS_ACTION_HEAD_SET:
        ats_app_state_type_head_digit(s, arg, now_ms);
        break;
    case ATS_ACTION_VIEW_NEXT:
        ats_app_state_step_view(s, 1);
        break;
    case ATS_ACTION_VIEW_PREV:
        ats_app_state_step_view(s, -1);
        break;
    case ATS_ACTION_HELP_TOGGLE:
        s->help_visible = !s->help_visible;
        break;
    case ATS_ACTION_TEXT_LARGER:
        ats_app_state_scale_text(s, 1);
        break;
    case ATS_ACTION_TEXT_SMALLER:
        ats_app_state_scale_text(s, -1);
        break;
    case ATS_ACTION_TEXT_RESET:
        ats_app_state_reset_text_scale(s);
        break;
    case ATS_ACTION_FULLSCREEN_TOGGLE:
        s->fullscreen = !s->fullscreen;
        break;
    case ATS_ACTION_QUIT:
        s->quit_requested = true;
        break;
    case ATS_ACTION_ESCAPE:
        escape(s);
        break;
    case ATS_ACTION_FOCUS_TEXT:
        s->focus = ATS_FOCUS_TEXT;
        break;
    case ATS_ACTION_FOCUS_VIEWS:
        s->focus = ATS_FOCUS_VIEWS;
        ats_editor_close_group(app->editor);
        break;
    case ATS_ACTION_TOGGLE_SPECIAL:
        ats_app_state_cycle_special(s);
        break;
    case ATS_ACTION_VIEW_FIT:
        ats_app_state_fit_view(s);
        break;
    case ATS_ACTION_PANEL_TOGGLE:
        ats_app_state_toggle_panel(s, ats_ui_panel_visible(app->ui));
        break;
    case ATS_ACTION_STRIP_TOGGLE:
        ats_app_state_toggle_strip(s);
        break;
    case ATS_ACTION_PICKER:
        ats_app_picker_toggle(app);
        break;
    case ATS_ACTION_EXPORT:
        ats_app_export(app, (ats_export_kind)arg, now_ms, NULL, 0);
        break;
    case ATS_ACTION_ATTN_KIND:
        ats_app_state_set_kind(s, arg);
        break;
    case ATS_ACTION_SWITCH_TEXT:
        ats_app_switch_text(app);
        break;
    case ATS_ACTION_GENERATE:
        if (s->seq2seq) {
            app->generate = true;
            ats_app_post_run(app, now_ms);
        }
        break;
    case ATS_ACTION_PIPELINE_STEP:
        ats_app_state_step_pipeline(s, arg);
        break;
    case ATS_ACTION_CHECKPOINT:
        ats_app_series_step(app, arg, now_ms);
        break;
    case ATS_ACTION_REPLAY:
        ats_app_series_toggle_play(app, now_ms);
        break;
    case ATS_ACTION_NEXT_TOKEN:
        ats_app_generate_next(app, arg == 1, now_ms);
        break;
    case ATS_ACTION_VALUE_WEIGHTED:
        ats_app_toggle_value_weighted(app, now_ms);
        break;
    case ATS_ACTION_ABLATE:
        if (arg == 1)
            ats_app_clear_ablation(app, now_ms);
        else
            ats_app_toggle_ablation(app, s->view.layer, s->view.head, now_ms);
        break;
    case ATS_ACTION_METRIC_NEXT:
        ats_app_next_metric(app);
        break;
    case ATS_ACTION_AGGREGATE_NEXT:
        ats_app_next_aggregate(app, now_ms);
        break;
    case ATS_ACTION_COMPARE:
        ats_app_toggle_compare(app, now_ms);
        break;
    default:
        break;
    }
    app->dirty = true;
}

/* A held key repeats what makes sense to repeat; toggles would flicker. */
static bool repeats(ats_action a) {
    switch (a) {
    case ATS_ACTION_LAYER_PREV:
    case ATS_ACTION_LAYER_NEXT:
    case ATS_ACTION_HEAD_PREV:
    case ATS_ACTION_HEAD_NEXT:
    case ATS_ACTION_VIEW_NEXT:
    case ATS_ACTION_VIEW_PREV:
    case ATS_ACTION_TEXT_LARGER:
    case ATS_ACTION_TEXT_SMALLER:
    case ATS_ACTION_CHECKPOINT:
    case ATS_ACTION_EDIT_MOVE:
    case ATS_ACTION_EDIT_DELETE:
    case ATS_ACTION_EDIT_UNDO:
    case ATS_ACTION_EDIT_REDO:
        return true;
    default:
        return false;
    }
}

void ats_app_key(ats_app *app, ats_key_event ev, double event_ms) {
    if (ats_app_picker_key(app, ev, event_ms)) {
        app->swallow_text = false;
        return;
    }
    const ats_binding *b = ats_keymap_lookup(app->state.focus, ev);
    if (b && b->action == ATS_ACTION_PIPELINE_STEP && app->state.view.view != ATS_VIEW_PIPELINE)
        b = NULL; /* elsewhere a space is typed (and takes the keys back to the text box) */
    /* X11 also reports Ctrl+plus as the text "+": the shortcut's own text is not typed */
    app->swallow_text = b && ((b->mods & (ATS_MOD_CTRL | ATS_MOD_ALT)) || b->key == ATS_KEY_SPACE);
    if (b && (!ev.repeat || repeats(b->action)))
        ats_app_do(app, b->action, b->arg, (ev.mods & ATS_MOD_SHIFT) != 0, event_ms);
}

void ats_app_text_input(ats_app *app, const char *utf8, double event_ms) {
    if (app->swallow_text) {
        app->swallow_text = false;
        return;
    }
    if (app->state.focus == ATS_FOCUS_VIEWS) {
        const ats_binding *b = ats_keymap_text(ATS_FOCUS_VIEWS, utf8);
        if (b) {
            ats_app_do(app, b->action, b->arg, false, event_ms);
            return;
        }
        app->state.focus = ATS_FOCUS_TEXT; /* typing goes to the text box; nothing is lost */
        app->dirty = true;
    }
    uint64_t revision = ats_editor_revision(app->editor);
    after_edit(app, ats_editor_insert(app->editor, utf8, strlen(utf8)), revision, event_ms);
}

void ats_app_set_preedit(ats_app *app, const char *utf8, int cursor) {
    ats_app_state *s = &app->state;
    if (strcmp(s->preedit, utf8) == 0 && s->preedit_cursor == cursor)
        return;
    snprintf(s->preedit, sizeof s->preedit, "%s", utf8);
    int len = (int)strlen(s->preedit);
    s->preedit_cursor = cursor < 0 ? 0 : cursor > len ? len : cursor;
    app->dirty = true;
}

void ats_app_open_model(ats_app *app, const char *path, double now_ms) {
    ats_app_open_path(app, path, now_ms); /* a dropped model brings its own tokenizer */
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool ats_app_set_export_dir(ats_app *app, const char *dir, double now_ms) {
    ats_app_state *s = &app->state;
    char msg[1200];
    char *full = realpath(dir, NULL);
    if (!full || !is_dir(full)) {
        snprintf(msg, sizeof msg, "%s: cannot export there: %s", dir,
                 full ? "not a folder" : strerror(errno));
        free(full);
        ats_app_state_show_banner(s, msg, true, now_ms, 0);
        app->dirty = true;
        return false;
    }
    snprintf(s->export_dir, sizeof s->export_dir, "%s", full);
    free(full);
    app->dirty = true;
    return true;
}

void ats_app_drop(ats_app *app, const char *path, const ats_app_hit *hit, unsigned mods,
                  double now_ms) {
    bool on_export = hit && hit->kind == ATS_APP_HIT_EXPORT_DIR;
    if ((on_export || (mods & ATS_MOD_SHIFT)) && is_dir(path)) {
        if (ats_app_set_export_dir(app, path, now_ms)) {
            char msg[1200];
            snprintf(msg, sizeof msg, "exports go to %s", app->state.export_dir);
            ats_app_state_show_banner(&app->state, msg, false, now_ms, 3000);
        }
        return;
    }
    if (on_export) {
        char msg[1200];
        snprintf(msg, sizeof msg, "%s is not a folder: drop a folder here to export there", path);
        ats_app_state_show_banner(&app->state, msg, true, now_ms, 0);
        app->dirty = true;
        return;
    }
    if (mods & ATS_MOD_CTRL) { /* a second model to compare with */
        ats_app_open_compare_model(app, path, now_ms);
        return;
    }
    ats_app_open_model(app, path, now_ms);
}

void ats_app_set_device_scale(ats_app *app, float scale) {
    if (ats_app_state_set_device_scale(&app->state, scale))
        app->dirty = true;
}

/* ---- pointer -------------------------------------------------------------------------------- */

/* The hover state a pointer at `hit` gives; true when anything changed. */
static bool hover(ats_app_state *s, const ats_app_hit *hit) {
    ats_view_state *v = &s->view;
    ats_view_state before = *v;
    ats_app_hit_kind control = s->hover_control;
    int index = s->hover_index;
    int token = -1, q = -1, k = -1, l = -1, h = -1;
    ats_token_side side = ATS_SIDE_QUERY;
    switch (hit->kind) {
    case ATS_APP_HIT_CHIP:
        token = hit->index;
        break;
    case ATS_APP_HIT_TOKEN:
        token = hit->index;
        side = (ats_token_side)hit->side;
        break;
    case ATS_APP_HIT_CELL:
        q = hit->index;
        k = hit->index2;
        break;
    case ATS_APP_HIT_GRID_HEAD:
        l = hit->index;
        h = hit->index2;
        if (s->hover_kind != hit->side) { /* T5: another band's thumbnail */
            s->hover_kind = hit->side;
            v->hover_layer = -1; /* so that the change below is seen */
        }
        break;
    default:
        break;
    }
    ats_app_state_hover_token(s, token, side);
    bool cell_ok = q >= 0 && q < s->n_tokens && k >= 0 && k < s->n_tokens;
    v->hover_query = cell_ok ? q : -1;
    v->hover_key = cell_ok ? k : -1;
    bool head_ok = l >= 0 && l < s->n_layer && h >= 0 && h < s->n_head;
    v->hover_layer = head_ok ? l : -1;
    v->hover_head = head_ok ? h : -1;
    s->hover_control = hit->kind;
    s->hover_index = hit->index;
    return v->hover_token != before.hover_token || v->hover_side != before.hover_side ||
           v->hover_query != before.hover_query || v->hover_key != before.hover_key ||
           v->hover_layer != before.hover_layer || v->hover_head != before.hover_head ||
           s->hover_control != control || s->hover_index != index;
}

void ats_app_pointer_move(ats_app *app, const ats_app_hit *hit) {
    if (hover(&app->state, hit))
        app->dirty = true; /* no redraw for a pointer moving within one cell */
}

/* Loads a sample sentence as one undoable edit. */
static void load_sample(ats_app *app, int index, double now_ms) {
    if (index < 0 || index >= app->samples.n)
        return;
    const char *text = app->samples.texts[index];
    uint64_t revision = ats_editor_revision(app->editor);
    after_edit(app, ats_editor_set_text(app->editor, text, strlen(text), false), revision, now_ms);
}

/* The checkpoint under the slider's knob (evenly spaced) or the plot's pointer (by step). */
static void pick_checkpoint(ats_app *app, const ats_app_hit *hit, double now_ms) {
    const ats_series *s = app->series;
    if (!s)
        return;
    app->series_playing = false;
    if (hit->kind == ATS_APP_HIT_CHECKPOINT) {
        ats_app_series_show(app, (int)lroundf(hit->value * (float)(s->n - 1)), now_ms);
    } else {
        int last = s->steps_planned > s->step[s->n - 1] ? s->steps_planned : s->step[s->n - 1];
        ats_app_series_show(app, ats_series_nearest(s, hit->value * (double)last), now_ms);
    }
}

/* Panel controls, tabs, menus: a click does the thing at once. */
static void click_control(ats_app *app, const ats_app_hit *hit, double now_ms) {
    ats_app_state *s = &app->state;
    switch (hit->kind) {
    case ATS_APP_HIT_VIEW_TAB:
        ats_app_state_set_view(s, (ats_view_kind)hit->index);
        break;
    case ATS_APP_HIT_LAYER:
        ats_app_state_set_layer(s, hit->index);
        break;
    case ATS_APP_HIT_HEAD:
        ats_app_state_set_head(s, hit->index);
        break;
    case ATS_APP_HIT_HEAD_TOGGLE:
        if (hit->index == ATS_HIT_ALL_HEADS || hit->index == ATS_HIT_NO_HEADS)
            ats_app_state_show_all_heads(s, hit->index == ATS_HIT_ALL_HEADS);
        else
            ats_app_state_toggle_head_shown(s, hit->index);
        break;
    case ATS_APP_HIT_COLORMAP:
        ats_app_state_set_colormap(s, (ats_colormap)hit->index);
        break;
    case ATS_APP_HIT_HIDE_SPECIAL:
        s->view.hide_special = !s->view.hide_special;
        break;
    case ATS_APP_HIT_SPECIAL_MODE:
        s->view.renormalize = hit->index == 1;
        break;
    case ATS_APP_HIT_COLOR_SCALE:
        ats_app_state_set_color_scale(s, (ats_color_scale)hit->index);
        break;
    case ATS_APP_HIT_THRESHOLD:
        ats_app_state_set_threshold(s, hit->value);
        break;
    case ATS_APP_HIT_LINE_CUT:
        if (hit->index == 1)
            ats_app_state_set_line_mass(s, s->view.line_mass);
        else
            ats_app_state_set_top_k(s, s->view.line_top_k);
        break;
    case ATS_APP_HIT_LINE_AMOUNT:
        ats_app_state_set_line_amount(s, hit->value);
        break;
    case ATS_APP_HIT_PANEL_TOGGLE:
        ats_app_state_toggle_panel(s, ats_ui_panel_visible(app->ui));
        break;
    case ATS_APP_HIT_PICKER:
        ats_app_picker_toggle(app);
        break;
    case ATS_APP_HIT_PICKER_ENTRY:
        ats_app_picker_open_entry(app, hit->index, now_ms);
        break;
    case ATS_APP_HIT_SAMPLES:
        s->samples_open = !s->samples_open;
        break;
    case ATS_APP_HIT_SAMPLE:
        s->samples_open = false;
        load_sample(app, hit->index, now_ms);
        break;
    case ATS_APP_HIT_EXPORT:
        ats_app_export(app, (ats_export_kind)hit->index, now_ms, NULL, 0);
        break;
    case ATS_APP_HIT_STEP:
        s->view.step = hit->index;
        break;
    case ATS_APP_HIT_WHATIF_SCALE:
        s->whatif.scale = !s->whatif.scale;
        break;
    case ATS_APP_HIT_WHATIF_MASK:
        s->whatif.causal = hit->index < 0 ? -1 : hit->index > 0 ? 1 : 0;
        break;
    case ATS_APP_HIT_TEMPERATURE:
        ats_app_state_set_temperature(s, ats_app_temperature_at(hit->value));
        break;
    case ATS_APP_HIT_CHECKPOINT:
    case ATS_APP_HIT_TRAIN_PLOT:
        pick_checkpoint(app, hit, now_ms);
        break;
    case ATS_APP_HIT_REPLAY:
        ats_app_series_toggle_play(app, now_ms);
        break;
    case ATS_APP_HIT_BUILTIN:
        ats_app_open_path(app, hit->index == 1 ? "builtin:tiny" : "builtin:demo", now_ms);
        break;
    case ATS_APP_HIT_PREDICTION:
        ats_app_append_prediction(app, hit->index, now_ms);
        break;
    case ATS_APP_HIT_NEXT_TOKEN:
        ats_app_generate_next(app, hit->index == 1, now_ms);
        break;
    case ATS_APP_HIT_VALUE_WEIGHTED:
        ats_app_toggle_value_weighted(app, now_ms);
        break;
    case ATS_APP_HIT_METRIC:
        s->analysis.metric = hit->index;
        break;
    case ATS_APP_HIT_FILTER:
        ats_app_set_filter(app, hit->value);
        break;
    case ATS_APP_HIT_RANKED_HEAD: /* a head of the ranking: open it */
        if (s->n_head > 0) {
            ats_app_state_set_layer(s, hit->index / s->n_head);
            ats_app_state_set_head(s, hit->index % s->n_head);
            ats_app_state_set_view(s, ATS_VIEW_HEATMAP);
        }
        break;
    case ATS_APP_HIT_ABLATED:
        if (hit->index < 0)
            ats_app_clear_ablation(app, now_ms);
        else if (s->n_head > 0)
            ats_app_toggle_ablation(app, hit->index / s->n_head, hit->index % s->n_head, now_ms);
        break;
    case ATS_APP_HIT_AGGREGATE:
        s->view.aggregate = (ats_aggregate)hit->index;
        ats_app_state_set_view(s, ATS_VIEW_AGGREGATE);
        break;
    case ATS_APP_HIT_COMPARE:
        ats_app_toggle_compare(app, now_ms);
        break;
    case ATS_APP_HIT_BANNER:
        s->banner[0] = '\0';
        break;
    case ATS_APP_HIT_HELP:
        s->help_visible = false;
        break;
    case ATS_APP_HIT_MENU_OUTSIDE:
        s->samples_open = false;
        s->picker_open = false;
        break;
    default:
        break;
    }
}

void ats_app_pointer_down(ats_app *app, const ats_app_hit *hit, int clicks, unsigned mods,
                          double now_ms) {
    ats_app_state *s = &app->state;
    app->drag_kind = hit->kind;
    app->nav_dx = app->nav_dy = 0;
    app->nav_build = ats_ui_builds(app->ui);
    bool overlay = hit->kind == ATS_APP_HIT_HELP || hit->kind == ATS_APP_HIT_MENU_OUTSIDE ||
                   hit->kind == ATS_APP_HIT_SAMPLE || hit->kind == ATS_APP_HIT_BANNER ||
                   hit->kind == ATS_APP_HIT_PICKER_ENTRY;
    if (!overlay && hit->kind != ATS_APP_HIT_NONE)
        s->focus = hit->kind == ATS_APP_HIT_TEXT || hit->kind == ATS_APP_HIT_TEXT_OTHER
                       ? ATS_FOCUS_TEXT
                       : ATS_FOCUS_VIEWS;
    switch (hit->kind) {
    case ATS_APP_HIT_TEXT_OTHER: /* T5: the other box takes the keyboard */
        ats_app_switch_text(app);
        ats_editor_set_cursor(app->editor, ats_editor_length(app->editor), false);
        break;
    case ATS_APP_HIT_ATTN_KIND:
        ats_app_state_set_kind(s, hit->index);
        break;
    case ATS_APP_HIT_GENERATE:
        ats_app_do(app, ATS_ACTION_GENERATE, 0, false, now_ms);
        break;
    case ATS_APP_HIT_TEXT:
        if (clicks >= 2)
            ats_editor_select_word_at(app->editor, hit->offset);
        else
            ats_editor_set_cursor(app->editor, hit->offset, (mods & ATS_MOD_SHIFT) != 0);
        break;
    case ATS_APP_HIT_CHIP:
        ats_app_state_click_token(s, hit->index, ATS_SIDE_QUERY);
        break;
    case ATS_APP_HIT_CELL:
    case ATS_APP_HIT_VIEWS: /* a double-click fits the heatmap again */
        if (clicks >= 2)
            ats_app_state_fit_view(s);
        break;
    case ATS_APP_HIT_TOKEN:
        ats_app_state_click_token(s, hit->index, (ats_token_side)hit->side);
        break;
    case ATS_APP_HIT_GRID_HEAD: /* open that head large; with Shift switch it off or on */
        if (mods & ATS_MOD_SHIFT) {
            ats_app_toggle_ablation(app, hit->index, hit->index2, now_ms);
            break;
        }
        if (s->seq2seq) /* T5: of that band's attention */
            ats_app_state_set_kind(s, hit->side);
        ats_app_state_set_layer(s, hit->index);
        ats_app_state_set_head(s, hit->index2);
        ats_app_state_set_view(s, ATS_VIEW_HEATMAP);
        s->view.hover_layer = s->view.hover_head = -1;
        break;
    default:
        click_control(app, hit, now_ms);
        break;
    }
    app->dirty = true;
}

/* The view built last, when it is the heatmap (zoom and pan) or the lines view (a long text's
 * rows scroll). */
static const ats_view *heatmap_view(ats_app *app) {
    ats_view_kind k = app->state.view.view;
    return k == ATS_VIEW_HEATMAP || k == ATS_VIEW_LINES ? ats_ui_view(app->ui) : NULL;
}

/* Zoom and pan steps since the last build add up (the render side works from that build). */
static void nav_sync(ats_app *app) {
    unsigned builds = ats_ui_builds(app->ui);
    if (builds != app->nav_build) {
        app->nav_build = builds;
        app->nav_zoom = 1;
        app->nav_dx = app->nav_dy = 0;
    }
}

void ats_app_pointer_drag(ats_app *app, const ats_app_hit *hit, float dx, float dy) {
    ats_app_state *s = &app->state;
    switch (app->drag_kind) {
    case ATS_APP_HIT_TEXT: /* selecting text */
        if (hit->kind == ATS_APP_HIT_TEXT)
            ats_editor_set_cursor(app->editor, hit->offset, true);
        break;
    case ATS_APP_HIT_CELL:
    case ATS_APP_HIT_VIEWS: /* panning: the content follows the pointer */
    case ATS_APP_HIT_TOKEN: {
        const ats_view *view = heatmap_view(app);
        if (!view)
            return;
        nav_sync(app);
        app->nav_dx += dx;
        app->nav_dy += dy;
        ats_view_pan(view, &s->view, app->nav_dx, app->nav_dy);
        break;
    }
    case ATS_APP_HIT_THRESHOLD:
        if (hit->kind == ATS_APP_HIT_THRESHOLD)
            ats_app_state_set_threshold(s, hit->value);
        break;
    case ATS_APP_HIT_LINE_AMOUNT:
        if (hit->kind == ATS_APP_HIT_LINE_AMOUNT)
            ats_app_state_set_line_amount(s, hit->value);
        break;
    case ATS_APP_HIT_FILTER:
        if (hit->kind == ATS_APP_HIT_FILTER)
            ats_app_set_filter(app, hit->value);
        break;
    case ATS_APP_HIT_TEMPERATURE:
        if (hit->kind == ATS_APP_HIT_TEMPERATURE)
            ats_app_state_set_temperature(s, ats_app_temperature_at(hit->value));
        break;
    case ATS_APP_HIT_CHECKPOINT:
    case ATS_APP_HIT_TRAIN_PLOT:
        if (hit->kind == app->drag_kind)
            pick_checkpoint(app, hit, ats_clock_ms());
        break;
    default:
        return;
    }
    app->dirty = true;
}

void ats_app_pointer_up(ats_app *app) {
    app->drag_kind = ATS_APP_HIT_NONE;
}

static bool in_panel(ats_app_hit_kind k) {
    switch (k) {
    case ATS_APP_HIT_PANEL:
    case ATS_APP_HIT_VIEW_TAB:
    case ATS_APP_HIT_LAYER:
    case ATS_APP_HIT_HEAD:
    case ATS_APP_HIT_COLORMAP:
    case ATS_APP_HIT_HIDE_SPECIAL:
    case ATS_APP_HIT_COLOR_SCALE:
    case ATS_APP_HIT_SPECIAL_MODE:
    case ATS_APP_HIT_THRESHOLD:
    case ATS_APP_HIT_LINE_CUT:
    case ATS_APP_HIT_LINE_AMOUNT:
    case ATS_APP_HIT_PICKER:
    case ATS_APP_HIT_SAMPLES:
    case ATS_APP_HIT_EXPORT:
    case ATS_APP_HIT_EXPORT_DIR:
    case ATS_APP_HIT_STEP:
    case ATS_APP_HIT_WHATIF_SCALE:
    case ATS_APP_HIT_WHATIF_MASK:
    case ATS_APP_HIT_TEMPERATURE:
    case ATS_APP_HIT_CHECKPOINT:
    case ATS_APP_HIT_TRAIN_PLOT:
    case ATS_APP_HIT_REPLAY:
    case ATS_APP_HIT_BUILTIN:
    case ATS_APP_HIT_PREDICTION:
    case ATS_APP_HIT_NEXT_TOKEN:
    case ATS_APP_HIT_VALUE_WEIGHTED:
    case ATS_APP_HIT_METRIC:
    case ATS_APP_HIT_FILTER:
    case ATS_APP_HIT_RANKED_HEAD:
    case ATS_APP_HIT_ABLATED:
    case ATS_APP_HIT_AGGREGATE:
    case ATS_APP_HIT_COMPARE:
        return true;
    default:
        return false;
    }
}

void ats_app_wheel(ats_app *app, const ats_app_hit *hit, float dy) {
    ats_app_state *s = &app->state;
    if (s->picker_open) { /* the list scrolls (the drawing keeps it in range) */
        int scroll = s->picker_scroll - (int)lroundf(3.0f * dy);
        s->picker_scroll = scroll < 0 ? 0 : scroll;
        app->dirty = true;
        return;
    }
    if (in_panel(hit->kind) || (hit->kind == ATS_APP_HIT_HEAD_TOGGLE && !hit->in_view)) {
        float max = ats_ui_panel_scroll_max(app->ui);
        float scroll = s->panel_scroll - dy * 48 * s->view.ui_scale;
        s->panel_scroll = scroll < 0 ? 0 : scroll > max ? max : scroll;
        app->dirty = true;
        return;
    }
    if (hit->kind != ATS_APP_HIT_CELL && hit->kind != ATS_APP_HIT_VIEWS &&
        hit->kind != ATS_APP_HIT_TOKEN)
        return;
    const ats_view *view = heatmap_view(app);
    if (!view || !isfinite(dy))
        return;
    nav_sync(app);
    if (s->view.view == ATS_VIEW_LINES) { /* three rows a notch */
        app->nav_dy += dy * 60.0f * s->view.ui_scale;
        ats_view_pan(view, &s->view, 0, app->nav_dy);
    } else {
        app->nav_zoom *= powf(1.15f, dy);
        ats_view_zoom(view, &s->view, hit->x, hit->y, app->nav_zoom);
    }
    app->dirty = true;
}
