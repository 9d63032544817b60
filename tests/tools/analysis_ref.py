#!/usr/bin/env python3
"""Independent float64 checks of attnscope's analysis outputs (stats, dump extras, generate).

Run by tests/test_cli_analysis.c with Debian's python3 and numpy. Each subcommand reads what the
command line wrote and compares it with numbers computed here, from the dumped attentions or from
the model's weights by a forward pass written from the published architectures (GPT-2, BERT,
llama2.c), in float64. Prints one line and exits 1 at the first mismatch; exits 0 when all agree.

    analysis_ref.py stats STATS.json DUMP.json         metrics of every head from the dump
    analysis_ref.py aggregate DUMP.json                 head_mean, head_max, rollout
    analysis_ref.py topk DUMP.json K                    top_k from logits_last
    analysis_ref.py forward ARCH MODEL DUMP.json        attentions, logits, value_weighted (with
                                                        the dump's ablated heads), ARCH gpt2, bert
                                                        or llama2c
    analysis_ref.py generate ARCH MODEL GEN.json [--top-p P --temperature X]
                                                        each generated token, its probability and
                                                        its attention row
"""
import json
import struct
import sys

import numpy as np

ATTN_TOL = 1e-4
LOGIT_TOL = 1e-3


def fail(msg):
    print("analysis_ref: " + msg)
    sys.exit(1)


def close(name, got, want, tol, rel=False):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        fail("%s: shape %s, expected %s" % (name, got.shape, want.shape))
    bound = tol * np.maximum(1.0, np.abs(want)) if rel else tol
    bad = np.abs(got - want) > bound
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        fail("%s%s: got %.9g, expected %.9g" % (name, list(at), got[at], want[at]))


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ---- metrics, aggregates, rollout, top-k from a dump --------------------------------------------

def metrics(a):
    """The six metrics of one head's (T, T) matrix, each a mean over query rows."""
    T = a.shape[0]
    i = np.arange(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0)), 0.0)
    return {
        "entropy": float(np.mean(-plogp.sum(axis=1))),
        "prev_token": float(np.mean(a[i[1:], i[1:] - 1])) if T >= 2 else None,
        "first_token": float(np.mean(a[:, 0])),
        "self": float(np.mean(a[i, i])),
        "distance": float(np.mean((a * np.abs(i[:, None] - i[None, :])).sum(axis=1))),
        "max_weight": float(np.mean(a.max(axis=1))),
    }


def cmd_stats(stats_path, dump_path):
    stats, dump = load(stats_path), load(dump_path)
    att = np.array(dump["attentions"], dtype=np.float64)
    L, H = att.shape[:2]
    if stats["tokens"] != dump["tokens"]:
        fail("stats tokens differ from the dump's")
    heads = stats["heads"]
    if len(heads) != L * H:
        fail("%d heads, expected %d" % (len(heads), L * H))
    seen = set()
    for k, h in enumerate(heads):
        l, hh = h["layer"], h["head"]
        seen.add((l, hh))
        want = metrics(att[l, hh])
        for key, v in want.items():
            if v is None:
                if h[key] is not None:
                    fail("head %d:%d %s: got %r, expected null" % (l, hh, key, h[key]))
            elif h[key] is None or abs(h[key] - v) > 1e-6:
                fail("head %d:%d %s: got %r, expected %.9g" % (l, hh, key, h[key], v))
    if len(seen) != L * H:
        fail("some heads repeat")


def cmd_aggregate(dump_path):
    dump = load(dump_path)
    att = np.array(dump["attentions"], dtype=np.float64)  # (L, H, T, T) of every layer
    T = att.shape[2]
    close("head_mean", dump["head_mean"], att.mean(axis=1), 1e-6)
    close("head_max", dump["head_max"], att.max(axis=1), 1e-7)
    R = None
    out = []
    for l in range(att.shape[0]):
        a = 0.5 * att[l].mean(axis=0) + 0.5 * np.eye(T)
        a = a / a.sum(axis=1, keepdims=True)
        R = a if R is None else a @ R
        out.append(R)
    close("rollout", dump["rollout"], np.array(out), 1e-5)


