// q5_K: q4_K with a fifth code bit per element in qh (layout in
// KQuants.swift): element value d * sc_s * q - dmin * m_s, q in 0...31.
// Weights; activations are q8_K. Everything but the codes is shared with
// q4_K (`KScaleMin`, KQuants.swift).

enum Q5_K {
  /// The code (0...31) of element e (0..<256) of the block at x.
  static func code(_ x: UnsafeRawPointer, _ e: Int) -> Int {
    func b(_ i: Int) -> Int { Int(x.load(fromByteOffset: i, as: UInt8.self)) }
    let c = e / 32, l = e % 32
    let low = (b(KLayout.q5Qs + 32 * (c / 2) + l) >> (4 * (c % 2))) & 0xF
    return low | ((b(KLayout.q5Qh + l) >> c) & 1) << 4
  }

  /// The 32 codes of chunk c (elements 32c..<32c+32), one per byte in
  /// element order, as 16 little-endian words.
  @inline(__always)
  static func chunkCodes(_ x: UnsafeRawPointer, _ c: Int) -> SIMD16<UInt16> {
    let q = x.loadUnaligned(fromByteOffset: KLayout.q5Qs &+ 32 &* (c &>> 1), as: SIMD16<UInt16>.self)
    let qh = x.loadUnaligned(fromByteOffset: KLayout.q5Qh, as: SIMD16<UInt16>.self)
    return ((q &>> UInt16(4 &* (c & 1))) & 0x0F0F) | (((qh &>> UInt16(c)) & 0x0101) &<< 4)
  }

  /// SIMD dequantize_row_q5_K.
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    let out = UnsafeMutableRawPointer(dst)
    for b in 0..<blocks { KScaleMin.dequantizeBlock(high: true, src + b &* KLayout.q5Bytes, out + 1024 &* b) }
  }

  /// dequantize_row_q5_K.
  static func dequantizeReference(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
    KScaleMin.dequantizeReference(high: true, src, y, blocks)
  }

  /// ggml_vec_dot_q5_K_q8_K_generic.
  static func dotReference(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ blocks: Int) -> Float {
    KScaleMin.dotReference(high: true, weights, activation, blocks)
  }

  /// quantize_row_q5_K_ref.
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    for b in 0..<blocks { KScaleMin.quantizeBlock(high: true, src + 256 * b, dst + b * KLayout.q5Bytes) }
  }
}
