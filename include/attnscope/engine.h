/* attnscope engine: models, tokenizers and forward passes that keep every head's attention.
 *
 * Ownership: whoever loads or creates an object frees it with the matching *_free function;
 * every *_free accepts NULL. Getters return borrowed pointers that stay valid until their owner is
 * freed. A loaded model is immutable, so several threads may run it at once, each with its own
 * ats_run.
 *
 * Errors: fallible calls return an ats_status and, when `err` is not NULL, fill it with one line
 * naming the file or argument and what is wrong. The engine never prints and never exits.
 *
 * Arrays are row-major float32; shapes are given as (dim0, dim1, ...). T is the token count.
 */
#ifndef ATTNSCOPE_ENGINE_H
#define ATTNSCOPE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attnscope/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- model configuration ----------------------------------------------------------------- */

typedef enum ats_arch {
    ATS_ARCH_DEMO,
    ATS_ARCH_GPT2,
    ATS_ARCH_BERT,
    ATS_ARCH_LLAMA,
    ATS_ARCH_T5, /* encoder-decoder: the model's config is the encoder's; see the decoder's below */
    /* the families below are configurations of the same forward pass (see the switches in
     * ats_model_config); ats_model_info.family and .choices say what each one changes */
    ATS_ARCH_GPT_NEOX,   /* GPT-NeoX, Pythia */
    ATS_ARCH_PHI,        /* Phi-1, Phi-1.5, Phi-2 */
    ATS_ARCH_PHI3,       /* Phi-3, Phi-3.5, Phi-4-mini */
    ATS_ARCH_GEMMA,      /* Gemma */
    ATS_ARCH_GEMMA2,     /* Gemma 2 */
    ATS_ARCH_MISTRAL,    /* Mistral */
    ATS_ARCH_QWEN2,      /* Qwen2, Qwen2.5 */
    ATS_ARCH_OPT,        /* OPT */
    ATS_ARCH_ROBERTA,    /* RoBERTa, XLM-RoBERTa */
    ATS_ARCH_DISTILBERT, /* DistilBERT */
} ats_arch;

typedef enum ats_norm_kind {
    ATS_NORM_LAYERNORM, /* (x - mean) / sqrt(var + eps) * w + b */
    ATS_NORM_RMSNORM,   /* x / sqrt(mean(x^2) + eps) * w */
} ats_norm_kind;

typedef enum ats_pos_kind {
    ATS_POS_NONE,
    ATS_POS_LEARNED,          /* a (context, d_model) table added to the token vectors */
    ATS_POS_SINUSOIDAL,       /* fixed sin/cos codes added to the token vectors */
    ATS_POS_ROPE_INTERLEAVED, /* rotary on pairs (2i, 2i+1): llama2.c, GGUF */
    ATS_POS_ROPE_HALF,        /* rotary on pairs (i, i + d_head/2): Hugging Face "rotate_half" */
    ATS_POS_RELATIVE_BUCKETS, /* T5: a learned bias per head and bucket of the distance key -
                                 query, added to the scores (one table per stack, in layer 0) */
} ats_pos_kind;

typedef enum ats_activation {
    ATS_ACT_GELU_TANH, /* GPT-2 "gelu_new" */
    ATS_ACT_GELU_ERF,  /* BERT "gelu" */
    ATS_ACT_SWIGLU,    /* silu(gate(x)) * up(x): Llama */
    ATS_ACT_RELU,      /* T5 v1.0 "relu" */
    ATS_ACT_GEGLU,     /* gelu_tanh(gate(x)) * up(x): T5 v1.1 / Flan-T5 "gated-gelu", Gemma */
    ATS_ACT_GEGLU_ERF, /* gelu_erf(gate(x)) * up(x): Gemma with hidden_activation "gelu" */
} ats_activation;

typedef enum ats_rope_scaling_kind {
    ATS_ROPE_SCALING_NONE,
    ATS_ROPE_SCALING_LINEAR,   /* positions divided by factor */
    ATS_ROPE_SCALING_LLAMA3,   /* frequency-dependent scaling of Llama 3.1 */
    ATS_ROPE_SCALING_YARN,     /* YaRN: frequencies blended between interpolated (divided by
                                  factor) and kept, by a ramp over the pair index set by
                                  beta_fast / beta_slow rotations in the original context */
    ATS_ROPE_SCALING_LONGROPE, /* LongRoPE (Phi-3): each frequency divided by its own factor, the
                                  model's short list, or its long list when the text has more
                                  than original_max_position tokens */
} ats_rope_scaling_kind;

