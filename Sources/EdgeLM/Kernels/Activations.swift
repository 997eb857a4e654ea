// Element-wise activations and vector helpers.

import CEdgeSys

public enum Activations {
  /// `gate[i] = silu(gate[i]) * up[i]` (SwiGLU), silu(x) = x / (1 + e^-x).
  @inline(__always)
  public static func swiglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
    for i in 0..<count {
      let x = gate[i]
      gate[i] = x / (1 + expf(-x)) * up[i]
    }
  }

  /// `gate[i] = gelu(gate[i]) * up[i]` with ggml's tanh approximation (GeGLU).
  @inline(__always)
  public static func geglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
    let sqrt2OverPi: Float = 0.79788456080286535587989211986876
    let coef: Float = 0.044715
    for i in 0..<count {
      let x = gate[i]
      let g = 0.5 * x * (1 + tanhf(sqrt2OverPi * x * (1 + coef * x * x)))
      gate[i] = g * up[i]
    }
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
