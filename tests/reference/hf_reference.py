#!/usr/bin/env python3
"""Float64 outputs of a Hugging Face checkpoint folder, computed the way transformers' modeling
code computes them, for attnscope's tests.

  hf_reference.py MODEL_DIR CASES.jsonl OUT.json

CASES.jsonl holds one {"text", "ids"} per line (tokenizers/FAMILY.jsonl: the ids Hugging Face's
tokenizers library gives). OUT.json gets {"model_type", "cases": [{"text", "ids", "attentions":
[layer][head][query][key], and "logits_last" (decoders: the last position's logits) or
"hidden_last_layer" (encoders: the last layer's hidden states [token][hidden]) and, for an
encoder with its masked-LM head, "mlm_logits" (the head's logits at every position
[token][vocab])}]}.

Each family below follows its transformers modeling file (modeling_gpt_neox.py, modeling_phi.py,
modeling_phi3.py, modeling_llama.py / mistral / qwen2, modeling_gemma.py, modeling_gemma2.py,
modeling_opt.py, modeling_bert.py, modeling_roberta.py / xlm_roberta, modeling_distilbert.py,
and the masked-LM heads of the last three): the same module
order, names and formulas, in numpy float64 over the checkpoint's float32 values, eager
attention with the probabilities it returns (output_attentions=True), no dropout, batch 1,
no padding. Masks follow transformers' masking_utils: causal, and a sliding window of W lets
query i see keys j with i - W < j <= i. This file shares nothing with attnscope's C engine.
"""
import json
import math
import struct
import sys

import numpy as np


# ---- files ----------------------------------------------------------------------------------------

def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", (name, t["dtype"])
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(body[a:b], dtype="<f4").reshape(t["shape"]).astype(np.float64)
    return out


# ---- shared pieces (torch.nn and transformers' activations, in float64) ----------------------------

def linear(x, W, name):
    y = x @ W[name + ".weight"].T
    if name + ".bias" in W:
        y = y + W[name + ".bias"]
    return y


def layer_norm(x, W, name, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * W[name + ".weight"] + W[name + ".bias"]


def rms_norm(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


_erf = np.frompyfunc(math.erf, 1, 1)

ACT = {
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64)),
    "gelu_new": lambda x: 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3))),
    "relu": lambda x: np.maximum(x, 0.0),
    "silu": lambda x: x / (1.0 + np.exp(-x)),
}
ACT["gelu_pytorch_tanh"] = ACT["gelu_new"]
ACT["gelu_fast"] = ACT["gelu_new"]


