// SIMD dequantization (ggml's dequantize_row_*): the same arithmetic as
// `dequantizeReference` lane by lane, so results are bit-identical. For the
// _1 types that means d * q + m as a rounded multiply then a rounded add, no
// fused multiply-add (Swift does not contract `a * b + c`).

extension QuantKernels {
  /// `dst[0..<count]` = the values of `count` elements of `type` at `src`.
  /// `count` is a multiple of the block size (a partial trailing block is
  /// left unwritten); types without kernels write nothing.
  public static func dequantize(
    _ type: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int
  ) {
    let nb = count > 0 ? count / type.blockSize : 0
    let out = UnsafeMutableRawPointer(dst)
    switch type {
    case .f32:
      out.copyMemory(from: src, byteCount: 4 &* nb)
    case .f16, .bf16:
      FloatDot.widenActivation(src, count: nb, bf16: type == .bf16, into: out)
    case .q4_0:
      for b in 0..<nb { Dequant.nibbles(src + b &* BlockLayout.q4_0Bytes, out + 128 &* b, qs: BlockLayout.q4_0Qs, qh: nil, bias: 8, min: nil) }
    case .q4_1:
      for b in 0..<nb { Dequant.nibbles(src + b &* BlockLayout.q4_1Bytes, out + 128 &* b, qs: BlockLayout.q4_1Qs, qh: nil, bias: 0, min: BlockLayout.q4_1M) }
    case .q5_0:
      for b in 0..<nb { Dequant.nibbles(src + b &* BlockLayout.q5_0Bytes, out + 128 &* b, qs: BlockLayout.q5_0Qs, qh: BlockLayout.q5_0Qh, bias: 16, min: nil) }
    case .q5_1:
      for b in 0..<nb { Dequant.nibbles(src + b &* BlockLayout.q5_1Bytes, out + 128 &* b, qs: BlockLayout.q5_1Qs, qh: BlockLayout.q5_1Qh, bias: 0, min: BlockLayout.q5_1M) }
    case .q8_0:
      for b in 0..<nb { Dequant.bytes(src + b &* BlockLayout.q8_0Bytes, out + 128 &* b, qs: BlockLayout.q8_0Qs) }
    case .q8_1:
      for b in 0..<nb { Dequant.bytes(src + b &* BlockLayout.q8_1Bytes, out + 128 &* b, qs: BlockLayout.q8_1Qs) }
    case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K:
      dequantizeK(type, src, out, blocks: nb)
    default:
      break
    }
  }
}

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