typedef struct ats_rope_scaling {
    ats_rope_scaling_kind kind;
    float factor;
    float low_freq_factor;      /* llama3 */
    float high_freq_factor;     /* llama3 */
    int original_max_position;  /* llama3, yarn, longrope: the context the model was trained on */
    float beta_fast, beta_slow; /* yarn: rotations bounding the ramp (32 and 1) */
    bool no_truncate;           /* yarn: the ramp's ends are not rounded to whole pairs */
    float attn_factor; /* yarn, longrope: cos and sin are multiplied by it (so every score by its
                          square); 0 means 1 */
} ats_rope_scaling;

typedef struct ats_model_config {
    ats_arch arch;
    int n_layer;
    int n_head;
    int n_kv_head; /* < n_head under grouped-query attention; head h reads KV head h / (n_head /
                      n_kv_head) */
    int d_model;
    int d_head;
    int d_ff;
    int vocab_size; /* 0 for the open-vocabulary demo model */
    int context;    /* the longest token sequence the model accepts */
    ats_norm_kind norm;
    bool pre_norm;   /* true: norm before attention/MLP (GPT-2, Llama); false: after (BERT) */
    bool embed_norm; /* a norm over the embeddings before layer 0 (BERT) */
    bool final_norm; /* a norm after the last layer (GPT-2 ln_f, Llama norm) */
    float norm_eps;
    ats_pos_kind positions;
    float rope_theta;
    ats_rope_scaling rope_scaling;
    ats_activation activation;
    bool causal;      /* true: a query sees only itself and earlier tokens */
    float attn_scale; /* multiplies q.k before the softmax: 1/sqrt(d_head), or 1 for T5 (whose
                         weights' initialization holds that factor) */
    /* ATS_POS_RELATIVE_BUCKETS: distances up to rel_buckets / 4 (bidirectional: per direction)
     * have a bucket each, longer ones share logarithmic buckets up to rel_max_distance */
    int rel_buckets;
    int rel_max_distance;
    bool cross_attention; /* a decoder stack: each layer also attends to the encoder's output */
    /* ---- switches of the other families (zero for GPT-2, BERT, Llama, T5) ---- */
    int rotary_dim; /* RoPE on the first rotary_dim dimensions of each head only (partial rotary:
                       GPT-NeoX rotary_pct, Phi partial_rotary_factor); 0 means all d_head */
    bool
        parallel_block;   /* x += attn(norm(x)) + mlp(norm'(x)): both blocks read the layer's
                             input (GPT-NeoX use_parallel_residual; Phi-2, where the norms are one) */
    bool post_block_norm; /* Gemma 2: a block's output is normed before it joins the residual */
    float embed_scale;    /* token vectors are multiplied by it (Gemma: sqrt(d_model)); 0 = 1 */
    int pos_offset;       /* ATS_POS_LEARNED: token t reads row t + pos_offset of the table (OPT 2,
                             RoBERTa padding_idx + 1) */
    float attn_softcap;   /* > 0: scaled scores s become attn_softcap * tanh(s / attn_softcap)
                             before the mask and softmax (Gemma 2) */
    float final_softcap;  /* > 0: the same on the logits (Gemma 2) */
    /* sliding-window attention: a windowed layer's query i sees only keys j with
     * i - sliding_window < j <= i. Layers window_from.. are windowed, except that in each group of
     * window_period layers the last one sees every key (period 1: all windowed; Gemma 2: period
     * 2, the even layers windowed). See ats_config_layer_window. */
    int sliding_window; /* 0: no window */
    int window_from;
    int window_period;
    /* OPT's word_embed_proj_dim: token vectors (and the LM head) have d_embed values, mapped to
     * d_model by a projection after the lookup (before the positions are added) and back after
     * the final norm, before the LM head; 0 means d_model, no projections */
    int d_embed;
} ats_model_config;

/* The sliding window of `layer` under `c` (its sliding_window), or 0 when the layer's queries see
 * every key the mask allows. */
int ats_config_layer_window(const ats_model_config *c, int layer);

/* "demo", "gpt2", "bert", "llama", "t5", and the Hugging Face model_type of the other families
 * ("gpt_neox", "phi", "phi3", "gemma", "gemma2", "mistral", "qwen2", "opt", "roberta",
 * "distilbert"). */
