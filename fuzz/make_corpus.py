#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: fuzz/corpus/<target>/<seed>, small inputs made
here from nothing (tiny random models, tokenizers and configs in every format attnscope reads),
so that fuzzing starts from files that parse and reaches the code behind the headers.

    fuzz/make_corpus.py [OUT_DIR]        default: fuzz/corpus beside this script

Deterministic (a fixed random seed): running it again gives the same bytes. Python 3 and its
standard library only. The seeds are committed; rerun it after a format gains a feature and
commit what changed. A target whose folder is missing fuzzes from an empty corpus.
"""
import json
import os
import random
import struct
import sys

RNG = random.Random(20240611)


def floats(n, scale=0.2):
    return [RNG.uniform(-scale, scale) for _ in range(n)]


def f32(values):
    return struct.pack("<%df" % len(values), *values)


def f16(values):
    return struct.pack("<%de" % len(values), *values)


def bf16(values):
    return b"".join(struct.pack("<f", v)[2:] for v in values)


def ones(n):
    return [1.0] * n


# ---- safetensors ---------------------------------------------------------------------------------


def safetensors(tensors, metadata=None):
    """tensors: (name, dtype, shape, bytes) in file order."""
    header, offset = {}, 0
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in tensors)


def t32(name, shape, values=None):
    n = 1
    for d in shape:
        n *= d
    return (name, "F32", shape, f32(values if values is not None else floats(n)))


# ---- tokenizers ------------------------------------------------------------------------------------


def gpt2_byte_chars():
    """GPT-2's bytes_to_unicode: every byte as a printable character."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def gpt2_vocab():
    chars = gpt2_byte_chars()
    vocab = {c: i for i, c in enumerate(chars)}
    merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("Ġ", "w"), ("o", "r"), ("l", "d"),
              ("Ġw", "or"), ("Ġwor", "ld"), ("e", "l"), ("el", "l"), ("H", "ell"), ("Hell", "o")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return vocab, merges


def gpt2_tokenizer_json():
    vocab, merges = gpt2_vocab()
    return {
        "version": "1.0",
        "added_tokens": [{"id": vocab["<|endoftext|>"], "content": "<|endoftext|>",
                          "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                           "use_regex": True},
        "decoder": {"type": "ByteLevel"},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": False,
                  "byte_fallback": False, "vocab": vocab, "merges": [a + " " + b for a, b in merges]},
    }


BERT_WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ",", ".", "!", "?", "'", "the", "cat",
              "sat", "on", "mat", "hello", "world", "it", "was", "##s", "##ed", "##ing", "un",
              "##able"] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + \
             ["##" + chr(c) for c in range(ord("a"), ord("z") + 1)] + [str(d) for d in range(10)]


def bert_tokenizer_json():
    vocab = {w: i for i, w in enumerate(BERT_WORDS)}
    special = lambda t: {"id": vocab[t], "content": t, "single_word": False, "lstrip": False,
                         "rstrip": False, "normalized": False, "special": True}
    return {
        "version": "1.0",
        "added_tokens": [special(t) for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [],
            "special_tokens": {t: {"id": t, "ids": [vocab[t]], "tokens": [t]}
                               for t in ["[CLS]", "[SEP]"]}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }


def spm_vocab():
    """SentencePiece-style BPE with byte fallback, as Llama's tokenizer.json holds it."""
    pieces = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    words = ["\u2581", "e", "t", "h", "l", "o", "w", "r", "d", "a", "c", "s", "n", "H", "\u2581t",
             "he", "\u2581the", "ll", "\u2581w", "or", "\u2581wor", "ld", "\u2581c", "at"]
    pieces += words
    vocab = {p: i for i, p in enumerate(pieces)}
    merges = [("\u2581", "t"), ("h", "e"), ("\u2581t", "he"), ("l", "l"), ("\u2581", "w"),
              ("o", "r"), ("\u2581w", "or"), ("l", "d"), ("\u2581", "c"), ("a", "t")]
    return vocab, merges


def llama_tokenizer_json():
    vocab, merges = spm_vocab()
    special = lambda t: {"id": vocab[t], "content": t, "single_word": False, "lstrip": False,
                         "rstrip": False, "normalized": False, "special": True}
    return {
        "version": "1.0",
        "added_tokens": [special(t) for t in ["<unk>", "<s>", "</s>"]],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ",
                                                         "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>",
                  "continuing_subword_prefix": None, "end_of_word_suffix": None, "fuse_unk": True,
                  "byte_fallback": True, "ignore_merges": False, "vocab": vocab,
                  "merges": [[a, b] for a, b in merges]},
    }


