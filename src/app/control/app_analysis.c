/* The window's analysis features (app_analysis.h): what a run posted needs, what arrives with
 * it, the arrays the views draw (value-weighted attention, the aggregate matrix and the attention
 * received, the difference of two texts, numbers per head), and the actions of their keys. */
#include "app_internal.h"
#include "base.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ats_analysis_ui_init(ats_analysis_ui *a) {
    *a = (ats_analysis_ui){.metric = -1, .temperature = 0.8f, .top_p = 0.95f, .sample_state = 1};
}

static size_t bit_of(int n_head, int layer, int head) {
    return (size_t)layer * (size_t)n_head + (size_t)head;
}

bool ats_analysis_head_off(const ats_analysis_ui *a, int n_head, int layer, int head) {
    size_t b = bit_of(n_head, layer, head);
    return layer >= 0 && head >= 0 && head < n_head && b < ATS_ABLATION_BITS &&
           (a->ablated[b / 64] >> (b % 64) & 1u);
}

/* ---- posting --------------------------------------------------------------------------------- */

static bool two_texts(const ats_app_state *s) {
    return s->analysis.compare && !s->seq2seq;
}

static bool wants_rollout(const ats_app_state *s) {
    return s->view.view == ATS_VIEW_AGGREGATE && s->view.aggregate == ATS_AGGREGATE_ROLLOUT;
}

void ats_app_analysis_post_opts(const ats_app *app, ats_run_opts *opts, ats_head_ref **ablate,
                                ats_extras_request *x) {
    const ats_app_state *s = &app->state;
    const ats_analysis_ui *a = &s->analysis;
    *ablate = NULL;
    *x = (ats_extras_request){
        .metrics = a->metric >= 0, .value_norms = a->value_weighted, .rollout = wants_rollout(s)};
    if (s->seq2seq)
        return; /* T5: ablation, prediction and comparison are for one-stack models */
    opts->want_logits = a->predicts;
    opts->want_hidden = a->fills_mask; /* what the masked-LM head reads at the mask tokens */
    if (a->n_ablated > 0 && (*ablate = malloc((size_t)a->n_ablated * sizeof **ablate))) {
        int n = 0;
        for (int l = 0; l < s->n_layer; l++)
            for (int h = 0; h < s->n_head && n < a->n_ablated; h++)
                if (ats_analysis_head_off(a, s->n_head, l, h))
                    (*ablate)[n++] = (ats_head_ref){l, h};
        opts->ablate = *ablate;
        opts->n_ablate = n;
    }
    if (two_texts(s)) {
        const ats_editor *b = ats_app_target_editor(app);
        x->compare = (char *)ats_editor_text(b); /* the worker copies it */
        x->compare_len = ats_editor_length(b);
        x->compare_model = app->compare_model; /* the worker takes a reference */
    }
}

static uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h;
}

uint64_t ats_app_analysis_key(const ats_app *app) {
    const ats_app_state *s = &app->state;
    const ats_analysis_ui *a = &s->analysis;
    uint64_t h = mix(0, (uint64_t)a->value_weighted | (uint64_t)wants_rollout(s) << 1 |
                            (uint64_t)a->predicts << 2 | (uint64_t)two_texts(s) << 3 |
                            (uint64_t)(a->metric >= 0) << 4 | (uint64_t)a->fills_mask << 5);
    for (size_t i = 0; a->n_ablated && i < ATS_ABLATION_BITS / 64; i++)
        h = mix(h, a->ablated[i]);
    if (two_texts(s))
        h = mix(mix(h, ats_editor_revision(ats_app_target_editor(app))),
                (uintptr_t)app->compare_model);
    return h;
}

/* ---- what arrives ---------------------------------------------------------------------------- */

const ats_run_extras *ats_app_get_extras(const ats_app *app) {
    return app->extras;
}

void ats_app_analysis_arrived(ats_app *app) {
    ats_app_state *s = &app->state;
    if (s->analysis.lock_last && app->run) { /* the token just generated: its row stands out */
        s->analysis.lock_last = false;
        s->view.locked_token = ats_run_n_tokens(app->run) - 1;
        s->view.locked_side = ATS_SIDE_QUERY;
    }
}

