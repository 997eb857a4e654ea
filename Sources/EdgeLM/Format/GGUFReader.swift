// GGUF reader: parses a whole file straight from its bytes (normally the
// mmap of the model) with a bounds-checked cursor. Every malformed or hostile
// input becomes `EdgeLMError(.format, ...)` naming the field and the byte
// offset; nothing here traps, loops without bound or reads out of bounds.
//
// GGUF file layout (v3; v2 is the same layout; v1 had 32-bit counts and is
// rejected). All integers are little-endian; offsets count from byte 0.
//
//   1. magic       4 bytes   "GGUF" (47 47 55 46)
//   2. version     uint32    3 (2 accepted)
//   3. n_tensors   uint64    number of tensor infos in 6.
//   4. n_kv        uint64    number of key-value pairs in 5.
//   5. n_kv metadata pairs, each:
//        key       string    uint64 byte length, then the bytes (no NUL);
//                            non-empty UTF-8, unique in the file
//        type      uint32    GGUFValueType (0...12)
//        value     scalars:  1, 2, 4 or 8 bytes (bool is one byte, 0 or 1)
//                  string:   uint64 length, bytes
//                  array:    uint32 element type, uint64 count, then count
//                            values without per-value type; an element type
//                            of array nests (each inner array has its own
//                            element type and count), at most 8 deep here
//   6. n_tensors tensor infos, each:
//        name      string    non-empty UTF-8, unique
//        n_dims    uint32    1...4
//        ne        uint64 x n_dims, ne[0] = row length (contiguous); each >= 1;
//                            ne[0] a multiple of the type's block size
//        type      uint32    GGMLType id
//        offset    uint64    from the start of the data section (8.); a
//                            multiple of the alignment
//   7. padding     zero to alignment-1 bytes up to a multiple of the
//                  alignment: metadata "general.alignment" (uint32, a power
//                  of two) or 32 when absent
//   8. tensor data each tensor's ggml_nbytes(ne, type) bytes at its offset;
//                  tensors lie inside the file and do not overlap (writers
//                  pad each to the alignment)

// MARK: - Limits

enum GGUFLimits {
  /// Deepest nesting of arrays inside arrays.
  static let maxArrayDepth = 8
  /// Largest dimension count (GGML_MAX_DIMS).
  static let maxDims = 4
  /// Largest accepted general.alignment (16 MiB covers huge pages).
  static let maxAlignment = 1 << 24
  static let defaultAlignment = 32
  /// Most array elements in all metadata together. Each decoded element
  /// takes far more memory than its bytes in the file (a one-byte uint8
  /// becomes a GGUFValue), so this caps what a hostile file can make us
  /// allocate. Real vocabularies are ~0.3M entries per array (Gemma 3: 262144).
  static let maxMetadataArrayElements = 1 << 23
  /// Header: magic, version, n_tensors, n_kv.
  static let headerSize = 24
  /// Smallest metadata pair: 8-byte key length, 1 key byte, 4-byte type,
  /// 1-byte value.
  static let minMetadataEntrySize = 14
  /// Smallest tensor info: 8-byte name length, 1 name byte, n_dims, one
  /// dimension, type, offset.
  static let minTensorInfoSize = 8 + 1 + 4 + 8 + 4 + 8
}

// MARK: - Cursor

/// A read position in a byte range that checks every read against the end.
struct GGUFCursor {
  let base: UnsafeRawPointer
  let size: Int
  var offset: Int = 0

  init(base: UnsafeRawPointer, size: Int) {
    self.base = base
    self.size = size
  }

  var remaining: Int { size - offset }

  /// The error for a field of `need` bytes at the current offset that does
  /// not fit before the end.
  func truncated(_ field: String, need: UInt64) -> EdgeLMError {
    EdgeLMError(.format, "GGUF: \(field) at offset \(offset) needs \(need) bytes but only \(remaining) remain (file is \(size) bytes)")
  }

  @inline(__always)
  mutating func u8(_ field: @autoclosure () -> String) throws(EdgeLMError) -> UInt8 {
    guard remaining >= 1 else { throw truncated(field(), need: 1) }
    let v = base.load(fromByteOffset: offset, as: UInt8.self)
    offset += 1
    return v
  }

