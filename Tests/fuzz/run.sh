#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Tests/fuzz/harnesses/*.swift) with
# `swiftc -sanitize=fuzzer,address` and runs each for a bounded time.
#
#   Tests/fuzz/run.sh [--seconds N] [--corpus-dir DIR] [--build-only] [NAME...]
#
#   NAME          harnesses to run (default: all): gguf, tokenizer, config,
#                 chat_template
#   --seconds N   fuzzing time per harness (default 30)
#   --corpus-dir  keep what the fuzzer finds in DIR/NAME (`make fuzz`);
#                 without it new inputs go to a temporary directory that is
#                 deleted afterwards. The committed seeds in
#                 Tests/fuzz/corpus/NAME are read, never written.
#   --build-only  build the harnesses, run nothing
#
# Environment: FUZZ_BUILD (default .build-fuzz) for the build outputs and
# crash artifacts; EDGELM_MODEL_DIR for the tokenizer harness's models.
#
# The core is compiled once (normal Swift, not Embedded: ASan and libFuzzer
# need the runtime) with the same sanitizer flags as the harnesses, so its
# code is both ASan-checked and coverage-instrumented, and with
# -enable-testing so harnesses can reach internal entry points. It is
# rebuilt only when a file under Sources/ changed. Each harness links
# against it, the C files of CEdgeSys (clang -fsanitize=fuzzer-no-link,address) and
# json-c. Harnesses are relinked when they or the core changed.
#
# A run fails (exit 1) on any crash, ASan report, leak, timeout or RSS
# overrun; the input is saved as $FUZZ_BUILD/artifacts/NAME-crash-* etc.
# and the command to replay it is printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

seconds=30 corpus_dir="" build_only=0 names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --corpus-dir) corpus_dir=$2; shift 2 ;;
    --build-only) build_only=1; shift ;;
    -*) echo "error: unknown option $1" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
