#!/usr/bin/env python3
"""Speculative decoding, EdgeLM beside llama.cpp, in one run.

For each case: plain greedy decoding of the target and speculative decoding
(draft model, n-gram lookup or self-speculative), 128 generated tokens, 2
threads, several prompts, runs alternating so machine drift hits all alike.
Prints decode t/s (after the prompt) and the speedup over plain decoding of
the same runtime.

llama.cpp is driven through llama-cpp-python's low-level API with the loop of
llama.cpp's examples/speculative-simple + common/speculative.cpp: a greedy
draft of up to n_max = 16 tokens that stops below p_min = 0.75 (llama.cpp's
defaults), one target batch with logits for every drafted position, greedy
acceptance, and llama_memory_seq_rm of the rejected positions. Its n-gram
column uses the same loop with EdgeLM's n-gram lookup as the draft (llama.cpp
ships prompt lookup as a separate example with the same idea).

The F16/F32 targets are made from the Q4_1 file with `edgelm quantize` and
cached under ~/.cache/edgelm/derived (same weights as the draft, which is
the pairing the issue asks for: the draft differs only by quantization).

    make lib && python3 Tests/Benchmarks/speculative.py --edgelm build/host/edgelm
"""
import argparse
import ctypes
import os
import re
import statistics
import subprocess
import time

import numpy as np
import llama_cpp

MODELS = os.path.expanduser(os.environ.get("EDGELM_MODEL_DIR", "~/.cache/edgelm/models"))
DERIVED = os.path.expanduser("~/.cache/edgelm/derived")
Q4_1 = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")

STORY_PROMPTS = [
    "Once upon a time, in a small village by the sea,",
    "<|im_start|>user\nExplain how a rainbow forms.<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>user\nWrite a short poem about autumn leaves.<|im_end|>\n<|im_start|>assistant\n",
]

PASSAGE = ("The lighthouse keeper climbed the narrow stairs every evening at dusk. He cleaned the great lens, "
           "trimmed the wick and lit the lamp, and then he sat by the window with a cup of tea and watched the "
           "ships pass in the dark. In winter the storms were fierce and the waves broke over the rocks, but the "
           "light never failed. The sailors who saw it knew that they were close to home.")
CODE = ("def mean(values):\n    total = 0\n    for v in values:\n        total = total + v\n"
        "    return total / len(values)\n\n\ndef variance(values):\n    m = mean(values)\n    total = 0\n"
        "    for v in values:\n        total = total + (v - m) * (v - m)\n    return total / len(values)\n")
REPEAT_PROMPTS = [
    f"<|im_start|>user\nRepeat the following text exactly:\n\n{PASSAGE}<|im_end|>\n<|im_start|>assistant\n",
    f"<|im_start|>user\nRewrite this code with type hints:\n\n{CODE}<|im_end|>\n<|im_start|>assistant\n",
    f"<|im_start|>user\nCorrect the spelling and repeat the text:\n\n{PASSAGE.replace('the', 'teh', 3)}"
    f"<|im_end|>\n<|im_start|>assistant\n",
]


def derived(kind):
    path = os.path.join(DERIVED, f"SmolLM2-135M-Instruct.{kind}.gguf")
    return path


def ensure_derived(edgelm, kind):
    path = derived(kind)
    if not os.path.exists(path):
        os.makedirs(DERIVED, exist_ok=True)
        subprocess.run([edgelm, "quantize", Q4_1, path, kind], check=True, capture_output=True)
    return path


def edgelm_decode(binary, model, prompt, n, threads, extra):
    """Decode t/s and generated text of one `edgelm run`."""
    r = subprocess.run([binary, "run", "-m", model, "-p", prompt, "-n", str(n), "--temp", "0", "-t", str(threads),
                        "-c", "1024"] + extra, check=True, capture_output=True)
    m = re.search(rb"generated: (\d+) tokens, ([\d.]+) t/s", r.stderr)
    spec = re.search(rb"accepted \d+ \(([\d.]+)%\).*, ([\d.]+) tokens per pass", r.stderr)
    return float(m.group(2)), r.stdout, (float(spec.group(1)), float(spec.group(2))) if spec else None


