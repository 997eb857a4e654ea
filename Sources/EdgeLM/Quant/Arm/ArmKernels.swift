// The Arm kernels as `RowKernel`s. The kernels themselves are in the
// EdgeLMArm module (Sources/EdgeLMArm), which the shipped aarch64 library
// holds twice: built with `sdot` (Armv8.2 dotprod, Pi 5) and without
// (Armv8.0 NEON, Pi 4); each build exports C entry points
// (`edgelmarm_dotprod_*`, `edgelmarm_neon_*`, declared in edgelm_sys.h)
// that take the weight type's id. The registry picks the family once, from
// the CPU's HWCAP (KernelRegistry.swift), and this file's table maps a
// weight type to the entry points of that family.

#if EDGELM_ARM_KERNELS
import CEdgeSys

enum ArmKernels {
  /// The Arm kernel of family `set` for `type`, nil where the portable one
  /// runs (and for the non-Arm families).
  static func kernel(for type: GGMLType, set: KernelSet) -> RowKernels? {
    switch set {
    case .dotprod: return kernel(type, ArmDotprod.self)
    case .neon: return kernel(type, ArmNeon.self)
    default: return nil
    }
  }

  static func kernel<F: ArmFamily>(_ type: GGMLType, _: F.Type) -> RowKernels? {
    switch type {
    case .q4_0: return RowKernels(ArmKernel<F, ArmQ4_0>.self)
    case .q4_1: return RowKernels(ArmKernel<F, ArmQ4_1>.self)
    case .q5_0: return RowKernels(ArmKernel<F, ArmQ5_0>.self)
    case .q5_1: return RowKernels(ArmKernel<F, ArmQ5_1>.self)
    case .q8_0: return RowKernels(ArmKernel<F, ArmQ8_0>.self)
    case .q4_K: return RowKernels(ArmKernel<F, ArmQ4_K>.self)
    case .q5_K: return RowKernels(ArmKernel<F, ArmQ5_K>.self)
    case .q6_K: return RowKernels(ArmKernel<F, ArmQ6_K>.self)
    default: return nil
    }
  }
}

/// One build of the EdgeLMArm module: its C entry points.
protocol ArmFamily {
  static var set: KernelSet { get }
  /// Whether this family packs matrices of `type` (PackedWeights.swift).
  static func packs(_ type: GGMLType) -> Bool
  static func prepare(_ id: Int32, _ act: UnsafeRawPointer, _ blocks: Int, _ into: UnsafeMutableRawPointer)
  static func rows(
    _ id: Int32, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer, _ blocks: Int,
    _ out: UnsafeMutablePointer<Float>, _ accumulate: Bool)
  static func rowsMulti(
    _ id: Int32, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer, _ prepStride: Int,
    _ count: Int, _ blocks: Int, _ out: UnsafeMutablePointer<Float>, _ outStride: Int)
}

enum ArmDotprod: ArmFamily {
  static var set: KernelSet { .dotprod }
  /// The types with packed kernels in EdgeLMArm/ArmPacked.swift.
  static func packs(_ type: GGMLType) -> Bool { type == .q8_0 || type == .q4_0 || type == .q5_0 }
  static func prepare(_ id: Int32, _ act: UnsafeRawPointer, _ blocks: Int, _ into: UnsafeMutableRawPointer) {
    edgelmarm_dotprod_prepare(id, act, blocks, into)
  }
  static func rows(
    _ id: Int32, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer, _ blocks: Int,
    _ out: UnsafeMutablePointer<Float>, _ accumulate: Bool
  ) {
    edgelmarm_dotprod_rows(id, w, stride, rows, prep, blocks, out, accumulate)
  }
  static func rowsMulti(
    _ id: Int32, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer, _ prepStride: Int,
    _ count: Int, _ blocks: Int, _ out: UnsafeMutablePointer<Float>, _ outStride: Int
  ) {
    edgelmarm_dotprod_rows_multi(id, w, stride, rows, prep, prepStride, count, blocks, out, outStride)
  }
}

enum ArmNeon: ArmFamily {
  static var set: KernelSet { .neon }
  static func packs(_ type: GGMLType) -> Bool { false }
  static func prepare(_ id: Int32, _ act: UnsafeRawPointer, _ blocks: Int, _ into: UnsafeMutableRawPointer) {
    edgelmarm_neon_prepare(id, act, blocks, into)
  }
  static func rows(
    _ id: Int32, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer, _ blocks: Int,
    _ out: UnsafeMutablePointer<Float>, _ accumulate: Bool
  ) {
    edgelmarm_neon_rows(id, w, stride, rows, prep, blocks, out, accumulate)
  }
  static func rowsMulti(
    _ id: Int32, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer, _ prepStride: Int,
    _ count: Int, _ blocks: Int, _ out: UnsafeMutablePointer<Float>, _ outStride: Int
  ) {
    edgelmarm_neon_rows_multi(id, w, stride, rows, prep, prepStride, count, blocks, out, outStride)
  }
}

/// A weight type the Arm kernels take, and the bytes per block of their
/// prepared activation: the K types read the q8_K block as it is; the
/// others 32 codes, a Float scale and a 32-bit term (EdgeLMArm/ArmInt8.swift).
protocol ArmWeight {
  static var type: GGMLType { get }
}

extension ArmWeight {
  static var preparedBlockBytes: Int { type.blockSize == 256 ? KLayout.q8Bytes : 40 }
}

enum ArmQ4_0: ArmWeight { static var type: GGMLType { .q4_0 } }
enum ArmQ4_1: ArmWeight { static var type: GGMLType { .q4_1 } }
enum ArmQ5_0: ArmWeight { static var type: GGMLType { .q5_0 } }
enum ArmQ5_1: ArmWeight { static var type: GGMLType { .q5_1 } }
enum ArmQ8_0: ArmWeight { static var type: GGMLType { .q8_0 } }
enum ArmQ4_K: ArmWeight { static var type: GGMLType { .q4_K } }
enum ArmQ5_K: ArmWeight { static var type: GGMLType { .q5_K } }
enum ArmQ6_K: ArmWeight { static var type: GGMLType { .q6_K } }

/// Weight type `W` on family `F`. Groups of 2...4 activations (the K types
/// take them one after another inside the module).
enum ArmKernel<F: ArmFamily, W: ArmWeight>: RowKernel {
  static var set: KernelSet { F.set }
  static var packs: Bool { F.packs(W.type) }
  static func preparedBytes(blocks: Int) -> Int { W.preparedBlockBytes &* blocks }
  static var maxBlocks: Int { (scratchBytes / W.preparedBlockBytes) & ~1 }
  static func prepare(_ activation: UnsafeRawPointer, blocks: Int, into buffer: UnsafeMutableRawPointer) {
    F.prepare(Int32(W.type.rawValue), activation, blocks, buffer)
  }
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    if count == 1 {
      F.rows(Int32(W.type.rawValue), w, stride, rows, prep, blocks, out, accumulate)
    } else {
      F.rowsMulti(Int32(W.type.rawValue), w, stride, rows, prep, prepStride, count, blocks, out, outStride)
    }
  }
  /// The module specialises per count itself.
  static func rowsMulti(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int
  ) {
    F.rowsMulti(Int32(W.type.rawValue), w, stride, rows, prep, prepStride, count, blocks, out, outStride)
  }
}
#endif
