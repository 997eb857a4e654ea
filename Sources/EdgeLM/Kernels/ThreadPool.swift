// A persistent pool of worker threads. The caller's thread is worker 0, so a
// pool of `threadCount` runs exactly `threadCount` EdgeLM threads: the budget
// of the config. Workers spin briefly after a task (the next one usually comes
// within microseconds during a forward pass), then sleep on a condition.

import Synchronization

public final class ThreadPool {
  /// Total threads working on a task, the caller included.
  public let threadCount: Int

  private let generation = Atomic<Int>(0)   // bumped once per task
  private let pending = Atomic<Int>(0)      // workers still on the current task
  private let sleepers = Atomic<Int>(0)     // workers blocked on `wake`
  private let stopping = Atomic<Bool>(false)
  private let mutex = PlatformMutex()
  private let wake = PlatformCondition()
  private var task: ((Int) -> Void)? = nil
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
    // Workers hold the pool unretained (no cycle); deinit joins them before
    // the pool goes away. (Embedded Swift has no `unowned`.)
    let pool = Unmanaged.passUnretained(self)
    for index in 1..<threadCount {
      do {
        let worker = try PlatformThread { pool.takeUnretainedValue().workerLoop(index) }
        workers.append(worker)
      } catch {
        shutdown()
        throw error
      }
    }
  }

  deinit { shutdown() }

  private func shutdown() {
    stopping.store(true, ordering: .sequentiallyConsistent)
    mutex.lock()
    wake.broadcast()
    mutex.unlock()
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
    task = body
    pending.store(threadCount - 1, ordering: .relaxed)
    generation.add(1, ordering: .sequentiallyConsistent)
    if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
      mutex.lock()
      wake.broadcast()
      mutex.unlock()
    }
    body(0)
    var spins = 0
    while pending.load(ordering: .acquiring) != 0 {
      spins += 1
      if spins > 100_000 { PlatformThread.yield() }
    }
    task = nil
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

  private func workerLoop(_ index: Int) {
    var seen = 0
    while true {
      var spinStart: UInt64 = 0
      var spins = 0
      while generation.load(ordering: .acquiring) == seen {
        if stopping.load(ordering: .relaxed) { return }
        spins += 1
        if spins & 1023 == 0 {
          let now = Clock.nanoseconds()
          if spinStart == 0 { spinStart = now }
          if now - spinStart > ThreadPool.spinNanoseconds {
            mutex.lock()
            sleepers.add(1, ordering: .sequentiallyConsistent)
            while generation.load(ordering: .sequentiallyConsistent) == seen
              && !stopping.load(ordering: .relaxed)
            {
              wake.wait(mutex)
            }
            sleepers.subtract(1, ordering: .sequentiallyConsistent)
            mutex.unlock()
            spinStart = 0
          }
        }
      }
      if stopping.load(ordering: .relaxed) { return }
      seen = generation.load(ordering: .acquiring)
      task?(index)
      pending.subtract(1, ordering: .releasing)
    }
  }
}
