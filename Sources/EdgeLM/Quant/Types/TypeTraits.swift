// The type table: one row per tensor element type (GGMLType), in the shape of
// ggml's type_traits (ggml.c) and type_traits_cpu (ggml-cpu.c). A row holds
// the type's storage facts (block size, block bytes, name), what it is for
// (a weight type with dot-product kernels, its activation type) and its
// conversion functions. GGMLType's blockSize/blockBytes/name and every
// QuantKernels entry point below (dequantize, quantize, the references,
// isSupported, canConvert, activationType) are lookups in this table.
//
// Adding a type: the GGMLType case, one file in Quant/Types/ with an enum of
// its functions (see Q4_0.swift), and its row here. Its dot-product kernels
// are `RowKernel`s (RowKernel.swift): one in Portable/ with a row in
// `PortableKernels.kernel(for:)`, and one per backend that speeds the type
// up (X86/, Arm/); the registry (KernelRegistry.swift) picks among them.

/// What EdgeLM knows about one element type. A function the type does not
/// have is nil.
///
/// The row is a trivial value (no reference counting), so that a lookup
/// reduces to the one field used: the functions are C function pointers,
/// formed from closures that capture nothing and call the type's static
/// functions (inlined into them), and the name is a StaticString. Swift
/// closures or a String here would leave a release of the whole row after
/// every lookup that does not fold away.
struct QuantTraits {
  /// Writes the `blocks * blockSize` values of `blocks` blocks at `src` to `dst`.
  typealias Dequantize = @convention(c) (_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ blocks: Int) -> Void
  /// Writes `blocks` blocks at `dst` for the `blocks * blockSize` floats at `src`.
  typealias Quantize = @convention(c) (_ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, _ blocks: Int) -> Void
  /// The dot product of `blocks` weight blocks with the same number of
  /// elements of activation in the row's `activationType`.
  typealias Dot = @convention(c) (_ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ blocks: Int) -> Float

  /// The name llama.cpp prints ("q4_1", "f16", ...).
  let name: StaticString
  /// Elements per block (1 for the float and integer types).
  let blockSize: Int
  /// Bytes per block.
  let blockBytes: Int
  /// True for the weight types: dot-product kernels exist for them
  /// (`QuantKernels.isSupported`).
  let dotKernels: Bool
  /// The format activations are converted to before a dot product with
  /// weights of this type (ggml's vec_dot_type); nil when the type is not
  /// a weight type.
  let activationType: GGMLType?
  /// SIMD dequantization (ggml's dequantize_row_*, bit-identical to the reference).
  let dequantize: Dequantize?
  /// Scalar dequantization, following ggml's generic C code.
  let dequantizeReference: Dequantize?
  /// Scalar dot product with an activation of `activationType`, following
  /// ggml's generic vec_dot.
  let dotReference: Dot?
  /// The quantizer llama.cpp's CPU backend uses for activations (differs from
  /// the reference only for q8_0 and q8_1, see Q8Activation.swift).
  let quantize: Quantize?
  /// ggml's reference quantizer (quantize_row_*_ref), as llama-quantize
  /// writes model files.
  let quantizeReference: Quantize?

  init(
    _ name: StaticString, blockSize: Int, blockBytes: Int, dotKernels: Bool = false, activationType: GGMLType? = nil,
    dequantize: Dequantize? = nil, dequantizeReference: Dequantize? = nil, dotReference: Dot? = nil,
    quantize: Quantize? = nil, quantizeReference: Quantize? = nil
  ) {
    self.name = name
    self.blockSize = blockSize
    self.blockBytes = blockBytes
    self.dotKernels = dotKernels
    self.activationType = activationType
    self.dequantize = dequantize
    self.dequantizeReference = dequantizeReference
    self.dotReference = dotReference
    self.quantize = quantize
    self.quantizeReference = quantizeReference
  }

  /// True when the type converts both ways: both quantizers and both
  /// dequantizers exist (`QuantKernels.canConvert`).
  var converts: Bool {
    dequantize != nil && dequantizeReference != nil && quantize != nil && quantizeReference != nil
  }
}

