// The llama architecture: pre-norm transformer blocks with RMSNorm, rotary
// embeddings on adjacent pairs, grouped-query attention and a SwiGLU MLP;
// output tied to the embedding when `output.weight` is absent. Llama 3.1+
// RoPE scaling comes as `rope_freqs.weight`, per-pair frequency factors the
// converter computes from the llama3 rope_scaling parameters; linear scaling
// as `llama.rope.scaling.factor` (ModelConfig).
// Reference: llama.cpp src/models/llama.cpp (llm_build_llama).

extension DecoderWeights {
  /// The llama tensors of `gguf`: the shared decoder's, with `rope_freqs`
  /// if the file has it.
  static func llama(gguf: GGUFFile, config c: ModelConfig) throws(EdgeLMError) -> DecoderWeights {
    try load(gguf: gguf, config: c, extra: OptionalTensors(ropeFreqs: true))
  }
}
