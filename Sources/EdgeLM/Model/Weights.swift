// Views of the model's tensors inside the GGUF mapping. Matrices are used in
// place (no copy); small vectors (norm weights) are converted to Float once
// if the file stores them in another type.

/// A Float vector: either borrowed from the mapping (F32 in the file) or an
/// owned converted copy.
public struct WeightVector {
  public let pointer: UnsafePointer<Float>
  public let count: Int
  let owner: AlignedBuffer<Float>?
}

/// Which tensors of a file a loader has taken, one flag per tensor.
final class TensorUse {
  var taken: [Bool]
  init(count: Int) { taken = [Bool](repeating: false, count: count) }
}

/// Looks tensors up by name and checks shape and type before handing out
/// views, remembering which ones were taken so that a loader can reject a
/// file carrying tensors it would silently ignore (`firstUntaken`).
struct TensorLookup {
  let gguf: GGUFFile
  let use: TensorUse

  init(gguf: GGUFFile) {
    self.gguf = gguf
    use = TensorUse(count: gguf.tensors.count)
  }

  /// The info of `name`, marked as taken, or nil if absent.
  private func take(_ name: String) -> GGUFTensorInfo? {
    guard let i = gguf.tensorIndex[name] else { return nil }
    use.taken[i] = true
    return gguf.tensors[i]
  }

  /// The name of the first tensor no lookup took, or nil.
  func firstUntaken() -> String? {
    for (i, taken) in use.taken.enumerated() where !taken { return gguf.tensors[i].name }
    return nil
  }

  /// A 2-D matrix `name` with ggml shape [cols, rows].
  func matrix(_ name: String, cols: Int, rows: Int) throws(EdgeLMError) -> WeightMatrix {
    guard let t = take(name) else {
      throw EdgeLMError(.format, "tensor '\(name)' is missing")
    }
    guard t.dims.count == 2, t.dims[0] == cols, t.dims[1] == rows else {
      throw EdgeLMError(.format, "tensor '\(name)' has shape \(t.dims), expected [\(cols), \(rows)]")
    }
    guard QuantKernels.isSupported(t.type) else {
      throw EdgeLMError(.unsupported, "tensor '\(name)' has type \(t.type.name), which this build cannot compute with")
    }
    return WeightMatrix(type: t.type, data: gguf.tensorData(t), rows: rows, cols: cols, rowStride: t.rowBytes)
  }

  func hasTensor(_ name: String) -> Bool { gguf.tensor(named: name) != nil }

  /// A 1-D vector `name` of `count` elements, as Float.
  func vector(_ name: String, count: Int) throws(EdgeLMError) -> WeightVector {
    guard let t = take(name) else {
      throw EdgeLMError(.format, "tensor '\(name)' is missing")
    }
    guard t.dims.count == 1, t.dims[0] == count else {
      throw EdgeLMError(.format, "tensor '\(name)' has shape \(t.dims), expected [\(count)]")
    }
    let data = gguf.tensorData(t)
    if t.type == .f32 && Int(bitPattern: data) % MemoryLayout<Float>.alignment == 0 {
      return WeightVector(pointer: data.assumingMemoryBound(to: Float.self), count: count, owner: nil)
    }
    guard QuantKernels.isSupported(t.type), t.type.rowBytes(count) != nil else {
      throw EdgeLMError(.unsupported, "tensor '\(name)' has type \(t.type.name), which this build cannot compute with")
    }
    let buffer = try AlignedBuffer<Float>.allocate(count: count)
    QuantKernels.dequantize(t.type, data, buffer.pointer, count: count)
    return WeightVector(pointer: UnsafePointer(buffer.pointer), count: count, owner: buffer)
  }

  /// A 1-D vector `name` of `count` elements always copied out of the
  /// mapping (small tables, such as RoPE frequency factors, that must stay
  /// readable while the pager releases mapped weights), each value finite
  /// and positive.
  func ownedPositiveVector(_ name: String, count: Int) throws(EdgeLMError) -> WeightVector {
    let mapped = try vector(name, count: count)
    let buffer = try AlignedBuffer<Float>.allocate(count: count)
    for i in 0..<count {
      let v = mapped.pointer[i]
      guard v.isFinite, v > 0 else {
        throw EdgeLMError(.format, "tensor '\(name)' element \(i) = \(v) must be a finite number > 0")
      }
      buffer.pointer[i] = v
    }
    return WeightVector(pointer: UnsafePointer(buffer.pointer), count: count, owner: buffer)
  }
}

extension WeightMatrix {
  /// The rows `range` of this matrix, in place (a fused tensor's parts:
  /// phi3's `attn_qkv`, its gate-and-up `ffn_up`).
  func rows(_ range: Range<Int>) -> WeightMatrix {
    WeightMatrix(type: type, data: data + range.lowerBound * rowStride, rows: range.count, cols: cols, rowStride: rowStride,
                 packed: packed.map { PackedRows(base: $0.base, firstRow: $0.firstRow + range.lowerBound) })
  }
}
