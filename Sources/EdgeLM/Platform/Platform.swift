// The only place in the core that calls libc: files, mmap, clocks, /proc,
// allocation and threads. Everything above this layer sees Swift types.

import CEdgeSys
import Synchronization

// MARK: - Errors from errno

@inline(never)
func errnoMessage(_ what: String) -> String {
  let code = edgelm_sys_errno()
  if let text = strerror(code) {
    return what + ": " + String(cString: text)
  }
  return what + ": errno " + String(code)
}

// MARK: - Read-only memory-mapped file

/// How a model file's bytes come into memory (config `load`).
public enum LoadMode: Sendable, Equatable {
  /// `"map"` (default): the file is memory-mapped; pages are read from it
  /// as they are used, layers can be streamed under a RAM cap, and the
  /// file must not change while it is loaded (a change is detected and
  /// reported as `.io`, see `MappedFile.check`).
  case map
  /// `"read"`: the whole file is read into anonymous memory at load, so
  /// the process no longer depends on the file (it may be truncated,
  /// rewritten or deleted); all of it is resident, so nothing can be
  /// streamed under a RAM cap.
  case read

  /// The spelling used in the config (`"map"`, `"read"`).
  public var name: StaticString {
    switch self {
    case .map: return "map"
    case .read: return "read"
    }
  }
}

/// A model file's bytes: a read-only private memory mapping of the whole
/// file (`open(path:)`), or a read-only copy in anonymous memory
/// (`open(path:load: .read)`). The memory lives as long as this object;
/// views into it must not outlive it.
///
/// A mapping is guarded: a page whose file was truncated away reads as zeros
/// instead of raising SIGBUS (Sources/CEdgeSys/sigbus.c), and `check()`
/// reports that, or a file modified in place, as `.io`. Thread-safe: the
/// checks may run on any thread.
public final class MappedFile {
  public let path: String
  /// Start of the bytes (nil for an empty file).
  public let base: UnsafeRawPointer?
  public let size: Int
  /// The open file (a mapping), or -1 (a copy: the file was closed after reading).
  let fd: Int32
  /// `.read` when the bytes are a copy read at load, else `.map`.
  public let load: LoadMode
  /// The SIGBUS guard's slot for the mapping, or -1.
  private let guardSlot: Int32
  /// Size and modification time (ns) of the file when it was opened.
  private let openedSize: Int64
  private let openedModification: Int64
  /// What went wrong with the file, once detected: a `Problem` raw value
  /// (0 = nothing); it stays set, as the weights are gone for good.
  private let problem = Atomic<Int>(0)

  private enum Problem: Int {
    case none = 0, faulted, modified
  }

  private init(path: String, base: UnsafeRawPointer?, size: Int, fd: Int32, load: LoadMode, guardSlot: Int32,
               openedSize: Int64, openedModification: Int64) {
    self.path = path
    self.base = base
    self.size = size
    self.fd = fd
    self.load = load
    self.guardSlot = guardSlot
    self.openedSize = openedSize
    self.openedModification = openedModification
  }

