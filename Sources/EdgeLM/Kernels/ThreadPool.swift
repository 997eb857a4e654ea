// A persistent pool of worker threads. The caller's thread is worker 0, so a
// pool of `threadCount` runs exactly `threadCount` EdgeLM threads: the budget
// of the config. Workers spin briefly after a task (the next one usually comes
// within microseconds during a forward pass), then sleep on a condition.

import Synchronization

public final class ThreadPool {
  /// Total threads working on a task, the caller included.
  public let threadCount: Int

  /// What the workers share with the caller. Workers hold this, never the
  /// pool: so releasing the pool runs its deinit, which stops and joins them
  /// (a worker holding the pool kept it, and its threads, alive for ever).
  private final class Shared {
    let generation = Atomic<Int>(0)   // bumped once per task
    let pending = Atomic<Int>(0)      // workers still on the current task
    let sleepers = Atomic<Int>(0)     // workers blocked on `wake`
    let stopping = Atomic<Bool>(false)
    let mutex = PlatformMutex()
    let wake = PlatformCondition()
    var task: ((Int) -> Void)? = nil
  }

  private let shared = Shared()
  private var workers: [PlatformThread] = []

  /// Nanoseconds a worker spins waiting for the next task before sleeping.
  static let spinNanoseconds: UInt64 = 200_000

  /// Starts `threadCount - 1` worker threads.
  /// - Throws: `.invalidArgument` for a count below 1, `.resourceLimit` if
  ///   the OS refuses a thread (those already started are stopped).
  public init(threadCount: Int) throws(EdgeLMError) {
    guard threadCount >= 1 && threadCount <= 1024 else {
      throw EdgeLMError(.invalidArgument, "thread count \(threadCount) is out of range 1...1024")
    }
    self.threadCount = threadCount
    let shared = self.shared
    for index in 1..<threadCount {
      do {
        let worker = try PlatformThread { ThreadPool.workerLoop(shared, index) }
        workers.append(worker)
      } catch {
        shutdown()
        throw error
      }
    }
  }

  deinit { shutdown() }

  private func shutdown() {
    shared.stopping.store(true, ordering: .sequentiallyConsistent)
    shared.mutex.lock()
    shared.wake.broadcast()
    shared.mutex.unlock()
    for worker in workers { worker.join() }
    workers.removeAll()
  }

  /// Runs `body(worker)` on every worker, `worker` in 0..<threadCount, and
  /// returns when all are done. Not reentrant; one caller at a time.
  public func run(_ body: @escaping (Int) -> Void) {
    if threadCount == 1 {
      body(0)
      return
    }
    let s = shared
    s.task = body
    s.pending.store(threadCount - 1, ordering: .relaxed)
    s.generation.add(1, ordering: .sequentiallyConsistent)
    if s.sleepers.load(ordering: .sequentiallyConsistent) > 0 {
      s.mutex.lock()
      s.wake.broadcast()
      s.mutex.unlock()
    }
    body(0)
    var spins = 0
    while s.pending.load(ordering: .acquiring) != 0 {
      spins += 1
      if spins > 100_000 { PlatformThread.yield() }
    }
    s.task = nil
  }

  /// Splits `0..<count` into one contiguous range per worker and runs
  /// `body(range)` for each non-empty range.
  public func parallelFor(_ count: Int, _ body: @escaping (Range<Int>) -> Void) {
    if threadCount == 1 || count <= 1 {
      if count > 0 { body(0..<count) }
      return
    }
    let n = threadCount
    run { worker in
      let start = count * worker / n
      let end = count * (worker + 1) / n
      if start < end { body(start..<end) }
    }
  }

  /// Like `parallelFor`, also passing the worker index (for per-worker scratch).
  public func parallelForWorker(_ count: Int, _ body: @escaping (Int, Range<Int>) -> Void) {
    if threadCount == 1 || count <= 1 {
      if count > 0 { body(0, 0..<count) }
      return
    }
    let n = threadCount
    run { worker in
      let start = count * worker / n
      let end = count * (worker + 1) / n
      if start < end { body(worker, start..<end) }
    }
  }

  private static func workerLoop(_ s: Shared, _ index: Int) {
    var seen = 0
    while true {
      var spinStart: UInt64 = 0
      var spins = 0
      while s.generation.load(ordering: .acquiring) == seen {
        if s.stopping.load(ordering: .relaxed) { return }
        spins += 1
        if spins & 1023 == 0 {
          let now = Clock.nanoseconds()
          if spinStart == 0 { spinStart = now }
          if now - spinStart > ThreadPool.spinNanoseconds {
            s.mutex.lock()
            s.sleepers.add(1, ordering: .sequentiallyConsistent)
            while s.generation.load(ordering: .sequentiallyConsistent) == seen
              && !s.stopping.load(ordering: .relaxed)
            {
              s.wake.wait(s.mutex)
            }
            s.sleepers.subtract(1, ordering: .sequentiallyConsistent)
            s.mutex.unlock()
            spinStart = 0
          }
        }
      }
      if s.stopping.load(ordering: .relaxed) { return }
      seen = s.generation.load(ordering: .acquiring)
      s.task?(index)
      s.pending.subtract(1, ordering: .releasing)
    }
  }
}
