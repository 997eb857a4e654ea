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

  @Test func rejectsAnEmptyPool() {
    #expect(throws: EdgeLMError.self) { try ThreadPool(threadCount: 0) }
  }
}
