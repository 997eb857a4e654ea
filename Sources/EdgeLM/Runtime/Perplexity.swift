// Perplexity the way llama.cpp's perplexity tool computes it, so numbers
// compare: non-overlapping chunks of `context` tokens, BOS written over the
// first token of each chunk where the model adds BOS, and only the second
// half of each chunk scored (each scored token then has at least context/2
// tokens before it).

import CEdgeSys

public struct PerplexityResult: Sendable {
  public var chunks = 0
  public var scoredTokens = 0
  public var negativeLogLikelihood: Double = 0
  public var perplexity: Double { exp(negativeLogLikelihood / Double(max(scoredTokens, 1))) }
}

public enum Perplexity {
  /// - Parameters:
  ///   - tokens: the whole text, tokenized (with BOS where the model adds it).
  ///   - session: a session whose context length is the chunk size.
  ///   - onChunk: called after each chunk with the running result.
  /// - Throws: `.invalidArgument` when the text has fewer than two chunks.
  public static func compute(
    tokens: [Int32], session: Session, addBOS: Bool,
    onChunk: (PerplexityResult) -> Void = { _ in }
  ) throws(EdgeLMError) -> PerplexityResult {
    let ctx = session.contextLength
    guard tokens.count >= 2 * ctx else {
      throw EdgeLMError(.invalidArgument, "the text has \(tokens.count) tokens; perplexity with a context of \(ctx) needs at least \(2 * ctx)")
    }
    let batch = session.state.maxBatch
    let vocab = session.vocabSize
    let first = ctx / 2
    var result = PerplexityResult()
    for chunk in 0..<(tokens.count / ctx) {
      let start = chunk * ctx
      session.reset()
      var offset = 0
      while offset < ctx {
        let n = min(batch, ctx - offset)
        var part = Array(tokens[(start + offset)..<(start + offset + n)])
        if addBOS && offset == 0, let bos = session.model.tokenizer.bosToken { part[0] = bos }
        let logits = try session.evaluate(part, logits: .all)
        for i in 0..<n {
          let position = offset + i
          guard position >= first && position < ctx - 1 else { continue }
          let target = Int(tokens[start + position + 1])
          result.negativeLogLikelihood -= logSoftmax(logits + i * vocab, count: vocab, at: target)
          result.scoredTokens += 1
        }
        offset += n
      }
      result.chunks += 1
      onChunk(result)
    }
    return result
  }

  /// log(softmax(row)[index]), with the sum of exponentials in Double as
  /// llama.cpp's perplexity tool does.
  static func logSoftmax(_ row: UnsafePointer<Float>, count: Int, at index: Int) -> Double {
    var maxLogit = row[0]
    for j in 1..<count where row[j] > maxLogit { maxLogit = row[j] }
    var sumExp: Double = 0
    for j in 0..<count { sumExp += Double(expf(row[j] - maxLogit)) }
    return Double(row[index] - maxLogit) - log(sumExp)
  }
}
