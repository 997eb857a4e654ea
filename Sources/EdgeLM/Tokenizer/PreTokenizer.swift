// Pre-tokenizers: split text into words before BPE, exactly as llama.cpp's
// unicode_regex_split does for the supported `tokenizer.ggml.pre` types.
// llama.cpp runs a list of regexes per type; each one splits every current
// fragment further. The GPT-2, llama3 and qwen2 patterns are hand-written
// matchers in llama.cpp (unicode_regex_split_custom_*), ported here line by
// line; the few std::regex patterns are simple enough to match by hand too.
// All offsets are counts of code points.

/// One split step, as one entry of llama.cpp's `regex_exprs`.
enum PreTokenizerStep {
  /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
  case gpt2
  /// llama3 (`maxDigits` 3) and qwen2 (`maxDigits` 1):
  /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|
  ///  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
  case llama3(maxDigits: Int)
  /// `\p{N}`: every number code point on its own.
  case eachNumber
  /// `\p{N}+`: runs of number code points.
  case numberRuns
  /// `[\p{P}\$\+<=>\^~\|]+`: runs of punctuation and those ASCII symbols.
  case punctuationRuns
  /// `[0-9][0-9][0-9]`: ASCII digit triples, left to right.
  case asciiDigitTriples
  /// gpt-4o / llama4 (Phi-4 mini), the std::regex form llama.cpp runs on
  /// its "collapsed" text (every non-ASCII code point one byte per
  /// category, so a non-ASCII letter counts as both cases):
  /// `[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|
  ///  [^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:...)?|
  ///  \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
  case gpt4o
}

/// A named pre-tokenizer and the vocabulary options llama.cpp ties to it.
struct PreTokenizer {
  var name: String
  var steps: [PreTokenizerStep]
  /// BPE takes a whole word that is in the vocabulary without merging.
  var ignoreMerges: Bool = false
  /// `clean_up_tokenization_spaces`: detokenize removes " ." style spaces.
  var cleanSpaces: Bool = true
  /// Whether BOS is added when the model does not say.
  var addBOSDefault: Bool = false

  private static let gpt2Steps: [PreTokenizerStep] = [.gpt2]
  private static let defaultSteps: [PreTokenizerStep] = [
    .punctuationRuns, .gpt2, .numberRuns, .asciiDigitTriples,
  ]

  /// The `tokenizer.ggml.pre` values this build knows, in llama.cpp's
  /// spelling ("" means absent, which llama.cpp treats as "default").
  static let supportedNames: [String] = [
    "default", "gpt-2", "gpt2", "phi-2", "llama3", "llama-v3", "llama-bpe",
    "qwen2", "deepseek-r1-qwen", "smollm", "starcoder", "gpt-4o", "llama4",
  ]

  /// The pre-tokenizer llama.cpp's llama_vocab::impl::load selects for `name`,
  /// or nil when this build does not support it.
  static func named(_ name: String) -> PreTokenizer? {
    switch name {
    case "", "default":
      return PreTokenizer(name: "default", steps: defaultSteps)
    case "gpt-2", "gpt2", "phi-2":
      // "gpt2" is not a llama.cpp name; accepted as an alias of "gpt-2".
      return PreTokenizer(name: name, steps: gpt2Steps)
    case "llama3", "llama-v3", "llama-bpe":
      return PreTokenizer(
        name: name, steps: [.llama3(maxDigits: 3)], ignoreMerges: true, addBOSDefault: true)
    case "qwen2", "deepseek-r1-qwen":
      return PreTokenizer(name: name, steps: [.llama3(maxDigits: 1)], cleanSpaces: false)
    case "smollm":
      return PreTokenizer(name: name, steps: [.eachNumber, .gpt2], cleanSpaces: false)
    case "starcoder":
      return PreTokenizer(name: name, steps: [.eachNumber, .gpt2])
    case "gpt-4o", "llama4":
      return PreTokenizer(name: name, steps: [.gpt4o], cleanSpaces: false)
    default:
      return nil
    }
  }

