#!/usr/bin/env python3
"""llama.cpp's logits on tiny synthetic models of each architecture family.

For each family (llama with Llama 3 RoPE factors, qwen2, qwen3, phi3) this
writes a small GGUF with random weights in exactly the tensor names, shapes
and metadata llama.cpp's converter emits for it, in F32 and in Q8_0, runs
llama.cpp (llama-cpp-python) on three token sequences and records the
last-position logits and the greedy 16-token continuation.

The weights come from a recipe the Swift test replays (ModelFamilyTests
rebuilds each GGUF in-process with EdgeLM's writer and quantizer, so CI
needs neither Python packages nor the files): every value is
k * 2^(e-11) (+ offset), k a 12-bit integer drawn from splitmix64 seeded by
FNV-1a of "family/tensor", so it is exact in Float32 on both sides; explicit
value lists where the converter computes them (RoPE factors). The recipe
records FNV-1a 64 of each tensor's stored bytes (after Q8_0 quantization by
gguf-py), which the test checks before comparing.

The vocabulary is the 256 byte-level tokens and 32 merges: the test feeds
token ids, the tokenizer is not under test here.

Run by hand (never in CI):
    python3 Tests/Fixtures/make_family_fixtures.py
Writes Tests/Fixtures/model_families.json and, for inspection, the GGUFs
to ~/.cache/edgelm/synthetic/.
"""
import json
import math
import os

import gguf
import numpy as np
from llama_cpp import Llama

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.expanduser("~/.cache/edgelm/synthetic")

DIM, HEADS, KV_HEADS, FFN, LAYERS = 64, 4, 2, 128, 2
# 32 merges after the 256 byte tokens (llama.cpp refuses a BPE vocabulary
# without merges); each merge's result is the next token.
MERGES = [f"Ġ {c}" for c in "tawsbcdfhimnoprl"] + [f"{c} e" for c in "thrnsdlcmvpbgfwk"]
VOCAB = 256 + len(MERGES)
EPS = 1e-5
SEQUENCES = [
    [1, 72, 101, 108, 108, 111],
    [1, 84, 104, 101, 32, 113, 117, 105, 99, 107, 32, 98, 114, 111, 119, 110],
    [1] + [(37 * i + 11) % 250 + 3 for i in range(30)],
]
GREEDY = 16
MASK = (1 << 64) - 1


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def fnv1a64_np(data: bytes) -> str:
    # The same hash, a little faster on big tensors.
    h = 0xCBF29CE484222325
    for b in memoryview(data):
        h = ((h ^ b) * 0x100000001B3) & MASK
    return f"{h:016x}"


def uniform_ints(seed: int, n: int) -> np.ndarray:
    """k in [-2048, 2047]: the top 12 bits of splitmix64(seed + (i+1)*golden)."""
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(seed) + i * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(52)).astype(np.int64) - 2048


def byte_tokens():
    # GPT-2's bytes_to_unicode: the byte-level BPE spelling of each byte.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    table = dict(zip(bs, cs))
    return [chr(table[b]) for b in range(256)]


# MARK: - Family recipes

def llama3_rope_factors(head_dim, base, factor=8.0, low=1.0, high=4.0, orig=8192):
    # convert_hf_to_gguf.py LlamaModel: the llama3 rope_scaling baked into rope_freqs.
    freqs = 1.0 / (base ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))
    low_wavelen, high_wavelen = orig / low, orig / high
    out = []
    for f in freqs:
        wavelen = 2 * math.pi / f
        if wavelen < high_wavelen:
            out.append(1.0)
        elif wavelen > low_wavelen:
            out.append(factor)
        else:
            smooth = (orig / wavelen - low) / (high - low)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return [float(np.float32(v)) for v in out]


