// @_cdecl thunks: sessions, generation, the token loop, statistics.

/// The corresponding C function is `edgelm_session_new`.
@_cdecl("edgelm_session_new")
public func edgelm_session_new(
  _ model: OpaquePointer?, _ config: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
  guard let out else { return CAPI.invalid("edgelm_session_new: out is NULL") }
  out.pointee = nil
  guard let m = CAPI.model(model) else { return CAPI.invalid("edgelm_session_new: model is NULL") }
  // A model whose file changed under it cannot be run any more.
  if let problem = m.model.fileProblem() { return CAPI.fail(problem) }
  let cfg = CAPI.config(config)
  CAPI.beginCall()
  do {
    let session = try Session.create(model: m.model, config: cfg)
    let handle = SessionHandle(session, sampling: cfg.sampling)
    try Memory.check("in edgelm_session_new")
    out.pointee = CAPI.retain(handle)
    CAPI.clearError()
    return 0
  } catch {
    return CAPI.fail(error)
  }
}

/// The corresponding C function is `edgelm_session_free`.
@_cdecl("edgelm_session_free")
public func edgelm_session_free(_ session: OpaquePointer?) {
  if let session { CAPI.release(session, as: SessionHandle.self) }
}

extension CAPI {
  static func session(_ handle: OpaquePointer?) -> SessionHandle? {
    guard let handle else { return nil }
    return borrow(handle, as: SessionHandle.self)
  }
}

/// The corresponding C function is `edgelm_session_reset`.
@_cdecl("edgelm_session_reset")
public func edgelm_session_reset(_ session: OpaquePointer?) -> Int32 {
  guard let s = CAPI.session(session) else { return CAPI.invalid("edgelm_session_reset: session is NULL") }
  return s.exclusive("edgelm_session_reset") {
    s.session.reset()
    s.sampler = Sampler(s.sampling)
    s.hasLogits = false
    s.stats = GenerationStats()
    return 0
  }
}

/// The corresponding C function is `edgelm_session_cancel`.
@_cdecl("edgelm_session_cancel")
public func edgelm_session_cancel(_ session: OpaquePointer?) {
  CAPI.session(session)?.session.cancel()
}

/// The corresponding C function is `edgelm_session_n_ctx`.
@_cdecl("edgelm_session_n_ctx")
public func edgelm_session_n_ctx(_ session: OpaquePointer?) -> Int32 {
  Int32(CAPI.session(session)?.session.contextLength ?? 0)
}

/// The corresponding C function is `edgelm_session_n_past`.
@_cdecl("edgelm_session_n_past")
public func edgelm_session_n_past(_ session: OpaquePointer?) -> Int32 {
  Int32(CAPI.session(session)?.session.position ?? 0)
}

/// The corresponding C function is `edgelm_generate`.
@_cdecl("edgelm_generate")
public func edgelm_generate(
  _ session: OpaquePointer?, _ prompt: UnsafePointer<CChar>?, _ len: Int, _ maxTokens: Int32,
  _ fn: (@convention(c) (UnsafePointer<CChar>?, Int, Int32, UnsafeMutableRawPointer?) -> Int32)?,
  _ user: UnsafeMutableRawPointer?
) -> Int32 {
  guard let s = CAPI.session(session) else { return CAPI.invalid("edgelm_generate: session is NULL") }
  guard prompt != nil || len == 0 else { return CAPI.invalid("edgelm_generate: prompt is NULL but len is \(len)") }
  guard len >= 0 else { return CAPI.invalid("edgelm_generate: len is too large") }
  guard maxTokens >= 0 else { return CAPI.invalid("edgelm_generate: max_tokens \(maxTokens) is negative") }
  return s.runningModel("edgelm_generate") { generate(s, prompt, len, maxTokens, fn, user) }
}

/// `edgelm_generate` once the session is this call's.
private func generate(
  _ s: SessionHandle, _ prompt: UnsafePointer<CChar>?, _ len: Int, _ maxTokens: Int32,
  _ fn: (@convention(c) (UnsafePointer<CChar>?, Int, Int32, UnsafeMutableRawPointer?) -> Int32)?,
  _ user: UnsafeMutableRawPointer?
) -> Int32 {
  s.session.clearCancellation()
  do {
    let tokens = try s.session.promptTokens(CAPI.bytes(prompt, len), addSpecial: s.session.position == 0)
    let (stats, _) = try s.session.generate(prompt: tokens, maxTokens: Int(maxTokens), sampler: &s.sampler) { piece, token in
      guard let fn else { return true }
      return piece.withUnsafeBufferPointer { buffer in
        let p = UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
        return fn(p, buffer.count, token, user) == 0
      }
    }
    s.stats = stats
    s.hasLogits = true
    CAPI.clearError()
    return 0
  } catch {
    return CAPI.fail(error)
  }
}