  @inline(__always)
  mutating func u16(_ field: @autoclosure () -> String) throws(EdgeLMError) -> UInt16 {
    guard remaining >= 2 else { throw truncated(field(), need: 2) }
    let v = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    offset += 2
    return v
  }

  @inline(__always)
  mutating func u32(_ field: @autoclosure () -> String) throws(EdgeLMError) -> UInt32 {
    guard remaining >= 4 else { throw truncated(field(), need: 4) }
    let v = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    offset += 4
    return v
  }

  @inline(__always)
  mutating func u64(_ field: @autoclosure () -> String) throws(EdgeLMError) -> UInt64 {
    guard remaining >= 8 else { throw truncated(field(), need: 8) }
    let v = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    offset += 8
    return v
  }

  /// Reads a GGUF string (uint64 length + bytes) and returns a view of its
  /// bytes inside the buffer.
  @inline(__always)
  mutating func stringBytes(_ field: @autoclosure () -> String) throws(EdgeLMError) -> UnsafeRawBufferPointer {
    let lengthOffset = offset
    let length = try u64(field() + " length")
    guard length <= UInt64(remaining) else {
      offset = lengthOffset
      throw EdgeLMError(.format, "GGUF: \(field()) at offset \(lengthOffset) has length \(length), past the end of the file (\(remaining) bytes remain after the length, file is \(size) bytes)")
    }
    let view = UnsafeRawBufferPointer(start: base + offset, count: Int(length))
    offset += Int(length)
    return view
  }
}

// MARK: - UTF-8

enum GGUFText {
  /// True if `bytes` is well-formed UTF-8 (no overlongs, surrogates or
  /// code points above U+10FFFF).
  static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    UTF8Check.firstInvalidOffset(bytes) == nil
  }

  static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { isValidUTF8($0) }
  }

  /// `bytes` as a String, or nil if they are not valid UTF-8.
  static func string(_ bytes: UnsafeRawBufferPointer) -> String? {
    guard isValidUTF8(bytes) else { return nil }
    return String(decoding: bytes.bindMemory(to: UInt8.self), as: UTF8.self)
  }

  /// `v` as "0x" and 8 hex digits.
  static func hex32(_ v: UInt32) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out: [UInt8] = Array("0x".utf8)
    var shift = 28
    while shift >= 0 {
      out.append(digits[Int((v >> UInt32(shift)) & 0xF)])
      shift -= 4
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Up to 64 bytes of a name for an error message, lossy.
  static func quoted(_ bytes: UnsafeRawBufferPointer) -> String {
    let shown = UnsafeRawBufferPointer(rebasing: bytes[0..<min(bytes.count, 64)])
    let text = String(decoding: shown.bindMemory(to: UInt8.self), as: UTF8.self)
    return "'" + text + (bytes.count > 64 ? "...'" : "'")
  }
}

// MARK: - Tensor info

/// One tensor's description from the tensor info section. Sizes are
/// validated when the file is parsed: the data lies inside the file.
public struct GGUFTensorInfo {
  public let name: String
  /// ggml order: `dims[0]` = ne0, the row length (contiguous in memory).
  public let dims: [Int]
  public let type: GGMLType
  /// Offset of the data relative to the start of the tensor data section.
  public let offset: Int
  /// Bytes of data: `rowBytes * dims[1...].product`.
  public let byteCount: Int
  /// Absolute file offset of this tensor's info record (for messages).
  public let infoOffset: Int

  public init(name: String, dims: [Int], type: GGMLType, offset: Int, byteCount: Int, infoOffset: Int = 0) {
    self.name = name
    self.dims = dims
    self.type = type
    self.offset = offset
    self.byteCount = byteCount
    self.infoOffset = infoOffset
  }

  /// Number of elements (product of `dims`).
  public var elementCount: Int {
    var n = 1
    for d in dims { n = n &* d }
    return n
  }

  /// Bytes of one row of `dims[0]` elements.
  public var rowBytes: Int {
    guard let first = dims.first else { return 0 }
    return type.rowBytes(first) ?? 0
  }

  /// Number of rows (product of `dims[1...]`).
  public var rowCount: Int {
    var n = 1
    for d in dims.dropFirst() { n = n &* d }
    return n
  }
}

// MARK: - File

