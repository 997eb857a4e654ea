#!/usr/bin/env python3
"""Decode speed under a RAM cap (not a test: prints a table).

For each cap (none, then percentages of the model file's size) and page-cache
state:
  warm: `edgelm bench -p 0 -n N --json` (llama-bench style: a warm-up, then
        3 timed decodes of N tokens); the median over K runs of their means.
  cold: the file is evicted from the page cache (posix_fadvise DONTNEED)
        before each `edgelm run` of N greedy tokens; medians of K runs of
        the prompt and decode speeds. (Streamed weights stay in the page
        cache after their first read, so "cold" mostly costs the first pass.)
The K repetitions alternate between the points (side by side). Reported:
decode t/s and its ratio to uncapped (the median of the per-repetition
ratios), peak RSS (VmHWM of the
process), bytes read from storage per generated token (/proc/self/io
read_bytes: page-cache misses only), bytes of weights mapped per token and
the time stalled mapping them.

Usage: Tests/Benchmarks/paging.py [--cli build/host/edgelm] [--model M]
       [--caps 50,25] [-t 2] [-c 256] [-n 64] [-k 3]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

PROMPT = ("<|im_start|>user\nWrite a short poem about a robot learning to paint.<|im_end|>\n"
          "<|im_start|>assistant\n")


def evict(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def warm(args, cap):
    """One `edgelm bench` run: a warm-up, then 3 timed decodes of N tokens."""
    out = subprocess.run(
        [args.cli, "bench", "-m", args.model, "-p", "0", "-n", str(args.n), "-r", "3",
         "-c", str(args.c), "-t", str(args.t), "--json", "--ram-limit", str(cap)],
        check=True, capture_output=True, text=True).stdout
    r = json.loads(out)[0]
    return {"tg": r["avg_ts"], "peak": r["peak_rss_bytes"], "read_per_token": r["read_bytes_per_token"],
            "streamed_per_token": r["streamed_bytes_per_token"], "stall_ms_per_token": r["stall_ms_per_token"]}


def cold(args, cap):
    """One `edgelm run` of N greedy tokens after evicting the file."""
    evict(args.model)
    err = subprocess.run(
        [args.cli, "run", "-m", args.model, "-p", PROMPT, "-n", str(args.n), "--temp", "0",
         "-c", str(args.c), "-t", str(args.t), "--ram-limit", str(cap)],
        check=True, capture_output=True, text=True).stderr
    m = re.search(r"prompt: (\d+) tokens, ([\d.]+) t/s; generated: (\d+) tokens, ([\d.]+) t/s", err)
    mem = re.search(r"peak_rss_bytes (\d+).*storage read ([\d.]+) MiB \((\d+) bytes per generated token\)"
                    r".*streamed ([\d.]+) MiB per generated token; stalled on weights ([\d.]+) ms", err)
    return {"pp": float(m.group(2)), "tg": float(m.group(4)),
            "peak": int(mem.group(1)), "read_per_token": int(mem.group(3)),
            "streamed_per_token": float(mem.group(4)) * 1048576,
            "stall_ms_per_token": float(mem.group(5)) / max(1, int(m.group(3)))}


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = argparse.ArgumentParser()
    p.add_argument("--cli", default=os.path.join(root, "build/host/edgelm"))
    p.add_argument("--model", default=os.path.expanduser(
        os.path.join(os.environ.get("EDGELM_MODEL_DIR", "~/.cache/edgelm/models"),
                     "SmolLM2-135M-Instruct.Q4_1.gguf")))
    p.add_argument("--caps", default="100,50,25", help="percentages of the file size")
    p.add_argument("-t", type=int, default=1)
    p.add_argument("-c", type=int, default=256)
    p.add_argument("-n", type=int, default=64)
    p.add_argument("-k", type=int, default=3, help="runs per point (median)")
    p.add_argument("--no-cold", action="store_true")
    args = p.parse_args()
    size = os.path.getsize(args.model)
    caps = [(0, "none")] + [(size * int(x) // 100, f"{x}%") for x in args.caps.split(",")]
    mib = lambda b: f"{b / 1048576:.1f}"
    print(f"model {os.path.basename(args.model)} ({mib(size)} MiB), threads {args.t}, context {args.c}, "
          f"{args.n} tokens, median of {args.k}")
    print("| cap | cache | decode t/s | vs uncapped | prompt t/s | peak RSS MiB | read/token | "
          "streamed MiB/token | stall ms/token |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    # Side by side: every repetition runs every point, so a slow spell of
    # the machine hits capped and uncapped alike; each ratio is taken within
    # its repetition, then the medians are reported.
    modes = ["warm"] + ([] if args.no_cold else ["cold"])
    runs = {(label, mode): [] for _, label in caps for mode in modes}
    for _ in range(args.k):
        for cap, label in caps:
            for mode in modes:
                r = warm(args, cap) if mode == "warm" else cold(args, cap)
                runs[(label, mode)].append(r)
    for _, label in caps:
        for mode in modes:
            rs = runs[(label, mode)]
            med = lambda key: statistics.median(r[key] for r in rs)
            ratio = statistics.median(r["tg"] / b["tg"] for r, b in zip(rs, runs[("none", mode)]))
            pp = f"{med('pp'):.1f}" if "pp" in rs[0] else "-"
            print(f"| {label} | {mode} | {med('tg'):.1f} | {ratio:.2f} | {pp} | {mib(med('peak'))} | "
                  f"{int(med('read_per_token'))} B | {mib(med('streamed_per_token'))} | "
                  f"{med('stall_ms_per_token'):.2f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
