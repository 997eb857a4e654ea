import Foundation
import Testing
@testable import EdgeLM

/// The header is the contract: its constants must equal the Swift values
/// the library returns (as swift-system's ErrnoTest checks errno values).
@Suite struct CAPIHeaderTests {
  static let header: String = try! String(
    contentsOf: TestPaths.repoRoot.appendingPathComponent("Include/edgelm.h"), encoding: .utf8)

  /// `#define NAME VALUE` lines of the header.
  static func defines() -> [String: Int] {
    var out: [String: Int] = [:]
    for line in header.split(separator: "\n") {
      let parts = line.split(separator: " ", omittingEmptySubsequences: true)
      if parts.count >= 3, parts[0] == "#define", let v = Int(parts[2]) { out[String(parts[1])] = v }
    }
    return out
  }

  static let names: [EdgeLMStatus: String] = [
    .ok: "EDGELM_OK", .invalidArgument: "EDGELM_ERR_INVALID_ARGUMENT", .io: "EDGELM_ERR_IO",
    .format: "EDGELM_ERR_FORMAT", .unsupported: "EDGELM_ERR_UNSUPPORTED", .config: "EDGELM_ERR_CONFIG",
    .resourceLimit: "EDGELM_ERR_RESOURCE_LIMIT", .outOfMemory: "EDGELM_ERR_OUT_OF_MEMORY",
    .contextFull: "EDGELM_ERR_CONTEXT_FULL", .cancelled: "EDGELM_ERR_CANCELLED",
    .tokenize: "EDGELM_ERR_TOKENIZE", .internal: "EDGELM_ERR_INTERNAL", .busy: "EDGELM_ERR_BUSY",
  ]

  @Test func statusCodesEqualTheHeader() {
    let d = Self.defines()
    var raw: Int32 = 0
    while let status = EdgeLMStatus(rawValue: raw) {
      let name = Self.names[status]
      #expect(name != nil, "no header name for \(status)")
      if let name { #expect(d[name] == Int(status.rawValue), "\(name)") }
      raw += 1
    }
    // Every EDGELM_ERR_* in the header is a Swift status.
    for (name, value) in d where name.hasPrefix("EDGELM_ERR_") {
      #expect(EdgeLMStatus(rawValue: Int32(value)).map { Self.names[$0] } == name, "\(name) = \(value)")
    }
  }

  @Test func versionsEqualTheHeader() {
    let d = Self.defines()
    #expect(d["EDGELM_VERSION_NUMBER"] == Int(edgelmVersionNumber))
    #expect(d["EDGELM_ABI_VERSION"] == Int(edgelmABIVersion))
    let (x, y, z) = (d["EDGELM_VERSION_MAJOR"]!, d["EDGELM_VERSION_MINOR"]!, d["EDGELM_VERSION_PATCH"]!)
    #expect(x * 1_000_000 + y * 1000 + z == Int(edgelmVersionNumber))
  }

  @Test func statusStringsAreStaticAndNamed() {
    #expect(String(cString: edgelm_status_string(5)) == "invalid config")
    #expect(String(cString: edgelm_status_string(-3)) == "unknown status")
  }
}
