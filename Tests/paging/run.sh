#!/usr/bin/env bash
# RAM cap and thread budget, checked on the shipped CLI, one fresh process per
# run (peak RSS, VmHWM, is per process):
# - SmolLM2 Q4_1 at context 256 under caps of 100%, 50% and 25% of the file
#   size: the greedy text equals the uncapped run's, and the peak RSS stays
#   under cap + the peak RSS of the process before it loaded anything (the
#   CLI reports both from /proc/self/status);
# - a cap below the minimum fails cleanly, naming the smallest cap that
#   works, and that cap then works;
# - the process never has more threads than the budget (-t 1, 2, 4) while
#   generating (the caller's thread and the pool's workers);
# - Gemma 3 270M at a 50% cap, when this build runs gemma3.
# Usage: Tests/paging/run.sh BUILD_DIR   (BUILD_DIR holds edgelm)
set -euo pipefail
dir=$1
cli=$dir/edgelm
model_dir=${EDGELM_MODEL_DIR:-$HOME/.cache/edgelm/models}
smollm=$model_dir/SmolLM2-135M-Instruct.Q4_1.gguf
gemma=$model_dir/gemma-3-270m-q4_k_m.gguf
passed=0
failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check() {  # check NAME STATUS(0 = ok) DETAIL
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "ok: $1 ($3)"
  else failed=$((failed + 1)); echo "FAIL: $1 ($3)"; fi
}

# Runs a command (stdout/stderr to $work/out and $work/err) and prints its
# exit status and, from `run`'s memory line, its peak RSS (VmHWM at the end)
# and its baseline (VmHWM before it loaded anything: the RSS of a process
# that loads no model). Read from /proc/self/status by the process itself:
# the rusage of a child would include the parent's RSS at fork.
peak_of() {
  local rc=0
  "$@" > "$work/out" 2> "$work/err" || rc=$?
  local peak base
  peak=$(grep -o 'peak_rss_bytes [0-9]*' "$work/err" | grep -o '[0-9]*' || echo 0)
  base=$(grep -o 'baseline_rss_bytes [0-9]*' "$work/err" | grep -o '[0-9]*' || echo 0)
  echo "$rc $peak $base"
}

printf '<|im_start|>user\nWrite a short poem about a robot learning to paint.<|im_end|>\n<|im_start|>assistant\n' > "$work/prompt.txt"
run_args=(run -f "$work/prompt.txt" -n 32 --temp 0 -c 256 -t 2)

size=$(stat -c %s "$smollm")
read -r rc peak baseline < <(peak_of "$cli" "${run_args[@]}" -m "$smollm")
cp "$work/out" "$work/uncapped.txt"
check "uncapped run" "$rc" "peak $peak, baseline (no model loaded yet) $baseline"

for percent in 100 50 25; do
  cap=$((size * percent / 100))
  read -r rc peak baseline < <(peak_of "$cli" "${run_args[@]}" -m "$smollm" --ram-limit "$cap")
  if [ "$rc" -ne 0 ]; then
    check "cap $percent% runs" 1 "$(cat "$work/err")"
    continue
  fi
  ok=0; cmp -s "$work/uncapped.txt" "$work/out" || ok=1
  check "cap $percent% ($cap bytes): greedy text equals uncapped" $ok "$(wc -c < "$work/out") bytes"
  limit=$((cap + baseline))
  ok=0; [ "$peak" -le "$limit" ] || ok=1
  check "cap $percent%: peak RSS $peak <= cap + baseline $baseline = $limit" $ok "$(grep -o 'streamed [0-9.]* MiB per generated token' "$work/err")"
done

