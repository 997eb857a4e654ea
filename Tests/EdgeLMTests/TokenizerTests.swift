import Foundation
import Testing
@testable import EdgeLM

/// The SmolLM2 vocabulary and the golden data made by
/// Tests/Fixtures/make_tokenizer_fixtures.py (llama.cpp via llama-cpp-python).
enum SmolLM2Tokenizer {
  static let vocabulary: Result<Vocabulary, any Error> = Result {
    let file = try GGUFFile.open(path: TestPaths.model(TestPaths.smollm2Name))
    return try Vocabulary(gguf: file)
  }

  static func load() throws -> Vocabulary { try vocabulary.get() }

  static let shared: Result<Tokenizer, any Error> = Result {
    try Tokenizer(vocabulary: load())
  }

  static func tokenizer() throws -> Tokenizer { try shared.get() }

  /// Tokenizer for the same vocabulary with another pre-tokenizer.
  static func tokenizer(pre: String) throws -> Tokenizer {
    var vocabulary = try load()
    vocabulary.pre = pre
    return try Tokenizer(vocabulary: vocabulary)
  }

  struct Case {
    var label: String
    var bytes: [UInt8]
    var isValidUTF8: Bool
    var idsPlain: [Int32]  // add_special false, parse_special false
    var idsParse: [Int32]  // add_special false, parse_special true
    var idsAddParse: [Int32]  // add_special true, parse_special true
    var detok: [UInt8]
    var detokSpecial: [UInt8]
    var pre: [String: (ids: [Int32], detok: [UInt8])]
  }

  struct Fixture {
    var nVocab: Int
    var bos: Int32?
    var eos: Int32?
    var addBOS: Bool
    var addEOS: Bool
    var eog: [Int32]
    var control: [Int32]
    var piecesDigest: UInt64
    var piecesSpecialDigest: UInt64
    var cases: [Case]
  }

  static let fixtureResult: Result<Fixture, any Error> = Result { try parseFixture() }
  static func fixture() throws -> Fixture { try fixtureResult.get() }

  static func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.utf8.makeIterator()
    func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }
    while let a = it.next(), let b = it.next() {
      out.append(nibble(a) << 4 | nibble(b))
    }
    return out
  }

  static func ids(_ any: Any?) -> [Int32] {
    ((any as? [Any]) ?? []).map { Int32(($0 as! NSNumber).intValue) }
  }

  private static func parseFixture() throws -> Fixture {
    let data = try TestPaths.fixture("tokenizer_smollm2.json")
    let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    var cases: [Case] = []
    for raw in root["cases"] as! [[String: Any]] {
      let bytes = hex(raw["hex"] as! String)
      var pre: [String: (ids: [Int32], detok: [UInt8])] = [:]
      for (name, value) in raw["pre"] as! [String: Any] {
        let v = value as! [String: Any]
        pre[name] = (ids(v["ids"]), hex(v["detok_hex"] as! String))
      }
      let text = raw["text"] as? String
      let label = text.map { $0.count > 60 ? String($0.prefix(60)) + "…" : $0 } ?? "hex:" + (raw["hex"] as! String)
      cases.append(
        Case(
          label: label, bytes: bytes, isValidUTF8: text != nil,
          idsPlain: ids(raw["ids_add0_parse0"]), idsParse: ids(raw["ids_add0_parse1"]),
          idsAddParse: ids(raw["ids_add1_parse1"]), detok: hex(raw["detok_hex"] as! String),
          detokSpecial: hex(raw["detok_special_hex"] as! String), pre: pre))
    }
    func optionalID(_ v: Any?) -> Int32? { (v as? NSNumber).map { Int32($0.intValue) } }
    return Fixture(
      nVocab: (root["n_vocab"] as! NSNumber).intValue,
      bos: optionalID(root["bos"]), eos: optionalID(root["eos"]),
      addBOS: root["add_bos"] as! Bool, addEOS: root["add_eos"] as! Bool,
      eog: ids(root["eog"]), control: ids(root["control"]),
      piecesDigest: UInt64(root["pieces_fnv1a64"] as! String, radix: 16)!,
      piecesSpecialDigest: UInt64(root["pieces_special_fnv1a64"] as! String, radix: 16)!,
      cases: cases)
  }
}

