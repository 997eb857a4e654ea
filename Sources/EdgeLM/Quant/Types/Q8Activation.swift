// Quantizers. Two flavours, because llama.cpp itself uses two:
//  - `quantizeReference`: ggml's *_ref functions (ggml-quants.c), which
//    llama-quantize uses to write model files. Deterministic, scalar.
//  - `quantize`: what llama.cpp's CPU backend does to activations right
//    before a dot product. For q8_0/q8_1 that is the x86 AVX2
//    quantize_row_q8_0/q8_1 (ggml-cpu/arch/x86/quants.c), which differs from
//    the reference in two ways: the inverse scale is 127/amax instead of
//    1/(amax/127), and codes round half to even instead of away from zero.
//    Matching it keeps our logits on llama.cpp's. Every other type uses the
//    reference.
// Both never trap: NaN and infinities produce some code, deterministically.

#if arch(arm64)
import _Builtin_intrinsics.arm.neon
#endif

#if EDGELM_AVX2
import _Builtin_intrinsics.intel
#endif

extension QuantKernels {
  /// Quantizes `count` floats into blocks of `type` (f32, f16, bf16, q4_0,
  /// q4_1, q5_0, q5_1, q8_0, q8_1, q2_K...q6_K, q8_K). q8_0 and q8_1 produce
  /// exactly what llama.cpp's x86 AVX2 quantize_row_q8_0 / quantize_row_q8_1
  /// produce (id = 127/amax, round to nearest even, q8_1's s = d * sum(q));
  /// the others use ggml's reference quantizers (for q8_K that is also what
  /// llama.cpp's CPU backend uses for activations).
  /// - Parameters:
  ///   - src: `count` floats.
  ///   - dst: `type.rowBytes(count)` bytes.
  ///   - count: a multiple of the block size; a trailing partial block is ignored.
  public static func quantize(
    _ type: GGMLType, _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int
  ) {
    switch type {
    case .q8_0: quantizeActivationQ8(src, dst, blocks: Swift.max(0, count / 32), withSum: false)
    case .q8_1: quantizeActivationQ8(src, dst, blocks: Swift.max(0, count / 32), withSum: true)
    default: quantizeReference(type, src, dst, count: count)
    }
  }

  /// Quantizes `count` floats into blocks of `type` with ggml's reference
  /// quantizers (quantize_row_*_ref; f16/bf16 round to nearest even), as
  /// llama-quantize writes model files. Same arguments as `quantize`.
  public static func quantizeReference(
    _ type: GGMLType, _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int
  ) {
    let nb = Swift.max(0, count / type.blockSize)
    switch type {
    case .f32:
      for i in 0..<nb { dst.storeBytes(of: src[i], toByteOffset: 4 * i, as: Float.self) }
    case .f16:
      for i in 0..<nb { dst.storeBytes(of: Half.fromFloat(src[i]), toByteOffset: 2 * i, as: UInt16.self) }
    case .bf16:
      for i in 0..<nb { dst.storeBytes(of: Half.bf16FromFloat(src[i]), toByteOffset: 2 * i, as: UInt16.self) }
    case .q4_0:
      for b in 0..<nb { quantizeBlockSymmetric(src + 32 * b, dst + b * BlockLayout.q4_0Bytes, bits: 4) }
    case .q5_0:
      for b in 0..<nb { quantizeBlockSymmetric(src + 32 * b, dst + b * BlockLayout.q5_0Bytes, bits: 5) }
    case .q4_1:
      for b in 0..<nb { quantizeBlockAffine(src + 32 * b, dst + b * BlockLayout.q4_1Bytes, bits: 4) }
    case .q5_1:
      for b in 0..<nb { quantizeBlockAffine(src + 32 * b, dst + b * BlockLayout.q5_1Bytes, bits: 5) }
    case .q8_0:
      for b in 0..<nb { quantizeBlockQ8Reference(src + 32 * b, dst + b * BlockLayout.q8_0Bytes, withSum: false) }
    case .q8_1:
      for b in 0..<nb { quantizeBlockQ8Reference(src + 32 * b, dst + b * BlockLayout.q8_1Bytes, withSum: true) }
    case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K:
      quantizeReferenceK(type, src, dst, blocks: nb)
    default:
      break
    }
  }
}

