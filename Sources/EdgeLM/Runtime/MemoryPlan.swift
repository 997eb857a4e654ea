// The memory plan: under a RAM cap (`ram_limit`), which parts of the mapped
// weights stay resident and which are streamed through a window of one unit
// at a time (see LayerPager.swift). It depends only on GGUF tensor names and
// byte ranges, not on an architecture:
//
// - a layer unit is every tensor named `blk.N.*` (its page-rounded byte
//   ranges in the file);
// - the output projection (`output.weight`, or `token_embd.weight` when the
//   output is tied to the embedding) is read whole for every token's
//   logits, so it is split by rows into chunks of about one layer's size,
//   each a unit;
// - the embedding is read one row per token: when it is not resident, rows
//   are read from the file into a one-row buffer (nothing of it is mapped);
// - every other tensor (norms, rope factors) is small and always resident;
// - a unit holding a matrix the model packed at load (Quant/Arm/PackedWeights.swift:
//   a copy of the file's bytes in the model's memory, whose file pages are
//   released) is pinned: always resident, counted like a mapped unit.
//
// The RSS accounted: the model's heap after loading (an estimate from its
// metadata arrays: the tokenizer's vocabulary), the KV cache, the forward
// pass buffers, the resident units and one streamed unit mapped at a time,
// and a page beside each of its ends (prefetching only fills the page cache,
// which is not RSS). Peak RSS =
// that + whatever the host process had before loading (the baseline).

/// The units whose matrices the model packed (`Model.packedUnits`).
public struct PackedUnits: Sendable {
  /// Per layer, whether one of its matrices is packed.
  public var layers: [Bool] = []
  /// Whether the output projection is.
  public var output = false
  public init() {}
}

/// A page-aligned byte range of the model file.
public struct FileRange: Equatable, Sendable {
  public let offset: Int
  public let count: Int
}

/// One streamable piece of the weights.
public struct WeightUnit: Sendable {
  public enum Kind: Equatable, Sendable {
    /// All `blk.N.*` tensors.
    case layer(Int)
    /// Rows `rows` of the output projection.
    case outputChunk(Int, rows: Range<Int>)
  }
  public let kind: Kind
  /// Page-aligned, sorted, non-overlapping ranges of the file.
  public let ranges: [FileRange]
  /// Sum of the ranges' sizes.
  public let bytes: Int
  /// Kept mapped once touched (true) or mapped for its use and unmapped
  /// right after (false).
  public internal(set) var resident: Bool
  /// Holds matrices the model packed for this CPU (Quant/Arm/PackedWeights.swift):
  /// they live in the model's memory, not the file's pages, so the unit
  /// is always resident.
  public let pinned: Bool
}

public struct MemoryPlan: Sendable {
  /// The cap in bytes (0 = none).
  public let cap: Int
  public let mode: PagingMode
  /// How the model's file was loaded: `.read` means every byte of it is
  /// resident anonymous memory, so nothing can be streamed or released.
  public let load: LoadMode
  public let prefetchDepth: Int
  /// Tokens per forward pass the buffers are sized for.
  public let maxBatch: Int
  /// Layers first (in order), then output chunks (in row order): the order
  /// in which a forward pass uses them.
  public internal(set) var units: [WeightUnit]
  public let layerCount: Int
  /// Name of the tensor the output projection reads.
  public let outputTensor: String
  /// Whether the output is the embedding (tied weights).
  public let outputTied: Bool
  /// Ranges of `token_embd.weight`.
  public let embeddingRanges: [FileRange]
  /// Whether the embedding stays mapped. (Tied: when every output chunk is
  /// resident.)
  public internal(set) var embeddingResident: Bool
  /// Bytes of one embedding row (the pager's row buffer when the embedding
  /// is streamed).
  public let embeddingRowBytes: Int
  /// Other tensors (norms...), page-rounded; always resident.
  public let otherWeightBytes: Int
  /// Heap the loaded model holds (estimate from its metadata).
  public let modelHeapBytes: Int
  public let kvCacheBytes: Int
  /// Forward pass buffers and logits (`ForwardState.bufferBytes`).
  public let bufferBytes: Int
  /// The GGUF header (metadata) pages, unmapped after loading when a cap is set.
  public let headerBytes: Int
  /// Generation's own heap (the sampler's vocabulary-sized arrays) and a
  /// margin for code pages, thread stacks and allocator slack.
  public let runtimeBytes: Int

