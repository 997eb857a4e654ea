#!/usr/bin/env bash
# json-c out of memory: with each of json-c's allocations in turn made to
# fail (Tests/embedded/jsonc_fail.c, LD_PRELOAD), `edgelm info --config`
# either applies the whole config (its ram_limit in the memory plan) or
# stops with a config error that says memory ran out; never a signal, and
# never a config that silently lost a key (json-c does not report members
# it failed to add: the decoder counts them, ConfigDecoder.valueCount).
# Usage: Tests/embedded/jsonc_alloc.sh BUILD_DIR   (host build)
set -euo pipefail
dir=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
model=${EDGELM_MODEL_DIR:-$HOME/.cache/edgelm/models}/SmolLM2-135M-Instruct.Q4_1.gguf
. "$root/Tests/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
${CC:-gcc} -shared -fPIC -O2 -Wall -Werror -o "$work/jsonc_fail.so" "$root/Tests/embedded/jsonc_fail.c" -ldl
printf '{"threads": 1, "ram_limit": "64MiB", "sampling": {"top_k": 5, "seed": 7}, "speculative": {"mode": "ngram", "ngram_max": 3}}' \
  > "$work/config.json"
applied=0 refused=0 bad=""
for n in $(seq 1 40); do
  rc=0
  out=$(EDGELM_FAIL_JSONC_ALLOC=$n LD_PRELOAD="$work/jsonc_fail.so" \
        "$dir/edgelm" info -m "$model" --config "$work/config.json" 2>&1) || rc=$?
  if [ $rc = 0 ] && grep -q '^memory plan: ram_limit 64.00 MiB' <<<"$out"; then
    applied=$((applied + 1))
  elif [ $rc = 1 ] && grep -qE '^error: .*config: (cannot allocate a json-c tokener|json-c ran out of memory|json-c kept [0-9]+ of the [0-9]+ values)' <<<"$out"; then
    refused=$((refused + 1))
  else
    bad+=" $n(rc $rc: $(head -c 120 <<<"$out" | tr '\n' ' '))"
  fi
done
check "json-c allocation failures: whole config or a memory error ($applied applied, $refused refused)" "" "$bad"
check "some of json-c's allocations were failed" yes "$([ $refused -gt 0 ] && echo yes || echo no)"
summary "json-c out of memory"
