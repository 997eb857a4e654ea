// The runtime configuration users write as JSON: resource caps (threads, RAM),
// context and KV cache, paging, speculative decoding and sampling. This file
// holds the validated Swift values, their defaults and the public entry
// points; ConfigDecoder.swift maps the json-c tree onto them, and
// StrictJSONScanner.swift rejects what json-c alone would let through.
//
// Example (every key is optional; `{}` gives all defaults):
//
//   {
//     "threads": 2,
//     "ram_limit": "64MiB",
//     "context_length": 2048,
//     "kv_cache_type": "q8_0",
//     "paging": "auto",
//     "prefetch_depth": 2,
//     "load": "map",
//     "speculative": { "mode": "draft", "draft_model": "smollm2-q4_0.gguf", "max_draft": 4 },
//     "sampling": { "temperature": 0.7, "top_k": 40, "top_p": 0.95, "min_p": 0.05,
//                   "repeat_penalty": 1.1, "seed": 42 }
//   }
//
// Rules for every key: integer keys take a JSON integer literal only (`2`, not
// `2.0`, `2e0` or `"2"`); number keys take any finite JSON number; strings are
// matched exactly (case-sensitive). Unknown keys, wrong types, out-of-range
// values, duplicate keys, comments, NaN/Infinity, trailing characters and
// invalid UTF-8 are `.config` errors whose message names the key path
// (`sampling.top_p`) or the byte offset.

import CEdgeSys

// MARK: - Enumerated settings

/// `kv_cache_type`: how keys and values are stored in the KV cache.
public enum KVCacheType: Sendable, Equatable {
  /// `"f16"` (default): half precision, 2 bytes per value.
  case f16
  /// `"q8_0"`: llama.cpp's Q8_0 blocks (32 values + an f16 scale, 34 bytes),
  /// about half the memory of f16.
  case q8_0
  /// `"f32"`: full precision, 4 bytes per value.
  case f32

  /// The spelling used in the config (`"f16"`, `"q8_0"`, `"f32"`).
  public var name: StaticString {
    switch self {
    case .f16: return "f16"
    case .q8_0: return "q8_0"
    case .f32: return "f32"
    }
  }

  /// Looks up a config spelling; nil if it is not one (matching is exact).
  public init?(name: [UInt8]) {
    if ConfigText.equals(name, "f16") { self = .f16 }
    else if ConfigText.equals(name, "q8_0") { self = .q8_0 }
    else if ConfigText.equals(name, "f32") { self = .f32 }
    else { return nil }
  }
}

/// `paging`: whether model layers are streamed from storage instead of being
/// kept resident.
public enum PagingMode: Sendable, Equatable {
  /// `"auto"` (default): stream layers only when the weights do not fit the
  /// RAM cap (`ram_limit`); with no cap, never stream.
  case auto
  /// `"off"`: never stream; loading fails with `.resourceLimit` if the
  /// weights do not fit the cap.
  case off
  /// `"always"`: always stream layers, even when they would fit.
  case always

  /// The spelling used in the config (`"auto"`, `"off"`, `"always"`).
  public var name: StaticString {
    switch self {
    case .auto: return "auto"
    case .off: return "off"
    case .always: return "always"
    }
  }

  /// Looks up a config spelling; nil if it is not one (matching is exact).
  public init?(name: [UInt8]) {
    if ConfigText.equals(name, "auto") { self = .auto }
    else if ConfigText.equals(name, "off") { self = .off }
    else if ConfigText.equals(name, "always") { self = .always }
    else { return nil }
  }
}

/// `load`: whether the model file is mapped or read into memory
/// (`LoadMode`, declared with the mapping in Platform.swift).
extension LoadMode {
  /// Looks up a config spelling; nil if it is not one (matching is exact).
  public init?(name: [UInt8]) {
    if ConfigText.equals(name, "map") { self = .map }
    else if ConfigText.equals(name, "read") { self = .read }
    else { return nil }
  }
}

/// `speculative.mode`: where draft tokens come from.
public enum SpeculativeMode: Sendable, Equatable {
  /// `"off"` (default): plain one-token-at-a-time decoding.
  case off
  /// `"draft"`: a small draft model with the same vocabulary
  /// (`speculative.draft_model`, required in this mode).
  case draft
  /// `"ngram"`: drafts copied from earlier text that continues the last
  /// n-gram (prompt lookup; `ngram_min`/`ngram_max`).
  case ngram
  /// `"self"`: the model itself with some layers skipped
  /// (`speculative.skip_layers`).
  case selfSpeculative

