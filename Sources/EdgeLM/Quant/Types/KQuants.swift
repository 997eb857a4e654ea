// K-quant block layouts ("super-blocks" of 256 elements), byte for byte as
// ggml stores them (ggml/src/ggml-common.h, QK_K = 256). Little-endian,
// packed, any alignment.
//
//   type  bytes  layout (offset: field)
//   q2_K    84    0: scales[16] | 16: qs[64] | 80: d f16 | 82: dmin f16
//   q3_K   110    0: hmask[32] | 32: qs[64] | 96: scales[12] | 108: d f16
//   q4_K   144    0: d f16 | 2: dmin f16 | 4: scales[12] | 16: qs[128]
//   q5_K   176    0: d f16 | 2: dmin f16 | 4: scales[12] | 16: qh[32] | 48: qs[128]
//   q6_K   210    0: ql[128] | 128: qh[64] | 192: scales[16] int8 | 208: d f16
//   q8_K   292    0: d f32 | 4: qs[256] int8 | 260: bsums[16] int16
//
// Every type splits a super-block into sub-blocks of consecutive elements,
// each with its own integer scale: 16 sub-blocks of 16 (q2_K, q3_K, q6_K) or
// 8 of 32 (q4_K, q5_K). Element values:
//   q2_K  d * sc_s * q - dmin * m_s      q in 0..3; scales[s] = sc | m << 4
//   q3_K  d * (sc_s - 32) * (q - 4)      q in 0..7; sc 6-bit, packed (below)
//   q4_K  d * sc_s * q - dmin * m_s      q in 0..15; sc, m 6-bit (get_scale_min_k4)
//   q5_K  d * sc_s * q - dmin * m_s      q in 0..31
//   q6_K  d * sc_s * (q - 32)            q in 0..63; sc int8
//   q8_K  d * q                          bsums[i] = sum of q over elements 16i..<16i+16
//
// Where the code bits of element e live: let c = e / 32 (the 32-element
// "chunk"), l = e % 32.
//   q2_K  2 bits at qs[32 * (c / 4) + l] >> (2 * (c % 4))
//   q3_K  the same 2 low bits; bit 2 is hmask[l] >> c
//   q4_K  qs[32 * (c / 2) + l]: low nibble for even c, high nibble for odd c
//   q5_K  the same 4 low bits; bit 4 is qh[l] >> c
//   q6_K  with h = c / 4, k = c % 4: 4 low bits are ql[64h + 32(k % 2) + l],
//         low nibble for k < 2, high nibble for k >= 2; bits 4-5 are
//         qh[32h + l] >> (2k)
// So for every type the 32 codes of a chunk come out of one 32-byte load
// (plus one for the high bits) with shifts and masks, one code per byte in
// element order; the kernels in KDot.swift and the types' `chunkCodes`
// (used by their SIMD dequantize) rely on that.
//
// Packed 6-bit scales (12 bytes). q4_K/q5_K (get_scale_min_k4), sub-block j:
//   j < 4:  sc = b[j] & 63,                        m = b[j+4] & 63
//   j >= 4: sc = (b[j+4] & 15) | (b[j-4] >> 6) << 4, m = (b[j+4] >> 4) | (b[j] >> 6) << 4
// q3_K (kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f), sub-block s: the low
// nibble is byte s % 8 of b, shifted right by 4 when s >= 8; bits 4-5 are
// (b[8 + s % 4] >> (2 * (s / 4))) & 3.
//
// Each type's functions are in its own file (Q2_K.swift ... Q8_K.swift);
// this file has the layout offsets and the code several of them share
// (q4_K and q5_K differ only in the fifth code bit, so one implementation,
// `KScaleMin`, serves both). The quantizers' common search routines are in
// KQuantizer.swift.

/// Byte offsets inside the K-quant blocks above.
enum KLayout {
  /// Elements per super-block.
  static let qk = 256

  static let q2Bytes = 84, q2Scales = 0, q2Qs = 16, q2D = 80, q2DMin = 82
  static let q3Bytes = 110, q3HMask = 0, q3Qs = 32, q3Scales = 96, q3D = 108
  static let q4Bytes = 144, q4DMin = 2, q4Scales = 4, q4Qs = 16
  static let q5Bytes = 176, q5DMin = 2, q5Scales = 4, q5Qh = 16, q5Qs = 48
  static let q6Bytes = 210, q6Ql = 0, q6Qh = 128, q6Scales = 192, q6D = 208
  static let q8Bytes = 292, q8Qs = 4, q8BSums = 260
}

