import Foundation
import Testing
@testable import EdgeLM

/// The Gemma 3 (SentencePiece) vocabulary and the golden data made by
/// Tests/Fixtures/make_tokenizer_fixtures_gemma3.py (llama.cpp via
/// llama-cpp-python's low-level API).
enum Gemma3Tokenizer {
  static let vocabulary: Result<Vocabulary, any Error> = Result {
    let file = try GGUFFile.open(path: TestPaths.model(TestPaths.gemma3Name))
    return try Vocabulary(gguf: file)
  }

  static func load() throws -> Vocabulary { try vocabulary.get() }

  static let shared: Result<Tokenizer, any Error> = Result {
    try Tokenizer(vocabulary: load())
  }

  static func tokenizer() throws -> Tokenizer { try shared.get() }

  struct Case {
    var label: String
    var bytes: [UInt8]
    var isValidUTF8: Bool
    /// "add0_parse0" ... "add1_parse1" -> ids.
    var ids: [String: [Int32]]
    /// "add{0,1}_rm{0,1}_sp{0,1}" -> detokenized bytes of that add's parse ids.
    var detok: [String: [UInt8]]
  }

  struct Piece {
    var id: Int32
    var plain: [UInt8]
    var special: [UInt8]
    var lstrip: [UInt8]
  }

  struct Sequence {
    var ids: [Int32]
    /// "rm{0,1}_sp{0,1}" -> bytes.
    var detok: [String: [UInt8]]
  }

  struct VariantCase {
    var idsAddParse: [Int32]
    var idsPlain: [Int32]
    var detok: [UInt8]
    var detokRemoveSpecial: [UInt8]
  }

  struct Fixture {
    var nVocab: Int
    var bos: Int32?
    var eos: Int32?
    var eot: Int32?
    var pad: Int32?
    var addBOS: Bool
    var addEOS: Bool
    var eog: [Int32]
    var control: [Int32]
    var piecesDigest: UInt64
    var piecesSpecialDigest: UInt64
    var pieces: [Piece]
    var sequences: [Sequence]
    var cases: [Case]
    /// Variant name -> (changed keys, one row per case).
    var variants: [String: (changes: [String: Bool], cases: [VariantCase])]
  }

  static let fixtureResult: Result<Fixture, any Error> = Result { try parseFixture() }
  static func fixture() throws -> Fixture { try fixtureResult.get() }

  private static func parseFixture() throws -> Fixture {
    let hex = SmolLM2Tokenizer.hex
    let ids = SmolLM2Tokenizer.ids
    let data = try TestPaths.fixture("tokenizer_gemma3.json")
    let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    var cases: [Case] = []
    for raw in root["cases"] as! [[String: Any]] {
      let text = raw["text"] as? String
      let label = text.map { $0.count > 60 ? String($0.prefix(60)) + "…" : $0 } ?? "hex:" + (raw["hex"] as! String)
      var c = Case(label: label, bytes: hex(raw["hex"] as! String), isValidUTF8: text != nil, ids: [:], detok: [:])
      for add in 0...1 {
        for parse in 0...1 {
          c.ids["add\(add)_parse\(parse)"] = ids(raw["ids_add\(add)_parse\(parse)"])
        }
        for (rm, sp) in [(0, 0), (0, 1), (1, 0)] {
          let key = "add\(add)_rm\(rm)_sp\(sp)"
          c.detok[key] = hex(raw["detok_\(key)_hex"] as! String)
        }
      }
      cases.append(c)
    }
    let pieces = (root["pieces"] as! [[String: Any]]).map { raw in
      Piece(
        id: Int32((raw["id"] as! NSNumber).intValue), plain: hex(raw["hex"] as! String),
        special: hex(raw["special_hex"] as! String), lstrip: hex(raw["lstrip_hex"] as! String))
    }
    let sequences = (root["sequences"] as! [[String: Any]]).map { raw in
      var detok: [String: [UInt8]] = [:]
      for (rm, sp) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        detok["rm\(rm)_sp\(sp)"] = hex(raw["rm\(rm)_sp\(sp)_hex"] as! String)
      }
      return Sequence(ids: ids(raw["ids"]), detok: detok)
    }
    var variants: [String: (changes: [String: Bool], cases: [VariantCase])] = [:]
    for (name, value) in root["variants"] as! [String: Any] {
      let v = value as! [String: Any]
      let rows = (v["cases"] as! [[String: Any]]).map { raw in
        VariantCase(
          idsAddParse: ids(raw["ids_add1_parse1"]), idsPlain: ids(raw["ids_add0_parse0"]),
          detok: hex(raw["detok_rm0_hex"] as! String), detokRemoveSpecial: hex(raw["detok_rm1_hex"] as! String))
      }
      variants[name] = (v["changes"] as! [String: Bool], rows)
    }
    func optionalID(_ v: Any?) -> Int32? { (v as? NSNumber).map { Int32($0.intValue) } }
    return Fixture(
      nVocab: (root["n_vocab"] as! NSNumber).intValue,
      bos: optionalID(root["bos"]), eos: optionalID(root["eos"]), eot: optionalID(root["eot"]),
      pad: optionalID(root["pad"]),
      addBOS: root["add_bos"] as! Bool, addEOS: root["add_eos"] as! Bool,
      eog: ids(root["eog"]), control: ids(root["control"]),
      piecesDigest: UInt64(root["pieces_fnv1a64"] as! String, radix: 16)!,
      piecesSpecialDigest: UInt64(root["pieces_special_fnv1a64"] as! String, radix: 16)!,
      pieces: pieces, sequences: sequences, cases: cases, variants: variants)
  }
}

