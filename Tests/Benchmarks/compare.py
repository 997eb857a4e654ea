#!/usr/bin/env python3
"""EdgeLM beside llama.cpp on the same GGUF and thread count, in one run.

llama.cpp is driven through llama-cpp-python's low-level API the way
llama-bench measures: pp = one batch of P random tokens into an empty cache,
tg = N single-token decodes from an empty cache; a warm-up, then R
repetitions. The two runtimes alternate repetition by repetition so drift on
a noisy machine hits both alike. Prints medians and the ratio EdgeLM/llama.cpp.

    python3 Tests/Benchmarks/compare.py --edgelm build/host/edgelm \
        --model ~/.cache/edgelm/models/SmolLM2-135M-Instruct.Q4_1.gguf --threads 2
"""
import argparse
import ctypes
import json
import random
import statistics
import subprocess
import time

import llama_cpp


class LlamaCpp:
    def __init__(self, model, threads, n_ctx, n_batch):
        llama_cpp.llama_backend_init()
        mp = llama_cpp.llama_model_default_params()
        self.model = llama_cpp.llama_model_load_from_file(model.encode(), mp)
        cp = llama_cpp.llama_context_default_params()
        cp.n_ctx = n_ctx
        cp.n_batch = n_batch
        cp.n_ubatch = n_batch
        cp.n_threads = threads
        cp.n_threads_batch = threads
        self.ctx = llama_cpp.llama_init_from_model(self.model, cp)
        self.vocab = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(self.model))

    def clear(self):
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self.ctx), True)

    def decode(self, tokens):
        arr = (llama_cpp.llama_token * len(tokens))(*tokens)
        batch = llama_cpp.llama_batch_get_one(arr, len(tokens))
        if llama_cpp.llama_decode(self.ctx, batch) != 0:
            raise RuntimeError("llama_decode failed")
        llama_cpp.llama_synchronize(self.ctx)

    def pp(self, n, rng):
        self.clear()
        tokens = [rng.randrange(self.vocab) for _ in range(n)]
        t0 = time.perf_counter()
        self.decode(tokens)
        return n / (time.perf_counter() - t0)

    def tg(self, n, rng):
        self.clear()
        tok = rng.randrange(self.vocab)
        t0 = time.perf_counter()
        for _ in range(n):
            self.decode([tok])
            tok = rng.randrange(self.vocab)
        return n / (time.perf_counter() - t0)


def edgelm_run(binary, model, threads, p, n):
    """One edgelm bench repetition (its own warm-up included); t/s per test."""
    out = subprocess.run([binary, "bench", "-m", model, "-t", str(threads), "-p", str(p),
                          "-n", str(n), "-r", "1", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return {r["test"]: r["avg_ts"] for r in json.loads(out)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edgelm", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("-p", type=int, default=128)
    ap.add_argument("-n", type=int, default=64)
    ap.add_argument("-r", type=int, default=5)
    args = ap.parse_args()

    rng = random.Random(1234)
    ref = LlamaCpp(args.model, args.threads, n_ctx=max(512, args.p + args.n + 8), n_batch=max(args.p, 32))
    ref.pp(args.p, rng)  # warm-up
    ref.tg(8, rng)
    results = {"llama.cpp": {"pp": [], "tg": []}, "edgelm": {"pp": [], "tg": []}}
    for _ in range(args.r):
        e = edgelm_run(args.edgelm, args.model, args.threads, args.p, args.n)
        results["edgelm"]["pp"].append(e[f"pp{args.p}"])
        results["edgelm"]["tg"].append(e[f"tg{args.n}"])
        results["llama.cpp"]["pp"].append(ref.pp(args.p, rng))
        results["llama.cpp"]["tg"].append(ref.tg(args.n, rng))

    print(f"model {args.model}, {args.threads} threads, medians of {args.r} alternating runs")
    print(f"| test | llama.cpp t/s | EdgeLM t/s | ratio |")
    print(f"| --- | ---: | ---: | ---: |")
    for test, label in (("pp", f"pp{args.p}"), ("tg", f"tg{args.n}")):
        a = statistics.median(results["llama.cpp"][test])
        b = statistics.median(results["edgelm"][test])
        print(f"| {label} | {a:.1f} | {b:.1f} | {b / a:.2f}x |")


if __name__ == "__main__":
    main()
