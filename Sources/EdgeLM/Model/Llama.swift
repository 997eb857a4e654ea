// The llama architecture: pre-norm transformer blocks with RMSNorm, rotary
// embeddings on adjacent pairs, grouped-query attention and a SwiGLU MLP;
// output tied to the embedding when `output.weight` is absent.
// Reference: llama.cpp src/models/llama.cpp (llm_build_llama).

extension DecoderWeights {
  /// The llama tensors of `gguf` (names as llama.cpp's converter writes them).
  static func llama(gguf: GGUFFile, config c: ModelConfig) throws(EdgeLMError) -> DecoderWeights {
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
        qNorm: nil, kNorm: nil, postAttentionNorm: nil,
        ffnNorm: try t.vector(p + "ffn_norm.weight", count: dim),
        gate: try t.matrix(p + "ffn_gate.weight", cols: dim, rows: c.feedForwardLength),
        up: try t.matrix(p + "ffn_up.weight", cols: dim, rows: c.feedForwardLength),
        down: try t.matrix(p + "ffn_down.weight", cols: c.feedForwardLength, rows: dim),
        postFeedForwardNorm: nil,
        rope: shape.rope, window: shape.window))
    }
    return DecoderWeights(
      embedding: embedding, layers: layers,
      outputNorm: try t.vector("output_norm.weight", count: dim),
      output: try output(t, c, embedding: embedding))
  }
}
