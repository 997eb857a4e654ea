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
  /// (count) the draft's own probability for each token (1 for n-grams).
  public var probabilities: [Float] = []
  /// How often tokens of a given draft probability were accepted so far:
  /// drafters stop where the next one is unlikely to be.
  var calibration = AcceptanceCalibration(minimum: 0.5)
  /// The calibrated chance that every token drafted so far is accepted.
  var prefixAcceptance: Float = 1
  /// Drafting goes on while `prefixAcceptance` stays at or above this
  /// (`Speculator.extensionBar`, set each step; 0: no bar).
  var extensionBar: Float = 0
  /// Tokens the drafter evaluated to catch up with the target before its
  /// first drafting step, besides the pending one (a draft model that sat
  /// out plain-decoding steps): that time is not the cost of drafting.
  public var catchUp = 0

  public init() {}

  public var count: Int { tokens.count }

  mutating func removeAll() {
    tokens.removeAll(keepingCapacity: true)
    distributions.removeAll(keepingCapacity: true)
    probabilities.removeAll(keepingCapacity: true)
    catchUp = 0
    prefixAcceptance = 1
  }

  mutating func append(_ token: Int32, _ distribution: TokenDistribution, probability: Float = 1) {
    tokens.append(token)
    distributions.append(distribution)
    probabilities.append(probability)
  }

  /// Whether to draft past a token the draft gave `probability`: its
  /// calibrated acceptance is at least `min_draft_probability`, and the
  /// chance that it and every token before it are accepted stays at or
  /// above `extensionBar`. Called once per drafted token, in order.
  mutating func worthExtending(after probability: Float) -> Bool {
    let a = calibration.acceptance(probability)
    prefixAcceptance *= a
    return a >= calibration.minimum && prefixAcceptance >= extensionBar
  }
}

/// The target's measured acceptance rate of drafted tokens by the draft's
/// own probability for them (ten bins). A draft model's probabilities are
/// not the target's: a draft with the target's weights in another
/// quantization is right even where it is unsure, a weak one is wrong even
/// where it is sure. `min_draft_probability` is compared with this
/// calibrated rate; each bin starts at its own probability, worth two
/// observations.
struct AcceptanceCalibration {
  /// Stop drafting below this calibrated acceptance rate.
  let minimum: Float
  /// (10) accepted and judged counts by probability bin.
  var accepted: [Float]
  var judged: [Float]

  init(minimum: Float) {
    self.minimum = minimum
    accepted = (0..<10).map { 2 * (Float($0) + 0.5) / 10 }
    judged = [Float](repeating: 2, count: 10)
  }

  static func bin(_ p: Float) -> Int { max(0, min(9, Int(p * 10))) }

  func acceptance(_ p: Float) -> Float {
    let b = Self.bin(p)
    return accepted[b] / judged[b]
  }

