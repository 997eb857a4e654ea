// The phi3 architecture (Phi-3, Phi-3.5, Phi-4 mini): llama's blocks with
// neox RoPE, one fused `attn_qkv` projection (Q, then K, then V rows) and
// one fused `ffn_up` holding the gate rows then the up rows (SwiGLU on its
// two halves). Long-context models bring longrope factors,
// `rope_factors_short` / `rope_factors_long`, chosen by the session's
// context against `phi3.rope.scaling.original_context_length`, and
// `phi3.rope.scaling.attn_factor` scaling cos and sin. llama.cpp disables
// phi3's sliding window, so attention is full here too.
// Reference: llama.cpp src/models/phi3.cpp and llama_model::get_rope_factors.

extension DecoderWeights {
  /// The phi3 tensors of `gguf`: fused QKV and gate-up matrices views split
  /// in place, optional longrope factors.
  static func phi3(gguf: GGUFFile, config c: ModelConfig) throws(EdgeLMError) -> DecoderWeights {
    try load(gguf: gguf, config: c, extra: OptionalTensors(fusedGateUp: true, longRopeFactors: true))
  }
}
