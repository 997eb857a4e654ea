// Streaming of the weights a MemoryPlan does not keep resident. Resident
// weights are the read-only mapping of the file; a streamed unit (a layer,
// or a chunk of the output projection) is read with pread into one window
// buffer just before its use (the time it takes is the stall waiting for
// weights), and the forward pass uses the unit's tensors relocated into
// the window (`relocate`). Copying from the page cache measured faster
// than mapping the pages and unmapping them again (11.3 vs 9.3 GB/s
// here: no page-table work, no TLB flush) and leaves the unit in the CPU
// cache for the computation. The next `prefetchDepth` streamed units are
// handed to the kernel's readahead (MADV_WILLNEED), which reads them from
// storage in the background while the CPU computes; no thread of ours is
// used, so the thread budget holds with `threads: 1`. With more threads the
// session's own workers split the copy of a unit (one pread copies at about
// one core's memory bandwidth). Should a read fail,
// the unit is mapped instead (MADV_POPULATE_READ, released with
// MADV_DONTNEED after use).
//
// The hooks a forward pass calls, all from the calling thread between
// parallel sections (they depend on nothing but the plan's unit order):
//   enterEmbedding()        before the token embedding lookup
//   enter(layer: l)         before layer l
//   enterOutput(chunk: j)   before output rows of chunk j (ForwardState.computeLogits)

/// Counters of a pager, since the session was created.
public struct PagingStats: Sendable {
  /// Nanoseconds spent bringing streamed units in (waiting for weights).
  public var stallNanoseconds: UInt64 = 0
  /// Bytes of streamed units brought in (read into the window, or mapped).
  public var mappedBytes: Int = 0
  /// Streamed units brought in.
  public var unitsMapped: Int = 0
  public init() {}
}

final class LayerPager {
  let file: MappedFile
  let plan: MemoryPlan
  /// The session's workers, which split the copy of a unit.
  private let pool: ThreadPool?
  /// Per worker: whether its part of the last copy failed. Shape: (threads).
  private let failed: UnsafeMutablePointer<Bool>
  /// Units smaller than this are copied by the calling thread alone (the
  /// hand-off to the workers costs more than it saves).
  static let parallelCopyBytes = 256 * 1024
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
  /// The streamed unit in use, copied from the file. Shape: (largest
  /// streamed unit's bytes).
  private let window: AlignedBuffer<UInt8>?
  /// The current unit's ranges in the window: (file offset, bytes, window
  /// offset); empty when the current unit is resident or mapped.
  private var copied: [(offset: Int, count: Int, at: Int)] = []
  /// Whether the current unit was mapped (a read failed) and must be released.
  private var mapped = false

  init(file: MappedFile, plan: MemoryPlan, pool: ThreadPool? = nil) {
    self.file = file
    self.plan = plan
    self.pool = pool
    failed = .allocate(capacity: max(1, pool?.threadCount ?? 1))
    var largest = 0
    for u in plan.units where !u.resident { largest = max(largest, u.bytes) }
    window = largest > 0 ? try? AlignedBuffer<UInt8>.allocate(count: largest) : nil
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

  deinit { failed.deallocate() }

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
    let ranges = plan.units[unit].ranges
    if !copy(ranges) {
      // One thread maps the unit: splitting it across the pool measured no
      // faster (the page-table work contends) and costs a hand-off.
      for r in ranges { file.populate(offset: r.offset, count: r.count) }
      releaseSpill(around: ranges)
      mapped = true
    }
    stats.stallNanoseconds += Clock.nanoseconds() - t0
    stats.mappedBytes += plan.units[unit].bytes
    stats.unitsMapped += 1
  }

  /// Reads `ranges` back to back into the window, split across the pool's
  /// workers by bytes when it has several and the unit is large; false
  /// (nothing copied) when there is no window or a read fails.
  private func copy(_ ranges: [FileRange]) -> Bool {
    guard let window else { return false }
    var at = 0
    for r in ranges {
      guard at + r.count <= window.count else {
        copied.removeAll(keepingCapacity: true)
        return false
      }
      copied.append((r.offset, r.count, at))
      at += r.count
    }
    let total = at
    let parts = total >= LayerPager.parallelCopyBytes ? (pool?.threadCount ?? 1) : 1
    if parts > 1, let pool {
      pool.parallelFor(parts) { range in
        for part in range {
          self.failed[part] = !self.read(windowBytes: total * part / parts..<total * (part + 1) / parts)
        }
      }
    } else {
      failed[0] = !read(windowBytes: 0..<total)
    }
    for part in 0..<parts where failed[part] {
      copied.removeAll(keepingCapacity: true)
      return false
    }
    return true
  }

  /// Reads the bytes of the window at `bytes` (laid out in `copied`) from
  /// the file. Called from several workers at once, each with its own part.
  private func read(windowBytes bytes: Range<Int>) -> Bool {
    guard let window else { return false }
    for r in copied {
      let lo = max(bytes.lowerBound, r.at), hi = min(bytes.upperBound, r.at + r.count)
      if lo >= hi { continue }
      if !file.read(offset: r.offset + (lo - r.at), count: hi - lo, into: window.raw + lo) { return false }
    }
    return true
  }

  /// Where the forward pass reads `p` (a pointer into the file mapping):
  /// in the window when the current unit was copied and holds it, else
  /// `p` itself.
  @inline(__always)
  func relocate(_ p: UnsafeRawPointer) -> UnsafeRawPointer {
    guard !copied.isEmpty, let base = file.base, let window else { return p }
    let o = p - base
    for r in copied where o >= r.offset && o < r.offset + r.count {
      return UnsafeRawPointer(window.raw + (r.at + (o - r.offset)))
    }
    return p
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
      if mapped {
        for r in plan.units[current].ranges { file.release(offset: r.offset, count: r.count) }
      }
      prefetched[current] = false
    }
    copied.removeAll(keepingCapacity: true)
    mapped = false
    current = -1
  }
}