/* ---- arrays the views draw ------------------------------------------------------------------- */

typedef struct side_cache {
    uint64_t key;
    float *vw;       /* (L, H, T, T) value-weighted attention, or NULL */
    float *agg;      /* (T, T) the aggregate view's matrix, or NULL */
    float *received; /* (T) its column sums */
    /* a run computed on demand: the aggregate is the head fetcher's job (slot = the side), and
     * agg and received are zeros until it arrives */
    bool agg_pending;
    int agg_done, agg_total; /* its progress, in heads */
} side_cache;

struct ats_analysis_cache {
    side_cache side[2]; /* A (the shown run) and B (the compare run) */
    uint64_t diff_key;
    float *diff; /* (T, T) A - B of the head or aggregate shown, or NULL */
    char diff_detail[160];
    uint64_t heads_key;
    float *head_values; /* (L, H) the chosen metric, or NULL */
    bool *faded;        /* (L, H) below the filter */
};

/* Frees a side's arrays; `fetcher` (NULL: freed already) lets go of its aggregate's job. */
static void side_free(side_cache *c, ats_head_fetcher *fetcher, int side) {
    if (c->agg_pending && fetcher)
        ats_head_fetcher_aggregate(fetcher, side, NULL, ATS_AGGREGATE_MEAN, 0, NULL);
    free(c->vw);
    free(c->agg);
    free(c->received);
    *c = (side_cache){0};
}

void ats_app_analysis_free(ats_app *app) {
    struct ats_analysis_cache *c = app->analysis;
    if (!c)
        return;
    side_free(&c->side[0], app->heads, 0);
    side_free(&c->side[1], app->heads, 1);
    free(c->diff);
    free(c->head_values);
    free(c->faded);
    free(c);
    app->analysis = NULL;
}

/* The run of side 0 (the attention shown) or 1 (the compare text's), with its value norms and
 * rollout from the extras. */
static const ats_run *side_run(const ats_app *app, int side, const float **norms,
                               const float **rollout) {
    const ats_run_extras *x = app->extras;
    *norms = *rollout = NULL;
    if (side == 1) {
        if (!x || !two_texts(&app->state))
            return NULL;
        *norms = x->compare_norms;
        *rollout = x->compare_rollout;
        return x->compare;
    }
    const ats_run *run = ats_app_view_run(app);
    if (x && run == app->run) { /* the extras belong to the shown run itself */
        *norms = x->value_norms;
        *rollout = x->rollout;
    }
    return run;
}

/* A side's aggregate from the fetcher: its progress while pending, then the matrix. */
static void take_aggregate(ats_app *app, side_cache *c, int side) {
    float *out, *received;
    ats_fetch_state st = ats_head_fetcher_aggregate_take(app->heads, side, &out, &received,
                                                         &c->agg_done, &c->agg_total);
    if (st == ATS_FETCH_PENDING)
        return;
    c->agg_pending = false;
    free(c->agg);
    free(c->received);
    c->agg = out; /* NULL when it failed: the view says it cannot be drawn */
    c->received = received;
    app->dirty = true;
}

