#!/usr/bin/env python3
"""Tiny random checkpoints of the model families, in each family's Hugging Face layout.

  make_family.py FAMILY OUT_DIR     writes OUT_DIR/config.json, model.safetensors, tokenizer.json
  make_family.py --list             prints the families

Every file is made here, deterministically (fixed seeds, a small corpus below), with the Python
standard library and numpy: config.json with the keys transformers writes for that model_type,
the tensors under the names transformers' modeling code gives them (float32), and a tokenizer.json
of the kind the family's real tokenizer is (byte-level BPE with a Split regex, SentencePiece-style
BPE with byte fallback, Metaspace, Unigram, WordPiece), whose small vocabulary is trained here on
the corpus. Nothing is copied from a real model: the weights are random, scaled so that attention
is far from uniform and the soft-caps, windows and partial rotary all change the numbers.

The expected token ids of tokenizers/texts.json under each tokenizer.json come from Hugging Face's
tokenizers library (tokenizers/make_expected.sh); hf_reference.py computes the float64 outputs.
"""
import json
import os
import re
import struct
import sys

import numpy as np

CORPUS = """Once upon a time, in a quiet village by the sea, there lived a little girl named Lily.
She loved to watch the boats come and go, and every morning she counted them: one, two, three,
four, five. The fishermen waved at her and she waved back. "Hello!" she would shout, and they
would laugh. One day a storm came. The sky turned grey, the wind howled, and the waves grew
taller than the houses. Lily was afraid, but she wasn't alone: her grandmother held her hand and
told her stories about the sea until the storm was over. In 2024 the village had 1234 people and
56 boats. Café, naïve, résumé, déjà vu. Attention is all you need; transformers read tokens and
heads attend to other tokens. def main(): return x + y * 2  # code too
"""


# ---- safetensors --------------------------------------------------------------------------------

def write_safetensors(path, tensors):
    """tensors: list of (name, float32 ndarray), written in that order."""
    header, offset, blobs = {}, 0, []
    for name, a in tensors:
        a = np.ascontiguousarray(a, dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


# ---- tokenizers ---------------------------------------------------------------------------------

def bytes_to_unicode():
    """GPT-2's byte alphabet: printable bytes as themselves, the others shifted past 255."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def train_bpe(words, n_merges):
    """words: {tuple of symbols: count}. Returns the merges in order (ties: the smallest pair)."""
    words = dict(words)
    merges = []
    for _ in range(n_merges):
        pairs = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + c
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < 2:
            break
        merges.append(best)
        merged = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + c
        words = merged
    return merges


def added(id_, content, special=True, normalized=False):
    return {"id": id_, "content": content, "single_word": False, "lstrip": False,
            "rstrip": False, "normalized": normalized, "special": special}


def bpe_model(vocab, merges, **kw):
    m = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
         "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
         "ignore_merges": False, "vocab": vocab, "merges": [a + " " + b for a, b in merges]}
    m.update(kw)
    return m


def template(prefix, suffix=()):
    """TemplateProcessing: the special tokens (name, id) in front of and after $A."""
    single = [{"SpecialToken": {"id": n, "type_id": 0}} for n, _ in prefix]
    single.append({"Sequence": {"id": "A", "type_id": 0}})
    single += [{"SpecialToken": {"id": n, "type_id": 0}} for n, _ in suffix]
    pair = single + [{"Sequence": {"id": "B", "type_id": 1}}]
    specials = {n: {"id": n, "ids": [i], "tokens": [n]} for n, i in list(prefix) + list(suffix)}
    return {"type": "TemplateProcessing", "single": single, "pair": pair,
            "special_tokens": specials}


def tokenizer_json(model, added_tokens, normalizer=None, pre=None, post=None, decoder=None):
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added_tokens,
            "normalizer": normalizer, "pre_tokenizer": pre, "post_processor": post,
            "decoder": decoder, "model": model}


def bytelevel_bpe(specials_front, n_merges, specials_back=()):
    """A byte-level BPE vocabulary: specials_front, the 256 bytes, the merges, specials_back."""
    b2u = bytes_to_unicode()
    words = {}
    for w in re.findall(r" ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+", CORPUS):
        key = tuple(b2u[b] for b in w.encode())
        words[key] = words.get(key, 0) + 1
    merges = train_bpe(words, n_merges)
    vocab = {}
    for s in specials_front:
        vocab[s] = len(vocab)
    for b in range(256):
        vocab[b2u[b]] = len(vocab)
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    for s in specials_back:
        vocab[s] = len(vocab)
    return vocab, merges


def spm_bpe(specials, n_merges):
    """A SentencePiece-style BPE vocabulary (Llama 2, Gemma, Phi-3, Mistral): specials, the 256
    <0xXX> byte tokens, the corpus's characters with spaces as U+2581, then the merges."""
    words = {}
    for w in CORPUS.split():
        key = tuple("\u2581" + w)
        words[key] = words.get(key, 0) + 1
    merges = train_bpe(words, n_merges)
    vocab = {}
    for s in specials:
        vocab[s] = len(vocab)
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for ch in sorted(set("".join("".join(w) for w in words))):
        vocab.setdefault(ch, len(vocab))
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    return vocab, merges


PAT_LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
              r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
PAT_QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
             r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def split_regex(pattern):
    return {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False}


def bytelevel(add_prefix_space=False, use_regex=True, trim_offsets=True):
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": trim_offsets,
            "use_regex": use_regex}


