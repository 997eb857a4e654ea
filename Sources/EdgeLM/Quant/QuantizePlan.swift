// Which type each tensor gets when a model is quantized: llama.cpp's rules
// from src/llama-quant.cpp (llama-quantize), so `edgelm quantize` writes the
// same mixture llama-quantize would for the same file type:
//  - tensor_allows_quantization: only weight matrices are converted (names
//    ending in "weight", at least 2 dimensions not counting trailing 1s, not
//    norms, routers, positional embeddings, small conv or multimodal
//    tensors). Everything else (norms and biases are F32 in practice) is
//    copied byte for byte.
//  - llama_tensor_get_type_impl (unless `pure`): the output matrix, or the
//    token embedding when it doubles as the output (tied embeddings), goes to
//    q6_K (q8_0 when the file type is q8_0 or its rows do not fit the
//    target's blocks); the K mixtures (Q2_K, Q3_K_S/M/L, Q4_K_S/M,
//    Q5_K_S/M) raise attn_v, ffn_down and attn_output in chosen layers. The
//    rules for i-quants, MoE (8 experts) and 70B models are left out: no
//    supported target or architecture uses them.
//  - tensor_type_fallback: a target whose block does not divide the row
//    length falls back (q2_K/q3_K -> q4_0, q4_K -> q5_0, q5_K -> q5_1,
//    q6_K -> q8_0; then f16 if even that does not divide it). llama.cpp
//    refuses 32-element types on such rows; we fall back to f16 instead.
//  - A tensor already of its target type is copied, not requantized.
// Targets are llama-quantize's file type names, case-insensitive, with its
// aliases: Q4_K = Q4_K_M, Q5_K = Q5_K_M, Q3_K = Q3_K_M.

/// How llama.cpp mixes types for a K-quant file type.
public enum QuantizeMixture: Sendable {
  case uniform
  case q2_K, q3_K_S, q3_K_M, q3_K_L, q4_K_S, q4_K_M, q5_K_S, q5_K_M, q6_K
}

/// A file type `edgelm quantize` can produce (llama.cpp's `llama_ftype`).
public struct QuantizeTarget: Sendable {
  /// The name llama-quantize uses ("Q4_K_M", "Q8_0", "F16").
  public let name: String
  /// The type of most weight matrices.
  public let defaultType: GGMLType
  /// `general.file_type`: llama.cpp's LLAMA_FTYPE_* number.
  public let fileType: UInt32
  public let mixture: QuantizeMixture

  /// All targets, in llama-quantize's order of its help text.
  public static let all: [QuantizeTarget] = [
    QuantizeTarget(name: "Q4_0", defaultType: .q4_0, fileType: 2, mixture: .uniform),
    QuantizeTarget(name: "Q4_1", defaultType: .q4_1, fileType: 3, mixture: .uniform),
    QuantizeTarget(name: "Q5_0", defaultType: .q5_0, fileType: 8, mixture: .uniform),
    QuantizeTarget(name: "Q5_1", defaultType: .q5_1, fileType: 9, mixture: .uniform),
    QuantizeTarget(name: "Q2_K", defaultType: .q2_K, fileType: 10, mixture: .q2_K),
    QuantizeTarget(name: "Q3_K_S", defaultType: .q3_K, fileType: 11, mixture: .q3_K_S),
    QuantizeTarget(name: "Q3_K_M", defaultType: .q3_K, fileType: 12, mixture: .q3_K_M),
    QuantizeTarget(name: "Q3_K_L", defaultType: .q3_K, fileType: 13, mixture: .q3_K_L),
    QuantizeTarget(name: "Q4_K_S", defaultType: .q4_K, fileType: 14, mixture: .q4_K_S),
    QuantizeTarget(name: "Q4_K_M", defaultType: .q4_K, fileType: 15, mixture: .q4_K_M),
    QuantizeTarget(name: "Q5_K_S", defaultType: .q5_K, fileType: 16, mixture: .q5_K_S),
    QuantizeTarget(name: "Q5_K_M", defaultType: .q5_K, fileType: 17, mixture: .q5_K_M),
    QuantizeTarget(name: "Q6_K", defaultType: .q6_K, fileType: 18, mixture: .q6_K),
    QuantizeTarget(name: "Q8_0", defaultType: .q8_0, fileType: 7, mixture: .uniform),
    QuantizeTarget(name: "F16", defaultType: .f16, fileType: 1, mixture: .uniform),
    QuantizeTarget(name: "BF16", defaultType: .bf16, fileType: 32, mixture: .uniform),
    QuantizeTarget(name: "F32", defaultType: .f32, fileType: 0, mixture: .uniform),
  ]