static void refresh_side(ats_app *app, int side) {
    side_cache *c = &app->analysis->side[side];
    const ats_app_state *s = &app->state;
    const float *norms, *rollout;
    const ats_run *run = side_run(app, side, &norms, &rollout);
    bool vw = s->analysis.value_weighted && norms, lines = s->view.view == ATS_VIEW_LINES;
    bool agg = s->view.view == ATS_VIEW_AGGREGATE && run && !ats_run_cross_attentions(run);
    uint64_t key =
        mix(mix(mix(app->shown_seq, (uintptr_t)run), (uintptr_t)norms ^ (uintptr_t)rollout),
            (uint64_t)vw | (uint64_t)lines << 1 | (uint64_t)agg << 2 |
                (uint64_t)s->view.aggregate << 3 | (uint64_t)s->view.layer << 8);
    if (key == c->key) {
        if (c->agg_pending)
            take_aggregate(app, c, side);
        return;
    }
    /* the fetcher's job is let go of below unless asked again: the same job keeps its heads */
    bool was_pending = c->agg_pending;
    side_free(c, NULL, side);
    c->key = key;
    if (was_pending &&
        !(agg && run && !ats_run_attention_kept(run) && s->view.aggregate != ATS_AGGREGATE_ROLLOUT))
        ats_head_fetcher_aggregate(app->heads, side, NULL, ATS_AGGREGATE_MEAN, 0, NULL);
    if (!run)
        return;
    const ats_model_config *cfg = ats_run_get_config(run);
    size_t T = (size_t)ats_run_n_tokens(run), TT = T * T;
    /* a run kept whole (a long one computes its heads on demand: no second copy of them all) */
    if (vw && ats_run_attention_kept(run) &&
        (c->vw = malloc((size_t)cfg->n_layer * cfg->n_head * TT * sizeof *c->vw)) &&
        ats_run_value_weighted_all(run, norms, lines, c->vw, NULL) != ATS_OK) {
        free(c->vw);
        c->vw = NULL;
    }
    /* a run computed on demand: its heads are the fetcher's to compute, never this thread's
     * (a 7B model's 1,024 heads at 2,048 tokens are minutes); the rollout came with the run */
    if (agg && !ats_run_attention_kept(run) && s->view.aggregate != ATS_AGGREGATE_ROLLOUT &&
        app->heads) {
        c->agg = calloc(TT, sizeof *c->agg); /* drawn empty under the card meanwhile */
        c->received = calloc(T, sizeof *c->received);
        c->agg_pending = c->agg && c->received &&
                         ats_head_fetcher_aggregate(app->heads, side, run, s->view.aggregate,
                                                    s->view.layer, NULL) == ATS_OK;
        c->agg_done = 0; /* the card's count until the fetcher says more */
        c->agg_total =
            s->view.aggregate == ATS_AGGREGATE_ALL ? cfg->n_layer * cfg->n_head : cfg->n_head;
        if (!c->agg_pending) {
            free(c->agg);
            free(c->received);
            c->agg = c->received = NULL;
        }
        return;
    }
    if (agg && (c->agg = malloc(TT * sizeof *c->agg)) &&
        (c->received = malloc(T * sizeof *c->received)) &&
        ats_run_aggregate_make(run, s->view.aggregate, s->view.layer, rollout, c->agg, c->received,
                               NULL) != ATS_OK) {
        free(c->agg);
        free(c->received);
        c->agg = c->received = NULL;
    }
}

/* A - B of what the heatmap or aggregate view shows, when both texts have as many tokens. */
static void refresh_diff(ats_app *app) {
    struct ats_analysis_cache *c = app->analysis;
    const ats_app_state *s = &app->state;
    const float *na, *ra, *nb, *rb;
    const ats_run *a = side_run(app, 0, &na, &ra), *b = side_run(app, 1, &nb, &rb);
    bool agg = s->view.view == ATS_VIEW_AGGREGATE;
    uint64_t key = mix(mix(mix(c->side[0].key, c->side[1].key), (uintptr_t)a), (uintptr_t)b);
    key =
        mix(key, (uint64_t)s->view.head << 8 | (uint64_t)agg |
                     /* an aggregate computed in the background arrived: A - B again */
                     (uint64_t)c->side[0].agg_pending << 1 | (uint64_t)c->side[1].agg_pending << 2);
    if (key == c->diff_key)
        return;
    c->diff_key = key;
    free(c->diff);
    c->diff = NULL;
    const ats_model_config *ca = a ? ats_run_get_config(a) : NULL;
    const ats_model_config *cb = b ? ats_run_get_config(b) : NULL;
    if (!a || !b || ats_run_n_tokens(a) != ats_run_n_tokens(b) || ca->n_layer != cb->n_layer ||
        ca->n_head != cb->n_head) /* a difference needs the same tokens, layers and heads */
        return;
    int T = ats_run_n_tokens(a), H = ats_run_get_config(a)->n_head;
    size_t TT = (size_t)T * (size_t)T, at = ((size_t)s->view.layer * H + s->view.head) * TT;
    const float *ma, *mb;
    if (agg) {
        ma = c->side[0].agg;
        mb = c->side[1].agg;
        snprintf(c->diff_detail, sizeof c->diff_detail,
                 "A \xE2\x88\x92 B \xC2\xB7 %s \xC2\xB7 layer %d",
                 ats_aggregate_name(s->view.aggregate), s->view.layer);
    } else {
        ma = c->side[0].vw ? c->side[0].vw + at : ats_run_attention(a, s->view.layer, s->view.head);
        mb = c->side[1].vw ? c->side[1].vw + at : ats_run_attention(b, s->view.layer, s->view.head);
        snprintf(c->diff_detail, sizeof c->diff_detail,
                 "A \xE2\x88\x92 B \xC2\xB7 layer %d \xC2\xB7 head %d%s", s->view.layer,
                 s->view.head, c->side[0].vw ? " \xC2\xB7 value-weighted" : "");
    }
    if (!ma || !mb || !(c->diff = malloc(TT * sizeof *c->diff)))
        return;
    for (size_t k = 0; k < TT; k++)
        c->diff[k] = ma[k] - mb[k];
}