def spm_decoder():
    return {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"}]}


def tok_gpt_neox():
    """Pythia: NFC, ByteLevel, <|endoftext|> 0 and <|padding|> 1, runs of spaces as added
    (not special) tokens, no special tokens added."""
    vocab, merges = bytelevel_bpe(["<|endoftext|>", "<|padding|>"], 120)
    # as in gpt-neox-20b, the space runs are added tokens past the model's vocabulary (ids as
    # Hugging Face's AddedVocabulary assigns them: vocabulary size, then one more each)
    toks = [added(0, "<|endoftext|>"), added(1, "<|padding|>"),
            added(len(vocab), "  ", special=False, normalized=True),
            added(len(vocab) + 1, "    ", special=False, normalized=True)]
    return tokenizer_json(bpe_model(vocab, merges), toks, {"type": "NFC"}, bytelevel(),
                          bytelevel(trim_offsets=True), bytelevel())


def tok_gpt2_like(bos=None):
    """GPT-2's byte-level BPE (Phi-2's CodeGen tokenizer, OPT's): <|endoftext|> last, and OPT's
    </s> added in front."""
    specials = ["<s>", "<pad>", "</s>", "<unk>"] if bos else []
    vocab, merges = bytelevel_bpe(specials, 120, ["<|endoftext|>"])
    toks = [added(vocab[s], s) for s in specials + ["<|endoftext|>"]]
    post = template([(bos, vocab[bos])]) if bos else bytelevel()
    return tokenizer_json(bpe_model(vocab, merges), toks, None, bytelevel(), post, bytelevel())


def tok_llama3():
    """Llama 3: a Split with its regex, ByteLevel without its own regex, ignore_merges,
    <|begin_of_text|> in front."""
    vocab, merges = bytelevel_bpe([], 150, ["<|begin_of_text|>", "<|end_of_text|>"])
    toks = [added(vocab["<|begin_of_text|>"], "<|begin_of_text|>"),
            added(vocab["<|end_of_text|>"], "<|end_of_text|>")]
    pre = {"type": "Sequence", "pretokenizers": [split_regex(PAT_LLAMA3), bytelevel(use_regex=False)]}
    post = {"type": "Sequence", "processors": [
        bytelevel(trim_offsets=False), template([("<|begin_of_text|>", vocab["<|begin_of_text|>"])])]}
    return tokenizer_json(bpe_model(vocab, merges, ignore_merges=True), toks, None, pre, post,
                          bytelevel())


def tok_qwen2():
    """Qwen2: NFC, a Split with its regex (single digits), ByteLevel, nothing added."""
    vocab, merges = bytelevel_bpe([], 150, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    toks = [added(vocab[s], s) for s in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]]
    pre = {"type": "Sequence", "pretokenizers": [split_regex(PAT_QWEN2), bytelevel(use_regex=False)]}
    return tokenizer_json(bpe_model(vocab, merges), toks, {"type": "NFC"}, pre,
                          bytelevel(trim_offsets=False), bytelevel())


def tok_spm_bpe(specials, bos, style):
    """SentencePiece-style BPE with byte fallback: Llama 2 / Phi-3 ("prepend": Prepend + Replace
    normalizers), Gemma ("replace": spaces replaced, nothing prepended), Mistral ("metaspace":
    a Metaspace pre-tokenizer, prepend_scheme first)."""
    vocab, merges = spm_bpe(specials, 150)
    unk = "<unk>"
    toks = [added(vocab[s], s) for s in specials]
    model = bpe_model(vocab, merges, unk_token=unk, fuse_unk=True, byte_fallback=True)
    replace = {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}
    norm, pre = None, None
    if style == "prepend":
        norm = {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"}, replace]}
    elif style == "replace":
        norm = replace
    else:
        pre = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}
    return tokenizer_json(model, toks, norm, pre, template([(bos, vocab[bos])]), spm_decoder())


def tok_roberta():
    """RoBERTa: <s> 0, <pad> 1, </s> 2, <unk> 3, ByteLevel, <s> $A </s>, <mask> last."""
    vocab, merges = bytelevel_bpe(["<s>", "<pad>", "</s>", "<unk>"], 120, ["<mask>"])
    toks = [added(vocab[s], s) for s in ["<s>", "<pad>", "</s>", "<unk>"]]
    toks.append(dict(added(vocab["<mask>"], "<mask>"), lstrip=True))
    post = {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
            "trim_offsets": True, "add_prefix_space": False}
    return tokenizer_json(bpe_model(vocab, merges), toks, None, bytelevel(), post, bytelevel())


def tok_xlm_roberta():
    """XLM-RoBERTa: a Unigram model over pieces with U+2581, NFKC and runs of spaces collapsed,
    Metaspace (prepend_scheme always), <s> $A </s>."""
    pieces = {}
    for w in CORPUS.split():
        w = "\u2581" + w
        for i in range(len(w)):
            for j in range(i + 1, min(len(w), i + 6) + 1):
                pieces[w[i:j]] = pieces.get(w[i:j], 0) + 1
    ranked = sorted(pieces.items(), key=lambda kv: (-kv[1] * len(kv[0]), kv[0]))
    singles = sorted({p for p in pieces if len(p) == 1})
    chosen = singles + [p for p, _ in ranked if len(p) > 1][:240]
    total = float(sum(pieces[p] for p in chosen))
    vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]
    vocab += [[p, float(np.log(pieces[p] / total))] for p in chosen]
    vocab.append(["<mask>", 0.0])
    toks = [added(i, s) for i, s in enumerate(["<s>", "<pad>", "</s>", "<unk>"])]
    toks.append(added(len(vocab) - 1, "<mask>"))
    norm = {"type": "Sequence", "normalizers": [
        {"type": "NFKC"}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
    pre = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    model = {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False}
    return tokenizer_json(model, toks, norm, pre, template([("<s>", 0)], [("</s>", 2)]),
                          {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                           "split": True})


def tok_wordpiece():
    """DistilBERT: lower-casing BertNormalizer, BertPreTokenizer, WordPiece, [CLS] $A [SEP]."""
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    text = CORPUS.lower()
    vocab = {s: i for i, s in enumerate(specials)}
    chars = sorted(set(c for c in text if not c.isspace()))
    for c in chars:
        vocab.setdefault(c, len(vocab))
    for c in chars:
        vocab.setdefault("##" + c, len(vocab))
    words = {}
    for w in re.findall(r"[a-z]+", text):
        words[w] = words.get(w, 0) + 1
    for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:80]:
        vocab.setdefault(w, len(vocab))
    for suffix in ["##s", "##ed", "##ing", "##er", "##ly", "##tion"]:
        vocab.setdefault(suffix, len(vocab))
    toks = [added(vocab[s], s) for s in specials]
    norm = {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
            "strip_accents": None, "lowercase": True}
    model = {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
             "max_input_chars_per_word": 100, "vocab": vocab}
    post = template([("[CLS]", vocab["[CLS]"])], [("[SEP]", vocab["[SEP]"])])
    return tokenizer_json(model, toks, norm, {"type": "BertPreTokenizer"}, post,
                          {"type": "WordPiece", "prefix": "##", "cleanup": True})


def vocab_size_of(tok):
    m = tok["model"]
    n = len(m["vocab"])
    return max([n] + [a["id"] + 1 for a in tok["added_tokens"]])


# ---- weights ------------------------------------------------------------------------------------

class Weights:
    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)
        self.tensors = []

    def add(self, name, shape, std=0.3, mean=0.0):
        a = (mean + std * self.rng.standard_normal(shape)).astype(np.float32)
        self.tensors.append((name, a))
        return a

    def linear(self, name, n_out, n_in, bias=True, std=None):
        self.add(name + ".weight", (n_out, n_in), std if std else 1.6 / np.sqrt(n_in))
        if bias:
            self.add(name + ".bias", (n_out,), 0.1)

    def layernorm(self, name, d, bias=True):
        self.add(name + ".weight", (d,), 0.1, 1.0)
        if bias:
            self.add(name + ".bias", (d,), 0.1)


