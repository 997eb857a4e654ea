/// A byte string as a dictionary key: hashes its bytes in one call, which
/// is much faster than `[UInt8]`'s element-by-element hashing.
struct ByteString: Hashable {
  var bytes: [UInt8]

  init(_ bytes: [UInt8]) {
    self.bytes = bytes
  }

  func hash(into hasher: inout Hasher) {
    bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
  }

  static func == (a: ByteString, b: ByteString) -> Bool {
    a.bytes == b.bytes
  }
}
