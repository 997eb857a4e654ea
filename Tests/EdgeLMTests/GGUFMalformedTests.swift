import Foundation
import Testing
@testable import EdgeLM

/// Hostile and truncated GGUF files, built by patching a small valid file.
/// Every one must come back as a thrown EdgeLMError (never a trap, hang or
/// out-of-bounds read), with status .format and a message naming the field.
@Suite struct GGUFMalformedTests {
  /// A small valid file and the offsets of its fields.
  struct Base {
    var bytes: [UInt8]
    var entryOffset: [String: Int] = [:]  // metadata entry start (key length)
    var valueOffset: [String: Int] = [:]  // metadata value start
    var infoOffset: [String: Int] = [:]   // tensor info start (name length)
    var dataOffset = 0
    var dataEnd = 0  // end of the last tensor's data (without padding)

    /// Offset of tensor `name`'s n_dims field.
    func nDimsOffset(_ name: String) -> Int { infoOffset[name]! + 8 + name.utf8.count }
    /// Offset of dimension `d` of tensor `name` (in the valid file).
    func dimOffset(_ name: String, _ d: Int) -> Int { nDimsOffset(name) + 4 + 8 * d }
    func typeOffset(_ name: String, nDims: Int) -> Int { nDimsOffset(name) + 4 + 8 * nDims }
    func dataOffsetField(_ name: String, nDims: Int) -> Int { typeOffset(name, nDims: nDims) + 4 }
  }

  static let base: Base = {
    var w = GGUFWriter()
    w.add("general.architecture", .string("llama"))
    w.add("general.alignment", .uint32(32))
    w.add("t.flag", .bool(true))
    w.add("t.tokens", .array(GGUFArray(elementType: .string, values: [.string("a"), .string("bc"), .string("def")])))
    let ints: GGUFValue = .array(GGUFArray(elementType: .int32, values: [.int32(1), .int32(2)]))
    w.add("t.nested", .array(GGUFArray(elementType: .array, values: [ints, ints])))
    w.add("t.scalar", .uint32(7))
    try! w.addTensor(name: "a.weight", type: .f32, dims: [4, 2], data: ggufBytes(32, seed: 1))
    try! w.addTensor(name: "b.weight", type: .q8_0, dims: [32, 2], data: ggufBytes(68, seed: 2))
    try! w.addTensor(name: "c.weight", type: .f16, dims: [8], data: ggufBytes(16, seed: 3))
    var b = Base(bytes: w.serialize())
    let f = try! withGGUF(b.bytes) { $0 }
    for e in f.metadata {
      let v = f.valueOffset(e.key)!
      b.valueOffset[e.key] = v
      b.entryOffset[e.key] = v - 4 - e.key.utf8.count - 8
    }
    for t in f.tensors { b.infoOffset[t.name] = t.infoOffset }
    b.dataOffset = f.dataOffset
    b.dataEnd = f.tensors.map { f.dataOffset + $0.offset + $0.byteCount }.max()!
    return b
  }()

  // MARK: - Helpers

