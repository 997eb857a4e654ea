// The tokenizer, matching llama.cpp's src/llama-vocab.cpp for two tokenizer
// models: byte-level BPE ("gpt2": special-token partition, pre-tokenizer
// split, BPE merges over GPT-2 byte-level symbols, vocabulary lookup with
// per-byte fallback) and SentencePiece ("llama": special-token partition,
// space escaping and prefix, score-ordered merges, `<0xNN>` byte fallback);
// and token_to_piece / detokenize for the way back.

/// The encoder of one tokenizer model, chosen by `tokenizer.ggml.model`.
enum TextEncoder {
  /// "gpt2": the pre-tokenizer splits words, BPE encodes each one.
  case bytePair(BytePairEncoder, PreTokenizer)
  /// "llama": SentencePiece encodes each text fragment whole.
  case sentencePiece(SentencePieceEncoder)
}

/// Text <-> token ids for one model. Immutable after `init`, so one instance
/// can be shared by any number of threads.
public struct Tokenizer {
  /// Token texts by id (empty entries replaced as llama.cpp does). Shape: (vocabSize).
  let tokens: ByteStrings
  /// `TokenAttribute` bits by id. Shape: (vocabSize).
  let attributes: [UInt16]
  let encoder: TextEncoder
  /// Control, user-defined and unknown tokens, longest text first.
  let specialTokens: [Int32]
  /// The texts of `specialTokens`, to find the ones a text contains.
  let specialTrie: SpecialTokenTrie
  /// End-of-generation flag by id. Shape: (vocabSize).
  let endOfGeneration: [Bool]
  /// SPM: prefix a space to the first text fragment and to text after a
  /// special token. Both models: detokenize drops one leading space.
  let addSpacePrefix: Bool
  /// Detokenize removes spaces before punctuation (BPE pre-tokenizers only).
  let cleanSpaces: Bool

  /// The beginning-of-sequence token, if the model has one.
  public let bosToken: Int32?
  /// The end-of-sequence token, if the model has one.
  public let eosToken: Int32?
  /// The end-of-turn token (from metadata or recognised by its text).
  public let eotToken: Int32?
  /// The end-of-message token (from metadata or recognised by its text).
  public let eomToken: Int32?
  /// The padding token, if the model names one.
  public let padToken: Int32?
  /// Whether `tokenize(_:addSpecial: true, ...)` starts with BOS.
  public let addBOS: Bool
  /// Whether `tokenize(_:addSpecial: true, ...)` ends with EOS.
  public let addEOS: Bool

  /// The number of tokens in the vocabulary.
  public var vocabSize: Int { tokens.count }