  /// llama-quantize's aliases: a bare K type means its _M mixture.
  static let aliases: [(String, String)] = [("Q3_K", "Q3_K_M"), ("Q4_K", "Q4_K_M"), ("Q5_K", "Q5_K_M")]

  /// The target called `name` (case-insensitive: "q4_k_m", "Q8_0", "f16",
  /// "q4_K"), or nil.
  public static func named(_ name: String) -> QuantizeTarget? {
    let wanted = QuantizePlanner.upper(name)
    var canonical = wanted
    for (alias, target) in aliases where QuantizePlanner.upper(alias) == wanted { canonical = QuantizePlanner.upper(target) }
    for t in all where QuantizePlanner.upper(t.name) == canonical { return t }
    return nil
  }

  /// Every accepted name, for messages: "Q4_0, Q4_1, ..., Q4_K (= Q4_K_M), ...".
  public static var supportedNames: String {
    var parts: [String] = all.map { $0.name }
    for (alias, target) in aliases { parts.append(alias + " (= " + target + ")") }
    var out = ""
    for (i, p) in parts.enumerated() {
      if i > 0 { out += ", " }
      out += p
    }
    return out
  }
}

/// What happens to one tensor.
public struct TensorQuantizePlan: Sendable {
  public let name: String
  public let dims: [Int]
  public let inputType: GGMLType
  public let outputType: GGMLType
  /// The type the rules chose when its block does not fit the rows and a
  /// fallback was taken (nil otherwise).
  public let fallbackFrom: GGMLType?

  /// True when the data is converted (dequantized and quantized again);
  /// false when it is copied unchanged.
  public var converts: Bool { outputType != inputType }
}

public enum QuantizePlanner {
  /// The type of every tensor of `file` (in file order) for `target`.
  /// - Parameter pure: llama-quantize's `--pure`: no mixture rules, every
  ///   converted tensor gets the default type (fallbacks still apply).
  /// - Throws: `.format` for metadata of the wrong type.
  public static func plan(_ file: GGUFFile, target: QuantizeTarget, pure: Bool = false) throws(EdgeLMError) -> [TensorQuantizePlan] {
    let arch = try file.string("general.architecture") ?? ""
    let blockCount = (try? file.integer(arch + ".block_count")) ?? nil
    let heads = (try? file.integer(arch + ".attention.head_count")) ?? nil
    let kvHeads = (try? file.integer(arch + ".attention.head_count_kv")) ?? nil
    var gqa = 1
    if let heads, let kvHeads, kvHeads > 0 { gqa = heads / kvHeads }
    let isFalcon = arch == "falcon"
    let tied = file.tensor(named: "output.weight") == nil

    // llama.cpp walks tensors ordered by layer, then name; its per-category
    // counters (which attn_v, which ffn_down) follow that order.
    let order = file.tensors.indices.sorted { a, b in
      let la = layerIndex(file.tensors[a].name), lb = layerIndex(file.tensors[b].name)
      if la != lb { return la < lb }
      return Array(file.tensors[a].name.utf8).lexicographicallyPrecedes(Array(file.tensors[b].name.utf8))
    }
    var attnVCount = 0
    for t in file.tensors where category(t.name).isAttentionV { attnVCount += 1 }
    let layerCount = blockCount ?? 0
    var attnVSeen = 0
    var ffnDownSeen = 0

    var out = [TensorQuantizePlan?](repeating: nil, count: file.tensors.count)
    for index in order {
      let t = file.tensors[index]
      guard allowsQuantization(t) else {
        out[index] = TensorQuantizePlan(name: t.name, dims: t.dims, inputType: t.type, outputType: t.type, fallbackFrom: nil)
        continue
      }
      var type = target.defaultType
      var fallbackFrom: GGMLType? = nil
      if type.isBlockQuantized {
        let cat = category(t.name)
        if !pure {
          type = mixtureType(
            type, tensor: t, category: cat, mixture: target.mixture, tied: tied, isFalcon: isFalcon, gqa: gqa,
            attnV: (attnVSeen, attnVCount), ffnDown: (ffnDownSeen, layerCount))
        }
        if cat.isAttentionV { attnVSeen += 1 }
        if cat == .ffnDown { ffnDownSeen += 1 }
        let fitted = fallback(type, rowLength: t.dims[0])
        if fitted != type {
          fallbackFrom = type
          type = fitted
        }
      }
      out[index] = TensorQuantizePlan(name: t.name, dims: t.dims, inputType: t.type, outputType: type, fallbackFrom: fallbackFrom)
    }
    var result: [TensorQuantizePlan] = []
    for p in out { if let p { result.append(p) } }
    return result
  }

