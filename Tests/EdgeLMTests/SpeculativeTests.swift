import Foundation
import Testing
@testable import EdgeLM

/// Speculative decoding on the real SmolLM2 Q4_1: greedy output identical to
/// plain decoding for all three draft sources, sampled output with the
/// target's distribution, and the pieces (n-gram lookup, residual, config
/// errors) on their own.
@Suite(.serialized) struct SpeculativeTests {
  nonisolated(unsafe) static var target: Model? = nil
  nonisolated(unsafe) static var draftPath: String? = nil

  static func model() throws -> Model {
    if let target { return target }
    let m = try Model(path: TestPaths.model(TestPaths.smollm2Name))
    target = m
    return m
  }

  /// A draft that disagrees with the target now and then: the target
  /// re-quantized to Q4_0, made once and kept beside the cached models
  /// (the quantizer writes a temporary file and renames it into place).
  static func draftModelPath() throws -> String {
    if let draftPath { return draftPath }
    let dir = TestPaths.modelDirectory.deletingLastPathComponent().appendingPathComponent("derived")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("SmolLM2-135M-Instruct.Q4_0-draft.gguf").path
    if FileManager.default.fileExists(atPath: path) {
      draftPath = path
      return path
    }
    _ = try ModelQuantizer.quantize(
      input: TestPaths.model(TestPaths.smollm2Name), output: path,
      target: #require(QuantizeTarget.named("Q4_0")), options: QuantizeOptions(threads: 2))
    draftPath = path
    return path
  }

  static let prompts = [
    "The capital of France is Paris. The capital of Germany is Berlin. The capital of Italy is",
    "Once upon a time, in a small village by the sea,",
    "def fibonacci(n):\n    if n < 2:\n        return n\n",
    "Repeat the sentence exactly: The quick brown fox jumps over the lazy dog. The quick brown fox",
    "1, 2, 3, 4, 5, 6, 7,",
    "<|im_start|>user\nWhat is the boiling point of water?<|im_end|>\n<|im_start|>assistant\n",
    "Rewrite in plain words: The committee has decided to postpone the meeting until further notice. Rewritten:",
    "A list of fruits: apple, banana, cherry, apple, banana,",
    "The mitochondria is the powerhouse of the",
    "SELECT name, age FROM users WHERE age > 30 ORDER BY",
  ]

  func generate(_ session: Session, _ prompt: String, _ n: Int, sampling: SamplingConfig = .greedy) throws -> ([Int32], GenerationStats) {
    session.reset()
    var sampler = Sampler(sampling)
    let tokens = try session.promptTokens(Array(prompt.utf8), addSpecial: true)
    var out: [Int32] = []
    let (stats, _) = try session.generate(prompt: tokens, maxTokens: n, sampler: &sampler) { _, t in
      if t >= 0 { out.append(t) }
      return true
    }
    return (out, stats)
  }

  /// A plain session and a speculating one (per `mode`; the draft model
  /// for `.draft`) on the real model, context 512, 2 threads each.
  func sessionPair(
    _ mode: SpeculativeMode, sampling: SamplingConfig = .greedy, draftVocabulary: Int = 0
  ) throws -> (plain: Session, spec: Session) {
    let model = try Self.model()
    let plain = try Session.create(model: model, options: SessionOptions(contextLength: 512, threads: 2))
    let spec = try Session.create(model: model, options: SessionOptions(contextLength: 512, threads: 2))
    var config = SpeculativeConfig()
    config.mode = mode
    if mode == .draft { config.draftModel = try Self.draftModelPath() }
    config.draftVocabulary = draftVocabulary
    try spec.setSpeculation(config, sampling: sampling)
    return (plain, spec)
  }

  static let modes: [SpeculativeMode] = [.ngram, .selfSpeculative, .draft]

  /// Greedy with the cost model saying drafting does not pay (costs seeded
  /// so): plain steps with a probe draft every 16, 32, ... steps give the
  /// plain loop's tokens too.
  @Test func greedyOutputIsIdenticalWhenFallingBackToPlainSteps() throws {
    let (plain, spec) = try sessionPair(.ngram)
    var total = SpeculativeStats()
    var produced = 0
    for prompt in Self.prompts {
      let s = spec.speculator!
      for i in s.draftNanoseconds.indices { s.draftNanoseconds[i] = 1e12 }
      for i in s.passNanoseconds.indices { s.passNanoseconds[i] = 1e6 }
      let (expected, _) = try generate(plain, prompt, 32)
      let (got, stats) = try generate(spec, prompt, 32)
      #expect(got == expected, "\(prompt)")
      #expect(spec.history == plain.history, "cache contents differ after: \(prompt)")
      total.drafted += stats.speculative.drafted
      total.targetPasses += stats.speculative.targetPasses
      produced += got.count
    }
    #expect(total.drafted <= produced / 16 + 1, "probes only: \(total)")
    #expect(total.targetPasses >= produced - total.drafted - Self.prompts.count, "\(total), \(produced) tokens")
  }

  /// Greedy: every draft source gives the plain loop's tokens, on 10
  /// prompts, with drafts that are partly rejected (so rollback is used).
  @Test(arguments: modes) func greedyOutputIsIdentical(_ mode: SpeculativeMode) throws {
    let (plain, spec) = try sessionPair(mode)
    spec.speculator!.fallsBackToPlain = false  // the counts below must not depend on timings
    var total = SpeculativeStats()
    for prompt in Self.prompts {
      let (expected, _) = try generate(plain, prompt, 32)
      let (got, stats) = try generate(spec, prompt, 32)
      #expect(got == expected, "\(mode.name): \(prompt)")
      // The session ends where the plain loop's does.
      #expect(spec.history == plain.history, "\(mode.name): cache contents differ after: \(prompt)")
      total.drafted += stats.speculative.drafted
      total.accepted += stats.speculative.accepted
      total.targetPasses += stats.speculative.targetPasses
    }
    // The test means something only if drafts were made, accepted and rejected.
    #expect(total.accepted > 0, "\(mode.name): nothing accepted")
    #expect(total.accepted < total.drafted, "\(mode.name): nothing rejected")
    #expect(total.targetPasses < 10 * 32, "\(mode.name): no pass produced more than one token")
  }

  /// A draft model that scores only the first 8,000 token ids drafts only
  /// those, and the output is still the plain loop's (the prompts' answers
  /// need tokens above 8,000 too, which the target alone produces).
  @Test func greedyOutputIsIdenticalWithARestrictedDraftVocabulary() throws {
    let (plain, spec) = try sessionPair(.draft, draftVocabulary: 8_000)
    spec.speculator!.fallsBackToPlain = false
    var total = SpeculativeStats()
    var above = 0
    for prompt in Self.prompts {
      let (expected, _) = try generate(plain, prompt, 32)
      let (got, stats) = try generate(spec, prompt, 32)
      #expect(got == expected, "\(prompt)")
      #expect(spec.history == plain.history, "cache contents differ after: \(prompt)")
      total.drafted += stats.speculative.drafted
      total.accepted += stats.speculative.accepted
      above += got.filter { $0 >= 8_000 }.count
    }
    #expect(total.accepted > 0 && total.accepted < total.drafted, "\(total)")
    #expect(above > 0, "no generated token was outside the draft vocabulary: the test shows nothing")
    // The draft's logits above 8,000 are -infinity.
    let drafter = spec.speculator!.drafter as! ModelDrafter
    let pointer = try drafter.session.evaluate([1, 2, 3], logits: .last)
    let logits = Array(UnsafeBufferPointer(start: pointer, count: drafter.session.model.config.vocabSize))
    #expect(logits[8_000...].allSatisfy { $0 == -.infinity } && logits[..<8_000].allSatisfy { $0.isFinite })
  }

  /// Greedy with a repetition penalty (the drafted tokens enter the penalty
  /// history as they are accepted) is still the plain loop's output.
  @Test func greedyWithRepetitionPenaltyIsIdentical() throws {
    var sampling = SamplingConfig.greedy
    sampling.repeatPenalty = 1.3
    let (plain, spec) = try sessionPair(.selfSpeculative, sampling: sampling)
    for prompt in Self.prompts.prefix(4) {
      let (expected, _) = try generate(plain, prompt, 24, sampling: sampling)
      let (got, _) = try generate(spec, prompt, 24, sampling: sampling)
      #expect(got == expected, "\(prompt)")
    }
  }

  /// Stops (max tokens, end of generation, callback) leave the same output
  /// and cache as plain decoding, also when they fall inside an accepted run.
  @Test func stopsMatchPlainDecoding() throws {
    let (plain, spec) = try sessionPair(.draft)
    let prompt = Self.prompts[5]  // a chat turn: the reply ends with <|im_end|>
    for n in [1, 2, 3, 5, 8, 200] {
      let (expected, _) = try generate(plain, prompt, n)
      let (got, _) = try generate(spec, prompt, n)
      #expect(got == expected, "max \(n)")
      #expect(spec.history == plain.history, "max \(n)")
    }
    // A callback that stops after 4 pieces.
    for s in [plain, spec] {
      s.reset()
      var sampler = Sampler(.greedy)
      var seen = 0
      _ = try s.generate(prompt: try s.promptTokens(Array(Self.prompts[0].utf8), addSpecial: true), maxTokens: 50, sampler: &sampler) { _, _ in
        seen += 1
        return seen < 4
      }
    }
    #expect(spec.history == plain.history)
  }

  // MARK: - Sampling follows the target's distribution

  /// The exact distribution of the second generated token: sum over the
  /// first token's candidates t of p(t) * p(. | t), from the target alone.
  func exactSecondToken(_ session: Session, prompt: [Int32], sampling: SamplingConfig) throws -> [Int32: Double] {
    session.reset()
    var sampler = Sampler(sampling)
    let first = sampler.distribution(try session.evaluate(prompt), vocabSize: session.vocabSize)
    let tokenizer = session.model.tokenizer
    var exact: [Int32: Double] = [:]
    for j in 0..<first.ids.count {
      let p1 = Double(first.weights[j] / first.total)
      // An end-of-generation token is not emitted: no second token (-1).
      if tokenizer.isEndOfGeneration(first.ids[j]) {
        exact[-1, default: 0] += p1
        continue
      }
      try session.truncate(to: prompt.count)
      let second = sampler.distribution(try session.evaluate([first.ids[j]]), vocabSize: session.vocabSize)
      for i in 0..<second.ids.count {
        let id = tokenizer.isEndOfGeneration(second.ids[i]) ? -1 : second.ids[i]
        exact[id, default: 0] += p1 * Double(second.weights[i] / second.total)
      }
    }
    return exact
  }

  /// Pearson's chi-square of `counts` against `expected` probabilities, with
  /// candidates expected fewer than 5 times pooled into one class.
  static func chiSquare(_ counts: [Int32: Int], _ expected: [Int32: Double], runs: Int) -> (chi2: Double, df: Int) {
    var chi2 = 0.0, classes = 0
    var pooledObserved = 0, pooledExpected = 0.0
    for (id, p) in expected {
      let e = p * Double(runs)
      let o = counts[id] ?? 0
      if e >= 5 {
        chi2 += (Double(o) - e) * (Double(o) - e) / e
        classes += 1
      } else {
        pooledObserved += o
        pooledExpected += e
      }
    }
    // Tokens outside the exact support (must not happen) land in the pool.
    for (id, o) in counts where expected[id] == nil { pooledObserved += o }
    if pooledExpected >= 1 || pooledObserved > 0 {
      let e = max(pooledExpected, 1e-9)
      chi2 += (Double(pooledObserved) - e) * (Double(pooledObserved) - e) / e
      classes += 1
    }
    return (chi2, classes - 1)
  }

  /// The 0.1% critical value of chi-square with `df` degrees of freedom
  /// (Wilson-Hilferty; within 1% of the table for df >= 3).
  static func critical(df: Int) -> Double {
    let k = Double(df), z = 3.0902
    let a = 2 / (9 * k)
    return k * pow(1 - a + z * a.squareRoot(), 3)
  }

  /// Samples `runs` continuations of two tokens after `text` at
  /// temperature 1 (top-k 40, top-p 0.95, min-p 0.05) and tests the second
  /// token (the first one decided by verification) against the target's
  /// exact distribution: chi-square at the 0.1% level.
  func checkSecondTokenDistribution(
    model: Model, contextLength: Int, threads: Int, text: String, config: SpeculativeConfig, runs: Int
  ) throws -> SpeculativeStats {
    var sampling = SamplingConfig()
    sampling.temperature = 1
    sampling.seed = 1234
    let session = try Session.create(model: model, options: SessionOptions(contextLength: contextLength, threads: threads))
    let prompt = try session.promptTokens(Array(text.utf8), addSpecial: true)
    let exact = try exactSecondToken(session, prompt: prompt, sampling: sampling)
    #expect(abs(exact.values.reduce(0, +) - 1) < 1e-4)

    try session.setSpeculation(config, sampling: sampling)
    session.speculator?.fallsBackToPlain = false  // every run drafts, whatever the timings
    session.reset()
    try session.evaluate(Array(prompt.dropLast()))
    var sampler = Sampler(sampling)
    var counts: [Int32: Int] = [:]
    var stats = SpeculativeStats()
    for _ in 0..<runs {
      try session.truncate(to: prompt.count - 1)
      var out: [Int32] = []
      let (s, _) = try session.generate(prompt: [prompt.last!], maxTokens: 2, sampler: &sampler) { _, t in
        if t >= 0 { out.append(t) }
        return true
      }
      stats.drafted += s.speculative.drafted
      stats.accepted += s.speculative.accepted
      counts[out.count == 2 ? out[1] : -1, default: 0] += 1
    }
    let (chi2, df) = Self.chiSquare(counts, exact, runs: runs)
    #expect(df >= 5)
    #expect(chi2 < Self.critical(df: df), "\(config.mode.name): chi-square \(chi2) with \(df) degrees of freedom")
    return stats
  }

  /// Self drafts and a draft model, over 4,000 runs each; plain decoding
  /// (`off`) is the control. The target is a tiny random-weight llama
  /// (SyntheticModelTests) so runs are cheap and its distributions wide;
  /// the draft model is another random model with the same vocabulary, so
  /// most of its drafts are rejected and the residual draw is exercised.
  /// (The test has power: accepting with min(1, 2p/q) instead of
  /// min(1, p/q) gives chi-square 520 against a critical 210 in self mode.)
  @Test(arguments: [SpeculativeMode.selfSpeculative, .draft, .off])
  func sampledTokensFollowTheTargetDistribution(_ mode: SpeculativeMode) throws {
    let (targetPath, _) = try SyntheticModelTests.makeModel(.f32, tied: false)
    let (draftPath, _) = try SyntheticModelTests.makeModel(.q8_0, tied: false)
    defer {
      try? FileManager.default.removeItem(atPath: targetPath)
      try? FileManager.default.removeItem(atPath: draftPath)
    }
    var config = SpeculativeConfig()
    config.mode = mode
    if mode == .draft { config.draftModel = draftPath }
    let stats = try checkSecondTokenDistribution(
      model: try Model(path: targetPath), contextLength: 64, threads: 1, text: "hello", config: config, runs: 4000)
    if mode != .off {
      // Both branches of the acceptance rule ran, many times.
      #expect(stats.accepted > 200 && stats.accepted < stats.drafted - 200, "\(mode.name): \(stats)")
    }
  }

  /// N-gram drafts (a point mass: accept with probability p(d), else draw
  /// from p without d) on the real model, where a repeating prompt makes
  /// the lookup's guesses good: 2,000 runs.
  @Test func ngramSampledTokensFollowTheTargetDistribution() throws {
    var config = SpeculativeConfig()
    config.mode = .ngram
    let stats = try checkSecondTokenDistribution(
      model: try Self.model(), contextLength: 64, threads: 2,
      text: "red green blue red green blue red green blue red green", config: config, runs: 2000)
    #expect(stats.accepted > 50 && stats.accepted < stats.drafted - 50, "\(stats)")
  }

  // MARK: - Pieces

  @Test func ngramLookupFindsTheLongestLatestMatch() {
    // ... 1 2 3 [9] ... 2 3 [7] ... 1 2 3 -> the 3-gram "1 2 3" wins: 9.
    let context: [Int32] = [1, 2, 3, 9, 5, 2, 3, 7, 8, 1, 2, 3]
    #expect(NGramDrafter.continuation(of: context, minimum: 2, maximum: 4) == 3)
    // Only 2-grams allowed: the latest "2 3" is followed by 7.
    #expect(NGramDrafter.continuation(of: context, minimum: 2, maximum: 2) == 7)
    #expect(NGramDrafter.continuation(of: [1, 2, 3, 4], minimum: 1, maximum: 4) == nil)
    #expect(NGramDrafter.continuation(of: [5], minimum: 1, maximum: 4) == nil)
    // The match may overlap the suffix: "a a a" -> continue with a.
    #expect(NGramDrafter.continuation(of: [4, 4, 4], minimum: 2, maximum: 2) == 2)
  }

  /// The cost model works from whatever lengths were measured: a run whose
  /// drafts all had 4 tokens (so no pass over 1 or 2 positions was ever
  /// timed) still estimates every length, and tries longer drafts when
  /// passes are cheap and drafts are accepted (it once stayed at 4 forever).
  @Test func costModelEstimatesUnmeasuredLengths() {
    let s = Speculator(mode: .ngram, drafter: NGramDrafter(minimum: 2, maximum: 4), maxDraft: 8, minDraftProbability: 0)
    #expect(s.passCost(1) == 0 && s.draftCost(1) == 0)
    #expect(s.bestLength.length == 4, "nothing measured: 4")
    s.passNanoseconds[5] = 20e6   // a memory-bound target: 5 positions ~ 1.2 x one
    s.draftNanoseconds[4] = 8e6   // a cheap draft: 2 ms per token
    s.acceptance = 0.98
    #expect(abs(s.passCost(1) - 20e6 / 1.2) < 1)
    #expect(abs(s.passCost(7) - 20e6 * 1.1) < 1)
    #expect(abs(s.draftCost(2) - 4e6) < 1)
    #expect(abs(s.draftCost(6) - 8e6 * 1.35) < 1)
    let best = s.bestLength
    #expect(best.length > 4 && best.rate > 0, "\(best)")
    // Linear between two measured lengths.
    s.passNanoseconds[3] = 18e6
    #expect(abs(s.passCost(4) - 19e6) < 1)
    // One more token costs (8 + 20 - plain) / 4 ms, plain = 18 / 1.1 ms
    // (from the pass over 3); it saves a plain step at acceptance 0.98 only
    // if every token before it is accepted.
    let bar = s.extensionBar(length: 4)
    let plain = 18e6 / 1.1
    let expected = (8e6 + 20e6 - plain) / 4 / (plain * 0.98)
    #expect(abs(Double(bar) - expected) < 1e-5, "\(bar)")
    s.fallsBackToPlain = false
    #expect(s.extensionBar(length: 4) == 0, "costs do not steer drafting")
    s.fallsBackToPlain = true
    // Plain decoding judged faster (drafts cost 100 ms per token): no draft.
    s.draftNanoseconds[4] = 400e6
    #expect(s.nextLength() == 0)
  }

  /// A draft model (a drafter that catches up, and gets one probe per
  /// generation once off) is not turned off before
  /// `judgedBeforeFallback` drafted tokens are judged, however the first
  /// timings look; the n-gram and self drafters may be at once.
  @Test func draftModelIsNotTurnedOffOnItsFirstDrafts() {
    final class CatchingUp: Drafter {
      var catchesUp: Bool { true }
      func propose(target: Session, pending: Int32, limit: Int, into draft: inout Draft) throws(EdgeLMError) {}
    }
    let s = Speculator(mode: .draft, drafter: CatchingUp(), maxDraft: 8, minDraftProbability: 0.5)
    // Drafting does not pay: 10 ms per drafted token, a pass over 5 as 3 plain steps.
    s.passNanoseconds[1] = 10e6
    s.passNanoseconds[5] = 30e6
    s.draftNanoseconds[4] = 40e6
    s.judged = Speculator.judgedBeforeFallback - 1
    #expect(s.nextLength() >= 1)
    s.judged = Speculator.judgedBeforeFallback
    #expect(s.nextLength() == 0)
  }

  /// The acceptance estimate leaves its 0.7 prior as soon as drafts are
  /// judged (a fixed 5% step kept it near 0.7 for dozens of tokens, long
  /// enough for plain decoding to look faster for a whole generation), and
  /// later follows the text with a 5% step.
  @Test func acceptanceEstimateLearnsFromTheFirstDrafts() {
    let s = Speculator(mode: .ngram, drafter: NGramDrafter(minimum: 2, maximum: 4), maxDraft: 8, minDraftProbability: 0)
    var d = Draft()
    for t: Int32 in 1...5 { d.append(t, .certain(t)) }
    s.record(d, accepted: 5, draftNanoseconds: 1, passNanoseconds: 1)
    #expect(abs(s.acceptance - (0.7 + 5) / 6) < 1e-9, "the mean of the prior and 5 successes: \(s.acceptance)")
    s.record(d, accepted: 2, draftNanoseconds: 1, passNanoseconds: 1)
    #expect(abs(s.acceptance - (0.7 + 7) / 9) < 1e-9, "7 of 8 judged: \(s.acceptance)")
    for _ in 0..<4 { s.record(d, accepted: 5, draftNanoseconds: 1, passNanoseconds: 1) }
    let before = s.acceptance
    s.record(d, accepted: 0, draftNanoseconds: 1, passNanoseconds: 1)
    #expect(abs(s.acceptance - before * 0.95) < 1e-9, "past 19 judged tokens a rejection moves it by 5%")
  }

  /// A draft goes on while every token's calibrated acceptance is at least
  /// min_draft_probability and the chance that all are accepted stays at
  /// or above the cost bar.
  @Test func draftStopsWhereThePrefixIsUnlikelyToBeAccepted() {
    var draft = Draft()
    draft.calibration = AcceptanceCalibration(minimum: 0.3)
    draft.extensionBar = 0.5
    // Uncalibrated bins: acceptance = the bin's middle (0.95, 0.85, 0.65).
    var go = [Bool]()
    for p: Float in [0.99, 0.8, 0.6, 0.8] { go.append(draft.worthExtending(after: p)) }
    // 0.95, x 0.85 = 0.81, x 0.65 = 0.53, x 0.85 = 0.45 < 0.5
    #expect(go == [true, true, true, false], "\(go), \(draft.prefixAcceptance)")
    // The per-token floor: a token calibrated at 0.25 < 0.3 ends the draft.
    draft.removeAll()
    draft.extensionBar = 0
    #expect(draft.prefixAcceptance == 1)
    let low = draft.worthExtending(after: 0.2)
    #expect(!low)
  }

  @Test func residualIsTheNormalisedPositivePart() {
    var p = TokenDistribution()
    p.ids = [1, 2, 3]; p.weights = [5, 3, 2]; p.total = 10
    var q = TokenDistribution()
    q.ids = [2, 1]; q.weights = [6, 4]; q.total = 10
    let r = Session.residual(p, q)
    // p - q: 1: 0.5-0.4 = 0.1, 2: 0.3-0.6 < 0, 3: 0.2-0 = 0.2.
    #expect(r.ids == [1, 3])
    #expect(abs(r.probability(of: 1) - 1.0 / 3) < 1e-5)
    #expect(abs(r.probability(of: 3) - 2.0 / 3) < 1e-5)
    // Against a point mass: p without that token.
    let s = Session.residual(p, .certain(1))
    #expect(s.ids == [2, 3] && abs(s.probability(of: 2) - 0.6) < 1e-5)
  }

  @Test func badSettingsAreClearErrors() throws {
    let model = try Self.model()
    let session = try Session.create(model: model, options: SessionOptions(contextLength: 256, threads: 1))
    var config = SpeculativeConfig()
    config.mode = .selfSpeculative
    config.skipLayers = [3, 30]
    #expect(throws: EdgeLMError.self) { try session.setSpeculation(config, sampling: .greedy) }
    do { try session.setSpeculation(config, sampling: .greedy) } catch {
      #expect(error.status == .invalidArgument && error.message.contains("layer 30"), "\(error.message)")
    }
    config.skipLayers = Array(0..<30)
    do { try session.setSpeculation(config, sampling: .greedy); Issue.record("skipping every layer was accepted") } catch {
      #expect(error.message.contains("all 30 layers"), "\(error.message)")
    }
    config = SpeculativeConfig()
    config.mode = .draft
    config.draftModel = try TestPaths.model(TestPaths.gemma3Name)
    do { try session.setSpeculation(config, sampling: .greedy); Issue.record("a draft with another vocabulary was accepted") } catch {
      #expect(error.status == .invalidArgument && error.message.contains("vocabulary"), "\(error.message)")
    }
    config.draftModel = try Self.draftModelPath()
    config.draftVocabulary = 49_153
    do { try session.setSpeculation(config, sampling: .greedy); Issue.record("draft_vocab above the vocabulary was accepted") } catch {
      #expect(error.status == .invalidArgument && error.message.contains("draft_vocab 49153"), "\(error.message)")
    }
    config.draftVocabulary = 0
    config.draftModel = "/nonexistent/draft.gguf"
    do { try session.setSpeculation(config, sampling: .greedy); Issue.record("a missing draft was accepted") } catch {
      #expect(error.status == .io && error.message.contains("draft model '/nonexistent/draft.gguf'"), "\(error.message)")
    }
    // A failed setting leaves speculation as it was (off).
    #expect(session.speculator == nil)
    // The draft model is not in the memory plan: with a RAM cap, say so.
    var runtime = RuntimeConfig()
    runtime.ramLimit = 200 << 20
    runtime.speculative.mode = .draft
    runtime.speculative.draftModel = try TestPaths.model(TestPaths.smollm2Name)
    do { _ = try Session.create(model: model, config: runtime); Issue.record("draft + ram_limit was accepted") } catch {
      #expect(error.status == .unsupported && error.message.contains("ram_limit"), "\(error.message)")
    }
    // n-gram and self drafts run under a cap (self drafts page like the target).
    runtime.speculative.mode = .selfSpeculative
    runtime.speculative.draftModel = nil
    runtime.ramLimit = 48 << 20
    runtime.contextLength = 128
    runtime.sampling = .greedy
    let capped = try Session.create(model: model, config: runtime)
    #expect(capped.plan?.isStreaming == true && capped.speculator?.mode == .selfSpeculative)
    let plain = try Session.create(model: model, options: SessionOptions(contextLength: 128, threads: 1))
    #expect(try generate(capped, Self.prompts[0], 12).0 == generate(plain, Self.prompts[0], 12).0)
  }

  /// The draft model runs on the target's workers: no extra threads.
  @Test func draftModelSharesTheThreadBudget() throws {
    let model = try Self.model()
    let before = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
    let session = try Session.create(model: model, options: SessionOptions(contextLength: 256, threads: 3))
    var config = SpeculativeConfig()
    config.mode = .draft
    config.draftModel = try Self.draftModelPath()
    try session.setSpeculation(config, sampling: .greedy)
    let after = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
    #expect(after - before == 2, "threads added: \(after - before) (budget 3 = the caller + 2 workers)")
  }
}
