#!/usr/bin/env python3
"""Writes the seed corpus of the libFuzzer harnesses, Tests/fuzz/corpus/NAME/
(replacing what is there), from the repository's own fixtures and tests:

  gguf           tiny complete models of each architecture the loader knows
                 (llama, qwen2, qwen3, phi3, gemma3), with a BPE or a
                 SentencePiece vocabulary, a chat template and weights of
                 several types, written by the small GGUF v3 writer below
                 (no dependencies); the cross-check fixture
                 Tests/Fixtures/gguf_python_writer.gguf (every value type,
                 nested arrays); a header with nothing after it.
  tokenizer      a flags byte (see harnesses/tokenizer.swift) and a text:
                 the inputs of the llama.cpp tokenizer fixtures
                 (Tests/Fixtures/tokenizer_*.json), chat prompts from
                 chat_templates.json.
  config         the JSON configs written in Tests/EdgeLMTests/ConfigTests.swift
                 (valid and invalid ones), the documented example and the
                 one Tests/fuzz/mutations.py damages.
  chat_template  a flags byte and NUL-separated template, role, content...
                 (see harnesses/chat_template.swift): SmolLM2's real template
                 and the Jinja snippets ChatTemplateTests recognises, with
                 the conversations of chat_templates.json.

Deterministic: the same files on every run. Keep the corpus small (it is
committed; the whole of Tests/fuzz/corpus stays well under 1 MB).

    python3 Tests/fuzz/make_corpus.py
"""
import json
import os
import random
import re
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
OUT = os.path.join(ROOT, "Tests", "fuzz", "corpus")

# MARK: - A minimal GGUF v3 writer (layout: Sources/EdgeLM/Format/GGUFReader.swift)

U8, I8, U16, I16, U32, I32, F32V, BOOL, STR, ARR, U64, I64, F64 = range(13)
SCALAR_FORMAT = {U8: "B", I8: "b", U16: "H", I16: "h", U32: "I", I32: "i", F32V: "f",
                 BOOL: "?", U64: "Q", I64: "q", F64: "d"}
# ggml tensor types: (id, elements per block, bytes per block)
F32, F16, Q4_0, Q8_0, BF16 = (0, 1, 4), (1, 1, 2), (2, 32, 18), (8, 32, 34), (30, 1, 2)


def enc_string(s):
    b = s.encode() if isinstance(s, str) else bytes(s)
    return struct.pack("<Q", len(b)) + b


def enc_value(vtype, v):
    if vtype == STR:
        return enc_string(v)
    if vtype == ARR:
        etype, items = v
        out = struct.pack("<IQ", etype, len(items))
        return out + b"".join(enc_value(etype, x) for x in items)
    return struct.pack("<" + SCALAR_FORMAT[vtype], v)


