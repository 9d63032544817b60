#!/usr/bin/env python3
"""A Hugging Face folder written by make_family.py as the GGUF llama.cpp's converter
(convert_hf_to_gguf.py) makes of it, for the architectures llama.cpp defines:

  gguf_from_hf.py MODEL_DIR OUT.gguf [KEY=NUMBER ...]   (extra float metadata, for tests)

  gpt_neox -> gptneox, phi -> phi2, phi3 -> phi3, gemma -> gemma, gemma2 -> gemma2, qwen2 -> qwen2,
  llama -> llama (q and k rows permuted to the interleaved RoPE order, and Llama 3's rope_scaling
  as the rope_freqs.weight factors the converter computes); a YaRN rope_scaling as
  <arch>.rope.scaling.{type, factor, original_context_length}

The tensor names and metadata keys are llama.cpp's (gguf-py's constants); tensors are kept as
the converter keeps them (GPT-NeoX's per-head query_key_value, Phi-3's fused qkv_proj and
gate_up_proj) except that Gemma's norms are stored as 1 + weight, as the converter stores them.
Everything is F32. The vocabulary goes in as llama.cpp stores it: byte-level BPE as model "gpt2"
with its merges and pre-tokenizer name, SentencePiece-style BPE as model "llama" with scores
(minus the merge rank) and token types.
"""
import json
import struct
import sys

import numpy as np

from hf_reference import read_safetensors

from gguf_kv import ARR, BOOL, F32, I32, STR, U32, gstr, kv


def write_gguf(path, kvs, tensors):
    """tensors: [(name, float ndarray)] written F32 with ggml's reversed dimensions."""
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs)
    infos, offset, blobs = b"", 0, []
    for name, a in tensors:
        data = np.ascontiguousarray(a, dtype="<f4").tobytes()
        dims = list(reversed(a.shape))
        infos += gstr(name) + struct.pack("<I", len(dims)) + struct.pack("<%dQ" % len(dims), *dims)
        infos += struct.pack("<IQ", 0, offset)
        offset += (len(data) + 31) // 32 * 32
        blobs.append(data)
    blob = head + infos
    blob += b"\0" * ((32 - len(blob) % 32) % 32)
    for data in blobs:
        blob += data + b"\0" * ((32 - len(data) % 32) % 32)
    open(path, "wb").write(blob)


# ---- tensors ------------------------------------------------------------------------------------

LLAMA_NAMES = {"self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
               "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
               "self_attn.qkv_proj": "attn_qkv", "input_layernorm": "attn_norm",
               "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down",
               "mlp.gate_up_proj": "ffn_up", "post_attention_layernorm": "ffn_norm",
               "pre_feedforward_layernorm": "ffn_norm",
               "post_feedforward_layernorm": "post_ffw_norm"}
GEMMA2_NAMES = dict(LLAMA_NAMES, post_attention_layernorm="post_attention_norm")
NEOX_NAMES = {"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
              "attention.query_key_value": "attn_qkv", "attention.dense": "attn_output",
              "mlp.dense_h_to_4h": "ffn_up", "mlp.dense_4h_to_h": "ffn_down"}
PHI_NAMES = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q",
             "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
             "self_attn.dense": "attn_output", "mlp.fc1": "ffn_up", "mlp.fc2": "ffn_down"}
GLOBAL = {"model.embed_tokens": "token_embd", "gpt_neox.embed_in": "token_embd",
          "model.norm": "output_norm", "model.final_layernorm": "output_norm",
          "gpt_neox.final_layer_norm": "output_norm", "lm_head": "output",
          "embed_out": "output"}


def gguf_name(hf, table):
    base, suffix = hf.rsplit(".", 1)
    if base in GLOBAL:
        return GLOBAL[base] + "." + suffix
    parts = base.split(".")
    layer = parts[2]
    rest = ".".join(parts[3:])
    return "blk.%s.%s.%s" % (layer, table[rest], suffix)


# ---- vocabularies -------------------------------------------------------------------------------

