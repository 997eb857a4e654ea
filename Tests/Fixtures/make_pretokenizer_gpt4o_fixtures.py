#!/usr/bin/env python3
"""Writes Tests/Fixtures/tokenizer_gpt4o.json: llama.cpp's tokenization with
the `gpt-4o` pre-tokenizer (Phi-4 mini, Llama 4), the golden data for
ModelFamilyTests' gpt-4o test.

No model with that pre-tokenizer ships here, and a real vocabulary hides
most word boundaries (SmolLM2's merges never join "Hello" and "World", so
llama3's split gives the same ids). So the vocabulary is synthetic: the 256
byte-level tokens plus, for every space-separated run of the cases (with and
without its leading space), a chain of merges that builds the whole run left
to right. A pre-tokenizer that keeps a run whole gets one token, one that
splits it gets pieces: the ids show every boundary. The JSON holds the
merges (the Swift test rebuilds the vocabulary) and, per case, llama.cpp's
ids with "gpt-4o" and how many cases "llama-bpe" and "gpt-2" tokenize
differently (the test's power to tell them apart).

Run by hand (never in CI):
    python3 Tests/Fixtures/make_pretokenizer_gpt4o_fixtures.py
"""
import json
import os
import sys
import tempfile

import gguf
import llama_cpp
from llama_cpp import Llama

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_family_fixtures import byte_tokens  # noqa: E402
from make_tokenizer_fixtures import LONG_TEXT, detokenize  # noqa: E402

EXTRA = [
    "HelloWorld", "HTTPServer", "iPhone", "McDonald's", "CamelCaseString", "ABCdef", "abcDEF",
    "don't DON'T I'M we'Ll they'RE you've she'd", "'s 's's", "x's'd",
    "123456789 12 1234", "v1.2.3 and 3.14159", "٣٤٥٦ ١٢",
    "a/b//c\n/\n//", "end.\n/path", "<|tag|>/", " ...\r\n/x",
    "ÄÖÜäöü ÄbcDéf ÉCOLE école", "naïveCafé résuméPDF", "Ünïcödé",
    "e\u0301 a\u0308b \u0301x", "日本語テキストAbc", "Привет МИР мир", "ΑΒΓαβγ",
    "foo\r\n\r\nbar\n\n\n  baz", "  leading", "trailing  ", "\t\tTabs\tHere", "a\u00a0b\u2003c",
    "   \n   ", "\n", "x \n y", "!!!HelloWorld???", "$100 + 200 = 300%", "🙂Hi🙂 there",
    "snake_case_name and kebab-case-name", "URL: https://Example.COM/Path?Q=1",
]


def build_merges(texts):
    """Left-to-right merge chains for every space-separated run of `texts`."""
    table = byte_tokens()
    tokens = list(table)
    known = set(tokens)
    merges = []
    for text in texts:
        encoded = "".join(table[b] for b in text.encode())
        space = table[0x20]
        runs = [r for r in encoded.split(space) if r]
        for run in runs + [space + r for r in runs]:
            prefix = run[0]
            for ch in run[1:]:
                merged = prefix + ch
                if merged not in known:
                    merges.append(f"{prefix} {ch}")
                    tokens.append(merged)
                    known.add(merged)
                prefix = merged
    return tokens, merges


def write_vocab(path, tokens, merges, pre):
    w = gguf.GGUFWriter(path, "llama")
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", pre)
    w.add_array("tokenizer.ggml.tokens", tokens)
    w.add_array("tokenizer.ggml.token_type", [1] * len(tokens))
    w.add_array("tokenizer.ggml.merges", merges)
    w.add_uint32("tokenizer.ggml.bos_token_id", 1)
    w.add_uint32("tokenizer.ggml.eos_token_id", 2)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def tokenize_all(path, texts):
    llm = Llama(model_path=path, vocab_only=True, verbose=False)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    out = []
    for text in texts:
        ids = llm.tokenize(text.encode(), add_bos=False, special=True)
        out.append((ids, detokenize(vocab, ids, False)))
    del llm
    return out


def main() -> None:
    texts = EXTRA + [line for line in LONG_TEXT.split("\n")[:12] if line]
    tokens, merges = build_merges(texts)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for pre in ["gpt-4o", "llama-bpe", "gpt-2"]:
            path = os.path.join(tmp, f"vocab-{pre}.gguf")
            write_vocab(path, tokens, merges, pre)
            results[pre] = tokenize_all(path, texts)
    differ = {pre: sum(1 for a, b in zip(results[pre], results["gpt-4o"]) if a[0] != b[0])
              for pre in ["llama-bpe", "gpt-2"]}
    cases = [{"hex": t.encode().hex(), "ids": r[0], "detok_hex": r[1].hex()} for t, r in zip(texts, results["gpt-4o"])]
    with open(os.path.join(HERE, "tokenizer_gpt4o.json"), "w") as f:
        json.dump({"generator": "Tests/Fixtures/make_pretokenizer_gpt4o_fixtures.py",
                   "llama_cpp_python": llama_cpp.__version__, "pre": "gpt-4o",
                   "cases_differing_with": differ, "merges": merges, "cases": cases}, f)
        f.write("\n")
    print(f"{len(cases)} cases, {len(merges)} merges; other pre-tokenizers differ on {differ}")


if __name__ == "__main__":
    main()