  /// The spelling used in the config (`"off"`, `"draft"`, `"ngram"`, `"self"`).
  public var name: StaticString {
    switch self {
    case .off: return "off"
    case .draft: return "draft"
    case .ngram: return "ngram"
    case .selfSpeculative: return "self"
    }
  }

  /// Looks up a config spelling; nil if it is not one (matching is exact).
  public init?(name: [UInt8]) {
    if ConfigText.equals(name, "off") { self = .off }
    else if ConfigText.equals(name, "draft") { self = .draft }
    else if ConfigText.equals(name, "ngram") { self = .ngram }
    else if ConfigText.equals(name, "self") { self = .selfSpeculative }
    else { return nil }
  }
}

// MARK: - Speculative decoding

/// The `speculative` object. Keys that only one mode uses (`draft_model`,
/// `ngram_min`, `ngram_max`, `skip_layers`) are errors in the other modes, so
/// a config never silently ignores a setting.
public struct SpeculativeConfig: Sendable, Equatable {
  /// `mode`: `"off"` (default), `"draft"`, `"ngram"` or `"self"`.
  public var mode: SpeculativeMode = .off
  /// `draft_model`: path of the draft GGUF, stored as written (relative paths
  /// are not resolved here). Required when `mode` is `"draft"`, an error
  /// otherwise; must not be empty. Default nil.
  public var draftModel: String? = nil
  /// `max_draft`: the most tokens drafted per step, integer 1...64. Default 8.
  public var maxDraft: Int = 8
  /// `draft_vocab`: the draft model scores only token ids 0..<N (mode
  /// `"draft"`), integer 0...16777216, at most the vocabulary size (checked
  /// when the draft model is loaded); 0 (default): every token. BPE
  /// vocabularies number their tokens roughly by frequency, so the first
  /// third or so covers most generated text, and the draft's output
  /// projection, a large part of a small model's cost per token, shrinks
  /// in proportion. Tokens above N are never drafted; the target still
  /// produces them (its verification pass scores every token), so the
  /// output is unchanged.
  public var draftVocabulary: Int = 0
  /// `min_draft_probability`: drafting stops when the draft's probability for
  /// its next token falls below this, number 0...1. Default 0.5.
  public var minDraftProbability: Float = 0.5
  /// `ngram_min`: shortest n-gram to look up (mode `"ngram"`), integer 1...16,
  /// at most `ngram_max`. Default 2.
  public var ngramMin: Int = 2
  /// `ngram_max`: longest n-gram to look up (mode `"ngram"`), integer 1...16.
  /// Default 4.
  public var ngramMax: Int = 4
  /// `skip_layers`: layer indices the draft pass skips (mode `"self"`),
  /// an array of distinct integers 0...1023, checked against the model's layer
  /// count when it is loaded. Default empty: the runtime chooses.
  public var skipLayers: [Int] = []

  /// All defaults (speculation off).
  public init() {}
}

// MARK: - Sampling

/// The `sampling` object. Order of application (as llama.cpp's default
/// chain): repetition penalty, top-k, top-p, min-p, temperature, seeded draw.
public struct SamplingConfig: Sendable, Equatable {
  /// `temperature`: number 0...100; 0 = greedy (argmax). Default 0.8.
  public var temperature: Float = 0.8
  /// `top_k`: keep the k most likely tokens, integer 0...1_000_000;
  /// 0 = off. Default 40.
  public var topK: Int = 40
  /// `top_p`: nucleus sampling mass, number 0...1; 1 = off. Default 0.95.
  public var topP: Float = 0.95
  /// `min_p`: drop tokens below min_p times the top probability, number
  /// 0...1; 0 = off. Default 0.05.
  public var minP: Float = 0.05
  /// `repeat_penalty`: number greater than 0 and at most 100; 1 = off.
  /// Default 1.0.
  public var repeatPenalty: Float = 1.0
  /// `repeat_last_n`: how many recent tokens the penalty looks at, integer
  /// 0...1_000_000. Default 64.
  public var repeatLastN: Int = 64
  /// `seed`: integer 0...9223372036854775807 (2^63-1); the same seed and
  /// inputs give the same tokens. Default 3983415885 (0xED6E1A4D), fixed so
  /// runs are reproducible unless a seed is chosen.
  public var seed: UInt64 = RuntimeConfig.defaultSeed

