// Byte-multiply dot products of q4_K and q6_K weights with q8_K activations
// on x86 with AVX2 (the K-quant counterpart of DotInt8.swift; ggml's AVX2
// ggml_vec_dot_q4_K_q8_K and _q6_K_q8_K work the same way).
//
// Per 32-element chunk: `vpmaddubsw` of the unsigned codes (q4_K 0...15,
// q6_K 0...63) with the signed activation codes gives 16 Int16 sums of
// neighbouring products (|2 * 63 * 128| fits), and `vpmaddwd` with the
// sub-block scales as Int16 lanes gives 8 Int32 lanes, each a scaled sum of
// four products; the lanes are summed over the super-block in Int32 (at most
// 8 * 4 * 63 * 128 * 127 in magnitude, exact) and converted and scaled once
// per super-block by d_x * d_y. q4_K's minimums are m_j times the
// activation's sums over sub-block j (one `vpmaddwd` of [m0, m0, m1, m1, ...]
// with the 16 bsums); q6_K's code offset 32 likewise (scales times bsums,
// times 32). Every activation of a group goes through the same operations in
// the same order, so the group kernels are bit-identical to the single one.
//
// Built only with EDGELM_AVX2 (see DotInt8.swift).

#if EDGELM_AVX2
import _Builtin_intrinsics.intel

/// Scratch layout of a q8_K activation prepared for `KInt8Dot`, per
/// super-block `stride` bytes (32-byte aligned when the buffer is):
///   0: the 256 codes (Int8)
/// 256: the 16 bsums (Int16, each the sum of 16 codes)
/// 288: d_y (Float)
enum KInt8Layout {
  static let stride = 320
  static let bsums = 256
  static let d = 288
  static func bytes(blocks: Int) -> Int { stride &* blocks }
  static let maxBlocks = scratchBytes / stride
}

enum KInt8Dot {
  /// Fills the `KInt8Layout` for `blocks` q8_K activation blocks.
  @inline(never)
  static func prepare(_ act: UnsafeRawPointer, blocks: Int, into scratch: UnsafeMutableRawPointer) {
    for b in 0..<blocks {
      let y = act + b &* KLayout.q8Bytes
      let base = scratch + b &* KInt8Layout.stride
      for c in 0..<8 {
        base.storeBytes(
          of: y.loadUnaligned(fromByteOffset: KLayout.q8Qs &+ 32 &* c, as: SIMD32<Int8>.self),
          toByteOffset: 32 &* c, as: SIMD32<Int8>.self)
      }
      base.storeBytes(
        of: y.loadUnaligned(fromByteOffset: KLayout.q8BSums, as: SIMD16<Int16>.self),
        toByteOffset: KInt8Layout.bsums, as: SIMD16<Int16>.self)
      base.storeBytes(of: y.loadUnaligned(as: Float.self), toByteOffset: KInt8Layout.d, as: Float.self)
    }
  }

  /// Scaled sums of one 32-element chunk: 8 Int32 lanes.
  @inline(__always)
  static func chunk(_ codes: __m256i, _ a: UnsafeRawPointer, _ scales: __m256i) -> __m256i {
    _mm256_madd_epi16(_mm256_maddubs_epi16(codes, a.loadUnaligned(as: __m256i.self)), scales)
  }

  /// A vector of 16 bytes (b0, b1) repeated, for `_mm256_shuffle_epi8`.
  @inline(__always)
  static func pairMask(_ low: Int, _ high: Int) -> __m256i {
    let lo = Int8(truncatingIfNeeded: low), hi = Int8(truncatingIfNeeded: high)
    let l = _mm_set_epi8(lo &+ 1, lo, lo &+ 1, lo, lo &+ 1, lo, lo &+ 1, lo, lo &+ 1, lo, lo &+ 1, lo, lo &+ 1, lo, lo &+ 1, lo)
    let h = _mm_set_epi8(hi &+ 1, hi, hi &+ 1, hi, hi &+ 1, hi, hi &+ 1, hi, hi &+ 1, hi, hi &+ 1, hi, hi &+ 1, hi, hi &+ 1, hi)
    return _mm256_set_m128i(h, l)
  }

  // MARK: - q4_K

