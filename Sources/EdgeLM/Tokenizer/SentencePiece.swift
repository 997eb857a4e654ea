// SentencePiece encoding of one text fragment, a port of llama.cpp's
// llm_tokenizer_spm_session::tokenize (src/llama-vocab.cpp) for the "llama"
// tokenizer model: spaces become U+2581 "▁" (and one is prepended when the
// caller asks), the bytes are cut into one symbol per UTF-8 character (by
// the lead byte alone, so invalid input stays raw bytes), and the adjacent
// pair whose concatenation is the token with the highest score (then the
// leftmost) is merged until no pair forms a token. Each final symbol becomes
// its token, or the byte-fallback tokens `<0xNN>` of its bytes.
//
// llama.cpp also keeps a text -> (left, right) "rev_merge" map to split a
// final symbol that is no token; it only holds texts that are tokens, and
// every merged symbol is a token, so that path never runs and is left out.

/// The vocabulary tables SentencePiece looks symbols up in.
struct SentencePieceEncoder {
  /// Token text -> id. Shape: one entry per token.
  let tokenIDs: TokenTable
  /// `tokenizer.ggml.scores`: merge priority, higher first. Shape: (vocabSize).
  let scores: [Float]
  /// Token for each byte that forms no token: `<0xNN>`, else the one-byte
  /// text, else the unknown token, else -1 (dropped). Shape: (256).
  let byteFallback: [Int32]
  /// The longest token text in bytes; longer pairs cannot be tokens.
  let maxTokenLength: Int

  /// Builds the byte-fallback table.
  /// - Parameters:
  ///   - tokenIDs: token text -> id, already checked for duplicates.
  ///   - scores: one score per token.
  ///   - unknown: the unknown token, used where llama.cpp would throw
  ///     because a byte has neither a `<0xNN>` nor a one-byte token.
  ///   - maxTokenLength: the longest token text in bytes.
  init(tokenIDs: TokenTable, scores: [Float], unknown: Int32?, maxTokenLength: Int) {
    self.tokenIDs = tokenIDs
    self.scores = scores
    self.maxTokenLength = maxTokenLength
    let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
    var fallback = [Int32](repeating: -1, count: 256)
    for byte in 0..<256 {
      let name: [UInt8] = [0x3C, 0x30, 0x78, hex[byte >> 4], hex[byte & 15], 0x3E]  // "<0xNN>"
      if let id = tokenIDs.id(of: name) {
        fallback[byte] = id
      } else if byte != 0, let id = tokenIDs.id(of: [UInt8(byte)]) {
        // llama.cpp looks the byte up as a C string, so NUL never matches.
        fallback[byte] = id
      } else {
        fallback[byte] = unknown ?? -1
      }
    }
    byteFallback = fallback
  }

  fileprivate struct Symbol {
    var start: Int  // offset in the escaped text
    var count: Int  // bytes; 0 once merged into the left neighbour
    var prev: Int
    var next: Int
  }

  fileprivate struct Bigram: BigramOrdering {
    var score: Float
    var left: Int
    var right: Int
    var size: Int

    /// llama.cpp's queue order: higher score first, then leftmost.
    @inline(__always)
    func comesBefore(_ other: Bigram) -> Bool {
      score > other.score || (score == other.score && left < other.left)
    }
  }

  /// Reusable buffers for `encode`, so a long text allocates once.
  struct Workspace {
    fileprivate var text: [UInt8] = []
    fileprivate var symbols: [Symbol] = []
    fileprivate var heap: [Bigram] = []

    init() {}
  }

  /// llama.cpp's unicode_len_utf8: the sequence length its lead byte claims.
  @inline(__always)
  private static func utf8Length(_ lead: UInt8) -> Int {
    switch lead >> 4 {
    case 0xC, 0xD: return 2
    case 0xE: return 3
    case 0xF: return 4
    default: return 1
    }
  }

