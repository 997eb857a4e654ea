// GPT-2's byte-to-unicode mapping (llama.cpp's unicode_byte_to_utf8 and
// unicode_utf8_to_byte): byte-level BPE vocabularies spell every byte as a
// printable code point, so a token's text is the UTF-8 of those code points.

enum ByteLevel {
  /// The code point that stands for each byte: printable Latin-1 bytes map to
  /// themselves, the other 68 to U+0100... in byte order.
  static let codepointOfByte: [UInt32] = {
    var table = [UInt32](repeating: 0, count: 256)
    var next: UInt32 = 256
    for byte in 0..<256 {
      if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
        table[byte] = UInt32(byte)
      } else {
        table[byte] = next
        next += 1
      }
    }
    return table
  }()

  /// The UTF-8 spelling of each byte's code point (1 or 2 bytes).
  static let utf8OfByte: [[UInt8]] = {
    var table: [[UInt8]] = []
    table.reserveCapacity(256)
    for byte in 0..<256 {
      var utf8: [UInt8] = []
      UTF8Codec.append(codepointOfByte[byte], to: &utf8)
      table.append(utf8)
    }
    return table
  }()

  /// Inverse map for code points below 0x144; -1 where no byte maps there.
  static let byteOfCodepoint: [Int16] = {
    var table = [Int16](repeating: -1, count: 0x144)
    for byte in 0..<256 {
      table[Int(codepointOfByte[byte])] = Int16(byte)
    }
    return table
  }()

  /// llama.cpp's `llama_decode_text`: maps each code point of a token's text
  /// back to its byte. A code point outside the mapping is spelled
  /// `[UNK_BYTE_0x<utf8 hex><whole token text>]`, exactly as llama.cpp does.
  static func decode(_ text: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(text.count)
    for cp in UTF8Codec.decode(text) {
      if cp < 0x144, case let byte = byteOfCodepoint[Int(cp)], byte >= 0 {
        out.append(UInt8(byte))
      } else {
        var utf8: [UInt8] = []
        UTF8Codec.append(cp, to: &utf8)
        out.append(contentsOf: Array("[UNK_BYTE_0x".utf8))
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for b in utf8 {
          out.append(hex[Int(b >> 4)])
          out.append(hex[Int(b & 15)])
        }
        out.append(contentsOf: text)
        out.append(UInt8(ascii: "]"))
      }
    }
    return out
  }
}
