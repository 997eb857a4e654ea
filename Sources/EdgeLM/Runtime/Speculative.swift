// Speculative decoding: a drafter proposes tokens, the target checks them
// all in one batched forward pass (Runtime/SpeculativeGeneration.swift).
// This file holds what the three draft sources share: the proposal, the
// interface, the adaptive draft length and the counters.

import CEdgeSys

/// Tokens a drafter proposes, with the distribution each was drawn from.
public struct Draft {
  /// (count) proposed token ids, in order.
  public var tokens: [Int32] = []
  /// (count) the draft's distribution for each token: a point mass when the
  /// drafter is greedy or has no probabilities (n-gram lookup).
  public var distributions: [TokenDistribution] = []

  public init() {}

  public var count: Int { tokens.count }

  mutating func removeAll() {
    tokens.removeAll(keepingCapacity: true)
    distributions.removeAll(keepingCapacity: true)
  }

  mutating func append(_ token: Int32, _ distribution: TokenDistribution) {
    tokens.append(token)
    distributions.append(distribution)
  }
}

/// A source of draft tokens. Implementations: `ModelDrafter` (a second,
/// smaller model), `NGramDrafter` (prompt lookup) and `SelfDrafter` (the
/// target with layers skipped).
public protocol Drafter: AnyObject {
  /// Proposes up to `limit` (>= 1) tokens to follow the target's cached
  /// tokens (`target.history`) and then `pending` (sampled, not yet
  /// evaluated). Leaves the target's cache as it found it.
  /// - Throws: `.cancelled` or the errors of evaluating a draft model.
  func propose(target: Session, pending: Int32, limit: Int, into draft: inout Draft) throws(EdgeLMError)
}

/// Counters of speculative decoding, per generation.
public struct SpeculativeStats: Sendable, Equatable {
  /// Tokens proposed by the drafter.
  public var drafted = 0
  /// Proposed tokens the target accepted.
  public var accepted = 0
  /// Forward passes of the target after the prompt (each verifies a draft
  /// or, with an empty draft, decodes one token).
  public var targetPasses = 0

  public init() {}

  /// accepted / drafted (0 before any draft).
  public var acceptanceRate: Double { drafted == 0 ? 0 : Double(accepted) / Double(drafted) }
}

/// Speculative decoding settings and state of one session.
public final class Speculator {
  public let mode: SpeculativeMode
  let drafter: any Drafter
  /// The most tokens drafted per step.
  public let maxDraft: Int
  /// Drafted tokens per step now: grows while drafts are accepted whole,
  /// shrinks after a rejection (1...maxDraft).
  var length: Int

  init(mode: SpeculativeMode, drafter: any Drafter, maxDraft: Int) {
    self.mode = mode
    self.drafter = drafter
    self.maxDraft = max(1, maxDraft)
    length = self.maxDraft
  }

  /// Adapts the draft length to how the last draft fared: `accepted` of
  /// `drafted` tokens. A fully accepted draft lengthens the next by 2; a
  /// rejection sets it to the accepted run plus 2, so a drafter that is
  /// often wrong costs little verification work.
  func record(drafted: Int, accepted: Int) {
    guard drafted > 0 else { return }
    if accepted == drafted {
      length = min(maxDraft, length + 2)
    } else {
      length = max(1, min(maxDraft, accepted + 2))
    }
  }
}

extension Session {
  /// A speculator for this session per `config`, or nil when the mode is
  /// off. Draft models are loaded here and share the session's threads.
  /// - Throws: `.io`/`.format`/`.unsupported` for a draft model that cannot
  ///   be loaded, `.invalidArgument` for a draft whose vocabulary differs
  ///   from the target's or a skipped layer out of range.
  static func makeSpeculator(for session: Session, config: SpeculativeConfig, sampling: SamplingConfig) throws(EdgeLMError) -> Speculator? {
    let maxDraft = min(config.maxDraft, session.state.maxBatch - 1, session.maxRollback - 1)
    switch config.mode {
    case .off:
      return nil
    case .ngram:
      let drafter = NGramDrafter(minimum: config.ngramMin, maximum: config.ngramMax)
      return Speculator(mode: .ngram, drafter: drafter, maxDraft: maxDraft)
    case .selfSpeculative:
      let drafter = try SelfDrafter.make(
        model: session.model, skipLayers: config.skipLayers, sampling: sampling,
        minProbability: config.minDraftProbability)
      return Speculator(mode: .selfSpeculative, drafter: drafter, maxDraft: maxDraft)
    case .draft:
      guard let path = config.draftModel else {
        throw EdgeLMError(.invalidArgument, "speculative mode 'draft' needs a draft model path")
      }
      let drafter = try ModelDrafter.make(
        path: path, target: session, sampling: sampling, minProbability: config.minDraftProbability,
        maxDraft: maxDraft)
      return Speculator(mode: .draft, drafter: drafter, maxDraft: maxDraft)
    }
  }

  /// Turns speculative decoding on (per `config`) or off for later
  /// `generate` calls.
  /// - Throws: the errors of loading a draft model or checking skip_layers.
  public func setSpeculation(_ config: SpeculativeConfig, sampling: SamplingConfig) throws(EdgeLMError) {
    speculator = try Session.makeSpeculator(for: self, config: config, sampling: sampling)
  }
}

/// The softmax probability (temperature 1) of `token` under `logits`: how
/// sure a greedy drafter is. Logits more than 20 below the maximum add less
/// than 2e-9 each and are skipped.
func softmaxProbability(_ logits: UnsafePointer<Float>, count n: Int, token: Int32) -> Float {
  var m = logits[0]
  for i in 1..<n where logits[i] > m { m = logits[i] }
  let floor = m - 20
  var sum: Float = 0
  for i in 0..<n where logits[i] > floor { sum += expf(logits[i] - m) }
  return expf(logits[Int(token)] - m) / sum
}
