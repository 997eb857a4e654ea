#!/usr/bin/env bash
# Out of memory and failing system calls, everywhere: for each call site of
# malloc, calloc, realloc, posix_memalign, aligned_alloc, mmap, pread and
# open that a short `edgelm run` reaches (Tests/embedded/fault_inject.c
# lists them), the run is repeated with that site's first call failing,
# once and then with every allocation after it failing too (memory has run
# out). Every run must end either as the fault-free run did (exit 0, the same
# text) or with exit 1 and an "error: ..." line; a signal, a hang (20 s), any
# other exit or different text fails. Then the same run under ulimit -v,
# from too little address space to map the model up to enough (below 24 MiB
# the loader cannot map libc: no program starts).
# Scenarios: greedy with 1 thread; a config (2 threads, a RAM cap that
# streams layers, sampling, n-gram speculation: json-c, pread, the pool);
# chat (the template); Gemma 3 (SentencePiece, the largest vocabulary);
# the C API (Examples/c/firmware_example.c with its config: config load,
# model load, session, generate, stats).
# Usage: Tests/embedded/fault_sweep.sh BUILD_DIR
#   BUILD_DIR: a host build with frame pointers
#   (EDGELM_FRAME_POINTERS=1 Cross/build-embedded.sh host BUILD_DIR).
set -euo pipefail
dir=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
models=${EDGELM_MODEL_DIR:-$HOME/.cache/edgelm/models}
model=$models/SmolLM2-135M-Instruct.Q4_1.gguf
. "$root/Tests/check.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
${CC:-gcc} -shared -fPIC -O2 -fno-omit-frame-pointer -Wall -Werror -o "$work/fault_inject.so" \
  "$root/Tests/embedded/fault_inject.c" -ldl -lpthread
printf '{"threads": 2, "ram_limit": "64MiB", "sampling": {"temperature": 0.8, "top_k": 20, "seed": 7}, "speculative": {"mode": "ngram"}}' \
  > "$work/config.json"
printf 'Name a colour.\n' > "$work/chat.txt"
${CC:-gcc} -std=c99 -O2 -fno-omit-frame-pointer -Wall -Werror -I "$dir" -o "$work/firmware_example" \
  "$root/Examples/c/firmware_example.c" -L "$dir" -ledgelm -Wl,-rpath,"$dir"

# run NAME TAG [ENV...] -- runs scenario NAME (stdin, arguments) under
# setarch -R (same addresses every run, so sites hash alike) with the ENV
# settings; stdout to $work/out.TAG, stderr to $work/err.TAG; prints the
# exit status.
run() {
  local name=$1 tag=$2; shift 2
  local env=()
  while [ "$1" != -- ]; do env+=("$1"); shift; done
  local program=$dir/edgelm
  local args=(run -m "$model" -n 4 --temp 0 -t 1 -p "Once upon a time")
  local input=/dev/null
  case "$name" in
    config) args=(run -m "$model" -n 6 --config "$work/config.json" -p "Once upon a time") ;;
    chat) args=(run --chat -m "$model" -n 4 --temp 0 -t 1); input=$work/chat.txt ;;
    gemma) args=(run -m "$models/gemma-3-270m-q4_k_m.gguf" -n 2 --temp 0 -t 1 -p "Once upon a time") ;;
    capi) program=$work/firmware_example; args=("$model" "$root/Examples/c/config.json" "Once upon a time" 4) ;;
  esac
  local rc=0
  env EDGELM_RESERVE_REPORT=1 ${env[@]+"${env[@]}"} timeout 20 setarch -R "$program" "${args[@]}" \
    <"$input" >"$work/out.$tag" 2>"$work/stderr.$tag" || rc=$?
  # The most of the reserve a run used (reserve.c's report), kept aside.
  sed -n 's/^edgelm reserve peak: \([0-9]*\) bytes$/\1/p' "$work/stderr.$tag" >>"$work/peaks.$tag"
  grep -v '^edgelm reserve peak: ' "$work/stderr.$tag" >"$work/err.$tag" || true
  echo "$rc"
}

