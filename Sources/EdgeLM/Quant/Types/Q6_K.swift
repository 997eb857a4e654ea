// q6_K: super-blocks of 256 6-bit codes (4 low bits in ql, 2 high bits in
// qh) in 16 sub-blocks of 16 with int8 scales (layout in KQuants.swift):
// element value d * sc_s * (q - 32). Weights; activations are q8_K.

enum Q6_K {
  /// The code (0...63, value + 32) of element e (0..<256) of the block at x.
  static func code(_ x: UnsafeRawPointer, _ e: Int) -> Int {
    func b(_ i: Int) -> Int { Int(x.load(fromByteOffset: i, as: UInt8.self)) }
    let c = e / 32, l = e % 32
    let h = c / 4, k = c % 4
    let low = (b(KLayout.q6Ql + 64 * h + 32 * (k % 2) + l) >> (4 * (k / 2))) & 0xF
    return low | ((b(KLayout.q6Qh + 32 * h + l) >> (2 * k)) & 3) << 4
  }

  /// The 32 codes of chunk c (elements 32c..<32c+32, value + 32), one per
  /// byte in element order, as 16 little-endian words.
  @inline(__always)
  static func chunkCodes(_ x: UnsafeRawPointer, _ c: Int) -> SIMD16<UInt16> {
    let h = c &>> 2, k = c & 3
    let ql = x.loadUnaligned(fromByteOffset: KLayout.q6Ql &+ 64 &* h &+ 32 &* (k & 1), as: SIMD16<UInt16>.self)
    let qh = x.loadUnaligned(fromByteOffset: KLayout.q6Qh &+ 32 &* h, as: SIMD16<UInt16>.self)
    let low = (ql &>> UInt16(4 &* (k &>> 1))) & 0x0F0F
    return low | (((qh &>> UInt16(2 &* k)) & 0x0303) &<< 4)
  }

  /// SIMD dequantize_row_q6_K.
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    let out = UnsafeMutableRawPointer(dst)
    for b in 0..<blocks { dequantizeBlock(src + b &* KLayout.q6Bytes, out + 1024 &* b) }
  }

  static func dequantizeBlock(_ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) {
    let d = loadHalf(x, KLayout.q6D)
    let bias = SIMD8<Float>(repeating: 32)
    for c in 0..<8 {
      let s0 = x.load(fromByteOffset: KLayout.q6Scales &+ 2 &* c, as: Int8.self)
      let s1 = x.load(fromByteOffset: KLayout.q6Scales &+ 2 &* c &+ 1, as: Int8.self)
      let d0 = SIMD8<Float>(repeating: d * Float(s0)), d1 = SIMD8<Float>(repeating: d * Float(s1))
      let f = KDequant.chunkFloats(chunkCodes(x, c))
      KDequant.store(y, c, (d0 * (f.0 - bias), d0 * (f.1 - bias), d1 * (f.2 - bias), d1 * (f.3 - bias)))
    }
  }

  /// dequantize_row_q6_K.
  static func dequantizeReference(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
    for i in 0..<blocks {
      let x = src + i * KLayout.q6Bytes, out = y + 256 * i
      let d = loadHalf(x, KLayout.q6D)
      for e in 0..<256 {
        let sc = x.load(fromByteOffset: KLayout.q6Scales + e / 16, as: Int8.self)
        out[e] = d * Float(sc) * Float(code(x, e) - 32)
      }
    }
  }

  /// ggml_vec_dot_q6_K_q8_K_generic.
  static func dotReference(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ blocks: Int) -> Float {
    var sum: Float = 0
    for i in 0..<blocks {
      let x = weights + i * KLayout.q6Bytes, y = activation + i * KLayout.q8Bytes
      let d = loadHalf(x, KLayout.q6D)
      var sumi = 0
      for s in 0..<16 {
        var t = 0
        for e in 16 * s..<16 * s + 16 { t += (code(x, e) - 32) * Q8_K.code(y, e) }
        sumi += Int(x.load(fromByteOffset: KLayout.q6Scales + s, as: Int8.self)) * t
      }
      sum += kBlockDot(d: d, dmin: 0, dy: Q8_K.scale(y), sumi: sumi, summ: 0)
    }
    return sum
  }

  /// quantize_row_q6_K_ref.
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    for b in 0..<blocks { quantizeBlock(src + 256 * b, dst + b * KLayout.q6Bytes) }
  }

  /// quantize_row_q6_K_ref for one super-block.
  static func quantizeBlock(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
    withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { codes in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { f in
        let L = codes.baseAddress!, scales = f.baseAddress!
        var maxScale: Float = 0, maxAbsScale: Float = 0
        for ib in 0..<16 {
          let scale = KQuantizer.makeQx(16, 32, x + 16 * ib, L + 16 * ib)
          scales[ib] = scale
          if abs(scale) > maxAbsScale {
            maxAbsScale = abs(scale)
            maxScale = scale
          }
        }
        if maxAbsScale < groupMaxEps {
          y.initializeMemory(as: UInt8.self, repeating: 0, count: KLayout.q6Bytes)
          return
        }
        let iscale = -128 / maxScale
        y.storeBytes(of: Half.fromFloat(1 / iscale), toByteOffset: KLayout.q6D, as: UInt16.self)
        for ib in 0..<16 {
          let s = Int8(truncatingIfNeeded: Swift.min(127, nearestInt(iscale * scales[ib])))
          y.storeBytes(of: s, toByteOffset: KLayout.q6Scales + ib, as: Int8.self)
        }
        let dAll = loadHalf(y, KLayout.q6D)
        for j in 0..<16 {
          let d = dAll * Float(y.load(fromByteOffset: KLayout.q6Scales + j, as: Int8.self))
          if d == 0 { continue }
          for ii in 0..<16 {
            L[16 * j + ii] = Int8(truncatingIfNeeded: clampCode(nearestInt(x[16 * j + ii] / d), -32, 31) + 32)
          }
        }
        L.withMemoryRebound(to: UInt8.self, capacity: 256) { L in
          for h in 0..<2 {
            for l in 0..<32 {
              let j = 128 * h + l
              let q1 = L[j] & 0xF, q2 = L[j + 32] & 0xF, q3 = L[j + 64] & 0xF, q4 = L[j + 96] & 0xF
              y.storeBytes(of: q1 | (q3 &<< 4), toByteOffset: KLayout.q6Ql + 64 * h + l, as: UInt8.self)
              y.storeBytes(of: q2 | (q4 &<< 4), toByteOffset: KLayout.q6Ql + 64 * h + l + 32, as: UInt8.self)
              let high = (L[j] >> 4) | ((L[j + 32] >> 4) &<< 2) | ((L[j + 64] >> 4) &<< 4) | ((L[j + 96] >> 4) &<< 6)
              y.storeBytes(of: high, toByteOffset: KLayout.q6Qh + 32 * h + l, as: UInt8.self)
            }
          }
        }
      }
    }
  }
}
