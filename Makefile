# EdgeLM — two commands for a newcomer: `make demo` and `make test`.
# Everything else here is what those two are made of.

PREFIX      ?= /usr/local
MODEL_DIR   ?= $(HOME)/.cache/edgelm/models
MODEL       ?= $(MODEL_DIR)/SmolLM2-135M-Instruct.Q4_1.gguf
PROMPT      ?= <|im_start|>user\nWrite a short poem about a robot learning to paint.<|im_end|>\n<|im_start|>assistant\n
THREADS     ?= $(shell nproc)
BUILD       ?= build
SWIFT_FLAGS ?= -c release -Xswiftc -enable-testing
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

APT_HOST    := libjson-c-dev pkg-config python3-pip valgrind
APT_CROSS   := gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libjson-c-dev:arm64

.PHONY: tsan demo test deps deps-cross models build lib cross-aarch64 install uninstall \
        test-swift test-portable test-embedded test-cross test-asan test-fuzz fuzz bench clean

## demo: install what is missing, fetch SmolLM2, build, generate text.
demo: deps models lib
	$(BUILD)/host/edgelm run -m $(MODEL) -t $(THREADS) -n 96 --temp 0 -p "$$(printf '$(PROMPT)')"

## test: every test: Swift unit and end-to-end tests, the Embedded host
## build, the aarch64 cross build run under qemu, the Swift tests under
## AddressSanitizer and a bounded run of each fuzzer.
test: deps deps-cross models test-swift test-portable test-embedded test-cross test-asan test-fuzz

deps:
	@missing=""; for p in $(APT_HOST); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi

