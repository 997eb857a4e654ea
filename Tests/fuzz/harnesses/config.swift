// libFuzzer target: a JSON config from an untrusted source, through the C
// entry point users call, `edgelm_config_parse` (StrictJSONScanner, json-c,
// ConfigDecoder, the byte-size and enum parsers), then `edgelm_config_free`.
// A rejected config must come back as a status with a message; a trap, an
// ASan report, a leak (a json-c tree or a config handle not freed on some
// path) or a timeout is a finding.
//
// Built and run by Tests/fuzz/run.sh (seeds: Tests/fuzz/corpus/config,
// dictionary: Tests/fuzz/dicts/config.dict).

import EdgeLM

/// libFuzzer's entry: the whole input is the JSON text (not NUL-terminated,
/// as the C API allows: it takes a length).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  guard let data else { return 0 }
  var config: OpaquePointer? = nil
  let status = data.withMemoryRebound(to: CChar.self, capacity: size) { edgelm_config_parse($0, size, &config) }
  if status == 0 {
    guard config != nil else { fatalError("edgelm_config_parse returned EDGELM_OK without a handle") }
  } else {
    guard config == nil else { fatalError("edgelm_config_parse failed (\(status)) but set a handle") }
    guard edgelm_last_error().pointee != 0 else { fatalError("edgelm_config_parse failed (\(status)) without a message") }
  }
  edgelm_config_free(config)
  return 0
}
