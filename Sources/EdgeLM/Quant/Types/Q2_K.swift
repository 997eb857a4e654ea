// q2_K: super-blocks of 256 2-bit codes in 16 sub-blocks of 16, each with
// a 4-bit scale and a 4-bit min (layout in KQuants.swift): element value
// d * sc_s * q - dmin * m_s. Weights; activations are q8_K.

enum Q2_K {
  /// The code (0...3) of element e (0..<256) of the block at x.
  static func code(_ x: UnsafeRawPointer, _ e: Int) -> Int {
    let c = e / 32, l = e % 32
    return (Int(x.load(fromByteOffset: KLayout.q2Qs + 32 * (c / 4) + l, as: UInt8.self)) >> (2 * (c % 4))) & 3
  }

  /// The 32 codes of chunk c (elements 32c..<32c+32), one per byte in
  /// element order, as 16 little-endian words.
  @inline(__always)
  static func chunkCodes(_ x: UnsafeRawPointer, _ c: Int) -> SIMD16<UInt16> {
    let q = x.loadUnaligned(fromByteOffset: KLayout.q2Qs &+ 32 &* (c &>> 2), as: SIMD16<UInt16>.self)
    return (q &>> UInt16(2 &* (c & 3))) & 0x0303
  }

  /// SIMD dequantize_row_q2_K.
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    let out = UnsafeMutableRawPointer(dst)
    for b in 0..<blocks { dequantizeBlock(src + b &* KLayout.q2Bytes, out + 1024 &* b) }
  }

  static func dequantizeBlock(_ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) {
    let d = loadHalf(x, KLayout.q2D), dmin = loadHalf(x, KLayout.q2DMin)
    for c in 0..<8 {
      let s0 = x.load(fromByteOffset: KLayout.q2Scales &+ 2 &* c, as: UInt8.self)
      let s1 = x.load(fromByteOffset: KLayout.q2Scales &+ 2 &* c &+ 1, as: UInt8.self)
      let d0 = SIMD8<Float>(repeating: d * Float(s0 & 0xF)), m0 = SIMD8<Float>(repeating: dmin * Float(s0 &>> 4))
      let d1 = SIMD8<Float>(repeating: d * Float(s1 & 0xF)), m1 = SIMD8<Float>(repeating: dmin * Float(s1 &>> 4))
      let f = KDequant.chunkFloats(chunkCodes(x, c))
      KDequant.store(y, c, (d0 * f.0 - m0, d0 * f.1 - m0, d1 * f.2 - m1, d1 * f.3 - m1))
    }
  }

  /// dequantize_row_q2_K.
  static func dequantizeReference(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
    for i in 0..<blocks {
      let x = src + i * KLayout.q2Bytes, out = y + 256 * i
      let d = loadHalf(x, KLayout.q2D), dmin = loadHalf(x, KLayout.q2DMin)
      for e in 0..<256 {
        let sc = Int(x.load(fromByteOffset: KLayout.q2Scales + e / 16, as: UInt8.self))
        let dl = d * Float(sc & 0xF), ml = dmin * Float(sc >> 4)
        out[e] = dl * Float(code(x, e)) - ml
      }
    }
  }

  /// ggml_vec_dot_q2_K_q8_K_generic.
  static func dotReference(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ blocks: Int) -> Float {
    var sum: Float = 0
    for i in 0..<blocks {
      let x = weights + i * KLayout.q2Bytes, y = activation + i * KLayout.q8Bytes
      let d = loadHalf(x, KLayout.q2D), dmin = loadHalf(x, KLayout.q2DMin)
      var sumi = 0, summ = 0
      for s in 0..<16 {
        let sc = Int(x.load(fromByteOffset: KLayout.q2Scales + s, as: UInt8.self))
        var t = 0
        for e in 16 * s..<16 * s + 16 { t += code(x, e) * Q8_K.code(y, e) }
        sumi += (sc & 0xF) * t
        summ += (sc >> 4) * Q8_K.bsum(y, s)
      }
      sum += kBlockDot(d: d, dmin: dmin, dy: Q8_K.scale(y), sumi: sumi, summ: summ)
    }
    return sum
  }

  /// quantize_row_q2_K_ref.
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    for b in 0..<blocks { quantizeBlock(src + 256 * b, dst + b * KLayout.q2Bytes) }
  }

  /// quantize_row_q2_K_ref for one super-block.
  static func quantizeBlock(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 16) { codes in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * 3) { f in
        let L = codes.baseAddress!, aux = L + 256
        let weights = f.baseAddress!, scales = weights + 16, mins = weights + 32
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<16 {
          for l in 0..<16 { weights[l] = abs(x[16 * j + l]) }
          let r = KQuantizer.makeQkx2(16, 3, x + 16 * j, weights, L + 16 * j, aux, rmin: -0.5, rdelta: 0.1, nstep: 15, useMad: true)
          scales[j] = r.scale
          mins[j] = r.min
          if r.scale > maxScale { maxScale = r.scale }
          if r.min > maxMin { maxMin = r.min }
        }
        let q4scale: Float = 15
        if maxScale > 0 {
          let iscale = q4scale / maxScale
          for j in 0..<16 {
            y.storeBytes(of: UInt8(truncatingIfNeeded: nearestInt(iscale * scales[j])), toByteOffset: KLayout.q2Scales + j, as: UInt8.self)
          }
          y.storeBytes(of: Half.fromFloat(maxScale / q4scale), toByteOffset: KLayout.q2D, as: UInt16.self)
        } else {
          for j in 0..<16 { y.storeBytes(of: 0, toByteOffset: KLayout.q2Scales + j, as: UInt8.self) }
          y.storeBytes(of: Half.fromFloat(0), toByteOffset: KLayout.q2D, as: UInt16.self)
        }
        if maxMin > 0 {
          let iscale = q4scale / maxMin
          for j in 0..<16 {
            let old = y.load(fromByteOffset: KLayout.q2Scales + j, as: UInt8.self)
            let l = UInt8(truncatingIfNeeded: nearestInt(iscale * mins[j]) &<< 4)
            y.storeBytes(of: old | l, toByteOffset: KLayout.q2Scales + j, as: UInt8.self)
          }
          y.storeBytes(of: Half.fromFloat(maxMin / q4scale), toByteOffset: KLayout.q2DMin, as: UInt16.self)
        } else {
          y.storeBytes(of: Half.fromFloat(0), toByteOffset: KLayout.q2DMin, as: UInt16.self)
        }
        let dAll = loadHalf(y, KLayout.q2D), dMin = loadHalf(y, KLayout.q2DMin)
        for j in 0..<16 {
          let sc = y.load(fromByteOffset: KLayout.q2Scales + j, as: UInt8.self)
          let d = dAll * Float(sc & 0xF)
          if d == 0 { continue }
          let dm = dMin * Float(sc >> 4)
          for ii in 0..<16 {
            L[16 * j + ii] = UInt8(truncatingIfNeeded: clampCode(nearestInt((x[16 * j + ii] + dm) / d), 0, 3))
          }
        }
        KQuantizer.pack2(L, y + KLayout.q2Qs)
      }
    }
  }
}
