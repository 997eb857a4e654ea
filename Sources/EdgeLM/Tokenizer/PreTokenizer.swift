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
    "qwen2", "deepseek-r1-qwen", "smollm", "starcoder",
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