const char *ats_arch_name(ats_arch arch);

/* Weight tensors of one stored type ("Q4_K", "F32", ...) and the bytes they occupy as stored. */
typedef struct ats_weight_type_count {
    char type[12];
    int tensors;
    uint64_t bytes;
} ats_weight_type_count;

enum { ATS_MAX_WEIGHT_TYPES = 16, ATS_MAX_CHOICES = 12 };

/* Descriptive facts for `attnscope info` and the window's side panel. */
typedef struct ats_model_info {
    char name[256];          /* "builtin:demo", or the file or folder name */
    char path[1024];         /* as given to ats_model_load */
    char format[32];         /* "builtin", "safetensors", "gguf", "llama2.c" */
    char dtype[32];          /* weights as stored: "F32", "F16", "BF16", "Q8_0", mixes "Q4_0+F32" */
    char tokenizer_kind[64]; /* "word", "byte-level BPE", "WordPiece", "SentencePiece BPE", ... */
    uint64_t file_size;      /* bytes on disk over every file read (0 for builtin) */
    uint64_t n_params;       /* weights the attention engine holds */
    /* the tensors read, by stored type, most bytes first */
    ats_weight_type_count weight_types[ATS_MAX_WEIGHT_TYPES];
    int n_weight_types;
    /* memory the loaded weights take: stored bytes used in place from the mapped file(s) plus
     * what the loader converted or generated (a run's working memory comes on top) */
    uint64_t weight_memory;
    bool has_weights; /* false for a vocabulary-only GGUF: tokenize and info only */
    /* what the loader found in the file: the family by name ("GPT-NeoX (gpt_neox)") and one line
     * per special choice of its configuration ("parallel residual (use_parallel_residual)") */
    char family[64];
    char choices[ATS_MAX_CHOICES][96];
    int n_choices;
} ats_model_info;

/* ---- loading ----------------------------------------------------------------------------- */

typedef struct ats_model ats_model;

typedef struct ats_load_opts {
    const char *tokenizer_path; /* llama2.c: tokenizer.bin; NULL looks beside the model */
    int causal;                 /* builtin:demo only: -1 model default, 0 bidirectional, 1 causal */
} ats_load_opts;

ats_load_opts ats_load_opts_default(void);

/* `path` is "builtin:demo", a Hugging Face folder, a .gguf file or a llama2.c .bin file. */
ats_status ats_model_load(const char *path, const ats_load_opts *opts, ats_model **out,
                          ats_error *err);
void ats_model_free(ats_model *model);

const ats_model_config *ats_model_get_config(const ats_model *model);
/* Encoder-decoder models (T5): the decoder stack's config (causal, cross_attention, its own
 * n_layer); ats_model_get_config gives the encoder's. NULL for one-stack models. */
const ats_model_config *ats_model_get_decoder_config(const ats_model *model);
const ats_model_info *ats_model_get_info(const ats_model *model);
/* True when the model predicts the next token (a language-model head: GPT-2, Llama, T5's
 * decoder); false for the encoders (BERT, RoBERTa, DistilBERT: see ats_model_has_mlm_head),
 * builtin:demo and vocabulary-only files. */
bool ats_model_has_lm_head(const ats_model *model);
/* True when an encoder (BERT, RoBERTa, XLM-RoBERTa, DistilBERT) was loaded with its
 * masked-language-model head (a ...ForMaskedLM or BertForPreTraining checkpoint):
 * ats_run_mlm_logits predicts the token at any position, at a mask token what the model was
 * trained for. False for checkpoints without the head (BertModel, ...ForSequenceClassification). */
bool ats_model_has_mlm_head(const ats_model *model);
/* The mask token of a model with a masked-LM head: its id, and in *piece (when not NULL) its text
 * ("[MASK]", "<mask>"; borrowed from the model); -1 and NULL for other models and vocabularies
 * without one. */
int32_t ats_model_mask_token(const ats_model *model, const char **piece);

/* A one-line explanation of a hand-built head ("previous token: its query rotates the position
 * code back by one"), or NULL for heads that were learned or are random. */
const char *ats_model_head_caption(const ats_model *model, int layer, int head);

/* ---- tokens ------------------------------------------------------------------------------ */

