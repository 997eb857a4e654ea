// The portable kernels as `RowKernel`s: SIMD Swift that any CPU runs
// (DotQuantized.swift for the 32-element types, KDot.swift for the K types,
// DotFloat.swift for f32/f16/bf16). Every weight type has one, so the
// registry always has a fallback.

enum PortableKernels {
  /// The portable kernel for `type`, nil for types that are never weights.
  static func kernel(for type: GGMLType) -> RowKernels? {
    switch type {
    case .f32: return RowKernels(PortableF32.self)
    case .f16: return RowKernels(PortableF16.self)
    case .bf16: return RowKernels(PortableBF16.self)
    case .q4_0: return RowKernels(PortableQ4_0.self)
    case .q4_1: return RowKernels(PortableQ4_1.self)
    case .q5_0: return RowKernels(PortableQ5_0.self)
    case .q5_1: return RowKernels(PortableQ5_1.self)
    case .q8_0: return RowKernels(PortableQ8_0.self)
    case .q2_K: return RowKernels(PortableQ2_K.self)
    case .q3_K: return RowKernels(PortableQ3_K.self)
    case .q4_K: return RowKernels(PortableQ4_K.self)
    case .q5_K: return RowKernels(PortableQ5_K.self)
    case .q6_K: return RowKernels(PortableQ6_K.self)
    default: return nil
    }
  }
}

/// out[r] (+)= row(weight row r) for every row: the single-activation loop
/// of the kernels whose row function returns one sum.
@inline(__always)
func forEachRow(
  _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ out: UnsafeMutablePointer<Float>, _ accumulate: Bool,
  _ row: (UnsafeRawPointer) -> Float
) {
  if accumulate {
    for r in 0..<rows { out[r] += row(w + r &* stride) }
  } else {
    for r in 0..<rows { out[r] = row(w + r &* stride) }
  }
}

// MARK: - f32, f16, bf16

/// Float rows (FloatDot): activations widened to f32, up to 12 at a time.
protocol PortableFloatKernel: RowKernel {
  static var kind: FloatKind { get }
}

extension PortableFloatKernel {
  static var set: KernelSet { .portable }
  static func preparedBytes(blocks: Int) -> Int { 4 &* blocks }
  static var maxBlocks: Int { scratchBytes / 4 }
  static var maxGroup: Int { 12 }
  static func group(left: Int) -> Int { Swift.min(left, 12) }
  static func prepare(_ activation: UnsafeRawPointer, blocks: Int, into buffer: UnsafeMutableRawPointer) {
    switch kind {
    case .f32: buffer.copyMemory(from: activation, byteCount: 4 &* blocks)
    case .f16: FloatDot.widenActivation(activation, count: blocks, bf16: false, into: buffer)
    case .bf16: FloatDot.widenActivation(activation, count: blocks, bf16: true, into: buffer)
    }
  }
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    FloatDot.rows(w, stride: stride, rows: rows, prep, prepStride: prepStride, count: count, n: blocks, kind: kind,
                  out, outStride: outStride, accumulate: accumulate)
  }
}

enum PortableF32: PortableFloatKernel { static var kind: FloatKind { .f32 } }
enum PortableF16: PortableFloatKernel { static var kind: FloatKind { .f16 } }
enum PortableBF16: PortableFloatKernel { static var kind: FloatKind { .bf16 } }

// MARK: - q4_0, q4_1, q5_0, q5_1 (pairs of blocks on 16-bit lanes)

protocol PortablePairKernel: RowKernel {
  static var bits: Int { get }
  static var hasMin: Bool { get }
}

extension PortablePairKernel {
  static var set: KernelSet { .portable }
  static func preparedBytes(blocks: Int) -> Int { PairLayout(bits: bits, hasMin: hasMin, blocks: blocks).bytes }
  static var maxBlocks: Int { PairLayout.maxBlocks(bits: bits, hasMin: hasMin) }
  static func prepare(_ activation: UnsafeRawPointer, blocks: Int, into buffer: UnsafeMutableRawPointer) {
    QuantDot.preparePairs(activation, blocks: blocks, bits: bits, hasMin: hasMin, into: buffer)
  }
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    if count == 1 {
      forEachRow(w, stride, rows, out, accumulate) { QuantDot.rowPairs($0, prep, blocks: blocks, bits: bits, hasMin: hasMin) }
    } else {
      for r in 0..<rows {
        QuantDot.rowPairsMulti(w + r &* stride, prep, prepStride: prepStride, count: count, blocks: blocks, bits: bits,
                               hasMin: hasMin, out + r, outStride: outStride, accumulate: false)
      }
    }
  }
}

