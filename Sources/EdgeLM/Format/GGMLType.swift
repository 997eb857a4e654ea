/// Tensor element types as numbered in ggml.h (GGUF stores these ids).
/// Only the ids are listed here; block layouts live in `Quant/`.
public enum GGMLType: UInt32, Sendable {
  case f32 = 0
  case f16 = 1
  case q4_0 = 2
  case q4_1 = 3
  case q5_0 = 6
  case q5_1 = 7
  case q8_0 = 8
  case q8_1 = 9
  case q2_K = 10
  case q3_K = 11
  case q4_K = 12
  case q5_K = 13
  case q6_K = 14
  case q8_K = 15
  case i8 = 24
  case i16 = 25
  case i32 = 26
  case i64 = 27
  case f64 = 28
  case bf16 = 30

  /// Elements per block.
  public var blockSize: Int {
    switch self {
    case .f32, .f16, .bf16, .i8, .i16, .i32, .i64, .f64: return 1
    case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1: return 32
    case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K: return 256
    }
  }

  /// Bytes per block.
  public var blockBytes: Int {
    switch self {
    case .f32: return 4
    case .f16, .bf16: return 2
    case .i8: return 1
    case .i16: return 2
    case .i32: return 4
    case .i64, .f64: return 8
    case .q4_0: return 18  // f16 d, 16 bytes of nibbles
    case .q4_1: return 20  // f16 d, f16 m, 16 bytes
    case .q5_0: return 22  // f16 d, 4 bytes high bits, 16 bytes
    case .q5_1: return 24  // f16 d, f16 m, 4 bytes, 16 bytes
    case .q8_0: return 34  // f16 d, 32 int8
    case .q8_1: return 36  // f16 d, f16 s, 32 int8
    case .q2_K: return 84
    case .q3_K: return 110
    case .q4_K: return 144
    case .q5_K: return 176
    case .q6_K: return 210
    case .q8_K: return 292
    }
  }

  /// The name llama.cpp prints ("q4_1", "f16", ...).
  public var name: String {
    switch self {
    case .f32: return "f32"
    case .f16: return "f16"
    case .q4_0: return "q4_0"
    case .q4_1: return "q4_1"
    case .q5_0: return "q5_0"
    case .q5_1: return "q5_1"
    case .q8_0: return "q8_0"
    case .q8_1: return "q8_1"
    case .q2_K: return "q2_K"
    case .q3_K: return "q3_K"
    case .q4_K: return "q4_K"
    case .q5_K: return "q5_K"
    case .q6_K: return "q6_K"
    case .q8_K: return "q8_K"
    case .i8: return "i8"
    case .i16: return "i16"
    case .i32: return "i32"
    case .i64: return "i64"
    case .f64: return "f64"
    case .bf16: return "bf16"
    }
  }

  /// Bytes for a row of `count` elements, or nil if `count` is not a whole
  /// number of blocks or the size overflows.
  public func rowBytes(_ count: Int) -> Int? {
    guard count >= 0, count % blockSize == 0 else { return nil }
    let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: blockBytes)
    return overflow ? nil : bytes
  }
}
