// The key/value cache: one Float16 row of kvDim per layer and position, as
// llama.cpp's default F16 cache.

public final class KVCache {
  public let layers: Int
  public let contextLength: Int
  public let kvDim: Int
  let keys: AlignedBuffer<Float16>    // (layers, contextLength, kvDim)
  let values: AlignedBuffer<Float16>  // (layers, contextLength, kvDim)

  public init(layers: Int, contextLength: Int, kvDim: Int) throws(EdgeLMError) {
    let (perLayer, o1) = contextLength.multipliedReportingOverflow(by: kvDim)
    let (total, o2) = perLayer.multipliedReportingOverflow(by: layers)
    guard !o1, !o2 else {
      throw EdgeLMError(.resourceLimit, "KV cache of \(layers) layers x \(contextLength) positions x \(kvDim) is too large")
    }
    self.layers = layers
    self.contextLength = contextLength
    self.kvDim = kvDim
    keys = try AlignedBuffer<Float16>.allocate(count: total)
    values = try AlignedBuffer<Float16>.allocate(count: total)
  }

  /// Bytes held by the cache.
  public var byteCount: Int { KVCache.byteCount(layers: layers, contextLength: contextLength, kvDim: kvDim) }

  /// Bytes a cache of this shape holds (keys and values, Float16).
  public static func byteCount(layers: Int, contextLength: Int, kvDim: Int) -> Int {
    2 * layers * contextLength * kvDim * MemoryLayout<Float16>.stride
  }

  @inline(__always)
  func keyRow(layer: Int, position: Int) -> UnsafeMutablePointer<Float16> {
    keys.pointer + (layer * contextLength + position) * kvDim
  }

  @inline(__always)
  func valueRow(layer: Int, position: Int) -> UnsafeMutablePointer<Float16> {
    values.pointer + (layer * contextLength + position) * kvDim
  }
}
