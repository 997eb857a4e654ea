// Byte-multiply dot products for the 32-element block types on x86 with
// AVX2: what ggml's AVX2 vec_dot and llamafile's tinyBLAS do, written with
// the clang intrinsics Swift imports. This file has the q8_0 kernel (one
// block per vector); q4_0, q4_1, q5_0 and q5_1 go through DotInt8Pairs.swift
// (two blocks per vector), q4_K and q6_K through DotInt8K.swift; the
// registry reaches them through X86Kernels.swift.
//
// Weight codes of the 4- and 5-bit types are unsigned (0...15 or 0...31)
// and the activation codes signed bytes, so `vpmaddubsw` multiplies all 32
// pairs of a block and adds neighbours into Int16 in one instruction, and
// `vpmaddwd` by ones adds neighbours again into eight Int32 lanes, the
// exact integer sums of four products each: about half the instructions of
// the portable 16-bit identity kernels (DotQuantized.swift), which remain
// the path on other CPUs (and on NEON). q8_0 weights are signed: |w| is the
// unsigned operand and w's signs are moved onto the activation codes with
// `vpsignb` (which is why those are clamped to -127 when prepared).
//
// Every activation of a batch goes through exactly the operations of a
// single activation, in the same order (one accumulator chain over the
// blocks, the same reductions), so the multi-activation kernels give
// bit-identical results to the single one, as MatMulBatchTests requires.
//
// Built only when the build defines EDGELM_AVX2 (Package.swift and
// Cross/build-embedded.sh do when the target CPU has AVX2): without AVX2
// enabled the compiler cannot lower the intrinsics. With EDGELM_AVX512VNNI
// too (CPUs with AVX512-VNNI and AVX512-VL: Ice Lake, Zen 4 and later),
// `vpdpbusd` does the multiply and both additions into Int32 in one
// instruction (`dotBytes`): the same integers, so the same results. On a
// Zen 4 VM (SmolLM2 Q4_1, 2 threads) decode went 183 -> 250 t/s with it.

#if EDGELM_AVX2
import _Builtin_intrinsics.intel

/// Scratch layout of a q8_0 activation prepared for `Int8Dot`: per block
/// `stride` bytes, 32-byte aligned when the buffer is:
///   0: the 32 activation codes (Int8), -128 clamped to -127
///  32: d_y in all 8 Float lanes
enum Int8Layout {
  static let stride = 64
  static func bytes(blocks: Int) -> Int { stride &* blocks }
  /// Blocks that fit the stack scratch of `dotRows` (even, as chunks of the
  /// pair layouts are).
  static let maxBlocks = (scratchBytes / stride) & ~1
}

#if EDGELM_AVX512VNNI
/// `acc` + the sums of four neighbouring products u[i] * s[i] (unsigned x
/// signed bytes) in each Int32 lane: `vpdpbusd`, one instruction for what
/// `vpmaddubsw` + `vpmaddwd` by ones + `vpaddd` compute (the same integers:
/// no Int16 sum of the kernels here saturates). The masked form is the one
/// clang declares as a function (the unmasked one is a macro Swift cannot
/// import); an all-ones mask compiles to the plain instruction.
@inline(__always)
func dotBytes(_ acc: __m256i, _ u: __m256i, _ s: __m256i) -> __m256i {
  _mm256_mask_dpbusd_epi32(acc, 0xFF, u, s)
}
#endif

/// q8_0 weights: one block per vector. Their codes are signed, so |w| is
/// the unsigned operand of `vpmaddubsw` and w's signs are moved onto the
/// activation codes with `vpsignb`, as ggml does.
enum Int8Dot {
  /// Fills the `Int8Layout` for `blocks` q8_0 activation blocks.
  @inline(never)
  static func prepare(_ act: UnsafeRawPointer, blocks: Int, into scratch: UnsafeMutableRawPointer) {
    for b in 0..<blocks {
      let y = act + b &* BlockLayout.q8_0Bytes
      let base = scratch + b &* Int8Layout.stride
      // vpsignb cannot negate -128 (which `quantize` never makes): -127.
      let codes = y.loadUnaligned(fromByteOffset: BlockLayout.q8_0Qs, as: __m256i.self)
      base.storeBytes(of: _mm256_max_epi8(codes, _mm256_set1_epi8(-127)), as: __m256i.self)
      let d = Float(Float16(bitPattern: y.loadUnaligned(as: UInt16.self)))
      base.storeBytes(of: SIMD8<Float>(repeating: d), toByteOffset: 32, as: SIMD8<Float>.self)
    }
  }

  /// One q8_0 weight row of `blocks` blocks against `count` (1...8)
  /// prepared activations `prepStride` bytes apart; result k goes to
  /// `out[k * outStride]` (added to it with `accumulate`). `count` is a
  /// constant after inlining into the entry points.
  @inline(__always)
  static func row(
    _ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, prepStride: Int, count: Int, blocks: Int,
    _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
    var acc4 = SIMD8<Float>(), acc5 = SIMD8<Float>(), acc6 = SIMD8<Float>(), acc7 = SIMD8<Float>()
    let ones = _mm256_set1_epi16(1)

    var b = 0
    while b < blocks {
      let wb = w + b &* BlockLayout.q8_0Bytes
      let signed = wb.loadUnaligned(fromByteOffset: BlockLayout.q8_0Qs, as: __m256i.self)
      let magnitude = _mm256_sign_epi8(signed, signed)
      let d = SIMD8<Float>(repeating: Float(Float16(bitPattern: wb.loadUnaligned(as: UInt16.self))))
      let a0 = prep + b &* Int8Layout.stride

      @inline(__always)
      func apply(_ k: Int, _ acc: inout SIMD8<Float>) {
        let a = a0 + k &* prepStride
        let codes = _mm256_sign_epi8(a.loadUnaligned(as: __m256i.self), signed)
        #if EDGELM_AVX512VNNI
        let sums = unsafeBitCast(dotBytes(_mm256_setzero_si256(), magnitude, codes), to: SIMD8<Int32>.self)
        #else
        let sums = unsafeBitCast(_mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, codes), ones), to: SIMD8<Int32>.self)
        #endif
        acc = acc.addingProduct(intToFloat(sums), d * a.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
      }
      apply(0, &acc0)
      if count >= 2 { apply(1, &acc1) }
      if count >= 3 { apply(2, &acc2) }
      if count >= 4 { apply(3, &acc3) }
      if count >= 5 { apply(4, &acc4) }
      if count >= 6 { apply(5, &acc5) }
      if count >= 7 { apply(6, &acc6) }
      if count == 8 { apply(7, &acc7) }
      b &+= 1
    }

    @inline(__always)
    func store(_ k: Int, _ acc: SIMD8<Float>) {
      let v = reduce(acc)
      if accumulate { out[k &* outStride] += v } else { out[k &* outStride] = v }
    }
    store(0, acc0)
    if count >= 2 { store(1, acc1) }
    if count >= 3 { store(2, acc2) }
    if count >= 4 { store(3, acc3) }
    if count >= 5 { store(4, acc4) }
    if count >= 6 { store(5, acc5) }
    if count >= 7 { store(6, acc6) }
    if count == 8 { store(7, acc7) }
  }
}

#endif
