// SIMD dequantization of the K-quant types (ggml's dequantize_row_q{2..6}_K
// and dequantize_row_q8_K), one 32-element chunk at a time (see
// KBlockFormats.swift). Same arithmetic as `dequantizeReference`, lane by
// lane: d * sc and dmin * m are rounded once per sub-block, then each value
// is one rounded multiply and (q2_K, q4_K, q5_K) one rounded subtract, so
// the results are bit-identical.

extension QuantKernels {
  /// `dequantize` for q2_K...q8_K: `blocks` super-blocks at `src`.
  static func dequantizeK(_ type: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, blocks: Int) {
    switch type {
    case .q2_K: for b in 0..<blocks { KDequant.q2(src + b &* KLayout.q2Bytes, dst + 1024 &* b) }
    case .q3_K: for b in 0..<blocks { KDequant.q3(src + b &* KLayout.q3Bytes, dst + 1024 &* b) }
    case .q4_K: for b in 0..<blocks { KDequant.q45(.q4_K, src + b &* KLayout.q4Bytes, dst + 1024 &* b) }
    case .q5_K: for b in 0..<blocks { KDequant.q45(.q5_K, src + b &* KLayout.q5Bytes, dst + 1024 &* b) }
    case .q6_K: for b in 0..<blocks { KDequant.q6(src + b &* KLayout.q6Bytes, dst + 1024 &* b) }
    case .q8_K: for b in 0..<blocks { KDequant.q8(src + b &* KLayout.q8Bytes, dst + 1024 &* b) }
    default: break
    }
  }
}

enum KDequant {
  /// Codes of one chunk as four SIMD8<Float> (elements 0-7, 8-15, 16-23, 24-31).
  @inline(__always)
  static func chunkFloats(_ codes: SIMD16<UInt16>) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
    let bytes = unsafeBitCast(codes, to: SIMD32<UInt8>.self)
    var f0 = SIMD8<Float>(), f1 = SIMD8<Float>(), f2 = SIMD8<Float>(), f3 = SIMD8<Float>()
    for i in 0..<8 {
      f0[i] = Float(bytes[i])
      f1[i] = Float(bytes[i &+ 8])
      f2[i] = Float(bytes[i &+ 16])
      f3[i] = Float(bytes[i &+ 24])
    }
    return (f0, f1, f2, f3)
  }

  @inline(__always)
  static func store(_ y: UnsafeMutableRawPointer, _ c: Int, _ v: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)) {
    let o = 128 &* c
    y.storeBytes(of: v.0, toByteOffset: o, as: SIMD8<Float>.self)
    y.storeBytes(of: v.1, toByteOffset: o &+ 32, as: SIMD8<Float>.self)
    y.storeBytes(of: v.2, toByteOffset: o &+ 64, as: SIMD8<Float>.self)
    y.storeBytes(of: v.3, toByteOffset: o &+ 96, as: SIMD8<Float>.self)
  }

  static func q2(_ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) {
    let d = loadHalf(x, KLayout.q2D), dmin = loadHalf(x, KLayout.q2DMin)
    for c in 0..<8 {
      let s0 = x.load(fromByteOffset: KLayout.q2Scales &+ 2 &* c, as: UInt8.self)
      let s1 = x.load(fromByteOffset: KLayout.q2Scales &+ 2 &* c &+ 1, as: UInt8.self)
      let d0 = SIMD8<Float>(repeating: d * Float(s0 & 0xF)), m0 = SIMD8<Float>(repeating: dmin * Float(s0 &>> 4))
      let d1 = SIMD8<Float>(repeating: d * Float(s1 & 0xF)), m1 = SIMD8<Float>(repeating: dmin * Float(s1 &>> 4))
      let f = chunkFloats(kChunkCodes(.q2_K, x, c))
      store(y, c, (d0 * f.0 - m0, d0 * f.1 - m0, d1 * f.2 - m1, d1 * f.3 - m1))
    }
  }

  static func q3(_ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) {
    let d = loadHalf(x, KLayout.q3D)
    let scales = q3Scales(x + KLayout.q3Scales)
    let four = SIMD8<Float>(repeating: 4)
    for c in 0..<8 {
      let d0 = SIMD8<Float>(repeating: d * Float(Int32(scales[2 &* c]) &- 32))
      let d1 = SIMD8<Float>(repeating: d * Float(Int32(scales[2 &* c &+ 1]) &- 32))
      let f = chunkFloats(kChunkCodes(.q3_K, x, c))
      store(y, c, (d0 * (f.0 - four), d0 * (f.1 - four), d1 * (f.2 - four), d1 * (f.3 - four)))
    }
  }

  @inline(__always)
  static func q45(_ type: GGMLType, _ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) {
    let d = loadHalf(x, 0), dmin = loadHalf(x, KLayout.q4DMin)
    let (scales, mins) = kScalesMins(x + KLayout.q4Scales)
    for c in 0..<8 {
      let shift = UInt64(8 &* c)
      let dc = SIMD8<Float>(repeating: d * Float(UInt8(truncatingIfNeeded: scales &>> shift)))
      let mc = SIMD8<Float>(repeating: dmin * Float(UInt8(truncatingIfNeeded: mins &>> shift)))
      let f = chunkFloats(kChunkCodes(type, x, c))
      store(y, c, (dc * f.0 - mc, dc * f.1 - mc, dc * f.2 - mc, dc * f.3 - mc))
    }
  }

  static func q6(_ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) {
    let d = loadHalf(x, KLayout.q6D)
    let bias = SIMD8<Float>(repeating: 32)
    for c in 0..<8 {
      let s0 = x.load(fromByteOffset: KLayout.q6Scales &+ 2 &* c, as: Int8.self)
      let s1 = x.load(fromByteOffset: KLayout.q6Scales &+ 2 &* c &+ 1, as: Int8.self)
      let d0 = SIMD8<Float>(repeating: d * Float(s0)), d1 = SIMD8<Float>(repeating: d * Float(s1))
      let f = chunkFloats(kChunkCodes(.q6_K, x, c))
      store(y, c, (d0 * (f.0 - bias), d0 * (f.1 - bias), d1 * (f.2 - bias), d1 * (f.3 - bias)))
    }
  }

  static func q8(_ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) {
    let d = SIMD8<Float>(repeating: x.loadUnaligned(as: Float.self))
    for k in 0..<32 {
      let q = x.loadUnaligned(fromByteOffset: KLayout.q8Qs &+ 8 &* k, as: SIMD8<Int8>.self)
      var f = SIMD8<Float>()
      for i in 0..<8 { f[i] = Float(q[i]) }
      y.storeBytes(of: d * f, toByteOffset: 32 &* k, as: SIMD8<Float>.self)
    }
  }
}
