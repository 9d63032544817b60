/* A Hugging Face config.json read into the engine's model config plus the few facts the weight
 * loader needs (which tensors exist, how the head is tied).
 *
 * Model types: "gpt2"; "bert", "roberta", "xlm-roberta", "distilbert"; the Llama family "llama"
 * (Llama 1/2/3, TinyLlama, SmolLM), "mistral", "qwen2", "gemma", "gemma2", "phi3"; "phi"
 * (Phi-1/1.5/2); "gpt_neox" (Pythia); "opt"; the encoder-decoder "t5" (T5 v1.0 and v1.1,
 * Flan-T5) and "mt5". Sizes are checked to be positive and small enough that every product the
 * loaders form fits in 64 bits. rope_scaling types default, linear, dynamic, llama3, yarn and
 * longrope (legacy "su") are read; an option the engine does not run (another rope_scaling type, a
 * layer_types pattern, qk_layernorm, ...) is refused with ATS_ERR_UNSUPPORTED naming it.
 */
#ifndef ATS_ENGINE_HF_CONFIG_H
#define ATS_ENGINE_HF_CONFIG_H

#include "attnscope/engine.h"

enum { ATS_HF_MAX_ROPE_PAIRS = 512 }; /* LongRoPE factor lists: heads up to 1024 dimensions */

typedef struct ats_hf_config {
    ats_model_config cfg;
    char model_type[32];
    bool tie_embeddings; /* the LM head (encoders: the masked-LM head's decoder) is the token
                            embedding */
    bool qkv_bias;       /* Llama family: q/k/v projections have biases (Qwen2, attention_bias) */
    bool o_bias;         /* Llama family: o_proj has a bias (attention_bias) */
    bool mlp_bias;       /* Llama family: gate/up/down have biases (mlp_bias) */
    int type_vocab_size; /* BERT, RoBERTa: rows of token_type_embeddings; 0: none (DistilBERT) */
    /* how the weights are laid out */
    const char *tensor_prefix; /* BERT-style names: "bert." (NULL) or "roberta." */
    bool qkv_per_head;  /* GPT-NeoX query_key_value: rows q, k, v of head 0, then of head 1, ... */
    bool fused_qkv;     /* Phi-3 qkv_proj: all q rows, then k, then v */
    bool fused_gate_up; /* Phi-3 gate_up_proj: the gate rows, then the up rows */
    bool norm_plus_one; /* Gemma: RMSNorm multiplies by (1 + weight) */
    bool lm_head_bias;  /* Phi: lm_head has a bias */
    /* LongRoPE (cfg.rope_scaling.kind): rope_scaling's short_factor and long_factor, one divisor
     * per rotary pair (checked to be rotary dims / 2 positive numbers) */
    float rope_short[ATS_HF_MAX_ROPE_PAIRS], rope_long[ATS_HF_MAX_ROPE_PAIRS];
    int n_rope_pairs;
    /* for info: the family and each special choice found */
    char family[64];
    char choices[ATS_MAX_CHOICES][96];
    int n_choices;
    /* T5: cfg is the encoder's, dec the decoder's */
    ats_model_config dec;
    int decoder_start_id, eos_id;
} ats_hf_config;

/* Reads and checks `path` (a config.json). */
ats_status ats_hf_config_read(const char *path, ats_hf_config *out, ats_error *err);

/* The head scores attnscope train saves in a checkpoint's config.json:
 *   "attnscope": {"head_scores": {"previous_token": [[h0, h1, ...], ...], "induction": [...]}}
 * one row of n_head numbers in [0, 1] per layer. Fills out (2, n_layer, n_head) and sets *found;
 * *found false (ATS_OK) when the file has none; a malformed entry is an ATS_ERR_FORMAT naming
 * it. */
ats_status ats_hf_config_head_scores(const char *path, int n_layer, int n_head, float *out,
                                     bool *found, ats_error *err);

#endif
