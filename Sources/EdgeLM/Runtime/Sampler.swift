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

/// What a sampler would draw from: candidate `ids[j]` has probability
/// `weights[j] / total` (the chain's truncations and temperature applied).
/// Speculative sampling compares the target's and the draft's.
public struct TokenDistribution {
  public var ids: [Int32] = []
  /// (ids.count) unnormalised weights, in descending order.
  public var weights: [Float] = []
  public var total: Float = 0
  /// Greedy: the one token is chosen without a draw.
  public var isDeterministic = false

  public init() {}

  /// A point mass on `token` (greedy, or a draft with no probabilities).
  public static func certain(_ token: Int32) -> TokenDistribution {
    var d = TokenDistribution()
    d.ids = [token]
    d.weights = [1]
    d.total = 1
    d.isDeterministic = true
    return d
  }

  /// The probability of `token` (0 if it is not a candidate).
  public func probability(of token: Int32) -> Float {
    for j in 0..<ids.count where ids[j] == token { return weights[j] / total }
    return 0
  }
}

public struct Sampler {
  public let parameters: SamplingConfig
  var rng: RandomGenerator
  /// Recent tokens for the repetition penalty (ring of repeatLastN).
  var recent: [Int32] = []
  /// (vocab) penalised logits scratch.
  var probs: [Float] = []

  public init(_ parameters: SamplingConfig) {
    self.parameters = parameters
    rng = RandomGenerator(seed: parameters.seed)
  }

  /// A sampler with the same parameters drawing from another random stream
  /// (a speculative draft's, so its draws do not shift the target's).
  public init(_ parameters: SamplingConfig, stream: UInt64) {
    self.parameters = parameters
    rng = RandomGenerator(seed: parameters.seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
  }

  /// True when every pick is an argmax (temperature 0): no draws are made.
  public var isGreedy: Bool { parameters.temperature <= 0 }

  /// Records a token of the prompt or the output for the repetition penalty.
  public mutating func accept(_ token: Int32) {
    guard parameters.repeatLastN > 0 else { return }
    if recent.count == parameters.repeatLastN { recent.removeFirst() }
    recent.append(token)
  }

  /// Replaces the repetition history with the last tokens of `tokens`.
  public mutating func setHistory(_ tokens: ArraySlice<Int32>) {
    recent.removeAll(keepingCapacity: true)
    guard parameters.repeatLastN > 0 else { return }
    recent.append(contentsOf: tokens.suffix(parameters.repeatLastN))
  }

  /// Uniform in [0, 1) from this sampler's stream (speculative acceptance).
  public mutating func uniform() -> Float { rng.nextUnit() }

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
    return draw(distribution(logits, vocabSize: n))
  }

  /// A draw from `d` (no draw for a deterministic one).
  public mutating func draw(_ d: TokenDistribution) -> Int32 {
    if d.isDeterministic { return d.ids[0] }
    let r = rng.nextUnit() * d.total
    var acc: Float = 0
    for j in 0..<d.ids.count {
      acc += d.weights[j]
      if r < acc { return d.ids[j] }
    }
    return d.ids[d.ids.count - 1]
  }

  /// The distribution `sample` draws from for `logits` (vocab floats):
  /// repetition penalty, top-k, top-p, min-p, temperature.
  public mutating func distribution(_ logits: UnsafePointer<Float>, vocabSize n: Int) -> TokenDistribution {
    let p = parameters
    if probs.count != n { probs = [Float](repeating: 0, count: n) }
    for i in 0..<n { probs[i] = logits[i] }
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
      return .certain(Int32(best))
    }
    // Candidates by logit, descending (ties by id): the top k only.
    let keep = p.topK > 0 ? min(p.topK, n) : n
    let order = Sampler.topIndices(probs, keep)
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
    // Temperature.
    var d = TokenDistribution()
    d.ids = [Int32](repeating: 0, count: count)
    d.weights = [Float](repeating: 0, count: count)
    let base = probs[order[0]]
    for j in 0..<count {
      let w = expf((probs[order[j]] - base) / p.temperature)
      d.ids[j] = Int32(order[j])
      d.weights[j] = w
      d.total += w
    }
    return d
  }

  /// Indices of the `k` largest values, largest first (ties: smaller index
  /// first). A bounded selection instead of sorting the whole vocabulary.
  static func topIndices(_ values: [Float], _ k: Int) -> [Int] {
    let n = values.count
    func before(_ a: Int, _ b: Int) -> Bool { values[a] > values[b] || (values[a] == values[b] && a < b) }
    if k * 8 >= n {
      var order = Array(0..<n)
      order.sort(by: before)
      return Array(order[0..<k])
    }
    // Keep the best k seen so far in a min-heap (root = the worst of them).
    var heap = [Int]()
    heap.reserveCapacity(k)
    func siftDown(_ start: Int) {
      var i = start
      while true {
        let l = 2 * i + 1, r = l + 1
        var worst = i
        if l < heap.count && before(heap[worst], heap[l]) { worst = l }
        if r < heap.count && before(heap[worst], heap[r]) { worst = r }
        if worst == i { return }
        heap.swapAt(i, worst)
        i = worst
      }
    }
    for i in 0..<n {
      if heap.count < k {
        heap.append(i)
        var c = heap.count - 1
        while c > 0 {
          let parent = (c - 1) / 2
          if before(heap[parent], heap[c]) { heap.swapAt(parent, c); c = parent } else { break }
        }
      } else if before(i, heap[0]) {
        heap[0] = i
        siftDown(0)
      }
    }
    heap.sort(by: before)
    return heap
  }
}