typedef struct ats_token {
    int32_t id;
    int32_t start, end; /* byte span in the input text; start == end for an added special token */
    bool special;       /* added by the tokenizer ([CLS], <s>) or matched as a special token */
    const char *piece;  /* readable UTF-8 form: byte-level marks decoded, stray bytes as <0xE6> */
} ats_token;

typedef struct ats_tokens ats_tokens; /* opaque list */

int ats_tokens_count(const ats_tokens *tokens);
const ats_token *ats_tokens_get(const ats_tokens *tokens, int index);
void ats_tokens_free(ats_tokens *tokens);

/* The text of tokens [from, to): their pieces joined, byte pieces ("<0xE6>") as the bytes they
 * stand for wherever those form valid UTF-8 (others stay written as "<0xE6>"). A NUL-terminated
 * string the caller frees; *len (when not NULL) gets its length. For text a model generated. */
ats_status ats_tokens_text(const ats_tokens *tokens, int from, int to, char **out, size_t *len,
                           ats_error *err);

typedef struct ats_tokenize_opts {
    bool add_special; /* add the special tokens the model's tokenizer adds by default */
} ats_tokenize_opts;

/* The text tokens [from, to) of `model` add to a text (`after_text`: they follow earlier text),
 * as the model's tokenizer decodes: ats_tokens_text's joined pieces, or for WordPiece words
 * separated by spaces ("##" pieces joined to the word before, no space before . , ! ?). A
 * NUL-terminated string the caller frees; *len (when not NULL) gets its length. */
ats_status ats_model_tokens_text(const ats_model *model, const ats_tokens *tokens, int from, int to,
                                 bool after_text, char **out, size_t *len, ats_error *err);

/* Token ids as the model's tokenizer shows them (pieces, special flags; spans 0..0); ATS_ERR_ARG
 * for an id outside the vocabulary. */
ats_status ats_tokens_of_ids(const ats_model *model, const int32_t *ids, int n, ats_tokens **out,
                             ats_error *err);

/* Checks that `text` is valid UTF-8 (ATS_ERR_FORMAT naming the byte offset when not). */
ats_status ats_tokenize(const ats_model *model, const char *text, size_t len,
                        const ats_tokenize_opts *opts, ats_tokens **out, ats_error *err);

/* ---- runs -------------------------------------------------------------------------------- */

#define ATS_DETAIL_NONE       (-1)
#define ATS_DETAIL_ALL_LAYERS (-2)

/* One head of one layer (both counting from 0). */
typedef struct ats_head_ref {
    int layer, head;
} ats_head_ref;

typedef struct ats_run_opts {
    bool add_special; /* as in ats_tokenize_opts */
    bool want_hidden; /* keep the final hidden states */
    bool want_logits; /* compute the last position's logits (needs an LM head) */
    int detail_layer; /* keep Q, K, V, raw scores, head outputs for this layer, none, or all */
    int max_tokens;   /* keep at most this many tokens; 0 means the model's context */
    /* Typing support for causal models: a run made with keep_cache holds every layer's keys and
     * values, and a later run given it as `reuse` copies the results of the tokens the two share
     * at the start and computes only the rest (same model only; otherwise ignored). */
    bool keep_cache;
    const struct ats_run *reuse;
    /* Threads of the forward pass: 0 for every processor the process may use (one for a pass
     * of a millisecond or so, where starting more costs more than they save). */
    int threads;
    /* The layers whose attention the run serves: ATS_DETAIL_ALL_LAYERS (default), or one layer
     * (a dump of one layer of a large model). */
    int attention_layer;
    /* Bytes of probabilities (layers served x heads x T x T x 4) a run keeps whole; past it the
     * run keeps those layers' queries and keys and computes a head when it is asked for
     * (ats_run_attention_acquire), so memory stays O(T x d) per layer. 0: the default
     * ATS_ATTENTION_BUDGET; SIZE_MAX: always keep. */
    size_t attention_budget;
    /* Asked between layers while the pass runs (from the running thread); returning true stops
     * the run with ATS_ERR_CANCELLED: a window cancels a run its user's typing made stale. */
    bool (*cancel)(void *user);
    void *cancel_user;
    int max_new; /* ats_run_seq2seq without a target: greedy tokens at most (default 20) */
    /* Head ablation: the output of each listed head (its d_head slice of the concatenated heads)
     * is zeroed before the output projection, so later layers, hidden states and logits are the
     * model's without it (its own attention pattern is still computed and kept). The run copies
     * the list; ATS_ERR_ARG for a head out of range, ATS_ERR_UNSUPPORTED on encoder-decoder
     * models. */
    const ats_head_ref *ablate;
    int n_ablate;
} ats_run_opts;

