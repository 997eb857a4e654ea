#!/usr/bin/env python3
"""Writes Tests/Fixtures/tokenizer_gemma3.json: llama.cpp's SentencePiece
("llama" tokenizer model) tokenization of varied strings with the Gemma 3
270M vocabulary, the golden data for Tests/EdgeLMTests/TokenizerGemmaTests.swift.

The oracle is llama-cpp-python's low-level API (llama_tokenize,
llama_token_to_piece, llama_detokenize). No network: the model comes from
$EDGELM_MODEL_DIR or ~/.cache/edgelm/models (see `make models`).

    python3 Tests/Fixtures/make_tokenizer_fixtures_gemma3.py

For every case the JSON holds the input as hex (it may be invalid UTF-8),
the ids of llama_tokenize for every (add_special, parse_special) pair, and
llama_detokenize of the parse_special ids (add_special false and true) for
(remove_special, unparse_special) in (false, false), (false, true),
(true, false). It also holds the vocabulary facts (BOS/EOS, add_bos, EOG and
control ids), the pieces of a sample of ids, FNV-1a digests of
llama_token_to_piece over the whole vocabulary, and detokenize of a few
hand-picked id sequences.

Gemma 3 has add_space_prefix false. To cover llama.cpp's space-prefix rule
(a space before the first text fragment and after every special token) and
add_eos, the script writes temporary vocabulary-only copies of the model with
changed tokenizer.ggml.* flags (VARIANTS) and records their ids and
detokenized text under "variants".
"""
import ctypes
import json
import os
import sys
import tempfile

import llama_cpp
from gguf import GGUFReader, GGUFValueType, GGUFWriter

MODEL_NAME = "gemma-3-270m-q4_k_m.gguf"
OUT_NAME = "tokenizer_gemma3.json"


def model_path() -> str:
    directory = os.environ.get("EDGELM_MODEL_DIR") or os.path.expanduser("~/.cache/edgelm/models")
    path = os.path.join(directory, MODEL_NAME)
    if not os.path.exists(path):
        sys.exit(f"error: {path} not found (run `make models`)")
    return path


LONG_TEXT = (
    "The quick brown fox jumps over the lazy dog. "
    + "In 2024, 1234567 people visited https://example.com/path?q=1&x=2 — "
    + "naïve café résumé. Привет, как дела? 你好，世界！ "
    + "مرحبا بالعالم नमस्ते दुनिया 🌍🚀👩‍👩‍👧‍👦 🇫🇷🇯🇵\n\n"
    + "def main():\n    for i in range(10):\n        print(f\"{i:>4}\")\n\t\treturn None\n"
) * 4

