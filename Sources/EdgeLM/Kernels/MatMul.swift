// Matrix-vector and matrix-matrix products of quantized weights with float
// activations, multi-threaded over output rows.
//
// As in ggml, activations are first converted once per product to the
// weight type's `activationType` (Q8_0/Q8_1 blocks for the 4/5/8-bit
// formats), then every output is a fused dot product of one weight row with
// one converted activation row.

/// A view of a 2-D weight tensor inside the model mapping (no copy).
public struct WeightMatrix {
  public let type: GGMLType
  public let data: UnsafeRawPointer
  /// Output features (ggml ne1).
  public let rows: Int
  /// Input features (ggml ne0), a whole number of blocks.
  public let cols: Int
  /// Bytes between consecutive rows.
  public let rowStride: Int
  /// The packed copy the products read instead of `data`, if the model
  /// packed this matrix (Quant/Arm/PackedWeights.swift); `data` stays the
  /// file's rows (embedding lookups read those).
  public let packed: PackedRows?

  public init(type: GGMLType, data: UnsafeRawPointer, rows: Int, cols: Int, rowStride: Int, packed: PackedRows? = nil) {
    self.type = type
    self.data = data
    self.rows = rows
    self.cols = cols
    self.rowStride = rowStride
    self.packed = packed
  }

  /// Dequantizes row `row` into `dst` (`cols` floats): embedding lookups.
  /// A packed matrix reads its packed copy (the file's pages of it were
  /// released).
  public func dequantizeRow(_ row: Int, into dst: UnsafeMutablePointer<Float>) {
    if let p = packed {
      QuantKernels.dequantizePackedRow(type, packed: p.base, row: p.firstRow + row, cols: cols, into: dst)
      return
    }
    QuantKernels.dequantize(type, data + row * rowStride, dst, count: cols)
  }
}

/// Scratch space for converted activations, sized for the largest product.
public final class MatMulScratch {
  /// (maxBatch, maxCols * 4) activations in the weight type's dot format.
  let converted: AlignedBuffer<UInt8>
  /// (maxBatch, preparedStride) converted activations in the kernels'
  /// prepared layout (for batches: prepared once, read by every tile).
  let prepared: AlignedBuffer<UInt8>
  let preparedStride: Int

  /// - Parameters:
  ///   - maxCols: the largest input width of any product.
  ///   - maxBatch: the largest number of activation rows.
  public init(maxCols: Int, maxBatch: Int) throws(EdgeLMError) {
    // The widest activation format is f32 (4 bytes per element).
    converted = try AlignedBuffer<UInt8>.allocate(count: maxCols * 4 * maxBatch + 64)
    var widest = 0
    for t in [GGMLType.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K] {
      widest = max(widest, QuantKernels.preparedActivationBytes(t, cols: maxCols))
    }
    preparedStride = (widest + 63) & ~63
    prepared = try AlignedBuffer<UInt8>.allocate(count: preparedStride * maxBatch + 64)
  }
}

public enum MatMul {
  /// Output rows per tile in the batched kernel: a tile of weight rows stays
  /// in cache while every activation row of the batch passes over it.
  static let rowTile = 16

  /// Batches of at most this many input elements are converted and
  /// prepared on the calling thread (for a batch of speculative-decoding
  /// tokens a parallel pass costs more in synchronisation than it saves).
  static let serialPrepareElements = 4 * 1024

  /// One input row in the dot format of `type`'s kernels: the input itself
  /// for f32 activations, else quantized into `scratch.converted`.
  @inline(__always)
  static func convertOneRow(
    _ type: GGMLType, _ input: UnsafePointer<Float>, cols: Int, scratch: MatMulScratch
  ) -> UnsafeRawPointer {
    let actType = QuantKernels.activationType(for: type)
    guard actType != .f32 else { return UnsafeRawPointer(input) }
    QuantKernels.quantize(actType, input, scratch.converted.raw, count: cols)
    return UnsafeRawPointer(scratch.converted.raw)
  }

  /// Whether `multiplyOneRow` can take `a` with `b` (and `c`): one type and
  /// one width.
  public static func sharesInput(_ a: WeightMatrix, _ b: WeightMatrix, _ c: WeightMatrix? = nil) -> Bool {
    a.type == b.type && a.cols == b.cols && (c.map { $0.type == a.type && $0.cols == a.cols } ?? true)
  }