def vocab_kvs(tok, pre):
    model = tok["model"]
    vocab = model["vocab"]
    n = max(list(vocab.values()) + [a["id"] for a in tok["added_tokens"]]) + 1
    tokens = ["[PAD%d]" % i for i in range(n)]
    types = [1] * n
    for piece, i in vocab.items():
        tokens[i] = piece
    for a in tok["added_tokens"]:
        tokens[a["id"]] = a["content"]
        types[a["id"]] = 3 if a["special"] else 4
    merges = model["merges"]
    if pre is not None:  # byte-level BPE
        out = [kv("tokenizer.ggml.model", STR, "gpt2"), kv("tokenizer.ggml.pre", STR, pre),
               kv("tokenizer.ggml.merges", ARR, (STR, merges))]
    else:  # SentencePiece-style BPE by scores
        scores = [-1e6] * n
        for rank, m in enumerate(merges):
            scores[vocab[m.replace(" ", "")]] = -float(rank)
        for piece, i in vocab.items():
            if len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
                types[i] = 6
        unk = model.get("unk_token")
        if unk in vocab:
            types[vocab[unk]] = 2
        prepend = tok["normalizer"] and "Prepend" in json.dumps(tok["normalizer"])
        out = [kv("tokenizer.ggml.model", STR, "llama"),
               kv("tokenizer.ggml.scores", ARR, (F32, scores)),
               kv("tokenizer.ggml.add_space_prefix", BOOL, bool(prepend))]
        if unk in vocab:
            out.append(kv("tokenizer.ggml.unknown_token_id", U32, vocab[unk]))
    out += [kv("tokenizer.ggml.tokens", ARR, (STR, tokens)),
            kv("tokenizer.ggml.token_type", ARR, (I32, types))]
    # the token added in front, when the post-processor adds one
    post = tok.get("post_processor") or {}
    posts = post.get("processors", [post])
    bos = [p["single"][0]["SpecialToken"]["id"] for p in posts
           if p.get("type") == "TemplateProcessing" and "SpecialToken" in p["single"][0]]
    if bos:
        out += [kv("tokenizer.ggml.bos_token_id", U32, vocab[bos[0]] if bos[0] in vocab else
                   [a["id"] for a in tok["added_tokens"] if a["content"] == bos[0]][0]),
                kv("tokenizer.ggml.add_bos_token", BOOL, True)]
    else:
        out.append(kv("tokenizer.ggml.add_bos_token", BOOL, False))
    return out


# ---- Llama's particulars (LlamaModel in convert_hf_to_gguf.py) -----------------------------------