/// A parsed GGUF file: header, metadata and tensor infos, with the tensor
/// data left in place (normally in the memory mapping).
public struct GGUFFile {
  public let version: UInt32
  /// Alignment of the tensor data (general.alignment, default 32).
  public let alignment: Int
  /// Metadata pairs in file order.
  public let metadata: [GGUFMetadataEntry]
  /// Tensor infos in file order.
  public let tensors: [GGUFTensorInfo]
  /// Absolute offset of the tensor data section.
  public let dataOffset: Int
  public let fileSize: Int
  /// The mapping this file was opened from (nil for borrowed bytes). Kept
  /// alive as long as this object.
  public let mapping: MappedFile?

  let base: UnsafeRawPointer
  /// Absolute offset of each metadata value (parallel to `metadata`).
  let valueOffsets: [Int]
  let keyIndex: [String: Int]
  let tensorIndex: [String: Int]

  /// Maps `path` (or with `.read` reads it into memory) and parses it. The
  /// mapping stays alive with the returned object, so `tensorData` pointers
  /// are valid as long as it is.
  /// - Throws: `.io` if the file cannot be opened, mapped or read;
  ///   `.outOfMemory` if it cannot be read into memory; `.format` naming the
  ///   field and offset if it is not a well-formed GGUF; `.unsupported` for
  ///   a tensor type this build does not implement.
  public static func open(path: String, load: LoadMode = .map) throws(EdgeLMError) -> GGUFFile {
    let mapping = try MappedFile.open(path: path, load: load)
    do {
      return try GGUFFile(base: mapping.base, size: mapping.size, mapping: mapping)
    } catch {
      throw EdgeLMError(error.status, error.message + " (in '" + path + "')")
    }
  }

  /// Parses a GGUF held in `bytes`, which the caller keeps alive and
  /// unchanged as long as this object (and any `tensorData` pointer) is used.
  /// - Throws: `.format` naming the field and offset if the bytes are not a
  ///   well-formed GGUF; `.unsupported` for an unimplemented tensor type.
  public init(bytes: UnsafeRawBufferPointer) throws(EdgeLMError) {
    try self.init(base: bytes.baseAddress, size: bytes.count, mapping: nil)
  }

  init(base: UnsafeRawPointer?, size: Int, mapping: MappedFile?) throws(EdgeLMError) {
    guard let base, size >= GGUFLimits.headerSize else {
      throw EdgeLMError(.format, "GGUF: file is \(size) bytes, too small for the \(GGUFLimits.headerSize)-byte header")
    }
    var parser = GGUFParser(cursor: GGUFCursor(base: base, size: size))
    try parser.parse()
    self.version = parser.version
    self.alignment = parser.alignment
    self.metadata = parser.metadata
    self.valueOffsets = parser.valueOffsets
    self.keyIndex = parser.keyIndex
    self.tensors = parser.tensors
    self.tensorIndex = parser.tensorIndex
    self.dataOffset = parser.dataOffset
    self.fileSize = size
    self.base = base
    self.mapping = mapping
  }

  /// The whole file.
  public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: fileSize) }

  /// The value of metadata `key`, or nil if absent.
  public func value(_ key: String) -> GGUFValue? {
    guard let i = keyIndex[key] else { return nil }
    return metadata[i].value
  }

  /// The info of the tensor called `name`, or nil if absent.
  public func tensor(named name: String) -> GGUFTensorInfo? {
    guard let i = tensorIndex[name] else { return nil }
    return tensors[i]
  }

  /// Start of `tensor`'s data, which must be a tensor of this file: its
  /// `byteCount` bytes were checked to lie inside the file at parse time.
  public func tensorData(_ tensor: GGUFTensorInfo) -> UnsafeRawPointer {
    base + dataOffset + tensor.offset
  }

  /// `tensor`'s data as a buffer (a tensor of this file).
  public func tensorBytes(_ tensor: GGUFTensorInfo) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: tensorData(tensor), count: tensor.byteCount)
  }

  /// Absolute file offset of the value of metadata `key` (for messages).
  public func valueOffset(_ key: String) -> Int? {
    guard let i = keyIndex[key] else { return nil }
    return valueOffsets[i]
  }
}

// MARK: - Parser

