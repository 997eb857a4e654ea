// Fused dot products of quantized weight rows with q8 activations
// (ggml's ggml_vec_dot_{q4_0,q5_0,q8_0}_q8_0 and {q4_1,q5_1}_q8_1): per
// 32-element block an exact integer dot product of the codes, scaled once
// by d_x * d_y (plus m_x * s_y for the _1 types). Nothing is dequantized.
//
// How the integer part stays cheap and portable. dotRows calls `prepare*`
// once per call (per chunk of columns) to turn the activation codes into
// Int16 "coefficient" vectors on the stack; every weight row is then
// processed with plain 16-bit lane arithmetic (multiply, add, shift), which
// LLVM maps 1:1 to AVX2 (vpmullw/vpaddw/vpsrlw) and NEON (mul/add/ushr):
//
// 4-bit codes. Load the 16 code bytes of a block as eight UInt16 words; word
// j holds e0 = code(2j) | h0 = code(2j+16) << 4 | e1 = code(2j+1) << 8 |
// h1 = code(2j+17) << 12. With a = activation codes, α = a(2j), β = a(2j+16),
// γ = a(2j+1), δ = a(2j+17), the identity
//   e0 α + h0 β + e1 γ + h1 δ
//     = w α + (w >> 4)(β - 16α) + (w >> 8)(γ - 16β) + (w >> 12)(δ - 16γ)
// holds exactly over the integers, hence modulo 2^16, and the left side
// fits in Int16 (|.| <= 4 * 15 * 128), so four vpmullw on the raw words give
// it with no masking. Two blocks share one 256-bit vector (lanes 0..7 the
// first block, 8..15 the second). Adjacent lanes are then summed into Int32
// (`pairSumNarrow`), converted to Float and scaled per block.
// q4_0's codes are e - 8: the prepared vector K adds -8(α+β+γ+δ) per lane.
//
// 5-bit codes add 16 * (the qh bit) per element. For lane j the bits
// (2j, 2j+1) of qh's low half are v = ((lo16 * 2^(14-2j)) mod 2^16) >> 14,
// and b(2j) α + b(2j+1) γ = v α + (v >> 1)(γ - 2α); the same for the high
// half with β, δ. The factors 16 are folded into the prepared vectors.
//
// 8-bit codes. Load 32 code bytes as sixteen Int16 words w; lane j holds
// codes s0 = code(2j) (low byte) and s1 = code(2j+1) (high byte), to be
// multiplied by α = a(2j), β = a(2j+1). Flipping the top bit of the low
// byte, x = w ^ 0x0080 = 256 s1 + (s0 + 128) exactly, and x >> 8 = s1, so
//   s0 α + s1 β = x α + (x >> 8)(β - 256α) - 128α,
// two multiplies and one shift per lane (sign-extending both bytes would
// take three shifts, and shifts are what limits this loop on x86).
// |s0 α + s1 β| <= 2 * 128 * 127 fits in Int16 because the prepared
// activation is clamped to [-127, 127] (our quantizer never makes -128).
// Adjacent lanes are then summed exactly into Int32 with one more shift:
// the prepared constant also adds 0x8000 to every even lane, which makes
// the low half of each 32-bit lane an unsigned t(2i) + 32768, so
// t(2i) + t(2i+1) = (v >> 16) + (v & 0xFFFF) - 32768.
//
// Why not vpmaddubsw/vpmaddwd, as ggml? Portable Swift has no such
// operation. LLVM does match a multiply-add of adjacent lanes to vpmaddwd
// when both operands come straight from memory, but inside these loops it
// fell back to scalar code in every variant tried, so the kernels use only
// lane-wise 16-bit arithmetic, which always vectorises, on x86 and on NEON.

// MARK: - Prepared activation layouts (offsets inside the scratch buffer)

