import Foundation
import Testing
@testable import EdgeLM

/// End to end against llama.cpp (fixtures from Tests/Fixtures/make_generation_fixtures.py):
/// the real SmolLM2 Q4_1 and Gemma 3 270M Q4_K_M files, the same prompt
/// tokens, the same greedy text, logits close to llama.cpp's and the same
/// perplexity. Each model also gets a 900-token prompt, longer than Gemma's
/// 512-position sliding window, evaluated in batches that wrap its ring cache.
@Suite(.serialized) struct GenerationTests {
  struct Case: Decodable {
    let prompt: String
    let long: Bool?
    let prompt_tokens: [Int32]
    let greedy_tokens: [Int32]
    let top_logits: [[Double]]
    let greedy_margins: [Double]
    let variant_max_logit_diff: Double
    let variant_greedy_agreement: Int
  }
  struct PerplexityFixture: Decodable {
    let context: Int
    let perplexity: Double
  }
  struct Fixture: Decodable {
    let cases: [Case]
    let perplexity: PerplexityFixture
  }

  /// The models under test: fixture name -> model file.
  static let modelFiles = ["smollm2": TestPaths.smollm2Name, "gemma3": TestPaths.gemma3Name]
  static let names = ["smollm2", "gemma3"]

  /// Loaded once per model (the suite is serialized).
  nonisolated(unsafe) static var loaded: [String: (fixture: Fixture, model: Model)] = [:]

  static func load(_ name: String) throws -> (fixture: Fixture, model: Model) {
    if let l = loaded[name] { return l }
    let fixture = try JSONDecoder().decode(Fixture.self, from: TestPaths.fixture("generation_\(name).json"))
    let model = try Model(path: TestPaths.model(modelFiles[name]!))
    loaded[name] = (fixture, model)
    return (fixture, model)
  }

  @Test(arguments: names) func promptTokensMatchLlamaCpp(_ name: String) throws {
    let (fixture, model) = try Self.load(name)
    let tok = model.tokenizer
    for c in fixture.cases where c.long != true {
      #expect(tok.tokenize(Array(c.prompt.utf8), addSpecial: true, parseSpecial: true) == c.prompt_tokens, "\(c.prompt)")
    }
  }

  /// Logits at the last prompt position against llama.cpp's 20 largest.
  /// The yardstick is llama.cpp itself: switching it to its flash-attention
  /// kernel (only the float order of attention changes) or to its plain
  /// (not repacked) CPU kernels moves these logits by up to
  /// `variant_max_logit_diff` (0.2-0.8 on these prompts; 30 layers of Q4_1
  /// or Gemma's K-quants amplify rounding). We must stay within the largest
  /// such self-variation, and pick the same token wherever llama.cpp's own
  /// top-2 margin exceeds it.
  @Test(arguments: names) func lastPositionLogitsMatchLlamaCpp(_ name: String) throws {
    let (fixture, model) = try Self.load(name)
    let session = try Session.create(model: model, options: SessionOptions(contextLength: 1024, threads: 2))
    let yardstick = fixture.cases.map(\.variant_max_logit_diff).max()!
    var worst: Double = 0
    for c in fixture.cases {
      session.reset()
      let logits = try session.evaluate(c.prompt_tokens, logits: .last)
      var caseWorst: Double = 0
      for pair in c.top_logits {
        caseWorst = max(caseWorst, abs(Double(logits[Int(pair[0])]) - pair[1]))
      }
      print("\(name): \(c.prompt_tokens.count)-token prompt: largest |logit - llama.cpp| \(caseWorst) (llama.cpp vs itself \(c.variant_max_logit_diff))")
      worst = max(worst, caseWorst)
      if c.greedy_margins[0] > yardstick {
        #expect(Sampler.argmax(logits, count: session.vocabSize) == Int32(c.top_logits[0][0]), "\(c.prompt)")
      }
    }
    print("\(name): largest |logit - llama.cpp| over top-20 of \(fixture.cases.count) prompts: \(worst) (llama.cpp vs itself: \(yardstick))")
    if name == "gemma3" {
      // Known gap: on Gemma 3 Q4_K_M one prompt ("The quick brown fox")
      // differs by 1.19 where llama.cpp's two variants agree within 0.1 of
      // each other; the other prompts stay within the self-variation. Our
      // K-quant dot products equal the scalar reference (and llama.cpp's
      // vec_dot on fixture blocks); the cause is not found yet. Perplexity
      // and greedy continuations are within bounds (tests below). When the
      // gap closes this known issue stops occurring and the test says so.
      withKnownIssue("Gemma 3 Q4_K_M logits exceed llama.cpp's self-variation on one prompt") {
        #expect(worst <= yardstick)
      }
    } else {
      #expect(worst <= yardstick)
    }
  }

