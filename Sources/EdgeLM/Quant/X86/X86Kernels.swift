// The x86 kernels as `RowKernel`s (AVX2 byte multiplies, `vpdpbusd` with
// AVX512-VNNI): q8_0 (DotInt8.swift), q4_0, q4_1, q5_0, q5_1
// (DotInt8Pairs.swift), q4_K, q6_K (DotInt8K.swift). The other types run
// the portable kernels.

#if EDGELM_AVX2
enum X86Kernels {
  /// This backend's kernel for `type`, nil where the portable one runs.
  static func kernel(for type: GGMLType) -> RowKernels? {
    switch type {
    case .q8_0: return RowKernels(X86Q8_0.self)
    case .q4_0: return RowKernels(X86Q4_0.self)
    case .q4_1: return RowKernels(X86Q4_1.self)
    case .q5_0: return RowKernels(X86Q5_0.self)
    case .q5_1: return RowKernels(X86Q5_1.self)
    case .q4_K: return RowKernels(X86Q4_K.self)
    case .q6_K: return RowKernels(X86Q6_K.self)
    default: return nil
    }
  }

  #if EDGELM_AVX512VNNI
  /// Groups for the kernels that take any count 2...8 (32 vector
  /// registers): up to 8 in one group, 9...15 as two halves.
  @inline(__always)
  static func wideGroup(_ left: Int) -> Int { left <= 8 ? left : (left < 16 ? (left &+ 1) / 2 : 8) }
  #endif
}

/// The int8 kernels' family in this build.
@inline(__always)
private var x86Set: KernelSet {
  #if EDGELM_AVX512VNNI
  return .avx512vnni
  #else
  return .avx2
  #endif
}

enum X86Q8_0: RowKernel {
  static var set: KernelSet { x86Set }
  static func preparedBytes(blocks: Int) -> Int { Int8Layout.bytes(blocks: blocks) }
  static var maxBlocks: Int { Int8Layout.maxBlocks }
  static var maxGroup: Int { 8 }
  /// With AVX2's 16 registers, groups of 2...4 and 8.
  static func group(left: Int) -> Int {
    #if EDGELM_AVX512VNNI
    return X86Kernels.wideGroup(left)
    #else
    return left >= 8 ? 8 : QuantKernels.batchGroup(left)
    #endif
  }
  static func prepare(_ activation: UnsafeRawPointer, blocks: Int, into buffer: UnsafeMutableRawPointer) {
    Int8Dot.prepare(activation, blocks: blocks, into: buffer)
  }
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    for r in 0..<rows {
      Int8Dot.row(w + r &* stride, prep, prepStride: prepStride, count: count, blocks: blocks, out + r,
                  outStride: outStride, accumulate: accumulate)
    }
  }
}

/// q4_0, q4_1, q5_0, q5_1: two blocks per vector (PairInt8Dot).
protocol X86PairKernel: RowKernel {
  static var bits: Int { get }
  static var hasMin: Bool { get }
}

extension X86PairKernel {
  static var set: KernelSet { x86Set }
  static func preparedBytes(blocks: Int) -> Int { PairInt8Layout.bytes(blocks: blocks) }
  static var maxBlocks: Int { PairInt8Layout.maxBlocks }
  /// With AVX2's 16 registers, groups of 8 only for the _0 types (the _1
  /// types' minimum terms need 4 more registers per activation).
  static var maxGroup: Int {
    #if EDGELM_AVX512VNNI
    return 8
    #else
    return hasMin ? 4 : 8
    #endif
  }
  static func group(left: Int) -> Int {
    #if EDGELM_AVX512VNNI
    return X86Kernels.wideGroup(left)
    #else
    return left >= 8 && !hasMin ? 8 : QuantKernels.batchGroup(left)
    #endif
  }
  static func prepare(_ activation: UnsafeRawPointer, blocks: Int, into buffer: UnsafeMutableRawPointer) {
    PairInt8Dot.prepare(activation, blocks: blocks, bits: bits, hasMin: hasMin, into: buffer)
  }
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    for r in 0..<rows {
      PairInt8Dot.row(w + r &* stride, prep, prepStride: prepStride, count: count, blocks: blocks, bits: bits,
                      hasMin: hasMin, out + r, outStride: outStride, accumulate: accumulate)
    }
  }
}

enum X86Q4_0: X86PairKernel { static var bits: Int { 4 }; static var hasMin: Bool { false } }
enum X86Q4_1: X86PairKernel { static var bits: Int { 4 }; static var hasMin: Bool { true } }
enum X86Q5_0: X86PairKernel { static var bits: Int { 5 }; static var hasMin: Bool { false } }
enum X86Q5_1: X86PairKernel { static var bits: Int { 5 }; static var hasMin: Bool { true } }

/// q4_K and q6_K against q8_K (KInt8Dot), groups of 2...4.
protocol X86KKernel: RowKernel {}

extension X86KKernel {
  static var set: KernelSet { x86Set }
  static func preparedBytes(blocks: Int) -> Int { KInt8Layout.bytes(blocks: blocks) }
  static var maxBlocks: Int { KInt8Layout.maxBlocks }
  static func prepare(_ activation: UnsafeRawPointer, blocks: Int, into buffer: UnsafeMutableRawPointer) {
    KInt8Dot.prepare(activation, blocks: blocks, into: buffer)
  }
}

enum X86Q4_K: X86KKernel {
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    for r in 0..<rows {
      KInt8Dot.rowQ4(w + r &* stride, prep, prepStride: prepStride, count: count, blocks: blocks, out + r,
                     outStride: outStride, accumulate: accumulate)
    }
  }
}

enum X86Q6_K: X86KKernel {
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    for r in 0..<rows {
      KInt8Dot.rowQ6(w + r &* stride, prep, prepStride: prepStride, count: count, blocks: blocks, out + r,
                     outStride: outStride, accumulate: accumulate)
    }
  }
}
#endif