/// Scratch layout for 4- and 5-bit weights: per pair of
/// blocks `stride` bytes of SIMD16<UInt16> coefficient vectors (lanes 0..7
/// the first block, 8..15 the second), then 32 bytes of scales per pair:
/// q4_1/q5_1 [d_y0, 0, d_y1, 0] and [0, s_y0, 0, s_y1]; q4_0/q5_0
/// [d_y0 x 4, d_y1 x 4] (the shape of a pair after `pairSumNarrow`, so the
/// multi-activation kernel needs no shuffle per activation). These shapes
/// match the weight-side code in
/// `rowPairs`, chosen among several by measurement: LLVM lowers the
/// conversions and shuffles of other shapes into noticeably slower code.
struct PairLayout {
  /// Vectors per pair: C0..C3, then K (the _0 types), then E0..E3 (5-bit
  /// types).
  let vectors: Int
  let pairs: Int
  var stride: Int { vectors * 32 }
  var scalesOffset: Int { pairs * stride }
  var bytes: Int { scalesOffset + pairs * 32 }

  init(bits: Int, hasMin: Bool, blocks: Int) {
    vectors = 4 + (hasMin ? 0 : 1) + (bits == 5 ? 4 : 0)
    pairs = (blocks + 1) / 2
  }

  /// Bytes per weight block and the offsets of its codes and (5-bit) high
  /// bits, for the four pair types (Types/Legacy32.swift).
  @inline(__always)
  static func weightBlock(bits: Int, hasMin: Bool) -> (bytes: Int, qs: Int, qh: Int) {
    switch (bits, hasMin) {
    case (4, false): return (BlockLayout.q4_0Bytes, BlockLayout.q4_0Qs, 0)
    case (4, true): return (BlockLayout.q4_1Bytes, BlockLayout.q4_1Qs, 0)
    case (5, false): return (BlockLayout.q5_0Bytes, BlockLayout.q5_0Qs, BlockLayout.q5_0Qh)
    default: return (BlockLayout.q5_1Bytes, BlockLayout.q5_1Qs, BlockLayout.q5_1Qh)
    }
  }

  /// The largest even number of blocks whose layout fits in `scratchBytes`.
  static func maxBlocks(bits: Int, hasMin: Bool) -> Int {
    let perPair = PairLayout(bits: bits, hasMin: hasMin, blocks: 2).bytes
    return ((scratchBytes) / perPair) * 2
  }
}

/// Scratch layout for q8_0 weights: per block three SIMD16<Int16>, α,
/// β - 256α and -128α + (0x8000 in even lanes) with α, β the even and odd
/// activation codes clamped to [-127, 127]; then one Float d_y per block.
enum Q8Layout {
  static let stride = 96
  static func scalesOffset(blocks: Int) -> Int { stride * blocks }
  static let maxBlocks = scratchBytes / (stride + 4)
}

enum QuantDot {
  // MARK: - Preparation (once per call)

  /// The activation codes of one q8 block as Int16 lanes j = 0..<8:
  /// (α, γ, β, δ) = codes (2j, 2j+1, 2j+16, 2j+17).
  @inline(__always)
  static func codeQuads(_ qs: UnsafeRawPointer) -> (SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>) {
    let first = qs.loadUnaligned(as: SIMD8<Int16>.self)  // codes 0..<16, two per lane
    let second = qs.loadUnaligned(fromByteOffset: 16, as: SIMD8<Int16>.self)  // codes 16..<32
    return ((first &<< 8) &>> 8, first &>> 8, (second &<< 8) &>> 8, second &>> 8)
  }