/// Tensor type ids that ggml defines but this build does not implement
/// (reported as `.unsupported`, not as a malformed file).
private func ggmlUnimplementedTypeName(_ id: UInt32) -> String? {
  switch id {
  case 16: return "iq2_xxs"
  case 17: return "iq2_xs"
  case 18: return "iq3_xxs"
  case 19: return "iq1_s"
  case 20: return "iq4_nl"
  case 21: return "iq3_s"
  case 22: return "iq2_s"
  case 23: return "iq4_xs"
  case 29: return "iq1_m"
  case 34: return "tq1_0"
  case 35: return "tq2_0"
  case 39: return "mxfp4"
  case 40: return "nvfp4"
  case 41: return "q1_0"
  default: return nil
  }
}

struct GGUFParser {
  var cursor: GGUFCursor
  var version: UInt32 = 0
  var alignment = GGUFLimits.defaultAlignment
  var metadata: [GGUFMetadataEntry] = []
  var valueOffsets: [Int] = []
  var keyIndex: [String: Int] = [:]
  var tensors: [GGUFTensorInfo] = []
  var tensorIndex: [String: Int] = [:]
  var dataOffset = 0
  /// Array elements decoded so far (bounded by maxMetadataArrayElements).
  var arrayElements = 0

  init(cursor: GGUFCursor) { self.cursor = cursor }

  mutating func parse() throws(EdgeLMError) {
    let (tensorCount, kvCount) = try parseHeader()
    metadata.reserveCapacity(kvCount)
    valueOffsets.reserveCapacity(kvCount)
    for i in 0..<kvCount {
      try parseMetadataEntry(index: i)
      try Memory.check("reading GGUF metadata entry \(i)")
    }
    try parseAlignment()
    tensors.reserveCapacity(tensorCount)
    for i in 0..<tensorCount { try parseTensorInfo(index: i) }
    try Memory.check("reading the GGUF tensor infos")
    try layOutData()
  }

  // MARK: Header

  mutating func parseHeader() throws(EdgeLMError) -> (tensors: Int, kvs: Int) {
    let magic = try cursor.u32("magic")
    if magic != 0x4655_4747 {  // "GGUF" read little-endian
      throw EdgeLMError(.format, "GGUF: bad magic \(GGUFText.hex32(magic)) at offset 0, expected 'GGUF' (47 47 55 46): not a GGUF file")
    }
    version = try cursor.u32("version")
    switch version {
    case 2, 3: break
    case 1:
      throw EdgeLMError(.format, "GGUF: version 1 at offset 4 is not supported (GGUFv1 used 32-bit counts; re-convert the model)")
    case 0x0200_0000, 0x0300_0000:
      throw EdgeLMError(.format, "GGUF: version at offset 4 reads as \(version): a big-endian GGUF, which is not supported")
    default:
      throw EdgeLMError(.format, "GGUF: unsupported version \(version) at offset 4 (supported: 2, 3)")
    }
    let tensorCount64 = try cursor.u64("tensor count")
    let kvCount64 = try cursor.u64("metadata count")
    // Bound the counts by what the rest of the file could possibly hold, so
    // a hostile header cannot make us reserve huge arrays.
    let rest = UInt64(cursor.remaining)
    let maxKVs = rest / UInt64(GGUFLimits.minMetadataEntrySize)
    let maxTensors = rest / UInt64(GGUFLimits.minTensorInfoSize)
    guard kvCount64 <= maxKVs else {
      throw EdgeLMError(.format, "GGUF: metadata count \(kvCount64) at offset 16 is impossible: the remaining \(rest) bytes hold at most \(maxKVs) entries")
    }
    guard tensorCount64 <= maxTensors else {
      throw EdgeLMError(.format, "GGUF: tensor count \(tensorCount64) at offset 8 is impossible: the remaining \(rest) bytes hold at most \(maxTensors) tensor infos")
    }
    let needed = kvCount64 * UInt64(GGUFLimits.minMetadataEntrySize) + tensorCount64 * UInt64(GGUFLimits.minTensorInfoSize)
    guard needed <= rest else {
      throw EdgeLMError(.format, "GGUF: \(kvCount64) metadata entries and \(tensorCount64) tensor infos (counts at offsets 16 and 8) need at least \(needed) bytes but only \(rest) remain")
    }
    return (Int(tensorCount64), Int(kvCount64))
  }

  // MARK: Metadata

