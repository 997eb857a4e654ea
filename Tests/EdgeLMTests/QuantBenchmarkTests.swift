import Foundation
import Testing
@testable import EdgeLM

/// Microbenchmarks of the row kernels (one thread), not timed assertions:
/// they print throughput and report the best of many runs (robust on a
/// shared machine). Meaningful only in a release build:
///   swift test -c release -Xswiftc -enable-testing --filter QuantBenchmarkTests
/// `batchKernelCost` is disabled by default (set EDGELM_BENCH_BATCH=1).
@Suite struct QuantBenchmarkTests {
  /// Seconds of the fastest of `runs` calls of `body`, each repeated `inner` times.
  static func best(runs: Int = 60, inner: Int = 5, _ body: () -> Void) -> Double {
    var best = Double.infinity
    let clock = ContinuousClock()
    for _ in 0..<runs {
      let start = clock.now
      for _ in 0..<inner { body() }
      let elapsed = clock.now - start
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      best = min(best, seconds / Double(inner))
    }
    return best
  }

  static func measure(_ type: GGMLType, rows: Int, cols: Int) -> (gbPerSecond: Double, checksum: Float) {
    var rng = SeededRandom(7)
    let rowBytes = type.rowBytes(cols)!
    let weights = quantized(type, (0..<rows * cols).map { _ in rng.gaussian(0.05) }, reference: true)
    let act = activation(for: type, (0..<cols).map { _ in rng.gaussian(1) })
    var out = [Float](repeating: 0, count: rows)
    var seconds = 0.0
    weights.withUnsafeBytes { w in
      act.withUnsafeBytes { a in
        out.withUnsafeMutableBufferPointer { o in
          seconds = best {
            QuantKernels.dotRows(type, weights: w.baseAddress!, rowStride: rowBytes, rows: rows,
                                 activation: a.baseAddress!, cols: cols, out: o.baseAddress!)
          }
        }
      }
    }
    return (Double(weights.count) / seconds / 1e9, out.reduce(0, +))
  }

  @Test func dotRowsThroughput() {
    for (type, rows, cols) in [(GGMLType.q4_1, 1536, 576), (.q8_0, 1536, 576), (.q4_1, 576, 1536), (.q8_0, 576, 1536),
                               (.q4_0, 1536, 576), (.q5_0, 1536, 576), (.q5_1, 1536, 576),
                               (.f16, 1536, 576), (.bf16, 1536, 576), (.f32, 1536, 576)] {
      let r = Self.measure(type, rows: rows, cols: cols)
      print("dotRows \(type.name) \(rows)x\(cols): \(String(format: "%.2f", r.gbPerSecond)) GB/s of weights (checksum \(r.checksum))")
      #expect(r.checksum.isFinite)
    }
  }

  /// The cost of a batch of k activations in the batched kernel
  /// (`dotRowsPreparedBatch` over tiles of `MatMul.rowTile` rows, as
  /// `MatMul.multiply` runs it) relative to one activation (`dotRowsPrepared`),
  /// one thread, weights cache-resident. Ideal for a memory-bound product: 1.
  @Test(.enabled(if: ProcessInfo.processInfo.environment["EDGELM_BENCH_BATCH"] != nil))
  func batchKernelCost() {
    for type in [GGMLType.f32, .f16, .q8_0, .q4_0, .q4_1, .q5_0, .q4_K, .q6_K] {
      for (rows, cols) in [(576, 576), (1536, 576)] {
        let c = type.blockSize == 256 ? cols / 256 * 256 + (cols % 256 == 0 ? 0 : 256) : cols
        var rng = SeededRandom(9)
        let rowBytes = type.rowBytes(c)!
        let weights = quantized(type, (0..<rows * c).map { _ in rng.gaussian(0.05) }, reference: type.blockSize > 1)
        let actType = QuantKernels.activationType(for: type)
        let prepStride = (QuantKernels.preparedActivationBytes(type, cols: c) + 63) & ~63
        let maxBatch = 16
        let prep = UnsafeMutableRawPointer.allocate(byteCount: prepStride * maxBatch, alignment: 64)
        defer { prep.deallocate() }
        for t in 0..<maxBatch {
          let act = quantized(actType, (0..<c).map { _ in rng.gaussian(1) })
          act.withUnsafeBytes { QuantKernels.prepareActivation(type, $0.baseAddress!, cols: c, into: prep + t * prepStride) }
        }
        var out = [Float](repeating: 0, count: rows * maxBatch)
        var line = "batch cost \(type.name) \(rows)x\(c):"
        weights.withUnsafeBytes { wb in
          out.withUnsafeMutableBufferPointer { o in
            let w = wb.baseAddress!
            let one = Self.best(runs: 30, inner: 3) {
              QuantKernels.dotRowsPrepared(type, weights: w, rowStride: rowBytes, rows: rows, prepared: prep, cols: c, out: o.baseAddress!)
            }
            line += String(format: " k=1 %.1f us;", one * 1e6)
            for k in [2, 3, 4, 8, 16] {
              let t = Self.best(runs: 30, inner: 3) {
                var r0 = 0
                while r0 < rows {
                  let n = min(MatMul.rowTile, rows - r0)
                  QuantKernels.dotRowsPreparedBatch(
                    type, weights: w + r0 * rowBytes, rowStride: rowBytes, rows: n, prepared: prep,
                    preparedStride: prepStride, batch: k, cols: c, out: o.baseAddress! + r0, outStride: rows)
                  r0 += n
                }
              }
              line += String(format: " k=%d %.2fx", k, t / one)
            }
          }
        }
        print(line)
      }
    }
  }
}