  mutating func record(probability p: Float, accepted ok: Bool) {
    let b = Self.bin(p)
    judged[b] += 1
    if ok { accepted[b] += 1 }
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
  /// True when drafting after plain-decoded steps first evaluates every
  /// token of those steps (a draft model's own cache): a probe then costs
  /// in proportion to the steps it follows.
  var catchesUp: Bool { get }
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

/// Speculative decoding settings and state of one session, including the
/// cost model that picks the draft length.
///
/// Drafting pays only when the tokens a pass is expected to yield outweigh
/// its cost. With a per-token acceptance rate a, a draft of k tokens yields
/// 1 + a + ... + a^k tokens and costs k drafting steps plus one target pass
/// over k + 1 positions. Both costs are measured while generating (a pass
/// over a few positions costs little more than one on a CPU that waits for
/// memory, several times more on one that computes), so the length follows
/// the machine, the models and the text instead of a fixed setting.
public final class Speculator {
  public let mode: SpeculativeMode
  let drafter: any Drafter
  /// The most tokens drafted per step.
  public let maxDraft: Int
  /// Running estimate of the chance that a drafted token is accepted: the
  /// mean of a 0.7 prior (worth one token) and the judged tokens, then,
  /// past 19 tokens, an exponential average (weight 0.05) that follows the
  /// text. A fixed 0.05 weight from the start kept the prior for dozens of
  /// tokens: after 5 of 5 accepted it still said 0.77 (0.95 now), and a
  /// first noisy pass timing then made plain decoding look faster for the
  /// whole generation (F16 target, Q4_1 draft: 1.05 tokens per pass).
  var acceptance = 0.7
  /// Drafted tokens judged so far (accepted, or the first rejected one).
  var judged = 0
  /// (maxDraft + 1) running mean of nanoseconds to draft k tokens, by k
  /// (0 = not measured yet). Not k times one token: a draft model's first
  /// step also catches up with the tokens the target accepted.
  var draftNanoseconds: [Double]
  /// (maxDraft + 2) running mean of nanoseconds of a target pass over
  /// b positions, by b (0 = not measured yet).
  var passNanoseconds: [Double]
  /// Acceptance by draft probability, handed to the drafter with each draft.
  var calibration: AcceptanceCalibration
  /// The draft model of mode "draft" (its file is checked with the target's).
  var draftModel: Model? = nil

  init(mode: SpeculativeMode, drafter: any Drafter, maxDraft: Int, minDraftProbability: Float) {
    self.mode = mode
    self.drafter = drafter
    self.maxDraft = max(1, maxDraft)
    passNanoseconds = [Double](repeating: 0, count: self.maxDraft + 2)
    draftNanoseconds = [Double](repeating: 0, count: self.maxDraft + 1)
    calibration = AcceptanceCalibration(minimum: minDraftProbability)
  }

  /// The estimated cost of a target pass over `b` positions: measured, or
  /// from the nearest measured passes: linear between two; past the
  /// largest, 5% more per extra position (optimistic, so that longer drafts
  /// get tried and measured); below the smallest, 5% less per position.
  /// 0 while nothing is measured.
  func passCost(_ b: Int) -> Double {
    Speculator.estimate(passNanoseconds, at: b, above: { value, lo in value * (1 + 0.05 * Double(b - lo)) },
                        below: { value, hi in value / (1 + 0.05 * Double(hi - b)) })
  }

  /// The estimated cost of drafting `k` tokens: measured, or linear between
  /// two measured lengths; past the largest, 70% of its mean cost per token
  /// for each extra token (optimistic again: later steps skip the catching
  /// up); below the smallest, in proportion to the length. 0 while nothing
  /// is measured.
  func draftCost(_ k: Int) -> Double {
    Speculator.estimate(draftNanoseconds, at: k, above: { value, lo in value * (1 + 0.7 * Double(k - lo) / Double(lo)) },
                        below: { value, hi in value * Double(k) / Double(hi) })
  }

  /// `measured[i]` if nonzero, else an estimate from the nearest nonzero
  /// entries (indices >= 1): linear between a smaller and a larger one;
  /// `above(measured[lo], lo)` past the largest (lo < i);
  /// `below(measured[hi], hi)` before the smallest (hi > i).
  static func estimate(
    _ measured: [Double], at i: Int, above: (Double, Int) -> Double, below: (Double, Int) -> Double
  ) -> Double {
    if measured[i] > 0 { return measured[i] }
    var lo = i - 1
    while lo >= 1 && measured[lo] == 0 { lo -= 1 }
    var hi = i + 1
    while hi < measured.count && measured[hi] == 0 { hi += 1 }
    switch (lo >= 1, hi < measured.count) {
    case (true, true):
      return measured[lo] + (measured[hi] - measured[lo]) * Double(i - lo) / Double(hi - lo)
    case (true, false): return above(measured[lo], lo)
    case (false, true): return below(measured[hi], hi)
    case (false, false): return 0
    }
  }

  /// Steps decoded without a draft since the last one.
  var stepsWithoutDraft = 0
  /// Plain steps between two probe drafts: 16, doubled after each probe
  /// that does not bring drafting back (up to 256), so a source that does
  /// not pay costs ever less (drafters that catch up probe once, below).
  var probeInterval = 16
  /// False: draft every step, whatever the measured costs say (tests of
  /// the acceptance rule, whose draws must not depend on timings).
  var fallsBackToPlain = true
  /// Probe drafts made since the last step that drafted because drafting
  /// paid (or since the generation began). A drafter that catches up gets
  /// one per generation: each of its probes costs about a draft-model
  /// prompt pass over every step it sat out (~30% on top of plain decoding
  /// for an F16 target and a Q4_1 draft), however far apart the probes are.
  var probesSinceDrafting = 0

  /// Drafted tokens judged before the cost model may turn a drafter that
  /// catches up (a draft model) off: the first rounds' timings and
  /// acceptances are noisy, and such a drafter gets one probe per
  /// generation once it is off, so an early wrong call lasts. Turning off
  /// after the first one or two drafts (one rejection, or one slow pass)
  /// left an F16 target with a Q4_1 draft of the same weights at plain
  /// speed in half the runs. The other drafters probe every 16, 32, ...
  /// steps and may turn off at once (self-speculation, which rarely pays,
  /// lost 8% more of plain speed when held to 16 judged tokens).
  static let judgedBeforeFallback = 16

  /// The draft length with the most expected tokens per nanosecond, or 0
  /// when plain decoding is faster (then a one-token probe draft every
  /// `probeInterval` steps keeps acceptance measured); for a drafter that
  /// catches up, never 0 before `judgedBeforeFallback` drafted tokens are
  /// judged.
  func nextLength() -> Int {
    let k = bestLength
    let plain = passCost(1)
    let trusted = !drafter.catchesUp || judged >= Speculator.judgedBeforeFallback
    guard fallsBackToPlain && trusted && k.rate > 0 && plain > 0 && k.rate < 1 / plain else {
      stepsWithoutDraft = 0
      probeInterval = 16
      probesSinceDrafting = 0
      return k.length
    }
    stepsWithoutDraft += 1
    if drafter.catchesUp && probesSinceDrafting >= 1 { return 0 }
    if stepsWithoutDraft >= probeInterval {
      probesSinceDrafting += 1
      stepsWithoutDraft = 0
      probeInterval = min(2 * probeInterval, 256)
      return 1
    }
    return 0
  }

  /// How sure the draft must be of its tokens so far to draft one more,
  /// for drafts of about `k` tokens: one more token costs a drafting step
  /// and one more position of the target's pass (measured means), and
  /// saves a plain step only if it and every token before it are accepted
  /// (the next one at the running acceptance rate). So drafting goes on
  /// while P(all drafted so far accepted) >= cost per extra token /
  /// (plain step x acceptance): measured here about 0.5 for an F32 target
  /// with a Q4_1 draft of the same weights and 0.75 for F16 (drafting
  /// costs about as much per token, a plain F16 step half as much). 0
  /// while nothing is measured, or when costs must not steer drafting
  /// (`fallsBackToPlain`).
  func extensionBar(length k: Int) -> Float {
    let plain = passCost(1)
    guard fallsBackToPlain, k >= 1, plain > 0, acceptance > 0 else { return 0 }
    let perToken = (draftCost(k) + passCost(k + 1) - plain) / Double(k)
    guard perToken > 0 else { return 0 }
    return Float(perToken / (plain * acceptance))
  }

  /// The best draft length of 1...maxDraft and its expected tokens per ns.
  var bestLength: (length: Int, rate: Double) {
    // Until a pass is measured: 4, or what the first passes allow.
    guard passCost(1) > 0 else { return (min(4, maxDraft), 0) }
    var best = 1
    var bestRate = 0.0
    var yield = 1.0, term = 1.0
    for k in 1...maxDraft {
      term *= acceptance
      yield += term
      let cost = draftCost(k) + passCost(k + 1)
      guard cost > 0 else { continue }
      let rate = yield / cost
      if rate > bestRate * 1.0001 {
        best = k
        bestRate = rate
      }
    }
    return (best, bestRate)
  }

  /// The cost model's state: acceptance, time to draft 1, 2, ... tokens and
  /// time of a target pass over 1, 2, ... positions (measured ones only).
  public var costSummary: String {
    var line = "acceptance \(Int(acceptance * 100))%; us to draft k tokens:"
    for k in 1..<draftNanoseconds.count where draftNanoseconds[k] > 0 { line += " \(k):\(Int(draftNanoseconds[k] / 1000))" }
    line += "; us per target pass over b positions:"
    for b in 1..<passNanoseconds.count where passNanoseconds[b] > 0 { line += " \(b):\(Int(passNanoseconds[b] / 1000))" }
    return line
  }

  /// Records one step: `accepted` of the draft's tokens, the time drafting
  /// took (0 = not to be used) and the time of the target pass over
  /// `draft.count + 1` positions.
  func record(_ draft: Draft, accepted: Int, draftNanoseconds draftTime: UInt64, passNanoseconds passTime: UInt64) {
    let drafted = draft.count
    for i in 0..<min(drafted, accepted + 1) {
      calibration.record(probability: draft.probabilities[i], accepted: i < accepted)
    }
    let b = drafted + 1
    if b < passNanoseconds.count {
      let t = Double(passTime)
      passNanoseconds[b] = passNanoseconds[b] == 0 ? t : 0.7 * passNanoseconds[b] + 0.3 * t
    }
    guard drafted > 0 && draftTime > 0 else { return }
    let t = Double(draftTime)
    draftNanoseconds[drafted] = draftNanoseconds[drafted] == 0 ? t : 0.7 * draftNanoseconds[drafted] + 0.3 * t
    // Each accepted token is a success; the first rejected one a failure
    // (tokens after it were never judged).
    for _ in 0..<accepted { judge(1) }
    if accepted < drafted { judge(0) }
  }

  /// Moves `acceptance` towards one judged token's outcome (1 or 0).
  func judge(_ outcome: Double) {
    judged += 1
    acceptance += Swift.max(0.05, 1 / Double(judged + 1)) * (outcome - acceptance)
  }
}

extension Session {
  /// A speculator for this session per `config`, or nil when the mode is
  /// off. Draft models are loaded here and share the session's threads.
  /// - Throws: `.io`/`.format`/`.unsupported` for a draft model that cannot
  ///   be loaded, `.invalidArgument` for a draft whose vocabulary differs
  ///   from the target's or a skipped layer out of range.
  /// `draftModel`: the draft model already loaded (and checked) for
  /// `config.draftModel`, or nil to load it here.
  static func makeSpeculator(
    for session: Session, config: SpeculativeConfig, sampling: SamplingConfig, draftModel: Model? = nil
  ) throws(EdgeLMError) -> Speculator? {
    let maxDraft = min(config.maxDraft, session.state.maxBatch - 1, session.maxRollback - 1)
    switch config.mode {
    case .off:
      return nil
    case .ngram:
      let drafter = NGramDrafter(minimum: config.ngramMin, maximum: config.ngramMax)
      return Speculator(mode: .ngram, drafter: drafter, maxDraft: maxDraft, minDraftProbability: 0)
    case .selfSpeculative:
      let drafter = try SelfDrafter.make(model: session.model, skipLayers: config.skipLayers, sampling: sampling)
      return Speculator(
        mode: .selfSpeculative, drafter: drafter, maxDraft: maxDraft, minDraftProbability: config.minDraftProbability)
    case .draft:
      let model: Model
      if let draftModel {
        model = draftModel
      } else {
        model = try ModelDrafter.loadModel(config, target: session.model)
      }
      let drafter = try ModelDrafter.make(
        model: model, target: session, sampling: sampling, maxDraft: maxDraft, vocabulary: config.draftVocabulary)
      let speculator = Speculator(
        mode: .draft, drafter: drafter, maxDraft: maxDraft, minDraftProbability: config.minDraftProbability)
      speculator.draftModel = model
      return speculator
    }
  }

  /// Turns speculative decoding on (per `config`) or off for later
  /// `generate` calls.
  /// - Throws: the errors of loading a draft model or checking skip_layers.
  public func setSpeculation(_ config: SpeculativeConfig, sampling: SamplingConfig) throws(EdgeLMError) {
    speculator = try Session.makeSpeculator(for: self, config: config, sampling: sampling)
  }

  /// The same with a draft model loaded beforehand (`ModelDrafter.loadModel`).
  func setSpeculation(_ config: SpeculativeConfig, sampling: SamplingConfig, draftModel: Model?) throws(EdgeLMError) {
    speculator = try Session.makeSpeculator(for: self, config: config, sampling: sampling, draftModel: draftModel)
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

/// Draws up to `n` draft tokens from `session`, whose last evaluation gave
/// `logits` for the position after `pending`: each token by `sampler`
/// (argmax when greedy, else a draw from its distribution), evaluated in
/// turn until `n` are drafted or the draft is no longer worth extending.
/// `context` (the tokens before `pending`) seeds the repetition history.
/// The model and self drafters differ only in which session this runs on.
func drawDraft(
  from session: Session, logits first: UnsafePointer<Float>, context: [Int32], pending: Int32,
  count n: Int, sampler: inout Sampler, into draft: inout Draft
) throws(EdgeLMError) {
  let vocab = session.vocabSize
  if sampler.parameters.repeatPenalty != 1 {
    var recent = context.suffix(sampler.parameters.repeatLastN)
    recent.append(pending)
    sampler.setHistory(recent)
  }
  var logits = first
  for i in 0..<n {
    let token: Int32
    let distribution: TokenDistribution
    let probability: Float
    if sampler.isGreedy {
      token = sampler.sample(logits, vocabSize: vocab)
      distribution = .certain(token)
      probability = softmaxProbability(logits, count: vocab, token: token)
    } else {
      distribution = sampler.distribution(logits, vocabSize: vocab)
      token = sampler.draw(distribution)
      probability = distribution.probability(of: token)
    }
    draft.append(token, distribution, probability: probability)
    sampler.accept(token)
    if i == n - 1 || !draft.worthExtending(after: probability) { break }
    logits = try session.evaluate([token], logits: .last)
  }
}