/* The chosen metric of every head of the shown run, and which heads the filter fades. */
static void refresh_heads(ats_app *app) {
    struct ats_analysis_cache *c = app->analysis;
    const ats_analysis_ui *a = &app->state.analysis;
    const ats_run_extras *x = app->extras;
    bool on = a->metric >= 0 && x && x->metrics && !app->state.seq2seq;
    uint64_t key = mix(mix(mix(app->shown_seq, (uintptr_t)x), (uint64_t)(a->metric + 1)),
                       (uint64_t)(a->filter * 1e6f));
    if (key == c->heads_key)
        return;
    c->heads_key = key;
    free(c->head_values);
    free(c->faded);
    c->head_values = NULL;
    c->faded = NULL;
    if (!on)
        return;
    const ats_model_config *cfg = ats_run_get_config(app->run);
    size_t n = (size_t)cfg->n_layer * cfg->n_head;
    c->head_values = malloc(n * sizeof *c->head_values);
    c->faded = malloc(n * sizeof *c->faded);
    for (size_t i = 0; c->head_values && c->faded && i < n; i++) {
        double v = x->metrics[i].value[a->metric];
        c->head_values[i] = (float)v;
        c->faded[i] = a->filter > 0 && !(v >= a->filter); /* undefined (NaN) fades too */
    }
}

void ats_app_analysis_refresh(ats_app *app) {
    if (!app->analysis && !(app->analysis = calloc(1, sizeof *app->analysis)))
        return;
    refresh_side(app, 0);
    refresh_side(app, 1);
    refresh_diff(app);
    refresh_heads(app);
}

bool ats_app_aggregate_pending(const ats_app *app, int *done, int *total) {
    const struct ats_analysis_cache *c = app->analysis;
    int d = 0, t = 0;
    bool pending = false;
    for (int k = 0; c && k < 2; k++)
        if (c->side[k].agg_pending) {
            pending = true;
            d += c->side[k].agg_done;
            t += c->side[k].agg_total;
        }
    if (done)
        *done = d;
    if (total)
        *total = t;
    return pending;
}

void ats_app_analysis_view(const ats_app *app, int side, ats_run_view *vd) {
    const struct ats_analysis_cache *c = app->analysis;
    const ats_app_state *s = &app->state;
    if (!c || side < 0 || side > 1)
        return;
    const side_cache *sc = &c->side[side];
    if (sc->vw) {
        vd->data.attention = sc->vw;
        vd->data.measure = s->view.view == ATS_VIEW_LINES ? "value-weighted (\xC3\xB7 layer max)"
                                                          : "value-weighted";
    }
    vd->data.aggregate = sc->agg;
    vd->data.received = sc->received;
    if (side == 0 && c->head_values) {
        vd->data.head_values = c->head_values;
        vd->data.head_faded = c->faded;
        vd->data.head_value_name = ats_metric_name((ats_metric)s->analysis.metric);
    }
}

