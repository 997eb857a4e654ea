#!/usr/bin/env bash
# The examples as users build them: `make install` into a prefix, the C
# example with plain cc against it, the Python binding with pip; both must
# print the same greedy text as `edgelm run` for the same model, prompt and
# config. Then the Python tests (pytest).
# Usage: Tests/examples.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
model=${EDGELM_MODEL_DIR:-$HOME/.cache/edgelm/models}/SmolLM2-135M-Instruct.Q4_1.gguf
prefix=$build/prefix
config=$root/Examples/c/config.json
prompt="The capital of France is"
. "$root/Tests/check.sh"

make -s -C "$root" install PREFIX="$prefix" BUILD="$build/.." >/dev/null
make -s -C "$root/Examples/c" PREFIX="$prefix" -B
expected=$("$prefix/bin/edgelm" run -m "$model" --config "$config" -p "$prompt" -n 24 2>/dev/null)
got_c=$("$root/Examples/c/firmware_example" "$model" "$config" "$prompt" 24 2>/dev/null)
check "C example == edgelm run" "$expected" "$got_c"
cflags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs edgelm)
check "pkg-config names the prefix" "yes yes" "$(case "$cflags" in *"-I$prefix/include"*) echo -n yes;; esac) $(case "$cflags" in *"-L$prefix/lib -ledgelm"*) echo -n yes;; esac)"

venv=$build/venv
python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install -q "$root/Examples/python"
got_py=$(cd /tmp && EDGELM_LIBRARY=$prefix/lib/libedgelm.so "$venv/bin/python" -c "
import sys, edgelm
with edgelm.Model(sys.argv[1]) as m, edgelm.Session(m, edgelm.Config(path=sys.argv[2])) as s:
    print(s.generate_text(sys.argv[3], 24))
" "$model" "$config" "$prompt")
check "pip-installed Python binding == edgelm run" "$expected" "$got_py"
summary "examples"
EDGELM_LIBRARY=$prefix/lib/libedgelm.so EDGELM_CLI=$prefix/bin/edgelm "$venv/bin/python" -m pytest -q "$root/Tests/python"
