import Foundation
import Testing
@testable import EdgeLM

// The batched matrix product (`MatMul.multiply` with batch > 1) runs the
// weight types with a multi-activation kernel (floats, q8_0, the pair types,
// q4_K/q5_K/q6_K) through it: each weight row is read and decoded once and
// applied to 2 to 12 prepared activations (4 or 8 for the
// quantized types). Tolerance: none. Every kernel keeps
// the single-activation kernel's summation order (integer sums are exact;
// the float accumulators, chains and reductions are the same, see
// DotFloat.swift and the kernels' doc comments), so results must be
// bit-identical to one activation at a time, and through that equal to the
// scalar reference within the bound `QuantTests.simdDotMatchesReference`
// uses (1e-5 of the sum of |terms|), checked here too.

@Suite struct MatMulBatchTests {
  static let types: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]
  static let batches = Array(1...13) + [17, 30]

  /// Column counts: for the float types, tails of an 8-lane group and of
  /// single elements; for the pair types an even and an odd number of blocks.
  static func columnCounts(_ type: GGMLType) -> [Int] {
    switch type.blockSize {
    case 256: return [512, 768]
    case 1: return [576, 651]
    default: return [640, 672]
    }
  }

  static func weights(_ type: GGMLType, rows: Int, cols: Int, _ rng: inout SeededRandom) -> [UInt8] {
    quantized(type, (0..<rows * cols).map { _ in rng.gaussian(0.05) }, reference: type.blockSize > 1)
  }

  /// dotRowsPreparedBatch == dotRowsPrepared one activation at a time, for
  /// every batch size in `batches`, an odd number of rows at an odd address
  /// and stride.
  @Test(arguments: types)
  func batchKernelMatchesSingleRowKernel(_ type: GGMLType) {
    var rng = SeededRandom(71)
    let rows = 19
    for cols in Self.columnCounts(type) {
      let rowBytes = type.rowBytes(cols)!
      let stride = rowBytes + 5
      let dense = Self.weights(type, rows: rows, cols: cols, &rng)
      // Row r at 1 + r * stride: nothing aligned.
      var weights = [UInt8](repeating: 0xEE, count: 1 + rows * stride)
      for r in 0..<rows {
        weights.replaceSubrange(1 + r * stride..<1 + r * stride + rowBytes, with: dense[r * rowBytes..<(r + 1) * rowBytes])
      }
      let actType = QuantKernels.activationType(for: type)
      let prepStride = (QuantKernels.preparedActivationBytes(type, cols: cols) + 63) & ~63
      for batch in Self.batches {
        let acts = (0..<batch).map { _ in quantized(actType, (0..<cols).map { _ in rng.gaussian(1) }) }
        let prep = UnsafeMutableRawPointer.allocate(byteCount: prepStride * batch, alignment: 64)
        defer { prep.deallocate() }
        for t in 0..<batch {
          acts[t].withUnsafeBytes { QuantKernels.prepareActivation(type, $0.baseAddress!, cols: cols, into: prep + t * prepStride) }
        }
        let outStride = rows + 3
        var batched = [Float](repeating: .nan, count: batch * outStride)
        var single = [Float](repeating: .nan, count: batch * outStride)
        weights.withUnsafeBytes { wb in
          let w = wb.baseAddress! + 1
          batched.withUnsafeMutableBufferPointer { o in
            QuantKernels.dotRowsPreparedBatch(
              type, weights: w, rowStride: stride, rows: rows, prepared: prep,
              preparedStride: prepStride, batch: batch, cols: cols, out: o.baseAddress!, outStride: outStride)
          }
          single.withUnsafeMutableBufferPointer { o in
            for t in 0..<batch {
              QuantKernels.dotRowsPrepared(
                type, weights: w, rowStride: stride, rows: rows, prepared: prep + t * prepStride,
                cols: cols, out: o.baseAddress! + t * outStride)
            }
          }
        }
        #expect(bitsEqual(batched, single), "\(type.name) cols \(cols) batch \(batch)")
        // Padding between output rows stays untouched.
        #expect(batched.enumerated().allSatisfy { $0.offset % outStride < rows || $0.element.isNaN })
        // And against the scalar reference (first and last activation).
        for t in Set([0, batch - 1]) {
          for r in 0..<rows {
            let row = Array(dense[r * rowBytes..<(r + 1) * rowBytes])
            let reference = dotReference(type, row, acts[t], cols: cols)
            let bound = 1e-5 * (type.blockSize == 256 ? kMagnitude(type, row, acts[t], cols: cols)
                                                     : magnitude(type, row, acts[t], cols: cols))
            let error = abs(Double(batched[t * outStride + r]) - Double(reference))
            #expect(error <= bound, "\(type.name) cols \(cols) batch \(batch) act \(t) row \(r): error \(error) bound \(bound)")
          }
        }
      }
    }
  }

  /// MatMul.multiply with a batch gives, row by row, what dotRows gives for
  /// one activation (several tiles, a partial last tile, an odd row count).
  @Test(arguments: types)
  func matMulBatchMatchesDotRows(_ type: GGMLType) throws {
    var rng = SeededRandom(72)
    let rows = 37, cols = Self.columnCounts(type)[1]
    let rowBytes = type.rowBytes(cols)!
    let weights = Self.weights(type, rows: rows, cols: cols, &rng)
    let weightRows = (0..<rows).map { Array(weights[$0 * rowBytes..<($0 + 1) * rowBytes]) }
    let actType = QuantKernels.activationType(for: type)
    let pool = try ThreadPool(threadCount: 2)
    let maxBatch = Self.batches.max()!
    let scratch = try MatMulScratch(maxCols: cols, maxBatch: maxBatch)
    for batch in Self.batches {
      let input = (0..<batch * cols).map { _ in rng.gaussian(1) }
      let outStride = rows + 2
      var output = [Float](repeating: .nan, count: batch * outStride)
      weights.withUnsafeBytes { w in
        let matrix = WeightMatrix(type: type, data: w.baseAddress!, rows: rows, cols: cols, rowStride: rowBytes)
        input.withUnsafeBufferPointer { i in
          output.withUnsafeMutableBufferPointer { o in
            MatMul.multiply(matrix, input: i.baseAddress!, batch: batch, output: o.baseAddress!, outputStride: outStride,
                            scratch: scratch, pool: pool)
          }
        }
      }
      for t in 0..<batch {
        let act = quantized(actType, Array(input[t * cols..<(t + 1) * cols]))
        let expected = dotRows(type, weightRows, stride: rowBytes, act, cols: cols)
        #expect(bitsEqual(Array(output[t * outStride..<t * outStride + rows]), expected), "\(type.name) batch \(batch) row \(t)")
      }
    }
  }

  /// MatMul.multiplyOneRow (a layer's q/k/v or gate/up in one parallel
  /// pass) writes, matrix by matrix, what MatMul.multiply writes for one
  /// input row; with 1 and 3 threads (ranges that straddle matrices).
  @Test(arguments: types)
  func fusedOneRowProductsMatchSeparateOnes(_ type: GGMLType) throws {
    var rng = SeededRandom(73)
    let cols = Self.columnCounts(type)[0]
    let rowCounts = [23, 7, 9]
    let rowBytes = type.rowBytes(cols)!
    let blobs = rowCounts.map { Self.weights(type, rows: $0, cols: cols, &rng) }
    let input = (0..<cols).map { _ in rng.gaussian(1) }
    let scratch = try MatMulScratch(maxCols: cols, maxBatch: 1)
    for threads in [1, 3] {
      let pool = try ThreadPool(threadCount: threads)
      for count in [2, 3] {
        var fused = rowCounts.map { [Float](repeating: .nan, count: $0) }
        var separate = fused
        blobs[0].withUnsafeBytes { w0 in
          blobs[1].withUnsafeBytes { w1 in
            blobs[2].withUnsafeBytes { w2 in
              let m = [w0, w1, w2].enumerated().map { i, w in
                WeightMatrix(type: type, data: w.baseAddress!, rows: rowCounts[i], cols: cols, rowStride: rowBytes)
              }
              #expect(MatMul.sharesInput(m[0], m[1], count == 3 ? m[2] : nil))
              let outs = (0..<3).map { UnsafeMutablePointer<Float>.allocate(capacity: rowCounts[$0]) }
              defer { outs.forEach { $0.deallocate() } }
              input.withUnsafeBufferPointer { i in
                MatMul.multiplyOneRow(
                  m[0], outs[0], m[1], outs[1], count == 3 ? m[2] : nil, count == 3 ? outs[2] : nil,
                  input: i.baseAddress!, scratch: scratch, pool: pool)
                for j in 0..<count { fused[j] = Array(UnsafeBufferPointer(start: outs[j], count: rowCounts[j])) }
                for j in 0..<count {
                  MatMul.multiply(m[j], input: i.baseAddress!, batch: 1, output: outs[j], outputStride: rowCounts[j],
                                  scratch: scratch, pool: pool)
                  separate[j] = Array(UnsafeBufferPointer(start: outs[j], count: rowCounts[j]))
                }
              }
            }
          }
        }
        for j in 0..<count {
          #expect(bitsEqual(fused[j], separate[j]), "\(type.name) threads \(threads) matrix \(j) of \(count)")
          #expect(!fused[j].contains { $0.isNaN })
        }
      }
    }
  }
}
