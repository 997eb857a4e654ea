#!/usr/bin/env python3
"""Writes Tests/Fixtures/tokenizer_smollm2.json: llama.cpp's tokenization of
varied strings with the SmolLM2 vocabulary, the golden data for
Tests/EdgeLMTests/TokenizerTests.swift.

The oracle is llama-cpp-python (`pip install llama-cpp-python`), which builds
llama.cpp from source. No network: the model comes from
$EDGELM_MODEL_DIR or ~/.cache/edgelm/models (see `make models`).

    python3 Tests/Fixtures/make_tokenizer_fixtures.py

For every case the JSON holds the input as hex (it may be invalid UTF-8),
the ids of llama_tokenize for (add_special, parse_special) in
(false, false), (false, true), (true, true), and llama_detokenize of the
parse_special ids with unparse_special false and true. It also holds the
vocabulary facts the tests check (BOS/EOS, add_bos, the EOG ids) and an
FNV-1a digest of llama_token_to_piece over the whole vocabulary.

To cover the other supported pre-tokenizers with the same oracle, the script
writes temporary vocabulary-only copies of the model with another
`tokenizer.ggml.pre` (PRE_VARIANTS) and records their ids (add_special
false, parse_special true) and detokenized text under "pre".
"""
import ctypes
import json
import os
import sys
import tempfile

import llama_cpp
from gguf import GGUFReader, GGUFValueType, GGUFWriter
from llama_cpp import Llama

MODEL_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
OUT_NAME = "tokenizer_smollm2.json"


def model_path() -> str:
    directory = os.environ.get("EDGELM_MODEL_DIR") or os.path.expanduser("~/.cache/edgelm/models")
    path = os.path.join(directory, MODEL_NAME)
    if not os.path.exists(path):
        sys.exit(f"error: {path} not found (run `make models`)")
    return path


LONG_TEXT = (
    "The quick brown fox jumps over the lazy dog. " * 3
    + "In 2024, 1234567 people visited https://example.com/path?q=1&x=2 — "
    + "naïve café résumé coöperate. Привет, как дела? 你好，世界！ "
    + "مرحبا بالعالم नमस्ते दुनिया 🌍🚀👩‍👩‍👧‍👦 🇫🇷🇯🇵\n\n"
    + "def main():\n    for i in range(10):\n        print(f\"{i:>4}\")\n\t\treturn None\n"
) * 3

CASES: list[bytes] = [
    # empty and trivial
    b"",
    b" ",
    b"a",
    b"Hello",
    b"Hello world",
    b" Hello world",
    b"Hello world ",
    b"  leading and trailing  ",
    b"Hello, world! How are you today?",
    b"The quick brown fox jumps over the lazy dog.",
    # whitespace runs, tabs, newlines
    b"a  b   c    d",
    b"tab\tseparated\tvalues",
    b"line one\nline two\n\nline four",
    b"\n",
    b"\n\n\n",
    b"   \n  \n",
    b"trailing newline\n",
    b"windows\r\nline\r\nendings",
    b"\t\t indented\n\t\treturn",
    # digits and numbers
    b"1",
    b"12",
    b"123",
    b"1234567890",
    b"3.14159265358979",
    b"The year 2024 had 366 days and 8784 hours.",
    b"+1 (555) 123-4567",
    b"0x1F 0b1010 1e-9 -42",
    # contractions
    b"It's what we're doing, isn't it? They've said I'm sure you'll see.",
    b"IT'S WE'RE THEY'VE I'M YOU'LL HE'D",
    b"'s 't 're 've 'm 'll 'd",
    b"rock 'n' roll",
    # punctuation runs
    b"Wait... what?!?! (really) [yes] {no} <maybe>",
    b"---===***+++~~~|||",
    b"email@example.com, http://x.y/z?a=b&c=d#frag",
    b"\"quoted\" 'single' `backtick`",
    # code
    "def greet(name):\n    return f\"Hello, {name}!\"\n\nprint(greet('world'))\n".encode(),
    b"int main(void) {\n\tprintf(\"%d\\n\", 42);\n\treturn 0;\n}\n",
    b'{"key": [1, 2, 3], "nested": {"a": null, "b": true}}',
    b"for (let i = 0; i < n; i++) { sum += a[i] * b[i]; }",
    # Unicode scripts
    "naïve café résumé — “quotes” and ‘apostrophes’".encode(),
    "Привет, мир! Как дела?".encode(),
    "你好，世界！这是一个测试。".encode(),
    "日本語のテキストとカタカナ、ひらがな。".encode(),
    "한국어 텍스트입니다".encode(),
    "مرحبا بالعالم".encode(),
    "नमस्ते दुनिया".encode(),
    "Ελληνικά κείμενα".encode(),
    "עברית".encode(),
    "ไทย ภาษา".encode(),
    "Zürich Ærøskøbing Øresund ﬁnance".encode(),
    # non-ASCII numbers and symbols
    "² ³ ½ ⅓ ① Ⅻ ٣٤٥ १२३".encode(),
    "€100 £50 ¥1000 ₹500 ©®™ ±×÷ ∑∫√∞".encode(),
    "\u00a0non-breaking\u2003em space\u3000ideographic".encode(),
    "zero\u200bwidth\u200djoiner\u00adsoft".encode(),
    # emoji
    "😀".encode(),
    "I love 🍕 and 🍣!".encode(),
    "👩‍👩‍👧‍👦 family 👨🏽‍💻 coder".encode(),
    "🇫🇷🇯🇵🇺🇸 flags".encode(),
    "❤️🔥 ✨🎉".encode(),
    "🏳️‍🌈".encode(),
    # special tokens in text
    b"<|im_start|>user\nHi<|im_end|>",
    b"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    b"<|endoftext|>",
    b"text<|endoftext|>more text",
    b"<|im_start|><|im_end|>",
    b"<|im_start|",
    b"<repo_name>edgelm<file_sep>main.swift",
    b"<jupyter_code>print(1)<jupyter_output>1<empty_output>",
    b"a<|im_end|> b",
    # invalid UTF-8 (llama.cpp tokenizes each bad byte as U+FFFD)
    b"\xff",
    b"abc\xc3",
    b"\xc3(",
    b"\xe2\x82",
    b"ok \x80\x81 ok",
    b"\xf0\x9f\x98",
    b"\xed\xa0\x80 surrogate",
    b"\xc0\x80 overlong",
    # long mixed text
    LONG_TEXT.encode(),
]