@Suite("Tokenizer: Gemma 3 SentencePiece against llama.cpp")
struct TokenizerGemmaTests {
  @Test("fixture has enough varied cases")
  func fixtureSize() throws {
    let f = try Gemma3Tokenizer.fixture()
    #expect(f.cases.count >= 60)
    #expect(f.cases.contains { !$0.isValidUTF8 })
    #expect(f.cases.contains { $0.bytes.isEmpty })
    #expect(f.pieces.count >= 500)
    #expect(f.variants.count == 2)
  }

  @Test("vocabulary facts match llama.cpp")
  func vocabularyFacts() throws {
    let t = try Gemma3Tokenizer.tokenizer()
    let f = try Gemma3Tokenizer.fixture()
    #expect(t.vocabSize == f.nVocab)
    #expect(t.bosToken == f.bos)
    #expect(t.eosToken == f.eos)
    #expect(t.eotToken == f.eot)
    #expect(t.padToken == f.pad)
    #expect(t.addBOS == f.addBOS)
    #expect(t.addEOS == f.addEOS)
    let eog = (0..<Int32(t.vocabSize)).filter { t.isEndOfGeneration($0) }
    #expect(eog == f.eog)
    let control = (0..<Int32(t.vocabSize)).filter { t.isControl($0) }
    #expect(control == f.control)
    #expect(t.tokenText(105) == Array("<start_of_turn>".utf8))
  }