  /// Builds the lookup tables for `vocabulary`.
  /// - Throws: `.unsupported` for a tokenizer model other than "gpt2" and
  ///   "llama", or (for "gpt2") an unknown `tokenizer.ggml.pre` (the message
  ///   lists the supported ones); `.format` for an empty vocabulary, a token
  ///   type or score array shorter than the token list, a duplicate or
  ///   NUL-containing token text, or a special token id outside the
  ///   vocabulary (each message names the token id).
  public init(vocabulary: Vocabulary) throws(EdgeLMError) {
    // llama.cpp reads tokenizer.ggml.pre only for BPE vocabularies.
    let pre: PreTokenizer?
    switch vocabulary.model {
    case "gpt2":
      guard let named = PreTokenizer.named(vocabulary.pre) else {
        var list = ""
        for name in PreTokenizer.supportedNames {
          if !list.isEmpty { list += ", " }
          list += name
        }
        throw EdgeLMError(
          .unsupported, "unknown tokenizer.ggml.pre '\(vocabulary.pre)'; supported: \(list)")
      }
      pre = named
    case "llama":
      pre = nil
    default:
      throw EdgeLMError(
        .unsupported,
        "tokenizer.ggml.model '\(vocabulary.model)' is not supported; supported: gpt2 (byte-level BPE), llama (SentencePiece)"
      )
    }

    let n = vocabulary.tokens.count
    guard n > 0 else {
      throw EdgeLMError(.format, "tokenizer.ggml.tokens is empty")
    }
    guard n <= Int(Int32.max) else {
      throw EdgeLMError(.format, "tokenizer.ggml.tokens has \(n) tokens, more than Int32 ids allow")
    }
    let types = vocabulary.tokenTypes
    guard types.isEmpty || types.count >= n else {
      throw EdgeLMError(
        .format, "tokenizer.ggml.token_type has \(types.count) entries for \(n) tokens")
    }

    var scores: [Float] = []
    if pre == nil {
      // SPM merges by score; llama.cpp gives every token 0 when there are none.
      scores = vocabulary.scores ?? [Float](repeating: 0, count: n)
      guard scores.count >= n else {
        throw EdgeLMError(.format, "tokenizer.ggml.scores has \(scores.count) entries for \(n) tokens")
      }
    }

    // MARK: Token texts and ids
    var texts = vocabulary.tokens
    if vocabulary.tokens.blob.contains(0) {
      for i in 0..<n where texts[i].contains(0) {
        throw EdgeLMError(.format, "tokenizer.ggml.tokens: token \(i) contains a NUL byte")
      }
    }
    var hasEmpty = false
    for i in 0..<n where texts.length(i) == 0 { hasEmpty = true }
    if hasEmpty {
      // llama.cpp renames empty tokens so every id has a text.
      var renamed = ByteStrings()
      renamed.reserveCapacity(strings: n, bytes: texts.blob.count + 16)
      for i in 0..<n {
        renamed.append(texts.length(i) == 0 ? Array("[EMPTY_\(i)]".utf8) : Array(texts[i]))
      }
      texts = renamed
    }
    var maxTokenLength = 0
    for i in 0..<n { maxTokenLength = max(maxTokenLength, texts.length(i)) }
    try Memory.check("reading tokenizer.ggml.tokens")
    let table = TokenTable(texts)
    try Memory.check("building the token table")
    if let (previous, i) = table.duplicate {
      throw EdgeLMError(
        .format, "tokenizer.ggml.tokens: token \(i) duplicates the text of token \(previous)")
    }

    var attrs = [UInt16](repeating: TokenAttribute.normal, count: n)
    if !types.isEmpty {
      for i in 0..<n {
        attrs[i] = TokenAttribute.from(tokenType: types[i])
      }
    }

    // MARK: Special token ids
    func checked(_ id: Int?, _ key: String) throws(EdgeLMError) -> Int32? {
      guard let id else { return nil }
      guard id >= 0 && id < n else {
        throw EdgeLMError(
          .format, "\(key) = \(id) is out of range: the vocabulary has \(n) tokens")
      }
      return Int32(id)
    }
    // llama.cpp's defaults, each dropped when out of range: BOS = EOS = 11
    // for "gpt2"; BOS 1, EOS 2 and UNK 0 for "llama".
    let defaultBOS: Int32? = pre != nil ? (n > 11 ? 11 : nil) : (n > 1 ? 1 : nil)
    let defaultEOS: Int32? = pre != nil ? (n > 11 ? 11 : nil) : (n > 2 ? 2 : nil)
    let defaultUNK: Int32? = pre != nil ? nil : 0
    let bos = try checked(vocabulary.bosID, "tokenizer.ggml.bos_token_id") ?? defaultBOS
    let eos = try checked(vocabulary.eosID, "tokenizer.ggml.eos_token_id") ?? defaultEOS
    var eot = try checked(vocabulary.eotID, "tokenizer.ggml.eot_token_id")
    var eom = try checked(vocabulary.eomID, "tokenizer.ggml.eom_token_id")
    padToken = try checked(vocabulary.padID, "tokenizer.ggml.padding_token_id")
    let unk = try checked(vocabulary.unkID, "tokenizer.ggml.unknown_token_id") ?? defaultUNK
    _ = try checked(vocabulary.sepID, "tokenizer.ggml.seperator_token_id")
    var fimPre = try checked(vocabulary.fimPreID, "tokenizer.ggml.fim_pre_token_id")
    var fimSuf = try checked(vocabulary.fimSufID, "tokenizer.ggml.fim_suf_token_id")
    var fimMid = try checked(vocabulary.fimMidID, "tokenizer.ggml.fim_mid_token_id")
    var fimPad = try checked(vocabulary.fimPadID, "tokenizer.ggml.fim_pad_token_id")
    var fimRep = try checked(vocabulary.fimRepID, "tokenizer.ggml.fim_rep_token_id")
    var fimSep = try checked(vocabulary.fimSepID, "tokenizer.ggml.fim_sep_token_id")

    // Recognise unnamed special tokens by their text, as llama.cpp does; a
    // recognised token becomes a control token. llama.cpp walks a hash map,
    // so when several candidates exist its pick is arbitrary; we take the
    // lowest id.
    func find(_ candidates: [[UInt8]]) -> Int32? {
      var best: Int32? = nil
      for text in candidates {
        if let id = table.id(of: text), best == nil || id < best! { best = id }
      }
      if let best { attrs[Int(best)] |= TokenAttribute.control }
      return best
    }
    if eot == nil { eot = find(KnownTokenTexts.eot) }
    if eom == nil { eom = find(KnownTokenTexts.eom) }
    if fimPre == nil { fimPre = find(KnownTokenTexts.fimPre) }
    if fimSuf == nil { fimSuf = find(KnownTokenTexts.fimSuf) }
    if fimMid == nil { fimMid = find(KnownTokenTexts.fimMid) }
    if fimPad == nil { fimPad = find(KnownTokenTexts.fimPad) }
    if fimRep == nil { fimRep = find(KnownTokenTexts.fimRep) }
    if fimSep == nil { fimSep = find(KnownTokenTexts.fimSep) }

    // MARK: End-of-generation set
    var eog = [Bool](repeating: false, count: n)
    for id in [fimPad, fimRep, fimSep] {
      if let id { eog[Int(id)] = true }
    }
    for text in KnownTokenTexts.eog {
      if let id = table.id(of: text) {
        eog[Int(id)] = true
        attrs[Int(id)] |= TokenAttribute.control
      }
    }
    for text in KnownTokenTexts.alwaysRendered {
      if let id = table.id(of: text) { attrs[Int(id)] = TokenAttribute.userDefined }
    }
    for id in [eos, eot, eom] {
      if let id { eog[Int(id)] = true }
    }
    // gpt-oss and solar-open: "<|end|>" ends a message, not generation.
    func inEOG(_ text: [UInt8]) -> Int32? {
      if let id = table.id(of: text), eog[Int(id)] { return id }
      return nil
    }
    if let end = inEOG(KnownTokenTexts.end) {
      let hasReturn = inEOG(KnownTokenTexts.returnToken) != nil
      let hasCall = inEOG(KnownTokenTexts.call) != nil || inEOG(KnownTokenTexts.calls) != nil
      let hasFlush = inEOG(KnownTokenTexts.flush) != nil
      if (hasReturn && hasCall) || (hasCall && hasFlush) {
        eog[Int(end)] = false
        attrs[Int(end)] = TokenAttribute.userDefined
      }
    }
    // gemma4 and plamo: "</s>" is a normal token there.
    if let s = inEOG(KnownTokenTexts.endOfSequence),
      inEOG(KnownTokenTexts.toolResponse) != nil || inEOG(KnownTokenTexts.plamoEOS) != nil
    {
      eog[Int(s)] = false
      attrs[Int(s)] = TokenAttribute.normal
    }

    // MARK: Special-token partition order
    var special: [Int32] = []
    let specialMask = TokenAttribute.control | TokenAttribute.userDefined | TokenAttribute.unknown
    for i in 0..<n where attrs[i] & specialMask != 0 {
      special.append(Int32(i))
    }
    // Longest first (llama.cpp's std::sort leaves equal lengths in an
    // unspecified order; we keep id order among them).
    special = Tokenizer.stableSortedByLengthDescending(special, texts)

    // SPM defaults: add BOS, add the space prefix, no space clean-up.
    let addBOS = vocabulary.addBOS ?? (pre?.addBOSDefault ?? true)
    let addEOS = vocabulary.addEOS ?? false
    if addBOS && bos == nil {
      throw EdgeLMError(.format, "tokenizer.ggml.add_bos_token is true but the model has no BOS token")
    }
    if addEOS && eos == nil {
      throw EdgeLMError(.format, "tokenizer.ggml.add_eos_token is true but the model has no EOS token")
    }

    self.tokens = texts
    self.attributes = attrs
    self.specialTokens = special
    self.specialTrie = SpecialTokenTrie(tokens: special, texts: texts)
    self.endOfGeneration = eog
    self.bosToken = bos
    self.eosToken = eos
    self.eotToken = eot
    self.eomToken = eom
    self.addBOS = addBOS
    self.addEOS = addEOS
    self.addSpacePrefix = vocabulary.addSpacePrefix ?? (pre == nil)
    if let pre {
      self.encoder = .bytePair(
        BytePairEncoder(tokenIDs: table, merges: vocabulary.merges, ignoreMerges: pre.ignoreMerges), pre)
      self.cleanSpaces = pre.cleanSpaces
    } else {
      self.encoder = .sentencePiece(
        SentencePieceEncoder(tokenIDs: table, scores: scores, unknown: unk, maxTokenLength: maxTokenLength))
      self.cleanSpaces = false
    }
  }