  /// Maps `path` read-only, or with `.read` reads it into memory. (A static
  /// factory rather than a throwing initializer: Embedded Swift leaks a
  /// partially initialized object when an initializer throws.)
  /// - Throws: `.io` naming the path and the OS reason (also a file that
  ///   ends early while being read); `.outOfMemory` if the copy cannot be
  ///   allocated; `.resourceLimit` when 256 mappings are guarded already.
  public static func open(path: String, load: LoadMode = .map) throws(EdgeLMError) -> MappedFile {
    let fd = edgelm_sys_open_ro(path)
    if fd < 0 { throw EdgeLMError(.io, errnoMessage("cannot open '\(path)'")) }
    var info = edgelm_sys_file_info()
    let statFailed = edgelm_sys_file_info_get(fd, nil, &info) != 0
    if statFailed || info.is_regular == 0 {
      let message = statFailed ? errnoMessage("cannot stat '\(path)'") : "cannot map '\(path)': not a regular file"
      close(fd)
      throw EdgeLMError(.io, message)
    }
    let size = Int(info.size)
    if load == .read {
      defer { close(fd) }
      let base = try readCopy(fd: fd, path: path, size: size)
      return MappedFile(path: path, base: base, size: size, fd: -1, load: .read, guardSlot: -1,
                        openedSize: info.size, openedModification: info.mtime_ns)
    }
    var base: UnsafeRawPointer? = nil
    var slot: Int32 = -1
    if size > 0 {
      let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
      if p == nil || edgelm_sys_is_map_failed(p) != 0 {
        let message = errnoMessage("cannot map '\(path)'")
        close(fd)
        throw EdgeLMError(.io, message)
      }
      slot = edgelm_sys_guard_register(p, size)
      if slot < 0 {
        let full = edgelm_sys_errno() == ENOSPC
        let message = full ? "cannot guard the mapping of '\(path)': 256 model files are mapped already; load this one with load \"read\""
          : errnoMessage("cannot install the SIGBUS handler for '\(path)'")
        munmap(p, size)
        close(fd)
        throw EdgeLMError(full ? .resourceLimit : .io, message)
      }
      _ = edgelm_sys_madvise_hugepage(p, size)
      base = UnsafeRawPointer(p!)
    }
    return MappedFile(path: path, base: base, size: size, fd: fd, load: .map, guardSlot: slot,
                      openedSize: info.size, openedModification: info.mtime_ns)
  }

  /// `size` bytes of `fd` read into a new read-only anonymous mapping (nil
  /// when empty).
  private static func readCopy(fd: Int32, path: String, size: Int) throws(EdgeLMError) -> UnsafeRawPointer? {
    guard size > 0 else { return nil }
    let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    guard let p, edgelm_sys_is_map_failed(p) == 0 else {
      throw EdgeLMError(.outOfMemory, errnoMessage("cannot allocate \(size) bytes to read '\(path)' into (load \"read\")"))
    }
    _ = edgelm_sys_madvise_hugepage(p, size)
    let done = readFully(fd: fd, offset: 0, count: size, into: p)
    if done < size {
      let message = done < 0 ? errnoMessage("cannot read '\(path)'")
        : "cannot read '\(path)': it ended at \(done) of its \(size) bytes (was it changed while being read?)"
      munmap(p, size)
      throw EdgeLMError(.io, message)
    }
    // Read-only from here, as a mapping is: a stray write faults at once.
    _ = mprotect(p, size, PROT_READ)
    return UnsafeRawPointer(p)
  }

  deinit {
    if guardSlot >= 0 { edgelm_sys_guard_unregister(guardSlot) }
    if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    if fd >= 0 { close(fd) }
  }

  // MARK: Changes of the file

  /// Whether a read of the mapping faulted (the file lost pages under it)
  /// since it was opened: one atomic load, for the end of every forward
  /// pass. False for a copy.
  public var faulted: Bool {
    guardSlot >= 0 && (problem.load(ordering: .relaxed) == Problem.faulted.rawValue
      || edgelm_sys_guard_damaged(guardSlot) != 0)
  }

  /// The error for the bytes of a file that changed under its mapping, or
  /// nil while it is intact: a read that faulted (SIGBUS turned into zero
  /// pages), or a size or modification time other than at opening (one
  /// fstat: written in place, which raises no signal). Once found, the same
  /// error comes back for ever: the weights in memory are no longer the
  /// model's. A copy (`LoadMode.read`) never changes: nil without a system
  /// call.
  public func check() -> EdgeLMError? {
    guard load == .map, fd >= 0 else { return nil }
    var found = Problem(rawValue: problem.load(ordering: .relaxed)) ?? .none
    if found == .none {
      var info = edgelm_sys_file_info()
      if faulted {
        found = .faulted
      } else if edgelm_sys_file_info_get(fd, nil, &info) == 0
        && (info.size != openedSize || info.mtime_ns != openedModification) {
        found = .modified
      }
      if found == .none { return nil }
      problem.store(found.rawValue, ordering: .relaxed)
    }
    let advice = "; reload it; update models by renaming a new file over the old one"
    if found == .faulted {
      return EdgeLMError(.io, "model file '\(path)' changed or was truncated while in use (SIGBUS on a mapped page)" + advice)
    }
    return EdgeLMError(.io, "model file '\(path)' was modified while in use (its size or modification time changed since it was loaded)" + advice)
  }