def softmax(s):
    s = s - s.max(-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(-1, keepdims=True)


# ---- rotary embeddings (modeling_rope_utils.py and each model's rotary module) --------------------

def rope_original_context(cfg, scaling):
    """standardize_rope_params: a top-level original_max_position_embeddings (Phi-3 keeps it
    there; Phi3Config's default is 4096) wins over the scaling dict's, and
    max_position_embeddings stands in for both."""
    if cfg["model_type"] == "phi3":
        return cfg.get("original_max_position_embeddings", 4096)
    if "original_max_position_embeddings" in cfg:
        return cfg["original_max_position_embeddings"]
    return scaling.get("original_max_position_embeddings") or cfg["max_position_embeddings"]


def yarn_mscale(scale, mscale=1):
    return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0


def rope_inv_freq(dim, base, cfg, T):
    """(inv_freq, attention_scaling) of a forward pass over T tokens: ROPE_INIT_FUNCTIONS of
    modeling_rope_utils.py for cfg's rope_scaling, and dynamic_rope_update's choice of LongRoPE's
    long factors when T is past the original context. attention_scaling multiplies cos and sin."""
    # transformers 5 writes rope_parameters (with rope_theta inside) where 4 wrote rope_scaling
    scaling = cfg.get("rope_parameters") or cfg.get("rope_scaling") or {}
    base = scaling.get("rope_theta", base)
    inv_freq = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.int64).astype(np.float64) / dim))
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    if cfg["model_type"] == "phi3" and kind in ("su", "yarn"):
        kind = "longrope"  # Phi3Config.convert_rope_params_to_dict
    if kind == "llama3":  # _compute_llama3_parameters
        factor = scaling["factor"]
        low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
        old_len = scaling["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old_len / low, old_len / high
        wavelen = 2 * math.pi / inv_freq
        inv = np.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
        smooth = (old_len / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * inv / factor + smooth * inv
        medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
        return np.where(medium, smoothed, inv), 1.0
    if kind == "linear":  # positions divided by factor, the same as frequencies divided
        return inv_freq / scaling["factor"], 1.0
    if kind == "yarn":  # _compute_yarn_parameters
        original = rope_original_context(cfg, scaling)
        factor = scaling.get("factor") or cfg["max_position_embeddings"] / original
        attention = scaling.get("attention_factor")
        mscale, mscale_all_dim = scaling.get("mscale"), scaling.get("mscale_all_dim")
        if attention is None:
            if mscale and mscale_all_dim:
                attention = yarn_mscale(factor, mscale) / yarn_mscale(factor, mscale_all_dim)
            else:
                attention = yarn_mscale(factor)
        beta_fast = scaling.get("beta_fast") or 32
        beta_slow = scaling.get("beta_slow") or 1

        def correction_dim(rotations):
            return dim * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(base))

        low, high = correction_dim(beta_fast), correction_dim(beta_slow)
        if scaling.get("truncate", True):
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, dim - 1)
        if low == high:
            high += 0.001
        ramp = np.clip((np.arange(dim // 2, dtype=np.float64) - low) / (high - low), 0, 1)
        extrapolation = 1 - ramp  # the share of the frequency kept as it is
        interpolated = inv_freq / factor
        return interpolated * (1 - extrapolation) + inv_freq * extrapolation, attention
    if kind in ("longrope", "su"):  # _compute_longrope_parameters, Phi-3's rotary embedding
        original = rope_original_context(cfg, scaling)
        factor = scaling.get("factor") or cfg["max_position_embeddings"] / original
        attention = scaling.get("attention_factor")
        if attention is None:
            attention = 1.0 if factor <= 1 else math.sqrt(1 + math.log(factor) / math.log(original))
        ext = np.asarray(scaling["long_factor"] if T > original else scaling["short_factor"],
                         dtype=np.float64)
        assert ext.shape == (dim // 2,), (ext.shape, dim)
        return inv_freq / ext, attention
    assert kind in ("default", "dynamic"), kind
    return inv_freq, 1.0


def cos_sin(T, rope):
    inv_freq, attention = rope
    freqs = np.outer(np.arange(T, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], -1)
    return np.cos(emb) * attention, np.sin(emb) * attention


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], -1)


def apply_rotary(x, cos, sin):
    """x (heads, T, d); rotates the first cos.shape[-1] dims (partial rotary), keeps the rest."""
    r = cos.shape[-1]
    rot, keep = x[..., :r], x[..., r:]
    return np.concatenate([rot * cos + rotate_half(rot) * sin, keep], -1)


# ---- attention (eager_attention_forward and the masks of masking_utils) ---------------------------

def attend(q, k, v, scaling, causal=True, window=None, softcap=None):
    """q (H, T, d), k and v (KV, T, d) repeated for grouped-query attention; returns the output
    (T, H * d) and the probabilities (H, T, T)."""
    H, T, _ = q.shape
    rep = H // k.shape[0]
    k, v = np.repeat(k, rep, axis=0), np.repeat(v, rep, axis=0)
    scores = q @ k.transpose(0, 2, 1) * scaling
    if softcap:
        scores = np.tanh(scores / softcap) * softcap
    i, j = np.arange(T)[:, None], np.arange(T)[None, :]
    allowed = np.ones((T, T), dtype=bool)
    if causal:
        allowed &= j <= i
    if window:
        allowed &= j > i - window
    scores = np.where(allowed, scores, -np.inf)
    p = softmax(scores)
    out = (p @ v).transpose(1, 0, 2).reshape(T, -1)
    return out, p


def heads(x, n, d):
    """(T, n * d) -> (n, T, d)"""
    return x.reshape(x.shape[0], n, d).transpose(1, 0, 2)


# ---- the families -------------------------------------------------------------------------------

def gpt_neox(cfg, W, ids):
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    dh = D // H
    eps = cfg.get("layer_norm_eps", 1e-5)
    pct = cfg.get("partial_rotary_factor", cfg.get("rotary_pct", 0.25))
    rot = int(dh * pct)
    base = cfg.get("rope_theta", cfg.get("rotary_emb_base", 10000))
    T = len(ids)
    cos, sin = cos_sin(T, rope_inv_freq(rot, base, cfg, T))
    act = ACT[cfg.get("hidden_act", "gelu")]
    x = W["gpt_neox.embed_in.weight"][ids]
    attns = []
    for l in range(cfg["num_hidden_layers"]):
        p = "gpt_neox.layers.%d." % l
        # GPTNeoXAttention: qkv viewed as (T, H, 3 * dh), then split per head
        qkv = linear(layer_norm(x, W, p + "input_layernorm", eps), W, p + "attention.query_key_value")
        qkv = qkv.reshape(T, H, 3 * dh).transpose(1, 0, 2)
        q, k, v = qkv[..., :dh], qkv[..., dh:2 * dh], qkv[..., 2 * dh:]
        q, k = apply_rotary(q, cos[:, :rot], sin[:, :rot]), apply_rotary(k, cos[:, :rot], sin[:, :rot])
        o, a = attend(q, k, v, dh ** -0.5)
        attns.append(a)
        attn_out = linear(o, W, p + "attention.dense")

        def mlp(h):
            return linear(act(linear(h, W, p + "mlp.dense_h_to_4h")), W, p + "mlp.dense_4h_to_h")

        if cfg.get("use_parallel_residual", True):
            x = x + attn_out + mlp(layer_norm(x, W, p + "post_attention_layernorm", eps))
        else:
            x = x + attn_out
            x = x + mlp(layer_norm(x, W, p + "post_attention_layernorm", eps))
    x = layer_norm(x, W, "gpt_neox.final_layer_norm", eps)
    return attns, x @ W["embed_out.weight"].T


def phi(cfg, W, ids):
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    dh = D // H
    eps = cfg.get("layer_norm_eps", 1e-5)
    rot = int(dh * cfg.get("partial_rotary_factor", 0.5))
    T = len(ids)
    cos, sin = cos_sin(T, rope_inv_freq(rot, cfg.get("rope_theta", 10000.0), cfg, T))
    act = ACT[cfg.get("hidden_act", "gelu_new")]
    x = W["model.embed_tokens.weight"][ids]
    attns = []
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        h = layer_norm(x, W, p + "input_layernorm", eps)  # PhiDecoderLayer: one norm for both
        q = heads(linear(h, W, p + "self_attn.q_proj"), H, dh)
        k = heads(linear(h, W, p + "self_attn.k_proj"), KV, dh)
        v = heads(linear(h, W, p + "self_attn.v_proj"), KV, dh)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        o, a = attend(q, k, v, dh ** -0.5)
        attns.append(a)
        attn_out = linear(o, W, p + "self_attn.dense")
        ff = linear(act(linear(h, W, p + "mlp.fc1")), W, p + "mlp.fc2")
        x = attn_out + ff + x
    x = layer_norm(x, W, "model.final_layernorm", eps)
    return attns, linear(x, W, "lm_head")


def layer_window(cfg, l, kind):
    """The sliding window of layer l (None for global layers), as each config defines it."""
    if "layer_types" in cfg and cfg["layer_types"] is not None:
        return cfg.get("sliding_window") if cfg["layer_types"][l] == "sliding_attention" else None
    if kind == "mistral" or kind == "phi3":
        return cfg.get("sliding_window")
    if kind == "qwen2":
        on = cfg.get("use_sliding_window", False) and cfg.get("sliding_window") is not None
        return cfg["sliding_window"] if on and l >= cfg.get("max_window_layers", 28) else None
    if kind == "gemma2":
        return cfg.get("sliding_window") if not bool(l % 2) else None
    return None


def llama_family(cfg, W, ids):
    """LlamaForCausalLM and the models built from its pieces: Mistral, Qwen2, Phi-3 (fused
    projections, partial rotary), Gemma ((1 + w) norms, scaled embeddings, GeGLU, tied head) and
    Gemma 2 (its query scale, soft-caps, post-block norms, alternating windows)."""
    kind = cfg["model_type"]
    gemma = kind in ("gemma", "gemma2")
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    dh = cfg.get("head_dim") or D // H
    eps = cfg.get("rms_norm_eps", 1e-6)
    rot = int(dh * cfg.get("partial_rotary_factor", 1.0))
    T = len(ids)
    cos, sin = cos_sin(T, rope_inv_freq(rot, cfg.get("rope_theta", 10000.0), cfg, T))
    if kind == "gemma2":
        act = ACT[cfg.get("hidden_activation", "gelu_pytorch_tanh")]
    elif kind == "gemma":
        act = ACT[cfg.get("hidden_activation") or cfg.get("hidden_act", "gelu_pytorch_tanh")]
    else:
        act = ACT[cfg.get("hidden_act", "silu")]
    scaling = cfg["query_pre_attn_scalar"] ** -0.5 if kind == "gemma2" else dh ** -0.5
    softcap = cfg.get("attn_logit_softcapping") if kind == "gemma2" else None

    def norm(h, name):
        w = W[name]
        return rms_norm(h, 1.0 + w if gemma else w, eps)

    x = W["model.embed_tokens.weight"][ids]
    if gemma:
        x = x * (D ** 0.5)
    attns = []
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        h = norm(x, p + "input_layernorm.weight")
        if kind == "phi3":
            qkv = linear(h, W, p + "self_attn.qkv_proj")
            q = qkv[:, :H * dh]
            k = qkv[:, H * dh:H * dh + KV * dh]
            v = qkv[:, H * dh + KV * dh:]
        else:
            q = linear(h, W, p + "self_attn.q_proj")
            k = linear(h, W, p + "self_attn.k_proj")
            v = linear(h, W, p + "self_attn.v_proj")
        q, k, v = heads(q, H, dh), heads(k, KV, dh), heads(v, KV, dh)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        o, a = attend(q, k, v, scaling, window=layer_window(cfg, l, kind), softcap=softcap)
        attns.append(a)
        h = linear(o, W, p + "self_attn.o_proj")
        if kind == "gemma2":
            h = norm(h, p + "post_attention_layernorm.weight")
            x = x + h
            h = norm(x, p + "pre_feedforward_layernorm.weight")
        else:
            x = x + h
            h = norm(x, p + "post_attention_layernorm.weight")
        if kind == "phi3":
            gu = linear(h, W, p + "mlp.gate_up_proj")
            gate, up = gu[:, :gu.shape[1] // 2], gu[:, gu.shape[1] // 2:]
            h = linear(up * act(gate), W, p + "mlp.down_proj")
        else:
            h = linear(act(linear(h, W, p + "mlp.gate_proj")) * linear(h, W, p + "mlp.up_proj"),
                       W, p + "mlp.down_proj")
        if kind == "gemma2":
            h = norm(h, p + "post_feedforward_layernorm.weight")
        x = x + h
    x = norm(x, "model.norm.weight")
    head = W["model.embed_tokens.weight"] if "lm_head.weight" not in W else W["lm_head.weight"]
    logits = x @ head.T
    if kind == "gemma2" and cfg.get("final_logit_softcapping"):
        c = cfg["final_logit_softcapping"]
        logits = np.tanh(logits / c) * c
    return attns, logits


def opt(cfg, W, ids):
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    dh = D // H
    pre = cfg.get("do_layer_norm_before", True)
    act = ACT[cfg.get("activation_function", "relu")]
    T = len(ids)
    d = "model.decoder."
    # OPTDecoder: embed_tokens, project_in when word_embed_proj_dim != hidden_size, then the
    # OPTLearnedPositionalEmbedding: positions (cumsum of the mask) - 1, plus the offset 2
    x = W[d + "embed_tokens.weight"][ids]
    if d + "project_in.weight" in W:
        x = linear(x, W, d + "project_in")
    x = x + W[d + "embed_positions.weight"][np.arange(T) + 2]
    attns = []
    for l in range(cfg["num_hidden_layers"]):
        p = d + "layers.%d." % l
        res = x
        h = layer_norm(x, W, p + "self_attn_layer_norm", 1e-5) if pre else x
        q = heads(linear(h, W, p + "self_attn.q_proj") * dh ** -0.5, H, dh)
        k = heads(linear(h, W, p + "self_attn.k_proj"), H, dh)
        v = heads(linear(h, W, p + "self_attn.v_proj"), H, dh)
        o, a = attend(q, k, v, 1.0)
        attns.append(a)
        x = res + linear(o, W, p + "self_attn.out_proj")
        if not pre:
            x = layer_norm(x, W, p + "self_attn_layer_norm", 1e-5)
        res = x
        h = layer_norm(x, W, p + "final_layer_norm", 1e-5) if pre else x
        x = res + linear(act(linear(h, W, p + "fc1")), W, p + "fc2")
        if not pre:
            x = layer_norm(x, W, p + "final_layer_norm", 1e-5)
    if pre and not cfg.get("_remove_final_layer_norm", False):
        x = layer_norm(x, W, d + "final_layer_norm", 1e-5)
    if d + "project_out.weight" in W:
        x = linear(x, W, d + "project_out")
    head = W.get("lm_head.weight", W[d + "embed_tokens.weight"])
    return attns, x @ head.T


def bert_encoder(cfg, W, x, prefix, H, dh, eps, act):
    """BertEncoder (RoBERTa's too): post-norm layers under prefix + "encoder.layer.N."."""
    attns = []
    for l in range(cfg["num_hidden_layers"]):
        p = prefix + "encoder.layer.%d." % l
        q = heads(linear(x, W, p + "attention.self.query"), H, dh)
        k = heads(linear(x, W, p + "attention.self.key"), H, dh)
        v = heads(linear(x, W, p + "attention.self.value"), H, dh)
        o, a = attend(q, k, v, dh ** -0.5, causal=False)
        attns.append(a)
        x = layer_norm(linear(o, W, p + "attention.output.dense") + x, W, p + "attention.output.LayerNorm", eps)
        h = act(linear(x, W, p + "intermediate.dense"))
        x = layer_norm(linear(h, W, p + "output.dense") + x, W, p + "output.LayerNorm", eps)
    return attns, x


def roberta(cfg, W, ids):
    """RobertaModel (XLM-RoBERTa is the same code): BERT with position ids from padding_idx + 1."""
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    dh = D // H
    eps = cfg.get("layer_norm_eps", 1e-12)
    act = ACT[cfg.get("hidden_act", "gelu")]
    pad = cfg.get("pad_token_id", 1)
    ids = np.asarray(ids)
    # create_position_ids_from_input_ids: cumsum over non-pad tokens, plus padding_idx
    mask = (ids != pad).astype(np.int64)
    pos = np.cumsum(mask) * mask + pad
    e = "roberta.embeddings."
    x = W[e + "word_embeddings.weight"][ids] + W[e + "position_embeddings.weight"][pos] + \
        W[e + "token_type_embeddings.weight"][0]
    x = layer_norm(x, W, e + "LayerNorm", eps)
    return bert_encoder(cfg, W, x, "roberta.", H, dh, eps, act)


def bert(cfg, W, ids):
    """BertModel: learned absolute positions 0..T-1, token type 0, post-norm layers."""
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    dh = D // H
    eps = cfg.get("layer_norm_eps", 1e-12)
    act = ACT[cfg.get("hidden_act", "gelu")]
    T = len(ids)
    e = "bert.embeddings."
    x = W[e + "word_embeddings.weight"][ids] + W[e + "position_embeddings.weight"][np.arange(T)] + \
        W[e + "token_type_embeddings.weight"][0]
    x = layer_norm(x, W, e + "LayerNorm", eps)
    return bert_encoder(cfg, W, x, "bert.", H, dh, eps, act)


def distilbert(cfg, W, ids):
    D, H = cfg["dim"], cfg["n_heads"]
    dh = D // H
    act = ACT[cfg.get("activation", "gelu")]
    T = len(ids)
    e = "distilbert.embeddings."
    x = W[e + "word_embeddings.weight"][ids] + W[e + "position_embeddings.weight"][np.arange(T)]
    x = layer_norm(x, W, e + "LayerNorm", 1e-12)
    attns = []
    for l in range(cfg["n_layers"]):
        p = "distilbert.transformer.layer.%d." % l
        # MultiHeadSelfAttention divides q by sqrt(dim_per_head) before q . k
        q = heads(linear(x, W, p + "attention.q_lin") / math.sqrt(dh), H, dh)
        k = heads(linear(x, W, p + "attention.k_lin"), H, dh)
        v = heads(linear(x, W, p + "attention.v_lin"), H, dh)
        o, a = attend(q, k, v, 1.0, causal=False)
        attns.append(a)
        x = layer_norm(linear(o, W, p + "attention.out_lin") + x, W, p + "sa_layer_norm", 1e-12)
        h = linear(act(linear(x, W, p + "ffn.lin1")), W, p + "ffn.lin2")
        x = layer_norm(h + x, W, p + "output_layer_norm", 1e-12)
    return attns, x


def mlm_logits(cfg, W, x):
    """The masked-LM head over the last hidden states x (T, D), or None when the checkpoint has
    none: BertLMPredictionHead (modeling_bert.py: BertPredictionHeadTransform's dense, ACT2FN of
    hidden_act, LayerNorm with layer_norm_eps; decoder plus bias), RobertaLMHead
    (modeling_roberta.py: dense, gelu, layer_norm, decoder; gelu is the erf GELU whatever
    hidden_act says) and DistilBertForMaskedLM (vocab_transform, get_activation(activation),
    vocab_layer_norm with eps 1e-12, vocab_projector). The decoder is the word embedding when
    tie_word_embeddings (the default), as transformers ties it; the output bias is one
    parameter, saved under the head's name or the decoder's."""
    kind = cfg["model_type"]
    if kind == "bert":
        dense, norm, dec, bias = ("cls.predictions.transform.dense",
                                  "cls.predictions.transform.LayerNorm",
                                  "cls.predictions.decoder", "cls.predictions.bias")
        act, eps, emb = ACT[cfg.get("hidden_act", "gelu")], cfg.get("layer_norm_eps", 1e-12), "bert."
    elif kind == "distilbert":
        dense, norm, dec, bias = "vocab_transform", "vocab_layer_norm", "vocab_projector", None
        act, eps, emb = ACT[cfg.get("activation", "gelu")], 1e-12, "distilbert."
    else:
        dense, norm, dec, bias = "lm_head.dense", "lm_head.layer_norm", "lm_head.decoder", "lm_head.bias"
        act, eps, emb = ACT["gelu"], cfg.get("layer_norm_eps", 1e-12), "roberta."
    if dense + ".weight" not in W:
        return None
    t = layer_norm(act(linear(x, W, dense)), W, norm, eps)
    tied = cfg.get("tie_word_embeddings", True)
    weight = W[emb + "embeddings.word_embeddings.weight"] if tied else W[dec + ".weight"]
    b = W[bias] if bias and bias in W else W[dec + ".bias"]
    return t @ weight.T + b


FORWARD = {"gpt_neox": gpt_neox, "phi": phi, "phi3": llama_family, "llama": llama_family,
           "mistral": llama_family, "qwen2": llama_family, "gemma": llama_family,
           "gemma2": llama_family, "opt": opt, "roberta": roberta, "xlm-roberta": roberta,
           "distilbert": distilbert, "bert": bert}
ENCODERS = ("roberta", "xlm-roberta", "distilbert", "bert")


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: hf_reference.py MODEL_DIR CASES.jsonl OUT.json")
    model_dir, cases_path, out_path = sys.argv[1:]
    cfg = json.load(open(model_dir + "/config.json"))
    W = read_safetensors(model_dir + "/model.safetensors")
    kind = cfg["model_type"]
    out = {"model_type": kind, "cases": []}
    for line in open(cases_path, encoding="utf-8"):
        case = json.loads(line)
        attns, last = FORWARD[kind](cfg, W, case["ids"])
        c = {"text": case["text"], "ids": case["ids"],
             "attentions": np.stack(attns).round(10).tolist()}
        if kind in ENCODERS:
            c["hidden_last_layer"] = last.round(8).tolist()
            mlm = mlm_logits(cfg, W, last)
            if mlm is not None:
                c["mlm_logits"] = mlm.round(8).tolist()
        else:
            c["logits_last"] = last[-1].round(8).tolist()
        out["cases"].append(c)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
