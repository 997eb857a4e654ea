// IEEE binary16 and bfloat16 conversions, bit for bit as ggml does them
// (ggml/src/ggml-impl.h: ggml_compute_fp16_to_fp32, ggml_compute_fp32_to_fp16,
// ggml_compute_bf16_to_fp32, ggml_compute_fp32_to_bf16). Scalar code used by
// the quantizers and the references; the SIMD kernels convert whole vectors
// with `SIMD8<Float>(SIMD8<Float16>)`, which is exact and agrees with these
// for every non-NaN value.

/// Half-precision (binary16) and bfloat16 conversions matching ggml.
public enum Half {
  /// binary16 bits to Float (exact). Maratyszcza's FP16 algorithm, as ggml.
  @inline(__always)
  public static func toFloat(_ bits: UInt16) -> Float {
    let w = UInt32(bits) &<< 16
    let sign = w & 0x8000_0000
    let twoW = w &+ w

    let expOffset: UInt32 = 0xE0 &<< 23
    let expScale = Float(bitPattern: 0x0780_0000)  // 0x1.0p-112
    let normalized = Float(bitPattern: (twoW &>> 4) &+ expOffset) * expScale

    let magicMask: UInt32 = 126 &<< 23
    let denormalized = Float(bitPattern: (twoW &>> 17) | magicMask) - 0.5

    let denormalizedCutoff: UInt32 = 1 &<< 27
    let magnitude = twoW < denormalizedCutoff ? denormalized.bitPattern : normalized.bitPattern
    return Float(bitPattern: sign | magnitude)
  }

  /// Float to binary16 bits, round to nearest even; NaN becomes 0x7E00 with
  /// the sign kept, overflow becomes infinity (ggml's GGML_FP32_TO_FP16).
  @inline(__always)
  public static func fromFloat(_ value: Float) -> UInt16 {
    let scaleToInf = Float(bitPattern: 0x7780_0000)  // 0x1.0p+112
    let scaleToZero = Float(bitPattern: 0x0880_0000)  // 0x1.0p-110
    var base = (abs(value) * scaleToInf) * scaleToZero

    let w = value.bitPattern
    let shl1W = w &+ w
    let sign = w & 0x8000_0000
    var bias = shl1W & 0xFF00_0000
    if bias < 0x7100_0000 { bias = 0x7100_0000 }

    base = Float(bitPattern: (bias &>> 1) &+ 0x0780_0000) + base
    let bits = base.bitPattern
    let expBits = (bits &>> 13) & 0x0000_7C00
    let mantissaBits = bits & 0x0000_0FFF
    let nonsign = expBits &+ mantissaBits
    let result = (sign &>> 16) | (shl1W > 0xFF00_0000 ? 0x7E00 : nonsign)
    return UInt16(truncatingIfNeeded: result)
  }

  /// bfloat16 bits to Float (exact: the bits are the top half of a Float).
  @inline(__always)
  public static func bf16ToFloat(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) &<< 16)
  }

  /// Float to bfloat16 bits, round to nearest even; NaNs are made quiet by
  /// setting bit 6 (ggml's GGML_FP32_TO_BF16).
  @inline(__always)
  public static func bf16FromFloat(_ value: Float) -> UInt16 {
    let u = value.bitPattern
    if (u & 0x7FFF_FFFF) > 0x7F80_0000 {
      return UInt16(truncatingIfNeeded: u &>> 16) | 64
    }
    return UInt16(truncatingIfNeeded: (u &+ (0x7FFF &+ ((u &>> 16) & 1))) &>> 16)
  }
}

/// The binary16 value at byte `offset` of `p` as a Float (block scales).
@inline(__always)
func loadHalf(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
  Half.toFloat(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
}