def metaspace_tokenizer_json():
    """A pre-tokenizer pipeline with Metaspace, digits and punctuation splits, a regex Split."""
    j = llama_tokenizer_json()
    j["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"},
                                                           {"type": "StripAccents"}]}
    j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": "[0-9]+"}, "behavior": "Isolated", "invert": False},
        {"type": "Digits", "individual_digits": True},
        {"type": "Punctuation", "behavior": "Isolated"},
        {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}]}
    j["normalizer"]["normalizers"].append({"type": "Strip", "strip_left": True,
                                           "strip_right": True})
    return j


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, indent=1).encode()


# ---- GGUF ------------------------------------------------------------------------------------------

GGUF_T = {"u32": 4, "i32": 5, "f32": 6, "bool": 7, "str": 8, "arr": 9, "u64": 10}
GGML_F32, GGML_F16, GGML_Q8_0, GGML_BF16 = 0, 1, 8, 30


def gguf_str(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_value(kind, value):
    if kind == "str":
        return gguf_str(value)
    if kind == "u32":
        return struct.pack("<I", value)
    if kind == "i32":
        return struct.pack("<i", value)
    if kind == "u64":
        return struct.pack("<Q", value)
    if kind == "f32":
        return struct.pack("<f", value)
    if kind == "bool":
        return struct.pack("<B", 1 if value else 0)
    raise ValueError(kind)


def gguf_kv(key, kind, value):
    out = gguf_str(key)
    if kind.startswith("arr:"):
        elem = kind[4:]
        out += struct.pack("<I", GGUF_T["arr"]) + struct.pack("<IQ", GGUF_T[elem], len(value))
        out += b"".join(gguf_value(elem, v) for v in value)
    else:
        out += struct.pack("<I", GGUF_T[kind]) + gguf_value(kind, value)
    return out


def q8_0(values):
    """Blocks of 32: a float16 scale, then 32 int8."""
    out = b""
    for i in range(0, len(values), 32):
        block = values[i:i + 32]
        d = max(abs(v) for v in block) / 127 or 1.0
        out += struct.pack("<e", d) + struct.pack("<32b", *[round(v / d) for v in block])
    return out


def gguf(kvs, tensors, alignment=32):
    """kvs: (key, kind, value); tensors: (name, ne fastest-first, ggml type, bytes)."""
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    out += b"".join(gguf_kv(*kv) for kv in kvs)
    offset, infos, blobs = 0, b"", b""
    for name, ne, ggml_type, data in tensors:
        infos += gguf_str(name) + struct.pack("<I", len(ne)) + struct.pack("<%dQ" % len(ne), *ne)
        infos += struct.pack("<IQ", ggml_type, offset)
        pad = (alignment - len(data) % alignment) % alignment
        blobs += data + b"\0" * pad
        offset += len(data) + pad
    out += infos
    out += b"\0" * ((alignment - len(out) % alignment) % alignment)
    return out + blobs


def llama_gguf(D=8, F=16, L=1, H=2, KV=1, kind="f32"):
    vocab, merges = spm_vocab()
    tokens = sorted(vocab, key=vocab.get)
    V = len(tokens)
    dh = D // H
    types = [2 if t in ("<unk>",) else 3 if t in ("<s>", "</s>") else
             6 if t.startswith("<0x") else 1 for t in tokens]
    kvs = [("general.architecture", "str", "llama"), ("general.name", "str", "seed"),
           ("llama.embedding_length", "u32", D), ("llama.block_count", "u32", L),
           ("llama.attention.head_count", "u32", H), ("llama.attention.head_count_kv", "u32", KV),
           ("llama.feed_forward_length", "u32", F), ("llama.context_length", "u32", 32),
           ("llama.rope.dimension_count", "u32", dh),
           ("llama.attention.layer_norm_rms_epsilon", "f32", 1e-5),
           ("tokenizer.ggml.model", "str", "llama"), ("tokenizer.ggml.tokens", "arr:str", tokens),
           ("tokenizer.ggml.scores", "arr:f32", [-float(i) for i in range(V)]),
           ("tokenizer.ggml.token_type", "arr:i32", types),
           ("tokenizer.ggml.bos_token_id", "u32", 1), ("tokenizer.ggml.eos_token_id", "u32", 2),
           ("tokenizer.ggml.unknown_token_id", "u32", 0)]

    def tensor(name, ne, norm=False):
        n = 1
        for d in ne:
            n *= d
        values = ones(n) if norm else floats(n)
        if norm or kind == "f32" or (kind == "q8_0" and n % 32):
            return (name, ne, GGML_F32, f32(values))
        if kind == "f16":
            return (name, ne, GGML_F16, f16(values))
        if kind == "bf16":
            return (name, ne, GGML_BF16, bf16(values))
        return (name, ne, GGML_Q8_0, q8_0(values))

    ts = [tensor("token_embd.weight", [D, V])]
    for l in range(L):
        b = "blk.%d." % l
        ts += [tensor(b + "attn_norm.weight", [D], True), tensor(b + "attn_q.weight", [D, H * dh]),
               tensor(b + "attn_k.weight", [D, KV * dh]), tensor(b + "attn_v.weight", [D, KV * dh]),
               tensor(b + "attn_output.weight", [H * dh, D]),
               tensor(b + "ffn_norm.weight", [D], True), tensor(b + "ffn_gate.weight", [D, F]),
               tensor(b + "ffn_up.weight", [D, F]), tensor(b + "ffn_down.weight", [F, D])]
    ts += [tensor("output_norm.weight", [D], True)]
    return gguf(kvs, ts)


def vocab_only_gguf(model):
    if model == "gpt2":
        vocab, merges = gpt2_vocab()
        tokens = sorted(vocab, key=vocab.get)
        kvs = [("general.architecture", "str", "gpt2"), ("tokenizer.ggml.model", "str", "gpt2"),
               ("tokenizer.ggml.pre", "str", "default"),
               ("tokenizer.ggml.tokens", "arr:str", tokens),
               ("tokenizer.ggml.token_type", "arr:i32", [1] * (len(tokens) - 1) + [3]),
               ("tokenizer.ggml.merges", "arr:str", [a + " " + b for a, b in merges]),
               ("tokenizer.ggml.bos_token_id", "u32", len(tokens) - 1)]
    else:  # bert, in llama.cpp's spelling: word-initial pieces carry U+2581, no "##"
        tokens = [w[2:] if w.startswith("##") else
                  (w if w.startswith("[") else "\u2581" + w) for w in BERT_WORDS]
        kvs = [("general.architecture", "str", "bert"), ("bert.embedding_length", "u32", 8),
               ("bert.block_count", "u32", 1), ("bert.attention.head_count", "u32", 2),
               ("bert.context_length", "u32", 16), ("tokenizer.ggml.model", "str", "bert"),
               ("tokenizer.ggml.tokens", "arr:str", tokens),
               ("tokenizer.ggml.token_type", "arr:i32", [3] * 5 + [1] * (len(tokens) - 5)),
               ("tokenizer.ggml.cls_token_id", "u32", 2), ("tokenizer.ggml.seperator_token_id",
                                                            "u32", 3),
               ("tokenizer.ggml.unknown_token_id", "u32", 1)]
    return gguf(kvs, [])


# ---- llama2.c ------------------------------------------------------------------------------------


def llama2c_checkpoint(dim=8, hidden=16, layers=1, heads=2, kv=2, vocab=32, seq=16, shared=True,
                       freq=True):
    hs = dim // heads
    out = struct.pack("<7i", dim, hidden, layers, heads, kv, vocab if shared else -vocab, seq)
    parts = [vocab * dim, layers * dim, layers * heads * hs * dim, layers * kv * hs * dim,
             layers * kv * hs * dim, layers * dim * heads * hs, layers * dim,
             layers * hidden * dim, layers * dim * hidden, layers * hidden * dim, dim]
    for n in parts:
        out += f32(floats(n))
    if freq:
        out += f32(floats(seq * hs // 2)) + f32(floats(seq * hs // 2))
    if not shared:
        out += f32(floats(vocab * dim))
    return out


def llama2c_tokenizer(n=512):
    pieces = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    words = [" the", " a", " cat", " sat", "Once", " upon", " time", " Lily", " big", " red",
             " ball", "e", "t", "h", "l", "o", " ", ".", ",", "ing", "ed"]
    pieces += words
    while len(pieces) < n:
        pieces.append(" w%d" % len(pieces))
    out = struct.pack("<i", max(len(p.encode()) for p in pieces))
    for i, p in enumerate(pieces[:n]):
        b = p.encode()
        out += struct.pack("<fi", -float(i), len(b)) + b
    return out


# ---- Hugging Face folders ------------------------------------------------------------------------

FOLDER_NAMES = ["config.json", "model.safetensors", "model.safetensors.index.json",
                "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                "tokenizer.json", "vocab.json", "merges.txt", "vocab.txt",
                "tokenizer_config.json"]


def archive(files):
    """fuzz_hf_folder's input: [name index][u32 length][bytes] per file."""
    out = b""
    for name, data in files:
        out += struct.pack("<BI", FOLDER_NAMES.index(name), len(data)) + data
    return out


def gpt2_config(D, L, H, V, ctx):
    return {"model_type": "gpt2", "n_embd": D, "n_layer": L, "n_head": H, "vocab_size": V,
            "n_positions": ctx, "n_ctx": ctx, "activation_function": "gelu_new",
            "layer_norm_epsilon": 1e-5}


def gpt2_weights(D, L, V, ctx, prefix=""):
    F = 4 * D
    ts = [t32(prefix + "wte.weight", [V, D]), t32(prefix + "wpe.weight", [ctx, D])]
    for l in range(L):
        b = prefix + "h.%d." % l
        ts += [t32(b + "ln_1.weight", [D], ones(D)), t32(b + "ln_1.bias", [D]),
               t32(b + "attn.c_attn.weight", [D, 3 * D]), t32(b + "attn.c_attn.bias", [3 * D]),
               t32(b + "attn.c_proj.weight", [D, D]), t32(b + "attn.c_proj.bias", [D]),
               t32(b + "ln_2.weight", [D], ones(D)), t32(b + "ln_2.bias", [D]),
               t32(b + "mlp.c_fc.weight", [D, F]), t32(b + "mlp.c_fc.bias", [F]),
               t32(b + "mlp.c_proj.weight", [F, D]), t32(b + "mlp.c_proj.bias", [D])]
    ts += [t32(prefix + "ln_f.weight", [D], ones(D)), t32(prefix + "ln_f.bias", [D])]
    return ts


def bert_config(D, L, H, F, V, ctx):
    return {"model_type": "bert", "hidden_size": D, "num_hidden_layers": L,
            "num_attention_heads": H, "intermediate_size": F, "vocab_size": V,
            "max_position_embeddings": ctx, "type_vocab_size": 2, "hidden_act": "gelu",
            "layer_norm_eps": 1e-12, "position_embedding_type": "absolute"}


def bert_weights(D, L, F, V, ctx, prefix="bert."):
    e = prefix + "embeddings."
    ts = [t32(e + "word_embeddings.weight", [V, D]), t32(e + "position_embeddings.weight", [ctx, D]),
          t32(e + "token_type_embeddings.weight", [2, D]), t32(e + "LayerNorm.weight", [D], ones(D)),
          t32(e + "LayerNorm.bias", [D])]
    for l in range(L):
        b = prefix + "encoder.layer.%d." % l
        for part in ["attention.self.query", "attention.self.key", "attention.self.value",
                     "attention.output.dense"]:
            ts += [t32(b + part + ".weight", [D, D]), t32(b + part + ".bias", [D])]
        ts += [t32(b + "attention.output.LayerNorm.weight", [D], ones(D)),
               t32(b + "attention.output.LayerNorm.bias", [D]),
               t32(b + "intermediate.dense.weight", [F, D]), t32(b + "intermediate.dense.bias", [F]),
               t32(b + "output.dense.weight", [D, F]), t32(b + "output.dense.bias", [D]),
               t32(b + "output.LayerNorm.weight", [D], ones(D)), t32(b + "output.LayerNorm.bias", [D])]
    return ts


def llama_config(D, L, H, KV, F, V, ctx, model_type="llama", **extra):
    c = {"model_type": model_type, "hidden_size": D, "num_hidden_layers": L,
         "num_attention_heads": H, "num_key_value_heads": KV, "intermediate_size": F,
         "vocab_size": V, "max_position_embeddings": ctx, "rms_norm_eps": 1e-5,
         "rope_theta": 10000.0, "hidden_act": "silu", "tie_word_embeddings": True}
    c.update(extra)
    return c


def llama_weights(D, L, H, KV, F, V, bias=False):
    dh = D // H
    ts = [t32("model.embed_tokens.weight", [V, D])]
    for l in range(L):
        b = "model.layers.%d." % l
        ts += [t32(b + "input_layernorm.weight", [D], ones(D)),
               t32(b + "self_attn.q_proj.weight", [H * dh, D]),
               t32(b + "self_attn.k_proj.weight", [KV * dh, D]),
               t32(b + "self_attn.v_proj.weight", [KV * dh, D]),
               t32(b + "self_attn.o_proj.weight", [D, H * dh]),
               t32(b + "post_attention_layernorm.weight", [D], ones(D)),
               t32(b + "mlp.gate_proj.weight", [F, D]), t32(b + "mlp.up_proj.weight", [F, D]),
               t32(b + "mlp.down_proj.weight", [D, F])]
        if bias:
            ts += [t32(b + "self_attn.q_proj.bias", [H * dh]),
                   t32(b + "self_attn.k_proj.bias", [KV * dh]),
                   t32(b + "self_attn.v_proj.bias", [KV * dh])]
    ts += [t32("model.norm.weight", [D], ones(D))]
    return ts


def hf_folders():
    gv, gm = gpt2_vocab()
    V = len(gv)
    gpt2 = [("config.json", dumps(gpt2_config(8, 1, 2, V, 16))),
            ("model.safetensors", safetensors(gpt2_weights(8, 1, V, 16), {"format": "pt"})),
            ("vocab.json", dumps(gv)),
            ("merges.txt", ("#version: 0.2\n" + "".join(a + " " + b + "\n" for a, b in gm)).encode())]
    gpt2_json = [gpt2[0], gpt2[1], ("tokenizer.json", dumps(gpt2_tokenizer_json()))]
    bert = [("config.json", dumps(bert_config(8, 1, 2, 16, len(BERT_WORDS), 16))),
            ("model.safetensors", safetensors(bert_weights(8, 1, 16, len(BERT_WORDS), 16))),
            ("vocab.txt", "".join(w + "\n" for w in BERT_WORDS).encode()),
            ("tokenizer_config.json", dumps({"do_lower_case": True}))]
    sv, _ = spm_vocab()
    weights = llama_weights(8, 1, 2, 1, 16, len(sv))
    llama = [("config.json", dumps(llama_config(8, 1, 2, 1, 16, len(sv), 32))),
             ("model.safetensors", safetensors(weights)),
             ("tokenizer.json", dumps(llama_tokenizer_json()))]
    half = len(weights) // 2
    index = {"metadata": {"total_size": 0},
             "weight_map": {t[0]: "model-0000%d-of-00002.safetensors" % (1 if i < half else 2)
                            for i, t in enumerate(weights)}}
    sharded = [llama[0], ("model.safetensors.index.json", dumps(index)),
               ("model-00001-of-00002.safetensors", safetensors(weights[:half])),
               ("model-00002-of-00002.safetensors", safetensors(weights[half:])), llama[2]]
    qwen = [("config.json", dumps(llama_config(8, 1, 2, 2, 16, len(sv), 32, "qwen2",
                                               use_sliding_window=False))),
            ("model.safetensors", safetensors(llama_weights(8, 1, 2, 2, 16, len(sv), bias=True))),
            ("tokenizer.json", dumps(metaspace_tokenizer_json()))]
    return {"gpt2-vocab-merges": archive(gpt2), "gpt2-tokenizer-json": archive(gpt2_json),
            "bert-vocab-txt": archive(bert), "llama": archive(llama),
            "llama-sharded": archive(sharded), "qwen2-bias": archive(qwen)}


def hf_configs():
    sv, _ = spm_vocab()
    return {
        "gpt2": dumps(gpt2_config(8, 1, 2, 300, 16)),
        "bert": dumps(bert_config(8, 1, 2, 16, 64, 16)),
        "llama": dumps(llama_config(8, 1, 2, 1, 16, 64, 32)),
        "llama3-rope": dumps(llama_config(8, 1, 2, 2, 16, 64, 32, rope_scaling={
            "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 16})),
        "linear-rope": dumps(llama_config(8, 1, 2, 2, 16, 64, 32, rope_scaling={
            "type": "linear", "factor": 2.0})),
        "mistral": dumps(llama_config(8, 1, 2, 1, 16, 64, 32, "mistral", sliding_window=8)),
        "qwen2": dumps(llama_config(8, 1, 2, 2, 16, 64, 32, "qwen2", use_sliding_window=True,
                                    sliding_window=8, attention_bias=True)),
        "head-dim": dumps(llama_config(8, 1, 2, 1, 16, 64, 32, head_dim=8)),
        "yarn-rope": dumps(llama_config(8, 1, 2, 2, 16, 64, 32, "qwen2", rope_scaling={
            "type": "yarn", "factor": 4.0, "original_max_position_embeddings": 8,
            "beta_fast": 16, "mscale": 0.9, "mscale_all_dim": 0.5})),
        "longrope": dumps(llama_config(8, 1, 2, 2, 16, 64, 32, "phi3",
                                       original_max_position_embeddings=8, rope_scaling={
                                           "type": "longrope", "short_factor": [1.0, 2.0],
                                           "long_factor": [2.0, 4.0]})),
        "opt-proj": dumps({"model_type": "opt", "hidden_size": 8, "num_hidden_layers": 1,
                           "num_attention_heads": 2, "ffn_dim": 16, "vocab_size": 64,
                           "max_position_embeddings": 32, "word_embed_proj_dim": 4,
                           "do_layer_norm_before": False}),
    }


# ---- training logs ---------------------------------------------------------------------------------


def train_log(layers=2, heads=2, checkpoints=3, finished=True):
    """A train_log.jsonl as `attnscope train` writes it: the start, losses, checkpoints with each
    head's previous-token and induction scores, the end."""
    def scores():
        return [[round(RNG.random(), 3) for _ in range(heads)] for _ in range(layers)]
    lines = [{"event": "start", "recipe": {"corpus": "builtin:repeats", "steps": 10 * checkpoints,
                                           "n_layer": layers, "n_head": heads},
              "n_params": 1234, "vocab_size": 64}]
    for c in range(checkpoints):
        step = 10 * c
        if c:
            lines.append({"step": step, "loss": round(4.0 / (c + 1), 3), "lr": 0.001,
                          "tokens_per_second": 5000.0, "elapsed_s": 0.5 * c})
        lines.append({"step": step, "checkpoint": "checkpoints/step-%06d" % step,
                      "eval_loss": round(4.2 / (c + 1), 3), "previous_token": scores(),
                      "induction": scores(), "elapsed_s": 0.5 * c})
    if finished:
        lines.append({"event": "end", "step": 10 * (checkpoints - 1), "elapsed_s": 2.0})
    return "".join(json.dumps(l) + "\n" for l in lines).encode()


# ---- the targets ---------------------------------------------------------------------------------


def corpus():
    q8_model = llama_gguf(D=32, F=32, kind="q8_0")
    c = {
        "fuzz_gguf": {"llama-f32": llama_gguf(), "llama-f16": llama_gguf(kind="f16"),
                      "llama-bf16-gqa": llama_gguf(H=4, KV=2, kind="bf16"),
                      "llama-q8_0": q8_model, "vocab-gpt2": vocab_only_gguf("gpt2"),
                      "vocab-bert": vocab_only_gguf("bert")},
        "fuzz_safetensors": {
            "f32": safetensors([t32("a.weight", [2, 3]), t32("b", [4])], {"format": "pt"}),
            "mixed": safetensors([("h", "F16", [3, 2], f16(floats(6))),
                                  ("b", "BF16", [4], bf16(floats(4))),
                                  ("i", "I64", [2], struct.pack("<2q", 1, -1)),
                                  ("e", "F32", [0], b"")]),
        },
        "fuzz_llama2c": {"shared": llama2c_checkpoint(),
                         "own-classifier-gqa": llama2c_checkpoint(heads=2, kv=1, shared=False,
                                                                  freq=False)},
        "fuzz_tokenizer_bin": {"tok512": llama2c_tokenizer()},
        "fuzz_tokenizer_json": {"gpt2-bpe": dumps(gpt2_tokenizer_json()),
                                "bert-wordpiece": dumps(bert_tokenizer_json()),
                                "llama-spm-bpe": dumps(llama_tokenizer_json()),
                                "metaspace-pipeline": dumps(metaspace_tokenizer_json())},
        "fuzz_text": {"sentence": b"The animal didn't cross the street because it was too tired.",
                      "unicode": "Caf\u00e9 \u65e5\u672c\u8a9e, na\u00efve \U0001F642 don't.".encode(),
                      "invalid": b"bad \xff\xfe utf-8 \xc3", "empty": b"",
                      "punctuation": b"!!! ... ,,, ??? -- 12.5% $3 (a) [b] {c}"},
        "fuzz_hf_config": hf_configs(),
        "fuzz_hf_folder": hf_folders(),
        "fuzz_train_log": {"finished": train_log(), "growing": train_log(1, 4, 2, False)},
    }
    # weights that are not numbers (a broken file): the forward pass must stay defined
    nan = float("nan")
    c["fuzz_llama2c"]["nan-weights"] = struct.pack("<7i", 8, 16, 1, 2, 2, 32, 16) + f32(
        [nan] * (len(llama2c_checkpoint()) // 4 - 7))
    gv, _ = gpt2_vocab()
    gpt2_nan = [(n, d, shape, f32([nan] * (len(data) // 4))) for n, d, shape, data in
                gpt2_weights(8, 1, len(gv), 16)]
    c["fuzz_hf_folder"]["gpt2-nan-weights"] = archive(
        [("config.json", dumps(gpt2_config(8, 1, 2, len(gv), 16))),
         ("model.safetensors", safetensors(gpt2_nan)),
         ("tokenizer.json", dumps(gpt2_tokenizer_json()))])
    return c


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    total = 0
    for target, seeds in corpus().items():
        folder = os.path.join(out, target)
        os.makedirs(folder, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
            total += len(data)
        print("%-22s %2d seeds" % (target, len(seeds)))
    print("%d bytes in %s" % (total, out))


if __name__ == "__main__":
    main()
