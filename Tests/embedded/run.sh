#!/usr/bin/env bash
# Checks the shipped (Embedded Swift) build: the library needs no Swift
# runtime, and the CLI built from it produces llama.cpp's greedy text and
# token ids (fixtures). For aarch64 the binaries run under qemu-aarch64.
# Usage: Tests/embedded/run.sh host|aarch64 BUILD_DIR
set -euo pipefail
target=$1
dir=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
model_dir=${EDGELM_MODEL_DIR:-$HOME/.cache/edgelm/models}
model=$model_dir/SmolLM2-135M-Instruct.Q4_1.gguf
fixture=$root/Tests/Fixtures/generation_smollm2.json
passed=0
failed=0

case "$target" in
  host) readelf=readelf; runner=() ;;
  aarch64)
    readelf=aarch64-linux-gnu-readelf
    runner=(env LD_LIBRARY_PATH=/usr/lib/aarch64-linux-gnu qemu-aarch64 -L /usr/aarch64-linux-gnu)
    ;;
  *) echo "error: unknown target '$target'" >&2; exit 2 ;;
esac

check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then
    passed=$((passed + 1)); echo "ok: $1"
  else
    failed=$((failed + 1)); echo "FAIL: $1"; echo "  expected: $2"; echo "  actual:   $3"
  fi
}

# 1. No Swift runtime: only libc, libm, libjson-c, ld.so.
needed=$($readelf -d "$dir/libedgelm.so" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
bad=$(echo "$needed" | tr ' ' '\n' | grep -v -E '^(libc\.so\.6|libm\.so\.6|libjson-c\.so\.5|ld-linux.*|)$' || true)
check "libedgelm.so needs only libc/libm/json-c ($needed)" "" "$bad"
cli_needed=$($readelf -d "$dir/edgelm" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | grep -i swift || true)
check "edgelm CLI needs no Swift runtime" "" "$cli_needed"

# 2. Greedy generation and tokenization equal llama.cpp's for a few prompts.
field() {  # field CASE KEY: a value of the llama.cpp fixture
  python3 -c "import json,sys; v=json.load(open('$fixture'))['cases'][$1]['$2']; print(v, end='')"
}
for i in $(seq 0 $((${EDGELM_EMBEDDED_PROMPTS:-3} - 1))); do
  prompt=$(field "$i" prompt)
  got_ids=$("${runner[@]}" "$dir/edgelm" tokenize -m "$model" -p "$prompt")
  check "tokenize prompt $i" "$(field "$i" prompt_tokens)" "$got_ids"
  got_text=$("${runner[@]}" "$dir/edgelm" run -m "$model" -p "$prompt" -n 16 --temp 0 -t 2 2>/dev/null)
  check "greedy 16 tokens, prompt $i" "$(field "$i" greedy_text_16)" "${got_text%$'\n'}"
done

echo "$target: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
