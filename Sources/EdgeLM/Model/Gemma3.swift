// The gemma3 architecture: token embeddings scaled by sqrt(dim); in every
// block RMSNorm before and after attention and before and after a GeGLU
// feed-forward network; RMSNorm over each query and key head before neox
// RoPE; five sliding-window layers (RoPE base 10000) for every global one;
// output tied to the embedding. The converter stores the norm weights with
// Gemma's +1 already added, so they are plain RMSNorm weights here.
// Reference: llama.cpp src/models/gemma3-iswa.cpp and its LLM_ARCH_GEMMA3
// hyper-parameters (ModelConfig reads those).

extension DecoderWeights {
  /// The gemma3 tensors of `gguf`: the shared decoder's plus per-head Q/K
  /// norms and post-attention / post-feed-forward norms.
  static func gemma3(gguf: GGUFFile, config c: ModelConfig) throws(EdgeLMError) -> DecoderWeights {
    try load(gguf: gguf, config: c, extra: OptionalTensors(headNorms: true, postNorms: true))
  }
}
