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
// element order; the kernels in KDot.swift and KDequantize.swift rely on
// that.
//
// Packed 6-bit scales (12 bytes). q4_K/q5_K (get_scale_min_k4), sub-block j:
//   j < 4:  sc = b[j] & 63,                        m = b[j+4] & 63
//   j >= 4: sc = (b[j+4] & 15) | (b[j-4] >> 6) << 4, m = (b[j+4] >> 4) | (b[j] >> 6) << 4
// q3_K (kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f), sub-block s: the low
// nibble is byte s % 8 of b, shifted right by 4 when s >= 8; bits 4-5 are
// (b[8 + s % 4] >> (2 * (s / 4))) & 3.

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

// MARK: - Chunk codes

/// The 32 codes of chunk `c` (elements 32c..<32c+32) of the K-quant block at
/// `x`, one per byte in element order, as 16 little-endian words (word j =
/// elements 2j, 2j+1). q3_K and q6_K codes are unsigned (value + 4, value +
/// 32). `type` is a constant after inlining.
@inline(__always)
func kChunkCodes(_ type: GGMLType, _ x: UnsafeRawPointer, _ c: Int) -> SIMD16<UInt16> {
  switch type {
  case .q2_K:
    let q = x.loadUnaligned(fromByteOffset: KLayout.q2Qs &+ 32 &* (c &>> 2), as: SIMD16<UInt16>.self)
    return (q &>> UInt16(2 &* (c & 3))) & 0x0303
  case .q3_K:
    let q = x.loadUnaligned(fromByteOffset: KLayout.q3Qs &+ 32 &* (c &>> 2), as: SIMD16<UInt16>.self)
    let hm = x.loadUnaligned(fromByteOffset: KLayout.q3HMask, as: SIMD16<UInt16>.self)
    return ((q &>> UInt16(2 &* (c & 3))) & 0x0303) | (((hm &>> UInt16(c)) & 0x0101) &<< 2)
  case .q4_K:
    let q = x.loadUnaligned(fromByteOffset: KLayout.q4Qs &+ 32 &* (c &>> 1), as: SIMD16<UInt16>.self)
    return (q &>> UInt16(4 &* (c & 1))) & 0x0F0F
  case .q5_K:
    let q = x.loadUnaligned(fromByteOffset: KLayout.q5Qs &+ 32 &* (c &>> 1), as: SIMD16<UInt16>.self)
    let qh = x.loadUnaligned(fromByteOffset: KLayout.q5Qh, as: SIMD16<UInt16>.self)
    return ((q &>> UInt16(4 &* (c & 1))) & 0x0F0F) | (((qh &>> UInt16(c)) & 0x0101) &<< 4)
  case .q6_K:
    let h = c &>> 2, k = c & 3
    let ql = x.loadUnaligned(fromByteOffset: KLayout.q6Ql &+ 64 &* h &+ 32 &* (k & 1), as: SIMD16<UInt16>.self)
    let qh = x.loadUnaligned(fromByteOffset: KLayout.q6Qh &+ 32 &* h, as: SIMD16<UInt16>.self)
    let low = (ql &>> UInt16(4 &* (k &>> 1))) & 0x0F0F
    return low | (((qh &>> UInt16(2 &* k)) & 0x0303) &<< 4)
  default:
    return .zero
  }
}