/// The corresponding C function is `edgelm_eval`.
@_cdecl("edgelm_eval")
public func edgelm_eval(_ session: OpaquePointer?, _ tokens: UnsafePointer<Int32>?, _ n: Int32) -> Int32 {
  guard let s = CAPI.session(session) else { return CAPI.invalid("edgelm_eval: session is NULL") }
  guard let tokens, n >= 1 else { return CAPI.invalid("edgelm_eval: need tokens != NULL and n >= 1 (n = \(n))") }
  let ids = Array(UnsafeBufferPointer(start: tokens, count: Int(n)))
  return s.runningModel("edgelm_eval") { evaluate(s, ids) }
}

/// `edgelm_eval` once the session is this call's.
private func evaluate(_ s: SessionHandle, _ ids: [Int32]) -> Int32 {
  s.session.clearCancellation()
  do {
    try s.session.evaluate(ids, logits: .last)
    for t in ids { s.sampler.accept(t) }
    s.hasLogits = true
    CAPI.clearError()
    return 0
  } catch {
    return CAPI.fail(error)
  }
}

/// The corresponding C function is `edgelm_logits`.
@_cdecl("edgelm_logits")
public func edgelm_logits(_ session: OpaquePointer?) -> UnsafePointer<Float>? {
  guard let s = CAPI.session(session), s.hasLogits else { return nil }
  return UnsafePointer(s.session.state.logits.pointer)
}

/// The corresponding C function is `edgelm_sample`.
@_cdecl("edgelm_sample")
public func edgelm_sample(_ session: OpaquePointer?, _ token: UnsafeMutablePointer<Int32>?) -> Int32 {
  guard let s = CAPI.session(session) else { return CAPI.invalid("edgelm_sample: session is NULL") }
  guard let token else { return CAPI.invalid("edgelm_sample: token is NULL") }
  return s.exclusive("edgelm_sample") {
    guard s.hasLogits else { return CAPI.invalid("edgelm_sample: no logits yet (call edgelm_eval first)") }
    token.pointee = s.sampler.sample(UnsafePointer(s.session.state.logits.pointer), vocabSize: s.session.vocabSize)
    return 0
  }
}

/// The corresponding C function is `edgelm_session_stats`.
@_cdecl("edgelm_session_stats")
public func edgelm_session_stats(_ session: OpaquePointer?, _ stats: UnsafeMutableRawPointer?) -> Int32 {
  guard let s = CAPI.session(session) else { return CAPI.invalid("edgelm_session_stats: session is NULL") }
  guard let stats else { return CAPI.invalid("edgelm_session_stats: stats is NULL") }
  // Layout of edgelm_stats (C, natural alignment): see Include/edgelm.h.
  let size = Int(stats.load(as: UInt32.self))
  let fullSize = 80
  guard size >= 4 else { return CAPI.invalid("edgelm_session_stats: stats->size \(size) is too small") }
  var fields = [UInt8](repeating: 0, count: fullSize)
  fields.withUnsafeMutableBytes { f in
    f.storeBytes(of: UInt32(fullSize), toByteOffset: 0, as: UInt32.self)
    f.storeBytes(of: Int32(s.stats.promptTokens), toByteOffset: 4, as: Int32.self)
    f.storeBytes(of: Int32(s.stats.generatedTokens), toByteOffset: 8, as: Int32.self)
    f.storeBytes(of: s.stats.promptTokensPerSecond, toByteOffset: 16, as: Double.self)
    f.storeBytes(of: s.stats.decodeTokensPerSecond, toByteOffset: 24, as: Double.self)
    f.storeBytes(of: UInt64(ProcessStats.peakResidentBytes()), toByteOffset: 32, as: UInt64.self)
    f.storeBytes(of: Int32(s.stats.speculative.drafted), toByteOffset: 40, as: Int32.self)
    f.storeBytes(of: Int32(s.stats.speculative.accepted), toByteOffset: 44, as: Int32.self)
    f.storeBytes(of: UInt64(s.stats.storageReadBytes), toByteOffset: 48, as: UInt64.self)
    f.storeBytes(of: s.stats.weightStallNanoseconds, toByteOffset: 56, as: UInt64.self)
    f.storeBytes(of: UInt64(s.stats.streamedBytes), toByteOffset: 64, as: UInt64.self)
    f.storeBytes(of: Int32(s.stats.speculative.targetPasses), toByteOffset: 72, as: Int32.self)
  }
  // Write only as much as the caller's struct holds (older, smaller structs).
  let n = min(size, fullSize)
  fields.withUnsafeBytes { stats.copyMemory(from: $0.baseAddress!, byteCount: n) }
  stats.storeBytes(of: UInt32(n), as: UInt32.self)
  return 0
}
