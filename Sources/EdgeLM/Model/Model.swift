// A loaded model: the GGUF mapping, validated hyper-parameters, the
// tokenizer and weight views. Read-only after loading, so one model can be
// shared by many sessions on many threads.

public struct Model {
  public let path: String
  public let gguf: GGUFFile
  public let config: ModelConfig
  public let tokenizer: Tokenizer
  let weights: DecoderWeights

  /// Maps and validates the GGUF at `path`.
  /// - Parameter packWeights: let this CPU's kernels rearrange the matrices
  ///   they read faster in another layout (Quant/Arm/PackedWeights.swift; a
  ///   packed matrix is always resident, so a model meant to run under a
  ///   RAM cap is loaded with false to keep every layer streamable).
  /// - Throws: `.io` if the file cannot be opened, `.format` for a malformed
  ///   file or inconsistent metadata, `.unsupported` for an architecture,
  ///   tokenizer or tensor type this build cannot run.
  public init(path: String, packWeights: Bool = true) throws(EdgeLMError) {
    self.path = path
    gguf = try GGUFFile.open(path: path)
    try Memory.check("reading the metadata of '\(path)'")
    config = try ModelConfig(gguf: gguf)
    tokenizer = try Tokenizer(gguf: gguf)
    try Memory.check("building the tokenizer of '\(path)'")
    guard tokenizer.vocabSize == config.vocabSize else {
      throw EdgeLMError(.format, "tokenizer has \(tokenizer.vocabSize) tokens but token_embd.weight has \(config.vocabSize) rows")
    }
    let fileLayout: DecoderWeights
    switch config.architecture {
    case .llama: fileLayout = try DecoderWeights.llama(gguf: gguf, config: config)
    case .qwen2: fileLayout = try DecoderWeights.qwen2(gguf: gguf, config: config)
    case .qwen3: fileLayout = try DecoderWeights.qwen3(gguf: gguf, config: config)
    case .phi3: fileLayout = try DecoderWeights.phi3(gguf: gguf, config: config)
    case .gemma3: fileLayout = try DecoderWeights.gemma3(gguf: gguf, config: config)
    }
    weights = packWeights ? fileLayout.packed(mapping: gguf.mapping) : fileLayout
    try Memory.check("loading '\(path)'")
  }

  /// Bytes of packed copies of matrices this model holds (0 when none).
  public var packedBytes: Int { weights.packedStore?.bytes ?? 0 }
  /// Which layers (and whether the output) hold packed matrices.
  public var packedUnits: PackedUnits { weights.packedStore?.units ?? PackedUnits() }

  /// Bytes of tensor data in the file.
  public var weightBytes: Int { gguf.fileSize - gguf.dataOffset }

  func forward(_ s: ForwardState, tokens: UnsafePointer<Int32>, batch: Int, start: Int, logitRows: LogitRows) {
    weights.forward(s, tokens: tokens, batch: batch, start: start, logitRows: logitRows)
  }
}
