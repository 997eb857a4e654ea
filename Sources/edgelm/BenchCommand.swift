// edgelm bench: prompt processing (pp) and text generation (tg) speed the
// way llama-bench measures them: a warm-up run, then R repetitions from an
// empty cache with random tokens; mean and standard deviation of tokens/s.

import CEdgeSys
import EdgeLM

enum BenchCommand {
  struct Result {
    let test: String
    let mean: Double
    let stddev: Double
    let samples: [Double]
  }

  static func run(_ o: Options) throws(EdgeLMError) {
    let model = try loadModel(o)
    let ctx = max(o.promptTokens + o.genTokens + 1, 16)
    var runtime = o.runtime
    // -c sets the context (it sizes the KV cache, so it matters under a
    // RAM cap); otherwise just enough for the test.
    if runtime.contextLength == 0 { runtime.contextLength = min(ctx, model.config.trainedContextLength) }
    let session = try Session.create(
      model: model, config: runtime, batchSize: max(1, min(o.batchSize, max(o.promptTokens, 1))))
    var rng = RandomGenerator(seed: 1234)
    let vocab = UInt64(model.config.vocabSize)
    func randomTokens(_ n: Int) -> [Int32] {
      (0..<n).map { _ in Int32(truncatingIfNeeded: rng.next() % vocab) }
    }
    var results: [Result] = []
    try session.checkModelFiles()
    if o.promptTokens > 0 {
      var samples: [Double] = []
      for rep in 0...o.repetitions {
        session.reset()
        let tokens = randomTokens(o.promptTokens)
        let t0 = Clock.nanoseconds()
        try session.evaluate(tokens, logits: .last)
        let dt = Double(Clock.nanoseconds() - t0) / 1e9
        if rep > 0 { samples.append(Double(o.promptTokens) / dt) }  // rep 0 warms up
      }
      results.append(summarize("pp\(o.promptTokens)", samples))
    }
    // Decode's storage reads and weight streaming, per generated token
    // (measured runs only).
    var readBytes = 0
    var stallNanoseconds: UInt64 = 0
    var streamedBytes = 0
    var decodeTokens = 0
    if o.genTokens > 0 {
      var samples: [Double] = []
      for rep in 0...o.repetitions {
        let read0 = ProcessStats.storageReadBytes()
        let paging0 = session.pagingStats
        defer {
          if rep > 0 {
            readBytes += max(0, ProcessStats.storageReadBytes() - read0)
            stallNanoseconds += session.pagingStats.stallNanoseconds - paging0.stallNanoseconds
            streamedBytes += session.pagingStats.mappedBytes - paging0.mappedBytes
            decodeTokens += o.genTokens
          }
        }
        session.reset()
        var token = model.tokenizer.addBOS ? (model.tokenizer.bosToken ?? 0) : randomTokens(1)[0]
        let t0 = Clock.nanoseconds()
        for _ in 0..<o.genTokens {
          try session.evaluate([token], logits: .last)
          token = randomTokens(1)[0]
        }
        let dt = Double(Clock.nanoseconds() - t0) / 1e9
        if rep > 0 { samples.append(Double(o.genTokens) / dt) }
      }
      results.append(summarize("tg\(o.genTokens)", samples))
    }
    try session.checkModelFiles()
    let peak = ProcessStats.peakResidentBytes()
    let perToken = max(1, decodeTokens)
    let paging = "\"ram_limit\": \(runtime.ramLimit), \"streaming\": \(session.plan?.isStreaming ?? false), "
      + "\"read_bytes_per_token\": \(readBytes / perToken), \"streamed_bytes_per_token\": \(streamedBytes / perToken), "
      + "\"stall_ms_per_token\": \(fixed(Double(stallNanoseconds) / 1e6 / Double(perToken), 4))"
    if o.json {
      var out = "["
      for (i, r) in results.enumerated() {
        if i > 0 { out += ", " }
        out += "{\"model\": \"\(jsonEscape(basename(model.path)))\", \"test\": \"\(r.test)\", \"n_threads\": \(session.threads), "
        out += "\"avg_ts\": \(fixed(r.mean, 3)), \"stddev_ts\": \(fixed(r.stddev, 3)), \"samples_ts\": ["
        out += r.samples.map { fixed($0, 3) }.joined(separator: ", ")
        out += "], \"peak_rss_bytes\": \(peak), " + paging + "}"
      }
      Console.write(out + "]\n")
      return
    }
    let size = fixed(Double(model.weightBytes) / 1048576, 2)
    Console.write("| model | size | threads | test | t/s |\n| --- | ---: | ---: | ---: | ---: |\n")
    for r in results {
      Console.write("| \(basename(model.path)) | \(size) MiB | \(session.threads) | \(r.test) | \(fixed(r.mean)) ± \(fixed(r.stddev)) |\n")
    }
    Console.error("peak RSS: \(fixed(Double(peak) / 1048576, 1)) MiB; decode per token: storage read \(readBytes / perToken) bytes, streamed \(fixed(Double(streamedBytes) / 1048576 / Double(perToken), 2)) MiB, stalled \(fixed(Double(stallNanoseconds) / 1e6 / Double(perToken), 3)) ms\n")
  }

  static func summarize(_ test: String, _ samples: [Double]) -> Result {
    let n = Double(samples.count)
    let mean = samples.reduce(0, +) / n
    var variance: Double = 0
    for s in samples { variance += (s - mean) * (s - mean) }
    let stddev = samples.count > 1 ? (variance / (n - 1)).squareRoot() : 0
    return Result(test: test, mean: mean, stddev: stddev, samples: samples)
  }
}

func basename(_ path: String) -> String {
  var last = ""
  for part in path.split(separator: "/") { last = String(part) }
  return last
}

func jsonEscape(_ s: String) -> String {
  var out = ""
  for c in s.unicodeScalars {
    switch c {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    default:
      // Other C0 controls, DEL and C1 controls (U+009B is a terminal's CSI)
      // never reach the output: model files are untrusted.
      if c.value < 0x20 || (0x7F...0x9F).contains(c.value) { out += "?" } else { out.unicodeScalars.append(c) }
    }
  }
  return out
}
