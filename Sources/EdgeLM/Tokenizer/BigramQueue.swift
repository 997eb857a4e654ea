// The priority queue both tokenizers merge from (llama.cpp's
// std::priority_queue of bigrams): a binary heap in an array, best element
// at index 0. Generic over the element, so each encoder gets a specialised
// copy with its own ordering inlined.

/// An element ordered by `comesBefore` (true: `self` is popped first).
protocol BigramOrdering {
  func comesBefore(_ other: Self) -> Bool
}

enum BigramQueue {
  /// Adds `element` to `heap`.
  @inline(__always)
  static func push<T: BigramOrdering>(_ element: T, _ heap: inout [T]) {
    heap.append(element)
    var i = heap.count - 1
    while i > 0 {
      let parent = (i - 1) >> 1
      guard heap[i].comesBefore(heap[parent]) else { break }
      heap.swapAt(i, parent)
      i = parent
    }
  }

  /// Removes and returns the best element of the non-empty `heap`.
  @inline(__always)
  static func pop<T: BigramOrdering>(_ heap: inout [T]) -> T {
    let top = heap[0]
    let last = heap.removeLast()
    if !heap.isEmpty {
      heap[0] = last
      var i = 0
      let count = heap.count
      while true {
        let l = 2 * i + 1
        let r = l + 1
        var best = i
        if l < count && heap[l].comesBefore(heap[best]) { best = l }
        if r < count && heap[r].comesBefore(heap[best]) { best = r }
        if best == i { break }
        heap.swapAt(i, best)
        i = best
      }
    }
    return top
  }
}