  /// Fills the `PairLayout` for `blocks` activation blocks: q8_1 when
  /// `hasMin` (weights q4_1/q5_1), else q8_0 (weights q4_0/q5_0).
  @inline(never)
  static func preparePairs(
    _ act: UnsafeRawPointer, blocks: Int, bits: Int, hasMin: Bool, into scratch: UnsafeMutableRawPointer
  ) {
    let layout = PairLayout(bits: bits, hasMin: hasMin, blocks: blocks)
    let actBytes = hasMin ? BlockLayout.q8_1Bytes : BlockLayout.q8_0Bytes
    let qs = hasMin ? BlockLayout.q8_1Qs : BlockLayout.q8_0Qs
    let offset: Int16 = bits == 4 ? 8 : 16  // code bias of the _0 types
    for b in 0..<(2 * layout.pairs) {
      let base = scratch + (b >> 1) * layout.stride + 16 * (b & 1)
      var c0 = SIMD8<Int16>(), c1 = SIMD8<Int16>(), c2 = SIMD8<Int16>(), c3 = SIMD8<Int16>()
      var k = SIMD8<Int16>()
      var e0 = SIMD8<Int16>(), e1 = SIMD8<Int16>(), e2 = SIMD8<Int16>(), e3 = SIMD8<Int16>()
      var d: Float = 0, s: Float = 0
      if b < blocks {  // else: the missing half of an odd last pair stays zero
        let y = act + b * actBytes
        let (alpha, gamma, beta, delta) = codeQuads(y + qs)
        c0 = alpha
        c1 = beta &- alpha &<< 4
        c2 = gamma &- beta &<< 4
        c3 = delta &- gamma &<< 4
        k = (alpha &+ beta &+ gamma &+ delta) &* -offset
        e0 = alpha &<< 4
        e1 = (gamma &- alpha &<< 1) &<< 4
        e2 = beta &<< 4
        e3 = (delta &- beta &<< 1) &<< 4
        d = Float(Float16(bitPattern: y.loadUnaligned(as: UInt16.self)))
        if hasMin { s = Float(Float16(bitPattern: y.loadUnaligned(fromByteOffset: BlockLayout.q8_1S, as: UInt16.self))) }
      }
      base.storeBytes(of: c0, as: SIMD8<Int16>.self)
      base.storeBytes(of: c1, toByteOffset: 32, as: SIMD8<Int16>.self)
      base.storeBytes(of: c2, toByteOffset: 64, as: SIMD8<Int16>.self)
      base.storeBytes(of: c3, toByteOffset: 96, as: SIMD8<Int16>.self)
      var next = 128
      if !hasMin {
        base.storeBytes(of: k, toByteOffset: next, as: SIMD8<Int16>.self)
        next += 32
      }
      if bits == 5 {
        base.storeBytes(of: e0, toByteOffset: next, as: SIMD8<Int16>.self)
        base.storeBytes(of: e1, toByteOffset: next + 32, as: SIMD8<Int16>.self)
        base.storeBytes(of: e2, toByteOffset: next + 64, as: SIMD8<Int16>.self)
        base.storeBytes(of: e3, toByteOffset: next + 96, as: SIMD8<Int16>.self)
      }
      let scales = scratch + layout.scalesOffset + 32 * (b >> 1)
      if hasMin {  // [d_y0, 0, d_y1, 0], [0, s_y0, 0, s_y1]
        scales.storeBytes(of: SIMD2<Float>(d, 0), toByteOffset: 8 * (b & 1), as: SIMD2<Float>.self)
        scales.storeBytes(of: SIMD2<Float>(0, s), toByteOffset: 16 + 8 * (b & 1), as: SIMD2<Float>.self)
      } else {  // [d_y0 x 4, d_y1 x 4]
        scales.storeBytes(of: SIMD4<Float>(repeating: d), toByteOffset: 16 * (b & 1), as: SIMD4<Float>.self)
      }
    }
  }

  /// -128 -> -127 in lanes holding sign-extended bytes (keeps the q8_0
  /// kernel's Int16 sums in range), with whole-vector arithmetic: t = v + 128
  /// is 0 only for -128, and (t - 1) >> 15 is then -1, else 0.
  @inline(__always)
  static func clampMinus128(_ v: SIMD16<Int16>) -> SIMD16<Int16> {
    v &- (((v &+ 128) &- 1) &>> 15)
  }

