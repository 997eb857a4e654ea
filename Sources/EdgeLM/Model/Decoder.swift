// The decoder-only transformer shared by every architecture: pre-norm
// blocks of grouped-query attention and a gated feed-forward network, with
// the optional pieces families add (per-head Q/K norms, post-attention and
// post-feed-forward norms, sliding-window layers with their own RoPE,
// embedding scaling, logit soft-capping, Q/K/V biases, fused QKV and
// gate-up tensors, RoPE frequency factors). Each architecture file
// (Llama.swift, Qwen.swift, Phi3.swift, Gemma3.swift) only says which of
// these its tensors carry; what differs numerically is in `ModelConfig`.
// References: llama.cpp src/models/llama.cpp, qwen2.cpp, qwen3.cpp,
// phi3.cpp and gemma3-iswa.cpp.

/// One transformer block's weights, as views into the mapping.
struct DecoderLayer {
  let attentionNorm: WeightVector
  let wq: WeightMatrix   // (qDim, dim)
  let wk: WeightMatrix   // (kvDim, dim)
  let wv: WeightMatrix   // (kvDim, dim)
  let wo: WeightMatrix   // (dim, qDim)
  /// Added to the Q, K and V projections (qwen2): (qDim), (kvDim), (kvDim).
  let qBias: WeightVector?
  let kBias: WeightVector?
  let vBias: WeightVector?
  /// RMSNorm over each query / key head (headDim), gemma3 and qwen3.
  let qNorm: WeightVector?
  let kNorm: WeightVector?
  /// RMSNorm of the attention output before the residual add (gemma2/3).
  let postAttentionNorm: WeightVector?
  let ffnNorm: WeightVector
  let gate: WeightMatrix // (ffn, dim)
  let up: WeightMatrix   // (ffn, dim)
  let down: WeightMatrix // (dim, ffn)
  /// RMSNorm of the feed-forward output before the residual add (gemma2/3).
  let postFeedForwardNorm: WeightVector?
  let rope: RopeTable
  /// phi3's RoPE with the long-context factors, used instead of `rope` by
  /// sessions longer than `ModelConfig.ropeOriginalContextLength`.
  let ropeLong: RopeTable?
  /// Sliding-window size, 0 for full causal attention.
  let window: Int
}

public struct DecoderWeights {
  let embedding: WeightMatrix   // (vocab, dim)
  let layers: [DecoderLayer]
  let outputNorm: WeightVector
  let output: WeightMatrix      // (vocab, dim), the embedding when tied
  /// Owners of the RoPE frequency factors the layers' tables point into.
  let ropeFactors: [WeightVector]
  /// Owner of the packed copies of matrices (Model/WeightPacking.swift).
  var packedStore: PackedStore? = nil

  /// The RoPE table and window of layer `l` of `c`, with frequency factors
  /// `factors` ((ropeDims/2), nil for none).
  static func attentionShape(_ c: ModelConfig, layer l: Int, factors: UnsafePointer<Float>? = nil) -> (rope: RopeTable, window: Int) {
    if c.layerIsSliding[l] {
      return (RopeTable(dims: c.ropeDims, base: c.ropeBaseSliding, freqScale: c.ropeFreqScaleSliding, style: c.ropeStyle,
                        freqFactors: factors, attnFactor: c.ropeAttentionFactor),
              c.slidingWindow)
    }
    return (RopeTable(dims: c.ropeDims, base: c.ropeBase, freqScale: c.ropeFreqScale, style: c.ropeStyle,
                      freqFactors: factors, attnFactor: c.ropeAttentionFactor), 0)
  }

