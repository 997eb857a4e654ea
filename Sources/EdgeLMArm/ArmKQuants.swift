// The Arm backend's K-quant kernels (q4_K, q5_K, q6_K weights, q8_K
// activations), built twice like ArmInt8.swift (see there).
//
// Four weight rows per call and one activation: per 256-element super-block
// and row, one int32x4 accumulator takes every sub-block's dot product
// (`dot2`/`dot1`) times the sub-block's scale; the four rows' accumulators
// are then pairwise-added into one vector [row0...row3], converted and
// scaled once. The minimum terms (q4_K, q5_K: dmin * m_j * sum of the
// activation over sub-block j) and q6_K's offset (codes are q - 32: minus 32
// * sc_s * sum over sub-block s) go through the activation's bsums, as
// ggml's kernels do. Batches run the same code once per activation (the
// rows' tile is in cache then), so they are bit-identical to one at a time.
//
// The prepared activation is the q8_K blocks themselves: d f32 at 0, the 256
// codes at 4, bsums int16[16] at 260 (292 bytes per block).

#if arch(arm64)
import _Builtin_intrinsics.arm.neon

enum KFormat {
  case q4_K, q5_K, q6_K

  @inline(__always) var blockBytes: Int {
    switch self {
    case .q4_K: return 144
    case .q5_K: return 176
    case .q6_K: return 210
    }
  }
  @inline(__always) var id: Int32 {
    switch self {
    case .q4_K: return 12
    case .q5_K: return 13
    case .q6_K: return 14
    }
  }
}

/// q8_K block offsets.
enum Q8K {
  static let bytes = 292, qs = 4, bsums = 260
}

/// acc + w . a over 16 int8 lanes, as four Int32 partial sums.
@inline(__always)
func dot1(_ w: int8x16_t, _ a: int8x16_t) -> int32x4_t {
  #if EDGELM_DOTPROD
  return vdotq_s32(vdupq_n_s32(0), w, a)
  #else
  return vpadalq_s16(vpaddlq_s16(vmull_s8(vget_low_s8(w), vget_low_s8(a))), vmull_high_s8(w, a))
  #endif
}

/// The 8 scales and 8 mins of a q4_K/q5_K super-block (ggml's
/// get_scale_min_k4 for j = 0..<8 via its utmp arithmetic), byte j = j.
@inline(__always)
func scalesAndMinsK4(_ p: UnsafeRawPointer) -> (scales: UInt64, mins: UInt64) {
  let kmask1: UInt32 = 0x3f3f_3f3f, kmask2: UInt32 = 0x0f0f_0f0f, kmask3: UInt32 = 0x0303_0303
  let u0 = p.loadUnaligned(as: UInt32.self)
  let u1 = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
  let u2 = p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
  let s0 = u0 & kmask1
  let s1 = (u2 & kmask2) | (((u0 >> 6) & kmask3) << 4)
  let m0 = u1 & kmask1
  let m1 = ((u2 >> 4) & kmask2) | (((u1 >> 6) & kmask3) << 4)
  return (UInt64(s0) | UInt64(s1) << 32, UInt64(m0) | UInt64(m1) << 32)
}

/// 8 bytes (unsigned) as two Int32x4: bytes 0..<4 and 4..<8.
@inline(__always)
func widen8(_ bytes: UInt64) -> (SIMD4<Int32>, SIMD4<Int32>) {
  let v = SIMD8<UInt8>(truncatingIfNeeded: SIMD8<UInt64>(repeating: bytes) &>> SIMD8<UInt64>(0, 8, 16, 24, 32, 40, 48, 56))
  let w = SIMD8<Int32>(truncatingIfNeeded: v)
  return (w.lowHalf, w.highHalf)
}

/// Σ_j m_j * (bsums[2j] + bsums[2j+1]) for a row's 8 mins (bytes of `mins`)
/// against the activation's sub-block sums `bsum32` (Int16 lanes j).
@inline(__always)
func minTerm(_ mins: UInt64, _ bsum32: int16x8_t) -> int32x4_t {
  let m = unsafeBitCast(vmovl_u8(unsafeBitCast(mins, to: uint8x8_t.self)), to: int16x8_t.self)
  return vmlal_high_s16(vmull_s16(vget_low_s16(m), vget_low_s16(bsum32)), m, bsum32)
}

