// json-c tree -> RuntimeConfig. json-c parses (strict mode, UTF-8 checked);
// this file owns the json-c objects (one json_object_put on the root frees
// the tree on every path) and reads values only after checking their type
// with json_object_get_type: none of json-c's lenient coercions (string ->
// int, double -> int) is ever used. The StrictJSONScanner has already
// accepted the bytes, so json-c errors here are defence in depth.

import CJSONC

/// A json-c value; nil is JSON null (json-c's representation).
typealias JSONValue = OpaquePointer?

enum ConfigDecoder {
  // MARK: - Parsing with json-c

  /// Parses `json` with a strict json-c tokener and decodes the tree.
  /// - Parameter values: how many values the StrictJSONScanner counted;
  ///   a tree with fewer lost some to a failed allocation (json-c adds
  ///   members and elements without checking), and is refused rather than
  ///   run without, say, its ram_limit.
  static func decode(_ json: UnsafeRawBufferPointer, values: Int) throws(EdgeLMError) -> RuntimeConfig {
    guard let base = json.baseAddress, json.count > 0, json.count <= Int(Int32.max) else {
      throw EdgeLMError(.config, "config: empty input")
    }
    // Room beyond the scanner's limit, so the scanner's message is the one users see.
    guard let tok = json_tokener_new_ex(Int32(RuntimeConfig.maxDepth + 2)) else {
      throw EdgeLMError(.outOfMemory, "config: cannot allocate a json-c tokener")
    }
    defer { json_tokener_free(tok) }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8)
    let root = json_tokener_parse_ex(tok, base.assumingMemoryBound(to: CChar.self), Int32(json.count))
    let error = json_tokener_get_error(tok)
    let end = json_tokener_get_parse_end(tok)
    guard let root, error == json_tokener_success else {
      if let root { json_object_put(root) }
      if error == json_tokener_success {
        // No tree and no error: json-c's own allocation failed.
        throw EdgeLMError(.outOfMemory, "config: json-c ran out of memory parsing the config")
      }
      let reason = json_tokener_error_desc(error).map { String(cString: $0) } ?? "parse error"
      throw EdgeLMError(.config, "config: json-c: " + reason + " at " + ConfigText.location(json, end))
    }
    defer { json_object_put(root) }
    let kept = valueCount(root)
    guard kept == values else {
      throw EdgeLMError(.outOfMemory, "config: json-c kept \(kept) of the \(values) values in the config (out of memory while parsing); nothing was applied")
    }
    var i = end
    while i < json.count {
      if !StrictJSONScanner.isWhitespace(json[i]) {
        throw EdgeLMError(.config, "config: trailing characters at " + ConfigText.location(json, i))
      }
      i += 1
    }
    guard json_object_get_type(root) == json_type_object else {
      throw EdgeLMError(.config, "config: the top level must be a JSON object ({...}), found " + found(root))
    }
    return try decodeRoot(root)
  }

  /// Values in a json-c tree: the value itself and, for objects and
  /// arrays, every member and element (nested ones included; null is a value).
  static func valueCount(_ v: JSONValue) -> Int {
    switch json_object_get_type(v) {
    case json_type_object:
      var n = 1
      var it = json_object_iter_begin(v)
      var end = json_object_iter_end(v)
      while json_object_iter_equal(&it, &end) == 0 {
        n += valueCount(json_object_iter_peek_value(&it))
        json_object_iter_next(&it)
      }
      return n
    case json_type_array:
      var n = 1
      let count = json_object_array_length(v)
      var i = 0
      while i < count {
        n += valueCount(json_object_array_get_idx(v, i))
        i += 1
      }
      return n
    default:
      return 1
    }
  }

  // MARK: - The schema

  static let topKeys: StaticString =
    "threads, ram_limit, context_length, kv_cache_type, paging, prefetch_depth, load, speculative, sampling"
  static let speculativeKeys: StaticString =
    "mode, draft_model, max_draft, draft_vocab, min_draft_probability, ngram_min, ngram_max, skip_layers"
  static let samplingKeys: StaticString =
    "temperature, top_k, top_p, min_p, repeat_penalty, repeat_last_n, seed"

  static func decodeRoot(_ root: OpaquePointer) throws(EdgeLMError) -> RuntimeConfig {
    var c = RuntimeConfig()
    try members(of: root, at: "", known: topKeys) { (key, path, value) throws(EdgeLMError) -> Bool in
      if ConfigText.equals(key, "threads") {
        c.threads = Int(try integer(value, path, 0, Int64(RuntimeConfig.maxThreads), note: " (0 = auto)"))
      } else if ConfigText.equals(key, "ram_limit") {
        c.ramLimit = try byteSize(value, path)
      } else if ConfigText.equals(key, "context_length") {
        c.contextLength = Int(try integer(value, path, 0, Int64(RuntimeConfig.maxContextLength),
                                          note: " (0 = the model's default)"))
      } else if ConfigText.equals(key, "kv_cache_type") {
        let name = try string(value, path)
        guard let t = KVCacheType(name: name) else {
          throw badChoice(path, name, "\"f16\", \"q8_0\" or \"f32\"")
        }
        c.kvCacheType = t
      } else if ConfigText.equals(key, "paging") {
        let name = try string(value, path)
        guard let p = PagingMode(name: name) else {
          throw badChoice(path, name, "\"auto\", \"off\" or \"always\"")
        }
        c.paging = p
      } else if ConfigText.equals(key, "prefetch_depth") {
        c.prefetchDepth = Int(try integer(value, path, 0, Int64(RuntimeConfig.maxPrefetchDepth)))
      } else if ConfigText.equals(key, "load") {
        let name = try string(value, path)
        guard let mode = LoadMode(name: name) else { throw badChoice(path, name, "\"map\" or \"read\"") }
        c.load = mode
      } else if ConfigText.equals(key, "speculative") {
        c.speculative = try decodeSpeculative(try object(value, path), path)
      } else if ConfigText.equals(key, "sampling") {
        c.sampling = try decodeSampling(try object(value, path), path)
      } else {
        return false
      }
      return true
    }
    return c
  }

  static func decodeSpeculative(_ obj: OpaquePointer, _ base: String) throws(EdgeLMError) -> SpeculativeConfig {
    var s = SpeculativeConfig()
    var sawDraftModel = false
    var sawNgramMin = false
    var sawNgramMax = false
    var sawSkipLayers = false
    var sawDraftVocabulary = false
    try members(of: obj, at: base, known: speculativeKeys) { (key, path, value) throws(EdgeLMError) -> Bool in
      if ConfigText.equals(key, "mode") {
        let name = try string(value, path)
        guard let m = SpeculativeMode(name: name) else {
          throw badChoice(path, name, "\"off\", \"draft\", \"ngram\" or \"self\"")
        }
        s.mode = m
      } else if ConfigText.equals(key, "draft_model") {
        let bytes = try string(value, path)
        if bytes.isEmpty { throw EdgeLMError(.config, "config: " + path + " must not be empty") }
        s.draftModel = String(decoding: bytes, as: UTF8.self)
        sawDraftModel = true
      } else if ConfigText.equals(key, "max_draft") {
        s.maxDraft = Int(try integer(value, path, 1, 64))
      } else if ConfigText.equals(key, "draft_vocab") {
        s.draftVocabulary = Int(try integer(value, path, 0, 16_777_216, note: " (0 = every token)"))
        sawDraftVocabulary = true
      } else if ConfigText.equals(key, "min_draft_probability") {
        s.minDraftProbability = try number(value, path, 0, 1, "0...1")
      } else if ConfigText.equals(key, "ngram_min") {
        s.ngramMin = Int(try integer(value, path, 1, 16))
        sawNgramMin = true
      } else if ConfigText.equals(key, "ngram_max") {
        s.ngramMax = Int(try integer(value, path, 1, 16))
        sawNgramMax = true
      } else if ConfigText.equals(key, "skip_layers") {
        s.skipLayers = try layerList(value, path)
        sawSkipLayers = true
      } else {
        return false
      }
      return true
    }
    // Cross-key rules, after all keys are read (JSON objects are unordered).
    let modePath = base + ".mode"
    let modeName = "\"" + ConfigText.string(s.mode.name) + "\""
    func onlyFor(_ key: StaticString, _ mode: StaticString) -> EdgeLMError {
      EdgeLMError(.config, "config: " + base + "." + ConfigText.string(key) + " is only used when " + modePath
        + " is \"" + ConfigText.string(mode) + "\" (it is " + modeName + ")")
    }
    if s.mode == .draft && !sawDraftModel {
      throw EdgeLMError(.config, "config: " + base + ".draft_model is required when " + modePath + " is \"draft\"")
    }
    if s.mode != .draft && sawDraftModel { throw onlyFor("draft_model", "draft") }
    if s.mode != .draft && sawDraftVocabulary { throw onlyFor("draft_vocab", "draft") }
    if s.mode != .ngram && sawNgramMin { throw onlyFor("ngram_min", "ngram") }
    if s.mode != .ngram && sawNgramMax { throw onlyFor("ngram_max", "ngram") }
    if s.mode != .selfSpeculative && sawSkipLayers { throw onlyFor("skip_layers", "self") }
    if s.ngramMin > s.ngramMax {
      throw EdgeLMError(.config, "config: " + base + ".ngram_min (\(s.ngramMin)" + (sawNgramMin ? "" : ", the default")
        + ") must not be greater than " + base + ".ngram_max (\(s.ngramMax)" + (sawNgramMax ? "" : ", the default") + ")")
    }
    return s
  }

  static func decodeSampling(_ obj: OpaquePointer, _ base: String) throws(EdgeLMError) -> SamplingConfig {
    var s = SamplingConfig()
    try members(of: obj, at: base, known: samplingKeys) { (key, path, value) throws(EdgeLMError) -> Bool in
      if ConfigText.equals(key, "temperature") {
        s.temperature = try number(value, path, 0, 100, "0...100 (0 = greedy)")
      } else if ConfigText.equals(key, "top_k") {
        s.topK = Int(try integer(value, path, 0, 1_000_000, note: " (0 = off)"))
      } else if ConfigText.equals(key, "top_p") {
        s.topP = try number(value, path, 0, 1, "0...1")
      } else if ConfigText.equals(key, "min_p") {
        s.minP = try number(value, path, 0, 1, "0...1")
      } else if ConfigText.equals(key, "repeat_penalty") {
        s.repeatPenalty = try number(value, path, 0, 100, "0...100, excluding 0 (1 = off)", excludeLow: true)
      } else if ConfigText.equals(key, "repeat_last_n") {
        s.repeatLastN = Int(try integer(value, path, 0, 1_000_000))
      } else if ConfigText.equals(key, "seed") {
        s.seed = UInt64(try integer(value, path, 0, Int64.max))
      } else {
        return false
      }
      return true
    }
    return s
  }

  // MARK: - Objects

  /// Calls `body` for each member of `obj` in document order with the key's
  /// bytes, its path and its value. `body` returns false for an unknown key,
  /// which is reported with the list of `known` keys.
  static func members(
    of obj: OpaquePointer, at base: String, known: StaticString,
    _ body: ([UInt8], String, JSONValue) throws(EdgeLMError) -> Bool
  ) throws(EdgeLMError) {
    var it = json_object_iter_begin(obj)
    var end = json_object_iter_end(obj)
    while json_object_iter_equal(&it, &end) == 0 {
      var key: [UInt8] = []
      if let name = json_object_iter_peek_name(&it) {
        var p = UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self)
        while p.pointee != 0 { key.append(p.pointee); p += 1 }
      }
      let value = json_object_iter_peek_value(&it)
      let path = ConfigText.path(base, key: key)
      if !(try body(key, path, value)) {
        let scope = base.isEmpty ? "known top-level keys: " : "known keys in " + base + ": "
        throw EdgeLMError(.config, "config: unknown key " + path + " (" + scope + ConfigText.string(known) + ")")
      }
      json_object_iter_next(&it)
    }
  }

  // MARK: - Typed reads

  /// A short description of a value for "found ..." in messages.
  static func found(_ v: JSONValue) -> String {
    let t = json_object_get_type(v)
    if t == json_type_null { return "null" }
    if t == json_type_boolean { return json_object_get_boolean(v) != 0 ? "true" : "false" }
    if t == json_type_int || t == json_type_double { return literal(v) }
    if t == json_type_string { return "the string " + ConfigText.quoted(stringBytes(v)) }
    if t == json_type_object { return "an object" }
    if t == json_type_array { return "an array" }
    return "an unknown json-c value"
  }

  /// A number as written in the config (json-c keeps the source text of
  /// doubles), cut to 40 bytes.
  static func literal(_ v: JSONValue) -> String {
    if json_object_get_type(v) == json_type_int { return "\(json_object_get_int64(v))" }
    guard let text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) else { return "a number" }
    var bytes: [UInt8] = []
    var p = UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self)
    while p.pointee != 0 { bytes.append(p.pointee); p += 1 }
    return ConfigText.escaped(bytes, limit: 40)
  }

  static func wrongType(_ path: String, _ expected: String, _ v: JSONValue) -> EdgeLMError {
    var hint = ""
    if json_object_get_type(v) == json_type_null { hint = " (remove the key to use the default)" }
    return EdgeLMError(.config, "config: " + path + " must be " + expected + ", found " + found(v) + hint)
  }

  /// An integer literal in `low...high`.
  static func integer(_ v: JSONValue, _ path: String, _ low: Int64, _ high: Int64, note: String = "") throws(EdgeLMError) -> Int64 {
    let t = json_object_get_type(v)
    if t == json_type_double {
      throw EdgeLMError(.config, "config: " + path + " must be an integer (no fraction or exponent), found " + literal(v))
    }
    guard t == json_type_int else { throw wrongType(path, "an integer", v) }
    let x = json_object_get_int64(v)
    guard x >= low && x <= high else {
      throw EdgeLMError(.config, "config: " + path + " = \(x) is out of range \(low)...\(high)" + note)
    }
    return x
  }

  /// A finite number (integer or not) in `low...high` (or `low<..high`).
  static func number(_ v: JSONValue, _ path: String, _ low: Double, _ high: Double, _ range: String,
                     excludeLow: Bool = false) throws(EdgeLMError) -> Float {
    let t = json_object_get_type(v)
    guard t == json_type_double || t == json_type_int else { throw wrongType(path, "a number", v) }
    var x = json_object_get_double(v)
    let inRange = excludeLow ? (x > low && x <= high) : (x >= low && x <= high)
    // NaN fails both comparisons; the scanner rejects it anyway.
    guard inRange else {
      throw EdgeLMError(.config, "config: " + path + " = " + literal(v) + " is out of range " + range)
    }
    if x == 0 { x = 0 }  // -0 -> +0
    return Float(x)
  }

  static func stringBytes(_ v: JSONValue) -> [UInt8] {
    guard let p = json_object_get_string(v) else { return [] }
    let n = Int(json_object_get_string_len(v))
    return Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: n))
  }

  static func string(_ v: JSONValue, _ path: String) throws(EdgeLMError) -> [UInt8] {
    guard json_object_get_type(v) == json_type_string else { throw wrongType(path, "a string", v) }
    return stringBytes(v)
  }

  static func object(_ v: JSONValue, _ path: String) throws(EdgeLMError) -> OpaquePointer {
    guard json_object_get_type(v) == json_type_object, let v else { throw wrongType(path, "an object", v) }
    return v
  }

  static func badChoice(_ path: String, _ name: [UInt8], _ choices: String) -> EdgeLMError {
    EdgeLMError(.config, "config: " + path + " = " + ConfigText.quoted(name) + " is not one of " + choices)
  }

  /// `ram_limit`: a non-negative integer of bytes or a size string.
  static func byteSize(_ v: JSONValue, _ path: String) throws(EdgeLMError) -> Int {
    let t = json_object_get_type(v)
    if t == json_type_int {
      let x = json_object_get_int64(v)
      guard x >= 0 else {
        throw EdgeLMError(.config, "config: " + path + " = \(x) is negative (0 = no cap)")
      }
      return Int(x)
    }
    if t == json_type_double {
      throw EdgeLMError(.config, "config: " + path + " = " + literal(v)
        + " must be a whole number of bytes (no fraction or exponent) or a string such as \"64MiB\"")
    }
    guard t == json_type_string else {
      throw wrongType(path, "a number of bytes or a string such as \"64MiB\"", v)
    }
    let text = stringBytes(v)
    switch ByteSize.parse(text) {
    case .bytes(let n): return n
    case .invalid(let reason):
      throw EdgeLMError(.config, "config: " + path + " = " + ConfigText.quoted(text) + " " + reason)
    }
  }

  /// `skip_layers`: distinct integers 0...1023.
  static func layerList(_ v: JSONValue, _ path: String) throws(EdgeLMError) -> [Int] {
    guard json_object_get_type(v) == json_type_array else { throw wrongType(path, "an array of layer indices", v) }
    let count = json_object_array_length(v)
    var seen = [Bool](repeating: false, count: 1024)
    var layers: [Int] = []
    var i = 0
    while i < count {
      let element = json_object_array_get_idx(v, i)
      let elementPath = ConfigText.path(path, index: i)
      let layer = Int(try integer(element, elementPath, 0, 1023))
      if seen[layer] {
        throw EdgeLMError(.config, "config: " + elementPath + " = \(layer) repeats an earlier layer")
      }
      seen[layer] = true
      layers.append(layer)
      i += 1
    }
    return layers
  }
}
