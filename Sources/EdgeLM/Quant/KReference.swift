// Scalar references for the K-quant types: plain loops in the shape of
// ggml's dequantize_row_q{2..6}_K / dequantize_row_q8_K (ggml-quants.c) and
// ggml_vec_dot_q{2..6}_K_q8_K_generic (ggml-cpu/quants.c). The SIMD kernels
// are tested against these; nothing on a hot path calls them.

/// get_scale_min_k4: the 6-bit scale and min of sub-block j of q4_K/q5_K.
@inline(__always)
func scaleMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (scale: Int, min: Int) {
  func b(_ i: Int) -> Int { Int(q.load(fromByteOffset: i, as: UInt8.self)) }
  if j < 4 { return (b(j) & 63, b(j + 4) & 63) }
  return ((b(j + 4) & 0xF) | ((b(j - 4) >> 6) << 4), (b(j + 4) >> 4) | ((b(j) >> 6) << 4))
}

/// The 6-bit scale of sub-block s of q3_K, minus 32.
@inline(__always)
func scaleQ3(_ s: Int, _ q: UnsafeRawPointer) -> Int {
  func b(_ i: Int) -> Int { Int(q.load(fromByteOffset: i, as: UInt8.self)) }
  let low = s < 8 ? b(s) & 0xF : b(s - 8) >> 4
  return (low | (((b(8 + s % 4) >> (2 * (s / 4))) & 3) << 4)) - 32
}

/// The unsigned code of element e (0..<256) of a K-quant block: q2_K 0...3,
/// q3_K 0...7 (value + 4), q4_K 0...15, q5_K 0...31, q6_K 0...63 (value + 32).
func kCode(_ type: GGMLType, _ x: UnsafeRawPointer, _ e: Int) -> Int {
  func b(_ i: Int) -> Int { Int(x.load(fromByteOffset: i, as: UInt8.self)) }
  let c = e / 32, l = e % 32
  switch type {
  case .q2_K:
    return (b(KLayout.q2Qs + 32 * (c / 4) + l) >> (2 * (c % 4))) & 3
  case .q3_K:
    let low = (b(KLayout.q3Qs + 32 * (c / 4) + l) >> (2 * (c % 4))) & 3
    return low | ((b(KLayout.q3HMask + l) >> c) & 1) << 2
  case .q4_K:
    return (b(KLayout.q4Qs + 32 * (c / 2) + l) >> (4 * (c % 2))) & 0xF
  case .q5_K:
    let low = (b(KLayout.q5Qs + 32 * (c / 2) + l) >> (4 * (c % 2))) & 0xF
    return low | ((b(KLayout.q5Qh + l) >> c) & 1) << 4
  case .q6_K:
    let h = c / 4, k = c % 4
    let low = (b(KLayout.q6Ql + 64 * h + 32 * (k % 2) + l) >> (4 * (k / 2))) & 0xF
    return low | ((b(KLayout.q6Qh + 32 * h + l) >> (2 * k)) & 3) << 4
  default:
    return 0
  }
}

