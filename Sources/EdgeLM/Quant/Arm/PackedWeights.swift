// Packed (interleaved) weight matrices: where the kernel the registry chose
// for a type has a faster layout than the file's rows (`RowKernel.packs`),
// a matrix is rearranged once, at model load, into groups of four rows
// (today: q8_0, q4_0 and q5_0 with the Arm dotprod kernels,
// Sources/EdgeLMArm/ArmPacked.swift, which also describes the layout). A packed matrix takes exactly the bytes of the
// file's rows, in memory the model owns; the file's pages of it are then
// released. The packed kernels give bit-identical results to the row-major
// ones, so nothing but speed depends on whether a matrix was packed.

import CEdgeSys

/// Where a packed matrix's groups are (`WeightMatrix.packed`).
public struct PackedRows {
  /// The packed copy of the whole tensor: rows in groups of four, group g
  /// at `base + g * 4 * rowBytes`.
  public let base: UnsafeRawPointer
  /// The tensor row that is this view's row 0 (views of row ranges:
  /// `WeightMatrix.rows(_:)`, the pager's output chunks).
  public let firstRow: Int
}

extension QuantKernels {
  /// Whether a matrix of `type` with `rows` rows is packed at load: the
  /// kernel the registry chose for the type packs (`RowKernel.packs`: the
  /// dotprod kernels of q8_0, q4_0, q5_0) and the rows make whole groups.
  public static func packs(_ type: GGMLType, rows: Int) -> Bool {
    #if EDGELM_ARM_KERNELS
    return rows > 0 && rows % 4 == 0 && kernel(type)?.packs == true
    #else
    return false
    #endif
  }

  /// Rearranges `rows` rows (`packs(type, rows:)` must hold) of `cols`
  /// elements, `rowStride` bytes apart at `src`, into `dst`
  /// (rows x rowBytes(cols) bytes). False if this build cannot.
  public static func pack(
    _ type: GGMLType, _ src: UnsafeRawPointer, rowStride: Int, rows: Int, cols: Int, into dst: UnsafeMutableRawPointer
  ) -> Bool {
    #if EDGELM_ARM_KERNELS
    guard packs(type, rows: rows) else { return false }
    return edgelmarm_dotprod_pack(Int32(type.rawValue), src, rowStride, rows, cols / type.blockSize, dst)
    #else
    return false
    #endif
  }

  /// Dequantizes row `row` of a packed matrix of `cols` columns into `dst`
  /// (`cols` floats), as `dequantize` of the file's row.
  public static func dequantizePackedRow(
    _ type: GGMLType, packed: UnsafeRawPointer, row: Int, cols: Int, into dst: UnsafeMutablePointer<Float>
  ) {
    #if EDGELM_ARM_KERNELS
    let blocks = cols / type.blockSize
    let chunk = scratchBytes / type.blockBytes
    withScratch { scratch in
      var b = 0
      while b < blocks {
        let n = Swift.min(chunk, blocks &- b)
        edgelmarm_dotprod_unpack(Int32(type.rawValue), packed, blocks, row, b, n, scratch)
        dequantize(type, UnsafeRawPointer(scratch), dst + b &* type.blockSize, count: n &* type.blockSize)
        b &+= n
      }
    }
    #endif
  }

  /// `dotRows` for the rows `firstRow..<firstRow+rows` of a packed matrix
  /// (`packed`: the whole tensor's groups; `cols` its width): out[i] =
  /// dot(row firstRow+i, activation).
  public static func dotRowsPacked(
    _ type: GGMLType, packed: UnsafeRawPointer, firstRow: Int, rows: Int,
    activation: UnsafeRawPointer, cols: Int, out: UnsafeMutablePointer<Float>
  ) {
    #if EDGELM_ARM_KERNELS
    guard rows > 0, let kernel = kernel(type) else { return }
    let id = Int32(type.rawValue)
    let blocks = cols / type.blockSize
    let groupStride = 4 &* blocks &* type.blockBytes
    let first = packed + (firstRow / 4) &* groupStride, skip = firstRow % 4
    withPreparedChunks(type, kernel, activation, blocks: blocks) { prep, c0, n in
      edgelmarm_dotprod_packed_rows(id, first, blocks, c0, skip, rows, prep, n, out, c0 > 0)
    }
    #endif
  }

  /// `dotRowsPreparedBatch` for the rows `firstRow..<firstRow+rows`
  /// (`firstRow` a multiple of 4) of a packed matrix: the same groups of
  /// activations, bit-identical to `dotRowsPacked` one at a time.
  public static func dotRowsPackedBatch(
    _ type: GGMLType, packed: UnsafeRawPointer, firstRow: Int, rows: Int,
    prepared: UnsafeRawPointer, preparedStride: Int, batch: Int, cols: Int,
    out: UnsafeMutablePointer<Float>, outStride: Int
  ) {
    #if EDGELM_ARM_KERNELS
    guard rows > 0, batch > 0 else { return }
    let id = Int32(type.rawValue)
    let blocks = cols / type.blockSize
    let groupStride = 4 &* blocks &* type.blockBytes
    let first = packed + (firstRow / 4) &* groupStride
    var t = 0
    while t < batch {
      let left = batch &- t
      // Groups as dotRowsPreparedBatch forms them; one at a time when the
      // rows start inside a group (the multi kernels start at a group).
      let count = firstRow % 4 != 0 ? 1 : batchGroup(left)
      let p = prepared + t &* preparedStride, o = out + t &* outStride
      if count == 1 {
        edgelmarm_dotprod_packed_rows(id, first, blocks, 0, firstRow % 4, rows, p, blocks, o, false)
      } else {
        edgelmarm_dotprod_packed_rows_multi(id, first, rows, p, preparedStride, count, blocks, o, outStride)
      }
      t &+= count
    }
    #endif
  }
}
