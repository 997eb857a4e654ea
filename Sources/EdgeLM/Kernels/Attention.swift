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
    let a = slot &+ prefetchDistance
    return a < capacity ? a : a % capacity
  }

  /// Requests the cache lines of the `count` Float16 values at `p`.
  @inline(__always)
  static func prefetchRow(_ p: UnsafePointer<Float16>, count: Int) {
    var b = 0
    repeat {
      edgelm_sys_prefetch(UnsafeRawPointer(p) + b)
      b &+= 64
    } while b < 2 &* count
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

  /// For each of `g` heads (a constant after inlining): `out[j * outStride
  /// + c] = sum over i of weights[j * weightStride + i] * value row i [c]`
  /// for columns c0 ..< c0 + 8 * width, the g x width (<= 8) vectors of the
  /// tile held in registers over all rows; each value vector is loaded and
  /// widened once for the g heads. `width` is a constant after inlining.
  /// The first `prefetchColumns` of the row `prefetchDistance` ahead are
  /// requested (the first tile asks for the whole row, the others nothing).
  @inline(__always)
  static func weightedValues(
    _ g: Int, _ values: UnsafePointer<Float16>, rowStride: Int, capacity: Int, firstSlot: Int, count: Int,
    weights: UnsafePointer<Float>, weightStride: Int, c0: Int, width: Int, out: UnsafeMutablePointer<Float>,
    outStride: Int, prefetchColumns: Int
  ) {
    var acc = InlineArray<8, SIMD8<Float>>(repeating: .zero)  // [head * width + vector]
    var slot = firstSlot
    var ahead = aheadSlot(firstSlot, capacity)
    for i in 0..<count {
      let v = values + (slot &* rowStride &+ c0)
      if prefetchColumns > 0 { prefetchRow(values + ahead &* rowStride, count: prefetchColumns) }
      for c in 0..<width {
        let x = load8(v + 8 &* c)
        for j in 0..<g {
          acc[j &* width &+ c] = acc[j &* width &+ c].addingProduct(SIMD8<Float>(repeating: weights[j &* weightStride &+ i]), x)
        }
      }
      slot &+= 1
      if slot == capacity { slot = 0 }
      ahead &+= 1
      if ahead == capacity { ahead = 0 }
    }
    for j in 0..<g {
      for c in 0..<width {
        UnsafeMutableRawPointer(out + (j &* outStride &+ c0 &+ 8 &* c)).storeBytes(of: acc[j &* width &+ c], as: SIMD8<Float>.self)
      }
    }
  }

  /// One query head against cached positions `first...last`: `heads` with
  /// one head.
  /// - Parameters:
  ///   - q: (headDim) query, already rotated.
  ///   - keys, values: slot 0 of this layer's cache for the KV head; position
  ///     p lives in slot `p % capacity`, at `keys + slot * rowStride`
  ///     (Float16, headDim each). `last - first < capacity`.
  ///   - scores: scratch of at least `last - first + 1` floats.
  ///   - out: (headDim) result.
  public static func head(
    q: UnsafePointer<Float>, keys: UnsafePointer<Float16>, values: UnsafePointer<Float16>,
    rowStride: Int, capacity: Int, first: Int, last: Int, headDim: Int, scale: Float,
    scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
  ) {
    heads(1, q: q, keys: keys, values: values, rowStride: rowStride, capacity: capacity, first: first, last: last,
          headDim: headDim, scale: scale, scores: scores, scoreStride: 0, out: out)
  }

  /// The most query heads `heads` takes at once.
  public static let maxHeads = 4

  /// `count` (1...maxHeads) query heads that share a KV head (grouped-query
  /// attention) against cached positions `first...last`: each key and value
  /// row is loaded and widened from Float16 once for all of them. Head j's
  /// query is `q + j * headDim` and its result `out + j * headDim`; each
  /// head's result is bit-identical to `head` alone (the same operations
  /// per head, in the same order).
  /// - Parameters:
  ///   - scores: scratch of `count` rows of at least `last - first + 1`
  ///     floats, `scoreStride` apart.
  ///   - Others as `head`.
  public static func heads(
    _ count: Int, q: UnsafePointer<Float>, keys: UnsafePointer<Float16>, values: UnsafePointer<Float16>,
    rowStride: Int, capacity: Int, first: Int, last: Int, headDim: Int, scale: Float,
    scores: UnsafeMutablePointer<Float>, scoreStride: Int, out: UnsafeMutablePointer<Float>
  ) {
    switch count {
    case 1: heads(One.self, q, keys, values, rowStride, capacity, first, last, headDim, scale, scores, scoreStride, out)
    case 2: heads(Two.self, q, keys, values, rowStride, capacity, first, last, headDim, scale, scores, scoreStride, out)
    case 3: heads(Three.self, q, keys, values, rowStride, capacity, first, last, headDim, scale, scores, scoreStride, out)
    default: heads(Four.self, q, keys, values, rowStride, capacity, first, last, headDim, scale, scores, scoreStride, out)
    }
  }

  /// One non-inlined copy per head count N (`heads<Three>`, ...), compiled
  /// with the count constant so the accumulators stay in registers.
  @inline(never)
  static func heads<N: GroupSize>(
    _: N.Type, _ q: UnsafePointer<Float>, _ keys: UnsafePointer<Float16>, _ values: UnsafePointer<Float16>,
    _ rowStride: Int, _ capacity: Int, _ first: Int, _ last: Int, _ headDim: Int, _ scale: Float,
    _ scores: UnsafeMutablePointer<Float>, _ scoreStride: Int, _ out: UnsafeMutablePointer<Float>
  ) {
    headGroup(N.count, q, keys, values, rowStride, capacity, first, last, headDim, scale, scores, scoreStride, out)
  }

  /// `heads` with `g` a constant after inlining (one copy per count).
  @inline(__always)
  static func headGroup(
    _ g: Int, _ q: UnsafePointer<Float>, _ keys: UnsafePointer<Float16>, _ values: UnsafePointer<Float16>,
    _ rowStride: Int, _ capacity: Int, _ first: Int, _ last: Int, _ headDim: Int, _ scale: Float,
    _ scores: UnsafeMutablePointer<Float>, _ scoreStride: Int, _ out: UnsafeMutablePointer<Float>
  ) {
    let count = last - first + 1
    let firstSlot = first % capacity
    // Scores, 2 keys at a time for the g queries (2g accumulators; an odd
    // last key is paired with itself and the second result dropped).
    var maxScore = SIMD4<Float>(repeating: -.infinity)
    var slot = firstSlot
    var i = 0
    while i < count {
      let pair = count - i >= 2
      let k0 = keys + slot &* rowStride
      prefetchRow(keys + aheadSlot(slot, capacity) &* rowStride, count: headDim)
      slot &+= 1
      if slot == capacity { slot = 0 }
      var k1 = k0
      if pair {
        k1 = keys + slot &* rowStride
        prefetchRow(keys + aheadSlot(slot, capacity) &* rowStride, count: headDim)
        slot &+= 1
        if slot == capacity { slot = 0 }
      }
      var acc = InlineArray<8, SIMD8<Float>>(repeating: .zero)  // [2 * head + key]
      var e = 0
      while e &+ 8 <= headDim {
        let kv0 = load8(k0 + e), kv1 = load8(k1 + e)
        for j in 0..<g {
          let qv = UnsafeRawPointer(q + (j &* headDim &+ e)).loadUnaligned(as: SIMD8<Float>.self)
          acc[2 &* j] = acc[2 &* j].addingProduct(qv, kv0)
          acc[2 &* j &+ 1] = acc[2 &* j &+ 1].addingProduct(qv, kv1)
        }
        e &+= 8
      }
      for j in 0..<g {
        let qj = q + j * headDim
        var s0 = reduce(acc[2 * j]), s1 = reduce(acc[2 * j + 1])
        var t = e
        while t < headDim {
          s0 += qj[t] * Float(k0[t])
          s1 += qj[t] * Float(k1[t])
          t += 1
        }
        s0 *= scale
        s1 *= scale
        let row = scores + j * scoreStride
        row[i] = s0
        if s0 > maxScore[j] { maxScore[j] = s0 }
        if pair {
          row[i + 1] = s1
          if s1 > maxScore[j] { maxScore[j] = s1 }
        }
      }
      i += pair ? 2 : 1
    }
    for j in 0..<g { softmax(scores + j * scoreStride, count: count, maxScore: maxScore[j]) }
    // Weighted sum of the values: tiles of 8 * width columns held in
    // registers for the g heads over all rows (width 8 for one head, fewer
    // for more so the accumulators fit), then single columns.
    let width = g == 1 ? 8 : (g == 2 ? 4 : 2)
    var c0 = 0
    while c0 + 8 * width <= headDim {
      weightedValues(g, values, rowStride: rowStride, capacity: capacity, firstSlot: firstSlot, count: count,
                     weights: scores, weightStride: scoreStride, c0: c0, width: width, out: out, outStride: headDim,
                     prefetchColumns: c0 == 0 ? headDim : 0)
      c0 += 8 * width
    }
    while c0 + 8 <= headDim {
      weightedValues(g, values, rowStride: rowStride, capacity: capacity, firstSlot: firstSlot, count: count,
                     weights: scores, weightStride: scoreStride, c0: c0, width: 1, out: out, outStride: headDim,
                     prefetchColumns: c0 == 0 ? headDim : 0)
      c0 += 8
    }
    while c0 < headDim {
      for j in 0..<g {
        let w = scores + j * scoreStride
        var o: Float = 0
        slot = firstSlot
        for i in 0..<count {
          o += w[i] * Float(values[slot * rowStride + c0])
          slot += 1
          if slot == capacity { slot = 0 }
        }
        out[j * headDim + c0] = o
      }
      c0 += 1
    }
  }

  /// Scores -> softmax weights in place, given their maximum.
  @inline(__always)
  static func softmax(_ scores: UnsafeMutablePointer<Float>, count: Int, maxScore: Float) {
    let m = SIMD8<Float>(repeating: maxScore)
    var sums = SIMD8<Float>()
    var i = 0
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
  }
}
