// Block layouts of the quantized types, byte for byte as ggml stores them
// (ggml/src/ggml-common.h). All multi-byte fields are little-endian; blocks
// are packed with no padding, so a row of n elements is n/32 blocks back to
// back and a block may start at any byte offset (every load is unaligned).
//
//   type  bytes  layout (offset: field)                       value of element j
//   f32     4    0: float                                     x
//   f16     2    0: binary16                                  x
//   bf16    2    0: bfloat16                                  x
//   q4_0   18    0: d f16 | 2: qs[16]                         d * (q_j - 8)
//   q4_1   20    0: d f16 | 2: m f16 | 4: qs[16]              d * q_j + m
//   q5_0   22    0: d f16 | 2: qh u32 | 6: qs[16]             d * (q_j - 16)
//   q5_1   24    0: d f16 | 2: m f16 | 4: qh u32 | 8: qs[16]  d * q_j + m
//   q8_0   34    0: d f16 | 2: qs[32] int8                    d * q_j
//   q8_1   36    0: d f16 | 2: s f16 | 4: qs[32] int8         d * q_j   (s = d * sum q_j)
//
// 4-bit codes: byte k of qs holds element k in its low nibble and element
// k + 16 in its high nibble (k = 0..<16). 5-bit codes add bit j of qh as the
// fifth bit (value 16) of element j. q8_1 only ever holds activations: it is
// what q4_1 and q5_1 weights are multiplied with (ggml's vec_dot_type).
// The K-quant types (super-blocks of 256) are in KBlockFormats.swift.

/// Byte offsets inside the blocks above, used by every kernel in `Quant/`.
enum BlockLayout {
  /// Elements per block of every 32-element type.
  static let qk = 32

  static let q4_0Bytes = 18, q4_0Qs = 2
  static let q4_1Bytes = 20, q4_1M = 2, q4_1Qs = 4
  static let q5_0Bytes = 22, q5_0Qh = 2, q5_0Qs = 6
  static let q5_1Bytes = 24, q5_1M = 2, q5_1Qh = 4, q5_1Qs = 8
  static let q8_0Bytes = 34, q8_0Qs = 2
  static let q8_1Bytes = 36, q8_1S = 2, q8_1Qs = 4
}

/// Kernels over ggml's block formats: dequantize, quantize and fused dot
/// products (integer dot products of the codes, scaled once per block).
public enum QuantKernels {
  /// Whether `type` has dequantize and dot-product kernels here (it can be a
  /// weight type). q8_1 and q8_K are activation-only: they quantize and
  /// dequantize but are never weights, so they are not listed.
  public static func isSupported(_ type: GGMLType) -> Bool {
    switch type {
    case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return true
    case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return true
    default: return false
    }
  }

  /// Whether `quantize`, `quantizeReference`, `dequantize` and
  /// `dequantizeReference` handle `type` (the supported weight types plus
  /// q8_1 and q8_K).
  public static func canConvert(_ type: GGMLType) -> Bool {
    isSupported(type) || type == .q8_1 || type == .q8_K
  }

  /// The format activations are converted to before a dot product with
  /// weights of `type`, as ggml's vec_dot_type: q4_0, q5_0, q8_0 -> q8_0;
  /// q4_1, q5_1 -> q8_1; q2_K...q6_K -> q8_K; f16 -> f16; bf16 -> bf16;
  /// f32 -> f32. Types without kernels map to themselves.
  public static func activationType(for weightType: GGMLType) -> GGMLType {
    switch weightType {
    case .q4_0, .q5_0, .q8_0: return .q8_0
    case .q4_1, .q5_1: return .q8_1
    case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return .q8_K
    default: return weightType
    }
  }
}