const float *ats_app_compare_difference(const ats_app *app, const char **detail) {
    *detail = app->analysis ? app->analysis->diff_detail : "";
    return app->analysis ? app->analysis->diff : NULL;
}

/* ---- actions --------------------------------------------------------------------------------- */

static void say(ats_app *app, double now_ms, bool error, const char *msg) {
    ats_app_state_show_banner(&app->state, msg, error, now_ms, error ? 0 : 3000);
    app->dirty = true;
}

void ats_app_toggle_ablation(ats_app *app, int layer, int head, double now_ms) {
    ats_app_state *s = &app->state;
    ats_analysis_ui *a = &s->analysis;
    if (s->seq2seq) {
        say(app, now_ms, true, "head ablation is for one-stack models, not T5");
        return;
    }
    size_t b = bit_of(s->n_head, layer, head);
    if (layer < 0 || layer >= s->n_layer || head < 0 || head >= s->n_head ||
        b >= ATS_ABLATION_BITS) {
        say(app, now_ms, true, "that head cannot be ablated here");
        return;
    }
    bool off = !ats_analysis_head_off(a, s->n_head, layer, head);
    a->ablated[b / 64] ^= (uint64_t)1 << (b % 64);
    a->n_ablated += off ? 1 : -1;
    char msg[160];
    snprintf(msg, sizeof msg,
             off ? "layer %d head %d switched off: later layers and the prediction follow"
                 : "layer %d head %d back on",
             layer, head);
    say(app, now_ms, false, msg);
    ats_app_post_run(app, now_ms);
}

void ats_app_clear_ablation(ats_app *app, double now_ms) {
    ats_analysis_ui *a = &app->state.analysis;
    if (a->n_ablated == 0)
        return;
    memset(a->ablated, 0, sizeof a->ablated);
    a->n_ablated = 0;
    say(app, now_ms, false, "every head back on");
    ats_app_post_run(app, now_ms);
}

void ats_app_toggle_value_weighted(ats_app *app, double now_ms) {
    ats_analysis_ui *a = &app->state.analysis;
    a->value_weighted = !a->value_weighted;
    if (a->value_weighted && app->state.seq2seq) {
        a->value_weighted = false;
        say(app, now_ms, true, "value-weighted attention is for one-stack models, not T5");
        return;
    }
    app->dirty = true;
    ats_app_post_run(app, now_ms);
}

void ats_app_next_metric(ats_app *app) {
    ats_analysis_ui *a = &app->state.analysis;
    a->metric = a->metric + 1 >= ATS_METRIC_COUNT ? -1 : a->metric + 1;
    app->dirty = true;
}

void ats_app_set_filter(ats_app *app, float t) {
    app->state.analysis.filter = t < 0 ? 0 : t > 1 ? 1 : t;
    app->dirty = true;
}

void ats_app_next_aggregate(ats_app *app, double now_ms) {
    ats_app_state *s = &app->state;
    if (s->view.view != ATS_VIEW_AGGREGATE)
        ats_app_state_set_view(s, ATS_VIEW_AGGREGATE);
    else
        s->view.aggregate = (ats_aggregate)((s->view.aggregate + 1) % ATS_AGGREGATE_COUNT);
    app->dirty = true;
    ats_app_post_run(app, now_ms); /* the rollout comes with a run */
}

/* Appends `text` to the A box's end and marks the run to come for locking its last token. */
static void append_text(ats_app *app, const char *text, size_t len, double now_ms) {
    if (app->state.edit_target)
        ats_app_switch_text(app);
    ats_editor *ed = app->editor;
    uint64_t revision = ats_editor_revision(ed);
    ats_editor_set_cursor(ed, ats_editor_length(ed), false);
    ats_edit_result r = ats_editor_insert(ed, text, len);
    if (r != ATS_EDIT_OK) {
        say(app, now_ms, true, ats_editor_error(ed));
        return;
    }
    ats_editor_close_group(ed); /* one token, one undo step */
    app->state.analysis.lock_last = true;
    if (ats_editor_revision(ed) != revision)
        ats_app_text_changed(app, now_ms);
}

