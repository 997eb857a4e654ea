// swift-tools-version:6.0
// EdgeLM: an embeddable LLM inference runtime. The core (EdgeLM) and the CLI
// (edgelm) use only the Embedded Swift subset; see ../shared/DESIGN.md and the
// Makefile's `lib` target for the runtime-free build users get.
import PackageDescription
import Foundation

// The AVX2 kernels (Quant/X86/) are compiled when the build
// machine's CPU, which `-target-cpu native` targets, has AVX2, with
// `vpdpbusd` when it also has AVX512-VNNI and AVX512-VL (as
// Cross/build-embedded.sh decides for the shipped library).
// EDGELM_KERNELS=portable or =avx2 builds a lesser set instead, so that
// `make test-portable` tests the kernels other CPUs run on this one.
let cpuFlags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
  .split(separator: "\n").first { $0.hasPrefix("flags") }?
  .split(separator: " ").map(String.init) ?? []
let kernels = ProcessInfo.processInfo.environment["EDGELM_KERNELS"] ?? "native"
let useAVX2 = cpuFlags.contains("avx2") && kernels != "portable"
let useVNNI = useAVX2 && cpuFlags.contains("avx512_vnni") && cpuFlags.contains("avx512vl") && kernels != "avx2"

let package = Package(
  name: "EdgeLM",
  products: [
    .library(name: "EdgeLM", targets: ["EdgeLM"]),
    .executable(name: "edgelm", targets: ["edgelm"]),
  ],
  targets: [
    .systemLibrary(
      name: "CJSONC",
      pkgConfig: "json-c",
      providers: [.apt(["libjson-c-dev"])]
    ),
    .target(name: "CEdgeSys"),
    .target(
      name: "EdgeLM",
      dependencies: ["CEdgeSys", "CJSONC"],
      // The kernels are written with SIMD types; let LLVM use this CPU's
      // vector width (AVX2/FMA here, as llama.cpp's GGML_NATIVE does).
      swiftSettings: [.unsafeFlags(["-target-cpu", "native"])]
        + (useAVX2 ? [.define("EDGELM_AVX2")] : []) + (useVNNI ? [.define("EDGELM_AVX512VNNI")] : [])
    ),
    .executableTarget(name: "edgelm", dependencies: ["EdgeLM", "CEdgeSys"]),
    .testTarget(
      name: "EdgeLMTests",
      dependencies: ["EdgeLM", "CEdgeSys"],
      exclude: []
    ),
  ],
  swiftLanguageModes: [.v5]
)
