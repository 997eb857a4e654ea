#!/usr/bin/env python3
"""Writes the GGUF cross-check fixture with the reference implementation.

Uses the `gguf` PyPI package (gguf-py from llama.cpp, tested with 0.19.0):
its GGUFWriter writes Tests/Fixtures/gguf_python_writer.gguf (every metadata
value type, nested arrays, a custom alignment, tensors of several types and
ranks) and this script records what it wrote in gguf_python_writer.json.
GGUFTests reads the .gguf with EdgeLM's reader and compares it with the JSON.

Values in the JSON use a canonical text form that both sides can produce
exactly:
  integers  "<type>:<decimal>"          e.g. "uint64:18446744073709551615"
  floats    "<type>:<hex bit pattern>"  e.g. "float32:3e200000"
  bool      "bool:true" / "bool:false"
  string    "string:<hex of the bytes>"
  array     "array<elemtype>[v1,v2,...]" (elements in the same form)

Run from the repository root:  python3 Tests/Fixtures/make_gguf_fixture.py
"""
import importlib.metadata
import json
import os
import struct

import numpy as np
import gguf
from gguf import GGUFValueType as VT, GGMLQuantizationType as QT

HERE = os.path.dirname(os.path.abspath(__file__))
GGUF_PATH = os.path.join(HERE, "gguf_python_writer.gguf")
JSON_PATH = os.path.join(HERE, "gguf_python_writer.json")
ALIGNMENT = 64


def infer_type(v):
    """The element type gguf-py's writer infers for a Python value."""
    return VT.get_type(v)


def canon(v, vtype, sub_type=None):
    name = vtype.name.lower()
    if vtype in (VT.UINT8, VT.INT8, VT.UINT16, VT.INT16, VT.UINT32, VT.INT32, VT.UINT64, VT.INT64):
        return f"{name}:{int(v)}"
    if vtype == VT.FLOAT32:
        return "float32:%08x" % struct.unpack("<I", struct.pack("<f", v))[0]
    if vtype == VT.FLOAT64:
        return "float64:%016x" % struct.unpack("<Q", struct.pack("<d", v))[0]
    if vtype == VT.BOOL:
        return "bool:true" if v else "bool:false"
    if vtype == VT.STRING:
        b = v.encode("utf-8") if isinstance(v, str) else bytes(v)
        return "string:" + b.hex()
    if vtype == VT.ARRAY:
        elem = sub_type if sub_type is not None else infer_type(v[0])
        return f"array<{elem.name.lower()}>[" + ",".join(canon(x, elem) for x in v) + "]"
    raise ValueError(vtype)


# (key, type, value, array element type or None) in the order written.
METADATA = [
    ("test.uint8", VT.UINT8, 200, None),
    ("test.int8", VT.INT8, -100, None),
    ("test.uint16", VT.UINT16, 60000, None),
    ("test.int16", VT.INT16, -30000, None),
    ("test.uint32", VT.UINT32, 4000000000, None),
    ("test.int32", VT.INT32, -2000000000, None),
    ("test.float32", VT.FLOAT32, 3.14159, None),
    ("test.bool_true", VT.BOOL, True, None),
    ("test.bool_false", VT.BOOL, False, None),
    ("test.string", VT.STRING, "h\u00e9llo w\u00f6rld \u2713 <|im_start|>", None),
    ("test.uint64", VT.UINT64, 18446744073709551615, None),
    ("test.int64", VT.INT64, -9223372036854775808, None),
    ("test.float64", VT.FLOAT64, 2.718281828459045, None),
    ("test.array.string", VT.ARRAY, ["a", "", "\u00fc\u00df", "<|endoftext|>", " \u0120t"], VT.STRING),
    ("test.array.uint8", VT.ARRAY, [0, 1, 255], VT.UINT8),
    ("test.array.int8", VT.ARRAY, [-128, 0, 127], VT.INT8),
    ("test.array.uint16", VT.ARRAY, [0, 65535], VT.UINT16),
    ("test.array.int16", VT.ARRAY, [-32768, 32767], VT.INT16),
    ("test.array.uint32", VT.ARRAY, [1, 4294967295], VT.UINT32),
    ("test.array.int32", VT.ARRAY, [-1, 2, -3, 2147483647], VT.INT32),
    ("test.array.float32", VT.ARRAY, [0.5, -1.25, 1e-6, 65504.0], VT.FLOAT32),
    ("test.array.bool", VT.ARRAY, [True, False, True], VT.BOOL),
    ("test.array.uint64", VT.ARRAY, [0, 18446744073709551615], VT.UINT64),
    ("test.array.int64", VT.ARRAY, [-9223372036854775808, 9223372036854775807], VT.INT64),
    ("test.array.float64", VT.ARRAY, [0.1, -2.5e300], VT.FLOAT64),
    ("test.array.nested_int", VT.ARRAY, [[1, 2], [3]], VT.ARRAY),
    ("test.array.nested_string", VT.ARRAY, [["x", "yz"], ["w"]], VT.ARRAY),
    ("test.array.nested3", VT.ARRAY, [[[1.5]], [[2.5, 3.5]]], VT.ARRAY),
    ("tinytest.block_count", VT.UINT32, 2, None),
]