class Runtime:
    """A llama.cpp model + context."""

    def __init__(self, path, threads, n_ctx=1024, n_batch=512):
        mp = llama_cpp.llama_model_default_params()
        self.model = llama_cpp.llama_model_load_from_file(path.encode(), mp)
        cp = llama_cpp.llama_context_default_params()
        cp.n_ctx = n_ctx
        cp.n_batch = n_batch
        cp.n_ubatch = n_batch
        cp.n_threads = threads
        cp.n_threads_batch = threads
        self.ctx = llama_cpp.llama_init_from_model(self.model, cp)
        self.vocab_ptr = llama_cpp.llama_model_get_vocab(self.model)
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(self.vocab_ptr)
        self.mem = llama_cpp.llama_get_memory(self.ctx)

    def tokenize(self, text):
        buf = (llama_cpp.llama_token * 4096)()
        n = llama_cpp.llama_tokenize(self.vocab_ptr, text.encode(), len(text.encode()), buf, 4096, True, True)
        return list(buf[:n])

    def clear(self):
        llama_cpp.llama_memory_clear(self.mem, True)

    def decode(self, tokens, start, all_logits=False):
        batch = llama_cpp.llama_batch_init(len(tokens), 0, 1)
        for i, t in enumerate(tokens):
            batch.token[i] = t
            batch.pos[i] = start + i
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = 1 if (all_logits or i == len(tokens) - 1) else 0
        batch.n_tokens = len(tokens)
        rc = llama_cpp.llama_decode(self.ctx, batch)
        llama_cpp.llama_batch_free(batch)
        if rc != 0:
            raise RuntimeError("llama_decode failed")

    def logits(self, i):
        p = llama_cpp.llama_get_logits_ith(self.ctx, i)
        return np.ctypeslib.as_array(p, shape=(self.n_vocab,))

    def remove_from(self, pos):
        llama_cpp.llama_memory_seq_rm(self.mem, 0, pos, -1)

    def is_eog(self, t):
        return llama_cpp.llama_vocab_is_eog(self.vocab_ptr, t)


def llama_plain(rt, prompt, n):
    rt.clear()
    toks = rt.tokenize(prompt)
    rt.decode(toks, 0)
    pos = len(toks)
    t0 = time.perf_counter()
    tok = int(np.argmax(rt.logits(-1)))
    made = 0
    while made < n and not rt.is_eog(tok):
        made += 1
        if made == n:
            break
        rt.decode([tok], pos)
        pos += 1
        tok = int(np.argmax(rt.logits(-1)))
    return made / (time.perf_counter() - t0)


def llama_speculative(rt, drafter, prompt, n, n_max=16):
    """llama.cpp's speculative-simple loop; drafter(history, pending, n_max) -> tokens."""
    rt.clear()
    toks = rt.tokenize(prompt)
    rt.decode(toks, 0)
    history = list(toks)
    t0 = time.perf_counter()
    pending = int(np.argmax(rt.logits(-1)))
    made, passes, drafted, accepted = 0, 0, 0, 0
    while True:
        if rt.is_eog(pending):
            break
        made += 1
        if made >= n:
            break
        draft = drafter(history, pending, min(n_max, n - made))
        base = len(history)
        rt.decode([pending] + draft, base, all_logits=True)
        passes += 1
        drafted += len(draft)
        history.append(pending)
        ok = 0
        nxt = None
        for i in range(len(draft) + 1):
            t = int(np.argmax(rt.logits(i)))
            if i < len(draft) and t == draft[i]:
                ok += 1
                continue
            nxt = t
            break
        accepted += ok
        history.extend(draft[:ok])
        rt.remove_from(len(history))
        stop = False
        for t in draft[:ok]:
            if rt.is_eog(t):
                stop = True
                break
            made += 1
            if made >= n:
                stop = True
                break
        if stop:
            break
        pending = nxt
    return made / (time.perf_counter() - t0), (100.0 * accepted / max(1, drafted), made / max(1, passes))


