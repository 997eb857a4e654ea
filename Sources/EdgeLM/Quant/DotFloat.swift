// Dot products of float weight rows (f32, f16, bf16) with float activations,
// accumulated in f32 with four independent 8-lane FMA chains (ggml's
// ggml_vec_dot_f32/f16/bf16 also accumulate f16 and bf16 products in f32).
// f16 and bf16 activations are widened to f32 once per dotRows call.

enum FloatDot {
  /// dot(w[0..<n], a[0..<n]) for f32 weights; `a` is f32.
  @inline(__always)
  static func rowF32(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, count n: Int) -> Float {
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
    var i = 0
    while i &+ 32 <= n {
      let o = 4 &* i
      acc0 = acc0.addingProduct(w.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self), a.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      acc1 = acc1.addingProduct(w.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<Float>.self), a.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<Float>.self))
      acc2 = acc2.addingProduct(w.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD8<Float>.self), a.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD8<Float>.self))
      acc3 = acc3.addingProduct(w.loadUnaligned(fromByteOffset: o &+ 96, as: SIMD8<Float>.self), a.loadUnaligned(fromByteOffset: o &+ 96, as: SIMD8<Float>.self))
      i &+= 32
    }
    while i &+ 8 <= n {
      let o = 4 &* i
      acc0 = acc0.addingProduct(w.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self), a.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      i &+= 8
    }
    var sum = ((acc0 + acc1) + (acc2 + acc3)).sum()
    while i < n {
      sum += w.loadUnaligned(fromByteOffset: 4 &* i, as: Float.self) * a.loadUnaligned(fromByteOffset: 4 &* i, as: Float.self)
      i &+= 1
    }
    return sum
  }

  /// dot(w[0..<n], a[0..<n]) for f16 (`bf16` false) or bf16 weights; `a` is f32.
  @inline(__always)
  static func rowHalf(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, count n: Int, bf16: Bool) -> Float {
    @inline(__always) func widen(_ v: SIMD8<UInt16>) -> SIMD8<Float> { bf16 ? bf16ToFloat(v) : halfToFloat(v) }
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
    var i = 0
    while i &+ 32 <= n {
      let o = 2 &* i, f = 4 &* i
      acc0 = acc0.addingProduct(widen(w.loadUnaligned(fromByteOffset: o, as: SIMD8<UInt16>.self)), a.loadUnaligned(fromByteOffset: f, as: SIMD8<Float>.self))
      acc1 = acc1.addingProduct(widen(w.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD8<UInt16>.self)), a.loadUnaligned(fromByteOffset: f &+ 32, as: SIMD8<Float>.self))
      acc2 = acc2.addingProduct(widen(w.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD8<UInt16>.self)), a.loadUnaligned(fromByteOffset: f &+ 64, as: SIMD8<Float>.self))
      acc3 = acc3.addingProduct(widen(w.loadUnaligned(fromByteOffset: o &+ 48, as: SIMD8<UInt16>.self)), a.loadUnaligned(fromByteOffset: f &+ 96, as: SIMD8<Float>.self))
      i &+= 32
    }
    while i &+ 8 <= n {
      acc0 = acc0.addingProduct(widen(w.loadUnaligned(fromByteOffset: 2 &* i, as: SIMD8<UInt16>.self)), a.loadUnaligned(fromByteOffset: 4 &* i, as: SIMD8<Float>.self))
      i &+= 8
    }
    var sum = ((acc0 + acc1) + (acc2 + acc3)).sum()
    while i < n {
      let bits = w.loadUnaligned(fromByteOffset: 2 &* i, as: UInt16.self)
      let x = bf16 ? Half.bf16ToFloat(bits) : Float(Float16(bitPattern: bits))
      sum += x * a.loadUnaligned(fromByteOffset: 4 &* i, as: Float.self)
      i &+= 1
    }
    return sum
  }

  /// Widens `n` f16 or bf16 activation values to f32 in `dst`.
  static func widenActivation(_ src: UnsafeRawPointer, count n: Int, bf16: Bool, into dst: UnsafeMutableRawPointer) {
    var i = 0
    while i &+ 8 <= n {
      let v = src.loadUnaligned(fromByteOffset: 2 &* i, as: SIMD8<UInt16>.self)
      dst.storeBytes(of: bf16 ? bf16ToFloat(v) : halfToFloat(v), toByteOffset: 4 &* i, as: SIMD8<Float>.self)
      i &+= 8
    }
    while i < n {
      let bits = src.loadUnaligned(fromByteOffset: 2 &* i, as: UInt16.self)
      dst.storeBytes(of: bf16 ? Half.bf16ToFloat(bits) : Float(Float16(bitPattern: bits)), toByteOffset: 4 &* i, as: Float.self)
      i &+= 1
    }
  }
}
