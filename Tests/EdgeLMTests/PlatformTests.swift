import Testing
@testable import EdgeLM

@Suite struct PlatformTests {
  @Test func mapsAFileAndReportsMissingOnes() throws {
    #expect(throws: EdgeLMError.self) { try MappedFile.open(path: "/nonexistent/edgelm-model.gguf") }
    let m = try MappedFile.open(path: "/proc/self/exe")
    #expect(m.size > 0)
    #expect(m.bytes[0] == 0x7f)  // ELF magic
  }

  @Test func readsProcessStats() {
    #expect(ProcessStats.peakResidentBytes() > 0)
    #expect(ProcessStats.threadCount() >= 1)
  }

  @Test func formatsFixedPoint() {
    #expect(Format.fixed(16.52994, 4) == "16.5299")
  }
}
