import Foundation
import Testing
@testable import EdgeLM

/// Canonical text of a value, the same form Tests/Fixtures/make_gguf_fixture.py
/// writes: exact for floats (bit patterns) and arbitrary bytes (hex).
func ggufCanonical(_ v: GGUFValue) -> String {
  func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
  switch v {
  case .uint8(let x): return "uint8:\(x)"
  case .int8(let x): return "int8:\(x)"
  case .uint16(let x): return "uint16:\(x)"
  case .int16(let x): return "int16:\(x)"
  case .uint32(let x): return "uint32:\(x)"
  case .int32(let x): return "int32:\(x)"
  case .uint64(let x): return "uint64:\(x)"
  case .int64(let x): return "int64:\(x)"
  case .float32(let x): return String(format: "float32:%08x", x.bitPattern)
  case .float64(let x): return String(format: "float64:%016llx", x.bitPattern)
  case .bool(let x): return x ? "bool:true" : "bool:false"
  case .string(let b): return "string:" + hex(b)
  case .array(let a): return "array<\(a.elementType.name)>[" + a.values.map(ggufCanonical).joined(separator: ",") + "]"
  }
}

func ggufHex(_ bytes: UnsafeRawBufferPointer) -> String {
  bytes.map { String(format: "%02x", $0) }.joined()
}

/// Parses `bytes` with GGUFFile(bytes:), keeping them alive for `body`.
func withGGUF<R>(_ bytes: [UInt8], _ body: (GGUFFile) throws -> R) throws -> R {
  try bytes.withUnsafeBytes { buffer in try body(try GGUFFile(bytes: buffer)) }
}

/// Deterministic test data.
func ggufBytes(_ count: Int, seed: UInt64) -> [UInt8] {
  var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
  return (0..<count).map { _ in
    state ^= state << 13; state ^= state >> 7; state ^= state << 17
    return UInt8(truncatingIfNeeded: state)
  }
}

@Suite struct GGUFTests {
  // MARK: - Round trip through our writer and reader

  static func everyValue() -> [(String, GGUFValue)] {
    let ints: GGUFValue = .array(GGUFArray(elementType: .int32, values: [.int32(1), .int32(-2)]))
    let strs: GGUFValue = .array(GGUFArray(elementType: .string, values: [.string("x"), .string([0xff, 0x00])]))
    let empty: GGUFValue = .array(GGUFArray(elementType: .float32, values: []))
    return [
      ("general.architecture", .string("llama")),
      ("v.uint8", .uint8(250)), ("v.int8", .int8(-7)),
      ("v.uint16", .uint16(65535)), ("v.int16", .int16(-32768)),
      ("v.uint32", .uint32(4_000_000_000)), ("v.int32", .int32(-123_456)),
      ("v.float32", .float32(-0.0)), ("v.float32.nan", .float32(Float(bitPattern: 0x7fc0_0001))),
      ("v.bool", .bool(true)), ("v.bool.false", .bool(false)),
      ("v.string", .string("héllo ✓")), ("v.string.empty", .string([])),
      ("v.string.raw", .string([0xc3, 0x28, 0x00, 0xff])),
      ("v.uint64", .uint64(.max)), ("v.int64", .int64(.min)), ("v.float64", .float64(1e-300)),
      ("a.uint8", .array(GGUFArray(elementType: .uint8, values: [.uint8(0), .uint8(255)]))),
      ("a.int8", .array(GGUFArray(elementType: .int8, values: [.int8(-128)]))),
      ("a.uint16", .array(GGUFArray(elementType: .uint16, values: [.uint16(1)]))),
      ("a.int16", .array(GGUFArray(elementType: .int16, values: [.int16(-1)]))),
      ("a.uint32", .array(GGUFArray(elementType: .uint32, values: [.uint32(7), .uint32(8)]))),
      ("a.int32", ints),
      ("a.float32", .array(GGUFArray(elementType: .float32, values: [.float32(0.5), .float32(.infinity)]))),
      ("a.bool", .array(GGUFArray(elementType: .bool, values: [.bool(false), .bool(true)]))),
      ("a.string", strs),
      ("a.uint64", .array(GGUFArray(elementType: .uint64, values: [.uint64(1 << 63)]))),
      ("a.int64", .array(GGUFArray(elementType: .int64, values: [.int64(-1)]))),
      ("a.float64", .array(GGUFArray(elementType: .float64, values: [.float64(-2.5)]))),
      ("a.empty", empty),
      ("a.nested", .array(GGUFArray(elementType: .array, values: [ints, ints, empty]))),
      ("a.nested.strings", .array(GGUFArray(elementType: .array, values: [strs]))),
      ("a.nested3", .array(GGUFArray(elementType: .array, values: [
        .array(GGUFArray(elementType: .array, values: [ints])), .array(GGUFArray(elementType: .array, values: [])),
      ]))),
    ]
  }

