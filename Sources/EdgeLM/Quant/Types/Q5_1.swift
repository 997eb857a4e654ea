// q5_1: blocks of 32 5-bit codes (4 low bits in qs, the fifth in qh) with an
// f16 scale and an f16 minimum (layout in Legacy32.swift): element j =
// d * q_j + m. Weights; activations are q8_1.

enum Q5_1 {
  /// SIMD dequantize_row_q5_1.
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    let out = UnsafeMutableRawPointer(dst)
    for b in 0..<blocks { Dequant.nibbles(src + b &* BlockLayout.q5_1Bytes, out + 128 &* b, qs: BlockLayout.q5_1Qs, qh: BlockLayout.q5_1Qh, bias: 0, min: BlockLayout.q5_1M) }
  }

  /// dequantize_row_q5_1.
  static func dequantizeReference(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    for b in 0..<blocks {
      let x = src + b * BlockLayout.q5_1Bytes, y = dst + b * 32
      let d = loadHalf(x, 0), m = loadHalf(x, BlockLayout.q5_1M)
      let qh = x.loadUnaligned(fromByteOffset: BlockLayout.q5_1Qh, as: UInt32.self)
      for j in 0..<16 {
        let q = x.load(fromByteOffset: BlockLayout.q5_1Qs + j, as: UInt8.self)
        let h0 = Int((qh >> UInt32(j)) & 1) << 4, h1 = Int((qh >> UInt32(j + 16)) & 1) << 4
        y[j] = Float(Int(q & 0x0F) | h0) * d + m
        y[j + 16] = Float(Int(q >> 4) | h1) * d + m
      }
    }
  }

  /// ggml_vec_dot_q5_1_q8_1_generic: the minimum enters through q8_1's s.
  static func dotReference(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ blocks: Int) -> Float {
    var sum: Float = 0
    for b in 0..<blocks {
      let x = weights + b * BlockLayout.q5_1Bytes, y = activation + b * BlockLayout.q8_1Bytes
      let qh = x.loadUnaligned(fromByteOffset: BlockLayout.q5_1Qh, as: UInt32.self)
      var sumi = 0
      for j in 0..<16 {
        let q = x.load(fromByteOffset: BlockLayout.q5_1Qs + j, as: UInt8.self)
        let x0 = Int(q & 0x0F) | Int((qh >> UInt32(j)) & 1) << 4
        let x1 = Int(q >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
        sumi += x0 * Int(y.load(fromByteOffset: BlockLayout.q8_1Qs + j, as: Int8.self))
        sumi += x1 * Int(y.load(fromByteOffset: BlockLayout.q8_1Qs + j + 16, as: Int8.self))
      }
      sum += loadHalf(x, 0) * loadHalf(y, 0) * Float(sumi)
        + loadHalf(x, BlockLayout.q5_1M) * loadHalf(y, BlockLayout.q8_1S)
    }
    return sum
  }

  /// quantize_row_q5_1_ref.
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    for b in 0..<blocks { quantizeBlockAffine(src + 32 * b, dst + b * BlockLayout.q5_1Bytes, bits: 5) }
  }
}
