// edgelm quantize IN.gguf OUT.gguf TYPE [-t T] [--pure]: llama-quantize's
// job (types chosen by llama.cpp's rules, see Quant/QuantizePlan.swift).
// Progress goes to stderr: a bar on a terminal; otherwise only fallback
// warnings and the summary line.

import CEdgeSys
import EdgeLM

enum QuantizeCommand {
  static func run(_ o: Options) throws(EdgeLMError) {
    guard o.positional.count == 3 else {
      throw UsageError("quantize needs IN.gguf OUT.gguf TYPE (got \(o.positional.count) arguments)")
    }
    let input = o.positional[0], output = o.positional[1], typeName = o.positional[2]
    guard let target = QuantizeTarget.named(typeName) else {
      throw UsageError("unsupported quantization type '\(typeName)'; supported: \(QuantizeTarget.supportedNames)")
    }
    let terminal = isatty(2) != 0
    var lastDraw: UInt64 = 0
    var barShown = false
    let options = QuantizeOptions(threads: o.resolvedThreads, pure: o.pure)
    let summary: QuantizeSummary
    do throws(EdgeLMError) {
      summary = try ModelQuantizer.quantize(input: input, output: output, target: target, options: options) { p in
        guard terminal else { return }
        let now = Clock.nanoseconds()
        let last = p.tensorDone && p.tensorIndex == p.tensorCount - 1
        guard last || now - lastDraw > 100_000_000 else { return }
        lastDraw = now
        Console.error("\r\u{1B}[K" + bar(p))
        barShown = true
      }
    } catch {
      if barShown { Console.error("\n") }
      throw error
    }
    if barShown { Console.error("\n") }

    // Fallbacks, grouped: "81 tensors q4_K -> q5_0 (first: blk.0.attn_q.weight, rows of 640)".
    var fallbacks: [String: (count: Int, first: TensorQuantizePlan)] = [:]
    var fallbackOrder: [String] = []
    for p in summary.plan {
      guard let from = p.fallbackFrom else { continue }
      let key = "\(from.name) -> \(p.outputType.name)"
      if let e = fallbacks[key] {
        fallbacks[key] = (e.count + 1, e.first)
      } else {
        fallbacks[key] = (1, p)
        fallbackOrder.append(key)
      }
    }
    for key in fallbackOrder {
      let e = fallbacks[key]!
      let from = e.first.fallbackFrom!
      Console.error("warning: \(e.count) tensor\(e.count == 1 ? "" : "s") \(key): rows not a multiple of the \(from.name) block of \(from.blockSize) (first: \(e.first.name), rows of \(e.first.dims[0]))\n")
    }
    var byType: [String: Int] = [:]
    for p in summary.plan { byType[p.outputType.name, default: 0] += 1 }
    var types = ""
    for key in byType.keys.sorted() { types += " \(key) x\(byType[key]!)" }
    Console.error("quantize: tensor types:\(types)\n")
    var line = "quantize: \(input) (\(mib(summary.inputFileBytes))) -> \(output) (\(mib(summary.outputFileBytes))) as \(target.name)"
    line += o.pure ? " (pure)" : ""
    line += ": \(summary.tensorCount) tensors, \(summary.convertedCount) converted, "
    line += "\(summary.tensorCount - summary.convertedCount) copied"
    if summary.fallbackCount > 0 { line += ", \(summary.fallbackCount) fell back" }
    line += "; \(fixed(summary.seconds, 2)) s, \(options.threads) threads"
    Console.error(line + "\n")
  }

  /// "[#########.........]  45%  12/272 blk.3.ffn_up.weight q4_1 -> q8_0"
  static func bar(_ p: QuantizeProgress) -> String {
    let width = 30
    let fraction = p.totalInputBytes > 0 ? Double(p.inputBytesDone) / Double(p.totalInputBytes) : 1
    let filled = min(width, max(0, Int(fraction * Double(width))))
    var s = "["
    for i in 0..<width { s += i < filled ? "#" : "." }
    let percent = min(100, Int(fraction * 100))
    s += "] " + (percent < 10 ? "  " : percent < 100 ? " " : "") + "\(percent)% "
    s += "\(p.tensorIndex + 1)/\(p.tensorCount) \(p.tensor.name) \(p.tensor.inputType.name)"
    s += p.tensor.converts ? " -> \(p.tensor.outputType.name)" : " (copied)"
    return s
  }

  static func mib(_ bytes: Int) -> String { fixed(Double(bytes) / 1048576, 2) + " MiB" }
}
