// Byte sizes written as text: "64MiB", "1.5 GiB", "500MB", "4096".
// Grammar: digits ['.' digits] [' '] [unit], nothing else, where unit is
// B, KiB/MiB/GiB/TiB (1024^n) or KB/kB/MB/GB/TB (1000^n). Exact integer
// arithmetic throughout; a fractional result is rounded down.

enum ByteSize {
  enum Result {
    case bytes(Int)
    /// Why the text is not a size, phrased to follow "ram_limit = "2GB " ".
    case invalid(String)
  }

  static let unitList = "B, KiB, MiB, GiB, TiB (1024^n) or KB, MB, GB, TB (1000^n)"

  /// The multiplier of a unit, or nil if it is not one.
  static func multiplier(_ unit: [UInt8]) -> Int? {
    if unit.isEmpty || ConfigText.equals(unit, "B") { return 1 }
    if ConfigText.equals(unit, "KiB") { return 1 << 10 }
    if ConfigText.equals(unit, "MiB") { return 1 << 20 }
    if ConfigText.equals(unit, "GiB") { return 1 << 30 }
    if ConfigText.equals(unit, "TiB") { return 1 << 40 }
    if ConfigText.equals(unit, "KB") || ConfigText.equals(unit, "kB") { return 1_000 }
    if ConfigText.equals(unit, "MB") { return 1_000_000 }
    if ConfigText.equals(unit, "GB") { return 1_000_000_000 }
    if ConfigText.equals(unit, "TB") { return 1_000_000_000_000 }
    return nil
  }

  static func parse(_ text: [UInt8]) -> Result {
    let n = text.count
    if n == 0 { return .invalid("is empty (write bytes, e.g. \"64MiB\", or 0 for no cap)") }
    if text[0] == 0x2D { return .invalid("is negative") }
    if StrictJSONScanner.isWhitespace(text[0]) { return .invalid("has leading whitespace") }
    if !StrictJSONScanner.isDigit(text[0]) {
      return .invalid("does not start with a number (expected e.g. \"64MiB\")")
    }
    var i = 0
    let wholeStart = i
    while i < n && StrictJSONScanner.isDigit(text[i]) { i += 1 }
    let wholeEnd = i
    var fractionStart = i
    var fractionEnd = i
    if i < n && text[i] == 0x2E {
      i += 1
      fractionStart = i
      while i < n && StrictJSONScanner.isDigit(text[i]) { i += 1 }
      fractionEnd = i
      if fractionEnd == fractionStart { return .invalid("has no digits after '.'") }
    }
    var spaced = false
    if i < n && text[i] == 0x20 { spaced = true; i += 1 }
    let unitStart = i
    while i < n && ((text[i] >= 0x41 && text[i] <= 0x5A) || (text[i] >= 0x61 && text[i] <= 0x7A)) { i += 1 }
    let unit = Array(text[unitStart..<i])
    if i < n {
      if unit.isEmpty && spaced && text[i] == 0x20 { return .invalid("has more than one space before the unit") }
      let what = unit.isEmpty ? "after the number" : "after the unit"
      return .invalid("has unexpected characters " + what + " (the units are " + unitList + ")")
    }
    if spaced && unit.isEmpty { return .invalid("has a trailing space") }
    guard let scale = multiplier(unit) else {
      return .invalid("has an unknown unit " + ConfigText.quoted(unit) + " (use " + unitList + ")")
    }
    // whole * scale + floor(0.fraction * scale), every step overflow-checked.
    var whole = 0
    for k in wholeStart..<wholeEnd {
      let (m, o1) = whole.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.addingReportingOverflow(Int(text[k] - 0x30))
      if o1 || o2 { return tooLarge() }
      whole = s
    }
    let (scaled, o3) = whole.multipliedReportingOverflow(by: scale)
    if o3 { return tooLarge() }
    // floor(0.d1 d2 ... dk * scale) exactly: multiply the digit string by
    // `scale` from the right; what carries past the point is the integer
    // part. The carry stays below `scale` (<= 2^40), so nothing overflows.
    var carry = 0
    var k = fractionEnd
    while k > fractionStart {
      k -= 1
      carry = (Int(text[k] - 0x30) * scale + carry) / 10
    }
    let (total, o4) = scaled.addingReportingOverflow(carry)
    if o4 { return tooLarge() }
    return .bytes(total)
  }

  static func tooLarge() -> Result {
    .invalid("is too large (more than 9223372036854775807 bytes)")
  }
}