  /// One q4_K weight row of `blocks` super-blocks against `count` (1...4)
  /// prepared activations `prepStride` bytes apart; result k goes to
  /// `out[k * outStride]` (added with `accumulate`).
  @inline(__always)
  static func rowQ4(
    _ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, prepStride: Int, count: Int, blocks: Int,
    _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
    let low4 = _mm256_set1_epi8(0x0F)
    for b in 0..<blocks {
      let x = w + b &* KLayout.q4Bytes
      let a0 = prep + b &* KInt8Layout.stride
      let (scaleBytes, minBytes) = kScalesMins(x + KLayout.q4Scales)
      // The 8 scales as Int16 lanes, in both 128-bit halves; the minimums
      // each twice in a row, [m0, m0, m1, m1, ...] (Int16).
      let sc = _mm_cvtepu8_epi16(_mm_cvtsi64_si128(Int64(bitPattern: scaleBytes)))
      let scales = _mm256_set_m128i(sc, sc)
      let mb = _mm_cvtsi64_si128(Int64(bitPattern: minBytes))
      let mins = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mb, mb))
      var i0 = _mm256_setzero_si256(), i1 = _mm256_setzero_si256()
      var i2 = _mm256_setzero_si256(), i3 = _mm256_setzero_si256()
      // Sub-blocks 2j (low nibbles) and 2j+1 (high nibbles); written out
      // for each j so that the scale shuffles have constant masks.
      @inline(__always)
      func pair(_ j: Int) {
        let q = x.loadUnaligned(fromByteOffset: KLayout.q4Qs &+ 32 &* j, as: __m256i.self)
        let lo = _mm256_and_si256(q, low4)
        let hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4)
        let sl = _mm256_shuffle_epi8(scales, pairMask(4 &* j, 4 &* j))
        let sh = _mm256_shuffle_epi8(scales, pairMask(4 &* j &+ 2, 4 &* j &+ 2))
        @inline(__always)
        func apply(_ k: Int, _ isum: inout __m256i) {
          let a = a0 + (k &* prepStride &+ 64 &* j)
          isum = _mm256_add_epi32(isum, _mm256_add_epi32(chunk(lo, a, sl), chunk(hi, a + 32, sh)))
        }
        apply(0, &i0)
        if count >= 2 { apply(1, &i1) }
        if count >= 3 { apply(2, &i2) }
        if count == 4 { apply(3, &i3) }
      }
      pair(0)
      pair(1)
      pair(2)
      pair(3)
      let d = Float(Float16(bitPattern: x.loadUnaligned(as: UInt16.self)))
      let dmin = Float(Float16(bitPattern: x.loadUnaligned(fromByteOffset: KLayout.q4DMin, as: UInt16.self)))
      @inline(__always)
      func finish(_ k: Int, _ isum: __m256i, _ acc: inout SIMD8<Float>) {
        let a = a0 + k &* prepStride
        let imin = _mm256_madd_epi16(mins, a.loadUnaligned(fromByteOffset: KInt8Layout.bsums, as: __m256i.self))
        let dy = a.loadUnaligned(fromByteOffset: KInt8Layout.d, as: Float.self)
        acc = acc.addingProduct(intToFloat(unsafeBitCast(isum, to: SIMD8<Int32>.self)), SIMD8(repeating: d * dy))
        acc = acc.addingProduct(intToFloat(unsafeBitCast(imin, to: SIMD8<Int32>.self)), SIMD8(repeating: -(dmin * dy)))
      }
      finish(0, i0, &acc0)
      if count >= 2 { finish(1, i1, &acc1) }
      if count >= 3 { finish(2, i2, &acc2) }
      if count == 4 { finish(3, i3, &acc3) }
    }
    store(acc0, acc1, acc2, acc3, count: count, out, outStride: outStride, accumulate: accumulate)
  }

  // MARK: - q6_K

  /// `rowQ4` for q6_K weights.
  @inline(__always)
  static func rowQ6(
    _ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, prepStride: Int, count: Int, blocks: Int,
    _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
    let low4 = _mm256_set1_epi8(0x0F), bits45 = _mm256_set1_epi8(0x30)
    for b in 0..<blocks {
      let x = w + b &* KLayout.q6Bytes
      let a0 = prep + b &* KInt8Layout.stride
      // The 16 signed scales as Int16 lanes (sub-block s in lane s).
      let sc = _mm256_cvtepi8_epi16(x.loadUnaligned(fromByteOffset: KLayout.q6Scales, as: __m128i.self))
      var i0 = _mm256_setzero_si256(), i1 = _mm256_setzero_si256()
      var i2 = _mm256_setzero_si256(), i3 = _mm256_setzero_si256()
      for h in 0..<2 {
        // This half's 8 scales in both 128-bit halves.
        let half = _mm_cvtepi8_epi16(
          _mm_cvtsi64_si128(x.loadUnaligned(fromByteOffset: KLayout.q6Scales &+ 8 &* h, as: Int64.self)))
        let s = _mm256_set_m128i(half, half)
        let l0 = x.loadUnaligned(fromByteOffset: KLayout.q6Ql &+ 64 &* h, as: __m256i.self)
        let l1 = x.loadUnaligned(fromByteOffset: KLayout.q6Ql &+ 64 &* h &+ 32, as: __m256i.self)
        let qh = x.loadUnaligned(fromByteOffset: KLayout.q6Qh &+ 32 &* h, as: __m256i.self)
        // Chunk c of the half: elements 32c..<32c+32, sub-blocks 2c, 2c+1.
        let c0 = _mm256_or_si256(_mm256_and_si256(l0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45))
        let c1 = _mm256_or_si256(_mm256_and_si256(l1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45))
        let c2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4), _mm256_and_si256(qh, bits45))
        let c3 = _mm256_or_si256(
          _mm256_and_si256(_mm256_srli_epi16(l1, 4), low4), _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45))
        let s0 = _mm256_shuffle_epi8(s, pairMask(0, 2)), s1 = _mm256_shuffle_epi8(s, pairMask(4, 6))
        let s2 = _mm256_shuffle_epi8(s, pairMask(8, 10)), s3 = _mm256_shuffle_epi8(s, pairMask(12, 14))
        @inline(__always)
        func apply(_ k: Int, _ isum: inout __m256i) {
          let a = a0 + (k &* prepStride &+ 128 &* h)
          let t = _mm256_add_epi32(
            _mm256_add_epi32(chunk(c0, a, s0), chunk(c1, a + 32, s1)),
            _mm256_add_epi32(chunk(c2, a + 64, s2), chunk(c3, a + 96, s3)))
          isum = _mm256_add_epi32(isum, t)
        }
        apply(0, &i0)
        if count >= 2 { apply(1, &i1) }
        if count >= 3 { apply(2, &i2) }
        if count == 4 { apply(3, &i3) }
      }
      let d = Float(Float16(bitPattern: x.loadUnaligned(fromByteOffset: KLayout.q6D, as: UInt16.self)))
      @inline(__always)
      func finish(_ k: Int, _ isum: __m256i, _ acc: inout SIMD8<Float>) {
        let a = a0 + k &* prepStride
        // Codes are value + 32: subtract 32 * the scaled bsums.
        let offset = _mm256_madd_epi16(sc, a.loadUnaligned(fromByteOffset: KInt8Layout.bsums, as: __m256i.self))
        let total = _mm256_sub_epi32(isum, _mm256_slli_epi32(offset, 5))
        let dy = a.loadUnaligned(fromByteOffset: KInt8Layout.d, as: Float.self)
        acc = acc.addingProduct(intToFloat(unsafeBitCast(total, to: SIMD8<Int32>.self)), SIMD8(repeating: d * dy))
      }
      finish(0, i0, &acc0)
      if count >= 2 { finish(1, i1, &acc1) }
      if count >= 3 { finish(2, i2, &acc2) }
      if count == 4 { finish(3, i3, &acc3) }
    }
    store(acc0, acc1, acc2, acc3, count: count, out, outStride: outStride, accumulate: accumulate)
  }

  @inline(__always)
  static func store(
    _ acc0: SIMD8<Float>, _ acc1: SIMD8<Float>, _ acc2: SIMD8<Float>, _ acc3: SIMD8<Float>, count: Int,
    _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    @inline(__always)
    func put(_ k: Int, _ acc: SIMD8<Float>) {
      let v = reduce(acc)
      if accumulate { out[k &* outStride] += v } else { out[k &* outStride] = v }
    }
    put(0, acc0)
    if count >= 2 { put(1, acc1) }
    if count >= 3 { put(2, acc2) }
    if count == 4 { put(3, acc3) }
  }
}

#endif
