// Dot products of float weight rows (f32, f16, bf16) with float activations,
// accumulated in f32 (ggml's ggml_vec_dot_f32/f16/bf16 also accumulate f16
// and bf16 products in f32). f16 and bf16 activations are widened to f32
// once per dotRows call.
//
// Summation order, shared by the one- and the multi-activation kernels so
// that a batch gives bit for bit what one activation at a time gives: one
// chain per product over groups of 8 lanes, a tree reduction (`reduce`),
// then the < 8 trailing elements one by one. The kernels compute blocks of
// several rows x several activations at once, whose chains hide the FMA
// latency (see `block`).

import CEdgeSys

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

  /// The dot products of `rows` weight rows (`stride` bytes apart) with
  /// `count` f32 activations (`prepStride` bytes apart), `n` elements each:
  /// `out[c * outStride + r]` (+)= dot(row r, activation c). Every weight
  /// vector is loaded (and widened) once and applied to all `count`
  /// activations, every activation vector once for all `rows` rows, so a
  /// block of rows x count products needs rows + count loads per
  /// rows x count FMAs; with `rows * count` >= 8 the two FMA pipes, not the
  /// two load ports, set the pace. The `rows * count` accumulators, plus
  /// the `rows` weight vectors and one activation vector, must fit the
  /// vector registers: 12 of AVX2's 16, 24 of AVX-512's 32
  /// (`twoRowLimit`).
  ///
  /// Each product is one chain over groups of 8 lanes (so the result does
  /// not depend on `rows` or `count`: a batch gives bit for bit what one
  /// activation at a time gives), then a tree reduction, then the < 8
  /// trailing elements one by one. The chains of the block's products run
  /// side by side, which hides the FMA latency.
  @inline(__always)
  static func block(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ a: UnsafeRawPointer, prepStride: Int, count: Int, n: Int,
    kind: FloatKind, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    // acc[r * count + c]: row r x activation c.
    var acc = InlineArray<24, SIMD8<Float>>(repeating: .zero)
    var x = InlineArray<2, SIMD8<Float>>(repeating: .zero)
    // The next rows of the matrix are prefetched at the pace this block is
    // read: the hardware prefetchers follow rows read side by side poorly
    // (two f32 rows at a time without it: 0.875x of one row).
    let elementBytes = kind == .f32 ? 4 : 2
    let bytesPerStep = rows &* 8 &* elementBytes
    var ahead = w + rows &* stride
    var i = 0
    while i &+ 8 <= n {
      var b = 0
      repeat {
        edgelm_sys_prefetch(ahead + b)
        b &+= 64
      } while b < bytesPerStep
      ahead += bytesPerStep
      for r in 0..<rows { x[r] = weights8(w + r &* stride, i, kind) }
      for c in 0..<count {
        let v = (a + c &* prepStride).loadUnaligned(fromByteOffset: 4 &* i, as: SIMD8<Float>.self)
        for r in 0..<rows { acc[r &* count &+ c] = acc[r &* count &+ c].addingProduct(x[r], v) }
      }
      i &+= 8
    }
    for r in 0..<rows {
      let row = w + r &* stride
      for c in 0..<count {
        let act = a + c &* prepStride
        var sum = reduce(acc[r &* count &+ c])
        var j = i
        while j < n {
          sum += weight1(row, j, kind) * act.loadUnaligned(fromByteOffset: 4 &* j, as: Float.self)
          j &+= 1
        }
        let o = out + (c &* outStride &+ r)
        if accumulate { o.pointee += sum } else { o.pointee = sum }
      }
    }
  }

  /// The most activations a block of two rows takes: 2 x 12 accumulators
  /// need AVX-512's 32 vector registers (AVX512-VL lets 256-bit code use
  /// all of them); with 16 (AVX2) or NEON's 32 of 128 bits, 2 x 6.
  #if EDGELM_AVX512VNNI
  static let twoRowLimit = 12
  #else
  static let twoRowLimit = 6
  #endif

  /// `out[c * outStride + r]` (+)= dot(row r, activation c) for `rows` rows
  /// and `count` (1...12) activations, in blocks of one or two rows: f32
  /// rows one at a time, f16 and bf16 rows two at a time for up to
  /// `twoRowLimit` activations (one at a time above).
  ///
  /// Measured (SmolLM2, 2 threads, `edgelm bench -p B`, medians of 5
  /// alternating runs, Zen 4): f32 rows are bound by memory, which is read
  /// fastest as few streams: one row instead of two made prompts of 2, 3,
  /// 5 and 6 tokens take 18.6/18.7/23.4/22.5 ms instead of
  /// 23.3/23.1/26.7/27.6 (and 7-12 activations 1.03-1.12x slower as two
  /// rows). f16 rows need the second row's chains to widen and multiply at
  /// that pace: two rows for 2-6 activations 1.01-1.22x faster than one,
  /// and for 7, 9, 12 activations with AVX-512's registers 15.7/18.6/24.1
  /// -> 13.1/15.1/19.0 ms.
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ a: UnsafeRawPointer, prepStride: Int, count: Int, n: Int,
    kind: FloatKind, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    var r = 0
    if kind != .f32 && count <= twoRowLimit {
      while r &+ 2 <= rows {
        block(w + r &* stride, stride: stride, rows: 2, a, prepStride: prepStride, count: count, n: n, kind: kind,
              out + r, outStride: outStride, accumulate: accumulate)
        r &+= 2
      }
    }
    while r < rows {
      block(w + r &* stride, stride: stride, rows: 1, a, prepStride: prepStride, count: count, n: n, kind: kind,
            out + r, outStride: outStride, accumulate: accumulate)
      r &+= 1
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