  /// The optional per-block tensors a family carries besides llama's.
  struct OptionalTensors {
    /// `attn_q_norm` / `attn_k_norm` (headDim): gemma3, qwen3.
    var headNorms = false
    /// `post_attention_norm` / `post_ffw_norm` (dim): gemma2, gemma3.
    var postNorms = false
    /// `attn_q.bias`, `attn_k.bias`, `attn_v.bias`: qwen2.
    var qkvBiases = false
    /// `ffn_up` with 2 ffn rows, the gate then the up projection, and no
    /// `ffn_gate`: phi3 (llama.cpp's LLM_FFN_SWIGLU on one tensor).
    var fusedGateUp = false
    /// `rope_freqs` (ropeDims/2): frequency factors on every layer (the
    /// llama3 RoPE scaling, which the converter bakes into this tensor).
    var ropeFreqs = false
    /// `rope_factors_short` / `rope_factors_long` (ropeDims/2): phi3's
    /// longrope factors, long ones for contexts beyond the original.
    var longRopeFactors = false
  }

  /// The frequency factors of `extra` found in `gguf`: (all layers' or the
  /// short ones, the long ones).
  static func loadRopeFactors(_ t: TensorLookup, config c: ModelConfig, extra: OptionalTensors)
    throws(EdgeLMError) -> (short: WeightVector?, long: WeightVector?) {
    let pairs = c.ropeDims / 2
    if t.hasTensor("rope_freqs.weight") {
      guard extra.ropeFreqs else {
        throw EdgeLMError(.unsupported, "tensor 'rope_freqs.weight' (RoPE frequency factors) is not supported for architecture \(c.architecture.name)")
      }
      return (try t.ownedPositiveVector("rope_freqs.weight", count: pairs), nil)
    }
    let hasLongrope = t.hasTensor("rope_factors_long.weight") || t.hasTensor("rope_factors_short.weight")
    guard hasLongrope else { return (nil, nil) }
    guard extra.longRopeFactors else {
      throw EdgeLMError(.unsupported, "tensors 'rope_factors_long/short.weight' (longrope RoPE scaling) are not supported for architecture \(c.architecture.name)")
    }
    let short = t.hasTensor("rope_factors_short.weight") ? try t.ownedPositiveVector("rope_factors_short.weight", count: pairs) : nil
    let long = t.hasTensor("rope_factors_long.weight") ? try t.ownedPositiveVector("rope_factors_long.weight", count: pairs) : nil
    return (short, long)
  }

