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
  /// two load ports, set the pace. `rows * count` <= 12 accumulators, plus
  /// the `rows` weight vectors and one activation vector, fit the 16 vector
  /// registers of AVX2.
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
    var acc = InlineArray<12, SIMD8<Float>>(repeating: .zero)
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

  /// `out[c * outStride + r]` (+)= dot(row r, activation c) for `rows` rows
  /// and `count` (1...12) activations, in blocks of one or two rows. Two
  /// rows (two chains per activation) for 1-6 activations, except one row
  /// for a single f32 activation, and one row (`count` chains) for 7-12.
  /// Measured (SmolLM2, 2 threads): a product of a few activations is
  /// bound by memory, which is read fastest as few streams (a single f32
  /// row 1.00x of the previous two-chain kernel, 0.97x as two rows and 0.95x
  /// as four); f16 rows need the two chains to widen and multiply at that
  /// pace (two rows 1.10x, one 1.02x).
  @inline(__always)
  static func rows(
    _ w: UnsafeRawPointer, stride: Int, rows: Int, _ a: UnsafeRawPointer, prepStride: Int, count: Int, n: Int,
    kind: FloatKind, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    var r = 0
    if count <= 6 && !(count == 1 && kind == .f32) {
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
