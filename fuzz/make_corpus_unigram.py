#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_spiece and fuzz_unigram_json: small SentencePiece Unigram
models made here from nothing (spiece.model protobufs: plain, with byte fallback, with
user-defined and unused pieces, with a minimal precompiled character map) and tokenizer.json
files with a Unigram model (T5-like with a Precompiled normalizer, byte fallback, no unk).

    fuzz/make_corpus_unigram.py [OUT_DIR]      default: fuzz/corpus beside this script

Deterministic; Python 3's standard library only. The seeds are committed."""
import base64
import json
import os
import struct
import sys


def varint(v):
    out = b""
    while True:
        b, v = v & 0x7F, v >> 7
        out += bytes([b | (0x80 if v else 0)])
        if not v:
            return out


def field(num, wire, payload):
    key = varint(num << 3 | wire)
    return key + varint(len(payload)) + payload if wire == 2 else key + payload


def piece(text, score, kind):
    body = field(1, 2, text.encode()) + field(2, 5, struct.pack("<f", score))
    return field(1, 2, body + field(3, 0, varint(kind)))


def model(pieces, trainer=b"", normalizer=b""):
    out = b"".join(piece(*p) for p in pieces)
    if trainer:
        out += field(2, 2, trainer)
    if normalizer:
        out += field(3, 2, normalizer)
    return out


BASE = [("<pad>", 0, 3), ("</s>", 0, 3), ("<unk>", 0, 2), ("\u2581", -2.0, 1), ("\u2581a", -3.0, 1),
        ("b", -3.5, 1), ("ab", -4.0, 1), ("\u2581the", -2.5, 1), ("-", -5, 1), ("--", -5.5, 1)]
# a trie of one root unit (no rules) and one replacement string
CHARSMAP = struct.pack("<I", 8) + struct.pack("<II", 0x400, 0) + b" \0"


def main(out):
    spm = os.path.join(out, "fuzz_spiece")
    uni = os.path.join(out, "fuzz_unigram_json")
    os.makedirs(spm, exist_ok=True)
    os.makedirs(uni, exist_ok=True)
    eos = field(3, 0, varint(1)) + field(42, 0, varint(1))
    files = {
        "minimal.model": model(BASE, eos, field(1, 2, b"identity") + field(3, 0, varint(1)) +
                               field(4, 0, varint(1))),
        "byte-fallback.model": model(BASE + [("<0x%02X>" % i, 0, 6) for i in range(256)],
                                     field(35, 0, varint(1))),
        "user-defined.model": model(BASE + [("<sep>", 0, 4), ("zz", 0, 5)], b"",
                                    field(3, 0, varint(0)) + field(4, 0, varint(0))),
        "charsmap.model": model(BASE, b"", field(2, 2, CHARSMAP)),
    }
    for name, data in files.items():
        with open(os.path.join(spm, name), "wb") as f:
            f.write(data)
    vocab = [[p[0], p[1]] for p in BASE]

    def doc(extra_model, normalizer=None):
        eos_tok = {"id": "</s>", "ids": [1], "tokens": ["</s>"]}
        return json.dumps({
            "added_tokens": [{"id": 1, "content": "</s>", "special": True}],
            "normalizer": normalizer,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "WhitespaceSplit"},
                {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True}]},
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"Sequence": {"id": "A", "type_id": 0}},
                                          {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                               "special_tokens": {"</s>": eos_tok}},
            "model": dict({"type": "Unigram", "unk_id": 2, "vocab": vocab}, **extra_model),
        }, ensure_ascii=False)

    jsons = {
        "t5-like.json": doc({}, {"type": "Precompiled",
                                 "precompiled_charsmap": base64.b64encode(CHARSMAP).decode()}),
        "byte-fallback.json": doc({"byte_fallback": True,
                                   "vocab": vocab + [["<0x%02X>" % i, 0] for i in range(256)]}),
        "no-unk.json": doc({"unk_id": None}),
    }
    for name, text in jsons.items():
        with open(os.path.join(uni, name), "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus"))