  /// The decoder tensors of `gguf` under llama.cpp's converter names
  /// (`token_embd`, `blk.N.attn_*`, `blk.N.ffn_*`, `output_norm`, `output`,
  /// tied to the embedding when absent), with the optional ones `extra` names.
  static func load(gguf: GGUFFile, config c: ModelConfig, extra: OptionalTensors) throws(EdgeLMError) -> DecoderWeights {
    let t = TensorLookup(gguf: gguf)
    let dim = c.embeddingLength
    let embedding = try t.matrix("token_embd.weight", cols: dim, rows: c.vocabSize)
    let factors = try loadRopeFactors(t, config: c, extra: extra)
    var layers: [DecoderLayer] = []
    layers.reserveCapacity(c.layerCount)
    for i in 0..<c.layerCount {
      let p = "blk.\(i)."
      let shape = attentionShape(c, layer: i, factors: factors.short?.pointer)
      let ropeLong = factors.long.map { attentionShape(c, layer: i, factors: $0.pointer).rope }
      let wq, wk, wv: WeightMatrix
      // One `attn_qkv` (qDim + 2 kvDim rows: Q, then K, then V) where the
      // file has it (phi3; llama.cpp's create_tensor_qkv accepts it for
      // every architecture), else three projections.
      if t.hasTensor(p + "attn_qkv.weight") {
        let qkv = try t.matrix(p + "attn_qkv.weight", cols: dim, rows: c.qDim + 2 * c.kvDim)
        wq = qkv.rows(0..<c.qDim)
        wk = qkv.rows(c.qDim..<c.qDim + c.kvDim)
        wv = qkv.rows(c.qDim + c.kvDim..<c.qDim + 2 * c.kvDim)
      } else {
        wq = try t.matrix(p + "attn_q.weight", cols: dim, rows: c.qDim)
        wk = try t.matrix(p + "attn_k.weight", cols: dim, rows: c.kvDim)
        wv = try t.matrix(p + "attn_v.weight", cols: dim, rows: c.kvDim)
      }
      let gate, up: WeightMatrix
      if extra.fusedGateUp {
        let gateUp = try t.matrix(p + "ffn_up.weight", cols: dim, rows: 2 * c.feedForwardLength)
        gate = gateUp.rows(0..<c.feedForwardLength)
        up = gateUp.rows(c.feedForwardLength..<2 * c.feedForwardLength)
      } else {
        gate = try t.matrix(p + "ffn_gate.weight", cols: dim, rows: c.feedForwardLength)
        up = try t.matrix(p + "ffn_up.weight", cols: dim, rows: c.feedForwardLength)
      }
      layers.append(DecoderLayer(
        attentionNorm: try t.vector(p + "attn_norm.weight", count: dim),
        wq: wq, wk: wk, wv: wv,
        wo: try t.matrix(p + "attn_output.weight", cols: c.qDim, rows: dim),
        qBias: extra.qkvBiases ? try t.vector(p + "attn_q.bias", count: c.qDim) : nil,
        kBias: extra.qkvBiases ? try t.vector(p + "attn_k.bias", count: c.kvDim) : nil,
        vBias: extra.qkvBiases ? try t.vector(p + "attn_v.bias", count: c.kvDim) : nil,
        qNorm: extra.headNorms ? try t.vector(p + "attn_q_norm.weight", count: c.headDim) : nil,
        kNorm: extra.headNorms ? try t.vector(p + "attn_k_norm.weight", count: c.headDim) : nil,
        postAttentionNorm: extra.postNorms ? try t.vector(p + "post_attention_norm.weight", count: dim) : nil,
        ffnNorm: try t.vector(p + "ffn_norm.weight", count: dim),
        gate: gate, up: up,
        down: try t.matrix(p + "ffn_down.weight", cols: c.feedForwardLength, rows: dim),
        postFeedForwardNorm: extra.postNorms ? try t.vector(p + "post_ffw_norm.weight", count: dim) : nil,
        rope: shape.rope, ropeLong: ropeLong, window: shape.window))
    }
    let outputNorm = try t.vector("output_norm.weight", count: dim)
    let output = t.hasTensor("output.weight")
      ? try t.matrix("output.weight", cols: dim, rows: c.vocabSize) : embedding
    // llama.cpp refuses a file with tensors its architecture does not
    // load; here too, so that a bias or expert tensor is never silently
    // dropped.
    if let name = t.firstUntaken() {
      throw EdgeLMError(.unsupported, "tensor '\(name)' is not used by the \(c.architecture.name) decoder (a feature this build does not support)")
    }
    var owners: [WeightVector] = []
    if let v = factors.short { owners.append(v) }
    if let v = factors.long { owners.append(v) }
    return DecoderWeights(embedding: embedding, layers: layers, outputNorm: outputNorm, output: output, ropeFactors: owners)
  }
}

