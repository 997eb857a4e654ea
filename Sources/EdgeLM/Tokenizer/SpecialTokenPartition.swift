// Splitting text at special-token texts before pre-tokenization, a port of
// llama.cpp's llama_vocab::impl::tokenizer_st_partition.

/// A piece of the input: plain text still to be tokenized, or a special
/// token already recognised.
enum Fragment: Equatable {
  /// Bytes `start..<end` of the input.
  case text(start: Int, end: Int)
  case token(Int32)
}

extension Tokenizer {
  /// Splits `text` at occurrences of special-token texts. Special tokens are
  /// tried longest first; each one splits every remaining text fragment at
  /// all of its occurrences, left to right. With `parseSpecial` false only
  /// user-defined tokens are matched (control and unknown ones are text).
  func partition(_ text: [UInt8], parseSpecial: Bool) -> [Fragment] {
    guard !text.isEmpty else { return [] }
    var fragments: [Fragment] = [.text(start: 0, end: text.count)]
    let skipMask = TokenAttribute.control | TokenAttribute.unknown
    text.withUnsafeBufferPointer { haystack in
      for id in specialTokens {
        if !parseSpecial && attributes[Int(id)] & skipMask != 0 { continue }
        let needle = tokens[Int(id)]
        var next: [Fragment] = []
        next.reserveCapacity(fragments.count)
        var changed = false
        for fragment in fragments {
          guard case .text(var start, let end) = fragment else {
            next.append(fragment)
            continue
          }
          while true {
            guard let match = Tokenizer.find(needle, in: haystack, from: start, to: end) else {
              next.append(.text(start: start, end: end))
              break
            }
            changed = true
            if match > start { next.append(.text(start: start, end: match)) }
            next.append(.token(id))
            start = match + needle.count
            if start >= end { break }
          }
        }
        if changed { fragments = next }
      }
    }
    return fragments
  }

  /// The first index `i` in `from..<to` where `needle` occurs entirely
  /// inside `haystack[from..<to]`.
  static func find(
    _ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, from: Int, to: Int
  ) -> Int? {
    let m = needle.count
    guard m > 0, to - from >= m else { return nil }
    let first = needle[0]
    var i = from
    let last = to - m
    while i <= last {
      if haystack[i] == first {
        var j = 1
        while j < m && haystack[i + j] == needle[j] { j += 1 }
        if j == m { return i }
      }
      i += 1
    }
    return nil
  }
}