// MARK: - Scale decoding

/// The 8 scales and 8 mins of a q4_K/q5_K super-block (get_scale_min_k4 for
/// j = 0..<8), each byte one 6-bit value, as two UInt64 (byte j = sub-block j).
@inline(__always)
func kScalesMins(_ p: UnsafeRawPointer) -> (scales: UInt64, mins: UInt64) {
  let u0 = p.loadUnaligned(as: UInt32.self)
  let u1 = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
  let u2 = p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
  let sLow = u0 & 0x3F3F_3F3F
  let sHigh = (u2 & 0x0F0F_0F0F) | (((u0 &>> 6) & 0x0303_0303) &<< 4)
  let mLow = u1 & 0x3F3F_3F3F
  let mHigh = ((u2 &>> 4) & 0x0F0F_0F0F) | (((u1 &>> 6) & 0x0303_0303) &<< 4)
  return (UInt64(sLow) | UInt64(sHigh) &<< 32, UInt64(mLow) | UInt64(mHigh) &<< 32)
}

/// The 16 6-bit scales of a q3_K super-block (before subtracting 32), byte s
/// = sub-block s: ggml's kmask1/kmask2 unpacking.
@inline(__always)
func q3Scales(_ p: UnsafeRawPointer) -> SIMD16<UInt8> {
  let a0 = p.loadUnaligned(as: UInt32.self)
  let a1 = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
  let tmp = p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
  let kmask1: UInt32 = 0x0303_0303, kmask2: UInt32 = 0x0F0F_0F0F
  let r0 = (a0 & kmask2) | (((tmp &>> 0) & kmask1) &<< 4)
  let r1 = (a1 & kmask2) | (((tmp &>> 2) & kmask1) &<< 4)
  let r2 = ((a0 &>> 4) & kmask2) | (((tmp &>> 4) & kmask1) &<< 4)
  let r3 = ((a1 &>> 4) & kmask2) | (((tmp &>> 6) & kmask1) &<< 4)
  return unsafeBitCast(SIMD4<UInt32>(r0, r1, r2, r3), to: SIMD16<UInt8>.self)
}

/// Byte lanes zero-extended to Int32 (vpmovzxbd / ushll).
@inline(__always)
func widenBytes(_ v: SIMD8<UInt8>) -> SIMD8<Int32> {
  var r = SIMD8<Int32>()
  for i in 0..<8 { r[i] = Int32(v[i]) }
  return r
}

@inline(__always)
func widenBytes(_ v: SIMD16<UInt8>) -> SIMD16<Int32> {
  var r = SIMD16<Int32>()
  for i in 0..<16 { r[i] = Int32(v[i]) }
  return r
}

@inline(__always)
func widenSigned(_ v: SIMD16<Int8>) -> SIMD16<Int32> {
  var r = SIMD16<Int32>()
  for i in 0..<16 { r[i] = Int32(v[i]) }
  return r
}

// MARK: - Reference helpers

/// get_scale_min_k4: the 6-bit scale and min of sub-block j of q4_K/q5_K.
@inline(__always)
func scaleMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (scale: Int, min: Int) {
  func b(_ i: Int) -> Int { Int(q.load(fromByteOffset: i, as: UInt8.self)) }
  if j < 4 { return (b(j) & 63, b(j + 4) & 63) }
  return ((b(j + 4) & 0xF) | ((b(j - 4) >> 6) << 4), (b(j + 4) >> 4) | ((b(j) >> 6) << 4))
}

/// One super-block's term of a reference dot product with q8_K (whose scale
/// is `dy`): an exact integer sum of scale * code * activation (`sumi`),
/// mins through the activation's bsums (`summ`), scaled once. q3_K and q6_K
/// have no mins and pass dmin 0 and summ 0.
@inline(__always)
func kBlockDot(d: Float, dmin: Float, dy: Float, sumi: Int, summ: Int) -> Float {
  (d * dy) * Float(sumi) - (dmin * dy) * Float(summ)
}

// MARK: - SIMD dequantization helpers

// The SIMD dequantizers work one 32-element chunk at a time: the chunk's
// codes (`chunkCodes` of each type) as floats, times the sub-block's scale
// d * sc (rounded once per sub-block), minus dmin * m for the types with
// mins. The same arithmetic as the references lane by lane, so the results
// are bit-identical.

