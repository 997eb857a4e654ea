import Foundation
import Testing
@testable import EdgeLM

/// `edgelm quantize` (ModelQuantizer + QuantizePlanner + GGUFStreamWriter):
/// blocks against independent quantizers (quantize_tool.json, from gguf-py
/// and llama.cpp), every tensor of a synthetic llama against
/// quantizeReference of its dequantized input, llama.cpp's type mixture on
/// the real Gemma Q4_K_M, llama.cpp's greedy tokens on our quantized SmolLM2,
/// and the error paths.
@Suite struct QuantizeToolTests {
  static func temporaryPath(_ name: String) -> String {
    NSTemporaryDirectory() + "edgelm-quantize-\(getpid())-\(name)"
  }

  /// The output's tensor `name` as bytes.
  static func tensorBytes(_ file: GGUFFile, _ name: String) -> [UInt8] {
    Array(file.tensorBytes(file.tensor(named: name)!))
  }

  /// The encoded payload of a metadata value (GGUFValue is not Equatable).
  static func encoded(_ v: GGUFValue) -> [UInt8] {
    var sink = GGUFByteSink()
    sink.u32(v.type.rawValue)
    sink.payload(v)
    return sink.bytes
  }

  // MARK: - Blocks against gguf-py and llama.cpp

  struct Fixture {
    let rows: Int, cols: Int
    let input: [Float]
    let blocks: [String: [UInt8]]
    let load: [String: Any]

    static let shared: Fixture = {
      let json = try! JSONSerialization.jsonObject(with: try! TestPaths.fixture("quantize_tool.json")) as! [String: Any]
      let raw = Data(base64Encoded: json["input"] as! String)!
      let input = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
      var blocks: [String: [UInt8]] = [:]
      for (k, v) in json["blocks"] as! [String: Any] {
        blocks[k] = Array(Data(base64Encoded: (v as! [String: Any])["bytes"] as! String)!)
      }
      return Fixture(
        rows: json["rows"] as! Int, cols: json["cols"] as! Int, input: input, blocks: blocks,
        load: json["llama_cpp_load"] as! [String: Any])
    }()
  }

  /// The target that writes `type` for every weight with --pure.
  static func pureTarget(_ type: GGMLType) -> QuantizeTarget {
    QuantizeTarget.all.first { $0.defaultType == type }!
  }

  static let fixtureTypes: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .f16, .bf16, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

  @Test(arguments: fixtureTypes) func blocksEqualIndependentQuantizers(_ type: GGMLType) throws {
    let f = Fixture.shared
    var w = GGUFWriter()
    w.add("general.architecture", .string("llama"))
    let floats = f.input.withUnsafeBytes { Array($0) }
    try w.addTensor(name: "blk.0.ffn_up.weight", type: .f32, dims: [f.cols, f.rows], data: floats)
    try w.addTensor(name: "blk.0.ffn_norm.weight", type: .f32, dims: [f.cols], data: Array(floats[0..<(4 * f.cols)]))
    let input = Self.temporaryPath("fixture-in-\(type.name).gguf")
    let output = Self.temporaryPath("fixture-out-\(type.name).gguf")
    try w.write(to: input)
    defer { try? FileManager.default.removeItem(atPath: input); try? FileManager.default.removeItem(atPath: output) }

    let summary = try ModelQuantizer.quantize(
      input: input, output: output, target: Self.pureTarget(type), options: QuantizeOptions(threads: 2, pure: true))
    #expect(summary.convertedCount == 1)
    let out = try GGUFFile.open(path: output)
    #expect(out.tensor(named: "blk.0.ffn_up.weight")?.type == type)
    #expect(Self.tensorBytes(out, "blk.0.ffn_up.weight") == f.blocks[type.name]!, "\(type.name) blocks differ from the fixture")
    #expect(out.tensor(named: "blk.0.ffn_norm.weight")?.type == .f32)
    #expect(Self.tensorBytes(out, "blk.0.ffn_norm.weight") == Array(floats[0..<(4 * f.cols)]))
  }

