// Drafts from a second, smaller model with the target's vocabulary (e.g.
// SmolLM2 Q4_1 for an F16 target). Its own KV cache follows the target's
// tokens; it shares the target's worker threads.

final class ModelDrafter: Drafter {
  var catchesUp: Bool { true }
  /// The draft model's session (its cache holds a prefix of the target's
  /// tokens plus the tokens it drafted last).
  let session: Session
  var sampler: Sampler

  private init(session: Session, sampler: Sampler) {
    self.session = session
    self.sampler = sampler
  }

  /// Loads the draft model `config.draftModel` the way the target was
  /// loaded (mapped, or read into memory) and checks that it shares the
  /// target's vocabulary.
  /// - Throws: `.invalidArgument` without a path; the errors of
  ///   `Model(path:)` (prefixed with the draft path); `.invalidArgument`
  ///   when its vocabulary differs from the target's.
  static func loadModel(_ config: SpeculativeConfig, target: Model) throws(EdgeLMError) -> Model {
    guard let path = config.draftModel else {
      throw EdgeLMError(.invalidArgument, "speculative mode 'draft' needs a draft model path")
    }
    let model: Model
    do throws(EdgeLMError) {
      model = try Model(path: path, load: target.loadMode)
    } catch {
      throw EdgeLMError(error.status, "draft model '\(path)': " + error.message)
    }
    try checkVocabulary(draft: model, target: target, path: path)
    if config.draftVocabulary > model.config.vocabSize {
      throw EdgeLMError(.invalidArgument, "speculative draft_vocab \(config.draftVocabulary) is larger than the vocabulary of draft model '\(path)' (\(model.config.vocabSize) tokens)")
    }
    return model
  }

  /// A drafter running `model` (from `loadModel`) in a session with the
  /// target's context length and threads, scoring token ids
  /// 0..<`vocabulary` only (0: all).
  static func make(
    model: Model, target: Session, sampling: SamplingConfig, maxDraft: Int, vocabulary: Int = 0
  ) throws(EdgeLMError) -> ModelDrafter {
    let ctx = min(target.contextLength, model.config.trainedContextLength)
    let session = try Session.create(
      model: model,
      options: SessionOptions(contextLength: ctx, threads: target.threads, batchSize: max(maxDraft + 1, min(64, ctx))),
      plan: nil, sharedPool: target.state.pool)
    session.state.logitVocabulary = vocabulary
    return ModelDrafter(
      session: session, sampler: Sampler(sampling, stream: 1))
  }

  /// Drafted ids are the target's ids: same size, same token texts.
  static func checkVocabulary(draft: Model, target: Model, path: String) throws(EdgeLMError) {
    let a = draft.tokenizer, b = target.tokenizer
    guard a.vocabSize == b.vocabSize && draft.config.vocabSize == target.config.vocabSize else {
      throw EdgeLMError(.invalidArgument, "draft model '\(path)' has \(draft.config.vocabSize) tokens but the target has \(target.config.vocabSize): they must share one vocabulary")
    }
    for id in 0..<a.vocabSize where a.tokens[id] != b.tokens[id] {
      throw EdgeLMError(.invalidArgument, "draft model '\(path)' has another vocabulary than the target: token \(id) differs")
    }
  }

  func propose(target: Session, pending: Int32, limit: Int, into draft: inout Draft) throws(EdgeLMError) {
    // Bring the draft's cache to target.history + [pending]: keep the common
    // prefix, evaluate the rest (at least `pending`, for its logits).
    let context = target.history
    let mine = session.history
    var common = 0
    let shared = min(mine.count, context.count)
    while common < shared && mine[common] == context[common] { common += 1 }
    if session.position - common > session.maxRollback { common = 0 }
    try session.truncate(to: common)
    let free = session.contextLength - session.position - (context.count - common) - 1
    let n = min(limit, free)
    guard n >= 1 else { return }
    var suffix = Array(context[common...])
    suffix.append(pending)
    draft.catchUp = suffix.count - 1
    let logits = try session.evaluate(suffix, logits: .last)
    try drawDraft(
      from: session, logits: logits, context: context, pending: pending, count: n, sampler: &sampler, into: &draft)
  }
}
