// A session: one conversation's KV cache and working memory over a shared
// model. Used by one thread at a time.

import Synchronization

/// A cancellation request, set from any thread and polled by the forward
/// pass between layers, so it takes effect within a fraction of one batch.
final class CancelFlag {
  private let flag = Atomic<Bool>(false)
  var isSet: Bool { flag.load(ordering: .relaxed) }
  func set() { flag.store(true, ordering: .relaxed) }
  func clear() { flag.store(false, ordering: .relaxed) }
}

public struct SessionOptions {
  /// Positions the KV cache holds; 0 = min(model's trained length, 2048).
  public var contextLength: Int = 0
  /// Total threads, the caller's included.
  public var threads: Int = 1
  /// Tokens evaluated per forward pass when processing a prompt.
  public var batchSize: Int = 128

  public init(contextLength: Int = 0, threads: Int = 1, batchSize: Int = 128) {
    self.contextLength = contextLength
    self.threads = threads
    self.batchSize = batchSize
  }

  public static let defaultContextLength = 2048
}

public final class Session {
  public let model: Model
  public let contextLength: Int
  /// Number of positions filled in the KV cache (llama.cpp's n_past).
  public var position: Int { history.count }
  /// (position) the token ids whose keys and values the cache holds, in
  /// order: what a speculative draft continues from.
  public private(set) var history: [Int32] = []
  /// Drafts and verifies tokens during `generate` (nil: one token per pass).
  public internal(set) var speculator: Speculator? = nil
  let state: ForwardState

  private init(model: Model, contextLength: Int, state: ForwardState) {
    self.model = model
    self.contextLength = contextLength
    self.state = state
  }

  /// A session over `model`. (A factory, not a throwing initializer:
  /// Embedded Swift leaks a class instance whose initializer throws.)
  /// - Throws: `.invalidArgument` for a context length or thread count out of
  ///   range, `.outOfMemory` if the buffers cannot be allocated.
  public static func create(model: Model, options: SessionOptions) throws(EdgeLMError) -> Session {
    try create(model: model, options: options, plan: nil)
  }

  /// `create(model:options:)` with a memory plan: its streamed units are
  /// paged by a `LayerPager` during forward passes.
  static func create(model: Model, options: SessionOptions, plan: MemoryPlan?, sharedPool: ThreadPool? = nil) throws(EdgeLMError) -> Session {
    let trained = model.config.trainedContextLength
    let ctx = options.contextLength == 0 ? min(trained, SessionOptions.defaultContextLength) : options.contextLength
    guard ctx >= 1 && ctx <= trained else {
      throw EdgeLMError(.invalidArgument, "context length \(options.contextLength) is out of range 1...\(trained) (the model's trained context)")
    }
    guard options.batchSize >= 1 && options.batchSize <= 4096 else {
      throw EdgeLMError(.invalidArgument, "batch size \(options.batchSize) is out of range 1...4096")
    }
    // The metadata was copied out while loading: its pages leave the RSS
    // before the session's buffers arrive.
    if let plan, plan.cap > 0, let file = model.gguf.mapping { file.release(offset: 0, count: plan.headerBytes) }
    let state = try ForwardState(
      config: model.config, contextLength: ctx, maxBatch: min(options.batchSize, ctx),
      threads: options.threads, sharedPool: sharedPool)
    if let plan, plan.isStreaming, let file = model.gguf.mapping {
      state.pager = LayerPager(file: file, plan: plan, pool: state.pool)
    }
    let session = Session(model: model, contextLength: ctx, state: state)
    session.history.reserveCapacity(ctx)
    session.plan = plan
    try Memory.check("creating a session")
    return session
  }

  /// The memory plan the session runs under (nil when made without a config).
  public internal(set) var plan: MemoryPlan? = nil

  /// Streaming counters (zero when nothing is streamed).
  public var pagingStats: PagingStats { state.pager?.stats ?? PagingStats() }

  public var threads: Int { state.pool.threadCount }
  public var vocabSize: Int { model.config.vocabSize }
  public var kvCacheBytes: Int { state.kv.byteCount }

  /// Forgets the conversation (the cache is overwritten, not cleared).
  public func reset() { history.removeAll(keepingCapacity: true) }