func fnv1a64<S: Sequence>(_ chunks: S) -> UInt64 where S.Element == [UInt8] {
  var h: UInt64 = 0xCBF2_9CE4_8422_2325
  for chunk in chunks {
    for b in chunk {
      h ^= UInt64(b)
      h = h &* 0x100_0000_01B3
    }
  }
  return h
}

@Suite("Tokenizer: SmolLM2 against llama.cpp")
struct TokenizerTests {
  @Test("fixture has enough varied cases")
  func fixtureSize() throws {
    let f = try SmolLM2Tokenizer.fixture()
    #expect(f.cases.count >= 40)
  }

  @Test("vocabulary facts match llama.cpp")
  func vocabularyFacts() throws {
    let t = try SmolLM2Tokenizer.tokenizer()
    let f = try SmolLM2Tokenizer.fixture()
    #expect(t.vocabSize == f.nVocab)
    #expect(t.bosToken == f.bos)
    #expect(t.eosToken == f.eos)
    #expect(t.addBOS == f.addBOS)
    #expect(t.addEOS == f.addEOS)
    let eog = (0..<Int32(t.vocabSize)).filter { t.isEndOfGeneration($0) }
    #expect(eog == f.eog)
    let control = (0..<Int32(t.vocabSize)).filter { t.isControl($0) }
    #expect(control == f.control)
    #expect(!t.isEndOfGeneration(-1))
    #expect(!t.isEndOfGeneration(Int32(t.vocabSize)))
    #expect(t.tokenText(1) == Array("<|im_start|>".utf8))
    #expect(t.tokenText(-5) == [])
  }

  @Test("token ids equal llama_tokenize for every fixture string")
  func idsMatch() throws {
    let t = try SmolLM2Tokenizer.tokenizer()
    for c in try SmolLM2Tokenizer.fixture().cases {
      #expect(t.tokenize(c.bytes, addSpecial: false, parseSpecial: false) == c.idsPlain, "\(c.label)")
      #expect(t.tokenize(c.bytes, addSpecial: false, parseSpecial: true) == c.idsParse, "\(c.label)")
      #expect(t.tokenize(c.bytes, addSpecial: true, parseSpecial: true) == c.idsAddParse, "\(c.label)")
    }
  }

  @Test("detokenize equals llama_detokenize", arguments: [false, true])
  func detokenizeMatches(special: Bool) throws {
    let t = try SmolLM2Tokenizer.tokenizer()
    for c in try SmolLM2Tokenizer.fixture().cases {
      let expected = special ? c.detokSpecial : c.detok
      #expect(t.detokenize(c.idsParse, special: special) == expected, "\(c.label)")
    }
  }

  @Test("other pre-tokenizers match llama.cpp", arguments: ["gpt-2", "llama-bpe", "qwen2", "default", "starcoder"])
  func preTokenizerVariants(pre: String) throws {
    let t = try SmolLM2Tokenizer.tokenizer(pre: pre)
    for c in try SmolLM2Tokenizer.fixture().cases {
      let expected = try #require(c.pre[pre])
      #expect(t.tokenize(c.bytes, addSpecial: false, parseSpecial: true) == expected.ids, "\(pre): \(c.label)")
      #expect(t.detokenize(expected.ids, special: false) == expected.detok, "\(pre): \(c.label)")
    }
  }

  @Test("detokenize(tokenize(s)) round-trips valid UTF-8")
  func roundTrip() throws {
    let t = try SmolLM2Tokenizer.tokenizer()
    for c in try SmolLM2Tokenizer.fixture().cases where c.isValidUTF8 {
      let ids = t.tokenize(c.bytes, addSpecial: false, parseSpecial: true)
      #expect(t.detokenize(ids, special: true) == c.bytes, "\(c.label)")
      let plain = t.tokenize(c.bytes, addSpecial: false, parseSpecial: false)
      #expect(t.detokenize(plain, special: false) == c.bytes, "\(c.label)")
    }
  }

