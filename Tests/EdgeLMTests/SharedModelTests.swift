import Foundation
import Testing
@testable import EdgeLM

/// One model shared by four sessions on four threads gives the same greedy
/// text as four sequential runs. `make tsan` runs this under
/// ThreadSanitizer.
@Suite struct SharedModelTests {
  static let prompts = ["The capital of France is", "Once upon a time,", "def add(a, b):", "1, 2, 3,"]

  static func greedy(_ model: Model, _ prompt: String, threads: Int) throws -> [Int32] {
    let session = try Session.create(model: model, options: SessionOptions(contextLength: 64, threads: threads))
    var sampler = Sampler(.greedy)
    var out: [Int32] = []
    let tokens = model.tokenizer.tokenize(Array(prompt.utf8), addSpecial: true, parseSpecial: true)
    _ = try session.generate(prompt: tokens, maxTokens: 8, sampler: &sampler) { _, t in
      if t >= 0 { out.append(t) }
      return true
    }
    return out
  }

  @Test func fourSessionsOnFourThreadsEqualSequentialRuns() throws {
    let model = try Model(path: TestPaths.model(TestPaths.smollm2Name))
    let sequential = try Self.prompts.map { try Self.greedy(model, $0, threads: 1) }
    var parallel = [[Int32]](repeating: [], count: 4)
    let lock = NSLock()
    DispatchQueue.concurrentPerform(iterations: 4) { i in
      // Each session has its own pool of two threads: eight threads in all.
      let result = (try? Self.greedy(model, Self.prompts[i], threads: 2)) ?? []
      lock.lock()
      parallel[i] = result
      lock.unlock()
    }
    #expect(parallel == sequential)
    #expect(sequential.allSatisfy { $0.count == 8 })
  }
}
