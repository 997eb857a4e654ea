#!/usr/bin/env bash
# Packs a device bundle from an Embedded build: library, header, CLI, the
# firmware example built for the device, edgelm.pc and a README.
# Usage: Cross/bundle.sh aarch64|host BUILD_DIR   ->  BUILD_DIR/../edgelm-<triple>.tar.gz
set -euo pipefail
target=$1
dir=$(cd "$2" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
case "$target" in
  aarch64) triple=aarch64-linux-gnu; cc=aarch64-linux-gnu-gcc ;;
  host) triple=$(gcc -dumpmachine); cc=gcc ;;
  *) echo "error: unknown target '$target' (aarch64, host)" >&2; exit 2 ;;
esac
stage=$dir/bundle/edgelm-$triple
rm -rf "$dir/bundle"
mkdir -p "$stage/lib/pkgconfig" "$stage/include" "$stage/bin" "$stage/examples/c"
cp "$root/Include/edgelm.h" "$stage/include/"
cp "$dir/libedgelm.so" "$stage/lib/"
cp "$dir/edgelm" "$stage/bin/"
sed -e 's|@PREFIX@|/usr/local|' "$root/Cross/edgelm.pc.in" > "$stage/lib/pkgconfig/edgelm.pc"
cp "$root/Examples/c/firmware_example.c" "$root/Examples/c/Makefile" "$root/Examples/c/config.json" "$stage/examples/c/"
"$cc" -std=c99 -O2 -Wall -Wextra -Werror -pedantic -I "$stage/include" \
  -o "$stage/bin/firmware_example" "$root/Examples/c/firmware_example.c" -L "$stage/lib" -ledgelm \
  $([ "$target" != aarch64 ] || echo "$dir/glibc-compat.o -Wl,--wrap=__libc_start_main")
cat > "$stage/README.txt" <<TXT
EdgeLM for $triple (Raspberry Pi OS 64-bit and similar)

Needs only libc, libm and json-c on the device:  sudo apt install libjson-c5
Install:   sudo cp -r lib include bin /usr/local/ && sudo ldconfig
Run:       edgelm run -m model.gguf -p "Hello" -n 32 -t 4
Example:   firmware_example model.gguf examples/c/config.json "Hello" 32
Build C:   cc prog.c \$(pkg-config --cflags --libs edgelm)
TXT
tar -C "$dir/bundle" -czf "$dir/../edgelm-$triple.tar.gz" "edgelm-$triple"
echo "bundle: $(cd "$dir/.." && pwd)/edgelm-$triple.tar.gz"
