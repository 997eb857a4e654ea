import Foundation
import Testing
@testable import EdgeLM

/// Each architecture family on a tiny synthetic model against llama.cpp:
/// Tests/Fixtures/make_family_fixtures.py wrote each GGUF from a recipe
/// (metadata, tensor shapes, seeded 12-bit values exact in Float32), ran
/// llama.cpp on it and stored the recipe with llama.cpp's last-position
/// logits and greedy continuations in model_families.json. This suite
/// replays the recipe with EdgeLM's own writer and quantizer, checks every
/// tensor's bytes hash to what gguf-py wrote, then compares.
@Suite struct ModelFamilyTests {
  // MARK: - Fixture

  struct Fixture: Decodable {
    let merges: [String]
    let models: [ModelCase]
  }

  struct ModelCase: Decodable, CustomStringConvertible {
    let family: String
    let type: String
    let context: Int
    let metadata: [[MetaValue]]
    let tensors: [TensorRecipe]
    let sequences: [Sequence]
    var description: String { "\(family) \(type) n_ctx=\(context)" }
  }

  /// An element of a metadata entry [key, kind, value] or of a tensor
  /// spec: a string, a number, or something else (a flag, a value list).
  enum MetaValue: Decodable {
    case text(String)
    case number(Double)
    case other
    init(from decoder: Decoder) throws {
      let c = try decoder.singleValueContainer()
      if let s = try? c.decode(String.self) {
        self = .text(s)
      } else if let d = try? c.decode(Double.self) {
        self = .number(d)
      } else {
        self = .other
      }
    }
    var text: String { if case .text(let s) = self { return s }; return "" }
    var number: Double { if case .number(let d) = self { return d }; return .nan }
  }

  struct TensorRecipe: Decodable {
    let name: String
    let dims: [Int]
    let type: String
    /// ["uniform", e, offset, quantizable] or ["values", [floats]].
    let spec: [MetaValue]
    let fnv1a64: String
  }

  struct Sequence: Decodable {
    let tokens: [Int32]
    let logits: [Float]
    let greedy: [Int32]
    let gaps: [Float]
    let variant_max_logit_diff: Float
  }

  /// The raw JSON again for the "values" specs (a nested array MetaValue
  /// does not carry).
  static let fixture: (Fixture, [String: [Float]]) = {
    let data = try! TestPaths.fixture("model_families.json")
    let decoded = try! JSONDecoder().decode(Fixture.self, from: data)
    var values: [String: [Float]] = [:]
    let raw = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    for m in raw["models"] as! [[String: Any]] {
      for t in m["tensors"] as! [[String: Any]] {
        let spec = t["spec"] as! [Any]
        if spec[0] as! String == "values" {
          values["\(m["family"]!)/\(t["name"]!)"] = (spec[1] as! [Double]).map { Float($0) }
        }
      }
    }
    return (decoded, values)
  }()

  // MARK: - Rebuilding the GGUF

