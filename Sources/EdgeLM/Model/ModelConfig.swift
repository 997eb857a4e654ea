// Hyper-parameters read from GGUF metadata and validated before any weight
// is touched: a hostile or broken file gets a `.format` error naming the key,
// never a division by zero or an absurd allocation later.

/// Architectures this build runs. `general.architecture` names them.
public enum Architecture: Sendable {
  case llama

  public static let supportedNames = "llama"

  init(name: String) throws(EdgeLMError) {
    switch name {
    case "llama": self = .llama
    default:
      throw EdgeLMError(.unsupported, "architecture '\(name)' is not supported (supported: \(Architecture.supportedNames))")
    }
  }

  public var name: String {
    switch self {
    case .llama: return "llama"
    }
  }
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

  public var qDim: Int { headCount * headDim }
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
      if let valueLength = try optional("attention.value_length", 1...65536), valueLength != keyLength {
        throw EdgeLMError(.unsupported, "metadata '\(a).attention.value_length' = \(valueLength) differs from key_length = \(keyLength)")
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
    if let scaling = try gguf.string(a + ".rope.scaling.type"), scaling != "none" {
      if scaling == "linear" {
        let factor = try positiveFloat("rope.scaling.factor", default: 1, max: 1e6)
        ropeFreqScale = 1 / factor
      } else {
        throw EdgeLMError(.unsupported, "metadata '\(a).rope.scaling.type' = '\(scaling)' is not supported (supported: none, linear)")
      }
    } else {
      ropeFreqScale = 1
    }
    rmsEpsilon = try positiveFloat("attention.layer_norm_rms_epsilon", default: nil, max: 1)

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
