// The RAM cap: the memory plan (units from tensor names, resident/streamed
// choice, the minimum cap), streamed generation equal to resident
// generation, and the config keys. Peak RSS and the thread budget are
// per-process facts, checked on the CLI in fresh processes by
// Tests/paging/run.sh.

import Foundation
import Testing
@testable import EdgeLM

@Suite struct PagingTests {
  static let model: Model = try! Model(path: TestPaths.model(TestPaths.smollm2Name))
  static var fileSize: Int { model.gguf.fileSize }

  static func config(cap: Int, paging: PagingMode = .auto, threads: Int = 1) -> RuntimeConfig {
    var c = RuntimeConfig()
    c.ramLimit = cap
    c.paging = paging
    c.contextLength = 256
    c.threads = threads
    c.sampling.temperature = 0
    return c
  }

  static func greedy(_ config: RuntimeConfig, tokens n: Int = 24, model: Model = model) throws -> ([Int32], Session) {
    let session = try Session.create(model: model, config: config)
    let prompt = try session.promptTokens(
      Array("<|im_start|>user\nWrite a short poem about a robot learning to paint.<|im_end|>\n<|im_start|>assistant\n".utf8),
      addSpecial: true)
    var sampler = Sampler(config.sampling)
    var out: [Int32] = []
    _ = try session.generate(prompt: prompt, maxTokens: n, sampler: &sampler) { _, token in
      if token >= 0 { out.append(token) }
      return true
    }
    return (out, session)
  }