/// [Σ lanes of a, of b, of c, of d].
@inline(__always)
func rowSums(_ a: int32x4_t, _ b: int32x4_t, _ c: int32x4_t, _ d: int32x4_t) -> int32x4_t {
  vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d))
}

/// q4_K/q5_K: four rows (`w0`...`w3`, which may repeat a row) times one
/// q8_K activation over `blocks` super-blocks: [row0...row3].
@inline(__always)
func fourRowsK45(
  _ f: KFormat, _ w0: UnsafeRawPointer, _ w1: UnsafeRawPointer, _ w2: UnsafeRawPointer, _ w3: UnsafeRawPointer,
  _ act: UnsafeRawPointer, blocks: Int
) -> SIMD4<Float> {
  let bytes = f.blockBytes
  let qsOffset = f == .q4_K ? 16 : 48
  let low4 = vdupq_n_u8(0x0F)
  var acc = SIMD4<Float>(), minAcc = SIMD4<Float>()
  var p0 = w0, p1 = w1, p2 = w2, p3 = w3, a = act
  for _ in 0..<blocks {
    let (d, dmin) = weightScales(.q4_1, p0, p1, p2, p3)  // (d, dmin) pairs lead the block, as q4_1's (d, m)
    let rowPointers = (p0, p1, p2, p3)

    // One row's integer sum over the super-block, and its minimum term.
    @inline(__always)
    func row(_ p: UnsafeRawPointer, _ bsum32: int16x8_t) -> (int32x4_t, int32x4_t) {
      let (scales, mins) = scalesAndMinsK4(p + 4)
      let (sc0, sc1) = widen8(scales)
      var sum = SIMD4<Int32>()
      // Fifth bits (q5_K): qh[l] bit c is element 32c + l's.
      let qh0 = f == .q5_K ? p.loadUnaligned(fromByteOffset: 16, as: uint8x16_t.self) : vdupq_n_u8(0)
      let qh1 = f == .q5_K ? p.loadUnaligned(fromByteOffset: 32, as: uint8x16_t.self) : vdupq_n_u8(0)
      for pair in 0..<4 {  // sub-blocks 2 * pair (low nibbles) and 2 * pair + 1 (high)
        let q = p + qsOffset + 32 &* pair
        let v0 = q.loadUnaligned(as: uint8x16_t.self), v1 = q.loadUnaligned(fromByteOffset: 16, as: uint8x16_t.self)
        var l0 = vandq_u8(v0, low4), l1 = vandq_u8(v1, low4)
        var h0 = v0 &>> 4, h1 = v1 &>> 4
        if f == .q5_K {
          let bitLow = vdupq_n_u8(UInt8(1) << (2 &* pair)), bitHigh = vdupq_n_u8(UInt8(2) << (2 &* pair))
          let sixteen = vdupq_n_u8(0x10)
          l0 = vorrq_u8(l0, vandq_u8(vtstq_u8(qh0, bitLow), sixteen))
          l1 = vorrq_u8(l1, vandq_u8(vtstq_u8(qh1, bitLow), sixteen))
          h0 = vorrq_u8(h0, vandq_u8(vtstq_u8(qh0, bitHigh), sixteen))
          h1 = vorrq_u8(h1, vandq_u8(vtstq_u8(qh1, bitHigh), sixteen))
        }
        let c = a + Q8K.qs + 64 &* pair
        let lo = dot2(unsafeBitCast(l0, to: int8x16_t.self), c.loadUnaligned(as: int8x16_t.self),
                      unsafeBitCast(l1, to: int8x16_t.self), c.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self))
        let hi = dot2(unsafeBitCast(h0, to: int8x16_t.self), c.loadUnaligned(fromByteOffset: 32, as: int8x16_t.self),
                      unsafeBitCast(h1, to: int8x16_t.self), c.loadUnaligned(fromByteOffset: 48, as: int8x16_t.self))
        let scLo = pair < 2 ? sc0[2 &* pair] : sc1[2 &* pair &- 4]
        let scHi = pair < 2 ? sc0[2 &* pair &+ 1] : sc1[2 &* pair &- 3]
        sum &+= lo &* scLo &+ hi &* scHi
      }
      return (sum, minTerm(mins, bsum32))
    }

    let bsums = a + Q8K.bsums
    let bsum32 = vpaddq_s16(bsums.loadUnaligned(as: int16x8_t.self), bsums.loadUnaligned(fromByteOffset: 16, as: int16x8_t.self))
    let (s0, m0) = row(rowPointers.0, bsum32)
    let (s1, m1) = row(rowPointers.1, bsum32)
    let (s2, m2) = row(rowPointers.2, bsum32)
    let (s3, m3) = row(rowPointers.3, bsum32)
    let da = a.loadUnaligned(as: Float.self)
    acc = acc.addingProduct(SIMD4<Float>(vcvtq_f32_s32(rowSums(s0, s1, s2, s3))), d * da)
    minAcc = minAcc.addingProduct(SIMD4<Float>(vcvtq_f32_s32(rowSums(m0, m1, m2, m3))), dmin * da)
    p0 += bytes
    p1 += bytes
    p2 += bytes
    p3 += bytes
    a += Q8K.bytes
  }
  return acc - minAcc
}