/* The text of token `id`, as generation appends it. */
static void append_id(ats_app *app, int32_t id, double now_ms) {
    ats_tokens *one = NULL;
    char *text = NULL;
    size_t len = 0;
    const ats_model *model = ats_app_get_run_model(app);
    bool after = ats_editor_length(ats_app_source_editor(app)) > 0;
    if (ats_tokens_of_ids(model, &id, 1, &one, NULL) == ATS_OK &&
        ats_model_tokens_text(model, one, 0, 1, after, &text, &len, NULL) == ATS_OK)
        append_text(app, text, len, now_ms);
    free(text);
    ats_tokens_free(one);
}

/* The shown run can predict the text's next token (it is the text's own, and predicts). */
static bool can_predict(ats_app *app, double now_ms) {
    if (app->state.seq2seq || !app->run || !ats_run_logits_last(app->run)) {
        char why[96];
        snprintf(why, sizeof why, "this model predicts the token at each %s, not the next one",
                 app->state.analysis.mask);
        say(app, now_ms, true,
            app->state.seq2seq               ? "T5 generates its target with Ctrl+G"
            : app->state.analysis.fills_mask ? why
                                             : "this model has no language-model head: nothing "
                                               "to predict");
        return false;
    }
    if (app->state.computing) {
        say(app, now_ms, true, "the text is still running; press again when it shows");
        return false;
    }
    return true;
}

int ats_app_shown_mask(const ats_app *app) {
    const ats_run_extras *x = app->extras;
    if (!x || x->n_masked == 0)
        return -1;
    int locked = app->state.view.locked_token; /* not the hovered one: the pointer leaves it on
                                                  its way to the panel */
    for (int m = 0; m < x->n_masked; m++)
        if (x->masked_at[m] == locked)
            return m;
    return 0;
}

/* A masked-LM prediction clicked: its text replaces the mask token's bytes in the A box (as one
 * undo step), a leading space dropped when the text already has one there. */
static void fill_mask(ats_app *app, int index, double now_ms) {
    const ats_run_extras *x = app->extras;
    int m = ats_app_shown_mask(app);
    if (m < 0 || index < 0 || index >= x->masked_k)
        return;
    if (app->state.edit_target) /* the mask is in the A box */
        ats_app_switch_text(app);
    if (app->state.computing || ats_editor_revision(app->editor) != app->posted_revision) {
        say(app, now_ms, true, "the text is still running; press again when it shows");
        return; /* the mask's byte span is the shown run's */
    }
    const ats_token *mask = ats_tokens_get(ats_run_get_tokens(app->run), x->masked_at[m]);
    const ats_model *model = ats_app_get_run_model(app);
    ats_tokens *tok = NULL;
    char *text = NULL;
    size_t len = 0;
    int32_t id = x->masked_top[m][index].id;
    if (ats_tokens_of_ids(model, &id, 1, &tok, NULL) == ATS_OK &&
        ats_model_tokens_text(model, tok, 0, 1, mask->start > 0, &text, &len, NULL) == ATS_OK) {
        ats_editor *ed = app->editor;
        const char *all = ats_editor_text(ed);
        size_t skip = len > 0 && text[0] == ' ' && mask->start > 0 && all[mask->start - 1] == ' ';
        uint64_t revision = ats_editor_revision(ed);
        ats_editor_set_cursor(ed, (size_t)mask->start, false);
        ats_editor_set_cursor(ed, (size_t)mask->end, true);
        if (ats_editor_insert(ed, text + skip, len - skip) != ATS_EDIT_OK)
            say(app, now_ms, true, ats_editor_error(ed));
        ats_editor_close_group(ed);
        if (ats_editor_revision(ed) != revision)
            ats_app_text_changed(app, now_ms);
    }
    free(text);
    ats_tokens_free(tok);
}