def softmax(x, temperature=1.0):
    z = (np.asarray(x, dtype=np.float64) - np.max(x)) / temperature
    e = np.exp(z)
    return e / e.sum()


def cmd_topk(dump_path, k):
    dump = load(dump_path)
    p = softmax(dump["logits_last"])
    order = sorted(range(len(p)), key=lambda i: (-p[i], i))[: min(k, len(p))]
    got = dump["top_k"]
    if [t["id"] for t in got] != order:
        # float32 near-ties may swap neighbours: accept when their probabilities agree
        for t, i in zip(got, order):
            if t["id"] != i and abs(p[t["id"]] - p[i]) > 1e-7:
                fail("top_k ids %s, expected %s" % ([t["id"] for t in got], order))
    close("top_k prob", [t["prob"] for t in got], [p[t["id"]] for t in got], 1e-6)


# ---- weights ------------------------------------------------------------------------------------

def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] != "F32":
            continue
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(t["shape"]).astype(np.float64)
    return out


def read_llama2c(path):
    with open(path, "rb") as f:
        raw = f.read()
    dim, hidden, L, H, KV, vocab, seq = struct.unpack("<7i", raw[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    w = np.frombuffer(raw, dtype="<f4", offset=28).astype(np.float64)
    hs = dim // H
    at = [0]

    def take(*shape):
        n = int(np.prod(shape))
        a = w[at[0]: at[0] + n].reshape(shape)
        at[0] += n
        return a

    m = {"dim": dim, "L": L, "H": H, "KV": KV, "hs": hs}
    m["emb"] = take(vocab, dim)
    m["rms_att"] = take(L, dim)
    m["wq"] = take(L, H * hs, dim)
    m["wk"] = take(L, KV * hs, dim)
    m["wv"] = take(L, KV * hs, dim)
    m["wo"] = take(L, dim, H * hs)
    m["rms_ffn"] = take(L, dim)
    m["w1"] = take(L, hidden, dim)
    m["w2"] = take(L, dim, hidden)
    m["w3"] = take(L, hidden, dim)
    m["rms_final"] = take(dim)
    take(seq * hs // 2)  # legacy freq_cis tables
    take(seq * hs // 2)
    m["cls"] = m["emb"] if shared else take(vocab, dim)
    return m


# ---- forward passes (float64), each returning attentions (L, H, T, T), the last logits (or None),
# and the value norms (L, H, T) = ||v_j W_O^h|| with the output projection's bias left out ----

def layernorm(x, w, b, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def rmsnorm(x, w, eps):
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * w


def attend(q, k, v, causal, ablated_heads, H, KV):
    """q (T, H, hs), k and v (T, KV, hs): probabilities (H, T, T) and the heads' outputs (T, H*hs)
    with ablated heads zeroed."""
    T, _, hs = q.shape
    probs = np.zeros((H, T, T))
    out = np.zeros((T, H, hs))
    for h in range(H):
        g = h // (H // KV)
        s = q[:, h, :] @ k[:, g, :].T / np.sqrt(hs)
        if causal:
            s = np.where(np.tril(np.ones((T, T))) > 0, s, -np.inf)
        s = np.exp(s - s.max(axis=1, keepdims=True))
        p = s / s.sum(axis=1, keepdims=True)
        probs[h] = p
        if h not in ablated_heads:
            out[:, h, :] = p @ v[:, g, :]
    return probs, out.reshape(T, H * hs)


def value_norms(v, wo_in_out, H, KV):
    """v (T, KV, hs); wo_in_out (H*hs, D) maps the concatenated heads to the output."""
    T, _, hs = v.shape
    norms = np.zeros((H, T))
    for h in range(H):
        part = v[:, h // (H // KV), :] @ wo_in_out[h * hs:(h + 1) * hs, :]
        norms[h] = np.sqrt((part ** 2).sum(axis=1))
    return norms


def gpt2_forward(folder, ids, ablated):
    w = read_safetensors(folder + "/model.safetensors")
    w = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in w.items()}
    cfg = load(folder + "/config.json")
    L, H, eps = cfg["n_layer"], cfg["n_head"], cfg.get("layer_norm_epsilon", 1e-5)
    T, D = len(ids), cfg["n_embd"]
    hs = D // H
    x = w["wte.weight"][ids] + w["wpe.weight"][:T]
    atts, norms = [], []
    for l in range(L):
        p = "h.%d." % l
        h = layernorm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]  # Conv1D: [in, out]
        q, k, v = (qkv[:, i * D:(i + 1) * D].reshape(T, H, hs) for i in range(3))
        probs, out = attend(q, k, v, True, {hh for (ll, hh) in ablated if ll == l}, H, H)
        atts.append(probs)
        norms.append(value_norms(v, w[p + "attn.c_proj.weight"], H, H))
        x = x + out @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = layernorm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        u = h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"]
        u = 0.5 * u * (1 + np.tanh(np.sqrt(2 / np.pi) * (u + 0.044715 * u ** 3)))
        x = x + u @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = layernorm(x, w["ln_f.weight"], w["ln_f.bias"], eps)
    return np.array(atts), x[-1] @ w["wte.weight"].T, np.array(norms)


def bert_forward(folder, ids, ablated):
    from math import erf

    w = read_safetensors(folder + "/model.safetensors")
    w = {k[len("bert."):] if k.startswith("bert.") else k: v for k, v in w.items()}
    cfg = load(folder + "/config.json")
    L, H, eps = cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    T, D = len(ids), cfg["hidden_size"]
    hs = D // H
    e = "embeddings."
    x = (w[e + "word_embeddings.weight"][ids] + w[e + "position_embeddings.weight"][:T]
         + w[e + "token_type_embeddings.weight"][0])
    x = layernorm(x, w[e + "LayerNorm.weight"], w[e + "LayerNorm.bias"], eps)
    gelu = np.vectorize(lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2))))
    atts, norms = [], []
    for l in range(L):
        p = "encoder.layer.%d." % l

        def lin(name, inp):
            return inp @ w[p + name + ".weight"].T + w[p + name + ".bias"]  # Linear: [out, in]

        q, k, v = (lin("attention.self." + n, x).reshape(T, H, hs) for n in ("query", "key", "value"))
        probs, out = attend(q, k, v, False, {hh for (ll, hh) in ablated if ll == l}, H, H)
        atts.append(probs)
        norms.append(value_norms(v, w[p + "attention.output.dense.weight"].T, H, H))
        x = layernorm(x + lin("attention.output.dense", out), w[p + "attention.output.LayerNorm.weight"],
                      w[p + "attention.output.LayerNorm.bias"], eps)
        u = gelu(lin("intermediate.dense", x))
        x = layernorm(x + lin("output.dense", u), w[p + "output.LayerNorm.weight"],
                      w[p + "output.LayerNorm.bias"], eps)
    return np.array(atts), None, np.array(norms)


def rope(vec, pos, hs):
    """llama2.c's rotary code: pairs (2i, 2i+1) of each head rotated by pos * 10000^(-2i/hs)."""
    out = vec.copy()
    for i in range(0, vec.shape[-1], 2):
        freq = 1.0 / 10000.0 ** ((i % hs) / hs)
        c, s = np.cos(pos * freq), np.sin(pos * freq)
        out[..., i] = vec[..., i] * c - vec[..., i + 1] * s
        out[..., i + 1] = vec[..., i] * s + vec[..., i + 1] * c
    return out


def llama2c_forward(path, ids, ablated):
    m = read_llama2c(path)
    L, H, KV, hs = m["L"], m["H"], m["KV"], m["hs"]
    T = len(ids)
    x = m["emb"][ids]
    atts, norms = [], []
    for l in range(L):
        h = rmsnorm(x, m["rms_att"][l], 1e-5)
        q, k, v = h @ m["wq"][l].T, h @ m["wk"][l].T, h @ m["wv"][l].T
        q = np.array([rope(q[t], t, hs) for t in range(T)]).reshape(T, H, hs)
        k = np.array([rope(k[t], t, hs) for t in range(T)]).reshape(T, KV, hs)
        v = v.reshape(T, KV, hs)
        probs, out = attend(q, k, v, True, {hh for (ll, hh) in ablated if ll == l}, H, KV)
        atts.append(probs)
        norms.append(value_norms(v, m["wo"][l].T, H, KV))
        x = x + out @ m["wo"][l].T
        h = rmsnorm(x, m["rms_ffn"][l], 1e-5)
        g = h @ m["w1"][l].T
        x = x + ((g / (1 + np.exp(-g))) * (h @ m["w3"][l].T)) @ m["w2"][l].T
    x = rmsnorm(x, m["rms_final"], 1e-5)
    return np.array(atts), x[-1] @ m["cls"].T, np.array(norms)


FORWARD = {"gpt2": gpt2_forward, "bert": bert_forward, "llama2c": llama2c_forward}


def cmd_forward(arch, model, dump_path):
    dump = load(dump_path)
    ids = [t["id"] for t in dump["tokens"]]
    ablated = [(a["layer"], a["head"]) for a in dump.get("ablated", [])]
    att, logits, norms = FORWARD[arch](model, ids, ablated)
    layers, heads = dump["layers"], dump["heads"]
    sel = np.ix_(layers, heads)
    close("attentions", dump["attentions"], att[sel], ATTN_TOL)
    if "logits_last" in dump:
        if logits is None:
            fail("the dump has logits but %s has no language-model head" % arch)
        close("logits_last", dump["logits_last"], logits, LOGIT_TOL)
    if "value_weighted" in dump:
        want = att[sel] * norms[sel][:, :, None, :]
        close("value_weighted", dump["value_weighted"], want, ATTN_TOL, rel=True)


def cmd_generate(arch, model, gen_path, top_p=None, temperature=None):
    gen = load(gen_path)
    ids = [t["id"] for t in gen["prompt_tokens"]]
    if not gen["generated"]:
        fail("nothing generated")
    for n, g in enumerate(gen["generated"]):
        att, logits, _ = FORWARD[arch](model, ids, [])
        p = softmax(logits)
        best = int(np.argmax(p))
        if top_p is None and temperature is None:
            # greedy: the chosen token must be the most probable (or tie with it within float32)
            if g["id"] != best and logits[best] - logits[g["id"]] > 1e-4:
                fail("generated %d: id %d, expected %d" % (n, g["id"], best))
        else:
            q = softmax(logits, temperature or 1.0)
            order = sorted(range(len(q)), key=lambda i: (-q[i], i))
            mass, nucleus = 0.0, set()
            for i in order:
                if nucleus and mass >= (top_p or 1.0) + 1e-6:
                    break
                nucleus.add(i)
                mass += q[i]
            if g["id"] not in nucleus:
                fail("generated %d: id %d is outside the top-p set %s" % (n, g["id"], sorted(nucleus)))
        if abs(g["prob"] - p[g["id"]]) > 1e-5:
            fail("generated %d: prob %.9g, expected %.9g" % (n, g["prob"], p[g["id"]]))
        ids.append(g["id"])
        att, _, _ = FORWARD[arch](model, ids, [])
        T = len(ids)
        close("generated %d attentions" % n, g["attentions"], att[:, :, T - 1, :T], ATTN_TOL)


def main(argv):
    if len(argv) < 2:
        fail(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "stats":
        cmd_stats(*args)
    elif cmd == "aggregate":
        cmd_aggregate(*args)
    elif cmd == "topk":
        cmd_topk(args[0], int(args[1]))
    elif cmd == "forward":
        cmd_forward(*args)
    elif cmd == "generate":
        opts = dict(zip(args[3::2], args[4::2]))
        cmd_generate(args[0], args[1], args[2],
                     float(opts["--top-p"]) if "--top-p" in opts else None,
                     float(opts["--temperature"]) if "--temperature" in opts else None)
    else:
        fail("unknown subcommand " + cmd)


if __name__ == "__main__":
    main(sys.argv)
