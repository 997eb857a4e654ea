import CEdgeSys

// Streaming of the weights a MemoryPlan does not keep resident. Every weight
// is read where the file is mapped. A streamed unit (a layer, or a chunk of
// the output projection) is mapped just before its use by touching one byte
// per 64 KiB (each read faults in the page-cache pages around it; the time
// this takes is the stall waiting for weights, storage reads included) and
// unmapped again (MADV_DONTNEED) when the pass moves on, so one streamed
// unit at a time is resident. A fault maps the faulting page's whole
// page-cache folio (up to 2 MiB), so each streamed range's edge pages are
// made mappings of their own (`MappedFile.isolate`): no fault maps pages
// beyond a unit but for one page at each edge.
//
// Why map rather than copy: the weights are then not copied at all.
// Measured here (SmolLM2 at a 50% cap, one thread, warm page cache), a pread
// copy into a window buffer cost ~0.14 ms per streamed MiB, mapping and
// unmapping the pages 0.07-0.09 ms (the kernel's per-page work: page-table
// entries, reverse map, TLB), which took decode from 0.51-0.63x to
// 0.62-0.76x of uncapped. With more threads the session's workers touch
// parts of a unit at once (faster than one thread: 4.4 vs 6.0 ms per token
// at two threads, though the faults contend on the page-table locks).
//
// The per-page work depends on the page cache's folio sizes: a file read
// by small reads sits in small folios (SmolLM2 as downloaded: none of it
// could be mapped by 2 MiB entries), while the model mapping is marked
// MADV_HUGEPAGE (MappedFile.open), so pages our faults read come in 2 MiB
// folios that a fault maps in one go. Stall per token at a 50% cap went
// from 5.9 to 2.2 ms (SmolLM2) and 5.8 to 4.4 ms (Gemma 3) once the file
// was in the page cache in large folios.
//
// Prefetch: the next `prefetchDepth` streamed units are handed to the
// kernel's readahead (MADV_WILLNEED), which reads them from storage in the
// background while the CPU computes; no thread of ours is used, so the
// thread budget holds with `threads: 1`. Only while storage is being read:
// a pass prefetches when the one before it read from storage (getrusage's
// input blocks grew) or is the first. With the file in the page cache the
// hint finds every page there and only costs its walk of the cache (7% of a
// token's time at a 50% cap); a pass that misses the cache turns it back on.
//
// The embedding, when not resident, is read row by row with pread into a
// one-row buffer: a batch's lookup maps nothing.
//
// The hooks a forward pass calls, all from the calling thread between
// parallel sections (they depend on nothing but the plan's unit order):
//   embeddingRow(...)       per token, for its embedding (enterEmbedding() first)
//   enter(layer: l)         before layer l
//   enterOutput(chunk: j)   before output rows of chunk j (ForwardState.computeLogits)

/// Counters of a pager, since the session was created.
public struct PagingStats: Sendable {
  /// Nanoseconds spent mapping streamed units in (faulting their pages,
  /// waiting for storage) and unmapping them.
  public var stallNanoseconds: UInt64 = 0
  /// Bytes of streamed units mapped in (each time one is used).
  public var mappedBytes: Int = 0
  /// Streamed units mapped in.
  public var unitsMapped: Int = 0
  public init() {}
}

final class LayerPager {
  let file: MappedFile
  let plan: MemoryPlan
  /// The session's workers, which touch parts of a unit at once.
  private let pool: ThreadPool?
  /// Units smaller than this are touched by the calling thread alone (the
  /// hand-off to the workers costs more than it saves).
  static let parallelTouchBytes = 256 * 1024
  /// One read per this many bytes maps a unit: the kernel's fault-around
  /// window (64 KiB by default); larger page-cache folios are mapped whole by
  /// their first read. Pages left unmapped fault when the kernels read them.
  static let touchStride = 64 * 1024
  private(set) var stats = PagingStats()
  /// Unit index mapped now, or -1.
  private var current = -1
  private var prefetched: [Bool]
  /// Whether this pass prefetches (see above), and the storage blocks read
  /// when it began.
  private var prefetching = true
  private var readBlocks = -1
  /// Indices of streamed units, in use order.
  private let streamed: [Int]
  /// Where each unit sits in `streamed` (-1 when resident).
  private let streamedPosition: [Int]
  /// Per unit: what to unmap after its use: its ranges and the page beside
  /// each end (an edge page's fault may map its neighbour), within the
  /// streamed region each lies in. Empty for resident units.
  private let releaseRanges: [[FileRange]]
  /// Output chunks: (unit index, rows), in order; empty when every chunk is
  /// resident (the output is then multiplied whole).
  let outputChunks: [(unit: Int, rows: Range<Int>)]
  /// One embedding row read from the file when the embedding is not
  /// resident. Shape: (embedding row bytes).
  private let row: AlignedBuffer<UInt8>?
  /// Whether a failed row read fell back to the mapping: the embedding's
  /// streamed ranges are then unmapped at the next unit.
  private var embeddingMapped = false
  private let embeddingStreamed: [FileRange]

