#!/usr/bin/env python3
"""Writes Tests/Fixtures/quantize_tool.json for QuantizeToolTests (the
`edgelm quantize` tool), from implementations independent of EdgeLM.

1. "blocks": a seeded input of 4 rows x 512 floats (varied magnitudes, a
   zero block, a constant block, outliers of both signs, tiny values)
   quantized row by row as llama-quantize writes tensors:
     - q4_0, q4_1, q5_0, q5_1, q8_0, f16, bf16 by the `gguf` package's
       reference quantizers (gguf.quants.quantize, gguf-py);
     - q2_K...q6_K by llama.cpp's quantize_row_q{2..6}_K_ref (gguf-py has no
       K quantizers) from the libggml-base.so that llama-cpp-python ships,
       through ctypes.
   For each type: the bytes (base64) and their sha256. The input floats are
   base64 of little-endian float32, so they round-trip exactly.

2. "llama_cpp_load" (only when the EdgeLM CLI is built at
   .build/release/edgelm and SmolLM2 is in ~/.cache/edgelm/models):
   SmolLM2-135M-Instruct.Q4_1.gguf quantized with `edgelm quantize` to Q8_0,
   F16 and Q4_K_M, each loaded by llama.cpp (llama_cpp.Llama) and run greedy
   for 8 tokens on a fixed prompt: the generated token ids and text, so the
   tests can check that llama.cpp loads our files and that EdgeLM generates
   the same tokens from them.

Run: python3 Tests/Fixtures/make_quantize_fixtures.py
     (needs: pip install gguf numpy llama-cpp-python; never run in CI)
"""
import base64
import ctypes
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from gguf.constants import GGMLQuantizationType as T
from gguf.quants import quantize

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "quantize_tool.json")
MODEL = os.path.expanduser("~/.cache/edgelm/models/SmolLM2-135M-Instruct.Q4_1.gguf")
CLI = os.path.join(ROOT, ".build", "release", "edgelm")
PROMPT = "The capital of France is"

GGUF_TYPES = {"q4_0": T.Q4_0, "q4_1": T.Q4_1, "q5_0": T.Q5_0, "q5_1": T.Q5_1, "q8_0": T.Q8_0,
              "f16": T.F16, "bf16": T.BF16}
K_TYPES = {"q2_K": 84, "q3_K": 110, "q4_K": 144, "q5_K": 176, "q6_K": 210}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def make_input() -> np.ndarray:
    rng = np.random.default_rng(20251123)
    rows, cols = 4, 512
    x = rng.standard_normal((rows, cols)).astype(np.float32)
    x *= np.array([1.0, 0.03, 20.0, 1.0], dtype=np.float32)[:, None]
    x[0, 32:64] = 0.0                                   # all-zero block
    x[0, 64:96] = rng.uniform(0.5, 2.0, 32)             # all-positive block
    x[1, 7] = 2.5                                       # positive outlier
    x[1, 301] = -3.5                                    # negative outlier
    x[2, 400] = 300.0                                   # big outlier
    x[3, 96:128] = 0.625                                # constant block
    x[3, 128:160] *= np.float32(1e-6)                   # tiny values
    x[3, 256:512] = 0.0                                 # all-zero super-block
    return x.astype(np.float32)


def k_quantize(lib, name: str, x: np.ndarray, block_bytes: int) -> bytes:
    fn = getattr(lib, f"quantize_row_{name}_ref")
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    out = b""
    for row in x:
        row = np.ascontiguousarray(row, dtype=np.float32)
        buf = (ctypes.c_uint8 * (row.size // 256 * block_bytes))()
        fn(row.ctypes.data_as(ctypes.c_void_p), buf, row.size)
        out += bytes(buf)
    return out


def llama_cpp_load_check() -> dict:
    import llama_cpp
    from llama_cpp import Llama
    if not (os.path.exists(CLI) and os.path.exists(MODEL)):
        return {"skipped": f"needs {CLI} and {MODEL}"}
    result = {"model": os.path.basename(MODEL), "prompt": PROMPT, "llama_cpp_python": llama_cpp.__version__,
              "files": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for target in ["Q8_0", "F16", "Q4_K_M"]:
            path = os.path.join(tmp, f"smollm2-{target}.gguf")
            subprocess.run([CLI, "quantize", MODEL, path, target, "-t", "2"], check=True,
                           stderr=subprocess.DEVNULL)
            llm = Llama(model_path=path, n_ctx=128, n_threads=2, verbose=False)
            prompt = llm.tokenize(PROMPT.encode(), add_bos=True, special=False)
            ids = []
            for tok in llm.generate(prompt, temp=0.0, top_k=1, repeat_penalty=1.0):
                if tok == llm.token_eos() or len(ids) == 8:
                    break
                ids.append(tok)
            text = llm.detokenize(ids).decode("utf-8", errors="replace")
            result["files"][target] = {"prompt_tokens": prompt, "greedy_ids": ids, "greedy_text": text,
                                       "size": os.path.getsize(path)}
            print(f"llama.cpp loaded our {target}: {text!r}", file=sys.stderr)
            del llm
    return result


def main() -> None:
    x = make_input()
    blocks = {}
    for name, t in GGUF_TYPES.items():
        data = quantize(x, t).tobytes()
        blocks[name] = {"source": "gguf.quants.quantize", "bytes": b64(data), "sha256": hashlib.sha256(data).hexdigest()}
    import llama_cpp
    libdir = os.path.join(os.path.dirname(llama_cpp.__file__), "lib")
    base = ctypes.CDLL(glob.glob(os.path.join(libdir, "libggml-base.so*"))[0], mode=ctypes.RTLD_GLOBAL)
    for name, block_bytes in K_TYPES.items():
        data = k_quantize(base, name, x, block_bytes)
        blocks[name] = {"source": f"llama.cpp quantize_row_{name}_ref", "bytes": b64(data),
                        "sha256": hashlib.sha256(data).hexdigest()}
    fixture = {
        "rows": int(x.shape[0]), "cols": int(x.shape[1]),
        "input": b64(np.ascontiguousarray(x, dtype="<f4").tobytes()),
        "blocks": blocks,
        "llama_cpp_load": llama_cpp_load_check(),
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
