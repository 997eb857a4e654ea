import Foundation
import Testing
@testable import EdgeLM

// The vector exp (Kernels/VectorMath.swift), SwiGLU and the attention kernel
// (Kernels/Attention.swift) against plain Double references.

@Suite struct AttentionKernelTests {
  /// exp8 within 4 ulp-ish (relative 5e-7) of exp over the range softmax and
  /// SiLU use, and ~0 for -infinity (masked scores).
  @Test func vectorExpMatchesExp() {
    var rng = SeededRandom(11)
    var worst = 0.0
    for _ in 0..<20_000 {
      var x = SIMD8<Float>()
      for l in 0..<8 { x[l] = Float.random(in: -86...84, using: &rng) }
      let e = exp8(x)
      for l in 0..<8 {
        let want = Foundation.exp(Double(x[l]))
        worst = max(worst, abs(Double(e[l]) - want) / want)
      }
    }
    #expect(worst < 5e-7, "worst relative error \(worst)")
    let masked = exp8(SIMD8<Float>(repeating: -.infinity))
    #expect(masked.max() < 1e-37)
    #expect(exp8(SIMD8<Float>(repeating: 0)) == SIMD8<Float>(repeating: 1))
  }

  /// SwiGLU over lengths with and without a tail of < 8 elements.
  @Test(arguments: [1, 8, 13, 1536])
  func swigluMatchesFormula(count: Int) {
    var rng = SeededRandom(UInt64(count))
    let x = (0..<count).map { _ in rng.gaussian(6) }
    let up = (0..<count).map { _ in rng.gaussian(2) }
    var gate = x
    gate.withUnsafeMutableBufferPointer { g in
      up.withUnsafeBufferPointer { u in Activations.swiglu(gate: g.baseAddress!, up: u.baseAddress!, count: count) }
    }
    for i in 0..<count {
      let want = Double(x[i]) / (1 + Foundation.exp(-Double(x[i]))) * Double(up[i])
      #expect(abs(Double(gate[i]) - want) <= 1e-6 * max(1, abs(want)), "element \(i): \(gate[i]) vs \(want)")
    }
  }

  /// One head against a ring-buffer cache whose window wraps, for head
  /// sizes with 64-column tiles (64, 256), 8-column tiles (24) and single
  /// columns (20), window lengths with and without a tail of < 4 keys.
  @Test(arguments: [(64, 37), (256, 9), (24, 5), (20, 1), (64, 300)])
  func headMatchesReference(headDim: Int, count: Int) {
    var rng = SeededRandom(UInt64(headDim * 1000 + count))
    let capacity = count + 3, rowStride = headDim + 8
    let keys = (0..<(capacity * rowStride)).map { _ in Float16(rng.gaussian(1)) }
    let values = (0..<(capacity * rowStride)).map { _ in Float16(rng.gaussian(1)) }
    let q = (0..<headDim).map { _ in rng.gaussian(1) }
    let first = 2 * capacity - 2, last = first + count - 1  // starts near the ring's end
    let scale = 1 / Float(headDim).squareRoot()
    var scores = [Float](repeating: 0, count: count)
    var out = [Float](repeating: 0, count: headDim)
    keys.withUnsafeBufferPointer { k in
      values.withUnsafeBufferPointer { v in
        Attention.head(
          q: q, keys: k.baseAddress!, values: v.baseAddress!, rowStride: rowStride, capacity: capacity,
          first: first, last: last, headDim: headDim, scale: scale, scores: &scores, out: &out)
      }
    }
    var s = [Double](repeating: 0, count: count)
    for i in 0..<count {
      let row = ((first + i) % capacity) * rowStride
      for c in 0..<headDim { s[i] += Double(q[c]) * Double(keys[row + c]) }
      s[i] *= Double(scale)
    }
    let m = s.max()!
    let e = s.map { Foundation.exp($0 - m) }
    let total = e.reduce(0, +)
    for c in 0..<headDim {
      var want = 0.0
      for i in 0..<count { want += e[i] / total * Double(values[((first + i) % capacity) * rowStride + c]) }
      #expect(abs(Double(out[c]) - want) <= 2e-6 * max(1, abs(want)), "column \(c): \(out[c]) vs \(want)")
    }
  }

  /// Query heads sharing a KV head, 2...4 at a time (each key and value row
  /// widened once for all): bit-identical to `head` one head at a time, for
  /// the same head sizes and windows as above.
  @Test(arguments: [(64, 37), (256, 9), (24, 5), (20, 1), (64, 300)])
  func groupedHeadsMatchOneAtATime(headDim: Int, count: Int) {
    var rng = SeededRandom(UInt64(headDim * 7 + count))
    let capacity = count + 3, rowStride = headDim + 8
    let keys = (0..<(capacity * rowStride)).map { _ in Float16(rng.gaussian(1)) }
    let values = (0..<(capacity * rowStride)).map { _ in Float16(rng.gaussian(1)) }
    let first = 2 * capacity - 2, last = first + count - 1
    let scale = 1 / Float(headDim).squareRoot()
    for g in 2...Attention.maxHeads {
      let q = (0..<(g * headDim)).map { _ in rng.gaussian(1) }
      var scores = [Float](repeating: 0, count: g * count)
      var grouped = [Float](repeating: .nan, count: g * headDim)
      var single = [Float](repeating: .nan, count: g * headDim)
      keys.withUnsafeBufferPointer { k in
        values.withUnsafeBufferPointer { v in
          q.withUnsafeBufferPointer { qp in
            Attention.heads(
              g, q: qp.baseAddress!, keys: k.baseAddress!, values: v.baseAddress!, rowStride: rowStride,
              capacity: capacity, first: first, last: last, headDim: headDim, scale: scale, scores: &scores,
              scoreStride: count, out: &grouped)
            single.withUnsafeMutableBufferPointer { out in
              for j in 0..<g {
                Attention.head(
                  q: qp.baseAddress! + j * headDim, keys: k.baseAddress!, values: v.baseAddress!,
                  rowStride: rowStride, capacity: capacity, first: first, last: last, headDim: headDim,
                  scale: scale, scores: &scores, out: out.baseAddress! + j * headDim)
              }
            }
          }
        }
      }
      #expect(grouped.map(\.bitPattern) == single.map(\.bitPattern), "\(g) heads")
    }
  }
}