#define ATS_ATTENTION_BUDGET ((size_t)256 << 20)

ats_run_opts ats_run_opts_default(void);

typedef struct ats_run ats_run;

/* Runs are reference-counted: ats_run_retain adds a reference, ats_run_free drops one and frees
 * the run with the last. A run is immutable once made, so holders may read it from any thread. */
ats_run *ats_run_retain(ats_run *run);

/* Tokenizes `text` and runs the model. Text longer than the context is cut to the first tokens
 * that fit (see ats_run_dropped_tokens). Empty token lists are an ATS_ERR_ARG. */
ats_status ats_run_text(const ats_model *model, const char *text, size_t len,
                        const ats_run_opts *opts, ats_run **out, ats_error *err);
/* Runs the model on given token ids (pieces empty, spans 0..0): for reference comparisons and
 * callers that tokenize themselves. add_special in opts is ignored. */
ats_status ats_run_ids(const ats_model *model, const int32_t *ids, int n_ids,
                       const ats_run_opts *opts, ats_run **out, ats_error *err);
void ats_run_free(ats_run *run);

const ats_tokens *ats_run_get_tokens(const ats_run *run);
/* The configuration of the stack the run ran: the model's, or for ats_run_seq2seq's result the
 * decoder's. */
const ats_model_config *ats_run_get_config(const ats_run *run);
int ats_run_n_tokens(const ats_run *run);
/* Tokens the tokenizer produced beyond the context and that were not run (0 normally). */
int ats_run_dropped_tokens(const ats_run *run);
/* Leading tokens whose results were copied from opts.reuse rather than computed (0 normally). */
int ats_run_reused_tokens(const ats_run *run);
/* True when the run was made with that head ablated (ats_run_opts.ablate); false out of range. */
bool ats_run_head_ablated(const ats_run *run, int layer, int head);
/* How many heads the run ablated. */
int ats_run_n_ablated(const ats_run *run);
/* Wall-clock milliseconds the run spent tokenizing and in the forward pass. */
void ats_run_timings(const ats_run *run, double *tokenize_ms, double *forward_ms);

/* ---- attention: kept whole, or computed when asked ----
 * Probabilities after the softmax; causal models have exact zeros above the diagonal. A run
 * keeps them all while they fit ats_run_opts.attention_budget ("kept"); a longer run computes a
 * head from its kept queries and keys when asked, bit for bit what the forward pass used. */

/* True when every head the run serves is in memory (then the two getters below work). */
bool ats_run_attention_kept(const ats_run *run);
/* True when heads of `layer` can be asked for (every layer unless opts.attention_layer). */
bool ats_run_attention_available(const ats_run *run, int layer);
/* (L, H, T, T) when every layer is kept, else NULL. */
const float *ats_run_attentions(const ats_run *run);
/* (T, T) of a kept head, else NULL (out of range, or computed on demand: use acquire). */
const float *ats_run_attention(const ats_run *run, int layer, int head);

/* One head's (T, T) probabilities for any run: a pointer into a kept run, or the head computed
 * now (or found among those computed lately). Hold it until ats_run_attention_release; a run
 * keeps about a layer's worth of released heads for the next request. Any thread, at once;
 * ATS_ERR_ARG for a layer or head out of range or not served, ATS_ERR_NOMEM. */
ats_status ats_run_attention_acquire(const ats_run *run, int layer, int head, const float **out,
                                     ats_error *err);
void ats_run_attention_release(const ats_run *run, const float *attention);
/* The same without waiting or computing: true with the head held (release it as above) when the
 * run keeps it or has it computed in its cache; false (nothing held) when it would have to be
 * computed, another thread is computing it, or it is out of range. Any thread, never blocks
 * beyond the cache's lock (held for a lookup, never during a computation): for a UI thread
 * that leaves the computing to a background thread (rundata.h's ats_head_fetcher). */
bool ats_run_attention_try_acquire(const ats_run *run, int layer, int head, const float **out);

/* A run computed on demand (serving every layer) also pools each head for overviews:
 * (L, H, n, n), element [l][h][i][j] the mean probability over query rows [i*block, (i+1)*block)
 * and keys [j*block, ...) (masked pairs count as 0; n <= 64). NULL for other runs (a kept run
 * has its whole heads instead). */
