// The 4- and 5-bit types (q4_0, q4_1, q5_0, q5_1) on AVX2, two blocks per
// 256-bit vector (see DotInt8.swift for the byte-multiply scheme). One
// block per vector spent half its instructions per block on unpacking
// nibbles and converting scales; here the code bytes of two blocks fill one vector (block 2p in the low 128
// bits, 2p+1 in the high), the low and high nibbles are two ANDs for both,
// and the activation is prepared in the same order: A_lo holds elements
// 0..<16 of both blocks, A_hi elements 16..<32. Per pair and activation:
// two `vpmaddubsw` (the Int16 sums of both stay below 2 * 2 * 31 * 128),
// one `vpmaddwd` by ones (lanes 0-3 block 2p, 4-7 block 2p+1), one
// conversion and one multiply-add with [d_x0 d_y0 x4, d_x1 d_y1 x4]. The
// _0 types' code bias (codes q - 8, q - 16) is the integer term -bias *
// sum(activation codes), prepared once per block and added to the block's
// first Int32 lane before the conversion; the _1 types' minimum is
// [d0, m0, d1, m1] * [0, s_y0, 0, s_y1] in a 4-lane accumulator. With
// AVX512-VNNI the integer part is two `vpdpbusd` starting from that bias.
// Single and multi-activation kernels run the same operations in the same
// order (bit-identical results). Built only with EDGELM_AVX2.

#if EDGELM_AVX2
import _Builtin_intrinsics.intel

/// Scratch layout of an activation prepared for `PairInt8Dot`, per pair of
/// blocks `stride` bytes (an odd last block pairs with zeros):
///   0: A_lo, codes 0..<16 of block 2p then of block 2p+1 (Int8)
///  32: A_hi, codes 16..<32 of both
///  64: [d_y0 x4, d_y1 x4] (Float)
///  96: the _0 types: Int32 [-b sum0, 0, 0, 0, -b sum1, 0, 0, 0] (sum: of
///      the block's codes; b: the code bias, 8 or 16); the _1 types: Float
///      [0, s_y0, 0, s_y1, 0, 0, 0, 0]
enum PairInt8Layout {
  static let stride = 128
  static func bytes(blocks: Int) -> Int { stride &* ((blocks &+ 1) / 2) }
  static let maxBlocks = (scratchBytes / stride) * 2
}

enum PairInt8Dot {
  /// Fills the `PairInt8Layout` for `blocks` activation blocks (q8_1 when
  /// `hasMin`, else q8_0).
  @inline(never)
  static func prepare(
    _ act: UnsafeRawPointer, blocks: Int, bits: Int, hasMin: Bool, into scratch: UnsafeMutableRawPointer
  ) {
    let bias: Int32 = bits == 4 ? 8 : 16
    let actBytes = hasMin ? BlockLayout.q8_1Bytes : BlockLayout.q8_0Bytes
    let qs = hasMin ? BlockLayout.q8_1Qs : BlockLayout.q8_0Qs
    for b in 0..<((blocks &+ 1) & ~1) {
      let base = scratch + (b >> 1) &* PairInt8Layout.stride
      let half = 16 &* (b & 1)
      var codes = SIMD32<Int8>()
      var d: Float = 0, s: Float = 0
      if b < blocks {
        let y = act + b &* actBytes
        codes = y.loadUnaligned(fromByteOffset: qs, as: SIMD32<Int8>.self)
        d = Float(Float16(bitPattern: y.loadUnaligned(as: UInt16.self)))
        if hasMin { s = Float(Float16(bitPattern: y.loadUnaligned(fromByteOffset: BlockLayout.q8_1S, as: UInt16.self))) }
      }
      base.storeBytes(of: codes.lowHalf, toByteOffset: half, as: SIMD16<Int8>.self)
      base.storeBytes(of: codes.highHalf, toByteOffset: 32 &+ half, as: SIMD16<Int8>.self)
      base.storeBytes(of: SIMD4<Float>(repeating: d), toByteOffset: 64 &+ half, as: SIMD4<Float>.self)
      if hasMin {
        base.storeBytes(of: SIMD2<Float>(0, s), toByteOffset: 96 &+ 8 &* (b & 1), as: SIMD2<Float>.self)
        base.storeBytes(of: SIMD2<Float>(), toByteOffset: 112 &+ 8 &* (b & 1), as: SIMD2<Float>.self)
      } else {
        var sum: Int32 = 0
        for i in 0..<32 { sum &+= Int32(codes[i]) }
        base.storeBytes(of: SIMD4<Int32>(-bias &* sum, 0, 0, 0), toByteOffset: 96 &+ half, as: SIMD4<Int32>.self)
      }
    }
  }

