// Causal grouped-query attention over a KV cache stored in Float16 (as
// llama.cpp's default F16 cache). Scores, softmax and the weighted sum of
// values are computed in Float.

import CEdgeSys

public enum Attention {
  /// Dot product of a Float query with a Float16 key row.
  @inline(__always)
  static func dot(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float16>, _ n: Int) -> Float {
    var acc0 = SIMD8<Float>(repeating: 0)
    var acc1 = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 16 <= n {
      let q0 = UnsafeRawPointer(q + i).loadUnaligned(as: SIMD8<Float>.self)
      let q1 = UnsafeRawPointer(q + i + 8).loadUnaligned(as: SIMD8<Float>.self)
      let k0 = SIMD8<Float>(UnsafeRawPointer(k + i).loadUnaligned(as: SIMD8<Float16>.self))
      let k1 = SIMD8<Float>(UnsafeRawPointer(k + i + 8).loadUnaligned(as: SIMD8<Float16>.self))
      acc0.addProduct(q0, k0)
      acc1.addProduct(q1, k1)
      i += 16
    }
    var s = (acc0 + acc1).sum()
    while i < n { s += q[i] * Float(k[i]); i += 1 }
    return s
  }

  /// `out += a * v` for a Float16 value row.
  @inline(__always)
  static func accumulate(_ out: UnsafeMutablePointer<Float>, _ v: UnsafePointer<Float16>, _ a: Float, _ n: Int) {
    var i = 0
    let av = SIMD8<Float>(repeating: a)
    while i + 8 <= n {
      var o = UnsafeRawPointer(out + i).loadUnaligned(as: SIMD8<Float>.self)
      let x = SIMD8<Float>(UnsafeRawPointer(v + i).loadUnaligned(as: SIMD8<Float16>.self))
      o.addProduct(av, x)
      UnsafeMutableRawPointer(out + i).storeBytes(of: o, as: SIMD8<Float>.self)
      i += 8
    }
    while i < n { out[i] += a * Float(v[i]); i += 1 }
  }

  /// One query head against cached positions `first...last`.
  /// - Parameters:
  ///   - q: (headDim) query, already rotated.
  ///   - keys, values: slot 0 of this layer's cache for the KV head; position
  ///     p lives in slot `p % capacity`, at `keys + slot * rowStride`
  ///     (Float16, headDim each). `last - first < capacity`.
  ///   - scores: scratch of at least `last - first + 1` floats.
  ///   - out: (headDim) result.
  @inline(__always)
  public static func head(
    q: UnsafePointer<Float>, keys: UnsafePointer<Float16>, values: UnsafePointer<Float16>,
    rowStride: Int, capacity: Int, first: Int, last: Int, headDim: Int, scale: Float,
    scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
  ) {
    let count = last - first + 1
    let firstSlot = first % capacity
    var maxScore = -Float.infinity
    var slot = firstSlot
    for i in 0..<count {
      let s = dot(q, keys + slot * rowStride, headDim) * scale
      scores[i] = s
      if s > maxScore { maxScore = s }
      slot += 1
      if slot == capacity { slot = 0 }
    }
    var sum: Float = 0
    for i in 0..<count {
      let e = expf(scores[i] - maxScore)
      scores[i] = e
      sum += e
    }
    let inv = 1 / sum
    for i in 0..<headDim { out[i] = 0 }
    slot = firstSlot
    for i in 0..<count {
      accumulate(out, values + slot * rowStride, scores[i] * inv, headDim)
      slot += 1
      if slot == capacity { slot = 0 }
    }
  }
}
