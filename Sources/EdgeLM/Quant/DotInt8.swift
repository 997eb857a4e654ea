// Byte-multiply dot products for the 32-element block types on x86 with
// AVX2: what ggml's AVX2 vec_dot and llamafile's tinyBLAS do, written with
// the clang intrinsics Swift imports. This file has the one-block-per-vector
// kernel, which q8_0 uses, and the dispatch of every AVX2 kernel; q4_0,
// q4_1, q5_0 and q5_1 go through DotInt8Pairs.swift (two blocks per vector,
// the same arithmetic with fewer instructions for unpacking), q4_K and q6_K
// through DotInt8K.swift. `Int8Dot` handles the 4- and 5-bit types too.
//
// The weight codes of a block are unsigned (0...15 or 0...31) and the
// activation codes signed bytes, so `vpmaddubsw` multiplies all 32 pairs and
// adds neighbours into Int16 in one instruction (|2 * 31 * 128| fits), and
// `vpmaddwd` by ones adds neighbours again into eight Int32 lanes, the exact
// integer sums of four products each. Per block and activation that is
// maddubs, madd, one add of the code bias, a conversion and a multiply-add:
// about half the instructions of the portable 16-bit identity kernels
// (DotQuantized.swift), which remain the path on other CPUs (and on NEON).
//
// q8_0 weights are signed: |w| is the unsigned operand and w's signs are
// moved onto the activation codes with `vpsignb` (which is why those are
// clamped to -127 when prepared).
//
// The code bias of the _0 types (codes q - 8 and q - 16) is an integer term,
// -bias * sum(activation codes), prepared once per activation block and
// added to lane 0 before the conversion; the _1 types' minimum is a float
// term m_x * s_y kept in a second accumulator. Every activation of a batch
// uses exactly these operations in this order (one accumulator chain over
// the blocks, the same reductions), so the multi-activation kernels give
// bit-identical results to the single one, as MatMulBatchTests requires.
//
// Built only when the build defines EDGELM_AVX2 (Package.swift and
// Cross/build-embedded.sh do when compiling for this machine's CPU and it
// has AVX2): without AVX2 enabled the compiler cannot lower the intrinsics.

#if EDGELM_AVX2
import _Builtin_intrinsics.intel

/// Scratch layout of an activation prepared for `Int8Dot`: per block
/// `stride` bytes, 32-byte aligned when the buffer is:
///   0: the 32 activation codes (Int8)
///  32: d_y in all 8 Float lanes
///  64: the _0 types: Int32 lanes (-bias * sum of the codes, 0, ..., 0);
///      the _1 types: Float lanes (s_y, 0, ..., 0)
enum Int8Layout {
  static let stride = 96
  static func bytes(blocks: Int) -> Int { stride &* blocks }
  /// Blocks that fit the stack scratch of `dotRows` (even, as chunks of the
  /// pair layouts are).
  static let maxBlocks = (scratchBytes / stride) & ~1
}

enum Int8Dot {
  // MARK: - Preparation (once per activation)

