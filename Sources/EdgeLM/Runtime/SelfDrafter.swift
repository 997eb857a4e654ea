// Self-speculative drafts: the target itself with some layers skipped, so
// a user with one model file still gains. The draft runs on the target's
// own session: the layers it computes write their keys and values at the
// drafted positions, and the verification pass, which evaluates the same
// positions with every layer, overwrites them before anything reads them
// as the target's.

final class SelfDrafter: Drafter {
  var catchesUp: Bool { false }
  /// (layers) true for the layers the draft skips.
  let skipped: [Bool]
  var sampler: Sampler

  private init(skipped: [Bool], sampler: Sampler) {
    self.skipped = skipped
    self.sampler = sampler
  }

  /// - Parameter skipLayers: layer indices to skip; empty = the default
  ///   (`defaultSkippedLayers`).
  /// - Throws: `.invalidArgument` for an index outside the model's layers
  ///   or a list that skips every layer.
  static func make(model: Model, skipLayers: [Int], sampling: SamplingConfig) throws(EdgeLMError) -> SelfDrafter {
    let layers = model.config.layerCount
    let list = skipLayers.isEmpty ? defaultSkippedLayers(layerCount: layers) : skipLayers
    var skipped = [Bool](repeating: false, count: layers)
    for l in list {
      guard l >= 0 && l < layers else {
        throw EdgeLMError(.invalidArgument, "config: speculative.skip_layers names layer \(l) but the model has layers 0...\(layers - 1)")
      }
      skipped[l] = true
    }
    guard skipped.contains(false) else {
      throw EdgeLMError(.invalidArgument, "config: speculative.skip_layers skips all \(layers) layers; the draft needs at least one")
    }
    return SelfDrafter(skipped: skipped, sampler: Sampler(sampling, stream: 2))
  }

  /// Every other layer of the second and third quarters: the first and
  /// last layers matter most to the output (as LayerSkip and
  /// Draft & Verify found), so they always run.
  static func defaultSkippedLayers(layerCount n: Int) -> [Int] {
    guard n >= 4 else { return [] + (n >= 2 ? [n / 2] : []) }
    var list: [Int] = []
    var l = n / 4
    while l < (3 * n) / 4 {
      list.append(l)
      l += 2
    }
    return list
  }

  func propose(target: Session, pending: Int32, limit: Int, into draft: inout Draft) throws(EdgeLMError) {
    let start = target.position
    let n = min(limit, target.contextLength - start - 1, target.maxRollback - 1)
    guard n >= 1 else { return }
    let state = target.state
    state.skippedLayers = skipped
    defer { state.skippedLayers = [] }
    var failure: EdgeLMError? = nil
    do throws(EdgeLMError) {
      try draftTokens(target: target, pending: pending, count: n, into: &draft)
    } catch {
      failure = error
    }
    // The drafted positions go; the verification pass writes them anew.
    try target.truncate(to: start)
    if let failure { throw failure }
  }

  private func draftTokens(target: Session, pending: Int32, count n: Int, into draft: inout Draft) throws(EdgeLMError) {
    let context = target.history
    let logits = try target.evaluate([pending], logits: .last)
    try drawDraft(
      from: target, logits: logits, context: context, pending: pending, count: n, sampler: &sampler, into: &draft)
  }
}
