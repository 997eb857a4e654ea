/// Tensor element types as numbered in ggml.h (GGUF stores these ids).
/// Only the ids are listed here; each type's sizes, name and functions are
/// its row of the type table (`traits`, Quant/Types/TypeTraits.swift) and
/// its block layout is in `Quant/Types/`.
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

  /// Elements per block (from the type table, Quant/Types/TypeTraits.swift).
  public var blockSize: Int { traits.blockSize }

  /// Bytes per block.
  public var blockBytes: Int { traits.blockBytes }

  /// The name llama.cpp prints ("q4_1", "f16", ...).
  public var name: String {
    traits.name.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }  // short: stored inline, no allocation
  }

  /// Bytes for a row of `count` elements, or nil if `count` is not a whole
  /// number of blocks or the size overflows.
  public func rowBytes(_ count: Int) -> Int? {
    guard count >= 0, count % blockSize == 0 else { return nil }
    let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: blockBytes)
    return overflow ? nil : bytes
  }
}
