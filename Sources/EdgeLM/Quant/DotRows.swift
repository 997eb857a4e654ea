// The matrix-vector entry points. The activation is first "prepared" into the
// layout the type's kernel reads (Int16 coefficient vectors for the portable
// quantized kernels, bytes for the int8 ones, f32 for f16/bf16), then the
// kernel's row loop runs over every row. The kernel is the one the registry
// chose for this CPU (KernelRegistry.swift), looked up once per call. `dotRows` prepares into
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
    guard let kernel = kernel(type) else {
      for r in 0..<rows { out[r] = 0 }
      return
    }
    let blocks = Swift.max(0, cols / type.blockSize)
    if type == .f32 {  // already in kernel format
      kernel.rows(weights, rowStride, rows, activation, blocks, out, false)
      return
    }
    withPreparedChunks(type, kernel, activation, blocks: blocks) { prep, c0, n in
      kernel.rows(weights + c0 &* type.blockBytes, rowStride, rows, prep, n, out, c0 > 0)
    }
  }

  /// Prepares `activation` (`blocks` blocks in `activationType(for: type)`
  /// format) for `kernel`, the registry's kernel of `type`, on the stack and calls `body(prepared, firstBlock, count)`:
  /// once when it fits the small buffer, else per chunk of columns that fits
  /// the large one (one chunk for every matrix of the models we target).
  /// No allocation.
  @inline(__always)
  static func withPreparedChunks(
    _ type: GGMLType, _ kernel: RowKernels, _ activation: UnsafeRawPointer, blocks: Int,
    _ body: (UnsafeRawPointer, Int, Int) -> Void
  ) {
    if kernel.preparedBytes(blocks) <= smallScratchBytes {
      withSmallScratch { scratch in
        kernel.prepare(activation, blocks, scratch)
        body(UnsafeRawPointer(scratch), 0, blocks)
      }
      return
    }
    let chunk = kernel.maxBlocks
    let actBytes = activationType(for: type).blockBytes
    withScratch { scratch in
      var c0 = 0
      repeat {
        let n = Swift.min(chunk, blocks &- c0)
        kernel.prepare(activation + c0 &* actBytes, n, scratch)
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
    guard cols > 0, let kernel = kernel(type) else { return 0 }
    return kernel.preparedBytes(cols / type.blockSize)
  }

  /// Converts an activation (`cols` elements in `activationType(for: type)`
  /// format) into the layout `dotRowsPrepared` reads.
  /// - Parameter buffer: `preparedActivationBytes(type, cols:)` bytes, any
  ///   alignment (64-byte aligned is fastest).
  public static func prepareActivation(
    _ type: GGMLType, _ activation: UnsafeRawPointer, cols: Int, into buffer: UnsafeMutableRawPointer
  ) {
    guard cols > 0, let kernel = kernel(type) else { return }
    kernel.prepare(activation, cols / type.blockSize, buffer)
  }

  /// `dotRows` with an activation already converted by `prepareActivation`
  /// (same `type` and `cols`). Safe to call from several threads at once on
  /// the same prepared buffer.
  public static func dotRowsPrepared(
    _ type: GGMLType, weights: UnsafeRawPointer, rowStride: Int, rows: Int,
    prepared: UnsafeRawPointer, cols: Int, out: UnsafeMutablePointer<Float>
  ) {
    guard rows > 0 else { return }
    guard let kernel = kernel(type) else {
      for r in 0..<rows { out[r] = 0 }
      return
    }
    kernel.rows(weights, rowStride, rows, prepared, Swift.max(0, cols / type.blockSize), out, false)
  }

  /// `dotRowsPrepared` for `batch` prepared activations `preparedStride`
  /// bytes apart: `out[t * outStride + r] = dot(weight row r, activation t)`.
  /// The activations go in the groups the kernel takes (`RowKernel.group`:
  /// 2 to 4, up to 12 for the float types, 8 for some x86 kernels) through
  /// a loop that reads (and decodes) each weight row once per group; the
  /// results are bit-identical to `dotRowsPrepared` one activation at a
  /// time, which a last single activation (and q2_K, q3_K) uses.
  public static func dotRowsPreparedBatch(
    _ type: GGMLType, weights: UnsafeRawPointer, rowStride: Int, rows: Int,
    prepared: UnsafeRawPointer, preparedStride: Int, batch: Int, cols: Int,
    out: UnsafeMutablePointer<Float>, outStride: Int
  ) {
    guard rows > 0, batch > 0 else { return }
    var t = 0
    if let kernel = kernel(type) {
      let blocks = Swift.max(0, cols / type.blockSize)
      while t &+ 2 <= batch {
        let count = kernel.group(batch &- t)
        guard count > 1 else { break }
        kernel.rowsMulti(weights, rowStride, rows, prepared + t &* preparedStride, preparedStride, count, blocks,
                         out + t &* outStride, outStride)
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
}
