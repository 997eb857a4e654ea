// The generation loop: prompt evaluation, sampling, streaming of complete
// UTF-8 pieces, stop conditions and timing.

public struct GenerationStats: Sendable {
  public var promptTokens = 0
  public var generatedTokens = 0
  /// Nanoseconds spent evaluating the prompt (first token's latency).
  public var promptNanoseconds: UInt64 = 0
  /// Nanoseconds spent in decode steps after the prompt.
  public var decodeNanoseconds: UInt64 = 0
  /// Bytes the process read from storage meanwhile (/proc/self/io
  /// `read_bytes`: page-cache misses only; 0 with a warm cache or no /proc).
  public var storageReadBytes = 0
  /// Nanoseconds spent waiting for streamed weights to be mapped.
  public var weightStallNanoseconds: UInt64 = 0
  /// Bytes of streamed weights mapped (0 when everything is resident).
  public var streamedBytes = 0
  /// Drafted and accepted tokens and target passes (speculative decoding).
  public var speculative = SpeculativeStats()

  public init() {}

  public var promptTokensPerSecond: Double {
    promptNanoseconds == 0 ? 0 : Double(promptTokens) * 1e9 / Double(promptNanoseconds)
  }
  public var decodeTokensPerSecond: Double {
    decodeNanoseconds == 0 ? 0 : Double(generatedTokens) * 1e9 / Double(decodeNanoseconds)
  }
}

public enum StopReason: Sendable {
  case endOfGeneration
  case maxTokens
  case callback
  case contextFull
}

extension Session {
  /// Tokenizes a prompt to append to this session: special tokens written in
  /// the text are parsed, BOS is added as the model says when `addSpecial`,
  /// and an empty prompt becomes BOS alone.
  /// - Throws: `.invalidArgument` for an empty prompt on a model without
  ///   BOS, `.contextFull` when the tokens do not fit the free positions.
  public func promptTokens(_ text: [UInt8], addSpecial: Bool) throws(EdgeLMError) -> [Int32] {
    let tokenizer = model.tokenizer
    var tokens = tokenizer.tokenize(text, addSpecial: addSpecial, parseSpecial: true)
    if tokens.isEmpty {
      guard let bos = tokenizer.bosToken else {
        throw EdgeLMError(.invalidArgument, "the prompt is empty and the model has no BOS token to start from")
      }
      tokens = [bos]
    }
    try Memory.check("tokenizing the prompt")
    let free = contextLength - position
    guard tokens.count <= free else {
      throw EdgeLMError(.contextFull, "the prompt has \(tokens.count) tokens but only \(free) of \(contextLength) context positions are free (raise context_length)")
    }
    return tokens
  }

  /// Generates up to `maxTokens` tokens after `prompt` (token ids), calling
  /// `onPiece(bytes, token)` with each token's text, held back until it ends
  /// on a whole UTF-8 character. Return `false` from `onPiece` to stop.
  /// The prompt is appended to whatever the session already holds.
  /// With a `speculator` the tokens are drafted and verified several at a
  /// time; greedy output is the same token for token, sampled output
  /// follows the same distribution.
  /// - Throws: `.contextFull` if the prompt alone does not fit, `.cancelled`.
  public func generate(
    prompt: [Int32], maxTokens: Int, sampler: inout Sampler,
    onPiece: (_ piece: [UInt8], _ token: Int32) -> Bool
  ) throws(EdgeLMError) -> (GenerationStats, StopReason) {
    if let speculator {
      return try generateSpeculatively(
        prompt: prompt, maxTokens: maxTokens, sampler: &sampler, speculator: speculator, onPiece: onPiece)
    }
    var stats = GenerationStats()
    stats.promptTokens = prompt.count
    let tokenizer = model.tokenizer
    let vocab = model.config.vocabSize
    for t in prompt { sampler.accept(t) }
    let read0 = ProcessStats.storageReadBytes()
    let paging0 = pagingStats

    let t0 = Clock.nanoseconds()
    var logits = try evaluate(prompt, logits: .last)
    stats.promptNanoseconds = Clock.nanoseconds() - t0

    var utf8 = UTF8StreamBuffer()
    var reason = StopReason.maxTokens
    let t1 = Clock.nanoseconds()
    var produced = 0
    while produced < maxTokens {
      let token = sampler.sample(logits, vocabSize: vocab)
      sampler.accept(token)
      if tokenizer.isEndOfGeneration(token) {
        reason = .endOfGeneration
        break
      }
      produced += 1
      let piece = utf8.append(tokenizer.piece(token, special: false))
      if !onPiece(piece, token) {
        reason = .callback
        break
      }
      try Memory.check("generating token \(produced)")
      if produced == maxTokens { break }
      if position >= contextLength {
        reason = .contextFull
        break
      }
      logits = try evaluate([token], logits: .last)
    }
    let tail = utf8.flush()
    if !tail.isEmpty { _ = onPiece(tail, -1) }
    stats.generatedTokens = produced
    stats.decodeNanoseconds = Clock.nanoseconds() - t1
    stats.storageReadBytes = max(0, ProcessStats.storageReadBytes() - read0)
    stats.weightStallNanoseconds = pagingStats.stallNanoseconds - paging0.stallNanoseconds
    stats.streamedBytes = pagingStats.mappedBytes - paging0.mappedBytes
    return (stats, reason)
  }
}