  public var bytes: UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: base, count: size)
  }

  /// The OS page size (4096 on the targets we know; 16 KiB on some ARM
  /// kernels).
  public static let pageSize = Int(edgelm_sys_page_size())

  /// `offset..<offset+count` widened to whole pages and clipped to the
  /// mapping; nil when empty.
  private func pageSpan(offset: Int, count: Int) -> (UnsafeMutableRawPointer, Int)? {
    guard let base, count > 0, offset >= 0, offset < size else { return nil }
    let page = MappedFile.pageSize
    let start = offset & ~(page - 1)
    let end = min(size, offset + min(count, size - offset))
    let length = (end - start + page - 1) & ~(page - 1)
    return (UnsafeMutableRawPointer(mutating: base + start), length)
  }

  /// Hints that the range will be read soon (MADV_WILLNEED): the kernel
  /// starts reading it into the page cache in the background; nothing is
  /// mapped, so the process's RSS does not grow.
  public func willNeed(offset: Int, count: Int) {
    guard let (p, n) = pageSpan(offset: offset, count: count) else { return }
    _ = edgelm_sys_madvise_willneed(p, n)
  }

  /// Maps the range's pages now by reading one byte every `stride` bytes
  /// (and the last): each read faults in its page and, by the kernel's
  /// fault-around, the page-cache pages beside it (64 KiB by default),
  /// waiting for any still being read from storage. Faster here than
  /// MADV_POPULATE_READ (10.3 vs 7.6-8.7 GB/s, 2 MiB ranges, page cache
  /// warm) and works on every kernel.
  public func touch(offset: Int, count: Int, stride: Int) {
    guard let (p, n) = pageSpan(offset: offset, count: count), n > 0 else { return }
    let raw = UnsafeRawPointer(p)
    var sink: UInt8 = 0
    var i = 0
    while i < n {
      sink &+= raw.load(fromByteOffset: i, as: UInt8.self)
      i += max(stride, MappedFile.pageSize)
    }
    sink &+= raw.load(fromByteOffset: n - 1, as: UInt8.self)
    MappedFile.touchSink = sink
  }
  nonisolated(unsafe) static var touchSink: UInt8 = 0

  /// Gives the range's first and last pages mappings of their own, so that
  /// a fault inside the range never maps pages outside it. The kernel maps a
  /// faulting page's whole page-cache folio (up to 2 MiB with large folios,
  /// even as one huge-page entry), but never beyond the mapping (VMA) the
  /// fault is in; MADV_DONTDUMP on the two edge pages splits the mapping
  /// there (its only other effect: core dumps leave those pages out, as
  /// they leave out file pages by default anyway). What the edge pages'
  /// own faults map stays within them and a neighbouring edge page.
  public func isolate(offset: Int, count: Int) {
    guard let (p, n) = pageSpan(offset: offset, count: count), n > 0 else { return }
    let page = MappedFile.pageSize
    _ = edgelm_sys_madvise_dontdump(p, page)
    if n > page { _ = edgelm_sys_madvise_dontdump(p + (n - page), page) }
  }

  /// Unmaps the range's pages from this process (MADV_DONTNEED): they leave
  /// its RSS but stay in the page cache, and the next read maps them again
  /// from there (the mapping is read-only, so nothing is lost).
  /// A copy (`LoadMode.read`) keeps its pages: they cannot be read again.
  public func release(offset: Int, count: Int) {
    guard load == .map, let (p, n) = pageSpan(offset: offset, count: count) else { return }
    _ = edgelm_sys_madvise_dontneed(p, n)
  }

  /// Copies `count` bytes at `offset` of the file into `buffer` (pread,
  /// from the page cache when the pages are there): nothing of the file is
  /// mapped into the process. False on a read error or a short file.
  public func read(offset: Int, count: Int, into buffer: UnsafeMutableRawPointer) -> Bool {
    MappedFile.readFully(fd: fd, offset: offset, count: count, into: buffer) == count
  }

  /// pread of `count` bytes at `offset` of `fd` into `buffer`, retried
  /// after short reads and EINTR: the bytes read (fewer at the end of the
  /// file), or -1 on an error (errno set).
  private static func readFully(fd: Int32, offset: Int, count: Int, into buffer: UnsafeMutableRawPointer) -> Int {
    var done = 0
    while done < count {
      let n = pread(fd, buffer + done, count - done, off_t(offset + done))
      if n < 0 && edgelm_sys_errno() == EINTR { continue }
      if n < 0 { return -1 }
      if n == 0 { break }
      done += n
    }
    return done
  }

  /// Drops the file from the page cache (for cold-start measurements).
  public func evictFromPageCache() { if fd >= 0 { _ = edgelm_sys_fadvise_dontneed(fd) } }
}