  private static func stableSortedByLengthDescending(_ ids: [Int32], _ texts: ByteStrings) -> [Int32] {
    // Bucket by length: stable and linear.
    var maxLength = 0
    for id in ids { maxLength = max(maxLength, texts.length(Int(id))) }
    var buckets = [[Int32]](repeating: [], count: maxLength + 1)
    for id in ids { buckets[texts.length(Int(id))].append(id) }
    var sorted: [Int32] = []
    sorted.reserveCapacity(ids.count)
    for length in stride(from: maxLength, through: 0, by: -1) {
      sorted.append(contentsOf: buckets[length])
    }
    return sorted
  }

  // MARK: - Encoding

  /// Tokenizes UTF-8 text with `llama_tokenize` semantics.
  /// - Parameters:
  ///   - text: UTF-8 bytes; invalid sequences are tokenized as U+FFFD, one
  ///     per bad byte, as llama.cpp does.
  ///   - addSpecial: add BOS (and EOS) where the model's metadata asks for it.
  ///   - parseSpecial: match control token texts such as `<|im_start|>` in
  ///     the text. User-defined tokens are always matched.
  /// - Returns: the token ids.
  public func tokenize(_ text: [UInt8], addSpecial: Bool, parseSpecial: Bool) -> [Int32] {
    var output: [Int32] = []
    output.reserveCapacity(text.count / 3 + 2)
    if addSpecial && addBOS, let bos = bosToken {
      output.append(bos)
    }
    let fragments = partition(text, parseSpecial: parseSpecial)
    switch encoder {
    case .bytePair(let bpe, let pre):
      for fragment in fragments {
        switch fragment {
        case .token(let id):
          output.append(id)
        case .text(let start, let end):
          text.withUnsafeBufferPointer { buffer in
            encodeText(UnsafeBufferPointer(rebasing: buffer[start..<end]), bpe, pre, into: &output)
          }
        }
      }
    case .sentencePiece(let spm):
      // llama.cpp: the space prefix goes on the first text fragment and on
      // each one that follows a special token, BOS or not.
      var isPreviousSpecial = true
      var workspace = SentencePieceEncoder.Workspace()
      for fragment in fragments {
        switch fragment {
        case .token(let id):
          output.append(id)
          isPreviousSpecial = true
        case .text(let start, let end):
          text.withUnsafeBufferPointer { buffer in
            spm.encode(
              UnsafeBufferPointer(rebasing: buffer[start..<end]),
              spacePrefix: addSpacePrefix && isPreviousSpecial, workspace: &workspace, into: &output)
          }
          isPreviousSpecial = false
        }
      }
    }
    if addSpecial && addEOS, let eos = eosToken {
      output.append(eos)
    }
    return output
  }

