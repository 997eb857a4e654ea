// edgelm run: generate text from a prompt. Only the text goes to stdout;
// timing goes to stderr.

import EdgeLM

enum RunCommand {
  static func run(_ o: Options) throws(EdgeLMError) {
    if o.chat { return try ChatCommand.run(o) }
    let model = try loadModel(o)
    let text = try promptBytes(o)
    let session = try Session.create(model: model, options: o.sessionOptions)
    let tokens = try session.promptTokens(text, addSpecial: !o.noBOS)
    var sampler = Sampler(o.runtime.sampling)
    let (stats, reason) = try session.generate(prompt: tokens, maxTokens: o.nPredict, sampler: &sampler) { piece, _ in
      Console.write(piece)
      return true
    }
    Console.write("\n")
    var line = "prompt: \(stats.promptTokens) tokens, \(fixed(stats.promptTokensPerSecond)) t/s; "
    line += "generated: \(stats.generatedTokens) tokens, \(fixed(stats.decodeTokensPerSecond)) t/s; "
    line += "threads: \(session.threads); peak RSS: \(fixed(Double(ProcessStats.peakResidentBytes()) / 1048576, 1)) MiB"
    if reason == .contextFull { line += "; stopped: context full" }
    Console.error(line + "\n")
  }
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