const float *ats_run_attention_pooled(const ats_run *run, int *n, int *block);

const float *ats_run_hidden(const ats_run *run); /* (T, d_model) after the final norm, or NULL */
const float *ats_run_logits_last(const ats_run *run); /* (vocab_size) or NULL */

/* The masked-LM head's logits at `n` token positions of `run` (each in 0 .. T-1, repeats
 * allowed): out (n, vocab_size), row i the logits at positions[i]. The head reads the final
 * hidden states, so the run must be one of this model made with want_hidden; it is computed
 * here for the positions asked only (one D x D product and one vocab x D product per position),
 * never inside the forward pass. Callers ask for the mask tokens (ats_model_mask_token) or a
 * token the user chose. ATS_ERR_UNSUPPORTED for a model without the head, ATS_ERR_ARG for a run
 * without hidden states or of another model, or a position out of range; ATS_ERR_NOMEM.
 * Threads: any thread, several at once (it reads the immutable model and run and writes only
 * `out`). */
ats_status ats_run_mlm_logits(const ats_model *model, const ats_run *run, const int *positions,
                              int n, float *out, ats_error *err);
/* The positions of the run's mask tokens (the id ats_model_mask_token gives), in order, at most
 * `max` of them written to out; returns how many the run has (0 for a model without one). Any
 * thread. */
int ats_run_mask_positions(const ats_model *model, const ats_run *run, int *out, int max);

/* ---- encoder-decoder models (T5) ---------------------------------------------------------- */

/* ats_run_text and ats_run_ids on an encoder-decoder model run its encoder alone. These run
 * both stacks: the encoder over `source`, then the decoder over the decoder start token (pad, id
 * 0 for T5) followed by the tokens of `target` (tokenized without special tokens, spans into the
 * target text), or, with target NULL, followed by greedy tokens (the highest logit each step, the
 * lowest id on a tie) until the end token (</s>, kept) or opts->max_new of them. The result is
 * the decoder's run: its tokens are the decoder's, ats_run_attentions its causal self-attention
 * (L_dec, H, Td, Td), ats_run_logits_last the last decoder position's logits (with want_logits);
 * it holds the encoder's run (ats_run_encoder) and the cross-attention. detail_layer applies to
 * both stacks (one without that layer keeps nothing). ATS_ERR_UNSUPPORTED for a one-stack model. */
ats_status ats_run_seq2seq(const ats_model *model, const char *source, size_t source_len,
                           const char *target, size_t target_len, const ats_run_opts *opts,
                           ats_run **out, ats_error *err);
/* The same on token ids: decoder_ids is the whole decoder input, start token included. */
ats_status ats_run_seq2seq_ids(const ats_model *model, const int32_t *source_ids, int n_source,
                               const int32_t *decoder_ids, int n_decoder, const ats_run_opts *opts,
                               ats_run **out, ats_error *err);
/* The encoder's run of a decoder's run (borrowed), or NULL for any other run. */
const ats_run *ats_run_encoder(const ats_run *run);
/* Cross-attention of a decoder's run, queries the decoder's tokens and keys the encoder's:
 * (L_dec, H, Td, Te), rows sum to 1; one head's (Td, Te); NULL for other runs. */
const float *ats_run_cross_attentions(const ats_run *run);
const float *ats_run_cross_attention(const ats_run *run, int layer, int head);
/* Decoder tokens that greedy generation produced (0 when a target was given). */
int ats_run_generated_tokens(const ats_run *run);

/* One head's intermediate values, kept when opts.detail_layer selected its layer. */
typedef struct ats_head_detail {
    int layer, head, kv_head; /* kv_head: the K/V head this query head reads */
    int n_tokens, d_head;
    int n_keys;          /* rows of k and v: n_tokens, or the encoder's tokens for cross */
    const float *q;      /* (T, d_head) after RoPE where the model uses it */
    const float *k;      /* (T, d_head) of kv_head, after RoPE */
    const float *v;      /* (T, d_head) of kv_head */
    const float *scores; /* (T, T) q_i . k_j before scaling and masking */
    const float *out;    /* (T, d_head) sum_j attention[i][j] * v_j */
} ats_head_detail;

