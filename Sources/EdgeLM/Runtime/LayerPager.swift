// Streaming of the weights a MemoryPlan does not keep resident. The weights
// stay one read-only mapping of the file; a streamed unit (a layer, or a
// chunk of the output projection) is mapped just before its use
// (MADV_POPULATE_READ: the time it takes is the stall waiting for weights)
// and unmapped as soon as the forward pass moves on (MADV_DONTNEED: its
// pages leave the process's RSS and stay in the page cache). The next
// `prefetchDepth` streamed units are handed to the kernel's readahead
// (MADV_WILLNEED), which reads them from storage in the background while
// the CPU computes; no thread of ours is used, so the thread budget holds
// with `threads: 1`.
//
// The hooks a forward pass calls, all from the calling thread between
// parallel sections (they depend on nothing but the plan's unit order):
//   enterEmbedding()        before the token embedding lookup
//   enter(layer: l)         before layer l
//   enterOutput(chunk: j)   before output rows of chunk j (ForwardState.computeLogits)

/// Counters of a pager, since the session was created.
public struct PagingStats: Sendable {
  /// Nanoseconds spent mapping streamed units (waiting for weights).
  public var stallNanoseconds: UInt64 = 0
  /// Bytes of streamed units mapped.
  public var mappedBytes: Int = 0
  /// Streamed units mapped.
  public var unitsMapped: Int = 0
  public init() {}
}

final class LayerPager {
  let file: MappedFile
  let plan: MemoryPlan
  private(set) var stats = PagingStats()
  /// Unit index mapped now, `embeddingUnit` after the lookup, or -1.
  private var current = -1
  private var prefetched: [Bool]
  /// Indices of streamed units, in use order.
  private let streamed: [Int]
  /// Where each unit sits in `streamed` (-1 when resident).
  private let streamedPosition: [Int]
  /// What the embedding lookup may have mapped that is not resident.
  private let embeddingRelease: [FileRange]
  /// Output chunks: (unit index, rows), in order; empty when every chunk is
  /// resident (the output is then multiplied whole).
  let outputChunks: [(unit: Int, rows: Range<Int>)]
  static let embeddingUnit = -2

  init(file: MappedFile, plan: MemoryPlan) {
    self.file = file
    self.plan = plan
    prefetched = [Bool](repeating: false, count: plan.units.count)
    var streamed: [Int] = []
    var position = [Int](repeating: -1, count: plan.units.count)
    var chunks: [(unit: Int, rows: Range<Int>)] = []
    var anyChunkStreamed = false
    for (i, u) in plan.units.enumerated() {
      if !u.resident {
        position[i] = streamed.count
        streamed.append(i)
      }
      if case .outputChunk(_, let rows) = u.kind {
        chunks.append((i, rows))
        if !u.resident { anyChunkStreamed = true }
      }
    }
    self.streamed = streamed
    streamedPosition = position
    outputChunks = anyChunkStreamed ? chunks : []
    if plan.embeddingResident {
      embeddingRelease = []
    } else if plan.outputTied {
      var ranges: [FileRange] = []
      for u in plan.units where !u.resident {
        if case .outputChunk = u.kind { ranges += u.ranges }
      }
      embeddingRelease = ranges
    } else {
      embeddingRelease = plan.embeddingRanges
    }
  }

  // MARK: - Hooks

  /// Before the embedding lookup: unmaps the unit in flight.
  func enterEmbedding() {
    releaseCurrent()
    current = LayerPager.embeddingUnit
  }

  /// Before layer `layer` computes.
  @inline(__always)
  func enter(layer: Int) { enter(unit: layer) }

  /// Before the rows of output chunk `chunk` are multiplied.
  @inline(__always)
  func enterOutput(chunk: Int) { enter(unit: outputChunks[chunk].unit) }

  private func enter(unit: Int) {
    guard unit >= 0, unit < plan.units.count, unit != current else { return }
    releaseCurrent()
    current = unit
    let position = streamedPosition[unit]
    guard position >= 0 else { return }
    // Readahead of the next streamed units (wrapping to the next token's),
    // each once until it is released again.
    var ahead = 1
    while ahead <= plan.prefetchDepth && ahead < streamed.count {
      let next = streamed[(position + ahead) % streamed.count]
      if !prefetched[next] {
        prefetched[next] = true
        for r in plan.units[next].ranges { file.willNeed(offset: r.offset, count: r.count) }
      }
      ahead += 1
    }
    let t0 = Clock.nanoseconds()
    // One thread maps the unit: splitting it across the pool measured no
    // faster (the page-table work contends) and costs a hand-off.
    let ranges = plan.units[unit].ranges
    for r in ranges { file.populate(offset: r.offset, count: r.count) }
    releaseSpill(around: ranges)
    stats.stallNanoseconds += Clock.nanoseconds() - t0
    stats.mappedBytes += plan.units[unit].bytes
    stats.unitsMapped += 1
  }

  /// Bytes the kernel's fault-around maps beside a faulting page (its
  /// `fault_around_bytes`, 64 KiB by default): populating a unit also maps
  /// up to this much of its neighbours in the file.
  static let faultAroundBytes = 64 * 1024

  /// Unmaps what populating `ranges` mapped beside them. The neighbour
  /// before was usually released already this pass and would otherwise
  /// keep those pages until the next one: over all units that adds up to
  /// megabytes above the plan.
  private func releaseSpill(around ranges: [FileRange]) {
    let spill = LayerPager.faultAroundBytes
    for (i, r) in ranges.enumerated() {
      let lowest = i > 0 ? ranges[i - 1].offset + ranges[i - 1].count : 0
      let before = max(lowest, r.offset - spill)
      if before < r.offset { file.release(offset: before, count: r.offset - before) }
      let end = r.offset + r.count
      let highest = i + 1 < ranges.count ? ranges[i + 1].offset : file.size
      let after = min(highest, end + spill)
      if after > end { file.release(offset: end, count: after - end) }
    }
  }

  private func releaseCurrent() {
    if current == LayerPager.embeddingUnit {
      for r in embeddingRelease { file.release(offset: r.offset, count: r.count) }
    } else if current >= 0 && !plan.units[current].resident {
      for r in plan.units[current].ranges { file.release(offset: r.offset, count: r.count) }
      prefetched[current] = false
    }
    current = -1
  }
}