  static func fnv1a64<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return h
  }

  /// k in -2048...2047 for element i of the stream `seed` (splitmix64's top 12 bits).
  static func uniformInt(seed: UInt64, index i: Int) -> Int {
    var z = seed &+ UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z = z ^ (z >> 31)
    return Int(z >> 52) - 2048
  }

  /// Writes the model of `m` to a unique temporary path.
  static func build(_ m: ModelCase, merges: [String], values: [String: [Float]]) throws -> String {
    var w = GGUFWriter()
    for entry in m.metadata {
      let key = entry[0].text
      switch entry[1].text {
      case "u32": w.add(key, .uint32(UInt32(entry[2].number)))
      case "f32": w.add(key, .float32(Float(entry[2].number)))
      default: w.add(key, .string(entry[2].text))
      }
    }
    var tokens = ByteLevel.utf8OfByte.map { GGUFValue.string($0) }
    tokens += merges.map { GGUFValue.string(Array($0.replacingOccurrences(of: " ", with: "").utf8)) }
    w.add("tokenizer.ggml.model", .string("gpt2"))
    w.add("tokenizer.ggml.tokens", .array(GGUFArray(elementType: .string, values: tokens)))
    w.add("tokenizer.ggml.token_type", .array(GGUFArray(elementType: .int32, values: tokens.map { _ in .int32(1) })))
    w.add("tokenizer.ggml.merges", .array(GGUFArray(elementType: .string, values: merges.map { .string(Array($0.utf8)) })))
    w.add("tokenizer.ggml.bos_token_id", .uint32(1))
    w.add("tokenizer.ggml.eos_token_id", .uint32(2))

    for t in m.tensors {
      let n = t.dims.reduce(1, *)
      var floats: [Float]
      if t.spec[0].text == "values" {
        floats = try #require(values["\(m.family)/\(t.name)"])
      } else {
        let e = Int(t.spec[1].number), offset = Float(t.spec[2].number)
        let seed = fnv1a64(Array("\(m.family)/\(t.name)".utf8))
        let step = Float(sign: .plus, exponent: e - 11, significand: 1)
        floats = (0..<n).map { Float(uniformInt(seed: seed, index: $0)) * step + offset }
      }
      let type: GGMLType = t.type == "Q8_0" ? .q8_0 : .f32
      var bytes = [UInt8](repeating: 0, count: try #require(type.rowBytes(n)))
      bytes.withUnsafeMutableBytes { raw in
        floats.withUnsafeBufferPointer { QuantKernels.quantizeReference(type, $0.baseAddress!, raw.baseAddress!, count: n) }
      }
      let hash = String(fnv1a64(bytes), radix: 16)
      let expected = String(t.fnv1a64.drop { $0 == "0" })
      guard hash == expected || t.fnv1a64.isEmpty else {
        throw TestSetupError("\(m): tensor \(t.name) rebuilt with hash \(hash), the fixture's file had \(t.fnv1a64)")
      }
      try w.addTensor(name: t.name, type: type, dims: t.dims, data: bytes)
    }
    let path = NSTemporaryDirectory() + "edgelm-family-\(m.family)-\(m.type)-\(UUID().uuidString).gguf"
    try w.write(to: path)
    return path
  }

  // MARK: - Comparison

  /// Largest |ours - llama.cpp| allowed over the whole last-position logit
  /// vector: llama.cpp's own variation for that weight type, the largest
  /// difference between its logits with and without flash attention over
  /// the fixture's models of the type (F32 about 0.026, Q8_0 about 0.36 on
  /// logits up to 18; flash attention accumulates in F16 in another
  /// order). A wrong RoPE, bias, norm or fused-tensor split moves logits by
  /// 1 or more (phi3's short and long factors alone differ by that much).
  static func tolerance(_ type: String) -> Float {
    cases.filter { $0.type == type }.flatMap { $0.sequences.map(\.variant_max_logit_diff) }.max()!
  }

  static var cases: [ModelCase] { fixture.0.models }

  @Test(arguments: cases)
  func logitsAndGreedyMatchLlamaCpp(_ m: ModelCase) throws {
    let path = try Self.build(m, merges: Self.fixture.0.merges, values: Self.fixture.1)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let model = try Model(path: path)
    #expect(model.config.architecture.name == (m.family == "llama3" ? "llama" : m.family))
    let session = try Session.create(model: model, options: SessionOptions(contextLength: m.context, threads: 2, batchSize: 64))
    let vocab = model.config.vocabSize
    for (si, seq) in m.sequences.enumerated() {
      session.reset()
      let out = try session.evaluate(seq.tokens, logits: .last)
      let ours = Array(UnsafeBufferPointer(start: out, count: vocab))
      let tolerance = Self.tolerance(m.type)
      var worst: Float = 0
      for v in 0..<vocab { worst = max(worst, abs(ours[v] - seq.logits[v])) }
      print("\(m) sequence \(si): max |logit - llama.cpp| \(worst) (llama.cpp vs itself \(seq.variant_max_logit_diff), tolerance \(tolerance))")
      #expect(worst <= tolerance, "\(m) sequence \(si): max |logit - llama.cpp| \(worst)")
      func top(_ x: [Float], _ k: Int) -> Set<Int> {
        Set(x.indices.sorted { x[$0] > x[$1] || (x[$0] == x[$1] && $0 < $1) }.prefix(k))
      }
      // Top-5 agreement: the sets may differ only by tokens llama.cpp
      // itself puts within twice the tolerance of its 5th logit.
      let fifth = seq.logits.sorted(by: >)[4]
      for t in top(ours, 5).symmetricDifference(top(seq.logits, 5)) {
        #expect(abs(seq.logits[t] - fifth) <= 2 * tolerance,
                "\(m) sequence \(si): token \(t) in one top-5 only, llama.cpp logit \(seq.logits[t]) vs its 5th \(fifth)")
      }

      // Greedy: identical, except that after a step where llama.cpp's own
      // top two are within twice the tolerance of each other either choice
      // is right and the rest is not compared.
      var last = ours
      for (step, expected) in seq.greedy.enumerated() {
        let token = Int32(last.indices.max { last[$0] < last[$1] || (last[$0] == last[$1] && $0 > $1) }!)
        if token != expected {
          #expect(seq.gaps[step] <= 2 * tolerance,
                  "\(m) sequence \(si) step \(step): greedy token \(token), llama.cpp \(expected) (its top-2 gap \(seq.gaps[step]))")
          break
        }
        let next = try session.evaluate([token], logits: .last)
        last = Array(UnsafeBufferPointer(start: next, count: vocab))
      }
    }
  }

  // MARK: - Unsupported features fail by name

  /// The case `family` F32, with metadata `set` (replacing a key or added)
  /// and extra F32 tensors `add` ([name, ggml dims]).
  static func variant(_ family: String, set: [(String, String, MetaValue)] = [], add: [(String, [Int])] = []) -> ModelCase {
    let m = cases.first { $0.family == family && $0.type == "F32" }!
    var metadata = m.metadata
    for (key, kind, value) in set {
      let entry: [MetaValue] = [.text(key), .text(kind), value]
      if let i = metadata.firstIndex(where: { $0[0].text == key }) { metadata[i] = entry } else { metadata.append(entry) }
    }
    let extra = add.map {
      TensorRecipe(name: $0.0, dims: $0.1, type: "F32", spec: [.text("uniform"), .number(-2), .number(0), .other], fnv1a64: "")
    }
    return ModelCase(family: m.family, type: m.type, context: m.context, metadata: metadata,
                     tensors: m.tensors + extra, sequences: [])
  }

  /// Loading `m` fails with `.unsupported` and a message containing `words`.
  static func expectUnsupported(_ m: ModelCase, _ words: [String]) throws {
    let path = try build(m, merges: fixture.0.merges, values: fixture.1)
    defer { try? FileManager.default.removeItem(atPath: path) }
    do {
      _ = try Model(path: path)
      Issue.record("loaded, expected an error naming \(words)")
    } catch {
      #expect(error.status == .unsupported, "\(error.message)")
      for w in words { #expect(error.message.contains(w), "'\(error.message)' does not name \(w)") }
    }
  }

  @Test func unknownArchitectureListsSupported() throws {
    try Self.expectUnsupported(Self.variant("qwen2", set: [("general.architecture", "str", .text("mamba"))]),
                               ["'mamba'", "llama, qwen2, qwen3, phi3, gemma3"])
  }

  @Test func yarnRopeScalingIsRejectedByName() throws {
    try Self.expectUnsupported(Self.variant("qwen3", set: [("qwen3.rope.scaling.type", "str", .text("yarn"))]),
                               ["rope.scaling.type", "'yarn'"])
  }

  @Test func mixtureOfExpertsIsRejectedByName() throws {
    try Self.expectUnsupported(Self.variant("llama3", set: [("llama.expert_count", "u32", .number(8))]),
                               ["expert_count", "mixture-of-experts"])
  }

  @Test func tensorsTheDecoderWouldIgnoreAreRejectedByName() throws {
    // An output-projection bias llama.cpp would add and we do not.
    try Self.expectUnsupported(Self.variant("llama3", add: [("blk.0.attn_output.bias", [64])]),
                               ["'blk.0.attn_output.bias'", "llama"])
    // RoPE factors on an architecture whose llama.cpp loader has none.
    try Self.expectUnsupported(Self.variant("qwen2", add: [("rope_freqs.weight", [8])]),
                               ["'rope_freqs.weight'", "qwen2"])
    try Self.expectUnsupported(Self.variant("qwen3", add: [("rope_factors_long.weight", [16])]),
                               ["rope_factors_long", "qwen3"])
  }

  @Test func phi3ChoosesRopeFactorsByContext() throws {
    // The fixture's phi3 runs at 512 (short factors) and 8192 (long, beyond
    // the original 4096) give different llama.cpp logits; each matched
    // above. Here: a session at exactly the original length still uses the
    // short factors (llama.cpp: long only when n_ctx > original).
    let short = Self.cases.first { $0.family == "phi3" && $0.type == "F32" && $0.context == 512 }!
    let path = try Self.build(short, merges: Self.fixture.0.merges, values: Self.fixture.1)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let model = try Model(path: path)
    #expect(model.config.ropeOriginalContextLength == 4096)
    let seq = short.sequences[0]
    let session = try Session.create(model: model, options: SessionOptions(contextLength: 4096, threads: 1, batchSize: 64))
    let out = try session.evaluate(seq.tokens, logits: .last)
    var worst: Float = 0
    for v in 0..<model.config.vocabSize { worst = max(worst, abs(out[v] - seq.logits[v])) }
    #expect(worst <= Self.tolerance("F32"))
  }

  // MARK: - Phi-4 mini's pre-tokenizer

  @Test func gpt4oPreTokenizerMatchesLlamaCpp() throws {
    // Golden data: Tests/Fixtures/make_pretokenizer_gpt4o_fixtures.py, on a
    // synthetic vocabulary whose merges build whole space-separated runs,
    // so every word boundary shows in the ids (llama3's pre-tokenizer gives
    // other ids on 28 of the 47 cases, gpt-2's on 15).
    struct Case: Decodable { let hex: String; let ids: [Int32]; let detok_hex: String }
    struct File: Decodable { let merges: [String]; let cases: [Case] }
    let file = try JSONDecoder().decode(File.self, from: TestPaths.fixture("tokenizer_gpt4o.json"))
    func bytes(_ hex: String) -> [UInt8] {
      var out: [UInt8] = []
      var i = hex.startIndex
      while i < hex.endIndex {
        let j = hex.index(i, offsetBy: 2)
        out.append(UInt8(hex[i..<j], radix: 16)!)
        i = j
      }
      return out
    }
    var tokens = ByteLevel.utf8OfByte
    for m in file.merges { tokens.append(Array(m.utf8).filter { $0 != 0x20 }) }
    var w = GGUFWriter()
    w.add("general.architecture", .string("llama"))
    w.add("tokenizer.ggml.model", .string("gpt2"))
    w.add("tokenizer.ggml.pre", .string("gpt-4o"))
    w.add("tokenizer.ggml.tokens", .array(GGUFArray(elementType: .string, values: tokens.map { .string($0) })))
    w.add("tokenizer.ggml.token_type", .array(GGUFArray(elementType: .int32, values: tokens.map { _ in .int32(1) })))
    w.add("tokenizer.ggml.merges", .array(GGUFArray(elementType: .string, values: file.merges.map { .string(Array($0.utf8)) })))
    w.add("tokenizer.ggml.bos_token_id", .uint32(1))
    w.add("tokenizer.ggml.eos_token_id", .uint32(2))
    let path = NSTemporaryDirectory() + "edgelm-gpt4o-vocab-\(UUID().uuidString).gguf"
    try w.write(to: path)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let t = try Tokenizer(gguf: GGUFFile.open(path: path))
    var mismatches = 0
    for c in file.cases {
      let text = bytes(c.hex)
      let ids = t.tokenize(text, addSpecial: false, parseSpecial: true)
      if ids != c.ids {
        mismatches += 1
        Issue.record("gpt-4o: \(String(decoding: text, as: UTF8.self).debugDescription): \(ids) != llama.cpp \(c.ids)")
      }
      #expect(t.detokenize(c.ids, special: false) == bytes(c.detok_hex))
    }
    #expect(mismatches == 0, "\(mismatches) of \(file.cases.count) cases differ")
  }
}
