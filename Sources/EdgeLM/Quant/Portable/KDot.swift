// Fused dot products of K-quant weight rows with q8_K activations (ggml's
// ggml_vec_dot_q{2..6}_K_q8_K): per super-block an exact integer sum of
// sub-block scale * code * activation code, scaled once by d_x * d_y; mins
// (q2_K, q4_K, q5_K) and code offsets (q3_K: 4, q6_K: 32) go through the
// activation's bsums, once per super-block.
//
// The integer part uses the same lane-wise 16-bit arithmetic as the q8_0
// kernel (DotQuantized.swift). Every K type yields the codes of a 32-element
// chunk as 16 words with two unsigned codes each, c = c0 + 256 c1 (elements
// 2j and 2j+1; see Types/KQuants.swift). With α = a(2j), β = a(2j+1) the
// prepared activation holds α and β - 256α, and
//   c0 α + c1 β = c α + (c >> 8)(β - 256α)   (mod 2^16)
// is exact because |c0 α + c1 β| <= 2 * 63 * 128. Adjacent lanes are then
// summed into Int32 (`pairSumNarrow`, exact while 4 * 63 * 128 < 2^15), so
// each Int32 lane covers 4 elements: lanes 0-3 and 4-7 of a chunk are its
// two 16-element sub-blocks. They are multiplied by the sub-block scales in
// Int32 and summed over the super-block; |sum| <= 256 * 63 * 128 * 128
// fits easily.

/// Scratch layout for K-quant weights: per super-block `stride` bytes: 8
/// chunks of two SIMD16<Int16> (α and β - 256α, see above), then the 16
/// bsums as SIMD16<Int32>, then the 8 sums of adjacent bsums (one per
/// 32-element sub-block) as SIMD8<Int32>. After all super-blocks, one Float
/// d_y per super-block.
enum KPrepared {
  static let chunkStride = 64
  static let bsums = 512
  static let bsumPairs = 576
  static let stride = 608
  static func scalesOffset(blocks: Int) -> Int { stride * blocks }
  static func bytes(blocks: Int) -> Int { (stride + 4) * blocks }
  static let maxBlocks = scratchBytes / (stride + 4)
}

enum KDot {
  // MARK: - Preparation (once per call)

  /// Fills the `KPrepared` layout for `blocks` q8_K activation blocks.
  @inline(never)
  static func prepare(_ act: UnsafeRawPointer, blocks: Int, into scratch: UnsafeMutableRawPointer) {
    let scales = scratch + KPrepared.scalesOffset(blocks: blocks)
    for b in 0..<blocks {
      let y = act + b &* KLayout.q8Bytes
      let base = scratch + KPrepared.stride &* b
      for c in 0..<8 {
        let w = y.loadUnaligned(fromByteOffset: KLayout.q8Qs &+ 32 &* c, as: SIMD16<Int16>.self)
        let even = (w &<< 8) &>> 8, odd = w &>> 8
        base.storeBytes(of: even, toByteOffset: KPrepared.chunkStride &* c, as: SIMD16<Int16>.self)
        base.storeBytes(of: odd &- (even &<< 8), toByteOffset: KPrepared.chunkStride &* c &+ 32, as: SIMD16<Int16>.self)
      }
      let sums = y.loadUnaligned(fromByteOffset: KLayout.q8BSums, as: SIMD16<Int16>.self)
      var wide = SIMD16<Int32>()
      for i in 0..<16 { wide[i] = Int32(sums[i]) }
      var pairs = SIMD8<Int32>()
      for i in 0..<8 { pairs[i] = wide[2 &* i] &+ wide[2 &* i &+ 1] }
      base.storeBytes(of: wide, toByteOffset: KPrepared.bsums, as: SIMD16<Int32>.self)
      base.storeBytes(of: pairs, toByteOffset: KPrepared.bsumPairs, as: SIMD8<Int32>.self)
      scales.storeBytes(of: y.loadUnaligned(as: Float.self), toByteOffset: 4 &* b, as: Float.self)
    }
  }