  /// One input row times two or three matrices of one type and width (a
  /// layer's q/k/v or gate/up projections, `sharesInput`): the input is
  /// converted once and one parallel pass covers the rows of all of them,
  /// so the threads meet once instead of once per matrix. Each output is
  /// what `multiply` with batch 1 writes for its matrix.
  /// - Parameters:
  ///   - input: (a.cols) floats.
  ///   - outA, outB, outC: (a.rows), (b.rows), (c.rows) floats; `c` and
  ///     `outC` nil for two matrices.
  public static func multiplyOneRow(
    _ a: WeightMatrix, _ outA: UnsafeMutablePointer<Float>,
    _ b: WeightMatrix, _ outB: UnsafeMutablePointer<Float>,
    _ c: WeightMatrix?, _ outC: UnsafeMutablePointer<Float>?,
    input: UnsafePointer<Float>, scratch: MatMulScratch, pool: ThreadPool
  ) {
    let type = a.type
    let cols = a.cols
    let act = convertOneRow(type, input, cols: cols, scratch: scratch)
    let startB = a.rows, startC = a.rows + b.rows
    let total = startC + (c?.rows ?? 0)
    pool.parallelFor(total) { range in
      /// The rows of `w` (its first at `start` in 0..<total) within `range`.
      @inline(__always)
      func part(_ w: WeightMatrix, _ out: UnsafeMutablePointer<Float>, _ start: Int) {
        let lo = Swift.max(range.lowerBound - start, 0), hi = Swift.min(range.upperBound - start, w.rows)
        guard lo < hi else { return }
        if let p = w.packed {
          QuantKernels.dotRowsPacked(
            type, packed: p.base, firstRow: p.firstRow + lo, rows: hi - lo, activation: act, cols: cols, out: out + lo)
        } else {
          QuantKernels.dotRows(
            type, weights: w.data + lo * w.rowStride, rowStride: w.rowStride, rows: hi - lo,
            activation: act, cols: cols, out: out + lo)
        }
      }
      part(a, outA, 0)
      part(b, outB, startB)
      if let c, let outC { part(c, outC, startC) }
    }
  }

  /// `output[t, r] = dot(weight row r, input[t, :])` for t in 0..<batch.
  /// - Parameters:
  ///   - input: (batch, weight.cols) floats, row-major.
  ///   - output: (batch, outputStride) floats; columns 0..<weight.rows written.
  public static func multiply(
    _ weight: WeightMatrix, input: UnsafePointer<Float>, batch: Int,
    output: UnsafeMutablePointer<Float>, outputStride: Int,
    scratch: MatMulScratch, pool: ThreadPool
  ) {
    let type = weight.type
    let actType = QuantKernels.activationType(for: type)
    let cols = weight.cols
    let actRowBytes = actType.rowBytes(cols)!
    let rows = weight.rows
    if batch == 1 {
      let act = convertOneRow(type, input, cols: cols, scratch: scratch)
      pool.parallelFor(rows) { range in
        if let p = weight.packed {
          QuantKernels.dotRowsPacked(
            type, packed: p.base, firstRow: p.firstRow + range.lowerBound, rows: range.count, activation: act,
            cols: cols, out: output + range.lowerBound)
          return
        }
        QuantKernels.dotRows(
          type, weights: weight.data + range.lowerBound * weight.rowStride,
          rowStride: weight.rowStride, rows: range.count, activation: act, cols: cols,
          out: output + range.lowerBound)
      }
      return
    }
    // Convert and prepare every activation row once; each tile of weight
    // rows then passes over all of them while it is in cache. f32 weights
    // read the input rows as they are.
    let prepared: UnsafeRawPointer
    let stride: Int
    if type == .f32 {
      prepared = UnsafeRawPointer(input)
      stride = cols * 4
    } else {
      let converted = scratch.converted.raw
      let dst = scratch.prepared.raw
      let dstStride = scratch.preparedStride
      let prepare = { (t: Int) in
        let act: UnsafeRawPointer
        if actType == .f32 {
          act = UnsafeRawPointer(input + t * cols)
        } else {
          QuantKernels.quantize(actType, input + t * cols, converted + t * actRowBytes, count: cols)
          act = UnsafeRawPointer(converted + t * actRowBytes)
        }
        QuantKernels.prepareActivation(type, act, cols: cols, into: dst + t * dstStride)
      }
      // A few rows cost less than a round trip through the pool.
      if batch * cols <= serialPrepareElements {
        for t in 0..<batch { prepare(t) }
      } else {
        pool.parallelFor(batch) { range in
          for t in range { prepare(t) }
        }
      }
      prepared = UnsafeRawPointer(dst)
      stride = dstStride
    }
    let tiles = (rows + rowTile - 1) / rowTile
    pool.parallelFor(tiles) { tileRange in
      for tile in tileRange {
        let r0 = tile * rowTile
        let n = min(rowTile, rows - r0)
        if let p = weight.packed {
          QuantKernels.dotRowsPackedBatch(
            type, packed: p.base, firstRow: p.firstRow + r0, rows: n, prepared: prepared, preparedStride: stride,
            batch: batch, cols: cols, out: output + r0, outStride: outputStride)
          continue
        }
        let w = weight.data + r0 * weight.rowStride
        QuantKernels.dotRowsPreparedBatch(
          type, weights: w, rowStride: weight.rowStride, rows: n,
          prepared: prepared, preparedStride: stride, batch: batch, cols: cols,
          out: output + r0, outStride: outputStride)
      }
    }
  }
}
