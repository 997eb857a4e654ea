// The qwen2 and qwen3 architectures: llama's blocks with neox RoPE (halves
// rotate together). qwen2 (Qwen 2.5) adds biases to the Q, K and V
// projections; qwen3 has none but normalises each query and key head
// (RMSNorm over the head, before RoPE), and its head size
// (`qwen3.attention.key_length`) need not be dim / heads.
// Reference: llama.cpp src/models/qwen2.cpp and qwen3.cpp.

extension DecoderWeights {
  /// The qwen2 tensors of `gguf`: the shared decoder's plus Q/K/V biases.
  static func qwen2(gguf: GGUFFile, config c: ModelConfig) throws(EdgeLMError) -> DecoderWeights {
    try load(gguf: gguf, config: c, extra: OptionalTensors(qkvBiases: true))
  }

  /// The qwen3 tensors of `gguf`: the shared decoder's plus per-head Q/K norms.
  static func qwen3(gguf: GGUFFile, config c: ModelConfig) throws(EdgeLMError) -> DecoderWeights {
    try load(gguf: gguf, config: c, extra: OptionalTensors(headNorms: true))
  }
}