/* One layer's vectors around the attention block, kept with the head details. */
typedef struct ats_layer_detail {
    int layer, n_tokens, d_model, d_concat; /* d_concat = n_head * d_head */
    const float *input;    /* (T, d_model) the residual stream entering the layer */
    const float *attn_in;  /* (T, d_model) what Q, K, V are computed from (after a pre-norm) */
    const float *concat;   /* (T, d_concat) every head's output side by side */
    const float *attn_out; /* (T, d_model) concat projected by W_o (+ bias) */
} ats_layer_detail;

ats_status ats_run_head_detail(const ats_run *run, int layer, int head, ats_head_detail *out,
                               ats_error *err);
/* A decoder head's cross-attention intermediates, kept with its layer's details: q (T, d_head)
 * the decoder rows' cross queries, k and v (n_keys, d_head) over the encoder's n_keys tokens;
 * scores and out are NULL (ats_cross_steps_compute makes a row's). ATS_ERR_ARG for a run without
 * cross-attention or a layer not kept. */
ats_status ats_run_cross_head_detail(const ats_run *run, int layer, int head, ats_head_detail *out,
                                     ats_error *err);
ats_status ats_run_layer_detail(const ats_run *run, int layer, ats_layer_detail *out,
                                ats_error *err);
/* The same around a decoder layer's cross-attention: input is the encoder's output (Te, d_model)
 * that K and V are computed from, attn_in NULL (not kept), concat and attn_out the cross heads'
 * (T, ...) for the decoder's rows. Fails as ats_run_cross_head_detail does. */
ats_status ats_run_cross_layer_detail(const ats_run *run, int layer, ats_layer_detail *out,
                                      ats_error *err);

/* ---- the attention formula, step by step, for one head and one query token ---------------- */

/* What-if switches for teaching. They change only this computation, never the model or run. */
typedef struct ats_step_opts {
    bool scale;        /* divide the scores by sqrt(d_k) (the model's attn_scale); default on */
    int causal;        /* -1 as the model, 0 every key visible, 1 keys after the query masked */
    float temperature; /* softmax(scaled / temperature); default 1 */
} ats_step_opts;

ats_step_opts ats_step_opts_default(void);

typedef struct ats_head_steps {
    /* n_tokens: the keys, the length of every (T) array below (the encoder's tokens when cross);
     * token: the query (a decoder token when cross) */
    int layer, head, kv_head, token, n_tokens, d_head;
    bool cross;  /* a decoder's cross-attention: keys and values from the encoder's output */
    float scale; /* what the scores were multiplied by: 1/sqrt(d_head), or 1 when off */
    float temperature;
    bool causal;
    const float *q; /* (d_head) the query token's query, after RoPE */
    const float *k; /* (T, d_head) every token's key (the KV head this head reads) */
    const float *v; /* (T, d_head) every token's value */
    float *scores;  /* (T) q . k_j */
    float *bias;    /* (T) the relative position bias added after scaling (T5), or NULL */
    float *scaled;  /* (T) scores * scale (+ bias) */
    float softcap;  /* the model's attention soft-cap (Gemma 2), or 0 */
    float *capped;  /* (T) softcap * tanh(scaled / softcap) when softcap > 0, else NULL */
    int window;     /* the layer's sliding window (keys window or more tokens back are masked) */
    bool *masked;   /* (T) true for keys the query may not see (later ones, outside the window) */
    float *weights; /* (T) softmax((capped or scaled) / temperature) over visible keys, 0 where
                       masked */
    float *output;  /* (d_head) sum_j weights_j v_j */
} ats_head_steps;

/* Needs a run that kept `layer`'s details (ats_run_opts.detail_layer). The result borrows q, k,
 * v from the run, so free it before the run. */
ats_status ats_head_steps_compute(const ats_run *run, int layer, int head, int token,
                                  const ats_step_opts *opts, ats_head_steps **out, ats_error *err);
/* The same for a decoder run's cross-attention (T5): query `token` of the decoder against the
 * encoder's tokens, with no mask and no position bias; the switches that apply are scaling and
 * the temperature (opts->causal is ignored: the decoder sees every encoder token). */
ats_status ats_cross_steps_compute(const ats_run *run, int layer, int head, int token,
                                   const ats_step_opts *opts, ats_head_steps **out, ats_error *err);
void ats_head_steps_free(ats_head_steps *steps);

/* ---- compute ------------------------------------------------------------------------------ */

/* The BLAS under the matrix products and the kernels it runs, for info and bench: "OpenBLAS
 * 0.3.21, Zen kernels", with a note when attnscope chose them because OpenBLAS did not know the
 * CPU. Any thread. */
