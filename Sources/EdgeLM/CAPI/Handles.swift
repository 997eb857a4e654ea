// The objects behind the C API's opaque handles, and the helpers every thunk
// uses: handle conversion and the thread-local last error.

import CEdgeSys
import Synchronization

/// Behind `edgelm_config *`.
final class ConfigHandle {
  let config: RuntimeConfig
  init(_ config: RuntimeConfig) { self.config = config }
}

/// Behind `edgelm_model *`.
final class ModelHandle {
  let model: Model
  /// NUL-terminated architecture name, alive as long as the model.
  let architecture: UnsafeMutablePointer<CChar>
  init(_ model: Model) {
    self.model = model
    let name = Array(model.config.architecture.name.utf8)
    architecture = .allocate(capacity: name.count + 1)
    for (i, b) in name.enumerated() { architecture[i] = CChar(bitPattern: b) }
    architecture[name.count] = 0
  }
  deinit { architecture.deallocate() }
}

/// Behind `edgelm_session *`.
final class SessionHandle {
  let session: Session
  var sampler: Sampler
  let sampling: SamplingConfig
  var stats = GenerationStats()
  var hasLogits = false
  /// Set while a call is inside the session (`exclusive`).
  private let inUse = Atomic<Bool>(false)
  init(_ session: Session, sampling: SamplingConfig) {
    self.session = session
    self.sampling = sampling
    sampler = Sampler(sampling)
  }
}

extension SessionHandle {
  /// Runs `body` as the session's only call; a second caller (another
  /// thread, or a token callback calling back into its session) gets
  /// EDGELM_ERR_BUSY and the session is not touched: two callers at once
  /// corrupted its state silently or spun in its thread pool for ever.
  func exclusive(_ function: String, _ body: () -> Int32) -> Int32 {
    guard inUse.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
      return CAPI.fail(EdgeLMError(.busy, "\(function): the session is inside another call (one thread at a time per session)"))
    }
    defer { inUse.store(false, ordering: .releasing) }
    CAPI.beginCall()
    let status = body()
    return status == 0 && CAPI.ranShort(function) ? EdgeLMStatus.outOfMemory.rawValue : status
  }
}

extension SessionHandle {
  /// `exclusive` for a call that runs the model: the model's files are
  /// checked before and after `body` (`Session.checkModelFiles`), so a
  /// file changed under a mapped model fails the call with EDGELM_ERR_IO,
  /// and every call after it.
  func runningModel(_ function: String, _ body: () -> Int32) -> Int32 {
    exclusive(function) {
      do throws(EdgeLMError) {
        try session.checkModelFiles()
        let status = body()
        try session.checkModelFiles()
        return status
      } catch {
        return CAPI.fail(error)
      }
    }
  }
}

enum CAPI {
  /// Records `message` as the calling thread's last error.
  static func setError(_ message: String) {
    var m = message
    m.withUTF8 { edgelm_sys_set_last_error(UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), $0.count) }
  }

  static func clearError() { edgelm_sys_set_last_error(nil, 0) }

  /// Records the error and returns its status code.
  static func fail(_ error: EdgeLMError) -> Int32 {
    setError(error.message)
    return error.status.rawValue
  }

  static func invalid(_ message: String) -> Int32 {
    fail(EdgeLMError(.invalidArgument, message))
  }

  /// Forgets an out-of-memory mark an earlier call left on this thread, so
  /// that `ranShort` reports this call's alone.
  static func beginCall() { _ = Memory.ranShort() }

  /// True if this call ran out of memory and finished on the reserve
  /// (Memory); the error message then says so. Every call that allocates
  /// asks before it reports success.
  static func ranShort(_ function: String) -> Bool {
    guard Memory.ranShort() else { return false }
    setError("\(function): out of memory")
    return true
  }

  static func retain<T: AnyObject>(_ object: T) -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(object).toOpaque())
  }

  static func borrow<T: AnyObject>(_ handle: OpaquePointer, as: T.Type) -> T {
    Unmanaged<T>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
  }

  static func release<T: AnyObject>(_ handle: OpaquePointer, as: T.Type) {
    Unmanaged<T>.fromOpaque(UnsafeRawPointer(handle)).release()
  }

  /// A NUL-terminated C string as Swift text (invalid UTF-8 repaired).
  static func string(_ p: UnsafePointer<CChar>) -> String { String(cString: p) }

  /// `len` bytes at `p` (nil allowed when len is 0).
  static func bytes(_ p: UnsafePointer<CChar>?, _ len: Int) -> [UInt8] {
    guard let p, len > 0 else { return [] }
    return Array(UnsafeRawBufferPointer(start: p, count: len))
  }
}
