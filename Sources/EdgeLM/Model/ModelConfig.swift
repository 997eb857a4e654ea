// Hyper-parameters read from GGUF metadata and validated before any weight
// is touched: a hostile or broken file gets a `.format` error naming the key,
// never a division by zero or an absurd allocation later.

/// Architectures this build runs. `general.architecture` names them.
public enum Architecture: Sendable {
  case llama
  case qwen2
  case qwen3
  case phi3
  case gemma3

  public static let supportedNames = "llama, qwen2, qwen3, phi3, gemma3"

  init(name: String) throws(EdgeLMError) {
    switch name {
    case "llama": self = .llama
    case "qwen2": self = .qwen2
    case "qwen3": self = .qwen3
    case "phi3": self = .phi3
    case "gemma3": self = .gemma3
    default:
      throw EdgeLMError(.unsupported, "architecture '\(name)' is not supported (supported: \(Architecture.supportedNames))")
    }
  }

  public var name: String {
    switch self {
    case .llama: return "llama"
    case .qwen2: return "qwen2"
    case .qwen3: return "qwen3"
    case .phi3: return "phi3"
    case .gemma3: return "gemma3"
    }
  }
}

/// The gated feed-forward activation.
public enum FeedForwardActivation: Sendable {
  /// silu(gate) * up (llama, qwen, mistral).
  case swiglu
  /// gelu(gate) * up with ggml's tanh approximation (gemma).
  case geglu
}

public struct ModelConfig: Sendable {
  public var architecture: Architecture
  public var vocabSize: Int
  /// Context length the model was trained with (`*.context_length`).
  public var trainedContextLength: Int
  /// Hidden size (`*.embedding_length`).
  public var embeddingLength: Int
  public var feedForwardLength: Int
  public var layerCount: Int
  public var headCount: Int
  public var kvHeadCount: Int
  public var headDim: Int
  public var ropeDims: Int
  public var ropeBase: Float
  public var ropeFreqScale: Float
  public var rmsEpsilon: Float
  /// How pairs are rotated: adjacent (llama) or halves (gemma, qwen, phi).
  public var ropeStyle: RopeStyle
  public var feedForward: FeedForwardActivation
  /// Multiplies token embeddings before the first layer (gemma: sqrt(dim)).
  public var embeddingScale: Float
  /// Multiplies query-key dot products (1/sqrt(headDim) unless the model says).
  public var attentionScale: Float
  /// Sliding-window size of the layers that use one (0 = no sliding window):
  /// a query at position p sees keys at p-window+1...p.
  public var slidingWindow: Int
  /// Per layer: whether it attends over the sliding window. Shape: (layerCount).
  public var layerIsSliding: [Bool]
  /// RoPE base and frequency scale of sliding-window layers (gemma3 uses
  /// 10000 and 1 there, the metadata values on global layers).
  public var ropeBaseSliding: Float
  public var ropeFreqScaleSliding: Float
  /// tanh soft-capping of the output logits (0 = none).
  public var finalLogitSoftcap: Float
  /// Multiplies RoPE's cos and sin (`*.rope.scaling.attn_factor`, 1 unless
  /// set; phi3's long-context models set it), so q.k scales by its square.
  public var ropeAttentionFactor: Float
  /// The context the model was trained with before RoPE scaling
  /// (`*.rope.scaling.original_context_length`, default the trained
  /// context): sessions longer than this use phi3's long RoPE factors.
  public var ropeOriginalContextLength: Int

  public var qDim: Int { headCount * headDim }

  /// KV cache positions layer `l` keeps for a context of `context` positions
  /// and prompt batches of up to `maxBatch`: the whole context, or for a
  /// sliding-window layer a ring of window + maxBatch - 1 positions (every
  /// query of a batch still sees its whole window after the batch's keys
  /// are written).
  public func cachePositions(layer l: Int, context: Int, maxBatch: Int) -> Int {
    guard layerIsSliding[l] else { return context }
    return min(context, slidingWindow + maxBatch - 1)
  }
  public var kvDim: Int { kvHeadCount * headDim }

  /// Upper bounds that no real model approaches; they keep later size
  /// arithmetic far from overflow.
  static let maxLayers = 1024
  static let maxWidth = 1 << 20
  static let maxHeads = 4096

