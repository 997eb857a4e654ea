import Foundation
import Testing
@testable import EdgeLM

/// Paths shared by the tests: committed fixtures and the real models that
/// `make models` caches (CI fetches them before running the tests).
enum TestPaths {
  static let repoRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let fixtures: URL = repoRoot.appendingPathComponent("Tests/Fixtures")

  static var modelDirectory: URL {
    if let dir = ProcessInfo.processInfo.environment["EDGELM_MODEL_DIR"] {
      return URL(fileURLWithPath: dir)
    }
    return FileManager.default.homeDirectoryForCurrentUser
      .appendingPathComponent(".cache/edgelm/models")
  }

  static let smollm2Name = "SmolLM2-135M-Instruct.Q4_1.gguf"
  static let gemma3Name = "gemma-3-270m-q4_k_m.gguf"

  /// The path of a cached real model. A missing model is a test failure
  /// (run `make models`), never a silent skip.
  static func model(_ name: String) throws -> String {
    let path = modelDirectory.appendingPathComponent(name).path
    guard FileManager.default.fileExists(atPath: path) else {
      throw TestSetupError("model \(name) not found in \(modelDirectory.path): run `make models`")
    }
    return path
  }

  static func fixture(_ name: String) throws -> Data {
    try Data(contentsOf: fixtures.appendingPathComponent(name))
  }
}

struct TestSetupError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}

extension ByteStrings {
  /// Replaces string `i` (tests build broken vocabularies with it).
  mutating func set(_ i: Int, _ bytes: [UInt8]) {
    var list = map { Array($0) }
    list[i] = bytes
    self = ByteStrings(list)
  }
}
