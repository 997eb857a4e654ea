// Element-wise activations and vector helpers.

import CEdgeSys

public enum Activations {
  /// `gate[i] = silu(gate[i]) * up[i]` (SwiGLU), silu(x) = x / (1 + e^-x).
  @inline(__always)
  public static func swiglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
    @inline(__always)
    func swiglu8(_ x: SIMD8<Float>, _ u: SIMD8<Float>) -> SIMD8<Float> { x / (1 + exp8(-x)) * u }
    var i = 0
    while i + 8 <= count {
      let x = UnsafeRawPointer(gate + i).loadUnaligned(as: SIMD8<Float>.self)
      let u = UnsafeRawPointer(up + i).loadUnaligned(as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(gate + i).storeBytes(of: swiglu8(x, u), as: SIMD8<Float>.self)
      i += 8
    }
    if i < count {
      let n = count - i
      storePartial(swiglu8(loadPartial(gate + i, count: n, fill: 0), loadPartial(up + i, count: n, fill: 0)), gate + i, count: n)
    }
  }

  /// `gate[i] = gelu(gate[i]) * up[i]` (GeGLU) exactly as ggml's CPU
  /// backend computes it: gelu with the tanh approximation, evaluated on
  /// the input rounded to Float16 and rounded to Float16 again (ggml's
  /// 64K-entry table), 0 below -10 and the identity above 10.
  /// The Float16 table below gives bit for bit what evaluating gelu would.
  @inline(__always)
  public static func geglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
    geluHalfTable.withUnsafeBufferPointer { table in
      let t = table.baseAddress!
      for i in 0..<count {
        let x = gate[i]
        let g: Float
        if x <= -10 {
          g = 0
        } else if x >= 10 {
          g = x
        } else {
          g = Float(Float16(bitPattern: t[Int(Float16(x).bitPattern)]))
        }
        gate[i] = g * up[i]
      }
    }
  }

  /// (65536) `Float16(gelu(Float(h))).bitPattern` for every Float16 bit
  /// pattern h, as ggml's table: built once, on first use (thread-safe
  /// lazy initialisation of a static), 128 KiB.
  static let geluHalfTable: [UInt16] = {
    var table = [UInt16](repeating: 0, count: 1 << 16)
    for h in 0..<(1 << 16) {
      table[h] = Float16(gelu(Float(Float16(bitPattern: UInt16(h))))).bitPattern
    }
    return table
  }()

  /// gelu with ggml's tanh approximation.
  @inline(__always)
  public static func gelu(_ x: Float) -> Float {
    let sqrt2OverPi: Float = 0.79788456080286535587989211986876
    let coef: Float = 0.044715
    return 0.5 * x * (1 + tanhf(sqrt2OverPi * x * (1 + coef * x * x)))
  }

  /// `x[i] = cap * tanh(x[i] / cap)` (logit soft-capping).
  public static func softcap(_ x: UnsafeMutablePointer<Float>, count: Int, cap: Float) {
    let inv = 1 / cap
    for i in 0..<count { x[i] = cap * tanhf(x[i] * inv) }
  }

  /// `x[i] *= factor`.
  @inline(__always)
  public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
    for i in 0..<count { x[i] *= factor }
  }

  /// `y[i] += x[i]`.
  @inline(__always)
  public static func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
      let a = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
      let b = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(y + i).storeBytes(of: a + b, as: SIMD8<Float>.self)
      i += 8
    }
    while i < count { y[i] += x[i]; i += 1 }
  }
}