extension GGMLType {
  /// This type's row of the table. Always inlined: where the type is a
  /// constant the lookup folds to the one field used, elsewhere it becomes a
  /// small switch (or lookup table) per field.
  @inline(__always)
  var traits: QuantTraits {
    switch self {
    // Floats: one element per "block".
    case .f32:
      return QuantTraits("f32", blockSize: 1, blockBytes: 4, dotKernels: true, activationType: .f32,
        dequantize: { F32.dequantize($0, $1, $2) },
        dequantizeReference: { F32.dequantizeReference($0, $1, $2) },
        dotReference: { F32.dotReference($0, $1, $2) },
        quantize: { F32.quantizeReference($0, $1, $2) },
        quantizeReference: { F32.quantizeReference($0, $1, $2) })
    case .f16:
      return QuantTraits("f16", blockSize: 1, blockBytes: 2, dotKernels: true, activationType: .f16,
        dequantize: { F16.dequantize($0, $1, $2) },
        dequantizeReference: { F16.dequantizeReference($0, $1, $2) },
        dotReference: { F16.dotReference($0, $1, $2) },
        quantize: { F16.quantizeReference($0, $1, $2) },
        quantizeReference: { F16.quantizeReference($0, $1, $2) })
    case .bf16:
      return QuantTraits("bf16", blockSize: 1, blockBytes: 2, dotKernels: true, activationType: .bf16,
        dequantize: { BF16.dequantize($0, $1, $2) },
        dequantizeReference: { BF16.dequantizeReference($0, $1, $2) },
        dotReference: { BF16.dotReference($0, $1, $2) },
        quantize: { BF16.quantizeReference($0, $1, $2) },
        quantizeReference: { BF16.quantizeReference($0, $1, $2) })

    // Blocks of 32 (Legacy32.swift).
    case .q4_0:
      return QuantTraits("q4_0", blockSize: 32, blockBytes: 18, dotKernels: true, activationType: .q8_0,
        dequantize: { Q4_0.dequantize($0, $1, $2) },
        dequantizeReference: { Q4_0.dequantizeReference($0, $1, $2) },
        dotReference: { Q4_0.dotReference($0, $1, $2) },
        quantize: { Q4_0.quantizeReference($0, $1, $2) },
        quantizeReference: { Q4_0.quantizeReference($0, $1, $2) })
    case .q4_1:
      return QuantTraits("q4_1", blockSize: 32, blockBytes: 20, dotKernels: true, activationType: .q8_1,
        dequantize: { Q4_1.dequantize($0, $1, $2) },
        dequantizeReference: { Q4_1.dequantizeReference($0, $1, $2) },
        dotReference: { Q4_1.dotReference($0, $1, $2) },
        quantize: { Q4_1.quantizeReference($0, $1, $2) },
        quantizeReference: { Q4_1.quantizeReference($0, $1, $2) })
    case .q5_0:
      return QuantTraits("q5_0", blockSize: 32, blockBytes: 22, dotKernels: true, activationType: .q8_0,
        dequantize: { Q5_0.dequantize($0, $1, $2) },
        dequantizeReference: { Q5_0.dequantizeReference($0, $1, $2) },
        dotReference: { Q5_0.dotReference($0, $1, $2) },
        quantize: { Q5_0.quantizeReference($0, $1, $2) },
        quantizeReference: { Q5_0.quantizeReference($0, $1, $2) })
    case .q5_1:
      return QuantTraits("q5_1", blockSize: 32, blockBytes: 24, dotKernels: true, activationType: .q8_1,
        dequantize: { Q5_1.dequantize($0, $1, $2) },
        dequantizeReference: { Q5_1.dequantizeReference($0, $1, $2) },
        dotReference: { Q5_1.dotReference($0, $1, $2) },
        quantize: { Q5_1.quantizeReference($0, $1, $2) },
        quantizeReference: { Q5_1.quantizeReference($0, $1, $2) })
    case .q8_0:
      return QuantTraits("q8_0", blockSize: 32, blockBytes: 34, dotKernels: true, activationType: .q8_0,
        dequantize: { Q8_0.dequantize($0, $1, $2) },
        dequantizeReference: { Q8_0.dequantizeReference($0, $1, $2) },
        dotReference: { Q8_0.dotReference($0, $1, $2) },
        quantize: { Q8_0.quantize($0, $1, $2) },
        quantizeReference: { Q8_0.quantizeReference($0, $1, $2) })
    case .q8_1:  // activations only: no dot product of its own
      return QuantTraits("q8_1", blockSize: 32, blockBytes: 36,
        dequantize: { Q8_1.dequantize($0, $1, $2) },
        dequantizeReference: { Q8_1.dequantizeReference($0, $1, $2) },
        quantize: { Q8_1.quantize($0, $1, $2) },
        quantizeReference: { Q8_1.quantizeReference($0, $1, $2) })

    // K-quants, super-blocks of 256 (KQuants.swift).
    case .q2_K:
      return QuantTraits("q2_K", blockSize: 256, blockBytes: 84, dotKernels: true, activationType: .q8_K,
        dequantize: { Q2_K.dequantize($0, $1, $2) },
        dequantizeReference: { Q2_K.dequantizeReference($0, $1, $2) },
        dotReference: { Q2_K.dotReference($0, $1, $2) },
        quantize: { Q2_K.quantizeReference($0, $1, $2) },
        quantizeReference: { Q2_K.quantizeReference($0, $1, $2) })
    case .q3_K:
      return QuantTraits("q3_K", blockSize: 256, blockBytes: 110, dotKernels: true, activationType: .q8_K,
        dequantize: { Q3_K.dequantize($0, $1, $2) },
        dequantizeReference: { Q3_K.dequantizeReference($0, $1, $2) },
        dotReference: { Q3_K.dotReference($0, $1, $2) },
        quantize: { Q3_K.quantizeReference($0, $1, $2) },
        quantizeReference: { Q3_K.quantizeReference($0, $1, $2) })
    case .q4_K:
      return QuantTraits("q4_K", blockSize: 256, blockBytes: 144, dotKernels: true, activationType: .q8_K,
        dequantize: { Q4_K.dequantize($0, $1, $2) },
        dequantizeReference: { Q4_K.dequantizeReference($0, $1, $2) },
        dotReference: { Q4_K.dotReference($0, $1, $2) },
        quantize: { Q4_K.quantizeReference($0, $1, $2) },
        quantizeReference: { Q4_K.quantizeReference($0, $1, $2) })
    case .q5_K:
      return QuantTraits("q5_K", blockSize: 256, blockBytes: 176, dotKernels: true, activationType: .q8_K,
        dequantize: { Q5_K.dequantize($0, $1, $2) },
        dequantizeReference: { Q5_K.dequantizeReference($0, $1, $2) },
        dotReference: { Q5_K.dotReference($0, $1, $2) },
        quantize: { Q5_K.quantizeReference($0, $1, $2) },
        quantizeReference: { Q5_K.quantizeReference($0, $1, $2) })
    case .q6_K:
      return QuantTraits("q6_K", blockSize: 256, blockBytes: 210, dotKernels: true, activationType: .q8_K,
        dequantize: { Q6_K.dequantize($0, $1, $2) },
        dequantizeReference: { Q6_K.dequantizeReference($0, $1, $2) },
        dotReference: { Q6_K.dotReference($0, $1, $2) },
        quantize: { Q6_K.quantizeReference($0, $1, $2) },
        quantizeReference: { Q6_K.quantizeReference($0, $1, $2) })
    case .q8_K:  // activations only (llama.cpp quantizes them with the reference)
      return QuantTraits("q8_K", blockSize: 256, blockBytes: 292,
        dequantize: { Q8_K.dequantize($0, $1, $2) },
        dequantizeReference: { Q8_K.dequantizeReference($0, $1, $2) },
        quantize: { Q8_K.quantizeReference($0, $1, $2) },
        quantizeReference: { Q8_K.quantizeReference($0, $1, $2) })

    // Integer and f64 tensors: GGUF files may hold them; nothing converts them.
    case .i8: return QuantTraits("i8", blockSize: 1, blockBytes: 1)
    case .i16: return QuantTraits("i16", blockSize: 1, blockBytes: 2)
    case .i32: return QuantTraits("i32", blockSize: 1, blockBytes: 4)
    case .i64: return QuantTraits("i64", blockSize: 1, blockBytes: 8)
    case .f64: return QuantTraits("f64", blockSize: 1, blockBytes: 8)
    }
  }
}