  /// Pre-tokenizes and BPE-encodes one fragment of plain text.
  private func encodeText(
    _ text: UnsafeBufferPointer<UInt8>, _ encoder: BytePairEncoder, _ preTokenizer: PreTokenizer,
    into output: inout [Int32]
  ) {
    let cpts = UTF8Codec.decode(text)
    var flags = [UInt16](repeating: 0, count: cpts.count)
    for i in 0..<cpts.count {
      flags[i] = CodepointFlags(of: cpts[i]).rawValue
    }
    let lengths = preTokenizer.split(cpts, flags)

    // Words are re-encoded from the code points, so invalid input bytes
    // reach BPE as U+FFFD, as in llama.cpp.
    var word: [UInt8] = []
    var workspace = BytePairEncoder.Workspace()
    var start = 0
    for length in lengths {
      word.removeAll(keepingCapacity: true)
      for i in start..<(start + length) {
        UTF8Codec.append(cpts[i], to: &word)
      }
      start += length
      word.withUnsafeBufferPointer { encoder.encode($0, workspace: &workspace, into: &output) }
    }
  }

  // MARK: - Decoding

  /// The bytes of one token, as `llama_token_to_piece` with no lstrip.
  /// - Parameters:
  ///   - token: a token id; ids outside the vocabulary give `[]`.
  ///   - special: render control and unknown tokens as their text; when
  ///     false they give `[]`.
  /// - Returns: the piece's bytes (possibly part of a UTF-8 sequence).
  public func piece(_ token: Int32, special: Bool) -> [UInt8] {
    guard token >= 0 && Int(token) < tokens.count else { return [] }
    let attr = attributes[Int(token)]
    let specialMask = TokenAttribute.unknown | TokenAttribute.control
    if !special && attr & specialMask != 0 {
      return []
    }
    let text = Array(tokens[Int(token)])
    if attr & (specialMask | TokenAttribute.userDefined) != 0 {
      return text
    }
    if attr & TokenAttribute.normal != 0 {
      if case .sentencePiece = encoder { return Tokenizer.unescapeSpaces(text) }
      return ByteLevel.decode(text)
    }
    if attr & TokenAttribute.byte != 0 {
      return [Tokenizer.byteValue(ofByteToken: text)]
    }
    return []
  }

