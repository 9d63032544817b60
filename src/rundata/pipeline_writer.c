/* One head's attention formula for one query token as JSON: what the pipeline view shows, step
 * by step, with the what-if switches it was computed with (the window's Ctrl+E in that view). */
#include "attnscope/rundata.h"

/* rows x cols as an array of rows, one row a line */
static void mat(FILE *f, const float *m, int rows, int cols) {
    fputc('[', f);
    for (int r = 0; r < rows; r++) {
        fputs(r ? ",\n    " : "\n    ", f);
        ats_json_write_floats(f, m + (size_t)r * (size_t)cols, cols);
    }
    fputc(']', f);
}

ats_status ats_pipeline_write_json(FILE *f, const ats_model *model, const ats_run *run,
                                   const char *text, size_t text_len, const ats_pipeline_data *p,
                                   const ats_step_opts *opts, ats_error *err) {
    /* cross-attention: `run` is the decoder's; its tokens are the queries and the encoder's the
     * keys, the length of every per-key array */
    const ats_run *keys = p->cross ? ats_run_encoder(run) : run;
    if (!keys)
        return ats_fail(err, ATS_ERR_ARG, "pipeline: cross-attention steps of a run without one");
    int T = ats_run_n_tokens(keys), dh = p->d_head, dm = p->d_model;
    if (p->token < 0 || p->token >= ats_run_n_tokens(run))
        return ats_fail(err, ATS_ERR_ARG, "pipeline: query token %d out of range", p->token);
    const ats_model_config *c = ats_model_get_config(model);
    fputs("{\"model\": ", f);
    ats_json_write_model(f, model);
    fputs(",\n \"text\": ", f);
    ats_json_write_string(f, text ? text : "", text ? text_len : 0);
    fputs(",\n \"tokens\": ", f);
    ats_json_write_tokens(f, ats_run_get_tokens(run));
    if (p->cross) {
        fputs(",\n \"key_tokens\": ", f);
        ats_json_write_tokens(f, ats_run_get_tokens(keys));
    }
    fprintf(f, ",\n \"kind\": \"%s\",", p->cross ? "cross-attention" : "self-attention");
    fprintf(f, "\n \"layer\": %d, \"head\": %d, \"kv_head\": %d, \"query_token\": %d,", p->layer,
            p->head, p->kv_head, p->token);
    fprintf(f, " \"d_model\": %d, \"d_head\": %d, \"n_head\": %d, \"pre_norm\": %s,", dm, dh,
            p->n_head, p->pre_norm ? "true" : "false");
    /* the switches the numbers were computed with, and whether any differs from the model */
    bool scaling = !opts || opts->scale;
    int mask = opts ? opts->causal : -1;
    float temperature = opts ? opts->temperature : 1.0f;
    bool active = !scaling || (mask >= 0 && (mask == 1) != c->causal) || temperature != 1.0f;
    fprintf(f,
            "\n \"what_if\": {\"active\": %s, \"scaling\": %s, \"causal_mask\": \"%s\", "
            "\"temperature\": ",
            active ? "true" : "false", scaling ? "true" : "false",
            mask < 0 ? "model"
            : mask   ? "on"
                     : "off");
    ats_json_write_float(f, temperature);
    fputs("},\n \"scale\": ", f);
    ats_json_write_float(f, p->scale);
    fprintf(f, ", \"causal\": %s, \"window\": %d, \"softcap\": ", p->causal ? "true" : "false",
            p->window);
    ats_json_write_float(f, p->softcap);
    fputs(",\n \"steps\": {", f);
    fputs("\n  \"1_input\": ", f);
    mat(f, p->input, T, dm);
    fputs(",\n  \"2_q\": ", f);
    ats_json_write_floats(f, p->q, dh);
    fputs(",\n  \"2_k\": ", f);
    mat(f, p->k, T, dh);
    fputs(",\n  \"2_v\": ", f);
    mat(f, p->v, T, dh);
    fputs(",\n  \"3_scores\": ", f);
    ats_json_write_floats(f, p->scores, T);
    if (p->bias) {
        fputs(",\n  \"4_bias\": ", f);
        ats_json_write_floats(f, p->bias, T);
    }
    fputs(",\n  \"4_scaled\": ", f);
    ats_json_write_floats(f, p->scaled, T);
    if (p->capped) { /* Gemma 2: the soft-capped scores the softmax reads */
        fputs(",\n  \"4_capped\": ", f);
        ats_json_write_floats(f, p->capped, T);
    }
    fputs(",\n  \"5_masked\": [", f);
    for (int j = 0; j < T; j++)
        fprintf(f, "%s%s", j ? ", " : "", p->masked[j] ? "true" : "false");
    fputs("],\n  \"5_weights\": ", f);
    ats_json_write_floats(f, p->weights, T);
    fputs(",\n  \"6_output\": ", f);
    ats_json_write_floats(f, p->output, dh);
    fputs(",\n  \"7_concat\": ", f);
    ats_json_write_floats(f, p->concat, p->n_head * dh);
    fputs(",\n  \"7_projected\": ", f);
    ats_json_write_floats(f, p->projected, dm);
    fputs("}}\n", f);
    return ferror(f) ? ats_fail(err, ATS_ERR_IO, "pipeline: write error") : ATS_OK;
}
