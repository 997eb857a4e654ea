// A list of byte strings in one buffer: a GGUF string array (a vocabulary of
// 262,144 tokens, 48,900 BPE merges) costs two allocations instead of one
// heap array per string, about 60 bytes each on top of the text.

/// Byte strings stored back to back. Element i is a slice of the shared
/// buffer (no copy, no allocation).
public struct ByteStrings: RandomAccessCollection, Equatable {
  /// Every string, back to back. Shape: (total bytes).
  public private(set) var blob: [UInt8] = []
  /// Start of each string in `blob`, then the end. Shape: (count + 1).
  public private(set) var offsets: [Int] = [0]

  public init() {}

  /// The strings of `list`, in order.
  public init(_ list: [[UInt8]]) {
    var total = 0
    for s in list { total += s.count }
    reserveCapacity(strings: list.count, bytes: total)
    for s in list { append(s) }
  }

  public mutating func reserveCapacity(strings: Int, bytes: Int) {
    blob.reserveCapacity(bytes)
    offsets.reserveCapacity(strings + 1)
  }

  public mutating func append(_ bytes: [UInt8]) {
    blob.append(contentsOf: bytes)
    offsets.append(blob.count)
  }

  public mutating func append(_ bytes: UnsafeRawBufferPointer) {
    blob.append(contentsOf: bytes)
    offsets.append(blob.count)
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { offsets.count - 1 }

  /// The bytes of string `i` (0 <= i < count).
  public subscript(i: Int) -> ArraySlice<UInt8> {
    blob[offsets[i]..<offsets[i + 1]]
  }

  /// The length of string `i` without touching its bytes.
  public func length(_ i: Int) -> Int { offsets[i + 1] - offsets[i] }
}
