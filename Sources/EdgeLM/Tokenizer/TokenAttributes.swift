/// Per-token attribute bits, llama.cpp's `llama_token_attr`.
enum TokenAttribute {
  static let undefined: UInt16 = 0
  static let unknown: UInt16 = 1 << 0
  static let unused: UInt16 = 1 << 1
  static let normal: UInt16 = 1 << 2
  static let control: UInt16 = 1 << 3
  static let userDefined: UInt16 = 1 << 4
  static let byte: UInt16 = 1 << 5

  /// llama.cpp's mapping from GGUF token type to attribute.
  static func from(tokenType: Int32) -> UInt16 {
    switch tokenType {
    case Vocabulary.TokenType.unknown: return unknown
    case Vocabulary.TokenType.unused: return unused
    case Vocabulary.TokenType.normal: return normal
    case Vocabulary.TokenType.control: return control
    case Vocabulary.TokenType.userDefined: return userDefined
    case Vocabulary.TokenType.byte: return byte
    default: return undefined
    }
  }
}

/// Token texts llama.cpp recognises by name (llama_vocab::impl::load), as
/// bytes so the core compares without String.
enum KnownTokenTexts {
  static func bytes(_ list: [StaticString]) -> [[UInt8]] {
    list.map { s in
      Array(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
  }

  /// Candidates for the end-of-turn token when the file names none.
  static let eot = bytes([
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
    "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>",
    "<end_of_utterance>",
  ])
  static let eom = bytes(["<|eom_id|>"])
  static let fimPre = bytes([
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
    "<|code_prefix|>", "<|prefix|>",
  ])
  static let fimSuf = bytes([
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
    "<|code_suffix|>", "<|suffix|>",
  ])
  static let fimMid = bytes([
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
    "<|code_middle|>", "<|middle|>",
  ])
  static let fimPad = bytes(["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"])
  static let fimRep = bytes([
    "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>",
  ])
  static let fimSep = bytes(["<|file_sep|>"])
  /// Texts that end generation whatever the metadata says.
  static let eog = bytes([
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<｜end▁of▁sentence｜>", "[e~[",
  ])
  /// gpt-oss tokens llama.cpp always renders (forced to user-defined).
  static let alwaysRendered = bytes(["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"])

  static let end = bytes(["<|end|>"])[0]
  static let returnToken = bytes(["<|return|>"])[0]
  static let call = bytes(["<|call|>"])[0]
  static let calls = bytes(["<|calls|>"])[0]
  static let flush = bytes(["<|flush|>"])[0]
  static let endOfSequence = bytes(["</s>"])[0]
  static let toolResponse = bytes(["<|tool_response>"])[0]
  static let plamoEOS = bytes(["<|plamo:eos|>"])[0]
}
