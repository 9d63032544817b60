/* Generation (analysis.h): choosing the next token greedily or by sampling, and running the
 * model one token further while reusing everything before it (the run's key/value cache). */
#include "attnscope/analysis.h"
#include "base.h"
#include "run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

ats_sampling ats_sampling_greedy(void) {
    return (ats_sampling){.sample = false, .temperature = 1.0f, .top_p = 1.0f, .state = 0};
}

ats_status ats_sampling_check(const ats_sampling *s, ats_error *err) {
    if (!(s->temperature > 0.0f) || !isfinite(s->temperature))
        return ats_fail(err, ATS_ERR_ARG, "the sampling temperature must be positive, got %g",
                        (double)s->temperature);
    if (!(s->top_p > 0.0f && s->top_p <= 1.0f))
        return ats_fail(err, ATS_ERR_ARG, "top-p must be in (0, 1], got %g", (double)s->top_p);
    return ATS_OK;
}

typedef struct prob_id {
    double p;
    int32_t id;
} prob_id;

/* Highest probability first, the lower id first on a tie. */
static int by_prob(const void *a, const void *b) {
    const prob_id *x = a, *y = b;
    if (x->p != y->p)
        return x->p > y->p ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* A draw from softmax(logits / temperature) cut to the nucleus top_p; -1 when out of memory. */
static int32_t sample(ats_sampling *s, const float *logits, int n) {
    double *probs = malloc((size_t)n * sizeof *probs);
    prob_id *order = malloc((size_t)n * sizeof *order);
    int32_t chosen = -1;
    if (probs && order) {
        ats_probs_of_logits(logits, n, s->temperature, probs);
        for (int32_t i = 0; i < n; i++)
            order[i] = (prob_id){probs[i], i};
        qsort(order, (size_t)n, sizeof *order, by_prob);
        /* the nucleus: the fewest most probable tokens whose mass reaches top_p */
        int keep = 0;
        double mass = 0;
        while (keep < n && (keep == 0 || mass < s->top_p))
            mass += order[keep++].p;
        ats_rng rng = {s->state}; /* base.h's generator, its state kept in the sampling */
        double u = ats_rng_uniform(&rng) * mass, acc = 0;
        s->state = rng.state;
        chosen = order[keep - 1].id;
        for (int i = 0; i < keep; i++) {
            acc += order[i].p;
            if (u < acc) {
                chosen = order[i].id;
                break;
            }
        }
    }
    free(probs);
    free(order);
    return chosen;
}

int32_t ats_sampling_choose(ats_sampling *s, const float *logits, int n, float *prob) {
    int32_t id = s->sample ? sample(s, logits, n) : -1;
    if (id < 0) { /* greedy (or sampling out of memory): the highest logit, the first on a tie */
        id = 0;
        for (int32_t i = 1; i < n; i++)
            if (logits[i] > logits[id])
                id = i;
    }
    /* its probability under softmax(logits): exp(l_id - max) / sum_i exp(l_i - max) */
    double max = -INFINITY, sum = 0;
    for (int i = 0; i < n; i++)
        max = logits[i] > max ? logits[i] : max;
    for (int i = 0; i < n; i++)
        sum += exp((double)logits[i] - max);
    *prob = (float)(exp((double)logits[id] - max) / sum);
    return id;
}

ats_status ats_generate_step(const ats_model *model, const ats_run *run, const ats_run_opts *opts,
                             ats_sampling *sampling, ats_run **next, int32_t *id, float *prob,
                             ats_error *err) {
    *next = NULL;
    ats_error_clear(err);
    if (run->cfg.cross_attention || model->decoder)
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "%s: token-by-token generation is for one-stack models (T5 generates "
                        "with ats_run_seq2seq)",
                        model->info.name);
    if (!model->lm_head.w)
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "%s has no language-model head, so it cannot predict tokens",
                        model->info.name);
    if (!run->logits || run->model_serial != model->serial)
        return ats_fail(err, ATS_ERR_ARG, "generation needs a run of this model with its logits");
    if (run->n_tokens >= model->cfg.context)
        return ats_fail(err, ATS_ERR_ARG, "the text already fills the model's context (%d tokens)",
                        model->cfg.context);
    ats_status st = ats_sampling_check(sampling, err);
    if (st != ATS_OK)
        return st;

    *id = ats_sampling_choose(sampling, run->logits, model->cfg.vocab_size, prob);
    /* the tokens so far and the new one, its span just after the last token's end */
    ats_tokens *tokens = ats_tokens_copy(run->tokens, err);
    if (!tokens)
        return ATS_ERR_NOMEM;
    int32_t at = 0;
    for (int i = 0; i < run->n_tokens; i++)
        at = ats_tokens_get(run->tokens, i)->end > at ? ats_tokens_get(run->tokens, i)->end : at;
    if ((st = ats_tokenizer_push_id(model->tokenizer, *id, at, tokens, err)) != ATS_OK) {
        ats_tokens_free(tokens);
        return st;
    }
    int T = ats_tokens_count(tokens);
    size_t piece_len = 0;
    char *piece = NULL;
    if ((st = ats_model_tokens_text(model, tokens, T - 1, T, true, &piece, &piece_len, err)) !=
        ATS_OK) {
        ats_tokens_free(tokens);
        return st;
    }
    free(piece);
    ats_tokens_set_span(tokens, T - 1, at, at + (int32_t)piece_len);

    ats_run_opts o = opts ? *opts : ats_run_opts_default();
    o.want_logits = true;
    o.keep_cache = true;
    o.reuse = run;
    o.max_tokens = 0;
    return ats_run_tokens(model, tokens, &o, 0.0, NULL, next, err);
}

ats_status ats_generate(const ats_model *model, const char *text, size_t len,
                        const ats_run_opts *opts, int n_new, ats_sampling *sampling, ats_run **out,
                        float *probs, int *n_made, ats_error *err) {
    *out = NULL;
    *n_made = 0;
    ats_run_opts o = opts ? *opts : ats_run_opts_default();
    o.want_logits = true;
    o.keep_cache = true;
    o.reuse = NULL;
    ats_status st = ats_sampling_check(sampling, err);
    if (st == ATS_OK && model->decoder)
        st = ats_fail(err, ATS_ERR_UNSUPPORTED,
                      "%s: token-by-token generation is for one-stack models (T5 generates with "
                      "ats_run_seq2seq)",
                      model->info.name);
    if (st == ATS_OK && !model->lm_head.w)
        st = ats_fail(err, ATS_ERR_UNSUPPORTED,
                      "%s has no language-model head, so it cannot predict tokens",
                      model->info.name);
    ats_run *run = NULL;
    if (st == ATS_OK)
        st = ats_run_text(model, text, len, &o, &run, err);
    while (st == ATS_OK && *n_made < n_new && run->n_tokens < model->cfg.context) {
        ats_run *next;
        int32_t id;
        st = ats_generate_step(model, run, &o, sampling, &next, &id, &probs[*n_made], err);
        if (st == ATS_OK) {
            ats_run_free(run);
            run = next;
            ++*n_made;
        }
    }
    if (st != ATS_OK) {
        ats_run_free(run);
        return st;
    }
    *out = run;
    return ATS_OK;
}
