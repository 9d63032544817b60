#include "app_state.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const VIEW_NAMES[ATS_VIEW_COUNT] = {"heatmap", "lines", "grid"};
static const char *const COLORMAPS[ATS_COLORMAP_COUNT] = {"viridis", "magma", "cividis", "greys"};

const char *ats_view_name(ats_view_kind view) {
    return view >= 0 && view < ATS_VIEW_COUNT ? VIEW_NAMES[view] : "?";
}

const char *ats_app_colormap_name(int index) {
    return index >= 0 && index < ATS_COLORMAP_COUNT ? COLORMAPS[index] : COLORMAPS[0];
}

int ats_app_colormap_find(const char *name) {
    for (int i = 0; i < ATS_COLORMAP_COUNT; i++)
        if (strcmp(COLORMAPS[i], name) == 0)
            return i;
    return -1;
}

static int clamp_int(int v, int lo, int hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

void ats_app_state_init(ats_app_state *s) {
    *s = (ats_app_state){
        .view = ATS_VIEW_HEATMAP,
        .focus = ATS_FOCUS_TEXT,
        .hover_token = -1,
        .locked_token = -1,
        .hover_query = -1,
        .hover_key = -1,
        .hover_layer = -1,
        .hover_head = -1,
        .heat_zoom = 1.0f,
        .threshold = 0.05f,
        .text_scale = 1.0f,
    };
}

void ats_app_state_set_model(ats_app_state *s, const char *name, const char *arch, int n_layer,
                             int n_head, bool causal) {
    snprintf(s->model_name, sizeof s->model_name, "%s", name);
    snprintf(s->model_arch, sizeof s->model_arch, "%s", arch);
    s->n_layer = n_layer > 0 ? n_layer : 0;
    s->n_head = n_head > 0 ? n_head : 0;
    s->causal = causal;
    ats_app_state_set_layer(s, s->layer);
    ats_app_state_set_head(s, s->head);
    memset(s->head_hidden, 0, sizeof s->head_hidden);
    s->hover_layer = s->hover_head = -1;
}

void ats_app_state_set_tokens(ats_app_state *s, int n_tokens) {
    s->n_tokens = n_tokens > 0 ? n_tokens : 0;
    if (s->hover_token >= s->n_tokens)
        s->hover_token = -1;
    if (s->locked_token >= s->n_tokens)
        s->locked_token = -1;
    if (s->hover_query >= s->n_tokens || s->hover_key >= s->n_tokens)
        s->hover_query = s->hover_key = -1;
}

void ats_app_state_set_layer(ats_app_state *s, int layer) {
    s->layer = s->n_layer ? clamp_int(layer, 0, s->n_layer - 1) : 0;
}

void ats_app_state_set_head(ats_app_state *s, int head) {
    s->head = s->n_head ? clamp_int(head, 0, s->n_head - 1) : 0;
}

void ats_app_state_set_view(ats_app_state *s, ats_view_kind view) {
    if (view >= 0 && view < ATS_VIEW_COUNT)
        s->view = view;
}

void ats_app_state_step_view(ats_app_state *s, int delta) {
    int v = ((int)s->view + delta) % ATS_VIEW_COUNT;
    s->view = (ats_view_kind)(v < 0 ? v + ATS_VIEW_COUNT : v);
}

void ats_app_state_hover_token(ats_app_state *s, int token) {
    s->hover_token = token >= 0 && token < s->n_tokens ? token : -1;
}

void ats_app_state_click_token(ats_app_state *s, int token) {
    if (token < 0 || token >= s->n_tokens || token == s->locked_token)
        s->locked_token = -1;
    else
        s->locked_token = token;
}

void ats_app_state_unlock(ats_app_state *s) {
    s->locked_token = -1;
}

int ats_app_state_focus_token(const ats_app_state *s) {
    return s->locked_token >= 0 ? s->locked_token : s->hover_token;
}

void ats_app_state_toggle_head_shown(ats_app_state *s, int head) {
    if (head >= 0 && head < s->n_head && head < ATS_APP_MAX_HEADS)
        s->head_hidden[head] = !s->head_hidden[head];
}

void ats_app_state_show_all_heads(ats_app_state *s, bool shown) {
    memset(s->head_hidden, shown ? 0 : 1, sizeof s->head_hidden);
}

bool ats_app_state_head_shown(const ats_app_state *s, int head) {
    return head >= 0 && head < s->n_head && (head >= ATS_APP_MAX_HEADS || !s->head_hidden[head]);
}

void ats_app_state_zoom_heatmap(ats_app_state *s, float factor, float x, float y) {
    if (!(factor > 0) || !isfinite(factor))
        return;
    float zoom = s->heat_zoom * factor;
    zoom = zoom < 1.0f ? 1.0f : zoom > 64.0f ? 64.0f : zoom;
    /* the content point under (x, y) stays under it */
    float cx = (x + s->heat_pan_x) / s->heat_zoom, cy = (y + s->heat_pan_y) / s->heat_zoom;
    s->heat_pan_x = cx * zoom - x;
    s->heat_pan_y = cy * zoom - y;
    s->heat_zoom = zoom;
    ats_app_state_pan_heatmap(s, 0, 0);
}

void ats_app_state_pan_heatmap(ats_app_state *s, float dx, float dy) {
    /* the far limit depends on the view's size, so the heatmap view clamps that side */
    s->heat_pan_x = s->heat_pan_x + dx > 0 ? s->heat_pan_x + dx : 0;
    s->heat_pan_y = s->heat_pan_y + dy > 0 ? s->heat_pan_y + dy : 0;
    if (s->heat_zoom <= 1.0f)
        s->heat_pan_x = s->heat_pan_y = 0;
}

void ats_app_state_reset_heatmap(ats_app_state *s) {
    s->heat_zoom = 1.0f;
    s->heat_pan_x = s->heat_pan_y = 0;
}

void ats_app_state_set_threshold(ats_app_state *s, float threshold) {
    if (isfinite(threshold))
        s->threshold = threshold < 0 ? 0 : threshold > 1 ? 1 : threshold;
}

void ats_app_state_set_colormap(ats_app_state *s, int index) {
    if (index >= 0 && index < ATS_COLORMAP_COUNT)
        s->colormap = index;
}

void ats_app_state_scale_text(ats_app_state *s, int steps) {
    float scale = s->text_scale * powf(1.25f, (float)steps);
    /* snap near 1 so that stepping up and down returns exactly to normal */
    if (fabsf(scale - 1.0f) < 1e-3f)
        scale = 1.0f;
    s->text_scale = scale < ATS_TEXT_SCALE_MIN   ? ATS_TEXT_SCALE_MIN
                    : scale > ATS_TEXT_SCALE_MAX ? ATS_TEXT_SCALE_MAX
                                                 : scale;
}

void ats_app_state_show_banner(ats_app_state *s, const char *message, bool is_error, double now_ms,
                               double duration_ms) {
    snprintf(s->banner, sizeof s->banner, "%s", message);
    s->banner_is_error = is_error;
    s->banner_until_ms = now_ms + (duration_ms > 0 ? duration_ms : ATS_BANNER_MS);
}

bool ats_app_state_tick(ats_app_state *s, double now_ms) {
    if (s->banner[0] && now_ms >= s->banner_until_ms) {
        s->banner[0] = '\0';
        return true;
    }
    return false;
}
