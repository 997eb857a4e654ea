#!/usr/bin/env python3
"""Bad input never crashes or hangs the runtime: seeded random damage to a
real model file and to a valid JSON config, each run through the shipped
CLI (the Embedded build, so the library users link).

Each case must end on its own within the timeout with exit 0 (the damage
was harmless) or a small nonzero exit and an `error:` line on stderr; a
signal (SIGSEGV, SIGBUS, SIGILL from a Swift trap), an exit without a
message or a hang fails the test and prints the seed and the damage, so the
case can be replayed.

Cases, `-n` of each kind (seed fixed, so every run checks the same files):
  header:   1-8 bytes of the GGUF header, metadata or tensor infos replaced
            (a third in the first 4 KiB, a third in the last 32 KiB before
            the tensor data, where the tensor infos are, a third anywhere
            before it); `info` and a 2-token `run` on the damaged file.
  truncate: the file cut at a random length (header, metadata, tensor
            infos, tensor data); `run` must refuse it before mapping past
            the end (a read there would be SIGBUS).
  config:   1-4 bytes of a valid config replaced, deleted or inserted;
            `run --config` with the damaged file.

    Tests/fuzz/mutations.py BUILD_DIR MODEL [-n 300] [--seed 1]
"""
import argparse
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile

CONFIG = b"""{
  "context_length": 256,
  "threads": 2,
  "ram_limit": "48MiB",
  "paging": "auto",
  "prefetch_depth": 2,
  "kv_cache_type": "f16",
  "sampling": {"temperature": 0.7, "top_k": 40, "top_p": 0.9, "min_p": 0.05, "repeat_penalty": 1.1, "seed": 7},
  "speculative": {"mode": "ngram", "max_draft": 8, "min_draft_probability": 0.5, "ngram_min": 2, "ngram_max": 4}
}
"""


def data_offset(path):
    """Where a well-formed GGUF file's tensor data begins (GGUF v2/v3)."""
    with open(path, "rb") as f:
        blob = f.read(16 << 20)
    at = 0

    def take(fmt):
        nonlocal at
        v = struct.unpack_from("<" + fmt, blob, at)
        at += struct.calcsize("<" + fmt)
        return v[0]

    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def skip_value(t):
        nonlocal at
        if t == 8:
            n = take("Q")  # (not `at += take(...)`: that adds to the old `at`)
            at += n
        elif t == 9:
            inner, count = take("I"), take("Q")
            for _ in range(count):
                skip_value(inner)
        else:
            at += sizes[t]

    assert blob[:4] == b"GGUF"
    at = 4
    take("I")
    tensors, kvs = take("Q"), take("Q")
    alignment = 32
    for _ in range(kvs):
        n = take("Q")
        key = blob[at:at + n]
        at += n
        t = take("I")
        if key == b"general.alignment":
            alignment = struct.unpack_from("<I", blob, at)[0]
        skip_value(t)
    for _ in range(tensors):
        n = take("Q")
        at += n
        dims = take("I")
        at += 8 * dims + 4 + 8
    return (at + alignment - 1) // alignment * alignment


def run(binary, args, timeout):
    """(verdict or None, exit code, stderr tail) of one CLI run."""
    try:
        r = subprocess.run([binary] + args, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "hang", None, b""
    tail = r.stderr[-400:]
    if r.returncode < 0:
        return f"signal {signal.Signals(-r.returncode).name}", r.returncode, tail
    if r.returncode >= 128:
        return f"exit {r.returncode} (a signal?)", r.returncode, tail
    if r.returncode != 0 and b"error:" not in r.stderr:
        return "failed without an error message", r.returncode, tail
    return None, r.returncode, tail


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("model")
    ap.add_argument("-n", type=int, default=300, help="cases of each kind")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    binary = os.path.join(a.build, "edgelm")
    rng = random.Random(a.seed)
    size = os.path.getsize(a.model)
    data = data_offset(a.model)
    failures = 0
    counts = {}

    def check(kind, case, damage, args):
        nonlocal failures
        verdict, code, tail = run(binary, args, a.timeout)
        tally = counts.setdefault(kind, {"ok": 0, "refused": 0})
        tally["ok" if code == 0 else "refused"] += 1
        if verdict:
            failures += 1
            print(f"FAIL: {kind} case {case} (seed {a.seed}): {verdict}; damage {damage}; "
                  f"{' '.join(args[:3])}\n  {tail.decode(errors='replace').strip()}")

    with tempfile.TemporaryDirectory() as tmp:
        # The undamaged model and config must run, or every case below
        # would pass by being refused.
        config = os.path.join(tmp, "config.json")
        with open(config, "wb") as f:
            f.write(CONFIG)
        _, code, tail = run(binary, ["run", "-m", a.model, "--config", config, "-p", "Hello", "-n", "2"], a.timeout)
        if code != 0:
            print(f"FAIL: the undamaged model and config do not run (exit {code}): {tail.decode(errors='replace')}")
            return 1
        damaged = os.path.join(tmp, "damaged.gguf")
        shutil.copyfile(a.model, damaged)
        prompt = ["-p", "Hello there", "-n", "2", "-t", "2", "--temp", "0", "-c", "128"]
        for case in range(a.n):
            patches = []
            with open(damaged, "r+b") as f:
                for _ in range(rng.choice([1, 1, 2, 4, 8])):
                    u = rng.random()
                    if u < 1 / 3:
                        off = rng.randrange(min(4096, data))
                    elif u < 2 / 3:
                        off = rng.randrange(max(0, data - 32768), data)
                    else:
                        off = rng.randrange(data)
                    f.seek(off)
                    old = f.read(1)
                    new = rng.choice([0, 0xFF, 0x7F, 0x80, rng.randrange(256), old[0] ^ (1 << rng.randrange(8))])
                    f.seek(off)
                    f.write(bytes([new]))
                    patches.append((off, old[0], new))
            check("header", case, patches, ["info", "-m", damaged])
            check("header", case, patches, ["run", "-m", damaged] + prompt)
            with open(damaged, "r+b") as f:
                for off, old, _ in reversed(patches):
                    f.seek(off)
                    f.write(bytes([old]))

        truncated = os.path.join(tmp, "truncated.gguf")
        for case in range(max(4, a.n // 20)):
            # Half inside the header and tensor infos, half in the data.
            cut = rng.randrange(data) if case % 2 == 0 else rng.randrange(data, size)
            with open(a.model, "rb") as src, open(truncated, "wb") as dst:
                left = cut
                while left > 0:
                    chunk = src.read(min(left, 8 << 20))
                    dst.write(chunk)
                    left -= len(chunk)
            check("truncate", case, f"cut at {cut} of {size}", ["run", "-m", truncated] + prompt)

        for case in range(a.n):
            text = bytearray(CONFIG)
            edits = []
            for _ in range(rng.choice([1, 1, 2, 4])):
                off = rng.randrange(len(text))
                op = rng.choice(["replace", "delete", "insert"])
                byte = rng.choice([ord(c) for c in '{}[]",:0-9.eE+-ntfu\\ '] + [0, 0xFF, rng.randrange(256)])
                if op == "replace":
                    text[off] = byte
                elif op == "delete":
                    del text[off]
                else:
                    text.insert(off, byte)
                edits.append((op, off, byte))
            with open(config, "wb") as f:
                f.write(text)
            check("config", case, edits, ["run", "-m", a.model, "--config", config, "-p", "Hello there", "-n", "2"])

    summary = ", ".join(f"{k}: {v['ok']} ran, {v['refused']} refused" for k, v in counts.items())
    print(f"mutations: {summary}; {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