/// q6_K: four rows times one q8_K activation over `blocks` super-blocks.
@inline(__always)
func fourRowsQ6K(
  _ w0: UnsafeRawPointer, _ w1: UnsafeRawPointer, _ w2: UnsafeRawPointer, _ w3: UnsafeRawPointer,
  _ act: UnsafeRawPointer, blocks: Int
) -> SIMD4<Float> {
  let bytes = KFormat.q6_K.blockBytes
  var acc = SIMD4<Float>()
  var p0 = w0, p1 = w1, p2 = w2, p3 = w3, a = act
  let low4 = SIMD16<UInt8>(repeating: 0x0F), top2 = SIMD16<UInt8>(repeating: 0x30)
  for _ in 0..<blocks {
    let d = SIMD4<Float>(unsafeBitCast(SIMD4<UInt16>(
      p0.loadUnaligned(fromByteOffset: 208, as: UInt16.self), p1.loadUnaligned(fromByteOffset: 208, as: UInt16.self),
      p2.loadUnaligned(fromByteOffset: 208, as: UInt16.self), p3.loadUnaligned(fromByteOffset: 208, as: UInt16.self)),
      to: SIMD4<Float16>.self))
    let bsums = a + Q8K.bsums
    let b0 = bsums.loadUnaligned(as: int16x8_t.self), b1 = bsums.loadUnaligned(fromByteOffset: 16, as: int16x8_t.self)

    // One row: Σ_s sc_s * (Σ q * a over sub-block s) - 32 * Σ_s sc_s * bsum_s.
    @inline(__always)
    func row(_ p: UnsafeRawPointer) -> int32x4_t {
      let sc = p.loadUnaligned(fromByteOffset: 192, as: SIMD16<Int8>.self)
      // Sub-block s's scale, as one load (a vector of 16 widened scales
      // would not stay in registers).
      @inline(__always)
      func scale(_ s: Int) -> Int32 { Int32(p.load(fromByteOffset: 192 &+ s, as: Int8.self)) }
      var sum = SIMD4<Int32>()
      for h in 0..<2 {  // halves of 128 elements
        let ql = p + 64 &* h, qh = p + (128 &+ 32 &* h)
        let c = a + Q8K.qs + 128 &* h
        let l0 = ql.loadUnaligned(as: SIMD16<UInt8>.self), l1 = ql.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self)
        let l2 = ql.loadUnaligned(fromByteOffset: 32, as: SIMD16<UInt8>.self), l3 = ql.loadUnaligned(fromByteOffset: 48, as: SIMD16<UInt8>.self)
        let h0 = qh.loadUnaligned(as: SIMD16<UInt8>.self), h1 = qh.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self)
        // Chunk k (32 elements, sub-blocks 2k and 2k + 1 of this half):
        // low bits from l0/l1 (k = 0, 2) or l2/l3 (k = 1, 3), low nibble for
        // k < 2; bits 4-5 are (qh >> 2k) & 3.
        // Chunk k (32 elements, sub-blocks 2k and 2k + 1 of this half):
        // low bits from l0/l1 (k = 0, 2) or l2/l3 (k = 1, 3), low nibble for
        // k < 2; bits 4-5 are (qh >> 2k) & 3.
        @inline(__always)
        func chunk(_ k: Int) -> (SIMD16<UInt8>, SIMD16<UInt8>) {
          switch k {
          case 0: return ((l0 & low4) | ((h0 &<< 4) & top2), (l1 & low4) | ((h1 &<< 4) & top2))
          case 1: return ((l2 & low4) | ((h0 &<< 2) & top2), (l3 & low4) | ((h1 &<< 2) & top2))
          case 2: return ((l0 &>> 4) | (h0 & top2), (l1 &>> 4) | (h1 & top2))
          default: return ((l2 &>> 4) | ((h0 &>> 2) & top2), (l3 &>> 4) | ((h1 &>> 2) & top2))
          }
        }
        for k in 0..<4 {
          let (c0, c1) = chunk(k)
          let s = 8 &* h &+ 2 &* k  // sub-block of the first 16 elements
          let x0 = unsafeBitCast(c0, to: int8x16_t.self), x1 = unsafeBitCast(c1, to: int8x16_t.self)
          let e = c + 32 &* k
          sum &+= dot1(x0, e.loadUnaligned(as: int8x16_t.self)) &* scale(s)
          sum &+= dot1(x1, e.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self)) &* scale(s &+ 1)
        }
      }
      // The offset: 32 * Σ_s sc_s * bsum_s.
      let sc16 = vmovl_s8(vget_low_s8(sc)), sc16h = vmovl_high_s8(sc)
      let off = vmlal_high_s16(vmlal_s16(vmlal_high_s16(vmull_s16(vget_low_s16(sc16), vget_low_s16(b0)), sc16, b0),
                                         vget_low_s16(sc16h), vget_low_s16(b1)), sc16h, b1)
      return sum &- (off &<< 5)
    }

    let s = rowSums(row(p0), row(p1), row(p2), row(p3))
    acc = acc.addingProduct(SIMD4<Float>(vcvtq_f32_s32(s)), d * a.loadUnaligned(as: Float.self))
    p0 += bytes
    p1 += bytes
    p2 += bytes
    p3 += bytes
    a += Q8K.bytes
  }
  return acc
}

