// Command dispatch and error reporting: errors go to stderr as "error: ..."
// with a non-zero exit status, never a signal.

import EdgeLM

enum CLI {
  static let usage = """
    usage: edgelm COMMAND [options]

    commands:
      run        -m MODEL -p PROMPT [-n N] [-c CTX] [-t T] [--temp X] [--seed S]
                 [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R] [--no-bos]
                 [--ram-limit SIZE] [--paging auto|off|always] [--prefetch N] [--no-mmap] [--config FILE]
                 [--spec off|draft|ngram|self] [--draft MODEL] [--draft-max N] [--draft-p-min P]
                 [--draft-vocab N]
                 [--ngram-min N] [--ngram-max N] [--skip-layers 8,10,...]   speculative decoding
      run --chat -m MODEL [-p FIRST] [--system TEXT] [--chat-template NAME] [-n N] ...
                 chat: each stdin line is a user turn, each reply a stdout line; EOF ends
      tokenize   -m MODEL -p TEXT [--no-bos]        JSON array of ids on stdout
      perplexity -m MODEL -f FILE [-c CTX] [-t T] [-b B] [--no-mmap]
      bench      -m MODEL [-t T] [-p 128] [-n 64] [-r 5] [--json] [--ram-limit SIZE] [--paging P] [--no-mmap]
      info       -m MODEL [-c CTX] [-t T] [--ram-limit SIZE] [--paging P] [--no-mmap]   (prints the memory plan)

    --no-mmap (config "load": "read") reads the model into memory instead of
    mapping it, so that the file may change while it runs (nothing is streamed).
      quantize   IN.gguf OUT.gguf TYPE [-t T] [--pure]
                 TYPE: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 F16 BF16 F32 Q2_K Q3_K_S Q3_K_M Q3_K_L
                 Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K (any case; Q3_K/Q4_K/Q5_K = the _M mix)

    """

  /// Runs the command line of this process.
  static func main() -> Int32 {
    do throws(EdgeLMError) {
      return main(try ProcessArguments.current())
    } catch {
      Console.error("error: cannot read the command line: \(error.message)\n")
      return 1
    }
  }

  /// Runs `argv`; the exit status. A command that ran out of memory fails
  /// (the library finished it on its reserve: see Memory), even if its
  /// output was complete.
  static func main(_ argv: [String]) -> Int32 {
    guard argv.count >= 2 else {
      Console.error(usage)
      return 2
    }
    let command = argv[1]
    if command == "-h" || command == "--help" || command == "help" {
      Console.write(usage)
      return 0
    }
    do throws(EdgeLMError) {
      let options = try Options(argv[2...], command: command)
      switch command {
      case "run": try RunCommand.run(options)
      case "tokenize": try TokenizeCommand.run(options)
      case "perplexity": try PerplexityCommand.run(options)
      case "bench": try BenchCommand.run(options)
      case "info": try InfoCommand.run(options)
      case "quantize": try QuantizeCommand.run(options)
      default:
        Console.error("error: unknown command '\(command)'\n" + usage)
        return 2
      }
      try Memory.check("running '\(command)'")
      return 0
    } catch {
      Console.error("error: \(terminalSafe(error.message))\n")
      return error.status == .invalidArgument ? 2 : 1
    }
  }
}

/// `s` with the control characters a terminal acts on (C0 but newline and
/// tab, DEL, C1) replaced by "?": messages quote model files, which are
/// untrusted (a metadata key holding ESC [ ... would drive the terminal).
func terminalSafe(_ s: String) -> String {
  var out = ""
  for c in s.unicodeScalars {
    let control = (c.value < 0x20 && c != "\n" && c != "\t") || (0x7F...0x9F).contains(c.value)
    if control { out += "?" } else { out.unicodeScalars.append(c) }
  }
  return out
}

func loadModel(_ options: Options) throws(EdgeLMError) -> Model {
  guard let path = options.model else { throw EdgeLMError(.invalidArgument, "a model is required: -m MODEL.gguf") }
  return try Model.load(path: path, config: options.runtime)
}

/// Reads -p TEXT or -f FILE as bytes.
func promptBytes(_ options: Options) throws(EdgeLMError) -> [UInt8] {
  if let p = options.prompt { return Array(p.utf8) }
  if let f = options.file { return try FileIO.readAll(path: f) }
  throw EdgeLMError(.invalidArgument, "a prompt is required: -p TEXT or -f FILE")
}

func fixed(_ value: Double, _ digits: Int = 2) -> String { Format.fixed(value, digits) }
