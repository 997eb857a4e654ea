// swift-tools-version:6.0
// EdgeLM: an embeddable LLM inference runtime. The core (EdgeLM) and the CLI
// (edgelm) use only the Embedded Swift subset; see ../shared/DESIGN.md and the
// Makefile's `lib` target for the runtime-free build users get.
import PackageDescription
import Foundation

// The AVX2 kernels (Quant/DotInt8.swift) are compiled when the build
// machine's CPU, which `-target-cpu native` targets, has AVX2, unless
// EDGELM_PORTABLE_KERNELS is set (`make test-portable` tests the portable
// kernels, which other CPUs run, that way).
let cpuHasAVX2 = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
  .split(separator: "\n").first { $0.hasPrefix("flags") }?
  .split(separator: " ").contains("avx2") ?? false
let useAVX2 = cpuHasAVX2 && ProcessInfo.processInfo.environment["EDGELM_PORTABLE_KERNELS"] == nil

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
        + (useAVX2 ? [.define("EDGELM_AVX2")] : [])
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