  /// Fills the `Int8Layout` for `blocks` activation blocks: q8_1 when
  /// `hasMin` (weights q4_1/q5_1), else q8_0 (weights q4_0/q5_0, and q8_0
  /// with `bits` 8, whose codes are clamped to -127 and need no bias).
  @inline(never)
  static func prepare(
    _ act: UnsafeRawPointer, blocks: Int, bits: Int, hasMin: Bool, into scratch: UnsafeMutableRawPointer
  ) {
    let actBytes = hasMin ? BlockLayout.q8_1Bytes : BlockLayout.q8_0Bytes
    let qs = hasMin ? BlockLayout.q8_1Qs : BlockLayout.q8_0Qs
    let bias: Int32 = bits == 4 ? 8 : 16
    for b in 0..<blocks {
      let y = act + b &* actBytes
      let base = scratch + b &* Int8Layout.stride
      let codes = y.loadUnaligned(fromByteOffset: qs, as: SIMD32<Int8>.self)
      if bits == 8 {
        // vpsignb cannot negate -128 (which `quantize` never makes): -127.
        let clamped = _mm256_max_epi8(unsafeBitCast(codes, to: __m256i.self), _mm256_set1_epi8(-127))
        base.storeBytes(of: clamped, as: __m256i.self)
      } else {
        base.storeBytes(of: codes, as: SIMD32<Int8>.self)
      }
      let d = Float(Float16(bitPattern: y.loadUnaligned(as: UInt16.self)))
      base.storeBytes(of: SIMD8<Float>(repeating: d), toByteOffset: 32, as: SIMD8<Float>.self)
      if hasMin {
        var s = SIMD8<Float>()
        s[0] = Float(Float16(bitPattern: y.loadUnaligned(fromByteOffset: BlockLayout.q8_1S, as: UInt16.self)))
        base.storeBytes(of: s, toByteOffset: 64, as: SIMD8<Float>.self)
      } else if bits == 8 {
        base.storeBytes(of: SIMD8<Int32>(), toByteOffset: 64, as: SIMD8<Int32>.self)
      } else {
        var sum: Int32 = 0
        for i in 0..<32 { sum &+= Int32(codes[i]) }
        var k = SIMD8<Int32>()
        k[0] = -bias &* sum
        base.storeBytes(of: k, toByteOffset: 64, as: SIMD8<Int32>.self)
      }
    }
  }

  // MARK: - Weight side (once per block and row)