def permute(w, n_head, n_head_kv):
    """Rotate-half row order -> interleaved pairs, per head."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def llama3_rope_factors(cfg, dim):
    rs = cfg["rope_scaling"]
    base = cfg.get("rope_theta", 10000.0)
    freqs = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float32) / dim))
    factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
    old_len = rs["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old_len / low, old_len / high
    out = []
    for freq in freqs:
        wavelen = 2 * np.pi / freq
        if wavelen < high_wavelen:
            out.append(1.0)
        elif wavelen > low_wavelen:
            out.append(factor)
        else:
            smooth = (old_len / wavelen - low) / (high - low)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


# ---- architectures ------------------------------------------------------------------------------

def convert(model_dir, out_path, extra=()):
    cfg = json.load(open(model_dir + "/config.json"))
    tok = json.load(open(model_dir + "/tokenizer.json", encoding="utf-8"))
    W = read_safetensors(model_dir + "/model.safetensors")
    kind = cfg["model_type"]
    arch = {"gpt_neox": "gptneox", "phi": "phi2"}.get(kind, kind)
    D, H = cfg["hidden_size"], cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    dh = cfg.get("head_dim") or D // H
    g = lambda k, t, v: kv("%s.%s" % (arch, k), t, v)
    kvs = [kv("general.architecture", STR, arch), kv("general.name", STR, kind),
           g("context_length", U32, cfg["max_position_embeddings"]),
           g("embedding_length", U32, D), g("block_count", U32, cfg["num_hidden_layers"]),
           g("feed_forward_length", U32, cfg["intermediate_size"]),
           g("attention.head_count", U32, H), g("attention.head_count_kv", U32, KV)]
    if kind == "gpt_neox":
        table = NEOX_NAMES
        pct = cfg.get("partial_rotary_factor", cfg.get("rotary_pct", 0.25))
        kvs += [g("rope.dimension_count", U32, int(pct * dh)),
                g("use_parallel_residual", BOOL, cfg.get("use_parallel_residual", True)),
                g("attention.layer_norm_epsilon", F32, cfg.get("layer_norm_eps", 1e-5))]
        pre = "gpt-2"
    elif kind == "phi":
        table = PHI_NAMES
        kvs += [g("rope.dimension_count", U32, int(cfg.get("partial_rotary_factor", 0.5) * dh)),
                g("attention.layer_norm_epsilon", F32, cfg.get("layer_norm_eps", 1e-5))]
        pre = "phi-2"
    else:
        table = GEMMA2_NAMES if kind == "gemma2" else LLAMA_NAMES
        kvs += [g("attention.layer_norm_rms_epsilon", F32, cfg.get("rms_norm_eps", 1e-6)),
                g("rope.freq_base", F32, cfg.get("rope_theta", 10000.0)),
                g("rope.dimension_count", U32, int(cfg.get("partial_rotary_factor", 1.0) * dh)),
                g("attention.key_length", U32, dh), g("attention.value_length", U32, dh)]
        pre = {"qwen2": "qwen2", "llama": "llama-bpe"}.get(kind)
        if kind == "phi3" and cfg.get("sliding_window"):
            kvs.append(g("attention.sliding_window", U32, cfg["sliding_window"]))
        if kind == "gemma2":
            kvs += [g("attn_logit_softcapping", F32, cfg["attn_logit_softcapping"]),
                    g("final_logit_softcapping", F32, cfg["final_logit_softcapping"]),
                    g("attention.sliding_window", U32, cfg["sliding_window"])]
    kvs += vocab_kvs(tok, pre)
    tensors = []
    for name, a in W.items():
        if kind in ("gemma", "gemma2") and name.endswith("norm.weight"):
            a = a + 1.0  # the converter stores Gemma's (1 + w)
        if kind == "llama" and name.endswith("q_proj.weight"):
            a = permute(a, H, H)
        if kind == "llama" and name.endswith("k_proj.weight"):
            a = permute(a, H, KV)
        tensors.append((gguf_name(name, table), a))
    rs = cfg.get("rope_scaling") or {}
    if rs.get("rope_type", rs.get("type")) == "yarn":  # as the converter writes Qwen2's YaRN
        kvs += [g("rope.scaling.type", STR, "yarn"), g("rope.scaling.factor", F32, rs["factor"]),
                g("rope.scaling.original_context_length", U32,
                  rs["original_max_position_embeddings"])]
    if kind == "phi3" and rs.get("rope_type", rs.get("type")) in ("longrope", "su"):
        # as the converter writes Phi-3's LongRoPE (which attnscope refuses in GGUF)
        tensors += [("rope_factors_long.weight", np.asarray(rs["long_factor"], dtype=np.float32)),
                    ("rope_factors_short.weight", np.asarray(rs["short_factor"], dtype=np.float32))]
    if kind == "llama" and rs.get("rope_type", rs.get("type")) == "llama3":
        tensors.append(("rope_freqs.weight", llama3_rope_factors(cfg, dh)))
    for item in extra:  # KEY=NUMBER: float metadata a test adds (what other converters write)
        k, v = item.split("=", 1)
        kvs.append(kv(k, F32, float(v)))
    write_gguf(out_path, kvs, tensors)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: gguf_from_hf.py MODEL_DIR OUT.gguf [KEY=NUMBER ...]")
    convert(sys.argv[1], sys.argv[2], sys.argv[3:])
