// A model's own chat template: `tokenizer.chat_template` of its GGUF file,
// recognised by ChatTemplate.detect.

extension ChatTemplate {
  /// The GGUF metadata key holding a model's Jinja chat template.
  public static let metadataKey = "tokenizer.chat_template"

  /// The template a model file declares in `tokenizer.chat_template`.
  /// - Throws: `.unsupported` when the file has no chat template (base
  ///   models such as Gemma 3 270M) or an unrecognised one; the message
  ///   lists the template names a caller can pass instead. `.format` when
  ///   the value is not a string.
  public static func detect(in gguf: GGUFFile) throws(EdgeLMError) -> ChatTemplate {
    guard let text = try gguf.bytes(metadataKey) else {
      throw EdgeLMError(
        .unsupported,
        "the model has no \(metadataKey) metadata; name a chat template: \(supportedNames)")
    }
    return try detect(from: text)
  }

  /// `name` if given (a built-in name, or a Jinja template text to
  /// recognise), else the model file's own template.
  /// - Throws: as `detect(from:)` and `detect(in:)`.
  public static func resolve(name: [UInt8]?, gguf: GGUFFile) throws(EdgeLMError) -> ChatTemplate {
    if let name { return try detect(from: name) }
    return try detect(in: gguf)
  }
}
