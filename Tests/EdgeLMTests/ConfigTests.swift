import Foundation
import Testing
@testable import EdgeLM

/// One config that must be rejected with `.config`, and a piece of the message.
struct MalformedConfig: Sendable, CustomTestStringConvertible {
  let name: String
  let json: [UInt8]
  let expected: String

  init(_ name: String, _ json: String, _ expected: String) {
    self.name = name
    self.json = Array(json.utf8)
    self.expected = expected
  }

  init(_ name: String, bytes: [UInt8], _ expected: String) {
    self.name = name
    self.json = bytes
    self.expected = expected
  }

  var testDescription: String { name }
}

private func parseError(_ bytes: [UInt8]) -> EdgeLMError? {
  do {
    _ = try RuntimeConfig.parse(bytes)
    return nil
  } catch {
    return error
  }
}

private func loadError(_ path: String) -> EdgeLMError? {
  do {
    _ = try RuntimeConfig.load(path: path)
    return nil
  } catch {
    return error
  }
}

private func parse(_ json: String) throws -> RuntimeConfig {
  try RuntimeConfig.parse(Array(json.utf8))
}

private let deepObject = String(repeating: "{\"a\":", count: 100) + "1" + String(repeating: "}", count: 100)
private let deepArray = "{\"speculative\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"