extension QuantKernels {
  /// `dequantizeReference` for q2_K...q8_K.
  static func dequantizeReferenceK(_ type: GGMLType, _ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, blocks: Int) {
    for i in 0..<blocks {
      let x = src + i * type.blockBytes, out = y + 256 * i
      switch type {
      case .q2_K:
        let d = loadHalf(x, KLayout.q2D), dmin = loadHalf(x, KLayout.q2DMin)
        for e in 0..<256 {
          let sc = Int(x.load(fromByteOffset: KLayout.q2Scales + e / 16, as: UInt8.self))
          let dl = d * Float(sc & 0xF), ml = dmin * Float(sc >> 4)
          out[e] = dl * Float(kCode(type, x, e)) - ml
        }
      case .q3_K:
        let d = loadHalf(x, KLayout.q3D)
        for e in 0..<256 {
          let dl = d * Float(scaleQ3(e / 16, x + KLayout.q3Scales))
          out[e] = dl * Float(kCode(type, x, e) - 4)
        }
      case .q4_K, .q5_K:
        let d = loadHalf(x, 0), dmin = loadHalf(x, KLayout.q4DMin)
        for e in 0..<256 {
          let (sc, m) = scaleMinK4(e / 32, x + KLayout.q4Scales)
          let d1 = d * Float(sc), m1 = dmin * Float(m)
          out[e] = d1 * Float(kCode(type, x, e)) - m1
        }
      case .q6_K:
        let d = loadHalf(x, KLayout.q6D)
        for e in 0..<256 {
          let sc = x.load(fromByteOffset: KLayout.q6Scales + e / 16, as: Int8.self)
          out[e] = d * Float(sc) * Float(kCode(type, x, e) - 32)
        }
      case .q8_K:
        let d = x.loadUnaligned(as: Float.self)
        for e in 0..<256 { out[e] = d * Float(x.load(fromByteOffset: KLayout.q8Qs + e, as: Int8.self)) }
      default:
        return
      }
    }
  }

  /// `dotReference` for q2_K...q6_K weights with q8_K activations: per
  /// super-block an exact integer sum of scale * code * activation, mins
  /// through the activation's bsums (as ggml's generic code does).
  static func dotReferenceK(_ type: GGMLType, _ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, blocks: Int) -> Float {
    var sum: Float = 0
    for i in 0..<blocks {
      let x = weights + i * type.blockBytes, y = activation + i * KLayout.q8Bytes
      let dy = y.loadUnaligned(as: Float.self)
      func a(_ e: Int) -> Int { Int(y.load(fromByteOffset: KLayout.q8Qs + e, as: Int8.self)) }
      func bsum(_ s: Int) -> Int { Int(y.loadUnaligned(fromByteOffset: KLayout.q8BSums + 2 * s, as: Int16.self)) }
      var sumi = 0, summ = 0
      let d: Float, dmin: Float
      switch type {
      case .q2_K:
        d = loadHalf(x, KLayout.q2D)
        dmin = loadHalf(x, KLayout.q2DMin)
        for s in 0..<16 {
          let sc = Int(x.load(fromByteOffset: KLayout.q2Scales + s, as: UInt8.self))
          var t = 0
          for e in 16 * s..<16 * s + 16 { t += kCode(type, x, e) * a(e) }
          sumi += (sc & 0xF) * t
          summ += (sc >> 4) * bsum(s)
        }
      case .q3_K:
        d = loadHalf(x, KLayout.q3D)
        dmin = 0
        for s in 0..<16 {
          var t = 0
          for e in 16 * s..<16 * s + 16 { t += (kCode(type, x, e) - 4) * a(e) }
          sumi += scaleQ3(s, x + KLayout.q3Scales) * t
        }
      case .q4_K, .q5_K:
        d = loadHalf(x, 0)
        dmin = loadHalf(x, KLayout.q4DMin)
        for j in 0..<8 {
          let (sc, m) = scaleMinK4(j, x + KLayout.q4Scales)
          var t = 0
          for e in 32 * j..<32 * j + 32 { t += kCode(type, x, e) * a(e) }
          sumi += sc * t
          summ += m * (bsum(2 * j) + bsum(2 * j + 1))
        }
      case .q6_K:
        d = loadHalf(x, KLayout.q6D)
        dmin = 0
        for s in 0..<16 {
          var t = 0
          for e in 16 * s..<16 * s + 16 { t += (kCode(type, x, e) - 32) * a(e) }
          sumi += Int(x.load(fromByteOffset: KLayout.q6Scales + s, as: Int8.self)) * t
        }
      default:
        return 0
      }
      sum += (d * dy) * Float(sumi) - (dmin * dy) * Float(summ)
    }
    return sum
  }
}
