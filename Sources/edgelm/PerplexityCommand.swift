// edgelm perplexity: llama.cpp's method (see Runtime/Perplexity.swift), so
// the numbers compare. Progress goes to stderr; the last stdout line is
// "perplexity: X".

import EdgeLM

enum PerplexityCommand {
  static func run(_ o: Options) throws(EdgeLMError) {
    let model = try loadModel(o)
    guard let file = o.file else { throw EdgeLMError(.invalidArgument, "perplexity needs a text file: -f FILE") }
    let text = try FileIO.readAll(path: file)
    let ctx = o.runtime.contextLength == 0 ? 512 : o.runtime.contextLength
    let addBOS = model.tokenizer.addBOS && !o.noBOS
    let tokens = model.tokenizer.tokenize(text, addSpecial: addBOS, parseSpecial: false)
    var runtime = o.runtime
    runtime.contextLength = ctx
    let session = try Session.create(model: model, config: runtime, batchSize: min(o.batchSize, ctx))
    Console.error("perplexity: \(tokens.count) tokens in chunks of \(ctx), \(session.threads) threads\n")
    let t0 = Clock.nanoseconds()
    try session.checkModelFiles()
    let result = try Perplexity.compute(tokens: tokens, session: session, addBOS: addBOS) { r in
      Console.error("[\(r.chunks)]\(fixed(r.perplexity, 4)) ")
    }
    try session.checkModelFiles()
    let seconds = Double(Clock.nanoseconds() - t0) / 1e9
    Console.error("\n\(fixed(Double(result.chunks * ctx) / seconds, 1)) tokens/s\n")
    Console.write("perplexity: \(fixed(result.perplexity, 4))\n")
  }
}
