// q8_0: blocks of 32 int8 codes with one f16 scale (layout in
// Legacy32.swift): element j = d * q_j. Both a weight type and the
// activation type of q4_0, q5_0 and q8_0 weights.

enum Q8_0 {
  /// SIMD dequantize_row_q8_0.
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    let out = UnsafeMutableRawPointer(dst)
    for b in 0..<blocks { Dequant.bytes(src + b &* BlockLayout.q8_0Bytes, out + 128 &* b, qs: BlockLayout.q8_0Qs) }
  }

  /// dequantize_row_q8_0.
  static func dequantizeReference(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    for b in 0..<blocks {
      let x = src + b * BlockLayout.q8_0Bytes, y = dst + b * 32
      let d = loadHalf(x, 0)
      for j in 0..<32 { y[j] = Float(x.load(fromByteOffset: BlockLayout.q8_0Qs + j, as: Int8.self)) * d }
    }
  }

  /// ggml_vec_dot_q8_0_q8_0_generic.
  static func dotReference(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ blocks: Int) -> Float {
    var sum: Float = 0
    for b in 0..<blocks {
      let x = weights + b * BlockLayout.q8_0Bytes, y = activation + b * BlockLayout.q8_0Bytes
      var sumi = 0
      for j in 0..<32 {
        sumi += Int(x.load(fromByteOffset: BlockLayout.q8_0Qs + j, as: Int8.self))
          * Int(y.load(fromByteOffset: BlockLayout.q8_0Qs + j, as: Int8.self))
      }
      sum += Float(sumi) * (loadHalf(x, 0) * loadHalf(y, 0))
    }
    return sum
  }

  /// Activations, as llama.cpp's AVX2 quantize_row_q8_0 (Q8Activation.swift).
  static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    quantizeActivationQ8(src, dst, blocks: blocks, withSum: false)
  }

  /// quantize_row_q8_0_ref.
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    for b in 0..<blocks { quantizeBlockQ8Reference(src + 32 * b, dst + b * BlockLayout.q8_0Bytes, withSum: false) }
  }
}
