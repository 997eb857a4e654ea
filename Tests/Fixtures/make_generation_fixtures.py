#!/usr/bin/env python3
"""Golden data from llama.cpp (llama-cpp-python) for the end-to-end tests.

Writes Tests/Fixtures/generation_<model>.json with, per prompt: the prompt
token ids, llama.cpp's greedy continuation (up to 32 tokens, stopping at an
end-of-generation token) and the top logits at the last prompt position; and
the perplexity with -c 128 on Tests/Fixtures/perplexity-gpl3.txt computed the
way llama.cpp's perplexity tool does.

Run by hand (never in CI; llama-cpp-python takes ~15 min to build):
    pip install llama-cpp-python
    python3 Tests/Fixtures/make_generation_fixtures.py [smollm2]
"""
import json
import math
import os
import sys

import llama_cpp
import numpy as np
from llama_cpp import Llama

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.expanduser(os.environ.get("EDGELM_MODEL_DIR", "~/.cache/edgelm/models"))
MODEL_FILES = {"smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf", "gemma3": "gemma-3-270m-q4_k_m.gguf"}

SMOLLM2_PROMPTS = [
    "The capital of France is",
    "Once upon a time, in a small village,",
    "def fibonacci(n):",
    "<|im_start|>user\nWhat is the tallest mountain in the world?<|im_end|>\n<|im_start|>assistant\n",
    "1, 2, 3, 4, 5,",
    "The quick brown fox",
    "Water boils at a temperature of",
    "Here is a list of fruits:\n-",
    "Translate to French: Good morning, how are you?",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWrite a haiku about the sea.<|im_end|>\n<|im_start|>assistant\n",
    "In machine learning, a transformer is",
    "Emoji test: 🙂 and 日本語 text:",
]

GEMMA3_PROMPTS = [
    "The capital of France is",
    "Once upon a time, in a small village,",
    "def fibonacci(n):",
    "<start_of_turn>user\nWhat is the tallest mountain in the world?<end_of_turn>\n<start_of_turn>model\n",
    "1, 2, 3, 4, 5,",
    "The quick brown fox",
    "Water boils at a temperature of",
    "Here is a list of fruits:\n-",
    "<start_of_turn>user\nTranslate to French: Good morning, how are you?<end_of_turn>\n<start_of_turn>model\n",
    "<start_of_turn>user\nWrite a haiku about the sea.<end_of_turn>\n<start_of_turn>model\n",
    "In machine learning, a transformer is",
    "Emoji test: 🙂 and 日本語 text:",
]

PROMPTS = {"smollm2": SMOLLM2_PROMPTS, "gemma3": GEMMA3_PROMPTS}
# A prompt longer than Gemma 3's sliding window (512), so the window mask
# and the ring cache of its sliding-window layers are exercised: the start of
# the perplexity text, this many tokens.
LONG_PROMPT_TOKENS = 900
N_PREDICT = 32
TOP_LOGITS = 20
PPL_CTX = 128


def last_logits(llm):
    """Logits of the last evaluated position (llama_get_logits_ith(ctx, -1))."""
    ptr = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
    return np.array(np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),)), dtype=np.float64)


def greedy(llm, tokens):
    """Greedy decoding with llama.cpp, stopping at end-of-generation.
    Returns the tokens, the logits at the last prompt position and, per
    step, the margin between the best and the second-best logit."""
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    out, margins = [], []
    llm.reset()
    llm.eval(tokens)
    logits = last_logits(llm)
    first_logits = logits.copy()
    for _ in range(N_PREDICT):
        tok = int(np.argmax(logits))
        top2 = np.partition(logits, -2)[-2:]
        margins.append(float(top2[1] - top2[0]))
        if llama_cpp.llama_vocab_is_eog(vocab, tok):
            break
        out.append(tok)
        llm.eval([tok])
        logits = last_logits(llm)
    return out, first_logits, margins


def plain_kernels(**kwargs):
    """llama.cpp with its repacked CPU weight layouts off (use_extra_bufts =
    false): its plain ggml vec_dot kernels, which on x86 round K-quant
    products differently from the repacked GEMV/GEMM path it uses by default
    (Gemma 3 Q4_K_M perplexity 20.73 vs 20.65). llama-cpp-python has no
    argument for it, so the default model parameters are patched while the
    model loads."""
    import llama_cpp.llama as llama_module
    original = llama_module.llama_cpp.llama_model_default_params

    def patched():
        params = original()
        params.use_extra_bufts = False
        return params

    llama_module.llama_cpp.llama_model_default_params = patched
    try:
        return Llama(**kwargs)
    finally:
        llama_module.llama_cpp.llama_model_default_params = original


