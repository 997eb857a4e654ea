// q8_1: q8_0 plus s = d * sum(q_j), an f16 (layout in Legacy32.swift):
// element j = d * q_j. Activations only, for q4_1 and q5_1 weights, whose
// minimum multiplies s in the dot product; no dot product of its own.

enum Q8_1 {
  /// SIMD dequantize_row_q8_1 (s is not needed for the values).
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    let out = UnsafeMutableRawPointer(dst)
    for b in 0..<blocks { Dequant.bytes(src + b &* BlockLayout.q8_1Bytes, out + 128 &* b, qs: BlockLayout.q8_1Qs) }
  }

  /// dequantize_row_q8_1.
  static func dequantizeReference(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    for b in 0..<blocks {
      let x = src + b * BlockLayout.q8_1Bytes, y = dst + b * 32
      let d = loadHalf(x, 0)
      for j in 0..<32 { y[j] = Float(x.load(fromByteOffset: BlockLayout.q8_1Qs + j, as: Int8.self)) * d }
    }
  }

  /// Activations, as llama.cpp's AVX2 quantize_row_q8_1 (Q8Activation.swift).
  static func quantize(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    quantizeActivationQ8(src, dst, blocks: blocks, withSum: true)
  }

  /// quantize_row_q8_1_ref.
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    for b in 0..<blocks { quantizeBlockQ8Reference(src + 32 * b, dst + b * BlockLayout.q8_1Bytes, withSum: true) }
  }
}
