// Typed metadata getters on GGUFFile. Each returns nil when the key is
// absent and throws `.format` naming the key, its offset and the actual type
// when the value has the wrong type or does not fit.

extension GGUFFile {
  /// The error for metadata `key` holding `value` where `expected` was wanted.
  func typeMismatch(_ key: String, _ value: GGUFValue, expected: String) -> EdgeLMError {
    let at = valueOffset(key) ?? 0
    return EdgeLMError(.format, "GGUF: metadata '\(key)' (value at offset \(at)) is \(value.typeDescription), expected \(expected)")
  }

  /// A string value as `String`.
  /// - Returns: nil if `key` is absent.
  /// - Throws: `.format` if the value is not a string or not valid UTF-8.
  public func string(_ key: String) throws(EdgeLMError) -> String? {
    guard let value = value(key) else { return nil }
    guard case .string(let bytes) = value else { throw typeMismatch(key, value, expected: "string") }
    guard GGUFText.isValidUTF8(bytes) else {
      throw EdgeLMError(.format, "GGUF: metadata '\(key)' (value at offset \(valueOffset(key) ?? 0)) is not valid UTF-8")
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// A string value as its raw bytes.
  /// - Returns: nil if `key` is absent.
  /// - Throws: `.format` if the value is not a string.
  public func bytes(_ key: String) throws(EdgeLMError) -> [UInt8]? {
    guard let value = value(key) else { return nil }
    guard case .string(let bytes) = value else { throw typeMismatch(key, value, expected: "string") }
    return bytes
  }

  /// Any integer value as `Int`.
  /// - Returns: nil if `key` is absent.
  /// - Throws: `.format` if the value is not an integer or does not fit in `Int`.
  public func integer(_ key: String) throws(EdgeLMError) -> Int? {
    guard let value = value(key) else { return nil }
    guard value.type.isInteger else { throw typeMismatch(key, value, expected: "an integer") }
    guard let v = value.intValue else {
      throw EdgeLMError(.format, "GGUF: metadata '\(key)' (value at offset \(valueOffset(key) ?? 0)) is \(describe(value)), which does not fit in Int")
    }
    return v
  }

  /// A float32 or float64 value (integers are accepted and converted).
  /// - Returns: nil if `key` is absent.
  /// - Throws: `.format` if the value is not a number.
  public func float(_ key: String) throws(EdgeLMError) -> Float? {
    guard let value = value(key) else { return nil }
    guard let v = value.floatValue else { throw typeMismatch(key, value, expected: "a number") }
    return v
  }

  /// A bool value.
  /// - Returns: nil if `key` is absent.
  /// - Throws: `.format` if the value is not a bool.
  public func bool(_ key: String) throws(EdgeLMError) -> Bool? {
    guard let value = value(key) else { return nil }
    guard case .bool(let b) = value else { throw typeMismatch(key, value, expected: "bool") }
    return b
  }

  /// An array of strings, each as raw bytes, in one buffer.
  /// - Returns: nil if `key` is absent.
  /// - Throws: `.format` if the value is not an array of string.
  public func stringArray(_ key: String) throws(EdgeLMError) -> ByteStrings? {
    guard let value = value(key) else { return nil }
    guard case .array(let array) = value, let strings = array.strings else {
      throw typeMismatch(key, value, expected: "array of string")
    }
    return strings
  }

  /// An array of any integer type, as `Int`s.
  /// - Returns: nil if `key` is absent.
  /// - Throws: `.format` if the value is not an integer array or an element
  ///   does not fit in `Int`.
  public func integerArray(_ key: String) throws(EdgeLMError) -> [Int]? {
    guard let value = value(key) else { return nil }
    guard case .array(let array) = value, array.elementType.isInteger else {
      throw typeMismatch(key, value, expected: "an array of integers")
    }
    var out: [Int] = []
    out.reserveCapacity(array.count)
    for i in 0..<array.count {
      let v = array[i]
      guard let n = v.intValue else {
        throw EdgeLMError(.format, "GGUF: metadata '\(key)' (value at offset \(valueOffset(key) ?? 0)): element \(i) is \(describe(v)), which does not fit in Int")
      }
      out.append(n)
    }
    return out
  }

  /// An array of float32, float64 or integers, as `Float`s.
  /// - Returns: nil if `key` is absent.
  /// - Throws: `.format` if the value is not an array of numbers.
  public func floatArray(_ key: String) throws(EdgeLMError) -> [Float]? {
    guard let value = value(key) else { return nil }
    guard case .array(let array) = value, array.elementType == .float32 || array.elementType == .float64 || array.elementType.isInteger else {
      throw typeMismatch(key, value, expected: "an array of numbers")
    }
    var out: [Float] = []
    out.reserveCapacity(array.count)
    for i in 0..<array.count {
      guard let f = array[i].floatValue else { throw typeMismatch(key, value, expected: "an array of numbers") }
      out.append(f)
    }
    return out
  }

  private func describe(_ value: GGUFValue) -> String {
    if case .uint64(let v) = value { return "uint64 \(v)" }
    return value.typeDescription
  }
}