// MARK: - Whole-file read and write

public enum FileIO {
  /// Reads a whole file into memory.
  public static func readAll(path: String) throws(EdgeLMError) -> [UInt8] {
    let fd = edgelm_sys_open_ro(path)
    if fd < 0 { throw EdgeLMError(.io, errnoMessage("cannot open '\(path)'")) }
    defer { close(fd) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if edgelm_sys_errno() == EINTR { continue }
        throw EdgeLMError(.io, errnoMessage("cannot read '\(path)'"))
      }
      if n == 0 { break }
      result.append(contentsOf: chunk[0..<n])
    }
    return result
  }

  /// Creates or truncates `path` and writes `bytes` to it.
  public static func writeAll(path: String, _ bytes: UnsafeRawBufferPointer) throws(EdgeLMError) {
    let fd = edgelm_sys_open_wr(path)
    if fd < 0 { throw EdgeLMError(.io, errnoMessage("cannot create '\(path)'")) }
    defer { close(fd) }
    try writeFully(fd: fd, bytes, what: path)
  }

  /// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
  public static func writeFully(fd: Int32, _ bytes: UnsafeRawBufferPointer, what: String) throws(EdgeLMError) {
    var offset = 0
    while offset < bytes.count {
      let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
      if n < 0 {
        if edgelm_sys_errno() == EINTR { continue }
        throw EdgeLMError(.io, errnoMessage("cannot write '\(what)'"))
      }
      offset += n
    }
  }
}

// MARK: - Files written in pieces

/// A file opened for writing (created or truncated), written sequentially;
/// closed by `close()` or on deinit.
public final class OutputFile {
  public let path: String
  private var fd: Int32
  /// Bytes written so far.
  public private(set) var size: Int = 0

  private init(path: String, fd: Int32) {
    self.path = path
    self.fd = fd
  }

  /// Creates or truncates `path` for writing.
  /// - Throws: `.io` naming the path and the OS reason.
  public static func create(path: String) throws(EdgeLMError) -> OutputFile {
    let fd = edgelm_sys_open_wr(path)
    if fd < 0 { throw EdgeLMError(.io, errnoMessage("cannot create '\(path)'")) }
    return OutputFile(path: path, fd: fd)
  }

  /// Appends `bytes`.
  /// - Throws: `.io` naming the path (a full disk, a closed file).
  public func write(_ bytes: UnsafeRawBufferPointer) throws(EdgeLMError) {
    guard fd >= 0 else { throw EdgeLMError(.io, "cannot write '\(path)': the file is closed") }
    if bytes.isEmpty { return }
    try FileIO.writeFully(fd: fd, bytes, what: path)
    size += bytes.count
  }

  /// Appends `bytes`.
  public func write(_ bytes: [UInt8]) throws(EdgeLMError) {
    var failure: EdgeLMError?
    bytes.withUnsafeBytes { raw in
      do throws(EdgeLMError) { try write(raw) } catch { failure = error }
    }
    if let failure { throw failure }
  }

