// The speculative generation loop: draft, verify every drafted token in one
// batched forward pass of the target, keep the accepted run plus one token
// of the target's own, roll the cache back past the rest.
//
// Acceptance (Leviathan et al. 2023; Chen et al. 2023): greedy targets
// accept a drafted token iff it is the target's argmax, so the output is
// the plain loop's token for token. Sampling targets accept token d drawn
// from the draft's q with probability min(1, p(d)/q(d)) and on rejection
// draw from the normalised residual max(0, p - q), so every output token
// follows the target's p exactly.

extension Session {
  func generateSpeculatively(
    prompt: [Int32], maxTokens: Int, sampler: inout Sampler, speculator: Speculator,
    onPiece: (_ piece: [UInt8], _ token: Int32) -> Bool
  ) throws(EdgeLMError) -> (GenerationStats, StopReason) {
    var stats = GenerationStats()
    stats.promptTokens = prompt.count
    let tokenizer = model.tokenizer
    let vocab = model.config.vocabSize
    for t in prompt { sampler.accept(t) }
    let read0 = ProcessStats.storageReadBytes()
    let paging0 = pagingStats

    let t0 = Clock.nanoseconds()
    let promptLogits = try evaluate(prompt, logits: .last)
    stats.promptNanoseconds = Clock.nanoseconds() - t0
    let promptEnd = position

    var utf8 = UTF8StreamBuffer()
    var reason = StopReason.maxTokens
    let t1 = Clock.nanoseconds()
    var produced = 0
    var draft = Draft()
    speculator.probesSinceDrafting = 0
    // The next output token: sampled, not yet evaluated.
    var pending = sampler.sample(promptLogits, vocabSize: vocab)
    sampler.accept(pending)

    /// Emits `token` unless it ends generation; false = stop.
    func emit(_ token: Int32) -> Bool {
      if tokenizer.isEndOfGeneration(token) {
        reason = .endOfGeneration
        return false
      }
      produced += 1
      let piece = utf8.append(tokenizer.piece(token, special: false))
      if !onPiece(piece, token) {
        reason = .callback
        return false
      }
      return produced < maxTokens
    }

    generation: while maxTokens > 0 {
      guard emit(pending) else { break }
      try Memory.check("generating token \(produced)")
      if position >= contextLength {
        reason = .contextFull
        break
      }
      // Draft at most what the output, the context and one batch can take.
      let limit = min(speculator.nextLength(), maxTokens - produced, contextLength - position - 1, state.maxBatch - 1)
      draft.removeAll()
      draft.calibration = speculator.calibration
      draft.extensionBar = speculator.extensionBar(length: limit)
      let draftStart = Clock.nanoseconds()
      if limit >= 1 {
        try speculator.drafter.propose(target: self, pending: pending, limit: limit, into: &draft)
      }
      let passStart = Clock.nanoseconds()
      stats.speculative.targetPasses += 1
      let k = draft.count
      if k == 0 {
        let logits = try evaluate([pending], logits: .last)
        speculator.record(draft, accepted: 0, draftNanoseconds: 0, passNanoseconds: Clock.nanoseconds() - passStart)
        pending = sampler.sample(logits, vocabSize: vocab)
        sampler.accept(pending)
        continue
      }
      stats.speculative.drafted += k
      let base = position
      var batch = [pending]
      batch.append(contentsOf: draft.tokens)
      // (k + 1, vocab): row i scores the token after batch[i].
      let rows = try evaluate(batch, logits: .all)
      let passTime = Clock.nanoseconds() - passStart
      var accepted = 0
      var next: Int32 = 0
      for i in 0...k {
        let row = rows + i * vocab
        if i == k {
          next = sampler.sample(row, vocabSize: vocab)  // every draft accepted: one more from the target
          break
        }
        let d = draft.tokens[i]
        if sampler.isGreedy {
          let t = sampler.sample(row, vocabSize: vocab)
          if t != d { next = t; break }
        } else {
          let p = sampler.distribution(row, vocabSize: vocab)
          let q = draft.distributions[i]
          let pd = p.probability(of: d), qd = q.probability(of: d)
          if !(qd > 0 && sampler.uniform() * qd < pd) {
            next = sampler.draw(Session.residual(p, q))
            break
          }
        }
        accepted += 1
        sampler.accept(d)
      }
      sampler.accept(next)
      stats.speculative.accepted += accepted
      // A draft that first caught up with the prompt or with plain-decoded
      // tokens (more than the one a fully accepted draft leaves) took time
      // that says nothing about drafting.
      let measured = stats.speculative.targetPasses > 1 && draft.catchUp <= 1
      speculator.record(
        draft, accepted: accepted, draftNanoseconds: measured ? passStart - draftStart : 0,
        passNanoseconds: passTime)
      // Keep pending and the accepted run; the rejected positions go.
      try truncate(to: base + 1 + accepted)
      for i in 0..<accepted {
        guard emit(draft.tokens[i]) else { break generation }
      }
      pending = next
    }
    // Leave the cache as the plain loop would: every emitted token but the
    // last is evaluated (all of them after an end-of-generation token).
    let evaluated = promptEnd + max(0, reason == .endOfGeneration ? produced : produced - 1)
    if position > evaluated { try truncate(to: evaluated) }

    let tail = utf8.flush()
    if !tail.isEmpty { _ = onPiece(tail, -1) }
    stats.generatedTokens = produced
    stats.decodeNanoseconds = Clock.nanoseconds() - t1
    stats.storageReadBytes = max(0, ProcessStats.storageReadBytes() - read0)
    stats.weightStallNanoseconds = pagingStats.stallNanoseconds - paging0.stallNanoseconds
    stats.streamedBytes = pagingStats.mappedBytes - paging0.mappedBytes
    return (stats, reason)
  }

  /// The normalised residual max(0, p - q) over p's candidates; p itself
  /// if nothing is left (p <= q everywhere means p == q, where a rejection
  /// cannot happen, but rounding may get here).
  static func residual(_ p: TokenDistribution, _ q: TokenDistribution) -> TokenDistribution {
    var r = TokenDistribution()
    r.ids.reserveCapacity(p.ids.count)
    r.weights.reserveCapacity(p.ids.count)
    // q's probabilities by id (its candidates are few unless top_k is 0).
    var qByID: [Int32: Float] = [:]
    if q.ids.count > 64 {
      for j in 0..<q.ids.count { qByID[q.ids[j]] = q.weights[j] / q.total }
    }
    for j in 0..<p.ids.count {
      let id = p.ids[j]
      let qp = q.ids.count > 64 ? (qByID[id] ?? 0) : q.probability(of: id)
      let w = p.weights[j] / p.total - qp
      if w > 0 {
        r.ids.append(id)
        r.weights.append(w)
        r.total += w
      }
    }
    return r.total > 0 ? r : p
  }
}