let malformedConfigs: [MalformedConfig] = [
  // Unknown keys.
  .init("unknown top-level key", #"{"thread": 2}"#, "unknown key thread (known top-level keys: threads, ram_limit"),
  .init("unknown sampling key", #"{"sampling": {"topp": 0.9}}"#, "unknown key sampling.topp (known keys in sampling: temperature"),
  .init("unknown speculative key", #"{"speculative": {"mode": "off", "draft": 1}}"#, "unknown key speculative.draft"),
  .init("unknown odd key", #"{"top p": 1}"#, #"unknown key ["top p"]"#),
  // Wrong types, one per kind.
  .init("threads as string", #"{"threads": "2"}"#, #"threads must be an integer, found the string "2""#),
  .init("threads as 2.5", #"{"threads": 2.5}"#, "threads must be an integer (no fraction or exponent), found 2.5"),
  .init("threads as 2.0", #"{"threads": 2.0}"#, "threads must be an integer (no fraction or exponent), found 2.0"),
  .init("threads as 2e0", #"{"threads": 2e0}"#, "found 2e0"),
  .init("threads as boolean", #"{"threads": true}"#, "threads must be an integer, found true"),
  .init("threads as null", #"{"threads": null}"#, "threads must be an integer, found null (remove the key to use the default)"),
  .init("top_p as string", #"{"sampling": {"top_p": "0.9"}}"#, #"sampling.top_p must be a number, found the string "0.9""#),
  .init("kv_cache_type as number", #"{"kv_cache_type": 8}"#, "kv_cache_type must be a string, found 8"),
  .init("sampling as array", #"{"sampling": [1]}"#, "sampling must be an object, found an array"),
  .init("sampling as number", #"{"sampling": 1}"#, "sampling must be an object, found 1"),
  .init("speculative as string", #"{"speculative": "draft"}"#, #"speculative must be an object, found the string "draft""#),
  .init("skip_layers as object", #"{"speculative": {"mode": "self", "skip_layers": {}}}"#, "speculative.skip_layers must be an array of layer indices, found an object"),
  .init("draft_model as number", #"{"speculative": {"mode": "draft", "draft_model": 1}}"#, "speculative.draft_model must be a string, found 1"),
  .init("ram_limit as array", #"{"ram_limit": []}"#, "ram_limit must be a number of bytes or a string"),
  // Out of range.
  .init("threads -1", #"{"threads": -1}"#, "threads = -1 is out of range 0...256"),
  .init("threads 257", #"{"threads": 257}"#, "threads = 257 is out of range 0...256"),
  .init("context_length too big", #"{"context_length": 1048577}"#, "context_length = 1048577 is out of range 0...1048576"),
  .init("top_p 1.5", #"{"sampling": {"top_p": 1.5}}"#, "config: sampling.top_p = 1.5 is out of range 0...1"),
  .init("temperature negative", #"{"sampling": {"temperature": -0.1}}"#, "sampling.temperature = -0.1 is out of range 0...100"),
  .init("repeat_penalty 0", #"{"sampling": {"repeat_penalty": 0}}"#, "sampling.repeat_penalty = 0 is out of range 0...100, excluding 0"),
  .init("seed negative", #"{"sampling": {"seed": -1}}"#, "sampling.seed = -1 is out of range 0...9223372036854775807"),
  .init("top_k fraction", #"{"sampling": {"top_k": 1.5}}"#, "sampling.top_k must be an integer"),
  .init("max_draft 0", #"{"speculative": {"max_draft": 0}}"#, "speculative.max_draft = 0 is out of range 1...64"),
  .init("max_draft 65", #"{"speculative": {"max_draft": 65}}"#, "speculative.max_draft = 65 is out of range 1...64"),
  .init("draft_vocab -1", #"{"speculative": {"mode": "draft", "draft_model": "d.gguf", "draft_vocab": -1}}"#, "speculative.draft_vocab = -1 is out of range 0...16777216"),
  .init("draft_vocab without a draft", #"{"speculative": {"mode": "ngram", "draft_vocab": 100}}"#, "speculative.draft_vocab is only used when speculative.mode is \"draft\""),
  .init("min_draft_probability 2", #"{"speculative": {"min_draft_probability": 2}}"#, "speculative.min_draft_probability = 2 is out of range 0...1"),
  .init("huge double", #"{"sampling": {"top_p": 1e400}}"#, "sampling.top_p = 1e400 is out of range 0...1"),
  .init("threads Int64.min", #"{"threads": -9223372036854775808}"#, "threads = -9223372036854775808 is out of range"),
  // Enumerations.
  .init("kv_cache_type q4_0", #"{"kv_cache_type": "q4_0"}"#, #"kv_cache_type = "q4_0" is not one of "f16", "q8_0" or "f32""#),
  .init("paging upper case", #"{"paging": "AUTO"}"#, #"paging = "AUTO" is not one of"#),
  .init("mode unknown", #"{"speculative": {"mode": "Draft"}}"#, #"speculative.mode = "Draft" is not one of"#),
  .init("load mmap", #"{"load": "mmap"}"#, #"config: load = "mmap" is not one of "map" or "read""#),
  .init("load upper case", #"{"load": "READ"}"#, #"config: load = "READ" is not one of "map" or "read""#),
  .init("load as boolean", #"{"load": true}"#, "config: load must be a string, found true"),
  // ram_limit.
  .init("ram_limit trailing space", #"{"ram_limit": "2GB "}"#, #"ram_limit = "2GB " has unexpected characters after the unit"#),
  .init("ram_limit negative string", #"{"ram_limit": "-1MiB"}"#, #"ram_limit = "-1MiB" is negative"#),
  .init("ram_limit unknown unit", #"{"ram_limit": "12XB"}"#, #"ram_limit = "12XB" has an unknown unit "XB""#),
  .init("ram_limit empty", #"{"ram_limit": ""}"#, #"ram_limit = "" is empty"#),
  .init("ram_limit 1e30", #"{"ram_limit": 1e30}"#, "ram_limit = 1e30 must be a whole number of bytes"),
  .init("ram_limit overflow literal", #"{"ram_limit": 99999999999999999999}"#, "ram_limit = 99999999999999999999 is outside the 64-bit integer range"),
  .init("ram_limit overflow string", #"{"ram_limit": "9000000TiB"}"#, "is too large"),
  .init("ram_limit negative number", #"{"ram_limit": -5}"#, "ram_limit = -5 is negative"),
  .init("ram_limit double space", #"{"ram_limit": "2  GB"}"#, "more than one space"),
  .init("ram_limit lower case unit", #"{"ram_limit": "64mib"}"#, #"unknown unit "mib""#),
  .init("int64 underflow", #"{"threads": -9223372036854775809}"#, "threads = -9223372036854775809 is outside the 64-bit integer range"),
  // Duplicates.
  .init("duplicate top-level key", #"{"threads": 1, "threads": 2}"#, "duplicate key threads at offset 15 (line 1, column 16)"),
  .init("duplicate nested key", #"{"sampling": {"top_p": 0.5, "top_k": 1, "top_p": 0.6}}"#, "duplicate key sampling.top_p"),
  .init("duplicate key through an escape", #"{"sampling": {"top_p": 0.5, "top\u005fp": 0.6}}"#, "duplicate key sampling.top_p"),
  .init("duplicate key in unknown object", #"{"x": {"y": 1, "y": 2}}"#, "duplicate key x.y"),
  // Syntax json-c is lenient about, and plain syntax errors.
  .init("trailing garbage", "{} x", "trailing characters at offset 3"),
  .init("two objects", "{}{}", "trailing characters at offset 2"),
  .init("block comment", "{/* c */}", "comments are not allowed"),
  .init("line comment", "{\"threads\": 2 // two\n}", "comments are not allowed"),
  .init("comment after the object", "{} // end", "trailing characters at offset 3 (line 1, column 4) (comments are not allowed in JSON)"),
  .init("NaN", #"{"sampling": {"top_p": NaN}}"#, "config: sampling.top_p: NaN is not valid JSON at offset 23"),
  .init("Infinity", #"{"sampling": {"temperature": Infinity}}"#, "sampling.temperature: Infinity is not valid JSON"),
  .init("-Infinity", #"{"sampling": {"temperature": -Infinity}}"#, "sampling.temperature: -Infinity is not valid JSON"),
  .init("single quotes", #"{'threads': 2}"#, "double quotes"),
  .init("unquoted key", #"{threads: 2}"#, "unexpected character 't', expected a double-quoted key"),
  .init("trailing comma in object", #"{"threads": 2,}"#, "trailing comma before '}'"),
  .init("trailing comma in array", #"{"speculative": {"mode": "self", "skip_layers": [1,]}}"#, "trailing comma before ']'"),
  .init("missing colon", #"{"threads" 2}"#, "expected ':' after the key"),
  .init("leading zero", #"{"threads": 02}"#, "threads: invalid number: leading zeros are not allowed"),
  .init("bad literal", #"{"threads": tru}"#, "threads: invalid literal (expected true)"),
  .init("unterminated string", #"{"speculative": {"draft_model": "abc"#, "speculative.draft_model: unterminated string starting at offset 32"),
  .init("unterminated object", #"{"threads": 2"#, "unexpected end of input in an object (missing '}')"),
  .init("raw tab in a string", "{\"paging\": \"a\tb\"}", "paging: control character 0x09 in a string must be escaped"),
  .init("NUL escape", #"{"paging": "a\u0000"}"#, "\\u0000 (NUL) is not allowed"),
  .init("lone high surrogate", #"{"paging": "\ud800x"}"#, "unpaired surrogate escape"),
  .init("lone low surrogate", #"{"paging": "\udc00"}"#, "unpaired surrogate escape"),
  .init("bad escape", #"{"paging": "\x41"}"#, "invalid escape '\\x'"),
  .init("top-level array", "[1, 2]", "the top level must be a JSON object ({...}), found an array"),
  .init("top-level string", #""threads""#, "the top level must be a JSON object ({...}), found a string"),
  .init("top-level number", "2", "found a number"),
  .init("empty input", "", "config: empty input"),
  .init("only whitespace", " \n\t\r\n ", "config: input is only whitespace"),
  .init("deep object nesting", deepObject, "nesting deeper than 32 levels"),
  .init("deep array nesting", deepArray, "nesting deeper than 32 levels"),
  // Encoding.
  .init("invalid UTF-8 in a string", bytes: Array(#"{"paging": "a"#.utf8) + [0xFF] + Array(#""}"#.utf8), "invalid UTF-8 (byte 0xFF) at offset 13"),
  .init("invalid UTF-8 outside strings", bytes: [0x7B, 0x20, 0xC3, 0x7D], "invalid UTF-8 (byte 0xC3) at offset 2"),
  .init("overlong UTF-8", bytes: Array(#"{"paging": ""#.utf8) + [0xC0, 0x80] + Array(#""}"#.utf8), "invalid UTF-8 (byte 0xC0) at offset 12"),
  .init("UTF-8 encoded surrogate", bytes: Array(#"{"paging": ""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8), "invalid UTF-8 (byte 0xED) at offset 12"),
  .init("truncated UTF-8", bytes: Array(#"{"paging": ""#.utf8) + [0xE2, 0x82], "invalid UTF-8 (byte 0xE2) at offset 12"),
  .init("byte order mark", bytes: [0xEF, 0xBB, 0xBF] + Array("{}".utf8), "byte order mark"),
  .init("raw NUL byte", bytes: [0x7B, 0x00, 0x7D], "unexpected byte 0x00"),
  // Cross-key rules of `speculative`.
  .init("draft without draft_model", #"{"speculative": {"mode": "draft"}}"#, #"speculative.draft_model is required when speculative.mode is "draft""#),
  .init("draft_model without draft mode", #"{"speculative": {"draft_model": "d.gguf"}}"#, #"speculative.draft_model is only used when speculative.mode is "draft" (it is "off")"#),
  .init("empty draft_model", #"{"speculative": {"mode": "draft", "draft_model": ""}}"#, "speculative.draft_model must not be empty"),
  .init("ngram_min > ngram_max", #"{"speculative": {"mode": "ngram", "ngram_min": 5, "ngram_max": 4}}"#, "speculative.ngram_min (5) must not be greater than speculative.ngram_max (4)"),
  .init("ngram_min > default ngram_max", #"{"speculative": {"mode": "ngram", "ngram_min": 6}}"#, "speculative.ngram_max (4, the default)"),
  .init("ngram_min 0", #"{"speculative": {"mode": "ngram", "ngram_min": 0}}"#, "speculative.ngram_min = 0 is out of range 1...16"),
  .init("ngram keys in draft mode", #"{"speculative": {"mode": "draft", "draft_model": "d.gguf", "ngram_max": 3}}"#, #"speculative.ngram_max is only used when speculative.mode is "ngram" (it is "draft")"#),
  .init("skip_layers outside self mode", #"{"speculative": {"skip_layers": [1]}}"#, #"speculative.skip_layers is only used when speculative.mode is "self""#),
  .init("skip_layers repeated", #"{"speculative": {"mode": "self", "skip_layers": [3, 1, 3]}}"#, "speculative.skip_layers[2] = 3 repeats an earlier layer"),
  .init("skip_layers out of range", #"{"speculative": {"mode": "self", "skip_layers": [1024]}}"#, "speculative.skip_layers[0] = 1024 is out of range 0...1023"),
  .init("skip_layers negative", #"{"speculative": {"mode": "self", "skip_layers": [0, -1]}}"#, "speculative.skip_layers[1] = -1 is out of range"),
  .init("skip_layers with a string", #"{"speculative": {"mode": "self", "skip_layers": ["1"]}}"#, #"speculative.skip_layers[0] must be an integer, found the string "1""#),
]

@Suite struct ConfigTests {
  // MARK: - Valid configs

  @Test func parsesTheDocumentedExample() throws {
    let c = try parse("""
      {
        "threads": 2,
        "ram_limit": "64MiB",
        "context_length": 2048,
        "kv_cache_type": "q8_0",
        "paging": "auto",
        "speculative": { "mode": "draft", "draft_model": "smollm2-q4_0.gguf", "max_draft": 4 },
        "sampling": { "temperature": 0.7, "top_k": 40, "top_p": 0.95, "min_p": 0.05,
                      "repeat_penalty": 1.1, "seed": 42 }
      }
      """)
    #expect(c.threads == 2)
    #expect(c.ramLimit == 64 * 1024 * 1024)
    #expect(c.contextLength == 2048)
    #expect(c.kvCacheType == .q8_0)
    #expect(c.paging == .auto)
    #expect(c.speculative.mode == .draft)
    #expect(c.speculative.draftModel == "smollm2-q4_0.gguf")
    #expect(c.speculative.maxDraft == 4)
    #expect(c.speculative.minDraftProbability == 0.5)
    #expect(c.sampling.temperature == 0.7)
    #expect(c.sampling.topK == 40)
    #expect(c.sampling.topP == 0.95)
    #expect(c.sampling.minP == 0.05)
    #expect(c.sampling.repeatPenalty == 1.1)
    #expect(c.sampling.repeatLastN == 64)
    #expect(c.sampling.seed == 42)
  }

  @Test func emptyObjectGivesTheDefaults() throws {
    let c = try parse("{}")
    #expect(c == RuntimeConfig())
    #expect(c.threads == 0)
    #expect(c.ramLimit == 0)
    #expect(c.contextLength == 0)
    #expect(c.kvCacheType == .f16)
    #expect(c.paging == .auto)
    #expect(c.load == .map)
    #expect(c.speculative.mode == .off)
    #expect(c.speculative.draftModel == nil)
    #expect(c.speculative.maxDraft == 8)
    #expect(c.speculative.minDraftProbability == 0.5)
    #expect(c.speculative.ngramMin == 2)
    #expect(c.speculative.ngramMax == 4)
    #expect(c.speculative.skipLayers.isEmpty)
    #expect(c.sampling.temperature == 0.8)
    #expect(c.sampling.topK == 40)
    #expect(c.sampling.topP == 0.95)
    #expect(c.sampling.minP == 0.05)
    #expect(c.sampling.repeatPenalty == 1.0)
    #expect(c.sampling.repeatLastN == 64)
    #expect(c.sampling.seed == 0xED6E_1A4D)
    // Whitespace of every JSON kind around and inside; empty nested objects.
    #expect(try parse(" \t\r\n{ \"sampling\" : { } ,\r\n\"speculative\":{}}\n\n") == RuntimeConfig())
  }

  @Test func threadsZeroMeansAuto() throws {
    #expect(try parse(#"{"threads": 0}"#).threads == 0)
    #expect(try parse(#"{"threads": 256}"#).threads == 256)
    #expect(try parse(#"{"threads": 1}"#).resolvedThreads(onlineCPUs: 8) == 1)
    #expect(RuntimeConfig().resolvedThreads(onlineCPUs: 8) == 4)
    #expect(RuntimeConfig().resolvedThreads(onlineCPUs: 2) == 2)
    #expect(RuntimeConfig().resolvedThreads(onlineCPUs: 0) == 1)
  }

  @Test func everyModeAndChoice() throws {
    let ngram = try parse(#"{"speculative": {"mode": "ngram", "ngram_min": 1, "ngram_max": 16, "max_draft": 64, "min_draft_probability": 0}}"#)
    #expect(ngram.speculative.mode == .ngram)
    #expect(ngram.speculative.ngramMin == 1 && ngram.speculative.ngramMax == 16)
    #expect(ngram.speculative.maxDraft == 64 && ngram.speculative.minDraftProbability == 0)
    let selfSpec = try parse(#"{"speculative": {"mode": "self", "skip_layers": [5, 0, 1023]}}"#)
    #expect(selfSpec.speculative.mode == .selfSpeculative)
    #expect(selfSpec.speculative.skipLayers == [5, 0, 1023])
    #expect(try parse(#"{"speculative": {"mode": "self", "skip_layers": []}}"#).speculative.skipLayers == [])
    #expect(try parse(#"{"speculative": {"mode": "off", "max_draft": 3}}"#).speculative.mode == .off)
    let vocab = try parse(#"{"speculative": {"mode": "draft", "draft_model": "d.gguf", "draft_vocab": 16384}}"#)
    #expect(vocab.speculative.draftVocabulary == 16384 && RuntimeConfig().speculative.draftVocabulary == 0)
    #expect(try parse(#"{"kv_cache_type": "f32", "paging": "always"}"#).kvCacheType == .f32)
    #expect(try parse(#"{"kv_cache_type": "f16", "paging": "off"}"#).paging == .off)
    #expect(KVCacheType(name: Array("q8_0".utf8)) == .q8_0)
    #expect(SpeculativeMode(name: Array("self".utf8)) == .selfSpeculative)
    #expect(PagingMode(name: Array("never".utf8)) == nil)
    #expect(try parse(#"{"load": "read"}"#).load == .read)
    #expect(try parse(#"{"load": "map", "ram_limit": "64MiB"}"#).load == .map)
    #expect(LoadMode(name: Array("read".utf8)) == .read && LoadMode(name: Array("".utf8)) == nil)
  }

  @Test func samplingBoundsAreInclusive() throws {
    let lo = try parse(#"{"sampling": {"temperature": 0, "top_k": 0, "top_p": 0, "min_p": 0, "repeat_penalty": 0.001, "repeat_last_n": 0, "seed": 0}}"#).sampling
    #expect(lo.temperature == 0 && lo.topK == 0 && lo.topP == 0 && lo.minP == 0 && lo.repeatLastN == 0 && lo.seed == 0)
    #expect(lo.repeatPenalty == 0.001)
    let hi = try parse(#"{"sampling": {"temperature": 100, "top_k": 1000000, "top_p": 1, "min_p": 1.0, "repeat_penalty": 100, "repeat_last_n": 1000000, "seed": 9223372036854775807}}"#).sampling
    #expect(hi.temperature == 100 && hi.topK == 1_000_000 && hi.topP == 1 && hi.minP == 1)
    #expect(hi.repeatPenalty == 100 && hi.repeatLastN == 1_000_000 && hi.seed == UInt64(Int64.max))
    // -0 is 0; exponents are fine for number keys.
    let z = try parse(#"{"sampling": {"temperature": -0.0, "top_p": 9.5E-1}}"#).sampling
    #expect(z.temperature == 0 && z.temperature.sign == .plus)
    #expect(z.topP == 0.95)
    #expect(try parse(#"{"context_length": 1048576}"#).contextLength == 1 << 20)
  }

  @Test func nonASCIIPathsAreKept() throws {
    // Raw UTF-8, \u escapes and a surrogate pair all decode to the same text.
    let raw = try parse(#"{"speculative": {"mode": "draft", "draft_model": "/mnt/modèles/小-😀.gguf"}}"#)
    #expect(raw.speculative.draftModel == "/mnt/modèles/小-😀.gguf")
    let escaped = try parse(#"{"speculative": {"mode": "draft", "draft_model": "\/mnt\/mod\u00e8les\/\u5c0f-\ud83d\ude00.gguf"}}"#)
    #expect(escaped.speculative.draftModel == "/mnt/modèles/小-😀.gguf")
    // A key spelled with an escape is the same key.
    #expect(try parse(#"{"thre\u0061ds": 3}"#).threads == 3)
  }

  // MARK: - ram_limit and byte sizes

  @Test(arguments: [
    ("0", 0), ("4096", 4096), ("17B", 17), ("17 B", 17),
    ("1KiB", 1 << 10), ("64MiB", 64 << 20), ("2GiB", 2 << 30), ("3TiB", 3 << 40),
    ("1KB", 1000), ("1kB", 1000), ("64MB", 64_000_000), ("2GB", 2_000_000_000), ("3TB", 3_000_000_000_000),
    ("64 MiB", 64 << 20), ("1.5GiB", 1_610_612_736), ("1.5KiB", 1536), ("0.5B", 0), ("1.9", 1),
    ("0.001KiB", 1), ("0.0009765625KiB", 1), ("0.0009765624KiB", 0), ("2.5 MB", 2_500_000),
    ("8388607TiB", 8_388_607 << 40), ("9223372036854775807", Int(Int64.max)),
    ("0.0000000000009094947017729282379150390625TiB", 1),
  ] as [(String, Int)])
  func byteSizes(_ text: String, _ bytes: Int) throws {
    #expect(RuntimeConfig.parseByteSize(Array(text.utf8)) == bytes)
    #expect(try parse("{\"ram_limit\": \"\(text)\"}").ramLimit == bytes)
  }

  @Test(arguments: [
    "", " ", "1 ", " 1", "1  MiB", "-1", "+1", ".5", "1.", "1.5.2", "1e3", "1MiB ", "1 MiB x", "MiB",
    "1mib", "1K", "1EiB", "9223372036854775808", "8388608TiB", "1x", "1\tMiB", "0x10",
  ])
  func invalidByteSizes(_ text: String) {
    #expect(RuntimeConfig.parseByteSize(Array(text.utf8)) == nil)
  }

  @Test func ramLimitAsAnInteger() throws {
    #expect(try parse(#"{"ram_limit": 0}"#).ramLimit == 0)
    #expect(try parse(#"{"ram_limit": 1073741824}"#).ramLimit == 1 << 30)
    #expect(try parse(#"{"ram_limit": 9223372036854775807}"#).ramLimit == Int(Int64.max))
    #expect(try parse(#"{"ram_limit": -0}"#).ramLimit == 0)
  }

  // MARK: - Malformed configs

  @Test(arguments: malformedConfigs)
  func rejects(_ c: MalformedConfig) {
    guard let error = parseError(c.json) else {
      Issue.record("\(c.name): accepted")
      return
    }
    #expect(error.status == .config)
    #expect(error.message.hasPrefix("config: "), "\(error.message)")
    #expect(error.message.contains(c.expected), "\(c.name): \(error.message)")
  }

  @Test func longKeysAreCutInMessages() {
    let key = String(repeating: "k", count: 5000)
    let message = parseError(Array("{\"\(key)\": 1}".utf8))?.message ?? ""
    #expect(message.hasPrefix("config: unknown key [\"kkkk"))
    #expect(message.contains("...\"]"))
    #expect(message.utf8.count < 300)
  }

  @Test func errorsGiveLineAndColumn() {
    let text = "{\n  \"threads\": 2,\n  \"paging\": NaN\n}"
    let error = parseError(Array(text.utf8))
    #expect(error?.message == "config: paging: NaN is not valid JSON at offset 30 (line 3, column 13)")
  }

  @Test func rejectsOversizedInput() {
    var big = Array("{\"threads\": 2".utf8)
    big += [UInt8](repeating: 0x20, count: RuntimeConfig.maxInputBytes)
    big.append(0x7D)
    let error = parseError(big)
    #expect(error?.status == .config)
    #expect(error?.message.contains("the limit is 1048576 bytes") == true)
    // Exactly at the limit is fine.
    var fits = Array("{}".utf8)
    fits += [UInt8](repeating: 0x0A, count: RuntimeConfig.maxInputBytes - 2)
    #expect(parseError(fits) == nil)
  }

  @Test func parsesFromARawBuffer() throws {
    let bytes = Array(#"{"threads": 3} "#.utf8)
    let c = try bytes.withUnsafeBytes { try RuntimeConfig.parse($0) }
    #expect(c.threads == 3)
    let empty = UnsafeRawBufferPointer(start: nil, count: 0)
    #expect(throws: EdgeLMError.self) { try RuntimeConfig.parse(empty) }
  }

  @Test func keepsErrorOrderOfTheDocument() {
    // The first bad key in document order is reported.
    let error = parseError(Array(#"{"threads": 999, "paging": "x"}"#.utf8))
    #expect(error?.message == "config: threads = 999 is out of range 0...256 (0 = auto)")
  }

  // MARK: - Files

  @Test func loadsFiles() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgelm-config-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }

    let good = dir.appendingPathComponent("good.json")
    try Data(#"{"threads": 2, "ram_limit": "1GiB"}"#.utf8).write(to: good)
    let c = try RuntimeConfig.load(path: good.path)
    #expect(c.threads == 2 && c.ramLimit == 1 << 30)

    let bad = dir.appendingPathComponent("bad.json")
    try Data(#"{"sampling": {"top_p": 1.5}}"#.utf8).write(to: bad)
    let badError = loadError(bad.path)
    #expect(badError?.status == .config)
    #expect(badError?.message == bad.path + ": config: sampling.top_p = 1.5 is out of range 0...1")

    let empty = dir.appendingPathComponent("empty.json")
    try Data().write(to: empty)
    #expect(loadError(empty.path)?.message == empty.path + ": config: empty input (expected a JSON object such as {\"threads\": 2})")

    let missing = dir.appendingPathComponent("missing.json").path
    let missingError = loadError(missing)
    #expect(missingError?.status == .io)
    #expect(missingError?.message.contains(missing) == true, "\(String(describing: missingError?.message))")

    let dirError = loadError(dir.path)
    #expect(dirError?.status == .io)
    #expect(dirError?.message.contains(dir.path) == true, "\(String(describing: dirError?.message))")

    // Too big: rejected from the size alone.
    let huge = dir.appendingPathComponent("huge.json")
    _ = FileManager.default.createFile(atPath: huge.path, contents: nil)
    let handle = try FileHandle(forWritingTo: huge)
    try handle.truncate(atOffset: 64 << 20)
    try handle.close()
    let hugeError = loadError(huge.path)
    #expect(hugeError?.status == .config)
    #expect(hugeError?.message.contains("file is 67108864 bytes") == true)
  }
}