  /// Fills the `Q8Layout` for `blocks` q8_0 activation blocks.
  @inline(never)
  static func prepareQ8(_ act: UnsafeRawPointer, blocks: Int, into scratch: UnsafeMutableRawPointer) {
    let scales = scratch + Q8Layout.scalesOffset(blocks: blocks)
    for b in 0..<blocks {
      let y = act + b * BlockLayout.q8_0Bytes
      let w = y.loadUnaligned(fromByteOffset: BlockLayout.q8_0Qs, as: SIMD16<Int16>.self)
      let even = clampMinus128((w &<< 8) &>> 8), odd = clampMinus128(w &>> 8)
      let base = scratch + Q8Layout.stride * b
      base.storeBytes(of: even, as: SIMD16<Int16>.self)
      base.storeBytes(of: odd &- even &<< 8, toByteOffset: 32, as: SIMD16<Int16>.self)
      let evenLanes = SIMD16<Int16>(-32768, 0, -32768, 0, -32768, 0, -32768, 0, -32768, 0, -32768, 0, -32768, 0, -32768, 0)
      base.storeBytes(of: even &* -128 &+ evenLanes, toByteOffset: 64, as: SIMD16<Int16>.self)
      scales.storeBytes(of: Float(Float16(bitPattern: y.loadUnaligned(as: UInt16.self))), toByteOffset: 4 * b, as: Float.self)
    }
  }

  // MARK: - Kernels (once per row)

  /// The 4-bit identity for a pair of blocks: x holds the code words of
  /// both blocks, c the pair's coefficient vectors. Lanes stay Int16.
  @inline(__always)
  static func pairDot4(_ x: SIMD16<UInt16>, _ c: UnsafeRawPointer, hasMin: Bool) -> SIMD16<UInt16> {
    var t = x &* c.loadUnaligned(as: SIMD16<UInt16>.self)
    t &+= (x &>> 4) &* c.loadUnaligned(fromByteOffset: 32, as: SIMD16<UInt16>.self)
    t &+= (x &>> 8) &* c.loadUnaligned(fromByteOffset: 64, as: SIMD16<UInt16>.self)
    t &+= (x &>> 12) &* c.loadUnaligned(fromByteOffset: 96, as: SIMD16<UInt16>.self)
    if !hasMin { t &+= c.loadUnaligned(fromByteOffset: 128, as: SIMD16<UInt16>.self) }
    return t
  }

  /// The fifth-bit terms of a pair of 5-bit blocks: lo/hi are the low and
  /// high 16 bits of each block's qh, splatted over that block's 8 lanes.
  @inline(__always)
  static func pairHighBits(_ lo: SIMD16<UInt16>, _ hi: SIMD16<UInt16>, _ e: UnsafeRawPointer) -> SIMD16<UInt16> {
    // Lane j (of each block half) moves bits 2j and 2j+1 to the top.
    let shift = SIMD16<UInt16>(
      1 << 14, 1 << 12, 1 << 10, 1 << 8, 1 << 6, 1 << 4, 1 << 2, 1,
      1 << 14, 1 << 12, 1 << 10, 1 << 8, 1 << 6, 1 << 4, 1 << 2, 1)
    let vl = (lo &* shift) &>> 14
    let vh = (hi &* shift) &>> 14
    var t = vl &* e.loadUnaligned(as: SIMD16<UInt16>.self)
    t &+= (vl &>> 1) &* e.loadUnaligned(fromByteOffset: 32, as: SIMD16<UInt16>.self)
    t &+= vh &* e.loadUnaligned(fromByteOffset: 64, as: SIMD16<UInt16>.self)
    t &+= (vh &>> 1) &* e.loadUnaligned(fromByteOffset: 96, as: SIMD16<UInt16>.self)
    return t
  }

  /// The 5-bit types' high bits of a block pair starting at `wb`: each
  /// block's low 16 bits of qh broadcast over its 8 lanes (`lo`), and its
  /// high 16 bits likewise (`hi`); zero for the missing second block when
  /// `single`.
  @inline(__always)
  static func highBitWords(
    _ wb: UnsafeRawPointer, qhOffset: Int, blockBytes: Int, single: Bool
  ) -> (lo: SIMD16<UInt16>, hi: SIMD16<UInt16>) {
    let qh0 = wb.loadUnaligned(fromByteOffset: qhOffset, as: UInt32.self)
    let qh1: UInt32 = single ? 0 : wb.loadUnaligned(fromByteOffset: blockBytes &+ qhOffset, as: UInt32.self)
    let lo = SIMD16<UInt16>(
      lowHalf: SIMD8(repeating: UInt16(truncatingIfNeeded: qh0)),
      highHalf: SIMD8(repeating: UInt16(truncatingIfNeeded: qh1)))
    let hi = SIMD16<UInt16>(
      lowHalf: SIMD8(repeating: UInt16(truncatingIfNeeded: qh0 &>> 16)),
      highHalf: SIMD8(repeating: UInt16(truncatingIfNeeded: qh1 &>> 16)))
    return (lo, hi)
  }

