// @_cdecl thunks: tokenization and token pieces.

/// The corresponding C function is `edgelm_tokenize`.
@_cdecl("edgelm_tokenize")
public func edgelm_tokenize(
  _ model: OpaquePointer?, _ text: UnsafePointer<CChar>?, _ len: Int,
  _ out: UnsafeMutablePointer<Int32>?, _ capacity: Int32, _ flags: Int32
) -> Int32 {
  guard let m = CAPI.model(model) else {
    CAPI.setError("edgelm_tokenize: model is NULL")
    return Int32.min
  }
  guard text != nil || len == 0, len >= 0 else {
    CAPI.setError("edgelm_tokenize: text is NULL but len is \(len)")
    return Int32.min
  }
  guard out != nil || capacity <= 0 else {
    CAPI.setError("edgelm_tokenize: out is NULL but capacity is \(capacity)")
    return Int32.min
  }
  CAPI.beginCall()
  let ids = m.model.tokenizer.tokenize(
    CAPI.bytes(text, len), addSpecial: flags & 1 != 0, parseSpecial: flags & 2 != 0)
  if CAPI.ranShort("edgelm_tokenize") { return Int32.min }
  guard ids.count <= Int(Int32.max) else {
    CAPI.setError("edgelm_tokenize: \(ids.count) tokens do not fit an int32_t")
    return Int32.min
  }
  guard let out, Int(capacity) >= ids.count else { return -Int32(ids.count) }
  for (i, t) in ids.enumerated() { out[i] = t }
  return Int32(ids.count)
}

/// The corresponding C function is `edgelm_token_to_piece`.
@_cdecl("edgelm_token_to_piece")
public func edgelm_token_to_piece(
  _ model: OpaquePointer?, _ token: Int32, _ buf: UnsafeMutablePointer<CChar>?, _ capacity: Int32, _ flags: Int32
) -> Int32 {
  guard let m = CAPI.model(model) else {
    CAPI.setError("edgelm_token_to_piece: model is NULL")
    return Int32.min
  }
  guard token >= 0, Int(token) < m.model.config.vocabSize else {
    CAPI.setError("edgelm_token_to_piece: token \(token) is outside the vocabulary (0..<\(m.model.config.vocabSize))")
    return Int32.min
  }
  CAPI.beginCall()
  let piece = m.model.tokenizer.piece(token, special: flags & 1 != 0)
  if CAPI.ranShort("edgelm_token_to_piece") { return Int32.min }
  return CAPI.copyOut(piece, to: buf, capacity: capacity, terminate: false)
}
