// The activation quantizer of q8_0 and q8_1 (`Q8_0.quantize`,
// `Q8_1.quantize`). llama.cpp itself quantizes two ways:
//  - ggml's *_ref functions (ggml-quants.c), which llama-quantize uses to
//    write model files: deterministic, scalar (`quantizeReference`, in
//    Legacy32.swift for these types).
//  - what its CPU backend does to activations right before a dot product.
//    For q8_0/q8_1 that is the x86 AVX2 quantize_row_q8_0/q8_1
//    (ggml-cpu/arch/x86/quants.c), which differs from the reference in two
//    ways: the inverse scale is 127/amax instead of 1/(amax/127), and codes
//    round half to even instead of away from zero. Matching it keeps our
//    logits on llama.cpp's. Every other type uses its reference for both.
// Neither traps: NaN and infinities produce some code, deterministically.

#if arch(arm64)
import _Builtin_intrinsics.arm.neon
#endif

#if EDGELM_AVX2
import _Builtin_intrinsics.intel
#endif

// MARK: - Conversions that cannot trap

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
