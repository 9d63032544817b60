#include "app_state.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int clamp_int(int v, int lo, int hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

static void update_ui_scale(ats_app_state *s) {
    s->view.ui_scale = s->device_scale * s->text_scale;
    s->view.present_scale = s->text_scale;
}

void ats_app_state_init(ats_app_state *s) {
    *s = (ats_app_state){
        .view = ats_view_state_default(),
        .focus = ATS_FOCUS_TEXT,
        .text_scale = 1.0f,
        .device_scale = 1.0f,
        .export_dir = ".",
        .whatif = ats_step_opts_default(),
        .digit_head = -1,
    };
    ats_analysis_ui_init(&s->analysis);
    update_ui_scale(s);
}

bool ats_app_state_two_boxes(const ats_app_state *s) {
    return s->seq2seq || s->analysis.compare;
}

void ats_app_state_set_model(ats_app_state *s, const char *name, const char *arch,
                             const char *format, const ats_model_config *c) {
    snprintf(s->model_name, sizeof s->model_name, "%s", name);
    snprintf(s->model_arch, sizeof s->model_arch, "%s", arch);
    snprintf(s->model_format, sizeof s->model_format, "%s", format ? format : "");
    s->n_layer = c->n_layer > 0 ? c->n_layer : 0;
    s->n_head = c->n_head > 0 ? c->n_head : 0;
    s->n_kv_head = c->n_kv_head > 0 ? c->n_kv_head : s->n_head;
    s->d_model = c->d_model;
    s->d_head = c->d_head;
    s->causal = c->causal;
    ats_app_state_set_layer(s, s->view.layer);
    ats_app_state_set_head(s, s->view.head);
    memset(s->view.heads_off, 0, sizeof s->view.heads_off);
    s->view.hover_layer = s->view.hover_head = -1;
    ats_app_state_reset_zoom(s);
    memset(s->analysis.ablated, 0, sizeof s->analysis.ablated); /* another model's heads */
    s->analysis.n_ablated = 0;
}

const char *ats_app_kind_title(ats_attn_kind kind) {
    switch (kind) {
    case ATS_ATTN_DECODER:
        return "decoder self-attention";
    case ATS_ATTN_CROSS:
        return "cross-attention";
    default:
        return "encoder self-attention";
    }
}

void ats_app_state_set_decoder(ats_app_state *s, const ats_model_config *decoder) {
    s->seq2seq = decoder != NULL;
    s->n_layer_enc = s->n_layer;
    s->n_layer_dec = decoder ? decoder->n_layer : 0;
    s->attn_kind = ATS_ATTN_ENCODER;
    s->edit_target = false;
}

void ats_app_state_set_kind(ats_app_state *s, int kind) {
    if (!s->seq2seq)
        return;
    ats_attn_kind k = kind < 0 ? (ats_attn_kind)((s->attn_kind + 1) % ATS_ATTN_COUNT)
                               : (ats_attn_kind)(kind % ATS_ATTN_COUNT);
    s->attn_kind = k;
    s->n_layer = k == ATS_ATTN_ENCODER ? s->n_layer_enc : s->n_layer_dec;
    s->causal = k == ATS_ATTN_DECODER;
    ats_app_state_set_layer(s, s->view.layer);
    ats_app_state_unlock(s);
    s->view.hover_token = s->view.hover_query = s->view.hover_key = -1;
    s->view.hover_layer = s->view.hover_head = -1;
    ats_app_state_reset_zoom(s);
}

void ats_app_state_set_tokens(ats_app_state *s, int n_tokens) {
    ats_view_state *v = &s->view;
    s->n_tokens = n_tokens > 0 ? n_tokens : 0;
    if (v->hover_token >= s->n_tokens)
        v->hover_token = -1;
    if (v->locked_token >= s->n_tokens)
        v->locked_token = -1;
    if (v->hover_query >= s->n_tokens || v->hover_key >= s->n_tokens)
        v->hover_query = v->hover_key = -1;
}