  init(file: MappedFile, plan: MemoryPlan, pool: ThreadPool? = nil) {
    self.file = file
    self.plan = plan
    self.pool = pool
    prefetched = [Bool](repeating: false, count: plan.units.count)
    var streamed: [Int] = []
    var position = [Int](repeating: -1, count: plan.units.count)
    var chunks: [(unit: Int, rows: Range<Int>)] = []
    var anyChunkStreamed = false
    var streamedSpans: [(Int, Int)] = []
    for (i, u) in plan.units.enumerated() {
      if !u.resident {
        position[i] = streamed.count
        streamed.append(i)
        for r in u.ranges { streamedSpans.append((r.offset, r.offset + r.count)) }
      }
      if case .outputChunk(_, let rows) = u.kind {
        chunks.append((i, rows))
        if !u.resident { anyChunkStreamed = true }
      }
    }
    self.streamed = streamed
    streamedPosition = position
    outputChunks = anyChunkStreamed ? chunks : []
    // Tied output: the embedding's streamed part is the streamed chunks.
    embeddingStreamed = plan.embeddingResident ? []
      : plan.outputTied ? MemoryPlan.pageRanges(streamedSpans, page: MappedFile.pageSize)
      : plan.embeddingRanges
    for i in streamed {
      for r in plan.units[i].ranges { file.isolate(offset: r.offset, count: r.count) }
    }
    let regions = MemoryPlan.pageRanges(streamedSpans, page: MappedFile.pageSize)
    let spill = MappedFile.pageSize
    releaseRanges = plan.units.map { u in
      if u.resident { return [] }
      return u.ranges.map { r in
        guard let region = regions.first(where: { $0.offset <= r.offset && r.offset + r.count <= $0.offset + $0.count })
        else { return r }
        let lo = max(region.offset, r.offset - spill)
        let hi = min(region.offset + region.count, r.offset + r.count + spill)
        return FileRange(offset: lo, count: hi - lo)
      }
    }
    row = plan.embeddingResident ? nil : try? AlignedBuffer<UInt8>.allocate(count: max(1, plan.embeddingRowBytes))
  }

  // MARK: - Hooks

  /// Before the embedding lookup (the start of a forward pass): unmaps the
  /// unit in flight and decides whether this pass prefetches.
  func enterEmbedding() {
    let t0 = Clock.nanoseconds()
    releaseCurrent()
    let blocks = ProcessStats.storageReadBlocks()
    prefetching = blocks < 0 || blocks != readBlocks
    readBlocks = blocks
    stats.stallNanoseconds += Clock.nanoseconds() - t0
  }

  /// Converts the embedding row of `token` into `dst`: in place when the
  /// embedding is resident, else read from the file into the row buffer.
  func embeddingRow(_ embedding: WeightMatrix, token: Int, into dst: UnsafeMutablePointer<Float>) {
    guard let row, let base = file.base, embedding.rowStride <= row.count else {
      embedding.dequantizeRow(token, into: dst)
      return
    }
    let offset = embedding.data + token * embedding.rowStride - base
    if file.read(offset: offset, count: embedding.rowStride, into: row.raw) {
      QuantKernels.dequantize(embedding.type, UnsafeRawPointer(row.raw), dst, count: embedding.cols)
    } else {
      embedding.dequantizeRow(token, into: dst)
      embeddingMapped = true
    }
  }

  /// Before layer `layer` computes.
  @inline(__always)
  func enter(layer: Int) { enter(unit: layer) }

  /// Before the rows of output chunk `chunk` are multiplied.
  @inline(__always)
  func enterOutput(chunk: Int) { enter(unit: outputChunks[chunk].unit) }

  private func enter(unit: Int) {
    guard unit >= 0, unit < plan.units.count, unit != current else { return }
    let t0 = Clock.nanoseconds()
    defer { stats.stallNanoseconds += Clock.nanoseconds() - t0 }
    releaseCurrent()
    current = unit
    let position = streamedPosition[unit]
    guard position >= 0 else { return }
    // Readahead of the next streamed units (wrapping to the next token's),
    // each once until it is released again.
    var ahead = 1
    while prefetching && ahead <= plan.prefetchDepth && ahead < streamed.count {
      let next = streamed[(position + ahead) % streamed.count]
      if !prefetched[next] {
        prefetched[next] = true
        for r in plan.units[next].ranges { file.willNeed(offset: r.offset, count: r.count) }
      }
      ahead += 1
    }
    let bytes = plan.units[unit].bytes
    let parts = bytes >= LayerPager.parallelTouchBytes ? (pool?.threadCount ?? 1) : 1
    if parts > 1, let pool {
      pool.parallelFor(parts) { range in
        for part in range { self.touch(unit: unit, part: part, of: parts) }
      }
    } else {
      touch(unit: unit, part: 0, of: 1)
    }
    stats.mappedBytes += bytes
    stats.unitsMapped += 1
  }

  /// Maps part `part` of `parts` (by bytes, in range order) of unit `unit`.
  /// Called from several workers at once, each with its own part.
  private func touch(unit: Int, part: Int, of parts: Int) {
    let u = plan.units[unit]
    let lo = u.bytes * part / parts, hi = u.bytes * (part + 1) / parts
    var at = 0
    for r in u.ranges {
      let a = max(lo, at), b = min(hi, at + r.count)
      if a < b { file.touch(offset: r.offset + (a - at), count: b - a, stride: LayerPager.touchStride) }
      at += r.count
    }
  }

  private func releaseCurrent() {
    if current >= 0 && !plan.units[current].resident {
      for r in releaseRanges[current] { file.release(offset: r.offset, count: r.count) }
      prefetched[current] = false
    }
    if embeddingMapped {
      for r in embeddingStreamed { file.release(offset: r.offset, count: r.count) }
      embeddingMapped = false
    }
    current = -1
  }
}
