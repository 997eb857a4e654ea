// edgelm run --chat: a multi-turn conversation in the model's chat template.
// Each stdin line is a user turn (-p TEXT or -f FILE is the first one); each
// reply goes to stdout followed by a newline; EOF ends the chat. The
// conversation stays in the session's KV cache: every turn the whole
// conversation is formatted and tokenized again, and only the tokens after
// the longest prefix already in the cache are evaluated.

import CEdgeSys
import EdgeLM

enum ChatCommand {
  static func run(_ o: Options) throws(EdgeLMError) {
    let baseline = ProcessStats.peakResidentBytes()
    let model = try loadModel(o)
    let template = try ChatTemplate.resolve(name: o.chatTemplate.map { Array($0.utf8) }, gguf: model.gguf)
    let session = try Session.create(model: model, config: o.runtime, batchSize: o.batchSize)
    var sampler = Sampler(o.runtime.sampling)
    let interactive = isatty(0) != 0

    var messages: [ChatMessage] = []
    if let system = o.system { messages.append(ChatMessage(role: "system", content: system)) }
    var pending: [UInt8]? = nil
    if o.prompt != nil || o.file != nil { pending = try promptBytes(o) }
    /// The tokens in the KV cache, position by position. Count: session.position.
    var cached: [Int32] = []
    var input = LineReader(fd: 0)
    var turn = 0

    while true {
      let user: [UInt8]
      if let first = pending {
        user = first
        pending = nil
      } else {
        if interactive { Console.error("> ") }
        guard let line = try input.next() else { break }
        if line.isEmpty { continue }
        user = line
      }
      turn += 1
      messages.append(ChatMessage(role: Array("user".utf8), content: user))
      let text = try template.apply(messages, addAssistantPrompt: true)
      let tokens = model.tokenizer.tokenize(text, addSpecial: !o.noBOS, parseSpecial: true)

      // Reuse the cached prefix; at least one token is evaluated so there
      // are logits to sample from.
      var keep = 0
      while keep < cached.count && keep < tokens.count && cached[keep] == tokens[keep] { keep += 1 }
      if keep == tokens.count { keep -= 1 }
      // A sliding-window model can roll back only so far; beyond that the
      // conversation is evaluated again from the start.
      if session.position - keep > session.maxRollback { keep = 0 }
      try session.truncate(to: keep)
      cached.removeLast(cached.count - keep)
      let suffix = Array(tokens[keep...])
      guard suffix.count <= session.contextLength - keep else {
        throw EdgeLMError(
          .contextFull,
          "the conversation has \(tokens.count) tokens, more than the context of \(session.contextLength) (raise -c)")
      }

      var reply: [UInt8] = []
      var generated: [Int32] = []
      try session.checkModelFiles()
      let (stats, reason) = try session.generate(prompt: suffix, maxTokens: o.nPredict, sampler: &sampler) {
        piece, token in
        Console.write(piece)
        reply.append(contentsOf: piece)
        if token >= 0 { generated.append(token) }
        return true
      }
      try session.checkModelFiles()
      Console.write("\n")
      // The cache holds the prompt and the reply up to the last token
      // evaluated (a final end-of-generation token is sampled, not evaluated).
      cached.append(contentsOf: suffix)
      cached.append(contentsOf: generated)
      if cached.count > session.position { cached.removeLast(cached.count - session.position) }
      messages.append(ChatMessage(role: Array("assistant".utf8), content: reply))

      var line = "turn \(turn): prompt \(stats.promptTokens) new tokens (\(keep) reused), "
      line += "\(fixed(stats.promptTokensPerSecond)) t/s; generated \(stats.generatedTokens) tokens, "
      line += "\(fixed(stats.decodeTokensPerSecond)) t/s; context \(session.position)/\(session.contextLength)"
      if reason == .contextFull { line += "; stopped: context full" }
      Console.error(line + "\n")
      if reason == .contextFull { break }
    }
    var memory = "memory: peak_rss_bytes \(ProcessStats.peakResidentBytes()), baseline_rss_bytes \(baseline)"
    if let plan = session.plan { memory += ", ram_limit \(plan.cap), streaming \(plan.isStreaming ? "on" : "off")" }
    Console.error(memory + "\n")
  }
}

/// Lines of a file descriptor, without their "\n" (and a "\r" before it).
struct LineReader {
  let fd: Int32
  var buffer: [UInt8] = []
  /// The next line starts here.
  var start = 0
  /// buffer[start..<scanned] holds no "\n": each byte is searched once, so a
  /// long line costs linear time, not a rescan from its start per read.
  var scanned = 0
  var atEnd = false

  init(fd: Int32) { self.fd = fd }

  /// The next line; nil at end of input. A last line without "\n" counts.
  mutating func next() throws(EdgeLMError) -> [UInt8]? {
    while true {
      if let nl = buffer[scanned...].firstIndex(of: 0x0A) {
        let line = take(upTo: nl)
        start = nl + 1
        scanned = start
        return line
      }
      scanned = buffer.count
      if atEnd {
        guard start < buffer.count else { return nil }
        let line = take(upTo: buffer.count)
        start = buffer.count
        return line
      }
      if start > 0 {
        buffer.removeFirst(start)
        scanned -= start
        start = 0
      }
      var chunk = [UInt8](repeating: 0, count: 65536)
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if edgelm_sys_errno() == EINTR { continue }
        throw EdgeLMError(.io, "cannot read the chat from standard input (errno \(edgelm_sys_errno()))")
      }
      if n == 0 {
        atEnd = true
      } else {
        buffer.append(contentsOf: chunk[0..<n])
      }
    }
  }

  /// buffer[start..<end] without a final "\r".
  private func take(upTo end: Int) -> [UInt8] {
    var end = end
    if end > start && buffer[end - 1] == 0x0D { end -= 1 }
    return Array(buffer[start..<end])
  }
}
