/* Encoder-decoder runs (T5): the encoder stack over the source tokens, then the decoder stack
 * (model->decoder, the same forward pass, causal, with a cross-attention block per layer) over
 * the decoder's tokens, attending to the encoder's final hidden states.
 *
 * Greedy generation runs the decoder once per new token on everything so far, takes the highest
 * logit of the last position (the lowest id on a tie), and stops after the end token or max_new
 * tokens; the returned run is one more decoder pass over all of them, so its attention covers
 * every decoder token. */
#include "base.h"
#include "run.h"

#include <stdlib.h>
#include <string.h>

static ats_status check_seq2seq(const ats_model *model, const ats_run_opts *opts, ats_error *err) {
    if (!model->info.has_weights)
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "%s holds a vocabulary only, no weights: it can tokenize but not run",
                        model->info.name);
    if (!model->decoder)
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "%s is not an encoder-decoder model (a target needs T5)", model->info.name);
    if (opts->n_ablate > 0)
        return ats_fail(err, ATS_ERR_UNSUPPORTED,
                        "%s: head ablation is not available for encoder-decoder models",
                        model->info.name);
    return ATS_OK;
}

/* The id of the largest value, the first on a tie. */
static int32_t argmax(const float *v, int n) {
    int32_t best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

/* Appends greedy tokens to `dec` (start token first) until the end token or max_new. */
static ats_status generate(const ats_model *model, ats_run *encoder, ats_tokens *dec, int max_new,
                           const ats_run_opts *opts, int *n_generated, ats_error *err) {
    const ats_model *d = model->decoder;
    ats_run_opts go = ats_run_opts_default();
    go.want_logits = true;
    go.threads = opts->threads;
    go.cancel = opts->cancel; /* a stale generation stops too */
    go.cancel_user = opts->cancel_user;
    *n_generated = 0;
    for (int step = 0; step < max_new && ats_tokens_count(dec) < d->cfg.context; step++) {
        ats_tokens *input = ats_tokens_copy(dec, err);
        ats_run *r = NULL;
        ats_status st =
            input ? ats_run_tokens(d, input, &go, 0.0, encoder, &r, err) : ATS_ERR_NOMEM;
        if (st != ATS_OK)
            return st;
        int32_t next = argmax(r->logits, d->cfg.vocab_size);
        ats_run_free(r);
        if ((st = ats_tokenizer_push_id(model->tokenizer, next, 0, dec, err)) != ATS_OK)
            return st;
        ++*n_generated;
        if (next == model->eos_id)
            break;
    }
    return ATS_OK;
}

/* Runs the encoder on `enc` and the decoder on `dec` (taking both), generating first when asked. */
static ats_status run_both(const ats_model *model, ats_tokens *enc, ats_tokens *dec, bool greedy,
                           const ats_run_opts *opts, double tokenize_ms, ats_run **out,
                           ats_error *err) {
    ats_run_opts eo = *opts;
    if (eo.detail_layer >= model->cfg.n_layer) /* a layer of the decoder only */
        eo.detail_layer = ATS_DETAIL_NONE;
    if (eo.attention_layer >= model->cfg.n_layer) /* likewise: this stack serves every layer */
        eo.attention_layer = ATS_DETAIL_ALL_LAYERS;
    eo.want_hidden = true; /* the decoder's memory */
    eo.want_logits = false;
    eo.keep_cache = false;
    eo.reuse = NULL;
    ats_run *encoder = NULL;
    ats_status st = ats_run_tokens(model, enc, &eo, tokenize_ms, NULL, &encoder, err);
    if (st != ATS_OK) {
        ats_tokens_free(dec);
        return st;
    }
    int n_generated = 0;
    if (greedy &&
        (st = generate(model, encoder, dec, opts->max_new, opts, &n_generated, err)) != ATS_OK) {
        ats_tokens_free(dec);
        ats_run_free(encoder);
        return st;
    }
    ats_run_opts dop = *opts;
    if (dop.detail_layer >= model->decoder->cfg.n_layer) /* a layer of the encoder only */
        dop.detail_layer = ATS_DETAIL_NONE;
    if (dop.attention_layer >= model->decoder->cfg.n_layer)
        dop.attention_layer = ATS_DETAIL_ALL_LAYERS;
    dop.keep_cache = false;
    dop.reuse = NULL;
    st = ats_run_tokens(model->decoder, dec, &dop, 0.0, encoder, out, err);
    ats_run_free(encoder); /* the decoder's run holds it */
    if (st == ATS_OK)
        (*out)->n_generated = n_generated;
    return st;
}

ats_status ats_run_seq2seq(const ats_model *model, const char *source, size_t source_len,
                           const char *target, size_t target_len, const ats_run_opts *opts,
                           ats_run **out, ats_error *err) {
    *out = NULL;
    ats_error_clear(err);
    ats_run_opts defaults = ats_run_opts_default();
    if (!opts)
        opts = &defaults;
    ats_status st = check_seq2seq(model, opts, err);
    if (st != ATS_OK)
        return st;
    double start = ats_clock_ms();
    ats_tokenize_opts eopts = {.add_special = opts->add_special}, topts = {.add_special = false};
    ats_tokens *enc = NULL, *tgt = NULL, *dec = ats_tokens_new();
    if (!dec)
        return ats_fail(err, ATS_ERR_NOMEM, "out of memory");
    if ((st = ats_tokenize(model, source, source_len, &eopts, &enc, err)) == ATS_OK &&
        (!target || (st = ats_tokenize(model, target, target_len, &topts, &tgt, err)) == ATS_OK) &&
        (st = ats_tokenizer_push_id(model->tokenizer, model->decoder_start_id, 0, dec, err)) ==
            ATS_OK) {
        for (int i = 0; tgt && i < ats_tokens_count(tgt) && st == ATS_OK; i++) {
            const ats_token *t = ats_tokens_get(tgt, i);
            st = ats_tokens_push(dec, t->id, t->start, t->end, t->special, t->piece,
                                 strlen(t->piece), err);
        }
    }
    ats_tokens_free(tgt);
    if (st != ATS_OK) {
        ats_tokens_free(enc);
        ats_tokens_free(dec);
        return st;
    }
    return run_both(model, enc, dec, target == NULL, opts, ats_clock_ms() - start, out, err);
}

ats_status ats_run_seq2seq_ids(const ats_model *model, const int32_t *source_ids, int n_source,
                               const int32_t *decoder_ids, int n_decoder, const ats_run_opts *opts,
                               ats_run **out, ats_error *err) {
    *out = NULL;
    ats_error_clear(err);
    ats_run_opts defaults = ats_run_opts_default();
    if (!opts)
        opts = &defaults;
    ats_status st = check_seq2seq(model, opts, err);
    if (st != ATS_OK)
        return st;
    if (n_decoder <= 0)
        return ats_fail(err, ATS_ERR_ARG, "the decoder needs at least its start token");
    ats_tokens *enc = NULL, *dec = NULL;
    if ((st = ats_tokens_of_ids(model, source_ids, n_source, &enc, err)) != ATS_OK ||
        (st = ats_tokens_of_ids(model, decoder_ids, n_decoder, &dec, err)) != ATS_OK) {
        ats_tokens_free(enc);
        ats_tokens_free(dec);
        return st;
    }
    return run_both(model, enc, dec, false, opts, 0.0, out, err);
}

const ats_run *ats_run_encoder(const ats_run *run) {
    return run->encoder;
}

const float *ats_run_cross_attentions(const ats_run *run) {
    return run->cross_attn;
}

const float *ats_run_cross_attention(const ats_run *run, int layer, int head) {
    if (!run->cross_attn || layer < 0 || layer >= run->cfg.n_layer || head < 0 ||
        head >= run->cfg.n_head)
        return NULL;
    size_t T = (size_t)run->n_tokens, Te = (size_t)run->n_memory;
    return run->cross_attn + ((size_t)layer * run->cfg.n_head + head) * T * Te;
}

int ats_run_generated_tokens(const ats_run *run) {
    return run->n_generated;
}