  static func everyTensor() -> [(String, GGMLType, [Int])] {
    [
      ("t.f32", .f32, [8, 3]),
      ("t.f16", .f16, [5]),
      ("t.bf16", .bf16, [3, 1, 2]),
      ("t.q8_0", .q8_0, [64, 2]),
      ("t.q4_1", .q4_1, [32, 1, 1, 3]),
      ("t.q4_K", .q4_K, [256, 1]),
      ("t.i8", .i8, [7]),
    ]
  }

  @Test(arguments: [32, 1, 64, 4096])
  func roundTripsEveryValueAndTensor(alignment: Int) throws {
    var w = GGUFWriter(alignment: alignment)
    let values = Self.everyValue()
    for (k, v) in values { w.add(k, v) }
    var datas: [[UInt8]] = []
    for (i, (name, type, dims)) in Self.everyTensor().enumerated() {
      let data = ggufBytes(GGUFWriter.byteCount(type: type, dims: dims)!, seed: UInt64(i))
      datas.append(data)
      try w.addTensor(name: name, type: type, dims: dims, data: data)
    }
    #expect(w.pendingError == nil)
    let bytes = w.serialize()
    try withGGUF(bytes) { (f: GGUFFile) throws in
      #expect(f.version == 3)
      #expect(f.alignment == alignment)
      #expect(f.fileSize == bytes.count)
      #expect(f.dataOffset % alignment == 0)
      var expectedKeys = values.map(\.0)
      if alignment != 32 { expectedKeys.append("general.alignment") }
      #expect(f.metadata.map(\.key) == expectedKeys)
      for (k, v) in values {
        #expect(f.value(k).map(ggufCanonical) == ggufCanonical(v), "key \(k)")
      }
      #expect(try f.integer("general.alignment") == (alignment == 32 ? nil : alignment))
      #expect(f.tensors.count == datas.count)
      for (i, (name, type, dims)) in Self.everyTensor().enumerated() {
        let t = try #require(f.tensor(named: name))
        #expect(f.tensors[i].name == name)
        #expect(t.type == type && t.dims == dims)
        #expect(t.byteCount == datas[i].count)
        #expect(t.elementCount == dims.reduce(1, *))
        #expect(t.rowBytes == type.rowBytes(dims[0]))
        #expect(t.offset % alignment == 0)
        #expect(Array(f.tensorBytes(t)) == datas[i], "data of \(name)")
        #expect(Int(bitPattern: f.tensorData(t)) % alignment == 0 || alignment > 16)
      }
      #expect(f.tensor(named: "missing") == nil)
      #expect(f.value("missing") == nil)
    }
  }

  @Test func writerAlignmentFromMetadata() throws {
    var w = GGUFWriter()
    w.add("general.alignment", .uint32(128))
    try w.addTensor(name: "x", type: .f32, dims: [3], data: [UInt8](repeating: 1, count: 12))
    try w.addTensor(name: "y", type: .f32, dims: [1], data: [UInt8](repeating: 2, count: 4))
    try withGGUF(w.serialize()) { (f: GGUFFile) throws in
      #expect(f.alignment == 128)
      #expect(f.metadata.count == 1)
      #expect(f.tensors[1].offset == 128)
      #expect(f.dataOffset % 128 == 0)
    }
    var bad = GGUFWriter()
    bad.add("general.alignment", .uint32(3))
    #expect(bad.pendingError?.status == .invalidArgument)
    #expect(GGUFWriter(alignment: 0).pendingError != nil)
    var mixed = GGUFWriter()
    mixed.add("k", .array(GGUFArray(elementType: .int32, values: [.string("no")])))
    #expect(mixed.pendingError?.message.contains("element 0") == true)
    #expect(throws: EdgeLMError.self) { try mixed.write(to: "/tmp/edgelm-never-written.gguf") }
  }

