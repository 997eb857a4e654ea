#!/usr/bin/env bash
# Builds the shipped artefacts in Embedded Swift mode (no Swift runtime):
#   OUT/libedgelm.so, OUT/libedgelm.a objects, OUT/edgelm (CLI)
# Usage: Cross/build-embedded.sh host|aarch64 OUT_DIR
set -euo pipefail
target=${1:-host}
out=${2:-build/$target}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p "$out"
swift_bin=$(dirname "$(command -v swiftc)")
embedded_lib="$swift_bin/../lib/swift/embedded"

common=(-enable-experimental-feature Embedded -wmo -O
        -I Sources/CEdgeSys/include -I Sources/CJSONC -Xcc -fPIC
        -Xcc -Wno-macro-redefined)
case "$target" in
  host)
    triple=x86_64-unknown-linux-gnu
    cc=${CC:-gcc}
    # EDGELM_TARGET_CPU: an LLVM CPU name (haswell, znver3, ...); this
    # machine's CPU by default, as llama.cpp's GGML_NATIVE.
    cpu=${EDGELM_TARGET_CPU:-native}
    tflags=(-target "$triple" -target-cpu "$cpu")
    # The AVX2 kernels (Quant/DotInt8.swift) when the target CPU has AVX2,
    # as the toolchain's clang sees it for the same CPU name.
    macros=$("$swift_bin/clang" -march="$cpu" -dM -E - </dev/null)
    if grep -q '__AVX2__' <<<"$macros"; then
      tflags+=(-D EDGELM_AVX2)
      # ... with `vpdpbusd` on 256-bit vectors (AVX512-VNNI + VL).
      if grep -q '__AVX512VNNI__' <<<"$macros" && grep -q '__AVX512VL__' <<<"$macros"; then
        tflags+=(-D EDGELM_AVX512VNNI)
      fi
    fi
    ldpath=()
    ;;
  aarch64)
    triple=aarch64-none-none-elf
    cc=aarch64-linux-gnu-gcc
    tflags=(-target "$triple" -Xcc --sysroot=/usr/aarch64-linux-gnu
            -Xcc -I/usr/aarch64-linux-gnu/include -Xcc -I/usr/include
            -Xcc -D__linux__ -Xcc -D__unix__)
    ldpath=(-L/usr/lib/aarch64-linux-gnu)
    ;;
  *) echo "error: unknown target '$target' (host, aarch64)" >&2; exit 2 ;;
esac
unicode="$embedded_lib/$triple/libswiftUnicodeDataTables.a"

"$cc" -c -O2 -fPIC -std=gnu11 -I Sources/CEdgeSys/include Sources/CEdgeSys/shim.c -o "$out/shim.o"
core_sources=$(find Sources/EdgeLM -name '*.swift' | sort)
swiftc "${common[@]}" "${tflags[@]}" -parse-as-library -module-name EdgeLM \
  -emit-module -emit-module-path "$out/EdgeLM.swiftmodule" \
  -c $core_sources -o "$out/EdgeLM.o"
# Only the edgelm_* functions of Include/edgelm.h are exported.
"$cc" -shared -o "$out/libedgelm.so" "$out/EdgeLM.o" "$out/shim.o" "$unicode" \
  "${ldpath[@]}" -ljson-c -lm -lpthread -Wl,--no-undefined -Wl,-soname,libedgelm.so \
  -Wl,--version-script=Cross/libedgelm.map -Wl,--gc-sections

cli_sources=$(find Sources/edgelm -name '*.swift' | sort)
swiftc "${common[@]}" "${tflags[@]}" -module-name edgelm -I "$out" \
  -c $cli_sources -o "$out/edgelm_cli.o"
"$cc" -o "$out/edgelm" "$out/edgelm_cli.o" "$out/EdgeLM.o" "$out/shim.o" "$unicode" \
  "${ldpath[@]}" -ljson-c -lm -lpthread
cp Include/edgelm.h "$out/"
echo "built $out/libedgelm.so and $out/edgelm ($target)"
