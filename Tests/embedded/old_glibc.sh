#!/usr/bin/env bash
# The aarch64 bundle on the oldest glibc we support, for real: Debian 11's
# glibc 2.31 (as Raspberry Pi OS Bullseye has) and json-c, fetched once
# from Debian's archive into ~/.cache/edgelm/debian11-arm64 with a private
# apt state (the machine's own apt setup is not touched), and the bundle's
# CLI and example run on it under qemu-aarch64 -L: they must load and give
# the same greedy text as on the build machine's glibc.
# Usage: Tests/embedded/old_glibc.sh BUILD_DIR   (after `make cross-aarch64`)
set -euo pipefail
dir=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
model=${EDGELM_MODEL_DIR:-$HOME/.cache/edgelm/models}/SmolLM2-135M-Instruct.Q4_1.gguf
cache=$HOME/.cache/edgelm/debian11-arm64
sysroot=$cache/root
. "$root/Tests/check.sh"

if [ ! -e "$sysroot/lib/aarch64-linux-gnu/libjson-c.so.5" ]; then
  rm -rf "$cache"
  mkdir -p "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$sysroot"
  echo "deb [arch=arm64] http://deb.debian.org/debian bullseye main" > "$cache/apt/sources.list"
  apt=(-o Dir::Etc::SourceList="$cache/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
       -o Dir::State::Lists="$cache/apt/lists" -o Dir::State::status=/dev/null
       -o Dir::Cache="$cache/apt/cache" -o APT::Architecture=arm64 -o APT::Architectures::=arm64
       -o APT::Sandbox::User=root)
  apt-get "${apt[@]}" -qq update
  (cd "$cache" && apt-get "${apt[@]}" -qq download libc6:arm64 libjson-c5:arm64 libgcc-s1:arm64)
  for deb in "$cache"/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
  # One library directory, so that nothing falls back to the host's arm64 libraries.
  cp -a "$sysroot"/usr/lib/aarch64-linux-gnu/libjson-c.so.5* "$sysroot/lib/aarch64-linux-gnu/"
fi
check "the root has glibc 2.31" yes "$([ -e "$sysroot/lib/aarch64-linux-gnu/libc-2.31.so" ] && echo yes || echo no)"

prompt="The capital of France is"
expected=$(qemu-aarch64 -L / -cpu cortex-a72 "$dir/edgelm" run -m "$model" -p "$prompt" -n 16 --temp 0 -t 2 -c 256 2>/dev/null)
for cpu in cortex-a72 cortex-a76; do
  got=$(qemu-aarch64 -L "$sysroot" -cpu $cpu "$dir/edgelm" run -m "$model" -p "$prompt" -n 16 --temp 0 -t 2 -c 256 \
          2>"$cache/stderr.txt") || true
  check "edgelm run on glibc 2.31, $cpu, 2 threads" "$expected" "$got"
  [ "$got" == "$expected" ] || tail -3 "$cache/stderr.txt"
done
stage=$dir/bundle/edgelm-aarch64-linux-gnu
out=$(qemu-aarch64 -L "$sysroot" -cpu cortex-a72 -E LD_LIBRARY_PATH="$stage/lib" "$stage/bin/firmware_example" \
        "$model" "$root/Examples/c/config.json" "$prompt" 8 2>&1) && rc=0 || rc=$?
check "the bundled firmware_example runs on glibc 2.31 (exit status)" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | tail -3
summary "glibc 2.31"
