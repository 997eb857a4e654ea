/// Status codes shared with the C ABI. Raw values equal the `EDGELM_*`
/// constants in `Include/edgelm.h` and are never reused or renumbered.
public enum EdgeLMStatus: Int32, Sendable {
  case ok = 0
  /// A caller passed a NULL handle, an impossible size or a bad option.
  case invalidArgument = 1
  /// The operating system refused an open, read, map or write.
  case io = 2
  /// A model file is not a well-formed GGUF, or its metadata is inconsistent.
  case format = 3
  /// Well-formed input that this build does not implement (architecture, type).
  case unsupported = 4
  /// The JSON config is malformed or has a bad key or value.
  case config = 5
  /// The RAM or thread budget cannot be honoured.
  case resourceLimit = 6
  /// An allocation failed.
  case outOfMemory = 7
  /// The prompt plus generation would exceed the context length.
  case contextFull = 8
  /// The caller cancelled the operation.
  case cancelled = 9
  /// Text could not be tokenized (for example invalid UTF-8 where it matters).
  case tokenize = 10
  /// A bug in EdgeLM: an invariant that should always hold did not.
  case `internal` = 11
  /// The session is inside another call (one thread at a time per session).
  case busy = 12

  /// A short static description, as `edgelm_status_string` returns it.
  public var description: StaticString {
    switch self {
    case .ok: return "ok"
    case .invalidArgument: return "invalid argument"
    case .io: return "I/O error"
    case .format: return "malformed model file"
    case .unsupported: return "unsupported"
    case .config: return "invalid config"
    case .resourceLimit: return "resource limit"
    case .outOfMemory: return "out of memory"
    case .contextFull: return "context full"
    case .cancelled: return "cancelled"
    case .tokenize: return "tokenization failed"
    case .internal: return "internal error"
    case .busy: return "session busy"
    }
  }
}

/// The one error type of the core: a status plus a message naming what was
/// wrong (the field, the offset, the key). Typed throws use it everywhere so
/// the core stays inside the Embedded Swift subset.
public struct EdgeLMError: Error {
  public var status: EdgeLMStatus
  public var message: String

  public init(_ status: EdgeLMStatus, _ message: String) {
    self.status = status
    self.message = message
  }
}
