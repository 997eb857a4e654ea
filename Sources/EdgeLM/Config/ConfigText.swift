// Byte-level text helpers for config messages: exact comparison with
// literals, key paths, quoting and source locations. All on bytes, so the
// Embedded build needs no Unicode tables for them. (UTF-8 validation is
// Format/UTF8Check.swift, shared with the GGUF reader.)

// MARK: - Messages

enum ConfigText {
  /// True if `bytes` equals the literal exactly.
  static func equals(_ bytes: [UInt8], _ literal: StaticString) -> Bool {
    let count = literal.utf8CodeUnitCount
    guard bytes.count == count else { return false }
    let p = literal.utf8Start
    for i in 0..<count where bytes[i] != p[i] { return false }
    return true
  }

  /// The bytes of a literal.
  static func bytes(_ literal: StaticString) -> [UInt8] {
    Array(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
  }

  static func string(_ literal: StaticString) -> String {
    String(decoding: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount), as: UTF8.self)
  }

  /// Two uppercase hex digits.
  static func hex(_ b: UInt8) -> String {
    let digits: StaticString = "0123456789ABCDEF"
    let p = digits.utf8Start
    return String(decoding: [p[Int(b >> 4)], p[Int(b & 15)]], as: UTF8.self)
  }

  /// "offset N (line L, column C)": offset counts bytes from 0; line and
  /// column count from 1, columns in characters (UTF-8 continuation bytes
  /// are not counted).
  static func location(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> String {
    var line = 1
    var column = 1
    var i = 0
    let end = min(offset, bytes.count)
    while i < end {
      let b = bytes[i]
      if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
      i += 1
    }
    return "offset \(offset) (line \(line), column \(column))"
  }

  /// `bytes` as they appear inside a quoted message: `"` and `\` and control
  /// characters escaped JSON-style, cut after `limit` bytes (on a character
  /// boundary) with "..." appended. Invalid UTF-8 is shown as U+FFFD.
  static func escaped(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int = 64) -> String {
    var out: [UInt8] = []
    var end = bytes.count
    var truncated = false
    if end > limit {
      end = limit
      while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
      truncated = true
    }
    var i = 0
    while i < end {
      let b = bytes[i]
      switch b {
      case 0x22: out.append(0x5C); out.append(0x22)
      case 0x5C: out.append(0x5C); out.append(0x5C)
      case 0x0A: out.append(0x5C); out.append(0x6E)
      case 0x09: out.append(0x5C); out.append(0x74)
      case 0x0D: out.append(0x5C); out.append(0x72)
      case 0..<0x20, 0x7F:
        for c in "\\u00".utf8 { out.append(c) }
        for c in hex(b).utf8 { out.append(c) }
      default: out.append(b)
      }
      i += 1
    }
    if truncated { out.append(0x2E); out.append(0x2E); out.append(0x2E) }
    return String(decoding: out, as: UTF8.self)
  }

  static func escaped(_ bytes: [UInt8], limit: Int = 64) -> String {
    bytes.withUnsafeBufferPointer { escaped($0, limit: limit) }
  }

  /// `"text"`, escaped and cut as `escaped` does.
  static func quoted(_ bytes: [UInt8], limit: Int = 64) -> String {
    "\"" + escaped(bytes, limit: limit) + "\""
  }

  /// `parent.key`, or `parent["odd key"]` when the key is not made of
  /// ASCII letters, digits, `_` and `-` (so every path is unambiguous).
  static func path(_ parent: String, key: [UInt8]) -> String {
    var plain = !key.isEmpty && key.count <= 64
    for b in key {
      let ok = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D
      if !ok { plain = false; break }
    }
    if plain {
      let name = String(decoding: key, as: UTF8.self)
      return parent.isEmpty ? name : parent + "." + name
    }
    return parent + "[" + quoted(key) + "]"
  }

  static func path(_ parent: String, index: Int) -> String {
    parent + "[\(index)]"
  }
}