def agreement(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def perplexity(path, text):
    """llama.cpp perplexity: chunks of PPL_CTX, score the second half."""
    llm = Llama(model_path=path, n_ctx=PPL_CTX, n_batch=PPL_CTX, n_ubatch=PPL_CTX,
                logits_all=True, n_threads=2, verbose=False)
    add_bos = llama_cpp.llama_vocab_get_add_bos(llama_cpp.llama_model_get_vocab(llm.model))
    tokens = llm.tokenize(text, add_bos=add_bos, special=False)
    n_chunk = len(tokens) // PPL_CTX
    first = PPL_CTX // 2
    nll, count = 0.0, 0
    for i in range(n_chunk):
        chunk = list(tokens[i * PPL_CTX:(i + 1) * PPL_CTX])
        if add_bos:
            chunk[0] = llm.token_bos()
        llm.reset()
        llm.eval(chunk)
        logits = np.array(llm.scores[:PPL_CTX], dtype=np.float32)
        for pos in range(first, PPL_CTX - 1):
            row = logits[pos]
            m = float(row.max())
            sum_exp = float(np.sum(np.exp(row - m).astype(np.float64)))
            nll += -(float(row[chunk[pos + 1]]) - m - math.log(sum_exp))
            count += 1
    return {"context": PPL_CTX, "tokens": len(tokens), "chunks": n_chunk,
            "perplexity": math.exp(nll / count)}


def main():
    # NAME or NAME=PATH (a variant file of the same model, e.g. for a check
    # by hand; the fixture still records MODEL_FILES[NAME]).
    args = sys.argv[1:] or list(MODEL_FILES)
    with open(os.path.join(HERE, "perplexity-gpl3.txt"), "rb") as f:
        text = f.read()
    for arg in args:
        name, _, path = arg.partition("=")
        path = path or os.path.join(MODELS, MODEL_FILES[name])
        llm = Llama(model_path=path, n_ctx=2048, n_batch=512, n_threads=2, verbose=False)
        # The same llama.cpp with its flash-attention kernel: how far llama.cpp
        # moves from itself when only the float order of attention changes.
        # This is the yardstick for how close an independent implementation
        # can be expected to come (the model is numerically sensitive).
        variant = Llama(model_path=path, n_ctx=2048, n_batch=512, n_threads=2,
                        flash_attn=True, verbose=False)
        plain = plain_kernels(model_path=path, n_ctx=2048, n_batch=512, n_threads=2, verbose=False)
        cases = []
        long_tokens = llm.tokenize(text, add_bos=True, special=False)[:LONG_PROMPT_TOKENS]
        for prompt in PROMPTS[name] + [None]:
            if prompt is None:
                tokens = long_tokens
                prompt = llm.detokenize(tokens).decode("utf-8", errors="replace")
            else:
                tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
            continuation, logits, margins = greedy(llm, tokens)
            v_continuation, v_logits, _ = greedy(variant, tokens)
            _, p_logits, _ = greedy(plain, tokens)
            top = np.argsort(-logits, kind="stable")[:TOP_LOGITS]
            cases.append({
                "prompt": prompt,
                "long": len(tokens) == LONG_PROMPT_TOKENS,
                "prompt_tokens": [int(t) for t in tokens],
                "greedy_tokens": continuation,
                "greedy_text": llm.detokenize(continuation).decode("utf-8", errors="replace"),
                "greedy_text_16": llm.detokenize(continuation[:16]).decode("utf-8", errors="replace"),
                "top_logits": [[int(t), float(logits[t])] for t in top],
                "greedy_margins": margins,
                # llama.cpp against itself: the larger of its two variants.
                "variant_max_logit_diff": float(max(np.max(np.abs(logits[top] - v_logits[top])),
                                                    np.max(np.abs(logits[top] - p_logits[top])))),
                "flash_attn_max_logit_diff": float(np.max(np.abs(logits[top] - v_logits[top]))),
                "plain_kernels_max_logit_diff": float(np.max(np.abs(logits[top] - p_logits[top]))),
                "variant_greedy_agreement": agreement(continuation, v_continuation),
            })
        # Steps before llama.cpp's first near-tie (a top-2 margin below twice
        # its own flash-attention variation): any correct implementation must
        # reproduce these tokens, whatever its float order. The shipped-build
        # checks (Tests/embedded/run.sh, also under qemu) compare these.
        near_tie = 2 * max(c["variant_max_logit_diff"] for c in cases)
        for c in cases:
            k = next((i for i, m in enumerate(c["greedy_margins"]) if m < near_tie), len(c["greedy_tokens"]))
            k = min(k, len(c["greedy_tokens"]))
            c["robust_steps"] = k
            c["robust_text"] = llm.detokenize(c["greedy_tokens"][:k]).decode("utf-8", errors="replace")
        fixture = {
            "generator": "llama-cpp-python " + llama_cpp.__version__,
            "variant": "flash_attn=True (default: False); plain kernels (use_extra_bufts=False)",
            "model": MODEL_FILES[name],
            "n_predict": N_PREDICT,
            "cases": cases,
            "perplexity": perplexity(path, text),
        }
        out = os.path.join(HERE, f"generation_{name}.json")
        with open(out, "w") as f:
            json.dump(fixture, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(f"wrote {out}: {len(cases)} prompts, ppl {fixture['perplexity']['perplexity']:.4f}")


if __name__ == "__main__":
    main()
