// Splitting text at special-token texts before pre-tokenization, a port of
// llama.cpp's llama_vocab::impl::tokenizer_st_partition.

/// A piece of the input: plain text still to be tokenized, or a special
/// token already recognised.
enum Fragment: Equatable {
  /// Bytes `start..<end` of the input.
  case text(start: Int, end: Int)
  case token(Int32)
}

/// A trie of the special-token texts, to find which of them occur in a text
/// in one pass. The partition then only tries those: a token absent from
/// the whole text cannot split any fragment of it, so the result is the same
/// as trying all of them (which costs one scan of the text per special
/// token, and Gemma has thousands).
struct SpecialTokenTrie {
  /// Child of the root for each first byte, or -1. Shape: (256).
  let rootChild: [Int32]
  /// (node << 8 | byte) -> child node, below the first level.
  let edges: [UInt64: Int32]
  /// Index in `Tokenizer.specialTokens` of the token ending at each node,
  /// or -1. Shape: (nodes); node 0 is the root.
  let terminal: [Int32]
  /// Parent of each node (-1 for the root). Shape: (nodes).
  let parent: [Int32]
  /// Tokens ending in each node's subtree. Shape: (nodes).
  let subtreeTokens: [Int32]

  /// Builds the trie of `texts[tokens[i]]` for each i.
  init(tokens: [Int32], texts: ByteStrings) {
    var rootChild = [Int32](repeating: -1, count: 256)
    var edges: [UInt64: Int32] = [:]
    var terminal: [Int32] = [-1]
    var parent: [Int32] = [-1]
    for (index, id) in tokens.enumerated() {
      let text = texts[Int(id)]
      guard let head = text.first else { continue }
      var node: Int32 = rootChild[Int(head)]
      if node < 0 {
        node = Int32(terminal.count)
        rootChild[Int(head)] = node
        terminal.append(-1)
        parent.append(0)
      }
      for byte in text.dropFirst() {
        let key = UInt64(UInt32(node)) << 8 | UInt64(byte)
        if let child = edges[key] {
          node = child
        } else {
          let child = Int32(terminal.count)
          edges[key] = child
          terminal.append(-1)
          parent.append(node)
          node = child
        }
      }
      terminal[Int(node)] = Int32(index)
    }
    var counts = [Int32](repeating: 0, count: terminal.count)
    for node in 0..<terminal.count where terminal[node] >= 0 {
      var n = Int32(node)
      while n >= 0 {
        counts[Int(n)] += 1
        n = parent[Int(n)]
      }
    }
    self.rootChild = rootChild
    self.edges = edges
    self.terminal = terminal
    self.parent = parent
    self.subtreeTokens = counts
  }

  /// Which special tokens (by index in `Tokenizer.specialTokens`) occur
  /// anywhere in `text`. Shape of the result: (tokens).
  func occurring(in text: UnsafeBufferPointer<UInt8>, tokenCount: Int) -> [Bool] {
    var found = [Bool](repeating: false, count: tokenCount)
    // Tokens below each node not found yet: a walk stops where none are
    // left, so runs of one character (whitespace tokens) stay linear.
    var remaining = subtreeTokens
    let n = text.count
    for start in 0..<n {
      var node = rootChild[Int(text[start])]
      var i = start + 1
      while node >= 0 && remaining[Int(node)] > 0 {
        let index = terminal[Int(node)]
        if index >= 0 && !found[Int(index)] {
          found[Int(index)] = true
          var up = node
          while up >= 0 {
            remaining[Int(up)] -= 1
            up = parent[Int(up)]
          }
        }
        guard i < n, let child = edges[UInt64(UInt32(node)) << 8 | UInt64(text[i])] else { break }
        node = child
        i += 1
      }
    }
    return found
  }
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
      let occurs = specialTrie.occurring(in: haystack, tokenCount: specialTokens.count)
      for (index, id) in specialTokens.enumerated() where occurs[index] {
        if !parseSpecial && attributes[Int(id)] & skipMask != 0 { continue }
        let needle = Array(tokens[Int(id)])
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