deps-cross:
	@dpkg --print-foreign-architectures | grep -q arm64 || { $(SUDO) dpkg --add-architecture arm64; $(SUDO) apt-get update -qq; }
	@missing=""; for p in $(APT_CROSS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi

## models: fetch and verify the real models (idempotent).
models:
	EDGELM_MODEL_DIR=$(MODEL_DIR) python3 Tests/fetch_models.py

## build: the developer build (normal Swift).
build:
	swift build $(SWIFT_FLAGS)

SOURCES := $(shell find Sources Include -type f) Cross/build-embedded.sh Cross/libedgelm.map Cross/glibc-compat.c

## lib: the shipped, runtime-free libedgelm.so and edgelm for this machine
## (rebuilt only when a source changed).
lib: $(BUILD)/host/libedgelm.so
$(BUILD)/host/libedgelm.so: $(SOURCES)
	Cross/build-embedded.sh host $(BUILD)/host

# The same with frame pointers, for the fault-injection sweep
# (Tests/embedded/fault_sweep.sh names call sites by their stacks).
$(BUILD)/host-fp/edgelm: $(SOURCES)
	EDGELM_FRAME_POINTERS=1 Cross/build-embedded.sh host $(BUILD)/host-fp

## cross-aarch64: the same for Raspberry Pi OS 64-bit, packed with the
## header, the C example and edgelm.pc into build/edgelm-aarch64-linux-gnu.tar.gz.
cross-aarch64: deps-cross $(BUILD)/aarch64/libedgelm.so
	Cross/bundle.sh aarch64 $(BUILD)/aarch64
$(BUILD)/aarch64/libedgelm.so: $(SOURCES)
	Cross/build-embedded.sh aarch64 $(BUILD)/aarch64

# The first build of the test target can hit a clang module race between
# Foundation's CDispatch and CEdgeSys over fd_set ("not present in
# definition"); a second build of the same tree succeeds, so build twice at
# most, then run the tests.
test-swift:
	swift build --build-tests $(SWIFT_FLAGS) || swift build --build-tests $(SWIFT_FLAGS)
	EDGELM_MODEL_DIR=$(MODEL_DIR) swift test --skip-build $(SWIFT_FLAGS)

# The kernel suites against a lesser kernel set than this CPU's best (the
# one test-swift tests): $(1) = EDGELM_KERNELS (see Package.swift), $(2) =
# the build's scratch path.
define kernel-tests
	EDGELM_KERNELS=$(1) swift build --build-tests $(SWIFT_FLAGS) --scratch-path $(2) || \
	  EDGELM_KERNELS=$(1) swift build --build-tests $(SWIFT_FLAGS) --scratch-path $(2)
	EDGELM_KERNELS=$(1) EDGELM_MODEL_DIR=$(MODEL_DIR) swift test --skip-build $(SWIFT_FLAGS) \
	  --scratch-path $(2) --filter 'MatMulBatchTests|Quant|KQuant'
endef

# On a CPU with AVX2 the quantized kernels are the AVX2 ones
# (Quant/X86/); this builds the portable ones, which ARM and older
# x86 run, and runs the kernel tests against them too. On a CPU with
# AVX512-VNNI, whose build uses `vpdpbusd`, also the plain AVX2 ones.
test-portable:
	$(call kernel-tests,portable,.build-portable)
	@! nm .build-portable/release/EdgeLMPackageTests.xctest | grep -q X86Q5_0 || \
	  { echo "error: the portable build has the AVX2 kernels"; exit 1; }
ifneq ($(shell grep -qw avx512_vnni /proc/cpuinfo && echo vnni),)
	$(call kernel-tests,avx2,.build-avx2)
	@! objdump -d .build-avx2/release/EdgeLMPackageTests.xctest | grep -q vpdpbusd || \
	  { echo "error: the AVX2 build uses vpdpbusd"; exit 1; }
endif

test-embedded: lib $(BUILD)/host-fp/edgelm
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/embedded/run.sh host $(BUILD)/host
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/capi/run.sh host $(BUILD)/host
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/kernels/run.sh host $(BUILD)/host
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/examples.sh $(BUILD)/host
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/paging/run.sh $(BUILD)/host
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/embedded/jsonc_alloc.sh $(BUILD)/host
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/embedded/file_changes.sh $(BUILD)/host
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/embedded/fault_sweep.sh $(BUILD)/host-fp
	python3 Tests/fuzz/mutations.py $(BUILD)/host $(MODEL) -n 300

test-cross: cross-aarch64
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/embedded/run.sh aarch64 $(BUILD)/aarch64
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/capi/run.sh aarch64 $(BUILD)/aarch64
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/kernels/run.sh aarch64 $(BUILD)/aarch64
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/embedded/old_glibc.sh $(BUILD)/aarch64

# The Swift tests built with AddressSanitizer (and LeakSanitizer, which
# ASan runs at exit on Linux), in their own scratch path so the normal
# build is untouched. Not the whole suite, which under ASan takes several
# times as long as its build on this 2-core machine; skipped are:
#   - speed assertions and benchmarks (constructionTime, throughput,
#     loadTime, *Benchmark*), which ASan's slowdown makes meaningless;
#   - perplexityMatchesLlamaCpp, the same forward passes over the real
#     models that greedyContinuationsMatchLlamaCpp and
#     lastPositionLogitsMatchLlamaCpp still run;
#   - the long speculative equivalence runs (greedyOutputIsIdentical*,
#     ngramSampledTokensFollowTheTargetDistribution); SpeculativeTests'
#     other cases still drive draft and n-gram sessions.
# Everything else runs: the GGUF parser and malformed-file tests,
# tokenizers, config, chat templates, thread pool, sessions (shared model,
# paging, sampler), the C API checks, the kernels and synthetic models.
# Tests/asan/lsan.supp lists the toolchain's own leaks (XCTest).
ASAN_SKIP := constructionTime|throughput|loadTime|Benchmark|perplexityMatchesLlamaCpp|greedyOutputIsIdentical|ngramSampledTokens
ASAN_FLAGS := $(SWIFT_FLAGS) --sanitize=address --scratch-path .build-asan
test-asan: models
	swift build --build-tests $(ASAN_FLAGS) || swift build --build-tests $(ASAN_FLAGS)
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/asan/lsan.supp SWIFT_BACKTRACE=enable=no \
	  EDGELM_MODEL_DIR=$(MODEL_DIR) swift test --skip-build $(ASAN_FLAGS) --skip '$(ASAN_SKIP)'

# The libFuzzer harnesses of Tests/fuzz/harnesses (GGUF loader, tokenizers,
# JSON config, chat templates; Tests/fuzz/run.sh builds them with
# -sanitize=fuzzer,address) from their committed seeds: in `make test`
# FUZZ_TEST_SECONDS each, new inputs thrown away; `make fuzz` runs
# FUZZ_SECONDS each and keeps what it finds in FUZZ_CORPUS. A crash, ASan
# report, leak or timeout fails either and leaves the input in
# .build-fuzz/artifacts.
FUZZ_TEST_SECONDS ?= 15
FUZZ_SECONDS      ?= 600
FUZZ_CORPUS       ?= $(HOME)/.cache/edgelm/fuzz
test-fuzz: models
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/fuzz/run.sh --seconds $(FUZZ_TEST_SECONDS)

## fuzz: each fuzzer for FUZZ_SECONDS (600), corpus kept in FUZZ_CORPUS.
fuzz: models
	EDGELM_MODEL_DIR=$(MODEL_DIR) Tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) --corpus-dir $(FUZZ_CORPUS)

## tsan: the shared-model and thread-pool tests under ThreadSanitizer
## (an optimized build with -sanitize=thread, not part of `make test`).
tsan: models
	EDGELM_MODEL_DIR=$(MODEL_DIR) swift test -c release -Xswiftc -enable-testing --sanitize=thread \
	  --scratch-path .build-tsan --filter 'SharedModelTests|ThreadPoolTests'

## install: header, library, CLI and pkg-config file under PREFIX.
install: lib
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 Include/edgelm.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(BUILD)/host/libedgelm.so $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/host/edgelm $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|@PREFIX@|$(PREFIX)|' Cross/edgelm.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/edgelm.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/edgelm.h $(DESTDIR)$(PREFIX)/lib/libedgelm.so \
	  $(DESTDIR)$(PREFIX)/bin/edgelm $(DESTDIR)$(PREFIX)/lib/pkgconfig/edgelm.pc

## bench: edgelm bench beside llama.cpp (needs `pip install llama-cpp-python`).
bench: lib models
	python3 Tests/Benchmarks/compare.py --edgelm $(BUILD)/host/edgelm --model $(MODEL) --threads 2

clean:
	rm -rf $(BUILD) .build .build-portable .build-asan .build-fuzz
