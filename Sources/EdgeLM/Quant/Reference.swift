// Scalar references: plain loops that follow ggml's generic C code
// (ggml-quants.c dequantize_row_*, ggml-cpu/quants.c ggml_vec_dot_*_generic,
// ggml-cpu/vec.c ggml_vec_dot_f32/f16/bf16). The SIMD kernels are tested
// against these. They are slow on purpose; nothing on a hot path calls them.

@inline(__always)
func loadHalf(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
  Half.toFloat(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
}

extension QuantKernels {
  /// Scalar dequantization: `dst[0..<count]` = the values of `count`
  /// elements of `type` at `src`. `count` must be a multiple of the block
  /// size; a partial trailing block is left unwritten. Unsupported types
  /// write nothing.
  public static func dequantizeReference(
    _ type: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int
  ) {
    let nb = Swift.max(0, count / type.blockSize)
    switch type {
    case .f32:
      for i in 0..<nb { dst[i] = src.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
    case .f16:
      for i in 0..<nb { dst[i] = loadHalf(src, 2 * i) }
    case .bf16:
      for i in 0..<nb { dst[i] = Half.bf16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
    case .q4_0:
      for b in 0..<nb {
        let x = src + b * BlockLayout.q4_0Bytes, y = dst + b * 32
        let d = loadHalf(x, 0)
        for j in 0..<16 {
          let q = x.load(fromByteOffset: BlockLayout.q4_0Qs + j, as: UInt8.self)
          y[j] = Float(Int(q & 0x0F) - 8) * d
          y[j + 16] = Float(Int(q >> 4) - 8) * d
        }
      }
    case .q4_1:
      for b in 0..<nb {
        let x = src + b * BlockLayout.q4_1Bytes, y = dst + b * 32
        let d = loadHalf(x, 0), m = loadHalf(x, BlockLayout.q4_1M)
        for j in 0..<16 {
          let q = x.load(fromByteOffset: BlockLayout.q4_1Qs + j, as: UInt8.self)
          y[j] = Float(q & 0x0F) * d + m
          y[j + 16] = Float(q >> 4) * d + m
        }
      }
    case .q5_0:
      for b in 0..<nb {
        let x = src + b * BlockLayout.q5_0Bytes, y = dst + b * 32
        let d = loadHalf(x, 0)
        let qh = x.loadUnaligned(fromByteOffset: BlockLayout.q5_0Qh, as: UInt32.self)
        for j in 0..<16 {
          let q = x.load(fromByteOffset: BlockLayout.q5_0Qs + j, as: UInt8.self)
          let h0 = Int((qh >> UInt32(j)) & 1) << 4, h1 = Int((qh >> UInt32(j + 16)) & 1) << 4
          y[j] = Float((Int(q & 0x0F) | h0) - 16) * d
          y[j + 16] = Float((Int(q >> 4) | h1) - 16) * d
        }
      }
    case .q5_1:
      for b in 0..<nb {
        let x = src + b * BlockLayout.q5_1Bytes, y = dst + b * 32
        let d = loadHalf(x, 0), m = loadHalf(x, BlockLayout.q5_1M)
        let qh = x.loadUnaligned(fromByteOffset: BlockLayout.q5_1Qh, as: UInt32.self)
        for j in 0..<16 {
          let q = x.load(fromByteOffset: BlockLayout.q5_1Qs + j, as: UInt8.self)
          let h0 = Int((qh >> UInt32(j)) & 1) << 4, h1 = Int((qh >> UInt32(j + 16)) & 1) << 4
          y[j] = Float(Int(q & 0x0F) | h0) * d + m
          y[j + 16] = Float(Int(q >> 4) | h1) * d + m
        }
      }
    case .q8_0, .q8_1:
      let bytes = type == .q8_0 ? BlockLayout.q8_0Bytes : BlockLayout.q8_1Bytes
      let qs = type == .q8_0 ? BlockLayout.q8_0Qs : BlockLayout.q8_1Qs
      for b in 0..<nb {
        let x = src + b * bytes, y = dst + b * 32
        let d = loadHalf(x, 0)
        for j in 0..<32 { y[j] = Float(x.load(fromByteOffset: qs + j, as: Int8.self)) * d }
      }
    case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K:
      dequantizeReferenceK(type, src, dst, blocks: nb)
    default:
      break
    }
  }

  /// Scalar dot product of one weight row of `cols` elements of `type` with
  /// an activation of `cols` elements in `activationType(for: type)` format,
  /// following ggml's generic vec_dot (float rows accumulate in Double as
  /// ggml's ggml_float does). Returns 0 for unsupported types.
  public static func dotReference(
    _ type: GGMLType, _ weights: UnsafeRawPointer, _ activation: UnsafeRawPointer, cols: Int
  ) -> Float {
    let n = Swift.max(0, cols), nb = n / 32
    switch type {
    case .f32:
      var sum = 0.0
      for i in 0..<n {
        let p = weights.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
          * activation.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
        sum += Double(p)
      }
      return Float(sum)
    case .f16:
      var sum = 0.0
      for i in 0..<n { sum += Double(loadHalf(weights, 2 * i) * loadHalf(activation, 2 * i)) }
      return Float(sum)
    case .bf16:
      var sum = 0.0
      for i in 0..<n {
        let w = Half.bf16ToFloat(weights.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        let a = Half.bf16ToFloat(activation.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        sum += Double(w * a)
      }
      return Float(sum)
    case .q4_0:
      var sum: Float = 0
      for b in 0..<nb {
        let x = weights + b * BlockLayout.q4_0Bytes, y = activation + b * BlockLayout.q8_0Bytes
        var sumi = 0
        for j in 0..<16 {
          let q = x.load(fromByteOffset: BlockLayout.q4_0Qs + j, as: UInt8.self)
          sumi += (Int(q & 0x0F) - 8) * Int(y.load(fromByteOffset: BlockLayout.q8_0Qs + j, as: Int8.self))
          sumi += (Int(q >> 4) - 8) * Int(y.load(fromByteOffset: BlockLayout.q8_0Qs + j + 16, as: Int8.self))
        }
        sum += Float(sumi) * loadHalf(x, 0) * loadHalf(y, 0)
      }
      return sum
    case .q4_1:
      var sum: Float = 0
      for b in 0..<nb {
        let x = weights + b * BlockLayout.q4_1Bytes, y = activation + b * BlockLayout.q8_1Bytes
        var sumi = 0
        for j in 0..<16 {
          let q = x.load(fromByteOffset: BlockLayout.q4_1Qs + j, as: UInt8.self)
          sumi += Int(q & 0x0F) * Int(y.load(fromByteOffset: BlockLayout.q8_1Qs + j, as: Int8.self))
          sumi += Int(q >> 4) * Int(y.load(fromByteOffset: BlockLayout.q8_1Qs + j + 16, as: Int8.self))
        }
        sum += loadHalf(x, 0) * loadHalf(y, 0) * Float(sumi)
          + loadHalf(x, BlockLayout.q4_1M) * loadHalf(y, BlockLayout.q8_1S)
      }
      return sum
    case .q5_0:
      var sum: Float = 0
      for b in 0..<nb {
        let x = weights + b * BlockLayout.q5_0Bytes, y = activation + b * BlockLayout.q8_0Bytes
        let qh = x.loadUnaligned(fromByteOffset: BlockLayout.q5_0Qh, as: UInt32.self)
        var sumi = 0
        for j in 0..<16 {
          let q = x.load(fromByteOffset: BlockLayout.q5_0Qs + j, as: UInt8.self)
          let x0 = (Int(q & 0x0F) | Int((qh >> UInt32(j)) & 1) << 4) - 16
          let x1 = (Int(q >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4) - 16
          sumi += x0 * Int(y.load(fromByteOffset: BlockLayout.q8_0Qs + j, as: Int8.self))
          sumi += x1 * Int(y.load(fromByteOffset: BlockLayout.q8_0Qs + j + 16, as: Int8.self))
        }
        sum += loadHalf(x, 0) * loadHalf(y, 0) * Float(sumi)
      }
      return sum
    case .q5_1:
      var sum: Float = 0
      for b in 0..<nb {
        let x = weights + b * BlockLayout.q5_1Bytes, y = activation + b * BlockLayout.q8_1Bytes
        let qh = x.loadUnaligned(fromByteOffset: BlockLayout.q5_1Qh, as: UInt32.self)
        var sumi = 0
        for j in 0..<16 {
          let q = x.load(fromByteOffset: BlockLayout.q5_1Qs + j, as: UInt8.self)
          let x0 = Int(q & 0x0F) | Int((qh >> UInt32(j)) & 1) << 4
          let x1 = Int(q >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
          sumi += x0 * Int(y.load(fromByteOffset: BlockLayout.q8_1Qs + j, as: Int8.self))
          sumi += x1 * Int(y.load(fromByteOffset: BlockLayout.q8_1Qs + j + 16, as: Int8.self))
        }
        sum += loadHalf(x, 0) * loadHalf(y, 0) * Float(sumi)
          + loadHalf(x, BlockLayout.q5_1M) * loadHalf(y, BlockLayout.q8_1S)
      }
      return sum
    case .q8_0:
      var sum: Float = 0
      for b in 0..<nb {
        let x = weights + b * BlockLayout.q8_0Bytes, y = activation + b * BlockLayout.q8_0Bytes
        var sumi = 0
        for j in 0..<32 {
          sumi += Int(x.load(fromByteOffset: BlockLayout.q8_0Qs + j, as: Int8.self))
            * Int(y.load(fromByteOffset: BlockLayout.q8_0Qs + j, as: Int8.self))
        }
        sum += Float(sumi) * (loadHalf(x, 0) * loadHalf(y, 0))
      }
      return sum
    case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K:
      return dotReferenceK(type, weights, activation, blocks: n / 256)
    default:
      return 0
    }
  }
}
