/* The in-memory model: configuration, weight views and the resources behind them.
 *
 * Weight matrices (ats_linear, including the token embedding table) stay in the encoding their
 * file stores them in: float32, half (F16, BF16) or one of ggml's block quantizations, pointing
 * into the memory-mapped file; a matrix product decodes a few rows at a time as it goes
 * (linear.c). Small tensors (norms, biases, position tables) are float32 views: into the mapping
 * when it already holds aligned float32, otherwise into buffers the loader converted. The demo
 * model's generated weights are float32 buffers. Either way the model owns what they point into
 * and releases it in ats_model_free.
 */
#ifndef ATS_ENGINE_MODEL_H
#define ATS_ENGINE_MODEL_H

#include "attnscope/engine.h"
#include "dequant.h"
#include "mapped_file.h"
#include "tokenizer.h"

/* A linear map y = x W^T + b with W of logical shape (n_out, n_in), stored as `type`.
 * Stored [out][in] (in_major false): row o holds W[o, 0..n_in) and starts `ld` values after row
 * o - 1; for a block type ld is a whole number of blocks. Stored [in][out] (GPT-2 Conv1D,
 * in_major true, float and half types only): W[o, i] is value i * ld + o.
 * A zeroed ats_linear (type F32, w NULL) is "absent". */
typedef struct ats_linear {
    const void *w;  /* the stored values: float * when type is F32, else the encoded bytes */
    ats_wtype type; /* encoding of w */
    const float *b; /* (n_out) or NULL */
    int n_out, n_in;
    int ld;        /* row stride of the stored matrix, in values */
    bool in_major; /* stored [in][out]: GPT-2 Conv1D (ld >= n_out) */
} ats_linear;

/* Norm weights over d_model; b is NULL for RMSNorm (and for a LayerNorm without bias). */
typedef struct ats_norm {
    const float *w, *b;
} ats_norm;

typedef struct ats_layer {
    ats_norm attn_norm; /* pre-norm: applied to the block input; post-norm: to x + attn */
    ats_linear wq;      /* (n_head * d_head, d_model) */
    ats_linear wk, wv;  /* (n_kv_head * d_head, d_model) */
    ats_linear wo;      /* (d_model, n_head * d_head) */
    ats_norm mlp_norm;
    ats_linear up;   /* (d_ff, d_model) */
    ats_linear gate; /* (d_ff, d_model), SwiGLU only (w NULL otherwise) */
    ats_linear down; /* (d_model, d_ff) */
    /* cfg.cross_attention: attention from this stack's tokens to the encoder's output */
    ats_norm cross_norm; /* pre-norm of the cross-attention block */
    ats_linear cq;       /* (n_head * d_head, d_model) from the decoder's stream */
    ats_linear ck, cv;   /* (n_head * d_head, d_model) from the encoder's output */
    ats_linear co;       /* (d_model, n_head * d_head) */
    /* cfg.post_block_norm (Gemma 2): norms of the attention's and the MLP's output */
    ats_norm post_attn_norm, post_mlp_norm;
} ats_layer;

/* The masked-language-model head of an encoder (BertForMaskedLM's cls.predictions, RoBERTa's
 * lm_head, DistilBertForMaskedLM's vocab_transform / vocab_layer_norm / vocab_projector): for a
 * final hidden state h (D), logits (vocab) = decoder(LayerNorm(act(dense(h)))). */
typedef struct ats_mlm_head {
    ats_linear dense;   /* (D, D) with its bias */
    ats_activation act; /* BERT, DistilBERT: the config's activation; RoBERTa: always erf GELU */
    ats_norm norm;      /* LayerNorm over D */
    float norm_eps;
    ats_linear decoder; /* (vocab_size, D) with the output bias; the token embedding's view when
                           tied; w NULL when the checkpoint has no MLM head */
} ats_mlm_head;

typedef void (*ats_embed_fn)(const ats_model *model, int32_t id, float *out /* (d_model) */);

struct ats_model {
    uint64_t serial; /* unique per loaded model in this process: runs remember which made them */
    ats_model_config cfg;
    ats_model_info info;
    ats_tokenizer *tokenizer;

