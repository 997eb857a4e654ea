// q4_0: blocks of 32 4-bit codes with one f16 scale (layout in
// Legacy32.swift): element j = d * (q_j - 8). Weights; activations are q8_0.

enum Q4_0 {
  /// SIMD dequantize_row_q4_0.
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    let out = UnsafeMutableRawPointer(dst)
    for b in 0..<blocks { Dequant.nibbles(src + b &* BlockLayout.q4_0Bytes, out + 128 &* b, qs: BlockLayout.q4_0Qs, qh: nil, bias: 8, min: nil) }
  }

  /// dequantize_row_q4_0.
  static func dequantizeReference(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    for b in 0..<blocks {
      let x = src + b * BlockLayout.q4_0Bytes, y = dst + b * 32
      let d = loadHalf(x, 0)
      for j in 0..<16 {
        let q = x.load(fromByteOffset: BlockLayout.q4_0Qs + j, as: UInt8.self)
        y[j] = Float(Int(q & 0x0F) - 8) * d
        y[j + 16] = Float(Int(q >> 4) - 8) * d
      }
    }
  }

  /// ggml_vec_dot_q4_0_q8_0_generic.
  static func dotReference(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ blocks: Int) -> Float {
    var sum: Float = 0
    for b in 0..<blocks {
      let x = weights + b * BlockLayout.q4_0Bytes, y = activation + b * BlockLayout.q8_0Bytes
      var sumi = 0
      for j in 0..<16 {
        let q = x.load(fromByteOffset: BlockLayout.q4_0Qs + j, as: UInt8.self)
        sumi += (Int(q & 0x0F) - 8) * Int(y.load(fromByteOffset: BlockLayout.q8_0Qs + j, as: Int8.self))
        sumi += (Int(q >> 4) - 8) * Int(y.load(fromByteOffset: BlockLayout.q8_0Qs + j + 16, as: Int8.self))
      }
      sum += Float(sumi) * loadHalf(x, 0) * loadHalf(y, 0)
    }
    return sum
  }

  /// quantize_row_q4_0_ref.
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    for b in 0..<blocks { quantizeBlockSymmetric(src + 32 * b, dst + b * BlockLayout.q4_0Bytes, bits: 4) }
  }
}
