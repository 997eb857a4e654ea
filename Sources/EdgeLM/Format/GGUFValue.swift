// GGUF metadata values: the type ids stored in the file and the decoded
// values. Reading lives in GGUFReader.swift, writing in GGUFWriter.swift.

/// Metadata value type ids as stored in a GGUF file (`enum gguf_type`).
public enum GGUFValueType: UInt32, Sendable {
  case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

  /// The name gguf-py prints ("uint32", "string", ...), used in error messages.
  public var name: String {
    switch self {
    case .uint8: return "uint8"
    case .int8: return "int8"
    case .uint16: return "uint16"
    case .int16: return "int16"
    case .uint32: return "uint32"
    case .int32: return "int32"
    case .float32: return "float32"
    case .bool: return "bool"
    case .string: return "string"
    case .array: return "array"
    case .uint64: return "uint64"
    case .int64: return "int64"
    case .float64: return "float64"
    }
  }

  /// Bytes of a scalar value of this type, or nil for string and array,
  /// whose size depends on their contents.
  public var scalarSize: Int? {
    switch self {
    case .uint8, .int8, .bool: return 1
    case .uint16, .int16: return 2
    case .uint32, .int32, .float32: return 4
    case .uint64, .int64, .float64: return 8
    case .string, .array: return nil
    }
  }

  /// The fewest bytes one value of this type can occupy in a file: a string is
  /// at least its 8-byte length, an array its 4-byte element type and 8-byte
  /// count. Used to bound counts by the bytes that remain.
  var minimumEncodedSize: Int {
    switch self {
    case .string: return 8
    case .array: return 12
    default: return scalarSize ?? 1
    }
  }

  /// True for the eight integer types.
  public var isInteger: Bool {
    switch self {
    case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64: return true
    default: return false
    }
  }
}

/// One decoded metadata value. Strings stay raw bytes (GGUF requires UTF-8 but
/// tokenizer vocabularies are consumed as bytes); use the typed getters on
/// `GGUFFile` to get a validated `String`.
public enum GGUFValue {
  case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
  case float32(Float), bool(Bool), string([UInt8]), uint64(UInt64), int64(Int64), float64(Double)
  case array(GGUFArray)

  /// The type id this value is stored with.
  public var type: GGUFValueType {
    switch self {
    case .uint8: return .uint8
    case .int8: return .int8
    case .uint16: return .uint16
    case .int16: return .int16
    case .uint32: return .uint32
    case .int32: return .int32
    case .float32: return .float32
    case .bool: return .bool
    case .string: return .string
    case .uint64: return .uint64
    case .int64: return .int64
    case .float64: return .float64
    case .array: return .array
    }
  }

  /// A string value from Swift text (stored as its UTF-8 bytes).
  public static func string(_ text: String) -> GGUFValue { .string(Array(text.utf8)) }

  /// The value of any integer case as `Int`, or nil if this is not an
  /// integer or a `uint64` above `Int.max`.
  public var intValue: Int? {
    switch self {
    case .uint8(let v): return Int(v)
    case .int8(let v): return Int(v)
    case .uint16(let v): return Int(v)
    case .int16(let v): return Int(v)
    case .uint32(let v): return Int(v)
    case .int32(let v): return Int(v)
    case .uint64(let v): return v <= UInt64(Int.max) ? Int(v) : nil
    case .int64(let v): return Int(v)
    default: return nil
    }
  }

  /// The value of a float or integer case as `Float`, or nil otherwise.
  public var floatValue: Float? {
    switch self {
    case .float32(let v): return v
    case .float64(let v): return Float(v)
    case .uint8(let v): return Float(v)
    case .int8(let v): return Float(v)
    case .uint16(let v): return Float(v)
    case .int16(let v): return Float(v)
    case .uint32(let v): return Float(v)
    case .int32(let v): return Float(v)
    case .uint64(let v): return Float(v)
    case .int64(let v): return Float(v)
    default: return nil
    }
  }

  /// A short description for error messages: the type, and for arrays the
  /// element type ("array of string").
  public var typeDescription: String {
    if case .array(let a) = self { return "array of " + a.elementType.name }
    return type.name
  }
}

/// A metadata array. All values have `elementType`; nested arrays (element
/// type `.array`) each carry their own element type.
public struct GGUFArray {
  public let elementType: GGUFValueType
  public let values: [GGUFValue]

  /// An array of `values`, which should all be of `elementType`
  /// (`GGUFWriter` reports a mismatch).
  public init(elementType: GGUFValueType, values: [GGUFValue]) {
    self.elementType = elementType
    self.values = values
  }
}

/// One key-value pair of the metadata section, in file order.
public struct GGUFMetadataEntry {
  public let key: String
  public let value: GGUFValue

  public init(key: String, value: GGUFValue) {
    self.key = key
    self.value = value
  }
}
