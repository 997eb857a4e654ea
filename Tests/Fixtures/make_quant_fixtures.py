#!/usr/bin/env python3
"""Writes Tests/Fixtures/quant_blocks.json: reference quantized blocks made by
the `gguf` package (gguf-py, llama.cpp's own Python quantizers, which mirror
ggml's quantize_row_*_ref bit for bit) for QuantTests.

For a fixed seeded input of 4 rows x 256 floats with varied magnitudes (a zero
block, a constant block, outliers of both signs, values that are subnormal or
overflow in binary16) it stores, for each of q4_0, q4_1, q5_0, q5_1, q8_0, f16
and bf16: the quantized bytes and gguf's dequantization of them. Floats are
stored as hex of little-endian float32 so they round-trip exactly.

Run: python3 Tests/Fixtures/make_quant_fixtures.py   (needs: pip install gguf numpy)
"""
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


def main() -> None:
    x = make_input()
    types = {
        "q4_0": T.Q4_0, "q4_1": T.Q4_1, "q5_0": T.Q5_0, "q5_1": T.Q5_1,
        "q8_0": T.Q8_0, "f16": T.F16, "bf16": T.BF16,
    }
    out = {"rows": int(x.shape[0]), "cols": int(x.shape[1]), "input": hexf32(x), "types": {}}
    for name, qtype in types.items():
        q = np.ascontiguousarray(quantize(x, qtype))
        raw = q.view(np.uint8).tobytes()
        back = dequantize(q.view(np.uint8).reshape(x.shape[0], -1), qtype)
        out["types"][name] = {"quantized": raw.hex(), "dequantized": hexf32(back.reshape(-1))}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quant_blocks.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
