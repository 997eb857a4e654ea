// GGUF writer: builds a v3 file (layout in GGUFReader.swift) from metadata
// and tensors, either in memory (`serialize`, `write(to:)`) or streamed to a
// file tensor by tensor (`declareTensor` + `GGUFStreamWriter`, so peak
// memory stays around one tensor). Used by `edgelm quantize` and by tests.

/// Collects metadata and tensors and serializes them as a GGUF v3 file.
///
/// Tensor data offsets are assigned in the order tensors are added, each
/// padded to the alignment. Mistakes in `add` (an array whose values do not
/// match its element type, a bad alignment) are recorded in `pendingError`
/// and thrown by `write(to:)`; `serialize()` does not check them.
public struct GGUFWriter {
  struct PendingTensor {
    var name: String
    var type: GGMLType
    var dims: [Int]
    /// The bytes, or empty for a tensor declared to be streamed later.
    var data: [UInt8]
    /// Bytes of data (`data.count` for added tensors).
    var byteCount: Int
  }

  /// Alignment of the tensor data section and of each tensor's data.
  public private(set) var alignment: Int
  /// Metadata in the order it will be written (without an automatic
  /// general.alignment).
  public private(set) var metadata: [GGUFMetadataEntry] = []
  /// The first mistake made through `init` or `add`, if any.
  public private(set) var pendingError: EdgeLMError?
  var tensors: [PendingTensor] = []
  var keyIndex: [String: Int] = [:]
  var tensorNames: [String: Int] = [:]

  /// A writer whose tensor data is aligned to `alignment` bytes (a power of
  /// two; general.alignment is written when it is not the default 32).
  public init(alignment: Int = 32) {
    if alignment > 0 && alignment & (alignment - 1) == 0 && alignment <= GGUFLimits.maxAlignment {
      self.alignment = alignment
    } else {
      self.alignment = GGUFLimits.defaultAlignment
      pendingError = EdgeLMError(.invalidArgument, "GGUF writer: alignment \(alignment) is not a power of two in 1...\(GGUFLimits.maxAlignment)")
    }
  }

  /// Sets metadata `key` to `value`; a key added twice keeps its first
  /// position and takes the new value. Adding "general.alignment" as a valid
  /// uint32 also sets the writer's alignment.
  public mutating func add(_ key: String, _ value: GGUFValue) {
    if key.isEmpty { record(EdgeLMError(.invalidArgument, "GGUF writer: empty metadata key")) }
    if let problem = GGUFWriter.check(value, depth: 0) {
      record(EdgeLMError(.invalidArgument, "GGUF writer: metadata '\(key)': " + problem))
    }
    if key == "general.alignment" {
      if case .uint32(let a) = value, a > 0, a & (a - 1) == 0, Int(a) <= GGUFLimits.maxAlignment {
        alignment = Int(a)
      } else {
        record(EdgeLMError(.invalidArgument, "GGUF writer: general.alignment must be a uint32 power of two in 1...\(GGUFLimits.maxAlignment)"))
      }
    }
    let entry = GGUFMetadataEntry(key: key, value: value)
    if let i = keyIndex[key] {
      metadata[i] = entry
    } else {
      keyIndex[key] = metadata.count
      metadata.append(entry)
    }
  }

  /// Adds a tensor. `dims` are in ggml order (`dims[0]` is the row length);
  /// `data` holds exactly the tensor's bytes in `type`'s block layout.
  /// - Throws: `.invalidArgument` for an empty or duplicate name, 0 or more
  ///   than 4 dimensions, a dimension below 1, a row length that is not a
  ///   whole number of blocks, or a `data` size that does not match.
  public mutating func addTensor(name: String, type: GGMLType, dims: [Int], data: [UInt8]) throws(EdgeLMError) {
    let expected = try checkTensor(name: name, type: type, dims: dims)
    guard data.count == expected else {
      throw EdgeLMError(.invalidArgument, "GGUF writer: tensor '\(name)' (\(type.name)) needs \(expected) bytes of data, got \(data.count)")
    }
    tensorNames[name] = tensors.count
    tensors.append(PendingTensor(name: name, type: type, dims: dims, data: data, byteCount: expected))
  }