  /// One row segment of `blocks` 4- or 5-bit blocks against a prepared
  /// activation (`PairLayout`). `bits` and `hasMin` are constants after
  /// inlining into the per-type entry points.
  @inline(__always)
  static func rowPairs(
    _ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, blocks: Int, bits: Int, hasMin: Bool
  ) -> Float {
    let layout = PairLayout(bits: bits, hasMin: hasMin, blocks: blocks)
    let (blockBytes, qsOffset, qhOffset) = PairLayout.weightBlock(bits: bits, hasMin: hasMin)
    let eOffset = hasMin ? 128 : 160
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
    var mins = SIMD4<Float>()

    // One pair (or, with `single`, a last block without a partner: its
    // lanes are zero and nothing is read past the row).
    @inline(__always)
    func pair(_ p: Int, single: Bool, _ acc: inout SIMD8<Float>) {
      let wb = w + p &* (2 &* blockBytes)
      let c = prep + (p &* layout.stride)
      let scales = prep + (layout.scalesOffset &+ 32 &* p)
      // d_x (and m_x) of both blocks to Float, times d_y (and s_y).
      let scale: SIMD8<Float>
      if hasMin {
        let dm0 = wb.loadUnaligned(as: UInt32.self)
        let dm1: UInt32 = single ? 0 : wb.loadUnaligned(fromByteOffset: blockBytes, as: UInt32.self)
        let dm = halfToFloat(unsafeBitCast(SIMD2<UInt32>(dm0, dm1), to: SIMD4<UInt16>.self))
        let f = dm * scales.loadUnaligned(as: SIMD4<Float>.self)
        mins = mins.addingProduct(dm, scales.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self))
        scale = splatHalves(f[0], f[2])
      } else {
        let d0 = wb.loadUnaligned(as: UInt16.self)
        let d1: UInt16 = single ? 0 : wb.loadUnaligned(fromByteOffset: blockBytes, as: UInt16.self)
        let f = halfToFloat(SIMD4<UInt16>(d0, d1, 0, 0))
        scale = splatHalves(f[0], f[1]) * scales.loadUnaligned(as: SIMD8<Float>.self)
      }
      let lowWords = wb.loadUnaligned(fromByteOffset: qsOffset, as: SIMD8<UInt16>.self)
      let highWords: SIMD8<UInt16> = single ? .zero : wb.loadUnaligned(fromByteOffset: blockBytes &+ qsOffset, as: SIMD8<UInt16>.self)
      var t = pairDot4(SIMD16(lowHalf: lowWords, highHalf: highWords), c, hasMin: hasMin)
      if bits == 5 {
        let (lo, hi) = highBitWords(wb, qhOffset: qhOffset, blockBytes: blockBytes, single: single)
        t &+= pairHighBits(lo, hi, c + eOffset)
      }
      let sums = intToFloat(pairSumNarrow(t))
      acc = acc.addingProduct(sums, scale)
    }

