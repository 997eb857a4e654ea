import Testing
@testable import EdgeLM

// GeGLU reads gelu from a Float16 table; it must give exactly what
// evaluating gelu on the Float16-rounded input gives.

@Suite struct GegluTableTests {
  /// The formula the table replaces (ggml's CPU gelu).
  static func expected(_ x: Float, _ up: Float) -> Float {
    let g: Float
    if x <= -10 {
      g = 0
    } else if x >= 10 {
      g = x
    } else {
      g = Float(Float16(Activations.gelu(Float(Float16(x)))))
    }
    return g * up
  }

  /// Every Float16 value as input, plus random floats around them, with
  /// random `up` factors.
  @Test func gegluMatchesFormulaBitForBit() {
    var rng = SeededRandom(73)
    var xs: [Float] = []
    for h in 0..<(1 << 16) {
      let v = Float(Float16(bitPattern: UInt16(h)))
      if v.isFinite { xs.append(v) }
    }
    for _ in 0..<100_000 { xs.append(rng.gaussian(4)) }
    xs += [-10, 10, -10.001, 10.001, -9.999, 9.999, 0, -0.0, 1e-8, -1e-8, 70000, -70000]
    let ups = xs.map { _ in rng.gaussian(1) }
    var gate = xs
    gate.withUnsafeMutableBufferPointer { g in
      ups.withUnsafeBufferPointer { u in
        Activations.geglu(gate: g.baseAddress!, up: u.baseAddress!, count: xs.count)
      }
    }
    var mismatches = 0
    for i in 0..<xs.count where gate[i].bitPattern != Self.expected(xs[i], ups[i]).bitPattern {
      mismatches += 1
    }
    #expect(mismatches == 0)
  }
}