  /// Declares a tensor whose data is written later, in order, through a
  /// `GGUFStreamWriter` (`serialize()` writes zeros for it). Same checks as
  /// `addTensor`.
  /// - Returns: the tensor's data size in bytes.
  @discardableResult
  public mutating func declareTensor(name: String, type: GGMLType, dims: [Int]) throws(EdgeLMError) -> Int {
    let expected = try checkTensor(name: name, type: type, dims: dims)
    tensorNames[name] = tensors.count
    tensors.append(PendingTensor(name: name, type: type, dims: dims, data: [], byteCount: expected))
    return expected
  }

  /// Data bytes of each tensor, in the order added or declared.
  public var tensorByteCounts: [Int] { tensors.map { $0.byteCount } }

  /// Validates a tensor description and returns its data size.
  func checkTensor(name: String, type: GGMLType, dims: [Int]) throws(EdgeLMError) -> Int {
    guard !name.isEmpty else { throw EdgeLMError(.invalidArgument, "GGUF writer: empty tensor name") }
    guard tensorNames[name] == nil else {
      throw EdgeLMError(.invalidArgument, "GGUF writer: duplicate tensor '\(name)'")
    }
    guard dims.count >= 1 && dims.count <= GGUFLimits.maxDims else {
      throw EdgeLMError(.invalidArgument, "GGUF writer: tensor '\(name)' has \(dims.count) dimensions, expected 1...\(GGUFLimits.maxDims)")
    }
    for (i, d) in dims.enumerated() where d < 1 {
      throw EdgeLMError(.invalidArgument, "GGUF writer: tensor '\(name)' dimension \(i) is \(d)")
    }
    guard dims[0] % type.blockSize == 0 else {
      throw EdgeLMError(.invalidArgument, "GGUF writer: tensor '\(name)' row length \(dims[0]) is not a multiple of the \(type.name) block size \(type.blockSize)")
    }
    guard let expected = GGUFWriter.byteCount(type: type, dims: dims) else {
      throw EdgeLMError(.invalidArgument, "GGUF writer: tensor '\(name)' size overflows")
    }
    return expected
  }

  /// Bytes of a tensor of `type` with `dims` (ggml order), or nil if the row
  /// length is not a whole number of blocks, a dimension is below 1, or the
  /// size overflows.
  public static func byteCount(type: GGMLType, dims: [Int]) -> Int? {
    guard let first = dims.first, first >= 1, let row = type.rowBytes(first) else { return nil }
    var total = row
    for d in dims.dropFirst() {
      guard d >= 1 else { return nil }
      let (p, overflow) = total.multipliedReportingOverflow(by: d)
      if overflow { return nil }
      total = p
    }
    return total
  }

  /// The complete file (declared tensors' data as zeros).
  public func serialize() -> [UInt8] {
    var dataSize = 0
    for t in tensors { dataSize += padded(t.byteCount) }
    var out = GGUFByteSink()
    out.bytes.reserveCapacity(4096 + dataSize)
    appendHeader(to: &out)
    for t in tensors {
      if t.data.count == t.byteCount {
        out.bytes.append(contentsOf: t.data)
      } else {
        out.bytes.append(contentsOf: repeatElement(0, count: t.byteCount))
      }
      out.pad(to: alignment)
    }
    return out.bytes
  }

  /// Everything before the first tensor's data: header, metadata, tensor
  /// infos (offsets from the tensors' sizes) and the padding to the data.
  public func headerBytes() -> [UInt8] {
    var out = GGUFByteSink()
    appendHeader(to: &out)
    return out.bytes
  }