  /// The 32 codes of a block as unsigned bytes in element order (low
  /// nibbles are elements 0..<16, high nibbles 16..<32; the 5-bit types OR
  /// in 16 for every set bit of qh).
  @inline(__always)
  static func codes(_ wb: UnsafeRawPointer, qs: Int, qh: Int, bits: Int) -> __m256i {
    // Byte operations through the intrinsics: the stdlib's generic
    // SIMD32<UInt8> operators compile to element loops here.
    let q = wb.loadUnaligned(fromByteOffset: qs, as: __m128i.self)
    let nibbles = _mm256_set_m128i(_mm_srli_epi16(q, 4), q)
    var c = _mm256_and_si256(nibbles, _mm256_set1_epi8(0x0F))
    if bits == 5 {
      // Byte j of qh's splat moves to bytes 8j..<8j+8; OR-ing every bit but
      // bit (i mod 8) of byte i and comparing with all ones tests that bit
      // (ggml's bytes_from_bits_32).
      let h = wb.loadUnaligned(fromByteOffset: qh, as: Int32.self)
      let spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32(h),
        _mm256_set_epi64x(0x0303_0303_0303_0303, 0x0202_0202_0202_0202, 0x0101_0101_0101_0101, 0))
      let set = _mm256_cmpeq_epi8(
        _mm256_or_si256(spread, _mm256_set1_epi64x(0x7FBF_DFEF_F7FB_FDFE)), _mm256_set1_epi64x(-1))
      c = _mm256_or_si256(c, _mm256_and_si256(set, _mm256_set1_epi8(0x10)))
    }
    return c
  }

  /// Eight Int32 lanes, each the sum of four products code * activation.
  @inline(__always)
  static func products(_ codes: __m256i, _ a: UnsafeRawPointer) -> SIMD8<Int32> {
    let pairs = _mm256_maddubs_epi16(codes, a.loadUnaligned(as: __m256i.self))
    return unsafeBitCast(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)), to: SIMD8<Int32>.self)
  }

  // MARK: - Kernel

  /// One weight row of `blocks` blocks (q8_0 when `bits` is 8) against
  /// `count` prepared activations `prepStride` bytes apart (1...8 for the
  /// _0 types and q8_0, 1...4
  /// for the _1 types, whose minimum terms need a second accumulator each);
  /// result k goes to `out[k * outStride]` (added to it with `accumulate`).
  /// `count`, `bits` and `hasMin` are constants after inlining into the
  /// entry points.
  @inline(__always)
  static func row(
    _ w: UnsafeRawPointer, _ prep: UnsafeRawPointer, prepStride: Int, count: Int, blocks: Int, bits: Int,
    hasMin: Bool, _ out: UnsafeMutablePointer<Float>, outStride: Int, accumulate: Bool
  ) {
    let (blockBytes, qsOffset, qhOffset) = bits == 8
      ? (BlockLayout.q8_0Bytes, BlockLayout.q8_0Qs, 0) : PairLayout.weightBlock(bits: bits, hasMin: hasMin)
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
    var acc4 = SIMD8<Float>(), acc5 = SIMD8<Float>(), acc6 = SIMD8<Float>(), acc7 = SIMD8<Float>()
    var min0 = SIMD8<Float>(), min1 = SIMD8<Float>(), min2 = SIMD8<Float>(), min3 = SIMD8<Float>()
    var unused = SIMD8<Float>()

    var b = 0
    while b < blocks {
      let wb = w + b &* blockBytes
      // q8_0: |w| as the unsigned operand, w's signs moved to the
      // activation (vpsignb), as ggml does.
      let signed = bits == 8 ? wb.loadUnaligned(fromByteOffset: qsOffset, as: __m256i.self) : _mm256_setzero_si256()
      let c = bits == 8 ? _mm256_sign_epi8(signed, signed) : codes(wb, qs: qsOffset, qh: qhOffset, bits: bits)
      let d = SIMD8<Float>(repeating: Float(Float16(bitPattern: wb.loadUnaligned(as: UInt16.self))))
      let m = hasMin
        ? SIMD8<Float>(repeating: Float(Float16(bitPattern: wb.loadUnaligned(fromByteOffset: 2, as: UInt16.self))))
        : SIMD8<Float>()
      let a0 = prep + b &* Int8Layout.stride

      @inline(__always)
      func apply(_ k: Int, _ acc: inout SIMD8<Float>, _ mins: inout SIMD8<Float>) {
        let a = a0 + k &* prepStride
        var sums: SIMD8<Int32>
        if bits == 8 {
          let pairs = _mm256_maddubs_epi16(c, _mm256_sign_epi8(a.loadUnaligned(as: __m256i.self), signed))
          sums = unsafeBitCast(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)), to: SIMD8<Int32>.self)
        } else {
          sums = products(c, a)
          if !hasMin { sums &+= a.loadUnaligned(fromByteOffset: 64, as: SIMD8<Int32>.self) }
        }
        acc = acc.addingProduct(intToFloat(sums), d * a.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
        if hasMin { mins = mins.addingProduct(m, a.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)) }
      }
      apply(0, &acc0, &min0)
      if count >= 2 { apply(1, &acc1, &min1) }
      if count >= 3 { apply(2, &acc2, &min2) }
      if count >= 4 { apply(3, &acc3, &min3) }
      if count >= 5 { apply(4, &acc4, &unused) }
      if count >= 6 { apply(5, &acc5, &unused) }
      if count >= 7 { apply(6, &acc6, &unused) }
      if count == 8 { apply(7, &acc7, &unused) }
      b &+= 1
    }

    @inline(__always)
    func store(_ k: Int, _ acc: SIMD8<Float>, _ mins: SIMD8<Float>) {
      let v = reduce(acc) + (hasMin ? reduce(mins) : 0)
      if accumulate { out[k &* outStride] += v } else { out[k &* outStride] = v }
    }
    store(0, acc0, min0)
    if count >= 2 { store(1, acc1, min1) }
    if count >= 3 { store(2, acc2, min2) }
    if count >= 4 { store(3, acc3, min3) }
    if count >= 5 { store(4, acc4, unused) }
    if count >= 6 { store(5, acc5, unused) }
    if count >= 7 { store(6, acc6, unused) }
    if count == 8 { store(7, acc7, unused) }
  }
}

extension QuantKernels {
  /// Whether `type` is computed by `Int8Dot` in this build.
  @inline(__always)
  static func usesInt8(_ type: GGMLType) -> Bool {
    switch type {
    case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q6_K: return true
    default: return false
    }
  }

  /// Bytes of `blocks` prepared blocks of `type` (one of `usesInt8`).
  @inline(__always)
  static func int8PreparedBytes(_ type: GGMLType, blocks: Int) -> Int {
    switch type {
    case .q4_0, .q4_1, .q5_0, .q5_1: return PairInt8Layout.bytes(blocks: blocks)
    case .q4_K, .q6_K: return KInt8Layout.bytes(blocks: blocks)
    default: return Int8Layout.bytes(blocks: blocks)
    }
  }