/// Kernels over ggml's block formats: dequantize, quantize and fused dot
/// products (integer dot products of the codes, scaled once per block).
/// The entry points here look the type up in the type table above.
public enum QuantKernels {
  /// Whether `type` has dequantize and dot-product kernels here (it can be a
  /// weight type). q8_1 and q8_K are activation-only: they quantize and
  /// dequantize but are never weights, so they are not listed.
  public static func isSupported(_ type: GGMLType) -> Bool {
    type.traits.dotKernels
  }

  /// Whether `quantize`, `quantizeReference`, `dequantize` and
  /// `dequantizeReference` handle `type` (the supported weight types plus
  /// q8_1 and q8_K).
  public static func canConvert(_ type: GGMLType) -> Bool {
    type.traits.converts
  }

  /// The format activations are converted to before a dot product with
  /// weights of `type`, as ggml's vec_dot_type: q4_0, q5_0, q8_0 -> q8_0;
  /// q4_1, q5_1 -> q8_1; q2_K...q6_K -> q8_K; f16 -> f16; bf16 -> bf16;
  /// f32 -> f32. Types without kernels map to themselves.
  public static func activationType(for weightType: GGMLType) -> GGMLType {
    weightType.traits.activationType ?? weightType
  }

  /// `dst[0..<count]` = the values of `count` elements of `type` at `src`
  /// (SIMD; bit-identical to `dequantizeReference`). `count` is a multiple
  /// of the block size (a partial trailing block is left unwritten); types
  /// without kernels write nothing.
  public static func dequantize(
    _ type: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int
  ) {
    let t = type.traits
    t.dequantize?(src, dst, Swift.max(0, count) / t.blockSize)
  }