if [ ${#names[@]} -eq 0 ]; then
  names=(gguf tokenizer config chat_template)
fi

build=${FUZZ_BUILD:-.build-fuzz}
mkdir -p "$build/core" "$build/artifacts"
build=$(cd "$build" && pwd)
sanitize=(-sanitize=fuzzer,address)
swift_flags=(-O -swift-version 5 -parse-as-library
             -I Sources/CEdgeSys/include -I Sources/CJSONC)

# The kernel set Package.swift picks for this CPU.
cpu_flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
defines=()
if grep -qw avx2 <<<"$cpu_flags"; then
  defines+=(-D EDGELM_AVX2)
  if grep -qw avx512_vnni <<<"$cpu_flags" && grep -qw avx512vl <<<"$cpu_flags"; then
    defines+=(-D EDGELM_AVX512VNNI)
  fi
fi

# MARK: - The core, once

swift_bin=$(dirname "$(command -v swiftc)")
core_sources=$(find Sources/EdgeLM -name '*.swift' | sort)
core_command=(swiftc "${sanitize[@]}" "${swift_flags[@]}" ${defines[@]+"${defines[@]}"} -target-cpu native
              -wmo -num-threads 2 -enable-testing -module-name EdgeLM
              -emit-module -emit-module-path "$build/EdgeLM.swiftmodule"
              -output-file-map "$build/core/output-map.json")
# The stamp holds the compile command and the file list: a change to
# either, or any file under Sources/ newer than the stamp, rebuilds the core.
stamp=$build/core.stamp
stamp_text=$(printf '%s\n' "${core_command[*]}" $core_sources)
if [ "$(cat "$stamp" 2>/dev/null)" != "$stamp_text" ] ||
   [ -n "$(find Sources -newer "$stamp" -type f | head -1)" ]; then
  echo "== building the core with ${sanitize[*]} ($(wc -w <<<"$core_sources") files)"
  start=$(date +%s)
  rm -f "$stamp" "$build"/core/*.o
  # One object per source file, so -num-threads can split LLVM's work over
  # both cores; the map names each object after its path (no clashes).
  {
    echo "{"
    for f in $core_sources; do
      echo "  \"$root/$f\": {\"object\": \"$build/core/$(tr / _ <<<"${f%.swift}").o\"},"
    done
    echo "  \"\": {}"
    echo "}"
  } >"$build/core/output-map.json"
  "${core_command[@]}" -c $(sed "s|^|$root/|" <<<"$core_sources")
  # Every C file of CEdgeSys, as SwiftPM builds them (reserve.c without
  # EDGELM_RESERVE), with the toolchain's clang, which has the libFuzzer
  # and ASan runtimes.
  rm -rf "$build/csys" && mkdir -p "$build/csys"
  for c in Sources/CEdgeSys/*.c; do
    "$swift_bin/clang" -c -O1 -g -fsanitize=fuzzer-no-link,address -std=gnu11 -I Sources/CEdgeSys/include \
      "$c" -o "$build/csys/$(basename "${c%.c}").o"
  done
  echo "$stamp_text" >"$stamp"
  echo "== core built in $(( $(date +%s) - start ))s"
fi

# MARK: - Harnesses

for name in "${names[@]}"; do
  src=Tests/fuzz/harnesses/$name.swift
  exe=$build/fuzz-$name
  [ -f "$src" ] || { echo "error: no harness $src" >&2; exit 2; }
  if [ ! -x "$exe" ] || [ "$src" -nt "$exe" ] || [ "$stamp" -nt "$exe" ]; then
    # lld: gold warns about every ASan check symbol it cannot export.
    swiftc "${sanitize[@]}" "${swift_flags[@]}" -use-ld=lld -I "$build" -module-name "fuzz_$name" \
      "$src" "$build"/core/*.o "$build"/csys/*.o -ljson-c -o "$exe"
    echo "built $exe"
  fi
done
[ "$build_only" = 0 ] || exit 0

# MARK: - Runs

# Leaks are findings (LeakSanitizer runs after every input that allocated
# more than it freed); per-input timeout and RSS cap as OSS-Fuzz sets them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
# A Swift trap is a SIGILL that libFuzzer reports with the input; the Swift
# runtime's own backtracer would also catch it, and can outlive the crashed
# harness holding its output pipe open (the run then never ends).
export SWIFT_BACKTRACE=enable=no
failed=()
summary=()
for name in "${names[@]}"; do
  seeds=Tests/fuzz/corpus/$name
  if [ -n "$corpus_dir" ]; then
    out=$corpus_dir/$name
    mkdir -p "$out"
  else
    out=$(mktemp -d "${TMPDIR:-/tmp}/edgelm-fuzz-$name.XXXXXX")
  fi
  dict=()
  [ -f "Tests/fuzz/dicts/$name.dict" ] && dict=(-dict="Tests/fuzz/dicts/$name.dict")
  log=$build/fuzz-$name.log
  echo "== fuzz-$name for ${seconds}s (seeds: $seeds, new inputs: $out)"
  status=0
  "$build/fuzz-$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" ${dict[@]+"${dict[@]}"} \
    "$out" "$seeds" >"$log" 2>&1 || status=$?
  [ -n "$corpus_dir" ] || rm -rf "$out"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [ "$status" != 0 ]; then
    echo "FAILED: fuzz-$name exited with $status; the end of $log:"
    grep -v '^#[0-9]' "$log" | tail -40
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    [ -z "$artifact" ] || echo "replay: $build/fuzz-$name $artifact"
    failed+=("$name")
  fi
  summary+=("$(printf '%-14s %10s runs %8s exec/s  %s' "$name" "${runs:-?}" "${rate:-?}" \
    "$([ "$status" = 0 ] && echo ok || echo FAILED)")")
done
echo "== fuzzing summary (${seconds}s each)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "error: findings in: ${failed[*]}" >&2
  exit 1
fi