  /// The most blocks of `type` whose prepared layout fits `scratchBytes`.
  @inline(__always)
  static func int8MaxBlocks(_ type: GGMLType) -> Int {
    switch type {
    case .q4_0, .q4_1, .q5_0, .q5_1: return PairInt8Layout.maxBlocks
    case .q4_K, .q6_K: return KInt8Layout.maxBlocks
    default: return Int8Layout.maxBlocks
    }
  }

  static func int8Prepare(_ type: GGMLType, _ act: UnsafeRawPointer, blocks: Int, into buffer: UnsafeMutableRawPointer) {
    switch type {
    case .q4_0: PairInt8Dot.prepare(act, blocks: blocks, bits: 4, hasMin: false, into: buffer)
    case .q4_1: PairInt8Dot.prepare(act, blocks: blocks, bits: 4, hasMin: true, into: buffer)
    case .q5_0: PairInt8Dot.prepare(act, blocks: blocks, bits: 5, hasMin: false, into: buffer)
    case .q8_0: Int8Dot.prepare(act, blocks: blocks, bits: 8, hasMin: false, into: buffer)
    case .q4_K, .q6_K: KInt8Dot.prepare(act, blocks: blocks, into: buffer)
    default: PairInt8Dot.prepare(act, blocks: blocks, bits: 5, hasMin: true, into: buffer)
    }
  }

  /// out[r] (+)= the row kernel over `blocks` blocks, one activation.
  static func int8RowsPrepared(
    _ type: GGMLType, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer,
    _ blocks: Int, _ out: UnsafeMutablePointer<Float>, accumulate: Bool
  ) {
    switch type {
    case .q4_0: rowsQ4_0i(w, stride, rows, prep, blocks, out, accumulate)
    case .q4_1: rowsQ4_1i(w, stride, rows, prep, blocks, out, accumulate)
    case .q5_0: rowsQ5_0i(w, stride, rows, prep, blocks, out, accumulate)
    case .q8_0: rowsQ8_0i(w, stride, rows, prep, blocks, out, accumulate)
    case .q4_K: rowsQ4_Ki(w, stride, rows, prep, blocks, out, accumulate)
    case .q6_K: rowsQ6_Ki(w, stride, rows, prep, blocks, out, accumulate)
    default: rowsQ5_1i(w, stride, rows, prep, blocks, out, accumulate)
    }
  }

  /// The largest group of activations `int8RowsMulti` takes for `type`.
  @inline(__always)
  static func int8MaxGroup(_ type: GGMLType) -> Int {
    type == .q4_0 || type == .q5_0 || type == .q8_0 ? 8 : 4
  }