# try NAME HASH FUNCTION PERSIST: one faulty run; prints "clean", "error"
# (exit 1, one error line, last) or "bad: what happened".
try() {
  local name=$1 hash=$2 function=$3 persist=$4 tag=$BASHPID
  local rc
  rc=$(run "$name" "$tag" EDGELM_FAULT_SITE="$hash" ${persist:+EDGELM_FAULT_PERSIST=1} \
       LD_PRELOAD="$work/fault_inject.so" --)
  if [ "$rc" = 0 ] && cmp -s "$work/out.$tag" "$work/expected.$name"; then
    echo clean
  elif [ "$rc" = 1 ] && [ "$(grep -c '^error: ' "$work/err.$tag")" = 1 ] && tail -1 "$work/err.$tag" | grep -q '^error: '; then
    echo error
  else
    echo "bad: $function@$hash${persist:+(persist)}: rc $rc $(tail -c 200 "$work/err.$tag" | tr '\n' ' ')"
  fi
}
export -f run try
export dir root model models work

for scenario in greedy config chat gemma capi; do
  rc=$(run "$scenario" base --)
  check "$scenario: runs without faults" 0 "$rc"
  cp "$work/out.base" "$work/expected.$scenario"
  rm -f "$work/sites"
  run "$scenario" base EDGELM_FAULT_LIST="$work/sites" LD_PRELOAD="$work/fault_inject.so" -- >/dev/null
  sites=$(wc -l <"$work/sites")
  # Each site once; allocation sites also for good (persisting failures
  # are allocations only). One run per CPU at a time.
  while read -r hash function _; do
    echo "$hash $function"
    case "$function" in pread|open) ;; *) echo "$hash $function 1" ;; esac
  done <"$work/sites" |
    xargs -P "$(nproc)" -L 1 bash -c 'try "$0" "$1" "$2" "${3:-}"' "$scenario" >"$work/results"
  clean=$(grep -c '^clean$' "$work/results" || true)
  failed_cleanly=$(grep -c '^error$' "$work/results" || true)
  check "$scenario: $sites call sites failed once and for good: $clean runs unaffected, $failed_cleanly clean errors" \
    "" "$(grep '^bad: ' "$work/results" | tr '\n' ' ')"
  check "$scenario: call sites found" yes "$([ "$sites" -gt 50 ] && echo yes || echo no)"
done

# Address space from too little to enough: each limit ends in the fault-free
# text or a clean error.
clean=0 failed_cleanly=0 bad=""
for mib in 24 64 $(seq 100 8 196); do
  rc=0
  (ulimit -v $((mib * 1024)); exec timeout 20 "$dir/edgelm" run -m "$model" -n 4 --temp 0 -t 1 \
     -p "Once upon a time") >"$work/out" 2>"$work/err" || rc=$?
  if [ "$rc" = 0 ] && cmp -s "$work/out" "$work/expected.greedy"; then
    clean=$((clean + 1))
  elif [ "$rc" = 1 ] && tail -1 "$work/err" | grep -q '^error: '; then
    failed_cleanly=$((failed_cleanly + 1))
  else
    bad+=" ${mib}MiB: rc $rc $(tail -c 200 "$work/err" | tr '\n' ' ')"
  fi
done
check "ulimit -v 24 MiB ... 196 MiB: $clean runs complete, $failed_cleanly clean errors" "" "$bad"
check "ulimit -v: both outcomes seen" yes "$([ $clean -gt 0 ] && [ $failed_cleanly -gt 0 ] && echo yes || echo no)"
# What one stretch between two checks (Memory.check) may take of the
# reserve (Sources/CEdgeSys/reserve.c, 8 MiB): at most half.
peak=$(cat "$work"/peaks.* | sort -n | tail -1)
check "the reserve's peak use, ${peak:-0} bytes, is under 4 MiB" yes "$([ "${peak:-0}" -lt $((4 << 20)) ] && echo yes || echo no)"
summary "fault injection"
