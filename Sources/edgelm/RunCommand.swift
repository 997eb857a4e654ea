// edgelm run: generate text from a prompt. Only the text goes to stdout;
// timing goes to stderr.

import EdgeLM

enum RunCommand {
  static func run(_ o: Options) throws(EdgeLMError) {
    if o.chat { return try ChatCommand.run(o) }
    // The process's peak before anything of the model exists: what a
    // process that loads no model needs (the RAM cap comes on top).
    let baseline = ProcessStats.peakResidentBytes()
    let model = try loadModel(o)
    let text = try promptBytes(o)
    let session = try Session.create(model: model, config: o.runtime, batchSize: o.batchSize)
    let tokens = try session.promptTokens(text, addSpecial: !o.noBOS)
    var sampler = Sampler(o.runtime.sampling)
    // The process's threads while generating (the caller and the pool's
    // workers): never more than the budget.
    var maxThreads = ProcessStats.threadCount()
    try session.checkModelFiles()
    let (stats, reason) = try session.generate(prompt: tokens, maxTokens: o.nPredict, sampler: &sampler) { piece, _ in
      Console.write(piece)
      maxThreads = max(maxThreads, ProcessStats.threadCount())
      return true
    }
    try session.checkModelFiles()
    Console.write("\n")
    var line = "prompt: \(stats.promptTokens) tokens, \(fixed(stats.promptTokensPerSecond)) t/s; "
    line += "generated: \(stats.generatedTokens) tokens, \(fixed(stats.decodeTokensPerSecond)) t/s; "
    line += "threads: \(session.threads); peak RSS: \(fixed(Double(ProcessStats.peakResidentBytes()) / 1048576, 1)) MiB"
    if reason == .contextFull { line += "; stopped: context full" }
    Console.error(line + "\n")
    Console.error(pagingReport(session: session, stats: stats, baseline: baseline) + "; max_threads \(maxThreads)\n")
    if let spec = session.speculator { Console.error(speculativeReport(spec, stats.speculative, generated: stats.generatedTokens) + "\n") }
  }
}

/// The memory line of `run`: peak and baseline RSS (bytes), storage reads and
/// streaming. Bytes are exact integers so scripts can compare them.
func pagingReport(session: Session, stats: GenerationStats, baseline: Int) -> String {
  let tokens = max(1, stats.generatedTokens)
  var line = "memory: peak_rss_bytes \(ProcessStats.peakResidentBytes()), baseline_rss_bytes \(baseline)"
  if let plan = session.plan {
    line += ", ram_limit \(plan.cap), streaming \(plan.isStreaming ? "on" : "off")"
  }
  line += "; storage read \(fixed(Double(stats.storageReadBytes) / 1048576, 2)) MiB"
  line += " (\(stats.storageReadBytes / tokens) bytes per generated token)"
  line += "; streamed \(fixed(Double(stats.streamedBytes) / 1048576 / Double(tokens), 2)) MiB per generated token"
  line += "; stalled on weights \(fixed(Double(stats.weightStallNanoseconds) / 1e6, 1)) ms"
  return line
}

/// The speculative line of `run`: drafted, accepted, rate, tokens per
/// target pass.
func speculativeReport(_ speculator: Speculator, _ s: SpeculativeStats, generated: Int) -> String {
  var line = "speculative: mode \(speculator.mode.name), drafted \(s.drafted), accepted \(s.accepted)"
  line += " (\(fixed(100 * s.acceptanceRate, 1))%), target passes \(s.targetPasses)"
  let perPass = s.targetPasses == 0 ? 0 : Double(generated) / Double(s.targetPasses)
  line += ", \(fixed(perPass, 2)) tokens per pass; " + speculator.costSummary
  return line
}

enum TokenizeCommand {
  static func run(_ o: Options) throws(EdgeLMError) {
    let model = try loadModel(o)
    let text = try promptBytes(o)
    let tokens = model.tokenizer.tokenize(text, addSpecial: !o.noBOS, parseSpecial: true)
    var out = "["
    for (i, t) in tokens.enumerated() {
      if i > 0 { out += ", " }
      out += String(t)
    }
    Console.write(out + "]\n")
  }
}