  /// SentencePiece text with every U+2581 "▁" replaced by a space.
  static func unescapeSpaces(_ text: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(text.count)
    var i = 0
    while i < text.count {
      if text[i] == 0xE2 && i + 2 < text.count && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
        out.append(0x20)
        i += 3
      } else {
        out.append(text[i])
        i += 1
      }
    }
    return out
  }

  /// llama.cpp's token_to_byte: strtol of the two characters after "<0x".
  private static func byteValue(ofByteToken text: [UInt8]) -> UInt8 {
    var value: UInt8 = 0
    var i = 3
    while i < min(text.count, 5) {
      let c = text[i]
      let digit: UInt8
      switch c {
      case 0x30...0x39: digit = c - 0x30
      case 0x41...0x46: digit = c - 0x41 + 10
      case 0x61...0x66: digit = c - 0x61 + 10
      default: return value
      }
      value = value &* 16 &+ digit
      i += 1
    }
    return value
  }

  /// Concatenated pieces, as `llama_detokenize(remove_special:
  /// removeSpecial, unparse_special: special)`: with `addSpacePrefix` the
  /// first piece loses one leading space (so never the text after a BOS);
  /// then the clean-up of spaces before punctuation and contractions where
  /// the pre-tokenizer asks for it.
  /// - Parameters:
  ///   - tokens: token ids; ids outside the vocabulary give nothing.
  ///   - special: render control and unknown tokens as their text.
  ///   - removeSpecial: drop a leading BOS and a trailing EOS where the model
  ///     adds them (`addBOS`, `addEOS`).
  public func detokenize(_ tokens: [Int32], special: Bool, removeSpecial: Bool = false) -> [UInt8] {
    var text: [UInt8] = []
    var removeSpace = addSpacePrefix
    var first = 0
    var end = tokens.count
    if removeSpecial && addBOS && end > first && tokens[first] == bosToken {
      removeSpace = false
      first += 1
    }
    if removeSpecial && addEOS && end > first && tokens[end - 1] == eosToken {
      end -= 1
    }
    for token in tokens[first..<end] {
      let p = piece(token, special: special)
      if removeSpace && p.first == 0x20 {
        text.append(contentsOf: p[1...])
      } else {
        text.append(contentsOf: p)
      }
      removeSpace = false
    }
    if cleanSpaces {
      Tokenizer.cleanSpaces(&text)
    }
    return text
  }

  /// llama.cpp's three in-place clean-up passes (detokenize, clean_spaces).
  static func cleanSpaces(_ text: inout [UInt8]) {
    let space: UInt8 = 0x20
    let apostrophe: UInt8 = 0x27
    var total = text.count

    // " ?", " !", " .", " ," lose the space.
    let total1 = total
    total = total > 0 ? 1 : 0
    var i = 1
    while i < total1 {
      let x = text[i]
      if text[i - 1] == space && (x == 0x3F || x == 0x21 || x == 0x2E || x == 0x2C) {
        total -= 1
      }
      text[total] = x
      total += 1
      i += 1
    }

    // " ' " loses both spaces.
    let total2 = total
    total = total > 0 ? 1 : 0
    i = 1
    while i < total2 {
      let x = text[i]
      if x == apostrophe && i + 1 < total2 && text[i - 1] == space && text[i + 1] == space {
        total -= 1
        i += 1
        text[i] = 0
      }
      text[total] = x
      total += 1
      i += 1
    }

    // " 's", " 'm", " 're", " 've" lose the space.
    let total3 = total
    total = total > 0 ? 1 : 0
    i = 1
    while i < total3 {
      let x = text[i]
      if text[i - 1] == space && x == apostrophe && i + 1 < total3 {
        let x1 = text[i + 1]
        if x1 == 0x74 || x1 == 0x64 {  // 't 'd keep the space
        } else if x1 == 0x73 || x1 == 0x6D {  // 's 'm
          total -= 1
        } else if i + 2 < total3 {
          let x2 = text[i + 2]
          if (x1 == 0x72 && x2 == 0x65) || (x1 == 0x76 && x2 == 0x65) {  // 're 've
            total -= 1
          }
        }
      }
      text[total] = x
      total += 1
      i += 1
    }
    text.removeLast(text.count - total)
  }

  // MARK: - Token facts

  /// Whether `token` ends generation, as `llama_vocab_is_eog`: EOS, EOT, EOM
  /// and the tokens llama.cpp recognises by text (`<|im_end|>`,
  /// `<|endoftext|>`, FIM pad/repo/separator ...).
  public func isEndOfGeneration(_ token: Int32) -> Bool {
    token >= 0 && Int(token) < endOfGeneration.count && endOfGeneration[Int(token)]
  }

  /// The raw vocabulary text of `token` (byte-level spelled for normal BPE
  /// tokens, with "▁" for spaces in SentencePiece); `[]` for ids outside
  /// the vocabulary.
  public func tokenText(_ token: Int32) -> [UInt8] {
    guard token >= 0 && Int(token) < tokens.count else { return [] }
    return Array(tokens[Int(token)])
  }

  /// Whether `token` is a control token (rendered only with `special`).
  public func isControl(_ token: Int32) -> Bool {
    token >= 0 && Int(token) < attributes.count
      && attributes[Int(token)] & TokenAttribute.control != 0
  }
}