  mutating func parseMetadataEntry(index: Int) throws(EdgeLMError) {
    let entryOffset = cursor.offset
    let keyBytes = try cursor.stringBytes("metadata entry \(index) key")
    guard keyBytes.count > 0 else {
      throw EdgeLMError(.format, "GGUF: metadata entry \(index) (at offset \(entryOffset)) has an empty key")
    }
    guard let key = GGUFText.string(keyBytes) else {
      throw EdgeLMError(.format, "GGUF: metadata entry \(index) key \(GGUFText.quoted(keyBytes)) (at offset \(entryOffset)) is not valid UTF-8")
    }
    if let first = keyIndex[key] {
      throw EdgeLMError(.format, "GGUF: duplicate metadata key '\(key)' at offset \(entryOffset) (entry \(index); first was entry \(first))")
    }
    let typeOffset = cursor.offset
    let rawType = try cursor.u32("metadata '\(key)' value type")
    guard let type = GGUFValueType(rawValue: rawType) else {
      throw EdgeLMError(.format, "GGUF: metadata '\(key)' (at offset \(entryOffset)): unknown value type id \(rawType) at offset \(typeOffset)")
    }
    let valueOffset = cursor.offset
    let value = try readValue(type, depth: 0, key: key)
    keyIndex[key] = metadata.count
    metadata.append(GGUFMetadataEntry(key: key, value: value))
    valueOffsets.append(valueOffset)
  }

  /// Reads one value of `type` at the cursor. `depth` counts enclosing arrays.
  mutating func readValue(_ type: GGUFValueType, depth: Int, key: String) throws(EdgeLMError) -> GGUFValue {
    switch type {
    case .uint8: return .uint8(try cursor.u8("metadata '\(key)' uint8 value"))
    case .int8: return .int8(Int8(bitPattern: try cursor.u8("metadata '\(key)' int8 value")))
    case .uint16: return .uint16(try cursor.u16("metadata '\(key)' uint16 value"))
    case .int16: return .int16(Int16(bitPattern: try cursor.u16("metadata '\(key)' int16 value")))
    case .uint32: return .uint32(try cursor.u32("metadata '\(key)' uint32 value"))
    case .int32: return .int32(Int32(bitPattern: try cursor.u32("metadata '\(key)' int32 value")))
    case .float32: return .float32(Float(bitPattern: try cursor.u32("metadata '\(key)' float32 value")))
    case .uint64: return .uint64(try cursor.u64("metadata '\(key)' uint64 value"))
    case .int64: return .int64(Int64(bitPattern: try cursor.u64("metadata '\(key)' int64 value")))
    case .float64: return .float64(Double(bitPattern: try cursor.u64("metadata '\(key)' float64 value")))
    case .bool:
      let at = cursor.offset
      let b = try cursor.u8("metadata '\(key)' bool value")
      guard b <= 1 else {
        throw EdgeLMError(.format, "GGUF: metadata '\(key)' bool value at offset \(at) is \(b), expected 0 or 1")
      }
      return .bool(b == 1)
    case .string:
      let view = try cursor.stringBytes("metadata '\(key)' string value")
      return .string(Array(view))
    case .array:
      return .array(try readArray(depth: depth + 1, key: key))
    }
  }

