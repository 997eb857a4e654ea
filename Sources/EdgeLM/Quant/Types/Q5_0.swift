// q5_0: blocks of 32 5-bit codes (4 low bits in qs, the fifth in qh) with
// one f16 scale (layout in Legacy32.swift): element j = d * (q_j - 16).
// Weights; activations are q8_0.

enum Q5_0 {
  /// SIMD dequantize_row_q5_0.
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    let out = UnsafeMutableRawPointer(dst)
    for b in 0..<blocks { Dequant.nibbles(src + b &* BlockLayout.q5_0Bytes, out + 128 &* b, qs: BlockLayout.q5_0Qs, qh: BlockLayout.q5_0Qh, bias: 16, min: nil) }
  }

  /// dequantize_row_q5_0.
  static func dequantizeReference(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    for b in 0..<blocks {
      let x = src + b * BlockLayout.q5_0Bytes, y = dst + b * 32
      let d = loadHalf(x, 0)
      let qh = x.loadUnaligned(fromByteOffset: BlockLayout.q5_0Qh, as: UInt32.self)
      for j in 0..<16 {
        let q = x.load(fromByteOffset: BlockLayout.q5_0Qs + j, as: UInt8.self)
        let h0 = Int((qh >> UInt32(j)) & 1) << 4, h1 = Int((qh >> UInt32(j + 16)) & 1) << 4
        y[j] = Float((Int(q & 0x0F) | h0) - 16) * d
        y[j + 16] = Float((Int(q >> 4) | h1) - 16) * d
      }
    }
  }

  /// ggml_vec_dot_q5_0_q8_0_generic.
  static func dotReference(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ blocks: Int) -> Float {
    var sum: Float = 0
    for b in 0..<blocks {
      let x = weights + b * BlockLayout.q5_0Bytes, y = activation + b * BlockLayout.q8_0Bytes
      let qh = x.loadUnaligned(fromByteOffset: BlockLayout.q5_0Qh, as: UInt32.self)
      var sumi = 0
      for j in 0..<16 {
        let q = x.load(fromByteOffset: BlockLayout.q5_0Qs + j, as: UInt8.self)
        let x0 = (Int(q & 0x0F) | Int((qh >> UInt32(j)) & 1) << 4) - 16
        let x1 = (Int(q >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4) - 16
        sumi += x0 * Int(y.load(fromByteOffset: BlockLayout.q8_0Qs + j, as: Int8.self))
        sumi += x1 * Int(y.load(fromByteOffset: BlockLayout.q8_0Qs + j + 16, as: Int8.self))
      }
      sum += loadHalf(x, 0) * loadHalf(y, 0) * Float(sumi)
    }
    return sum
  }

  /// quantize_row_q5_0_ref.
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    for b in 0..<blocks { quantizeBlockSymmetric(src + 32 * b, dst + b * BlockLayout.q5_0Bytes, bits: 5) }
  }
}
