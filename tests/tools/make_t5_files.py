#!/usr/bin/env python3
"""Test helper: other files made from a Hugging Face T5 folder (config.json, model.safetensors,
spiece.model), with the standard library only.

  make_t5_files.py gguf SRC_DIR OUT.gguf
      the same model as a GGUF with llama.cpp's `t5` architecture: its keys, its tensor names
      (token_embd, enc.blk.N.attn_q, dec.blk.N.cross_attn_k, ...; wi_0 -> ffn_gate, wi_1 and wi
      -> ffn_up), all F32, and the vocabulary as llama.cpp's converter writes it (pieces, scores,
      types, the precompiled charsmap; ids past the pieces as [PAD<id>], unused)
  make_t5_files.py tokjson SRC_DIR OUT_DIR
      a folder with a tokenizer.json holding the same vocabulary as a Unigram model, the charsmap
      as a Precompiled normalizer, WhitespaceSplit + Metaspace and </s> appended (as Hugging Face
      converts T5's tokenizer), and no config.json, so the folder opens as a tokenizer
"""
import base64
import json
import os
import struct
import sys


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def fields(b):
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(b, i)
        elif wire == 1:
            v, i = b[i:i + 8], i + 8
        elif wire == 5:
            v, i = b[i:i + 4], i + 4
        elif wire == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError("wire type %d" % wire)
        yield num, v


def read_spiece(path):
    """pieces [(bytes, score, type)], charsmap bytes, add_dummy_prefix, remove_extra_whitespaces"""
    pieces, charsmap, dummy, remove = [], b"", True, True
    for num, v in fields(open(path, "rb").read()):
        if num == 1:
            d = dict(fields(v))
            score = struct.unpack("<f", d[2])[0] if 2 in d else 0.0
            pieces.append((d[1], score, d.get(3, 1)))
        elif num == 3:
            for n, x in fields(v):
                if n == 2:
                    charsmap = x
                elif n == 3:
                    dummy = bool(x)
                elif n == 4:
                    remove = bool(x)
    return pieces, charsmap, dummy, remove


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", name
        a, b = t["data_offsets"]
        out[name] = (t["shape"], body[a:b])
    return out


# ---- GGUF -------------------------------------------------------------------------------------

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from gguf_kv import ARR, BOOL, F32, I32, STR, U8, U32, gstr, kv  # noqa: E402


def t5_name(hf):
    """llama.cpp's name for a Hugging Face T5 tensor (without .weight), or None."""
    if hf == "shared.weight":
        return "token_embd"
    if hf == "lm_head.weight":
        return "output"
    if hf in ("encoder.final_layer_norm.weight", "decoder.final_layer_norm.weight"):
        return ("enc" if hf.startswith("enc") else "dec") + ".output_norm"
    p = hf.split(".")
    stack, blk, layer, rest = p[0], p[2], p[4], ".".join(p[5:-1])
    pre = "%s.blk.%s." % ("enc" if stack == "encoder" else "dec", blk)
    table = {
        "SelfAttention.q": "attn_q", "SelfAttention.k": "attn_k", "SelfAttention.v": "attn_v",
        "SelfAttention.o": "attn_o", "SelfAttention.relative_attention_bias": "attn_rel_b",
        "EncDecAttention.q": "cross_attn_q", "EncDecAttention.k": "cross_attn_k",
        "EncDecAttention.v": "cross_attn_v", "EncDecAttention.o": "cross_attn_o",
        "DenseReluDense.wi": "ffn_up", "DenseReluDense.wi_0": "ffn_gate",
        "DenseReluDense.wi_1": "ffn_up", "DenseReluDense.wo": "ffn_down",
    }
    if rest in table:
        return pre + table[rest]
    if rest == "layer_norm":
        last = {"0": "attn_norm", "1": "ffn_norm" if stack == "encoder" else "cross_attn_norm",
                "2": "ffn_norm"}
        return pre + last[layer]
    return None


