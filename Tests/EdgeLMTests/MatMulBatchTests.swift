import Foundation
import Testing
@testable import EdgeLM

// The batched matrix product (`MatMul.multiply` with batch > 1) runs the
// 4/5-bit pair types through a kernel that applies each weight row to 2 or 4
// prepared activations at once. Its results must be bit-identical to the
// single-activation kernels.

@Suite struct MatMulBatchTests {
  static let types: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K]

  /// dotRowsPreparedBatch == dotRowsPrepared one activation at a time, for
  /// batch sizes 1...9 and an even and an odd number of blocks.
  @Test(arguments: types)
  func batchKernelMatchesSingleRowKernel(_ type: GGMLType) {
    var rng = SeededRandom(71)
    let rows = 19
    for cols in type.blockSize == 256 ? [512, 768] : [640, 672] {
      let rowBytes = type.rowBytes(cols)!
      let weights = quantized(type, (0..<rows * cols).map { _ in rng.gaussian(0.05) }, reference: true)
      let actType = QuantKernels.activationType(for: type)
      let prepStride = (QuantKernels.preparedActivationBytes(type, cols: cols) + 63) & ~63
      for batch in 1...9 {
        let acts = (0..<batch).map { _ in quantized(actType, (0..<cols).map { _ in rng.gaussian(1) }) }
        let prep = UnsafeMutableRawPointer.allocate(byteCount: prepStride * batch, alignment: 64)
        defer { prep.deallocate() }
        for t in 0..<batch {
          acts[t].withUnsafeBytes { QuantKernels.prepareActivation(type, $0.baseAddress!, cols: cols, into: prep + t * prepStride) }
        }
        let outStride = rows + 3
        var batched = [Float](repeating: .nan, count: batch * outStride)
        var single = [Float](repeating: .nan, count: batch * outStride)
        weights.withUnsafeBytes { w in
          batched.withUnsafeMutableBufferPointer { o in
            QuantKernels.dotRowsPreparedBatch(
              type, weights: w.baseAddress!, rowStride: rowBytes, rows: rows, prepared: prep,
              preparedStride: prepStride, batch: batch, cols: cols, out: o.baseAddress!, outStride: outStride)
          }
          single.withUnsafeMutableBufferPointer { o in
            for t in 0..<batch {
              QuantKernels.dotRowsPrepared(
                type, weights: w.baseAddress!, rowStride: rowBytes, rows: rows, prepared: prep + t * prepStride,
                cols: cols, out: o.baseAddress! + t * outStride)
            }
          }
        }
        #expect(bitsEqual(batched, single), "\(type.name) cols \(cols) batch \(batch)")
        // Padding between output rows stays untouched.
        #expect(batched.enumerated().allSatisfy { $0.offset % outStride < rows || $0.element.isNaN })
      }
    }
  }

  /// MatMul.multiply with a batch gives, row by row, what dotRows gives for
  /// one activation (several tiles, a partial last tile).
  @Test(arguments: types)
  func matMulBatchMatchesDotRows(_ type: GGMLType) throws {
    var rng = SeededRandom(72)
    let rows = 37, cols = type.blockSize == 256 ? 512 : 672, batch = 7
    let rowBytes = type.rowBytes(cols)!
    let weights = quantized(type, (0..<rows * cols).map { _ in rng.gaussian(0.05) }, reference: true)
    let input = (0..<batch * cols).map { _ in rng.gaussian(1) }
    let pool = try ThreadPool(threadCount: 2)
    let scratch = try MatMulScratch(maxCols: cols, maxBatch: batch)
    var output = [Float](repeating: .nan, count: batch * rows)
    weights.withUnsafeBytes { w in
      let matrix = WeightMatrix(type: type, data: w.baseAddress!, rows: rows, cols: cols, rowStride: rowBytes)
      input.withUnsafeBufferPointer { i in
        output.withUnsafeMutableBufferPointer { o in
          MatMul.multiply(matrix, input: i.baseAddress!, batch: batch, output: o.baseAddress!, outputStride: rows, scratch: scratch, pool: pool)
        }
      }
    }
    let weightRows = (0..<rows).map { Array(weights[$0 * rowBytes..<($0 + 1) * rowBytes]) }
    let actType = QuantKernels.activationType(for: type)
    for t in 0..<batch {
      let act = quantized(actType, Array(input[t * cols..<(t + 1) * cols]))
      let expected = dotRows(type, weightRows, stride: rowBytes, act, cols: cols)
      #expect(bitsEqual(Array(output[t * rows..<(t + 1) * rows]), expected), "\(type.name) batch row \(t)")
    }
  }
}