enum KDequant {
  /// Codes of one chunk as four SIMD8<Float> (elements 0-7, 8-15, 16-23, 24-31).
  @inline(__always)
  static func chunkFloats(_ codes: SIMD16<UInt16>) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
    let bytes = unsafeBitCast(codes, to: SIMD32<UInt8>.self)
    var f0 = SIMD8<Float>(), f1 = SIMD8<Float>(), f2 = SIMD8<Float>(), f3 = SIMD8<Float>()
    for i in 0..<8 {
      f0[i] = Float(bytes[i])
      f1[i] = Float(bytes[i &+ 8])
      f2[i] = Float(bytes[i &+ 16])
      f3[i] = Float(bytes[i &+ 24])
    }
    return (f0, f1, f2, f3)
  }

  /// Stores the 32 values of chunk `c` of the super-block at `y`.
  @inline(__always)
  static func store(_ y: UnsafeMutableRawPointer, _ c: Int, _ v: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)) {
    let o = 128 &* c
    y.storeBytes(of: v.0, toByteOffset: o, as: SIMD8<Float>.self)
    y.storeBytes(of: v.1, toByteOffset: o &+ 32, as: SIMD8<Float>.self)
    y.storeBytes(of: v.2, toByteOffset: o &+ 64, as: SIMD8<Float>.self)
    y.storeBytes(of: v.3, toByteOffset: o &+ 96, as: SIMD8<Float>.self)
  }
}

// MARK: - q4_K and q5_K

/// What q4_K and q5_K share: 8 sub-blocks of 32 with a 6-bit scale and min
/// each (get_scale_min_k4), d and dmin at the same offsets, element value
/// d * sc * q - dmin * m. `high` selects q5_K (the fifth code bit in qh); it
/// is a constant in every caller, so each type gets its own code.
enum KScaleMin {
  /// SIMD dequantization of one super-block.
  @inline(__always)
  static func dequantizeBlock(high: Bool, _ x: UnsafeRawPointer, _ y: UnsafeMutableRawPointer) {
    let d = loadHalf(x, 0), dmin = loadHalf(x, KLayout.q4DMin)
    let (scales, mins) = kScalesMins(x + KLayout.q4Scales)
    for c in 0..<8 {
      let shift = UInt64(8 &* c)
      let dc = SIMD8<Float>(repeating: d * Float(UInt8(truncatingIfNeeded: scales &>> shift)))
      let mc = SIMD8<Float>(repeating: dmin * Float(UInt8(truncatingIfNeeded: mins &>> shift)))
      let f = KDequant.chunkFloats(high ? Q5_K.chunkCodes(x, c) : Q4_K.chunkCodes(x, c))
      KDequant.store(y, c, (dc * f.0 - mc, dc * f.1 - mc, dc * f.2 - mc, dc * f.3 - mc))
    }
  }

  /// dequantize_row_q4_K / dequantize_row_q5_K.
  @inline(__always)
  static func dequantizeReference(high: Bool, _ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ blocks: Int) {
    let bytes = high ? KLayout.q5Bytes : KLayout.q4Bytes
    for i in 0..<blocks {
      let x = src + i * bytes, out = y + 256 * i
      let d = loadHalf(x, 0), dmin = loadHalf(x, KLayout.q4DMin)
      for e in 0..<256 {
        let (sc, m) = scaleMinK4(e / 32, x + KLayout.q4Scales)
        let d1 = d * Float(sc), m1 = dmin * Float(m)
        out[e] = d1 * Float(high ? Q5_K.code(x, e) : Q4_K.code(x, e)) - m1
      }
    }
  }

  /// ggml_vec_dot_q4_K_q8_K_generic / ggml_vec_dot_q5_K_q8_K_generic.
  @inline(__always)
  static func dotReference(high: Bool, _ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ blocks: Int) -> Float {
    let bytes = high ? KLayout.q5Bytes : KLayout.q4Bytes
    var sum: Float = 0
    for i in 0..<blocks {
      let x = weights + i * bytes, y = activation + i * KLayout.q8Bytes
      let d = loadHalf(x, 0), dmin = loadHalf(x, KLayout.q4DMin)
      var sumi = 0, summ = 0
      for j in 0..<8 {
        let (sc, m) = scaleMinK4(j, x + KLayout.q4Scales)
        var t = 0
        for e in 32 * j..<32 * j + 32 { t += (high ? Q5_K.code(x, e) : Q4_K.code(x, e)) * Q8_K.code(y, e) }
        sumi += sc * t
        summ += m * (Q8_K.bsum(y, 2 * j) + Q8_K.bsum(y, 2 * j + 1))
      }
      sum += kBlockDot(d: d, dmin: dmin, dy: Q8_K.scale(y), sumi: sumi, summ: summ)
    }
    return sum
  }

