// The gemma3 architecture: token embeddings scaled by sqrt(dim); in every
// block RMSNorm before and after attention and before and after a GeGLU
// feed-forward network; RMSNorm over each query and key head before neox
// RoPE; five sliding-window layers (RoPE base 10000) for every global one;
// output tied to the embedding. The converter stores the norm weights with
// Gemma's +1 already added, so they are plain RMSNorm weights here.
// Reference: llama.cpp src/models/gemma3-iswa.cpp and its LLM_ARCH_GEMMA3
// hyper-parameters (ModelConfig reads those).

extension DecoderWeights {
  /// The gemma3 tensors of `gguf`.
  static func gemma3(gguf: GGUFFile, config c: ModelConfig) throws(EdgeLMError) -> DecoderWeights {
    let t = TensorLookup(gguf: gguf)
    let dim = c.embeddingLength
    let embedding = try t.matrix("token_embd.weight", cols: dim, rows: c.vocabSize)
    var layers: [DecoderLayer] = []
    layers.reserveCapacity(c.layerCount)
    for i in 0..<c.layerCount {
      let p = "blk.\(i)."
      let shape = attentionShape(c, layer: i)
      layers.append(DecoderLayer(
        attentionNorm: try t.vector(p + "attn_norm.weight", count: dim),
        wq: try t.matrix(p + "attn_q.weight", cols: dim, rows: c.qDim),
        wk: try t.matrix(p + "attn_k.weight", cols: dim, rows: c.kvDim),
        wv: try t.matrix(p + "attn_v.weight", cols: dim, rows: c.kvDim),
        wo: try t.matrix(p + "attn_output.weight", cols: c.qDim, rows: dim),
        qNorm: try t.vector(p + "attn_q_norm.weight", count: c.headDim),
        kNorm: try t.vector(p + "attn_k_norm.weight", count: c.headDim),
        postAttentionNorm: try t.vector(p + "post_attention_norm.weight", count: dim),
        ffnNorm: try t.vector(p + "ffn_norm.weight", count: dim),
        gate: try t.matrix(p + "ffn_gate.weight", cols: dim, rows: c.feedForwardLength),
        up: try t.matrix(p + "ffn_up.weight", cols: dim, rows: c.feedForwardLength),
        down: try t.matrix(p + "ffn_down.weight", cols: c.feedForwardLength, rows: dim),
        postFeedForwardNorm: try t.vector(p + "post_ffw_norm.weight", count: dim),
        rope: shape.rope, window: shape.window))
    }
    return DecoderWeights(
      embedding: embedding, layers: layers,
      outputNorm: try t.vector("output_norm.weight", count: dim),
      output: try output(t, c, embedding: embedding))
  }
}