const char *ats_compute_blas(void);
/* The threads a run uses by default: every processor the process may use. */
int ats_compute_default_threads(void);

/* For benchmarks, the floor no forward pass can beat: the matrix products of one pass over T
 * tokens alone, in float32 through BLAS with its own threads (what numpy would run): every
 * layer's projections and feed-forward products and each head's q.k^T and weights.v on full
 * T x T matrices, on random data of the model's shapes (distinct weights per layer up to 1 GiB).
 * Made once, timed as often as wanted (a benchmark interleaves it with the runs it compares, so
 * both see the same machine). ats_matmul_floor_time changes BLAS's thread count for its duration:
 * not while a run computes on another thread. */
typedef struct ats_matmul_floor ats_matmul_floor;
ats_status ats_matmul_floor_new(const ats_model_config *config, int T, ats_matmul_floor **out,
                                ats_error *err);
/* Milliseconds of one pass with `threads` BLAS threads (0: every processor). */
double ats_matmul_floor_time(ats_matmul_floor *floor, int threads);
void ats_matmul_floor_free(ats_matmul_floor *floor);

/* ---- what a head does, measured ----------------------------------------------------------- */

/* Scores of one head from its attention matrix attn (T, T), rows queries, columns keys:
 *
 *   previous-token  the mean over queries i = 1 .. T-1 of attn[i][i-1], the weight on the token
 *                   just before;
 *   induction       for a sequence of n tokens followed by the same n tokens again (T >= 2n),
 *                   the mean over the second copy's queries n+j (j = 0 .. n-1) of attn[n+j][j+1],
 *                   the weight on the token that followed the query token's earlier occurrence
 *                   (an induction head looks there to predict that it comes again).
 *
 * Both lie in [0, 1]: 1 when every query puts all its weight there, about 1/i for uniform
 * attention. ats_score_induction returns 0 when T < 2n or n < 1. */
float ats_score_previous_token(const float *attn, int T);
float ats_score_induction(const float *attn, int T, int n);

/* The probe that scores a model's heads: `count` sequences, each of `length` random token ids
 * (uniform over the vocabulary; ids below 50000 for builtin:demo) then the same ids again, run
 * through the model without special tokens; each head's two scores are averaged over them. */
typedef struct ats_probe_opts {
    uint64_t seed; /* the same seed gives the same sequences on every machine */
    int length;    /* tokens per copy; 0: min(32, context / 2) */
    int count;     /* sequences; 0: 8 */
} ats_probe_opts;

ats_probe_opts ats_probe_opts_default(void); /* seed 1, length 0, count 8 */

/* Fills previous_token (L, H) and induction (L, H). */
ats_status ats_head_scores_probe(const ats_model *model, const ats_probe_opts *opts,
                                 float *previous_token, float *induction, ats_error *err);

/* What the scores say a head does. */
typedef enum ats_head_role {
    ATS_HEAD_ROLE_NONE,
    ATS_HEAD_ROLE_PREVIOUS_TOKEN, /* previous-token score >= ATS_HEAD_ROLE_THRESHOLD */
    ATS_HEAD_ROLE_INDUCTION,      /* induction score >= ATS_HEAD_ROLE_THRESHOLD (and above the
                                     previous-token score) */
} ats_head_role;

#define ATS_HEAD_ROLE_THRESHOLD 0.4f

ats_head_role ats_head_role_of(float previous_token, float induction);
/* "previous token", "induction", "none". */
const char *ats_head_role_name(ats_head_role role);

/* The scores saved with the model (the probe's, written by `attnscope train` into each
 * checkpoint's config.json); false when the model carries none. */
bool ats_model_head_scores(const ats_model *model, int layer, int head, float *previous_token,
                           float *induction);

/* ---- UTF-8 ------------------------------------------------------------------------------- */

/* Returns the byte offset of the first invalid UTF-8 sequence in `text`, or -1 if it is valid. */
long ats_utf8_first_invalid(const char *text, size_t len);

/* True for a code point that belongs to a word: letters, marks, digits and other numbers, and
 * connector punctuation ("_"). The demo's tokenizer and the text box's word motion share it. */
bool ats_utf8_is_word_char(int32_t cp);

#ifdef __cplusplus
}
#endif

#endif /* ATTNSCOPE_ENGINE_H */