void ats_app_state_set_layer(ats_app_state *s, int layer) {
    s->view.layer = s->n_layer ? clamp_int(layer, 0, s->n_layer - 1) : 0;
}

void ats_app_state_set_head(ats_app_state *s, int head) {
    s->view.head = s->n_head ? clamp_int(head, 0, s->n_head - 1) : 0;
}

void ats_app_state_type_head_digit(ats_app_state *s, int digit, double now_ms) {
    int head = digit;
    if (s->digit_head >= 0 && now_ms - s->digit_ms < 1000.0 &&
        s->digit_head * 10 + digit < s->n_head)
        head = s->digit_head * 10 + digit;
    s->digit_head = head;
    s->digit_ms = now_ms;
    ats_app_state_set_head(s, head);
}

bool ats_app_view_available(ats_view_kind view) {
    return (unsigned)view < ATS_VIEW_COUNT;
}

void ats_app_state_set_view(ats_app_state *s, ats_view_kind view) {
    if ((unsigned)view < ATS_VIEW_COUNT && ats_app_view_available(view))
        s->view.view = view;
}

void ats_app_state_step_view(ats_app_state *s, int delta) {
    int v = (int)s->view.view;
    for (int tries = 0; tries < ATS_VIEW_COUNT; tries++) {
        v = ((v + delta) % ATS_VIEW_COUNT + ATS_VIEW_COUNT) % ATS_VIEW_COUNT;
        if (ats_app_view_available((ats_view_kind)v)) {
            s->view.view = (ats_view_kind)v;
            return;
        }
    }
}

void ats_app_state_hover_token(ats_app_state *s, int token, ats_token_side side) {
    s->view.hover_token = token >= 0 && token < s->n_tokens ? token : -1;
    s->view.hover_side = side;
}

void ats_app_state_click_token(ats_app_state *s, int token, ats_token_side side) {
    ats_view_state *v = &s->view;
    if (token < 0 || token >= s->n_tokens || (token == v->locked_token && side == v->locked_side))
        v->locked_token = -1;
    else {
        v->locked_token = token;
        v->locked_side = side;
    }
}

void ats_app_state_unlock(ats_app_state *s) {
    s->view.locked_token = -1;
}

int ats_app_state_focus_token(const ats_app_state *s) {
    return s->view.locked_token >= 0 ? s->view.locked_token : s->view.hover_token;
}

void ats_app_state_step_pipeline(ats_app_state *s, int delta) {
    int n = ATS_PIPELINE_STEPS + 1, step = s->view.step >= 0 && s->view.step < n ? s->view.step : 0;
    s->view.step = ((step + delta) % n + n) % n;
}

bool ats_app_state_whatif_active(const ats_app_state *s) {
    bool cross = s->seq2seq && s->attn_kind == ATS_ATTN_CROSS; /* no mask to switch there */
    bool mask = !cross && s->whatif.causal >= 0 && (s->whatif.causal == 1) != s->causal;
    return !s->whatif.scale || mask || s->whatif.temperature != 1.0f;
}

void ats_app_state_set_temperature(ats_app_state *s, float t) {
    if (isfinite(t))
        s->whatif.temperature = t < 0.1f ? 0.1f : t > 10.0f ? 10.0f : t;
}

float ats_app_temperature_at(float position) {
    float t = position < 0 ? 0 : position > 1 ? 1 : position;
    float v = powf(10.0f, 2.0f * t - 1.0f);
    return fabsf(v - 1.0f) < 0.03f ? 1.0f : v; /* the middle snaps to the model's own */
}

float ats_app_temperature_position(float temperature) {
    float t = temperature > 0 ? temperature : 1;
    return (log10f(t) + 1.0f) * 0.5f;
}

void ats_app_state_toggle_head_shown(ats_app_state *s, int head) {
    if (head >= 0 && head < s->n_head)
        ats_view_state_set_head_visible(&s->view, head, !ats_app_state_head_shown(s, head));
}

void ats_app_state_show_all_heads(ats_app_state *s, bool shown) {
    memset(s->view.heads_off, shown ? 0 : 0xFF, sizeof s->view.heads_off);
}