  func appendHeader(to out: inout GGUFByteSink) {
    var entries = metadata
    if alignment != GGUFLimits.defaultAlignment && keyIndex["general.alignment"] == nil {
      entries.append(GGUFMetadataEntry(key: "general.alignment", value: .uint32(UInt32(alignment))))
    }
    out.bytes.append(contentsOf: [0x47, 0x47, 0x55, 0x46])  // "GGUF"
    out.u32(3)
    out.u64(UInt64(tensors.count))
    out.u64(UInt64(entries.count))
    for e in entries {
      out.string(Array(e.key.utf8))
      out.u32(e.value.type.rawValue)
      out.payload(e.value)
    }
    var offset = 0
    for t in tensors {
      out.string(Array(t.name.utf8))
      out.u32(UInt32(t.dims.count))
      for d in t.dims { out.u64(UInt64(d)) }
      out.u32(t.type.rawValue)
      out.u64(UInt64(offset))
      offset += padded(t.byteCount)
    }
    out.pad(to: alignment)
  }

  /// Serializes to `path` (created or truncated).
  /// - Throws: `pendingError` if an `add` was invalid; `.io` if writing fails.
  public func write(to path: String) throws(EdgeLMError) {
    if let pendingError { throw pendingError }
    let bytes = serialize()
    // withUnsafeBytes rethrows untyped errors: carry ours out by hand.
    var failure: EdgeLMError?
    bytes.withUnsafeBytes { buffer in
      do throws(EdgeLMError) { try FileIO.writeAll(path: path, buffer) } catch { failure = error }
    }
    if let failure { throw failure }
  }

  // MARK: - Helpers

  func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

  mutating func record(_ error: EdgeLMError) {
    if pendingError == nil { pendingError = error }
  }

  /// A description of what is wrong with `value` as written, or nil.
  static func check(_ value: GGUFValue, depth: Int) -> String? {
    guard case .array(let array) = value else { return nil }
    guard depth < GGUFLimits.maxArrayDepth else {
      return "arrays nested deeper than \(GGUFLimits.maxArrayDepth)"
    }
    guard case .values(let values) = array.storage else { return nil }  // compact = uniform
    for (i, v) in values.enumerated() {
      guard v.type == array.elementType else {
        return "array element \(i) is \(v.type.name) in an array of \(array.elementType.name)"
      }
      if let problem = check(v, depth: depth + 1) { return problem }
    }
    return nil
  }
}

// MARK: - Streaming

/// Writes a GGUF file whose layout a `GGUFWriter` describes, streaming each
/// tensor's data in order (in as many pieces as the caller likes) so only
/// the piece at hand is in memory. Padding between tensors is written here.
///
///     var layout = GGUFWriter(); layout.add(...); try layout.declareTensor(...)
///     let out = try GGUFStreamWriter.create(path: p, layout: layout)
///     try out.append(bytesOfTensor0)   // ... then tensor 1, ...
///     try out.finish()
public final class GGUFStreamWriter {
  let file: OutputFile
  let sizes: [Int]
  let alignment: Int
  /// Tensor being written and bytes of it written so far.
  public private(set) var tensorIndex = 0
  var writtenInTensor = 0
  /// Padding source (at most alignment - 1 zeros).
  let zeros: [UInt8]

  private init(file: OutputFile, sizes: [Int], alignment: Int) {
    self.file = file
    self.sizes = sizes
    self.alignment = alignment
    self.zeros = [UInt8](repeating: 0, count: alignment)
  }

  /// Creates or truncates `path` and writes the header, metadata and
  /// tensor infos of `layout` (its declared or added tensors, in order; an
  /// added tensor's data is ignored: stream it like the others).
  /// - Throws: `layout.pendingError`; `.io` if the file cannot be written.
  public static func create(path: String, layout: GGUFWriter) throws(EdgeLMError) -> GGUFStreamWriter {
    if let e = layout.pendingError { throw e }
    let file = try OutputFile.create(path: path)
    let writer = GGUFStreamWriter(file: file, sizes: layout.tensorByteCounts, alignment: layout.alignment)
    try file.write(layout.headerBytes())
    return writer
  }