  /// All defaults.
  public init() {}
}

// MARK: - The whole config

/// A validated runtime configuration. Build one with `init()` (all defaults),
/// `parse(_:)` (JSON bytes) or `load(path:)` (a JSON file).
public struct RuntimeConfig: Sendable, Equatable {
  /// `threads`: the whole thread budget, the caller's thread included: the
  /// runtime never runs more of its own threads than this. Integer 0...256;
  /// 0 (default) = auto, meaning min(online CPUs, 4) (see `resolvedThreads`).
  public var threads: Int = 0
  /// `ram_limit`: cap in bytes on the process's peak RSS attributable to
  /// EdgeLM (weights, KV cache, scratch). 0 (default, or key absent) = no
  /// cap. Either a JSON integer of bytes (0...2^63-1), or a string
  /// `"<number>[ ]<unit>"` (see `parseByteSize`).
  public var ramLimit: Int = 0
  /// `context_length`: tokens of context, integer 0...1_048_576;
  /// 0 (default) = the model's trained context length.
  public var contextLength: Int = 0
  /// `kv_cache_type`: `"f16"` (default), `"q8_0"` or `"f32"`.
  public var kvCacheType: KVCacheType = .f16
  /// `paging`: `"auto"` (default), `"off"` or `"always"`.
  public var paging: PagingMode = .auto
  /// `prefetch_depth`: how many streamed layers (or output chunks) ahead of
  /// the one being computed are handed to the kernel's readahead, integer
  /// 0...64. Default 2. Prefetching fills the page cache only (it adds no
  /// RSS) and runs no thread of its own.
  public var prefetchDepth: Int = 2
  /// `load`: how `edgelm_model_load` brings the model file into memory
  /// (sessions ignore it; a draft model is loaded as its target was).
  /// - `"map"` (default): memory-mapped; layers can be streamed under
  ///   `ram_limit`. The file must not change while loaded: a truncated or
  ///   overwritten file makes every call that runs the model return `.io`
  ///   (never a signal); replace a model by renaming a new file over it.
  /// - `"read"`: read whole into anonymous memory at load (llama.cpp's
  ///   `--no-mmap`), so the file may change or vanish afterwards. All of it
  ///   is resident, so nothing is streamed: with a `ram_limit` below the
  ///   file size loading fails, and a session whose needs exceed the cap
  ///   fails with `.resourceLimit` naming `load: "read"`; `paging:
  ///   "always"` is then a `.config` error.
  public var load: LoadMode = .map
  /// `speculative`: an object, see `SpeculativeConfig`. Default: off.
  public var speculative = SpeculativeConfig()
  /// `sampling`: an object, see `SamplingConfig`.
  public var sampling = SamplingConfig()

  /// All defaults (the values `{}` gives).
  public init() {}

  /// Largest accepted config text: 1 MiB.
  public static let maxInputBytes = 1 << 20
  /// Deepest accepted nesting of objects and arrays (the top-level object
  /// is level 1).
  public static let maxDepth = 32
  /// Largest `threads`.
  public static let maxThreads = 256
  /// Largest `prefetch_depth`.
  public static let maxPrefetchDepth = 64
  /// Largest `context_length`.
  public static let maxContextLength = 1 << 20
  /// The default sampling seed, 0xED6E1A4D.
  public static let defaultSeed: UInt64 = 0xED6E_1A4D

  /// The thread count to use: `threads`, or min(`onlineCPUs`, 4) when it is
  /// 0 (auto). Always at least 1.
  public func resolvedThreads(onlineCPUs: Int) -> Int {
    if threads > 0 { return threads }
    return max(1, min(onlineCPUs, 4))
  }

  // MARK: Parsing