COMBOS = [(False, False), (False, True), (True, True)]
PRE_VARIANTS = ["gpt-2", "llama-bpe", "qwen2", "default", "starcoder"]


def write_variant(src: str, dst: str, pre: str) -> None:
    """Copies the metadata of `src` (no tensors) with tokenizer.ggml.pre = pre."""
    reader = GGUFReader(src)
    writer = GGUFWriter(dst, arch=reader.fields["general.architecture"].contents())
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        value = pre if key == "tokenizer.ggml.pre" else field.contents()
        main = field.types[0]
        sub = field.types[-1] if main == GGUFValueType.ARRAY else None
        writer.add_key_value(key, value, main, sub)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def detokenize(vocab, ids: list[int], special: bool) -> bytes:
    arr = (llama_cpp.llama_token * max(len(ids), 1))(*ids)
    size = 64 + 8 * len(ids)
    buf = ctypes.create_string_buffer(size)
    n = llama_cpp.llama_detokenize(vocab, arr, len(ids), buf, size, False, special)
    if n < 0:
        size = -n
        buf = ctypes.create_string_buffer(size)
        n = llama_cpp.llama_detokenize(vocab, arr, len(ids), buf, size, False, special)
    assert n >= 0
    return buf.raw[:n]


def piece(vocab, token: int, special: bool) -> bytes:
    buf = ctypes.create_string_buffer(256)
    n = llama_cpp.llama_token_to_piece(vocab, token, buf, 256, 0, special)
    assert 0 <= n <= 256, n
    return buf.raw[:n]


def fnv1a64(chunks) -> int:
    h = 0xCBF29CE484222325
    for chunk in chunks:
        for b in chunk:
            h ^= b
            h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def main() -> None:
    src = model_path()
    llm = Llama(model_path=src, vocab_only=True, verbose=False)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)

    cases = []
    for text in CASES:
        case = {"hex": text.hex()}
        try:
            case["text"] = text.decode("utf-8")
        except UnicodeDecodeError:
            pass
        for add_special, parse_special in COMBOS:
            key = f"ids_add{int(add_special)}_parse{int(parse_special)}"
            case[key] = llm.tokenize(text, add_bos=add_special, special=parse_special)
        ids = case["ids_add0_parse1"]
        case["detok_hex"] = detokenize(vocab, ids, False).hex()
        case["detok_special_hex"] = detokenize(vocab, ids, True).hex()
        case["pre"] = {}
        cases.append(case)

    with tempfile.TemporaryDirectory() as tmp:
        for pre in PRE_VARIANTS:
            path = os.path.join(tmp, f"vocab-{pre}.gguf")
            write_variant(src, path, pre)
            variant = Llama(model_path=path, vocab_only=True, verbose=False)
            variant_vocab = llama_cpp.llama_model_get_vocab(variant.model)
            for text, case in zip(CASES, cases):
                ids = variant.tokenize(text, add_bos=False, special=True)
                case["pre"][pre] = {
                    "ids": ids,
                    "detok_hex": detokenize(variant_vocab, ids, False).hex(),
                }
            del variant

    def digest(special: bool) -> str:
        # Each piece is prefixed by its length so boundaries count.
        chunks = []
        for token in range(n_vocab):
            p = piece(vocab, token, special)
            chunks.append(len(p).to_bytes(4, "little"))
            chunks.append(p)
        return f"{fnv1a64(chunks):016x}"

    def opt(token: int):
        return None if token < 0 else token

    out = {
        "model": MODEL_NAME,
        "generator": "Tests/Fixtures/make_tokenizer_fixtures.py",
        "llama_cpp_python": llama_cpp.__version__,
        "n_vocab": n_vocab,
        "bos": opt(llama_cpp.llama_vocab_bos(vocab)),
        "eos": opt(llama_cpp.llama_vocab_eos(vocab)),
        "add_bos": bool(llama_cpp.llama_vocab_get_add_bos(vocab)),
        "add_eos": bool(llama_cpp.llama_vocab_get_add_eos(vocab)),
        "eog": [t for t in range(n_vocab) if llama_cpp.llama_vocab_is_eog(vocab, t)],
        "control": [t for t in range(n_vocab) if llama_cpp.llama_vocab_is_control(vocab, t)],
        "pieces_fnv1a64": digest(False),
        "pieces_special_fnv1a64": digest(True),
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), OUT_NAME)
    # One line per case keeps the file small and its diffs readable.
    cases_json = ",\n".join("  " + json.dumps(c, ensure_ascii=False) for c in out.pop("cases"))
    head = json.dumps(out, ensure_ascii=False, indent=1)
    with open(path, "w") as f:
        f.write(head[:-2] + ',\n "cases": [\n' + cases_json + "\n ]\n}\n")
    print(f"wrote {path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
