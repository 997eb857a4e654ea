/// The tokenizer metadata of a model, as plain values: what the
/// `tokenizer.ggml.*` keys of a GGUF file say, before any validation.
/// `Tokenizer.init(vocabulary:)` checks it and builds the lookup tables.
///
/// Ids are `nil` where the file has no such key; the tokenizer then applies
/// llama.cpp's defaults for the tokenizer model.
public struct Vocabulary {
  /// GGUF token types (`tokenizer.ggml.token_type`), llama.cpp's
  /// `llama_token_type`.
  public enum TokenType {
    public static let undefined: Int32 = 0
    public static let normal: Int32 = 1
    public static let unknown: Int32 = 2
    public static let control: Int32 = 3
    public static let userDefined: Int32 = 4
    public static let unused: Int32 = 5
    public static let byte: Int32 = 6
  }

  /// `tokenizer.ggml.model`: "gpt2" for byte-level BPE, "llama" for
  /// SentencePiece.
  public var model: String
  /// `tokenizer.ggml.pre`: the pre-tokenizer name ("" when absent); only
  /// "gpt2" models use it.
  public var pre: String
  /// `tokenizer.ggml.tokens`: the text of each token id (byte-level spelled
  /// for BPE; with "▁" for spaces and `<0xNN>` byte tokens for SentencePiece).
  public var tokens: ByteStrings
  /// `tokenizer.ggml.token_type`, one per token; empty means all normal.
  public var tokenTypes: [Int32]
  /// `tokenizer.ggml.scores`, one per token: SentencePiece merges the pair
  /// forming the highest-scored token first (nil means all 0). Unused by BPE.
  public var scores: [Float]?
  /// `tokenizer.ggml.merges`: "left right" pairs, most important first.
  public var merges: ByteStrings

  /// `tokenizer.ggml.bos_token_id`.
  public var bosID: Int?
  /// `tokenizer.ggml.eos_token_id`.
  public var eosID: Int?
  /// `tokenizer.ggml.eot_token_id` (end of turn).
  public var eotID: Int?
  /// `tokenizer.ggml.eom_token_id` (end of message).
  public var eomID: Int?
  /// `tokenizer.ggml.padding_token_id`.
  public var padID: Int?
  /// `tokenizer.ggml.unknown_token_id`.
  public var unkID: Int?
  /// `tokenizer.ggml.seperator_token_id` (sic, llama.cpp's spelling).
  public var sepID: Int?
  /// `tokenizer.ggml.fim_{pre,suf,mid,pad,rep,sep}_token_id`.
  public var fimPreID: Int?
  public var fimSufID: Int?
  public var fimMidID: Int?
  public var fimPadID: Int?
  public var fimRepID: Int?
  public var fimSepID: Int?

  /// `tokenizer.ggml.add_bos_token`; nil means the pre-tokenizer's default
  /// (BPE) or true (SentencePiece).
  public var addBOS: Bool?
  /// `tokenizer.ggml.add_eos_token`; nil means false.
  public var addEOS: Bool?
  /// `tokenizer.ggml.add_space_prefix`: SentencePiece prefixes a space to
  /// the first text fragment and to text after a special token; for both
  /// models detokenize drops one leading space of the first piece. nil means
  /// false for BPE and true for SentencePiece (llama.cpp's defaults).
  public var addSpacePrefix: Bool?

  /// A vocabulary with the required fields; set the optional ones after.
  public init(
    model: String, pre: String, tokens: ByteStrings, tokenTypes: [Int32] = [],
    merges: ByteStrings = ByteStrings()
  ) {
    self.model = model
    self.pre = pre
    self.tokens = tokens
    self.tokenTypes = tokenTypes
    self.merges = merges
  }

  /// The same from one array per token and merge.
  public init(
    model: String, pre: String, tokens: [[UInt8]], tokenTypes: [Int32] = [],
    merges: [[UInt8]] = []
  ) {
    self.init(model: model, pre: pre, tokens: ByteStrings(tokens), tokenTypes: tokenTypes, merges: ByteStrings(merges))
  }
}
