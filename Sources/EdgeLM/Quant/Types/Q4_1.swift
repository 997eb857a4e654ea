// q4_1: blocks of 32 4-bit codes with an f16 scale and an f16 minimum
// (layout in Legacy32.swift): element j = d * q_j + m. Weights; activations
// are q8_1.

enum Q4_1 {
  /// SIMD dequantize_row_q4_1.
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    let out = UnsafeMutableRawPointer(dst)
    for b in 0..<blocks { Dequant.nibbles(src + b &* BlockLayout.q4_1Bytes, out + 128 &* b, qs: BlockLayout.q4_1Qs, qh: nil, bias: 0, min: BlockLayout.q4_1M) }
  }

  /// dequantize_row_q4_1.
  static func dequantizeReference(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    for b in 0..<blocks {
      let x = src + b * BlockLayout.q4_1Bytes, y = dst + b * 32
      let d = loadHalf(x, 0), m = loadHalf(x, BlockLayout.q4_1M)
      for j in 0..<16 {
        let q = x.load(fromByteOffset: BlockLayout.q4_1Qs + j, as: UInt8.self)
        y[j] = Float(q & 0x0F) * d + m
        y[j + 16] = Float(q >> 4) * d + m
      }
    }
  }

  /// ggml_vec_dot_q4_1_q8_1_generic: the minimum enters through q8_1's s.
  static func dotReference(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ blocks: Int) -> Float {
    var sum: Float = 0
    for b in 0..<blocks {
      let x = weights + b * BlockLayout.q4_1Bytes, y = activation + b * BlockLayout.q8_1Bytes
      var sumi = 0
      for j in 0..<16 {
        let q = x.load(fromByteOffset: BlockLayout.q4_1Qs + j, as: UInt8.self)
        sumi += Int(q & 0x0F) * Int(y.load(fromByteOffset: BlockLayout.q8_1Qs + j, as: Int8.self))
        sumi += Int(q >> 4) * Int(y.load(fromByteOffset: BlockLayout.q8_1Qs + j + 16, as: Int8.self))
      }
      sum += loadHalf(x, 0) * loadHalf(y, 0) * Float(sumi)
        + loadHalf(x, BlockLayout.q4_1M) * loadHalf(y, BlockLayout.q8_1S)
    }
    return sum
  }

  /// quantize_row_q4_1_ref.
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    for b in 0..<blocks { quantizeBlockAffine(src + 32 * b, dst + b * BlockLayout.q4_1Bytes, bits: 4) }
  }
}
