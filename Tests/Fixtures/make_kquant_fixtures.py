#!/usr/bin/env python3
"""Writes Tests/Fixtures/kquant_blocks.json for KQuantTests: K-quant blocks
produced independently of EdgeLM, with their dequantization by gguf-py.

Sources:
  - "synthetic": a seeded input of 4 rows x 768 floats (3 super-blocks per
    row; varied magnitudes, an all-zero sub-block, a constant sub-block,
    outliers of both signs, tiny values) quantized to q2_K..q6_K by
    llama.cpp's own reference quantizers (quantize_row_q{2..6}_K_ref in the
    libggml-base.so that llama-cpp-python ships, called through ctypes;
    gguf-py has no K-quant quantizers). For each type: the bytes, gguf-py's
    `gguf.quants.dequantize` of them (checked here to equal llama.cpp's
    dequantize_row_*), and llama.cpp's ggml_vec_dot_<type>_q8_K of each row
    with the q8_K activation below (libggml-cpu.so, the AVX2 build for this
    CPU).
  - "activation": a seeded 768-float activation (a normal super-block, one
    with exact rounding ties and a negative maximum, and an all-zero one) and
    its q8_K blocks from llama.cpp's quantize_row_q8_K (what the CPU backend
    runs; on x86 it is quantize_row_q8_K_ref) and the _ref itself (checked
    here to be identical).
  - "gemma": two rows each of blk.0.attn_output.weight (q4_K),
    blk.0.ffn_down.weight (q6_K) and blk.0.attn_q.weight (q5_0) from
    gemma-3-270m-q4_k_m.gguf, with gguf-py's dequantization, and for the
    K rows llama.cpp's vec_dot with a seeded q8_K activation of that width.

Bytes are base64; floats are base64 of little-endian float32, so they
round-trip exactly.

Run: python3 Tests/Fixtures/make_kquant_fixtures.py [path/to/gemma.gguf]
     (needs: pip install gguf numpy llama-cpp-python)
"""
import base64
import ctypes
import glob
import json
import os
import sys

import numpy as np
import gguf
from gguf.constants import GGMLQuantizationType as T
from gguf.quants import dequantize
import llama_cpp

K_TYPES = {"q2_K": (T.Q2_K, 84), "q3_K": (T.Q3_K, 110), "q4_K": (T.Q4_K, 144), "q5_K": (T.Q5_K, 176), "q6_K": (T.Q6_K, 210)}
Q8K_BYTES = 292

libdir = os.path.join(os.path.dirname(llama_cpp.__file__), "lib")
base = ctypes.CDLL(glob.glob(os.path.join(libdir, "libggml-base.so*"))[0], mode=ctypes.RTLD_GLOBAL)
cpu = ctypes.CDLL(glob.glob(os.path.join(libdir, "libggml-cpu.so*"))[0])
cpu.ggml_cpu_init()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64f(a: np.ndarray) -> str:
    return b64(np.ascontiguousarray(a, dtype="<f4").tobytes())


