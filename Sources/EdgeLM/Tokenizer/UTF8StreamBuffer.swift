/// Accumulates token pieces and releases only complete UTF-8 sequences, so
/// streaming never splits a code point.
///
/// A piece may end in the middle of a multi-byte character (byte-level BPE
/// splits emoji and CJK across tokens). `append` holds back such a tail until
/// the rest arrives; bytes that can never become valid UTF-8 are released
/// as they are, so nothing is lost or stuck.
public struct UTF8StreamBuffer {
  /// At most 3 bytes: a proper prefix of one UTF-8 sequence.
  private var pending: [UInt8] = []

  public init() {}

  /// Adds `bytes` and returns the longest prefix of everything buffered that
  /// does not end inside a code point. Safe to print.
  public mutating func append(_ bytes: [UInt8]) -> [UInt8] {
    var all = pending
    all.append(contentsOf: bytes)
    let keep = UTF8StreamBuffer.incompleteTailLength(all)
    pending = Array(all[(all.count - keep)...])
    all.removeLast(keep)
    return all
  }

  /// Returns whatever is buffered (an incomplete sequence at the end of the
  /// stream is passed through as-is) and empties the buffer.
  public mutating func flush() -> [UInt8] {
    let rest = pending
    pending = []
    return rest
  }

  /// The length of the tail of `bytes` that is a proper prefix of a
  /// well-formed UTF-8 sequence (Unicode Table 3-7), or 0.
  static func incompleteTailLength(_ bytes: [UInt8]) -> Int {
    let n = bytes.count
    // The lead byte of an incomplete sequence is at most 3 bytes back.
    var back = 1
    while back <= 3 && back <= n {
      let lead = bytes[n - back]
      if lead & 0xC0 == 0x80 {  // continuation: keep looking for the lead
        back += 1
        continue
      }
      let needed: Int
      switch lead {
      case 0xC2...0xDF: needed = 2
      case 0xE0...0xEF: needed = 3
      case 0xF0...0xF4: needed = 4
      default: return 0  // ASCII or a byte that never starts a sequence
      }
      guard back < needed else { return 0 }  // complete (or overlong run)
      // The second byte, if present, has a narrower range for some leads.
      if back >= 2 {
        let second = bytes[n - back + 1]
        let ok: Bool
        switch lead {
        case 0xE0: ok = (0xA0...0xBF).contains(second)
        case 0xED: ok = (0x80...0x9F).contains(second)
        case 0xF0: ok = (0x90...0xBF).contains(second)
        case 0xF4: ok = (0x80...0x8F).contains(second)
        default: ok = true
        }
        if !ok { return 0 }
      }
      return back
    }
    return 0
  }
}