  /// Reads and validates the hyper-parameters of `gguf`.
  /// - Throws: `.unsupported` for an unknown architecture, `.format` naming
  ///   the key for a missing, mistyped or inconsistent value.
  public init(gguf: GGUFFile) throws(EdgeLMError) {
    guard let archName = try gguf.string("general.architecture") else {
      throw EdgeLMError(.format, "metadata 'general.architecture' is missing")
    }
    architecture = try Architecture(name: archName)
    let a = archName

    func required(_ key: String, _ range: ClosedRange<Int>) throws(EdgeLMError) -> Int {
      guard let v = try gguf.integer(a + "." + key) else {
        throw EdgeLMError(.format, "metadata '\(a).\(key)' is missing")
      }
      guard range.contains(v) else {
        throw EdgeLMError(.format, "metadata '\(a).\(key)' = \(v) is out of range \(range.lowerBound)...\(range.upperBound)")
      }
      return v
    }
    func optional(_ key: String, _ range: ClosedRange<Int>) throws(EdgeLMError) -> Int? {
      guard let v = try gguf.integer(a + "." + key) else { return nil }
      guard range.contains(v) else {
        throw EdgeLMError(.format, "metadata '\(a).\(key)' = \(v) is out of range \(range.lowerBound)...\(range.upperBound)")
      }
      return v
    }
    func positiveFloat(_ key: String, default value: Float?, max: Float) throws(EdgeLMError) -> Float {
      guard let v = try gguf.float(a + "." + key) ?? value else {
        throw EdgeLMError(.format, "metadata '\(a).\(key)' is missing")
      }
      guard v.isFinite, v > 0, v <= max else {
        throw EdgeLMError(.format, "metadata '\(a).\(key)' = \(v) must be a finite number in (0, \(max)]")
      }
      return v
    }

    if let experts = try optional("expert_count", 0...65536), experts > 0 {
      throw EdgeLMError(.unsupported, "metadata '\(a).expert_count' = \(experts): mixture-of-experts models are not supported")
    }
    layerCount = try required("block_count", 1...ModelConfig.maxLayers)
    embeddingLength = try required("embedding_length", 1...ModelConfig.maxWidth)
    feedForwardLength = try required("feed_forward_length", 1...ModelConfig.maxWidth)
    trainedContextLength = try required("context_length", 1...(1 << 24))
    headCount = try required("attention.head_count", 1...ModelConfig.maxHeads)
    kvHeadCount = try optional("attention.head_count_kv", 1...ModelConfig.maxHeads) ?? headCount
    guard headCount % kvHeadCount == 0 else {
      throw EdgeLMError(.format, "metadata '\(a).attention.head_count' = \(headCount) is not a multiple of '\(a).attention.head_count_kv' = \(kvHeadCount)")
    }
    if let keyLength = try optional("attention.key_length", 1...65536) {
      headDim = keyLength
      // llama.cpp's value head size defaults to dim / heads, not key_length.
      let valueLength = try optional("attention.value_length", 1...65536)
        ?? (embeddingLength % headCount == 0 ? embeddingLength / headCount : 0)
      if valueLength != keyLength {
        throw EdgeLMError(.unsupported, "metadata '\(a).attention.value_length' = \(valueLength) (or dim / heads when absent) differs from key_length = \(keyLength)")
      }
    } else {
      guard embeddingLength % headCount == 0 else {
        throw EdgeLMError(.format, "metadata '\(a).embedding_length' = \(embeddingLength) is not a multiple of '\(a).attention.head_count' = \(headCount)")
      }
      headDim = embeddingLength / headCount
    }
    guard headDim % 2 == 0 else {
      throw EdgeLMError(.format, "attention head size \(headDim) must be even for rotary embeddings")
    }
    ropeDims = try optional("rope.dimension_count", 2...65536) ?? headDim
    guard ropeDims <= headDim, ropeDims % 2 == 0 else {
      throw EdgeLMError(.format, "metadata '\(a).rope.dimension_count' = \(ropeDims) must be even and at most the head size \(headDim)")
    }
    ropeBase = try positiveFloat("rope.freq_base", default: 10000, max: 1e12)
    // As llama.cpp: the scaling type defaults to linear, whose factor
    // (`rope.scaling.factor`, or the old `rope.scale_linear`; 0 or absent
    // meaning 1) divides every angle. "longrope" (phi3) scales the same way
    // and brings its per-dimension factors as tensors (Decoder.swift); YaRN
    // needs the ramp extension this RoPE does not have.
    let scaling = try gguf.string(a + ".rope.scaling.type") ?? "linear"
    switch scaling {
    case "none":
      ropeFreqScale = 1
    case "linear", "longrope":
      var factor: Float = 0
      if let f = try gguf.float(a + ".rope.scaling.factor") {
        factor = f
      } else if let f = try gguf.float(a + ".rope.scale_linear") {
        factor = f
      }
      if factor == 0 { factor = 1 }
      guard factor.isFinite, factor > 0, factor <= 1e6 else {
        throw EdgeLMError(.format, "metadata '\(a).rope.scaling.factor' = \(factor) must be a finite number in (0, 1e6]")
      }
      ropeFreqScale = 1 / factor
    default:
      throw EdgeLMError(.unsupported, "metadata '\(a).rope.scaling.type' = '\(scaling)' is not supported (supported: none, linear, longrope)")
    }
    rmsEpsilon = try positiveFloat("attention.layer_norm_rms_epsilon", default: nil, max: 1)
    ropeAttentionFactor = try positiveFloat("rope.scaling.attn_factor", default: 1, max: 1e3)
    ropeOriginalContextLength = try optional("rope.scaling.original_context_length", 1...(1 << 24)) ?? trainedContextLength

    ropeStyle = .normal
    feedForward = .swiglu
    embeddingScale = 1
    attentionScale = 1 / Float(headDim).squareRoot()
    slidingWindow = 0
    layerIsSliding = [Bool](repeating: false, count: layerCount)
    ropeBaseSliding = ropeBase
    ropeFreqScaleSliding = ropeFreqScale
    finalLogitSoftcap = 0
    switch architecture {
    case .llama:
      // llama.cpp's LLM_ARCH_LLAMA ignores any sliding window (Mistral 7B
      // v0.1 runs with full attention there), and so do we. Its attention
      // scale may be set (`llama.attention.scale`, 0 meaning the default).
      if let scale = try gguf.float(a + ".attention.scale"), scale != 0 {
        guard scale.isFinite, scale > 0 else {
          throw EdgeLMError(.format, "metadata '\(a).attention.scale' = \(scale) must be a finite number > 0")
        }
        attentionScale = scale
      }
    case .qwen2, .qwen3, .phi3:
      // As llama.cpp (LLAMA_ROPE_TYPE_NEOX for these). phi3's sliding window
      // is disabled in llama.cpp ("Phi SWA is currently disabled"), qwen2's
      // is never read: full attention here too.
      ropeStyle = .neox
    case .gemma3:
      // As llama.cpp's LLM_ARCH_GEMMA3 hyper-parameters: neox RoPE, GeGLU,
      // embeddings scaled by sqrt(dim), every 6th layer global and the
      // others over the sliding window with RoPE base 10000.
      ropeStyle = .neox
      feedForward = .geglu
      embeddingScale = Float(embeddingLength).squareRoot()
      if let window = try optional("attention.sliding_window", 0...(1 << 24)), window > 0 {
        slidingWindow = window
        for l in 0..<layerCount { layerIsSliding[l] = l % 6 < 5 }
        ropeBaseSliding = 10000
        ropeFreqScaleSliding = 1
      }
      if let cap = try gguf.float(a + ".final_logit_softcapping") {
        guard cap.isFinite, cap >= 0 else {
          throw EdgeLMError(.format, "metadata '\(a).final_logit_softcapping' = \(cap) must be a finite number >= 0")
        }
        finalLogitSoftcap = cap
      }
      // llama.cpp: 1/sqrt(n_embd/n_head) for the 27B model (62 layers), else
      // 1/sqrt(head size).
      if layerCount == 62 {
        attentionScale = 1 / Float(embeddingLength / headCount).squareRoot()
      }
    }

    // The vocabulary size comes from the embedding tensor, the ground truth.
    guard let embedding = gguf.tensor(named: "token_embd.weight") else {
      throw EdgeLMError(.format, "tensor 'token_embd.weight' is missing")
    }
    guard embedding.dims.count == 2, embedding.dims[0] == embeddingLength, embedding.dims[1] >= 1 else {
      throw EdgeLMError(.format, "tensor 'token_embd.weight' has shape \(embedding.dims), expected [\(embeddingLength), vocab]")
    }
    vocabSize = embedding.dims[1]
    if let declared = try optional("vocab_size", 1...(1 << 24)), declared != vocabSize {
      throw EdgeLMError(.format, "metadata '\(a).vocab_size' = \(declared) disagrees with token_embd.weight rows \(vocabSize)")
    }
  }
}