CASES: list[bytes] = [
    # empty and trivial
    b"",
    b" ",
    b"  ",
    b"a",
    b"Hello",
    b"Hello world",
    b" Hello world",
    b"Hello world ",
    b"  leading and trailing  ",
    b"Hello, world! How are you today?",
    b"The quick brown fox jumps over the lazy dog.",
    # whitespace runs, tabs, newlines
    b"a  b   c    d     e",
    b"tab\tseparated\tvalues",
    b"line one\nline two\n\nline four",
    b"\n",
    b"\n\n\n",
    b"   \n  \n",
    b"trailing newline\n",
    b"windows\r\nline\r\nendings",
    b"\t\t indented\n\t\treturn",
    b" " * 40 + b"x",
    b"\n" * 35,
    b"\t" * 33,
    # digits and numbers
    b"1",
    b"1234567890",
    b"3.14159265358979",
    b"The year 2024 had 366 days and 8784 hours.",
    b"+1 (555) 123-4567 and 00000000000000000000001",
    # contractions and punctuation
    b"It's what we're doing, isn't it? They've said I'm sure you'll see.",
    b"Wait... what?!?! (really) [yes] {no} <maybe>",
    b"---===***+++~~~|||",
    b"email@example.com, http://x.y/z?a=b&c=d#frag",
    # code and markup (Gemma has HTML tags as user-defined tokens)
    "def greet(name):\n    return f\"Hello, {name}!\"\n\nprint(greet('world'))\n".encode(),
    b"int main(void) {\n\tprintf(\"%d\\n\", 42);\n\treturn 0;\n}\n",
    b'{"key": [1, 2, 3], "nested": {"a": null, "b": true}}',
    b"<table><tr><td>1</td></tr></table> <b>bold</b><s>struck</s>",
    # Unicode scripts
    "naïve café résumé — “quotes” and ‘apostrophes’".encode(),
    "Привет, мир! Как дела?".encode(),
    "你好，世界！这是一个测试。".encode(),
    "日本語のテキストとカタカナ、ひらがな。".encode(),
    "한국어 텍스트입니다".encode(),
    "مرحبا بالعالم".encode(),
    "नमस्ते दुनिया".encode(),
    "Ελληνικά κείμενα".encode(),
    "עברית ไทย ภาษา".encode(),
    "² ³ ½ ⅓ ① Ⅻ ٣٤٥ १२३ €100 ©®™ ∑∫√∞".encode(),
    "\u00a0non-breaking\u2003em space\u3000ideographic".encode(),
    "zero\u200bwidth\u200djoiner\u00adsoft".encode(),
    "▁already▁escaped ▁".encode(),
    # emoji
    "😀".encode(),
    "I love 🍕 and 🍣!".encode(),
    "👩‍👩‍👧‍👦 family 👨🏽‍💻 coder".encode(),
    "🇫🇷🇯🇵🇺🇸 flags".encode(),
    "🏳️‍🌈 ❤️🔥".encode(),
    # rare characters that need byte fallback
    "\U0001d54f\U0001d560 \U0001f9ec\U0001fab8 \U00010348 \U0002a6a5".encode(),
    "\x00\x01\x02\x7f control bytes".encode(),
    "\ue000\uf8ff private use".encode(),
    # Gemma special tokens in text
    b"<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n",
    b"<bos>Hello",
    b"text<eos>more",
    b"<bos><bos>",
    b"a <end_of_turn> b",
    b"<start_of_turn",
    b"<unused0><unk><pad><mask>[multimodal]",
    b"<start_of_image>pic<end_of_image>",
    b"</s> and <s>",
    # invalid UTF-8 (SPM works on raw bytes: byte fallback)
    b"\xff",
    b"abc\xc3",
    b"\xc3(",
    b"\xe2\x82",
    b"ok \x80\x81 ok",
    b"\xf0\x9f\x98",
    b"\xed\xa0\x80 surrogate",
    b"\xc0\x80 overlong \xf8\x88\x80\x80\x80",
    # long mixed text
    LONG_TEXT.encode(),
]

COMBOS = [(False, False), (False, True), (True, False), (True, True)]
# (remove_special, unparse_special)
DETOK_COMBOS = [(False, False), (False, True), (True, False)]

VARIANTS = {
    "space_prefix": {"tokenizer.ggml.add_space_prefix": True},
    "eos": {"tokenizer.ggml.add_bos_token": False, "tokenizer.ggml.add_eos_token": True},
}

# Sequences for detokenize beyond the cases: BOS first, text first, byte
# tokens that form UTF-8, control and user-defined tokens mid-text.
DETOK_SEQUENCES = [
    [2, 26352, 1902],
    [26352, 1902],
    [236743, 9259],
    [2, 236743, 9259, 1],
    [270, 9259],
    [2, 270, 9259],
    [105, 2364, 107, 9259, 106, 1],
    [478, 397, 390, 366],
    [2, 433, 407, 478, 397, 390, 366, 1],
    [2, 2, 3, 0, 4, 5, 6],
    [138, 9259, 108, 255969],
    [],
    [1],
]


