// q4_K: super-blocks of 256 4-bit codes in 8 sub-blocks of 32, each with a
// 6-bit scale and min (layout in KQuants.swift): element value
// d * sc_s * q - dmin * m_s. Weights; activations are q8_K. Everything but
// the codes is shared with q5_K (`KScaleMin`, KQuants.swift).

enum Q4_K {
  /// The code (0...15) of element e (0..<256) of the block at x.
  static func code(_ x: UnsafeRawPointer, _ e: Int) -> Int {
    let c = e / 32, l = e % 32
    return (Int(x.load(fromByteOffset: KLayout.q4Qs + 32 * (c / 2) + l, as: UInt8.self)) >> (4 * (c % 2))) & 0xF
  }

  /// The 32 codes of chunk c (elements 32c..<32c+32), one per byte in
  /// element order, as 16 little-endian words.
  @inline(__always)
  static func chunkCodes(_ x: UnsafeRawPointer, _ c: Int) -> SIMD16<UInt16> {
    let q = x.loadUnaligned(fromByteOffset: KLayout.q4Qs &+ 32 &* (c &>> 1), as: SIMD16<UInt16>.self)
    return (q &>> UInt16(4 &* (c & 1))) & 0x0F0F
  }

  /// SIMD dequantize_row_q4_K.
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    let out = UnsafeMutableRawPointer(dst)
    for b in 0..<blocks { KScaleMin.dequantizeBlock(high: false, src + b &* KLayout.q4Bytes, out + 1024 &* b) }
  }

  /// dequantize_row_q4_K.
  static func dequantizeReference(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
    KScaleMin.dequantizeReference(high: false, src, y, blocks)
  }

  /// ggml_vec_dot_q4_K_q8_K_generic.
  static func dotReference(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ blocks: Int) -> Float {
    KScaleMin.dotReference(high: false, weights, activation, blocks)
  }

  /// quantize_row_q4_K_ref.
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    for b in 0..<blocks { KScaleMin.quantizeBlock(high: false, src + 256 * b, dst + b * KLayout.q4Bytes) }
  }
}