  // MARK: - Building blocks

  /// Sum of code * activation over one chunk, as 8 Int32 lanes of 4
  /// elements each (lanes 0-3: elements 0-15, lanes 4-7: elements 16-31).
  @inline(__always)
  static func chunk(_ codes: SIMD16<UInt16>, _ a: UnsafeRawPointer) -> SIMD8<Int32> {
    var t = codes &* a.loadUnaligned(as: SIMD16<UInt16>.self)
    t &+= (codes &>> 8) &* a.loadUnaligned(fromByteOffset: 32, as: SIMD16<UInt16>.self)
    return pairSumNarrow(t)
  }

  /// [s[2k] x 4, s[2k+1] x 4]: the scales of the two 16-element sub-blocks
  /// of chunk k of a half super-block (s holds that half's 8 scales). With
  /// k a constant this is one shuffle (vpermd / tbl); callers write their
  /// chunk loops out so that it is.
  @inline(__always)
  static func pairScales(_ s: SIMD8<Int32>, _ k: Int) -> SIMD8<Int32> {
    let a = s[2 &* k], b = s[2 &* k &+ 1]
    return SIMD8<Int32>(a, a, a, a, b, b, b, b)
  }

  @inline(__always)
  static func fold(_ v: SIMD16<Int32>) -> SIMD8<Int32> { v.lowHalf &+ v.highHalf }

  // MARK: - Kernels (once per row)

  /// One row segment of `blocks` q4_K (`high` false) or q5_K super-blocks.
  @inline(__always)
  static func rowQ45(_ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, blocks: Int, high: Bool) -> Float {
    let dys = prep + KPrepared.scalesOffset(blocks: blocks)
    let blockBytes = high ? KLayout.q5Bytes : KLayout.q4Bytes
    let qsOffset = high ? KLayout.q5Qs : KLayout.q4Qs
    var acc = SIMD8<Float>()
    for b in 0..<blocks {
      let x = w + b &* blockBytes
      let a = prep + KPrepared.stride &* b
      let (scaleBytes, minBytes) = kScalesMins(x + KLayout.q4Scales)
      let sc = widenBytes(unsafeBitCast(scaleBytes, to: SIMD8<UInt8>.self))
      let mn = widenBytes(unsafeBitCast(minBytes, to: SIMD8<UInt8>.self))
      let qh: SIMD16<UInt16> = high ? x.loadUnaligned(fromByteOffset: KLayout.q5Qh, as: SIMD16<UInt16>.self) : .zero
      var isum = SIMD8<Int32>()
      for g in 0..<4 {
        let q = x.loadUnaligned(fromByteOffset: qsOffset &+ 32 &* g, as: SIMD16<UInt16>.self)
        var lo = q & 0x0F0F, hi = (q &>> 4) & 0x0F0F
        if high {
          lo |= ((qh &>> UInt16(2 &* g)) & 0x0101) &<< 4
          hi |= ((qh &>> UInt16(2 &* g &+ 1)) & 0x0101) &<< 4
        }
        isum &+= chunk(lo, a + 128 &* g) &* SIMD8(repeating: sc[2 &* g])
        isum &+= chunk(hi, a + (128 &* g &+ 64)) &* SIMD8(repeating: sc[2 &* g &+ 1])
      }
      let imin = mn &* a.loadUnaligned(fromByteOffset: KPrepared.bsumPairs, as: SIMD8<Int32>.self)
      let dm = halfToFloat(SIMD4<UInt16>(x.loadUnaligned(as: UInt16.self), x.loadUnaligned(fromByteOffset: 2, as: UInt16.self), 0, 0))
      let dy = dys.loadUnaligned(fromByteOffset: 4 &* b, as: Float.self)
      acc = acc.addingProduct(intToFloat(isum), SIMD8(repeating: dm[0] * dy))
      acc = acc.addingProduct(intToFloat(imin), SIMD8(repeating: -(dm[1] * dy)))
    }
    return reduce(acc)
  }