# Below the minimum: a clean error with the minimum, which then works.
read -r rc _ _ < <(peak_of "$cli" "${run_args[@]}" -m "$smollm" --ram-limit 8MiB)
minimum=$(grep -o 'the smallest cap that works is [0-9]* bytes' "$work/err" | grep -o '[0-9]*' || true)
ok=0; { [ "$rc" -eq 1 ] && [ -n "$minimum" ] && grep -q '^error: config: ram_limit' "$work/err"; } || ok=1
check "cap 8MiB fails with the minimum in the message" $ok "exit $rc, minimum ${minimum:-none}"
if [ -n "$minimum" ]; then
  read -r rc peak baseline < <(peak_of "$cli" "${run_args[@]}" -m "$smollm" --ram-limit "$minimum")
  ok=0; { cmp -s "$work/uncapped.txt" "$work/out" && [ "$rc" -eq 0 ] && [ "$peak" -le $((minimum + baseline)) ]; } || ok=1
  check "the stated minimum cap $minimum works" $ok "exit $rc, peak $peak, baseline $baseline"
  read -r rc _ _ < <(peak_of "$cli" "${run_args[@]}" -m "$smollm" --ram-limit $((minimum - 1)))
  ok=0; [ "$rc" -eq 1 ] || ok=1
  check "one byte below the minimum fails" $ok "exit $rc"
fi

# Chat (`run --chat`) under the same cap: the same replies as uncapped.
chat_in=$'Hi\nWhat is 2+2?\n'
printf '%s' "$chat_in" | "$cli" run -m "$smollm" --chat --temp 0 -n 16 -t 2 -c 256 > "$work/chat_full.txt" 2>/dev/null || true
rc=0
printf '%s' "$chat_in" | "$cli" run -m "$smollm" --chat --temp 0 -n 16 -t 2 -c 256 --ram-limit $((size / 2)) \
  > "$work/chat_cap.txt" 2> "$work/chat_cap.err" || rc=$?
ok=0; { [ "$rc" -eq 0 ] && [ -s "$work/chat_full.txt" ] && cmp -s "$work/chat_full.txt" "$work/chat_cap.txt"; } || ok=1
check "chat at cap 50%: replies equal uncapped" $ok "exit $rc, $(wc -c < "$work/chat_cap.txt") bytes"
peak=$(grep -o 'peak_rss_bytes [0-9]*' "$work/chat_cap.err" | grep -o '[0-9]*' || echo 999999999999)
base=$(grep -o 'baseline_rss_bytes [0-9]*' "$work/chat_cap.err" | grep -o '[0-9]*' || echo 0)
ok=0; { [ "$peak" -le $((size / 2 + base)) ] && grep -q 'streaming on' "$work/chat_cap.err"; } || ok=1
check "chat at cap 50%: streaming, peak RSS $peak <= cap + baseline $((size / 2 + base))" $ok ""

# Thread budget: the CLI reports the most threads its process had while
# generating; the process is the caller plus the session's threads.
for t in 1 2 4; do
  read -r rc _ _ < <(peak_of "$cli" run -m "$smollm" -f "$work/prompt.txt" -n 8 --temp 0 -c 256 -t "$t" --ram-limit $((size / 2)))
  most=$(grep -o 'max_threads [0-9]*' "$work/err" | grep -o '[0-9]*' || echo 999)
  ok=0; { [ "$rc" -eq 0 ] && [ "$most" -le "$t" ]; } || ok=1
  check "threads $t (streaming): at most $t threads while generating" $ok "max_threads $most"
done

# Gemma 3 at 50%: only where this build runs the gemma3 architecture.
if [ -f "$gemma" ] && "$cli" info -m "$gemma" > /dev/null 2>&1; then
  gsize=$(stat -c %s "$gemma")
  printf '<start_of_turn>user\nWrite a short poem about a robot learning to paint.<end_of_turn>\n<start_of_turn>model\n' > "$work/gprompt.txt"
  g_args=(run -m "$gemma" -f "$work/gprompt.txt" -n 32 --temp 0 -c 256 -t 2)
  read -r rc _ _ < <(peak_of "$cli" "${g_args[@]}")
  cp "$work/out" "$work/guncapped.txt"
  cap=$((gsize / 2))
  read -r rc peak baseline < <(peak_of "$cli" "${g_args[@]}" --ram-limit "$cap")
  ok=0; { cmp -s "$work/guncapped.txt" "$work/out" && [ "$rc" -eq 0 ]; } || ok=1
  check "gemma3 cap 50%: greedy text equals uncapped" $ok "exit $rc"
  ok=0; [ "$peak" -le $((cap + baseline)) ] || ok=1
  check "gemma3 cap 50%: peak RSS $peak <= cap + baseline $((cap + baseline))" $ok ""
else
  echo "skip: gemma3 at 50% (model missing or architecture not in this build)"
fi

echo "paging: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
