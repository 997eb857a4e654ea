#!/usr/bin/env python3
"""Writes Tests/Fixtures/quant_blocks.json: reference quantized blocks made by
the `gguf` package (gguf-py, llama.cpp's own Python quantizers, which mirror
ggml's quantize_row_*_ref bit for bit) for QuantTests.

For a fixed seeded input of 4 rows x 256 floats with varied magnitudes (a zero
block, a constant block, outliers of both signs, values that are subnormal or
overflow in binary16) it stores, for each of q4_0, q4_1, q5_0, q5_1, q8_0, f16
and bf16: the quantized bytes and gguf's dequantization of them. Floats are
stored as hex of little-endian float32 so they round-trip exactly.

It also writes Tests/Fixtures/quant_llamacpp.json from llama.cpp itself (the
libggml-cpu.so that llama-cpp-python builds for this CPU, called through
ctypes): the q8_0/q8_1 activation blocks of llama.cpp's quantize_row_q8_0 /
quantize_row_q8_1 (the x86 AVX2 versions on this machine) for a seeded input,
and ggml_vec_dot_<type>_<vec_dot_type> of the gguf-quantized rows above with
them. Skipped with a note if llama_cpp is not installed.

Run: python3 Tests/Fixtures/make_quant_fixtures.py
     (needs: pip install gguf numpy; optionally llama-cpp-python)
"""
import ctypes
import glob
import json
import os

import numpy as np
from gguf.constants import GGMLQuantizationType as T
from gguf.quants import dequantize, quantize


def make_input() -> np.ndarray:
    rng = np.random.default_rng(20240607)
    rows, cols = 4, 256
    x = rng.standard_normal((rows, cols)).astype(np.float32)
    x *= np.array([1.0, 0.02, 30.0, 1.0], dtype=np.float32)[:, None]  # varied magnitudes
    x[0, 32:64] = 0.0                                  # an all-zero block
    x[0, 64:96] = rng.uniform(0.5, 2.0, 32)            # an all-positive block
    x[1, 5] = 3.0                                      # positive outlier
    x[1, 100] = -4.5                                   # negative outlier (q4_0's max is negative)
    x[2, 200] = 70000.0                                # overflows binary16
    x[3, 64:96] = 0.375                                # constant block: q4_1's d is 0
    x[3, 128:160] *= np.float32(1e-6)                  # binary16 subnormals
    x[3, 160:192] = rng.integers(-8, 8, 32) * 0.25     # exactly representable grid
    return x.astype(np.float32)


def hexf32(a: np.ndarray) -> str:
    return np.ascontiguousarray(a, dtype="<f4").tobytes().hex()


def llamacpp_fixture(x: np.ndarray, quantized: dict) -> dict | None:
    try:
        import llama_cpp
    except ImportError:
        return None
    libdir = os.path.join(os.path.dirname(llama_cpp.__file__), "lib")
    ctypes.CDLL(glob.glob(os.path.join(libdir, "libggml-base.so*"))[0], mode=ctypes.RTLD_GLOBAL)
    cpu = ctypes.CDLL(glob.glob(os.path.join(libdir, "libggml-cpu.so*"))[0])
    cpu.ggml_cpu_init()
    rng = np.random.default_rng(7)
    cols = x.shape[1]
    act = (rng.standard_normal(cols) * 2).astype(np.float32)
    act[0:32] = 0.0                                              # zero block
    act[32:64] = np.array([127, 2.5, -2.5, 3.5, -3.5, 0.5, -0.5, 1.5] + [0.25] * 24, dtype=np.float32)  # ties
    act[64:96] *= np.float32(1000)                               # large block
    out = {"activation": hexf32(act), "activation_blocks": {}, "dots": {}}
    fptr = act.ctypes.data_as(ctypes.c_void_p)
    for name, fn, size in (("q8_0", cpu.quantize_row_q8_0, 34), ("q8_1", cpu.quantize_row_q8_1, 36)):
        buf = (ctypes.c_uint8 * (cols // 32 * size))()
        fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        fn(fptr, buf, cols)
        out["activation_blocks"][name] = bytes(buf).hex()
    dots = {"q4_0": "q8_0", "q4_1": "q8_1", "q5_0": "q8_0", "q5_1": "q8_1", "q8_0": "q8_0"}
    for wname, aname in dots.items():
        fn = getattr(cpu, f"ggml_vec_dot_{wname}_{aname}")
        fn.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t,
                       ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        a = bytes.fromhex(out["activation_blocks"][aname])
        w = quantized[wname]
        row_bytes = len(w) // x.shape[0]
        results = []
        for r in range(x.shape[0]):
            res = ctypes.c_float()
            wrow = ctypes.create_string_buffer(w[r * row_bytes:(r + 1) * row_bytes])
            abuf = ctypes.create_string_buffer(a)
            fn(cols, ctypes.byref(res), 0, wrow, 0, abuf, 0, 1)
            results.append(res.value)
        out["dots"][wname] = hexf32(np.array(results, dtype=np.float32))
    return out


def main() -> None:
    x = make_input()
    types = {
        "q4_0": T.Q4_0, "q4_1": T.Q4_1, "q5_0": T.Q5_0, "q5_1": T.Q5_1,
        "q8_0": T.Q8_0, "f16": T.F16, "bf16": T.BF16,
    }
    out = {"rows": int(x.shape[0]), "cols": int(x.shape[1]), "input": hexf32(x), "types": {}}
    quantized = {}
    for name, qtype in types.items():
        q = np.ascontiguousarray(quantize(x, qtype))
        raw = q.view(np.uint8).tobytes()
        quantized[name] = raw
        back = dequantize(q.view(np.uint8).reshape(x.shape[0], -1), qtype)
        out["types"][name] = {"quantized": raw.hex(), "dequantized": hexf32(back.reshape(-1))}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quant_blocks.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")

    ggml = llamacpp_fixture(x, quantized)
    if ggml is None:
        print("llama_cpp not installed: quant_llamacpp.json left as it is")
        return
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quant_llamacpp.json")
    with open(path, "w") as f:
        json.dump(ggml, f, indent=1)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