  @Test("token ids equal llama_tokenize for every fixture string and flag pair")
  func idsMatch() throws {
    let t = try Gemma3Tokenizer.tokenizer()
    for c in try Gemma3Tokenizer.fixture().cases {
      for add in [false, true] {
        for parse in [false, true] {
          let expected = try #require(c.ids["add\(add ? 1 : 0)_parse\(parse ? 1 : 0)"])
          #expect(
            t.tokenize(c.bytes, addSpecial: add, parseSpecial: parse) == expected,
            "\(c.label) add=\(add) parse=\(parse)")
        }
      }
    }
  }

  @Test("detokenize equals llama_detokenize")
  func detokenizeMatches() throws {
    let t = try Gemma3Tokenizer.tokenizer()
    for c in try Gemma3Tokenizer.fixture().cases {
      for add in 0...1 {
        let ids = try #require(c.ids["add\(add)_parse1"])
        for (rm, sp) in [(0, 0), (0, 1), (1, 0)] {
          let expected = try #require(c.detok["add\(add)_rm\(rm)_sp\(sp)"])
          #expect(
            t.detokenize(ids, special: sp == 1, removeSpecial: rm == 1) == expected,
            "\(c.label) add=\(add) remove=\(rm) special=\(sp)")
        }
      }
    }
  }

  @Test("detokenize of hand-picked id sequences equals llama_detokenize")
  func sequences() throws {
    let t = try Gemma3Tokenizer.tokenizer()
    for s in try Gemma3Tokenizer.fixture().sequences {
      for rm in 0...1 {
        for sp in 0...1 {
          let expected = try #require(s.detok["rm\(rm)_sp\(sp)"])
          #expect(t.detokenize(s.ids, special: sp == 1, removeSpecial: rm == 1) == expected, "\(s.ids) rm=\(rm) sp=\(sp)")
        }
      }
    }
  }

  @Test("pieces of sampled ids equal llama_token_to_piece")
  func pieces() throws {
    let t = try Gemma3Tokenizer.tokenizer()
    for p in try Gemma3Tokenizer.fixture().pieces {
      #expect(t.piece(p.id, special: false) == p.plain, "id \(p.id)")
      let special = t.piece(p.id, special: true)
      #expect(special == p.special, "id \(p.id)")
      let stripped = special.first == 0x20 ? Array(special.dropFirst()) : special
      #expect(stripped == p.lstrip, "id \(p.id) lstrip")
    }
  }

  @Test("pieces of the whole vocabulary equal llama_token_to_piece", arguments: [false, true])
  func piecesDigest(special: Bool) throws {
    let t = try Gemma3Tokenizer.tokenizer()
    let f = try Gemma3Tokenizer.fixture()
    var chunks: [[UInt8]] = []
    chunks.reserveCapacity(2 * t.vocabSize)
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

  @Test("space prefix and add_eos variants match llama.cpp", arguments: ["space_prefix", "eos"])
  func variants(name: String) throws {
    let f = try Gemma3Tokenizer.fixture()
    let variant = try #require(f.variants[name])
    var vocabulary = try Gemma3Tokenizer.load()
    for (key, value) in variant.changes {
      switch key {
      case "tokenizer.ggml.add_space_prefix": vocabulary.addSpacePrefix = value
      case "tokenizer.ggml.add_bos_token": vocabulary.addBOS = value
      case "tokenizer.ggml.add_eos_token": vocabulary.addEOS = value
      default: Issue.record("unknown variant key \(key)")
      }
    }
    let t = try Tokenizer(vocabulary: vocabulary)
    #expect(variant.cases.count == f.cases.count)
    for (c, expected) in zip(f.cases, variant.cases) {
      let ids = t.tokenize(c.bytes, addSpecial: true, parseSpecial: true)
      #expect(ids == expected.idsAddParse, "\(name): \(c.label)")
      #expect(t.tokenize(c.bytes, addSpecial: false, parseSpecial: false) == expected.idsPlain, "\(name): \(c.label)")
      #expect(t.detokenize(expected.idsAddParse, special: false) == expected.detok, "\(name): \(c.label)")
      #expect(
        t.detokenize(expected.idsAddParse, special: false, removeSpecial: true) == expected.detokRemoveSpecial,
        "\(name): \(c.label)")
    }
  }

  @Test("detokenize(tokenize(s)) round-trips every fixture string, invalid UTF-8 included")
  func roundTrip() throws {
    let t = try Gemma3Tokenizer.tokenizer()
    for c in try Gemma3Tokenizer.fixture().cases {
      // A "▁" in the input is a space to SentencePiece, so it comes back as one.
      let expected = Tokenizer.unescapeSpaces(c.bytes)
      let ids = t.tokenize(c.bytes, addSpecial: false, parseSpecial: true)
      #expect(t.detokenize(ids, special: true) == expected, "\(c.label)")
      // With BOS, removeSpecial gives the text back.
      let withBOS = t.tokenize(c.bytes, addSpecial: true, parseSpecial: true)
      #expect(t.detokenize(withBOS, special: true, removeSpecial: true) == expected, "\(c.label)")
    }
  }

  @Test("random bytes never crash and give ids in range")
  func randomInput() throws {
    let t = try Gemma3Tokenizer.tokenizer()
    var rng = SplitMix64(seed: 7)
    for round in 0..<300 {
      let length = Int(rng.next() % 64)
      var bytes: [UInt8] = []
      for _ in 0..<length {
        let r = rng.next()
        bytes.append(r % 4 == 0 ? UInt8(ascii: r % 8 == 0 ? " " : "<") : UInt8(truncatingIfNeeded: r >> 8) | (round % 2 == 0 ? 0x80 : 0))
      }
      for parse in [false, true] {
        let ids = t.tokenize(bytes, addSpecial: true, parseSpecial: parse)
        #expect(ids.allSatisfy { $0 >= 0 && Int($0) < t.vocabSize })
        // Byte fallback keeps every byte, so raw bytes come back exactly
        // unless a space was escaped inside an invalid sequence (a lead byte
        // then swallows part of "▁", as in llama.cpp).
        if !bytes.contains(0x20) {
          #expect(t.detokenize(ids, special: true, removeSpecial: true) == bytes)
        }
      }
    }
  }

  @Test("Tokenizer(gguf:) for Gemma 3 loads fast")
  func loadTime() throws {
    let path = try TestPaths.model(TestPaths.gemma3Name)
    let file = try GGUFFile.open(path: path)
    let clock = ContinuousClock()
    var vocabulary = try Vocabulary(gguf: file)
    let read = try clock.measure { vocabulary = try Vocabulary(gguf: file) }
    let build = try clock.measure { _ = try Tokenizer(vocabulary: vocabulary) }
    print("Gemma 3: Vocabulary(gguf:) \(read), Tokenizer(vocabulary:) \(build)")
    var best = Duration.seconds(100)
    for _ in 0..<3 {
      let elapsed = try clock.measure { _ = try Tokenizer(gguf: file) }
      best = min(best, elapsed)
    }
    print("Tokenizer(gguf:) for Gemma 3 (262144 tokens): \(best)")
    let withOpen = try clock.measure { _ = try Tokenizer(gguf: GGUFFile.open(path: path)) }
    print("GGUFFile.open + Tokenizer(gguf:) for Gemma 3: \(withOpen)")
    #if !DEBUG
      #expect(best < .milliseconds(300))
    #endif
  }

  @Test("tokenize throughput")
  func throughput() throws {
    let t = try Gemma3Tokenizer.tokenizer()
    let f = try Gemma3Tokenizer.fixture()
    var text: [UInt8] = []
    while text.count < 1_000_000 {
      for c in f.cases where c.isValidUTF8 { text += c.bytes }
    }
    let clock = ContinuousClock()
    var count = 0
    let elapsed = clock.measure { count = t.tokenize(text, addSpecial: false, parseSpecial: true).count }
    let seconds = Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
    print("Gemma tokenize: \(text.count) bytes -> \(count) tokens in \(elapsed) (\(Double(text.count) / seconds / 1e6) MB/s)")
    // One long fragment without special tokens is one SentencePiece word:
    // the heap keeps it O(n log n).
    let word = [UInt8](repeating: UInt8(ascii: "a"), count: 200_000)
    let long = clock.measure { count = t.tokenize(word, addSpecial: false, parseSpecial: false).count }
    print("Gemma tokenize of 200000 'a': \(count) tokens in \(long)")
    #expect(long < .seconds(5))
  }
}

