import Foundation
import Testing
@testable import EdgeLM

@Suite struct SamplerTests {
  static let logits: [Float] = [1.0, 3.0, 2.5, -1.0, 0.5, 2.9, -3.0, 0.0]

  func draw(_ p: SamplingConfig, _ n: Int, logits: [Float] = SamplerTests.logits) -> [Int] {
    var s = Sampler(p)
    var counts = [Int](repeating: 0, count: logits.count)
    logits.withUnsafeBufferPointer { l in
      for _ in 0..<n { counts[Int(s.sample(l.baseAddress!, vocabSize: l.count))] += 1 }
    }
    return counts
  }

  @Test func greedyIsTheFirstArgmax() {
    let l: [Float] = [0, 5, 5, 1]
    #expect(l.withUnsafeBufferPointer { Sampler.argmax($0.baseAddress!, count: 4) } == 1)
    #expect(draw(.greedy, 10)[1] == 10)
  }

  @Test func sameSeedSameTokensOtherSeedOthers() {
    var p = SamplingConfig()
    p.temperature = 1; p.topK = 0; p.topP = 1; p.minP = 0
    var a = Sampler(p), b = Sampler(p)
    p.seed = 7
    var c = Sampler(p)
    var ta: [Int32] = [], tb: [Int32] = [], tc: [Int32] = []
    Self.logits.withUnsafeBufferPointer { l in
      for _ in 0..<200 {
        ta.append(a.sample(l.baseAddress!, vocabSize: l.count))
        tb.append(b.sample(l.baseAddress!, vocabSize: l.count))
        tc.append(c.sample(l.baseAddress!, vocabSize: l.count))
      }
    }
    #expect(ta == tb)
    #expect(ta != tc)
  }

  /// At temperature 1 with no truncation the draws follow softmax(logits):
  /// chi-square over 8 categories (7 degrees of freedom) below 24.3, the
  /// 0.1% critical value.
  @Test func temperatureOneFollowsTheSoftmax() {
    var p = SamplingConfig()
    p.temperature = 1; p.topK = 0; p.topP = 1; p.minP = 0
    let n = 40_000
    let counts = draw(p, n)
    let m = Self.logits.max()!
    let e = Self.logits.map { exp(Double($0 - m)) }
    let z = e.reduce(0, +)
    var chi2 = 0.0
    for i in 0..<e.count {
      let expected = Double(n) * e[i] / z
      chi2 += (Double(counts[i]) - expected) * (Double(counts[i]) - expected) / expected
    }
    #expect(chi2 < 24.3, "chi-square \(chi2)")
  }

  @Test func truncationsKeepOnlyTheirCandidates() {
    var p = SamplingConfig()
    p.temperature = 1; p.topP = 1; p.minP = 0
    p.topK = 2
    let k2 = draw(p, 2000)
    #expect(k2[1] > 0 && k2[5] > 0 && k2.enumerated().allSatisfy { $0.offset == 1 || $0.offset == 5 || $0.element == 0 })
    p.topK = 0
    p.minP = 0.5  // keeps p >= 0.5 * p(best): logits within ln 2 of 3.0 -> ids 1, 5, 2
    let mp = draw(p, 2000)
    #expect(mp.enumerated().allSatisfy { [1, 5, 2].contains($0.offset) || $0.element == 0 })
    p.minP = 0
    p.topP = 0.3  // the best token alone holds about 36%
    #expect(draw(p, 500)[1] == 500)
  }

  @Test func repetitionPenaltyDemotesRecentTokens() {
    var p = SamplingConfig.greedy
    p.repeatPenalty = 2
    var s = Sampler(p)
    s.accept(1)  // logit 3.0 -> 1.5, so 2.9 (id 5) wins
    #expect(Self.logits.withUnsafeBufferPointer { s.sample($0.baseAddress!, vocabSize: $0.count) } == 5)
  }
}