void ats_app_append_prediction(ats_app *app, int index, double now_ms) {
    const ats_run_extras *x = app->extras;
    if (app->state.analysis.fills_mask && !app->state.seq2seq) {
        fill_mask(app, index, now_ms);
        return;
    }
    if (!can_predict(app, now_ms) || !x || index < 0 || index >= x->n_top)
        return;
    append_id(app, x->top[index].id, now_ms);
}

void ats_app_generate_next(ats_app *app, bool sample, double now_ms) {
    if (!can_predict(app, now_ms))
        return;
    ats_analysis_ui *a = &app->state.analysis;
    ats_sampling smp = {.sample = sample,
                        .temperature = a->temperature,
                        .top_p = a->top_p,
                        .state = a->sample_state};
    float prob;
    const ats_run *run = app->run;
    int32_t id = ats_sampling_choose(&smp, ats_run_logits_last(run),
                                     ats_run_get_config(run)->vocab_size, &prob);
    a->sample_state = smp.state;
    append_id(app, id, now_ms);
}

void ats_app_open_compare_model(ats_app *app, const char *path, double now_ms) {
    if (app->state.seq2seq || !app->model) {
        say(app, now_ms, true, "comparing two models needs a one-stack model open first");
        return;
    }
    if (ats_worker_loading(app->worker)) { /* one load at a time: it would replace the other */
        say(app, now_ms, true, "a model is loading: drop the model to compare again after it");
        return;
    }
    ats_load_opts lo = ats_load_opts_default();
    uint64_t seq = ats_worker_post_load(app->worker, path, &lo);
    if (!seq) {
        say(app, now_ms, true, "out of memory: the model to compare was not opened");
        return;
    }
    app->compare_load_seq = seq;
    app->state.loading = true;
    snprintf(app->state.loading_path, sizeof app->state.loading_path, "%s", path);
    app->dirty = true;
}

bool ats_app_analysis_loaded(ats_app *app, ats_worker_event *ev, double now_ms) {
    if (!app->compare_load_seq || ev->seq != app->compare_load_seq)
        return false;
    app->compare_load_seq = 0;
    char msg[ATS_ERROR_MESSAGE_SIZE + 128];
    if (ev->kind == ATS_WORKER_LOAD_FAILED) {
        snprintf(msg, sizeof msg, "the model to compare: %s", ev->error.message);
        say(app, now_ms, true, msg);
        return true;
    }
    const ats_model *b = ats_shared_model_get(ev->model);
    if (ats_model_get_decoder_config(b)) {
        say(app, now_ms, true, "comparing two models needs one-stack models, not T5");
        return true;
    }
    ats_shared_model_free(app->compare_model);
    app->compare_model = ev->model;
    ev->model = NULL;
    if (!app->state.analysis.compare)
        ats_app_toggle_compare(app, now_ms);
    snprintf(msg, sizeof msg,
             "comparing with %s: text B runs on it (the same tokenizer is assumed)",
             ats_model_get_info(b)->name);
    say(app, now_ms, false, msg);
    ats_app_post_run(app, now_ms);
    return true;
}

void ats_app_toggle_compare(ats_app *app, double now_ms) {
    ats_app_state *s = &app->state;
    if (s->seq2seq) {
        say(app, now_ms, true,
            "T5's two boxes are its source and target; compare is for "
            "one-stack models");
        return;
    }
    if (s->analysis.compare && s->edit_target)
        ats_app_switch_text(app); /* the keyboard back to A */
    s->analysis.compare = !s->analysis.compare;
    if (!s->analysis.compare) { /* a second model goes with the comparison */
        ats_shared_model_free(app->compare_model);
        app->compare_model = NULL;
    }
    ats_editor *b = ats_app_target_editor(app);
    if (s->analysis.compare && ats_editor_length(b) == 0) { /* B starts as a copy of A */
        const ats_editor *ed = ats_app_source_editor(app);
        ats_editor_set_text(b, ats_editor_text(ed), ats_editor_length(ed), true);
    }
    if (s->analysis.compare)
        say(app, now_ms, false,
            "compare: edit text B (Ctrl+T switches boxes); the views show A, B "
            "and A \xE2\x88\x92 B");
    app->dirty = true;
    ats_app_post_run(app, now_ms);
}
