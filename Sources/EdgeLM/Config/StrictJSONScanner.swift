// A strict JSON recognizer (RFC 8259) run over the config bytes before
// json-c sees them. json-c 0.16, even with JSON_TOKENER_STRICT, accepts
// duplicate keys (keeping the last), NaN/Infinity/-Infinity, single-quoted
// strings, raw control characters in strings, "\u0000", lone surrogates and
// integers past int64 (saturating them); it has no notion of key paths
// either. This scanner builds no values: it walks the grammar, tracks the key
// path for messages, and throws `.config` at the first problem with its byte
// offset. The input has already been checked to be valid UTF-8.

struct StrictJSONScanner {
  let bytes: UnsafeRawBufferPointer
  var pos = 0
  /// The key path of the value being scanned, for messages.
  var path = ""
  /// Values scanned (objects, arrays and scalars, nested ones included):
  /// the decoder checks that json-c's tree holds as many, since json-c
  /// drops a member whose allocation fails without reporting it.
  var values = 0

  init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  @inline(__always)
  static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

  @inline(__always)
  static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

  /// Scans the whole input: one JSON value, then only whitespace. The value
  /// must be an object.
  mutating func run() throws(EdgeLMError) {
    if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
      throw EdgeLMError(.config, "config: a UTF-8 byte order mark at offset 0 is not allowed in JSON (save the file without BOM)")
    }
    skipWhitespace()
    let start = pos
    try scanValue(depth: 0)
    skipWhitespace()
    if pos < bytes.count {
      var hint = ""
      if bytes[pos] == 0x2F { hint = " (comments are not allowed in JSON)" }
      else if bytes[pos] == 0x7B || bytes[pos] == 0x5B { hint = " (only one top-level object is allowed)" }
      throw EdgeLMError(.config, "config: trailing characters at " + ConfigText.location(bytes, pos) + hint)
    }
    let kind: String
    switch bytes[start] {
    case 0x7B: return
    case 0x5B: kind = "an array"
    case 0x22: kind = "a string"
    case 0x74, 0x66: kind = "a boolean"
    case 0x6E: kind = "null"
    default: kind = "a number"
    }
    throw EdgeLMError(.config, "config: the top level must be a JSON object ({...}), found " + kind)
  }

  // MARK: - Errors

  /// `config: PATH: REASON at offset N (line L, column C)`.
  func failure(_ reason: String, at offset: Int) -> EdgeLMError {
    let prefix = path.isEmpty ? "config: " : "config: " + path + ": "
    return EdgeLMError(.config, prefix + reason + " at " + ConfigText.location(bytes, offset))
  }

  /// The error for a byte that cannot start what was expected.
  func unexpected(expected: String) -> EdgeLMError {
    guard pos < bytes.count else {
      return failure("unexpected end of input, expected " + expected, at: pos)
    }
    let b = bytes[pos]
    if b == 0x2F { return failure("comments are not allowed in JSON", at: pos) }
    if b == 0x27 { return failure("strings and keys must use double quotes, not single quotes", at: pos) }
    if b >= 0x21 && b < 0x7F {
      let c = String(decoding: [b], as: UTF8.self)
      return failure("unexpected character '" + c + "', expected " + expected, at: pos)
    }
    return failure("unexpected byte 0x" + ConfigText.hex(b) + ", expected " + expected, at: pos)
  }

  // MARK: - Grammar

  mutating func skipWhitespace() {
    while pos < bytes.count && StrictJSONScanner.isWhitespace(bytes[pos]) { pos += 1 }
  }

  /// True if the bytes at `pos` spell `word`.
  func matches(_ word: StaticString) -> Bool {
    let n = word.utf8CodeUnitCount
    guard bytes.count - pos >= n else { return false }
    let p = word.utf8Start
    for i in 0..<n where bytes[pos + i] != p[i] { return false }
    return true
  }

  /// `depth` is the number of objects and arrays around this value.
  mutating func scanValue(depth: Int) throws(EdgeLMError) {
    guard pos < bytes.count else { throw unexpected(expected: "a value") }
    values += 1
    switch bytes[pos] {
    case 0x7B: try scanObject(depth: depth + 1)
    case 0x5B: try scanArray(depth: depth + 1)
    case 0x22: _ = try scanString(decode: false)
    case 0x2D, 0x30...0x39: try scanNumber()
    case 0x74: try scanLiteral("true")
    case 0x66: try scanLiteral("false")
    case 0x6E:
      if matches("nan") { throw failure("NaN is not valid JSON", at: pos) }
      try scanLiteral("null")
    case 0x4E:
      if matches("NaN") { throw failure("NaN is not valid JSON", at: pos) }
      throw unexpected(expected: "a value")
    case 0x49:
      if matches("Infinity") { throw failure("Infinity is not valid JSON", at: pos) }
      throw unexpected(expected: "a value")
    default: throw unexpected(expected: "a value")
    }
  }

  mutating func scanLiteral(_ word: StaticString) throws(EdgeLMError) {
    guard matches(word) else {
      throw failure("invalid literal (expected " + ConfigText.string(word) + ")", at: pos)
    }
    pos += word.utf8CodeUnitCount
  }

  mutating func checkDepth(_ depth: Int) throws(EdgeLMError) {
    if depth > RuntimeConfig.maxDepth {
      throw failure("nesting deeper than \(RuntimeConfig.maxDepth) levels", at: pos)
    }
  }

  mutating func scanObject(depth: Int) throws(EdgeLMError) {
    try checkDepth(depth)
    pos += 1  // {
    skipWhitespace()
    if pos < bytes.count && bytes[pos] == 0x7D { pos += 1; return }
    let parent = path
    var keys = Set<[UInt8]>()
    while true {
      skipWhitespace()
      guard pos < bytes.count else {
        throw failure("unexpected end of input in an object (missing '}')", at: pos)
      }
      if bytes[pos] != 0x22 {
        if bytes[pos] == 0x7D { throw failure("trailing comma before '}'", at: pos) }
        throw unexpected(expected: "a double-quoted key")
      }
      let keyStart = pos
      let key = try scanString(decode: true)
      path = ConfigText.path(parent, key: key)
      if !keys.insert(key).inserted {
        let where_ = ConfigText.location(bytes, keyStart)
        path = parent
        throw EdgeLMError(.config, "config: duplicate key " + ConfigText.path(parent, key: key) + " at " + where_)
      }
      skipWhitespace()
      guard pos < bytes.count, bytes[pos] == 0x3A else { throw unexpected(expected: "':' after the key") }
      pos += 1
      skipWhitespace()
      try scanValue(depth: depth)
      path = parent
      skipWhitespace()
      guard pos < bytes.count else {
        throw failure("unexpected end of input in an object (missing '}')", at: pos)
      }
      if bytes[pos] == 0x2C { pos += 1; continue }
      if bytes[pos] == 0x7D { pos += 1; return }
      throw unexpected(expected: "',' or '}' after a value in an object")
    }
  }

  mutating func scanArray(depth: Int) throws(EdgeLMError) {
    try checkDepth(depth)
    pos += 1  // [
    skipWhitespace()
    if pos < bytes.count && bytes[pos] == 0x5D { pos += 1; return }
    let parent = path
    var index = 0
    while true {
      skipWhitespace()
      if pos < bytes.count && bytes[pos] == 0x5D { throw failure("trailing comma before ']'", at: pos) }
      path = ConfigText.path(parent, index: index)
      try scanValue(depth: depth)
      path = parent
      skipWhitespace()
      guard pos < bytes.count else {
        throw failure("unexpected end of input in an array (missing ']')", at: pos)
      }
      if bytes[pos] == 0x2C { pos += 1; index += 1; continue }
      if bytes[pos] == 0x5D { pos += 1; return }
      throw unexpected(expected: "',' or ']' after a value in an array")
    }
  }

  /// Scans a string at `pos` (the opening quote). With `decode`, returns its
  /// decoded bytes (UTF-8, escapes resolved), used to compare keys.
  mutating func scanString(decode: Bool) throws(EdgeLMError) -> [UInt8] {
    let start = pos
    pos += 1
    var out: [UInt8] = []
    while true {
      guard pos < bytes.count else {
        throw failure("unterminated string starting", at: start)
      }
      let b = bytes[pos]
      if b == 0x22 { pos += 1; return out }
      if b < 0x20 {
        throw failure("control character 0x" + ConfigText.hex(b) + " in a string must be escaped", at: pos)
      }
      if b != 0x5C {
        if decode { out.append(b) }
        pos += 1
        continue
      }
      // An escape.
      let escapeStart = pos
      pos += 1
      guard pos < bytes.count else {
        throw failure("unterminated string starting", at: start)
      }
      let e = bytes[pos]
      pos += 1
      switch e {
      case 0x22, 0x5C, 0x2F: if decode { out.append(e) }
      case 0x62: if decode { out.append(0x08) }
      case 0x66: if decode { out.append(0x0C) }
      case 0x6E: if decode { out.append(0x0A) }
      case 0x72: if decode { out.append(0x0D) }
      case 0x74: if decode { out.append(0x09) }
      case 0x75:
        var scalar = try hex4(escapeStart)
        if scalar >= 0xDC00 && scalar <= 0xDFFF {
          throw failure("unpaired surrogate escape (a low surrogate without a high one)", at: escapeStart)
        }
        if scalar >= 0xD800 && scalar <= 0xDBFF {
          guard bytes.count - pos >= 2, bytes[pos] == 0x5C, bytes[pos + 1] == 0x75 else {
            throw failure("unpaired surrogate escape (a high surrogate without a low one)", at: escapeStart)
          }
          pos += 2
          let low = try hex4(pos - 2)
          guard low >= 0xDC00 && low <= 0xDFFF else {
            throw failure("unpaired surrogate escape (a high surrogate without a low one)", at: escapeStart)
          }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        if scalar == 0 {
          throw failure("\\u0000 (NUL) is not allowed in config strings", at: escapeStart)
        }
        if decode { StrictJSONScanner.appendUTF8(scalar, to: &out) }
      default:
        if e >= 0x21 && e < 0x7F {
          throw failure("invalid escape '\\" + String(decoding: [e], as: UTF8.self) + "' in a string", at: escapeStart)
        }
        throw failure("invalid escape in a string", at: escapeStart)
      }
    }
  }

  /// Reads the 4 hex digits after `\u` at `pos`.
  mutating func hex4(_ escapeStart: Int) throws(EdgeLMError) -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard pos < bytes.count else {
        throw failure("incomplete \\u escape (4 hex digits needed)", at: escapeStart)
      }
      let b = bytes[pos]
      let digit: UInt32
      switch b {
      case 0x30...0x39: digit = UInt32(b - 0x30)
      case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
      case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
      default: throw failure("incomplete \\u escape (4 hex digits needed)", at: escapeStart)
      }
      value = value << 4 | digit
      pos += 1
    }
    return value
  }

  static func appendUTF8(_ s: UInt32, to out: inout [UInt8]) {
    if s < 0x80 {
      out.append(UInt8(s))
    } else if s < 0x800 {
      out.append(UInt8(0xC0 | (s >> 6)))
      out.append(UInt8(0x80 | (s & 0x3F)))
    } else if s < 0x10000 {
      out.append(UInt8(0xE0 | (s >> 12)))
      out.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
      out.append(UInt8(0x80 | (s & 0x3F)))
    } else {
      out.append(UInt8(0xF0 | (s >> 18)))
      out.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
      out.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
      out.append(UInt8(0x80 | (s & 0x3F)))
    }
  }

  /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`. An integer
  /// literal (no fraction, no exponent) must fit in Int64; json-c would
  /// silently saturate it.
  mutating func scanNumber() throws(EdgeLMError) {
    let start = pos
    var negative = false
    if bytes[pos] == 0x2D {
      negative = true
      pos += 1
      if matches("Infinity") { throw failure("-Infinity is not valid JSON", at: start) }
    }
    guard pos < bytes.count, StrictJSONScanner.isDigit(bytes[pos]) else {
      throw failure("invalid number: a digit must follow '-'", at: start)
    }
    let digitsStart = pos
    if bytes[pos] == 0x30 {
      pos += 1
      if pos < bytes.count && StrictJSONScanner.isDigit(bytes[pos]) {
        throw failure("invalid number: leading zeros are not allowed", at: start)
      }
    } else {
      while pos < bytes.count && StrictJSONScanner.isDigit(bytes[pos]) { pos += 1 }
    }
    let digitsEnd = pos
    var isInteger = true
    if pos < bytes.count && bytes[pos] == 0x2E {
      isInteger = false
      pos += 1
      guard pos < bytes.count, StrictJSONScanner.isDigit(bytes[pos]) else {
        throw failure("invalid number: a digit must follow '.'", at: start)
      }
      while pos < bytes.count && StrictJSONScanner.isDigit(bytes[pos]) { pos += 1 }
    }
    if pos < bytes.count && (bytes[pos] == 0x65 || bytes[pos] == 0x45) {
      isInteger = false
      pos += 1
      if pos < bytes.count && (bytes[pos] == 0x2B || bytes[pos] == 0x2D) { pos += 1 }
      guard pos < bytes.count, StrictJSONScanner.isDigit(bytes[pos]) else {
        throw failure("invalid number: a digit must follow the exponent", at: start)
      }
      while pos < bytes.count && StrictJSONScanner.isDigit(bytes[pos]) { pos += 1 }
    }
    guard isInteger else { return }
    // Accumulate negatively so Int64.min fits.
    var value: Int64 = 0
    var i = digitsStart
    while i < digitsEnd {
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.subtractingReportingOverflow(Int64(bytes[i] - 0x30))
      if o1 || o2 { throw tooLarge(start) }
      value = s
      i += 1
    }
    if !negative && value == Int64.min { throw tooLarge(start) }
  }

  func tooLarge(_ start: Int) -> EdgeLMError {
    let literal = ConfigText.escaped(Array(bytes[start..<pos]), limit: 40)
    let name = path.isEmpty ? "integer" : path
    return EdgeLMError(.config, "config: " + name + " = " + literal
      + " is outside the 64-bit integer range at " + ConfigText.location(bytes, start))
  }
}
