// Command-line option parsing: llama.cpp-style flags, every value checked.

import EdgeLM

/// A command-line mistake: reported like any `.invalidArgument` error.
func UsageError(_ message: String) -> EdgeLMError { EdgeLMError(.invalidArgument, message) }

struct Options {
  var model: String? = nil
  var prompt: String? = nil
  var file: String? = nil
  var nPredict = 128
  var batchSize = 128
  /// The runtime settings: --config FILE first, then the flags on top.
  var runtime = RuntimeConfig()
  var noBOS = false
  var json = false
  var promptTokens = 128
  var genTokens = 64
  var repetitions = 5
  /// `run --chat`: a multi-turn conversation read from stdin.
  var chat = false
  /// `--system TEXT`: the chat's system message.
  var system: String? = nil
  /// `--chat-template NAME`: overrides the model's own chat template.
  var chatTemplate: String? = nil
  /// `quantize IN OUT TYPE`: the positional arguments.
  var positional: [String] = []
  /// `quantize --pure`: every converted tensor gets the target's type.
  var pure = false

  init(_ args: ArraySlice<String>, command: String) throws(EdgeLMError) {
    var i = args.startIndex
    var draftGiven = false
    func value(_ flag: String) throws(EdgeLMError) -> String {
      let next = i + 1
      guard next < args.endIndex else { throw UsageError("option \(flag) needs a value") }
      i = next
      return args[next]
    }
    // The config file is the base wherever --config appears; flags win.
    var j = args.startIndex
    while j < args.endIndex {
      if args[j] == "--config" && j + 1 < args.endIndex {
        runtime = try RuntimeConfig.load(path: args[j + 1])
      }
      j += 1
    }
    while i < args.endIndex {
      let a = args[i]
      switch a {
      case "-m", "--model": model = try value(a)
      case "-p", "--prompt":
        // `bench -p 128` is a token count, as in llama-bench.
        if command == "bench" { promptTokens = try Options.int(try value(a), a, 0...65536) } else { prompt = try value(a) }
      case "-f", "--file": file = try value(a)
      case "--config": _ = try value(a)  // loaded before the flags, above
      case "-n", "--n-predict", "--n-gen":
        let v = try value(a)
        if command == "bench" { genTokens = try Options.int(v, a, 0...65536) } else { nPredict = try Options.int(v, a, 0...1_000_000) }
      case "--n-prompt": promptTokens = try Options.int(try value(a), a, 0...65536)
      case "-c", "--ctx-size": runtime.contextLength = try Options.int(try value(a), a, 0...RuntimeConfig.maxContextLength)
      case "-t", "--threads": runtime.threads = try Options.int(try value(a), a, 1...RuntimeConfig.maxThreads)
      case "-b", "--batch-size": batchSize = try Options.int(try value(a), a, 1...4096)
      case "-r", "--repetitions": repetitions = try Options.int(try value(a), a, 1...1000)
      case "--temp": runtime.sampling.temperature = try Options.float(try value(a), a, 0...100)
      case "--seed": runtime.sampling.seed = UInt64(try Options.int(try value(a), a, 0...Int.max))
      case "--top-k": runtime.sampling.topK = try Options.int(try value(a), a, 0...1_000_000)
      case "--top-p": runtime.sampling.topP = try Options.float(try value(a), a, 0...1)
      case "--min-p": runtime.sampling.minP = try Options.float(try value(a), a, 0...1)
      case "--repeat-penalty": runtime.sampling.repeatPenalty = try Options.float(try value(a), a, 0.01...100)
      case "--repeat-last-n": runtime.sampling.repeatLastN = try Options.int(try value(a), a, 0...1_000_000)
      case "--ram-limit":
        let text = try value(a)
        guard let bytes = RuntimeConfig.parseByteSize(Array(text.utf8)) else {
          throw UsageError("option --ram-limit: '\(text)' is not a size (bytes, or a number with KiB/MiB/GiB or KB/MB/GB)")
        }
        runtime.ramLimit = bytes
      case "--chat": chat = true
      case "--system": system = try value(a)
      case "--chat-template": chatTemplate = try value(a)
      case "--paging":
        let text = try value(a)
        guard let mode = PagingMode(name: Array(text.utf8)) else {
          throw UsageError("option --paging: '\(text)' is not one of auto, off, always")
        }
        runtime.paging = mode
      case "--no-mmap": runtime.load = .read  // llama.cpp's spelling
      case "--prefetch": runtime.prefetchDepth = try Options.int(try value(a), a, 0...RuntimeConfig.maxPrefetchDepth)
      case "--spec":
        let text = try value(a)
        guard let mode = SpeculativeMode(name: Array(text.utf8)) else {
          throw UsageError("option --spec: '\(text)' is not one of off, draft, ngram, self")
        }
        runtime.speculative.mode = mode
      case "--draft":
        runtime.speculative.draftModel = try value(a)
        draftGiven = true
      case "--draft-max": runtime.speculative.maxDraft = try Options.int(try value(a), a, 1...64)
      case "--draft-vocab": runtime.speculative.draftVocabulary = try Options.int(try value(a), a, 0...16_777_216)
      case "--draft-p-min": runtime.speculative.minDraftProbability = try Options.float(try value(a), a, 0...1)
      case "--ngram-min": runtime.speculative.ngramMin = try Options.int(try value(a), a, 1...16)
      case "--ngram-max": runtime.speculative.ngramMax = try Options.int(try value(a), a, 1...16)
      case "--skip-layers": runtime.speculative.skipLayers = try Options.intList(try value(a), a, 0...1023)
      case "--no-bos": noBOS = true
      case "--json": json = true
      case "--pure" where command == "quantize": pure = true
      default:
        if command == "quantize" && (!a.hasPrefix("-") || a == "-") {
          positional.append(a)
          break
        }
        if a.hasPrefix("-") { throw UsageError("unknown option '\(a)' for '\(command)'") }
        throw UsageError("unexpected argument '\(a)' for '\(command)'")
      }
      i += 1
    }
    // `--draft MODEL` alone means `--spec draft`; a draft model with another
    // mode is a mistake, as in the config.
    if draftGiven && runtime.speculative.mode == .off { runtime.speculative.mode = .draft }
    if runtime.speculative.mode == .draft && runtime.speculative.draftModel == nil {
      throw UsageError("--spec draft needs --draft MODEL")
    }
    if runtime.speculative.mode != .draft && draftGiven {
      throw UsageError("--draft MODEL is for --spec draft, not --spec \(runtime.speculative.mode.name)")
    }
    if runtime.speculative.mode != .draft && runtime.speculative.draftVocabulary > 0 {
      throw UsageError("--draft-vocab is for --spec draft, not --spec \(runtime.speculative.mode.name)")
    }
    if runtime.speculative.ngramMin > runtime.speculative.ngramMax {
      throw UsageError("--ngram-min \(runtime.speculative.ngramMin) is larger than --ngram-max \(runtime.speculative.ngramMax)")
    }
    if chat && command != "run" { throw UsageError("option --chat is for 'run', not '\(command)'") }
    if !chat && (system != nil || chatTemplate != nil) {
      throw UsageError("options --system and --chat-template need --chat")
    }
  }