  @Test("pieces of the whole vocabulary equal llama_token_to_piece", arguments: [false, true])
  func piecesDigest(special: Bool) throws {
    let t = try SmolLM2Tokenizer.tokenizer()
    let f = try SmolLM2Tokenizer.fixture()
    var chunks: [[UInt8]] = []
    for id in 0..<Int32(t.vocabSize) {
      let p = t.piece(id, special: special)
      let n = UInt32(p.count)
      chunks.append([UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)])
      chunks.append(p)
    }
    #expect(fnv1a64(chunks) == (special ? f.piecesSpecialDigest : f.piecesDigest))
    #expect(t.piece(-1, special: true) == [])
    #expect(t.piece(Int32(t.vocabSize), special: true) == [])
  }

  @Test("streaming pieces through UTF8StreamBuffer never splits a code point")
  func streaming() throws {
    let t = try SmolLM2Tokenizer.tokenizer()
    var checked = 0
    for c in try SmolLM2Tokenizer.fixture().cases where c.isValidUTF8 {
      let ids = t.tokenize(c.bytes, addSpecial: false, parseSpecial: false)
      var buffer = UTF8StreamBuffer()
      var out: [UInt8] = []
      var splitPieces = 0
      for id in ids {
        let piece = t.piece(id, special: false)
        if String(validating: piece, as: UTF8.self) == nil { splitPieces += 1 }
        let chunk = buffer.append(piece)
        #expect(String(validating: chunk, as: UTF8.self) != nil, "\(c.label): partial code point emitted")
        out += chunk
      }
      out += buffer.flush()
      #expect(out == c.bytes, "\(c.label)")
      if splitPieces > 0 { checked += 1 }
    }
    // The emoji and CJK cases do split code points across tokens.
    #expect(checked >= 5)
  }

  @Test("invalid UTF-8 and random bytes never crash")
  func invalidInput() throws {
    let t = try SmolLM2Tokenizer.tokenizer()
    var rng = SplitMix64(seed: 42)
    for round in 0..<300 {
      let length = Int(rng.next() % 64)
      var bytes: [UInt8] = []
      for _ in 0..<length {
        // Bias towards bytes >= 0x80 and '<' so special-token paths run too.
        let r = rng.next()
        bytes.append(r % 4 == 0 ? UInt8(ascii: "<") : UInt8(truncatingIfNeeded: r >> 8) | (round % 2 == 0 ? 0x80 : 0))
      }
      for parse in [false, true] {
        let ids = t.tokenize(bytes, addSpecial: true, parseSpecial: parse)
        #expect(ids.allSatisfy { $0 >= 0 && Int($0) < t.vocabSize })
        _ = t.detokenize(ids, special: parse)
      }
    }
    // Four-byte forms above U+10FFFF would make llama.cpp throw; we give
    // one U+FFFD per byte.
    let fffd: [UInt8] = [0xEF, 0xBF, 0xBD]
    let beyond = t.tokenize([0xF4, 0x90, 0x80, 0x80], addSpecial: false, parseSpecial: false)
    #expect(beyond == t.tokenize(fffd + fffd + fffd + fffd, addSpecial: false, parseSpecial: false))
    _ = t.detokenize([-1, 0, Int32.max], special: true)
  }

  @Test("construction is fast")
  func constructionTime() throws {
    let vocabulary = try SmolLM2Tokenizer.load()
    let clock = ContinuousClock()
    var best = Duration.seconds(100)
    for _ in 0..<3 {
      let elapsed = try clock.measure { _ = try Tokenizer(vocabulary: vocabulary) }
      best = min(best, elapsed)
    }
    print("Tokenizer(vocabulary:) for SmolLM2: \(best)")
    let path = try TestPaths.model(TestPaths.smollm2Name)
    let withFile = try clock.measure { _ = try Tokenizer(gguf: GGUFFile.open(path: path)) }
    print("GGUFFile.open + Tokenizer(gguf:) for SmolLM2: \(withFile)")
    #if !DEBUG
      #expect(best < .milliseconds(200))
    #endif
  }
}

struct SplitMix64 {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

extension TokenizerTests {
  @Test("tokenize throughput")
  func throughput() throws {
    let t = try SmolLM2Tokenizer.tokenizer()
    let f = try SmolLM2Tokenizer.fixture()
    var text: [UInt8] = []
    while text.count < 1_000_000 {
      for c in f.cases where c.isValidUTF8 { text += c.bytes }
    }
    let clock = ContinuousClock()
    var count = 0
    let elapsed = clock.measure { count = t.tokenize(text, addSpecial: false, parseSpecial: true).count }
    let seconds = Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
    print("tokenize: \(text.count) bytes -> \(count) tokens in \(elapsed) (\(Double(text.count) / seconds / 1e6) MB/s)")
    let back = clock.measure { _ = t.detokenize(t.tokenize(text, addSpecial: false, parseSpecial: false), special: false) }
    print("tokenize+detokenize: \(back)")
  }
}