def tensor_bytes(ttype, dims, rng):
    """Random but well-formed data: finite values, block scales as f16."""
    tid, block, size = ttype
    n = 1
    for d in dims:
        n *= d
    assert n % block == 0, (dims, ttype)
    if ttype == F32:
        return struct.pack(f"<{n}f", *[rng.uniform(-1, 1) for _ in range(n)])
    if ttype == F16:
        return struct.pack(f"<{n}e", *[rng.uniform(-1, 1) for _ in range(n)])
    if ttype == BF16:
        return b"".join(struct.pack("<f", rng.uniform(-1, 1))[2:] for _ in range(n))
    out = b""
    for _ in range(n // block):
        out += struct.pack("<e", rng.uniform(0.001, 0.05)) + bytes(rng.randrange(256) for _ in range(size - 2))
    return out


def gguf(metadata, tensors, alignment=32):
    """metadata: [(key, type, value)]; tensors: [(name, dims, ggml type, bytes)]."""
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, vtype, v in metadata:
        out += enc_string(key) + struct.pack("<I", vtype) + enc_value(vtype, v)
    offset = 0
    offsets = []
    for name, dims, ttype, data in tensors:
        offsets.append(offset)
        out += enc_string(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", ttype[0], offset)
        offset += (len(data) + alignment - 1) // alignment * alignment
    out += b"\0" * (-len(out) % alignment)
    for (name, dims, ttype, data), at in zip(tensors, offsets):
        out += data + b"\0" * (-len(data) % alignment)
    return out


# MARK: - Tiny models

def bpe_vocab(pre):
    """A byte-level BPE vocabulary: a few byte tokens, their merges, ChatML specials."""
    tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "H", "e", "l", "o", "Ġ", "w", "r", "d",
              "!", "Ċ", "He", "ll", "Ġw", "Hell", "Hello", "é", "Ã", "©"]
    types = [3, 3, 3] + [1] * (len(tokens) - 3)
    merges = ["H e", "l l", "Ġ w", "He ll", "Hell o"]
    return tokens, [
        ("tokenizer.ggml.model", STR, "gpt2"),
        ("tokenizer.ggml.pre", STR, pre),
        ("tokenizer.ggml.tokens", ARR, (STR, tokens)),
        ("tokenizer.ggml.token_type", ARR, (I32, types)),
        ("tokenizer.ggml.merges", ARR, (STR, merges)),
        ("tokenizer.ggml.bos_token_id", U32, 1),
        ("tokenizer.ggml.eos_token_id", U32, 2),
        ("tokenizer.ggml.padding_token_id", U32, 0),
        ("tokenizer.ggml.add_bos_token", BOOL, False),
    ]


def spm_vocab():
    """A SentencePiece vocabulary: controls, byte fallback tokens, pieces with scores."""
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>", "<0x0A>", "<0xC3>",
              "<0xA9>", "▁", "▁H", "▁He", "ello", "l", "o", "e", "H", "▁w", "orld", "▁world", "!"]
    types = [3, 3, 3, 2, 4, 4, 6, 6, 6] + [1] * (len(tokens) - 9)
    scores = [0.0] * 9 + [-float(i) for i in range(len(tokens) - 9)]
    return tokens, [
        ("tokenizer.ggml.model", STR, "llama"),
        ("tokenizer.ggml.pre", STR, "default"),
        ("tokenizer.ggml.tokens", ARR, (STR, tokens)),
        ("tokenizer.ggml.scores", ARR, (F32V, scores)),
        ("tokenizer.ggml.token_type", ARR, (I32, types)),
        ("tokenizer.ggml.bos_token_id", U32, 2),
        ("tokenizer.ggml.eos_token_id", U32, 1),
        ("tokenizer.ggml.unknown_token_id", U32, 3),
        ("tokenizer.ggml.padding_token_id", U32, 0),
        ("tokenizer.ggml.add_bos_token", BOOL, True),
        ("tokenizer.ggml.add_eos_token", BOOL, False),
        ("tokenizer.ggml.add_space_prefix", BOOL, True),
    ]


