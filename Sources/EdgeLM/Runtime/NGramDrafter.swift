// Prompt-lookup drafts (no second model): when the last n tokens occurred
// earlier in the prompt or the output, propose what followed them there.
// Pays off when the output repeats the input: rewriting, summarising,
// editing code.

final class NGramDrafter: Drafter {
  var catchesUp: Bool { false }
  /// Shortest and longest n-gram to look up (the longest match wins).
  let minimum: Int
  let maximum: Int

  init(minimum: Int, maximum: Int) {
    self.minimum = max(1, minimum)
    self.maximum = max(self.minimum, maximum)
  }

  func propose(target: Session, pending: Int32, limit: Int, into draft: inout Draft) throws(EdgeLMError) {
    var context = target.history
    context.append(pending)
    let n = min(limit, target.contextLength - target.position - 1)
    guard n >= 1 else { return }
    if let start = NGramDrafter.continuation(of: context, minimum: minimum, maximum: maximum) {
      let end = min(context.count, start + n)
      for t in context[start..<end] { draft.append(t, .certain(t)) }
    }
  }

  /// Where the text after the latest earlier occurrence of the longest
  /// suffix of `context` (between `minimum` and `maximum` tokens) starts,
  /// or nil if no such suffix occurred before.
  static func continuation(of context: [Int32], minimum: Int, maximum: Int) -> Int? {
    let count = context.count
    var n = min(maximum, count - 1)
    while n >= minimum {
      let key = count - n  // the suffix context[key..<count]
      // Latest earlier match context[j..<j+n] (j + n < count: something follows).
      var j = count - n - 1
      while j >= 0 {
        var k = 0
        while k < n && context[j + k] == context[key + k] { k += 1 }
        if k == n { return j + n }
        j -= 1
      }
      n -= 1
    }
    return nil
  }
}
