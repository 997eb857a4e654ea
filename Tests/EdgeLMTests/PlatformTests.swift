import Foundation
import Testing
@testable import EdgeLM

@Suite struct PlatformTests {
  @Test func mapsAFileAndReportsMissingOnes() throws {
    #expect(throws: EdgeLMError.self) { try MappedFile.open(path: "/nonexistent/edgelm-model.gguf") }
    let m = try MappedFile.open(path: "/proc/self/exe")
    #expect(m.size > 0)
    #expect(m.bytes[0] == 0x7f)  // ELF magic
  }

  // MARK: - Files changed under a mapping (issue 23)

  /// A new temporary file of three pages, byte i = i % 251.
  static func threePageFile() throws -> (path: String, page: Int) {
    let page = MappedFile.pageSize
    let path = NSTemporaryDirectory() + "edgelm-platform-\(UInt64.random(in: 0...UInt64.max)).bin"
    let bytes = (0..<(3 * page)).map { UInt8($0 % 251) }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return (path, page)
  }

  @Test func aCopyIgnoresChangesOfItsFile() throws {
    let (path, page) = try Self.threePageFile()
    defer { unlink(path) }
    let copy = try MappedFile.open(path: path, load: .read)
    #expect(copy.load == .read && copy.size == 3 * page)
    #expect(truncate(path, 0) == 0)
    #expect(copy.bytes[2 * page + 5] == UInt8((2 * page + 5) % 251))
    #expect(copy.check() == nil && !copy.faulted)
  }

  @Test func aWriteInPlaceIsReportedOnEveryLaterCheck() throws {
    let (path, page) = try Self.threePageFile()
    defer { unlink(path) }
    let mapping = try MappedFile.open(path: path)
    #expect(mapping.check() == nil)
    // Past the file system's timestamp granularity, so the write's mtime differs.
    Thread.sleep(forTimeInterval: 0.05)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.seek(toOffset: UInt64(page))
    try handle.write(contentsOf: Data([1, 2, 3]))
    try handle.close()
    for _ in 0..<2 {
      let error = mapping.check()
      #expect(error?.status == .io)
      #expect(error?.message.hasPrefix("model file '\(path)' was modified while in use") == true)
    }
    #expect(!mapping.faulted)
  }

  @Test func aTruncatedMappingReadsZerosInsteadOfRaisingSIGBUS() throws {
    let (path, page) = try Self.threePageFile()
    defer { unlink(path) }
    let mapping = try MappedFile.open(path: path)
    #expect(mapping.bytes[2 * page + 5] == UInt8((2 * page + 5) % 251))
    #expect(truncate(path, off_t(page)) == 0)
    #expect(mapping.bytes[page - 1] == UInt8((page - 1) % 251))  // still in the file
    #expect(mapping.bytes[2 * page + 5] == 0)  // a fault: a zero page now
    #expect(mapping.faulted)
    let error = mapping.check()
    #expect(error?.status == .io)
    #expect(error?.message == "model file '\(path)' changed or was truncated while in use (SIGBUS on a mapped page); reload it; update models by renaming a new file over the old one")
  }

  @Test func readsProcessStats() {
    #expect(ProcessStats.peakResidentBytes() > 0)
    #expect(ProcessStats.threadCount() >= 1)
  }

  @Test func formatsFixedPoint() {
    #expect(Format.fixed(16.52994, 4) == "16.5299")
  }
}