  /// Whether any unit (or the embedding) is streamed.
  public var isStreaming: Bool { units.contains { !$0.resident } || !embeddingResident }
  /// Bytes of units that stay resident.
  public var residentUnitBytes: Int { units.reduce(0) { $0 + ($1.resident ? $1.bytes : 0) } }
  /// Bytes of units streamed for every token.
  public var streamedUnitBytes: Int { units.reduce(0) { $0 + ($1.resident ? 0 : $1.bytes) } }
  /// Bytes of the resident embedding when untied (tied: counted in units).
  var untiedEmbeddingResidentBytes: Int {
    outputTied || !embeddingResident ? 0 : embeddingRanges.reduce(0) { $0 + $1.count }
  }
  /// Streaming memory: the largest streamed unit, mapped while it computes,
  /// with the pages beside its ranges that faults may map too.
  public var windowBytes: Int {
    var w = 0
    for u in units where !u.resident { w = max(w, MemoryPlan.mappedBytes(u)) }
    return w
  }
  /// Most bytes mapping `unit` can add to the RSS: its ranges and a page
  /// beside each end (LayerPager isolates the edge pages; `MappedFile.isolate`).
  static func mappedBytes(_ unit: WeightUnit) -> Int {
    unit.bytes + unit.ranges.count * 2 * MappedFile.pageSize
  }
  /// Everything but weights: model heap, KV cache, buffers, small tensors
  /// (and, for a model read into memory, the file's header, which a mapping
  /// releases under a cap).
  public var fixedBytes: Int {
    modelHeapBytes + kvCacheBytes + bufferBytes + otherWeightBytes + runtimeBytes + (load == .read ? headerBytes : 0)
  }
  /// Planned peak RSS attributable to the model and session.
  public var plannedPeakBytes: Int { fixedBytes + residentUnitBytes + untiedEmbeddingResidentBytes + windowBytes }
  /// The smallest cap of any batch size (`Session.memoryPlan` sets it;
  /// otherwise `minimumCap`).
  public internal(set) var smallestCap: Int = 0

  /// Bytes of pinned units (always resident).
  public var pinnedUnitBytes: Int { units.reduce(0) { $0 + ($1.pinned ? $1.bytes : 0) } }

  /// The smallest cap a plan with these buffers fits: fixed bytes, the
  /// pinned units and one streamed unit.
  public var minimumCap: Int {
    var w = 0
    for u in units where !u.pinned { w = max(w, MemoryPlan.mappedBytes(u)) }
    return fixedBytes + pinnedUnitBytes + w
  }

  // MARK: - Making a plan

  /// Plans the weights of `gguf` under `config`'s `ram_limit`, `paging`
  /// and `prefetch_depth`.
  /// - Parameters:
  ///   - kvCacheBytes, bufferBytes: the session's KV cache and forward
  ///     buffers (`KVCache.byteCount`, `ForwardState.bufferBytes`).
  ///   - maxBatch: tokens per forward pass (embedding rows touched at once).
  /// - Throws: `.resourceLimit` when nothing fits the cap (the message gives
  ///   the smallest cap that works), or the weights do not fit with
  ///   `paging: "off"`; `.format` when the file has no `token_embd.weight`.
  ///   - packed: which layers and whether the output the model packed (pinned units).
  public static func make(
    gguf: GGUFFile, config: RuntimeConfig, kvCacheBytes: Int, bufferBytes: Int, maxBatch: Int,
    packed: PackedUnits = PackedUnits()
  ) throws(EdgeLMError) -> MemoryPlan {
    var plan = try layout(gguf: gguf, config: config, kvCacheBytes: kvCacheBytes,
                          bufferBytes: bufferBytes, maxBatch: maxBatch, packed: packed)
    try plan.decide()
    return plan
  }

