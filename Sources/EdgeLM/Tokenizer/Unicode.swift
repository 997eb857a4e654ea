// Code point classification and UTF-8 conversion on bytes, mirroring
// llama.cpp's src/unicode.cpp (unicode_cpt_flags_from_cpt,
// unicode_cpts_from_utf8, unicode_cpt_to_utf8). No Swift String involved.

/// Category flags of one code point, as llama.cpp's `unicode_cpt_flags`:
/// one general-category bit plus the whitespace bit. A position outside the
/// current fragment has no flags at all (`rawValue == 0`), which the
/// pre-tokenizers use as "end of text".
struct CodepointFlags {
  var rawValue: UInt16

  static let undefined: UInt16 = 0x0001
  static let number: UInt16 = 0x0002
  static let letter: UInt16 = 0x0004
  static let separator: UInt16 = 0x0008
  static let mark: UInt16 = 0x0010
  static let punctuation: UInt16 = 0x0020
  static let symbol: UInt16 = 0x0040
  static let control: UInt16 = 0x0080
  static let whitespace: UInt16 = 0x0100

  /// The flags of a position past either end of a fragment.
  static let none = CodepointFlags(rawValue: 0)

  @inline(__always) var isNumber: Bool { rawValue & Self.number != 0 }
  @inline(__always) var isLetter: Bool { rawValue & Self.letter != 0 }
  @inline(__always) var isPunctuation: Bool { rawValue & Self.punctuation != 0 }
  @inline(__always) var isWhitespace: Bool { rawValue & Self.whitespace != 0 }
  /// False only for "no code point here" (llama.cpp's `as_uint() == 0`).
  @inline(__always) var isPresent: Bool { rawValue != 0 }

  /// Flags of `cp`. Code points past U+10FFFF are undefined, as in llama.cpp.
  @inline(__always)
  init(of cp: UInt32) {
    if cp < 0x80 {
      var raw = UInt16(UnicodeTables.asciiFlags[Int(cp)])
      if UnicodeTables.isWhitespace(cp) { raw |= Self.whitespace }
      self.rawValue = raw
      return
    }
    if cp >= 0x11_0000 {
      self.rawValue = Self.undefined
      return
    }
    var raw = UInt16(Self.categoryFlags(cp))
    if UnicodeTables.isWhitespace(cp) { raw |= Self.whitespace }
    self.rawValue = raw
  }

  init(rawValue: UInt16) {
    self.rawValue = rawValue
  }

  /// Binary search of the generated range table for a non-ASCII code point.
  private static func categoryFlags(_ cp: UInt32) -> UInt8 {
    let ranges = UnicodeTables.categoryRanges
    // Find the last range whose start is <= cp. ranges[0] starts at 0.
    var lo = 0
    var hi = ranges.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) >> 1
      if ranges[mid] >> 8 <= cp {
        lo = mid
      } else {
        hi = mid - 1
      }
    }
    return UInt8(truncatingIfNeeded: ranges[lo])
  }
}

/// UTF-8 helpers with llama.cpp's error handling.
enum UTF8Codec {
  /// The replacement character llama.cpp substitutes for an invalid byte.
  static let replacement: UInt32 = 0xFFFD

  /// Decodes `bytes` like llama.cpp's `unicode_cpts_from_utf8`: lead bytes
  /// are trusted for the sequence length, continuation bytes are checked, and
  /// each byte that does not start a well-formed sequence becomes U+FFFD on
  /// its own (decoding resumes at the next byte). Overlong forms and
  /// surrogates decode as llama.cpp decodes them (they are not rejected).
  ///
  /// One deliberate difference: a four-byte form above U+10FFFF (F4 90.. to
  /// F7 ..) is treated as an invalid lead byte. llama.cpp decodes it and then
  /// throws an uncaught exception when re-encoding; we must not crash.
  static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt32] {
    var result: [UInt32] = []
    result.reserveCapacity(bytes.count)
    let n = bytes.count
    var i = 0
    while i < n {
      let b0 = bytes[i]
      if b0 & 0x80 == 0 {
        result.append(UInt32(b0))
        i += 1
        continue
      }
      if b0 & 0x40 == 0 {  // stray continuation byte
        result.append(replacement)
        i += 1
        continue
      }
      if b0 & 0x20 == 0 {
        if i + 1 < n, bytes[i + 1] & 0xC0 == 0x80 {
          result.append(UInt32(b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F))
          i += 2
        } else {
          result.append(replacement)
          i += 1
        }
        continue
      }
      if b0 & 0x10 == 0 {
        if i + 2 < n, bytes[i + 1] & 0xC0 == 0x80, bytes[i + 2] & 0xC0 == 0x80 {
          result.append(
            UInt32(b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6
              | UInt32(bytes[i + 2] & 0x3F))
          i += 3
        } else {
          result.append(replacement)
          i += 1
        }
        continue
      }
      if b0 & 0x08 == 0 {
        if i + 3 < n, bytes[i + 1] & 0xC0 == 0x80, bytes[i + 2] & 0xC0 == 0x80,
          bytes[i + 3] & 0xC0 == 0x80
        {
          let cp =
            UInt32(b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
            | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
          if cp <= 0x10_FFFF {
            result.append(cp)
            i += 4
            continue
          }
        }
        result.append(replacement)
        i += 1
        continue
      }
      // 0xF8...0xFF never start a sequence.
      result.append(replacement)
      i += 1
    }
    return result
  }

  static func decode(_ bytes: [UInt8]) -> [UInt32] {
    bytes.withUnsafeBufferPointer { decode($0) }
  }

  /// Appends the UTF-8 form of `cp` (at most U+10FFFF, which `decode`
  /// guarantees) to `out`, as llama.cpp's `unicode_cpt_to_utf8`.
  @inline(__always)
  static func append(_ cp: UInt32, to out: inout [UInt8]) {
    if cp < 0x80 {
      out.append(UInt8(cp))
    } else if cp < 0x800 {
      out.append(0xC0 | UInt8(truncatingIfNeeded: cp >> 6))
      out.append(0x80 | UInt8(truncatingIfNeeded: cp & 0x3F))
    } else if cp < 0x1_0000 {
      out.append(0xE0 | UInt8(truncatingIfNeeded: cp >> 12))
      out.append(0x80 | UInt8(truncatingIfNeeded: (cp >> 6) & 0x3F))
      out.append(0x80 | UInt8(truncatingIfNeeded: cp & 0x3F))
    } else {
      out.append(0xF0 | UInt8(truncatingIfNeeded: (cp >> 18) & 0x07))
      out.append(0x80 | UInt8(truncatingIfNeeded: (cp >> 12) & 0x3F))
      out.append(0x80 | UInt8(truncatingIfNeeded: (cp >> 6) & 0x3F))
      out.append(0x80 | UInt8(truncatingIfNeeded: cp & 0x3F))
    }
  }

  /// The length of the sequence a lead byte announces (llama.cpp's
  /// `unicode_len_utf8`): continuation bytes count as 1.
  @inline(__always)
  static func sequenceLength(lead: UInt8) -> Int {
    switch lead >> 4 {
    case 0xC, 0xD: return 2
    case 0xE: return 3
    case 0xF: return 4
    default: return 1
    }
  }
}
