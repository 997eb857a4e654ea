// The matrix-vector entry points. The activation is first "prepared" into a
// kernel-friendly layout (Int16 coefficient vectors for the quantized types,
// f32 for f16/bf16; see DotQuantized.swift), then one row kernel runs over
// every row; the type is dispatched once per call. `dotRows` prepares into
// a stack buffer; callers that multiply several matrices (or several row
// ranges, one per thread) by the same activation can prepare once into their
// own buffer and call `dotRowsPrepared`. No allocation on either path.

extension QuantKernels {
  /// Matrix-vector core: `out[r] = dot(weight row r, activation)` for
  /// r in 0..<rows.
  /// - Parameters:
  ///   - type: the weight type; must satisfy `isSupported` (other types
  ///     write zeros).
  ///   - weights: `rows` rows, each `rowStride` bytes apart, each `cols`
  ///     elements of `type`. Any alignment.
  ///   - activation: `cols` elements already in `activationType(for: type)`
  ///     format (q8 blocks as `quantize` makes them; a q8_0 code of -128,
  ///     which `quantize` never produces, is read as -127; q8_K bsums must
  ///     be the sums of their 16 codes, as ggml assumes).
  ///   - cols: a multiple of `type.blockSize`; a partial trailing block is
  ///     ignored.
  ///   - out: `rows` floats.
  /// The activation is prepared once per call, which costs about as much as
  /// one row: call it with many rows at once (or use `dotRowsPrepared`).
  public static func dotRows(
    _ type: GGMLType, weights: UnsafeRawPointer, rowStride: Int, rows: Int,
    activation: UnsafeRawPointer, cols: Int, out: UnsafeMutablePointer<Float>
  ) {
    guard rows > 0 else { return }
    guard isSupported(type) else {
      for r in 0..<rows { out[r] = 0 }
      return
    }
    let blocks = Swift.max(0, cols / type.blockSize)
    if type == .f32 {  // already in kernel format
      rowsPrepared(type, weights, rowStride, rows, activation, blocks, out, accumulate: false)
      return
    }
    withPreparedChunks(type, activation, blocks: blocks) { prep, c0, n in
      rowsPrepared(type, weights + c0 &* type.blockBytes, rowStride, rows, prep, n, out, accumulate: c0 > 0)
    }
  }

  /// Prepares `activation` (`blocks` blocks in `activationType(for: type)`
  /// format) on the stack and calls `body(prepared, firstBlock, count)`:
  /// once when it fits the small buffer, else per chunk of columns that fits
  /// the large one (one chunk for every matrix of the models we target).
  /// No allocation.
  @inline(__always)
  static func withPreparedChunks(
    _ type: GGMLType, _ activation: UnsafeRawPointer, blocks: Int, _ body: (UnsafeRawPointer, Int, Int) -> Void
  ) {
    if preparedBytes(type, blocks: blocks) <= smallScratchBytes {
      withSmallScratch { scratch in
        prepare(type, activation, blocks: blocks, into: scratch)
        body(UnsafeRawPointer(scratch), 0, blocks)
      }
      return
    }
    let chunk = maxPreparedBlocks(type)
    let actBytes = activationType(for: type).blockBytes
    withScratch { scratch in
      var c0 = 0
      repeat {
        let n = Swift.min(chunk, blocks &- c0)
        prepare(type, activation + c0 &* actBytes, blocks: n, into: scratch)
        body(UnsafeRawPointer(scratch), c0, n)
        c0 &+= n
      } while c0 < blocks
    }
  }

  /// How many of the `left` activations of a batch the next multi-activation
  /// kernel call takes: groups of 4; a remainder of 2 or 3 is one group, and
  /// 5 goes as 3 + 2 rather than 4 + 1 (the single kernel reads the rows
  /// again for one activation only).
  @inline(__always)
  static func batchGroup(_ left: Int) -> Int { left == 5 ? 3 : Swift.min(left, 4) }