  @Test func writerRejectsBadTensors() throws {
    var w = GGUFWriter()
    try w.addTensor(name: "a", type: .f32, dims: [2], data: [UInt8](repeating: 0, count: 8))
    let cases: [(String, GGMLType, [Int], Int, String)] = [
      ("a", .f32, [2], 8, "duplicate"),
      ("", .f32, [2], 8, "empty"),
      ("b", .f32, [], 0, "dimensions"),
      ("b", .f32, [1, 1, 1, 1, 1], 4, "dimensions"),
      ("b", .f32, [2, 0], 0, "dimension 1 is 0"),
      ("b", .q8_0, [33], 34, "block size"),
      ("b", .f32, [2], 7, "needs 8 bytes"),
    ]
    for (name, type, dims, count, word) in cases {
      do {
        try w.addTensor(name: name, type: type, dims: dims, data: [UInt8](repeating: 0, count: count))
        Issue.record("accepted \(name) \(dims)")
      } catch {
        #expect(error.status == .invalidArgument)
        #expect(error.message.contains(word), "\(error.message)")
      }
    }
  }

  @Test func writesAndOpensAFile() throws {
    var w = GGUFWriter()
    w.add("general.name", .string("file"))
    try w.addTensor(name: "w", type: .q8_0, dims: [32], data: ggufBytes(34, seed: 9))
    let path = NSTemporaryDirectory() + "edgelm-gguf-\(getpid()).gguf"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try w.write(to: path)
    let f = try GGUFFile.open(path: path)
    #expect(f.mapping != nil)
    #expect(try f.string("general.name") == "file")
    #expect(Array(f.tensorBytes(f.tensors[0])) == ggufBytes(34, seed: 9))
    do {
      _ = try GGUFFile.open(path: "/nonexistent/x.gguf")
      Issue.record("opened a missing file")
    } catch {
      #expect(error.status == .io)
    }
  }

  // MARK: - Typed getters

  @Test func typedGetters() throws {
    var w = GGUFWriter()
    w.add("s", .string("héllo"))
    w.add("bad.utf8", .string([0xc3, 0x28]))
    w.add("u8", .uint8(200)); w.add("i8", .int8(-5)); w.add("u64", .uint64(UInt64(Int.max)))
    w.add("u64.big", .uint64(UInt64(Int.max) + 1)); w.add("i64", .int64(.min))
    w.add("f32", .float32(0.25)); w.add("f64", .float64(-1.5)); w.add("b", .bool(true))
    w.add("toks", .array(GGUFArray(elementType: .string, values: [.string("a"), .string([0xff])])))
    w.add("ints", .array(GGUFArray(elementType: .uint16, values: [.uint16(1), .uint16(65535)])))
    w.add("bigs", .array(GGUFArray(elementType: .uint64, values: [.uint64(.max)])))
    w.add("floats", .array(GGUFArray(elementType: .float64, values: [.float64(0.5)])))
    w.add("mixed", .array(GGUFArray(elementType: .int8, values: [.int8(-3)])))
    try withGGUF(w.serialize()) { (f: GGUFFile) throws in
      #expect(try f.string("s") == "héllo")
      #expect(try f.bytes("s") == Array("héllo".utf8))
      #expect(try f.bytes("bad.utf8") == [0xc3, 0x28])
      #expect(try f.integer("u8") == 200)
      #expect(try f.integer("i8") == -5)
      #expect(try f.integer("u64") == Int.max)
      #expect(try f.integer("i64") == Int.min)
      #expect(try f.float("f32") == 0.25)
      #expect(try f.float("f64") == -1.5)
      #expect(try f.float("u8") == 200)
      #expect(try f.bool("b") == true)
      #expect(try f.stringArray("toks")?.map { Array($0) } == [[0x61], [0xff]])
      #expect(try f.integerArray("ints") == [1, 65535])
      #expect(try f.integerArray("mixed") == [-3])
      #expect(try f.floatArray("floats") == [0.5])
      #expect(try f.floatArray("ints") == [1, 65535])
      #expect(try f.string("absent") == nil)
      #expect(try f.integer("absent") == nil)
      #expect(try f.stringArray("absent") == nil)

      func expectFormat(_ words: [String], _ body: () throws -> Void) {
        do {
          try body()
          Issue.record("no error, expected \(words)")
        } catch let error as EdgeLMError {
          #expect(error.status == .format)
          for word in words { #expect(error.message.contains(word), "'\(word)' not in: \(error.message)") }
        } catch {
          Issue.record("unexpected error \(error)")
        }
      }
      expectFormat(["'bad.utf8'", "UTF-8"]) { _ = try f.string("bad.utf8") }
      expectFormat(["'s'", "is string", "expected an integer", "offset"]) { _ = try f.integer("s") }
      expectFormat(["'u64.big'", "does not fit"]) { _ = try f.integer("u64.big") }
      expectFormat(["'f32'", "float32", "expected an integer"]) { _ = try f.integer("f32") }
      expectFormat(["'u8'", "uint8", "expected string"]) { _ = try f.string("u8") }
      expectFormat(["'u8'", "expected string"]) { _ = try f.bytes("u8") }
      expectFormat(["'s'", "expected a number"]) { _ = try f.float("s") }
      expectFormat(["'u8'", "expected bool"]) { _ = try f.bool("u8") }
      expectFormat(["'ints'", "array of uint16", "array of string"]) { _ = try f.stringArray("ints") }
      expectFormat(["'toks'", "array of string", "integers"]) { _ = try f.integerArray("toks") }
      expectFormat(["'bigs'", "element 0", "does not fit"]) { _ = try f.integerArray("bigs") }
      expectFormat(["'s'", "array of numbers"]) { _ = try f.floatArray("s") }
    }
  }

  // MARK: - Cross-check with gguf-py

  @Test func readsTheFileGGUFPyWrote() throws {
    let bytes = [UInt8](try TestPaths.fixture("gguf_python_writer.gguf"))
    let json = try JSONSerialization.jsonObject(with: try TestPaths.fixture("gguf_python_writer.json")) as! [String: Any]
    try withGGUF(bytes) { (f: GGUFFile) throws in
      #expect(Int(f.version) == json["version"] as! Int)
      #expect(f.alignment == json["alignment"] as! Int)
      #expect(f.dataOffset == json["data_offset"] as! Int)
      #expect(f.fileSize == json["file_size"] as! Int)
      let kvs = json["metadata"] as! [[String: String]]
      #expect(f.metadata.count == kvs.count)
      for (entry, expected) in zip(f.metadata, kvs) {
        #expect(entry.key == expected["key"])
        #expect(ggufCanonical(entry.value) == expected["value"], "key \(entry.key)")
      }
      let tensors = json["tensors"] as! [[String: Any]]
      #expect(f.tensors.count == tensors.count)
      for (t, expected) in zip(f.tensors, tensors) {
        #expect(t.name == expected["name"] as! String)
        #expect(t.dims == expected["dims"] as! [Int])
        #expect(Int(t.type.rawValue) == expected["type"] as! Int)
        #expect(t.offset == expected["offset"] as! Int)
        #expect(t.byteCount == expected["byte_count"] as! Int)
        #expect(ggufHex(f.tensorBytes(t)) == expected["data_hex"] as! String, "data of \(t.name)")
      }
      // Spot checks through the typed getters.
      #expect(try f.string("general.architecture") == "tinytest")
      #expect(try f.integer("tinytest.block_count") == 2)
      #expect(try f.stringArray("test.array.string")?.count == 5)
      #expect(try f.integerArray("test.array.int64") == [Int.min, Int.max])
      #expect(try f.float("test.float64") == Float(2.718281828459045))
      #expect(f.tensor(named: "t.q8_0")?.type == .q8_0)
    }
  }

  static let pythonHasGGUF: Bool = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import gguf"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
  }()