/// Every row times one activation, four rows at a time (the last 1...3 rows
/// through the same code, the last row repeated).
@inline(__always)
func rowLoopK(
  _ f: KFormat, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ act: UnsafeRawPointer, blocks: Int,
  _ out: UnsafeMutablePointer<Float>, accumulate: Bool
) {
  var r = 0
  while r < rows {
    let n = Swift.min(4, rows &- r), last = rows &- 1
    let w0 = w + r &* stride
    let w1 = w + Swift.min(r &+ 1, last) &* stride
    let w2 = w + Swift.min(r &+ 2, last) &* stride
    let w3 = w + Swift.min(r &+ 3, last) &* stride
    let v = f == .q6_K ? fourRowsQ6K(w0, w1, w2, w3, act, blocks: blocks) : fourRowsK45(f, w0, w1, w2, w3, act, blocks: blocks)
    let o = out + r
    for i in 0..<n {
      if accumulate { o[i] += v[i] } else { o[i] = v[i] }
    }
    r &+= 4
  }
}

extension ArmInt8 {
  @inline(never) static func rowsQ4_K(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    rowLoopK(.q4_K, w, stride, rows, p, blocks: n, out, accumulate: acc)
  }
  @inline(never) static func rowsQ5_K(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    rowLoopK(.q5_K, w, stride, rows, p, blocks: n, out, accumulate: acc)
  }
  @inline(never) static func rowsQ6_K(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    rowLoopK(.q6_K, w, stride, rows, p, blocks: n, out, accumulate: acc)
  }
}
#endif