  /// Closes the file; a failing close (a delayed write error) is reported.
  public func close() throws(EdgeLMError) {
    guard fd >= 0 else { return }
    let rc = edgelm_sys_close(fd)
    fd = -1
    if rc != 0 { throw EdgeLMError(.io, errnoMessage("cannot close '\(path)'")) }
  }

  deinit { if fd >= 0 { _ = edgelm_sys_close(fd) } }
}

extension FileIO {
  /// Renames `from` to `to`, replacing `to` atomically if it exists.
  public static func rename(from: String, to: String) throws(EdgeLMError) {
    if edgelm_sys_rename(from, to) != 0 {
      throw EdgeLMError(.io, errnoMessage("cannot rename '\(from)' to '\(to)'"))
    }
  }

  /// Deletes `path`; a missing file is not an error.
  public static func remove(path: String) {
    _ = unlink(path)
  }

  /// True if `a` and `b` name the same existing file (same device and inode).
  public static func sameFile(_ a: String, _ b: String) -> Bool {
    edgelm_sys_same_file(a, b) != 0
  }

  /// Size in bytes of the regular file at `path`, or nil.
  public static func fileSize(path: String) -> Int? {
    let n = edgelm_sys_regular_file_size(path)
    return n < 0 ? nil : Int(n)
  }
}

// MARK: - Console

public enum Console {
  public static func write(_ bytes: [UInt8], fd: Int32 = 1) {
    bytes.withUnsafeBytes { try? FileIO.writeFully(fd: fd, $0, what: "output") }
  }
  public static func write(_ text: String, fd: Int32 = 1) {
    var copy = text
    copy.withUTF8 { try? FileIO.writeFully(fd: fd, UnsafeRawBufferPointer($0), what: "output") }
  }
  public static func error(_ text: String) { write(text, fd: 2) }
}

// MARK: - Clocks, process statistics, formatting

public enum Clock {
  /// Monotonic time in nanoseconds.
  @inline(__always)
  public static func nanoseconds() -> UInt64 { edgelm_sys_monotonic_ns() }
}

public enum ProcessStats {
  /// Peak resident set size (VmHWM) in bytes, or 0 if /proc is unavailable.
  public static func peakResidentBytes() -> Int { statusField("VmHWM:") }
  /// Current resident set size (VmRSS) in bytes, or 0.
  public static func residentBytes() -> Int { statusField("VmRSS:") }
  /// Number of threads of this process (from /proc/self/status).
  public static func threadCount() -> Int { statusField("Threads:", scale: 1) }
  /// Bytes this process caused to be read from storage (`read_bytes` of
  /// /proc/self/io: block I/O for page faults, readahead and read() that
  /// missed the page cache; page-cache hits count nothing), or 0.
  public static func storageReadBytes() -> Int { statusField("read_bytes:", scale: 1, file: "/proc/self/io") }
  /// The same count in 512-byte blocks from getrusage (one system call, for
  /// per-token checks), or -1.
  public static func storageReadBlocks() -> Int { edgelm_sys_input_blocks() }

  static func statusField(_ name: String, scale: Int = 1024, file: String = "/proc/self/status") -> Int {
    guard let text = try? FileIO.readAll(path: file) else { return 0 }
    let key = Array(name.utf8)
    var i = 0
    while i < text.count {
      var lineEnd = i
      while lineEnd < text.count && text[lineEnd] != 10 { lineEnd += 1 }
      if lineEnd - i >= key.count && Array(text[i..<(i + key.count)]) == key {
        var value = 0
        for c in text[(i + key.count)..<lineEnd] where c >= 48 && c <= 57 {
          value = value * 10 + Int(c - 48)
        }
        return value * scale
      }
      i = lineEnd + 1
    }
    return 0
  }
}