  // MARK: - Which tensors are converted

  /// Substrings that keep a weight out of quantization (tensor_allows_quantization).
  static let excluded: [String] = [
    "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
    "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
    "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
    "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
    "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
    "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
    "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos",
    ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd",
  ]

  /// True if llama.cpp would convert `tensor` (a weight matrix).
  public static func allowsQuantization(_ tensor: GGUFTensorInfo) -> Bool {
    // ggml_n_dims: trailing dimensions of 1 do not count.
    var dims = 1
    for (i, d) in tensor.dims.enumerated() where d > 1 { dims = i + 1 }
    guard dims >= 2 else { return false }
    let name = Array(tensor.name.utf8)
    guard name.count >= 6, Array(name[(name.count - 6)...]) == Array("weight".utf8) else { return false }
    if tensor.name == "position_embd.weight" || tensor.name == "token_types.weight" { return false }
    for e in excluded where contains(name, Array(e.utf8)) { return false }
    return true
  }

  // MARK: - Categories (tensor_get_category)

  enum Category: Equatable {
    case tokenEmbedding, attentionQ, attentionV, attentionK, attentionQKV, attentionKVB, attentionOutput
    case ffnUp, ffnGate, ffnDown, output, other

    var isAttentionV: Bool { self == .attentionV || self == .attentionQKV || self == .attentionKVB }
  }

  static func category(_ name: String) -> Category {
    if name == "output.weight" { return .output }
    if name == "token_embd.weight" || name == "per_layer_token_embd.weight" { return .tokenEmbedding }
    let n = Array(name.utf8)
    let table: [(String, Category)] = [
      ("attn_qkv.weight", .attentionQKV), ("attn_kv_b.weight", .attentionKVB), ("attn_v.weight", .attentionV),
      ("attn_k.weight", .attentionK), ("attn_q.weight", .attentionQ), ("attn_output.weight", .attentionOutput),
      ("ffn_up", .ffnUp), ("ffn_gate", .ffnGate), ("ffn_down", .ffnDown),
    ]
    for (key, cat) in table where contains(n, Array(key.utf8)) { return cat }
    return .other
  }

  // MARK: - Mixture rules (llama_tensor_get_type_impl)

  /// llama.cpp's use_more_bits: the first and last eighth of the layers and
  /// every third one between.
  static func useMoreBits(_ i: Int, _ n: Int) -> Bool {
    i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2
  }