// MARK: - Conversions that cannot trap

/// C's `(int)x` for a value the reference expects in range: truncation toward
/// zero, with NaN as 0 and out-of-range values clamped.
@inline(__always)
func truncatedCode(_ x: Float, max: Int) -> UInt8 {
  guard x > 0 else { return 0 }  // also NaN
  guard x < Float(max) else { return UInt8(max) }
  return UInt8(Int(x))
}

/// x86 cvtps2dq on an already rounded value followed by the two saturating
/// packs to int8: NaN and |x| >= 2^31 give the "integer indefinite" value
/// (Int32.min), which saturates to -128.
@inline(__always)
func packedInt8(_ r: Float) -> (code: Int8, wide: Int32) {
  guard r >= -2_147_483_648, r < 2_147_483_648 else { return (-128, Int32.min) }
  let wide = Int32(r)
  return (Int8(clamping: wide), wide)
}

// MARK: - Activation quantizer (AVX2 semantics)

/// q8_0 / q8_1 blocks as llama.cpp's AVX2 quantize_row_q8_0/_q8_1 make them.
/// Layout: q8_0 = d | qs[32]; q8_1 = d | s | qs[32]. With AVX2 built in,
/// with its instructions (`quantizeActivationQ8AVX2`); else element by
/// element (`quantizeActivationQ8Scalar`), the same bytes for finite input.
@inline(__always)
func quantizeActivationQ8(
  _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, blocks: Int, withSum: Bool
) {
  #if EDGELM_AVX2
  quantizeActivationQ8AVX2(src, dst, blocks: blocks, withSum: withSum)
  #elseif arch(arm64)
  quantizeActivationQ8NEON(src, dst, blocks: blocks, withSum: withSum)
  #else
  quantizeActivationQ8Scalar(src, dst, blocks: blocks, withSum: withSum)
  #endif
}

#if EDGELM_AVX2
/// `quantizeActivationQ8` with the instructions of llama.cpp's AVX2
/// quantize_row_q8_0/_q8_1: |x| by clearing sign bits, max, scale by
/// 127/amax, `vcvtps2dq` (rounds half to even under the default rounding
/// mode, as ggml's round + convert do), two saturating packs and a lane
/// permutation. The scalar emulation of these steps compiled to ~10
/// instructions per element and was ~5% of a SmolLM2 Q4_1 token, a serial
/// section between the parallel products (perf).
func quantizeActivationQ8AVX2(
  _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, blocks: Int, withSum: Bool
) {
  let blockBytes = withSum ? BlockLayout.q8_1Bytes : BlockLayout.q8_0Bytes
  let qsOffset = withSum ? BlockLayout.q8_1Qs : BlockLayout.q8_0Qs
  let raw = UnsafeRawPointer(src)
  let signBits = _mm256_set1_ps(-0.0)
  // packs interleave the four vectors' 32-bit groups by 128-bit lane.
  let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)
  for b in 0..<blocks {
    let x = raw + 128 &* b
    let v0 = x.loadUnaligned(as: __m256.self)
    let v1 = x.loadUnaligned(fromByteOffset: 32, as: __m256.self)
    let v2 = x.loadUnaligned(fromByteOffset: 64, as: __m256.self)
    let v3 = x.loadUnaligned(fromByteOffset: 96, as: __m256.self)
    let m = _mm256_max_ps(
      _mm256_max_ps(_mm256_andnot_ps(signBits, v0), _mm256_andnot_ps(signBits, v1)),
      _mm256_max_ps(_mm256_andnot_ps(signBits, v2), _mm256_andnot_ps(signBits, v3)))
    let amax = m.max()  // __m256 is SIMD8<Float>
    let d = amax / 127
    let scale = _mm256_set1_ps(amax != 0 ? 127 / amax : 0)
    let i0 = _mm256_cvtps_epi32(_mm256_mul_ps(v0, scale))
    let i1 = _mm256_cvtps_epi32(_mm256_mul_ps(v1, scale))
    let i2 = _mm256_cvtps_epi32(_mm256_mul_ps(v2, scale))
    let i3 = _mm256_cvtps_epi32(_mm256_mul_ps(v3, scale))
    let codes = _mm256_permutevar8x32_epi32(
      _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3)), order)
    let y = dst + b &* blockBytes
    y.storeBytes(of: Half.fromFloat(d), as: UInt16.self)
    y.storeBytes(of: codes, toByteOffset: qsOffset, as: __m256i.self)
    if withSum {
      let sums = unsafeBitCast(_mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3)), to: SIMD8<Int32>.self)
      y.storeBytes(of: Half.fromFloat(d * Float(sums.wrappedSum())), toByteOffset: BlockLayout.q8_1S, as: UInt16.self)
    }
  }
}
#endif

