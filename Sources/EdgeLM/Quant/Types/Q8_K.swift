// q8_K: super-blocks of 256 int8 codes with an f32 scale and the sums of
// each 16 codes (layout in KQuants.swift): element value d * q. Activations
// only, for the K-quant weights, whose mins multiply the sums (bsums) in the
// dot product; llama.cpp's CPU backend quantizes them with the reference
// (quantize_row_q8_K = quantize_row_q8_K_ref on x86). No dot product of its
// own.

enum Q8_K {
  /// The scale d of the block at y.
  @inline(__always)
  static func scale(_ y: UnsafeRawPointer) -> Float { y.loadUnaligned(as: Float.self) }

  /// The code of element e (0..<256) of the block at y.
  @inline(__always)
  static func code(_ y: UnsafeRawPointer, _ e: Int) -> Int { Int(y.load(fromByteOffset: KLayout.q8Qs + e, as: Int8.self)) }

  /// The sum of the codes of elements 16s..<16s+16 of the block at y.
  @inline(__always)
  static func bsum(_ y: UnsafeRawPointer, _ s: Int) -> Int {
    Int(y.loadUnaligned(fromByteOffset: KLayout.q8BSums + 2 * s, as: Int16.self))
  }

  /// SIMD dequantize_row_q8_K.
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) {
    let out = UnsafeMutableRawPointer(dst)
    for b in 0..<blocks { dequantizeBlock(src + b &* KLayout.q8Bytes, out + 1024 &* b) }
  }

  static func dequantizeBlock(_ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) {
    let d = SIMD8<Float>(repeating: x.loadUnaligned(as: Float.self))
    for k in 0..<32 {
      let q = x.loadUnaligned(fromByteOffset: KLayout.q8Qs &+ 8 &* k, as: SIMD8<Int8>.self)
      var f = SIMD8<Float>()
      for i in 0..<8 { f[i] = Float(q[i]) }
      y.storeBytes(of: d * f, toByteOffset: 32 &* k, as: SIMD8<Float>.self)
    }
  }

  /// dequantize_row_q8_K.
  static func dequantizeReference(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
    for i in 0..<blocks {
      let x = src + i * KLayout.q8Bytes, out = y + 256 * i
      let d = x.loadUnaligned(as: Float.self)
      for e in 0..<256 { out[e] = d * Float(x.load(fromByteOffset: KLayout.q8Qs + e, as: Int8.self)) }
    }
  }

  /// quantize_row_q8_K_ref.
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) {
    for b in 0..<blocks { quantizeBlock(src + 256 * b, dst + b * KLayout.q8Bytes) }
  }

  /// quantize_row_q8_K_ref for one super-block: d = max / -127 where max is
  /// the value of largest magnitude, codes nearest_int(x * -127 / max)
  /// capped at 127, bsums of each 16 codes. An all-zero block gets d = 0,
  /// zero codes and zero sums.
  static func quantizeBlock(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
    let (maxValue, amax) = KQuantizer.signedMax(x, count: 256)
    guard amax != 0 else {
      y.initializeMemory(as: UInt8.self, repeating: 0, count: KLayout.q8Bytes)
      return
    }
    let iscale = -127 / maxValue
    for s in 0..<16 {
      var sum: Int32 = 0
      for j in 16 * s..<16 * s + 16 {
        let q = Int8(truncatingIfNeeded: Swift.min(127, nearestInt(iscale * x[j])))
        y.storeBytes(of: q, toByteOffset: KLayout.q8Qs + j, as: Int8.self)
        sum &+= Int32(q)
      }
      y.storeBytes(of: Int16(truncatingIfNeeded: sum), toByteOffset: KLayout.q8BSums + 2 * s, as: Int16.self)
    }
    y.storeBytes(of: 1 / iscale, as: Float.self)
  }
}
