// The key/value cache: Float16 rows of kvDim per layer and position, as
// llama.cpp's default F16 cache. A full-attention layer keeps every position
// of the context; a sliding-window layer keeps a ring of the last
// `cachePositions` positions (window + batch - 1), as llama.cpp's SWA cache,
// so a long context costs sliding-window layers no more than their window.

public final class KVCache {
  public let layers: Int
  public let contextLength: Int
  public let kvDim: Int
  /// Positions kept per layer (contextLength, or a ring size). Shape: (layers).
  let capacity: [Int]
  /// Row offset of each layer's first slot. Shape: (layers).
  let firstRow: [Int]
  let keys: AlignedBuffer<Float16>    // (sum of capacity, kvDim)
  let values: AlignedBuffer<Float16>  // (sum of capacity, kvDim)

  /// Positions a session can roll back (`Session.truncate`) without losing
  /// keys a sliding-window layer still needs; Int.max without rings.
  let maxRollback: Int

  /// The cache a session of `config` with this context and batch size needs.
  init(config: ModelConfig, contextLength: Int, maxBatch: Int) throws(EdgeLMError) {
    let capacity = KVCache.capacities(config: config, contextLength: contextLength, maxBatch: maxBatch)
    var rows = 0
    var first: [Int] = []
    first.reserveCapacity(capacity.count)
    var rollback = Int.max
    for c in capacity {
      first.append(rows)
      rows += c  // each c <= contextLength <= 2^24, layers <= 1024: no overflow
      if c < contextLength { rollback = min(rollback, c - config.slidingWindow + 1) }
    }
    let (total, o) = rows.multipliedReportingOverflow(by: config.kvDim)
    guard !o else {
      throw EdgeLMError(.resourceLimit, "KV cache of \(rows) rows x \(config.kvDim) is too large")
    }
    self.layers = capacity.count
    self.contextLength = contextLength
    self.kvDim = config.kvDim
    self.capacity = capacity
    self.firstRow = first
    self.maxRollback = rollback
    keys = try AlignedBuffer<Float16>.allocate(count: total)
    values = try AlignedBuffer<Float16>.allocate(count: total)
  }

  static func capacities(config: ModelConfig, contextLength: Int, maxBatch: Int) -> [Int] {
    (0..<config.layerCount).map {
      config.cachePositions(layer: $0, context: contextLength, maxBatch: maxBatch)
    }
  }

  /// Bytes held by the cache.
  public var byteCount: Int { 2 * keys.count * MemoryLayout<Float16>.stride }

  /// Bytes the cache of a session of `config` holds (keys and values,
  /// Float16); `maxBatch` sizes the sliding-window rings.
  public static func byteCount(config: ModelConfig, contextLength: Int, maxBatch: Int) -> Int {
    var rows = 0
    for c in capacities(config: config, contextLength: contextLength, maxBatch: maxBatch) { rows += c }
    return 2 * rows * config.kvDim * MemoryLayout<Float16>.stride
  }

  /// The slot of `position` in layer `layer` (position modulo its capacity).
  @inline(__always)
  func slot(layer: Int, position: Int) -> Int {
    let c = capacity[layer]
    return position < c ? position : position % c
  }

  @inline(__always)
  func keyRow(layer: Int, position: Int) -> UnsafeMutablePointer<Float16> {
    keys.pointer + (firstRow[layer] + slot(layer: layer, position: position)) * kvDim
  }

  @inline(__always)
  func valueRow(layer: Int, position: Int) -> UnsafeMutablePointer<Float16> {
    values.pointer + (firstRow[layer] + slot(layer: layer, position: position)) * kvDim
  }

  /// Slot 0 of layer `layer` for keys and values: position p lives in slot
  /// `p % capacity[layer]`.
  @inline(__always)
  func layerBase(_ layer: Int) -> (keys: UnsafeMutablePointer<Float16>, values: UnsafeMutablePointer<Float16>) {
    let off = firstRow[layer] * kvDim
    return (keys.pointer + off, values.pointer + off)
  }
}