def tokenize(vocab, text: bytes, add_special: bool, parse_special: bool) -> list[int]:
    size = len(text) + 16
    buf = (llama_cpp.llama_token * size)()
    n = llama_cpp.llama_tokenize(vocab, text, len(text), buf, size, add_special, parse_special)
    if n < 0:
        size = -n
        buf = (llama_cpp.llama_token * size)()
        n = llama_cpp.llama_tokenize(vocab, text, len(text), buf, size, add_special, parse_special)
    assert n >= 0
    return list(buf[:n])


def detokenize(vocab, ids: list[int], remove_special: bool, unparse_special: bool) -> bytes:
    arr = (llama_cpp.llama_token * max(len(ids), 1))(*ids)
    size = 64 + 8 * len(ids)
    buf = ctypes.create_string_buffer(size)
    n = llama_cpp.llama_detokenize(vocab, arr, len(ids), buf, size, remove_special, unparse_special)
    if n < 0:
        size = -n
        buf = ctypes.create_string_buffer(size)
        n = llama_cpp.llama_detokenize(vocab, arr, len(ids), buf, size, remove_special, unparse_special)
    assert n >= 0
    return buf.raw[:n]


def piece(vocab, token: int, special: bool, lstrip: int = 0) -> bytes:
    buf = ctypes.create_string_buffer(512)
    n = llama_cpp.llama_token_to_piece(vocab, token, buf, 512, lstrip, special)
    assert 0 <= n <= 512, n
    return buf.raw[:n]


def fnv1a64(chunks) -> int:
    h = 0xCBF29CE484222325
    for chunk in chunks:
        for b in chunk:
            h ^= b
            h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def write_variant(src: str, dst: str, changes: dict) -> None:
    """Copies the metadata of `src` (no tensors) with `changes` applied."""
    reader = GGUFReader(src)
    writer = GGUFWriter(dst, arch=reader.fields["general.architecture"].contents())
    seen = set()
    for key, field in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        main = field.types[0]
        sub = field.types[-1] if main == GGUFValueType.ARRAY else None
        value = changes[key] if key in changes else field.contents()
        seen.add(key)
        writer.add_key_value(key, value, main, sub)
    for key, value in changes.items():
        if key not in seen:
            writer.add_key_value(key, value, GGUFValueType.BOOL)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


# Kept alive for the whole run: llama.cpp calls it from C.
QUIET_LOG = llama_cpp.llama_log_callback(lambda level, text, user_data: None)


def load_vocab(path: str):
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = llama_cpp.llama_model_load_from_file(path.encode(), params)
    assert model, path
    return model, llama_cpp.llama_model_get_vocab(model)


def case_record(vocab, text: bytes) -> dict:
    case = {"hex": text.hex()}
    try:
        case["text"] = text.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for add_special, parse_special in COMBOS:
        case[f"ids_add{int(add_special)}_parse{int(parse_special)}"] = tokenize(
            vocab, text, add_special, parse_special)
    for add in (0, 1):
        ids = case[f"ids_add{add}_parse1"]
        for remove, unparse in DETOK_COMBOS:
            case[f"detok_add{add}_rm{int(remove)}_sp{int(unparse)}_hex"] = detokenize(
                vocab, ids, remove, unparse).hex()
    return case