def make_gguf(src, out):
    cfg = json.load(open(os.path.join(src, "config.json")))
    pieces, charsmap, dummy, remove = read_spiece(os.path.join(src, "spiece.model"))
    n = cfg["vocab_size"]
    tokens = [("[PAD%d]" % i).encode() for i in range(n)]
    scores = [-10000.0] * n
    types = [5] * n
    for i, (text, score, ptype) in enumerate(pieces):
        tokens[i], scores[i], types[i] = text, score, ptype
    kvs = [
        kv("general.architecture", STR, "t5"),
        kv("general.name", STR, os.path.basename(os.path.normpath(src))),
        kv("t5.context_length", U32, cfg.get("n_positions", 512)),
        kv("t5.embedding_length", U32, cfg["d_model"]),
        kv("t5.feed_forward_length", U32, cfg["d_ff"]),
        kv("t5.block_count", U32, cfg["num_layers"]),
        kv("t5.decoder_block_count", U32, cfg["num_decoder_layers"]),
        kv("t5.attention.head_count", U32, cfg["num_heads"]),
        kv("t5.attention.key_length", U32, cfg["d_kv"]),
        kv("t5.attention.value_length", U32, cfg["d_kv"]),
        kv("t5.attention.layer_norm_epsilon", F32, cfg["layer_norm_epsilon"]),
        kv("t5.attention.relative_buckets_count", U32, cfg["relative_attention_num_buckets"]),
        kv("t5.attention.layer_norm_rms_epsilon", F32, cfg["layer_norm_epsilon"]),
        kv("t5.decoder_start_token_id", U32, cfg["decoder_start_token_id"]),
        kv("general.file_type", U32, 0),
        kv("tokenizer.ggml.model", STR, "t5"),
        kv("tokenizer.ggml.pre", STR, "default"),
        kv("tokenizer.ggml.tokens", ARR, (STR, tokens)),
        kv("tokenizer.ggml.scores", ARR, (F32, scores)),
        kv("tokenizer.ggml.token_type", ARR, (I32, types)),
        kv("tokenizer.ggml.add_space_prefix", BOOL, dummy),
        kv("tokenizer.ggml.remove_extra_whitespaces", BOOL, remove),
        kv("tokenizer.ggml.precompiled_charsmap", ARR, (U8, list(charsmap))),
        kv("tokenizer.ggml.eos_token_id", U32, 1),
        kv("tokenizer.ggml.unknown_token_id", U32, 2),
        kv("tokenizer.ggml.padding_token_id", U32, 0),
    ]
    tensors = []
    for hf, (shape, data) in sorted(read_safetensors(os.path.join(src, "model.safetensors")).items()):
        name = t5_name(hf)
        if name:
            tensors.append((name + ".weight", list(reversed(shape)), data))
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs)
    offset, infos = 0, b""
    for name, dims, data in tensors:
        infos += gstr(name) + struct.pack("<I", len(dims)) + struct.pack("<%dQ" % len(dims), *dims)
        infos += struct.pack("<IQ", 0, offset)
        offset += (len(data) + 31) // 32 * 32
    blob = head + infos
    blob += b"\0" * ((32 - len(blob) % 32) % 32)
    for _, _, data in tensors:
        blob += data + b"\0" * ((32 - len(data) % 32) % 32)
    open(out, "wb").write(blob)


def make_tokjson(src, out_dir):
    pieces, charsmap, _, _ = read_spiece(os.path.join(src, "spiece.model"))
    vocab = [[text.decode(), score] for text, score, _ in pieces]
    specials = [{"id": i, "content": text.decode(), "single_word": False, "lstrip": False,
                 "rstrip": False, "normalized": False, "special": True}
                for i, (text, _, ptype) in enumerate(pieces) if ptype in (2, 3)]
    eos = {"id": "</s>", "ids": [1], "tokens": ["</s>"]}
    doc = {
        "version": "1.0",
        "added_tokens": specials,
        "normalizer": {"type": "Precompiled",
                       "precompiled_charsmap": base64.b64encode(charsmap).decode()},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"},
            {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}]},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [], "special_tokens": {"</s>": eos}},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True},
        "model": {"type": "Unigram", "unk_id": 2, "vocab": vocab},
    }
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("gguf", "tokjson"):
        sys.exit(__doc__)
    (make_gguf if sys.argv[1] == "gguf" else make_tokjson)(sys.argv[2], sys.argv[3])