def model_drafter(draft_rt, p_min=0.75):
    """common_speculative_gen_draft: greedy, stop after a token below p_min."""
    state = {"history": []}

    def draft(history, pending, n_max):
        ctx = history + [pending]
        mine = state["history"]
        common = 0
        while common < min(len(mine), len(ctx) - 1) and mine[common] == ctx[common]:
            common += 1
        draft_rt.remove_from(common)
        draft_rt.decode(ctx[common:], common)
        mine = ctx[:]
        out = []
        while len(out) < n_max:
            logits = draft_rt.logits(-1)
            t = int(np.argmax(logits))
            e = np.exp(logits - logits[t])
            p = 1.0 / e.sum()
            out.append(t)
            if p < p_min or len(out) == n_max:
                break
            draft_rt.decode([t], len(mine))
            mine.append(t)
        state["history"] = mine
        return out

    return draft


def ngram_drafter(nmin=2, nmax=4):
    def draft(history, pending, n_max):
        ctx = history + [pending]
        for n in range(min(nmax, len(ctx) - 1), nmin - 1, -1):
            key = ctx[-n:]
            for j in range(len(ctx) - n - 1, -1, -1):
                if ctx[j:j + n] == key:
                    return ctx[j + n:j + n + n_max]
        return []

    return draft


@ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
def _quiet(level, text, user):
    pass


def main():
    llama_cpp.llama_log_set(_quiet, None)
    ap = argparse.ArgumentParser()
    ap.add_argument("--edgelm", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("-n", type=int, default=128)
    ap.add_argument("-r", type=int, default=3, help="repetitions of each prompt")
    ap.add_argument("--cases", default="f16-draft,f32-draft,q4_1-ngram,f16-ngram,q4_1-self,f16-self")
    ap.add_argument("--draft-vocab", type=int, default=0,
                    help="EdgeLM's draft model scores only the first N token ids (draft cases; 0: all)")
    args = ap.parse_args()
    llama_cpp.llama_backend_init()
    cases = args.cases.split(",")
    runtimes = {}

    def rt(path):
        if path not in runtimes:
            runtimes[path] = Runtime(path, args.threads)
        return runtimes[path]

    print(f"{args.threads} threads, {args.n} generated tokens, greedy, medians over prompts x {args.r} alternating runs")
    print("| case | EdgeLM plain t/s | EdgeLM spec t/s | EdgeLM speedup | accept % | tok/pass "
          "| llama.cpp plain t/s | llama.cpp spec t/s | llama.cpp speedup |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for case in cases:
        kind, mode = case.split("-")
        target = Q4_1 if kind == "q4_1" else ensure_derived(args.edgelm, kind)
        prompts = REPEAT_PROMPTS if mode == "ngram" else STORY_PROMPTS
        if mode == "draft":
            extra, drafter = ["--draft", Q4_1], model_drafter(rt(Q4_1))
            if args.draft_vocab:
                extra += ["--draft-vocab", str(args.draft_vocab)]
        elif mode == "ngram":
            extra, drafter = ["--spec", "ngram"], ngram_drafter()
        else:
            extra, drafter = ["--spec", "self"], None
        e_plain, e_spec, l_plain, l_spec, accept, per_pass = [], [], [], [], [], []
        for _ in range(args.r):
            for prompt in prompts:
                a, text_a, _ = edgelm_decode(args.edgelm, target, prompt, args.n, args.threads, [])
                b, text_b, st = edgelm_decode(args.edgelm, target, prompt, args.n, args.threads, extra)
                if text_a != text_b:
                    raise SystemExit(f"{case}: speculative text differs from plain for {prompt!r}")
                e_plain.append(a)
                e_spec.append(b)
                accept.append(st[0])
                per_pass.append(st[1])
                l_plain.append(llama_plain(rt(target), prompt, args.n))
                if drafter is not None:
                    l_spec.append(llama_speculative(rt(target), drafter, prompt, args.n)[0])
        ep, es = statistics.median(e_plain), statistics.median(e_spec)
        lp = statistics.median(l_plain)
        ls = statistics.median(l_spec) if l_spec else float("nan")
        label = f"{case} (draft_vocab {args.draft_vocab})" if mode == "draft" and args.draft_vocab else case
        print(f"| {label} | {ep:.1f} | {es:.1f} | {es / ep:.2f}x | {statistics.median(accept):.0f} "
              f"| {statistics.median(per_pass):.2f} | {lp:.1f} | {ls:.1f} | {ls / lp:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