  /// Scalar dequantization: `dst[0..<count]` = the values of `count`
  /// elements of `type` at `src`. `count` must be a multiple of the block
  /// size; a partial trailing block is left unwritten. Unsupported types
  /// write nothing.
  public static func dequantizeReference(
    _ type: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int
  ) {
    let t = type.traits
    t.dequantizeReference?(src, dst, Swift.max(0, count) / t.blockSize)
  }

  /// Scalar dot product of one weight row of `cols` elements of `type` with
  /// an activation of `cols` elements in `activationType(for: type)` format,
  /// following ggml's generic vec_dot (float rows accumulate in Double as
  /// ggml's ggml_float does). Returns 0 for unsupported types.
  public static func dotReference(
    _ type: GGMLType, _ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, cols: Int
  ) -> Float {
    let t = type.traits
    return t.dotReference?(weights, activation, Swift.max(0, cols) / t.blockSize) ?? 0
  }

  /// Quantizes `count` floats into blocks of `type` (f32, f16, bf16, q4_0,
  /// q4_1, q5_0, q5_1, q8_0, q8_1, q2_K...q6_K, q8_K) the way llama.cpp's
  /// CPU backend quantizes activations. q8_0 and q8_1 produce exactly what
  /// llama.cpp's x86 AVX2 quantize_row_q8_0 / quantize_row_q8_1 produce
  /// (id = 127/amax, round to nearest even, q8_1's s = d * sum(q)); the
  /// others use ggml's reference quantizers (for q8_K that is also what
  /// llama.cpp's CPU backend uses for activations). Never traps: NaN and
  /// infinities produce some code, deterministically.
  /// - Parameters:
  ///   - src: `count` floats.
  ///   - dst: `type.rowBytes(count)` bytes.
  ///   - count: a multiple of the block size; a trailing partial block is ignored.
  public static func quantize(
    _ type: GGMLType, _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int
  ) {
    let t = type.traits
    t.quantize?(src, dst, Swift.max(0, count) / t.blockSize)
  }

  /// Quantizes `count` floats into blocks of `type` with ggml's reference
  /// quantizers (quantize_row_*_ref; f16/bf16 round to nearest even), as
  /// llama-quantize writes model files. Same arguments as `quantize`.
  public static func quantizeReference(
    _ type: GGMLType, _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int
  ) {
    let t = type.traits
    t.quantizeReference?(src, dst, Swift.max(0, count) / t.blockSize)
  }
}
