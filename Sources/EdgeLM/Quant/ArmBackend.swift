// Which kernel set runs on this CPU, and the Arm backend's entry points.
//
// On x86 the set is fixed at build time (EDGELM_AVX2, EDGELM_AVX512VNNI).
// On aarch64 the shipped library (Cross/build-embedded.sh, which defines
// EDGELM_ARM_KERNELS) holds the Arm int8 kernels of Sources/EdgeLMArm in two
// builds, with `sdot` (Armv8.2 dotprod: Pi 5) and without (Armv8.0: Pi 4),
// and the set is chosen once, at run time, from the CPU's HWCAP.
// EDGELM_KERNELS=portable|neon in the environment selects a lesser set
// (the tests run every set on one CPU that way); a set the CPU lacks is
// never chosen.

import CEdgeSys

/// A family of dot-product kernels.
public enum KernelSet: Sendable {
  /// SIMD Swift on 16-bit lanes, for any CPU (Quant/DotQuantized.swift, KDot.swift).
  case portable
  /// x86 byte multiplies (vpmaddubsw), Quant/DotInt8*.swift.
  case avx2
  /// x86 vpdpbusd on 256-bit vectors.
  case avx512vnni
  /// aarch64 widening multiplies (smull/smlal), Armv8.0.
  case neon
  /// aarch64 sdot, Armv8.2 dotprod.
  case dotprod

  /// The name `edgelm info` prints and EDGELM_KERNELS takes.
  public var name: String {
    switch self {
    case .portable: return "portable"
    case .avx2: return "avx2"
    case .avx512vnni: return "avx512-vnni"
    case .neon: return "neon"
    case .dotprod: return "dotprod"
    }
  }
}

extension QuantKernels {
  /// The kernel set this process uses for the quantized types that have
  /// one (the other types use the portable kernels).
  public static var kernelSet: KernelSet { activeSet }

  /// Chosen once, on first use.
  static let activeSet: KernelSet = {
    #if EDGELM_AVX512VNNI
    return .avx512vnni
    #elseif EDGELM_AVX2
    return .avx2
    #elseif EDGELM_ARM_KERNELS
    let best: KernelSet = edgelm_sys_cpu_has_dotprod() != 0 ? .dotprod : .neon
    switch Environment.get("EDGELM_KERNELS") {
    case "portable": return .portable
    case "neon": return .neon
    default: return best
    }
    #else
    return .portable
    #endif
  }()
}

#if EDGELM_ARM_KERNELS
// MARK: - Arm entry points (QuantKernels' dispatch calls these first)

extension QuantKernels {
  /// Whether weights of `type` go through the Arm int8 kernels.
  @inline(__always)
  static func usesArm(_ type: GGMLType) -> Bool {
    guard activeSet != .portable else { return false }
    switch type {
    case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K: return true
    default: return false
    }
  }

  /// Bytes per block of the Arm kernels' prepared activation: the K formats
  /// read the q8_K block as it is; the others 32 codes, a Float scale and a
  /// 32-bit term (EdgeLMArm/ArmInt8.swift).
  @inline(__always)
  static func armPreparedBlockBytes(_ type: GGMLType) -> Int {
    type == .q4_K || type == .q5_K || type == .q6_K ? KLayout.q8Bytes : 40
  }

  static func armPreparedBytes(_ type: GGMLType, blocks: Int) -> Int { armPreparedBlockBytes(type) * blocks }

  /// The most blocks whose prepared layout fits `scratchBytes` (even).
  static func armMaxBlocks(_ type: GGMLType) -> Int { (scratchBytes / armPreparedBlockBytes(type)) & ~1 }

  static func armPrepare(_ type: GGMLType, _ act: UnsafeRawPointer, blocks: Int, into buffer: UnsafeMutableRawPointer) {
    let id = Int32(type.rawValue)
    if activeSet == .dotprod {
      edgelmarm_dotprod_prepare(id, act, blocks, buffer)
    } else {
      edgelmarm_neon_prepare(id, act, blocks, buffer)
    }
  }

  static func armRows(
    _ type: GGMLType, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer,
    _ blocks: Int, _ out: UnsafeMutablePointer<Float>, accumulate: Bool
  ) {
    let id = Int32(type.rawValue)
    if activeSet == .dotprod {
      edgelmarm_dotprod_rows(id, w, stride, rows, prep, blocks, out, accumulate)
    } else {
      edgelmarm_neon_rows(id, w, stride, rows, prep, blocks, out, accumulate)
    }
  }

  /// `count` 2...4 activations (the groups `dotRowsPreparedBatch` forms; the
  /// K formats take them one after another).
  static func armRowsMulti(
    _ type: GGMLType, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer,
    _ prepStride: Int, _ count: Int, _ blocks: Int, _ out: UnsafeMutablePointer<Float>, _ outStride: Int
  ) {
    let id = Int32(type.rawValue)
    if activeSet == .dotprod {
      edgelmarm_dotprod_rows_multi(id, w, stride, rows, prep, prepStride, count, blocks, out, outStride)
    } else {
      edgelmarm_neon_rows_multi(id, w, stride, rows, prep, prepStride, count, blocks, out, outStride)
    }
  }
}
#endif
