// The llama architecture: pre-norm transformer blocks with RMSNorm, rotary
// embeddings on adjacent pairs, grouped-query attention and a SwiGLU MLP;
// output tied to the embedding when `output.weight` is absent.
// Reference: llama.cpp src/models/llama.cpp (llm_build_llama).

extension DecoderWeights {
  /// The llama tensors of `gguf`: the shared decoder's, nothing optional.
  static func llama(gguf: GGUFFile, config c: ModelConfig) throws(EdgeLMError) -> DecoderWeights {
    try load(gguf: gguf, config: c, extra: OptionalTensors())
  }
}
