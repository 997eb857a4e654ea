// Byte-pair merging of one pre-tokenized word, a port of llama.cpp's
// llm_tokenizer_bpe_session::tokenize: the word (spelled with GPT-2's
// byte-level code points) starts as one symbol per byte; the adjacent pair
// with the lowest merge rank (then the leftmost) is merged until no pair has
// a rank; each final symbol becomes its vocabulary id, or the ids of the
// single bytes of its spelling when it is not in the vocabulary.
//
// llama.cpp compares symbol texts. We track each symbol's token id instead
// and look merges up by id pair, which gives the same result: a symbol's
// text is a token exactly when it has an id, and merges whose sides are not
// both tokens are kept in a separate text-keyed table for the rare symbols
// without an id.

/// The vocabulary and merge tables BPE looks words up in.
struct BytePairEncoder {
  /// Rank and result of one merge.
  struct Merge {
    /// Index in `tokenizer.ggml.merges` (the first of duplicates wins).
    var rank: Int32
    /// The id of the merged text, or -1 when it is not a token.
    var result: Int32
  }

  /// Token text -> id. Shape: one entry per token.
  let tokenIDs: TokenTable
  /// (left id << 32 | right id) -> merge, for merges of two tokens.
  let mergesByID: [UInt64: Merge]
  /// "left right" spelled -> rank, for merges with a side that is no token.
  let mergesByText: [ByteString: Int32]
  /// Id of the token spelling each byte (-1 if none). Shape: (256).
  let byteTokenID: [Int32]
  /// Id of the one-byte token text equal to each byte value (-1 if none),
  /// for llama.cpp's per-byte fallback. Shape: (256).
  let singleByteTokenID: [Int32]
  /// Look the whole word up before merging (llama3 family).
  let ignoreMerges: Bool