    // One pair per iteration (LLVM unrolls by itself; unrolling by hand made
    // its SLP vectoriser merge the scale code of two pairs into shuffles).
    let fullPairs = blocks >> 1
    var p = 0
    while p < fullPairs {
      pair(p, single: false, &acc0)
      p &+= 1
    }
    if blocks & 1 != 0 { pair(fullPairs, single: true, &acc1) }
    return reduce(acc0 + acc1) + (hasMin ? reduce(mins) : 0)
  }

  /// `rowPairs` for one weight row against `count` (2...4) prepared
  /// activations `prepStride` bytes apart: the weight words of each pair
  /// are loaded and shifted once and applied to every activation (register
  /// blocking over activations, for batches). Output k, written to
  /// `out[k * outStride]` (or added to it with `accumulate`), is bit-identical
  /// to `rowPairs(w, prep + k * prepStride, ...)`: the same integer terms
  /// (exact modulo 2^16) and the same float operations in the same order.
  @inline(__always)
  static func rowPairsMulti(
    _ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, prepStride: Int, count: Int, blocks: Int, bits: Int,
    hasMin: Bool, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    let layout = PairLayout(bits: bits, hasMin: hasMin, blocks: blocks)
    let (blockBytes, qsOffset, qhOffset) = PairLayout.weightBlock(bits: bits, hasMin: hasMin)
    // Per activation k: acc (full pairs), tail (an odd last block), mins.
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
    var tail0 = SIMD8<Float>(), tail1 = SIMD8<Float>(), tail2 = SIMD8<Float>(), tail3 = SIMD8<Float>()
    var mins0 = SIMD4<Float>(), mins1 = SIMD4<Float>(), mins2 = SIMD4<Float>(), mins3 = SIMD4<Float>()

    @inline(__always)
    func pair(_ p: Int, single: Bool) {
      let wb = w + p &* (2 &* blockBytes)
      // Weight side, once: d_x (and m_x) as floats, the shifted code words
      // and the fifth-bit lanes.
      let dm: SIMD4<Float>
      if hasMin {
        let dm0 = wb.loadUnaligned(as: UInt32.self)
        let dm1: UInt32 = single ? 0 : wb.loadUnaligned(fromByteOffset: blockBytes, as: UInt32.self)
        dm = halfToFloat(unsafeBitCast(SIMD2<UInt32>(dm0, dm1), to: SIMD4<UInt16>.self))
      } else {
        let d0 = wb.loadUnaligned(as: UInt16.self)
        let d1: UInt16 = single ? 0 : wb.loadUnaligned(fromByteOffset: blockBytes, as: UInt16.self)
        dm = halfToFloat(SIMD4<UInt16>(d0, d1, 0, 0))
      }
      let dSplat = splatHalves(dm[0], dm[1])  // the _0 types
      let lowWords = wb.loadUnaligned(fromByteOffset: qsOffset, as: SIMD8<UInt16>.self)
      let highWords: SIMD8<UInt16> = single ? .zero : wb.loadUnaligned(fromByteOffset: blockBytes &+ qsOffset, as: SIMD8<UInt16>.self)
      let x = SIMD16(lowHalf: lowWords, highHalf: highWords)
      // The 4-bit identity's four shifted words. For the 5-bit types the
      // fifth bits are folded in here, once for all activations: with hb
      // the word of the fifth bits in the nibble positions of x, the terms
      // are linear in the word, so adding 16 * (hb, hb >> 4, hb >> 8,
      // hb >> 12) to (x, x >> 4, x >> 8, x >> 12) adds 16 * the fifth-bit
      // terms, and every activation then costs what a 4-bit one does. The
      // lanes are the same integers (mod 2^16) as `rowPairs` computes with
      // its separate E vectors, so the results stay bit-identical.
      var x0 = x, x4 = x &>> 4, x8 = x &>> 8, x12 = x &>> 12
      if bits == 5 {
        let (lo, hi) = highBitWords(wb, qhOffset: qhOffset, blockBytes: blockBytes, single: single)
        let shift = SIMD16<UInt16>(
          1 << 14, 1 << 12, 1 << 10, 1 << 8, 1 << 6, 1 << 4, 1 << 2, 1,
          1 << 14, 1 << 12, 1 << 10, 1 << 8, 1 << 6, 1 << 4, 1 << 2, 1)
        let vl = (lo &* shift) &>> 14  // bits of elements 2j (α) and 2j+1 (γ)
        let vh = (hi &* shift) &>> 14  // bits of elements 2j+16 (β) and 2j+17 (δ)
        let hb = (vl & 1) | ((vh & 1) &<< 4) | ((vl &>> 1) &<< 8) | ((vh &>> 1) &<< 12)
        x0 &+= hb &<< 4
        x4 &+= (hb &>> 4) &<< 4
        x8 &+= (hb &>> 8) &<< 4
        x12 &+= (hb &>> 12) &<< 4
      }

      // Activation side, per k.
      @inline(__always)
      func apply(_ k: Int, _ acc: inout SIMD8<Float>, _ mins: inout SIMD4<Float>) {
        let a = prep + k &* prepStride
        let c = a + (p &* layout.stride)
        let scales = a + (layout.scalesOffset &+ 32 &* p)
        let scale: SIMD8<Float>
        if hasMin {
          let f = dm * scales.loadUnaligned(as: SIMD4<Float>.self)
          mins = mins.addingProduct(dm, scales.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self))
          scale = splatHalves(f[0], f[2])
        } else {
          scale = dSplat * scales.loadUnaligned(as: SIMD8<Float>.self)
        }
        var t = x0 &* c.loadUnaligned(as: SIMD16<UInt16>.self)
        t &+= x4 &* c.loadUnaligned(fromByteOffset: 32, as: SIMD16<UInt16>.self)
        t &+= x8 &* c.loadUnaligned(fromByteOffset: 64, as: SIMD16<UInt16>.self)
        t &+= x12 &* c.loadUnaligned(fromByteOffset: 96, as: SIMD16<UInt16>.self)
        if !hasMin { t &+= c.loadUnaligned(fromByteOffset: 128, as: SIMD16<UInt16>.self) }
        acc = acc.addingProduct(intToFloat(pairSumNarrow(t)), scale)
      }

      if single {
        apply(0, &tail0, &mins0)
        apply(1, &tail1, &mins1)
        if count >= 3 {
          apply(2, &tail2, &mins2)
        }
        if count == 4 {
          apply(3, &tail3, &mins3)
        }
      } else {
        apply(0, &acc0, &mins0)
        apply(1, &acc1, &mins1)
        if count >= 3 {
          apply(2, &acc2, &mins2)
        }
        if count == 4 {
          apply(3, &acc3, &mins3)
        }
      }
    }

    let fullPairs = blocks >> 1
    var p = 0
    while p < fullPairs {
      pair(p, single: false)
      p &+= 1
    }
    if blocks & 1 != 0 { pair(fullPairs, single: true) }

    @inline(__always)
    func store(_ k: Int, _ acc: SIMD8<Float>, _ tail: SIMD8<Float>, _ mins: SIMD4<Float>) {
      let v = reduce(acc + tail) + (hasMin ? reduce(mins) : 0)
      if accumulate { out[k &* outStride] += v } else { out[k &* outStride] = v }
    }
    store(0, acc0, tail0, mins0)
    store(1, acc1, tail1, mins1)
    if count >= 3 {
      store(2, acc2, tail2, mins2)
    }
    if count == 4 {
      store(3, acc3, tail3, mins3)
    }
  }

  /// One row segment of `blocks` q8_0 blocks against `prepareQ8`'s layout.
  @inline(__always)
  static func rowQ8(_ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, blocks: Int) -> Float {
    let scales = prep + Q8Layout.scalesOffset(blocks: blocks)
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()

    @inline(__always)
    func block(_ b: Int, _ acc: inout SIMD8<Float>) {
      let wb = w + b &* BlockLayout.q8_0Bytes
      let x = wb.loadUnaligned(fromByteOffset: BlockLayout.q8_0Qs, as: SIMD16<Int16>.self)
      let a = prep + (Q8Layout.stride &* b)
      let xf = x ^ 0x0080
      var t = xf &* a.loadUnaligned(as: SIMD16<Int16>.self)
      t &+= (xf &>> 8) &* a.loadUnaligned(fromByteOffset: 32, as: SIMD16<Int16>.self)
      t &+= a.loadUnaligned(fromByteOffset: 64, as: SIMD16<Int16>.self)
      let d = Float(Float16(bitPattern: wb.loadUnaligned(as: UInt16.self)))
        * scales.loadUnaligned(fromByteOffset: 4 &* b, as: Float.self)
      let v = unsafeBitCast(t, to: SIMD8<Int32>.self)
      acc = acc.addingProduct(intToFloat((v &>> 16) &+ (v & 0xFFFF) &- 32768), SIMD8(repeating: d))
    }

    var b = 0
    while b &+ 2 <= blocks {
      block(b, &acc0)
      block(b &+ 1, &acc1)
      b &+= 2
    }
    if b < blocks { block(b, &acc0) }
    return reduce(acc0 + acc1)
  }
}