  /// Bytes `prepareActivation` writes for `cols` columns of weights of
  /// `type` (0 for unsupported types).
  public static func preparedActivationBytes(_ type: GGMLType, cols: Int) -> Int {
    guard isSupported(type), cols > 0 else { return 0 }
    return preparedBytes(type, blocks: cols / type.blockSize)
  }

  /// Converts an activation (`cols` elements in `activationType(for: type)`
  /// format) into the layout `dotRowsPrepared` reads.
  /// - Parameter buffer: `preparedActivationBytes(type, cols:)` bytes, any
  ///   alignment (64-byte aligned is fastest).
  public static func prepareActivation(
    _ type: GGMLType, _ activation: UnsafeRawPointer, cols: Int, into buffer: UnsafeMutableRawPointer
  ) {
    guard isSupported(type), cols > 0 else { return }
    prepare(type, activation, blocks: cols / type.blockSize, into: buffer)
  }

  /// `dotRows` with an activation already converted by `prepareActivation`
  /// (same `type` and `cols`). Safe to call from several threads at once on
  /// the same prepared buffer.
  public static func dotRowsPrepared(
    _ type: GGMLType, weights: UnsafeRawPointer, rowStride: Int, rows: Int,
    prepared: UnsafeRawPointer, cols: Int, out: UnsafeMutablePointer<Float>
  ) {
    guard rows > 0 else { return }
    guard isSupported(type) else {
      for r in 0..<rows { out[r] = 0 }
      return
    }
    rowsPrepared(type, weights, rowStride, rows, prepared, Swift.max(0, cols / type.blockSize), out, accumulate: false)
  }

  /// `dotRowsPrepared` for `batch` prepared activations `preparedStride`
  /// bytes apart: `out[t * outStride + r] = dot(weight row r, activation t)`.
  /// The activations go in groups of 2 to 4 (up to 12 for the float types, 8 for some AVX2 kernels)
  /// through a kernel that reads
  /// (and decodes) each weight row once per group; the results are
  /// bit-identical to `dotRowsPrepared` one activation at a time, which a
  /// last single activation (and q2_K, q3_K) uses.
  public static func dotRowsPreparedBatch(
    _ type: GGMLType, weights: UnsafeRawPointer, rowStride: Int, rows: Int,
    prepared: UnsafeRawPointer, preparedStride: Int, batch: Int, cols: Int,
    out: UnsafeMutablePointer<Float>, outStride: Int
  ) {
    guard rows > 0, batch > 0 else { return }
    var t = 0
    if isSupported(type) {
      let blocks = Swift.max(0, cols / type.blockSize)
      while t &+ 2 <= batch {
        let left = batch &- t
        var count = batchGroup(left)
        if type == .f32 || type == .f16 || type == .bf16 {
          // Up to 12 at a time (FloatDot.rows).
          count = Swift.min(left, 12)
        }
        #if EDGELM_AVX512VNNI
        // With 32 registers the int8 kernels of q8_0 and the pair types take
        // any group of 2...8: up to 8 in one group, 9...15 as two halves.
        if usesInt8(type) && int8MaxGroup(type) == 8 { count = left <= 8 ? left : (left < 16 ? (left &+ 1) / 2 : 8) }
        #elseif EDGELM_AVX2
        // The int8 kernels of the _0 types take 8 at a time.
        if left >= 8 && int8MaxGroup(type) == 8 { count = 8 }
        #endif
        let p = prepared + t &* preparedStride, o = out + t &* outStride
        guard rowsPreparedMulti(type, weights, rowStride, rows, p, preparedStride, count, blocks, o, outStride) else {
          break
        }
        t &+= count
      }
    }
    while t < batch {
      dotRowsPrepared(
        type, weights: weights, rowStride: rowStride, rows: rows, prepared: prepared + t &* preparedStride,
        cols: cols, out: out + t &* outStride)
      t &+= 1
    }
  }

