// Reading a Vocabulary from the tokenizer.ggml.* metadata of a GGUF file
// (key names as llama.cpp's src/llama-arch.cpp spells them).

extension Vocabulary {
  /// Reads the tokenizer metadata of `gguf`.
  /// - Throws: `.format` when `tokenizer.ggml.model` or `tokenizer.ggml.tokens`
  ///   is missing, a "gpt2" model has no `tokenizer.ggml.merges`, a key has
  ///   the wrong type (`tokenizer.ggml.scores` must be numbers), or a token
  ///   type or id does not fit in 32 bits (the message names the key).
  public init(gguf: GGUFFile) throws(EdgeLMError) {
    guard let model = try gguf.string("tokenizer.ggml.model") else {
      throw EdgeLMError(.format, "GGUF: missing tokenizer.ggml.model")
    }
    guard let tokens = try gguf.stringArray("tokenizer.ggml.tokens") else {
      throw EdgeLMError(.format, "GGUF: missing tokenizer.ggml.tokens")
    }
    let pre = try gguf.string("tokenizer.ggml.pre") ?? ""

    var types: [Int32] = []
    if let raw = try gguf.integerArray("tokenizer.ggml.token_type") {
      types.reserveCapacity(raw.count)
      for (i, t) in raw.enumerated() {
        guard let t32 = Int32(exactly: t) else {
          throw EdgeLMError(.format, "GGUF: tokenizer.ggml.token_type[\(i)] = \(t) does not fit in int32")
        }
        types.append(t32)
      }
    }

    try Memory.check("reading tokenizer.ggml.token_type")
    let merges = try gguf.stringArray("tokenizer.ggml.merges")
    if model == "gpt2" && merges == nil {
      throw EdgeLMError(.format, "GGUF: missing tokenizer.ggml.merges for a gpt2 (BPE) tokenizer")
    }

    self.init(model: model, pre: pre, tokens: tokens, tokenTypes: types, merges: merges ?? ByteStrings())
    try Memory.check("reading tokenizer.ggml.merges")
    scores = try gguf.floatArray("tokenizer.ggml.scores")
    try Memory.check("reading tokenizer.ggml.scores")

    bosID = try gguf.integer("tokenizer.ggml.bos_token_id")
    eosID = try gguf.integer("tokenizer.ggml.eos_token_id")
    eotID = try gguf.integer("tokenizer.ggml.eot_token_id")
    eomID = try gguf.integer("tokenizer.ggml.eom_token_id")
    padID = try gguf.integer("tokenizer.ggml.padding_token_id")
    unkID = try gguf.integer("tokenizer.ggml.unknown_token_id")
    sepID = try gguf.integer("tokenizer.ggml.seperator_token_id")
    // The prefix/suffix/middle keys are deprecated spellings; llama.cpp reads
    // them after the fim_* keys, so they win when both are present.
    fimPreID = try gguf.integer("tokenizer.ggml.fim_pre_token_id")
    if let id = try gguf.integer("tokenizer.ggml.prefix_token_id") { fimPreID = id }
    fimSufID = try gguf.integer("tokenizer.ggml.fim_suf_token_id")
    if let id = try gguf.integer("tokenizer.ggml.suffix_token_id") { fimSufID = id }
    fimMidID = try gguf.integer("tokenizer.ggml.fim_mid_token_id")
    if let id = try gguf.integer("tokenizer.ggml.middle_token_id") { fimMidID = id }
    fimPadID = try gguf.integer("tokenizer.ggml.fim_pad_token_id")
    fimRepID = try gguf.integer("tokenizer.ggml.fim_rep_token_id")
    fimSepID = try gguf.integer("tokenizer.ggml.fim_sep_token_id")

    addBOS = try gguf.bool("tokenizer.ggml.add_bos_token")
    addEOS = try gguf.bool("tokenizer.ggml.add_eos_token")
    addSpacePrefix = try gguf.bool("tokenizer.ggml.add_space_prefix")
  }
}

extension Tokenizer {
  /// Builds the tokenizer of a GGUF model file.
  /// - Throws: what `Vocabulary.init(gguf:)` and `init(vocabulary:)` throw.
  public init(gguf: GGUFFile) throws(EdgeLMError) {
    try self.init(vocabulary: Vocabulary(gguf: gguf))
  }
}
