/* Keys, typed text and pointer hits turned into editor calls and state changes. */
#include "app_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool is_edit_action(ats_action a) {
    return a >= ATS_ACTION_EDIT_MOVE && a <= ATS_ACTION_EDIT_REDO;
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
    default:
        return ATS_EDIT_UNCHANGED;
    }
}

static void escape(ats_app_state *s) {
    if (s->help_visible)
        s->help_visible = false;
    else if (s->locked_token >= 0)
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
        ats_app_state_set_layer(s, s->layer - 1);
        break;
    case ATS_ACTION_LAYER_NEXT:
        ats_app_state_set_layer(s, s->layer + 1);
        break;
    case ATS_ACTION_HEAD_PREV:
        ats_app_state_set_head(s, s->head - 1);
        break;
    case ATS_ACTION_HEAD_NEXT:
        ats_app_state_set_head(s, s->head + 1);
        break;
    case ATS_ACTION_HEAD_SET:
        ats_app_state_set_head(s, arg);
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
        s->text_scale = 1.0f;
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
    const ats_binding *b = ats_keymap_lookup(app->state.focus, ev);
    /* X11 also reports Ctrl+plus as the text "+": the shortcut's own text is not typed */
    app->swallow_text = b && (b->mods & (ATS_MOD_CTRL | ATS_MOD_ALT));
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
    ats_app_post_load(app, path, NULL, now_ms); /* a dropped model brings its own tokenizer */
}

/* ---- pointer -------------------------------------------------------------------------------- */

static bool same_hover(const ats_app_state *s, int token, int q, int k, int l, int h) {
    return s->hover_token == token && s->hover_query == q && s->hover_key == k &&
           s->hover_layer == l && s->hover_head == h;
}

void ats_app_pointer_move(ats_app *app, const ats_hit *hit) {
    ats_app_state *s = &app->state;
    int token = -1, q = -1, k = -1, l = -1, h = -1;
    if (hit->kind == ATS_HIT_TOKEN) {
        token = hit->index;
    } else if (hit->kind == ATS_HIT_CELL) {
        q = hit->index;
        k = hit->index2;
    } else if (hit->kind == ATS_HIT_GRID_HEAD) {
        l = hit->index;
        h = hit->index2;
    }
    if (same_hover(s, token, q, k, l, h))
        return; /* no redraw for a pointer moving within one cell */
    ats_app_state_hover_token(s, token);
    bool cell_ok = q >= 0 && q < s->n_tokens && k >= 0 && k < s->n_tokens;
    s->hover_query = cell_ok ? q : -1;
    s->hover_key = cell_ok ? k : -1;
    bool head_ok = l >= 0 && l < s->n_layer && h >= 0 && h < s->n_head;
    s->hover_layer = head_ok ? l : -1;
    s->hover_head = head_ok ? h : -1;
    app->dirty = true;
}

void ats_app_pointer_down(ats_app *app, const ats_hit *hit, int clicks, unsigned mods) {
    ats_app_state *s = &app->state;
    app->drag_kind = hit->kind;
    s->focus = hit->kind == ATS_HIT_TEXT   ? ATS_FOCUS_TEXT
               : hit->kind == ATS_HIT_NONE ? s->focus
                                           : ATS_FOCUS_VIEWS;
    switch (hit->kind) {
    case ATS_HIT_TEXT:
        if (clicks >= 2)
            ats_editor_select_word_at(app->editor, hit->offset);
        else
            ats_editor_set_cursor(app->editor, hit->offset, (mods & ATS_MOD_SHIFT) != 0);
        break;
    case ATS_HIT_TOKEN:
        ats_app_state_click_token(s, hit->index);
        break;
    case ATS_HIT_GRID_HEAD: /* open that head large */
        ats_app_state_set_layer(s, hit->index);
        ats_app_state_set_head(s, hit->index2);
        ats_app_state_set_view(s, ATS_VIEW_HEATMAP);
        break;
    case ATS_HIT_VIEW_TAB:
        ats_app_state_set_view(s, (ats_view_kind)hit->index);
        break;
    case ATS_HIT_LAYER:
        ats_app_state_set_layer(s, hit->index);
        break;
    case ATS_HIT_HEAD:
        ats_app_state_set_head(s, hit->index);
        break;
    case ATS_HIT_HEAD_TOGGLE:
        if (hit->index == ATS_HIT_ALL_HEADS || hit->index == ATS_HIT_NO_HEADS)
            ats_app_state_show_all_heads(s, hit->index == ATS_HIT_ALL_HEADS);
        else
            ats_app_state_toggle_head_shown(s, hit->index);
        break;
    case ATS_HIT_COLORMAP:
        ats_app_state_set_colormap(s, hit->index);
        break;
    case ATS_HIT_HIDE_SPECIAL:
        s->hide_special = !s->hide_special;
        break;
    case ATS_HIT_THRESHOLD:
        ats_app_state_set_threshold(s, hit->value);
        break;
    default:
        break;
    }
    app->dirty = true;
}

void ats_app_pointer_drag(ats_app *app, const ats_hit *hit, float dx, float dy) {
    ats_app_state *s = &app->state;
    switch (app->drag_kind) {
    case ATS_HIT_TEXT: /* selecting text */
        if (hit->kind == ATS_HIT_TEXT)
            ats_editor_set_cursor(app->editor, hit->offset, true);
        break;
    case ATS_HIT_CELL:
    case ATS_HIT_HEATMAP: /* panning: the content follows the pointer */
        ats_app_state_pan_heatmap(s, -dx, -dy);
        break;
    case ATS_HIT_THRESHOLD:
        if (hit->kind == ATS_HIT_THRESHOLD)
            ats_app_state_set_threshold(s, hit->value);
        break;
    default:
        return;
    }
    app->dirty = true;
}

void ats_app_pointer_up(ats_app *app) {
    app->drag_kind = ATS_HIT_NONE;
}

void ats_app_wheel(ats_app *app, const ats_hit *hit, float dy) {
    if (hit->kind != ATS_HIT_CELL && hit->kind != ATS_HIT_HEATMAP)
        return;
    ats_app_state_zoom_heatmap(&app->state, powf(1.15f, dy), hit->x, hit->y);
    app->dirty = true;
}