  // MARK: - A synthetic llama, every target

  static let targets = ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "F16", "BF16", "F32", "Q2_K", "Q3_K_M", "Q4_K_M", "Q4_K_S", "Q5_K_M", "Q6_K"]

  @Test(arguments: targets, [false, true]) func syntheticModelQuantizes(_ targetName: String, _ tied: Bool) throws {
    let (input, _) = try SyntheticModelTests.makeModel(.f32, tied: tied)
    let output = Self.temporaryPath("synthetic-\(targetName)-\(tied).gguf")
    defer { try? FileManager.default.removeItem(atPath: input); try? FileManager.default.removeItem(atPath: output) }
    let target = try #require(QuantizeTarget.named(targetName))
    let summary = try ModelQuantizer.quantize(input: input, output: output, target: target, options: QuantizeOptions(threads: 2))
    #expect(!FileManager.default.fileExists(atPath: output + ".tmp"))

    let src = try GGUFFile.open(path: input)
    let out = try GGUFFile.open(path: output)
    #expect(summary.outputFileBytes == out.fileSize)
    // Metadata: every input key with its value, plus the two updated keys.
    for e in src.metadata {
      let v = try #require(out.value(e.key), "metadata \(e.key) lost")
      #expect(Self.encoded(v) == Self.encoded(e.value), "metadata \(e.key) changed")
    }
    #expect(try out.integer("general.file_type") == Int(target.fileType))
    #expect(try out.integer("general.quantization_version") == 2)
    #expect(out.tensors.map(\.name) == src.tensors.map(\.name))

    let plan = try QuantizePlanner.plan(src, target: target)
    for (t, p) in zip(src.tensors, plan) {
      let o = try #require(out.tensor(named: t.name))
      #expect(o.dims == t.dims)
      #expect(o.type == p.outputType, "\(t.name)")
      if t.dims.count == 1 {
        // Norms are copied unchanged (F32).
        #expect(o.type == .f32 && Self.tensorBytes(out, t.name) == Self.tensorBytes(src, t.name), "\(t.name)")
        continue
      }
      // Blocks == quantizeReference(dequantize(input)), row by row.
      let n = t.dims[0], rows = t.rowCount
      var floats = [Float](repeating: 0, count: n * rows)
      floats.withUnsafeMutableBufferPointer { QuantKernels.dequantize(t.type, src.tensorData(t), $0.baseAddress!, count: n * rows) }
      var want = [UInt8](repeating: 0, count: o.byteCount)
      want.withUnsafeMutableBytes { raw in
        floats.withUnsafeBufferPointer { QuantKernels.quantizeReference(o.type, $0.baseAddress!, raw.baseAddress!, count: n * rows) }
      }
      #expect(Self.tensorBytes(out, t.name) == want, "\(t.name) as \(o.type.name)")
    }
    // llama.cpp's choices on this shape (rows of 64 and 128 elements).
    let output_ = tied ? "token_embd.weight" : "output.weight"
    let expectedOutput: GGMLType = target.defaultType.isBlockQuantized ? .q8_0 : target.defaultType
    #expect(out.tensor(named: output_)?.type == expectedOutput)

    // The model loads and runs.
    let model = try Model(path: output)
    let session = try Session.create(model: model, options: SessionOptions(contextLength: 32, threads: 2))
    let logits = try session.evaluate([1, 5, 9, 200], logits: .last)
    let vocab = model.config.vocabSize
    #expect((0..<vocab).allSatisfy { logits[$0].isFinite })
  }

  @Test func pureKeepsEveryWeightAtTheTargetType() throws {
    let (input, _) = try SyntheticModelTests.makeModel(.f32, tied: true)
    let output = Self.temporaryPath("pure.gguf")
    defer { try? FileManager.default.removeItem(atPath: input); try? FileManager.default.removeItem(atPath: output) }
    _ = try ModelQuantizer.quantize(
      input: input, output: output, target: QuantizeTarget.named("q4_0")!, options: QuantizeOptions(pure: true))
    let out = try GGUFFile.open(path: output)
    for t in out.tensors { #expect(t.type == (t.dims.count == 1 ? .f32 : .q4_0), "\(t.name)") }
  }

  // MARK: - llama.cpp's mixture and llama.cpp's tokens on real models

  /// Our Q4_K_M plan for Gemma 3 270M equals the types in the real Q4_K_M
  /// file llama-quantize made (with its q5_0/q8_0 fallbacks on rows of 640).
  @Test func gemmaQ4KMPlanMatchesLlamaQuantize() throws {
    let file = try GGUFFile.open(path: try TestPaths.model(TestPaths.gemma3Name))
    let plan = try QuantizePlanner.plan(file, target: QuantizeTarget.named("Q4_K_M")!)
    for (t, p) in zip(file.tensors, plan) { #expect(p.outputType == t.type, "\(t.name)") }
    #expect(try file.integer("general.file_type") == 15)
    #expect(plan.filter { $0.fallbackFrom != nil }.count == 90)
  }

  /// llama.cpp loads the Q8_0 / F16 / Q4_K_M files `edgelm quantize` makes
  /// from SmolLM2 (make_quantize_fixtures.py) and greedy-decodes 8 tokens;
  /// EdgeLM decodes the same tokens from the same files.
  @Test(arguments: ["Q8_0", "Q4_K_M"]) func smolLM2QuantizedMatchesLlamaCpp(_ targetName: String) throws {
    let files = try #require(Fixture.shared.load["files"] as? [String: Any])
    let c = try #require(files[targetName] as? [String: Any])
    let input = try TestPaths.model(TestPaths.smollm2Name)
    let output = Self.temporaryPath("smollm2-\(targetName).gguf")
    defer { try? FileManager.default.removeItem(atPath: output) }
    let summary = try ModelQuantizer.quantize(
      input: input, output: output, target: QuantizeTarget.named(targetName)!, options: QuantizeOptions(threads: 2))
    #expect(summary.outputFileBytes == c["size"] as! Int, "file size differs from the one llama.cpp loaded")
    let model = try Model(path: output)
    let session = try Session.create(model: model, options: SessionOptions(contextLength: 128, threads: 2))
    var sampler = Sampler(.greedy)
    var tokens: [Int32] = []
    let prompt = (c["prompt_tokens"] as! [Int]).map { Int32($0) }
    _ = try session.generate(prompt: prompt, maxTokens: 8, sampler: &sampler) { _, t in
      if t >= 0 { tokens.append(t) }
      return true
    }
    #expect(tokens == (c["greedy_ids"] as! [Int]).map { Int32($0) })
  }

  // MARK: - Targets and errors

  @Test func targetNames() {
    #expect(QuantizeTarget.named("q4_k_m")?.fileType == 15)
    #expect(QuantizeTarget.named("Q4_K")?.name == "Q4_K_M")
    #expect(QuantizeTarget.named("q8_0")?.defaultType == .q8_0)
    #expect(QuantizeTarget.named("f32")?.fileType == 0)
    #expect(QuantizeTarget.named("bf16")?.fileType == 32)
    #expect(QuantizeTarget.named("q4_2") == nil)
    #expect(QuantizeTarget.named("iq4_nl") == nil)
    #expect(QuantizeTarget.supportedNames.contains("Q4_K_M"))
  }

  @Test func outputEqualToInputIsRefused() throws {
    let (input, _) = try SyntheticModelTests.makeModel(.f32, tied: true)
    defer { try? FileManager.default.removeItem(atPath: input) }
    let before = try Data(contentsOf: URL(fileURLWithPath: input))
    #expect(throws: EdgeLMError.self) {
      _ = try ModelQuantizer.quantize(input: input, output: input, target: QuantizeTarget.named("q8_0")!)
    }
    // The same file under another name.
    let alias = (input as NSString).deletingLastPathComponent + "/./" + (input as NSString).lastPathComponent
    do {
      _ = try ModelQuantizer.quantize(input: input, output: alias, target: QuantizeTarget.named("q8_0")!)
      Issue.record("expected an error")
    } catch {
      let e = error
      #expect(e.status == .invalidArgument)
      #expect(e.message.contains("is the input"))
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before)
  }

  @Test func missingInputNamesThePath() throws {
    let output = Self.temporaryPath("never.gguf")
    do {
      _ = try ModelQuantizer.quantize(input: "/nonexistent/model.gguf", output: output, target: QuantizeTarget.named("q8_0")!)
      Issue.record("expected an error")
    } catch {
      let e = error
      #expect(e.status == .io)
      #expect(e.message.contains("/nonexistent/model.gguf"))
    }
    #expect(!FileManager.default.fileExists(atPath: output))
    #expect(!FileManager.default.fileExists(atPath: output + ".tmp"))
  }

  @Test func unwritableOutputNamesThePath() throws {
    let (input, _) = try SyntheticModelTests.makeModel(.f32, tied: true)
    defer { try? FileManager.default.removeItem(atPath: input) }
    do {
      _ = try ModelQuantizer.quantize(input: input, output: "/nonexistent-dir/out.gguf", target: QuantizeTarget.named("q8_0")!)
      Issue.record("expected an error")
    } catch {
      let e = error
      #expect(e.status == .io)
      #expect(e.message.contains("/nonexistent-dir/out.gguf.tmp"))
    }
  }

  /// A weight matrix of a type without a dequantizer (i32) is named; no
  /// output file (or temporary) is left behind.
  @Test func unconvertibleTensorIsNamed() throws {
    var w = GGUFWriter()
    w.add("general.architecture", .string("llama"))
    try w.addTensor(name: "blk.0.ffn_up.weight", type: .f32, dims: [32, 2], data: [UInt8](repeating: 0, count: 256))
    try w.addTensor(name: "blk.0.odd.weight", type: .i32, dims: [32, 2], data: [UInt8](repeating: 0, count: 256))
    let input = Self.temporaryPath("i32.gguf"), output = Self.temporaryPath("i32-out.gguf")
    try w.write(to: input)
    defer { try? FileManager.default.removeItem(atPath: input) }
    do {
      _ = try ModelQuantizer.quantize(input: input, output: output, target: QuantizeTarget.named("q8_0")!)
      Issue.record("expected an error")
    } catch {
      let e = error
      #expect(e.status == .unsupported)
      #expect(e.message.contains("blk.0.odd.weight") && e.message.contains("i32"))
    }
    #expect(!FileManager.default.fileExists(atPath: output))
    #expect(!FileManager.default.fileExists(atPath: output + ".tmp"))
  }

  // MARK: - Streaming writer

  @Test func streamedFileEqualsSerialized() throws {
    var w = GGUFWriter(alignment: 64)
    w.add("general.architecture", .string("llama"))
    w.add("x", .uint32(7))
    let a = (0..<(3 * 34)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    let b = (0..<40).map { UInt8(truncatingIfNeeded: $0 &+ 100) }
    try w.addTensor(name: "a", type: .q8_0, dims: [32, 3], data: a)
    try w.addTensor(name: "b", type: .f32, dims: [10], data: b)
    let path = Self.temporaryPath("stream.gguf")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let s = try GGUFStreamWriter.create(path: path, layout: w)
    try s.append(Array(a[0..<50]))
    try s.append(Array(a[50...]))
    #expect(throws: EdgeLMError.self) { try s.append([UInt8](repeating: 0, count: 41)) }
    #expect(throws: EdgeLMError.self) { try s.finish() }
    try s.append(b)
    try s.finish()
    #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == w.serialize())
  }
}