#if arch(arm64)
/// `quantizeActivationQ8` with NEON (every aarch64 CPU has it): the same
/// bytes as the AVX2 instructions for finite input, since `fcvtns` rounds
/// half to even as `vcvtps2dq` does and the narrowing is saturating like the
/// packs (the scalar emulation compiled to ~10 instructions per element: 3.5%
/// of a SmolLM2 token on the Cortex-A76 proxy, 8.7% of a prompt token).
func quantizeActivationQ8NEON(
  _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, blocks: Int, withSum: Bool
) {
  let blockBytes = withSum ? BlockLayout.q8_1Bytes : BlockLayout.q8_0Bytes
  let qsOffset = withSum ? BlockLayout.q8_1Qs : BlockLayout.q8_0Qs
  let raw = UnsafeRawPointer(src)
  for b in 0..<blocks {
    let x = raw + 128 &* b
    // (32) floats as 8 x float32x4
    let v0 = x.loadUnaligned(as: float32x4_t.self), v1 = x.loadUnaligned(fromByteOffset: 16, as: float32x4_t.self)
    let v2 = x.loadUnaligned(fromByteOffset: 32, as: float32x4_t.self), v3 = x.loadUnaligned(fromByteOffset: 48, as: float32x4_t.self)
    let v4 = x.loadUnaligned(fromByteOffset: 64, as: float32x4_t.self), v5 = x.loadUnaligned(fromByteOffset: 80, as: float32x4_t.self)
    let v6 = x.loadUnaligned(fromByteOffset: 96, as: float32x4_t.self), v7 = x.loadUnaligned(fromByteOffset: 112, as: float32x4_t.self)
    let m = vmaxq_f32(vmaxq_f32(vmaxq_f32(vabsq_f32(v0), vabsq_f32(v1)), vmaxq_f32(vabsq_f32(v2), vabsq_f32(v3))),
                      vmaxq_f32(vmaxq_f32(vabsq_f32(v4), vabsq_f32(v5)), vmaxq_f32(vabsq_f32(v6), vabsq_f32(v7))))
    let amax = vmaxvq_f32(m)
    let d = amax / 127
    let id: Float = amax != 0 ? 127 / amax : 0
    let i0 = vcvtnq_s32_f32(v0 * id), i1 = vcvtnq_s32_f32(v1 * id), i2 = vcvtnq_s32_f32(v2 * id)
    let i3 = vcvtnq_s32_f32(v3 * id), i4 = vcvtnq_s32_f32(v4 * id), i5 = vcvtnq_s32_f32(v5 * id)
    let i6 = vcvtnq_s32_f32(v6 * id), i7 = vcvtnq_s32_f32(v7 * id)
    let h0 = vqmovn_high_s32(vqmovn_s32(i0), i1), h1 = vqmovn_high_s32(vqmovn_s32(i2), i3)
    let h2 = vqmovn_high_s32(vqmovn_s32(i4), i5), h3 = vqmovn_high_s32(vqmovn_s32(i6), i7)
    let y = dst + b &* blockBytes
    y.storeBytes(of: Half.fromFloat(d), as: UInt16.self)
    y.storeBytes(of: vqmovn_high_s16(vqmovn_s16(h0), h1), toByteOffset: qsOffset, as: int8x16_t.self)
    y.storeBytes(of: vqmovn_high_s16(vqmovn_s16(h2), h3), toByteOffset: qsOffset &+ 16, as: int8x16_t.self)
    if withSum {
      let sum = vaddvq_s32((i0 &+ i1) &+ (i2 &+ i3) &+ ((i4 &+ i5) &+ (i6 &+ i7)))
      y.storeBytes(of: Half.fromFloat(d * Float(sum)), toByteOffset: BlockLayout.q8_1S, as: UInt16.self)
    }
  }
}
#endif

