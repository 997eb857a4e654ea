// Token sampling: greedy, or repetition penalty -> top-k -> top-p -> min-p
// -> temperature -> a seeded draw (the order of llama.cpp's default chain).
// The same seed and inputs always give the same tokens.

import CEdgeSys

extension SamplingConfig {
  /// Greedy argmax, no penalty.
  public static var greedy: SamplingConfig {
    var p = SamplingConfig()
    p.temperature = 0
    return p
  }
}

/// xoshiro256** seeded through splitmix64: small, fast, reproducible.
public struct RandomGenerator {
  var s: (UInt64, UInt64, UInt64, UInt64)

  public init(seed: UInt64) {
    var x = seed
    func splitmix(_ x: inout UInt64) -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s = (splitmix(&x), splitmix(&x), splitmix(&x), splitmix(&x))
  }

  public mutating func next() -> UInt64 {
    let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
    let t = s.1 << 17
    s.2 ^= s.0
    s.3 ^= s.1
    s.1 ^= s.2
    s.0 ^= s.3
    s.2 ^= t
    s.3 = (s.3 << 45) | (s.3 >> 19)
    return result
  }

  /// Uniform in [0, 1).
  public mutating func nextUnit() -> Float {
    Float(next() >> 40) * (1.0 / Float(1 << 24))
  }
}

public struct Sampler {
  public let parameters: SamplingConfig
  var rng: RandomGenerator
  /// Recent tokens for the repetition penalty (ring of repeatLastN).
  var recent: [Int32] = []
  /// (vocab) candidate scratch: token ids and probabilities.
  var ids: [Int32] = []
  var probs: [Float] = []

  public init(_ parameters: SamplingConfig) {
    self.parameters = parameters
    rng = RandomGenerator(seed: parameters.seed)
  }

  /// Records a token of the prompt or the output for the repetition penalty.
  public mutating func accept(_ token: Int32) {
    guard parameters.repeatLastN > 0 else { return }
    if recent.count == parameters.repeatLastN { recent.removeFirst() }
    recent.append(token)
  }

  /// Index of the largest logit (the first one on ties, as llama.cpp).
  public static func argmax(_ logits: UnsafePointer<Float>, count: Int) -> Int32 {
    var best = 0
    var bestValue = logits[0]
    for i in 1..<count where logits[i] > bestValue {
      best = i
      bestValue = logits[i]
    }
    return Int32(best)
  }

  /// Picks the next token from `logits` (vocab floats; left unchanged).
  public mutating func sample(_ logits: UnsafePointer<Float>, vocabSize n: Int) -> Int32 {
    let p = parameters
    if p.temperature <= 0 && (p.repeatPenalty == 1 || recent.isEmpty) {
      return Sampler.argmax(logits, count: n)
    }
    if ids.count != n {
      ids = [Int32](repeating: 0, count: n)
      probs = [Float](repeating: 0, count: n)
    }
    for i in 0..<n {
      ids[i] = Int32(i)
      probs[i] = logits[i]
    }
    // Repetition penalty (llama.cpp): divide positive logits, multiply negative ones.
    if p.repeatPenalty != 1 {
      var seen = Set<Int32>()
      for t in recent where !seen.contains(t) {
        seen.insert(t)
        let i = Int(t)
        probs[i] = probs[i] > 0 ? probs[i] / p.repeatPenalty : probs[i] * p.repeatPenalty
      }
    }
    if p.temperature <= 0 {
      var best = 0
      for i in 1..<n where probs[i] > probs[best] { best = i }
      return Int32(best)
    }
    // Sort candidates by logit, descending (stable on ties by id).
    var order = Array(0..<n)
    let keep = p.topK > 0 ? min(p.topK, n) : n
    let logitsByID = probs
    order.sort { a, b in logitsByID[a] > logitsByID[b] || (logitsByID[a] == logitsByID[b] && a < b) }
    var count = keep
    // Softmax over the kept candidates.
    let maxLogit = probs[order[0]]
    var cand = [Float](repeating: 0, count: count)
    var sum: Float = 0
    for j in 0..<count {
      let e = expf(probs[order[j]] - maxLogit)
      cand[j] = e
      sum += e
    }
    for j in 0..<count { cand[j] /= sum }
    // Top-p: the smallest prefix whose mass reaches topP.
    if p.topP < 1 {
      var cumulative: Float = 0
      for j in 0..<count {
        cumulative += cand[j]
        if cumulative >= p.topP { count = j + 1; break }
      }
    }
    // Min-p: drop candidates below minP * the best probability.
    if p.minP > 0 {
      let threshold = cand[0] * p.minP
      var j = 1
      while j < count && cand[j] >= threshold { j += 1 }
      count = j
    }
    // Temperature, then a weighted draw.
    var weights = [Float](repeating: 0, count: count)
    var total: Float = 0
    let base = probs[order[0]]
    for j in 0..<count {
      let w = expf((probs[order[j]] - base) / p.temperature)
      weights[j] = w
      total += w
    }
    let r = rng.nextUnit() * total
    var acc: Float = 0
    for j in 0..<count {
      acc += weights[j]
      if r < acc { return Int32(order[j]) }
    }
    return Int32(order[count - 1])
  }

}
