// Packing a loaded model's matrices for this CPU (Quant/Arm/PackedWeights.swift
// says which types and why): each eligible matrix is copied into memory the
// model owns, in the packed layout, and its pages of the file mapping are
// released right after, so the RSS holds one copy. An untied embedding
// keeps reading the file's rows (one per token); a tied one reads the
// packed output's rows (`WeightMatrix.dequantizeRow`).
//
// Only at load and only when the caller allows it: a model loaded under a
// RAM cap keeps the file's layout so that every layer stays streamable
// (a packed matrix is always resident: `MemoryPlan` pins its unit).

/// The packed copies a model owns.
final class PackedStore {
  var buffers: [AlignedBuffer<UInt8>] = []
  /// Which units hold packed matrices (for sessions' memory plans).
  var units = PackedUnits()
  /// Bytes packed.
  var bytes = 0
}

extension DecoderLayer {
  /// This layer with every matrix passed through `f`.
  func mapMatrices(_ f: (WeightMatrix) -> WeightMatrix) -> DecoderLayer {
    DecoderLayer(
      attentionNorm: attentionNorm, wq: f(wq), wk: f(wk), wv: f(wv), wo: f(wo),
      qBias: qBias, kBias: kBias, vBias: vBias, qNorm: qNorm, kNorm: kNorm,
      postAttentionNorm: postAttentionNorm, ffnNorm: ffnNorm,
      gate: f(gate), up: f(up), down: f(down), postFeedForwardNorm: postFeedForwardNorm,
      rope: rope, ropeLong: ropeLong, window: window)
  }
}

extension DecoderWeights {
  /// These weights with every matrix this CPU's kernels read faster packed
  /// (`QuantKernels.packs`) replaced by a packed copy; `mapping`'s pages of
  /// the originals are released. A matrix whose copy cannot be allocated
  /// stays as it is (packing is only ever a speed-up).
  func packed(mapping: MappedFile?) -> DecoderWeights {
    let store = PackedStore()
    var packedLayer = false
    func pack(_ w: WeightMatrix) -> WeightMatrix {
      guard w.packed == nil, QuantKernels.packs(w.type, rows: w.rows),
            let rowBytes = w.type.rowBytes(w.cols), rowBytes == w.rowStride,
            let buffer = try? AlignedBuffer<UInt8>.allocate(count: w.rows * rowBytes)
      else { return w }
      // In slices of about 4 MiB, each slice's file pages released once it
      // is packed: the RSS never holds both copies of more than a slice.
      let slice = Swift.max(4, (4 << 20) / rowBytes & ~3)
      var r0 = 0
      while r0 < w.rows {
        let n = Swift.min(slice, w.rows - r0)
        guard QuantKernels.pack(w.type, w.data + r0 * rowBytes, rowStride: rowBytes, rows: n, cols: w.cols,
                                into: buffer.raw + r0 * rowBytes) else { return w }
        if let mapping, let base = mapping.base {
          mapping.release(offset: w.data + r0 * rowBytes - base, count: n * rowBytes)
        }
        r0 += n
      }
      store.buffers.append(buffer)
      store.bytes += w.rows * rowBytes
      packedLayer = true
      return WeightMatrix(type: w.type, data: w.data, rows: w.rows, cols: w.cols, rowStride: w.rowStride,
                          packed: PackedRows(base: UnsafeRawPointer(buffer.raw), firstRow: 0))
    }
    var newLayers: [DecoderLayer] = []
    newLayers.reserveCapacity(layers.count)
    for layer in layers {
      packedLayer = false
      newLayers.append(layer.mapMatrices(pack))
      store.units.layers.append(packedLayer)
    }
    let newOutput = pack(output)
    store.units.output = newOutput.packed != nil
    guard store.bytes > 0 else { return self }
    // A tied embedding reads its rows from the packed copy too, so that the
    // released file pages are not mapped back one token at a time.
    let tied = output.data == embedding.data && output.rows == embedding.rows
    return DecoderWeights(embedding: tied ? newOutput : embedding, layers: newLayers, outputNorm: outputNorm, output: newOutput,
                          ropeFactors: ropeFactors, packedStore: store)
  }
}