// MARK: - Multi-activation q8_0 kernel (batches)

extension QuantDot {
  /// `rowQ8` for one weight row against `count` (2...4) prepared
  /// activations `prepStride` bytes apart: each block's code words and
  /// scale are loaded once and applied to every activation. Output k goes
  /// to `out[k * outStride]` and is bit-identical to
  /// `rowQ8(w, prep + k * prepStride, ...)` (the same two accumulator
  /// chains, even and odd blocks).
  @inline(__always)
  static func rowQ8Multi(
    _ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, prepStride: Int, count: Int, blocks: Int,
    _ out: UnsafeMutablePointer<Float>, outStride: Int
  ) {
    let scalesOffset = Q8Layout.scalesOffset(blocks: blocks)
    let p0 = prep, p1 = prep + prepStride, p2 = prep + 2 &* prepStride, p3 = prep + 3 &* prepStride
    var e0 = SIMD8<Float>(), e1 = SIMD8<Float>(), e2 = SIMD8<Float>(), e3 = SIMD8<Float>()
    var o0 = SIMD8<Float>(), o1 = SIMD8<Float>(), o2 = SIMD8<Float>(), o3 = SIMD8<Float>()

    @inline(__always)
    func block(_ b: Int, _ acc0: inout SIMD8<Float>, _ acc1: inout SIMD8<Float>, _ acc2: inout SIMD8<Float>, _ acc3: inout SIMD8<Float>) {
      let wb = w + b &* BlockLayout.q8_0Bytes
      let xf = wb.loadUnaligned(fromByteOffset: BlockLayout.q8_0Qs, as: SIMD16<Int16>.self) ^ 0x0080
      let xs = xf &>> 8
      let dx = Float(Float16(bitPattern: wb.loadUnaligned(as: UInt16.self)))
      let ao = Q8Layout.stride &* b
      @inline(__always)
      func apply(_ p: UnsafeRawPointer, _ acc: inout SIMD8<Float>) {
        let a = p + ao
        var t = xf &* a.loadUnaligned(as: SIMD16<Int16>.self)
        t &+= xs &* a.loadUnaligned(fromByteOffset: 32, as: SIMD16<Int16>.self)
        t &+= a.loadUnaligned(fromByteOffset: 64, as: SIMD16<Int16>.self)
        let d = dx * p.loadUnaligned(fromByteOffset: scalesOffset &+ 4 &* b, as: Float.self)
        let v = unsafeBitCast(t, to: SIMD8<Int32>.self)
        acc = acc.addingProduct(intToFloat((v &>> 16) &+ (v & 0xFFFF) &- 32768), SIMD8(repeating: d))
      }
      apply(p0, &acc0)
      apply(p1, &acc1)
      if count >= 3 {
        apply(p2, &acc2)
      }
      if count == 4 {
        apply(p3, &acc3)
      }
    }

    var b = 0
    while b &+ 2 <= blocks {
      block(b, &e0, &e1, &e2, &e3)
      block(b &+ 1, &o0, &o1, &o2, &o3)
      b &+= 2
    }
    if b < blocks { block(b, &e0, &e1, &e2, &e3) }
    out[0] = reduce(e0 + o0)
    out[outStride] = reduce(e1 + o1)
    if count >= 3 {
      out[2 &* outStride] = reduce(e2 + o2)
    }
    if count == 4 {
      out[3 &* outStride] = reduce(e3 + o3)
    }
  }
}