  /// quantize_row_q4_K_ref / quantize_row_q5_K_ref for one super-block.
  static func quantizeBlock(high: Bool, _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
    let bits = high ? 5 : 4
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 32) { codes in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 + 16) { f in
        let L = codes.baseAddress!, aux = L + 256
        let weights = f.baseAddress!, scales = weights + 32, mins = weights + 40
        let nmax: Int32 = bits == 4 ? 15 : 31
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<8 {
          var sumX2: Float = 0
          for l in 0..<32 { sumX2 += x[32 * j + l] * x[32 * j + l] }
          let avX = (sumX2 / 32).squareRoot()
          for l in 0..<32 { weights[l] = avX + abs(x[32 * j + l]) }
          let r = bits == 4
            ? KQuantizer.makeQkx2(32, nmax, x + 32 * j, weights, L + 32 * j, aux, rmin: -1, rdelta: 0.1, nstep: 20, useMad: false)
            : KQuantizer.makeQkx2(32, nmax, x + 32 * j, weights, L + 32 * j, aux, rmin: -0.5, rdelta: 0.1, nstep: 15, useMad: false)
          scales[j] = r.scale
          mins[j] = r.min
          if r.scale > maxScale { maxScale = r.scale }
          if r.min > maxMin { maxMin = r.min }
        }
        let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
        let sc = y + KLayout.q4Scales
        func set(_ i: Int, _ v: UInt8) { sc.storeBytes(of: v, toByteOffset: i, as: UInt8.self) }
        func or(_ i: Int, _ v: UInt8) { set(i, sc.load(fromByteOffset: i, as: UInt8.self) | v) }
        for j in 0..<8 {
          let ls = Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(invScale * scales[j])))
          let lm = Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(invMin * mins[j])))
          if j < 4 {
            set(j, ls)
            set(j + 4, lm)
          } else {
            set(j + 4, (ls & 0xF) | ((lm & 0xF) &<< 4))
            or(j - 4, (ls >> 4) &<< 6)
            or(j, (lm >> 4) &<< 6)
          }
        }
        y.storeBytes(of: Half.fromFloat(maxScale / 63), as: UInt16.self)
        y.storeBytes(of: Half.fromFloat(maxMin / 63), toByteOffset: KLayout.q4DMin, as: UInt16.self)
        let dAll = loadHalf(y, 0), dMin = loadHalf(y, KLayout.q4DMin)
        for j in 0..<8 {
          let (s, m) = scaleMinK4(j, sc)
          let d = dAll * Float(s)
          if d == 0 { continue }
          let dm = dMin * Float(m)
          for ii in 0..<32 {
            L[32 * j + ii] = UInt8(truncatingIfNeeded: clampCode(nearestInt((x[32 * j + ii] + dm) / d), 0, nmax))
          }
        }
        if bits == 4 {
          for g in 0..<4 {
            for l in 0..<32 {
              let byte = L[64 * g + l] | (L[64 * g + l + 32] &<< 4)
              y.storeBytes(of: byte, toByteOffset: KLayout.q4Qs + 32 * g + l, as: UInt8.self)
            }
          }
        } else {
          for l in 0..<32 { y.storeBytes(of: 0, toByteOffset: KLayout.q5Qh + l, as: UInt8.self) }
          for g in 0..<4 {
            for l in 0..<32 {
              var l1 = L[64 * g + l], l2 = L[64 * g + l + 32]
              var high = y.load(fromByteOffset: KLayout.q5Qh + l, as: UInt8.self)
              if l1 > 15 {
                l1 -= 16
                high |= UInt8(1) &<< UInt8(2 * g)
              }
              if l2 > 15 {
                l2 -= 16
                high |= UInt8(2) &<< UInt8(2 * g)
              }
              y.storeBytes(of: high, toByteOffset: KLayout.q5Qh + l, as: UInt8.self)
              y.storeBytes(of: l1 | (l2 &<< 4), toByteOffset: KLayout.q5Qs + 32 * g + l, as: UInt8.self)
            }
          }
        }
      }
    }
  }
}