  /// Our writer's bytes read by gguf-py's GGUFReader (skipped without python3
  /// and the gguf package).
  @Test(.enabled(if: pythonHasGGUF)) func ggufPyReadsOurFile() throws {
    var w = GGUFWriter(alignment: 64)
    let flat = Self.everyValue().filter { k, v in
      // gguf-py flattens nested arrays and cannot express empty ones.
      if case .array(let a) = v { return a.elementType != .array && !a.values.isEmpty }
      return true
    }
    for (k, v) in flat { w.add(k, v) }
    var datas: [String: [UInt8]] = [:]
    for (i, (name, type, dims)) in Self.everyTensor().enumerated() {
      let data = ggufBytes(GGUFWriter.byteCount(type: type, dims: dims)!, seed: UInt64(i + 100))
      datas[name] = data
      try w.addTensor(name: name, type: type, dims: dims, data: data)
    }
    let path = NSTemporaryDirectory() + "edgelm-gguf-py-\(getpid()).gguf"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try w.write(to: path)
    let script = """
      import json, struct, sys, gguf
      r = gguf.GGUFReader(sys.argv[1])
      def canon(t, v):
          n = t.name.lower()
          if n == 'float32': return 'float32:%08x' % struct.unpack('<I', struct.pack('<f', float(v)))[0]
          if n == 'float64': return 'float64:%016x' % struct.unpack('<Q', struct.pack('<d', float(v)))[0]
          if n == 'bool': return 'bool:true' if v else 'bool:false'
          if n == 'string': return 'string:' + bytes(v).hex()
          return n + ':' + str(int(v))
      kv = []
      for k, f in r.fields.items():
          if k.startswith('GGUF.'): continue
          if f.types[0] == gguf.GGUFValueType.ARRAY:
              et = f.types[-1]
              vals = [f.parts[i] for i in f.data]
              if et == gguf.GGUFValueType.STRING: items = [canon(et, p.tobytes()) for p in vals]
              else: items = [canon(et, p[0]) for p in vals]
              kv.append([k, 'array<%s>[' % et.name.lower() + ','.join(items) + ']'])
          else:
              p = f.parts[f.data[0]]
              kv.append([k, canon(f.types[0], p.tobytes() if f.types[0] == gguf.GGUFValueType.STRING else p[0])])
      ts = [[t.name, [int(d) for d in t.shape], int(t.tensor_type), int(t.n_bytes), bytes(t.data.tobytes()).hex()] for t in r.tensors]
      print(json.dumps({'alignment': int(r.alignment), 'kv': kv, 'tensors': ts}))
      """
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script, path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    try #require(p.terminationStatus == 0)
    let doc = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    #expect(doc["alignment"] as? Int == 64)
    let kv = doc["kv"] as! [[String]]
    var expected = flat.map { [$0.0, ggufCanonical($0.1)] }
    expected.append(["general.alignment", "uint32:64"])
    #expect(kv == expected)
    let ts = doc["tensors"] as! [[Any]]
    #expect(ts.count == Self.everyTensor().count)
    for (t, (name, type, dims)) in zip(ts, Self.everyTensor()) {
      #expect(t[0] as? String == name)
      #expect(t[1] as? [Int] == dims)
      #expect(t[2] as? Int == Int(type.rawValue))
      #expect(t[3] as? Int == datas[name]!.count)
      #expect(t[4] as? String == datas[name]!.withUnsafeBytes(ggufHex), "data of \(name)")
    }
  }