enum PortableQ4_0: PortablePairKernel { static var bits: Int { 4 }; static var hasMin: Bool { false } }
enum PortableQ4_1: PortablePairKernel { static var bits: Int { 4 }; static var hasMin: Bool { true } }
enum PortableQ5_0: PortablePairKernel { static var bits: Int { 5 }; static var hasMin: Bool { false } }
enum PortableQ5_1: PortablePairKernel { static var bits: Int { 5 }; static var hasMin: Bool { true } }

// MARK: - q8_0

enum PortableQ8_0: RowKernel {
  static var set: KernelSet { .portable }
  static func preparedBytes(blocks: Int) -> Int { Q8Layout.scalesOffset(blocks: blocks) + 4 * blocks }
  static var maxBlocks: Int { Q8Layout.maxBlocks & ~1 }
  static func prepare(_ activation: UnsafeRawPointer, blocks: Int, into buffer: UnsafeMutableRawPointer) {
    QuantDot.prepareQ8(activation, blocks: blocks, into: buffer)
  }
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    if count == 1 {
      forEachRow(w, stride, rows, out, accumulate) { QuantDot.rowQ8($0, prep, blocks: blocks) }
    } else {
      for r in 0..<rows {
        QuantDot.rowQ8Multi(w + r &* stride, prep, prepStride: prepStride, count: count, blocks: blocks, out + r,
                            outStride: outStride)
      }
    }
  }
}

// MARK: - K types (super-blocks of 256 against q8_K)

protocol PortableKKernel: RowKernel {}

extension PortableKKernel {
  static var set: KernelSet { .portable }
  static func preparedBytes(blocks: Int) -> Int { KPrepared.bytes(blocks: blocks) }
  static var maxBlocks: Int { KPrepared.maxBlocks }
  static func prepare(_ activation: UnsafeRawPointer, blocks: Int, into buffer: UnsafeMutableRawPointer) {
    KDot.prepare(activation, blocks: blocks, into: buffer)
  }
}

/// q2_K and q3_K have no multi-activation loop: a batch goes one at a time.
enum PortableQ2_K: PortableKKernel {
  static var maxGroup: Int { 1 }
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    forEachRow(w, stride, rows, out, accumulate) { KDot.rowQ2($0, prep, blocks: blocks) }
  }
}

enum PortableQ3_K: PortableKKernel {
  static var maxGroup: Int { 1 }
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    forEachRow(w, stride, rows, out, accumulate) { KDot.rowQ3($0, prep, blocks: blocks) }
  }
}

/// q4_K and q5_K (the same kernel, `high` adds q5_K's fifth bits).
protocol PortableQ45Kernel: PortableKKernel { static var high: Bool { get } }

extension PortableQ45Kernel {
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    if count == 1 {
      forEachRow(w, stride, rows, out, accumulate) { KDot.rowQ45($0, prep, blocks: blocks, high: high) }
    } else {
      for r in 0..<rows {
        KDot.rowQ45Multi(w + r &* stride, prep, prepStride: prepStride, count: count, blocks: blocks, high: high,
                         out + r, outStride: outStride)
      }
    }
  }
}

enum PortableQ4_K: PortableQ45Kernel { static var high: Bool { false } }
enum PortableQ5_K: PortableQ45Kernel { static var high: Bool { true } }

enum PortableQ6_K: PortableKKernel {
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ prep: UnsafeRawPointer, prepStride: Int, count: Int,
    blocks: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    if count == 1 {
      forEachRow(w, stride, rows, out, accumulate) { KDot.rowQ6($0, prep, blocks: blocks) }
    } else {
      for r in 0..<rows {
        KDot.rowQ6Multi(w + r &* stride, prep, prepStride: prepStride, count: count, blocks: blocks, out + r,
                        outStride: outStride)
      }
    }
  }
}