  /// Splits `cpts` into words; returns each word's length in code points.
  /// - Parameters:
  ///   - cpts: the decoded text, shape (n).
  ///   - flags: `CodepointFlags(of:)` of each code point, shape (n).
  func split(_ cpts: [UInt32], _ flags: [UInt16]) -> [Int] {
    var offsets: [Int] = cpts.isEmpty ? [] : [cpts.count]
    cpts.withUnsafeBufferPointer { c in
      flags.withUnsafeBufferPointer { f in
        for step in steps {
          switch step {
          case .gpt2:
            offsets = PreTokenizer.splitGPT2(c, f, offsets)
          case .llama3(let maxDigits):
            offsets = PreTokenizer.splitLlama3(c, f, offsets, maxDigits: maxDigits)
          case .eachNumber:
            offsets = PreTokenizer.splitMatches(offsets) { pos, end in
              CodepointFlags(rawValue: f[pos]).isNumber ? 1 : 0
            }
          case .numberRuns:
            offsets = PreTokenizer.splitMatches(offsets) { pos, end in
              var p = pos
              while p < end && CodepointFlags(rawValue: f[p]).isNumber { p += 1 }
              return p - pos
            }
          case .punctuationRuns:
            offsets = PreTokenizer.splitMatches(offsets) { pos, end in
              var p = pos
              while p < end && PreTokenizer.isPunctuationOrOperator(c[p], f[p]) { p += 1 }
              return p - pos
            }
          case .gpt4o:
            let collapsed = PreTokenizer.collapse(c, f)
            offsets = collapsed.withUnsafeBufferPointer { t in
              PreTokenizer.splitMatches(offsets) { pos, end in PreTokenizer.matchGPT4o(t, pos, end) }
            }
          case .asciiDigitTriples:
            offsets = PreTokenizer.splitMatches(offsets) { pos, end in
              guard pos + 3 <= end else { return 0 }
              for p in pos..<(pos + 3) where !(0x30...0x39).contains(c[p]) { return 0 }
              return 3
            }
          }
        }
      }
    }
    return offsets
  }

  /// `[\p{P}\$\+<=>\^~\|]` as llama.cpp's collapsed std::regex sees it.
  @inline(__always)
  static func isPunctuationOrOperator(_ cp: UInt32, _ flags: UInt16) -> Bool {
    switch cp {
    case 0x24, 0x2B, 0x3C, 0x3D, 0x3E, 0x5E, 0x7E, 0x7C: return true  // $ + < = > ^ ~ |
    default: return CodepointFlags(rawValue: flags).isPunctuation
    }
  }

  // MARK: - std::regex style splitting