  /// One row segment of `blocks` q6_K super-blocks.
  @inline(__always)
  static func rowQ6(_ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, blocks: Int) -> Float {
    let dys = prep + KPrepared.scalesOffset(blocks: blocks)
    var acc = SIMD8<Float>()
    for b in 0..<blocks {
      let x = w + b &* KLayout.q6Bytes
      let a = prep + KPrepared.stride &* b
      let sc = widenSigned(x.loadUnaligned(fromByteOffset: KLayout.q6Scales, as: SIMD16<Int8>.self))
      var isum = SIMD8<Int32>()
      // Written out for h = 0, 1 so that every scale pattern is a shuffle
      // with constant lanes (vpermd), not a lane extraction.
      @inline(__always)
      func half(_ h: Int, _ s: SIMD8<Int32>) {
        let l0 = x.loadUnaligned(fromByteOffset: KLayout.q6Ql &+ 64 &* h, as: SIMD16<UInt16>.self)
        let l1 = x.loadUnaligned(fromByteOffset: KLayout.q6Ql &+ 64 &* h &+ 32, as: SIMD16<UInt16>.self)
        let qh = x.loadUnaligned(fromByteOffset: KLayout.q6Qh &+ 32 &* h, as: SIMD16<UInt16>.self)
        let c0 = (l0 & 0x0F0F) | ((qh &<< 4) & 0x3030)
        let c1 = (l1 & 0x0F0F) | ((qh &<< 2) & 0x3030)
        let c2 = ((l0 &>> 4) & 0x0F0F) | (qh & 0x3030)
        let c3 = ((l1 &>> 4) & 0x0F0F) | ((qh &>> 2) & 0x3030)
        let ah = a + 256 &* h
        isum &+= chunk(c0, ah) &* pairScales(s, 0)
        isum &+= chunk(c1, ah + 64) &* pairScales(s, 1)
        isum &+= chunk(c2, ah + 128) &* pairScales(s, 2)
        isum &+= chunk(c3, ah + 192) &* pairScales(s, 3)
      }
      half(0, sc.lowHalf)
      half(1, sc.highHalf)
      // Codes are value + 32: subtract 32 * sum over sub-blocks of sc * bsum.
      let offset = fold(sc &* a.loadUnaligned(fromByteOffset: KPrepared.bsums, as: SIMD16<Int32>.self))
      isum &-= offset &<< 5
      let d = Float(Float16(bitPattern: x.loadUnaligned(fromByteOffset: KLayout.q6D, as: UInt16.self)))
      let dy = dys.loadUnaligned(fromByteOffset: 4 &* b, as: Float.self)
      acc = acc.addingProduct(intToFloat(isum), SIMD8(repeating: d * dy))
    }
    return reduce(acc)
  }