  /// The units and sizes, everything resident (no decision yet).
  static func layout(
    gguf: GGUFFile, config: RuntimeConfig, kvCacheBytes: Int, bufferBytes: Int, maxBatch: Int,
    packed: PackedUnits = PackedUnits()
  ) throws(EdgeLMError) -> MemoryPlan {
    let page = MappedFile.pageSize
    func span(_ t: GGUFTensorInfo) -> (Int, Int) {
      let start = gguf.dataOffset + t.offset
      return (start, start + t.byteCount)
    }
    // Tensors by layer.
    var layerSpans: [[(Int, Int)]] = []
    var otherSpans: [(Int, Int)] = []
    for t in gguf.tensors {
      if let layer = layerIndex(t.name) {
        while layerSpans.count <= layer { layerSpans.append([]) }
        layerSpans[layer].append(span(t))
      } else if t.name != "token_embd.weight" && t.name != "output.weight" {
        otherSpans.append(span(t))
      }
    }
    guard let embedding = gguf.tensor(named: "token_embd.weight") else {
      throw EdgeLMError(.format, "tensor 'token_embd.weight' is missing")
    }
    let untiedOutput = gguf.tensor(named: "output.weight")
    let output = untiedOutput ?? embedding
    var units: [WeightUnit] = []
    var largestLayer = 0
    for (i, spans) in layerSpans.enumerated() {
      let ranges = pageRanges(spans, page: page)
      let bytes = ranges.reduce(0) { $0 + $1.count }
      largestLayer = max(largestLayer, bytes)
      let pinned = i < packed.layers.count && packed.layers[i]
      units.append(WeightUnit(kind: .layer(i), ranges: ranges, bytes: bytes, resident: true, pinned: pinned))
    }
    // Output chunks of about one layer's size (at least 64 rows).
    let rows = output.rowCount
    let rowBytes = max(1, output.rowBytes)
    let target = max(largestLayer, 256 * 1024)
    let rowsPerChunk = min(rows, max(64, target / rowBytes))
    var r0 = 0
    var chunk = 0
    let (outStart, _) = span(output)
    while r0 < rows {
      let r1 = min(rows, r0 + rowsPerChunk)
      let ranges = pageRanges([(outStart + r0 * rowBytes, outStart + r1 * rowBytes)], page: page)
      units.append(WeightUnit(kind: .outputChunk(chunk, rows: r0..<r1), ranges: ranges,
                              bytes: ranges.reduce(0) { $0 + $1.count }, resident: true, pinned: packed.output))
      r0 = r1
      chunk += 1
    }
    let embeddingRanges = pageRanges([span(embedding)], page: page)
    return MemoryPlan(
      cap: config.ramLimit, mode: config.paging, load: gguf.mapping?.load ?? .map,
      prefetchDepth: config.prefetchDepth, maxBatch: maxBatch,
      units: units, layerCount: layerSpans.count, outputTensor: output.name,
      outputTied: untiedOutput == nil, embeddingRanges: embeddingRanges, embeddingResident: true,
      embeddingRowBytes: embedding.rowBytes,
      otherWeightBytes: pageRanges(otherSpans, page: page).reduce(0) { $0 + $1.count },
      modelHeapBytes: modelHeapEstimate(gguf), kvCacheBytes: kvCacheBytes, bufferBytes: bufferBytes,
      headerBytes: (gguf.dataOffset + page - 1) / page * page,
      runtimeBytes: rows * 16 + 1 << 20)
  }