  /// Bytes written to the file so far.
  public var bytesWritten: Int { file.size }

  /// Bytes still expected for the current tensor (0 when all are done).
  public var remainingInTensor: Int {
    tensorIndex < sizes.count ? sizes[tensorIndex] - writtenInTensor : 0
  }

  /// Appends the next `bytes` of the current tensor's data; after its last
  /// byte the padding is written and the next tensor becomes current.
  /// - Throws: `.invalidArgument` if `bytes` runs past the current tensor
  ///   (or all tensors are complete); `.io` on a write error.
  public func append(_ bytes: UnsafeRawBufferPointer) throws(EdgeLMError) {
    guard bytes.count <= remainingInTensor else {
      throw EdgeLMError(.invalidArgument, "GGUF stream writer: \(bytes.count) bytes for tensor \(tensorIndex), which has \(remainingInTensor) bytes left (\(sizes.count) tensors)")
    }
    try file.write(bytes)
    writtenInTensor += bytes.count
    if writtenInTensor == sizes[tensorIndex] {
      let rem = file.size % alignment
      if rem != 0 {
        var failure: EdgeLMError?
        zeros.withUnsafeBytes { z in
          do throws(EdgeLMError) { try file.write(UnsafeRawBufferPointer(rebasing: z[0..<(alignment - rem)])) } catch { failure = error }
        }
        if let failure { throw failure }
      }
      tensorIndex += 1
      writtenInTensor = 0
    }
  }

  /// Appends `bytes` (see the buffer version).
  public func append(_ bytes: [UInt8]) throws(EdgeLMError) {
    var failure: EdgeLMError?
    bytes.withUnsafeBytes { raw in
      do throws(EdgeLMError) { try append(raw) } catch { failure = error }
    }
    if let failure { throw failure }
  }

  /// Closes the file.
  /// - Returns: the file size.
  /// - Throws: `.invalidArgument` if some tensor's data is missing; `.io`
  ///   if closing fails.
  @discardableResult
  public func finish() throws(EdgeLMError) -> Int {
    guard tensorIndex == sizes.count else {
      throw EdgeLMError(.invalidArgument, "GGUF stream writer: finished after \(tensorIndex) of \(sizes.count) tensors")
    }
    try file.close()
    return file.size
  }
}

/// Little-endian encoder for GGUF fields.
struct GGUFByteSink {
  var bytes: [UInt8] = []

  mutating func u8(_ v: UInt8) { bytes.append(v) }
  mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
  mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
  mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

  mutating func string(_ s: [UInt8]) {
    u64(UInt64(s.count))
    bytes.append(contentsOf: s)
  }

  mutating func pad(to alignment: Int) {
    let rem = bytes.count % alignment
    if rem != 0 { bytes.append(contentsOf: repeatElement(0, count: alignment - rem)) }
  }

  /// A value without its type id (as inside arrays).
  mutating func payload(_ value: GGUFValue) {
    switch value {
    case .uint8(let v): u8(v)
    case .int8(let v): u8(UInt8(bitPattern: v))
    case .uint16(let v): u16(v)
    case .int16(let v): u16(UInt16(bitPattern: v))
    case .uint32(let v): u32(v)
    case .int32(let v): u32(UInt32(bitPattern: v))
    case .float32(let v): u32(v.bitPattern)
    case .bool(let v): u8(v ? 1 : 0)
    case .string(let s): string(s)
    case .uint64(let v): u64(v)
    case .int64(let v): u64(UInt64(bitPattern: v))
    case .float64(let v): u64(v.bitPattern)
    case .array(let a):
      u32(a.elementType.rawValue)
      u64(UInt64(a.count))
      for i in 0..<a.count { payload(a[i]) }
    }
  }
}
