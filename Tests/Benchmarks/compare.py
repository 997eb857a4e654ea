#!/usr/bin/env python3
"""EdgeLM beside llama.cpp on the same GGUF and thread count, in one run.

llama.cpp is driven through llama-cpp-python's low-level API the way
llama-bench measures: pp = one batch of P random tokens into an empty cache,
tg = N single-token decodes from an empty cache; a warm-up, then R
repetitions. The two runtimes alternate repetition by repetition so drift on
a noisy machine hits both alike. Prints medians and the ratio EdgeLM/llama.cpp.

Then, whole processes (unless --no-process): time to first token from a cold
process start for a 32-token prompt (`edgelm run -n 1` beside
llama_first_token.c, the same job as a native llama.cpp program; the clock
runs from spawning the process to the first byte it writes; page cache warm,
and cold after posix_fadvise(DONTNEED) of the model file), and the peak RSS
(VmHWM) of each generating 64 tokens at context 2048.

    python3 Tests/Benchmarks/compare.py --edgelm build/host/edgelm \
        --model ~/.cache/edgelm/models/SmolLM2-135M-Instruct.Q4_1.gguf --threads 2
"""
import argparse
import ctypes
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
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


def build_llama_program(workdir):
    """Compiles llama_first_token.c against llama-cpp-python's libllama."""
    pkg = os.path.dirname(llama_cpp.__file__)
    include = os.path.join(os.path.dirname(pkg), "include")
    lib = os.path.join(pkg, "lib")
    out = os.path.join(workdir, "llama_first_token")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "llama_first_token.c")
    subprocess.run(["gcc", "-O2", "-o", out, src, f"-I{include}", f"-L{lib}", "-lllama",
                    f"-Wl,-rpath,{lib}"], check=True)
    return out


def evict(path):
    """Drops the file's pages from the page cache (a cold start)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def first_byte(cmd):
    """Seconds from spawning cmd to its first byte on stdout, and its stderr."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    proc.stdout.read(1)
    t = time.perf_counter() - t0
    proc.stdout.read()
    err = proc.stderr.read().decode()
    if proc.wait() != 0:
        raise RuntimeError(f"{cmd[0]} failed: {err}")
    return t, err


def peak_rss(stderr):
    for word, value in zip(stderr.split(), stderr.split()[1:]):
        if word == "peak_rss_bytes":
            return int(value.rstrip(","))
    raise RuntimeError("no peak_rss_bytes in: " + stderr)


def prompt_of(ref, tokens):
    """A text that tokenizes (with BOS when the model adds one) to `tokens` ids."""
    words = ("The old lighthouse keeper climbed the stairs every evening to light the lamp, "
             "watching ships pass through the narrow strait while storms gathered over the "
             "distant hills and the village below slowly fell asleep under a sky full of stars").split()
    vocab = llama_cpp.llama_model_get_vocab(ref.model)
    buf = (llama_cpp.llama_token * 512)()
    text = ""
    for w in words:
        candidate = (text + " " + w).strip()
        n = llama_cpp.llama_tokenize(vocab, candidate.encode(), len(candidate.encode()), buf, 512, True, True)
        if n > tokens:
            break
        text = candidate
        if n == tokens:
            return text
    raise RuntimeError(f"cannot make a prompt of exactly {tokens} tokens")


def process_benchmarks(args, ref):
    with tempfile.TemporaryDirectory() as work:
        llama_program = build_llama_program(work)
        prompt_file = os.path.join(work, "prompt.txt")
        with open(prompt_file, "w") as f:
            f.write(prompt_of(ref, 32))
        t = str(args.threads)
        edgelm = lambda n, c: [args.edgelm, "run", "-m", args.model, "-f", prompt_file, "-n", str(n),
                               "-c", str(c), "-t", t, "--temp", "0"]
        llama = lambda n, c: [llama_program, args.model, prompt_file, str(n), str(c), t]
        rows = []
        for cold in (False, True):
            times = {"llama.cpp": [], "edgelm": []}
            for _ in range(args.r):
                for name, cmd in (("edgelm", edgelm(1, 512)), ("llama.cpp", llama(1, 512))):
                    if cold:
                        evict(args.model)
                    times[name].append(first_byte(cmd)[0] * 1000)
            rows.append((f"first token, 32-token prompt, {'cold' if cold else 'warm'} page cache (ms)",
                         statistics.median(times["llama.cpp"]), statistics.median(times["edgelm"])))
        rss = {"llama.cpp": [], "edgelm": []}
        for _ in range(args.r):
            for name, cmd in (("edgelm", edgelm(64, 2048)), ("llama.cpp", llama(64, 2048))):
                rss[name].append(peak_rss(first_byte(cmd)[1]) / 1048576)
        rows.append(("peak RSS, context 2048, 64 tokens (MiB)",
                     statistics.median(rss["llama.cpp"]), statistics.median(rss["edgelm"])))
    print()
    print("| whole process | llama.cpp | EdgeLM | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for label, a, b in rows:
        print(f"| {label} | {a:.1f} | {b:.1f} | {b / a:.2f}x |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edgelm", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("-p", type=int, default=128)
    ap.add_argument("-n", type=int, default=64)
    ap.add_argument("-r", type=int, default=5)
    ap.add_argument("--no-process", action="store_true", help="skip first-token and RSS runs")
    ap.add_argument("--process-only", action="store_true", help="only first-token and RSS runs")
    args = ap.parse_args()

    rng = random.Random(1234)
    ref = LlamaCpp(args.model, args.threads, n_ctx=max(512, args.p + args.n + 8), n_batch=max(args.p, 32))
    if args.process_only:
        process_benchmarks(args, ref)
        return
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
    if not args.no_process:
        process_benchmarks(args, ref)


if __name__ == "__main__":
    main()
