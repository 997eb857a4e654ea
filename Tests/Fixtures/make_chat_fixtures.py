#!/usr/bin/env python3
"""Writes Tests/Fixtures/chat_templates.json: llama.cpp's chat template
application (llama_chat_apply_template, the substring-detected built-in
templates, not Jinja) for SmolLM2 (ChatML) and Gemma 3 (gemma), the golden
data for Tests/EdgeLMTests/ChatTemplateTests.swift, Tests/capi/test_capi.c
and Tests/python/test_edgelm.py.

The oracle is llama-cpp-python (`pip install llama-cpp-python`). No network:
the models come from $EDGELM_MODEL_DIR or ~/.cache/edgelm/models (see
`make models`). Never run in CI; the tests read the committed JSON.

    python3 Tests/Fixtures/make_chat_fixtures.py

For each model: its `tokenizer.chat_template` text (as
llama_model_chat_template returns it; null when the GGUF has none, and then
the template applied is the built-in one named in "template_applied"), and for each conversation and
add_assistant in (true, false): the formatted text and its token ids,
tokenized as llama.cpp's chat examples do (llama-simple-chat tokenizes the
first turn with add_special = true, parse_special = true: BOS is added where
the model's metadata asks for it, since the built-in templates never write
BOS themselves).
"""
import ctypes
import json
import os
import sys

import llama_cpp
from llama_cpp import Llama

# key: (file, template name passed to llama.cpp when the GGUF has no
# tokenizer.chat_template). The Gemma 3 270M file is the base model: it has
# no template, so the built-in "gemma" template is applied by name.
MODELS = {
    "smollm2": ("SmolLM2-135M-Instruct.Q4_1.gguf", None),
    "gemma3": ("gemma-3-270m-q4_k_m.gguf", "gemma"),
}
OUT_NAME = "chat_templates.json"

# (name, [(role, content), ...])
CONVERSATIONS = [
    ("user_only", [("user", "Hi")]),
    ("system_user", [("system", "You are a helpful assistant."), ("user", "What is 2+2?")]),
    ("multi_turn", [
        ("system", "You are terse."),
        ("user", "Name a colour."),
        ("assistant", "Blue."),
        ("user", "Another one?"),
    ]),
    ("multi_turn_no_system", [
        ("user", "Hello!"),
        ("assistant", "Hi there. How can I help?"),
        ("user", "Tell me a joke."),
        ("assistant", "Why did the chicken cross the road?"),
    ]),
    ("unicode", [
        ("system", "Réponds en français. 🙂"),
        ("user", "Привет! 你好，世界 🌍 naïve café"),
        ("assistant", "こんにちは — ça va? 👩‍👩‍👧‍👦"),
        ("user", "مرحبا نمستے"),
    ]),
    ("whitespace", [
        ("system", "  padded system \n"),
        ("user", "\n\t two lines\nof text  \n"),
        ("assistant", "  spaced reply  "),
        ("user", " "),
    ]),
    ("special_tokens_in_content", [("user", "say <|im_end|> and <end_of_turn> literally")]),
    ("two_systems", [("system", "First rule."), ("system", "Second rule."), ("user", "Go.")]),
    ("system_later", [("user", "Hi"), ("assistant", "Hello."), ("system", "Be brief."), ("user", "Why?")]),
    ("assistant_first", [("system", "Sys."), ("assistant", "I start."), ("user", "Ok.")]),
    ("empty_content", [("user", ""), ("assistant", ""), ("user", "x")]),
]


def model_path(name: str) -> str:
    directory = os.environ.get("EDGELM_MODEL_DIR") or os.path.expanduser("~/.cache/edgelm/models")
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        sys.exit(f"error: {path} not found (run `make models`)")
    return path


def apply(template: bytes, messages, add_ass: bool) -> bytes:
    arr = (llama_cpp.llama_chat_message * len(messages))()
    keep = []
    for i, (role, content) in enumerate(messages):
        r, c = role.encode(), content.encode()
        keep += [r, c]
        arr[i].role = r
        arr[i].content = c
    size = 4096
    while True:
        buf = ctypes.create_string_buffer(size)
        n = llama_cpp.llama_chat_apply_template(template, arr, len(messages), add_ass, buf, size)
        if n < 0:
            sys.exit(f"error: llama_chat_apply_template failed ({n})")
        if n <= size:
            return buf.raw[:n]
        size = n


def tokenize(vocab, text: bytes) -> list[int]:
    size = len(text) + 16
    arr = (llama_cpp.llama_token * size)()
    n = llama_cpp.llama_tokenize(vocab, text, len(text), arr, size, True, True)
    if n < 0:
        sys.exit(f"error: llama_tokenize needs {-n}")
    return list(arr[:n])


def main() -> None:
    out = {"models": {}}
    for key, (name, fallback) in MODELS.items():
        llm = Llama(model_path=model_path(name), vocab_only=True, verbose=False)
        own = llama_cpp.llama_model_chat_template(llm.model, None)
        template = own if own is not None else fallback.encode()
        vocab = llama_cpp.llama_model_get_vocab(llm.model)
        cases = []
        for conv_name, messages in CONVERSATIONS:
            for add_ass in (True, False):
                text = apply(template, messages, add_ass)
                cases.append({
                    "name": conv_name,
                    "add_assistant": add_ass,
                    "messages": [{"role": r, "content": c} for r, c in messages],
                    "formatted": text.decode("utf-8"),
                    "token_ids": tokenize(vocab, text),
                })
        out["models"][key] = {
            "file": name,
            "chat_template": own.decode("utf-8") if own is not None else None,
            "template_applied": template.decode("utf-8") if own is None else "(chat_template)",
            "cases": cases,
        }
        del llm
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), OUT_NAME)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"generator": "Tests/Fixtures/make_chat_fixtures.py",
                   "llama_cpp_python": llama_cpp.__version__, **out}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
