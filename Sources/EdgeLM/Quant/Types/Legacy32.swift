// Block layouts of the quantized types, byte for byte as ggml stores them
// (ggml/src/ggml-common.h). All multi-byte fields are little-endian; blocks
// are packed with no padding, so a row of n elements is n/32 blocks back to
// back and a block may start at any byte offset (every load is unaligned).
//
//   type  bytes  layout (offset: field)                       value of element j
//   f32     4    0: float                                     x
//   f16     2    0: binary16                                  x
//   bf16    2    0: bfloat16                                  x
//   q4_0   18    0: d f16 | 2: qs[16]                         d * (q_j - 8)
//   q4_1   20    0: d f16 | 2: m f16 | 4: qs[16]              d * q_j + m
//   q5_0   22    0: d f16 | 2: qh u32 | 6: qs[16]             d * (q_j - 16)
//   q5_1   24    0: d f16 | 2: m f16 | 4: qh u32 | 8: qs[16]  d * q_j + m
//   q8_0   34    0: d f16 | 2: qs[32] int8                    d * q_j
//   q8_1   36    0: d f16 | 2: s f16 | 4: qs[32] int8         d * q_j   (s = d * sum q_j)
//
// 4-bit codes: byte k of qs holds element k in its low nibble and element
// k + 16 in its high nibble (k = 0..<16). 5-bit codes add bit j of qh as the
// fifth bit (value 16) of element j. q8_1 only ever holds activations: it is
// what q4_1 and q5_1 weights are multiplied with (ggml's vec_dot_type).
// Each type's functions are in its own file (Q4_0.swift ... Q8_1.swift);
// this file has the layout offsets and the code they share. The float types
// are in Float.swift, the K-quant types (super-blocks of 256) in
// KQuants.swift.

/// Byte offsets inside the blocks above, used by every kernel in `Quant/`.
enum BlockLayout {
  /// Elements per block of every 32-element type.
  static let qk = 32

  static let q4_0Bytes = 18, q4_0Qs = 2
  static let q4_1Bytes = 20, q4_1M = 2, q4_1Qs = 4
  static let q5_0Bytes = 22, q5_0Qh = 2, q5_0Qs = 6
  static let q5_1Bytes = 24, q5_1M = 2, q5_1Qh = 4, q5_1Qs = 8
  static let q8_0Bytes = 34, q8_0Qs = 2
  static let q8_1Bytes = 36, q8_1S = 2, q8_1Qs = 4
}

// MARK: - SIMD dequantization (ggml's dequantize_row_*)

// The same arithmetic as the references lane by lane, so results are
// bit-identical. For the _1 types that means d * q + m as a rounded multiply
// then a rounded add, no fused multiply-add (Swift does not contract
// `a * b + c`).

enum Dequant {
  /// One 4- or 5-bit block: element j = d * (code - bias) (+ m).
  @inline(__always)
  static func nibbles(_ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer, qs: Int, qh: Int?, bias: Int32, min: Int?) {
    let d = SIMD16<Float>(repeating: Float(Float16(bitPattern: x.loadUnaligned(as: UInt16.self))))
    let m = SIMD16<Float>(repeating: min.map { Float(Float16(bitPattern: x.loadUnaligned(fromByteOffset: $0, as: UInt16.self))) } ?? 0)
    let q = x.loadUnaligned(fromByteOffset: qs, as: SIMD16<UInt8>.self)
    let high = qh.map { x.loadUnaligned(fromByteOffset: $0, as: UInt32.self) } ?? 0
    let shifts = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    for half in 0..<2 {
      let nibble = half == 0 ? q & 0x0F : q &>> 4
      var codes = SIMD16<Int32>()
      for i in 0..<16 { codes[i] = Int32(nibble[i]) }
      if qh != nil {
        let bits = (SIMD16<UInt32>(repeating: high &>> UInt32(16 &* half)) &>> shifts) & 1
        codes |= unsafeBitCast(bits &<< 4, to: SIMD16<Int32>.self)
      }
      codes &-= bias
      var f = SIMD16<Float>()
      for i in 0..<16 { f[i] = Float(codes[i]) }
      let v = min == nil ? f * d : f * d + m
      y.storeBytes(of: v, toByteOffset: 64 &* half, as: SIMD16<Float>.self)
    }
  }

  /// One q8 block: element j = d * code.
  @inline(__always)
  static func bytes(_ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer, qs: Int) {
    let d = SIMD8<Float>(repeating: Float(Float16(bitPattern: x.loadUnaligned(as: UInt16.self))))
    for k in 0..<4 {
      let q = x.loadUnaligned(fromByteOffset: qs &+ 8 &* k, as: SIMD8<Int8>.self)
      var f = SIMD8<Float>()
      for i in 0..<8 { f[i] = Float(q[i]) }
      y.storeBytes(of: f * d, toByteOffset: 32 &* k, as: SIMD8<Float>.self)
    }
  }
}

