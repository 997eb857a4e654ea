import Foundation
import Testing
@testable import EdgeLM

/// End to end against llama.cpp (fixtures from Tests/Fixtures/make_generation_fixtures.py):
/// the real SmolLM2 Q4_1 file, the same prompt tokens, the same greedy text,
/// logits close to llama.cpp's and the same perplexity.
@Suite(.serialized) struct GenerationTests {
  struct Case: Decodable {
    let prompt: String
    let prompt_tokens: [Int32]
    let greedy_tokens: [Int32]
    let top_logits: [[Double]]
  }
  struct Perplexity: Decodable {
    let context: Int
    let perplexity: Double
  }
  struct Fixture: Decodable {
    let cases: [Case]
    let perplexity: Perplexity
  }

  static let fixture: Fixture = try! JSONDecoder().decode(
    Fixture.self, from: TestPaths.fixture("generation_smollm2.json"))
  static let model: Model = try! Model(path: TestPaths.model(TestPaths.smollm2Name))

  @Test func promptTokensMatchLlamaCpp() throws {
    let tok = Self.model.tokenizer
    for c in Self.fixture.cases {
      #expect(tok.tokenize(Array(c.prompt.utf8), addSpecial: true, parseSpecial: true) == c.prompt_tokens, "\(c.prompt)")
    }
  }

  /// Logits at the last prompt position: llama.cpp's 20 largest, compared
  /// value by value. Both sides quantize activations to Q8_1/Q8_0 blocks the
  /// same way; what remains is float summation order and the F16 cache
  /// rounding, which stay far below 0.05 on logits of magnitude ~10-30.
  @Test func lastPositionLogitsMatchLlamaCpp() throws {
    let session = try Session(model: Self.model, options: SessionOptions(contextLength: 512, threads: 2))
    var worst: Double = 0
    for c in Self.fixture.cases {
      session.reset()
      let logits = try session.evaluate(c.prompt_tokens, logits: .last)
      for pair in c.top_logits {
        let diff = abs(Double(logits[Int(pair[0])]) - pair[1])
        worst = max(worst, diff)
      }
      #expect(Sampler.argmax(logits, count: session.vocabSize) == Int32(c.top_logits[0][0]), "\(c.prompt)")
    }
    print("largest |logit - llama.cpp| over top-20 of \(Self.fixture.cases.count) prompts: \(worst)")
    #expect(worst < 0.05)
  }

  /// Greedy continuations of 32 tokens equal llama.cpp's.
  @Test func greedyContinuationsMatchLlamaCpp() throws {
    let session = try Session(model: Self.model, options: SessionOptions(contextLength: 512, threads: 2))
    var identical = 0
    for c in Self.fixture.cases {
      session.reset()
      var sampler = Sampler(.greedy)
      var tokens: [Int32] = []
      _ = try session.generate(prompt: c.prompt_tokens, maxTokens: 32, sampler: &sampler) { _, t in
        if t >= 0 { tokens.append(t) }
        return true
      }
      if tokens == c.greedy_tokens { identical += 1 }
      // Where a near-tie flips late, the first 16 tokens must still agree.
      #expect(Array(tokens.prefix(16)) == Array(c.greedy_tokens.prefix(16)), "\(c.prompt)")
      if tokens != c.greedy_tokens {
        print("differs after 16 tokens: \(c.prompt.debugDescription)\n  ours:      \(tokens)\n  llama.cpp: \(c.greedy_tokens)")
      }
    }
    print("identical 32-token continuations: \(identical) of \(Self.fixture.cases.count)")
    #expect(identical >= 10)
  }
}

extension GenerationTests {
  /// `perplexity -c 128` over the committed public text within 1% of llama.cpp's.
  @Test func perplexityMatchesLlamaCpp() throws {
    let text = try TestPaths.fixture("perplexity-gpl3.txt")
    let tok = Self.model.tokenizer
    let tokens = tok.tokenize(Array(text), addSpecial: tok.addBOS, parseSpecial: false)
    #expect(tokens.count >= 2000)
    let ctx = Self.fixture.perplexity.context
    let session = try Session(model: Self.model, options: SessionOptions(contextLength: ctx, threads: 2, batchSize: ctx))
    let result = try Perplexity.compute(tokens: tokens, session: session, addBOS: tok.addBOS)
    let expected = Self.fixture.perplexity.perplexity
    print("perplexity: ours \(result.perplexity), llama.cpp \(expected)")
    #expect(abs(result.perplexity - expected) / expected < 0.01)
  }
}