def ggml_rows(fn_name: str, lib, x: np.ndarray, block_bytes: int) -> bytes:
    """quantize_row_* over a 1-D float array (multiple of 256)."""
    fn = getattr(lib, fn_name)
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    x = np.ascontiguousarray(x, dtype=np.float32)
    buf = (ctypes.c_uint8 * (x.size // 256 * block_bytes))()  # zeroed: q8_K leaves bsums of zero blocks unset
    fn(x.ctypes.data_as(ctypes.c_void_p), buf, x.size)
    return bytes(buf)


def ggml_dequantize(name: str, data: bytes, n: int) -> np.ndarray:
    fn = getattr(base, f"dequantize_row_{name}")
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    out = np.zeros(n, dtype=np.float32)
    src = ctypes.create_string_buffer(data)
    fn(src, out.ctypes.data_as(ctypes.c_void_p), n)
    return out


def ggml_dot(name: str, row: bytes, act: bytes, n: int) -> float:
    fn = getattr(cpu, f"ggml_vec_dot_{name}_q8_K")
    fn.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t,
                   ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    res = ctypes.c_float()
    fn(n, ctypes.byref(res), 0, ctypes.create_string_buffer(row), 0, ctypes.create_string_buffer(act), 0, 1)
    return res.value


def q8k(x: np.ndarray) -> bytes:
    ours = ggml_rows("quantize_row_q8_K", cpu, x, Q8K_BYTES)
    ref = ggml_rows("quantize_row_q8_K_ref", base, x, Q8K_BYTES)
    assert ours == ref, "quantize_row_q8_K differs from quantize_row_q8_K_ref on this build"
    return ours


def make_input() -> np.ndarray:
    rng = np.random.default_rng(20250321)
    rows, cols = 4, 768
    x = rng.standard_normal((rows, cols)).astype(np.float32)
    x *= np.array([1.0, 0.02, 30.0, 1.0], dtype=np.float32)[:, None]
    x[0, 32:64] = 0.0                                   # all-zero sub-blocks
    x[0, 64:96] = rng.uniform(0.5, 2.0, 32)             # all-positive sub-block (min > 0)
    x[1, 5] = 3.0                                       # positive outlier
    x[1, 300] = -4.5                                    # negative outlier
    x[2, 600] = 500.0                                   # big outlier
    x[3, 64:96] = 0.375                                 # constant sub-block
    x[3, 128:160] *= np.float32(1e-6)                   # tiny values
    x[3, 256:512] = 0.0                                 # an all-zero super-block
    x[3, 512:544] = rng.integers(-8, 8, 32) * 0.25      # exactly representable grid
    return x.astype(np.float32)


def make_activation(cols: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(cols) * 2).astype(np.float32)
    if cols >= 768:
        # Super-block 1: ties under x * -127 / max with a negative maximum.
        a[256:768 - 256] = rng.standard_normal(256).astype(np.float32) * 0.5
        a[256] = -127.0
        a[257:267] = np.array([2.5, -2.5, 3.5, -3.5, 0.5, -0.5, 1.5, 126.5, -126.5, 64.5], dtype=np.float32)
        a[512:768] = 0.0                                # all-zero super-block
    return a


def main() -> None:
    out = {}
    x = make_input()
    act = make_activation(x.shape[1], 7)
    act_blocks = q8k(act)
    out["activation"] = {"input": b64f(act), "q8_K": b64(act_blocks)}

    synthetic = {"rows": int(x.shape[0]), "cols": int(x.shape[1]), "input": b64f(x), "types": {}}
    for name, (qtype, block_bytes) in K_TYPES.items():
        data = ggml_rows(f"quantize_row_{name}_ref", base, x.reshape(-1), block_bytes)
        back = dequantize(np.frombuffer(data, dtype=np.uint8).reshape(x.shape[0], -1), qtype).reshape(-1)
        ggml_back = ggml_dequantize(name, data, x.size)
        assert back.tobytes() == ggml_back.tobytes(), f"gguf-py and llama.cpp dequantize {name} differently"
        row_bytes = len(data) // x.shape[0]
        dots = [ggml_dot(name, data[r * row_bytes:(r + 1) * row_bytes], act_blocks, x.shape[1]) for r in range(x.shape[0])]
        synthetic["types"][name] = {"quantized": b64(data), "dequantized": b64f(back), "dots": b64f(np.array(dots, dtype=np.float32))}
    out["synthetic"] = synthetic

    path = sys.argv[1] if len(sys.argv) > 1 else os.path.expanduser("~/.cache/edgelm/models/gemma-3-270m-q4_k_m.gguf")
    reader = gguf.GGUFReader(path)
    tensors = {t.name: t for t in reader.tensors}
    gemma = {}
    for tname, rows in (("blk.0.attn_output.weight", (0, 517)), ("blk.0.ffn_down.weight", (3, 639)), ("blk.0.attn_q.weight", (0, 1000))):
        t = tensors[tname]
        cols = int(t.shape[0])
        qname = t.tensor_type.name.lower().replace("_k", "_K")
        data = b"".join(np.ascontiguousarray(t.data[r]).tobytes() for r in rows)
        back = dequantize(np.frombuffer(data, dtype=np.uint8).reshape(len(rows), -1), t.tensor_type).reshape(-1)
        entry = {"type": qname, "cols": cols, "rows": list(rows), "quantized": b64(data), "dequantized": b64f(back)}
        if qname in K_TYPES:
            a = make_activation(cols, 11)
            ab = q8k(a)
            row_bytes = len(data) // len(rows)
            dots = [ggml_dot(qname, data[i * row_bytes:(i + 1) * row_bytes], ab, cols) for i in range(len(rows))]
            entry.update({"activation": b64f(a), "q8_K": b64(ab), "dots": b64f(np.array(dots, dtype=np.float32))})
        gemma[tname] = entry
    out["gemma"] = gemma

    dest = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kquant_blocks.json")
    with open(dest, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {dest} ({os.path.getsize(dest)} bytes)")


if __name__ == "__main__":
    main()