    ats_linear tok_embed;   /* (vocab_size, d_embed or d_model): row id is token id's vector; w NULL
                               when embed_fn computes vectors */
    ats_embed_fn embed_fn;  /* the demo model: a token vector derived from the id */
    const float *pos_embed; /* (context, d_model) learned or precomputed sinusoidal, or NULL */
    const float *type_embed; /* (d_model) token type 0 (BERT), or NULL */
    ats_norm embed_norm;     /* used when cfg.embed_norm */
    ats_layer *layers;       /* (n_layer) */
    ats_norm final_norm;     /* used when cfg.final_norm */
    ats_linear lm_head; /* (vocab_size, d_embed or d_model); a copy of tok_embed when tied; w NULL
                           when the model has no LM head */
    ats_mlm_head mlm;   /* encoders only; mlm.decoder.w NULL without the head */
    int32_t mask_id;    /* the token the MLM head predicts at ([MASK], <mask>), or -1 */
    const char *mask_piece;           /* its text, or NULL */
    const char *const *head_captions; /* (n_layer * n_head), NULL entries allowed; or NULL */
    const float *head_scores; /* (2, n_layer, n_head) previous-token then induction, or NULL */
    const float *rel_bias;    /* (rel_buckets, n_head) ATS_POS_RELATIVE_BUCKETS: bias of a bucket */
    const float *rope_factors; /* (rotary dims / 2) each RoPE frequency is divided by its factor
                                  (GGUF's rope_freqs: Llama 3.1's scaling as llama.cpp stores
                                  it; LongRoPE's short_factor), or NULL */
    const float *rope_factors_long; /* (rotary dims / 2) LongRoPE's long_factor, used instead of
                                       rope_factors for texts longer than the original context
                                       (ats_rope_long_factors), or NULL */
    ats_linear project_in;  /* cfg.d_embed: (d_model, d_embed) token vectors to the stream */
    ats_linear project_out; /* cfg.d_embed: (d_embed, d_model) the final stream to the head */
    float logit_scale;      /* multiplies the final hidden state before the LM head: 1, or
                               d_model^-0.5 for T5 with the head tied to the embedding */
    /* encoder-decoder: the decoder stack, a model of its own (sharing this one's embedding and
     * resources, owning nothing but its layers) run after this one, the encoder */
    struct ats_model *decoder;
    int32_t decoder_start_id; /* the decoder's first input token (T5: pad, 0) */
    int32_t eos_id;           /* greedy generation stops after it (T5: </s>, 1) */

    /* resources released by ats_model_free */
    ats_mapped_file **maps;
    int n_maps;
    void **owned;
    int n_owned;
    uint64_t owned_bytes;    /* over owned */
    uint64_t in_place_bytes; /* stored bytes of the tensors used from a mapping as they are */
};

/* A zeroed model with a NULL tokenizer and no weights (logit_scale 1). */
ats_model *ats_model_new(void);

/* Zeroed memory that lives as long as the model. */
void *ats_model_alloc(ats_model *model, size_t bytes, ats_error *err);
float *ats_model_alloc_floats(ats_model *model, size_t count, ats_error *err);
char *ats_model_strdup(ats_model *model, const char *s, ats_error *err);

/* The model takes ownership of an open mapping (closed in ats_model_free). */
ats_status ats_model_keep_mapping(ats_model *model, ats_mapped_file *file, ats_error *err);

/* Counts one weight tensor read from a file for info: its stored type and bytes, and whether
 * the model uses those bytes in place (in the mapping) rather than a converted copy. */
void ats_model_note_tensor(ats_model *model, ats_wtype type, uint64_t stored_bytes, bool in_place);

/* Checks the config for internal consistency (positive sizes, n_head % n_kv_head == 0, ...)
 * and that every weight the forward pass will read is present; names the first gap. */
ats_status ats_model_validate(const ats_model *model, ats_error *err);

/* The caption of a head with these probe scores (head_scores.c): its role and the score. */
void ats_head_caption_from_scores(char *out, size_t size, float previous_token, float induction);

/* Appends one line to info.choices (printf-style; cut to the line's size; nothing when the list
 * is full). */
void ats_model_add_choice(ats_model *model, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets mask_id and mask_piece: the first of "[MASK]" and "<mask>" that the model's tokenizer
 * reads as one special token (ATS_OK with mask_id -1 when neither is). */
ats_status ats_model_find_mask(ats_model *model, ats_error *err);

/* Parameter count over the weights the engine holds (for info). */
uint64_t ats_model_count_params(const ats_model *model);

#endif