  /// One row segment of `blocks` q2_K super-blocks.
  @inline(__always)
  static func rowQ2(_ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, blocks: Int) -> Float {
    let dys = prep + KPrepared.scalesOffset(blocks: blocks)
    var acc = SIMD8<Float>()
    for b in 0..<blocks {
      let x = w + b &* KLayout.q2Bytes
      let a = prep + KPrepared.stride &* b
      let packed = x.loadUnaligned(fromByteOffset: KLayout.q2Scales, as: SIMD16<UInt8>.self)
      let sc = widenBytes(packed & 0x0F), mn = widenBytes(packed &>> 4)
      var isum = SIMD8<Int32>()
      @inline(__always)
      func half(_ h: Int, _ s: SIMD8<Int32>) {
        let q = x.loadUnaligned(fromByteOffset: KLayout.q2Qs &+ 32 &* h, as: SIMD16<UInt16>.self)
        let ah = a + 256 &* h
        isum &+= chunk(q & 0x0303, ah) &* pairScales(s, 0)
        isum &+= chunk((q &>> 2) & 0x0303, ah + 64) &* pairScales(s, 1)
        isum &+= chunk((q &>> 4) & 0x0303, ah + 128) &* pairScales(s, 2)
        isum &+= chunk((q &>> 6) & 0x0303, ah + 192) &* pairScales(s, 3)
      }
      half(0, sc.lowHalf)
      half(1, sc.highHalf)
      let imin = fold(mn &* a.loadUnaligned(fromByteOffset: KPrepared.bsums, as: SIMD16<Int32>.self))
      let dm = halfToFloat(SIMD4<UInt16>(
        x.loadUnaligned(fromByteOffset: KLayout.q2D, as: UInt16.self), x.loadUnaligned(fromByteOffset: KLayout.q2DMin, as: UInt16.self), 0, 0))
      let dy = dys.loadUnaligned(fromByteOffset: 4 &* b, as: Float.self)
      acc = acc.addingProduct(intToFloat(isum), SIMD8(repeating: dm[0] * dy))
      acc = acc.addingProduct(intToFloat(imin), SIMD8(repeating: -(dm[1] * dy)))
    }
    return reduce(acc)
  }

  /// One row segment of `blocks` q3_K super-blocks.
  @inline(__always)
  static func rowQ3(_ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, blocks: Int) -> Float {
    let dys = prep + KPrepared.scalesOffset(blocks: blocks)
    var acc = SIMD8<Float>()
    for b in 0..<blocks {
      let x = w + b &* KLayout.q3Bytes
      let a = prep + KPrepared.stride &* b
      let sc = widenBytes(q3Scales(x + KLayout.q3Scales)) &- 32
      var isum = SIMD8<Int32>()
      let hm = x.loadUnaligned(fromByteOffset: KLayout.q3HMask, as: SIMD16<UInt16>.self)
      @inline(__always)
      func half(_ h: Int, _ s: SIMD8<Int32>) {
        let q = x.loadUnaligned(fromByteOffset: KLayout.q3Qs &+ 32 &* h, as: SIMD16<UInt16>.self)
        let m = hm &>> UInt16(4 &* h)  // bit j of each byte: chunk 4h + j
        let ah = a + 256 &* h
        isum &+= chunk((q & 0x0303) | ((m &<< 2) & 0x0404), ah) &* pairScales(s, 0)
        isum &+= chunk(((q &>> 2) & 0x0303) | ((m &<< 1) & 0x0404), ah + 64) &* pairScales(s, 1)
        isum &+= chunk(((q &>> 4) & 0x0303) | (m & 0x0404), ah + 128) &* pairScales(s, 2)
        isum &+= chunk(((q &>> 6) & 0x0303) | ((m &>> 1) & 0x0404), ah + 192) &* pairScales(s, 3)
      }
      half(0, sc.lowHalf)
      half(1, sc.highHalf)
      // Codes are value + 4.
      isum &-= fold(sc &* a.loadUnaligned(fromByteOffset: KPrepared.bsums, as: SIMD16<Int32>.self)) &<< 2
      let d = Float(Float16(bitPattern: x.loadUnaligned(fromByteOffset: KLayout.q3D, as: UInt16.self)))
      let dy = dys.loadUnaligned(fromByteOffset: 4 &* b, as: Float.self)
      acc = acc.addingProduct(intToFloat(isum), SIMD8(repeating: d * dy))
    }
    return reduce(acc)
  }
}

// MARK: - Multi-activation kernels (batches)

