// Dot products of float weight rows (f32, f16, bf16) with float activations,
// accumulated in f32 (ggml's ggml_vec_dot_f32/f16/bf16 also accumulate f16
// and bf16 products in f32). f16 and bf16 activations are widened to f32
// once per dotRows call.
//
// Summation order, shared by the one- and the multi-activation kernels so
// that a batch gives bit for bit what one activation at a time gives:
// elements in groups of 8 lanes; group g goes to chain g % 2 while two whole
// groups remain, a last whole group to chain 0; then the two chains are
// added and reduced as a tree (`reduce`), and the < 8 trailing elements are
// added one by one. Two chains hide the FMA latency well enough for decode
// (memory-bound), and keep a 4-activation kernel at 8 accumulators, which
// fits in 16 vector registers (AVX2; NEON has 32).

/// Which float format a weight row holds.
enum FloatKind {
  case f32, f16, bf16
}

enum FloatDot {
  /// Weight elements i..<i+8 of row `w` as f32.
  @inline(__always)
  static func weights8(_ w: UnsafeRawPointer, _ i: Int, _ kind: FloatKind) -> SIMD8<Float> {
    switch kind {
    case .f32: return w.loadUnaligned(fromByteOffset: 4 &* i, as: SIMD8<Float>.self)
    case .f16: return halfToFloat(w.loadUnaligned(fromByteOffset: 2 &* i, as: SIMD8<UInt16>.self))
    case .bf16: return bf16ToFloat(w.loadUnaligned(fromByteOffset: 2 &* i, as: SIMD8<UInt16>.self))
    }
  }

  /// Weight element i of row `w` as f32.
  @inline(__always)
  static func weight1(_ w: UnsafeRawPointer, _ i: Int, _ kind: FloatKind) -> Float {
    switch kind {
    case .f32: return w.loadUnaligned(fromByteOffset: 4 &* i, as: Float.self)
    case .f16: return Float(Float16(bitPattern: w.loadUnaligned(fromByteOffset: 2 &* i, as: UInt16.self)))
    case .bf16: return Half.bf16ToFloat(w.loadUnaligned(fromByteOffset: 2 &* i, as: UInt16.self))
    }
  }

  /// dot(w[0..<n], a[0..<n]) for a weight row of `kind`; `a` is f32.
  @inline(__always)
  static func row(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, count n: Int, kind: FloatKind) -> Float {
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
    var i = 0
    while i &+ 16 <= n {
      acc0 = acc0.addingProduct(weights8(w, i, kind), a.loadUnaligned(fromByteOffset: 4 &* i, as: SIMD8<Float>.self))
      acc1 = acc1.addingProduct(weights8(w, i &+ 8, kind), a.loadUnaligned(fromByteOffset: 4 &* i &+ 32, as: SIMD8<Float>.self))
      i &+= 16
    }
    if i &+ 8 <= n {
      acc0 = acc0.addingProduct(weights8(w, i, kind), a.loadUnaligned(fromByteOffset: 4 &* i, as: SIMD8<Float>.self))
      i &+= 8
    }
    var sum = reduce(acc0 + acc1)
    while i < n {
      sum += weight1(w, i, kind) * a.loadUnaligned(fromByteOffset: 4 &* i, as: Float.self)
      i &+= 1
    }
    return sum
  }

  /// `row` for one weight row against `count` (2...4) f32 activations
  /// `prepStride` bytes apart: each weight vector is loaded (and widened)
  /// once and applied to every activation. Output k goes to
  /// `out[k * outStride]` and is bit-identical to `row(w, a + k * prepStride, ...)`.
  @inline(__always)
  static func rowMulti(
    _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, prepStride: Int, count: Int, n: Int, kind: FloatKind,
    _ out: UnsafeMutablePointer<Float>, outStride: Int
  ) {
    let a1 = a + prepStride, a2 = a + 2 &* prepStride, a3 = a + 3 &* prepStride
    var p0 = SIMD8<Float>(), q0 = SIMD8<Float>(), p1 = SIMD8<Float>(), q1 = SIMD8<Float>()
    var p2 = SIMD8<Float>(), q2 = SIMD8<Float>(), p3 = SIMD8<Float>(), q3 = SIMD8<Float>()
    @inline(__always)
    func step(_ x: SIMD8<Float>, _ o: Int, _ acc0: inout SIMD8<Float>, _ acc1: inout SIMD8<Float>, _ acc2: inout SIMD8<Float>, _ acc3: inout SIMD8<Float>) {
      acc0 = acc0.addingProduct(x, a.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      acc1 = acc1.addingProduct(x, a1.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      if count >= 3 {
        acc2 = acc2.addingProduct(x, a2.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      }
      if count == 4 {
        acc3 = acc3.addingProduct(x, a3.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self))
      }
    }
    var i = 0
    while i &+ 16 <= n {
      step(weights8(w, i, kind), 4 &* i, &p0, &p1, &p2, &p3)
      step(weights8(w, i &+ 8, kind), 4 &* i &+ 32, &q0, &q1, &q2, &q3)
      i &+= 16
    }
    if i &+ 8 <= n {
      step(weights8(w, i, kind), 4 &* i, &p0, &p1, &p2, &p3)
      i &+= 8
    }
    var s0 = reduce(p0 + q0), s1 = reduce(p1 + q1), s2 = reduce(p2 + q2), s3 = reduce(p3 + q3)
    while i < n {
      let x = weight1(w, i, kind), o = 4 &* i
      s0 += x * a.loadUnaligned(fromByteOffset: o, as: Float.self)
      s1 += x * a1.loadUnaligned(fromByteOffset: o, as: Float.self)
      if count >= 3 {
        s2 += x * a2.loadUnaligned(fromByteOffset: o, as: Float.self)
      }
      if count == 4 {
        s3 += x * a3.loadUnaligned(fromByteOffset: o, as: Float.self)
      }
      i &+= 1
    }
    out[0] = s0
    out[outStride] = s1
    if count >= 3 {
      out[2 &* outStride] = s2
    }
    if count == 4 {
      out[3 &* outStride] = s3
    }
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
