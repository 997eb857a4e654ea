import CEdgeSys

// Rotary position embedding, as ggml_rope_ext (no YaRN extension): the
// angle of pair i is pos * base^(-2i/dims), built by repeated multiplication
// of theta_scale in Float exactly as ggml_rope_cache_init does, so angles
// round the same way.

public enum RopeStyle: Sendable {
  /// Adjacent pairs (x[2i], x[2i+1]): llama (LLAMA_ROPE_TYPE_NORM).
  case normal
  /// Halves (x[i], x[i + dims/2]): gemma, qwen2, phi3 (LLAMA_ROPE_TYPE_NEOX).
  case neox
}

public struct RopeTable {
  public let dims: Int
  public let base: Float
  public let freqScale: Float
  public let style: RopeStyle
  /// Per-pair frequency factors (dims/2) dividing each pair's angle, as
  /// ggml_rope_ext's `freq_factors` (llama3's `rope_freqs`, phi3's long/short
  /// factors); nil for none. The owner keeps the memory alive.
  public let freqFactors: UnsafePointer<Float>?
  /// Multiplies cos and sin (ggml's `attn_factor`, the YaRN mscale).
  public let attnFactor: Float

  public init(dims: Int, base: Float, freqScale: Float = 1, style: RopeStyle,
              freqFactors: UnsafePointer<Float>? = nil, attnFactor: Float = 1) {
    self.dims = dims
    self.base = base
    self.freqScale = freqScale
    self.style = style
    self.freqFactors = freqFactors
    self.attnFactor = attnFactor
  }

  /// Fills `cache` with (cos, sin) pairs for position `pos`: (dims/2, 2).
  @inline(__always)
  public func fill(position pos: Int, cache: UnsafeMutablePointer<Float>) {
    let thetaScale = powf(base, -2.0 / Float(dims))
    var theta = Float(pos)
    var i = 0
    while i < dims {
      let ff = freqFactors?[i / 2] ?? 1
      let angle = freqScale * (theta / ff)
      cache[i] = cosf(angle) * attnFactor
      cache[i + 1] = sinf(angle) * attnFactor
      theta *= thetaScale
      i += 2
    }
  }

  /// Rotates `heads` heads of `headDim` floats each (the first `dims` of each
  /// head rotate), in place, with a cache from `fill`.
  @inline(__always)
  public func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, cache: UnsafePointer<Float>) {
    for h in 0..<heads {
      let v = x + h * headDim
      switch style {
      case .normal:
        var i = 0
        while i < dims {
          let c = cache[i], s = cache[i + 1]
          let x0 = v[i], x1 = v[i + 1]
          v[i] = x0 * c - x1 * s
          v[i + 1] = x0 * s + x1 * c
          i += 2
        }
      case .neox:
        let half = dims / 2
        var i = 0
        while i < dims {
          let c = cache[i], s = cache[i + 1]
          let j = i / 2
          let x0 = v[j], x1 = v[j + half]
          v[j] = x0 * c - x1 * s
          v[j + half] = x0 * s + x1 * c
          i += 2
        }
      }
    }
  }
}