  // MARK: - The real model

  @Test func opensSmolLM2() throws {
    let path = try TestPaths.model(TestPaths.smollm2Name)
    _ = try GGUFFile.open(path: path)  // warm the page cache
    let start = Clock.nanoseconds()
    let f = try GGUFFile.open(path: path)
    let ms = Double(Clock.nanoseconds() - start) / 1e6
    print("GGUFFile.open(\(TestPaths.smollm2Name)): \(String(format: "%.1f", ms)) ms")
    #expect(f.version == 3)
    #expect(f.tensors.count == 272)
    #expect(f.alignment == 32)
    #expect(try f.string("general.architecture") == "llama")
    #expect(try f.integer("llama.block_count") == 30)
    #expect(try f.stringArray("tokenizer.ggml.tokens")?.count == 49152)
    #expect(try f.integerArray("tokenizer.ggml.token_type")?.count == 49152)
    #expect(try f.stringArray("tokenizer.ggml.merges")?.count == 48900)
    #expect(try f.float("llama.rope.freq_base") == 100000)
    #expect(try f.bool("tokenizer.ggml.add_bos_token") != nil)
    let emb = try #require(f.tensor(named: "token_embd.weight"))
    #expect(emb.type == .q8_0)
    #expect(emb.dims == [576, 49152])
    #expect(emb.byteCount == 49152 * 18 * 34)
    #expect(f.dataOffset == 1_785_664)
    let last = try #require(f.tensors.last)
    #expect(f.dataOffset + last.offset + last.byteCount <= f.fileSize)
    #expect(f.fileSize == f.mapping?.size)
    #expect(f.tensors.filter { $0.type == .q4_1 }.count > 0)
    #expect(f.tensors.filter { $0.type == .f32 }.count > 0)
  }

  @Test func opensGemma3() throws {
    let f = try GGUFFile.open(path: try TestPaths.model(TestPaths.gemma3Name))
    #expect(f.version == 3)
    #expect(f.tensors.count == 236)
    #expect(f.dataOffset == 6_525_120)
    #expect(try f.string("general.architecture") == "gemma3")
    #expect(try f.integer("gemma3.block_count") == 18)
    #expect(try f.stringArray("tokenizer.ggml.tokens")?.count == 262144)
    #expect(try f.floatArray("tokenizer.ggml.scores")?.count == 262144)
    #expect(f.tensors[0].name == "output_norm.weight" && f.tensors[0].dims == [640])
    let types = Set(f.tensors.map(\.type.rawValue))
    #expect(types == Set([GGMLType.f32, .q5_0, .q4_K, .q8_0, .q6_K].map(\.rawValue)))
    for t in f.tensors { #expect(f.dataOffset + t.offset + t.byteCount <= f.fileSize) }
  }
}
