// q3_K: super-blocks of 256 3-bit codes (2 low bits in qs, the third in
// hmask) in 16 sub-blocks of 16 with 6-bit scales (layout in KQuants.swift):
// element value d * (sc_s - 32) * (q - 4). Weights; activations are q8_K.

enum Q3_K {
  /// The code (0...7, value + 4) of element e (0..<256) of the block at x.
  static func code(_ x: UnsafeRawPointer, _ e: Int) -> Int {
    func b(_ i: Int) -> Int { Int(x.load(fromByteOffset: i, as: UInt8.self)) }
    let c = e / 32, l = e % 32
    let low = (b(KLayout.q3Qs + 32 * (c / 4) + l) >> (2 * (c % 4))) & 3
    return low | ((b(KLayout.q3HMask + l) >> c) & 1) << 2
  }

  /// The 6-bit scale of sub-block s, minus 32, from the 12 scale bytes at q.
  @inline(__always)
  static func scale(_ s: Int, _ q: UnsafeRawPointer) -> Int {
    func b(_ i: Int) -> Int { Int(q.load(fromByteOffset: i, as: UInt8.self)) }
    let low = s < 8 ? b(s) & 0xF : b(s - 8) >> 4
    return (low | (((b(8 + s % 4) >> (2 * (s / 4))) & 3) << 4)) - 32
  }

  /// The 32 codes of chunk c (elements 32c..<32c+32, value + 4), one per
  /// byte in element order, as 16 little-endian words.
  @inline(__always)
  static func chunkCodes(_ x: UnsafeRawPointer, _ c: Int) -> SIMD16<UInt16> {
    let q = x.loadUnaligned(fromByteOffset: KLayout.q3Qs &+ 32 &* (c &>> 2), as: SIMD16<UInt16>.self)
    let hm = x.loadUnaligned(fromByteOffset: KLayout.q3HMask, as: SIMD16<UInt16>.self)
    return ((q &>> UInt16(2 &* (c & 3))) & 0x0303) | (((hm &>> UInt16(c)) & 0x0101) &<< 2)
  }

  /// SIMD dequantize_row_q3_K.
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    let out = UnsafeMutableRawPointer(dst)
    for b in 0..<blocks { dequantizeBlock(src + b &* KLayout.q3Bytes, out + 1024 &* b) }
  }

  static func dequantizeBlock(_ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) {
    let d = loadHalf(x, KLayout.q3D)
    let scales = q3Scales(x + KLayout.q3Scales)
    let four = SIMD8<Float>(repeating: 4)
    for c in 0..<8 {
      let d0 = SIMD8<Float>(repeating: d * Float(Int32(scales[2 &* c]) &- 32))
      let d1 = SIMD8<Float>(repeating: d * Float(Int32(scales[2 &* c &+ 1]) &- 32))
      let f = KDequant.chunkFloats(chunkCodes(x, c))
      KDequant.store(y, c, (d0 * (f.0 - four), d0 * (f.1 - four), d1 * (f.2 - four), d1 * (f.3 - four)))
    }
  }

  /// dequantize_row_q3_K.
  static func dequantizeReference(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
    for i in 0..<blocks {
      let x = src + i * KLayout.q3Bytes, out = y + 256 * i
      let d = loadHalf(x, KLayout.q3D)
      for e in 0..<256 {
        let dl = d * Float(scale(e / 16, x + KLayout.q3Scales))
        out[e] = dl * Float(code(x, e) - 4)
      }
    }
  }

  /// ggml_vec_dot_q3_K_q8_K_generic.
  static func dotReference(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ blocks: Int) -> Float {
    var sum: Float = 0
    for i in 0..<blocks {
      let x = weights + i * KLayout.q3Bytes, y = activation + i * KLayout.q8Bytes
      let d = loadHalf(x, KLayout.q3D)
      var sumi = 0
      for s in 0..<16 {
        var t = 0
        for e in 16 * s..<16 * s + 16 { t += (code(x, e) - 4) * Q8_K.code(y, e) }
        sumi += scale(s, x + KLayout.q3Scales) * t
      }
      sum += kBlockDot(d: d, dmin: 0, dy: Q8_K.scale(y), sumi: sumi, summ: 0)
    }
    return sum
  }

  /// quantize_row_q3_K_ref.
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    for b in 0..<blocks { quantizeBlock(src + 256 * b, dst + b * KLayout.q3Bytes) }
  }

  /// quantize_row_q3_K_ref for one super-block.
  static func quantizeBlock(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
    withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { codes in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { f in
        let L = codes.baseAddress!, scales = f.baseAddress!
        var maxScale: Float = 0, amax: Float = 0
        for j in 0..<16 {
          scales[j] = KQuantizer.makeQ3(16, 4, x + 16 * j, L + 16 * j)
          let scale = abs(scales[j])
          if scale > amax {
            amax = scale
            maxScale = scales[j]
          }
        }
        let sc = y + KLayout.q3Scales
        for j in 0..<12 { sc.storeBytes(of: 0, toByteOffset: j, as: UInt8.self) }
        func or(_ i: Int, _ v: UInt8) { sc.storeBytes(of: sc.load(fromByteOffset: i, as: UInt8.self) | v, toByteOffset: i, as: UInt8.self) }
        if maxScale != 0 {
          let iscale = -32 / maxScale
          for j in 0..<16 {
            var l = Int8(truncatingIfNeeded: nearestInt(iscale * scales[j]))
            l = Swift.max(-32, Swift.min(31, l)) + 32
            if j < 8 {
              sc.storeBytes(of: UInt8(bitPattern: l) & 0xF, toByteOffset: j, as: UInt8.self)
            } else {
              or(j - 8, (UInt8(bitPattern: l) & 0xF) &<< 4)
            }
            l >>= 4
            or(j % 4 + 8, UInt8(bitPattern: l) &<< UInt8(2 * (j / 4)))
          }
          y.storeBytes(of: Half.fromFloat(1 / iscale), toByteOffset: KLayout.q3D, as: UInt16.self)
        } else {
          y.storeBytes(of: Half.fromFloat(0), toByteOffset: KLayout.q3D, as: UInt16.self)
        }
        let dAll = loadHalf(y, KLayout.q3D)
        for j in 0..<16 {
          let d = dAll * Float(Q3_K.scale(j, sc))
          if d == 0 { continue }
          for ii in 0..<16 {
            L[16 * j + ii] = Int8(truncatingIfNeeded: clampCode(nearestInt(x[16 * j + ii] / d), -4, 3) + 4)
          }
        }
        for m in 0..<32 { y.storeBytes(of: 0, toByteOffset: KLayout.q3HMask + m, as: UInt8.self) }
        for j in 0..<256 where L[j] > 3 {
          let m = j % 32
          let old = y.load(fromByteOffset: KLayout.q3HMask + m, as: UInt8.self)
          y.storeBytes(of: old | UInt8(1) &<< UInt8(j / 32), toByteOffset: KLayout.q3HMask + m, as: UInt8.self)
          L[j] -= 4
        }
        L.withMemoryRebound(to: UInt8.self, capacity: 256) { KQuantizer.pack2($0, y + KLayout.q3Qs) }
      }
    }
  }
}
