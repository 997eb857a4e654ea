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

# aarch64 runs under qemu-user with the arm64 multiarch glibc (libc6:arm64,
# pulled in by libjson-c5:arm64): its loader and its libc.so.6 come from one
# build. With -L /usr/aarch64-linux-gnu the loader was libc6-arm64-cross's
# (2.36-8cross1) but libc.so.6 libc6:arm64's (2.36-9+deb12u14, found in
# /usr/lib/aarch64-linux-gnu or /lib/aarch64-linux-gnu, which qemu resolves
# on the host), and the first pthread_create looped forever inside libc
# walking the loader's stack-cache list (the two builds disagree on the
# loader's private data). That looked like "threads crawl under qemu"; with
# a matched pair, 2 threads take about half the time of 1.
case "$target" in
  host) readelf=readelf; runner=(); threads=2 ;;
  aarch64)
    readelf=aarch64-linux-gnu-readelf
    runner=(qemu-aarch64 -L /)
    threads=2
    ;;
  *) echo "error: unknown target '$target'" >&2; exit 2 ;;
esac

. "$root/Tests/check.sh"

# 1. No Swift runtime: only libc, libm, libjson-c, ld.so (and on aarch64
#    libpthread.so.0, where glibc before 2.34 has pthread_create).
needed=$($readelf -d "$dir/libedgelm.so" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
bad=$(echo "$needed" | tr ' ' '\n' | grep -v -E '^(libc\.so\.6|libm\.so\.6|libjson-c\.so\.5|libpthread\.so\.0|ld-linux.*|)$' || true)
check "libedgelm.so needs only libc/libm/json-c ($needed)" "" "$bad"
# The glibc a board needs: at most 2.31 (Raspberry Pi OS Bullseye, Ubuntu
# 20.04) for aarch64 (Sources/CEdgeSys/shim.c says how).
if [ "$target" = aarch64 ]; then
  for f in libedgelm.so edgelm; do
    newest=$(aarch64-linux-gnu-objdump -T "$dir/$f" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)
    check "$f needs no glibc symbol above GLIBC_2.31 (newest: $newest)" GLIBC_2.31 \
      "$(printf '%s\n' "$newest" GLIBC_2.31 | sort -V | tail -n 1)"
  done
fi
cli_needed=$($readelf -d "$dir/edgelm" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | grep -i swift || true)
check "edgelm CLI needs no Swift runtime" "" "$cli_needed"

# 2. Token ids of every fixture prompt, and greedy text where llama.cpp is
#    sure: the steps before its first near-tie (robust_steps, see
#    Tests/Fixtures/make_generation_fixtures.py), for prompts with at least 8.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$fixture" "$work" <<'PY'
import json, sys
cases = json.load(open(sys.argv[1]))["cases"]
for i, c in enumerate(cases):
    open(f"{sys.argv[2]}/prompt{i}.txt", "w").write(c["prompt"])
    open(f"{sys.argv[2]}/ids{i}.txt", "w").write(str(c["prompt_tokens"]))
    open(f"{sys.argv[2]}/steps{i}.txt", "w").write(str(c["robust_steps"]))
    open(f"{sys.argv[2]}/text{i}.txt", "w").write(c["robust_text"])
PY
for ids in "$work"/ids*.txt; do
  i=${ids##*/ids}; i=${i%.txt}
  got=$("${runner[@]}" "$dir/edgelm" tokenize -m "$model" -f "$work/prompt$i.txt")
  check "tokenize prompt $i" "$(cat "$ids")" "$got"
  steps=$(cat "$work/steps$i.txt")
  if [ "$steps" -ge 8 ]; then
    "${runner[@]}" "$dir/edgelm" run -m "$model" -f "$work/prompt$i.txt" -n "$steps" --temp 0 -t "$threads" \
      > "$work/out$i.txt" 2>/dev/null
    printf '\n' >> "$work/text$i.txt"   # run ends its output with a newline
    check "greedy $steps tokens, prompt $i" "$(od -c "$work/text$i.txt")" "$(od -c "$work/out$i.txt")"
  fi
done

# 3. Chat: two user lines in the model's own template (ChatML). Both turns
#    reply, the second reuses the first's KV cache, and the first reply is
#    the greedy continuation of the formatted first turn.
if printf 'Hi\nWhat is 2+2?\n' | "${runner[@]}" "$dir/edgelm" run -m "$model" --chat --temp 0 -n 16 -t "$threads" \
     > "$work/chat.txt" 2> "$work/chat.err"; then
  check "chat exits 0" ok ok
else
  check "chat exits 0" ok "failed: $(cat "$work/chat.err")"
fi
check "chat: two turns, each with a reply" "2" "$(grep -cE '^turn [12]: .*generated [1-9][0-9]* tokens' "$work/chat.err" || true)"
check "chat: turn 2 reuses the cache" "1" "$(grep -cE '^turn 2: .*\([1-9][0-9]* reused\)' "$work/chat.err" || true)"
check "chat: replies on stdout" "yes" "$(grep -q '[^[:space:]]' "$work/chat.txt" && echo yes || echo no)"
printf '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n' > "$work/turn1.prompt"
"${runner[@]}" "$dir/edgelm" run -m "$model" -f "$work/turn1.prompt" --temp 0 -n 16 -t "$threads" 2>/dev/null \
  > "$work/turn1.txt"
check "chat: first reply == edgelm run on the formatted turn" "$(od -c "$work/turn1.txt")" \
  "$(head -c "$(wc -c < "$work/turn1.txt")" "$work/chat.txt" | od -c)"

# 4. The bundled firmware example (Cross/bundle.sh) prints what the CLI does.
example=$(ls "$dir"/bundle/*/bin/firmware_example 2>/dev/null | head -1 || true)
if [ -n "$example" ]; then
  printf '{"threads": %s, "context_length": 128, "sampling": {"temperature": 0}}' "$threads" > "$work/config.json"
  want=$("${runner[@]}" "$dir/edgelm" run -m "$model" --config "$work/config.json" -f "$work/prompt4.txt" -n 8 2>/dev/null)
  libdir=$(cd "$(dirname "$example")/../lib" && pwd)
  if [ "$target" = aarch64 ]; then
    run_example=(env LD_LIBRARY_PATH="$libdir" qemu-aarch64 -L / "$example")
  else
    run_example=(env LD_LIBRARY_PATH="$libdir" "$example")
  fi
  got=$("${run_example[@]}" "$model" "$work/config.json" "$(cat "$work/prompt4.txt")" 8 2>/dev/null)
  check "bundled firmware_example == edgelm run" "$want" "$got"
fi

# 5. quantize: SmolLM2 to Q8_0 (what llama.cpp loaded in
#    Tests/Fixtures/make_quantize_fixtures.py), then greedy text from it equals
#    llama.cpp's on that file; a bad type fails with "error:" and no output.
qfixture=$root/Tests/Fixtures/quantize_tool.json
if "${runner[@]}" "$dir/edgelm" quantize "$model" "$work/q8.gguf" q8_0 -t "$threads" 2> "$work/quantize.err"; then
  check "quantize q8_0 exits 0" ok ok
else
  check "quantize q8_0 exits 0" ok "failed: $(cat "$work/quantize.err")"
fi
python3 - "$qfixture" "$work" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["llama_cpp_load"]
open(f"{sys.argv[2]}/qprompt.txt", "w").write(c["prompt"])
open(f"{sys.argv[2]}/qtext.txt", "w").write(c["files"]["Q8_0"]["greedy_text"] + "\n")
PY
"${runner[@]}" "$dir/edgelm" run -m "$work/q8.gguf" -f "$work/qprompt.txt" -n 8 --temp 0 -t "$threads" \
  > "$work/qout.txt" 2>/dev/null || true
check "greedy 8 tokens from our q8_0 == llama.cpp's on it" "$(od -c "$work/qtext.txt")" "$(od -c "$work/qout.txt")"
if "${runner[@]}" "$dir/edgelm" quantize "$model" "$work/bad.gguf" q4_9 2> "$work/bad.err"; then
  check "quantize with a bad type fails" nonzero 0
else
  check "quantize with a bad type fails" nonzero nonzero
fi
check "bad type: error message" "yes" "$(grep -q '^error: unsupported quantization type' "$work/bad.err" && echo yes || echo no)"
check "bad type: no output file" "no" "$([ -e "$work/bad.gguf" ] || [ -e "$work/bad.gguf.tmp" ] && echo yes || echo no)"

# 6. RAM cap (layer streaming) on this target: greedy text under caps of 50%
#    and 25% of the file equals the uncapped text. Under qemu also what
#    Tests/paging/run.sh checks on the host, the peak RSS under the cap and
#    the thread budget, with the emulator's own share measured (see below).
size=$(stat -c %s "$model")
printf 'The capital of France is' > "$work/cap.txt"
cap_run() {  # cap_run NAME ARGS...: stdout to $work/NAME.txt, stderr to $work/NAME.err
  local name=$1; shift
  "${runner[@]}" "$dir/edgelm" run -m "$model" -f "$work/cap.txt" --temp 0 -c 256 "$@" \
    > "$work/$name.txt" 2> "$work/$name.err" || true
}
field() { grep -o "$1 [0-9]*" "$2" | grep -o '[0-9]*$' || echo 0; }  # field NAME FILE
cap_run cap_full -n 12 -t "$threads"
for percent in 50 25; do
  cap_run "cap_$percent" -n 12 -t "$threads" --ram-limit $((size * percent / 100))
  check "ram_limit $percent%: greedy text == uncapped" "$(od -c "$work/cap_full.txt")" "$(od -c "$work/cap_$percent.txt")"
done
if [ "$target" = aarch64 ]; then
  # Threads: qemu-user runs threads of its own beside the guest's (its RCU
  # thread), and the CLI counts the process's threads. A run with -t 1
  # starts no pool (its only EdgeLM thread is the caller), so its max_threads
  # minus 1 is the emulator's count; with that subtracted, the runs with 2
  # and 4 threads (streaming, so the prefetcher counts too) stay within their
  # budget. (For t = 1 the check only restates the measurement.)
  cap_run threads_1 -n 4 -t 1 --ram-limit $((size / 2))
  cap_run threads_4 -n 4 -t 4 --ram-limit $((size / 2))
  cp "$work/cap_50.err" "$work/threads_$threads.err"
  emulator_threads=$(( $(field max_threads "$work/threads_1.err") - 1 ))
  for t in 1 "$threads" 4; do
    most=$(field max_threads "$work/threads_$t.err")
    check "threads $t (streaming): max_threads $most - qemu's $emulator_threads <= $t" yes \
      "$([ "$most" -gt 0 ] && [ $((most - emulator_threads)) -le "$t" ] && echo yes || echo no)"
  done
  # Peak RSS: VmHWM here is the emulator's process, and the emulator's own
  # memory grows while the guest runs (its cache of translated code, its
  # heap of translation blocks and guest page descriptors): sampling
  # /proc/PID/smaps of qemu-aarch64 7.2 showed it go from 16.6 to 19.6 MB
  # during a run while the guest's own mappings stayed under the cap, so
  # peak <= cap + baseline fails by that growth, not by the guest. The growth
  # is measured on the uncapped run: its peak above its baseline, minus what
  # the guest adds there, which `edgelm info` plans ("planned peak ... above
  # the process baseline", an upper bound: the host's uncapped run stays under
  # it). That gives a lower bound of the emulator's growth, so the check
  # peak <= cap + baseline + growth is no looser than the emulator makes it;
  # a growth above 8 MiB would mean the plan broke, and fails.
  planned=$("${runner[@]}" "$dir/edgelm" info -m "$model" -c 256 -t "$threads" 2>/dev/null \
    | sed -n 's/.*planned peak \([0-9.]*\) MiB above the process baseline.*/\1/p')
  planned_bytes=$(awk -v m="${planned:-0}" 'BEGIN { printf "%d", m * 1048576 }')
  growth=$(( $(field peak_rss_bytes "$work/cap_full.err") - $(field baseline_rss_bytes "$work/cap_full.err") - planned_bytes ))
  [ "$growth" -ge 0 ] || growth=0
  check "qemu's own growth during a run: $growth bytes (planned guest peak ${planned:-none} MiB) <= 8 MiB" yes \
    "$([ "$planned_bytes" -gt 0 ] && [ "$growth" -le $((8 << 20)) ] && echo yes || echo no)"
  for percent in 50 25; do
    peak=$(field peak_rss_bytes "$work/cap_$percent.err")
    limit=$(( size * percent / 100 + $(field baseline_rss_bytes "$work/cap_$percent.err") + growth ))
    check "ram_limit $percent%: peak RSS $peak <= cap + baseline + qemu's growth = $limit" yes \
      "$([ "$peak" -gt 0 ] && [ "$peak" -le "$limit" ] && echo yes || echo no)"
  done
fi

# 7. Gemma 3 270M Q4_K_M (gemma3, SentencePiece, K-quants): token ids of the
#    generation fixture's prompts and llama.cpp's robust greedy prefixes.
gemma=$model_dir/gemma-3-270m-q4_k_m.gguf
python3 - "${fixture%/*}/generation_gemma3.json" "$work" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
short = [c for c in f["cases"] if not c.get("long")]
# Four prompts to tokenize, and the first one where llama.cpp is sure for at
# least 4 steps (Gemma's near-ties are many: most prompts have none).
cases = short[:3] + [max(short, key=lambda c: c["robust_steps"])]
for i, c in enumerate(cases):
    open(f"{sys.argv[2]}/g{i}.txt", "w").write(c["prompt"])
    open(f"{sys.argv[2]}/g{i}.ids", "w").write(str(c["prompt_tokens"]))
    open(f"{sys.argv[2]}/g{i}.steps", "w").write(str(c["robust_steps"]))
    open(f"{sys.argv[2]}/g{i}.want", "w").write(c["robust_text"] + "\n")  # run ends with a newline
PY
for i in 0 1 2 3; do
  got=$("${runner[@]}" "$dir/edgelm" tokenize -m "$gemma" -f "$work/g$i.txt")
  check "gemma3 tokenize prompt $i" "$(cat "$work/g$i.ids")" "$got"
  steps=$(cat "$work/g$i.steps")
  if [ "$steps" -ge 4 ]; then
    "${runner[@]}" "$dir/edgelm" run -m "$gemma" -f "$work/g$i.txt" -n "$steps" --temp 0 -t "$threads" -c 256 \
      > "$work/g$i.out" 2>/dev/null || true
    check "gemma3 greedy prompt $i ($steps robust steps)" "$(od -c "$work/g$i.want")" "$(od -c "$work/g$i.out")"
  fi
done

# 7. edgelm info prints a model's metadata with its control characters
#    replaced: the file is untrusted, and a key or value holding ESC [ ...
#    (or the one-byte CSI, U+009B) would drive the terminal. A copy of the
#    model with "general.name" renamed "\e[31mal.name" and a value of
#    U+009B "2J".
if [ "$target" = host ]; then
  python3 - "$model" "$work/escape.gguf" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
i = data.index(b"general.name")
data[i:i + 12] = b"\x1b[31mal.name"
# after the key: its type (u32), the value's length (u64), the value
# ("Smollm2 135M..."), whose first 4 bytes become U+009B "2J"
data[i + 24:i + 28] = "\u009b2J".encode()
open(sys.argv[2], "wb").write(data)
PY
  info=$("$dir/edgelm" info -m "$work/escape.gguf" 2>&1) || true
  check "edgelm info of a model with ESC and CSI in its metadata prints none of them" \
    "no control bytes" "$(printf '%s' "$info" | LC_ALL=C grep -c $'\x1b\|\xc2\x9b' >/dev/null && echo "control bytes" || echo "no control bytes")"
  check "edgelm info still prints the renamed key, escaped" yes "$(grep -q '^  ?\[31mal.name = ' <<<"$info" && echo yes || echo no)"
  # An error that quotes such a key (its value type is now unknown).
  python3 - "$work/escape.gguf" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
i = data.index(b"\x1b[31mal.name")
data[i + 12:i + 16] = (99).to_bytes(4, "little")
open(sys.argv[1], "wb").write(data)
PY
  err=$("$dir/edgelm" info -m "$work/escape.gguf" 2>&1 >/dev/null) || true
  check "an error quoting it prints no control bytes either" "no control bytes" \
    "$(printf '%s' "$err" | LC_ALL=C grep -c $'\x1b\|\xc2\x9b' >/dev/null && echo "control bytes" || echo "no control bytes")"
fi

summary "$target"