  /// load "read": the whole file is resident, so a cap either holds all of
  /// it or is refused (naming load "read"); paging "always" cannot apply.
  @Test func aModelReadIntoMemoryIsNeverStreamed() throws {
    let path = try TestPaths.model(TestPaths.smollm2Name)
    var small = Self.config(cap: Self.fileSize / 2)
    small.load = .read
    #expect {
      _ = try Model.load(path: path, config: small)
    } throws: { Self.isResourceLimit($0, naming: "load \"read\" reads into memory whole") }
    let model = try Model(path: path, packWeights: false, load: .read)
    #expect(model.loadMode == .read)
    let uncapped = try Session.memoryPlan(model: model, config: Self.config(cap: 0))
    #expect(!uncapped.isStreaming && uncapped.load == .read)
    #expect(uncapped.plannedPeakBytes >= Self.fileSize)
    // Below what the smallest batch needs: refused; at it: resident.
    let least = try Session.memoryPlan(model: model, config: Self.config(cap: 0), batchSize: 1).plannedPeakBytes
    for cap in [Self.fileSize, least - 1] {
      #expect {
        _ = try Session.memoryPlan(model: model, config: Self.config(cap: cap))
      } throws: { Self.isResourceLimit($0, naming: "need with load \"read\"") }
    }
    #expect(try !Session.memoryPlan(model: model, config: Self.config(cap: least)).isStreaming)
    #expect {
      _ = try Session.memoryPlan(model: model, config: Self.config(cap: 0, paging: .always))
    } throws: { ($0 as? EdgeLMError)?.status == .config }
    // The same greedy tokens as the mapped model.
    #expect(try Self.greedy(Self.config(cap: 0), tokens: 8, model: model).0 == Self.greedy(Self.config(cap: 0), tokens: 8).0)
  }

  static func isResourceLimit(_ error: any Error, naming text: String) -> Bool {
    guard let e = error as? EdgeLMError else { return false }
    return e.status == .resourceLimit && e.message.contains(text)
  }

  @Test func unitsCoverEveryTensorOnWholePages() throws {
    let plan = try Session.memoryPlan(model: Self.model, config: Self.config(cap: 0))
    let page = MappedFile.pageSize
    #expect(plan.layerCount == 30)
    #expect(plan.outputTied && plan.outputTensor == "token_embd.weight")
    #expect(!plan.isStreaming)
    var rows = 0
    for (i, u) in plan.units.enumerated() {
      for r in u.ranges { #expect(r.offset % page == 0 && r.count % page == 0 && r.count > 0) }
      #expect(u.bytes == u.ranges.reduce(0) { $0 + $1.count })
      if i < 30 { #expect(u.kind == .layer(i)) }
      if case .outputChunk(_, let chunkRows) = u.kind {
        #expect(chunkRows.lowerBound == rows)
        rows = chunkRows.upperBound
      }
    }
    #expect(rows == Self.model.config.vocabSize)
    // Every byte of every blk.N tensor is inside layer N's ranges.
    let g = Self.model.gguf
    for t in g.tensors {
      guard let layer = MemoryPlan.layerIndex(t.name) else { continue }
      let start = g.dataOffset + t.offset
      let inside = plan.units[layer].ranges.contains { $0.offset <= start && start + t.byteCount <= $0.offset + $0.count }
      #expect(inside, "\(t.name)")
    }
  }

  @Test func layerIndexReadsOnlyBlkNames() {
    #expect(MemoryPlan.layerIndex("blk.0.attn_q.weight") == 0)
    #expect(MemoryPlan.layerIndex("blk.17.ffn_up.weight") == 17)
    #expect(MemoryPlan.layerIndex("blk.x.attn_q.weight") == nil)
    #expect(MemoryPlan.layerIndex("blk.3") == nil)
    #expect(MemoryPlan.layerIndex("token_embd.weight") == nil)
    #expect(MemoryPlan.layerIndex("blk.12345678.a") == nil)
  }

  @Test(arguments: [100, 50, 25])
  func planFitsTheCap(percent: Int) throws {
    let cap = Self.fileSize * percent / 100
    let plan = try Session.memoryPlan(model: Self.model, config: Self.config(cap: cap))
    #expect(plan.isStreaming)
    #expect(plan.plannedPeakBytes <= cap)
    #expect(plan.minimumCap <= cap)
    #expect(plan.describe().contains("streamed"))
  }

  @Test func smallerCapsStreamMore() throws {
    var last = -1
    for percent in [100, 50, 25] {
      let plan = try Session.memoryPlan(model: Self.model, config: Self.config(cap: Self.fileSize * percent / 100))
      #expect(plan.streamedUnitBytes > last)
      last = plan.streamedUnitBytes
    }
  }

  @Test func belowTheMinimumFailsNamingTheMinimum() throws {
    var minimum = 0
    do {
      _ = try Session.create(model: Self.model, config: Self.config(cap: 4 << 20))
      Issue.record("a 4 MiB cap was accepted")
    } catch {
      #expect(error.status == .resourceLimit)
      #expect(error.message.hasPrefix("config: ram_limit 4194304 bytes"))
      let marker = "the smallest cap that works is "
      let range = try #require(error.message.range(of: marker))
      minimum = Int(error.message[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }
    #expect(minimum > 4 << 20)
    // The stated minimum works; one byte less does not.
    _ = try Session.create(model: Self.model, config: Self.config(cap: minimum))
    #expect(throws: EdgeLMError.self) { try Session.create(model: Self.model, config: Self.config(cap: minimum - 1)) }
  }

  /// Units holding matrices the model packed (on Arm dotprod CPUs; here a
  /// summary that says so) stay resident whatever the cap and mode, are
  /// counted in the plan, and a cap too small for them names them.
  @Test func packedUnitsArePinnedResident() throws {
    var packed = PackedUnits()
    packed.layers = (0..<30).map { $0 % 3 == 0 }
    packed.output = true
    let c = Self.model.config
    func plan(cap: Int, paging: PagingMode = .auto) throws(EdgeLMError) -> MemoryPlan {
      try MemoryPlan.make(
        gguf: Self.model.gguf, config: Self.config(cap: cap, paging: paging),
        kvCacheBytes: KVCache.byteCount(config: c, contextLength: 256, maxBatch: 1),
        bufferBytes: ForwardState.bufferBytes(config: c, contextLength: 256, maxBatch: 1, threads: 1),
        maxBatch: 1, packed: packed)
    }
    for mode in [PagingMode.auto, .always] {
      let p = try plan(cap: Self.fileSize * 3 / 4, paging: mode)
      #expect(p.isStreaming)
      #expect(p.plannedPeakBytes <= p.cap)
      for u in p.units {
        if case .layer(let i) = u.kind { #expect(u.pinned == packed.layers[i] && (!u.pinned || u.resident)) }
        if case .outputChunk = u.kind { #expect(u.pinned && u.resident) }
      }
      #expect(p.embeddingResident)  // tied to the (resident) output
      #expect(p.minimumCap >= p.fixedBytes + p.pinnedUnitBytes)
    }
    do {
      _ = try plan(cap: Self.fileSize / 4)
      Issue.record("a cap below the pinned units was accepted")
    } catch {
      #expect(error.status == .resourceLimit)
      #expect(error.message.contains("weights the model packed for this CPU"))
    }
    // Without packed units the same cap streams the output too.
    let unpinned = try Session.memoryPlan(model: Self.model, config: Self.config(cap: Self.fileSize * 3 / 4))
    #expect(unpinned.units.allSatisfy { !$0.pinned })
  }

  @Test func pagingOffRefusesACapBelowTheModel() throws {
    do {
      _ = try Session.create(model: Self.model, config: Self.config(cap: Self.fileSize / 2, paging: .off))
      Issue.record("paging off under a 50% cap was accepted")
    } catch {
      #expect(error.status == .resourceLimit)
      #expect(error.message.contains("paging \"off\""))
    }
    let plan = try Session.memoryPlan(model: Self.model, config: Self.config(cap: 0, paging: .off))
    #expect(!plan.isStreaming)
  }

  @Test func streamedGreedyEqualsResident() throws {
    let (reference, _) = try Self.greedy(Self.config(cap: 0))
    #expect(reference.count == 24)
    for percent in [100, 50, 25] {
      let (tokens, session) = try Self.greedy(Self.config(cap: Self.fileSize * percent / 100))
      #expect(tokens == reference, "cap \(percent)%")
      #expect(session.pagingStats.unitsMapped > 0)
      #expect(session.pagingStats.mappedBytes > 0)
    }
  }

  @Test func alwaysStreamsEverythingAndStillMatches() throws {
    let (reference, _) = try Self.greedy(Self.config(cap: 0), tokens: 12)
    let (tokens, session) = try Self.greedy(Self.config(cap: 0, paging: .always, threads: 2), tokens: 12)
    #expect(tokens == reference)
    let plan = try #require(session.plan)
    #expect(plan.residentUnitBytes == 0 && !plan.embeddingResident)
    // Every streamed unit mapped once per forward pass with logits.
    #expect(session.pagingStats.unitsMapped >= 12 * plan.units.count)
  }

  @Test func allLogitsMatchWhenTheOutputIsStreamed() throws {
    let tokens: [Int32] = [1, 504, 3458, 282, 4649, 314]
    let resident = try Session.create(model: Self.model, config: Self.config(cap: 0))
    let a = Array(UnsafeBufferPointer(start: try resident.evaluate(tokens, logits: .all), count: tokens.count * resident.vocabSize))
    let streamed = try Session.create(model: Self.model, config: Self.config(cap: 0, paging: .always))
    let b = Array(UnsafeBufferPointer(start: try streamed.evaluate(tokens, logits: .all), count: tokens.count * streamed.vocabSize))
    #expect(a == b)
  }

  @Test func configKeys() throws {
    let c = try RuntimeConfig.parse(Array(#"{"paging": "always", "prefetch_depth": 0}"#.utf8))
    #expect(c.paging == .always && c.prefetchDepth == 0)
    #expect(RuntimeConfig().prefetchDepth == 2)
    for (json, message) in [
      (#"{"prefetch_depth": 65}"#, "prefetch_depth"),
      (#"{"prefetch_depth": -1}"#, "prefetch_depth"),
      (#"{"prefetch_depth": 1.5}"#, "prefetch_depth"),
      (#"{"prefetch_depth": "2"}"#, "prefetch_depth"),
      (#"{"paging": "sometimes"}"#, "paging"),
    ] {
      do {
        _ = try RuntimeConfig.parse(Array(json.utf8))
        Issue.record("accepted \(json)")
      } catch {
        #expect(error.status == .config && error.message.contains(message), "\(error.message)")
      }
    }
  }

  @Test func touchAndReleaseKeepTheBytes() throws {
    let file = try MappedFile.open(path: TestPaths.model(TestPaths.smollm2Name))
    let expected = Array(file.bytes[1_000_000..<1_100_000])
    file.touch(offset: 1_000_000, count: 100_000, stride: 65536)
    #expect(Array(file.bytes[1_000_000..<1_100_000]) == expected)
    file.release(offset: 1_000_000, count: 100_000)
    file.willNeed(offset: 1_000_000, count: 100_000)
    #expect(Array(file.bytes[1_000_000..<1_100_000]) == expected)
    // Out-of-range requests are ignored, not trapped on.
    file.touch(offset: file.size + 10, count: 5, stride: 65536)
    file.isolate(offset: file.size + 10, count: 5)
    file.release(offset: -5, count: 10)
  }

  /// Resident bytes of `file`'s mapping, summed over its VMAs in
  /// /proc/self/smaps (Rss).
  static func mappedResidentBytes(_ file: MappedFile) throws -> Int {
    let base = UInt(bitPattern: file.base!), end = base + UInt(file.size)
    var total = 0
    var inside = false
    for line in String(decoding: try FileIO.readAll(path: "/proc/self/smaps"), as: UTF8.self).split(separator: "\n") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
        let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
        inside = bounds.count == 2 && bounds[0] >= base && bounds[1] <= (end + 4095) & ~4095
      } else if inside, fields.first == "Rss:", fields.count >= 2, let kb = Int(fields[1]) {
        total += kb * 1024
      }
    }
    return total
  }

  /// A unit's faults map nothing outside it but a page at each edge, even
  /// where the page cache holds large folios that reach past it (the kernel
  /// maps a faulting page's whole folio): what the plan's window counts.
  @Test func anIsolatedRangeMapsOnlyItself() throws {
    let file = try MappedFile.open(path: TestPaths.model(TestPaths.smollm2Name))
    let page = MappedFile.pageSize
    let range = FileRange(offset: 20 * 1048576 + 37 * page, count: 3 * 1048576 + 5 * page)
    // Large folios: the kernel's readahead for faults on a mapping creates
    // them, so the neighbourhood is evicted (pages other tests have mapped
    // stay) and read back through the mapping.
    let around = FileRange(offset: range.offset - 4 * 1048576, count: range.count + 8 * 1048576)
    _ = posix_fadvise(file.fd, off_t(around.offset), off_t(around.count), POSIX_FADV_DONTNEED)
    file.touch(offset: around.offset, count: around.count, stride: page)
    file.release(offset: 0, count: file.size)
    #expect(try Self.mappedResidentBytes(file) == 0)
    // Without isolation one read maps a whole folio.
    file.touch(offset: around.offset + 1048576, count: 1, stride: page)
    let folio = try Self.mappedResidentBytes(file)
    file.release(offset: 0, count: file.size)
    file.isolate(offset: range.offset, count: range.count)
    file.touch(offset: range.offset, count: range.count, stride: 65536)
    var sum = 0
    for i in stride(from: range.offset, to: range.offset + range.count, by: page) { sum &+= Int(file.bytes[i]) }
    let mapped = try Self.mappedResidentBytes(file)
    #expect(mapped >= range.count / 2, "\(mapped) bytes mapped (sum \(sum)); one read maps \(folio) without isolation")
    #expect(mapped <= range.count + 2 * page, "\(mapped) bytes mapped for a \(range.count)-byte range (one read maps \(folio) without isolation)")
    file.release(offset: range.offset - page, count: range.count + 2 * page)
    #expect(try Self.mappedResidentBytes(file) == 0)
  }
}