extension KDot {
  /// `rowQ45` for one weight row against `count` (2...4) prepared
  /// activations `prepStride` bytes apart: the scales, mins and codes of
  /// each super-block are decoded once and applied to every activation.
  /// Output k goes to `out[k * outStride]` and is bit-identical to
  /// `rowQ45(w, prep + k * prepStride, ...)` (exact integer sums, the same
  /// float operations in the same order).
  @inline(__always)
  static func rowQ45Multi(
    _ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, prepStride: Int, count: Int, blocks: Int, high: Bool,
    _ out: UnsafeMutablePointer<Float>, outStride: Int
  ) {
    let dyOffset = KPrepared.scalesOffset(blocks: blocks)
    let blockBytes = high ? KLayout.q5Bytes : KLayout.q4Bytes
    let qsOffset = high ? KLayout.q5Qs : KLayout.q4Qs
    let p0 = prep, p1 = prep + prepStride, p2 = prep + 2 &* prepStride, p3 = prep + 3 &* prepStride
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
    for b in 0..<blocks {
      let x = w + b &* blockBytes
      let ao = KPrepared.stride &* b
      let (scaleBytes, minBytes) = kScalesMins(x + KLayout.q4Scales)
      let sc = widenBytes(unsafeBitCast(scaleBytes, to: SIMD8<UInt8>.self))
      let mn = widenBytes(unsafeBitCast(minBytes, to: SIMD8<UInt8>.self))
      let qh: SIMD16<UInt16> = high ? x.loadUnaligned(fromByteOffset: KLayout.q5Qh, as: SIMD16<UInt16>.self) : .zero
      var i0 = SIMD8<Int32>(), i1 = SIMD8<Int32>(), i2 = SIMD8<Int32>(), i3 = SIMD8<Int32>()
      for g in 0..<4 {
        let q = x.loadUnaligned(fromByteOffset: qsOffset &+ 32 &* g, as: SIMD16<UInt16>.self)
        var lo = q & 0x0F0F, hi = (q &>> 4) & 0x0F0F
        if high {
          lo |= ((qh &>> UInt16(2 &* g)) & 0x0101) &<< 4
          hi |= ((qh &>> UInt16(2 &* g &+ 1)) & 0x0101) &<< 4
        }
        let sLo = SIMD8<Int32>(repeating: sc[2 &* g]), sHi = SIMD8<Int32>(repeating: sc[2 &* g &+ 1])
        let o = ao &+ 128 &* g
        i0 &+= chunk(lo, p0 + o) &* sLo
        i0 &+= chunk(hi, p0 + (o &+ 64)) &* sHi
        i1 &+= chunk(lo, p1 + o) &* sLo
        i1 &+= chunk(hi, p1 + (o &+ 64)) &* sHi
        if count >= 3 {
          i2 &+= chunk(lo, p2 + o) &* sLo
          i2 &+= chunk(hi, p2 + (o &+ 64)) &* sHi
        }
        if count == 4 {
          i3 &+= chunk(lo, p3 + o) &* sLo
          i3 &+= chunk(hi, p3 + (o &+ 64)) &* sHi
        }
      }
      let dm = halfToFloat(SIMD4<UInt16>(x.loadUnaligned(as: UInt16.self), x.loadUnaligned(fromByteOffset: 2, as: UInt16.self), 0, 0))
      @inline(__always)
      func finish(_ p: UnsafeRawPointer, _ isum: SIMD8<Int32>, _ acc: inout SIMD8<Float>) {
        let imin = mn &* p.loadUnaligned(fromByteOffset: ao &+ KPrepared.bsumPairs, as: SIMD8<Int32>.self)
        let dy = p.loadUnaligned(fromByteOffset: dyOffset &+ 4 &* b, as: Float.self)
        acc = acc.addingProduct(intToFloat(isum), SIMD8(repeating: dm[0] * dy))
        acc = acc.addingProduct(intToFloat(imin), SIMD8(repeating: -(dm[1] * dy)))
      }
      finish(p0, i0, &acc0)
      finish(p1, i1, &acc1)
      if count >= 3 {
        finish(p2, i2, &acc2)
      }
      if count == 4 {
        finish(p3, i3, &acc3)
      }
    }
    out[0] = reduce(acc0)
    out[outStride] = reduce(acc1)
    if count >= 3 {
      out[2 &* outStride] = reduce(acc2)
    }
    if count == 4 {
      out[3 &* outStride] = reduce(acc3)
    }
  }

