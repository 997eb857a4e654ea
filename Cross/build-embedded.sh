#!/usr/bin/env bash
# Builds the shipped artefacts in Embedded Swift mode (no Swift runtime):
#   OUT/libedgelm.so, OUT/libedgelm.a objects, OUT/edgelm (CLI)
# Usage: Cross/build-embedded.sh host|aarch64 OUT_DIR
#        Cross/build-embedded.sh host|aarch64 OUT_DIR --program NAME SOURCE...
#          builds only OUT_DIR/NAME from SOURCE... against the core already
#          built in OUT_DIR (test programs, e.g. Tests/kernels).
set -euo pipefail
target=${1:-host}
out=${2:-build/$target}
program=()
if [ "${3:-}" = --program ]; then program=("${@:4}"); fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p "$out"
swift_bin=$(dirname "$(command -v swiftc)")
embedded_lib="$swift_bin/../lib/swift/embedded"

common=(-enable-experimental-feature Embedded -wmo -O
        -I Sources/CEdgeSys/include -I Sources/CJSONC -Xcc -fPIC
        -Xcc -Wno-macro-redefined)
cflags=(-O2 -fPIC)
# EDGELM_FRAME_POINTERS=1: keep frame pointers (Embedded Swift emits no
# unwind tables), so that a stack can be walked; for the fault-injection
# sweep (Tests/embedded/fault_sweep.sh), not for what we ship.
if [ "${EDGELM_FRAME_POINTERS:-0}" = 1 ]; then
  common+=(-Xcc -fno-omit-frame-pointer)
  cflags+=(-fno-omit-frame-pointer)
fi
case "$target" in
  host)
    triple=x86_64-unknown-linux-gnu
    cc=${CC:-gcc}
    # EDGELM_TARGET_CPU: an LLVM CPU name (haswell, znver3, ...); this
    # machine's CPU by default, as llama.cpp's GGML_NATIVE.
    cpu=${EDGELM_TARGET_CPU:-native}
    tflags=(-target "$triple" -target-cpu "$cpu")
    # The AVX2 kernels (Quant/X86/) when the target CPU has AVX2,
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
    # libpthread.so.0 by name: glibc before 2.34 defines pthread_create
    # there (Cross/glibc-compat.c binds the version all of them have).
    ldpath=(-L/usr/lib/aarch64-linux-gnu -Wl,--no-as-needed -l:libpthread.so.0)
    ;;
  *) echo "error: unknown target '$target' (host, aarch64)" >&2; exit 2 ;;
esac
unicode="$embedded_lib/$triple/libswiftUnicodeDataTables.a"

# What is linked for aarch64 needs no glibc above 2.31: Cross/glibc-compat.c
# (for executables also the start-up wrapper).
compat=() start=()
if [ "$target" = aarch64 ]; then
  tflags+=(-D EDGELM_ARM_KERNELS)
  compat=("$out/glibc-compat.o")
  start=(-Wl,--wrap=__libc_start_main)
fi

reserve_wrap=(-Wl,--wrap=posix_memalign -Wl,--wrap=free)

# link NAME SOURCE...: an executable from Swift sources and the core.
link() {
  local name=$1; shift
  swiftc "${common[@]}" "${tflags[@]}" -module-name "${name//-/_}" -I "$out" -c "$@" -o "$out/${name}_cli.o"
  "$cc" -o "$out/$name" "$out/${name}_cli.o" "$out/EdgeLM.o" "$out/shim.o" "$out/sigbus.o" "$out/reserve.o" "$unicode" \
    ${compat[@]+"${compat[@]}"} ${start[@]+"${start[@]}"} "${reserve_wrap[@]}" "${ldpath[@]}" -ljson-c -lm -lpthread -Wl,--gc-sections
}
if [ ${#program[@]} -gt 0 ]; then
  [ -f "$out/EdgeLM.o" ] || { echo "error: build the core in $out first" >&2; exit 2; }
  link "${program[@]}"
  echo "built $out/${program[0]} ($target)"
  exit 0
fi

# -ffunction-sections: links with --gc-sections drop shim.c's weak thread
# functions where Cross/glibc-compat.c replaces them (and their references
# to the newest pthread symbols with them).
"$cc" -c "${cflags[@]}" -std=gnu11 -ffunction-sections -I Sources/CEdgeSys/include Sources/CEdgeSys/shim.c -o "$out/shim.o"
"$cc" -c "${cflags[@]}" -std=gnu11 -Wall -Werror -I Sources/CEdgeSys/include Sources/CEdgeSys/sigbus.c -o "$out/sigbus.o"
# Out of memory as an error (Sources/CEdgeSys/reserve.c): the core's own
# posix_memalign and free (the Embedded Swift runtime's included) go
# through the reserve.
"$cc" -c "${cflags[@]}" -std=gnu11 -D EDGELM_RESERVE -I Sources/CEdgeSys/include Sources/CEdgeSys/reserve.c -o "$out/reserve.o"
[ "$target" != aarch64 ] ||
  "$cc" -c -O2 -fPIC -I Sources/CEdgeSys/include Cross/glibc-compat.c -o "$out/glibc-compat.o"

# The Arm int8 kernels (Sources/EdgeLMArm), built twice for aarch64: for
# Armv8.0 (module EdgeLMArmNEON) and with the dot-product instructions
# (EdgeLMArmDotProd). Their C-ABI entry points differ by build; the core
# (EDGELM_ARM_KERNELS) picks one set at run time from the CPU's HWCAP
# (Quant/KernelRegistry.swift).
arm_objects=()
if [ "$target" = aarch64 ]; then
  arm_sources=$(find Sources/EdgeLMArm -name '*.swift' | sort)
  swiftc "${common[@]}" "${tflags[@]}" -parse-as-library -module-name EdgeLMArmNEON \
    -c $arm_sources -o "$out/EdgeLMArmNEON.o"
  swiftc "${common[@]}" "${tflags[@]}" -D EDGELM_DOTPROD -Xcc -march=armv8.2-a+dotprod \
    -parse-as-library -module-name EdgeLMArmDotProd -c $arm_sources -o "$out/EdgeLMArmDotProd.o"
  arm_objects=("$out/EdgeLMArmNEON.o" "$out/EdgeLMArmDotProd.o")
fi

core_sources=$(find Sources/EdgeLM -name '*.swift' | sort)
swiftc "${common[@]}" "${tflags[@]}" -parse-as-library -module-name EdgeLM \
  -emit-module -emit-module-path "$out/EdgeLM.swiftmodule" \
  -c $core_sources -o "$out/EdgeLM-core.o"
# One relocatable object for the whole core (what the CLI and libedgelm.so link).
"$cc" -r -nostdlib -o "$out/EdgeLM.o" "$out/EdgeLM-core.o" ${arm_objects[@]+"${arm_objects[@]}"}
# Only the edgelm_* functions of Include/edgelm.h are exported.
"$cc" -shared -o "$out/libedgelm.so" "$out/EdgeLM.o" "$out/shim.o" "$out/sigbus.o" "$out/reserve.o" ${compat[@]+"${compat[@]}"} "$unicode" \
  "${reserve_wrap[@]}" "${ldpath[@]}" -ljson-c -lm -lpthread -Wl,--no-undefined -Wl,-soname,libedgelm.so \
  -Wl,--version-script=Cross/libedgelm.map -Wl,--gc-sections

link edgelm $(find Sources/edgelm -name '*.swift' | sort)
cp Include/edgelm.h "$out/"
echo "built $out/libedgelm.so and $out/edgelm ($target)"