bool ats_app_state_head_shown(const ats_app_state *s, int head) {
    return head >= 0 && head < s->n_head && ats_view_state_head_visible(&s->view, head);
}

void ats_app_state_reset_zoom(ats_app_state *s) {
    s->view.zoom = 1.0f;
    s->view.pan_query = s->view.pan_key = 0;
}

void ats_app_state_fit_view(ats_app_state *s) {
    ats_app_state_reset_zoom(s);
}

void ats_app_state_set_top_k(ats_app_state *s, int k) {
    s->view.line_cut = ATS_LINE_CUT_TOP_K;
    s->view.line_top_k = clamp_int(k, 1, 20);
}

void ats_app_state_set_line_mass(ats_app_state *s, float mass) {
    if (!isfinite(mass))
        return;
    s->view.line_cut = ATS_LINE_CUT_MASS;
    s->view.line_mass = mass < 0.05f ? 0.05f : mass > 1.0f ? 1.0f : mass;
}

void ats_app_state_set_line_amount(ats_app_state *s, float position) {
    float t = isfinite(position) ? (position < 0 ? 0 : position > 1 ? 1 : position) : 0;
    if (s->view.line_cut == ATS_LINE_CUT_MASS)
        ats_app_state_set_line_mass(s, 0.5f + 0.05f * roundf(t * 10.0f));
    else
        ats_app_state_set_top_k(s, 1 + (int)lroundf(t * 9.0f));
}

float ats_app_line_amount_position(const ats_app_state *s) {
    float t = s->view.line_cut == ATS_LINE_CUT_MASS ? (s->view.line_mass - 0.5f) / 0.5f
                                                    : (float)(s->view.line_top_k - 1) / 9.0f;
    return t < 0 ? 0 : t > 1 ? 1 : t;
}

void ats_app_state_cycle_special(ats_app_state *s) {
    ats_view_state *v = &s->view;
    if (!v->hide_special) {
        v->hide_special = true;
        v->renormalize = false;
    } else if (!v->renormalize) {
        v->renormalize = true;
    } else {
        v->hide_special = v->renormalize = false;
    }
}

void ats_app_state_set_color_scale(ats_app_state *s, ats_color_scale scale) {
    if ((unsigned)scale < ATS_COLOR_SCALE_COUNT)
        s->view.color_scale = scale;
}

void ats_app_state_toggle_panel(ats_app_state *s, bool visible) {
    s->panel = visible ? ATS_PANEL_HIDDEN : ATS_PANEL_SHOWN;
}

void ats_app_state_toggle_strip(ats_app_state *s) {
    s->strip_hidden = !s->strip_hidden;
}

void ats_app_state_set_threshold(ats_app_state *s, float threshold) {
    if (isfinite(threshold))
        s->view.line_threshold = threshold < 0 ? 0 : threshold > 1 ? 1 : threshold;
}

void ats_app_state_set_colormap(ats_app_state *s, ats_colormap map) {
    if ((unsigned)map < ATS_COLORMAP_COUNT)
        s->view.colormap = map;
}

void ats_app_state_scale_text(ats_app_state *s, int steps) {
    float scale = s->text_scale * powf(1.25f, (float)steps);
    /* snap near 1 so that stepping up and down returns exactly to normal */
    if (fabsf(scale - 1.0f) < 1e-3f)
        scale = 1.0f;
    s->text_scale = scale < ATS_TEXT_SCALE_MIN   ? ATS_TEXT_SCALE_MIN
                    : scale > ATS_TEXT_SCALE_MAX ? ATS_TEXT_SCALE_MAX
                                                 : scale;
    update_ui_scale(s);
}

void ats_app_state_reset_text_scale(ats_app_state *s) {
    s->text_scale = 1.0f;
    update_ui_scale(s);
}

bool ats_app_state_set_device_scale(ats_app_state *s, float scale) {
    if (!(scale >= 0.25f && scale <= 8.0f) || scale == s->device_scale)
        return false;
    s->device_scale = scale;
    update_ui_scale(s);
    return true;
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