  /// The multi-activation loops, `count` 2...4, or 8 when
  /// `int8MaxGroup(type)` is 8.
  static func int8RowsMulti(
    _ type: GGMLType, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer,
    _ prepStride: Int, _ count: Int, _ blocks: Int, _ out: UnsafeMutablePointer<Float>, _ outStride: Int
  ) {
    switch (type, count) {
    case (.q8_0, 8): rowsQ8_0ix8(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q8_0, 4): rowsQ8_0ix4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q8_0, 3): rowsQ8_0ix3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q8_0, _): rowsQ8_0ix2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_0, 8): rowsQ4_0ix8(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q5_0, 8): rowsQ5_0ix8(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_0, 4): rowsQ4_0ix4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_0, 3): rowsQ4_0ix3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_0, _): rowsQ4_0ix2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_1, 4): rowsQ4_1ix4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_1, 3): rowsQ4_1ix3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_1, _): rowsQ4_1ix2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q5_0, 4): rowsQ5_0ix4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q5_0, 3): rowsQ5_0ix3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q5_0, _): rowsQ5_0ix2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_K, 4): rowsQ4_Kix4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_K, 3): rowsQ4_Kix3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_K, _): rowsQ4_Kix2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q6_K, 4): rowsQ6_Kix4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q6_K, 3): rowsQ6_Kix3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q6_K, _): rowsQ6_Kix2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (_, 4): rowsQ5_1ix4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (_, 3): rowsQ5_1ix3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    default: rowsQ5_1ix2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    }
  }

  @inline(__always)
  static func int8Loop(
    _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int,
    _ out: UnsafeMutablePointer<Float>, _ os: Int, count: Int, bits: Int, hasMin: Bool, accumulate: Bool
  ) {
    for r in 0..<rows {
      if bits != 8 {  // two blocks per vector (DotInt8Pairs.swift)
        PairInt8Dot.row(w + r &* stride, p, prepStride: ps, count: count, blocks: n, bits: bits, hasMin: hasMin,
                        out + r, outStride: os, accumulate: accumulate)
      } else {
        Int8Dot.row(w + r &* stride, p, prepStride: ps, count: count, blocks: n, bits: bits, hasMin: hasMin,
                    out + r, outStride: os, accumulate: accumulate)
      }
    }
  }

  // One non-inlined loop per type and activation count (see DotRows.swift).

  @inline(never)
  static func rowsQ4_0i(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    int8Loop(w, stride, rows, p, 0, n, out, 0, count: 1, bits: 4, hasMin: false, accumulate: acc)
  }

  @inline(never)
  static func rowsQ4_0ix8(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 8, bits: 4, hasMin: false, accumulate: false)
  }

  @inline(never)
  static func rowsQ4_0ix4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 4, bits: 4, hasMin: false, accumulate: false)
  }

  @inline(never)
  static func rowsQ4_0ix3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 3, bits: 4, hasMin: false, accumulate: false)
  }

  @inline(never)
  static func rowsQ4_0ix2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 2, bits: 4, hasMin: false, accumulate: false)
  }

  @inline(never)
  static func rowsQ4_1i(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    int8Loop(w, stride, rows, p, 0, n, out, 0, count: 1, bits: 4, hasMin: true, accumulate: acc)
  }

  @inline(never)
  static func rowsQ4_1ix4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 4, bits: 4, hasMin: true, accumulate: false)
  }

  @inline(never)
  static func rowsQ4_1ix3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 3, bits: 4, hasMin: true, accumulate: false)
  }

  @inline(never)
  static func rowsQ4_1ix2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 2, bits: 4, hasMin: true, accumulate: false)
  }

  @inline(never)
  static func rowsQ5_0i(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    int8Loop(w, stride, rows, p, 0, n, out, 0, count: 1, bits: 5, hasMin: false, accumulate: acc)
  }

  @inline(never)
  static func rowsQ5_0ix8(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 8, bits: 5, hasMin: false, accumulate: false)
  }

  @inline(never)
  static func rowsQ5_0ix4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 4, bits: 5, hasMin: false, accumulate: false)
  }

  @inline(never)
  static func rowsQ5_0ix3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 3, bits: 5, hasMin: false, accumulate: false)
  }

  @inline(never)
  static func rowsQ5_0ix2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 2, bits: 5, hasMin: false, accumulate: false)
  }

  @inline(never)
  static func rowsQ5_1i(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    int8Loop(w, stride, rows, p, 0, n, out, 0, count: 1, bits: 5, hasMin: true, accumulate: acc)
  }

  @inline(never)
  static func rowsQ5_1ix4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 4, bits: 5, hasMin: true, accumulate: false)
  }

  @inline(never)
  static func rowsQ5_1ix3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 3, bits: 5, hasMin: true, accumulate: false)
  }

  @inline(never)
  static func rowsQ5_1ix2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 2, bits: 5, hasMin: true, accumulate: false)
  }

  @inline(never)
  static func rowsQ8_0i(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    int8Loop(w, stride, rows, p, 0, n, out, 0, count: 1, bits: 8, hasMin: false, accumulate: acc)
  }

  @inline(never)
  static func rowsQ8_0ix8(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 8, bits: 8, hasMin: false, accumulate: false)
  }

  @inline(never)
  static func rowsQ8_0ix4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 4, bits: 8, hasMin: false, accumulate: false)
  }

  @inline(never)
  static func rowsQ8_0ix3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 3, bits: 8, hasMin: false, accumulate: false)
  }

  @inline(never)
  static func rowsQ8_0ix2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    int8Loop(w, stride, rows, p, ps, n, out, os, count: 2, bits: 8, hasMin: false, accumulate: false)
  }
}
#endif