  /// Chooses resident and streamed units.
  mutating func decide() throws(EdgeLMError) {
    let all = fixedBytes + residentUnitBytes + untiedEmbeddingResidentBytes
    if load == .read {
      // Every weight is in memory already: nothing to choose, and the cap
      // either holds all of it or the session is refused (never exceeded).
      if mode == .always {
        throw EdgeLMError(.config, "paging \"always\" streams layers from the mapped file, but this model was loaded with load \"read\" (its weights are in memory); use paging \"auto\" or \"off\", or load \"map\"")
      }
      if cap > 0 && all > cap {
        throw EdgeLMError(.resourceLimit, "ram_limit \(cap) bytes (\(MemoryPlan.mib(cap))) is below the \(all) bytes (\(MemoryPlan.mib(all))) this model and session need with load \"read\" (the whole file is in memory, so no layer can be streamed); raise the cap, or load the model with load \"map\" to stream layers")
      }
      return
    }
    if mode == .off || (mode == .auto && (cap == 0 || all <= cap)) {
      if cap > 0 && all > cap {
        throw EdgeLMError(.resourceLimit, "ram_limit \(cap) bytes (\(MemoryPlan.mib(cap))) is below the \(all) bytes (\(MemoryPlan.mib(all))) this model and session need with paging \"off\"; allow paging (\"auto\") to stream layers, or raise the cap")
      }
      return
    }
    // Streaming: start from everything streamed, then keep units resident in
    // use order while they fit beside the window.
    for i in units.indices { units[i].resident = units[i].pinned }
    embeddingResident = false
    let minimum = minimumCap
    let pinned = pinnedUnitBytes
    if cap > 0 && cap < minimum {
      let packedNote = pinned == 0 ? "" : " + weights the model packed for this CPU \(MemoryPlan.mib(pinned)) (always resident: load the model with this ram_limit to keep them streamable)"
      throw EdgeLMError(.resourceLimit, "ram_limit \(cap) bytes (\(MemoryPlan.mib(cap))) is below the minimum of \(minimum) bytes (\(MemoryPlan.mib(minimum))) for this model and session: model heap \(MemoryPlan.mib(modelHeapBytes)) + KV cache \(MemoryPlan.mib(kvCacheBytes)) + buffers \(MemoryPlan.mib(bufferBytes)) + small tensors \(MemoryPlan.mib(otherWeightBytes)) + sampler and margin \(MemoryPlan.mib(runtimeBytes))\(packedNote) + one streamed unit \(MemoryPlan.mib(minimum - fixedBytes - pinned)); the smallest cap that works is \(minimum) bytes")
    }
    // A tied embedding of a packed output reads the packed rows: resident.
    if outputTied && units.contains(where: { if case .outputChunk = $0.kind { return $0.pinned } else { return false } }) {
      embeddingResident = true
    }
    if mode == .always || cap == 0 { return }
    var room = cap - fixedBytes - pinned - windowBytes
    for i in units.indices where !units[i].pinned && units[i].bytes <= room {
      units[i].resident = true
      room -= units[i].bytes
    }
    if outputTied {
      embeddingResident = !units.contains { if case .outputChunk = $0.kind { return !$0.resident } else { return false } }
    } else {
      let bytes = embeddingRanges.reduce(0) { $0 + $1.count }
      if bytes <= room { embeddingResident = true }
    }
  }

  // MARK: - Helpers

  /// N of a tensor named `blk.N.<rest>`, else nil.
  static func layerIndex(_ name: String) -> Int? {
    var bytes = Array(name.utf8)[...]
    guard bytes.count > 4, bytes.starts(with: Array("blk.".utf8)) else { return nil }
    bytes = bytes.dropFirst(4)
    var n = 0
    var digits = 0
    while let c = bytes.first, c >= 48, c <= 57 {
      n = n * 10 + Int(c - 48)
      digits += 1
      bytes = bytes.dropFirst()
      if digits > 6 { return nil }
    }
    guard digits > 0, bytes.first == 46 else { return nil }
    return n
  }

  /// Byte spans widened to whole pages, sorted and merged.
  static func pageRanges(_ spans: [(Int, Int)], page: Int) -> [FileRange] {
    let sorted = spans.filter { $0.1 > $0.0 }.sorted { $0.0 < $1.0 }
    var out: [FileRange] = []
    for (s, e) in sorted {
      let start = s / page * page
      let end = (e + page - 1) / page * page
      if let last = out.last, start <= last.offset + last.count {
        let newEnd = max(end, last.offset + last.count)
        out[out.count - 1] = FileRange(offset: last.offset, count: newEnd - last.offset)
      } else {
        out.append(FileRange(offset: start, count: end - start))
      }
    }
    return out
  }

