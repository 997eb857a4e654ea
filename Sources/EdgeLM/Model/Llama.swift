// The llama architecture: pre-norm transformer blocks with RMSNorm, rotary
// embeddings on adjacent pairs, grouped-query attention and a SwiGLU MLP;
// output tied to the embedding when `output.weight` is absent.
// Reference: llama.cpp src/models/llama.cpp (llm_build_llama) and
// mlx-swift-lm's Llama.swift.

import CEdgeSys

struct LlamaLayer {
  let attentionNorm: WeightVector
  let wq: WeightMatrix   // (qDim, dim)
  let wk: WeightMatrix   // (kvDim, dim)
  let wv: WeightMatrix   // (kvDim, dim)
  let wo: WeightMatrix   // (dim, qDim)
  let ffnNorm: WeightVector
  let gate: WeightMatrix // (ffn, dim)
  let up: WeightMatrix   // (ffn, dim)
  let down: WeightMatrix // (dim, ffn)
}

public struct LlamaWeights {
  let embedding: WeightMatrix   // (vocab, dim)
  let layers: [LlamaLayer]
  let outputNorm: WeightVector
  let output: WeightMatrix      // (vocab, dim), the embedding when tied

  init(gguf: GGUFFile, config c: ModelConfig) throws(EdgeLMError) {
    let t = TensorLookup(gguf: gguf)
    let dim = c.embeddingLength
    embedding = try t.matrix("token_embd.weight", cols: dim, rows: c.vocabSize)
    var layers: [LlamaLayer] = []
    layers.reserveCapacity(c.layerCount)
    for i in 0..<c.layerCount {
      let p = "blk.\(i)."
      layers.append(LlamaLayer(
        attentionNorm: try t.vector(p + "attn_norm.weight", count: dim),
        wq: try t.matrix(p + "attn_q.weight", cols: dim, rows: c.qDim),
        wk: try t.matrix(p + "attn_k.weight", cols: dim, rows: c.kvDim),
        wv: try t.matrix(p + "attn_v.weight", cols: dim, rows: c.kvDim),
        wo: try t.matrix(p + "attn_output.weight", cols: c.qDim, rows: dim),
        ffnNorm: try t.vector(p + "ffn_norm.weight", count: dim),
        gate: try t.matrix(p + "ffn_gate.weight", cols: dim, rows: c.feedForwardLength),
        up: try t.matrix(p + "ffn_up.weight", cols: dim, rows: c.feedForwardLength),
        down: try t.matrix(p + "ffn_down.weight", cols: c.feedForwardLength, rows: dim)))
    }
    self.layers = layers
    outputNorm = try t.vector("output_norm.weight", count: dim)
    if t.hasTensor("output.weight") {
      output = try t.matrix("output.weight", cols: dim, rows: c.vocabSize)
    } else {
      output = embedding
    }
  }
}

extension LlamaWeights {
  /// Runs `batch` tokens at positions `start..<start+batch` through the model,
  /// appending their keys and values to the cache, and writes logits for the
  /// rows `logitRows` asks for.
  func forward(_ s: ForwardState, tokens: UnsafePointer<Int32>, batch n: Int, start: Int, logitRows: LogitRows) {
    let c = s.config
    let dim = c.embeddingLength
    let pool = s.pool
    let x = s.x.pointer        // (n, dim) residual stream
    let xb = s.xb.pointer      // (n, dim) normalised input
    let q = s.q.pointer        // (n, qDim)
    let k = s.k.pointer        // (n, kvDim)
    let v = s.v.pointer        // (n, kvDim)
    let att = s.att.pointer    // (n, qDim) attention output
    let hb = s.hb.pointer      // (n, ffn) gate, then SwiGLU result
    let hb2 = s.hb2.pointer    // (n, ffn) up
    let ffn = c.feedForwardLength

    s.pager?.enterEmbedding()  // PAGING HOOK (Runtime/LayerPager.swift): unmaps the unit in flight
    for t in 0..<n { embedding.dequantizeRow(Int(tokens[t]), into: x + t * dim) }

    let rope = RopeTable(dims: c.ropeDims, base: c.ropeBase, freqScale: c.ropeFreqScale, style: .normal)
    let scale = 1 / Float(c.headDim).squareRoot()

    for (l, layer) in layers.enumerated() {
      if s.cancel.isSet { return }
      s.pager?.enter(layer: l)  // PAGING HOOK: maps layer l if streamed, releases the previous one
      Norm.rmsRows(x, weight: layer.attentionNorm.pointer, rows: n, count: dim, stride: dim, eps: c.rmsEpsilon, out: xb)
      s.multiply(layer.wq, xb, n, q)
      s.multiply(layer.wk, xb, n, k)
      s.multiply(layer.wv, xb, n, v)
      s.ropeAndStore(layer: l, rope: rope, q: q, k: k, v: v, batch: n, start: start)
      s.attend(layer: l, q: q, batch: n, start: start, scale: scale, out: att)
      s.multiply(layer.wo, att, n, xb)
      Activations.add(x, xb, count: n * dim)

      Norm.rmsRows(x, weight: layer.ffnNorm.pointer, rows: n, count: dim, stride: dim, eps: c.rmsEpsilon, out: xb)
      s.multiply(layer.gate, xb, n, hb)
      s.multiply(layer.up, xb, n, hb2)
      pool.parallelFor(n) { range in
        for t in range { Activations.swiglu(gate: hb + t * ffn, up: hb2 + t * ffn, count: ffn) }
      }
      s.multiply(layer.down, hb, n, xb)
      Activations.add(x, xb, count: n * dim)
    }
    s.computeLogits(output: output, outputNorm: outputNorm, batch: n, rows: logitRows)
  }
}