/// `quantizeActivationQ8` one element at a time, emulating the AVX2
/// instructions (the path without AVX2, and the check of the AVX2 one).
func quantizeActivationQ8Scalar(
  _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, blocks: Int, withSum: Bool
) {
  let blockBytes = withSum ? BlockLayout.q8_1Bytes : BlockLayout.q8_0Bytes
  let qsOffset = withSum ? BlockLayout.q8_1Qs : BlockLayout.q8_0Qs
  let raw = UnsafeRawPointer(src)
  for b in 0..<blocks {
    let x = raw + 128 * b
    let v0 = x.loadUnaligned(as: SIMD8<Float>.self)
    let v1 = x.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
    let v2 = x.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
    let v3 = x.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
    // max(|x|) is exact in any order for non-NaN inputs.
    var m = SIMD8<Float>()
    for i in 0..<8 {
      m[i] = Swift.max(Swift.max(abs(v0[i]), abs(v1[i])), Swift.max(abs(v2[i]), abs(v3[i])))
    }
    let amax = m.max()
    let d = amax / 127
    let id: Float = amax != 0 ? 127 / amax : 0
    let y = dst + b * blockBytes
    y.storeBytes(of: Half.fromFloat(d), as: UInt16.self)
    var sum: Int32 = 0
    sum = sum &+ storeRoundedCodes(v0 * id, y + qsOffset)
    sum = sum &+ storeRoundedCodes(v1 * id, y + qsOffset + 8)
    sum = sum &+ storeRoundedCodes(v2 * id, y + qsOffset + 16)
    sum = sum &+ storeRoundedCodes(v3 * id, y + qsOffset + 24)
    if withSum {
      y.storeBytes(of: Half.fromFloat(d * Float(sum)), toByteOffset: BlockLayout.q8_1S, as: UInt16.self)
    }
  }
}

/// Rounds 8 scaled values half to even (_mm256_round_ps), stores them as
/// int8 the way cvtps2dq + packs do, and returns the sum of the int32 codes.
@inline(__always)
func storeRoundedCodes(_ v: SIMD8<Float>, _ y: UnsafeMutableRawPointer) -> Int32 {
  let r = v.rounded(.toNearestOrEven)
  var codes = SIMD8<Int8>()
  var sum: Int32 = 0
  for i in 0..<8 {
    let p = packedInt8(r[i])
    codes[i] = p.code
    sum = sum &+ p.wide
  }
  y.storeBytes(of: codes, as: SIMD8<Int8>.self)
  return sum
}

// MARK: - Reference quantizers (ggml-quants.c)