  /// `rowQ6` for one weight row against `count` (2...4) prepared
  /// activations; bit-identical to `rowQ6` one activation at a time (see
  /// `rowQ45Multi`).
  @inline(__always)
  static func rowQ6Multi(
    _ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, prepStride: Int, count: Int, blocks: Int,
    _ out: UnsafeMutablePointer<Float>, outStride: Int
  ) {
    let dyOffset = KPrepared.scalesOffset(blocks: blocks)
    let p0 = prep, p1 = prep + prepStride, p2 = prep + 2 &* prepStride, p3 = prep + 3 &* prepStride
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
    for b in 0..<blocks {
      let x = w + b &* KLayout.q6Bytes
      let ao = KPrepared.stride &* b
      let sc = widenSigned(x.loadUnaligned(fromByteOffset: KLayout.q6Scales, as: SIMD16<Int8>.self))
      var i0 = SIMD8<Int32>(), i1 = SIMD8<Int32>(), i2 = SIMD8<Int32>(), i3 = SIMD8<Int32>()
      @inline(__always)
      func apply(_ codes: SIMD16<UInt16>, _ o: Int, _ s: SIMD8<Int32>) {
        i0 &+= chunk(codes, p0 + o) &* s
        i1 &+= chunk(codes, p1 + o) &* s
        if count >= 3 {
          i2 &+= chunk(codes, p2 + o) &* s
        }
        if count == 4 {
          i3 &+= chunk(codes, p3 + o) &* s
        }
      }
      @inline(__always)
      func half(_ h: Int, _ s: SIMD8<Int32>) {
        let l0 = x.loadUnaligned(fromByteOffset: KLayout.q6Ql &+ 64 &* h, as: SIMD16<UInt16>.self)
        let l1 = x.loadUnaligned(fromByteOffset: KLayout.q6Ql &+ 64 &* h &+ 32, as: SIMD16<UInt16>.self)
        let qh = x.loadUnaligned(fromByteOffset: KLayout.q6Qh &+ 32 &* h, as: SIMD16<UInt16>.self)
        let o = ao &+ 256 &* h
        apply((l0 & 0x0F0F) | ((qh &<< 4) & 0x3030), o, pairScales(s, 0))
        apply((l1 & 0x0F0F) | ((qh &<< 2) & 0x3030), o &+ 64, pairScales(s, 1))
        apply(((l0 &>> 4) & 0x0F0F) | (qh & 0x3030), o &+ 128, pairScales(s, 2))
        apply(((l1 &>> 4) & 0x0F0F) | ((qh &>> 2) & 0x3030), o &+ 192, pairScales(s, 3))
      }
      half(0, sc.lowHalf)
      half(1, sc.highHalf)
      let d = Float(Float16(bitPattern: x.loadUnaligned(fromByteOffset: KLayout.q6D, as: UInt16.self)))
      @inline(__always)
      func finish(_ p: UnsafeRawPointer, _ isum: SIMD8<Int32>, _ acc: inout SIMD8<Float>) {
        let offset = fold(sc &* p.loadUnaligned(fromByteOffset: ao &+ KPrepared.bsums, as: SIMD16<Int32>.self))
        let dy = p.loadUnaligned(fromByteOffset: dyOffset &+ 4 &* b, as: Float.self)
        acc = acc.addingProduct(intToFloat(isum &- offset &<< 5), SIMD8(repeating: d * dy))
      }
      finish(p0, i0, &acc0)
      finish(p1, i1, &acc1)
      if count >= 3 {
        finish(p2, i2, &acc2)
      }
      if count == 4 {
        finish(p3, i3, &acc3)
      }
    }
    out[0] = reduce(acc0)
    out[outStride] = reduce(acc1)
    if count >= 3 {
      out[2 &* outStride] = reduce(acc2)
    }
    if count == 4 {
      out[3 &* outStride] = reduce(acc3)
    }
  }
}
