// Causal grouped-query attention over a KV cache stored in Float16 (as
// llama.cpp's default F16 cache). Scores, softmax and the weighted sum of
// values are computed in Float.

import CEdgeSys

public enum Attention {
  /// 8 Float16 values at `p` as Float.
  @inline(__always)
  static func load8(_ p: UnsafePointer<Float16>) -> SIMD8<Float> {
    SIMD8<Float>(UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float16>.self))
  }

  /// Rows ahead of the one being read whose cache lines are requested: the
  /// rows of one KV head are `rowStride` apart, a pattern the hardware
  /// prefetchers follow late, and a long cache is read from L3 or memory.
  static let prefetchDistance = 8

  /// The slot `prefetchDistance` after `slot` in a ring of `capacity`.
  @inline(__always)
  static func aheadSlot(_ slot: Int, _ capacity: Int) -> Int {
    let a = slot + prefetchDistance
    return a < capacity ? a : a % capacity
  }

  /// Requests the cache lines of the `count` Float16 values at `p`.
  @inline(__always)
  static func prefetchRow(_ p: UnsafePointer<Float16>, count: Int) {
    var b = 0
    repeat {
      edgelm_sys_prefetch(UnsafeRawPointer(p) + b)
      b += 64
    } while b < 2 * count
  }

  /// Dot products of a Float query with the 4 Float16 key rows `k`, over
  /// `headDim` elements: one chain per key over groups of 8 lanes (each
  /// query vector loaded once for the 4), a tree reduction, then the < 8
  /// trailing elements.
  @inline(__always)
  static func dot4(
    _ q: UnsafePointer<Float>, _ k: InlineArray<4, UnsafePointer<Float16>>, _ headDim: Int
  ) -> SIMD4<Float> {
    var acc = InlineArray<4, SIMD8<Float>>(repeating: .zero)
    var i = 0
    while i + 8 <= headDim {
      let qv = UnsafeRawPointer(q + i).loadUnaligned(as: SIMD8<Float>.self)
      for j in 0..<4 { acc[j] = acc[j].addingProduct(qv, load8(k[j] + i)) }
      i += 8
    }
    var s = SIMD4<Float>(reduce(acc[0]), reduce(acc[1]), reduce(acc[2]), reduce(acc[3]))
    while i < headDim {
      for j in 0..<4 { s[j] += q[i] * Float(k[j][i]) }
      i += 1
    }
    return s
  }

  /// `out[c] = sum over i of weights[i] * value row i [c]` for columns
  /// c0 ..< c0 + 8 * width, the `width` (<= 8) vectors of the tile held in
  /// registers over all rows. `width` is a constant after inlining.
  @inline(__always)
  static func weightedValues(
    _ values: UnsafePointer<Float16>, rowStride: Int, capacity: Int, firstSlot: Int, count: Int,
    weights: UnsafePointer<Float>, c0: Int, width: Int, out: UnsafeMutablePointer<Float>
  ) {
    var acc = InlineArray<8, SIMD8<Float>>(repeating: .zero)
    var slot = firstSlot
    for i in 0..<count {
      let w = SIMD8<Float>(repeating: weights[i])
      let v = values + slot * rowStride + c0
      prefetchRow(values + aheadSlot(slot, capacity) * rowStride + c0, count: 8 * width)
      for c in 0..<width { acc[c] = acc[c].addingProduct(w, load8(v + 8 * c)) }
      slot += 1
      if slot == capacity { slot = 0 }
    }
    for c in 0..<width { UnsafeMutableRawPointer(out + c0 + 8 * c).storeBytes(of: acc[c], as: SIMD8<Float>.self) }
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
    // Scores, 4 keys at a time (past the last key, the first one again).
    var maxScore = -Float.infinity
    var slot = firstSlot
    var i = 0
    while i < count {
      var k = InlineArray<4, UnsafePointer<Float16>>(repeating: keys + firstSlot * rowStride)
      for j in 0..<Swift.min(4, count - i) {
        k[j] = keys + slot * rowStride
        prefetchRow(keys + aheadSlot(slot, capacity) * rowStride, count: headDim)
        slot += 1
        if slot == capacity { slot = 0 }
      }
      let s = dot4(q, k, headDim) * scale
      for j in 0..<Swift.min(4, count - i) {
        scores[i + j] = s[j]
        if s[j] > maxScore { maxScore = s[j] }
      }
      i += 4
    }
    // Softmax weights.
    let m = SIMD8<Float>(repeating: maxScore)
    var sums = SIMD8<Float>()
    i = 0
    while i + 8 <= count {
      let e = exp8(UnsafeRawPointer(scores + i).loadUnaligned(as: SIMD8<Float>.self) - m)
      UnsafeMutableRawPointer(scores + i).storeBytes(of: e, as: SIMD8<Float>.self)
      sums += e
      i += 8
    }
    var sum = reduce(sums)
    if i < count {
      let e = exp8(loadPartial(scores + i, count: count - i, fill: 0) - m)
      storePartial(e, scores + i, count: count - i)
      for j in 0..<(count - i) { sum += e[j] }
    }
    let inv = SIMD8<Float>(repeating: 1 / sum)
    i = 0
    while i + 8 <= count {
      let w = UnsafeRawPointer(scores + i).loadUnaligned(as: SIMD8<Float>.self) * inv
      UnsafeMutableRawPointer(scores + i).storeBytes(of: w, as: SIMD8<Float>.self)
      i += 8
    }
    while i < count { scores[i] *= inv[0]; i += 1 }
    // Weighted sum of the values: tiles of 64 columns, then of 8, then
    // single columns.
    var c0 = 0
    while c0 + 64 <= headDim {
      weightedValues(values, rowStride: rowStride, capacity: capacity, firstSlot: firstSlot, count: count,
                     weights: scores, c0: c0, width: 8, out: out)
      c0 += 64
    }
    while c0 + 8 <= headDim {
      weightedValues(values, rowStride: rowStride, capacity: capacity, firstSlot: firstSlot, count: count,
                     weights: scores, c0: c0, width: 1, out: out)
      c0 += 8
    }
    while c0 < headDim {
      var o: Float = 0
      slot = firstSlot
      for i in 0..<count {
        o += scores[i] * Float(values[slot * rowStride + c0])
        slot += 1
        if slot == capacity { slot = 0 }
      }
      out[c0] = o
      c0 += 1
    }
  }
}