public enum Format {
  /// `value` with `precision` digits after the point ("%.*f").
  public static func fixed(_ value: Double, _ precision: Int) -> String {
    var buf = [CChar](repeating: 0, count: 64)
    _ = buf.withUnsafeMutableBufferPointer {
      edgelm_sys_format_double($0.baseAddress, $0.count, value, Int32(precision))
    }
    return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
  }
}

public enum Environment {
  public static func get(_ name: String) -> String? {
    guard let p = edgelm_sys_getenv(name) else { return nil }
    return String(cString: p)
  }
  public static var cpuCount: Int { Int(edgelm_sys_cpu_count()) }
}

// MARK: - Out of memory

/// Allocation failures made survivable. In the builds we ship, an allocation
/// of the Swift runtime that the system refuses (which Embedded Swift would
/// trap on) is served from a reserve instead and the thread is marked
/// (Sources/CEdgeSys/reserve.c); `check` turns the mark into an error, so
/// the call in progress fails cleanly and what it built is freed. Loops that
/// allocate as they go check now and then, so that the reserve only has to
/// cover what one stretch between checks allocates; every C API call checks
/// before it returns.
public enum Memory {
  /// Throws `.outOfMemory` ("out of memory " + `doing`) if an allocation of
  /// this thread came from the reserve since the last check.
  @inline(__always)
  public static func check(_ doing: @autoclosure () -> String) throws(EdgeLMError) {
    if edgelm_sys_take_memory_shortage() != 0 { throw EdgeLMError(.outOfMemory, "out of memory " + doing()) }
  }

  /// True (once) if an allocation of this thread came from the reserve since
  /// the last check; for callers that report failure without throwing.
  public static func ranShort() -> Bool { edgelm_sys_take_memory_shortage() != 0 }
}

// MARK: - Aligned buffers

/// A buffer of `count` elements, 64-byte aligned, zero-filled, freed on
/// deinit. Used for activations, scratch and KV caches. Buffers of 256 KiB
/// or more are anonymous mappings whose pages cost RAM only once written,
/// so a cache or scratch sized for the worst case is resident only as far
/// as it is used.
public final class AlignedBuffer<Element> {
  public let pointer: UnsafeMutablePointer<Element>
  public let count: Int
  /// The allocation's size in bytes (what `edgelm_sys_zeroed_free` needs).
  private let bytes: Int

  private init(pointer: UnsafeMutablePointer<Element>, count: Int, bytes: Int) {
    self.pointer = pointer
    self.count = count
    self.bytes = bytes
  }

  /// Allocates `count` zeroed elements.
  /// - Throws: `.outOfMemory` if the size overflows or the allocation fails.
  public static func allocate(count: Int) throws(EdgeLMError) -> AlignedBuffer<Element> {
    let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
    guard count >= 0, !overflow, let raw = edgelm_sys_zeroed_alloc(bytes) else {
      throw EdgeLMError(.outOfMemory, "out of memory: cannot allocate \(count) elements of \(MemoryLayout<Element>.stride) bytes")
    }
    return AlignedBuffer(pointer: raw.bindMemory(to: Element.self, capacity: count), count: count, bytes: bytes)
  }

  deinit { edgelm_sys_zeroed_free(pointer, bytes) }

  public var raw: UnsafeMutableRawPointer { UnsafeMutableRawPointer(pointer) }
  public subscript(i: Int) -> Element {
    get { pointer[i] }
    set { pointer[i] = newValue }
  }
}

// MARK: - Process arguments

public enum ProcessArguments {
  /// This process's argv, from /proc/self/cmdline (Embedded Swift has no
  /// `CommandLine`). Each argument is decoded as UTF-8.
  /// - Throws: `.io` if /proc/self/cmdline cannot be read.
  public static func current() throws(EdgeLMError) -> [String] {
    let bytes = try FileIO.readAll(path: "/proc/self/cmdline")
    var args: [String] = []
    var start = 0
    for i in 0..<bytes.count where bytes[i] == 0 {
      args.append(String(decoding: bytes[start..<i], as: UTF8.self))
      start = i + 1
    }
    if start < bytes.count { args.append(String(decoding: bytes[start...], as: UTF8.self)) }
    return args
  }
}