/// A tiny SentencePiece vocabulary, for tests that need no model file.
enum TinySentencePiece {
  static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

  /// Tokens with scores; "<0xC3>" and "<0xA9>" are the only byte tokens.
  static let entries: [(text: String, type: Int32, score: Float)] = [
    ("<unk>", Vocabulary.TokenType.unknown, 0),
    ("<s>", Vocabulary.TokenType.control, 0),
    ("</s>", Vocabulary.TokenType.control, 0),
    ("<0xC3>", Vocabulary.TokenType.byte, 0),
    ("<0xA9>", Vocabulary.TokenType.byte, 0),
    ("▁", Vocabulary.TokenType.normal, -1),
    ("a", Vocabulary.TokenType.normal, -2),
    ("b", Vocabulary.TokenType.normal, -2),
    ("c", Vocabulary.TokenType.normal, -2),
    ("ab", Vocabulary.TokenType.normal, -5),
    ("bc", Vocabulary.TokenType.normal, -4),
    ("aa", Vocabulary.TokenType.normal, -3),
    ("▁a", Vocabulary.TokenType.normal, -1.5),
    ("▁ab", Vocabulary.TokenType.normal, -1),
    ("<user>", Vocabulary.TokenType.userDefined, 0),
  ]

  static func make() -> Vocabulary {
    var v = Vocabulary(
      model: "llama", pre: "", tokens: entries.map { bytes($0.text) }, tokenTypes: entries.map { $0.type })
    v.scores = entries.map { $0.score }
    return v
  }

  static func id(_ s: String) -> Int32 {
    Int32(entries.firstIndex { $0.text == s }!)
  }
}

@Suite("Tokenizer: synthetic SentencePiece vocabulary")
struct SentencePieceUnitTests {
  let id = TinySentencePiece.id

  func encode(_ t: Tokenizer, _ s: String, add: Bool = false, parse: Bool = false) -> [Int32] {
    t.tokenize(Array(s.utf8), addSpecial: add, parseSpecial: parse)
  }

  @Test("llama.cpp's SPM defaults: BOS 1, EOS 2, add BOS, add the space prefix")
  func defaults() throws {
    let t = try Tokenizer(vocabulary: TinySentencePiece.make())
    #expect(t.bosToken == 1)
    #expect(t.eosToken == 2)
    #expect(t.addBOS)
    #expect(!t.addEOS)
    #expect(t.addSpacePrefix)
    #expect(encode(t, "", add: true) == [1])
    #expect(encode(t, "") == [])
  }

  @Test("the pair forming the highest-scored token merges first")
  func scoresOrderMerges() throws {
    var v = TinySentencePiece.make()
    v.addSpacePrefix = false
    var t = try Tokenizer(vocabulary: v)
    // "bc" (-4) beats "ab" (-5).
    #expect(encode(t, "abc") == [id("a"), id("bc")])
    v.scores![Int(id("ab"))] = -3.5
    t = try Tokenizer(vocabulary: v)
    #expect(encode(t, "abc") == [id("ab"), id("c")])
  }

