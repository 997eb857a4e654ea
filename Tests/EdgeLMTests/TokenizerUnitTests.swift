import Testing
@testable import EdgeLM

/// A tiny byte-level vocabulary: the 256 byte symbols, a few merges and two
/// control tokens, for tests that need no model file.
enum TinyVocabulary {
  static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

  static func make(pre: String = "gpt-2") -> Vocabulary {
    var tokens: [[UInt8]] = []
    for byte in 0..<256 {
      tokens.append(ByteLevel.utf8OfByte[byte])
    }
    let merged = ["he", "ll", "hell", "hello", "Ġw", "or", "Ġwor", "Ġworld"]
    tokens += merged.map(bytes)
    tokens += [bytes("<|begin|>"), bytes("<|end|>"), bytes("<user>")]
    var types = [Int32](repeating: Vocabulary.TokenType.normal, count: tokens.count)
    types[tokens.count - 3] = Vocabulary.TokenType.control
    types[tokens.count - 2] = Vocabulary.TokenType.control
    types[tokens.count - 1] = Vocabulary.TokenType.userDefined
    let merges = ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor ld", "Ġwor l"].map(bytes)
    var v = Vocabulary(model: "gpt2", pre: pre, tokens: tokens, tokenTypes: types, merges: merges)
    v.bosID = tokens.count - 3
    v.eosID = tokens.count - 2
    return v
  }

  static func id(_ s: String, in v: Vocabulary) -> Int32 {
    Int32(v.tokens.firstIndex { Array($0) == bytes(s) }!)
  }
}

@Suite("Tokenizer: synthetic vocabulary")
struct TokenizerUnitTests {
  @Test("BPE applies merges by rank and falls back to bytes")
  func bpeMerges() throws {
    let v = TinyVocabulary.make()
    let t = try Tokenizer(vocabulary: v)
    let hello = TinyVocabulary.id("hello", in: v)
    func id(_ s: String) -> Int32 { TinyVocabulary.id(s, in: v) }
    // " world" merges Ġ+w, o+r, Ġw+or, then Ġwor+l (rank 8; "Ġwor ld" never
    // applies since "ld" is no symbol). "Ġworl" is not a token, so it falls
    // back to the single bytes of its spelling: "Ġ" is two bytes (C4 A0),
    // neither a token, so llama.cpp drops them.
    let ids = t.tokenize(Array("hello world".utf8), addSpecial: false, parseSpecial: false)
    #expect(ids == [hello, id("w"), id("o"), id("r"), id("l"), id("d")])
    #expect(t.tokenize(Array("hello".utf8), addSpecial: false, parseSpecial: false) == [hello])
    #expect(t.detokenize([hello], special: false) == Array("hello".utf8))
  }

  @Test("merges through symbols that are no token (text-keyed path)")
  func mergeThroughNonToken() throws {
    var v = TinyVocabulary.make()
    v.merges.append(Array("Ġworl d".utf8))  // left side "Ġworl" is no token
    let t = try Tokenizer(vocabulary: v)
    let ids = t.tokenize(Array("hello world".utf8), addSpecial: false, parseSpecial: false)
    #expect(ids == [TinyVocabulary.id("hello", in: v), TinyVocabulary.id("Ġworld", in: v)])
  }

  @Test("llama3 takes whole words that are tokens without merging")
  func ignoreMerges() throws {
    let v = TinyVocabulary.make(pre: "llama-bpe")
    let t = try Tokenizer(vocabulary: v)
    let ids = t.tokenize(Array("hello world".utf8), addSpecial: false, parseSpecial: false)
    #expect(ids == [TinyVocabulary.id("hello", in: v), TinyVocabulary.id("Ġworld", in: v)])
  }

  @Test("special tokens: control only with parseSpecial, user-defined always")
  func specialPartition() throws {
    let v = TinyVocabulary.make()
    let t = try Tokenizer(vocabulary: v)
    let start = TinyVocabulary.id("<|begin|>", in: v)
    let user = TinyVocabulary.id("<user>", in: v)
    let text = Array("<|begin|>hello<user>".utf8)
    let parsed = t.tokenize(text, addSpecial: false, parseSpecial: true)
    #expect(parsed == [start, TinyVocabulary.id("hello", in: v), user])
    let plain = t.tokenize(text, addSpecial: false, parseSpecial: false)
    #expect(!plain.contains(start))
    #expect(plain.last == user)
    // Control pieces are hidden unless special is asked for.
    #expect(t.piece(start, special: false) == [])
    #expect(t.piece(start, special: true) == Array("<|begin|>".utf8))
    #expect(t.piece(user, special: false) == Array("<user>".utf8))
    #expect(t.isEndOfGeneration(TinyVocabulary.id("<|end|>", in: v)))
    #expect(!t.isEndOfGeneration(start))
  }