// MARK: - Reference quantizers (ggml-quants.c)

/// C's `(int)x` for a value the reference expects in range: truncation toward
/// zero, with NaN as 0 and out-of-range values clamped.
@inline(__always)
func truncatedCode(_ x: Float, max: Int) -> UInt8 {
  guard x > 0 else { return 0 }  // also NaN
  guard x < Float(max) else { return UInt8(max) }
  return UInt8(Int(x))
}

/// quantize_row_q8_0_ref / quantize_row_q8_1_ref for one block.
func quantizeBlockQ8Reference(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, withSum: Bool) {
  var amax: Float = 0
  for j in 0..<32 { amax = Swift.max(amax, abs(x[j])) }
  let d = amax / 127
  let id: Float = d != 0 ? 1 / d : 0
  y.storeBytes(of: Half.fromFloat(d), as: UInt16.self)
  let qs = withSum ? BlockLayout.q8_1Qs : BlockLayout.q8_0Qs
  var sum = 0
  for j in 0..<32 {
    let r = (x[j] * id).rounded(.toNearestOrAwayFromZero)  // roundf
    let q: Int8 = r.isNaN ? 0 : (r >= 127 ? 127 : (r <= -128 ? -128 : Int8(r)))
    y.storeBytes(of: q, toByteOffset: qs + j, as: Int8.self)
    sum += Int(q)
  }
  if withSum {
    y.storeBytes(of: Half.fromFloat(Float(sum) * d), toByteOffset: BlockLayout.q8_1S, as: UInt16.self)
  }
}

/// quantize_row_q4_0_ref (bits 4) / quantize_row_q5_0_ref (bits 5): the
/// value of largest magnitude maps to code 0, d = max / -2^(bits-1).
func quantizeBlockSymmetric(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, bits: Int) {
  var amax: Float = 0, maxValue: Float = 0
  for j in 0..<32 where amax < abs(x[j]) {
    amax = abs(x[j])
    maxValue = x[j]
  }
  let half = Float(1 << (bits - 1))  // 8 or 16
  let d = maxValue / -half
  let id: Float = d != 0 ? 1 / d : 0
  y.storeBytes(of: Half.fromFloat(d), as: UInt16.self)
  let top = (1 << bits) - 1
  var codes = SIMD32<UInt8>()
  for j in 0..<32 { codes[j] = truncatedCode(x[j] * id + (half + 0.5), max: top) }
  storeCodes(codes, y, bits: bits, qhOffset: BlockLayout.q5_0Qh, qsOffset: bits == 4 ? BlockLayout.q4_0Qs : BlockLayout.q5_0Qs)
}

/// quantize_row_q4_1_ref (bits 4) / quantize_row_q5_1_ref (bits 5): codes
/// span [min, max], d = (max - min) / (2^bits - 1), m = min.
func quantizeBlockAffine(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, bits: Int) {
  var minValue = Float.greatestFiniteMagnitude, maxValue = -Float.greatestFiniteMagnitude
  for j in 0..<32 {
    if x[j] < minValue { minValue = x[j] }
    if x[j] > maxValue { maxValue = x[j] }
  }
  let top = (1 << bits) - 1
  let d = (maxValue - minValue) / Float(top)
  let id: Float = d != 0 ? 1 / d : 0
  y.storeBytes(of: Half.fromFloat(d), as: UInt16.self)
  y.storeBytes(of: Half.fromFloat(minValue), toByteOffset: 2, as: UInt16.self)
  var codes = SIMD32<UInt8>()
  for j in 0..<32 { codes[j] = truncatedCode((x[j] - minValue) * id + 0.5, max: top) }
  storeCodes(codes, y, bits: bits, qhOffset: BlockLayout.q5_1Qh, qsOffset: bits == 4 ? BlockLayout.q4_1Qs : BlockLayout.q5_1Qs)
}

/// Packs 32 codes: low nibbles pairwise into qs (element j and j + 16 share
/// byte j), the fifth bits into qh when bits == 5.
@inline(__always)
func storeCodes(_ codes: SIMD32<UInt8>, _ y: UnsafeMutableRawPointer, bits: Int, qhOffset: Int, qsOffset: Int) {
  var qh: UInt32 = 0
  for j in 0..<16 {
    let c0 = codes[j], c1 = codes[j + 16]
    y.storeBytes(of: (c0 & 0x0F) | ((c1 & 0x0F) << 4), toByteOffset: qsOffset + j, as: UInt8.self)
    qh |= UInt32((c0 >> 4) & 1) << UInt32(j)
    qh |= UInt32((c1 >> 4) & 1) << UInt32(j + 16)
  }
  if bits == 5 { y.storeBytes(of: qh, toByteOffset: qhOffset, as: UInt32.self) }
}