extension DecoderWeights {
  /// Runs `batch` tokens at positions `start..<start+batch` through the model,
  /// appending their keys and values to the cache, and writes logits for the
  /// rows `logitRows` asks for.
  func forward(_ s: ForwardState, tokens: UnsafePointer<Int32>, batch n: Int, start: Int, logitRows: LogitRows) {
    let c = s.config
    let dim = c.embeddingLength
    let pool = s.pool
    let x = s.x.pointer        // (n, dim) residual stream
    let xb = s.xb.pointer      // (n, max(dim, qDim)) normalised input, block outputs
    let q = s.q.pointer        // (n, qDim)
    let k = s.k.pointer        // (n, kvDim)
    let v = s.v.pointer        // (n, kvDim)
    let att = s.att.pointer    // (n, qDim) attention output
    let hb = s.hb.pointer      // (n, ffn) gate, then the gated activation
    let hb2 = s.hb2.pointer    // (n, ffn) up
    let ffn = c.feedForwardLength
    let eps = c.rmsEpsilon

    s.pager?.enterEmbedding()  // under a RAM cap (Runtime/LayerPager.swift)
    for t in 0..<n {
      if let pager = s.pager {
        pager.embeddingRow(embedding, token: Int(tokens[t]), into: x + t * dim)  // read from the file if streamed
      } else {
        embedding.dequantizeRow(Int(tokens[t]), into: x + t * dim)
      }
      if c.embeddingScale != 1 { Activations.scale(x + t * dim, count: dim, by: c.embeddingScale) }
    }

    for (l, layer) in layers.enumerated() {
      if s.cancel.isSet { return }
      if !s.skippedLayers.isEmpty && s.skippedLayers[l] { continue }  // a self-speculative draft
      s.pager?.enter(layer: l)  // maps layer l if it is streamed
      Norm.rmsRows(x, weight: layer.attentionNorm.pointer, rows: n, count: dim, stride: dim, eps: eps, out: xb)
      s.multiply(layer.wq, q, layer.wk, k, layer.wv, v, input: xb, n)
      if let b = layer.qBias { Self.addBias(q, b, rows: n) }
      if let b = layer.kBias { Self.addBias(k, b, rows: n) }
      if let b = layer.vBias { Self.addBias(v, b, rows: n) }
      if let qn = layer.qNorm {
        Norm.rmsRows(q, weight: qn.pointer, rows: n * c.headCount, count: c.headDim, stride: c.headDim, eps: eps, out: q)
      }
      if let kn = layer.kNorm {
        Norm.rmsRows(k, weight: kn.pointer, rows: n * c.kvHeadCount, count: c.headDim, stride: c.headDim, eps: eps, out: k)
      }
      var rope = layer.rope
      if let long = layer.ropeLong, s.kv.contextLength > c.ropeOriginalContextLength { rope = long }
      s.ropeAndStore(layer: l, rope: rope, q: q, k: k, v: v, batch: n, start: start)
      s.attend(layer: l, q: q, batch: n, start: start, window: layer.window, scale: c.attentionScale, out: att)
      s.multiply(layer.wo, att, n, xb)
      if let pn = layer.postAttentionNorm {
        Norm.rmsRows(xb, weight: pn.pointer, rows: n, count: dim, stride: dim, eps: eps, out: xb)
      }
      Activations.add(x, xb, count: n * dim)

      Norm.rmsRows(x, weight: layer.ffnNorm.pointer, rows: n, count: dim, stride: dim, eps: eps, out: xb)
      s.multiply(layer.gate, hb, layer.up, hb2, input: xb, n)
      switch c.feedForward {
      case .swiglu:
        pool.parallelFor(n) { range in
          for t in range { Activations.swiglu(gate: hb + t * ffn, up: hb2 + t * ffn, count: ffn) }
        }
      case .geglu:
        pool.parallelFor(n) { range in
          for t in range { Activations.geglu(gate: hb + t * ffn, up: hb2 + t * ffn, count: ffn) }
        }
      }
      s.multiply(layer.down, hb, n, xb)
      if let pn = layer.postFeedForwardNorm {
        Norm.rmsRows(xb, weight: pn.pointer, rows: n, count: dim, stride: dim, eps: eps, out: xb)
      }
      Activations.add(x, xb, count: n * dim)
    }
    s.computeLogits(output: output, outputNorm: outputNorm, batch: n, rows: logitRows)
  }

  /// Adds `bias` (its count wide) to each of `rows` rows of `x`.
  private static func addBias(_ x: UnsafeMutablePointer<Float>, _ bias: WeightVector, rows: Int) {
    for r in 0..<rows { Activations.add(x + r * bias.count, bias.pointer, count: bias.count) }
  }
}
