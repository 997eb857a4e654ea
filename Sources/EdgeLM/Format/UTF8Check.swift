// UTF-8 validation on bytes, shared by the GGUF reader (keys, names, string
// values) and the config parser.

enum UTF8Check {
  /// The offset of the first byte of the first ill-formed UTF-8 sequence in
  /// `bytes` (overlong forms, surrogates, values above U+10FFFF, truncated
  /// and stray continuation bytes are ill-formed), or nil if all is valid.
  static func firstInvalidOffset(_ bytes: UnsafeRawBufferPointer) -> Int? {
    let n = bytes.count
    var i = 0
    while i < n {
      let b0 = bytes[i]
      if b0 < 0x80 { i += 1; continue }
      // Allowed range of the second byte, and the sequence length.
      var lo: UInt8 = 0x80
      var hi: UInt8 = 0xBF
      let length: Int
      switch b0 {
      case 0xC2...0xDF: length = 2
      case 0xE0: length = 3; lo = 0xA0
      case 0xE1...0xEC, 0xEE...0xEF: length = 3
      case 0xED: length = 3; hi = 0x9F
      case 0xF0: length = 4; lo = 0x90
      case 0xF1...0xF3: length = 4
      case 0xF4: length = 4; hi = 0x8F
      default: return i
      }
      if i + length > n { return i }
      let b1 = bytes[i + 1]
      if b1 < lo || b1 > hi { return i }
      var k = 2
      while k < length {
        if bytes[i + k] & 0xC0 != 0x80 { return i }
        k += 1
      }
      i += length
    }
    return nil
  }
}