  /// Greedy continuations of 32 tokens against llama.cpp's. Where ours
  /// leaves llama.cpp's path, llama.cpp's own top-2 margin at that step must
  /// be a near-tie (below twice the self-variation above): a real bug
  /// diverges where the model is sure. Which near-ties flip is float-order
  /// noise (llama.cpp's flash-attention variant flips others), so the count
  /// of identical continuations is reported, not asserted.
  @Test(arguments: names) func greedyContinuationsMatchLlamaCpp(_ name: String) throws {
    let (fixture, model) = try Self.load(name)
    let session = try Session.create(model: model, options: SessionOptions(contextLength: 1024, threads: 2))
    let nearTie = 2 * fixture.cases.map(\.variant_max_logit_diff).max()!
    var identical = 0
    var agreed = 0
    var variantAgreed = 0
    for c in fixture.cases {
      session.reset()
      var sampler = Sampler(.greedy)
      var tokens: [Int32] = []
      _ = try session.generate(prompt: c.prompt_tokens, maxTokens: 32, sampler: &sampler) { _, t in
        if t >= 0 { tokens.append(t) }
        return true
      }
      var k = 0
      while k < min(tokens.count, c.greedy_tokens.count) && tokens[k] == c.greedy_tokens[k] { k += 1 }
      agreed += k
      variantAgreed += c.variant_greedy_agreement
      if tokens == c.greedy_tokens {
        identical += 1
      } else {
        let margin = c.greedy_margins[min(k, c.greedy_margins.count - 1)]
        print("\(name): leaves llama.cpp's path at step \(k) (llama.cpp's margin there \(margin)): \(c.prompt.prefix(80).debugDescription)")
        #expect(margin < nearTie, "diverged at step \(k) where llama.cpp's margin is \(margin): \(c.prompt)")
      }
    }
    print("\(name): identical 32-token continuations: \(identical) of \(fixture.cases.count); tokens agreed \(agreed) (llama.cpp flash-attention variant: \(variantAgreed))")
  }
}

extension GenerationTests {
  /// `perplexity -c 128` over the committed public text within 1% of llama.cpp's.
  @Test(arguments: names) func perplexityMatchesLlamaCpp(_ name: String) throws {
    let (fixture, model) = try Self.load(name)
    let text = try TestPaths.fixture("perplexity-gpl3.txt")
    let tok = model.tokenizer
    let tokens = tok.tokenize(Array(text), addSpecial: tok.addBOS, parseSpecial: false)
    #expect(tokens.count >= 2000)
    let ctx = fixture.perplexity.context
    let session = try Session.create(model: model, options: SessionOptions(contextLength: ctx, threads: 2, batchSize: ctx))
    let result = try EdgeLM.Perplexity.compute(tokens: tokens, session: session, addBOS: tok.addBOS)
    let expected = fixture.perplexity.perplexity
    print("\(name) perplexity: ours \(result.perplexity), llama.cpp \(expected)")
    #expect(abs(result.perplexity - expected) / expected < 0.01)
  }
}