  /// llama.cpp's unicode_regex_split_stl for a pattern that never matches the
  /// empty string: in each fragment, every leftmost match and every gap
  /// between matches becomes a word. `match(pos, end)` returns the match
  /// length at `pos` (0 for no match).
  static func splitMatches(_ offsets: [Int], _ match: (Int, Int) -> Int) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(offsets.count)
    var start = 0
    for offset in offsets {
      let end = start + offset
      var gapStart = start
      var pos = start
      while pos < end {
        let n = match(pos, end)
        if n > 0 {
          if pos > gapStart { out.append(pos - gapStart) }
          out.append(n)
          pos += n
          gapStart = pos
        } else {
          pos += 1
        }
      }
      if end > gapStart { out.append(end - gapStart) }
      start = end
    }
    return out
  }

  // MARK: - gpt-4o (llama.cpp's std::regex on collapsed text)

  /// llama.cpp's `text_collapsed`: ASCII stays, other whitespace becomes
  /// 0x0B, other code points one byte per category (number 0xD1, letter
  /// 0xD2, punctuation 0xD3, mark 0xD4, symbol 0xD5, anything else 0xD0).
  static func collapse(_ cpts: UnsafeBufferPointer<UInt32>, _ flags: UnsafeBufferPointer<UInt16>) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: cpts.count)
    for i in 0..<cpts.count {
      let cp = cpts[i]
      if cp < 0x80 { out[i] = UInt8(cp); continue }
      let f = CodepointFlags(rawValue: flags[i])
      if f.isWhitespace { out[i] = 0x0B; continue }
      switch f.rawValue & 0xFF {
      case CodepointFlags.number: out[i] = 0xD1
      case CodepointFlags.letter: out[i] = 0xD2
      case CodepointFlags.punctuation: out[i] = 0xD3
      case CodepointFlags.mark: out[i] = 0xD4
      case CodepointFlags.symbol: out[i] = 0xD5
      default: out[i] = 0xD0
      }
    }
    return out
  }

  /// The length of the gpt-4o pattern's match at `pos` in `t[..<end]`
  /// (0 for none), with ECMAScript's ordered alternatives and greedy,
  /// backtracking quantifiers worked out per alternative.
  static func matchGPT4o(_ t: UnsafeBufferPointer<UInt8>, _ pos: Int, _ end: Int) -> Int {
    @inline(__always) func at(_ i: Int) -> UInt8? { i < end ? t[i] : nil }
    @inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (0x09...0x0D).contains(c) }
    @inline(__always) func isUpper(_ c: UInt8) -> Bool { (0x41...0x5A).contains(c) || c == 0xD2 }
    @inline(__always) func isLower(_ c: UInt8) -> Bool { (0x61...0x7A).contains(c) || c == 0xD2 }
    @inline(__always) func isLetter(_ c: UInt8) -> Bool { isUpper(c) || isLower(c) }
    @inline(__always) func isNumber(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) || c == 0xD1 }
    @inline(__always) func isNewline(_ c: UInt8) -> Bool { c == 0x0D || c == 0x0A }
    func run(_ from: Int, _ test: (UInt8) -> Bool) -> Int {
      var i = from
      while let c = at(i), test(c) { i += 1 }
      return i - from
    }
    /// `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?` at `i`.
    func contraction(_ i: Int) -> Int {
      guard at(i) == 0x27, let a = at(i + 1) else { return 0 }
      let a0 = a | 0x20
      if a0 == 0x73 || a0 == 0x74 { return 2 }                     // s t
      if let b = at(i + 2) {
        let b0 = b | 0x20
        if (a0 == 0x72 && b0 == 0x65) || (a0 == 0x76 && b0 == 0x65) { return 3 }  // re ve
      }
      if a0 == 0x6D { return 2 }                                   // m
      if a0 == 0x6C, let b = at(i + 2), b | 0x20 == 0x6C { return 3 }  // ll
      if a0 == 0x64 { return 2 }                                   // d
      return 0
    }
    guard let c = at(pos) else { return 0 }
    let canPrefix = !isNewline(c) && !isLetter(c) && !isNumber(c)
    // Alternatives 1 and 2: an optional prefix, then upper* lower+ or
    // upper+ lower* (a non-ASCII letter is both), then a contraction.
    for prefix in canPrefix ? [1, 0] : [0] {
      let s = pos + prefix
      let uppers = run(s, isUpper)
      // upper* lower+: the longest upper run that still leaves a lower.
      var u = uppers
      while u >= 0 {
        if let d = at(s + u), isLower(d) {
          let e = s + u + run(s + u, isLower)
          return e + contraction(e) - pos
        }
        u -= 1
      }
    }
    for prefix in canPrefix ? [1, 0] : [0] {
      let s = pos + prefix
      let uppers = run(s, isUpper)
      if uppers > 0 {
        let e = s + uppers + run(s + uppers, isLower)
        return e + contraction(e) - pos
      }
    }
    // \p{N}{1,3}
    if isNumber(c) { return min(3, run(pos, isNumber)) }
    // ` ?[^\s\p{L}\p{N}]+[\r\n/]*`
    let symbol: (UInt8) -> Bool = { !isSpace($0) && !isLetter($0) && !isNumber($0) }
    let s = c == 0x20 ? pos + 1 : pos
    if let d = at(s), symbol(d) {
      let e = s + run(s, symbol)
      return e + run(e, { isNewline($0) || $0 == 0x2F }) - pos
    }
    let spaces = run(pos, isSpace)
    guard spaces > 0 else { return 0 }
    // \s*[\r\n]+: up to the last newline of the whitespace run.
    var last = spaces - 1
    while last >= 0 && !isNewline(t[pos + last]) { last -= 1 }
    if last >= 0 { return last + 1 }
    // \s+(?!\S), then \s+
    if pos + spaces == end || spaces == 1 { return spaces }
    return spaces - 1
  }

  // MARK: - Custom matchers (ports of unicode_regex_split_custom_*)

  private static let outOfRange: UInt32 = 0xFFFF_FFFF

  /// Port of unicode_regex_split_custom_gpt2.
  static func splitGPT2(
    _ cpts: UnsafeBufferPointer<UInt32>, _ flagsTable: UnsafeBufferPointer<UInt16>, _ offsets: [Int]
  ) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(offsets.count)
    var start = 0
    for offset in offsets {
      let ini = start
      let end = start + offset
      start = end

      @inline(__always) func cpt(_ pos: Int) -> UInt32 {
        (ini <= pos && pos < end) ? cpts[pos] : outOfRange
      }
      @inline(__always) func flags(_ pos: Int) -> CodepointFlags {
        (ini <= pos && pos < end) ? CodepointFlags(rawValue: flagsTable[pos]) : .none
      }
      var prevEnd = ini
      @inline(__always) func addToken(_ tokenEnd: Int) -> Int {
        let len = tokenEnd - prevEnd
        if len > 0 { out.append(len) }
        prevEnd = tokenEnd
        return len
      }

      var pos = ini
      while pos < end {
        let c = cpt(pos)
        let f = flags(pos)

        // 's|'t|'re|'ve|'m|'ll|'d
        if c == 0x27 && pos + 1 < end {
          let next = cpt(pos + 1)
          if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 {  // s t m d
            pos += addToken(pos + 2)
            continue
          }
          if pos + 2 < end {
            let next2 = cpt(pos + 2)
            if (next == 0x72 && next2 == 0x65) || (next == 0x76 && next2 == 0x65)
              || (next == 0x6C && next2 == 0x6C)
            {  // re ve ll
              pos += addToken(pos + 3)
              continue
            }
          }
        }

        var f2 = c == 0x20 ? flags(pos + 1) : f
        // <space>?\p{L}+
        if f2.isLetter {
          if c == 0x20 { pos += 1 }
          while f2.isLetter {
            pos += 1
            f2 = flags(pos)
          }
          _ = addToken(pos)
          continue
        }
        // <space>?\p{N}+
        if f2.isNumber {
          if c == 0x20 { pos += 1 }
          while f2.isNumber {
            pos += 1
            f2 = flags(pos)
          }
          _ = addToken(pos)
          continue
        }
        // <space>?[^\s\p{L}\p{N}]+
        if !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f2.isPresent {
          if c == 0x20 { pos += 1 }
          while !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f2.isPresent {
            pos += 1
            f2 = flags(pos)
          }
          _ = addToken(pos)
          continue
        }

        var whitespaces = 0
        while flags(pos + whitespaces).isWhitespace {
          whitespaces += 1
        }
        // \s+(?!\S)
        if whitespaces > 1 && cpt(pos + whitespaces) != outOfRange {
          pos += whitespaces - 1
          _ = addToken(pos)
          continue
        }
        // \s+
        if whitespaces > 0 {
          pos += whitespaces
          _ = addToken(pos)
          continue
        }
        // no match
        pos += 1
        _ = addToken(pos)
      }
    }
    return out
  }

  /// Port of unicode_regex_split_custom_llama3 (`maxDigits` 3) and
  /// unicode_regex_split_custom_qwen2 (`maxDigits` 1), which differ only in
  /// how many digits one number word takes.
  static func splitLlama3(
    _ cpts: UnsafeBufferPointer<UInt32>, _ flagsTable: UnsafeBufferPointer<UInt16>, _ offsets: [Int],
    maxDigits: Int
  ) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(offsets.count)
    var start = 0
    for offset in offsets {
      let ini = start
      let end = start + offset
      start = end

      @inline(__always) func cpt(_ pos: Int) -> UInt32 {
        (ini <= pos && pos < end) ? cpts[pos] : outOfRange
      }
      @inline(__always) func flags(_ pos: Int) -> CodepointFlags {
        (ini <= pos && pos < end) ? CodepointFlags(rawValue: flagsTable[pos]) : .none
      }
      // llama.cpp lower-cases with unicode_tolower; only ASCII capitals
      // lower-case to the letters compared here (make_unicode_tables.py checks).
      @inline(__always) func lower(_ cp: UInt32) -> UInt32 {
        (0x41...0x5A).contains(cp) ? cp + 0x20 : cp
      }
      var prevEnd = ini
      @inline(__always) func addToken(_ tokenEnd: Int) -> Int {
        let len = tokenEnd - prevEnd
        if len > 0 { out.append(len) }
        prevEnd = tokenEnd
        return len
      }

      var pos = ini
      while pos < end {
        let c = cpt(pos)
        let f = flags(pos)

        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if c == 0x27 && pos + 1 < end {
          let next = lower(cpt(pos + 1))
          if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 {
            pos += addToken(pos + 2)
            continue
          }
          if pos + 2 < end {
            let next2 = lower(cpt(pos + 2))
            if (next == 0x72 && next2 == 0x65) || (next == 0x76 && next2 == 0x65)
              || (next == 0x6C && next2 == 0x6C)
            {
              pos += addToken(pos + 3)
              continue
            }
          }
        }

        // [^\r\n\p{L}\p{N}]?\p{L}+
        if !(c == 0x0D || c == 0x0A || f.isNumber) {
          if f.isLetter || flags(pos + 1).isLetter {
            pos += 1
            while flags(pos).isLetter {
              pos += 1
            }
            _ = addToken(pos)
            continue
          }
        }

        // \p{N}{1,maxDigits}
        if f.isNumber {
          var first = pos
          while flags(pos).isNumber {
            pos += 1
            if pos - first >= maxDigits {
              _ = addToken(pos)
              first = pos
            }
          }
          _ = addToken(pos)
          continue
        }

        // <space>?[^\s\p{L}\p{N}]+[\r\n]*
        var f2 = c == 0x20 ? flags(pos + 1) : f
        if !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f.isPresent {
          if c == 0x20 { pos += 1 }
          while !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f2.isPresent {
            pos += 1
            f2 = flags(pos)
          }
          var c2 = cpt(pos)
          while c2 == 0x0D || c2 == 0x0A {
            pos += 1
            c2 = cpt(pos)
          }
          _ = addToken(pos)
          continue
        }

        var whitespaces = 0
        var lastEndOfNewline = 0
        while flags(pos + whitespaces).isWhitespace {
          let c2 = cpt(pos + whitespaces)
          if c2 == 0x0D || c2 == 0x0A {
            lastEndOfNewline = pos + whitespaces + 1
          }
          whitespaces += 1
        }
        // \s*[\r\n]+
        if lastEndOfNewline > 0 {
          pos = lastEndOfNewline
          _ = addToken(pos)
          continue
        }
        // \s+(?!\S)
        if whitespaces > 1 && cpt(pos + whitespaces) != outOfRange {
          pos += whitespaces - 1
          _ = addToken(pos)
          continue
        }
        // \s+
        if whitespaces > 0 {
          pos += whitespaces
          _ = addToken(pos)
          continue
        }
        // no match
        pos += 1
        _ = addToken(pos)
      }
    }
    return out
  }
}
