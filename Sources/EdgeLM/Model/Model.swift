// A loaded model: the GGUF mapping, validated hyper-parameters, the
// tokenizer and weight views. Read-only after loading, so one model can be
// shared by many sessions on many threads.

public struct Model {
  public let path: String
  public let gguf: GGUFFile
  public let config: ModelConfig
  public let tokenizer: Tokenizer
  let weights: DecoderWeights

  /// Maps (or reads) and validates the GGUF at `path`.
  /// - Parameters:
  ///   - packWeights: let this CPU's kernels rearrange the matrices
  ///     they read faster in another layout (Quant/Arm/PackedWeights.swift; a
  ///     packed matrix is always resident, so a model meant to run under a
  ///     RAM cap is loaded with false to keep every layer streamable).
  ///   - load: map the file (default) or read it into memory (`LoadMode`).
  /// - Throws: `.io` if the file cannot be opened or read, `.outOfMemory`
  ///   if it cannot be read into memory, `.format` for a malformed file or
  ///   inconsistent metadata, `.unsupported` for an architecture,
  ///   tokenizer or tensor type this build cannot run.
  public init(path: String, packWeights: Bool = true, load: LoadMode = .map) throws(EdgeLMError) {
    self.path = path
    gguf = try GGUFFile.open(path: path, load: load)
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

  /// The model at `path` loaded as `config` says: `load` (map or read)
  /// and, without a `ram_limit`, packed for this CPU.
  /// - Throws: `.resourceLimit` before reading anything when `load` is
  ///   `"read"` and the file is larger than `ram_limit` (a copy cannot be
  ///   streamed); the errors of `init(path:packWeights:load:)`.
  public static func load(path: String, config: RuntimeConfig) throws(EdgeLMError) -> Model {
    if config.load == .read && config.ramLimit > 0, let size = FileIO.fileSize(path: path), size > config.ramLimit {
      throw EdgeLMError(.resourceLimit, "ram_limit \(config.ramLimit) bytes is below the \(size) bytes of '\(path)', which load \"read\" reads into memory whole (nothing can be streamed); raise the cap, or use load \"map\" to stream layers")
    }
    // Under a RAM cap the weights keep the file's layout (streamable).
    return try Model(path: path, packWeights: config.ramLimit == 0, load: config.load)
  }

  /// How this model's file was loaded.
  public var loadMode: LoadMode { gguf.mapping?.load ?? .map }

  /// The `.io` error for a model file that changed under the loaded model
  /// (truncated, copied over or written in place), or nil while it is
  /// intact or when it was read into memory (`MappedFile.check`: one fstat).
  /// Once the file changed, every later check returns the error.
  public func fileProblem() -> EdgeLMError? { gguf.mapping?.check() }

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