  /// Reads an array header and its values. `depth` is 1 for a top-level array.
  mutating func readArray(depth: Int, key: String) throws(EdgeLMError) -> GGUFArray {
    let headerOffset = cursor.offset
    guard depth <= GGUFLimits.maxArrayDepth else {
      throw EdgeLMError(.format, "GGUF: metadata '\(key)': array at offset \(headerOffset) is nested \(depth) deep (limit \(GGUFLimits.maxArrayDepth))")
    }
    let rawType = try cursor.u32("metadata '\(key)' array element type")
    guard let elementType = GGUFValueType(rawValue: rawType) else {
      throw EdgeLMError(.format, "GGUF: metadata '\(key)': array at offset \(headerOffset) has unknown element type id \(rawType)")
    }
    let countOffset = cursor.offset
    let count64 = try cursor.u64("metadata '\(key)' array count")
    let maxCount = UInt64(cursor.remaining / elementType.minimumEncodedSize)
    guard count64 <= maxCount else {
      throw EdgeLMError(.format, "GGUF: metadata '\(key)': array count \(count64) at offset \(countOffset) runs past the end of the file (\(cursor.remaining) bytes remain, room for at most \(maxCount) \(elementType.name) values)")
    }
    let count = Int(count64)
    arrayElements += count
    guard arrayElements <= GGUFLimits.maxMetadataArrayElements else {
      throw EdgeLMError(.format, "GGUF: metadata '\(key)': array count \(count) at offset \(countOffset) brings the metadata to \(arrayElements) array elements, above the limit \(GGUFLimits.maxMetadataArrayElements)")
    }
    switch elementType {
    case .string:
      // The hot path: vocabularies and merges (tens of thousands of entries),
      // kept in one buffer.
      var list = ByteStrings()
      list.reserveCapacity(strings: count, bytes: 0)
      for i in 0..<count {
        let view = try cursor.stringBytes("metadata '\(key)' array element \(i)")
        list.append(view)
        if i & 4095 == 0 { try Memory.check("reading metadata '\(key)'") }
      }
      return GGUFArray(strings: list)
    case .array:
      var values: [GGUFValue] = []
      values.reserveCapacity(count)
      for _ in 0..<count {
        values.append(try readValue(elementType, depth: depth, key: key))
      }
      return GGUFArray(elementType: elementType, values: values)
    default:
      // Scalars: checked one by one (bools must be 0 or 1), stored as bytes.
      var bytes: [UInt8] = []
      bytes.reserveCapacity(count * (elementType.scalarSize ?? 1))
      for _ in 0..<count {
        GGUFArray.appendScalar(try readValue(elementType, depth: depth, key: key), to: &bytes)
      }
      return GGUFArray(scalarType: elementType, bytes: bytes)
    }
  }

  mutating func parseAlignment() throws(EdgeLMError) {
    guard let i = keyIndex["general.alignment"] else { return }
    let at = valueOffsets[i]
    let value = metadata[i].value
    guard case .uint32(let raw) = value else {
      throw EdgeLMError(.format, "GGUF: general.alignment (value at offset \(at)) is \(value.typeDescription), expected uint32")
    }
    let a = Int(raw)
    guard a > 0 else {
      throw EdgeLMError(.format, "GGUF: general.alignment (value at offset \(at)) is 0")
    }
    guard a & (a - 1) == 0 else {
      throw EdgeLMError(.format, "GGUF: general.alignment (value at offset \(at)) is \(a), not a power of two")
    }
    guard a <= GGUFLimits.maxAlignment else {
      throw EdgeLMError(.format, "GGUF: general.alignment (value at offset \(at)) is \(a), above the limit \(GGUFLimits.maxAlignment)")
    }
    alignment = a
  }

  // MARK: Tensor infos

