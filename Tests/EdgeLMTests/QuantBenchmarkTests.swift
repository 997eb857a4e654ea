import Foundation
import Testing
@testable import EdgeLM

/// Microbenchmark of `dotRows` (one thread), not a timed assertion: prints
/// the weight bytes processed per second. Meaningful only in a release build:
///   swift test -c release -Xswiftc -enable-testing --filter QuantBenchmarkTests
@Suite struct QuantBenchmarkTests {
  static func measure(_ type: GGMLType, rows: Int, cols: Int) -> (gbPerSecond: Double, checksum: Float) {
    var rng = SeededRandom(7)
    let rowBytes = type.rowBytes(cols)!
    let weights = quantized(type, (0..<rows * cols).map { _ in rng.gaussian(0.05) }, reference: true)
    let act = activation(for: type, (0..<cols).map { _ in rng.gaussian(1) })
    var out = [Float](repeating: 0, count: rows)
    var best = Double.infinity
    let clock = ContinuousClock()
    weights.withUnsafeBytes { w in
      act.withUnsafeBytes { a in
        out.withUnsafeMutableBufferPointer { o in
          for _ in 0..<60 {
            let start = clock.now
            for _ in 0..<5 {
              QuantKernels.dotRows(type, weights: w.baseAddress!, rowStride: rowBytes, rows: rows,
                                   activation: a.baseAddress!, cols: cols, out: o.baseAddress!)
            }
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            best = min(best, seconds / 5)
          }
        }
      }
    }
    return (Double(weights.count) / best / 1e9, out.reduce(0, +))
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
}