def llama_like(w, cfg, prefix="model.", qkv_bias=False, fused=False, gemma2=False, gemma=False):
    D, F = cfg["hidden_size"], cfg["intermediate_size"]
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    dh = cfg.get("head_dim", D // H)
    norm_mean = 0.0 if gemma else 1.0  # Gemma stores w with the norm scaling by (1 + w)
    w.add(prefix + "embed_tokens.weight", (cfg["vocab_size"], D), 1.0)
    for l in range(cfg["num_hidden_layers"]):
        p = "%slayers.%d." % (prefix, l)
        w.add(p + "input_layernorm.weight", (D,), 0.1, norm_mean)
        if fused:
            w.linear(p + "self_attn.qkv_proj", (H + 2 * KV) * dh, D, qkv_bias)
        else:
            w.linear(p + "self_attn.q_proj", H * dh, D, qkv_bias)
            w.linear(p + "self_attn.k_proj", KV * dh, D, qkv_bias)
            w.linear(p + "self_attn.v_proj", KV * dh, D, qkv_bias)
        w.linear(p + "self_attn.o_proj", D, H * dh, False)
        w.add(p + "post_attention_layernorm.weight", (D,), 0.1, norm_mean)
        if gemma2:
            w.add(p + "pre_feedforward_layernorm.weight", (D,), 0.1, norm_mean)
            w.add(p + "post_feedforward_layernorm.weight", (D,), 0.1, norm_mean)
        if fused:
            w.linear(p + "mlp.gate_up_proj", 2 * F, D, False)
        else:
            w.linear(p + "mlp.gate_proj", F, D, False)
            w.linear(p + "mlp.up_proj", F, D, False)
        w.linear(p + "mlp.down_proj", D, F, False)
    w.add(prefix + "norm.weight", (D,), 0.1, norm_mean)
    if not cfg.get("tie_word_embeddings", False):
        w.add("lm_head.weight", (cfg["vocab_size"], D), 1.0 / np.sqrt(D) * 3)


def base_llama(vocab, **kw):
    cfg = {"hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 3,
           "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128,
           "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "vocab_size": vocab,
           "hidden_act": "silu", "tie_word_embeddings": False, "attention_bias": False,
           "attention_dropout": 0.0, "initializer_range": 0.02, "torch_dtype": "float32",
           "transformers_version": "4.46.0", "bos_token_id": 1, "eos_token_id": 2}
    cfg.update(kw)
    return cfg


def fam_mistral(tok):
    cfg = base_llama(vocab_size_of(tok), model_type="mistral", architectures=["MistralForCausalLM"],
                     sliding_window=4)
    w = Weights(11)
    llama_like(w, cfg)
    return cfg, w


def fam_qwen2(tok):
    cfg = base_llama(vocab_size_of(tok), model_type="qwen2", architectures=["Qwen2ForCausalLM"],
                     use_sliding_window=True, sliding_window=3, max_window_layers=1,
                     rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True)
    w = Weights(12)
    llama_like(w, cfg, qkv_bias=True)
    return cfg, w


def fam_qwen2_yarn(tok):
    """Qwen2 with YaRN: the ramp over the 4 rotary pairs of a head blends kept and interpolated
    frequencies (pairs 0, 1, 2+: 0, 0.5, 1 with these numbers), cos and sin x (1 + 0.1 ln 4)."""
    cfg, w = fam_qwen2(tok)
    cfg.update(rope_theta=10000.0, max_position_embeddings=256,
               rope_scaling={"type": "yarn", "factor": 4.0,
                             "original_max_position_embeddings": 64})
    return cfg, w


def fam_llama3(tok):
    cfg = base_llama(vocab_size_of(tok), model_type="llama", architectures=["LlamaForCausalLM"],
                     head_dim=16, rope_theta=500000.0, rms_norm_eps=1e-5,
                     rope_scaling={"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                   "original_max_position_embeddings": 64, "rope_type": "llama3"})
    w = Weights(13)
    llama_like(w, cfg)
    return cfg, w


def fam_phi3(tok):
    cfg = base_llama(vocab_size_of(tok), model_type="phi3", architectures=["Phi3ForCausalLM"],
                     num_key_value_heads=4, sliding_window=5, rms_norm_eps=1e-5,
                     partial_rotary_factor=0.75, original_max_position_embeddings=128,
                     resid_pdrop=0.0, embd_pdrop=0.0)
    w = Weights(14)
    llama_like(w, cfg, fused=True)
    return cfg, w


def fam_phi3_longrope(tok):
    """Phi-3 with LongRoPE over its 3 rotary pairs (partial rotary 0.75 of 8): the original
    context is 24 tokens, so the shorter texts run on short_factor and the longer ones on
    long_factor; attention factor sqrt(1 + ln(128 / 24) / ln 24)."""
    cfg, w = fam_phi3(tok)
    cfg.update(original_max_position_embeddings=24,
               rope_scaling={"type": "longrope", "short_factor": [1.0, 1.5, 2.5],
                             "long_factor": [1.25, 4.0, 9.0]})
    return cfg, w


def fam_gemma(tok):
    cfg = base_llama(vocab_size_of(tok), model_type="gemma", architectures=["GemmaForCausalLM"],
                     head_dim=16, num_key_value_heads=1, hidden_act="gelu_pytorch_tanh",
                     hidden_activation="gelu_pytorch_tanh", tie_word_embeddings=True,
                     bos_token_id=2, eos_token_id=1, pad_token_id=0)
    w = Weights(15)
    llama_like(w, cfg, gemma=True)
    return cfg, w


def fam_gemma2(tok):
    cfg = base_llama(vocab_size_of(tok), model_type="gemma2", architectures=["Gemma2ForCausalLM"],
                     num_hidden_layers=4, head_dim=16, hidden_activation="gelu_pytorch_tanh",
                     tie_word_embeddings=True, query_pre_attn_scalar=24, sliding_window=3,
                     attn_logit_softcapping=1.5, final_logit_softcapping=4.0,
                     cache_implementation="hybrid", bos_token_id=2, eos_token_id=1,
                     pad_token_id=0)
    del cfg["hidden_act"]
    w = Weights(16)
    llama_like(w, cfg, gemma=True, gemma2=True)
    return cfg, w


def fam_gpt_neox(tok, parallel=True):
    D, H, F, L = 32, 4, 64, 2
    cfg = {"model_type": "gpt_neox", "architectures": ["GPTNeoXForCausalLM"], "hidden_size": D,
           "num_attention_heads": H, "num_hidden_layers": L, "intermediate_size": F,
           "vocab_size": vocab_size_of(tok), "max_position_embeddings": 128, "rotary_pct": 0.5,
           "rotary_emb_base": 10000, "layer_norm_eps": 1e-5, "hidden_act": "gelu",
           "use_parallel_residual": parallel, "tie_word_embeddings": False,
           "attention_bias": True, "bos_token_id": 0, "eos_token_id": 0,
           "torch_dtype": "float32", "transformers_version": "4.46.0"}
    w = Weights(17 if parallel else 18)
    w.add("gpt_neox.embed_in.weight", (cfg["vocab_size"], D), 1.0)
    for l in range(L):
        p = "gpt_neox.layers.%d." % l
        w.layernorm(p + "input_layernorm", D)
        w.layernorm(p + "post_attention_layernorm", D)
        w.linear(p + "attention.query_key_value", 3 * D, D)
        w.linear(p + "attention.dense", D, D)
        w.linear(p + "mlp.dense_h_to_4h", F, D)
        w.linear(p + "mlp.dense_4h_to_h", D, F)
    w.layernorm("gpt_neox.final_layer_norm", D)
    w.add("embed_out.weight", (cfg["vocab_size"], D), 0.5)
    return cfg, w


def fam_phi(tok):
    D, H, F, L = 32, 4, 64, 2
    cfg = {"model_type": "phi", "architectures": ["PhiForCausalLM"], "hidden_size": D,
           "num_attention_heads": H, "num_key_value_heads": H, "num_hidden_layers": L,
           "intermediate_size": F, "vocab_size": vocab_size_of(tok),
           "max_position_embeddings": 128, "partial_rotary_factor": 0.5, "rope_theta": 10000.0,
           "layer_norm_eps": 1e-5, "hidden_act": "gelu_new", "qk_layernorm": False,
           "tie_word_embeddings": False, "resid_pdrop": 0.0, "embd_pdrop": 0.0,
           "bos_token_id": None, "eos_token_id": None, "torch_dtype": "float32",
           "transformers_version": "4.46.0"}
    w = Weights(19)
    w.add("model.embed_tokens.weight", (cfg["vocab_size"], D), 1.0)
    for l in range(L):
        p = "model.layers.%d." % l
        w.layernorm(p + "input_layernorm", D)
        for n in ("q_proj", "k_proj", "v_proj", "dense"):
            w.linear(p + "self_attn." + n, D, D)
        w.linear(p + "mlp.fc1", F, D)
        w.linear(p + "mlp.fc2", D, F)
    w.layernorm("model.final_layernorm", D)
    w.linear("lm_head", cfg["vocab_size"], D, True, 0.5)
    return cfg, w


def fam_opt(tok, pre_norm=True, embed_dim=None):
    """OPT; embed_dim other than hidden_size as OPT-350m: E-wide token vectors and tied head with
    decoder.project_in (D, E) and project_out (E, D), no bias."""
    D, H, F, L = 32, 4, 64, 2
    E = embed_dim or D
    cfg = {"model_type": "opt", "architectures": ["OPTForCausalLM"], "hidden_size": D,
           "num_attention_heads": H, "num_hidden_layers": L, "ffn_dim": F,
           "vocab_size": vocab_size_of(tok), "max_position_embeddings": 64,
           "word_embed_proj_dim": E, "do_layer_norm_before": pre_norm,
           "activation_function": "relu", "enable_bias": True,
           "layer_norm_elementwise_affine": True, "_remove_final_layer_norm": False,
           "tie_word_embeddings": True, "pad_token_id": 1, "bos_token_id": 2, "eos_token_id": 2,
           "torch_dtype": "float32", "transformers_version": "4.46.0"}
    w = Weights(20 if pre_norm else 21 if E == D else 25)
    w.add("model.decoder.embed_tokens.weight", (cfg["vocab_size"], E), 1.0)
    if E != D:
        w.linear("model.decoder.project_in", D, E, False)
        w.linear("model.decoder.project_out", E, D, False)
    w.add("model.decoder.embed_positions.weight", (cfg["max_position_embeddings"] + 2, D), 1.0)
    for l in range(L):
        p = "model.decoder.layers.%d." % l
        for n in ("q_proj", "k_proj", "v_proj", "out_proj"):
            w.linear(p + "self_attn." + n, D, D)
        w.layernorm(p + "self_attn_layer_norm", D)
        w.linear(p + "fc1", F, D)
        w.linear(p + "fc2", D, F)
        w.layernorm(p + "final_layer_norm", D)
    if pre_norm:
        w.layernorm("model.decoder.final_layer_norm", D)
    return cfg, w


def bert_layers(w, p, L, D, F):
    """BertLayer's weights (RoBERTa's too) under p + "encoder.layer.N."."""
    for l in range(L):
        q = p + "encoder.layer.%d." % l
        for n in ("query", "key", "value"):
            w.linear(q + "attention.self." + n, D, D)
        w.linear(q + "attention.output.dense", D, D)
        w.layernorm(q + "attention.output.LayerNorm", D)
        w.linear(q + "intermediate.dense", F, D)
        w.linear(q + "output.dense", D, F)
        w.layernorm(q + "output.LayerNorm", D)


def fam_roberta(tok, model_type="roberta"):
    D, H, F, L = 32, 4, 48, 2
    cfg = {"model_type": model_type,
           "architectures": ["XLMRobertaForMaskedLM" if model_type != "roberta" else "RobertaForMaskedLM"],
           "hidden_size": D, "num_attention_heads": H, "num_hidden_layers": L,
           "intermediate_size": F, "vocab_size": vocab_size_of(tok), "max_position_embeddings": 66,
           "type_vocab_size": 1, "layer_norm_eps": 1e-5, "hidden_act": "gelu",
           "position_embedding_type": "absolute", "pad_token_id": 1, "bos_token_id": 0,
           "eos_token_id": 2, "torch_dtype": "float32", "transformers_version": "4.46.0"}
    w = Weights(22 if model_type == "roberta" else 23)
    p = "roberta."
    w.add(p + "embeddings.word_embeddings.weight", (cfg["vocab_size"], D), 1.0)
    w.add(p + "embeddings.position_embeddings.weight", (cfg["max_position_embeddings"], D), 1.0)
    w.add(p + "embeddings.token_type_embeddings.weight", (1, D), 1.0)
    w.layernorm(p + "embeddings.LayerNorm", D)
    bert_layers(w, p, L, D, F)
    return cfg, w


def fam_distilbert(tok):
    D, H, F, L = 32, 4, 48, 2
    cfg = {"model_type": "distilbert", "architectures": ["DistilBertForMaskedLM"], "dim": D,
           "n_heads": H, "n_layers": L, "hidden_dim": F, "vocab_size": vocab_size_of(tok),
           "max_position_embeddings": 64, "activation": "gelu", "sinusoidal_pos_embds": False,
           "dropout": 0.1, "attention_dropout": 0.1, "pad_token_id": 0,
           "torch_dtype": "float32", "transformers_version": "4.46.0"}
    w = Weights(24)
    p = "distilbert."
    w.add(p + "embeddings.word_embeddings.weight", (cfg["vocab_size"], D), 1.0)
    w.add(p + "embeddings.position_embeddings.weight", (cfg["max_position_embeddings"], D), 1.0)
    w.layernorm(p + "embeddings.LayerNorm", D)
    for l in range(L):
        q = p + "transformer.layer.%d." % l
        for n in ("q_lin", "k_lin", "v_lin", "out_lin"):
            w.linear(q + "attention." + n, D, D)
        w.layernorm(q + "sa_layer_norm", D)
        w.linear(q + "ffn.lin1", F, D)
        w.linear(q + "ffn.lin2", D, F)
        w.layernorm(q + "output_layer_norm", D)
    return cfg, w


def fam_bert(tok):
    """BertForMaskedLM: the encoder under "bert.", the head under "cls.predictions."."""
    D, H, F, L = 32, 4, 48, 2
    cfg = {"model_type": "bert", "architectures": ["BertForMaskedLM"], "hidden_size": D,
           "num_attention_heads": H, "num_hidden_layers": L, "intermediate_size": F,
           "vocab_size": vocab_size_of(tok), "max_position_embeddings": 64, "type_vocab_size": 2,
           "layer_norm_eps": 1e-12, "hidden_act": "gelu", "position_embedding_type": "absolute",
           "pad_token_id": 0, "torch_dtype": "float32", "transformers_version": "4.46.0"}
    w = Weights(25)
    p = "bert."
    w.add(p + "embeddings.word_embeddings.weight", (cfg["vocab_size"], D), 1.0)
    w.add(p + "embeddings.position_embeddings.weight", (cfg["max_position_embeddings"], D), 1.0)
    w.add(p + "embeddings.token_type_embeddings.weight", (2, D), 1.0)
    w.layernorm(p + "embeddings.LayerNorm", D)
    bert_layers(w, p, L, D, F)
    return cfg, w


def with_mlm_head(family, tied=True, bias_name=None, **config):
    """The family's checkpoint with the masked-LM head its ...ForMaskedLM class saves, appended
    after the encoder's tensors (so those keep their values): BertLMPredictionHead
    (cls.predictions), RobertaLMHead (lm_head) or DistilBertForMaskedLM's vocab_* layers. The
    decoder's weight is stored only when not tied; the output bias under bias_name (transformers
    saves it as the head's "bias" or as the decoder's "bias")."""
    def make_model(tok):
        cfg, w = family(tok)
        cfg.update(config)
        V, D = cfg["vocab_size"], cfg.get("hidden_size", cfg.get("dim"))
        kind = cfg["model_type"]
        dense, norm, dec = {"bert": ("cls.predictions.transform.dense",
                                     "cls.predictions.transform.LayerNorm",
                                     "cls.predictions.decoder"),
                            "distilbert": ("vocab_transform", "vocab_layer_norm",
                                           "vocab_projector")}.get(
            kind, ("lm_head.dense", "lm_head.layer_norm", "lm_head.decoder"))
        w.linear(dense, D, D)
        w.layernorm(norm, D)
        if not tied:
            cfg["tie_word_embeddings"] = False
            w.add(dec + ".weight", (V, D), 1.0)
        w.add(bias_name or dec + ".bias", (V,), 0.5)
        return cfg, w
    return make_model


FAMILIES = {
    "gpt_neox": (tok_gpt_neox, fam_gpt_neox),
    "gpt_neox_sequential": (tok_gpt_neox, lambda t: fam_gpt_neox(t, parallel=False)),
    "phi": (lambda: tok_gpt2_like(), fam_phi),
    "phi3": (lambda: tok_spm_bpe(["<unk>", "<s>", "</s>"], "<s>", "prepend"), fam_phi3),
    "gemma": (lambda: tok_spm_bpe(["<pad>", "<eos>", "<bos>", "<unk>"], "<bos>", "replace"),
              fam_gemma),
    "gemma2": (lambda: tok_spm_bpe(["<pad>", "<eos>", "<bos>", "<unk>"], "<bos>", "replace"),
               fam_gemma2),
    "mistral": (lambda: tok_spm_bpe(["<unk>", "<s>", "</s>"], "<s>", "metaspace"), fam_mistral),
    "qwen2": (tok_qwen2, fam_qwen2),
    "qwen2_yarn": (tok_qwen2, fam_qwen2_yarn),
    "phi3_longrope": (lambda: tok_spm_bpe(["<unk>", "<s>", "</s>"], "<s>", "prepend"),
                      fam_phi3_longrope),
    "llama3": (tok_llama3, fam_llama3),
    "opt": (lambda: tok_gpt2_like("</s>"), fam_opt),
    "opt_postnorm": (lambda: tok_gpt2_like("</s>"), lambda t: fam_opt(t, pre_norm=False)),
    "opt_proj": (lambda: tok_gpt2_like("</s>"),
                 lambda t: fam_opt(t, pre_norm=False, embed_dim=16)),
    "roberta": (tok_roberta, fam_roberta),
    "xlm-roberta": (tok_xlm_roberta, lambda t: fam_roberta(t, "xlm-roberta")),
    "distilbert": (tok_wordpiece, fam_distilbert),
    # the encoders with their masked-LM heads: BERT untied with the head's own bias name,
    # RoBERTa with gelu_new in the layers (its head's GELU is erf whatever hidden_act says) and
    # the bias saved as the decoder's, DistilBERT tied
    "bert_mlm": (tok_wordpiece, with_mlm_head(fam_bert, tied=False,
                                              bias_name="cls.predictions.bias")),
    "roberta_mlm": (tok_roberta, with_mlm_head(fam_roberta, hidden_act="gelu_new")),
    "distilbert_mlm": (tok_wordpiece, with_mlm_head(fam_distilbert)),
}


def make(family, out_dir):
    make_tok, make_model = FAMILIES[family]
    tok = make_tok()
    cfg, w = make_model(tok)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, indent=1)
    write_safetensors(os.path.join(out_dir, "model.safetensors"), w.tensors)


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        print("\n".join(FAMILIES))
        return
    if len(sys.argv) != 3 or sys.argv[1] not in FAMILIES:
        sys.exit("usage: make_family.py FAMILY OUT_DIR   (families: %s)" % ", ".join(FAMILIES))
    make(sys.argv[1], sys.argv[2])


if __name__ == "__main__":
    main()
