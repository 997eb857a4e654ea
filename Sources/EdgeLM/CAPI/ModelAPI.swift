// @_cdecl thunks: models and their metadata.

/// The corresponding C function is `edgelm_model_load`.
@_cdecl("edgelm_model_load")
public func edgelm_model_load(
  _ path: UnsafePointer<CChar>?, _ config: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
  guard let out else { return CAPI.invalid("edgelm_model_load: out is NULL") }
  out.pointee = nil
  guard let path else { return CAPI.invalid("edgelm_model_load: gguf_path is NULL") }
  // ram_limit and paging are applied per session; a model loaded under a
  // cap keeps the file's layout so that sessions can stream every layer.
  CAPI.beginCall()
  do {
    let model = try Model.load(path: CAPI.string(path), config: CAPI.config(config))
    let handle = ModelHandle(model)
    try Memory.check("in edgelm_model_load")
    out.pointee = CAPI.retain(handle)
    CAPI.clearError()
    return 0
  } catch {
    return CAPI.fail(error)
  }
}

/// The corresponding C function is `edgelm_model_free`.
@_cdecl("edgelm_model_free")
public func edgelm_model_free(_ model: OpaquePointer?) {
  if let model { CAPI.release(model, as: ModelHandle.self) }
}

extension CAPI {
  static func model(_ handle: OpaquePointer?) -> ModelHandle? {
    guard let handle else { return nil }
    return borrow(handle, as: ModelHandle.self)
  }
}

/// The corresponding C function is `edgelm_model_n_vocab`.
@_cdecl("edgelm_model_n_vocab")
public func edgelm_model_n_vocab(_ model: OpaquePointer?) -> Int32 {
  Int32(CAPI.model(model)?.model.config.vocabSize ?? 0)
}

/// The corresponding C function is `edgelm_model_n_ctx_train`.
@_cdecl("edgelm_model_n_ctx_train")
public func edgelm_model_n_ctx_train(_ model: OpaquePointer?) -> Int32 {
  Int32(CAPI.model(model)?.model.config.trainedContextLength ?? 0)
}

/// The corresponding C function is `edgelm_model_n_layer`.
@_cdecl("edgelm_model_n_layer")
public func edgelm_model_n_layer(_ model: OpaquePointer?) -> Int32 {
  Int32(CAPI.model(model)?.model.config.layerCount ?? 0)
}

/// The corresponding C function is `edgelm_model_n_embd`.
@_cdecl("edgelm_model_n_embd")
public func edgelm_model_n_embd(_ model: OpaquePointer?) -> Int32 {
  Int32(CAPI.model(model)?.model.config.embeddingLength ?? 0)
}

private let emptyCString: StaticString = ""

/// The corresponding C function is `edgelm_model_architecture`.
@_cdecl("edgelm_model_architecture")
public func edgelm_model_architecture(_ model: OpaquePointer?) -> UnsafePointer<CChar> {
  guard let m = CAPI.model(model) else {
    return UnsafeRawPointer(emptyCString.utf8Start).assumingMemoryBound(to: CChar.self)
  }
  return UnsafePointer(m.architecture)
}

/// The corresponding C function is `edgelm_model_meta_string`.
@_cdecl("edgelm_model_meta_string")
public func edgelm_model_meta_string(
  _ model: OpaquePointer?, _ key: UnsafePointer<CChar>?, _ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int32
) -> Int32 {
  guard let m = CAPI.model(model), let key else {
    CAPI.setError("edgelm_model_meta_string: model or key is NULL")
    return Int32.min
  }
  CAPI.beginCall()
  guard let bytes = try? m.model.gguf.bytes(CAPI.string(key)) else {
    CAPI.setError("edgelm_model_meta_string: no string metadata '\(CAPI.string(key))'")
    return Int32.min
  }
  if CAPI.ranShort("edgelm_model_meta_string") { return Int32.min }
  return CAPI.copyOut(bytes, to: buf, capacity: capacity, terminate: true)
}

/// The corresponding C function is `edgelm_model_token_bos`.
@_cdecl("edgelm_model_token_bos")
public func edgelm_model_token_bos(_ model: OpaquePointer?) -> Int32 {
  CAPI.model(model)?.model.tokenizer.bosToken ?? -1
}

/// The corresponding C function is `edgelm_model_token_eos`.
@_cdecl("edgelm_model_token_eos")
public func edgelm_model_token_eos(_ model: OpaquePointer?) -> Int32 {
  CAPI.model(model)?.model.tokenizer.eosToken ?? -1
}

/// The corresponding C function is `edgelm_model_token_is_eog`.
@_cdecl("edgelm_model_token_is_eog")
public func edgelm_model_token_is_eog(_ model: OpaquePointer?, _ token: Int32) -> Bool {
  guard let m = CAPI.model(model), token >= 0, Int(token) < m.model.config.vocabSize else { return false }
  return m.model.tokenizer.isEndOfGeneration(token)
}

extension CAPI {
  /// Copies `bytes` to a caller buffer: the count written, or minus the
  /// capacity needed when it does not fit (nothing is written then).
  static func copyOut(_ bytes: [UInt8], to buf: UnsafeMutablePointer<CChar>?, capacity: Int32, terminate: Bool) -> Int32 {
    let needed = bytes.count + (terminate ? 1 : 0)
    guard needed <= Int(Int32.max) else {
      setError("value of \(bytes.count) bytes is too large for the C API")
      return Int32.min
    }
    guard let buf, Int(capacity) >= needed else { return -Int32(needed) }
    for (i, b) in bytes.enumerated() { buf[i] = CChar(bitPattern: b) }
    if terminate { buf[bytes.count] = 0 }
    return Int32(bytes.count)
  }
}