  static func mixtureType(
    _ defaultType: GGMLType, tensor: GGUFTensorInfo, category cat: Category, mixture: QuantizeMixture,
    tied: Bool, isFalcon: Bool, gqa: Int, attnV: (Int, Int), ffnDown: (Int, Int)
  ) -> GGMLType {
    var t = defaultType
    if cat == .output || (tied && cat == .tokenEmbedding) {
      if isFalcon || tensor.dims[0] % defaultType.blockSize != 0 { return .q8_0 }
      return defaultType == .q8_0 ? .q8_0 : .q6_K
    }
    if cat == .tokenEmbedding { return t }
    if cat.isAttentionV {
      let (i, n) = attnV
      switch mixture {
      case .q2_K: t = gqa >= 4 ? .q4_K : .q3_K
      case .q3_K_M: t = i < 2 ? .q5_K : .q4_K
      case .q3_K_L: t = .q5_K
      case .q4_K_M, .q5_K_M: if useMoreBits(i, n) { t = .q6_K }
      case .q4_K_S: if i < 4 { t = .q5_K }
      default: break
      }
    } else if cat == .ffnDown {
      let (i, n) = ffnDown
      switch mixture {
      case .q2_K: t = .q3_K
      case .q3_K_M: t = i < n / 16 ? .q5_K : (!isFalcon || useMoreBits(i, n)) ? .q4_K : .q3_K
      case .q3_K_L: t = isFalcon ? .q4_K : .q5_K
      case .q4_K_M:
        if isFalcon {
          t = i < n / 16 ? .q6_K : useMoreBits(i, n) ? .q5_K : .q4_K
        } else if useMoreBits(i, n) {
          t = .q6_K
        }
      case .q5_K_M: if useMoreBits(i, n) { t = .q6_K }
      case .q4_K_S: if !isFalcon && i < n / 8 { t = .q5_K }
      default: break
      }
    } else if cat == .attentionOutput {
      if !isFalcon {
        switch mixture {
        case .q2_K: t = .q3_K
        case .q3_K_M: t = .q4_K
        case .q3_K_L: t = .q5_K
        default: break
        }
      } else if mixture == .q3_K_L {
        t = .q4_K
      }
    }
    return t
  }

  /// tensor_type_fallback: a type whose block fits `rowLength`.
  static func fallback(_ type: GGMLType, rowLength: Int) -> GGMLType {
    guard rowLength % type.blockSize != 0 else { return type }
    var t: GGMLType
    switch type {
    case .q2_K, .q3_K: t = .q4_0
    case .q4_K: t = .q5_0
    case .q5_K: t = .q5_1
    case .q6_K: t = .q8_0
    default: t = .f16
    }
    if rowLength % t.blockSize != 0 { t = .f16 }
    return t
  }

  // MARK: - Byte helpers

  /// The layer number of "blk.N.*", or -1.
  static func layerIndex(_ name: String) -> Int {
    let n = Array(name.utf8)
    let prefix = Array("blk.".utf8)
    guard n.count > prefix.count, Array(n[0..<prefix.count]) == prefix else { return -1 }
    var value = 0
    var i = prefix.count
    var digits = 0
    while i < n.count, n[i] >= 48, n[i] <= 57, digits < 9 {
      value = value * 10 + Int(n[i] - 48)
      i += 1
      digits += 1
    }
    guard digits > 0, i < n.count, n[i] == 46 else { return -1 }
    return value
  }

  static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
    for start in 0...(haystack.count - needle.count) {
      var match = true
      for j in 0..<needle.count where haystack[start + j] != needle[j] {
        match = false
        break
      }
      if match { return true }
    }
    return false
  }

  /// ASCII upper case.
  static func upper(_ s: String) -> [UInt8] {
    s.utf8.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }
  }
}

extension GGMLType {
  /// True for ggml's block-quantized types (ggml_is_quantized): the types
  /// whose blocks hold more than one element.
  public var isBlockQuantized: Bool { traits.blockSize > 1 }

  /// True if `QuantKernels.dequantize` converts this type to floats.
  public var canDequantize: Bool { traits.dequantize != nil }
}