def model(arch, vocab, wtype=F32, dim=8, heads=2, kv_heads=1, ffn=16, layers=1, template=None,
          tied=True, biases=False, head_norms=False, post_norms=False, fused=False, rope_freqs=False,
          extra_md=(), seed=1):
    """A complete model file of `arch` that EdgeLM loads (random weights)."""
    rng = random.Random(seed)
    tokens, vocab_md = vocab
    n_vocab = len(tokens)
    head_dim = dim // heads
    q_dim, kv_dim = heads * head_dim, kv_heads * head_dim
    md = [
        ("general.architecture", STR, arch),
        ("general.name", STR, f"tiny {arch}"),
        ("general.alignment", U32, 32),
        (f"{arch}.block_count", U32, layers),
        (f"{arch}.context_length", U32, 128),
        (f"{arch}.embedding_length", U32, dim),
        (f"{arch}.feed_forward_length", U32, ffn),
        (f"{arch}.attention.head_count", U32, heads),
        (f"{arch}.attention.head_count_kv", U32, kv_heads),
        (f"{arch}.rope.freq_base", F32V, 10000.0),
        (f"{arch}.attention.layer_norm_rms_epsilon", F32V, 1e-6),
    ] + list(extra_md) + vocab_md
    if template is not None:
        md.append(("tokenizer.chat_template", STR, template))
    tensors = []

    def add(name, dims, ttype=wtype):
        tensors.append((name, dims, ttype, tensor_bytes(ttype, dims, rng)))

    add("token_embd.weight", [dim, n_vocab])
    if rope_freqs:
        tensors.append(("rope_freqs.weight", [head_dim // 2], F32,
                        struct.pack(f"<{head_dim // 2}f", *[1.0 + i for i in range(head_dim // 2)])))
    for i in range(layers):
        p = f"blk.{i}."
        add(p + "attn_norm.weight", [dim], F32)
        if fused:
            add(p + "attn_qkv.weight", [dim, q_dim + 2 * kv_dim])
        else:
            add(p + "attn_q.weight", [dim, q_dim])
            add(p + "attn_k.weight", [dim, kv_dim])
            add(p + "attn_v.weight", [dim, kv_dim])
        if biases:
            add(p + "attn_q.bias", [q_dim], F32)
            add(p + "attn_k.bias", [kv_dim], F32)
            add(p + "attn_v.bias", [kv_dim], F32)
        if head_norms:
            add(p + "attn_q_norm.weight", [head_dim], F32)
            add(p + "attn_k_norm.weight", [head_dim], F32)
        add(p + "attn_output.weight", [q_dim, dim])
        if post_norms:
            add(p + "post_attention_norm.weight", [dim], F16)
        add(p + "ffn_norm.weight", [dim], F32)
        if fused:
            add(p + "ffn_up.weight", [dim, 2 * ffn])
        else:
            add(p + "ffn_gate.weight", [dim, ffn])
            add(p + "ffn_up.weight", [dim, ffn])
        add(p + "ffn_down.weight", [ffn, dim])
        if post_norms:
            add(p + "post_ffw_norm.weight", [dim], F16)
    add("output_norm.weight", [dim], F32)
    if not tied:
        add("output.weight", [dim, n_vocab])
    return gguf(md, tensors)


def chat_fixture():
    with open(os.path.join(FIXTURES, "chat_templates.json")) as f:
        return json.load(f)["models"]


def gguf_seeds():
    smollm2_template = chat_fixture()["smollm2"]["chat_template"]
    seeds = {
        "llama-bpe-chatml-f32": model("llama", bpe_vocab("smollm"), template=smollm2_template),
        "llama-rope-freqs-q8_0": model(
            "llama", bpe_vocab("llama-bpe"), wtype=Q8_0, dim=32, heads=2, ffn=32, rope_freqs=True,
            template="{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' }}",
            extra_md=[("llama.rope.dimension_count", U32, 16), ("llama.vocab_size", U32, len(bpe_vocab("")[0]))]),
        "qwen2-bias-q4_0": model("qwen2", bpe_vocab("qwen2"), wtype=Q4_0, dim=32, heads=4, kv_heads=2,
                                 ffn=32, biases=True, tied=False, layers=2),
        "qwen3-head-norms-bf16": model("qwen3", bpe_vocab("gpt-2"), wtype=BF16, head_norms=True,
                                       extra_md=[("qwen3.attention.key_length", U32, 4),
                                                 ("qwen3.attention.value_length", U32, 4)]),
        "phi3-fused-f16": model("phi3", bpe_vocab("default"), wtype=F16, fused=True, tied=False,
                                template="{{'<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n'}}"
                                         "{{ '<|assistant|>\n' }}"),
        "gemma3-spm-f16": model("gemma3", spm_vocab(), wtype=F16, head_norms=True, post_norms=True, layers=2,
                                template="{{ bos_token }}<start_of_turn>{{ role }}\n{{ content }}<end_of_turn>\n",
                                extra_md=[("gemma3.attention.sliding_window", U32, 16),
                                          ("gemma3.attention.key_length", U32, 4),
                                          ("gemma3.attention.value_length", U32, 4),
                                          ("gemma3.final_logit_softcapping", F32V, 30.0)]),
        "header-only": b"GGUF" + struct.pack("<IQQ", 3, 0, 0),
    }
    with open(os.path.join(FIXTURES, "gguf_python_writer.gguf"), "rb") as f:
        seeds["gguf-py-every-type"] = f.read()
    return seeds


# MARK: - Tokenizer texts

def tokenizer_seeds():
    texts = []
    for name in ("tokenizer_smollm2.json", "tokenizer_gemma3.json"):
        with open(os.path.join(FIXTURES, name)) as f:
            for case in json.load(f)["cases"]:
                text = bytes.fromhex(case["hex"])
                if 0 < len(text) <= 2048:
                    texts.append(text)
    for c in chat_fixture()["smollm2"]["cases"][:6] + chat_fixture()["gemma3"]["cases"][:6]:
        texts.append(c["formatted"].encode())
    seeds = {}
    for i, text in enumerate(dict.fromkeys(texts)):
        # Cycle through the flag combinations; parse-special on every other.
        seeds[f"text-{i:03d}"] = bytes([i % 16]) + text
    return seeds


# MARK: - Configs

def config_seeds():
    with open(os.path.join(ROOT, "Tests", "EdgeLMTests", "ConfigTests.swift")) as f:
        swift = f.read()
    # Raw string literals #"{...}"# hold the JSON bytes as written.
    configs = [m.encode() for m in re.findall(r'#"(\{.*?\})"#', swift)]
    # Multi-line literals ("""...""") that hold a JSON object.
    configs += [block.encode() for block in re.findall(r'"""\n(.*?)"""', swift, re.S)
                if block.lstrip().startswith("{")]
    with open(os.path.join(ROOT, "Tests", "fuzz", "mutations.py")) as f:
        configs.append(re.search(r'CONFIG = b"""(.*?)"""', f.read(), re.S).group(1).encode())
    configs += [b"{}", b'{"ram_limit": "1.5GiB", "threads": 0}',
                b'{"speculative": {"mode": "self", "skip_layers": [1, 3, 5]}, "sampling": {"seed": 18446744073709551615}}']
    return {f"config-{i:03d}": c for i, c in enumerate(dict.fromkeys(configs))}


# MARK: - Chat templates

SNIPPETS = [
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'}}",
    "{{'<|im_start|>' + message['role'] + '<|im_sep|>' + message['content'] + '<|im_end|>'}}",
    "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ role }}\n{{ m['content'] | trim }}<end_of_turn>\n{% endfor %}",
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}",
    "{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n'}}{{ '<|assistant|>\n' }}",
    "{{ '[INST] ' + message['content'] + ' [/INST]' }}",
    "{{ bos_token + '[INST] ' + message['content'] + ' [/INST]' }}",
    "{{ '[INST] <<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' }}",
    "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }} <<SYS>>",
    "{{ '[SYSTEM_PROMPT]' + system_message + '[/SYSTEM_PROMPT]' }}{{ '[INST]' }}",
    "{{ ' [INST] ' + system_message }}[INST]",
    "[AVAILABLE_TOOLS] {{ \"[INST]\" }}",
    "[AVAILABLE_TOOLS] {{ '[INST]' }}",
    "<|user|>\n{{ content }}<|endoftext|>",
    "<|im_start|>User:{{ c }}<end_of_utterance>",
    "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>",
    "chatml", "gemma", "llama3", "mistral-v7-tekken", "llama2-sys-strip",
]


def chat_seeds():
    models = chat_fixture()
    conversations = []
    for key in ("smollm2", "gemma3"):
        for c in models[key]["cases"]:
            conversations.append((c["add_assistant"], [(m["role"], m["content"]) for m in c["messages"]]))
    templates = [models["smollm2"]["chat_template"]] + SNIPPETS
    seeds = {}
    for i, template in enumerate(templates):
        for j in range(2):  # two conversations per template, cycling through them
            add, messages = conversations[(2 * i + j) % len(conversations)]
            fields = [template.encode()] + [s.encode() for m in messages for s in m]
            flags = (1 if add else 0) | ((i + j) % 14) << 1
            seeds[f"template-{i:02d}-{j}"] = bytes([flags]) + b"\0".join(fields)
    return seeds


def main():
    total = 0
    for name, seeds in (("gguf", gguf_seeds()), ("tokenizer", tokenizer_seeds()),
                        ("config", config_seeds()), ("chat_template", chat_seeds())):
        d = os.path.join(OUT, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for file, data in seeds.items():
            with open(os.path.join(d, file), "wb") as f:
                f.write(data)
        size = sum(len(v) for v in seeds.values())
        total += size
        print(f"{name}: {len(seeds)} seeds, {size} bytes")
    print(f"total: {total} bytes")


if __name__ == "__main__":
    main()
