#!/usr/bin/env python3
"""Streams a greedy continuation: python3 generate.py MODEL.gguf "prompt" [config.json]"""
import sys

import edgelm

model_path, prompt = sys.argv[1], sys.argv[2]
config = edgelm.Config(path=sys.argv[3]) if len(sys.argv) > 3 else {"sampling": {"temperature": 0}}
with edgelm.Model(model_path) as model, edgelm.Session(model, config) as session:
    for piece in session.generate(prompt, max_tokens=32):
        print(piece, end="", flush=True)
    print()