  @Test("equal scores merge the leftmost pair first")
  func tiesGoLeft() throws {
    var v = TinySentencePiece.make()
    v.addSpacePrefix = false
    let t = try Tokenizer(vocabulary: v)
    #expect(encode(t, "aaa") == [id("aa"), id("a")])
    #expect(encode(t, "aaaa") == [id("aa"), id("aa")])
  }

  @Test("spaces become ▁ and the first fragment gets a space prefix")
  func spacePrefix() throws {
    let t = try Tokenizer(vocabulary: TinySentencePiece.make())
    #expect(encode(t, "ab a") == [id("▁ab"), id("▁a")])
    #expect(encode(t, "ab", add: true) == [1, id("▁ab")])
    // After a special token the next fragment is prefixed again.
    #expect(encode(t, "a<user>a") == [id("▁a"), id("<user>"), id("▁a")])
    #expect(encode(t, "<s>a", parse: true) == [1, id("▁a")])
    // Unparsed, "<s>" is text: "<", "s", ">" have no token and no byte token.
    #expect(encode(t, "<s>a") == [id("▁"), 0, 0, 0, id("a")])
  }

  @Test("characters without a token fall back to <0xNN>, else to the unknown token")
  func byteFallback() throws {
    var v = TinySentencePiece.make()
    v.addSpacePrefix = false
    let t = try Tokenizer(vocabulary: v)
    #expect(encode(t, "é") == [id("<0xC3>"), id("<0xA9>")])
    #expect(encode(t, "aé") == [id("a"), id("<0xC3>"), id("<0xA9>")])
    // "ê" is C3 AA: no <0xAA> token, so the unknown token stands in.
    #expect(encode(t, "ê") == [id("<0xC3>"), 0])
    // Invalid UTF-8 stays raw bytes: a lone C3 is one symbol.
    #expect(t.tokenize([0xC3], addSpecial: false, parseSpecial: false) == [id("<0xC3>")])
    #expect(t.detokenize([id("<0xC3>"), id("<0xA9>")], special: false) == Array("é".utf8))
  }

  @Test("pieces: ▁ to space, byte tokens to bytes, control tokens only with special")
  func pieces() throws {
    let t = try Tokenizer(vocabulary: TinySentencePiece.make())
    #expect(t.piece(id("▁ab"), special: false) == Array(" ab".utf8))
    #expect(t.piece(id("<0xA9>"), special: false) == [0xA9])
    #expect(t.piece(1, special: false) == [])
    #expect(t.piece(1, special: true) == Array("<s>".utf8))
    #expect(t.piece(0, special: false) == [])
    #expect(t.piece(0, special: true) == Array("<unk>".utf8))
    #expect(t.piece(id("<user>"), special: false) == Array("<user>".utf8))
  }

  @Test("detokenize drops the prefix space of the first piece, not after BOS")
  func detokenizeSpace() throws {
    let t = try Tokenizer(vocabulary: TinySentencePiece.make())
    #expect(t.detokenize([id("▁ab"), id("▁a")], special: false) == Array("ab a".utf8))
    #expect(t.detokenize([1, id("▁ab")], special: false) == Array(" ab".utf8))
    #expect(t.detokenize([1, id("▁ab")], special: true) == Array("<s> ab".utf8))
    #expect(t.detokenize([1, id("▁ab"), 2], special: true, removeSpecial: true) == Array(" ab</s>".utf8))
  }

  @Test("bad SentencePiece vocabularies are rejected with the field named")
  func rejects() throws {
    var v = TinySentencePiece.make()
    v.scores = [0, 1]
    #expect(throws: EdgeLMError.self) { try Tokenizer(vocabulary: v) }
    do {
      _ = try Tokenizer(vocabulary: v)
    } catch {
      #expect(error.message.contains("tokenizer.ggml.scores"))
    }
    v = TinySentencePiece.make()
    v.model = "bert"
    do {
      _ = try Tokenizer(vocabulary: v)
      Issue.record("expected .unsupported")
    } catch {
      #expect(error.status == .unsupported)
      #expect(error.message.contains("llama (SentencePiece)"))
    }
    // No scores at all: every token scores 0 (llama.cpp's rule).
    v = TinySentencePiece.make()
    v.scores = nil
    v.addSpacePrefix = false
    let t = try Tokenizer(vocabulary: v)
    #expect(encode(t, "abc") == [id("ab"), id("c")])
  }
}