/// quantize_row_q8_0_ref / quantize_row_q8_1_ref for one block.
func quantizeBlockQ8Reference(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, withSum: Bool) {
  var amax: Float = 0
  for j in 0..<32 { amax = Swift.max(amax, abs(x[j])) }
  let d = amax / 127
  let id: Float = d != 0 ? 1 / d : 0
  y.storeBytes(of: Half.fromFloat(d), as: UInt16.self)
  let qs = withSum ? BlockLayout.q8_1Qs : BlockLayout.q8_0Qs
  var sum = 0
  for j in 0..<32 {
    let r = (x[j] * id).rounded(.toNearestOrAwayFromZero)  // roundf
    let q: Int8 = r.isNaN ? 0 : (r >= 127 ? 127 : (r <= -128 ? -128 : Int8(r)))
    y.storeBytes(of: q, toByteOffset: qs + j, as: Int8.self)
    sum += Int(q)
  }
  if withSum {
    y.storeBytes(of: Half.fromFloat(Float(sum) * d), toByteOffset: BlockLayout.q8_1S, as: UInt16.self)
  }
}

/// quantize_row_q4_0_ref (bits 4) / quantize_row_q5_0_ref (bits 5): the
/// value of largest magnitude maps to code 0, d = max / -2^(bits-1).
func quantizeBlockSymmetric(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, bits: Int) {
  var amax: Float = 0, maxValue: Float = 0
  for j in 0..<32 where amax < abs(x[j]) {
    amax = abs(x[j])
    maxValue = x[j]
  }
  let half = Float(1 << (bits - 1))  // 8 or 16
  let d = maxValue / -half
  let id: Float = d != 0 ? 1 / d : 0
  y.storeBytes(of: Half.fromFloat(d), as: UInt16.self)
  let top = (1 << bits) - 1
  var codes = SIMD32<UInt8>()
  for j in 0..<32 { codes[j] = truncatedCode(x[j] * id + (half + 0.5), max: top) }
  storeCodes(codes, y, bits: bits, qhOffset: BlockLayout.q5_0Qh, qsOffset: bits == 4 ? BlockLayout.q4_0Qs : BlockLayout.q5_0Qs)
}

/// quantize_row_q4_1_ref (bits 4) / quantize_row_q5_1_ref (bits 5): codes
/// span [min, max], d = (max - min) / (2^bits - 1), m = min.
func quantizeBlockAffine(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, bits: Int) {
  var minValue = Float.greatestFiniteMagnitude, maxValue = -Float.greatestFiniteMagnitude
  for j in 0..<32 {
    if x[j] < minValue { minValue = x[j] }
    if x[j] > maxValue { maxValue = x[j] }
  }
  let top = (1 << bits) - 1
  let d = (maxValue - minValue) / Float(top)
  let id: Float = d != 0 ? 1 / d : 0
  y.storeBytes(of: Half.fromFloat(d), as: UInt16.self)
  y.storeBytes(of: Half.fromFloat(minValue), toByteOffset: 2, as: UInt16.self)
  var codes = SIMD32<UInt8>()
  for j in 0..<32 { codes[j] = truncatedCode((x[j] - minValue) * id + 0.5, max: top) }
  storeCodes(codes, y, bits: bits, qhOffset: BlockLayout.q5_1Qh, qsOffset: bits == 4 ? BlockLayout.q4_1Qs : BlockLayout.q5_1Qs)
}

/// Packs 32 codes: low nibbles pairwise into qs (element j and j + 16 share
/// byte j), the fifth bits into qh when bits == 5.
@inline(__always)
func storeCodes(_ codes: SIMD32<UInt8>, _ y: UnsafeMutableRawPointer, bits: Int, qhOffset: Int, qsOffset: Int) {
  var qh: UInt32 = 0
  for j in 0..<16 {
    let c0 = codes[j], c1 = codes[j + 16]
    y.storeBytes(of: (c0 & 0x0F) | ((c1 & 0x0F) << 4), toByteOffset: qsOffset + j, as: UInt8.self)
    qh |= UInt32((c0 >> 4) & 1) << UInt32(j)
    qh |= UInt32((c1 >> 4) & 1) << UInt32(j + 16)
  }
  if bits == 5 { y.storeBytes(of: qh, toByteOffset: qhOffset, as: UInt32.self) }
}