  @Test("addSpecial adds BOS/EOS as the metadata says")
  func addSpecial() throws {
    var v = TinyVocabulary.make()
    v.addBOS = true
    v.addEOS = true
    let t = try Tokenizer(vocabulary: v)
    let ids = t.tokenize([], addSpecial: true, parseSpecial: false)
    #expect(ids == [t.bosToken!, t.eosToken!])
    #expect(t.tokenize([], addSpecial: false, parseSpecial: false) == [])
    v.addBOS = nil
    v.addEOS = nil
    v.pre = "llama-bpe"  // llama3 adds BOS by default
    #expect(try Tokenizer(vocabulary: v).addBOS)
    v.pre = "gpt-2"
    #expect(try !Tokenizer(vocabulary: v).addBOS)
  }

  @Test("clean_spaces passes of llama_detokenize")
  func cleanSpaces() {
    func clean(_ s: String) -> String {
      var b = Array(s.utf8)
      Tokenizer.cleanSpaces(&b)
      return String(decoding: b, as: UTF8.self)
    }
    #expect(clean("Hello , world !") == "Hello, world!")
    #expect(clean("rock ' n ' roll") == "rock'n'roll")
    #expect(clean("it 's we 're they 've I 'm don 't I 'd you 'll") == "it's we're they've I'm don 't I 'd you 'll")
    #expect(clean("") == "")
    #expect(clean(" .") == ".")
  }

  @Test("pre-tokenizer splits")
  func preTokenizerSplits() throws {
    func words(_ pre: String, _ s: String) -> [String] {
      let p = PreTokenizer.named(pre)!
      let cpts = UTF8Codec.decode(Array(s.utf8))
      let flags = cpts.map { CodepointFlags(of: $0).rawValue }
      var out: [String] = []
      var start = 0
      for n in p.split(cpts, flags) {
        var b: [UInt8] = []
        for cp in cpts[start..<(start + n)] { UTF8Codec.append(cp, to: &b) }
        out.append(String(decoding: b, as: UTF8.self))
        start += n
      }
      return out
    }
    #expect(words("llama-bpe", "Hello 12345 world!!\n\n") == ["Hello", " ", "123", "45", " world", "!!\n\n"])
    #expect(words("qwen2", "ab 123") == ["ab", " ", "1", "2", "3"])
    #expect(words("gpt-2", "I'm  here 42") == ["I", "'m", " ", " here", " 42"])
    #expect(words("smollm", "x 42") == ["x", " ", "4", "2"])
    #expect(words("default", "a+=b 12345") == ["a", "+=", "b", " ", "123", "45"])
    #expect(words("gpt-2", "") == [])
  }

  @Test("code point flags")
  func flags() {
    #expect(CodepointFlags(of: 0x41).isLetter)
    #expect(CodepointFlags(of: 0x4E2D).isLetter)  // 中
    #expect(CodepointFlags(of: 0x0663).isNumber)  // Arabic-Indic 3
    #expect(CodepointFlags(of: 0x00B2).isNumber)  // ²
    #expect(CodepointFlags(of: 0x3000).isWhitespace)
    #expect(CodepointFlags(of: 0x0085).isWhitespace)
    #expect(!CodepointFlags(of: 0x200B).isWhitespace)  // zero width space is Cf
    #expect(CodepointFlags(of: 0x1F600).rawValue == CodepointFlags.symbol)  // 😀
    #expect(CodepointFlags(of: 0x0378).rawValue == CodepointFlags.undefined)  // unassigned
    #expect(CodepointFlags(of: 0x11_0000).rawValue == CodepointFlags.undefined)
    #expect(CodepointFlags(of: 0x10_FFFF).rawValue == CodepointFlags.undefined)
  }

