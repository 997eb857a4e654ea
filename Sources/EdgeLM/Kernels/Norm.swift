// RMS normalisation, as ggml_rms_norm followed by ggml_mul with the weight:
// the sum of squares is accumulated in Double, as ggml does.

public enum Norm {
  /// `out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i]`, for one row of `count`.
  /// `out` may equal `x`.
  @inline(__always)
  public static func rms(
    _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, count: Int, eps: Float,
    out: UnsafeMutablePointer<Float>
  ) {
    var sum: Double = 0
    for i in 0..<count { sum += Double(x[i] * x[i]) }
    let mean = Float(sum / Double(count))
    let scale = 1 / (mean + eps).squareRoot()
    for i in 0..<count { out[i] = (x[i] * scale) * weight[i] }
  }

  /// RMS-normalises `rows` rows of `count` floats each, `stride` apart.
  public static func rmsRows(
    _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, rows: Int, count: Int,
    stride: Int, eps: Float, out: UnsafeMutablePointer<Float>
  ) {
    for r in 0..<rows {
      rms(x + r * stride, weight: weight, count: count, eps: eps, out: out + r * stride)
    }
  }
}