  func requireModel() throws(EdgeLMError) -> String {
    guard let model else { throw UsageError("a model is required: -m MODEL.gguf") }
    return model
  }

  var resolvedThreads: Int { runtime.resolvedThreads(onlineCPUs: Environment.cpuCount) }

  static func int(_ text: String, _ flag: String, _ range: ClosedRange<Int>) throws(EdgeLMError) -> Int {
    var value = 0
    var any = false
    for c in text.utf8 {
      guard c >= 48 && c <= 57 else { throw UsageError("option \(flag): '\(text)' is not a whole number") }
      let (m, o1) = value.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.addingReportingOverflow(Int(c - 48))
      if o1 || o2 { throw UsageError("option \(flag): '\(text)' is too large") }
      value = s
      any = true
    }
    guard any else { throw UsageError("option \(flag): '\(text)' is not a whole number") }
    guard range.contains(value) else {
      throw UsageError("option \(flag): \(value) is out of range \(range.lowerBound)...\(range.upperBound)")
    }
    return value
  }

  /// Parses a comma-separated list of whole numbers ("3,5,7").
  static func intList(_ text: String, _ flag: String, _ range: ClosedRange<Int>) throws(EdgeLMError) -> [Int] {
    var list: [Int] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let value = try int(String(part), flag, range)
      guard !list.contains(value) else { throw UsageError("option \(flag): \(value) is listed twice") }
      list.append(value)
    }
    return list
  }

  /// Parses a plain decimal number ("0.7", "1", "1e-3" is not accepted).
  static func float(_ text: String, _ flag: String, _ range: ClosedRange<Float>) throws(EdgeLMError) -> Float {
    var whole: Double = 0
    var fraction: Double = 0
    var scale: Double = 1
    var seenDot = false
    var digits = 0
    for c in text.utf8 {
      if c == 46 && !seenDot { seenDot = true; continue }
      guard c >= 48 && c <= 57 else { throw UsageError("option \(flag): '\(text)' is not a number") }
      digits += 1
      if seenDot {
        scale /= 10
        fraction += Double(c - 48) * scale
      } else {
        whole = whole * 10 + Double(c - 48)
      }
    }
    guard digits > 0 else { throw UsageError("option \(flag): '\(text)' is not a number") }
    let value = Float(whole + fraction)
    guard range.contains(value) else {
      throw UsageError("option \(flag): \(text) is out of range \(range.lowerBound)...\(range.upperBound)")
    }
    return value
  }
}
