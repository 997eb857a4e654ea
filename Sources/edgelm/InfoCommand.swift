// edgelm info: what the file holds (metadata, tensor types) and what running
// it costs (weights, KV cache per context length).

import EdgeLM

enum InfoCommand {
  static func run(_ o: Options) throws(EdgeLMError) {
    let model = try loadModel(o)
    let g = model.gguf
    let c = model.config
    var out = "file: \(model.path)\n"
    out += "gguf: version \(g.version), \(g.metadata.count) metadata keys, \(g.tensors.count) tensors, alignment \(g.alignment)\n"
    out += "architecture: \(c.architecture.name)\n"
    out += "  layers \(c.layerCount), hidden \(c.embeddingLength), ffn \(c.feedForwardLength), heads \(c.headCount) (kv \(c.kvHeadCount)), head size \(c.headDim)\n"
    out += "  vocab \(c.vocabSize), trained context \(c.trainedContextLength), rope base \(fixed(Double(c.ropeBase), 1)) over \(c.ropeDims) dims, rms eps \(c.rmsEpsilon)\n"
    if c.slidingWindow > 0 {
      out += "  sliding-window layers use rope base \(fixed(Double(c.ropeBaseSliding), 1)); attention scale \(c.attentionScale), embedding scale \(c.embeddingScale)\n"
    }
    var rope = "  rope: \(c.ropeStyle == .neox ? "neox (halves)" : "normal (adjacent pairs)")"
    if c.ropeFreqScale != 1 { rope += ", linear scaling factor \(1 / c.ropeFreqScale)" }
    if g.tensor(named: "rope_freqs.weight") != nil { rope += ", frequency factors rope_freqs (llama3 scaling)" }
    if g.tensor(named: "rope_factors_long.weight") != nil || g.tensor(named: "rope_factors_short.weight") != nil {
      rope += ", longrope factors (long ones beyond \(c.ropeOriginalContextLength) positions)"
    }
    if c.ropeAttentionFactor != 1 { rope += ", attention factor \(c.ropeAttentionFactor)" }
    out += rope + "\n"
    var features: [String] = []
    if g.tensor(named: "blk.0.attn_q.bias") != nil { features.append("Q/K/V biases") }
    if g.tensor(named: "blk.0.attn_qkv.weight") != nil { features.append("fused QKV") }
    if g.tensor(named: "blk.0.attn_q_norm.weight") != nil { features.append("per-head Q/K norms") }
    if g.tensor(named: "blk.0.post_attention_norm.weight") != nil { features.append("post-attention/FFN norms") }
    if g.tensor(named: "blk.0.ffn_gate.weight") == nil { features.append("fused gate-up FFN") }
    if g.tensor(named: "output.weight") == nil { features.append("output tied to the embedding") }
    if !features.isEmpty { out += "  blocks: " + features.joined(separator: ", ") + "\n" }
    out += "tokenizer: \(model.tokenizer.vocabSize) tokens, add BOS \(model.tokenizer.addBOS)\n"
    var byType: [String: (count: Int, bytes: Int)] = [:]
    var kernelByType: [String: String] = [:]
    for t in g.tensors {
      let e = byType[t.type.name] ?? (0, 0)
      byType[t.type.name] = (e.count + 1, e.bytes + t.byteCount)
      kernelByType[t.type.name] = QuantKernels.kernelSet(for: t.type)?.name ?? "none"
    }
    out += "tensor types:"
    for key in byType.keys.sorted() {
      let e = byType[key]!
      out += " \(key) x\(e.count) (\(mib(e.bytes)))"
    }
    out += "\n"
    // The dot-product kernels this CPU runs (chosen at run time on aarch64).
    out += "kernels: \(QuantKernels.kernelSet.name)\n"
    // Which kernel each tensor type of this file runs on (the registry's
    // choice: a type this CPU's family lacks runs the portable one).
    out += "  by type:" + kernelByType.keys.sorted().map { " \($0) \(kernelByType[$0]!)" }.joined(separator: ",") + "\n"
    if model.packedBytes > 0 {
      // Matrices rearranged at load for these kernels (Quant/Arm/PackedWeights.swift).
      out += "packed weights: \(Format.fixed(Double(model.packedBytes) / 1048576, 2)) MiB\n"
    }
    let ctx = o.runtime.contextLength == 0 ? min(c.trainedContextLength, SessionOptions.defaultContextLength) : o.runtime.contextLength
    let batch = min(SessionOptions().batchSize, ctx)
    let kvBytes = KVCache.byteCount(config: c, contextLength: ctx, maxBatch: batch)
    let load = model.loadMode == .read ? "read into memory: load \"read\"" : "memory-mapped: load \"map\""
    out += "memory: weights \(mib(model.weightBytes)) (\(load)), KV cache \(mib(kvBytes)) at context \(ctx) (f16)\n"
    if c.slidingWindow > 0 {
      var full = c
      full.layerIsSliding = [Bool](repeating: false, count: c.layerCount)
      let fullBytes = KVCache.byteCount(config: full, contextLength: ctx, maxBatch: batch)
      let sliding = c.layerIsSliding.filter { $0 }.count
      out += "  sliding window \(c.slidingWindow) on \(sliding) of \(c.layerCount) layers: they keep \(c.cachePositions(layer: c.layerIsSliding.firstIndex(of: true) ?? 0, context: ctx, maxBatch: batch)) positions each, saving \(mib(fullBytes - kvBytes)) of KV cache at context \(ctx)\n"
    }
    var runtime = o.runtime
    runtime.contextLength = ctx
    out += try Session.memoryPlan(model: model, config: runtime, batchSize: o.batchSize).describe()
    out += "metadata:\n"
    for entry in g.metadata {
      out += "  \(jsonEscape(entry.key)) = \(describe(entry.value))\n"  // keys are the file's too
    }
    Console.write(out)
  }

  static func mib(_ bytes: Int) -> String { fixed(Double(bytes) / 1048576, 2) + " MiB" }

  static func describe(_ v: GGUFValue) -> String {
    if let i = v.intValue { return String(i) }
    switch v {
    case .float32(let x): return "\(x)"
    case .float64(let x): return "\(x)"
    case .bool(let x): return x ? "true" : "false"
    case .string(let bytes):
      let s = String(decoding: bytes.prefix(80), as: UTF8.self)
      return "\"" + jsonEscape(s) + (bytes.count > 80 ? "...\" (\(bytes.count) bytes)" : "\"")
    case .array(let a):
      return "\(v.typeDescription) (\(a.count))"
    default:
      return v.typeDescription
    }
  }
}