  @Test("UTF-8 decoding mirrors llama.cpp's replacement rules")
  func utf8Decode() {
    let r = UTF8Codec.replacement
    #expect(UTF8Codec.decode([0x61, 0xFF, 0x62]) == [0x61, r, 0x62])
    #expect(UTF8Codec.decode([0xC3]) == [r])
    #expect(UTF8Codec.decode([0xC3, 0x28]) == [r, 0x28])
    #expect(UTF8Codec.decode([0xE2, 0x82, 0xAC]) == [0x20AC])
    #expect(UTF8Codec.decode([0xC0, 0x80]) == [0])  // overlong NUL, as llama.cpp
    #expect(UTF8Codec.decode([0xED, 0xA0, 0x80]) == [0xD800])  // surrogate kept
    #expect(UTF8Codec.decode([0xF4, 0x90, 0x80, 0x80]) == [r, r, r, r])
    #expect(UTF8Codec.decode([0xF0, 0x9F, 0x98, 0x80]) == [0x1F600])
  }
}

@Suite("Tokenizer: vocabulary validation")
struct TokenizerValidationTests {
  func expectError(
    _ status: EdgeLMStatus, containing parts: [String], _ make: () -> Vocabulary,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    do {
      _ = try Tokenizer(vocabulary: make())
      Issue.record("no error thrown", sourceLocation: sourceLocation)
    } catch {
      #expect(error.status == status, "\(error.message)", sourceLocation: sourceLocation)
      for part in parts {
        #expect(error.message.contains(part), "'\(error.message)' lacks '\(part)'", sourceLocation: sourceLocation)
      }
    }
  }

  @Test("the tiny vocabulary is valid")
  func valid() throws {
    _ = try Tokenizer(vocabulary: TinyVocabulary.make())
  }

  @Test("BOS or EOS id out of range is a format error naming the id")
  func idOutOfRange() {
    expectError(.format, containing: ["bos_token_id", "9999"]) {
      var v = TinyVocabulary.make()
      v.bosID = 9999
      return v
    }
    expectError(.format, containing: ["eos_token_id", "-1"]) {
      var v = TinyVocabulary.make()
      v.eosID = -1
      return v
    }
  }

  @Test("duplicate token text is a format error naming both ids")
  func duplicate() {
    expectError(.format, containing: ["token 100", "token 5"]) {
      var v = TinyVocabulary.make()
      v.tokens.set(100, Array(v.tokens[5]))
      return v
    }
  }

  @Test("NUL in a token is a format error naming the id")
  func nul() {
    expectError(.format, containing: ["token 42", "NUL"]) {
      var v = TinyVocabulary.make()
      v.tokens.set(42, [0x61, 0, 0x62])
      return v
    }
  }

  @Test("unknown pre-tokenizer is unsupported and lists the supported ones")
  func unknownPre() {
    expectError(.unsupported, containing: ["'tekken'", "smollm", "llama-bpe", "qwen2", "gpt-2"]) {
      TinyVocabulary.make(pre: "tekken")
    }
  }

  @Test("a tokenizer model other than gpt2 and llama is unsupported")
  func otherModel() {
    expectError(.unsupported, containing: ["'bert'"]) {
      var v = TinyVocabulary.make()
      v.model = "bert"
      return v
    }
  }

  @Test("short token type array and empty vocabulary are format errors")
  func shapes() {
    expectError(.format, containing: ["token_type"]) {
      var v = TinyVocabulary.make()
      v.tokenTypes = [1, 1, 1]
      return v
    }
    expectError(.format, containing: ["empty"]) {
      var v = TinyVocabulary.make()
      v.tokens = ByteStrings()
      v.tokenTypes = []
      v.bosID = nil
      v.eosID = nil
      return v
    }
  }
}

@Suite("UTF8StreamBuffer")
struct UTF8StreamBufferTests {
  @Test("multi-byte characters fed byte by byte come out whole")
  func byteByByte() {
    let text = Array("a€😀中".utf8)
    var buffer = UTF8StreamBuffer()
    var chunks: [[UInt8]] = []
    for b in text {
      chunks.append(buffer.append([b]))
    }
    #expect(buffer.flush() == [])
    #expect(chunks.joined().elementsEqual(text))
    #expect(chunks.filter { !$0.isEmpty }.map { String(decoding: $0, as: UTF8.self) } == ["a", "€", "😀", "中"])
  }