  /// Parses and validates a JSON config.
  /// - Parameter json: the UTF-8 text of one JSON object (at most 1 MiB).
  /// - Returns: the config, with defaults for absent keys.
  /// - Throws: `.config` naming the key path (`sampling.top_p`) or byte
  ///   offset and the reason; `.outOfMemory` if json-c cannot allocate.
  public static func parse(_ json: [UInt8]) throws(EdgeLMError) -> RuntimeConfig {
    var result: Result<RuntimeConfig, EdgeLMError> = .failure(EdgeLMError(.internal, "config: not parsed"))
    json.withUnsafeBytes { bytes in
      do throws(EdgeLMError) { result = .success(try parse(bytes)) } catch { result = .failure(error) }
    }
    return try result.get()
  }

  /// Parses and validates a JSON config held in memory (not retained).
  /// - Parameter json: the UTF-8 text of one JSON object (at most 1 MiB).
  /// - Returns: the config, with defaults for absent keys.
  /// - Throws: `.config` naming the key path or byte offset and the reason;
  ///   `.outOfMemory` if json-c cannot allocate.
  public static func parse(_ json: UnsafeRawBufferPointer) throws(EdgeLMError) -> RuntimeConfig {
    // Checks that need no JSON first: size, emptiness, encoding.
    if json.count > maxInputBytes {
      throw EdgeLMError(.config, "config: input is \(json.count) bytes; the limit is \(maxInputBytes) bytes (1 MiB)")
    }
    if json.count == 0 {
      throw EdgeLMError(.config, "config: empty input (expected a JSON object such as {\"threads\": 2})")
    }
    var onlyWhitespace = true
    for b in json where !StrictJSONScanner.isWhitespace(b) { onlyWhitespace = false; break }
    if onlyWhitespace {
      throw EdgeLMError(.config, "config: input is only whitespace (expected a JSON object such as {\"threads\": 2})")
    }
    if let bad = UTF8Check.firstInvalidOffset(json) {
      throw EdgeLMError(.config, "config: invalid UTF-8 (byte 0x\(ConfigText.hex(json[bad]))) at "
        + ConfigText.location(json, bad))
    }
    // The strict scan: full JSON grammar plus the rules json-c does not
    // enforce (duplicates, NaN, comments, single quotes, int64 overflow...).
    var scanner = StrictJSONScanner(json)
    try scanner.run()
    // json-c builds the tree; the decoder type-checks and range-checks it.
    return try ConfigDecoder.decode(json, values: scanner.values)
  }

  /// Reads and parses a JSON config file.
  /// - Parameter path: the file; regular files over 1 MiB are rejected
  ///   without being read (a model passed here by mistake is not loaded).
  /// - Returns: the config, with defaults for absent keys.
  /// - Throws: `.io` naming the path if it cannot be read; otherwise the
  ///   errors of `parse(_:)` with `path: ` prefixed to the message.
  public static func load(path: String) throws(EdgeLMError) -> RuntimeConfig {
    // A regular file's size is checked before any byte is read; pipes and
    // devices (size unknown) are read and then checked by `parse`.
    let size = edgelm_sys_regular_file_size(path)
    if size > Int64(maxInputBytes) {
      throw EdgeLMError(.config, path + ": config: file is \(size) bytes; the limit is \(maxInputBytes) bytes (1 MiB)")
    }
    // read() gives the OS's reason, with the path, if the file cannot be read.
    let bytes = try FileIO.readAll(path: path)
    do throws(EdgeLMError) {
      return try parse(bytes)
    } catch {
      throw EdgeLMError(error.status, path + ": " + error.message)
    }
  }

  /// Parses a byte size as `ram_limit` and the CLI's `--ram-limit` take it:
  /// `<number>[ ]<unit>` with
  /// - number: decimal digits, optionally `.digits` (the result is rounded
  ///   down to whole bytes: `"1.5KiB"` = 1536, `"0.5B"` = 0); no sign, no
  ///   exponent, no leading or trailing whitespace;
  /// - at most one space between number and unit;
  /// - unit (case-sensitive): none or `B` (bytes); binary `KiB` `MiB` `GiB`
  ///   `TiB` (1024^n); decimal `KB`/`kB` `MB` `GB` `TB` (1000^n, as SI and
  ///   disk makers use them: `"64MB"` = 64_000_000).
  ///
  /// `"64MiB"` -> 67108864. Values above 2^63-1 bytes are rejected.
  /// - Returns: the byte count, or nil if `text` is not such a size.
  public static func parseByteSize(_ text: [UInt8]) -> Int? {
    switch ByteSize.parse(text) {
    case .bytes(let n): return n
    case .invalid: return nil
    }
  }
}
