// The float types: f32, f16 (IEEE binary16) and bf16 (bfloat16), one
// element per "block", little-endian, any alignment (the layout table is in
// Legacy32.swift).
//
// The reference dot products follow ggml-cpu/vec.c ggml_vec_dot_f32/f16/bf16:
// each product rounded to Float, the sum accumulated in Double (ggml_float).
// Conversions of single values are in Half.swift.

/// f32: 4-byte IEEE floats.
enum F32 {
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: 4 &* count)
  }

  static func dequantizeReference(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { dst[i] = src.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
  }

  static func dotReference(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ count: Int) -> Float {
    var sum = 0.0
    for i in 0..<count {
      let p = weights.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
        * activation.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
      sum += Double(p)
    }
    return Float(sum)
  }

  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
    for i in 0..<count { dst.storeBytes(of: src[i], toByteOffset: 4 * i, as: Float.self) }
  }
}

/// f16: IEEE binary16, converted as ggml does (Half.swift).
enum F16 {
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    FloatDot.widenActivation(src, count: count, bf16: false, into: UnsafeMutableRawPointer(dst))
  }

  static func dequantizeReference(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { dst[i] = loadHalf(src, 2 * i) }
  }

  static func dotReference(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ count: Int) -> Float {
    var sum = 0.0
    for i in 0..<count { sum += Double(loadHalf(weights, 2 * i) * loadHalf(activation, 2 * i)) }
    return Float(sum)
  }

  /// Round to nearest even (ggml's GGML_FP32_TO_FP16).
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
    for i in 0..<count { dst.storeBytes(of: Half.fromFloat(src[i]), toByteOffset: 2 * i, as: UInt16.self) }
  }
}

/// bf16: the top 16 bits of an f32.
enum BF16 {
  static func dequantize(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    FloatDot.widenActivation(src, count: count, bf16: true, into: UnsafeMutableRawPointer(dst))
  }

  static func dequantizeReference(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { dst[i] = Half.bf16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
  }

  static func dotReference(_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ count: Int) -> Float {
    var sum = 0.0
    for i in 0..<count {
      let w = Half.bf16ToFloat(weights.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
      let a = Half.bf16ToFloat(activation.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
      sum += Double(w * a)
    }
    return Float(sum)
  }

  /// Round to nearest even, NaNs made quiet (ggml's GGML_FP32_TO_BF16).
  static func quantizeReference(_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ count: Int) {
    for i in 0..<count { dst.storeBytes(of: Half.bf16FromFloat(src[i]), toByteOffset: 2 * i, as: UInt16.self) }
  }
}