  @Test("invalid bytes pass through, incomplete tails come out on flush")
  func invalid() {
    var buffer = UTF8StreamBuffer()
    #expect(buffer.append([0xFF, 0x41]) == [0xFF, 0x41])
    #expect(buffer.append([0x80]) == [0x80])  // stray continuation
    #expect(buffer.append([0xE0, 0x80]) == [0xE0, 0x80])  // cannot become valid
    #expect(buffer.append([0x42, 0xF0, 0x9F]) == [0x42])
    #expect(buffer.flush() == [0xF0, 0x9F])
    #expect(buffer.flush() == [])
    #expect(buffer.append([0xC3]) == [])
    #expect(buffer.append([0x41]) == [0xC3, 0x41])  // never completed: released
  }
}

@Suite("Tokenizer: GGUF metadata adapter")
struct TokenizerGGUFTests {
  /// A GGUF holding `TinyVocabulary` as tokenizer.ggml.* metadata.
  func writer(pre: String = "gpt-2", merges: Bool = true) -> GGUFWriter {
    let v = TinyVocabulary.make()
    var w = GGUFWriter()
    w.add("tokenizer.ggml.model", .string("gpt2"))
    w.add("tokenizer.ggml.pre", .string(pre))
    w.add("tokenizer.ggml.tokens", .array(GGUFArray(elementType: .string, values: v.tokens.map { .string(Array($0)) })))
    w.add("tokenizer.ggml.token_type", .array(GGUFArray(elementType: .int32, values: v.tokenTypes.map { .int32($0) })))
    if merges {
      w.add("tokenizer.ggml.merges", .array(GGUFArray(elementType: .string, values: v.merges.map { .string(Array($0)) })))
    }
    w.add("tokenizer.ggml.bos_token_id", .uint32(UInt32(v.bosID!)))
    w.add("tokenizer.ggml.eos_token_id", .uint32(UInt32(v.eosID!)))
    w.add("tokenizer.ggml.padding_token_id", .uint32(3))
    w.add("tokenizer.ggml.add_bos_token", .bool(true))
    return w
  }

  @Test("a vocabulary round-trips through GGUF metadata")
  func roundTrip() throws {
    let expected = TinyVocabulary.make()
    try withGGUF(writer().serialize()) { file in
      let v = try Vocabulary(gguf: file)
      #expect(v.model == "gpt2")
      #expect(v.pre == "gpt-2")
      #expect(v.tokens == expected.tokens)
      #expect(v.tokenTypes == expected.tokenTypes)
      #expect(v.merges == expected.merges)
      #expect(v.bosID == expected.bosID)
      #expect(v.eosID == expected.eosID)
      #expect(v.padID == 3)
      #expect(v.addBOS == true)
      #expect(v.addEOS == nil)
      let t = try Tokenizer(gguf: file)
      #expect(t.addBOS)
      #expect(t.padToken == 3)
      #expect(t.tokenize(Array("hello".utf8), addSpecial: true, parseSpecial: false)
        == [Int32(expected.bosID!), TinyVocabulary.id("hello", in: expected)])
    }
  }

  @Test("missing merges, wrong key types and unknown pre are reported")
  func errors() throws {
    _ = try withGGUF(writer(merges: false).serialize()) { file in
      #expect { try Vocabulary(gguf: file) } throws: { e in
        (e as! EdgeLMError).status == .format && (e as! EdgeLMError).message.contains("tokenizer.ggml.merges")
      }
    }
    var w = writer()
    w.add("tokenizer.ggml.eot_token_id", .string("nope"))
    _ = try withGGUF(w.serialize()) { file in
      #expect { try Vocabulary(gguf: file) } throws: { e in
        (e as! EdgeLMError).status == .format && (e as! EdgeLMError).message.contains("eot_token_id")
      }
    }
    _ = try withGGUF(writer(pre: "tekken").serialize()) { file in
      #expect { try Tokenizer(gguf: file) } throws: { e in
        (e as! EdgeLMError).status == .unsupported && (e as! EdgeLMError).message.contains("smollm")
      }
    }
    var empty = GGUFWriter()
    empty.add("general.architecture", .string("llama"))
    _ = try withGGUF(empty.serialize()) { file in
      #expect { try Vocabulary(gguf: file) } throws: { e in
        (e as! EdgeLMError).message.contains("tokenizer.ggml.model")
      }
    }
  }
}
