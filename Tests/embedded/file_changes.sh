#!/usr/bin/env bash
# A model file changed while a process runs it (issue 23): truncated, copied
# over (O_TRUNC, then rewritten), written in place (same size) and renamed
# over, each in the middle of an edgelm_generate call
# (Tests/embedded/file_change_driver.c, against libedgelm.so), with the
# model mapped (config "load": "map"), mapped and streamed under a RAM cap,
# and read into memory ("load": "read"). Expected:
# - map and stream: truncate and cp-over turn the vanished pages into
#   EDGELM_ERR_IO ("... (SIGBUS on a mapped page) ..."), in-place into
#   EDGELM_ERR_IO ("... was modified while in use ..."), both naming the
#   file; no signal; every later call on the model returns EDGELM_ERR_IO;
#   freeing works. rename: EDGELM_OK, the same text as before.
# - read: all four EDGELM_OK with the same greedy text as before.
# Usage: Tests/embedded/file_changes.sh BUILD_DIR [host|aarch64]
#   (aarch64: a build of Cross/build-embedded.sh aarch64, run under qemu-aarch64)
set -euo pipefail
dir=$(cd "$1" && pwd)
target=${2:-host}
root=$(cd "$(dirname "$0")/../.." && pwd)
model=${EDGELM_MODEL_DIR:-$HOME/.cache/edgelm/models}/SmolLM2-135M-Instruct.Q4_1.gguf
. "$root/Tests/check.sh"
case "$target" in
  host) cc=${CC:-gcc}; runner=() ;;
  aarch64) cc=aarch64-linux-gnu-gcc; runner=(qemu-aarch64 -L /) ;;  # see Tests/embedded/run.sh
  *) echo "error: unknown target '$target'" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$cc -std=c99 -Wall -Wextra -Werror -I "$root/Include" -o "$work/driver" "$root/Tests/embedded/file_change_driver.c" \
  -L "$dir" -ledgelm -Wl,-rpath,"$dir"
cp "$model" "$work/original.gguf"
# Streaming: half the file, at context 256 (as Tests/paging/run.sh).
stream_cap=$(( $(stat -c %s "$model") / 2 ))

for load in map stream read; do
  for change in truncate cpover inplace rename; do
    cp "$work/original.gguf" "$work/model.gguf"
    rc=0
    case "$load" in
      stream) args=(map "$change" "$stream_cap") ;;
      *) args=("$load" "$change") ;;
    esac
    "${runner[@]}" "$work/driver" "$work/model.gguf" "$work/original.gguf" "${args[@]}" > "$work/out" 2>&1 || rc=$?
    name="$load/$change"
    check "$name: exits normally (no signal), frees everything" "0 freed" "$rc $(tail -n 1 "$work/out")"
    outcome=$(grep -E '^(first|during|after|eval|session_new) ' "$work/out" | tr '\n' ' ')
    during=$(sed -n 's/^during_error //p' "$work/out")
    after=$(sed -n 's/^after_error //p' "$work/out")
    if [ "$load" = read ] || [ "$change" = rename ]; then
      check "$name: every call OK, the same greedy text" \
        "first 0 during 0 same after 0 same eval 0 session_new 0 " "$outcome"
    else
      # The text of the call that saw the change is cut short: not compared.
      check "$name: EDGELM_ERR_IO (2) from that call on" \
        "first 0 during 2 after 2 eval 2 session_new 2 " "$(sed 's/ \(same\|different\)//g' <<<"$outcome")"
      case "$change" in
        inplace) reason="was modified while in use (its size or modification time changed since it was loaded)" ;;
        *) reason="changed or was truncated while in use (SIGBUS on a mapped page)" ;;
      esac
      expected="model file '$work/model.gguf' $reason; reload it; update models by renaming a new file over the old one"
      check "$name: the message names the file and the cause" "$expected" "$during"
      check "$name: later calls give the same message" "$expected" "$after"
    fi
    echo "  $name: $outcome"
  done
done
summary "file changes ($target)"
