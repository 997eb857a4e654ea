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
  // Boxed: inline, the three-word GGUFArray made Swift store this enum's
  // case tag in the spare high bits of the array's last buffer pointer,
  // which LeakSanitizer then cannot recognise, so every string array of a
  // file still open at exit was reported as leaked. Behind a box pointer
  // the tag gets its own byte (the 64-bit cases leave no spare bits).
  indirect case array(GGUFArray)

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
///
/// Stored compactly: strings back to back in one `ByteStrings`, numbers and
/// bools as their little-endian bytes (as in the file), so a 262,144-entry
/// vocabulary costs a few MB instead of one heap object per entry. Values
/// are decoded on access.
public struct GGUFArray {
  public let elementType: GGUFValueType
  let storage: Storage

  enum Storage {
    /// Element type string.
    case strings(ByteStrings)
    /// Scalar element types: `count * elementType.scalarSize!` bytes.
    case scalars([UInt8])
    /// Nested arrays, and values that do not all have `elementType` (kept
    /// as given so `GGUFWriter` can report the mismatch).
    case values([GGUFValue])
  }

  /// An array of `values`, which should all be of `elementType`
  /// (`GGUFWriter` reports a mismatch).
  public init(elementType: GGUFValueType, values: [GGUFValue]) {
    self.elementType = elementType
    var uniform = elementType != .array
    for v in values where v.type != elementType { uniform = false }
    guard uniform else {
      storage = .values(values)
      return
    }
    if elementType == .string {
      var list = ByteStrings()
      for v in values { if case .string(let s) = v { list.append(s) } }
      storage = .strings(list)
    } else {
      var bytes: [UInt8] = []
      bytes.reserveCapacity(values.count * (elementType.scalarSize ?? 1))
      for v in values { GGUFArray.appendScalar(v, to: &bytes) }
      storage = .scalars(bytes)
    }
  }

  /// An array of strings.
  public init(strings: ByteStrings) {
    elementType = .string
    storage = .strings(strings)
  }

  /// An array of `elementType` (a scalar type) from its little-endian bytes.
  init(scalarType: GGUFValueType, bytes: [UInt8]) {
    elementType = scalarType
    storage = .scalars(bytes)
  }

  /// Number of elements.
  public var count: Int {
    switch storage {
    case .strings(let s): return s.count
    case .scalars(let b): return b.count / (elementType.scalarSize ?? 1)
    case .values(let v): return v.count
    }
  }

  /// The strings, when this is a uniform string array.
  public var strings: ByteStrings? {
    if case .strings(let s) = storage { return s }
    return nil
  }

  /// Element `i` (0 <= i < count), decoded.
  public subscript(i: Int) -> GGUFValue {
    switch storage {
    case .strings(let s): return .string(Array(s[i]))
    case .values(let v): return v[i]
    case .scalars(let b):
      let size = elementType.scalarSize ?? 1
      return b.withUnsafeBytes { raw -> GGUFValue in
        let at = i * size
        switch elementType {
        case .uint8: return .uint8(raw[at])
        case .int8: return .int8(Int8(bitPattern: raw[at]))
        case .bool: return .bool(raw[at] != 0)
        case .uint16: return .uint16(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
        case .int16: return .int16(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int16.self)))
        case .uint32: return .uint32(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        case .int32: return .int32(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int32.self)))
        case .float32:
          return .float32(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))))
        case .uint64: return .uint64(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
        case .int64: return .int64(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: Int64.self)))
        case .float64:
          return .float64(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))))
        case .string, .array: return .uint8(0)  // not stored as scalars
        }
      }
    }
  }

  /// Every element, decoded (allocates; prefer `count` and the subscript).
  public var values: [GGUFValue] {
    if case .values(let v) = storage { return v }
    var out: [GGUFValue] = []
    out.reserveCapacity(count)
    for i in 0..<count { out.append(self[i]) }
    return out
  }

  /// Appends the little-endian bytes of scalar `v`.
  static func appendScalar(_ v: GGUFValue, to bytes: inout [UInt8]) {
    func le<T: FixedWidthInteger>(_ x: T) {
      var y = x.littleEndian
      withUnsafeBytes(of: &y) { bytes.append(contentsOf: $0) }
    }
    switch v {
    case .uint8(let x): bytes.append(x)
    case .int8(let x): bytes.append(UInt8(bitPattern: x))
    case .bool(let x): bytes.append(x ? 1 : 0)
    case .uint16(let x): le(x)
    case .int16(let x): le(x)
    case .uint32(let x): le(x)
    case .int32(let x): le(x)
    case .float32(let x): le(x.bitPattern)
    case .uint64(let x): le(x)
    case .int64(let x): le(x)
    case .float64(let x): le(x.bitPattern)
    case .string, .array: break
    }
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