def tensors():
    rng = np.random.default_rng(1234)
    f32 = rng.standard_normal((3, 8)).astype(np.float32)            # ggml dims [8, 3]
    f16 = rng.standard_normal((2, 16)).astype(np.float16)           # [16, 2]
    q8 = gguf.quants.quantize(rng.standard_normal((2, 64)).astype(np.float32), QT.Q8_0)  # [64, 2]
    q41 = gguf.quants.quantize(rng.standard_normal((1, 32)).astype(np.float32), QT.Q4_1)  # [32, 1]
    i32 = np.arange(-2, 3, dtype=np.int32)                           # [5]
    f4d = rng.standard_normal((2, 1, 3, 4)).astype(np.float32)      # [4, 3, 1, 2]
    return [
        ("t.f32", f32, None),
        ("t.f16", f16, None),
        ("t.q8_0", q8, QT.Q8_0),
        ("t.q4_1", q41, QT.Q4_1),
        ("t.i32", i32, None),
        ("t.f32_4d", f4d, None),
    ]


def main():
    w = gguf.GGUFWriter(GGUF_PATH, "tinytest")
    w.add_custom_alignment(ALIGNMENT)
    for key, vtype, value, sub in METADATA:
        w.add_key_value(key, value, vtype, sub_type=sub)
    ts = tensors()
    for name, array, raw in ts:
        w.add_tensor(name, array, raw_dtype=raw)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    expected_kv = [("general.architecture", canon("tinytest", VT.STRING)),
                   ("general.alignment", canon(ALIGNMENT, VT.UINT32))]
    expected_kv += [(k, canon(v, t, s)) for k, t, v, s in METADATA]

    # Cross-check with gguf-py's own reader before recording anything.
    r = gguf.GGUFReader(GGUF_PATH)
    keys = [k for k in r.fields if not k.startswith("GGUF.")]
    assert keys == [k for k, _ in expected_kv], keys
    assert r.alignment == ALIGNMENT
    out_tensors = []
    for (name, array, raw), t in zip(ts, r.tensors):
        assert t.name == name
        data = bytes(np.ascontiguousarray(array).tobytes())
        assert bytes(t.data.tobytes()) == data, name
        out_tensors.append({
            "name": name,
            "dims": [int(d) for d in t.shape],          # ggml order (ne0 first)
            "type": int(t.tensor_type),
            "offset": int(t.data_offset - r.data_offset),
            "byte_count": int(t.n_bytes),
            "data_hex": data.hex(),
        })
    doc = {
        "generator": f"gguf-py {importlib.metadata.version('gguf')} GGUFWriter",
        "version": 3,
        "alignment": ALIGNMENT,
        "data_offset": int(r.data_offset),
        "file_size": os.path.getsize(GGUF_PATH),
        "metadata": [{"key": k, "value": v} for k, v in expected_kv],
        "tensors": out_tensors,
    }
    with open(JSON_PATH, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {GGUF_PATH} ({doc['file_size']} bytes) and {JSON_PATH}")


if __name__ == "__main__":
    main()