  /// One weight row of `blocks` blocks of q4_0/q4_1 (`bits` 4) or
  /// q5_0/q5_1 (5) against `count` prepared activations `prepStride` bytes
  /// apart (1...8; the _1 types' 8 accumulators of the minimum term, 4 more
  /// registers per activation, fit beside the others only in AVX-512's 32
  /// registers: `X86PairKernel.group`); result k goes to
  /// `out[k * outStride]` (added with `accumulate`).
  @inline(__always)
  static func row(
    _ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, prepStride: Int, count: Int, blocks: Int,
    bits: Int, hasMin: Bool, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    let (blockBytes, qsOffset, qhOffset) = PairLayout.weightBlock(bits: bits, hasMin: hasMin)
    let low4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1)
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
    var acc4 = SIMD8<Float>(), acc5 = SIMD8<Float>(), acc6 = SIMD8<Float>(), acc7 = SIMD8<Float>()
    var min0 = SIMD4<Float>(), min1 = SIMD4<Float>(), min2 = SIMD4<Float>(), min3 = SIMD4<Float>()
    var min4 = SIMD4<Float>(), min5 = SIMD4<Float>(), min6 = SIMD4<Float>(), min7 = SIMD4<Float>()

    @inline(__always)
    func pair(_ p: Int, single: Bool) {
      let wb = w + p &* (2 &* blockBytes)
      // [d0, m0, d1, m1] (q4_1) or [d0, d1, 0, 0] (q4_0), as Float.
      let dm: SIMD4<Float>
      if hasMin {
        let h0 = wb.loadUnaligned(as: UInt32.self)
        let h1: UInt32 = single ? 0 : wb.loadUnaligned(fromByteOffset: blockBytes, as: UInt32.self)
        dm = halfToFloat(unsafeBitCast(SIMD2<UInt32>(h0, h1), to: SIMD4<UInt16>.self))
      } else {
        let h0 = wb.loadUnaligned(as: UInt16.self)
        let h1: UInt16 = single ? 0 : wb.loadUnaligned(fromByteOffset: blockBytes, as: UInt16.self)
        dm = halfToFloat(SIMD4<UInt16>(h0, h1, 0, 0))
      }
      let d = hasMin ? splatHalves(dm[0], dm[2]) : splatHalves(dm[0], dm[1])
      let lo16 = wb.loadUnaligned(fromByteOffset: qsOffset, as: __m128i.self)
      let hi16 = single ? _mm_setzero_si128() : wb.loadUnaligned(fromByteOffset: blockBytes &+ qsOffset, as: __m128i.self)
      let q = _mm256_set_m128i(hi16, lo16)
      var lo = _mm256_and_si256(q, low4)
      var hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4)
      if bits == 5 {
        // Fifth bits: each 128-bit half gets its block's qh; byte j of the
        // low (high) codes is qh's byte j / 8 (2 + j / 8), OR-ed with every
        // bit but bit j mod 8 and compared with all ones, which tests bit j
        // (16 + j) (ggml's bytes_from_bits_32, with shuffles that stay
        // inside each half).
        let h0 = wb.loadUnaligned(fromByteOffset: qhOffset, as: Int32.self)
        let h1: Int32 = single ? 0 : wb.loadUnaligned(fromByteOffset: blockBytes &+ qhOffset, as: Int32.self)
        let source = _mm256_set_m128i(_mm_set1_epi32(h1), _mm_set1_epi32(h0))
        let select = _mm256_set1_epi64x(0x7FBF_DFEF_F7FB_FDFE), all = _mm256_set1_epi64x(-1)
        let sixteen = _mm256_set1_epi8(0x10)
        let lowBits = _mm256_shuffle_epi8(source, _mm256_set_epi64x(0x0101_0101_0101_0101, 0, 0x0101_0101_0101_0101, 0))
        let highBits = _mm256_shuffle_epi8(
          source, _mm256_set_epi64x(0x0303_0303_0303_0303, 0x0202_0202_0202_0202, 0x0303_0303_0303_0303, 0x0202_0202_0202_0202))
        lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(lowBits, select), all), sixteen))
        hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(highBits, select), all), sixteen))
      }
      let a0 = prep + p &* PairInt8Layout.stride

      @inline(__always)
      func apply(_ k: Int, _ acc: inout SIMD8<Float>, _ mins: inout SIMD4<Float>) {
        let a = a0 + k &* prepStride
        #if EDGELM_AVX512VNNI
        let bias = hasMin ? _mm256_setzero_si256() : a.loadUnaligned(fromByteOffset: 96, as: __m256i.self)
        let sums = unsafeBitCast(
          dotBytes(dotBytes(bias, lo, a.loadUnaligned(as: __m256i.self)), hi,
                   a.loadUnaligned(fromByteOffset: 32, as: __m256i.self)), to: SIMD8<Int32>.self)
        #else
        let p16 = _mm256_add_epi16(
          _mm256_maddubs_epi16(lo, a.loadUnaligned(as: __m256i.self)),
          _mm256_maddubs_epi16(hi, a.loadUnaligned(fromByteOffset: 32, as: __m256i.self)))
        var sums = unsafeBitCast(_mm256_madd_epi16(p16, ones), to: SIMD8<Int32>.self)
        if !hasMin { sums &+= a.loadUnaligned(fromByteOffset: 96, as: SIMD8<Int32>.self) }
        #endif
        acc = acc.addingProduct(intToFloat(sums), d * a.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
        if hasMin { mins = mins.addingProduct(dm, a.loadUnaligned(fromByteOffset: 96, as: SIMD4<Float>.self)) }
      }
      apply(0, &acc0, &min0)
      if count >= 2 { apply(1, &acc1, &min1) }
      if count >= 3 { apply(2, &acc2, &min2) }
      if count >= 4 { apply(3, &acc3, &min3) }
      if count >= 5 { apply(4, &acc4, &min4) }
      if count >= 6 { apply(5, &acc5, &min5) }
      if count >= 7 { apply(6, &acc6, &min6) }
      if count == 8 { apply(7, &acc7, &min7) }
    }

    let fullPairs = blocks >> 1
    var p = 0
    while p < fullPairs {
      pair(p, single: false)
      p &+= 1
    }
    if blocks & 1 != 0 { pair(fullPairs, single: true) }

    @inline(__always)
    func store(_ k: Int, _ acc: SIMD8<Float>, _ mins: SIMD4<Float>) {
      let v = reduce(acc) + (hasMin ? reduce(mins) : 0)
      if accumulate { out[k &* outStride] += v } else { out[k &* outStride] = v }
    }
    store(0, acc0, min0)
    if count >= 2 { store(1, acc1, min1) }
    if count >= 3 { store(2, acc2, min2) }
    if count >= 4 { store(3, acc3, min3) }
    if count >= 5 { store(4, acc4, min4) }
    if count >= 6 { store(5, acc5, min5) }
    if count >= 7 { store(6, acc6, min6) }
    if count == 8 { store(7, acc7, min7) }
  }
}
#endif
