/* JSON output. Small objects (model, tokens) go through jansson so strings are escaped
 * correctly; the large attention arrays are streamed number by number. */
#include "attnscope/rundata.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>

static void dump_and_free(FILE *f, json_t *value) {
    if (value) {
        json_dumpf(value, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        json_decref(value);
    } else {
        fputs("null", f);
    }
}

void ats_json_write_string(FILE *f, const char *s, size_t len) {
    dump_and_free(f, json_stringn(s, len));
}

void ats_json_write_float(FILE *f, float v) {
    if (!isfinite(v)) {
        fputs("null", f);
        return;
    }
    /* The shortest of 7 or 9 significant digits that reads back as the same float32. */
    char buf[32];
    snprintf(buf, sizeof buf, "%.7g", (double)v);
    if (strtof(buf, NULL) != v)
        snprintf(buf, sizeof buf, "%.9g", (double)v);
    fputs(buf, f);
}

void ats_json_write_floats(FILE *f, const float *v, int n) {
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        ats_json_write_float(f, v[i]);
    }
    fputc(']', f);
}

void ats_json_write_double(FILE *f, double v) {
    if (isfinite(v))
        fprintf(f, "%.10g", v);
    else
        fputs("null", f);
}

void ats_json_write_tokens(FILE *f, const ats_tokens *tokens) {
    ats_json_write_token_range(f, tokens, 0, ats_tokens_count(tokens));
}

void ats_json_write_token_range(FILE *f, const ats_tokens *tokens, int from, int to) {
    fputc('[', f);
    for (int i = from; i < to; i++) {
        const ats_token *t = ats_tokens_get(tokens, i);
        json_t *obj = json_pack("{s:I, s:s, s:I, s:I, s:b}", "id", (json_int_t)t->id, "piece",
                                t->piece, "start", (json_int_t)t->start, "end", (json_int_t)t->end,
                                "special", (int)t->special);
        if (i > from)
            fputs(", ", f);
        dump_and_free(f, obj);
    }
    fputc(']', f);
}

void ats_json_write_model(FILE *f, const ats_model *model) {
    const ats_model_config *c = ats_model_get_config(model);
    const ats_model_info *info = ats_model_get_info(model);
    json_t *obj = json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:b}", "name", info->name,
                            "arch", ats_arch_name(c->arch), "n_layer", c->n_layer, "n_head",
                            c->n_head, "n_kv_head", c->n_kv_head, "d_model", c->d_model, "d_head",
                            c->d_head, "vocab_size", c->vocab_size, "causal", (int)c->causal);
    const ats_model_config *dec = ats_model_get_decoder_config(model);
    if (dec && obj) /* encoder-decoder: n_layer above is the encoder's */
        json_object_set_new(obj, "n_decoder_layer", json_integer(dec->n_layer));
    dump_and_free(f, obj);
}
