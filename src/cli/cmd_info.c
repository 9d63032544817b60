#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *USAGE =
    "usage: attnscope info [--model M] [--json] [--scores] [--tokenizer FILE] [--causal]\n"
    "\n"
    "Describes a model: architecture, layers, heads, KV heads, d_model, d_head, context,\n"
    "vocabulary, dtype, weight tensors per stored type, the memory the weights take, parameter\n"
    "count, tokenizer kind and file size.\n"
    "\n"
    "  --model M         builtin:demo (default), builtin:tiny, a Hugging Face folder, a .gguf or\n"
    "                    llama2.c .bin\n"
    "  --json            one JSON object instead of aligned text\n"
    "  --scores          also each head's previous-token and induction score, measured on 8\n"
    "                    sequences of random tokens each followed by a copy of itself (JSON:\n"
    "                    \"head_scores\": {\"previous_token\": [[...]], \"induction\": [[...]]},\n"
    "                    one row per layer)\n"
    "  --tokenizer FILE  the tokenizer.bin of a llama2.c checkpoint\n"
    "  --causal          builtin:demo only: GPT-style causal mask\n";

static const char *norm_name(const ats_model_config *c) {
    return c->norm == ATS_NORM_RMSNORM ? "RMSNorm" : "LayerNorm";
}

static const char *positions_name(ats_pos_kind p) {
    switch (p) {
    case ATS_POS_NONE:
        return "none";
    case ATS_POS_LEARNED:
        return "learned";
    case ATS_POS_SINUSOIDAL:
        return "sinusoidal";
    case ATS_POS_ROPE_INTERLEAVED:
        return "rotary (interleaved pairs)";
    case ATS_POS_ROPE_HALF:
        return "rotary (rotate-half)";
    case ATS_POS_RELATIVE_BUCKETS:
        return "relative buckets (a learned bias per head added to the scores)";
    }
    return "unknown";
}

static const char *activation_name(ats_activation a) {
    switch (a) {
    case ATS_ACT_GELU_TANH:
        return "GELU (tanh)";
    case ATS_ACT_GELU_ERF:
        return "GELU (erf)";
    case ATS_ACT_SWIGLU:
        return "SwiGLU";
    case ATS_ACT_RELU:
        return "ReLU";
    case ATS_ACT_GEGLU:
        return "GeGLU (GELU tanh gate)";
    case ATS_ACT_GEGLU_ERF:
        return "GeGLU (GELU erf gate)";
    }
    return "unknown";
}