  /// Drops cached positions at and after `newPosition` (KV rollback), so
  /// the next evaluation continues from there. A model with sliding-window
  /// layers keeps only a ring of recent positions in those layers, so it
  /// can roll back at most `maxRollback` positions at once (the prompt
  /// batch size: enough for speculative decoding and chat edits).
  /// - Throws: `.invalidArgument` for a position outside 0...position or a
  ///   rollback farther than `maxRollback`.
  public func truncate(to newPosition: Int) throws(EdgeLMError) {
    guard newPosition >= 0 && newPosition <= position else {
      throw EdgeLMError(.invalidArgument, "cannot truncate to position \(newPosition): the session holds positions 0..<\(position)")
    }
    guard position - newPosition <= maxRollback else {
      throw EdgeLMError(.invalidArgument, "cannot roll back \(position - newPosition) positions: this model's sliding-window layers keep only the last \(maxRollback) positions beyond their window; reset the session and evaluate again")
    }
    history.removeLast(position - newPosition)
  }

  /// How many positions `truncate` can roll back at once (Int.max unless
  /// the model has sliding-window layers).
  public var maxRollback: Int { state.kv.maxRollback }

  /// Checks that the files of the model and of the draft model, if any,
  /// are still the ones loaded (`Model.fileProblem`: one fstat each).
  /// Callers run it before and after each call that runs the model (the C
  /// API's generate and eval, the CLI's loops); `evaluate` itself notices
  /// a vanished page after each pass.
  /// - Throws: `.io` naming the file once it was truncated, copied over or
  ///   written in place, on this and every later check.
  public func checkModelFiles() throws(EdgeLMError) {
    if let problem = model.fileProblem() { throw problem }
    if let problem = speculator?.draftModel?.fileProblem() { throw problem }
  }

  /// Asks a running `evaluate` or generation to stop; safe from any thread.
  /// It takes effect at the next layer boundary (a fraction of one token's
  /// work), also in the middle of a long prompt.
  public func cancel() { state.cancel.set() }

  /// Forgets a cancellation that arrived while nothing was running (called
  /// when a C API call starts, as sqlite3_interrupt is a no-op when idle).
  public func clearCancellation() { state.cancel.clear() }

  /// Evaluates `tokens` at the next positions, in batches.
  /// - Returns: logits, (1, vocab) for `.last` or (tokens.count, vocab) for
  ///   `.all`, valid until the next call on this session.
  /// - Throws: `.contextFull` if the tokens do not fit, `.invalidArgument`
  ///   for a token id outside the vocabulary, `.cancelled` after `cancel()`,
  ///   `.io` when a read of the model's mapping faulted during the pass
  ///   (its file was truncated; see `checkModelFiles`).
  @discardableResult
  public func evaluate(_ tokens: [Int32], logits rows: LogitRows = .last) throws(EdgeLMError) -> UnsafePointer<Float> {
    guard !tokens.isEmpty else {
      throw EdgeLMError(.invalidArgument, "no tokens to evaluate")
    }
    guard tokens.count <= contextLength - position else {
      throw EdgeLMError(.contextFull, "\(tokens.count) tokens do not fit: \(position) of \(contextLength) context positions are used")
    }
    let vocab = model.config.vocabSize
    for (i, t) in tokens.enumerated() where t < 0 || Int(t) >= vocab {
      throw EdgeLMError(.invalidArgument, "token \(t) at index \(i) is outside the vocabulary (0..<\(vocab))")
    }
    if rows == .all {
      guard tokens.count <= state.maxBatch else {
        throw EdgeLMError(.invalidArgument, "all-position logits need at most \(state.maxBatch) tokens per call, got \(tokens.count)")
      }
      try state.reserveLogits(rows: tokens.count)
    }
    var done = 0
    try tokens.withUnsafeBufferPointer { (buffer) throws(EdgeLMError) in
      while done < buffer.count {
        let n = min(state.maxBatch, buffer.count - done)
        let isLast = done + n == buffer.count
        model.forward(state, tokens: buffer.baseAddress! + done, batch: n, start: position,
                      logitRows: isLast ? rows : .none)
        // A page of the mapping vanished during the pass (the file was
        // truncated): it computed on zeros, so nothing of it is used.
        if let file = model.gguf.mapping, file.faulted, let problem = file.check() { throw problem }
        if state.cancel.isSet {
          // A cancelled call leaves the session as it found it: the
          // cut-short batch is not counted and the batches before it are
          // rolled back (their cache rows are overwritten by the next
          // evaluation). A model whose sliding-window layers cannot roll
          // back that far is reset instead, and the message says so.
          state.cancel.clear()
          if done <= maxRollback {
            history.removeLast(done)
            throw EdgeLMError(.cancelled, "evaluation cancelled after \(done) of \(buffer.count) tokens; the session is back at position \(position)")
          }
          reset()
          throw EdgeLMError(.cancelled, "evaluation cancelled after \(done) of \(buffer.count) tokens; the session was reset (its sliding-window layers cannot roll back \(done) positions)")
        }
        history.append(contentsOf: buffer[done..<done + n])
        done += n
      }
    }
    return UnsafePointer(state.logits.pointer)
  }
}