  mutating func parseTensorInfo(index: Int) throws(EdgeLMError) {
    let infoOffset = cursor.offset
    let nameBytes = try cursor.stringBytes("tensor info \(index) name")
    guard nameBytes.count > 0 else {
      throw EdgeLMError(.format, "GGUF: tensor info \(index) (at offset \(infoOffset)) has an empty name")
    }
    guard let name = GGUFText.string(nameBytes) else {
      throw EdgeLMError(.format, "GGUF: tensor info \(index) name \(GGUFText.quoted(nameBytes)) (at offset \(infoOffset)) is not valid UTF-8")
    }
    let this = "tensor '\(name)' (info at offset \(infoOffset))"
    if let first = tensorIndex[name] {
      throw EdgeLMError(.format, "GGUF: duplicate \(this): tensor \(index) has the same name as tensor \(first)")
    }
    let nDimsOffset = cursor.offset
    let nDims = try cursor.u32("\(this) n_dims")
    guard nDims >= 1 && nDims <= UInt32(GGUFLimits.maxDims) else {
      throw EdgeLMError(.format, "GGUF: \(this): n_dims \(nDims) at offset \(nDimsOffset) is outside 1...\(GGUFLimits.maxDims)")
    }
    var dims: [Int] = []
    dims.reserveCapacity(Int(nDims))
    var elements = 1
    for d in 0..<Int(nDims) {
      let dimOffset = cursor.offset
      let raw = try cursor.u64("\(this) dimension \(d)")
      guard raw > 0 else {
        throw EdgeLMError(.format, "GGUF: \(this): dimension \(d) is 0 (at offset \(dimOffset))")
      }
      guard raw <= UInt64(Int.max) else {
        throw EdgeLMError(.format, "GGUF: \(this): dimension \(d) is \(raw) (at offset \(dimOffset)), negative as int64")
      }
      let (product, overflow) = elements.multipliedReportingOverflow(by: Int(raw))
      guard !overflow else {
        throw EdgeLMError(.format, "GGUF: \(this): element count overflows at dimension \(d) (\(raw), at offset \(dimOffset))")
      }
      elements = product
      dims.append(Int(raw))
    }
    let typeOffset = cursor.offset
    let rawType = try cursor.u32("\(this) type")
    guard let type = GGMLType(rawValue: rawType) else {
      if let known = ggmlUnimplementedTypeName(rawType) {
        throw EdgeLMError(.unsupported, "GGUF: \(this): tensor type \(known) (id \(rawType) at offset \(typeOffset)) is not supported by this build")
      }
      throw EdgeLMError(.format, "GGUF: \(this): unknown tensor type id \(rawType) at offset \(typeOffset)")
    }
    guard let rowBytes = type.rowBytes(dims[0]) else {
      if dims[0] % type.blockSize != 0 {
        throw EdgeLMError(.format, "GGUF: \(this): dimension 0 is \(dims[0]), not a multiple of the \(type.name) block size \(type.blockSize)")
      }
      throw EdgeLMError(.format, "GGUF: \(this): row size of \(dims[0]) \(type.name) elements overflows")
    }
    let (byteCount, sizeOverflow) = rowBytes.multipliedReportingOverflow(by: elements / dims[0])
    guard !sizeOverflow else {
      throw EdgeLMError(.format, "GGUF: \(this): byte size overflows (\(elements) \(type.name) elements)")
    }
    let offsetOffset = cursor.offset
    let rawOffset = try cursor.u64("\(this) data offset")
    guard rawOffset <= UInt64(Int.max) else {
      throw EdgeLMError(.format, "GGUF: \(this): data offset \(rawOffset) at offset \(offsetOffset) is out of range")
    }
    let offset = Int(rawOffset)
    guard offset % alignment == 0 else {
      throw EdgeLMError(.format, "GGUF: \(this): data offset \(offset) at offset \(offsetOffset) is not a multiple of the alignment \(alignment)")
    }
    tensorIndex[name] = tensors.count
    tensors.append(GGUFTensorInfo(name: name, dims: dims, type: type, offset: offset, byteCount: byteCount, infoOffset: infoOffset))
  }

  // MARK: Data section

  mutating func layOutData() throws(EdgeLMError) {
    let infoEnd = cursor.offset
    let size = cursor.size
    // Round up to the alignment; infoEnd <= size and alignment <= 2^24, so
    // this cannot overflow.
    dataOffset = (infoEnd + alignment - 1) / alignment * alignment
    guard !tensors.isEmpty else { return }
    guard dataOffset <= size else {
      throw EdgeLMError(.format, "GGUF: tensor data section would start at offset \(dataOffset) (tensor infos end at \(infoEnd), alignment \(alignment)) but the file is \(size) bytes")
    }
    let dataSize = size - dataOffset
    for t in tensors {
      // offset + byteCount may exceed Int.max for hostile values: compare
      // without adding.
      guard t.offset <= dataSize, t.byteCount <= dataSize - t.offset else {
        throw EdgeLMError(.format, "GGUF: tensor '\(t.name)' (info at offset \(t.infoOffset)): data [\(t.offset), +\(t.byteCount)) in the data section at \(dataOffset) runs past the end of the file (\(size) bytes, \(dataSize) of tensor data)")
      }
    }
    // Overlap: sort by offset; each tensor must start at or after the end of
    // the previous one. The total is bounded by the file, so no overflow.
    var order = Array(0..<tensors.count)
    order.sort { tensors[$0].offset < tensors[$1].offset || (tensors[$0].offset == tensors[$1].offset && $0 < $1) }
    var total = 0
    for k in 0..<order.count {
      let t = tensors[order[k]]
      total += t.byteCount
      if k > 0 {
        let prev = tensors[order[k - 1]]
        let prevEnd = prev.offset + prev.byteCount
        guard t.offset >= prevEnd else {
          throw EdgeLMError(.format, "GGUF: tensor '\(t.name)' (info at offset \(t.infoOffset)): data at offset \(t.offset) overlaps tensor '\(prev.name)' (data [\(prev.offset), \(prevEnd)))")
        }
      }
    }
    guard total <= dataSize else {
      throw EdgeLMError(.internal, "GGUF: tensor sizes sum to \(total), more than the \(dataSize) data bytes")
    }
  }
}