  static func put32(_ bytes: inout [UInt8], _ at: Int, _ v: UInt32) {
    for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
  }
  static func put64(_ bytes: inout [UInt8], _ at: Int, _ v: UInt64) {
    for i in 0..<8 { bytes[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
  }

  /// Parses `bytes` and expects an error with `status` whose message
  /// contains every one of `words`.
  static func expectRejected(_ bytes: [UInt8], _ words: [String], status: EdgeLMStatus = .format,
                             sourceLocation: SourceLocation = #_sourceLocation) {
    do {
      _ = try withGGUF(bytes) { $0 }
      Issue.record("accepted a malformed file, expected \(words)", sourceLocation: sourceLocation)
    } catch let error as EdgeLMError {
      #expect(error.status == status, "\(error.message)", sourceLocation: sourceLocation)
      #expect(error.message.hasPrefix("GGUF:"), "\(error.message)", sourceLocation: sourceLocation)
      for word in words {
        #expect(error.message.contains(word), "'\(word)' not in: \(error.message)", sourceLocation: sourceLocation)
      }
    } catch {
      Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
  }

  /// Like `expectRejected`, but the message needs only one of `words`.
  static func expectRejected(_ bytes: [UInt8], anyOf words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    do {
      _ = try withGGUF(bytes) { $0 }
      Issue.record("accepted a malformed file, expected one of \(words)", sourceLocation: sourceLocation)
    } catch let error as EdgeLMError {
      #expect(error.status == .format, "\(error.message)", sourceLocation: sourceLocation)
      #expect(words.contains { error.message.contains($0) }, "none of \(words) in: \(error.message)", sourceLocation: sourceLocation)
    } catch {
      Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
  }

  /// A copy of the valid file changed by `patch`.
  static func patched(_ patch: (inout [UInt8], Base) -> Void) -> [UInt8] {
    var bytes = base.bytes
    patch(&bytes, base)
    return bytes
  }

  // MARK: - Baseline and truncation

  @Test func baseIsValid() throws {
    try withGGUF(Self.base.bytes) { f in
      #expect(f.tensors.count == 3 && f.metadata.count == 6)
    }
  }

  @Test func everyTruncationThrows() {
    let b = Self.base
    for length in 0..<b.bytes.count {
      let cut = Array(b.bytes[0..<length])
      do {
        _ = try withGGUF(cut) { $0 }
        // Only the padding after the last tensor may be missing.
        #expect(length >= b.dataEnd, "truncated to \(length) bytes was accepted")
      } catch let error as EdgeLMError {
        #expect(length < b.dataEnd, "truncated to \(length) bytes: \(error.message)")
        #expect(error.status == .format, "truncated to \(length): \(error.message)")
        #expect(error.message.contains("offset") || error.message.contains("too small"), "\(error.message)")
      } catch {
        Issue.record("unexpected error \(error)")
      }
    }
  }

  @Test func truncationInEachSectionNamesIt() {
    let b = Self.base
    let cases: [(Int, String)] = [
      (3, "too small"),
      (20, "too small"),
      (b.entryOffset["general.architecture"]! + 4, "metadata entry 0 key length"),
      (b.entryOffset["general.architecture"]! + 10, "metadata entry 0 key"),
      (b.valueOffset["general.architecture"]! - 2, "value type"),
      (b.valueOffset["general.architecture"]! + 10, "string value"),
      (b.valueOffset["general.alignment"]! + 2, "uint32 value"),
      (b.valueOffset["t.flag"]!, "bool value"),
      (b.valueOffset["t.tokens"]! + 2, "array element type"),
      (b.valueOffset["t.tokens"]! + 8, "array count"),
      (b.valueOffset["t.tokens"]! + 12 + 8 + 1 + 3, "array element 1"),
      (b.valueOffset["t.nested"]! + 12 + 12 + 2, "array count"),  // the inner arrays cannot fit
      (b.infoOffset["a.weight"]! + 3, "tensor info 0 name length"),
      (b.nDimsOffset("a.weight") + 1, "n_dims"),
      (b.dimOffset("a.weight", 1) + 3, "dimension 1"),
      (b.typeOffset("b.weight", nDims: 2) + 1, "type"),
      (b.dataOffsetField("c.weight", nDims: 1) + 7, "data offset"),
      (b.dataOffset - 1, "data section"),
      (b.dataEnd - 1, "past the end"),
    ]
    for (length, word) in cases {
      // In a small file, a cut in the metadata usually leaves too few bytes
      // for the counts in the header, which is caught first.
      Self.expectRejected(Array(b.bytes[0..<length]), anyOf: [word, "impossible", "need at least"])
    }
  }

  /// Cuts that leave enough bytes for the header counts, so the parser
  /// reaches the cut field itself.
  @Test func truncatedFieldsAreNamed() {
    var kv = GGUFByteSink()
    kv.bytes.append(contentsOf: Array("GGUF".utf8)); kv.u32(3); kv.u64(0); kv.u64(1)
    kv.string(Array("k".utf8)); kv.u32(GGUFValueType.uint32.rawValue); kv.u32(7)
    Self.expectRejected(Array(kv.bytes.dropLast(2)), ["metadata 'k' uint32 value", "needs 4 bytes", "offset 37"])

    var arr = GGUFByteSink()
    arr.bytes.append(contentsOf: Array("GGUF".utf8)); arr.u32(3); arr.u64(0); arr.u64(1)
    arr.string(Array("toks".utf8)); arr.u32(GGUFValueType.array.rawValue)
    arr.u32(GGUFValueType.string.rawValue); arr.u64(100)
    for i in 0..<100 { arr.string(Array("tok\(i)".utf8)) }
    Self.expectRejected(Array(arr.bytes.dropLast(3)), ["metadata 'toks' array element 99", "length", "past the end"])
    Self.expectRejected(Array(arr.bytes.dropLast(12)), ["metadata 'toks' array element 99 length", "needs 8 bytes"])

    var ti = GGUFByteSink()
    ti.bytes.append(contentsOf: Array("GGUF".utf8)); ti.u32(3); ti.u64(1); ti.u64(0)
    ti.string(Array("w".utf8)); ti.u32(4); for _ in 0..<4 { ti.u64(1) }
    ti.u32(GGMLType.f32.rawValue); ti.u64(0)
    Self.expectRejected(Array(ti.bytes[0..<(24 + 9 + 4 + 8 * 2 + 5)]), ["tensor 'w' (info at offset 24) dimension 2", "needs 8 bytes"])
    Self.expectRejected(Array(ti.bytes.dropLast(9)), ["tensor 'w' (info at offset 24) type", "needs 4 bytes"])
    Self.expectRejected(Array(ti.bytes.dropLast(1)), ["tensor 'w' (info at offset 24) data offset", "needs 8 bytes"])
  }

  // MARK: - Header

  @Test func badHeaders() {
    Self.expectRejected([], ["too small"])
    Self.expectRejected(Self.patched { b, _ in b[0] = 0x47; b[3] = 0x47 }, ["bad magic", "0x47554747", "offset 0"])
    Self.expectRejected(Self.patched { b, _ in b.replaceSubrange(0..<4, with: Array("GGML".utf8)) }, ["magic"])
    Self.expectRejected(Self.patched { b, _ in Self.put32(&b, 4, 1) }, ["version 1"])
    Self.expectRejected(Self.patched { b, _ in Self.put32(&b, 4, 0) }, ["version 0"])
    Self.expectRejected(Self.patched { b, _ in Self.put32(&b, 4, 4) }, ["version 4"])
    Self.expectRejected(Self.patched { b, _ in Self.put32(&b, 4, 0x0300_0000) }, ["big-endian"])
    Self.expectRejected(Self.patched { b, _ in Self.put64(&b, 8, .max) }, ["tensor count", "offset 8", "impossible"])
    Self.expectRejected(Self.patched { b, _ in Self.put64(&b, 16, .max) }, ["metadata count", "offset 16", "impossible"])
    Self.expectRejected(Self.patched { b, _ in Self.put64(&b, 16, 1 << 62) }, ["metadata count"])
    // Each count alone is possible, together they are not.
    let n = UInt64(Self.base.bytes.count - 24)
    Self.expectRejected(Self.patched { b, _ in
      Self.put64(&b, 8, n / 33); Self.put64(&b, 16, n / 14)
    }, ["need at least"])
  }

  @Test func version2IsAccepted() throws {
    try withGGUF(Self.patched { b, _ in Self.put32(&b, 4, 2) }) { f in #expect(f.version == 2) }
  }

  /// Counts that claim more entries than the file holds: the parser runs into
  /// the following sections and must fail cleanly there.
  @Test func countsOffByOne() {
    Self.expectRejected(Self.patched { b, _ in Self.put64(&b, 16, 7) }, [])
    Self.expectRejected(Self.patched { b, _ in Self.put64(&b, 8, 4) }, [])
    Self.expectRejected(Self.patched { b, _ in Self.put64(&b, 16, 5) }, [])
  }

  // MARK: - Metadata

  @Test func badKeys() {
    let e = Self.base.entryOffset["t.flag"]!
    Self.expectRejected(Self.patched { b, _ in Self.put64(&b, e, .max) }, ["metadata entry 2 key", "length", "past the end"])
    Self.expectRejected(Self.patched { b, _ in Self.put64(&b, e, UInt64(b.count - e - 8 + 1)) }, ["past the end", "offset \(e)"])
    Self.expectRejected(Self.patched { b, _ in Self.put64(&b, e, 0) }, ["empty key"])
    Self.expectRejected(Self.patched { b, _ in b[e + 8] = 0xff }, ["not valid UTF-8", "offset \(e)"])
    Self.expectRejected(Self.patched { b, _ in b[e + 8 + 2] = 0xc3 }, ["UTF-8"])
    // "t.flag" -> "t.scal" would not duplicate; rename t.scalar's key to t.tokens' length-8 twin:
    // make "t.scalar" (8 bytes) read "t.tokens".
    let s = Self.base.entryOffset["t.scalar"]!
    Self.expectRejected(Self.patched { b, _ in
      b.replaceSubrange((s + 8)..<(s + 16), with: Array("t.tokens".utf8))
    }, ["duplicate metadata key 't.tokens'", "offset \(s)"])
  }

  @Test func badValues() {
    let b = Self.base
    let flagType = b.valueOffset["t.flag"]! - 4
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, flagType, 13) }, ["'t.flag'", "unknown value type id 13", "offset \(flagType)"])
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, flagType, .max) }, ["unknown value type id 4294967295"])
    Self.expectRejected(Self.patched { x, _ in x[b.valueOffset["t.flag"]!] = 2 }, ["'t.flag'", "bool", "is 2"])
    let arch = b.valueOffset["general.architecture"]!
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, arch, .max) }, ["'general.architecture' string value", "length", "past the end"])
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, arch, UInt64(x.count)) }, ["past the end"])
  }

  @Test func badArrays() {
    let b = Self.base
    let toks = b.valueOffset["t.tokens"]!
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, toks + 4, .max) }, ["'t.tokens'", "array count 18446744073709551615", "offset \(toks + 4)"])
    // One more string than could fit in the rest of the file (8 bytes each).
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, toks + 4, UInt64((x.count - toks - 12) / 8 + 1)) }, ["array count", "past the end"])
    // A plausible count: the parser reads garbage strings until it fails.
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, toks + 4, 1000) }, ["t.tokens"])
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, toks, 99) }, ["unknown element type id 99", "offset \(toks)"])
    // Inner array of t.nested gets an unknown element type.
    let nested = b.valueOffset["t.nested"]!
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, nested + 12, 200) }, ["'t.nested'", "unknown element type id 200"])
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, nested + 12 + 4, 1 << 40) }, ["'t.nested'", "array count"])
  }

  @Test func deepNestingIsRejected() throws {
    // Build arrays nested `depth` deep by hand, each holding one array.
    func file(depth: Int) -> [UInt8] {
      var s = GGUFByteSink()
      s.bytes.append(contentsOf: Array("GGUF".utf8))
      s.u32(3); s.u64(0); s.u64(1)
      s.string(Array("deep".utf8))
      s.u32(GGUFValueType.array.rawValue)
      for _ in 0..<(depth - 1) { s.u32(GGUFValueType.array.rawValue); s.u64(1) }
      s.u32(GGUFValueType.uint8.rawValue); s.u64(1); s.u8(42)
      return s.bytes
    }
    try withGGUF(file(depth: GGUFLimits.maxArrayDepth)) { f in #expect(f.metadata.count == 1) }
    Self.expectRejected(file(depth: GGUFLimits.maxArrayDepth + 1), ["'deep'", "nested 9 deep", "limit 8"])
    // 100 000 levels: must fail fast at the limit, not recurse until the stack ends.
    Self.expectRejected(file(depth: 100_000), ["nested"])
  }

  /// A file of 9 MB holding one uint8 array of 9M elements: legal, but it
  /// would decode to over 200 MB of GGUFValues; refused before allocating.
  @Test func hugeMetadataArrayIsRefused() {
    var s = GGUFByteSink()
    s.bytes.append(contentsOf: Array("GGUF".utf8)); s.u32(3); s.u64(0); s.u64(1)
    s.string(Array("blob".utf8)); s.u32(GGUFValueType.array.rawValue)
    let n = GGUFLimits.maxMetadataArrayElements + 1
    s.u32(GGUFValueType.uint8.rawValue); s.u64(UInt64(n))
    s.bytes.append(contentsOf: repeatElement(0, count: n))
    Self.expectRejected(s.bytes, ["'blob'", "above the limit"])
  }

  @Test func badAlignment() {
    let a = Self.base.valueOffset["general.alignment"]!
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, a, 0) }, ["general.alignment", "is 0", "offset \(a)"])
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, a, 48) }, ["general.alignment", "48", "power of two"])
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, a, 1 << 31) }, ["general.alignment", "above the limit"])
    // Wrong type: int32 with the same payload, then float32.
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, a - 4, GGUFValueType.int32.rawValue) }, ["general.alignment", "is int32", "expected uint32"])
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, a - 4, GGUFValueType.float32.rawValue) }, ["is float32"])
    // A valid larger alignment makes the existing tensor offsets misaligned.
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, a, 64) }, ["not a multiple of the alignment 64"])
  }

  // MARK: - Tensor infos

  @Test func badDimensions() {
    let b = Self.base
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, b.nDimsOffset("a.weight"), 0) }, ["tensor 'a.weight'", "n_dims 0"])
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, b.nDimsOffset("a.weight"), 5) }, ["n_dims 5", "offset \(b.nDimsOffset("a.weight"))"])
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, b.nDimsOffset("a.weight"), .max) }, ["n_dims 4294967295"])
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, b.dimOffset("a.weight", 1), 0) },
                        ["tensor 'a.weight' (info at offset \(b.infoOffset["a.weight"]!)): dimension 1 is 0"])
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, b.dimOffset("a.weight", 0), 0) }, ["dimension 0 is 0"])
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, b.dimOffset("a.weight", 1), 1 << 63) }, ["dimension 1", "negative"])
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, b.dimOffset("a.weight", 1), .max) }, ["negative"])
    // Each dimension fits, the product does not.
    Self.expectRejected(Self.patched { x, _ in
      Self.put64(&x, b.dimOffset("a.weight", 0), 1 << 32); Self.put64(&x, b.dimOffset("a.weight", 1), 1 << 32)
    }, ["element count overflows"])
    // Element count fits, the byte size (4 per f32 element) does not.
    Self.expectRejected(Self.patched { x, _ in
      Self.put64(&x, b.dimOffset("a.weight", 0), 4); Self.put64(&x, b.dimOffset("a.weight", 1), 1 << 60)
    }, ["byte size overflows"])
    Self.expectRejected(Self.patched { x, _ in
      Self.put64(&x, b.dimOffset("a.weight", 0), 1 << 61); Self.put64(&x, b.dimOffset("a.weight", 1), 1)
    }, ["row size", "overflows"])
    // The CVE-2026-33298 shape: a huge logical tensor on a tiny file.
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, b.dimOffset("b.weight", 1), 1 << 40) }, ["'b.weight'", "past the end"])
    // q8_0 rows must be whole blocks of 32.
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, b.dimOffset("b.weight", 0), 33) }, ["'b.weight'", "dimension 0 is 33", "block size 32"])
  }

  @Test func badTensorTypes() {
    let b = Self.base
    let t = b.typeOffset("a.weight", nDims: 2)
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, t, 200) }, ["'a.weight'", "unknown tensor type id 200", "offset \(t)"])
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, t, 4) }, ["unknown tensor type id 4"])  // removed q4_2
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, t, 31) }, ["unknown tensor type id 31"])  // removed q4_0_4_4
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, t, .max) }, ["unknown tensor type id"])
    // A real ggml type this build does not implement is .unsupported.
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, t, 16) }, ["iq2_xxs", "not supported"], status: .unsupported)
    // Retyping to q8_0 changes the size: 4 is not a multiple of 32.
    Self.expectRejected(Self.patched { x, _ in Self.put32(&x, t, GGMLType.q8_0.rawValue) }, ["block size"])
  }

  @Test func badNames() {
    let b = Self.base
    let c = b.infoOffset["c.weight"]!
    Self.expectRejected(Self.patched { x, _ in x.replaceSubrange((c + 8)..<(c + 16), with: Array("a.weight".utf8)) },
                        ["duplicate tensor 'a.weight'", "offset \(c)", "tensor 0"])
    Self.expectRejected(Self.patched { x, _ in x[c + 8] = 0x80 }, ["tensor info 2 name", "UTF-8"])
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, c, 0) }, ["tensor info 2", "empty name"])
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, c, .max) }, ["tensor info 2 name", "past the end"])
  }

  // MARK: - Data section

  @Test func badOffsets() {
    let b = Self.base
    let off = b.dataOffsetField("c.weight", nDims: 1)
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, off, 160 + 4) }, ["'c.weight'", "data offset 164", "not a multiple of the alignment 32"])
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, off, .max) }, ["'c.weight'", "out of range"])
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, off, 1 << 62) }, ["'c.weight'", "past the end"])
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, off, UInt64(x.count - b.dataOffset)) }, ["past the end"])
    // Aligned, in the file, but on top of a.weight (at 0).
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, off, 0) }, ["'c.weight'", "overlaps tensor 'a.weight'"])
    // b.weight (68 bytes at 32) overlaps c.weight moved to 96.
    Self.expectRejected(Self.patched { x, _ in Self.put64(&x, off, 96) }, ["overlaps"])
    // Sizes that each pass but whose sum overflows: two tensors of 2^62 bytes.
    Self.expectRejected(Self.patched { x, _ in
      Self.put64(&x, b.dimOffset("a.weight", 1), 1 << 58)
      Self.put64(&x, b.dimOffset("b.weight", 1), 1 << 57)
    }, ["past the end"])
  }

  @Test func dataSectionPastTheEnd() {
    // Remove all tensor data: the infos are intact, the data section is gone.
    let b = Self.base
    Self.expectRejected(Array(b.bytes[0..<b.dataOffset]), ["'a.weight'", "past the end"])
  }

  @Test func noTensorsNeedsNoDataSection() throws {
    var w = GGUFWriter()
    w.add("general.architecture", .string("llama"))
    let bytes = w.serialize()
    try withGGUF(bytes) { f in #expect(f.tensors.isEmpty) }
    // The header alone, with zero counts, is a valid (empty) file.
    try withGGUF(Array(bytes[0..<4]) + [3, 0, 0, 0] + [UInt8](repeating: 0, count: 16)) { f in
      #expect(f.metadata.isEmpty && f.tensors.isEmpty)
    }
  }

  // MARK: - Random corruption

  /// Thousands of random byte edits of the valid file: each parses or throws
  /// an EdgeLMError; none may crash.
  @Test func randomCorruptionNeverCrashes() {
    let b = Self.base
    var state: UInt64 = 0x1234_5678
    func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
    var rejected = 0
    for _ in 0..<5000 {
      var x = b.bytes
      let edits = 1 + Int(next() % 4)
      for _ in 0..<edits {
        // Mostly the header and infos, where the structure is.
        let limit = next() % 4 == 0 ? x.count : b.dataOffset
        let at = Int(next() % UInt64(limit))
        switch next() % 4 {
        case 0: x[at] = UInt8(truncatingIfNeeded: next())
        case 1: x[at] ^= 0x80
        case 2: x[at] = 0xff
        default: x[at] = 0
        }
      }
      do {
        _ = try withGGUF(x) { $0 }
      } catch let error as EdgeLMError {
        rejected += 1
        #expect(error.status == .format || error.status == .unsupported)
      } catch {
        Issue.record("unexpected error \(error)")
      }
    }
    #expect(rejected > 1000)
  }
}