  /// Builds the merge tables.
  /// - Parameters:
  ///   - tokenIDs: token text -> id, already checked for duplicates.
  ///   - merges: `tokenizer.ggml.merges`, "left right" spelled.
  init(tokenIDs: TokenTable, merges: ByteStrings, ignoreMerges: Bool) {
    self.tokenIDs = tokenIDs
    self.ignoreMerges = ignoreMerges

    var byteIDs = [Int32](repeating: -1, count: 256)
    var singleIDs = [Int32](repeating: -1, count: 256)
    for byte in 0..<256 {
      byteIDs[byte] = tokenIDs.id(of: ByteLevel.utf8OfByte[byte]) ?? -1
      singleIDs[byte] = tokenIDs.id(of: [UInt8(byte)]) ?? -1
    }
    byteTokenID = byteIDs
    singleByteTokenID = singleIDs

    var byID: [UInt64: Merge] = [:]
    byID.reserveCapacity(merges.count)
    var byText: [ByteString: Int32] = [:]
    var seenText: Set<ByteString> = []
    for index in 0..<merges.count {
      let merge = Array(merges[index])
      // llama.cpp splits at the first space after byte 0; a merge without
      // one becomes the pair ("", "") that never matches, so it is skipped.
      guard merge.count > 1, let space = merge[1...].firstIndex(of: 0x20) else { continue }
      let rank = Int32(truncatingIfNeeded: index)
      let left = ByteString(Array(merge[..<space]))
      let right = ByteString(Array(merge[(space + 1)...]))
      if let l = tokenIDs.id(of: left.bytes), let r = tokenIDs.id(of: right.bytes) {
        let key = UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))
        if byID[key] == nil {
          let result = tokenIDs.id(of: left.bytes + right.bytes) ?? -1
          byID[key] = Merge(rank: rank, result: result)
        }
      } else if !right.bytes.isEmpty {
        let key = ByteString(merge)
        if seenText.insert(key).inserted {
          byText[key] = rank
        }
      }
    }
    mergesByID = byID
    mergesByText = byText
  }

  fileprivate struct Symbol {
    var start: Int32  // offset in the word's bytes
    var count: Int32  // bytes; 0 once merged into the left neighbour
    var prev: Int32
    var next: Int32
    var id: Int32  // token id of the symbol's text, -1 if it is no token
  }

  fileprivate struct Bigram: BigramOrdering {
    var rank: Int32
    var left: Int32
    var right: Int32
    var size: Int32
    var result: Int32

    /// llama.cpp's comparator order: lower rank first, then leftmost.
    @inline(__always)
    func comesBefore(_ other: Bigram) -> Bool {
      rank < other.rank || (rank == other.rank && left < other.left)
    }
  }

  /// Reusable buffers for `encode`, so a long text allocates once.
  struct Workspace {
    fileprivate var symbols: [Symbol] = []
    fileprivate var heap: [Bigram] = []
    fileprivate var scratch: [UInt8] = []

    init() {}
  }

  /// Appends the ids of `word` (the UTF-8 bytes of one pre-tokenized word,
  /// non-empty) to `output`.
  func encode(_ word: UnsafeBufferPointer<UInt8>, workspace: inout Workspace, into output: inout [Int32]) {
    if ignoreMerges {
      workspace.scratch.removeAll(keepingCapacity: true)
      for byte in word { workspace.scratch.append(contentsOf: ByteLevel.utf8OfByte[Int(byte)]) }
      if let id = tokenIDs.id(of: workspace.scratch) {
        output.append(id)
        return
      }
    }

    // One symbol per byte (= per code point of the spelled word).
    // Take the buffers out of the workspace so they are uniquely referenced.
    var symbols: [Symbol] = []
    var heap: [Bigram] = []
    swap(&symbols, &workspace.symbols)
    swap(&heap, &workspace.heap)
    symbols.removeAll(keepingCapacity: true)
    heap.removeAll(keepingCapacity: true)
    defer {
      swap(&symbols, &workspace.symbols)
      swap(&heap, &workspace.heap)
    }
    let n = Int32(word.count)
    for i in 0..<n {
      symbols.append(
        Symbol(start: i, count: 1, prev: i - 1, next: i + 1 == n ? -1 : i + 1, id: byteTokenID[Int(word[Int(i)])]))
    }

    func addBigram(_ left: Int32, _ right: Int32) {
      if left < 0 || right < 0 { return }
      let l = symbols[Int(left)]
      let r = symbols[Int(right)]
      if l.id >= 0 && r.id >= 0 {
        let key = UInt64(UInt32(bitPattern: l.id)) << 32 | UInt64(UInt32(bitPattern: r.id))
        guard let merge = mergesByID[key] else { return }
        BigramQueue.push(Bigram(rank: merge.rank, left: left, right: right, size: l.count + r.count, result: merge.result), &heap)
      } else if !mergesByText.isEmpty {
        guard let rank = rankByText(word, l, r) else { return }
        let merged = spelled(word, from: Int(l.start), count: Int(l.count + r.count))
        let result = tokenIDs.id(of: merged) ?? -1
        BigramQueue.push(Bigram(rank: rank, left: left, right: right, size: l.count + r.count, result: result), &heap)
      }
    }

    for i in 1..<max(Int32(symbols.count), 1) {
      addBigram(i - 1, i)
    }

    while !heap.isEmpty {
      let bigram = BigramQueue.pop(&heap)
      let left = Int(bigram.left)
      let right = Int(bigram.right)
      // Skip bigrams made stale by an earlier merge. Symbols are contiguous
      // slices of the word, so equal total length means equal text.
      if symbols[left].count == 0 || symbols[right].count == 0
        || symbols[left].count + symbols[right].count != bigram.size
      {
        continue
      }
      symbols[left].count += symbols[right].count
      symbols[left].id = bigram.result
      symbols[right].count = 0
      symbols[left].next = symbols[right].next
      if symbols[right].next >= 0 {
        symbols[Int(symbols[right].next)].prev = bigram.left
      }
      addBigram(symbols[left].prev, bigram.left)
      addBigram(bigram.left, symbols[left].next)
    }

    for symbol in symbols where symbol.count > 0 {
      if symbol.id >= 0 {
        output.append(symbol.id)
        continue
      }
      // Not a token: llama.cpp looks up each single byte of the spelled
      // text and drops the ones that are not tokens.
      for i in Int(symbol.start)..<Int(symbol.start + symbol.count) {
        for b in ByteLevel.utf8OfByte[Int(word[i])] {
          let id = singleByteTokenID[Int(b)]
          if id >= 0 { output.append(id) }
        }
      }
    }
  }

  /// The spelled text of `count` bytes of `word` from `from`.
  private func spelled(_ word: UnsafeBufferPointer<UInt8>, from: Int, count: Int) -> [UInt8] {
    var out: [UInt8] = []
    for i in from..<(from + count) {
      out.append(contentsOf: ByteLevel.utf8OfByte[Int(word[i])])
    }
    return out
  }

  /// The rank of merging `l` and `r` from the text-keyed table.
  private func rankByText(_ word: UnsafeBufferPointer<UInt8>, _ l: Symbol, _ r: Symbol) -> Int32? {
    var key = spelled(word, from: Int(l.start), count: Int(l.count))
    key.append(0x20)
    key += spelled(word, from: Int(r.start), count: Int(r.count))
    return mergesByText[ByteString(key)]
  }
}