def main() -> None:
    llama_cpp.llama_backend_init()
    llama_cpp.llama_log_set(QUIET_LOG, ctypes.c_void_p(0))
    src = model_path()
    model, vocab = load_vocab(src)
    n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)

    cases = [case_record(vocab, text) for text in CASES]

    variants = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, changes in VARIANTS.items():
            path = os.path.join(tmp, f"vocab-{name}.gguf")
            write_variant(src, path, changes)
            vmodel, vvocab = load_vocab(path)
            rows = []
            for text in CASES:
                ids = tokenize(vvocab, text, True, True)
                rows.append({
                    "ids_add1_parse1": ids,
                    "ids_add0_parse0": tokenize(vvocab, text, False, False),
                    "detok_rm0_hex": detokenize(vvocab, ids, False, False).hex(),
                    "detok_rm1_hex": detokenize(vvocab, ids, True, False).hex(),
                })
            variants[name] = {"changes": changes, "cases": rows}
            llama_cpp.llama_model_free(vmodel)

    def digest(special: bool) -> str:
        # Each piece is prefixed by its length so boundaries count.
        chunks = []
        for token in range(n_vocab):
            p = piece(vocab, token, special)
            chunks.append(len(p).to_bytes(4, "little"))
            chunks.append(p)
        return f"{fnv1a64(chunks):016x}"

    # Pieces of a sample: the first 600 ids (control, user-defined, byte
    # tokens), every 997th id, the last ids, and tokens with a leading ▁.
    sample = list(range(600)) + list(range(600, n_vocab, 997)) + list(range(n_vocab - 40, n_vocab))
    sample += [9259, 1902, 236743, 138, 255968, 255999, 256000]
    sample = sorted(set(sample))
    pieces = [
        {"id": t, "hex": piece(vocab, t, False).hex(), "special_hex": piece(vocab, t, True).hex(),
         "lstrip_hex": piece(vocab, t, True, 1).hex()}
        for t in sample
    ]
    sequences = []
    for ids in DETOK_SEQUENCES:
        row = {"ids": ids}
        for remove, unparse in DETOK_COMBOS + [(True, True)]:
            row[f"rm{int(remove)}_sp{int(unparse)}_hex"] = detokenize(vocab, ids, remove, unparse).hex()
        sequences.append(row)

    def opt(token: int):
        return None if token < 0 else token

    out = {
        "model": MODEL_NAME,
        "generator": "Tests/Fixtures/make_tokenizer_fixtures_gemma3.py",
        "llama_cpp_python": llama_cpp.__version__,
        "n_vocab": n_vocab,
        "vocab_type": llama_cpp.llama_vocab_type(vocab),
        "bos": opt(llama_cpp.llama_vocab_bos(vocab)),
        "eos": opt(llama_cpp.llama_vocab_eos(vocab)),
        "eot": opt(llama_cpp.llama_vocab_eot(vocab)),
        "pad": opt(llama_cpp.llama_vocab_pad(vocab)),
        "add_bos": bool(llama_cpp.llama_vocab_get_add_bos(vocab)),
        "add_eos": bool(llama_cpp.llama_vocab_get_add_eos(vocab)),
        "eog": [t for t in range(n_vocab) if llama_cpp.llama_vocab_is_eog(vocab, t)],
        "control": [t for t in range(n_vocab) if llama_cpp.llama_vocab_is_control(vocab, t)],
        "pieces_fnv1a64": digest(False),
        "pieces_special_fnv1a64": digest(True),
        "pieces": pieces,
        "sequences": sequences,
        "variants": variants,
        "cases": cases,
    }
    llama_cpp.llama_model_free(model)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), OUT_NAME)
    # One line per case, piece and sequence keeps diffs readable.
    head = {k: v for k, v in out.items() if k not in ("cases", "pieces", "sequences", "variants")}
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2]

    def block(name, rows, indent="  "):
        return f',\n "{name}": [\n' + ",\n".join(indent + json.dumps(r, ensure_ascii=False) for r in rows) + "\n ]"

    text += block("pieces", out["pieces"]) + block("sequences", out["sequences"]) + block("cases", out["cases"])
    text += ',\n "variants": {\n' + ",\n".join(
        f'  "{name}": {{"changes": {json.dumps(v["changes"])}, "cases": [\n'
        + ",\n".join("   " + json.dumps(r) for r in v["cases"]) + "\n  ]}"
        for name, v in out["variants"].items()) + "\n }\n}\n"
    with open(path, "w") as f:
        f.write(text)
    print(f"wrote {path}: {len(cases)} cases, {len(pieces)} pieces, {len(sequences)} sequences, "
          f"{len(variants)} variants")


if __name__ == "__main__":
    main()
