// Which kernels run: the one place that chooses, per (weight type, CPU).
//
// On x86 the kernel family is fixed at build time (EDGELM_AVX2,
// EDGELM_AVX512VNNI: X86/). On aarch64 the shipped library
// (Cross/build-embedded.sh, which defines EDGELM_ARM_KERNELS) holds the Arm
// kernels of Sources/EdgeLMArm in two builds, with `sdot` (Armv8.2 dotprod:
// Pi 5) and without (Armv8.0: Pi 4), and the family is chosen once, at run
// time, from the CPU's HWCAP (Arm/). EDGELM_KERNELS=portable|neon in the
// environment selects a lesser family (the tests run every family on one
// CPU that way); a family the CPU lacks is never chosen.
//
// The registry asks the CPU's backend for a type's kernel first and falls
// back to the portable one (Portable/), never to another type's kernel.
// Adding a type means a `RowKernel` conformance and a row in
// `PortableKernels.kernel(for:)` (and in a backend's table if it speeds
// the type up).

import CEdgeSys

/// A family of dot-product kernels.
public enum KernelSet: Sendable {
  /// SIMD Swift on 16-bit lanes, for any CPU (Portable/).
  case portable
  /// x86 byte multiplies (vpmaddubsw), X86/.
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
  /// The kernel family this process uses for the quantized types that have
  /// one (the other types use the portable kernels).
  public static var kernelSet: KernelSet { activeSet }

  /// The family of the kernel `type`'s matrix products run on here (nil
  /// for types without dot kernels); `edgelm info` prints it per type.
  public static func kernelSet(for type: GGMLType) -> KernelSet? { kernel(type)?.set }

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

  /// The kernel for each weight type on this CPU, indexed by the type's
  /// raw value; built once, on first use (the first model load).
  static let registry: [RowKernels?] = {
    var table = [RowKernels?](repeating: nil, count: registrySize)
    for raw in 0..<registrySize {
      if let type = GGMLType(rawValue: UInt32(raw)) { table[raw] = choose(type) }
    }
    return table
  }()

  /// One more than the largest GGMLType raw value.
  static let registrySize = 31

  /// The kernel `type` runs on, or nil when it has none.
  @inline(__always)
  static func kernel(_ type: GGMLType) -> RowKernels? {
    let raw = Int(type.rawValue)
    return raw < registrySize ? registry[raw] : nil
  }

  /// This CPU's backend's kernel for `type`, else the portable one.
  static func choose(_ type: GGMLType) -> RowKernels? {
    #if EDGELM_AVX2
    if let k = X86Kernels.kernel(for: type) { return k }
    #elseif EDGELM_ARM_KERNELS
    if let k = ArmKernels.kernel(for: type, set: activeSet) { return k }
    #endif
    return PortableKernels.kernel(for: type)
  }
}