  /// The multi-activation row loops (`count` 2...4; 2...12 for the float
  /// types; up to `int8MaxGroup` for the int8 kernels); false for types
  /// without one.
  static func rowsPreparedMulti(
    _ type: GGMLType, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer,
    _ prepStride: Int, _ count: Int, _ blocks: Int, _ out: UnsafeMutablePointer<Float>, _ outStride: Int
  ) -> Bool {
    #if EDGELM_AVX2
    if usesInt8(type) {
      int8RowsMulti(type, w, stride, rows, prep, prepStride, count, blocks, out, outStride)
      return true
    }
    #elseif EDGELM_ARM_KERNELS
    if usesArm(type) {
      armRowsMulti(type, w, stride, rows, prep, prepStride, count, blocks, out, outStride)
      return true
    }
    #endif
    switch (type, count) {
    case (.f32, 12): rowsF32x12(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f32, 11): rowsF32x11(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f32, 10): rowsF32x10(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f32, 9): rowsF32x9(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f32, 8): rowsF32x8(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f32, 7): rowsF32x7(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f32, 6): rowsF32x6(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f32, 5): rowsF32x5(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f32, 4): rowsF32x4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f32, 3): rowsF32x3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f32, _): rowsF32x2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f16, 12): rowsF16x12(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f16, 11): rowsF16x11(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f16, 10): rowsF16x10(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f16, 9): rowsF16x9(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f16, 8): rowsF16x8(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f16, 7): rowsF16x7(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f16, 6): rowsF16x6(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f16, 5): rowsF16x5(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f16, 4): rowsF16x4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f16, 3): rowsF16x3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.f16, _): rowsF16x2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.bf16, 12): rowsBF16x12(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.bf16, 11): rowsBF16x11(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.bf16, 10): rowsBF16x10(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.bf16, 9): rowsBF16x9(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.bf16, 8): rowsBF16x8(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.bf16, 7): rowsBF16x7(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.bf16, 6): rowsBF16x6(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.bf16, 5): rowsBF16x5(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.bf16, 4): rowsBF16x4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.bf16, 3): rowsBF16x3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.bf16, _): rowsBF16x2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_0, 4): rowsQ4_0x4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_0, 3): rowsQ4_0x3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_0, _): rowsQ4_0x2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_1, 4): rowsQ4_1x4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_1, 3): rowsQ4_1x3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_1, _): rowsQ4_1x2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q5_0, 4): rowsQ5_0x4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q5_0, 3): rowsQ5_0x3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q5_0, _): rowsQ5_0x2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q5_1, 4): rowsQ5_1x4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q5_1, 3): rowsQ5_1x3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q5_1, _): rowsQ5_1x2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q8_0, 4): rowsQ8_0x4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q8_0, 3): rowsQ8_0x3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q8_0, _): rowsQ8_0x2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_K, 4): rowsQ4_Kx4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_K, 3): rowsQ4_Kx3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q4_K, _): rowsQ4_Kx2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q5_K, 4): rowsQ5_Kx4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q5_K, 3): rowsQ5_Kx3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q5_K, _): rowsQ5_Kx2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q6_K, 4): rowsQ6_Kx4(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q6_K, 3): rowsQ6_Kx3(w, stride, rows, prep, prepStride, blocks, out, outStride)
    case (.q6_K, _): rowsQ6_Kx2(w, stride, rows, prep, prepStride, blocks, out, outStride)
    default: return false
    }
    return true
  }

  // MARK: - Dispatch

  static func preparedBytes(_ type: GGMLType, blocks: Int) -> Int {
    #if EDGELM_AVX2
    if usesInt8(type) { return int8PreparedBytes(type, blocks: blocks) }
    #elseif EDGELM_ARM_KERNELS
    if usesArm(type) { return armPreparedBytes(type, blocks: blocks) }
    #endif
    switch type {
    case .f32, .f16, .bf16: return 4 * blocks
    case .q4_0: return PairLayout(bits: 4, hasMin: false, blocks: blocks).bytes
    case .q4_1: return PairLayout(bits: 4, hasMin: true, blocks: blocks).bytes
    case .q5_0: return PairLayout(bits: 5, hasMin: false, blocks: blocks).bytes
    case .q5_1: return PairLayout(bits: 5, hasMin: true, blocks: blocks).bytes
    case .q8_0: return Q8Layout.scalesOffset(blocks: blocks) + 4 * blocks
    case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return KPrepared.bytes(blocks: blocks)
    default: return 0
    }
  }

  /// The most blocks whose prepared layout fits `scratchBytes` (even, so
  /// chunks split at pair boundaries).
  static func maxPreparedBlocks(_ type: GGMLType) -> Int {
    #if EDGELM_AVX2
    if usesInt8(type) { return int8MaxBlocks(type) }
    #elseif EDGELM_ARM_KERNELS
    if usesArm(type) { return armMaxBlocks(type) }
    #endif
    switch type {
    case .f16, .bf16: return scratchBytes / 4
    case .q4_0: return PairLayout.maxBlocks(bits: 4, hasMin: false)
    case .q4_1: return PairLayout.maxBlocks(bits: 4, hasMin: true)
    case .q5_0: return PairLayout.maxBlocks(bits: 5, hasMin: false)
    case .q5_1: return PairLayout.maxBlocks(bits: 5, hasMin: true)
    case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return KPrepared.maxBlocks
    default: return Q8Layout.maxBlocks & ~1
    }
  }

  static func prepare(_ type: GGMLType, _ activation: UnsafeRawPointer, blocks: Int, into buffer: UnsafeMutableRawPointer) {
    #if EDGELM_AVX2
    if usesInt8(type) { return int8Prepare(type, activation, blocks: blocks, into: buffer) }
    #elseif EDGELM_ARM_KERNELS
    if usesArm(type) { return armPrepare(type, activation, blocks: blocks, into: buffer) }
    #endif
    switch type {
    case .f32: buffer.copyMemory(from: activation, byteCount: 4 &* blocks)
    case .f16: FloatDot.widenActivation(activation, count: blocks, bf16: false, into: buffer)
    case .bf16: FloatDot.widenActivation(activation, count: blocks, bf16: true, into: buffer)
    case .q4_0: QuantDot.preparePairs(activation, blocks: blocks, bits: 4, hasMin: false, into: buffer)
    case .q4_1: QuantDot.preparePairs(activation, blocks: blocks, bits: 4, hasMin: true, into: buffer)
    case .q5_0: QuantDot.preparePairs(activation, blocks: blocks, bits: 5, hasMin: false, into: buffer)
    case .q5_1: QuantDot.preparePairs(activation, blocks: blocks, bits: 5, hasMin: true, into: buffer)
    case .q8_0: QuantDot.prepareQ8(activation, blocks: blocks, into: buffer)
    case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: KDot.prepare(activation, blocks: blocks, into: buffer)
    default: break
    }
  }

  /// out[r] (+)= row kernel over `blocks` blocks, for every row.
  static func rowsPrepared(
    _ type: GGMLType, _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ prep: UnsafeRawPointer,
    _ blocks: Int, _ out: UnsafeMutablePointer<Float>, accumulate: Bool
  ) {
    #if EDGELM_AVX2
    if usesInt8(type) { return int8RowsPrepared(type, w, stride, rows, prep, blocks, out, accumulate: accumulate) }
    #elseif EDGELM_ARM_KERNELS
    if usesArm(type) { return armRows(type, w, stride, rows, prep, blocks, out, accumulate: accumulate) }
    #endif
    switch type {
    case .f32: rowsF32(w, stride, rows, prep, blocks, out, accumulate)
    case .f16: rowsF16(w, stride, rows, prep, blocks, out, accumulate)
    case .bf16: rowsBF16(w, stride, rows, prep, blocks, out, accumulate)
    case .q4_0: rowsQ4_0(w, stride, rows, prep, blocks, out, accumulate)
    case .q4_1: rowsQ4_1(w, stride, rows, prep, blocks, out, accumulate)
    case .q5_0: rowsQ5_0(w, stride, rows, prep, blocks, out, accumulate)
    case .q5_1: rowsQ5_1(w, stride, rows, prep, blocks, out, accumulate)
    case .q8_0: rowsQ8_0(w, stride, rows, prep, blocks, out, accumulate)
    case .q2_K: rowsQ2_K(w, stride, rows, prep, blocks, out, accumulate)
    case .q3_K: rowsQ3_K(w, stride, rows, prep, blocks, out, accumulate)
    case .q4_K: rowsQ4_K(w, stride, rows, prep, blocks, out, accumulate)
    case .q5_K: rowsQ5_K(w, stride, rows, prep, blocks, out, accumulate)
    case .q6_K: rowsQ6_K(w, stride, rows, prep, blocks, out, accumulate)
    default: break
    }
  }

  // One non-inlined row loop per type: each kernel is compiled for its type
  // alone and is easy to find in `-emit-assembly` output and in profiles.

  @inline(__always)
  static func forEachRow(
    _ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ out: UnsafeMutablePointer<Float>, _ accumulate: Bool,
    _ row: (UnsafeRawPointer) -> Float
  ) {
    if accumulate {
      for r in 0..<rows { out[r] += row(w + r &* stride) }
    } else {
      for r in 0..<rows { out[r] = row(w + r &* stride) }
    }
  }

  @inline(never)
  static func rowsF32(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ a: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    FloatDot.rows(w, stride: stride, rows: rows, a, prepStride: 0, count: 1, n: n, kind: .f32, out, outStride: 0, accumulate: acc)
  }

  @inline(never)
  static func rowsF16(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ a: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    FloatDot.rows(w, stride: stride, rows: rows, a, prepStride: 0, count: 1, n: n, kind: .f16, out, outStride: 0, accumulate: acc)
  }

  @inline(never)
  static func rowsBF16(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ a: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    FloatDot.rows(w, stride: stride, rows: rows, a, prepStride: 0, count: 1, n: n, kind: .bf16, out, outStride: 0, accumulate: acc)
  }

  @inline(never)
  static func rowsQ4_0(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    forEachRow(w, stride, rows, out, acc) { QuantDot.rowPairs($0, p, blocks: n, bits: 4, hasMin: false) }
  }

  @inline(never)
  static func rowsQ4_1(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    forEachRow(w, stride, rows, out, acc) { QuantDot.rowPairs($0, p, blocks: n, bits: 4, hasMin: true) }
  }

  @inline(never)
  static func rowsQ5_0(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    forEachRow(w, stride, rows, out, acc) { QuantDot.rowPairs($0, p, blocks: n, bits: 5, hasMin: false) }
  }

  @inline(never)
  static func rowsQ5_1(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    forEachRow(w, stride, rows, out, acc) { QuantDot.rowPairs($0, p, blocks: n, bits: 5, hasMin: true) }
  }

  @inline(never)
  static func rowsQ8_0(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    forEachRow(w, stride, rows, out, acc) { QuantDot.rowQ8($0, p, blocks: n) }
  }

  @inline(never)
  static func rowsQ2_K(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    forEachRow(w, stride, rows, out, acc) { KDot.rowQ2($0, p, blocks: n) }
  }

  @inline(never)
  static func rowsQ3_K(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    forEachRow(w, stride, rows, out, acc) { KDot.rowQ3($0, p, blocks: n) }
  }

  @inline(never)
  static func rowsQ4_K(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    forEachRow(w, stride, rows, out, acc) { KDot.rowQ45($0, p, blocks: n, high: false) }
  }

  @inline(never)
  static func rowsQ5_K(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    forEachRow(w, stride, rows, out, acc) { KDot.rowQ45($0, p, blocks: n, high: true) }
  }

  @inline(never)
  static func rowsQ6_K(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ acc: Bool) {
    forEachRow(w, stride, rows, out, acc) { KDot.rowQ6($0, p, blocks: n) }
  }

  // MARK: - Multi-activation row loops

  // One non-inlined loop per type and activation count, so that each
  // kernel is compiled with its count a constant (one function holding
  // several inlined copies compiled some of them into much slower code).

  // The float kernels: FloatDot.rows with the activation count a constant.

  @inline(never)
  static func rowsF32x2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 2, n: n, kind: .f32, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF32x3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 3, n: n, kind: .f32, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF32x4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 4, n: n, kind: .f32, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF32x5(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 5, n: n, kind: .f32, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF32x6(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 6, n: n, kind: .f32, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF32x7(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 7, n: n, kind: .f32, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF32x8(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 8, n: n, kind: .f32, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF32x9(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 9, n: n, kind: .f32, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF32x10(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 10, n: n, kind: .f32, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF32x11(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 11, n: n, kind: .f32, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF32x12(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 12, n: n, kind: .f32, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF16x2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 2, n: n, kind: .f16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF16x3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 3, n: n, kind: .f16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF16x4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 4, n: n, kind: .f16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF16x5(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 5, n: n, kind: .f16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF16x6(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 6, n: n, kind: .f16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF16x7(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 7, n: n, kind: .f16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF16x8(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 8, n: n, kind: .f16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF16x9(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 9, n: n, kind: .f16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF16x10(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 10, n: n, kind: .f16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF16x11(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 11, n: n, kind: .f16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsF16x12(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 12, n: n, kind: .f16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsBF16x2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 2, n: n, kind: .bf16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsBF16x3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 3, n: n, kind: .bf16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsBF16x4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 4, n: n, kind: .bf16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsBF16x5(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 5, n: n, kind: .bf16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsBF16x6(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 6, n: n, kind: .bf16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsBF16x7(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 7, n: n, kind: .bf16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsBF16x8(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 8, n: n, kind: .bf16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsBF16x9(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 9, n: n, kind: .bf16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsBF16x10(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 10, n: n, kind: .bf16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsBF16x11(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 11, n: n, kind: .bf16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsBF16x12(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    FloatDot.rows(w, stride: stride, rows: rows, p, prepStride: ps, count: 12, n: n, kind: .bf16, out, outStride: os, accumulate: false)
  }

  @inline(never)
  static func rowsQ4_0x4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowPairsMulti(w + r &* stride, p, prepStride: ps, count: 4, blocks: n, bits: 4, hasMin: false, out + r, outStride: os, accumulate: false)
    }
  }

  @inline(never)
  static func rowsQ4_0x3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowPairsMulti(w + r &* stride, p, prepStride: ps, count: 3, blocks: n, bits: 4, hasMin: false, out + r, outStride: os, accumulate: false)
    }
  }

  @inline(never)
  static func rowsQ4_0x2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowPairsMulti(w + r &* stride, p, prepStride: ps, count: 2, blocks: n, bits: 4, hasMin: false, out + r, outStride: os, accumulate: false)
    }
  }

  @inline(never)
  static func rowsQ4_1x4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowPairsMulti(w + r &* stride, p, prepStride: ps, count: 4, blocks: n, bits: 4, hasMin: true, out + r, outStride: os, accumulate: false)
    }
  }

  @inline(never)
  static func rowsQ4_1x3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowPairsMulti(w + r &* stride, p, prepStride: ps, count: 3, blocks: n, bits: 4, hasMin: true, out + r, outStride: os, accumulate: false)
    }
  }

  @inline(never)
  static func rowsQ4_1x2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowPairsMulti(w + r &* stride, p, prepStride: ps, count: 2, blocks: n, bits: 4, hasMin: true, out + r, outStride: os, accumulate: false)
    }
  }

  @inline(never)
  static func rowsQ5_0x4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowPairsMulti(w + r &* stride, p, prepStride: ps, count: 4, blocks: n, bits: 5, hasMin: false, out + r, outStride: os, accumulate: false)
    }
  }

  @inline(never)
  static func rowsQ5_0x3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowPairsMulti(w + r &* stride, p, prepStride: ps, count: 3, blocks: n, bits: 5, hasMin: false, out + r, outStride: os, accumulate: false)
    }
  }

  @inline(never)
  static func rowsQ5_0x2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowPairsMulti(w + r &* stride, p, prepStride: ps, count: 2, blocks: n, bits: 5, hasMin: false, out + r, outStride: os, accumulate: false)
    }
  }

  @inline(never)
  static func rowsQ5_1x4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowPairsMulti(w + r &* stride, p, prepStride: ps, count: 4, blocks: n, bits: 5, hasMin: true, out + r, outStride: os, accumulate: false)
    }
  }

  @inline(never)
  static func rowsQ5_1x3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowPairsMulti(w + r &* stride, p, prepStride: ps, count: 3, blocks: n, bits: 5, hasMin: true, out + r, outStride: os, accumulate: false)
    }
  }

  @inline(never)
  static func rowsQ5_1x2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowPairsMulti(w + r &* stride, p, prepStride: ps, count: 2, blocks: n, bits: 5, hasMin: true, out + r, outStride: os, accumulate: false)
    }
  }

  @inline(never)
  static func rowsQ8_0x4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowQ8Multi(w + r &* stride, p, prepStride: ps, count: 4, blocks: n, out + r, outStride: os)
    }
  }

  @inline(never)
  static func rowsQ8_0x3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowQ8Multi(w + r &* stride, p, prepStride: ps, count: 3, blocks: n, out + r, outStride: os)
    }
  }

  @inline(never)
  static func rowsQ8_0x2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      QuantDot.rowQ8Multi(w + r &* stride, p, prepStride: ps, count: 2, blocks: n, out + r, outStride: os)
    }
  }

  @inline(never)
  static func rowsQ4_Kx4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      KDot.rowQ45Multi(w + r &* stride, p, prepStride: ps, count: 4, blocks: n, high: false, out + r, outStride: os)
    }
  }

  @inline(never)
  static func rowsQ4_Kx3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      KDot.rowQ45Multi(w + r &* stride, p, prepStride: ps, count: 3, blocks: n, high: false, out + r, outStride: os)
    }
  }

  @inline(never)
  static func rowsQ4_Kx2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      KDot.rowQ45Multi(w + r &* stride, p, prepStride: ps, count: 2, blocks: n, high: false, out + r, outStride: os)
    }
  }

  @inline(never)
  static func rowsQ5_Kx4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      KDot.rowQ45Multi(w + r &* stride, p, prepStride: ps, count: 4, blocks: n, high: true, out + r, outStride: os)
    }
  }

  @inline(never)
  static func rowsQ5_Kx3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      KDot.rowQ45Multi(w + r &* stride, p, prepStride: ps, count: 3, blocks: n, high: true, out + r, outStride: os)
    }
  }

  @inline(never)
  static func rowsQ5_Kx2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      KDot.rowQ45Multi(w + r &* stride, p, prepStride: ps, count: 2, blocks: n, high: true, out + r, outStride: os)
    }
  }

  @inline(never)
  static func rowsQ6_Kx4(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      KDot.rowQ6Multi(w + r &* stride, p, prepStride: ps, count: 4, blocks: n, out + r, outStride: os)
    }
  }

  @inline(never)
  static func rowsQ6_Kx3(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      KDot.rowQ6Multi(w + r &* stride, p, prepStride: ps, count: 3, blocks: n, out + r, outStride: os)
    }
  }

  @inline(never)
  static func rowsQ6_Kx2(_ w: UnsafeRawPointer, _ stride: Int, _ rows: Int, _ p: UnsafeRawPointer, _ ps: Int, _ n: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int) {
    for r in 0..<rows {
      KDot.rowQ6Multi(w + r &* stride, p, prepStride: ps, count: 2, blocks: n, out + r, outStride: os)
    }
  }
}
