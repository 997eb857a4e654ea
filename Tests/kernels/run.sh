#!/usr/bin/env bash
# The kernel correctness suite (Tests/kernels/KernelCheck.swift) built
# with the shipped Embedded build in BUILD_DIR, run with every kernel set
# the target has:
#   host     this CPU's set
#   aarch64  under qemu-aarch64 -cpu cortex-a72 (Pi 4: no dotprod, so the
#            NEON set) and -cpu cortex-a76 (Pi 5: the sdot set), each also
#            with EDGELM_KERNELS=portable; plus the checks that the chosen
#            set follows the CPU, that the dotprod kernel really executes
#            `sdot` (it dies of SIGILL on the A72, which lacks it) and that
#            the shipped CLI runs on the A72 (so it executes no dotprod
#            instruction there: qemu would raise SIGILL) with the A76's text.
# Usage: Tests/kernels/run.sh host|aarch64 BUILD_DIR
set -euo pipefail
target=$1
dir=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
model=${EDGELM_MODEL_DIR:-$HOME/.cache/edgelm/models}/SmolLM2-135M-Instruct.Q4_1.gguf
. "$root/Tests/check.sh"

"$root/Cross/build-embedded.sh" "$target" "$dir" --program kernel-check "$root/Tests/kernels/KernelCheck.swift" >/dev/null

# suite NAME SET RUNNER...: the suite under RUNNER, expecting kernel set SET.
suite() {
  local name=$1 set=$2 out; shift 2
  if out=$("$@" "$dir/kernel-check" 2>&1); then
    check "kernel suite, $name: $(tail -n 1 <<<"$out")" ok ok
  else
    echo "$out" | grep -v '^ok' | head -20
    check "kernel suite, $name" ok failed
  fi
  check "kernel set chosen, $name" "kernels: $set" "$(grep '^kernels:' <<<"$out" || true)"
}

case "$target" in
  host)
    native=$("$dir/edgelm" info -m "$model" 2>/dev/null | sed -n 's/^kernels: //p')
    # (x86 chooses its set at build time: `make test-portable` covers the others)
    suite "this CPU ($native)" "$native" env
    ;;
  aarch64)
    a72=(qemu-aarch64 -L / -cpu cortex-a72)
    a76=(qemu-aarch64 -L / -cpu cortex-a76)
    suite "Cortex-A72" neon "${a72[@]}"
    suite "Cortex-A72, portable" portable env EDGELM_KERNELS=portable "${a72[@]}"
    suite "Cortex-A76" dotprod "${a76[@]}"
    suite "Cortex-A76, NEON set" neon env EDGELM_KERNELS=neon "${a76[@]}"
    suite "Cortex-A76, portable" portable env EDGELM_KERNELS=portable "${a76[@]}"
    check "dotprod kernel runs on the A76" "dotprod kernel ran" "$("${a76[@]}" "$dir/kernel-check" dotprod-probe 2>&1)"
    status=0
    ("${a72[@]}" "$dir/kernel-check" dotprod-probe >/dev/null 2>&1) 2>/dev/null || status=$?
    check "dotprod kernel executes sdot (SIGILL on the A72)" 132 "$status"
    count=$(aarch64-linux-gnu-objdump -d "$dir/libedgelm.so" | grep -cw sdot || true)
    check "libedgelm.so has sdot instructions ($count)" yes "$([ "$count" -gt 0 ] && echo yes || echo no)"
    prompt="The capital of France is"
    a76_text=$("${a76[@]}" "$dir/edgelm" run -m "$model" -p "$prompt" -n 16 --temp 0 -t 2 -c 256 2>/dev/null)
    a72_text=$("${a72[@]}" "$dir/edgelm" run -m "$model" -p "$prompt" -n 16 --temp 0 -t 2 -c 256 2>/dev/null)
    check "edgelm run on the A72 (no dotprod executed) == on the A76" "$a76_text" "$a72_text"
    # Packed weights (the dotprod set packs Gemma 3's q8_0 and q5_0 matrices, 171.49 + 41.57 MiB, at load):
    # the same text as the row-major NEON kernels on the same CPU, and the
    # packed copy replaces the file's pages rather than adding to them.
    gemma=${EDGELM_MODEL_DIR:-$HOME/.cache/edgelm/models}/gemma-3-270m-q4_k_m.gguf
    run_gemma() { "$@" "$dir/edgelm" run -m "$gemma" -p "$prompt" -n 12 --temp 0 -t 2 -c 256 2>"$dir/gemma.err"; }
    packed_text=$(run_gemma "${a76[@]}")
    packed_rss=$(sed -n 's/.*peak_rss_bytes \([0-9]*\).*/\1/p' "$dir/gemma.err")
    plain_text=$(run_gemma env EDGELM_KERNELS=neon "${a76[@]}")
    plain_rss=$(sed -n 's/.*peak_rss_bytes \([0-9]*\).*/\1/p' "$dir/gemma.err")
    check "Gemma 3 packed (dotprod) == row-major (NEON) text" "$plain_text" "$packed_text"
    check "Gemma 3 packed peak RSS ($packed_rss) within 16 MiB of row-major ($plain_rss)" yes \
      "$([ -n "$packed_rss" ] && [ "$packed_rss" -le $((plain_rss + 16 * 1048576)) ] && echo yes || echo no)"
    check "edgelm info reports the packed weights on the A76" "packed weights: 213.07 MiB" \
      "$("${a76[@]}" "$dir/edgelm" info -m "$gemma" 2>/dev/null | grep '^packed weights:')"
    check "no packed weights under a RAM cap (streamable)" "kernels: dotprod" \
      "$("${a76[@]}" "$dir/edgelm" info -m "$gemma" --ram-limit 200MiB 2>/dev/null | grep -E '^(kernels|packed weights):')"
    check "no packed weights on the A72" "" "$("${a72[@]}" "$dir/edgelm" info -m "$gemma" 2>/dev/null | grep '^packed weights:' || true)"
    check "edgelm info names the set on the A72" "kernels: neon" "$("${a72[@]}" "$dir/edgelm" info -m "$model" 2>/dev/null | grep '^kernels:')"
    check "edgelm info names the set on the A76" "kernels: dotprod" "$("${a76[@]}" "$dir/edgelm" info -m "$model" 2>/dev/null | grep '^kernels:')"
    # The registry's choice per type: the family's kernel where it has one,
    # else the portable one (Gemma 3's f32 norms have no int8 kernel).
    check "edgelm info: the kernel per tensor type on the A76" \
      "  by type: f32 portable, q4_K dotprod, q5_0 dotprod, q6_K dotprod, q8_0 dotprod" \
      "$("${a76[@]}" "$dir/edgelm" info -m "$gemma" 2>/dev/null | grep '^  by type:')"
    check "edgelm info: the kernel per tensor type, EDGELM_KERNELS=portable" \
      "  by type: f32 portable, q4_K portable, q5_0 portable, q6_K portable, q8_0 portable" \
      "$(env EDGELM_KERNELS=portable "${a76[@]}" "$dir/edgelm" info -m "$gemma" 2>/dev/null | grep '^  by type:')"
    ;;
  *) echo "error: unknown target '$target'" >&2; exit 2 ;;
esac
summary "kernels $target"