  /// The heap a loaded model holds at its peak, estimated from its metadata
  /// arrays (the tokenizer's vocabulary and merges dominate): per string
  /// 24 bytes (its offset in the shared text buffer, the id table's slots,
  /// attributes) plus 16 more per BPE merge (the merge table), 8 per number
  /// (the GGUF copy and the tokenizer's), twice the text bytes, 256 KiB
  /// besides. Measured peak RSS of loading the tokenizer, less the process
  /// before and the file's header pages (Embedded build): SmolLM2 4.8 MB
  /// (estimate 5.4), Gemma 3 13.1 MB (estimate 15.4).
  static func modelHeapEstimate(_ gguf: GGUFFile) -> Int {
    var bytes = 256 * 1024
    for entry in gguf.metadata {
      guard case .array(let a) = entry.value else { continue }
      if let s = a.strings {
        bytes += a.count * (entry.key == "tokenizer.ggml.merges" ? 40 : 24) + 2 * s.blob.count
      } else {
        bytes += a.count * 8
      }
    }
    return bytes
  }

  static func mib(_ bytes: Int) -> String { Format.fixed(Double(bytes) / 1048576, 2) + " MiB" }

  // MARK: - Report

  /// A human-readable plan (`edgelm info --ram-limit X`).
  public func describe() -> String {
    var out = "memory plan: ram_limit " + (cap == 0 ? "none" : "\(MemoryPlan.mib(cap)) (\(cap) bytes)")
    out += ", paging \(mode.name), prefetch depth \(prefetchDepth), load \(load.name)\n"
    out += "  batch \(maxBatch) tokens; model heap (estimate) \(MemoryPlan.mib(modelHeapBytes)), KV cache \(MemoryPlan.mib(kvCacheBytes)), buffers \(MemoryPlan.mib(bufferBytes)), small tensors \(MemoryPlan.mib(otherWeightBytes)), sampler and margin \(MemoryPlan.mib(runtimeBytes))\n"
    var residentLayers: [Int] = []
    var streamedLayers: [Int] = []
    var chunks = 0
    var residentChunks = 0
    for u in units {
      switch u.kind {
      case .layer(let i): if u.resident { residentLayers.append(i) } else { streamedLayers.append(i) }
      case .outputChunk:
        chunks += 1
        if u.resident { residentChunks += 1 }
      }
    }
    out += "  layers: \(units.count - chunks), resident \(MemoryPlan.ranges(residentLayers)), streamed \(MemoryPlan.ranges(streamedLayers))\n"
    out += "  output (\(outputTensor)\(outputTied ? ", tied to the embedding" : "")): \(chunks) chunks, \(residentChunks) resident\n"
    out += "  embedding: " + (embeddingResident ? "resident" : "streamed (each token's row read from the file)") + "\n"
    out += "  resident weights \(MemoryPlan.mib(residentUnitBytes + untiedEmbeddingResidentBytes)), streamed per token \(MemoryPlan.mib(streamedUnitBytes)), window \(MemoryPlan.mib(windowBytes))\n"
    let smallest = smallestCap > 0 ? smallestCap : minimumCap
    out += "  planned peak \(MemoryPlan.mib(plannedPeakBytes)) above the process baseline; minimum cap \(MemoryPlan.mib(minimumCap)) at batch \(maxBatch), \(MemoryPlan.mib(smallest)) (\(smallest) bytes) at batch 1\n"
    return out
  }

  static func ranges(_ xs: [Int]) -> String {
    if xs.isEmpty { return "none" }
    var parts: [String] = []
    var i = 0
    while i < xs.count {
      var j = i
      while j + 1 < xs.count && xs[j + 1] == xs[j] + 1 { j += 1 }
      parts.append(i == j ? "\(xs[i])" : "\(xs[i])-\(xs[j])")
      i = j + 1
    }
    return parts.joined(separator: ",")
  }
}