/* "3.56 GB", "540 MB", "12.0 kB", "812 bytes" (powers of 1000, as file sizes are shown) */
static void format_bytes(uint64_t n, char *out, size_t size) {
    static const char *units[] = {"kB", "MB", "GB", "TB"};
    if (n < 1000) {
        snprintf(out, size, "%llu bytes", (unsigned long long)n);
        return;
    }
    double v = (double)n / 1000;
    int u = 0;
    while (v >= 1000 && u < 3)
        v /= 1000, u++;
    snprintf(out, size, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

/* "Q4_K 193 (3.59 GB), Q6_K 33 (472 MB), F32 65 (1.05 MB)" */
static void print_tensor_types(FILE *f, const ats_model_info *i) {
    fprintf(f, "tensors        ");
    for (int k = 0; k < i->n_weight_types; k++) {
        char size[32];
        format_bytes(i->weight_types[k].bytes, size, sizeof size);
        fprintf(f, "%s%s %d (%s)", k ? ", " : "", i->weight_types[k].type,
                i->weight_types[k].tensors, size);
    }
    fprintf(f, "%s\n", i->n_weight_types ? "" : "none counted");
}

void cli_print_model_info(FILE *f, const ats_model *model) {
    const ats_model_config *c = ats_model_get_config(model);
    const ats_model_info *i = ats_model_get_info(model);
    fprintf(f, "model          %s\n", i->name);
    fprintf(f, "format         %s\n", i->format);
    fprintf(f, "architecture   %s\n", ats_arch_name(c->arch));
    if (i->family[0])
        fprintf(f, "family         %s\n", i->family);
    for (int k = 0; k < i->n_choices; k++)
        fprintf(f, "%s%s\n", k ? "               " : "choices        ", i->choices[k]);
    if (!i->has_weights)
        fprintf(f,
                "weights        none (vocabulary only: tokenize and info work, dump does not)\n");
    const ats_model_config *dec = ats_model_get_decoder_config(model);
    if (dec)
        fprintf(f, "stacks         encoder %d layers, decoder %d layers (with cross-attention)\n",
                c->n_layer, dec->n_layer);
    if (c->n_layer > 0) { /* a vocabulary-only file still describes its model's shape */
        fprintf(f, "layers         %d%s\n", c->n_layer, dec ? " (encoder)" : "");
        fprintf(f, "heads          %d\n", c->n_head);
        fprintf(f, "KV heads       %d%s\n", c->n_kv_head,
                c->n_kv_head < c->n_head ? " (grouped-query attention)" : "");
        fprintf(f, "d_model        %d\n", c->d_model);
        fprintf(f, "d_head         %d\n", c->d_head);
        fprintf(f, "d_ff           %d%s\n", c->d_ff, c->d_ff == 0 ? " (attention only)" : "");
        fprintf(f, "context        %d tokens\n", c->context);
    }
    if (c->vocab_size > 0)
        fprintf(f, "vocab          %d\n", c->vocab_size);
    else
        fprintf(f, "vocab          open (a word's id is a hash of the word)\n");
    if (i->has_weights) {
        fprintf(f, "dtype          %s\n", i->dtype);
        if (i->n_weight_types > 0)
            print_tensor_types(f, i);
        char memory[32];
        format_bytes(i->weight_memory, memory, sizeof memory);
        fprintf(f, "memory         %s for the weights (a run's working memory comes on top)\n",
                memory);
        fprintf(f, "parameters     %llu\n", (unsigned long long)i->n_params);
        fprintf(f, "norm           %s, %s\n", norm_name(c), c->pre_norm ? "pre-norm" : "post-norm");
        fprintf(f, "positions      %s\n", positions_name(c->positions));
        if (c->positions == ATS_POS_RELATIVE_BUCKETS)
            fprintf(f, "buckets        %d up to distance %d\n", c->rel_buckets,
                    c->rel_max_distance);
        fprintf(f, "activation     %s\n", activation_name(c->activation));
        if (dec)
            fprintf(f, "attention      encoder bidirectional; decoder causal, then cross-attention "
                       "to the encoder's output\n");
        else
            fprintf(f, "attention      %s\n",
                    c->causal ? "causal (a token sees itself and earlier tokens)"
                              : "bidirectional (every token sees every token)");
        if (c->attn_scale == 1.0f)
            fprintf(f, "scaling        none: q.k is not divided by sqrt(d_head) (T5 folds it into "
                       "the weights' initialization)\n");
    }
    fprintf(f, "tokenizer      %s\n", i->tokenizer_kind);
    fprintf(f, "file size      %llu bytes\n", (unsigned long long)i->file_size);
}

/* {"Q4_K": {"tensors": 193, "bytes": 3590324224}, ...} */
static json_t *tensor_types_json(const ats_model_info *i) {
    json_t *types = json_object();
    for (int k = 0; k < i->n_weight_types; k++)
        json_object_set_new(types, i->weight_types[k].type,
                            json_pack("{s:i, s:I}", "tensors", i->weight_types[k].tensors, "bytes",
                                      (json_int_t)i->weight_types[k].bytes));
    return types;
}

/* ---- --scores ------------------------------------------------------------------------------ */

typedef struct head_scores {
    int n_layer, n_head;
    float *previous_token, *induction; /* (L, H) */
} head_scores;

static bool measure_scores(const ats_model *model, head_scores *out, int *code) {
    const ats_model_config *c = ats_model_get_config(model);
    size_t LH = (size_t)c->n_layer * c->n_head;
    *out = (head_scores){c->n_layer, c->n_head, malloc(LH * sizeof(float)),
                         malloc(LH * sizeof(float))};
    ats_error err;
    ats_status s =
        !out->previous_token || !out->induction
            ? ats_fail(&err, ATS_ERR_NOMEM, "out of memory")
            : ats_head_scores_probe(model, NULL, out->previous_token, out->induction, &err);
    if (s != ATS_OK) {
        cli_error("info: %s", err.message);
        *code = cli_exit_for(s);
        return false;
    }
    return true;
}

static void print_scores(const head_scores *hs) {
    printf("head scores    on random tokens followed by a copy of themselves (attnscope info "
           "--help)\n");
    printf("               layer  head  previous-token  induction  role\n");
    for (int l = 0; l < hs->n_layer; l++)
        for (int h = 0; h < hs->n_head; h++) {
            size_t i = (size_t)l * hs->n_head + h;
            float p = hs->previous_token[i], ind = hs->induction[i];
            printf("               %-6d %-5d %-15.3f %-10.3f %s\n", l, h, (double)p, (double)ind,
                   ats_head_role_name(ats_head_role_of(p, ind)));
        }
}

static json_t *score_rows(const float *v, int n_layer, int n_head) {
    json_t *rows = json_array();
    for (int l = 0; l < n_layer; l++) {
        json_t *row = json_array();
        for (int h = 0; h < n_head; h++)
            json_array_append_new(row, json_real(v[(size_t)l * n_head + h]));
        json_array_append_new(rows, row);
    }
    return rows;
}

static void print_json(const ats_model *model, const head_scores *hs) {
    const ats_model_config *c = ats_model_get_config(model);
    const ats_model_info *i = ats_model_get_info(model);
    json_t *obj = json_pack(
        "{s:s, s:s, s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:I, s:s, s:s, "
        "s:s, s:s, s:b, s:I}",
        "name", i->name, "path", i->path, "format", i->format, "arch", ats_arch_name(c->arch),
        "has_weights", (int)i->has_weights, "n_layer", c->n_layer, "n_head", c->n_head, "n_kv_head",
        c->n_kv_head, "d_model", c->d_model, "d_head", c->d_head, "d_ff", c->d_ff, "context",
        c->context, "vocab_size", c->vocab_size, "dtype", i->dtype, "n_params",
        (json_int_t)i->n_params, "tokenizer", i->tokenizer_kind, "norm", norm_name(c), "positions",
        positions_name(c->positions), "activation", activation_name(c->activation), "causal",
        (int)c->causal, "file_size", (json_int_t)i->file_size);
    json_object_set_new(obj, "family", json_string(i->family));
    json_t *choices = json_array();
    for (int k = 0; k < i->n_choices; k++)
        json_array_append_new(choices, json_string(i->choices[k]));
    json_object_set_new(obj, "choices", choices);
    json_object_set_new(obj, "tensor_types", tensor_types_json(i));
    json_object_set_new(obj, "weight_memory", json_integer((json_int_t)i->weight_memory));
    const ats_model_config *dec = ats_model_get_decoder_config(model);
    if (dec) {
        json_object_set_new(obj, "n_decoder_layer", json_integer(dec->n_layer));
        json_object_set_new(obj, "rel_buckets", json_integer(c->rel_buckets));
        json_object_set_new(obj, "rel_max_distance", json_integer(c->rel_max_distance));
    }
    if (hs)
        json_object_set_new(obj, "head_scores",
                            json_pack("{s:o, s:o}", "previous_token",
                                      score_rows(hs->previous_token, hs->n_layer, hs->n_head),
                                      "induction",
                                      score_rows(hs->induction, hs->n_layer, hs->n_head)));
    json_dumpf(obj, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    fputc('\n', stdout);
    json_decref(obj);
}

int cmd_info(int argc, char **argv) {
    cli_opts o;
    if (!cli_parse("info", argc, argv, 2,
                   OPT_MODEL | OPT_JSON | OPT_TOKENIZER | OPT_CAUSAL | OPT_SCORES, &o))
        return EXIT_BAD_INPUT;
    if (o.help) {
        fputs(USAGE, stdout);
        return EXIT_OK;
    }
    int code = EXIT_OK;
    ats_model *model = cli_load_model(&o, &code);
    if (!model)
        return code;
    head_scores hs = {0};
    if (o.scores && !ats_model_get_info(model)->has_weights) {
        cli_error("info: %s holds no weights to score", o.model);
        code = EXIT_BAD_INPUT;
    } else if (!o.scores || measure_scores(model, &hs, &code)) {
        if (o.json) {
            print_json(model, o.scores ? &hs : NULL);
        } else {
            cli_print_model_info(stdout, model);
            if (o.scores)
                print_scores(&hs);
        }
    }
    free(hs.previous_token);
    free(hs.induction);
    ats_model_free(model);
    if (code != EXIT_OK)
        return code;
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUN_FAILED;
}