def recipe(family):
    """(metadata [(key, kind, value)], tensors [(name, ggml dims, spec)], runs).

    spec: ("uniform", e, offset, quantizable) or ("values", [floats]).
    runs: the context lengths llama.cpp evaluates with.
    """
    arch = {"llama3": "llama"}.get(family, family)
    head_dim = DIM // HEADS
    q_dim = DIM
    rope_dims = head_dim
    meta = [("general.architecture", "str", arch)]
    base = {"llama3": 500000.0, "qwen2": 1000000.0, "qwen3": 1000000.0, "phi3": 10000.0}[family]
    ctx = {"llama3": 131072, "qwen2": 32768, "qwen3": 40960, "phi3": 131072}[family]
    if family == "qwen3":
        head_dim = 32
        q_dim = HEADS * head_dim
        rope_dims = head_dim
    if family == "phi3":
        rope_dims = 12  # partial rotary, as Phi-4 mini (96 of 128)
    kv_dim = KV_HEADS * head_dim
    meta += [
        (f"{arch}.context_length", "u32", ctx),
        (f"{arch}.embedding_length", "u32", DIM),
        (f"{arch}.feed_forward_length", "u32", FFN),
        (f"{arch}.block_count", "u32", LAYERS),
        (f"{arch}.attention.head_count", "u32", HEADS),
        (f"{arch}.attention.head_count_kv", "u32", KV_HEADS),
        (f"{arch}.rope.freq_base", "f32", base),
        (f"{arch}.attention.layer_norm_rms_epsilon", "f32", EPS),
        (f"{arch}.rope.dimension_count", "u32", rope_dims),
    ]
    if family == "qwen3":
        meta += [(f"{arch}.attention.key_length", "u32", head_dim), (f"{arch}.attention.value_length", "u32", head_dim)]
    runs = [512]
    if family == "phi3":
        orig = 4096
        scale = ctx / orig
        meta += [
            (f"{arch}.rope.scaling.attn_factor", "f32", float(np.float32(math.sqrt(1 + math.log(scale) / math.log(orig))))),
            (f"{arch}.rope.scaling.original_context_length", "u32", orig),
        ]
        runs = [512, 8192]  # short factors, then long ones (n_ctx > original)
    pre = {"llama3": "llama-bpe", "qwen2": "qwen2", "qwen3": "qwen2", "phi3": "gpt-2"}[family]
    meta.append(("tokenizer.ggml.pre", "str", pre))

    def mat(cols, rows, e=-1):
        return ([cols, rows], ("uniform", e, 0.0, True))

    def norm(n):
        return ([n], ("uniform", -2, 1.0, False))

    t = [("token_embd.weight",) + mat(DIM, VOCAB, 0)]
    if family == "llama3":
        t.append(("rope_freqs.weight", [rope_dims // 2], ("values", llama3_rope_factors(rope_dims, base))))
    for l in range(LAYERS):
        p = f"blk.{l}."
        t.append((p + "attn_norm.weight",) + norm(DIM))
        if family == "phi3":
            t.append((p + "attn_qkv.weight",) + mat(DIM, q_dim + 2 * kv_dim))
        else:
            t.append((p + "attn_q.weight",) + mat(DIM, q_dim))
            t.append((p + "attn_k.weight",) + mat(DIM, kv_dim))
            t.append((p + "attn_v.weight",) + mat(DIM, kv_dim))
        if family == "qwen2":
            for n, w in (("q", q_dim), ("k", kv_dim), ("v", kv_dim)):
                t.append((p + f"attn_{n}.bias", [w], ("uniform", -1, 0.0, False)))
        if family == "qwen3":
            t.append((p + "attn_q_norm.weight",) + norm(head_dim))
            t.append((p + "attn_k_norm.weight",) + norm(head_dim))
        t.append((p + "attn_output.weight",) + mat(q_dim, DIM))
        t.append((p + "ffn_norm.weight",) + norm(DIM))
        if family == "phi3":
            t.append((p + "ffn_up.weight",) + mat(DIM, 2 * FFN))
        else:
            t.append((p + "ffn_gate.weight",) + mat(DIM, FFN))
            t.append((p + "ffn_up.weight",) + mat(DIM, FFN))
        t.append((p + "ffn_down.weight",) + mat(FFN, DIM, -3))
    t.append(("output_norm.weight",) + norm(DIM))
    if family == "qwen2":
        t.append(("output.weight",) + mat(DIM, VOCAB, -1))  # untied, as Qwen 2.5 7B
    if family == "phi3":
        half = rope_dims // 2
        short = [float(np.float32(1.0 + 0.05 * i)) for i in range(half)]
        long = [float(np.float32(1.0 + 4.0 * i * i)) for i in range(half)]
        t.append(("rope_factors_long.weight", [half], ("values", long)))
        t.append(("rope_factors_short.weight", [half], ("values", short)))
    return meta, t, runs


def tensor_values(family, name, dims, spec):
    n = int(np.prod(dims))
    if spec[0] == "values":
        return np.array(spec[1], dtype=np.float32)
    _, e, offset, _ = spec
    seed = fnv1a64(f"{family}/{name}".encode())
    k = uniform_ints(seed, n).astype(np.float32)
    v = k * np.float32(2.0 ** (e - 11)) + np.float32(offset)
    return v.astype(np.float32).reshape(list(reversed(dims)))


def write_gguf(family, qtype, path):
    meta, tensors, runs = recipe(family)
    arch = meta[0][2]
    w = gguf.GGUFWriter(path, arch)  # writes general.architecture itself
    for key, kind, value in meta[1:]:
        if kind == "u32":
            w.add_uint32(key, value)
        elif kind == "f32":
            w.add_float32(key, value)
        else:
            w.add_string(key, value)
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_array("tokenizer.ggml.tokens", byte_tokens() + [m.replace(" ", "") for m in MERGES])
    w.add_array("tokenizer.ggml.token_type", [1] * VOCAB)
    w.add_array("tokenizer.ggml.merges", MERGES)
    w.add_uint32("tokenizer.ggml.bos_token_id", 1)
    w.add_uint32("tokenizer.ggml.eos_token_id", 2)
    records = []
    for name, dims, spec in tensors:
        values = tensor_values(family, name, dims, spec)
        quantize = spec[0] == "uniform" and spec[3] and qtype == "Q8_0"
        if quantize:
            data = gguf.quants.quantize(values, gguf.GGMLQuantizationType.Q8_0)
            w.add_tensor(name, data, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            data = values
            w.add_tensor(name, data)
        records.append({
            "name": name, "dims": dims,
            "type": "Q8_0" if quantize else "F32",
            "spec": list(spec),
            "fnv1a64": fnv1a64_np(data.tobytes()),
        })
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return meta, records, runs


def run_llama_cpp(path, n_ctx, flash_attn=False):
    llm = Llama(model_path=path, n_ctx=n_ctx, n_batch=64, n_ubatch=64, n_threads=1, n_threads_batch=1,
                logits_all=True, flash_attn=flash_attn, verbose=False)
    out = []
    for seq in SEQUENCES:
        llm.reset()
        llm.eval(seq)
        logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
        last = logits
        greedy, gaps = [], []
        for _ in range(GREEDY):
            tok = int(np.argmax(last))
            top2 = np.sort(last)[-2:]
            greedy.append(tok)
            gaps.append(float(top2[1] - top2[0]))
            llm.eval([tok])
            last = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
        out.append({
            "tokens": seq,
            "logits": [float(x) for x in logits],
            "greedy": greedy,
            # llama.cpp's top-1 minus top-2 logit at each greedy step: a
            # step closer than the logit tolerance may legitimately differ.
            "gaps": gaps,
        })
    del llm
    return out


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    models = []
    for family in ["llama3", "qwen2", "qwen3", "phi3"]:
        for qtype in ["F32", "Q8_0"]:
            path = os.path.join(OUT_DIR, f"{family}-{qtype}.gguf")
            meta, records, runs = write_gguf(family, qtype, path)
            for n_ctx in runs:
                results = run_llama_cpp(path, n_ctx)
                # llama.cpp against itself: flash attention (F16 softmax-times-V
                # accumulation, another float order) moves the logits by this
                # much; the Swift test's tolerance is measured against it.
                variant = run_llama_cpp(path, n_ctx, flash_attn=True)
                for r, v in zip(results, variant):
                    r["variant_max_logit_diff"] = float(np.max(np.abs(np.array(r["logits"]) - np.array(v["logits"]))))
                models.append({
                    "family": family, "type": qtype, "context": n_ctx,
                    "metadata": [list(m) for m in meta],
                    "tensors": records,
                    "sequences": results,
                })
                print(f"{family} {qtype} n_ctx={n_ctx}: greedy {results[0]['greedy'][:8]}...")
    doc = {
        "generator": "Tests/Fixtures/make_family_fixtures.py",
        "llama_cpp_python": __import__("llama_cpp").__version__,
        "merges": MERGES,
        "models": models,
    }
    with open(os.path.join(HERE, "model_families.json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