  /// Appends the ids of one text fragment to `output`.
  /// - Parameters:
  ///   - fragment: raw bytes of the fragment (not escaped, may be invalid UTF-8).
  ///   - spacePrefix: prepend one space (llama.cpp's add_space_prefix rule).
  func encode(
    _ fragment: UnsafeBufferPointer<UInt8>, spacePrefix: Bool, workspace: inout Workspace,
    into output: inout [Int32]
  ) {
    // Take the buffers out of the workspace so they are uniquely referenced.
    var text: [UInt8] = []
    var symbols: [Symbol] = []
    var heap: [Bigram] = []
    swap(&text, &workspace.text)
    swap(&symbols, &workspace.symbols)
    swap(&heap, &workspace.heap)
    defer {
      swap(&text, &workspace.text)
      swap(&symbols, &workspace.symbols)
      swap(&heap, &workspace.heap)
    }
    text.removeAll(keepingCapacity: true)
    symbols.removeAll(keepingCapacity: true)
    heap.removeAll(keepingCapacity: true)

    // MARK: Escape spaces as U+2581
    let escapedSpace: (UInt8, UInt8, UInt8) = (0xE2, 0x96, 0x81)
    if spacePrefix {
      text.append(escapedSpace.0)
      text.append(escapedSpace.1)
      text.append(escapedSpace.2)
    }
    for byte in fragment {
      if byte == 0x20 {
        text.append(escapedSpace.0)
        text.append(escapedSpace.1)
        text.append(escapedSpace.2)
      } else {
        text.append(byte)
      }
    }
    if text.isEmpty { return }

    // MARK: One symbol per UTF-8 character
    let n = text.count
    var offset = 0
    while offset < n {
      let length = min(SentencePieceEncoder.utf8Length(text[offset]), n - offset)
      let index = symbols.count
      symbols.append(Symbol(start: offset, count: length, prev: index - 1, next: offset + length == n ? -1 : index + 1))
      offset += length
    }

    // The buffers go in as inout arguments, not captures, which spares
    // dynamic exclusivity checks in the hot loop.
    text.withUnsafeBufferPointer { bytes in
      merge(bytes, &symbols, &heap, into: &output)
    }
  }

  /// Merges the symbols of `bytes` and appends their ids.
  private func merge(
    _ bytes: UnsafeBufferPointer<UInt8>, _ symbols: inout [Symbol], _ heap: inout [Bigram],
    into output: inout [Int32]
  ) {
    func lookup(_ start: Int, _ count: Int) -> Int32? {
      tokenIDs.id(of: UnsafeBufferPointer(rebasing: bytes[start..<(start + count)]))
    }

    func tryAddBigram(_ left: Int, _ right: Int, _ symbols: inout [Symbol], _ heap: inout [Bigram]) {
      if left < 0 || right < 0 { return }
      let start = symbols[left].start
      let size = symbols[left].count + symbols[right].count
      guard size <= maxTokenLength, let id = lookup(start, size) else { return }
      BigramQueue.push(Bigram(score: scores[Int(id)], left: left, right: right, size: size), &heap)
    }

    // MARK: Merge the best pairs
    for i in 1..<max(symbols.count, 1) {
      tryAddBigram(i - 1, i, &symbols, &heap)
    }
    while !heap.isEmpty {
      let bigram = BigramQueue.pop(&heap)
      let left = bigram.left
      let right = bigram.right
      // Skip bigrams made stale by an earlier merge: sizes only grow, so a
      // changed neighbour changes the total.
      if symbols[left].count == 0 || symbols[right].count == 0
        || symbols[left].count + symbols[right].count != bigram.size
      {
        continue
      }
      symbols[left].count += symbols[right].count
      symbols[right].count = 0
      symbols[left].next = symbols[right].next
      if symbols[right].next >= 0 {
        symbols[symbols[right].next].prev = left
      }
      tryAddBigram(symbols[left].prev, left, &symbols, &heap)
      tryAddBigram(left, symbols[left].next, &symbols, &heap)
    }

    // MARK: Symbols to ids, with byte fallback
    var i = 0
    while i != -1 {
      let symbol = symbols[i]
      if let id = lookup(symbol.start, symbol.count) {
        output.append(id)
      } else {
        for j in symbol.start..<(symbol.start + symbol.count) {
          let id = byteFallback[Int(bytes[j])]
          if id >= 0 { output.append(id) }
        }
      }
      i = symbol.next
    }
  }
}
