import Foundation
import Testing
@testable import EdgeLM

@Suite struct ThreadPoolTests {
  /// Every index runs exactly once, across many back-to-back tasks (the
  /// workers' spin-then-sleep hand-off), for several pool sizes.
  @Test(arguments: [1, 2, 3, 4])
  func parallelForCoversEveryIndexOnce(threads: Int) throws {
    let pool = try ThreadPool(threadCount: threads)
    let counts = UnsafeMutablePointer<Int>.allocate(capacity: 1000)
    defer { counts.deallocate() }
    counts.initialize(repeating: 0, count: 1000)
    for round in 0..<300 {
      let n = round % 7 == 0 ? 1 : 1 + (round * 37) % 1000
      pool.parallelFor(n) { range in for i in range { counts[i] += 1 } }
      if round % 50 == 0 { usleep(1000) }  // let workers fall asleep sometimes
    }
    var expected = [Int](repeating: 0, count: 1000)
    for round in 0..<300 {
      let n = round % 7 == 0 ? 1 : 1 + (round * 37) % 1000
      for i in 0..<n { expected[i] += 1 }
    }
    #expect(Array(UnsafeBufferPointer(start: counts, count: 1000)) == expected)
  }

  /// A released pool stops and joins its workers: 200 pools of 3 threads,
  /// each used once, leave the process with no more threads than before (a
  /// worker that held its pool kept the pool and the threads alive: +400).
  /// Other tests run in parallel and start threads of their own, hence the
  /// small allowance.
  @Test func releasedPoolsLeaveNoThreads() throws {
    func threads() throws -> Int { try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count }
    let before = try threads()
    for _ in 0..<200 {
      let pool = try ThreadPool(threadCount: 3)
      pool.parallelFor(3) { _ in }
    }
    let after = try threads()
    #expect(after <= before + 16, "threads before \(before), after 200 pools \(after)")
  }

  @Test func rejectsAnEmptyPool() {
    #expect(throws: EdgeLMError.self) { try ThreadPool(threadCount: 0) }
  }
}
